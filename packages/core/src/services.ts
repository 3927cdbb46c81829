/**
 * The services every app uses: {@link Repos} (the repositories of the store, no permission),
 * {@link Records} (permission-checked reads and writes of any model), {@link Accounts} (tenants,
 * their setup and actors) and the audit trail.
 * @module
 */
import { Context, Effect, Layer, Option } from "effect"
import { AuditEntryModel } from "./audit/audit-entry.ts"
import { ALL_MODELS } from "./models.ts"
import { OrgUnitModel } from "./registry/org-unit.ts"
import { DataSourceModel, ProjectDataSourceModel, SourceVersionModel, type DataSource, type SourceVersion } from "./registry/sources.ts"
import type { AccountId, OrgUnitId, OrgUnitTypeId, SourceVersionId, UserId } from "./shared/entity-ids.ts"
import { type Conflict, Forbidden, NotFound, StorageError, Unsupported, ValidationError, type AlreadyExists, type VersionConflict } from "./shared/errors.ts"
import { uuidv7 } from "./shared/ids.ts"
import type { AnyModel, RecordOf } from "./shared/model.ts"
import type { Condition } from "./shared/query.ts"
import {
  type BulkResult,
  type ChangesPage,
  codecOf,
  type CreateInput,
  type FieldCondition,
  type ListOptions,
  makeRepositories,
  type ResultPage,
  type Patch,
  type Repositories,
  type WriteOptions
} from "./shared/repository.ts"
import { Store } from "./shared/store.ts"
import { type Account, type AccountModule, AccountModel } from "./tenancy/account.ts"
import { Actor, CurrentActor, requireAny } from "./tenancy/actor.ts"
import type { Permission } from "./tenancy/permissions.ts"
import { ProjectModel, type Project } from "./tenancy/project.ts"
import {
  ProfileEditableOrgUnitTypeModel,
  ProfileModel,
  ProfileOrgUnitModel,
  ProfileUserRoleModel,
  UserModel,
  UserRoleEditableOrgUnitTypeModel,
  UserRoleModel
} from "./tenancy/users.ts"

/** The repositories of the provided store (no permission checks: for services and tests). */
export class Repos extends Context.Service<Repos, Repositories>()("@iaso/core/Repos") {
  /** Builds the repositories over the provided {@link Store}. */
  static readonly layer = Layer.effect(
    Repos,
    Effect.map(Effect.service(Store), (driver) => makeRepositories(driver, ALL_MODELS))
  )
}

/** Errors of a write through a service. */
export type ServiceWriteError = NotFound | AlreadyExists | VersionConflict | ValidationError | Conflict | Forbidden | Unsupported | StorageError

/** The public encoding of a record (secrets removed), as audit entries keep it. */
export const publicEncoding = (model: AnyModel, record: unknown): Record<string, unknown> => {
  const row = codecOf(model).toRow(record)
  if (row instanceof ValidationError) return {}
  const out: Record<string, unknown> = {}
  const fields = model.schema.fields as Record<string, unknown>
  for (const [key, value] of Object.entries(row)) if (key in fields && !model.secret.includes(key)) out[key] = value
  return out
}

/** Records audit entries for changes made by the current actor. */
export const audit = (
  repos: Repositories,
  actor: Actor,
  source: string,
  model: AnyModel,
  changes: ReadonlyArray<{ readonly id: string; readonly before?: unknown; readonly after?: unknown }>
): Effect.Effect<void, StorageError> => {
  if (changes.length === 0 || model === AuditEntryModel) return Effect.void
  const entries = changes.map((change) => ({
    objectModel: model.name,
    objectId: change.id,
    source,
    ...(actor.userId === undefined ? {} : { userId: actor.userId }),
    ...(change.before === undefined ? {} : { before: publicEncoding(model, change.before) }),
    ...(change.after === undefined ? {} : { after: publicEncoding(model, change.after) })
  }))
  return Effect.flatMap(repos.insertMany(AuditEntryModel, actor.accountId, entries, { atomic: true }), () => Effect.void).pipe(
    Effect.catch((error) =>
      error._tag === "StorageError"
        ? Effect.fail(error)
        : Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `audit entry refused: ${error.message}` }))
    )
  )
}

/**
 * The extra conditions that restrict org-unit reads to the actor's subtrees (none for an
 * unrestricted actor). Roots that no longer exist restrict to nothing.
 */
export const orgUnitAccessConditions = (repos: Repositories, actor: Actor): Effect.Effect<ReadonlyArray<Condition>, StorageError> => {
  if (actor.orgUnitRoots.length === 0) return Effect.succeed([])
  return Effect.map(repos.getMany(OrgUnitModel, actor.accountId, actor.orgUnitRoots), (roots) => [
    { field: "path", op: "startsWithAny", value: roots.map((root) => root.path) } as const
  ])
}

const guardWrite = (model: AnyModel, actor: Actor, action: string): Effect.Effect<void, Forbidden | Unsupported> => {
  if (model.managedBy !== undefined) {
    return Effect.fail(new Unsupported({ message: `${model.name} records are written through ${model.managedBy}, not generic writes` }))
  }
  if (model.scope === "global" && actor.kind !== "system") {
    return Effect.fail(new Forbidden({ message: `${model.name} is a global catalogue: only the host app (a system actor) changes it` }))
  }
  return requireAny(actor, model.access.write, `${action} ${model.name}`)
}

/** Generic, permission-checked access to any model, for the current actor's account. */
export class Records extends Context.Service<
  Records,
  {
    /** One record, `NotFound` when absent or in another account (or outside the actor's org units). */
    readonly get: <M extends AnyModel>(model: M, id: string) => Effect.Effect<RecordOf<M>, NotFound | Forbidden | StorageError, CurrentActor>
    /** A page of records. */
    readonly list: <M extends AnyModel>(
      model: M,
      options?: ListOptions
    ) => Effect.Effect<ResultPage<Partial<RecordOf<M>>>, ValidationError | Forbidden | StorageError, CurrentActor>
    /** How many records match. */
    readonly count: (model: AnyModel, where?: ReadonlyArray<FieldCondition>) => Effect.Effect<number, ValidationError | Forbidden | StorageError, CurrentActor>
    /** Creates a record. */
    readonly create: <M extends AnyModel>(model: M, input: CreateInput<M>) => Effect.Effect<RecordOf<M>, ServiceWriteError, CurrentActor>
    /** Creates many records: per-item results, or all or nothing with `atomic`. */
    readonly createMany: <M extends AnyModel>(
      model: M,
      inputs: ReadonlyArray<CreateInput<M>>,
      options?: WriteOptions
    ) => Effect.Effect<BulkResult<RecordOf<M>>, ServiceWriteError, CurrentActor>
    /** Changes a record; `expectedVersion` makes it fail with `VersionConflict` if it changed since read. */
    readonly update: <M extends AnyModel>(
      model: M,
      id: string,
      patch: Patch<M>,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<RecordOf<M>, ServiceWriteError, CurrentActor>
    /** Deletes a record and applies IASO's on-delete rules to what references it. */
    readonly remove: (model: AnyModel, id: string, options?: { readonly expectedVersion?: number }) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** What changed in the account (and the global catalogues) after a cursor. */
    readonly changesSince: (cursor?: string, limit?: number) => Effect.Effect<ChangesPage, ValidationError | StorageError, CurrentActor>
    /** Runs a unit of work in one transaction: all of its writes or none. */
    readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>
  }
>()("@iaso/core/Records") {
  static readonly layer = Layer.effect(
    Records,
    Effect.gen(function* () {
      const repos = yield* Repos
      const readGuard = (model: AnyModel) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          yield* requireAny(actor, model.access.read, `reading ${model.name}`)
          const extra = model === OrgUnitModel ? yield* orgUnitAccessConditions(repos, actor) : []
          return { actor, extra }
        })
      return Records.of({
        get: (model, id) =>
          Effect.gen(function* () {
            const { actor, extra } = yield* readGuard(model)
            if (extra.length === 0) return yield* repos.get(model, actor.accountId, id)
            const page = yield* repos.list(model, actor.accountId, { where: [{ field: "id", op: "eq", value: id }], limit: 1 }, extra).pipe(
              Effect.catchTag("ValidationError", (e) => Effect.die(e))
            )
            const found = page.items[0]
            if (found === undefined) return yield* NotFound.of(model.name, id)
            return found as RecordOf<typeof model>
          }),
        list: (model, options) =>
          Effect.flatMap(readGuard(model), ({ actor, extra }) => repos.list(model, actor.accountId, options, extra)),
        count: (model, where) => Effect.flatMap(readGuard(model), ({ actor, extra }) => repos.count(model, actor.accountId, where, extra)),
        create: (model, input) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* guardWrite(model, actor, "creating")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const created = yield* repos.insert(model, actor.accountId, input)
                yield* audit(repos, actor, "RECORDS", model, [{ id: String((created as { id: string }).id), after: created }])
                return created
              })
            )
          }),
        createMany: (model, inputs, options) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* guardWrite(model, actor, "creating")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const result = yield* repos.insertMany(model, actor.accountId, inputs, options)
                yield* audit(
                  repos,
                  actor,
                  "RECORDS",
                  model,
                  result.items.flatMap((item) => (item._tag === "Ok" ? [{ id: String((item.value as { id: string }).id), after: item.value }] : []))
                )
                return result
              })
            )
          }),
        update: (model, id, patch, options) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* guardWrite(model, actor, "changing")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(model, actor.accountId, id)
                const after = yield* repos.update(model, actor.accountId, id, patch as Record<string, unknown>, options)
                yield* audit(repos, actor, "RECORDS", model, [{ id, before, after }])
                return after
              })
            )
          }),
        remove: (model, id, options) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* guardWrite(model, actor, "deleting")
            yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(model, actor.accountId, id)
                yield* repos.remove(model, actor.accountId, id, options)
                yield* audit(repos, actor, "RECORDS", model, [{ id, before }])
              })
            )
          }),
        changesSince: (cursor, limit) => Effect.flatMap(Effect.service(CurrentActor), (actor) => repos.changesSince(actor.accountId, cursor, limit)),
        transaction: (effect) => repos.driver.transaction(effect)
      })
    })
  )
}

/** What {@link Accounts.setup} creates. */
export interface AccountSetup {
  readonly account: Account
  readonly project: Project
  readonly dataSource: DataSource
  readonly version: SourceVersion
}

/** Tenants: creation (a host-app operation), setup, reading and changing the current account, actors. */
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
     * a project "Main Project" whose app id is the account name with spaces and `-` turned into `.`.
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
      const narrow = <A>(effect: Effect.Effect<A, ServiceWriteError>) =>
        effect.pipe(
          Effect.catchTags({
            NotFound: (e) => Effect.die(e),
            VersionConflict: (e) => Effect.die(e),
            Conflict: (e) => Effect.die(e),
            Forbidden: (e) => Effect.die(e),
            Unsupported: (e) => Effect.die(e)
          })
        )
      return Accounts.of({
        create: (input) => narrow(createAccount(input)),
        findByName: (name) =>
          Effect.flatMap(
            repos.driver.query(AccountModel, { accountId: null, allAccounts: true }, { where: [{ field: "name", op: "eq", value: name }], orderBy: [{ field: "id", direction: "asc" }], limit: 1 }),
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
                  color: "#1976D2"
                })
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
            const profiles = yield* repos.list(ProfileModel, accountId, { where: [{ field: "userId", op: "eq", value: user.id }], limit: 1 })
            const profile = profiles.items[0]
            if (profile === undefined || profile.id === undefined) return yield* NotFound.of("Profile", userId)
            const profileId = profile.id
            const all = <M extends AnyModel>(model: M, field: string, value: string) =>
              repos.list(model, accountId, { where: [{ field, op: "eq", value }], limit: 10_000 })
            const roleLinks = yield* all(ProfileUserRoleModel, "profileId", profileId)
            const roleIds = roleLinks.items.map((link) => String(link.userRoleId))
            const roles = yield* repos.getMany(UserRoleModel, accountId, roleIds)
            const roots = yield* all(ProfileOrgUnitModel, "profileId", profileId)
            const profileTypes = yield* all(ProfileEditableOrgUnitTypeModel, "profileId", profileId)
            const roleTypes = yield* Effect.forEach(roleIds, (roleId) => all(UserRoleEditableOrgUnitTypeModel, "userRoleId", roleId))
            const permissions = new Set<Permission>(roles.flatMap((role) => role.permissions))
            const types = new Set<OrgUnitTypeId>([
              ...profileTypes.items.map((link) => link.orgUnitTypeId as OrgUnitTypeId),
              ...roleTypes.flatMap((page) => page.items.map((link) => link.orgUnitTypeId as OrgUnitTypeId))
            ])
            return Actor.user({
              accountId,
              userId: user.id,
              permissions,
              orgUnitRoots: roots.items.map((link) => link.orgUnitId as OrgUnitId),
              editableOrgUnitTypeIds: [...types]
            })
          }).pipe(Effect.catchTag("ValidationError", (e) => Effect.die(e)))
      })
    })
  )
}

