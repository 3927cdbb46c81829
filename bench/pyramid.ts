/**
 * A deterministic pyramid generator (seeded): country > regions > districts > areas > facilities,
 * facilities with points. Sizes: `1k`, `50k`, `1M` (in the 1M pyramid a district has about 2,500
 * descendants).
 */
import { importRecords, OrgUnitModel, type SampleUnit, type SamplePyramidSize, samplePyramid } from "@iaso/core"

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

/**
 * The SDK's import path: `importRecords` (chunks of 5,000 in one unit of work, each chunk's
 * references checked, the next chunk validated and encoded by the provided `ImportEncoder` while
 * one is written: a worker thread with `ImportWorkers.layer`, bench/run.ts --worker).
 */
export const importUnits = (accountId: string, records: ReadonlyArray<ReturnType<typeof importRecordOf>>) =>
  importRecords(OrgUnitModel, accountId, records, { chunkSize: 5000 })
