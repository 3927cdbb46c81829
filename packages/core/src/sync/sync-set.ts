/**
 * What a device holds: the synced set. A {@link SyncSet} lists the models a pull serves, in the
 * order a receiving store applies them when it repairs (parents first), each with an optional rule
 * narrowing the records the actor may read to those the device needs. The kernel's access rules
 * (the model's read permissions and the actor's org-unit roots) always apply first: a set narrows
 * what an actor may read, never widens it.
 *
 * {@link DEVICE_SYNC_SET} is what a data-collection device needs for one project: its account,
 * the project, org-unit types, the VALID units of the account's default version under the actor's
 * roots (of the project's org-unit types, when the project has some), the project's live forms with their versions and org-unit types, entity types, entities
 * and the submissions of the project's forms under the roots, workflows with their published
 * versions, the published plannings of the project with the actor's assignments, and the storage
 * blacklist, and the org-unit change requests the actor made (their status once reviewed). A host
 * may declare its own set.
 * @module
 */
import { Effect } from "effect"
import { AccountModel } from "../tenancy/account.ts"
import { EntityModel, EntityTypeModel } from "../entities/entity.ts"
import { WorkflowChangeModel, WorkflowFollowupFormModel, WorkflowFollowupModel, WorkflowModel, WorkflowVersionModel } from "../entities/workflow.ts"
import { FormModel, FormOrgUnitTypeModel, ProjectFormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { AssignmentModel, PlanningFormModel, PlanningModel } from "../planning/planning.ts"
import { TeamUserModel } from "../planning/team.ts"
import { OrgUnitChangeRequestModel } from "../registry/change-request.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeModel, OrgUnitTypeProjectModel } from "../registry/org-unit-type.ts"
import type { StorageError } from "../shared/errors.ts"
import type { AnyModel, Row } from "../shared/model.ts"
import type { Condition } from "../shared/query.ts"
import { eachRowPage } from "../shared/row-pages.ts"
import { type Repositories, scopeOf } from "../shared/repository.ts"
import { StorageDeviceModel } from "../storage/storage.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import type { Actor } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"

/** What a set's rules see: the actor, the project the device works for, and the store. */
export interface SyncScopeContext {
  readonly actor: Actor
  /** The project of the device's app; rules narrowing by project keep nothing project-bound without it. */
  readonly projectId: string | undefined
  readonly repos: Repositories
  /** Computes a value once per pull or checksum (the project's forms, the actor's teams...). */
  readonly memo: <A>(key: string, compute: Effect.Effect<A, StorageError>) => Effect.Effect<A, StorageError>
}

/** One model of a synced set. */
export interface SyncedModel {
  readonly model: AnyModel
  /**
   * Conditions every synced record of the model meets, on stored fields (used both to narrow the
   * store's reads and to test a changed record).
   */
  readonly where?: (context: SyncScopeContext) => Effect.Effect<ReadonlyArray<Condition>, StorageError>
  /** Keeps, of readable stored rows meeting `where`, those the device needs (same order). */
  readonly keep?: (rows: ReadonlyArray<Row>, context: SyncScopeContext) => Effect.Effect<ReadonlyArray<Row>, StorageError>
}

/** The models a pull serves, parents first. */
export type SyncSet = ReadonlyArray<SyncedModel>

const isSet = (value: unknown): boolean => value !== undefined && value !== null
const text = (value: unknown): string => (typeof value === "string" ? value : "")

/** The values of `field` over the rows of `model` in the account meeting `where`. */
const idsWhere = (context: SyncScopeContext, model: AnyModel, where: ReadonlyArray<Condition>, field: string) =>
  Effect.gen(function* () {
    const out = new Set<string>()
    yield* eachRowPage(context.repos.driver, model, scopeOf(model, context.actor.accountId), { where, select: [field] }, (rows) =>
      Effect.sync(() => {
        for (const row of rows) out.add(text(row[field]))
      })
    )
    return out
  })

/** The ids of the project's forms (through the ProjectForm links). */
const projectForms = (context: SyncScopeContext) =>
  context.memo(
    "projectForms",
    context.projectId === undefined
      ? Effect.succeed(new Set<string>())
      : idsWhere(context, ProjectFormModel, [{ field: "projectId", op: "eq", value: context.projectId }], "formId")
  )

/** The ids of the project's live forms. */
const liveProjectForms = (context: SyncScopeContext) =>
  context.memo(
    "liveProjectForms",
    Effect.gen(function* () {
      const ids = [...(yield* projectForms(context))]
      const rows = ids.length === 0 ? [] : yield* context.repos.driver.getMany(FormModel, scopeOf(FormModel, context.actor.accountId), ids)
      return new Set(rows.filter((row) => !isSet(row["deletedAt"])).map((row) => text(row["id"])))
    })
  )

/** The ids of the published, live plannings of the project. */
const publishedPlannings = (context: SyncScopeContext) =>
  context.memo(
    "publishedPlannings",
    context.projectId === undefined
      ? Effect.succeed(new Set<string>())
      : idsWhere(
          context,
          PlanningModel,
          [
            { field: "projectId", op: "eq", value: context.projectId },
            { field: "publishedAt", op: "isNotNull" },
            { field: "deletedAt", op: "isNull" }
          ],
          "id"
        )
  )

/** The teams the actor belongs to. */
const actorTeams = (context: SyncScopeContext) =>
  context.memo(
    "actorTeams",
    context.actor.userId === undefined
      ? Effect.succeed(new Set<string>())
      : idsWhere(context, TeamUserModel, [{ field: "userId", op: "eq", value: context.actor.userId }], "teamId")
  )

/** The org-unit types of the project (none: the project does not narrow units by type). */
const projectTypes = (context: SyncScopeContext) =>
  context.memo(
    "projectTypes",
    context.projectId === undefined
      ? Effect.succeed(new Set<string>())
      : idsWhere(context, OrgUnitTypeProjectModel, [{ field: "projectId", op: "eq", value: context.projectId }], "orgUnitTypeId")
  )

/** The account's default version (the pyramid a device downloads). */
const defaultVersion = (context: SyncScopeContext) =>
  context.memo(
    "defaultVersion",
    Effect.map(context.repos.driver.getMany(AccountModel, scopeOf(AccountModel, context.actor.accountId), [context.actor.accountId]), (rows) =>
      text(rows[0]?.["defaultVersionId"])
    )
  )

const byField = (field: string, ids: (context: SyncScopeContext) => Effect.Effect<ReadonlySet<string>, StorageError>) => ({
  keep: (rows: ReadonlyArray<Row>, context: SyncScopeContext) => Effect.map(ids(context), (kept) => rows.filter((row) => kept.has(text(row[field]))))
})

const live: SyncedModel["where"] = () => Effect.succeed([{ field: "deletedAt", op: "isNull" }])

/**
 * The set a data-collection device needs for one project (see the module documentation). The
 * device's own account and project only; units VALID in the default version; forms, versions,
 * links and submissions of the project's live forms; assignments of the project's published
 * plannings given to the actor or to one of its teams; storage devices BLACKLISTED.
 */
export const DEVICE_SYNC_SET: SyncSet = [
  { model: AccountModel, where: (context) => Effect.succeed([{ field: "id", op: "eq", value: context.actor.accountId }]) },
  { model: ProjectModel, where: (context) => Effect.succeed([{ field: "id", op: "eq", value: context.projectId ?? "" }]) },
  { model: OrgUnitTypeModel },
  {
    model: OrgUnitModel,
    where: (context) =>
      Effect.map(defaultVersion(context), (versionId) => [
        { field: "validationStatus", op: "eq", value: "VALID" },
        { field: "versionId", op: "eq", value: versionId }
      ]),
    keep: (rows, context) =>
      Effect.map(projectTypes(context), (types) => (types.size === 0 ? rows : rows.filter((row) => types.has(text(row["orgUnitTypeId"])))))
  },
  { model: FormModel, ...byField("id", liveProjectForms) },
  {
    model: ProjectFormModel,
    where: (context) => Effect.succeed([{ field: "projectId", op: "eq", value: context.projectId ?? "" }]),
    ...byField("formId", liveProjectForms)
  },
  { model: FormVersionModel, ...byField("formId", liveProjectForms) },
  { model: FormOrgUnitTypeModel, ...byField("formId", liveProjectForms) },
  { model: EntityTypeModel },
  { model: EntityModel, where: live },
  { model: InstanceModel, where: () => Effect.succeed([{ field: "deleted", op: "eq", value: false }]), ...byField("formId", projectForms) },
  { model: WorkflowModel, where: live },
  {
    model: WorkflowVersionModel,
    where: (_) =>
      Effect.succeed([
        { field: "status", op: "eq", value: "PUBLISHED" },
        { field: "deletedAt", op: "isNull" }
      ])
  },
  { model: WorkflowFollowupModel },
  { model: WorkflowFollowupFormModel },
  { model: WorkflowChangeModel },
  { model: PlanningModel, ...byField("id", publishedPlannings) },
  { model: PlanningFormModel, ...byField("planningId", publishedPlannings) },
  {
    model: AssignmentModel,
    where: live,
    keep: (rows, context) =>
      Effect.gen(function* () {
        const plannings = yield* publishedPlannings(context)
        const teams = yield* actorTeams(context)
        const userId = context.actor.userId
        return rows.filter(
          (row) => plannings.has(text(row["planningId"])) && ((userId !== undefined && row["userId"] === userId) || teams.has(text(row["teamId"])))
        )
      })
  },
  { model: StorageDeviceModel, where: () => Effect.succeed([{ field: "status", op: "eq", value: "BLACKLISTED" }]) },
  {
    model: OrgUnitChangeRequestModel,
    where: (context) => Effect.succeed([{ field: "createdById", op: "eq", value: context.actor.userId ?? "" }])
  }
]
