/**
 * The ingestion of many uploads ({@link Instances | Instances.ingestMany}): the outcomes ingesting them one by
 * one gives, with the reads the checks need made once per chunk and a chunk's new submissions
 * written in one transaction; edits, items that depend on an earlier item, and the items of a
 * chunk whose transaction fails are ingested one by one.
 * @module
 */
import { Effect, Result } from "effect"
import { DeviceModel } from "../devices/devices.ts"
import { EntityModel, EntityTypeModel } from "../entities/entity.ts"
import { type EntityChoice, findEntitiesForUpload } from "../entities/entity-find.ts"
import { PlanningModel } from "../planning/planning.ts"
import { isUuid } from "../shared/ids.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { FormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import type { BlobRef, BlobStore } from "../shared/blob.ts"
import type { InstanceId } from "../shared/entity-ids.ts"
import { type Interrupted, NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import type { AnyModel } from "../shared/model.ts"
import { type LongOperationOptions, longOperation } from "../shared/progress.ts"
import { chunksOf, findIn, IN_CHUNK, type Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { checkChoice, comparableId, type Ingest, uuidRefusal } from "./ingest.ts"
import { knownVersionEntry, type Lookups, parseInput, type Prepared, prepare, VERSION_KEY_FIELDS, type VersionEntry, versionEntry } from "./ingest-checks.ts"
import { CORRELATION_SEQUENCE, type IngestError, type IngestResult, INGEST_SOURCE, type SubmissionInput } from "./ingest-types.ts"
import { type IngestWrites, newInstance, type StoredBytes, storeBytes } from "./ingest-writes.ts"
import { type Instance, type InstanceFile, InstanceFileModel, InstanceModel } from "./instance-model.ts"
import type { SubmissionDocument } from "./odk-xml.ts"
import { takeSequenceValues } from "./sequence.ts"
import { allWritten } from "./submission-access.ts"
import { devicesFor } from "./submission-devices.ts"

/** Uploads {@link Instances | Instances.ingestMany} writes in one transaction at most. */
export const INGEST_BATCH = 500

/**
 * One upload's outcome in {@link Instances | Instances.ingestMany} (the shape of a bulk write's items): its
 * result, or the error `ingest` would have failed with. `index` is its position in the inputs.
 */
export type IngestItem =
  | { readonly _tag: "Ok"; readonly index: number; readonly value: IngestResult }
  | { readonly _tag: "Failed"; readonly index: number; readonly error: IngestError }

/** One item's result as a bulk item. */
const itemOf = (index: number, result: Result.Result<IngestResult, IngestError>): IngestItem =>
  Result.isSuccess(result) ? { _tag: "Ok", index, value: result.success } : { _tag: "Failed", index, error: result.failure }

/** The ingestion of many uploads, over the ingestion of one. */
export const makeIngestBatch = (repos: Repositories, one: Ingest, writes: IngestWrites) => {
  const { decide, ingest, instancesByIds, settle, unitsByUuid } = one
  const { attachAttributes, auditAll, linkEntities } = writes

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
      const distinct = <T extends string>(values: ReadonlyArray<T | undefined>): Array<T> => [
        ...new Set(values.filter((value): value is T => value !== undefined))
      ]
      /** Records of these ids (no store call for none). */
      const getAll = <M extends AnyModel>(model: M, ids: ReadonlyArray<string>) =>
        ids.length === 0 ? Effect.succeed([]) : repos.getMany(model, actor.accountId, ids)
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
      // Each chunk of forms with each chunk of version ids.
      // Their key fields first: a version whose filter is cached is not read whole (its descriptor is large).
      const keys = yield* Effect.forEach(chunksOf(formIds, IN_CHUNK), (chunk) =>
        findIn((page) => repos.list(FormVersionModel, actor.accountId, page), "versionId", versionIds, {
          where: [{ field: "formId", op: "in", value: chunk }],
          select: VERSION_KEY_FIELDS
        })
      ).pipe(orDieOnInvalidListing(FormVersionModel))
      const unknown: Array<string> = []
      for (const row of keys.flat()) {
        const entry = knownVersionEntry(row)
        if (entry !== undefined) versions.set(`${row.formId}\u0000${row.versionId}`, entry)
        else unknown.push(row.id)
      }
      // A version deleted since its key was read is left out, as if it had not been found.
      for (const row of yield* getAll(FormVersionModel, unknown)) {
        const entry = versionEntry(row)
        if (entry !== undefined) versions.set(`${row.formId}\u0000${row.versionId}`, entry)
      }
      const projects = new Set((yield* getAll(ProjectModel, distinct(parsed.map((input) => input.projectId)))).map((project) => project.id as string))
      // The actor's roots and the uploads' org units in one read; mobile uuids in one more.
      const refs = distinct(parsed.map((input) => input.orgUnitId))
      const units = new Map((yield* getAll(OrgUnitModel, distinct([...actor.orgUnitRoots, ...refs.filter(isUuid)]))).map((unit) => [unit.id as string, unit]))
      const byUuid = yield* unitsByUuid(
        actor.accountId,
        refs.filter((ref) => !units.has(ref))
      )
      const entityTypes = new Map(
        (yield* getAll(EntityTypeModel, distinct(parsed.map((input) => (input.entityUuid === undefined ? undefined : input.entityTypeId))))).map((type) => [
          type.id as string,
          type
        ])
      )
      const plannings = new Set((yield* getAll(PlanningModel, distinct(parsed.map((input) => input.planningId)))).map((planning) => planning.id as string))
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
        unitByUuid: (uuid) => Effect.succeed(byUuid.get(uuid)),
        entityType: (id) => {
          const type = entityTypes.get(id)
          return type === undefined ? Effect.fail(NotFound.of(EntityTypeModel.name, id)) : Effect.succeed(type)
        },
        planning: (id) => (plannings.has(id) ? Effect.void : Effect.fail(NotFound.of(PlanningModel.name, id))),
        units
      }
      return lookups
    })

  /** The writes of a batch's new submissions, inside one transaction; any refused write fails it all. */
  const writeNewBatch = (
    actor: Actor,
    uploads: ReadonlyArray<{ readonly upload: Prepared; readonly bytes: StoredBytes; readonly choice: EntityChoice | undefined }>,
    correlations: Effect.Effect<ReadonlyArray<number>, StorageError>
  ) =>
    Effect.gen(function* () {
      const devices = yield* devicesFor(
        repos,
        actor,
        uploads.flatMap(({ upload }) => (upload.imei === undefined ? [] : [{ imei: upload.imei, projectId: upload.input.projectId }]))
      )
      const entities = yield* linkEntities(
        actor,
        uploads.map(({ choice }) => choice)
      )
      const values = yield* correlations
      const records: Array<unknown> = []
      for (const [k, { upload, bytes }] of uploads.entries()) {
        const value = values[k]
        if (value === undefined) return yield* Effect.die(new Error("ingestMany: fewer correlation values than submissions"))
        records.push(yield* newInstance(actor, upload, bytes, value, upload.imei === undefined ? undefined : devices.ids.get(upload.imei), entities.linked[k]))
      }
      const instances = yield* Effect.flatMap(repos.insertMany(InstanceModel, actor.accountId, records), allWritten)
      const fileInputs: Array<{ readonly instanceId: InstanceId; readonly name: string; readonly file: BlobRef | undefined; readonly deleted: false }> = []
      uploads.forEach(({ upload, bytes }, k) => {
        const instance = instances[k] as Instance
        for (const [index, attachment] of upload.attachments.entries())
          fileInputs.push({ instanceId: instance.id, name: attachment.name, file: bytes.files[index], deleted: false })
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
      const attributes = yield* attachAttributes(
        actor,
        uploads.map(({ upload }, k) => ({ upload, instance: instances[k] as Instance, linked: entities.linked[k] }))
      )
      yield* auditAll(actor, INGEST_SOURCE, [
        ...devices.created.map((device) => ({ model: DeviceModel, id: device.id, after: device })),
        ...entities.created.map((entity) => ({ model: EntityModel, id: entity.id, after: entity })),
        ...instances.flatMap((instance, k) => [
          { model: InstanceModel, id: instance.id, after: instance },
          ...(filesOf[k] ?? []).map((file) => ({ model: InstanceFileModel, id: file.id, after: file }))
        ]),
        ...attributes
      ])
      return instances.map((instance, k): IngestResult => ({ outcome: "created", instance, files: filesOf[k] ?? [] }))
    })

  /** One chunk of {@link Instances | Instances.ingestMany}: results go to `results[offset + index]`. */
  const ingestChunk = (inputs: ReadonlyArray<SubmissionInput>, offset: number, results: Array<IngestItem | undefined>) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const all = inputs.map((_, index) => index)
      const planned = yield* Effect.result(
        Effect.gen(function* () {
          const documents = yield* Effect.forEach(inputs, (input) => parseInput(input))
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
      // The batch's reads (or the loading of the XML reader) failed: every item on its own.
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
        // Nothing stored under the ids it names: a new submission, decided without a look further.
        if (find(upload.incomingId) === undefined && (upload.deprecatedId === undefined || find(upload.deprecatedId) === undefined)) {
          const refused = uuidRefusal(upload, { kind: "new" })
          if (refused !== undefined) results[offset + index] = { _tag: "Failed", index: offset + index, error: refused }
          else fresh.push({ index, upload })
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
      // The entities the new submissions name, in one bulk read (the batch's reads failed: each alone).
      const keys = fresh.flatMap(({ upload }) => (upload.entity === undefined ? [] : [upload.entity.key]))
      const chosen = keys.length === 0 ? undefined : yield* Effect.result(findEntitiesForUpload(repos, actor.accountId, keys))
      if (chosen !== undefined && Result.isFailure(chosen)) {
        later.push(...fresh.map(({ index }) => index))
        fresh.length = 0
      }
      // The new submissions: bytes first, then one transaction for all of them.
      const written: Array<{ readonly index: number; readonly upload: Prepared; readonly bytes: StoredBytes; readonly choice: EntityChoice | undefined }> = []
      for (const { index, upload } of fresh) {
        let choice: EntityChoice | undefined
        if (upload.entity !== undefined && chosen !== undefined && Result.isSuccess(chosen)) {
          const checked = yield* Effect.result(checkChoice(chosen.success(upload.entity.key)))
          if (Result.isFailure(checked)) {
            results[offset + index] = { _tag: "Failed", index: offset + index, error: checked.failure }
            continue
          }
          choice = checked.success
        }
        const bytes = yield* Effect.result(storeBytes(upload))
        if (Result.isSuccess(bytes)) written.push({ index, upload, bytes: bytes.success, choice })
        else results[offset + index] = { _tag: "Failed", index: offset + index, error: bytes.failure }
      }
      if (written.length > 0) {
        const stored = yield* Effect.result(
          Effect.flatMap(takeSequenceValues(repos, actor.accountId, CORRELATION_SEQUENCE, written.length), (correlations) =>
            repos.driver.transaction(writeNewBatch(actor, written, correlations))
          )
        )
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

  const ingestMany = (
    inputs: ReadonlyArray<SubmissionInput>,
    options?: LongOperationOptions
  ): Effect.Effect<ReadonlyArray<IngestItem>, Interrupted, CurrentActor | BlobStore> =>
    longOperation("ingest", options, (progress) =>
      Effect.gen(function* () {
        const results: Array<IngestItem | undefined> = new Array(inputs.length)
        yield* progress.check
        for (let start = 0; start < inputs.length; start += INGEST_BATCH) {
          yield* ingestChunk(inputs.slice(start, start + INGEST_BATCH), start, results)
          yield* progress.report("write", Math.min(start + INGEST_BATCH, inputs.length), inputs.length)
        }
        const items: Array<IngestItem> = []
        for (const item of results) {
          if (item === undefined) return yield* Effect.die(new Error("ingestMany: an item was left without an outcome"))
          items.push(item)
        }
        return items
      })
    )

  return { ingestMany }
}
