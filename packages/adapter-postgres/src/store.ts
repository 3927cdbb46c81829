/**
 * What the PostgreSQL store is, whichever driver reaches the database: the options both entry
 * points take (the schema, the migrations, the foreign keys), the capabilities, and the store
 * built over a Kysely instance (the schema created where missing, the migrations applied, the
 * foreign keys added). It imports no driver: `@iaso/adapter-postgres` brings `pg`,
 * `@iaso/adapter-postgres/pglite` brings PGlite, and a bundle of the one never reaches the other.
 * @module
 */
import {
  ALL_MODELS,
  type AnyModel,
  CORE_MIGRATIONS,
  foldMigrations,
  type Migration,
  type ModelSchema,
  StorageError,
  type StoreCapabilities,
  type StoreDriver,
  Unsupported
} from "@iaso/core"
import { makeSqlDriver, postgresDialect, postgresDialectIn } from "@iaso/sql"
import { Effect } from "effect"
import { type Kysely, type RawBuilder, sql } from "kysely"

/** The options of the PostgreSQL store whichever driver it runs on. */
export interface PostgresCommonOptions {
  /**
   * The schema that holds the store's tables, indexes, constraints and migration ledger, created
   * if missing; every statement names its tables in it, so the connections' search path is
   * neither read nor changed (a pool the app shares keeps its own). Default: the connection's
   * current schema (the first of its search path, usually `public`). 1 to 63 bytes, not starting
   * with `pg_`.
   */
  readonly schema?: string
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

/** A Kysely instance over either driver (the store writes raw SQL only). */
export type AnyPostgresKysely = Kysely<Record<string, never>>

/** The capabilities of the PostgreSQL store: on a server (`postgres`) or on PGlite (`pglite`). */
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

/** The retryable `StorageError` of a database that cannot be opened. */
export const unavailable =
  (what: string) =>
  (error: unknown): StorageError =>
    new StorageError({
      reason: "unavailable",
      retryable: true,
      message: `cannot open ${what}: ${error instanceof Error ? error.message : String(error)}`,
      cause: error
    })

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

/** A driver failure as a `StorageError` (a duplicate, which DDL never meets, as an unknown one). */
const storageError = (message: string) => (error: unknown) => {
  const classified = postgresDialect.classify(error)
  return classified instanceof StorageError ? classified : new StorageError({ reason: "unknown", retryable: false, message, cause: error })
}

/**
 * Adds the missing deferred foreign keys of `models` whose tables and columns exist in `schema`
 * (the connection's current schema when undefined), each on the key its target has in `schemas`
 * (what the migrations built). A key present under its name has that form: re-keying a target by
 * account dropped the keys on its id alone (and no key on the id alone can refer to a table keyed
 * by account).
 */
const ensureForeignKeys = (db: AnyPostgresKysely, schema: string | undefined, models: ReadonlyArray<AnyModel>, schemas: ReadonlyMap<string, ModelSchema>) =>
  Effect.tryPromise({
    try: async () => {
      const namespace: RawBuilder<unknown> = schema === undefined ? sql`current_schema()` : sql`${schema}`
      const table = (name: string) => (schema === undefined ? sql.id(name) : sql.id(schema, name))
      const columns = await sql<{
        table_name: string
        column_name: string
      }>`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ${namespace}`.execute(db)
      const present = new Set(columns.rows.map((row) => `${row.table_name}.${row.column_name}`))
      const constraints = await sql<{
        conname: string
      }>`SELECT conname FROM pg_constraint WHERE contype = 'f' AND connamespace = (SELECT oid FROM pg_namespace WHERE nspname = ${namespace})`.execute(db)
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
            await sql`ALTER TABLE ${table(model.name)} ADD CONSTRAINT ${sql.id(name)} FOREIGN KEY (${sql.join(key.columns.map((c) => sql.id(c)))}) REFERENCES ${table(reference.target)} (${sql.join(key.references.map((c) => sql.id(c)))}) DEFERRABLE INITIALLY DEFERRED NOT VALID`.execute(
              db
            )
          } catch (error) {
            // Another process opening the same database added it first.
            if ((error as { readonly code?: unknown }).code !== "42710") throw error
          }
        }
      }
    },
    catch: storageError("cannot add the foreign keys")
  })

/**
 * Creates `schema` unless it exists. Looked up first: `CREATE SCHEMA IF NOT EXISTS` asks for the
 * right to create schemas even where the schema is there, which a role the app was given may
 * lack. Another process creating it at the same time is no failure.
 */
const ensureSchema = (db: AnyPostgresKysely, schema: string) =>
  Effect.tryPromise({
    try: async () => {
      const found = await sql`SELECT 1 FROM pg_namespace WHERE nspname = ${schema}`.execute(db)
      if (found.rows.length > 0) return
      try {
        await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db)
      } catch (error) {
        // A concurrent CREATE SCHEMA won the race for the catalogue's unique key.
        if ((error as { readonly code?: unknown }).code !== "23505") throw error
      }
    },
    catch: storageError(`cannot create the schema ${schema}`)
  })

/** Why `schema` cannot name a schema, or undefined where it can. */
const invalidSchema = (schema: string): string | undefined => {
  if (schema.length === 0) return "the schema name is empty"
  if (new TextEncoder().encode(schema).length > 63) return `the schema name ${schema} is longer than PostgreSQL's 63 bytes`
  if (schema.startsWith("pg_")) return `the schema name ${schema} starts with pg_, which PostgreSQL reserves`
  if (schema.includes("\u0000")) return "the schema name contains a NUL character"
  return undefined
}

/**
 * The store over `db`: the schema created where missing, the migrations applied, the foreign keys
 * added when asked. `Unsupported` for a schema name PostgreSQL cannot hold, or a database migrated
 * by a newer SDK.
 */
export const openPostgresStore = (
  db: AnyPostgresKysely,
  capabilities: StoreCapabilities,
  options: PostgresCommonOptions
): Effect.Effect<StoreDriver, StorageError | Unsupported> =>
  Effect.gen(function* () {
    const { schema } = options
    if (schema !== undefined) {
      const invalid = invalidSchema(schema)
      if (invalid !== undefined) return yield* new Unsupported({ message: invalid })
      yield* ensureSchema(db, schema)
    }
    const dialect = schema === undefined ? postgresDialect : postgresDialectIn(schema)
    // Concurrent writers (a server) draw change sequences from a PostgreSQL sequence, none waiting
    // for another's commit; PGlite's single connection keeps the counter row.
    const driver = makeSqlDriver({ db, dialect, capabilities, sequences: capabilities.concurrentWriters ? "horizon" : "counter" })
    const migrations = options.migrations ?? CORE_MIGRATIONS
    yield* driver.migrate(migrations)
    if (options.foreignKeys === true) yield* ensureForeignKeys(db, schema, ALL_MODELS, foldMigrations(migrations))
    return driver
  })
