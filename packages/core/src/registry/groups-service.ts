/**
 * The `Groups` service: groups of org units and group sets, under IASO's rules: a group belongs to
 * one version (the account's default version unless one is named), its members and the groups of
 * a set must be in that same version, a group's source ref is unique in its version, and groups of
 * a read-only data source cannot change.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { GroupId, OrgUnitId, SourceVersionId } from "../shared/entity-ids.ts"
import { AlreadyExists, Forbidden, NotFound, ValidationError } from "../shared/errors.ts"
import { type FieldCondition, listAll, type Repositories } from "../shared/repository.ts"
import { AccountModel } from "../tenancy/account.ts"
import { type Actor, CurrentActor, mayEditType, requireAny } from "../tenancy/actor.ts"
import { type Group, type GroupBelonging, GroupModel, type GroupSet, GroupSetGroupModel, GroupSetModel, OrgUnitGroupMembershipModel } from "./groups.ts"
import { OrgUnitModel } from "./org-unit.ts"
import { DataSourceModel, SourceVersionModel } from "./sources.ts"

const SOURCE = "GROUP_API"

/** What a caller gives to create a group. */
export interface GroupCreate {
  readonly name: string
  /** Default: the account's default version (IASO's rule). */
  readonly versionId?: SourceVersionId
  readonly sourceRef?: string
  readonly domain?: string
  readonly blockOfCountries?: boolean
  readonly orgUnitIds?: ReadonlyArray<OrgUnitId>
}

/** What a caller may change on a group (`null` clears an optional field); its version never changes. */
export interface GroupPatch {
  readonly name?: string
  readonly sourceRef?: string | null
  readonly domain?: string | null
  readonly blockOfCountries?: boolean
}

/** What a caller gives to create a group set. */
export interface GroupSetCreate {
  readonly name: string
  readonly versionId: SourceVersionId
  readonly sourceRef?: string
  readonly groupBelonging?: GroupBelonging
  readonly groupIds?: ReadonlyArray<GroupId>
}

const writable = (repos: Repositories, actor: Actor, versionId: string) =>
  Effect.gen(function* () {
    const version = yield* repos.get(SourceVersionModel, actor.accountId, versionId)
    const source = yield* repos.get(DataSourceModel, actor.accountId, version.dataSourceId)
    if (source.readOnly) return yield* new Forbidden({ message: `the data source ${source.name} is read-only` })
  })

/**
 * The groups service: groups of org units and group sets, each in one version, and their members.
 * Provided by `Iaso.layer`; on the Promise facade, `iaso.as(actor).groups`. Its calls are listed
 * under `Service`.
 */
export class Groups extends Context.Service<
  Groups,
  {
    /** Creates a group, with its first members (needs `iaso_org_units`). */
    readonly create: (input: GroupCreate) => Effect.Effect<Group, ServiceWriteError, CurrentActor>
    /** Changes a group's name, source ref (unique in its version), domain or flag (needs `iaso_org_units`). */
    readonly update: (
      groupId: GroupId,
      patch: GroupPatch,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<Group, ServiceWriteError, CurrentActor>
    /** Deletes a group and its memberships (needs `iaso_org_units`; the group's source must be writable). */
    readonly remove: (groupId: GroupId) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** Adds org units to a group: each must be visible to the actor and in the group's version. */
    readonly addMembers: (groupId: GroupId, orgUnitIds: ReadonlyArray<OrgUnitId>) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** Removes org units from a group. */
    readonly removeMembers: (groupId: GroupId, orgUnitIds: ReadonlyArray<OrgUnitId>) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** The ids of a group's members. */
    readonly members: (groupId: GroupId) => Effect.Effect<ReadonlyArray<OrgUnitId>, ServiceWriteError, CurrentActor>
    /** The groups an org unit belongs to. */
    readonly groupsOf: (orgUnitId: OrgUnitId) => Effect.Effect<ReadonlyArray<Group>, ServiceWriteError, CurrentActor>
    /** Creates a group set whose groups are all in its version. */
    readonly createSet: (input: GroupSetCreate) => Effect.Effect<GroupSet, ServiceWriteError, CurrentActor>
  }
>()("@iaso/core/Groups") {
  static readonly layer = Layer.effect(
    Groups,
    Effect.gen(function* () {
      const repos = yield* Repos
      const rowAccess = makeRowAccess(repos)

      const checkMembers = (actor: Actor, group: Group, orgUnitIds: ReadonlyArray<OrgUnitId>) =>
        Effect.gen(function* () {
          const unique = [...new Set(orgUnitIds)]
          const units = yield* rowAccess.keepVisible(actor, OrgUnitModel, yield* repos.getMany(OrgUnitModel, actor.accountId, unique))
          for (const id of unique) {
            const unit = units.find((u) => u.id === id)
            if (unit === undefined) return yield* NotFound.of("OrgUnit", id)
            if (unit.versionId !== group.versionId) {
              return yield* ValidationError.at(["orgUnitIds"], `org unit ${id} is not in the group's version`)
            }
            if (!mayEditType(actor, unit.orgUnitTypeId)) return yield* new Forbidden({ message: "you may not edit org units of this type" })
          }
          return unique
        })

      /** The group's memberships the actor sees (all of them for an actor without org-unit roots). */
      const existingMembers = (actor: Actor, groupId: string) =>
        Effect.gen(function* () {
          const where: ReadonlyArray<FieldCondition> = [{ field: "groupId", op: "eq", value: groupId }]
          const reach = yield* rowAccess.listConditions(actor, OrgUnitGroupMembershipModel, where)
          return yield* listAll((page) => repos.list(OrgUnitGroupMembershipModel, actor.accountId, page, reach), { where })
        })

      const addMembers = (actor: Actor, group: Group, orgUnitIds: ReadonlyArray<OrgUnitId>) =>
        Effect.gen(function* () {
          const ids = yield* checkMembers(actor, group, orgUnitIds)
          const present = new Set((yield* existingMembers(actor, group.id)).map((m) => m.orgUnitId))
          const fresh = ids.filter((id) => !present.has(id))
          if (fresh.length === 0) return
          yield* repos.insertMany(
            OrgUnitGroupMembershipModel,
            actor.accountId,
            fresh.map((orgUnitId) => ({ groupId: group.id, orgUnitId })),
            { atomic: true }
          )
        })

      const loadGroup = (actor: Actor, groupId: GroupId) => repos.get(GroupModel, actor.accountId, groupId)

      /** A source ref names one group of a version (`except`: the group being changed). */
      const refuseRefClash = (actor: Actor, versionId: string, sourceRef: string, except?: string) =>
        Effect.gen(function* () {
          const clash = yield* repos.list(GroupModel, actor.accountId, {
            where: [
              { field: "versionId", op: "eq", value: versionId },
              { field: "sourceRef", op: "eq", value: sourceRef }
            ],
            select: ["id"],
            limit: 2
          })
          if (clash.items.some((group) => group.id !== except)) {
            return yield* new AlreadyExists({
              model: "Group",
              constraint: "group_version_source_ref",
              message: `a group of this version already has the source ref ${sourceRef}`
            })
          }
        })

      return Groups.of({
        create: (input) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_org_units"], "creating groups")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                let versionId = input.versionId
                if (versionId === undefined) {
                  const account = yield* repos.get(AccountModel, actor.accountId, actor.accountId)
                  if (account.defaultVersionId === undefined) return yield* ValidationError.at(["versionId"], "This account has no default version")
                  versionId = account.defaultVersionId
                }
                yield* writable(repos, actor, versionId)
                if (input.sourceRef !== undefined) yield* refuseRefClash(actor, versionId, input.sourceRef)
                const group = yield* repos.insert(GroupModel, actor.accountId, {
                  name: input.name,
                  versionId,
                  blockOfCountries: input.blockOfCountries ?? false,
                  ...(input.sourceRef === undefined ? {} : { sourceRef: input.sourceRef }),
                  ...(input.domain === undefined ? {} : { domain: input.domain })
                })
                yield* addMembers(actor, group, input.orgUnitIds ?? [])
                yield* audit(repos, actor, SOURCE, GroupModel, [{ id: group.id, after: group }])
                return group
              })
            )
          }),
        update: (groupId, patch, options) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_org_units"], "changing groups")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* loadGroup(actor, groupId)
                yield* writable(repos, actor, before.versionId)
                if (typeof patch.sourceRef === "string") yield* refuseRefClash(actor, before.versionId, patch.sourceRef, before.id)
                const after = yield* repos.update(GroupModel, actor.accountId, groupId, patch as Readonly<Record<string, unknown>>, options)
                yield* audit(repos, actor, SOURCE, GroupModel, [{ id: groupId, before, after }])
                return after
              })
            )
          }),
        remove: (groupId) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_org_units"], "deleting groups")
            yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* loadGroup(actor, groupId)
                yield* writable(repos, actor, before.versionId)
                // Deleting a group deletes its memberships: all of them must be within the actor's reach.
                const all = yield* repos.count(OrgUnitGroupMembershipModel, actor.accountId, [{ field: "groupId", op: "eq", value: groupId }])
                if ((yield* existingMembers(actor, groupId)).length !== all) {
                  return yield* new Forbidden({ message: "the group has members outside your org units: it cannot be deleted by you" })
                }
                yield* repos.remove(GroupModel, actor.accountId, groupId)
                yield* audit(repos, actor, SOURCE, GroupModel, [{ id: groupId, before }])
              })
            )
          }),
        addMembers: (groupId, orgUnitIds) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_org_units"], "changing groups")
            yield* repos.driver.transaction(
              Effect.gen(function* () {
                const group = yield* loadGroup(actor, groupId)
                yield* writable(repos, actor, group.versionId)
                yield* addMembers(actor, group, orgUnitIds)
              })
            )
          }),
        removeMembers: (groupId, orgUnitIds) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_org_units"], "changing groups")
            yield* repos.driver.transaction(
              Effect.gen(function* () {
                const group = yield* loadGroup(actor, groupId)
                yield* writable(repos, actor, group.versionId)
                const ids = new Set<string>(yield* checkMembers(actor, group, orgUnitIds))
                for (const membership of yield* existingMembers(actor, groupId)) {
                  if (ids.has(String(membership.orgUnitId))) yield* repos.remove(OrgUnitGroupMembershipModel, actor.accountId, String(membership.id))
                }
              })
            )
          }),
        members: (groupId) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, GroupModel.access.read, "reading groups")
            yield* loadGroup(actor, groupId)
            return (yield* existingMembers(actor, groupId)).map((m) => m.orgUnitId as OrgUnitId)
          }),
        groupsOf: (orgUnitId) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, GroupModel.access.read, "reading groups")
            const [unit] = yield* rowAccess.keepVisible(actor, OrgUnitModel, yield* repos.getMany(OrgUnitModel, actor.accountId, [orgUnitId]))
            if (unit === undefined) return yield* NotFound.of("OrgUnit", orgUnitId)
            const links = yield* listAll((page) => repos.list(OrgUnitGroupMembershipModel, actor.accountId, page), {
              where: [{ field: "orgUnitId", op: "eq", value: orgUnitId }]
            })
            return yield* repos.getMany(
              GroupModel,
              actor.accountId,
              links.map((link) => String(link.groupId))
            )
          }),
        createSet: (input) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_org_units"], "creating group sets")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                yield* writable(repos, actor, input.versionId)
                const ids = [...new Set(input.groupIds ?? [])]
                const groups = yield* repos.getMany(GroupModel, actor.accountId, ids)
                for (const id of ids) if (!groups.some((g) => g.id === id)) return yield* NotFound.of("Group", id)
                if (groups.some((group) => group.versionId !== input.versionId)) {
                  return yield* ValidationError.at(["groupIds"], "Groups do not all belong to the same SourceVersion")
                }
                const set = yield* repos.insert(GroupSetModel, actor.accountId, {
                  name: input.name,
                  versionId: input.versionId,
                  groupBelonging: input.groupBelonging ?? "SINGLE",
                  ...(input.sourceRef === undefined ? {} : { sourceRef: input.sourceRef })
                })
                yield* repos.insertMany(
                  GroupSetGroupModel,
                  actor.accountId,
                  ids.map((groupId) => ({ groupSetId: set.id, groupId })),
                  { atomic: true }
                )
                yield* audit(repos, actor, SOURCE, GroupSetModel, [{ id: set.id, after: set }])
                return set
              })
            )
          })
      })
    })
  )
}
