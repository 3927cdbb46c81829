/**
 * The `Instances` service: ingesting ODK submissions (the XML and its attachments) as IASO does,
 * and the life of a stored submission: reads with IASO's access rules, soft deletion and
 * restoration, the computed duplicate status and counts by status, and locks.
 *
 * Ingestion ({@link Instances.ingest}) takes what a device uploads in one call (IASO spreads it
 * over two requests) and writes everything in one store transaction: the device (found by its
 * IMEI or created), the submission, its files, the counter behind its correlation id and the
 * audit entries. The bytes (the XML and each attachment) go to the {@link BlobStore} first,
 * content-addressed, so a committed submission never points at missing bytes. A failed ingest
 * commits no metadata; bytes it had already stored stay as unreferenced blobs (content addressing
 * means another submission may share them, so they are never removed on failure): a host app that
 * cares collects them by comparing its blob keys with the `file` references of `Instance` and
 * `InstanceFile` records.
 *
 * {@link Instances.ingestMany} ingests many uploads with the outcomes ingesting them one by one
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
 * @module
 */
import { Context, Data, Effect, Layer, Random, Result, Schema } from "effect"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { DeviceModel, DeviceProjectModel, type Device } from "../devices/devices.ts"
import type { DescriptorNode } from "../forms/descriptor.ts"
import { type Form, FormModel } from "../forms/form.ts"
import { type FormVersion, FormVersionModel } from "../forms/form-version.ts"
import { isPeriodAllowed, parsePeriod } from "../forms/periods.ts"
import { type OrgUnit, OrgUnitModel, PATH_SEPARATOR } from "../registry/org-unit.ts"
import { audit, publicEncoding } from "../kernel/audit.ts"
import { Repos } from "../kernel/repos.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { type BlobRef, BlobStore, sha256Hex } from "../shared/blob.ts"
import { accuracyOf, type DecimalString } from "../shared/decimal.ts"
import type { DeviceId, FormId, FormVersionId, InstanceId, InstanceLockId, OrgUnitId, ProjectId } from "../shared/entity-ids.ts"
import { Conflict, Forbidden, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import type { GeoPoint } from "../shared/geometry.ts"
import type { JsonObject, JsonValue } from "../shared/json.ts"
import type { Condition } from "../shared/query.ts"
import type { AnyModel } from "../shared/model.ts"
import {
  allPages,
  type BulkResult,
  codecOf,
  type FieldCondition,
  type ListOptions,
  type Repositories,
  type ResultPage,
  type WriteError
} from "../shared/repository.ts"
import { compareCodePoints } from "../shared/text.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"
import {
  BigIntDigits,
  type Instance,
  type InstanceFile,
  InstanceFileModel,
  type InstanceLock,
  InstanceLockModel,
  InstanceModel,
  type InstanceStatus,
  SUBMISSION_PERMISSIONS
} from "./instance.ts"
import { flattenSubmission, parseSubmission, stripUuidPrefix, type SubmissionDocument, type SubmissionFilter, submissionFilter } from "./odk-xml.ts"
import { nextSequenceValue, reserveSequenceValues } from "./sequence.ts"

/** Audit source of ingestion (IASO's source for the form upload). */
export const INGEST_SOURCE = "SYNC FORM UPLOAD"
/** Audit source of deletions, restorations and locks (IASO's instance API). */
export const INSTANCE_API_SOURCE = "INSTANCE_API"
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
  /** Where the data was collected; the actor must reach it. */
  readonly orgUnitId?: OrgUnitId
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
}

/** What {@link Instances.ingest} did. */
export interface IngestResult {
  /** `created`: a new submission; `edited`: an edit of a stored one; `unchanged`: a re-send, nothing written. */
  readonly outcome: "created" | "edited" | "unchanged"
  readonly instance: Instance
  /** The submission's files (not deleted). */
  readonly files: ReadonlyArray<InstanceFile>
}

/**
 * One upload's outcome in {@link Instances.ingestMany} (the shape of a bulk write's items): its
 * result, or the error `ingest` would have failed with. `index` is its position in the inputs.
 */
export type IngestItem =
  | { readonly _tag: "Ok"; readonly index: number; readonly value: IngestResult }
  | { readonly _tag: "Failed"; readonly index: number; readonly error: IngestError }

/** Filters of {@link Instances.list} and {@link Instances.countsByStatus}. */
export interface InstanceSearch {
  readonly formId?: FormId
  readonly orgUnitId?: OrgUnitId
  readonly period?: string
  /** Soft-deleted submissions are left out unless this is true. */
  readonly includeDeleted?: boolean
}

/** A submission with its computed status. */
export interface InstanceWithStatus {
  readonly instance: Instance
  readonly status: InstanceStatus
}

/** Counts of submissions by status for one (period, form), IASO's `counts_by_status`. */
export interface StatusCounts {
  /** Absent for submissions without a period. */
  readonly period?: string
  readonly formId: FormId
  readonly total: number
  readonly duplicated: number
  readonly exported: number
  readonly ready: number
}

/** Errors of an ingestion. */
export type IngestError = NotFound | Forbidden | ValidationError | Conflict | StorageError
/** Errors of a change to a stored submission. */
export type InstanceWriteError = NotFound | Forbidden | ValidationError | StorageError
/** Errors of a read. */
export type InstanceReadError = NotFound | Forbidden | ValidationError | StorageError

/** The submissions service. */
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
     * Ingests many uploads, with the result each would have had from {@link ingest} called on
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
     */
    readonly ingestMany: (inputs: ReadonlyArray<SubmissionInput>) => Effect.Effect<ReadonlyArray<IngestItem>, never, CurrentActor | BlobStore>
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

// -----------------------------------------------------------------------------
// Pure helpers
// -----------------------------------------------------------------------------

/** JSON with object keys sorted, for comparing contents whatever the key order. */
const canonical = (value: JsonValue | undefined): string => {
  if (value === undefined) return "undefined"
  if (value === null || typeof value !== "object") return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item as JsonValue)).join(",")}]`
  const record = value as { readonly [key: string]: JsonValue }
  return `{${Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
    .join(",")}}`
}

/**
 * IASO's correlation id: the identifier (here the counter value, then the correlation field's
 * digits, left-padded with zeros to 3 characters), one random digit, and two check digits (the
 * identifier with its random digit, modulo 97). Check: `BigInt(id.slice(0, -2)) % 97n` equals the
 * last two digits.
 */
export const correlationIdOf = (sequence: number, fieldValue: string | undefined, digit: number): string => {
  let identifier = String(sequence)
  if (fieldValue !== undefined && /^\d+$/.test(fieldValue)) identifier = (identifier + fieldValue).padStart(3, "0")
  const value = BigInt(identifier + String(digit))
  const id = `${value.toString()}${String(value % 97n).padStart(2, "0")}`
  if (isBigIntDigits(id)) return id
  // Too long for 64 bits with the field value: the counter alone.
  const plain = BigInt(String(sequence) + String(digit))
  return `${plain.toString()}${String(plain % 97n).padStart(2, "0")}`
}

const isBigIntDigits = Schema.is(BigIntDigits)

const EXPORT_ID_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const EXPORT_ID_REST = `${EXPORT_ID_FIRST}0123456789`

/** A DHIS2-style uid (a letter then 10 letters or digits) from Effect's `Random`. */
const randomExportId: Effect.Effect<string> = Effect.gen(function* () {
  let id = EXPORT_ID_FIRST.charAt(yield* Random.nextIntBetween(0, EXPORT_ID_FIRST.length, { halfOpen: true }))
  for (let i = 0; i < 10; i++) id += EXPORT_ID_REST.charAt(yield* Random.nextIntBetween(0, EXPORT_ID_REST.length, { halfOpen: true }))
  return id
})

/** A finite number from a decimal text (empty or non-numeric: undefined). */
const numberOf = (text: string | undefined): number | undefined => {
  if (text === undefined || text.trim() === "") return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

/**
 * The location and accuracy of an ODK geopoint answer (`"lat lon alt acc"`), IASO's rule; an
 * answer that is no geopoint (or out of range) gives nothing, as IASO ignores it.
 */
export const geopointOf = (answer: string): { readonly location: GeoPoint; readonly accuracy?: DecimalString } | undefined => {
  const parts = answer.trim().split(/\s+/)
  const lat = numberOf(parts[0])
  const lon = numberOf(parts[1])
  if (lat === undefined || lon === undefined || Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined
  const alt = numberOf(parts[2]) ?? 0
  const accuracy = parts[3] === undefined ? undefined : accuracyOf(parts[3])
  const location: GeoPoint = { type: "Point", coordinates: [lon, lat, alt] }
  return accuracy === undefined ? { location } : { location, accuracy }
}

const utcDay = (date: Date): string => date.toISOString().slice(0, 10)

const isValidDate = (date: unknown): date is Date => date instanceof Date && Number.isFinite(date.getTime())

/**
 * The filters of form versions, compiled once: a small LRU keyed by the version record's id,
 * creation time and record version. A form version's descriptor never changes (only its start and
 * end periods do), and any change gives the record a new version, so a changed record is never
 * answered from the cache; the creation time tells a record deleted and created again with the
 * same id apart.
 */
const filters = new Map<string, SubmissionFilter>()
const filterOf = (id: string, createdAt: Date | undefined, recordVersion: number, descriptor: DescriptorNode): SubmissionFilter => {
  const key = `${id}:${createdAt?.getTime() ?? ""}:${recordVersion}`
  const cached = filters.get(key)
  if (cached !== undefined) {
    // Most recently used last.
    filters.delete(key)
    filters.set(key, cached)
    return cached
  }
  const filter = submissionFilter(descriptor)
  if (filters.size >= 256) {
    const oldest = filters.keys().next()
    if (oldest.done !== true) filters.delete(oldest.value)
  }
  filters.set(key, filter)
  return filter
}

// -----------------------------------------------------------------------------
// The service
// -----------------------------------------------------------------------------

type Decision =
  | { readonly kind: "unchanged"; readonly instance: Instance; readonly files?: ReadonlyArray<InstanceFile> }
  | { readonly kind: "conflict"; readonly error: Conflict }
  | { readonly kind: "new" }
  | { readonly kind: "edit"; readonly target: Instance }

/** A location and its accuracy, from the form's location field or the metadata sent beside the XML. */
type Place = { readonly location: GeoPoint; readonly accuracy?: DecimalString }

/** A form version as ingestion uses it: its id and the filter of its descriptor. */
interface VersionEntry {
  readonly id: FormVersionId
  readonly filter: SubmissionFilter | undefined
}

/**
 * The reads the checks of an upload need: straight from the store for one upload, answered from
 * reads made once for the whole batch by {@link Instances.ingestMany}.
 */
interface Lookups {
  readonly form: (id: FormId) => Effect.Effect<Form, NotFound | StorageError>
  readonly version: (form: Form, versionId: string) => Effect.Effect<VersionEntry | undefined, StorageError>
  readonly project: (id: ProjectId) => Effect.Effect<unknown, NotFound | StorageError>
  readonly paths: Effect.Effect<ReadonlyArray<string> | undefined, StorageError>
  readonly unit: (id: OrgUnitId) => Effect.Effect<OrgUnit, NotFound | StorageError>
  /** The org units these reads have read so far, by id (not read again to check access to a stored submission). */
  readonly units: ReadonlyMap<string, OrgUnit>
}

/** An upload that passed its checks: everything its writes need. */
interface Prepared {
  readonly input: SubmissionInput
  readonly form: Form
  readonly version: VersionEntry | undefined
  readonly json: JsonObject
  readonly incomingId: string
  readonly deprecatedId: string | undefined
  readonly period: { readonly value?: string; readonly outside: boolean }
  /** The paths of the actor's org-unit roots (`undefined`: unrestricted). */
  readonly paths: ReadonlyArray<string> | undefined
  /** Org units read by the checks, by id. */
  readonly units: ReadonlyMap<string, OrgUnit>
  readonly place: Place | undefined
  readonly imei: string | undefined
  readonly attachments: ReadonlyArray<SubmissionAttachment>
  readonly hashes: ReadonlyArray<{ readonly name: string; readonly sha256: string }>
}

/** The stored bytes of an upload: its XML and each attachment, in order. */
interface StoredBytes {
  readonly xml: BlobRef
  readonly files: ReadonlyArray<BlobRef>
}

/** A change to record in the audit trail. */
interface AuditChange {
  readonly model: AnyModel
  readonly id: string
  readonly before?: unknown
  readonly after?: unknown
}

/** Values of one `in` condition (well under every adapter's bound-parameter limit). */
const IN_CHUNK = 500

/** Uploads {@link Instances.ingestMany} writes in one transaction at most. */
export const INGEST_BATCH = 500

/** Maps the write errors a service does not expect to defects, and races to retryable storage errors. */
const narrowWrite = <A>(effect: Effect.Effect<A, WriteError | StorageError>): Effect.Effect<A, ValidationError | StorageError> =>
  effect.pipe(
    Effect.catchTags({
      VersionConflict: (error) => Effect.fail(new StorageError({ reason: "serialization", retryable: true, message: `${error.message}: changed concurrently, run the unit of work again` })),
      NotFound: (error) => Effect.die(error),
      AlreadyExists: (error) => Effect.die(error),
      Conflict: (error) => Effect.die(error)
    })
  )

const orDieValidation = <A, E>(effect: Effect.Effect<A, E | ValidationError>): Effect.Effect<A, Exclude<E, ValidationError>> =>
  Effect.catchIf(effect, (error): error is ValidationError => (error as { _tag?: unknown })._tag === "ValidationError", (error) => Effect.die(error)) as Effect.Effect<
    A,
    Exclude<E, ValidationError>
  >

const makeInstances = (repos: Repositories) => {
  const rowAccess = makeRowAccess(repos)
  // ---------------------------------------------------------------------------
  // Access
  // ---------------------------------------------------------------------------

  /** The paths of the actor's org-unit roots, or `undefined` for an unrestricted actor. */
  const rootPaths = (actor: Actor): Effect.Effect<ReadonlyArray<string> | undefined, StorageError> =>
    actor.orgUnitRoots.length === 0
      ? Effect.succeed(undefined)
      : Effect.map(repos.getMany(OrgUnitModel, actor.accountId, actor.orgUnitRoots), (roots) => roots.map((root) => root.path))

  const reaches = (paths: ReadonlyArray<string> | undefined, unit: OrgUnit): boolean => paths === undefined || paths.some((path) => unit.path.startsWith(path))

  /**
   * Whether the actor sees a submission: unrestricted actors see all; restricted ones those under
   * their org units. `known`: org units the caller has just read (not read again).
   */
  const sees = (actor: Actor, paths: ReadonlyArray<string> | undefined, instance: Instance, known?: ReadonlyMap<string, OrgUnit>) =>
    Effect.gen(function* () {
      if (paths === undefined) return true
      if (instance.orgUnitId === undefined) return false
      const [unit] = known?.has(instance.orgUnitId) === true ? [known.get(instance.orgUnitId)] : yield* repos.getMany(OrgUnitModel, actor.accountId, [instance.orgUnitId])
      return unit !== undefined && reaches(paths, unit)
    })

  /** A submission the actor may see, else NotFound. */
  const load = (actor: Actor, paths: ReadonlyArray<string> | undefined, id: string) =>
    Effect.gen(function* () {
      const instance = yield* repos.get(InstanceModel, actor.accountId, id)
      if (!(yield* sees(actor, paths, instance))) return yield* NotFound.of("Instance", id)
      return instance
    })

  const activeLocks = (actor: Actor, instanceId: string) =>
    orDieValidation(
      allPages((cursor) =>
        repos.list(InstanceLockModel, actor.accountId, {
          where: [
            { field: "instanceId", op: "eq", value: instanceId },
            { field: "unlockedById", op: "isNull" }
          ],
          limit: 1000,
          ...(cursor === undefined ? {} : { cursor })
        })
      )
    )

  /** IASO's `can_user_modify`: no active lock, or the shallowest active lock's org unit is reachable. */
  const mayModify = (actor: Actor, paths: ReadonlyArray<string> | undefined, instance: Instance) =>
    Effect.gen(function* () {
      const locks = yield* activeLocks(actor, instance.id)
      if (locks.length === 0 || paths === undefined) return true
      const units = yield* repos.getMany(
        OrgUnitModel,
        actor.accountId,
        locks.map((lock) => String(lock.topOrgUnitId))
      )
      const shallowest = [...units].sort((a, b) => a.depth - b.depth)[0]
      return shallowest !== undefined && reaches(paths, shallowest)
    })

  const requireModify = (actor: Actor, paths: ReadonlyArray<string> | undefined, instance: Instance) =>
    Effect.flatMap(mayModify(actor, paths, instance), (ok) =>
      ok ? Effect.void : Effect.fail(new Forbidden({ message: `the submission ${instance.id} is locked from an org unit you cannot reach` }))
    )

  const readable = (actor: Actor) => requireAny(actor, SUBMISSION_PERMISSIONS, "reading submissions")
  const writable = (actor: Actor) => requireAny(actor, SUBMISSION_PERMISSIONS, "changing submissions")

  // ---------------------------------------------------------------------------
  // Lookups
  // ---------------------------------------------------------------------------

  /** Stored submissions whose `field` is one of `values` (a unique field: one submission per value at most), by that value. */
  const instancesWhere = (accountId: string, field: "currentUuid" | "uuid", values: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const found = new Map<string, Instance>()
      for (let start = 0; start < values.length; start += IN_CHUNK) {
        const chunk = values.slice(start, start + IN_CHUNK)
        // One value (a single upload): an equality, the cheapest lookup on every store.
        const condition: FieldCondition = chunk.length === 1 ? { field, op: "eq", value: chunk[0] } : { field, op: "in", value: chunk }
        const page = yield* orDieValidation(repos.list(InstanceModel, accountId, { where: [condition], limit: chunk.length }))
        for (const item of page.items) {
          const instance = item as Instance
          const key = instance[field]
          if (key !== undefined) found.set(key, instance)
        }
      }
      return found
    })

  /**
   * The stored submissions named by instance ids: an id names the submission whose current
   * instance id it is, else the one whose first uuid it is. Two queries at most (`in` lists), the
   * second left out when `enough` is found by the first.
   */
  const instancesByIds = (accountId: string, ids: ReadonlyArray<string>, enough?: string) =>
    Effect.gen(function* () {
      const wanted = [...new Set(ids)]
      const byCurrent = yield* instancesWhere(accountId, "currentUuid", wanted)
      const byUuid =
        enough !== undefined && byCurrent.has(enough)
          ? new Map<string, Instance>()
          : yield* instancesWhere(
              accountId,
              "uuid",
              wanted.filter((id) => !byCurrent.has(id))
            )
      return (id: string): Instance | undefined => byCurrent.get(id) ?? byUuid.get(id)
    })

  /** Whether an instance id can be compared with stored ones (text without U+0000). */
  const comparableId = (id: string): boolean => !(codecOf(InstanceModel).encodeValue("uuid", id) instanceof ValidationError)

  const currentId = (instance: Instance): string | undefined => instance.currentUuid ?? instance.uuid

  const liveFiles = (accountId: string, instanceId: string) =>
    orDieValidation(
      allPages((cursor) =>
        repos.list(InstanceFileModel, accountId, {
          where: [
            { field: "instanceId", op: "eq", value: instanceId },
            { field: "deleted", op: "eq", value: false }
          ],
          limit: 1000,
          ...(cursor === undefined ? {} : { cursor })
        })
      )
    ) as Effect.Effect<ReadonlyArray<InstanceFile>, StorageError>

  const fileSignature = (files: ReadonlyArray<{ readonly name: string; readonly sha256: string }>): string =>
    files
      .map((file) => `${file.name}\u0000${file.sha256}`)
      .sort()
      .join("\u0001")

  /** The submission's files when its stored content (answers and files) is the incoming one, else `undefined`. */
  const sameContent = (accountId: string, instance: Instance, json: JsonObject, hashes: ReadonlyArray<{ readonly name: string; readonly sha256: string }>) =>
    Effect.gen(function* () {
      if (canonical(instance.json) !== canonical(json)) return undefined
      const files = yield* liveFiles(accountId, instance.id)
      const same = fileSignature(files.map((file) => ({ name: file.name ?? "", sha256: file.file?.sha256 ?? "" }))) === fileSignature(hashes)
      return same ? files : undefined
    })

  /** Whether an earlier version of the submission (kept in its audit entries) had this instance id and these answers. */
  const inHistory = (accountId: string, instance: Instance, instanceId: string, json: JsonObject) =>
    Effect.gen(function* () {
      const entries = yield* orDieValidation(
        allPages((cursor) =>
          repos.list(AuditEntryModel, accountId, {
            where: [
              { field: "objectModel", op: "eq", value: "Instance" },
              { field: "objectId", op: "eq", value: instance.id }
            ],
            limit: 1000,
            ...(cursor === undefined ? {} : { cursor })
          })
        )
      )
      const wanted = canonical(json)
      for (const entry of entries) {
        for (const side of [entry.before, entry.after]) {
          if (typeof side !== "object" || side === null || Array.isArray(side)) continue
          const answers = (side as { readonly json?: JsonValue }).json
          if (typeof answers !== "object" || answers === null || Array.isArray(answers)) continue
          const recorded = (answers as { readonly instanceID?: JsonValue }).instanceID
          if (typeof recorded === "string" && stripUuidPrefix(recorded.trim()) === instanceId && canonical(answers) === wanted) return true
        }
      }
      return false
    })

  /** What to do with an incoming submission, given what is stored (`find` answers the stored submission an instance id names). */
  const decide = (actor: Actor, upload: Prepared, find: (id: string) => Instance | undefined): Effect.Effect<Decision, Forbidden | StorageError> =>
    Effect.gen(function* () {
      const { paths, incomingId, deprecatedId, json, hashes } = upload
      const formId = upload.form.id
      const hidden = (instance: Instance) => new Forbidden({ message: `the submission ${instance.uuid ?? instance.id} is outside your org units` })
      const existing = find(incomingId)
      if (existing !== undefined) {
        if (!(yield* sees(actor, paths, existing, upload.units))) return yield* hidden(existing)
        const conflict = (why: string): Decision => ({ kind: "conflict", error: new Conflict({ model: "Instance", id: existing.id, message: `submission uuid:${incomingId}: ${why}` }) })
        if (existing.formId !== formId) return conflict("already stored for another form")
        if (currentId(existing) === incomingId) {
          const files = yield* sameContent(actor.accountId, existing, json, hashes)
          return files !== undefined ? { kind: "unchanged", instance: existing, files } : conflict("already stored with other content")
        }
        return (yield* inHistory(actor.accountId, existing, incomingId, json))
          ? { kind: "unchanged", instance: existing }
          : conflict(`already stored, and since replaced by the edit uuid:${currentId(existing) ?? ""}`)
      }
      if (deprecatedId !== undefined) {
        const target = find(deprecatedId)
        if (target !== undefined) {
          if (!(yield* sees(actor, paths, target, upload.units))) return yield* hidden(target)
          if (currentId(target) === deprecatedId) return { kind: "edit", target }
          // An intermediate edit re-sent (its id is neither the first nor the current one).
          if (yield* inHistory(actor.accountId, target, incomingId, json)) return { kind: "unchanged", instance: target }
          return {
            kind: "conflict",
            error: new Conflict({
              model: "Instance",
              id: target.id,
              message: `the edit uuid:${incomingId} replaces uuid:${deprecatedId}, which an edit already replaced (current uuid:${currentId(target) ?? ""})`
            })
          }
        }
      }
      return { kind: "new" }
    })

  /**
   * What a decision answers without writing: the result of a re-send, the error of a conflict or
   * of a caller's uuid that is not the submission's; `undefined` when the submission is written.
   */
  const settle = (
    accountId: string,
    upload: Prepared,
    decision: Decision
  ): Effect.Effect<IngestResult | undefined, Conflict | ValidationError | StorageError> =>
    Effect.gen(function* () {
      if (decision.kind === "unchanged") {
        return { outcome: "unchanged", instance: decision.instance, files: decision.files ?? (yield* liveFiles(accountId, decision.instance.id)) } as const
      }
      if (decision.kind === "conflict") return yield* decision.error
      const { input, incomingId } = upload
      if (input.uuid !== undefined && input.uuid !== incomingId && (decision.kind !== "edit" || decision.target.uuid !== input.uuid)) {
        return yield* ValidationError.at(["uuid"], `the uuid ${input.uuid} differs from the submission's instance id uuid:${incomingId}`)
      }
      return undefined
    })

  // ---------------------------------------------------------------------------
  // Ingestion
  // ---------------------------------------------------------------------------

  const checkInput = (input: SubmissionInput): ValidationError | undefined => {
    if (!isValidDate(input.createdAt)) return ValidationError.at(["createdAt"], "expected a valid date: when the device created the submission")
    if (input.updatedAt !== undefined && !isValidDate(input.updatedAt)) return ValidationError.at(["updatedAt"], "expected a valid date")
    const names = new Set<string>()
    for (const [index, attachment] of (input.attachments ?? []).entries()) {
      if (typeof attachment.name !== "string" || attachment.name.trim() === "") return ValidationError.at(["attachments", index, "name"], "expected a file name")
      if (names.has(attachment.name)) return ValidationError.at(["attachments", index, "name"], `two attachments are named ${attachment.name}`)
      names.add(attachment.name)
      if (!(attachment.bytes instanceof Uint8Array)) return ValidationError.at(["attachments", index, "bytes"], "expected bytes (a Uint8Array)")
      if (typeof attachment.mediaType !== "string" || attachment.mediaType.trim() === "") return ValidationError.at(["attachments", index, "mediaType"], "expected a media type")
    }
    return undefined
  }

  /** The input checked and its XML parsed: no store involved. */
  const parseInput = (input: SubmissionInput): ValidationError | SubmissionDocument => {
    const inputError = checkInput(input)
    if (inputError !== undefined) return inputError
    const parsed = parseSubmission(input.xml)
    return Result.isFailure(parsed) ? parsed.failure : parsed.success
  }

  /** A form version as ingestion uses it: its id and the (cached) filter of its descriptor. */
  const versionEntry = (version: Partial<FormVersion>): VersionEntry | undefined => {
    if (version.id === undefined) return undefined
    const descriptor = version.formDescriptor as DescriptorNode | undefined
    return {
      id: version.id,
      filter: descriptor === undefined ? undefined : filterOf(version.id, version.createdAt, version.version ?? 0, descriptor)
    }
  }

  /**
   * The reads of one upload, straight from the store; for a restricted actor, its roots and the
   * upload's org unit in one read.
   */
  const directLookups = (actor: Actor, input: SubmissionInput): Lookups => {
    const units = new Map<string, OrgUnit>()
    const asked = new Set<string>()
    const paths: Effect.Effect<ReadonlyArray<string> | undefined, StorageError> =
      actor.orgUnitRoots.length === 0
        ? Effect.succeed(undefined)
        : Effect.map(
            repos.getMany(OrgUnitModel, actor.accountId, [...new Set([...actor.orgUnitRoots, ...(input.orgUnitId === undefined ? [] : [input.orgUnitId])])]),
            (found) => {
              for (const unit of found) units.set(unit.id, unit)
              for (const id of actor.orgUnitRoots) asked.add(id)
              if (input.orgUnitId !== undefined) asked.add(input.orgUnitId)
              return actor.orgUnitRoots.flatMap((id) => {
                const root = units.get(id)
                return root === undefined ? [] : [root.path]
              })
            }
          )
    return {
      form: (id) => repos.get(FormModel, actor.accountId, id),
      version: (form, versionId) =>
        Effect.map(
          orDieValidation(
            repos.list(FormVersionModel, actor.accountId, {
              where: [
                { field: "formId", op: "eq", value: form.id },
                { field: "versionId", op: "eq", value: versionId }
              ],
              limit: 1
            })
          ),
          (page) => (page.items[0] === undefined ? undefined : versionEntry(page.items[0]))
        ),
      project: (id) => repos.get(ProjectModel, actor.accountId, id),
      paths,
      unit: (id) => {
        const unit = units.get(id)
        if (unit !== undefined) return Effect.succeed(unit)
        return asked.has(id) ? Effect.fail(NotFound.of(OrgUnitModel.name, id)) : repos.get(OrgUnitModel, actor.accountId, id)
      },
      units
    }
  }

  /** The period to store and whether it is outside the form's window. */
  const periodOf = (form: Form, period: string | undefined, createdAt: Date): ValidationError | { readonly value?: string; readonly outside: boolean } => {
    if (period === undefined) return { outside: false }
    if (form.periodType === undefined) return ValidationError.at(["period"], `the form ${form.name} has no period type: its submissions have no period`)
    const parsed = parsePeriod(period, ["period"])
    if (Result.isFailure(parsed)) return parsed.failure
    if (parsed.success.type !== form.periodType) {
      return ValidationError.at(["period"], `Wrong period type, expecting: ${form.periodType}. Received type: ${parsed.success.type}`)
    }
    if (form.periodsBeforeAllowed === undefined && form.periodsAfterAllowed === undefined) return { value: parsed.success.value, outside: false }
    const allowed = isPeriodAllowed(form, utcDay(createdAt), parsed.success.value)
    return { value: parsed.success.value, outside: Result.isSuccess(allowed) && !allowed.success }
  }

  /** Every check of an upload, in order, with the reads it needs: what its writes use, or why it is refused. */
  const prepare = (input: SubmissionInput, document: SubmissionDocument, lookups: Lookups): Effect.Effect<Prepared, IngestError> =>
    Effect.gen(function* () {
      const form = yield* lookups.form(input.formId)
      const versionId = document.version
      const version = versionId === undefined || versionId.trim() === "" ? undefined : yield* lookups.version(form, versionId)
      const json = flattenSubmission(document, version?.filter)
      const fromXml = document.instanceId === undefined ? undefined : stripUuidPrefix(document.instanceId.trim())
      const incomingId = fromXml !== undefined && fromXml !== "" ? fromXml : input.uuid
      if (incomingId === undefined || incomingId.trim() === "") {
        return yield* ValidationError.at(["uuid"], "a submission needs an instance id: meta/instanceID in the XML, or a uuid given by the caller")
      }
      const deprecated = document.deprecatedId === undefined ? undefined : stripUuidPrefix(document.deprecatedId.trim())
      const deprecatedId = deprecated === "" ? undefined : deprecated
      const period = periodOf(form, input.period, input.createdAt)
      if (period instanceof ValidationError) return yield* period
      if (input.projectId !== undefined) yield* lookups.project(input.projectId)
      const paths = yield* lookups.paths
      if (input.orgUnitId !== undefined) {
        const unit = yield* lookups.unit(input.orgUnitId)
        if (!reaches(paths, unit)) return yield* new Forbidden({ message: `the org unit ${unit.name} is outside your org units` })
      }
      // Location: the form's location field, else the metadata sent beside the XML.
      const answer = form.locationField === undefined ? undefined : json[form.locationField]
      let place: Place | undefined = typeof answer === "string" && answer.trim() !== "" ? geopointOf(answer) : undefined
      if (place === undefined && input.location !== undefined) {
        const { latitude, longitude, altitude, accuracy } = input.location
        if (!(Math.abs(latitude) <= 90) || !(Math.abs(longitude) <= 180) || (altitude !== undefined && !Number.isFinite(altitude))) {
          return yield* ValidationError.at(["location"], "expected a latitude within [-90, 90], a longitude within [-180, 180] and a finite altitude")
        }
        const rounded = accuracy === undefined ? undefined : accuracyOf(accuracy)
        if (accuracy !== undefined && rounded === undefined) return yield* ValidationError.at(["location", "accuracy"], "expected a non-negative number of metres")
        const location: GeoPoint = { type: "Point", coordinates: [longitude, latitude, altitude ?? 0] }
        place = rounded === undefined ? { location } : { location, accuracy: rounded }
      }
      const deviceAnswer = json[form.deviceField ?? "deviceid"]
      const imeiText = input.device?.imei ?? (typeof deviceAnswer === "string" ? deviceAnswer : undefined)
      const imei = imeiText !== undefined && imeiText.trim() !== "" && imeiText.length <= 250 ? imeiText : undefined
      const attachments = input.attachments ?? []
      const hashes = yield* Effect.forEach(attachments, (attachment) =>
        Effect.map(sha256Hex(attachment.bytes), (sha256) => ({ name: attachment.name, sha256 }))
      )
      return { input, form, version, json, incomingId, deprecatedId, period, paths, units: lookups.units, place, imei, attachments, hashes }
    })

  /** The bytes first (the XML, then each attachment): a committed submission never points at missing bytes. */
  const storeBytes = (upload: Prepared): Effect.Effect<StoredBytes, StorageError, BlobStore> =>
    Effect.gen(function* () {
      const blobs = yield* BlobStore
      const { input, incomingId, attachments } = upload
      const xmlBytes = typeof input.xml === "string" ? new TextEncoder().encode(input.xml) : input.xml
      const xml = yield* blobs.put(xmlBytes, { mediaType: "application/xml", fileName: input.fileName ?? `${incomingId}.xml` })
      const files = yield* Effect.forEach(attachments, (attachment) => blobs.put(attachment.bytes, { mediaType: attachment.mediaType, fileName: attachment.name }))
      return { xml, files }
    })

  /** The first failed item of a bulk write, as a failure. */
  const allWritten = <T>(result: BulkResult<T>): Effect.Effect<ReadonlyArray<T>, WriteError> => {
    const values: Array<T> = []
    for (const item of result.items) {
      if (item._tag === "Failed") return Effect.fail(item.error)
      values.push(item.value)
    }
    return Effect.succeed(values)
  }

  /** Stores the file records of a submission's attachments (all of them or none). */
  const insertFiles = (actor: Actor, files: ReadonlyArray<Readonly<Record<string, unknown>>>) =>
    files.length === 0 ? Effect.succeed([]) : narrowWrite(Effect.flatMap(repos.insertMany(InstanceFileModel, actor.accountId, files), allWritten))

  /**
   * Audit entries for changes of several models in one write, inside the caller's transaction (a
   * refused entry fails the unit of work as {@link audit} does).
   */
  const auditAll = (actor: Actor, source: string, changes: ReadonlyArray<AuditChange>): Effect.Effect<void, StorageError> => {
    if (changes.length === 0) return Effect.void
    const entries = changes.map((change) => ({
      objectModel: change.model.name,
      objectId: change.id,
      source,
      ...(actor.userId === undefined ? {} : { userId: actor.userId }),
      ...(change.before === undefined ? {} : { before: publicEncoding(change.model, change.before) }),
      ...(change.after === undefined ? {} : { after: publicEncoding(change.model, change.after) })
    }))
    return Effect.flatMap(repos.insertMany(AuditEntryModel, actor.accountId, entries), allWritten).pipe(
      Effect.asVoid,
      Effect.catch((error) =>
        error._tag === "StorageError"
          ? Effect.fail(error)
          : Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `audit entry refused: ${error.message}` }))
      )
    )
  }

  /**
   * The devices of IMEIs (the oldest device of an IMEI, else a new one) with their project links,
   * inside the caller's transaction: one read of the devices, one of the links, one write of each
   * kind at most. Devices created are in `created` (for the audit trail), in order of first need.
   */
  const devicesFor = (actor: Actor, wanted: ReadonlyArray<{ readonly imei: string; readonly projectId: ProjectId | undefined }>) =>
    Effect.gen(function* () {
      const ids = new Map<string, DeviceId>()
      const created: Array<Device> = []
      const imeis = [...new Set(wanted.map((entry) => entry.imei))]
      if (imeis.length === 0) return { ids, created }
      for (let start = 0; start < imeis.length; start += IN_CHUNK) {
        const chunk = imeis.slice(start, start + IN_CHUNK)
        const order = { orderBy: [{ field: "createdAt", direction: "asc" }] } as const
        // One IMEI: its oldest device is the first row. Several: every device of those IMEIs, oldest first.
        const found =
          chunk.length === 1
            ? (yield* repos.list(DeviceModel, actor.accountId, { where: [{ field: "imei", op: "eq", value: chunk[0] }], ...order, limit: 1 })).items
            : yield* allPages((cursor) =>
                repos.list(DeviceModel, actor.accountId, {
                  where: [{ field: "imei", op: "in", value: chunk }],
                  ...order,
                  limit: 1000,
                  ...(cursor === undefined ? {} : { cursor })
                })
              )
        for (const device of found) if (device.imei !== undefined && device.id !== undefined && !ids.has(device.imei)) ids.set(device.imei, device.id)
      }
      const missing = imeis.filter((imei) => !ids.has(imei))
      if (missing.length > 0) {
        const inserted = yield* narrowWrite(
          Effect.flatMap(
            repos.insertMany(
              DeviceModel,
              actor.accountId,
              missing.map((imei) => ({ imei, testDevice: false }))
            ),
            allWritten
          )
        )
        for (const device of inserted) {
          created.push(device)
          if (device.imei !== undefined) ids.set(device.imei, device.id)
        }
      }
      // Project links: the (device, project) pairs not linked yet.
      const pairs = new Map<string, { readonly deviceId: DeviceId; readonly projectId: ProjectId }>()
      for (const entry of wanted) {
        const deviceId = ids.get(entry.imei)
        if (entry.projectId !== undefined && deviceId !== undefined) pairs.set(`${deviceId}\u0000${entry.projectId}`, { deviceId, projectId: entry.projectId })
      }
      if (pairs.size > 0) {
        const linked = new Set<string>()
        const list = [...pairs.values()]
        if (list.length === 1 && list[0] !== undefined) {
          // One pair: whether a link exists (one row at most).
          const { deviceId, projectId } = list[0]
          const page = yield* repos.list(DeviceProjectModel, actor.accountId, {
            where: [
              { field: "deviceId", op: "eq", value: deviceId },
              { field: "projectId", op: "eq", value: projectId }
            ],
            select: ["deviceId", "projectId"],
            limit: 1
          })
          if (page.items.length > 0) linked.add(`${deviceId}\u0000${projectId}`)
        } else {
          const deviceIds = [...new Set(list.map((pair) => pair.deviceId))]
          const projectIds = [...new Set(list.map((pair) => pair.projectId))]
          for (let start = 0; start < deviceIds.length; start += IN_CHUNK) {
            const links = yield* allPages((cursor) =>
              repos.list(DeviceProjectModel, actor.accountId, {
                where: [
                  { field: "deviceId", op: "in", value: deviceIds.slice(start, start + IN_CHUNK) },
                  { field: "projectId", op: "in", value: projectIds }
                ],
                select: ["deviceId", "projectId"],
                limit: 1000,
                ...(cursor === undefined ? {} : { cursor })
              })
            )
            for (const link of links) linked.add(`${link.deviceId ?? ""}\u0000${link.projectId ?? ""}`)
          }
        }
        const unlinked = [...pairs.entries()].filter(([key]) => !linked.has(key)).map(([, pair]) => pair)
        if (unlinked.length > 0) yield* narrowWrite(Effect.flatMap(repos.insertMany(DeviceProjectModel, actor.accountId, unlinked), allWritten))
      }
      return { ids, created }
    }).pipe(orDieValidation)

  /** The record of a new submission (the counter value given; the random digit, then the export id, drawn here). */
  const newInstance = (actor: Actor, upload: Prepared, bytes: StoredBytes, sequence: number, deviceId: DeviceId | undefined) =>
    Effect.gen(function* () {
      const { input, form, json, version, place, period, incomingId } = upload
      const userId = actor.userId
      const field = form.correlationField === undefined ? undefined : json[form.correlationField]
      const digit = yield* Random.nextIntBetween(0, 10, { halfOpen: true })
      return {
        uuid: incomingId,
        currentUuid: incomingId,
        exportId: yield* randomExportId,
        correlationId: correlationIdOf(sequence, typeof field === "string" ? field : undefined, digit),
        name: input.name ?? form.name,
        file: bytes.xml,
        ...(input.fileName === undefined ? {} : { fileName: input.fileName }),
        json,
        formId: form.id,
        ...(version === undefined ? {} : { formVersionId: version.id }),
        ...(input.projectId === undefined ? {} : { projectId: input.projectId }),
        ...(input.orgUnitId === undefined ? {} : { orgUnitId: input.orgUnitId }),
        ...(place === undefined ? {} : { location: place.location }),
        ...(place?.accuracy === undefined ? {} : { accuracy: place.accuracy }),
        ...(deviceId === undefined ? {} : { deviceId }),
        ...(period.value === undefined ? {} : { period: period.value }),
        ...(period.outside ? { periodOutsideWindow: true } : {}),
        sourceCreatedAt: input.createdAt,
        ...(input.updatedAt === undefined ? {} : { sourceUpdatedAt: input.updatedAt }),
        ...(userId === undefined ? {} : { createdById: userId, lastModifiedById: userId }),
        deleted: false,
        toExport: false,
        generalValidationStatus: ""
      }
    })

  /** A new submission's writes, inside the caller's transaction. */
  const writeNew = (actor: Actor, upload: Prepared, bytes: StoredBytes) =>
    Effect.gen(function* () {
      const { input, imei, attachments } = upload
      const devices = yield* devicesFor(actor, imei === undefined ? [] : [{ imei, projectId: input.projectId }])
      const sequence = yield* nextSequenceValue(repos, actor.accountId, CORRELATION_SEQUENCE)
      const record = yield* newInstance(actor, upload, bytes, sequence, imei === undefined ? undefined : devices.ids.get(imei))
      const instance = yield* repos.insert(InstanceModel, actor.accountId, record).pipe(
        Effect.catchTags({
          AlreadyExists: (error) =>
            error.constraint === "instance_uuid_unique" || error.constraint === "instance_current_uuid_unique" ? Effect.fail(new AlreadyStored()) : Effect.die(error),
          VersionConflict: (error) => Effect.die(error),
          Conflict: (error) => Effect.die(error)
        })
      )
      const files = yield* insertFiles(
        actor,
        attachments.map((attachment, index) => ({ instanceId: instance.id, name: attachment.name, file: bytes.files[index], deleted: false }))
      )
      yield* auditAll(actor, INGEST_SOURCE, [
        ...devices.created.map((device) => ({ model: DeviceModel, id: device.id, after: device })),
        { model: InstanceModel, id: instance.id, after: instance },
        ...files.map((file) => ({ model: InstanceFileModel, id: file.id, after: file }))
      ])
      return { outcome: "created", instance, files } as const
    })

  /** An edit's writes, inside the caller's transaction: the submission keeps its identity; the replaced content stays in the audit entry. */
  const writeEdit = (actor: Actor, upload: Prepared, bytes: StoredBytes, target: Instance) =>
    Effect.gen(function* () {
      const { input, imei, json, version, place, period, incomingId, attachments, hashes, paths } = upload
      const devices = yield* devicesFor(actor, imei === undefined ? [] : [{ imei, projectId: input.projectId }])
      const deviceId = imei === undefined ? undefined : devices.ids.get(imei)
      const userId = actor.userId
      yield* requireModify(actor, paths, target)
      const patch: Record<string, unknown> = {
        json,
        formVersionId: version === undefined ? null : version.id,
        file: bytes.xml,
        currentUuid: incomingId,
        ...(input.fileName === undefined ? {} : { fileName: input.fileName }),
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.projectId === undefined ? {} : { projectId: input.projectId }),
        ...(input.orgUnitId === undefined ? {} : { orgUnitId: input.orgUnitId }),
        ...(place === undefined ? {} : { location: place.location, accuracy: place.accuracy ?? null }),
        ...(deviceId === undefined ? {} : { deviceId }),
        ...(period.value === undefined ? {} : { period: period.value, periodOutsideWindow: period.outside ? true : null }),
        ...(input.updatedAt === undefined ? {} : { sourceUpdatedAt: input.updatedAt }),
        ...(userId === undefined ? {} : { lastModifiedById: userId })
      }
      const after = yield* repos.update(InstanceModel, actor.accountId, target.id, patch, { expectedVersion: target.version }).pipe(
        Effect.catchTags({
          AlreadyExists: (error) => (error.constraint === "instance_current_uuid_unique" ? Effect.fail(new AlreadyStored()) : Effect.die(error)),
          VersionConflict: (error) => Effect.fail(new StorageError({ reason: "serialization", retryable: true, message: `${error.message}: changed concurrently, run the ingestion again` })),
          NotFound: (error) => Effect.die(error),
          Conflict: (error) => Effect.die(error)
        })
      )
      // Files: incoming ones are added (unless already there); stored ones neither re-sent
      // nor named by an answer any more are soft-deleted (IASO's Enketo rule).
      const stored = yield* liveFiles(actor.accountId, target.id)
      const incoming = new Map(attachments.map((attachment, index) => [attachment.name, { ref: bytes.files[index] as BlobRef, sha256: hashes[index]?.sha256 ?? "" }]))
      const answers = new Set(Object.values(json).filter((value): value is string => typeof value === "string"))
      const kept = new Set<string>()
      const keptFiles: Array<InstanceFile> = []
      const dropped: Array<InstanceFile> = []
      for (const file of stored) {
        const name = file.name ?? ""
        const replacement = incoming.get(name)
        if (replacement !== undefined ? replacement.sha256 === file.file?.sha256 : answers.has(name)) {
          kept.add(name)
          keptFiles.push(file)
        } else dropped.push(file)
      }
      const deleted = yield* Effect.forEach(dropped, (file) =>
        narrowWrite(repos.update(InstanceFileModel, actor.accountId, file.id, { deleted: true }, { expectedVersion: file.version }))
      )
      const added = attachments.filter((attachment) => !kept.has(attachment.name))
      const addedFiles = yield* insertFiles(
        actor,
        added.map((attachment) => ({ instanceId: target.id, name: attachment.name, file: incoming.get(attachment.name)?.ref, deleted: false }))
      )
      yield* auditAll(actor, INGEST_SOURCE, [
        ...devices.created.map((device) => ({ model: DeviceModel, id: device.id, after: device })),
        { model: InstanceModel, id: target.id, before: target, after },
        ...dropped.map((file, index) => ({ model: InstanceFileModel, id: file.id, before: file, after: deleted[index] })),
        ...addedFiles.map((file) => ({ model: InstanceFileModel, id: file.id, after: file }))
      ])
      // The submission's live files now: the kept ones and the added ones, in id order (as listed).
      const files = [...keptFiles, ...addedFiles].sort((a, b) => compareCodePoints(a.id, b.id))
      return { outcome: "edited", instance: after, files } as const
    })

  const ingestOnce = (input: SubmissionInput): Effect.Effect<IngestResult, IngestError | AlreadyStored, CurrentActor | BlobStore> =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const document = parseInput(input)
      if (document instanceof ValidationError) return yield* document
      const upload = yield* prepare(input, document, directLookups(actor, input))
      const { incomingId, deprecatedId } = upload
      const find = yield* instancesByIds(actor.accountId, deprecatedId === undefined ? [incomingId] : [incomingId, deprecatedId], incomingId)
      // Decided before writing anything: re-sends and conflicts store no bytes. The writes below
      // cannot act on a stale decision: a concurrent new submission with the same id meets the
      // unique uuid / current uuid (the ingestion then runs again), a concurrent change of an
      // edited submission meets the optimistic version check.
      const decision = yield* decide(actor, upload, find)
      const settled = yield* settle(actor.accountId, upload, decision)
      if (settled !== undefined) return settled
      const bytes = yield* storeBytes(upload)
      const write: Effect.Effect<IngestResult, IngestError | AlreadyStored> =
        decision.kind === "edit" ? writeEdit(actor, upload, bytes, decision.target) : writeNew(actor, upload, bytes)
      return yield* repos.driver.transaction(write)
    })

  const ingest = (input: SubmissionInput): Effect.Effect<IngestResult, IngestError, CurrentActor | BlobStore> =>
    // Two writers of the same new submission: the loser's insert meets the unique uuid, or, on a
    // store with concurrent writers, the per-account counter the winner advanced; its next run
    // finds the stored submission (a re-send or a conflict).
    ingestOnce(input).pipe(
      Effect.retry({
        times: 2,
        while: (error) => error._tag === "AlreadyStored" || (error._tag === "StorageError" && error.retryable && error.reason === "serialization")
      }),
      Effect.catchTag("AlreadyStored", () =>
        Effect.fail(new StorageError({ reason: "serialization", retryable: true, message: "the submission was stored concurrently twice: run the ingestion again" }))
      )
    )

  // ---------------------------------------------------------------------------
  // Batches
  // ---------------------------------------------------------------------------

  /** One item's result as a bulk item. */
  const itemOf = (index: number, result: Result.Result<IngestResult, IngestError>): IngestItem =>
    Result.isSuccess(result) ? { _tag: "Ok", index, value: result.success } : { _tag: "Failed", index, error: result.failure }

  /** Items ingested one by one, in order, each in its own transaction. */
  const oneByOne = (inputs: ReadonlyArray<SubmissionInput>, indexes: ReadonlyArray<number>, offset: number, results: Array<IngestItem | undefined>) =>
    Effect.forEach(
      indexes,
      (index) =>
        Effect.map(Effect.result(ingest(inputs[index] as SubmissionInput)), (result) => {
          results[offset + index] = itemOf(offset + index, result)
        }),
      { discard: true }
    )

  /** The reads of a batch's uploads, made once for the batch: forms, versions, projects, org units, the actor's roots. */
  const batchLookups = (actor: Actor, inputs: ReadonlyArray<SubmissionInput>, documents: ReadonlyArray<SubmissionDocument | ValidationError>) =>
    Effect.gen(function* () {
      const parsed = inputs.filter((_, index) => !(documents[index] instanceof ValidationError))
      const distinct = <T extends string>(values: ReadonlyArray<T | undefined>): Array<T> => [...new Set(values.filter((value): value is T => value !== undefined))]
      /** Records of these ids (no store call for none). */
      const getAll = <M extends AnyModel>(model: M, ids: ReadonlyArray<string>) => (ids.length === 0 ? Effect.succeed([]) : repos.getMany(model, actor.accountId, ids))
      const forms = new Map((yield* getAll(FormModel, distinct(parsed.map((input) => input.formId)))).map((form) => [form.id as string, form]))
      // Versions: every (form, version) pair the documents name, in one listing per chunk of forms.
      const wanted = new Map<string, Set<string>>()
      inputs.forEach((input, index) => {
        const document = documents[index]
        const versionId = document instanceof ValidationError ? undefined : document?.version
        if (versionId === undefined || versionId.trim() === "" || !forms.has(input.formId)) return
        const set = wanted.get(input.formId) ?? new Set<string>()
        set.add(versionId)
        wanted.set(input.formId, set)
      })
      const versions = new Map<string, VersionEntry>()
      const formIds = [...wanted.keys()]
      const versionIds = distinct([...wanted.values()].flatMap((set) => [...set]))
      for (let start = 0; start < formIds.length; start += IN_CHUNK) {
        for (let from = 0; from < versionIds.length; from += IN_CHUNK) {
          const rows = yield* orDieValidation(
            allPages((cursor) =>
              repos.list(FormVersionModel, actor.accountId, {
                where: [
                  { field: "formId", op: "in", value: formIds.slice(start, start + IN_CHUNK) },
                  { field: "versionId", op: "in", value: versionIds.slice(from, from + IN_CHUNK) }
                ],
                limit: 1000,
                ...(cursor === undefined ? {} : { cursor })
              })
            )
          )
          for (const row of rows) {
            const entry = versionEntry(row)
            if (entry !== undefined && row.formId !== undefined && row.versionId !== undefined) versions.set(`${row.formId}\u0000${row.versionId}`, entry)
          }
        }
      }
      const projects = new Set((yield* getAll(ProjectModel, distinct(parsed.map((input) => input.projectId)))).map((project) => project.id as string))
      // The actor's roots and the uploads' org units in one read.
      const units = new Map(
        (yield* getAll(OrgUnitModel, distinct([...actor.orgUnitRoots, ...parsed.map((input) => input.orgUnitId)]))).map((unit) => [unit.id as string, unit])
      )
      const paths =
        actor.orgUnitRoots.length === 0
          ? undefined
          : actor.orgUnitRoots.flatMap((id) => {
              const root = units.get(id)
              return root === undefined ? [] : [root.path]
            })
      const lookups: Lookups = {
        form: (id) => {
          const form = forms.get(id)
          return form === undefined ? Effect.fail(NotFound.of(FormModel.name, id)) : Effect.succeed(form)
        },
        version: (form, versionId) => Effect.succeed(versions.get(`${form.id}\u0000${versionId}`)),
        project: (id) => (projects.has(id) ? Effect.void : Effect.fail(NotFound.of(ProjectModel.name, id))),
        paths: Effect.succeed(paths),
        unit: (id) => {
          const unit = units.get(id)
          return unit === undefined ? Effect.fail(NotFound.of(OrgUnitModel.name, id)) : Effect.succeed(unit)
        },
        units
      }
      return lookups
    })

  /** The writes of a batch's new submissions, inside one transaction; any refused write fails it all. */
  const writeNewBatch = (actor: Actor, uploads: ReadonlyArray<{ readonly upload: Prepared; readonly bytes: StoredBytes }>) =>
    Effect.gen(function* () {
      const devices = yield* devicesFor(
        actor,
        uploads.flatMap(({ upload }) => (upload.imei === undefined ? [] : [{ imei: upload.imei, projectId: upload.input.projectId }]))
      )
      const first = yield* reserveSequenceValues(repos, actor.accountId, CORRELATION_SEQUENCE, uploads.length)
      const records: Array<unknown> = []
      for (const [k, { upload, bytes }] of uploads.entries()) {
        records.push(yield* newInstance(actor, upload, bytes, first + k, upload.imei === undefined ? undefined : devices.ids.get(upload.imei)))
      }
      const instances = yield* Effect.flatMap(repos.insertMany(InstanceModel, actor.accountId, records), allWritten)
      const fileInputs: Array<{ readonly instanceId: InstanceId; readonly name: string; readonly file: BlobRef | undefined; readonly deleted: false }> = []
      uploads.forEach(({ upload, bytes }, k) => {
        const instance = instances[k] as Instance
        upload.attachments.forEach((attachment, index) => fileInputs.push({ instanceId: instance.id, name: attachment.name, file: bytes.files[index], deleted: false }))
      })
      const files = fileInputs.length === 0 ? [] : yield* Effect.flatMap(repos.insertMany(InstanceFileModel, actor.accountId, fileInputs), allWritten)
      const filesOf: Array<Array<InstanceFile>> = uploads.map(() => [])
      let position = 0
      uploads.forEach(({ upload }, k) => {
        for (let n = 0; n < upload.attachments.length; n++) {
          const file = files[position]
          position += 1
          if (file !== undefined) filesOf[k]?.push(file)
        }
      })
      yield* auditAll(actor, INGEST_SOURCE, [
        ...devices.created.map((device) => ({ model: DeviceModel, id: device.id, after: device })),
        ...instances.flatMap((instance, k) => [
          { model: InstanceModel, id: instance.id, after: instance },
          ...(filesOf[k] ?? []).map((file) => ({ model: InstanceFileModel, id: file.id, after: file }))
        ])
      ])
      return instances.map((instance, k): IngestResult => ({ outcome: "created", instance, files: filesOf[k] ?? [] }))
    })

  /** One chunk of {@link Instances.ingestMany}: results go to `results[offset + index]`. */
  const ingestChunk = (inputs: ReadonlyArray<SubmissionInput>, offset: number, results: Array<IngestItem | undefined>) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const all = inputs.map((_, index) => index)
      const documents = inputs.map(parseInput)
      const planned = yield* Effect.result(
        Effect.gen(function* () {
          const lookups = yield* batchLookups(actor, inputs, documents)
          const uploads: Array<Prepared | undefined> = []
          for (const [index, input] of inputs.entries()) {
            const document = documents[index] as SubmissionDocument | ValidationError
            if (document instanceof ValidationError) {
              results[offset + index] = { _tag: "Failed", index: offset + index, error: document }
              uploads.push(undefined)
              continue
            }
            const prepared = yield* Effect.result(prepare(input, document, lookups))
            if (Result.isSuccess(prepared)) uploads.push(prepared.success)
            else {
              results[offset + index] = { _tag: "Failed", index: offset + index, error: prepared.failure }
              uploads.push(undefined)
            }
          }
          const ids = uploads.flatMap((upload) =>
            upload === undefined ? [] : [upload.incomingId, ...(upload.deprecatedId === undefined ? [] : [upload.deprecatedId])].filter(comparableId)
          )
          const find = yield* instancesByIds(actor.accountId, ids)
          return { uploads, find }
        })
      )
      // The batch's reads failed: every item on its own.
      if (Result.isFailure(planned)) return yield* oneByOne(inputs, all, offset, results)
      const { uploads, find } = planned.success
      // In order: an item naming an instance id an earlier item named (or a submission an earlier
      // item found) depends on that item's outcome, so it runs alone after the batch, as do edits.
      const claimed = new Set<string>()
      const later: Array<number> = []
      const fresh: Array<{ readonly index: number; readonly upload: Prepared }> = []
      for (const [index, upload] of uploads.entries()) {
        if (upload === undefined) continue
        const named = [upload.incomingId, ...(upload.deprecatedId === undefined ? [] : [upload.deprecatedId])]
        const keys = [...named]
        for (const id of named) {
          const found = comparableId(id) ? find(id) : undefined
          if (found?.uuid !== undefined) keys.push(found.uuid)
          if (found?.currentUuid !== undefined) keys.push(found.currentUuid)
        }
        const depends = keys.some((key) => claimed.has(key)) || !named.every(comparableId)
        for (const key of keys) claimed.add(key)
        if (depends) {
          later.push(index)
          continue
        }
        const decided = yield* Effect.result(
          Effect.flatMap(decide(actor, upload, find), (decision) => Effect.map(settle(actor.accountId, upload, decision), (settled) => ({ decision, settled })))
        )
        if (Result.isFailure(decided)) results[offset + index] = { _tag: "Failed", index: offset + index, error: decided.failure }
        else if (decided.success.settled !== undefined) results[offset + index] = { _tag: "Ok", index: offset + index, value: decided.success.settled }
        else if (decided.success.decision.kind === "edit") later.push(index)
        else fresh.push({ index, upload })
      }
      // The new submissions: bytes first, then one transaction for all of them.
      const written: Array<{ readonly index: number; readonly upload: Prepared; readonly bytes: StoredBytes }> = []
      for (const { index, upload } of fresh) {
        const bytes = yield* Effect.result(storeBytes(upload))
        if (Result.isSuccess(bytes)) written.push({ index, upload, bytes: bytes.success })
        else results[offset + index] = { _tag: "Failed", index: offset + index, error: bytes.failure }
      }
      if (written.length > 0) {
        const stored = yield* Effect.result(repos.driver.transaction(writeNewBatch(actor, written)))
        if (Result.isSuccess(stored)) {
          stored.success.forEach((value, k) => {
            const index = offset + (written[k]?.index ?? 0)
            results[index] = { _tag: "Ok", index, value }
          })
        } else {
          // A write was refused (or a concurrent writer got in): the batch rolled back; each of its
          // items on its own gives its own outcome.
          yield* oneByOne(
            inputs,
            written.map((entry) => entry.index),
            offset,
            results
          )
        }
      }
      yield* oneByOne(inputs, later, offset, results)
    })

  const ingestMany = (inputs: ReadonlyArray<SubmissionInput>): Effect.Effect<ReadonlyArray<IngestItem>, never, CurrentActor | BlobStore> =>
    Effect.gen(function* () {
      const results: Array<IngestItem | undefined> = new Array(inputs.length)
      for (let start = 0; start < inputs.length; start += INGEST_BATCH) {
        yield* ingestChunk(inputs.slice(start, start + INGEST_BATCH), start, results)
      }
      const items: Array<IngestItem> = []
      for (const item of results) {
        if (item === undefined) return yield* Effect.die(new Error("ingestMany: an item was left without an outcome"))
        items.push(item)
      }
      return items
    })

  // ---------------------------------------------------------------------------
  // Reads and statuses
  // ---------------------------------------------------------------------------

  const formsOf = (accountId: string, ids: ReadonlyArray<string>) =>
    Effect.map(repos.getMany(FormModel, accountId, [...new Set(ids)]), (forms) => new Map(forms.map((form) => [form.id as string, form])))

  /** Non-deleted submissions sharing (form, period, org unit), counted once per distinct triple. */
  const duplicateCounts = (accountId: string, instances: ReadonlyArray<Instance>, forms: ReadonlyMap<string, Form>) =>
    Effect.gen(function* () {
      const counts = new Map<string, number>()
      for (const instance of instances) {
        const form = instance.formId === undefined ? undefined : forms.get(instance.formId)
        if (form?.singlePerPeriod !== true || instance.period === undefined || instance.period === "") continue
        const key = tripleKey(instance)
        if (counts.has(key)) continue
        const where: Array<FieldCondition> = [
          { field: "formId", op: "eq", value: instance.formId },
          { field: "period", op: "eq", value: instance.period },
          { field: "deleted", op: "eq", value: false },
          instance.orgUnitId === undefined ? { field: "orgUnitId", op: "isNull" } : { field: "orgUnitId", op: "eq", value: instance.orgUnitId }
        ]
        counts.set(key, yield* orDieValidation(repos.count(InstanceModel, accountId, where)))
      }
      return counts
    })

  const tripleKey = (instance: { readonly formId?: string | undefined; readonly period?: string | undefined; readonly orgUnitId?: string | undefined }) =>
    `${instance.formId ?? ""}\u0000${instance.period ?? ""}\u0000${instance.orgUnitId ?? ""}`

  const statusFrom = (instance: Instance, forms: ReadonlyMap<string, Form>, counts: ReadonlyMap<string, number>): InstanceStatus => {
    const form = instance.formId === undefined ? undefined : forms.get(instance.formId)
    if (form?.singlePerPeriod === true && instance.period !== undefined && instance.period !== "") {
      const others = (counts.get(tripleKey(instance)) ?? 0) - (instance.deleted ? 0 : 1)
      if (others >= 1) return "DUPLICATED"
    }
    return instance.lastExportSuccessAt !== undefined ? "EXPORTED" : "READY"
  }

  const searchConditions = (actor: Actor, search: InstanceSearch) =>
    Effect.gen(function* () {
      const where: Array<FieldCondition> = []
      if (search.formId !== undefined) where.push({ field: "formId", op: "eq", value: search.formId })
      if (search.orgUnitId !== undefined) where.push({ field: "orgUnitId", op: "eq", value: search.orgUnitId })
      if (search.period !== undefined) where.push({ field: "period", op: "eq", value: search.period })
      if (search.includeDeleted !== true) where.push({ field: "deleted", op: "eq", value: false })
      // The declared row scope: submissions on units under the actor's roots.
      const extra: ReadonlyArray<Condition> = yield* rowAccess.listConditions(actor, InstanceModel, where)
      return { where, extra }
    })

  const list = (search: InstanceSearch & Omit<ListOptions, "where" | "select"> = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const { formId, orgUnitId, period, includeDeleted, ...options } = search
      const { where, extra } = yield* searchConditions(actor, {
        ...(formId === undefined ? {} : { formId }),
        ...(orgUnitId === undefined ? {} : { orgUnitId }),
        ...(period === undefined ? {} : { period }),
        ...(includeDeleted === undefined ? {} : { includeDeleted })
      })
      const page = yield* repos.list(InstanceModel, actor.accountId, { ...options, where }, extra)
      const instances = page.items as ReadonlyArray<Instance>
      const forms = yield* formsOf(
        actor.accountId,
        instances.flatMap((instance) => (instance.formId === undefined ? [] : [instance.formId]))
      )
      const counts = yield* duplicateCounts(actor.accountId, instances, forms)
      const items = instances.map((instance) => ({ instance, status: statusFrom(instance, forms, counts) }))
      return page.cursor === undefined ? { items } : { items, cursor: page.cursor }
    })

  const countsByStatus = (search: Omit<InstanceSearch, "includeDeleted"> = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const { where, extra } = yield* searchConditions(actor, search)
      const rows = yield* allPages((cursor) =>
        repos.list(
          InstanceModel,
          actor.accountId,
          { where, select: ["formId", "period", "orgUnitId", "lastExportSuccessAt"], limit: 10_000, ...(cursor === undefined ? {} : { cursor }) },
          extra
        )
      )
      const forms = yield* formsOf(
        actor.accountId,
        rows.flatMap((row) => (row.formId === undefined ? [] : [row.formId]))
      )
      const perTriple = new Map<string, number>()
      for (const row of rows) perTriple.set(tripleKey(row), (perTriple.get(tripleKey(row)) ?? 0) + 1)
      const groups = new Map<string, { period?: string; formId: FormId; total: number; duplicated: number; exported: number; ready: number }>()
      for (const row of rows) {
        if (row.formId === undefined) continue
        const key = `${row.period ?? ""}\u0000${row.formId}`
        let group = groups.get(key)
        if (group === undefined) {
          group = { ...(row.period === undefined ? {} : { period: row.period }), formId: row.formId, total: 0, duplicated: 0, exported: 0, ready: 0 }
          groups.set(key, group)
        }
        group.total += 1
        const single = forms.get(row.formId)?.singlePerPeriod === true && row.period !== undefined && row.period !== ""
        if (single && (perTriple.get(tripleKey(row)) ?? 0) > 1) group.duplicated += 1
        else if (row.lastExportSuccessAt !== undefined) group.exported += 1
        else group.ready += 1
      }
      return [...groups.values()].sort((a, b) =>
        (a.period ?? "") < (b.period ?? "") ? -1 : (a.period ?? "") > (b.period ?? "") ? 1 : a.formId < b.formId ? -1 : a.formId > b.formId ? 1 : 0
      ) as ReadonlyArray<StatusCounts>
    })

  const readOne = (id: InstanceId) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const paths = yield* rootPaths(actor)
      return { actor, paths, instance: yield* load(actor, paths, id) }
    })

  // ---------------------------------------------------------------------------
  // Changes: deletion, restoration, locks
  // ---------------------------------------------------------------------------

  const setDeleted = (id: InstanceId, deleted: boolean) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const paths = yield* rootPaths(actor)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* load(actor, paths, id)
          yield* requireModify(actor, paths, before)
          if (before.deleted === deleted) return before
          const after = yield* narrowWrite(
            repos.update(
              InstanceModel,
              actor.accountId,
              id,
              { deleted, ...(actor.userId === undefined ? {} : { lastModifiedById: actor.userId }) },
              { expectedVersion: before.version }
            )
          )
          yield* audit(repos, actor, INSTANCE_API_SOURCE, InstanceModel, [{ id, before, after }])
          return after
        })
      )
    })

  const lock = (id: InstanceId) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const userId = actor.userId
      if (userId === undefined) return yield* new Forbidden({ message: "a lock is taken by a user: this actor has none" })
      const paths = yield* rootPaths(actor)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const instance = yield* load(actor, paths, id)
          if (instance.orgUnitId === undefined) return yield* ValidationError.at(["orgUnitId"], "a submission without an org unit cannot be locked")
          yield* requireModify(actor, paths, instance)
          const unit = yield* repos.get(OrgUnitModel, actor.accountId, instance.orgUnitId)
          let top: string | undefined
          if (actor.orgUnitRoots.length === 0) {
            top = unit.path.split(PATH_SEPARATOR)[0]
          } else {
            const roots = yield* repos.getMany(OrgUnitModel, actor.accountId, actor.orgUnitRoots)
            top = roots
              .filter((root) => unit.path.startsWith(root.path))
              .sort((a, b) => a.depth - b.depth)[0]?.id
          }
          if (top === undefined || top === "") return yield* NotFound.of("Instance", id)
          const created = yield* narrowWrite(
            repos.insert(InstanceLockModel, actor.accountId, { instanceId: instance.id, lockedAt: yield* now, lockedById: userId, topOrgUnitId: top as OrgUnitId })
          )
          yield* audit(repos, actor, INSTANCE_API_SOURCE, InstanceLockModel, [{ id: created.id, after: created }])
          return created
        })
      )
    })

  const unlock = (lockId: InstanceLockId) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const userId = actor.userId
      if (userId === undefined) return yield* new Forbidden({ message: "a lock is released by a user: this actor has none" })
      const paths = yield* rootPaths(actor)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* repos.get(InstanceLockModel, actor.accountId, lockId)
          const instance = yield* load(actor, paths, before.instanceId)
          yield* requireModify(actor, paths, instance)
          if (before.unlockedById !== undefined) return yield* ValidationError.at(["lock"], "Lock already unlocked")
          const after = yield* narrowWrite(
            repos.update(InstanceLockModel, actor.accountId, lockId, { unlockedById: userId, unlockedAt: yield* now }, { expectedVersion: before.version })
          )
          yield* audit(repos, actor, INSTANCE_API_SOURCE, InstanceLockModel, [{ id: lockId, before, after }])
          return after
        })
      )
    })

  return {
    ingest,
    ingestMany,
    get: (id: InstanceId) => Effect.map(readOne(id), ({ instance }) => instance),
    files: (id: InstanceId) => Effect.flatMap(readOne(id), ({ actor, instance }) => liveFiles(actor.accountId, instance.id)),
    list,
    status: (id: InstanceId) =>
      Effect.gen(function* () {
        const { actor, instance } = yield* readOne(id)
        const forms = yield* formsOf(actor.accountId, instance.formId === undefined ? [] : [instance.formId])
        const counts = yield* duplicateCounts(actor.accountId, [instance], forms)
        return statusFrom(instance, forms, counts)
      }),
    countsByStatus,
    softDelete: (id: InstanceId) => setDeleted(id, true),
    restore: (id: InstanceId) => setDeleted(id, false),
    lock,
    unlock,
    locks: (id: InstanceId) =>
      Effect.gen(function* () {
        const { actor, instance } = yield* readOne(id)
        const all = yield* orDieValidation(
          allPages((cursor) =>
            repos.list(InstanceLockModel, actor.accountId, {
              where: [{ field: "instanceId", op: "eq", value: instance.id }],
              orderBy: [{ field: "lockedAt", direction: "desc" }],
              limit: 1000,
              ...(cursor === undefined ? {} : { cursor })
            })
          )
        )
        return all as ReadonlyArray<InstanceLock>
      }),
    canModify: (id: InstanceId) => Effect.flatMap(readOne(id), ({ actor, paths, instance }) => mayModify(actor, paths, instance))
  }
}

/** Internal: the insert of a new submission met a concurrent writer's (the ingestion runs again). */
class AlreadyStored extends Data.TaggedError("AlreadyStored")<{}> {}

