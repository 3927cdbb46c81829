/**
 * What a workflow offers: the follow-ups of an entity's published version whose condition holds on
 * the entity's attributes (its reference-form submission's answers), in order, and the payload the
 * mobile app downloads (IASO's `/api/mobile/workflows/` shape).
 * @module
 */
import { Effect, Result } from "effect"
import { FormModel, ProjectFormModel } from "../forms/form.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import type { EntityId, EntityTypeId, FormId, ProjectId, WorkflowFollowupId, WorkflowVersionId } from "../shared/entity-ids.ts"
import { NotFound } from "../shared/errors.ts"
import { jsonLogicEvaluation } from "../shared/json-logic.ts"
import type { JsonValue } from "../shared/json.ts"
import { findIn, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import { type Actor, requireAny } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { EntityModel, EntityTypeModel } from "./entity.ts"
import { WorkflowModel, type WorkflowVersion, WorkflowVersionModel } from "./workflow.ts"
import { changesOf, followUpsOf, workflowOfType } from "./workflow-store.ts"

/** A follow-up to offer now. */
export interface NextFollowUp {
  readonly followUpId: WorkflowFollowupId
  readonly order: number
  /** The forms to offer. */
  readonly formIds: ReadonlyArray<FormId>
}

/** One workflow of the mobile payload (IASO's field names). */
export interface MobileWorkflow {
  readonly status: "PUBLISHED"
  /** Epoch seconds. */
  readonly created_at: number
  /** Epoch seconds. */
  readonly updated_at: number
  readonly version_id: WorkflowVersionId
  readonly entity_type_id: EntityTypeId
  readonly name: string
  readonly auto_first_step: boolean
  readonly changes: ReadonlyArray<{ readonly form_id: FormId; readonly mapping: { readonly [question: string]: JsonValue } }>
  readonly follow_ups: ReadonlyArray<{
    readonly order: number
    /** The condition as JSON text. */
    readonly condition: string
    readonly form_ids: ReadonlyArray<FormId>
    /** Epoch seconds. */
    readonly created_at: number
    /** Epoch seconds. */
    readonly updated_at: number
  }>
}

/** IASO's mobile workflow payload. */
export interface MobileWorkflows {
  readonly workflows: ReadonlyArray<MobileWorkflow>
}

const seconds = (date: Date): number => date.getTime() / 1000

/** The published live version of a workflow: the most recently created when (in old data) several are. */
export const publishedVersionOf = (repos: Repositories, accountId: string, workflowId: string) =>
  Effect.map(
    repos
      .list(WorkflowVersionModel, accountId, {
        where: [
          { field: "workflowId", op: "eq", value: workflowId },
          { field: "status", op: "eq", value: "PUBLISHED" },
          { field: "deletedAt", op: "isNull" }
        ],
        orderBy: [{ field: "createdAt", direction: "desc" }],
        limit: 1
      })
      .pipe(orDieOnInvalidListing(WorkflowVersionModel)),
    (page): WorkflowVersion | undefined => page.items[0]
  )

/** The evaluation operations of the `Workflows` service. */
export const makeEvaluateOps = (repos: Repositories) => {
  const rowAccess = makeRowAccess(repos)

  const nextFollowUps = (actor: Actor, entityId: EntityId) =>
    Effect.gen(function* () {
      yield* requireAny(actor, EntityModel.access.read, "reading an entity's follow-ups")
      const [entity] = yield* repos.getMany(EntityModel, actor.accountId, [entityId])
      if (entity === undefined || entity.deletedAt !== undefined) return yield* NotFound.of(EntityModel.name, entityId)
      yield* rowAccess.requireVisible(actor, EntityModel, entity)
      const workflow = yield* workflowOfType(repos, actor.accountId, entity.entityTypeId)
      if (workflow === undefined || workflow.deletedAt !== undefined) return []
      const version = yield* publishedVersionOf(repos, actor.accountId, workflow.id)
      if (version === undefined) return []
      const [attributes] = entity.attributesId === undefined ? [] : yield* repos.getMany(InstanceModel, actor.accountId, [entity.attributesId])
      const answers = attributes === undefined || attributes.deleted ? {} : (attributes.json ?? {})
      const at = yield* now
      const followUps = yield* followUpsOf(repos, actor.accountId, [version.id])
      const { jsonLogicHolds } = yield* jsonLogicEvaluation
      const out: Array<NextFollowUp> = []
      for (const followUp of followUps) {
        // A condition was checked when written: one that no longer is (older data) holds nothing.
        const holds = jsonLogicHolds(followUp.condition, answers, { now: at })
        if (Result.isSuccess(holds) && holds.success) out.push({ followUpId: followUp.id, order: followUp.order, formIds: followUp.formIds })
      }
      return out
    })

  const mobile = (actor: Actor, projectId: ProjectId) =>
    Effect.gen(function* () {
      const [project] = yield* repos.getMany(ProjectModel, actor.accountId, [projectId])
      if (project === undefined) return yield* NotFound.of(ProjectModel.name, projectId)
      const links = yield* findIn((page) => repos.list(ProjectFormModel, actor.accountId, page), "projectId", [projectId]).pipe(
        orDieOnInvalidListing(ProjectFormModel)
      )
      const forms = yield* repos.getMany(
        FormModel,
        actor.accountId,
        links.map((link) => link.formId)
      )
      const formIds = forms.filter((form) => form.deletedAt === undefined).map((form) => form.id)
      const types = yield* findIn((page) => repos.list(EntityTypeModel, actor.accountId, page), "referenceFormId", formIds).pipe(
        orDieOnInvalidListing(EntityTypeModel)
      )
      const workflows = yield* findIn(
        (page) => repos.list(WorkflowModel, actor.accountId, page),
        "entityTypeId",
        types.map((type) => type.id),
        { where: [{ field: "deletedAt", op: "isNull" }], orderBy: [{ field: "createdAt" }] }
      ).pipe(orDieOnInvalidListing(WorkflowModel))
      const out: Array<MobileWorkflow> = []
      for (const workflow of workflows) {
        const version = yield* publishedVersionOf(repos, actor.accountId, workflow.id)
        if (version === undefined) continue
        const followUps = yield* followUpsOf(repos, actor.accountId, [version.id])
        const changes = yield* changesOf(repos, actor.accountId, [version.id])
        out.push({
          status: "PUBLISHED",
          created_at: seconds(version.createdAt),
          updated_at: seconds(version.updatedAt),
          version_id: version.id,
          entity_type_id: workflow.entityTypeId,
          name: version.name,
          auto_first_step: version.autoFirstStep,
          changes: changes.map((change) => ({ form_id: change.formId, mapping: change.mapping })),
          follow_ups: followUps.map((followUp) => ({
            order: followUp.order,
            condition: JSON.stringify(followUp.condition),
            form_ids: followUp.formIds,
            created_at: seconds(followUp.createdAt),
            updated_at: seconds(followUp.updatedAt)
          }))
        })
      }
      return { workflows: out } satisfies MobileWorkflows
    })

  return { nextFollowUps, mobile }
}
