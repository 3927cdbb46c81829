/**
 * Modules loaded on first use: the parsers and writers a service needs for a few rarely used verbs
 * (GeoJSON and DHIS2 pyramids, XLSForm and XForm reading, mobile bulk uploads, version diffs, the
 * DHIS2 export client) are imported with a dynamic `import()` when a verb first needs them, so an
 * app's bundler (esbuild, Vite, Rollup with code splitting) puts them in chunks of their own that a
 * browser downloads only when they are used.
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
