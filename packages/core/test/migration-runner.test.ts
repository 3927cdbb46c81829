import { type Migration, type MigrationHooks, runMigrations, StorageError, Unsupported } from "@iaso/core"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"

const migration = (id: string, ...models: ReadonlyArray<string>): Migration => ({
  id,
  steps: models.map((model) => ({ op: "createModel", model, scope: "global", columns: [] }))
})

/** A store whose ledger and log of applied steps are arrays; a step on model `bad` fails. */
const store = (ledger: Array<string>, own: ReadonlyArray<string> = []) => {
  const log: Array<string> = []
  const hooks: MigrationHooks<StorageError, never> = {
    applied: Effect.sync(() => ledger),
    applyStep: (step, m) =>
      step.model === "bad"
        ? Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: "bad step" }))
        : Effect.sync(() => {
            log.push(`${m.id}:${step.model}`)
          }),
    applyAndRecord: (m, steps) =>
      Effect.andThen(
        steps,
        Effect.sync(() => {
          ledger.push(m.id)
        })
      ),
    replay: (m) => {
      log.push(`replay ${m.id}`)
    },
    ownMigrations: own
  }
  return { hooks, log, ledger }
}

describe("the migration runner", () => {
  it("applies the pending migrations in the order given, each step in turn, replays the applied ones and answers the ids applied", async () => {
    const { hooks, log, ledger } = store(["0001"])
    const applied = await Effect.runPromise(runMigrations([migration("0001", "A"), migration("0002", "B", "C"), migration("0003", "D")], hooks))
    expect(applied).toEqual(["0002", "0003"])
    expect(log).toEqual(["replay 0001", "0002:B", "0002:C", "0003:D"])
    expect(ledger).toEqual(["0001", "0002", "0003"])
    expect(await Effect.runPromise(runMigrations([migration("0001", "A"), migration("0002", "B", "C"), migration("0003", "D")], hooks))).toEqual([])
  })

  it("refuses a store that applied a migration the code does not know, applying nothing; the store's own migrations are known", async () => {
    const { hooks, log } = store(["0001", "0009_future", "own_1"], ["own_1"])
    const exit = await Effect.runPromiseExit(runMigrations([migration("0001", "A"), migration("0002", "B")], hooks))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
    const refused = error?._tag === "Fail" ? error.error : undefined
    expect(refused).toBeInstanceOf(Unsupported)
    expect((refused as Unsupported).message).toContain("newer version of the SDK")
    expect((refused as Unsupported).message).toContain("0009_future")
    expect((refused as Unsupported).message).not.toContain("own_1")
    expect(log).toEqual([])
  })

  it("stops at a failing step: that migration is not recorded and none after it runs", async () => {
    const { hooks, ledger } = store([])
    const exit = await Effect.runPromiseExit(runMigrations([migration("0001", "A"), migration("0002", "bad"), migration("0003", "C")], hooks))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(ledger).toEqual(["0001"])
  })
})
