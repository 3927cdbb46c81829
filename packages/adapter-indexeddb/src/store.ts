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
  compareRows,
  type Condition,
  type InspectedRow,
  type Migration,
  type ModelMeta,
  serializedStoreOps,
  StorageError,
  type StoreCapabilities,
  type StoreDriver,
  type StoreQuery,
  type StoreScope
} from "@iaso/core/store"
import { layeredChanges, mergeChanges, rewritePaths } from "@iaso/core/overlay"
import { Effect } from "effect"
import { readChanges, readFeedHead } from "./change-feed.ts"
import { BATCH } from "./commit.ts"
import { makeConnection } from "./connection.ts"
import { environment, io, promised } from "./idb.ts"
import { entriesOf, NO_TOMBSTONES } from "./overlay-entries.ts"
import { makeOverlayReads, readScope } from "./overlay-reads.ts"
import { explainRead, type QueryPlan } from "./plan.ts"
import type { StoredRecord } from "./schema.ts"
import { makeUnitsOfWork } from "./unit-of-work.ts"
import { makeWriterLock } from "./writer-lock.ts"

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
    const env = environment(options.indexedDB)
    if (env instanceof StorageError) return yield* env
    const asWriter = yield* makeWriterLock(options.name)
    const durability: IDBTransactionOptions = options.durability === undefined ? {} : { durability: options.durability }
    const connection = makeConnection(env, options.name, asWriter)
    const units = makeUnitsOfWork(connection, asWriter, durability)
    const reads = makeOverlayReads(connection, units.current)

    // --- the port --------------------------------------------------------------------------------
    const driver: IndexedDbDriver = {
      capabilities: indexedDbCapabilities,
      migrate: connection.migrate,
      ...serializedStoreOps(
        {
          getMany: (model, scope, ids) => driver.getMany(model, scope, ids),
          query: (model, scope, query) => driver.query(model, scope, query),
          write: (model, scope, ops) => driver.write(model, scope, ops)
        },
        (effect) => units.transaction(effect)
      ),
      getMany: (model: ModelMeta, scope, ids) => Effect.flatMap(connection.table(model.name), (t) => reads.rowsById(t, scope, ids)),
      write: (model, scope, ops) =>
        Effect.flatMap(connection.table(model.name), (t) =>
          ops.length === 0 ? Effect.succeed([]) : units.writing((layer) => units.applyOps(t, scope, layer, ops))
        ),
      query: (model, scope, query) => Effect.flatMap(connection.table(model.name), (t) => reads.readRows(t, scope, query)),
      count: (model, scope, where) => Effect.flatMap(connection.table(model.name), (t) => reads.countRows(t, scope, where)),
      subtree: (model, scope, start, query) =>
        Effect.gen(function* () {
          const t = yield* connection.table(model.name)
          const hierarchy = t.hierarchy
          if (hierarchy === undefined) return yield* new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` })
          // A root given by id is read first (a key lookup), then its range: two reads, each
          // consistent; inside a unit of work both see its writes.
          let prefix: string
          if ("rootId" in start) {
            const [root] = yield* reads.rowsById(t, scope, [start.rootId])
            if (root === undefined) return []
            prefix = String(root[hierarchy.path])
          } else prefix = start.prefix
          const where: Array<Condition> = [...query.where, { field: hierarchy.path, op: "startsWith", value: prefix }]
          if (query.maxDepth !== undefined) where.push({ field: hierarchy.depth, op: "lte", value: query.maxDepth })
          const { maxDepth: _maxDepth, ...rest } = query
          return yield* reads.readRows(t, scope, { ...rest, where })
        }),
      rewritePrefix: (model, scope, rewrite) =>
        Effect.flatMap(connection.table(model.name), (t) => {
          const hierarchy = t.hierarchy
          if (hierarchy === undefined)
            return Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` }))
          return units.writing((layer) =>
            Effect.gen(function* () {
              yield* units.ensureSeq(layer)
              const rows = yield* reads.readRows(t, scope, {
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
      lockSubtrees: (model) => Effect.asVoid(connection.table(model.name)),
      changesSince: (accountId, after, limit) =>
        Effect.gen(function* () {
          const layered = layeredChanges(yield* units.current)
          const stored = yield* io("reading the change feed", () => readChanges(connection, accountId, after, limit + layered.size))
          if (layered.size === 0) return stored
          return mergeChanges([stored], layered, accountId, after, limit)
        }),
      feedHead: () => io("reading the change feed's head", () => readFeedHead(connection)),
      transaction: units.transaction,
      inspect: (model) =>
        Effect.gen(function* () {
          const t = yield* connection.table(model.name)
          const records = yield* io(`reading ${t.name}`, async () => {
            const all = await promised(connection.database().transaction([t.name], "readonly").objectStore(t.name).getAll())
            return all as ReadonlyArray<StoredRecord>
          })
          const rows = records.map((record): InspectedRow => ({ row: record.r, seq: record.s }))
          return [...rows].sort((a, b) => compareRows(a.row, b.row, [{ field: "id", direction: "asc" }]))
        }),
      explain: (model, scope, query) => Effect.map(connection.table(model.name), (t) => explainRead(t, readScope(t, scope), query)),
      close: connection.close
    }
    return driver
  })
