/**
 * `@iaso/core/testing`: the conformance suite every store adapter passes. An adapter's test file
 * calls {@link runConformance} in one line; the suite builds the store once, isolates each
 * scenario in a fresh account, checks behaviour through the public API and what really landed in
 * storage through the port's `inspect` hook, and prints how many scenarios ran.
 *
 * ```ts
 * import { MemoryStore } from "@iaso/core"
 * import { runConformance } from "@iaso/core/testing"
 * runConformance({ name: "memory", store: MemoryStore.layer() })
 * ```
 * @module
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { ALL_MODELS } from "../models.ts"
import type { TextOrder } from "../shared/engine.ts"
import { Store } from "../shared/store.ts"
import { domainScenarios } from "./domain.ts"
import { fixtureScenarios } from "./fixtures.ts"
import { formScenarios } from "./forms.ts"
import { genericScenarios } from "./generic.ts"
import { type ConformanceOptions, type Harness, makeHarness } from "./harness.ts"
import { parityScenarios } from "./parity.ts"
import { pyramidScenarios } from "./pyramid.ts"
import { registryScenarios } from "./registry.ts"
import { submissionBatchScenarios } from "./submission-batches.ts"
import { submissionScenarios } from "./submissions.ts"
import { versionScenarios } from "./versions.ts"

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
export { encoded, exitError, exitTag, makeHarness } from "./harness.ts"
export { boundaryRecord, createValid, makeUnique, sampleRecords, satisfyReferences } from "./generate.ts"

/** Registers the whole conformance suite for one store. */
export const runConformance = (options: ConformanceOptions): void => {
  let current: { readonly harness: Harness; readonly dispose: () => Promise<void> } | undefined
  let textOrder: TextOrder = "codepoint"
  const ran = new Set<string>()
  const h = (): Harness => {
    if (current === undefined) throw new Error("the conformance harness is not started")
    ran.add(expect.getState().currentTestName ?? "")
    return current.harness
  }
  describe(`conformance: ${options.name}`, () => {
    let started = 0
    beforeAll(async () => {
      started = Date.now()
      current = makeHarness(options)
      const driver = await current.harness.run(Effect.service(Store))
      textOrder = driver.capabilities.textOrder
    })
    afterAll(async () => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      console.log(`conformance[${options.name}]: ${ran.size} scenarios ran in ${seconds} s, seed ${options.seed ?? 20261124}`)
      await current?.dispose()
    })
    describe("every model", () => {
      for (const model of ALL_MODELS) {
        describe(model.name, () => genericScenarios(h, model, () => textOrder))
      }
    })
    domainScenarios(h)
    registryScenarios(h)
    pyramidScenarios(h)
    versionScenarios(h)
    submissionScenarios(h)
    submissionBatchScenarios(h)
    formScenarios(h)
    fixtureScenarios(h, options.fixtures)
    parityScenarios(h, options)
  })
}
