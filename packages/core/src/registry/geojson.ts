/**
 * A version's pyramid as a GeoJSON FeatureCollection, both ways: one feature per org unit, whose
 * properties use the column names of IASO's GeoPackage format (`ref`, `name`, `parent_ref`,
 * `group_refs`, `code`, `opening_date`, `closed_date`, `uuid`) plus `type` and `depth`, which the
 * GeoPackage carries in its layer names (`level-<depth>-<type>`). The groups travel in a `groups`
 * foreign member of the collection, `[{ ref, name }]`, like the GeoPackage's `groups` table.
 *
 * Export reads through the `Records` service, so the actor's permissions and org-unit roots apply:
 * a restricted actor exports its subtrees only. Import first bounds the collection (its nesting by
 * `MAX_JSON_DEPTH`, its features by the option `maxUnits`), then decodes it (every problem
 * reported at once, at paths like `["features", 3, "properties", "ref"]`) and hands the pyramid to
 * the shared engine (`importPyramid`), all or nothing.
 *
 * Choices:
 * - `ref` is the unit's `sourceRef`, or `iaso:<id>` when it has none (IASO's rule); `parent_ref`
 *   likewise, `null` for a root. A unit whose parent is not exported (outside the actor's roots)
 *   gets `iaso:<parent id>`.
 * - `depth` is the depth of the unit's type (what finds the type again on import with its name),
 *   not the unit's level in the tree, which the parents give. A type without depth exports `null`,
 *   and on import a `type` needs a `depth`.
 * - `group_refs` is the unit's group refs, sorted and joined with ", " (IASO's export); import
 *   splits on commas and also takes a JSON list. Absent: the unit's groups are left as they are
 *   (GeoPackage rule); `null` or "": no groups.
 * - The geometry is the shape, else the simplified shape, else the location, as IASO's export
 *   does: a unit that has both a shape and a location exports the shape only.
 * - Import creates every group of the `groups` member, members or not (as the GeoPackage `groups`
 *   table does), plus any group a feature names that the member lacks, named after its ref.
 * - `uuid` is exported but not imported (the GeoPackage import ignores it too).
 * @module
 */
import type { Feature, FeatureCollection, MultiPolygon, Point } from "geojson"
import { Effect, Result, Schema } from "effect"
import { Records } from "../kernel/records.ts"
import type { Repos, ServiceWriteError } from "../kernel/repos.ts"
import type { DataSourceId, SourceVersionId } from "../shared/entity-ids.ts"
import { type Forbidden, type Interrupted, type NotFound, type StorageError, ValidationError, type ValidationIssue } from "../shared/errors.ts"
import { GeoMultiPolygonInput, GeoPoint } from "../shared/geometry.ts"
import { admitJson } from "../shared/json.ts"
import { checkImportUnits } from "../shared/limits.ts"
import type { AnyModel } from "../shared/model.ts"
import { type LongOperationOptions, longOperation } from "../shared/progress.ts"
import { type FieldCondition, findIn, listAll } from "../shared/repository.ts"
import { NonBlankText, NonBlankTextMax } from "../shared/text.ts"
import { isCalendarDate } from "../shared/time.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { GroupModel, OrgUnitGroupMembershipModel } from "./groups.ts"
import { type OrgUnit, OrgUnitModel } from "./org-unit.ts"
import { OrgUnitTypeModel } from "./org-unit-type.ts"
import { runPyramidImport, type PyramidImportResult, type PyramidInput, type PyramidMessages, type PyramidUnit } from "./pyramid-import.ts"
import { type SourceVersion, SourceVersionModel } from "./sources.ts"
import type { ValidationStatus } from "./validation-status.ts"

// -----------------------------------------------------------------------------
// The format
// -----------------------------------------------------------------------------

/** The properties of one org unit's feature. */
export interface PyramidFeatureProperties {
  /** `sourceRef`, or `iaso:<id>` for a unit without one. */
  readonly ref: string
  readonly name: string
  /** The parent's ref; `null` for a root. */
  readonly parent_ref: string | null
  /** Group refs joined with ", " ("" when none). */
  readonly group_refs: string
  /** "" when none. */
  readonly code: string
  /** `YYYY-MM-DD`. */
  readonly opening_date: string | null
  readonly closed_date: string | null
  readonly uuid: string | null
  /** The type's name; `null` for an untyped unit. */
  readonly type: string | null
  /** The type's depth (not the unit's level in the tree). */
  readonly depth: number | null
}

/** One org unit as a GeoJSON feature. */
export type PyramidFeature = Feature<Point | MultiPolygon | null, PyramidFeatureProperties>

/** A version's pyramid as a FeatureCollection, with its groups in the `groups` foreign member. */
export interface PyramidFeatureCollection extends FeatureCollection<Point | MultiPolygon | null, PyramidFeatureProperties> {
  readonly groups: ReadonlyArray<{ readonly ref: string; readonly name: string }>
}

/** The audit source of GeoJSON imports. */
export const GEOJSON_IMPORT_SOURCE = "GEOJSON_IMPORT"

/** The engine's error wording for GeoJSON imports. */
export const GEOJSON_MESSAGES: PyramidMessages = {
  unknownParent: (parentRef, unit) =>
    `parent_ref ${parentRef} of ${unit.ref} (${unit.name}) is neither a feature of the collection nor a unit of the target version`,
  unknownGroups: (groupRefs, unit) =>
    `group_refs ${groupRefs.join(", ")} of ${unit.ref} (${unit.name}) are neither groups of the collection nor of the target version`
}

const refOf = (record: { readonly id?: string; readonly sourceRef?: string }): string =>
  record.sourceRef !== undefined && record.sourceRef !== "" ? record.sourceRef : `iaso:${String(record.id)}`

// -----------------------------------------------------------------------------
// Export
// -----------------------------------------------------------------------------

/**
 * Exports a version's org units as a FeatureCollection, parents before children (by path), with
 * the version's groups. Reads through `Records`: the actor needs read access to the version, its
 * org units and groups, and sees only the units under its org-unit roots. `onProgress` hears the
 * phases `"read"` (units read, of the version's, after each page) and `"write"` (features built);
 * `signal` stops the export with `Interrupted`.
 */
export const exportGeoJsonPyramid = (
  versionId: SourceVersionId,
  options: LongOperationOptions = {}
): Effect.Effect<PyramidFeatureCollection, NotFound | Forbidden | ValidationError | StorageError | Interrupted, Records | CurrentActor> =>
  longOperation("export", options, (progress) =>
    Effect.gen(function* () {
      const records = yield* Records
      const version = yield* records.get(SourceVersionModel, versionId)
      const inVersion: ReadonlyArray<FieldCondition> = [{ field: "versionId", op: "eq", value: version.id }]
      const total = yield* records.count(OrgUnitModel, inVersion)
      let read = 0
      const units = yield* listAll(
        (page) =>
          Effect.tap(records.list(OrgUnitModel, page), (listed) => {
            read += listed.items.length
            return progress.report("read", read, total)
          }),
        { where: inVersion, orderBy: [{ field: "path" }] }
      )
      const collection = yield* collectionOf(version, units)
      yield* progress.report("write", collection.features.length, collection.features.length)
      return collection
    })
  )

/** The FeatureCollection of a version's units (read by the caller, in path order). */
const collectionOf = (
  version: SourceVersion,
  units: ReadonlyArray<OrgUnit>
): Effect.Effect<PyramidFeatureCollection, NotFound | Forbidden | ValidationError | StorageError, Records | CurrentActor> =>
  Effect.gen(function* () {
    const records = yield* Records
    const all = <M extends AnyModel>(model: M, where: ReadonlyArray<FieldCondition>, orderBy: string) =>
      listAll((options) => records.list(model, options), { where, orderBy: [{ field: orderBy }] })
    const byIds = <M extends AnyModel>(model: M, field: string, ids: ReadonlyArray<string>) => findIn((options) => records.list(model, options), field, ids)

    const typeIds = [...new Set(units.flatMap((unit) => (unit.orgUnitTypeId === undefined ? [] : [String(unit.orgUnitTypeId)])))]
    const types = new Map((yield* byIds(OrgUnitTypeModel, "id", typeIds)).map((type) => [String(type.id), type]))
    const groups = yield* all(GroupModel, [{ field: "versionId", op: "eq", value: version.id }], "name")
    const groupRefs = new Map(groups.map((group) => [String(group.id), refOf(group)]))
    const memberships = yield* byIds(OrgUnitGroupMembershipModel, "groupId", [...groupRefs.keys()])
    const groupsOf = new Map<string, Array<string>>()
    for (const link of memberships) {
      const ref = groupRefs.get(String(link.groupId))
      if (ref === undefined) continue
      const list = groupsOf.get(String(link.orgUnitId)) ?? []
      list.push(ref)
      groupsOf.set(String(link.orgUnitId), list)
    }
    const unitRefs = new Map(units.map((unit) => [String(unit.id), refOf(unit)]))

    const features: Array<PyramidFeature> = units.map((unit) => {
      const type = unit.orgUnitTypeId === undefined ? undefined : types.get(String(unit.orgUnitTypeId))
      const geometry: Point | MultiPolygon | null = unit.geom ?? unit.simplifiedGeom ?? unit.location ?? null
      const parentId = unit.parentId === undefined ? undefined : String(unit.parentId)
      return {
        type: "Feature",
        geometry,
        properties: {
          ref: refOf(unit),
          name: unit.name ?? "",
          parent_ref: parentId === undefined ? null : (unitRefs.get(parentId) ?? `iaso:${parentId}`),
          group_refs: (groupsOf.get(String(unit.id)) ?? []).sort().join(", "),
          code: unit.code ?? "",
          opening_date: unit.openingDate ?? null,
          closed_date: unit.closedDate ?? null,
          uuid: unit.uuid ?? null,
          type: type?.name ?? null,
          depth: type?.depth ?? null
        }
      }
    })
    return {
      type: "FeatureCollection",
      features,
      groups: groups.map((group) => ({ ref: refOf(group), name: group.name ?? "" }))
    }
  })

// -----------------------------------------------------------------------------
// Import
// -----------------------------------------------------------------------------

const nullable = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

const DateText = Schema.String.check(
  Schema.makeFilter((text: string) => text.trim() === "" || isCalendarDate(text.trim()) || `Expected a date written YYYY-MM-DD, got ${JSON.stringify(text)}`)
)

const Properties = Schema.Struct({
  ref: NonBlankText,
  name: NonBlankTextMax(255),
  parent_ref: nullable(Schema.String),
  group_refs: nullable(Schema.Union([Schema.String, Schema.Array(Schema.String)])),
  code: nullable(Schema.String),
  opening_date: nullable(DateText),
  closed_date: nullable(DateText),
  uuid: nullable(Schema.String),
  type: nullable(Schema.String),
  depth: nullable(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 32767 })))
})
type Properties = typeof Properties.Type

const FeatureShape = Schema.Struct({
  type: Schema.Literal("Feature"),
  /** Decoded on its own (see {@link readGeometry}), so its issues keep their full path. */
  geometry: Schema.optionalKey(Schema.Unknown),
  properties: Properties
})

const CollectionShape = Schema.Struct({
  type: Schema.Literal("FeatureCollection"),
  /** Decoded one by one, so every bad feature is reported. */
  features: Schema.Array(Schema.Unknown),
  groups: nullable(Schema.Array(Schema.Struct({ ref: NonBlankText, name: nullable(Schema.String) })))
})

const issuesOf = (error: Schema.SchemaError, prefix: ReadonlyArray<string | number>): ReadonlyArray<ValidationIssue> =>
  ValidationError.fromSchemaError(error, prefix).issues

const decodePoint = Schema.decodeUnknownResult(GeoPoint)
const decodeShape = Schema.decodeUnknownResult(GeoMultiPolygonInput)

/** A feature's geometry: a Point, Polygon or MultiPolygon, or none. */
const readGeometry = (raw: unknown, path: ReadonlyArray<string | number>, issues: Array<ValidationIssue>): Point | MultiPolygon | undefined => {
  if (raw === undefined || raw === null) return undefined
  if (typeof raw !== "object" || Array.isArray(raw)) {
    issues.push({ path, message: "Expected a GeoJSON geometry object or null" })
    return undefined
  }
  const type = "type" in raw ? raw.type : undefined
  if (type === "Point") {
    const result = decodePoint(raw, { errors: "all" })
    if (Result.isSuccess(result)) return result.success
    issues.push(...issuesOf(result.failure, path))
  } else if (type === "Polygon" || type === "MultiPolygon") {
    const result = decodeShape(raw, { errors: "all" })
    if (Result.isSuccess(result)) return result.success
    issues.push(...issuesOf(result.failure, path))
  } else {
    issues.push({ path: [...path, "type"], message: `Expected a Point, Polygon or MultiPolygon geometry, got ${JSON.stringify(type ?? null)}` })
  }
  return undefined
}

const splitRefs = (value: string | ReadonlyArray<string>): ReadonlyArray<string> =>
  (typeof value === "string" ? value.split(",") : value).map((ref) => ref.trim()).filter((ref) => ref !== "")

/** A feature's properties as an engine unit. */
const unitOf = (properties: Properties, geometry: Point | MultiPolygon | undefined): PyramidUnit => {
  const typeName = properties.type?.trim() ?? ""
  const opening = properties.opening_date === undefined || properties.opening_date === null ? properties.opening_date : properties.opening_date.trim()
  const closed = properties.closed_date === undefined || properties.closed_date === null ? properties.closed_date : properties.closed_date.trim()
  return {
    ref: properties.ref.trim(),
    name: properties.name.trim(),
    ...(typeName === "" || properties.depth === undefined || properties.depth === null ? {} : { type: { name: typeName, depth: properties.depth } }),
    parentRef: properties.parent_ref ?? null,
    ...(properties.group_refs === undefined ? {} : { groupRefs: properties.group_refs === null ? null : splitRefs(properties.group_refs) }),
    ...(properties.code === undefined ? {} : { code: properties.code }),
    ...(opening === undefined ? {} : { openingDate: opening }),
    ...(closed === undefined ? {} : { closedDate: closed }),
    ...(geometry === undefined ? {} : { geometry })
  }
}

/**
 * Decodes a FeatureCollection into the engine's input (pure). Fails with a `ValidationError`
 * listing every problem at its place, e.g. `["features", 2, "properties", "ref"]`. Before any
 * decoding, the collection's nesting is bounded (`MAX_JSON_DEPTH`, see `admitJson`) and its
 * features counted against `maxUnits` (default `DEFAULT_MAX_IMPORT_UNITS`).
 */
export const parseGeoJsonPyramid = (collection: unknown, limits: { readonly maxUnits?: number } = {}): Effect.Effect<PyramidInput, ValidationError> =>
  Effect.suspend(() => {
    const admitted = admitJson(collection)
    if (admitted instanceof ValidationError) return Effect.fail(admitted)
    const features = typeof admitted === "object" && admitted !== null && "features" in admitted ? admitted.features : undefined
    const tooMany = checkImportUnits(["features"], Array.isArray(features) ? features.length : 0, "features", limits.maxUnits)
    if (tooMany !== undefined) return Effect.fail(tooMany)
    const shell = Schema.decodeUnknownResult(CollectionShape)(admitted, { errors: "all" })
    if (Result.isFailure(shell)) return Effect.fail(ValidationError.fromSchemaError(shell.failure))
    const issues: Array<ValidationIssue> = []
    const units: Array<PyramidUnit> = []
    shell.success.features.forEach((raw, index) => {
      const path = ["features", index] as const
      const feature = Schema.decodeUnknownResult(FeatureShape)(raw, { errors: "all" })
      if (Result.isFailure(feature)) {
        issues.push(...issuesOf(feature.failure, path))
        return
      }
      const { properties } = feature.success
      const geometry = readGeometry(feature.success.geometry, [...path, "geometry"], issues)
      if ((properties.type?.trim() ?? "") !== "" && (properties.depth === undefined || properties.depth === null)) {
        issues.push({ path: [...path, "properties", "depth"], message: `the type ${properties.type ?? ""} needs its depth` })
      }
      units.push(unitOf(properties, geometry))
    })
    if (issues.length > 0) {
      const message = issues.map((issue) => `${issue.message}\n  at ${JSON.stringify(issue.path)}`).join("\n")
      return Effect.fail(new ValidationError({ message, issues }))
    }
    const groups = new Map<string, string>()
    for (const group of shell.success.groups ?? []) {
      const ref = group.ref.trim()
      const name = group.name?.trim() ?? ""
      if (!groups.has(ref)) groups.set(ref, name === "" ? ref : name)
    }
    for (const unit of units) for (const ref of unit.groupRefs ?? []) if (!groups.has(ref)) groups.set(ref, ref)
    return Effect.succeed({ groups: [...groups].map(([ref, name]) => ({ ref, name })), units })
  })

/**
 * Options of `importGeoJsonPyramid`. `onProgress` hears the phases `"read"` (features decoded),
 * then the engine's `"validate"` and `"write"`; `signal` stops the import, which then stores nothing.
 */
export interface GeoJsonImportOptions extends LongOperationOptions {
  readonly dataSourceId: DataSourceId
  /** Target version number; absent: the next one (0 for a source without versions). */
  readonly versionNumber?: number
  readonly description?: string
  /** Status of the imported units (default `NEW`). */
  readonly validationStatus?: ValidationStatus
  /** Refuse a target version that already has units (default: units with the same ref are updated, as the GeoPackage import does). */
  readonly requireEmptyVersion?: boolean
  /** The most features the collection may hold (default `DEFAULT_MAX_IMPORT_UNITS`, 100,000): more is a `ValidationError` at `["features"]`. */
  readonly maxUnits?: number
}

/** Where each field of an engine unit came from in a feature. */
const FIELD_PATHS: Readonly<Record<string, ReadonlyArray<string>>> = {
  ref: ["properties", "ref"],
  parentRef: ["properties", "parent_ref"],
  groupRefs: ["properties", "group_refs"],
  openingDate: ["properties", "opening_date"],
  closedDate: ["properties", "closed_date"],
  geometry: ["geometry"]
}

/** Rewrites the engine's `["units", i, field]` paths into the collection's (unit `i` is feature `i`). */
const toFeaturePaths = (error: ValidationError): ValidationError => {
  const issues = error.issues.map((issue) => {
    const [head, index, field] = issue.path
    if (head !== "units" || typeof index !== "number") return issue
    const fieldPath = typeof field === "string" ? (FIELD_PATHS[field] ?? ["properties", field]) : []
    return { path: ["features", index, ...fieldPath, ...issue.path.slice(3)], message: issue.message }
  })
  return new ValidationError({ message: error.message, issues })
}

/** The GeoJSON import over the repositories (`Repos`): what `importGeoJsonPyramid` runs through the `PyramidImports` service. */
export const runGeoJsonImport = (
  collection: unknown,
  options: GeoJsonImportOptions
): Effect.Effect<PyramidImportResult, ServiceWriteError | Interrupted, Repos | CurrentActor> =>
  longOperation("import", options, (progress) =>
    Effect.flatMap(
      Effect.tap(parseGeoJsonPyramid(collection, options.maxUnits === undefined ? {} : { maxUnits: options.maxUnits }), (input) =>
        progress.report("read", input.units.length, input.units.length)
      ),
      (input) => importParsed(input, options)
    )
  )

/** The engine on a decoded collection. */
const importParsed = (input: PyramidInput, options: GeoJsonImportOptions) =>
  runPyramidImport(input, {
    dataSourceId: options.dataSourceId,
    source: GEOJSON_IMPORT_SOURCE,
    messages: GEOJSON_MESSAGES,
    onProgress: options.onProgress,
    signal: options.signal,
    ...(options.versionNumber === undefined ? {} : { versionNumber: options.versionNumber }),
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(options.validationStatus === undefined ? {} : { validationStatus: options.validationStatus }),
    ...(options.requireEmptyVersion === undefined ? {} : { requireEmptyVersion: options.requireEmptyVersion })
  }).pipe(Effect.mapError((error) => (error._tag === "ValidationError" ? toFeaturePaths(error) : error)))
