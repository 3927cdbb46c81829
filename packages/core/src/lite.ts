/**
 * `@iaso/core/lite`: the Promise facade over the services a field app on a device uses, for a
 * smaller browser bundle. {@link createIasoLite} takes the options of `createIaso` that concern it
 * and answers the same verbs (typed the same) for the services it holds; the administration
 * services (pyramid imports, version copies and diffs, matching, DHIS2 mappings and exports,
 * workflows, users and bulk user creation, storages, tasks, credentials, change requests, the sync
 * server) are left out, and with them their parsers and writers (GeoJSON and DHIS2 pyramids, XLSX,
 * the DHIS2 client...), which an app's bundler then drops.
 *
 * ```ts
 * import { createIasoLite } from "@iaso/core/lite"
 * import { IndexedDbStore } from "@iaso/adapter-indexeddb"
 * const iaso = createIasoLite({ store: IndexedDbStore.layer({ name: "iaso" }) })
 * const forms = await iaso.as(actor).forms.list()
 * ```
 *
 * `createIaso` of `@iaso/core` stays the complete client. Schemas, ids and errors are imported from
 * `@iaso/core` as usual: with `"sideEffects": false`, importing a few names from it bundles only
 * the modules they need.
 * @module @iaso/core/lite
 */
import { type Effect, Layer } from "effect"
import { defaultBlobs, FACADE_KEYS, fromCursor, makeFacade, type Promised } from "./facade.ts"
import type { IasoAs, IasoRunOptions, InstancesAsync, RecordsAsync } from "./iaso.ts"
import { Records } from "./kernel/records.ts"
import { Repos } from "./kernel/repos.ts"
import { Devices } from "./devices/devices-service.ts"
import { Entities } from "./entities/entities-service.ts"
import { EntityTypes } from "./entities/entity-types-service.ts"
import { FormVersions } from "./forms/form-versions-service.ts"
import { Forms } from "./forms/forms-service.ts"
import { Assignments } from "./planning/assignments-service.ts"
import { Plannings } from "./planning/plannings-service.ts"
import { Teams } from "./planning/teams-service.ts"
import { Comments } from "./comments/comments-service.ts"
import { Pages } from "./pages/pages-service.ts"
import { Groups } from "./registry/groups-service.ts"
import { OrgUnitTypes } from "./registry/org-unit-types-service.ts"
import { OrgUnits } from "./registry/org-units-service.ts"
import { Sources } from "./registry/sources-service.ts"
import type { BlobStore } from "./shared/blob.ts"
import { eachItem } from "./shared/repository.ts"
import type { Store } from "./shared/store.ts"
import { Instances } from "./submissions/instances-service.ts"
import { SyncClient } from "./sync/sync-client.ts"
import { Accounts } from "./tenancy/accounts-service.ts"
import type { Actor, CurrentActor } from "./tenancy/actor.ts"
import { Projects } from "./tenancy/projects-service.ts"

export type { Promised } from "./facade.ts"

/** The services of the lite client, given a store layer (the repositories they share stay inside). */
export const IasoLite = {
  /**
   * `Accounts`, `Records`, `Sources`, `OrgUnitTypes`, `OrgUnits`, `Groups`, `Forms`,
   * `FormVersions`, `Instances` (without DHIS2 instant export), `EntityTypes`, `Entities`,
   * `Devices`, `Projects`, `Teams`, `Plannings`, `Assignments`, `Pages`, `Comments` and
   * `SyncClient` over the provided `Store`.
   */
  layer: Layer.mergeAll(
    Accounts.layer,
    Records.layer,
    Sources.layer,
    OrgUnitTypes.layer,
    OrgUnits.layer,
    Groups.layer,
    Forms.layer,
    FormVersions.layer,
    Instances.layer,
    EntityTypes.layer,
    Entities.layer,
    Devices.layer,
    Projects.layer,
    Teams.layer,
    Plannings.layer,
    Assignments.layer,
    Pages.layer,
    Comments.layer,
    SyncClient.layer
  ).pipe(Layer.provide(Repos.layer))
}

/** The services provided by {@link IasoLite.layer}. */
export type IasoLiteServices =
  | Accounts
  | Records
  | Sources
  | OrgUnitTypes
  | OrgUnits
  | Groups
  | Forms
  | FormVersions
  | Instances
  | EntityTypes
  | Entities
  | Devices
  | Projects
  | Teams
  | Plannings
  | Assignments
  | Pages
  | Comments
  | SyncClient

/** The members of {@link IasoAs} the lite client has (typed as in the complete client). */
export type IasoLiteMember =
  | "accounts"
  | "records"
  | "sources"
  | "orgUnitTypes"
  | "orgUnits"
  | "groups"
  | "forms"
  | "formVersions"
  | "instances"
  | "entityTypes"
  | "entities"
  | "devices"
  | "projects"
  | "teams"
  | "plannings"
  | "assignments"
  | "pages"
  | "comments"
  | "syncClient"

/** The lite services as async functions, for one actor. */
export interface IasoLiteAs extends Pick<IasoAs, IasoLiteMember> {
  /** Runs any effect over the lite client's services as this actor (see `IasoAs.run`). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, IasoLiteServices | BlobStore | CurrentActor>, options?: IasoRunOptions) => Promise<A>
}

/** The lite Promise facade. */
export interface IasoLiteClient {
  /** Host-app operations that need no actor. */
  readonly accounts: Promised<Pick<Accounts["Service"], "create" | "setup" | "findByName">>
  /** The services acting as `actor`. */
  readonly as: (actor: Actor) => IasoLiteAs
  /** Runs an effect that needs no actor on the client's runtime. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, IasoLiteServices | BlobStore>, options?: IasoRunOptions) => Promise<A>
  /** Closes the store. */
  readonly dispose: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

/**
 * The lite services as async functions over a store layer (`IndexedDbStore.layer(...)`,
 * `MemoryStore.layer()`...), answering as `createIaso` does. `blobs` keeps file bytes as in
 * `createIaso` (in memory over a store that does not persist, refused over one that does).
 */
export const createIasoLite = <E, EB = never>(options: {
  readonly store: Layer.Layer<Store, E>
  readonly blobs?: Layer.Layer<BlobStore, EB>
}): IasoLiteClient => {
  const { run, wrap, dispose } = makeFacade(Layer.mergeAll(IasoLite.layer, options.blobs ?? defaultBlobs).pipe(Layer.provide(options.store)))
  const k = FACADE_KEYS
  const from = fromCursor
  return {
    accounts: wrap(Accounts, undefined, k.accountsHost) as unknown as IasoLiteClient["accounts"],
    as: (actor) => {
      const records = wrap(Records, actor, k.records) as unknown as Omit<RecordsAsync, "listAll">
      const orgUnits = wrap(OrgUnits, actor, k.orgUnits) as unknown as Promised<OrgUnits["Service"]>
      const forms = wrap(Forms, actor, k.forms) as unknown as Promised<Forms["Service"]>
      const instances = wrap(Instances, actor, k.instances) as unknown as Promised<Instances["Service"]>
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
        forms: { ...forms, listAll: (options = {}) => eachItem((cursor) => forms.list(from(options, cursor))) },
        formVersions: wrap(FormVersions, actor, k.formVersions) as unknown as IasoAs["formVersions"],
        instances: { ...instances, listAll: (search = {}) => eachItem((cursor) => instances.list(from(search, cursor))) } as InstancesAsync,
        entityTypes: wrap(EntityTypes, actor, k.entityTypes) as unknown as IasoAs["entityTypes"],
        entities: wrap(Entities, actor, k.entities) as unknown as IasoAs["entities"],
        devices: wrap(Devices, actor, k.devices) as unknown as IasoAs["devices"],
        projects: wrap(Projects, actor, k.projects) as unknown as IasoAs["projects"],
        teams: wrap(Teams, actor, k.teams) as unknown as IasoAs["teams"],
        plannings: wrap(Plannings, actor, k.plannings) as unknown as IasoAs["plannings"],
        assignments: wrap(Assignments, actor, k.assignments) as unknown as IasoAs["assignments"],
        pages: wrap(Pages, actor, k.pages) as unknown as IasoAs["pages"],
        comments: wrap(Comments, actor, k.comments) as unknown as IasoAs["comments"],
        syncClient: wrap(SyncClient, actor, k.syncClient) as unknown as IasoAs["syncClient"],
        run: (effect, runOptions) => run(effect, actor, runOptions?.signal)
      }
    },
    run: (effect, runOptions) => run(effect, undefined, runOptions?.signal),
    dispose,
    [Symbol.asyncDispose]: dispose
  }
}
