/**
 * Running statements and transactions: statements go to the fiber's current transaction (or the
 * pool); transactions nest as savepoints; an outermost transaction that loses a conflict with
 * another runs again (`rerun.ts`); a write that a unique key refuses rolls back to its own
 * savepoint; a transaction reserves its change sequences in blocks; on a native synchronous
 * connection (SQLite), statements skip Kysely and a transaction holds the connection throughout
 * (begun `IMMEDIATE`: it holds the database's write lock from its start).
 *
 * Change sequences are taken one of two ways ({@link SequenceMode}). `counter` (SQLite, PGlite:
 * one writer at a time): a counter row updated inside the writing transaction, held until its
 * commit, so sequences follow commit order. `horizon` (PostgreSQL with concurrent writers): blocks
 * of {@link PAGE} sequences from a PostgreSQL sequence, which no writer waits for; instead of
 * commit order, a reader stops at a horizon below every sequence an open transaction may hold.
 * Before its first block, a transaction reads the sequence's last value `lb` and takes a shared
 * transaction-level advisory lock keyed by it (see {@link horizonKey}), then draws its block (every
 * sequence it draws is above `lb`). A reader first reads the sequence's last value `L`, then the
 * advisory locks held (`pg_locks`), in one statement in that order; its horizon is the lesser of
 * `L` and the least `lb` locked; its next statement (a later snapshot) lists the changes up to the
 * horizon. A transaction that drew a sequence at or below `L` had locked before drawing, so it is
 * either still locked (the horizon stays below its sequences) or has ended, and a transaction's
 * locks are released only after its commit is visible: the reader's next snapshot sees its rows.
 * A sequence drawn after the reader read `L` is above it. So a reader never passes a sequence whose
 * transaction commits later. A reservation of more than a block at once takes an exclusive lock
 * that every reservation takes shared, so that its blocks follow each other. What a reader pays
 * instead of writers: a transaction that stays open after its first write holds the feed back (its
 * readers list nothing above it) until it ends, where a counter row held every other writer back.
 * Every writer of a database must take sequences the same way: an SDK that still takes them from
 * the counter row must not write while one drawing from the sequence does.
 * @module
 */
import { StorageError } from "@iaso/core"
import { Context, Effect, Exit, Semaphore } from "effect"
import { CompiledQuery, type Kysely } from "kysely"
import { type Compiled, plain } from "./compile-conditions.ts"
import { compileReserveSeqs } from "./compile-write.ts"
import { type Classified, literal, type SqlDialect } from "./dialect.ts"
import { rerunOnConflict } from "./rerun.ts"
import { COUNTER, PAGE } from "./tables.ts"

/** Change sequences a transaction reserves at once (one counter update for its next writes). */
const SEQ_BLOCK = 32

/**
 * How a store takes change sequences (see the module documentation): `counter`, a counter row held
 * until commit (one writer at a time), or `horizon`, a PostgreSQL sequence that writers do not wait
 * for, read up to a horizon below what open transactions hold.
 */
export type SequenceMode = "counter" | "horizon"

/** The PostgreSQL sequence of `horizon` mode, and the keys of its advisory locks. */
export interface HorizonNames {
  /** The sequence, as statements name it (qualified by the store's schema). */
  readonly sequence: string
  /** A number in [0, 2^17) that tells this store's advisory locks from another schema's. */
  readonly namespace: number
}

/** The namespace of a store's advisory locks: a hash of its sequence's qualified name. */
export const horizonNamespace = (sequence: string): number => {
  let hash = 0
  for (const char of sequence) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) >>> 0
  return hash % 2 ** 17
}

/** The SQL of the advisory lock key (a bigint) of a transaction whose sequences are above `lb` (a SQL expression, a multiple of {@link PAGE}). */
const horizonKey = (names: HorizonNames, lb: string): string => `(${names.namespace}::bigint * ${2 ** 45} + ${lb} / ${PAGE})`

/**
 * The statement (a `SELECT` answering `value`, the last sequence reserved) that draws `blocks`
 * consecutive blocks of {@link PAGE} from the sequence: first, unless the transaction holds it
 * already (`horizon`), the advisory lock keyed by the sequence's last value; the reservations' lock
 * (shared for one block, exclusive for more, so no other draw comes between); then the draws, after
 * the locks (the lateral join orders them).
 */
export const compileDraw = (names: HorizonNames, blocks: number, horizon: boolean): string => {
  const locks = [blocks > 1 ? `pg_advisory_xact_lock(${names.namespace}, 0)` : `pg_advisory_xact_lock_shared(${names.namespace}, 0)`]
  if (horizon) locks.unshift(`pg_advisory_xact_lock_shared(${horizonKey(names, "last_value")})`)
  const locked = `(SELECT ${locks.join(", ")}, 1 AS one FROM ${names.sequence} OFFSET 0) AS locked`
  return blocks > 1
    ? `SELECT max(nextval(${literal(names.sequence)})) AS value FROM ${locked} CROSS JOIN LATERAL generate_series(locked.one, ${blocks}) AS g`
    : `SELECT nextval(${literal(names.sequence)}) AS value FROM ${locked}`
}

/**
 * The statement answering a reader's horizon (`horizon`, a number): the sequence's last value,
 * read first (the lateral join orders the reads), lowered to the least sequence an open
 * transaction's advisory lock says it may hold.
 */
export const compileHorizon = (names: HorizonNames): string => {
  const key = "((l.classid::bigint << 32) | l.objid::bigint)"
  const low = `${names.namespace}::bigint * ${2 ** 45}`
  return `SELECT least(s.last_value, min((${key} - ${low}) * ${PAGE})) AS horizon FROM (SELECT last_value, 1 AS one FROM ${names.sequence} OFFSET 0) AS s LEFT JOIN LATERAL (SELECT classid, objid FROM pg_locks WHERE s.one = 1 AND locktype = 'advisory' AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS l ON ${key} >= ${low} AND ${key} < ${low} + ${2 ** 45} GROUP BY s.last_value`
}

/** A Kysely instance of any schema (the SQL is built here, not typed by Kysely). */
// biome-ignore lint: dynamic schema
export type AnyKysely = Kysely<any>

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

interface TxState {
  /** The Kysely transaction, or `undefined` on a native connection (statements go to it directly). */
  readonly trx: AnyKysely | undefined
  /** Rows inserted per table by this transaction (statistics upkeep after commit). */
  readonly inserted: Map<string, number>
  /** Change sequences this transaction reserved and has not used yet: [next, end). */
  seqNext: number
  seqEnd: number
  /** `horizon` mode: whether the transaction holds its horizon lock (taken with its first draw). */
  horizon: boolean
}

/** The current transaction of each SQL store in this fiber. */
const CurrentTx = Context.Reference<ReadonlyMap<object, TxState>>("@iaso/sql/CurrentTx", { defaultValue: () => new Map() })

/** A unique key's refusal, as the dialect classified it. */
export type Duplicate = Exclude<Classified, StorageError>

/** Statements and transactions of one store. */
export interface Executor {
  /** Runs one statement on the current transaction (or the pool); the driver's error as it came. */
  readonly run: (statement: Compiled) => Effect.Effect<StatementResult, unknown>
  /** Runs one statement once per parameter list (a native connection runs its prepared statement in a loop). */
  readonly runEach: (text: string, paramLists: ReadonlyArray<ReadonlyArray<unknown>>) => Effect.Effect<void, unknown>
  /** Runs one statement; a failure is a storage error. */
  readonly runOrFail: (statement: Compiled) => Effect.Effect<StatementResult, StorageError>
  /** Runs `effect` in a transaction (a savepoint when nested); an outermost one that loses a conflict runs again. */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>
  /** Runs `effect` in the current transaction, or in a new one. */
  readonly inTransaction: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E | StorageError>
  /** Whether the calling fiber is inside a transaction of this executor. */
  readonly insideTransaction: Effect.Effect<boolean>
  /** Runs `effect` in a savepoint; a unique violation rolls back to it and is returned as a value. */
  readonly attempt: <A>(
    effect: Effect.Effect<A, unknown>
  ) => Effect.Effect<{ readonly _tag: "Done"; readonly value: A } | { readonly _tag: "Duplicate"; readonly duplicate: Duplicate }, StorageError>
  /**
   * Runs synchronous statements on the native connection in one read snapshot: inside the
   * current transaction, or in a transaction of their own holding the connection.
   */
  readonly nativeSnapshot: <A>(connection: NativeConnection, f: () => A) => Effect.Effect<A, StorageError>
  /** Reserves `n` change sequences; returns the first (see the module documentation for what it locks until commit). */
  readonly reserveSeqs: (n: number) => Effect.Effect<number, StorageError>
  /**
   * Sequences a statement can reserve itself: `first` when the current transaction still holds `n`
   * (taken from them), else the size of the block the statement is to reserve, `reserve` (a
   * statement answering `value`, the last sequence of the block, for a CTE) and `keep`, to call
   * with that last sequence: the transaction keeps the block's unused ones.
   */
  readonly seqsFor: (
    n: number
  ) => Effect.Effect<
    { readonly first: number } | { readonly block: number; readonly reserve: string; readonly keep: (last: number) => Effect.Effect<number> },
    StorageError
  >
  /**
   * The highest sequence a reader of the change feed may list now (`horizon` mode: see the module
   * documentation), to read in a statement before the feed's; `undefined` in `counter` mode (any).
   */
  readonly horizon: Effect.Effect<number | undefined, StorageError>
  /** Counts rows the current transaction inserted into a table. */
  readonly noteInserted: (table: string, n: number) => Effect.Effect<void>
}

/** Options of {@link makeExecutor}. */
export interface ExecutorOptions {
  readonly db: AnyKysely
  readonly dialect: SqlDialect
  /** A native synchronous connection to run statements on (SQLite); Kysely's executor otherwise. */
  readonly native: NativeConnection | undefined
  /** Runs after a transaction on Kysely committed, with the rows it inserted per table (when it inserted any). */
  readonly afterCommit: (inserted: ReadonlyMap<string, number>) => Effect.Effect<void>
  /** How change sequences are taken; `horizon` names its sequence. */
  readonly sequences: { readonly mode: "counter" } | ({ readonly mode: "horizon" } & HorizonNames)
}

/** Makes the executor of one store. */
export const makeExecutor = (options: ExecutorOptions): Executor => {
  const { db, dialect, native, afterCommit, sequences } = options
  /** Held for the whole of a transaction on a native connection; statements outside one take it briefly. */
  const nativeLock = Semaphore.makeUnsafe(1)
  const identity = {}
  const current = Effect.map(Effect.service(CurrentTx), (txs) => txs.get(identity))

  /** A driver error as a storage error (a unique violation among them). */
  const fail = (error: unknown): StorageError => {
    const classified = dialect.classify(error)
    return classified instanceof StorageError
      ? classified
      : new StorageError({
          reason: "constraint",
          retryable: false,
          message: `unique constraint refused the write (${classified.constraint ?? classified.columns.join(", ")})`,
          cause: error
        })
  }

  /** Runs synchronous work on the native connection: at once inside a transaction, else holding the connection. */
  const onNative = <A>(state: TxState | undefined, work: Effect.Effect<A, unknown>) => (state === undefined ? nativeLock.withPermits(1)(work) : work)

  const run = (statement: Compiled): Effect.Effect<StatementResult, unknown> =>
    Effect.flatMap(current, (state) => {
      if (native !== undefined) return onNative(state, Effect.try({ try: () => native.execute(statement.text, statement.params), catch: (error) => error }))
      const exec = state?.trx ?? db
      return Effect.tryPromise({
        try: () => exec.executeQuery<Record<string, unknown>>(CompiledQuery.raw(statement.text, [...statement.params])),
        catch: (error) => error
      })
    })

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

  /** A nested transaction: a savepoint of the enclosing one. */
  const nested = <A, E, R>(state: TxState, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const horizon = state.horizon
        const exit = yield* inSavepoint(restore(effect), (text) => Effect.ignore(run(plain(text))))
        if (Exit.isSuccess(exit)) return exit.value
        // Sequences reserved inside the savepoint went back to the counter: none may be used. The
        // locks the savepoint took are released with it.
        state.seqNext = state.seqEnd
        state.horizon = horizon
        return yield* exit
      })
    )

  /**
   * An outermost transaction, run once. On SQLite it begins `IMMEDIATE`: it takes the write lock
   * at once, waiting for it up to the busy timeout, instead of upgrading a read snapshot later,
   * which fails at once when another connection committed meanwhile. On PostgreSQL it is read
   * committed, whatever the server's default: each statement sees what committed before it
   * started, which the hierarchy's locks rely on (see `subtree-locks.ts`).
   */
  const outermost = <A, E, R>(txs: ReadonlyMap<object, TxState>, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        if (native !== undefined) {
          // One connection: hold it for the whole transaction.
          yield* restore(nativeLock.take(1))
          const body = Effect.gen(function* () {
            yield* Effect.try({ try: () => native.execute("BEGIN IMMEDIATE", []), catch: fail })
            const next = new Map(txs)
            next.set(identity, { trx: undefined, inserted: new Map(), seqNext: 0, seqEnd: 0, horizon: false })
            const exit = yield* Effect.exit(restore(Effect.provideService(effect, CurrentTx, next)))
            return yield* finish(
              exit,
              Effect.try({ try: () => native.execute("COMMIT", []), catch: fail }),
              Effect.try({ try: () => native.execute("ROLLBACK", []), catch: fail })
            )
          })
          return yield* Effect.ensuring(body, nativeLock.release(1))
        }
        const trx = yield* Effect.tryPromise({ try: () => db.startTransaction().setIsolationLevel("read committed").execute(), catch: fail })
        const top: TxState = { trx, inserted: new Map(), seqNext: 0, seqEnd: 0, horizon: false }
        const next = new Map(txs)
        next.set(identity, top)
        const exit = yield* Effect.exit(restore(Effect.provideService(effect, CurrentTx, next)))
        const value = yield* finish(
          exit,
          Effect.tryPromise({ try: () => trx.commit().execute(), catch: fail }),
          Effect.tryPromise({ try: () => trx.rollback().execute(), catch: fail })
        )
        if (top.inserted.size > 0) yield* afterCommit(top.inserted)
        return value
      })
    )

  /** Whether a failure is a lost conflict, after which the outermost transaction runs again (see `rerun.ts`). */
  const lost = (error: unknown): boolean =>
    error instanceof StorageError && error.retryable && (error.reason === "serialization" || dialect.lostConflict(error.cause))

  const transaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
    Effect.flatMap(Effect.service(CurrentTx), (txs) => {
      const state = txs.get(identity)
      return state !== undefined ? nested(state, effect) : rerunOnConflict(outermost(txs, effect), lost)
    })

  const inTransaction = <A, E>(effect: Effect.Effect<A, E>) => Effect.flatMap(current, (state) => (state !== undefined ? effect : transaction(effect)))

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

  /**
   * What a reservation of at least `n` sequences by a transaction in `state` draws: the block's
   * size and the statement answering its last sequence as `value`.
   */
  const drawOf = (state: TxState | undefined, n: number): { readonly block: number; readonly compiled: Compiled; readonly text: string } => {
    if (sequences.mode === "counter") {
      const block = state === undefined ? n : Math.max(n, SEQ_BLOCK)
      // The block written out in `text` (a CTE of another statement has parameters of its own).
      return {
        block,
        compiled: compileReserveSeqs(dialect, block),
        text: `UPDATE ${dialect.table(COUNTER)} SET value = value + ${block} WHERE name = 'seq' RETURNING value`
      }
    }
    const blocks = Math.max(1, Math.ceil(n / PAGE))
    const text = compileDraw(sequences, blocks, state?.horizon !== true)
    return { block: blocks * PAGE, compiled: plain(text), text }
  }

  /** Keeps the unused sequences of a block whose last is `last` for the transaction's next writes; returns the first of the `n` taken. */
  const keepBlock = (state: TxState | undefined, n: number, block: number, last: number) => {
    const first = last - block + 1
    if (state !== undefined) {
      state.seqNext = first + n
      state.seqEnd = last + 1
      state.horizon = true
    }
    return first
  }

  const reserveSeqs = (n: number) =>
    Effect.gen(function* () {
      // A transaction reserves a block at its first write and takes later sequences from it
      // (unused ones are gaps, which the feed's cursors do not mind). In `counter` mode it holds
      // the counter row until it ends, so they follow commit order; in `horizon` mode, its lock
      // keeps readers below them until it ends.
      const state = yield* current
      if (state !== undefined && state.seqEnd - state.seqNext >= n) {
        const first = state.seqNext
        state.seqNext += n
        return first
      }
      const draw = drawOf(state, n)
      const result = yield* runOrFail(draw.compiled)
      return keepBlock(state, n, draw.block, Number(result.rows[0]?.["value"]))
    })

  const seqsFor = (n: number) =>
    Effect.map(current, (state) => {
      if (state !== undefined && state.seqEnd - state.seqNext >= n) {
        const first = state.seqNext
        state.seqNext += n
        return { first }
      }
      const draw = drawOf(state, n)
      return { block: draw.block, reserve: draw.text, keep: (last: number) => Effect.sync(() => keepBlock(state, n, draw.block, last)) }
    })

  const horizon: Effect.Effect<number | undefined, StorageError> =
    sequences.mode === "counter"
      ? Effect.succeed(undefined)
      : Effect.map(runOrFail(plain(compileHorizon(sequences))), (result) => Number(result.rows[0]?.["horizon"] ?? 0))

  const noteInserted = (table: string, n: number) =>
    Effect.map(current, (state) => {
      const inserted = state?.inserted
      if (inserted !== undefined) inserted.set(table, (inserted.get(table) ?? 0) + n)
    })

  const insideTransaction = Effect.map(current, (state) => state !== undefined)

  return { run, runEach, runOrFail, transaction, inTransaction, insideTransaction, attempt, nativeSnapshot, reserveSeqs, seqsFor, horizon, noteInserted }
}
