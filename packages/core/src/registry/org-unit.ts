/**
 * OrgUnit: a node of a version's pyramid (country > region > district > facility), with its
 * materialised path (`a/b/c/`: ancestors' ids and its own, root first, a `/` after each), depth,
 * geometry and the storage-enforced rule that a code is unique per version among VALID units.
 * Writes go through the `OrgUnits` service, which maintains paths.
 * @module
 */
import type { MultiPolygon, Point } from "geojson"
import { Schema } from "effect"
import { OrgUnitId, OrgUnitTypeId, SourceVersionId, UserId } from "../shared/entity-ids.ts"
import { boundingBox, GeoMultiPolygon, GeoPoint } from "../shared/geometry.ts"
import { JsonObject } from "../shared/json.ts"
import { defineModel, type Row } from "../shared/model.ts"
import { foldKey, NonBlankTextMax, Text, TextMax } from "../shared/text.ts"
import { DateOnly, Instant } from "../shared/time.ts"
import { ORG_UNIT_READ } from "../tenancy/permissions.ts"
import { ValidationStatus } from "./validation-status.ts"

export { ValidationStatus, VALIDATION_STATUSES } from "./validation-status.ts"

/** The separator written after every id of a materialised path. */
export const PATH_SEPARATOR = "/"

/** The materialised path: ids root first, each followed by `/`. */
export const OrgUnitPath = Schema.String.check(Schema.isPattern(/^([0-9A-Za-z-]+\/)+$/, { message: "Expected a materialised path: ids each followed by /" }))

/** The last box made, with the row and geometry it was made of: a row's four box columns ask for it in turn. */
let last: { readonly row: Row; readonly geometry: MultiPolygon | Point; readonly box: readonly [number, number, number, number] } | undefined

const box = (row: Row): readonly [number, number, number, number] | undefined => {
  const geom = row["geom"] as MultiPolygon | undefined | null
  const geometry = geom !== undefined && geom !== null ? geom : ((row["location"] as Point | undefined | null) ?? undefined)
  if (geometry === undefined) return undefined
  if (last !== undefined && last.row === row && last.geometry === geometry) return last.box
  const made = boundingBox(geometry)
  last = { row, geometry, box: made }
  return made
}

/** The OrgUnit model declaration. */
export const OrgUnitModel = defineModel({
  name: "OrgUnit",
  id: OrgUnitId,
  scope: "account",
  fields: {
    name: NonBlankTextMax(255),
    /** Id given by the mobile app that created the unit (not unique). */
    uuid: Schema.optionalKey(Text),
    /** Created from the mobile app. */
    custom: Schema.Boolean,
    validationStatus: ValidationStatus,
    versionId: SourceVersionId,
    parentId: Schema.optionalKey(OrgUnitId),
    /** Computed by `OrgUnits`: the ancestors' ids and its own, root first. */
    path: OrgUnitPath,
    /** Computed: number of ids in the path (a root has depth 1). */
    depth: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
    aliases: Schema.optionalKey(Schema.Array(TextMax(255))),
    orgUnitTypeId: Schema.optionalKey(OrgUnitTypeId),
    /** DHIS2 import puts the source name here. */
    subSource: Schema.optionalKey(Text),
    /** External id (DHIS2 uid, GeoPackage ref): the matching key across versions. */
    sourceRef: Schema.optionalKey(Text),
    geom: Schema.optionalKey(GeoMultiPolygon),
    /** Computed from `geom` (tolerance 0.1% of the larger bounding-box side) unless given. */
    simplifiedGeom: Schema.optionalKey(GeoMultiPolygon),
    catchment: Schema.optionalKey(GeoMultiPolygon),
    geomRef: Schema.optionalKey(Schema.Int),
    gpsSource: Schema.optionalKey(Text),
    /** (lon, lat[, alt]). */
    location: Schema.optionalKey(GeoPoint),
    /** Creation time on the device. */
    sourceCreatedAt: Schema.optionalKey(Instant),
    creatorId: Schema.optionalKey(UserId),
    extraFields: JsonObject,
    openingDate: Schema.optionalKey(DateOnly),
    closedDate: Schema.optionalKey(DateOnly),
    /** DHIS2 code; "" when none. Unique per version among VALID units when not blank. */
    code: Text
  },
  derived: [
    { name: "nameKey", kind: "text", compute: (row) => foldKey(String(row["name"] ?? "")) },
    { name: "bboxWest", kind: "real", compute: (row) => box(row)?.[0] ?? null },
    { name: "bboxSouth", kind: "real", compute: (row) => box(row)?.[1] ?? null },
    { name: "bboxEast", kind: "real", compute: (row) => box(row)?.[2] ?? null },
    { name: "bboxNorth", kind: "real", compute: (row) => box(row)?.[3] ?? null }
  ],
  hierarchy: { path: "path", depth: "depth", parent: "parentId" },
  indexes: [
    { name: "org_unit_parent", fields: ["parentId"] },
    { name: "org_unit_version_type", fields: ["versionId", "orgUnitTypeId"] },
    { name: "org_unit_version_source_ref", fields: ["versionId", "sourceRef"] },
    { name: "org_unit_name_key", fields: ["accountId", "nameKey"] },
    { name: "org_unit_bbox", fields: ["bboxWest", "bboxSouth"] },
    {
      name: "org_unit_code_per_version_valid_unique",
      fields: ["accountId", "versionId", "code"],
      unique: true,
      where: [
        { field: "code", op: "ne", value: "" },
        { field: "validationStatus", op: "eq", value: "VALID" }
      ]
    },
    // Subtree listings (ids and names of a district's descendants) are answered from the index alone.
    { name: "org_unit_path_covering", fields: ["path"], include: ["accountId", "id", "name"] }
  ],
  references: [
    { field: "versionId", target: "SourceVersion", onDelete: "cascade" },
    { field: "parentId", target: "OrgUnit", onDelete: "cascade" },
    { field: "orgUnitTypeId", target: "OrgUnitType", onDelete: "cascade" },
    { field: "creatorId", target: "User", onDelete: "setNull" }
  ],
  access: { read: ORG_UNIT_READ, write: ["iaso_org_units"] },
  computed: ["path", "depth"],
  immutable: ["versionId"],
  rowScope: { kind: "tree" },
  managedBy: "OrgUnits"
})
export const OrgUnit = OrgUnitModel.schema
export type OrgUnit = typeof OrgUnit.Type
