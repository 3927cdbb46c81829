/**
 * `@iaso/core/testing`: the conformance suite every store adapter passes. An adapter's test file
 * calls {@link runConformance} in one line; the suite builds the store once, isolates each
 * scenario in a fresh account, checks behaviour through the public API and what really landed in
 * storage through the port's `inspect` hook, and prints how many scenarios ran.
 * {@link runConformanceSmoke} runs a handful of them on a second configuration of an adapter.
 *
 * ```ts
 * import { MemoryStore } from "@iaso/core"
 * import { runConformance } from "@iaso/core/testing"
 * runConformance({ name: "memory", store: MemoryStore.layer() })
 * ```
 * @module @iaso/core/testing
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { ALL_MODELS } from "../models.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import type { TextOrder } from "../shared/engine.ts"
import { Store } from "../shared/store.ts"
import { domainScenarios } from "./domain.ts"
import { edgeValueScenarios } from "./edge-values.ts"
import { entityScenarios } from "./entities.ts"
import { rollbackScenarios, storeScenarios } from "./store-scenarios.ts"
import { bulkUserScenarios } from "./bulk-users.ts"
import { exportScenarios } from "./exports.ts"
import { fixtureScenarios } from "./fixtures.ts"
import { bulkUploadScenarios } from "./bulk-uploads.ts"
import { formScenarios } from "./forms.ts"
import { modelScenarios, roundTripScenario } from "./generic.ts"
import { type ConformanceOptions, type Harness, makeHarness } from "./harness.ts"
import { parityScenarios } from "./parity.ts"
import { pyramidScenarios } from "./pyramid.ts"
import { registryScenarios } from "./registry.ts"
import { submissionBatchScenarios } from "./submission-batches.ts"
import { submissionScenarios } from "./submissions.ts"
import { accessScenarios } from "./access.ts"
import { accountKeyScenarios } from "./account-keys.ts"
import { versionScenarios } from "./versions.ts"
import { workflowScenarios } from "./workflows.ts"
import { mappingScenarios } from "./mappings.ts"
import { syncScenarios } from "./sync.ts"
import { projectScenarios } from "./projects.ts"
import { pageCommentScenarios } from "./pages-comments.ts"
import { changeRequestScenarios } from "./change-requests.ts"
import { planningScenarios } from "./planning.ts"
import { taskScenarios } from "./tasks.ts"
import { deviceScenarios } from "./devices.ts"
import { storageScenarios } from "./storages.ts"
import { userScenarios } from "./users.ts"

import type { FixtureLoader } from "./harness.ts"
export type { ConformanceOptions, FixtureLoader, FreshAccount, Harness } from "./harness.ts"

/**
 * The fixture loader of a browser test: `readFile` is the test runner's file access (vitest's
 * `commands.readFile`, paths relative to the project root, base64 for bytes); files live under
 * `../shared/fixtures`. A missing file is `undefined` (a failure when `required`).
 */
export const browserFixtureLoader = (
  readFile: (path: string, encoding: "base64") => Promise<string>,
  options: { readonly required?: boolean; readonly root?: string } = {}
): FixtureLoader => ({
  read: async (path) => {
    try {
      const base64 = await readFile(`${options.root ?? "../shared/fixtures"}/${path}`, "base64")
      return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))
    } catch (error) {
      if (/ENOENT|no such file/i.test(String(error))) return undefined
      throw error
    }
  },
  required: options.required ?? false
})
export { encoded, exitError, exitTag, makeHarness, rejection } from "./harness.ts"
export { syncRoundTrip } from "./sync.ts"
export { type UnitByRef, unitsByRef } from "./org-unit-fixtures.ts"
export { type Question, smallXForm, smallXlsForm } from "./form-world.ts"
export { checkAfterAccountKeys, type SeededBeforeAccountKeys, seedBeforeAccountKeys, type UpgradeApp, upgradeUnitId } from "./account-key-upgrade.ts"
export { boundaryRecord, createValid, makeUnique, sampleRecords, satisfyReferences } from "./generate.ts"

/**
 * Registers scenarios on one store under `label`: the store is built before them and disposed
 * after, and how many ran is printed.
 */
const registerSuite = (label: string, options: ConformanceOptions, scenarios: (h: () => Harness, textOrder: () => TextOrder) => void): void => {
  let current: { readonly harness: Harness; readonly dispose: () => Promise<void> } | undefined
  let textOrder: TextOrder = "codepoint"
  const ran = new Set<string>()
  const h = (): Harness => {
    if (current === undefined) throw new Error("the conformance harness is not started")
    ran.add(expect.getState().currentTestName ?? "")
    return current.harness
  }
  describe(`${label}: ${options.name}`, () => {
    let started = 0
    beforeAll(async () => {
      started = Date.now()
      current = makeHarness(options)
      const driver = await current.harness.run(Effect.service(Store))
      textOrder = driver.capabilities.textOrder
    })
    afterAll(async () => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      console.log(`${label}[${options.name}]: ${ran.size} scenarios ran in ${seconds} s, seed ${options.seed ?? 20261124}`)
      await current?.dispose()
    })
    scenarios(h, () => textOrder)
  })
}

/**
 * Registers the smoke run of a store whose whole suite runs in another configuration (SQLite
 * `:memory:` beside a file): it opens and migrates, writes and reads back, and rolls back failed
 * units of work, nested ones included.
 */
export const runConformanceSmoke = (options: ConformanceOptions): void =>
  registerSuite("conformance smoke", options, (h) => {
    describe("store", () => storeScenarios(h))
    describe("units of work", () => rollbackScenarios(h))
    describe("every model", () => {
      describe(OrgUnitModel.name, () => roundTripScenario(h, OrgUnitModel))
    })
  })

/** Registers the whole conformance suite for one store. */
export const runConformance = (options: ConformanceOptions): void =>
  registerSuite("conformance", options, (h, textOrder) => {
    describe("every model", () => modelScenarios(h, ALL_MODELS, textOrder))
    domainScenarios(h)
    registryScenarios(h)
    pyramidScenarios(h)
    versionScenarios(h)
    submissionScenarios(h)
    accessScenarios(h)
    accountKeyScenarios(h)
    submissionBatchScenarios(h)
    entityScenarios(h)
    planningScenarios(h)
    storageScenarios(h)
    formScenarios(h)
    workflowScenarios(h, options.fixtures)
    mappingScenarios(h, options.fixtures)
    exportScenarios(h, options.fixtures)
    deviceScenarios(h)
    taskScenarios(h)
    projectScenarios(h)
    pageCommentScenarios(h)
    changeRequestScenarios(h)
    syncScenarios(h, options.referencesEnforced === true)
    fixtureScenarios(h, options.fixtures)
    userScenarios(h)
    bulkUserScenarios(h, options.fixtures)
    bulkUploadScenarios(h, options.fixtures)
    parityScenarios(h, options)
    edgeValueScenarios(h)
  })
