/**
 * `@iaso/core/kernel`: the repositories every service writes through, for adapters' own tests,
 * benchmarks and tools that check what a store holds. They apply no permission, no row scope and
 * no owning-service rule: an app reaches its data through the services of `Iaso.layer` (which keeps
 * the repositories inside) or `createIaso`.
 *
 * ```ts
 * import { IasoWithRepos, Repos } from "@iaso/core/kernel"
 * const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(MemoryStore.layer())))
 * await runtime.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.count(OrgUnitModel, accountId)))
 * ```
 * @module @iaso/core/kernel
 */
import { Layer } from "effect"
import { Iaso } from "../iaso.ts"
import { Repos } from "./repos.ts"

export { Repos, type ServiceWriteError } from "./repos.ts"

/** {@link Iaso.layer} with the repositories beside its services (for tests and benchmarks). */
export const IasoWithRepos = {
  layer: Iaso.layer.pipe(Layer.provideMerge(Repos.layer))
}
