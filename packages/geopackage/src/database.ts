/**
 * The reader/writer port: the few SQLite operations GeoPackage import and export need, behind
 * {@link GpkgDatabase}, and the {@link GpkgDriver} service that opens one from a file's bytes or
 * creates an empty one. Node provides it with better-sqlite3 (`@iaso/geopackage/node`), browsers
 * with sql.js (`@iaso/geopackage/sqljs`). Nothing here imports a driver.
 *
 * An uploaded file is opened read-only with `trusted_schema` off, and read a row at a time
 * ({@link GpkgDatabase.rows}), so that a reader can stop a statement between two rows.
 * @module
 */
import { Context, type Effect } from "effect"
import type { StorageError, ValidationError } from "@iaso/core"

/** A value SQLite stores: text, number (integer or real), big integer, blob or NULL. */
export type SqlValue = string | number | bigint | Uint8Array | null

/** A row returned by a query, keyed by column name. */
export type SqlRow = Readonly<Record<string, SqlValue>>

/**
 * An open SQLite database. Every method is synchronous (both better-sqlite3 and sql.js are) and
 * may throw the driver's error: callers wrap them (`Effect.try`).
 */
export interface GpkgDatabase {
  /**
   * The rows of one statement with positional parameters, stepped one at a time by the iterator's
   * `next()` (which throws the driver's error). The statement is finalised when the rows run out
   * or the iteration is abandoned (`return()`, e.g. `break` in a `for...of`); no other statement
   * may run on the database until then.
   */
  readonly rows: (sql: string, params?: ReadonlyArray<SqlValue>) => IterableIterator<SqlRow>
  /** Runs one statement once per parameter row (prepared once), e.g. a batch of inserts. */
  readonly run: (sql: string, rows: ReadonlyArray<ReadonlyArray<SqlValue>>) => void
  /** Executes SQL text of one or more statements without parameters (DDL, pragmas). */
  readonly exec: (sql: string) => void
  /** The bytes of the database file as it is now. */
  readonly serialize: () => Uint8Array
  /** Closes the database (idempotent). */
  readonly close: () => void
}

/**
 * The key of {@link GpkgDriver}. Effect names the key of a service nobody provided ("Service not
 * found: <key>"), so this one says which layer to provide.
 */
export const GPKG_DRIVER_KEY =
  "@iaso/geopackage/GpkgDriver (provide BetterSqlite3Gpkg.layer from @iaso/geopackage/node, or SqlJsGpkg.layer(SQL) from @iaso/geopackage/sqljs)"

/**
 * Opens and creates GeoPackage databases. Provide it with `BetterSqlite3Gpkg.layer`
 * (`@iaso/geopackage/node`) or `SqlJsGpkg.layer(SQL)` (`@iaso/geopackage/sqljs`); an effect run
 * without it dies with "Service not found: @iaso/geopackage/GpkgDriver (provide ...)".
 */
export class GpkgDriver extends Context.Service<
  GpkgDriver,
  {
    /**
     * Opens a copy of a file's bytes in memory, read-only (the driver refuses every write) and with
     * {@link UNTRUSTED_SCHEMA_PRAGMA}. Bytes that are not an SQLite database fail with a
     * `ValidationError` ("not a GeoPackage: ..."); the caller's bytes are never changed.
     */
    readonly open: (bytes: Uint8Array) => Effect.Effect<GpkgDatabase, ValidationError>
    /** A new, empty database in memory. */
    readonly create: () => Effect.Effect<GpkgDatabase, StorageError>
  }
>()(GPKG_DRIVER_KEY) {}

/**
 * Run on every uploaded file once opened: SQL functions that SQLite does not mark innocuous may
 * not run from the file's own schema (views, triggers, generated columns, defaults).
 */
export const UNTRUSTED_SCHEMA_PRAGMA = "PRAGMA trusted_schema = OFF"

/** The 16 bytes every SQLite 3 database file starts with. */
const SQLITE_MAGIC = "SQLite format 3\u0000"

/** Whether `bytes` start with the SQLite 3 file header. */
export const isSqliteFile = (bytes: Uint8Array): boolean => {
  if (bytes.byteLength < 100) return false
  for (let i = 0; i < SQLITE_MAGIC.length; i++) if (bytes[i] !== SQLITE_MAGIC.charCodeAt(i)) return false
  return true
}

/**
 * A copy of an SQLite file's bytes that opens in memory: a database left in WAL mode (header
 * bytes 18-19 = 2, as QGIS writes them) is switched to the rollback journal, which is what an
 * in-memory database needs. The content is the same: only committed pages are in a file's bytes.
 */
export const inMemoryCopy = (bytes: Uint8Array): Uint8Array => {
  const copy = bytes.slice()
  if (copy[18] === 2) copy[18] = 1
  if (copy[19] === 2) copy[19] = 1
  return copy
}

/** Quotes an SQL identifier (table or column name) for SQLite. */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`
