/**
 * The store port on IndexedDB.
 *
 * IndexedDB commits a transaction as soon as it has no pending request when the event loop turns,
 * and an Effect may yield at any point, so a unit of work cannot keep an IndexedDB transaction
 * open. Instead, `transaction(effect)` gathers the unit of work's writes in an in-memory overlay
 * (`@iaso/core/overlay`: nested transactions stack layers, like savepoints, and the overlay
 * decides each write's outcome), and reads inside it see the committed data merged with the
 * overlay. The layers of a unit of work share one sequence counter, so sequences are never reused
 * within it. When the effect succeeds, every write of the overlay is put in ONE
 * `readwrite` IndexedDB transaction, issued in request batches without awaiting anything else;
 * IndexedDB applies all of it or, on any failure, none. A failed, defective or interrupted unit of
 * work simply drops its overlay: nothing of it ever reached the database.
 *
 * Writers are serialised: by a semaphore in this driver, and by a Web Lock (`navigator.locks`,
 * named after the database) across tabs and workers when the platform has it. Change sequences
 * are taken from a counter in the database while the writer holds both, so sequences follow
 * commit order; the commit checks that the counter did not move, so a writer without the Web Lock
 * (an old browser) can only fail with a retryable error, never interleave. Reads outside a unit of
 * work read committed data in their own read-only IndexedDB transaction and never see a unit of
 * work half done.
 *
 * **What not to await inside a unit of work.** Nothing in the overlay depends on the event loop,
 * so any effect may run inside `transaction`, but the unit of work holds the writer lock (this
 * tab's and, with Web Locks, every tab's) from its start to its commit. So:
 * - never wait, inside a unit of work, for another unit of work on the same database that runs
 *   outside it (a write through another runtime or the Promise facade, a fiber forked without the
 *   transaction's context): it waits for the lock the first one holds, and both wait forever;
 * - avoid network calls and user interaction inside it: every other writer (and every other tab)
 *   waits meanwhile, and the overlay (the whole unit of work's writes) stays in memory until the
 *   commit. Fetch first, then write in a short unit of work.
 * @module
 */
import {
  type Change,
  compareRows,
  type Condition,
  type InspectedRow,
  isAfter,
  matchesAll,
  type Migration,
  type ModelMeta,
  project,
  type Row,
  StorageError,
  type StoreCapabilities,
  type StoreDriver,
  type StoreQuery,
  type StoreScope,
  uniqueKeyOf,
  Unsupported,
  type WriteOp
} from "@iaso/core"
import {
  applyWrite,
  changeKey,
  type CommittedData,
  find,
  holderOf,
  inScope,
  layeredChanges,
  mergeChanges,
  newLayer,
  type OverlayEntries,
  type OverlayLayer,
  rewritePaths,
  type SeqCounter,
  touched,
  unitsOfWork
} from "@iaso/core/overlay"
import { Effect, Exit, Semaphore } from "effect"
import { committed, environment, type IdbEnvironment, openDatabase, promised, storageError } from "./idb.ts"
import { explainRead, getMany, makeReader, type QueryPlan, type ReadQuery, type ReadScope } from "./plan.ts"
import {
  LEDGER_KEY,
  META,
  SEQ_INDEX,
  SEQ_KEY,
  type StoredRecord,
  type StoredTombstone,
  type TableInfo,
  keyedValues,
  tablesOf,
  TOMBSTONES,
  TOMBSTONES_BY_ACCOUNT,
  type UniqueInfo,
  upgrade
} from "./schema.ts"

/** Options of the IndexedDB store. */
export interface IndexedDbStoreOptions {
  /** The database name (one database per store; the origin's other databases are untouched). */
  readonly name: string
  /**
   * The IndexedDB factory (default: the global `indexedDB`). In Node, pass fake-indexeddb's
   * `new IDBFactory()` for an isolated database (and import `fake-indexeddb/auto`, which installs
   * the `IDBKeyRange` global the adapter needs).
   */
  readonly indexedDB?: IDBFactory
  /**
   * Durability of the commit transactions: `"relaxed"` lets the browser report a commit before it
   * is flushed to disk (faster bulk writes; a crash of the OS may lose the last commits, never
   * leave one half written). Default: the browser's default.
   */
  readonly durability?: IDBTransactionDurability
  /** Migrations to apply (default: every migration of the SDK). */
  readonly migrations?: ReadonlyArray<Migration>
}

/** Requests issued before the commit waits for the browser to catch up (a request batch). */
const BATCH = 5000

/** The capabilities of the IndexedDB store. */
export const indexedDbCapabilities: StoreCapabilities = {
  name: "indexeddb",
  persistent: true,
  isolation: "serialized-writers",
  concurrentWriters: false,
  awaitInsideTransaction: false,
  textOrder: "utf16",
  maxBatchSize: BATCH,
  nativeJson: true,
  nodeOnly: false
}

/** One record's state in a layer of the overlay. */
interface Entry {
  /** The record as the unit of work leaves it; `null` when deleted. */
  readonly rec: StoredRecord | null
  /** No committed record has this id (nothing to delete or replace at commit). */
  readonly fresh: boolean
  /** The committed record's unique keys changed (it is deleted before the puts at commit). */
  readonly keysMoved: boolean
  /** A committed tombstone has this id (removed at commit when the id is written again). */
  readonly tombstoned: boolean
}

/** The change sequences of one top-level unit of work (the counter all its layers share). */
interface Unit extends SeqCounter {
  /** The committed counter when the unit of work first wrote (`undefined`: it has not written). */
  base: number | undefined
}

/** A unit of work's writes over what is below it. */
type TxLayer = OverlayLayer<Entry, Unit>

/**
 * How a layer keeps a record of `t`: its stored form, and what the commit must do about the
 * committed record and tombstone of its id (`tombstones`: ids of inserts with a committed
 * tombstone).
 */
const entriesOf = (t: TableInfo, tombstones: ReadonlySet<string>): OverlayEntries<Entry> => ({
  rowOf: (entry) => (entry.rec === null ? null : entry.rec.r),
  make: (id, seq, next, previous, before, moved, keys) => {
    // The unit of work's first write of a record tells whether it is committed: it replaces a row.
    const fresh = before === undefined ? previous === undefined : before.fresh
    const tombstoned = before === undefined ? previous === undefined && tombstones.has(id) : before.tombstoned
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
    return { rec, fresh, keysMoved: (before?.keysMoved ?? false) || (moved && !fresh), tombstoned }
  }
})

const NO_TOMBSTONES: ReadonlySet<string> = new Set()

/** What a write needs from committed storage that the overlay cannot answer. */
interface Fetched {
  readonly records: ReadonlyMap<string, StoredRecord>
  readonly exists: ReadonlySet<string>
  /** Ids (of inserts) that have a committed tombstone. */
  readonly tombstones: ReadonlySet<string>
  /** unique index -> key -> holder id */
  readonly holders: ReadonlyMap<string, ReadonlyMap<string, string>>
  readonly seq: number | undefined
}

/** The store port on IndexedDB, plus `explain` and `close`. */
export interface IndexedDbDriver extends StoreDriver {
  /** How a query of a model is answered from committed data (index, key ranges, ordered walk). */
  readonly explain: (model: ModelMeta, scope: StoreScope, query: StoreQuery) => Effect.Effect<QueryPlan, StorageError>
  /** Closes the database connection (later calls fail with an unavailable StorageError). */
  readonly close: Effect.Effect<void>
}

/** Makes an IndexedDB store driver (not yet opened: `migrate` opens and upgrades the database). */
export const makeIndexedDbDriver = (options: IndexedDbStoreOptions): Effect.Effect<IndexedDbDriver, StorageError> =>
  Effect.gen(function* () {
    const found = environment(options.indexedDB)
    if (found instanceof StorageError) return yield* found
    const env: IdbEnvironment = found
    const units = unitsOfWork<Entry, Unit>((below) => below)
    const mutex = yield* Semaphore.make(1)
    const durability: IDBTransactionOptions = options.durability === undefined ? {} : { durability: options.durability }
    let connection: { readonly db: IDBDatabase; closed: string | undefined } | undefined
    let tables = new Map<string, TableInfo>()

    const database = (): IDBDatabase => {
      if (connection === undefined) {
        throw new StorageError({ reason: "unavailable", retryable: false, message: `the IndexedDB database ${options.name} is not open (was the store migrated?)` })
      }
      if (connection.closed !== undefined) throw new StorageError({ reason: "unavailable", retryable: false, message: connection.closed })
      return connection.db
    }
    const reader = makeReader(env, database)

    /** Runs IndexedDB work (a promise that only awaits IndexedDB requests) as an Effect. */
    const io = <A>(doing: string, work: () => Promise<A>): Effect.Effect<A, StorageError> =>
      Effect.tryPromise({ try: work, catch: (error) => storageError(error, doing) })

    const table = (name: string): Effect.Effect<TableInfo, StorageError> => {
      const info = tables.get(name)
      return info === undefined
        ? Effect.fail(new StorageError({ reason: "corrupt", retryable: false, message: `the IndexedDB store has no object store for ${name}: was it migrated?` }))
        : Effect.succeed(info)
    }

    const currentLayer = units.current

    const readScope = (t: TableInfo, scope: StoreScope): ReadScope =>
      t.scope === "global" || scope.allAccounts === true ? { _tag: "All" } : { _tag: "Account", accountId: scope.accountId ?? "" }

    /** Reads, in one read-only transaction, what the writes of `ops` need from committed storage. */
    const prefetch = async (
      t: TableInfo,
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
      const tx = database().transaction(loadSeq ? [t.name, TOMBSTONES, META] : [t.name, TOMBSTONES], "readonly")
      const store = tx.objectStore(t.name)
      const work: Array<Promise<unknown>> = []
      let seq: number | undefined
      if (loadSeq) work.push(promised(tx.objectStore(META).get(SEQ_KEY)).then((value) => (seq = typeof value === "number" ? value : 0)))
      if (recordIds.length > 0) {
        work.push(
          getMany(
            store,
            recordIds.filter((id) => typeof id === "string")
          ).then((found) => {
            for (const record of found as ReadonlyArray<StoredRecord>) records.set(String(record.r["id"]), record)
          })
        )
      }
      if (existIds.length > 0) {
        work.push(existing(store, existIds, exists, (id) => id))
        work.push(existing(tx.objectStore(TOMBSTONES), existIds, tombstones, (id) => [t.name, id]))
      }
      for (const [unique, wanted] of keys) {
        const index = store.index(unique.idbName)
        const found = new Map<string, string>()
        holders.set(unique.name, found)
        for (const key of wanted) {
          const request = index.getKey(key)
          work.push(
            promised(request).then((holder) => {
              if (holder !== undefined) found.set(key, String(holder))
            })
          )
        }
      }
      await Promise.all(work)
      return { records, exists, tombstones, holders, seq }
    }

    /**
     * Which of `ids` have a key in `store` (`keyOf` maps an id to its key): one `getAllKeys` over
     * the range the ids span when it holds few keys (new time-ordered ids of a bulk insert), else
     * one `count` per id.
     */
    const existing = async (store: IDBObjectStore, ids: ReadonlyArray<string>, out: Set<string>, keyOf: (id: string) => IDBValidKey): Promise<void> => {
      const valid = ids.filter((id) => typeof id === "string")
      if (valid.length > 4) {
        const sorted = [...valid].sort()
        const low = keyOf(sorted[0] ?? "")
        const high = keyOf(sorted[sorted.length - 1] ?? "")
        const keys = await promised(store.getAllKeys(env.keyRange.bound(low, high), valid.length + 1))
        if (keys.length <= valid.length) {
          const wanted = new Set(valid)
          for (const key of keys) {
            const id = String(Array.isArray(key) ? key[key.length - 1] : key)
            if (wanted.has(id)) out.add(id)
          }
          return
        }
      }
      await Promise.all(
        valid.map((id) =>
          promised(store.count(keyOf(id))).then((n) => {
            if (n > 0) out.add(id)
          })
        )
      )
    }

    const applyOps = (t: TableInfo, scope: StoreScope, layer: TxLayer, ops: ReadonlyArray<WriteOp>) =>
      Effect.gen(function* () {
        const recordIds = new Set<string>()
        const existIds = new Set<string>()
        const keys = new Map<UniqueInfo, Set<string>>()
        for (const op of ops) {
          const id = op.kind === "delete" ? op.id : String(op.row["id"])
          if (find(layer, t.name, id) === undefined) (op.kind === "insert" ? existIds : recordIds).add(id)
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
        const fetched = yield* io(`reading ${t.name} before writing it`, () => prefetch(t, [...recordIds], [...existIds], keys, loadSeq))
        if (loadSeq) startUnit(layer.counter, fetched.seq ?? 0)
        const entries = entriesOf(t, fetched.tombstones)
        const stored: CommittedData = {
          exists: (id) => fetched.exists.has(id) || fetched.records.has(id),
          row: (id) => fetched.records.get(id)?.r,
          holder: (index, key) => fetched.holders.get(index)?.get(key)
        }
        return ops.map((op) => applyWrite(layer, t, entries, stored, scope, op))
      })

    const startUnit = (unit: Unit, seq: number): void => {
      if (unit.base !== undefined) return
      unit.base = seq
      unit.seq = seq
    }

    /** Makes sure the unit of work knows the committed change counter. */
    const ensureSeq = (layer: TxLayer): Effect.Effect<void, StorageError> =>
      layer.counter.base !== undefined
        ? Effect.void
        : Effect.map(
            io("reading the change counter", async () => {
              const value = await promised(database().transaction([META], "readonly").objectStore(META).get(SEQ_KEY))
              return typeof value === "number" ? value : 0
            }),
            (seq) => startUnit(layer.counter, seq)
          )

    // --- reads through the overlay -----------------------------------------------------------------
    const readRows = (t: TableInfo, scope: StoreScope, query: ReadQuery & { readonly select?: ReadonlyArray<string> }) =>
      Effect.gen(function* () {
        const layer = yield* currentLayer
        const overlay = touched(layer, t.name)
        const rscope = readScope(t, scope)
        if (overlay.size === 0) {
          const rows = yield* io(`reading ${t.name}`, () => reader.rows(t, rscope, query))
          return query.select === undefined ? rows : rows.map((row) => project(row, query.select))
        }
        // Committed rows, with room for the ones the overlay replaces, merged with the overlay's.
        const widened: ReadQuery = query.limit === undefined ? query : { ...query, limit: query.limit + overlay.size }
        const rows = yield* io(`reading ${t.name}`, () => reader.rows(t, rscope, widened))
        const merged: Array<Row> = rows.filter((row) => !overlay.has(String(row["id"])))
        for (const entry of overlay.values()) {
          const row = entry.rec?.r
          if (row === undefined || !inScope(t.scope, scope, row) || !matchesAll(row, query.where, "utf16")) continue
          if (query.after !== undefined && !isAfter(row, query.orderBy, query.after, "utf16")) continue
          merged.push(row)
        }
        merged.sort((a, b) => compareRows(a, b, query.orderBy, "utf16"))
        const limited = query.limit === undefined ? merged : merged.slice(0, query.limit)
        return query.select === undefined ? limited : limited.map((row) => project(row, query.select))
      })

    /** The rows with these ids in scope (the unit of work's own writes first), in no particular order. */
    const rowsById = (t: TableInfo, scope: StoreScope, ids: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const layer = yield* currentLayer
        const out: Array<Row> = []
        const missing: Array<string> = []
        for (const id of new Set(ids)) {
          const entry = find(layer, t.name, id)
          if (entry === undefined) missing.push(id)
          else if (entry.rec !== null && inScope(t.scope, scope, entry.rec.r)) out.push(entry.rec.r)
        }
        if (missing.length > 0) {
          const found = yield* io(`reading ${t.name}`, () => reader.records(t.name, missing))
          for (const record of found) if (inScope(t.scope, scope, record.r)) out.push(record.r)
        }
        return out
      })

    const countRows = (t: TableInfo, scope: StoreScope, where: ReadonlyArray<Condition>) =>
      Effect.gen(function* () {
        const layer = yield* currentLayer
        const overlay = touched(layer, t.name)
        const base = yield* io(`counting ${t.name}`, () => reader.count(t, readScope(t, scope), where))
        if (overlay.size === 0) return base
        const replaced = [...overlay].filter(([, entry]) => !entry.fresh).map(([id]) => id)
        const before = yield* io(`reading ${t.name}`, () => reader.records(t.name, replaced))
        let n = base
        for (const record of before) if (inScope(t.scope, scope, record.r) && matchesAll(record.r, where, "utf16")) n--
        for (const entry of overlay.values()) {
          const row = entry.rec?.r
          if (row !== undefined && inScope(t.scope, scope, row) && matchesAll(row, where, "utf16")) n++
        }
        return n
      })

    // --- transactions ----------------------------------------------------------------------------
    const locks = (globalThis as { readonly navigator?: { readonly locks?: LockManager } }).navigator?.locks
    const lockName = `@iaso/adapter-indexeddb:${options.name}`

    /** Takes the cross-tab writer lock; succeeds with its release. Interruptible while waiting. */
    const acquireWebLock = (manager: LockManager) =>
      Effect.callback<() => void, StorageError>((resume, signal) => {
        let release: (() => void) | undefined
        signal.addEventListener("abort", () => release?.())
        manager
          .request(lockName, { signal }, () =>
            new Promise<void>((resolve) => {
              release = resolve
              if (signal.aborted) resolve()
              else resume(Effect.succeed(() => resolve()))
            })
          )
          .catch((error: unknown) => {
            if (!signal.aborted) resume(Effect.fail(storageError(error, "taking the writer lock")))
          })
      })

    /** Runs `effect` as the only writer: this driver's semaphore, then the Web Lock when there is one. */
    const asWriter = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
      mutex.withPermits(1)(
        locks === undefined
          ? effect
          : Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(restore(acquireWebLock(locks)), (release) => Effect.ensuring(restore(effect), Effect.sync(release)))
            )
      )

    /** Writes a top-level overlay in one readwrite IndexedDB transaction. */
    const commitLayer = async (layer: TxLayer): Promise<void> => {
      const base = layer.counter.base
      if (base === undefined || layer.rows.size === 0) return
      const db = database()
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
            message: `another connection wrote to the database ${options.name} during this unit of work (the change counter moved from ${base} to ${current}): run it again`
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
          for (const [id, entry] of layer.rows.get(model) ?? []) if (!entry.fresh && (entry.rec === null || entry.keysMoved)) await issue(store.delete(id))
        }
        for (const model of models) {
          const store = tx.objectStore(model)
          for (const entry of layer.rows.get(model)?.values() ?? []) if (entry.rec !== null) await issue(store.put(entry.rec))
        }
        // The live records' changes are their `s` (in the `@seq` index); deleted ones leave a
        // tombstone, and an id written again loses its old one.
        const tombstones = tx.objectStore(TOMBSTONES)
        for (const model of models) {
          for (const [id, entry] of layer.rows.get(model) ?? []) {
            if (entry.rec === null) {
              const change = layer.changes.get(changeKey(model, id))
              if (change === undefined) continue
              const tombstone: StoredTombstone = { model, id, accountId: change.accountId, seq: change.seq, version: change.version, k: change.accountId ?? "" }
              await issue(tombstones.put(tombstone))
            } else if (entry.tombstoned) await issue(tombstones.delete([model, id]))
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

    const transaction = units.transaction((effect) =>
      asWriter(
        Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            const layer: TxLayer = newLayer(undefined, { base: undefined, seq: 0 })
            const exit = yield* Effect.exit(restore(units.within(layer, effect)))
            if (Exit.isFailure(exit)) return yield* exit
            yield* io("committing a unit of work", () => commitLayer(layer))
            return exit.value
          })
        )
      )
    )

    /** Runs a write in the current unit of work, or in a unit of work of its own outside one. */
    const writing = <A>(f: (layer: TxLayer) => Effect.Effect<A, StorageError>): Effect.Effect<A, StorageError> => units.writing(transaction, f)

    // --- migrations ----------------------------------------------------------------------------------
    const readLedger = async (db: IDBDatabase): Promise<ReadonlyArray<string>> => {
      if (!db.objectStoreNames.contains(META)) return []
      const value = await promised(db.transaction([META], "readonly").objectStore(META).get(LEDGER_KEY))
      return Array.isArray(value) ? value.map(String) : []
    }

    const newer = (ledger: ReadonlyArray<string>, migrations: ReadonlyArray<Migration>, version?: number) => {
      const known = new Set(migrations.map((m) => m.id))
      const unknown = ledger.filter((id) => !known.has(id))
      return new Unsupported({
        message: `this database was migrated by a newer version of the SDK (${version === undefined ? "" : `database version ${version}, this SDK knows ${migrations.length}; `}unknown migrations: ${unknown.length === 0 ? "none recorded" : unknown.join(", ")})`
      })
    }

    const watch = (db: IDBDatabase): void => {
      db.onversionchange = () => {
        // Another connection (another tab, a newer version of the app) upgrades or deletes the
        // database: let it, and fail this store's later calls instead of blocking it.
        db.close()
        if (connection?.db === db) {
          connection.closed = `the IndexedDB database ${options.name} was closed because another connection (another tab or a newer version of the app) is upgrading or deleting it: reload to reopen it`
        }
      }
      db.onclose = () => {
        if (connection?.db === db) connection.closed = `the browser closed the IndexedDB database ${options.name} (storage cleared or the disk failed)`
      }
    }

    const migrate = (migrations: ReadonlyArray<Migration>): Effect.Effect<ReadonlyArray<string>, StorageError | Unsupported> =>
      asWriter(
        Effect.gen(function* () {
          const known = new Set(migrations.map((m) => m.id))
          const version = Math.max(1, migrations.length)
          if (connection !== undefined && connection.closed === undefined) {
            const open = connection.db
            const ledger = yield* io("reading the migrations ledger", () => readLedger(open))
            if (ledger.some((id) => !known.has(id))) return yield* newer(ledger, migrations)
            const pending = migrations.filter((m) => !ledger.includes(m.id))
            if (pending.length === 0) {
              tables = tablesOf(migrations)
              return []
            }
            if (open.version >= version) {
              return yield* new StorageError({
                reason: "corrupt",
                retryable: false,
                message: `the IndexedDB database ${options.name} is at version ${open.version} but its ledger lacks ${pending.map((m) => m.id).join(", ")}`
              })
            }
            open.close()
            connection = undefined
          }
          const opened = yield* io(`opening the database ${options.name}`, () =>
            openDatabase(env, options.name, version, (db, tx, oldVersion) => upgrade(db, tx, oldVersion, migrations))
          )
          if (opened._tag === "Newer") {
            const ledger = yield* io("reading the migrations ledger", async () => {
              const current = await openDatabase(env, options.name, undefined, async () => [])
              if (current._tag !== "Opened") return []
              try {
                return await readLedger(current.db)
              } finally {
                current.db.close()
              }
            })
            return yield* newer(ledger, migrations, opened.version)
          }
          const db = opened.db
          const ledger = yield* io("reading the migrations ledger", () => readLedger(db)).pipe(Effect.tapError(() => Effect.sync(() => db.close())))
          if (ledger.some((id) => !known.has(id))) {
            db.close()
            return yield* newer(ledger, migrations, db.version)
          }
          watch(db)
          connection = { db, closed: undefined }
          tables = tablesOf(migrations.filter((m) => ledger.includes(m.id)))
          return opened.upgraded
        })
      )

    // --- the change feed ------------------------------------------------------------------------------
    /**
     * The first `limit` changes after `after`: of every model store, the live records of the
     * account (and of the global catalogues) from the `@seq` index, read with key cursors (no
     * record is read), and the tombstones; merged in sequence order.
     */
    const readChanges = async (accountId: string, after: number, limit: number): Promise<ReadonlyArray<Change>> => {
      const count = Math.max(0, Math.min(Math.floor(limit), 2 ** 32 - 1))
      if (count === 0) return []
      const models = [...tables.values()]
      const tx = database().transaction([...models.map((t) => t.name), TOMBSTONES], "readonly")
      const live = models.map(
        (t) =>
          new Promise<Array<Change>>((resolve, reject) => {
            const owner = t.scope === "global" ? null : accountId
            const range =
              owner === null ? env.keyRange.lowerBound([after, []]) : env.keyRange.bound([owner, after, []], [owner, []], false, true)
            const request = tx.objectStore(t.name).index(SEQ_INDEX).openKeyCursor(range)
            const out: Array<Change> = []
            request.onerror = () => reject(request.error)
            request.onsuccess = () => {
              const cursor = request.result
              if (cursor === null || out.length >= count) return resolve(out)
              const key = cursor.key as ReadonlyArray<number | string>
              const at = owner === null ? 0 : 1
              out.push({ seq: Number(key[at]), model: t.name, id: String(cursor.primaryKey), accountId: owner, deleted: false, version: Number(key[at + 1]) })
              cursor.continue()
            }
          })
      )
      const index = tx.objectStore(TOMBSTONES).index(TOMBSTONES_BY_ACCOUNT)
      const dead = [accountId, ""].map((k) =>
        (promised(index.getAll(env.keyRange.bound([k, after], [k, Infinity], true, false), count)) as Promise<ReadonlyArray<StoredTombstone>>).then((tombstones) =>
          tombstones.map(({ model, id, accountId: owner, seq, version }): Change => ({ seq, model, id, accountId: owner, deleted: true, version }))
        )
      )
      const pages = await Promise.all([...live, ...dead])
      return pages
        .flat()
        .sort((a, b) => a.seq - b.seq)
        .slice(0, count)
    }

    // --- the port --------------------------------------------------------------------------------
    const driver: IndexedDbDriver = {
      capabilities: indexedDbCapabilities,
      migrate,
      getMany: (model: ModelMeta, scope, ids) => Effect.flatMap(table(model.name), (t) => rowsById(t, scope, ids)),
      write: (model, scope, ops) =>
        Effect.flatMap(table(model.name), (t) => (ops.length === 0 ? Effect.succeed([]) : writing((layer) => applyOps(t, scope, layer, ops)))),
      query: (model, scope, query) => Effect.flatMap(table(model.name), (t) => readRows(t, scope, query)),
      count: (model, scope, where) => Effect.flatMap(table(model.name), (t) => countRows(t, scope, where)),
      subtree: (model, scope, start, query) =>
        Effect.gen(function* () {
          const t = yield* table(model.name)
          const hierarchy = t.hierarchy
          if (hierarchy === undefined) return yield* new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` })
          // A root given by id is read first (a key lookup), then its range: two reads, each
          // consistent; inside a unit of work both see its writes.
          let prefix: string
          if ("rootId" in start) {
            const [root] = yield* rowsById(t, scope, [start.rootId])
            if (root === undefined) return []
            prefix = String(root[hierarchy.path])
          } else prefix = start.prefix
          const where: Array<Condition> = [...query.where, { field: hierarchy.path, op: "startsWith", value: prefix }]
          if (query.maxDepth !== undefined) where.push({ field: hierarchy.depth, op: "lte", value: query.maxDepth })
          const { maxDepth: _maxDepth, ...rest } = query
          return yield* readRows(t, scope, { ...rest, where })
        }),
      rewritePrefix: (model, scope, rewrite) =>
        Effect.flatMap(table(model.name), (t) => {
          const hierarchy = t.hierarchy
          if (hierarchy === undefined) return Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` }))
          return writing((layer) =>
            Effect.gen(function* () {
              yield* ensureSeq(layer)
              const rows = yield* readRows(t, scope, {
                where: [
                  { field: hierarchy.path, op: "startsWith", value: rewrite.from },
                  { field: hierarchy.path, op: "ne", value: rewrite.from }
                ],
                orderBy: [{ field: "id", direction: "asc" }]
              })
              return rewritePaths(layer, t, entriesOf(t, NO_TOMBSTONES), scope, hierarchy, rows, rewrite)
            })
          )
        }),
      // Writers are serialised (this driver's semaphore and, across tabs, the Web Lock), and a move
      // reads, checks and rewrites its subtree inside one unit of work that holds them: no other
      // move can interleave, so there is nothing more to lock.
      lockSubtrees: (model) => Effect.asVoid(table(model.name)),
      changesSince: (accountId, after, limit) =>
        Effect.gen(function* () {
          const layered = layeredChanges(yield* currentLayer)
          const stored = yield* io("reading the change feed", () => readChanges(accountId, after, limit + layered.size))
          if (layered.size === 0) return stored
          return mergeChanges([stored], layered, accountId, after, limit)
        }),
      transaction,
      inspect: (model) =>
        Effect.gen(function* () {
          const t = yield* table(model.name)
          const records = yield* io(`reading ${t.name}`, async () => {
            const all = await promised(database().transaction([t.name], "readonly").objectStore(t.name).getAll())
            return all as ReadonlyArray<StoredRecord>
          })
          const rows = records.map((record): InspectedRow => ({ row: record.r, seq: record.s }))
          return [...rows].sort((a, b) => compareRows(a.row, b.row, [{ field: "id", direction: "asc" }]))
        }),
      explain: (model, scope, query) => Effect.map(table(model.name), (t) => explainRead(t, readScope(t, scope), query)),
      close: Effect.sync(() => {
        if (connection === undefined) return
        connection.db.close()
        connection.closed = `the IndexedDB database ${options.name} was closed`
      })
    }
    return driver
  })
