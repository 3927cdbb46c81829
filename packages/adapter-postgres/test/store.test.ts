import { PGlite } from "@electric-sql/pglite"
import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { Accounts, ALL_MODELS, CORE_MIGRATIONS, DataSourceModel, foldMigrations, type Migration, StorageError, Store, Unsupported } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { checkAfterAccountKeys, rejection, seedBeforeAccountKeys, upgradeUnitId } from "@iaso/core/testing"
import { postgresDialect, SQL_INTERNAL_MIGRATIONS } from "@iaso/sql"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, ManagedRuntime, Ref } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown => (Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined)

/** A database to run the SDK on, and raw statements on it (outside the SDK). */
interface Target {
  readonly layer: (migrations: ReadonlyArray<Migration>) => Layer.Layer<Store, StorageError | Unsupported>
  readonly raw: (text: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<Record<string, unknown>>>
}

/** What PostgreSQL keeps of a schema's tables: columns, constraints (keys, foreign keys) and indexes. */
const schemaOf = async (target: Target) => ({
  columns: await target.raw(
    "SELECT table_name, column_name, ordinal_position, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 3"
  ),
  constraints: await target.raw(
    "SELECT c.relname AS table, k.conname, k.contype, pg_get_constraintdef(k.oid) AS def FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid WHERE k.connamespace = current_schema()::regnamespace ORDER BY 1, 2"
  ),
  indexes: (
    await target.raw(
      "SELECT c.relname AS table, i.relname AS index, pg_get_indexdef(x.indexrelid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid WHERE c.relnamespace = current_schema()::regnamespace ORDER BY 1, 2"
    )
  ).map((row) => ({ table: row["table"], index: row["index"], def: String(row["def"]).replace(/ ON \S+\./, " ON ") }))
})

/** The deferred foreign keys of a schema, by how many columns they have. */
const foreignKeyWidths = async (target: Target) =>
  (
    await target.raw(
      "SELECT cardinality(conkey) AS n, count(*)::int AS keys, bool_and(condeferrable AND condeferred) AS deferred FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace GROUP BY 1 ORDER BY 1"
    )
  ).map((row) => ({ columns: Number(row["n"]), keys: row["keys"], deferred: row["deferred"] }))

/**
 * Opens `older` with migrations 0001-0004 and foreign keys, writes account A's rows (a deleted one,
 * codes under a partial unique index, a global catalogue's deleted row), puts the tombstones in
 * the layout of the SDK before account keys, then upgrades it; `fresh` is a database created today.
 */
const accountKeysUpgrade = async (older: Target, fresh: Target) => {
  const runtimeOf = (migrations: ReadonlyArray<Migration>) => ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(older.layer(migrations))))
  const references = ALL_MODELS.reduce((n, model) => n + model.references.length, 0)
  const toGlobal = ALL_MODELS.reduce(
    (n, model) => n + model.references.filter((r) => ALL_MODELS.find((target) => target.name === r.target)?.scope === "global").length,
    0
  )

  // The references among the tables migrations 0001-0004 made (later migrations add tables).
  const early = foldMigrations(CORE_MIGRATIONS.slice(0, 4))
  const earlyReferences = ALL_MODELS.filter((model) => early.has(model.name)).reduce(
    (n, model) => n + model.references.filter((r) => early.has(r.target)).length,
    0
  )

  const before = runtimeOf(CORE_MIGRATIONS.slice(0, 4))
  const seeded = await seedBeforeAccountKeys(before)
  await before.dispose()
  // Keys by id alone: every foreign key has one column.
  expect(await foreignKeyWidths(older)).toEqual([{ columns: 1, keys: earlyReferences, deferred: true }])
  // The tombstones as the SDK before account keys kept them: keyed by model and id, NULL for no account.
  for (const text of [
    `CREATE TABLE _iaso_changes_older (model TEXT NOT NULL, id TEXT NOT NULL, "accountId" TEXT, seq BIGINT NOT NULL, deleted BOOLEAN NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (model, id))`,
    `INSERT INTO _iaso_changes_older SELECT model, id, NULLIF("accountId", ''), seq, deleted, version FROM _iaso_changes`,
    "DROP TABLE _iaso_changes",
    "ALTER TABLE _iaso_changes_older RENAME TO _iaso_changes",
    `CREATE INDEX "_iaso_changes_account_seq" ON _iaso_changes ("accountId", seq)`
  ])
    await older.raw(text)
  await older.raw("DELETE FROM _iaso_migrations WHERE id = $1", [SQL_INTERNAL_MIGRATIONS[1]])
  expect(await older.raw(`SELECT model FROM _iaso_changes WHERE "accountId" IS NULL`)).toEqual([{ model: "AccountFeatureFlag" }])

  const current = runtimeOf(CORE_MIGRATIONS)
  try {
    const b = await checkAfterAccountKeys(current, seeded)
    // The foreign keys are on the new keys: a unit of A may not refer to B's version, which exists.
    const refused = await rejection(
      older.raw(`UPDATE "OrgUnit" SET "versionId" = $1 WHERE "accountId" = $2 AND id = $3`, [b.versionId, seeded.accountId, upgradeUnitId(1)])
    )
    expect((refused as { code?: string }).code).toBe("23503")
  } finally {
    await current.dispose()
  }
  expect((await older.raw("SELECT id FROM _iaso_migrations ORDER BY id")).map((row) => row["id"])).toEqual([
    ...CORE_MIGRATIONS.map((m) => m.id),
    ...SQL_INTERNAL_MIGRATIONS
  ])
  // References to account models have the account in their key; those to global catalogues do not.
  expect(await foreignKeyWidths(older)).toEqual([
    { columns: 1, keys: toGlobal, deferred: true },
    { columns: 2, keys: references - toGlobal, deferred: true }
  ])
  // Tables, keys, foreign keys and indexes as a database created today has them.
  const today = ManagedRuntime.make(fresh.layer(CORE_MIGRATIONS))
  await today.runPromise(Effect.service(Store))
  await today.dispose()
  const upgraded = await schemaOf(older)
  expect(upgraded.constraints).toContainEqual({ table: "OrgUnit", conname: "OrgUnit_pkey", contype: "p", def: 'PRIMARY KEY ("accountId", id)' })
  expect(upgraded.indexes.map((index) => index["index"])).toContain("org_unit_code_per_version_valid_unique")
  expect(upgraded).toEqual(await schemaOf(fresh))
}

/** A statement of the test's own run in `schema`, its search path set for the transaction alone (`SET LOCAL`). */
const rawIn = async (pool: pg.Pool, schema: string, text: string, params?: ReadonlyArray<unknown>): Promise<ReadonlyArray<Record<string, unknown>>> => {
  const client = await pool.connect()
  try {
    await client.query("BEGIN")
    await client.query(`SET LOCAL search_path TO "${schema}"`)
    const result = await client.query(text, params === undefined ? [] : [...params])
    await client.query("COMMIT")
    return result.rows
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}

/** The relations (tables, indexes, sequences...) of a namespace, by name. */
type Relations = (namespace: string) => Promise<ReadonlyArray<string>>

/** The relations query, on whichever client runs it. */
const RELATIONS = "SELECT relname FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) ORDER BY relname"

/**
 * Two stores on one database, in schemas `first` and `second`: each account is found in its own
 * store only, the two schemas hold the same relations (the SDK's tables, the ledger among them),
 * and no relation appears in public or in `untouched` (the app's own schema).
 */
const separateSchemas = async (
  open: (schema: string) => Layer.Layer<Store, StorageError | Unsupported>,
  relations: Relations,
  [first, second]: readonly [string, string],
  untouched: string
) => {
  const before = { public: await relations("public"), untouched: await relations(untouched) }
  const a = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(open(first))))
  const b = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(open(second))))
  const create = (runtime: typeof a, name: string) => runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.create({ name })))
  const found = (runtime: typeof a, name: string) =>
    runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.findByName(name))).then((option) => option._tag)
  try {
    await create(a, "Alpha")
    await create(b, "Beta")
    expect([await found(a, "Alpha"), await found(a, "Beta"), await found(b, "Alpha"), await found(b, "Beta")]).toEqual(["Some", "None", "None", "Some"])
  } finally {
    await a.dispose()
    await b.dispose()
  }
  const inFirst = await relations(first)
  expect(inFirst).toContain("Account")
  expect(inFirst).toContain("_iaso_migrations")
  expect(inFirst).toContain("account_name_unique")
  expect(await relations(second)).toEqual(inFirst)
  expect(await relations("public")).toEqual(before.public)
  expect(await relations(untouched)).toEqual(before.untouched)
}

describe("PostgreSQL store: the schema option", () => {
  it.each(["", "pg_iaso", "s".repeat(64)])("a schema name PostgreSQL cannot hold (%j) is Unsupported before any connection", async (schema) => {
    // Nothing listens on port 1: the name is refused before the pool is used.
    const runtime = ManagedRuntime.make(PostgresStore.layer({ connectionString: "postgres://postgres@127.0.0.1:1/none", maxConnections: 1, schema }))
    const exit = await runtime.runPromiseExit(Effect.service(Store))
    await runtime.dispose()
    expect(failureOf(exit)).toBeInstanceOf(Unsupported)
  })

  it("on PGlite, two stores in schemas a and b hold separate data, create nothing in public or the app's schema, and leave the search path as the app set it", async () => {
    const lite = await PGlite.create()
    try {
      await lite.exec("CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY); SET search_path TO app, public")
      await separateSchemas(
        (schema) => PGliteStore.layer({ pglite: lite, schema }),
        async (namespace) => (await lite.query<{ relname: string }>(RELATIONS, [namespace])).rows.map((row) => row.relname),
        ["a", "b"],
        "app"
      )
      expect((await lite.query("SHOW search_path")).rows).toEqual([{ search_path: "app, public" }])
      // Opened again in its schema: nothing left to migrate; an in-memory PGlite is not persistent.
      const again = ManagedRuntime.make(PGliteStore.layer({ pglite: lite, schema: "a" }))
      try {
        const store = await again.runPromise(Effect.service(Store))
        expect(await again.runPromise(store.migrate(CORE_MIGRATIONS))).toEqual([])
        expect([store.capabilities.name, store.capabilities.persistent]).toEqual(["pglite", false])
      } finally {
        await again.dispose()
      }
    } finally {
      await lite.close()
    }
    // Two openings of PGlite's store, each migrating every table.
  }, 120_000)
})

describe("PostgreSQL store on PGlite: account keys", () => {
  it("a database created before account keys (migrations 0001-0004) keeps its rows, indexes and feed after upgrading, and another account can then use the same id", async () => {
    const [upgraded, created] = await Promise.all([PGlite.create(), PGlite.create()])
    const targetOf = (lite: PGlite): Target => ({
      layer: (migrations) => PGliteStore.layer({ pglite: lite, migrations, foreignKeys: true }),
      raw: async (text, params) => (await lite.query<Record<string, unknown>>(text, params === undefined ? [] : [...params])).rows
    })
    try {
      await accountKeysUpgrade(targetOf(upgraded), targetOf(created))
    } finally {
      await Promise.all([upgraded.close(), created.close()])
    }
    // Four openings of PGlite, each migrating every table: 10-25 s on a loaded two-core machine.
  }, 180_000)
})

describe.skipIf(url === "")(`PostgreSQL store ${url === "" ? "(skipped: set DATABASE_URL to run it on a real server)" : ""}`, () => {
  const schema = `iaso_store_${process.pid}_${Date.now()}`
  const admin = new pg.Pool({ connectionString: url, max: 4 })
  /** A pool as an app has one: its search path is the server's (the store is given its schema). */
  const appPool = () => new pg.Pool({ connectionString: url, max: 4 })
  const relationsOf: Relations = async (namespace) => (await admin.query<{ relname: string }>(RELATIONS, [namespace])).rows.map((row) => row.relname)
  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA ${schema}`)
    await admin.query(`CREATE TABLE ${schema}.t (id int PRIMARY KEY, v int)`)
    await admin.query(`INSERT INTO ${schema}.t VALUES (1, 0), (2, 0)`)
  })
  afterAll(async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`)
    await admin.end()
  })

  it("a database created by an older migration list is upgraded; one migrated by a newer SDK is refused", async () => {
    const name = `${schema}_m`
    const pool = appPool()
    try {
      const older = ManagedRuntime.make(
        IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema: name, migrations: CORE_MIGRATIONS.slice(0, 1) })))
      )
      await older.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Older" })))
      await older.dispose()
      const current = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema: name }))))
      const found = await current.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName("Older")))
      expect(found._tag).toBe("Some")
      await current.dispose()
      const ledger = await pool.query(`SELECT id FROM ${name}._iaso_migrations ORDER BY id`)
      expect(ledger.rows.map((row: { id: string }) => row.id)).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
      const refused = ManagedRuntime.make(PostgresStore.layer({ pool, schema: name, migrations: CORE_MIGRATIONS.slice(0, 1) }))
      const exit = await refused.runPromiseExit(Effect.service(Store))
      await refused.dispose()
      expect(failureOf(exit)).toBeInstanceOf(Unsupported)
    } finally {
      await pool.end()
      await admin.query(`DROP SCHEMA ${name} CASCADE`)
    }
  })

  it("stores in two schemas hold separate data, create nothing in public or the pool's own schema, and leave the pool's search path as it was", async () => {
    const names: readonly [string, string] = [`${schema}_a`, `${schema}_b`]
    // The app's pool has a search path of its own: the schema of its table t first.
    const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema},public` })
    /** The search path of each of the pool's two connections. */
    const searchPaths = async () => {
      const clients = [await pool.connect(), await pool.connect()]
      try {
        return await Promise.all(clients.map(async (client) => (await client.query("SHOW search_path")).rows[0]))
      } finally {
        for (const client of clients) client.release()
      }
    }
    try {
      expect(await searchPaths()).toEqual([{ search_path: `${schema},public` }, { search_path: `${schema},public` }])
      await separateSchemas((name) => PostgresStore.layer({ pool, schema: name, foreignKeys: true }), relationsOf, names, schema)
      expect(await searchPaths()).toEqual([{ search_path: `${schema},public` }, { search_path: `${schema},public` }])
      expect(await relationsOf(schema)).toEqual(["t", "t_pkey"])
    } finally {
      await pool.end()
      for (const name of names) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)
    }
  })

  it("opening a store in its schema again applies no migration and changes no table, key or index", async () => {
    const name = `${schema}_again`
    const pool = appPool()
    const target: Target = {
      layer: (migrations) => PostgresStore.layer({ pool, schema: name, migrations, foreignKeys: true }),
      raw: (text, params) => rawIn(pool, name, text, params)
    }
    /** Opens the store, then asks it to migrate once more: the ids that second call applied. */
    const reopen = async () => {
      const runtime = ManagedRuntime.make(target.layer(CORE_MIGRATIONS))
      try {
        return await runtime.runPromise(Effect.flatMap(Effect.service(Store), (store) => store.migrate(CORE_MIGRATIONS)))
      } finally {
        await runtime.dispose()
      }
    }
    try {
      expect(await reopen()).toEqual([])
      const first = await schemaOf(target)
      const ledger = await target.raw("SELECT id FROM _iaso_migrations ORDER BY id")
      expect(await reopen()).toEqual([])
      expect(await schemaOf(target)).toEqual(first)
      expect(await target.raw("SELECT id FROM _iaso_migrations ORDER BY id")).toEqual(ledger)
      expect(ledger.map((row) => row["id"])).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
      expect(first.columns.length).toBeGreaterThan(0)
    } finally {
      await pool.end()
      await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)
    }
  })

  it("a duplicate key is AlreadyExists naming the unique index", async () => {
    const name = `${schema}_d`
    const pool = appPool()
    try {
      const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema: name }))))
      await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.create({ name: "Twice" })))
      const exit = await runtime.runPromiseExit(Effect.flatMap(Effect.service(Accounts), (a) => a.create({ name: "Twice" })))
      await runtime.dispose()
      expect(failureOf(exit)).toMatchObject({ _tag: "AlreadyExists", constraint: "account_name_unique" })
    } finally {
      await pool.end()
      await admin.query(`DROP SCHEMA ${name} CASCADE`)
    }
  })

  it("a deadlock between two connections is a retryable serialization StorageError", async () => {
    const a = await admin.connect()
    const b = await admin.connect()
    try {
      await a.query("BEGIN")
      await b.query("BEGIN")
      await a.query(`UPDATE ${schema}.t SET v = v + 1 WHERE id = 1`)
      await b.query(`UPDATE ${schema}.t SET v = v + 1 WHERE id = 2`)
      const first = a.query(`UPDATE ${schema}.t SET v = v + 1 WHERE id = 2`).then(
        () => undefined,
        (error: unknown) => error
      )
      const second = b.query(`UPDATE ${schema}.t SET v = v + 1 WHERE id = 1`).then(
        () => undefined,
        (error: unknown) => error
      )
      const errors = (await Promise.all([first, second])).filter((error) => error !== undefined)
      expect(errors.length).toBe(1)
      const classified = postgresDialect.classify(errors[0])
      expect(classified).toBeInstanceOf(StorageError)
      expect(classified).toMatchObject({ reason: "serialization", retryable: true })
    } finally {
      await a.query("ROLLBACK")
      await b.query("ROLLBACK")
      a.release()
      b.release()
    }
  })

  it("a SERIALIZABLE conflict is a retryable serialization StorageError", async () => {
    const a = await admin.connect()
    const b = await admin.connect()
    try {
      await a.query("BEGIN ISOLATION LEVEL SERIALIZABLE")
      await b.query("BEGIN ISOLATION LEVEL SERIALIZABLE")
      await a.query(`SELECT sum(v) FROM ${schema}.t`)
      await b.query(`SELECT sum(v) FROM ${schema}.t`)
      await a.query(`UPDATE ${schema}.t SET v = v + 1 WHERE id = 1`)
      await b.query(`UPDATE ${schema}.t SET v = v + 1 WHERE id = 2`)
      await a.query("COMMIT")
      const error = await rejection(b.query("COMMIT"))
      expect(postgresDialect.classify(error)).toMatchObject({ _tag: "StorageError", reason: "serialization", retryable: true })
    } finally {
      await b.query("ROLLBACK").catch(() => undefined)
      a.release()
      b.release()
    }
  })

  it("a connection terminated by pg_terminate_backend is an unavailable, retryable StorageError", async () => {
    const client = new pg.Client({ connectionString: url })
    client.on("error", () => undefined)
    await client.connect()
    try {
      const pid = (await client.query("SELECT pg_backend_pid() AS pid")).rows[0] as { pid: number }
      await admin.query("SELECT pg_terminate_backend($1)", [pid.pid])
      const error = await rejection(client.query("SELECT 1"))
      expect(postgresDialect.classify(error)).toMatchObject({ _tag: "StorageError", reason: "unavailable", retryable: true })
    } finally {
      await client.end().catch(() => undefined)
    }
  })
  it("with two writers committing concurrently, a reader following the change feed never skips a change", async () => {
    const name = `${schema}_feed`
    const pool = appPool()
    const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema: name }))))
    try {
      const { account } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Feed" })))
      const perWriter = 25
      const seen = await app.runPromise(
        Effect.gen(function* () {
          const repos = yield* Repos
          const done = yield* Ref.make(0)
          // Each write holds its transaction open a little, so the two writers' transactions overlap.
          const writer = (label: string) =>
            Effect.forEach(
              Array.from({ length: perWriter }, (_, i) => i),
              (i) =>
                repos.driver.transaction(
                  Effect.gen(function* () {
                    yield* repos.insert(DataSourceModel, account.id, { name: `${label} ${i}`, readOnly: false, treeConfigStatusFields: [], public: false })
                    yield* Effect.sleep(`${(i * 7) % 5} millis`)
                  })
                ),
              { discard: true }
            ).pipe(Effect.ensuring(Ref.update(done, (n) => n + 1)))
          const reader = Effect.gen(function* () {
            const collected: Array<number> = []
            let cursor: string | undefined
            while (true) {
              const finished = (yield* Ref.get(done)) === 2
              const page = yield* repos.changesSince(account.id, cursor, 1000)
              for (const change of page.changes) if (change.model === "DataSource") collected.push(change.seq)
              cursor = page.cursor
              if (finished && page.changes.length === 0) return collected
              yield* Effect.sleep("1 millis")
            }
          })
          const [, , collected] = yield* Effect.all([writer("a"), writer("b"), reader], { concurrency: "unbounded" })
          return collected
        })
      )
      const all = await app.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.changesSince(account.id, undefined, 10_000)))
      const final = all.changes.filter((change) => change.model === "DataSource" && change.seq > 0).map((change) => change.seq)
      // Sources created by setup are in the final feed too; the reader started after them.
      const written = final.slice(-2 * perWriter)
      expect(written).toHaveLength(2 * perWriter)
      expect(seen.filter((seq) => written.includes(seq))).toEqual(written)
      expect([...seen].sort((x, y) => x - y)).toEqual(seen)
    } finally {
      await app.dispose()
      await pool.end()
      await admin.query(`DROP SCHEMA ${name} CASCADE`)
    }
  })
  it("a reader cannot pass a change of a transaction that drew its sequence first and commits after a later one: it stops below it until it commits", async () => {
    const name = `${schema}_horizon`
    const pool = appPool()
    const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema: name }))))
    try {
      const { account } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Horizon" })))
      const source = (label: string) => ({ name: label, readOnly: false, treeConfigStatusFields: [], public: false })
      const result = await app.runPromise(
        Effect.gen(function* () {
          const repos = yield* Repos
          const drained = yield* repos.changesSince(account.id, undefined, 10_000)
          const start = drained.cursor
          const firstWrote = yield* Deferred.make<string>()
          const release = yield* Deferred.make<void>()
          // The first transaction draws its sequences, then stays open until released.
          const first = yield* Effect.forkChild(
            repos.driver.transaction(
              Effect.gen(function* () {
                const created = yield* repos.insert(DataSourceModel, account.id, source("first"))
                yield* Deferred.succeed(firstWrote, created.id)
                yield* Deferred.await(release)
                return created.id
              })
            )
          )
          const firstId = yield* Deferred.await(firstWrote)
          // The second draws later (higher sequences) on another connection and commits first.
          const second = yield* repos.insert(DataSourceModel, account.id, source("second"))
          const whileOpen = yield* repos.changesSince(account.id, start, 10_000)
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(first)
          const afterCommit = yield* repos.changesSince(account.id, whileOpen.cursor, 10_000)
          const rows = (yield* repos.driver.inspect(DataSourceModel)).filter(({ row }) => row["id"] === firstId || row["id"] === second.id)
          const seqOf = (id: string) => rows.find(({ row }) => row["id"] === id)?.seq ?? -1
          return { firstId, secondId: second.id, whileOpen, afterCommit, firstSeq: seqOf(firstId), secondSeq: seqOf(second.id) }
        })
      )
      // The first drew its sequence first, the second committed first.
      expect(result.firstSeq).toBeLessThan(result.secondSeq)
      // While the first is open, the reader lists neither (it stops below the first's sequence).
      expect(result.whileOpen.changes.filter((change) => change.model === "DataSource")).toEqual([])
      // Once it committed, the reader lists both from where it stopped, in sequence order.
      expect(result.afterCommit.changes.filter((change) => change.model === "DataSource").map((change) => [change.id, change.seq])).toEqual([
        [result.firstId, result.firstSeq],
        [result.secondId, result.secondSeq]
      ])
    } finally {
      await app.dispose()
      await pool.end()
      await admin.query(`DROP SCHEMA ${name} CASCADE`)
    }
  })
  it("with foreignKeys, every reference between models is a deferred foreign key: a dangling write through the pool fails at commit", async () => {
    const name = `${schema}_fk`
    const pool = appPool()
    const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema: name, foreignKeys: true }))))
    try {
      const { account } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Keys" })))
      const keys = await pool.query("SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE contype = 'f' AND connamespace = $1::regnamespace", [
        name
      ])
      const references = ALL_MODELS.reduce((n, model) => n + model.references.length, 0)
      expect(keys.rows).toHaveLength(references)
      expect(keys.rows.every((row: { condeferrable: boolean; condeferred: boolean }) => row.condeferrable && row.condeferred)).toBe(true)
      // Opening again adds nothing twice.
      const again = ManagedRuntime.make(PostgresStore.layer({ pool, schema: name, foreignKeys: true }))
      await again.runPromise(Effect.void)
      await again.dispose()
      expect(
        (await pool.query("SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = $1::regnamespace", [name])).rows[0]
      ).toEqual({ n: references })
      const client = await pool.connect()
      try {
        await client.query("BEGIN")
        // Accepted inside the transaction (deferred), refused at commit.
        await client.query(`UPDATE ${name}."DataSource" SET "defaultVersionId" = 'no-such-version' WHERE "accountId" = $1`, [account.id])
        const error = await rejection(client.query("COMMIT"))
        expect((error as { code?: string }).code).toBe("23503")
        expect(postgresDialect.classify(error)).toMatchObject({ _tag: "StorageError", reason: "constraint", retryable: false })
      } finally {
        client.release()
      }
    } finally {
      await app.dispose()
      await pool.end()
      await admin.query(`DROP SCHEMA ${name} CASCADE`)
    }
  })

  it("a database created before account keys (migrations 0001-0004) keeps its rows, indexes and feed after upgrading, and another account can then use the same id", async () => {
    const names = [`${schema}_k`, `${schema}_kf`]
    const pool = appPool()
    const targetOf = (name: string): Target => ({
      layer: (migrations) => PostgresStore.layer({ pool, schema: name, migrations, foreignKeys: true }),
      raw: (text, params) => rawIn(pool, name, text, params)
    })
    try {
      const [upgraded, created] = names.map(targetOf)
      if (upgraded === undefined || created === undefined) throw new Error("two schemas expected")
      await accountKeysUpgrade(upgraded, created)
    } finally {
      await pool.end()
      for (const name of names) await admin.query(`DROP SCHEMA ${name} CASCADE`)
    }
  })
})
