/**
 * Which entity a mobile upload names (IASO's `find_entity`): a submission sent with an entity uuid
 * and an entity type is linked to the entity of that uuid, type and account, found among live and
 * soft-deleted entities alike; none is created (without attributes) when there is none.
 *
 * Several candidates: the best score wins (not deleted +100, has attributes +10, its attributes
 * submission has a file +1; ties go to the oldest, then the smallest id). A soft-deleted choice is
 * followed along `mergedToId` to the entity it was merged into (over any number of merges, at most
 * {@link MAX_MERGE_CHAIN}); when the chain ends on a deleted entity that was not merged, that entity
 * is used and the new submission is stored deleted.
 *
 * Storage keeps at most one live entity per (account, uuid) (a unique index): IASO tolerates two
 * live entities with one uuid and picks one; here that case cannot arise, while one live and
 * deleted ones, or only deleted ones, can.
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { EntityTypeId } from "../shared/entity-ids.ts"
import { StorageError } from "../shared/errors.ts"
import { findIn, type Repositories } from "../shared/repository.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import { type Entity, EntityModel } from "./entity.ts"

/** The longest chain of merges followed from a deleted entity to the one it was merged into. */
export const MAX_MERGE_CHAIN = 64

/** What an upload names: the entity's uuid (as the mobile app knows it) and its type. */
export interface EntityKey {
  readonly uuid: string
  readonly entityTypeId: EntityTypeId
}

/**
 * The entity an upload is linked to:
 * - `existing`: a stored entity (live, or deleted at the end of its merge chain: then `deleted` is
 *   true and the submission is stored deleted);
 * - `new`: none has that uuid and type: one is created, without attributes;
 * - `taken`: a live entity of another type holds the uuid (uuids are unique among live entities of
 *   an account), so none can be created.
 */
export type EntityChoice =
  | { readonly kind: "existing"; readonly entity: Entity; readonly deleted: boolean }
  | { readonly kind: "new"; readonly key: EntityKey }
  | { readonly kind: "taken"; readonly key: EntityKey; readonly entity: Entity }

/**
 * IASO's score of a candidate entity: not deleted +100, has attributes +10, its attributes
 * submission has a file +1.
 */
export const entityUploadScore = (entity: Entity, attributesHaveFile: boolean): number =>
  (entity.deletedAt === undefined ? 100 : 0) + (entity.attributesId === undefined ? 0 : 10) + (attributesHaveFile ? 1 : 0)

/** The best candidate (see {@link entityUploadScore}); ties go to the oldest, then the smallest id. */
export const bestEntity = (candidates: ReadonlyArray<Entity>, hasFile: (entity: Entity) => boolean): Entity | undefined => {
  let best: { readonly entity: Entity; readonly score: number } | undefined
  for (const entity of candidates) {
    const score = entityUploadScore(entity, hasFile(entity))
    if (
      best === undefined ||
      score > best.score ||
      (score === best.score &&
        (entity.createdAt.getTime() < best.entity.createdAt.getTime() ||
          (entity.createdAt.getTime() === best.entity.createdAt.getTime() && entity.id < best.entity.id)))
    ) {
      best = { entity, score }
    }
  }
  return best?.entity
}

const keyOf = (key: EntityKey): string => `${key.entityTypeId}\u0000${key.uuid}`

/**
 * The entities many uploads name, read in bulk: one listing of the entities with those uuids (live
 * and deleted), one read of the candidates' attributes submissions when a uuid has several
 * candidates, and one read per step of the merge chains followed. Answers each key's
 * {@link EntityChoice}.
 */
export const findEntitiesForUpload = (
  repos: Repositories,
  accountId: string,
  keys: ReadonlyArray<EntityKey>
): Effect.Effect<(key: EntityKey) => EntityChoice, StorageError> =>
  Effect.gen(function* () {
    const uuids = [...new Set(keys.map((key) => key.uuid))]
    const found =
      uuids.length === 0 ? [] : yield* findIn((page) => repos.list(EntityModel, accountId, page), "uuid", uuids).pipe(orDieOnInvalidListing(EntityModel))
    const byUuid = new Map<string, Array<Entity>>()
    for (const entity of found) {
      const list = byUuid.get(entity.uuid) ?? []
      list.push(entity)
      byUuid.set(entity.uuid, list)
    }
    // The files of candidates' attributes, only where a choice is to be made.
    const contested = new Set<string>()
    for (const key of keys) {
      const candidates = (byUuid.get(key.uuid) ?? []).filter((entity) => entity.entityTypeId === key.entityTypeId)
      if (candidates.length > 1) for (const entity of candidates) if (entity.attributesId !== undefined) contested.add(entity.attributesId)
    }
    const withFile = new Set<string>()
    if (contested.size > 0) {
      for (const instance of yield* repos.getMany(InstanceModel, accountId, [...contested])) if (instance.file !== undefined) withFile.add(instance.id)
    }
    const hasFile = (entity: Entity) => entity.attributesId !== undefined && withFile.has(entity.attributesId)
    const chosen = new Map<string, Entity>()
    for (const key of keys) {
      const best = bestEntity(
        (byUuid.get(key.uuid) ?? []).filter((entity) => entity.entityTypeId === key.entityTypeId),
        hasFile
      )
      if (best !== undefined) chosen.set(keyOf(key), best)
    }
    // Merge chains: each step reads the entities merged into, in one read.
    const known = new Map<string, Entity>(found.map((entity) => [entity.id as string, entity]))
    for (let step = 0; step < MAX_MERGE_CHAIN; step++) {
      const wanted = new Set<string>()
      for (const start of chosen.values()) {
        const end = chainEnd(start, known)
        if (end.next !== undefined && !known.has(end.next)) wanted.add(end.next)
      }
      if (wanted.size === 0) break
      const read = yield* repos.getMany(EntityModel, accountId, [...wanted])
      for (const entity of read) known.set(entity.id, entity)
      // An id merged into that is not stored (a dangling reference) ends its chain.
      if (read.length === 0) break
    }
    const resolved = new Map<string, EntityChoice>()
    for (const [k, start] of chosen) {
      const end = chainEnd(start, known)
      if (end.next !== undefined && known.has(end.next)) {
        return yield* new StorageError({
          reason: "corrupt",
          retryable: false,
          message: `the entity ${start.id} is merged along more than ${MAX_MERGE_CHAIN} entities, or in a cycle`
        })
      }
      resolved.set(k, { kind: "existing", entity: end.entity, deleted: end.entity.deletedAt !== undefined })
    }
    return (key: EntityKey): EntityChoice => {
      const choice = resolved.get(keyOf(key))
      if (choice !== undefined) return choice
      const live = (byUuid.get(key.uuid) ?? []).find((entity) => entity.deletedAt === undefined)
      return live === undefined ? { kind: "new", key } : { kind: "taken", key, entity: live }
    }
  })

/**
 * Where a merge chain stands: the last entity reached among `known` and the id it is merged into
 * next when that one is deleted and merged (`next` undefined: the chain has ended). A cycle ends
 * where it meets an entity already passed (reported by the caller as corrupt once reads stop).
 */
const chainEnd = (start: Entity, known: ReadonlyMap<string, Entity>): { readonly entity: Entity; readonly next?: string } => {
  let entity = start
  const seen = new Set<string>([start.id])
  for (;;) {
    if (entity.deletedAt === undefined || entity.mergedToId === undefined) return { entity }
    const next = known.get(entity.mergedToId)
    if (next === undefined) return { entity, next: entity.mergedToId }
    if (seen.has(next.id)) return { entity, next: next.id }
    seen.add(next.id)
    entity = next
  }
}

/**
 * The entity one upload names (IASO's `find_entity`; see the module documentation): the same
 * reads and rules as {@link findEntitiesForUpload} for a single key. Reusable by any service that
 * looks an entity up the way the mobile upload does.
 */
export const findEntityForUpload = (repos: Repositories, accountId: string, key: EntityKey): Effect.Effect<EntityChoice, StorageError> =>
  Effect.map(findEntitiesForUpload(repos, accountId, [key]), (choose) => choose(key))
