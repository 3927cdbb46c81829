/// <reference types="vite/client" />
/**
 * GeoPackage import in Chromium through the sql.js driver: IASO's setuper sample (136 units over
 * five levels, four groups) read from ../shared with the test runner's file access.
 */
import initSqlJs from "sql.js"
import wasmUrl from "sql.js/dist/sql-wasm.wasm?url"
import { commands } from "vitest/browser"
import { afterAll, describe, expect, it } from "vitest"
import { importGeoPackage } from "@iaso/geopackage"
import { SqlJsGpkg } from "@iaso/geopackage/sqljs"
import { makeHarness } from "./harness.ts"

const SMALL_SAMPLE = "../shared/fixtures/iaso/setuper/data/small_sample.gpkg"

/** Set by vitest.config.ts from the CI environment variable. */
declare const __IASO_CI__: string

/** A fixture's bytes, or `undefined` when ../shared is absent (a failure instead under CI). */
const bytesOf = async (path: string): Promise<Uint8Array | undefined> => {
  try {
    const base64 = await commands.readFile(path, "base64")
    return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))
  } catch (error) {
    if (__IASO_CI__ !== "" || !/ENOENT|no such file/i.test(String(error))) throw error
    return undefined
  }
}

const h = makeHarness(SqlJsGpkg.layer(await initSqlJs({ locateFile: () => wasmUrl })))
afterAll(() => h.dispose())
const sample = await bytesOf(SMALL_SAMPLE)

describe.skipIf(sample === undefined)(`GeoPackage import in the browser (sql.js) ${sample === undefined ? "(skipped: ../shared is absent)" : ""}`, () => {
  it("small_sample.gpkg: 136 units, 4 groups, one root", async () => {
    if (sample === undefined) return
    const { actor, source } = await h.freshSource("browser")
    const result = await h.run(actor, importGeoPackage(sample, { dataSourceId: source.id, defaultValid: true }))
    expect([result.created, result.groupsCreated]).toEqual([136, 4])
    const pyramid = await h.pyramidOf(actor, result.version.id)
    expect([...pyramid.values()].filter((unit) => unit.parentRef === null).map((unit) => unit.name)).toEqual(["Burkina Faso"])
  })
})
