/**
 * Reading entities: one entity, the entity an uuid names (IASO's `find_entity`, through
 * `entity-find.ts`), and listings with the attributes' answers the type's list view names, a
 * search on them, `limitDate` and a JSONLogic filter.
 * @module
 */
import { Effect, Result } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { EntityId, EntityTypeId } from "../shared/entity-ids.ts"
import { NotFound, type StorageError, type ValidationError } from "../shared/errors.ts"
import { checkJsonLogic, jsonLogicEvaluation } from "../shared/json-logic.ts"
import type { JsonValue } from "../shared/json.ts"
import type { Condition } from "../shared/query.ts"
import { listAll, type ListOptions, type Repositories } from "../shared/repository.ts"
import { foldKey } from "../shared/text.ts"
import { type Instance, InstanceModel } from "../submissions/instance-model.ts"
import type { Actor } from "../tenancy/actor.ts"
import { type Entity, EntityModel, type EntityType, EntityTypeModel } from "./entity.ts"
import type { EntityAccess } from "./entity-access.ts"
import { findEntityForUpload } from "./entity-find.ts"

/** Filters of {@link Entities | Entities.list} (all optional; all must hold). */
export interface EntitySearch extends Omit<ListOptions, "where" | "select" | "orderBy"> {
  readonly entityTypeId?: EntityTypeId
  /** Case- and accent-insensitive substring of the entity's name, uuid or one of its attributes' answers. */
  readonly search?: string
  /** Entities with a submission (deleted or not) updated at or after this time (IASO's `limit_date`). */
  readonly limitDate?: Date
  /** A JSONLogic rule the attributes' answers must satisfy (IASO's `json_content`). */
  readonly jsonLogic?: unknown
  /** Deleted entities too (default: live ones only). */
  readonly includeDeleted?: boolean
}

/** One listed entity. */
export interface EntityListItem {
  readonly entity: Entity
  /** The attributes' `name` answer (what IASO's listing shows as the name), when there is one. */
  readonly name?: string
  /** The answers of the type's list-view questions (`null`: not answered), by question name. */
  readonly fields: Readonly<Record<string, JsonValue | null>>
}

/** The answers of an entity's attributes submission. */
export type Answers = Readonly<Record<string, JsonValue>>

/** Whether folded `needle` is in any answer, the name or the uuid. */
const matches = (needle: string, entity: Entity, answers: Answers | undefined): boolean => {
  const texts = [
    entity.name,
    entity.uuid,
    ...Object.values(answers ?? {}).flatMap((value) => (typeof value === "string" || typeof value === "number" ? [String(value)] : []))
  ]
  return texts.some((text) => foldKey(text).includes(needle))
}

/**
 * A listing's JSONLogic rule checked, as the test of an entity's answers (`undefined`: no rule,
 * every entity passes), or `ValidationError` at `field`. The evaluation is loaded on first use
 * (`StorageError` when it cannot be).
 */
export const ruleTest = (rule: unknown, field: string): Effect.Effect<(answers: Answers | undefined) => boolean, ValidationError | StorageError> => {
  if (rule === undefined) return Effect.succeed(() => true)
  const problem = checkJsonLogic(rule, [field])
  if (problem !== undefined) return Effect.fail(problem)
  return Effect.map(jsonLogicEvaluation, ({ jsonLogicHolds }) => (answers) => {
    const result = jsonLogicHolds(rule, answers ?? {})
    return Result.isSuccess(result) && result.success
  })
}

/** The entity ids with a submission updated at or after `since`. */
export const updatedSince = (repos: Repositories, actor: Actor, since: Date) =>
  Effect.map(
    listAll((page) => repos.list(InstanceModel, actor.accountId, page), {
      where: [
        { field: "entityId", op: "isNotNull" },
        { field: "updatedAt", op: "gte", value: since }
      ],
      select: ["entityId"]
    }).pipe(orDieOnInvalidListing(InstanceModel)),
    (rows) => [...new Set(rows.map((row) => String(row.entityId)))]
  )

/** The attributes submissions of entities, by entity id. */
export const attributesOf = (repos: Repositories, actor: Actor, entities: ReadonlyArray<Entity>) =>
  Effect.map(
    Effect.suspend(() => {
      const ids = entities.flatMap((entity) => (entity.attributesId === undefined ? [] : [entity.attributesId]))
      return ids.length === 0 ? Effect.succeed([] as ReadonlyArray<Instance>) : repos.getMany(InstanceModel, actor.accountId, ids)
    }),
    (instances) => new Map(instances.map((instance) => [instance.id as string, instance]))
  )

/** Reading entities. */
export const makeEntityListing = (
  repos: Repositories,
  access: EntityAccess,
  listFields: (type: EntityType) => Effect.Effect<ReadonlyArray<string>, StorageError>
) => {
  const { rows, entityActor, load } = access

  const get = (id: EntityId) => Effect.flatMap(entityActor("reading entities"), (actor) => load(actor, id))

  const find = (uuid: string, entityTypeId: EntityTypeId) =>
    Effect.gen(function* () {
      const actor = yield* entityActor("reading entities")
      const choice = yield* findEntityForUpload(repos, actor.accountId, { uuid, entityTypeId })
      if (choice.kind !== "existing") return yield* NotFound.of("Entity", uuid)
      yield* rows.requireVisible(actor, EntityModel, choice.entity)
      return choice.entity
    })

  const list = (search: EntitySearch = {}) =>
    Effect.gen(function* () {
      const actor = yield* entityActor("reading entities")
      const { entityTypeId, search: text, limitDate, jsonLogic, includeDeleted = false, ...page } = search
      const holds = yield* ruleTest(jsonLogic, "jsonLogic")
      const where: Array<Condition> = [...(yield* rows.listConditions(actor, EntityModel))]
      if (entityTypeId !== undefined) where.push({ field: "entityTypeId", op: "eq", value: entityTypeId })
      if (!includeDeleted) where.push({ field: "deletedAt", op: "isNull" })
      if (limitDate !== undefined) where.push({ field: "id", op: "in", value: yield* updatedSince(repos, actor, limitDate) })
      const found = yield* repos.list(EntityModel, actor.accountId, { ...page, orderBy: [{ field: "createdAt" }] }, where)
      const attributes = yield* attributesOf(repos, actor, found.items)
      const typeIds = [...new Set(found.items.map((entity) => entity.entityTypeId as string))]
      const types = typeIds.length === 0 ? [] : yield* repos.getMany(EntityTypeModel, actor.accountId, typeIds)
      const fieldsByType = new Map<string, ReadonlyArray<string>>()
      for (const type of types) fieldsByType.set(type.id, yield* listFields(type))
      const needle = text === undefined ? undefined : foldKey(text)
      const items: Array<EntityListItem> = []
      for (const entity of found.items) {
        const answers = entity.attributesId === undefined ? undefined : (attributes.get(entity.attributesId)?.json as Answers | undefined)
        if (needle !== undefined && !matches(needle, entity, answers)) continue
        if (!holds(answers)) continue
        const fields: Record<string, JsonValue | null> = {}
        for (const name of fieldsByType.get(entity.entityTypeId) ?? []) fields[name] = answers?.[name] ?? null
        const named = answers?.["name"]
        items.push({ entity, ...(typeof named === "string" ? { name: named } : {}), fields })
      }
      return found.cursor === undefined ? { items } : { items, cursor: found.cursor }
    })

  return { get, find, list }
}
