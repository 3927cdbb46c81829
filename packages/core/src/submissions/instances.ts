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
import { FormVersionModel } from "../forms/form-version.ts"
import { isPeriodAllowed, parsePeriod } from "../forms/periods.ts"
import { type OrgUnit, OrgUnitModel, PATH_SEPARATOR } from "../registry/org-unit.ts"
import { audit, Repos } from "../services.ts"
import { type BlobRef, BlobStore, sha256Hex } from "../shared/blob.ts"
import { accuracyOf, type DecimalString } from "../shared/decimal.ts"
import type { DeviceId, FormId, FormVersionId, InstanceId, InstanceLockId, OrgUnitId, ProjectId } from "../shared/entity-ids.ts"
import { Conflict, Forbidden, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import type { GeoPoint } from "../shared/geometry.ts"
import type { JsonObject, JsonValue } from "../shared/json.ts"
import type { Condition } from "../shared/query.ts"
import { allPages, type FieldCondition, type ListOptions, type Repositories, type ResultPage, type WriteError } from "../shared/repository.ts"
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
import { nextSequenceValue } from "./sequence.ts"

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

/** A bounded cache of the filters of form versions (keyed by version record id and record version). */
const filters = new Map<string, SubmissionFilter>()
const filterOf = (id: string, recordVersion: number, descriptor: DescriptorNode): SubmissionFilter => {
  const key = `${id}:${recordVersion}`
  const cached = filters.get(key)
  if (cached !== undefined) return cached
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
  | { readonly kind: "unchanged"; readonly instance: Instance }
  | { readonly kind: "conflict"; readonly error: Conflict }
  | { readonly kind: "new" }
  | { readonly kind: "edit"; readonly target: Instance }

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
  // ---------------------------------------------------------------------------
  // Access
  // ---------------------------------------------------------------------------

  /** The paths of the actor's org-unit roots, or `undefined` for an unrestricted actor. */
  const rootPaths = (actor: Actor): Effect.Effect<ReadonlyArray<string> | undefined, StorageError> =>
    actor.orgUnitRoots.length === 0
      ? Effect.succeed(undefined)
      : Effect.map(repos.getMany(OrgUnitModel, actor.accountId, actor.orgUnitRoots), (roots) => roots.map((root) => root.path))

  const reaches = (paths: ReadonlyArray<string> | undefined, unit: OrgUnit): boolean => paths === undefined || paths.some((path) => unit.path.startsWith(path))

  /** Whether the actor sees a submission: unrestricted actors see all; restricted ones those under their org units. */
  const sees = (actor: Actor, paths: ReadonlyArray<string> | undefined, instance: Instance) =>
    Effect.gen(function* () {
      if (paths === undefined) return true
      if (instance.orgUnitId === undefined) return false
      const [unit] = yield* repos.getMany(OrgUnitModel, actor.accountId, [instance.orgUnitId])
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

  const findBy = (accountId: string, field: "currentUuid" | "uuid", value: string) =>
    Effect.map(
      orDieValidation(repos.list(InstanceModel, accountId, { where: [{ field, op: "eq", value }], limit: 1 })),
      (page) => page.items[0] as Instance | undefined
    )

  /** The submission whose current instance id, else whose first uuid, is `id`. */
  const findByInstanceId = (accountId: string, id: string) =>
    Effect.flatMap(findBy(accountId, "currentUuid", id), (found) => (found !== undefined ? Effect.succeed(found) : findBy(accountId, "uuid", id)))

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

  /** Whether the submission's stored content (answers and files) is the incoming one. */
  const sameContent = (accountId: string, instance: Instance, json: JsonObject, hashes: ReadonlyArray<{ readonly name: string; readonly sha256: string }>) =>
    Effect.gen(function* () {
      if (canonical(instance.json) !== canonical(json)) return false
      const files = yield* liveFiles(accountId, instance.id)
      return (
        fileSignature(files.map((file) => ({ name: file.name ?? "", sha256: file.file?.sha256 ?? "" }))) === fileSignature(hashes)
      )
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

  /** What to do with an incoming submission, given what is stored. */
  const decide = (
    actor: Actor,
    paths: ReadonlyArray<string> | undefined,
    formId: string,
    incomingId: string,
    deprecatedId: string | undefined,
    json: JsonObject,
    hashes: ReadonlyArray<{ readonly name: string; readonly sha256: string }>
  ): Effect.Effect<Decision, Forbidden | StorageError> =>
    Effect.gen(function* () {
      const hidden = (instance: Instance) => new Forbidden({ message: `the submission ${instance.uuid ?? instance.id} is outside your org units` })
      const existing = yield* findByInstanceId(actor.accountId, incomingId)
      if (existing !== undefined) {
        if (!(yield* sees(actor, paths, existing))) return yield* hidden(existing)
        const conflict = (why: string): Decision => ({ kind: "conflict", error: new Conflict({ model: "Instance", id: existing.id, message: `submission uuid:${incomingId}: ${why}` }) })
        if (existing.formId !== formId) return conflict("already stored for another form")
        if (currentId(existing) === incomingId) {
          return (yield* sameContent(actor.accountId, existing, json, hashes)) ? { kind: "unchanged", instance: existing } : conflict("already stored with other content")
        }
        return (yield* inHistory(actor.accountId, existing, incomingId, json))
          ? { kind: "unchanged", instance: existing }
          : conflict(`already stored, and since replaced by the edit uuid:${currentId(existing) ?? ""}`)
      }
      if (deprecatedId !== undefined) {
        const target = yield* findByInstanceId(actor.accountId, deprecatedId)
        if (target !== undefined) {
          if (!(yield* sees(actor, paths, target))) return yield* hidden(target)
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

  /** The form version the document names, with its filter, if the form has it. */
  const versionOf = (accountId: string, form: Form, document: SubmissionDocument) =>
    Effect.gen(function* () {
      const versionId = document.version
      if (versionId === undefined || versionId.trim() === "") return undefined
      const page = yield* orDieValidation(
        repos.list(FormVersionModel, accountId, {
          where: [
            { field: "formId", op: "eq", value: form.id },
            { field: "versionId", op: "eq", value: versionId }
          ],
          limit: 1
        })
      )
      const version = page.items[0]
      if (version === undefined || version.id === undefined) return undefined
      const descriptor = version.formDescriptor as DescriptorNode | undefined
      return {
        id: version.id as FormVersionId,
        filter: descriptor === undefined ? undefined : filterOf(version.id, version.version ?? 0, descriptor)
      }
    })

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

  /** The device of an IMEI, found or created (with its project link), inside the caller's transaction. */
  const deviceFor = (actor: Actor, imei: string, projectId: ProjectId | undefined) =>
    Effect.gen(function* () {
      const page = yield* orDieValidation(
        repos.list(DeviceModel, actor.accountId, {
          where: [{ field: "imei", op: "eq", value: imei }],
          orderBy: [{ field: "createdAt", direction: "asc" }],
          limit: 1
        })
      )
      let device = page.items[0] as Device | undefined
      if (device === undefined) {
        device = yield* narrowWrite(repos.insert(DeviceModel, actor.accountId, { imei, testDevice: false }))
        yield* audit(repos, actor, INGEST_SOURCE, DeviceModel, [{ id: device.id, after: device }])
      }
      if (projectId !== undefined) {
        const links = yield* repos.count(DeviceProjectModel, actor.accountId, [
          { field: "deviceId", op: "eq", value: device.id },
          { field: "projectId", op: "eq", value: projectId }
        ])
        if (links === 0) yield* narrowWrite(repos.insert(DeviceProjectModel, actor.accountId, { deviceId: device.id, projectId }))
      }
      return device.id as DeviceId
    }).pipe(orDieValidation)

  const ingestOnce = (input: SubmissionInput): Effect.Effect<IngestResult, IngestError | AlreadyStored, CurrentActor | BlobStore> =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const inputError = checkInput(input)
      if (inputError !== undefined) return yield* inputError
      const parsed = parseSubmission(input.xml)
      if (Result.isFailure(parsed)) return yield* parsed.failure
      const document = parsed.success
      const form = yield* repos.get(FormModel, actor.accountId, input.formId)
      const version = yield* versionOf(actor.accountId, form, document)
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
      if (input.projectId !== undefined) yield* repos.get(ProjectModel, actor.accountId, input.projectId)
      const paths = yield* rootPaths(actor)
      if (input.orgUnitId !== undefined) {
        const unit = yield* repos.get(OrgUnitModel, actor.accountId, input.orgUnitId)
        if (!reaches(paths, unit)) return yield* new Forbidden({ message: `the org unit ${unit.name} is outside your org units` })
      }
      // Location: the form's location field, else the metadata sent beside the XML.
      const answer = form.locationField === undefined ? undefined : json[form.locationField]
      let place: { readonly location: GeoPoint; readonly accuracy?: DecimalString } | undefined =
        typeof answer === "string" && answer.trim() !== "" ? geopointOf(answer) : undefined
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

      // Decided before writing anything: re-sends and conflicts store no bytes. The writes below
      // cannot act on a stale decision: a concurrent new submission with the same id meets the
      // unique uuid / current uuid (the ingestion then runs again), a concurrent change of an
      // edited submission meets the optimistic version check.
      const decision = yield* decide(actor, paths, form.id, incomingId, deprecatedId, json, hashes)
      if (decision.kind === "unchanged") return { outcome: "unchanged", instance: decision.instance, files: yield* liveFiles(actor.accountId, decision.instance.id) } as const
      if (decision.kind === "conflict") return yield* decision.error
      if (input.uuid !== undefined && input.uuid !== incomingId && (decision.kind !== "edit" || decision.target.uuid !== input.uuid)) {
        return yield* ValidationError.at(["uuid"], `the uuid ${input.uuid} differs from the submission's instance id uuid:${incomingId}`)
      }

      // The bytes first: a committed submission never points at missing bytes.
      const blobs = yield* BlobStore
      const xmlBytes = typeof input.xml === "string" ? new TextEncoder().encode(input.xml) : input.xml
      const xmlRef = yield* blobs.put(xmlBytes, { mediaType: "application/xml", fileName: input.fileName ?? `${incomingId}.xml` })
      const refs = yield* Effect.forEach(attachments, (attachment) => blobs.put(attachment.bytes, { mediaType: attachment.mediaType, fileName: attachment.name }))

      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const deviceId = imei === undefined ? undefined : yield* deviceFor(actor, imei, input.projectId)
          const userId = actor.userId
          if (decision.kind === "new") {
            const sequence = yield* nextSequenceValue(repos, actor.accountId, CORRELATION_SEQUENCE)
            const field = form.correlationField === undefined ? undefined : json[form.correlationField]
            const digit = yield* Random.nextIntBetween(0, 10, { halfOpen: true })
            const instance = yield* repos
              .insert(InstanceModel, actor.accountId, {
                uuid: incomingId,
                currentUuid: incomingId,
                exportId: yield* randomExportId,
                correlationId: correlationIdOf(sequence, typeof field === "string" ? field : undefined, digit),
                name: input.name ?? form.name,
                file: xmlRef,
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
              })
              .pipe(
                Effect.catchTags({
                  AlreadyExists: (error) =>
                    error.constraint === "instance_uuid_unique" || error.constraint === "instance_current_uuid_unique" ? Effect.fail(new AlreadyStored()) : Effect.die(error),
                  VersionConflict: (error) => Effect.die(error),
                  Conflict: (error) => Effect.die(error)
                })
              )
            const files =
              attachments.length === 0
                ? undefined
                : yield* narrowWrite(
                    repos.insertMany(
                      InstanceFileModel,
                      actor.accountId,
                      attachments.map((attachment, index) => ({ instanceId: instance.id, name: attachment.name, file: refs[index], deleted: false })),
                      { atomic: true }
                    )
                  )
            const created = files === undefined ? [] : files.items.flatMap((item) => (item._tag === "Ok" ? [item.value] : []))
            yield* audit(repos, actor, INGEST_SOURCE, InstanceModel, [{ id: instance.id, after: instance }])
            yield* audit(repos, actor, INGEST_SOURCE, InstanceFileModel, created.map((file) => ({ id: file.id, after: file })))
            return { outcome: "created", instance, files: created } as const
          }
          // An edit: the submission keeps its identity; the replaced content stays in the audit entry.
          const target = decision.target
          yield* requireModify(actor, paths, target)
          const patch: Record<string, unknown> = {
            json,
            formVersionId: version === undefined ? null : version.id,
            file: xmlRef,
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
          const incoming = new Map(attachments.map((attachment, index) => [attachment.name, { ref: refs[index] as BlobRef, sha256: hashes[index]?.sha256 ?? "" }]))
          const answers = new Set(Object.values(json).filter((value): value is string => typeof value === "string"))
          const kept = new Set<string>()
          const dropped: Array<InstanceFile> = []
          for (const file of stored) {
            const name = file.name ?? ""
            const replacement = incoming.get(name)
            if (replacement !== undefined ? replacement.sha256 === file.file?.sha256 : answers.has(name)) kept.add(name)
            else dropped.push(file)
          }
          const deleted = yield* Effect.forEach(dropped, (file) =>
            narrowWrite(repos.update(InstanceFileModel, actor.accountId, file.id, { deleted: true }, { expectedVersion: file.version }))
          )
          const added = attachments.filter((attachment) => !kept.has(attachment.name))
          const inserted = yield* narrowWrite(
            repos.insertMany(
              InstanceFileModel,
              actor.accountId,
              added.map((attachment) => ({ instanceId: target.id, name: attachment.name, file: incoming.get(attachment.name)?.ref, deleted: false })),
              { atomic: true }
            )
          )
          const addedFiles = inserted.items.flatMap((item) => (item._tag === "Ok" ? [item.value] : []))
          yield* audit(repos, actor, INGEST_SOURCE, InstanceModel, [{ id: target.id, before: target, after }])
          yield* audit(repos, actor, INGEST_SOURCE, InstanceFileModel, [
            ...dropped.map((file, index) => ({ id: file.id, before: file, after: deleted[index] })),
            ...addedFiles.map((file) => ({ id: file.id, after: file }))
          ])
          return { outcome: "edited", instance: after, files: yield* liveFiles(actor.accountId, target.id) } as const
        })
      )
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

  /** The conditions restricting submissions to the actor's org units (ids of every unit under its roots). */
  const visibleUnits = (actor: Actor) =>
    Effect.gen(function* () {
      if (actor.orgUnitRoots.length === 0) return undefined
      const roots = yield* repos.getMany(OrgUnitModel, actor.accountId, actor.orgUnitRoots)
      const ids: Array<string> = []
      for (const root of roots) {
        const units = yield* orDieValidation(
          allPages((cursor) => repos.subtree(OrgUnitModel, actor.accountId, root.path, { select: ["id"], limit: 10_000, ...(cursor === undefined ? {} : { cursor }) }))
        )
        for (const unit of units) if (unit.id !== undefined) ids.push(unit.id)
      }
      return ids
    })

  const searchConditions = (actor: Actor, search: InstanceSearch) =>
    Effect.gen(function* () {
      const where: Array<FieldCondition> = []
      if (search.formId !== undefined) where.push({ field: "formId", op: "eq", value: search.formId })
      if (search.orgUnitId !== undefined) where.push({ field: "orgUnitId", op: "eq", value: search.orgUnitId })
      if (search.period !== undefined) where.push({ field: "period", op: "eq", value: search.period })
      if (search.includeDeleted !== true) where.push({ field: "deleted", op: "eq", value: false })
      const units = yield* visibleUnits(actor)
      const extra: ReadonlyArray<Condition> = units === undefined ? [] : [{ field: "orgUnitId", op: "in", value: units }]
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

