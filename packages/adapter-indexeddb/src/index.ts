/**
 * `@iaso/adapter-indexeddb`: the IASO store on IndexedDB, for offline-first browser apps that keep
 * their share of the pyramid, forms and submissions on the device (and, in Node, on
 * fake-indexeddb for tests).
 *
 * ```ts
 * import { createIaso } from "@iaso/core/store"
 * import { IndexedDbStore } from "@iaso/adapter-indexeddb"
 * const iaso = createIaso({ store: IndexedDbStore.layer({ name: "iaso" }) })
 * ```
 *
 * A unit of work (`transaction`) gathers its writes in memory and commits them in one IndexedDB
 * transaction; see `store.ts` for what must not be awaited inside one. File bytes live in
 * {@link IndexedDbBlobStore}, a database of their own.
 * @document ../README.md
 * @module @iaso/adapter-indexeddb
 */
import { CORE_MIGRATIONS, type StorageError, Store, type Unsupported } from "@iaso/core/store"
import { Effect, Layer } from "effect"
import { type IndexedDbStoreOptions, makeIndexedDbDriver } from "./store.ts"

export { IndexedDbBlobStore, type IndexedDbBlobStoreOptions, type IndexedDbBlobsAsync } from "./blob-store.ts"
export type { QueryPlan } from "./plan.ts"
export { indexedDbCapabilities, type IndexedDbDriver, type IndexedDbStoreOptions, makeIndexedDbDriver } from "./store.ts"

/** The IndexedDB store. */
export const IndexedDbStore = {
  /**
   * Opens (creating if needed) and migrates the database `name`; closed when the layer is
   * released. Fails with `Unsupported` when the database was migrated by a newer SDK, and with an
   * unavailable StorageError when another tab blocks the upgrade (instead of waiting for it).
   * Use it with `Effect.provide`, or with `createIaso({ store })` for the Promise facade.
   */
  layer: (options: IndexedDbStoreOptions): Layer.Layer<Store, StorageError | Unsupported> =>
    Layer.effect(
      Store,
      Effect.gen(function* () {
        const driver = yield* Effect.acquireRelease(makeIndexedDbDriver(options), (d) => d.close)
        yield* driver.migrate(options.migrations ?? CORE_MIGRATIONS)
        return driver
      })
    )
}
