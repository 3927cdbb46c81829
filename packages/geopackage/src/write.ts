/**
 * Writing GeoPackages through the {@link GpkgDatabase} port: the required metadata tables
 * (`gpkg_spatial_ref_sys` with EPSG:4326 and the two undefined systems, `gpkg_contents`,
 * `gpkg_geometry_columns`), feature tables with a GeoPackage geometry column, and attribute
 * tables, as OGC 12-128r18 (GeoPackage 1.2) requires.
 * @module
 */
import type { Geometry } from "geojson"
import { type GpkgDatabase, quoteIdentifier, type SqlValue } from "./database.ts"
import { encodeGpkgGeometry, envelopeOf, hasZ } from "./geometry.ts"

/** `PRAGMA application_id` of a GeoPackage: "GPKG" as a 32-bit integer. */
export const GPKG_APPLICATION_ID = 0x47504b47
/** `PRAGMA user_version` written: GeoPackage 1.2.0. */
export const GPKG_USER_VERSION = 10200

const WGS84_DEFINITION =
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'

/** Creates the GeoPackage metadata tables in an empty database. */
export const initGeoPackage = (db: GpkgDatabase): void => {
  db.exec(`
    PRAGMA application_id = ${GPKG_APPLICATION_ID};
    PRAGMA user_version = ${GPKG_USER_VERSION};
    CREATE TABLE gpkg_spatial_ref_sys (
      srs_name TEXT NOT NULL,
      srs_id INTEGER NOT NULL PRIMARY KEY,
      organization TEXT NOT NULL,
      organization_coordsys_id INTEGER NOT NULL,
      definition TEXT NOT NULL,
      description TEXT
    );
    CREATE TABLE gpkg_contents (
      table_name TEXT NOT NULL PRIMARY KEY,
      data_type TEXT NOT NULL,
      identifier TEXT UNIQUE,
      description TEXT DEFAULT '',
      last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
      min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
      srs_id INTEGER,
      CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
    );
    CREATE TABLE gpkg_geometry_columns (
      table_name TEXT NOT NULL,
      column_name TEXT NOT NULL,
      geometry_type_name TEXT NOT NULL,
      srs_id INTEGER NOT NULL,
      z TINYINT NOT NULL,
      m TINYINT NOT NULL,
      CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
      CONSTRAINT uk_gc_table_name UNIQUE (table_name),
      CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
      CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
    );
  `)
  db.run("INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description) VALUES (?, ?, ?, ?, ?, ?)", [
    ["Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"],
    ["Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"],
    ["WGS 84 geodetic", 4326, "EPSG", 4326, WGS84_DEFINITION, "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"]
  ])
}

/** A column of a written table (SQLite declared type). */
export interface GpkgColumn {
  readonly name: string
  readonly type: "TEXT" | "INTEGER" | "REAL" | "DATE" | "BLOB"
  readonly notNull?: boolean
}

const columnDefinition = (column: GpkgColumn): string => `${quoteIdentifier(column.name)} ${column.type}${column.notNull === true ? " NOT NULL" : ""}`

/** A feature table to write: EPSG:4326 geometries in column `geom`, and attribute columns. */
export interface GpkgFeatureLayer {
  readonly name: string
  readonly columns: ReadonlyArray<GpkgColumn>
  /** One row per feature: its geometry (`null`: none) and one value per column. */
  readonly rows: ReadonlyArray<{ readonly geometry: Geometry | null; readonly values: ReadonlyArray<SqlValue> }>
}

/** An attribute table (no geometry) to write. */
export interface GpkgAttributeTable {
  readonly name: string
  readonly columns: ReadonlyArray<GpkgColumn>
  readonly rows: ReadonlyArray<ReadonlyArray<SqlValue>>
}

/** The name of the geometry column of written feature tables (GDAL's default). */
export const GEOMETRY_COLUMN = "geom"

const WKT_NAMES: Record<Geometry["type"], string> = {
  Point: "POINT",
  LineString: "LINESTRING",
  Polygon: "POLYGON",
  MultiPoint: "MULTIPOINT",
  MultiLineString: "MULTILINESTRING",
  MultiPolygon: "MULTIPOLYGON",
  GeometryCollection: "GEOMETRYCOLLECTION"
}

const now = (): string => new Date().toISOString()

/** Writes a feature table and registers it in `gpkg_contents` and `gpkg_geometry_columns`. */
export const writeFeatureLayer = (db: GpkgDatabase, layer: GpkgFeatureLayer): void => {
  const geometries = layer.rows.flatMap((row) => (row.geometry === null ? [] : [row.geometry]))
  const types = new Set(geometries.map((geometry) => geometry.type))
  const [only] = types
  const geometryType = types.size === 1 && only !== undefined ? WKT_NAMES[only] : "GEOMETRY"
  const withZ = geometries.filter(hasZ).length
  const z = geometries.length > 0 && withZ === geometries.length ? 1 : withZ === 0 ? 0 : 2
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const geometry of geometries) {
    const box = envelopeOf(geometry)
    if (box === undefined) continue
    minX = Math.min(minX, box[0])
    minY = Math.min(minY, box[1])
    maxX = Math.max(maxX, box[2])
    maxY = Math.max(maxY, box[3])
  }
  const table = quoteIdentifier(layer.name)
  const columns = layer.columns.map(columnDefinition)
  db.exec(
    `CREATE TABLE ${table} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, ${quoteIdentifier(GEOMETRY_COLUMN)} ${geometryType}${columns.map((c) => `, ${c}`).join("")})`
  )
  const bounded = minX !== Infinity
  db.run(
    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?, 'features', ?, '', ?, ?, ?, ?, ?, 4326)",
    [[layer.name, layer.name, now(), bounded ? minX : null, bounded ? minY : null, bounded ? maxX : null, bounded ? maxY : null]]
  )
  db.run("INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES (?, ?, ?, 4326, ?, 0)", [
    [layer.name, GEOMETRY_COLUMN, geometryType, z]
  ])
  const names = [GEOMETRY_COLUMN, ...layer.columns.map((column) => column.name)].map(quoteIdentifier)
  db.run(
    `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`,
    layer.rows.map((row) => [row.geometry === null ? null : encodeGpkgGeometry(row.geometry), ...row.values])
  )
}

/** Writes an attribute table (with an integer `fid` key) and registers it in `gpkg_contents` as `attributes`. */
export const writeAttributeTable = (db: GpkgDatabase, attributes: GpkgAttributeTable): void => {
  const table = quoteIdentifier(attributes.name)
  const columns = attributes.columns.map(columnDefinition)
  db.exec(
    `CREATE TABLE ${table} (fid INTEGER NOT NULL CONSTRAINT ${quoteIdentifier(`${attributes.name}_pk`)} PRIMARY KEY AUTOINCREMENT${columns.map((c) => `, ${c}`).join("")})`
  )
  db.run("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) VALUES (?, 'attributes', ?, '', ?)", [
    [attributes.name, attributes.name, now()]
  ])
  const names = attributes.columns.map((column) => quoteIdentifier(column.name))
  db.run(`INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`, attributes.rows)
}
