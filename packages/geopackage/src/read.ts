/**
 * Reading an IASO GeoPackage into a {@link PyramidInput} (the import engine's input), as IASO's
 * importer reads it (`iaso/gpkg/import_gpkg.py`): the mandatory `groups` table (`ref`, `name`),
 * then every layer named `level-<depth>-<type name>`, whose features must have a `ref` and a `name`
 * (checked with IASO's messages) and may have `parent_ref`, `group_refs`, `code`, `opening_date`,
 * `closed_date` and a geometry. A column that is absent leaves the stored value alone; a column
 * that is present but null or blank means "none" (see `PyramidUnit`).
 *
 * Every problem of the file is reported at once in one `ValidationError` (IASO stops at the first),
 * each issue's path naming the table, the feature (its `fid`, else its 0-based position) and the column.
 * @module
 */
import type { Geometry, MultiPolygon, Point, Polygon } from "geojson"
import { Effect } from "effect"
import { type PyramidInput, type PyramidUnit, ValidationError, type ValidationIssue } from "@iaso/core"
import { GpkgDriver, type GpkgDatabase, quoteIdentifier, type SqlRow, type SqlValue } from "./database.ts"
import { decodeGpkgGeometry } from "./geometry.ts"

/** IASO's messages for the required `ref` and `name` columns (`validate_required_property`). */
export const REQUIRED_COLUMN_MESSAGES = {
  missing: (column: string) => `Column '${column}' is required but missing from GPKG`,
  isNull: (column: string) => `Column '${column}' cannot be null`,
  notString: (column: string, value: SqlValue) => `Column '${column}' must be a string, got ${pythonTypeOf(value)}`,
  blank: (column: string) => `Column '${column}' cannot be empty or blank`
} as const

/** How Python (IASO's importer) prints the type of a value read from SQLite: `<class 'int'>`... */
const pythonTypeOf = (value: SqlValue): string => {
  if (typeof value === "bigint") return "<class 'int'>"
  if (typeof value === "number") return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>"
  if (value instanceof Uint8Array) return "<class 'bytes'>"
  return `<class '${typeof value}'>`
}

/** One `level-*` layer of a GeoPackage. */
export interface PyramidLayer {
  /** The table name, e.g. `level-3-District/Zone de santé - DS`. */
  readonly table: string
  /** The org-unit type the layer's units get. */
  readonly type: { readonly name: string; readonly depth: number }
  /** The geometry column, when the layer has one. */
  readonly geometryColumn?: string
  /** How many features it has. */
  readonly features: number
}

/** A GeoPackage read as a pyramid. */
export interface GeoPackagePyramid {
  readonly input: PyramidInput
  readonly layers: ReadonlyArray<PyramidLayer>
}

/** Layers whose name starts with this prefix are org-unit layers. */
export const LEVEL_PREFIX = "level-"

/**
 * Splits a layer name `level-<depth>-<type name>` on its first two `-` (the type name may contain
 * `-` and `/`); `undefined` when the name has no type part or the depth is not an integer.
 */
export const parseLevelName = (table: string): { readonly depth: number; readonly name: string } | undefined => {
  if (!table.startsWith(LEVEL_PREFIX)) return undefined
  const rest = table.slice(LEVEL_PREFIX.length)
  const dash = rest.indexOf("-")
  if (dash < 0) return undefined
  const depthText = rest.slice(0, dash).trim()
  if (!/^[+-]?\d+$/.test(depthText)) return undefined
  return { depth: Number.parseInt(depthText, 10), name: rest.slice(dash + 1) }
}

const notAGeoPackage = (reason: string) => ValidationError.at([], `not a GeoPackage: ${reason}`)

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Runs a query; a driver error becomes "not a GeoPackage". */
const queryOrFail = (db: GpkgDatabase, sql: string, params: ReadonlyArray<SqlValue>, reason: (message: string) => string) =>
  Effect.try({ try: () => db.query(sql, params), catch: (error) => notAGeoPackage(reason(errorText(error))) })

/** The value of a column as optional text: numbers are written in decimal, blobs are refused. */
const optionalText = (value: SqlValue): string | null | { readonly refused: true } => {
  if (value === null || typeof value === "string") return value
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  return { refused: true }
}

/** Checks a required text column of one row with IASO's rules; the trimmed value or the message. */
const requiredText = (column: string, value: SqlValue | undefined): string | { readonly message: string } => {
  if (value === undefined) return { message: REQUIRED_COLUMN_MESSAGES.missing(column) }
  if (value === null) return { message: REQUIRED_COLUMN_MESSAGES.isNull(column) }
  if (typeof value !== "string") return { message: REQUIRED_COLUMN_MESSAGES.notString(column, value) }
  const trimmed = value.trim()
  return trimmed === "" ? { message: REQUIRED_COLUMN_MESSAGES.blank(column) } : trimmed
}

type Shape = Point | Polygon | MultiPolygon

/** Reads an opened GeoPackage as a pyramid (no write; the database stays open). */
export const readPyramid = (db: GpkgDatabase): Effect.Effect<GeoPackagePyramid, ValidationError> =>
  Effect.gen(function* () {
    const contents = yield* queryOrFail(db, "SELECT table_name, data_type FROM gpkg_contents ORDER BY rowid", [], (m) =>
      m.includes("no such table") ? "it has no gpkg_contents table" : m
    )
    const issues: Array<ValidationIssue> = []

    // The groups table, read with raw SQL as IASO does: mandatory, may be empty.
    const groupRows = yield* queryOrFail(db, "SELECT * FROM groups", [], (m) =>
      m.includes("no such table") ? "it has no groups table (ref, name), which IASO requires even when empty" : m
    )
    const groups: Array<{ ref: string; name: string }> = []
    for (const [index, row] of groupRows.entries()) {
      const ref = requiredText("ref", row["ref"])
      const name = requiredText("name", row["name"])
      if (typeof ref !== "string") issues.push({ path: ["groups", rowId(row, "fid", index), "ref"], message: ref.message })
      if (typeof name !== "string") issues.push({ path: ["groups", rowId(row, "fid", index), "name"], message: name.message })
      if (typeof ref === "string" && typeof name === "string") groups.push({ ref, name })
    }

    const geometryColumns = new Map<string, string>()
    const hasGeometryColumns = yield* queryOrFail(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_geometry_columns'", [], (m) => m)
    if (hasGeometryColumns.length > 0) {
      for (const row of yield* queryOrFail(db, "SELECT table_name, column_name FROM gpkg_geometry_columns", [], (m) => m)) {
        const table = row["table_name"]
        const column = row["column_name"]
        if (typeof table === "string" && typeof column === "string") geometryColumns.set(table, column)
      }
    }

    const units: Array<PyramidUnit> = []
    const layers: Array<PyramidLayer> = []
    for (const entry of contents) {
      const table = entry["table_name"]
      const dataType = entry["data_type"]
      if (typeof table !== "string" || !table.startsWith(LEVEL_PREFIX)) continue
      if (dataType !== "features" && dataType !== "attributes") continue
      const level = parseLevelName(table)
      if (level === undefined) {
        issues.push({ path: [table], message: `Layer '${table}' must be named level-<depth>-<type name> with an integer depth` })
        continue
      }
      if (level.name.trim() === "") {
        issues.push({ path: [table], message: `Layer '${table}' has an empty type name` })
        continue
      }
      const columnRows = yield* queryOrFail(db, "SELECT name, pk, type FROM pragma_table_info(?)", [table], (m) => m)
      if (columnRows.length === 0) {
        issues.push({ path: [table], message: `Layer '${table}' is listed in gpkg_contents but has no table` })
        continue
      }
      const columns = new Set(columnRows.flatMap((row) => (typeof row["name"] === "string" ? [row["name"]] : [])))
      const keys = columnRows.filter((row) => row["pk"] === 1 && typeof row["name"] === "string" && String(row["type"]).toUpperCase() === "INTEGER")
      const keyColumn = keys.length === 1 ? String(keys[0]?.["name"]) : undefined
      const geometryColumn = geometryColumns.get(table)
      const type = { name: level.name, depth: level.depth }
      const missing = (["ref", "name"] as const).filter((column) => !columns.has(column))
      if (missing.length > 0) {
        for (const column of missing) issues.push({ path: [table, column], message: REQUIRED_COLUMN_MESSAGES.missing(column) })
        continue
      }
      const rows = yield* queryOrFail(db, `SELECT * FROM ${quoteIdentifier(table)}`, [], (m) => m)
      layers.push({ table, type, ...(geometryColumn === undefined ? {} : { geometryColumn }), features: rows.length })
      for (const [index, row] of rows.entries()) {
        const id = rowId(row, keyColumn, index)
        const ref = requiredText("ref", row["ref"])
        const name = requiredText("name", row["name"])
        if (typeof ref !== "string") issues.push({ path: [table, id, "ref"], message: ref.message })
        if (typeof name !== "string") issues.push({ path: [table, id, "name"], message: name.message })
        if (typeof ref !== "string" || typeof name !== "string") continue
        const unit: { -readonly [K in keyof PyramidUnit]: PyramidUnit[K] } = { ref, name, type }
        for (const [column, key] of [
          ["parent_ref", "parentRef"],
          ["code", "code"],
          ["opening_date", "openingDate"],
          ["closed_date", "closedDate"]
        ] as const) {
          if (!columns.has(column)) continue
          const value = optionalText(row[column] ?? null)
          if (value !== null && typeof value === "object")
            issues.push({ path: [table, id, column], message: `Column '${column}' must be a string, got <class 'bytes'>` })
          else unit[key] = value
        }
        if (columns.has("group_refs")) {
          const value = optionalText(row["group_refs"] ?? null)
          if (value !== null && typeof value === "object")
            issues.push({ path: [table, id, "group_refs"], message: "Column 'group_refs' must be a string, got <class 'bytes'>" })
          else unit.groupRefs = value === null || value === "" ? null : value.split(",").map((part) => part.trim())
        }
        if (geometryColumn !== undefined) {
          const geometry = readShape(row[geometryColumn] ?? null)
          if (typeof geometry === "string") issues.push({ path: [table, id, geometryColumn], message: geometry })
          else if (geometry !== undefined) unit.geometry = geometry
        }
        units.push(unit)
      }
    }
    if (issues.length > 0) return yield* new ValidationError({ message: issues.map((issue) => issue.message).join("\n"), issues })
    return { input: { groups, units }, layers }
  })

/** The feature's id for issue paths: its integer primary key (`fid`), else its position. */
const rowId = (row: SqlRow, keyColumn: string | undefined, index: number): number => {
  const key = keyColumn === undefined ? undefined : row[keyColumn]
  return typeof key === "number" ? key : index
}

/** A geometry cell: a point or (multi)polygon, `undefined` for none (NULL or empty), or the problem. */
const readShape = (value: SqlValue): Shape | undefined | string => {
  if (value === null) return undefined
  if (!(value instanceof Uint8Array)) return `Invalid geometry: expected a GeoPackage geometry blob, got ${typeof value}`
  const decoded = decodeGpkgGeometry(value)
  if (decoded._tag === "Failure") return `Invalid geometry: ${decoded.failure}`
  const geometry: Geometry | null = decoded.success.geometry
  if (geometry === null) return undefined
  if (geometry.type === "Point" || geometry.type === "Polygon" || geometry.type === "MultiPolygon") return geometry
  return `Unhandled geom type ${geometry.type.toLowerCase()}`
}

/**
 * Opens a GeoPackage's bytes with the provided {@link GpkgDriver}, reads it as a pyramid and closes
 * it. Bytes that are not a GeoPackage and files breaking IASO's rules fail with a `ValidationError`.
 */
export const parseGeoPackage = (bytes: Uint8Array): Effect.Effect<GeoPackagePyramid, ValidationError, GpkgDriver> =>
  Effect.scoped(
    Effect.gen(function* () {
      const driver = yield* GpkgDriver
      const db = yield* Effect.acquireRelease(driver.open(bytes), (opened) => Effect.sync(() => opened.close()))
      return yield* readPyramid(db)
    })
  )
