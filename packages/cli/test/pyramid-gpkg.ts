/**
 * GeoPackages of generated pyramids, in IASO's format, for the CLI's tests: core's seeded sample
 * pyramid (`samplePyramid`: country > regions > districts > areas > facilities, facilities with
 * points) written with the GeoPackage package's writer, one `level-<depth>-<type>` layer per
 * level and a `groups` table. `units` takes the first units of the 50k pyramid (parents come before
 * their children, so any prefix is a pyramid).
 */
import { SAMPLE_UNIT_TYPES, type SampleUnit, samplePyramid } from "@iaso/core"
import { EXPORT_COLUMNS, GROUP_COLUMNS, type GpkgDatabase, initGeoPackage, writeAttributeTable, writeFeatureLayer } from "@iaso/geopackage"
import { fromBetterSqlite3 } from "@iaso/geopackage/node"
import Database from "better-sqlite3"

/** The type of each level of the generated pyramid. */
export const LEVEL_TYPES = SAMPLE_UNIT_TYPES

/** The groups written: every facility is in `facilities`; the first facility of each area also in `first`. */
export const GROUPS = [
  { ref: "group-facilities", name: "Facilities" },
  { ref: "group-first", name: "First facilities" }
] as const

/** The first `count` units of the seeded 50k pyramid. */
export const generatedUnits = (count: number, seed = 42): ReadonlyArray<SampleUnit> => {
  const units: Array<SampleUnit> = []
  for (const unit of samplePyramid("50k", seed)) {
    if (units.length >= count) break
    units.push(unit)
  }
  return units
}

/** How many units each level has in `units` (index 0: level 1). */
export const perLevel = (units: ReadonlyArray<SampleUnit>): ReadonlyArray<number> =>
  LEVEL_TYPES.map((_, index) => units.filter((unit) => unit.depth === index + 1).length).filter((count, index) => count > 0 || index === 0)

/** Writes the first `count` units of the pyramid as a GeoPackage at `path`; answers the units written. */
export const writePyramidGeoPackage = (path: string, count: number): ReadonlyArray<SampleUnit> => {
  const units = generatedUnits(count)
  const db: GpkgDatabase = fromBetterSqlite3(new Database(path))
  try {
    initGeoPackage(db)
    const facilitiesSeen = new Set<string>()
    LEVEL_TYPES.forEach((type, index) => {
      const level = units.filter((unit) => unit.depth === index + 1)
      if (level.length === 0) return
      writeFeatureLayer(db, {
        name: `level-${index + 1}-${type}`,
        columns: EXPORT_COLUMNS,
        rows: level.map((unit) => {
          let groups: string | null = null
          if (type === "Facility") {
            const first = unit.parentId !== undefined && !facilitiesSeen.has(unit.parentId)
            if (unit.parentId !== undefined) facilitiesSeen.add(unit.parentId)
            groups = first ? "group-facilities, group-first" : "group-facilities"
          }
          return {
            geometry: unit.location === undefined ? null : { type: "Point", coordinates: [unit.location[0], unit.location[1]] },
            values: [null, unit.name, `ref-${unit.id}`, "", null, unit.parentId === undefined ? null : `ref-${unit.parentId}`, groups, null, null, null, null]
          }
        })
      })
    })
    writeAttributeTable(db, {
      name: "groups",
      columns: GROUP_COLUMNS,
      rows: GROUPS.map((group) => [group.ref, group.name])
    })
  } finally {
    db.close()
  }
  return units
}
