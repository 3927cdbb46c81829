/**
 * What `iaso` says about itself and about wrong invocations: `--help` for every command, the
 * version, and the exit code (and message) of each kind of failure, run as a program.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { smallXlsForm } from "@iaso/core/testing"
import { writePyramidGeoPackage } from "./pyramid-gpkg.ts"
import { iaso, iasoJson, tempDir } from "./run-iaso.ts"

const temp = tempDir()
const dir = temp.dir
afterAll(temp.cleanup)

beforeAll(() => {
  writeFileSync(join(dir, "notes.txt"), "these are notes, not a GeoPackage")
  writeFileSync(join(dir, "bad.json"), "{ not json")
  writePyramidGeoPackage(join(dir, "small.gpkg"), 10)
})

/** Every command with a handler, and the usage line its help shows. */
const COMMANDS: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
  [["import", "gpkg"], "iaso import gpkg [flags] <file>"],
  [["import", "geojson"], "iaso import geojson [flags] <file>"],
  [["import", "dhis2"], "iaso import dhis2 [flags] <file>"],
  [["export", "gpkg"], "iaso export gpkg [flags] <file>"],
  [["export", "geojson"], "iaso export geojson [flags] <file>"],
  [["tree"], "iaso tree [flags]"],
  [["stats"], "iaso stats [flags]"],
  [["forms", "upload"], "iaso forms upload [flags] <file>"],
  [["ingest"], "iaso ingest [flags] <dir>"]
]

describe("iaso --help", () => {
  it.each(COMMANDS)("%j --help prints the command's usage and its flags, exit 0", async (command, usage) => {
    const run = await iaso(dir, ...command, "--help")
    expect([run.code, run.stderr]).toEqual([0, ""])
    const lines = run.stdout.split("\n")
    expect(lines[lines.indexOf("USAGE") + 1]).toBe(`  ${usage}`)
    for (const flag of ["--db PATH|URL", "--account NAME", "--json"]) expect(run.stdout).toContain(flag)
  })

  it("iaso --help lists the commands and the exit codes", async () => {
    const run = await iaso(dir, "--help")
    expect(run.code).toBe(0)
    const lines = run.stdout.split("\n")
    const subcommands = lines.slice(lines.indexOf("SUBCOMMANDS") + 1).filter((line) => line.trim() !== "")
    expect(subcommands.map((line) => line.trim().split(/\s+/)[0])).toEqual(["import", "export", "tree", "stats", "forms", "ingest"])
    expect(run.stdout).toContain(
      "Exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid input, 4 not found, 5 refused (conflict), 6 storage unavailable, 130 interrupted."
    )
  })

  it("iaso --version prints the package's version", async () => {
    const run = await iaso(dir, "--version")
    expect([run.code, run.stdout]).toEqual([0, "iaso v0.1.0\n"])
  })
})

describe("exit codes", () => {
  it("2 for a command that does not exist, on standard error with where to find the usage", async () => {
    const run = await iaso(dir, "import", "shapefile", "x.shp")
    expect([run.code, run.stdout, run.stderr]).toEqual([
      2,
      "",
      'iaso: Unknown subcommand "shapefile" for "iaso import"\nRun "iaso import --help" for its usage.\n'
    ])
  })

  it("2 for a missing argument, an unknown flag and a flag value of the wrong type", async () => {
    const missing = await iaso(dir, "import", "gpkg")
    const unknown = await iaso(dir, "stats", "--colour")
    const wrongType = await iaso(dir, "tree", "--depth", "deep")
    expect([missing.code, unknown.code, wrongType.code]).toEqual([2, 2, 2])
    expect(missing.stderr.split("\n")[0]).toBe("iaso: Missing required argument: file")
  })

  it("2 for a command group without its subcommand (its help is printed)", async () => {
    const run = await iaso(dir, "export")
    expect(run.code).toBe(2)
    expect(run.stdout).toContain("SUBCOMMANDS")
  })

  it("4 for an input file that does not exist, with the error as JSON under --json", async () => {
    const { run, json } = await iasoJson(dir, "import", "gpkg", "missing.gpkg")
    expect(run.code).toBe(4)
    expect(json).toEqual({ error: { kind: "NotFound", exitCode: 4, message: "no such file or directory: missing.gpkg", model: "File", id: "missing.gpkg" } })
  })

  it("3 for a file that is not a GeoPackage, and nothing is created", async () => {
    const run = await iaso(dir, "import", "gpkg", "notes.txt", "--db", "refused.sqlite")
    expect([run.code, run.stderr]).toEqual([3, "iaso: invalid input (1 issue)\n  not a GeoPackage: the file is not an SQLite database\n"])
    expect((await iaso(dir, "stats", "--db", "refused.sqlite")).code).toBe(4)
    expect([existsSync(join(dir, "refused.sqlite")), existsSync(join(dir, "refused.sqlite.files"))]).toEqual([false, false])
  })

  it("3 for a file that is not JSON", async () => {
    const run = await iaso(dir, "import", "geojson", "bad.json")
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/^iaso: invalid input \(1 issue\)\n {2}bad\.json is not a JSON file: /)
  })

  it("3 for a folder given as the file", async () => {
    const run = await iaso(dir, "import", "dhis2", ".")
    expect([run.code, run.stderr]).toEqual([3, "iaso: invalid input (1 issue)\n  . is a directory, not a file\n"])
  })

  it("4 for a database, an account or a source version that does not exist", async () => {
    expect((await iaso(dir, "tree", "--db", "none.sqlite")).stderr).toBe("iaso: no database at none.sqlite\n")
    await iaso(dir, "import", "gpkg", "small.gpkg")
    const account = await iaso(dir, "stats", "--account", "nobody")
    const version = await iaso(dir, "export", "gpkg", "out.gpkg", "--source-version", "9")
    expect([account.code, account.stderr, version.code, version.stderr]).toEqual([
      4,
      'iaso: no account named "nobody" in this database\n',
      4,
      'iaso: data source "default" has no version 9\n'
    ])
  })

  it("4 for an output folder that does not exist", async () => {
    const run = await iaso(dir, "export", "geojson", join("no", "such", "dir.geojson"))
    expect(run.code).toBe(4)
  })

  it("3 for a DHIS2 import into a version that already has units (without --update)", async () => {
    writeFileSync(join(dir, "units.json"), JSON.stringify({ organisationUnits: [{ id: "ImspTQPwCqd", name: "Sierra Leone", level: 1 }] }))
    const first = await iasoJson(dir, "import", "dhis2", "units.json", "--account", "dhis2")
    const second = await iasoJson(dir, "import", "dhis2", "units.json", "--account", "dhis2")
    expect([first.run.code, first.json["created"], second.run.code, second.json["error"]]).toEqual([
      0,
      1,
      3,
      expect.objectContaining({ kind: "ValidationError", issues: [{ path: ["versionNumber"], message: "version 1 already has 1 org units" }] })
    ])
    const update = await iasoJson(dir, "import", "dhis2", "units.json", "--account", "dhis2", "--update")
    expect([update.run.code, update.json["created"], update.json["skipped"]]).toEqual([0, 0, 1])
  })

  it("5 for a submission sent again with the same instance id and other answers", async () => {
    writeFileSync(join(dir, "survey.xlsx"), smallXlsForm("survey", "1", [{ name: "q1", label: "Q1" }]))
    const xml = (answer: string) =>
      `<data id="survey" version="1"><q1>${answer}</q1><meta><instanceID>uuid:5d9e7c1a-0000-4000-8000-00000000000a</instanceID></meta></data>`
    mkdirSync(join(dir, "first"))
    mkdirSync(join(dir, "changed"))
    writeFileSync(join(dir, "first", "s.xml"), xml("yes"))
    writeFileSync(join(dir, "changed", "s.xml"), xml("no"))
    expect((await iaso(dir, "forms", "upload", "survey.xlsx", "--account", "survey")).code).toBe(0)
    expect((await iaso(dir, "ingest", "first", "--account", "survey")).code).toBe(0)
    const changed = await iaso(dir, "ingest", "changed", "--account", "survey")
    expect(changed.code).toBe(5)
    expect(changed.stdout).toBe("Ingested 1 submissions from changed: 0 created, 0 edited, 0 unchanged, 1 failed\n")
    expect(changed.stderr).toMatch(/^iaso: changed\/s\.xml: /)
  })

  it("6 for a PostgreSQL server that cannot be reached", async () => {
    const { run, json } = await iasoJson(dir, "stats", "--db", "postgres://iaso@127.0.0.1:1/iaso")
    expect(run.code).toBe(6)
    expect((json["error"] as Record<string, unknown>)["kind"]).toBe("StorageError")
  })
})
