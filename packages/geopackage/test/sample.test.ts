/**
 * The sample GeoPackage: core's seeded sample pyramid in IASO's format, imported back whole.
 */
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { samplePyramid } from "@iaso/core"
import { importGeoPackage, sampleGeoPackage } from "@iaso/geopackage"
import { BetterSqlite3Gpkg } from "@iaso/geopackage/node"
import { makeHarness } from "./harness.ts"

const h = makeHarness(BetterSqlite3Gpkg.layer)
afterAll(() => h.dispose())

describe("the sample GeoPackage", () => {
  it("imports as the sample pyramid: 1,007 units on five levels, parents kept, points with z = 0 as IASO stores them", async () => {
    const bytes = await Effect.runPromise(sampleGeoPackage("1k").pipe(Effect.provide(BetterSqlite3Gpkg.layer)))
    const { actor, source } = await h.freshSource("sample")
    const result = await h.run(actor, importGeoPackage(bytes, { dataSourceId: source.id }))
    expect([result.created, result.updated, result.typesCreated]).toEqual([1007, 0, 5])
    const pyramid = await h.pyramidOf(actor, result.version.id)
    const units = [...samplePyramid("1k")]
    expect(pyramid.size).toBe(1007)
    const perLevel = new Map<string, number>()
    for (const unit of pyramid.values()) perLevel.set(`${unit.type?.[1]} ${unit.type?.[0]}`, (perLevel.get(`${unit.type?.[1]} ${unit.type?.[0]}`) ?? 0) + 1)
    expect([...perLevel.entries()].sort()).toEqual([
      ["1 Country", 1],
      ["2 Region", 2],
      ["3 District", 4],
      ["4 Area", 20],
      ["5 Facility", 980]
    ])
    const facility = units[units.length - 1]
    if (facility === undefined || facility.location === undefined) throw new Error("the sample has facilities with points")
    expect(pyramid.get(facility.id)).toMatchObject({
      name: "Facility 2.2.5.49",
      parentRef: facility.parentId,
      location: [facility.location[0], facility.location[1], 0]
    })
    expect(pyramid.get(units[0]?.id ?? "")).toMatchObject({ name: "Country", parentRef: null, location: null })
  })

  it("is the same pyramid for the same seed and another for another seed", () => {
    const ids = (seed: number) => [...samplePyramid("1k", seed)].map((unit) => unit.id)
    expect(ids(7)).toEqual(ids(7))
    expect(ids(7)).not.toEqual(ids(8))
    expect(new Set(ids(7)).size).toBe(1007)
  })
})
