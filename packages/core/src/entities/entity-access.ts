/**
 * What the entity verbs share: the permission, the entity an actor may see (the kernel's row
 * scope of `Entity`: where one of its live submissions is), and how their writes are audited.
 * @module
 */
import { Effect } from "effect"
import { audit } from "../kernel/audit.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import type { EntityId } from "../shared/entity-ids.ts"
import type { NotFound, StorageError } from "../shared/errors.ts"
import type { AnyModel } from "../shared/model.ts"
import type { Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { type Entity, EntityModel } from "./entity.ts"

/** The audit source of entity changes (IASO's `ENTITY_API`). */
export const ENTITY_AUDIT_SOURCE = "ENTITY_API"

/** The permission of every entity verb (IASO's `iaso_entities`). */
export const ENTITY_PERMISSION = "iaso_entities"

/** The access rules and reads the entity verbs share. */
export const makeEntityAccess = (repos: Repositories) => {
  const rows = makeRowAccess(repos)

  /** The actor, once it holds `iaso_entities`. */
  const entityActor = (action: string) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* requireAny(actor, [ENTITY_PERMISSION], action)
      return actor
    })

  /** An entity the actor sees (deleted or not), else `NotFound`. */
  const load = (actor: Actor, id: EntityId): Effect.Effect<Entity, NotFound | StorageError> =>
    Effect.gen(function* () {
      const entity = yield* repos.get(EntityModel, actor.accountId, id)
      yield* rows.requireVisible(actor, EntityModel, entity)
      return entity
    })

  /** Audit entries of entity work, from IASO's entity API. */
  const auditAll = (
    actor: Actor,
    model: AnyModel,
    changes: ReadonlyArray<{ readonly id: string; readonly before?: unknown; readonly after?: unknown }>
  ): Effect.Effect<void, StorageError> => audit(repos, actor, ENTITY_AUDIT_SOURCE, model, changes)

  return { rows, entityActor, load, auditAll }
}

/** What {@link makeEntityAccess} gives. */
export type EntityAccess = ReturnType<typeof makeEntityAccess>
