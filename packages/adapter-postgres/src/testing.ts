/**
 * `@iaso/adapter-postgres/testing`: a PostgreSQL schema of its own for a test file, so test files
 * can run at once against one database and leave nothing behind. The store is given the schema
 * (its `schema` option) and creates it on opening; the pool is a plain one, its search path left
 * as the server sets it.
 *
 * ```ts
 * import { freshSchema } from "@iaso/adapter-postgres/testing"
 * const db = freshSchema(process.env.DATABASE_URL ?? "", { label: "orders" })
 * afterAll(db.drop)
 * const layer = PostgresStore.layer({ pool: db.pool, schema: db.schema })
 * ```
 * @module
 */
import pg from "pg"

/** A schema for one test file, the pool to reach it, and what drops it. */
export interface FreshSchema {
  /** The schema's name: `iaso_`, the label, the process id and the time it was named. */
  readonly schema: string
  /** A pool on the database (at most `maxConnections`), its search path untouched: give the store `schema`. */
  readonly pool: pg.Pool
  /** A table of the schema as raw statements name it: `"<schema>"."<name>"`. */
  readonly table: (name: string) => string
  /** Closes the pool, then drops the schema and everything in it (if a store created it). */
  readonly drop: () => Promise<void>
}

/**
 * A schema name of its own on the PostgreSQL server at `url`, named after `label` (lower-case
 * letters, digits and underscores), with a pool of at most `maxConnections` (default 2).
 */
export const freshSchema = (url: string, options: { readonly label: string; readonly maxConnections?: number }): FreshSchema => {
  if (!/^[a-z0-9_]+$/.test(options.label)) throw new Error(`freshSchema: the label must be lower-case letters, digits and underscores, not ${options.label}`)
  const schema = `iaso_${options.label}_${process.pid}_${Date.now()}`
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 2 })
  return {
    schema,
    pool,
    table: (name) => `"${schema}"."${name.replace(/"/g, '""')}"`,
    drop: async () => {
      await pool.end()
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      } finally {
        await admin.end()
      }
    }
  }
}
