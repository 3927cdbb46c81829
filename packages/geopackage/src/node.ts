/**
 * `@iaso/geopackage/node`: the {@link GpkgDriver} on better-sqlite3, for Node. Databases live in
 * memory: a file's bytes are deserialised into a read-only in-memory database (no temporary file),
 * and a written GeoPackage is serialised back to bytes.
 * @module @iaso/geopackage/node
 */
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import { type IasoAs, StorageError, ValidationError } from "@iaso/core"
import { GpkgDriver, type GpkgDatabase, inMemoryCopy, isSqliteFile, type SqlRow, type SqlValue, UNTRUSTED_SCHEMA_PRAGMA } from "./database.ts"
import { type GeoPackages, geoPackagesWith } from "./promise.ts"

export type { GeoPackages }

/** better-sqlite3 binds blobs as Buffers. */
const bind = (params: ReadonlyArray<SqlValue>): Array<string | number | bigint | Buffer | null> =>
  params.map((value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value))

/** Wraps an open better-sqlite3 database in the {@link GpkgDatabase} port. */
export const fromBetterSqlite3 = (db: Database.Database): GpkgDatabase => ({
  rows: (sql, params = []) => db.prepare(sql).iterate(...bind(params)) as IterableIterator<SqlRow>,
  run: (sql, rows) => {
    const statement = db.prepare(sql)
    db.transaction(() => {
      for (const row of rows) statement.run(...bind(row))
    })()
  },
  exec: (sql) => {
    db.exec(sql)
  },
  serialize: () => new Uint8Array(db.serialize()),
  close: () => {
    if (db.open) db.close()
  }
})

/** Opens a read-only copy of GeoPackage bytes in memory (a `ValidationError` when they are not an SQLite database). */
export const openBetterSqlite3 = (bytes: Uint8Array): Effect.Effect<GpkgDatabase, ValidationError> => {
  if (bytes.byteLength === 0) return Effect.fail(ValidationError.at([], "not a GeoPackage: the file is empty"))
  if (!isSqliteFile(bytes)) return Effect.fail(ValidationError.at([], "not a GeoPackage: the file is not an SQLite database"))
  return Effect.try({
    try: () => {
      const copy = inMemoryCopy(bytes)
      const db = new Database(Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength), { readonly: true })
      try {
        db.exec(UNTRUSTED_SCHEMA_PRAGMA)
        // Reading the schema fails here, not later, when the pages are not a database.
        db.prepare("SELECT count(*) AS n FROM sqlite_master").get()
      } catch (error) {
        db.close()
        throw error
      }
      return fromBetterSqlite3(db)
    },
    catch: (error) => ValidationError.at([], `not a GeoPackage: ${error instanceof Error ? error.message : String(error)}`)
  })
}

/** A new, empty in-memory database. */
export const createBetterSqlite3 = (): Effect.Effect<GpkgDatabase, StorageError> =>
  Effect.try({
    try: () => fromBetterSqlite3(new Database(":memory:")),
    catch: (error) => new StorageError({ reason: "unavailable", retryable: false, message: `cannot create an SQLite database: ${String(error)}`, cause: error })
  })

/** The GeoPackage driver on better-sqlite3. */
export const BetterSqlite3Gpkg = {
  /** Provides {@link GpkgDriver} with better-sqlite3 (in-memory databases). */
  layer: Layer.succeed(GpkgDriver, GpkgDriver.of({ open: openBetterSqlite3, create: createBetterSqlite3 }))
}

/**
 * GeoPackage import and export on the Promise API, with better-sqlite3, for the actor of `iaso`:
 * `geoPackages(iaso.as(actor)).import(bytes, options)` and `.export(versionId, options)`.
 */
export const geoPackages = (iaso: Pick<IasoAs, "run">): GeoPackages => geoPackagesWith(iaso, BetterSqlite3Gpkg.layer)
