/**
 * The code of docs/writing-an-adapter.md: a store on Node's built-in `node:sqlite`, through the
 * SQL implementation every SQL adapter shares (`@iaso/sql`). Run it with
 * `npx node --conditions=@iaso/source examples/guide-writing-an-adapter.ts`; the examples test
 * runs it and runs the conformance suite against `NodeSqliteStore`.
 */
import { DatabaseSync } from "node:sqlite"
import { Actor, CORE_MIGRATIONS, createIaso, type Migration, StorageError, Store, type StoreCapabilities, type Unsupported } from "@iaso/core"
import { makeSqlDriver, type NativeConnection, sqliteDialect } from "@iaso/sql"
import { Effect, Layer } from "effect"
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from "kysely"

/** SQLite's result codes as the SQLite dialect reads them from an error's `code`. */
const RESULT_CODES: Readonly<Record<number, string>> = {
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  8: "SQLITE_READONLY",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  19: "SQLITE_CONSTRAINT",
  26: "SQLITE_NOTADB",
  1555: "SQLITE_CONSTRAINT_PRIMARYKEY",
  2067: "SQLITE_CONSTRAINT_UNIQUE"
}

/** node:sqlite reports `errcode` (a number): give the error the `code` the dialect classifies. */
const withCode = (error: unknown): unknown => {
  const errcode = (error as { readonly errcode?: unknown } | null)?.errcode
  if (typeof errcode !== "number") return error
  const code = RESULT_CODES[errcode] ?? RESULT_CODES[errcode & 0xff]
  return code === undefined ? error : Object.assign(error as Error, { code })
}

/** Runs the SDK's statements on the connection: rows for a statement that returns some, else the count of changed rows. */
const nativeConnection = (database: DatabaseSync): NativeConnection => ({
  execute: (text, params) => {
    try {
      const statement = database.prepare(text)
      const values = params as ReadonlyArray<null | number | bigint | string | Uint8Array>
      if (statement.columns().length > 0) return { rows: statement.all(...values) as ReadonlyArray<Record<string, unknown>> }
      return { rows: [], numAffectedRows: BigInt(statement.run(...values).changes) }
    } catch (error) {
      throw withCode(error)
    }
  }
})

/** What the store tells the SDK about itself. */
const capabilities = (persistent: boolean): StoreCapabilities => ({
  name: "node:sqlite",
  persistent,
  isolation: "serialized-writers",
  concurrentWriters: false,
  awaitInsideTransaction: true,
  textOrder: "codepoint",
  maxBatchSize: 1000,
  nativeJson: false,
  nodeOnly: true
})

/** The store on node:sqlite: a file, or `:memory:`. */
export const NodeSqliteStore = {
  layer: (options: { readonly filename: string; readonly migrations?: ReadonlyArray<Migration> }): Layer.Layer<Store, StorageError | Unsupported> =>
    Layer.effect(
      Store,
      Effect.gen(function* () {
        const database = yield* Effect.acquireRelease(
          Effect.try({
            try: () => new DatabaseSync(options.filename),
            catch: (cause) => new StorageError({ reason: "unavailable", retryable: false, message: `cannot open ${options.filename}`, cause })
          }),
          (db) => Effect.sync(() => db.close())
        )
        // Kysely only compiles statements here: every one runs on the native connection.
        const db = new Kysely<Record<string, never>>({
          dialect: {
            createAdapter: () => new SqliteAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (kysely) => new SqliteIntrospector(kysely),
            createQueryCompiler: () => new SqliteQueryCompiler()
          }
        })
        const driver = makeSqlDriver({
          db,
          dialect: sqliteDialect,
          capabilities: capabilities(options.filename !== ":memory:"),
          native: nativeConnection(database)
        })
        yield* driver.migrate(options.migrations ?? CORE_MIGRATIONS)
        return driver
      })
    )
}

if (import.meta.main) {
  const iaso = createIaso({ store: NodeSqliteStore.layer({ filename: ":memory:" }) })
  const { account, version } = await iaso.accounts.setup({ name: "Adapter Health" })
  const admin = iaso.as(Actor.system(account.id))
  const country = await admin.orgUnits.create({ name: "Sierra Leone", versionId: version.id })
  await admin.orgUnits.create({ name: "Bo", versionId: version.id, parentId: country.id })
  const levels = await admin.orgUnits.countsPerLevel({ versionId: version.id })
  console.log(levels.map(({ depth, count }) => `level ${depth}: ${count}`).join(", "))
  await iaso.dispose()
}
