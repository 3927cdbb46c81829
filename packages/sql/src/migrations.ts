/**
 * Migrations: the ledger of applied migrations (and, where the store draws its change sequences
 * from one, the PostgreSQL sequence), each pending migration applied in a transaction and recorded, and the driver's own migrations (the change feed on the rows, the tombstones keyed
 * by account) recorded after the core's.
 * @module
 */
import { type Migration, runMigrations, type StorageError, type Unsupported } from "@iaso/core"
import { Effect } from "effect"
import { compileDropLiveEntries } from "./change-feed.ts"
import { type Compiled, plain, Statement } from "./compile-conditions.ts"
import { bootstrapDdl, seqIndexDdl, stepDdl, tombstonesByAccountDdl } from "./ddl.ts"
import type { SqlDialect } from "./dialect.ts"
import { LEDGER, learnStep, type TableInfo } from "./tables.ts"
import type { Executor } from "./transactions.ts"

/** The driver's own migration that moved the change feed onto the rows' sequences. */
const FEED_ON_ROWS = "sql_0001_change_feed_on_rows"
/** The driver's own migration that keyed the tombstones by account, model and id (they were keyed by model and id). */
const TOMBSTONES_BY_ACCOUNT = "sql_0002_tombstones_by_account"
/**
 * The SQL driver's own migrations, recorded in the ledger after the core's (so an older SDK, which
 * does not know them, refuses the database instead of misreading it).
 */
export const SQL_INTERNAL_MIGRATIONS: ReadonlyArray<string> = [FEED_ON_ROWS, TOMBSTONES_BY_ACCOUNT]

/** Records an applied migration in the ledger. */
const compileLedgerEntry = (dialect: SqlDialect, id: string): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(`INSERT INTO ${dialect.table(LEDGER)} (id, applied_at) VALUES (${stmt.param(id)}, ${stmt.param(Date.now())})`)
}

/**
 * The store's `migrate`, through core's migration runner: applies pending migrations in order,
 * each in a transaction with its ledger entry, and fills `tables` with what every migration
 * (applied before or now) declares; then the driver's own migrations. Returns the ids it applied.
 */
export const makeMigrate =
  (dialect: SqlDialect, executor: Executor, tables: Map<string, TableInfo>, sequenceDdl: ReadonlyArray<string>) =>
  (migrations: ReadonlyArray<Migration>): Effect.Effect<ReadonlyArray<string>, StorageError | Unsupported> =>
    Effect.gen(function* () {
      const { runOrFail, transaction } = executor
      yield* transaction(Effect.forEach([...bootstrapDdl(dialect), ...sequenceDdl], (text) => runOrFail(plain(text)), { discard: true }))
      let applied: ReadonlySet<string> = new Set()
      const done = yield* runMigrations(migrations, {
        applied: Effect.map(runOrFail(plain(`SELECT id FROM ${dialect.table(LEDGER)} ORDER BY id`)), (ledger) => {
          applied = new Set(ledger.rows.map((row) => String(row["id"])))
          return applied
        }),
        ownMigrations: SQL_INTERNAL_MIGRATIONS,
        begin: () => tables.clear(),
        replay: (migration) => {
          for (const step of migration.steps) learnStep(tables, step)
        },
        // A step's DDL is compiled from its table as it was before the step (a partial index's
        // column kinds, a re-keyed table's columns, indexes and current key), then learnt.
        applyStep: (step) =>
          Effect.gen(function* () {
            for (const text of stepDdl(dialect, step, tables.get(step.model))) yield* runOrFail(plain(text))
            learnStep(tables, step)
          }),
        applyAndRecord: (migration, steps) => transaction(Effect.andThen(steps, runOrFail(compileLedgerEntry(dialect, migration.id))))
      })
      // The driver's own: the change feed read from the rows (live entries of the changes table
      // dropped, global tables given a sequence index; account tables always had one).
      if (!applied.has(FEED_ON_ROWS)) {
        yield* transaction(
          Effect.gen(function* () {
            yield* runOrFail(compileDropLiveEntries(dialect))
            for (const info of tables.values())
              if (info.scope === "global") yield* runOrFail(plain(seqIndexDdl(dialect, info.name, "global", "IF NOT EXISTS ")))
            yield* runOrFail(compileLedgerEntry(dialect, FEED_ON_ROWS))
          })
        )
      }
      // The tombstones keyed by account (a database the bootstrap created has that layout already: copied as it is).
      if (!applied.has(TOMBSTONES_BY_ACCOUNT)) {
        yield* transaction(
          Effect.gen(function* () {
            for (const text of tombstonesByAccountDdl(dialect)) yield* runOrFail(plain(text))
            yield* runOrFail(compileLedgerEntry(dialect, TOMBSTONES_BY_ACCOUNT))
          })
        )
      }
      return done
    })
