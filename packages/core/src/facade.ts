/**
 * What the Promise facades share (`createIaso` of `@iaso/core`, `createIasoLite` of
 * `@iaso/core/lite`): a runtime over a store, `run` with an actor and an abort signal, a service's
 * verbs as async functions, the default blob store and the verbs each service shows. It names no
 * service class, so a facade over a few services bundles only those.
 * @module
 */
import { Cause, type Context, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { BlobStore } from "./shared/blob.ts"
import { NotFound, StorageError } from "./shared/errors.ts"
import { abortable } from "./shared/progress.ts"
import { Store } from "./shared/store.ts"
import { type Actor, CurrentActor } from "./tenancy/actor.ts"

type Fn = (...args: never) => unknown

/** A service's verbs as async functions (its Effects run on the client's runtime). */
export type Promised<S> = {
  readonly [K in keyof S]: S[K] extends (...args: infer A) => Effect.Effect<infer R, infer _E, infer _C>
    ? (...args: A) => Promise<R>
    : S[K] extends Effect.Effect<infer R, infer _E, infer _C>
      ? () => Promise<R>
      : S[K] extends Fn
        ? never
        : S[K]
}

/**
 * The {@link BlobStore} a facade uses when it is given none: in memory over a store that does
 * not persist; over a persistent store, one that refuses to keep bytes (they would be lost when the
 * process ends while the records pointing at them stay), so ingesting a submission fails with a
 * `StorageError` until a persistent blob store is given.
 */
export const defaultBlobs: Layer.Layer<BlobStore, never, Store> = Layer.unwrap(
  Effect.map(Effect.service(Store), (driver) =>
    driver.capabilities.persistent
      ? Layer.succeed(
          BlobStore,
          BlobStore.of({
            put: () =>
              Effect.fail(
                new StorageError({
                  reason: "unavailable",
                  retryable: false,
                  message:
                    "no blob store: give createIaso a `blobs` layer (e.g. FileBlobStore.layer from @iaso/core/node) to keep submission files beside a persistent store"
                })
              ),
            get: (key) => Effect.fail(NotFound.of("Blob", key)),
            has: () => Effect.succeed(false),
            remove: () => Effect.void
          })
        )
      : BlobStore.memory()
  )
)

/**
 * The verbs of each service a facade shows, by the facade's member name (`iaso.as(actor).orgUnits`
 * shows `OrgUnits`' verbs named here). `accounts` are the actor's; `accountsHost` those that need
 * no actor (`iaso.accounts`).
 */
export const FACADE_KEYS = {
  accountsHost: ["create", "setup", "findByName"],
  accounts: ["current", "update", "setDefaultVersion", "actorFor"],
  records: ["get", "list", "count", "create", "createMany", "update", "remove", "changesSince"],
  orgUnits: ["create", "update", "move", "get", "children", "descendants", "hierarchy", "ancestors", "search", "nearest", "countsPerLevel"],
  sources: ["createDataSource", "createVersion", "setDefaultVersion", "versions"],
  orgUnitTypes: ["create", "setSubUnitTypes", "hierarchy", "remove"],
  groups: ["create", "update", "remove", "addMembers", "removeMembers", "members", "groupsOf", "createSet"],
  versions: ["copy", "diff", "diffCsv", "exportGeoJson"],
  matching: ["run", "validate"],
  pyramidImports: ["pyramid", "geoJson", "dhis2"],
  forms: ["create", "update", "remove", "restore", "get", "list", "links"],
  formVersions: ["create", "preview", "update", "get", "find", "list", "latest"],
  entityTypes: ["create", "update", "get", "list", "listViewFields", "detailViewFields", "duplicateSearchFields"],
  entities: ["create", "createMany", "get", "find", "list", "softDelete", "findDuplicates", "ignore", "merge", "mobileEntityTypes", "mobileEntities"],
  bulkUserCreation: ["createFromCsv", "createFromXlsx"],
  workflows: [
    "createVersion",
    "updateVersion",
    "copyVersion",
    "removeVersion",
    "getVersion",
    "versions",
    "addFollowUp",
    "updateFollowUps",
    "removeFollowUp",
    "addChange",
    "updateChange",
    "removeChange",
    "nextFollowUps",
    "mobile",
    "exportWorkflow",
    "importWorkflow"
  ],
  mappings: ["createVersion", "updateVersion", "getVersion", "versions", "mappings"],
  exports: ["request", "run", "get", "list"],
  instances: [
    "ingest",
    "ingestMany",
    "importMobileBulkUpload",
    "get",
    "files",
    "list",
    "status",
    "countsByStatus",
    "softDelete",
    "restore",
    "lock",
    "unlock",
    "locks",
    "canModify"
  ],
  devices: ["postPositions", "list", "lastOwner", "ownerships", "positions", "setOwner"],
  storages: ["importLogs", "changeStatus", "get", "list", "logs", "blacklisted"],
  tasks: ["launch", "get", "list", "kill", "relaunch"],
  teams: ["create", "update", "remove", "get", "list"],
  plannings: ["create", "update", "remove", "get", "list", "mobile"],
  assignments: ["create", "update", "remove", "get", "list", "bulkCreate", "bulkDelete"],
  credentials: ["get", "update"],
  users: ["create", "update", "deactivate", "setPassword", "verifyPassword", "get", "list"],
  pages: ["create", "update", "remove", "get", "list"],
  comments: ["create", "remove", "list"],
  changeRequests: ["create", "get", "list", "approve", "reject", "flagReferenceInstance", "unflagReferenceInstance", "referenceInstances"],
  projects: ["featureFlags", "create", "update", "get", "list", "projectForApp", "checkVersion", "limitsDownloadToRoots"],
  sync: ["pull", "reconcile", "push"],
  syncClient: ["enqueue", "outbox", "discard", "push", "pull", "sync"]
} as const

/** The options of the page after `cursor`. */
export const fromCursor = <O extends object>(options: O, cursor: string | undefined): O => (cursor === undefined ? options : { ...options, cursor })

/**
 * A facade's machinery over `layer` (its services, blob store...; the store provided): the
 * runtime, `run` (as an actor or none, stopped by a signal; a failure rejects with the typed error)
 * and `wrap` (a service's named verbs as async functions).
 */
export const makeFacade = <R>(layer: Layer.Layer<R, unknown>) => {
  const runtime = ManagedRuntime.make(layer)
  const run = <A>(effect: Effect.Effect<A, unknown, R | CurrentActor>, actor?: Actor, signal?: AbortSignal): Promise<A> =>
    runtime
      .runPromiseExit(abortable(actor === undefined ? (effect as Effect.Effect<A, unknown, R>) : Effect.provideService(effect, CurrentActor, actor), signal))
      .then((exit) => {
        if (Exit.isSuccess(exit)) return exit.value
        const failure = Cause.findErrorOption(exit.cause)
        if (failure._tag === "Some") throw failure.value
        throw Cause.squash(exit.cause)
      })
  const wrap = <S extends object>(tag: Context.Key<unknown, S>, actor: Actor | undefined, keys: ReadonlyArray<string>): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      out[key] = (...args: ReadonlyArray<unknown>) =>
        run(
          Effect.flatMap(Effect.service(tag) as unknown as Effect.Effect<S, never, R>, (service) => {
            const member = (service as Record<string, unknown>)[key]
            return (typeof member === "function" ? member(...args) : member) as Effect.Effect<unknown, unknown, R | CurrentActor>
          }),
          actor
        )
    }
    return out
  }
  const dispose = () => runtime.dispose()
  return { runtime, run, wrap, dispose }
}
