/**
 * The `Versions` service: whole-version operations on source versions.
 *
 * - `copy` duplicates one version's pyramid into another version (of the same data source or of
 *   another one), the way IASO's `copy_version` task does: the destination version is found or
 *   created, a destination that already holds units is only overwritten when the caller forces it,
 *   then group sets, groups (with their set links re-pointed at the new sets), every unit (new ids,
 *   parents re-pointed through the old-to-new id map, paths rebuilt from the roots) and the group
 *   memberships are written, in batches, in one transaction.
 * - `diff` compares a version with a reference version the way IASO's `Differ` does: units are
 *   paired by `sourceRef`; a reference unit with no partner is `new`, a pair with a differing field
 *   is `modified`, a pair with none `same`, and a unit of the compared version whose reference is
 *   absent from the reference version is `not in origin - ignored`. In every comparison `before` is
 *   the value in the compared version (`versionId`, the version to update) and `after` the value in
 *   the reference version (`referenceVersionId`, the version to compare with). As in IASO, a diff
 *   is a whole-version operation for holders of `iaso_sources`: an actor's org-unit roots do not
 *   narrow it (they are units of one version, and a diff spans two).
 * - `diffCsv` writes that comparison as IASO's `diff.csv` export (see `versionDiffCsv`).
 * - `exportGeoJson` writes a version's pyramid as a GeoJSON FeatureCollection (see
 *   `exportGeoJsonPyramid`), read with the actor's rights.
 *
 * Deliberate differences from IASO, each for a reason given where it applies: a copy into a source
 * with no version starts at number 1 (IASO's task fails); a copy into a read-only source is refused;
 * units without a `sourceRef` are never paired in a diff (IASO pairs them with the first other unit
 * without one); the CSV's distance column is the great-circle distance in km (IASO multiplies a
 * planar distance in degrees by 100); group ids in the CSV are this SDK's string ids.
 *
 * The work is spread by job: `version-copy.ts`, `version-diff.ts` (with the diff's types in
 * `version-diff-types.ts` and its value comparisons in `version-diff-values.ts`),
 * and `version-diff-csv.ts`; both read whole sets with the repositories' `listAll` and `findIn`.
 * This module declares the service and wires them.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { Records } from "../kernel/records.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { SourceVersionId } from "../shared/entity-ids.ts"
import type { Forbidden, Interrupted, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import type { LongOperationOptions } from "../shared/progress.ts"
import { lazyModule } from "../shared/lazy-module.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type { PyramidFeatureCollection } from "./geojson.ts"
import type { VersionCopyInput, VersionCopyResult } from "./version-copy.ts"
import type { VersionDiff, VersionDiffInput } from "./version-diff-types.ts"

// Loaded when a verb first needs them (an app's bundler puts them in chunks of their own).
type VersionDiffModule = typeof import("./version-diff.ts")
const versionDiffModule = lazyModule("the version comparison", () => import("./version-diff.ts"))
const versionDiffCsvModule = lazyModule("the version comparison CSV writer", () => import("./version-diff-csv.ts"))
const versionCopyModule = lazyModule("the version copy", () => import("./version-copy.ts"))
const geoJsonModule = lazyModule("the GeoJSON pyramid writer", () => import("./geojson.ts"))

/**
 * The versions service: copying a version, comparing two versions (as data or as IASO's CSV),
 * exporting one as GeoJSON. Provided by `Iaso.layer`; on the Promise facade,
 * `iaso.as(actor).versions`. Its calls are listed under `Service`.
 */
export class Versions extends Context.Service<
  Versions,
  {
    /**
     * Copies a version's pyramid into another version (needs `iaso_sources`), in one transaction.
     * "Cannot copy a version to the same version"; a destination with units is refused ("This is
     * going to delete N org units records. Use the force parameter to proceed") unless `force`.
     */
    readonly copy: (input: VersionCopyInput) => Effect.Effect<VersionCopyResult, ServiceWriteError | Interrupted, CurrentActor>
    /** Compares a version with a reference version (needs `iaso_sources`; both must be the account's). */
    readonly diff: (input: VersionDiffInput) => Effect.Effect<VersionDiff, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
    /** The same comparison as IASO's `diff.csv` export (see `versionDiffCsv`). */
    readonly diffCsv: (input: VersionDiffInput) => Effect.Effect<string, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
    /**
     * A version's pyramid as a GeoJSON FeatureCollection (see `exportGeoJsonPyramid`), which
     * `PyramidImports.geoJson` imports back. Reads with the actor's rights: a restricted actor
     * exports the units under its org-unit roots. Takes `onProgress` and `signal`.
     */
    readonly exportGeoJson: (
      versionId: SourceVersionId,
      options?: LongOperationOptions
    ) => Effect.Effect<PyramidFeatureCollection, NotFound | Forbidden | ValidationError | StorageError | Interrupted, CurrentActor>
  }
>()("@iaso/core/Versions") {
  static readonly layer = Layer.effect(
    Versions,
    Effect.gen(function* () {
      const repos = yield* Repos
      const records = yield* Records
      // The comparison, built over the repositories once its module is loaded.
      let differ: ReturnType<VersionDiffModule["makeDiff"]> | undefined
      const diff = (input: VersionDiffInput) =>
        Effect.flatMap(versionDiffModule, (module) => {
          differ ??= module.makeDiff(repos)
          return differ(input)
        })
      return Versions.of({
        copy: (input) => Effect.flatMap(versionCopyModule, (module) => module.copyVersion(repos, input)),
        diff,
        diffCsv: (input) => Effect.flatMap(diff(input), (found) => Effect.map(versionDiffCsvModule, (module) => module.versionDiffCsv(found))),
        exportGeoJson: (versionId, options) =>
          Effect.flatMap(geoJsonModule, (module) => Effect.provideService(module.exportGeoJsonPyramid(versionId, options), Records, records))
      })
    })
  ).pipe(Layer.provide(Records.layer))
}
