import { PostgresStore } from "@iaso/adapter-postgres"
import { Accounts, ALL_MODELS, CORE_MIGRATIONS, DataSourceModel, StorageError, Store, Unsupported } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { postgresDialect, SQL_INTERNAL_MIGRATIONS } from "@iaso/sql"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Ref } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown => (Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined)

/** The error a promise rejects with. */
const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected the query to fail")
}

describe.skipIf(url === "")(`PostgreSQL store ${url === "" ? "(skipped: set DATABASE_URL to run it on a real server)" : ""}`, () => {
  const schema = `iaso_store_${process.pid}_${Date.now()}`
  const admin = new pg.Pool({ connectionString: url, max: 4 })
  const poolIn = (name: string) => new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${name}` })
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
    await admin.query(`CREATE SCHEMA ${name}`)
    const pool = poolIn(name)
    try {
      const older = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, migrations: CORE_MIGRATIONS.slice(0, 1) }))))
      await older.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Older" })))
      await older.dispose()
      const current = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool }))))
      const found = await current.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName("Older")))
      expect(found._tag).toBe("Some")
      await current.dispose()
      const ledger = await pool.query("SELECT id FROM _iaso_migrations ORDER BY id")
      expect(ledger.rows.map((row: { id: string }) => row.id)).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
      const refused = ManagedRuntime.make(PostgresStore.layer({ pool, migrations: CORE_MIGRATIONS.slice(0, 1) }))
      const exit = await refused.runPromiseExit(Effect.service(Store))
      await refused.dispose()
      expect(failureOf(exit)).toBeInstanceOf(Unsupported)
    } finally {
      await pool.end()
      await admin.query(`DROP SCHEMA ${name} CASCADE`)
    }
  })

  it("a duplicate key is AlreadyExists naming the unique index", async () => {
    const name = `${schema}_d`
    await admin.query(`CREATE SCHEMA ${name}`)
    const pool = poolIn(name)
    try {
      const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool }))))
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
    await admin.query(`CREATE SCHEMA ${name}`)
    const pool = poolIn(name)
    const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool }))))
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
  it("with foreignKeys, every reference between models is a deferred foreign key: a dangling write through the pool fails at commit", async () => {
    const name = `${schema}_fk`
    await admin.query(`CREATE SCHEMA ${name}`)
    const pool = poolIn(name)
    const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, foreignKeys: true }))))
    try {
      const { account } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Keys" })))
      const keys = await pool.query(
        "SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
      )
      const references = ALL_MODELS.reduce((n, model) => n + model.references.length, 0)
      expect(keys.rows).toHaveLength(references)
      expect(keys.rows.every((row: { condeferrable: boolean; condeferred: boolean }) => row.condeferrable && row.condeferred)).toBe(true)
      // Opening again adds nothing twice.
      const again = ManagedRuntime.make(PostgresStore.layer({ pool, foreignKeys: true }))
      await again.runPromise(Effect.void)
      await again.dispose()
      expect(
        (await pool.query("SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace")).rows[0]
      ).toEqual({ n: references })
      const client = await pool.connect()
      try {
        await client.query("BEGIN")
        // Accepted inside the transaction (deferred), refused at commit.
        await client.query(`UPDATE "DataSource" SET "defaultVersionId" = 'no-such-version' WHERE "accountId" = $1`, [account.id])
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
})
