/**
 * A GeoPackage file imported in bounded memory: `importGeoPackageFile` hands the engine a source
 * that reads the file's units in chunks (never the whole pyramid), the engine reads it three times
 * (references, validation, writes), and the stored units are those of the same file imported from
 * its bytes, with the worker threads of `ImportWorkers.layer` as without them.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import Database from "better-sqlite3"
import {
  Accounts,
  Actor,
  BlobStore,
  CurrentActor,
  ImportEncoder,
  Iaso,
  MemoryStore,
  OrgUnitModel,
  PyramidImports,
  type PyramidInput,
  type PyramidSource,
  Records,
  Sources,
  samplePyramidCount
} from "@iaso/core"
import { ImportWorkers } from "@iaso/core/node"
import { unitsByRef } from "@iaso/core/testing"
import { importGeoPackage, ROWS_PER_CHUNK, writeSampleGeoPackage } from "@iaso/geopackage"
import { BetterSqlite3Gpkg, fromBetterSqlite3, importGeoPackageFile } from "@iaso/geopackage/node"

const runtime = ManagedRuntime.make(Layer.mergeAll(Iaso.layer, BlobStore.memory(), BetterSqlite3Gpkg.layer).pipe(Layer.provide(MemoryStore.layer())))
const workers = ManagedRuntime.make(ImportWorkers.layer())
const dir = mkdtempSync(join(tmpdir(), "gpkg-streaming-"))
const file = join(dir, "sample-1k.gpkg")

let admin: Actor
let projectId: string

beforeAll(async () => {
  const db = fromBetterSqlite3(new Database(file))
  writeSampleGeoPackage(db, "1k", 3)
  db.close()
  const setup = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "GeoPackage streaming" })))
  admin = Actor.system(setup.account.id)
  projectId = setup.project.id
})
afterAll(async () => {
  await workers.dispose()
  await runtime.dispose()
  rmSync(dir, { recursive: true, force: true })
})

/** The units of a version, ids replaced by refs, in ref order. */
const unitsOf = (versionId: string) =>
  Effect.gen(function* () {
    const records = yield* Records
    const units: Array<typeof OrgUnitModel.schema.Type> = []
    let cursor: string | undefined
    do {
      const page = yield* records.list(OrgUnitModel, {
        where: [{ field: "versionId", op: "eq", value: versionId }],
        limit: 1000,
        ...(cursor === undefined ? {} : { cursor })
      })
      units.push(...page.items)
      cursor = page.cursor
    } while (cursor !== undefined)
    return unitsByRef(units)
  })

const freshSource = (name: string) =>
  runtime.runPromise(
    Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name, projectIds: [projectId as never] })).pipe(
      Effect.provideService(CurrentActor, admin)
    )
  )

describe("a GeoPackage file imported in chunks", () => {
  it("reads the file's units in chunks of at most ROWS_PER_CHUNK, three times, and stores what importing its bytes stores, with and without worker threads", async () => {
    const real = await runtime.runPromise(Effect.service(PyramidImports))
    const seen: Array<{ readonly kind: string; readonly chunks: Array<number> }> = []
    const spy = PyramidImports.of({
      ...real,
      pyramid: (input: PyramidInput | PyramidSource, options) => {
        if (!("readUnits" in input)) {
          seen.push({ kind: "array", chunks: [input.units.length] })
          return real.pyramid(input, options)
        }
        const chunks: Array<number> = []
        seen.push({ kind: "source", chunks })
        return real.pyramid(
          {
            groups: input.groups,
            readUnits: (each) =>
              input.readUnits((chunk) =>
                Effect.suspend(() => {
                  chunks.push(chunk.length)
                  return each(chunk)
                })
              )
          },
          options
        )
      }
    })
    const worker = await workers.runPromise(Effect.service(ImportEncoder))
    const run = async (fromFile: boolean, withWorker: boolean) => {
      const source = await freshSource(`${fromFile ? "file" : "bytes"} ${withWorker ? "worker" : "in-thread"}`)
      const imported = fromFile
        ? importGeoPackageFile(file, { dataSourceId: source.id, defaultValid: true })
        : importGeoPackage(new Uint8Array(readFileSync(file)), { dataSourceId: source.id, defaultValid: true })
      return runtime.runPromise(
        Effect.gen(function* () {
          const result = yield* imported
          return { created: result.created, layers: result.layers.map((layer) => [layer.table, layer.features]), units: yield* unitsOf(result.version.id) }
        }).pipe(
          Effect.provideService(PyramidImports, spy),
          Effect.provideService(CurrentActor, admin),
          withWorker ? Effect.provideService(ImportEncoder, worker) : (effect) => effect
        )
      )
    }
    const fromFile = await run(true, false)
    const fromBytes = await run(false, false)
    const fromFileWithWorker = await run(true, true)
    const total = samplePyramidCount("1k")
    expect([fromFile.created, fromFile.units.length, fromFile.layers]).toEqual([
      total,
      total,
      [
        ["level-1-Country", 1],
        ["level-2-Region", 2],
        ["level-3-District", 4],
        ["level-4-Area", 20],
        ["level-5-Facility", 980]
      ]
    ])
    expect(fromBytes.units).toEqual(fromFile.units)
    expect(fromFileWithWorker.units).toEqual(fromFile.units)
    // Each read hands each layer's rows over in chunks of ROWS_PER_CHUNK (1,000), then the rest.
    expect(ROWS_PER_CHUNK).toBe(1000)
    expect(seen.map((s) => s.kind)).toEqual(["source", "source", "source"])
    for (const { chunks } of seen) expect(chunks).toEqual([1, 2, 4, 20, 980, 1, 2, 4, 20, 980, 1, 2, 4, 20, 980])
  })
})
