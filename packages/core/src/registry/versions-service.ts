/**
 * The `Versions` service: whole-version operations on source versions.
 *
 * - `copy` duplicates one version's pyramid into another version (of the same data source or of
 *   another one), the way IASO's `copy_version` task does: the destination version is found or
 *   created, a destination that already holds units is only overwritten when the caller forces it,
 *   then group sets, groups (with their set links re-pointed at the new sets), every unit (new ids,
 *   parents re-pointed through the old-to-new id map, paths rebuilt from the roots) and the group
 *   memberships are written, in batches, in one transaction.
 * - `diff` compares a version with a reference version the way IASO's `Differ` does: units are
 *   paired by `sourceRef`; a reference unit with no partner is `new`, a pair with a differing field
 *   is `modified`, a pair with none `same`, and a unit of the compared version whose reference is
 *   absent from the reference version is `not in origin - ignored`. In every comparison `before` is
 *   the value in the compared version (`versionId`, the version to update) and `after` the value in
 *   the reference version (`referenceVersionId`, the version to compare with). As in IASO, a diff
 *   is a whole-version operation for holders of `iaso_sources`: an actor's org-unit roots do not
 *   narrow it (they are units of one version, and a diff spans two).
 * - `diffCsv` writes that comparison as IASO's `diff.csv` export (see {@link versionDiffCsv}).
 *
 * Deliberate differences from IASO, each for a reason given where it applies: a copy into a source
 * with no version starts at number 1 (IASO's task fails); a copy into a read-only source is refused;
 * units without a `sourceRef` are never paired in a diff (IASO pairs them with the first other unit
 * without one); the CSV's distance column is the great-circle distance in km (IASO multiplies a
 * planar distance in degrees by 100); group ids in the CSV are this SDK's string ids.
 * @module
 */
import type { MultiPolygon, Point } from "geojson"
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { DataSourceId, GroupId, GroupSetId, OrgUnitId, OrgUnitTypeId, SourceVersionId } from "../shared/entity-ids.ts"
import { Forbidden, type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { centroid, haversineMeters } from "../shared/geometry.ts"
import { uuidv7 } from "../shared/ids.ts"
import { allPages, type Repositories } from "../shared/repository.ts"
import { compareCodePoints } from "../shared/text.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { requireUnrestricted } from "../kernel/row-access.ts"
import { type Group, GroupModel, type GroupSet, GroupSetGroupModel, GroupSetModel, OrgUnitGroupMembershipModel } from "./groups.ts"
import { type OrgUnit, OrgUnitModel, PATH_SEPARATOR } from "./org-unit.ts"
import { OrgUnitTypeModel } from "./org-unit-type.ts"
import { DataSourceModel, type SourceVersion, SourceVersionModel } from "./sources.ts"
import type { ValidationStatus } from "./validation-status.ts"

const SOURCE = "COPY_VERSION"

/** Rows written per `insertMany` call. */
const BATCH = 2000
/** Page size of the listings a whole-version operation reads. */
const PAGE = 10_000
/** Ids per `in` condition. */
const CHUNK = 500

// -----------------------------------------------------------------------------
// Public types
// -----------------------------------------------------------------------------

/** What to copy, and where. */
export interface VersionCopyInput {
  /** The version whose pyramid is copied. */
  readonly sourceVersionId: SourceVersionId
  /** The data source of the destination version (default: the copied version's own source). */
  readonly destinationDataSourceId?: DataSourceId
  /** The destination version's number (default: the destination source's latest number + 1). */
  readonly destinationNumber?: number
  /** Overwrite a destination version that already has org units (they are deleted first). */
  readonly force?: boolean
}

/** What a copy did. */
export interface VersionCopyResult {
  /** The destination version. */
  readonly version: SourceVersion
  /** Whether the destination version was created by the copy. */
  readonly versionCreated: boolean
  /** Units of the destination deleted first (with `force`). */
  readonly deletedOrgUnits: number
  readonly orgUnits: number
  readonly groups: number
  readonly groupSets: number
  /** Unit-in-group links written. */
  readonly groupMemberships: number
  /** Group-in-set links written. */
  readonly groupSetLinks: number
}

/** The fields a diff may compare (IASO's `fields_to_export`). `groups` expands into one pseudo-field per group. */
export const DIFF_FIELDS = ["name", "parent", "geometry", "groups", "opening_date", "closed_date", "code"] as const
/** A field a diff may compare. */
export type DiffField = (typeof DIFF_FIELDS)[number]

/** The status of a unit in a diff. */
export type OrgUnitDiffStatus = "new" | "modified" | "same" | "not in origin - ignored"

/** The status of one compared field. */
export type FieldDiffStatus = "same" | "modified" | "new" | "not in origin - ignored"

/** One group a unit belongs to, as a group pseudo-field holds it. */
export interface DiffGroup {
  /** The group's `sourceRef` (IASO's `id` key). */
  readonly id: string
  readonly name: string
  /** The group's id in this SDK (IASO's `iaso_id`). */
  readonly groupId: GroupId
}

/**
 * A compared value: text (name, code, parent's `sourceRef`, dates), a geometry (location, else
 * shape, else simplified shape), the groups of one group pseudo-field, or `null` (absent).
 */
export type DiffValue = string | Point | MultiPolygon | ReadonlyArray<DiffGroup> | null

/** The comparison of one field of a pair of units. */
export interface FieldComparison {
  /** `name`, `parent`, `geometry`, `opening_date`, `closed_date`, `code`, or `group:<sourceRef>:<name>`. */
  readonly field: string
  readonly status: FieldDiffStatus
  /** The value in the compared version (`versionId`). */
  readonly before: DiffValue
  /** The value in the reference version (`referenceVersionId`). */
  readonly after: DiffValue
  /** Geometry only: great-circle distance in km between the two centroids (0 when the same). */
  readonly distanceKm?: number
}

/** A unit as a diff reports it. */
export interface DiffedOrgUnit {
  readonly id: OrgUnitId
  readonly name: string
  readonly sourceRef?: string
  readonly orgUnitTypeId?: OrgUnitTypeId
  /** The name of its type, when it has one. */
  readonly typeName?: string
  /** The names of its ancestors, nearest first. */
  readonly ancestorNames: ReadonlyArray<string>
}

/** The diff of one unit. */
export interface OrgUnitDiff {
  readonly status: OrgUnitDiffStatus
  /** The unit in the compared version (`versionId`); absent for `new`. */
  readonly before?: DiffedOrgUnit
  /** The unit in the reference version (`referenceVersionId`); absent for `not in origin - ignored`. */
  readonly after?: DiffedOrgUnit
  /** One comparison per compared field, in the order of {@link VersionDiff.fields}. */
  readonly comparisons: ReadonlyArray<FieldComparison>
}

/** A diff of two versions. */
export interface VersionDiff {
  /** The compared fields: the requested ones (without `groups`), then one `group:<sourceRef>:<name>` per group. */
  readonly fields: ReadonlyArray<string>
  /** Reference units in id order, then the units only the compared version has, in id order. */
  readonly diffs: ReadonlyArray<OrgUnitDiff>
}

/**
 * What to compare. Each filter has a compared-version form and a `reference...` form (IASO's
 * `source_...` and `ref_...` parameters).
 */
export interface VersionDiffInput {
  /** The compared version: the version to update (`before` values). */
  readonly versionId: SourceVersionId
  /** The reference version: the version to compare with (`after` values). */
  readonly referenceVersionId: SourceVersionId
  /** Compared fields (default: all of {@link DIFF_FIELDS}); `groups` adds one pseudo-field per group. */
  readonly fields?: ReadonlyArray<DiffField>
  /** Unit statuses to report (default: `new`, `modified`, `not in origin - ignored`; add `same` to see every pair). */
  readonly statuses?: ReadonlyArray<OrgUnitDiffStatus>
  /** Only units with this validation status in the compared version (default: all). */
  readonly validationStatus?: ValidationStatus
  readonly referenceValidationStatus?: ValidationStatus
  /** Only this unit and its descendants in the compared version; it must belong to that version. */
  readonly topOrgUnitId?: OrgUnitId
  readonly referenceTopOrgUnitId?: OrgUnitId
  /** Only units of these types in the compared version. */
  readonly orgUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
  readonly referenceOrgUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
  /** Only members of this group in the compared version; it must belong to that version. */
  readonly groupId?: GroupId
  readonly referenceGroupId?: GroupId
}

// -----------------------------------------------------------------------------
// Helpers
// -----------------------------------------------------------------------------


const chunks = <T>(items: ReadonlyArray<T>, size: number): ReadonlyArray<ReadonlyArray<T>> => {
  const out: Array<ReadonlyArray<T>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const withCursor = (cursor: string | undefined) => (cursor === undefined ? {} : { cursor })

/** A stored record without the fields the SDK sets, ready to be inserted again under a new id. */
const copyable = (record: object): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...record }
  for (const key of ["id", "accountId", "version", "createdAt", "updatedAt"]) delete out[key]
  return out
}

// -----------------------------------------------------------------------------
// Diff
// -----------------------------------------------------------------------------

/** The unit fields a diff reads (geometries only when compared). */
interface LoadedUnit {
  readonly id: OrgUnitId
  readonly name: string
  readonly path: string
  readonly parentId?: OrgUnitId
  readonly sourceRef?: string
  readonly orgUnitTypeId?: OrgUnitTypeId
  readonly validationStatus?: ValidationStatus
  readonly openingDate?: string
  readonly closedDate?: string
  readonly code?: string
  readonly location?: Point
  readonly geom?: MultiPolygon
  readonly simplifiedGeom?: MultiPolygon
}

/** Python's truthiness of a compared value (`None`, `""` and `[]` are false). */
const truthy = (value: DiffValue): boolean => value !== null && value !== "" && !(Array.isArray(value) && value.length === 0)

const blankIsNull = (value: DiffValue): DiffValue => (value === "" ? null : value)

const isGroupList = (value: DiffValue): value is ReadonlyArray<DiffGroup> => Array.isArray(value)

const isGeometry = (value: DiffValue): value is Point | MultiPolygon => typeof value === "object" && value !== null && !Array.isArray(value)

/** A coordinate rounded to 6 decimals, as IASO compares geometries. */
const round6 = (value: number | undefined): string => (value === undefined ? "" : value.toFixed(6))

/**
 * A canonical form of a multipolygon for comparison: coordinates rounded to 6 decimals, each ring
 * without its closing position, started at its smallest vertex and turned one way, holes and
 * polygons sorted (what GEOS's `normalize` achieves for IASO).
 */
const canonicalShape = (mp: MultiPolygon): string => {
  const ring = (positions: ReadonlyArray<ReadonlyArray<number>>): string => {
    let vertices = positions.map((p) => `${round6(p[0])} ${round6(p[1])}`)
    if (vertices.length > 1 && vertices[0] === vertices[vertices.length - 1]) vertices = vertices.slice(0, -1)
    let area = 0
    for (let i = 0; i < positions.length - 1; i++) {
      const a = positions[i]
      const b = positions[i + 1]
      if (a !== undefined && b !== undefined) area += (a[0] ?? 0) * (b[1] ?? 0) - (b[0] ?? 0) * (a[1] ?? 0)
    }
    if (area < 0) vertices = vertices.reverse()
    let start = 0
    vertices.forEach((vertex, index) => {
      const best = vertices[start]
      if (best !== undefined && compareCodePoints(vertex, best) < 0) start = index
    })
    return [...vertices.slice(start), ...vertices.slice(0, start)].join(",")
  }
  const polygons = mp.coordinates.map((polygon) => {
    const [shell, ...holes] = polygon.map(ring)
    return [shell ?? "", ...holes.sort(compareCodePoints)].join("|")
  })
  return polygons.sort(compareCodePoints).join("#")
}

const sameGeometry = (a: DiffValue, b: DiffValue): boolean => {
  if (a === null && b === null) return true
  if (!isGeometry(a) || !isGeometry(b)) return false
  if (a.type !== b.type) return false
  if (a.type === "Point" && b.type === "Point") {
    return round6(a.coordinates[0]) === round6(b.coordinates[0]) && round6(a.coordinates[1]) === round6(b.coordinates[1])
  }
  if (a.type === "MultiPolygon" && b.type === "MultiPolygon") return canonicalShape(a) === canonicalShape(b)
  return false
}

const centreOf = (geometry: Point | MultiPolygon): readonly [number, number] =>
  geometry.type === "Point" ? [geometry.coordinates[0] ?? Number.NaN, geometry.coordinates[1] ?? Number.NaN] : centroid(geometry)

/** Great-circle distance in km between the centroids of two geometries. */
const centroidDistanceKm = (a: Point | MultiPolygon, b: Point | MultiPolygon): number => {
  const [lon1, lat1] = centreOf(a)
  const [lon2, lat2] = centreOf(b)
  return haversineMeters(lon1, lat1, lon2, lat2) / 1000
}

/** How one field is read from a unit and compared. */
interface FieldKind {
  readonly field: string
  readonly read: (unit: LoadedUnit | undefined) => DiffValue
  readonly same: (before: DiffValue, after: DiffValue) => boolean
}

const sameText = (a: DiffValue, b: DiffValue) => blankIsNull(a) === blankIsNull(b)
const sameScalar = (a: DiffValue, b: DiffValue) => a === b
const sameGroups = (a: DiffValue, b: DiffValue) => {
  const ids = (value: DiffValue) => (isGroupList(value) ? value.map((g) => g.id).sort(compareCodePoints) : [])
  const x = ids(a)
  const y = ids(b)
  return x.length === y.length && x.every((id, index) => id === y[index])
}

/** The compared versions loaded in memory. */
interface Pyramid {
  readonly byId: ReadonlyMap<string, LoadedUnit>
  /** The units the filters keep, in id order. */
  readonly kept: ReadonlyArray<LoadedUnit>
}

const ancestorNames = (pyramid: Pyramid, unit: LoadedUnit): ReadonlyArray<string> => {
  const names: Array<string> = []
  const seen = new Set<string>([unit.id])
  let parentId = unit.parentId
  while (parentId !== undefined && !seen.has(parentId)) {
    seen.add(parentId)
    const parent = pyramid.byId.get(parentId)
    if (parent === undefined) break
    names.push(parent.name)
    parentId = parent.parentId
  }
  return names
}

/** Python's `repr` of a string. */
const pyRepr = (text: string): string => {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    if (char === "\\") out += "\\\\"
    else if (char === quote) out += `\\${quote}`
    else if (char === "\n") out += "\\n"
    else if (char === "\r") out += "\\r"
    else if (char === "\t") out += "\\t"
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) out += `\\x${code.toString(16).padStart(2, "0")}`
    else if (code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16)}`
    else out += char
  }
  return out + quote
}

/** A coordinate as GEOS writes it in WKT (shortest form, never in exponent notation). */
const wktNumber = (value: number): string => {
  const text = String(value)
  if (!/e/i.test(text)) return text
  const fixed = value.toFixed(20)
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed
}

/**
 * The EWKT of a geometry as IASO's GEOS geometries print: a location is a 3D point (altitude 0
 * when absent, as IASO stores locations), shapes are 2D multipolygons.
 */
export const toEwkt = (geometry: Point | MultiPolygon): string => {
  if (geometry.type === "Point") {
    const [lon = 0, lat = 0, alt = 0] = geometry.coordinates
    return `SRID=4326;POINT Z (${wktNumber(lon)} ${wktNumber(lat)} ${wktNumber(alt)})`
  }
  const ring = (positions: ReadonlyArray<ReadonlyArray<number>>) => `(${positions.map((p) => `${wktNumber(p[0] ?? 0)} ${wktNumber(p[1] ?? 0)}`).join(", ")})`
  const polygons = geometry.coordinates.map((polygon) => `(${polygon.map(ring).join(", ")})`)
  return `SRID=4326;MULTIPOLYGON (${polygons.join(", ")})`
}

/** Python's `str()` of a compared value, as IASO's CSV writes it. */
const pyStr = (value: DiffValue): string => {
  if (value === null) return "None"
  if (typeof value === "string") return value
  if (isGroupList(value)) {
    return `[${value.map((g) => `{'id': ${pyRepr(g.id)}, 'name': ${pyRepr(g.name)}, 'iaso_id': ${pyRepr(g.groupId)}}`).join(", ")}]`
  }
  return toEwkt(value)
}

/** One CSV cell, quoted as Python's `csv` module does by default (minimal quoting). */
const csvCell = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)

/** How many ancestor levels IASO's CSV shows. */
const CSV_PARENT_LEVELS = 5

/**
 * IASO's `diff.csv` (`Dumper.dump_as_csv`) of a diff: a header `externalId, diff status, modified
 * fields, type`, then for each compared field in code-point order `<f>, <f> before, <f> after`
 * (group pseudo-fields titled by the group's name; `distance diff (KM)` after `geometry`), then
 * `parent i name before/after` for i = 1..5. Values are printed as Python prints them (`None`,
 * list reprs), polygons cut to 40 characters, geometries as `SRID=4326;` EWKT. Rows end with
 * CRLF, as Python's `csv.writer` ends them.
 *
 * Two values differ from IASO by construction: a group's `iaso_id` is this SDK's string id (so it
 * is quoted), and the distance column is the great-circle distance in km between the two points
 * (IASO multiplies their planar distance in degrees by 100).
 */
export const versionDiffCsv = (diff: VersionDiff): string => {
  const sorted = [...diff.fields].sort(compareCodePoints)
  const header = ["externalId", "diff status", "modified fields", "type"]
  for (const field of sorted) {
    const title = field.startsWith("group:") || field.startsWith("groupset:") ? (field.split(":")[2] ?? "") : field
    header.push(title, `${title} before`, `${title} after`)
    if (title === "geometry") header.push("distance diff (KM)")
  }
  for (let i = 1; i <= CSV_PARENT_LEVELS; i++) header.push(`parent ${i} name before`, `parent ${i} name after`)
  const rows: Array<ReadonlyArray<string>> = [header]
  for (const entry of diff.diffs) {
    const unit = entry.after ?? entry.before
    const row: Array<string> = [
      unit?.sourceRef ?? "",
      entry.status,
      entry.comparisons.filter((c) => c.status !== "same").map((c) => c.field).join(", "),
      unit?.typeName ?? ""
    ]
    for (const field of sorted) {
      const comparison = entry.comparisons.find((c) => c.field === field)
      const before = comparison?.before ?? null
      const after = comparison?.after ?? null
      row.push(comparison?.status ?? "")
      const beforeText = pyStr(before)
      const afterText = pyStr(after)
      if (field !== "geometry") {
        row.push(beforeText, afterText)
        continue
      }
      if (beforeText.includes("MULTIPOLYGON") || afterText.includes("MULTIPOLYGON")) row.push(beforeText.slice(0, 40), afterText.slice(0, 40))
      else row.push(beforeText, afterText)
      if (beforeText.includes("POINT Z") && isGeometry(before) && isGeometry(after)) {
        row.push(beforeText.slice(0, 40) !== afterText.slice(0, 40) ? centroidDistanceKm(before, after).toFixed(3) : "0")
      } else {
        row.push(before === null && after === null ? "" : "NA")
      }
    }
    const beforeParents = entry.before?.ancestorNames ?? []
    const afterParents = entry.after?.ancestorNames ?? []
    for (let i = 0; i < CSV_PARENT_LEVELS; i++) row.push(beforeParents[i] ?? "", afterParents[i] ?? "")
    rows.push(row)
  }
  return rows.map((row) => `${row.map(csvCell).join(",")}\r\n`).join("")
}

// -----------------------------------------------------------------------------
// The service
// -----------------------------------------------------------------------------

/** The versions service: copying a version and comparing two versions. */
export class Versions extends Context.Service<
  Versions,
  {
    /**
     * Copies a version's pyramid into another version (needs `iaso_sources`), in one transaction.
     * "Cannot copy a version to the same version"; a destination with units is refused ("This is
     * going to delete N org units records. Use the force parameter to proceed") unless `force`.
     */
    readonly copy: (input: VersionCopyInput) => Effect.Effect<VersionCopyResult, ServiceWriteError, CurrentActor>
    /** Compares a version with a reference version (needs `iaso_sources`; both must be the account's). */
    readonly diff: (input: VersionDiffInput) => Effect.Effect<VersionDiff, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
    /** The same comparison as IASO's `diff.csv` export (see {@link versionDiffCsv}). */
    readonly diffCsv: (input: VersionDiffInput) => Effect.Effect<string, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
  }
>()("@iaso/core/Versions") {
  static readonly layer = Layer.effect(
    Versions,
    Effect.gen(function* () {
      const repos = yield* Repos
      const diff = makeDiff(repos)
      return Versions.of({
        copy: (input) => copyVersion(repos, input),
        diff,
        diffCsv: (input) => Effect.map(diff(input), versionDiffCsv)
      })
    })
  )
}

// -----------------------------------------------------------------------------
// Copy
// -----------------------------------------------------------------------------

/** Deletes every unit of a version: each root with its subtree (and what references them), then any stray unit. */
const deleteUnits = (repos: Repositories, accountId: string, versionId: string) =>
  Effect.gen(function* () {
    const inVersion = { field: "versionId", op: "eq", value: versionId } as const
    const roots = yield* allPages((cursor) =>
      repos.list(OrgUnitModel, accountId, { where: [inVersion, { field: "parentId", op: "isNull" }], select: ["path"], limit: PAGE, ...withCursor(cursor) })
    )
    for (const root of roots) if (root.id !== undefined) yield* repos.remove(OrgUnitModel, accountId, root.id)
    // Units whose parent is outside the version (never written by core) are not under any root.
    const strays = yield* allPages((cursor) =>
      repos.list(OrgUnitModel, accountId, { where: [inVersion], orderBy: [{ field: "path" }], select: ["path"], limit: PAGE, ...withCursor(cursor) })
    )
    for (const stray of strays) {
      if (stray.id !== undefined) yield* repos.remove(OrgUnitModel, accountId, stray.id).pipe(Effect.catchTag("NotFound", () => Effect.void))
    }
  })

const copyVersion = (repos: Repositories, input: VersionCopyInput): Effect.Effect<VersionCopyResult, ServiceWriteError, CurrentActor> =>
  Effect.gen(function* () {
    const actor = yield* CurrentActor
    yield* requireAny(actor, ["iaso_sources"], "copying a source version")
    yield* requireUnrestricted(actor, "copying a source version")
    const accountId = actor.accountId
    return yield* repos.driver.transaction(
      Effect.gen(function* () {
        const at = yield* now
        const newId = () => uuidv7(at.getTime())

        // 1. The copied version and the destination version (found or created).
        const from = yield* repos.get(SourceVersionModel, accountId, input.sourceVersionId)
        const destinationSourceId = input.destinationDataSourceId ?? from.dataSourceId
        const destinationSource = yield* repos.get(DataSourceModel, accountId, destinationSourceId)
        // IASO's task does not look at read_only; every other writer of org units refuses it.
        if (destinationSource.readOnly) return yield* new Forbidden({ message: `the data source ${destinationSource.name} is read-only` })
        const versions = yield* allPages((cursor) =>
          repos.list(SourceVersionModel, accountId, {
            where: [{ field: "dataSourceId", op: "eq", value: destinationSourceId }],
            orderBy: [{ field: "number" }],
            limit: PAGE,
            ...withCursor(cursor)
          })
        )
        // IASO's task fails when the destination source has no version; starting at 1 is what its API does.
        const number = input.destinationNumber ?? (versions[versions.length - 1]?.number ?? 0) + 1
        if (!Number.isInteger(number) || number < 0) return yield* ValidationError.at(["destinationNumber"], "expected a whole number from 0")
        if (destinationSourceId === from.dataSourceId && number === from.number) {
          return yield* ValidationError.at(["destinationNumber"], "Cannot copy a version to the same version")
        }
        const existing = versions.find((v) => v.number === number) as SourceVersion | undefined
        let version: SourceVersion
        let deletedOrgUnits = 0
        if (existing === undefined) {
          version = yield* repos.insert(SourceVersionModel, accountId, { dataSourceId: destinationSourceId, number })
          yield* audit(repos, actor, SOURCE, SourceVersionModel, [{ id: version.id, after: version }])
        } else {
          version = existing
          deletedOrgUnits = yield* repos.count(OrgUnitModel, accountId, [{ field: "versionId", op: "eq", value: version.id }])
          if (deletedOrgUnits > 0 && input.force !== true) {
            return yield* ValidationError.at(["force"], `This is going to delete ${deletedOrgUnits} org units records. Use the force parameter to proceed`)
          }
          if (deletedOrgUnits > 0) yield* deleteUnits(repos, accountId, version.id)
        }
        const inFrom = { field: "versionId", op: "eq", value: from.id } as const

        // 2. Group sets, then groups, then the groups' set links re-pointed at the new sets.
        const sets = (yield* allPages((cursor) => repos.list(GroupSetModel, accountId, { where: [inFrom], limit: PAGE, ...withCursor(cursor) }))) as ReadonlyArray<GroupSet>
        const setIds = new Map<string, GroupSetId>()
        const setRows = sets.map((set) => {
          const id = newId() as GroupSetId
          setIds.set(set.id, id)
          return { ...copyable(set), id, versionId: version.id }
        })
        for (const batch of chunks(setRows, BATCH)) yield* repos.insertMany(GroupSetModel, accountId, batch, { atomic: true })
        const groups = (yield* allPages((cursor) => repos.list(GroupModel, accountId, { where: [inFrom], limit: PAGE, ...withCursor(cursor) }))) as ReadonlyArray<Group>
        const groupIds = new Map<string, GroupId>()
        const groupRows = groups.map((group) => {
          const id = newId() as GroupId
          groupIds.set(group.id, id)
          return { ...copyable(group), id, versionId: version.id }
        })
        for (const batch of chunks(groupRows, BATCH)) yield* repos.insertMany(GroupModel, accountId, batch, { atomic: true })
        let groupSetLinks = 0
        for (const chunk of chunks([...setIds.keys()], CHUNK)) {
          const links = yield* allPages((cursor) =>
            repos.list(GroupSetGroupModel, accountId, { where: [{ field: "groupSetId", op: "in", value: chunk }], limit: PAGE, ...withCursor(cursor) })
          )
          const rows = links.flatMap((link) => {
            const groupSetId = setIds.get(String(link.groupSetId))
            const groupId = groupIds.get(String(link.groupId))
            return groupSetId === undefined || groupId === undefined ? [] : [{ groupSetId, groupId }]
          })
          for (const batch of chunks(rows, BATCH)) yield* repos.insertMany(GroupSetGroupModel, accountId, batch, { atomic: true })
          groupSetLinks += rows.length
        }

        // 3. Units, page by page in path order (a parent always comes before its children), so each
        //    new parent id and path is known when its children are written.
        const placed = new Map<string, { readonly id: OrgUnitId; readonly path: string; readonly depth: number }>()
        let orgUnits = 0
        let cursor: string | undefined
        do {
          const page = yield* repos.list(OrgUnitModel, accountId, { where: [inFrom], orderBy: [{ field: "path" }], limit: BATCH, ...withCursor(cursor) })
          const rows = (page.items as ReadonlyArray<OrgUnit>).map((unit) => {
            const id = newId() as OrgUnitId
            const parent = unit.parentId === undefined ? undefined : placed.get(unit.parentId)
            const path = `${parent?.path ?? ""}${id}${PATH_SEPARATOR}`
            const depth = (parent?.depth ?? 0) + 1
            placed.set(unit.id, { id, path, depth })
            const row: Record<string, unknown> = { ...copyable(unit), id, versionId: version.id, path, depth }
            if (parent === undefined) delete row["parentId"]
            else row["parentId"] = parent.id
            return row
          })
          if (rows.length > 0) yield* repos.insertMany(OrgUnitModel, accountId, rows, { atomic: true })
          orgUnits += rows.length
          cursor = page.cursor
        } while (cursor !== undefined)

        // 4. Memberships re-added to the new groups.
        let groupMemberships = 0
        for (const chunk of chunks([...groupIds.keys()], CHUNK)) {
          let membershipCursor: string | undefined
          do {
            const page = yield* repos.list(OrgUnitGroupMembershipModel, accountId, {
              where: [{ field: "groupId", op: "in", value: chunk }],
              limit: PAGE,
              ...withCursor(membershipCursor)
            })
            const rows = page.items.flatMap((link) => {
              const groupId = groupIds.get(String(link.groupId))
              const unit = placed.get(String(link.orgUnitId))
              return groupId === undefined || unit === undefined ? [] : [{ groupId, orgUnitId: unit.id }]
            })
            for (const batch of chunks(rows, BATCH)) yield* repos.insertMany(OrgUnitGroupMembershipModel, accountId, batch, { atomic: true })
            groupMemberships += rows.length
            membershipCursor = page.cursor
          } while (membershipCursor !== undefined)
        }

        return {
          version,
          versionCreated: existing === undefined,
          deletedOrgUnits,
          orgUnits,
          groups: groupRows.length,
          groupSets: setRows.length,
          groupMemberships,
          groupSetLinks
        }
      })
    )
  })

// -----------------------------------------------------------------------------
// Diff (service side)
// -----------------------------------------------------------------------------

const DEFAULT_STATUSES: ReadonlyArray<OrgUnitDiffStatus> = ["new", "modified", "not in origin - ignored"]

const makeDiff = (repos: Repositories) => {
  const checkTop = (actor: Actor, unitId: OrgUnitId | undefined, versionId: string, path: "topOrgUnitId" | "referenceTopOrgUnitId", versionField: string) =>
    Effect.gen(function* () {
      if (unitId === undefined) return undefined
      const unit = yield* repos.get(OrgUnitModel, actor.accountId, unitId)
      if (unit.versionId !== versionId) return yield* ValidationError.at([path], `not in ${versionField}`)
      return unit
    })
  const checkGroup = (actor: Actor, groupId: GroupId | undefined, versionId: string, path: "groupId" | "referenceGroupId", versionField: string) =>
    Effect.gen(function* () {
      if (groupId === undefined) return undefined
      const group = yield* repos.get(GroupModel, actor.accountId, groupId)
      if (group.versionId !== versionId) return yield* ValidationError.at([path], `not in ${versionField}`)
      return group
    })

  return (input: VersionDiffInput): Effect.Effect<VersionDiff, NotFound | Forbidden | ValidationError | StorageError, CurrentActor> =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* requireAny(actor, ["iaso_sources"], "comparing source versions")
      yield* requireUnrestricted(actor, "comparing source versions")
      const accountId = actor.accountId
      const version = yield* repos.get(SourceVersionModel, accountId, input.versionId)
      const reference = yield* repos.get(SourceVersionModel, accountId, input.referenceVersionId)
      const top = yield* checkTop(actor, input.topOrgUnitId, version.id, "topOrgUnitId", "versionId")
      const referenceTop = yield* checkTop(actor, input.referenceTopOrgUnitId, reference.id, "referenceTopOrgUnitId", "referenceVersionId")
      const group = yield* checkGroup(actor, input.groupId, version.id, "groupId", "versionId")
      const referenceGroup = yield* checkGroup(actor, input.referenceGroupId, reference.id, "referenceGroupId", "referenceVersionId")
      const requested = [...new Set(input.fields ?? DIFF_FIELDS)]
      for (const [index, field] of requested.entries()) {
        if (!(DIFF_FIELDS as ReadonlyArray<string>).includes(field)) return yield* ValidationError.at(["fields", index], `unknown field ${String(field)}`)
      }
      const withGroups = requested.includes("groups")
      const statuses = new Set(input.statuses ?? DEFAULT_STATUSES)

      // The units of both versions: all of them (parents and ancestors are looked up by id), then the filters.
      const select = ["name", "path", "parentId", "sourceRef", "orgUnitTypeId", "validationStatus", "openingDate", "closedDate", "code"]
      if (requested.includes("geometry")) select.push("location", "geom", "simplifiedGeom")
      const load = (versionId: string) =>
        Effect.map(
          allPages((cursor) => repos.list(OrgUnitModel, accountId, { where: [{ field: "versionId", op: "eq", value: versionId }], select, limit: PAGE, ...withCursor(cursor) })),
          (items) => items as unknown as ReadonlyArray<LoadedUnit>
        )
      const units = yield* load(version.id)
      const referenceUnits = version.id === reference.id ? units : yield* load(reference.id)

      // Group memberships of both versions (for the group fields and the group filters).
      const groupsOfUnit = new Map<string, Array<Group>>()
      const membersOf = new Map<string, Set<string>>()
      if (withGroups || group !== undefined || referenceGroup !== undefined) {
        const versionIds = [...new Set([version.id, reference.id])]
        const groups = (yield* allPages((cursor) =>
          repos.list(GroupModel, accountId, { where: [{ field: "versionId", op: "in", value: versionIds }], limit: PAGE, ...withCursor(cursor) })
        )) as ReadonlyArray<Group>
        const byId = new Map(groups.map((g) => [g.id as string, g]))
        for (const chunk of chunks([...byId.keys()], CHUNK)) {
          const links = yield* allPages((cursor) =>
            repos.list(OrgUnitGroupMembershipModel, accountId, { where: [{ field: "groupId", op: "in", value: chunk }], limit: PAGE, ...withCursor(cursor) })
          )
          for (const link of links) {
            const found = byId.get(String(link.groupId))
            if (found === undefined) continue
            const list = groupsOfUnit.get(String(link.orgUnitId)) ?? []
            list.push(found)
            groupsOfUnit.set(String(link.orgUnitId), list)
            const members = membersOf.get(found.id) ?? new Set<string>()
            members.add(String(link.orgUnitId))
            membersOf.set(found.id, members)
          }
        }
      }

      const filter = (
        all: ReadonlyArray<LoadedUnit>,
        status: ValidationStatus | undefined,
        topPath: string | undefined,
        typeIds: ReadonlyArray<OrgUnitTypeId> | undefined,
        groupId: string | undefined
      ): Pyramid => {
        const types = typeIds === undefined || typeIds.length === 0 ? undefined : new Set<string>(typeIds)
        const members = groupId === undefined ? undefined : (membersOf.get(groupId) ?? new Set<string>())
        const kept = all
          .filter(
            (unit) =>
              (status === undefined || unit.validationStatus === status) &&
              (topPath === undefined || unit.path.startsWith(topPath)) &&
              (types === undefined || (unit.orgUnitTypeId !== undefined && types.has(unit.orgUnitTypeId))) &&
              (members === undefined || members.has(unit.id))
          )
          .sort((a, b) => compareCodePoints(a.id, b.id))
        return { byId: new Map(all.map((unit) => [unit.id as string, unit])), kept }
      }
      const compared = filter(units, input.validationStatus, top?.path, input.orgUnitTypeIds, group?.id)
      const referenced = filter(referenceUnits, input.referenceValidationStatus, referenceTop?.path, input.referenceOrgUnitTypeIds, referenceGroup?.id)

      // The compared fields: the requested ones, then one per group (with a sourceRef) of either
      // version holding a compared unit, in sourceRef order; the oldest group names the field.
      const fieldNames: Array<string> = requested.filter((field) => field !== "groups")
      if (withGroups) {
        const comparedIds = new Set<string>([...compared.kept.map((u) => u.id), ...referenced.kept.map((u) => u.id)])
        const byRef = new Map<string, Group>()
        for (const [unitId, list] of groupsOfUnit) {
          if (!comparedIds.has(unitId)) continue
          for (const g of list) {
            if (g.sourceRef === undefined) continue
            const known = byRef.get(g.sourceRef)
            if (known === undefined || compareCodePoints(g.id, known.id) < 0) byRef.set(g.sourceRef, g)
          }
        }
        for (const ref of [...byRef.keys()].sort(compareCodePoints)) fieldNames.push(`group:${ref}:${byRef.get(ref)?.name ?? ""}`)
      }
      const parentRef = (pyramid: Pyramid) => (unit: LoadedUnit | undefined): DiffValue => {
        if (unit?.parentId === undefined) return null
        return pyramid.byId.get(unit.parentId)?.sourceRef ?? null
      }
      const kindsFor = (pyramid: Pyramid): ReadonlyArray<FieldKind> =>
        fieldNames.map((field): FieldKind => {
          switch (field) {
            case "name":
              return { field, read: (unit) => (unit === undefined ? null : unit.name), same: sameText }
            case "code":
              return { field, read: (unit) => (unit === undefined ? null : (unit.code ?? "")), same: sameText }
            case "parent":
              return { field, read: parentRef(pyramid), same: sameScalar }
            case "opening_date":
              return { field, read: (unit) => unit?.openingDate ?? null, same: sameScalar }
            case "closed_date":
              return { field, read: (unit) => unit?.closedDate ?? null, same: sameScalar }
            case "geometry":
              return { field, read: (unit) => unit?.location ?? unit?.geom ?? unit?.simplifiedGeom ?? null, same: sameGeometry }
            default: {
              const ref = field.split(":")[1] ?? ""
              return {
                field,
                read: (unit) =>
                  unit === undefined
                    ? null
                    : (groupsOfUnit.get(unit.id) ?? []).filter((g) => g.sourceRef === ref).map((g) => ({ id: ref, name: g.name, groupId: g.id })),
                same: sameGroups
              }
            }
          }
        })
      const comparedKinds = kindsFor(compared)
      const referenceKinds = kindsFor(referenced)

      const typeIds = [...new Set([...compared.kept, ...referenced.kept].flatMap((unit) => (unit.orgUnitTypeId === undefined ? [] : [unit.orgUnitTypeId])))]
      const typeNames = new Map<string, string>()
      for (const chunk of chunks(typeIds, CHUNK)) for (const type of yield* repos.getMany(OrgUnitTypeModel, accountId, chunk)) typeNames.set(type.id, type.name)
      const describe = (pyramid: Pyramid, unit: LoadedUnit): DiffedOrgUnit => {
        const typeName = unit.orgUnitTypeId === undefined ? undefined : typeNames.get(unit.orgUnitTypeId)
        return {
          id: unit.id,
          name: unit.name,
          ...(unit.sourceRef === undefined ? {} : { sourceRef: unit.sourceRef }),
          ...(unit.orgUnitTypeId === undefined ? {} : { orgUnitTypeId: unit.orgUnitTypeId }),
          ...(typeName === undefined ? {} : { typeName }),
          ancestorNames: ancestorNames(pyramid, unit)
        }
      }

      // Pairs by sourceRef (the first compared unit with a ref wins); units without one never pair.
      const comparedByRef = new Map<string, LoadedUnit>()
      for (const unit of compared.kept) if (unit.sourceRef !== undefined && !comparedByRef.has(unit.sourceRef)) comparedByRef.set(unit.sourceRef, unit)
      const diffs: Array<OrgUnitDiff> = []
      for (const after of referenced.kept) {
        const before = after.sourceRef === undefined ? undefined : comparedByRef.get(after.sourceRef)
        const comparisons = fieldNames.map((field, index): FieldComparison => {
          const beforeValue = comparedKinds[index]?.read(before) ?? null
          const afterValue = referenceKinds[index]?.read(after) ?? null
          const same = referenceKinds[index]?.same(beforeValue, afterValue) ?? true
          let status: FieldDiffStatus = same ? "same" : "modified"
          if (!truthy(beforeValue) && truthy(afterValue)) status = "new"
          if (!same && beforeValue !== null && (afterValue === null || (isGroupList(afterValue) && afterValue.length === 0))) status = "not in origin - ignored"
          const distance =
            field !== "geometry" ? undefined : same ? 0 : isGeometry(beforeValue) && isGeometry(afterValue) ? centroidDistanceKm(beforeValue, afterValue) : undefined
          return { field, status, before: beforeValue, after: afterValue, ...(distance === undefined ? {} : { distanceKm: distance }) }
        })
        const status: OrgUnitDiffStatus = before === undefined ? "new" : comparisons.every((c) => c.status === "same") ? "same" : "modified"
        if (!statuses.has(status)) continue
        diffs.push({ status, ...(before === undefined ? {} : { before: describe(compared, before) }), after: describe(referenced, after), comparisons })
      }
      if (statuses.has("not in origin - ignored")) {
        const referenceRefs = new Set(referenced.kept.flatMap((unit) => (unit.sourceRef === undefined ? [] : [unit.sourceRef])))
        for (const before of compared.kept) {
          if (before.sourceRef !== undefined && (referenceRefs.has(before.sourceRef) || comparedByRef.get(before.sourceRef) !== before)) continue
          const comparisons = fieldNames.map(
            (field, index): FieldComparison => ({ field, status: "not in origin - ignored", before: comparedKinds[index]?.read(before) ?? null, after: null })
          )
          diffs.push({ status: "not in origin - ignored", before: describe(compared, before), comparisons })
        }
      }
      return { fields: fieldNames, diffs }
    })
}
