/**
 * The one SQL implementation of the store port, on Kysely, shared by the SQLite and PostgreSQL
 * adapters. The SQL comes from the statement compiler (`compile-*.ts`, `change-feed.ts`,
 * `ddl.ts`); unique keys are enforced by (partial) unique indexes; the change sequence is a
 * counter row updated inside the writing transaction, so sequences follow commit order.
 * @module
 */
import {
  type Change,
  type InspectedRow,
  type Migration,
  type ModelMeta,
  type Row,
  StorageError,
  type StoreCapabilities,
  type StoreDriver,
  type StoreQuery,
  type StoreScope,
  Unsupported,
  type WriteOp,
  type WriteOutcome
} from "@iaso/core"
import { Context, Effect, Exit, Semaphore } from "effect"
import { CompiledQuery, type Kysely } from "kysely"
import { changeOfRow, compileChangesSince, compileClearTombstones, compileDropLiveEntries, compileTombstones } from "./change-feed.ts"
import { type Compiled, plain, Statement } from "./compile-conditions.ts"
import {
  compileCount,
  compileGetMany,
  compileInspect,
  compileLockRows,
  compileRewriteCount,
  compileRewritePrefix,
  compileRowLookup,
  compileSelect,
  compileSubtree,
  type CompiledSelect
} from "./compile-query.ts"
import { compileDelete, compileInsert, compileInsertEach, compileReserveSeqs, compileUpdate, compileVersionProbe, insertBatch } from "./compile-write.ts"
import { bootstrapDdl, seqIndexDdl, stepDdl } from "./ddl.ts"
import { type Classified, quote, type SqlDialect } from "./dialect.ts"
import { rowDecoder } from "./rows.ts"
import { LEDGER, learnStep, SEQ, type TableInfo } from "./tables.ts"

export { codePointUpperBound } from "./compile-conditions.ts"

/** The driver's own migration that moved the change feed onto the rows' sequences. */
const FEED_ON_ROWS = "sql_0001_change_feed_on_rows"
/**
 * The SQL driver's own migrations, recorded in the ledger after the core's (so an older SDK, which
 * does not know them, refuses the database instead of misreading it).
 */
export const SQL_INTERNAL_MIGRATIONS: ReadonlyArray<string> = [FEED_ON_ROWS]
/** Change sequences a transaction reserves at once (one counter update for its next writes). */
const SEQ_BLOCK = 32
/** Statistics are refreshed after commits that grew a table by at least this many rows... */
const ANALYZE_MIN_ROWS = 1000
/** ...and by at least this share of its size. */
const ANALYZE_SHARE = 0.1
/** The statistics target of those refreshes (PostgreSQL samples 300 rows per unit). */
const ANALYZE_TARGET = 10

/** A Kysely instance of any schema (the SQL is built here, not typed by Kysely). */
// biome-ignore lint: dynamic schema
export type AnyKysely = Kysely<any>

interface TxState {
  /** The Kysely transaction, or `undefined` on a native connection (statements go to it directly). */
  readonly trx: AnyKysely | undefined
  /** Rows inserted per table by this transaction (statistics upkeep after commit). */
  readonly inserted: Map<string, number>
  /** Change sequences this transaction reserved and has not used yet: [next, end). */
  seqNext: number
  seqEnd: number
}

/** What a statement returned: its rows, and for writes the number of rows they touched. */
export interface StatementResult {
  readonly rows: ReadonlyArray<Record<string, unknown>>
  readonly numAffectedRows?: bigint
}

/**
 * A synchronous connection (better-sqlite3) the driver may run statements on directly, with
 * prepared statements cached by their text, instead of going through Kysely's per-query
 * preparation. Statements outside a transaction wait for any open transaction on the connection.
 */
export interface NativeConnection {
  readonly execute: (text: string, params: ReadonlyArray<unknown>) => StatementResult
}

/** The current transaction of each SQL store in this fiber. */
const CurrentTx = Context.Reference<ReadonlyMap<object, TxState>>("@iaso/sql/CurrentTx", { defaultValue: () => new Map() })

/** Options of {@link makeSqlDriver}. */
export interface SqlDriverOptions {
  readonly db: AnyKysely
  readonly dialect: SqlDialect
  readonly capabilities: StoreCapabilities
  /** A native synchronous connection to run statements on (SQLite); Kysely's executor otherwise. */
  readonly native?: NativeConnection
}

type Insert = Extract<WriteOp, { kind: "insert" }>

/** Makes the SQL store driver over a Kysely instance. */
export const makeSqlDriver = (options: SqlDriverOptions): StoreDriver => {
  const { db, dialect, capabilities, native } = options
  /** Held for the whole of a transaction on a native connection; statements outside one take it briefly. */
  const nativeLock = Semaphore.makeUnsafe(1)
  const identity = {}
  const current = Effect.map(Effect.service(CurrentTx), (txs) => txs.get(identity))
  const tables = new Map<string, TableInfo>()

  const fail = (error: unknown): StorageError => {
    const classified = dialect.classify(error)
    return classified instanceof StorageError
      ? classified
      : new StorageError({ reason: "constraint", retryable: false, message: `unique constraint refused the write (${classified.constraint ?? classified.columns.join(", ")})`, cause: error })
  }

  /** Runs synchronous work on the native connection: at once inside a transaction, else holding the connection. */
  const onNative = <A>(state: TxState | undefined, work: Effect.Effect<A, unknown>) => (state === undefined ? nativeLock.withPermits(1)(work) : work)

  /** Runs one statement on the current transaction (or the pool). */
  const run = (statement: Compiled): Effect.Effect<StatementResult, unknown> =>
    Effect.flatMap(current, (state) => {
      if (native !== undefined) return onNative(state, Effect.try({ try: () => native.execute(statement.text, statement.params), catch: (error) => error }))
      const exec = state?.trx ?? db
      return Effect.tryPromise({
        try: () => exec.executeQuery<Record<string, unknown>>(CompiledQuery.raw(statement.text, [...statement.params])),
        catch: (error) => error
      })
    })

  /** Runs one statement once per parameter list (a native connection runs its prepared statement in a loop). */
  const runEach = (text: string, paramLists: ReadonlyArray<ReadonlyArray<unknown>>): Effect.Effect<void, unknown> =>
    native === undefined
      ? Effect.forEach(paramLists, (params) => run({ text, params }), { discard: true })
      : Effect.flatMap(current, (state) =>
          onNative(
            state,
            Effect.try({
              try: () => {
                for (const params of paramLists) native.execute(text, params)
              },
              catch: (error) => error
            })
          )
        )

  const runOrFail = (statement: Compiled) => Effect.mapError(run(statement), fail)

  const table = (name: string): Effect.Effect<TableInfo, StorageError> => {
    const found = tables.get(name)
    return found === undefined
      ? Effect.fail(new StorageError({ reason: "corrupt", retryable: false, message: `no table for ${name}: was the store migrated?` }))
      : Effect.succeed(found)
  }
  const hierarchyOf = (info: TableInfo) =>
    info.hierarchy === undefined ? Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `${info.name} is not hierarchical` })) : Effect.succeed(info.hierarchy)

  // --- transactions ------------------------------------------------------------------------------
  /** Ends a top-level transaction: commits after success (rolling back when the commit fails), rolls back after a failure. */
  const finish = <A, E>(exit: Exit.Exit<A, E>, commit: Effect.Effect<unknown, StorageError>, rollback: Effect.Effect<unknown, StorageError>) =>
    Effect.gen(function* () {
      if (Exit.isSuccess(exit)) {
        const committed = yield* Effect.exit(commit)
        if (Exit.isSuccess(committed)) return exit.value
        yield* Effect.ignore(rollback)
        return yield* Effect.failCause(committed.cause)
      }
      yield* Effect.ignore(rollback)
      return yield* exit
    })

  let savepoints = 0
  /**
   * Runs `effect` in a new savepoint, released after a success; after a failure, `undo` runs the
   * rollback to it and its release.
   */
  const inSavepoint = <A, E, R>(effect: Effect.Effect<A, E, R>, undo: (text: string) => Effect.Effect<unknown, StorageError>) =>
    Effect.gen(function* () {
      savepoints += 1
      const name = `sp_${savepoints}`
      yield* runOrFail(plain(`SAVEPOINT ${name}`))
      const exit = yield* Effect.exit(effect)
      if (Exit.isSuccess(exit)) yield* runOrFail(plain(`RELEASE SAVEPOINT ${name}`))
      else {
        yield* undo(`ROLLBACK TO SAVEPOINT ${name}`)
        yield* undo(`RELEASE SAVEPOINT ${name}`)
      }
      return exit
    })

  const transaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const txs = yield* Effect.service(CurrentTx)
        const state = txs.get(identity)
        if (state !== undefined) {
          // Nested: a savepoint of the enclosing transaction.
          const exit = yield* inSavepoint(restore(effect), (text) => Effect.ignore(run(plain(text))))
          if (Exit.isSuccess(exit)) return exit.value
          // Sequences reserved inside the savepoint went back to the counter: none may be used.
          state.seqNext = state.seqEnd
          return yield* exit
        }
        if (native !== undefined) {
          // One connection: hold it for the whole transaction.
          yield* restore(nativeLock.take(1))
          const body = Effect.gen(function* () {
            yield* Effect.try({ try: () => native.execute("BEGIN", []), catch: fail })
            const next = new Map(txs)
            next.set(identity, { trx: undefined, inserted: new Map(), seqNext: 0, seqEnd: 0 })
            const exit = yield* Effect.exit(restore(Effect.provideService(effect, CurrentTx, next)))
            return yield* finish(
              exit,
              Effect.try({ try: () => native.execute("COMMIT", []), catch: fail }),
              Effect.try({ try: () => native.execute("ROLLBACK", []), catch: fail })
            )
          })
          return yield* Effect.ensuring(body, nativeLock.release(1))
        }
        const trx = yield* Effect.tryPromise({ try: () => db.startTransaction().execute(), catch: fail })
        const top: TxState = { trx, inserted: new Map(), seqNext: 0, seqEnd: 0 }
        const next = new Map(txs)
        next.set(identity, top)
        const exit = yield* Effect.exit(restore(Effect.provideService(effect, CurrentTx, next)))
        const value = yield* finish(
          exit,
          Effect.tryPromise({ try: () => trx.commit().execute(), catch: fail }),
          Effect.tryPromise({ try: () => trx.rollback().execute(), catch: fail })
        )
        if (top.inserted.size > 0) yield* refreshStatistics(top.inserted)
        return value
      })
    )

  /** Runs `effect` in the current transaction, or in a new one. */
  const inTransaction = <A, E>(effect: Effect.Effect<A, E>) => Effect.flatMap(current, (state) => (state !== undefined ? effect : transaction(effect)))

  // --- planner statistics ---------------------------------------------------------------------------
  /** Rows inserted per table since this driver last analysed it, and the table's size then. */
  const sinceAnalyze = new Map<string, { inserted: number; size: number | undefined }>()
  const statistics = dialect.statistics
  /**
   * After a commit, refreshes the planner statistics of the tables it grew by a large share (at
   * least 1,000 rows and a tenth of the table), as autovacuum would a minute later: an import
   * followed at once by queries would otherwise be planned on the empty table's estimates (a
   * subtree query sorted a bitmap scan instead of walking the ordered path index: 2.1 ms against
   * 0.6 ms for 1,250 rows). A quick sample (statistics target 10: 3,000 rows, about 25 ms where
   * the default target took 370 ms on 50k org units) gives the planner the table's size and the
   * spread of its keys; autovacuum's own analyses replace it as the table changes. Best effort:
   * the commit has succeeded whatever happens here.
   */
  const refreshStatistics = (inserted: ReadonlyMap<string, number>): Effect.Effect<void> => {
    if (statistics === undefined) return Effect.void
    /** The planner's estimate of a table's rows (0 when it was never analysed). */
    const estimatedRows = (name: string) =>
      Effect.map(runOrFail({ text: statistics.estimatedRows, params: [quote(name)] }), (result) => Math.max(0, Number(result.rows[0]?.["reltuples"] ?? 0)))
    return Effect.ignore(
      Effect.gen(function* () {
        for (const [name, n] of inserted) {
          const entry = sinceAnalyze.get(name) ?? { inserted: 0, size: undefined }
          sinceAnalyze.set(name, entry)
          entry.inserted += n
          if (entry.inserted < ANALYZE_MIN_ROWS) continue
          if (entry.size === undefined) entry.size = yield* estimatedRows(name)
          if (entry.inserted < entry.size * ANALYZE_SHARE) continue
          yield* transaction(Effect.forEach(statistics.refresh(name, ANALYZE_TARGET), (text) => runOrFail(plain(text)), { discard: true }))
          entry.size = yield* estimatedRows(name)
          entry.inserted = 0
        }
      })
    )
  }
  /** Counts rows a transaction inserted into a table. */
  const noteInserted = (name: string, n: number) =>
    Effect.map(current, (state) => {
      const inserted = state?.inserted
      if (inserted !== undefined) inserted.set(name, (inserted.get(name) ?? 0) + n)
    })

  // --- reads ---------------------------------------------------------------------------------------
  /**
   * Runs a listing compiled with the columns it leaves out. On the native connection, columns
   * wanted on one row only are read for that row alone, in the same read snapshot.
   */
  const list = (info: TableInfo, scope: StoreScope, query: StoreQuery, compile: (leaveOut: ReadonlyArray<string> | undefined) => CompiledSelect) =>
    Effect.gen(function* () {
      const onlyAt = native !== undefined && query.select !== undefined ? query.onlyAt : undefined
      const { text, params, columns } = compile(onlyAt?.columns)
      if (onlyAt === undefined || native === undefined) {
        const result = yield* runOrFail({ text, params })
        return result.rows.map(rowDecoder(dialect, info, columns))
      }
      const [raw, one] = yield* nativeSnapshot(native, () => {
        const rows = native.execute(text, params).rows
        const target = rows[onlyAt.at]
        if (target === undefined) return [rows, undefined] as const
        const lookup = compileRowLookup(dialect, info, scope, target["id"], onlyAt.columns)
        return [rows, native.execute(lookup.text, lookup.params).rows[0]] as const
      })
      const rows = raw.map(rowDecoder(dialect, info, columns))
      const at = rows[onlyAt.at]
      if (at !== undefined && one !== undefined) rows[onlyAt.at] = { ...at, ...rowDecoder(dialect, info, onlyAt.columns)(one) }
      return rows
    })

  /**
   * Runs synchronous statements on the native connection in one read snapshot: inside the
   * current transaction, or in a transaction of their own holding the connection.
   */
  const nativeSnapshot = <A>(connection: NativeConnection, f: () => A): Effect.Effect<A, StorageError> =>
    Effect.flatMap(current, (state) => {
      if (state !== undefined) return Effect.try({ try: f, catch: fail })
      return nativeLock.withPermits(1)(
        Effect.try({
          try: () => {
            connection.execute("BEGIN", [])
            try {
              return f()
            } finally {
              connection.execute("COMMIT", [])
            }
          },
          catch: fail
        })
      )
    })

  // --- sequences -------------------------------------------------------------------------------------
  /** Reserves `n` change sequences; returns the first. Locks the counter row until commit (commit order). */
  const reserveSeqs = (n: number) =>
    Effect.gen(function* () {
      // A transaction reserves a block at its first write and takes later sequences from it: it
      // holds the counter row until it ends, so they still follow commit order (unused ones are
      // gaps, which the feed's cursors do not mind).
      const state = yield* current
      if (state !== undefined && state.seqEnd - state.seqNext >= n) {
        const first = state.seqNext
        state.seqNext += n
        return first
      }
      const block = state === undefined ? n : Math.max(n, SEQ_BLOCK)
      const result = yield* runOrFail(compileReserveSeqs(dialect, block))
      const last = Number(result.rows[0]?.["value"])
      const first = last - block + 1
      if (state !== undefined) {
        state.seqNext = first + n
        state.seqEnd = last + 1
      }
      return first
    })

  // --- writes --------------------------------------------------------------------------------------
  /** The name of the unique key that refused a write: the constraint's, or the unique index on the refused columns. */
  const duplicateName = (info: TableInfo, duplicate: Exclude<Classified, StorageError>): string => {
    if (duplicate.constraint !== undefined) return duplicate.constraint
    const columns = duplicate.columns.join(",")
    if (columns === "id") return "id"
    return info.uniques.find((u) => u.fields.join(",") === columns)?.name ?? (columns === "" ? "unknown" : columns)
  }

  /** Runs `effect` in a savepoint; a unique violation rolls back to it and is returned as a value. */
  const attempt = <A>(effect: Effect.Effect<A, unknown>) =>
    Effect.gen(function* () {
      const exit = yield* inSavepoint(effect, (text) => runOrFail(plain(text)))
      if (Exit.isSuccess(exit)) return { _tag: "Done" as const, value: exit.value }
      const error = exit.cause.reasons.find((r) => r._tag === "Fail")
      const cause = error?._tag === "Fail" ? error.error : undefined
      const classified = dialect.classify(cause)
      if (classified instanceof StorageError) return yield* Effect.fail(classified)
      return { _tag: "Duplicate" as const, duplicate: classified }
    })

  /** Inserts rows: on a native connection a prepared single-row statement run once per row (SQLite's fastest insert path). */
  const insertRows = (info: TableInfo, rows: ReadonlyArray<Row>, firstSeq: number): Effect.Effect<unknown, unknown> => {
    if (native === undefined) return run(compileInsert(dialect, info, rows, firstSeq))
    const each = compileInsertEach(dialect, info, rows, firstSeq)
    return runEach(each.text, each.paramLists)
  }

  /** A run of inserts: one multi-row statement; on a unique violation, row by row. */
  const insertRun = (info: TableInfo, run: ReadonlyArray<Insert>, firstSeq: number, outcomes: Array<WriteOutcome>, at: number) =>
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
      if (reused.length > 0) yield* runOrFail(compileClearTombstones(dialect, info, reused))
    })

  /** An update or a delete; a deletion's tombstone is added to `changes`. */
  const change = (info: TableInfo, scope: StoreScope, op: Exclude<WriteOp, Insert>, seq: number, changes: Array<Change>) =>
    Effect.gen(function* () {
      const id = op.kind === "delete" ? op.id : String(op.row["id"])
      const statement = op.kind === "update" ? compileUpdate(dialect, info, scope, op.row, op.expectedVersion, seq) : compileDelete(dialect, info, scope, id, op.expectedVersion)
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
              yield* insertRun(info, ops.slice(i, j) as ReadonlyArray<Insert>, firstSeq, outcomes, i)
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

  // --- migrations ----------------------------------------------------------------------------------
  /** Records an applied migration in the ledger. */
  const ledgerEntry = (id: string): Compiled => {
    const stmt = new Statement(dialect)
    return stmt.done(`INSERT INTO ${quote(LEDGER)} (id, applied_at) VALUES (${stmt.param(id)}, ${stmt.param(Date.now())})`)
  }

  const migrate = (migrations: ReadonlyArray<Migration>) =>
    Effect.gen(function* () {
      yield* transaction(Effect.forEach(bootstrapDdl(dialect), (text) => runOrFail(plain(text)), { discard: true }))
      const ledger = yield* runOrFail(plain(`SELECT id FROM ${quote(LEDGER)} ORDER BY id`))
      const applied = new Set(ledger.rows.map((row) => String(row["id"])))
      const known = new Set([...migrations.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
      const unknown = [...applied].filter((id) => !known.has(id))
      if (unknown.length > 0) {
        return yield* new Unsupported({ message: `this database was migrated by a newer version of the SDK (unknown migrations: ${unknown.join(", ")})` })
      }
      tables.clear()
      const done: Array<string> = []
      for (const migration of migrations) {
        if (applied.has(migration.id)) {
          for (const step of migration.steps) learnStep(tables, step)
          continue
        }
        yield* transaction(
          Effect.gen(function* () {
            for (const step of migration.steps) {
              if (step.op !== "createIndex") learnStep(tables, step)
              for (const text of stepDdl(dialect, step, tables.get(step.model))) yield* runOrFail(plain(text))
              if (step.op === "createIndex") learnStep(tables, step)
            }
            yield* runOrFail(ledgerEntry(migration.id))
          })
        )
        done.push(migration.id)
      }
      // The driver's own: the change feed read from the rows (live entries of the changes table
      // dropped, global tables given a sequence index; account tables always had one).
      if (!applied.has(FEED_ON_ROWS)) {
        yield* transaction(
          Effect.gen(function* () {
            yield* runOrFail(compileDropLiveEntries(dialect))
            for (const info of tables.values()) if (info.scope === "global") yield* runOrFail(plain(seqIndexDdl(info.name, "global", "IF NOT EXISTS ")))
            yield* runOrFail(ledgerEntry(FEED_ON_ROWS))
          })
        )
      }
      return done
    })

  // --- the port ------------------------------------------------------------------------------------
  return {
    capabilities,
    migrate,
    getMany: (model, scope, ids) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        if (ids.length === 0) return []
        const result = yield* runOrFail(compileGetMany(dialect, info, scope, ids))
        return result.rows.map(rowDecoder(dialect, info))
      }),
    write,
    query: (model, scope, query) =>
      Effect.flatMap(table(model.name), (info) => list(info, scope, query, (leaveOut) => compileSelect(dialect, info, scope, query, { leaveOut }))),
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
    lockSubtrees: (model, scope, paths) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        if (!dialect.rowLocks) return
        // Lock every unit named in the paths (the units and all their ancestors), in id order: two
        // moves that could form a cycle always share one of these rows, so they serialise.
        const ids = [...new Set(paths.flatMap((path) => path.split("/").filter((id) => id.length > 0)))].sort()
        if (ids.length === 0) return
        yield* runOrFail(compileLockRows(dialect, info, scope, ids))
      }),
    changesSince: (accountId, after, limit) =>
      Effect.gen(function* () {
        const result = yield* runOrFail(compileChangesSince(dialect, tables.values(), accountId, after, limit))
        return result.rows.map(changeOfRow)
      }),
    transaction,
    inspect: (model) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const result = yield* runOrFail(compileInspect(info))
        const decode = rowDecoder(dialect, info)
        return result.rows.map((raw): InspectedRow => ({ row: decode(raw), seq: Number(raw[SEQ]) }))
      })
  }
}
