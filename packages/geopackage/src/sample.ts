/**
 * A sample GeoPackage: core's seeded sample pyramid written in IASO's format (one `level-<depth>-
 * <type>` layer per level, `ref` and `parent_ref` being the generated ids, facilities with points),
 * ready for `importGeoPackage`, the CLI (`iaso import gpkg`), demos and benchmarks.
 * @module
 */
import { Effect } from "effect"
import type { Point } from "geojson"
import { SAMPLE_UNIT_TYPES, type SamplePyramidSize, samplePyramid, StorageError } from "@iaso/core"
import { GpkgDriver, type GpkgDatabase, type SqlValue } from "./database.ts"
import { EXPORT_COLUMNS, GROUP_COLUMNS } from "./export.ts"
import { initGeoPackage, writeAttributeTable, writeFeatureLayer } from "./write.ts"

/**
 * Writes the sample pyramid of `size` made from `seed` into an empty database `db` as a GeoPackage
 * (IASO's format), one layer at a time: the pyramid is generated again for each level, so only one
 * level's rows are in memory at once (a 1M file is written without the whole pyramid in memory).
 * Throws the driver's error.
 */
export const writeSampleGeoPackage = (db: GpkgDatabase, size: SamplePyramidSize, seed = 42): void => {
  const names = new Map<string, string>()
  for (const unit of samplePyramid(size, seed)) if (unit.type !== "Facility") names.set(unit.id, `${unit.name} (${unit.type})`)
  initGeoPackage(db)
  for (const [level, type] of SAMPLE_UNIT_TYPES.entries()) {
    const rows: Array<{ readonly geometry: Point | null; readonly values: ReadonlyArray<SqlValue> }> = []
    for (const unit of samplePyramid(size, seed)) {
      if (unit.depth !== level + 1) continue
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
    }
    if (rows.length > 0) writeFeatureLayer(db, { name: `level-${level + 1}-${type}`, columns: EXPORT_COLUMNS, rows })
  }
  writeAttributeTable(db, { name: "groups", columns: GROUP_COLUMNS, rows: [] })
}

/**
 * The bytes of a GeoPackage holding the sample pyramid of `size` made from `seed` (the same bytes'
 * content for the same arguments): 1,007 units for `1k`, 50,046 for `50k`, 1,000,007 for `1M`.
 */
export const sampleGeoPackage = (size: SamplePyramidSize, seed = 42): Effect.Effect<Uint8Array, StorageError, GpkgDriver> =>
  Effect.gen(function* () {
    const driver = yield* GpkgDriver
    return yield* Effect.acquireUseRelease(
      driver.create(),
      (db) =>
        Effect.try({
          try: () => {
            writeSampleGeoPackage(db, size, seed)
            return db.serialize()
          },
          catch: (error) =>
            new StorageError({ reason: "unknown", retryable: false, message: `writing the sample GeoPackage failed: ${String(error)}`, cause: error })
        }),
      (db) => Effect.sync(() => db.close())
    )
  })
