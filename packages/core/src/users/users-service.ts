/**
 * {@link Users}: IASO's user and profile API (`/api/profiles/`) as a service. It owns the writes of
 * `User`, `Profile` and the profile's links (org-unit roots, roles, projects, editable org-unit
 * types): these models are `managedBy: "Users"`, so generic writes are refused.
 *
 * Rules (IASO's `iaso/api/profiles/` and its managed-user policies):
 * - every call needs `iaso_users` or `iaso_users_managed`;
 * - usernames are unique across the store, `dhis2Id` within the account;
 * - an actor restricted to org-unit roots assigns only org units inside them; an actor with only
 *   `iaso_users_managed` must give every user it creates at least one org unit, may change only
 *   users whose org units are inside its roots (never itself), and may give only projects among its
 *   own when its profile has some (and then must give at least one);
 * - a user actor gives only permissions it holds itself (directly or through roles given);
 * - passwords are hashed with Django's PBKDF2-SHA256 (`hashPassword`), never stored plain, and no
 *   answer of this service (nor of any generic read) carries the hash;
 * - every write is audited (source `PROFILE_API`).
 *
 * Differences from IASO, on purpose: a role given must not carry a permission the (user) actor
 * lacks; deactivation keeps the profile and its links; no invitation email is sent.
 * @module
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeModel } from "../registry/org-unit-type.ts"
import type { OrgUnitId, OrgUnitTypeId, ProfileId, ProjectId, UserRoleId } from "../shared/entity-ids.ts"
import { AlreadyExists, Forbidden, NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { type AnyModel, withoutSecrets } from "../shared/model.ts"
import { listAll, type ResultPage } from "../shared/reads.ts"
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

/** A user as answered: the record without its password hash. */
export type PublicUser = Omit<User, "passwordHash">

/** A user with its profile and the profile's links. */
export interface UserWithProfile {
  readonly user: PublicUser
  readonly profile: Profile
  /** Org-unit roots: the user sees only their subtrees (none: every org unit of the account). */
  readonly orgUnitIds: ReadonlyArray<OrgUnitId>
  readonly userRoleIds: ReadonlyArray<UserRoleId>
  /** Projects (none: every project of the account). */
  readonly projectIds: ReadonlyArray<ProjectId>
  /** Org-unit types the user may edit (none: every type). */
  readonly editableOrgUnitTypeIds: ReadonlyArray<OrgUnitTypeId>
}

/** The profile fields a caller gives (IASO's profile API). */
export interface ProfileFields {
  readonly firstName?: string
  readonly lastName?: string
  readonly email?: string
  readonly language?: string
  readonly organization?: string
  readonly externalUserId?: string
  readonly dhis2Id?: string
  readonly homePage?: string
  /** E.164 phone number. */
  readonly phoneNumber?: string
  /** `#RRGGBB`. */
  readonly color?: string
  /** Permissions of the user itself, besides those of its roles. */
  readonly permissions?: ReadonlyArray<Permission>
  readonly orgUnitIds?: ReadonlyArray<OrgUnitId>
  readonly userRoleIds?: ReadonlyArray<UserRoleId>
  readonly projectIds?: ReadonlyArray<ProjectId>
  readonly editableOrgUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
}

/** Input of {@link Users | Users.create}. */
export interface UserCreateInput extends ProfileFields {
  /** Letters, digits and `@.+-_`, at most 150 characters; unique across the store. */
  readonly username: string
  /** Hashed before it is stored; absent: no usable password. */
  readonly password?: string | Redacted.Redacted<string>
}

/** Changes of {@link Users | Users.update}: given fields replace, absent ones stay; a given list replaces the links. */
export interface UserPatch extends ProfileFields {
  readonly username?: string
}

/** Options of {@link Users | Users.list}. */
export interface UserListOptions {
  /** Page size, 1 to 1000 (default 100). */
  readonly limit?: number
  readonly cursor?: string
  /** Only usernames starting with this text. */
  readonly usernameStartsWith?: string
  /** Only users with this text, ignoring case, in their username, first name, last name or email. */
  readonly search?: string
  /** Only active (`true`) or deactivated (`false`) users. */
  readonly isActive?: boolean
  /** Only users whose profile lists this org unit (with {@link UserListOptions.orgUnitDescendants}, or a unit under it). */
  readonly orgUnitId?: string
  /** With `orgUnitId`: also users whose profile lists a unit under it. */
  readonly orgUnitDescendants?: boolean
  /** Only users with one of these roles. */
  readonly userRoleIds?: ReadonlyArray<string>
  /** Only users whose profile lists one of these projects. */
  readonly projectIds?: ReadonlyArray<string>
  /** Only users holding this permission, given to them directly or through one of their roles. */
  readonly permission?: Permission
}

/**
 * Users and their profiles (see the module documentation for the rules). Provided by
 * `Iaso.layer`; on the Promise facade, `iaso.as(actor).users`. Its calls are listed under `Service`.
 */
export class Users extends Context.Service<
  Users,
  {
    /** Creates a user, its profile and links, in one transaction. */
    readonly create: (input: UserCreateInput) => Effect.Effect<UserWithProfile, ServiceWriteError, CurrentActor>
    /** Changes a user and its profile; a given link list replaces the stored one. */
    readonly update: (userId: string, patch: UserPatch) => Effect.Effect<UserWithProfile, ServiceWriteError, CurrentActor>
    /** Deactivates a user (`isActive` false): it can no longer log in; its records stay. */
    readonly deactivate: (userId: string) => Effect.Effect<UserWithProfile, ServiceWriteError, CurrentActor>
    /** Sets a user's password (hashed; an empty one is refused). */
    readonly setPassword: (userId: string, password: string | Redacted.Redacted<string>) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** Whether `password` is the password of the active user named `username` (false for an unknown or inactive user). */
    readonly verifyPassword: (username: string, password: string | Redacted.Redacted<string>) => Effect.Effect<boolean, Forbidden | StorageError, CurrentActor>
    /** One user with its profile and links. */
    readonly get: (userId: string) => Effect.Effect<UserWithProfile, NotFound | Forbidden | StorageError, CurrentActor>
    /** A page of the account's users, by username (a managed-only actor sees users inside its roots, not itself). */
    readonly list: (options?: UserListOptions) => Effect.Effect<ResultPage<UserWithProfile>, ValidationError | Forbidden | StorageError, CurrentActor>
  }
>()("@iaso/core/Users") {
  static readonly layer = Layer.effect(
    Users,
    Effect.map(Effect.service(Repos), (repos) => makeUsers(repos))
  )
}

/** Django's username rule. */
const USERNAME = /^[\w.@+-]{1,150}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const SOURCE = "PROFILE_API"
const USER_PERMISSIONS: ReadonlyArray<Permission> = ["iaso_users", "iaso_users_managed"]

const reveal = (password: string | Redacted.Redacted<string>): string => (Redacted.isRedacted(password) ? Redacted.value(password) : password)

/** The user without its hash. */
export const publicUser = (user: User): PublicUser => withoutSecrets(UserModel, user) as PublicUser

/** Whether `username` is taken by a user of any account (other than `except`). */
export const usernameTaken = (repos: Repositories, username: string, except?: string): Effect.Effect<boolean, StorageError> =>
  Effect.map(
    repos.driver.query(
      UserModel,
      { accountId: null, allAccounts: true },
      { where: [{ field: "username", op: "eq", value: username }], orderBy: [{ field: "id", direction: "asc" }], limit: 2 }
    ),
    (rows) => rows.some((row) => row["id"] !== except)
  )

/** The profile's links to write for a user, by model. */
export const profileLinkRows = (
  profileId: string,
  links: {
    readonly orgUnitIds: ReadonlyArray<string>
    readonly userRoleIds: ReadonlyArray<string>
    readonly projectIds: ReadonlyArray<string>
    readonly editableOrgUnitTypeIds: ReadonlyArray<string>
  }
): ReadonlyArray<readonly [AnyModel, ReadonlyArray<Record<string, unknown>>]> => [
  [ProfileOrgUnitModel, [...new Set(links.orgUnitIds)].map((orgUnitId) => ({ profileId, orgUnitId }))],
  [ProfileUserRoleModel, [...new Set(links.userRoleIds)].map((userRoleId) => ({ profileId, userRoleId }))],
  [ProfileProjectModel, [...new Set(links.projectIds)].map((projectId) => ({ profileId, projectId }))],
  [ProfileEditableOrgUnitTypeModel, [...new Set(links.editableOrgUnitTypeIds)].map((orgUnitTypeId) => ({ profileId, orgUnitTypeId }))]
]

const makeUsers = (repos: Repositories): Users["Service"] => {
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
