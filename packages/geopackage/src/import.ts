/**
 * Importing a GeoPackage into a data source, as IASO's `import_gpkg_file2` does: the file is read
 * first (a file that is not a GeoPackage, or breaks IASO's column rules, fails with a
 * `ValidationError` and nothing is stored), then kept in the {@link BlobStore} and handed to core's
 * pyramid import engine, which writes the version, groups, types and units in one transaction and
 * records an `ImportGPKG` of the file. When the engine fails, a blob this import stored is removed
 * again (a blob an earlier import stored is kept: keys are content addresses).
 * @module
 */
import { Effect } from "effect"
import {
  BlobStore,
  type BlobRef,
  CurrentActor,
  type DataSourceId,
  importPyramid,
  type Interrupted,
  type LongOperationOptions,
  longOperation,
  type PyramidImportResult,
  type PyramidImports,
  type ServiceWriteError,
  sha256Hex,
  type ValidationError
} from "@iaso/core"
import { requirePyramidImport } from "@iaso/core/pyramid"
import { GpkgDriver, type GpkgDatabase } from "./database.ts"
import { type GeoPackageLimits, now } from "./limits.ts"
import { type PyramidLayer, readPyramidSource } from "./read.ts"

/** The media type of GeoPackage files. */
export const GPKG_MEDIA_TYPE = "application/geopackage+sqlite3"

/** The audit source of GeoPackage imports (IASO's `GPKG_IMPORT`). */
export const GPKG_IMPORT_SOURCE = "GPKG_IMPORT"

/**
 * Options of {@link importGeoPackage} (IASO's `importgpkg` task parameters). `onProgress` hears
 * the phases `"read"` (features read from the file), then the engine's `"validate"` and `"write"`;
 * `signal` stops the import with `Interrupted`, and nothing is stored (see `LongOperationOptions`).
 */
export interface GeoPackageImportOptions extends LongOperationOptions {
  /** The data source; it must have at least one project and must not be read-only. */
  readonly dataSourceId: DataSourceId
  /** Target version number; absent: the next one (0 for a source without versions). */
  readonly versionNumber?: number
  readonly description?: string
  /** Import units as `VALID` (default: `NEW`). */
  readonly defaultValid?: boolean
  /** The file's original name, kept in its `BlobRef`. */
  readonly fileName?: string
  /** Limits of the read that differ from `GPKG_LIMITS` (rows per table, positions, depth, time). */
  readonly limits?: Partial<GeoPackageLimits>
}

/** What {@link importGeoPackage} did. */
export interface GeoPackageImportResult extends PyramidImportResult {
  /** The stored file. */
  readonly file: BlobRef
  /** The `level-*` layers read, in file order. */
  readonly layers: ReadonlyArray<PyramidLayer>
}

/**
 * Imports a GeoPackage's bytes into a version of a data source (needs `iaso_sources`), all or
 * nothing. Fails with a `ValidationError` carrying IASO's message ("Column 'ref' cannot be null",
 * "Bad GPKG parent ...", "not a GeoPackage: ...") or naming the exceeded limit, and each issue's
 * path, never by throwing. An aborted `signal` fails it with `Interrupted`, storing nothing.
 *
 * The file is read once to check it, then its units are read again in chunks while the engine
 * writes them (see `readPyramidSource`): besides the file, memory holds a few strings per unit,
 * not the units. With `ImportWorkers.layer` (`@iaso/core/node`), each chunk's records are
 * validated and encoded in a worker thread while the chunk before is written.
 */
export const importGeoPackage = (
  bytes: Uint8Array,
  options: GeoPackageImportOptions
): Effect.Effect<GeoPackageImportResult, ServiceWriteError | Interrupted, GpkgDriver | BlobStore | PyramidImports | CurrentActor> =>
  Effect.flatMap(Effect.service(GpkgDriver), (driver) => importOpenedGeoPackage(driver.open(bytes), Effect.succeed(bytes), options))

/**
 * The import of a GeoPackage opened by `open` (closed when the import ends), whose bytes `bytes`
 * reads to keep them in the {@link BlobStore} once the file is checked (and lets go of them before
 * the units are written): what {@link importGeoPackage} and `importGeoPackageFile`
 * (`@iaso/geopackage/node`) run.
 */
export const importOpenedGeoPackage = (
  open: Effect.Effect<GpkgDatabase, ValidationError>,
  bytes: Effect.Effect<Uint8Array, ServiceWriteError>,
  options: GeoPackageImportOptions
): Effect.Effect<GeoPackageImportResult, ServiceWriteError | Interrupted, BlobStore | PyramidImports | CurrentActor> =>
  longOperation("import", options, (progress) =>
    Effect.scoped(
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* requirePyramidImport(actor, "importing a GeoPackage")
        const started = now()
        const db = yield* Effect.acquireRelease(open, (opened) => Effect.sync(() => opened.close()))
        const { source, layers, units } = yield* readPyramidSource(db, options.limits, started)
        yield* progress.report("read", units, units)
        const blobs = yield* BlobStore
        const { file, alreadyStored } = yield* Effect.flatMap(bytes, (content) =>
          Effect.gen(function* () {
            const key = `sha256/${yield* sha256Hex(content)}`
            const alreadyStored = yield* blobs.has(key)
            const file = yield* blobs.put(content, { mediaType: GPKG_MEDIA_TYPE, ...(options.fileName === undefined ? {} : { fileName: options.fileName }) })
            return { file, alreadyStored }
          })
        )
        const result = yield* importPyramid(source, {
          dataSourceId: options.dataSourceId,
          ...(options.versionNumber === undefined ? {} : { versionNumber: options.versionNumber }),
          ...(options.description === undefined ? {} : { description: options.description }),
          validationStatus: options.defaultValid === true ? "VALID" : "NEW",
          source: GPKG_IMPORT_SOURCE,
          gpkgFile: file,
          onProgress: options.onProgress,
          signal: options.signal
        }).pipe(Effect.onError(() => (alreadyStored ? Effect.void : Effect.ignore(blobs.remove(file.key)))))
        return { ...result, file, layers }
      })
    )
  )
