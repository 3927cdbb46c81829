/**
 * The DHIS2 pyramid import on the memory store, against IASO's own DHIS2 fixtures
 * (`iaso/tests/fixtures/dhis2/`, read from ../shared) and a few hand-made payloads.
 */
import { Cause, Effect, Exit, Option } from "effect"
import type { MultiPolygon, Position } from "geojson"
import { describe, expect, it } from "vitest"
import {
  Actor,
  Forbidden,
  GroupModel,
  GroupSetGroupModel,
  GroupSetModel,
  NotFound,
  OrgUnitGroupMembershipModel,
  OrgUnitModel,
  OrgUnitTypeModel,
  SourceVersionModel,
  ValidationError
} from "../src/index.ts"
import { dhis2FallbackTypeName, type Dhis2Payload, parseDhis2Pyramid } from "../src/registry/dhis2-import.ts"
import { importDhis2Pyramid } from "../src/registry/pyramid-imports-service.ts"
import { importTestRuntime } from "./import-runtime.ts"
import { readShared, sharedAvailable, skipMessage } from "./shared-files.ts"

const DIR = "fixtures/iaso/iaso/tests/fixtures/dhis2"
const available = sharedAvailable(`${DIR}/orgunits.json`)
const fixture = (name: string): unknown => JSON.parse(readShared(`${DIR}/${name}`))

const { run, exitOf, freshSource: sourceNamed, all, counts: countsOf } = importTestRuntime("DHIS2 import")
const failure = <A>(exit: Exit.Exit<A, unknown>): ValidationError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isNone(error) || !(error.value instanceof ValidationError)) throw new Error(`expected a ValidationError: ${Cause.pretty(exit.cause)}`)
  return error.value
}

/** A new account, and a data source of its main project (no version yet). */
const freshSource = (sourceName = "Sierra Leone") => sourceNamed(sourceName)

/** Row counts of what an import writes, to check that a failed one wrote nothing. */
const counts = (actor: Actor) => countsOf(actor, [OrgUnitModel, OrgUnitTypeModel, GroupModel, GroupSetModel, SourceVersionModel])

interface StoredUnit {
  readonly name: string | undefined
  readonly parent: string | null | undefined
  readonly type: string | null | undefined
  readonly depth: number | undefined
  readonly groups: ReadonlyArray<string | undefined>
}

/** The stored pyramid of a version, by DHIS2 id: name, parent's DHIS2 id, type, tree depth, groups' DHIS2 ids. */
const pyramid = async (actor: Actor, versionId: string) => {
  const units = (await all(actor, OrgUnitModel)).filter((u) => u.versionId === versionId)
  const types = new Map((await all(actor, OrgUnitTypeModel)).map((t) => [t.id, `${t.name}@${String(t.depth)}`]))
  const groups = new Map((await all(actor, GroupModel)).filter((g) => g.versionId === versionId).map((g) => [g.id, g.sourceRef]))
  const memberships = await all(actor, OrgUnitGroupMembershipModel)
  const refs = new Map(units.map((u) => [u.id, u.sourceRef]))
  return Object.fromEntries(
    units.map((u): [string, StoredUnit] => [
      String(u.sourceRef),
      {
        name: u.name,
        parent: u.parentId === undefined ? null : refs.get(u.parentId),
        type: u.orgUnitTypeId === undefined ? null : types.get(u.orgUnitTypeId),
        depth: u.depth,
        groups: memberships
          .filter((m) => m.orgUnitId === u.id)
          .map((m) => groups.get(m.groupId))
          .sort()
      }
    ])
  )
}

/** Planar area (square degrees) of a multipolygon, holes subtracted: the measure IASO's tests use. */
const area = (mp: MultiPolygon): number => {
  const ring = (positions: ReadonlyArray<Position>) =>
    Math.abs(
      positions.reduce((sum, p, i) => {
        const q = positions[(i + 1) % positions.length] ?? p
        return sum + (p[0] ?? 0) * (q[1] ?? 0) - (q[0] ?? 0) * (p[1] ?? 0)
      }, 0)
    ) / 2
  return mp.coordinates.reduce((sum, polygon) => sum + polygon.reduce((s, r, i) => s + (i === 0 ? ring(r) : -ring(r)), 0), 0)
}

describe.skipIf(!available)(`DHIS2 import of IASO's fixtures ${available ? "" : skipMessage(DIR)}`, () => {
  it("orgunits.json with its levels and group sets gives the pyramid IASO's test expects", async () => {
    const { actor, source } = await freshSource()
    const result = await run(
      actor,
      importDhis2Pyramid(
        { organisationUnits: fixture("orgunits.json"), levels: fixture("organisationUnitLevels.json"), groupSets: fixture("groupsets.json") },
        { dataSourceId: source.id }
      )
    )
    // Hand counts from the files:
    // - orgunits.json lists 4 organisationUnits (pager.total 4): Sierra Leone (level 1, no parent), Kenema (level 2,
    //   parent Sierra Leone), Gorama Mende (level 3, parent Kenema), Bambara Kaima CHP (level 5, parent Gorama Mende).
    // - organisationUnitLevels.json declares levels 1 National, 2 District, 3 Chiefdom, 4 Facility: levels 1-3 get
    //   those names; level 5 has none, so Bambara gets the fallback type. Facility (4) is used by no unit, so 4 types
    //   are created (IASO's test counts 5: it creates every declared level, plus its fallback).
    // - groups: the units name 6 distinct groups (CHP, Urban, Public facilities on Bambara; Chiefdom, Urban on Gorama;
    //   District, Urban on Kenema; Country on Sierra Leone); groupsets.json lists 4 sets of 4 + 4 + 5 + 2 = 15 groups,
    //   3 of which (Public facilities oRVt7g429ZO, CHP uYxK4wmcPqA, Urban f25dqv3Y7Z0) are among the 6: 6 + 15 - 3 = 18,
    //   IASO's count too.
    expect([result.version.number, result.created, result.updated, result.typesCreated, result.groupsCreated, result.duplicates, result.skipped]).toEqual([
      0, 4, 0, 4, 18, 0, 0
    ])
    expect(result.warnings).toEqual([])
    const fallback = dhis2FallbackTypeName("Sierra Leone", 5)
    expect(fallback).toBe("Sierra Leone - Unknown level 5")
    expect(await pyramid(actor, result.version.id)).toEqual({
      ImspTQPwCqd: { name: "Sierra Leone", parent: null, type: "National@1", depth: 1, groups: ["RpbiCJpIYEj"] },
      kJq2mPyFEHo: { name: "Kenema", parent: "ImspTQPwCqd", type: "District@2", depth: 2, groups: ["f25dqv3Y7Z0", "w1Atoz18PCL"] },
      KXSqt7jv6DU: { name: "Gorama Mende", parent: "kJq2mPyFEHo", type: "Chiefdom@3", depth: 3, groups: ["f25dqv3Y7Z0", "gzcv65VyaGq"] },
      LOpWauwwghf: { name: "Bambara Kaima CHP", parent: "KXSqt7jv6DU", type: `${fallback}@5`, depth: 4, groups: ["f25dqv3Y7Z0", "oRVt7g429ZO", "uYxK4wmcPqA"] }
    })
    const units = new Map((await all(actor, OrgUnitModel)).map((u) => [u.sourceRef, u]))
    // codes, dates (date part of DHIS2's datetimes), sub source, status
    expect([...units.values()].map((u) => [u.sourceRef, u.code, u.openingDate ?? null, u.closedDate ?? null, u.subSource, u.validationStatus]).sort()).toEqual([
      ["ImspTQPwCqd", "lvl1", "2023-05-10", null, "Sierra Leone", "NEW"],
      ["KXSqt7jv6DU", "lvl3", "2023-05-10", "2023-10-30", "Sierra Leone", "NEW"],
      ["LOpWauwwghf", "lvl5", "2023-05-10", "2023-10-30", "Sierra Leone", "NEW"],
      ["kJq2mPyFEHo", "lvl2", "2023-05-10", null, "Sierra Leone", "NEW"]
    ])
    // legacy coordinates strings: a point "[-11.3596,8.5317]" and two one-polygon, one-ring multipolygons "[[[[...]]]]"
    expect(units.get("LOpWauwwghf")?.location).toEqual({ type: "Point", coordinates: [-11.3596, 8.5317, 0] })
    const gorama = units.get("KXSqt7jv6DU")?.geom
    expect(gorama?.coordinates.map((polygon) => polygon.map((ring) => ring.length))).toEqual([[145]])
    expect(gorama?.coordinates[0]?.[0]?.[0]).toEqual([-11.3596, 8.5317])
    expect(units.get("KXSqt7jv6DU")?.simplifiedGeom?.type).toBe("MultiPolygon")
    expect(units.get("kJq2mPyFEHo")?.geom?.coordinates.map((polygon) => polygon.map((ring) => ring.length))).toEqual([[659]])
    expect(units.get("ImspTQPwCqd")?.geom).toBeUndefined()
    // types and group sets
    expect((await all(actor, OrgUnitTypeModel)).map((t) => [t.name, t.depth, t.shortName]).sort()).toEqual([
      ["Chiefdom", 3, "Chiefdom"],
      ["District", 2, "District"],
      ["National", 1, "National"],
      [fallback, 5, "Unknown level 5"]
    ])
    const groups = await all(actor, GroupModel)
    expect(groups.length).toBe(18)
    expect(groups.find((g) => g.sourceRef === "uYxK4wmcPqA")?.name).toBe("CHP")
    const sets = await all(actor, GroupSetModel)
    expect(sets.map((s) => [s.name, s.sourceRef]).sort()).toEqual([
      ["Area", "uIuxlbV1vRT"],
      ["Facility Ownership", "Bpx0589u8y0"],
      ["Facility Type", "J5jldMd8OHv"],
      ["Location Rural/Urban", "Cbuj0VCyDjL"]
    ])
    const groupNames = new Map(groups.map((g) => [g.id, g.name]))
    const facilityType = sets.find((s) => s.sourceRef === "J5jldMd8OHv")?.id
    const links = (await all(actor, GroupSetGroupModel)).filter((l) => l.groupSetId === facilityType)
    expect(links.map((l) => groupNames.get(l.groupId)).sort()).toEqual(["CHC", "CHP", "Clinic", "Hospital", "MCHP"])
  })

  it("orgunits_page1.json + orgunits_page2.json merged give the missing-parent error listing both units, and store nothing", async () => {
    // The two pages are the same two units (Bambara Kaima CHP, parent Gorama Mende KXSqt7jv6DU; Kenema, parent Sierra
    // Leone ImspTQPwCqd): merged and deduplicated they are 2 units whose parents are in neither the payload nor the
    // (new) version. Each page alone fails the same way.
    const { actor, source } = await freshSource()
    const before = await counts(actor)
    const pages = [fixture("orgunits_page1.json"), fixture("orgunits_page2.json")]
    const exit = await exitOf(actor, importDhis2Pyramid({ organisationUnits: pages }, { dataSourceId: source.id }))
    const error = failure(exit)
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.issues).toEqual([
      {
        path: ["organisationUnits", 0, "organisationUnits", 0, "parent", "id"],
        message:
          "Parent KXSqt7jv6DU not found for org unit LOpWauwwghf (Bambara Kaima CHP): it is neither among the imported DHIS2 org units nor in the target version"
      },
      {
        path: ["organisationUnits", 0, "organisationUnits", 1, "parent", "id"],
        message: "Parent ImspTQPwCqd not found for org unit kJq2mPyFEHo (Kenema): it is neither among the imported DHIS2 org units nor in the target version"
      }
    ])
    expect(await counts(actor)).toEqual(before)
    for (const page of pages) {
      const alone = failure(await exitOf(actor, importDhis2Pyramid({ organisationUnits: page }, { dataSourceId: source.id })))
      expect(alone.issues.map((issue) => issue.path)).toEqual([
        ["organisationUnits", "organisationUnits", 0, "parent", "id"],
        ["organisationUnits", "organisationUnits", 1, "parent", "id"]
      ])
    }
    expect(await counts(actor)).toEqual(before)
  })

  it("orgunits_page1.json + orgunits_page2.json work when their parents are present: in another page, or in the version (update mode)", async () => {
    const { actor, source } = await freshSource()
    const pages = [fixture("orgunits_page1.json"), fixture("orgunits_page2.json"), fixture("orgunits.json")]
    const merged = await run(
      actor,
      importDhis2Pyramid({ organisationUnits: pages, levels: fixture("organisationUnitLevels.json") }, { dataSourceId: source.id, versionNumber: 1 })
    )
    // 2 + 2 + 4 units, 4 distinct ids: the first occurrence wins (page 1 for Bambara and Kenema).
    expect([merged.created, merged.duplicates]).toEqual([4, 4])
    // orgunits.json has other codes, dates and levels for Bambara and Kenema than the pages: reported, first kept.
    expect(merged.warnings.map((w) => w.path)).toEqual([
      ["organisationUnits", 2, "organisationUnits", 0],
      ["organisationUnits", 2, "organisationUnits", 2]
    ])
    const stored = await pyramid(actor, merged.version.id)
    expect(stored["LOpWauwwghf"]).toEqual({
      name: "Bambara Kaima CHP",
      parent: "KXSqt7jv6DU",
      type: "Facility@4",
      depth: 4,
      groups: ["f25dqv3Y7Z0", "oRVt7g429ZO", "uYxK4wmcPqA"]
    })
    const units = new Map((await all(actor, OrgUnitModel)).map((u) => [u.sourceRef, u]))
    expect([units.get("LOpWauwwghf")?.code, units.get("LOpWauwwghf")?.openingDate]).toEqual(["OU_222633", "1994-01-01"])
    expect(units.get("kJq2mPyFEHo")?.geom?.coordinates.map((polygon) => polygon.map((ring) => ring.length))).toEqual([[659]])

    // Update mode: a version holding Sierra Leone, Kenema and Gorama Mende gets the missing Bambara Kaima CHP only.
    const partial = fixture("orgunits.json") as { organisationUnits: ReadonlyArray<{ id: string }> }
    const three = { organisationUnits: partial.organisationUnits.filter((u) => u.id !== "LOpWauwwghf") }
    const base = await run(actor, importDhis2Pyramid({ organisationUnits: three }, { dataSourceId: source.id, versionNumber: 2 }))
    expect(base.created).toBe(3)
    const update = await run(actor, importDhis2Pyramid({ organisationUnits: pages.slice(0, 2) }, { dataSourceId: source.id, versionNumber: 2, update: true }))
    expect([update.created, update.skipped, update.duplicates, update.groupsCreated]).toEqual([1, 1, 2, 2])
    const after = await pyramid(actor, base.version.id)
    expect(Object.keys(after).sort()).toEqual(["ImspTQPwCqd", "KXSqt7jv6DU", "LOpWauwwghf", "kJq2mPyFEHo"])
    expect(after["LOpWauwwghf"]?.parent).toBe("KXSqt7jv6DU")
    expect(after["LOpWauwwghf"]?.depth).toBe(4)
    // Kenema, already in the version, is left as it was (page 1 gives it another code, OU_222616, and a polygon).
    const kenema = (await all(actor, OrgUnitModel)).find((u) => u.versionId === base.version.id && u.sourceRef === "kJq2mPyFEHo")
    expect(kenema?.code).toBe("lvl2")

    // Without update mode a version that has units is refused, and nothing changes.
    const before = await counts(actor)
    const refused = failure(await exitOf(actor, importDhis2Pyramid({ organisationUnits: pages.slice(0, 2) }, { dataSourceId: source.id, versionNumber: 2 })))
    expect(refused).toBeInstanceOf(ValidationError)
    expect(refused.message).toContain("already has 4 org units")
    expect(await counts(actor)).toEqual(before)
  })

  it("update mode reports only the units whose parent is missing from both the payload and the version", async () => {
    const { actor, source } = await freshSource()
    const partial = fixture("orgunits.json") as { organisationUnits: ReadonlyArray<{ id: string }> }
    await run(
      actor,
      importDhis2Pyramid({ organisationUnits: partial.organisationUnits.filter((u) => u.id === "ImspTQPwCqd") }, { dataSourceId: source.id, versionNumber: 1 })
    )
    const before = await counts(actor)
    const pages = [fixture("orgunits_page1.json"), fixture("orgunits_page2.json")]
    const error = failure(await exitOf(actor, importDhis2Pyramid({ organisationUnits: pages }, { dataSourceId: source.id, versionNumber: 1, update: true })))
    expect(error.issues.map((issue) => [issue.path, issue.message.split(":")[0]])).toEqual([
      [["organisationUnits", 0, "organisationUnits", 0, "parent", "id"], "Parent KXSqt7jv6DU not found for org unit LOpWauwwghf (Bambara Kaima CHP)"]
    ])
    expect(await counts(actor)).toEqual(before)
  })

  it("orgunits_strange_geom.json: polygons with holes and multipolygons are all read (IASO's areas)", async () => {
    const { actor, source } = await freshSource()
    const result = await run(
      actor,
      importDhis2Pyramid(
        { organisationUnits: fixture("orgunits_strange_geom.json"), levels: fixture("organisationUnitLevels.json") },
        { dataSourceId: source.id, validationStatus: "VALID" }
      )
    )
    // 4 units, all level 1 (National), no parents; unit c names 2 groups (District, Urban): IASO's test counts 4 units, 2 groups.
    expect([result.created, result.groupsCreated, result.typesCreated]).toEqual([4, 2, 1])
    expect(result.warnings).toEqual([])
    const units = new Map((await all(actor, OrgUnitModel)).map((u) => [u.sourceRef, u]))
    const shape = (ref: string): MultiPolygon => {
      const geom = units.get(ref)?.geom
      if (geom === undefined) throw new Error(`${ref} has no shape`)
      return geom
    }
    // polygons per shape, rings per polygon
    expect(["a", "b", "c", "d"].map((ref) => shape(ref).coordinates.map((polygon) => polygon.length))).toEqual([[1], [2], [2, 2], [1, 1]])
    expect(area(shape("a"))).toBeCloseTo(1, 10)
    expect(area(shape("b"))).toBeCloseTo(0.64, 10)
    expect(area(shape("c"))).toBeCloseTo(0.019948936631078506, 10)
    expect(area(shape("d"))).toBeCloseTo(2, 10)
    expect([...units.values()].map((u) => [u.sourceRef, u.code, u.closedDate ?? null, u.validationStatus]).sort()).toEqual([
      ["a", "new-code-a", "2023-10-30", "VALID"],
      ["b", "new-code-b", null, "VALID"],
      ["c", "new-code-c", null, "VALID"],
      ["d", "new-code-d", "2023-10-30", "VALID"]
    ])
  })

  it("orgunits_strange_geom.json with unreadable shapes added: each is dropped with a warning, the units are imported", async () => {
    const { actor, source } = await freshSource("Strange")
    const strange = fixture("orgunits_strange_geom.json") as { organisationUnits: ReadonlyArray<unknown> }
    const odd = [
      {
        id: "line",
        name: "A line",
        level: 1,
        geometry: {
          type: "LineString",
          coordinates: [
            [0, 0],
            [1, 1]
          ]
        }
      },
      {
        id: "open",
        name: "Open ring",
        level: 1,
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
        }
      },
      { id: "far", name: "Out of range", level: 1, coordinates: "[200,95]" },
      { id: "text", name: "Not JSON", level: 1, coordinates: "POINT(1 2)" },
      { id: "fallback", name: "Bad geometry, good coordinates", level: 1, geometry: { type: "Point" }, coordinates: "[1.5,2.5]" },
      { id: "ring", name: "Bare ring", level: 1, coordinates: "[[0,0],[1,0],[1,1],[0,0]]" }
    ]
    const result = await run(
      actor,
      importDhis2Pyramid({ organisationUnits: { organisationUnits: [...strange.organisationUnits, ...odd] } }, { dataSourceId: source.id })
    )
    expect(result.created).toBe(10)
    expect(result.warnings.map((w) => [w.path.slice(-2), w.message.split(":")[0]])).toEqual([
      [[4, "geometry"], "line (A line)"],
      [[5, "geometry"], "open (Open ring)"],
      [[6, "coordinates"], "far (Out of range)"],
      [[7, "coordinates"], "text (Not JSON)"],
      [[8, "geometry"], "fallback (Bad geometry, good coordinates)"],
      [[9, "coordinates"], "ring (Bare ring)"]
    ])
    expect(result.warnings[1]?.message).toContain("a linear ring must be closed")
    expect(result.warnings[2]?.message).toContain("longitude must be within [-180, 180]")
    const units = new Map((await all(actor, OrgUnitModel)).map((u) => [u.sourceRef, u]))
    for (const ref of ["line", "open", "far", "text", "ring"]) expect([units.get(ref)?.geom, units.get(ref)?.location]).toEqual([undefined, undefined])
    expect(units.get("fallback")?.location).toEqual({ type: "Point", coordinates: [1.5, 2.5, 0] })
    // no organisationUnitLevels given: every unit gets the fallback type of level 1
    expect((await all(actor, OrgUnitTypeModel)).map((t) => [t.name, t.depth])).toEqual([["Strange - Unknown level 1", 1]])
  })

  it("organisationUnitGroups pages give the members of groups; group sets are linked from both sides", async () => {
    const { actor, source } = await freshSource()
    const units = (fixture("orgunits.json") as { organisationUnits: ReadonlyArray<Record<string, unknown>> }).organisationUnits.map(
      ({ organisationUnitGroups: _, ...unit }) => unit
    )
    // Three group pages of IASO's fixtures: Facility Ownership (4 groups), Location Rural/Urban (2), Facility Type (5).
    const groups = ["organisationUnitGroups-Bpx0589u8y0.json", "organisationUnitGroups-Cbuj0VCyDjL.json", "organisationUnitGroups-J5jldMd8OHv.json"].map(
      fixture
    )
    const result = await run(actor, importDhis2Pyramid({ organisationUnits: units, groups }, { dataSourceId: source.id }))
    expect([result.created, result.groupsCreated]).toEqual([4, 11])
    // Only 5 of the members listed by the groups are imported units (Bambara in Public facilities, Urban and CHP;
    // Gorama Mende and Kenema in Urban): the thousands of others are counted in one warning.
    expect(result.warnings).toHaveLength(1)
    expect(result.warnings[0]?.path).toEqual(["groups"])
    const stored = await pyramid(actor, result.version.id)
    expect(Object.fromEntries(Object.entries(stored).map(([ref, unit]) => [ref, unit.groups]))).toEqual({
      ImspTQPwCqd: [],
      kJq2mPyFEHo: ["f25dqv3Y7Z0"],
      KXSqt7jv6DU: ["f25dqv3Y7Z0"],
      LOpWauwwghf: ["f25dqv3Y7Z0", "oRVt7g429ZO", "uYxK4wmcPqA"]
    })
    // the groups name their group set (groupSets[id]); with the set given, the links are made from that side too
    const withSets = await freshSource()
    const linked = await run(
      withSets.actor,
      importDhis2Pyramid(
        { organisationUnits: units, groups, groupSets: { organisationUnitGroupSets: [{ id: "J5jldMd8OHv", name: "Facility Type" }] } },
        { dataSourceId: withSets.source.id }
      )
    )
    expect(linked.groupsCreated).toBe(11)
    const names = new Map((await all(withSets.actor, GroupModel)).map((g) => [g.id, g.name]))
    expect((await all(withSets.actor, GroupSetGroupModel)).map((l) => names.get(l.groupId)).sort()).toEqual(["CHC", "CHP", "Clinic", "Hospital", "MCHP"])
  })

  it("a group named differently by the groups resource and by a unit keeps the groups resource's name, with a warning", async () => {
    const { actor, source } = await freshSource()
    // IASO's organisationUnitGroups-RpbiCJpIYEj.json names RpbiCJpIYEj "Eastern Area"; orgunits.json calls it "Country".
    const result = await run(
      actor,
      importDhis2Pyramid(
        { organisationUnits: fixture("orgunits.json"), groups: fixture("organisationUnitGroups-RpbiCJpIYEj.json") },
        { dataSourceId: source.id }
      )
    )
    expect((await all(actor, GroupModel)).find((g) => g.sourceRef === "RpbiCJpIYEj")?.name).toBe("Eastern Area")
    expect(result.warnings.map((w) => w.message)).toContain("group RpbiCJpIYEj is also named Country: Eastern Area is kept")
  })
})

describe("DHIS2 import rules", () => {
  it("needs iaso_sources, and a source of the actor's account", async () => {
    const { actor, source } = await freshSource()
    const payload = { organisationUnits: [{ id: "root", name: "Root", level: 1 }] }
    const reader = Actor.user({ accountId: actor.accountId, permissions: ["iaso_org_units"] })
    const refused = await exitOf(reader, importDhis2Pyramid(payload, { dataSourceId: source.id }))
    expect(Exit.isFailure(refused) && Option.getOrUndefined(Cause.findErrorOption(refused.cause))).toBeInstanceOf(Forbidden)
    const other = await freshSource()
    const foreign = await exitOf(other.actor, importDhis2Pyramid(payload, { dataSourceId: source.id }))
    expect(Exit.isFailure(foreign) && Option.getOrUndefined(Cause.findErrorOption(foreign.cause))).toBeInstanceOf(NotFound)
    const imported = await run(actor, importDhis2Pyramid(payload, { dataSourceId: source.id }))
    expect(imported.created).toBe(1)
  })
})

describe("DHIS2 payload decoding", () => {
  const parse = (payload: Dhis2Payload) => Effect.runPromiseExit(parseDhis2Pyramid(payload, { sourceName: "S" }))

  it("names every malformed item by its place in the payload", async () => {
    const exit = await parse({
      organisationUnits: [
        { organisationUnits: [{ id: "a", name: "A", level: 1, openingDate: "2023-05-10T00:00:00.000" }] },
        { organisationUnits: [{ id: "b", level: 0, openingDate: "10/05/2023", parent: { id: "" } }] }
      ],
      levels: { organisationUnitLevels: [{ level: "one", name: "National" }] },
      groups: 42
    })
    const error = failure(exit)
    expect(error.issues).toEqual([
      { path: ["organisationUnits", 1, "organisationUnits", 0, "name"], message: "Missing key" },
      { path: ["organisationUnits", 1, "organisationUnits", 0, "level"], message: "Expected a value greater than or equal to 1" },
      { path: ["organisationUnits", 1, "organisationUnits", 0, "parent", "id"], message: "must not be empty or blank" },
      {
        path: ["organisationUnits", 1, "organisationUnits", 0, "openingDate"],
        message: 'Expected a DHIS2 date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss.sss), got "10/05/2023"'
      },
      { path: ["levels", "organisationUnitLevels", 0, "level"], message: "Expected number" },
      { path: ["groups"], message: "Expected a DHIS2 organisationUnitGroups response page, a list of pages, or a list of organisationUnitGroups" }
    ])
    const missing = failure(await parse({ organisationUnits: { pager: { page: 1 } } }))
    expect(missing.issues).toEqual([{ path: ["organisationUnits", "organisationUnits"], message: "Missing key" }])
    const pageWithout = failure(await parse({ organisationUnits: [{ organisationUnits: [] }, { pager: { page: 2 } }] }))
    expect(pageWithout.issues).toEqual([{ path: ["organisationUnits", 1, "organisationUnits"], message: "Missing key" }])
    const absent = failure(await Effect.runPromiseExit(parseDhis2Pyramid({} as Dhis2Payload, { sourceName: "S" })))
    expect(absent.issues.map((issue) => issue.path)).toEqual([["organisationUnits"]])
  })

  it("takes a bare list of units, reads the level from the path, and keeps date parts only", async () => {
    const exit = await parse({
      organisationUnits: [
        { id: "root", name: " Root ", path: "/root", closedDate: "2024-02-29T23:59:59.999+01:00" },
        { id: "leaf", name: "Leaf", path: "/root/leaf", parent: { id: "root" }, code: " C1 ", openingDate: "2020-01-01" }
      ],
      levels: [{ level: 1, name: "Country" }]
    })
    if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
    expect(exit.value.input.units).toEqual([
      { ref: "root", name: "Root", type: { name: "Country", depth: 1 }, parentRef: null, groupRefs: [], code: null, closedDate: "2024-02-29", subSource: "S" },
      {
        ref: "leaf",
        name: "Leaf",
        type: { name: "S - Unknown level 2", depth: 2 },
        parentRef: "root",
        groupRefs: [],
        code: "C1",
        openingDate: "2020-01-01",
        subSource: "S"
      }
    ])
    expect(exit.value.unitPaths).toEqual([
      ["organisationUnits", 0],
      ["organisationUnits", 1]
    ])
  })
})
