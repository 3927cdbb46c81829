/**
 * A deterministic pyramid generator (seeded): country > regions > districts > areas > facilities,
 * facilities with points. Sizes: `1k`, `50k`, `1M` (in the 1M pyramid a district has about 2,500
 * descendants).
 */
import { OrgUnitModel, type SampleUnit, type SamplePyramidSize, samplePyramid } from "@iaso/core"
import { Repos } from "@iaso/core/kernel"
import { Effect } from "effect"

/** A unit of a generated pyramid (the SDK's sample pyramid). */
export type GeneratedUnit = SampleUnit

/** The sizes the benchmarks run. */
export type PyramidSize = SamplePyramidSize

/** The units of a generated pyramid, parents before children (`samplePyramid` of @iaso/core). */
export const generatePyramid = (size: PyramidSize, seed = 42): Generator<GeneratedUnit> => samplePyramid(size, seed)

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
