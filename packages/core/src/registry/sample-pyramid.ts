/**
 * A seeded sample pyramid: country > regions > districts > areas > facilities (facilities with a
 * point), the same units and ids for the same seed. Sample data for demos, benchmarks and tests;
 * `@iaso/geopackage` writes it as a GeoPackage in IASO's format (`sampleGeoPackage`).
 * @module
 */
import { prng } from "../shared/random.ts"

/** One unit of a sample pyramid. */
export interface SampleUnit {
  /** A UUIDv7-shaped id made from the seed (increasing in generation order). */
  readonly id: string
  readonly parentId: string | undefined
  readonly name: string
  /** The level's type: `Country`, `Region`, `District`, `Area`, `Facility`. */
  readonly type: SampleUnitType
  /** 1 for the country. */
  readonly depth: number
  /** The ids from the root to the unit, each followed by `/`. */
  readonly path: string
  /** Longitude and latitude of a facility (in Sierra Leone's bounding box); none above. */
  readonly location: readonly [number, number] | undefined
}

/** The types of a sample pyramid's levels, top down. */
export const SAMPLE_UNIT_TYPES = ["Country", "Region", "District", "Area", "Facility"] as const

/** A level's type in a sample pyramid. */
export type SampleUnitType = (typeof SAMPLE_UNIT_TYPES)[number]

/** How many children a unit has at each level, per size (the name gives the order of magnitude). */
export const SAMPLE_PYRAMID_SHAPES = {
  "1k": { regions: 2, districts: 2, areas: 5, facilities: 49 },
  "50k": { regions: 5, districts: 8, areas: 25, facilities: 49 },
  "1M": { regions: 14, districts: 28, areas: 50, facilities: 50 }
} as const

/** The size of a sample pyramid: 1,007 units (`1k`), 50,046 (`50k`) or 1,000,007 (`1M`). */
export type SamplePyramidSize = keyof typeof SAMPLE_PYRAMID_SHAPES

/** UUIDv7-shaped ids, increasing, made from the seed (same seed, same ids). */
const sampleIds = (random: () => number) => {
  let n = 0
  const hex = (digits: number) => Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join("")
  return () => {
    n += 1
    return `${(0x0190000000 + n)
      .toString(16)
      .padStart(12, "0")
      .replace(/^(.{8})(.{4})$/, "$1-$2")}-7${hex(3)}-${"89ab"[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`
  }
}

/** The number of units of a sample pyramid of `size`. */
export const samplePyramidCount = (size: SamplePyramidSize): number => {
  const { regions, districts, areas, facilities } = SAMPLE_PYRAMID_SHAPES[size]
  return 1 + regions * (1 + districts * (1 + areas * (1 + facilities)))
}

/** The units of a sample pyramid, parents before children (generated lazily: a 1M pyramid streams). */
export function* samplePyramid(size: SamplePyramidSize, seed = 42): Generator<SampleUnit> {
  const shape = SAMPLE_PYRAMID_SHAPES[size]
  const random = prng(seed)
  const nextId = sampleIds(random)
  const unit = (parent: SampleUnit | undefined, name: string, location?: readonly [number, number]): SampleUnit => {
    const id = nextId()
    const depth = (parent?.depth ?? 0) + 1
    return { id, parentId: parent?.id, name, type: SAMPLE_UNIT_TYPES[depth - 1] ?? "Facility", depth, path: `${parent?.path ?? ""}${id}/`, location }
  }
  const country = unit(undefined, "Country")
  yield country
  for (let r = 0; r < shape.regions; r++) {
    const region = unit(country, `Region ${r + 1}`)
    yield region
    for (let d = 0; d < shape.districts; d++) {
      const district = unit(region, `District ${r + 1}.${d + 1}`)
      yield district
      for (let a = 0; a < shape.areas; a++) {
        const area = unit(district, `Area ${r + 1}.${d + 1}.${a + 1}`)
        yield area
        for (let f = 0; f < shape.facilities; f++) {
          yield unit(area, `Facility ${r + 1}.${d + 1}.${a + 1}.${f + 1}`, [-13 + random() * 3, 7 + random() * 3])
        }
      }
    }
  }
}
