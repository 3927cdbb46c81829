/**
 * The `Assignments` service: which team or user visits which org unit of a planning. An
 * assignment goes to a team or a user, never both (`Cannot assign on both team and users`); its
 * org unit is a strict descendant of the planning's root within the actor's reach (`OrgUnit is not
 * in planning scope`). At most one live assignment exists per planning and org unit: storage
 * refuses a second one (a partial unique index in SQL, a computed unique key in IndexedDB and
 * memory), so two writers cannot both pass; a soft-deleted one no longer counts.
 *
 * `bulkCreate` is IASO's selection: `selectAll` (minus `unselectedIds`) or `selectedIds`, among the
 * VALID org units within reach strictly under the planning's root with one of its target types,
 * narrowed by `orgUnitParentId`, `orgUnitTypeIds` and `search`; live assignments of the selected
 * units are given to the new assignee in place, the others created (a soft-deleted one is not
 * revived). `bulkDelete` soft-deletes a planning's live assignments, optionally of one team or user.
 *
 * An assignment is seen through its org unit: an actor restricted to org units sees and changes
 * only assignments under its roots (the model's row scope, on `Records` too). Writes need
 * `iaso_planning_write`; reads any actor of the account. Every change is audited (source
 * `ASSIGNMENT_API`).
 *
 * Differences from IASO, on purpose:
 * - An assignment names its assignee: one of `teamId` and `userId` is required (IASO stores
 *   assignments to nobody).
 * - The planning of an assignment is live and within reach (IASO accepts a soft-deleted planning).
 * @module
 */
import { Context, Effect, Layer, Schema } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { makeRowAccess, type RowAccess } from "../kernel/row-access.ts"
import { type OrgUnit, OrgUnitModel } from "../registry/org-unit.ts"
import { type AssignmentId, OrgUnitId, OrgUnitTypeId, PlanningId, TeamId, UserId } from "../shared/entity-ids.ts"
import { NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import type { Condition } from "../shared/query.ts"
import { findIn, listAll, type Repositories } from "../shared/repository.ts"
import { foldKey, Text } from "../shared/text.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { type Assignment, AssignmentModel, type Planning } from "./planning.ts"
import { ASSIGNMENT_AUDIT_SOURCE, decodeInput, issuesError, PlanningMessages } from "./planning-rules.ts"
import { livePlanning, targetTypesOf } from "./planning-store.ts"
import { DeletionStatus } from "./teams-service.ts"

/** What a caller gives to create an assignment: a team or a user, not both. */
export const AssignmentCreate = Schema.Struct({
  planningId: PlanningId,
  orgUnitId: OrgUnitId,
  userId: Schema.optionalKey(UserId),
  teamId: Schema.optionalKey(TeamId)
})
export type AssignmentCreate = typeof AssignmentCreate.Type

/** A new assignee: the one given replaces the current one (`null` clears it); one of them remains. */
export const AssignmentUpdate = Schema.Struct({
  userId: Schema.optionalKey(Schema.NullOr(UserId)),
  teamId: Schema.optionalKey(Schema.NullOr(TeamId))
})
export type AssignmentUpdate = typeof AssignmentUpdate.Type

/** Filters of {@link Assignments | Assignments.list} (all optional; all must hold). By planning, then creation. */
export const AssignmentSearch = Schema.Struct({
  planningId: Schema.optionalKey(PlanningId),
  userId: Schema.optionalKey(UserId),
  teamId: Schema.optionalKey(TeamId),
  orgUnitId: Schema.optionalKey(OrgUnitId),
  /** `active` (default), `deleted` or `all`. */
  deletionStatus: Schema.optionalKey(DeletionStatus)
})
export type AssignmentSearch = typeof AssignmentSearch.Type

/** IASO's bulk creation of assignments (see the module documentation). */
export const AssignmentBulkCreate = Schema.Struct({
  planningId: PlanningId,
  teamId: Schema.optionalKey(TeamId),
  userId: Schema.optionalKey(UserId),
  /** Every unit of the scope, but `unselectedIds`. */
  selectAll: Schema.optionalKey(Schema.Boolean),
  /** These units of the scope (without `selectAll`). */
  selectedIds: Schema.optionalKey(Schema.Array(OrgUnitId)),
  /** Units left out of `selectAll`. */
  unselectedIds: Schema.optionalKey(Schema.Array(OrgUnitId)),
  /** Only units of this unit's subtree. */
  orgUnitParentId: Schema.optionalKey(OrgUnitId),
  /** Only units of these types (target types of the planning). */
  orgUnitTypeIds: Schema.optionalKey(Schema.Array(OrgUnitTypeId)),
  /** Only units whose name holds this text, compared folded. */
  search: Schema.optionalKey(Text)
})
export type AssignmentBulkCreate = typeof AssignmentBulkCreate.Type

/** IASO's bulk deletion: a planning's live assignments, optionally of one user or team. */
export const AssignmentBulkDelete = Schema.Struct({
  planningId: PlanningId,
  userId: Schema.optionalKey(UserId),
  teamId: Schema.optionalKey(TeamId)
})
export type AssignmentBulkDelete = typeof AssignmentBulkDelete.Type

/** What a bulk deletion answers (IASO's payload, camelCase). */
export interface AssignmentBulkDeleteResult {
  /** `Successfully deleted <n> assignments`, or `No assignments to delete`. */
  readonly message: string
  readonly deletedCount: number
  readonly planningId: PlanningId
  readonly userId?: UserId
  readonly teamId?: TeamId
}

type ReadError = NotFound | ValidationError | StorageError

/**
 * Assignments (see the module documentation for the rules). Provided by `Iaso.layer`; on the
 * Promise facade, `iaso.as(actor).assignments`.
 */
export class Assignments extends Context.Service<
  Assignments,
  {
    /** Creates an assignment; a second live one for the planning and unit is storage's `AlreadyExists`. */
    readonly create: (input: AssignmentCreate) => Effect.Effect<Assignment, ServiceWriteError, CurrentActor>
    /** Gives a live assignment to another team or user. */
    readonly update: (
      id: AssignmentId,
      patch: AssignmentUpdate,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<Assignment, ServiceWriteError, CurrentActor>
    /** Soft-deletes a live assignment. */
    readonly remove: (id: AssignmentId) => Effect.Effect<Assignment, ServiceWriteError, CurrentActor>
    /** An assignment within reach (deleted or not). */
    readonly get: (id: AssignmentId) => Effect.Effect<Assignment, NotFound | StorageError, CurrentActor>
    /** The assignments within reach matching the filters. */
    readonly list: (search?: AssignmentSearch) => Effect.Effect<ReadonlyArray<Assignment>, ReadError, CurrentActor>
    /** IASO's bulk creation; answers the assignments created or given to the new assignee, in unit order. */
    readonly bulkCreate: (input: AssignmentBulkCreate) => Effect.Effect<ReadonlyArray<Assignment>, ServiceWriteError, CurrentActor>
    /** IASO's bulk deletion (soft). */
    readonly bulkDelete: (input: AssignmentBulkDelete) => Effect.Effect<AssignmentBulkDeleteResult, ServiceWriteError, CurrentActor>
  }
>()("@iaso/core/Assignments") {
  /** The service over {@link Repos}. */
  static readonly layer = Layer.effect(
    Assignments,
    Effect.map(Effect.service(Repos), (repos) => Assignments.of(makeAssignments(repos, makeRowAccess(repos))))
  )
}

const WRITE = AssignmentModel.access.write

const makeAssignments = (repos: Repositories, rows: RowAccess): Assignments["Service"] => {
  const writer = (action: string) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.as(requireAny(actor, WRITE, `${action} assignments`), actor))

  const auditAll = (actor: Actor, changes: ReadonlyArray<{ readonly id: string; readonly before?: unknown; readonly after?: unknown }>) =>
    audit(repos, actor, ASSIGNMENT_AUDIT_SOURCE, AssignmentModel, changes)

  /** The assignee rule: exactly one of team and user. */
  const assignee = (teamId: unknown, userId: unknown): ValidationError | undefined =>
    teamId !== undefined && userId !== undefined
      ? ValidationError.at([], PlanningMessages.bothTeamAndUser)
      : teamId === undefined && userId === undefined
        ? ValidationError.at([], PlanningMessages.noAssignee)
        : undefined

  /** The planning's root and `unit` when the unit is a strict descendant of it within reach, else IASO's refusal. */
  const inScope = (actor: Actor, planning: Planning, orgUnitId: OrgUnitId) =>
    Effect.gen(function* () {
      const [root, unit] = yield* Effect.map(repos.getMany(OrgUnitModel, actor.accountId, [planning.orgUnitId, orgUnitId]), (units) => [
        units.find((u) => u.id === planning.orgUnitId),
        units.find((u) => u.id === orgUnitId)
      ])
      const refused = ValidationError.at(["orgUnitId"], PlanningMessages.notInScope)
      if (root === undefined || unit === undefined || unit.id === root.id || !unit.path.startsWith(root.path)) return yield* refused
      const [seen] = yield* rows.visible(actor, OrgUnitModel, [unit])
      if (seen !== true) return yield* refused
      return unit
    })

  /** An assignment the actor sees, live, else `NotFound`. */
  const liveAssignment = (actor: Actor, id: AssignmentId) =>
    Effect.gen(function* () {
      const assignment = yield* repos.get(AssignmentModel, actor.accountId, id)
      yield* rows.requireVisible(actor, AssignmentModel, assignment)
      if (assignment.deletedAt !== undefined) return yield* NotFound.of(AssignmentModel.name, id)
      return assignment
    })

  const create = (input: AssignmentCreate) =>
    Effect.gen(function* () {
      const actor = yield* writer("creating")
      const decoded = yield* decodeInput(AssignmentCreate, input)
      const wrong = assignee(decoded.teamId, decoded.userId)
      if (wrong !== undefined) return yield* wrong
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const planning = yield* livePlanning(repos, rows, actor, decoded.planningId)
          yield* inScope(actor, planning, decoded.orgUnitId)
          const created = yield* repos.insert(AssignmentModel, actor.accountId, {
            ...decoded,
            ...(actor.userId === undefined ? {} : { createdById: actor.userId })
          })
          yield* auditAll(actor, [{ id: created.id, after: created }])
          return created
        })
      )
    })

  const update = (id: AssignmentId, patch: AssignmentUpdate, options: { readonly expectedVersion?: number } = {}) =>
    Effect.gen(function* () {
      const actor = yield* writer("changing")
      const decoded = yield* decodeInput(AssignmentUpdate, patch)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* liveAssignment(actor, id)
          const teamId = decoded.teamId === undefined ? before.teamId : (decoded.teamId ?? undefined)
          const userId = decoded.userId === undefined ? before.userId : (decoded.userId ?? undefined)
          const wrong = assignee(teamId, userId)
          if (wrong !== undefined) return yield* wrong
          const after = yield* repos.update(
            AssignmentModel,
            actor.accountId,
            id,
            { teamId: teamId ?? null, userId: userId ?? null, ...(actor.userId === undefined ? {} : { createdById: actor.userId }) },
            options
          )
          yield* auditAll(actor, [{ id, before, after }])
          return after
        })
      )
    })

  const remove = (id: AssignmentId) =>
    Effect.gen(function* () {
      const actor = yield* writer("deleting")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* liveAssignment(actor, id)
          const after = yield* repos.update(AssignmentModel, actor.accountId, id, { deletedAt: yield* now }, { expectedVersion: before.version })
          yield* auditAll(actor, [{ id, before, after }])
          return after
        })
      )
    })

  const get = (id: AssignmentId) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const assignment = yield* repos.get(AssignmentModel, actor.accountId, id)
      yield* rows.requireVisible(actor, AssignmentModel, assignment)
      return assignment
    })

  const list = (search: AssignmentSearch = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const filters = yield* decodeInput(AssignmentSearch, search)
      const where: Array<Condition> = [...(yield* rows.listConditions(actor, AssignmentModel))]
      const status = filters.deletionStatus ?? "active"
      if (status === "active") where.push({ field: "deletedAt", op: "isNull" })
      if (status === "deleted") where.push({ field: "deletedAt", op: "isNotNull" })
      for (const field of ["planningId", "userId", "teamId", "orgUnitId"] as const) {
        const value = filters[field]
        if (value !== undefined) where.push({ field, op: "eq", value })
      }
      return yield* listAll((page) => repos.list(AssignmentModel, actor.accountId, page, where), {
        orderBy: [{ field: "planningId" }, { field: "createdAt" }]
      }).pipe(orDieOnInvalidListing(AssignmentModel))
    })

  /** The ids of the units a bulk creation selects, in path order. Inside a transaction. */
  const selection = (actor: Actor, planning: Planning, input: AssignmentBulkCreate) =>
    Effect.gen(function* () {
      const targets = (yield* targetTypesOf(repos, actor.accountId, [planning.id])).get(planning.id) ?? []
      if (targets.length === 0) return yield* ValidationError.at(["planningId"], PlanningMessages.noPlanningScope)
      const types = input.orgUnitTypeIds ?? targets
      if (types.some((type) => !targets.includes(type))) return yield* ValidationError.at(["orgUnitTypeIds"], PlanningMessages.notTargetTypes)
      const [root] = yield* repos.getMany(OrgUnitModel, actor.accountId, [planning.orgUnitId])
      if (root === undefined) return []
      let prefix = root.path
      if (input.orgUnitParentId !== undefined) {
        const [parent] = yield* repos.getMany(OrgUnitModel, actor.accountId, [input.orgUnitParentId])
        if (parent === undefined) return yield* NotFound.of(OrgUnitModel.name, input.orgUnitParentId)
        if (parent.path.startsWith(root.path)) prefix = parent.path
        else if (!root.path.startsWith(parent.path)) return []
      }
      const where: Array<Condition> = [
        ...(yield* rows.listConditions(actor, OrgUnitModel)),
        { field: "path", op: "startsWith", value: prefix },
        { field: "id", op: "ne", value: root.id },
        { field: "orgUnitTypeId", op: "in", value: types },
        { field: "validationStatus", op: "eq", value: "VALID" }
      ]
      const text = input.search === undefined ? "" : foldKey(input.search)
      if (text !== "") where.push({ field: "nameKey", op: "contains", value: text })
      const units: ReadonlyArray<Partial<OrgUnit>> = yield* listAll((page) => repos.list(OrgUnitModel, actor.accountId, page, where), {
        select: ["path"],
        orderBy: [{ field: "path" }]
      }).pipe(orDieOnInvalidListing(OrgUnitModel))
      const ids = units.map((unit) => String(unit.id) as OrgUnitId)
      if (input.selectAll === true) {
        const left = new Set<string>(input.unselectedIds ?? [])
        return ids.filter((id) => !left.has(id))
      }
      const chosen = new Set<string>(input.selectedIds ?? [])
      return ids.filter((id) => chosen.has(id))
    })

  const bulkCreate = (input: AssignmentBulkCreate) =>
    Effect.gen(function* () {
      const actor = yield* writer("creating")
      const decoded = yield* decodeInput(AssignmentBulkCreate, input)
      if (decoded.teamId !== undefined && decoded.userId !== undefined) {
        return yield* issuesError([
          { path: ["teamId"], message: PlanningMessages.bulkBothTeamAndUser },
          { path: ["userId"], message: PlanningMessages.bulkBothTeamAndUser }
        ])
      }
      const wrong = assignee(decoded.teamId, decoded.userId)
      if (wrong !== undefined) return yield* wrong
      const selected = decoded.selectedIds ?? []
      if (decoded.selectAll === true && selected.length > 0) return yield* ValidationError.at([], PlanningMessages.selectAllAndSelected)
      if (decoded.selectAll !== true && (decoded.unselectedIds ?? []).length > 0)
        return yield* ValidationError.at([], PlanningMessages.unselectedWithoutSelectAll)
      if (decoded.selectAll !== true && selected.length === 0) return yield* ValidationError.at(["selectedIds"], PlanningMessages.noSelection)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const planning = yield* livePlanning(repos, rows, actor, decoded.planningId)
          const ids = yield* selection(actor, planning, decoded)
          const existing = yield* findIn((page) => repos.list(AssignmentModel, actor.accountId, page), "orgUnitId", ids, {
            where: [
              { field: "planningId", op: "eq", value: planning.id },
              { field: "deletedAt", op: "isNull" }
            ]
          }).pipe(orDieOnInvalidListing(AssignmentModel))
          const byUnit = new Map(existing.map((assignment) => [String(assignment.orgUnitId), assignment]))
          const who = {
            teamId: decoded.teamId ?? null,
            userId: decoded.userId ?? null,
            ...(actor.userId === undefined ? {} : { createdById: actor.userId })
          }
          const out = new Map<string, Assignment>()
          const changes: Array<{ id: string; before?: Assignment; after: Assignment }> = []
          for (const [unitId, before] of byUnit) {
            const after = yield* repos.update(AssignmentModel, actor.accountId, before.id, who, { expectedVersion: before.version })
            out.set(unitId, after)
            changes.push({ id: before.id, before, after })
          }
          const fresh = ids.filter((id) => !byUnit.has(id))
          if (fresh.length > 0) {
            const inserted = yield* repos.insertMany(
              AssignmentModel,
              actor.accountId,
              fresh.map((orgUnitId) => ({
                planningId: planning.id,
                orgUnitId,
                ...(decoded.teamId === undefined ? {} : { teamId: decoded.teamId }),
                ...(decoded.userId === undefined ? {} : { userId: decoded.userId }),
                ...(actor.userId === undefined ? {} : { createdById: actor.userId })
              })),
              { atomic: true }
            )
            for (const item of inserted.items) {
              if (item._tag !== "Ok") continue
              out.set(String(item.value.orgUnitId), item.value)
              changes.push({ id: item.value.id, after: item.value })
            }
          }
          yield* auditAll(actor, changes)
          return ids.flatMap((id) => {
            const assignment = out.get(id)
            return assignment === undefined ? [] : [assignment]
          })
        })
      )
    })

  const bulkDelete = (input: AssignmentBulkDelete) =>
    Effect.gen(function* () {
      const actor = yield* writer("deleting")
      const decoded = yield* decodeInput(AssignmentBulkDelete, input)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const planning = yield* livePlanning(repos, rows, actor, decoded.planningId)
          const where: Array<Condition> = [
            ...(yield* rows.listConditions(actor, AssignmentModel)),
            { field: "planningId", op: "eq", value: planning.id },
            { field: "deletedAt", op: "isNull" }
          ]
          if (decoded.userId !== undefined) where.push({ field: "userId", op: "eq", value: decoded.userId })
          if (decoded.teamId !== undefined) where.push({ field: "teamId", op: "eq", value: decoded.teamId })
          const live = yield* listAll((page) => repos.list(AssignmentModel, actor.accountId, page, where)).pipe(orDieOnInvalidListing(AssignmentModel))
          const at = yield* now
          const changes: Array<{ id: string; before: Assignment; after: Assignment }> = []
          for (const before of live) {
            const after = yield* repos.update(AssignmentModel, actor.accountId, before.id, { deletedAt: at }, { expectedVersion: before.version })
            changes.push({ id: before.id, before, after })
          }
          yield* auditAll(actor, changes)
          return {
            message: changes.length === 0 ? PlanningMessages.nothingToDelete : PlanningMessages.deleted(changes.length),
            deletedCount: changes.length,
            planningId: planning.id,
            ...(decoded.userId === undefined ? {} : { userId: decoded.userId }),
            ...(decoded.teamId === undefined ? {} : { teamId: decoded.teamId })
          } satisfies AssignmentBulkDeleteResult
        })
      )
    })

  return { create, update, remove, get, list, bulkCreate, bulkDelete }
}
