/**
 * The pure rules behind the edge-value scenarios: admitting plain data (nesting bounded by
 * MAX_JSON_DEPTH without recursion, -0 made 0), the import unit count, the prefixes a
 * `startsWithAny` needs, and the checks of filter values and cursor positions.
 */
import { describe, expect, it } from "vitest"
import {
  admitJson,
  AuditEntryModel,
  checkImportUnits,
  compileWhere,
  DEFAULT_MAX_IMPORT_UNITS,
  disjointPrefixes,
  Json,
  kindProblem,
  MAX_JSON_DEPTH,
  nestingLimitOf,
  OrgUnitModel,
  RecordJson,
  TOO_DEEP_MESSAGE,
  ValidationError
} from "../src/index.ts"
import { fitsOrder } from "../src/shared/conditions.ts"

/** `levels` arrays around 1, built without recursion. */
const nested = (levels: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

const issues = (result: unknown) => (result instanceof ValidationError ? result.issues : result)

describe("admitJson", () => {
  it("admits data nested exactly MAX_JSON_DEPTH (64) levels and answers the same object", () => {
    const value = { a: nested(MAX_JSON_DEPTH - 1) }
    expect(MAX_JSON_DEPTH).toBe(64)
    expect(admitJson(value)).toBe(value)
  })

  it("refuses data one level deeper at the path of the first array or object past the limit, in document order", () => {
    const value = { first: [1, { b: 2 }], second: [nested(MAX_JSON_DEPTH)], third: nested(MAX_JSON_DEPTH + 5) }
    expect(issues(admitJson(value, ["extraFields"]))).toEqual([
      { path: ["extraFields", "second", 0, ...Array<number>(MAX_JSON_DEPTH - 2).fill(0)], message: TOO_DEEP_MESSAGE }
    ])
    expect(TOO_DEEP_MESSAGE).toBe("arrays and objects nested more than 64 levels deep (limit `MAX_JSON_DEPTH`)")
  })

  it("bounds arrays of numbers like any array: 64 nested arrays are admitted (a -0 in the innermost made 0), 65 refused", () => {
    const within = nested(MAX_JSON_DEPTH)
    expect(admitJson(within)).toBe(within)
    let withZero: unknown = [-0, 1]
    for (let i = 1; i < MAX_JSON_DEPTH; i++) withZero = [withZero]
    let expected: unknown = [0, 1]
    for (let i = 1; i < MAX_JSON_DEPTH; i++) expected = [expected]
    expect(admitJson(withZero)).toEqual(expected)
    expect(issues(admitJson(nested(MAX_JSON_DEPTH + 1)))).toEqual([{ path: Array<number>(MAX_JSON_DEPTH).fill(0), message: TOO_DEEP_MESSAGE }])
  })

  it("refuses a million levels of nesting without overflowing the call stack", () => {
    const result = admitJson(nested(1_000_000))
    expect(result instanceof ValidationError && result.issues[0]?.path.length).toBe(MAX_JSON_DEPTH)
  })

  it("refuses a cycle as nesting past the limit", () => {
    const cycle: Record<string, unknown> = { name: "loop" }
    cycle["self"] = cycle
    expect(issues(admitJson(cycle))).toEqual([{ path: Array<string>(MAX_JSON_DEPTH).fill("self"), message: TOO_DEEP_MESSAGE }])
  })

  it("replaces every -0 with 0 in a copy that shares the parts without -0 and leaves the input as it was", () => {
    const untouched = { lon: 1, tags: ["a"] }
    const input = { point: [-0, 12.5], deep: [[{ x: -0 }]], untouched, count: -0 }
    const admitted = admitJson(input) as typeof input
    expect(admitted).toEqual({ point: [0, 12.5], deep: [[{ x: 0 }]], untouched, count: 0 })
    expect(admitted.untouched).toBe(untouched)
    expect(input).toEqual({ point: [-0, 12.5], deep: [[{ x: -0 }]], untouched: { lon: 1, tags: ["a"] }, count: -0 })
  })

  it("makes a top-level -0 0 and keeps scalars, dates and class instances as they are", () => {
    const at = new Date(0)
    const map = new Map([["k", -0]])
    expect([admitJson(-0), admitJson(0), admitJson("x"), admitJson(null), admitJson(at), admitJson(map)]).toEqual([0, 0, "x", null, at, map])
    expect(Object.is(admitJson(-0), 0)).toBe(true)
    expect(admitJson(map)).toBe(map)
  })

  it("lets a field holding a record's encoding (an audit entry's before and after) nest one level more", () => {
    expect([nestingLimitOf(Json), nestingLimitOf(RecordJson), nestingLimitOf(AuditEntryModel.fields.after)]).toEqual([64, 65, 65])
    expect(admitJson({ extraFields: nested(MAX_JSON_DEPTH) }, [], nestingLimitOf(RecordJson))).toEqual({ extraFields: nested(MAX_JSON_DEPTH) })
  })
})

describe("checkImportUnits", () => {
  it("accepts up to maxUnits items (default DEFAULT_MAX_IMPORT_UNITS, 100,000) and refuses one more, naming the option", () => {
    expect(DEFAULT_MAX_IMPORT_UNITS).toBe(100_000)
    expect([checkImportUnits(["features"], 100_000, "features"), checkImportUnits(["features"], 2, "features", 2)]).toEqual([undefined, undefined])
    expect(issues(checkImportUnits(["features"], 100_001, "features"))).toEqual([
      { path: ["features"], message: "100001 features: more than the 100000 one import takes (option `maxUnits`)" }
    ])
  })

  it("refuses a maxUnits that is not a positive integer", () => {
    expect([0, -1, 1.5, Number.NaN].map((max) => issues(checkImportUnits(["features"], 0, "features", max)))).toEqual([
      [{ path: ["maxUnits"], message: "expected a positive integer, got 0" }],
      [{ path: ["maxUnits"], message: "expected a positive integer, got -1" }],
      [{ path: ["maxUnits"], message: "expected a positive integer, got 1.5" }],
      [{ path: ["maxUnits"], message: "expected a positive integer, got NaN" }]
    ])
  })
})

describe("disjointPrefixes", () => {
  it("drops duplicates and the prefixes that start with another one", () => {
    expect(disjointPrefixes(["a/b/", "a/", "c/", "a/", "c/d/e/", "b/"])).toEqual(["a/", "b/", "c/"])
    expect(disjointPrefixes([])).toEqual([])
  })
})

describe("filter values and cursor positions", () => {
  it("answers why a value is not of a column's kind", () => {
    expect([
      kindProblem("text", "Bo"),
      kindProblem("text", "B\u0000"),
      kindProblem("text", "\ud800"),
      kindProblem("text", 1),
      kindProblem("integer", 2.5),
      kindProblem("integer", 2 ** 53),
      kindProblem("real", Number.POSITIVE_INFINITY),
      kindProblem("boolean", 0),
      kindProblem("json", "{}")
    ]).toEqual([
      undefined,
      "must not contain the NUL character (U+0000)",
      "must be well-formed Unicode (no lone surrogate)",
      "expected text",
      "expected an integer",
      "expected an integer",
      "expected a finite number",
      "expected a boolean",
      "a JSON field is compared with nothing"
    ])
  })

  it("compiles known operators to stored form and refuses an unknown one, listing the operators", () => {
    expect(compileWhere(OrgUnitModel, [{ field: "depth", op: "lte", value: 3 }])).toEqual([{ field: "depth", op: "lte", value: 3 }])
    expect(issues(compileWhere(OrgUnitModel, [{ field: "name", op: "like" as never, value: "B%" }]))).toEqual([
      {
        path: ["where", "name"],
        message: 'unknown operator "like": expected one of eq, ne, lt, lte, gt, gte, in, notIn, isNull, isNotNull, startsWith, contains, startsWithAny'
      }
    ])
  })

  it("takes a cursor position only when each value fits its order column", () => {
    const orderBy = [
      { field: "depth", direction: "asc" },
      { field: "code", direction: "asc" },
      { field: "bboxWest", direction: "desc" },
      { field: "id", direction: "asc" }
    ] as const
    expect(fitsOrder(OrgUnitModel, orderBy, [2, "", null, "u1"])).toBe(true)
    expect(
      [
        ["2", "", null, "u1"],
        [2, null, null, "u1"],
        [2, "", "west", "u1"],
        [2, "", null, "u\u0000"],
        [2, "", null]
      ].map((after) => fitsOrder(OrgUnitModel, orderBy, after))
    ).toEqual([false, false, false, false, false])
  })
})
