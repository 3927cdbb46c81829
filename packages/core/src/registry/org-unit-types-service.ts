/**
 * The `OrgUnitTypes` service: levels of the pyramid scoped to projects, with the graph of allowed
 * child types (`subUnitTypes`, whose reverse is IASO's `super_types`). A type may not list one of
 * its own ancestors as a child type (no cycle), and a type still used by org units cannot be deleted.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { OrgUnitTypeId, ProjectId } from "../shared/entity-ids.ts"
import { Conflict, NotFound, ValidationError } from "../shared/errors.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { OrgUnitModel } from "./org-unit.ts"
import {
  type OrgUnitType,
  type OrgUnitTypeCategory,
  OrgUnitTypeCreatableSubTypeModel,
  OrgUnitTypeModel,
  OrgUnitTypeProjectModel,
  OrgUnitTypeSubTypeModel
} from "./org-unit-type.ts"

const SOURCE = "ORG_UNIT_TYPE_API"

/** What a caller gives to create an org-unit type. */
export interface OrgUnitTypeCreate {
  readonly name: string
  /** Default: the last segment of the name split on " - " (IASO's rule). */
  readonly shortName?: string
  readonly category?: OrgUnitTypeCategory
  readonly depth?: number
  /** At least one project of the account. */
  readonly projectIds: ReadonlyArray<ProjectId>
  readonly subUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
  readonly creatableSubUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
}

/** A type with its allowed child types, recursively. */
export interface OrgUnitTypeTree {
  readonly type: OrgUnitType
  readonly subUnitTypes: ReadonlyArray<OrgUnitTypeTree>
}

/** IASO's default short name: the last segment of the name split on " - ". */
export const defaultShortName = (name: string): string => name.split(" - ").pop()?.trim() ?? name

const links = (repos: Repositories, accountId: string, field: "orgUnitTypeId" | "subTypeId", id: string) =>
  listAll((page) => repos.list(OrgUnitTypeSubTypeModel, accountId, page), { where: [{ field, op: "eq", value: id }] })

/** The ancestors of a type in the sub-type graph (the types that list it, transitively). */
const ancestorsOf = (repos: Repositories, accountId: string, typeId: string) =>
  Effect.gen(function* () {
    const seen = new Set<string>()
    let frontier = [typeId]
    while (frontier.length > 0) {
      const next: Array<string> = []
      for (const id of frontier) {
        for (const link of yield* links(repos, accountId, "subTypeId", id)) {
          const parent = String(link.orgUnitTypeId)
          if (!seen.has(parent)) {
            seen.add(parent)
            next.push(parent)
          }
        }
      }
      frontier = next
    }
    return seen
  })

/**
 * The org-unit types service: the levels of the pyramid, per project, with the graph of allowed
 * child types (no cycle) and deletion of unused types. Provided by `Iaso.layer`; on the Promise
 * facade, `iaso.as(actor).orgUnitTypes`. Its calls are listed under `Service`.
 */
export class OrgUnitTypes extends Context.Service<
  OrgUnitTypes,
  {
    /** Creates a type in projects of the account (needs `iaso_org_unit_types`). */
    readonly create: (input: OrgUnitTypeCreate) => Effect.Effect<OrgUnitType, ServiceWriteError, CurrentActor>
    /** Replaces a type's allowed child types, refusing any that is one of its ancestors. */
    readonly setSubUnitTypes: (typeId: OrgUnitTypeId, subUnitTypeIds: ReadonlyArray<OrgUnitTypeId>) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** The type with its child types, recursively. */
    readonly hierarchy: (typeId: OrgUnitTypeId) => Effect.Effect<OrgUnitTypeTree, ServiceWriteError, CurrentActor>
    /** Deletes a type no org unit uses ("You can't delete a type that still has org units" otherwise). */
    readonly remove: (typeId: OrgUnitTypeId) => Effect.Effect<void, ServiceWriteError, CurrentActor>
  }
>()("@iaso/core/OrgUnitTypes") {
  static readonly layer = Layer.effect(
    OrgUnitTypes,
    Effect.gen(function* () {
      const repos = yield* Repos
      const write = (actor: Actor) => requireAny(actor, ["iaso_org_unit_types"], "changing org-unit types")

      const setSubTypes = (
        actor: Actor,
        typeId: string,
        subIds: ReadonlyArray<string>,
        model: typeof OrgUnitTypeSubTypeModel | typeof OrgUnitTypeCreatableSubTypeModel
      ) =>
        Effect.gen(function* () {
          const unique = [...new Set(subIds)]
          const found = yield* repos.getMany(OrgUnitTypeModel, actor.accountId, unique)
          for (const id of unique) if (!found.some((t) => t.id === id)) return yield* NotFound.of("OrgUnitType", id)
          const ancestors = yield* ancestorsOf(repos, actor.accountId, typeId)
          const cyclic = found.filter((t) => t.id === typeId || ancestors.has(t.id))
          if (cyclic.length > 0) {
            return yield* ValidationError.at(["subUnitTypeIds"], `sub unit types cannot be ancestors of the type: ${cyclic.map((t) => t.name).join(", ")}`)
          }
          const existing = yield* listAll((page) => repos.list(model, actor.accountId, page), { where: [{ field: "orgUnitTypeId", op: "eq", value: typeId }] })
          for (const link of existing) if (!unique.includes(String(link.subTypeId))) yield* repos.remove(model, actor.accountId, String(link.id))
          const kept = new Set(existing.map((link) => String(link.subTypeId)))
          const fresh = unique.filter((id) => !kept.has(id)).map((subTypeId) => ({ orgUnitTypeId: typeId, subTypeId }))
          if (fresh.length > 0) yield* repos.insertMany(model, actor.accountId, fresh as never, { atomic: true })
        })

      const tree = (actor: Actor, typeId: string, path: ReadonlySet<string>): Effect.Effect<OrgUnitTypeTree, ServiceWriteError> =>
        Effect.gen(function* () {
          const type = yield* repos.get(OrgUnitTypeModel, actor.accountId, typeId)
          const children = (yield* links(repos, actor.accountId, "orgUnitTypeId", typeId)).map((link) => String(link.subTypeId)).filter((id) => !path.has(id))
          const subUnitTypes = yield* Effect.forEach(children, (id) => tree(actor, id, new Set([...path, typeId])))
          return { type, subUnitTypes }
        })

      return OrgUnitTypes.of({
        create: (input) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* write(actor)
            const projectIds = [...new Set(input.projectIds)]
            if (projectIds.length === 0) return yield* ValidationError.at(["projectIds"], "at least one project is required")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const projects = yield* repos.getMany(ProjectModel, actor.accountId, projectIds)
                if (projects.length !== projectIds.length) return yield* ValidationError.at(["projectIds"], "Invalid project ids")
                const type = yield* repos.insert(OrgUnitTypeModel, actor.accountId, {
                  name: input.name,
                  shortName: input.shortName ?? defaultShortName(input.name),
                  ...(input.category === undefined ? {} : { category: input.category }),
                  ...(input.depth === undefined ? {} : { depth: input.depth })
                })
                yield* repos.insertMany(
                  OrgUnitTypeProjectModel,
                  actor.accountId,
                  projectIds.map((projectId) => ({ orgUnitTypeId: type.id, projectId })),
                  { atomic: true }
                )
                yield* setSubTypes(actor, type.id, input.subUnitTypeIds ?? [], OrgUnitTypeSubTypeModel)
                yield* setSubTypes(actor, type.id, input.creatableSubUnitTypeIds ?? [], OrgUnitTypeCreatableSubTypeModel)
                yield* audit(repos, actor, SOURCE, OrgUnitTypeModel, [{ id: type.id, after: type }])
                return type
              })
            )
          }),
        setSubUnitTypes: (typeId, subUnitTypeIds) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* write(actor)
            yield* repos.driver.transaction(
              Effect.gen(function* () {
                yield* repos.get(OrgUnitTypeModel, actor.accountId, typeId)
                yield* setSubTypes(actor, typeId, subUnitTypeIds, OrgUnitTypeSubTypeModel)
              })
            )
          }),
        hierarchy: (typeId) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            return yield* tree(actor, typeId, new Set())
          }),
        remove: (typeId) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* write(actor)
            yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(OrgUnitTypeModel, actor.accountId, typeId)
                const used = yield* repos.count(OrgUnitModel, actor.accountId, [{ field: "orgUnitTypeId", op: "eq", value: typeId }])
                if (used > 0) return yield* new Conflict({ model: "OrgUnitType", id: typeId, message: "You can't delete a type that still has org units" })
                yield* repos.remove(OrgUnitTypeModel, actor.accountId, typeId)
                yield* audit(repos, actor, SOURCE, OrgUnitTypeModel, [{ id: typeId, before }])
              })
            )
          })
      })
    })
  )
}
