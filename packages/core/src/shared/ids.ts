/**
 * Identifiers: every record id is a UUIDv7 string made by core (time-ordered, made offline,
 * safe to sync). External identifiers (DHIS2 uids, IASO integer ids) live in `sourceRef`-style
 * fields, never in `id`.
 * @module
 */
import { Schema } from "effect"

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** Whether a text is a lower-case UUID (the form of every id and of {@link Uuid} fields). */
export const isUuid = (text: string): boolean => UUID_PATTERN.test(text)

/** A canonical (lower-case, RFC 9562 variant) UUID string. */
export const Uuid = Schema.String.check(Schema.isPattern(UUID_PATTERN, { message: "Expected a lower-case UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)" }))

/** Builds the branded id schema of one entity, e.g. `const OrgUnitId = entityId("OrgUnitId")`. */
export const entityId = <const B extends string>(brand: B) => Uuid.pipe(Schema.brand<B>(brand as never))

let lastMillis = -1
let sequence = 0

const hex = (bytes: Uint8Array): string => {
  let out = ""
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0")
  return out
}

/**
 * Makes a new UUIDv7: 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids made
 * in the same millisecond strictly increasing, then 62 random bits.
 */
export const uuidv7 = (now: number = Date.now()): string => {
  if (now > lastMillis) {
    lastMillis = now
    sequence = 0
  } else {
    sequence += 1
    if (sequence > 0xfff) {
      lastMillis += 1
      sequence = 0
    }
  }
  const millis = lastMillis
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  bytes[0] = Math.floor(millis / 2 ** 40) & 0xff
  bytes[1] = Math.floor(millis / 2 ** 32) & 0xff
  bytes[2] = Math.floor(millis / 2 ** 24) & 0xff
  bytes[3] = Math.floor(millis / 2 ** 16) & 0xff
  bytes[4] = Math.floor(millis / 2 ** 8) & 0xff
  bytes[5] = millis & 0xff
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f)
  bytes[7] = sequence & 0xff
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f)
  const h = hex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** The Unix milliseconds encoded in a UUIDv7. */
export const uuidv7Millis = (id: string): number => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

/** Id of an Account, the tenant that owns every record (except global catalogues). */
export const AccountId = entityId("AccountId")
export type AccountId = typeof AccountId.Type
