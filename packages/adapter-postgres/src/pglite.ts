/**
 * `@iaso/adapter-postgres/pglite`: the IASO store on PGlite, PostgreSQL embedded in the process (in
 * memory, a data directory, or an IndexedDB database in a browser) where no server is wanted.
 * Nothing reachable from here imports `pg` or a Node builtin, so a browser bundle of it holds no
 * server driver.
 *
 * ```ts
 * import { createIaso } from "@iaso/core"
 * import { PGliteStore } from "@iaso/adapter-postgres/pglite"
 * const iaso = createIaso({ store: PGliteStore.layer({ dataDir: "./pgdata" }) })
 * ```
 * @module @iaso/adapter-postgres/pglite
 */
import { PGlite } from "@electric-sql/pglite"
import { type StorageError, Store, type Unsupported } from "@iaso/core"
import { Effect, Layer } from "effect"
import { Kysely, PGliteDialect } from "kysely"
import { type AnyPostgresKysely, openPostgresStore, type PostgresCommonOptions, postgresCapabilities, unavailable } from "./store.ts"

export { type PostgresCommonOptions, postgresCapabilities } from "./store.ts"

/** Where the PGlite store lives: a PGlite the app opened, or one the store opens; and the store's own options. */
export type PGliteStoreOptions = (
  | {
      /** A PGlite the app already has: used as it is, never closed by the store. */
      readonly pglite: PGlite
    }
  | {
      /** The data directory of a PGlite the store opens (and closes with the layer); in memory when absent. */
      readonly dataDir?: string
    }
) &
  PostgresCommonOptions

/** The PostgreSQL store on PGlite. */
export const PGliteStore = {
  /** Opens PGlite unless given one, creates the schema if asked and missing, migrates; closes the PGlite it opened when the layer is released. */
  layer: (options: PGliteStoreOptions): Layer.Layer<Store, StorageError | Unsupported> =>
    Layer.effect(
      Store,
      Effect.gen(function* () {
        const pglite =
          "pglite" in options
            ? options.pglite
            : yield* Effect.acquireRelease(
                Effect.tryPromise({
                  try: () => PGlite.create(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
                  catch: unavailable("PGlite")
                }),
                (instance) => Effect.promise(() => instance.close())
              )
        const db: AnyPostgresKysely = new Kysely({ dialect: new PGliteDialect({ pglite }) })
        // Persistent in a directory or IndexedDB (`idb://`); not in memory (no data directory, or `memory://`).
        const persistent = pglite.dataDir !== undefined && !pglite.dataDir.startsWith("memory://")
        return yield* openPostgresStore(db, postgresCapabilities("pglite", persistent), options)
      })
    )
}
