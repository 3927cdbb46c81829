/**
 * A sample GeoPackage: core's seeded sample pyramid written in IASO's format (one `level-<depth>-
 * <type>` layer per level, `ref` and `parent_ref` being the generated ids, facilities with points),
 * ready for `importGeoPackage`, the CLI (`iaso import gpkg`), demos and benchmarks.
 * @module
 */
import { Effect } from "effect"
import type { Point } from "geojson"
import { type SamplePyramidSize, samplePyramid, StorageError } from "@iaso/core"
import { GpkgDriver, type SqlValue } from "./database.ts"
import { EXPORT_COLUMNS, GROUP_COLUMNS } from "./export.ts"
import { type GpkgFeatureLayer, initGeoPackage, writeAttributeTable, writeFeatureLayer } from "./write.ts"

/**
 * The bytes of a GeoPackage holding the sample pyramid of `size` made from `seed` (the same bytes'
 * content for the same arguments): 1,007 units for `1k`, 50,046 for `50k`, 1,000,007 for `1M`.
 */
export const sampleGeoPackage = (size: SamplePyramidSize, seed = 42): Effect.Effect<Uint8Array, StorageError, GpkgDriver> =>
  Effect.gen(function* () {
    const layers = new Map<string, Array<{ readonly geometry: Point | null; readonly values: ReadonlyArray<SqlValue> }>>()
    const names = new Map<string, string>()
    for (const unit of samplePyramid(size, seed)) {
      if (unit.type !== "Facility") names.set(unit.id, `${unit.name} (${unit.type})`)
      const name = `level-${unit.depth}-${unit.type}`
      const rows = layers.get(name) ?? []
      // Columns of EXPORT_COLUMNS: id, name, ref, code, parent, parent_ref, group_refs, group_names, uuid, opening_date, closed_date.
      rows.push({
        geometry: unit.location === undefined ? null : { type: "Point", coordinates: [unit.location[0], unit.location[1]] },
        values: [
          null,
          unit.name,
          unit.id,
          null,
          unit.parentId === undefined ? null : (names.get(unit.parentId) ?? null),
          unit.parentId ?? null,
          null,
          null,
          null,
          null,
          null
        ]
      })
      layers.set(name, rows)
    }
    const featureLayers: ReadonlyArray<GpkgFeatureLayer> = [...layers.entries()].map(([name, rows]) => ({ name, columns: EXPORT_COLUMNS, rows }))
    const driver = yield* GpkgDriver
    return yield* Effect.acquireUseRelease(
      driver.create(),
      (db) =>
        Effect.try({
          try: () => {
            initGeoPackage(db)
            for (const layer of featureLayers) writeFeatureLayer(db, layer)
            writeAttributeTable(db, { name: "groups", columns: GROUP_COLUMNS, rows: [] })
            return db.serialize()
          },
          catch: (error) =>
            new StorageError({ reason: "unknown", retryable: false, message: `writing the sample GeoPackage failed: ${String(error)}`, cause: error })
        }),
      (db) => Effect.sync(() => db.close())
    )
  })
