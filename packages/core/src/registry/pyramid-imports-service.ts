/**
 * {@link PyramidImports}: importing a whole pyramid into a version of a data source, from IASO's
 * parsed form, a GeoJSON FeatureCollection or a DHIS2 payload, all or nothing. Every import needs
 * `iaso_sources` and an actor without org-unit roots (it writes a whole version); the data source
 * must not be read-only and must have at least one project. The free functions
 * ({@link importPyramid}, {@link importGeoJsonPyramid}, {@link importDhis2Pyramid}) call the service.
 * Every import takes `onProgress` and `signal` in its options (see `LongOperationOptions`): an
 * aborted signal stops it with `Interrupted`, and the version is left as it was.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { Interrupted } from "../shared/errors.ts"
import { lazyModule } from "../shared/lazy-module.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type { Dhis2ImportOptions, Dhis2ImportResult, Dhis2Payload } from "./dhis2-import.ts"
import type { GeoJsonImportOptions } from "./geojson.ts"
import type { PyramidImportOptions, PyramidImportResult, PyramidInput, PyramidSource } from "./pyramid-import.ts"

// The importers and their parsers, loaded when an import first needs them (an app's bundler puts
// them in chunks of their own).
const pyramidImportModule = lazyModule("the pyramid import", () => import("./pyramid-import.ts"))
const geoJsonModule = lazyModule("the GeoJSON pyramid import", () => import("./geojson.ts"))
const dhis2ImportModule = lazyModule("the DHIS2 pyramid import", () => import("./dhis2-import.ts"))

/**
 * The pyramid imports service: a whole pyramid into a version of a data source, all or nothing,
 * from a GeoJSON FeatureCollection, a DHIS2 payload or a parsed pyramid (what `@iaso/geopackage`
 * reads). Provided by `Iaso.layer`; on the Promise facade, `iaso.as(actor).pyramidImports`. Its
 * calls are listed under `Service`.
 */
export class PyramidImports extends Context.Service<
  PyramidImports,
  {
    /**
     * Imports a parsed pyramid (what the GeoPackage, GeoJSON and DHIS2 readers produce), or a
     * {@link PyramidSource} that reads its units in chunks (a GeoPackage read from its file).
     */
    readonly pyramid: (
      input: PyramidInput | PyramidSource,
      options: PyramidImportOptions
    ) => Effect.Effect<PyramidImportResult, ServiceWriteError | Interrupted, CurrentActor>
    /**
     * Imports a FeatureCollection (as `exportGeoJsonPyramid` writes it), with the GeoPackage
     * import's rules: units and groups with a ref the version has are updated. Problems are
     * `ValidationError`s at the collection's paths (`["features", i, "properties", "parent_ref"]`).
     */
    readonly geoJson: (collection: unknown, options: GeoJsonImportOptions) => Effect.Effect<PyramidImportResult, ServiceWriteError | Interrupted, CurrentActor>
    /**
     * Imports a DHIS2 pyramid. Without `update`, the target version must have no units. Fails with
     * a `ValidationError` for a malformed payload (issues at their place in the payload) and for
     * units whose parent is neither in the payload nor in the version (at `[..., "parent", "id"]`).
     */
    readonly dhis2: (payload: Dhis2Payload, options: Dhis2ImportOptions) => Effect.Effect<Dhis2ImportResult, ServiceWriteError | Interrupted, CurrentActor>
  }
>()("@iaso/core/PyramidImports") {
  static readonly layer = Layer.effect(
    PyramidImports,
    Effect.map(Effect.service(Repos), (repos) =>
      PyramidImports.of({
        pyramid: (input, options) =>
          Effect.flatMap(pyramidImportModule, (module) => Effect.provideService(module.runPyramidImport(input, options), Repos, repos)),
        geoJson: (collection, options) =>
          Effect.flatMap(geoJsonModule, (module) => Effect.provideService(module.runGeoJsonImport(collection, options), Repos, repos)),
        dhis2: (payload, options) => Effect.flatMap(dhis2ImportModule, (module) => Effect.provideService(module.runDhis2Import(payload, options), Repos, repos))
      })
    )
  )
}

/** Imports a parsed pyramid, or one read in chunks, through {@link PyramidImports}. */
export const importPyramid = (
  input: PyramidInput | PyramidSource,
  options: PyramidImportOptions
): Effect.Effect<PyramidImportResult, ServiceWriteError | Interrupted, PyramidImports | CurrentActor> =>
  Effect.flatMap(Effect.service(PyramidImports), (imports) => imports.pyramid(input, options))

/** Imports a GeoJSON FeatureCollection through {@link PyramidImports} (see its `geoJson`). */
export const importGeoJsonPyramid = (
  collection: unknown,
  options: GeoJsonImportOptions
): Effect.Effect<PyramidImportResult, ServiceWriteError | Interrupted, PyramidImports | CurrentActor> =>
  Effect.flatMap(Effect.service(PyramidImports), (imports) => imports.geoJson(collection, options))

/** Imports a DHIS2 pyramid through {@link PyramidImports} (see its `dhis2`). */
export const importDhis2Pyramid = (
  payload: Dhis2Payload,
  options: Dhis2ImportOptions
): Effect.Effect<Dhis2ImportResult, ServiceWriteError | Interrupted, PyramidImports | CurrentActor> =>
  Effect.flatMap(Effect.service(PyramidImports), (imports) => imports.dhis2(payload, options))
