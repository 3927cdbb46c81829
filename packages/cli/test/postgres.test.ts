/**
 * `iaso` on PostgreSQL (`--db postgres://...`), in a schema of its own (`--schema`, which the store
 * creates) on the server `DATABASE_URL` names: skipped without it, failing under CI.
 */
import { join } from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { perLevel, writePyramidGeoPackage } from "./pyramid-gpkg.ts"
import { finished, hasScript, iaso, iasoJson, startUnderTerminal, tempDir } from "./run-iaso.ts"

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

const schema = `iaso_cli_${process.pid}_${Date.now()}`

const temp = tempDir()
const dir = temp.dir
let levels: ReadonlyArray<number> = []

const sql = async (text: string): Promise<ReadonlyArray<Record<string, unknown>>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows as ReadonlyArray<Record<string, unknown>>
  } finally {
    await client.end()
  }
}

describe.skipIf(url === "")(`iaso on PostgreSQL ${url === "" ? "(skipped: DATABASE_URL is not set)" : ""}`, () => {
  beforeAll(async () => {
    levels = perLevel(writePyramidGeoPackage(join(dir, "pyramid.gpkg"), 1000))
    writePyramidGeoPackage(join(dir, "large.gpkg"), 20000)
  })
  afterAll(async () => {
    await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    temp.cleanup()
  })

  it("imports a GeoPackage, keeping the file in --files, and counts it with stats", async () => {
    const imported = await iasoJson(dir, "import", "gpkg", "pyramid.gpkg", "--db", url, "--schema", schema, "--files", "files")
    expect(imported.run.code).toBe(0)
    expect([imported.json["created"], imported.json["groupsCreated"], imported.json["typesCreated"]]).toEqual([1000, 2, 5])
    const stats = await iasoJson(dir, "stats", "--db", url, "--schema", schema)
    expect(stats.json["orgUnits"]).toEqual({ total: 1000, perLevel: levels.map((count, index) => ({ level: index + 1, count })) })
    expect(await sql(`SELECT count(*)::int AS n FROM "${schema}"."OrgUnit"`)).toEqual([{ n: 1000 }])
    const tree = await iaso(dir, "tree", "--db", url, "--schema", schema, "--depth", "1")
    expect(tree.stdout).toBe("Country [Country]\n  Region 1 [Region]\n")
  })

  it.skipIf(!hasScript)("rolls an import interrupted by Ctrl-C back", async () => {
    const child = startUnderTerminal(dir, "import", "gpkg", "large.gpkg", "--db", url, "--schema", schema, "--files", "files", "--source-version", "2")
    let typed = false
    child.stdout?.on("data", (chunk: string | Buffer) => {
      if (!typed && String(chunk).includes("import write [")) {
        typed = true
        child.stdin?.write("\u0003")
      }
    })
    const run = await finished(child)
    expect([typed, run.code]).toEqual([true, 130])
    expect(await sql(`SELECT count(*)::int AS n FROM "${schema}"."OrgUnit"`)).toEqual([{ n: 1000 }])
    expect(await sql(`SELECT number::int AS number FROM "${schema}"."SourceVersion" ORDER BY number`)).toEqual([{ number: 1 }])
  })
})
