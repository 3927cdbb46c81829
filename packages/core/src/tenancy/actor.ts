/**
 * The actor: who is acting, for which account, with which of IASO's permissions and restrictions.
 * Services read it from the {@link CurrentActor} service; reading another account's record answers
 * `NotFound`, a missing permission `Forbidden`.
 * @module
 */
import { Context, Effect } from "effect"
import type { AccountId, OrgUnitId, OrgUnitTypeId, UserId } from "../shared/entity-ids.ts"
import { Forbidden } from "../shared/errors.ts"
import { type Permission, PERMISSIONS } from "./permissions.ts"

/** An actor. */
export interface Actor {
  /** `system` actors are made by the host app (bootstrapping, imports), never from untrusted input. */
  readonly kind: "user" | "system"
  readonly accountId: AccountId
  readonly userId?: UserId
  readonly permissions: ReadonlySet<Permission>
  /** Org-unit roots: when non-empty, the actor sees only these units' subtrees. */
  readonly orgUnitRoots: ReadonlyArray<OrgUnitId>
  /** Org-unit types the actor may edit: when non-empty, only these. */
  readonly editableOrgUnitTypeIds: ReadonlyArray<OrgUnitTypeId>
}

/** Builders of actors. */
export const Actor = {
  /** An actor with every permission and no restriction, for the host app's own work in an account. */
  system: (accountId: AccountId): Actor => ({
    kind: "system",
    accountId,
    permissions: new Set(PERMISSIONS),
    orgUnitRoots: [],
    editableOrgUnitTypeIds: []
  }),
  /** A user actor. Prefer `Accounts.actorFor(userId)`, which reads the profile and roles from storage. */
  user: (input: {
    readonly accountId: AccountId
    readonly userId?: UserId
    readonly permissions: Iterable<Permission>
    readonly orgUnitRoots?: ReadonlyArray<OrgUnitId>
    readonly editableOrgUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
  }): Actor => ({
    kind: "user",
    accountId: input.accountId,
    ...(input.userId === undefined ? {} : { userId: input.userId }),
    permissions: new Set(input.permissions),
    orgUnitRoots: input.orgUnitRoots ?? [],
    editableOrgUnitTypeIds: input.editableOrgUnitTypeIds ?? []
  })
}

/**
 * The key of what an actor owns in a model scoped by owner (`rowScope: { kind: "owner" }`): its
 * user id, or `""` for an actor without one (the system actor, a host app's user actor).
 */
export const ownerKey = (actor: Actor): string => (actor.kind === "user" && actor.userId !== undefined ? actor.userId : "")

/** The actor of the current unit of work. */
export class CurrentActor extends Context.Service<CurrentActor, Actor>()("@iaso/core/CurrentActor") {}

/** Succeeds when the actor holds one of `permissions` (or the list is empty), else `Forbidden`. */
export const requireAny = (actor: Actor, permissions: ReadonlyArray<string>, action: string): Effect.Effect<void, Forbidden> => {
  if (permissions.length === 0 || permissions.some((p) => actor.permissions.has(p as Permission))) return Effect.void
  const [first] = permissions
  return Effect.fail(
    new Forbidden({
      ...(permissions.length === 1 && first !== undefined ? { permission: first } : {}),
      message: `${action} needs ${permissions.length === 1 ? "the permission" : "one of the permissions"} ${permissions.join(", ")}`
    })
  )
}

/** Whether the actor may edit org units of this type. */
export const mayEditType = (actor: Actor, typeId: string | undefined): boolean =>
  actor.editableOrgUnitTypeIds.length === 0 || (typeId !== undefined && actor.editableOrgUnitTypeIds.includes(typeId as OrgUnitTypeId))
