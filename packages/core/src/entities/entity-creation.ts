/**
 * Creating entities explicitly (IASO's `POST /api/entities/` and `bulk_create`): each from a
 * submission of its type's reference form, which becomes the entity's attributes. A submission
 * backs at most one entity.
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { ServiceWriteError } from "../kernel/repos.ts"
import type { EntityTypeId, InstanceId } from "../shared/entity-ids.ts"
import { ValidationError } from "../shared/errors.ts"
import { findIn, type Repositories } from "../shared/repository.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import type { Actor } from "../tenancy/actor.ts"
import { type Entity, EntityModel, EntityTypeModel } from "./entity.ts"
import type { EntityAccess } from "./entity-access.ts"

/** IASO's messages when a submission already backs an entity. */
export const EntityMessages = {
  attributesTaken: "Entity with this attribute already exists.",
  bulkAttributesTaken: (uuid: string) => `Entity with the attribute '${uuid}' already exists.`,
  notReferenceForm: "The attributes submission must be a submission of the entity type's reference form.",
  attributesOfAnother: "The submission is already linked to another entity."
} as const

/** What a caller gives to create an entity. */
export interface EntityCreate {
  readonly entityTypeId: EntityTypeId
  /** A submission of the type's reference form, backing no other entity: the entity's attributes. */
  readonly attributesInstanceId: InstanceId
  /** Unused by IASO (listings show the attributes' `name` answer); default `""`. */
  readonly name?: string
}

/** Creating entities, one or many (all or nothing). */
export const makeEntityCreation = (repos: Repositories, access: EntityAccess) => {
  const { rows, entityActor, auditAll } = access

  /** Creates the entities of `inputs` in the unit of work under way; `bulk` picks IASO's bulk message. */
  const createAll = (actor: Actor, inputs: ReadonlyArray<EntityCreate>, bulk: boolean): Effect.Effect<ReadonlyArray<Entity>, ServiceWriteError> =>
    Effect.gen(function* () {
      const at = (index: number, field: string) => (bulk ? [index, field] : [field])
      const instanceIds = inputs.map((input) => input.attributesInstanceId)
      const instances = new Map((yield* repos.getMany(InstanceModel, actor.accountId, instanceIds)).map((row) => [row.id as string, row]))
      const types = new Map(
        (yield* repos.getMany(
          EntityTypeModel,
          actor.accountId,
          inputs.map((input) => input.entityTypeId)
        )).map((row) => [row.id as string, row])
      )
      const taken = new Set(
        (yield* findIn((page) => repos.list(EntityModel, actor.accountId, page), "attributesId", instanceIds).pipe(orDieOnInvalidListing(EntityModel))).map(
          (entity) => String(entity.attributesId)
        )
      )
      const claimed = new Set<string>()
      for (const [index, input] of inputs.entries()) {
        const type = types.get(input.entityTypeId)
        if (type === undefined) return yield* ValidationError.at(at(index, "entityTypeId"), `unknown entity type ${input.entityTypeId}`)
        const instance = instances.get(input.attributesInstanceId)
        if (instance === undefined) return yield* ValidationError.at(at(index, "attributesInstanceId"), `unknown submission ${input.attributesInstanceId}`)
        yield* rows.requireVisible(actor, InstanceModel, instance)
        if (taken.has(instance.id) || claimed.has(instance.id)) {
          return yield* ValidationError.at(
            at(index, "attributes"),
            bulk ? EntityMessages.bulkAttributesTaken(instance.uuid ?? instance.id) : EntityMessages.attributesTaken
          )
        }
        claimed.add(instance.id)
        if (type.referenceFormId === undefined || instance.formId !== type.referenceFormId) {
          return yield* ValidationError.at(at(index, "attributesInstanceId"), EntityMessages.notReferenceForm)
        }
        if (instance.entityId !== undefined) return yield* ValidationError.at(at(index, "attributesInstanceId"), EntityMessages.attributesOfAnother)
      }
      const created: Array<Entity> = []
      for (const input of inputs) {
        const entity = yield* repos.insert(EntityModel, actor.accountId, {
          name: input.name ?? "",
          uuid: globalThis.crypto.randomUUID(),
          entityTypeId: input.entityTypeId,
          attributesId: input.attributesInstanceId
        })
        const before = instances.get(input.attributesInstanceId)
        const after = yield* repos.update(InstanceModel, actor.accountId, input.attributesInstanceId, { entityId: entity.id })
        yield* auditAll(actor, EntityModel, [{ id: entity.id, after: entity }])
        yield* auditAll(actor, InstanceModel, [{ id: after.id, before, after }])
        created.push(entity)
      }
      return created
    })

  return {
    create: (input: EntityCreate) =>
      Effect.gen(function* () {
        const actor = yield* entityActor("creating entities")
        const [entity] = yield* repos.driver.transaction(createAll(actor, [input], false))
        if (entity === undefined) return yield* Effect.die(new Error("an entity creation wrote no entity"))
        return entity
      }),
    createMany: (inputs: ReadonlyArray<EntityCreate>) =>
      Effect.gen(function* () {
        const actor = yield* entityActor("creating entities")
        return yield* repos.driver.transaction(createAll(actor, inputs, true))
      })
  }
}
