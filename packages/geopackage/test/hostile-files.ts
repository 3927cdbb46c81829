/**
 * Building GeoPackages the way an uploader could, as files in a temporary folder written with
 * better-sqlite3: a valid base (the metadata tables, a `groups` table, `level-*` layers in any
 * SRS) plus whatever raw SQL a test adds (views, triggers, generated columns, odd SRS rows). Also
 * the two drivers the hostile tests run on, and a measure of time and memory.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import type { Geometry } from "geojson"
import initSqlJs from "sql.js"
import type { Layer } from "effect"
import { encodeGpkgGeometry, type GpkgDriver, initGeoPackage, quoteIdentifier, type SqlValue, writeAttributeTable } from "@iaso/geopackage"
import { BetterSqlite3Gpkg, fromBetterSqlite3 } from "@iaso/geopackage/node"
import { SqlJsGpkg } from "@iaso/geopackage/sqljs"

/** The GeoPackage drivers, by name. */
export const DRIVERS: ReadonlyArray<readonly [name: string, layer: Layer.Layer<GpkgDriver>]> = [
  ["better-sqlite3", BetterSqlite3Gpkg.layer],
  ["sql.js", SqlJsGpkg.layer(await initSqlJs())]
]

const folder = mkdtempSync(join(tmpdir(), "iaso-gpkg-hostile-"))
let files = 0

/** Removes the temporary folder (call in `afterAll`). */
export const removeFiles = (): void => rmSync(folder, { recursive: true, force: true })

/**
 * The bytes of a GeoPackage file written by `build` on a database that has the GeoPackage
 * metadata tables (EPSG:4326 and the two undefined SRS) and, unless `groups` is false, an empty
 * `groups` table.
 */
export const gpkgFile = (build: (db: Database.Database) => void, options: { readonly groups?: boolean } = {}): Uint8Array => {
  files += 1
  const path = join(folder, `file-${files}.gpkg`)
  const db = new Database(path)
  // better-sqlite3 enforces foreign keys; an uploader's tool need not.
  db.pragma("foreign_keys = OFF")
  try {
    const port = fromBetterSqlite3(db)
    initGeoPackage(port)
    if (options.groups !== false)
      writeAttributeTable(port, {
        name: "groups",
        columns: [
          { name: "ref", type: "TEXT" },
          { name: "name", type: "TEXT" }
        ],
        rows: []
      })
    build(db)
  } finally {
    db.close()
  }
  return new Uint8Array(readFileSync(path))
}

/** A feature of a test layer: `ref`, `name`, `parent_ref` and a geometry (none when absent). */
export interface Feature {
  readonly ref: string
  readonly name: string
  readonly parentRef?: string | null
  readonly geometry?: Geometry
  readonly code?: string
}

/**
 * Writes a feature layer `name` (`fid`, `geom`, `ref`, `name`, `parent_ref`, `code`) whose
 * geometries are in `srsId`, registered in `gpkg_contents` and `gpkg_geometry_columns` as GDAL does.
 */
export const writeLayer = (db: Database.Database, name: string, features: ReadonlyArray<Feature>, srsId = 4326): void => {
  const table = quoteIdentifier(name)
  db.exec(`CREATE TABLE ${table} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom GEOMETRY, ref TEXT, name TEXT, parent_ref TEXT, code TEXT)`)
  db.prepare("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, ?)").run(name, name, srsId)
  db.prepare("INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES (?, 'geom', 'GEOMETRY', ?, 0, 0)").run(
    name,
    srsId
  )
  const insert = db.prepare(`INSERT INTO ${table} (geom, ref, name, parent_ref, code) VALUES (?, ?, ?, ?, ?)`)
  db.transaction(() => {
    for (const feature of features) {
      const geometry = feature.geometry === undefined ? null : Buffer.from(encodeGpkgGeometry(feature.geometry, srsId))
      const values: ReadonlyArray<SqlValue | Buffer> = [geometry, feature.ref, feature.name, feature.parentRef ?? null, feature.code ?? null]
      insert.run(...values)
    }
  })()
}

/** Registers `name` in `gpkg_contents` (as features) whatever it is: a view, a trigger, nothing. */
export const register = (db: Database.Database, name: string, dataType = "features"): void => {
  db.prepare("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES (?, ?, ?)").run(name, dataType, name)
}

/** A view that never ends: a recursive CTE without a bound, with the columns of a layer. */
export const endlessView = (name: string): string =>
  `CREATE VIEW ${quoteIdentifier(name)} AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x AS fid, 'ref' || x AS ref, printf('%.1000c', 'n') AS name FROM r`

/** A chain of `depth` units, each the parent of the next: `u0` (root) ... `u<depth - 1>`. */
export const chain = (depth: number): ReadonlyArray<Feature> =>
  Array.from({ length: depth }, (_, i) => ({ ref: `u${i}`, name: `Unit ${i}`, parentRef: i === 0 ? null : `u${i - 1}` }))

/** The time `run` takes (ms) and how much the process's resident memory grew meanwhile (MB). */
export const measure = async <A>(run: () => Promise<A>): Promise<{ readonly value: A; readonly ms: number; readonly rssGrowthMb: number }> => {
  const rss = process.memoryUsage.rss()
  const started = performance.now()
  const value = await run()
  return { value, ms: performance.now() - started, rssGrowthMb: (process.memoryUsage.rss() - rss) / 1e6 }
}
