/**
 * `@iaso/adapter-postgres`: the IASO store on a PostgreSQL server through `pg` (a connection
 * string, or a pool the app already has). The SQL itself is the shared `@iaso/sql`
 * implementation; PostgreSQL needs no extension. Embedded PGlite is the other entry point,
 * `@iaso/adapter-postgres/pglite`, which never reaches `pg`.
 *
 * ```ts
 * import { createIaso } from "@iaso/core"
 * import { PostgresStore } from "@iaso/adapter-postgres"
 * const iaso = createIaso({ store: PostgresStore.layer({ connectionString: process.env.DATABASE_URL ?? "", schema: "iaso" }) })
 * ```
 * @document ../README.md
 * @module @iaso/adapter-postgres
 */
import { type StorageError, Store, type Unsupported } from "@iaso/core"
import { Effect, Layer } from "effect"
import { Kysely, PostgresDialect } from "kysely"
import pg from "pg"
import { type AnyPostgresKysely, openPostgresStore, type PostgresCommonOptions, postgresCapabilities } from "./store.ts"

export { type PostgresCommonOptions, postgresCapabilities } from "./store.ts"

/** Where the PostgreSQL store lives: a server reached through `pg`, and the store's own options. */
export type PostgresStoreOptions = (
  | {
      /** A connection string; the store opens a pool of its own and closes it with the layer. */
      readonly connectionString: string
      /** The most connections of that pool (default 10). */
      readonly maxConnections?: number
    }
  | {
      /** A pool the app already has: used as it is (its search path untouched), never closed by the store. */
      readonly pool: pg.Pool
    }
) &
  PostgresCommonOptions

/** The PostgreSQL store on a server, through `pg`. */
export const PostgresStore = {
  /** Connects, creates the schema if asked and missing, migrates; closes the pool it opened when the layer is released. */
  layer: (options: PostgresStoreOptions): Layer.Layer<Store, StorageError | Unsupported> =>
    Layer.effect(
      Store,
      Effect.gen(function* () {
        const pool =
          "pool" in options
            ? options.pool
            : yield* Effect.acquireRelease(
                Effect.sync(() => new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 })),
                (created) => Effect.promise(() => created.end())
              )
        // An idle client that the server drops must not crash the process.
        pool.on("error", () => undefined)
        const db: AnyPostgresKysely = new Kysely({ dialect: new PostgresDialect({ pool }) })
        return yield* openPostgresStore(db, postgresCapabilities("postgres", true), options)
      })
    )
}
