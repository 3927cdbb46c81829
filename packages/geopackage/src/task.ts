/**
 * The GeoPackage import as a task kind (`import_gpkg`, IASO's `import_gpkg_task`): the file is put
 * in the blob store first, and the task's input names its key. Register the kind, with the
 * GeoPackage driver of the process that runs it, beside core's:
 *
 * ```ts
 * import { BUILTIN_TASK_KINDS, TaskKinds, taskKindMap } from "@iaso/core"
 * import { geoPackageImportTask } from "@iaso/geopackage"
 * import { createBetterSqlite3, openBetterSqlite3 } from "@iaso/geopackage/node"
 * const gpkg = geoPackageImportTask({ open: openBetterSqlite3, create: createBetterSqlite3 })
 * const kinds = Layer.succeed(TaskKinds, taskKindMap([...BUILTIN_TASK_KINDS, gpkg]))
 * ```
 * @module
 */
import { BlobStore, DataSourceId, defineTaskKind, type Json, type TaskKind } from "@iaso/core"
import { Effect, Schema } from "effect"
import { GpkgDriver } from "./database.ts"
import { importGeoPackage } from "./import.ts"

/** Input of the `import_gpkg` kind: the file's blob key and the options of `importGeoPackage`. */
const GeoPackageImportTaskInput = Schema.Struct({
  fileBlobKey: Schema.String,
  dataSourceId: DataSourceId,
  versionNumber: Schema.optionalKey(Schema.Int),
  description: Schema.optionalKey(Schema.String),
  defaultValid: Schema.optionalKey(Schema.Boolean),
  fileName: Schema.optionalKey(Schema.String)
})

/** The name of the GeoPackage import's task kind. */
export const GPKG_IMPORT_TASK_NAME = "import_gpkg"

/** The `import_gpkg` task kind, reading GeoPackages with `driver` (the Node or the browser one). */
export const geoPackageImportTask = (driver: GpkgDriver["Service"]): TaskKind =>
  defineTaskKind({
    name: GPKG_IMPORT_TASK_NAME,
    input: GeoPackageImportTaskInput,
    run: ({ fileBlobKey, ...options }, progress) =>
      Effect.gen(function* () {
        const bytes = yield* Effect.flatMap(Effect.service(BlobStore), (blobs) => blobs.get(fileBlobKey))
        const result = yield* importGeoPackage(bytes, { ...options, ...progress }).pipe(Effect.provideService(GpkgDriver, driver))
        return {
          versionId: result.version.id,
          versionNumber: result.version.number,
          created: result.created,
          updated: result.updated,
          groupsCreated: result.groupsCreated,
          typesCreated: result.typesCreated,
          fileKey: result.file.key
        } satisfies Json
      })
  })
