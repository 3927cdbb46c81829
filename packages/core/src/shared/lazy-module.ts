/**
 * Modules a service reaches through a loader: the parsers and writers of a few rarely used verbs
 * (GeoJSON and DHIS2 pyramids, XLSForm and XForm reading, XLSX, mobile bulk uploads, version
 * diffs and copies, the DHIS2 export client, the reading of submission XML, the evaluation of
 * JSONLogic rules), loaded by a dynamic `import()`. None of them is reachable from the package's
 * index: their public names are exported by subpaths (`@iaso/core/xlsform`, `@iaso/core/pyramid`,
 * `@iaso/core/dhis2-export`, `@iaso/core/mobile-bulk-upload`, `@iaso/core/submission-xml`,
 * `@iaso/core/json-logic`). A bundler that does not split (esbuild) wraps what an
 * `import()` reaches, and everything it imports, in initialisers that an `export *` does not run
 * in a package with `"sideEffects": false`: the index and the subpaths name what they re-export
 * (packages/core/test/browser-bundle.test.ts bundles names imported alone and runs them).
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

/** The calls of a service that each admit a `StorageError` (the failure to load their module). */
type LoadableCalls<S> = {
  readonly [K in keyof S]: S[K] extends (...args: infer _A) => Effect.Effect<infer _V, infer E, infer _R> ? (StorageError extends E ? S[K] : never) : never
}

/**
 * A service whose implementation is made by a module loaded on first call (`make` imports it and
 * builds the calls, once; see {@link lazyModule}): each call named in `calls` (all of the
 * service's, the type checks it) forwards to the implementation once it is loaded, and fails with
 * the loader's retryable `StorageError` when it cannot be. For services only some apps call (the
 * administration ones), so that the others leave their code out of their starting chunks.
 */
export const lazyService = <S extends LoadableCalls<S>>(name: string, make: () => Promise<S>, calls: { readonly [K in keyof S]-?: true }): S => {
  const implementation = lazyModule(name, make)
  const forwarding: Record<string, unknown> = {}
  for (const call of Object.keys(calls)) {
    forwarding[call] = (...args: ReadonlyArray<unknown>) =>
      Effect.flatMap(implementation, (made) =>
        (made[call as keyof S] as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown, unknown>)(...args)
      )
  }
  return forwarding as S
}
