/**
 * The memory store: the whole store port in memory, with copy-on-write transactions. It is the
 * reference model the other adapters are compared to, and the store for the tests of apps built
 * on the SDK.
 *
 * Committed data lives in per-model tables. A transaction writes into a layer of its own over the
 * committed data (nested transactions stack layers, like savepoints): the overlay of
 * `../overlay/` decides each write's outcome and keeps the layers; committing folds the outermost
 * layer into the tables in one synchronous step, rolling back drops it. A savepoint's layer counts
 * sequences of its own, so a rolled-back savepoint gives them back. Transactions (and writes
 * outside one) are serialised by a mutex, so a unit of work never sees another's partial writes;
 * reads outside a transaction see committed data only.
 *
 * The committed data is indexed (see `indexes.ts`): partitioned by account, with equality indexes
 * on the columns of the declared indexes and an ordered index on the hierarchy path. A read
 * inside a transaction takes the committed candidates of those indexes, minus the rows its layers
 * shadow, plus the layers' rows; then it applies the whole query with `engine.ts` as a scan would.
 * @module
 */
import { Effect, Semaphore } from "effect"
import {
  find,
  inScope,
  layeredChanges,
  mergeChanges,
  newLayer,
  type OverlayLayer,
  recordKey,
  rowKey,
  type SeqCounter,
  touched,
  writeAccount
} from "../overlay/layers.ts"
import { unitsOfWork } from "../overlay/units.ts"
import { applyWrite, type CommittedData, type OverlayEntries, type OverlayModel, rewritePaths, type UniqueIndex, uniqueIndexes } from "../overlay/writes.ts"
import { StorageError } from "../shared/errors.ts"
import { compareRows, matchesAll, matchesCondition, project, runQuery, uniqueKeyOf } from "../shared/engine.ts"
import { runMigrations } from "../shared/migration-runner.ts"
import { foldStep, type ModelSchema } from "../shared/schema-folding.ts"
import type { Row } from "../shared/model.ts"
import type { Condition, StoreQuery } from "../shared/query.ts"
import { serializedStoreOps } from "../shared/serialized-store-ops.ts"
import type { Change, InspectedRow, Migration, MigrationStep, StoreCapabilities, StoreDriver, StoreScope } from "../shared/store.ts"
import { type Entry, IndexedTable } from "./indexes.ts"

interface Table extends OverlayModel {
  readonly hierarchy: { readonly path: string; readonly depth: string } | undefined
  /** The model as its migrations built it. */
  schema: ModelSchema
  uniques: ReadonlyArray<UniqueIndex>
  /** The committed rows and their indexes. */
  readonly data: IndexedTable
  /** index name -> unique key -> the holder's record key */
  readonly keys: Map<string, Map<string, string>>
  /** What the committed data answers the overlay. */
  readonly committed: CommittedData
}

interface Committed {
  readonly tables: Map<string, Table>
  /** The latest change of each record, by model and record key (the overlay's `changeKey`). */
  readonly changes: Map<string, Change>
  /** The same changes partitioned by account (`null`: global catalogues). */
  readonly changesByAccount: Map<string | null, Map<string, Change>>
  seq: number
  readonly ledger: Array<string>
}

/** A transaction's writes over what is below it (a `null` entry: deleted). */
type TxLayer = OverlayLayer<Entry | null>

/** A layer keeps a record as the memory store commits it: the row with its id and sequence. */
const entries: OverlayEntries<Entry | null> = {
  rowOf: (entry) => (entry === null ? null : entry.row),
  make: (_key, seq, row) => (row === null ? null : { id: String(row["id"]), row, seq })
}

const capabilities: StoreCapabilities = {
  name: "memory",
  persistent: false,
  isolation: "serializable",
  concurrentWriters: false,
  awaitInsideTransaction: true,
  textOrder: "codepoint",
  maxBatchSize: 10_000,
  nativeJson: true,
  nodeOnly: false
}

const missingTable = (model: string) =>
  new StorageError({ reason: "corrupt", retryable: false, message: `the memory store has no table for ${model}: was it migrated?` })

/** Makes a memory store driver (not yet migrated). */
export const makeMemoryDriver = (): Effect.Effect<StoreDriver> =>
  Effect.gen(function* () {
    const units = unitsOfWork<Entry | null, SeqCounter>((below) => ({ seq: below.seq }))
    const mutex = yield* Semaphore.make(1)
    const committed: Committed = { tables: new Map(), changes: new Map(), changesByAccount: new Map(), seq: 0, ledger: [] }

    const table = (model: string): Effect.Effect<Table, StorageError> => {
      const found = committed.tables.get(model)
      return found === undefined ? Effect.fail(missingTable(model)) : Effect.succeed(found)
    }

    const currentLayer = units.current

    // --- reads through layers -------------------------------------------------------------------
    /** The row of `id` in the scope's account (a global catalogue's), through the layers. */
    const lookup = (t: Table, scope: StoreScope, id: string, layer: TxLayer | undefined): Entry | undefined => {
      const key = recordKey(writeAccount(t.scope, scope), id)
      const entry = find(layer, t.name, key)
      return entry === undefined ? t.data.rows.get(key) : (entry ?? undefined)
    }

    /**
     * The visible rows of a scope that may satisfy `where` (a superset of those that do, each
     * once), and the conditions they still have to be tested against: the committed candidates
     * of the table's indexes not shadowed by a layer, then each id's row from the topmost layer
     * that has it. A condition the index answered exactly is tested here on the layers' rows
     * only, and left out of the returned conditions.
     */
    const candidates = (
      t: Table,
      scope: StoreScope,
      layer: TxLayer | undefined,
      where: ReadonlyArray<Condition>
    ): { readonly rows: ReadonlyArray<Row>; readonly where: ReadonlyArray<Condition> } => {
      const selection = t.data.select(scope, where)
      const answered = selection.answered
      const residual = answered === undefined ? where : where.filter((condition) => condition !== answered)
      const layered = touched(layer, t.name)
      const out: Array<Row> = []
      if (layered.size === 0) {
        for (const entry of selection.entries) out.push(entry.row)
        return { rows: out, where: residual }
      }
      for (const entry of selection.entries) if (!layered.has(rowKey(t.scope, entry.row))) out.push(entry.row)
      for (const entry of layered.values()) {
        if (entry === null || !inScope(t.scope, scope, entry.row)) continue
        if (answered === undefined || matchesCondition(entry.row, answered)) out.push(entry.row)
      }
      return { rows: out, where: residual }
    }

    // --- transactions ----------------------------------------------------------------------------
    /** Commits an outermost layer: folds it into the committed tables and change feed. */
    const commit = (layer: TxLayer): void => {
      for (const [model, rows] of layer.rows) {
        const t = committed.tables.get(model)
        if (t === undefined) continue
        for (const [key, entry] of rows) t.data.set(key, entry)
      }
      for (const [model, byIndex] of layer.uniques) {
        const t = committed.tables.get(model)
        if (t === undefined) continue
        for (const [index, keys] of byIndex) {
          let target = t.keys.get(index)
          if (target === undefined) {
            target = new Map()
            t.keys.set(index, target)
          }
          for (const [key, holder] of keys) {
            // The layer holds each key's final state: freed (null) or taken by a record.
            if (holder === null) target.delete(key)
            else target.set(key, holder)
          }
        }
      }
      for (const [key, change] of layer.changes) {
        const previous = committed.changes.get(key)
        if (previous !== undefined && previous.accountId !== change.accountId) committed.changesByAccount.get(previous.accountId)?.delete(key)
        committed.changes.set(key, change)
        let byAccount = committed.changesByAccount.get(change.accountId)
        if (byAccount === undefined) {
          byAccount = new Map()
          committed.changesByAccount.set(change.accountId, byAccount)
        }
        byAccount.set(key, change)
      }
      committed.seq = layer.counter.seq
    }

    const transaction = units.transaction((effect) =>
      mutex.withPermits(1)(
        Effect.suspend(() => {
          const layer: TxLayer = newLayer(undefined, { seq: committed.seq })
          return units.within(layer, effect).pipe(
            Effect.onExit((exit) =>
              Effect.sync(() => {
                if (exit._tag === "Success") commit(layer)
              })
            )
          )
        })
      )
    )

    /** Runs a write against the current layer, or in a transaction of its own outside one. */
    const writing = <A>(f: (layer: TxLayer) => A): Effect.Effect<A, StorageError> => units.writing(transaction, (layer) => Effect.sync(() => f(layer)))

    // --- migrations ------------------------------------------------------------------------------
    const newTable = (schema: ModelSchema): Table => {
      const data = new IndexedTable(schema.scope, schema.hierarchy?.path)
      const keys = new Map<string, Map<string, string>>()
      return {
        name: schema.model,
        scope: schema.scope,
        hierarchy: schema.hierarchy,
        schema,
        uniques: [],
        data,
        keys,
        committed: { exists: (key) => data.rows.has(key), row: (key) => data.rows.get(key)?.row, holder: (index, key) => keys.get(index)?.get(key) }
      }
    }

    /** Sets a table's schema and derives its unique indexes and memory indexes from its declared indexes. */
    const declare = (t: Table, schema: ModelSchema): void => {
      t.schema = schema
      t.uniques = uniqueIndexes(schema.indexes)
      t.data.declare(schema.indexes)
    }

    const applyStep = (step: MigrationStep): Effect.Effect<void, StorageError> =>
      Effect.suspend(() => {
        const t = committed.tables.get(step.model)
        const schema = foldStep(t?.schema, step)
        if (schema === undefined) return Effect.fail(missingTable(step.model))
        if (step.op === "createModel" || t === undefined) {
          committed.tables.set(step.model, newTable(schema))
          return Effect.void
        }
        // The memory store always keys rows by record key (account and id): re-keying only changes the schema.
        if (step.op === "addColumn" || step.op === "keyByAccount") {
          t.schema = schema
          return Effect.void
        }
        declare(t, schema)
        if (step.op === "dropIndex") {
          t.keys.delete(step.name)
          return Effect.void
        }
        if (step.index.unique !== true) return Effect.void
        const keys = new Map<string, string>()
        for (const entry of t.data.rows.values()) {
          const key = uniqueKeyOf(entry.row, step.index)
          if (key === null) continue
          if (keys.has(key)) {
            return Effect.fail(
              new StorageError({ reason: "constraint", retryable: false, message: `cannot create unique index ${step.index.name}: duplicate ${key}` })
            )
          }
          keys.set(key, rowKey(t.scope, entry.row))
        }
        t.keys.set(step.index.name, keys)
        return Effect.void
      })

    const migrate = (migrations: ReadonlyArray<Migration>) =>
      runMigrations(migrations, {
        applied: Effect.sync(() => committed.ledger),
        applyStep,
        applyAndRecord: (migration, steps) =>
          mutex.withPermits(1)(
            Effect.andThen(
              steps,
              Effect.sync(() => {
                committed.ledger.push(migration.id)
              })
            )
          )
      })

    // --- the port --------------------------------------------------------------------------------
    const driver: StoreDriver = {
      capabilities,
      migrate,
      ...serializedStoreOps(
        {
          getMany: (model, scope, ids) => driver.getMany(model, scope, ids),
          query: (model, scope, query) => driver.query(model, scope, query),
          write: (model, scope, ops) => driver.write(model, scope, ops)
        },
        (effect) => transaction(effect)
      ),
      getMany: (model, scope, ids) =>
        Effect.gen(function* () {
          const t = yield* table(model.name)
          const layer = yield* currentLayer
          if (t.scope === "account" && scope.allAccounts === true) {
            // Every account's rows of these ids (host-level reads): a lookup per account would not know the accounts.
            const found = candidates(t, scope, layer, [{ field: "id", op: "in", value: [...new Set(ids)] }])
            return found.rows.filter((row) => matchesAll(row, found.where))
          }
          const out: Array<Row> = []
          for (const id of new Set(ids)) {
            const entry = lookup(t, scope, id, layer)
            if (entry !== undefined && inScope(t.scope, scope, entry.row)) out.push(entry.row)
          }
          return out
        }),
      write: (model, scope, ops) =>
        Effect.flatMap(table(model.name), (t) => writing((layer) => ops.map((op) => applyWrite(layer, t, entries, t.committed, scope, op)))),
      query: (model, scope, query) =>
        Effect.gen(function* () {
          const t = yield* table(model.name)
          const layer = yield* currentLayer
          const found = candidates(t, scope, layer, query.where)
          return runQuery(found.rows, { ...query, where: found.where })
        }),
      count: (model, scope, where: ReadonlyArray<Condition>) =>
        Effect.gen(function* () {
          const t = yield* table(model.name)
          const layer = yield* currentLayer
          let n = 0
          const found = candidates(t, scope, layer, where)
          for (const row of found.rows) if (matchesAll(row, found.where)) n++
          return n
        }),
      subtree: (model, scope, start, query) =>
        Effect.gen(function* () {
          const t = yield* table(model.name)
          if (t.hierarchy === undefined) {
            return yield* new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` })
          }
          const layer = yield* currentLayer
          let prefix: string
          if ("rootId" in start) {
            const root = lookup(t, scope, start.rootId, layer)
            if (root === undefined || !inScope(t.scope, scope, root.row)) return []
            prefix = String(root.row[t.hierarchy.path])
          } else prefix = start.prefix
          const where: Array<Condition> = [...query.where, { field: t.hierarchy.path, op: "startsWith", value: prefix }]
          if (query.maxDepth !== undefined) where.push({ field: t.hierarchy.depth, op: "lte", value: query.maxDepth })
          const storeQuery: StoreQuery = { ...query, where }
          const found = candidates(t, scope, layer, where)
          return runQuery(found.rows, { ...storeQuery, where: found.where })
        }),
      rewritePrefix: (model, scope, rewrite) =>
        Effect.flatMap(table(model.name), (t) => {
          const hierarchy = t.hierarchy
          if (hierarchy === undefined) {
            return Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` }))
          }
          return writing((layer) => {
            const targets: Array<Row> = []
            const subtree: ReadonlyArray<Condition> = [{ field: hierarchy.path, op: "startsWith", value: rewrite.from }]
            for (const row of candidates(t, scope, layer, subtree).rows) {
              const path = row[hierarchy.path]
              if (typeof path === "string" && path.startsWith(rewrite.from) && path !== rewrite.from) targets.push(row)
            }
            return rewritePaths(layer, t, entries, scope, hierarchy, targets, rewrite)
          })
        }),
      // Memory transactions are serialised by the mutex: holding it is the lock.
      lockSubtrees: (model) => Effect.asVoid(table(model.name)),
      changesSince: (accountId, after, limit) =>
        Effect.map(currentLayer, (layer) => {
          const partitions = [accountId, null].map((partition) => committed.changesByAccount.get(partition)?.values() ?? [])
          return mergeChanges(partitions, layeredChanges(layer), accountId, after, limit)
        }),
      // Writers are serialised and a transaction takes its sequences after the last committed one.
      feedHead: () => Effect.sync(() => committed.seq),
      transaction,
      inspect: (model) =>
        Effect.map(table(model.name), (t) => {
          const rows: Array<InspectedRow> = []
          for (const entry of t.data.rows.values()) rows.push({ row: structuredClone(entry.row), seq: entry.seq })
          rows.sort((a, b) => compareRows(a.row, b.row, [{ field: "id", direction: "asc" }]))
          return rows
        })
    }
    return driver
  })

/** Keeps only some columns (re-exported for adapters that evaluate selections in memory). */
export const selectColumns = project

/** Options of {@link MemoryStore.layer}. */
export interface MemoryStoreOptions {
  /** Migrations to apply (default: every migration of the SDK). */
  readonly migrations?: ReadonlyArray<Migration>
}

export { capabilities as memoryCapabilities }
