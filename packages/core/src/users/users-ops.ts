/**
 * The calls of {@link Users} (see `users-service.ts` for the rules), loaded by the service when it
 * is first called: an app that never manages users leaves them out of its starting code.
 * @module
 */
import { Effect, Redacted } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeModel } from "../registry/org-unit-type.ts"
import type { ProfileId } from "../shared/entity-ids.ts"
import { AlreadyExists, Forbidden, NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import type { AnyModel } from "../shared/model.ts"
import { listAll } from "../shared/reads.ts"
import type { Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import type { Permission } from "../tenancy/permissions.ts"
import { ProjectModel } from "../tenancy/project.ts"
import {
  type Profile,
  ProfileEditableOrgUnitTypeModel,
  ProfileModel,
  ProfileOrgUnitModel,
  ProfileProjectModel,
  ProfileUserRoleModel,
  type User,
  UserModel,
  UserRoleModel
} from "../tenancy/users.ts"
import { hashPassword, verifyPassword } from "./bulk-csv.ts"
import { type ProfileFields, profileLinkRows, publicUser, type UserListOptions, Users, type UserWithProfile, usernameTaken } from "./users-service.ts"

/** Django's username rule. */
const USERNAME = /^[\w.@+-]{1,150}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const SOURCE = "PROFILE_API"
const USER_PERMISSIONS: ReadonlyArray<Permission> = ["iaso_users", "iaso_users_managed"]

const reveal = (password: string | Redacted.Redacted<string>): string => (Redacted.isRedacted(password) ? Redacted.value(password) : password)

/** The calls of {@link Users}. */
export const makeUsers = (repos: Repositories): Users["Service"] => {
  const access = makeRowAccess(repos)
  const guard = (actor: Actor, action: string) => requireAny(actor, USER_PERMISSIONS, action)
  const managedOnly = (actor: Actor) => !actor.permissions.has("iaso_users") && actor.permissions.has("iaso_users_managed")
  const all = <M extends AnyModel>(model: M, accountId: string, field: string, value: string) =>
    listAll((page) => repos.list(model, accountId, page), { where: [{ field, op: "eq", value }] }).pipe(orDieOnInvalidListing(model))

  const profileOf = (accountId: string, userId: string): Effect.Effect<Profile | undefined, StorageError> =>
    Effect.map(all(ProfileModel, accountId, "userId", userId), (rows) => rows[0])

  const linksOf = (accountId: string, profileId: string) =>
    Effect.gen(function* () {
      const orgUnits = yield* all(ProfileOrgUnitModel, accountId, "profileId", profileId)
      const roles = yield* all(ProfileUserRoleModel, accountId, "profileId", profileId)
      const projects = yield* all(ProfileProjectModel, accountId, "profileId", profileId)
      const types = yield* all(ProfileEditableOrgUnitTypeModel, accountId, "profileId", profileId)
      return {
        orgUnitIds: orgUnits.map((link) => link.orgUnitId),
        userRoleIds: roles.map((link) => link.userRoleId),
        projectIds: projects.map((link) => link.projectId),
        editableOrgUnitTypeIds: types.map((link) => link.orgUnitTypeId)
      }
    })

  const view = (accountId: string, user: User) =>
    Effect.gen(function* () {
      const profile = yield* profileOf(accountId, user.id)
      if (profile === undefined) return yield* NotFound.of("Profile", user.id)
      const links = yield* linksOf(accountId, profile.id)
      const out: UserWithProfile = { user: publicUser(user), profile, ...links }
      return out
    })

  /** The root paths of the actor (undefined: unrestricted). */
  const rootsOf = (actor: Actor) => access.rootPaths(actor)
  const under = (paths: ReadonlyArray<string>, path: string) => paths.some((prefix) => path.startsWith(prefix))

  /** Whether a managed-only actor may manage the user whose profile has these org units. */
  const manageable = (actor: Actor, userId: string, orgUnitIds: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      if (!managedOnly(actor)) return true
      if (actor.userId === userId) return false
      const paths = yield* rootsOf(actor)
      if (paths === undefined) return true
      if (orgUnitIds.length === 0) return false
      const units = yield* repos.getMany(OrgUnitModel, actor.accountId, orgUnitIds)
      return units.some((unit) => under(paths, unit.path))
    })

  /**
   * The test of {@link UserListOptions}' filters on a listed user (the username prefix and the
   * active flag are conditions of the listing itself).
   */
  const listFilter = (accountId: string, options: UserListOptions) =>
    Effect.gen(function* () {
      const search = options.search?.trim().toLowerCase()
      const roles = options.userRoleIds === undefined ? undefined : new Set(options.userRoleIds)
      const projects = options.projectIds === undefined ? undefined : new Set(options.projectIds)
      const unit = options.orgUnitId === undefined ? undefined : ((yield* repos.getMany(OrgUnitModel, accountId, [options.orgUnitId]))[0] ?? null)
      const rolePermissions = new Map<string, ReadonlyArray<Permission>>()
      return (shown: UserWithProfile): Effect.Effect<boolean, StorageError> =>
        Effect.gen(function* () {
          const { user } = shown
          if (search !== undefined && search !== "") {
            const text = [user.username, user.firstName, user.lastName, user.email].join("\u0000").toLowerCase()
            if (!text.includes(search)) return false
          }
          if (roles !== undefined && !shown.userRoleIds.some((id) => roles.has(id))) return false
          if (projects !== undefined && !shown.projectIds.some((id) => projects.has(id))) return false
          if (unit !== undefined) {
            if (unit === null) return false
            if (!shown.orgUnitIds.includes(unit.id)) {
              if (options.orgUnitDescendants !== true || shown.orgUnitIds.length === 0) return false
              const units = yield* repos.getMany(OrgUnitModel, accountId, shown.orgUnitIds)
              if (!units.some((listed) => listed.path.startsWith(unit.path))) return false
            }
          }
          if (options.permission !== undefined && !(user.permissions ?? []).includes(options.permission)) {
            const unknown = shown.userRoleIds.filter((id) => !rolePermissions.has(id))
            for (const role of unknown.length === 0 ? [] : yield* repos.getMany(UserRoleModel, accountId, unknown))
              rolePermissions.set(role.id, role.permissions)
            const permission = options.permission
            if (!shown.userRoleIds.some((id) => (rolePermissions.get(id) ?? []).includes(permission))) return false
          }
          return true
        })
    })

  /** Checks the fields and links an actor gives (`kept`: org units already assigned, which may stay). */
  const checkGiven = (actor: Actor, given: ProfileFields, kept: ReadonlyArray<string>, creating: boolean) =>
    Effect.gen(function* () {
      const accountId = actor.accountId
      if (given.email !== undefined && given.email !== "" && (given.email.length > 254 || !EMAIL.test(given.email)))
        return yield* ValidationError.at(["email"], "Enter a valid email address")
      if (given.orgUnitIds !== undefined) {
        const ids = [...new Set(given.orgUnitIds)]
        const units = yield* repos.getMany(OrgUnitModel, accountId, ids)
        const missing = ids.find((id) => !units.some((unit) => unit.id === id))
        if (missing !== undefined) return yield* NotFound.of("OrgUnit", missing)
        const paths = yield* rootsOf(actor)
        if (paths !== undefined) {
          const outside = units.find((unit) => !kept.includes(unit.id) && !under(paths, unit.path))
          if (outside !== undefined)
            return yield* new Forbidden({ message: `org unit ${outside.id} is outside the actor's org units: a user may be given only org units inside them` })
        }
      }
      if (managedOnly(actor) && (creating ? (given.orgUnitIds ?? []).length === 0 : given.orgUnitIds !== undefined && given.orgUnitIds.length === 0))
        return yield* new Forbidden({ message: "a user with only iaso_users_managed must give each user at least one org unit within their own" })
      const types = [...new Set(given.editableOrgUnitTypeIds ?? [])]
      const foundTypes = yield* repos.getMany(OrgUnitTypeModel, accountId, types)
      const missingType = types.find((id) => !foundTypes.some((type) => type.id === id))
      if (missingType !== undefined) return yield* NotFound.of("OrgUnitType", missingType)
      const projects = [...new Set(given.projectIds ?? [])]
      const foundProjects = yield* repos.getMany(ProjectModel, accountId, projects)
      const missingProject = projects.find((id) => !foundProjects.some((project) => project.id === id))
      if (missingProject !== undefined) return yield* NotFound.of("Project", missingProject)
      if (managedOnly(actor) && actor.userId !== undefined && given.projectIds !== undefined) {
        const own = yield* profileOf(accountId, actor.userId)
        const ownProjects = own === undefined ? [] : (yield* all(ProfileProjectModel, accountId, "profileId", own.id)).map((link) => String(link.projectId))
        if (ownProjects.length > 0) {
          if (projects.length === 0) return yield* new Forbidden({ message: "an actor restricted to projects must give the user projects among its own" })
          const foreign = projects.find((id) => !ownProjects.includes(id))
          if (foreign !== undefined) return yield* new Forbidden({ message: `project ${foreign} is not one of the actor's projects` })
        }
      }
      const roles = [...new Set(given.userRoleIds ?? [])]
      const foundRoles = yield* repos.getMany(UserRoleModel, accountId, roles)
      const missingRole = roles.find((id) => !foundRoles.some((role) => role.id === id))
      if (missingRole !== undefined) return yield* NotFound.of("UserRole", missingRole)
      if (actor.kind === "user") {
        const wanted = [...(given.permissions ?? []), ...foundRoles.flatMap((role) => role.permissions)]
        const lacking = wanted.find((permission) => !actor.permissions.has(permission))
        if (lacking !== undefined)
          return yield* new Forbidden({ permission: lacking, message: `only permissions the actor holds may be given: it lacks ${lacking}` })
      }
    })

  const checkUsername = (username: string, except?: string) =>
    Effect.gen(function* () {
      if (!USERNAME.test(username))
        return yield* ValidationError.at(["username"], "Enter a valid username: at most 150 letters, digits and @/./+/-/_ characters")
      if (yield* usernameTaken(repos, username, except))
        return yield* new AlreadyExists({ model: "User", constraint: "user_username_unique", message: `the username ${username} is taken` })
    })

  const profileFields = (given: ProfileFields): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const key of ["language", "organization", "externalUserId", "dhis2Id", "homePage", "phoneNumber", "color"] as const) {
      const value = given[key]
      if (value !== undefined) out[key] = value === "" ? null : value
    }
    return out
  }

  /** Replaces each link list given (absent lists stay as stored). */
  const replaceLinks = (accountId: string, profileId: ProfileId, given: ProfileFields) =>
    Effect.gen(function* () {
      const lists: ReadonlyArray<readonly [AnyModel, string, ReadonlyArray<string> | undefined]> = [
        [ProfileOrgUnitModel, "orgUnitId", given.orgUnitIds],
        [ProfileUserRoleModel, "userRoleId", given.userRoleIds],
        [ProfileProjectModel, "projectId", given.projectIds],
        [ProfileEditableOrgUnitTypeModel, "orgUnitTypeId", given.editableOrgUnitTypeIds]
      ]
      for (const [model, field, wanted] of lists) {
        if (wanted === undefined) continue
        const keep = new Set(wanted)
        const have = new Set<string>()
        for (const link of (yield* all(model, accountId, "profileId", profileId)) as ReadonlyArray<Record<string, unknown>>) {
          const value = String(link[field])
          if (keep.has(value)) have.add(value)
          else yield* repos.remove(model, accountId, String(link["id"]))
        }
        const fresh = [...keep].filter((value) => !have.has(value)).map((value) => ({ profileId, [field]: value }))
        if (fresh.length > 0) yield* repos.insertMany(model, accountId, fresh, { atomic: true })
      }
    })

  /** The user for a write by `actor`: `NotFound` when absent, `Forbidden` when a managed-only actor may not manage it. */
  const target = (actor: Actor, userId: string) =>
    Effect.gen(function* () {
      const user = yield* repos.get(UserModel, actor.accountId, userId)
      const profile = yield* profileOf(actor.accountId, user.id)
      const links = profile === undefined ? undefined : yield* linksOf(actor.accountId, profile.id)
      if (!(yield* manageable(actor, user.id, links?.orgUnitIds ?? [])))
        return yield* new Forbidden({
          message: `user ${user.id} is outside what the actor manages (iaso_users_managed: users inside its org units, not itself)`
        })
      return { user, profile, links }
    })

  return Users.of({
    create: (input) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* guard(actor, "creating a user")
        yield* checkUsername(input.username)
        yield* checkGiven(actor, input, [], true)
        const password = input.password === undefined ? "" : reveal(input.password)
        const hash = password === "" ? undefined : yield* Effect.promise(() => hashPassword(password))
        return yield* repos.driver.transaction(
          Effect.gen(function* () {
            const accountId = actor.accountId
            const user = yield* repos.insert(UserModel, accountId, {
              username: input.username,
              firstName: input.firstName ?? "",
              lastName: input.lastName ?? "",
              email: input.email ?? "",
              isActive: true,
              ...(hash === undefined ? {} : { passwordHash: Redacted.make(hash) }),
              ...(input.permissions === undefined || input.permissions.length === 0 ? {} : { permissions: [...new Set(input.permissions)] })
            })
            const fields = profileFields(input)
            for (const key of Object.keys(fields)) if (fields[key] === null) delete fields[key]
            const profile = yield* repos.insert(ProfileModel, accountId, { userId: user.id, ...fields })
            for (const [model, rows] of profileLinkRows(profile.id, {
              orgUnitIds: input.orgUnitIds ?? [],
              userRoleIds: input.userRoleIds ?? [],
              projectIds: input.projectIds ?? [],
              editableOrgUnitTypeIds: input.editableOrgUnitTypeIds ?? []
            }))
              if (rows.length > 0) yield* repos.insertMany(model, accountId, rows, { atomic: true })
            yield* audit(repos, actor, SOURCE, UserModel, [{ id: user.id, after: user }])
            yield* audit(repos, actor, SOURCE, ProfileModel, [{ id: profile.id, after: profile }])
            return yield* view(accountId, user)
          })
        )
      }),
    update: (userId, patch) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* guard(actor, "changing a user")
        return yield* repos.driver.transaction(
          Effect.gen(function* () {
            const accountId = actor.accountId
            const current = yield* target(actor, userId)
            if (patch.username !== undefined && patch.username !== current.user.username) yield* checkUsername(patch.username, current.user.id)
            yield* checkGiven(actor, patch, current.links?.orgUnitIds ?? [], false)
            const userPatch: Record<string, unknown> = {}
            if (patch.username !== undefined) userPatch["username"] = patch.username
            if (patch.firstName !== undefined) userPatch["firstName"] = patch.firstName
            if (patch.lastName !== undefined) userPatch["lastName"] = patch.lastName
            if (patch.email !== undefined) userPatch["email"] = patch.email
            if (patch.permissions !== undefined) userPatch["permissions"] = patch.permissions.length === 0 ? null : [...new Set(patch.permissions)]
            const user = Object.keys(userPatch).length === 0 ? current.user : yield* repos.update(UserModel, accountId, current.user.id, userPatch)
            if (user !== current.user) yield* audit(repos, actor, SOURCE, UserModel, [{ id: user.id, before: current.user, after: user }])
            const fields = profileFields(patch)
            const profile =
              current.profile === undefined
                ? yield* repos.insert(ProfileModel, accountId, { userId: user.id, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)) })
                : Object.keys(fields).length === 0
                  ? current.profile
                  : yield* repos.update(ProfileModel, accountId, current.profile.id, fields)
            if (profile !== current.profile)
              yield* audit(repos, actor, SOURCE, ProfileModel, [
                { id: profile.id, ...(current.profile === undefined ? {} : { before: current.profile }), after: profile }
              ])
            yield* replaceLinks(accountId, profile.id, patch)
            return yield* view(accountId, user)
          })
        )
      }),
    deactivate: (userId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* guard(actor, "deactivating a user")
        return yield* repos.driver.transaction(
          Effect.gen(function* () {
            const current = yield* target(actor, userId)
            const user = current.user.isActive ? yield* repos.update(UserModel, actor.accountId, current.user.id, { isActive: false }) : current.user
            if (user !== current.user) yield* audit(repos, actor, SOURCE, UserModel, [{ id: user.id, before: current.user, after: user }])
            return yield* view(actor.accountId, user)
          })
        )
      }),
    setPassword: (userId, password) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* guard(actor, "setting a user's password")
        const plain = reveal(password)
        if (plain === "") return yield* ValidationError.at(["password"], "A password may not be blank")
        yield* target(actor, userId)
        const hash = yield* Effect.promise(() => hashPassword(plain))
        yield* repos.driver.transaction(
          Effect.gen(function* () {
            const before = yield* repos.get(UserModel, actor.accountId, userId)
            const after = yield* repos.update(UserModel, actor.accountId, userId, { passwordHash: Redacted.make(hash) })
            // The audit entry never holds the hash (a secret field): it records that the user changed.
            yield* audit(repos, actor, SOURCE, UserModel, [{ id: after.id, before, after }])
          })
        )
      }),
    verifyPassword: (username, password) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* guard(actor, "checking a password")
        const [row] = yield* repos.driver.query(
          UserModel,
          { accountId: actor.accountId },
          { where: [{ field: "username", op: "eq", value: username }], orderBy: [{ field: "id", direction: "asc" }], limit: 1 }
        )
        if (row === undefined) return false
        const user = yield* repos.get(UserModel, actor.accountId, String(row["id"])).pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined)))
        if (user === undefined || !user.isActive || user.passwordHash === undefined) return false
        const hash = Redacted.value(user.passwordHash)
        const plain = reveal(password)
        return yield* Effect.promise(() => verifyPassword(plain, hash))
      }),
    get: (userId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* guard(actor, "reading a user")
        const user = yield* repos.get(UserModel, actor.accountId, userId)
        const shown = yield* view(actor.accountId, user)
        if (!(yield* manageable(actor, user.id, shown.orgUnitIds)) && actor.userId !== user.id) return yield* NotFound.of("User", userId)
        return shown
      }),
    list: (options = {}) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* guard(actor, "listing users")
        const page = yield* repos.list(UserModel, actor.accountId, {
          where: [
            ...(options.usernameStartsWith === undefined ? [] : [{ field: "username", op: "startsWith" as const, value: options.usernameStartsWith }]),
            ...(options.isActive === undefined ? [] : [{ field: "isActive", op: "eq" as const, value: options.isActive }])
          ],
          orderBy: [{ field: "username" }],
          ...(options.limit === undefined ? {} : { limit: options.limit }),
          ...(options.cursor === undefined ? {} : { cursor: options.cursor })
        })
        const matches = yield* listFilter(actor.accountId, options)
        const items: Array<UserWithProfile> = []
        for (const user of page.items) {
          const shown = yield* view(actor.accountId, user).pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined)))
          if (shown !== undefined && (yield* matches(shown)) && (yield* manageable(actor, user.id, shown.orgUnitIds))) items.push(shown)
        }
        return { ...page, items }
      })
  })
}
