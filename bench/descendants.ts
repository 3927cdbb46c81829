/**
 * Descendants of a district, the SDK beside the raw range query, repeatedly on one imported
 * pyramid: the pyramid is imported once into a kept SQLite file and PostgreSQL schema (reused by
 * later runs of the same size), then both sides are timed in turns, in the same process.
 *
 *   node --conditions=@iaso/source bench/descendants.ts --size 50k --stores sqlite,postgres --rounds 300
 *   node --conditions=@iaso/source bench/descendants.ts --size 50k --fresh   # import again
 *   node --conditions=@iaso/source bench/descendants.ts --size 50k --drop    # remove the kept copies
 *
 * PostgreSQL runs when DATABASE_URL is set; the kept copies live in `$TMPDIR/iaso-descendants-<size>.*`
 * and the schema `iaso_descendants_<size>`. Each round times both sides, each first every other round;
 * the figures are medians of wall time and of this process's CPU time (steadier on a loaded machine).
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Accounts, Actor, CurrentActor, type OrgUnit, OrgUnits, type Store } from "@iaso/core"
import { IasoWithRepos, type Repos } from "@iaso/core/kernel"
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"
import { type GeneratedUnit, generatePyramid, importRecordOf, importUnits, type PyramidSize } from "./pyramid.ts"

const args = process.argv.slice(2)
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const size = (option("--size") ?? "50k") as PyramidSize
if (!["1k", "50k", "1M"].includes(size)) throw new Error(`--size takes 1k, 50k or 1M, not ${size}`)
const rounds = Number(option("--rounds") ?? "200")
const stores = new Set((option("--stores") ?? "sqlite,postgres").split(","))
const databaseUrl = process.env["DATABASE_URL"] ?? ""
const base = join(tmpdir(), `iaso-descendants-${size}`)
const schema = `iaso_descendants_${size.toLowerCase()}`

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

if (args.includes("--drop") || args.includes("--fresh")) {
  for (const suffix of [".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite.json", ".postgres.json"]) rmSync(`${base}${suffix}`, { force: true })
  if (databaseUrl !== "") {
    const admin = new pg.Client({ connectionString: databaseUrl })
    await admin.connect()
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  }
  if (args.includes("--drop")) process.exit(0)
}

// One pass over the pyramid, not kept: a million units held in the heap would make every
// collection dearer, for the side that allocates more (the SDK) more than for the raw query.
let district: GeneratedUnit | undefined
let expected = 0
let count = 0
for (const unit of generatePyramid(size)) {
  count++
  if (district === undefined && unit.depth === 3) district = unit
  else if (district !== undefined && unit.path.startsWith(district.path)) expected++
}
if (district === undefined) throw new Error("no district")
const root = district
const upper = `${root.path.slice(0, -1)}0`

interface Side {
  readonly name: string
  readonly store: Layer.Layer<Store, unknown>
  /** The raw range query on the SDK's own table: the number of rows. */
  readonly raw: () => Promise<number>
  readonly close: () => Promise<void>
}

const sides: Array<() => Promise<Side>> = []
if (stores.has("sqlite"))
  sides.push(async () => {
    const file = `${base}.sqlite`
    const store = SqliteStore.layer({ filename: file })
    let db: Database.Database | undefined
    let select: Database.Statement | undefined
    return {
      name: "sqlite",
      store,
      raw: async () => {
        db ??= new Database(file, { readonly: true })
        select ??= db.prepare(`SELECT id, name FROM "OrgUnit" WHERE path >= ? AND path < ? AND path <> ?`)
        return select.all(root.path, upper, root.path).length
      },
      close: async () => {
        db?.close()
      }
    }
  })
if (stores.has("postgres") && databaseUrl !== "")
  sides.push(async () => {
    const admin = new pg.Client({ connectionString: databaseUrl })
    await admin.connect()
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await admin.end()
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, options: `-c search_path=${schema}` })
    return {
      name: "postgres",
      store: PostgresStore.layer({ pool }),
      raw: async () =>
        (await pool.query({ text: `SELECT id, name FROM "OrgUnit" WHERE path >= $1 AND path < $2 AND path <> $1`, values: [root.path, upper] })).rows.length,
      close: () => pool.end()
    }
  })

for (const open of sides) {
  const side = await open()
  const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(side.store)))
  const run = <A, E>(effect: Effect.Effect<A, E, Repos | Accounts | OrgUnits>) => app.runPromise(effect)
  const marker = `${base}.${side.name}.json`
  let accountId: string
  if (existsSync(marker)) accountId = (JSON.parse(readFileSync(marker, "utf8")) as { accountId: string }).accountId
  else {
    const { account, version } = await run(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `descendants ${side.name}` })))
    const start = performance.now()
    await run(
      importUnits(
        account.id,
        Array.from(generatePyramid(size), (unit) => importRecordOf(unit, version.id))
      )
    )
    console.log(`${side.name}: imported ${count} units in ${((performance.now() - start) / 1000).toFixed(1)} s`)
    writeFileSync(marker, JSON.stringify({ accountId: account.id }))
    accountId = account.id
  }
  const actor = Actor.system(accountId as Parameters<typeof Actor.system>[0])
  const descendants = Effect.flatMap(Effect.service(OrgUnits), (u) => u.descendants(root.id as OrgUnit["id"], { select: ["name"], limit: 10_000 })).pipe(
    Effect.provideService(CurrentActor, actor)
  )
  /** One timed call: its result's size, wall time and this process's CPU time (ms). */
  const timed = async (call: () => Promise<number>) => {
    const cpu = process.cpuUsage()
    const start = performance.now()
    const n = await call()
    const wall = performance.now() - start
    const usage = process.cpuUsage(cpu)
    return { n, wall, cpu: (usage.user + usage.system) / 1000 }
  }
  const sdkCall = async () => (await run(descendants)).items.length
  const sdkTimes: Array<number> = []
  const rawTimes: Array<number> = []
  const sdkCpu: Array<number> = []
  const rawCpu: Array<number> = []
  for (let i = 0; i < rounds + 20; i++) {
    // In turns, each side first every other round: neither always follows the other's garbage.
    const sdkFirst = i % 2 === 0
    const first = await timed(sdkFirst ? sdkCall : side.raw)
    const second = await timed(sdkFirst ? side.raw : sdkCall)
    const [sdk, raw] = sdkFirst ? [first, second] : [second, first]
    if (sdk.n !== expected || raw.n !== expected) throw new Error(`${side.name}: the SDK read ${sdk.n}, raw ${raw.n}, expected ${expected}`)
    if (i >= 20) {
      sdkTimes.push(sdk.wall)
      rawTimes.push(raw.wall)
      sdkCpu.push(sdk.cpu)
      rawCpu.push(raw.cpu)
    }
  }
  const sdk = median(sdkTimes)
  const raw = median(rawTimes)
  const [sdkCpuMedian, rawCpuMedian] = [median(sdkCpu), median(rawCpu)]
  console.log(
    `${side.name} ${size}: ${expected} descendants, SDK ${sdk.toFixed(3)} ms, raw ${raw.toFixed(3)} ms, ratio ${(raw / sdk).toFixed(2)} (medians of ${rounds}); this process's CPU time: SDK ${sdkCpuMedian.toFixed(3)} ms, raw ${rawCpuMedian.toFixed(3)} ms, ratio ${(rawCpuMedian / sdkCpuMedian).toFixed(2)}`
  )
  await app.dispose()
  await side.close()
}
