import { SqliteStore } from "@iaso/adapter-sqlite"
import { Accounts, Actor, CORE_MIGRATIONS, CurrentActor, type OrgUnit, OrgUnitModel, OrgUnits, StorageError, Store, Unsupported } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { checkAfterAccountKeys, seedBeforeAccountKeys } from "@iaso/core/testing"
import Database from "better-sqlite3"
import { SQL_INTERNAL_MIGRATIONS } from "@iaso/sql"
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
    const older = ManagedRuntime.make(
      IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file, migrations: CORE_MIGRATIONS.slice(0, 1) })))
    )
    const { account } = await older.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Older" })))
    await older.dispose()
    expect(ledger(file)).toEqual(["0001_tenancy_registry", ...SQL_INTERNAL_MIGRATIONS])
    const current = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file }))))
    const found = await current.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName("Older")))
    expect(found._tag === "Some" ? found.value.id : undefined).toBe(account.id)
    const tables = await current.runPromise(Effect.flatMap(Effect.service(Store), (store) => store.migrate(CORE_MIGRATIONS)))
    expect(tables).toEqual([])
    await current.dispose()
    expect(ledger(file)).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
  })

  it("a database whose change feed was a table of entries moves it onto the rows: live entries go, tombstones stay, the feed reads the same", async () => {
    const file = join(dir, "feed.sqlite")
    const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file }))))
    const { account, version } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Feed" })))
    const id = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, "0")}`
    const unit = (n: number) => ({
      id: id(n),
      name: `Unit ${n}`,
      versionId: version.id,
      validationStatus: "VALID" as const,
      custom: false,
      extraFields: {},
      code: "",
      path: `${id(n)}/`,
      depth: 1
    })
    await app.runPromise(
      Effect.flatMap(Effect.service(Repos), (repos) =>
        Effect.gen(function* () {
          yield* repos.insertMany(OrgUnitModel, account.id, [unit(1), unit(2), unit(3)] as never, { atomic: true })
          yield* repos.remove(OrgUnitModel, account.id, id(2))
        })
      )
    )
    const feed = () => app.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.changesSince(account.id, undefined, 10_000)))
    const before = await feed()
    expect(before.changes.filter((c) => c.model === "OrgUnit").map((c) => [c.id, c.deleted])).toEqual([
      [id(1), false],
      [id(3), false],
      [id(2), true]
    ])
    await app.dispose()
    // As the SDK before the move left it: every change an entry, no sequence index on global tables, no ledger line
    // (global models' entries under today's '' account: the tombstones' layout is another migration's).
    const raw = new Database(file)
    const globals = (
      raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_seq' ESCAPE '\\' AND name NOT LIKE '%account_seq'").all() as Array<{
        name: string
      }>
    ).map((row) => row.name)
    expect(globals.length).toBeGreaterThan(0)
    for (const name of globals) raw.exec(`DROP INDEX "${name}"`)
    for (const table of (
      raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'").all() as Array<{
        name: string
      }>
    ).map((row) => row.name)) {
      const account =
        (raw.prepare(`SELECT COUNT(*) AS n FROM pragma_table_info('${table}') WHERE name = 'accountId'`).get() as { n: number }).n > 0 ? '"accountId"' : "''"
      raw.exec(`INSERT INTO _iaso_changes (model, id, "accountId", seq, deleted, version) SELECT '${table}', id, ${account}, _seq, 0, version FROM "${table}"`)
    }
    raw.prepare("DELETE FROM _iaso_migrations WHERE id = ?").run(SQL_INTERNAL_MIGRATIONS[0])
    expect((raw.prepare("SELECT COUNT(*) AS n FROM _iaso_changes WHERE deleted = 0").get() as { n: number }).n).toBeGreaterThan(3)
    raw.close()
    const reopened = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file }))))
    const after = await reopened.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.changesSince(account.id, undefined, 10_000)))
    await reopened.dispose()
    expect(after.changes).toEqual(before.changes)
    const check = new Database(file, { readonly: true })
    try {
      expect(check.prepare("SELECT model, id, deleted FROM _iaso_changes").all()).toEqual([{ model: "OrgUnit", id: id(2), deleted: 1 }])
      const restored = (
        check
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%\\_seq' ESCAPE '\\' AND name NOT LIKE '%account_seq'")
          .all() as Array<{ name: string }>
      ).map((row) => row.name)
      expect(restored.sort()).toEqual([...globals].sort())
    } finally {
      check.close()
    }
    expect(ledger(file)).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
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
    expect(ledger(file)).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
  })
})

/** What SQLite keeps of a database's schema: every table and index with its SQL. */
const schemaOf = (file: string): ReadonlyArray<unknown> => {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all()
  } finally {
    db.close()
  }
}

describe("SQLite store: account keys", () => {
  it("a database created before account keys (migrations 0001-0004) keeps its rows, indexes and feed after upgrading, and another account can then use the same id", async () => {
    const file = join(dir, "account-keys.sqlite")
    const runtimeOf = (migrations: typeof CORE_MIGRATIONS) =>
      ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file, migrations }))))

    const older = runtimeOf(CORE_MIGRATIONS.slice(0, 4))
    const seeded = await seedBeforeAccountKeys(older)
    await older.dispose()
    // The tombstones as the SDK before account keys kept them: keyed by model and id, NULL for no account.
    const raw = new Database(file)
    raw.exec(`CREATE TABLE _iaso_changes_older (model TEXT NOT NULL, id TEXT NOT NULL, "accountId" TEXT, seq BIGINT NOT NULL, deleted INTEGER NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (model, id));
      INSERT INTO _iaso_changes_older SELECT model, id, NULLIF("accountId", ''), seq, deleted, version FROM _iaso_changes;
      DROP TABLE _iaso_changes;
      ALTER TABLE _iaso_changes_older RENAME TO _iaso_changes;
      CREATE INDEX "_iaso_changes_account_seq" ON _iaso_changes ("accountId", seq);`)
    raw.prepare("DELETE FROM _iaso_migrations WHERE id = ?").run(SQL_INTERNAL_MIGRATIONS[1])
    expect(raw.prepare('SELECT model FROM _iaso_changes WHERE "accountId" IS NULL').all()).toEqual([{ model: "AccountFeatureFlag" }])
    raw.close()

    const current = runtimeOf(CORE_MIGRATIONS)
    try {
      await checkAfterAccountKeys(current, seeded)
    } finally {
      await current.dispose()
    }
    expect(ledger(file)).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
    // Tables, keys and indexes as a database created today has them.
    const fresh = join(dir, "account-keys-fresh.sqlite")
    const today = ManagedRuntime.make(SqliteStore.layer({ filename: fresh }))
    await today.runPromise(Effect.service(Store))
    await today.dispose()
    const upgraded = schemaOf(file)
    expect(upgraded).toContainEqual(
      expect.objectContaining({ type: "table", name: "OrgUnit", sql: expect.stringContaining('CONSTRAINT "OrgUnit_pkey" PRIMARY KEY ("accountId", "id"))') })
    )
    expect(upgraded).toContainEqual(
      expect.objectContaining({
        type: "index",
        name: "org_unit_code_per_version_valid_unique",
        sql: expect.stringContaining(` WHERE "code" IS NOT '' AND "validationStatus" = 'VALID'`)
      })
    )
    expect(upgraded).toEqual(schemaOf(fresh))
  })
})

describe("SQLite store: subtree listings", () => {
  it("an order column wanted on the cursor row only is read for that row alone, and pages still follow each other", async () => {
    const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: join(dir, "subtree.sqlite") }))))
    try {
      const { account, version } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Subtree" })))
      const id = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, "0")}`
      const unit = (n: number, parent?: number) => ({
        id: id(n),
        name: `Unit ${n}`,
        versionId: version.id,
        validationStatus: "VALID" as const,
        custom: false,
        extraFields: {},
        code: "",
        path: parent === undefined ? `${id(n)}/` : `${id(parent)}/${id(n)}/`,
        depth: parent === undefined ? 1 : 2,
        ...(parent === undefined ? {} : { parentId: id(parent) })
      })
      await app.runPromise(
        Effect.flatMap(Effect.service(Repos), (repos) =>
          repos.insertMany(OrgUnitModel, account.id, [unit(0), ...[1, 2, 3, 4, 5].map((n) => unit(n, 0))] as never, { atomic: true })
        )
      )
      const rows = await app.runPromise(
        Effect.flatMap(Effect.service(Repos), (repos) =>
          repos.driver.subtree(
            OrgUnitModel,
            { accountId: account.id },
            { rootId: id(0) },
            {
              where: [],
              orderBy: [{ field: "path", direction: "asc" }],
              select: ["id", "name", "path"],
              onlyAt: { columns: ["path"], at: 2 }
            }
          )
        )
      )
      expect(rows).toEqual([
        { id: id(0), name: "Unit 0" },
        { id: id(1), name: "Unit 1" },
        { id: id(2), name: "Unit 2", path: `${id(0)}/${id(2)}/` },
        { id: id(3), name: "Unit 3" },
        { id: id(4), name: "Unit 4" },
        { id: id(5), name: "Unit 5" }
      ])
      const pages: Array<ReadonlyArray<unknown>> = []
      let cursor: string | undefined
      do {
        const page = await app.runPromise(
          Effect.flatMap(Effect.service(OrgUnits), (units) =>
            units.descendants(id(0) as OrgUnit["id"], { select: ["name"], limit: 2, ...(cursor === undefined ? {} : { cursor }) })
          ).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
        )
        pages.push(page.items)
        cursor = page.cursor
      } while (cursor !== undefined)
      expect(pages).toEqual([
        [
          { id: id(1), name: "Unit 1" },
          { id: id(2), name: "Unit 2" }
        ],
        [
          { id: id(3), name: "Unit 3" },
          { id: id(4), name: "Unit 4" }
        ],
        [{ id: id(5), name: "Unit 5" }]
      ])
      // The snapshot of those reads was closed: a write transaction starts at once.
      await app.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.insert(OrgUnitModel, account.id, unit(6, 0) as never)))
    } finally {
      await app.dispose()
    }
  })
})

describe("SQLite store: driver errors are classified", () => {
  it("a file locked by another connection's write transaction is an unavailable, retryable StorageError", async () => {
    const file = join(dir, "locked.sqlite")
    const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file, busyTimeoutMs: 50 }))))
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
    const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: ":memory:" }))))
    await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.create({ name: "Twice" })))
    const exit = await runtime.runPromiseExit(Effect.flatMap(Effect.service(Accounts), (a) => a.create({ name: "Twice" })))
    await runtime.dispose()
    expect(failureOf(exit)).toMatchObject({ _tag: "AlreadyExists", constraint: "account_name_unique" })
  })
})
