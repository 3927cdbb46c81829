/**
 * The store's `write`: runs of inserts as multi-row statements (row by row after a unique
 * violation, so that only the refused rows are reported; a few rows over the network in one
 * statement that skips the refused ones, without a savepoint), updates and deletes guarded by their
 * expected versions, each in a savepoint; sequences reserved for the whole call; tombstones
 * recorded for deletions and cleared for ids written again.
 * @module
 */
import { type Change, type EncodedRows, type ModelMeta, type Row, StorageError, type StoreScope, type WriteOp, type WriteOutcome } from "@iaso/core"
import { Effect } from "effect"
import { compileClearTombstones, compileTombstones } from "./change-feed.ts"
import {
  compileDelete,
  compileInsert,
  compileInsertAll,
  compileInsertEach,
  compileInsertEncoded,
  compileUpdate,
  compileVersionProbe,
  insertBatch
} from "./compile-write.ts"
import type { SqlDialect } from "./dialect.ts"
import type { TableInfo } from "./tables.ts"
import type { Duplicate, Executor, NativeConnection } from "./transactions.ts"

type Insert = Extract<WriteOp, { kind: "insert" }>

/** Runs of inserts up to this many rows go without a savepoint over the network (see `insertRun`). */
const FEW_ROWS = 64

/** The name of the unique key that refused a write: the constraint's, or the unique index on the refused columns. */
const duplicateName = (info: TableInfo, duplicate: Duplicate): string => {
  if (duplicate.constraint !== undefined) return duplicate.constraint
  const columns = duplicate.columns.join(",")
  if (columns === "id") return "id"
  return info.uniques.find((u) => u.fields.join(",") === columns)?.name ?? (columns === "" ? "unknown" : columns)
}

/** Makes the store's `write` and `writeAll` over an executor; `table` finds a model's table. */
export const makeWrite = (
  dialect: SqlDialect,
  executor: Executor,
  native: NativeConnection | undefined,
  table: (name: string) => Effect.Effect<TableInfo, StorageError>
) => {
  const { run, runEach, runOrFail, attempt, inTransaction, reserveSeqs, seqsFor, noteInserted } = executor

  /** Inserts rows: on a native connection a prepared single-row statement run once per row (SQLite's fastest insert path). */
  const insertRows = (info: TableInfo, rows: ReadonlyArray<Row>, firstSeq: number): Effect.Effect<unknown, unknown> => {
    if (native === undefined) return run(compileInsert(dialect, info, rows, firstSeq))
    const each = compileInsertEach(dialect, info, rows, firstSeq)
    return runEach(each.text, each.paramLists)
  }

  /**
   * The outcomes of a run of inserts made by a statement that skipped the rows a unique key refused
   * (`written`: the sequences of the rows it wrote, the run's from `firstSeq`): each skipped row is
   * tried again alone, in a savepoint, to name the key (or written, when the key is free by now).
   * Clears the account's tombstones of the ids written again.
   */
  const settleSkipping = (
    info: TableInfo,
    scope: StoreScope,
    run: ReadonlyArray<Insert>,
    firstSeq: number,
    written: ReadonlySet<number>,
    outcomes: Array<WriteOutcome>,
    at: number
  ) =>
    Effect.gen(function* () {
      const reused: Array<string> = []
      let inserted = 0
      for (let k = 0; k < run.length; k++) {
        const op = run[k] as Insert
        const seq = firstSeq + k
        const one = written.has(seq) ? ({ _tag: "Done" } as const) : yield* attempt(insertRows(info, [op.row], seq))
        if (one._tag === "Done") {
          inserted += 1
          outcomes[at + k] = { _tag: "Written", seq }
          if (op.fresh !== true) reused.push(String(op.row["id"]))
        } else outcomes[at + k] = { _tag: "Duplicate", constraint: duplicateName(info, one.duplicate) }
      }
      yield* noteInserted(info.name, inserted)
      if (reused.length > 0) yield* runOrFail(compileClearTombstones(dialect, info, scope, reused))
    })

  /** A run of inserts: one multi-row statement; on a unique violation, row by row. Clears the account's tombstones of the ids written again. */
  const insertRun = (info: TableInfo, scope: StoreScope, run: ReadonlyArray<Insert>, firstSeq: number, outcomes: Array<WriteOutcome>, at: number) =>
    Effect.gen(function* () {
      const rows = run.map((o) => o.row)
      // Ids written again lose their tombstones (ids the SDK has just made never had one).
      const reused: Array<string> = []
      if (native === undefined && run.length <= FEW_ROWS) {
        // A few rows over the network: one statement that leaves out the rows a unique key
        // refuses (no savepoint round trips); only those are tried again, one by one, to name the
        // key. (Large runs keep the savepoint: two statements are nothing beside thousands of
        // rows, and a plain insert skips the speculative insertion `ON CONFLICT` makes per row.)
        const result = yield* runOrFail(compileInsert(dialect, info, rows, firstSeq + at, true))
        yield* settleSkipping(info, scope, run, firstSeq + at, new Set(result.rows.map((row) => Number(row["seq"]))), outcomes, at)
        return
      }
      const bulk = yield* attempt(insertRows(info, rows, firstSeq + at))
      if (bulk._tag === "Done") {
        yield* noteInserted(info.name, rows.length)
        run.forEach((op, k) => {
          outcomes[at + k] = { _tag: "Written", seq: firstSeq + at + k }
          if (op.fresh !== true) reused.push(String(op.row["id"]))
        })
      } else {
        for (let k = 0; k < run.length; k++) {
          const op = run[k] as Insert
          const one = yield* attempt(insertRows(info, [op.row], firstSeq + at + k))
          if (one._tag === "Done") {
            outcomes[at + k] = { _tag: "Written", seq: firstSeq + at + k }
            if (op.fresh !== true) reused.push(String(op.row["id"]))
          } else outcomes[at + k] = { _tag: "Duplicate", constraint: duplicateName(info, one.duplicate) }
        }
      }
      if (reused.length > 0) yield* runOrFail(compileClearTombstones(dialect, info, scope, reused))
    })

  /** An update or a delete; a deletion's tombstone is added to `changes`. */
  const change = (info: TableInfo, scope: StoreScope, op: Exclude<WriteOp, Insert>, seq: number, changes: Array<Change>) =>
    Effect.gen(function* () {
      const id = op.kind === "delete" ? op.id : String(op.row["id"])
      const statement =
        op.kind === "update"
          ? compileUpdate(dialect, info, scope, op.row, op.expectedVersion, seq)
          : compileDelete(dialect, info, scope, id, op.expectedVersion)
      const result = yield* attempt(run(statement))
      if (result._tag === "Duplicate") return { _tag: "Duplicate", constraint: duplicateName(info, result.duplicate) } as const
      if (op.kind === "update" ? Number(result.value.numAffectedRows ?? 0n) === 0 : result.value.rows.length === 0) {
        const current = yield* runOrFail(compileVersionProbe(dialect, info, scope, id))
        const row = current.rows[0]
        return row === undefined ? ({ _tag: "Missing" } as const) : ({ _tag: "StaleVersion", actual: Number(row["version"]) } as const)
      }
      const accountId = info.scope === "global" ? null : scope.accountId
      if (op.kind === "delete") changes.push({ seq, model: info.name, id, accountId, deleted: true, version: Number(result.value.rows[0]?.["version"] ?? 0) })
      return { _tag: "Written", seq } as const
    })

  const write = (model: ModelMeta, scope: StoreScope, ops: ReadonlyArray<WriteOp>): Effect.Effect<ReadonlyArray<WriteOutcome>, StorageError> =>
    Effect.gen(function* () {
      const info = yield* table(model.name)
      if (ops.length === 0) return []
      return yield* inTransaction(
        Effect.gen(function* () {
          const firstSeq = yield* reserveSeqs(ops.length)
          const outcomes: Array<WriteOutcome> = new Array(ops.length)
          const changes: Array<Change> = []
          const batch = insertBatch(dialect, info)
          let i = 0
          while (i < ops.length) {
            const op = ops[i]
            if (op === undefined) break
            if (op.kind === "insert") {
              let j = i
              while (j < ops.length && j - i < batch && ops[j]?.kind === "insert") j++
              yield* insertRun(info, scope, ops.slice(i, j) as ReadonlyArray<Insert>, firstSeq, outcomes, i)
              i = j
              continue
            }
            outcomes[i] = yield* change(info, scope, op, firstSeq + i, changes)
            i += 1
          }
          for (const statement of compileTombstones(dialect, changes)) yield* runOrFail(statement)
          return outcomes
        })
      )
    })

  /**
   * The port's `writeAll`: a few inserts into distinct tables over the network in one statement
   * (data-modifying CTEs, PostgreSQL); anything else as `write` calls in one transaction.
   */
  const writeAll = (
    writes: ReadonlyArray<{ readonly model: ModelMeta; readonly scope: StoreScope; readonly ops: ReadonlyArray<WriteOp> }>
  ): Effect.Effect<ReadonlyArray<ReadonlyArray<WriteOutcome>>, StorageError> =>
    Effect.gen(function* () {
      const infos = yield* Effect.forEach(writes, (w) => table(w.model.name))
      const total = writes.reduce((n, w) => n + w.ops.length, 0)
      const oneStatement =
        native === undefined &&
        dialect.rowLocks &&
        total <= FEW_ROWS &&
        new Set(writes.filter((w) => w.ops.length > 0).map((w) => w.model.name)).size === writes.filter((w) => w.ops.length > 0).length &&
        writes.every((w) => w.ops.every((op) => op.kind === "insert"))
      if (total === 0) return writes.map(() => [])
      if (!oneStatement) return yield* inTransaction(Effect.forEach(writes, (w) => write(w.model, w.scope, w.ops)))
      return yield* inTransaction(
        Effect.gen(function* () {
          // The sequences from the transaction's block, else a block reserved by the statement itself
          // (one round trip less): the runs' sequences then count from the block's first.
          const seqs = yield* seqsFor(total)
          const runs: Array<{ readonly info: TableInfo; readonly rows: ReadonlyArray<Row>; readonly firstSeq: number }> = []
          let offset = "first" in seqs ? seqs.first : 0
          const offsets = writes.map((w, i) => {
            const start = offset
            if (w.ops.length > 0) runs.push({ info: infos[i] as TableInfo, rows: w.ops.map((op) => (op as Insert).row), firstSeq: start })
            offset += w.ops.length
            return start
          })
          const result = yield* runOrFail(compileInsertAll(dialect, runs, "first" in seqs ? undefined : seqs))
          let firstSeq = 0
          if (!("first" in seqs)) {
            const last = result.rows.find((row) => row["last"] !== null && row["last"] !== undefined)?.["last"]
            if (last === undefined) return yield* new StorageError({ reason: "unknown", retryable: false, message: "the insert answered no reserved sequence" })
            firstSeq = yield* seqs.keep(Number(last))
          }
          const starts = offsets.map((start) => firstSeq + start)
          const written = new Set(result.rows.flatMap((row) => (row["seq"] === null || row["seq"] === undefined ? [] : [Number(row["seq"])])))
          const all: Array<ReadonlyArray<WriteOutcome>> = []
          for (const [i, w] of writes.entries()) {
            const outcomes: Array<WriteOutcome> = new Array(w.ops.length)
            if (w.ops.length > 0)
              yield* settleSkipping(infos[i] as TableInfo, w.scope, w.ops as ReadonlyArray<Insert>, starts[i] as number, written, outcomes, 0)
            all.push(outcomes)
          }
          return all
        })
      )
    })

  /**
   * The port's `insertEncoded`, where the dialect reads rows out of a JSON text: one statement in
   * a savepoint (a unique violation undoes it: `"Refused"`), then the tombstones of the given ids.
   */
  const jsonRows = dialect.jsonRows
  const insertEncoded =
    jsonRows === undefined
      ? undefined
      : (model: ModelMeta, scope: StoreScope, rows: EncodedRows): Effect.Effect<"Written" | "Refused", StorageError> =>
          Effect.gen(function* () {
            const info = yield* table(model.name)
            if (rows.count === 0) return "Written" as const
            return yield* inTransaction(
              Effect.gen(function* () {
                const firstSeq = yield* reserveSeqs(rows.count)
                const done = yield* attempt(run(compileInsertEncoded(dialect, info, rows, firstSeq, jsonRows)))
                if (done._tag === "Duplicate") return "Refused" as const
                yield* noteInserted(info.name, rows.count)
                if (rows.given.length > 0) yield* runOrFail(compileClearTombstones(dialect, info, scope, rows.given))
                return "Written" as const
              })
            )
          })

  return { write, writeAll, insertEncoded }
}
