/**
 * GeoPackage export in IASO's format (§17.3): round trips through import (unit by unit), an
 * independent read of the file with plain better-sqlite3 SQL, and the access rules of the reads.
 */
import Database from "better-sqlite3"
import type { MultiPolygon, Position } from "geojson"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Actor, DateOnly, Groups, type OrgUnitId, OrgUnits, Sources } from "@iaso/core"
import { exportGeoPackage, importGeoPackage } from "@iaso/geopackage"
import { failureTag, makeHarness, type UnitView, validationFailure } from "./harness.ts"
import { readSharedBytes, sharedAvailable, skipMessage } from "./shared-files.ts"
import { BetterSqlite3Gpkg } from "@iaso/geopackage/node"

const DIR = "fixtures/iaso/iaso/tests/fixtures/gpkg"
const SMALL_SAMPLE = "fixtures/iaso/setuper/data/small_sample.gpkg"
const available = sharedAvailable(`${DIR}/minimal.gpkg`) && sharedAvailable(SMALL_SAMPLE)

const h = makeHarness(BetterSqlite3Gpkg.layer)
afterAll(() => h.dispose())

const round6 = (position: Position): Array<number> => position.map((value) => Math.round(value * 1e6) / 1e6)
const shape6 = (shape: MultiPolygon | null) => (shape === null ? null : shape.coordinates.map((polygon) => polygon.map((ring) => ring.map(round6))))

/** What must survive an export and an import into another version. */
const comparable = (unit: UnitView) => ({
  name: unit.name,
  type: unit.type,
  parentRef: unit.parentRef,
  groups: unit.groups,
  code: unit.code,
  openingDate: unit.openingDate,
  closedDate: unit.closedDate,
  validationStatus: unit.validationStatus,
  location: unit.location === null ? null : round6(unit.location),
  geom: shape6(unit.geom)
})

/** Opens exported bytes with better-sqlite3 alone (no code of this package). */
const openIndependently = (bytes: Uint8Array) => new Database(Buffer.from(bytes))

describe.skipIf(!available)(`GeoPackage export ${available ? "" : skipMessage(DIR)}`, () => {
  it.each([
    ["small_sample.gpkg", SMALL_SAMPLE, 136],
    ["minimal.gpkg", `${DIR}/minimal.gpkg`, 3],
    ["minimal_simplified.gpkg", `${DIR}/minimal_simplified.gpkg`, 4],
    ["multiple-internal-ref-formats.gpkg", `${DIR}/multiple-internal-ref-formats.gpkg`, 7]
  ])("round trip of %s: export, import into a new version, same pyramid unit by unit", async (_name, path, count) => {
    const { actor, source } = await h.freshSource(`round trip ${_name}`)
    const first = await h.run(actor, importGeoPackage(readSharedBytes(path), { dataSourceId: source.id, defaultValid: true }))
    const bytes = await h.run(actor, exportGeoPackage(first.version.id))
    const second = await h.run(actor, importGeoPackage(bytes, { dataSourceId: source.id, defaultValid: true }))
    expect(second.version.number).toBe(first.version.number + 1)
    expect([second.created, second.typesCreated]).toEqual([count, 0])
    const before = await h.pyramidOf(actor, first.version.id)
    const after = await h.pyramidOf(actor, second.version.id)
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
    for (const [ref, unit] of before) {
      const copy = after.get(ref)
      expect(copy, ref).toBeDefined()
      if (copy !== undefined) expect(comparable(copy), ref).toEqual(comparable(unit))
    }
  })

  it("small_sample.gpkg exported: an independent reader finds IASO's layout (contents, geometry columns, EPSG:4326, layers, groups)", async () => {
    const { actor, source } = await h.freshSource("independent reader")
    const imported = await h.run(actor, importGeoPackage(readSharedBytes(SMALL_SAMPLE), { dataSourceId: source.id, defaultValid: true }))
    const bytes = await h.run(actor, exportGeoPackage(imported.version.id))
    expect(Buffer.from(bytes.subarray(0, 16)).toString("latin1")).toBe("SQLite format 3\u0000")
    const db = openIndependently(bytes)
    try {
      expect(db.pragma("application_id", { simple: true })).toBe(0x47504b47)
      expect(db.pragma("user_version", { simple: true })).toBe(10200)
      const contents = db.prepare("SELECT table_name, data_type, srs_id FROM gpkg_contents ORDER BY table_name").all()
      expect(contents).toEqual([
        { table_name: "groups", data_type: "attributes", srs_id: null },
        { table_name: "level-1-Country/Pays - COUN", data_type: "features", srs_id: 4326 },
        { table_name: "level-2-Region/Région - REG", data_type: "features", srs_id: 4326 },
        { table_name: "level-3-District/Zone de santé - DIST", data_type: "features", srs_id: 4326 },
        { table_name: "level-4-Health area/Aire de santé - AREA", data_type: "features", srs_id: 4326 },
        { table_name: "level-5-Health facility/Formation sanitaire - HF", data_type: "features", srs_id: 4326 }
      ])
      const columns = db.prepare("SELECT table_name, column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns ORDER BY table_name").all()
      expect(columns).toEqual([
        { table_name: "level-1-Country/Pays - COUN", column_name: "geom", geometry_type_name: "MULTIPOLYGON", srs_id: 4326, z: 0, m: 0 },
        { table_name: "level-2-Region/Région - REG", column_name: "geom", geometry_type_name: "MULTIPOLYGON", srs_id: 4326, z: 0, m: 0 },
        { table_name: "level-3-District/Zone de santé - DIST", column_name: "geom", geometry_type_name: "MULTIPOLYGON", srs_id: 4326, z: 0, m: 0 },
        { table_name: "level-4-Health area/Aire de santé - AREA", column_name: "geom", geometry_type_name: "MULTIPOLYGON", srs_id: 4326, z: 0, m: 0 },
        { table_name: "level-5-Health facility/Formation sanitaire - HF", column_name: "geom", geometry_type_name: "POINT", srs_id: 4326, z: 1, m: 0 }
      ])
      const srs = db.prepare("SELECT srs_id, organization, organization_coordsys_id FROM gpkg_spatial_ref_sys ORDER BY srs_id").all()
      expect(srs).toEqual([
        { srs_id: -1, organization: "NONE", organization_coordsys_id: -1 },
        { srs_id: 0, organization: "NONE", organization_coordsys_id: 0 },
        { srs_id: 4326, organization: "EPSG", organization_coordsys_id: 4326 }
      ])
      const counts = Object.fromEntries(
        (contents as ReadonlyArray<{ table_name: string }>).map((row) => [
          row.table_name,
          (db.prepare(`SELECT count(*) AS n FROM "${row.table_name}"`).get() as { n: number }).n
        ])
      )
      expect(counts).toEqual({
        groups: 4,
        "level-1-Country/Pays - COUN": 1,
        "level-2-Region/Région - REG": 1,
        "level-3-District/Zone de santé - DIST": 6,
        "level-4-Health area/Aire de santé - AREA": 45,
        "level-5-Health facility/Formation sanitaire - HF": 83
      })
      const layerColumns = (
        db.prepare(`SELECT name FROM pragma_table_info('level-5-Health facility/Formation sanitaire - HF')`).all() as ReadonlyArray<{ name: string }>
      ).map((c) => c.name)
      expect(layerColumns).toEqual([
        "fid",
        "geom",
        "id",
        "name",
        "ref",
        "code",
        "parent",
        "parent_ref",
        "group_refs",
        "group_names",
        "uuid",
        "opening_date",
        "closed_date"
      ])
      for (const row of contents as ReadonlyArray<{ table_name: string; data_type: string }>) {
        if (row.data_type !== "features") continue
        for (const { geom } of db.prepare(`SELECT geom FROM "${row.table_name}"`).all() as ReadonlyArray<{ geom: Buffer }>) {
          expect(geom.subarray(0, 2).toString("latin1"), row.table_name).toBe("GP")
          expect(geom.readInt32LE(4), row.table_name).toBe(4326)
        }
      }
      const siby = db
        .prepare(
          `SELECT name, ref, code, parent, parent_ref, group_refs, group_names FROM "level-5-Health facility/Formation sanitaire - HF" WHERE ref = 'cHgCAuoQnhs'`
        )
        .get()
      expect(siby).toEqual({
        name: "CSPS Siby (Siby)",
        ref: "cHgCAuoQnhs",
        code: "",
        parent: "Siby (Health area/Aire de santé - AREA)",
        parent_ref: "GpK1shB1nf4",
        group_refs: null,
        group_names: null
      })
      const groups = db.prepare("SELECT ref, name FROM groups ORDER BY ref").all()
      expect(groups).toEqual([
        { ref: "FnGKoaZpj4u", name: "Public hospitals/Hôpitaux publics" },
        { ref: "IzVj0UdnSRF", name: "Nursing facility/Soins infirmiers" },
        { ref: "JM7jsziOLB2", name: "Medical Centres/Centres Médicaux" },
        { ref: "bO815RlSIN3", name: "Private hospitals/Cliniques privées" }
      ])
    } finally {
      db.close()
    }
  })

  it("minimal.gpkg exported: groups as ', '-joined refs and names, dates, parent as 'name (type)'", async () => {
    const { actor, source } = await h.freshSource("minimal columns")
    const imported = await h.run(actor, importGeoPackage(readSharedBytes(`${DIR}/minimal.gpkg`), { dataSourceId: source.id }))
    const db = openIndependently(await h.run(actor, exportGeoPackage(imported.version.id)))
    try {
      expect(db.prepare(`SELECT name, code, parent, parent_ref, group_refs, group_names FROM "level-5-FOSA"`).all()).toEqual([
        {
          name: "CSI de Garga-Sarali",
          code: "ES0025",
          parent: "AS Tongo Gadima (AS)",
          parent_ref: "cc5421f2-2003-4f01-be4f-5f64463ab456",
          group_refs: "group_a, group_b",
          group_names: "Group A, Group B"
        }
      ])
      expect(db.prepare(`SELECT name, parent, parent_ref, opening_date, closed_date FROM "level-3-DS"`).all()).toEqual([
        { name: "District Betare Oya", parent: null, parent_ref: null, opening_date: "2020-01-01", closed_date: "2021-12-31" }
      ])
    } finally {
      db.close()
    }
  })
})

describe("GeoPackage export without fixtures", () => {
  it("units without type or reference go to level-999-Unknown with ref iaso:<id>, and come back with a created type Unknown", async () => {
    const { actor, source } = await h.freshSource("untyped")
    const version = await h.run(
      actor,
      Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id))
    )
    const units = await h.run(
      actor,
      Effect.gen(function* () {
        const orgUnits = yield* OrgUnits
        const root = yield* orgUnits.create({ name: 'Root "quoted" 🌍', versionId: version.id, location: { type: "Point", coordinates: [-11.7386, 7.9647] } })
        const child = yield* orgUnits.create({ name: "Child", versionId: version.id, parentId: root.id, openingDate: DateOnly.make("1970-01-01") })
        const groups = yield* Groups
        yield* groups.create({ name: "No ref", versionId: version.id, orgUnitIds: [child.id] })
        return { root, child }
      })
    )
    const bytes = await h.run(actor, exportGeoPackage(version.id))
    const db = openIndependently(bytes)
    try {
      expect(db.prepare("SELECT table_name FROM gpkg_contents ORDER BY table_name").all()).toEqual([
        { table_name: "groups" },
        { table_name: "level-999-Unknown" }
      ])
      const rows = db.prepare(`SELECT name, ref, parent, parent_ref, group_names FROM "level-999-Unknown" ORDER BY name`).all()
      expect(rows).toEqual([
        { name: "Child", ref: `iaso:${units.child.id}`, parent: null, parent_ref: `iaso:${units.root.id}`, group_names: "No ref" },
        { name: 'Root "quoted" 🌍', ref: `iaso:${units.root.id}`, parent: null, parent_ref: null, group_names: null }
      ])
    } finally {
      db.close()
    }
    const reimported = await h.run(actor, importGeoPackage(bytes, { dataSourceId: source.id }))
    expect([reimported.created, reimported.typesCreated, reimported.groupsCreated]).toEqual([2, 1, 1])
    const pyramid = await h.pyramidOf(actor, reimported.version.id)
    expect(pyramid.get(`iaso:${units.child.id}`)).toMatchObject({
      name: "Child",
      type: ["Unknown", 999],
      parentRef: `iaso:${units.root.id}`,
      openingDate: DateOnly.make("1970-01-01")
    })
    expect(pyramid.get(`iaso:${units.root.id}`)?.location).toEqual([-11.7386, 7.9647, 0])
    expect(pyramid.get(`iaso:${units.child.id}`)?.groups.length).toBe(1)
  })

  it("reads go through Records: an actor restricted to a subtree exports only it, its root without parent; others get Forbidden or NotFound", async () => {
    const { actor, source, setup } = await h.freshSource("access")
    const version = await h.run(
      actor,
      Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id))
    )
    const ids = await h.run(
      actor,
      Effect.gen(function* () {
        const orgUnits = yield* OrgUnits
        const country = yield* orgUnits.create({ name: "Country", versionId: version.id })
        const district = yield* orgUnits.create({ name: "District", versionId: version.id, parentId: country.id })
        yield* orgUnits.create({ name: "Facility", versionId: version.id, parentId: district.id })
        yield* orgUnits.create({ name: "Elsewhere", versionId: version.id, parentId: country.id })
        return { district: district.id as OrgUnitId }
      })
    )
    const restricted = Actor.user({ accountId: setup.account.id, permissions: ["iaso_org_units_read"], orgUnitRoots: [ids.district] })
    const db = openIndependently(await h.run(restricted, exportGeoPackage(version.id)))
    try {
      expect(db.prepare(`SELECT name, parent, parent_ref FROM "level-999-Unknown" ORDER BY name`).all()).toEqual([
        { name: "District", parent: null, parent_ref: null },
        { name: "Facility", parent: null, parent_ref: `iaso:${ids.district}` }
      ])
    } finally {
      db.close()
    }
    const nobody = Actor.user({ accountId: setup.account.id, permissions: [] })
    const forbidden = await h.exitOf(nobody, exportGeoPackage(version.id))
    expect(failureTag(forbidden)).toBe("Forbidden")
    const other = await h.freshSource("other account")
    const foreign = await h.exitOf(other.actor, exportGeoPackage(version.id))
    expect(failureTag(foreign)).toBe("NotFound")
  })

  it("bytes that are not a GeoPackage are a typed ValidationError, and nothing is stored", async () => {
    const { actor, source } = await h.freshSource("garbage")
    for (const [bytes, message] of [
      [new Uint8Array(0), "not a GeoPackage: the file is empty"],
      [new TextEncoder().encode("ref,name\nA,B\n"), "not a GeoPackage: the file is not an SQLite database"]
    ] as const) {
      const exit = await h.exitOf(actor, importGeoPackage(bytes, { dataSourceId: source.id }))
      expect(validationFailure(exit).message).toBe(message)
      const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", new Uint8Array(bytes).buffer))
      expect(await h.hasBlob(actor, `sha256/${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`)).toBe(false)
    }
    // An SQLite database that is not a GeoPackage.
    const plain = new Database(":memory:")
    plain.exec("CREATE TABLE groups (ref TEXT, name TEXT)")
    const exit = await h.exitOf(actor, importGeoPackage(new Uint8Array(plain.serialize()), { dataSourceId: source.id }))
    plain.close()
    expect(validationFailure(exit).message).toBe("not a GeoPackage: it has no gpkg_contents table")
  })
})
