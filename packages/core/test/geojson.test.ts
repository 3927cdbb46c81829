/**
 * GeoJSON export and import of a version's pyramid, on the memory store: a round trip gives the
 * same pyramid, bad collections give ValidationErrors at the features' paths, and nothing is
 * stored when an import fails.
 */
import { Cause, Effect, Exit, Option } from "effect"
import { describe, expect, it } from "vitest"
import {
  Actor,
  CurrentActor,
  Forbidden,
  GroupModel,
  type IasoServices,
  importPyramid,
  OrgUnitGroupMembershipModel,
  OrgUnitModel,
  OrgUnits,
  OrgUnitTypeModel,
  type PyramidInput,
  type RecordOf,
  SourceVersionModel,
  ValidationError
} from "../src/index.ts"
import { importTestRuntime } from "./import-runtime.ts"
import { exportGeoJsonPyramid, parseGeoJsonPyramid, type PyramidFeatureCollection } from "../src/registry/geojson.ts"
import { importGeoJsonPyramid } from "../src/registry/pyramid-imports-service.ts"

const { runtime, run, freshSource, all, counts: countsOf } = importTestRuntime("GeoJSON")
const failure = async <A, E>(actor: Actor, effect: Effect.Effect<A, E, IasoServices | CurrentActor>): Promise<unknown> => {
  const exit = await runtime.runPromiseExit(Effect.provideService(effect, CurrentActor, actor))
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isNone(error)) throw new Error(`expected a typed failure: ${Cause.pretty(exit.cause)}`)
  return error.value
}
const validationError = async <A, E>(actor: Actor, effect: Effect.Effect<A, E, IasoServices | CurrentActor>): Promise<ValidationError> => {
  const error = await failure(actor, effect)
  if (!(error instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(error)}`)
  return error
}

const freshAccount = () => freshSource("Cameroon")

const counts = (actor: Actor) => countsOf(actor, [OrgUnitModel, OrgUnitTypeModel, GroupModel, OrgUnitGroupMembershipModel, SourceVersionModel])

/** The stored pyramid of a version, by ref, independent of ids. */
const pyramid = async (actor: Actor, versionId: string) => {
  const units = (await all(actor, OrgUnitModel)).filter((u) => u.versionId === versionId)
  const ref = (u: Partial<RecordOf<typeof OrgUnitModel>>) => (u.sourceRef !== undefined && u.sourceRef !== "" ? u.sourceRef : `iaso:${String(u.id)}`)
  const refs = new Map(units.map((u) => [u.id, ref(u)]))
  const types = new Map((await all(actor, OrgUnitTypeModel)).map((t) => [t.id, `${t.name}@${String(t.depth)}`]))
  const groups = new Map((await all(actor, GroupModel)).filter((g) => g.versionId === versionId).map((g) => [g.id, `${String(g.sourceRef)}:${String(g.name)}`]))
  const memberships = await all(actor, OrgUnitGroupMembershipModel)
  return {
    groups: [...groups.values()].sort(),
    units: units
      .map((u) => ({
        ref: ref(u),
        name: u.name,
        parent: u.parentId === undefined ? null : refs.get(u.parentId),
        type: u.orgUnitTypeId === undefined ? null : types.get(u.orgUnitTypeId),
        depth: u.depth,
        groups: memberships
          .filter((m) => m.orgUnitId === u.id)
          .map((m) => groups.get(m.groupId))
          .sort(),
        code: u.code,
        dates: [u.openingDate ?? null, u.closedDate ?? null],
        geom: u.geom ?? null,
        simplifiedGeom: u.simplifiedGeom ?? null,
        location: u.location ?? null
      }))
      .sort((a, b) => (a.ref < b.ref ? -1 : 1))
  }
}

const square = (x: number, y: number, size: number) => [
  [x, y],
  [x + size, y],
  [x + size, y + size],
  [x, y + size],
  [x, y]
]

/** A small pyramid: a district with a hole, an area of two polygons, a facility point, an untyped unit, an empty group. */
const PYRAMID: PyramidInput = {
  groups: [
    { ref: "group_a", name: "Group A" },
    { ref: "group_b", name: "Group B" },
    { ref: "group_empty", name: "Nobody's group" }
  ],
  units: [
    {
      ref: "fosa-1",
      name: "CSI de Garga-Sarali",
      type: { name: "FOSA", depth: 5 },
      parentRef: "as-1",
      groupRefs: ["group_b", "group_a"],
      code: "ES0025",
      geometry: { type: "Point", coordinates: [13.9993, 5.1795, 512] }
    },
    {
      ref: "ds-1",
      name: "District Betare Oya",
      type: { name: "DS", depth: 3 },
      openingDate: "2020-01-01",
      closedDate: "2021-12-31",
      geometry: { type: "Polygon", coordinates: [square(13, 5, 1.5), square(13.5, 5.5, 0.25).reverse()] }
    },
    {
      ref: "as-1",
      name: "AS Tongo Gadima",
      type: { name: "AS", depth: 4 },
      parentRef: "ds-1",
      groupRefs: ["group_a"],
      geometry: { type: "MultiPolygon", coordinates: [[square(13, 5, 0.5)], [square(14, 6, 0.5)]] }
    },
    { ref: "loose", name: "Untyped unit", parentRef: "ds-1", code: "X-1" }
  ]
}

/** Imports PYRAMID into version 0 of a new source, plus a unit without ref (created through OrgUnits). */
const seeded = async () => {
  const context = await freshAccount()
  const result = await run(context.actor, importPyramid(PYRAMID, { dataSourceId: context.source.id, source: "TEST" }))
  const units = await all(context.actor, OrgUnitModel)
  const asId = units.find((u) => u.sourceRef === "as-1")?.id
  if (asId === undefined) throw new Error("as-1 not imported")
  const noRef = await run(
    context.actor,
    Effect.flatMap(Effect.service(OrgUnits), (o) => o.create({ name: "Made by hand", versionId: result.version.id, parentId: asId }))
  )
  return { ...context, version: result.version, asId, noRef }
}

describe("GeoJSON export", () => {
  it("writes one feature per unit with the GeoPackage column names, parents first, and the groups", async () => {
    const { actor, version, noRef } = await seeded()
    const collection = await run(actor, exportGeoJsonPyramid(version.id))
    expect(collection.type).toBe("FeatureCollection")
    expect(collection.groups).toEqual([
      { ref: "group_a", name: "Group A" },
      { ref: "group_b", name: "Group B" },
      { ref: "group_empty", name: "Nobody's group" }
    ])
    expect(collection.features.map((f) => f.properties.ref)).toEqual(expect.arrayContaining(["ds-1", "as-1", "fosa-1", "loose", `iaso:${noRef.id}`]))
    expect(collection.features[0]?.properties.ref).toBe("ds-1")
    const byRef = new Map(collection.features.map((f) => [f.properties.ref, f]))
    expect(byRef.get("fosa-1")).toEqual({
      type: "Feature",
      geometry: { type: "Point", coordinates: [13.9993, 5.1795, 512] },
      properties: {
        ref: "fosa-1",
        name: "CSI de Garga-Sarali",
        parent_ref: "as-1",
        group_refs: "group_a, group_b",
        code: "ES0025",
        opening_date: null,
        closed_date: null,
        uuid: null,
        type: "FOSA",
        depth: 5
      }
    })
    expect(byRef.get("ds-1")?.properties).toEqual({
      ref: "ds-1",
      name: "District Betare Oya",
      parent_ref: null,
      group_refs: "",
      code: "",
      opening_date: "2020-01-01",
      closed_date: "2021-12-31",
      uuid: null,
      type: "DS",
      depth: 3
    })
    expect(byRef.get("ds-1")?.geometry).toEqual({ type: "MultiPolygon", coordinates: [[square(13, 5, 1.5), square(13.5, 5.5, 0.25).reverse()]] })
    expect(byRef.get("loose")?.properties).toMatchObject({ type: null, depth: null, code: "X-1", parent_ref: "ds-1" })
    expect(byRef.get("loose")?.geometry).toBeNull()
    expect(byRef.get(`iaso:${noRef.id}`)?.properties.parent_ref).toBe("as-1")
  })

  it("follows the reader's access: org-unit roots restrict the export, and no read permission is Forbidden", async () => {
    const { actor, version, asId, setup, noRef } = await seeded()
    const restricted = Actor.user({ accountId: setup.account.id, permissions: ["iaso_org_units_read"], orgUnitRoots: [asId] })
    const collection = await run(restricted, exportGeoJsonPyramid(version.id))
    const ds = (await all(actor, OrgUnitModel)).find((u) => u.sourceRef === "ds-1")
    // the export's root keeps a reference to its (unexported) parent, by id
    expect(collection.features.map((f) => [f.properties.ref, f.properties.parent_ref])).toEqual([
      ["as-1", `iaso:${String(ds?.id)}`],
      ...[
        ["fosa-1", "as-1"],
        [`iaso:${noRef.id}`, "as-1"]
      ].sort()
    ])
    const nobody = Actor.user({ accountId: setup.account.id, permissions: ["iaso_forms"] })
    expect(await failure(nobody, exportGeoJsonPyramid(version.id))).toBeInstanceOf(Forbidden)
  })
})

describe("GeoJSON import", () => {
  it("a version exported then imported into a new version gives the same pyramid", async () => {
    const { actor, source, version } = await seeded()
    const exported = await run(actor, exportGeoJsonPyramid(version.id))
    // through JSON text, as a file would carry it
    const text = JSON.stringify(exported)
    const result = await run(actor, importGeoJsonPyramid(JSON.parse(text), { dataSourceId: source.id, versionNumber: 7, requireEmptyVersion: true }))
    expect([result.version.number, result.created, result.updated, result.groupsCreated, result.typesCreated]).toEqual([7, 5, 0, 3, 0])
    const before = await pyramid(actor, version.id)
    const after = await pyramid(actor, result.version.id)
    // the unit made without a ref comes back with `iaso:<its old id>` as its ref
    expect(after).toEqual(before)
    expect(before.units.map((u) => [u.ref, u.depth, u.type])).toEqual(
      expect.arrayContaining([
        ["ds-1", 1, "DS@3"],
        ["as-1", 2, "AS@4"],
        ["fosa-1", 3, "FOSA@5"],
        ["loose", 2, null]
      ])
    )
    // and exporting the copy gives the same collection
    const again: PyramidFeatureCollection = await run(actor, exportGeoJsonPyramid(result.version.id))
    expect(again).toEqual(exported)
  })

  it("names groups from the collection's groups member, else after their ref, and takes group_refs as a list", async () => {
    const { actor, source } = await freshAccount()
    const collection = {
      type: "FeatureCollection",
      groups: [
        { ref: "g1", name: "First" },
        { ref: "unused", name: "Unused" }
      ],
      features: [
        { type: "Feature", geometry: null, properties: { ref: "r", name: "Root", group_refs: "g1, g2,, " } },
        {
          type: "Feature",
          geometry: { type: "Point", coordinates: [1, 2] },
          properties: { ref: "c", name: "Child", parent_ref: "r", group_refs: ["g2"], type: "Leaf", depth: 2 }
        }
      ]
    }
    const result = await run(actor, importGeoJsonPyramid(collection, { dataSourceId: source.id }))
    expect([result.created, result.groupsCreated, result.typesCreated]).toEqual([2, 3, 1])
    const stored = await pyramid(actor, result.version.id)
    expect(stored.groups).toEqual(["g1:First", "g2:g2", "unused:Unused"])
    expect(stored.units.map((u) => [u.ref, u.parent, u.groups, u.type, u.location])).toEqual([
      ["c", "r", ["g2:g2"], "Leaf@2", { type: "Point", coordinates: [1, 2, 0] }],
      ["r", null, ["g1:First", "g2:g2"], null, null]
    ])
  })

  it("bad features are ValidationErrors naming the feature and property, and nothing is stored", async () => {
    const { actor, source } = await freshAccount()
    const before = await counts(actor)
    const collection = {
      type: "FeatureCollection",
      features: [
        { type: "Feature", geometry: null, properties: { ref: "ok", name: "Fine" } },
        { type: "Feature", geometry: null, properties: { name: "No ref" } },
        { type: "Feature", geometry: null, properties: { ref: "  ", name: "Blank ref", opening_date: "01/02/2020" } },
        {
          type: "Feature",
          geometry: {
            type: "Polygon",
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1]
              ]
            ]
          },
          properties: { ref: "open", name: "Open ring", type: "DS" }
        },
        {
          type: "Feature",
          geometry: {
            type: "LineString",
            coordinates: [
              [0, 0],
              [1, 1]
            ]
          },
          properties: { ref: 12, name: "" }
        },
        { type: "Feature", geometry: null, properties: null },
        "not a feature"
      ]
    }
    const error = await validationError(actor, importGeoJsonPyramid(collection, { dataSourceId: source.id }))
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ["features", 1, "properties", "ref"],
      ["features", 2, "properties", "ref"],
      ["features", 2, "properties", "opening_date"],
      ["features", 3, "geometry", "coordinates", 0],
      ["features", 3, "properties", "depth"],
      ["features", 4, "properties", "ref"],
      ["features", 4, "properties", "name"],
      ["features", 5, "properties"],
      ["features", 6]
    ])
    expect(error.issues[2]?.message).toBe('Expected a date written YYYY-MM-DD, got "01/02/2020"')
    expect(error.issues[3]?.message).toBe("a linear ring must be closed (first position equal to last)")
    expect(error.message).toContain('at ["features",1,"properties","ref"]')
    const line = await validationError(
      actor,
      parseGeoJsonPyramid({
        type: "FeatureCollection",
        features: [{ type: "Feature", geometry: { type: "LineString", coordinates: [] }, properties: { ref: "l", name: "Line" } }]
      })
    )
    expect(line.issues).toEqual([
      { path: ["features", 0, "geometry", "type"], message: 'Expected a Point, Polygon or MultiPolygon geometry, got "LineString"' }
    ])
    const text = await validationError(
      actor,
      parseGeoJsonPyramid({ type: "FeatureCollection", features: [{ type: "Feature", geometry: "POINT(1 2)", properties: { ref: "t", name: "Text" } }] })
    )
    expect(text.issues).toEqual([{ path: ["features", 0, "geometry"], message: "Expected a GeoJSON geometry object or null" }])
    const notCollection = await validationError(actor, importGeoJsonPyramid({ type: "Feature", features: {} }, { dataSourceId: source.id }))
    expect(notCollection.issues.map((issue) => issue.path)).toEqual([["type"], ["features"]])
    expect(await counts(actor)).toEqual(before)
  })

  it("unknown parents and duplicate refs are reported at their features' paths, all at once, and nothing is stored", async () => {
    const { actor, source } = await freshAccount()
    const before = await counts(actor)
    const collection = {
      type: "FeatureCollection",
      groups: [{ ref: "g", name: "G" }],
      features: [
        { type: "Feature", geometry: null, properties: { ref: "a", name: "A", group_refs: "g", type: "Region", depth: 2 } },
        { type: "Feature", geometry: null, properties: { ref: "b", name: "B", parent_ref: "missing-1" } },
        { type: "Feature", geometry: null, properties: { ref: "a", name: "A again" } },
        { type: "Feature", geometry: null, properties: { ref: "c", name: "C", parent_ref: "missing-2" } }
      ]
    }
    const error = await validationError(actor, importGeoJsonPyramid(collection, { dataSourceId: source.id }))
    expect(error.issues).toEqual([
      {
        path: ["features", 1, "properties", "parent_ref"],
        message: "parent_ref missing-1 of b (B) is neither a feature of the collection nor a unit of the target version"
      },
      { path: ["features", 2, "properties", "ref"], message: "duplicate ref a" },
      {
        path: ["features", 3, "properties", "parent_ref"],
        message: "parent_ref missing-2 of c (C) is neither a feature of the collection nor a unit of the target version"
      }
    ])
    expect(await counts(actor)).toEqual(before)
  })
})
