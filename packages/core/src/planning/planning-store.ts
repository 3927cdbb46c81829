/**
 * Reads the planning services share, for one account and actor: a live planning within the
 * actor's reach, its forms and target org-unit types, and live assignments.
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { RowAccess } from "../kernel/row-access.ts"
import type { FormId, OrgUnitTypeId, PlanningId } from "../shared/entity-ids.ts"
import { NotFound, type StorageError } from "../shared/errors.ts"
import { findIn, type Repositories } from "../shared/repository.ts"
import type { Actor } from "../tenancy/actor.ts"
import { type Planning, PlanningFormModel, PlanningModel, PlanningTargetOrgUnitTypeModel } from "./planning.ts"

/** A live (not soft-deleted) planning the actor sees (its root org unit under the actor's roots), else `NotFound`. */
export const livePlanning = (repos: Repositories, rows: RowAccess, actor: Actor, id: PlanningId): Effect.Effect<Planning, NotFound | StorageError> =>
  Effect.gen(function* () {
    const [planning] = yield* repos.getMany(PlanningModel, actor.accountId, [id])
    if (planning === undefined || planning.deletedAt !== undefined) return yield* NotFound.of(PlanningModel.name, id)
    yield* rows.requireVisible(actor, PlanningModel, planning)
    return planning
  })

/** The forms of plannings, per planning id (in the order they were linked). */
export const formsOf = (
  repos: Repositories,
  accountId: string,
  planningIds: ReadonlyArray<string>
): Effect.Effect<ReadonlyMap<string, ReadonlyArray<FormId>>, StorageError> =>
  Effect.map(
    findIn((page) => repos.list(PlanningFormModel, accountId, page), "planningId", planningIds, { orderBy: [{ field: "createdAt" }] }).pipe(
      orDieOnInvalidListing(PlanningFormModel)
    ),
    (links) => {
      const out = new Map<string, Array<FormId>>()
      for (const link of links) out.set(link.planningId, [...(out.get(link.planningId) ?? []), link.formId])
      return out
    }
  )

/** The target org-unit types of plannings, per planning id (in the order they were linked). */
export const targetTypesOf = (
  repos: Repositories,
  accountId: string,
  planningIds: ReadonlyArray<string>
): Effect.Effect<ReadonlyMap<string, ReadonlyArray<OrgUnitTypeId>>, StorageError> =>
  Effect.map(
    findIn((page) => repos.list(PlanningTargetOrgUnitTypeModel, accountId, page), "planningId", planningIds, { orderBy: [{ field: "createdAt" }] }).pipe(
      orDieOnInvalidListing(PlanningTargetOrgUnitTypeModel)
    ),
    (links) => {
      const out = new Map<string, Array<OrgUnitTypeId>>()
      for (const link of links) out.set(link.planningId, [...(out.get(link.planningId) ?? []), link.orgUnitTypeId])
      return out
    }
  )
