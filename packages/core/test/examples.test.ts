import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = fileURLToPath(new URL("../../../", import.meta.url))

/** Runs an example with the Node that runs the tests (Node 24 from node_modules). */
const example = async (name: string, ...args: ReadonlyArray<string>): Promise<string> => {
  const { stdout } = await run(process.execPath, [`examples/${name}`, ...args], { cwd: root, timeout: 60_000 })
  return stdout
}

describe("examples and the README's snippets run and print what they promise", () => {
  it("demo.ts (npm run demo) imports a sample GeoPackage, uploads a form, ingests submissions with a photo; a second run reopens the file and changes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iaso-demo-"))
    try {
      const file = join(dir, "demo.sqlite")
      const first = await example("demo.ts", file)
      expect(first).toBe(
        [
          `store     SQLite file ${file}`,
          "account   Demo Health (created)",
          "import    sample.gpkg: 1007 units, 5 types (read 1007, validate 1007, write 1007)",
          "form      Facility visit, version 2026120701 (uploaded)",
          "ingest    3 submissions: created, created, created",
          "",
          "tree (top 7 units)",
          "Country",
          "  Region 1",
          "    District 1.1",
          "    District 1.2",
          "  Region 2",
          "    District 2.1",
          "    District 2.2",
          "",
          "units per level",
          "  level 1  1",
          "  level 2  2",
          "  level 3  4",
          "  level 4  20",
          "  level 5  980",
          "",
          "submissions per org unit",
          "  Facility 1.1.1.1  2",
          "  Facility 1.1.1.10  1",
          ""
        ].join("\n")
      )
      // Files are kept beside the database under their content hash: the GeoPackage, the XLSForm,
      // the three submissions' XML and the photo.
      const blobs = readdirSync(join(dir, "files"), { recursive: true }).map(String)
      expect(blobs.filter((name) => /[0-9a-f]{64}$/.test(name))).toHaveLength(6)
      const second = await example("demo.ts", file)
      expect(second.split("\n").slice(0, 5)).toEqual([
        `store     SQLite file ${file}`,
        "account   Demo Health (reopened)",
        "import    skipped: the version holds the pyramid",
        "form      Facility visit (reopened)",
        "ingest    3 submissions: unchanged, unchanged, unchanged"
      ])
      expect(second.slice(second.indexOf("tree"))).toBe(first.slice(first.indexOf("tree")))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("promise.ts uses the Promise facade and catches a typed NotFound", async () => {
    const out = await example("promise.ts")
    expect(out).toBe(`2: Bo\n3: Bo Government Hospital\nprojects: Main Project\n${out.split("\n")[3]}\n`)
    expect(out.split("\n")[3]).toMatch(/^not found: OrgUnit [0-9a-f-]{36} not found$/)
  })

  it("the README's Effect example", async () => {
    expect(await example("readme-effect.ts")).toBe("2: Bo\n3: Bo Government Hospital\n")
  })

  it("the README's Promise example", async () => {
    expect(await example("readme-promise.ts")).toBe("Bo\n")
  })
})

/** The program's code after its header comment, without blank lines. */
const codeLines = (source: string): ReadonlyArray<string> =>
  source
    .slice(source.indexOf("*/\n") + 3)
    .split("\n")
    .filter((line) => line.trim() !== "")
/** The lines of a guide's `ts` blocks (the program's code), in order, without blank lines; `ts illustrative` blocks are left out. */
const guideCode = (markdown: string): ReadonlyArray<string> =>
  [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].flatMap((block) => (block[1] ?? "").split("\n")).filter((line) => line.trim() !== "")
/** The output a guide shows: its `text` block. */
const guideOutput = (markdown: string): string | undefined => /^```text\n([\s\S]*?)^```$/m.exec(markdown)?.[1]
const readText = (path: string): string => readFileSync(join(root, path), "utf8")

describe("the guides (docs/*.md): each shows its program's whole code and exact output, and the program prints it", () => {
  const guides: ReadonlyArray<readonly [name: string, output: string]> = [
    ["install-and-choose-a-store", "memory:  Bo\nsqlite:  Bo, Kenema\npglite:  Makeni\n"],
    [
      "actors-and-permissions",
      [
        "permissions: iaso_forms, iaso_org_units",
        "under Bo: Bo Government Hospital",
        "NotFound: OrgUnit Sierra Leone",
        "NotFound: OrgUnit Sierra Leone",
        "Forbidden: creating data sources needs the permission iaso_write_sources",
        "children of Bo, read in Effect: Bo Government Hospital",
        ""
      ].join("\n")
    ],
    [
      "import-a-pyramid",
      [
        "GeoJSON: 3 units in version 0; new types: 3, new groups: 1",
        "  progress: read 3/3, validate 3/3, write 3/3",
        "DHIS2: 3 units in version 0; new types: 1, warnings: 0",
        "GeoPackage: 3 units from layers level-1-Country, level-2-District, level-3-Facility",
        "  back as GeoJSON: Sierra Leone > Bo > Bo Government Hospital",
        "stopped: import aborted, 0 units stored",
        ""
      ].join("\n")
    ],
    [
      "forms-and-submissions",
      [
        "form monthly_stock, version 2026120101",
        "preview of 2026120102: adds expiry, removes photo",
        "ingest: created, unchanged, edited (doses now 38)",
        "files: fridge.jpg",
        "refused: period: Wrong period type, expecting: MONTH. Received type: QUARTER",
        "202612: READY",
        "counts for 202612: 1 total, 1 ready",
        "locked from Bo: the supervisor may change it, the clerk may not change it",
        ""
      ].join("\n")
    ],
    [
      "blob-stores",
      [
        "photo: sha256/32461d5b..., 4 bytes, image/jpeg",
        "on disk: true",
        "put again: same key true, read back 4 bytes",
        "without a blob store: unavailable",
        ""
      ].join("\n")
    ],
    [
      "paging",
      [
        "page 1: Bo, Bombali, Bonthe",
        "page 2: Kailahun, Kenema, Kono",
        "K, backwards: Kono, Kenema, Kailahun",
        "every child: Bo, Bombali, Bonthe, Kailahun, Kenema, Kono, Moyamba",
        'names with "bo": 3',
        "another listing's cursor: ValidationError at cursor",
        "listAll: 7 children, count: 8 units",
        "org units in the change feed: 8",
        ""
      ].join("\n")
    ],
    [
      "offline-sync",
      [
        "first pull: 3 pages, 6 records; under Bo: Bo Government Hospital",
        "outbox: submission PENDING",
        "push: 1 applied, 0 rejected; outbox now 0",
        "second pull: repaired OrgUnit; under Bo: 0 units",
        "submissions on the device: 1",
        ""
      ].join("\n")
    ],
    ["writing-an-adapter", "level 1: 1, level 2: 1\n"]
  ]

  it.each(guides)("%s", async (name, output) => {
    const guide = readText(`docs/${name}.md`)
    expect(guideCode(guide)).toEqual(codeLines(readText(`examples/guide-${name}.ts`)))
    expect(guideOutput(guide)).toBe(output)
    expect(await example(`guide-${name}.ts`)).toBe(output)
  })

  it("the guides' index links every guide, and every guide has its program", () => {
    const index = readText("docs/README.md")
    const names = readdirSync(join(root, "docs")).filter((file) => file.endsWith(".md") && file !== "README.md")
    expect(names.map((file) => file.replace(/\.md$/, "")).sort()).toEqual(guides.map(([name]) => name).sort())
    for (const [name] of guides) expect(index).toContain(`](${name}.md)`)
  })
})
