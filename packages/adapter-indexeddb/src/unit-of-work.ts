/**
 * The units of work of a store: `transaction(effect)` gathers the writes of a unit of work in an
 * in-memory overlay (`@iaso/core/overlay`), reading from committed storage, in one read-only
 * IndexedDB transaction per write call, only what the overlay cannot answer; when the effect
 * succeeds, the overlay is committed (see `commit.ts`) while the unit of work holds the writer
 * lock. A failed, defective or interrupted unit of work simply drops its overlay.
 * @module
 */
import { type StorageError, type StoreScope, uniqueKeyOf, type WriteOp, type WriteOutcome } from "@iaso/core/store"
import { applyWrite, type CommittedData, find, holderOf, newLayer, recordKey, type Transaction, unitsOfWork, writeAccount } from "@iaso/core/overlay"
import { Effect, Exit } from "effect"
import { commitLayer } from "./commit.ts"
import type { Connection } from "./connection.ts"
import { io, promised } from "./idb.ts"
import { type Entry, entriesOf, startUnit, type TxLayer, type Unit } from "./overlay-entries.ts"
import { getMany } from "./plan.ts"
import { idOfKey, META, recordKeyOf, SEQ_KEY, type StoredRecord, storeKey, type TableInfo, TOMBSTONES, tombstoneKey, type UniqueInfo } from "./schema.ts"
import type { AsWriter } from "./writer-lock.ts"

/**
 * What the writes of one account (or of a global catalogue) need from committed storage that the
 * overlay cannot answer, by record key (`recordKey`: what the overlay asks `CommittedData` for).
 */
interface Fetched {
  readonly records: ReadonlyMap<string, StoredRecord>
  readonly exists: ReadonlySet<string>
  /** Record keys (of inserts) that have a committed tombstone. */
  readonly tombstones: ReadonlySet<string>
  /** unique index -> key -> holder's record key */
  readonly holders: ReadonlyMap<string, ReadonlyMap<string, string>>
  readonly seq: number | undefined
}

/** The units of work of a store, and its writes inside them. */
export interface IdbUnitsOfWork {
  /** The layer of the current unit of work (`undefined` outside one). */
  readonly current: Effect.Effect<TxLayer | undefined>
  /** The port's `transaction`. */
  readonly transaction: Transaction
  /** Runs a write in the current unit of work, or in a unit of work of its own outside one. */
  readonly writing: <A>(f: (layer: TxLayer) => Effect.Effect<A, StorageError>) => Effect.Effect<A, StorageError>
  /** Applies the port's writes of one model to a unit of work's layer. */
  readonly applyOps: (t: TableInfo, scope: StoreScope, layer: TxLayer, ops: ReadonlyArray<WriteOp>) => Effect.Effect<ReadonlyArray<WriteOutcome>, StorageError>
  /** Makes sure the unit of work knows the committed change counter. */
  readonly ensureSeq: (layer: TxLayer) => Effect.Effect<void, StorageError>
}

/** Makes the units of work of a store on `connection`, committed with `durability` under the writer lock. */
export const makeUnitsOfWork = (connection: Connection, asWriter: AsWriter, durability: IDBTransactionOptions): IdbUnitsOfWork => {
  const units = unitsOfWork<Entry, Unit>((below) => below)

  /**
   * Reads, in one read-only transaction, what the writes of `ops` need from committed storage:
   * the records of `recordIds`, whether `existIds` have a record or a tombstone, the holders of
   * unique keys; all of the account `accountId` (`null`: a global catalogue).
   */
  const prefetch = async (
    t: TableInfo,
    accountId: string | null,
    recordIds: ReadonlyArray<string>,
    existIds: ReadonlyArray<string>,
    keys: ReadonlyMap<UniqueInfo, ReadonlySet<string>>,
    loadSeq: boolean
  ): Promise<Fetched> => {
    const records = new Map<string, StoredRecord>()
    const exists = new Set<string>()
    const tombstones = new Set<string>()
    const holders = new Map<string, Map<string, string>>()
    if (recordIds.length === 0 && existIds.length === 0 && keys.size === 0 && !loadSeq) return { records, exists, tombstones, holders, seq: undefined }
    const tx = connection.database().transaction(loadSeq ? [t.name, TOMBSTONES, META] : [t.name, TOMBSTONES], "readonly")
    const store = tx.objectStore(t.name)
    const work: Array<Promise<unknown>> = []
    let seq: number | undefined
    if (loadSeq) work.push(promised(tx.objectStore(META).get(SEQ_KEY)).then((value) => (seq = typeof value === "number" ? value : 0)))
    const named = (id: string) => recordKey(accountId, id)
    if (recordIds.length > 0) {
      const wanted = recordIds.filter((id) => typeof id === "string").map((id) => storeKey(t, accountId, id))
      work.push(
        getMany(store, wanted).then((found) => {
          // In a store keyed by id, the record of an id may be another account's: the overlay then finds it out of scope.
          for (const record of found as ReadonlyArray<StoredRecord>) records.set(named(String(record.r["id"])), record)
        })
      )
    }
    if (existIds.length > 0) {
      work.push(existing(store, existIds, exists, named, (id) => storeKey(t, accountId, id)))
      work.push(existing(tx.objectStore(TOMBSTONES), existIds, tombstones, named, (id) => tombstoneKey(t.name, accountId, id)))
    }
    for (const [unique, wanted] of keys) {
      const index = store.index(unique.idbName)
      const found = new Map<string, string>()
      holders.set(unique.name, found)
      for (const key of wanted) {
        const request = index.getKey(key)
        work.push(
          promised(request).then((holder) => {
            if (holder !== undefined) found.set(key, recordKeyOf(t, holder, accountId))
          })
        )
      }
    }
    await Promise.all(work)
    return { records, exists, tombstones, holders, seq }
  }

  /**
   * Which of `ids` have a key in `store` (`keyOf` maps an id to its key, the id last), added to
   * `out` by `named(id)`: one `getAllKeys` over the range the ids span when it holds few keys (new
   * time-ordered ids of a bulk insert), else one `count` per id. The keys of `ids` differ only by
   * their id.
   */
  const existing = async (
    store: IDBObjectStore,
    ids: ReadonlyArray<string>,
    out: Set<string>,
    named: (id: string) => string,
    keyOf: (id: string) => IDBValidKey
  ): Promise<void> => {
    const valid = ids.filter((id) => typeof id === "string")
    if (valid.length > 4) {
      const sorted = [...valid].sort()
      const low = keyOf(sorted[0] ?? "")
      const high = keyOf(sorted[sorted.length - 1] ?? "")
      const keys = await promised(store.getAllKeys(connection.env.keyRange.bound(low, high), valid.length + 1))
      if (keys.length <= valid.length) {
        const wanted = new Set(valid)
        for (const key of keys) {
          const id = idOfKey(key)
          if (wanted.has(id)) out.add(named(id))
        }
        return
      }
    }
    await Promise.all(
      valid.map((id) =>
        promised(store.count(keyOf(id))).then((n) => {
          if (n > 0) out.add(named(id))
        })
      )
    )
  }

  const applyOps = (t: TableInfo, scope: StoreScope, layer: TxLayer, ops: ReadonlyArray<WriteOp>) =>
    Effect.gen(function* () {
      const accountId = writeAccount(t.scope, scope)
      const recordIds = new Set<string>()
      const existIds = new Set<string>()
      const keys = new Map<UniqueInfo, Set<string>>()
      for (const op of ops) {
        const id = op.kind === "delete" ? op.id : String(op.row["id"])
        if (find(layer, t.name, recordKey(accountId, id)) === undefined) (op.kind === "insert" ? existIds : recordIds).add(id)
        if (op.kind === "delete") continue
        for (const unique of t.uniques) {
          const key = uniqueKeyOf(op.row, unique.decl)
          if (key === null || holderOf(layer, t.name, unique.name, key) !== undefined) continue
          let wanted = keys.get(unique)
          if (wanted === undefined) {
            wanted = new Set()
            keys.set(unique, wanted)
          }
          wanted.add(key)
        }
      }
      for (const id of recordIds) existIds.delete(id)
      const loadSeq = layer.counter.base === undefined
      const fetched = yield* io(`reading ${t.name} before writing it`, () => prefetch(t, accountId, [...recordIds], [...existIds], keys, loadSeq))
      if (loadSeq) startUnit(layer.counter, fetched.seq ?? 0)
      const entries = entriesOf(t, fetched.tombstones)
      const stored: CommittedData = {
        exists: (key) => fetched.exists.has(key) || fetched.records.has(key),
        row: (key) => fetched.records.get(key)?.r,
        holder: (index, key) => fetched.holders.get(index)?.get(key)
      }
      return ops.map((op) => applyWrite(layer, t, entries, stored, scope, op))
    })

  /** Makes sure the unit of work knows the committed change counter. */
  const ensureSeq = (layer: TxLayer): Effect.Effect<void, StorageError> =>
    layer.counter.base !== undefined
      ? Effect.void
      : Effect.map(
          io("reading the change counter", async () => {
            const value = await promised(connection.database().transaction([META], "readonly").objectStore(META).get(SEQ_KEY))
            return typeof value === "number" ? value : 0
          }),
          (seq) => startUnit(layer.counter, seq)
        )

  const transaction = units.transaction((effect) =>
    asWriter(
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const layer: TxLayer = newLayer(undefined, { base: undefined, seq: 0 })
          const exit = yield* Effect.exit(restore(units.within(layer, effect)))
          if (Exit.isFailure(exit)) return yield* exit
          yield* io("committing a unit of work", () => commitLayer(connection, layer, durability))
          return exit.value
        })
      )
    )
  )

  /** Runs a write in the current unit of work, or in a unit of work of its own outside one. */
  const writing = <A>(f: (layer: TxLayer) => Effect.Effect<A, StorageError>): Effect.Effect<A, StorageError> => units.writing(transaction, f)

  return { current: units.current, transaction, writing, applyOps, ensureSeq }
}
