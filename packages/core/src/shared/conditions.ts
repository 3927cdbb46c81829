/**
 * A listing's conditions and a cursor's keyset position checked against the model's columns
 * before any store sees them, so that every store is asked only what each answers the same way:
 * - an operator outside {@link OPERATORS}, a value whose type is not the column's (a string for an
 *   integer column, a number for a derived text key), a text test (`startsWith`, `contains`,
 *   `startsWithAny`) on a column that is not text, and text no store compares exactly (U+0000, a
 *   lone surrogate) are `ValidationError`s at `["where", field]`;
 * - a cursor position whose values are not of the listing's order columns (what a tampered
 *   cursor gives) is a `ValidationError` at `["cursor"]`.
 * @module
 */
import { ValidationError } from "./errors.ts"
import { type AnyModel, kindProblem } from "./model.ts"
import { type Condition, OPERATORS, type Operator, type OrderBy, type Scalar } from "./query.ts"
import { codecOf } from "./record-codec.ts"

/** A condition on a field (domain values; dates as `Date`) or on a derived column (stored values). */
export type FieldCondition =
  | { readonly field: string; readonly op: "eq" | "ne" | "lt" | "lte" | "gt" | "gte"; readonly value: unknown }
  | { readonly field: string; readonly op: "in" | "notIn"; readonly value: ReadonlyArray<unknown> }
  | { readonly field: string; readonly op: "isNull" | "isNotNull" }
  | { readonly field: string; readonly op: "startsWith" | "contains"; readonly value: string }
  | { readonly field: string; readonly op: "startsWithAny"; readonly value: ReadonlyArray<string> }

const isOperator = (op: unknown): op is Operator => typeof op === "string" && (OPERATORS as ReadonlyArray<string>).includes(op)

/** The text operand of a text test: `startsWith`, `contains`, one prefix of `startsWithAny`. */
const textOperand = (at: ReadonlyArray<string>, value: unknown): ValidationError | string => {
  const problem = kindProblem("text", value)
  return problem === undefined ? (value as string) : ValidationError.at(at, problem)
}

/** One condition checked against the model's columns and put in stored form. */
const compileCondition = (model: AnyModel, condition: unknown): ValidationError | Condition => {
  if (typeof condition !== "object" || condition === null || !("field" in condition) || typeof condition.field !== "string") {
    return ValidationError.at(["where"], "expected conditions { field, op, value }")
  }
  const { field } = condition
  const at = ["where", field]
  const column = model.columns.find((c) => c.name === field)
  if (column === undefined) return ValidationError.at(at, `${model.name} has no field ${field}`)
  const op = "op" in condition ? condition.op : undefined
  if (!isOperator(op)) return ValidationError.at(at, `unknown operator ${JSON.stringify(op) ?? "undefined"}: expected one of ${OPERATORS.join(", ")}`)
  const value = "value" in condition ? condition.value : undefined
  const codec = codecOf(model)
  switch (op) {
    case "isNull":
    case "isNotNull":
      return { field, op }
    case "startsWith":
    case "contains":
    case "startsWithAny": {
      if (column.kind !== "text") return ValidationError.at(at, `${op} tests text: ${field} is not a text field`)
      if (op !== "startsWithAny") {
        const text = textOperand(at, value)
        return text instanceof ValidationError ? text : { field, op, value: text }
      }
      if (!Array.isArray(value)) return ValidationError.at(at, "startsWithAny expects a list of prefixes")
      const prefixes: Array<string> = []
      for (const prefix of value) {
        const text = textOperand(at, prefix)
        if (text instanceof ValidationError) return text
        prefixes.push(text)
      }
      return { field, op, value: prefixes }
    }
    case "in":
    case "notIn": {
      if (!Array.isArray(value)) return ValidationError.at(at, `${op} expects a list of values`)
      const values: Array<Scalar> = []
      for (const item of value) {
        const encoded = codec.encodeValue(field, item)
        if (encoded instanceof ValidationError) return encoded
        values.push(encoded)
      }
      return { field, op, value: values }
    }
    default: {
      const encoded = codec.encodeValue(field, value)
      return encoded instanceof ValidationError ? encoded : { field, op, value: encoded }
    }
  }
}

/** Checks a caller's conditions against the model's columns and converts them to stored form (see the module documentation). */
export const compileWhere = (model: AnyModel, where: ReadonlyArray<FieldCondition>): ValidationError | ReadonlyArray<Condition> => {
  if (!Array.isArray(where)) return ValidationError.at(["where"], "expected a list of conditions")
  const out: Array<Condition> = []
  for (const condition of where) {
    const compiled = compileCondition(model, condition)
    if (compiled instanceof ValidationError) return compiled
    out.push(compiled)
  }
  return out
}

/**
 * Whether a cursor's keyset position fits the listing's order: one value per order column, each
 * `null` only where the column may be absent, else a value every store compares exactly in it
 * (see `kindProblem`). What a cursor made by the SDK always holds; anything else was tampered with.
 */
export const fitsOrder = (model: AnyModel, orderBy: ReadonlyArray<OrderBy>, after: ReadonlyArray<Scalar | null>): boolean =>
  after.length === orderBy.length &&
  orderBy.every((order, index) => {
    const column = model.columns.find((c) => c.name === order.field)
    const value = after[index]
    if (column === undefined) return false
    return value === null ? column.nullable : kindProblem(column.kind, value) === undefined
  })
