/**
 * The memory store as a Layer.
 * @module
 */
import { Effect, Layer } from "effect"
import { CORE_MIGRATIONS } from "../core-migrations.ts"
import type { StorageError, Unsupported } from "../shared/errors.ts"
import { type Migration, Store } from "../shared/store.ts"
import { makeMemoryDriver } from "./memory-store.ts"

export { makeMemoryDriver } from "./memory-store.ts"

/** The in-memory store. */
export const MemoryStore = {
  /** A fresh, migrated memory store (each build of the layer is a new, empty store). */
  layer: (options: { readonly migrations?: ReadonlyArray<Migration> } = {}): Layer.Layer<Store, StorageError | Unsupported> =>
    Layer.effect(
      Store,
      Effect.gen(function* () {
        const driver = yield* makeMemoryDriver()
        yield* driver.migrate(options.migrations ?? CORE_MIGRATIONS)
        return driver
      })
    )
}
