/**
 * The commit of a unit of work: every write of its top-level overlay put in ONE `readwrite`
 * IndexedDB transaction, issued in request batches without awaiting anything else, after checking
 * that the change counter did not move since the unit of work read it. IndexedDB applies all of
 * it or, on any failure, none.
 * @module
 */
import { StorageError } from "@iaso/core/store"
import { changeKey } from "@iaso/core/overlay"
import type { Connection } from "./connection.ts"
import { committed, promised } from "./idb.ts"
import type { TxLayer } from "./overlay-entries.ts"
import { META, SEQ_KEY, type StoredTombstone, TOMBSTONES, tombstoneKey } from "./schema.ts"

/** Requests issued before the commit waits for the browser to catch up (a request batch). */
export const BATCH = 5000

/** Writes a top-level overlay in one readwrite IndexedDB transaction. */
export const commitLayer = async (connection: Connection, layer: TxLayer, durability: IDBTransactionOptions): Promise<void> => {
  const base = layer.counter.base
  if (base === undefined || layer.rows.size === 0) return
  const db = connection.database()
  const models = [...layer.rows.keys()]
  const tx = db.transaction([...models, TOMBSTONES, META], "readwrite", durability)
  let reason: unknown
  const done = committed(tx, () => reason)
  done.catch(() => undefined)
  const meta = tx.objectStore(META)
  const check = meta.get(SEQ_KEY)
  check.onsuccess = () => {
    const current = typeof check.result === "number" ? check.result : 0
    if (current !== base) {
      reason = new StorageError({
        reason: "serialization",
        retryable: true,
        message: `another connection wrote to the database ${connection.name} during this unit of work (the change counter moved from ${base} to ${current}): run it again`
      })
      tx.abort()
    }
  }
  let issued = 0
  const issue = async (request: IDBRequest): Promise<void> => {
    issued += 1
    if (issued % BATCH === 0) await promised(request)
  }
  try {
    // Deletes first (and records whose unique keys moved), so no put meets a key that a later
    // request of the same commit frees.
    for (const model of models) {
      const store = tx.objectStore(model)
      for (const entry of layer.rows.get(model)?.values() ?? [])
        if (!entry.fresh && (entry.rec === null || entry.keysMoved)) await issue(store.delete(entry.key))
    }
    for (const model of models) {
      const store = tx.objectStore(model)
      for (const entry of layer.rows.get(model)?.values() ?? []) if (entry.rec !== null) await issue(store.put(entry.rec))
    }
    // The live records' changes are their `s` (in the `@seq` index); deleted ones leave a
    // tombstone, and a record written again loses its old one.
    const tombstones = tx.objectStore(TOMBSTONES)
    for (const model of models) {
      for (const [key, entry] of layer.rows.get(model) ?? []) {
        if (entry.rec === null || entry.tombstoned) {
          const change = layer.changes.get(changeKey(model, key))
          if (change === undefined) continue
          const { id, accountId, seq, version } = change
          if (entry.rec !== null) await issue(tombstones.delete(tombstoneKey(model, accountId, id)))
          else {
            const tombstone: StoredTombstone = { model, id, accountId, seq, version, k: accountId ?? "" }
            await issue(tombstones.put(tombstone))
          }
        }
      }
    }
    meta.put(layer.counter.seq, SEQ_KEY)
  } catch (error) {
    // A request failed (the transaction is aborting with its error) or one could not be
    // issued (a value that cannot be cloned...): abort, reporting the first cause.
    const aborting = typeof error === "object" && error !== null && "name" in error && error.name === "AbortError"
    if (reason === undefined && !aborting) reason = error
    try {
      tx.abort()
    } catch {
      // already aborted
    }
  }
  await done
}
