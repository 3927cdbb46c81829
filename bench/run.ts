/**
 * Benchmarks: each SDK figure beside a raw baseline doing the same work on the same data in the
 * same run, as a ratio (raw time / SDK time: 1 means as fast as raw), with peak RSS.
 *
 *   npm run bench              # 50k pyramid
 *   npm run bench -- --smoke   # 1k pyramid (CI)
 *   npm run bench -- --size 1M
 */
import { Accounts, Actor, CurrentActor, Iaso, MemoryStore, OrgUnitModel, OrgUnits, Repos, type OrgUnit } from "@iaso/core"
import { Effect, Layer, ManagedRuntime } from "effect"
import { generatePyramid, type GeneratedUnit, type PyramidSize } from "./pyramid.ts"

const args = process.argv.slice(2)
const size: PyramidSize = args.includes("--smoke") ? "1k" : ((args[args.indexOf("--size") + 1] as PyramidSize | undefined) ?? "50k")
const repeats = args.includes("--smoke") ? 5 : 21

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
let peakRss = 0
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}
const rssTimer = setInterval(sampleRss, 50)
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`
const rows: Array<Record<string, string>> = []
const report = (work: string, adapter: string, sdk: number, raw: number) => {
  sampleRss()
  rows.push({ work, adapter, sdk: ms(sdk), raw: ms(raw), ratio: (raw / sdk).toFixed(2), "peak RSS": `${Math.round(peakRss / 2 ** 20)} MB` })
}

const units: ReadonlyArray<GeneratedUnit> = [...generatePyramid(size)]
const district = units.find((unit) => unit.depth === 3)
if (district === undefined) throw new Error("no district")

const runtime = ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(MemoryStore.layer())))
const run = <A, E>(effect: Effect.Effect<A, E, Repos | Accounts | OrgUnits>) => runtime.runPromise(effect)

// --- import ------------------------------------------------------------------------------------
const { account, version } = await run(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `bench ${Date.now()}` })))
const records = units.map((unit) => ({
  id: unit.id,
  name: unit.name,
  versionId: version.id,
  validationStatus: "VALID" as const,
  custom: false,
  extraFields: {},
  code: "",
  path: unit.path,
  depth: unit.depth,
  ...(unit.parentId === undefined ? {} : { parentId: unit.parentId }),
  ...(unit.location === undefined ? {} : { location: { type: "Point" as const, coordinates: [unit.location[0], unit.location[1]] as [number, number] } })
}))
const importStart = performance.now()
await run(
  Effect.gen(function* () {
    const repos = yield* Repos
    yield* repos.driver.transaction(
      Effect.forEach(
        Array.from({ length: Math.ceil(records.length / 5000) }, (_, i) => records.slice(i * 5000, (i + 1) * 5000)),
        (batch) => repos.insertMany(OrgUnitModel, account.id, batch, { atomic: true }),
        { discard: true }
      )
    )
  })
)
const importSdk = performance.now() - importStart
const rawStart = performance.now()
const raw = new Map<string, Record<string, unknown>>()
for (const record of records) raw.set(record.id, { ...record, accountId: account.id, version: 1, createdAt: 0, updatedAt: 0 })
const importRaw = performance.now() - rawStart
report(`import ${units.length} org units (one transaction)`, "memory", importSdk, importRaw)

// --- descendants of one district ---------------------------------------------------------------
const sdkTimes: Array<number> = []
const rawTimes: Array<number> = []
let sdkCount = 0
let rawCount = 0
for (let i = 0; i < repeats; i++) {
  const t0 = performance.now()
  const page = await run(
    Effect.flatMap(Effect.service(OrgUnits), (u) => u.descendants(district.id as OrgUnit["id"], { select: ["name"], limit: 10_000 })).pipe(
      Effect.provideService(CurrentActor, Actor.system(account.id))
    )
  )
  sdkTimes.push(performance.now() - t0)
  sdkCount = page.items.length
  const t1 = performance.now()
  const out: Array<readonly [unknown, unknown]> = []
  for (const row of raw.values()) {
    const path = row["path"] as string
    if (path.startsWith(district.path) && path !== district.path) out.push([row["id"], row["name"]])
  }
  out.sort((a, b) => String(a[0]).localeCompare(String(b[0])))
  rawTimes.push(performance.now() - t1)
  rawCount = out.length
}
if (sdkCount !== rawCount) throw new Error(`descendants: the SDK returned ${sdkCount} units, the baseline ${rawCount}`)
report(`descendants of one district (${sdkCount} units, ids and names), median of ${repeats}`, "memory", median(sdkTimes), median(rawTimes))

clearInterval(rssTimer)
await runtime.dispose()
console.log(`pyramid ${size}: ${units.length} units`)
console.table(rows)
