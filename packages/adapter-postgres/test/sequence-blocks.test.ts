/**
 * Per-account counters on a real PostgreSQL server, with two stores on one schema standing for two
 * processes: outside a transaction a process takes values in blocks committed on their own, so a
 * unit of work left open after taking its value holds no other writer of the account back; inside
 * a transaction the value is taken in the unit of work and a rollback gives it back; values stay
 * distinct under concurrent takers.
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { AccountSequenceModel, Accounts, SEQUENCE_BLOCK, StorageError, Store, takeSequenceValues } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { Cause, Deferred, Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

const COUNTER = "test.counter"

describe.skipIf(url === "")(`PostgreSQL: per-account counters in blocks${url === "" ? " (skipped: set DATABASE_URL)" : ""}`, () => {
  const first = freshSchema(url, { label: "blocks", maxConnections: 3 })
  // A second pool on the same schema: another process's store.
  const second = freshSchema(url, { label: "blocks_other", maxConnections: 3 })
  const processA = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool: first.pool, schema: first.schema }))))
  const processB = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool: second.pool, schema: first.schema }))))
  beforeAll(async () => {
    await processA.runPromise(Effect.void)
    await processB.runPromise(Effect.void)
  })
  afterAll(async () => {
    await processB.dispose()
    await processA.dispose()
    await second.drop()
    await first.drop()
  })

  const account = () =>
    processA.runPromise(
      Effect.map(
        Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `blocks ${Date.now()} ${Math.random()}` })),
        ({ account }) => account.id as string
      )
    )
  /** Takes `count` values in a process: the first step outside, the second in a transaction of its own. */
  const take = (accountId: string, count: number) =>
    Effect.gen(function* () {
      const repos = yield* Repos
      const values = yield* takeSequenceValues(repos, accountId, COUNTER, count)
      return yield* repos.driver.transaction(values)
    })
  /** The counter's stored value, read by the other process. */
  const stored = (accountId: string) =>
    processB.runPromise(
      Effect.map(
        Effect.flatMap(Effect.service(Store), (store) => store.inspect(AccountSequenceModel)),
        (rows) => rows.filter(({ row }) => row["accountId"] === accountId && row["name"] === COUNTER).map(({ row }) => row["value"])
      )
    )

  it("a unit of work left open after taking its value holds no other process back: each process takes a committed block", async () => {
    const accountId = await account()
    const taken = await processA.runPromise(Deferred.make<ReadonlyArray<number>>())
    const release = await processA.runPromise(Deferred.make<void>())
    // Process A takes its value, then keeps its unit of work open.
    const open = processA.runPromise(
      Effect.gen(function* () {
        const repos = yield* Repos
        const values = yield* takeSequenceValues(repos, accountId, COUNTER, 1)
        yield* repos.driver.transaction(
          Effect.gen(function* () {
            yield* Deferred.succeed(taken, yield* values)
            yield* Deferred.await(release)
          })
        )
      })
    )
    expect(await processA.runPromise(Deferred.await(taken))).toEqual([1])
    // The block is committed already, and process B takes its own at once.
    expect(await stored(accountId)).toEqual([SEQUENCE_BLOCK])
    expect(await processB.runPromise(take(accountId, 1).pipe(Effect.timeout("5 seconds")))).toEqual([SEQUENCE_BLOCK + 1])
    expect(await stored(accountId)).toEqual([2 * SEQUENCE_BLOCK])
    await processA.runPromise(Deferred.succeed(release, undefined))
    await open
    // Process A hands out the rest of its block from memory, then takes a new one.
    expect(await processA.runPromise(take(accountId, SEQUENCE_BLOCK - 1))).toEqual(Array.from({ length: SEQUENCE_BLOCK - 1 }, (_, k) => k + 2))
    expect(await stored(accountId)).toEqual([2 * SEQUENCE_BLOCK])
    expect(await processA.runPromise(take(accountId, 2))).toEqual([2 * SEQUENCE_BLOCK + 1, 2 * SEQUENCE_BLOCK + 2])
    expect(await stored(accountId)).toEqual([3 * SEQUENCE_BLOCK])
    // More than a block at once: whole blocks, the rest kept for later.
    expect(await processB.runPromise(take(accountId, SEQUENCE_BLOCK + 20))).toEqual([
      ...Array.from({ length: SEQUENCE_BLOCK - 1 }, (_, k) => SEQUENCE_BLOCK + 2 + k),
      ...Array.from({ length: 21 }, (_, k) => 3 * SEQUENCE_BLOCK + 1 + k)
    ])
    expect(await stored(accountId)).toEqual([5 * SEQUENCE_BLOCK])
    // A count that is not a positive integer is a defect, on the block path as inside a transaction.
    for (const count of [0, -1, 1.5]) {
      const exit = await processA.runPromiseExit(take(accountId, count))
      expect(exit._tag === "Failure" ? String(Cause.squash(exit.cause)) : exit._tag).toBe(
        `RangeError: sequence values: count must be a positive integer, got ${count}`
      )
    }
    expect(await stored(accountId)).toEqual([5 * SEQUENCE_BLOCK])
  })

  it("inside a transaction the value is taken in the unit of work, and a rollback gives it back", async () => {
    const accountId = await account()
    expect(await processA.runPromise(take(accountId, 1))).toEqual([1])
    expect(await stored(accountId)).toEqual([SEQUENCE_BLOCK])
    const failed = await processB.runPromiseExit(
      Effect.gen(function* () {
        const repos = yield* Repos
        yield* repos.driver.transaction(
          Effect.gen(function* () {
            const values = yield* takeSequenceValues(repos, accountId, COUNTER, 2)
            expect(yield* values).toEqual([SEQUENCE_BLOCK + 1, SEQUENCE_BLOCK + 2])
            expect(yield* Effect.promise(() => stored(accountId))).toEqual([SEQUENCE_BLOCK])
            return yield* new StorageError({ reason: "unknown", retryable: false, message: "the unit of work fails" })
          })
        )
      })
    )
    expect(failed._tag).toBe("Failure")
    expect(await stored(accountId)).toEqual([SEQUENCE_BLOCK])
    // Process B's pool was not touched: its next value outside comes from a new block.
    expect(await processB.runPromise(take(accountId, 1))).toEqual([SEQUENCE_BLOCK + 1])
  })

  it("values stay distinct when two processes take them from many fibers at once", async () => {
    const accountId = await account()
    const takers = (count: number) =>
      Effect.all(
        Array.from({ length: 12 }, (_, k) => take(accountId, 1 + (k % 3))),
        { concurrency: count }
      )
    const [a, b] = await Promise.all([processA.runPromise(takers(6)), processB.runPromise(takers(6))])
    const all = [...a.flat(), ...b.flat()]
    // 2 x (4 x (1 + 2 + 3)) = 48 values.
    expect(all.length).toBe(48)
    expect(new Set(all).size).toBe(48)
    expect(Math.min(...all)).toBe(1)
    const counter = (await stored(accountId))[0]
    expect(typeof counter === "number" && counter % SEQUENCE_BLOCK === 0 && counter >= Math.max(...all)).toBe(true)
  })
})
