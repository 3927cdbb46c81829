/**
 * JSONLogic (jsonlogic.com), as IASO stores conditions and filters: a workflow follow-up's
 * condition over the reference form's answers, an entity filter over attributes. Rules come from
 * people the server does not control, so they are checked before anything evaluates them:
 *
 * - only the standard operators run ({@link JSON_LOGIC_OPERATORS}): an object whose key is
 *   anything else is an invalid rule, never a method looked up by name;
 * - a rule nests at most {@link MAX_JSON_DEPTH} levels and holds at most
 *   {@link MAX_JSON_LOGIC_NODES} values, measured without recursion;
 * - a `var` names its variable literally (a string or a number, with an optional default), so
 *   {@link jsonLogicVariables} lists every variable a rule reads.
 *
 * `true` and the string `"true"` mean "no condition" (IASO's web builder sends the first, its tests
 * the second). The string `"current_time"` as an operand of a comparison is the evaluation time
 * (IASO's query builder keeps it for date questions, the mobile app replaces it when it evaluates):
 * the UTC date (`YYYY-MM-DD`) when the other operand is a date answer, the time of day
 * (`HH:MM:SS`, UTC) when it is a time, else the ISO instant.
 *
 * Comparisons follow JavaScript's, as json-logic-js does: a missing answer, or text against a
 * number that is not one, compares false rather than failing. An operation the data makes
 * impossible evaluates to `null`.
 *
 * This module checks and reads rules without evaluating them: the evaluation ({@link MAX_JSON_LOGIC_STEPS}
 * bounds it) is in `json-logic-eval.ts` over json-logic-engine, exported by `@iaso/core/json-logic`
 * and loaded by the services with a dynamic `import()` when they first evaluate a rule.
 * @module
 */
import { ValidationError } from "./errors.ts"
import { isPlainObject } from "./json.ts"
import { lazyModule } from "./lazy-module.ts"
import { MAX_JSON_DEPTH } from "./limits.ts"

/**
 * The operators a rule may use: jsonlogic.com's standard set without `log` (which writes to the
 * console). Anything else is refused when the rule is checked.
 */
export const JSON_LOGIC_OPERATORS = [
  "var",
  "missing",
  "missing_some",
  "if",
  "?:",
  "==",
  "===",
  "!=",
  "!==",
  "!",
  "!!",
  "or",
  "and",
  ">",
  ">=",
  "<",
  "<=",
  "max",
  "min",
  "+",
  "-",
  "*",
  "/",
  "%",
  "map",
  "reduce",
  "filter",
  "all",
  "none",
  "some",
  "merge",
  "in",
  "cat",
  "substr"
] as const

/** A standard JSONLogic operator. */
export type JsonLogicOperator = (typeof JSON_LOGIC_OPERATORS)[number]

/**
 * The most values (objects, arrays, strings, numbers, booleans, nulls) one rule may hold: 10,000.
 * IASO's web query builder makes rules of a few dozen values (one comparison is 4: the operator's
 * object, its arguments array, the `var` and the constant); a rule past this is refused before it
 * is evaluated, so evaluating a checked rule costs at most this many steps per item of the arrays
 * the data gives to `map`, `filter`, `reduce`, `all`, `none` and `some`.
 */
export const MAX_JSON_LOGIC_NODES = 10_000

/** The operand standing for the evaluation time in a comparison. */
export const CURRENT_TIME = "current_time"

/** Options of an evaluation (`evaluateJsonLogic`, `jsonLogicHolds` of `@iaso/core/json-logic`). */
export interface JsonLogicOptions {
  /** The evaluation time `"current_time"` stands for (default: now). */
  readonly now?: Date
}

const OPERATORS: ReadonlySet<string> = new Set(JSON_LOGIC_OPERATORS)

/** Whether `rule` means "no condition": the literal `true` or the string `"true"`. */
export const isNoCondition = (rule: unknown): boolean => rule === true || rule === "true"

/** A place in a rule. */
type Path = ReadonlyArray<string | number>

/**
 * Checks a rule without evaluating it: `undefined` when it may be evaluated, else a
 * `ValidationError` at the place of its first problem (below `path`): nesting past
 * {@link MAX_JSON_DEPTH}, more than {@link MAX_JSON_LOGIC_NODES} values, a value JSON does not
 * have, an object that is not one standard operator, a `var` whose name is not literal. Walks the
 * rule with an explicit stack.
 */
export const checkJsonLogic = (rule: unknown, path: Path = []): ValidationError | undefined => {
  const stack: Array<{ readonly value: unknown; readonly path: Path; readonly depth: number }> = [{ value: rule, path: [], depth: 0 }]
  let nodes = 0
  while (stack.length > 0) {
    const current = stack.pop()
    if (current === undefined) break
    nodes += 1
    if (nodes > MAX_JSON_LOGIC_NODES) {
      return ValidationError.at(path, `a JSONLogic rule of more than ${MAX_JSON_LOGIC_NODES} values (limit \`MAX_JSON_LOGIC_NODES\`)`)
    }
    const { value } = current
    const at = [...path, ...current.path]
    if (value === null || typeof value === "boolean" || typeof value === "string") continue
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return ValidationError.at(at, "a JSONLogic number must be finite")
      continue
    }
    const isArray = Array.isArray(value)
    if (!isArray && !isPlainObject(value)) return ValidationError.at(at, "a JSONLogic rule holds JSON values only")
    const depth = current.depth + 1
    if (depth > MAX_JSON_DEPTH) return ValidationError.at(at, `a JSONLogic rule nested more than ${MAX_JSON_DEPTH} levels deep (limit \`MAX_JSON_DEPTH\`)`)
    if (isArray) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...current.path, i], depth })
      continue
    }
    const keys = Object.keys(value)
    const [operator] = keys
    if (keys.length !== 1 || operator === undefined) {
      return ValidationError.at(at, `a JSONLogic operation is an object of one key (its operator), got ${keys.length} keys`)
    }
    if (!OPERATORS.has(operator)) return ValidationError.at(at, `unknown JSONLogic operator ${JSON.stringify(operator)}`)
    const argument = value[operator]
    if (operator === "var") {
      const name = Array.isArray(argument) ? argument[0] : argument
      if (name !== undefined && name !== null && typeof name !== "string" && typeof name !== "number") {
        return ValidationError.at([...at, "var"], "a var names its variable literally (a string or a number)")
      }
      if (Array.isArray(argument) && argument.length > 2) return ValidationError.at([...at, "var"], "a var takes a name and at most a default value")
    }
    stack.push({ value: argument, path: [...current.path, operator], depth })
  }
  return undefined
}

/**
 * The names of the variables a rule reads (`{"var": name}`, in document order, each once;
 * `missing` and `missing_some` name variables too). Names are as written: `"a.b"` reads `b` inside
 * `a`. An empty name (the whole data) is left out. Call it on a checked rule ({@link checkJsonLogic}):
 * on anything else it lists what it finds, within the same bounds.
 */
export const jsonLogicVariables = (rule: unknown): ReadonlyArray<string> => {
  const out = new Set<string>()
  const stack: Array<{ readonly value: unknown; readonly depth: number }> = [{ value: rule, depth: 0 }]
  let nodes = 0
  const add = (name: unknown) => {
    if ((typeof name === "string" && name !== "") || typeof name === "number") out.add(String(name))
  }
  while (stack.length > 0 && nodes < MAX_JSON_LOGIC_NODES) {
    const current = stack.pop()
    if (current === undefined || current.depth > MAX_JSON_DEPTH) continue
    nodes += 1
    const { value } = current
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth: current.depth + 1 })
      continue
    }
    if (!isPlainObject(value)) continue
    const keys = Object.keys(value)
    if (keys.length !== 1) continue
    const operator = keys[0] ?? ""
    const argument = value[operator]
    if (operator === "var") {
      add(Array.isArray(argument) ? argument[0] : argument)
      continue
    }
    if (operator === "missing") {
      for (const name of Array.isArray(argument) ? argument : [argument]) add(name)
      continue
    }
    if (operator === "missing_some" && Array.isArray(argument) && Array.isArray(argument[1])) {
      for (const name of argument[1]) add(name)
      continue
    }
    stack.push({ value: argument, depth: current.depth + 1 })
  }
  return [...out]
}

/**
 * The most work one evaluation may do: 10,000,000 steps, a step being one operation, plus one per
 * item of the arrays and per character of the strings it is given. A checked rule is small, but
 * the data's arrays multiply its cost: a `map` within a `map` of the same array is quadratic, a
 * `reduce` that merges or concatenates its accumulator quadratic in time and (doubling it) exponential
 * in memory. Past the limit the evaluation stops with a `ValidationError`. IASO's conditions over
 * an entity's answers (a few dozen operations, repeat groups of hundreds) take far fewer.
 */
export const MAX_JSON_LOGIC_STEPS = 10_000_000

/** Whether a value is true for JSONLogic: JavaScript's truthiness, except that an empty array is false. */
export const jsonLogicTruthy = (value: unknown): boolean => (Array.isArray(value) ? value.length > 0 : Boolean(value))

/** The evaluation of rules (`json-logic-eval.ts`, over json-logic-engine), loaded on first use. */
export const jsonLogicEvaluation = lazyModule("the JSONLogic evaluation", () => import("./json-logic-eval.ts"))
