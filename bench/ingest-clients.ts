/**
 * Submission ingestion one by one and from concurrent clients, beside a raw baseline. N generated
 * ODK submissions (4k; 800 under --smoke) are ingested through `Instances.ingest` in one account:
 * the first half one by one (one client), the second half from C clients at once (16 by default),
 * each sending its share one by one. On PostgreSQL each client is a separate SDK runtime with a
 * pool of its own (one connection); on SQLite and PGlite, which have one writer, the C clients are
 * C concurrent fibers of one runtime. The raw baseline inserts the very rows the SDK stored (the
 * submission and its audit entry, read back from its tables) into a second copy of its DDL (same
 * indexes), one transaction per submission, one by one and from C connections (pg), or one
 * connection (SQLite: better-sqlite3 prepared inserts; PGlite). Ratio = SDK rate / raw rate. On
 * PostgreSQL the statements each ingestion sends are counted (every client's `query` calls,
 * `BEGIN` and `COMMIT` included).
 *
 * Run: `node --conditions=@iaso/source bench/ingest-clients.ts [--smoke] [--clients 16] [--stores sqlite,pglite,postgres]`
 * (PostgreSQL when DATABASE_URL is set).
 */
import { PGlite } from "@electric-sql/pglite"
import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { type Accounts, Actor, BlobStore, CurrentActor, Instances, type OrgUnits, type Store, uuidv7 } from "@iaso/core"
import { IasoWithRepos, type Repos } from "@iaso/core/kernel"
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"
import { generateSubmissions, ingestWorld } from "./ingest.ts"

type App = ManagedRuntime.ManagedRuntime<Instances | Repos | BlobStore | Store | Accounts | OrgUnits, unknown>

const makeApp = (store: Layer.Layer<Store, unknown>): App =>
  ManagedRuntime.make(Layer.mergeAll(IasoWithRepos.layer, BlobStore.memory()).pipe(Layer.provideMerge(store))) as unknown as App

/** A fresh account with the form, its version and an org unit. */
const setup = (app: App, label: string) => app.runPromise(ingestWorld(`bench clients ${label} ${uuidv7()}`))

type Account = Awaited<ReturnType<typeof setup>>

/** Ingestions that failed (each with the message of its error), by run. */
const failures: Array<string> = []

/** Ingests documents one by one through one runtime; a failed ingestion is counted in `failures` (the client goes on). */
const ingestAll = (app: App, account: Account, docs: ReadonlyArray<Uint8Array>) =>
  app.runPromise(
    Effect.forEach(
      docs,
      (xml) =>
        Effect.flatMap(Effect.service(Instances), (instances) =>
          instances.ingest({ xml, formId: account.formId, orgUnitId: account.orgUnitId, createdAt: new Date("2024-05-10T12:00:00Z") })
        ).pipe(
          Effect.catch((error) =>
            Effect.sync(() => {
              failures.push(String((error as { message?: unknown }).message ?? error))
            })
          )
        ),
      { discard: true }
    ).pipe(Effect.provideService(CurrentActor, Actor.system(account.accountId)))
  )

/** `docs` split into `n` shares (round robin). */
const shares = <T>(docs: ReadonlyArray<T>, n: number): Array<Array<T>> => {
  const out: Array<Array<T>> = Array.from({ length: n }, () => [])
  docs.forEach((doc, i) => {
    out[i % n]?.push(doc)
  })
  return out
}

/** What one store's run measured (ms). */
interface Measured {
  readonly sdkOne: number
  readonly sdkMany: number
  readonly rawOne: number
  readonly rawMany: number
  readonly statements?: number
}

/** Inserts one submission's rows (its Instance row and its audit entries) in one transaction. */
type RawInsert = (instance: Record<string, unknown>, audit: ReadonlyArray<Record<string, unknown>>) => Promise<void>

const pgInsert = `INSERT INTO "Instance" SELECT * FROM json_populate_recordset(NULL::"Instance", $1::json)`
const pgAudit = `INSERT INTO "AuditEntry" SELECT * FROM json_populate_recordset(NULL::"AuditEntry", $1::json)`

/** The rows the SDK stored for an account, by submission: its Instance row and its audit entries. */
const byInstance = (instances: ReadonlyArray<Record<string, unknown>>, audit: ReadonlyArray<Record<string, unknown>>) => {
  const entries = new Map<string, Array<Record<string, unknown>>>()
  for (const row of audit) {
    const list = entries.get(String(row["objectId"])) ?? []
    list.push(row)
    entries.set(String(row["objectId"]), list)
  }
  return instances.map((row) => ({ instance: row, audit: entries.get(String(row["id"])) ?? [] }))
}

const run = async (options: {
  readonly count: number
  readonly clients: number
  readonly only: ReadonlySet<string> | undefined
  readonly databaseUrl: string
}) => {
  const documents = generateSubmissions(options.count).map((d) => new TextEncoder().encode(d.xml))
  const half = Math.floor(documents.length / 2)
  const first = documents.slice(0, half)
  const second = documents.slice(half)
  const results: Array<Record<string, string>> = []
  const wanted = (name: string) => options.only === undefined || options.only.has(name)
  const dir = mkdtempSync(join(tmpdir(), "iaso-bench-clients-"))
  const record = (store: string, m: Measured) => {
    const rate = (n: number, t: number) => `${Math.round((n / t) * 1000)}/s`
    results.push({
      store,
      "one by one": rate(first.length, m.sdkOne),
      "raw one by one": rate(first.length, m.rawOne),
      ratio: (m.rawOne / m.sdkOne).toFixed(2),
      [`${options.clients} clients`]: rate(second.length, m.sdkMany),
      [`raw ${options.clients}`]: rate(second.length, m.rawMany),
      "ratio ": (m.rawMany / m.sdkMany).toFixed(2),
      "statements/ingest": m.statements === undefined ? "-" : m.statements.toFixed(1),
      failed: String(failures.length)
    })
    if (failures.length > 0) console.log(`${failures.length} ingestions failed, first: ${failures[0]}`)
    failures.length = 0
    console.log(JSON.stringify(results.at(-1)))
  }
  try {
    if (wanted("sqlite")) {
      const file = join(dir, "sdk.sqlite")
      const app = makeApp(SqliteStore.layer({ filename: file }))
      const account = await setup(app, "sqlite")
      let t = performance.now()
      await ingestAll(app, account, first)
      const sdkOne = performance.now() - t
      t = performance.now()
      await Promise.all(shares(second, options.clients).map((share) => ingestAll(app, account, share)))
      const sdkMany = performance.now() - t
      await app.dispose()
      const rawFile = join(dir, "raw.sqlite")
      const creating = makeApp(SqliteStore.layer({ filename: rawFile }))
      await creating.runPromise(Effect.void)
      await creating.dispose()
      const sdk = new Database(file, { readonly: true })
      const raw = new Database(rawFile)
      raw.pragma("journal_mode = WAL")
      raw.pragma("synchronous = NORMAL")
      const rows = byInstance(
        sdk.prepare(`SELECT * FROM "Instance" WHERE "accountId" = ?`).all(account.accountId) as Array<Record<string, unknown>>,
        sdk.prepare(`SELECT * FROM "AuditEntry" WHERE "accountId" = ? AND "objectModel" = 'Instance'`).all(account.accountId) as Array<Record<string, unknown>>
      )
      const insertOf = (table: string, row: Record<string, unknown>) => {
        const columns = Object.keys(row)
        return raw.prepare(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`)
      }
      const insertInstance = insertOf("Instance", rows[0]?.instance ?? {})
      const insertAudit = insertOf("AuditEntry", rows[0]?.audit[0] ?? {})
      const one = raw.transaction((entry: (typeof rows)[number]) => {
        insertInstance.run(entry.instance)
        for (const row of entry.audit) insertAudit.run(row)
      })
      const rawRows = rows.slice(0, first.length)
      t = performance.now()
      for (const entry of rawRows) one(entry)
      const rawOne = performance.now() - t
      // One connection, one writer: "C clients" of the raw baseline are the same loop.
      raw.exec(`DELETE FROM "Instance"; DELETE FROM "AuditEntry"`)
      t = performance.now()
      for (const entry of rows.slice(first.length)) one(entry)
      const rawMany = performance.now() - t
      raw.close()
      sdk.close()
      record("sqlite (file)", {
        sdkOne,
        sdkMany,
        rawOne: (rawOne / rawRows.length) * first.length,
        rawMany: (rawMany / (rows.length - first.length)) * second.length
      })
    }
    if (wanted("pglite")) {
      const lite = await PGlite.create()
      const app = makeApp(PGliteStore.layer({ pglite: lite }))
      const account = await setup(app, "pglite")
      let t = performance.now()
      await ingestAll(app, account, first)
      const sdkOne = performance.now() - t
      t = performance.now()
      await Promise.all(shares(second, options.clients).map((share) => ingestAll(app, account, share)))
      const sdkMany = performance.now() - t
      const rows = byInstance(
        (await lite.query<Record<string, unknown>>(`SELECT * FROM "Instance" WHERE "accountId" = $1`, [account.accountId])).rows,
        (await lite.query<Record<string, unknown>>(`SELECT * FROM "AuditEntry" WHERE "accountId" = $1 AND "objectModel" = 'Instance'`, [account.accountId]))
          .rows
      )
      await app.dispose()
      await lite.close()
      const rawLite = await PGlite.create()
      const creating = makeApp(PGliteStore.layer({ pglite: rawLite }))
      await creating.runPromise(Effect.void)
      await creating.dispose()
      const insert: RawInsert = (instance, audit) =>
        rawLite.transaction(async (tx) => {
          await tx.query(pgInsert, [JSON.stringify([instance])])
          await tx.query(pgAudit, [JSON.stringify(audit)])
        })
      t = performance.now()
      for (const entry of rows.slice(0, first.length)) await insert(entry.instance, entry.audit)
      const rawOne = performance.now() - t
      t = performance.now()
      await Promise.all(
        shares(rows.slice(first.length), options.clients).map(async (share) => {
          for (const entry of share) await insert(entry.instance, entry.audit)
        })
      )
      const rawMany = performance.now() - t
      await rawLite.close()
      record("pglite", { sdkOne, sdkMany, rawOne, rawMany })
    }
    if (wanted("postgres") && options.databaseUrl !== "") {
      const schema = `iaso_bench_clients_${process.pid}`
      const admin = new pg.Pool({ connectionString: options.databaseUrl, max: 1 })
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}_raw`)
      let statements = 0
      /** The statements of one traced ingestion (their first 90 characters). */
      let trace: Array<string> | undefined
      const pools: Array<pg.Pool> = []
      const poolOf = (search: string) => {
        const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1, options: `-c search_path=${search}` })
        pool.on("connect", (client) => {
          const query = client.query.bind(client) as (...args: Array<unknown>) => unknown
          ;(client as unknown as { query: (...args: Array<unknown>) => unknown }).query = (...args: Array<unknown>) => {
            statements += 1
            if (trace !== undefined) {
              const text = args[0]
              trace.push(String(typeof text === "string" ? text : (text as { text?: string } | undefined)?.text).slice(0, 90))
            }
            return query(...args)
          }
        })
        pools.push(pool)
        return pool
      }
      try {
        const apps: Array<App> = [makeApp(PostgresStore.layer({ pool: poolOf(schema) }))]
        const main = apps[0] as App
        const account = await setup(main, "postgres")
        for (let i = 1; i < options.clients; i++) {
          const app = makeApp(PostgresStore.layer({ pool: poolOf(schema) }))
          await app.runPromise(Effect.void)
          apps.push(app)
        }
        // Warm every client (its connection, the form's filter): 2 submissions each, not timed.
        const warm = generateSubmissions(options.clients * 2, 7).map((d) => new TextEncoder().encode(d.xml))
        await Promise.all(apps.map((app, i) => ingestAll(app, account, warm.slice(i * 2, i * 2 + 2))))
        trace = []
        await ingestAll(
          main,
          account,
          generateSubmissions(1, 11).map((d) => new TextEncoder().encode(d.xml))
        )
        console.log(`the statements of one ingestion on PostgreSQL (${trace.length}):\n${trace.map((line) => `  ${line}`).join("\n")}`)
        trace = undefined
        const before = statements
        let t = performance.now()
        await ingestAll(main, account, first)
        const sdkOne = performance.now() - t
        const perIngest = (statements - before) / first.length
        t = performance.now()
        await Promise.all(shares(second, options.clients).map((share, i) => ingestAll(apps[i] as App, account, share)))
        const sdkMany = performance.now() - t
        const sdkPool = new pg.Pool({ connectionString: options.databaseUrl, max: 1, options: `-c search_path=${schema}` })
        pools.push(sdkPool)
        const rows = byInstance(
          (await sdkPool.query(`SELECT * FROM "Instance" WHERE "accountId" = $1 ORDER BY "_seq"`, [account.accountId])).rows,
          (await sdkPool.query(`SELECT * FROM "AuditEntry" WHERE "accountId" = $1 AND "objectModel" = 'Instance'`, [account.accountId])).rows
        ).slice(options.clients * 2 + 1)
        for (const app of apps) await app.dispose()
        const creating = makeApp(PostgresStore.layer({ pool: poolOf(`${schema}_raw`) }))
        await creating.runPromise(Effect.void)
        await creating.dispose()
        const rawPools = Array.from({ length: options.clients }, () => poolOf(`${schema}_raw`))
        const insertOn =
          (pool: pg.Pool): RawInsert =>
          async (instance, audit) => {
            const client = await pool.connect()
            try {
              await client.query("BEGIN")
              await client.query(pgInsert, [JSON.stringify([instance])])
              await client.query(pgAudit, [JSON.stringify(audit)])
              await client.query("COMMIT")
            } finally {
              client.release()
            }
          }
        const rawFirst = insertOn(rawPools[0] as pg.Pool)
        t = performance.now()
        for (const entry of rows.slice(0, first.length)) await rawFirst(entry.instance, entry.audit)
        const rawOne = performance.now() - t
        t = performance.now()
        await Promise.all(
          shares(rows.slice(first.length), options.clients).map(async (share, i) => {
            const insert = insertOn(rawPools[i] as pg.Pool)
            for (const entry of share) await insert(entry.instance, entry.audit)
          })
        )
        const rawMany = performance.now() - t
        // Scaled to the documents sent (fewer rows when ingestions failed).
        record("postgres", { sdkOne, sdkMany, rawOne, rawMany: (rawMany / Math.max(1, rows.length - first.length)) * second.length, statements: perIngest })
      } finally {
        for (const pool of pools) await pool.end().catch(() => undefined)
        await admin.query(`DROP SCHEMA ${schema} CASCADE`)
        await admin.query(`DROP SCHEMA ${schema}_raw CASCADE`)
        await admin.end()
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return results
}

if (process.argv[1]?.endsWith("ingest-clients.ts")) {
  const args = process.argv.slice(2)
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined)
  const stores = value("--stores")
  const rows = await run({
    count: args.includes("--smoke") ? 800 : Number(value("--count") ?? 4000),
    clients: Number(value("--clients") ?? 16),
    only: stores === undefined ? undefined : new Set(stores.split(",")),
    databaseUrl: process.env["DATABASE_URL"] ?? ""
  })
  console.table(rows)
}
