/**
 * Kinds of tasks: how a task's work is named and found again. A {@link TaskKind} is a name (stored
 * as the task's `name`), a Schema decoding the task's input (stored in its `params`, JSON), and
 * the work itself: an Effect given the decoded input and the long-operation options through which
 * the runner follows its progress and stops it. {@link TaskKinds} is the registry a runner reads:
 * a worker process holding the same registry runs a task another process launched, since the
 * stored name and input are all it needs.
 *
 * The built-in kinds ({@link BUILTIN_TASK_KINDS}) run the SDK's long operations: `import_geojson`
 * (`PyramidImports.geoJson`), `import_dhis2` (`PyramidImports.dhis2`), `copy_version`
 * (`Versions.copy`), `ingest_many` (`Instances.ingestMany`) and `mobile_bulk_upload`
 * (`Instances.importMobileBulkUpload`) and `dhis2_export` (`Exports.run`); files (a zip, attachments) go to the blob store first and
 * the input names their keys. Other packages add theirs (`@iaso/geopackage`: `import_gpkg`).
 * @module
 */
import { Context, Effect, Schema } from "effect"
import { PyramidImports } from "../registry/pyramid-imports-service.ts"
import { Versions } from "../registry/versions-service.ts"
import { BlobStore } from "../shared/blob.ts"
import { Exports } from "../dhis2/exports-service.ts"
import { DataSourceId, ExportRequestId, FormId, ProjectId, SourceVersionId } from "../shared/entity-ids.ts"
import type { IasoError } from "../shared/errors.ts"
import { ValidationError } from "../shared/errors.ts"
import type { Json } from "../shared/json.ts"
import type { LongOperationOptions } from "../shared/progress.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type { Accounts } from "../tenancy/accounts-service.ts"
import type { Records } from "../kernel/records.ts"
import { Instances } from "../submissions/instances-service.ts"
import type { OrgUnits } from "../registry/org-units-service.ts"
import { ValidationStatus } from "../registry/validation-status.ts"

/**
 * What a task's work may use: the services a kind commonly needs (pyramid imports, version copies,
 * submissions, DHIS2 exports, records, accounts, org units), the blob store and the actor who
 * launched the task. The HTTP client of DHIS2 exports, `Dhis2Fetch` (a reference defaulting to
 * `globalThis.fetch`, so absent from this union), is read from the same context: provide another
 * where the task runner is built (`Layer.succeed(Dhis2Fetch, myFetch)`).
 */
export type TaskWorkContext = PyramidImports | Versions | Instances | Exports | Records | Accounts | OrgUnits | BlobStore | CurrentActor

/** A kind of task: its name, its input's Schema and its work. */
export interface TaskKind {
  /** The kind's name, stored as the task's `name` (IASO's task names: `copy_version`, `import_gpkg_task`...). */
  readonly name: string
  /** Decodes the stored input (a JSON value) into what {@link TaskKind.run} takes; a refusal is a `ValidationError`. */
  readonly decode: (input: unknown) => Effect.Effect<unknown, ValidationError>
  /**
   * Runs the work on a decoded input. It reports through `options.onProgress` and stops when
   * `options.signal` is aborted (with its writes rolled back); its answer (a JSON value) is kept
   * as the task's result `data`.
   */
  readonly run: (input: unknown, options: LongOperationOptions) => Effect.Effect<Json, IasoError, TaskWorkContext>
}

/**
 * Declares a kind of task from a Schema of its input (a JSON encoding) and its work, typed by the
 * decoded input.
 */
export const defineTaskKind = <I, E>(definition: {
  readonly name: string
  readonly input: Schema.Codec<I, E>
  readonly run: (input: I, options: LongOperationOptions) => Effect.Effect<Json, IasoError, TaskWorkContext>
}): TaskKind => {
  const decode = Schema.decodeUnknownEffect(definition.input)
  return {
    name: definition.name,
    decode: (input) => Effect.mapError(decode(input), (error) => ValidationError.fromSchemaError(error, ["params", "input"])),
    run: (input, options) => definition.run(input as I, options)
  }
}

/** Input of the `import_geojson` kind: the FeatureCollection and the options of `PyramidImports.geoJson`. */
const GeoJsonImportInput = Schema.Struct({
  collection: Schema.Unknown,
  dataSourceId: DataSourceId,
  versionNumber: Schema.optionalKey(Schema.Int),
  description: Schema.optionalKey(Schema.String),
  validationStatus: Schema.optionalKey(ValidationStatus)
})

/** `import_geojson`: a GeoJSON pyramid into a version (`PyramidImports.geoJson`), all or nothing. */
export const GEOJSON_IMPORT_TASK: TaskKind = defineTaskKind({
  name: "import_geojson",
  input: GeoJsonImportInput,
  run: ({ collection, ...options }, progress) =>
    Effect.flatMap(Effect.service(PyramidImports), (imports) =>
      Effect.map(
        imports.geoJson(collection, { ...options, ...progress }),
        (result): Json => ({
          versionId: result.version.id,
          versionNumber: result.version.number,
          created: result.created,
          updated: result.updated,
          groupsCreated: result.groupsCreated,
          groupsUpdated: result.groupsUpdated,
          typesCreated: result.typesCreated
        })
      )
    )
})

/** Input of the `copy_version` kind: the options of `Versions.copy`. */
const VersionCopyTaskInput = Schema.Struct({
  sourceVersionId: SourceVersionId,
  destinationDataSourceId: Schema.optionalKey(DataSourceId),
  destinationNumber: Schema.optionalKey(Schema.Int),
  force: Schema.optionalKey(Schema.Boolean)
})

/** `copy_version`: a version's pyramid copied into another version (`Versions.copy`). */
export const VERSION_COPY_TASK: TaskKind = defineTaskKind({
  name: "copy_version",
  input: VersionCopyTaskInput,
  run: (input, progress) =>
    Effect.flatMap(Effect.service(Versions), (versions) =>
      Effect.map(
        versions.copy({ ...input, ...progress }),
        (result): Json => ({
          versionId: result.version.id,
          versionNumber: result.version.number,
          versionCreated: result.versionCreated,
          deletedOrgUnits: result.deletedOrgUnits,
          orgUnits: result.orgUnits,
          groups: result.groups
        })
      )
    )
})

/** Input of the `import_dhis2` kind: the DHIS2 payload and the options of `PyramidImports.dhis2`. */
const Dhis2ImportTaskInput = Schema.Struct({
  payload: Schema.Struct({
    organisationUnits: Schema.Unknown,
    levels: Schema.optionalKey(Schema.Unknown),
    groups: Schema.optionalKey(Schema.Unknown),
    groupSets: Schema.optionalKey(Schema.Unknown)
  }),
  dataSourceId: DataSourceId,
  versionNumber: Schema.optionalKey(Schema.Int),
  description: Schema.optionalKey(Schema.String),
  validationStatus: Schema.optionalKey(ValidationStatus),
  update: Schema.optionalKey(Schema.Boolean)
})

/** `import_dhis2`: a DHIS2 pyramid into a version (`PyramidImports.dhis2`), all or nothing. */
export const DHIS2_IMPORT_TASK: TaskKind = defineTaskKind({
  name: "import_dhis2",
  input: Dhis2ImportTaskInput,
  run: ({ payload, ...options }, progress) =>
    Effect.flatMap(Effect.service(PyramidImports), (imports) =>
      Effect.map(
        imports.dhis2(payload, { ...options, ...progress }),
        (result): Json => ({
          versionId: result.version.id,
          versionNumber: result.version.number,
          created: result.created,
          updated: result.updated,
          skipped: result.skipped,
          duplicates: result.duplicates,
          warnings: result.warnings.length
        })
      )
    )
})

/** One upload of the `ingest_many` kind: the XML as text, its attachments as blobs already stored. */
const IngestTaskUpload = Schema.Struct({
  xml: Schema.String,
  attachments: Schema.optionalKey(Schema.Array(Schema.Struct({ name: Schema.String, blobKey: Schema.String, mediaType: Schema.String }))),
  formId: FormId,
  orgUnitId: Schema.optionalKey(Schema.String),
  period: Schema.optionalKey(Schema.String),
  uuid: Schema.optionalKey(Schema.String),
  /** Epoch milliseconds. */
  createdAt: Schema.Number,
  updatedAt: Schema.optionalKey(Schema.Number),
  deviceImei: Schema.optionalKey(Schema.String),
  projectId: Schema.optionalKey(ProjectId)
})

/**
 * `ingest_many`: submissions ingested in chunks (`Instances.ingestMany`); their attachments are
 * read from the blob store (put them there first). The result counts each outcome; a failed
 * upload does not fail the task (its index and error are listed).
 */
export const INGEST_MANY_TASK: TaskKind = defineTaskKind({
  name: "ingest_many",
  input: Schema.Struct({ uploads: Schema.Array(IngestTaskUpload) }),
  run: ({ uploads }, progress) =>
    Effect.gen(function* () {
      const blobs = yield* Effect.service(BlobStore)
      const instances = yield* Effect.service(Instances)
      const inputs = yield* Effect.forEach(uploads, (upload) =>
        Effect.map(
          Effect.forEach(upload.attachments ?? [], (attachment) =>
            Effect.map(blobs.get(attachment.blobKey), (bytes) => ({ name: attachment.name, bytes, mediaType: attachment.mediaType }))
          ),
          (attachments) => ({
            xml: upload.xml,
            attachments,
            formId: upload.formId,
            createdAt: new Date(upload.createdAt),
            ...(upload.orgUnitId === undefined ? {} : { orgUnitId: upload.orgUnitId }),
            ...(upload.period === undefined ? {} : { period: upload.period }),
            ...(upload.uuid === undefined ? {} : { uuid: upload.uuid }),
            ...(upload.updatedAt === undefined ? {} : { updatedAt: new Date(upload.updatedAt) }),
            ...(upload.deviceImei === undefined ? {} : { device: { imei: upload.deviceImei } }),
            ...(upload.projectId === undefined ? {} : { projectId: upload.projectId })
          })
        )
      )
      const items = yield* instances.ingestMany(inputs, progress)
      const counts: Record<string, number> = { created: 0, edited: 0, unchanged: 0, failed: 0 }
      const failed: Array<Json> = []
      for (const item of items) {
        if (item._tag === "Ok") counts[item.value.outcome] = (counts[item.value.outcome] ?? 0) + 1
        else {
          counts["failed"] = (counts["failed"] ?? 0) + 1
          failed.push({ index: item.index, error: item.error._tag, message: item.error.message })
        }
      }
      return { ...counts, failures: failed }
    })
})

/** `mobile_bulk_upload`: a mobile bulk upload (`Instances.importMobileBulkUpload`) whose zip is a blob already stored. */
export const MOBILE_BULK_UPLOAD_TASK: TaskKind = defineTaskKind({
  name: "mobile_bulk_upload",
  input: Schema.Struct({ archiveBlobKey: Schema.String, projectId: Schema.optionalKey(ProjectId), appId: Schema.optionalKey(Schema.String) }),
  run: ({ archiveBlobKey, ...options }, progress) =>
    Effect.gen(function* () {
      const bytes = yield* Effect.flatMap(Effect.service(BlobStore), (blobs) => blobs.get(archiveBlobKey))
      const result = yield* Effect.flatMap(Effect.service(Instances), (instances) => instances.importMobileBulkUpload(bytes, { ...options, ...progress }))
      const outcomes: Record<string, number> = {}
      for (const instance of result.instances) outcomes[instance.outcome] = (outcomes[instance.outcome] ?? 0) + 1
      return { orgUnitsCreated: result.orgUnits.created.length, orgUnitsSkipped: result.orgUnits.skipped, instances: outcomes, filesAdded: result.filesAdded }
    })
})

/**
 * `dhis2_export`: a QUEUED export request run against DHIS2 (`Exports.run`, IASO's
 * `dhis2_submission_exporter_task`): the request goes RUNNING then EXPORTED or ERRORED, the task's
 * progress counts the pages sent, and a kill stops it between two pages (the request KILLED, the
 * pages sent kept). DHIS2 is reached with `Dhis2Fetch`. A refused page leaves the task SUCCESS (the
 * request holds the errors); an unreachable DHIS2 or a data source without credentials leaves it
 * ERRORED (its error's `_tag` is `Dhis2Unreachable` or `MissingDhis2Credentials`).
 */
export const DHIS2_EXPORT_TASK: TaskKind = defineTaskKind({
  name: "dhis2_export",
  input: Schema.Struct({ exportRequestId: ExportRequestId, trackerApi: Schema.optionalKey(Schema.Boolean) }),
  run: ({ exportRequestId, trackerApi }, progress) =>
    Effect.flatMap(Effect.service(Exports), (exports) =>
      exports.run(exportRequestId, { ...progress, ...(trackerApi === undefined ? {} : { trackerApi }) }).pipe(
        // Not one of the SDK's storage errors: kept whole as the task's error (its `_tag` and message).
        Effect.catchTags({ Dhis2Unreachable: (error) => Effect.die(error), MissingDhis2Credentials: (error) => Effect.die(error) }),
        Effect.map(
          ({ request }): Json => ({
            exportRequestId: request.id,
            status: request.status,
            exportedCount: request.exportedCount,
            erroredCount: request.erroredCount,
            lastErrorMessage: request.lastErrorMessage
          })
        )
      )
    )
})

/** The kinds of tasks core defines. */
export const BUILTIN_TASK_KINDS: ReadonlyArray<TaskKind> = [
  GEOJSON_IMPORT_TASK,
  DHIS2_IMPORT_TASK,
  VERSION_COPY_TASK,
  INGEST_MANY_TASK,
  MOBILE_BULK_UPLOAD_TASK,
  DHIS2_EXPORT_TASK
]

/**
 * The registry of task kinds a runner reads, by name. Without a layer it holds
 * {@link BUILTIN_TASK_KINDS}; `TaskKinds.layer([...BUILTIN_TASK_KINDS, mine])` replaces it. Every
 * process that runs tasks (a worker, the launching process with the in-process runner) needs the
 * kinds of the tasks it takes.
 */
export const TaskKinds = Context.Reference<ReadonlyMap<string, TaskKind>>("@iaso/core/TaskKinds", {
  defaultValue: () => taskKindMap(BUILTIN_TASK_KINDS)
})

/** A registry of kinds by name (a later kind of the same name replaces an earlier one). */
export const taskKindMap = (kinds: ReadonlyArray<TaskKind>): ReadonlyMap<string, TaskKind> => new Map(kinds.map((kind) => [kind.name, kind]))
