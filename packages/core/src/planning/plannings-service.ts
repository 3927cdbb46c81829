/**
 * The `Plannings` service: micro-planning. A planning gives a team (of its project) a scope (a
 * root org unit whose type belongs to the project, and the org-unit types that may receive
 * assignments), the forms to fill (of the project) and a period. Without `publishedAt` it is a
 * draft; publishing needs both dates. IASO's translation keys name what is wrong, several at once
 * (`startDateAfterEndDate` / `EndDateBeforeStartDate`, `publishedWithoutStartDate`,
 * `publishedWithoutEndDate`, `planningAndTeams`, `planningAndForms`, `planningAndOrgUnit`,
 * `planningAndTargetOrgUnitType`, `noOrgUnitsOfTypeInHierarchy`). Deleting is a soft delete.
 *
 * A planning is seen through its root org unit: an actor restricted to org units sees, changes and
 * lists only the plannings whose root is under its roots (the model's row scope, on `Records`
 * too). Writes need `iaso_planning_write`, reads `iaso_planning_write` or `iaso_planning_read`;
 * `mobile` (a user's published plannings with their assignments) needs an actor of the account
 * with a user. Every change is audited (source `PLANNING_API`).
 *
 * Differences from IASO, on purpose:
 * - Reads accept `iaso_planning_read` (the model's read rule, which `Records` applies too); IASO's
 *   planning API asks `iaso_planning_write` even to read.
 * - The mobile payload gives dates as `YYYY-MM-DD` and the SDK's camelCase names (IASO: epoch
 *   seconds, snake case); it leaves out plannings and units outside the actor's reach.
 * @module
 */
import { Context, Effect, Layer, Schema } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { makeRowAccess, type RowAccess } from "../kernel/row-access.ts"
import { FormOrgUnitTypeModel, ProjectFormModel } from "../forms/form.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeProjectModel } from "../registry/org-unit-type.ts"
import { FormId, OrgUnitId, OrgUnitTypeId, type PlanningId, ProjectId, TeamId } from "../shared/entity-ids.ts"
import { type Forbidden, NotFound, type StorageError, type ValidationError } from "../shared/errors.ts"
import type { Condition } from "../shared/query.ts"
import { findIn, listAll, type Repositories } from "../shared/repository.ts"
import { foldKey, NonBlankTextMax, Text } from "../shared/text.ts"
import { DateOnly, Instant, now } from "../shared/time.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { AssignmentModel, PipelineUuids, type Planning, PlanningFormModel, PlanningModel, PlanningTargetOrgUnitTypeModel } from "./planning.ts"
import { decodeInput, issuesError, PLANNING_AUDIT_SOURCE, PlanningMessages } from "./planning-rules.ts"
import { formsOf, livePlanning, targetTypesOf } from "./planning-store.ts"
import { TeamModel } from "./team.ts"
import { DeletionStatus } from "./teams-service.ts"

/** `T` with its calendar days given as plain `YYYY-MM-DD` text (checked when decoded). */
export type DaysAsText<T> = { readonly [K in keyof T]: [Extract<T[K], DateOnly>] extends [never] ? T[K] : Exclude<T[K], DateOnly> | string }

/** What a caller gives to create a planning. */
export const PlanningCreate = Schema.Struct({
  name: NonBlankTextMax(100),
  /** Default "". */
  description: Schema.optionalKey(Text),
  projectId: ProjectId,
  /** The root team doing the work, of the same project. */
  teamId: TeamId,
  /** The root of the scope: its type must belong to the project; within the actor's reach. */
  orgUnitId: OrgUnitId,
  /** The forms to fill, of the project: at least one. */
  formIds: Schema.Array(FormId),
  /** Types of the project that may receive assignments, each with a unit strictly under the root. */
  targetOrgUnitTypeIds: Schema.optionalKey(Schema.Array(OrgUnitTypeId)),
  startedAt: Schema.optionalKey(DateOnly),
  endedAt: Schema.optionalKey(DateOnly),
  /** Set: published (needs both dates); absent: a draft. */
  publishedAt: Schema.optionalKey(Instant),
  /** Default []. */
  pipelineUuids: Schema.optionalKey(PipelineUuids)
})
export type PlanningCreate = DaysAsText<typeof PlanningCreate.Type>

/** A change to a planning: the fields given change (`null` clears a date or unpublishes); lists replace. */
export const PlanningUpdate = Schema.Struct({
  name: Schema.optionalKey(NonBlankTextMax(100)),
  description: Schema.optionalKey(Text),
  projectId: Schema.optionalKey(ProjectId),
  teamId: Schema.optionalKey(TeamId),
  orgUnitId: Schema.optionalKey(OrgUnitId),
  formIds: Schema.optionalKey(Schema.Array(FormId)),
  targetOrgUnitTypeIds: Schema.optionalKey(Schema.Array(OrgUnitTypeId)),
  startedAt: Schema.optionalKey(Schema.NullOr(DateOnly)),
  endedAt: Schema.optionalKey(Schema.NullOr(DateOnly)),
  publishedAt: Schema.optionalKey(Schema.NullOr(Instant)),
  pipelineUuids: Schema.optionalKey(PipelineUuids)
})
export type PlanningUpdate = DaysAsText<typeof PlanningUpdate.Type>

/** Which plannings a listing keeps by publication: `draft`, `published` or `all` (default). */
export const PublishingStatus = Schema.Literals(["draft", "published", "all"])
export type PublishingStatus = typeof PublishingStatus.Type

/** Filters of {@link Plannings | Plannings.list} (all optional; all must hold). By name. */
export const PlanningSearch = Schema.Struct({
  publishingStatus: Schema.optionalKey(PublishingStatus),
  /** `active` (default), `deleted` or `all`. */
  deletionStatus: Schema.optionalKey(DeletionStatus),
  /** Plannings offering one of these forms. */
  formIds: Schema.optionalKey(Schema.Array(FormId)),
  projectIds: Schema.optionalKey(Schema.Array(ProjectId)),
  teamIds: Schema.optionalKey(Schema.Array(TeamId)),
  /** Part of the name, compared folded (case and accents ignored). */
  search: Schema.optionalKey(Text),
  /** Plannings starting on or after this day. */
  startedFrom: Schema.optionalKey(DateOnly),
  /** Plannings ending on or before this day. */
  endedBefore: Schema.optionalKey(DateOnly)
})
export type PlanningSearch = DaysAsText<typeof PlanningSearch.Type>

/** A planning with its forms, target types and number of live assignments. */
export interface PlanningDetail extends Planning {
  readonly formIds: ReadonlyArray<FormId>
  readonly targetOrgUnitTypeIds: ReadonlyArray<OrgUnitTypeId>
  /** IASO's `assignments_count`: live assignments. */
  readonly assignmentsCount: number
}

/** An assigned org unit in the mobile payload, with the planning's forms that fit its type. */
export interface MobileAssignment {
  readonly orgUnitId: OrgUnitId
  /** The planning's forms whose org-unit types include the unit's type. */
  readonly formIds: ReadonlyArray<FormId>
}

/** A published planning in the mobile payload (IASO's `/api/mobile/plannings/`). */
export interface MobilePlanning {
  readonly id: PlanningId
  readonly name: string
  readonly description: string
  readonly createdAt: Date
  readonly startedAt: string
  readonly endedAt: string
  readonly assignments: ReadonlyArray<MobileAssignment>
}

type ReadError = NotFound | Forbidden | ValidationError | StorageError

/**
 * Plannings (see the module documentation for the rules). Provided by `Iaso.layer`; on the Promise
 * facade, `iaso.as(actor).plannings`.
 */
export class Plannings extends Context.Service<
  Plannings,
  {
    /** Creates a planning with its forms and target types, checked with IASO's keys; audited. */
    readonly create: (input: PlanningCreate) => Effect.Effect<PlanningDetail, ServiceWriteError, CurrentActor>
    /** Changes a planning; the result is checked whole again. */
    readonly update: (
      id: PlanningId,
      patch: PlanningUpdate,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<PlanningDetail, ServiceWriteError, CurrentActor>
    /** Soft-deletes a planning. */
    readonly remove: (id: PlanningId) => Effect.Effect<Planning, ServiceWriteError, CurrentActor>
    /** A planning within reach (deleted or not). */
    readonly get: (id: PlanningId) => Effect.Effect<PlanningDetail, ReadError, CurrentActor>
    /** The plannings within reach matching the filters, by name. */
    readonly list: (search?: PlanningSearch) => Effect.Effect<ReadonlyArray<PlanningDetail>, ReadError, CurrentActor>
    /**
     * The current user's field work: live, published plannings with both dates that hold at least
     * one live assignment to the user, each with those assignments and the forms fitting each
     * unit's type, by name.
     */
    readonly mobile: () => Effect.Effect<ReadonlyArray<MobilePlanning>, StorageError, CurrentActor>
  }
>()("@iaso/core/Plannings") {
  /** The service over {@link Repos}. */
  static readonly layer = Layer.effect(
    Plannings,
    Effect.map(Effect.service(Repos), (repos) => Plannings.of(makePlannings(repos, makeRowAccess(repos))))
  )
}

const WRITE = PlanningModel.access.write
const READ = PlanningModel.access.read

/** Plannings with their forms, target types and live assignment counts, in the same order. */
const details = (repos: Repositories, accountId: string, plannings: ReadonlyArray<Planning>): Effect.Effect<ReadonlyArray<PlanningDetail>, StorageError> =>
  Effect.gen(function* () {
    const ids = plannings.map((planning) => planning.id)
    if (ids.length === 0) return []
    const forms = yield* formsOf(repos, accountId, ids)
    const types = yield* targetTypesOf(repos, accountId, ids)
    const assignments = yield* findIn((page) => repos.list(AssignmentModel, accountId, page), "planningId", ids, {
      where: [{ field: "deletedAt", op: "isNull" }],
      select: ["planningId"]
    }).pipe(orDieOnInvalidListing(AssignmentModel))
    const counts = new Map<string, number>()
    for (const assignment of assignments) counts.set(String(assignment.planningId), (counts.get(String(assignment.planningId)) ?? 0) + 1)
    return plannings.map((planning) => ({
      ...planning,
      formIds: forms.get(planning.id) ?? [],
      targetOrgUnitTypeIds: types.get(planning.id) ?? [],
      assignmentsCount: counts.get(planning.id) ?? 0
    }))
  })

/** The planning's fields after a change, as the checks read them. */
interface Merged {
  readonly projectId: ProjectId
  readonly teamId: TeamId
  readonly orgUnitId: OrgUnitId
  readonly formIds: ReadonlyArray<FormId>
  readonly targetOrgUnitTypeIds: ReadonlyArray<OrgUnitTypeId>
  readonly startedAt: string | undefined
  readonly endedAt: string | undefined
  readonly publishedAt: Date | undefined
}

const makePlannings = (repos: Repositories, rows: RowAccess): Plannings["Service"] => {
  const actorWith = (permissions: ReadonlyArray<string>, action: string) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.as(requireAny(actor, permissions, action), actor))

  /** IASO's checks of a planning's fields, every issue at once; `NotFound` for a missing team or root, or a root out of reach. */
  const check = (actor: Actor, merged: Merged) =>
    Effect.gen(function* () {
      const issues: Array<{ path: ReadonlyArray<string>; message: string }> = []
      if (merged.startedAt !== undefined && merged.endedAt !== undefined && merged.startedAt > merged.endedAt) {
        issues.push({ path: ["startedAt"], message: PlanningMessages.startDateAfterEndDate })
        issues.push({ path: ["endedAt"], message: PlanningMessages.endDateBeforeStartDate })
      }
      if (merged.publishedAt !== undefined) {
        if (merged.startedAt === undefined) issues.push({ path: ["startedAt"], message: PlanningMessages.publishedWithoutStartDate })
        if (merged.endedAt === undefined) issues.push({ path: ["endedAt"], message: PlanningMessages.publishedWithoutEndDate })
      }
      const [team] = yield* repos.getMany(TeamModel, actor.accountId, [merged.teamId])
      if (team === undefined || team.deletedAt !== undefined) return yield* NotFound.of(TeamModel.name, merged.teamId)
      if (team.projectId !== merged.projectId) issues.push({ path: ["teamId"], message: PlanningMessages.planningAndTeams })
      if (merged.formIds.length === 0) issues.push({ path: ["formIds"], message: PlanningMessages.emptyList })
      else {
        const offered = yield* findIn((page) => repos.list(ProjectFormModel, actor.accountId, page), "formId", merged.formIds, {
          where: [{ field: "projectId", op: "eq", value: merged.projectId }]
        }).pipe(orDieOnInvalidListing(ProjectFormModel))
        const ids = new Set<string>(offered.map((link) => link.formId))
        if (merged.formIds.some((formId) => !ids.has(formId))) issues.push({ path: ["formIds"], message: PlanningMessages.planningAndForms })
      }
      const [root] = yield* repos.getMany(OrgUnitModel, actor.accountId, [merged.orgUnitId])
      if (root === undefined) return yield* NotFound.of(OrgUnitModel.name, merged.orgUnitId)
      yield* rows.requireWritable(actor, PlanningModel, { id: "", orgUnitId: merged.orgUnitId })
      const typeIds = [...new Set([...(root.orgUnitTypeId === undefined ? [] : [root.orgUnitTypeId]), ...merged.targetOrgUnitTypeIds])]
      const linked = yield* findIn((page) => repos.list(OrgUnitTypeProjectModel, actor.accountId, page), "orgUnitTypeId", typeIds, {
        where: [{ field: "projectId", op: "eq", value: merged.projectId }]
      }).pipe(orDieOnInvalidListing(OrgUnitTypeProjectModel))
      const inProject = new Set<string>(linked.map((link) => link.orgUnitTypeId))
      if (root.orgUnitTypeId === undefined || !inProject.has(root.orgUnitTypeId))
        issues.push({ path: ["orgUnitId"], message: PlanningMessages.planningAndOrgUnit })
      for (const typeId of new Set(merged.targetOrgUnitTypeIds)) {
        if (!inProject.has(typeId)) {
          issues.push({ path: ["targetOrgUnitTypeIds"], message: PlanningMessages.planningAndTargetOrgUnitType })
          break
        }
        const below = yield* repos
          .count(
            OrgUnitModel,
            actor.accountId,
            [],
            [
              { field: "path", op: "startsWith", value: root.path },
              { field: "id", op: "ne", value: root.id },
              { field: "orgUnitTypeId", op: "eq", value: typeId }
            ]
          )
          .pipe(orDieOnInvalidListing(OrgUnitModel))
        if (below === 0) {
          issues.push({ path: ["targetOrgUnitTypeIds"], message: PlanningMessages.noOrgUnitsOfTypeInHierarchy })
          break
        }
      }
      if (issues.length > 0) return yield* issuesError(issues)
    })

  /** Makes a planning's links of `model` follow `wanted`. Inside a transaction. */
  const syncLinks = (
    accountId: string,
    model: typeof PlanningFormModel | typeof PlanningTargetOrgUnitTypeModel,
    field: "formId" | "orgUnitTypeId",
    planningId: string,
    wanted: ReadonlyArray<string>
  ) =>
    Effect.gen(function* () {
      const links = yield* listAll((page) => repos.list(model, accountId, page), { where: [{ field: "planningId", op: "eq", value: planningId }] }).pipe(
        orDieOnInvalidListing(model)
      )
      const keep = new Set(wanted)
      const have = new Set<string>()
      for (const link of links) {
        const value = String((link as Readonly<Record<string, unknown>>)[field])
        have.add(value)
        if (!keep.has(value)) yield* repos.remove(model, accountId, link.id)
      }
      const added = [...keep].filter((value) => !have.has(value))
      if (added.length > 0)
        yield* repos.insertMany(
          model,
          accountId,
          added.map((value) => ({ planningId, [field]: value })),
          { atomic: true }
        )
    })

  const create = (input: PlanningCreate) =>
    Effect.gen(function* () {
      const actor = yield* actorWith(WRITE, "creating plannings")
      const decoded = yield* decodeInput(PlanningCreate, input)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const targetOrgUnitTypeIds = decoded.targetOrgUnitTypeIds ?? []
          yield* check(actor, { ...decoded, targetOrgUnitTypeIds, startedAt: decoded.startedAt, endedAt: decoded.endedAt, publishedAt: decoded.publishedAt })
          const { formIds, targetOrgUnitTypeIds: _types, ...fields } = decoded
          const planning = yield* repos.insert(PlanningModel, actor.accountId, {
            description: "",
            pipelineUuids: [],
            ...fields,
            ...(actor.userId === undefined ? {} : { createdById: actor.userId })
          })
          yield* syncLinks(actor.accountId, PlanningFormModel, "formId", planning.id, formIds)
          yield* syncLinks(actor.accountId, PlanningTargetOrgUnitTypeModel, "orgUnitTypeId", planning.id, targetOrgUnitTypeIds)
          yield* audit(repos, actor, PLANNING_AUDIT_SOURCE, PlanningModel, [{ id: planning.id, after: planning }])
          const [detail] = yield* details(repos, actor.accountId, [planning])
          return detail ?? { ...planning, formIds, targetOrgUnitTypeIds, assignmentsCount: 0 }
        })
      )
    })

  const update = (id: PlanningId, patch: PlanningUpdate, options: { readonly expectedVersion?: number } = {}) =>
    Effect.gen(function* () {
      const actor = yield* actorWith(WRITE, "changing plannings")
      const decoded = yield* decodeInput(PlanningUpdate, patch)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* livePlanning(repos, rows, actor, id)
          const [current] = yield* details(repos, actor.accountId, [before])
          const pick = <K extends "startedAt" | "endedAt" | "publishedAt">(key: K) => (decoded[key] === undefined ? before[key] : (decoded[key] ?? undefined))
          const merged: Merged = {
            projectId: decoded.projectId ?? before.projectId,
            teamId: decoded.teamId ?? before.teamId,
            orgUnitId: decoded.orgUnitId ?? before.orgUnitId,
            formIds: decoded.formIds ?? current?.formIds ?? [],
            targetOrgUnitTypeIds: decoded.targetOrgUnitTypeIds ?? current?.targetOrgUnitTypeIds ?? [],
            startedAt: pick("startedAt"),
            endedAt: pick("endedAt"),
            publishedAt: pick("publishedAt")
          }
          yield* check(actor, merged)
          const { formIds, targetOrgUnitTypeIds, ...fields } = decoded
          const after = yield* repos.update(
            PlanningModel,
            actor.accountId,
            id,
            { ...fields, ...(actor.userId === undefined ? {} : { createdById: actor.userId }) },
            options
          )
          if (formIds !== undefined) yield* syncLinks(actor.accountId, PlanningFormModel, "formId", id, formIds)
          if (targetOrgUnitTypeIds !== undefined) yield* syncLinks(actor.accountId, PlanningTargetOrgUnitTypeModel, "orgUnitTypeId", id, targetOrgUnitTypeIds)
          yield* audit(repos, actor, PLANNING_AUDIT_SOURCE, PlanningModel, [{ id, before, after }])
          const [detail] = yield* details(repos, actor.accountId, [after])
          return detail ?? { ...after, formIds: merged.formIds, targetOrgUnitTypeIds: merged.targetOrgUnitTypeIds, assignmentsCount: 0 }
        })
      )
    })

  const remove = (id: PlanningId) =>
    Effect.gen(function* () {
      const actor = yield* actorWith(WRITE, "deleting plannings")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* livePlanning(repos, rows, actor, id)
          const after = yield* repos.update(PlanningModel, actor.accountId, id, { deletedAt: yield* now }, { expectedVersion: before.version })
          yield* audit(repos, actor, PLANNING_AUDIT_SOURCE, PlanningModel, [{ id, before, after }])
          return after
        })
      )
    })

  const get = (id: PlanningId) =>
    Effect.gen(function* () {
      const actor = yield* actorWith(READ, "reading plannings")
      const planning = yield* repos.get(PlanningModel, actor.accountId, id)
      yield* rows.requireVisible(actor, PlanningModel, planning)
      const [detail] = yield* details(repos, actor.accountId, [planning])
      return detail ?? { ...planning, formIds: [], targetOrgUnitTypeIds: [], assignmentsCount: 0 }
    })

  const list = (search: PlanningSearch = {}) =>
    Effect.gen(function* () {
      const actor = yield* actorWith(READ, "reading plannings")
      const filters = yield* decodeInput(PlanningSearch, search)
      const where: Array<Condition> = [...(yield* rows.listConditions(actor, PlanningModel))]
      const status = filters.deletionStatus ?? "active"
      if (status === "active") where.push({ field: "deletedAt", op: "isNull" })
      if (status === "deleted") where.push({ field: "deletedAt", op: "isNotNull" })
      if (filters.publishingStatus === "draft") where.push({ field: "publishedAt", op: "isNull" })
      if (filters.publishingStatus === "published") where.push({ field: "publishedAt", op: "isNotNull" })
      if (filters.projectIds !== undefined) where.push({ field: "projectId", op: "in", value: filters.projectIds })
      if (filters.teamIds !== undefined) where.push({ field: "teamId", op: "in", value: filters.teamIds })
      if (filters.startedFrom !== undefined) where.push({ field: "startedAt", op: "gte", value: filters.startedFrom })
      if (filters.endedBefore !== undefined) where.push({ field: "endedAt", op: "lte", value: filters.endedBefore })
      if (filters.formIds !== undefined) {
        const links = yield* findIn((page) => repos.list(PlanningFormModel, actor.accountId, page), "formId", filters.formIds, { select: ["planningId"] }).pipe(
          orDieOnInvalidListing(PlanningFormModel)
        )
        where.push({ field: "id", op: "in", value: [...new Set(links.map((link) => String(link.planningId)))] })
      }
      const plannings = yield* listAll((page) => repos.list(PlanningModel, actor.accountId, page, where), { orderBy: [{ field: "name" }] }).pipe(
        orDieOnInvalidListing(PlanningModel)
      )
      const text = filters.search === undefined ? "" : foldKey(filters.search)
      return yield* details(repos, actor.accountId, text === "" ? plannings : plannings.filter((planning) => foldKey(planning.name).includes(text)))
    })

  const mobile = () =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      if (actor.userId === undefined) return []
      const reach = yield* rows.listConditions(actor, AssignmentModel)
      const assignments = yield* listAll((page) => repos.list(AssignmentModel, actor.accountId, page, reach), {
        where: [
          { field: "userId", op: "eq", value: actor.userId },
          { field: "deletedAt", op: "isNull" }
        ],
        orderBy: [{ field: "createdAt" }]
      }).pipe(orDieOnInvalidListing(AssignmentModel))
      const planningIds = [...new Set(assignments.flatMap((assignment) => (assignment.planningId === undefined ? [] : [assignment.planningId])))]
      const found = yield* repos.getMany(PlanningModel, actor.accountId, planningIds)
      const candidates = found.filter(
        (planning) =>
          planning.deletedAt === undefined && planning.publishedAt !== undefined && planning.startedAt !== undefined && planning.endedAt !== undefined
      )
      const plannings = yield* rows.keepVisible(actor, PlanningModel, candidates)
      if (plannings.length === 0) return []
      const forms = yield* formsOf(
        repos,
        actor.accountId,
        plannings.map((planning) => planning.id)
      )
      const unitIds = [...new Set(assignments.flatMap((assignment) => (assignment.orgUnitId === undefined ? [] : [assignment.orgUnitId])))]
      const units = yield* findIn((page) => repos.list(OrgUnitModel, actor.accountId, page), "id", unitIds, { select: ["orgUnitTypeId"] }).pipe(
        orDieOnInvalidListing(OrgUnitModel)
      )
      const typeOf = new Map(units.map((unit) => [String(unit.id), unit.orgUnitTypeId]))
      const allForms = [...new Set([...forms.values()].flat())]
      const formTypes = yield* findIn((page) => repos.list(FormOrgUnitTypeModel, actor.accountId, page), "formId", allForms).pipe(
        orDieOnInvalidListing(FormOrgUnitTypeModel)
      )
      const fits = new Set(formTypes.map((link) => `${link.formId} ${link.orgUnitTypeId}`))
      return [...plannings]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
        .map(
          (planning): MobilePlanning => ({
            id: planning.id,
            name: planning.name,
            description: planning.description,
            createdAt: planning.createdAt,
            startedAt: planning.startedAt ?? "",
            endedAt: planning.endedAt ?? "",
            assignments: assignments.flatMap((assignment) => {
              const orgUnitId = assignment.orgUnitId
              if (assignment.planningId !== planning.id || orgUnitId === undefined) return []
              const type = typeOf.get(orgUnitId)
              return [{ orgUnitId, formIds: (forms.get(planning.id) ?? []).filter((formId) => type !== undefined && fits.has(`${formId} ${type}`)) }]
            })
          })
        )
    })

  return { create, update, remove, get, list, mobile }
}
