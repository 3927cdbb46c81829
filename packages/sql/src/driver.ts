/**
 * The one SQL implementation of the store port, on Kysely, shared by the SQLite and PostgreSQL
 * adapters: the port's methods wired to the statement compiler (`compile-*.ts`, `change-feed.ts`,
 * `ddl.ts`), the executor and its transactions (`transactions.ts`), migrations, writes, the
 * hierarchy's locks (`subtree-locks.ts`) and planner statistics. Unique keys are enforced by
 * (partial) unique indexes. Change sequences come from a counter row updated inside the writing
 * transaction (sequences follow commit order), or, where writers run concurrently (PostgreSQL),
 * from a PostgreSQL sequence read by the change feed up to a horizon (see `transactions.ts`).
 * @module
 */
import { type InspectedRow, type Row, StorageError, type StoreCapabilities, type StoreDriver, type StoreQuery, type StoreScope } from "@iaso/core"
import { Effect } from "effect"
import { changeOfRow, compileChangesSince, compileCounterValue } from "./change-feed.ts"
import {
  compileCount,
  compileExists,
  compileGetMany,
  compileInspect,
  compileRewriteCount,
  compileRewritePrefix,
  compileRowLookup,
  compileSelect,
  compileSelects,
  compileSubtree,
  type CompiledSelect,
  leavesOutOnlyAt,
  unitesSelects
} from "./compile-query.ts"
import { compileIncrement } from "./compile-write.ts"
import type { SqlDialect } from "./dialect.ts"
import { makeMigrate } from "./migrations.ts"
import { makeStatisticsRefresh } from "./planner-statistics.ts"
import { rowDecoder, rowsDecoder } from "./rows.ts"
import { makeLockSubtrees } from "./subtree-locks.ts"
import { sequenceDdl } from "./ddl.ts"
import { SEQ, SEQUENCE, type TableInfo } from "./tables.ts"
import { type AnyKysely, horizonNamespace, makeExecutor, type NativeConnection, type SequenceMode } from "./transactions.ts"
import { makeWrite } from "./writes.ts"

/** Options of {@link makeSqlDriver}. */
export interface SqlDriverOptions {
  readonly db: AnyKysely
  readonly dialect: SqlDialect
  readonly capabilities: StoreCapabilities
  /** A native synchronous connection to run statements on (SQLite); Kysely's executor otherwise. */
  readonly native?: NativeConnection
  /**
   * How change sequences are taken (see `transactions.ts`): `counter` (the default), a counter row
   * each writing transaction holds until its commit; `horizon` (PostgreSQL only, for concurrent
   * writers), a PostgreSQL sequence no writer waits for, which the change feed reads up to a
   * horizon below what open transactions hold.
   */
  readonly sequences?: SequenceMode
}

/** Makes the SQL store driver over a Kysely instance. */
export const makeSqlDriver = (options: SqlDriverOptions): StoreDriver => {
  const { db, dialect, capabilities, native } = options
  const tables = new Map<string, TableInfo>()
  const sequence = dialect.table(SEQUENCE)
  const sequences =
    options.sequences === "horizon" ? ({ mode: "horizon", sequence, namespace: horizonNamespace(sequence) } as const) : ({ mode: "counter" } as const)
  const executor = makeExecutor({ db, dialect, native, afterCommit: (inserted) => refreshStatistics(inserted), sequences })
  const refreshStatistics = makeStatisticsRefresh(dialect, executor)
  const { runOrFail, inTransaction, reserveSeqs } = executor

  const table = (name: string): Effect.Effect<TableInfo, StorageError> => {
    const found = tables.get(name)
    return found === undefined
      ? Effect.fail(new StorageError({ reason: "corrupt", retryable: false, message: `no table for ${name}: was the store migrated?` }))
      : Effect.succeed(found)
  }
  const writes = makeWrite(dialect, executor, native, table)
  const hierarchyOf = (info: TableInfo) =>
    info.hierarchy === undefined
      ? Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `${info.name} is not hierarchical` }))
      : Effect.succeed(info.hierarchy)

  /**
   * Runs a listing compiled with the columns it leaves out. Columns wanted on one row only (a page
   * cursor's: `onlyAt`) are read for that row alone on the native connection, in the same read
   * snapshot, and with every row elsewhere; a large first page is read on its own first, and read
   * again so only when that row is there (see {@link leavesOutOnlyAt}).
   */
  const list = (info: TableInfo, scope: StoreScope, query: StoreQuery, compile: (leaveOut: ReadonlyArray<string> | undefined) => CompiledSelect) =>
    Effect.gen(function* () {
      const onlyAt = query.select !== undefined ? query.onlyAt : undefined
      if (onlyAt !== undefined && native !== undefined) {
        const { text, params, columns } = compile(onlyAt.columns)
        if (leavesOutOnlyAt(query)) {
          // Mostly the whole answer: one statement (its own snapshot), no transaction around it.
          const alone = yield* runOrFail({ text, params })
          if (alone.rows[onlyAt.at] === undefined) return rowsDecoder(dialect, info, columns)(alone.rows)
        }
        const [raw, one] = yield* executor.nativeSnapshot(native, () => {
          const rows = native.execute(text, params).rows
          const target = rows[onlyAt.at]
          if (target === undefined) return [rows, undefined] as const
          const lookup = compileRowLookup(dialect, info, scope, target["id"], onlyAt.columns)
          return [rows, native.execute(lookup.text, lookup.params).rows[0]] as const
        })
        const rows = rowsDecoder(dialect, info, columns)(raw)
        const at = rows[onlyAt.at]
        if (at === undefined || one === undefined) return rows
        return rows.with(onlyAt.at, { ...at, ...rowDecoder(dialect, info, onlyAt.columns)(one) })
      }
      if (onlyAt !== undefined && leavesOutOnlyAt(query)) {
        const left = compile(onlyAt.columns)
        const result = yield* runOrFail(left)
        if (result.rows[onlyAt.at] === undefined) return rowsDecoder(dialect, info, left.columns)(result.rows)
      }
      const whole = compile(undefined)
      const result = yield* runOrFail(whole)
      return rowsDecoder(dialect, info, whole.columns)(result.rows)
    })

  return {
    capabilities,
    migrate: makeMigrate(dialect, executor, tables, sequences.mode === "horizon" ? sequenceDdl(dialect, sequence) : []),
    getMany: (model, scope, ids) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        if (ids.length === 0) return []
        const result = yield* runOrFail(compileGetMany(dialect, info, scope, ids))
        return result.rows.map(rowDecoder(dialect, info))
      }),
    exists: (requests) =>
      Effect.gen(function* () {
        const found: Array<Array<string>> = requests.map(() => [])
        const asked: Array<{ readonly at: number; readonly info: TableInfo; readonly scope: StoreScope; readonly ids: ReadonlyArray<string> }> = []
        for (const [at, request] of requests.entries()) {
          if (request.ids.length > 0) asked.push({ at, info: yield* table(request.model.name), scope: request.scope, ids: request.ids })
        }
        if (asked.length === 0) return found
        const result = yield* runOrFail(compileExists(dialect, asked))
        for (const row of result.rows) found[asked[Number(row["r"])]?.at ?? -1]?.push(String(row["id"]))
        return found
      }),
    write: writes.write,
    writeAll: writes.writeAll,
    ...(writes.insertEncoded === undefined ? {} : { insertEncoded: writes.insertEncoded }),
    increment: (model, scope, id, field, by, updatedAt) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        if (!info.columns.some((c) => c.name === field)) {
          return yield* new StorageError({ reason: "unknown", retryable: false, message: `${model.name} has no column ${field}` })
        }
        return yield* inTransaction(
          Effect.gen(function* () {
            const seqs = yield* executor.seqsFor(1)
            if ("first" in seqs || !dialect.rowLocks) {
              const seq = "first" in seqs ? seqs.first : yield* reserveSeqs(1)
              const result = yield* runOrFail(compileIncrement(dialect, info, scope, id, field, by, updatedAt, { seq }))
              const row = result.rows[0]
              return row === undefined ? undefined : Number(row["value"])
            }
            // PostgreSQL: the transaction's block of sequences reserved by the same statement (one round trip less).
            const result = yield* runOrFail(compileIncrement(dialect, info, scope, id, field, by, updatedAt, { block: seqs.block, reserve: seqs.reserve }))
            const row = result.rows[0]
            // No such row: the block reserved is left unused (gaps, which the feed's cursors do not mind).
            if (row === undefined) return undefined
            yield* seqs.keep(Number(row["last"]))
            return Number(row["value"])
          })
        )
      }),
    query: (model, scope, query) =>
      Effect.flatMap(table(model.name), (info) => list(info, scope, query, (leaveOut) => compileSelect(dialect, info, scope, query, { leaveOut }))),
    queryMany: (model, scope, queries) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        if (queries.length < 2 || !unitesSelects(queries)) {
          return yield* Effect.forEach(queries, (query) => list(info, scope, query, (leaveOut) => compileSelect(dialect, info, scope, query, { leaveOut })))
        }
        const whole = compileSelects(dialect, info, scope, queries)
        const result = yield* runOrFail(whole)
        const decode = rowDecoder(dialect, info, whole.columns)
        const found: Array<Array<Row>> = queries.map(() => [])
        for (const { _q, ...raw } of result.rows) found[Number(_q)]?.push(decode(raw))
        return found
      }),
    count: (model, scope, where) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const result = yield* runOrFail(compileCount(dialect, info, scope, where))
        return Number(result.rows[0]?.["n"] ?? 0)
      }),
    subtree: (model, scope, start, query) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const hierarchy = yield* hierarchyOf(info)
        return yield* list(info, scope, query, (leaveOut) => compileSubtree(dialect, info, scope, hierarchy, start, query, leaveOut))
      }),
    rewritePrefix: (model, scope, rewrite) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const hierarchy = yield* hierarchyOf(info)
        return yield* inTransaction(
          Effect.gen(function* () {
            const counted = yield* runOrFail(compileRewriteCount(dialect, info, scope, hierarchy, rewrite.from))
            const n = Number(counted.rows[0]?.["n"] ?? 0)
            if (n === 0) return 0
            const first = yield* reserveSeqs(n)
            yield* runOrFail(compileRewritePrefix(dialect, info, scope, hierarchy, rewrite, first))
            return n
          })
        )
      }),
    lockSubtrees: makeLockSubtrees(dialect, executor, table),
    changesSince: (accountId, after, limit) =>
      Effect.gen(function* () {
        // Up to the horizon, read first where writers take sequences out of commit order.
        const upTo = yield* executor.horizon
        const result = yield* runOrFail(compileChangesSince(dialect, tables.values(), accountId, after, limit, upTo))
        return result.rows.map(changeOfRow)
      }),
    // The horizon where writers take sequences out of commit order (what a reader of the feed
    // reaches); the counter row's committed value where they take them in commit order.
    feedHead: () =>
      Effect.gen(function* () {
        const horizon = yield* executor.horizon
        if (horizon !== undefined) return horizon
        const result = yield* runOrFail(compileCounterValue(dialect))
        return Number(result.rows[0]?.["value"] ?? 0)
      }),
    transaction: executor.transaction,
    inTransaction: executor.insideTransaction,
    inspect: (model) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const result = yield* runOrFail(compileInspect(dialect, info))
        const decode = rowDecoder(dialect, info)
        return result.rows.map((raw): InspectedRow => ({ row: decode(raw), seq: Number(raw[SEQ]) }))
      })
  }
}
