/**
 * A bounded zip reader for archives from people the server does not control (`.xlsx` workbooks,
 * mobile bulk uploads): it reads the archive's central directory itself and inflates with fflate's
 * streaming `Inflate` only the entries asked for, each at most once. The entry count is checked
 * before any entry is read; an entry's claimed size is checked against the per-entry and total
 * limits before inflating, and inflating stops as soon as it produces more than that claim (a
 * header that lies is a damaged archive). Every failure is a message naming the archive's kind
 * (`not an .xlsx file (...)`), and limits are named as in {@link exceededLimit}.
 * @module
 */
import { Result } from "effect"
import { Inflate } from "fflate"

/** The limits of one archive (a subset of the form readers' `FormLimits`). */
export interface ZipLimits {
  /** Entries an archive may list (what its directory claims, before any is read). */
  readonly maxZipEntries: number
  /** Uncompressed bytes of one entry. */
  readonly maxEntryBytes: number
  /** Uncompressed bytes over every entry inflated from one archive. */
  readonly maxUncompressedBytes: number
}

/**
 * The message for an exceeded limit: what was found, then the limit's value, what it bounds and
 * its name, as in "the archive lists 5000 entries: more than the 1000 entries an archive may have
 * (limit `maxZipEntries`)".
 */
export const exceededLimit = <L extends object>(found: string, limits: L, limit: keyof L & string, bounds: string): string =>
  `${found}: more than the ${String(limits[limit])} ${bounds} (limit \`${limit}\`)`

/** One file of a zip archive, as the archive's central directory lists it. */
export interface ZipEntry {
  readonly name: string
  readonly flags: number
  readonly method: number
  readonly compressedSize: number
  /** The uncompressed size the directory claims (the bytes may inflate to more). */
  readonly claimedSize: number
  readonly localHeader: number
}

const END_OF_DIRECTORY = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_END_OF_DIRECTORY = 0x06064b50
const DIRECTORY_ENTRY = 0x02014b50
const LOCAL_HEADER = 0x04034b50
/** A 32-bit size or offset field saying "see the zip64 extra field". */
const IN_ZIP64 = 0xffffffff
/**
 * Compressed bytes given to the inflater at a time: about a thousandth of what the cap leaves,
 * within these bounds. Deflate inflates 1,032-fold at most, so a step never produces more than
 * about what is left plus 1 MB, nor more than 9 MB.
 */
const INFLATE_STEP = { min: 1024, max: 8 * 1024 } as const

/** Little-endian fields of a byte array, `undefined` past its end. */
const fields = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const fits = (at: number, length: number) => at >= 0 && at + length <= bytes.length
  return {
    u16: (at: number): number | undefined => (fits(at, 2) ? view.getUint16(at, true) : undefined),
    u32: (at: number): number | undefined => (fits(at, 4) ? view.getUint32(at, true) : undefined),
    /** A 64-bit field as a number; `Infinity` past 2^53 (no archive this reader accepts is that large). */
    u64: (at: number): number | undefined => {
      if (!fits(at, 8)) return undefined
      const value = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32
      return Number.isSafeInteger(value) ? value : Number.POSITIVE_INFINITY
    }
  }
}

const damaged = (kind: string, what: string): string => `not ${kind} (a damaged zip archive: ${what})`

/** A name or reference from a file, shortened for a message. */
export const shown = (text: string): string => (text.length > 64 ? `${text.slice(0, 64)}…` : text)

/** The archive's entries by name (a name listed twice: its last entry), checked against `maxZipEntries`. */
export const listZipEntries = (bytes: Uint8Array, limits: ZipLimits, kind: string): Result.Result<ReadonlyMap<string, ZipEntry>, string> => {
  const { u16, u32, u64 } = fields(bytes)
  let end = -1
  for (let at = bytes.length - 22; at >= 0 && at >= bytes.length - 22 - 0xffff; at--) {
    if (u32(at) === END_OF_DIRECTORY) {
      end = at
      break
    }
  }
  if (end === -1) return Result.fail(`not ${kind} (not a zip archive: no end of central directory record)`)
  let count = u16(end + 10) ?? 0
  let offset = u32(end + 16) ?? 0
  const end64 = u32(end - 20) === ZIP64_LOCATOR ? u64(end - 12) : undefined
  if (end64 !== undefined && Number.isSafeInteger(end64) && u32(end64) === ZIP64_END_OF_DIRECTORY) {
    count = u64(end64 + 32) ?? count
    offset = u64(end64 + 48) ?? offset
  }
  if (count > limits.maxZipEntries)
    return Result.fail(exceededLimit(`the archive lists ${count} entries`, limits, "maxZipEntries", "entries an archive may have"))
  const decoder = new TextDecoder("utf-8")
  const entries = new Map<string, ZipEntry>()
  for (let i = 0; i < count; i++) {
    const flags = u16(offset + 8)
    const method = u16(offset + 10)
    const nameLength = u16(offset + 28)
    const extraLength = u16(offset + 30)
    const commentLength = u16(offset + 32)
    let compressedSize = u32(offset + 20)
    let claimedSize = u32(offset + 24)
    let localHeader = u32(offset + 42)
    if (
      u32(offset) !== DIRECTORY_ENTRY ||
      flags === undefined ||
      method === undefined ||
      nameLength === undefined ||
      extraLength === undefined ||
      commentLength === undefined ||
      compressedSize === undefined ||
      claimedSize === undefined ||
      localHeader === undefined ||
      offset + 46 + nameLength + extraLength > bytes.length
    ) {
      return Result.fail(damaged(kind, `the directory's entry ${i + 1} of ${count} is unreadable`))
    }
    const name = decoder.decode(bytes.subarray(offset + 46, offset + 46 + nameLength))
    // zip64: the sizes and offset that do not fit 32 bits are in the extra field 0x0001, in this order.
    for (let at = offset + 46 + nameLength; at + 4 <= offset + 46 + nameLength + extraLength; at += 4 + (u16(at + 2) ?? 0)) {
      if (u16(at) !== 0x0001) continue
      let next = at + 4
      const wide = (value: number): number => {
        if (value !== IN_ZIP64) return value
        const read = u64(next) ?? Number.POSITIVE_INFINITY
        next += 8
        return read
      }
      claimedSize = wide(claimedSize)
      compressedSize = wide(compressedSize)
      localHeader = wide(localHeader)
    }
    entries.set(name, { name, flags, method, compressedSize, claimedSize, localHeader })
    offset += 46 + nameLength + extraLength + commentLength
  }
  return Result.succeed(entries)
}

/**
 * Inflates a deflate stream a step at a time and stops once it has produced more than `cap`
 * bytes: the bytes, `over` once past the cap, or the inflater's error.
 */
const inflateAtMost = (data: Uint8Array, cap: number): { readonly bytes: Uint8Array } | { readonly over: true } | { readonly error: string } => {
  const chunks: Array<Uint8Array> = []
  let produced = 0
  const inflater = new Inflate((chunk) => {
    produced += chunk.length
    if (produced <= cap) chunks.push(chunk)
  })
  try {
    if (data.length === 0) inflater.push(data, true)
    for (let at = 0; at < data.length && produced <= cap; ) {
      const step = Math.min(INFLATE_STEP.max, Math.max(INFLATE_STEP.min, Math.ceil((cap - produced) / 1024)))
      inflater.push(data.subarray(at, at + step), at + step >= data.length)
      at += step
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
  if (produced > cap) return { over: true }
  const bytes = new Uint8Array(produced)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.length
  }
  return { bytes }
}

/**
 * An entry's uncompressed bytes. The size it claims must be within `maxEntryBytes` and what is
 * left of `maxUncompressedBytes` (`inflated` counts what earlier entries used), and inflating
 * stops as soon as it produces more than that claim: a header that lies is a damaged archive, and
 * no entry ever inflates past the limits.
 */
export const zipEntryBytes = (
  bytes: Uint8Array,
  entry: ZipEntry,
  limits: ZipLimits,
  inflated: { used: number },
  kind: string
): Result.Result<Uint8Array, string> => {
  const { u16, u32 } = fields(bytes)
  const claimed = entry.claimedSize
  if (claimed > limits.maxEntryBytes) {
    return Result.fail(
      exceededLimit(`the archive's entry ${shown(entry.name)} claims ${claimed} bytes uncompressed`, limits, "maxEntryBytes", "bytes an entry may have")
    )
  }
  if (inflated.used + claimed > limits.maxUncompressedBytes) {
    const found = `the archive's entries inflate to at least ${inflated.used + claimed} bytes`
    return Result.fail(exceededLimit(found, limits, "maxUncompressedBytes", "bytes an archive may inflate to"))
  }
  if ((entry.flags & 1) !== 0) return Result.fail(`not ${kind} (the archive's entry ${shown(entry.name)} is encrypted)`)
  const nameLength = u16(entry.localHeader + 26)
  const extraLength = u16(entry.localHeader + 28)
  const start = entry.localHeader + 30 + (nameLength ?? 0) + (extraLength ?? 0)
  if (u32(entry.localHeader) !== LOCAL_HEADER || nameLength === undefined || extraLength === undefined || start + entry.compressedSize > bytes.length) {
    return Result.fail(damaged(kind, `the entry ${shown(entry.name)} is cut short`))
  }
  const data = bytes.subarray(start, start + entry.compressedSize)
  let out: Uint8Array
  if (entry.method === 0) out = data
  else if (entry.method === 8) {
    const inflatedEntry = inflateAtMost(data, claimed)
    if ("error" in inflatedEntry) return Result.fail(damaged(kind, `the entry ${shown(entry.name)} does not inflate: ${inflatedEntry.error}`))
    if ("over" in inflatedEntry) return Result.fail(damaged(kind, `the entry ${shown(entry.name)} inflates to more than the ${claimed} bytes it claims`))
    out = inflatedEntry.bytes
  } else return Result.fail(`not ${kind} (the archive's entry ${shown(entry.name)} uses compression method ${entry.method})`)
  if (out.length > claimed) return Result.fail(damaged(kind, `the entry ${shown(entry.name)} holds more than the ${claimed} bytes it claims`))
  inflated.used += out.length
  return Result.succeed(out)
}
