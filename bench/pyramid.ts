/**
 * A deterministic pyramid generator (seeded): country > regions > districts > areas > facilities,
 * facilities with points. Sizes: `1k`, `50k`, `1M` (in the 1M pyramid a district has about 2,500
 * descendants).
 */
import { OrgUnitModel } from "@iaso/core"
import { Repos } from "@iaso/core/kernel"
import { Effect } from "effect"
// The core's seeded generator (it imports no test runner).
import { prng } from "../packages/core/src/testing/random.ts"

export interface GeneratedUnit {
  readonly id: string
  readonly parentId: string | undefined
  readonly name: string
  readonly depth: number
  readonly path: string
  readonly location: readonly [number, number] | undefined
}

const SHAPES = {
  "1k": { regions: 2, districts: 2, areas: 5, facilities: 49 },
  "50k": { regions: 5, districts: 8, areas: 25, facilities: 49 },
  "1M": { regions: 14, districts: 28, areas: 50, facilities: 50 }
} as const

export type PyramidSize = keyof typeof SHAPES

/** UUIDv7-shaped ids, increasing, made from the seed (same seed, same ids). */
const ids = (random: () => number) => {
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

/** The units of a generated pyramid, parents before children. */
export function* generatePyramid(size: PyramidSize, seed = 42): Generator<GeneratedUnit> {
  const shape = SHAPES[size]
  const random = prng(seed)
  const nextId = ids(random)
  const unit = (parent: GeneratedUnit | undefined, name: string, location?: readonly [number, number]): GeneratedUnit => {
    const id = nextId()
    return {
      id,
      parentId: parent?.id,
      name,
      depth: (parent?.depth ?? 0) + 1,
      path: `${parent?.path ?? ""}${id}/`,
      location
    }
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

/** The import record of a generated unit in a version (what the SDK's import path writes). */
export const importRecordOf = (unit: GeneratedUnit, versionId: string) => ({
  id: unit.id,
  name: unit.name,
  versionId,
  validationStatus: "VALID" as const,
  custom: false,
  extraFields: {},
  code: "",
  path: unit.path,
  depth: unit.depth,
  ...(unit.parentId === undefined ? {} : { parentId: unit.parentId }),
  ...(unit.location === undefined ? {} : { location: { type: "Point" as const, coordinates: [unit.location[0], unit.location[1]] as [number, number] } })
})

/** The SDK's import path: import records in batches of 5,000, all in one unit of work. */
export const importUnits = (accountId: string, records: ReadonlyArray<ReturnType<typeof importRecordOf>>) =>
  Effect.gen(function* () {
    const repos = yield* Repos
    yield* repos.driver.transaction(
      Effect.forEach(
        Array.from({ length: Math.ceil(records.length / 5000) }, (_, i) => records.slice(i * 5000, (i + 1) * 5000)),
        (batch) => repos.insertMany(OrgUnitModel, accountId, batch, { atomic: true }),
        { discard: true }
      )
    )
  })
