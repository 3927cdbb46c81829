/**
 * The `Sources` service: data sources and their versions. Version numbers are unique per source
 * (enforced by storage); a new version takes the next number (1 for a source's first, as IASO's
 * API does); a source has a default version, and changing it needs its own permission.
 * @module
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { audit } from "../kernel/audit.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { DataSourceId, ProjectId, SourceVersionId } from "../shared/entity-ids.ts"
import { NotFound, ValidationError } from "../shared/errors.ts"
import { listAll } from "../shared/repository.ts"
import { CurrentActor, requireAny } from "../tenancy/actor.ts"
import { SOURCE_READ } from "../tenancy/permissions.ts"
import { DataSourceModel, ExternalCredentialsModel, ProjectDataSourceModel, SourceVersionModel, type DataSource, type SourceVersion } from "./sources.ts"
import type { ValidationStatus } from "./validation-status.ts"

const SOURCE = "SOURCE_API"

/** What a caller gives to create a data source. */
export interface DataSourceCreate {
  readonly name: string
  readonly description?: string
  readonly readOnly?: boolean
  readonly public?: boolean
  readonly treeConfigStatusFields?: ReadonlyArray<ValidationStatus>
  /** Projects of the account that use the source. */
  readonly projectIds?: ReadonlyArray<ProjectId>
  /** DHIS2 connection; the URL is cleaned as IASO does (login page and trailing slashes removed). */
  readonly credentials?: { readonly name: string; readonly login: string; readonly password: string; readonly url: string }
}

/** IASO's DHIS2 URL cleaning: drop the login page path and trailing slashes. */
export const cleanDhis2Url = (url: string): string =>
  url
    .trim()
    .replace(/dhis-web-commons\/security\/login\.action$/, "")
    .replace(/\/+$/, "")

/**
 * The data sources service: sources (with their projects and DHIS2 credentials), their versions
 * and default version. Provided by `Iaso.layer`; on the Promise facade, `iaso.as(actor).sources`.
 * Its calls are listed under `Service`.
 */
export class Sources extends Context.Service<
  Sources,
  {
    /** Creates a data source, its project links and credentials (needs `iaso_write_sources`). */
    readonly createDataSource: (input: DataSourceCreate) => Effect.Effect<DataSource, ServiceWriteError, CurrentActor>
    /**
     * Creates a version of a source: the given number, or the next one (1 for a first version).
     * Needs `iaso_write_sources` or `iaso_sources`.
     */
    readonly createVersion: (
      dataSourceId: DataSourceId,
      input?: { readonly number?: number; readonly description?: string }
    ) => Effect.Effect<SourceVersion, ServiceWriteError, CurrentActor>
    /** Sets a source's default version, one of its own (needs `iaso_sources_can_change_default_version`). */
    readonly setDefaultVersion: (dataSourceId: DataSourceId, versionId: SourceVersionId) => Effect.Effect<DataSource, ServiceWriteError, CurrentActor>
    /** The versions of a source, by number. */
    readonly versions: (dataSourceId: DataSourceId) => Effect.Effect<ReadonlyArray<SourceVersion>, ServiceWriteError, CurrentActor>
  }
>()("@iaso/core/Sources") {
  static readonly layer = Layer.effect(
    Sources,
    Effect.gen(function* () {
      const repos = yield* Repos
      const allVersions = (accountId: string, dataSourceId: string) =>
        listAll((page) => repos.list(SourceVersionModel, accountId, page), {
          where: [{ field: "dataSourceId", op: "eq", value: dataSourceId }],
          orderBy: [{ field: "number" }]
        })
      return Sources.of({
        createDataSource: (input) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_write_sources"], "creating data sources")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const credentials =
                  input.credentials === undefined
                    ? undefined
                    : yield* repos.insert(ExternalCredentialsModel, actor.accountId, {
                        name: input.credentials.name,
                        login: input.credentials.login,
                        password: Redacted.make(input.credentials.password),
                        url: cleanDhis2Url(input.credentials.url)
                      })
                const source = yield* repos.insert(DataSourceModel, actor.accountId, {
                  name: input.name,
                  readOnly: input.readOnly ?? false,
                  public: input.public ?? false,
                  treeConfigStatusFields: input.treeConfigStatusFields ?? [],
                  ...(input.description === undefined ? {} : { description: input.description }),
                  ...(credentials === undefined ? {} : { credentialsId: credentials.id })
                })
                for (const projectId of new Set(input.projectIds ?? [])) {
                  yield* repos.insert(ProjectDataSourceModel, actor.accountId, { projectId, dataSourceId: source.id })
                }
                yield* audit(repos, actor, SOURCE, DataSourceModel, [{ id: source.id, after: source }])
                return source
              })
            )
          }),
        createVersion: (dataSourceId, input = {}) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_write_sources", "iaso_sources"], "creating source versions")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                yield* repos.get(DataSourceModel, actor.accountId, dataSourceId)
                let number = input.number
                if (number === undefined) {
                  const existing = yield* allVersions(actor.accountId, dataSourceId)
                  const latest = existing[existing.length - 1]?.number ?? 0
                  number = latest + 1
                }
                if (!Number.isInteger(number) || number < 0) return yield* ValidationError.at(["number"], "expected a whole number from 0")
                const version = yield* repos.insert(SourceVersionModel, actor.accountId, {
                  dataSourceId,
                  number,
                  ...(input.description === undefined ? {} : { description: input.description })
                })
                yield* audit(repos, actor, SOURCE, SourceVersionModel, [{ id: version.id, after: version }])
                return version
              })
            )
          }),
        setDefaultVersion: (dataSourceId, versionId) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, ["iaso_sources_can_change_default_version"], "changing a source's default version")
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(DataSourceModel, actor.accountId, dataSourceId)
                const version = yield* repos.get(SourceVersionModel, actor.accountId, versionId)
                if (version.dataSourceId !== dataSourceId) return yield* ValidationError.at(["versionId"], "the version belongs to another data source")
                const after = yield* repos.update(DataSourceModel, actor.accountId, dataSourceId, { defaultVersionId: versionId })
                yield* audit(repos, actor, SOURCE, DataSourceModel, [{ id: dataSourceId, before, after }])
                return after
              })
            )
          }),
        versions: (dataSourceId) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* requireAny(actor, SOURCE_READ, "reading source versions")
            const source = yield* repos.getMany(DataSourceModel, actor.accountId, [dataSourceId])
            if (source.length === 0) return yield* NotFound.of("DataSource", dataSourceId)
            return yield* allVersions(actor.accountId, dataSourceId)
          })
      })
    })
  )
}
