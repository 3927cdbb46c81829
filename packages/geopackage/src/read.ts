/**
 * Reading an IASO GeoPackage into a {@link PyramidInput} (the import engine's input), as IASO's
 * importer reads it (`iaso/gpkg/import_gpkg.py`): the mandatory `groups` table (`ref`, `name`),
 * then every layer `gpkg_contents` lists named `level-<depth>-<type name>`, whose features must
 * have a `ref` and a `name` (checked with IASO's messages) and may have `parent_ref`, `group_refs`,
 * `code`, `opening_date`, `closed_date` and a geometry. A column that is absent leaves the stored
 * value alone; a column that is present but null or blank means "none" (see `PyramidUnit`).
 *
 * The file is read as data, under {@link GeoPackageLimits}: only tables are read (a layer or a
 * `groups` that is a view, a virtual table or missing is an issue), by named columns (a column
 * computed when read is an issue), a row at a time through the {@link BoundedReader}. Geometries
 * in another SRS than EPSG:4326 are reprojected (see `srs.ts`). Values the import engine would
 * refuse (a name over 255 characters, a NUL character...) are issues here, naming the feature.
 *
 * Every problem of the file is reported at once in one `ValidationError` (IASO stops at the first),
 * each issue's path naming the table, the feature (its `fid`, else its 0-based position) and the
 * column. An exceeded limit stops the read and is the error's only issue.
 * @module
 */
import type { Geometry, MultiPolygon, Point, Polygon, Position } from "geojson"
import { Effect, Result, Schema } from "effect"
import {
  GroupModel,
  OrgUnitModel,
  OrgUnitTypeModel,
  type PyramidInput,
  type PyramidSource,
  type PyramidUnit,
  Text,
  ValidationError,
  type ValidationIssue
} from "@iaso/core"
import { normaliseRef, walkNodes } from "@iaso/core/pyramid"
import { contentsEntries, type GeometryColumn, geometryColumns, kindOf, requireTable, spatialRefSystems, type TableColumn, tableColumns } from "./catalog.ts"
import { GpkgDriver, type GpkgDatabase, quoteIdentifier, type SqlRow, type SqlValue } from "./database.ts"
import { countPositions, decodeGpkgGeometry, mapPositions } from "./geometry.ts"
import { BoundedReader, GPKG_LIMITS, type GeoPackageLimits, limitExceeded, now, type RowOutcome } from "./limits.ts"
import { describeSrs, type SpatialRefSys, type ToWgs84, toWgs84 } from "./srs.ts"

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

/** A check of one text value against the schema of the field the engine stores it in: the schema's message, or `undefined`. */
const fieldRule = (schema: Schema.Codec<string, string>): ((value: string) => string | undefined) => {
  const decode = Schema.decodeUnknownResult(schema)
  return (value) => {
    const result = decode(value)
    return Result.isFailure(result) ? result.failure.message : undefined
  }
}

/** The rules of the engine's fields, by column. */
const RULES = {
  unitName: fieldRule(OrgUnitModel.fields.name),
  groupName: fieldRule(GroupModel.fields.name),
  typeName: fieldRule(OrgUnitTypeModel.fields.name),
  text: fieldRule(Text)
} as const

/** Longest part of a value quoted in a message. */
const QUOTED = 60

/** How messages name a feature: `fid 3 (ref 'abc') of 'level-1-A'`. */
const featureLabel = (table: string, id: number, ref: string | undefined): string =>
  `fid ${id}${ref === undefined ? "" : ` (ref ${JSON.stringify(ref.length > QUOTED ? `${ref.slice(0, QUOTED)}...` : ref)})`} of '${table}'`

type Shape = Point | Polygon | MultiPolygon

/** Where a unit came from, for messages about it. */
interface UnitSource {
  readonly table: string
  readonly id: number
}

/** The feature's id for issue paths: its integer primary key (`fid`), else its position. */
const rowId = (row: SqlRow, keyColumn: string | undefined, index: number): number => {
  const key = keyColumn === undefined ? undefined : row[keyColumn]
  return typeof key === "number" ? key : index
}

/** The single INTEGER primary-key column of a table (its `fid`), if it has one. */
const keyColumnOf = (columns: ReadonlyArray<TableColumn>): string | undefined => {
  const keys = columns.filter((column) => column.pk === 1 && column.type.toUpperCase() === "INTEGER")
  return keys.length === 1 ? keys[0]?.name : undefined
}

/** The optional text columns of a layer, and the unit's key each one fills. */
const OPTIONAL_COLUMNS = [
  ["parent_ref", "parentRef"],
  ["code", "code"],
  ["opening_date", "openingDate"],
  ["closed_date", "closedDate"]
] as const

/** The SELECT of named columns of a table; `undefined` when one of them is computed when read (the issues say which). */
const selectColumns = (
  table: string,
  columns: ReadonlyArray<TableColumn>,
  wanted: ReadonlyArray<string>,
  issues: Array<ValidationIssue>
): string | undefined => {
  const byName = new Map(columns.map((column) => [column.name, column]))
  const read = wanted.filter((name) => byName.has(name))
  const computed = read.filter((name) => byName.get(name)?.computed === true)
  for (const name of computed)
    issues.push({ path: [table, name], message: `Column '${name}' of '${table}' is a generated column computed when read: only stored values are read` })
  return computed.length > 0 ? undefined : `SELECT ${read.map(quoteIdentifier).join(", ")} FROM ${quoteIdentifier(table)}`
}

/** What a read gathers: every issue, and each valid unit with where it came from (handed to `keep`). */
interface Gathered {
  readonly issues: Array<ValidationIssue>
  readonly keep: (unit: PyramidUnit, source: UnitSource) => void
}

/** The `groups` table, as IASO reads it: mandatory (listed in `gpkg_contents` or not), may be empty. */
const readGroups = (reader: BoundedReader, issues: Array<ValidationIssue>): Effect.Effect<ReadonlyArray<{ ref: string; name: string }>, ValidationError> =>
  Effect.gen(function* () {
    yield* requireTable(reader, "groups", "it has no groups table (ref, name), which IASO requires even when empty")
    const columns = yield* tableColumns(reader, "groups")
    const key = keyColumnOf(columns)
    const groups: Array<{ ref: string; name: string }> = []
    const sql = selectColumns("groups", columns, [...(key === undefined ? [] : [key]), "ref", "name"], issues)
    if (sql === undefined) return groups
    yield* reader.rows({ what: "the groups table", path: ["groups"], sql }, (row, index) => {
      const id = rowId(row, key, index)
      const ref = requiredText("ref", row["ref"])
      const name = requiredText("name", row["name"])
      if (typeof ref !== "string") issues.push({ path: ["groups", id, "ref"], message: ref.message })
      if (typeof name !== "string") issues.push({ path: ["groups", id, "name"], message: name.message })
      if (typeof ref !== "string" || typeof name !== "string") return undefined
      const refProblem = RULES.text(ref)
      const nameProblem = RULES.groupName(name)
      const feature = featureLabel("groups", id, refProblem === undefined ? ref : undefined)
      if (refProblem !== undefined) issues.push({ path: ["groups", id, "ref"], message: `Column 'ref' of ${feature}: ${refProblem}` })
      if (nameProblem !== undefined) issues.push({ path: ["groups", id, "name"], message: `Column 'name' of ${feature}: ${nameProblem}` })
      if (refProblem === undefined && nameProblem === undefined) groups.push({ ref, name })
      return undefined
    })
    return groups
  })

/** One `level-*` layer being read: its table, type, columns and how its coordinates become EPSG:4326. */
interface LayerRead {
  /** The statement reading its features. */
  readonly sql: string
  readonly table: string
  readonly type: { readonly name: string; readonly depth: number }
  readonly columns: ReadonlySet<string>
  readonly keyColumn: string | undefined
  readonly geometryColumn: string | undefined
  readonly reproject: ToWgs84
  /** The layer's SRS as messages name it. */
  readonly srs: string
}

/**
 * The handler of one feature row of a layer: checks it with IASO's rules and the engine's, adds
 * its unit (or its issues) to `gathered`, and stops the read when the file's positions exceed
 * `maxVertices`.
 */
const featureReader =
  (reader: BoundedReader, layer: LayerRead, gathered: Gathered) =>
  (row: SqlRow, index: number): RowOutcome => {
    const { table, columns, geometryColumn, reproject } = layer
    const { issues } = gathered
    const id = rowId(row, layer.keyColumn, index)
    const ref = requiredText("ref", row["ref"])
    const name = requiredText("name", row["name"])
    if (typeof ref !== "string") issues.push({ path: [table, id, "ref"], message: ref.message })
    if (typeof name !== "string") issues.push({ path: [table, id, "name"], message: name.message })
    if (typeof ref !== "string" || typeof name !== "string") return undefined
    const refProblem = RULES.text(ref)
    const feature = () => featureLabel(table, id, refProblem === undefined ? ref : undefined)
    const checked = (column: string, value: string, rule: (value: string) => string | undefined): boolean => {
      const problem = rule(value)
      if (problem !== undefined) issues.push({ path: [table, id, column], message: `Column '${column}' of ${feature()}: ${problem}` })
      return problem === undefined
    }
    const unit: { -readonly [K in keyof PyramidUnit]: PyramidUnit[K] } = { ref, name, type: layer.type }
    const refValid = checked("ref", ref, () => refProblem)
    let valid = checked("name", name, RULES.unitName) && refValid
    for (const [column, key] of OPTIONAL_COLUMNS) {
      if (!columns.has(column)) continue
      const value = optionalText(row[column] ?? null)
      if (value !== null && typeof value === "object") {
        issues.push({ path: [table, id, column], message: `Column '${column}' must be a string, got <class 'bytes'>` })
        valid = false
      } else if (value === null || checked(column, value, RULES.text)) unit[key] = value
      else valid = false
    }
    if (columns.has("group_refs")) {
      const value = optionalText(row["group_refs"] ?? null)
      if (value !== null && typeof value === "object") {
        issues.push({ path: [table, id, "group_refs"], message: "Column 'group_refs' must be a string, got <class 'bytes'>" })
        valid = false
      } else if (value === null || value === "") unit.groupRefs = null
      else if (checked("group_refs", value, RULES.text)) unit.groupRefs = value.split(",").map((part) => part.trim())
      else valid = false
    }
    if (geometryColumn !== undefined) {
      const shape = readShape(row[geometryColumn] ?? null)
      if (typeof shape === "string") {
        issues.push({ path: [table, id, geometryColumn], message: shape })
        valid = false
      } else if (shape !== undefined) {
        const spent = reader.spendVertices(countPositions(shape), feature, [table, id, geometryColumn])
        if (spent !== undefined) return spent
        const converted = reproject === undefined ? shape : reprojected(shape, reproject, layer.srs)
        if (typeof converted === "string") {
          issues.push({ path: [table, id, geometryColumn], message: `Geometry of ${feature()}: ${converted}` })
          valid = false
        } else unit.geometry = converted
      }
    }
    if (valid) gathered.keep(unit, { table, id })
    return undefined
  }

/**
 * Reads one `level-*` layer `gpkg_contents` lists into `gathered`: the layer, or `undefined` when
 * it cannot be read (its name, its kind, its columns or its SRS: the issues say why).
 */
const readLayer = (
  reader: BoundedReader,
  table: string,
  geometries: ReadonlyMap<string, GeometryColumn>,
  systems: ReadonlyMap<number, SpatialRefSys>,
  gathered: Gathered
): Effect.Effect<{ readonly layer: PyramidLayer; readonly read: LayerRead } | undefined, ValidationError> =>
  Effect.gen(function* () {
    const { issues } = gathered
    const level = parseLevelName(table)
    if (level === undefined) {
      issues.push({ path: [table], message: `Layer '${table}' must be named level-<depth>-<type name> with an integer depth` })
      return undefined
    }
    if (level.name.trim() === "") {
      issues.push({ path: [table], message: `Layer '${table}' has an empty type name` })
      return undefined
    }
    const typeProblem = RULES.typeName(level.name)
    if (typeProblem !== undefined) {
      issues.push({ path: [table], message: `The type name of layer '${table}': ${typeProblem}` })
      return undefined
    }
    const kind = yield* kindOf(reader, table)
    if (kind !== "table") {
      issues.push({
        path: [table],
        message:
          kind === undefined
            ? `Layer '${table}' is listed in gpkg_contents but has no table`
            : `Layer '${table}' is a ${kind}, not a table: only tables are read`
      })
      return undefined
    }
    const columnList = yield* tableColumns(reader, table)
    const columns = new Set(columnList.map((column) => column.name))
    const missing = (["ref", "name"] as const).filter((column) => !columns.has(column))
    for (const column of missing) issues.push({ path: [table, column], message: REQUIRED_COLUMN_MESSAGES.missing(column) })
    if (missing.length > 0) return undefined
    const keyColumn = keyColumnOf(columnList)
    const geometry = geometries.get(table)
    const geometryColumn = geometry !== undefined && columns.has(geometry.column) ? geometry.column : undefined
    let reproject: ToWgs84
    let srs = ""
    if (geometry !== undefined && geometryColumn !== undefined) {
      const system = systems.get(geometry.srsId)
      const conversion = toWgs84(geometry.srsId, system)
      if (Result.isFailure(conversion)) {
        issues.push({ path: [table, geometryColumn], message: `Layer '${table}' cannot be read: ${conversion.failure}` })
        return undefined
      }
      reproject = conversion.success
      srs = describeSrs(geometry.srsId, system)
    }
    const wanted = [
      ...(keyColumn === undefined ? [] : [keyColumn]),
      "ref",
      "name",
      ...OPTIONAL_COLUMNS.map(([column]) => column),
      "group_refs",
      ...(geometryColumn === undefined ? [] : [geometryColumn])
    ]
    const sql = selectColumns(table, columnList, wanted, issues)
    if (sql === undefined) return undefined
    const type = { name: level.name, depth: level.depth }
    const read: LayerRead = { sql, table, type, columns, keyColumn, geometryColumn, reproject, srs }
    const features = yield* reader.rows({ what: `layer '${table}'`, path: [table], sql }, featureReader(reader, read, gathered))
    return { layer: { table, type, ...(geometryColumn === undefined ? {} : { geometryColumn }), features }, read }
  })

/** The first read of a file: its groups, layers and every issue, each valid unit handed to `keep`. */
const readFile = (
  reader: BoundedReader,
  keep: (unit: PyramidUnit, source: UnitSource) => void
): Effect.Effect<
  {
    readonly groups: ReadonlyArray<{ ref: string; name: string }>
    readonly layers: ReadonlyArray<PyramidLayer>
    readonly reads: ReadonlyArray<LayerRead>
    readonly issues: ReadonlyArray<ValidationIssue>
  },
  ValidationError
> =>
  Effect.gen(function* () {
    const contents = yield* contentsEntries(reader)
    const gathered: Gathered = { issues: [], keep }
    const groups = yield* readGroups(reader, gathered.issues)
    const levels = contents.filter((entry) => entry.tableName.startsWith(LEVEL_PREFIX) && (entry.dataType === "features" || entry.dataType === "attributes"))
    const geometries = yield* geometryColumns(reader)
    const srsIds = new Set(
      levels.flatMap((entry) => {
        const geometry = geometries.get(entry.tableName)
        return geometry === undefined ? [] : [geometry.srsId]
      })
    )
    const systems = yield* spatialRefSystems(reader, srsIds)
    const layers: Array<PyramidLayer> = []
    const reads: Array<LayerRead> = []
    for (const { tableName } of levels) {
      const read = yield* readLayer(reader, tableName, geometries, systems, gathered)
      if (read === undefined) continue
      layers.push(read.layer)
      reads.push(read.read)
    }
    return { groups, layers, reads, issues: gathered.issues }
  })

const failWith = (issues: ReadonlyArray<ValidationIssue>): ValidationError =>
  new ValidationError({ message: issues.map((issue) => issue.message).join("\n"), issues: [...issues] })

/**
 * Reads an opened GeoPackage as a pyramid under {@link GPKG_LIMITS} with `limits` changing some
 * (no write; the database stays open). `started` is when the time budget started (default: now),
 * e.g. before the file was opened.
 */
export const readPyramid = (
  db: GpkgDatabase,
  limitsChanged: Partial<GeoPackageLimits> = {},
  started: number = now()
): Effect.Effect<GeoPackagePyramid, ValidationError> =>
  Effect.gen(function* () {
    const units: Array<PyramidUnit> = []
    const { groups, layers } = yield* checkedRead(db, { ...GPKG_LIMITS, ...limitsChanged }, started, (unit) => units.push(unit))
    return { input: { groups, units }, layers }
  })

/**
 * One read of a whole file under `limits`, refused with every issue it found or with the first
 * chain of parents deeper than the limit; `keep` sees each valid unit (the chains of parents are
 * kept aside, as numbers).
 */
const checkedRead = (
  db: GpkgDatabase,
  limits: GeoPackageLimits,
  started: number,
  keep: (unit: PyramidUnit) => void
): Effect.Effect<
  { readonly groups: ReadonlyArray<{ ref: string; name: string }>; readonly layers: ReadonlyArray<PyramidLayer>; readonly reads: ReadonlyArray<LayerRead> },
  ValidationError
> =>
  Effect.gen(function* () {
    const chains = parentChains()
    const { groups, layers, reads, issues } = yield* readFile(new BoundedReader(db, limits, started), (unit, source) => {
      keep(unit)
      chains.add(unit.ref, unit.parentRef, source)
    })
    if (issues.length > 0) return yield* failWith(issues)
    const tooDeep = chains.tooDeep(limits)
    if (tooDeep !== undefined) return yield* tooDeep
    return { groups, layers, reads }
  })

/** A GeoPackage being read as a {@link PyramidSource}: the import engine reads its units in chunks from the open file. */
export interface GeoPackagePyramidSource {
  readonly source: PyramidSource
  readonly layers: ReadonlyArray<PyramidLayer>
  /** How many units the file has. */
  readonly units: number
}

/**
 * Reads an opened GeoPackage once under {@link GPKG_LIMITS} (with `limits` changing some), as
 * {@link readPyramid} does, keeping none of its units: the answer's `source` reads them again,
 * in chunks, each time the import engine asks (the database must stay open meanwhile). A file
 * {@link readPyramid} refuses is refused with the same error. What a large import's memory
 * holds is then a few strings per unit, not the units.
 */
export const readPyramidSource = (
  db: GpkgDatabase,
  limitsChanged: Partial<GeoPackageLimits> = {},
  started: number = now()
): Effect.Effect<GeoPackagePyramidSource, ValidationError> =>
  Effect.gen(function* () {
    const limits: GeoPackageLimits = { ...GPKG_LIMITS, ...limitsChanged }
    let count = 0
    const { groups, layers, reads } = yield* checkedRead(db, limits, started, () => {
      count += 1
    })
    // The file was read within the limits once: reading it again is not limited (the engine's writes take time).
    const again: GeoPackageLimits = { ...limits, timeBudgetMs: Number.POSITIVE_INFINITY, maxVertices: Number.POSITIVE_INFINITY }
    const source: PyramidSource = {
      groups,
      readUnits: <E, R>(each: (chunk: ReadonlyArray<PyramidUnit>) => Effect.Effect<void, E, R>) =>
        Effect.gen(function* () {
          const reader = new BoundedReader(db, again)
          for (const read of reads) {
            let chunk: Array<PyramidUnit> = []
            const gathered: Gathered = { issues: [], keep: (unit) => chunk.push(unit) }
            const flush = Effect.suspend((): Effect.Effect<void, E | ValidationError, R> => {
              if (gathered.issues.length > 0) return Effect.fail(failWith(gathered.issues))
              if (chunk.length === 0) return Effect.void
              const units = chunk
              chunk = []
              return each(units)
            })
            yield* reader.rows({ what: `layer '${read.table}'`, path: [read.table], sql: read.sql }, featureReader(reader, read, gathered), flush)
            yield* flush
          }
        })
    }
    return { source, layers, units: count }
  })

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

/** A shape converted to EPSG:4326, or why a position could not be. */
const reprojected = (shape: Shape, convert: (position: Position) => Position, srs: string): Shape | string => {
  try {
    return mapPositions(shape, convert)
  } catch (error) {
    return `cannot be converted from ${srs} to EPSG:4326: ${error instanceof Error ? error.message : String(error)}`
  }
}

/**
 * The units' chains of parents within the file, gathered a unit at a time (`add`) as numbers: a
 * node per distinct (normalised) ref, in order of first appearance, whose parent is the one the
 * last unit with that ref names (when that parent is a ref of the file). `tooDeep` answers the
 * `maxDepth` error for the first unit (in file order) whose chain of parents within the file is
 * deeper than the limit (a unit whose parent is not in the file is at level 1); loops are left
 * to the import engine, which refuses them.
 */
const parentChains = () => {
  const nodes = new Map<string, number>()
  /** Each node's parent: its number, -1 for none, -2 while the parent's ref is not yet a node (then in `pending`). */
  const parentOf: Array<number> = []
  const pending = new Map<number, string>()
  const nodeOfUnit: Array<number> = []
  const refOfUnit: Array<string> = []
  // Where each unit came from, as numbers (an object per unit cost a million objects for a 1M file).
  const tables: Array<string> = []
  const tableOfUnit: Array<number> = []
  const idOfUnit: Array<number> = []
  return {
    add: (ref: string, parentRef: string | null | undefined, source: UnitSource) => {
      const key = normaliseRef(ref)
      let node = nodes.get(key)
      if (node === undefined) {
        node = nodes.size
        nodes.set(key, node)
      }
      const parent = parentRef?.trim() ?? ""
      const parentKey = parent === "" ? undefined : normaliseRef(parent)
      const parentNode = parentKey === undefined ? -1 : (nodes.get(parentKey) ?? -2)
      parentOf[node] = parentNode
      if (parentNode === -2 && parentKey !== undefined) pending.set(node, parentKey)
      else pending.delete(node)
      nodeOfUnit.push(node)
      refOfUnit.push(ref)
      if (tables[tables.length - 1] !== source.table) tables.push(source.table)
      tableOfUnit.push(tables.length - 1)
      idOfUnit.push(source.id)
    },
    tooDeep: (limits: GeoPackageLimits): ValidationError | undefined => {
      const parents = new Int32Array(nodes.size)
      for (let node = 0; node < nodes.size; node++) {
        const parent = parentOf[node] ?? -1
        parents[node] = parent !== -2 ? parent : (nodes.get(pending.get(node) ?? "") ?? -1)
      }
      parentOf.length = 0
      pending.clear()
      nodes.clear()
      const { depths } = walkNodes(parents)
      for (const [index, node] of nodeOfUnit.entries()) {
        const depth = depths[node] ?? 0
        if (depth <= limits.maxDepth) continue
        const table = tables[tableOfUnit[index] ?? 0] ?? ""
        const id = idOfUnit[index] ?? 0
        return limitExceeded(
          [table, id, "parent_ref"],
          `the chain of parents of ${featureLabel(table, id, refOfUnit[index] ?? "")} is ${depth} levels deep in the file`,
          limits,
          "maxDepth",
          "levels a chain of parents may have within a GeoPackage"
        )
      }
      return undefined
    }
  }
}

/**
 * Opens a GeoPackage's bytes with the provided {@link GpkgDriver}, reads it as a pyramid under
 * {@link GPKG_LIMITS} with `limits` changing some (the time budget includes opening) and closes
 * it. Bytes that are not a GeoPackage, files breaking IASO's rules and files over a limit fail
 * with a `ValidationError`.
 */
export const parseGeoPackage = (bytes: Uint8Array, limits: Partial<GeoPackageLimits> = {}): Effect.Effect<GeoPackagePyramid, ValidationError, GpkgDriver> =>
  Effect.scoped(
    Effect.gen(function* () {
      const started = now()
      const driver = yield* GpkgDriver
      const db = yield* Effect.acquireRelease(driver.open(bytes), (opened) => Effect.sync(() => opened.close()))
      return yield* readPyramid(db, limits, started)
    })
  )
