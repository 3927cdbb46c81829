/**
 * Modules a service reaches through a loader: the parsers and writers of a few rarely used verbs
 * (GeoJSON and DHIS2 pyramids, XLSForm and XForm reading, mobile bulk uploads, version diffs, the
 * DHIS2 export client). The services give their loader the module itself today: a dynamic
 * `import()` there made one-file esbuild bundles leave names imported from the package's index
 * undefined (esbuild wraps what an `import()` reaches in initialisers that `export *` does not
 * run), so the parsers stay in every bundle until the index exports them another way.
 * @module
 */
import { Effect } from "effect"
import { StorageError } from "./errors.ts"

/**
 * A module loaded on first use, once: the effect gives the module `load` imports (one `import()`
 * for every caller; once loaded, the module is given at once, without a promise). When the module
 * cannot be loaded (a browser failed to download its chunk) it fails with a retryable
 * `StorageError` (`reason: "unavailable"`, the import's failure as `cause`), and the next run
 * tries again.
 */
export const lazyModule = <M>(name: string, load: () => Promise<M>): Effect.Effect<M, StorageError> => {
  let loaded: M | undefined
  let pending: Promise<M> | undefined
  const importing = Effect.tryPromise({
    try: () => {
      pending ??= load().then(
        (module) => {
          loaded = module
          return module
        },
        (error: unknown) => {
          pending = undefined
          return Promise.reject(error)
        }
      )
      return pending
    },
    catch: (cause) => new StorageError({ reason: "unavailable", retryable: true, message: `could not load ${name}`, cause })
  })
  return Effect.suspend(() => (loaded === undefined ? importing : Effect.succeed(loaded)))
}
