/**
 * Submissions (IASO's `Instance`): one filled form, sent by a device (its XML file plus the
 * answers flattened to JSON) or entered on the web, for an org unit, a period, a project and
 * possibly an entity or a planning. A device-made `uuid` identifies a submission within the
 * account, so re-sending it is recognised. Submissions are deleted softly (`deleted`); their
 * attachments ({@link InstanceFile}) too. A lock ({@link InstanceLock}) taken from an org unit
 * keeps users below it from changing the submission until it is released.
 * @module
 */
import { Schema } from "effect"
import { BlobRef } from "../shared/blob.ts"
import { decimalOf } from "../shared/decimal.ts"
import {
  DeviceId,
  EntityId,
  FormId,
  FormVersionId,
  InstanceFileId,
  InstanceId,
  InstanceLockId,
  OrgUnitId,
  PlanningId,
  ProjectId,
  UserId
} from "../shared/entity-ids.ts"
import { GeoPoint } from "../shared/geometry.ts"
import { JsonObject } from "../shared/json.ts"
import { defineModel } from "../shared/model.ts"
import { Text } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"
import type { Permission } from "../tenancy/permissions.ts"

/** Permissions that let an actor read and change submissions, their files and locks (any one of them). */
export const SUBMISSION_PERMISSIONS: ReadonlyArray<Permission> = ["iaso_forms", "iaso_submissions", "iaso_registry_write", "iaso_registry_read"]

const submissionAccess = { read: SUBMISSION_PERMISSIONS, write: SUBMISSION_PERMISSIONS }

/**
 * A validation workflow's verdict on a submission: IASO's exact codes, `""` when no workflow has
 * judged it.
 */
export const GENERAL_VALIDATION_STATUSES = ["", "APPROVED", "REJECTED", "PENDING"] as const
/** A submission's general validation status. */
export const GeneralValidationStatus = Schema.Literals(GENERAL_VALIDATION_STATUSES)
export type GeneralValidationStatus = typeof GeneralValidationStatus.Type

/**
 * A submission's computed status (never stored): `DUPLICATED` when its form is single-per-period and
 * another submission has the same form, org unit and period; else `EXPORTED` once exported to
 * DHIS2; else `READY`.
 */
export const INSTANCE_STATUSES = ["READY", "DUPLICATED", "EXPORTED"] as const
/** A submission's computed status. */
export const InstanceStatus = Schema.Literals(INSTANCE_STATUSES)
export type InstanceStatus = typeof InstanceStatus.Type

const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

/**
 * A 64-bit integer written in decimal digits (IASO `BigIntegerField`), canonical: no leading zeros,
 * no `+`, no `-0`. A string because a JS number loses digits beyond 2^53.
 */
export const BigIntDigits = Schema.String.check(
  Schema.isPattern(/^(0|-?[1-9]\d{0,18})$/, { message: "Expected an integer written in digits (no leading zeros, at most 19 digits)" }),
  Schema.makeFilter((text: string) => {
    const value = BigInt(text)
    return (value >= INT64_MIN && value <= INT64_MAX) || "Expected an integer within the 64-bit range"
  })
)

/** A DHIS2-style uid: a letter then 10 letters or digits (IASO generates one as a submission's export id). */
export const Dhis2Uid = Schema.String.check(
  Schema.isPattern(/^[A-Za-z][A-Za-z0-9]{10}$/, { message: "Expected a DHIS2 uid: a letter then 10 letters or digits" })
)

/**
 * A submission's location accuracy in metres, `decimal(7, 2)`, never negative (IASO rounds half-up to
 * 2 places and caps at 99999: see `accuracyOf`).
 */
export const InstanceAccuracy = decimalOf(7, 2).check(Schema.makeFilter((text: string) => !text.startsWith("-") || "Expected a non-negative accuracy"))

/** The Instance (submission) model declaration. */
export const InstanceModel = defineModel({
  name: "Instance",
  id: InstanceId,
  scope: "account",
  fields: {
    /** Made by the device (the mobile `id`); unique in the account, so a re-sent submission is recognised. */
    uuid: Schema.optionalKey(Text),
    /** The event id used when exporting to DHIS2 (generated when the submission is created). */
    exportId: Schema.optionalKey(Dhis2Uid),
    /** Digits with a mod-97 check suffix, made from a per-account sequence. */
    correlationId: Schema.optionalKey(BigIntDigits),
    /** Usually the form name sent by the device. */
    name: Schema.optionalKey(Text),
    /** The submission XML. */
    file: Schema.optionalKey(BlobRef),
    /** Base name of the file on the device: joins the two upload steps. */
    fileName: Schema.optionalKey(Text),
    /** The answers, flattened from the XML. */
    json: Schema.optionalKey(JsonObject),
    formId: Schema.optionalKey(FormId),
    /** Resolved from the answers' `_version` when the form has that version. */
    formVersionId: Schema.optionalKey(FormVersionId),
    projectId: Schema.optionalKey(ProjectId),
    orgUnitId: Schema.optionalKey(OrgUnitId),
    /** (lon, lat, alt): IASO stores a 3D point, altitude 0 when unknown. */
    location: Schema.optionalKey(GeoPoint),
    accuracy: Schema.optionalKey(InstanceAccuracy),
    /** The device that sent it (from the form's device field). */
    deviceId: Schema.optionalKey(DeviceId),
    /** Stored as sent: no format check at ingestion. */
    period: Schema.optionalKey(Text),
    /** The entity (beneficiary...) the submission is about. */
    entityId: Schema.optionalKey(EntityId),
    planningId: Schema.optionalKey(PlanningId),
    /** Creation time on the device. */
    sourceCreatedAt: Schema.optionalKey(Instant),
    /** Last update time on the device. */
    sourceUpdatedAt: Schema.optionalKey(Instant),
    createdById: Schema.optionalKey(UserId),
    lastModifiedById: Schema.optionalKey(UserId),
    /** Set by the DHIS2 exporter. */
    lastExportSuccessAt: Schema.optionalKey(Instant),
    /** Soft deletion. */
    deleted: Schema.Boolean,
    /** Export to DHIS2 right after an Enketo edit. */
    toExport: Schema.Boolean,
    generalValidationStatus: GeneralValidationStatus,
    /**
     * The submission's current ODK instance id (`meta/instanceID` without `uuid:`): the `uuid` at
     * first, then the id of the latest edit (an edit names the id it replaces in `meta/deprecatedID`).
     * Not in IASO, which keeps it only inside `json.instanceID`.
     */
    currentUuid: Schema.optionalKey(Text),
    /**
     * Set (`true`) when the period was outside the form's allowed window on the day the device
     * created the submission: it is stored anyway, and flagged. Absent when inside or not judged.
     */
    periodOutsideWindow: Schema.optionalKey(Schema.Boolean)
  },
  indexes: [
    { name: "instance_uuid_unique", fields: ["accountId", "uuid"], unique: true },
    { name: "instance_file_name", fields: ["accountId", "fileName"] },
    { name: "instance_form_period_org_unit", fields: ["formId", "period", "orgUnitId"] },
    { name: "instance_org_unit_form", fields: ["orgUnitId", "formId"] },
    { name: "instance_period", fields: ["accountId", "period"] },
    { name: "instance_project", fields: ["projectId"] },
    { name: "instance_form_version", fields: ["formVersionId"] },
    { name: "instance_entity", fields: ["entityId"] },
    { name: "instance_planning", fields: ["planningId"] },
    { name: "instance_device", fields: ["deviceId"] },
    { name: "instance_created_by", fields: ["createdById"] },
    { name: "instance_created_at", fields: ["accountId", "createdAt"] },
    { name: "instance_updated_at", fields: ["accountId", "updatedAt"] },
    { name: "instance_source_created_at", fields: ["accountId", "sourceCreatedAt"] },
    { name: "instance_source_updated_at", fields: ["accountId", "sourceUpdatedAt"] },
    { name: "instance_current_uuid_unique", fields: ["accountId", "currentUuid"], unique: true }
  ],
  references: [
    { field: "formId", target: "Form", onDelete: "restrict" },
    { field: "formVersionId", target: "FormVersion", onDelete: "restrict" },
    { field: "projectId", target: "Project", onDelete: "restrict" },
    { field: "orgUnitId", target: "OrgUnit", onDelete: "restrict" },
    { field: "deviceId", target: "Device", onDelete: "restrict" },
    { field: "entityId", target: "Entity", onDelete: "restrict" },
    { field: "planningId", target: "Planning", onDelete: "setNull" },
    { field: "createdById", target: "User", onDelete: "restrict" },
    { field: "lastModifiedById", target: "User", onDelete: "restrict" }
  ],
  access: submissionAccess,
  rowScope: { kind: "orgUnit", fields: ["orgUnitId"] },
  managedBy: "Instances"
})
/** A submission record. */
export const Instance = InstanceModel.schema
export type Instance = typeof Instance.Type

/** The InstanceFile model declaration: a file attached to a submission (photo, document...). */
export const InstanceFileModel = defineModel({
  name: "InstanceFile",
  id: InstanceFileId,
  scope: "account",
  fields: {
    instanceId: Schema.optionalKey(InstanceId),
    /** The upload's field name (two-step upload, Enketo) or the file name (bulk zip). */
    name: Schema.optionalKey(Text),
    file: Schema.optionalKey(BlobRef),
    /** Soft deletion. */
    deleted: Schema.Boolean
  },
  indexes: [{ name: "instance_file_instance", fields: ["instanceId"] }],
  references: [{ field: "instanceId", target: "Instance", onDelete: "restrict" }],
  access: submissionAccess,
  rowScope: { kind: "parent", field: "instanceId", target: "Instance" },
  managedBy: "Instances"
})
/** A submission attachment record. */
export const InstanceFile = InstanceFileModel.schema
export type InstanceFile = typeof InstanceFile.Type

/** The InstanceLock model declaration. A lock is active while `unlockedById` is absent. */
export const InstanceLockModel = defineModel({
  name: "InstanceLock",
  id: InstanceLockId,
  scope: "account",
  fields: {
    instanceId: InstanceId,
    lockedAt: Instant,
    lockedById: UserId,
    unlockedAt: Schema.optionalKey(Instant),
    unlockedById: Schema.optionalKey(UserId),
    /** Users who cannot reach this org unit cannot change the submission while the lock is active. */
    topOrgUnitId: OrgUnitId
  },
  indexes: [
    { name: "instance_lock_instance", fields: ["instanceId", "lockedAt"] },
    { name: "instance_lock_top_org_unit", fields: ["topOrgUnitId"] }
  ],
  references: [
    { field: "instanceId", target: "Instance", onDelete: "cascade" },
    { field: "lockedById", target: "User", onDelete: "restrict" },
    { field: "unlockedById", target: "User", onDelete: "restrict" },
    { field: "topOrgUnitId", target: "OrgUnit", onDelete: "restrict" }
  ],
  access: submissionAccess,
  rowScope: { kind: "parent", field: "instanceId", target: "Instance" },
  managedBy: "Instances"
})
/** A submission lock record. */
export const InstanceLock = InstanceLockModel.schema
export type InstanceLock = typeof InstanceLock.Type
