/**
 * The DHIS2 export pipeline: an {@link ExportRequest} gathers the submissions a user (or an
 * automatic trigger) asked to push to DHIS2; it holds one {@link ExportStatus} per (submission,
 * mapping version) to send, and each status keeps the {@link ExportLog}s of the HTTP exchanges
 * (what was sent, what DHIS2 answered) that concerned it.
 * @module
 */
import { Schema } from "effect"
import { ExportLogId, ExportRequestId, ExportStatusId, InstanceId, MappingVersionId, UserId } from "../shared/entity-ids.ts"
import { Json } from "../shared/json.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { Text } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"

/** Statuses shared by export requests and export statuses, IASO's exact codes (`SUCCESS` is used by tasks, not exports). */
export const EXPORT_STATUS_TYPES = ["QUEUED", "RUNNING", "EXPORTED", "ERRORED", "SKIPPED", "KILLED", "SUCCESS"] as const
/** An export status code. */
export const ExportStatusType = Schema.Literals(EXPORT_STATUS_TYPES)
export type ExportStatusType = typeof ExportStatusType.Type

/** Statuses of an export still in progress: its submissions may not join another export. */
export const ALIVE_EXPORT_STATUSES: ReadonlyArray<ExportStatusType> = ["QUEUED", "RUNNING"]

/** A count of submissions (a non-negative int32). */
const Count = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2147483647 }))

/** Anyone of the account may see exports; launching one takes the submissions permission. */
const exportAccess = { read: [], write: ["iaso_submissions"] }

/** The ExportRequest model declaration. */
export const ExportRequestModel = defineModel({
  name: "ExportRequest",
  id: ExportRequestId,
  scope: "account",
  fields: {
    /** `{ filters: {...submission filters}, force_export: boolean }`. */
    params: Schema.optionalKey(Json),
    /** Who asked; absent for an automatic export. */
    launcherId: Schema.optionalKey(UserId),
    /** Never written by IASO's exporter. */
    result: Schema.optionalKey(Json),
    finished: Schema.Boolean,
    status: ExportStatusType,
    instanceCount: Count,
    exportedCount: Count,
    erroredCount: Count,
    /** `""` when there was no error. */
    lastErrorMessage: Text,
    continueOnError: Schema.Boolean,
    /** When it was asked for. */
    queuedAt: Instant,
    startedAt: Schema.optionalKey(Instant),
    endedAt: Schema.optionalKey(Instant)
  },
  indexes: [
    { name: "export_request_status_queued_at", fields: ["accountId", "status", "queuedAt"] },
    { name: "export_request_launcher", fields: ["launcherId"] }
  ],
  references: [{ field: "launcherId", target: "User", onDelete: "setNull" }],
  access: exportAccess,
  managedBy: "Exports"
})
/** An export request record. */
export const ExportRequest = ExportRequestModel.schema
export type ExportRequest = typeof ExportRequest.Type

/** The ExportStatus model declaration: one submission sent with one mapping version within a request. */
export const ExportStatusModel = defineModel({
  name: "ExportStatus",
  id: ExportStatusId,
  scope: "account",
  fields: {
    exportRequestId: ExportRequestId,
    instanceId: InstanceId,
    mappingVersionId: MappingVersionId,
    status: ExportStatusType,
    lastErrorMessage: Schema.optionalKey(Text)
  },
  indexes: [
    { name: "export_status_request_status", fields: ["exportRequestId", "status"] },
    { name: "export_status_instance", fields: ["instanceId"] },
    { name: "export_status_mapping_version", fields: ["mappingVersionId"] }
  ],
  references: [
    { field: "exportRequestId", target: "ExportRequest", onDelete: "cascade" },
    { field: "instanceId", target: "Instance", onDelete: "cascade" },
    { field: "mappingVersionId", target: "MappingVersion", onDelete: "cascade" }
  ],
  access: exportAccess,
  rowScope: { kind: "parent", field: "instanceId", target: "Instance" },
  managedBy: "Exports"
})
/** An export status record. */
export const ExportStatus = ExportStatusModel.schema
export type ExportStatus = typeof ExportStatus.Type

/** The ExportLog model declaration: one HTTP exchange with DHIS2. */
export const ExportLogModel = defineModel({
  name: "ExportLog",
  id: ExportLogId,
  scope: "account",
  fields: {
    /** The payload sent. */
    sent: Schema.optionalKey(Json),
    /** DHIS2's answer (its JSON body). */
    received: Schema.optionalKey(Json),
    /** IASO's error path leaves it unset. */
    httpStatus: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: -2147483648, maximum: 2147483647 }))),
    url: Schema.optionalKey(Text)
  },
  access: exportAccess,
  managedBy: "Exports"
})
/** An export log record. */
export const ExportLog = ExportLogModel.schema
export type ExportLog = typeof ExportLog.Type

/**
 * Link record: an HTTP exchange that concerned an export status (`ExportStatus.export_logs`),
 * written by `Exports.run` only.
 */
export const ExportStatusExportLogModel = defineLink({
  name: "ExportStatusExportLog",
  left: { field: "exportStatusId", target: "ExportStatus", id: ExportStatusId },
  right: { field: "exportLogId", target: "ExportLog", id: ExportLogId },
  access: exportAccess,
  managedBy: "Exports"
})
/** An export-status-export-log link record. */
export const ExportStatusExportLog = ExportStatusExportLogModel.schema
export type ExportStatusExportLog = typeof ExportStatusExportLog.Type
