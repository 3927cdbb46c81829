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
import {
  ALL_MODELS,
  type AnyModel,
  CORE_MIGRATIONS,
  foldMigrations,
  type Migration,
  type ModelSchema,
  StorageError,
  Store,
  type StoreCapabilities,
  type Unsupported
} from "@iaso/core"
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
   * re-checked. A reference to an account model's row is keyed by the account and the id (a row
   * refers to a row of its own account); re-keying a table by account (migration 0005) drops the
   * keys that referred to its id alone, and the next opening with this option adds them anew.
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

/**
 * The foreign key of a reference: to a table keyed by account and id, the referencing row's account
 * and field (a row refers to a row of its own account); to a table keyed by id, the field alone.
 * Undefined where no key can be declared (a global model referring to an account-keyed table).
 */
const foreignKeyOf = (
  source: ModelSchema,
  field: string,
  target: ModelSchema
): { readonly columns: ReadonlyArray<string>; readonly references: ReadonlyArray<string> } | undefined => {
  if (target.keyedByAccount !== true) return { columns: [field], references: ["id"] }
  return source.scope === "account" ? { columns: ["accountId", field], references: ["accountId", "id"] } : undefined
}

/**
 * Adds the missing deferred foreign keys of `models` whose tables and columns exist, each on the
 * key its target has in `schemas` (what the migrations built). A key present under its name has
 * that form: re-keying a target by account dropped the keys on its id alone (and no key on the id
 * alone can refer to a table keyed by account).
 */
const ensureForeignKeys = (db: Kysely<Record<string, never>>, models: ReadonlyArray<AnyModel>, schemas: ReadonlyMap<string, ModelSchema>) =>
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
        const source = schemas.get(model.name)
        for (const reference of model.references) {
          const target = schemas.get(reference.target)
          const key = source === undefined || target === undefined ? undefined : foreignKeyOf(source, reference.field, target)
          if (key === undefined || !present.has(`${model.name}.${reference.field}`) || !present.has(`${reference.target}.id`)) continue
          const name = constraintName(model.name, reference.field)
          if (existing.has(name)) continue
          try {
            await sql`ALTER TABLE ${sql.id(model.name)} ADD CONSTRAINT ${sql.id(name)} FOREIGN KEY (${sql.join(key.columns.map((c) => sql.id(c)))}) REFERENCES ${sql.id(reference.target)} (${sql.join(key.references.map((c) => sql.id(c)))}) DEFERRABLE INITIALLY DEFERRED NOT VALID`.execute(
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
        const migrations = options.migrations ?? CORE_MIGRATIONS
        yield* driver.migrate(migrations)
        if (options.foreignKeys === true) yield* ensureForeignKeys(db, ALL_MODELS, foldMigrations(migrations))
        return driver
      })
    )
}
