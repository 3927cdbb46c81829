/**
 * Duplicate entities and their merge (beyond IASO's core, whose deduplication is a plug-in):
 * candidate pairs of live entities of one type are computed from the type's duplicate-search
 * questions and kept for review (`EntityDuplicate`); a pair is ignored, or resolved by merging.
 *
 * The score of two entities is the mean, over the duplicate-search questions either of them
 * answered, of the Jaro-Winkler similarity of the folded answers (NFKD, marks removed, lower case,
 * spaces collapsed); a question only one of them answered scores 0. Pairs scoring at least
 * {@link DUPLICATE_THRESHOLD} are kept, with the score in percent. Every pair of the type's live
 * entities within the actor's reach is compared: the work grows with the square of their number.
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { jaroWinkler } from "../registry/similarity.ts"
import type { EntityDuplicateId, EntityId, EntityTypeId } from "../shared/entity-ids.ts"
import { ValidationError } from "../shared/errors.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { foldKey } from "../shared/text.ts"
import { type Instance, InstanceModel } from "../submissions/instance-model.ts"
import type { Actor } from "../tenancy/actor.ts"
import { type Entity, type EntityDuplicate, EntityDuplicateModel, EntityModel, type EntityType, EntityTypeModel } from "./entity.ts"
import type { EntityAccess } from "./entity-access.ts"
import type { EntityDeletion } from "./entity-deletion.ts"

/** The lowest score (0 to 1) of a kept candidate pair: 0.85. */
export const DUPLICATE_THRESHOLD = 0.85

/** The answer of `question` in `answers`, its name compared case-insensitively, as folded text. */
const answerOf = (answers: Readonly<Record<string, unknown>> | undefined, question: string): string => {
  if (answers === undefined) return ""
  const key = Object.keys(answers).find((name) => name.toLowerCase() === question.toLowerCase())
  const value = key === undefined ? undefined : answers[key]
  return typeof value === "string" || typeof value === "number" ? foldKey(String(value)).trim().replace(/\s+/g, " ") : ""
}

/**
 * The similarity (0 to 1) of two answer sets on `questions` (see the module documentation), or
 * `undefined` when neither answered any of them.
 */
export const answersSimilarity = (
  a: Readonly<Record<string, unknown>> | undefined,
  b: Readonly<Record<string, unknown>> | undefined,
  questions: ReadonlyArray<string>
): number | undefined => {
  let total = 0
  let counted = 0
  for (const question of questions) {
    const x = answerOf(a, question)
    const y = answerOf(b, question)
    if (x === "" && y === "") continue
    counted += 1
    total += x === "" || y === "" ? 0 : jaroWinkler(x, y)
  }
  return counted === 0 ? undefined : total / counted
}

/** Candidate pairs, their review and the merge. */
export const makeEntityDuplicates = (repos: Repositories, access: EntityAccess, deletion: EntityDeletion) => {
  const { rows, entityActor, load, auditAll } = access

  /** The live entities of a type within the actor's reach, with their attributes' answers. */
  const liveEntities = (actor: Actor, typeId: string) =>
    Effect.gen(function* () {
      const reach = yield* rows.listConditions(actor, EntityModel)
      const entities = yield* listAll((page) => repos.list(EntityModel, actor.accountId, page, reach), {
        where: [
          { field: "entityTypeId", op: "eq", value: typeId },
          { field: "deletedAt", op: "isNull" }
        ],
        orderBy: [{ field: "id" }]
      }).pipe(orDieOnInvalidListing(EntityModel))
      const attributeIds = entities.flatMap((entity) => (entity.attributesId === undefined ? [] : [entity.attributesId]))
      const instances = new Map<string, Instance>(
        (attributeIds.length === 0 ? [] : yield* repos.getMany(InstanceModel, actor.accountId, attributeIds)).map((row) => [row.id as string, row])
      )
      return entities.map((entity) => ({
        entity,
        answers: entity.attributesId === undefined ? undefined : instances.get(entity.attributesId)?.json
      }))
    })

  const searchFields = (type: EntityType) =>
    type.fieldsDuplicateSearch === undefined || type.fieldsDuplicateSearch.length === 0
      ? Effect.fail(ValidationError.at(["fieldsDuplicateSearch"], `the entity type ${type.id} names no duplicate-search question`))
      : Effect.succeed(type.fieldsDuplicateSearch)

  const pairsOf = (actor: Actor, typeId: string) =>
    listAll((page) => repos.list(EntityDuplicateModel, actor.accountId, page), {
      where: [{ field: "entityTypeId", op: "eq", value: typeId }]
    }).pipe(orDieOnInvalidListing(EntityDuplicateModel))

  const findDuplicates = (entityTypeId: EntityTypeId) =>
    Effect.gen(function* () {
      const actor = yield* entityActor("searching duplicate entities")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const type = yield* repos.get(EntityTypeModel, actor.accountId, entityTypeId)
          const fields = yield* searchFields(type)
          const entities = yield* liveEntities(actor, type.id)
          const stored = new Map((yield* pairsOf(actor, type.id)).map((pair) => [`${pair.entity1Id}/${pair.entity2Id}`, pair]))
          const fresh: Array<Record<string, unknown>> = []
          for (let i = 0; i < entities.length; i++) {
            for (let j = i + 1; j < entities.length; j++) {
              const a = entities[i]
              const b = entities[j]
              if (a === undefined || b === undefined) continue
              const [first, second] = a.entity.id < b.entity.id ? [a, b] : [b, a]
              if (stored.has(`${first.entity.id}/${second.entity.id}`)) continue
              const score = answersSimilarity(first.answers, second.answers, fields)
              if (score === undefined || score < DUPLICATE_THRESHOLD) continue
              fresh.push({
                entityTypeId: type.id,
                entity1Id: first.entity.id,
                entity2Id: second.entity.id,
                similarity: Math.round(score * 100),
                status: "PENDING",
                fields
              })
            }
          }
          const created: Array<EntityDuplicate> = []
          for (const input of fresh) created.push(yield* repos.insert(EntityDuplicateModel, actor.accountId, input))
          yield* auditAll(
            actor,
            EntityDuplicateModel,
            created.map((pair) => ({ id: pair.id, after: pair }))
          )
          const live = new Set(entities.map((item) => item.entity.id as string))
          return [...stored.values(), ...created]
            .filter((pair) => pair.status === "PENDING" && live.has(pair.entity1Id) && live.has(pair.entity2Id))
            .sort((x, y) => y.similarity - x.similarity || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
        })
      )
    })

  /** A pair the actor sees (both entities within reach). */
  const loadPair = (actor: Actor, id: EntityDuplicateId) =>
    Effect.gen(function* () {
      const pair = yield* repos.get(EntityDuplicateModel, actor.accountId, id)
      yield* load(actor, pair.entity1Id)
      yield* load(actor, pair.entity2Id)
      return pair
    })

  const ignore = (id: EntityDuplicateId) =>
    Effect.gen(function* () {
      const actor = yield* entityActor("reviewing duplicate entities")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* loadPair(actor, id)
          if (before.status === "IGNORED") return before
          if (before.status === "VALIDATED") return yield* ValidationError.at(["status"], "a merged pair cannot be ignored")
          const after = yield* repos.update(EntityDuplicateModel, actor.accountId, id, { status: "IGNORED" })
          yield* auditAll(actor, EntityDuplicateModel, [{ id, before, after }])
          return after
        })
      )
    })

  const merge = (keepId: EntityId, otherId: EntityId) =>
    Effect.gen(function* () {
      if (keepId === otherId) return yield* ValidationError.at(["otherId"], "an entity cannot be merged into itself")
      const actor = yield* entityActor("merging entities")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const keep = yield* load(actor, keepId)
          const other = yield* load(actor, otherId)
          if (keep.deletedAt !== undefined || other.deletedAt !== undefined) {
            return yield* ValidationError.at([keep.deletedAt === undefined ? "otherId" : "keepId"], "only live entities are merged")
          }
          if (keep.entityTypeId !== other.entityTypeId) return yield* ValidationError.at(["otherId"], "only entities of one type are merged")
          // The pair, marked VALIDATED (made when the search had not stored it).
          const [entity1Id, entity2Id] = keep.id < other.id ? [keep.id, other.id] : [other.id, keep.id]
          const [stored] = yield* listAll((page) => repos.list(EntityDuplicateModel, actor.accountId, page), {
            where: [
              { field: "entity1Id", op: "eq", value: entity1Id },
              { field: "entity2Id", op: "eq", value: entity2Id }
            ]
          }).pipe(orDieOnInvalidListing(EntityDuplicateModel))
          if (stored === undefined) {
            const type = yield* repos.get(EntityTypeModel, actor.accountId, keep.entityTypeId)
            const fields = type.fieldsDuplicateSearch ?? []
            const attributes = yield* repos.getMany(
              InstanceModel,
              actor.accountId,
              [keep.attributesId, other.attributesId].flatMap((id) => (id === undefined ? [] : [id]))
            )
            const answers = (entity: Entity) => attributes.find((row) => row.id === entity.attributesId)?.json
            const score = answersSimilarity(answers(keep), answers(other), fields) ?? 0
            const pair = yield* repos.insert(EntityDuplicateModel, actor.accountId, {
              entityTypeId: keep.entityTypeId,
              entity1Id,
              entity2Id,
              similarity: Math.round(score * 100),
              status: "VALIDATED",
              fields
            })
            yield* auditAll(actor, EntityDuplicateModel, [{ id: pair.id, after: pair }])
          } else if (stored.status !== "VALIDATED") {
            const after = yield* repos.update(EntityDuplicateModel, actor.accountId, stored.id, { status: "VALIDATED" })
            yield* auditAll(actor, EntityDuplicateModel, [{ id: stored.id, before: stored, after }])
          }
          // The other's submissions move to the kept entity; its registration is retired with it.
          const moved = (yield* deletion.submissionsOf(actor, other.id)).filter((id) => id !== other.attributesId)
          for (const before of moved.length === 0 ? [] : yield* repos.getMany(InstanceModel, actor.accountId, moved)) {
            const after = yield* repos.update(InstanceModel, actor.accountId, before.id, { entityId: keep.id })
            yield* auditAll(actor, InstanceModel, [{ id: before.id, before, after }])
          }
          yield* deletion.retire(actor, other, other.attributesId === undefined ? [] : [other.attributesId], keep.id)
          return yield* repos.get(EntityModel, actor.accountId, keep.id)
        })
      )
    })

  return { findDuplicates, ignore, merge }
}
