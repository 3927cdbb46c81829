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
 * @module
 */
import { defaultMethods, LogicEngine } from "json-logic-engine"
import { Result } from "effect"
import { ValidationError } from "./errors.ts"
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

/** Options of {@link evaluateJsonLogic}. */
export interface JsonLogicOptions {
  /** The evaluation time `"current_time"` stands for (default: now). */
  readonly now?: Date
}

const OPERATORS: ReadonlySet<string> = new Set(JSON_LOGIC_OPERATORS)
const COMPARISONS: ReadonlySet<string> = new Set(["==", "===", "!=", "!==", ">", ">=", "<", "<="])

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

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

const DATE = /^\d{4}-\d{2}-\d{2}$/
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

/** The value of `name` in `data` as `var` reads it (dotted names descend). */
const lookup = (data: unknown, name: unknown): unknown => {
  if (typeof name !== "string" && typeof name !== "number") return undefined
  let current: unknown = data
  for (const key of String(name).split(".")) {
    if (typeof current !== "object" || current === null) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** `"current_time"` formatted like the answer it is compared with. */
const currentTimeLike = (other: unknown, now: Date): string => {
  const iso = now.toISOString()
  if (typeof other === "string" && DATE.test(other)) return iso.slice(0, 10)
  if (typeof other === "string" && TIME.test(other)) return iso.slice(11, 19)
  return iso
}

/** The rule with each `"current_time"` operand of a comparison replaced (a copy; bounded: the rule is checked). */
const withCurrentTime = (rule: unknown, data: unknown, now: Date): unknown => {
  if (Array.isArray(rule)) return rule.map((item) => withCurrentTime(item, data, now))
  if (!isPlainObject(rule)) return rule
  const [operator] = Object.keys(rule)
  if (operator === undefined) return rule
  const argument = rule[operator]
  if (operator === "var") return rule
  if (COMPARISONS.has(operator) && Array.isArray(argument) && argument.includes(CURRENT_TIME)) {
    const variable = argument.find((item) => isPlainObject(item) && "var" in item) as Readonly<Record<string, unknown>> | undefined
    const varArgument = variable?.["var"]
    const other = variable === undefined ? undefined : lookup(data, Array.isArray(varArgument) ? varArgument[0] : varArgument)
    return { [operator]: argument.map((item) => (item === CURRENT_TIME ? currentTimeLike(other, now) : withCurrentTime(item, data, now))) }
  }
  return { [operator]: withCurrentTime(argument, data, now) }
}

/** JavaScript's comparisons, as json-logic-js makes them (never a failure). */
const loose = (compare: (a: never, b: never) => boolean) => (args: ReadonlyArray<unknown>) => {
  if (!Array.isArray(args) || args.length < 2) return false
  for (let i = 1; i < args.length; i++) if (!compare(args[i - 1] as never, args[i] as never)) return false
  return true
}

const methods: Record<string, unknown> = {}
for (const name of JSON_LOGIC_OPERATORS) methods[name] = (defaultMethods as Record<string, unknown>)[name]
Object.assign(methods, {
  // biome-ignore lint/suspicious/noDoubleEquals: JSONLogic's == is JavaScript's loose equality
  "==": loose((a, b) => a == b),
  "===": loose((a, b) => a === b),
  // biome-ignore lint/suspicious/noDoubleEquals: JSONLogic's != is JavaScript's loose inequality
  "!=": loose((a, b) => a != b),
  "!==": loose((a, b) => a !== b),
  "<": loose((a, b) => a < b),
  "<=": loose((a, b) => a <= b),
  ">": loose((a, b) => a > b),
  ">=": loose((a, b) => a >= b)
})

/**
 * The most work one evaluation may do: 10,000,000 steps, a step being one operation, plus one per
 * item of the arrays and per character of the strings it is given. A checked rule is small, but
 * the data's arrays multiply its cost: a `map` within a `map` of the same array is quadratic, a
 * `reduce` that merges or concatenates its accumulator quadratic in time and (doubling it) exponential
 * in memory. Past the limit the evaluation stops with a `ValidationError`. IASO's conditions over
 * an entity's answers (a few dozen operations, repeat groups of hundreds) take far fewer.
 */
export const MAX_JSON_LOGIC_STEPS = 10_000_000

/** Thrown by an operation once an evaluation has spent {@link MAX_JSON_LOGIC_STEPS}. */
class OverBudget extends Error {}

/** The steps left to the evaluation under way (evaluations are synchronous: one at a time). */
let stepsLeft = MAX_JSON_LOGIC_STEPS

const sizeOf = (value: unknown): number => (Array.isArray(value) ? value.length : typeof value === "string" ? value.length : 0)

/** An operation that spends one step, plus the size of its arguments (and of their items), before it runs. */
const metered = (method: (...args: Array<unknown>) => unknown) =>
  function (this: unknown, ...args: Array<unknown>): unknown {
    const input = args[0]
    let cost = 1 + sizeOf(input)
    if (Array.isArray(input)) for (const item of input) cost += sizeOf(item)
    stepsLeft -= cost
    if (stepsLeft < 0) throw new OverBudget()
    return method.apply(this, args)
  }

for (const [name, method] of Object.entries(methods)) {
  if (typeof method === "function") methods[name] = metered(method as (...args: Array<unknown>) => unknown)
  else if (typeof method === "object" && method !== null && typeof (method as { readonly method?: unknown }).method === "function") {
    const definition = method as { readonly method: (...args: Array<unknown>) => unknown }
    methods[name] = { ...definition, method: metered(definition.method) }
  }
}

/** One engine with the standard operators only; rules are never compiled to code. */
const engine = new LogicEngine(methods, { disableInline: true, disableInterpretedOptimization: true, maxDepth: MAX_JSON_DEPTH })

/**
 * Evaluates a JSONLogic rule against `data` (an entity's answers, say): the rule's value, or a
 * `ValidationError` when the rule is not one {@link checkJsonLogic} admits. `true` and `"true"`
 * evaluate to `true` whatever the data. `options.now` is the time `"current_time"` stands for.
 * An operation the data makes impossible (arithmetic on text, say) evaluates to `null`; an
 * evaluation past {@link MAX_JSON_LOGIC_STEPS} (the data's arrays multiplying the rule's work)
 * fails with a `ValidationError`.
 */
export const evaluateJsonLogic = (rule: unknown, data: unknown, options: JsonLogicOptions = {}): Result.Result<unknown, ValidationError> => {
  if (isNoCondition(rule)) return Result.succeed(true)
  const problem = checkJsonLogic(rule)
  if (problem !== undefined) return Result.fail(problem)
  const prepared = withCurrentTime(rule, data, options.now ?? new Date())
  stepsLeft = MAX_JSON_LOGIC_STEPS
  try {
    const value: unknown = engine.run(prepared, data ?? {})
    return Result.succeed(value === undefined ? null : value)
  } catch (error) {
    if (error instanceof OverBudget) {
      return Result.fail(
        ValidationError.at([], `the rule's evaluation takes more than ${MAX_JSON_LOGIC_STEPS} steps on this data (limit \`MAX_JSON_LOGIC_STEPS\`)`)
      )
    }
    return Result.succeed(null)
  }
}

/** Whether a value is true for JSONLogic: JavaScript's truthiness, except that an empty array is false. */
export const jsonLogicTruthy = (value: unknown): boolean => (Array.isArray(value) ? value.length > 0 : Boolean(value))

/**
 * Whether a rule holds for `data` ({@link evaluateJsonLogic}, then {@link jsonLogicTruthy}): the
 * test of a follow-up's condition or a filter. `true` and `"true"` always hold.
 */
export const jsonLogicHolds = (rule: unknown, data: unknown, options: JsonLogicOptions = {}): Result.Result<boolean, ValidationError> =>
  Result.map(evaluateJsonLogic(rule, data, options), jsonLogicTruthy)
