/**
 * Reading what the workflow rules need, for one account: an entity type the actor may use, a live
 * version (a draft when it is edited), its reference form's questions, live forms by id, and a
 * version's follow-ups (with their forms) and changes.
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { FormModel } from "../forms/form.ts"
import type { EntityTypeId, FormId, WorkflowVersionId } from "../shared/entity-ids.ts"
import { NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { findIn, listAll, type Repositories } from "../shared/repository.ts"
import { type EntityType, EntityTypeModel } from "./entity.ts"
import {
  type Workflow,
  type WorkflowChange,
  WorkflowChangeModel,
  type WorkflowFollowup,
  WorkflowFollowupFormModel,
  WorkflowFollowupModel,
  WorkflowModel,
  type WorkflowVersion,
  WorkflowVersionModel
} from "./workflow.ts"
import { type FieldOfForm, fieldsOfForm, WorkflowMessages } from "./workflow-rules.ts"

/** A follow-up with the forms it offers. */
export interface FollowUp extends WorkflowFollowup {
  /** The forms offered when the condition holds (in the order they were given). */
  readonly formIds: ReadonlyArray<FormId>
}

/** The entity type `id` of the account, or IASO's refusal at `path` (a missing and a foreign type alike). */
export const entityTypeFor = (
  repos: Repositories,
  accountId: string,
  id: EntityTypeId,
  path: ReadonlyArray<string> = ["entityTypeId"]
): Effect.Effect<EntityType, ValidationError | StorageError> =>
  Effect.flatMap(repos.getMany(EntityTypeModel, accountId, [id]), ([type]) =>
    type === undefined ? Effect.fail(ValidationError.at(path, WorkflowMessages.noEntityTypeAccess(id))) : Effect.succeed(type)
  )

/** A live (not soft-deleted) version of the account, else `NotFound`. */
export const liveVersion = (repos: Repositories, accountId: string, id: WorkflowVersionId): Effect.Effect<WorkflowVersion, NotFound | StorageError> =>
  Effect.flatMap(repos.getMany(WorkflowVersionModel, accountId, [id]), ([version]) =>
    version === undefined || version.deletedAt !== undefined ? Effect.fail(NotFound.of(WorkflowVersionModel.name, id)) : Effect.succeed(version)
  )

/** A live version that is a DRAFT (edits of follow-ups and changes), else IASO's refusal. */
export const draftVersion = (repos: Repositories, accountId: string, id: WorkflowVersionId) =>
  Effect.flatMap(liveVersion(repos, accountId, id), (version) =>
    version.status === "DRAFT" ? Effect.succeed(version) : Effect.fail(ValidationError.at([], WorkflowMessages.notDraft(id)))
  )

/** The workflow of an entity type, live or not (one per type). */
export const workflowOfType = (repos: Repositories, accountId: string, entityTypeId: string): Effect.Effect<Workflow | undefined, StorageError> =>
  Effect.map(
    repos
      .list(WorkflowModel, accountId, { where: [{ field: "entityTypeId", op: "eq", value: entityTypeId }], limit: 1 })
      .pipe(orDieOnInvalidListing(WorkflowModel)),
    (page) => page.items[0]
  )

/** A version's reference form (its workflow's entity type's) and that form's questions. */
export const referenceOf = (
  repos: Repositories,
  accountId: string,
  version: WorkflowVersion
): Effect.Effect<{ readonly formId: FormId | undefined; readonly fields: ReadonlyMap<string, FieldOfForm> }, NotFound | StorageError> =>
  Effect.gen(function* () {
    const workflow = yield* repos.get(WorkflowModel, accountId, version.workflowId)
    const [type] = yield* repos.getMany(EntityTypeModel, accountId, [workflow.entityTypeId])
    const formId = type?.referenceFormId ?? version.referenceFormId
    if (formId === undefined) return { formId, fields: new Map() }
    const [form] = yield* repos.getMany(FormModel, accountId, [formId])
    return { formId, fields: fieldsOfForm(form?.possibleFields) }
  })

/**
 * The live forms of `ids` (each once, in order), or a refusal at `path` naming the first that is
 * missing, soft-deleted or another account's (`message`).
 */
export const liveForms = (
  repos: Repositories,
  accountId: string,
  ids: ReadonlyArray<FormId>,
  path: ReadonlyArray<string | number>,
  message: (id: string) => string = WorkflowMessages.formDoesNotExist
) =>
  Effect.gen(function* () {
    const unique = [...new Set(ids)]
    const forms = yield* repos.getMany(FormModel, accountId, unique)
    const byId = new Map(forms.map((form) => [form.id as string, form]))
    for (const id of unique) {
      const form = byId.get(id)
      if (form === undefined || form.deletedAt !== undefined) return yield* ValidationError.at(path, message(id))
    }
    return unique.map((id) => byId.get(id)).filter((form) => form !== undefined)
  })

/** A version's follow-ups with their forms, by `order` (then creation). */
export const followUpsOf = (repos: Repositories, accountId: string, versionIds: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<FollowUp>, StorageError> =>
  Effect.gen(function* () {
    if (versionIds.length === 0) return []
    const followUps = yield* findIn((page) => repos.list(WorkflowFollowupModel, accountId, page), "workflowVersionId", versionIds, {
      orderBy: [{ field: "order" }, { field: "createdAt" }]
    }).pipe(orDieOnInvalidListing(WorkflowFollowupModel))
    const links = yield* findIn(
      (page) => repos.list(WorkflowFollowupFormModel, accountId, page),
      "workflowFollowupId",
      followUps.map((followUp) => followUp.id),
      { orderBy: [{ field: "createdAt" }] }
    ).pipe(orDieOnInvalidListing(WorkflowFollowupFormModel))
    const formIds = new Map<string, Array<FormId>>()
    for (const link of links) formIds.set(link.workflowFollowupId, [...(formIds.get(link.workflowFollowupId) ?? []), link.formId])
    return [...followUps]
      .sort((a, b) => a.order - b.order || a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((followUp) => ({ ...followUp, formIds: formIds.get(followUp.id) ?? [] }))
  })

/** A version's changes, oldest first. */
export const changesOf = (
  repos: Repositories,
  accountId: string,
  versionIds: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<WorkflowChange>, StorageError> =>
  versionIds.length === 0
    ? Effect.succeed([])
    : findIn((page) => repos.list(WorkflowChangeModel, accountId, page), "workflowVersionId", versionIds, { orderBy: [{ field: "createdAt" }] }).pipe(
        orDieOnInvalidListing(WorkflowChangeModel)
      )

/** The live versions of a workflow, oldest first. */
export const versionsOfWorkflow = (repos: Repositories, accountId: string, workflowId: string): Effect.Effect<ReadonlyArray<WorkflowVersion>, StorageError> =>
  listAll((page) => repos.list(WorkflowVersionModel, accountId, page), {
    where: [
      { field: "workflowId", op: "eq", value: workflowId },
      { field: "deletedAt", op: "isNull" }
    ],
    orderBy: [{ field: "createdAt" }]
  }).pipe(orDieOnInvalidListing(WorkflowVersionModel))
