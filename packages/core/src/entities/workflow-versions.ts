/**
 * Workflow versions: creation (the entity type's workflow made when missing), the status machine
 * with at most one published version per workflow (publishing unpublishes the other in the same
 * transaction; storage refuses a second one), name and `autoFirstStep` changes, copies with their
 * follow-ups and changes, soft deletion, reads and listings.
 * @module
 */
import { Effect } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { EntityTypeId, WorkflowVersionId } from "../shared/entity-ids.ts"
import { type AlreadyExists, StorageError, ValidationError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Condition } from "../shared/query.ts"
import { findIn, listAll, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import type { Actor } from "../tenancy/actor.ts"
import {
  type WorkflowChange,
  WorkflowChangeModel,
  WorkflowFollowupFormModel,
  WorkflowFollowupModel,
  WorkflowModel,
  type WorkflowVersion,
  WorkflowVersionModel,
  type WorkflowVersionStatus
} from "./workflow.ts"
import { checkVersionName, copyName, DEFAULT_VERSION_NAME, transition, WORKFLOW_AUDIT_SOURCE } from "./workflow-rules.ts"
import { changesOf, entityTypeFor, type FollowUp, followUpsOf, liveVersion, workflowOfType } from "./workflow-store.ts"

/** What a caller gives to create a version. */
export interface WorkflowVersionCreate {
  /** The entity type whose workflow gets the version (the workflow is created when missing). */
  readonly entityTypeId: EntityTypeId
  /** Default `"No Name"`; more than one character, at most 50. */
  readonly name?: string
}

/** A change to a version: its status (IASO's machine), name or `autoFirstStep`. */
export interface WorkflowVersionPatch {
  /** `UNPUBLISHED` or `PUBLISHED` (never back to `DRAFT`); any other text is refused with IASO's message. */
  readonly status?: string
  readonly name?: string
  readonly autoFirstStep?: boolean
}

/** A version with its follow-ups (by order, with their forms) and changes. */
export interface WorkflowVersionDetail {
  readonly version: WorkflowVersion
  readonly followUps: ReadonlyArray<FollowUp>
  readonly changes: ReadonlyArray<WorkflowChange>
}

/** Filters of a version listing (all optional; all must hold). Newest first. */
export interface WorkflowVersionSearch {
  readonly entityTypeId?: EntityTypeId
  readonly status?: WorkflowVersionStatus
  /** Part of the name (case-sensitive), or the whole id. */
  readonly search?: string
}

/** A storage refusal of a second published version (a concurrent publish): run the call again. */
const publishedConcurrently = (error: AlreadyExists) =>
  new StorageError({ reason: "serialization", retryable: true, message: `${error.message}: another version was published concurrently, run the call again` })

/** The version operations of the `Workflows` service. */
export const makeVersionOps = (repos: Repositories) => {
  /**
   * Moves a version to `status` (checked by the caller), unpublishing first the other live
   * published version of its workflow when publishing. Inside a transaction.
   */
  const setStatus = (actor: Actor, version: WorkflowVersion, status: WorkflowVersionStatus, extra: Record<string, unknown> = {}) =>
    Effect.gen(function* () {
      if (status === "PUBLISHED") {
        const published = yield* listAll((page) => repos.list(WorkflowVersionModel, actor.accountId, page), {
          where: [
            { field: "workflowId", op: "eq", value: version.workflowId },
            { field: "status", op: "eq", value: "PUBLISHED" },
            { field: "deletedAt", op: "isNull" },
            { field: "id", op: "ne", value: version.id }
          ]
        }).pipe(orDieOnInvalidListing(WorkflowVersionModel))
        for (const other of published) {
          const after = yield* repos.update(WorkflowVersionModel, actor.accountId, other.id, { status: "UNPUBLISHED" })
          yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowVersionModel, [{ id: other.id, before: other, after }])
        }
      }
      const patch = status === version.status ? extra : { ...extra, status }
      if (Object.keys(patch).length === 0) return version
      const after = yield* repos
        .update(WorkflowVersionModel, actor.accountId, version.id, patch)
        .pipe(Effect.catchTag("AlreadyExists", (error) => Effect.fail(publishedConcurrently(error))))
      yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowVersionModel, [{ id: version.id, before: version, after }])
      return after
    })

  /** The entity type's workflow, created (audited) when it has none. Inside a transaction. */
  const workflowFor = (actor: Actor, entityTypeId: EntityTypeId, uuid?: string) =>
    Effect.gen(function* () {
      const existing = yield* workflowOfType(repos, actor.accountId, entityTypeId)
      if (existing !== undefined) return existing
      const created = yield* repos.insert(WorkflowModel, actor.accountId, { entityTypeId, uuid: uuid ?? globalThis.crypto.randomUUID() })
      yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowModel, [{ id: created.id, after: created }])
      return created
    })

  /** Inserts a DRAFT version of a workflow (audited). Inside a transaction. */
  const insertVersion = (
    actor: Actor,
    workflowId: string,
    referenceFormId: string | undefined,
    fields: { readonly name: string; readonly autoFirstStep: boolean; readonly uuid?: string }
  ) =>
    Effect.gen(function* () {
      const version = yield* repos.insert(WorkflowVersionModel, actor.accountId, {
        workflowId,
        uuid: fields.uuid ?? globalThis.crypto.randomUUID(),
        name: fields.name,
        status: "DRAFT",
        autoFirstStep: fields.autoFirstStep,
        ...(referenceFormId === undefined ? {} : { referenceFormId })
      })
      yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowVersionModel, [{ id: version.id, after: version }])
      return version
    })

  const create = (actor: Actor, input: WorkflowVersionCreate) =>
    Effect.gen(function* () {
      const name = input.name ?? DEFAULT_VERSION_NAME
      const problem = checkVersionName(name)
      if (problem !== undefined) return yield* problem
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const type = yield* entityTypeFor(repos, actor.accountId, input.entityTypeId)
          const workflow = yield* workflowFor(actor, type.id)
          return yield* insertVersion(actor, workflow.id, type.referenceFormId, { name, autoFirstStep: false })
        })
      )
    })

  const update = (actor: Actor, id: WorkflowVersionId, patch: WorkflowVersionPatch) =>
    Effect.gen(function* () {
      if (patch.name !== undefined) {
        const problem = checkVersionName(patch.name)
        if (problem !== undefined) return yield* problem
      }
      if (patch.autoFirstStep !== undefined && typeof patch.autoFirstStep !== "boolean") {
        return yield* ValidationError.at(["autoFirstStep"], "expected a boolean")
      }
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const version = yield* liveVersion(repos, actor.accountId, id)
          const status = patch.status === undefined ? version.status : transition(version.status, patch.status)
          if (status instanceof ValidationError) return yield* status
          const extra: Record<string, unknown> = {}
          if (patch.name !== undefined && patch.name !== version.name) extra["name"] = patch.name
          if (patch.autoFirstStep !== undefined && patch.autoFirstStep !== version.autoFirstStep) extra["autoFirstStep"] = patch.autoFirstStep
          return yield* setStatus(actor, version, status, extra)
        })
      )
    })

  const copy = (actor: Actor, id: WorkflowVersionId) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const source = yield* liveVersion(repos, actor.accountId, id)
        const version = yield* insertVersion(actor, source.workflowId, source.referenceFormId, {
          name: copyName(source.name),
          autoFirstStep: source.autoFirstStep
        })
        const at = yield* now
        const followUps = yield* followUpsOf(repos, actor.accountId, [source.id])
        const copies = followUps.map((followUp) => ({ id: uuidv7(at.getTime()), followUp }))
        if (copies.length > 0) {
          const inserted = yield* repos.insertMany(
            WorkflowFollowupModel,
            actor.accountId,
            copies.map(({ id: copyId, followUp }) => ({ id: copyId, order: followUp.order, condition: followUp.condition, workflowVersionId: version.id })),
            { atomic: true }
          )
          const links = copies.flatMap(({ id: copyId, followUp }) => followUp.formIds.map((formId) => ({ workflowFollowupId: copyId, formId })))
          if (links.length > 0) yield* repos.insertMany(WorkflowFollowupFormModel, actor.accountId, links, { atomic: true })
          const records = inserted.items.flatMap((item) => (item._tag === "Ok" ? [item.value] : []))
          yield* audit(
            repos,
            actor,
            WORKFLOW_AUDIT_SOURCE,
            WorkflowFollowupModel,
            records.map((record) => ({ id: record.id, after: record }))
          )
        }
        const changes = yield* changesOf(repos, actor.accountId, [source.id])
        if (changes.length > 0) {
          const inserted = yield* repos.insertMany(
            WorkflowChangeModel,
            actor.accountId,
            changes.map((change) => ({ formId: change.formId, mapping: change.mapping, workflowVersionId: version.id })),
            { atomic: true }
          )
          const records = inserted.items.flatMap((item) => (item._tag === "Ok" ? [item.value] : []))
          yield* audit(
            repos,
            actor,
            WORKFLOW_AUDIT_SOURCE,
            WorkflowChangeModel,
            records.map((record) => ({ id: record.id, after: record }))
          )
        }
        return version
      })
    )

  const remove = (actor: Actor, id: WorkflowVersionId) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const before = yield* liveVersion(repos, actor.accountId, id)
        const after = yield* repos.update(WorkflowVersionModel, actor.accountId, id, { deletedAt: yield* now })
        yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowVersionModel, [{ id, before, after }])
        return after
      })
    )

  const get = (actor: Actor, id: WorkflowVersionId) =>
    Effect.gen(function* () {
      const version = yield* liveVersion(repos, actor.accountId, id)
      return {
        version,
        followUps: yield* followUpsOf(repos, actor.accountId, [id]),
        changes: yield* changesOf(repos, actor.accountId, [id])
      } satisfies WorkflowVersionDetail
    })

  const list = (actor: Actor, search: WorkflowVersionSearch = {}) =>
    Effect.gen(function* () {
      const where: Array<Condition> = [{ field: "deletedAt", op: "isNull" }]
      if (search.status !== undefined) where.push({ field: "status", op: "eq", value: search.status })
      if (search.entityTypeId !== undefined) {
        const workflow = yield* workflowOfType(repos, actor.accountId, search.entityTypeId)
        if (workflow === undefined) return []
        where.push({ field: "workflowId", op: "eq", value: workflow.id })
      }
      const versions = yield* listAll((page) => repos.list(WorkflowVersionModel, actor.accountId, page), {
        where,
        orderBy: [{ field: "createdAt", direction: "desc" }]
      }).pipe(orDieOnInvalidListing(WorkflowVersionModel))
      const text = search.search
      return text === undefined ? versions : versions.filter((version) => version.name.includes(text) || version.id === text)
    })

  /** The versions of several workflows' ids, live, oldest first (for exports and the mobile payload). */
  const versionsOf = (actor: Actor, workflowIds: ReadonlyArray<string>) =>
    findIn((page) => repos.list(WorkflowVersionModel, actor.accountId, page), "workflowId", workflowIds, {
      where: [{ field: "deletedAt", op: "isNull" }],
      orderBy: [{ field: "createdAt" }]
    }).pipe(orDieOnInvalidListing(WorkflowVersionModel))

  return { setStatus, workflowFor, insertVersion, create, update, copy, remove, get, list, versionsOf }
}
