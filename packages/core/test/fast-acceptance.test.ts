/**
 * The compiled acceptance test of the write path never accepts a record Effect Schema would
 * refuse, and takes nearly every valid record on its fast path: for every model, generated valid records (the type side, system fields set) and
 * mutations of them (a wrong type, a NUL in text, a blank, a missing key, an excess key, a huge
 * number, NaN) are checked against `Schema.decodeUnknownSync(Schema.toType(...))`.
 */
import { ALL_MODELS } from "@iaso/core"
import { sampleRecords } from "@iaso/core/testing"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { fastRecordCheckOf } from "../src/shared/fast-acceptance.ts"

const SEED = 20261124

/** Values put in place of a field to break it (some break nothing for some fields: the oracle decides). */
const MUTATIONS: ReadonlyArray<unknown> = [
  "",
  " ",
  "a\u0000b",
  "\ud800",
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  1e300,
  true,
  null,
  [],
  {},
  ["x"],
  [Number.NaN],
  { type: "Point" },
  { type: "Point", coordinates: [200, 0] },
  { type: "Point", coordinates: [1] },
  { type: "Point", coordinates: [1, 2, 3, 4] },
  { "a\u0000": 1 },
  { a: "\u0000" },
  { a: [Number.NaN] },
  { a: { b: undefined } },
  new Date(Number.NaN),
  new Date(Date.UTC(10000, 0, 1)),
  new Date(Date.UTC(2026, 0, 1))
]

describe("the write path's fast acceptance test", () => {
  it("accepts nothing Schema refuses, and accepts the valid records, for every model", async () => {
    let accepted = 0
    let checked = 0
    let validSamples = 0
    let fastSamples = 0
    for (const model of ALL_MODELS) {
      const typeSchema = Schema.toType(model.schema as Schema.Top)
      const validate = Schema.decodeUnknownSync(typeSchema as Schema.Codec<unknown, unknown>)
      const fields = model.schema.fields as Record<string, Schema.Top>
      const check = fastRecordCheckOf(typeSchema.ast, (name) => {
        const field = fields[name]
        if (field === undefined) return () => false
        const guard = Schema.is(Schema.toType(field))
        return (value) => guard(value)
      })
      expect(check, model.name).toBeDefined()
      if (check === undefined) continue
      const now = new Date(Date.UTC(2026, 10, 24))
      const samples = await Effect.runPromise(sampleRecords(model, 6, SEED))
      const system = {
        id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        version: 1,
        createdAt: now,
        updatedAt: now,
        ...(model.scope === "account" ? { accountId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c" } : {})
      }
      for (const sample of samples) {
        const record: Record<string, unknown> = { ...sample, ...system }
        const candidates: Array<Record<string, unknown>> = [record, { ...record, unexpected: 1 }]
        for (const name of Object.keys(fields)) {
          const { [name]: _removed, ...without } = record
          candidates.push(without)
          for (const value of MUTATIONS) candidates.push({ ...record, [name]: value })
        }
        for (const candidate of candidates) {
          checked += 1
          if (!check(candidate)) continue
          accepted += 1
          expect(() => validate(candidate, { onExcessProperty: "error" }), `${model.name}: ${JSON.stringify(candidate)}`).not.toThrow()
        }
        // A valid sample should take the fast path (it may be conservative, e.g. on exotic objects).
        validSamples += 1
        if (check(record)) fastSamples += 1
      }
    }
    console.log(
      `fast acceptance: ${accepted} of ${checked} candidates accepted, each confirmed by Schema; ${fastSamples} of ${validSamples} valid samples took the fast path`
    )
    expect(fastSamples / validSamples).toBeGreaterThan(0.9)
  })
})
