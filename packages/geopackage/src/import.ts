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
  requirePyramidImport,
  type ServiceWriteError,
  sha256Hex
} from "@iaso/core"
import type { GpkgDriver } from "./database.ts"
import type { GeoPackageLimits } from "./limits.ts"
import { type PyramidLayer, parseGeoPackage } from "./read.ts"

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
 */
export const importGeoPackage = (
  bytes: Uint8Array,
  options: GeoPackageImportOptions
): Effect.Effect<GeoPackageImportResult, ServiceWriteError | Interrupted, GpkgDriver | BlobStore | PyramidImports | CurrentActor> =>
  longOperation("import", options, (progress) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* requirePyramidImport(actor, "importing a GeoPackage")
      const { input, layers } = yield* parseGeoPackage(bytes, options.limits)
      yield* progress.report("read", input.units.length, input.units.length)
      const blobs = yield* BlobStore
      const key = `sha256/${yield* sha256Hex(bytes)}`
      const alreadyStored = yield* blobs.has(key)
      const file = yield* blobs.put(bytes, { mediaType: GPKG_MEDIA_TYPE, ...(options.fileName === undefined ? {} : { fileName: options.fileName }) })
      const result = yield* importPyramid(input, {
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
