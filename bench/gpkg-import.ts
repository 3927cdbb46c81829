/**
 * A GeoPackage import's time and peak memory, each in a process of its own (bench/run.ts runs it):
 *
 *   node --conditions=@iaso/source bench/gpkg-import.ts --write FILE --size 1M
 *       writes the sample pyramid of that size as a GeoPackage (`writeSampleGeoPackage`, one level at a time)
 *   node --conditions=@iaso/source bench/gpkg-import.ts --import FILE [--store sqlite|postgres] [--no-worker]
 *       imports FILE with `importGeoPackageFile` into a fresh store (SQLite file, or PostgreSQL at
 *       DATABASE_URL in a schema of its own), with `ImportWorkers.layer` unless --no-worker, and
 *       prints one JSON line: units, milliseconds, peak RSS and RSS before the import (bytes), peak RSS by phase (MB)
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PostgresStore } from "@iaso/adapter-postgres"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Accounts, Actor, CurrentActor, type Store } from "@iaso/core"
import { IasoWithRepos } from "@iaso/core/kernel"
import { FileBlobStore, ImportWorkers } from "@iaso/core/node"
import { writeSampleGeoPackage } from "@iaso/geopackage"
import { fromBetterSqlite3, importGeoPackageFile } from "@iaso/geopackage/node"
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import pg from "pg"
import type { PyramidSize } from "./pyramid.ts"

const args = process.argv.slice(2)
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)

const written = option("--write")
const imported = option("--import")
if (written !== undefined) {
  const db = fromBetterSqlite3(new Database(written))
  try {
    writeSampleGeoPackage(db, (option("--size") ?? "50k") as PyramidSize)
  } finally {
    db.close()
  }
} else if (imported !== undefined) {
  let peakRss = 0
  // The peak RSS in each phase of the import: "check" until the file is read, "references" (the
  // blob and the engine's first read) until the first validation report, then the engine's phases.
  let phase = "check"
  const peaks: Record<string, number> = {}
  const sample = () => {
    const rss = process.memoryUsage().rss
    peakRss = Math.max(peakRss, rss)
    peaks[phase] = Math.max(peaks[phase] ?? 0, Math.round(rss / 2 ** 20))
  }
  const timer = setInterval(sample, 20)
  const dir = mkdtempSync(join(tmpdir(), "iaso-gpkg-bench-"))
  const databaseUrl = process.env["DATABASE_URL"] ?? ""
  const schema = `iaso_gpkg_bench_${process.pid}`
  let store: Layer.Layer<Store, unknown>
  let cleanup = async () => {}
  if (option("--store") === "postgres") {
    const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 })
    await admin.query(`CREATE SCHEMA ${schema}`)
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, options: `-c search_path=${schema}` })
    store = PostgresStore.layer({ pool })
    cleanup = async () => {
      await pool.end()
      await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      await admin.end()
    }
  } else store = SqliteStore.layer({ filename: join(dir, "sdk.sqlite") })
  const workers = args.includes("--no-worker") ? Layer.empty : ImportWorkers.layer()
  const app = ManagedRuntime.make(
    IasoWithRepos.layer.pipe(Layer.provideMerge(store), Layer.provideMerge(workers), Layer.provideMerge(FileBlobStore.layer({ directory: join(dir, "blobs") })))
  )
  const { account, dataSource } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `gpkg bench ${Date.now()}` })))
  sample()
  const baseRss = process.memoryUsage().rss
  const start = performance.now()
  const result = await app.runPromise(
    importGeoPackageFile(imported, {
      dataSourceId: dataSource.id,
      versionNumber: 1,
      defaultValid: true,
      onProgress: (progress) => {
        phase = progress.phase === "read" ? "references" : progress.phase
      }
    }).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
  )
  const ms = performance.now() - start
  sample()
  clearInterval(timer)
  await app.dispose()
  await cleanup()
  rmSync(dir, { recursive: true, force: true })
  console.log(JSON.stringify({ units: result.created, ms, peakRss, baseRss, peakMbByPhase: peaks }))
} else {
  console.error("usage: gpkg-import.ts --write FILE --size 1k|50k|1M, or --import FILE [--store sqlite|postgres] [--no-worker]")
  process.exitCode = 2
}
