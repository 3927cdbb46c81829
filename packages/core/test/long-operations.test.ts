/**
 * Progress and cancellation of the long operations (pyramid imports, the GeoJSON export, version
 * copies, `ingestMany`) on the memory store, SQLite and PGlite, through the Promise facade and in
 * Effect: progress is reported after each chunk with its total, an aborted signal rejects with
 * `Interrupted` and leaves every count as it was, and interrupting the fiber does the same.
 */
import { rejection } from "@iaso/core/testing"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Cause, Effect, Exit, Fiber, type Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  Accounts,
  Actor,
  type AnyModel,
  AuditEntryModel,
  BlobStore,
  createIaso,
  DataSourceModel,
  type DataSourceId,
  GroupModel,
  type IasoAs,
  importDhis2Pyramid,
  importGeoJsonPyramid,
  INGEST_BATCH,
  InstanceModel,
  Interrupted,
  MemoryStore,
  OrgUnitGroupMembershipModel,
  OrgUnitModel,
  OrgUnitTypeModel,
  type Progress,
  type ProjectId,
  type PyramidImportResult,
  SourceVersionModel,
  type Store,
  Versions
} from "../src/index.ts"
import { smallXForm } from "../src/testing/form-world.ts"

/** Units of the pyramids imported here: more than one write chunk of the engine (2,000). */
const UNITS = 3000

/** A FeatureCollection of a country and `UNITS - 1` districts, each in one of two groups. */
const collection = (prefix: string) => ({
  type: "FeatureCollection",
  groups: [
    { ref: `${prefix}-g1`, name: "Group one" },
    { ref: `${prefix}-g2`, name: "Group two" }
  ],
  features: Array.from({ length: UNITS }, (_, i) => ({
    type: "Feature",
    geometry: i === 0 ? null : { type: "Point", coordinates: [10 + (i % 100) / 100, 5 + Math.floor(i / 100) / 100] },
    properties:
      i === 0
        ? { ref: `${prefix}-0`, name: "Country", parent_ref: null, type: "Country", depth: 1 }
        : { ref: `${prefix}-${i}`, name: `District ${i}`, parent_ref: `${prefix}-0`, type: "District", depth: 2, group_refs: `${prefix}-g${1 + (i % 2)}` }
  }))
})

/** A DHIS2 payload of a country and `UNITS - 1` districts. */
const dhis2Payload = () => ({
  organisationUnits: Array.from({ length: UNITS }, (_, i) =>
    i === 0
      ? { id: "Country0000", name: "Country", level: 1 }
      : { id: `District${String(i).padStart(4, "0")}`, name: `District ${i}`, level: 2, parent: { id: "Country0000" } }
  )
})

/** The models whose counts an aborted operation must leave as they were. */
const MODELS: ReadonlyArray<AnyModel> = [
  DataSourceModel,
  SourceVersionModel,
  OrgUnitModel,
  OrgUnitTypeModel,
  GroupModel,
  OrgUnitGroupMembershipModel,
  AuditEntryModel,
  InstanceModel
]

/** How many records of each model the account holds. */
const counts = async (admin: IasoAs): Promise<Record<string, number>> => {
  const out: Record<string, number> = {}
  for (const model of MODELS) out[model.name] = await admin.records.count(model)
  return out
}

/** An `onProgress` that records every report and aborts `controller` at the first report of `phase`. */
const abortAt = (phase: string, controller: AbortController, seen: Array<Progress>) => (progress: Progress) => {
  seen.push(progress)
  if (progress.phase === phase) controller.abort(new Error(`stop at ${phase}`))
}

const stores: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<Store, unknown> }> = [
  { name: "memory", layer: () => MemoryStore.layer() },
  { name: "SQLite", layer: () => SqliteStore.layer({ filename: ":memory:" }) },
  { name: "PGlite", layer: () => PGliteStore.layer({}) }
]

describe.each(stores)("long operations on $name", ({ layer }) => {
  const iaso = createIaso({ store: layer(), blobs: BlobStore.memory() })
  afterAll(() => iaso.dispose())

  let admin: IasoAs
  let projectId: ProjectId
  let imported: PyramidImportResult
  const importReports: Array<Progress> = []
  let accounts = 0
  /** A new data source of the account's project. */
  const freshSource = async (): Promise<DataSourceId> => {
    accounts += 1
    return (await admin.sources.createDataSource({ name: `Source ${accounts}`, projectIds: [projectId] })).id
  }

  beforeAll(async () => {
    const setup = await iaso.accounts.setup({ name: "Long operations" })
    admin = iaso.as(Actor.system(setup.account.id))
    projectId = setup.project.id
    imported = await admin.pyramidImports.geoJson(collection("seed"), { dataSourceId: await freshSource(), onProgress: (p) => importReports.push(p) })
  })

  it("a GeoJSON import reports its read, each validation and write chunk of 2,000 units with the total, and each report once", () => {
    expect(imported.created).toBe(UNITS)
    expect(importReports).toEqual([
      { operation: "import", phase: "read", done: 3000, total: 3000 },
      { operation: "import", phase: "validate", done: 2000, total: 3000 },
      { operation: "import", phase: "validate", done: 3000, total: 3000 },
      { operation: "import", phase: "write", done: 2000, total: 3000 },
      { operation: "import", phase: "write", done: 3000, total: 3000 }
    ])
  })

  it("a GeoJSON import aborted after its first write chunk rejects with Interrupted and stores nothing", async () => {
    const dataSourceId = await freshSource()
    const before = await counts(admin)
    const controller = new AbortController()
    const seen: Array<Progress> = []
    const error = await rejection(
      admin.pyramidImports.geoJson(collection("aborted"), { dataSourceId, signal: controller.signal, onProgress: abortAt("write", controller, seen) })
    )
    expect(error).toBeInstanceOf(Interrupted)
    const { _tag, operation, message, cause } = error as Interrupted
    expect({ _tag, operation, message, cause }).toEqual({
      _tag: "Interrupted",
      operation: "import",
      message: "import aborted",
      cause: controller.signal.reason
    })
    expect(seen.map((p) => [p.phase, p.done])).toEqual([
      ["read", 3000],
      ["validate", 2000],
      ["validate", 3000],
      ["write", 2000]
    ])
    expect(await counts(admin)).toEqual(before)
  })

  it("a DHIS2 import in Effect with an aborted signal fails with Interrupted before reading anything", async () => {
    const dataSourceId = await freshSource()
    const before = await counts(admin)
    const controller = new AbortController()
    controller.abort()
    const seen: Array<Progress> = []
    const error = await admin.run(Effect.flip(importDhis2Pyramid(dhis2Payload(), { dataSourceId, signal: controller.signal, onProgress: (p) => seen.push(p) })))
    expect(error._tag).toBe("Interrupted")
    expect(seen).toEqual([])
    expect(await counts(admin)).toEqual(before)
  })

  it("a DHIS2 import aborted from its progress after the first write chunk stores nothing", async () => {
    const dataSourceId = await freshSource()
    const before = await counts(admin)
    const controller = new AbortController()
    const seen: Array<Progress> = []
    const error = await rejection(
      admin.pyramidImports.dhis2(dhis2Payload(), { dataSourceId, signal: controller.signal, onProgress: abortAt("write", controller, seen) })
    )
    expect(error).toBeInstanceOf(Interrupted)
    expect(seen.at(-1)).toEqual({ operation: "import", phase: "write", done: 2000, total: 3000 })
    expect(await counts(admin)).toEqual(before)
  })

  it("interrupting the fiber of a GeoJSON import after its first write chunk leaves the store as before", async () => {
    const dataSourceId = await freshSource()
    const before = await counts(admin)
    const exit = await admin.run(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          Effect.withFiber((self) =>
            importGeoJsonPyramid(collection("fiber"), {
              dataSourceId,
              onProgress: (p) => {
                if (p.phase === "write") self.interruptUnsafe()
              }
            })
          )
        )
        return yield* Fiber.await(fiber)
      })
    )
    expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
    expect(await counts(admin)).toEqual(before)
  })

  it("a version copy reports each batch of units and, aborted after the first, rejects with Interrupted and stores nothing", async () => {
    const before = await counts(admin)
    const controller = new AbortController()
    const seen: Array<Progress> = []
    const error = await rejection(
      admin.versions.copy({ sourceVersionId: imported.version.id, signal: controller.signal, onProgress: abortAt("write", controller, seen) })
    )
    expect(error).toBeInstanceOf(Interrupted)
    expect((error as Interrupted).operation).toBe("copy")
    expect(seen).toEqual([{ operation: "copy", phase: "write", done: 2000, total: 3000 }])
    expect(await counts(admin)).toEqual(before)

    const reports: Array<Progress> = []
    const copied = await admin.versions.copy({ sourceVersionId: imported.version.id, onProgress: (p) => reports.push(p) })
    expect(copied.orgUnits).toBe(UNITS)
    expect(reports).toEqual([
      { operation: "copy", phase: "write", done: 2000, total: 3000 },
      { operation: "copy", phase: "write", done: 3000, total: 3000 }
    ])
  })

  it("interrupting the fiber of a version copy after its first batch leaves the store as before", async () => {
    const before = await counts(admin)
    const exit = await admin.run(
      Effect.gen(function* () {
        const versions = yield* Versions
        const fiber = yield* Effect.forkChild(
          Effect.withFiber((self) => versions.copy({ sourceVersionId: imported.version.id, onProgress: () => self.interruptUnsafe() }))
        )
        return yield* Fiber.await(fiber)
      })
    )
    expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
    expect(await counts(admin)).toEqual(before)
  })

  it("the GeoJSON export reports the units read and written, and stops on its signal", async () => {
    const reports: Array<Progress> = []
    const exported = await admin.versions.exportGeoJson(imported.version.id, { onProgress: (p) => reports.push(p) })
    expect(exported.features.length).toBe(UNITS)
    expect(reports).toEqual([
      { operation: "export", phase: "read", done: 3000, total: 3000 },
      { operation: "export", phase: "write", done: 3000, total: 3000 }
    ])
    const controller = new AbortController()
    const error = await rejection(admin.versions.exportGeoJson(imported.version.id, { signal: controller.signal, onProgress: abortAt("read", controller, []) }))
    expect(error).toBeInstanceOf(Interrupted)
    expect((error as Interrupted).operation).toBe("export")
  })

  it("ingestMany reports after each chunk and, aborted after the first, keeps that chunk's submissions only", async () => {
    const form = await admin.forms.create({ name: "Visits", projectIds: [projectId] })
    await admin.formVersions.create({ formId: form.id, xform: { content: smallXForm("visits", "1", [{ name: "who", label: "Who" }]) } })
    const inputs = Array.from({ length: INGEST_BATCH + 20 }, (_, i) => ({
      formId: form.id,
      createdAt: new Date("2024-05-15T08:30:00Z"),
      xml: `<?xml version='1.0' ?><data id="visits" version="1"><who>Visitor ${i}</who><meta><instanceID>uuid:${crypto.randomUUID()}</instanceID></meta></data>`
    }))
    const before = await counts(admin)
    const controller = new AbortController()
    const seen: Array<Progress> = []
    const error = await rejection(admin.instances.ingestMany(inputs, { signal: controller.signal, onProgress: abortAt("write", controller, seen) }))
    expect(error).toBeInstanceOf(Interrupted)
    expect(seen).toEqual([{ operation: "ingest", phase: "write", done: INGEST_BATCH, total: INGEST_BATCH + 20 }])
    // The first chunk committed (a submission and its audit entry each); the second never started.
    const after = await counts(admin)
    expect(after).toEqual({
      ...before,
      [InstanceModel.name]: (before[InstanceModel.name] ?? 0) + INGEST_BATCH,
      [AuditEntryModel.name]: (before[AuditEntryModel.name] ?? 0) + INGEST_BATCH
    })

    // Sending them all again: the stored ones answer unchanged, the rest are created.
    const reports: Array<Progress> = []
    const items = await admin.instances.ingestMany(inputs, { onProgress: (p) => reports.push(p) })
    const outcomes = new Map<string, number>()
    for (const item of items) {
      const outcome = item._tag === "Ok" ? item.value.outcome : item._tag
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    }
    expect(Object.fromEntries(outcomes)).toEqual({ unchanged: INGEST_BATCH, created: 20 })
    expect(reports.map((p) => p.done)).toEqual([INGEST_BATCH, INGEST_BATCH + 20])
  })

  it("run executes any effect over the services as the actor, and its signal stops it with Interrupted", async () => {
    expect(await admin.run(Effect.map(Effect.service(Versions), (versions) => Object.keys(versions).sort()))).toEqual([
      "copy",
      "diff",
      "diffCsv",
      "exportGeoJson"
    ])
    // The client's own run needs no actor (host-app work).
    const found = await iaso.run(Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.findByName("Long operations")))
    expect(found._tag).toBe("Some")
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 10)
    const error = await rejection(admin.run(Effect.never, { signal: controller.signal }))
    expect(error).toBeInstanceOf(Interrupted)
    expect((error as Interrupted).cause).toBe(controller.signal.reason)
  })
})
