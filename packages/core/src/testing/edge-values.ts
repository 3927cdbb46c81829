/**
 * Edge values every store answers the same way, through the public API: a coordinate of -0 (what
 * rounding a small negative longitude gives on the Greenwich meridian) is accepted and stored as
 * 0 by every writer and its audit entry; JSON nested past `MAX_JSON_DEPTH` and imports past
 * `maxUnits` are `ValidationError`s naming the limit, with nothing stored; an actor with a thousand
 * org-unit roots sees exactly the units under them; unknown operators, values of the wrong type,
 * NUL in a filter value and tampered cursors are `ValidationError`s before any store sees them.
 * @module
 */
import { Effect } from "effect"
import type { MultiPolygon, Point } from "geojson"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { Records } from "../kernel/records.ts"
import type { Dhis2Payload } from "../registry/dhis2-import.ts"
import { type OrgUnit, OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import type { PyramidInput } from "../registry/pyramid-import.ts"
import { importDhis2Pyramid, importGeoJsonPyramid, importPyramid } from "../registry/pyramid-imports-service.ts"
import { Sources } from "../registry/sources-service.ts"
import type { OrgUnitId } from "../shared/entity-ids.ts"
import { TOO_DEEP_MESSAGE } from "../shared/json.ts"
import type { Row } from "../shared/model.ts"
import { OPERATORS } from "../shared/query.ts"
import type { FieldCondition, ListOptions } from "../shared/repository.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { exitError, exitTag, type FreshAccount, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

/** The issues of a failed exit's `ValidationError` (what the scenarios compare exactly). */
const issuesOf = (exit: Parameters<typeof exitTag>[0]) => {
  expect(exitTag(exit)).toBe("ValidationError")
  return (exitError(exit) as { readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<string | number>; readonly message: string }> }).issues
}

/** `inner` wrapped in `levels` arrays (`nestedArrays(2)` is `[[1]]`), built without recursion. */
const nestedArrays = (levels: number, inner: unknown = 1): unknown => {
  let value = inner
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

/** `{ a: { a: ... 1 } }`, `levels` objects deep. */
const nestedObjects = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { a: 1 }
  for (let i = 1; i < levels; i++) value = { a: value }
  return value
}

/** A closed square ring at (x, y), with a -0 longitude where `x` is -0. */
const square = (x: number, y: number): Array<[number, number]> => [
  [x, y],
  [1, y],
  [1, y + 1],
  [x, y + 1],
  [x, y]
]

const sourceWithProject = (h: Harness, account: FreshAccount, name: string) =>
  h.as(
    account.system,
    Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name, projectIds: [account.projectId as never] }))
  )

/** The stored rows of an account's org units whose `sourceRef` is `ref`. */
const storedUnit = async (h: Harness, account: FreshAccount, ref: string): Promise<Row | undefined> =>
  (await h.inspectAccount(OrgUnitModel, account.accountId)).find((row) => row["sourceRef"] === ref)

const ORIGIN_POINT: Point = { type: "Point", coordinates: [0, 12.5] }

/** Registers the edge-value scenarios. */
export const edgeValueScenarios = (h: () => Harness) => {
  describe("edge values", () => {
    negativeZeroScenarios(h)
    nestingScenarios(h)
    manyRootsScenarios(h)
    filterScenarios(h)
  })
}

const negativeZeroScenarios = (h: () => Harness) => {
  scenario("OrgUnits.create accepts a -0 coordinate and -0 in extraFields, answers and stores 0, in the unit and its audit entry", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const unit = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(OrgUnits), (u) =>
        u.create({
          name: "Ouagadougou meridian",
          versionId: account.versionId as OrgUnit["versionId"],
          location: { type: "Point", coordinates: [-0, 12.5] },
          geom: { type: "Polygon", coordinates: [square(-0, 12)] },
          extraFields: { offset: -0, list: [-0, 1] }
        })
      )
    )
    const geom: MultiPolygon = { type: "MultiPolygon", coordinates: [[square(0, 12)]] }
    expect([unit.location, unit.geom, unit.extraFields]).toEqual([ORIGIN_POINT, geom, { offset: 0, list: [0, 1] }])
    const row = (await harness.inspectAccount(OrgUnitModel, account.accountId)).find((r) => r["id"] === unit.id)
    expect([row?.["location"], row?.["geom"], row?.["extraFields"], row?.["bboxWest"]]).toEqual([ORIGIN_POINT, geom, { offset: 0, list: [0, 1] }, 0])
    const entry = (await harness.inspectAccount(AuditEntryModel, account.accountId)).find((r) => r["objectId"] === unit.id)
    expect((entry?.["after"] as { readonly location?: unknown } | undefined)?.location).toEqual(ORIGIN_POINT)
    const moved = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(OrgUnits), (u) => u.update(unit.id, { location: { type: "Point", coordinates: [-0, -0] } }))
    )
    expect(moved.location).toEqual({ type: "Point", coordinates: [0, 0] })
  })

  scenario("GeoJSON, DHIS2 and parsed (GeoPackage) pyramid imports accept a -0 coordinate and store 0", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const geoJsonSource = await sourceWithProject(harness, account, "GeoJSON on the meridian")
    const collection = {
      type: "FeatureCollection",
      features: [
        { type: "Feature", geometry: { type: "Point", coordinates: [-0, 12.5] }, properties: { ref: "geojson-point", name: "Point" } },
        { type: "Feature", geometry: { type: "Polygon", coordinates: [square(-0, 12)] }, properties: { ref: "geojson-shape", name: "Shape" } }
      ]
    }
    const geoJson = await harness.as(account.system, importGeoJsonPyramid(collection, { dataSourceId: geoJsonSource.id }))
    const dhis2Source = await sourceWithProject(harness, account, "DHIS2 on the meridian")
    const payload: Dhis2Payload = {
      organisationUnits: [
        { id: "dhis2-point", name: "Point", level: 1, geometry: { type: "Point", coordinates: [-0, 12.5] } },
        { id: "dhis2-shape", name: "Shape", level: 1, coordinates: "[[[-0,12],[1,12],[1,13],[-0,13],[-0,12]]]" }
      ]
    }
    const dhis2 = await harness.as(account.system, importDhis2Pyramid(payload, { dataSourceId: dhis2Source.id }))
    const parsedSource = await sourceWithProject(harness, account, "GeoPackage on the meridian")
    const parsed: PyramidInput = {
      groups: [],
      units: [
        { ref: "gpkg-point", name: "Point", geometry: { type: "Point", coordinates: [-0, 12.5] } },
        { ref: "gpkg-shape", name: "Shape", geometry: { type: "MultiPolygon", coordinates: [[square(-0, 12)]] } }
      ]
    }
    const gpkg = await harness.as(account.system, importPyramid(parsed, { dataSourceId: parsedSource.id, source: "GPKG_IMPORT" }))
    expect([geoJson.created, dhis2.created, dhis2.warnings, gpkg.created]).toEqual([2, 2, [], 2])
    const geom: MultiPolygon = { type: "MultiPolygon", coordinates: [[square(0, 12)]] }
    for (const prefix of ["geojson", "dhis2", "gpkg"]) {
      // Imported points get an altitude of 0 (IASO's rule).
      expect((await storedUnit(harness, account, `${prefix}-point`))?.["location"]).toEqual({ type: "Point", coordinates: [0, 12.5, 0] })
      expect((await storedUnit(harness, account, `${prefix}-shape`))?.["geom"]).toEqual(geom)
    }
    const audited = (await harness.inspectAccount(AuditEntryModel, account.accountId)).filter((r) => r["objectModel"] === "OrgUnit")
    expect(audited.length).toBe(6)
  })
}

const nestingScenarios = (h: () => Harness) => {
  scenario("a GeoJSON collection nested 10,000 deep is a ValidationError naming MAX_JSON_DEPTH, and nothing is stored", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const source = await sourceWithProject(harness, account, "Deep GeoJSON")
    const before = await harness.inspectAccount(OrgUnitModel, account.accountId)
    const collection = {
      type: "FeatureCollection",
      features: [{ type: "Feature", geometry: { type: "Point", coordinates: nestedArrays(10_000) }, properties: { ref: "a", name: "A" } }]
    }
    const exit = await harness.exitAs(account.system, importGeoJsonPyramid(collection, { dataSourceId: source.id }))
    // The collection is level 1 and `coordinates` level 5: the first array past level 64 is 60 arrays further.
    expect(issuesOf(exit)).toEqual([{ path: ["features", 0, "geometry", "coordinates", ...Array<number>(60).fill(0)], message: TOO_DEEP_MESSAGE }])
    expect(await harness.inspectAccount(OrgUnitModel, account.accountId)).toEqual(before)
  })

  scenario("a DHIS2 payload nested 10,000 deep is a ValidationError naming MAX_JSON_DEPTH; a geometry text as deep is dropped with a warning", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const source = await sourceWithProject(harness, account, "Deep DHIS2")
    const deep = { organisationUnits: [{ id: "a", name: "A", level: 1, geometry: { type: "Point", coordinates: nestedArrays(10_000) } }] }
    const exit = await harness.exitAs(account.system, importDhis2Pyramid(deep, { dataSourceId: source.id }))
    expect(issuesOf(exit)).toEqual([{ path: ["organisationUnits", 0, "geometry", "coordinates", ...Array<number>(61).fill(0)], message: TOO_DEEP_MESSAGE }])
    expect(await harness.inspectAccount(OrgUnitModel, account.accountId)).toEqual([])
    const text = { organisationUnits: [{ id: "a", name: "A", level: 1, coordinates: `${"[".repeat(10_000)}1${"]".repeat(10_000)}` }] }
    const result = await harness.as(account.system, importDhis2Pyramid(text, { dataSourceId: source.id }))
    expect([result.created, result.warnings]).toEqual([
      1,
      [{ path: ["organisationUnits", 0, "coordinates"], message: `a (A): coordinates dropped: ${TOO_DEEP_MESSAGE}` }]
    ])
  })

  scenario("extraFields nested 5,000 deep is a ValidationError naming MAX_JSON_DEPTH on create and update; 64 levels are stored", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const versionId = account.versionId as OrgUnit["versionId"]
    const units = <E>(effect: (u: OrgUnits["Service"]) => Effect.Effect<OrgUnit, E, CurrentActor>) =>
      harness.exitAs(account.system, Effect.flatMap(Effect.service(OrgUnits), effect))
    const path = ["extraFields", ...Array<string>(64).fill("a")]
    const created = await units((u) => u.create({ name: "Deep", versionId, extraFields: nestedObjects(5_000) as never }))
    expect(issuesOf(created)).toEqual([{ path, message: TOO_DEEP_MESSAGE }])
    const unit = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "Deep enough", versionId, extraFields: nestedObjects(64) as never }))
    )
    expect(unit.extraFields).toEqual(nestedObjects(64))
    expect((await harness.inspectAccount(OrgUnitModel, account.accountId)).map((row) => row["extraFields"])).toEqual([nestedObjects(64)])
    const updated = await units((u) => u.update(unit.id, { extraFields: nestedObjects(65) as never }))
    expect(issuesOf(updated)).toEqual([{ path, message: TOO_DEEP_MESSAGE }])
  })

  scenario("GeoJSON and DHIS2 imports of more org units than maxUnits are ValidationErrors naming the option, and nothing is stored", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const source = await sourceWithProject(harness, account, "Too many")
    const feature = (ref: string) => ({ type: "Feature", geometry: null, properties: { ref, name: ref } })
    const collection = { type: "FeatureCollection", features: [feature("a"), feature("b"), feature("c")] }
    const geoJson = await harness.exitAs(account.system, importGeoJsonPyramid(collection, { dataSourceId: source.id, maxUnits: 2 }))
    expect(issuesOf(geoJson)).toEqual([{ path: ["features"], message: "3 features: more than the 2 one import takes (option `maxUnits`)" }])
    const pages = [
      { organisationUnits: [{ id: "a", name: "A" }] },
      {
        organisationUnits: [
          { id: "b", name: "B" },
          { id: "a", name: "A" }
        ]
      }
    ]
    const dhis2 = await harness.exitAs(account.system, importDhis2Pyramid({ organisationUnits: pages }, { dataSourceId: source.id, maxUnits: 2 }))
    expect(issuesOf(dhis2)).toEqual([{ path: ["organisationUnits"], message: "3 organisationUnits: more than the 2 one import takes (option `maxUnits`)" }])
    const zero = await harness.exitAs(account.system, importGeoJsonPyramid(collection, { dataSourceId: source.id, maxUnits: 0 }))
    expect(issuesOf(zero)).toEqual([{ path: ["maxUnits"], message: "expected a positive integer, got 0" }])
    expect(await harness.inspectAccount(OrgUnitModel, account.accountId)).toEqual([])
    const within = await harness.as(account.system, importGeoJsonPyramid(collection, { dataSourceId: source.id, maxUnits: 3 }))
    expect(within.created).toBe(3)
  })

  scenario("a tree deeper than MAX_HIERARCHY_DEPTH is refused by imports, creates and moves before any path is built; 32 levels are stored", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const source = await sourceWithProject(harness, account, "Deep")
    const chain = (levels: number, prefix: string) => ({
      type: "FeatureCollection",
      features: Array.from({ length: levels }, (_, i) => ({
        type: "Feature",
        geometry: null,
        properties: { ref: `${prefix}${i}`, name: `Level ${i + 1}`, parent_ref: i === 0 ? null : `${prefix}${i - 1}` }
      }))
    })
    const started = Date.now()
    const deep = await harness.exitAs(account.system, importGeoJsonPyramid(chain(10_000, "d"), { dataSourceId: source.id }))
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(issuesOf(deep)).toEqual([
      { path: ["units"], message: "d32 (Level 33) would sit 33 levels deep: more than the 32 levels of a pyramid (limit `MAX_HIERARCHY_DEPTH`)" }
    ])
    expect(await harness.inspectAccount(OrgUnitModel, account.accountId)).toEqual([])
    const imported = await harness.as(account.system, importGeoJsonPyramid(chain(32, "k"), { dataSourceId: source.id }))
    expect(imported.created).toBe(32)
    const units = await harness.inspectAccount(OrgUnitModel, account.accountId)
    const byName = new Map(units.map((row) => [String(row["name"]), row]))
    const bottom = byName.get("Level 32")
    expect(bottom?.["depth"]).toBe(32)
    const U = Effect.service(OrgUnits)
    const versionId = String(bottom?.["versionId"])
    const below = await harness.exitAs(
      account.system,
      Effect.flatMap(U, (u) => u.create({ name: "Below", versionId: versionId as never, parentId: bottom?.["id"] as OrgUnitId }))
    )
    expect(issuesOf(below)).toEqual([
      { path: ["parentId"], message: "the org unit Below would sit 33 levels deep: more than the 32 levels of a pyramid (limit `MAX_HIERARCHY_DEPTH`)" }
    ])
    // Level 2's subtree (levels 2 to 32) moved under a new root keeps its depths; that root moved
    // under Level 1 would push Level 32 to 33.
    const side = await harness.as(
      account.system,
      Effect.flatMap(U, (u) => u.create({ name: "Side", versionId: versionId as never }))
    )
    const sideways = await harness.exitAs(
      account.system,
      Effect.flatMap(U, (u) => u.move(byName.get("Level 2")?.["id"] as OrgUnitId, side.id))
    )
    expect(exitTag(sideways)).toBe("Success")
    const refused = await harness.exitAs(
      account.system,
      Effect.flatMap(U, (u) => u.move(side.id, byName.get("Level 1")?.["id"] as OrgUnitId))
    )
    expect(issuesOf(refused)).toEqual([
      { path: ["parentId"], message: "a unit of Side's subtree would sit 33 levels deep: more than the 32 levels of a pyramid (limit `MAX_HIERARCHY_DEPTH`)" }
    ])
    const after = await harness.inspectAccount(OrgUnitModel, account.accountId)
    expect(after.find((row) => row["name"] === "Level 32")?.["depth"]).toBe(32)
  })
}

/** Every item of a listing, page after page. */
const listPages = async (
  harness: Harness,
  actor: FreshAccount["system"],
  options: ListOptions & { readonly limit: number }
): Promise<ReadonlyArray<string>> => {
  const ids: Array<string> = []
  let cursor: string | undefined
  do {
    const page = await harness.as(
      actor,
      Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, { ...options, select: ["id"], ...(cursor === undefined ? {} : { cursor }) }))
    )
    ids.push(...page.items.map((item) => String(item.id)))
    cursor = page.cursor
  } while (cursor !== undefined)
  return ids
}

const manyRootsScenarios = (h: () => Harness) => {
  scenario("an actor with 1,000 org-unit roots (and roots under them) lists, pages and counts exactly the units under them", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const source = await sourceWithProject(harness, account, "A thousand roots")
    const index = Array.from({ length: 1_010 }, (_, i) => String(i).padStart(4, "0"))
    const input: PyramidInput = {
      groups: [],
      units: index.flatMap((i) => [
        { ref: `root-${i}`, name: `Root ${i}` },
        { ref: `leaf-${i}`, name: `Leaf ${i}`, parentRef: `root-${i}` }
      ])
    }
    await harness.as(account.system, importPyramid(input, { dataSourceId: source.id, source: "GPKG_IMPORT" }))
    const all = await listPages(harness, account.system, { limit: 10_000 })
    const rows = await harness.inspectAccount(OrgUnitModel, account.accountId)
    const idOf = new Map(rows.map((row) => [String(row["sourceRef"]), String(row["id"])]))
    const id = (ref: string) => idOf.get(ref) as OrgUnitId
    const roots = [...index.slice(0, 1_000).map((i) => id(`root-${i}`)), id("leaf-0000"), id("leaf-0999")]
    const actor = account.withPermissions(["iaso_org_units"], { orgUnitRoots: roots })
    const expected = new Set<string>(index.slice(0, 1_000).flatMap((i) => [id(`root-${i}`), id(`leaf-${i}`)]))
    expect(all.length).toBe(2_020)
    expect([...(await listPages(harness, actor, { limit: 10_000 }))].sort()).toEqual([...expected].sort())
    expect(await listPages(harness, actor, { limit: 700, orderBy: [{ field: "name", direction: "desc" }] })).toEqual(
      rows
        .filter((row) => expected.has(String(row["id"])))
        .sort((a, b) => (String(a["name"]) < String(b["name"]) ? 1 : -1))
        .map((row) => String(row["id"]))
    )
    const count = (where: ReadonlyArray<FieldCondition>) =>
      harness.as(
        actor,
        Effect.flatMap(Effect.service(Records), (r) => r.count(OrgUnitModel, where))
      )
    expect([await count([]), await count([{ field: "depth", op: "eq", value: 2 }])]).toEqual([2_000, 1_000])
    const outside = await harness.exitAs(
      actor,
      Effect.flatMap(Effect.service(Records), (r) => r.get(OrgUnitModel, id("leaf-1005")))
    )
    expect(exitTag(outside)).toBe("NotFound")
  })
}

/** A cursor with its keyset position replaced (what a client tampering with it sends). */
const tampered = (cursor: string, position: (after: ReadonlyArray<unknown>) => ReadonlyArray<unknown>): string => {
  const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))
  const parsed = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)))) as { q: string; a: ReadonlyArray<unknown> }
  const bytes = new TextEncoder().encode(JSON.stringify({ q: parsed.q, a: position(parsed.a) }))
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")
}

const filterScenarios = (h: () => Harness) => {
  /** The issues of listing and of counting org units with `where` (the same on both). */
  const refusals = async (harness: Harness, account: FreshAccount, where: ReadonlyArray<unknown>) => {
    const conditions = where as ReadonlyArray<FieldCondition>
    const list = await harness.exitAs(
      account.system,
      Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, { where: conditions }))
    )
    const count = await harness.exitAs(
      account.system,
      Effect.flatMap(Effect.service(Records), (r) => r.count(OrgUnitModel, conditions))
    )
    const issues = issuesOf(list)
    expect(issuesOf(count)).toEqual(issues)
    return issues
  }

  scenario("an unknown filter operator is a ValidationError listing the operators, for a listing and a count", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    await harness.as(
      account.system,
      Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "Bo", versionId: account.versionId as OrgUnit["versionId"] }))
    )
    for (const op of ["like", "", "__proto__"]) {
      expect(await refusals(harness, account, [{ field: "name", op, value: "Bo" }])).toEqual([
        { path: ["where", "name"], message: `unknown operator ${JSON.stringify(op)}: expected one of ${OPERATORS.join(", ")}` }
      ])
    }
  })

  scenario("a filter value of another type than its field's, or a text test on a field that is not text, is a ValidationError", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const cases: ReadonlyArray<readonly [unknown, string, string]> = [
      [{ field: "nameKey", op: "eq", value: 5 }, "nameKey", "expected text"],
      [{ field: "bboxWest", op: "gt", value: "10" }, "bboxWest", "expected a finite number"],
      [{ field: "depth", op: "startsWith", value: "1" }, "depth", "startsWith tests text: depth is not a text field"],
      [{ field: "extraFields", op: "contains", value: "x" }, "extraFields", "contains tests text: extraFields is not a text field"],
      [{ field: "name", op: "contains", value: 5 }, "name", "expected text"],
      [{ field: "name", op: "in", value: "Bo" }, "name", "in expects a list of values"],
      [{ field: "path", op: "startsWithAny", value: "a/" }, "path", "startsWithAny expects a list of prefixes"],
      [{ field: "path", op: "startsWithAny", value: ["a/", 7] }, "path", "expected text"]
    ]
    for (const [condition, field, message] of cases) expect(await refusals(harness, account, [condition])).toEqual([{ path: ["where", field], message }])
  })

  scenario("NUL or a lone surrogate in a filter value is a ValidationError for every operator", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const nul = "must not contain the NUL character (U+0000)"
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{ field: "nameKey", op: "contains", value: "\u0000" }, nul],
      [{ field: "name", op: "startsWith", value: "B\u0000" }, nul],
      [{ field: "path", op: "startsWithAny", value: ["a/", "\u0000"] }, nul],
      [{ field: "name", op: "eq", value: "Bo\u0000" }, nul],
      [{ field: "nameKey", op: "in", value: ["bo", "\u0000"] }, nul],
      [{ field: "nameKey", op: "lt", value: "\u0000" }, nul],
      [{ field: "nameKey", op: "contains", value: "\ud800" }, "must be well-formed Unicode (no lone surrogate)"]
    ]
    for (const [condition, message] of cases) {
      const field = (condition as { readonly field: string }).field
      expect(await refusals(harness, account, [condition])).toEqual([{ path: ["where", field], message }])
    }
  })

  scenario("a cursor whose position was tampered with is a ValidationError; the untouched cursor reads the next page", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    for (const name of ["Bo", "Kenema", "Makeni"]) {
      await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name, versionId: account.versionId as OrgUnit["versionId"] }))
      )
    }
    const list = (options: ListOptions) =>
      harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, options))
      )
    const byName: ListOptions = { orderBy: [{ field: "name" }], limit: 1, select: ["name"] }
    const byDepth: ListOptions = { orderBy: [{ field: "depth" }], limit: 1, select: ["name"] }
    const first = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, byName))
    )
    const firstByDepth = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, byDepth))
    )
    const cursor = first.cursor ?? ""
    const depthCursor = firstByDepth.cursor ?? ""
    const refused = [{ path: ["cursor"], message: "not a cursor of this query" }]
    for (const [options, bad] of [
      [byName, tampered(cursor, ([, id]) => [5, id])],
      [byName, tampered(cursor, ([, id]) => [null, id])],
      [byName, tampered(cursor, ([name]) => [name, 7])],
      [byName, tampered(cursor, ([name, id]) => [`${String(name)}\u0000`, id])],
      [byName, tampered(cursor, (after) => [...after, "extra"])],
      [byDepth, tampered(depthCursor, ([, id]) => ["1", id])],
      [byDepth, tampered(depthCursor, ([, id]) => [1.5, id])]
    ] as const) {
      expect(issuesOf(await list({ ...options, cursor: bad }))).toEqual(refused)
    }
    const next = await harness.as(
      account.system,
      Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, { ...byName, cursor }))
    )
    expect([first.items.map((item) => item.name), next.items.map((item) => item.name)]).toEqual([["Bo"], ["Kenema"]])
    const direction = await list({ orderBy: [{ field: "name", direction: "up" as never }] })
    expect(issuesOf(direction)).toEqual([{ path: ["orderBy", "name"], message: 'unknown direction "up": expected asc or desc' }])
  })
}
