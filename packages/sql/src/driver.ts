/**
 * The one SQL implementation of the store port, on Kysely, shared by the SQLite and PostgreSQL
 * adapters. Every operator, order, keyset position and limit is pushed into SQL; unique keys are
 * enforced by (partial) unique indexes; the change sequence is a counter row updated inside the
 * writing transaction, so sequences follow commit order.
 * @module
 */
import {
  type Change,
  type Column,
  type ColumnKind,
  type Condition,
  type InspectedRow,
  type Migration,
  type MigrationStep,
  type ModelMeta,
  type OrderBy,
  prefixUpperBound,
  type Row,
  type Scalar,
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
import { type Classified, literal, quote, type SqlDialect } from "./dialect.ts"

/** Internal tables. */
const LEDGER = "_iaso_migrations"
const CHANGES = "_iaso_changes"
const COUNTER = "_iaso_counter"
const SEQ = "_seq"
/** The driver's own migration that moved the change feed onto the rows' sequences. */
const FEED_ON_ROWS = "sql_0001_change_feed_on_rows"
/**
 * The SQL driver's own migrations, recorded in the ledger after the core's (so an older SDK, which
 * does not know them, refuses the database instead of misreading it).
 */
export const SQL_INTERNAL_MIGRATIONS: ReadonlyArray<string> = [FEED_ON_ROWS]
/** Rows per `unnest` insert statement. */
const UNNEST_BATCH = 5000
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
  depth: number
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

interface TableInfo {
  readonly name: string
  readonly scope: "account" | "global"
  readonly columns: ReadonlyArray<Column>
  readonly kinds: ReadonlyMap<string, ColumnKind>
  readonly uniques: ReadonlyArray<{ readonly name: string; readonly fields: ReadonlyArray<string> }>
  readonly hierarchy?: { readonly path: string; readonly depth: string }
}

const kindsOf = (columns: ReadonlyArray<Column>) => new Map(columns.map((c) => [c.name, c.kind]))

/** A statement with its parameters, built with the dialect's placeholders. */
class Statement {
  readonly params: Array<unknown> = []
  private readonly dialect: SqlDialect
  constructor(dialect: SqlDialect) {
    this.dialect = dialect
  }
  /** Adds a parameter and returns its placeholder. */
  param(value: unknown): string {
    this.params.push(value)
    return this.dialect.placeholder(this.params.length)
  }
}

/** Makes the SQL store driver over a Kysely instance. */
export const makeSqlDriver = (options: SqlDriverOptions): StoreDriver => {
  const { db, dialect, capabilities, native } = options
  /** Held for the whole of a transaction on a native connection; statements outside one take it briefly. */
  const nativeLock = Semaphore.makeUnsafe(1)
  const identity = {}
  const tables = new Map<string, TableInfo>()

  const fail = (error: unknown): StorageError => {
    const classified = dialect.classify(error)
    return classified instanceof StorageError
      ? classified
      : new StorageError({ reason: "constraint", retryable: false, message: `unique constraint refused the write (${classified.constraint ?? classified.columns.join(", ")})`, cause: error })
  }

  /** Runs one statement on the current transaction (or the pool). */
  const run = (text: string, params: ReadonlyArray<unknown> = []): Effect.Effect<StatementResult, unknown> =>
    Effect.flatMap(Effect.service(CurrentTx), (txs) => {
      const current = txs.get(identity)
      if (native !== undefined) {
        const statement = Effect.try({ try: () => native.execute(text, params), catch: (error) => error })
        return current === undefined ? nativeLock.withPermits(1)(statement) : statement
      }
      const exec = current?.trx ?? db
      return Effect.tryPromise({
        try: () => exec.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...params])),
        catch: (error) => error
      })
    })

  /** Runs one statement once per parameter list (a native connection runs its prepared statement in a loop). */
  const runEach = (text: string, paramLists: ReadonlyArray<ReadonlyArray<unknown>>): Effect.Effect<void, unknown> =>
    native === undefined
      ? Effect.forEach(paramLists, (params) => run(text, params), { discard: true })
      : Effect.flatMap(Effect.service(CurrentTx), (txs) => {
          const statement = Effect.try({
            try: () => {
              for (const params of paramLists) native.execute(text, params)
            },
            catch: (error) => error
          })
          return txs.has(identity) ? statement : nativeLock.withPermits(1)(statement)
        })

  const runOrFail = (text: string, params: ReadonlyArray<unknown> = []) => Effect.mapError(run(text, params), fail)

  const table = (name: string): Effect.Effect<TableInfo, StorageError> => {
    const found = tables.get(name)
    return found === undefined
      ? Effect.fail(new StorageError({ reason: "corrupt", retryable: false, message: `no table for ${name}: was the store migrated?` }))
      : Effect.succeed(found)
  }

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
  const transaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const txs = yield* Effect.service(CurrentTx)
        const current = txs.get(identity)
        if (current !== undefined) {
          // Nested: a savepoint of the enclosing transaction.
          savepoints += 1
          const name = `sp_${savepoints}`
          yield* runOrFail(`SAVEPOINT ${name}`)
          const exit = yield* Effect.exit(restore(effect))
          if (Exit.isSuccess(exit)) {
            yield* runOrFail(`RELEASE SAVEPOINT ${name}`)
            return exit.value
          }
          yield* Effect.ignore(run(`ROLLBACK TO SAVEPOINT ${name}`))
          yield* Effect.ignore(run(`RELEASE SAVEPOINT ${name}`))
          // Sequences reserved inside the savepoint went back to the counter: none may be used.
          current.seqNext = current.seqEnd
          return yield* exit
        }
        if (native !== undefined) {
          // One connection: hold it for the whole transaction.
          yield* restore(nativeLock.take(1))
          const body = Effect.gen(function* () {
            yield* Effect.try({ try: () => native.execute("BEGIN", []), catch: fail })
            const next = new Map(txs)
            next.set(identity, { trx: undefined, depth: 1, inserted: new Map(), seqNext: 0, seqEnd: 0 })
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
        const state: TxState = { trx, depth: 1, inserted: new Map(), seqNext: 0, seqEnd: 0 }
        const next = new Map(txs)
        next.set(identity, state)
        const exit = yield* Effect.exit(restore(Effect.provideService(effect, CurrentTx, next)))
        const value = yield* finish(
          exit,
          Effect.tryPromise({ try: () => trx.commit().execute(), catch: fail }),
          Effect.tryPromise({ try: () => trx.rollback().execute(), catch: fail })
        )
        if (state.inserted.size > 0) yield* refreshStatistics(state.inserted)
        return value
      })
    )

  // --- planner statistics ---------------------------------------------------------------------------
  /** Rows inserted per table since this driver last analysed it, and the table's size then. */
  const sinceAnalyze = new Map<string, { inserted: number; size: number | undefined }>()
  /**
   * After a commit, refreshes PostgreSQL's planner statistics of the tables it grew by a large
   * share (at least 1,000 rows and a tenth of the table), as autovacuum would a minute later: an
   * import followed at once by queries would otherwise be planned on the empty table's estimates
   * (a subtree query sorted a bitmap scan instead of walking the ordered path index: 2.1 ms
   * against 0.6 ms for 1,250 rows). A quick sample (statistics target 10: 3,000 rows, about
   * 25 ms where the default target took 370 ms on 50k org units) gives the planner the table's
   * size and the spread of its keys; autovacuum's own analyses replace it as the table changes.
   * Best effort: the commit has succeeded whatever happens here.
   */
  const statistics = dialect.statistics
  const refreshStatistics = (inserted: ReadonlyMap<string, number>): Effect.Effect<void> =>
    statistics === undefined
      ? Effect.void
      : Effect.ignore(
          Effect.gen(function* () {
            for (const [name, n] of inserted) {
              const entry = sinceAnalyze.get(name) ?? { inserted: 0, size: undefined }
              sinceAnalyze.set(name, entry)
              entry.inserted += n
              if (entry.inserted < ANALYZE_MIN_ROWS) continue
              if (entry.size === undefined) entry.size = yield* estimatedRows(name)
              if (entry.inserted < entry.size * ANALYZE_SHARE) continue
              yield* transaction(Effect.forEach(statistics.refresh(name, ANALYZE_TARGET), (text) => runOrFail(text), { discard: true }))
              entry.size = yield* estimatedRows(name)
              entry.inserted = 0
            }
          })
        )
  /** The planner's estimate of a table's rows (0 when it was never analysed). */
  const estimatedRows = (name: string) =>
    Effect.map(runOrFail(statistics?.estimatedRows ?? "", [quote(name)]), (result) => Math.max(0, Number(result.rows[0]?.["reltuples"] ?? 0)))
  /** Counts rows a transaction inserted into a table. */
  const noteInserted = (name: string, n: number) =>
    Effect.map(Effect.service(CurrentTx), (txs) => {
      const inserted = txs.get(identity)?.inserted
      if (inserted !== undefined) inserted.set(name, (inserted.get(name) ?? 0) + n)
    })

  /** Runs `f` in the current transaction, or in a new one. */
  const inTransaction = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.flatMap(Effect.service(CurrentTx), (txs) => (txs.has(identity) ? effect : transaction(effect)))

  // --- rows ----------------------------------------------------------------------------------------
  /** A decoder of result rows for these columns, their kinds looked up once. */
  const rowDecoder = (info: TableInfo, columns?: ReadonlyArray<string>): ((raw: Record<string, unknown>) => Row) => {
    const names = columns ?? info.columns.map((c) => c.name)
    const kinds = names.map((name) => info.kinds.get(name) ?? "text")
    const decode = dialect.decode
    const copy = (raw: Record<string, unknown>): Row => {
      const out: Record<string, unknown> = {}
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as string
        const value = raw[name]
        if (value === null || value === undefined) continue
        const decoded = decode(kinds[i] as ColumnKind, value)
        if (decoded !== undefined) out[name] = decoded
      }
      return out
    }
    // Text arrives as strings from both drivers: a row of text columns without NULLs is already in
    // the stored form, and is passed on as the driver built it (subtree listings of ids and names).
    if (!kinds.every((kind) => kind === "text")) return copy
    return (raw) => {
      for (let i = 0; i < names.length; i++) {
        const value = raw[names[i] as string]
        if (value === null || value === undefined) return copy(raw)
      }
      return raw
    }
  }
  const decodeRow = (info: TableInfo, raw: Record<string, unknown>, columns?: ReadonlyArray<string>): Row => rowDecoder(info, columns)(raw)

  const scopeCondition = (info: TableInfo, scope: StoreScope, stmt: Statement, unindexed = false): string =>
    info.scope === "global" || scope.allAccounts === true
      ? "TRUE"
      : `${unindexed ? dialect.unindexed(quote("accountId")) : quote("accountId")} = ${stmt.param(scope.accountId)}`

  // --- conditions, order, keyset -------------------------------------------------------------------
  /** How values appear in SQL: bound parameters (queries) or literals (partial index predicates). */
  interface Renderer {
    readonly value: (value: Scalar, kind: ColumnKind) => string
    readonly inList: (column: string, values: ReadonlyArray<Scalar>, kind: ColumnKind) => string
  }

  const parameters = (stmt: Statement): Renderer => ({
    value: (value, kind) => stmt.param(dialect.encode(kind, value)),
    inList: (column, values, kind) => dialect.inList(column, stmt.param(dialect.listParam(values, kind)), kind)
  })

  const literals: Renderer = {
    value: (value, kind) => (kind === "boolean" ? dialect.booleanLiteral(value) : literal(value)),
    inList: (column, values, kind) => `${column} IN (${values.map((v) => literals.value(v, kind)).join(", ")})`
  }

  /** One condition in SQL, the same for queries and partial index predicates. */
  const compileCondition = (kinds: ReadonlyMap<string, ColumnKind>, condition: Condition, render: Renderer): string => {
    const column = quote(condition.field)
    const kind = kinds.get(condition.field) ?? "text"
    switch (condition.op) {
      case "isNull":
        return `${column} IS NULL`
      case "isNotNull":
        return `${column} IS NOT NULL`
      case "eq":
        return `${column} = ${render.value(condition.value, kind)}`
      case "ne":
        return dialect.distinctFrom(column, render.value(condition.value, kind))
      case "lt":
        return `${column} < ${render.value(condition.value, kind)}`
      case "lte":
        return `${column} <= ${render.value(condition.value, kind)}`
      case "gt":
        return `${column} > ${render.value(condition.value, kind)}`
      case "gte":
        return `${column} >= ${render.value(condition.value, kind)}`
      case "in":
        return condition.value.length === 0 ? "FALSE" : render.inList(column, condition.value, kind)
      case "notIn":
        return condition.value.length === 0 ? "TRUE" : `(${column} IS NULL OR NOT (${render.inList(column, condition.value, kind)}))`
      case "startsWith":
        return prefixCondition(column, condition.value, render)
      case "startsWithAny":
        return condition.value.length === 0 ? "FALSE" : `(${condition.value.map((prefix) => prefixCondition(column, prefix, render)).join(" OR ")})`
      case "contains":
        return dialect.contains(column, render.value(condition.value, "text"))
    }
  }

  /** A prefix test as a range on the ordered index: [prefix, next) in code-point order. */
  const prefixCondition = (column: string, prefix: string, render: Renderer): string => {
    if (prefix === "") return `${column} IS NOT NULL`
    const upper = codePointUpperBound(prefix)
    return upper === undefined
      ? `${column} >= ${render.value(prefix, "text")}`
      : `(${column} >= ${render.value(prefix, "text")} AND ${column} < ${render.value(upper, "text")})`
  }

  /**
   * The WHERE clause of a scoped query. Lookups by id and subtrees (a prefix of the hierarchy path)
   * must use the primary key and the path index; SQLite, without statistics, would rather use the
   * account index, so the account test is made unindexable there (`+"accountId"`).
   */
  const whereOf = (info: TableInfo, scope: StoreScope, conditions: ReadonlyArray<Condition>, stmt: Statement, ranged = false): string => {
    const selective = ranged || conditions.some(
      (c) => (c.field === "id" && (c.op === "eq" || c.op === "in")) || (c.op === "startsWith" && c.field === info.hierarchy?.path)
    )
    return [scopeCondition(info, scope, stmt, selective), ...conditions.map((c) => compileCondition(info.kinds, c, parameters(stmt)))].join(" AND ")
  }

  /**
   * ORDER BY with NULLs before any value ascending: the NULLS clause only for nullable columns,
   * so that an ordered index (PostgreSQL's btrees keep NULLs last) still gives the order without a sort.
   */
  const orderOf = (info: TableInfo, orderBy: ReadonlyArray<OrderBy>): string =>
    orderBy
      .map((o) => {
        const nullable = info.columns.find((c) => c.name === o.field)?.nullable !== false
        return `${quote(o.field)} ${o.direction === "asc" ? (nullable ? "ASC NULLS FIRST" : "ASC") : nullable ? "DESC NULLS LAST" : "DESC"}`
      })
      .join(", ")

  /**
   * Rows strictly after a keyset position (absent values are the smallest). Parameters are added
   * in the order they appear in the text (SQLite's `?` placeholders are positional).
   */
  const keysetOf = (info: TableInfo, orderBy: ReadonlyArray<OrderBy>, after: ReadonlyArray<Scalar | null>, stmt: Statement, i = 0): string => {
    const order = orderBy[i]
    if (order === undefined) return "FALSE"
    const column = quote(order.field)
    const kind = info.kinds.get(order.field) ?? "text"
    const value = after[i] ?? null
    const rest = () => (i + 1 < orderBy.length ? keysetOf(info, orderBy, after, stmt, i + 1) : "FALSE")
    const p = () => stmt.param(dialect.encode(kind, value))
    if (order.direction === "asc") {
      if (value === null) return `(${column} IS NOT NULL OR (${column} IS NULL AND ${rest()}))`
      const greater = `${column} > ${p()}`
      const equal = `${column} = ${p()}`
      return `(${greater} OR (${equal} AND ${rest()}))`
    }
    if (value === null) return `(${column} IS NULL AND ${rest()})`
    const less = `${column} < ${p()}`
    const equal = `${column} = ${p()}`
    return `(${less} OR ${column} IS NULL OR (${equal} AND ${rest()}))`
  }

  const select = (
    info: TableInfo,
    scope: StoreScope,
    query: StoreQuery,
    extra: ReadonlyArray<Condition> = [],
    /** A further SQL condition on an indexed range (its parameters added as it is written). */
    range?: (stmt: Statement) => string
  ) =>
    Effect.gen(function* () {
      const stmt = new Statement(dialect)
      // On the native connection, columns wanted on one row only are read for that row alone.
      const onlyAt = native !== undefined && query.select !== undefined ? query.onlyAt : undefined
      const selected = query.select ?? info.columns.map((c) => c.name)
      // (`id` always stays: the one row is looked up by it.)
      const columns = onlyAt === undefined ? selected : selected.filter((c) => c === "id" || !onlyAt.columns.includes(c))
      let where = whereOf(info, scope, [...query.where, ...extra], stmt, range !== undefined)
      if (range !== undefined) where += ` AND ${range(stmt)}`
      if (query.after !== undefined) where += ` AND ${keysetOf(info, query.orderBy, query.after, stmt)}`
      const text = `SELECT ${columns.map(quote).join(", ")} FROM ${quote(info.name)} WHERE ${where}${
        query.orderBy.length > 0 ? ` ORDER BY ${orderOf(info, query.orderBy)}` : ""
      }${query.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`}`
      const connection = onlyAt === undefined ? undefined : native
      if (onlyAt === undefined || connection === undefined) {
        const result = yield* runOrFail(text, stmt.params)
        return result.rows.map(rowDecoder(info, columns))
      }
      const lookup = new Statement(dialect)
      const lookupText = `SELECT ${onlyAt.columns.map(quote).join(", ")} FROM ${quote(info.name)} WHERE ${quote("id")} = ? AND ${scopeCondition(info, scope, lookup, true)}`
      const [raw, one] = yield* nativeSnapshot(connection, () => {
        const rows = connection.execute(text, stmt.params).rows
        const target = rows[onlyAt.at]
        return [rows, target === undefined ? undefined : connection.execute(lookupText, [target["id"], ...lookup.params]).rows[0]] as const
      })
      const rows = raw.map(rowDecoder(info, columns))
      const at = rows[onlyAt.at]
      if (at !== undefined && one !== undefined) rows[onlyAt.at] = { ...at, ...rowDecoder(info, onlyAt.columns)(one) }
      return rows
    })

  /**
   * Runs synchronous statements on the native connection in one read snapshot: inside the
   * current transaction, or in a transaction of their own holding the connection.
   */
  const nativeSnapshot = <A>(connection: NativeConnection, f: () => A): Effect.Effect<A, StorageError> =>
    Effect.flatMap(Effect.service(CurrentTx), (txs) => {
      if (txs.has(identity)) return Effect.try({ try: f, catch: fail })
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

  // --- sequences and the change feed ---------------------------------------------------------------
  /** Reserves `n` change sequences; returns the first. Locks the counter row until commit (commit order). */
  const reserveSeqs = (n: number) =>
    Effect.gen(function* () {
      // A transaction reserves a block at its first write and takes later sequences from it: it
      // holds the counter row until it ends, so they still follow commit order (unused ones are
      // gaps, which the feed's cursors do not mind).
      const state = (yield* Effect.service(CurrentTx)).get(identity)
      if (state !== undefined && state.seqEnd - state.seqNext >= n) {
        const first = state.seqNext
        state.seqNext += n
        return first
      }
      const block = state === undefined ? n : Math.max(n, SEQ_BLOCK)
      const stmt = new Statement(dialect)
      const result = yield* runOrFail(`UPDATE ${quote(COUNTER)} SET value = value + ${stmt.param(block)} WHERE name = 'seq' RETURNING value`, stmt.params)
      const last = Number(result.rows[0]?.["value"])
      const first = last - block + 1
      if (state !== undefined) {
        state.seqNext = first + n
        state.seqEnd = last + 1
      }
      return first
    })

  /**
   * The change feed is the rows themselves (each carries the sequence of its last write, indexed
   * with its account) plus a tombstone per deleted row in the changes table. Records tombstones.
   */
  const recordTombstones = (changes: ReadonlyArray<Change>) =>
    Effect.gen(function* () {
      if (changes.length === 0) return
      const upsert = `ON CONFLICT (model, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, version = excluded.version, ${quote("accountId")} = excluded.${quote("accountId")}`
      const columns = `(model, id, ${quote("accountId")}, seq, deleted, version)`
      const perRow = 6
      const batch = Math.max(1, Math.floor(dialect.maxParameters / perRow))
      for (let i = 0; i < changes.length; i += batch) {
        const stmt = new Statement(dialect)
        const values = changes
          .slice(i, i + batch)
          .map((c) => `(${stmt.param(c.model)}, ${stmt.param(c.id)}, ${stmt.param(c.accountId)}, ${stmt.param(c.seq)}, ${stmt.param(dialect.encode("boolean", true))}, ${stmt.param(c.version)})`)
        yield* runOrFail(`INSERT INTO ${quote(CHANGES)} ${columns} VALUES ${values.join(", ")} ${upsert}`, stmt.params)
      }
    })

  /** An id written again loses its tombstone: the feed then shows the row once, alive. */
  const clearTombstones = (info: TableInfo, ids: ReadonlyArray<string>) => {
    if (ids.length === 0) return Effect.void
    const stmt = new Statement(dialect)
    return runOrFail(
      `DELETE FROM ${quote(CHANGES)} WHERE model = ${stmt.param(info.name)} AND ${dialect.inList("id", stmt.param(dialect.listParam(ids, "text")), "text")}`,
      stmt.params
    )
  }

  // --- writes --------------------------------------------------------------------------------------
  const duplicateName = (info: TableInfo, classified: Classified): string => {
    if (classified instanceof StorageError) return "unknown"
    if (classified.constraint !== undefined) return classified.constraint
    const columns = classified.columns.join(",")
    if (columns === "id") return "id"
    return info.uniques.find((u) => u.fields.join(",") === columns)?.name ?? (columns === "" ? "unknown" : columns)
  }

  /** Runs `effect` in a savepoint; a unique violation rolls back to it and is returned as a value. */
  const attempt = <A>(info: TableInfo, effect: Effect.Effect<A, unknown>) =>
    Effect.gen(function* () {
      savepoints += 1
      const name = `sp_${savepoints}`
      yield* runOrFail(`SAVEPOINT ${name}`)
      const exit = yield* Effect.exit(effect)
      if (Exit.isSuccess(exit)) {
        yield* runOrFail(`RELEASE SAVEPOINT ${name}`)
        return { _tag: "Done" as const, value: exit.value }
      }
      yield* runOrFail(`ROLLBACK TO SAVEPOINT ${name}`)
      yield* runOrFail(`RELEASE SAVEPOINT ${name}`)
      const error = exit.cause.reasons.find((r) => r._tag === "Fail")
      const cause = error?._tag === "Fail" ? error.error : undefined
      const classified = dialect.classify(cause)
      if (classified instanceof StorageError) return yield* Effect.fail(classified)
      return { _tag: "Duplicate" as const, constraint: duplicateName(info, classified) }
    })

  const insertRows = (info: TableInfo, rows: ReadonlyArray<Row>, firstSeq: number): Effect.Effect<unknown, unknown> => {
    const columns = [...info.columns.map((c) => c.name), SEQ]
    if (native !== undefined) {
      // A prepared single-row statement run once per row: SQLite's fastest insert path.
      const text = `INSERT INTO ${quote(info.name)} (${columns.map(quote).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`
      return runEach(
        text,
        rows.map((row, i) => {
          const params: Array<unknown> = info.columns.map((c) => dialect.encode(c.kind, row[c.name]))
          params.push(firstSeq + i)
          return params
        })
      )
    }
    const unnestType = dialect.unnestType
    if (unnestType !== undefined) {
      // One array parameter per column: the statement's text is the same whatever the number of rows.
      const stmt = new Statement(dialect)
      const arrays = info.columns.map((c) => `${stmt.param(rows.map((row) => dialect.encode(c.kind, row[c.name])))}::${unnestType(c.kind)}`)
      arrays.push(`${stmt.param(rows.map((_, i) => firstSeq + i))}::bigint[]`)
      const names = columns.map((_, i) => `c${i}`)
      const selected = info.columns.map((c, i) => (c.kind === "json" ? `c${i}::jsonb` : `c${i}`))
      selected.push(`c${info.columns.length}`)
      return run(
        `INSERT INTO ${quote(info.name)} (${columns.map(quote).join(", ")}) SELECT ${selected.join(", ")} FROM unnest(${arrays.join(", ")}) AS u(${names.join(", ")})`,
        stmt.params
      )
    }
    const stmt = new Statement(dialect)
    const values = rows.map((row, i) => {
      const placeholders = info.columns.map((c) => {
        const p = stmt.param(dialect.encode(c.kind, row[c.name]))
        return c.kind === "json" ? dialect.jsonPlaceholder(p) : p
      })
      placeholders.push(stmt.param(firstSeq + i))
      return `(${placeholders.join(", ")})`
    })
    return run(`INSERT INTO ${quote(info.name)} (${columns.map(quote).join(", ")}) VALUES ${values.join(", ")}`, stmt.params)
  }

  const write = (model: ModelMeta, scope: StoreScope, ops: ReadonlyArray<WriteOp>): Effect.Effect<ReadonlyArray<WriteOutcome>, StorageError> =>
    Effect.gen(function* () {
      const info = yield* table(model.name)
      if (ops.length === 0) return []
      return yield* inTransaction(
        Effect.gen(function* () {
          const accountId = info.scope === "global" ? null : scope.accountId
          const firstSeq = yield* reserveSeqs(ops.length)
          const outcomes: Array<WriteOutcome> = new Array(ops.length)
          const changes: Array<Change> = []
          const perRow = info.columns.length + 1
          const batch = dialect.unnestType !== undefined ? UNNEST_BATCH : Math.max(1, Math.min(1000, Math.floor(dialect.maxParameters / perRow)))
          let i = 0
          while (i < ops.length) {
            const op = ops[i]
            if (op === undefined) break
            if (op.kind === "insert") {
              // A run of inserts: one multi-row statement; on a unique violation, row by row.
              let j = i
              while (j < ops.length && j - i < batch && ops[j]?.kind === "insert") j++
              const run = ops.slice(i, j) as ReadonlyArray<Extract<WriteOp, { kind: "insert" }>>
              const rows = run.map((o) => o.row)
              const bulk = yield* attempt(info, insertRows(info, rows, firstSeq + i))
              // Ids written again lose their tombstones (ids the SDK has just made never had one).
              const reused: Array<string> = []
              if (bulk._tag === "Done") {
                yield* noteInserted(info.name, rows.length)
                run.forEach((op, k) => {
                  outcomes[i + k] = { _tag: "Written", seq: firstSeq + i + k }
                  if (op.fresh !== true) reused.push(String(op.row["id"]))
                })
              } else {
                for (let k = 0; k < run.length; k++) {
                  const op = run[k] as Extract<WriteOp, { kind: "insert" }>
                  const one = yield* attempt(info, insertRows(info, [op.row], firstSeq + i + k))
                  if (one._tag === "Done") {
                    outcomes[i + k] = { _tag: "Written", seq: firstSeq + i + k }
                    if (op.fresh !== true) reused.push(String(op.row["id"]))
                  } else outcomes[i + k] = { _tag: "Duplicate", constraint: one.constraint }
                }
              }
              yield* clearTombstones(info, reused)
              i = j
              continue
            }
            const seq = firstSeq + i
            const id = op.kind === "delete" ? op.id : String(op.row["id"])
            const stmt = new Statement(dialect)
            let text: string
            if (op.kind === "update") {
              const sets = info.columns
                .filter((c) => c.name !== "id")
                .map((c) => {
                  const p = stmt.param(dialect.encode(c.kind, op.row[c.name]))
                  return `${quote(c.name)} = ${c.kind === "json" ? dialect.jsonPlaceholder(p) : p}`
                })
              sets.push(`${quote(SEQ)} = ${stmt.param(seq)}`)
              text = `UPDATE ${quote(info.name)} SET ${sets.join(", ")} WHERE ${quote("id")} = ${stmt.param(id)} AND ${scopeCondition(info, scope, stmt, true)} AND ${quote("version")} = ${stmt.param(op.expectedVersion)}`
            } else {
              text = `DELETE FROM ${quote(info.name)} WHERE ${quote("id")} = ${stmt.param(id)} AND ${scopeCondition(info, scope, stmt, true)}${
                op.expectedVersion === undefined ? "" : ` AND ${quote("version")} = ${stmt.param(op.expectedVersion)}`
              } RETURNING ${quote("version")}`
            }
            const result = yield* attempt(info, run(text, stmt.params))
            if (result._tag === "Duplicate") {
              outcomes[i] = { _tag: "Duplicate", constraint: result.constraint }
            } else if (op.kind === "update" ? Number(result.value.numAffectedRows ?? 0n) === 0 : result.value.rows.length === 0) {
              const probe = new Statement(dialect)
              const current = yield* runOrFail(
                `SELECT ${quote("version")} FROM ${quote(info.name)} WHERE ${quote("id")} = ${probe.param(id)} AND ${scopeCondition(info, scope, probe, true)}`,
                probe.params
              )
              const row = current.rows[0]
              outcomes[i] = row === undefined ? { _tag: "Missing" } : { _tag: "StaleVersion", actual: Number(row["version"]) }
            } else {
              outcomes[i] = { _tag: "Written", seq }
              if (op.kind === "delete") changes.push({ seq, model: info.name, id, accountId, deleted: true, version: Number(result.value.rows[0]?.["version"] ?? 0) })
            }
            i += 1
          }
          yield* recordTombstones(changes)
          return outcomes
        })
      )
    })

  // --- migrations ----------------------------------------------------------------------------------
  const partialWhere = (info: { readonly kinds: ReadonlyMap<string, ColumnKind> }, where: ReadonlyArray<Condition>): string =>
    where.map((condition) => compileCondition(info.kinds, condition, literals)).join(" AND ")

  /** The index of a table's change sequence (with its account): the change feed reads it. */
  const seqIndexOf = (model: string, scope: "account" | "global", ifNotExists: "" | "IF NOT EXISTS ") =>
    scope === "account"
      ? `CREATE INDEX ${ifNotExists}${quote(`${model}_account_seq`)} ON ${quote(model)} (${quote("accountId")}, ${quote(SEQ)})`
      : `CREATE INDEX ${ifNotExists}${quote(`${model}_seq`)} ON ${quote(model)} (${quote(SEQ)})`

  const ddlOf = (step: MigrationStep): ReadonlyArray<string> => {
    switch (step.op) {
      case "createModel": {
        const columns = step.columns.map(
          (c) => `${quote(c.name)} ${dialect.columnType(c)}${c.nullable ? "" : " NOT NULL"}${c.name === "id" ? " PRIMARY KEY" : ""}`
        )
        columns.push(`${quote(SEQ)} BIGINT NOT NULL`)
        const statements = [`CREATE TABLE ${quote(step.model)} (${columns.join(", ")})`]
        statements.push(seqIndexOf(step.model, step.scope, ""))
        return statements
      }
      case "addColumn":
        return [`ALTER TABLE ${quote(step.model)} ADD COLUMN ${quote(step.column.name)} ${dialect.columnType(step.column)}`]
      case "createIndex": {
        const info = tables.get(step.model)
        const where = step.index.where === undefined || step.index.where.length === 0 || info === undefined ? "" : ` WHERE ${partialWhere(info, step.index.where)}`
        const columns = dialect.indexColumns(step.index.fields, step.index.include ?? [])
        return [`CREATE ${step.index.unique === true ? "UNIQUE " : ""}INDEX ${quote(step.index.name)} ON ${quote(step.model)} ${columns}${where}`]
      }
      case "dropIndex":
        return [`DROP INDEX ${quote(step.name)}`]
    }
  }

  /** Applies a step to the in-memory description of the tables. */
  const learn = (step: MigrationStep): void => {
    const current = tables.get(step.model)
    switch (step.op) {
      case "createModel":
        tables.set(step.model, {
          name: step.model,
          scope: step.scope,
          columns: step.columns,
          kinds: kindsOf(step.columns),
          uniques: [],
          ...(step.hierarchy === undefined ? {} : { hierarchy: { path: step.hierarchy.path, depth: step.hierarchy.depth } })
        })
        return
      case "addColumn":
        if (current !== undefined) {
          const columns = [...current.columns, step.column]
          tables.set(step.model, { ...current, columns, kinds: kindsOf(columns) })
        }
        return
      case "createIndex":
        if (current !== undefined && step.index.unique === true) {
          tables.set(step.model, { ...current, uniques: [...current.uniques, { name: step.index.name, fields: step.index.fields }] })
        }
        return
      case "dropIndex":
        if (current !== undefined) tables.set(step.model, { ...current, uniques: current.uniques.filter((u) => u.name !== step.name) })
        return
    }
  }

  const bootstrap = [
    `CREATE TABLE IF NOT EXISTS ${quote(LEDGER)} (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${quote(COUNTER)} (name TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
    `INSERT INTO ${quote(COUNTER)} (name, value) VALUES ('seq', 0) ON CONFLICT (name) DO NOTHING`,
    `CREATE TABLE IF NOT EXISTS ${quote(CHANGES)} (model TEXT NOT NULL, id TEXT NOT NULL, ${quote("accountId")} TEXT, seq BIGINT NOT NULL, deleted ${dialect.columnType({ name: "deleted", kind: "boolean", nullable: false })} NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (model, id))`,
    `CREATE INDEX IF NOT EXISTS ${quote(`${CHANGES}_account_seq`)} ON ${quote(CHANGES)} (${quote("accountId")}, seq)`
  ]

  const migrate = (migrations: ReadonlyArray<Migration>) =>
    Effect.gen(function* () {
      yield* transaction(Effect.forEach(bootstrap, (text) => runOrFail(text), { discard: true }))
      const ledger = yield* runOrFail(`SELECT id FROM ${quote(LEDGER)} ORDER BY id`)
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
          for (const step of migration.steps) learn(step)
          continue
        }
        yield* transaction(
          Effect.gen(function* () {
            for (const step of migration.steps) {
              if (step.op !== "createIndex") learn(step)
              for (const text of ddlOf(step)) yield* runOrFail(text)
              if (step.op === "createIndex") learn(step)
            }
            const stmt = new Statement(dialect)
            yield* runOrFail(`INSERT INTO ${quote(LEDGER)} (id, applied_at) VALUES (${stmt.param(migration.id)}, ${stmt.param(Date.now())})`, stmt.params)
          })
        )
        done.push(migration.id)
      }
      // The driver's own: the change feed read from the rows (live entries of the changes table
      // dropped, global tables given a sequence index; account tables always had one).
      if (!applied.has(FEED_ON_ROWS)) {
        yield* transaction(
          Effect.gen(function* () {
            const stmt = new Statement(dialect)
            yield* runOrFail(`DELETE FROM ${quote(CHANGES)} WHERE deleted = ${stmt.param(dialect.encode("boolean", false))}`, stmt.params)
            for (const info of tables.values()) if (info.scope === "global") yield* runOrFail(seqIndexOf(info.name, "global", "IF NOT EXISTS "))
            const ledger = new Statement(dialect)
            yield* runOrFail(`INSERT INTO ${quote(LEDGER)} (id, applied_at) VALUES (${ledger.param(FEED_ON_ROWS)}, ${ledger.param(Date.now())})`, ledger.params)
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
        return yield* select(info, scope, { where: [{ field: "id", op: "in", value: [...new Set(ids)] }], orderBy: [] })
      }),
    write,
    query: (model, scope, query) => Effect.flatMap(table(model.name), (info) => select(info, scope, query)),
    count: (model, scope, where) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const stmt = new Statement(dialect)
        const result = yield* runOrFail(`SELECT COUNT(*) AS n FROM ${quote(info.name)} WHERE ${whereOf(info, scope, where, stmt)}`, stmt.params)
        return Number(result.rows[0]?.["n"] ?? 0)
      }),
    subtree: (model, scope, start, query) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const hierarchy = info.hierarchy
        if (hierarchy === undefined) return yield* new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` })
        const extra: ReadonlyArray<Condition> = query.maxDepth === undefined ? [] : [{ field: hierarchy.depth, op: "lte", value: query.maxDepth }]
        if ("prefix" in start) return yield* select(info, scope, query, [{ field: hierarchy.path, op: "startsWith", value: start.prefix }, ...extra])
        // The root's path read in the same statement: two scalar subqueries (evaluated once) bound
        // the ordered path index's range, [path, path with its final "/" raised to "0").
        const path = quote(hierarchy.path)
        const rootPath = (stmt: Statement, expression: string) =>
          `(SELECT ${expression} FROM ${quote(info.name)} WHERE ${quote("id")} = ${stmt.param(start.rootId)} AND ${scopeCondition(info, scope, stmt, true)})`
        return yield* select(
          info,
          scope,
          query,
          extra,
          (stmt) => `${path} >= ${rootPath(stmt, path)} AND ${path} < ${rootPath(stmt, `substr(${path}, 1, length(${path}) - 1) || '0'`)}`
        )
      }),
    rewritePrefix: (model, scope, rewrite) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const hierarchy = info.hierarchy
        if (hierarchy === undefined) return yield* new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` })
        return yield* inTransaction(
          Effect.gen(function* () {
            const path = quote(hierarchy.path)
            const countStmt = new Statement(dialect)
            const range = `${scopeCondition(info, scope, countStmt, true)} AND ${prefixCondition(path, rewrite.from, parameters(countStmt))} AND ${path} <> ${countStmt.param(rewrite.from)}`
            const counted = yield* runOrFail(`SELECT COUNT(*) AS n FROM ${quote(info.name)} WHERE ${range}`, countStmt.params)
            const n = Number(counted.rows[0]?.["n"] ?? 0)
            if (n === 0) return 0
            const first = yield* reserveSeqs(n)
            const stmt = new Statement(dialect)
            const to = stmt.param(rewrite.to)
            const fromLength = `CAST(${stmt.param([...rewrite.from].length)} AS INTEGER)`
            const delta = `CAST(${stmt.param(rewrite.depthDelta)} AS INTEGER)`
            const updatedAt = `CAST(${stmt.param(rewrite.updatedAt)} AS BIGINT)`
            const base = `CAST(${stmt.param(first - 1)} AS BIGINT)`
            const innerRange = `${scopeCondition(info, scope, stmt, true)} AND ${prefixCondition(path, rewrite.from, parameters(stmt))} AND ${path} <> ${stmt.param(rewrite.from)}`
            const t = quote(info.name)
            yield* runOrFail(
              `UPDATE ${t} SET ${path} = ${to} || substr(${t}.${path}, ${fromLength} + 1), ${quote(hierarchy.depth)} = ${t}.${quote(hierarchy.depth)} + ${delta}, ` +
                `${quote("version")} = ${t}.${quote("version")} + 1, ${quote("updatedAt")} = ${updatedAt}, ${quote(SEQ)} = ${base} + ranked.rn ` +
                `FROM (SELECT ${quote("id")} AS rid, ROW_NUMBER() OVER (ORDER BY ${quote("id")}) AS rn FROM ${t} WHERE ${innerRange}) AS ranked WHERE ${t}.${quote("id")} = ranked.rid`,
              stmt.params
            )
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
        const stmt = new Statement(dialect)
        yield* runOrFail(
          `SELECT ${quote("id")} FROM ${quote(info.name)} WHERE ${scopeCondition(info, scope, stmt, true)} AND ${dialect.inList(quote("id"), stmt.param(ids), "text")} ORDER BY ${quote("id")} FOR UPDATE`,
          stmt.params
        )
      }),
    changesSince: (accountId, after, limit) =>
      Effect.gen(function* () {
        const stmt = new Statement(dialect)
        const n = Math.max(0, Math.floor(limit))
        const no = dialect.booleanLiteral(false)
        // Each table's rows after the position (its sequence index), and the tombstones; merged.
        const parts = [...tables.values()].map((info) => {
          const account = info.scope === "global" ? "CAST(NULL AS TEXT)" : quote("accountId")
          const where = info.scope === "global" ? "" : `${quote("accountId")} = ${stmt.param(accountId)} AND `
          return `SELECT * FROM (SELECT ${literal(info.name)} AS model, ${quote("id")} AS id, ${account} AS ${quote("accountId")}, ${quote(SEQ)} AS seq, ${no} AS deleted, ${quote("version")} AS version FROM ${quote(info.name)} WHERE ${where}${quote(SEQ)} > ${stmt.param(after)} ORDER BY ${quote(SEQ)} LIMIT ${n}) AS ${quote(`f_${info.name}`)}`
        })
        parts.push(
          `SELECT * FROM (SELECT model, id, ${quote("accountId")}, seq, deleted, version FROM ${quote(CHANGES)} WHERE (${quote("accountId")} = ${stmt.param(accountId)} OR ${quote("accountId")} IS NULL) AND seq > ${stmt.param(after)} ORDER BY seq LIMIT ${n}) AS ${quote("f_tombstones")}`
        )
        const result = yield* runOrFail(`SELECT * FROM (${parts.join(" UNION ALL ")}) AS feed ORDER BY seq LIMIT ${n}`, stmt.params)
        return result.rows.map((row) => ({
          seq: Number(row["seq"]),
          model: String(row["model"]),
          id: String(row["id"]),
          accountId: row["accountId"] === null || row["accountId"] === undefined ? null : String(row["accountId"]),
          deleted: row["deleted"] === true || row["deleted"] === 1,
          version: Number(row["version"])
        }))
      }),
    transaction,
    inspect: (model) =>
      Effect.gen(function* () {
        const info = yield* table(model.name)
        const result = yield* runOrFail(`SELECT * FROM ${quote(info.name)} ORDER BY ${quote("id")}`)
        return result.rows.map((raw): InspectedRow => ({ row: decodeRow(info, raw), seq: Number(raw[SEQ]) }))
      })
  }
}

/** The first string after every string starting with `prefix`, in code-point order (`undefined`: none). */
export const codePointUpperBound = (prefix: string): string | undefined => {
  const points = [...prefix].map((c) => c.codePointAt(0) ?? 0)
  while (points.length > 0) {
    const last = points.pop() ?? 0
    let next = last + 1
    if (next === 0xd800) next = 0xe000
    if (next <= 0x10ffff) return String.fromCodePoint(...points, next)
  }
  return undefined
}

export { prefixUpperBound }
