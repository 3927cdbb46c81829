/**
 * The evaluation of JSONLogic rules over json-logic-engine: {@link evaluateJsonLogic} and
 * {@link jsonLogicHolds}, each run bounded by {@link MAX_JSON_LOGIC_STEPS} (what a rule may be,
 * and how `"current_time"` and comparisons read, is told in `json-logic.ts`, which checks rules).
 * Exported by `@iaso/core/json-logic`; the services (entity listings, workflow follow-ups) load
 * it with a dynamic `import()` when they first evaluate a rule, so an app that never does leaves
 * json-logic-engine out of its starting code.
 * @module
 */
import { Result } from "effect"
import { defaultMethods, LogicEngine } from "json-logic-engine"
import { ValidationError } from "./errors.ts"
import { isPlainObject } from "./json.ts"
import {
  CURRENT_TIME,
  checkJsonLogic,
  isNoCondition,
  JSON_LOGIC_OPERATORS,
  type JsonLogicOptions,
  jsonLogicTruthy,
  MAX_JSON_LOGIC_STEPS
} from "./json-logic.ts"
import { MAX_JSON_DEPTH } from "./limits.ts"

const COMPARISONS: ReadonlySet<string> = new Set(["==", "===", "!=", "!==", ">", ">=", "<", "<="])

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

/**
 * Whether a rule holds for `data` ({@link evaluateJsonLogic}, then {@link jsonLogicTruthy}): the
 * test of a follow-up's condition or a filter. `true` and `"true"` always hold.
 */
export const jsonLogicHolds = (rule: unknown, data: unknown, options: JsonLogicOptions = {}): Result.Result<boolean, ValidationError> =>
  Result.map(evaluateJsonLogic(rule, data, options), jsonLogicTruthy)
