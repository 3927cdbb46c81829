/**
 * The mobile bulk upload ({@link Instances | Instances.importMobileBulkUpload}): what a phone sends
 * when it syncs its unsent work in one zip (IASO's `POST /api/mobile/bulkupload/`). The archive holds
 * sections, imported in IASO's order, each in its own unit of work (a failed section rolls back
 * alone; the sections before it stay committed):
 *
 * 1. `orgUnits.json` (optional): org units the app created offline, created in the account's
 *    default version as `NEW`, `custom`, with their mobile `uuid`, creation time and location; a
 *    uuid the default version already holds is skipped.
 * 2. `instances.json` (optional): the submissions' metadata (IASO's mobile keys: `id`, `file`,
 *    `formId`, `orgUnitId`, `period`, `created_at`, `updated_at`, `latitude`, `longitude`,
 *    `altitude`, `accuracy`, `planningId`, `entityUuid`, `entityTypeId`, `name`), each with a folder
 *    named by its `id` holding the XML (named as the basename of `file`) and its attachments (every
 *    other file not ending in `.xml`; stray `.xml` files are ignored). New submissions are ingested
 *    as {@link Instances | Instances.ingestMany} does (entities linked); a stored one is refreshed
 *    (XML, answers, `sourceUpdatedAt`, last modifier) only when the incoming `updated_at` is later
 *    than its `sourceUpdatedAt`, audited with the source {@link BULK_UPLOAD_SOURCE}; when it is the
 *    attributes of a deleted entity merged into another, the surviving entity's attributes are
 *    refreshed the same way when older. New attachments are added (a file already there with the
 *    same name and bytes is not added twice); a submission with a `serie_id` answer gives its new
 *    attachments to the other submissions of its form with the same `serie_id` (IASO's Trypelim rule).
 * 3. `storageLogs.json` (optional): the operations logged on storage devices (IASO's mobile log
 *    keys: `id`, `storage_id`, `storage_type`, `operation_type`, `instances`, `org_unit_id`,
 *    `entity_id` or `entity_uuid`, `performed_at`), imported as `Storages.importLogs`
 *    does, as the uploading user; a submission is named by its mobile `id` (this upload's, else a
 *    stored uuid), an org unit as in `instances.json`.
 * 4. `stockLedgerItems.json`, `changeRequests.json`: not supported yet; their presence fails the
 *    upload with `Unsupported` naming the section, after the sections before it committed (as
 *    IASO's task errors at a failing section).
 *
 * IASO's integer ids in the JSON (form `"1"`, org unit `"4"`, type `"5"`, entity type `"1"`) are
 * mapped to the SDK's ids through the `foreignIds` option; any other value is taken as an id of
 * the SDK (an org unit reference may also be a mobile org-unit uuid of the default version).
 * @module
 */
import { Effect, Result } from "effect"
import { EntityModel } from "../entities/entity.ts"
import { MAX_MERGE_CHAIN } from "../entities/entity-find.ts"
import { narrowErrors, orDieOnInvalidListing, versionConflictAsRetryable } from "../kernel/expect.ts"
import type { ServiceWriteError } from "../kernel/repos.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import type { BlobRef, BlobStore } from "../shared/blob.ts"
import type { EntityTypeId, FormId, InstanceId, OrgUnitId, OrgUnitTypeId, PlanningId, ProjectId, SourceVersionId, UserId } from "../shared/entity-ids.ts"
import { Forbidden, type Interrupted, NotFound, Unsupported, ValidationError } from "../shared/errors.ts"
import type { GeoPoint } from "../shared/geometry.ts"
import { isUuid } from "../shared/ids.ts"
import { admitJson, type JsonValue } from "../shared/json.ts"
import { type LongOperationOptions, longOperation } from "../shared/progress.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { textProblem } from "../shared/text.ts"
import { fromMobileTimestamp } from "../shared/time.ts"
import { makeStorageAccess } from "../storage/storage-access.ts"
import { makeStorageLogImport, type StorageLogImportResult, type StorageLogInput } from "../storage/storage-log-import.ts"
import { Actor, CurrentActor } from "../tenancy/actor.ts"
import { AccountModel } from "../tenancy/account.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { BULK_UPLOAD_LIMITS, type BulkUploadFiles, type BulkUploadLimits, mediaTypeOf, readBulkUpload } from "./bulk-archive.ts"
import type { Ingest } from "./ingest.ts"
import type { IngestItem } from "./ingest-batch.ts"
import type { Prepared } from "./ingest-checks.ts"
import type { SubmissionAttachment, SubmissionInput } from "./ingest-types.ts"
import { type IngestWrites, storeBytes } from "./ingest-writes.ts"
import { type Instance, type InstanceFile, InstanceFileModel, InstanceModel } from "./instance-model.ts"
import { stripUuidPrefix } from "./odk-xml.ts"
import { parseSubmission } from "./odk-xml-read.ts"
import { allWritten, reaches, type SubmissionAccess } from "./submission-access.ts"

/** Audit source of the changes a bulk upload makes to stored submissions (IASO's `BULK_UPLOAD`). */
export const BULK_UPLOAD_SOURCE = "BULK_UPLOAD"

/** Sections of IASO's bulk upload this SDK does not import yet (in IASO's order). */
export const UNSUPPORTED_BULK_SECTIONS = ["stockLedgerItems.json", "changeRequests.json"] as const

/**
 * IASO's ids found in a bulk upload's JSON, mapped to the SDK's: each map takes the text the JSON
 * holds (`"1"`) to an id of the account. A value no map names is taken as the SDK's own id.
 */
export interface ForeignIds {
  readonly forms?: { readonly [iasoId: string]: FormId }
  readonly orgUnits?: { readonly [iasoId: string]: OrgUnitId }
  readonly orgUnitTypes?: { readonly [iasoId: string]: OrgUnitTypeId }
  readonly entityTypes?: { readonly [iasoId: string]: EntityTypeId }
  readonly plannings?: { readonly [iasoId: string]: PlanningId }
}

/** Options of {@link Instances | Instances.importMobileBulkUpload}. */
export interface MobileBulkUploadOptions extends LongOperationOptions {
  /** The project (mobile app) the upload comes from; or give its `appId`. */
  readonly projectId?: ProjectId
  /** The mobile app id of the project the upload comes from (IASO's `app_id`). */
  readonly appId?: string
  /** IASO's integer ids in the JSON, mapped to the SDK's (see {@link ForeignIds}). */
  readonly foreignIds?: ForeignIds
  /** The archive's limits; {@link BULK_UPLOAD_LIMITS} by default. */
  readonly limits?: BulkUploadLimits
}

/** What happened to one element of `instances.json`. */
export interface BulkUploadInstance {
  /** The element's `id` (the mobile app's id of the submission). */
  readonly id: string
  /**
   * `created`: a new submission; `edited`: an ODK edit of a stored one; `updated`: a stored one
   * refreshed by a later `updated_at`; `skipped`: stored, and not older than the upload;
   * `unchanged`: a re-send of what is stored.
   */
  readonly outcome: "created" | "edited" | "updated" | "skipped" | "unchanged"
  readonly instanceId: InstanceId
}

/** What {@link Instances | Instances.importMobileBulkUpload} did. */
export interface MobileBulkUploadResult {
  /** The org units `orgUnits.json` created, and how many it named that were already stored. */
  readonly orgUnits: { readonly created: ReadonlyArray<OrgUnit>; readonly skipped: number }
  /** Each element of `instances.json`, in order. */
  readonly instances: ReadonlyArray<BulkUploadInstance>
  /** Attachments added to submissions already stored, and copies made through `serie_id`. */
  readonly filesAdded: number
  /** What `storageLogs.json` did (nothing when the section is absent). */
  readonly storageLogs: StorageLogImportResult
}

/** Errors of a bulk upload: an org unit's creation's, an ingestion's, `Unsupported` and `Interrupted`. */
export type MobileBulkUploadError = ServiceWriteError | Interrupted

type Json = { readonly [key: string]: JsonValue }

const at = (section: string, index: number, key: string, message: string) => ValidationError.at([section, index, key], message)

/** A text value of the JSON (a number is written in digits), `undefined` when absent or null. */
const textOf = (value: JsonValue | undefined): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined

const numberOf = (value: JsonValue | undefined): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

/** A section's array of objects, parsed and bounded, or a `ValidationError` at the section. */
const sectionItems = (files: ReadonlyMap<string, Uint8Array>, section: string): ReadonlyArray<Json> | undefined | ValidationError => {
  const bytes = files.get(section)
  if (bytes === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes))
  } catch (error) {
    return ValidationError.at([section], `not JSON: ${error instanceof Error ? error.message : String(error)}`)
  }
  const admitted = admitJson(parsed, [section])
  if (admitted instanceof ValidationError) return admitted
  if (!Array.isArray(admitted)) return ValidationError.at([section], "expected an array of objects")
  for (const [index, item] of admitted.entries()) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return ValidationError.at([section, index], "expected an object")
    // Every text of a section is stored as text (ids, names, uuids): one storage would refuse is refused here.
    for (const [key, value] of Object.entries(item)) {
      const texts = typeof value === "string" ? [value] : Array.isArray(value) ? value.filter((x): x is string => typeof x === "string") : []
      for (const text of texts) {
        const problem = textProblem(text)
        if (problem !== undefined) return ValidationError.at([section, index, key], problem)
      }
    }
  }
  return admitted as ReadonlyArray<Json>
}

/** The basename of a device path (`/storage/.../x.xml` gives `x.xml`). */
const basename = (path: string): string => path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1)

/** A mapped id: the map's entry for the text, else the text itself. */
const mapped = <T extends string>(map: { readonly [key: string]: T } | undefined, value: string): string =>
  map !== undefined && Object.hasOwn(map, value) ? (map[value] as T) : value

/** The bulk upload, over the ingestion. */
export const makeMobileBulkUpload = (
  repos: Repositories,
  access: SubmissionAccess,
  one: Ingest,
  writes: IngestWrites,
  ingestMany: (inputs: ReadonlyArray<SubmissionInput>) => Effect.Effect<ReadonlyArray<IngestItem>, Interrupted, CurrentActor | BlobStore>
) => {
  const { auditAll } = writes
  const { liveFiles } = access
  const logImport = makeStorageLogImport(repos, makeStorageAccess(repos))

  /** The project of the upload: by id or app id, in the actor's account. */
  const projectOf = (actor: Actor, options: MobileBulkUploadOptions) =>
    Effect.gen(function* () {
      if (options.projectId !== undefined) return yield* repos.get(ProjectModel, actor.accountId, options.projectId)
      if (options.appId !== undefined) {
        const page = yield* repos
          .list(ProjectModel, actor.accountId, { where: [{ field: "appId", op: "eq", value: options.appId }], limit: 1 })
          .pipe(orDieOnInvalidListing(ProjectModel))
        const project = page.items[0]
        if (project === undefined) return yield* NotFound.of(ProjectModel.name, options.appId)
        return project
      }
      return yield* ValidationError.at(["projectId"], "a bulk upload needs its project: give projectId or appId")
    })

  /** An org unit named by an id of the account or a mobile uuid of the default version (`known`: created by this upload). */
  const unitOf = (actor: Actor, ref: string, known: ReadonlyMap<string, OrgUnit>) =>
    Effect.gen(function* () {
      const fresh = known.get(ref)
      if (fresh !== undefined) return fresh
      if (isUuid(ref)) {
        const byId = (yield* repos.getMany(OrgUnitModel, actor.accountId, [ref]))[0]
        if (byId !== undefined) return byId
      }
      return (yield* one.unitsByUuid(actor.accountId, [ref])).get(ref)
    })

  /** Section 1: `orgUnits.json`, in one unit of work. */
  const importOrgUnits = (actor: Actor, items: ReadonlyArray<Json>, options: MobileBulkUploadOptions) =>
    Effect.gen(function* () {
      const section = "orgUnits.json"
      const account = yield* repos.get(AccountModel, actor.accountId, actor.accountId)
      const versionId = account.defaultVersionId as SourceVersionId | undefined
      if (versionId === undefined) return yield* ValidationError.at([section], "the account has no default version to create org units in")
      const paths = yield* access.rootPaths(actor)
      const units = yield* OrgUnits
      const created: Array<OrgUnit> = []
      const known = new Map<string, OrgUnit>()
      let skipped = 0
      for (const [index, item] of items.entries()) {
        const uuid = textOf(item["id"])
        const name = textOf(item["name"])
        if (name === undefined || name.trim() === "") return yield* at(section, index, "name", "expected the org unit's name")
        if (uuid !== undefined && (known.has(uuid) || (yield* one.unitsByUuid(actor.accountId, [uuid])).has(uuid))) {
          skipped += 1
          continue
        }
        const parentRef = textOf(item["parentId"] ?? item["parent_id"])
        let parentId: OrgUnitId | undefined
        if (parentRef !== undefined && parentRef !== "") {
          const parent = yield* unitOf(actor, mapped(options.foreignIds?.orgUnits, parentRef), known)
          if (parent === undefined) return yield* NotFound.of(OrgUnitModel.name, parentRef)
          if (!reaches(paths, parent)) return yield* new Forbidden({ message: `the org unit ${parent.name} is outside your org units` })
          parentId = parent.id
        } else if (paths !== undefined) return yield* new Forbidden({ message: "a restricted actor cannot create a root org unit" })
        const typeRef = textOf(item["orgUnitTypeId"] ?? item["org_unit_type_id"])
        const createdAt = item["created_at"] === undefined || item["created_at"] === null ? undefined : numberOf(item["created_at"])
        const sourceCreatedAt = createdAt === undefined ? undefined : fromMobileTimestamp(createdAt)
        if (createdAt !== undefined && sourceCreatedAt === undefined)
          return yield* at(section, index, "created_at", "expected a timestamp in seconds or milliseconds")
        const latitude = numberOf(item["latitude"])
        const longitude = numberOf(item["longitude"])
        let location: GeoPoint | undefined
        if (latitude !== undefined && longitude !== undefined) {
          if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180)
            return yield* at(section, index, "latitude", "expected a latitude within [-90, 90] and a longitude within [-180, 180]")
          location = { type: "Point", coordinates: [longitude, latitude, numberOf(item["altitude"]) ?? 0] }
        }
        // The actor's reach is checked above; the unit is created with the host's rights (a field
        // worker holds no registry permission: IASO's mobile upload needs none).
        const unit = yield* Effect.provideService(
          units.create({
            name,
            versionId,
            custom: true,
            validationStatus: "NEW",
            ...(uuid === undefined ? {} : { uuid }),
            ...(parentId === undefined ? {} : { parentId }),
            ...(typeRef === undefined || typeRef === "" ? {} : { orgUnitTypeId: mapped(options.foreignIds?.orgUnitTypes, typeRef) as OrgUnitTypeId }),
            ...(sourceCreatedAt === undefined ? {} : { sourceCreatedAt }),
            ...(actor.userId === undefined ? {} : { creatorId: actor.userId as UserId }),
            ...(location === undefined ? {} : { location })
          }),
          CurrentActor,
          Actor.system(actor.accountId)
        )
        created.push(unit)
        if (uuid !== undefined) known.set(uuid, unit)
      }
      return { created, skipped }
    })

  /** One element of `instances.json` as an upload, with its folder's files. */
  const inputOf = (
    files: ReadonlyMap<string, Uint8Array>,
    item: Json,
    index: number,
    projectId: ProjectId,
    options: MobileBulkUploadOptions
  ): Result.Result<{ readonly id: string; readonly input: SubmissionInput }, ValidationError> => {
    const section = "instances.json"
    const fail = (key: string, message: string) => Result.fail(at(section, index, key, message))
    const id = textOf(item["id"])
    if (id === undefined || id.trim() === "" || id.includes("/")) return fail("id", "expected the submission's id (its folder's name)")
    const file = textOf(item["file"])
    if (file === undefined || basename(file) === "") return fail("file", "expected the submission's file name")
    const fileName = basename(file)
    const xml = files.get(`${id}/${fileName}`)
    if (xml === undefined) return fail("file", `the upload holds no ${id}/${fileName}`)
    const formRef = textOf(item["formId"])
    if (formRef === undefined) return fail("formId", "expected the submission's form")
    const timestamp = (key: string): Date | undefined | "invalid" => {
      const value = item[key]
      if (value === undefined || value === null) return undefined
      const n = numberOf(value)
      return (n === undefined ? undefined : fromMobileTimestamp(n)) ?? "invalid"
    }
    const createdAt = timestamp("created_at")
    const updatedAt = timestamp("updated_at")
    if (createdAt === "invalid") return fail("created_at", "expected a timestamp in seconds or milliseconds")
    if (updatedAt === "invalid") return fail("updated_at", "expected a timestamp in seconds or milliseconds")
    const created = createdAt ?? updatedAt
    if (created === undefined) return fail("created_at", "expected when the device created the submission (created_at or updated_at)")
    const attachments: Array<SubmissionAttachment> = []
    const prefix = `${id}/`
    for (const [path, bytes] of files) {
      if (!path.startsWith(prefix)) continue
      const name = path.slice(prefix.length)
      if (name.includes("/") || name.toLowerCase().endsWith(".xml")) continue
      attachments.push({ name, bytes, mediaType: mediaTypeOf(name) })
    }
    attachments.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const latitude = numberOf(item["latitude"])
    const longitude = numberOf(item["longitude"])
    const altitude = numberOf(item["altitude"])
    const accuracy = item["accuracy"]
    if (accuracy !== undefined && accuracy !== null && numberOf(accuracy) === undefined) return fail("accuracy", "expected a number of metres")
    const orgUnitRef = textOf(item["orgUnitId"])
    const period = textOf(item["period"])
    const planningRef = textOf(item["planningId"])
    const entityUuid = textOf(item["entityUuid"])
    const entityTypeRef = textOf(item["entityTypeId"])
    const name = textOf(item["name"])
    // The XML's instance id is the submission's identity; the mobile id names it when the XML has none.
    const parsed = parseSubmission(xml)
    const instanceId = Result.isSuccess(parsed) ? parsed.success.instanceId : undefined
    const input: SubmissionInput = {
      xml,
      attachments,
      formId: mapped(options.foreignIds?.forms, formRef) as FormId,
      createdAt: created,
      ...(updatedAt === undefined ? {} : { updatedAt }),
      projectId,
      fileName,
      ...(instanceId === undefined || stripUuidPrefix(instanceId.trim()) === "" ? { uuid: id } : {}),
      ...(name === undefined ? {} : { name }),
      ...(orgUnitRef === undefined || orgUnitRef === "" ? {} : { orgUnitId: mapped(options.foreignIds?.orgUnits, orgUnitRef) }),
      ...(period === undefined || period === "" ? {} : { period }),
      ...(planningRef === undefined || planningRef === "" ? {} : { planningId: mapped(options.foreignIds?.plannings, planningRef) as PlanningId }),
      ...(entityUuid === undefined || entityUuid === "" ? {} : { entityUuid }),
      ...(entityTypeRef === undefined || entityTypeRef === "" ? {} : { entityTypeId: mapped(options.foreignIds?.entityTypes, entityTypeRef) as EntityTypeId }),
      ...(latitude === undefined || longitude === undefined
        ? {}
        : {
            location: {
              latitude,
              longitude,
              ...(altitude === undefined ? {} : { altitude }),
              ...(accuracy === undefined || accuracy === null ? {} : { accuracy: numberOf(accuracy) as number })
            }
          })
    }
    return Result.succeed({ id, input })
  }

  /** Adds the files not already live on the submission (same name and bytes), audited; answers those added. */
  const addFiles = (actor: Actor, instanceId: InstanceId, incoming: ReadonlyArray<{ readonly name: string; readonly file: BlobRef }>) =>
    Effect.gen(function* () {
      if (incoming.length === 0) return [] as ReadonlyArray<InstanceFile>
      const live = yield* liveFiles(actor.accountId, instanceId)
      const have = new Set(live.map((file) => `${file.name ?? ""}\u0000${file.file?.sha256 ?? ""}`))
      const fresh = incoming.filter((file) => !have.has(`${file.name}\u0000${file.file.sha256}`))
      if (fresh.length === 0) return [] as ReadonlyArray<InstanceFile>
      const added = yield* narrowErrors(
        Effect.flatMap(
          repos.insertMany(
            InstanceFileModel,
            actor.accountId,
            fresh.map((file) => ({ instanceId, name: file.name, file: file.file, deleted: false }))
          ),
          allWritten
        ),
        ["AlreadyExists", "VersionConflict", "Conflict", "NotFound", "ValidationError"],
        "a file record of a stored submission was refused"
      )
      yield* auditAll(
        actor,
        BULK_UPLOAD_SOURCE,
        added.map((file) => ({ model: InstanceFileModel, id: file.id, after: file }))
      )
      return added
    })

  /** A stored submission refreshed with an upload's XML and answers (its `updated_at` is later), audited. */
  const refresh = (actor: Actor, target: Instance, upload: Prepared, xml: BlobRef) =>
    Effect.gen(function* () {
      const { input, json, version } = upload
      const patch: Record<string, unknown> = {
        json,
        file: xml,
        formVersionId: version === undefined ? null : version.id,
        ...(input.fileName === undefined ? {} : { fileName: input.fileName }),
        ...(input.updatedAt === undefined ? {} : { sourceUpdatedAt: input.updatedAt }),
        ...(actor.userId === undefined ? {} : { lastModifiedById: actor.userId })
      }
      const after = yield* narrowErrors(
        versionConflictAsRetryable(repos.update(InstanceModel, actor.accountId, target.id, patch, { expectedVersion: target.version }), "the bulk upload"),
        ["AlreadyExists", "NotFound", "Conflict", "ValidationError"],
        "the refresh of a submission just read met a unique key, a missing record or a rule"
      )
      yield* auditAll(actor, BULK_UPLOAD_SOURCE, [{ model: InstanceModel, id: target.id, before: target, after }])
      return after
    })

  /** Whether `incoming` is later than what the stored submission was last updated at on its device. */
  const newer = (incoming: Date | undefined, stored: Instance) =>
    incoming !== undefined && (stored.sourceUpdatedAt === undefined || incoming.getTime() > stored.sourceUpdatedAt.getTime())

  /**
   * The attributes submission of the entity `attributes` is the attributes of, when that entity is
   * deleted and merged: the surviving entity's (followed over merges), else `undefined`.
   */
  const mergedAttributes = (actor: Actor, attributes: Instance) =>
    Effect.gen(function* () {
      const owners = yield* repos
        .list(EntityModel, actor.accountId, { where: [{ field: "attributesId", op: "eq", value: attributes.id }], limit: 1 })
        .pipe(orDieOnInvalidListing(EntityModel))
      let entity = owners.items[0]
      if (entity?.deletedAt === undefined || entity.mergedToId === undefined) return undefined
      for (let step = 0; step < MAX_MERGE_CHAIN && entity.deletedAt !== undefined && entity.mergedToId !== undefined; step++) {
        entity = yield* repos.get(EntityModel, actor.accountId, entity.mergedToId)
      }
      if (entity.deletedAt !== undefined || entity.attributesId === undefined || entity.attributesId === attributes.id) return undefined
      return yield* repos.get(InstanceModel, actor.accountId, entity.attributesId)
    })

  /** Section 2: `instances.json`, in one unit of work. */
  const importInstances = (
    actor: Actor,
    files: ReadonlyMap<string, Uint8Array>,
    items: ReadonlyArray<Json>,
    projectId: ProjectId,
    options: MobileBulkUploadOptions
  ) =>
    Effect.gen(function* () {
      const elements: Array<{ readonly id: string; readonly input: SubmissionInput }> = []
      for (const [index, item] of items.entries()) {
        const element = inputOf(files, item, index, projectId, options)
        if (Result.isFailure(element)) return yield* element.failure
        elements.push(element.success)
      }
      // Stored submissions, by the instance id each XML names (one read for the section).
      const ids = elements.map(({ input }) => {
        const parsed = parseSubmission(input.xml)
        const fromXml = Result.isSuccess(parsed) && parsed.success.instanceId !== undefined ? stripUuidPrefix(parsed.success.instanceId.trim()) : ""
        return fromXml !== "" ? fromXml : (input.uuid ?? "")
      })
      const find = yield* one.instancesByIds(
        actor.accountId,
        ids.filter((id) => id !== "")
      )
      const outcomes: Array<BulkUploadInstance | undefined> = elements.map(() => undefined)
      const fresh: Array<number> = []
      const touched: Array<{ readonly instance: Instance; readonly files: ReadonlyArray<InstanceFile> }> = []
      let filesAdded = 0
      for (const [k, { id, input }] of elements.entries()) {
        const stored = ids[k] === "" ? undefined : find(ids[k] as string)
        if (stored === undefined) {
          fresh.push(k)
          continue
        }
        const upload = yield* one.prepareUpload(actor, input)
        if (!(yield* access.sees(actor, upload.paths, stored, upload.units))) {
          return yield* new Forbidden({ message: `the submission ${stored.uuid ?? stored.id} is outside your org units` })
        }
        const bytes = yield* storeBytes(upload)
        let instance = stored
        if (newer(input.updatedAt, stored)) {
          instance = yield* refresh(actor, stored, upload, bytes.xml)
          const survivor = yield* mergedAttributes(actor, stored)
          if (survivor !== undefined && newer(input.updatedAt, survivor)) yield* refresh(actor, survivor, upload, bytes.xml)
        }
        const added = yield* addFiles(
          actor,
          instance.id,
          upload.attachments.map((attachment, index) => ({ name: attachment.name, file: bytes.files[index] as BlobRef }))
        )
        filesAdded += added.length
        touched.push({ instance, files: added })
        outcomes[k] = { id, outcome: instance === stored ? "skipped" : "updated", instanceId: stored.id }
      }
      const inputs = fresh.map((k) => (elements[k] as { readonly input: SubmissionInput }).input)
      const results = inputs.length === 0 ? [] : yield* ingestMany(inputs)
      for (const [n, result] of results.entries()) {
        const k = fresh[n] as number
        const id = (elements[k] as { readonly id: string }).id
        if (result._tag === "Failed") {
          const error = result.error
          return yield* error._tag === "ValidationError" ? ValidationError.at(["instances.json", k], error.message) : Effect.fail(error)
        }
        const { outcome, instance, files: stored } = result.value
        outcomes[k] = { id, outcome, instanceId: instance.id }
        if (outcome === "created") touched.push({ instance, files: stored })
      }
      filesAdded += yield* copyAlongSeries(actor, touched)
      return { instances: outcomes.filter((outcome): outcome is BulkUploadInstance => outcome !== undefined), filesAdded }
    })

  /**
   * IASO's Trypelim rule: the new attachments of a submission answering `serie_id` are copied onto
   * the other submissions of its form with the same `serie_id` (one scan of the form's submissions,
   * ids and answers only). Answers how many copies were made.
   */
  const copyAlongSeries = (actor: Actor, touched: ReadonlyArray<{ readonly instance: Instance; readonly files: ReadonlyArray<InstanceFile> }>) =>
    Effect.gen(function* () {
      const withSeries = touched.filter(
        ({ instance, files }) => files.length > 0 && typeof instance.json?.["serie_id"] === "string" && instance.formId !== undefined
      )
      if (withSeries.length === 0) return 0
      const forms = [...new Set(withSeries.map(({ instance }) => instance.formId as string))]
      const rows = yield* listAll((page) => repos.list(InstanceModel, actor.accountId, page), {
        where: [{ field: "formId", op: "in", value: forms }],
        select: ["id", "formId", "json"]
      }).pipe(orDieOnInvalidListing(InstanceModel))
      let copies = 0
      for (const { instance, files } of withSeries) {
        const serie = instance.json?.["serie_id"]
        for (const row of rows) {
          if (row.id === instance.id || row.formId !== instance.formId || row.json?.["serie_id"] !== serie) continue
          const added = yield* addFiles(
            actor,
            row.id as InstanceId,
            files.flatMap((file) => (file.file === undefined ? [] : [{ name: file.name ?? "", file: file.file }]))
          )
          copies += added.length
        }
      }
      return copies
    })

  /**
   * Section 3: `storageLogs.json`, in its own unit of work, as the uploading user: IASO's keys
   * read, org units mapped as `instances.json`'s are, submissions by this upload's mobile ids first.
   */
  const importStorageLogs = (
    actor: Actor,
    items: ReadonlyArray<Json>,
    createdUnits: ReadonlyArray<OrgUnit>,
    uploaded: ReadonlyArray<BulkUploadInstance>,
    options: MobileBulkUploadOptions
  ) =>
    Effect.gen(function* () {
      if (actor.userId === undefined) return yield* new Forbidden({ message: "importing storage logs needs an actor that is a user" })
      const known = new Map(createdUnits.flatMap((unit) => (unit.uuid === undefined ? [] : [[unit.uuid, unit] as const])))
      const inputs: Array<StorageLogInput> = []
      for (const item of items) {
        const unitRef = textOf(item["org_unit_id"])
        const unit = unitRef === undefined || unitRef === "" ? undefined : mapped(options.foreignIds?.orgUnits, unitRef)
        const resolved = unit === undefined ? undefined : ((yield* unitOf(actor, unit, known))?.id ?? unit)
        const instances = item["instances"]
        inputs.push({
          id: textOf(item["id"]) ?? "",
          storageId: textOf(item["storage_id"]) ?? "",
          storageType: textOf(item["storage_type"]) ?? "",
          operationType: textOf(item["operation_type"]) ?? "",
          instances: Array.isArray(instances) ? instances.flatMap((uuid) => (typeof uuid === "string" ? [uuid] : [])) : [],
          ...(resolved === undefined ? {} : { orgUnitId: resolved as OrgUnitId }),
          ...(textOf(item["entity_id"] ?? item["entity_uuid"]) === undefined ? {} : { entityUuid: textOf(item["entity_id"] ?? item["entity_uuid"]) ?? "" }),
          performedAt: numberOf(item["performed_at"]) ?? Number.NaN
        })
      }
      const instanceIds = new Map(uploaded.map((item) => [item.id, item.instanceId] as const))
      return yield* repos.driver.transaction(logImport.importAll(actor, actor.userId, inputs, { at: ["storageLogs.json"], instanceIds }))
    })

  const importMobileBulkUpload = (
    input: BulkUploadFiles,
    options: MobileBulkUploadOptions
  ): Effect.Effect<MobileBulkUploadResult, MobileBulkUploadError, CurrentActor | BlobStore | OrgUnits> =>
    longOperation("upload", options, (progress) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const read = readBulkUpload(input, options.limits ?? BULK_UPLOAD_LIMITS)
        if (Result.isFailure(read)) return yield* read.failure
        const files = read.success
        yield* progress.report("read", files.size, files.size)
        const project = yield* projectOf(actor, options)
        const orgUnitItems = sectionItems(files, "orgUnits.json")
        if (orgUnitItems instanceof ValidationError) return yield* orgUnitItems
        const instanceItems = sectionItems(files, "instances.json")
        if (instanceItems instanceof ValidationError) return yield* instanceItems
        const logItems = sectionItems(files, "storageLogs.json")
        if (logItems instanceof ValidationError) return yield* logItems
        const sections = (orgUnitItems === undefined ? 0 : 1) + (instanceItems === undefined ? 0 : 1) + (logItems === undefined ? 0 : 1)
        let done = 0
        const orgUnits =
          orgUnitItems === undefined ? { created: [], skipped: 0 } : yield* repos.driver.transaction(importOrgUnits(actor, orgUnitItems, options))
        if (orgUnitItems !== undefined) yield* progress.report("write", ++done, sections)
        const instances =
          instanceItems === undefined
            ? { instances: [], filesAdded: 0 }
            : yield* repos.driver.transaction(importInstances(actor, files, instanceItems, project.id, options))
        if (instanceItems !== undefined) yield* progress.report("write", ++done, sections)
        const storageLogs =
          logItems === undefined
            ? { created: [], skipped: [], devicesCreated: [], blacklisted: [] }
            : yield* importStorageLogs(actor, logItems, orgUnits.created, instances.instances, options)
        if (logItems !== undefined) yield* progress.report("write", ++done, sections)
        const unsupported = UNSUPPORTED_BULK_SECTIONS.find((section) => files.has(section))
        if (unsupported !== undefined) {
          return yield* new Unsupported({
            message: `the bulk upload's section ${unsupported} is not supported yet; the sections before it (org units: ${orgUnits.created.length} created, submissions: ${instances.instances.length}) were imported and stay committed`
          })
        }
        return { orgUnits, instances: instances.instances, filesAdded: instances.filesAdded, storageLogs }
      })
    )

  return { importMobileBulkUpload }
}
