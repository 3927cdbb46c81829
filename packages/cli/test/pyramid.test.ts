/**
 * `iaso import`, `export`, `tree` and `stats` run as a program on a generated GeoPackage (the
 * first 1,500 units of the seeded 50k pyramid) and a SQLite file in a temporary folder.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { GROUPS, LEVEL_TYPES, perLevel, writePyramidGeoPackage } from "./pyramid-gpkg.ts"
import { iaso, iasoJson, tempDir } from "./run-iaso.ts"

const UNITS = 1500
const temp = tempDir()
const dir = temp.dir
let levels: ReadonlyArray<number> = []
afterAll(temp.cleanup)

beforeAll(() => {
  levels = perLevel(writePyramidGeoPackage(join(dir, "pyramid.gpkg"), UNITS))
})

const LAYERS = LEVEL_TYPES.map((type, index) => `level-${index + 1}-${type}`)

describe("iaso import gpkg", () => {
  it("creates the database and the default account, imports into its default version and prints the counts with --json", async () => {
    const { run, json } = await iasoJson(dir, "import", "gpkg", "pyramid.gpkg")
    expect(run.code).toBe(0)
    expect(run.stderr).toBe("")
    expect(json).toEqual({
      file: "pyramid.gpkg",
      account: "default",
      sourceVersion: { id: expect.any(String), number: 1 },
      created: UNITS,
      updated: 0,
      groupsCreated: 2,
      groupsUpdated: 0,
      typesCreated: 5,
      layers: LAYERS
    })
    expect(existsSync(join(dir, "iaso.sqlite"))).toBe(true)
    // The imported file is kept, content-addressed, beside the database.
    expect(readdirSync(join(dir, "iaso.sqlite.files", "sha256")).length).toBe(1)
  })

  it("updates the units with the same refs when the file is imported again", async () => {
    const { run, json } = await iasoJson(dir, "import", "gpkg", "pyramid.gpkg")
    expect(run.code).toBe(0)
    expect([json["created"], json["updated"], json["groupsCreated"], json["groupsUpdated"], json["typesCreated"]]).toEqual([0, UNITS, 0, 2, 0])
  })

  it("prints a summary without --json", async () => {
    const run = await iaso(dir, "import", "gpkg", "pyramid.gpkg", "--source-version", "7")
    expect(run.code).toBe(0)
    expect(run.stdout.split("\n").slice(1)).toEqual([
      `  org units: ${UNITS} created, 0 updated`,
      "  groups: 2 created, 0 updated",
      "  org-unit types: 0 created",
      ""
    ])
    expect(run.stdout).toMatch(/^Imported pyramid\.gpkg into source version 7 of account "default" in \d+\.\d s:\n/)
  })
})

describe("iaso stats and tree", () => {
  it("stats counts the default version's units per level, its groups, the forms and the submissions", async () => {
    const { run, json } = await iasoJson(dir, "stats")
    expect(run.code).toBe(0)
    expect(json).toEqual({
      account: "default",
      dataSource: { id: expect.any(String), name: "default" },
      sourceVersion: { id: expect.any(String), number: 1 },
      orgUnits: { total: UNITS, perLevel: levels.map((count, index) => ({ level: index + 1, count })) },
      groups: 2,
      forms: 0,
      submissions: { total: 0, ready: 0, duplicated: 0, exported: 0 }
    })
  })

  it("stats reads another version with --source-version", async () => {
    const { json } = await iasoJson(dir, "stats", "--source-version", "7")
    expect([json["sourceVersion"], json["orgUnits"]]).toEqual([{ id: expect.any(String), number: 7 }, expect.objectContaining({ total: UNITS })])
  })

  it("tree prints every unit under its parent (in the order they were stored), indented by level", async () => {
    const run = await iaso(dir, "tree")
    expect(run.code).toBe(0)
    const lines = run.stdout.split("\n").filter((line) => line !== "")
    expect(lines.length).toBe(UNITS)
    expect(lines.slice(0, 6)).toEqual([
      "Country [Country]",
      "  Region 1 [Region]",
      "    District 1.1 [District]",
      "      Area 1.1.1 [Area]",
      "        Facility 1.1.1.1 [Facility]",
      "        Facility 1.1.1.2 [Facility]"
    ])
  })

  it("tree --depth 2 stops two levels below the roots", async () => {
    const run = await iaso(dir, "tree", "--depth", "2")
    expect(run.stdout).toBe(
      ["Country [Country]", "  Region 1 [Region]", ...Array.from({ length: levels[2] ?? 0 }, (_, i) => `    District 1.${i + 1} [District]`), ""].join("\n")
    )
  })

  it("tree --json lists the units with their ref, parent, depth and type", async () => {
    const { json } = await iasoJson(dir, "tree", "--depth", "1")
    const units = json["units"] as ReadonlyArray<Record<string, unknown>>
    expect(units.map((unit) => [unit["name"], unit["depth"], unit["type"], unit["validationStatus"]])).toEqual([
      ["Country", 1, "Country", "NEW"],
      ["Region 1", 2, "Region", "NEW"]
    ])
    expect(units[1]?.["parentId"]).toBe(units[0]?.["id"])
    expect(String(units[0]?.["ref"])).toMatch(/^ref-/)
  })
})

describe("iaso export", () => {
  it("export gpkg writes a GeoPackage that imports into another account with the same counts", async () => {
    const exported = await iasoJson(dir, "export", "gpkg", "exported.gpkg")
    expect(exported.run.code).toBe(0)
    expect(exported.json).toEqual({
      file: "exported.gpkg",
      account: "default",
      sourceVersion: { id: expect.any(String), number: 1 },
      units: UNITS,
      groups: 2,
      bytes: readFileSync(join(dir, "exported.gpkg")).byteLength
    })
    const imported = await iasoJson(dir, "import", "gpkg", "exported.gpkg", "--account", "copy")
    expect([imported.json["created"], imported.json["groupsCreated"], imported.json["typesCreated"]]).toEqual([UNITS, 2, 5])
    const stats = await iasoJson(dir, "stats", "--account", "copy")
    expect(stats.json["orgUnits"]).toEqual({ total: UNITS, perLevel: levels.map((count, index) => ({ level: index + 1, count })) })
  })

  it("export geojson writes the FeatureCollection that import geojson reads back", async () => {
    const exported = await iasoJson(dir, "export", "geojson", "pyramid.geojson")
    expect([exported.run.code, exported.json["units"], exported.json["groups"]]).toEqual([0, UNITS, 2])
    const collection = JSON.parse(readFileSync(join(dir, "pyramid.geojson"), "utf8")) as { features: ReadonlyArray<unknown>; groups: unknown }
    expect([collection.features.length, collection.groups]).toEqual([UNITS, [...GROUPS].sort((a, b) => (a.name < b.name ? -1 : 1))])
    const imported = await iasoJson(dir, "import", "geojson", "pyramid.geojson", "--account", "copy", "--source-version", "2", "--valid")
    expect([imported.json["sourceVersion"], imported.json["created"], imported.json["groupsCreated"]]).toEqual([
      { id: expect.any(String), number: 2 },
      UNITS,
      2
    ])
    const tree = await iasoJson(dir, "tree", "--account", "copy", "--source-version", "2", "--depth", "0")
    expect((tree.json["units"] as ReadonlyArray<Record<string, unknown>>).map((unit) => [unit["name"], unit["validationStatus"]])).toEqual([
      ["Country", "VALID"]
    ])
  })

  it("export geojson - writes the collection to standard output and nothing else", async () => {
    const run = await iaso(dir, "export", "geojson", "-")
    expect(run.code).toBe(0)
    const collection = JSON.parse(run.stdout) as { type: string; features: ReadonlyArray<{ properties: { name: string; parent_ref: string | null } }> }
    expect([collection.type, collection.features.length, collection.features[0]?.properties.name, collection.features[0]?.properties.parent_ref]).toEqual([
      "FeatureCollection",
      UNITS,
      "Country",
      null
    ])
  })

  it("import geojson of a collection with a unit whose parent is unknown fails with exit 3 and stores nothing, not even the account it set up", async () => {
    const collection = JSON.parse(readFileSync(join(dir, "pyramid.geojson"), "utf8")) as {
      features: Array<{ properties: Record<string, unknown> }>
    }
    const broken = collection.features.slice(0, 3)
    const third = broken[2]
    if (third !== undefined) third.properties["parent_ref"] = "nowhere"
    writeFileSync(join(dir, "broken.geojson"), JSON.stringify({ ...collection, features: broken }))
    const { run, json } = await iasoJson(dir, "import", "geojson", "broken.geojson", "--account", "broken")
    expect(run.code).toBe(3)
    expect(json).toEqual({
      error: {
        kind: "ValidationError",
        exitCode: 3,
        message: expect.any(String),
        issues: [
          {
            path: ["features", 2, "properties", "parent_ref"],
            message: expect.stringMatching(
              /^parent_ref nowhere of ref-\S+ \(District 1\.1\) is neither a feature of the collection nor a unit of the target version$/
            )
          }
        ]
      }
    })
    // The account the import set up rolled back with it.
    const stats = await iaso(dir, "stats", "--account", "broken")
    expect([stats.code, stats.stderr]).toEqual([4, 'iaso: no account named "broken" in this database\n'])
  })
})
