/**
 * The ingestion of one upload (see the module documentation of `instances-service.ts`): its checks, the
 * decision against what is stored (a new submission, an edit of a stored one, a re-send answered
 * with the stored one, or a conflict), then its bytes and its writes in one transaction, run again
 * when a concurrent writer got in first.
 * @module
 */
import { Effect } from "effect"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { EntityTypeModel } from "../entities/entity.ts"
import { type EntityChoice, findEntityForUpload } from "../entities/entity-find.ts"
import { PlanningModel } from "../planning/planning.ts"
import { AccountModel } from "../tenancy/account.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { FormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { type OrgUnit, OrgUnitModel } from "../registry/org-unit.ts"
import type { BlobStore } from "../shared/blob.ts"
import { Conflict, Forbidden, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import type { JsonObject, JsonValue } from "../shared/json.ts"
import { codecOf, type FieldCondition, findIn, listAll, type Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { knownVersionEntry, type Lookups, parseInput, type Prepared, prepare, VERSION_KEY_FIELDS, versionEntry } from "./ingest-checks.ts"
import { CORRELATION_SEQUENCE, type IngestError, type IngestResult, type SubmissionInput } from "./ingest-types.ts"
import { type AlreadyStored, type IngestWrites, storeBytes } from "./ingest-writes.ts"
import { type Instance, type InstanceFile, InstanceModel } from "./instance-model.ts"
import { stripUuidPrefix } from "./odk-xml.ts"
import { takeSequenceValue } from "./sequence.ts"
import { devicesByImei } from "./submission-devices.ts"
import type { SubmissionAccess } from "./submission-access.ts"

/** Up to this many instance ids, {@link makeIngest}'s lookups of stored submissions are one read of the store. */
const FEW_IDS = 16

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

/** A choice of entity, or the `Conflict` of a uuid held by a live entity of another type. */
export const checkChoice = (choice: EntityChoice): Effect.Effect<EntityChoice, Conflict> =>
  choice.kind === "taken"
    ? Effect.fail(
        new Conflict({
          model: "Entity",
          id: choice.entity.id,
          message: `the entity uuid ${choice.key.uuid} is held by a live entity of another type (${choice.entity.entityTypeId}), not of ${choice.key.entityTypeId}`
        })
      )
    : Effect.succeed(choice)

/** What to do with an upload, given what is stored. */
export type Decision =
  | { readonly kind: "unchanged"; readonly instance: Instance; readonly files?: ReadonlyArray<InstanceFile> }
  | { readonly kind: "conflict"; readonly error: Conflict }
  | { readonly kind: "new" }
  | { readonly kind: "edit"; readonly target: Instance }

/** Whether an instance id can be compared with stored ones (text without U+0000). */
export const comparableId = (id: string): boolean => !(codecOf(InstanceModel).encodeValue("uuid", id) instanceof ValidationError)

/**
 * The refusal of a caller's uuid that is not the submission's instance id (nor, for an edit, the
 * first uuid of the submission it edits), for an upload that is written.
 */
export const uuidRefusal = (
  upload: Prepared,
  decision: { readonly kind: "new" } | { readonly kind: "edit"; readonly target: Instance }
): ValidationError | undefined => {
  const { input, incomingId } = upload
  if (input.uuid === undefined || input.uuid === incomingId || (decision.kind === "edit" && decision.target.uuid === input.uuid)) return undefined
  return ValidationError.at(["uuid"], `the uuid ${input.uuid} differs from the submission's instance id uuid:${incomingId}`)
}

/** The instance id a stored submission answers to now (its first uuid until an edit). */
const currentId = (instance: Instance): string | undefined => instance.currentUuid ?? instance.uuid

const fileSignature = (files: ReadonlyArray<{ readonly name: string; readonly sha256: string }>): string =>
  files
    .map((file) => `${file.name}\u0000${file.sha256}`)
    .sort()
    .join("\u0001")

/** The ingestion of one upload, and the decision a batch shares with it. */
export const makeIngest = (repos: Repositories, access: SubmissionAccess, writes: IngestWrites) => {
  const { liveFiles, sees } = access
  const { writeEdit, writeNew } = writes

  /** Stored submissions by their `field` (a unique field: one submission per value at most). */
  const byField = (instances: ReadonlyArray<Instance>, field: "currentUuid" | "uuid") => {
    const found = new Map<string, Instance>()
    for (const instance of instances) {
      const key = instance[field]
      if (key !== undefined) found.set(key, instance)
    }
    return found
  }

  /** Stored submissions whose `field` is one of `values`, by that value (`in` lists, in chunks). */
  const instancesWhere = (accountId: string, field: "currentUuid" | "uuid", values: ReadonlyArray<string>) =>
    Effect.map(
      findIn((page) => repos.list(InstanceModel, accountId, page), field, values),
      (instances) => byField(instances, field)
    ).pipe(orDieOnInvalidListing(InstanceModel))

  /**
   * The stored submissions named by instance ids: an id names the submission whose current
   * instance id it is, else the one whose first uuid it is. A few ids (an upload's, an edit's
   * two): both lookups in one read of the store (one statement on SQL); more (a batch): two
   * queries (`in` lists), the second for the ids the first did not find.
   */
  const instancesByIds = (accountId: string, ids: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const wanted = [...new Set(ids)]
      let byCurrent: Map<string, Instance>
      let byUuid: Map<string, Instance>
      if (wanted.length === 0) {
        byCurrent = new Map()
        byUuid = new Map()
      } else if (wanted.length <= FEW_IDS) {
        // One id: an equality, the cheapest lookup on every store.
        const keyed = (field: "currentUuid" | "uuid"): FieldCondition =>
          wanted.length === 1 ? { field, op: "eq", value: wanted[0] } : { field, op: "in", value: wanted }
        const [current, first] = yield* repos
          .listEach(InstanceModel, accountId, [
            { where: [keyed("currentUuid")], limit: wanted.length },
            { where: [keyed("uuid")], limit: wanted.length }
          ])
          .pipe(orDieOnInvalidListing(InstanceModel))
        byCurrent = byField(current?.items ?? [], "currentUuid")
        byUuid = byField(first?.items ?? [], "uuid")
      } else {
        byCurrent = yield* instancesWhere(accountId, "currentUuid", wanted)
        byUuid = yield* instancesWhere(
          accountId,
          "uuid",
          wanted.filter((id) => !byCurrent.has(id))
        )
      }
      return (id: string): Instance | undefined => byCurrent.get(id) ?? byUuid.get(id)
    })

  /**
   * The org units of the account's default version with these mobile uuids, by uuid (several units
   * with one uuid: the first by id).
   */
  const unitsByUuid = (accountId: string, uuids: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const found = new Map<string, OrgUnit>()
      if (uuids.length === 0) return found
      const account = yield* Effect.catchTag(repos.get(AccountModel, accountId, accountId), "NotFound", () => Effect.succeed(undefined))
      if (account?.defaultVersionId === undefined) return found
      const units = yield* findIn((page) => repos.list(OrgUnitModel, accountId, page), "uuid", uuids, {
        where: [{ field: "versionId", op: "eq", value: account.defaultVersionId }],
        orderBy: [{ field: "id", direction: "asc" }]
      }).pipe(orDieOnInvalidListing(OrgUnitModel))
      for (const unit of units) if (unit.uuid !== undefined && !found.has(unit.uuid)) found.set(unit.uuid, unit)
      return found
    })

  /** The entity an upload names, or a `Conflict` when a live entity of another type holds its uuid. */
  const entityChoice = (accountId: string, upload: Prepared): Effect.Effect<EntityChoice | undefined, Conflict | StorageError> =>
    upload.entity === undefined ? Effect.succeed(undefined) : Effect.flatMap(findEntityForUpload(repos, accountId, upload.entity.key), checkChoice)

  /** The submission's files when its stored content (answers and files) is the incoming one, else `undefined`. */
  /** The submission's live files, when they are exactly these (names and hashes). */
  const filesMatching = (accountId: string, instance: Instance, hashes: ReadonlyArray<{ readonly name: string; readonly sha256: string }>) =>
    Effect.map(liveFiles(accountId, instance.id), (files) =>
      fileSignature(files.map((file) => ({ name: file.name ?? "", sha256: file.file?.sha256 ?? "" }))) === fileSignature(hashes) ? files : undefined
    )
  const sameFiles = (accountId: string, instance: Instance, hashes: ReadonlyArray<{ readonly name: string; readonly sha256: string }>) =>
    Effect.map(filesMatching(accountId, instance, hashes), (files) => files !== undefined)
  const sameContent = (accountId: string, instance: Instance, json: JsonObject, hashes: ReadonlyArray<{ readonly name: string; readonly sha256: string }>) =>
    canonical(instance.json) !== canonical(json) ? Effect.succeed(undefined) : filesMatching(accountId, instance, hashes)

  /** Whether an earlier version of the submission (kept in its audit entries) had this instance id and these answers. */
  const inHistory = (accountId: string, instance: Instance, instanceId: string, json: JsonObject) =>
    Effect.gen(function* () {
      const entries = yield* listAll((page) => repos.list(AuditEntryModel, accountId, page), {
        where: [
          { field: "objectModel", op: "eq", value: "Instance" },
          { field: "objectId", op: "eq", value: instance.id }
        ]
      }).pipe(orDieOnInvalidListing(AuditEntryModel))
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
        const conflict = (why: string): Decision => ({
          kind: "conflict",
          error: new Conflict({ model: "Instance", id: existing.id, message: `submission uuid:${incomingId}: ${why}` })
        })
        if (existing.formId !== formId) return conflict("already stored for another form")
        if (currentId(existing) === incomingId) {
          const files = yield* sameContent(actor.accountId, existing, json, hashes)
          if (files !== undefined) return { kind: "unchanged", instance: existing, files }
          // Answers the server changed since (a workflow change copied a follow-up's answers into
          // an entity's attributes): the device's original, re-sent with the same files, is not new content.
          const resent =
            canonical(existing.json) !== canonical(json) &&
            (yield* sameFiles(actor.accountId, existing, hashes)) &&
            (yield* inHistory(actor.accountId, existing, incomingId, json))
          return resent ? { kind: "unchanged", instance: existing } : conflict("already stored with other content")
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
      const refused = uuidRefusal(upload, decision)
      if (refused !== undefined) return yield* refused
      return undefined
    })

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
      // The version's key fields first: its filter is cached once its descriptor was read (a
      // descriptor is large, and never changes while the record keeps its version).
      version: (form, versionId) =>
        repos
          .list(FormVersionModel, actor.accountId, {
            where: [
              { field: "formId", op: "eq", value: form.id },
              { field: "versionId", op: "eq", value: versionId }
            ],
            limit: 1,
            select: VERSION_KEY_FIELDS
          })
          .pipe(
            orDieOnInvalidListing(FormVersionModel),
            Effect.flatMap((page) => {
              const found = page.items[0]
              if (found === undefined) return Effect.succeed(undefined)
              const known = knownVersionEntry(found)
              if (known !== undefined) return Effect.succeed(known)
              // Deleted since: as if it had not been found.
              return repos.get(FormVersionModel, actor.accountId, found.id).pipe(
                Effect.map(versionEntry),
                Effect.catchTag("NotFound", () => Effect.succeed(undefined))
              )
            })
          ),
      project: (id) => repos.get(ProjectModel, actor.accountId, id),
      paths,
      unit: (id) => {
        const unit = units.get(id)
        if (unit !== undefined) return Effect.succeed(unit)
        return asked.has(id) ? Effect.fail(NotFound.of(OrgUnitModel.name, id)) : repos.get(OrgUnitModel, actor.accountId, id)
      },
      unitByUuid: (uuid) => unitsByUuid(actor.accountId, [uuid]).pipe(Effect.map((found) => found.get(uuid))),
      entityType: (id) => repos.get(EntityTypeModel, actor.accountId, id),
      planning: (id) => repos.get(PlanningModel, actor.accountId, id),
      units
    }
  }

  const ingestOnce = (input: SubmissionInput): Effect.Effect<IngestResult, IngestError | AlreadyStored, CurrentActor | BlobStore> =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const document = yield* parseInput(input)
      if (document instanceof ValidationError) return yield* document
      const upload = yield* prepare(input, document, directLookups(actor, input))
      const { incomingId, deprecatedId } = upload
      const find = yield* instancesByIds(actor.accountId, deprecatedId === undefined ? [incomingId] : [incomingId, deprecatedId])
      // Decided before writing anything: re-sends and conflicts store no bytes. The writes below
      // cannot act on a stale decision: a concurrent new submission with the same id meets the
      // unique uuid / current uuid (the ingestion then runs again), a concurrent change of an
      // edited submission meets the optimistic version check.
      const decision = yield* decide(actor, upload, find)
      const settled = yield* settle(actor.accountId, upload, decision)
      if (settled !== undefined) return settled
      const choice = decision.kind === "edit" ? undefined : yield* entityChoice(actor.accountId, upload)
      // The device read before the transaction, which creates it only when none was found (a
      // device is never changed by ingestion: what was read stays right).
      const known = yield* devicesByImei(repos, actor, upload.imei === undefined ? [] : [upload.imei])
      const bytes = yield* storeBytes(upload)
      const write: Effect.Effect<IngestResult, IngestError | AlreadyStored> =
        decision.kind === "edit"
          ? writeEdit(actor, upload, bytes, decision.target, known)
          : writeNew(actor, upload, bytes, yield* takeSequenceValue(repos, actor.accountId, CORRELATION_SEQUENCE), choice, known)
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
        Effect.fail(
          new StorageError({ reason: "serialization", retryable: true, message: "the submission was stored concurrently twice: run the ingestion again" })
        )
      )
    )

  /** One upload's checks with reads straight from the store (nothing written). */
  const prepareUpload = (actor: Actor, input: SubmissionInput): Effect.Effect<Prepared, IngestError> =>
    Effect.flatMap(parseInput(input), (document) =>
      document instanceof ValidationError ? Effect.fail(document) : prepare(input, document, directLookups(actor, input))
    )

  return { instancesByIds, decide, settle, ingest, unitsByUuid, prepareUpload }
}

/** What {@link makeIngest} gives. */
export type Ingest = ReturnType<typeof makeIngest>
