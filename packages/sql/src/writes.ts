/**
 * The store's `write`: runs of inserts as multi-row statements (row by row after a unique
 * violation, so that only the refused rows are reported), updates and deletes guarded by their
 * expected versions, each in a savepoint; sequences reserved for the whole call; tombstones
 * recorded for deletions and cleared for ids written again.
 * @module
 */
import type { Change, ModelMeta, Row, StorageError, StoreScope, WriteOp, WriteOutcome } from "@iaso/core"
import { Effect } from "effect"
import { compileClearTombstones, compileTombstones } from "./change-feed.ts"
import { compileDelete, compileInsert, compileInsertEach, compileUpdate, compileVersionProbe, insertBatch } from "./compile-write.ts"
import type { SqlDialect } from "./dialect.ts"
import type { TableInfo } from "./tables.ts"
import type { Duplicate, Executor, NativeConnection } from "./transactions.ts"

type Insert = Extract<WriteOp, { kind: "insert" }>

/** The name of the unique key that refused a write: the constraint's, or the unique index on the refused columns. */
const duplicateName = (info: TableInfo, duplicate: Duplicate): string => {
  if (duplicate.constraint !== undefined) return duplicate.constraint
  const columns = duplicate.columns.join(",")
  if (columns === "id") return "id"
  return info.uniques.find((u) => u.fields.join(",") === columns)?.name ?? (columns === "" ? "unknown" : columns)
}

/** Makes the store's `write` over an executor; `table` finds a model's table. */
export const makeWrite = (
  dialect: SqlDialect,
  executor: Executor,
  native: NativeConnection | undefined,
  table: (name: string) => Effect.Effect<TableInfo, StorageError>
) => {
  const { run, runEach, runOrFail, attempt, inTransaction, reserveSeqs, noteInserted } = executor

  /** Inserts rows: on a native connection a prepared single-row statement run once per row (SQLite's fastest insert path). */
  const insertRows = (info: TableInfo, rows: ReadonlyArray<Row>, firstSeq: number): Effect.Effect<unknown, unknown> => {
    if (native === undefined) return run(compileInsert(dialect, info, rows, firstSeq))
    const each = compileInsertEach(dialect, info, rows, firstSeq)
    return runEach(each.text, each.paramLists)
  }

  /** A run of inserts: one multi-row statement; on a unique violation, row by row. Clears the account's tombstones of the ids written again. */
  const insertRun = (info: TableInfo, scope: StoreScope, run: ReadonlyArray<Insert>, firstSeq: number, outcomes: Array<WriteOutcome>, at: number) =>
    Effect.gen(function* () {
      const rows = run.map((o) => o.row)
      const bulk = yield* attempt(insertRows(info, rows, firstSeq + at))
      // Ids written again lose their tombstones (ids the SDK has just made never had one).
      const reused: Array<string> = []
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

  return (model: ModelMeta, scope: StoreScope, ops: ReadonlyArray<WriteOp>): Effect.Effect<ReadonlyArray<WriteOutcome>, StorageError> =>
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
}
