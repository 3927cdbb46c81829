/**
 * The GeoPackage import as a task (`import_gpkg`): the file put in the blob store, the task
 * launched through the Promise facade with the kind registered, run in process, SUCCESS with the
 * import's counts and the file's key.
 */
import {
  Actor,
  BlobStore,
  BUILTIN_TASK_KINDS,
  createIaso,
  type IasoAs,
  MemoryStore,
  OrgUnitModel,
  samplePyramidCount,
  type Task,
  type TaskId
} from "@iaso/core"
import { GPKG_IMPORT_TASK_NAME, GPKG_MEDIA_TYPE, geoPackageImportTask, sampleGeoPackage } from "@iaso/geopackage"
import { BetterSqlite3Gpkg, createBetterSqlite3, openBetterSqlite3 } from "@iaso/geopackage/node"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"

const iaso = createIaso({
  store: MemoryStore.layer(),
  blobs: BlobStore.memory(),
  taskKinds: [...BUILTIN_TASK_KINDS, geoPackageImportTask({ open: openBetterSqlite3, create: createBetterSqlite3 })]
})
afterAll(() => iaso.dispose())

/** The task once it has ended. */
const ended = async (api: IasoAs, id: TaskId): Promise<Task> => {
  for (let waited = 0; waited < 1000; waited++) {
    const task = await api.tasks.get(id)
    if (task.status !== "QUEUED" && task.status !== "RUNNING") return task
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return api.tasks.get(id)
}

describe("the GeoPackage import as a task", () => {
  it("imports a GeoPackage put in the blob store, ending SUCCESS with the import's counts and the file's key", async () => {
    const setup = await iaso.accounts.setup({ name: "GeoPackage tasks" })
    const api = iaso.as(Actor.system(setup.account.id))
    const bytes = await Effect.runPromise(Effect.provide(sampleGeoPackage("1k"), BetterSqlite3Gpkg.layer))
    const file = await api.run(Effect.flatMap(Effect.service(BlobStore), (blobs) => blobs.put(bytes, { mediaType: GPKG_MEDIA_TYPE })))
    const launched = await api.tasks.launch(GPKG_IMPORT_TASK_NAME, { fileBlobKey: file.key, dataSourceId: setup.dataSource.id, versionNumber: 5 })
    const task = await ended(api, launched.id)
    const units = await api.records.count(OrgUnitModel)
    expect([task.status, task.name, units]).toEqual(["SUCCESS", "import_gpkg", samplePyramidCount("1k")])
    expect(task.result).toEqual({
      result: "SUCCESS",
      data: {
        versionId: (task.result as { readonly data: { readonly versionId: string } }).data.versionId,
        versionNumber: 5,
        created: samplePyramidCount("1k"),
        updated: 0,
        groupsCreated: 0,
        typesCreated: 5,
        fileKey: file.key
      }
    })
  })
})
