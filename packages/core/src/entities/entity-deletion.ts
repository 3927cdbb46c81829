/**
 * Soft deletion of entities (IASO's `DELETE /api/entities/<id>/`): the entity, its attributes
 * submission and every submission linked to it are soft-deleted, and its PENDING duplicate pairs
 * removed, in one unit of work, every change audited. Merging retires the merged entity through
 * the same steps (see `entity-duplicates.ts`).
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { ServiceWriteError } from "../kernel/repos.ts"
import type { EntityId } from "../shared/entity-ids.ts"
import type { StorageError } from "../shared/errors.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import type { Actor } from "../tenancy/actor.ts"
import { type Entity, EntityDuplicateModel, EntityModel } from "./entity.ts"
import type { EntityAccess } from "./entity-access.ts"

/** Removing an entity's PENDING duplicate pairs, and soft-deleting entities. */
export const makeEntityDeletion = (repos: Repositories, access: EntityAccess) => {
  const { entityActor, load, auditAll } = access

  /** Removes the PENDING pairs naming `entityId` (audited). */
  const dropPendingPairs = (actor: Actor, entityId: string): Effect.Effect<void, ServiceWriteError> =>
    Effect.gen(function* () {
      for (const field of ["entity1Id", "entity2Id"] as const) {
        const pairs = yield* listAll((page) => repos.list(EntityDuplicateModel, actor.accountId, page), {
          where: [
            { field, op: "eq", value: entityId },
            { field: "status", op: "eq", value: "PENDING" }
          ]
        }).pipe(orDieOnInvalidListing(EntityDuplicateModel))
        for (const pair of pairs) yield* repos.remove(EntityDuplicateModel, actor.accountId, pair.id)
        yield* auditAll(
          actor,
          EntityDuplicateModel,
          pairs.map((pair) => ({ id: pair.id, before: pair }))
        )
      }
    })

  /** Soft-deletes the live submissions in `ids` (audited). */
  const softDeleteSubmissions = (actor: Actor, ids: ReadonlyArray<string>): Effect.Effect<void, ServiceWriteError> =>
    Effect.gen(function* () {
      const instances = ids.length === 0 ? [] : yield* repos.getMany(InstanceModel, actor.accountId, ids)
      for (const before of instances) {
        if (before.deleted) continue
        const after = yield* repos.update(InstanceModel, actor.accountId, before.id, {
          deleted: true,
          ...(actor.userId === undefined ? {} : { lastModifiedById: actor.userId })
        })
        yield* auditAll(actor, InstanceModel, [{ id: before.id, before, after }])
      }
    })

  /** The ids of the submissions linked to an entity (its `entityId`), deleted or not. */
  const submissionsOf = (actor: Actor, entityId: string): Effect.Effect<ReadonlyArray<string>, StorageError> =>
    Effect.map(
      listAll((page) => repos.list(InstanceModel, actor.accountId, page), { where: [{ field: "entityId", op: "eq", value: entityId }], select: ["id"] }).pipe(
        orDieOnInvalidListing(InstanceModel)
      ),
      (rows) => rows.map((row) => String(row.id))
    )

  /**
   * Soft-deletes an entity in the unit of work under way: stamps `deletedAt` (and `mergedToId`
   * when given), soft-deletes `submissionIds`, removes its PENDING pairs; all audited.
   */
  const retire = (actor: Actor, entity: Entity, submissionIds: ReadonlyArray<string>, mergedToId?: EntityId): Effect.Effect<Entity, ServiceWriteError> =>
    Effect.gen(function* () {
      // The pairs and submissions first: the entity's visibility is judged on them, before it goes.
      yield* dropPendingPairs(actor, entity.id)
      yield* softDeleteSubmissions(actor, submissionIds)
      const after = yield* repos.update(EntityModel, actor.accountId, entity.id, {
        deletedAt: yield* now,
        ...(mergedToId === undefined ? {} : { mergedToId })
      })
      yield* auditAll(actor, EntityModel, [{ id: entity.id, before: entity, after }])
      return after
    })

  const softDelete = (id: EntityId) =>
    Effect.gen(function* () {
      const actor = yield* entityActor("deleting entities")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const entity = yield* load(actor, id)
          if (entity.deletedAt !== undefined) return entity
          const linked = yield* submissionsOf(actor, id)
          const ids = [...new Set([...(entity.attributesId === undefined ? [] : [entity.attributesId]), ...linked])]
          return yield* retire(actor, entity, ids)
        })
      )
    })

  return { softDelete, retire, submissionsOf, dropPendingPairs }
}

/** What {@link makeEntityDeletion} gives. */
export type EntityDeletion = ReturnType<typeof makeEntityDeletion>
