/**
 * Org-unit change requests and reference instances.
 *
 * An `OrgUnitChangeRequest` is how a device (or a user) proposes a new org unit or an edit of one:
 * the proposed values sit in the `new*` fields, `requestedFields` names those the request carries,
 * and a reviewer approves a subset of them (`approvedFields`), which is then applied to the unit, or
 * rejects the request with a comment. The request's `uuid`, made by the device, makes creation
 * idempotent. A request on a `NEW` unit is of kind `org_unit_creation`, otherwise `org_unit_change`.
 *
 * An `OrgUnitReferenceInstance` names the submission that describes a unit for one form: at most one
 * per (unit, form), stored-enforced.
 *
 * Both are written by the `OrgUnitChangeRequests` service only and are row-scoped by their unit, so
 * generic reads keep to the actor's org-unit roots and generic writes are refused.
 * @module
 */
import { Schema } from "effect"
import { FormId, GroupId, InstanceId, OrgUnitId, OrgUnitTypeId, UserId } from "../shared/entity-ids.ts"
import { GeoMultiPolygon, GeoPoint } from "../shared/geometry.ts"
import { entityId, Uuid } from "../shared/ids.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax } from "../shared/text.ts"
import { DateOnly, Instant } from "../shared/time.ts"
import { ORG_UNIT_READ, type Permission } from "../tenancy/permissions.ts"

/** The id of an org-unit change request. */
export const OrgUnitChangeRequestId = entityId("OrgUnitChangeRequestId")
export type OrgUnitChangeRequestId = typeof OrgUnitChangeRequestId.Type

/** The id of an org-unit reference-instance link. */
export const OrgUnitReferenceInstanceId = entityId("OrgUnitReferenceInstanceId")
export type OrgUnitReferenceInstanceId = typeof OrgUnitReferenceInstanceId.Type

/** The permission that lets an actor approve or reject change requests (IASO's review permission). */
export const CHANGE_REQUEST_REVIEW: Permission = "iaso_org_units_change_request_review"

/** `org_unit_creation` when the request is about a `NEW` unit, else `org_unit_change`. */
export const ChangeRequestKind = Schema.Literals(["org_unit_creation", "org_unit_change"])
export type ChangeRequestKind = typeof ChangeRequestKind.Type

/** Where a request is in its review: `new` until approved or rejected. */
export const ChangeRequestStatus = Schema.Literals(["new", "rejected", "approved"])
export type ChangeRequestStatus = typeof ChangeRequestStatus.Type

/** The proposed fields of a change request, in the order they are applied. */
export const CHANGE_REQUEST_FIELDS = [
  "newParentId",
  "newName",
  "newOrgUnitTypeId",
  "newLocation",
  "newGeom",
  "newOpeningDate",
  "newClosedDate",
  "newGroupIds",
  "newReferenceInstanceIds"
] as const

/** The name of a proposed field. */
export const ChangeRequestField = Schema.Literals(CHANGE_REQUEST_FIELDS)
export type ChangeRequestField = typeof ChangeRequestField.Type

/** The OrgUnitChangeRequest model declaration. */
export const OrgUnitChangeRequestModel = defineModel({
  name: "OrgUnitChangeRequest",
  id: OrgUnitChangeRequestId,
  scope: "account",
  fields: {
    /** Made by the device: a request re-sent with the same uuid is recognised (unique in the account). */
    uuid: Uuid,
    /** The unit the request is about (for a creation request, the `NEW` unit the device created). */
    orgUnitId: OrgUnitId,
    kind: ChangeRequestKind,
    status: ChangeRequestStatus,
    newParentId: Schema.optionalKey(OrgUnitId),
    newName: Schema.optionalKey(NonBlankTextMax(255)),
    newOrgUnitTypeId: Schema.optionalKey(OrgUnitTypeId),
    /** (lon, lat[, alt]). */
    newLocation: Schema.optionalKey(GeoPoint),
    newGeom: Schema.optionalKey(GeoMultiPolygon),
    newOpeningDate: Schema.optionalKey(DateOnly),
    /** Later than `newOpeningDate` when both are given. */
    newClosedDate: Schema.optionalKey(DateOnly),
    /** The unit's groups once approved (they replace the current ones); sorted, without repeats. */
    newGroupIds: Schema.optionalKey(Schema.Array(GroupId)),
    /** Reference submissions, at most one per form (merged per form into the unit's); sorted. */
    newReferenceInstanceIds: Schema.optionalKey(Schema.Array(InstanceId)),
    /** The proposed fields the request carries. */
    requestedFields: Schema.Array(ChangeRequestField),
    /** The fields the reviewer applied (empty until approved). */
    approvedFields: Schema.Array(ChangeRequestField),
    createdById: Schema.optionalKey(UserId),
    reviewedById: Schema.optionalKey(UserId),
    reviewedAt: Schema.optionalKey(Instant),
    /** Why the request was rejected. */
    rejectionComment: Schema.optionalKey(NonBlankTextMax(3000))
  },
  indexes: [
    { name: "org_unit_change_request_uuid_unique", fields: ["accountId", "uuid"], unique: true },
    { name: "org_unit_change_request_org_unit", fields: ["orgUnitId"] },
    { name: "org_unit_change_request_status", fields: ["accountId", "status"] }
  ],
  references: [
    { field: "orgUnitId", target: "OrgUnit", onDelete: "cascade" },
    { field: "newParentId", target: "OrgUnit", onDelete: "setNull" },
    { field: "newOrgUnitTypeId", target: "OrgUnitType", onDelete: "setNull" },
    { field: "createdById", target: "User", onDelete: "setNull" },
    { field: "reviewedById", target: "User", onDelete: "setNull" }
  ],
  // IASO: any authenticated user reads and proposes; reviewing needs the review permission.
  access: { read: [], write: [CHANGE_REQUEST_REVIEW] },
  immutable: ["uuid", "orgUnitId", "kind"],
  rowScope: { kind: "orgUnit", fields: ["orgUnitId"] },
  managedBy: "OrgUnitChangeRequests"
})
export const OrgUnitChangeRequest = OrgUnitChangeRequestModel.schema
export type OrgUnitChangeRequest = typeof OrgUnitChangeRequest.Type

/** The OrgUnitReferenceInstance model declaration: the reference submission of a unit for a form. */
export const OrgUnitReferenceInstanceModel = defineModel({
  name: "OrgUnitReferenceInstance",
  id: OrgUnitReferenceInstanceId,
  scope: "account",
  fields: {
    orgUnitId: OrgUnitId,
    formId: FormId,
    instanceId: InstanceId
  },
  indexes: [
    { name: "org_unit_reference_instance_unit_form_unique", fields: ["accountId", "orgUnitId", "formId"], unique: true },
    { name: "org_unit_reference_instance_instance", fields: ["instanceId"] }
  ],
  references: [
    { field: "orgUnitId", target: "OrgUnit", onDelete: "cascade" },
    { field: "formId", target: "Form", onDelete: "cascade" },
    { field: "instanceId", target: "Instance", onDelete: "cascade" }
  ],
  access: { read: ORG_UNIT_READ, write: ["iaso_org_units"] },
  immutable: ["orgUnitId", "formId"],
  rowScope: { kind: "orgUnit", fields: ["orgUnitId"] },
  managedBy: "OrgUnitChangeRequests"
})
export const OrgUnitReferenceInstance = OrgUnitReferenceInstanceModel.schema
export type OrgUnitReferenceInstance = typeof OrgUnitReferenceInstance.Type
