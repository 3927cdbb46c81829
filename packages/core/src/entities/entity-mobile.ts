/**
 * What the mobile app downloads for a project (IASO's `/api/mobile/entitytypes/` and
 * `/api/mobile/entities/`): the entity types whose reference form the project offers, and their
 * live entities with live attributes, each with its live submissions whose `(_version, form)` names
 * a stored form version.
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { EntityTypeId, FormId, FormVersionId, InstanceId, OrgUnitId, ProjectId } from "../shared/entity-ids.ts"
import type { JsonObject } from "../shared/json.ts"
import type { Condition } from "../shared/query.ts"
import { findIn, type Repositories } from "../shared/repository.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { ProjectFormModel } from "../forms/form.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import type { Actor } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { EntityModel, type EntityType, EntityTypeModel } from "./entity.ts"
import type { EntityAccess } from "./entity-access.ts"
import { type Answers, attributesOf, ruleTest, updatedSince } from "./entity-listing.ts"

/** An entity type as the mobile app reads it: the question lists are `[]` when not set. */
export interface MobileEntityType {
  readonly id: EntityTypeId
  readonly name: string
  readonly code?: string
  readonly referenceFormId?: FormId
  readonly isActive: boolean
  readonly createdAt: Date
  readonly updatedAt: Date
  readonly fieldsListView: ReadonlyArray<string>
  readonly fieldsDetailInfoView: ReadonlyArray<string>
  readonly fieldsDuplicateSearch: ReadonlyArray<string>
  readonly preventAddIfDuplicateFound: boolean
}

/** One submission of a mobile entity (IASO: `id` is the submission's uuid). */
export interface MobileEntityInstance {
  readonly id: string
  readonly instanceId: InstanceId
  readonly formId: FormId
  readonly formVersionId: FormVersionId
  readonly orgUnitId?: OrgUnitId
  readonly createdAt: Date
  readonly updatedAt: Date
  readonly json: JsonObject
}

/** An entity as the mobile app reads it (IASO: `id` is the entity's uuid, `definingInstanceId` its attributes' uuid). */
export interface MobileEntity {
  readonly id: string
  readonly entityId: string
  readonly definingInstanceId: string
  readonly entityTypeId: EntityTypeId
  readonly createdAt: Date
  readonly updatedAt: Date
  readonly instances: ReadonlyArray<MobileEntityInstance>
}

/** Filters of {@link Entities | Entities.mobileEntities}. */
export interface MobileEntitiesOptions {
  /** Entities with a submission updated at or after this time (IASO's `limit_date`). */
  readonly limitDate?: Date
  /** A JSONLogic rule the attributes' answers must satisfy (IASO's `json_content`). */
  readonly jsonContent?: unknown
}

const mobileType = (type: EntityType): MobileEntityType => ({
  id: type.id,
  name: type.name,
  ...(type.code === undefined ? {} : { code: type.code }),
  ...(type.referenceFormId === undefined ? {} : { referenceFormId: type.referenceFormId }),
  isActive: type.isActive,
  createdAt: type.createdAt,
  updatedAt: type.updatedAt,
  fieldsListView: type.fieldsListView ?? [],
  fieldsDetailInfoView: type.fieldsDetailInfoView ?? [],
  fieldsDuplicateSearch: type.fieldsDuplicateSearch ?? [],
  preventAddIfDuplicateFound: type.preventAddIfDuplicateFound
})

/** The mobile payloads. */
export const makeEntityMobile = (repos: Repositories, access: EntityAccess) => {
  const { rows, entityActor } = access

  /** The entity types whose reference form the project offers, by name. */
  const projectTypes = (actor: Actor, projectId: ProjectId) =>
    Effect.gen(function* () {
      yield* repos.get(ProjectModel, actor.accountId, projectId)
      const links = yield* findIn((page) => repos.list(ProjectFormModel, actor.accountId, page), "projectId", [projectId]).pipe(
        orDieOnInvalidListing(ProjectFormModel)
      )
      const formIds = [...new Set(links.map((link) => link.formId as string))]
      const types = yield* findIn((page) => repos.list(EntityTypeModel, actor.accountId, page), "referenceFormId", formIds).pipe(
        orDieOnInvalidListing(EntityTypeModel)
      )
      return [...types].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    })

  const mobileEntityTypes = (projectId: ProjectId) =>
    Effect.gen(function* () {
      const actor = yield* entityActor("reading entity types")
      return (yield* projectTypes(actor, projectId)).map(mobileType)
    })

  const mobileEntities = (projectId: ProjectId, options: MobileEntitiesOptions = {}) =>
    Effect.gen(function* () {
      const actor = yield* entityActor("reading entities")
      const holds = yield* ruleTest(options.jsonContent, "jsonContent")
      const types = yield* projectTypes(actor, projectId)
      const where: Array<Condition> = [
        ...(yield* rows.listConditions(actor, EntityModel)),
        { field: "deletedAt", op: "isNull" },
        { field: "attributesId", op: "isNotNull" }
      ]
      if (options.limitDate !== undefined) where.push({ field: "id", op: "in", value: yield* updatedSince(repos, actor, options.limitDate) })
      const entities = yield* findIn(
        (page) => repos.list(EntityModel, actor.accountId, page, where),
        "entityTypeId",
        types.map((type) => type.id)
      ).pipe(orDieOnInvalidListing(EntityModel))
      const attributes = yield* attributesOf(repos, actor, entities)
      const kept = entities.filter((entity) => {
        const instance = entity.attributesId === undefined ? undefined : attributes.get(entity.attributesId)
        return instance !== undefined && !instance.deleted && holds(instance.json as Answers | undefined)
      })
      const instances = yield* findIn(
        (page) => repos.list(InstanceModel, actor.accountId, page, [{ field: "deleted", op: "eq", value: false }]),
        "entityId",
        kept.map((entity) => entity.id)
      ).pipe(orDieOnInvalidListing(InstanceModel))
      const formIds = [...new Set(instances.flatMap((instance) => (instance.formId === undefined ? [] : [instance.formId as string])))]
      const versions = yield* findIn((page) => repos.list(FormVersionModel, actor.accountId, page), "formId", formIds).pipe(
        orDieOnInvalidListing(FormVersionModel)
      )
      const versionOf = new Map(versions.map((version) => [`${version.formId}/${version.versionId}`, version.id as FormVersionId]))
      const byEntity = new Map<string, Array<MobileEntityInstance>>()
      for (const instance of [...instances].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))) {
        const version = instance.json?.["_version"]
        const formVersionId = instance.formId === undefined || version === undefined ? undefined : versionOf.get(`${instance.formId}/${String(version)}`)
        if (formVersionId === undefined || instance.formId === undefined || instance.entityId === undefined || instance.json === undefined) continue
        const list = byEntity.get(instance.entityId) ?? []
        list.push({
          id: instance.uuid ?? instance.id,
          instanceId: instance.id,
          formId: instance.formId,
          formVersionId,
          ...(instance.orgUnitId === undefined ? {} : { orgUnitId: instance.orgUnitId }),
          createdAt: instance.createdAt,
          updatedAt: instance.updatedAt,
          json: instance.json
        })
        byEntity.set(instance.entityId, list)
      }
      return kept.map(
        (entity): MobileEntity => ({
          id: entity.uuid,
          entityId: entity.id,
          definingInstanceId: (entity.attributesId === undefined ? undefined : attributes.get(entity.attributesId)?.uuid) ?? "",
          entityTypeId: entity.entityTypeId,
          createdAt: entity.createdAt,
          updatedAt: entity.updatedAt,
          instances: byEntity.get(entity.id) ?? []
        })
      )
    })

  return { mobileEntityTypes, mobileEntities }
}
