/**
 * The memory store: the whole store port in memory, with copy-on-write transactions. It is the
 * reference model the other adapters are compared to, and the store for the tests of apps built
 * on the SDK.
 *
 * Committed data lives in per-model tables. A transaction writes into a layer of its own over the
 * committed data (nested transactions stack layers, like savepoints); committing folds the layer
 * into the one below in one synchronous step, rolling back drops it. Transactions (and writes
 * outside one) are serialised by a mutex, so a unit of work never sees another's partial writes;
 * reads outside a transaction see committed data only.
 *
 * The committed data is indexed (see `indexes.ts`): partitioned by account, with equality indexes
 * on the columns of the declared indexes and an ordered index on the hierarchy path. A read
 * inside a transaction takes the committed candidates of those indexes, minus the rows its layers
 * shadow, plus the layers' rows; then it applies the whole query with `engine.ts` as a scan would.
 * @module
 */
import { Context, Effect, Layer, Semaphore } from "effect"
import { StorageError, Unsupported } from "../shared/errors.ts"
import { compareRows, getOrInsert, matchesAll, matchesCondition, project, runQuery, uniqueKeyOf } from "../shared/engine.ts"
import type { IndexDecl, Row } from "../shared/model.ts"
import type { Condition, StoreQuery } from "../shared/query.ts"
import {
  type Change,
  type InspectedRow,
  type Migration,
  type MigrationStep,
  Store,
  type StoreCapabilities,
  type StoreDriver,
  type StoreScope,
  type WriteOp,
  type WriteOutcome
} from "../shared/store.ts"
import { type Entry, IndexedTable } from "./indexes.ts"

interface Table {
  readonly name: string
  readonly scope: "account" | "global"
  readonly hierarchy: { readonly path: string; readonly depth: string } | undefined
  indexes: Array<IndexDecl>
  /** The committed rows and their indexes. */
  readonly data: IndexedTable
  /** index name -> unique key -> id */
  readonly uniques: Map<string, Map<string, string>>
}

interface Committed {
  readonly tables: Map<string, Table>
  /** The latest change of each record, by {@link changeKey}. */
  readonly changes: Map<string, Change>
  /** The same changes partitioned by account (`null`: global catalogues). */
  readonly changesByAccount: Map<string | null, Map<string, Change>>
  seq: number
  readonly ledger: Array<string>
}

/** A transaction's writes over what is below it (`null` = deleted / key freed). */
interface TxLayer {
  readonly below: TxLayer | undefined
  readonly rows: Map<string, Map<string, Entry | null>>
  readonly uniques: Map<string, Map<string, Map<string, string | null>>>
  readonly changes: Map<string, Change>
  seq: number
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

/** The current transaction layer of each memory store in this fiber. */
const CurrentLayers = Context.Reference<ReadonlyMap<object, TxLayer>>("@iaso/core/memory/CurrentLayers", {
  defaultValue: () => new Map()
})

const changeKey = (model: string, id: string): string => `${model}\u0000${id}`

const missingTable = (model: string) =>
  new StorageError({ reason: "corrupt", retryable: false, message: `the memory store has no table for ${model}: was it migrated?` })

/** Makes a memory store driver (not yet migrated). */
export const makeMemoryDriver = (): Effect.Effect<StoreDriver> =>
  Effect.gen(function* () {
    const identity = {}
    const mutex = yield* Semaphore.make(1)
    const committed: Committed = { tables: new Map(), changes: new Map(), changesByAccount: new Map(), seq: 0, ledger: [] }

    const table = (model: string): Effect.Effect<Table, StorageError> => {
      const found = committed.tables.get(model)
      return found === undefined ? Effect.fail(missingTable(model)) : Effect.succeed(found)
    }

    const currentLayer = Effect.map(Effect.service(CurrentLayers), (layers) => layers.get(identity))

    // --- reads through layers -------------------------------------------------------------------
    const lookup = (t: Table, id: string, layer: TxLayer | undefined): Entry | undefined => {
      for (let l = layer; l !== undefined; l = l.below) {
        const rows = l.rows.get(t.name)
        if (rows !== undefined && rows.has(id)) return rows.get(id) ?? undefined
      }
      return t.data.rows.get(id)
    }

    const lookupUnique = (t: Table, index: string, key: string, layer: TxLayer | undefined): string | undefined => {
      for (let l = layer; l !== undefined; l = l.below) {
        const keys = l.uniques.get(t.name)?.get(index)
        if (keys !== undefined && keys.has(key)) return keys.get(key) ?? undefined
      }
      return t.uniques.get(index)?.get(key)
    }

    const inScope = (t: Table, scope: StoreScope, row: Row): boolean =>
      t.scope === "global" || scope.allAccounts === true || row["accountId"] === scope.accountId

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
      const layers: Array<Map<string, Entry | null>> = []
      for (let l: TxLayer | undefined = layer; l !== undefined; l = l.below) {
        const rows = l.rows.get(t.name)
        if (rows !== undefined && rows.size > 0) layers.push(rows)
      }
      const out: Array<Row> = []
      if (layers.length === 0) {
        for (const entry of selection.entries) out.push(entry.row)
        return { rows: out, where: residual }
      }
      const shadowed = (id: string) => layers.some((rows) => rows.has(id))
      for (const entry of selection.entries) if (!shadowed(entry.id)) out.push(entry.row)
      const done = new Set<string>()
      for (const rows of layers) {
        for (const [id, entry] of rows) {
          if (done.has(id)) continue
          done.add(id)
          if (entry === null || !inScope(t, scope, entry.row)) continue
          if (answered === undefined || matchesCondition(entry.row, answered)) out.push(entry.row)
        }
      }
      return { rows: out, where: residual }
    }

    // --- writes into a layer ---------------------------------------------------------------------
    const layerRows = (layer: TxLayer, model: string): Map<string, Entry | null> => getOrInsert(layer.rows, model, () => new Map())

    const layerUniques = (layer: TxLayer, model: string, index: string): Map<string, string | null> =>
      getOrInsert(
        getOrInsert(layer.uniques, model, () => new Map()),
        index,
        () => new Map()
      )

    const uniqueIndexes = (t: Table): ReadonlyArray<IndexDecl> => t.indexes.filter((index) => index.unique === true)

    /** Puts a row (or deletes it when `next` is null) into a layer, maintaining unique keys and the change feed. */
    const put = (t: Table, layer: TxLayer, id: string, previous: Row | undefined, next: Row | null, accountId: string | null): number => {
      layer.seq += 1
      const seq = layer.seq
      for (const index of uniqueIndexes(t)) {
        const before = previous === undefined ? null : uniqueKeyOf(previous, index)
        const after = next === null ? null : uniqueKeyOf(next, index)
        if (before === after) continue
        const keys = layerUniques(layer, t.name, index.name)
        if (before !== null) keys.set(before, null)
        if (after !== null) keys.set(after, id)
      }
      layerRows(layer, t.name).set(id, next === null ? null : { id, row: next, seq })
      const version = next === null ? Number(previous?.["version"] ?? 0) : Number(next["version"])
      layer.changes.set(changeKey(t.name, id), { seq, model: t.name, id, accountId, deleted: next === null, version })
      return seq
    }

    const duplicateOf = (t: Table, row: Row, id: string, layer: TxLayer): string | undefined => {
      for (const index of uniqueIndexes(t)) {
        const key = uniqueKeyOf(row, index)
        if (key === null) continue
        const holder = lookupUnique(t, index.name, key, layer)
        if (holder !== undefined && holder !== id) return index.name
      }
      return undefined
    }

    const applyOp = (t: Table, scope: StoreScope, layer: TxLayer, op: WriteOp): WriteOutcome => {
      const accountId = t.scope === "global" ? null : scope.accountId
      if (op.kind === "insert") {
        const id = String(op.row["id"])
        if (lookup(t, id, layer) !== undefined) return { _tag: "Duplicate", constraint: "id" }
        const duplicate = duplicateOf(t, op.row, id, layer)
        if (duplicate !== undefined) return { _tag: "Duplicate", constraint: duplicate }
        return { _tag: "Written", seq: put(t, layer, id, undefined, op.row, accountId) }
      }
      const id = op.kind === "delete" ? op.id : String(op.row["id"])
      const existing = lookup(t, id, layer)
      if (existing === undefined || !inScope(t, scope, existing.row)) return { _tag: "Missing" }
      const actual = Number(existing.row["version"])
      if (op.kind === "update" || op.expectedVersion !== undefined) {
        const expected = op.kind === "update" ? op.expectedVersion : (op.expectedVersion ?? actual)
        if (expected !== actual) return { _tag: "StaleVersion", actual }
      }
      if (op.kind === "delete") return { _tag: "Written", seq: put(t, layer, id, existing.row, null, accountId) }
      const duplicate = duplicateOf(t, op.row, id, layer)
      if (duplicate !== undefined) return { _tag: "Duplicate", constraint: duplicate }
      return { _tag: "Written", seq: put(t, layer, id, existing.row, op.row, accountId) }
    }

    // --- transactions ----------------------------------------------------------------------------
    const newLayer = (below: TxLayer | undefined): TxLayer => ({
      below,
      rows: new Map(),
      uniques: new Map(),
      changes: new Map(),
      seq: below === undefined ? committed.seq : below.seq
    })

    /** Folds a layer into the one below it, or into the committed tables. */
    const fold = (layer: TxLayer): void => {
      const below = layer.below
      if (below !== undefined) {
        for (const [model, rows] of layer.rows) {
          const target = layerRows(below, model)
          for (const [id, entry] of rows) target.set(id, entry)
        }
        for (const [model, byIndex] of layer.uniques)
          for (const [index, keys] of byIndex) {
            const target = layerUniques(below, model, index)
            for (const [key, id] of keys) target.set(key, id)
          }
        for (const [key, change] of layer.changes) below.changes.set(key, change)
        below.seq = layer.seq
        return
      }
      for (const [model, rows] of layer.rows) {
        const t = committed.tables.get(model)
        if (t === undefined) continue
        for (const [id, entry] of rows) t.data.set(id, entry)
      }
      for (const [model, byIndex] of layer.uniques) {
        const t = committed.tables.get(model)
        if (t === undefined) continue
        for (const [index, keys] of byIndex) {
          let target = t.uniques.get(index)
          if (target === undefined) {
            target = new Map()
            t.uniques.set(index, target)
          }
          for (const [key, id] of keys) {
            // The layer holds each key's final state: freed (null) or taken by an id.
            if (id === null) target.delete(key)
            else target.set(key, id)
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
      committed.seq = layer.seq
    }

    const transaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
      Effect.gen(function* () {
        const layers = yield* Effect.service(CurrentLayers)
        const below = layers.get(identity)
        const run = Effect.suspend(() => {
          const layer = newLayer(below)
          const next = new Map(layers)
          next.set(identity, layer)
          return effect.pipe(
            Effect.provideService(CurrentLayers, next),
            Effect.onExit((exit) =>
              Effect.sync(() => {
                if (exit._tag === "Success") fold(layer)
              })
            )
          )
        })
        return yield* below === undefined ? mutex.withPermits(1)(run) : run
      })

    /** Runs a write against the current layer, or in a transaction of its own outside one. */
    const writing = <A>(f: (layer: TxLayer) => A): Effect.Effect<A, StorageError> =>
      Effect.flatMap(currentLayer, (layer) =>
        layer !== undefined
          ? Effect.sync(() => f(layer))
          : transaction(Effect.flatMap(currentLayer, (inner) => (inner === undefined ? Effect.die("no layer") : Effect.sync(() => f(inner)))))
      )

    // --- migrations ------------------------------------------------------------------------------
    /** Sets a table's declared indexes and derives its memory indexes from them. */
    const declare = (t: Table, indexes: Array<IndexDecl>): void => {
      t.indexes = indexes
      t.data.declare(indexes)
    }

    const applyStep = (step: MigrationStep): Effect.Effect<void, StorageError> => {
      switch (step.op) {
        case "createModel":
          return Effect.sync(() => {
            committed.tables.set(step.model, {
              name: step.model,
              scope: step.scope,
              hierarchy: step.hierarchy,
              indexes: [],
              data: new IndexedTable(step.scope, step.hierarchy?.path),
              uniques: new Map()
            })
          })
        case "addColumn":
          return Effect.asVoid(table(step.model))
        case "createIndex":
          return Effect.flatMap(table(step.model), (t) => {
            declare(t, [...t.indexes.filter((index) => index.name !== step.index.name), step.index])
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
              keys.set(key, entry.id)
            }
            t.uniques.set(step.index.name, keys)
            return Effect.void
          })
        case "dropIndex":
          return Effect.map(table(step.model), (t) => {
            declare(t, t.indexes.filter((index) => index.name !== step.name))
            t.uniques.delete(step.name)
          })
      }
    }

    const migrate = (migrations: ReadonlyArray<Migration>) =>
      Effect.gen(function* () {
        const known = new Set(migrations.map((m) => m.id))
        const unknown = committed.ledger.filter((id) => !known.has(id))
        if (unknown.length > 0) {
          return yield* new Unsupported({
            message: `this store was migrated by a newer version of the SDK (unknown migrations: ${unknown.join(", ")})`
          })
        }
        const applied: Array<string> = []
        for (const migration of migrations) {
          if (committed.ledger.includes(migration.id)) continue
          yield* mutex.withPermits(1)(Effect.forEach(migration.steps, applyStep, { discard: true }))
          committed.ledger.push(migration.id)
          applied.push(migration.id)
        }
        return applied
      })

    // --- the port --------------------------------------------------------------------------------
    const driver: StoreDriver = {
      capabilities,
      migrate,
      getMany: (model, scope, ids) =>
        Effect.gen(function* () {
          const t = yield* table(model.name)
          const layer = yield* currentLayer
          const out: Array<Row> = []
          for (const id of new Set(ids)) {
            const entry = lookup(t, id, layer)
            if (entry !== undefined && inScope(t, scope, entry.row)) out.push(entry.row)
          }
          return out
        }),
      write: (model, scope, ops) =>
        Effect.flatMap(table(model.name), (t) => writing((layer) => ops.map((op) => applyOp(t, scope, layer, op)))),
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
            const root = lookup(t, start.rootId, layer)
            if (root === undefined || !inScope(t, scope, root.row)) return []
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
            const accountId = t.scope === "global" ? null : scope.accountId
            for (const row of targets) {
              const path = String(row[hierarchy.path])
              const next: Row = {
                ...row,
                [hierarchy.path]: rewrite.to + path.slice(rewrite.from.length),
                [hierarchy.depth]: Number(row[hierarchy.depth]) + rewrite.depthDelta,
                version: Number(row["version"]) + 1,
                updatedAt: rewrite.updatedAt
              }
              put(t, layer, String(row["id"]), row, next, accountId)
            }
            return targets.length
          })
        }),
      // Memory transactions are serialised by the mutex: holding it is the lock.
      lockSubtrees: (model) => Effect.asVoid(table(model.name)),
      changesSince: (accountId, after, limit) =>
        Effect.gen(function* () {
          const layer = yield* currentLayer
          // The layers' changes (the topmost wins) shadow the committed ones of the same records.
          const layered = new Map<string, Change>()
          const stack: Array<TxLayer> = []
          for (let l = layer; l !== undefined; l = l.below) stack.unshift(l)
          for (const l of stack) for (const [key, change] of l.changes) layered.set(key, change)
          const out: Array<Change> = []
          const wanted = (change: Change) => change.seq > after && (change.accountId === accountId || change.accountId === null)
          for (const partition of [accountId, null] as const) {
            for (const [key, change] of committed.changesByAccount.get(partition) ?? []) {
              if (!layered.has(key) && wanted(change)) out.push(change)
            }
          }
          for (const change of layered.values()) if (wanted(change)) out.push(change)
          out.sort((a, b) => a.seq - b.seq)
          return out.slice(0, limit)
        }),
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
