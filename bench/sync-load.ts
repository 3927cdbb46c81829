/**
 * Sync under load: a server on PostgreSQL (a fresh schema; PGlite in memory when `DATABASE_URL`
 * is absent, said loudly) answering the sync routes over loopback HTTP (bench/sync-http-server.ts,
 * `answerSync` behind `node:http`), a pyramid of D districts x F facilities under one country, one
 * user per district rooted there, and one simulated device per district (the first `--devices`
 * districts), each on a memory store, spread over `--threads` worker threads that run their devices
 * concurrently (bench/sync-load-worker.ts). Phases, every device in the same one:
 *
 * 1. pull: each device pulls its scope through `httpSyncTransport` (pages of 500 feed changes);
 * 2. (untimed) each device's units are checked to be all under its district, and its outbox is
 *    filled with S submissions, each with a 1 kB photo;
 * 3. push: each device pushes its outbox in batches, then enqueues every 10th submission again (an
 *    answer lost) and pushes those: the server must answer them `unchanged`.
 *
 * Then, on the server through the SDK (`instances.list`): exactly D x S submissions, each uuid
 * once. Reported: pulls/s and pages/s, submissions stored per second, p50/p99 latency of pull pages
 * and of push requests (timed in the devices around `fetch`, body included). Raw baselines on
 * PostgreSQL, the same number of concurrent clients over a `pg` pool as large as the server's:
 * each client's range query of its district's units on the SDK's own table (the materialised path
 * prefix), and each client's submissions (the same uuids, XML and photo bytes) inserted in
 * batches of the same size, one transaction each, `ON CONFLICT (uuid) DO NOTHING`, re-sends
 * included. Ratio = raw time / SDK time.
 *
 * Bounded: D devices, S submissions each, and `--time-limit` seconds (default 600) after which the
 * workers are stopped and the run fails.
 *
 *   node --conditions=@iaso/source bench/sync-load.ts [--smoke] [--devices 200] [--districts 200]
 *     [--facilities 10] [--submissions 50] [--batch 10] [--threads 4] [--time-limit 600]
 */
import { Worker } from "node:worker_threads"
import { Actor, AccountId, FormId, uuidv7 } from "@iaso/core"
import type { GeneratedUnit } from "./pyramid.ts"
import { startBenchSyncServer } from "./sync-http-server.ts"
import type { DeviceSpec, PhaseResult, WorkerInput } from "./sync-load-worker.ts"
import { DEVICE_PERMISSIONS, openSyncServerStore, pathUpperBound, quantile, setupSyncWorld, submissionXml } from "./sync-world.ts"

/** Options of {@link syncLoadBench}. */
export interface SyncLoadOptions {
  readonly devices: number
  readonly districts: number
  readonly facilities: number
  readonly submissions: number
  readonly batch: number
  readonly threads: number
  readonly timeLimitSeconds: number
  readonly databaseUrl: string
}

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`

/** country > districts > facilities, ids made now (UUIDv7). */
const loadPyramid = (districts: number, facilities: number): ReadonlyArray<GeneratedUnit> => {
  const unit = (parent: GeneratedUnit | undefined, name: string, type: GeneratedUnit["type"], location?: readonly [number, number]): GeneratedUnit => {
    const id = uuidv7()
    return { id, parentId: parent?.id, name, type, depth: (parent?.depth ?? 0) + 1, path: `${parent?.path ?? ""}${id}/`, location }
  }
  const country = unit(undefined, "Country", "Country")
  const out: Array<GeneratedUnit> = [country]
  for (let d = 0; d < districts; d++) {
    const district = unit(country, `District ${d + 1}`, "District")
    out.push(district)
    for (let f = 0; f < facilities; f++) out.push(unit(district, `Facility ${d + 1}.${f + 1}`, "Facility", [-13 + (f % 10) * 0.1, 7 + (d % 100) * 0.03]))
  }
  return out
}

/** A deterministic 1 kB "photo". */
const photo = (seed: number): Uint8Array => {
  const bytes = new Uint8Array(1024)
  let x = seed * 2654435761
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    bytes[i] = x >>> 24
  }
  bytes[0] = 0xff
  bytes[1] = 0xd8
  return bytes
}

/** Runs the load test; rows in the shape of bench/run.ts's table. Throws when a check fails. */
export const syncLoadBench = async (options: SyncLoadOptions): Promise<ReadonlyArray<Record<string, string>>> => {
  const started = performance.now()
  if (options.devices > options.districts) throw new Error(`--devices ${options.devices} exceeds --districts ${options.districts} (one device per district)`)
  const resendEvery = 10
  const store = openSyncServerStore(options.databaseUrl, "bench_sync_load", 8)
  const rows: Array<Record<string, string>> = []
  const workers: Array<Worker> = []
  let server: Awaited<ReturnType<typeof startBenchSyncServer>> | undefined
  let timeLimit: NodeJS.Timeout | undefined
  try {
    const units = loadPyramid(options.districts, options.facilities)
    const districts = units.filter((unit) => unit.type === "District")
    const world = await setupSyncWorld(store.iaso, units, districts.slice(0, options.devices))
    const setupTime = performance.now() - started
    server = await startBenchSyncServer(store.iaso, new Map(world.users.map((user) => [user.userId, user.actor])))
    const facilitiesOf = new Map<string, Array<string>>()
    for (const unit of units)
      if (unit.type === "Facility" && unit.parentId !== undefined) facilitiesOf.set(unit.parentId, [...(facilitiesOf.get(unit.parentId) ?? []), unit.id])
    let seed = 0
    const specs: Array<DeviceSpec> = world.users.map((user) => ({
      userId: user.userId,
      districtId: user.root.id,
      districtPath: user.root.path,
      submissions: Array.from({ length: options.submissions }, (_, n) => {
        const uuid = uuidv7()
        const facilities = facilitiesOf.get(user.root.id) ?? [user.root.id]
        return { uuid, xml: submissionXml(uuid, `Visitor ${n}`), orgUnitId: facilities[n % facilities.length] as string, photo: photo(++seed) }
      })
    }))
    const threads = Math.max(1, Math.min(options.threads, specs.length))
    const base: Omit<WorkerInput, "devices"> = {
      baseUrl: server.baseUrl,
      accountId: world.accountId,
      projectId: world.projectId,
      formId: world.formId,
      permissions: DEVICE_PERMISSIONS,
      pageSize: 500,
      pushBatch: options.batch,
      resendEvery
    }
    let failTimeLimit: (error: Error) => void = () => undefined
    const limit = new Promise<never>((_, reject) => {
      failTimeLimit = reject
    })
    limit.catch(() => undefined)
    timeLimit = setTimeout(() => failTimeLimit(new Error(`sync load: time limit of ${options.timeLimitSeconds} s reached`)), options.timeLimitSeconds * 1000)
    const pending: Array<Array<(result: PhaseResult) => void>> = []
    const ready: Array<Promise<PhaseResult>> = []
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(new URL("./sync-load-worker.ts", import.meta.url), {
        workerData: { ...base, devices: specs.filter((_, n) => n % threads === t) } satisfies WorkerInput
      })
      const queue: Array<(result: PhaseResult) => void> = []
      pending.push(queue)
      ready.push(new Promise<PhaseResult>((resolve) => queue.push(resolve)))
      worker.on("message", (result: PhaseResult) => queue.shift()?.(result))
      worker.on("error", (error) => failTimeLimit(error))
      workers.push(worker)
    }
    const next = (t: number) => new Promise<PhaseResult>((resolve) => pending[t]?.push(resolve))
    await Promise.race([Promise.all(ready), limit])
    /** Runs a phase in every worker at once; its results and wall time. */
    const phase = async (name: string) => {
      const start = performance.now()
      const results = await Promise.race([
        Promise.all(
          workers.map((worker, t) => {
            const answer = next(t)
            worker.postMessage(name)
            return answer
          })
        ),
        limit
      ])
      const time = performance.now() - start
      const errors = results.flatMap((result) => result.errors)
      if (errors.length > 0) throw new Error(`sync load, ${name}: ${errors.length} errors, first: ${errors.slice(0, 3).join(" | ")}`)
      const latencies = (route: string) => results.flatMap((result) => result.latencies[route] ?? [])
      const sum = (key: "pulls" | "pages" | "written" | "outside" | "applied" | "unchanged" | "rejected") =>
        results.reduce((total, result) => total + result[key], 0)
      return { time, latencies, sum, held: results.flatMap((result) => result.held) }
    }

    const pull = await phase("pull")
    const prepare = await phase("prepare")
    const push = await phase("push")
    for (const worker of workers) worker.postMessage("close")

    // Checks: what the devices hold, what the server stored.
    const expectedUnits = 1 + options.facilities
    if (pull.sum("pulls") !== specs.length) throw new Error(`sync load: ${pull.sum("pulls")} of ${specs.length} pulls finished`)
    if (prepare.sum("outside") !== 0) throw new Error(`sync load: devices received ${prepare.sum("outside")} units outside their district`)
    const wrongCounts = prepare.held.filter((count) => count !== expectedUnits).length
    if (wrongCounts !== 0) throw new Error(`sync load: ${wrongCounts} devices hold a number of units other than ${expectedUnits}`)
    const total = specs.length * options.submissions
    const resent = specs.length * Math.ceil(options.submissions / resendEvery)
    if (push.sum("applied") !== total || push.sum("unchanged") !== resent || push.sum("rejected") !== 0)
      throw new Error(
        `sync load: pushes applied ${push.sum("applied")} (expected ${total}), unchanged ${push.sum("unchanged")} (expected ${resent}), rejected ${push.sum("rejected")}`
      )
    const admin = store.iaso.as(Actor.system(AccountId.make(world.accountId)))
    const stored: Array<string> = []
    let cursor: string | undefined
    do {
      const page = await admin.instances.list({ formId: FormId.make(world.formId), limit: 10_000, ...(cursor === undefined ? {} : { cursor }) })
      for (const item of page.items) stored.push(String(item.instance.uuid))
      cursor = page.cursor
    } while (cursor !== undefined)
    const storedSet = new Set(stored)
    const expected = specs.flatMap((spec) => spec.submissions.map((submission) => submission.uuid))
    if (stored.length !== total || storedSet.size !== total || expected.some((uuid) => !storedSet.has(uuid)))
      throw new Error(`sync load: the server holds ${stored.length} submissions (${storedSet.size} uuids), expected ${total} each once`)

    // Raw baselines (PostgreSQL): the same number of concurrent clients over a pool as large as the server's.
    let rawPull: number | undefined
    let rawPush: number | undefined
    if (store.pg !== undefined) {
      const { pool, table } = store.pg
      const orgUnits = table("OrgUnit")
      const rawPullStart = performance.now()
      const counts = await Promise.all(
        specs.map(
          async (spec) =>
            (
              await pool.query(`SELECT * FROM ${orgUnits} WHERE "accountId" = $1 AND path >= $2 AND path < $3`, [
                world.accountId,
                spec.districtPath,
                pathUpperBound(spec.districtPath)
              ])
            ).rowCount
        )
      )
      rawPull = performance.now() - rawPullStart
      if (counts.some((count) => count !== expectedUnits)) throw new Error(`sync load: a raw range query returned other than ${expectedUnits} units`)
      const rawTable = table("bench_raw_submission")
      await pool.query(
        `CREATE TABLE ${rawTable} (uuid text PRIMARY KEY, "deviceUser" text NOT NULL, "formId" text NOT NULL, "orgUnitId" text NOT NULL, xml text NOT NULL, photo bytea NOT NULL, "createdAt" timestamptz NOT NULL)`
      )
      const insertBatch = async (userId: string, batch: DeviceSpec["submissions"]) => {
        const connection = await pool.connect()
        try {
          await connection.query("BEGIN")
          const values: Array<unknown> = []
          const tuples = batch.map((submission, n) => {
            values.push(
              submission.uuid,
              userId,
              world.formId,
              submission.orgUnitId,
              submission.xml,
              Buffer.from(submission.photo),
              new Date(Date.UTC(2026, 11, 7))
            )
            return `(${Array.from({ length: 7 }, (_, k) => `$${n * 7 + k + 1}`).join(", ")})`
          })
          await connection.query(`INSERT INTO ${rawTable} VALUES ${tuples.join(", ")} ON CONFLICT (uuid) DO NOTHING`, values)
          await connection.query("COMMIT")
        } finally {
          connection.release()
        }
      }
      const rawPushStart = performance.now()
      await Promise.all(
        specs.map(async (spec) => {
          for (let from = 0; from < spec.submissions.length; from += options.batch)
            await insertBatch(spec.userId, spec.submissions.slice(from, from + options.batch))
          const again = spec.submissions.filter((_, n) => n % resendEvery === 0)
          for (let from = 0; from < again.length; from += options.batch) await insertBatch(spec.userId, again.slice(from, from + options.batch))
        })
      )
      rawPush = performance.now() - rawPushStart
      const rawCount = Number((await pool.query(`SELECT count(*) AS n FROM ${rawTable}`)).rows[0]?.n)
      if (rawCount !== total) throw new Error(`sync load: the raw baseline stored ${rawCount} submissions, not ${total}`)
    }

    const pullPages = pull.latencies("pull")
    const pushRequests = push.latencies("push")
    const rss = `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`
    const adapter = store.description
    rows.push(
      {
        work: `sync load: ${specs.length} devices (${threads} worker threads) each pull their district (${expectedUnits} units) over HTTP; raw: each one's range query`,
        adapter,
        sdk: `${ms(pull.time)} (${((specs.length / pull.time) * 1000).toFixed(1)} pulls/s, ${((pullPages.length / pull.time) * 1000).toFixed(1)} pages/s)`,
        raw: rawPull === undefined ? "-" : ms(rawPull),
        ratio: rawPull === undefined ? "-" : (rawPull / pull.time).toFixed(3),
        "peak RSS": rss
      },
      {
        work: `sync load: pull page latency, p50 / p99 of ${pullPages.length} pages`,
        adapter,
        sdk: `${ms(quantile(pullPages, 0.5))} / ${ms(quantile(pullPages, 0.99))}`,
        raw: "-",
        ratio: "-",
        "peak RSS": rss
      },
      {
        work: `sync load: ${specs.length} devices push ${options.submissions} submissions each (1 kB photo, batches of ${options.batch}; every ${resendEvery}th re-sent); raw: pg inserts ON CONFLICT DO NOTHING`,
        adapter,
        sdk: `${ms(push.time)} (${((total / push.time) * 1000).toFixed(0)} stored/s)`,
        raw: rawPush === undefined ? "-" : `${ms(rawPush)} (${((total / rawPush) * 1000).toFixed(0)}/s)`,
        ratio: rawPush === undefined ? "-" : (rawPush / push.time).toFixed(3),
        "peak RSS": rss
      },
      {
        work: `sync load: push request latency, p50 / p99 of ${pushRequests.length} requests`,
        adapter,
        sdk: `${ms(quantile(pushRequests, 0.5))} / ${ms(quantile(pushRequests, 0.99))}`,
        raw: "-",
        ratio: "-",
        "peak RSS": rss
      }
    )
    console.log(
      `sync load on ${adapter}: setup ${ms(setupTime)}, outbox filling ${ms(prepare.time)} (untimed), ${total} submissions stored once each, ` +
        `no unit outside a device's district; served ${JSON.stringify(server.served)}; total ${ms(performance.now() - started)}`
    )
    return rows
  } finally {
    clearTimeout(timeLimit)
    await Promise.all(workers.map((worker) => worker.terminate()))
    await server?.close()
    await store.close()
  }
}

if (process.argv[1]?.endsWith("sync-load.ts")) {
  const args = process.argv.slice(2)
  const smoke = args.includes("--smoke")
  const option = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback)
  const rows = await syncLoadBench({
    devices: option("--devices", smoke ? 10 : 200),
    districts: option("--districts", smoke ? 10 : 200),
    facilities: option("--facilities", 10),
    submissions: option("--submissions", smoke ? 5 : 50),
    batch: option("--batch", 10),
    threads: option("--threads", smoke ? 2 : 4),
    timeLimitSeconds: option("--time-limit", smoke ? 120 : 600),
    databaseUrl: process.env["DATABASE_URL"] ?? ""
  })
  console.table(rows)
}
