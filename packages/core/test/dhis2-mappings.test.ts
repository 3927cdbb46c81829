import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { computeDerivedValues } from "../src/dhis2/derived-values.ts"
import { copyMappingJson, keepsQuestionKey, mappableQuestions } from "../src/dhis2/mapping-copy.ts"
import { type Aggregation, checkMappingJson } from "../src/dhis2/mapping-json.ts"
import type { DescriptorNode } from "../src/forms/descriptor.ts"

/** A descriptor: a group with a select question (choices as children), a repeat, and a select by list name. */
const DESCRIPTOR = {
  name: "data",
  type: "survey",
  choices: { sizes: [{ name: "small" }, { name: "large" }] },
  children: [
    {
      name: "household",
      type: "group",
      children: [
        { name: "head", type: "text" },
        { name: "water", type: "select all that apply", children: [{ name: "well" }, { name: "tap" }] }
      ]
    },
    { name: "members", type: "repeat", children: [{ name: "member_age", type: "integer" }] },
    { name: "size", type: "select one", list_name: "sizes" },
    { name: "de1__0_11m", type: "integer" }
  ]
} as unknown as DescriptorNode

describe("mapping copy onto a new form version", () => {
  const questions = mappableQuestions(DESCRIPTOR)
  it.each([
    ["head", true],
    ["household", true],
    ["member_age", true],
    ["water__tap", true],
    ["water__river", false],
    ["size__large", true],
    ["size__medium", false],
    ["de1__0_11m", true],
    ["de1__15y", false],
    ["head__x", false],
    ["gone", false]
  ])("key %s is kept: %s", (key, kept) => {
    expect(keepsQuestionKey(questions, key)).toBe(kept)
  })

  it("keeps the other keys of the JSON and the surviving mappings in their order", () => {
    const copied = copyMappingJson(
      {
        program_id: "P1",
        event_date_source: "FROM_SUBMISSION_PERIOD",
        question_mappings: { gone: { type: "neverMapped" }, water__tap: { id: "DE_TAP", valueType: "BOOLEAN" }, head: { id: "DE_HEAD", valueType: "TEXT" } }
      },
      questions
    )
    expect(copied).toEqual({
      program_id: "P1",
      event_date_source: "FROM_SUBMISSION_PERIOD",
      question_mappings: { water__tap: { id: "DE_TAP", valueType: "BOOLEAN" }, head: { id: "DE_HEAD", valueType: "TEXT" } }
    })
  })

  it("keeps the aggregations whose id is still a question", () => {
    const copied = copyMappingJson(
      {
        aggregations: [
          { id: "head", questionName: "x", aggregationType: "count" },
          { id: "dropped", questionName: "x", aggregationType: "sum" }
        ]
      },
      questions
    )
    expect(copied).toEqual({ aggregations: [{ id: "head", questionName: "x", aggregationType: "count" }] })
  })
})

describe("mapping JSON shapes", () => {
  it.each([
    ["AGGREGATE", { data_set_id: "D", question_mappings: { q: { id: "DE", valueType: "NUMBER", name: "extra kept" } } }, true],
    ["AGGREGATE", { data_set_id: "D", question_mappings: { q: { id: "DE" } } }, false],
    ["AGGREGATE", { question_mappings: {} }, false],
    ["EVENT", { program_id: "P", question_mappings: { q: { type: "multiple", values: { a: { id: "DE", valueType: "BOOLEAN" } } } } }, true],
    ["EVENT", { program_id: "P", question_mappings: {}, event_date_source: "TOMORROW" }, false],
    ["EVENT_TRACKER", { program_id: "P", question_mappings: { q: [] } }, false],
    ["EVENT_TRACKER", { program_id: "P", question_mappings: { q: [{ programStage: "S", dataElement: { id: "DE", valueType: "TEXT" } }] } }, true],
    ["DERIVED", { aggregations: [{ id: "a", questionName: "q", aggregationType: "median" }] }, false],
    ["DERIVED", { aggregations: [{ id: "a", questionName: "q", aggregationType: "avg", where: [{ questionName: "q", operator: "gt", value: 1 }] }] }, true]
  ] as const)("%s %j fits: %s", (type, json, fits) => {
    const checked = checkMappingJson(type, json)
    expect(Result.isSuccess(checked)).toBe(fits)
    if (Result.isSuccess(checked)) expect(checked.success).toBe(json)
  })
})

describe("computeDerivedValues", () => {
  /** IASO's CVS example (`seed-data-command-cvs-form-mapping.json`), written out. */
  const AGGREGATIONS: ReadonlyArray<Aggregation> = [
    { id: "cs_304_avg", questionName: "cs_304", aggregationType: "avg" },
    { id: "cs_304_count", questionName: "cs_304", aggregationType: "count" },
    { id: "cs_304_sum", questionName: "cs_304", aggregationType: "sum" },
    {
      id: "satisfaction_score_count_gt_eleven",
      questionName: "satisfaction_score",
      aggregationType: "count",
      where: [{ questionName: "satisfaction_score", operator: "gt", value: 11 }]
    },
    { id: "satisfaction_score_sum", questionName: "satisfaction_score", aggregationType: "sum", defaultValue: 0 },
    { id: "satisfaction_score_sum_with_default", questionName: "never_filled_question", aggregationType: "sum", defaultValue: 0 }
  ]

  it("computes sum, avg, count and where over a period's submissions", () => {
    const submissions = [
      { cs_304: "10", satisfaction_score: "12" },
      { cs_304: "20", satisfaction_score: "5" },
      { cs_304: "", satisfaction_score: "15" },
      { cs_304: "not a number", satisfaction_score: 11 }
    ]
    expect(computeDerivedValues(AGGREGATIONS, submissions)).toEqual({
      cs_304_avg: 15,
      cs_304_count: 3,
      cs_304_sum: 30,
      satisfaction_score_count_gt_eleven: 2,
      satisfaction_score_sum: 43,
      satisfaction_score_sum_with_default: 0
    })
  })

  it("gives the default value, or null, or a zero count without answers", () => {
    expect(computeDerivedValues(AGGREGATIONS, [])).toEqual({
      cs_304_avg: null,
      cs_304_count: 0,
      cs_304_sum: null,
      satisfaction_score_count_gt_eleven: 0,
      satisfaction_score_sum: 0,
      satisfaction_score_sum_with_default: 0
    })
  })

  it.each([
    ["eq", "yes", 2],
    ["ne", "yes", 2],
    ["in", ["yes", "no"], 3],
    ["exists", undefined, 3],
    ["gte", 2, 2],
    ["lt", 2, 1],
    ["lte", 2, 2]
  ] as const)("where %s %j keeps %i submissions", (operator, value, count) => {
    const answers = [
      { q: "yes", n: "1" },
      { q: "yes", n: "2" },
      { q: "no", n: "3" },
      { q: " ", n: "x" }
    ]
    const where = [
      { questionName: operator === "gte" || operator === "lt" || operator === "lte" ? "n" : "q", operator, ...(value === undefined ? {} : { value }) }
    ]
    expect(computeDerivedValues([{ id: "c", questionName: "n", aggregationType: "count", where }], answers)).toEqual({ c: count })
  })
})
