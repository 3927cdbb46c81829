/**
 * The table of IASO's GeoPackage fixtures (`iaso/tests/fixtures/gpkg/`), one row per file, with
 * the outcome the reference gives (iaso-georegistry.md §17 and §22.1), and the check of one row:
 * shared by the import tests of every GeoPackage driver.
 */
import { expect } from "vitest"
import { type Actor, GroupModel, ImportGPKGModel, OrgUnitModel, OrgUnitTypeModel, SourceVersionModel } from "@iaso/core"
import { GPKG_MEDIA_TYPE, importGeoPackage } from "@iaso/geopackage"
import { type makeHarness, type UnitView, validationFailure } from "./harness.ts"
import { readSharedBytes } from "./shared-files.ts"

type Harness = ReturnType<typeof makeHarness>

export const DIR = "fixtures/iaso/iaso/tests/fixtures/gpkg"

// The base pyramid of the Cameroon fixtures (§22.1).
export const DS = "cdd3e94c-3c2a-4ab1-8900-be97f82347de"
export const AS = "cc5421f2-2003-4f01-be4f-5f64463ab456"
export const FOSA = "3c24c6ca-3012-4d38-abe8-6d620fe1deb8"
const BASE_GROUPS = { group_a: "Group A", group_b: "Group B" }
const BASE_TYPES = [
  ["AS", 4],
  ["DS", 3],
  ["FOSA", 5]
]
const ds: Partial<UnitView> = {
  name: "District Betare Oya",
  type: ["DS", 3],
  parentRef: null,
  groups: [],
  code: "",
  openingDate: "2020-01-01",
  closedDate: "2021-12-31",
  location: null
}
const as: Partial<UnitView> = { name: "AS Tongo Gadima", type: ["AS", 4], parentRef: DS, groups: [], code: "", location: null }
const fosa: Partial<UnitView> = {
  name: "CSI de Garga-Sarali",
  type: ["FOSA", 5],
  parentRef: AS,
  groups: ["group_a", "group_b"],
  code: "ES0025",
  location: [13.9993, 5.1795, 0],
  geom: null
}
const BASE: Expected = { units: { [DS]: ds, [AS]: as, [FOSA]: fosa }, groups: BASE_GROUPS, types: BASE_TYPES }

// minimal_simplified: only name/ref/parent_ref/group_refs columns, plus an AS without parent nor geometry.
const SIMPLIFIED: Expected = {
  units: {
    [DS]: { ...ds, openingDate: null, closedDate: null },
    [AS]: as,
    [FOSA]: { ...fosa, code: "" },
    empty_geom: { name: "empty_geom", type: ["AS", 4], parentRef: null, groups: [], code: "", location: null, geom: null }
  },
  groups: BASE_GROUPS,
  types: BASE_TYPES
}

// multiple-internal-ref-formats: Burkina Faso, refs mixing DHIS2 uids, iaso#<id> and iaso:<id>.
export const BF_TYPES = [
  ["Country/Pays - COUN", 1],
  ["District/Zone de santé - DIST", 3],
  ["Health area/Aire de santé - AREA", 4],
  ["Health facility/Formation sanitaire - HF", 5],
  ["Region/Région - REG", 2]
]
const BF_GROUPS = ["FnGKoaZpj4u", "iaso:49591", "iaso:49592"]
export const INTERNAL_REFS: Expected = {
  units: {
    "iaso:6688": { name: "Burkina Faso", type: ["Country/Pays - COUN", 1], parentRef: null },
    awG7snlrjVy: { name: "Boucle du Mouhoun", type: ["Region/Région - REG", 2], parentRef: "iaso:6688" },
    B4Ra7K6HuCE: { name: "DS Nouna", type: ["District/Zone de santé - DIST", 3], parentRef: "awG7snlrjVy" },
    cfke3S7Q8Vo: { name: "Madouba", type: ["Health area/Aire de santé - AREA", 4], parentRef: "B4Ra7K6HuCE" },
    O8KHatHm4dw: { name: "CSPS Madouba", type: ["Health facility/Formation sanitaire - HF", 5], parentRef: "cfke3S7Q8Vo", groups: [] },
    "iaso:178465": { name: "org unit - old internal ref", parentRef: "cfke3S7Q8Vo", groups: BF_GROUPS, location: null },
    "iaso:178466": { name: "org unit - new internal ref", parentRef: "cfke3S7Q8Vo", groups: BF_GROUPS, location: null }
  },
  groups: { FnGKoaZpj4u: "Public hospitals/Hôpitaux publics", "iaso:49591": "group - old internal ref", "iaso:49592": "group - new internal ref" },
  types: BF_TYPES
}

export interface Expected {
  readonly units: Readonly<Record<string, Partial<UnitView>>>
  readonly groups: Readonly<Record<string, string>>
  readonly types: ReadonlyArray<ReadonlyArray<string | number>>
}

export type Outcome = { readonly imports: Expected } | { readonly fails: string }

/** One row per fixture file (§22.1). */
export const FIXTURES: ReadonlyArray<readonly [file: string, outcome: Outcome]> = [
  ["minimal.gpkg", { imports: BASE }],
  ["minimal_all_optional.gpkg", { imports: BASE }],
  ["empty_parent_ref.gpkg", { imports: BASE }],
  ["null_parent_ref.gpkg", { imports: BASE }],
  ["blank_parent_ref.gpkg", { imports: BASE }],
  ["missing_column_parent_ref.gpkg", { imports: BASE }],
  ["empty_name.gpkg", { imports: BASE }], // mislabelled: the DS name is still there
  ["empty_ref.gpkg", { fails: "Column 'ref' cannot be empty or blank" }],
  ["blank_ref.gpkg", { fails: "Column 'ref' cannot be empty or blank" }],
  ["null_ref.gpkg", { fails: "Column 'ref' cannot be null" }],
  ["missing_column_ref.gpkg", { fails: "Column 'ref' is required but missing from GPKG" }],
  ["missing_column_name.gpkg", { fails: "Column 'name' is required but missing from GPKG" }],
  ["null_name.gpkg", { fails: "Column 'name' cannot be null" }],
  ["blank_name.gpkg", { fails: "Column 'name' cannot be empty or blank" }],
  ["missing_ref.gpkg", { fails: "not a GeoPackage: the file is empty" }],
  ["minimal_simplified.gpkg", { imports: SIMPLIFIED }],
  ["multiple-internal-ref-formats.gpkg", { imports: INTERNAL_REFS }],
  ["minimal_simplified_group.gpkg", { fails: "Bad GPKG group ['group_not_in_gpkg'] for CSI de Garga-Sarali don't exist in input or SourceVersion" }]
]

/** Counts of what an account holds (for "nothing was imported"). */
export const footprint = async (h: Harness, actor: Actor) => ({
  units: (await h.all(actor, OrgUnitModel)).length,
  groups: (await h.all(actor, GroupModel)).length,
  types: (await h.all(actor, OrgUnitTypeModel)).length,
  versions: (await h.all(actor, SourceVersionModel)).length,
  imports: (await h.all(actor, ImportGPKGModel)).length
})

export const sha256Key = async (bytes: Uint8Array) => {
  const copy = new Uint8Array(bytes)
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", copy.buffer))
  return `sha256/${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`
}

export const expectPyramid = (pyramid: ReadonlyMap<string, UnitView>, expected: Expected) => {
  expect([...pyramid.keys()].sort()).toEqual(Object.keys(expected.units).sort())
  for (const [ref, unit] of Object.entries(expected.units)) expect(pyramid.get(ref), ref).toMatchObject(unit)
}

/** Imports one fixture file into a fresh account and checks the row's outcome (or that nothing was stored). */
export const checkFixture = async (h: Harness, file: string, outcome: Outcome) => {
  const bytes = readSharedBytes(`${DIR}/${file}`)
  const { actor, source } = await h.freshSource(file)
  const before = await footprint(h, actor)
  const exit = await h.exitOf(actor, importGeoPackage(bytes, { dataSourceId: source.id, defaultValid: true, fileName: file }))
  if ("fails" in outcome) {
    const error = validationFailure(exit)
    expect(error._tag).toBe("ValidationError")
    expect(error.message).toBe(outcome.fails)
    expect(error.issues.map((issue) => issue.message)).toEqual([outcome.fails])
    expect(await footprint(h, actor)).toEqual(before)
    expect(await h.hasBlob(actor, await sha256Key(bytes))).toBe(false)
    return
  }
  expect(exit._tag).toBe("Success")
  if (exit._tag !== "Success") return
  const result = exit.value
  expect([result.version.number, result.created, result.updated, result.groupsCreated]).toEqual([
    0,
    Object.keys(outcome.imports.units).length,
    0,
    Object.keys(outcome.imports.groups).length
  ])
  const pyramid = await h.pyramidOf(actor, result.version.id)
  expectPyramid(pyramid, outcome.imports)
  for (const unit of pyramid.values()) expect(unit.validationStatus).toBe("VALID")
  const groups = (await h.all(actor, GroupModel)).map((g) => [g.sourceRef, g.name])
  expect(Object.fromEntries(groups)).toEqual(outcome.imports.groups)
  const types = (await h.all(actor, OrgUnitTypeModel)).map((t) => [t.name, t.depth]).sort()
  expect(types).toEqual(outcome.imports.types)
  // The file is kept and its import recorded.
  expect(result.file).toMatchObject({ key: await sha256Key(bytes), size: bytes.byteLength, mediaType: GPKG_MEDIA_TYPE, fileName: file })
  expect(await h.hasBlob(actor, result.file.key)).toBe(true)
  const imports = await h.all(actor, ImportGPKGModel)
  expect(imports.map((record) => [record.file?.key, record.dataSourceId, record.defaultValid])).toEqual([[result.file.key, source.id, true]])
}
