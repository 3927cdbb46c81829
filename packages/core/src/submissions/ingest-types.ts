/**
 * What ingestion takes (an upload: the XML, its attachments and the metadata beside them) and
 * what it answers, with the names it records in the store.
 * @module
 */
import type { Instance, InstanceFile } from "./instance-model.ts"
import type { EntityTypeId, FormId, OrgUnitId, PlanningId, ProjectId } from "../shared/entity-ids.ts"
import type { Conflict, Forbidden, NotFound, StorageError, ValidationError } from "../shared/errors.ts"

/** Audit source of ingestion (IASO's source for the form upload). */
export const INGEST_SOURCE = "SYNC FORM UPLOAD"
/** The per-account counter behind correlation ids. */
export const CORRELATION_SEQUENCE = "instance.correlation"

/** A file uploaded with a submission. */
export interface SubmissionAttachment {
  /** The file's name as the submission refers to it (`1575292156137.jpg`); unique within one upload. */
  readonly name: string
  readonly bytes: Uint8Array
  /** e.g. `image/jpeg`. */
  readonly mediaType: string
}

/** A location sent beside the XML (IASO's mobile metadata), used when the form's location field gives none. */
export interface SubmissionLocation {
  readonly latitude: number
  readonly longitude: number
  /** Metres; 0 when absent (IASO stores a 3D point). */
  readonly altitude?: number
  /** Metres; rounded half-up to 2 places and capped at 99999 as IASO does. */
  readonly accuracy?: number | string
}

/** What a device uploads: the submission XML, its attachments and the metadata beside them. */
export interface SubmissionInput {
  /** The submission XML, as UTF-8 bytes or text. */
  readonly xml: string | Uint8Array
  readonly attachments?: ReadonlyArray<SubmissionAttachment>
  readonly formId: FormId
  /**
   * Where the data was collected; the actor must reach it. The id of an org unit of the account,
   * or (as the mobile app sends for units it created offline) the `uuid` of an org unit of the
   * account's default version; neither: `NotFound`.
   */
  readonly orgUnitId?: OrgUnitId | string
  /** A period of the form's period type (refused otherwise). */
  readonly period?: string
  /** The instance id when the XML has no `meta/instanceID` (it must agree with it otherwise). */
  readonly uuid?: string
  /**
   * When the device created the submission (IASO `source_created_at`): also the day the form's
   * allowed-period window is judged on (in UTC), never the server's clock.
   */
  readonly createdAt: Date
  /** When the device last changed it (IASO `source_updated_at`). */
  readonly updatedAt?: Date
  /** The sending device; by default its IMEI is the answer of the form's device field (`deviceid`). */
  readonly device?: { readonly imei: string }
  /** The project (mobile app) the submission was made in. */
  readonly projectId?: ProjectId
  /** The XML's file name on the device (IASO `file_name`). */
  readonly fileName?: string
  /** A name for the submission; the form's name by default. */
  readonly name?: string
  readonly location?: SubmissionLocation
  /**
   * The uuid of the entity (beneficiary) the submission is about, as the mobile app knows it.
   * Linked only when `entityTypeId` is given too: the entity of that uuid and type is found (see
   * `findEntityForUpload`) or created without attributes; when the form is the entity type's
   * reference form, the submission becomes the entity's attributes.
   */
  readonly entityUuid?: string
  /** The entity's type (see `entityUuid`). */
  readonly entityTypeId?: EntityTypeId
  /** The planning the submission was made for (it must be of the account). */
  readonly planningId?: PlanningId
}

/** What {@link Instances | Instances.ingest} did. */
export interface IngestResult {
  /** `created`: a new submission; `edited`: an edit of a stored one; `unchanged`: a re-send, nothing written. */
  readonly outcome: "created" | "edited" | "unchanged"
  readonly instance: Instance
  /** The submission's files (not deleted). */
  readonly files: ReadonlyArray<InstanceFile>
}

/** Errors of an ingestion. */
export type IngestError = NotFound | Forbidden | ValidationError | Conflict | StorageError
