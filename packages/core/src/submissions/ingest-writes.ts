/**
 * The writes of an ingestion: the bytes in the {@link BlobStore} first, then, inside the caller's
 * transaction, the record of a new submission (its correlation and export ids drawn here) or the
 * changes of an edit (the files kept, added and dropped), with their devices and audit entries.
 * @module
 */
import { Data, Effect, Random, Schema } from "effect"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { DeviceModel } from "../devices/devices.ts"
import { type Entity, EntityModel } from "../entities/entity.ts"
import type { EntityChoice } from "../entities/entity-find.ts"
import { publicEncoding } from "../kernel/audit.ts"
import { applyWorkflowChanges } from "../entities/workflow-apply.ts"
import { WorkflowChangeModel } from "../entities/workflow.ts"
import { narrowErrors, orDieOnInvalidListing, versionConflictAsRetryable } from "../kernel/expect.ts"
import { Repos } from "../kernel/repos.ts"
import { type BlobRef, BlobStore } from "../shared/blob.ts"
import type { DeviceId } from "../shared/entity-ids.ts"
import { type AlreadyExists, StorageError } from "../shared/errors.ts"
import type { AnyModel, Row } from "../shared/model.ts"
import { findIn, type Repositories, scopeOf } from "../shared/repository.ts"
import type { WriteOutcome } from "../shared/store.ts"
import { encodeNewRecords } from "../shared/writes.ts"
import { compareCodePoints } from "../shared/text.ts"
import { type Actor, CurrentActor } from "../tenancy/actor.ts"
import type { Prepared } from "./ingest-checks.ts"
import { INGEST_SOURCE } from "./ingest-types.ts"
import { BigIntDigits, type Instance, type InstanceFile, InstanceFileModel, InstanceModel } from "./instance-model.ts"
import { allWritten, narrowWrite, type SubmissionAccess } from "./submission-access.ts"
import { devicesFor } from "./submission-devices.ts"

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

/**
 * A DHIS2-style uid (a letter then 10 letters or digits) from `random`: the draws
 * `Random.nextIntBetween(0, n, { halfOpen: true })` makes, without an effect per character.
 */
const exportIdOf = (random: Random.Random): string => {
  let id = EXPORT_ID_FIRST.charAt(Math.floor(random.nextDoubleUnsafe() * EXPORT_ID_FIRST.length))
  for (let i = 0; i < 10; i++) id += EXPORT_ID_REST.charAt(Math.floor(random.nextDoubleUnsafe() * EXPORT_ID_REST.length))
  return id
}

/** The stored bytes of an upload: its XML and each attachment, in order. */
export interface StoredBytes {
  readonly xml: BlobRef
  readonly files: ReadonlyArray<BlobRef>
}

/** A change to record in the audit trail. */
export interface AuditChange {
  readonly model: AnyModel
  readonly id: string
  readonly before?: unknown
  readonly after?: unknown
}

/** Internal: the insert of a new submission met a concurrent writer's (the ingestion runs again). */
export class AlreadyStored extends Data.TaggedError("AlreadyStored")<Record<never, never>> {}

/**
 * A submission's insert or update that met one of the unique keys `uuids` (its uuid, its current
 * uuid): a concurrent writer stored the same submission first, and the ingestion runs again.
 */
const storedConcurrently = (uuids: ReadonlyArray<string>) => (error: AlreadyExists) =>
  Effect.fail<AlreadyStored | AlreadyExists>(uuids.includes(error.constraint) ? new AlreadyStored() : error)

/** The bytes first (the XML, then each attachment): a committed submission never points at missing bytes. */
export const storeBytes = (upload: Prepared): Effect.Effect<StoredBytes, StorageError, BlobStore> =>
  Effect.gen(function* () {
    const blobs = yield* BlobStore
    const { input, incomingId, attachments } = upload
    const xmlBytes = typeof input.xml === "string" ? new TextEncoder().encode(input.xml) : input.xml
    const xml = yield* blobs.put(xmlBytes, { mediaType: "application/xml", fileName: input.fileName ?? `${incomingId}.xml` })
    const files = yield* Effect.forEach(attachments, (attachment) =>
      blobs.put(attachment.bytes, { mediaType: attachment.mediaType, fileName: attachment.name })
    )
    return { xml, files }
  })

/** The entity a new submission is linked to, inside the transaction: its id, and whether the submission is stored deleted. */
export interface LinkedEntity {
  readonly entity: Entity
  /** The entity chosen is deleted and was not merged into another: the submission is stored deleted (IASO). */
  readonly deleted: boolean
}

/**
 * The record of a new submission (the counter value given; the random digit, then the export id,
 * drawn here), linked to `linked` when given.
 */
export const newInstance = (
  actor: Actor,
  upload: Prepared,
  bytes: StoredBytes,
  sequence: number,
  deviceId: DeviceId | undefined,
  linked?: LinkedEntity | undefined
) =>
  Effect.gen(function* () {
    const { input, form, json, version, place, period, incomingId, orgUnitId } = upload
    const userId = actor.userId
    const field = form.correlationField === undefined ? undefined : json[form.correlationField]
    // The random digit, then the export id: Effect's `Random` (seeded in tests), read once.
    const random = yield* Random.Random
    const digit = Math.floor(random.nextDoubleUnsafe() * 10)
    return {
      uuid: incomingId,
      currentUuid: incomingId,
      exportId: exportIdOf(random),
      correlationId: correlationIdOf(sequence, typeof field === "string" ? field : undefined, digit),
      name: input.name ?? form.name,
      file: bytes.xml,
      ...(input.fileName === undefined ? {} : { fileName: input.fileName }),
      json,
      formId: form.id,
      ...(version === undefined ? {} : { formVersionId: version.id }),
      ...(input.projectId === undefined ? {} : { projectId: input.projectId }),
      ...(orgUnitId === undefined ? {} : { orgUnitId }),
      ...(linked === undefined ? {} : { entityId: linked.entity.id }),
      ...(input.planningId === undefined ? {} : { planningId: input.planningId }),
      ...(place === undefined ? {} : { location: place.location }),
      ...(place?.accuracy === undefined ? {} : { accuracy: place.accuracy }),
      ...(deviceId === undefined ? {} : { deviceId }),
      ...(period.value === undefined ? {} : { period: period.value }),
      ...(period.outside ? { periodOutsideWindow: true } : {}),
      sourceCreatedAt: input.createdAt,
      ...(input.updatedAt === undefined ? {} : { sourceUpdatedAt: input.updatedAt }),
      ...(userId === undefined ? {} : { createdById: userId, lastModifiedById: userId }),
      deleted: linked?.deleted === true,
      toExport: false,
      generalValidationStatus: ""
    }
  })

/** The audit entries of changes (their inputs). */
const auditInputs = (actor: Actor, source: string, changes: ReadonlyArray<AuditChange>) =>
  changes.map((change) => ({
    objectModel: change.model.name,
    objectId: change.id,
    source,
    ...(actor.userId === undefined ? {} : { userId: actor.userId }),
    ...(change.before === undefined ? {} : { before: publicEncoding(change.model, change.before) }),
    ...(change.after === undefined ? {} : { after: publicEncoding(change.model, change.after) })
  }))

/** A write of a new submission's records that is not `Written`: a concurrent writer's same submission (the ingestion runs again), else a defect. */
const refusedNew = (model: AnyModel, outcome: WriteOutcome | undefined): Effect.Effect<never, AlreadyStored | StorageError> => {
  if (model === InstanceModel && outcome?._tag === "Duplicate" && ["instance_uuid_unique", "instance_current_uuid_unique"].includes(outcome.constraint))
    return Effect.fail(new AlreadyStored())
  if (model === AuditEntryModel)
    return Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `audit entry refused: ${outcome?._tag ?? "no outcome"}` }))
  return Effect.die(
    new Error(
      `the insert of a new submission's ${model.name} was refused (${outcome?._tag ?? "no outcome"}${outcome?._tag === "Duplicate" ? `: ${outcome.constraint}` : ""})`
    )
  )
}

/** The writes of an ingestion that go through the store, inside the caller's transaction. */
export const makeIngestWrites = (repos: Repositories, access: SubmissionAccess) => {
  const { liveFiles, requireModify } = access
  const concurrentWriters = repos.driver.capabilities.concurrentWriters

  /**
   * The references of a new submission to check inside its transaction (its files reference it,
   * its audit entries its user, as it does). Those created in this transaction (a new device or
   * entity) are not. Where writers run concurrently, neither are those this ingestion read before
   * its transaction (the form, its version, the project, the org unit, the planning: its checks; a
   * device found before it): there the check, a read in a transaction that reads committed rows,
   * takes no lock, so a delete committed between it and the commit goes unseen just as one
   * committed between those reads and it (a deleted record is refused at commit only by the
   * PostgreSQL store's foreign keys, `foreignKeys: true`, in either case). Where writers are
   * serialised, no delete can come between the check and the commit: every reference is checked.
   */
  const referencesToCheck = (
    actor: Actor,
    upload: Prepared,
    written: {
      readonly deviceId: DeviceId | undefined
      readonly deviceCreated: boolean
      readonly entityId: string | undefined
      readonly entityCreated: boolean
    }
  ): Row => {
    const { input, form, version, orgUnitId } = upload
    return {
      createdById: actor.userId,
      lastModifiedById: actor.userId,
      ...(written.deviceCreated || concurrentWriters ? {} : { deviceId: written.deviceId }),
      ...(written.entityCreated ? {} : { entityId: written.entityId }),
      ...(concurrentWriters ? {} : { formId: form.id, formVersionId: version?.id, projectId: input.projectId, orgUnitId, planningId: input.planningId })
    }
  }

  /** Stores the file records of a submission's attachments (all of them or none). */
  const insertFiles = (actor: Actor, files: ReadonlyArray<Readonly<Record<string, unknown>>>, referencesChecked = false) =>
    files.length === 0
      ? Effect.succeed([])
      : narrowWrite(Effect.flatMap(repos.insertMany(InstanceFileModel, actor.accountId, files, { referencesChecked }), allWritten))

  /**
   * Audit entries for changes of several models in one write, inside the caller's transaction (a
   * refused entry fails the unit of work as {@link audit} does).
   */
  const auditAll = (actor: Actor, source: string, changes: ReadonlyArray<AuditChange>, userChecked = false): Effect.Effect<void, StorageError> => {
    if (changes.length === 0) return Effect.void
    const entries = auditInputs(actor, source, changes)
    return Effect.flatMap(repos.insertMany(AuditEntryModel, actor.accountId, entries, { referencesChecked: userChecked }), allWritten).pipe(
      Effect.asVoid,
      Effect.catch((error) =>
        error._tag === "StorageError"
          ? Effect.fail(error)
          : Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `audit entry refused: ${error.message}` }))
      )
    )
  }

  /**
   * The entities new submissions link to, inside the caller's transaction: the chosen ones, and one
   * created (without attributes) per new uuid and type, all in one write. A concurrent upload that
   * created the same entity first makes the ingestion run again (it then finds it).
   */
  const linkEntities = (actor: Actor, choices: ReadonlyArray<EntityChoice | undefined>) =>
    Effect.gen(function* () {
      const fresh = new Map<string, { readonly uuid: string; readonly entityTypeId: string }>()
      for (const choice of choices) if (choice?.kind === "new") fresh.set(`${choice.key.entityTypeId}\u0000${choice.key.uuid}`, choice.key)
      const created =
        fresh.size === 0
          ? []
          : yield* narrowErrors(
              Effect.flatMap(
                repos.insertMany(
                  EntityModel,
                  actor.accountId,
                  [...fresh.values()].map((key) => ({ name: "", uuid: key.uuid, entityTypeId: key.entityTypeId }))
                ),
                allWritten
              ).pipe(Effect.catchTag("AlreadyExists", storedConcurrently(["entity_uuid_live_unique"]))),
              ["AlreadyExists", "VersionConflict", "Conflict", "NotFound", "ValidationError"],
              "the insert of an entity for an upload met another unique key than its uuid, or a reference checked before"
            )
      const byKey = new Map(created.map((entity) => [`${entity.entityTypeId}\u0000${entity.uuid}`, entity]))
      const linked = choices.map((choice): LinkedEntity | undefined => {
        if (choice === undefined || choice.kind === "taken") return undefined
        if (choice.kind === "existing") return { entity: choice.entity, deleted: choice.deleted }
        const entity = byKey.get(`${choice.key.entityTypeId}\u0000${choice.key.uuid}`)
        return entity === undefined ? undefined : { entity, deleted: false }
      })
      return { linked, created }
    })

  /**
   * The workflow changes of follow-ups (see `applyWorkflowChanges`), inside the caller's
   * transaction, after the attributes are set: one read of the changes declared for the
   * submissions' forms, then each submission whose form has one, in order.
   */
  const workflowChanges = (actor: Actor, instances: ReadonlyArray<Instance>) =>
    Effect.gen(function* () {
      const linked = instances.filter((instance) => instance.entityId !== undefined && instance.formId !== undefined && !instance.deleted)
      if (linked.length === 0) return
      const forms = [...new Set(linked.map((instance) => instance.formId as string))]
      const declared = yield* findIn((page) => repos.list(WorkflowChangeModel, actor.accountId, page), "formId", forms, { select: ["formId"] }).pipe(
        orDieOnInvalidListing(WorkflowChangeModel)
      )
      const withChanges = new Set(declared.map((change) => String(change.formId)))
      for (const instance of linked) {
        if (!withChanges.has(instance.formId as string)) continue
        yield* applyWorkflowChanges(instance).pipe(Effect.provideService(Repos, repos), Effect.provideService(CurrentActor, actor))
      }
    })

  /**
   * After new submissions are stored: each one of its entity type's reference form becomes its
   * entity's attributes (the last one of a batch when several name one entity), and the
   * workflow changes of follow-ups are applied. Answers the audit changes.
   */
  const attachAttributes = (
    actor: Actor,
    stored: ReadonlyArray<{ readonly upload: Prepared; readonly instance: Instance; readonly linked: LinkedEntity | undefined }>
  ) =>
    Effect.gen(function* () {
      const latest = new Map<string, { readonly entity: Entity; readonly instance: Instance }>()
      for (const { upload, instance, linked } of stored) {
        if (linked === undefined || upload.entity === undefined) continue
        if (upload.entity.type.referenceFormId === upload.form.id) latest.set(linked.entity.id, { entity: linked.entity, instance })
      }
      const changes: Array<AuditChange> = []
      for (const { entity, instance } of latest.values()) {
        const current = yield* repos.get(EntityModel, actor.accountId, entity.id)
        const after = yield* narrowErrors(
          versionConflictAsRetryable(
            repos.update(EntityModel, actor.accountId, entity.id, { attributesId: instance.id }, { expectedVersion: current.version }),
            "the ingestion"
          ),
          ["AlreadyExists", "NotFound", "Conflict", "ValidationError"],
          "an entity's attributes met a unique key, a missing record or a rule"
        )
        changes.push({ model: EntityModel, id: entity.id, before: current, after })
      }
      yield* workflowChanges(
        actor,
        stored.flatMap(({ instance, linked }) => (linked === undefined ? [] : [instance]))
      )
      return changes
    }).pipe(
      Effect.catchTag("NotFound", (error) =>
        Effect.fail(new StorageError({ reason: "serialization", retryable: true, message: `an entity changed while linking: ${error.message}` }))
      )
    )

  /**
   * A new submission's writes, inside the caller's transaction: the reads first (the device, then
   * every reference of the new records in one read), then the writes close together (a writer holds
   * the store's change order from its first write to its commit, and, where the correlation value is
   * taken inside the unit of work, the counter from its increment): the correlation value (see
   * `takeSequenceValue`, whose first step the caller ran), the submission, its files and the audit
   * entries.
   */
  const writeNew = (
    actor: Actor,
    upload: Prepared,
    bytes: StoredBytes,
    correlation: Effect.Effect<number, StorageError>,
    choice?: EntityChoice | undefined,
    known?: ReadonlyMap<string, DeviceId>
  ) =>
    Effect.gen(function* () {
      const { input, imei, attachments } = upload
      const devices = yield* devicesFor(repos, actor, imei === undefined ? [] : [{ imei, projectId: input.projectId }], known)
      const entities = yield* linkEntities(actor, [choice])
      const linked = entities.linked[0]
      const deviceId = imei === undefined ? undefined : devices.ids.get(imei)
      const references = referencesToCheck(actor, upload, {
        deviceId,
        deviceCreated: devices.created.some((device) => device.id === deviceId),
        entityId: linked?.entity.id,
        entityCreated: entities.created.some((entity) => entity.id === linked?.entity.id)
      })
      const refused = (yield* repos.checkReferences(InstanceModel, actor.accountId, [references], new Set())).get(0)
      // A reference check answers only NotFound.
      if (refused !== undefined) return yield* refused._tag === "NotFound" ? refused : Effect.die(refused)
      const sequence = yield* correlation
      const record = yield* newInstance(actor, upload, bytes, sequence, deviceId, linked)
      if (linked === undefined) {
        // No entity to give attributes: the submission, its files and the audit entries in one
        // write (one statement where the store can).
        const encodedInstance = yield* encodeNewRecords(InstanceModel, actor.accountId, [record])
        const instance = encodedInstance.records[0] as Instance
        const encodedFiles = yield* encodeNewRecords(
          InstanceFileModel,
          actor.accountId,
          attachments.map((attachment, index) => ({ instanceId: instance.id, name: attachment.name, file: bytes.files[index], deleted: false }))
        )
        const files = encodedFiles.records as ReadonlyArray<InstanceFile>
        const encodedAudit = yield* encodeNewRecords(
          AuditEntryModel,
          actor.accountId,
          auditInputs(actor, INGEST_SOURCE, [
            ...devices.created.map((device) => ({ model: DeviceModel, id: device.id, after: device })),
            { model: InstanceModel, id: instance.id, after: instance },
            ...files.map((file) => ({ model: InstanceFileModel, id: file.id, after: file }))
          ])
        ).pipe(Effect.mapError((error) => new StorageError({ reason: "unknown", retryable: false, message: `audit entry refused: ${error.message}` })))
        const groups = [
          { model: InstanceModel, ops: encodedInstance.ops },
          { model: InstanceFileModel, ops: encodedFiles.ops },
          { model: AuditEntryModel, ops: encodedAudit.ops }
        ] as const
        const outcomes = yield* repos.driver.writeAll(groups.map(({ model, ops }) => ({ model, scope: scopeOf(model, actor.accountId), ops })))
        for (const [g, { model }] of groups.entries()) {
          for (const outcome of outcomes[g] ?? []) if (outcome?._tag !== "Written") return yield* refusedNew(model, outcome)
        }
        return { outcome: "created", instance, files } as const
      }
      const instance = yield* narrowErrors(
        Effect.flatMap(repos.insertMany(InstanceModel, actor.accountId, [record], { referencesChecked: true }), allWritten).pipe(
          Effect.map((written) => written[0] as Instance),
          Effect.catchTag("AlreadyExists", storedConcurrently(["instance_uuid_unique", "instance_current_uuid_unique"]))
        ),
        ["AlreadyExists", "VersionConflict", "Conflict"],
        "the insert of a new submission met another unique key than its uuids, a version or an on-delete rule"
      )
      const files = yield* insertFiles(
        actor,
        attachments.map((attachment, index) => ({ instanceId: instance.id, name: attachment.name, file: bytes.files[index], deleted: false })),
        true
      )
      const attributes = yield* attachAttributes(actor, [{ upload, instance, linked }])
      yield* auditAll(
        actor,
        INGEST_SOURCE,
        [
          ...devices.created.map((device) => ({ model: DeviceModel, id: device.id, after: device })),
          ...entities.created.map((entity) => ({ model: EntityModel, id: entity.id, after: entity })),
          { model: InstanceModel, id: instance.id, after: instance },
          ...files.map((file) => ({ model: InstanceFileModel, id: file.id, after: file })),
          ...attributes
        ],
        true
      )
      return { outcome: "created", instance, files } as const
    })

  /** An edit's writes, inside the caller's transaction: the submission keeps its identity; the replaced content stays in the audit entry. */
  const writeEdit = (actor: Actor, upload: Prepared, bytes: StoredBytes, target: Instance, known?: ReadonlyMap<string, DeviceId>) =>
    Effect.gen(function* () {
      const { input, imei, json, version, place, period, incomingId, attachments, hashes, paths } = upload
      const devices = yield* devicesFor(repos, actor, imei === undefined ? [] : [{ imei, projectId: input.projectId }], known)
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
        ...(upload.orgUnitId === undefined ? {} : { orgUnitId: upload.orgUnitId }),
        ...(input.planningId === undefined ? {} : { planningId: input.planningId }),
        ...(place === undefined ? {} : { location: place.location, accuracy: place.accuracy ?? null }),
        ...(deviceId === undefined ? {} : { deviceId }),
        ...(period.value === undefined ? {} : { period: period.value, periodOutsideWindow: period.outside ? true : null }),
        ...(input.updatedAt === undefined ? {} : { sourceUpdatedAt: input.updatedAt }),
        ...(userId === undefined ? {} : { lastModifiedById: userId })
      }
      const after = yield* narrowErrors(
        versionConflictAsRetryable(repos.update(InstanceModel, actor.accountId, target.id, patch, { expectedVersion: target.version }), "the ingestion").pipe(
          Effect.catchTag("AlreadyExists", storedConcurrently(["instance_current_uuid_unique"]))
        ),
        ["AlreadyExists", "NotFound", "Conflict"],
        "the edit of a submission just read met another unique key than its current uuid, a missing record or an on-delete rule"
      )
      // Files: incoming ones are added (unless already there); stored ones neither re-sent
      // nor named by an answer any more are soft-deleted (IASO's Enketo rule).
      const stored = yield* liveFiles(actor.accountId, target.id)
      const incoming = new Map(
        attachments.map((attachment, index) => [attachment.name, { ref: bytes.files[index] as BlobRef, sha256: hashes[index]?.sha256 ?? "" }])
      )
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
      yield* workflowChanges(actor, [after])
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

  return { attachAttributes, auditAll, linkEntities, writeNew, writeEdit }
}

/** What {@link makeIngestWrites} gives. */
export type IngestWrites = ReturnType<typeof makeIngestWrites>
