/**
 * The `Projects` service: an account's projects (its mobile apps) and their feature flags. IASO's
 * rules: the app id is trimmed, required and unique across the store (`App id already used`); a
 * flag that requires authentication is refused unless `REQUIRE_AUTHENTICATION` is among the flags
 * or `needsAuthentication` is asked for (which adds that flag); `needsAuthentication` always
 * mirrors `REQUIRE_AUTHENTICATION`; a flag with a configuration schema needs a configuration
 * giving every key, non-empty and of its type (`int`, `long`, `number` as integers; `float`,
 * `double`, `decimal` as numbers; `url`, `text`, `str`, `string` as text, a `url` with an http(s)
 * scheme), stored converted. Setting the flags replaces the whole set. Reads need an actor of the
 * account; writes `iaso_projects`. A user whose profile lists projects sees only those (the row
 * scope of `ProjectModel`, which generic `Records` reads apply too); the host app and users whose
 * profile lists none see every project of the account.
 *
 * The flag catalogue ({@link FEATURE_FLAG_CATALOGUE}) is written on first use (missing codes only).
 * {@link Projects | projectForApp} is the gate of the mobile app's calls;
 * {@link Projects | limitsDownloadToRoots} tells the mobile sync whether a project limits the org
 * units a user downloads to the hierarchy of its roots (`LIMIT_OU_DOWNLOAD_TO_ROOTS`).
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { narrowErrors, orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import type { FeatureFlagId, ProjectId } from "../shared/entity-ids.ts"
import { AlreadyExists, NotFound, type Forbidden, type StorageError, ValidationError } from "../shared/errors.ts"
import type { Json, JsonObject } from "../shared/json.ts"
import { codecOf, listAll, type Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "./actor.ts"
import { FEATURE_FLAG_CATALOGUE, LIMIT_OU_DOWNLOAD_TO_ROOTS, REQUIRE_AUTHENTICATION } from "./feature-flag-catalogue.ts"
import { FEATURE_FLAG_CATEGORIES, type FeatureFlag, FeatureFlagModel, ProjectFeatureFlagModel } from "./feature-flags.ts"
import { type Project, ProjectModel } from "./project.ts"

/** A feature flag asked for on a project: its code and, when the flag has a configuration schema, its configuration. */
export interface FeatureFlagSetting {
  /** The flag's code, e.g. `REQUIRE_AUTHENTICATION`. */
  readonly code: string
  /** The flag's configuration: every key of its schema, of the key's type. */
  readonly configuration?: JsonObject
}

/** What {@link Projects | Projects.create} takes. */
export interface ProjectCreate {
  /** The project's name. */
  readonly name: string
  /** The mobile app id: trimmed, required, unique across the store. */
  readonly appId: string
  /** Asks for `REQUIRE_AUTHENTICATION` (added to the flags when true). */
  readonly needsAuthentication?: boolean
  /** The project's flags (none when absent). */
  readonly featureFlags?: ReadonlyArray<FeatureFlagSetting>
  /** Minimum mobile app version. */
  readonly minVersion?: number
  /** Where the mobile app sends its users. */
  readonly redirectionUrl?: string
  /** Free text, "" when absent. */
  readonly description?: string
  /** `#RRGGBB` (stored upper-case), `#1976D2` when absent. */
  readonly color?: string
}

/** What {@link Projects | Projects.update} takes: the fields to change (`null` clears an optional one). */
export interface ProjectUpdate {
  /** The project's name. */
  readonly name?: string
  /** The mobile app id: trimmed, required, unique across the store. */
  readonly appId?: string
  /** True adds `REQUIRE_AUTHENTICATION`; false without `featureFlags` removes it. */
  readonly needsAuthentication?: boolean
  /** Replaces the whole set of flags. */
  readonly featureFlags?: ReadonlyArray<FeatureFlagSetting>
  /** Minimum mobile app version (`null` clears it). */
  readonly minVersion?: number | null
  /** Where the mobile app sends its users (`null` clears it). */
  readonly redirectionUrl?: string | null
  /** Free text. */
  readonly description?: string
  /** `#RRGGBB` (stored upper-case; `null` clears it). */
  readonly color?: string | null
}

/** A flag of a project, with its configuration when it has one. */
export interface ProjectFlag {
  /** The flag's code. */
  readonly code: string
  /** The catalogue row. */
  readonly flag: FeatureFlag
  /** The configuration (absent when none). */
  readonly configuration?: Json
}

/** A project with its flags (in the catalogue's order: category, then order). */
export interface ProjectDetail {
  /** The project. */
  readonly project: Project
  /** Its flags. */
  readonly featureFlags: ReadonlyArray<ProjectFlag>
}

type ReadError = NotFound | Forbidden | StorageError

/** What {@link Projects | Projects.checkVersion} answers. */
export interface VersionCheck {
  /** The app may run (its version is at least the project's minimum, or there is none). */
  readonly upToDate: boolean
  /** The project's minimum version, when the app is below it. */
  readonly minVersion?: number
}

/**
 * Projects and their feature flags (see the module documentation for the rules). Provided by
 * `Iaso.layer`; on the Promise facade, `iaso.as(actor).projects`. Its calls are listed under `Service`.
 */
export class Projects extends Context.Service<
  Projects,
  {
    /** The flag catalogue, by category (IASO's order) then order; written on first use. */
    readonly featureFlags: () => Effect.Effect<ReadonlyArray<FeatureFlag>, StorageError, CurrentActor>
    /** Creates a project of the actor's account (needs `iaso_projects`). */
    readonly create: (input: ProjectCreate) => Effect.Effect<ProjectDetail, ServiceWriteError, CurrentActor>
    /** Changes a project of the actor's account (needs `iaso_projects`). */
    readonly update: (id: ProjectId, patch: ProjectUpdate) => Effect.Effect<ProjectDetail, ServiceWriteError, CurrentActor>
    /** A project of the actor's account with its flags. */
    readonly get: (id: ProjectId) => Effect.Effect<ProjectDetail, ReadError, CurrentActor>
    /** The projects of the actor's account, in creation order. */
    readonly list: () => Effect.Effect<ReadonlyArray<Project>, ReadError, CurrentActor>
    /**
     * The mobile app gate: the project of `appId` when it does not need authentication, or when
     * `actor` (absent for an anonymous caller) belongs to its account; otherwise `NotFound`.
     */
    readonly projectForApp: (appId: string, actor: Actor | undefined) => Effect.Effect<ProjectDetail, NotFound | StorageError>
    /**
     * The mobile app's version check: `{ upToDate: false, minVersion }` when `appVersion` is below
     * the project's `minVersion` (IASO's HTTP 426), else `{ upToDate: true }`; `NotFound` for an
     * unknown app id, `ValidationError` unless `appVersion` is an integer. Needs no actor (the app
     * checks before logging in).
     */
    readonly checkVersion: (appId: string, appVersion: number) => Effect.Effect<VersionCheck, NotFound | ValidationError | StorageError>
    /** Whether the project limits the org units a user downloads to the hierarchy of its roots (`LIMIT_OU_DOWNLOAD_TO_ROOTS`). */
    readonly limitsDownloadToRoots: (id: ProjectId) => Effect.Effect<boolean, ReadError, CurrentActor>
  }
>()("@iaso/core/Projects") {
  static readonly layer = Layer.effect(
    Projects,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Projects.of(makeProjects(repos))
    })
  )
}

const CATEGORY_RANK = new Map<string, number>(FEATURE_FLAG_CATEGORIES.map((category, index) => [category, index]))
const byCatalogueOrder = (a: FeatureFlag, b: FeatureFlag): number =>
  (CATEGORY_RANK.get(a.category) ?? 0) - (CATEGORY_RANK.get(b.category) ?? 0) || a.order - b.order || a.code.localeCompare(b.code)

const INT_TYPES = new Set(["int", "long", "number"])
const FLOAT_TYPES = new Set(["float", "double", "decimal"])
const TEXT_TYPES = new Set(["url", "text", "str", "string"])

/** A configuration checked against a flag's schema, converted to the keys' types. */
const checkConfiguration = (
  flag: FeatureFlag,
  index: number,
  configuration: JsonObject | undefined
): Effect.Effect<JsonObject | undefined, ValidationError> => {
  const schema = flag.configurationSchema
  if (schema === undefined) return Effect.succeed(configuration)
  const at = (key: string, message: string) => ValidationError.at(["featureFlags", index, "configuration", key], message)
  if (configuration === undefined)
    return Effect.fail(ValidationError.at(["featureFlags", index, "configuration"], `Feature flag ${flag.code} needs a configuration`))
  const out: Record<string, Json> = {}
  for (const [key, spec] of Object.entries(schema)) {
    const declared = typeof spec === "object" && spec !== null && !Array.isArray(spec) ? (spec as JsonObject)["type"] : undefined
    const type = typeof declared === "string" ? declared : "string"
    const value = configuration[key]
    if (value === undefined || value === null || value === "") return Effect.fail(at(key, `Feature flag ${flag.code}: ${key} is required`))
    if (INT_TYPES.has(type)) {
      const number = typeof value === "number" ? value : typeof value === "string" && /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : Number.NaN
      if (!Number.isInteger(number)) return Effect.fail(at(key, `Feature flag ${flag.code}: ${key} must be an integer`))
      out[key] = number
    } else if (FLOAT_TYPES.has(type)) {
      const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN
      if (!Number.isFinite(number)) return Effect.fail(at(key, `Feature flag ${flag.code}: ${key} must be a number`))
      out[key] = number
    } else if (TEXT_TYPES.has(type)) {
      if (typeof value !== "string" && typeof value !== "number") return Effect.fail(at(key, `Feature flag ${flag.code}: ${key} must be text`))
      const text = String(value)
      if (type === "url" && !/^https?:\/\/[^\s/]+/i.test(text)) return Effect.fail(at(key, `Feature flag ${flag.code}: ${key} must be an http or https URL`))
      out[key] = text
    } else {
      return Effect.fail(at(key, `Feature flag ${flag.code}: ${key} has the unknown type ${type}`))
    }
  }
  return Effect.succeed(out)
}

/** Every catalogue row, the missing codes of {@link FEATURE_FLAG_CATALOGUE} written first. */
const flagCatalogue = (repos: Repositories, accountId: string) =>
  Effect.gen(function* () {
    const existing = yield* listAll((options) => repos.list(FeatureFlagModel, accountId, options), {}).pipe(orDieOnInvalidListing(FeatureFlagModel))
    const codes = new Set(existing.map((flag) => flag.code))
    const missing = FEATURE_FLAG_CATALOGUE.filter((entry) => !codes.has(entry.code))
    if (missing.length === 0) return [...existing].sort(byCatalogueOrder)
    const created = yield* Effect.forEach(missing, (entry) =>
      narrowErrors(
        repos.insert(FeatureFlagModel, accountId, { ...entry, description: "" }).pipe(
          Effect.map((flag): FeatureFlag | undefined => flag),
          // Another caller wrote it first: read back below.
          Effect.catchTag("AlreadyExists", () => Effect.succeed(undefined))
        ),
        ["NotFound", "VersionConflict", "ValidationError", "Conflict"],
        "a row of the feature flag catalogue was refused"
      )
    )
    const written = created.filter((flag): flag is FeatureFlag => flag !== undefined)
    if (written.length === created.length) return [...existing, ...written].sort(byCatalogueOrder)
    const again = yield* listAll((options) => repos.list(FeatureFlagModel, accountId, options), {}).pipe(orDieOnInvalidListing(FeatureFlagModel))
    return [...again].sort(byCatalogueOrder)
  })

/**
 * The flags IASO's account setup gives the project it creates: `REQUIRE_AUTHENTICATION`,
 * `MOBILE_SYNCHRONIZE_WITH_ZIP` and `TAKE_GPS_ON_FORM`.
 */
export const SETUP_PROJECT_FEATURE_FLAGS: ReadonlyArray<string> = [REQUIRE_AUTHENTICATION, "MOBILE_SYNCHRONIZE_WITH_ZIP", "TAKE_GPS_ON_FORM"]

/**
 * Links a new project to the flags of {@link SETUP_PROJECT_FEATURE_FLAGS} (the catalogue written
 * first when missing). Setup code of `Accounts.setup`, inside its transaction.
 * @internal
 */
export const writeSetupFlags = (repos: Repositories, accountId: string, projectId: ProjectId) =>
  Effect.gen(function* () {
    const flags = (yield* flagCatalogue(repos, accountId)).filter((flag) => SETUP_PROJECT_FEATURE_FLAGS.includes(flag.code))
    yield* Effect.forEach(flags, (flag) => repos.insert(ProjectFeatureFlagModel, accountId, { projectId, featureFlagId: flag.id as FeatureFlagId }), {
      discard: true
    })
  })

const makeProjects = (repos: Repositories): Projects["Service"] => {
  const catalogue = (accountId: string) => flagCatalogue(repos, accountId)
  const access = makeRowAccess(repos)
  const detail = (accountId: string, project: Project) =>
    Effect.gen(function* () {
      const links = yield* listAll((options) => repos.list(ProjectFeatureFlagModel, accountId, options), {
        where: [{ field: "projectId", op: "eq", value: project.id }]
      }).pipe(orDieOnInvalidListing(ProjectFeatureFlagModel))
      const flags = new Map((yield* catalogue(accountId)).map((flag) => [flag.id, flag]))
      const featureFlags = links
        .flatMap((link) => {
          const flag = flags.get(link.featureFlagId)
          return flag === undefined ? [] : [{ code: flag.code, flag, ...(link.configuration === undefined ? {} : { configuration: link.configuration }) }]
        })
        .sort((a, b) => byCatalogueOrder(a.flag, b.flag))
      return { project, featureFlags } satisfies ProjectDetail
    })

  /** The project with this app id, in any account. */
  const byAppId = (appId: string) =>
    Effect.flatMap(
      repos.driver.query(
        ProjectModel,
        { accountId: null, allAccounts: true },
        { where: [{ field: "appId", op: "eq", value: appId }], orderBy: [{ field: "id", direction: "asc" }], limit: 1 }
      ),
      (rows) => {
        const row = rows[0]
        return row === undefined ? Effect.succeed(undefined) : codecOf(ProjectModel).decodeRow(row)
      }
    )

  /** The trimmed app id, checked: present and not used by another project. */
  const checkAppId = (raw: string, self: ProjectId | undefined) =>
    Effect.gen(function* () {
      const appId = raw.trim()
      if (appId === "") return yield* ValidationError.at(["appId"], "This field is required.")
      const other = yield* byAppId(appId)
      if (other !== undefined && other.id !== self) {
        return yield* new AlreadyExists({ model: "Project", constraint: "project_app_id_unique", message: "App id already used" })
      }
      return appId
    })

  /** The flags to store: known codes, authentication rules, checked configurations. */
  const resolveFlags = (accountId: string, settings: ReadonlyArray<FeatureFlagSetting>, needsAuthentication: boolean | undefined) =>
    Effect.gen(function* () {
      const byCode = new Map((yield* catalogue(accountId)).map((flag) => [flag.code, flag]))
      const wanted = [...settings]
      if (needsAuthentication === true && !wanted.some((setting) => setting.code === REQUIRE_AUTHENTICATION)) wanted.push({ code: REQUIRE_AUTHENTICATION })
      const authenticated = wanted.some((setting) => setting.code === REQUIRE_AUTHENTICATION)
      const seen = new Set<string>()
      const out: Array<{ readonly flag: FeatureFlag; readonly configuration: JsonObject | undefined }> = []
      for (const [index, setting] of wanted.entries()) {
        const flag = byCode.get(setting.code)
        if (flag === undefined) return yield* ValidationError.at(["featureFlags", index, "code"], `Unknown feature flag ${setting.code}`)
        if (seen.has(flag.code)) continue
        seen.add(flag.code)
        if (flag.requiresAuthentication && !authenticated) {
          return yield* ValidationError.at(
            ["featureFlags", index, "code"],
            `Feature flag ${flag.code} requires authentication: add ${REQUIRE_AUTHENTICATION} to the flags or set needsAuthentication`
          )
        }
        out.push({ flag, configuration: yield* checkConfiguration(flag, index, setting.configuration) })
      }
      return out
    })

  /** Replaces a project's flags. */
  const writeFlags = (
    accountId: string,
    projectId: ProjectId,
    flags: ReadonlyArray<{ readonly flag: FeatureFlag; readonly configuration: JsonObject | undefined }>
  ) =>
    Effect.gen(function* () {
      const links = yield* listAll((options) => repos.list(ProjectFeatureFlagModel, accountId, options), {
        where: [{ field: "projectId", op: "eq", value: projectId }]
      }).pipe(orDieOnInvalidListing(ProjectFeatureFlagModel))
      yield* Effect.forEach(links, (link) => repos.remove(ProjectFeatureFlagModel, accountId, link.id), { discard: true })
      yield* Effect.forEach(
        flags,
        ({ flag, configuration }) =>
          repos.insert(ProjectFeatureFlagModel, accountId, {
            projectId,
            featureFlagId: flag.id as FeatureFlagId,
            ...(configuration === undefined ? {} : { configuration })
          }),
        { discard: true }
      )
    })

  /** A project of the actor's account it sees (`NotFound` otherwise). */
  const visibleProject = (actor: Actor, id: ProjectId) =>
    Effect.flatMap(repos.get(ProjectModel, actor.accountId, id), (project) => Effect.as(access.requireVisible(actor, ProjectModel, project), project))

  const writer = <A>(action: string, body: (actor: Actor) => Effect.Effect<A, ServiceWriteError>) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.andThen(requireAny(actor, ["iaso_projects"], action), repos.driver.transaction(body(actor))))

  return {
    featureFlags: () => Effect.flatMap(Effect.service(CurrentActor), (actor) => catalogue(actor.accountId)),
    create: (input) =>
      writer("creating projects", (actor) =>
        Effect.gen(function* () {
          const accountId = actor.accountId
          const appId = yield* checkAppId(input.appId, undefined)
          const flags = yield* resolveFlags(accountId, input.featureFlags ?? [], input.needsAuthentication)
          const project = yield* repos.insert(ProjectModel, accountId, {
            name: input.name,
            appId,
            needsAuthentication: flags.some(({ flag }) => flag.code === REQUIRE_AUTHENTICATION),
            description: input.description ?? "",
            color: (input.color ?? "#1976D2").toUpperCase(),
            externalToken: globalThis.crypto.randomUUID(),
            ...(input.minVersion === undefined ? {} : { minVersion: input.minVersion }),
            ...(input.redirectionUrl === undefined ? {} : { redirectionUrl: input.redirectionUrl })
          })
          yield* writeFlags(accountId, project.id, flags)
          yield* audit(repos, actor, "PROJECT_API", ProjectModel, [{ id: project.id, after: project }])
          return yield* detail(accountId, project)
        })
      ),
    update: (id, patch) =>
      writer("changing projects", (actor) =>
        Effect.gen(function* () {
          const accountId = actor.accountId
          const before = yield* visibleProject(actor, id)
          const current = yield* detail(accountId, before)
          const appId = patch.appId === undefined ? undefined : yield* checkAppId(patch.appId, id)
          const settings: ReadonlyArray<FeatureFlagSetting> =
            patch.featureFlags ??
            current.featureFlags
              .filter((flag) => !(patch.needsAuthentication === false && flag.code === REQUIRE_AUTHENTICATION))
              .map((flag): FeatureFlagSetting => {
                const configuration = flag.configuration
                return typeof configuration === "object" && !Array.isArray(configuration)
                  ? { code: flag.code, configuration: configuration as JsonObject }
                  : { code: flag.code }
              })
          const flags = yield* resolveFlags(accountId, settings, patch.needsAuthentication)
          const after = yield* repos.update(ProjectModel, accountId, id, {
            ...(patch.name === undefined ? {} : { name: patch.name }),
            ...(appId === undefined ? {} : { appId }),
            ...(patch.description === undefined ? {} : { description: patch.description }),
            ...(patch.minVersion === undefined ? {} : { minVersion: patch.minVersion }),
            ...(patch.redirectionUrl === undefined ? {} : { redirectionUrl: patch.redirectionUrl }),
            ...(patch.color === undefined ? {} : { color: patch.color === null ? null : patch.color.toUpperCase() }),
            needsAuthentication: flags.some(({ flag }) => flag.code === REQUIRE_AUTHENTICATION)
          })
          yield* writeFlags(accountId, id, flags)
          yield* audit(repos, actor, "PROJECT_API", ProjectModel, [{ id, before, after }])
          return yield* detail(accountId, after)
        })
      ),
    get: (id) =>
      Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.flatMap(visibleProject(actor, id), (project) => detail(actor.accountId, project))),
    list: () =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        // The declaration's row scope: a user whose profile lists projects sees only those.
        const reach = yield* access.listConditions(actor, ProjectModel)
        return yield* listAll((options) => repos.list(ProjectModel, actor.accountId, options, reach), {}).pipe(orDieOnInvalidListing(ProjectModel))
      }),
    projectForApp: (appId, actor) =>
      Effect.gen(function* () {
        const project = yield* byAppId(appId.trim())
        if (project === undefined) return yield* NotFound.of("Project", appId)
        if (project.needsAuthentication && actor?.accountId !== project.accountId) return yield* NotFound.of("Project", appId)
        return yield* detail(project.accountId, project)
      }),
    checkVersion: (appId, appVersion) =>
      Effect.gen(function* () {
        if (!Number.isInteger(appVersion)) return yield* ValidationError.at(["appVersion"], "app_version must be an integer")
        const project = yield* byAppId(appId.trim())
        if (project === undefined) return yield* NotFound.of("Project", appId)
        const minVersion = project.minVersion
        return minVersion !== undefined && appVersion < minVersion ? { upToDate: false, minVersion } : { upToDate: true }
      }),
    limitsDownloadToRoots: (id) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const project = yield* visibleProject(actor, id)
        const { featureFlags } = yield* detail(actor.accountId, project)
        return featureFlags.some((flag) => flag.code === LIMIT_OU_DOWNLOAD_TO_ROOTS)
      })
  }
}
