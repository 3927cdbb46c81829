/**
 * A device's first pull of a district from a big pyramid: the sample pyramid (`--size 50k` default,
 * `--size 1M` or `--units 1000000`; `1k` under `--smoke`) imported on the server (PostgreSQL in a
 * fresh schema; PGlite in memory when `DATABASE_URL` is absent, said loudly), one user rooted at
 * the first district, and a fresh memory device pulling its scope through `httpSyncTransport` over
 * loopback HTTP (bench/sync-http-server.ts), pages of 1,000. The server answers a first pull
 * with a snapshot of the device's set up to the feed's head (before 2026-12-08 it read the
 * account's whole change feed, every unit's creation, and kept the district's units: its cost grew
 * with the pyramid), then the feed after that head. Beside it, the raw range query of the same units
 * (the materialised path prefix) over `pg` on the SDK's own table. Median of `--repeats` pulls
 * (3; 1 at 1M), each into a fresh device; ratio = raw time / SDK time.
 *
 *   node --conditions=@iaso/source bench/sync-pull.ts [--smoke] [--size 50k|1M] [--units 1000000] [--repeats 3]
 */
import { Actor, AccountId, createIaso, httpSyncTransport, MemoryStore, SyncClient } from "@iaso/core"
import { Effect } from "effect"
import { generatePyramid, type PyramidSize } from "./pyramid.ts"
import { startBenchSyncServer } from "./sync-http-server.ts"
import { openSyncServerStore, pathUpperBound, quantile, setupSyncWorld } from "./sync-world.ts"

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`

/** Runs the pull figure; rows in the shape of bench/run.ts's table. */
export const syncPullBench = async (options: {
  readonly size: PyramidSize
  readonly repeats: number
  readonly databaseUrl: string
}): Promise<ReadonlyArray<Record<string, string>>> => {
  const store = openSyncServerStore(options.databaseUrl, "bench_sync_pull", 4)
  let server: Awaited<ReturnType<typeof startBenchSyncServer>> | undefined
  try {
    const units = [...generatePyramid(options.size)]
    const district = units.find((unit) => unit.depth === 3)
    if (district === undefined) throw new Error("no district")
    const scope = units.filter((unit) => unit.path.startsWith(district.path)).length
    const importStart = performance.now()
    const world = await setupSyncWorld(store.iaso, units, [district])
    const importTime = performance.now() - importStart
    const user = world.users[0]
    if (user === undefined) throw new Error("no user")
    server = await startBenchSyncServer(store.iaso, new Map([[user.userId, user.actor]]))
    const transport = httpSyncTransport({ baseUrl: server.baseUrl, fetch, headers: { "x-bench-actor": user.userId } })
    const sdkTimes: Array<number> = []
    let pages = 0
    for (let r = 0; r < options.repeats; r++) {
      const device = createIaso({ store: MemoryStore.layer() })
      try {
        const start = performance.now()
        const report = await device
          .as(user.actor)
          .run(Effect.flatMap(Effect.service(SyncClient), (sync) => sync.pull(transport, { projectId: world.projectId, pageSize: 1000 })))
        sdkTimes.push(performance.now() - start)
        pages = report.pages
        const held = await device.as(Actor.system(AccountId.make(world.accountId))).orgUnits.search({ limit: 10_000, select: ["path"] })
        const outside = held.items.filter((unit) => !String(unit.path).startsWith(district.path)).length
        if (held.items.length !== scope || outside !== 0)
          throw new Error(`sync pull: the device holds ${held.items.length} units (${outside} outside the district), expected ${scope}`)
      } finally {
        await device.dispose()
      }
    }
    let rawTimes: Array<number> = []
    if (store.pg !== undefined) {
      const { pool, table } = store.pg
      const query = () =>
        pool.query(`SELECT * FROM ${table("OrgUnit")} WHERE "accountId" = $1 AND path >= $2 AND path < $3`, [
          world.accountId,
          district.path,
          pathUpperBound(district.path)
        ])
      for (let r = 0; r < 3; r++) await query()
      rawTimes = []
      for (let r = 0; r < Math.max(5, options.repeats); r++) {
        const start = performance.now()
        const result = await query()
        rawTimes.push(performance.now() - start)
        if (result.rowCount !== scope) throw new Error(`sync pull: the raw range query returned ${result.rowCount} units, not ${scope}`)
      }
    }
    const sdk = quantile(sdkTimes, 0.5)
    const raw = rawTimes.length === 0 ? undefined : quantile(rawTimes, 0.5)
    console.log(`sync pull on ${store.description}: ${units.length} units imported with the account, form and user in ${ms(importTime)}; ${pages} pages a pull`)
    return [
      {
        work: `first pull of a district (${scope} units) from a ${units.length}-unit pyramid into a memory device over HTTP (${pages} pages), median of ${sdkTimes.length}; raw: the range query`,
        adapter: store.description,
        sdk: `${ms(sdk)} (${Math.round((scope / sdk) * 1000)} units/s)`,
        raw: raw === undefined ? "-" : ms(raw),
        ratio: raw === undefined ? "-" : (raw / sdk).toFixed(4),
        "peak RSS": `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`
      }
    ]
  } finally {
    await server?.close()
    await store.close()
  }
}

if (process.argv[1]?.endsWith("sync-pull.ts")) {
  const args = process.argv.slice(2)
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
  const units = option("--units")
  const size = (
    args.includes("--smoke")
      ? "1k"
      : units !== undefined
        ? ({ "1000": "1k", "50000": "50k", "1000000": "1M" } as Record<string, PyramidSize>)[units]
        : (option("--size") ?? "50k")
  ) as PyramidSize
  if (!["1k", "50k", "1M"].includes(size)) throw new Error("--size takes 1k, 50k or 1M (--units 1000, 50000 or 1000000)")
  const rows = await syncPullBench({ size, repeats: Number(option("--repeats") ?? (size === "1M" ? 1 : 3)), databaseUrl: process.env["DATABASE_URL"] ?? "" })
  console.table(rows)
}
