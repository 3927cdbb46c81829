/**
 * GeoPackage import and export on the Promise API of `@iaso/core` (`createIaso`): async functions
 * for one actor, run on the client's runtime and store through its `run` extension point. The
 * driver entry points give them with their driver: `geoPackages(admin)` from
 * `@iaso/geopackage/node` (better-sqlite3), `geoPackages(admin, SQL)` from `@iaso/geopackage/sqljs`.
 *
 * ```ts
 * import { Actor, createIaso } from "@iaso/core"
 * import { geoPackages } from "@iaso/geopackage/node"
 * const admin = iaso.as(Actor.system(accountId))
 * const imported = await geoPackages(admin).import(bytes, { dataSourceId, onProgress: console.log })
 * const file = await geoPackages(admin).export(imported.version.id)
 * ```
 * @module
 */
import { Effect, type Layer } from "effect"
import type { IasoAs, LongOperationOptions, SourceVersionId } from "@iaso/core"
import type { GpkgDriver } from "./database.ts"
import { exportGeoPackage } from "./export.ts"
import { type GeoPackageImportOptions, type GeoPackageImportResult, importGeoPackage } from "./import.ts"

/**
 * GeoPackage import and export as async functions for one actor. A failure rejects with the SDK's
 * typed error (`ValidationError`, `Forbidden`, `NotFound`...); an aborted `signal` rejects with
 * `Interrupted`, storing nothing.
 */
export interface GeoPackages {
  /** Imports a GeoPackage's bytes into a version of a data source (see `importGeoPackage`). */
  readonly import: (bytes: Uint8Array, options: GeoPackageImportOptions) => Promise<GeoPackageImportResult>
  /** The bytes of a GeoPackage of a source version in IASO's export format (see `exportGeoPackage`). */
  readonly export: (versionId: SourceVersionId, options?: LongOperationOptions) => Promise<Uint8Array>
}

/** {@link GeoPackages} for the actor of `iaso` (`createIaso(...).as(actor)`), with the GeoPackage driver `driver`. */
export const geoPackagesWith = (iaso: Pick<IasoAs, "run">, driver: Layer.Layer<GpkgDriver>): GeoPackages => ({
  import: (bytes, options) => iaso.run(Effect.provide(importGeoPackage(bytes, options), driver)),
  export: (versionId, options = {}) => iaso.run(Effect.provide(exportGeoPackage(versionId, options), driver))
})
