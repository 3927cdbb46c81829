/**
 * `@iaso/adapter-postgres/testing`: a PostgreSQL schema of its own for a test file, so test files
 * can run at once against one database and leave nothing behind.
 *
 * ```ts
 * import { freshSchema } from "@iaso/adapter-postgres/testing"
 * const db = freshSchema(process.env.DATABASE_URL ?? "", { label: "orders" })
 * beforeAll(db.create)
 * afterAll(db.drop)
 * const layer = PostgresStore.layer({ pool: db.pool })
 * ```
 * @module
 */
import pg from "pg"

/** A schema created for one test file and the pool whose connections use it. */
export interface FreshSchema {
  /** The schema's name: the label, the process id and the time it was made. */
  readonly schema: string
  /** A pool whose connections have the schema as their search path. */
  readonly pool: pg.Pool
  /** Creates the schema (call it before the pool's first use). */
  readonly create: () => Promise<void>
  /** Closes the pool, then drops the schema and everything in it. */
  readonly drop: () => Promise<void>
}

/**
 * A schema of its own on the PostgreSQL server at `url`, named after `label` (letters, digits and
 * underscores), with a pool of at most `maxConnections` (default 2) that uses it.
 */
export const freshSchema = (url: string, options: { readonly label: string; readonly maxConnections?: number }): FreshSchema => {
  if (!/^[a-z0-9_]+$/.test(options.label)) throw new Error(`freshSchema: the label must be lower-case letters, digits and underscores, not ${options.label}`)
  const schema = `iaso_${options.label}_${process.pid}_${Date.now()}`
  const admin = new pg.Pool({ connectionString: url, max: 1 })
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 2, options: `-c search_path=${schema}` })
  return {
    schema,
    pool,
    create: async () => {
      await admin.query(`CREATE SCHEMA ${schema}`)
    },
    drop: async () => {
      await pool.end()
      try {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      } finally {
        await admin.end()
      }
    }
  }
}
