/**
 * DERIVED mappings: a form whose answers are computed from another form's submissions of one
 * period (and org unit). {@link computeDerivedValues} is the pure computation the export pipeline
 * calls once per group of submissions it has gathered.
 * @module
 */
import type { Aggregation, WhereClause } from "./mapping-json.ts"

/** A submission's answers, as stored (`Instance.json`): question name to value. */
export type SubmissionAnswers = Readonly<Record<string, unknown>>

/** A derived value by aggregation id; `null` when nothing was answered and no `defaultValue` is given. */
export type DerivedValues = Readonly<Record<string, number | null>>

/** An answer that counts: not missing, not `null`, not blank text. */
const answered = (value: unknown): boolean => value !== undefined && value !== null && !(typeof value === "string" && value.trim() === "")

/** An answer as a number (`"12"`, `" 1.5 "`, `3`), else `undefined`. */
const numeric = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  if (typeof value !== "string" || value.trim() === "") return undefined
  const parsed = Number(value.trim())
  return Number.isFinite(parsed) ? parsed : undefined
}

/** Equality of an answer and a clause value: numerically when both are numbers, else as text. */
const same = (answer: unknown, value: unknown): boolean => {
  const a = numeric(answer)
  const b = numeric(value)
  if (a !== undefined && b !== undefined) return a === b
  return answered(answer) && String(answer) === String(value)
}

/** Whether one condition holds for a submission's answers. */
const holds = (answers: SubmissionAnswers, clause: WhereClause): boolean => {
  const answer = answers[clause.questionName]
  switch (clause.operator) {
    case "exists":
      return answered(answer)
    case "eq":
      return same(answer, clause.value)
    case "ne":
      return !same(answer, clause.value)
    case "in":
      return Array.isArray(clause.value) && clause.value.some((value: unknown) => same(answer, value))
    default: {
      const a = numeric(answer)
      const b = numeric(clause.value)
      if (a === undefined || b === undefined) return false
      if (clause.operator === "gt") return a > b
      if (clause.operator === "gte") return a >= b
      if (clause.operator === "lt") return a < b
      return a <= b
    }
  }
}

/**
 * The values of a DERIVED mapping's aggregations over a group of submissions (one period, one
 * org unit: grouping is the caller's), keyed by aggregation id:
 * - the submissions considered are those where every `where` condition holds (`eq`/`ne`
 *   compare numerically when both sides are numbers, else as text; `gt`, `gte`, `lt`, `lte`
 *   need numbers on both sides; `in` takes a list; `exists` needs a non-blank answer);
 * - `count`: how many of them answer `questionName` (a non-blank answer);
 * - `sum` and `avg`: over their numeric answers to `questionName` (text that is not a number is
 *   left out, as a blank is);
 * - with no answer to compute from, `sum` and `avg` give `defaultValue`, or `null` without one;
 *   `count` gives `0` (or `defaultValue` when given).
 */
export const computeDerivedValues = (aggregations: ReadonlyArray<Aggregation>, submissions: ReadonlyArray<SubmissionAnswers>): DerivedValues => {
  const out: Record<string, number | null> = {}
  for (const aggregation of aggregations) {
    const kept = submissions.filter((answers) => (aggregation.where ?? []).every((clause) => holds(answers, clause)))
    const fallback = aggregation.defaultValue ?? null
    if (aggregation.aggregationType === "count") {
      const count = kept.filter((answers) => answered(answers[aggregation.questionName])).length
      out[aggregation.id] = count === 0 ? (aggregation.defaultValue ?? 0) : count
      continue
    }
    const values = kept.flatMap((answers) => {
      const value = numeric(answers[aggregation.questionName])
      return value === undefined ? [] : [value]
    })
    if (values.length === 0) {
      out[aggregation.id] = fallback
      continue
    }
    const sum = values.reduce((total, value) => total + value, 0)
    out[aggregation.id] = aggregation.aggregationType === "sum" ? sum : sum / values.length
  }
  return out
}
