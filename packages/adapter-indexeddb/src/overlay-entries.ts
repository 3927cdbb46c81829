/**
 * How the overlay of a unit of work (`@iaso/core/overlay`) keeps a record on IndexedDB: its stored
 * form and key, and what the commit must do about the committed record and its tombstone; and the
 * change counter a unit of work shares between its layers. The overlay names records by their
 * record key (`recordKey`: account and id).
 * @module
 */
import type { OverlayEntries, OverlayLayer, SeqCounter } from "@iaso/core/overlay"
import { keyedValues, rowStoreKey, type StoredRecord, type TableInfo } from "./schema.ts"

/** One record's state in a layer of the overlay. */
export interface Entry {
  /** The record as the unit of work leaves it; `null` when deleted. */
  readonly rec: StoredRecord | null
  /** The record's key in its object store (see `storeKey`). */
  readonly key: IDBValidKey
  /** No committed record has this key (nothing to delete or replace at commit). */
  readonly fresh: boolean
  /** The committed record's unique keys changed (it is deleted before the puts at commit). */
  readonly keysMoved: boolean
  /** The record has a committed tombstone (removed at commit when the record is written again). */
  readonly tombstoned: boolean
}

/** The change sequences of one top-level unit of work (the counter all its layers share). */
export interface Unit extends SeqCounter {
  /** The committed counter when the unit of work first wrote (`undefined`: it has not written). */
  base: number | undefined
}

/** A unit of work's writes over what is below it. */
export type TxLayer = OverlayLayer<Entry, Unit>

/**
 * How a layer keeps a record of `t`: its stored form and key, and what the commit must do about
 * the committed record and its tombstone (`tombstones`: record keys of inserts with a committed
 * tombstone).
 */
export const entriesOf = (t: TableInfo, tombstones: ReadonlySet<string>): OverlayEntries<Entry> => ({
  rowOf: (entry) => (entry.rec === null ? null : entry.rec.r),
  make: (recordKey, seq, next, previous, before, moved, keys) => {
    // The unit of work's first write of a record tells whether it is committed: it replaces a row.
    const fresh = before === undefined ? previous === undefined : before.fresh
    const tombstoned = before === undefined ? previous === undefined && tombstones.has(recordKey) : before.tombstoned
    // A write has a row: the one it writes, or the one it deletes.
    const row = next ?? previous
    const key = before?.key ?? (row === undefined ? undefined : rowStoreKey(t, row))
    if (key === undefined) throw new Error(`a write of ${t.name} ${recordKey} without a row`)
    let rec: StoredRecord | null = null
    if (next !== null) {
      const u: { [index: string]: string } = {}
      t.uniques.forEach((unique, i) => {
        const key = keys[i]
        if (key !== null && key !== undefined) u[unique.prop] = key
      })
      if (t.uniques.length === 0 && t.keyed.size === 0) rec = { r: next, s: seq }
      else if (t.keyed.size === 0) rec = { r: next, s: seq, u }
      else rec = t.uniques.length === 0 ? { r: next, s: seq, k: keyedValues(t, next) } : { r: next, s: seq, u, k: keyedValues(t, next) }
    }
    return { rec, key, fresh, keysMoved: (before?.keysMoved ?? false) || (moved && !fresh), tombstoned }
  }
})

/** No committed tombstones (writes that never insert). */
export const NO_TOMBSTONES: ReadonlySet<string> = new Set()

/** Starts a unit of work's sequences at the committed counter `seq` (once: its first write). */
export const startUnit = (unit: Unit, seq: number): void => {
  if (unit.base !== undefined) return
  unit.base = seq
  unit.seq = seq
}
