/**
 * `@iaso/core/json-logic`: the evaluation of JSONLogic rules, over json-logic-engine
 * ({@link evaluateJsonLogic}, {@link jsonLogicHolds}). Checking and reading a rule without
 * evaluating it (`checkJsonLogic`, `jsonLogicVariables`, `isNoCondition`, `jsonLogicTruthy`, the
 * limits) stays in `@iaso/core`.
 *
 * Kept apart from `@iaso/core` so that an app's bundle carries json-logic-engine only when it
 * imports it or evaluates a rule: the services that do (entity listings filtered by a rule, a
 * workflow's follow-ups) load it with a dynamic `import()` the first time.
 * @module @iaso/core/json-logic
 */
export { evaluateJsonLogic, jsonLogicHolds } from "./shared/json-logic-eval.ts"
