/**
 * The Promise facade offers `tasks` and `devices`: an import launched as a task runs in the
 * client's process and ends SUCCESS with its result, as every built-in kind does (DHIS2 import,
 * version copy, ingestion, mobile bulk upload from a blob); a kind given to
 * `createIaso({ taskKinds })` is launched and run like the built-in ones; positions posted twice
 * are stored once.
 */
import { Effect, Schema } from "effect"
import { zipSync } from "fflate"
import { afterAll, describe, expect, it } from "vitest"
import { Actor, BlobStore, BUILTIN_TASK_KINDS, createIaso, defineTaskKind, type IasoAs, MemoryStore, type Task, type TaskId } from "../src/index.ts"
import { smallXForm } from "../src/testing/form-world.ts"

/** Echoes its input's text, reporting one step. */
const echo = defineTaskKind({
  name: "echo",
  input: Schema.Struct({ text: Schema.String }),
  run: ({ text }, options) =>
    Effect.sync(() => {
      options.onProgress?.({ operation: "echo", phase: "write", done: 1, total: 1 })
      return { echoed: text }
    })
})

const iaso = createIaso({ store: MemoryStore.layer(), taskKinds: [...BUILTIN_TASK_KINDS, echo] })
afterAll(() => iaso.dispose())

/** The task once it has ended. */
const ended = async (api: IasoAs, id: TaskId): Promise<Task> => {
  for (let waited = 0; waited < 500; waited++) {
    const task = await api.tasks.get(id)
    if (task.status !== "QUEUED" && task.status !== "RUNNING") return task
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return api.tasks.get(id)
}

describe("tasks and devices through the Promise facade", () => {
  it("runs a launched GeoJSON import and a registered kind in process, each ending SUCCESS with its result", async () => {
    const setup = await iaso.accounts.setup({ name: "facade tasks" })
    const api = iaso.as(Actor.system(setup.account.id))
    const collection = {
      type: "FeatureCollection",
      features: [{ type: "Feature", geometry: null, properties: { ref: "c", name: "Country", parent_ref: null, type: "Country", depth: 1 } }]
    }
    const launched = await api.tasks.launch("import_geojson", { collection, dataSourceId: setup.dataSource.id })
    expect(launched.status).toBe("QUEUED")
    const imported = await ended(api, launched.id)
    expect([imported.status, (imported.result as { readonly data: { readonly created: number } }).data.created]).toEqual(["SUCCESS", 1])
    const echoed = await ended(api, (await api.tasks.launch("echo", { text: "hello" })).id)
    expect([echoed.status, echoed.result, echoed.progressValue, echoed.endValue, echoed.progressMessage]).toEqual([
      "SUCCESS",
      { result: "SUCCESS", data: { echoed: "hello" } },
      1,
      1,
      "echo write 1/1"
    ])
    expect((await api.tasks.list({ name: "echo" })).map((task) => task.id)).toEqual([echoed.id])
  })

  it("runs the built-in kinds copy_version, import_dhis2 and ingest_many, each ending SUCCESS with its counts", async () => {
    const setup = await iaso.accounts.setup({ name: "facade task kinds" })
    const api = iaso.as(Actor.system(setup.account.id))
    const payload = {
      organisationUnits: [
        { id: "Country0001", name: "Country", level: 1 },
        { id: "District001", name: "District", level: 2, parent: { id: "Country0001" } }
      ]
    }
    const dhis2 = await ended(api, (await api.tasks.launch("import_dhis2", { payload, dataSourceId: setup.dataSource.id, versionNumber: 3 })).id)
    expect([dhis2.status, (dhis2.result as { readonly data: { readonly created: number; readonly versionNumber: number } }).data]).toEqual([
      "SUCCESS",
      expect.objectContaining({ created: 2, versionNumber: 3, skipped: 0, duplicates: 0, warnings: 0 })
    ])
    const versionId = (dhis2.result as { readonly data: { readonly versionId: string } }).data.versionId
    const copy = await ended(api, (await api.tasks.launch("copy_version", { sourceVersionId: versionId, destinationNumber: 4 })).id)
    expect([copy.status, (copy.result as { readonly data: unknown }).data]).toEqual([
      "SUCCESS",
      expect.objectContaining({ versionNumber: 4, versionCreated: true, orgUnits: 2, deletedOrgUnits: 0 })
    ])
    const form = await api.forms.create({ name: "Visits", projectIds: [setup.project.id] })
    await api.formVersions.create({ formId: form.id, xform: { content: smallXForm("visits", "1", [{ name: "who", label: "Who" }]) } })
    const uploads = ["Ada", "Bo"].map((who) => ({
      formId: form.id,
      createdAt: Date.parse("2024-05-15T08:30:00Z"),
      xml: `<?xml version='1.0' ?><data id="visits" version="1"><who>${who}</who><meta><instanceID>uuid:${crypto.randomUUID()}</instanceID></meta></data>`
    }))
    const ingested = await ended(api, (await api.tasks.launch("ingest_many", { uploads: [...uploads, { ...uploads[0], formId: crypto.randomUUID() }] })).id)
    expect([ingested.status, ingested.result]).toEqual([
      "SUCCESS",
      {
        result: "SUCCESS",
        data: { created: 2, edited: 0, unchanged: 0, failed: 1, failures: [{ index: 2, error: "NotFound", message: expect.any(String) }] }
      }
    ])
  })

  it("runs a mobile bulk upload whose zip is a blob, and fails a task whose blob is missing with NotFound kept", async () => {
    const setup = await iaso.accounts.setup({ name: "facade bulk upload task" })
    const api = iaso.as(Actor.system(setup.account.id))
    const zip = zipSync({ "instances.json": new TextEncoder().encode("[]") })
    const blob = await api.run(Effect.flatMap(Effect.service(BlobStore), (blobs) => blobs.put(zip, { mediaType: "application/zip" })))
    const done = await ended(api, (await api.tasks.launch("mobile_bulk_upload", { archiveBlobKey: blob.key, projectId: setup.project.id })).id)
    expect([done.status, done.result]).toEqual([
      "SUCCESS",
      { result: "SUCCESS", data: { orgUnitsCreated: 0, orgUnitsSkipped: 0, instances: {}, filesAdded: 0 } }
    ])
    const missing = await ended(api, (await api.tasks.launch("mobile_bulk_upload", { archiveBlobKey: "sha256/00", projectId: setup.project.id })).id)
    expect([missing.status, (missing.result as { readonly error: { readonly _tag: string } }).error._tag]).toEqual(["ERRORED", "NotFound"])
  })

  it("stores a batch of positions once, the poster owning the new device", async () => {
    const setup = await iaso.accounts.setup({ name: "facade devices" })
    const { user } = await iaso.as(Actor.system(setup.account.id)).users.create({ username: `field.${Date.now()}` })
    const api = iaso.as(Actor.user({ accountId: setup.account.id, userId: user.id, permissions: ["iaso_submissions"] }))
    const positions = [
      { deviceId: "imei-7", uuid: globalThis.crypto.randomUUID(), latitude: 1, longitude: 2, altitude: 3, transport: "truck", accuracy: 4, capturedAt: 0 }
    ]
    expect((await api.devices.postPositions({ positions })).created.map((p) => p.transport)).toEqual(["truck"])
    expect((await api.devices.postPositions({ positions })).unchanged).toEqual([positions[0]?.uuid])
    const [device] = await api.devices.list()
    expect(device?.lastOwner?.userId).toBe(user.id)
  })
})
