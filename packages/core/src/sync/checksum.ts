/**
 * Checksums of a synced set: per model, the number of records and the sum (modulo 2^32) of a
 * 32-bit FNV-1a hash of each record's `id:version`. A sum does not depend on order, so the server
 * computes it over the records it serves and the device over those it holds, page by page, and
 * equal checksums mean (with overwhelming probability) the same records at the same versions.
 * @module
 */

/** The checksum of one model's records. */
export interface ModelChecksum {
  readonly count: number
  /** Sum of the records' hashes, modulo 2^32. */
  readonly sum: number
}

/** Checksums of a synced set, by model name. */
export type SyncChecksums = Readonly<Record<string, ModelChecksum>>

/** The 32-bit FNV-1a hash of a record's id and version. */
export const recordHash = (id: string, version: number): number => {
  let hash = 0x811c9dc5
  const text = `${id}:${version}`
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

/** A running checksum: add records, read the result. */
export const checksumBuilder = () => {
  let count = 0
  let sum = 0
  return {
    add: (id: string, version: number): void => {
      count += 1
      sum = (sum + recordHash(id, version)) >>> 0
    },
    result: (): ModelChecksum => ({ count, sum })
  }
}

/** The models whose checksums differ (a model absent on one side counts as empty there). */
export const differingModels = (expected: SyncChecksums, actual: SyncChecksums): ReadonlyArray<string> => {
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)])
  const empty: ModelChecksum = { count: 0, sum: 0 }
  return [...names].filter((name) => {
    const a = expected[name] ?? empty
    const b = actual[name] ?? empty
    return a.count !== b.count || a.sum !== b.sum
  })
}
