/**
 * `@iaso/adapter-postgres`: the IASO store on PostgreSQL, through a `pg` pool (a connection string
 * or a pool the app already has) or an embedded PGlite (in memory or a data directory) where no
 * server is wanted. The SQL itself is the shared `@iaso/sql` implementation; PostgreSQL needs no
 * extension.
 *
 * ```ts
 * import { createIaso } from "@iaso/core"
 * import { PostgresStore } from "@iaso/adapter-postgres"
 * const iaso = createIaso({ store: PostgresStore.layer({ connectionString: process.env.DATABASE_URL }) })
 * ```
 * @module
 */
import { PGlite } from "@electric-sql/pglite"
import { CORE_MIGRATIONS, type Migration, StorageError, Store, type StoreCapabilities, type Unsupported } from "@iaso/core"
import { makeSqlDriver, postgresDialect } from "@iaso/sql"
import { Effect, Layer } from "effect"
import { Kysely, PGliteDialect, PostgresDialect } from "kysely"
import pg from "pg"

/** Where the PostgreSQL store lives. */
export type PostgresStoreOptions = (
  | { readonly connectionString: string; readonly maxConnections?: number }
  | { readonly pool: pg.Pool }
  | { readonly pglite: PGlite | { readonly dataDir?: string } }
) & {
  /** Migrations to apply (default: every migration of the SDK). */
  readonly migrations?: ReadonlyArray<Migration>
}

/** The capabilities of the PostgreSQL store. */
export const postgresCapabilities = (name: "postgres" | "pglite", persistent: boolean): StoreCapabilities => ({
  name,
  persistent,
  isolation: "serialized-writers",
  concurrentWriters: name === "postgres",
  awaitInsideTransaction: true,
  textOrder: "codepoint",
  maxBatchSize: 1000,
  nativeJson: true,
  nodeOnly: name === "postgres"
})

const unavailable = (what: string) => (error: unknown) =>
  new StorageError({ reason: "unavailable", retryable: true, message: `cannot open ${what}: ${error instanceof Error ? error.message : String(error)}`, cause: error })

/** The PostgreSQL store. */
export const PostgresStore = {
  /** Connects (or opens PGlite), migrates, and closes what it opened when the layer is released. */
  layer: (options: PostgresStoreOptions): Layer.Layer<Store, StorageError | Unsupported> =>
    Layer.effect(
      Store,
      Effect.gen(function* () {
        let db: Kysely<Record<string, never>>
        let capabilities: StoreCapabilities
        if ("pglite" in options) {
          const given = options.pglite
          const pglite =
            given instanceof PGlite
              ? given
              : yield* Effect.acquireRelease(
                  Effect.tryPromise({ try: () => PGlite.create(given.dataDir === undefined ? {} : { dataDir: given.dataDir }), catch: unavailable("PGlite") }),
                  (instance) => Effect.promise(() => instance.close())
                )
          db = new Kysely({ dialect: new PGliteDialect({ pglite }) })
          capabilities = postgresCapabilities("pglite", given instanceof PGlite ? given.dataDir !== undefined : given.dataDir !== undefined)
        } else {
          const pool =
            "pool" in options
              ? options.pool
              : yield* Effect.acquireRelease(
                  Effect.sync(() => new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 })),
                  (created) => Effect.promise(() => created.end())
                )
          // An idle client that the server drops must not crash the process.
          pool.on("error", () => undefined)
          db = new Kysely({ dialect: new PostgresDialect({ pool }) })
          capabilities = postgresCapabilities("postgres", true)
        }
        const driver = makeSqlDriver({ db, dialect: postgresDialect, capabilities })
        yield* driver.migrate(options.migrations ?? CORE_MIGRATIONS)
        return driver
      })
    )
}
