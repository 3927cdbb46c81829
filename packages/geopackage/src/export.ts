/**
 * Exporting a source version as a GeoPackage in IASO's export format (`iaso/gpkg/export_gpkg.py`,
 * `source_to_gpkg`): one EPSG:4326 feature layer per org-unit type named `level-<depth>-<type name>`
 * (999 for a type without depth, `Unknown` for units without type), and the `groups` attribute
 * table of every group of the version. The file imports back with `importGeoPackage`.
 *
 * Every read goes through core's `Records` service, so the actor's permissions and org-unit roots
 * apply: a restricted actor exports the units it may see, and a unit whose parent it may not see
 * is written without `parent` / `parent_ref`.
 * @module
 */
import type { Geometry } from "geojson"
import { Effect } from "effect"
import {
  findIn,
  listAll,
  type AnyModel,
  type CurrentActor,
  type Forbidden,
  type Group,
  GroupModel,
  type Interrupted,
  type LongOperationOptions,
  longOperation,
  type NotFound,
  OrgUnitGroupMembershipModel,
  OrgUnitModel,
  OrgUnitTypeModel,
  Records,
  type SourceVersionId,
  SourceVersionModel,
  StorageError,
  type ValidationError,
  type WholeSetOptions
} from "@iaso/core"
import { GpkgDriver, type SqlValue } from "./database.ts"
import { type GpkgColumn, initGeoPackage, writeAttributeTable, writeFeatureLayer, type GpkgFeatureLayer } from "./write.ts"

/** Depth written in the layer name of a type without depth (IASO's export). */
export const UNKNOWN_DEPTH = 999
/** Type name written in the layer name of units without type (IASO's export). */
export const UNKNOWN_TYPE = "Unknown"

/** The attribute columns of every exported layer, in order (the geometry is in `geom`). */
export const EXPORT_COLUMNS: ReadonlyArray<GpkgColumn> = [
  { name: "id", type: "TEXT" },
  { name: "name", type: "TEXT" },
  { name: "ref", type: "TEXT" },
  { name: "code", type: "TEXT" },
  { name: "parent", type: "TEXT" },
  { name: "parent_ref", type: "TEXT" },
  { name: "group_refs", type: "TEXT" },
  { name: "group_names", type: "TEXT" },
  { name: "uuid", type: "TEXT" },
  { name: "opening_date", type: "DATE" },
  { name: "closed_date", type: "DATE" }
]

/** The columns of the `groups` attribute table (IASO requires the table, even empty). */
export const GROUP_COLUMNS: ReadonlyArray<GpkgColumn> = [
  { name: "ref", type: "TEXT", notNull: true },
  { name: "name", type: "TEXT", notNull: true }
]

/** IASO's reference of a unit or group: its `sourceRef`, or `iaso:<id>` when it has none. */
export const exportRef = (record: { readonly id: string; readonly sourceRef?: string | undefined }): string =>
  record.sourceRef !== undefined && record.sourceRef !== "" ? record.sourceRef : `iaso:${record.id}`

/** Every record of a listing, page after page (whole records: the options select no fields). */
const all = <M extends AnyModel, const O extends WholeSetOptions>(records: Records["Service"], model: M, options: O) =>
  listAll((page) => records.list(model, page), options)

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The bytes of a GeoPackage of a source version in IASO's export format (needs read access to the
 * version, its org units and groups). An unknown or foreign version is `NotFound`. `onProgress`
 * hears the phases `"read"` (units read, of the version's, after each page) and `"write"` (units
 * written, after each layer); an aborted `signal` fails it with `Interrupted`.
 */
export const exportGeoPackage = (
  versionId: SourceVersionId,
  options: LongOperationOptions = {}
): Effect.Effect<Uint8Array, NotFound | Forbidden | ValidationError | StorageError | Interrupted, Records | GpkgDriver | CurrentActor> =>
  longOperation("export", options, (progress) =>
    Effect.gen(function* () {
      const records = yield* Records
      yield* records.get(SourceVersionModel, versionId)
      const inVersion = { where: [{ field: "versionId", op: "eq", value: versionId }] } as const
      const total = yield* records.count(OrgUnitModel, inVersion.where)
      let read = 0
      const units = yield* listAll(
        (page) =>
          Effect.tap(records.list(OrgUnitModel, page), (listed) => {
            read += listed.items.length
            return progress.report("read", read, total)
          }),
        inVersion
      )
      const types = yield* all(records, OrgUnitTypeModel, {})
      const groups = yield* all(records, GroupModel, inVersion)

      const groupsById = new Map(groups.map((group) => [group.id as string, group]))
      const groupsOfUnit = new Map<string, Array<Group>>()
      const groupIds = [...groupsById.keys()]
      for (const link of yield* findIn((page) => records.list(OrgUnitGroupMembershipModel, page), "groupId", groupIds)) {
        const group = groupsById.get(String(link.groupId))
        if (group === undefined || link.orgUnitId === undefined) continue
        const list = groupsOfUnit.get(String(link.orgUnitId)) ?? []
        list.push(group)
        groupsOfUnit.set(String(link.orgUnitId), list)
      }

      const typesById = new Map(types.map((type) => [type.id as string, type]))
      const unitsById = new Map(units.map((unit) => [unit.id as string, unit]))
      const layers = new Map<string, Array<{ readonly geometry: Geometry | null; readonly values: ReadonlyArray<SqlValue>; readonly sortKey: string }>>()
      for (const unit of units) {
        const type = unit.orgUnitTypeId === undefined ? undefined : typesById.get(unit.orgUnitTypeId)
        const layerName = `level-${type?.depth ?? UNKNOWN_DEPTH}-${type?.name ?? UNKNOWN_TYPE}`
        const parent = unit.parentId === undefined ? undefined : unitsById.get(unit.parentId)
        const parentType = parent?.orgUnitTypeId === undefined ? undefined : typesById.get(parent.orgUnitTypeId)
        const unitGroups = [...(groupsOfUnit.get(unit.id) ?? [])].sort((a, b) => byCodePoint(exportRef(a), exportRef(b)))
        const values: ReadonlyArray<SqlValue> = [
          unit.id,
          unit.name,
          exportRef(unit),
          unit.code,
          parent === undefined || parentType === undefined ? null : `${parent.name} (${parentType.name})`,
          parent === undefined ? null : exportRef(parent),
          unitGroups.length === 0 ? null : unitGroups.map(exportRef).join(", "),
          unitGroups.length === 0 ? null : unitGroups.map((group) => group.name).join(", "),
          unit.uuid ?? null,
          unit.openingDate ?? null,
          unit.closedDate ?? null
        ]
        const rows = layers.get(layerName) ?? []
        rows.push({ geometry: unit.geom ?? unit.simplifiedGeom ?? unit.location ?? null, values, sortKey: `${unit.name}\u0000${unit.id}` })
        layers.set(layerName, rows)
      }
      const featureLayers: Array<GpkgFeatureLayer> = [...layers.entries()]
        .sort(([a], [b]) => byCodePoint(a, b))
        .map(([name, rows]) => ({ name, columns: EXPORT_COLUMNS, rows: rows.sort((a, b) => byCodePoint(a.sortKey, b.sortKey)) }))
      const groupRows = groups.map((group): ReadonlyArray<SqlValue> => [exportRef(group), group.name])

      const driver = yield* GpkgDriver
      const writing = <A>(write: () => A) =>
        Effect.try({
          try: write,
          catch: (error) => new StorageError({ reason: "unknown", retryable: false, message: `writing the GeoPackage failed: ${String(error)}`, cause: error })
        })
      return yield* Effect.acquireUseRelease(
        driver.create(),
        (db) =>
          Effect.gen(function* () {
            yield* writing(() => initGeoPackage(db))
            let written = 0
            for (const layer of featureLayers) {
              yield* writing(() => writeFeatureLayer(db, layer))
              written += layer.rows.length
              yield* progress.report("write", written, units.length)
            }
            return yield* writing(() => {
              writeAttributeTable(db, { name: "groups", columns: GROUP_COLUMNS, rows: groupRows })
              return db.serialize()
            })
          }),
        (db) => Effect.sync(() => db.close())
      )
    })
  )
