/**
 * Child process of the concurrent writers test: opens the store, says it is ready, waits for the
 * parent's plan (the account, the seeded units, a seed and a number of operations), then runs its
 * operations one at a time: creates, moves and updates of org units, each chosen with its units
 * from the seeded random sequence. Reports every outcome over IPC, then exits.
 *   node concurrent-writers-child.ts sqlite <file> | postgres <url> <schema>
 */
import { type AccountId, Actor, CurrentActor, type OrgUnitId, OrgUnits, type SourceVersionId, type Store } from "@iaso/core"
import { IasoWithRepos } from "@iaso/core/kernel"
import { Effect, Exit, Layer, ManagedRuntime, Random } from "effect"

/** What the parent sends to start the work. */
export interface Plan {
  readonly accountId: AccountId
  readonly versionId: SourceVersionId
  /** The roots among the units that exist before the workers start. */
  readonly roots: ReadonlyArray<OrgUnitId>
  /** Every unit that exists before the workers start. */
  readonly units: ReadonlyArray<OrgUnitId>
  readonly seed: number
  readonly operations: number
}

/** How one operation ended: `ok`, or the tag of its error (with the storage error's reason and whether it was retryable). */
export interface Outcome {
  readonly op: "create" | "move" | "update"
  readonly result: string
  readonly message?: string
  /** Wall time of the operation. */
  readonly millis: number
}

const [kind, target, schema] = process.argv.slice(2)

/** The store this worker opens, and what closes the connections it opened. */
const openStore = async (): Promise<{ readonly layer: Layer.Layer<Store, unknown>; readonly close: () => Promise<void> }> => {
  if (kind === "sqlite") {
    const { SqliteStore } = await import("@iaso/adapter-sqlite")
    return { layer: SqliteStore.layer({ filename: target ?? "" }), close: async () => undefined }
  }
  const { PostgresStore } = await import("@iaso/adapter-postgres")
  const pg = (await import("pg")).default
  const pool = new pg.Pool({ connectionString: target ?? "", max: 2 })
  return { layer: PostgresStore.layer({ pool, ...(schema === undefined ? {} : { schema }) }), close: () => pool.end() }
}

/** The outcome of an exit: `ok`, or the failure's tag (a storage error's with its reason and retryability). */
const outcomeOf = (op: Outcome["op"], exit: Exit.Exit<unknown, unknown>, started: number): Outcome => {
  const millis = performance.now() - started
  if (Exit.isSuccess(exit)) return { op, result: "ok", millis }
  const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  if (failure?._tag !== "Fail") return { op, result: "defect", message: String(exit.cause), millis }
  const error = failure.error as { readonly _tag?: string; readonly reason?: string; readonly retryable?: boolean; readonly message?: string }
  const tag = error._tag ?? "unknown"
  const result = tag === "StorageError" ? `StorageError:${error.reason ?? ""}:${error.retryable === true ? "retryable" : "final"}` : tag
  return { op, result, millis, ...(error.message === undefined ? {} : { message: error.message }) }
}

const run = (plan: Plan) =>
  Effect.gen(function* () {
    const units = yield* OrgUnits
    // The random sequence is drawn up front (at most three draws per operation), so that the
    // store's own use of randomness (pauses before running a transaction again) does not change
    // which operations run.
    const draws = yield* Random.withSeed(
      Effect.forEach(Array.from({ length: plan.operations * 3 }), () => Random.next),
      plan.seed
    )
    let at = 0
    const draw = () => draws[at++] ?? 0
    const pick = (from: ReadonlyArray<OrgUnitId>): OrgUnitId => {
      const chosen = from[Math.floor(draw() * from.length)]
      if (chosen === undefined) throw new Error("no unit to choose from")
      return chosen
    }
    const known: Array<OrgUnitId> = [...plan.units]
    const roots = new Set(plan.roots)
    const outcomes: Array<Outcome> = []
    for (let i = 0; i < plan.operations; i++) {
      const choice = draw()
      const started = performance.now()
      if (choice < 0.4) {
        const exit = yield* Effect.exit(units.create({ name: `Unit ${process.pid} ${i}`, versionId: plan.versionId, parentId: pick(known) }))
        if (Exit.isSuccess(exit)) known.push(exit.value.id)
        outcomes.push(outcomeOf("create", exit, started))
      } else if (choice < 0.8) {
        const id = pick(known.filter((unit) => !roots.has(unit)))
        outcomes.push(outcomeOf("move", yield* Effect.exit(units.move(id, pick(known))), started))
      } else {
        outcomes.push(outcomeOf("update", yield* Effect.exit(units.update(pick(known), { name: `Renamed ${process.pid} ${i}` })), started))
      }
    }
    return outcomes
  })

const store = await openStore()
const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(store.layer)))
await runtime.runPromise(Effect.void)
process.send?.({ ready: true })
process.on("message", (message: { readonly plan?: Plan }) => {
  const plan = message.plan
  if (plan === undefined) return
  runtime
    .runPromise(run(plan).pipe(Effect.provideService(CurrentActor, Actor.system(plan.accountId))))
    .then((outcomes) => process.send?.({ outcomes }))
    .catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
    .finally(async () => {
      await runtime.dispose()
      await store.close()
      process.disconnect()
    })
})
