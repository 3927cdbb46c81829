/**
 * Two connections writing one SQLite file: a transaction begins `IMMEDIATE` (it holds the write
 * lock from its start, so another connection's commit cannot make its reads stale, and the busy
 * timeout applies to the wait for the lock), and a transaction still refused after the busy
 * timeout runs again after a pause instead of failing.
 */
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Accounts, DataSourceModel } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import Database from "better-sqlite3"
import { Deferred, Effect, Layer, ManagedRuntime, Ref } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "iaso-sqlite-busy-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const open = (file: string, busyTimeoutMs?: number) =>
  ManagedRuntime.make(
    IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) })))
  )

/** Inserts a data source named `name` in the account. */
const addSource = (accountId: string, name: string) =>
  Effect.flatMap(Effect.service(Repos), (repos) =>
    repos.insert(DataSourceModel, accountId, { name, readOnly: false, treeConfigStatusFields: [], public: false })
  )

describe("SQLite store: two connections on one file", () => {
  it("a transaction that read before another connection's write still commits its own, at its first attempt (transactions begin IMMEDIATE)", async () => {
    const file = join(dir, "immediate.sqlite")
    const first = open(file)
    const second = open(file, 30)
    try {
      const { account } = await first.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Immediate" })))
      const read = await first.runPromise(Deferred.make<void>())
      const go = await first.runPromise(Deferred.make<void>())
      const runs = await first.runPromise(Ref.make(0))
      const reader = first.runPromise(
        Effect.gen(function* () {
          const repos = yield* Repos
          return yield* repos.driver.transaction(
            Effect.gen(function* () {
              yield* Ref.update(runs, (n) => n + 1)
              const before = yield* repos.count(DataSourceModel, account.id, [])
              yield* Deferred.succeed(read, undefined)
              yield* Deferred.await(go)
              yield* addSource(account.id, "After reading")
              return before
            })
          )
        })
      )
      await first.runPromise(Deferred.await(read))
      // The other connection writes while the first transaction is open: it waits for the write
      // lock (its busy timeout, then pauses between attempts), so the first one's read stays current.
      const writer = second.runPromise(addSource(account.id, "Meanwhile"))
      setTimeout(() => void first.runPromise(Deferred.succeed(go, undefined)), 10)
      const [before] = await Promise.all([reader, writer])
      expect(await first.runPromise(Ref.get(runs))).toBe(1)
      const after = await first.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.count(DataSourceModel, account.id, [])))
      expect(after).toBe(before + 2)
    } finally {
      await first.dispose()
      await second.dispose()
    }
  })

  it("a write refused after the busy timeout runs again after a pause and commits once the lock is free", async () => {
    const file = join(dir, "rerun.sqlite")
    const runtime = open(file, 20)
    try {
      const { account } = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Rerun" })))
      const other = new Database(file)
      other.exec("BEGIN IMMEDIATE")
      // Held for longer than one busy timeout, shorter than the attempts with their pauses.
      setTimeout(() => {
        other.exec("ROLLBACK")
        other.close()
      }, 60)
      const started = performance.now()
      const written = await runtime.runPromise(addSource(account.id, "Eventually"))
      expect(written.name).toBe("Eventually")
      expect(performance.now() - started).toBeGreaterThanOrEqual(20)
    } finally {
      await runtime.dispose()
    }
  })
})
