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

/** The two character codes of each byte's lower-case hex digits: `HEX_CODES[2 * byte]`, `HEX_CODES[2 * byte + 1]`. */
const HEX_CODES = Uint16Array.from({ length: 512 }, (_, i) =>
  (i >> 1)
    .toString(16)
    .padStart(2, "0")
    .charCodeAt(i & 1)
)

/**
 * The character codes of the id being made (dashes in place): the id is made by one
 * `String.fromCharCode` call, a flat string of 36 bytes. A template literal made a tree of about
 * seven concatenation nodes per id (about 330 bytes, kept as long as the id is), which a million
 * ids held by an import turned into hundreds of megabytes.
 */
const codes: Array<number> = Array.from({ length: 36 }, () => 0x2d)

/** Writes `byte`'s two hex digits at `offset` of {@link codes}. */
const putHex = (offset: number, byte: number): void => {
  const at = (byte & 0xff) * 2
  codes[offset] = HEX_CODES[at] ?? 0x30
  codes[offset + 1] = HEX_CODES[at + 1] ?? 0x30
}

/** Random bytes drawn from the OS in blocks (one call per 256 ids instead of one per id). */
const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let poolOffset = POOL_SIZE

/** The offset of 8 fresh random bytes in {@link pool} (refilled when spent). */
const randomOffset = (): number => {
  if (poolOffset + 8 > POOL_SIZE) {
    globalThis.crypto.getRandomValues(pool)
    poolOffset = 0
  }
  const offset = poolOffset
  poolOffset += 8
  return offset
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
  const high = Math.floor(millis / 2 ** 16)
  const at = randomOffset()
  const r = pool
  putHex(0, high / 2 ** 24)
  putHex(2, high / 2 ** 16)
  putHex(4, high / 2 ** 8)
  putHex(6, high)
  putHex(9, millis / 2 ** 8)
  putHex(11, millis)
  putHex(14, 0x70 | ((sequence >> 8) & 0x0f))
  putHex(16, sequence)
  putHex(19, 0x80 | ((r[at] ?? 0) & 0x3f))
  putHex(21, r[at + 1] ?? 0)
  for (let i = 0; i < 6; i++) putHex(24 + 2 * i, r[at + 2 + i] ?? 0)
  return String.fromCharCode.apply(null, codes)
}

/** The Unix milliseconds encoded in a UUIDv7. */
export const uuidv7Millis = (id: string): number => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

/** Id of an Account, the tenant that owns every record (except global catalogues). */
export const AccountId = entityId("AccountId")
export type AccountId = typeof AccountId.Type
