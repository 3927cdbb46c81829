/**
 * The `EntityTypes` service: entity types under IASO's rules. Creating one gives it its stable
 * `code` (see {@link entityTypeCode}); an update is IASO's PATCH (the name is required, the three
 * question lists and the duplicate flag are replaced: a missing list is cleared, a missing flag is
 * false); names are unique in the account. The question lists name reference-form questions: the
 * `*Fields` reads answer the matching entries of the reference form's `possibleFields`.
 *
 * Differences from IASO, on purpose:
 * - The code folds the name with the SDK's text folding (NFKD, combining marks removed, lower
 *   case) where IASO uses `unidecode` (which also transliterates letters without a decomposition,
 *   `ß` to `ss`, Cyrillic to Latin); the suffix is the account's id, and the folded name is cut so
 *   the code fits its 255 characters (IASO fails on a longer code).
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { EntityTypeId, FormId } from "../shared/entity-ids.ts"
import { type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { foldKey } from "../shared/text.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import type { PossibleField } from "../forms/descriptor.ts"
import { FormModel } from "../forms/form.ts"
import { type EntityType, EntityTypeModel } from "./entity.ts"

/** The audit source of entity-type changes. */
export const ENTITY_TYPE_AUDIT_SOURCE = "ENTITY_TYPE_API"

/** IASO's message when a PATCH leaves out the name. */
export const ENTITY_TYPE_NAME_REQUIRED = "This field is required"

/** What a caller gives to create an entity type. */
export interface EntityTypeCreate {
  readonly name: string
  /** The form whose submissions hold the entities' attributes. */
  readonly referenceFormId?: FormId
  /** Default false. */
  readonly isActive?: boolean
  readonly fieldsListView?: ReadonlyArray<string>
  readonly fieldsDetailInfoView?: ReadonlyArray<string>
  readonly fieldsDuplicateSearch?: ReadonlyArray<string>
  /** Default false. */
  readonly preventAddIfDuplicateFound?: boolean
}

/**
 * IASO's PATCH of an entity type: `name` is required; the three lists and
 * `preventAddIfDuplicateFound` replace the stored values (missing: cleared, false);
 * `referenceFormId` (`null` clears it) and `isActive` change only when given.
 */
export interface EntityTypeUpdate {
  readonly name: string
  readonly referenceFormId?: FormId | null
  readonly isActive?: boolean
  readonly fieldsListView?: ReadonlyArray<string>
  readonly fieldsDetailInfoView?: ReadonlyArray<string>
  readonly fieldsDuplicateSearch?: ReadonlyArray<string>
  readonly preventAddIfDuplicateFound?: boolean
}

const CODE_MAX = 255

/**
 * IASO's entity-type code: the name folded (NFKD, marks removed, lower case) with spaces as `_`,
 * then `_` and the account id; the folded name is cut so the code holds in 255 characters.
 */
export const entityTypeCode = (name: string, accountId: string): string => {
  const suffix = `_${accountId}`
  return `${Array.from(foldKey(name).replace(/ /g, "_"))
    .join("")
    .slice(0, Math.max(0, CODE_MAX - suffix.length))}${suffix}`
}

/**
 * The entries of `possibleFields` (a form's stored list) whose name is in `names`, compared
 * case-insensitively, each once, in `possibleFields` order (IASO's `get_list_view_fields`).
 */
export const selectPossibleFields = (possibleFields: unknown, names: ReadonlyArray<string> | undefined): ReadonlyArray<PossibleField> => {
  if (names === undefined || names.length === 0 || !Array.isArray(possibleFields)) return []
  const wanted = new Set(names.map((name) => name.toLowerCase()))
  const seen = new Set<string>()
  const out: Array<PossibleField> = []
  for (const entry of possibleFields as ReadonlyArray<unknown>) {
    if (typeof entry !== "object" || entry === null) continue
    const { name, label, type } = entry as Record<string, unknown>
    if (typeof name !== "string" || !wanted.has(name.toLowerCase()) || seen.has(name.toLowerCase())) continue
    seen.add(name.toLowerCase())
    out.push({
      name,
      label: (typeof label === "string" || (typeof label === "object" && label !== null) ? label : "") as PossibleField["label"],
      type: String(type ?? "")
    })
  }
  return out
}

type ReadError = NotFound | StorageError

/**
 * Entity types: creation with IASO's code, PATCH updates, reads, and the reference-form questions
 * their lists select. Writes need `iaso_entity_type_write`; reads any actor of the account.
 * Provided by `Iaso.layer`; on the Promise facade, `iaso.as(actor).entityTypes`.
 */
export class EntityTypes extends Context.Service<
  EntityTypes,
  {
    /** Creates an entity type with its code (see {@link entityTypeCode}); `AlreadyExists` for a name the account uses. */
    readonly create: (input: EntityTypeCreate) => Effect.Effect<EntityType, ServiceWriteError, CurrentActor>
    /** IASO's PATCH (see {@link EntityTypeUpdate}); the code never changes. */
    readonly update: (
      id: EntityTypeId,
      patch: EntityTypeUpdate,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<EntityType, ServiceWriteError, CurrentActor>
    /** One entity type of the account. */
    readonly get: (id: EntityTypeId) => Effect.Effect<EntityType, ReadError, CurrentActor>
    /** Every entity type of the account, by name. */
    readonly list: () => Effect.Effect<ReadonlyArray<EntityType>, StorageError, CurrentActor>
    /** The reference-form questions of `fieldsListView` (`{ name, type, label }`, possible-fields order). */
    readonly listViewFields: (id: EntityTypeId) => Effect.Effect<ReadonlyArray<PossibleField>, ReadError, CurrentActor>
    /** The reference-form questions of `fieldsDetailInfoView`. */
    readonly detailViewFields: (id: EntityTypeId) => Effect.Effect<ReadonlyArray<PossibleField>, ReadError, CurrentActor>
    /** The reference-form questions of `fieldsDuplicateSearch`. */
    readonly duplicateSearchFields: (id: EntityTypeId) => Effect.Effect<ReadonlyArray<PossibleField>, ReadError, CurrentActor>
  }
>()("@iaso/core/EntityTypes") {
  /** The service over {@link Repos}. */
  static readonly layer = Layer.effect(
    EntityTypes,
    Effect.map(Effect.service(Repos), (repos) => EntityTypes.of(makeEntityTypes(repos)))
  )
}

/** The possible fields of an entity type's reference form (none without one). */
export const referencePossibleFields = (repos: Repositories, accountId: string, type: EntityType): Effect.Effect<unknown, StorageError> =>
  type.referenceFormId === undefined
    ? Effect.succeed(undefined)
    : Effect.map(repos.getMany(FormModel, accountId, [type.referenceFormId]), ([form]) => form?.possibleFields)

const makeEntityTypes = (repos: Repositories) => {
  const writable = (actor: Actor) => requireAny(actor, ["iaso_entity_type_write"], "changing entity types")

  const create = (input: EntityTypeCreate) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const created = yield* repos.insert(EntityTypeModel, actor.accountId, {
            name: input.name,
            code: entityTypeCode(input.name, actor.accountId),
            isActive: input.isActive ?? false,
            preventAddIfDuplicateFound: input.preventAddIfDuplicateFound ?? false,
            ...(input.referenceFormId === undefined ? {} : { referenceFormId: input.referenceFormId }),
            ...(input.fieldsListView === undefined ? {} : { fieldsListView: input.fieldsListView }),
            ...(input.fieldsDetailInfoView === undefined ? {} : { fieldsDetailInfoView: input.fieldsDetailInfoView }),
            ...(input.fieldsDuplicateSearch === undefined ? {} : { fieldsDuplicateSearch: input.fieldsDuplicateSearch })
          })
          yield* audit(repos, actor, ENTITY_TYPE_AUDIT_SOURCE, EntityTypeModel, [{ id: created.id, after: created }])
          return created
        })
      )
    })

  const update = (id: EntityTypeId, patch: EntityTypeUpdate, options: { readonly expectedVersion?: number } = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      if (typeof (patch as { readonly name?: unknown }).name !== "string") return yield* ValidationError.at(["name"], ENTITY_TYPE_NAME_REQUIRED)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* repos.get(EntityTypeModel, actor.accountId, id)
          const after = yield* repos.update(
            EntityTypeModel,
            actor.accountId,
            id,
            {
              name: patch.name,
              fieldsListView: patch.fieldsListView ?? null,
              fieldsDetailInfoView: patch.fieldsDetailInfoView ?? null,
              fieldsDuplicateSearch: patch.fieldsDuplicateSearch ?? null,
              preventAddIfDuplicateFound: patch.preventAddIfDuplicateFound ?? false,
              ...(patch.referenceFormId === undefined ? {} : { referenceFormId: patch.referenceFormId }),
              ...(patch.isActive === undefined ? {} : { isActive: patch.isActive })
            },
            options
          )
          yield* audit(repos, actor, ENTITY_TYPE_AUDIT_SOURCE, EntityTypeModel, [{ id, before, after }])
          return after
        })
      )
    })

  const get = (id: EntityTypeId) => Effect.flatMap(Effect.service(CurrentActor), (actor) => repos.get(EntityTypeModel, actor.accountId, id))

  const fieldsOf = (id: EntityTypeId, list: "fieldsListView" | "fieldsDetailInfoView" | "fieldsDuplicateSearch") =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const type = yield* repos.get(EntityTypeModel, actor.accountId, id)
      return selectPossibleFields(yield* referencePossibleFields(repos, actor.accountId, type), type[list])
    })

  return {
    create,
    update,
    get,
    list: () =>
      Effect.flatMap(Effect.service(CurrentActor), (actor) =>
        listAll((page) => repos.list(EntityTypeModel, actor.accountId, page), { orderBy: [{ field: "name" }] }).pipe(orDieOnInvalidListing(EntityTypeModel))
      ),
    listViewFields: (id: EntityTypeId) => fieldsOf(id, "fieldsListView"),
    detailViewFields: (id: EntityTypeId) => fieldsOf(id, "fieldsDetailInfoView"),
    duplicateSearchFields: (id: EntityTypeId) => fieldsOf(id, "fieldsDuplicateSearch")
  }
}
