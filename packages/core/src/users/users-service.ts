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
import { Context, Effect, Layer, type Redacted } from "effect"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { lazyService } from "../shared/lazy-module.ts"
import type { OrgUnitId, OrgUnitTypeId, ProjectId, UserRoleId } from "../shared/entity-ids.ts"
import type { Forbidden, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import { type AnyModel, withoutSecrets } from "../shared/model.ts"
import type { ResultPage } from "../shared/reads.ts"
import type { Repositories } from "../shared/repository.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type { Permission } from "../tenancy/permissions.ts"
import {
  type Profile,
  ProfileEditableOrgUnitTypeModel,
  ProfileOrgUnitModel,
  ProfileProjectModel,
  ProfileUserRoleModel,
  type User,
  UserModel
} from "../tenancy/users.ts"

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
    Effect.map(Effect.service(Repos), (repos) =>
      Users.of(
        lazyService("the users", () => import("./users-ops.ts").then((ops) => ops.makeUsers(repos)), {
          create: true,
          update: true,
          deactivate: true,
          setPassword: true,
          verifyPassword: true,
          get: true,
          list: true
        })
      )
    )
  )
}

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
