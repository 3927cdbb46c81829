/**
 * The `Instances` service: ingesting ODK submissions (the XML and its attachments) as IASO does,
 * and the life of a stored submission: reads with IASO's access rules, soft deletion and
 * restoration, the computed duplicate status and counts by status, and locks.
 *
 * Ingestion ({@link Instances | Instances.ingest}) takes what a device uploads in one call (IASO spreads it
 * over two requests) and writes everything in one store transaction: the device (found by its
 * IMEI or created), the submission, its files, the counter behind its correlation id and the
 * audit entries. The bytes (the XML and each attachment) go to the {@link BlobStore} first,
 * content-addressed, so a committed submission never points at missing bytes. A failed ingest
 * commits no metadata; bytes it had already stored stay as unreferenced blobs (content addressing
 * means another submission may share them, so they are never removed on failure): a host app that
 * cares collects them by comparing its blob keys with the `file` references of `Instance` and
 * `InstanceFile` records.
 *
 * {@link Instances | Instances.ingestMany} ingests many uploads with the outcomes ingesting them one by one
 * gives, reading what the checks need once per batch and writing a batch's new submissions in one
 * transaction.
 *
 * Differences from IASO, on purpose:
 * - The submission's identity is its ODK instance id: re-sending the same content is a no-op
 *   answering the stored submission; the same id with other content is a `Conflict` (IASO skips
 *   any uuid it has seen, whatever the content). An edit (an XML whose `meta/deprecatedID` names
 *   a submission's current instance id) keeps the submission (its first `uuid`), records the new
 *   id in `currentUuid` and keeps the replaced content in an audit entry. Re-sending a version an
 *   edit replaced, with that version's answers (as its audit entry kept them; attachments are not
 *   compared there), is a no-op too; an edit of an already replaced version is a `Conflict`. An
 *   edit whose replaced submission was never stored is stored as a new submission.
 * - A period is checked: an unknown format, or a type other than the form's, is refused (IASO
 *   stores any text at ingestion, and answers 500 on some of them in its PATCH). The canonical
 *   form is stored (`2024W01` is stored `2024W1`), so duplicates are found whatever the spelling.
 *   A period outside the form's allowed window (judged on the day the device created the
 *   submission, never the server's clock) is stored and flagged (`periodOutsideWindow`); IASO
 *   never computes the window.
 * - A location whose latitude or longitude is 0 is kept (IASO drops it as falsy).
 * - The correlation id is made from a per-account counter instead of IASO's integer row id; a
 *   correlation field without a value, or with non-digits, is left out (IASO fails there).
 * - Malformed XML is refused (IASO's recovering parser stores what it salvages); see `odk-xml.ts`.
 * - A lock on a submission without an org unit is refused with a `ValidationError` (IASO fails
 *   with an assertion, a 500).
 *
 * Like IASO's mobile upload, ingestion needs no permission codename (field workers hold none):
 * the actor must be of the account and, when restricted to org units, submit under them. Reads,
 * deletion, restoration and locks need one of {@link SUBMISSION_PERMISSIONS}; changing a
 * submission (an edit, a deletion, a restoration, a lock or unlock) also needs IASO's
 * `can_user_modify`: no active lock taken from an org unit the actor cannot reach.
 *
 * The work is spread by job: `ingest-types.ts` (what an upload is and what ingesting it answers),
 * `ingest-checks.ts` (its checks), `ingest.ts` (one upload: the decision and the retries),
 * `ingest-writes.ts` (the bytes and the records), `ingest-batch.ts` ({@link Instances | Instances.ingestMany}),
 * `submission-devices.ts`, `submission-listing.ts` (lists, statuses, counts),
 * `submission-deletion.ts`, `submission-locks.ts`, and `submission-access.ts` (the access rules
 * and helpers they share). This module wires them into the service.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { Repos } from "../kernel/repos.ts"
import type { BlobStore } from "../shared/blob.ts"
import type { InstanceId, InstanceLockId } from "../shared/entity-ids.ts"
import type { Forbidden, Interrupted, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import type { LongOperationOptions } from "../shared/progress.ts"
import type { ListOptions, Repositories, ResultPage } from "../shared/repository.ts"
import type { OrgUnits } from "../registry/org-units-service.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { makeIngest } from "./ingest.ts"
import { INGEST_BATCH, type IngestItem, makeIngestBatch } from "./ingest-batch.ts"
import { geopointOf } from "./ingest-checks.ts"
import {
  CORRELATION_SEQUENCE,
  type IngestError,
  type IngestResult,
  INGEST_SOURCE,
  type SubmissionAttachment,
  type SubmissionInput,
  type SubmissionLocation
} from "./ingest-types.ts"
import { correlationIdOf, makeIngestWrites } from "./ingest-writes.ts"
import type { Instance, InstanceFile, InstanceLock, InstanceStatus } from "./instance-model.ts"
import type { BulkUploadInstance, ForeignIds, MobileBulkUploadError, MobileBulkUploadOptions, MobileBulkUploadResult } from "./mobile-bulk-upload.ts"
import type { BulkUploadFiles, BulkUploadLimits } from "./bulk-archive.ts"
import { lazyModule } from "../shared/lazy-module.ts"
import type { ZipLimits } from "../shared/zip.ts"
import { INSTANCE_API_SOURCE, makeSubmissionAccess } from "./submission-access.ts"
import { makeSubmissionDeletion } from "./submission-deletion.ts"
import { type InstanceSearch, type InstanceWithStatus, makeSubmissionListing, type StatusCounts } from "./submission-listing.ts"
import { makeSubmissionLocks } from "./submission-locks.ts"

export { CORRELATION_SEQUENCE, correlationIdOf, geopointOf, INGEST_BATCH, INGEST_SOURCE, INSTANCE_API_SOURCE }
export type {
  BulkUploadFiles,
  BulkUploadInstance,
  BulkUploadLimits,
  ForeignIds,
  MobileBulkUploadError,
  MobileBulkUploadOptions,
  MobileBulkUploadResult,
  ZipLimits,
  IngestError,
  IngestItem,
  IngestResult,
  InstanceSearch,
  InstanceWithStatus,
  StatusCounts,
  SubmissionAttachment,
  SubmissionInput,
  SubmissionLocation
}

/** Errors of a change to a stored submission. */
export type InstanceWriteError = NotFound | Forbidden | ValidationError | StorageError
/** Errors of a read. */
export type InstanceReadError = NotFound | Forbidden | ValidationError | StorageError

/**
 * The submissions service: ingesting ODK uploads (the XML and its attachments) as IASO does, one by
 * one or in batches, and the life of a stored submission: reads and listings with the computed
 * status, counts by status, soft deletion and restoration, locks. Provided by `Iaso.layer`; on the
 * Promise facade, `iaso.as(actor).instances`. Its calls are listed under `Service`.
 */
export class Instances extends Context.Service<
  Instances,
  {
    /**
     * Ingests an uploaded submission (see the module documentation): a new one, an edit of a
     * stored one, or a re-send answered with the stored one. Everything is written in one
     * transaction, after the bytes are in the {@link BlobStore}.
     */
    readonly ingest: (input: SubmissionInput) => Effect.Effect<IngestResult, IngestError, CurrentActor | BlobStore>
    /**
     * Ingests many uploads, with the result each would have had from `ingest` called on
     * the items one after another, in order (a later item sees what an earlier one stored: a
     * re-send of it is `unchanged`, an edit of it `edited`), in fewer store round trips. Items are
     * taken in chunks of {@link INGEST_BATCH}; in a chunk, the reads are made once (forms,
     * versions, projects, org units, the stored submissions the instance ids name), and the new
     * submissions are written together in one transaction: their devices (found or created, with
     * their project links), one advance of the correlation counter, the submissions, their files
     * and their audit entries. Their bytes go to the {@link BlobStore} before that transaction.
     *
     * An item that fails its checks fails alone (its item is `Failed` with the error `ingest`
     * gives) and stores nothing. Edits of stored submissions, and items naming an instance id an
     * earlier item of the chunk named, are ingested alone (each in its own transaction) after the
     * chunk's new submissions. When the chunk's transaction fails (a write refused, a concurrent
     * writer), it stores nothing and its items are ingested alone, one by one, in order, so
     * each still gets the outcome `ingest` gives it. Correlation counter values follow the order
     * in which submissions are written. The whole never fails: every item has its outcome.
     *
     * `onProgress` hears the phase `"write"` after each chunk (uploads done, of the inputs).
     * `signal` stops the ingestion with `Interrupted`: the transaction under way rolls back, and
     * the chunks that committed before stay stored (each upload stands alone: sending them again
     * answers the stored submissions, `unchanged`).
     */
    readonly ingestMany: (
      inputs: ReadonlyArray<SubmissionInput>,
      options?: LongOperationOptions
    ) => Effect.Effect<ReadonlyArray<IngestItem>, Interrupted, CurrentActor | BlobStore>
    /**
     * Imports a mobile bulk upload (IASO's zip of a phone's unsent work; see the module
     * documentation of `mobile-bulk-upload.ts`): `orgUnits.json`, then `instances.json` with one
     * folder of files per submission, each section in its own unit of work (a failed section rolls
     * back alone; the sections before it stay committed). The archive is read within
     * `options.limits` (entry count, each entry's and all entries' inflated bytes; a path leaving
     * the upload's folder is refused) before anything is written: a refused archive is a
     * `ValidationError` and storage is untouched. `storageLogs.json`, `stockLedgerItems.json` and
     * `changeRequests.json` are not imported yet: `Unsupported` naming the section, after the
     * sections before it committed. `onProgress` hears `"read"` once the archive is read and
     * `"write"` after each section; `signal` stops it with `Interrupted` (the section under way
     * rolls back).
     */
    readonly importMobileBulkUpload: (
      input: BulkUploadFiles,
      options: MobileBulkUploadOptions
    ) => Effect.Effect<MobileBulkUploadResult, MobileBulkUploadError, CurrentActor | BlobStore | OrgUnits>
    /** One submission the actor may see (restricted actors: under their org units). */
    readonly get: (id: InstanceId) => Effect.Effect<Instance, InstanceReadError, CurrentActor>
    /** A submission's files (not deleted). */
    readonly files: (id: InstanceId) => Effect.Effect<ReadonlyArray<InstanceFile>, InstanceReadError, CurrentActor>
    /** A page of submissions with their status (not deleted unless asked). */
    readonly list: (
      search?: InstanceSearch & Omit<ListOptions, "where" | "select">
    ) => Effect.Effect<ResultPage<InstanceWithStatus>, InstanceReadError, CurrentActor>
    /** A submission's computed status: `DUPLICATED`, `EXPORTED` or `READY`. */
    readonly status: (id: InstanceId) => Effect.Effect<InstanceStatus, InstanceReadError, CurrentActor>
    /**
     * Submissions (not deleted) counted by status for each (period, form), ordered by period then
     * form. Reads every matching submission's (form, period, org unit, export time): mind large sets.
     */
    readonly countsByStatus: (search?: Omit<InstanceSearch, "includeDeleted">) => Effect.Effect<ReadonlyArray<StatusCounts>, InstanceReadError, CurrentActor>
    /** Soft-deletes a submission (IASO `deleted = true`); no-op when already deleted. */
    readonly softDelete: (id: InstanceId) => Effect.Effect<Instance, InstanceWriteError, CurrentActor>
    /** Restores a soft-deleted submission; no-op when not deleted. */
    readonly restore: (id: InstanceId) => Effect.Effect<Instance, InstanceWriteError, CurrentActor>
    /**
     * Locks a submission from the actor's shallowest org unit above it (an unrestricted actor: the
     * root of the submission's org unit): until unlocked, actors who cannot reach that org unit
     * cannot change the submission. Needs an actor with a user.
     */
    readonly lock: (id: InstanceId) => Effect.Effect<InstanceLock, InstanceWriteError, CurrentActor>
    /** Releases a lock; `ValidationError` "Lock already unlocked" when it was released already. */
    readonly unlock: (lockId: InstanceLockId) => Effect.Effect<InstanceLock, InstanceWriteError, CurrentActor>
    /** A submission's locks, newest first. */
    readonly locks: (id: InstanceId) => Effect.Effect<ReadonlyArray<InstanceLock>, InstanceReadError, CurrentActor>
    /** Whether the actor may change the submission (IASO `can_user_modify`). */
    readonly canModify: (id: InstanceId) => Effect.Effect<boolean, InstanceReadError, CurrentActor>
  }
>()("@iaso/core/Instances") {
  /** The service over {@link Repos}; ingestion also needs a {@link BlobStore} when it runs. */
  static readonly layer = Layer.effect(
    Instances,
    Effect.map(Effect.service(Repos), (repos) => Instances.of(makeInstances(repos)))
  )
}

// The mobile bulk upload import (with its zip reader), loaded when an upload first needs it (an
// app's bundler puts it in a chunk of its own).
const mobileBulkUploadModule = lazyModule("the mobile bulk upload import", () => import("./mobile-bulk-upload.ts"))

/** The service's verbs, each from the module of its job. */
const makeInstances = (repos: Repositories) => {
  const access = makeSubmissionAccess(repos)
  const writes = makeIngestWrites(repos, access)
  const one = makeIngest(repos, access, writes)
  const { readOne, liveFiles } = access
  const batch = makeIngestBatch(repos, one, writes)
  let bulkUpload: ReturnType<typeof import("./mobile-bulk-upload.ts")["makeMobileBulkUpload"]> | undefined
  return {
    ingest: one.ingest,
    ...batch,
    importMobileBulkUpload: (input: BulkUploadFiles, options: MobileBulkUploadOptions) =>
      Effect.flatMap(mobileBulkUploadModule, (module) => {
        bulkUpload ??= module.makeMobileBulkUpload(repos, access, one, writes, (inputs) => batch.ingestMany(inputs))
        return bulkUpload.importMobileBulkUpload(input, options)
      }),
    get: (id: InstanceId) => Effect.map(readOne(id), ({ instance }) => instance),
    files: (id: InstanceId) => Effect.flatMap(readOne(id), ({ actor, instance }) => liveFiles(actor.accountId, instance.id)),
    ...makeSubmissionListing(repos, access),
    ...makeSubmissionDeletion(repos, access),
    ...makeSubmissionLocks(repos, access)
  }
}
