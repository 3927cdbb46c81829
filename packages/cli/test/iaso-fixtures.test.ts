/**
 * `iaso` on IASO's own files (read from ../shared): the setuper's `small_sample.gpkg`, a refused
 * GeoPackage of IASO's tests, the DHIS2 API responses, an XLSForm with a submission of it, and an
 * XLSForm IASO refuses. Expected counts come from the files (see the geopackage and core tests that
 * count them by hand), not from this program's output.
 */
import { copyFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { iaso, iasoJson, tempDir } from "./run-iaso.ts"
import { sharedAvailable, sharedPath, skipMessage } from "./shared-files.ts"

const FIXTURES = "fixtures/iaso/iaso/tests/fixtures"
const SMALL_SAMPLE = "fixtures/iaso/setuper/data/small_sample.gpkg"
const available = sharedAvailable(SMALL_SAMPLE) && sharedAvailable(`${FIXTURES}/dhis2/orgunits.json`)

const temp = tempDir()
const dir = temp.dir
afterAll(temp.cleanup)

const fixture = (name: string) => sharedPath(`${FIXTURES}/${name}`)

describe.skipIf(!available)(`iaso on IASO's fixtures ${available ? "" : skipMessage(FIXTURES)}`, () => {
  it("imports small_sample.gpkg: 136 units over five levels, four groups, five types", async () => {
    const { run, json } = await iasoJson(dir, "import", "gpkg", sharedPath(SMALL_SAMPLE), "--valid")
    expect(run.code).toBe(0)
    expect([json["created"], json["updated"], json["groupsCreated"], json["typesCreated"]]).toEqual([136, 0, 4, 5])
    const stats = await iasoJson(dir, "stats")
    expect(stats.json["orgUnits"]).toEqual({
      total: 136,
      perLevel: [
        { level: 1, count: 1 },
        { level: 2, count: 1 },
        { level: 3, count: 6 },
        { level: 4, count: 45 },
        { level: 5, count: 83 }
      ]
    })
    expect(stats.json["groups"]).toBe(4)
  })

  it("refuses null_ref.gpkg with IASO's message and exit 3", async () => {
    const { run, json } = await iasoJson(dir, "import", "gpkg", fixture("gpkg/null_ref.gpkg"), "--account", "refused")
    expect(run.code).toBe(3)
    const issues = (json["error"] as { issues: ReadonlyArray<{ message: string }> }).issues
    expect(issues.map((issue) => issue.message)).toContain("Column 'ref' cannot be null")
  })

  it("imports the DHIS2 responses (units, levels, group sets) into a fresh account's default version", async () => {
    const { run, json } = await iasoJson(
      dir,
      "import",
      "dhis2",
      fixture("dhis2/orgunits.json"),
      "--levels",
      fixture("dhis2/organisationUnitLevels.json"),
      "--group-sets",
      fixture("dhis2/groupsets.json"),
      "--account",
      "Sierra Leone"
    )
    expect(run.code).toBe(0)
    expect([json["created"], json["updated"], json["typesCreated"], json["groupsCreated"], json["duplicates"], json["skipped"], json["warnings"]]).toEqual([
      4,
      0,
      4,
      18,
      0,
      0,
      []
    ])
    const tree = await iaso(dir, "tree", "--account", "Sierra Leone")
    expect(tree.stdout).toBe(
      ["Sierra Leone [National]", "  Kenema [District]", "    Gorama Mende [Chiefdom]", "      Bambara Kaima CHP [Sierra Leone - Unknown level 5]", ""].join(
        "\n"
      )
    )
  })

  it("uploads an XLSForm and ingests a submission of it", async () => {
    const form = await iasoJson(dir, "forms", "upload", fixture("odk_instance_repeat_group_form.xlsx"), "--account", "forms")
    expect(form.run.code).toBe(0)
    expect(form.json["form"]).toEqual({ id: expect.any(String), formId: "eventtracker2334", name: "Child Programme", created: true })
    mkdirSync(join(dir, "submissions"))
    copyFileSync(fixture("odk_instance_repeat_group.xml"), join(dir, "submissions", "odk_instance_repeat_group.xml"))
    const ingested = await iasoJson(dir, "ingest", "submissions", "--account", "forms")
    expect([ingested.run.code, ingested.json["created"], ingested.json["failed"]]).toEqual([0, 1, 0])
  })

  it("refuses IASO's invalid XLSForm with exit 3 and its message", async () => {
    const run = await iaso(dir, "forms", "upload", fixture("odk_invalid_xlsform.xlsx"), "--account", "forms")
    expect(run.code).toBe(3)
    expect(run.stderr).toBe(
      "iaso: invalid input (1 issue)\n  at [\"xlsFile\"]: Invalid XLS form content: Invalid XLS file: [row : 15] Invalid question name 'Text and String length demo'. Names must begin with a letter or an underscore and hold only letters, digits, hyphens, underscores and periods.\n"
    )
  })
})
