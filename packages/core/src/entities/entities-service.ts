/**
 * The `Entities` service: entities (beneficiaries...) whose attributes are a submission of their
 * type's reference form. Creation from such a submission, one or many (all or nothing); reads
 * within the actor's reach (an entity is where one of its live submissions is: the kernel's
 * `referencedBy` row scope, which `Records` obeys too); listings with the answers the type's list
 * view names, a search, `limitDate` and a JSONLogic filter; soft deletion with its submissions;
 * candidate duplicates, their review and the merge; the mobile app's payloads.
 *
 * Every verb needs `iaso_entities`. Changes are audited (source `ENTITY_API`).
 *
 * Differences from IASO, on purpose:
 * - A submission backs an entity only when it is a submission of the type's reference form, and
 *   not already linked to another entity (IASO accepts any submission).
 * - Duplicates and merges are part of the service (IASO keeps them in a plug-in): see
 *   `entity-duplicates.ts`.
 *
 * The work is spread by job: `entity-access.ts` (permission, reach, audit), `entity-creation.ts`,
 * `entity-listing.ts`, `entity-deletion.ts`, `entity-duplicates.ts`, `entity-mobile.ts`, and
 * `entity-find.ts` (the entity an uuid names, shared with the mobile upload).
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { EntityDuplicateId, EntityId, EntityTypeId, ProjectId } from "../shared/entity-ids.ts"
import type { Forbidden, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import type { Repositories, ResultPage } from "../shared/repository.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type { Entity, EntityDuplicate } from "./entity.ts"
import { makeEntityAccess } from "./entity-access.ts"
import { type EntityCreate, EntityMessages, makeEntityCreation } from "./entity-creation.ts"
import { makeEntityDeletion } from "./entity-deletion.ts"
import { answersSimilarity, DUPLICATE_THRESHOLD, makeEntityDuplicates } from "./entity-duplicates.ts"
import { type EntityListItem, type EntitySearch, makeEntityListing } from "./entity-listing.ts"
import { makeEntityMobile, type MobileEntitiesOptions, type MobileEntity, type MobileEntityInstance, type MobileEntityType } from "./entity-mobile.ts"
import { referencePossibleFields, selectPossibleFields } from "./entity-types-service.ts"

export { answersSimilarity, DUPLICATE_THRESHOLD, EntityMessages }
export type { EntityCreate, EntityListItem, EntitySearch, MobileEntitiesOptions, MobileEntity, MobileEntityInstance, MobileEntityType }

/** Errors of an entity read. */
export type EntityReadError = NotFound | Forbidden | ValidationError | StorageError

/**
 * The entities service (see the module documentation). Provided by `Iaso.layer`; on the Promise
 * facade, `iaso.as(actor).entities`. Its calls are listed under `Service`.
 */
export class Entities extends Context.Service<
  Entities,
  {
    /**
     * Creates an entity from a submission of its type's reference form (the submission becomes
     * its attributes and is linked to it). A submission backing another entity: `ValidationError`
     * at `attributes`, IASO's "Entity with this attribute already exists.".
     */
    readonly create: (input: EntityCreate) => Effect.Effect<Entity, ServiceWriteError, CurrentActor>
    /**
     * Creates many entities, all or nothing; the first refused item fails the whole with its index
     * in the path (a taken submission: IASO's "Entity with the attribute '<uuid>' already exists.").
     */
    readonly createMany: (inputs: ReadonlyArray<EntityCreate>) => Effect.Effect<ReadonlyArray<Entity>, ServiceWriteError, CurrentActor>
    /** One entity within the actor's reach (deleted or not). */
    readonly get: (id: EntityId) => Effect.Effect<Entity, EntityReadError, CurrentActor>
    /**
     * The entity an uuid names for a type, as the mobile upload finds it (IASO's scoring over
     * entities sharing the uuid; a merged entity leads to the one it was merged into); `NotFound`
     * when there is none within reach.
     */
    readonly find: (uuid: string, entityTypeId: EntityTypeId) => Effect.Effect<Entity, EntityReadError, CurrentActor>
    /**
     * A page of entities (see {@link EntitySearch}) in creation order, each with its name answer
     * and the answers of its type's list-view questions. The search and the JSONLogic filter are
     * applied to each page read: a page may hold fewer entities than `limit`; follow the cursor.
     */
    readonly list: (search?: EntitySearch) => Effect.Effect<ResultPage<EntityListItem>, EntityReadError, CurrentActor>
    /**
     * Soft-deletes an entity, its attributes and every submission linked to it, and removes its
     * PENDING duplicate pairs, in one unit of work, audited. No-op when already deleted.
     */
    readonly softDelete: (id: EntityId) => Effect.Effect<Entity, ServiceWriteError, CurrentActor>
    /**
     * Compares the type's live entities within reach on its duplicate-search questions and stores
     * each new pair scoring at least {@link DUPLICATE_THRESHOLD} as PENDING (pairs already stored,
     * whatever their status, are left alone: running it again adds nothing). Answers the type's
     * PENDING pairs, most similar first.
     */
    readonly findDuplicates: (entityTypeId: EntityTypeId) => Effect.Effect<ReadonlyArray<EntityDuplicate>, ServiceWriteError, CurrentActor>
    /** Marks a PENDING pair IGNORED (no-op when ignored already; a merged pair is refused). */
    readonly ignore: (pairId: EntityDuplicateId) => Effect.Effect<EntityDuplicate, ServiceWriteError, CurrentActor>
    /**
     * Merges `otherId` into `keepId` (live entities of one type): the other's submissions move to
     * the kept entity, its attributes submission is soft-deleted, it is soft-deleted with
     * `mergedToId` set, its PENDING pairs are removed and their pair is VALIDATED (stored when the
     * search had not); one unit of work, audited. Answers the kept entity.
     */
    readonly merge: (keepId: EntityId, otherId: EntityId) => Effect.Effect<Entity, ServiceWriteError, CurrentActor>
    /** The project's entity types for the mobile app (IASO's mobile entity types: lists `[]` when not set). */
    readonly mobileEntityTypes: (projectId: ProjectId) => Effect.Effect<ReadonlyArray<MobileEntityType>, EntityReadError, CurrentActor>
    /** The project's entities for the mobile app (IASO's mobile entities; see {@link MobileEntity}). */
    readonly mobileEntities: (
      projectId: ProjectId,
      options?: MobileEntitiesOptions
    ) => Effect.Effect<ReadonlyArray<MobileEntity>, EntityReadError, CurrentActor>
  }
>()("@iaso/core/Entities") {
  /** The service over {@link Repos}. */
  static readonly layer = Layer.effect(
    Entities,
    Effect.map(Effect.service(Repos), (repos) => Entities.of(makeEntities(repos)))
  )
}

/** The service's verbs, each from the module of its job. */
const makeEntities = (repos: Repositories) => {
  const access = makeEntityAccess(repos)
  const deletion = makeEntityDeletion(repos, access)
  const listing = makeEntityListing(repos, access, (type) =>
    Effect.map(referencePossibleFields(repos, type.accountId, type), (fields) => selectPossibleFields(fields, type.fieldsListView).map((field) => field.name))
  )
  return {
    ...makeEntityCreation(repos, access),
    ...listing,
    softDelete: deletion.softDelete,
    ...makeEntityDuplicates(repos, access, deletion),
    ...makeEntityMobile(repos, access)
  }
}
