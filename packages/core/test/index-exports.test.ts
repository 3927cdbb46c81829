/**
 * The package index names its re-exports one by one (an `export *` of a module that a lazily
 * loaded one also reaches leaves names undefined in esbuild bundles, see browser-bundle.test.ts):
 * every value a module named by the index exports must then be listed there too, or it silently
 * leaves the public API.
 */
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import * as dhis2Export from "../src/dhis2-export.ts"
import * as index from "../src/index.ts"
import * as pyramid from "../src/pyramid.ts"
import * as xlsform from "../src/xlsform.ts"

/**
 * Values of modules the index re-exports from that are deliberately not in it: the parsers and
 * import runners loaded lazily (their own entries, checked below), helpers the services share
 * between modules (not public API), and `Repos` (public through `@iaso/core/kernel`). A new export of such a module fails the test until it is
 * listed in the index or here.
 */
const ELSEWHERE: Readonly<Record<string, ReadonlyArray<string>>> = {
  "./dhis2/export-run.ts": ["KILLED_EXPORT_MESSAGE", "runExportItems"],
  "./forms/xform.ts": ["readXForm"],
  "./forms/xlsform.ts": ["EMPTY_SURVEY_MESSAGE", "fileStem", "readXlsForm"],
  "./forms/xlsx.ts": ["readXlsx"],
  "./registry/dhis2-import.ts": ["DHIS2_IMPORT_SOURCE", "DHIS2_MESSAGES", "dhis2FallbackTypeName", "parseDhis2Pyramid", "runDhis2Import"],
  "./registry/geojson.ts": ["GEOJSON_IMPORT_SOURCE", "GEOJSON_MESSAGES", "exportGeoJsonPyramid", "parseGeoJsonPyramid", "runGeoJsonImport"],
  "./registry/pyramid-import.ts": ["GPKG_MESSAGES", "normaliseRef", "pyramidSource", "requirePyramidImport", "runPyramidImport", "walkHierarchy", "walkNodes"]
}
const INTERNAL: Readonly<Record<string, ReadonlyArray<string>>> = {
  "./entities/workflow-evaluate.ts": ["makeEvaluateOps", "publishedVersionOf"],
  "./entities/workflow-steps.ts": ["checkChange", "checkFollowUp", "makeStepOps"],
  "./entities/workflow-store.ts": [
    "changesOf",
    "draftVersion",
    "entityTypeFor",
    "followUpsOf",
    "liveForms",
    "liveVersion",
    "referenceOf",
    "versionsOfWorkflow",
    "workflowOfType"
  ],
  "./entities/workflow-transfer.ts": ["makeTransferOps"],
  "./entities/workflow-versions.ts": ["makeVersionOps"],
  "./facade.ts": ["FACADE_KEYS", "defaultBlobs", "fromCursor", "makeFacade"],
  "./forms/limits.ts": ["descriptorBudget", "exceeded", "labelItems"],
  "./kernel/repos.ts": ["Repos"],
  "./planning/planning-rules.ts": ["decodeInput", "issuesError"],
  // What the import worker thread sends back (see import-worker-thread.ts).
  "./registry/import-encoder.ts": ["forTransfer"],
  // Loaded lazily by Versions.copy; only its types are public.
  "./registry/version-copy.ts": ["copyVersion"],
  "./shared/cursor.ts": ["decodeCursor", "encodeCursor"],
  "./shared/json.ts": ["isPlainObject"],
  // The loader of the evaluation (`@iaso/core/json-logic`), for the services that evaluate rules.
  "./shared/json-logic.ts": ["jsonLogicEvaluation"],
  // The loader of the submission reader (`@iaso/core/submission-xml`), for ingestion.
  "./submissions/odk-xml.ts": ["submissionReader"],
  "./sync/sync-apply.ts": ["applyChanges", "heldChecksum", "heldRecords"],
  "./users/bulk-csv.ts": ["csvLine", "parseCsv", "splitCell", "splitXlsxCell"]
}

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src")

/** The modules the index re-exports from, as written in it. */
const reexported = (): ReadonlyArray<string> => {
  const text = readFileSync(join(src, "index.ts"), "utf8")
  const modules = new Set<string>()
  for (const match of text.matchAll(/^export\s+(?:type\s+)?\{[^}]*\}\s+from\s+"(\.\/[^"]+)"/gm)) {
    const path = match[1]
    if (path !== undefined) modules.add(path)
  }
  return [...modules].sort()
}

describe("the package index", () => {
  it("re-exports no module with export *", () => {
    expect(readFileSync(join(src, "index.ts"), "utf8").match(/^export \*/gm)).toBeNull()
  })

  it("lists every value exported by each module it re-exports from", async () => {
    const modules = reexported()
    expect(modules.length).toBeGreaterThan(50)
    const missing: Array<string> = []
    const exported = new Set(Object.keys(index))
    for (const path of modules) {
      const module = (await import(join(src, path))) as Record<string, unknown>
      const left = new Set([...(ELSEWHERE[path] ?? []), ...(INTERNAL[path] ?? [])])
      for (const name of Object.keys(module)) if (!exported.has(name) && !left.has(name)) missing.push(`${name} (${path})`)
    }
    expect(missing).toEqual([])
  })

  it("leaves out only names that its modules export, and the lazily loaded ones are in their entries", async () => {
    const entries = new Set([...Object.keys(xlsform), ...Object.keys(pyramid), ...Object.keys(dhis2Export)])
    for (const [path, names] of Object.entries(ELSEWHERE)) {
      const module = (await import(join(src, path))) as Record<string, unknown>
      expect(
        names.filter((name) => !(name in module) || name in index || !entries.has(name)),
        path
      ).toEqual([])
    }
    for (const [path, names] of Object.entries(INTERNAL)) {
      const module = (await import(join(src, path))) as Record<string, unknown>
      expect(
        names.filter((name) => !(name in module) || name in index),
        path
      ).toEqual([])
    }
  })
})
