/**
 * The checks of an upload before anything is written: the input and its XML, the form and its
 * version, the instance ids, the period, the org unit, the location, the device and the
 * attachments' hashes. The reads they need come through {@link Lookups}: straight from the store
 * for one upload, from reads made once for a batch.
 * @module
 */
import { Effect, Result } from "effect"
import type { DescriptorNode } from "../forms/descriptor.ts"
import type { Form } from "../forms/form.ts"
import type { FormVersion } from "../forms/form-version.ts"
import { isPeriodAllowed, parsePeriod } from "../forms/periods.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import { sha256Hex } from "../shared/blob.ts"
import { accuracyOf, type DecimalString } from "../shared/decimal.ts"
import type { EntityType } from "../entities/entity.ts"
import type { EntityKey } from "../entities/entity-find.ts"
import type { EntityTypeId, FormId, FormVersionId, OrgUnitId, PlanningId, ProjectId } from "../shared/entity-ids.ts"
import { Forbidden, NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { isUuid } from "../shared/ids.ts"
import type { GeoPoint } from "../shared/geometry.ts"
import type { JsonObject } from "../shared/json.ts"
import type { IngestError, SubmissionAttachment, SubmissionInput } from "./ingest-types.ts"
import { flattenSubmission, stripUuidPrefix, type SubmissionDocument, type SubmissionFilter, submissionFilter, submissionReader } from "./odk-xml.ts"
import { reaches } from "./submission-access.ts"

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
const filters = new Map<string, SubmissionFilter | null>()

/** The cache key of a form version record (see {@link filters}). */
const filterKey = (id: string, createdAt: Date | undefined, recordVersion: number): string => `${id}:${createdAt?.getTime() ?? ""}:${recordVersion}`

/** A filter (or `null`: a version without descriptor) made the most recently used. */
const remember = (key: string, filter: SubmissionFilter | null): void => {
  filters.delete(key)
  if (filters.size >= 256) {
    const oldest = filters.keys().next()
    if (oldest.done !== true) filters.delete(oldest.value)
  }
  filters.set(key, filter)
}

const filterOf = (key: string, descriptor: DescriptorNode | undefined): SubmissionFilter | undefined => {
  const cached = filters.get(key)
  if (cached !== undefined) {
    // Most recently used last.
    remember(key, cached)
    return cached ?? undefined
  }
  const filter = descriptor === undefined ? null : submissionFilter(descriptor)
  remember(key, filter)
  return filter ?? undefined
}

/** The fields of a form version that {@link knownVersionEntry} needs (its descriptor left in the store). */
export const VERSION_KEY_FIELDS = ["formId", "versionId", "createdAt", "version"] as const

/**
 * The entry of a form version from its id, creation time and record version alone, when its
 * filter is cached (`undefined`: read the whole record and use {@link versionEntry}).
 */
export const knownVersionEntry = (version: Pick<Partial<FormVersion>, "id" | "createdAt" | "version">): VersionEntry | undefined => {
  if (version.id === undefined) return undefined
  const key = filterKey(version.id, version.createdAt, version.version ?? 0)
  const cached = filters.get(key)
  if (cached === undefined) return undefined
  remember(key, cached)
  return { id: version.id, filter: cached ?? undefined }
}

/** A location and its accuracy, from the form's location field or the metadata sent beside the XML. */
export type Place = { readonly location: GeoPoint; readonly accuracy?: DecimalString }

/** A form version as ingestion uses it: its id and the filter of its descriptor. */
export interface VersionEntry {
  readonly id: FormVersionId
  readonly filter: SubmissionFilter | undefined
}

/**
 * The reads the checks of an upload need: straight from the store for one upload, answered from
 * reads made once for the whole batch by {@link Instances | Instances.ingestMany}.
 */
export interface Lookups {
  readonly form: (id: FormId) => Effect.Effect<Form, NotFound | StorageError>
  readonly version: (form: Form, versionId: string) => Effect.Effect<VersionEntry | undefined, StorageError>
  readonly project: (id: ProjectId) => Effect.Effect<unknown, NotFound | StorageError>
  readonly paths: Effect.Effect<ReadonlyArray<string> | undefined, StorageError>
  readonly unit: (id: OrgUnitId) => Effect.Effect<OrgUnit, NotFound | StorageError>
  /** The org unit of the account's default version with this mobile `uuid`, if any. */
  readonly unitByUuid: (uuid: string) => Effect.Effect<OrgUnit | undefined, StorageError>
  readonly entityType: (id: EntityTypeId) => Effect.Effect<EntityType, NotFound | StorageError>
  readonly planning: (id: PlanningId) => Effect.Effect<unknown, NotFound | StorageError>
  /** The org units these reads have read so far, by id (not read again to check access to a stored submission). */
  readonly units: ReadonlyMap<string, OrgUnit>
}

/** An upload that passed its checks: everything its writes need. */
export interface Prepared {
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
  /** The org unit, resolved from the input's id or mobile uuid. */
  readonly orgUnitId: OrgUnitId | undefined
  /** The entity the upload names (both its uuid and its type were given), with its type. */
  readonly entity: { readonly key: EntityKey; readonly type: EntityType } | undefined
  readonly imei: string | undefined
  readonly attachments: ReadonlyArray<SubmissionAttachment>
  readonly hashes: ReadonlyArray<{ readonly name: string; readonly sha256: string }>
}

/** The input's dates and attachments checked (its XML is parsed after). */
const checkInput = (input: SubmissionInput): ValidationError | undefined => {
  if (!isValidDate(input.createdAt)) return ValidationError.at(["createdAt"], "expected a valid date: when the device created the submission")
  if (input.updatedAt !== undefined && !isValidDate(input.updatedAt)) return ValidationError.at(["updatedAt"], "expected a valid date")
  const names = new Set<string>()
  for (const [index, attachment] of (input.attachments ?? []).entries()) {
    if (typeof attachment.name !== "string" || attachment.name.trim() === "") return ValidationError.at(["attachments", index, "name"], "expected a file name")
    if (names.has(attachment.name)) return ValidationError.at(["attachments", index, "name"], `two attachments are named ${attachment.name}`)
    names.add(attachment.name)
    if (!(attachment.bytes instanceof Uint8Array)) return ValidationError.at(["attachments", index, "bytes"], "expected bytes (a Uint8Array)")
    if (typeof attachment.mediaType !== "string" || attachment.mediaType.trim() === "")
      return ValidationError.at(["attachments", index, "mediaType"], "expected a media type")
  }
  if (input.entityUuid !== undefined && !isUuid(input.entityUuid.toLowerCase())) return ValidationError.at(["entityUuid"], "expected a UUID")
  if (input.entityTypeId !== undefined && !isUuid(input.entityTypeId)) return ValidationError.at(["entityTypeId"], "expected an entity type id")
  if (input.planningId !== undefined && !isUuid(input.planningId)) return ValidationError.at(["planningId"], "expected a planning id")
  if (input.orgUnitId !== undefined && (typeof input.orgUnitId !== "string" || input.orgUnitId.trim() === "" || input.orgUnitId.includes("\u0000")))
    return ValidationError.at(["orgUnitId"], "expected an org unit id or uuid")
  return undefined
}

/**
 * The input checked and its XML parsed: no store involved (the XML reader is loaded on first use:
 * `StorageError` when it cannot be).
 */
export const parseInput = (input: SubmissionInput): Effect.Effect<ValidationError | SubmissionDocument, StorageError> =>
  Effect.map(submissionReader, ({ parseSubmission }) => {
    const inputError = checkInput(input)
    if (inputError !== undefined) return inputError
    const parsed = parseSubmission(input.xml)
    return Result.isFailure(parsed) ? parsed.failure : parsed.success
  })

/** A form version as ingestion uses it: its id and the (cached) filter of its descriptor. */
export const versionEntry = (version: Partial<FormVersion>): VersionEntry | undefined => {
  if (version.id === undefined) return undefined
  const descriptor = version.formDescriptor as DescriptorNode | undefined
  return { id: version.id, filter: filterOf(filterKey(version.id, version.createdAt, version.version ?? 0), descriptor) }
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
export const prepare = (input: SubmissionInput, document: SubmissionDocument, lookups: Lookups): Effect.Effect<Prepared, IngestError> =>
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
    let orgUnitId: OrgUnitId | undefined
    if (input.orgUnitId !== undefined) {
      const ref = input.orgUnitId
      // An id of the account's units, else a mobile uuid in the default version (IASO's rule).
      const byId = isUuid(ref) ? yield* Effect.catchTag(lookups.unit(ref as OrgUnitId), "NotFound", () => Effect.succeed(undefined)) : undefined
      const unit = byId ?? (yield* lookups.unitByUuid(ref))
      if (unit === undefined) return yield* NotFound.of("OrgUnit", ref)
      if (!reaches(paths, unit)) return yield* new Forbidden({ message: `the org unit ${unit.name} is outside your org units` })
      orgUnitId = unit.id
    }
    if (input.planningId !== undefined) yield* lookups.planning(input.planningId)
    const entity =
      input.entityUuid !== undefined && input.entityTypeId !== undefined
        ? { key: { uuid: input.entityUuid.toLowerCase(), entityTypeId: input.entityTypeId }, type: yield* lookups.entityType(input.entityTypeId) }
        : undefined
    // Location: the form's location field, else the metadata sent beside the XML.
    const answer = form.locationField === undefined ? undefined : json[form.locationField]
    let place: Place | undefined = typeof answer === "string" && answer.trim() !== "" ? geopointOf(answer) : undefined
    if (place === undefined && input.location !== undefined) {
      const { latitude, longitude, altitude, accuracy } = input.location
      if (!(Math.abs(latitude) <= 90) || !(Math.abs(longitude) <= 180) || (altitude !== undefined && !Number.isFinite(altitude))) {
        return yield* ValidationError.at(["location"], "expected a latitude within [-90, 90], a longitude within [-180, 180] and a finite altitude")
      }
      const rounded = accuracy === undefined ? undefined : accuracyOf(accuracy)
      if (accuracy !== undefined && rounded === undefined)
        return yield* ValidationError.at(["location", "accuracy"], "expected a non-negative number of metres")
      const location: GeoPoint = { type: "Point", coordinates: [longitude, latitude, altitude ?? 0] }
      place = rounded === undefined ? { location } : { location, accuracy: rounded }
    }
    const deviceAnswer = json[form.deviceField ?? "deviceid"]
    const imeiText = input.device?.imei ?? (typeof deviceAnswer === "string" ? deviceAnswer : undefined)
    const imei = imeiText !== undefined && imeiText.trim() !== "" && imeiText.length <= 250 ? imeiText : undefined
    const attachments = input.attachments ?? []
    const hashes = yield* Effect.forEach(attachments, (attachment) => Effect.map(sha256Hex(attachment.bytes), (sha256) => ({ name: attachment.name, sha256 })))
    return { input, form, version, json, incomingId, deprecatedId, period, paths, units: lookups.units, place, orgUnitId, entity, imei, attachments, hashes }
  })
