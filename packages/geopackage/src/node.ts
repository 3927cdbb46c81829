/**
 * `@iaso/geopackage/node`: the {@link GpkgDriver} on better-sqlite3, for Node. Databases live in
 * memory: a file's bytes are deserialised into a read-only in-memory database (no temporary file),
 * and a written GeoPackage is serialised back to bytes.
 * @module @iaso/geopackage/node
 */
import { readFile } from "node:fs/promises"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import {
  type BlobStore,
  type CurrentActor,
  type Interrupted,
  type IasoAs,
  type PyramidImports,
  type ServiceWriteError,
  StorageError,
  ValidationError
} from "@iaso/core"
import { type GeoPackageImportOptions, type GeoPackageImportResult, importOpenedGeoPackage } from "./import.ts"
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
  return openChecked(() => {
    const copy = inMemoryCopy(bytes)
    return new Database(Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength), { readonly: true })
  })
}

/**
 * Opens a database with `open`, applies {@link UNTRUSTED_SCHEMA_PRAGMA} and reads its schema once,
 * so that pages which are not a database fail here, not later; a `ValidationError` otherwise.
 */
const openChecked = (open: () => Database.Database): Effect.Effect<GpkgDatabase, ValidationError> =>
  Effect.try({
    try: () => {
      const db = open()
      try {
        db.exec(UNTRUSTED_SCHEMA_PRAGMA)
        db.prepare("SELECT count(*) AS n FROM sqlite_master").get()
      } catch (error) {
        db.close()
        throw error
      }
      return fromBetterSqlite3(db)
    },
    catch: (error) => ValidationError.at([], `not a GeoPackage: ${error instanceof Error ? error.message : String(error)}`)
  })

/**
 * Opens a GeoPackage file on disk read-only, where it is (its pages are read when needed, not
 * copied into memory), with {@link UNTRUSTED_SCHEMA_PRAGMA}; a `ValidationError` when it is not an
 * SQLite database (or cannot be opened read-only, e.g. a database in WAL mode without its `-shm`).
 */
export const openBetterSqlite3File = (path: string): Effect.Effect<GpkgDatabase, ValidationError> =>
  openChecked(() => new Database(path, { readonly: true, fileMustExist: true }))

/**
 * Imports a GeoPackage file on disk, as `importGeoPackage` imports bytes (same checks, errors and
 * result), in bounded memory: the file is read where it is, its bytes are loaded only to be kept in
 * the `BlobStore` once the file is checked, and its units are read again in chunks while they are
 * written. A 1M-unit file imports in well under 1 GB of memory (see bench/README.md).
 */
export const importGeoPackageFile = (
  path: string,
  options: GeoPackageImportOptions
): Effect.Effect<GeoPackageImportResult, ServiceWriteError | Interrupted, BlobStore | PyramidImports | CurrentActor> =>
  importOpenedGeoPackage(
    openBetterSqlite3File(path),
    Effect.tryPromise({
      try: () => readFile(path).then((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)),
      catch: (cause) => new StorageError({ reason: "unavailable", retryable: false, message: `cannot read ${path}: ${String(cause)}`, cause })
    }),
    options
  )

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
