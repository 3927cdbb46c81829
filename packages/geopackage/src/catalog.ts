/**
 * What a GeoPackage declares, read as data: the kind of each object the reader needs, as SQLite's
 * own schema knows it (so a view, a virtual table or a trigger is never taken for a table,
 * whatever `sqlite_master` says), the layers `gpkg_contents` lists, the geometry column and SRS
 * of each layer (`gpkg_geometry_columns`), the spatial reference systems (`gpkg_spatial_ref_sys`)
 * and the columns of a table. Every read goes through the {@link BoundedReader}, by named columns.
 * @module
 */
import { Effect } from "effect"
import type { ValidationError } from "@iaso/core"
import type { SqlRow, SqlValue } from "./database.ts"
import { type BoundedReader, notAGeoPackage } from "./limits.ts"
import type { SpatialRefSys } from "./srs.ts"

/**
 * The kind SQLite gives a schema object of `main` (`PRAGMA table_list`): `table`, `view`,
 * `virtual` or `shadow`; `undefined` when there is none of that name.
 */
export type TableKind = string | undefined

/** One entry of `gpkg_contents`. */
export interface ContentsEntry {
  readonly tableName: string
  readonly dataType: string
}

/** The geometry column of a feature table and its `srs_id`. */
export interface GeometryColumn {
  readonly column: string
  readonly srsId: number
}

/** A column of a table (`PRAGMA table_xinfo`). */
export interface TableColumn {
  readonly name: string
  readonly type: string
  /** Position in the primary key (0: not in it). */
  readonly pk: number
  /** Computed when read (a virtual generated column): only stored values are read. */
  readonly computed: boolean
}

const text = (value: SqlValue | undefined): string | undefined => (typeof value === "string" ? value : undefined)

const integer = (value: SqlValue | undefined): number | undefined =>
  typeof value === "number" && Number.isInteger(value) ? value : typeof value === "bigint" ? Number(value) : undefined

/** Reads every row of one statement into a list (rows `pick` answers `undefined` for are left out). */
const collect = <A>(reader: BoundedReader, what: string, sql: string, params: ReadonlyArray<SqlValue>, pick: (row: SqlRow) => A | undefined) =>
  Effect.gen(function* () {
    const out: Array<A> = []
    yield* reader.rows({ what, path: [], sql, params }, (row) => {
      const value = pick(row)
      if (value !== undefined) out.push(value)
      return undefined
    })
    return out
  })

/**
 * The kind of the schema object `name`, as SQLite's parsed schema knows it (`sqlite_master` may
 * say otherwise in a crafted file). Asked by name: SQLite then compiles no other view to count its
 * columns (it never runs one).
 */
export const kindOf = (reader: BoundedReader, name: string): Effect.Effect<TableKind, ValidationError> =>
  Effect.map(
    collect(reader, `the kind of '${name}'`, "SELECT type FROM pragma_table_list(?) WHERE schema = 'main'", [name], (row) => text(row["type"])),
    ([kind]) => kind
  )

/** The error of a metadata object the reader needs that is not a table. */
const notATable = (name: string, kind: string): ValidationError => notAGeoPackage(`its ${name} is a ${kind}, not a table: only tables are read`)

/**
 * Fails with "not a GeoPackage: ..." unless `name` is a table: `missing` says what is wrong when
 * the file has no such object at all.
 */
export const requireTable = (reader: BoundedReader, name: string, missing: string): Effect.Effect<void, ValidationError> =>
  Effect.flatMap(kindOf(reader, name), (kind) =>
    kind === "table" ? Effect.void : Effect.fail(kind === undefined ? notAGeoPackage(missing) : notATable(name, kind))
  )

/** `read` when `name` is a table, `none` when the file has no such object; fails when it is something else. */
const ifTable = <A>(reader: BoundedReader, name: string, none: A, read: Effect.Effect<A, ValidationError>): Effect.Effect<A, ValidationError> =>
  Effect.flatMap(kindOf(reader, name), (kind) => (kind === undefined ? Effect.succeed(none) : kind === "table" ? read : Effect.fail(notATable(name, kind))))

/** The entries of `gpkg_contents`, in the table's order. */
export const contentsEntries = (reader: BoundedReader): Effect.Effect<ReadonlyArray<ContentsEntry>, ValidationError> =>
  Effect.andThen(requireTable(reader, "gpkg_contents", "it has no gpkg_contents table"), () =>
    collect(reader, "gpkg_contents", "SELECT table_name, data_type FROM gpkg_contents", [], (row) => {
      const tableName = text(row["table_name"])
      const dataType = text(row["data_type"])
      return tableName === undefined || dataType === undefined ? undefined : { tableName, dataType }
    })
  )

/** The geometry column of each feature table (none when the file has no `gpkg_geometry_columns`). */
export const geometryColumns = (reader: BoundedReader): Effect.Effect<ReadonlyMap<string, GeometryColumn>, ValidationError> =>
  ifTable(
    reader,
    "gpkg_geometry_columns",
    new Map(),
    Effect.map(
      collect(reader, "gpkg_geometry_columns", "SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns", [], (row) => {
        const table = text(row["table_name"])
        const column = text(row["column_name"])
        const srsId = integer(row["srs_id"])
        return table === undefined || column === undefined || srsId === undefined ? undefined : ([table, { column, srsId }] as const)
      }),
      (entries) => new Map(entries)
    )
  )

/** The rows of `gpkg_spatial_ref_sys` whose `srs_id` is in `wanted`, by `srs_id` (none when the file has no such table). */
export const spatialRefSystems = (reader: BoundedReader, wanted: ReadonlySet<number>): Effect.Effect<ReadonlyMap<number, SpatialRefSys>, ValidationError> => {
  if (wanted.size === 0) return Effect.succeed(new Map())
  return ifTable(
    reader,
    "gpkg_spatial_ref_sys",
    new Map(),
    Effect.map(
      collect(
        reader,
        "gpkg_spatial_ref_sys",
        "SELECT srs_id, srs_name, organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys",
        [],
        (row): readonly [number, SpatialRefSys] | undefined => {
          const srsId = integer(row["srs_id"])
          if (srsId === undefined || !wanted.has(srsId)) return undefined
          return [
            srsId,
            {
              srsId,
              name: text(row["srs_name"]) ?? "",
              organization: text(row["organization"]) ?? "",
              organizationCoordsysId: integer(row["organization_coordsys_id"]) ?? Number.NaN,
              definition: text(row["definition"]) ?? ""
            }
          ]
        }
      ),
      (entries) => new Map(entries)
    )
  )
}

/** The columns of a table, in order (empty when there is no such table). */
export const tableColumns = (reader: BoundedReader, table: string): Effect.Effect<ReadonlyArray<TableColumn>, ValidationError> =>
  collect(reader, `the columns of '${table}'`, "SELECT name, type, pk, hidden FROM pragma_table_xinfo(?)", [table], (row) => {
    const name = text(row["name"])
    return name === undefined ? undefined : { name, type: text(row["type"]) ?? "", pk: integer(row["pk"]) ?? 0, computed: integer(row["hidden"]) === 2 }
  })
