/**
 * Benchmarks: each SDK figure beside a raw baseline doing the same work on the same rows and the
 * same DDL in the same run, as a ratio (raw time / SDK time: 1.00 means as fast as the raw
 * baseline), with the peak RSS of the process.
 *
 *   npm run bench              # 50k pyramid, every store (PostgreSQL when DATABASE_URL is set)
 *   npm run bench -- --smoke   # 1k pyramid (CI)
 *   npm run bench -- --size 1M
 *   npm run bench -- --no-ingest                # no submission ingestion
 *   npm run bench -- --no-storage               # no storage log import (bench/storage-logs.ts)
 *   npm run bench -- --no-sync                  # no sync benchmarks (bench/sync-load.ts, sync-pull.ts, sync-indexeddb.ts)
 *   npm run bench -- --stores sqlite,postgres   # some stores only (memory, sqlite, pglite, postgres, indexeddb, sync)
 *   npm run bench -- --worker                   # the SDK imports encode in a worker thread (ImportWorkers.layer; default: in the calling thread)
 *   npm run bench -- --no-gpkg                  # no GeoPackage file import (bench/gpkg-import.ts, a process of its own)
 *   npm run bench -- --import-only              # the stores' imports alone (no descendants or move rows)
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Accounts, Actor, CurrentActor, MemoryStore, type OrgUnit, OrgUnits, type Store } from "@iaso/core"
import { IasoWithRepos, type Repos } from "@iaso/core/kernel"
import { ImportWorkers } from "@iaso/core/node"
import { PGlite } from "@electric-sql/pglite"
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"
import { indexedDbBench } from "./indexeddb.ts"
import { ingestBench } from "./ingest.ts"
import { storageLogBench } from "./storage-logs.ts"
import { syncIndexedDbBench } from "./sync-indexeddb.ts"
import { syncLoadBench } from "./sync-load.ts"
import { syncPullBench } from "./sync-pull.ts"
import { generatePyramid, type GeneratedUnit, importRecordOf, importUnits, type PyramidSize } from "./pyramid.ts"

const args = process.argv.slice(2)
const smoke = args.includes("--smoke")
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const size = (smoke ? "1k" : (option("--size") ?? "50k")) as PyramidSize
if (!["1k", "50k", "1M"].includes(size)) throw new Error(`--size takes 1k, 50k or 1M, not ${size}`)
const repeats = smoke ? 5 : 21
const worker = args.includes("--worker")
const importOnly = args.includes("--import-only")
const databaseUrl = process.env["DATABASE_URL"] ?? ""

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
let peakRss = 0
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}
const rssTimer = setInterval(sampleRss, 50)
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`
const rows: Array<Record<string, string>> = []
const report = (work: string, adapter: string, sdk: number, raw: number | undefined) => {
  sampleRss()
  rows.push({
    work,
    adapter,
    sdk: ms(sdk),
    raw: raw === undefined ? "-" : ms(raw),
    ratio: raw === undefined ? "-" : (raw / sdk).toFixed(2),
    "peak RSS": `${Math.round(peakRss / 2 ** 20)} MB`
  })
}
const timed = async <A>(f: () => Promise<A>): Promise<[A, number]> => {
  const start = performance.now()
  const value = await f()
  return [value, performance.now() - start]
}

const units: ReadonlyArray<GeneratedUnit> = [...generatePyramid(size)]
const district = units.find((unit) => unit.depth === 3)
if (district === undefined) throw new Error("no district")
const dir = mkdtempSync(join(tmpdir(), "iaso-bench-"))

/** The import records of the pyramid, for one version. */
const recordsOf = (versionId: string) => units.map((unit) => importRecordOf(unit, versionId))

/** The stored rows (the SDK's columns) of the pyramid, for raw baselines. */
const storedRows = (accountId: string, versionId: string) =>
  units.map((unit) => ({
    id: unit.id,
    accountId,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    name: unit.name,
    custom: false,
    validationStatus: "VALID",
    versionId,
    parentId: unit.parentId ?? null,
    path: unit.path,
    depth: unit.depth,
    extraFields: "{}",
    code: "",
    location: unit.location === undefined ? null : JSON.stringify({ type: "Point", coordinates: unit.location }),
    nameKey: unit.name.toLowerCase(),
    // The bounding box the SDK derives from the location (a point's box is the point).
    bboxWest: unit.location?.[0] ?? null,
    bboxSouth: unit.location?.[1] ?? null,
    bboxEast: unit.location?.[0] ?? null,
    bboxNorth: unit.location?.[1] ?? null,
    seq: 0
  }))

interface Baseline {
  /** Inserts the rows into a second, empty copy of the same DDL. */
  readonly insert: (rows: ReturnType<typeof storedRows>) => Promise<void>
  /** Ids and names of a subtree, straight from the driver, on the SDK's own table. */
  readonly descendants: (prefix: string) => Promise<number>
  /** Rewrites the paths of a subtree (a move) in the raw copy, in one transaction; returns the rows changed. */
  readonly move: (from: string, to: string) => Promise<number>
  readonly close: () => Promise<void>
}

/** One store under test. */
interface Target {
  readonly name: string
  readonly store: () => Layer.Layer<Store, unknown>
  readonly baseline?: () => Promise<Baseline>
}

/** The few things the PostgreSQL baselines need from a client (pg or PGlite). */
interface SqlClient {
  readonly query: (text: string, values?: ReadonlyArray<unknown>) => Promise<{ readonly rows: number; readonly changed: number }>
}

/**
 * The raw PostgreSQL baseline (pg or PGlite): `unnest` inserts of 10,000 rows a statement in one
 * transaction into a second copy of the SDK's DDL, the subtree query on the SDK's own table, and
 * the path rewrite of a move in the copy.
 */
const postgresBaseline = (
  inRawTransaction: <A>(work: (client: SqlClient) => Promise<A>) => Promise<A>,
  sdkTables: SqlClient,
  close: () => Promise<void>
): Baseline => ({
  insert: (rowsToInsert) =>
    inRawTransaction(async (client) => {
      for (let i = 0; i < rowsToInsert.length; i += 10_000) {
        const chunk = rowsToInsert.slice(i, i + 10_000)
        const column = <K extends keyof (typeof chunk)[number]>(key: K) => chunk.map((row) => row[key])
        await client.query(
          `INSERT INTO "OrgUnit" (id, "accountId", version, "createdAt", "updatedAt", name, custom, "validationStatus", "versionId", "parentId", path, depth, "extraFields", code, location, "nameKey", "bboxWest", "bboxSouth", "bboxEast", "bboxNorth", _seq)
           SELECT id, a, 1, 0, 0, n, false, 'VALID', v, p, pa, d, '{}'::jsonb, '', l::jsonb, k, w, s, e, nn, 0 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::float8[], $11::float8[], $12::float8[], $13::float8[]) AS t(id, a, n, v, p, pa, d, l, k, w, s, e, nn)`,
          [
            column("id"),
            column("accountId"),
            column("name"),
            column("versionId"),
            column("parentId"),
            column("path"),
            column("depth"),
            column("location"),
            column("nameKey"),
            column("bboxWest"),
            column("bboxSouth"),
            column("bboxEast"),
            column("bboxNorth")
          ]
        )
      }
    }),
  descendants: async (prefix) =>
    (await sdkTables.query(`SELECT id, name FROM "OrgUnit" WHERE path >= $1 AND path < $2 AND path <> $1`, [prefix, `${prefix.slice(0, -1)}0`])).rows,
  move: (from, to) =>
    inRawTransaction(
      async (client) =>
        (
          await client.query(
            `UPDATE "OrgUnit" SET path = $1 || substr(path, $2::int), depth = depth + $3::int, version = version + 1 WHERE path >= $4 AND path < $5`,
            [to, from.length + 1, to.split("/").length - from.split("/").length, from, `${from.slice(0, -1)}0`]
          )
        ).changed
    ),
  close
})

const stores = option("--stores")
const only = stores === undefined ? undefined : new Set(stores.split(","))
/** The SDK's PGlite, opened only when PGlite is measured (it holds a few hundred MB). */
const sdkLite = only === undefined || only.has("pglite") ? await PGlite.create() : undefined
const sqliteFile = join(dir, "sdk.sqlite")
const targets: Array<Target> = [
  { name: "memory", store: () => MemoryStore.layer() },
  {
    name: "sqlite (file)",
    store: () => SqliteStore.layer({ filename: sqliteFile }),
    baseline: async () => {
      // The same DDL: let the SDK create it in a second file, then write with raw prepared statements.
      const rawFile = join(dir, "raw.sqlite")
      const creating = ManagedRuntime.make(SqliteStore.layer({ filename: rawFile }))
      await creating.runPromise(Effect.void)
      await creating.dispose()
      const raw = new Database(rawFile)
      raw.pragma("journal_mode = WAL")
      raw.pragma("synchronous = NORMAL")
      const sdk = new Database(sqliteFile, { readonly: true })
      const insert = raw.prepare(
        `INSERT INTO "OrgUnit" (id, "accountId", version, "createdAt", "updatedAt", name, custom, "validationStatus", "versionId", "parentId", path, depth, "extraFields", code, location, "nameKey", "bboxWest", "bboxSouth", "bboxEast", "bboxNorth", _seq) VALUES (@id, @accountId, @version, @createdAt, @updatedAt, @name, 0, @validationStatus, @versionId, @parentId, @path, @depth, @extraFields, @code, @location, @nameKey, @bboxWest, @bboxSouth, @bboxEast, @bboxNorth, @seq)`
      )
      const select = sdk.prepare(`SELECT id, name FROM "OrgUnit" WHERE path >= ? AND path < ? AND path <> ?`)
      const rewrite = raw.prepare(`UPDATE "OrgUnit" SET path = ? || substr(path, ?), depth = depth + ?, version = version + 1 WHERE path >= ? AND path < ?`)
      return {
        insert: async (rowsToInsert) => {
          raw.transaction(() => {
            for (const row of rowsToInsert) insert.run(row)
          })()
        },
        descendants: async (prefix) => select.all(prefix, `${prefix.slice(0, -1)}0`, prefix).length,
        move: async (from, to) =>
          raw.transaction(() =>
            Number(rewrite.run(to, from.length + 1, to.split("/").length - from.split("/").length, from, `${from.slice(0, -1)}0`).changes)
          )(),
        close: async () => {
          raw.close()
          sdk.close()
        }
      }
    }
  },
  {
    name: "pglite",
    store: () => PGliteStore.layer(sdkLite === undefined ? {} : { pglite: sdkLite }),
    baseline: async () => {
      if (sdkLite === undefined) throw new Error("PGlite was not opened")
      const rawLite = await PGlite.create()
      const creating = ManagedRuntime.make(PGliteStore.layer({ pglite: rawLite }))
      await creating.runPromise(Effect.void)
      await creating.dispose()
      const client = (lite: PGlite): SqlClient => ({
        query: async (text, values) => {
          const result = await lite.query(text, values === undefined ? [] : [...values])
          return { rows: result.rows.length, changed: result.affectedRows ?? 0 }
        }
      })
      return postgresBaseline(
        (work) =>
          rawLite.transaction((tx) =>
            work({
              query: async (text, values) => {
                const result = await tx.query(text, values === undefined ? [] : [...values])
                return { rows: result.rows.length, changed: result.affectedRows ?? 0 }
              }
            })
          ),
        client(sdkLite),
        async () => {
          await rawLite.close()
          await sdkLite.close()
        }
      )
    }
  }
]
if (databaseUrl !== "") {
  const schema = `iaso_bench_${process.pid}`
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}_raw`)
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, options: `-c search_path=${schema}` })
  const clientOf = (queryable: pg.Pool | pg.PoolClient): SqlClient => ({
    query: async (text, values) => {
      const result = await queryable.query({ text, values: values === undefined ? [] : [...values] })
      return { rows: result.rows.length, changed: result.rowCount ?? 0 }
    }
  })
  targets.push({
    name: "postgres",
    store: () => PostgresStore.layer({ pool }),
    baseline: async () => {
      const rawPool = new pg.Pool({ connectionString: databaseUrl, max: 1, options: `-c search_path=${schema}_raw` })
      const creating = ManagedRuntime.make(PostgresStore.layer({ pool: rawPool }))
      await creating.runPromise(Effect.void)
      await creating.dispose()
      return postgresBaseline(
        async (work) => {
          const connection = await rawPool.connect()
          try {
            await connection.query("BEGIN")
            const value = await work(clientOf(connection))
            await connection.query("COMMIT")
            return value
          } finally {
            connection.release()
          }
        },
        clientOf(pool),
        async () => {
          await rawPool.end()
          await pool.end()
          await admin.query(`DROP SCHEMA ${schema} CASCADE`)
          await admin.query(`DROP SCHEMA ${schema}_raw CASCADE`)
          await admin.end()
        }
      )
    }
  })
}

for (const target of targets.filter((t) => only === undefined || only.has(t.name.split(" ")[0] ?? t.name))) {
  const app = ManagedRuntime.make(
    IasoWithRepos.layer.pipe(Layer.provideMerge(target.store()), Layer.provideMerge(worker ? ImportWorkers.layer() : Layer.empty))
  )
  const run = <A, E>(effect: Effect.Effect<A, E, Repos | Accounts | OrgUnits>) => app.runPromise(effect)
  const { account, version } = await run(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `bench ${target.name} ${Date.now()}` })))
  const records = recordsOf(version.id)
  const [, importSdk] = await timed(() => run(importUnits(account.id, records)))
  const baseline = target.baseline === undefined ? undefined : await target.baseline()
  let importRaw: number | undefined
  if (baseline !== undefined) [, importRaw] = await timed(() => baseline.insert(storedRows(account.id, version.id)))
  else if (target.name === "memory") {
    const map = new Map<string, unknown>()
    ;[, importRaw] = await timed(async () => {
      for (const row of storedRows(account.id, version.id)) map.set(row.id, row)
    })
  }
  report(`import ${units.length} org units (one transaction, ${worker ? "worker" : "in-thread"})`, target.name, importSdk, importRaw)
  if (importOnly) {
    await baseline?.close()
    await app.dispose()
    continue
  }

  const sdkTimes: Array<number> = []
  const rawTimes: Array<number> = []
  let sdkCount = 0
  let rawCount = 0
  const descendantsSdk = () =>
    run(
      Effect.flatMap(Effect.service(OrgUnits), (u) => u.descendants(district.id as OrgUnit["id"], { select: ["name"], limit: 10_000 })).pipe(
        Effect.provideService(CurrentActor, Actor.system(account.id))
      )
    )
  // Both sides get the same untimed warm-up rounds (compiled code, statement caches, buffers).
  for (let i = 0; i < 5; i++) {
    await descendantsSdk()
    await baseline?.descendants(district.path)
  }
  for (let i = 0; i < repeats; i++) {
    const [page, t] = await timed(descendantsSdk)
    sdkTimes.push(t)
    sdkCount = page.items.length
    if (baseline !== undefined) {
      const [n, r] = await timed(() => baseline.descendants(district.path))
      rawTimes.push(r)
      rawCount = n
    }
  }
  if (baseline !== undefined && sdkCount !== rawCount)
    throw new Error(`${target.name} descendants: the SDK returned ${sdkCount} units, the raw query ${rawCount}`)
  report(
    `descendants of one district (${sdkCount} units, ids and names), median of ${repeats}`,
    target.name,
    median(sdkTimes),
    baseline === undefined ? undefined : median(rawTimes)
  )
  // Move a region (with all of its districts, areas and facilities) under another region.
  const regions = units.filter((unit) => unit.depth === 2)
  const moved = regions[0]
  const destination = regions[1]
  if (moved !== undefined && destination !== undefined) {
    const subtree = units.filter((unit) => unit.path.startsWith(moved.path)).length
    const [, moveSdk] = await timed(() =>
      run(
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(moved.id as OrgUnit["id"], destination.id as OrgUnit["id"])).pipe(
          Effect.provideService(CurrentActor, Actor.system(account.id))
        )
      )
    )
    let moveRaw: number | undefined
    if (baseline !== undefined) {
      let changed = 0
      ;[changed, moveRaw] = await timed(() => baseline.move(moved.path, `${destination.path}${moved.id}/`))
      if (changed !== subtree) throw new Error(`${target.name} move: the raw update changed ${changed} rows, not ${subtree}`)
    }
    report(`move a subtree of ${subtree} units under another parent`, target.name, moveSdk, moveRaw)
  }
  await baseline?.close()
  await app.dispose()
}

// A GeoPackage file of the pyramid imported with importGeoPackageFile (bench/gpkg-import.ts), each
// step in a process of its own: its peak RSS is the import's alone.
if (!args.includes("--no-gpkg")) {
  const file = join(dir, `pyramid-${size}.gpkg`)
  const script = join(import.meta.dirname, "gpkg-import.ts")
  const node = (flags: ReadonlyArray<string>, extra: ReadonlyArray<string>) =>
    execFileSync(process.execPath, [...process.execArgv, ...flags, script, ...extra], { encoding: "utf8", maxBuffer: 1 << 24 })
  node([], ["--write", file, "--size", size])
  const gpkgStores = ["sqlite", ...(databaseUrl === "" ? [] : ["postgres"])].filter((store) => only === undefined || only.has(store))
  for (const store of gpkgStores) {
    // V8's old space capped at 640 MB: uncapped, V8 lets a long import's garbage grow its heap
    // (a 1M import: 1.45 GB RSS uncapped, 0.87 GB capped; what the import keeps alive is far less).
    const line =
      node(["--max-old-space-size=640"], ["--import", file, "--store", store, ...(worker ? [] : ["--no-worker"])])
        .trim()
        .split("\n")
        .pop() ?? "{}"
    const measured = JSON.parse(line) as { readonly units: number; readonly ms: number; readonly peakRss: number; readonly baseRss: number }
    rows.push({
      work: `GeoPackage file import, ${measured.units} units (importGeoPackageFile, ${worker ? "worker" : "in-thread"}; own process, old space 640 MB, RSS before ${Math.round(measured.baseRss / 2 ** 20)} MB)`,
      adapter: store,
      sdk: ms(measured.ms),
      raw: "-",
      ratio: "-",
      "peak RSS": `${Math.round(measured.peakRss / 2 ** 20)} MB`
    })
  }
}

// Submission ingestion (bench/ingest.ts): 10k generated submissions, 1k under --smoke.
if (!args.includes("--no-ingest")) rows.push(...(await ingestBench({ count: smoke ? 1000 : 10_000, only, databaseUrl })))

// Storage log import (bench/storage-logs.ts): 100k logs in batches of 1,000, 1k under --smoke.
if (!args.includes("--no-storage"))
  rows.push(...(await storageLogBench({ count: smoke ? 1000 : 100_000, movingCount: smoke ? 1000 : 10_000, only, databaseUrl })))

// Sync (bench/sync-load.ts, bench/sync-pull.ts): devices in worker threads against a server on
// PostgreSQL (PGlite without DATABASE_URL) over loopback HTTP; 10 devices x 5 submissions and a 1k
// pyramid's district under --smoke, 200 x 50 and the run's pyramid (50k or 1M) otherwise.
if (!args.includes("--no-sync") && (only === undefined || only.has("sync"))) {
  rows.push(
    ...(await syncLoadBench({
      devices: smoke ? 10 : 200,
      districts: smoke ? 10 : 200,
      facilities: 10,
      submissions: smoke ? 5 : 50,
      batch: 10,
      threads: smoke ? 2 : 4,
      timeLimitSeconds: smoke ? 120 : 600,
      databaseUrl
    }))
  )
  rows.push(...(await syncPullBench({ size, repeats: size === "1M" ? 1 : 3, databaseUrl })))
  // A whole pyramid pulled into IndexedDB in Chromium (the 50k one at most: 1M would take hours).
  rows.push(...(await syncIndexedDbBench({ size: size === "1M" ? "50k" : size, databaseUrl })))
}

// IndexedDB in headless Chromium (bench/indexeddb.ts): the same pyramid, the SDK beside raw idb and Dexie.
if (only === undefined || only.has("indexeddb")) rows.push(...(await indexedDbBench({ size, repeats })))

clearInterval(rssTimer)
rmSync(dir, { recursive: true, force: true })
console.log(`pyramid ${size}: ${units.length} units${databaseUrl === "" ? " (PostgreSQL skipped: DATABASE_URL is not set)" : ""}`)
console.table(rows)
