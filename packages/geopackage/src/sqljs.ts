/**
 * `@iaso/geopackage/sqljs`: the {@link GpkgDriver} on sql.js (SQLite compiled to WebAssembly), for
 * browsers, workers and any runtime without native modules. The app loads sql.js itself (so it
 * decides where the `.wasm` file is served from) and hands the module over:
 *
 * ```ts
 * import initSqlJs from "sql.js"
 * import { SqlJsGpkg } from "@iaso/geopackage/sqljs"
 * const SQL = await initSqlJs({ locateFile: (file) => `/assets/${file}` })
 * const layer = SqlJsGpkg.layer(SQL)
 * ```
 *
 * Databases live in memory, like with better-sqlite3: a file's bytes are opened as a copy, read-only
 * (`PRAGMA query_only`: sql.js has no read-only open), and a written GeoPackage is exported back
 * to bytes.
 * @module @iaso/geopackage/sqljs
 */
import { Effect, Layer } from "effect"
import type { Database, SqlJsStatic, SqlValue as SqlJsValue, Statement } from "sql.js"
import { type IasoAs, StorageError, ValidationError } from "@iaso/core"
import { GpkgDriver, type GpkgDatabase, inMemoryCopy, isSqliteFile, type SqlRow, type SqlValue, UNTRUSTED_SCHEMA_PRAGMA } from "./database.ts"
import { type GeoPackages, geoPackagesWith } from "./promise.ts"

export type { GeoPackages }

/** sql.js binds numbers, text, blobs and NULL: a big integer goes in as a number when exact, else as its digits. */
const bind = (params: ReadonlyArray<SqlValue>): Array<SqlJsValue> =>
  params.map((value) => (typeof value === "bigint" ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()) : value))

/** The rows of a bound statement, one `step()` per `next()`; the statement is freed once, when they run out or the iteration stops. */
const stepping = (statement: Statement): IterableIterator<SqlRow> => {
  let finished = false
  const finish = (): void => {
    if (!finished) statement.free()
    finished = true
  }
  const iterator: IterableIterator<SqlRow> = {
    next: () => {
      if (finished) return { done: true, value: undefined }
      let more: boolean
      try {
        more = statement.step()
      } catch (error) {
        finish()
        throw error
      }
      if (more) return { done: false, value: statement.getAsObject() as SqlRow }
      finish()
      return { done: true, value: undefined }
    },
    return: (value?: unknown) => {
      finish()
      return { done: true, value }
    },
    [Symbol.iterator]: () => iterator
  }
  return iterator
}

/** Wraps an open sql.js database in the {@link GpkgDatabase} port. */
export const fromSqlJs = (db: Database): GpkgDatabase => {
  let open = true
  return {
    rows: (sql, params = []) => {
      const statement = db.prepare(sql)
      try {
        statement.bind(bind(params))
      } catch (error) {
        statement.free()
        throw error
      }
      return stepping(statement)
    },
    run: (sql, rows) => {
      const statement = db.prepare(sql)
      db.exec("SAVEPOINT gpkg_run")
      try {
        for (const row of rows) statement.run(bind(row))
        db.exec("RELEASE gpkg_run")
      } catch (error) {
        db.exec("ROLLBACK TO gpkg_run")
        db.exec("RELEASE gpkg_run")
        throw error
      } finally {
        statement.free()
      }
    },
    exec: (sql) => {
      db.exec(sql)
    },
    serialize: () => db.export(),
    close: () => {
      if (open) db.close()
      open = false
    }
  }
}

/** The GeoPackage driver on an initialised sql.js module. */
export const SqlJsGpkg = {
  /** The driver's two operations on `SQL` (what `initSqlJs()` resolved to). */
  make: (SQL: SqlJsStatic): GpkgDriver["Service"] =>
    GpkgDriver.of({
      open: (bytes) => {
        if (bytes.byteLength === 0) return Effect.fail(ValidationError.at([], "not a GeoPackage: the file is empty"))
        if (!isSqliteFile(bytes)) return Effect.fail(ValidationError.at([], "not a GeoPackage: the file is not an SQLite database"))
        return Effect.try({
          try: () => {
            const db = new SQL.Database(inMemoryCopy(bytes))
            try {
              db.exec(`PRAGMA query_only = ON; ${UNTRUSTED_SCHEMA_PRAGMA}`)
              // Reading the schema fails here, not later, when the pages are not a database.
              db.exec("SELECT count(*) FROM sqlite_master")
            } catch (error) {
              db.close()
              throw error
            }
            return fromSqlJs(db)
          },
          catch: (error) => ValidationError.at([], `not a GeoPackage: ${error instanceof Error ? error.message : String(error)}`)
        })
      },
      create: () =>
        Effect.try({
          try: () => fromSqlJs(new SQL.Database()),
          catch: (error) =>
            new StorageError({ reason: "unavailable", retryable: false, message: `cannot create an SQLite database: ${String(error)}`, cause: error })
        })
    }),
  /** Provides {@link GpkgDriver} with sql.js. */
  layer: (SQL: SqlJsStatic): Layer.Layer<GpkgDriver> => Layer.succeed(GpkgDriver, SqlJsGpkg.make(SQL))
}

/**
 * GeoPackage import and export on the Promise API, with sql.js (`SQL`: what `initSqlJs()`
 * resolved to), for the actor of `iaso`: `geoPackages(iaso.as(actor), SQL).import(bytes, options)`
 * and `.export(versionId, options)`.
 */
export const geoPackages = (iaso: Pick<IasoAs, "run">, SQL: SqlJsStatic): GeoPackages => geoPackagesWith(iaso, SqlJsGpkg.layer(SQL))
