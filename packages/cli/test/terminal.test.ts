/**
 * `iaso import gpkg` under a pseudo-terminal (util-linux `script`): the progress bar is drawn and
 * redrawn (rate, estimated time left) when standard output is a terminal, never with `--json`;
 * Ctrl-C typed at the terminal mid-import stops it with exit 130 and leaves the database (and the
 * attachments folder) exactly as it was.
 */
import { createHash } from "node:crypto"
import { readdirSync } from "node:fs"
import { join, relative } from "node:path"
import Database from "better-sqlite3"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { writePyramidGeoPackage } from "./pyramid-gpkg.ts"
import { finished, hasScript, iasoJson, startUnderTerminal, tempDir } from "./run-iaso.ts"

const temp = tempDir()
const dir = temp.dir
afterAll(temp.cleanup)

/** Every row of every table of a SQLite file, hashed: equal hashes, equal contents. */
const databaseDigest = (path: string): { readonly tables: Record<string, number>; readonly digest: string } => {
  const db = new Database(path, { readonly: true })
  try {
    const hash = createHash("sha256")
    const tables: Record<string, number> = {}
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as ReadonlyArray<{ name: string }>
    for (const { name } of names) {
      const rows = (
        db
          .prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`)
          .raw()
          .all() as ReadonlyArray<ReadonlyArray<unknown>>
      ).map((row) => JSON.stringify(row, (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value)))
      rows.sort()
      tables[name] = rows.length
      hash.update(`${name}\u0000${rows.join("\u0001")}\u0002`)
    }
    return { tables, digest: hash.digest("hex") }
  } finally {
    db.close()
  }
}

/** The files under a folder, by relative path. */
const filesUnder = (root: string): ReadonlyArray<string> =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort()

/** The escape character that starts a terminal's control sequences. */
const ESC = String.fromCharCode(27)
/** Control sequences (ESC [ ... letter, ESC 7, ESC 8) removed: the text a terminal was asked to show. */
const visible = (output: string) => output.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, "g"), "")

beforeAll(() => {
  writePyramidGeoPackage(join(dir, "small.gpkg"), 300)
  writePyramidGeoPackage(join(dir, "medium.gpkg"), 8000)
  writePyramidGeoPackage(join(dir, "large.gpkg"), 30000)
})

describe.skipIf(!hasScript)(`iaso under a terminal ${hasScript ? "" : "(skipped: util-linux script is not installed)"}`, () => {
  it("draws a progress bar per phase with its count, rate and time left, redrawn as the import advances", async () => {
    const run = await finished(startUnderTerminal(dir, "import", "gpkg", "medium.gpkg", "--db", "bar.sqlite"))
    expect(run.code).toBe(0)
    const shown = visible(run.stdout)
    // Each redraw of the bar moves the cursor back to column 1 (ESC [1G) and writes the bar again.
    const draws = run.stdout.split(new RegExp(`${ESC}\\[1G|\r|\n`)).map(visible)
    const writes = draws.filter((line) => line.startsWith("import write ["))
    expect(writes.length).toBeGreaterThanOrEqual(3)
    expect(writes.at(-1)).toMatch(/^import write \[=+\] 100% \| 8000\/8000 \| \d+(\.\d)?k?\/s \| ETA 0s$/)
    expect(writes.some((line) => /\| ETA \d+s$/.test(line) && !line.includes("100%"))).toBe(true)
    expect(shown).toMatch(/import read \[=+\] 100% \| 8000\/8000/)
    expect(shown).toMatch(/import validate \[=+\] 100% \| 8000\/8000/)
    expect(shown).toContain("  org units: 8000 created, 0 updated")
  })

  it("draws no bar with --json: the terminal shows the JSON document only", async () => {
    const run = await finished(startUnderTerminal(dir, "import", "gpkg", "small.gpkg", "--db", "json.sqlite", "--json"))
    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain("import write")
    expect(JSON.parse(run.stdout.replace(/\r\n/g, "\n"))).toMatchObject({ created: 300, updated: 0, groupsCreated: 2 })
  })

  it("Ctrl-C during the import's writes exits 130, says nothing was changed and leaves the database as it was", async () => {
    const before = await iasoJson(dir, "import", "gpkg", "small.gpkg", "--db", "kept.sqlite")
    expect(before.run.code).toBe(0)
    const database = databaseDigest(join(dir, "kept.sqlite"))
    const files = filesUnder(join(dir, "kept.sqlite.files"))
    expect([database.tables["OrgUnit"], database.tables["SourceVersion"], database.tables["ImportGPKG"]]).toEqual([300, 1, 1])

    const child = startUnderTerminal(dir, "import", "gpkg", "large.gpkg", "--db", "kept.sqlite", "--source-version", "2")
    let typed = false
    child.stdout?.on("data", (chunk: string | Buffer) => {
      if (!typed && String(chunk).includes("import write [")) {
        typed = true
        child.stdin?.write("\u0003")
      }
    })
    const run = await finished(child)
    expect(typed).toBe(true)
    expect(run.code).toBe(130)
    expect(visible(run.stdout)).toContain("iaso: interrupted: nothing was changed (the import rolled back)")
    expect(visible(run.stdout)).not.toContain("org units: 30000 created")
    expect(databaseDigest(join(dir, "kept.sqlite"))).toEqual(database)
    expect(filesUnder(join(dir, "kept.sqlite.files"))).toEqual(files)
  })
})
