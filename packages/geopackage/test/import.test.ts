/**
 * GeoPackage import of IASO's own fixtures (`iaso/tests/fixtures/gpkg/` and the setuper's
 * `small_sample.gpkg`, read from ../shared), one row per file, on the memory store. Expected values
 * come from the reference (iaso-georegistry.md §17 and §22.1), not from this importer's output.
 */
import { readdirSync } from "node:fs"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { GroupModel, Groups, OrgUnitModel, OrgUnitTypeModel, Sources } from "@iaso/core"
import { importGeoPackage } from "@iaso/geopackage"
import { AS, BF_TYPES, checkFixture, DIR, DS, expectPyramid, FIXTURES, FOSA, INTERNAL_REFS } from "./gpkg-fixtures.ts"
import { makeHarness, positionCount } from "./harness.ts"
import { readSharedBytes, sharedAvailable, sharedPath, skipMessage } from "./shared-files.ts"
import { BetterSqlite3Gpkg } from "@iaso/geopackage/node"

const SMALL_SAMPLE = "fixtures/iaso/setuper/data/small_sample.gpkg"
const available = sharedAvailable(`${DIR}/minimal.gpkg`) && sharedAvailable(SMALL_SAMPLE)

const h = makeHarness(BetterSqlite3Gpkg.layer)
afterAll(() => h.dispose())

describe.skipIf(!available)(`importing IASO's GeoPackage fixtures ${available ? "" : skipMessage(DIR)}`, () => {
  it("has a row for every fixture file", () => {
    expect(
      readdirSync(sharedPath(DIR))
        .filter((f) => f.endsWith(".gpkg"))
        .sort()
    ).toEqual(FIXTURES.map(([file]) => file).sort())
  })

  it.each(FIXTURES)("%s", (file, outcome) => checkFixture(h, file, outcome))

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
    const version = await h.run(
      actor,
      Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id, { number: 0 }))
    )
    await h.run(
      actor,
      Effect.flatMap(Effect.service(Groups), (g) => g.create({ name: "Not in the file", sourceRef: "group_not_in_gpkg", versionId: version.id }))
    )
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
    expect([(await h.all(actor, OrgUnitModel)).length, (await h.all(actor, GroupModel)).length, (await h.all(actor, OrgUnitTypeModel)).length]).toEqual([
      14, 6, 5
    ])

    const again = await h.run(actor, importGeoPackage(bytes, { dataSourceId: source.id, versionNumber: first.version.number }))
    expect([again.created, again.updated]).toEqual([0, 7])
    expect([(await h.all(actor, OrgUnitModel)).length, (await h.all(actor, GroupModel)).length, (await h.all(actor, OrgUnitTypeModel)).length]).toEqual([
      14, 6, 5
    ])
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
