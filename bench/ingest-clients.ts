/**
 * Submission ingestion one by one and from concurrent clients, beside a raw baseline. N generated
 * ODK submissions (4k; 800 under --smoke) are ingested through `Instances.ingest` in one account:
 * the first half one by one (one client), the second half from C clients at once (16 by default),
 * each sending its share one by one. On PostgreSQL each client is a process of its own (this
 * script forked with `--client`: an SDK runtime with a pool of one connection, as a server fleet
 * runs), warmed up on 10 submissions of its own, then all told to go at once; on SQLite and PGlite,
 * which have one writer, the C clients are C concurrent fibers of one runtime. The raw baseline
 * inserts the very rows the SDK stored (the submission and its audit entry, read back from its
 * tables) into a second copy of its DDL (same indexes), one transaction per submission, one by one
 * and from C connections (pg), or one connection (SQLite: better-sqlite3 prepared inserts; PGlite).
 * On PostgreSQL the one-by-one half goes in chunks of 50 submissions, each followed by the raw
 * inserts of the rows it stored, so that both sides run under the same load.
 * Ratio = SDK rate / raw rate. On PostgreSQL the statements each ingestion sends are counted (every
 * client's `query` calls, `BEGIN` and `COMMIT` included), and what the C clients' backends do is
 * sampled from `pg_stat_activity` (running, idle: waiting for their client, or the wait event),
 * with the tables whose rows clients queue for (tuple locks, as a share of backend samples), and
 * the clients' CPU time per ingestion (user + system; the C clients' summed over their processes).
 *
 * `--accounts K` (PostgreSQL): the C clients spread over K accounts (client i in account i mod K)
 * instead of one, which tells what one account's correlation counter costs from what the store
 * does for all writers.
 *
 * Run: `node --conditions=@iaso/source bench/ingest-clients.ts [--smoke] [--count 4000] [--clients 16] [--accounts 1] [--stores sqlite,pglite,postgres]`
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
import { fork } from "node:child_process"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
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
  /** Statements per ingestion of the C clients (PostgreSQL). */
  readonly statementsMany?: number
  /** Client CPU time (user + system) per ingestion one by one, ms (PostgreSQL). */
  readonly cpuOne?: number
  /** Client CPU time per ingestion of the C clients, summed over their processes, ms (PostgreSQL). */
  readonly cpuMany?: number
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

/** Statements counted on a set of connections; `trace` collects their text (90 characters) while defined. */
interface StatementCounter {
  statements: number
  trace: Array<string> | undefined
}

/** The `application_name` of the benchmark's clients (what the wait sampler looks for). */
const APPLICATION = "iaso-bench-client"

/** A pool of one connection on `search`, whose `query` calls are counted in `counter`. */
const countedPool = (url: string, search: string, counter: StatementCounter, application = APPLICATION): pg.Pool => {
  const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${search}`, application_name: application })
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: Array<unknown>) => unknown
    ;(client as unknown as { query: (...args: Array<unknown>) => unknown }).query = (...args: Array<unknown>) => {
      counter.statements += 1
      if (counter.trace !== undefined) {
        const text = args[0]
        counter.trace.push(String(typeof text === "string" ? text : (text as { text?: string } | undefined)?.text).slice(0, 90))
      }
      return query(...args)
    }
  })
  return pool
}

/**
 * Samples what the benchmark's backends are doing (`pg_stat_activity`, every 5 ms, until
 * stopped): running, idle (waiting for their client), or the event they wait on.
 */
const waitSampler = (admin: pg.Pool) => {
  const counts = new Map<string, number>()
  let samples = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const result = await admin.query<{ state: string | null; type: string | null; event: string | null }>(
        `SELECT state, wait_event_type AS type, wait_event AS event FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
        [APPLICATION]
      )
      samples += 1
      // The tables whose rows are locked by one client while others queue for them (tuple locks).
      const tuples = await admin.query<{ relation: string }>(
        `SELECT l.relation::regclass::text AS relation FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'tuple' AND a.application_name = $1`,
        [APPLICATION]
      )
      for (const row of tuples.rows) counts.set(`tuple lock queue on ${row.relation}`, (counts.get(`tuple lock queue on ${row.relation}`) ?? 0) + 1)
      for (const row of result.rows) {
        const key = row.state !== "active" ? String(row.state) : row.type === null ? "active (running)" : `active, waiting ${row.type}:${row.event ?? ""}`
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      const total = [...counts.entries()].filter(([key]) => !key.startsWith("tuple lock")).reduce((a, [, n]) => a + n, 0)
      const shares: Record<string, string> = {}
      for (const [key, n] of [...counts.entries()].sort((a, b) => b[1] - a[1])) shares[key] = `${((n / Math.max(1, total)) * 100).toFixed(1)}%`
      return { samples, shares }
    }
  }
}

/**
 * Submissions each client process ingests before the clock starts (its connection, the form's
 * filter, and the JIT of a fresh process: a cold process is several times slower at first).
 */
const CLIENT_WARM_UP = 10

/** Submissions the one-by-one run ingests before the raw baseline inserts their rows (PostgreSQL), in turn. */
const ONE_BY_ONE_CHUNK = 50

/** What a client process is told: where and what to ingest. */
interface ClientPlan {
  readonly url: string
  readonly schema: string
  readonly account: Account
  readonly count: number
  readonly clients: number
  readonly index: number
}

/** What a client process answers: ready (warmed up), then done with its statements and failures. */
type ClientMessage =
  | { readonly _tag: "ready" }
  | { readonly _tag: "done"; readonly statements: number; readonly cpuMicros: number; readonly failures: ReadonlyArray<string> }

/** The CPU time (user + system, µs) this process spent since `since`. */
const cpuSince = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since)
  return used.user + used.system
}

/**
 * One client process: an SDK runtime on a pool of one connection; warms up on CLIENT_WARM_UP submissions of
 * its own, then, told to go, ingests its share of the second half one by one.
 */
const client = () =>
  process.once("message", async (plan: ClientPlan) => {
    const counter: StatementCounter = { statements: 0, trace: undefined }
    const pool = countedPool(plan.url, plan.schema, counter)
    const app = makeApp(PostgresStore.layer({ pool }))
    const warm = generateSubmissions(plan.clients * CLIENT_WARM_UP, 8).map((d) => new TextEncoder().encode(d.xml))
    await ingestAll(app, plan.account, warm.slice(plan.index * CLIENT_WARM_UP, (plan.index + 1) * CLIENT_WARM_UP))
    const documents = generateSubmissions(plan.count).map((d) => new TextEncoder().encode(d.xml))
    const share = shares(documents.slice(Math.floor(documents.length / 2)), plan.clients)[plan.index] ?? []
    process.once("message", async () => {
      const before = counter.statements
      const cpu = process.cpuUsage()
      failures.length = 0
      await ingestAll(app, plan.account, share)
      const done: ClientMessage = { _tag: "done", statements: counter.statements - before, cpuMicros: cpuSince(cpu), failures: [...failures] }
      process.send?.(done, () => {
        void app.dispose().then(() => pool.end().then(() => process.disconnect()))
      })
    })
    process.send?.({ _tag: "ready" } satisfies ClientMessage)
  })

/**
 * Runs the clients' half from `options.clients` processes (this script with `--client`): all
 * warmed up, then told to go at once; the wall time from then to the last one done.
 */
const forkClients = (
  options: { readonly count: number; readonly clients: number; readonly databaseUrl: string },
  schema: string,
  accounts: ReadonlyArray<Account>
) =>
  new Promise<{ readonly millis: number; readonly statements: number; readonly cpuMicros: number; readonly failures: ReadonlyArray<string> }>(
    (resolve, reject) => {
      const script = fileURLToPath(import.meta.url)
      let ready = 0
      let done = 0
      let statements = 0
      let cpuMicros = 0
      const failed: Array<string> = []
      let start = 0
      const procs = Array.from({ length: options.clients }, (_, index) => {
        const proc = fork(script, ["--client"], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
        proc.on("message", (message: ClientMessage) => {
          if (message._tag === "ready" && ++ready === options.clients) {
            start = performance.now()
            for (const p of procs) p.send("go")
          }
          if (message._tag === "done") {
            statements += message.statements
            cpuMicros += message.cpuMicros
            failed.push(...message.failures)
            if (++done === options.clients) resolve({ millis: performance.now() - start, statements, cpuMicros, failures: failed })
          }
        })
        proc.on("exit", (code) => {
          if (code !== 0) reject(new Error(`client ${index} exited with ${code}`))
        })
        const account = accounts[index % accounts.length] as Account
        proc.send({ url: options.databaseUrl, schema, account, count: options.count, clients: options.clients, index } satisfies ClientPlan)
        return proc
      })
    }
  )

const run = async (options: {
  readonly count: number
  readonly clients: number
  /** PostgreSQL: the accounts the C clients spread over (1: all in the first half's account). */
  readonly accounts: number
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
      [`statements/ingest (${options.clients})`]: m.statementsMany === undefined ? "-" : m.statementsMany.toFixed(1),
      "client CPU ms/ingest": m.cpuOne === undefined ? "-" : m.cpuOne.toFixed(2),
      [`client CPU ms/ingest (${options.clients})`]: m.cpuMany === undefined ? "-" : m.cpuMany.toFixed(2),
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
      const counter = { statements: 0, trace: undefined as Array<string> | undefined }
      const pools: Array<pg.Pool> = []
      const poolOf = (search: string, application = "iaso-bench-main") => {
        const pool = countedPool(options.databaseUrl, search, counter, application)
        pools.push(pool)
        return pool
      }
      try {
        const main = makeApp(PostgresStore.layer({ pool: poolOf(schema) }))
        const account = await setup(main, "postgres")
        // Warm the client (its connection, the form's filter): 2 submissions, not timed.
        await ingestAll(
          main,
          account,
          generateSubmissions(2, 7).map((d) => new TextEncoder().encode(d.xml))
        )
        counter.trace = []
        await ingestAll(
          main,
          account,
          generateSubmissions(1, 11).map((d) => new TextEncoder().encode(d.xml))
        )
        const trace = counter.trace
        console.log(`the statements of one ingestion on PostgreSQL (${trace.length}):\n${trace.map((line) => `  ${line}`).join("\n")}`)
        counter.trace = undefined
        // The raw baseline's tables (the SDK's DDL in a schema of their own) and connections.
        const creating = makeApp(PostgresStore.layer({ pool: poolOf(`${schema}_raw`) }))
        await creating.runPromise(Effect.void)
        await creating.dispose()
        const rawPools = Array.from({ length: options.clients }, () => poolOf(`${schema}_raw`, APPLICATION))
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
        const sdkPool = poolOf(schema)
        const rawFirst = insertOn(rawPools[0] as pg.Pool)
        // One by one, in chunks alternating with the raw baseline's inserts of the rows each chunk
        // stored: both sides under the same load (a shared machine's load drifts within a run).
        let sdkOne = 0
        let rawOne = 0
        let rawCount = 0
        let cpuMicros = 0
        let sdkStatements = 0
        let lastSeq: unknown = 0
        for (let at = 0; at < first.length; at += ONE_BY_ONE_CHUNK) {
          const chunk = first.slice(at, at + ONE_BY_ONE_CHUNK)
          const before = counter.statements
          const cpu = process.cpuUsage()
          let t = performance.now()
          await ingestAll(main, account, chunk)
          sdkOne += performance.now() - t
          cpuMicros += cpuSince(cpu)
          sdkStatements += counter.statements - before
          const instances = (
            await sdkPool.query(`SELECT * FROM "Instance" WHERE "accountId" = $1 AND "_seq" > $2 ORDER BY "_seq"`, [account.accountId, lastSeq])
          ).rows
          const audit = await sdkPool.query(`SELECT * FROM "AuditEntry" WHERE "accountId" = $1 AND "objectModel" = 'Instance' AND "objectId" = ANY($2)`, [
            account.accountId,
            instances.map((row) => row["id"])
          ])
          lastSeq = instances.at(-1)?.["_seq"] ?? lastSeq
          const rows = byInstance(instances, audit.rows)
          t = performance.now()
          for (const entry of rows) await rawFirst(entry.instance, entry.audit)
          rawOne += performance.now() - t
          rawCount += rows.length
        }
        const cpuOne = cpuMicros / 1000 / first.length
        const perIngest = sdkStatements / first.length
        await main.dispose()
        // C clients, each a process of its own with its SDK runtime and one connection.
        const sampler = waitSampler(admin)
        // More accounts than one: the clients spread over them (client i in account i modulo their number).
        const accounts = [account]
        for (let k = 1; k < options.accounts; k++) {
          const other = makeApp(PostgresStore.layer({ pool: poolOf(schema) }))
          accounts.push(await setup(other, `postgres ${k}`))
          await other.dispose()
        }
        const many = await forkClients(options, schema, accounts)
        const sdkWaits = await sampler.stop()
        failures.push(...many.failures)
        const all = byInstance(
          (await sdkPool.query(`SELECT * FROM "Instance" WHERE "accountId" = ANY($1) ORDER BY "_seq"`, [accounts.map((a) => a.accountId)])).rows,
          (await sdkPool.query(`SELECT * FROM "AuditEntry" WHERE "accountId" = ANY($1) AND "objectModel" = 'Instance'`, [accounts.map((a) => a.accountId)]))
            .rows
        )
        // In sequence order: the main client's warm-up and traced ingestion (3), its half, each
        // client's warm-up, the clients' half.
        const rows = all.slice(3 + first.length + options.clients * CLIENT_WARM_UP)
        const rawSampler = waitSampler(admin)
        const t = performance.now()
        await Promise.all(
          shares(rows, options.clients).map(async (share, i) => {
            const insert = insertOn(rawPools[i] as pg.Pool)
            for (const entry of share) await insert(entry.instance, entry.audit)
          })
        )
        const rawMany = performance.now() - t
        const rawWaits = await rawSampler.stop()
        console.log(`what the ${options.clients} SDK clients' backends were doing (share of ${sdkWaits.samples} samples):`, sdkWaits.shares)
        console.log(`what the ${options.clients} raw connections' backends were doing (share of ${rawWaits.samples} samples):`, rawWaits.shares)
        // Scaled to the documents sent (fewer rows when ingestions failed).
        record(options.accounts > 1 ? `postgres (${options.clients} clients in ${options.accounts} accounts)` : "postgres", {
          sdkOne,
          sdkMany: many.millis,
          rawOne: (rawOne / Math.max(1, rawCount)) * first.length,
          rawMany: (rawMany / Math.max(1, rows.length)) * second.length,
          statements: perIngest,
          statementsMany: many.statements / second.length,
          cpuOne,
          cpuMany: many.cpuMicros / 1000 / second.length
        })
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

if (process.argv[1]?.endsWith("ingest-clients.ts") && process.argv.includes("--client")) client()
else if (process.argv[1]?.endsWith("ingest-clients.ts")) {
  const args = process.argv.slice(2)
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined)
  const stores = value("--stores")
  const rows = await run({
    count: args.includes("--smoke") ? 800 : Number(value("--count") ?? 4000),
    clients: Number(value("--clients") ?? 16),
    accounts: Math.max(1, Number(value("--accounts") ?? 1)),
    only: stores === undefined ? undefined : new Set(stores.split(",")),
    databaseUrl: process.env["DATABASE_URL"] ?? ""
  })
  console.table(rows)
}
