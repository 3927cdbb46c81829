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
import { ALL_MODELS, type AnyModel, CORE_MIGRATIONS, type Migration, StorageError, Store, type StoreCapabilities, type Unsupported } from "@iaso/core"
import { makeSqlDriver, postgresDialect } from "@iaso/sql"
import { Effect, Layer } from "effect"
import { Kysely, PGliteDialect, PostgresDialect, sql } from "kysely"
import pg from "pg"

/** Where the PostgreSQL store lives. */
export type PostgresStoreOptions = (
  | { readonly connectionString: string; readonly maxConnections?: number }
  | { readonly pool: pg.Pool }
  | { readonly pglite: PGlite | { readonly dataDir?: string } }
) & {
  /** Migrations to apply (default: every migration of the SDK). */
  readonly migrations?: ReadonlyArray<Migration>
  /**
   * Adds a foreign key for every reference between models, `DEFERRABLE INITIALLY DEFERRED` (checked
   * at commit, so imports may write children before parents): a safety net under the reference
   * checks and on-delete rules core applies anyway, against writes that bypass the SDK. Off by
   * default: deferred checks cost at commit (a 500k-row insert with one such key took 59% longer
   * on PostgreSQL 15 here, and an org unit has four). Added `NOT VALID`: rows already stored are not
   * re-checked.
   */
  readonly foreignKeys?: boolean
}

/** PostgreSQL's identifier limit is 63 bytes: a longer constraint name keeps a hash of the whole. */
const constraintName = (model: string, field: string): string => {
  const name = `${model}_${field}_fkey`
  if (name.length <= 63) return name
  let hash = 0
  for (const char of name) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) >>> 0
  return `${name.slice(0, 54)}_${hash.toString(16).padStart(8, "0")}`
}

/** Adds the missing deferred foreign keys of `models` whose tables and columns exist. */
const ensureForeignKeys = (db: Kysely<Record<string, never>>, models: ReadonlyArray<AnyModel>) =>
  Effect.tryPromise({
    try: async () => {
      const columns = await sql<{
        table_name: string
        column_name: string
      }>`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`.execute(db)
      const present = new Set(columns.rows.map((row) => `${row.table_name}.${row.column_name}`))
      const constraints = await sql<{
        conname: string
      }>`SELECT conname FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`.execute(db)
      const existing = new Set(constraints.rows.map((row) => row.conname))
      for (const model of models) {
        for (const reference of model.references) {
          const name = constraintName(model.name, reference.field)
          if (existing.has(name) || !present.has(`${model.name}.${reference.field}`) || !present.has(`${reference.target}.id`)) continue
          try {
            await sql`ALTER TABLE ${sql.id(model.name)} ADD CONSTRAINT ${sql.id(name)} FOREIGN KEY (${sql.id(reference.field)}) REFERENCES ${sql.id(reference.target)} (id) DEFERRABLE INITIALLY DEFERRED NOT VALID`.execute(
              db
            )
          } catch (error) {
            // Another process opening the same database added it first.
            if ((error as { readonly code?: unknown }).code !== "42710") throw error
          }
        }
      }
    },
    catch: (error) => postgresDialect.classify(error)
  }).pipe(
    Effect.mapError((classified) =>
      classified instanceof StorageError ? classified : new StorageError({ reason: "unknown", retryable: false, message: "cannot add the foreign keys" })
    )
  )

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
  new StorageError({
    reason: "unavailable",
    retryable: true,
    message: `cannot open ${what}: ${error instanceof Error ? error.message : String(error)}`,
    cause: error
  })

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
        if (options.foreignKeys === true) yield* ensureForeignKeys(db, ALL_MODELS)
        return driver
      })
    )
}
