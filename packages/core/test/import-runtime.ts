/**
 * The memory-store app the pyramid importers' tests (DHIS2, GeoJSON) run on: effects run as an
 * actor, fresh accounts with a data source, every record of a model, and row counts to check that
 * a failed import wrote nothing.
 */
import { Effect, type Exit, Layer, ManagedRuntime } from "effect"
import { afterAll } from "vitest"
import {
  Accounts,
  Actor,
  allPages,
  type AnyModel,
  CurrentActor,
  Iaso,
  type IasoServices,
  MemoryStore,
  type PublicRecordOf,
  Records,
  Sources
} from "../src/index.ts"

export const importTestRuntime = (label: string) => {
  const runtime = ManagedRuntime.make(Iaso.layer.pipe(Layer.provide(MemoryStore.layer())))
  afterAll(() => runtime.dispose())

  const run = <A, E>(actor: Actor, effect: Effect.Effect<A, E, IasoServices | CurrentActor>): Promise<A> =>
    runtime.runPromise(Effect.provideService(effect, CurrentActor, actor))
  const exitOf = <A, E>(actor: Actor, effect: Effect.Effect<A, E, IasoServices | CurrentActor>): Promise<Exit.Exit<A, unknown>> =>
    runtime.runPromiseExit(Effect.provideService(effect, CurrentActor, actor))

  let accounts = 0
  /** A new account, and a data source of its main project named `sourceName` (no version yet). */
  const freshSource = async (sourceName: string) => {
    accounts += 1
    const setup = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `${label} ${accounts}` })))
    const actor = Actor.system(setup.account.id)
    const source = await run(
      actor,
      Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name: sourceName, projectIds: [setup.project.id] }))
    )
    return { actor, source, setup }
  }

  /** Every record of a model the actor can read (all pages). */
  const all = <M extends AnyModel>(actor: Actor, model: M): Promise<ReadonlyArray<Partial<PublicRecordOf<M>>>> =>
    run(
      actor,
      Effect.flatMap(Effect.service(Records), (records) =>
        allPages((cursor) => records.list(model, { limit: 10_000, ...(cursor === undefined ? {} : { cursor }) }))
      )
    )

  /** How many records of each model the actor can read. */
  const counts = async (actor: Actor, models: ReadonlyArray<AnyModel>): Promise<ReadonlyArray<number>> => {
    const out: Array<number> = []
    for (const model of models) out.push((await all(actor, model)).length)
    return out
  }

  return { runtime, run, exitOf, freshSource, all, counts }
}
