/**
 * The server side of offline sync, transport-free: {@link Sync} answers a device's pulls, repairs
 * and pushes for the current actor.
 *
 * - `pull` without a cursor answers a snapshot of the device's set, up to the feed's head (see
 *   `sync-snapshot.ts`; a store that cannot tell its head has the whole feed read instead); then
 *   `pull` reads the account's change feed after the cursor and answers, in change order, the
 *   records of the device's set (see `sync-set.ts`) with their data, and a `remove` for a deleted
 *   record or for one the actor still may read that left the set (an assignment given to someone
 *   else, a unit no longer VALID). A record that left the actor's reach (a unit moved outside its
 *   roots) is not named: the device finds it through the checksums of the last page and drops it
 *   in the repair (`reconcile`), so a pull never tells an actor anything about records outside its
 *   reach. A page read twice answers the same records; its cursor resumes after it.
 * - `reconcile` answers, for one model, what the device must drop and what it lacks.
 * - `push` applies outbox entries in order, each through the service that owns it
 *   (`Instances.ingest`, `Storages.importLogs`, `Devices.postPositions`,
 *   `OrgUnitChangeRequests.create`), each idempotent by its
 *   uuids: a re-sent entry is `unchanged`. A refused entry is acknowledged `rejected` with its
 *   typed error (a `Conflict` for a submission uuid re-sent with other content); a storage failure
 *   fails the whole push, so the device keeps the entries and retries.
 * @module
 */
import { Context, Effect, Layer, Result } from "effect"
import { Repos } from "../kernel/repos.ts"
import { Devices } from "../devices/devices-service.ts"
import { BlobStore } from "../shared/blob.ts"
import { type Forbidden, NotFound, ValidationError } from "../shared/errors.ts"
import type { StorageError } from "../shared/errors.ts"
import type { Row } from "../shared/model.ts"
import { type Repositories, scopeOf } from "../shared/repository.ts"
import { Storages } from "../storage/storages-service.ts"
import type { SubmissionAttachment, SubmissionInput } from "../submissions/ingest-types.ts"
import { Instances } from "../submissions/instances-service.ts"
import type { EntityTypeId, FormId, GroupId, InstanceId, OrgUnitId, OrgUnitTypeId, PlanningId, ProjectId } from "../shared/entity-ids.ts"
import { OrgUnitChangeRequestModel } from "../registry/change-request.ts"
import { OrgUnitChangeRequests } from "../registry/change-requests-service.ts"
import { CurrentActor } from "../tenancy/actor.ts"
import { DEVICE_SYNC_SET, type SyncSet } from "./sync-set.ts"
import { makeSyncScope, scopeContext } from "./sync-scope.ts"
import { decodeSnapshot, snapshotPage } from "./sync-snapshot.ts"
import {
  MAX_RECONCILE_PUTS,
  type PullPage,
  type PullRequest,
  type PushAck,
  type PushAttachment,
  type PushAnswer,
  type PushEntry,
  type PushRequest,
  type PushSubmission,
  type ReconcileAnswer,
  type ReconcileRequest,
  type SyncChange
} from "./sync-wire.ts"

/** Errors of a pull or a repair. */
export type SyncReadError = ValidationError | NotFound | Forbidden | StorageError

/** Changes read from the feed per pull page when the request names no limit. */
export const DEFAULT_PULL_LIMIT = 500

/** The services a push reaches. */
export type SyncPushContext = CurrentActor | BlobStore | Instances | Storages | Devices | OrgUnitChangeRequests

/** The server side of sync (see the module documentation). */
export class Sync extends Context.Service<
  Sync,
  {
    /** One page of changes after the request's cursor, for the current actor's device set. */
    readonly pull: (request: PullRequest) => Effect.Effect<PullPage, SyncReadError, CurrentActor>
    /** What the device must drop and put for one model of its set, given what it holds. */
    readonly reconcile: (request: ReconcileRequest) => Effect.Effect<ReconcileAnswer, SyncReadError, CurrentActor>
    /** Applies outbox entries in order; one acknowledgement per entry. */
    readonly push: (request: PushRequest) => Effect.Effect<PushAnswer, StorageError, SyncPushContext>
  }
>()("@iaso/core/Sync") {
  /** The sync service over the device set {@link DEVICE_SYNC_SET}. */
  static readonly layer = Layer.effect(
    Sync,
    Effect.map(Effect.service(Repos), (repos) => Sync.of(makeSync(repos, DEVICE_SYNC_SET)))
  )
  /** The sync service over another set. */
  static readonly layerWith = (set: SyncSet) =>
    Layer.effect(
      Sync,
      Effect.map(Effect.service(Repos), (repos) => Sync.of(makeSync(repos, set)))
    )
}

const rejected = (id: string, error: { readonly _tag: string; readonly message: string }): PushAck => ({
  id,
  status: "rejected",
  error: { tag: error._tag, message: error.message }
})

/** A pushed submission's files with their bytes: inline ones as they are, referenced ones read from the `BlobStore`. */
const resolveAttachments = (
  attachments: ReadonlyArray<PushAttachment> | undefined
): Effect.Effect<ReadonlyArray<{ name: string; mediaType: string; bytes: Uint8Array }> | undefined, NotFound | StorageError, BlobStore> =>
  attachments === undefined
    ? Effect.succeed(undefined)
    : Effect.forEach(attachments, (a) =>
        "bytes" in a
          ? Effect.succeed({ name: a.name, mediaType: a.mediaType, bytes: a.bytes })
          : Effect.flatMap(Effect.service(BlobStore), (blobs) =>
              blobs.get(`sha256/${a.sha256}`).pipe(
                Effect.mapError((error) => (error._tag === "NotFound" ? NotFound.of("Attachment", `${a.name} (sha256 ${a.sha256})`) : error)),
                Effect.map((bytes) => ({ name: a.name, mediaType: a.mediaType, bytes }))
              )
            )
      )

/** A pushed submission as `Instances.ingest` takes it, with its files' bytes. */
const submissionInput = (s: PushSubmission, attachments: ReadonlyArray<SubmissionAttachment> | undefined): SubmissionInput => ({
  xml: s.xml,
  formId: s.formId as FormId,
  createdAt: new Date(s.createdAt),
  ...(s.uuid === undefined ? {} : { uuid: s.uuid }),
  ...(attachments === undefined ? {} : { attachments }),
  ...(s.orgUnitId === undefined ? {} : { orgUnitId: s.orgUnitId as OrgUnitId }),
  ...(s.period === undefined ? {} : { period: s.period }),
  ...(s.updatedAt === undefined ? {} : { updatedAt: new Date(s.updatedAt) }),
  ...(s.deviceImei === undefined ? {} : { device: { imei: s.deviceImei } }),
  ...(s.projectId === undefined ? {} : { projectId: s.projectId as ProjectId }),
  ...(s.fileName === undefined ? {} : { fileName: s.fileName }),
  ...(s.location === undefined ? {} : { location: s.location }),
  ...(s.entityUuid === undefined ? {} : { entityUuid: s.entityUuid }),
  ...(s.entityTypeId === undefined ? {} : { entityTypeId: s.entityTypeId as EntityTypeId }),
  ...(s.planningId === undefined ? {} : { planningId: s.planningId as PlanningId })
})

type SubmissionEntry = Extract<PushEntry, { readonly kind: "submission" }>

/**
 * Consecutive submission entries, ingested together (`Instances.ingestMany`: the outcomes one by
 * one ingestion gives, the reads made once and the new submissions written in one transaction).
 * An entry naming an uploaded file that is missing is rejected `NotFound` alone; a storage failure
 * fails the push.
 */
const pushSubmissions = (entries: ReadonlyArray<SubmissionEntry>): Effect.Effect<ReadonlyArray<PushAck>, StorageError, SyncPushContext> =>
  Effect.gen(function* () {
    const instances = yield* Instances
    const acks: Array<PushAck | undefined> = entries.map(() => undefined)
    const inputs: Array<SubmissionInput> = []
    const positions: Array<number> = []
    for (const [index, entry] of entries.entries()) {
      const files = yield* Effect.result(resolveAttachments(entry.submission.attachments))
      if (Result.isFailure(files)) {
        if (files.failure._tag === "StorageError") return yield* files.failure
        acks[index] = rejected(entry.id, files.failure)
        continue
      }
      inputs.push(submissionInput(entry.submission, files.success))
      positions.push(index)
    }
    const items = inputs.length === 0 ? [] : yield* instances.ingestMany(inputs).pipe(Effect.catchTag("Interrupted", (error) => Effect.die(error)))
    for (const item of items) {
      const index = positions[item.index]
      const entry = index === undefined ? undefined : entries[index]
      if (index === undefined || entry === undefined) continue
      if (item._tag === "Ok") acks[index] = { id: entry.id, status: item.value.outcome === "unchanged" ? "unchanged" : "applied" }
      else if (item.error._tag === "StorageError") return yield* item.error
      else acks[index] = rejected(entry.id, item.error)
    }
    return acks.map((ack, index) => ack ?? rejected(entries[index]?.id ?? "", { _tag: "StorageError", message: "the submission was not answered" }))
  })

/** Applies one outbox entry through its owning service. */
const pushOne = (repos: Repositories, entry: PushEntry): Effect.Effect<PushAck, StorageError, SyncPushContext> => {
  const settle = <E extends { readonly _tag: string; readonly message: string }>(effect: Effect.Effect<PushAck, E | StorageError, SyncPushContext>) =>
    Effect.catch(effect, (error: E | StorageError) =>
      error._tag === "StorageError" ? Effect.fail(error as StorageError) : Effect.succeed(rejected(entry.id, error))
    )
  switch (entry.kind) {
    case "submission":
      return Effect.map(pushSubmissions([entry]), ([ack]) => ack ?? rejected(entry.id, { _tag: "StorageError", message: "no answer" }))
    case "storageLogs":
      return settle(
        Effect.flatMap(Effect.service(Storages), (storages) =>
          Effect.map(
            storages.importLogs(
              entry.logs.map((log) => ({ ...log, performedAt: new Date(log.performedAt), orgUnitId: (log.orgUnitId ?? null) as OrgUnitId | null }))
            ),
            (result): PushAck => ({ id: entry.id, status: result.created.length === 0 ? "unchanged" : "applied" })
          )
        )
      )
    case "orgUnitChangeRequest":
      return settle(
        Effect.gen(function* () {
          const requests = yield* OrgUnitChangeRequests
          const actor = yield* CurrentActor
          const before = yield* repos
            .count(OrgUnitChangeRequestModel, actor.accountId, [{ field: "uuid", op: "eq", value: entry.request.uuid }])
            .pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error)))
          const { orgUnitId, newParentId, newOrgUnitTypeId, newLocation, newGeom, newGroupIds, newReferenceInstanceIds, ...rest } = entry.request
          yield* requests.create({
            ...rest,
            ...(orgUnitId === undefined ? {} : { orgUnitId: orgUnitId as OrgUnitId }),
            ...(newParentId === undefined ? {} : { newParentId: newParentId as OrgUnitId }),
            ...(newOrgUnitTypeId === undefined ? {} : { newOrgUnitTypeId: newOrgUnitTypeId as OrgUnitTypeId }),
            ...(newLocation === undefined ? {} : { newLocation: newLocation as never }),
            ...(newGeom === undefined ? {} : { newGeom: newGeom as never }),
            ...(newGroupIds === undefined ? {} : { newGroupIds: newGroupIds as ReadonlyArray<GroupId> }),
            ...(newReferenceInstanceIds === undefined ? {} : { newReferenceInstanceIds: newReferenceInstanceIds as ReadonlyArray<InstanceId> })
          })
          return { id: entry.id, status: before > 0 ? "unchanged" : "applied" } satisfies PushAck
        })
      )
    case "positions":
      return settle(
        Effect.flatMap(Effect.service(Devices), (devices) =>
          Effect.map(
            devices.postPositions({
              ...(entry.projectId === undefined ? {} : { projectId: entry.projectId as ProjectId }),
              positions: entry.positions.map((position) => ({ ...position, capturedAt: new Date(position.capturedAt) }))
            }),
            (result): PushAck => ({ id: entry.id, status: result.created.length === 0 ? "unchanged" : "applied" })
          )
        )
      )
  }
}

const makeSync = (repos: Repositories, set: SyncSet): Sync["Service"] => ({
  pull: (request) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const limit = request.limit ?? DEFAULT_PULL_LIMIT
      const scope = makeSyncScope(repos, set, scopeContext(repos, actor, request.projectId))
      // A first pull reads a snapshot of the set up to the feed's head, where the store can tell it.
      if (request.cursor === undefined) {
        const head = yield* repos.feedHead(actor.accountId)
        if (head !== undefined) return yield* snapshotPage(actor.accountId, set, scope, { feed: head, entry: 0, after: undefined }, limit)
      } else {
        const position = decodeSnapshot(actor.accountId, request.cursor)
        if (position instanceof ValidationError) return yield* position
        if (position !== undefined) return yield* snapshotPage(actor.accountId, set, scope, position, limit)
      }
      const page = yield* repos.changesSince(actor.accountId, request.cursor, limit)
      // The current rows of the page's live records, read once per model.
      const live = new Map<string, Array<string>>()
      for (const change of page.changes)
        if (!change.deleted && scope.synced(change.model) !== undefined) live.set(change.model, [...(live.get(change.model) ?? []), change.id])
      const answers = new Map<string, SyncChange>()
      for (const [modelName, ids] of live) {
        const entry = scope.synced(modelName)
        if (entry === undefined) continue
        const rows = yield* repos.driver.getMany(entry.model, scopeOf(entry.model, actor.accountId), ids)
        const held = yield* scope.held(entry, rows)
        const heldIds = new Set(held.map((row: Row) => String(row["id"])))
        for (const put of yield* scope.puts(entry, held)) answers.set(`${modelName}\u0000${put.id}`, put)
        // Readable but out of the set now: the device drops it. Out of reach: left to the repair.
        const readable = yield* scope.readable(entry, rows)
        for (const row of readable) {
          const id = String(row["id"])
          if (!heldIds.has(id)) answers.set(`${modelName}\u0000${id}`, { op: "remove", model: modelName, id })
        }
      }
      const changes: Array<SyncChange> = []
      for (const change of page.changes) {
        if (scope.synced(change.model) === undefined) continue
        if (change.deleted) changes.push({ op: "remove", model: change.model, id: change.id })
        else {
          const answer = answers.get(`${change.model}\u0000${change.id}`)
          if (answer !== undefined) changes.push(answer)
        }
      }
      const hasMore = page.changes.length === limit
      if (hasMore) return { changes, cursor: page.cursor, hasMore }
      return { changes, cursor: page.cursor, hasMore, checksums: yield* scope.checksums }
    }),
  reconcile: (request) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const outside = request.held.find(
        (record) => (request.after !== undefined && record.id <= request.after) || (request.through !== undefined && record.id > request.through)
      )
      if (outside !== undefined) return yield* ValidationError.at(["held"], `the held record ${outside.id} is outside the request's id range`)
      const scope = makeSyncScope(repos, set, scopeContext(repos, actor, request.projectId))
      const entry = scope.synced(request.model)
      const heldVersions = new Map(request.held.map((record) => [record.id, record.version]))
      if (entry === undefined) return { model: request.model, remove: [...heldVersions.keys()], put: [] }
      const serverRows: Array<Row> = []
      const inSet = new Set<string>()
      // Past MAX_RECONCILE_PUTS records to put, the answer covers the range up to the last one.
      let stoppedAt: string | undefined
      yield* scope.scan(
        entry,
        (rows) => {
          for (const row of rows) {
            const id = String(row["id"])
            inSet.add(id)
            if (heldVersions.get(id) === Number(row["version"])) continue
            serverRows.push(row)
            if (serverRows.length === MAX_RECONCILE_PUTS) {
              stoppedAt = id
              return "stop"
            }
          }
          return undefined
        },
        { after: request.after, through: request.through }
      )
      const covered = (id: string) => stoppedAt === undefined || id <= stoppedAt
      return {
        model: request.model,
        remove: [...heldVersions.keys()].filter((id) => covered(id) && !inSet.has(id)),
        put: [...(yield* scope.puts(entry, serverRows))],
        ...(stoppedAt === undefined ? {} : { through: stoppedAt })
      }
    }),
  push: (request) =>
    Effect.gen(function* () {
      // Runs of consecutive submissions go through one ingestion; other entries one by one, in order.
      const acks: Array<PushAck> = []
      const entries = request.entries
      for (let at = 0; at < entries.length; ) {
        const run: Array<SubmissionEntry> = []
        for (let next = entries[at]; next !== undefined && next.kind === "submission"; next = entries[at + run.length]) run.push(next)
        if (run.length > 0) {
          acks.push(...(yield* pushSubmissions(run)))
          at += run.length
          continue
        }
        const entry = entries[at]
        if (entry !== undefined) acks.push(yield* pushOne(repos, entry))
        at += 1
      }
      return { acks }
    })
})
