/**
 * `@iaso/adapter-sqlite`: the IASO store on SQLite through better-sqlite3, for scripts, CLIs,
 * desktop tools and tests: a file (WAL journal, busy timeout; several processes may write it) or
 * `:memory:`. The SQL itself is the shared `@iaso/sql` implementation.
 *
 * ```ts
 * import { createIaso } from "@iaso/core"
 * import { SqliteStore } from "@iaso/adapter-sqlite"
 * const iaso = createIaso({ store: SqliteStore.layer({ filename: "pyramid.sqlite" }) })
 * ```
 * @document ../README.md
 * @module @iaso/adapter-sqlite
 */
import { CORE_MIGRATIONS, type Migration, StorageError, Store, type StoreCapabilities, type Unsupported } from "@iaso/core"
import { makeSqlDriver, type NativeConnection, sqliteDialect } from "@iaso/sql"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import { Kysely, SqliteDialect } from "kysely"

/** Options of {@link SqliteStore.layer}. */
export interface SqliteStoreOptions {
  /** A file path, or `:memory:`. */
  readonly filename: string
  /**
   * Milliseconds to wait for a lock held by another connection (default 5000); a transaction still
   * refused then runs again after a pause, up to 5 attempts, before failing.
   */
  readonly busyTimeoutMs?: number
  /** Migrations to apply (default: every migration of the SDK). */
  readonly migrations?: ReadonlyArray<Migration>
}

/** The capabilities of the SQLite store. */
export const sqliteCapabilities = (persistent: boolean): StoreCapabilities => ({
  name: "sqlite",
  persistent,
  isolation: "serialized-writers",
  concurrentWriters: false,
  awaitInsideTransaction: true,
  textOrder: "codepoint",
  maxBatchSize: 1000,
  nativeJson: false,
  nodeOnly: true
})

/** How many prepared statements a connection keeps (least recently used ones are dropped). */
const STATEMENT_CACHE_SIZE = 256

/**
 * Statements straight on the better-sqlite3 connection, prepared once per text and reused: the
 * SDK's statements have fixed texts (parameters are bound), so a store's working set is small.
 * Savepoint statements carry a counter in their name and are executed without caching.
 */
export const nativeConnection = (database: Database.Database): NativeConnection => {
  const cache = new Map<string, Database.Statement>()
  return {
    execute: (text, params) => {
      if (params.length === 0 && /^(SAVEPOINT|RELEASE|ROLLBACK TO)\b/.test(text)) {
        database.exec(text)
        return { rows: [] }
      }
      let statement = cache.get(text)
      if (statement === undefined) {
        statement = database.prepare(text)
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next()
          if (oldest.done !== true) cache.delete(oldest.value)
        }
      } else cache.delete(text)
      cache.set(text, statement)
      if (statement.reader) return { rows: statement.all(...params) as ReadonlyArray<Record<string, unknown>> }
      return { rows: [], numAffectedRows: BigInt(statement.run(...params).changes) }
    }
  }
}

/** The SQLite store. */
export const SqliteStore = {
  /** Opens (creating if needed) and migrates a SQLite database; closed when the layer is released. */
  layer: (options: SqliteStoreOptions): Layer.Layer<Store, StorageError | Unsupported> =>
    Layer.effect(
      Store,
      Effect.gen(function* () {
        const database = yield* Effect.acquireRelease(
          Effect.try({
            try: () => {
              const db = new Database(options.filename)
              db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`)
              if (options.filename !== ":memory:" && options.filename !== "") db.pragma("journal_mode = WAL")
              db.pragma("synchronous = NORMAL")
              return db
            },
            catch: (error) =>
              new StorageError({
                reason: "unavailable",
                retryable: false,
                message: `cannot open the SQLite database ${options.filename}: ${String(error)}`,
                cause: error
              })
          }),
          (db) => Effect.sync(() => db.close())
        )
        const db = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database }) })
        const driver = makeSqlDriver({
          db,
          dialect: sqliteDialect,
          capabilities: sqliteCapabilities(options.filename !== ":memory:" && options.filename !== ""),
          native: nativeConnection(database)
        })
        yield* driver.migrate(options.migrations ?? CORE_MIGRATIONS)
        return driver
      })
    )
}
