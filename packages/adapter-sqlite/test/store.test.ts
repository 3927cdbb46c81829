import { SqliteStore } from "@iaso/adapter-sqlite"
import { Accounts, CORE_MIGRATIONS, Iaso, StorageError, Store, Unsupported } from "@iaso/core"
import Database from "better-sqlite3"
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "iaso-sqlite-store-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown => (Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined)

const ledger = (file: string): ReadonlyArray<string> => {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare("SELECT id FROM _iaso_migrations ORDER BY id").all() as Array<{ id: string }>).map((row) => row.id)
  } finally {
    db.close()
  }
}

describe("SQLite store: migrations", () => {
  it("opening a database created by an older migration list upgrades it and keeps its data", async () => {
    const file = join(dir, "older.sqlite")
    const older = ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file, migrations: CORE_MIGRATIONS.slice(0, 1) }))))
    const { account } = await older.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Older" })))
    await older.dispose()
    expect(ledger(file)).toEqual(["0001_tenancy_registry"])
    const current = ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file }))))
    const found = await current.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName("Older")))
    expect(found._tag === "Some" ? found.value.id : undefined).toBe(account.id)
    const tables = await current.runPromise(Effect.flatMap(Effect.service(Store), (store) => store.migrate(CORE_MIGRATIONS)))
    expect(tables).toEqual([])
    await current.dispose()
    expect(ledger(file)).toEqual(CORE_MIGRATIONS.map((m) => m.id))
  })

  it("a database migrated by a newer SDK is refused with a typed error, and left as it was", async () => {
    const file = join(dir, "newer.sqlite")
    const current = ManagedRuntime.make(SqliteStore.layer({ filename: file }))
    await current.runPromise(Effect.service(Store))
    await current.dispose()
    const older = ManagedRuntime.make(SqliteStore.layer({ filename: file, migrations: CORE_MIGRATIONS.slice(0, 1) }))
    const exit = await older.runPromiseExit(Effect.service(Store))
    await older.dispose()
    const error = failureOf(exit)
    expect(error).toBeInstanceOf(Unsupported)
    expect((error as Unsupported).message).toContain("0002_whole_model")
    expect(ledger(file)).toEqual(CORE_MIGRATIONS.map((m) => m.id))
  })
})

describe("SQLite store: driver errors are classified", () => {
  it("a file locked by another connection's write transaction is an unavailable, retryable StorageError", async () => {
    const file = join(dir, "locked.sqlite")
    const runtime = ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file, busyTimeoutMs: 50 }))))
    await runtime.runPromise(Effect.service(Store))
    const other = new Database(file)
    other.pragma("busy_timeout = 0")
    other.exec("BEGIN IMMEDIATE")
    try {
      const exit = await runtime.runPromiseExit(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Blocked" })))
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(StorageError)
      expect((error as StorageError).reason).toBe("unavailable")
      expect((error as StorageError).retryable).toBe(true)
    } finally {
      other.exec("ROLLBACK")
      other.close()
    }
    const after = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Unblocked" })))
    expect(after.account.name).toBe("Unblocked")
    await runtime.dispose()
  })

  it("a file that is not a database is a corrupt StorageError", async () => {
    const file = join(dir, "not-a-database.sqlite")
    const { writeFileSync } = await import("node:fs")
    writeFileSync(file, "this is not a SQLite database, just text long enough to fill a header page. ".repeat(20))
    const runtime = ManagedRuntime.make(SqliteStore.layer({ filename: file }))
    const exit = await runtime.runPromiseExit(Effect.service(Store))
    await runtime.dispose()
    const error = failureOf(exit)
    expect(error).toBeInstanceOf(StorageError)
    expect(["corrupt", "unavailable"]).toContain((error as StorageError).reason)
  })

  it("a duplicate key is AlreadyExists naming the unique index", async () => {
    const runtime = ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: ":memory:" }))))
    await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.create({ name: "Twice" })))
    const exit = await runtime.runPromiseExit(Effect.flatMap(Effect.service(Accounts), (a) => a.create({ name: "Twice" })))
    await runtime.dispose()
    expect(failureOf(exit)).toMatchObject({ _tag: "AlreadyExists", constraint: "account_name_unique" })
  })
})
