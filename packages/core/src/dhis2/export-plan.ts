/**
 * Planning an export request: which submissions may be sent (IASO's eligibility: not duplicated,
 * not deleted, with a file, not from a test device, not already exported unless forced, not in an
 * export still in progress, and, unlike IASO, under the launcher's org-unit roots), and the
 * (submission, mapping version) pairs that become the request's export statuses. Refusals are
 * typed errors named and worded as IASO's (`NothingToExportError`, `NoVersionError`,
 * `NoFormMappingError`, `NotSupportedError`).
 * @module
 */
import { Result, Schema } from "effect"
import type { JsonObject } from "../shared/json.ts"
import type { MappingType } from "../forms/mapping.ts"

/** No submission is left to export once the eligibility rules are applied. */
export class NothingToExportError extends Schema.TaggedError<NothingToExportError>()("NothingToExportError", {
  message: Schema.String
}) {}

/** A submission's answers name no form version (`_version` or `version`). */
export class NoVersionError extends Schema.TaggedError<NoVersionError>()("NoVersionError", {
  message: Schema.String
}) {}

/** No mapping (other than DERIVED) has a version for the submission's form version. */
export class NoFormMappingError extends Schema.TaggedError<NoFormMappingError>()("NoFormMappingError", {
  message: Schema.String
}) {}

/** The export asked for is not supported (forcing the export of a tracker mapping). */
export class NotSupportedError extends Schema.TaggedError<NotSupportedError>()("NotSupportedError", {
  message: Schema.String
}) {}

/** A planning refusal. */
export type ExportPlanError = NothingToExportError | NoVersionError | NoFormMappingError | NotSupportedError

/** Why a submission is left out of an export. */
export type ExportExclusion = "duplicated" | "deleted" | "no file" | "test device" | "already exported" | "in flight" | "outside roots"

/** What the eligibility rules read of a candidate submission. */
export interface ExportCandidate {
  /** The submission's id. */
  readonly id: string
  /** Its computed status (`READY`, `DUPLICATED`, `EXPORTED`). */
  readonly status: string
  /** Soft-deleted. */
  readonly deleted: boolean
  /** Whether its XML file is stored. */
  readonly hasFile: boolean
  /** Sent by a device flagged as a test device. */
  readonly testDevice: boolean
  /** Exported successfully before. */
  readonly exported: boolean
  /** Referenced by an export status of a QUEUED or RUNNING request. */
  readonly inFlight: boolean
  /** Its org unit lies under the launcher's org-unit roots (always true for an unrestricted launcher). */
  readonly underRoots: boolean
}

/** The first rule that leaves a submission out of an export, or `undefined` when it may be sent. */
export const exportExclusion = (candidate: ExportCandidate, forceExport: boolean): ExportExclusion | undefined => {
  if (candidate.status === "DUPLICATED") return "duplicated"
  if (candidate.deleted) return "deleted"
  if (!candidate.hasFile) return "no file"
  if (candidate.testDevice) return "test device"
  if (candidate.exported && !forceExport) return "already exported"
  if (candidate.inFlight) return "in flight"
  if (!candidate.underRoots) return "outside roots"
  return undefined
}

/** A submission to pair with mapping versions: its answers and its form's name (for messages). */
export interface PlannedSubmission {
  /** The submission's id. */
  readonly id: string
  /** Its answers; `_version` (or `version`) names its form version. */
  readonly json: JsonObject
  /** Its form's id. */
  readonly formId: string
  /** Its form's name. */
  readonly formName: string
}

/** A mapping version the submissions may be sent with. */
export interface PlannedMappingVersion {
  /** The mapping version's id. */
  readonly id: string
  /** Its mapping's form. */
  readonly formId: string
  /** Its mapping's type. */
  readonly mappingType: MappingType
  /** The `versionId` of its form version. */
  readonly formVersionVersionId: string
}

/** One export status to create: a submission sent with a mapping version. */
export interface PlannedStatus {
  readonly instanceId: string
  readonly mappingVersionId: string
}

/** The form version a submission's answers name: `_version`, else `version`. */
export const submissionVersion = (json: JsonObject): string | undefined => {
  const version = json["_version"] ?? json["version"]
  if (version === undefined || version === null || version === "") return undefined
  return typeof version === "string" ? version : JSON.stringify(version)
}

/**
 * The export statuses of a request: for each eligible submission (in order), one per mapping
 * version of its form (DERIVED mappings excluded) whose form version is the one its answers name.
 * `params` is what the request was asked with, quoted in `no instance to export for <params>`.
 */
export const planExportStatuses = (
  submissions: ReadonlyArray<PlannedSubmission>,
  mappingVersions: ReadonlyArray<PlannedMappingVersion>,
  options: { readonly forceExport: boolean; readonly params: unknown }
): Result.Result<ReadonlyArray<PlannedStatus>, ExportPlanError> => {
  if (submissions.length === 0) {
    return Result.fail(new NothingToExportError({ message: `no instance to export for ${JSON.stringify(options.params)}` }))
  }
  const statuses: Array<PlannedStatus> = []
  for (const submission of submissions) {
    const version = submissionVersion(submission.json)
    if (version === undefined) {
      return Result.fail(
        new NoVersionError({
          message: `No version specified (_version or version) in instance json : ${submission.id} ${JSON.stringify(submission.json)}`
        })
      )
    }
    const matching = mappingVersions.filter(
      (mappingVersion) =>
        mappingVersion.formId === submission.formId && mappingVersion.mappingType !== "DERIVED" && mappingVersion.formVersionVersionId === version
    )
    if (matching.length === 0) {
      return Result.fail(new NoFormMappingError({ message: `No form mapping version for the form version '${submission.formName}' for version '${version}'` }))
    }
    for (const mappingVersion of matching) {
      if (mappingVersion.mappingType === "EVENT_TRACKER" && options.forceExport) {
        return Result.fail(new NotSupportedError({ message: "forcing the export of an EVENT_TRACKER mapping is not supported" }))
      }
      statuses.push({ instanceId: submission.id, mappingVersionId: mappingVersion.id })
    }
  }
  return Result.succeed(statuses)
}

/** How long a request may stay QUEUED before a new request marks it KILLED (IASO: 60 seconds). */
export const STALE_QUEUED_EXPORT_MS = 60_000

/** Whether a QUEUED request, asked for at `queuedAt`, is stale at `now` (then KILLED with `Timeout`, its QUEUED statuses SKIPPED). */
export const isStaleQueuedExport = (queuedAt: Date, now: Date): boolean => now.getTime() - queuedAt.getTime() > STALE_QUEUED_EXPORT_MS

/** The counters of a running export request. */
export interface ExportCounters {
  /** Export statuses sent successfully. */
  readonly exportedCount: number
  /** Export statuses of pages DHIS2 refused (or that could not be mapped). */
  readonly erroredCount: number
}

/**
 * The counters after a page of `size` export statuses: each one counts once, as exported when the
 * page went through, as errored when it did not (IASO counts a failing page's size once per
 * status, plus one).
 */
export const tallyPage = (counters: ExportCounters, size: number, succeeded: boolean): ExportCounters =>
  succeeded
    ? { exportedCount: counters.exportedCount + size, erroredCount: counters.erroredCount }
    : { exportedCount: counters.exportedCount, erroredCount: counters.erroredCount + size }

/** A finished request's status: `EXPORTED` when nothing errored, else `ERRORED`. */
export const finalExportStatus = (counters: ExportCounters): "EXPORTED" | "ERRORED" => (counters.erroredCount === 0 ? "EXPORTED" : "ERRORED")
