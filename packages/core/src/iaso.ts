/**
 * The SDK assembled: the {@link Iaso} layer of every service over a store, and the Promise facade
 * {@link createIaso} for code that does not use Effect.
 * @module
 */
import { type Effect, Layer } from "effect"
import { defaultBlobs, FACADE_KEYS, fromCursor, makeFacade, type Promised } from "./facade.ts"
import { Groups } from "./registry/groups-service.ts"
import { Matching } from "./registry/matching-service.ts"
import { Versions } from "./registry/versions-service.ts"
import { OrgUnitTypes } from "./registry/org-unit-types-service.ts"
import { OrgUnits } from "./registry/org-units-service.ts"
import { PyramidImports } from "./registry/pyramid-imports-service.ts"
import { Sources } from "./registry/sources-service.ts"
import { Forms } from "./forms/forms-service.ts"
import { FormVersions } from "./forms/form-versions-service.ts"
import { Entities } from "./entities/entities-service.ts"
import { EntityTypes } from "./entities/entity-types-service.ts"
import { Workflows } from "./entities/workflows-service.ts"
import { BulkUserCreation } from "./users/bulk-user-creation.ts"
import { Users } from "./users/users-service.ts"
import { Exports } from "./dhis2/exports-service.ts"
import { instantExportLayer } from "./dhis2/instant-export.ts"
import { Mappings } from "./dhis2/mappings-service.ts"
import { Devices } from "./devices/devices-service.ts"
import { Storages } from "./storage/storages-service.ts"
import { Tasks, TaskRunner } from "./tasks/tasks-service.ts"
import { type TaskKind, TaskKinds, taskKindMap } from "./tasks/task-kinds.ts"
import { Assignments } from "./planning/assignments-service.ts"
import { Plannings } from "./planning/plannings-service.ts"
import { Teams } from "./planning/teams-service.ts"
import { Accounts } from "./tenancy/accounts-service.ts"
import { Projects } from "./tenancy/projects-service.ts"
import { Credentials } from "./registry/credentials-service.ts"
import { Pages } from "./pages/pages-service.ts"
import { Comments } from "./comments/comments-service.ts"
import { OrgUnitChangeRequests } from "./registry/change-requests-service.ts"
import { SyncClient } from "./sync/sync-client.ts"
import { Sync } from "./sync/sync-server.ts"
import { Records } from "./kernel/records.ts"
import { Repos } from "./kernel/repos.ts"
import type { BlobStore } from "./shared/blob.ts"
import { Instances } from "./submissions/instances-service.ts"
import type { AnyModel, PublicRecordOf, SecretOf } from "./shared/model.ts"
import {
  type BulkResult,
  type ChangesPage,
  type CreateInput,
  eachItem,
  type FieldCondition,
  type Listed,
  type ListOptions,
  type NoListOptions,
  type ResultPage,
  type Patch,
  type WriteOptions
} from "./shared/repository.ts"
import type { Form } from "./forms/form.ts"
import type { FormListOptions } from "./forms/forms-service.ts"
import type { OrgUnit } from "./registry/org-unit.ts"
import type { OrgUnitId } from "./shared/entity-ids.ts"
import type { InstanceSearch, InstanceWithStatus } from "./submissions/submission-listing.ts"
import type { Store } from "./shared/store.ts"
import type { Actor, CurrentActor } from "./tenancy/actor.ts"

/** Every service of the SDK, given a store layer. */
export const Iaso = {
  /**
   * Every service (`Accounts`, `Records`, `Sources`, `OrgUnitTypes`, `OrgUnits`, `Groups`,
   * `Versions`, `Matching`, `PyramidImports`, `Instances`, `EntityTypes`, `Entities`, `Forms`, `FormVersions`, `Workflows`, `Users`, `BulkUserCreation`, `Mappings`, `Exports`, `Devices`, `Tasks`, `Storages`, `Teams`, `Plannings`, `Assignments`, `Projects`, `Credentials`, `Pages`, `Comments`, `OrgUnitChangeRequests`) over the provided
   * `Store`. The repositories they share stay inside: every read and write goes through a service's rules.
   */
  layer: Layer.mergeAll(
    Accounts.layer,
    Records.layer,
    Sources.layer,
    OrgUnitTypes.layer,
    OrgUnits.layer,
    Groups.layer,
    Versions.layer,
    Matching.layer,
    PyramidImports.layer,
    // Instances with IASO's INSTANT_EXPORT (an ingested submission exported to DHIS2 at once).
    instantExportLayer,
    EntityTypes.layer,
    Entities.layer,
    Forms.layer,
    FormVersions.layer,
    Workflows.layer,
    Users.layer,
    BulkUserCreation.layer,
    Mappings.layer,
    Exports.layer,
    Devices.layer,
    Storages.layer,
    Tasks.layer,
    Teams.layer,
    Plannings.layer,
    Assignments.layer,
    Projects.layer,
    Credentials.layer,
    Pages.layer,
    Comments.layer,
    OrgUnitChangeRequests.layer,
    Sync.layer,
    SyncClient.layer
  ).pipe(Layer.provide(Repos.layer))
}

/** The services provided by {@link Iaso.layer}. */
export type IasoServices =
  | Sync
  | SyncClient
  | Accounts
  | Records
  | Sources
  | OrgUnitTypes
  | OrgUnits
  | Groups
  | Versions
  | Matching
  | PyramidImports
  | Instances
  | EntityTypes
  | Entities
  | Forms
  | FormVersions
  | Workflows
  | Users
  | BulkUserCreation
  | Mappings
  | Exports
  | Devices
  | Storages
  | Tasks
  | Teams
  | Plannings
  | Assignments
  | Projects
  | Credentials
  | Pages
  | Comments
  | OrgUnitChangeRequests

/** {@link Records} as async functions (generic over the model, like the Effect service). */
export interface RecordsAsync {
  /** One record, without its secret fields (as every answer here). */
  readonly get: <M extends AnyModel>(model: M, id: string) => Promise<PublicRecordOf<M>>
  readonly list: <M extends AnyModel, const O extends ListOptions = NoListOptions>(
    model: M,
    options?: O
  ) => Promise<ResultPage<Omit<Listed<M, O>, SecretOf<M>>>>
  readonly count: (model: AnyModel, where?: ReadonlyArray<FieldCondition>) => Promise<number>
  readonly create: <M extends AnyModel>(model: M, input: CreateInput<M>) => Promise<PublicRecordOf<M>>
  readonly createMany: <M extends AnyModel>(model: M, inputs: ReadonlyArray<CreateInput<M>>, options?: WriteOptions) => Promise<BulkResult<PublicRecordOf<M>>>
  readonly update: <M extends AnyModel>(model: M, id: string, patch: Patch<M>, options?: { readonly expectedVersion?: number }) => Promise<PublicRecordOf<M>>
  readonly remove: (model: AnyModel, id: string, options?: { readonly expectedVersion?: number }) => Promise<void>
  readonly changesSince: (cursor?: string, limit?: number) => Promise<ChangesPage>
  /** Every record of a listing, page after page (one page held at a time; see {@link eachItem}). */
  readonly listAll: <M extends AnyModel, const O extends Omit<ListOptions, "cursor"> = NoListOptions>(
    model: M,
    options?: O
  ) => AsyncIterable<Omit<Listed<M, O>, SecretOf<M>>>
}

/** Listing options without the cursor (the iterators follow the pages themselves). */
type FromStart<O> = Omit<O, "cursor">

/** {@link OrgUnits} as async functions, and its paged listings as async iterables. */
export type OrgUnitsAsync = Promised<OrgUnits["Service"]> & {
  /** Every child of a unit, page after page. */
  readonly childrenAll: (id: OrgUnitId, options?: FromStart<ListOptions>) => AsyncIterable<Partial<OrgUnit>>
  /** Every descendant of a unit (down to `levels` when given), page after page. */
  readonly descendantsAll: (id: OrgUnitId, options?: FromStart<ListOptions & { readonly levels?: number }>) => AsyncIterable<Partial<OrgUnit>>
}

/** {@link Forms} as async functions, and its listing as an async iterable. */
export type FormsAsync = Promised<Forms["Service"]> & {
  /** Every form of a listing, page after page. */
  readonly listAll: (options?: FromStart<FormListOptions>) => AsyncIterable<Partial<Form>>
}

/** {@link Instances} as async functions, and its listing as an async iterable. */
export type InstancesAsync = Promised<Instances["Service"]> & {
  /** Every submission of a search, page after page. */
  readonly listAll: (search?: FromStart<InstanceSearch & Omit<ListOptions, "where" | "select">>) => AsyncIterable<InstanceWithStatus>
}

/** What an effect given to `run` may use: every service of the SDK, the blob store and the actor. */
export type IasoContext = IasoServices | BlobStore | CurrentActor | TaskRunner

/** Options of `run`. */
export interface IasoRunOptions {
  /** Stops the effect when aborted: it is interrupted and the Promise rejects with `Interrupted`. */
  readonly signal?: AbortSignal | undefined
}

/**
 * The services as async functions, for one actor. Long operations (`pyramidImports.*`,
 * `versions.copy`, `versions.exportGeoJson`, `instances.ingestMany`, `instances.importMobileBulkUpload`) take `onProgress` and
 * `signal` in their options (see `LongOperationOptions`).
 */
export interface IasoAs {
  readonly accounts: Promised<Omit<Accounts["Service"], "create" | "setup" | "findByName">>
  readonly records: RecordsAsync
  readonly sources: Promised<Sources["Service"]>
  readonly orgUnitTypes: Promised<OrgUnitTypes["Service"]>
  readonly orgUnits: OrgUnitsAsync
  readonly groups: Promised<Groups["Service"]>
  readonly versions: Promised<Versions["Service"]>
  readonly matching: Promised<Matching["Service"]>
  readonly pyramidImports: Promised<PyramidImports["Service"]>
  readonly instances: InstancesAsync
  readonly entityTypes: Promised<EntityTypes["Service"]>
  readonly entities: Promised<Entities["Service"]>
  readonly forms: FormsAsync
  readonly formVersions: Promised<FormVersions["Service"]>
  readonly workflows: Promised<Workflows["Service"]>
  /** Users and their profiles (the only writer of users, profiles and their links). */
  readonly users: Promised<Users["Service"]>
  /** Users created in bulk from IASO's CSV file. */
  readonly bulkUserCreation: Promised<BulkUserCreation["Service"]>
  /** DHIS2 mappings of forms and their versions. */
  readonly mappings: Promised<Mappings["Service"]>
  /** DHIS2 export requests, run against DHIS2. */
  readonly exports: Promised<Exports["Service"]>
  readonly devices: Promised<Devices["Service"]>
  /** Storage devices (NFC cards...) and their logs. */
  readonly storages: Promised<Storages["Service"]>
  /** Tasks, run by the client's task runner (in process unless `createIaso` is given another). */
  readonly tasks: Promised<Tasks["Service"]>
  /** Teams of users and teams of teams. */
  readonly teams: Promised<Teams["Service"]>
  /** Micro-plannings and the mobile view of a user's field work. */
  readonly plannings: Promised<Plannings["Service"]>
  /** Who visits which org unit of a planning. */
  readonly assignments: Promised<Assignments["Service"]>
  /** Projects (mobile apps) and their feature flags. */
  readonly projects: Promised<Projects["Service"]>
  /** Logins to external systems (DHIS2), without their passwords. */
  readonly credentials: Promised<Credentials["Service"]>
  /** Pages of the account and who sees them. */
  readonly pages: Promised<Pages["Service"]>
  /** Comments on org units, one level of replies. */
  readonly comments: Promised<Comments["Service"]>
  /** Org-unit change requests (proposals of new units and edits, reviewed) and reference submissions. */
  readonly changeRequests: Promised<OrgUnitChangeRequests["Service"]>
  /** The server side of offline sync: a device's pulls, repairs and pushes, answered for this actor. */
  readonly sync: Promised<Sync["Service"]>
  /** The device side of offline sync over this client's store: the outbox, push and pull through a transport. */
  readonly syncClient: Promised<SyncClient["Service"]>
  /**
   * Runs any effect over the SDK's services as this actor, on the client's runtime and store: the
   * extension point through which other packages offer Promise APIs (e.g. `geoPackages(admin)` of
   * `@iaso/geopackage/node`). Rejects with the effect's typed error; an aborted `signal` interrupts
   * it (its transaction rolls back) and rejects with `Interrupted`.
   */
  readonly run: <A, E>(effect: Effect.Effect<A, E, IasoContext>, options?: IasoRunOptions) => Promise<A>
}

/** The Promise facade. */
export interface IasoClient {
  /** Host-app operations that need no actor. */
  readonly accounts: Promised<Pick<Accounts["Service"], "create" | "setup" | "findByName">>
  /** The services acting as `actor`. */
  readonly as: (actor: Actor) => IasoAs
  /** Runs an effect that needs no actor (host-app work) on the client's runtime; see {@link IasoAs.run}. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, IasoServices | BlobStore | TaskRunner>, options?: IasoRunOptions) => Promise<A>
  /** Closes the store. */
  readonly dispose: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

/**
 * The SDK as async functions over a store layer (`MemoryStore.layer()`, `SqliteStore.layer(...)`...).
 * A failed call rejects with the SDK's typed error (`NotFound`, `Forbidden`, `ValidationError`...).
 * Long operations take `onProgress` and `signal` in their options; an aborted signal rejects with
 * `Interrupted`, their writes rolled back.
 * `blobs` keeps file bytes (submission XML and attachments); without it, bytes are kept in memory
 * over a store that does not persist, and refused over one that does.
 * `taskRunner` runs launched tasks (default `TaskRunner.inProcess()`: fibers of this process, ended
 * by `dispose`); `PgBossTaskRunner.layer` of `@iaso/adapter-postgres/pg-boss` puts them on a queue.
 * `taskProgress` is where running tasks publish their live progress, which `tasks.get` shows while
 * a task's transaction is open (default: this process's memory, enough for the in-process runner;
 * `PostgresTaskProgress.layer` of `@iaso/adapter-postgres/pg-boss` for pg-boss workers).
 * `taskKinds` are the kinds of tasks the client launches and runs (default `BUILTIN_TASK_KINDS`;
 * add e.g. `geoPackageImportTask(...)` of `@iaso/geopackage`).
 * A browser app that needs only a device's services gets a smaller bundle from `createIasoLite` of
 * `@iaso/core/lite` (the same verbs, without the administration services and their parsers).
 * Either way the parsers and writers of rarely used verbs (XLSForm and XForm reading, GeoJSON and
 * DHIS2 pyramid imports, version copies and diffs, mobile bulk uploads, XLSX, the DHIS2 export
 * sender) are loaded by a dynamic `import()` when first used: an app's bundler that splits (Vite,
 * Rollup, esbuild with `splitting`) puts them in chunks a browser downloads only then. A chunk that
 * cannot be loaded fails the verb with a retryable `StorageError` (`reason: "unavailable"`).
 */
export const createIaso = <E, EB = never, ET = never, EP = never>(options: {
  readonly store: Layer.Layer<Store, E>
  readonly blobs?: Layer.Layer<BlobStore, EB>
  readonly taskRunner?: Layer.Layer<TaskRunner, ET, IasoServices | BlobStore | Repos>
  readonly taskKinds?: ReadonlyArray<TaskKind>
  readonly taskProgress?: Layer.Layer<never, EP>
}): IasoClient => {
  const taskKinds = options.taskKinds === undefined ? Layer.empty : Layer.succeed(TaskKinds, taskKindMap(options.taskKinds))
  const kinds = options.taskProgress === undefined ? taskKinds : Layer.merge(taskKinds, options.taskProgress)
  const services = Layer.mergeAll(Iaso.layer, Repos.layer, options.blobs ?? defaultBlobs)
  const { run, wrap, dispose } = makeFacade(
    Layer.provideMerge(options.taskRunner ?? TaskRunner.inProcess(), services).pipe(Layer.provideMerge(kinds), Layer.provide(options.store))
  )
  const k = FACADE_KEYS
  return {
    accounts: wrap(Accounts, undefined, k.accountsHost) as unknown as IasoClient["accounts"],
    as: (actor) => {
      const records = wrap(Records, actor, k.records) as unknown as Omit<RecordsAsync, "listAll">
      const orgUnits = wrap(OrgUnits, actor, k.orgUnits) as unknown as Promised<OrgUnits["Service"]>
      const forms = wrap(Forms, actor, k.forms) as unknown as Promised<Forms["Service"]>
      const instances = wrap(Instances, actor, k.instances) as unknown as Promised<Instances["Service"]>
      const from = fromCursor
      return {
        accounts: wrap(Accounts, actor, k.accounts) as unknown as IasoAs["accounts"],
        records: { ...records, listAll: (model, options) => eachItem((cursor) => records.list(model, from(options ?? {}, cursor))) } as RecordsAsync,
        sources: wrap(Sources, actor, k.sources) as unknown as IasoAs["sources"],
        orgUnitTypes: wrap(OrgUnitTypes, actor, k.orgUnitTypes) as unknown as IasoAs["orgUnitTypes"],
        orgUnits: {
          ...orgUnits,
          childrenAll: (id, options = {}) => eachItem((cursor) => orgUnits.children(id, from(options, cursor))),
          descendantsAll: (id, options = {}) => eachItem((cursor) => orgUnits.descendants(id, from(options, cursor)))
        },
        groups: wrap(Groups, actor, k.groups) as unknown as IasoAs["groups"],
        versions: wrap(Versions, actor, k.versions) as unknown as IasoAs["versions"],
        matching: wrap(Matching, actor, k.matching) as unknown as IasoAs["matching"],
        pyramidImports: wrap(PyramidImports, actor, k.pyramidImports) as unknown as IasoAs["pyramidImports"],
        forms: { ...forms, listAll: (options = {}) => eachItem((cursor) => forms.list(from(options, cursor))) },
        formVersions: wrap(FormVersions, actor, k.formVersions) as unknown as IasoAs["formVersions"],
        entityTypes: wrap(EntityTypes, actor, k.entityTypes) as unknown as IasoAs["entityTypes"],
        entities: wrap(Entities, actor, k.entities) as unknown as IasoAs["entities"],
        workflows: wrap(Workflows, actor, k.workflows) as unknown as IasoAs["workflows"],
        users: wrap(Users, actor, k.users) as unknown as IasoAs["users"],
        bulkUserCreation: wrap(BulkUserCreation, actor, k.bulkUserCreation) as unknown as IasoAs["bulkUserCreation"],
        mappings: wrap(Mappings, actor, k.mappings) as unknown as IasoAs["mappings"],
        exports: wrap(Exports, actor, k.exports) as unknown as IasoAs["exports"],
        devices: wrap(Devices, actor, k.devices) as unknown as IasoAs["devices"],
        storages: wrap(Storages, actor, k.storages) as unknown as IasoAs["storages"],
        tasks: wrap(Tasks, actor, k.tasks) as unknown as IasoAs["tasks"],
        teams: wrap(Teams, actor, k.teams) as unknown as IasoAs["teams"],
        plannings: wrap(Plannings, actor, k.plannings) as unknown as IasoAs["plannings"],
        assignments: wrap(Assignments, actor, k.assignments) as unknown as IasoAs["assignments"],
        projects: wrap(Projects, actor, k.projects) as unknown as IasoAs["projects"],
        credentials: wrap(Credentials, actor, k.credentials) as unknown as IasoAs["credentials"],
        pages: wrap(Pages, actor, k.pages) as unknown as IasoAs["pages"],
        comments: wrap(Comments, actor, k.comments) as unknown as IasoAs["comments"],
        changeRequests: wrap(OrgUnitChangeRequests, actor, k.changeRequests) as unknown as IasoAs["changeRequests"],
        sync: wrap(Sync, actor, k.sync) as unknown as IasoAs["sync"],
        syncClient: wrap(SyncClient, actor, k.syncClient) as unknown as IasoAs["syncClient"],
        instances: { ...instances, listAll: (search = {}) => eachItem((cursor) => instances.list(from(search, cursor))) },
        run: (effect, runOptions) => run(effect, actor, runOptions?.signal)
      }
    },
    run: (effect, runOptions) => run(effect, undefined, runOptions?.signal),
    dispose,
    [Symbol.asyncDispose]: dispose
  }
}
