/**
 * The GeoPackage driver on sql.js (what browsers use), in Node: the whole fixture table imports
 * exactly as with better-sqlite3, and a pyramid exported through sql.js reads back with plain
 * better-sqlite3 and imports again into an equal pyramid.
 */
import Database from "better-sqlite3"
import initSqlJs from "sql.js"
import { afterAll, describe, expect, it } from "vitest"
import { exportGeoPackage, importGeoPackage } from "@iaso/geopackage"
import { SqlJsGpkg } from "@iaso/geopackage/sqljs"
import { checkFixture, DIR, FIXTURES } from "./gpkg-fixtures.ts"
import { makeHarness } from "./harness.ts"
import { readSharedBytes, sharedAvailable, skipMessage } from "./shared-files.ts"

const SMALL_SAMPLE = "fixtures/iaso/setuper/data/small_sample.gpkg"
const available = sharedAvailable(`${DIR}/minimal.gpkg`) && sharedAvailable(SMALL_SAMPLE)

const h = makeHarness(SqlJsGpkg.layer(await initSqlJs()))
afterAll(() => h.dispose())

describe.skipIf(!available)(`GeoPackage through sql.js ${available ? "" : skipMessage(DIR)}`, () => {
  it.each(FIXTURES)("%s", (file, outcome) => checkFixture(h, file, outcome))

  it("small_sample.gpkg exported through sql.js: better-sqlite3 reads 136 units in five layers and four groups, and a re-import gives the same units", async () => {
    const { actor, source } = await h.freshSource("sql.js round trip")
    const first = await h.run(actor, importGeoPackage(readSharedBytes(SMALL_SAMPLE), { dataSourceId: source.id, defaultValid: true }))
    const bytes = await h.run(actor, exportGeoPackage(first.version.id))
    const db = new Database(Buffer.from(bytes))
    try {
      const layers = db.prepare("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name").all() as ReadonlyArray<{
        table_name: string
      }>
      expect(layers.map((layer) => layer.table_name)).toEqual([
        "level-1-Country/Pays - COUN",
        "level-2-Region/Région - REG",
        "level-3-District/Zone de santé - DIST",
        "level-4-Health area/Aire de santé - AREA",
        "level-5-Health facility/Formation sanitaire - HF"
      ])
      const counts = layers.map((layer) => (db.prepare(`SELECT count(*) AS n FROM "${layer.table_name}"`).get() as { n: number }).n)
      expect(counts).toEqual([1, 1, 6, 45, 83])
      expect((db.prepare("SELECT count(*) AS n FROM groups").get() as { n: number }).n).toBe(4)
    } finally {
      db.close()
    }
    const second = await h.run(actor, importGeoPackage(bytes, { dataSourceId: source.id, defaultValid: true }))
    expect([second.created, second.typesCreated, second.groupsCreated]).toEqual([136, 0, 4])
    const before = await h.pyramidOf(actor, first.version.id)
    const after = await h.pyramidOf(actor, second.version.id)
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
    for (const [ref, unit] of before) expect(after.get(ref)?.parentRef, ref).toBe(unit.parentRef)
  })
})
