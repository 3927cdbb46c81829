/**
 * {@link Accounts}: tenants (creation and IASO's account setup, host-app operations), reading and
 * changing the current account, and the actor of a user from its profile and roles.
 * @module
 */
import { Context, Effect, Layer, Option } from "effect"
import { audit } from "../kernel/audit.ts"
import { narrowErrors, orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { DataSourceModel, ProjectDataSourceModel, SourceVersionModel, type DataSource, type SourceVersion } from "../registry/sources.ts"
import type { AccountId, OrgUnitTypeId, SourceVersionId, UserId } from "../shared/entity-ids.ts"
import { NotFound, type AlreadyExists, type StorageError, type ValidationError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { AnyModel } from "../shared/model.ts"
import { codecOf, listAll, type Patch } from "../shared/repository.ts"
import { type Account, type AccountModule, AccountModel } from "./account.ts"
import { Actor, CurrentActor, requireAny } from "./actor.ts"
import type { Permission } from "./permissions.ts"
import { ProjectModel, type Project } from "./project.ts"
import { writeSetupFlags } from "./projects-service.ts"
import {
  ProfileEditableOrgUnitTypeModel,
  ProfileModel,
  ProfileOrgUnitModel,
  ProfileUserRoleModel,
  UserModel,
  UserRoleEditableOrgUnitTypeModel,
  UserRoleModel
} from "./users.ts"

/** What {@link Accounts | Accounts.setup} creates. */
export interface AccountSetup {
  readonly account: Account
  readonly project: Project
  readonly dataSource: DataSource
  readonly version: SourceVersion
}

/**
 * Tenants: creation and IASO's account setup (host-app operations, no actor), reading and
 * changing the current account, and the actor of a user from its profile and roles. Provided by
 * `Iaso.layer`; on the Promise facade, `iaso.accounts` and `iaso.as(actor).accounts`. Its calls
 * are listed under `Service`.
 */
export class Accounts extends Context.Service<
  Accounts,
  {
    /** Creates an account (no actor: accounts are made by the host app). */
    readonly create: (input: {
      readonly name: string
      readonly modules?: ReadonlyArray<AccountModule>
    }) => Effect.Effect<Account, ValidationError | AlreadyExists | StorageError>
    /**
     * Creates an account as IASO's account setup does, in one transaction: the account, a data
     * source named after it with version 1 (the source's and the account's default version), and
     * a project "Main Project" whose app id is the account name with spaces and `-` turned into `.`,
     * with IASO's setup feature flags (`REQUIRE_AUTHENTICATION`, `MOBILE_SYNCHRONIZE_WITH_ZIP`,
     * `TAKE_GPS_ON_FORM`). As in IASO, the project's legacy `needsAuthentication` stays false: the
     * mobile gate (`Projects.projectForApp`) lets anonymous apps read it until the project is updated.
     */
    readonly setup: (input: {
      readonly name: string
      readonly modules?: ReadonlyArray<AccountModule>
    }) => Effect.Effect<AccountSetup, ValidationError | AlreadyExists | StorageError>
    /** The account with this name, if any (a host-app operation: no actor). */
    readonly findByName: (name: string) => Effect.Effect<Option.Option<Account>, StorageError>
    /** The current actor's account. */
    readonly current: Effect.Effect<Account, NotFound | StorageError, CurrentActor>
    /** Changes the current account (needs `iaso_account_management`). */
    readonly update: (
      patch: Patch<typeof AccountModel>,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<Account, ServiceWriteError, CurrentActor>
    /** Sets the account's default version: a version of one of its sources (needs `iaso_sources`). */
    readonly setDefaultVersion: (versionId: SourceVersionId) => Effect.Effect<Account, ServiceWriteError, CurrentActor>
    /** The actor of a user of the current account, from its profile and roles. */
    readonly actorFor: (userId: UserId) => Effect.Effect<Actor, NotFound | StorageError, CurrentActor>
  }
>()("@iaso/core/Accounts") {
  static readonly layer = Layer.effect(
    Accounts,
    Effect.gen(function* () {
      const repos = yield* Repos
      const createAccount = (input: { readonly name: string; readonly modules?: ReadonlyArray<AccountModule> }) =>
        Effect.gen(function* () {
          const accountId = uuidv7() as AccountId
          const modules = [...new Set<AccountModule>(["DEFAULT", ...(input.modules ?? [])])]
          return yield* repos.insert(AccountModel, accountId, {
            id: accountId,
            name: input.name,
            modules,
            enforcePasswordValidation: true
          })
        })
      /** The writes of an account's creation: new records of the new account, referencing each other only. */
      const narrow = <A>(effect: Effect.Effect<A, ServiceWriteError>) =>
        narrowErrors(effect, ["NotFound", "VersionConflict", "Conflict", "Forbidden", "Unsupported"], "the new records of a new account were refused")
      return Accounts.of({
        create: (input) => narrow(createAccount(input)),
        findByName: (name) =>
          Effect.flatMap(
            repos.driver.query(
              AccountModel,
              { accountId: null, allAccounts: true },
              { where: [{ field: "name", op: "eq", value: name }], orderBy: [{ field: "id", direction: "asc" }], limit: 1 }
            ),
            (rows) => {
              const row = rows[0]
              return row === undefined ? Effect.succeed(Option.none()) : Effect.map(codecOf(AccountModel).decodeRow(row), Option.some)
            }
          ),
        setup: (input) =>
          narrow(
            repos.driver.transaction(
              Effect.gen(function* () {
                const account = yield* createAccount(input)
                const accountId = account.id
                const dataSource = yield* repos.insert(DataSourceModel, accountId, {
                  name: input.name,
                  readOnly: false,
                  description: "via setup",
                  treeConfigStatusFields: [],
                  public: false
                })
                const version = yield* repos.insert(SourceVersionModel, accountId, { dataSourceId: dataSource.id, number: 1 })
                const project = yield* repos.insert(ProjectModel, accountId, {
                  name: "Main Project",
                  appId: input.name.replace(/[ -]/g, "."),
                  needsAuthentication: false,
                  description: "",
                  color: "#1976D2",
                  externalToken: globalThis.crypto.randomUUID()
                })
                // IASO's setup flags; like IASO, it leaves the legacy needsAuthentication false.
                yield* writeSetupFlags(repos, accountId, project.id)
                yield* repos.insert(ProjectDataSourceModel, accountId, { projectId: project.id, dataSourceId: dataSource.id })
                const source = yield* repos.update(DataSourceModel, accountId, dataSource.id, { defaultVersionId: version.id })
                const updated = yield* repos.update(AccountModel, accountId, accountId, { defaultVersionId: version.id })
                return { account: updated, project, dataSource: source, version }
              })
            )
          ),
        current: Effect.flatMap(Effect.service(CurrentActor), (actor) => repos.get(AccountModel, actor.accountId, actor.accountId)),
        update: (patch, options) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_account_management"], "changing the account")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(AccountModel, actor.accountId, actor.accountId)
                const after = yield* repos.update(AccountModel, actor.accountId, actor.accountId, patch as Record<string, unknown>, options)
                yield* audit(repos, actor, "ACCOUNT_API", AccountModel, [{ id: actor.accountId, before, after }])
                return after
              })
            )
          }),
        setDefaultVersion: (versionId) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_sources"], "setting the default version")
            // The version must be one of the account's (a foreign or unknown id is NotFound).
            yield* repos.get(SourceVersionModel, actor.accountId, versionId)
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(AccountModel, actor.accountId, actor.accountId)
                const after = yield* repos.update(AccountModel, actor.accountId, actor.accountId, { defaultVersionId: versionId })
                yield* audit(repos, actor, "ACCOUNT_API", AccountModel, [{ id: actor.accountId, before, after }])
                return after
              })
            )
          }),
        actorFor: (userId) =>
          Effect.gen(function* () {
            const current = yield* CurrentActor
            const accountId = current.accountId
            const user = yield* repos.get(UserModel, accountId, userId)
            const profiles = yield* repos
              .list(ProfileModel, accountId, { where: [{ field: "userId", op: "eq", value: user.id }], limit: 1 })
              .pipe(orDieOnInvalidListing(ProfileModel))
            const profile = profiles.items[0]
            if (profile === undefined) return yield* NotFound.of("Profile", userId)
            const profileId = profile.id
            const all = <M extends AnyModel>(model: M, field: string, value: string) =>
              listAll((options) => repos.list(model, accountId, options), { where: [{ field, op: "eq", value }] }).pipe(orDieOnInvalidListing(model))
            const roleLinks = yield* all(ProfileUserRoleModel, "profileId", profileId)
            const roleIds = roleLinks.map((link) => link.userRoleId)
            const roles = yield* repos.getMany(UserRoleModel, accountId, roleIds)
            const roots = yield* all(ProfileOrgUnitModel, "profileId", profileId)
            const profileTypes = yield* all(ProfileEditableOrgUnitTypeModel, "profileId", profileId)
            const roleTypes = yield* Effect.forEach(roleIds, (roleId) => all(UserRoleEditableOrgUnitTypeModel, "userRoleId", roleId))
            const permissions = new Set<Permission>([...(user.permissions ?? []), ...roles.flatMap((role) => role.permissions)])
            const types = new Set<OrgUnitTypeId>([
              ...profileTypes.map((link) => link.orgUnitTypeId),
              ...roleTypes.flatMap((links) => links.map((link) => link.orgUnitTypeId))
            ])
            return Actor.user({
              accountId,
              userId: user.id,
              permissions,
              orgUnitRoots: roots.map((link) => link.orgUnitId),
              editableOrgUnitTypeIds: [...types]
            })
          })
      })
    })
  )
}
