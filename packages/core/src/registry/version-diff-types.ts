/**
 * What a diff of two versions takes and answers (see the module documentation of
 * `versions-service.ts`).
 * @module
 */
import type { MultiPolygon, Point } from "geojson"
import type { GroupId, OrgUnitId, OrgUnitTypeId, SourceVersionId } from "../shared/entity-ids.ts"
import type { ValidationStatus } from "./validation-status.ts"

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
