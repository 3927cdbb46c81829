/**
 * GeoPackage import and export on the Promise API (`geoPackages(admin)` of `@iaso/geopackage/node`
 * and `geoPackages(admin, SQL)` of `@iaso/geopackage/sqljs`) on the memory store, SQLite and
 * PGlite: progress after each page, layer and chunk; an aborted signal rejects with
 * `Interrupted`, leaves every count as it was and keeps no blob of the file; an effect run without
 * a GeoPackage driver says which layer to provide.
 */
import { rejection } from "@iaso/core/testing"
import { createHash } from "node:crypto"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { SqliteStore } from "@iaso/adapter-sqlite"
import {
  type AnyModel,
  Actor,
  AuditEntryModel,
  BlobStore,
  createIaso,
  type DataSourceId,
  GroupModel,
  type IasoAs,
  type IasoContext,
  ImportGPKGModel,
  Interrupted,
  MemoryStore,
  OrgUnitModel,
  type Progress,
  type ProjectId,
  type PyramidImportResult,
  SourceVersionModel,
  type Store
} from "@iaso/core"
import { GPKG_DRIVER_KEY, type GeoPackageImportResult, importGeoPackage } from "@iaso/geopackage"
import { geoPackages } from "@iaso/geopackage/node"
import { geoPackages as sqlJsGeoPackages } from "@iaso/geopackage/sqljs"
import { Effect, type Layer } from "effect"
import initSqlJs from "sql.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

/** Units of the pyramid: more than one write chunk of the import engine (2,000). */
const UNITS = 3000

/** A FeatureCollection of a country and `UNITS - 1` districts with points. */
const collection = {
  type: "FeatureCollection",
  groups: [{ ref: "g1", name: "Group one" }],
  features: Array.from({ length: UNITS }, (_, i) => ({
    type: "Feature",
    geometry: i === 0 ? null : { type: "Point", coordinates: [10 + (i % 100) / 100, 5 + Math.floor(i / 100) / 100] },
    properties:
      i === 0
        ? { ref: "c0", name: "Country", parent_ref: null, type: "Country", depth: 1 }
        : { ref: `d${i}`, name: `District ${i}`, parent_ref: "c0", type: "District", depth: 2, group_refs: "g1" }
  }))
}

const MODELS: ReadonlyArray<AnyModel> = [SourceVersionModel, OrgUnitModel, GroupModel, ImportGPKGModel, AuditEntryModel]

/** How many records of each model the account holds. */
const counts = async (admin: IasoAs): Promise<Record<string, number>> => {
  const out: Record<string, number> = {}
  for (const model of MODELS) out[model.name] = await admin.records.count(model)
  return out
}

const stores: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<Store, unknown> }> = [
  { name: "memory", layer: () => MemoryStore.layer() },
  { name: "SQLite", layer: () => SqliteStore.layer({ filename: ":memory:" }) },
  { name: "PGlite", layer: () => PGliteStore.layer({}) }
]

describe.each(stores)("GeoPackages on the Promise API, $name store", ({ layer }) => {
  const iaso = createIaso({ store: layer(), blobs: BlobStore.memory() })
  afterAll(() => iaso.dispose())

  let admin: IasoAs
  let projectId: ProjectId
  let seeded: PyramidImportResult
  let sources = 0
  const freshSource = async (): Promise<DataSourceId> => {
    sources += 1
    return (await admin.sources.createDataSource({ name: `GeoPackages ${sources}`, projectIds: [projectId] })).id
  }
  beforeAll(async () => {
    const setup = await iaso.accounts.setup({ name: "GeoPackage promises" })
    admin = iaso.as(Actor.system(setup.account.id))
    projectId = setup.project.id
    seeded = await admin.pyramidImports.geoJson(collection, { dataSourceId: await freshSource() })
  })

  it("exports a version reporting its reads and each layer written, and imports the file back reporting each chunk", async () => {
    const exportReports: Array<Progress> = []
    const bytes = await geoPackages(admin).export(seeded.version.id, { onProgress: (p) => exportReports.push(p) })
    expect(exportReports).toEqual([
      { operation: "export", phase: "read", done: 3000, total: 3000 },
      { operation: "export", phase: "write", done: 1, total: 3000 },
      { operation: "export", phase: "write", done: 3000, total: 3000 }
    ])
    const importReports: Array<Progress> = []
    const result = await geoPackages(admin).import(bytes, { dataSourceId: await freshSource(), onProgress: (p) => importReports.push(p) })
    expect([result.created, result.layers.map((l) => [l.table, l.features])]).toEqual([
      UNITS,
      [
        ["level-1-Country", 1],
        ["level-2-District", 2999]
      ]
    ])
    expect(importReports.map((p) => [p.phase, p.done, p.total])).toEqual([
      ["read", 3000, 3000],
      ["validate", 2000, 3000],
      ["validate", 3000, 3000],
      ["write", 2000, 3000],
      ["write", 3000, 3000]
    ])
  })

  it("an import aborted after its first write chunk rejects with Interrupted, stores nothing and keeps no blob of the file", async () => {
    const bytes = await geoPackages(admin).export(seeded.version.id)
    const dataSourceId = await freshSource()
    const before = await counts(admin)
    const controller = new AbortController()
    const seen: Array<string> = []
    const error = await rejection(
      geoPackages(admin).import(bytes, {
        dataSourceId,
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(`${p.phase} ${p.done}`)
          if (p.phase === "write") controller.abort()
        }
      })
    )
    expect(error).toBeInstanceOf(Interrupted)
    expect((error as Interrupted).operation).toBe("import")
    expect(seen).toEqual(["read 3000", "validate 2000", "validate 3000", "write 2000"])
    expect(await counts(admin)).toEqual(before)
    const key = `sha256/${createHash("sha256").update(bytes).digest("hex")}`
    expect(await admin.run(Effect.flatMap(Effect.service(BlobStore), (blobs) => blobs.has(key)))).toBe(false)
  })

  it("an export aborted after its reads rejects with Interrupted", async () => {
    const controller = new AbortController()
    const error = await rejection(
      geoPackages(admin).export(seeded.version.id, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === "read") controller.abort()
        }
      })
    )
    expect(error).toBeInstanceOf(Interrupted)
    expect((error as Interrupted).operation).toBe("export")
  })

  it("through sql.js, the same export imports back with the same units", async () => {
    const SQL = await initSqlJs()
    const bytes = await sqlJsGeoPackages(admin, SQL).export(seeded.version.id)
    const result = await sqlJsGeoPackages(admin, SQL).import(bytes, { dataSourceId: await freshSource() })
    expect([result.created, result.groupsCreated]).toEqual([UNITS, 1])
  })

  it("an effect run without a GeoPackage driver dies naming the layers to provide", async () => {
    const bytes = await geoPackages(admin).export(seeded.version.id)
    // What a runtime without the driver's layer runs (the types would ask for GpkgDriver).
    const withoutDriver = importGeoPackage(bytes, { dataSourceId: await freshSource() }) as unknown as Effect.Effect<
      GeoPackageImportResult,
      unknown,
      IasoContext
    >
    const error = await rejection(admin.run(withoutDriver))
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe(`Service not found: ${GPKG_DRIVER_KEY}`)
    expect(GPKG_DRIVER_KEY).toBe(
      "@iaso/geopackage/GpkgDriver (provide BetterSqlite3Gpkg.layer from @iaso/geopackage/node, or SqlJsGpkg.layer(SQL) from @iaso/geopackage/sqljs)"
    )
  })
})
