/**
 * The change feed read from committed data: the live records' changes are their sequences in
 * each model store's `@seq` index, deleted records' changes their tombstones (an account's, read
 * by their `[k, seq]` index: another account's record of the same id is never one of them).
 * @module
 */
import type { Change } from "@iaso/core/store"
import type { Connection } from "./connection.ts"
import { promised } from "./idb.ts"
import { idOfKey, META, SEQ_INDEX, SEQ_KEY, type StoredTombstone, TOMBSTONES, TOMBSTONES_BY_ACCOUNT } from "./schema.ts"

/**
 * The first `limit` changes after `after`: of every model store, the live records of the
 * account (and of the global catalogues) from the `@seq` index, read with key cursors (no
 * record is read), and the tombstones; merged in sequence order.
 */
export const readChanges = async (connection: Connection, accountId: string, after: number, limit: number): Promise<ReadonlyArray<Change>> => {
  const count = Math.max(0, Math.min(Math.floor(limit), 2 ** 32 - 1))
  if (count === 0) return []
  const models = [...connection.tables().values()]
  const tx = connection.database().transaction([...models.map((t) => t.name), TOMBSTONES], "readonly")
  const live = models.map(
    (t) =>
      new Promise<Array<Change>>((resolve, reject) => {
        const owner = t.scope === "global" ? null : accountId
        const range =
          owner === null ? connection.env.keyRange.lowerBound([after, []]) : connection.env.keyRange.bound([owner, after, []], [owner, []], false, true)
        const request = tx.objectStore(t.name).index(SEQ_INDEX).openKeyCursor(range)
        const out: Array<Change> = []
        request.onerror = () => reject(request.error)
        request.onsuccess = () => {
          const cursor = request.result
          if (cursor === null || out.length >= count) return resolve(out)
          const key = cursor.key as ReadonlyArray<number | string>
          const at = owner === null ? 0 : 1
          out.push({ seq: Number(key[at]), model: t.name, id: idOfKey(cursor.primaryKey), accountId: owner, deleted: false, version: Number(key[at + 1]) })
          cursor.continue()
        }
      })
  )
  const index = tx.objectStore(TOMBSTONES).index(TOMBSTONES_BY_ACCOUNT)
  const dead = [accountId, ""].map((k) =>
    (promised(index.getAll(connection.env.keyRange.bound([k, after], [k, Infinity], true, false), count)) as Promise<ReadonlyArray<StoredTombstone>>).then(
      (tombstones) => tombstones.map(({ model, id, accountId: owner, seq, version }): Change => ({ seq, model, id, accountId: owner, deleted: true, version }))
    )
  )
  const pages = await Promise.all([...live, ...dead])
  return pages
    .flat()
    .sort((a, b) => a.seq - b.seq)
    .slice(0, count)
}

/**
 * The committed change-sequence counter: a unit of work takes its sequences after it and writes
 * it back in its commit, and writers are serialised (across tabs too), so every later change is
 * above it.
 */
export const readFeedHead = async (connection: Connection): Promise<number> => {
  const value: unknown = await promised(connection.database().transaction([META], "readonly").objectStore(META).get(SEQ_KEY))
  return typeof value === "number" ? value : 0
}
