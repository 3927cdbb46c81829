/**
 * JSONLogic as IASO's conditions use it: the standard operators over answers (text that holds
 * numbers compares as numbers), "no condition" written `true` or `"true"`, `"current_time"` as the
 * evaluation time, the variables a rule reads, and the bounds: unknown operators, dynamic `var`
 * names, rules nested past MAX_JSON_DEPTH or larger than MAX_JSON_LOGIC_NODES are ValidationErrors.
 */
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { checkJsonLogic, isNoCondition, jsonLogicVariables, MAX_JSON_DEPTH, MAX_JSON_LOGIC_NODES, MAX_JSON_LOGIC_STEPS } from "@iaso/core"
import { evaluateJsonLogic, jsonLogicHolds } from "@iaso/core/json-logic"

const now = new Date("2026-12-07T10:11:12.000Z")

const value = (rule: unknown, data: unknown = {}): unknown => {
  const result = evaluateJsonLogic(rule, data, { now })
  if (Result.isFailure(result)) throw new Error(`expected a value, got ${result.failure.message}`)
  return result.success
}

const refusal = (rule: unknown) => {
  const result = evaluateJsonLogic(rule, {}, { now })
  if (Result.isSuccess(result)) throw new Error(`expected ${JSON.stringify(rule)} to be refused`)
  return result.failure.issues
}

describe("evaluateJsonLogic", () => {
  it("compares answers stored as text with numbers as numbers, and a missing answer compares false", () => {
    expect(value({ ">": [{ var: "age" }, 5] }, { age: "26" })).toBe(true)
    expect(value({ "<=": [{ var: "age" }, 5] }, { age: "26" })).toBe(false)
    expect(value({ ">": [{ var: "age" }, 5] }, {})).toBe(false)
    expect(value({ "==": [{ var: "age" }, 26] }, { age: "26" })).toBe(true)
    expect(value({ "===": [{ var: "age" }, 26] }, { age: "26" })).toBe(false)
  })

  it("runs the standard operators: and, or, !, if, in, missing, some, between", () => {
    const data = { sex: "F", age: "3", tags: ["a", "b"], list: [1, 5, 9] }
    expect(value({ and: [{ "==": [{ var: "sex" }, "F"] }, { "<": [{ var: "age" }, 5] }] }, data)).toBe(true)
    expect(value({ or: [{ "==": [{ var: "sex" }, "M"] }, { "!": [{ var: "absent" }] }] }, data)).toBe(true)
    expect(value({ if: [{ ">": [{ var: "age" }, 4] }, "older", "younger"] }, data)).toBe("younger")
    expect(value({ in: ["b", { var: "tags" }] }, data)).toBe(true)
    expect(value({ missing: ["sex", "weight"] }, data)).toEqual(["weight"])
    expect(value({ some: [{ var: "list" }, { ">": [{ var: "" }, 8] }] }, data)).toBe(true)
    expect(value({ "<": [1, { var: "age" }, 4] }, data)).toBe(true)
    expect(value({ cat: ["x", { var: "sex" }] }, data)).toBe("xF")
  })

  it('treats true and the string "true" as no condition, whatever the data', () => {
    expect([isNoCondition(true), isNoCondition("true"), isNoCondition({}), isNoCondition(false)]).toEqual([true, true, false, false])
    expect(value(true, null)).toBe(true)
    expect(value("true", { anything: 1 })).toBe(true)
    expect(Result.getOrThrow(jsonLogicHolds("true", {}))).toBe(true)
  })

  it("replaces current_time by the evaluation day for a date answer, the time of day for a time, the instant otherwise", () => {
    expect(value({ "<": [{ var: "visit" }, "current_time"] }, { visit: "2026-12-06" })).toBe(true)
    expect(value({ "<": [{ var: "visit" }, "current_time"] }, { visit: "2026-12-07" })).toBe(false)
    expect(value({ "==": [{ var: "visit" }, "current_time"] }, { visit: "2026-12-07" })).toBe(true)
    expect(value({ ">": [{ var: "at" }, "current_time"] }, { at: "10:11:13" })).toBe(true)
    expect(value({ "<": [{ var: "at" }, "current_time"] }, { at: "2026-12-07T10:11:11.000Z" })).toBe(true)
    // Outside a comparison it is an ordinary string.
    expect(value({ cat: ["current_time"] })).toBe("current_time")
  })

  it("gives null for an operation the data makes impossible, and holds false", () => {
    expect(value({ "+": [{ var: "a" }, 1] }, { a: "not a number" })).toBeNull()
    expect(Result.getOrThrow(jsonLogicHolds({ "+": [{ var: "a" }, 1] }, { a: "x" }, { now }))).toBe(false)
    expect(Result.getOrThrow(jsonLogicHolds({ merge: [] }, {}, { now }))).toBe(false)
  })

  it("refuses unknown operators, several keys, dynamic var names and non-JSON values with their place", () => {
    expect(refusal({ and: [{ log: "x" }] })).toEqual([{ path: ["and", 0], message: 'unknown JSONLogic operator "log"' }])
    expect(refusal({ and: [{ constructor: [] }] })).toEqual([{ path: ["and", 0], message: 'unknown JSONLogic operator "constructor"' }])
    expect(refusal({ "==": [1, 1], or: [] })).toEqual([{ path: [], message: "a JSONLogic operation is an object of one key (its operator), got 2 keys" }])
    expect(refusal({ var: { var: "name" } })).toEqual([{ path: ["var"], message: "a var names its variable literally (a string or a number)" }])
    expect(refusal({ "==": [new Date(0), 1] })).toEqual([{ path: ["==", 0], message: "a JSONLogic rule holds JSON values only" }])
    expect(refusal({ "==": [Number.NaN, 1] })).toEqual([{ path: ["==", 0], message: "a JSONLogic number must be finite" }])
  })

  it("refuses rules nested past MAX_JSON_DEPTH (a million levels included) and larger than MAX_JSON_LOGIC_NODES", () => {
    let deep: unknown = { var: "a" }
    for (let i = 0; i < 1_000_000; i++) deep = { "!": [deep] }
    const issues = refusal(deep)
    expect(issues[0]?.message).toBe(`a JSONLogic rule nested more than ${MAX_JSON_DEPTH} levels deep (limit \`MAX_JSON_DEPTH\`)`)
    expect(issues[0]?.path).toHaveLength(MAX_JSON_DEPTH)
    const wide = { or: Array.from({ length: MAX_JSON_LOGIC_NODES }, () => true) }
    expect(refusal(wide)).toEqual([{ path: [], message: `a JSONLogic rule of more than ${MAX_JSON_LOGIC_NODES} values (limit \`MAX_JSON_LOGIC_NODES\`)` }])
    expect(checkJsonLogic({ or: Array.from({ length: MAX_JSON_LOGIC_NODES - 2 }, () => true) })).toBeUndefined()
  })

  it("stops an evaluation the data makes quadratic or exponential at MAX_JSON_LOGIC_STEPS (fuzz: jsonlogic #72, seed 1)", () => {
    const limit = `the rule's evaluation takes more than ${MAX_JSON_LOGIC_STEPS} steps on this data (limit \`MAX_JSON_LOGIC_STEPS\`)`
    // A reduce merging its accumulator over 100,000 items ran for minutes.
    const merged = evaluateJsonLogic(
      { reduce: [{ var: "xs" }, { merge: [{ var: "accumulator" }, { var: "current" }] }, []] },
      { xs: Array.from({ length: 100_000 }, (_, i) => i) }
    )
    expect(Result.isFailure(merged) && merged.failure.issues).toEqual([{ path: [], message: limit }])
    // A reduce doubling a string 60 times: refused long before the string outgrows memory.
    const doubled = evaluateJsonLogic(
      { reduce: [{ var: "xs" }, { cat: [{ var: "accumulator" }, { var: "accumulator" }] }, "x"] },
      { xs: new Array(60).fill(0) }
    )
    expect(Result.isFailure(doubled)).toBe(true)
    // Linear work over a large array is within the limit.
    const big = Array.from({ length: 1_000_000 }, (_, i) => i)
    expect(value({ in: [999_999, { var: "xs" }] }, { xs: big })).toBe(true)
    expect(value({ reduce: [{ var: "xs" }, { "+": [{ var: "current" }, { var: "accumulator" }] }, 0] }, { xs: big.slice(0, 100_000) })).toBe(4_999_950_000)
  })
})

describe("jsonLogicVariables", () => {
  it("lists each variable read once, in document order, from var, missing and missing_some", () => {
    const rule = {
      and: [
        { "==": [{ var: "sex" }, "F"] },
        { ">": [{ var: ["age", 0] }, 5] },
        { missing: ["sex", "weight"] },
        { missing_some: [1, ["height", "age"]] },
        { var: "" }
      ]
    }
    expect(jsonLogicVariables(rule)).toEqual(["sex", "age", "weight", "height"])
    expect(jsonLogicVariables(true)).toEqual([])
  })
})
