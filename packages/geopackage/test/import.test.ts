/**
 * GeoPackage import of IASO's own fixtures (`iaso/tests/fixtures/gpkg/` and the setuper's
 * `small_sample.gpkg`, read from ../shared), one row per file, on the memory store. Expected values
 * come from the reference (iaso-georegistry.md §17 and §22.1), not from this importer's output.
 */
import { readdirSync } from "node:fs"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { type Actor, GroupModel, ImportGPKGModel, OrgUnitModel, OrgUnitTypeModel, Records, SourceVersionModel, Sources } from "@iaso/core"
import { GPKG_MEDIA_TYPE, importGeoPackage } from "@iaso/geopackage"
import { makeHarness, positionCount, type UnitView, validationFailure } from "./harness.ts"
import { readSharedBytes, sharedAvailable, sharedPath, skipMessage } from "./shared-files.ts"

const DIR = "fixtures/iaso/iaso/tests/fixtures/gpkg"
const SMALL_SAMPLE = "fixtures/iaso/setuper/data/small_sample.gpkg"
const available = sharedAvailable(`${DIR}/minimal.gpkg`) && sharedAvailable(SMALL_SAMPLE)

const h = makeHarness()
afterAll(() => h.dispose())

// The base pyramid of the Cameroon fixtures (§22.1).
const DS = "cdd3e94c-3c2a-4ab1-8900-be97f82347de"
const AS = "cc5421f2-2003-4f01-be4f-5f64463ab456"
const FOSA = "3c24c6ca-3012-4d38-abe8-6d620fe1deb8"
const BASE_GROUPS = { group_a: "Group A", group_b: "Group B" }
const BASE_TYPES = [["AS", 4], ["DS", 3], ["FOSA", 5]]
const ds: Partial<UnitView> = { name: "District Betare Oya", type: ["DS", 3], parentRef: null, groups: [], code: "", openingDate: "2020-01-01", closedDate: "2021-12-31", location: null }
const as: Partial<UnitView> = { name: "AS Tongo Gadima", type: ["AS", 4], parentRef: DS, groups: [], code: "", location: null }
const fosa: Partial<UnitView> = { name: "CSI de Garga-Sarali", type: ["FOSA", 5], parentRef: AS, groups: ["group_a", "group_b"], code: "ES0025", location: [13.9993, 5.1795, 0], geom: null }
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
const BF_TYPES = [
  ["Country/Pays - COUN", 1],
  ["District/Zone de santé - DIST", 3],
  ["Health area/Aire de santé - AREA", 4],
  ["Health facility/Formation sanitaire - HF", 5],
  ["Region/Région - REG", 2]
]
const BF_GROUPS = ["FnGKoaZpj4u", "iaso:49591", "iaso:49592"]
const INTERNAL_REFS: Expected = {
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

interface Expected {
  readonly units: Readonly<Record<string, Partial<UnitView>>>
  readonly groups: Readonly<Record<string, string>>
  readonly types: ReadonlyArray<ReadonlyArray<string | number>>
}

type Outcome = { readonly imports: Expected } | { readonly fails: string }

/** One row per fixture file (§22.1). */
const FIXTURES: ReadonlyArray<readonly [file: string, outcome: Outcome]> = [
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
const footprint = async (actor: Actor) => ({
  units: (await h.all(actor, OrgUnitModel)).length,
  groups: (await h.all(actor, GroupModel)).length,
  types: (await h.all(actor, OrgUnitTypeModel)).length,
  versions: (await h.all(actor, SourceVersionModel)).length,
  imports: (await h.all(actor, ImportGPKGModel)).length
})

const sha256Key = async (bytes: Uint8Array) => {
  const copy = new Uint8Array(bytes)
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", copy.buffer))
  return `sha256/${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`
}

const expectPyramid = (pyramid: ReadonlyMap<string, UnitView>, expected: Expected) => {
  expect([...pyramid.keys()].sort()).toEqual(Object.keys(expected.units).sort())
  for (const [ref, unit] of Object.entries(expected.units)) expect(pyramid.get(ref), ref).toMatchObject(unit)
}

describe.skipIf(!available)(`importing IASO's GeoPackage fixtures ${available ? "" : skipMessage(DIR)}`, () => {
  it("has a row for every fixture file", () => {
    expect(readdirSync(sharedPath(DIR)).filter((f) => f.endsWith(".gpkg")).sort()).toEqual(FIXTURES.map(([file]) => file).sort())
  })

  it.each(FIXTURES)("%s", async (file, outcome) => {
    const bytes = readSharedBytes(`${DIR}/${file}`)
    const { actor, source } = await h.freshSource(file)
    const before = await footprint(actor)
    const exit = await h.exitOf(actor, importGeoPackage(bytes, { dataSourceId: source.id, defaultValid: true, fileName: file }))
    if ("fails" in outcome) {
      const error = validationFailure(exit)
      expect(error._tag).toBe("ValidationError")
      expect(error.message).toBe(outcome.fails)
      expect(error.issues.map((issue) => issue.message)).toEqual([outcome.fails])
      expect(await footprint(actor)).toEqual(before)
      expect(await h.hasBlob(actor, await sha256Key(bytes))).toBe(false)
      return
    }
    expect(exit._tag).toBe("Success")
    if (exit._tag !== "Success") return
    const result = exit.value
    expect([result.version.number, result.created, result.updated, result.groupsCreated]).toEqual([0, Object.keys(outcome.imports.units).length, 0, Object.keys(outcome.imports.groups).length])
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
  })

  it("minimal.gpkg: shapes keep every position (DS 3999, AS 2108), simplified as IASO does (586, 592), and the FOSA gets z = 0", async () => {
    const { actor, source } = await h.freshSource("positions")
    const result = await h.run(actor, importGeoPackage(readSharedBytes(`${DIR}/minimal.gpkg`), { dataSourceId: source.id }))
    const pyramid = await h.pyramidOf(actor, result.version.id)
    const shape = (ref: string, which: "geom" | "simplified") => {
      const geom = pyramid.get(ref)?.[which]
      if (geom === null || geom === undefined) throw new Error(`${ref} has no ${which}`)
      return geom
    }
    expect([positionCount(shape(DS, "geom")), positionCount(shape(AS, "geom"))]).toEqual([3999, 2108])
    expect([positionCount(shape(DS, "simplified")), positionCount(shape(AS, "simplified"))]).toEqual([586, 592])
    expect(pyramid.get(FOSA)?.location).toEqual([13.9993, 5.1795, 0])
    expect([...pyramid.values()].map((unit) => unit.validationStatus)).toEqual(["NEW", "NEW", "NEW"])
  })

  it("minimal_simplified_group.gpkg imports when group_not_in_gpkg already exists in the target version", async () => {
    const { actor, source } = await h.freshSource("existing group")
    const version = await h.run(actor, Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id, { number: 0 })))
    await h.run(actor, Effect.flatMap(Effect.service(Records), (r) => r.create(GroupModel, { name: "Not in the file", sourceRef: "group_not_in_gpkg", versionId: version.id, blockOfCountries: false })))
    const result = await h.run(actor, importGeoPackage(readSharedBytes(`${DIR}/minimal_simplified_group.gpkg`), { dataSourceId: source.id, versionNumber: 0 }))
    expect(result.version.id).toBe(version.id)
    const pyramid = await h.pyramidOf(actor, version.id)
    expect(pyramid.get(FOSA)?.groups).toEqual(["group_a", "group_b", "group_not_in_gpkg"])
    expect(pyramid.size).toBe(4)
  })

  it("multiple-internal-ref-formats.gpkg: legacy iaso# refs become iaso:, a new version doubles units and groups and reuses the 5 types, a re-import updates in place", async () => {
    const bytes = readSharedBytes(`${DIR}/multiple-internal-ref-formats.gpkg`)
    const { actor, source } = await h.freshSource("internal refs")
    const first = await h.run(actor, importGeoPackage(bytes, { dataSourceId: source.id }))
    const pyramid = await h.pyramidOf(actor, first.version.id)
    expectPyramid(pyramid, INTERNAL_REFS)
    expect((await h.all(actor, OrgUnitTypeModel)).map((t) => [t.name, t.depth]).sort()).toEqual(BF_TYPES)

    const second = await h.run(actor, importGeoPackage(bytes, { dataSourceId: source.id }))
    expect(second.version.number).toBe(first.version.number + 1)
    expect([(await h.all(actor, OrgUnitModel)).length, (await h.all(actor, GroupModel)).length, (await h.all(actor, OrgUnitTypeModel)).length]).toEqual([14, 6, 5])

    const again = await h.run(actor, importGeoPackage(bytes, { dataSourceId: source.id, versionNumber: first.version.number }))
    expect([again.created, again.updated]).toEqual([0, 7])
    expect([(await h.all(actor, OrgUnitModel)).length, (await h.all(actor, GroupModel)).length, (await h.all(actor, OrgUnitTypeModel)).length]).toEqual([14, 6, 5])
    const refs = (await h.all(actor, OrgUnitModel)).map((unit) => unit.sourceRef ?? "")
    expect(refs.filter((ref) => ref.includes("iaso#"))).toEqual([])
    expect((await h.all(actor, GroupModel)).filter((g) => (g.sourceRef ?? "").includes("iaso#"))).toEqual([])
  })

  it("small_sample.gpkg (setuper): 136 units over five levels, four groups, all VALID", async () => {
    const { actor, source } = await h.freshSource("small sample")
    const result = await h.run(actor, importGeoPackage(readSharedBytes(SMALL_SAMPLE), { dataSourceId: source.id, defaultValid: true }))
    expect([result.created, result.groupsCreated]).toEqual([136, 4])
    const pyramid = await h.pyramidOf(actor, result.version.id)
    const perType = new Map<string, number>()
    for (const unit of pyramid.values()) perType.set(`${unit.type?.[1]} ${unit.type?.[0]}`, (perType.get(`${unit.type?.[1]} ${unit.type?.[0]}`) ?? 0) + 1)
    expect(Object.fromEntries(perType)).toEqual({
      "1 Country/Pays - COUN": 1,
      "2 Region/Région - REG": 1,
      "3 District/Zone de santé - DIST": 6,
      "4 Health area/Aire de santé - AREA": 45,
      "5 Health facility/Formation sanitaire - HF": 83
    })
    const groups = (await h.all(actor, GroupModel)).map((g) => [g.sourceRef, g.name]).sort()
    expect(groups).toEqual([
      ["FnGKoaZpj4u", "Public hospitals/Hôpitaux publics"],
      ["IzVj0UdnSRF", "Nursing facility/Soins infirmiers"],
      ["JM7jsziOLB2", "Medical Centres/Centres Médicaux"],
      ["bO815RlSIN3", "Private hospitals/Cliniques privées"]
    ])
    // One root (the country); every other unit's parent is one level up.
    const roots = [...pyramid.entries()].filter(([, unit]) => unit.parentRef === null)
    expect(roots.map(([ref, unit]) => [ref, unit.name])).toEqual([["zmSNCYjqQGj", "Burkina Faso"]])
    for (const [ref, unit] of pyramid) {
      if (unit.parentRef === null) continue
      expect(pyramid.get(unit.parentRef)?.type?.[1], ref).toBe((unit.type?.[1] ?? 0) - 1)
    }
    expect(pyramid.get("cHgCAuoQnhs")).toMatchObject({ name: "CSPS Siby (Siby)", parentRef: "GpK1shB1nf4", groups: [], validationStatus: "VALID" })
    expect(pyramid.get("cHgCAuoQnhs")?.location?.length).toBe(3)
    expect(pyramid.get("zmSNCYjqQGj")?.geom?.type).toBe("MultiPolygon")
  })
})
