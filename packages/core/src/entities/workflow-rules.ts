/**
 * The rules of workflows that need no storage: IASO's messages, the version status machine, the
 * version name rules, the name of a copy, and the checks of a follow-up's condition and of a
 * change's mapping against the forms' possible fields. The `Workflows` service applies them on
 * every path that writes (its calls and imports).
 * @module
 */
import { ValidationError } from "../shared/errors.ts"
import { checkJsonLogic, isNoCondition, jsonLogicVariables } from "../shared/json-logic.ts"
import type { WorkflowVersionStatus } from "./workflow.ts"

/** The audit source of workflow changes. */
export const WORKFLOW_AUDIT_SOURCE = "WORKFLOW_API"

/** IASO's messages for the workflow rules (`<id>`s are the SDK's ids). */
export const WorkflowMessages = {
  transitionNotAllowed: (from: string, to: string) => `Transition from ${from} to ${to} is not allowed`,
  /** Sic: IASO writes no space before "is". */
  unknownStatus: (status: string) => `${status}is not recognized as proper status value`,
  notDraft: (versionId: string) => `WorkflowVersion ${versionId} is not in draft status`,
  noEntityTypeAccess: (entityTypeId: string) => `User doesn't have access to Entity Type : ${entityTypeId}`,
  nameTooShort: (name: string) => `name '${name}' is too short`,
  orderNotPositive: "order must be positive",
  formDoesNotExist: (formId: string) => `Form ${formId} does not exist`,
  formNotAccessible: (formId: string) => `form_id ${formId} is not accessible to the user`,
  idRequired: "id is required for bulk update",
  noDataToUpdate: "No data to update",
  emptyFormIds: "This list may not be empty.",
  sameForm: "Cannot create a WorkflowChange where form and reference form are the same",
  identicalValues: "Mapping cannot have two identical values",
  noSourceQuestion: (question: string) => `Question ${question} does not exist in source form`,
  noTargetQuestion: (question: string) => `Question ${question} does not exist in reference/target form`,
  differentTypes: (source: string, target: string) => `Question ${source} and ${target} do not have the same type`,
  changeExists: (formId: string) => `WorkflowChange for form ${formId} already exists !`,
  /** Not IASO's (its server never reads conditions): a condition reads a question the reference form lacks. */
  noConditionQuestion: (question: string) => `Question ${question} does not exist in reference form`
} as const

/** The transitions IASO allows: nothing returns to DRAFT. */
const TRANSITIONS: Readonly<Record<WorkflowVersionStatus, ReadonlyArray<WorkflowVersionStatus>>> = {
  DRAFT: ["UNPUBLISHED", "PUBLISHED"],
  UNPUBLISHED: ["PUBLISHED"],
  PUBLISHED: ["UNPUBLISHED"]
}

const STATUSES: ReadonlyArray<string> = ["DRAFT", "UNPUBLISHED", "PUBLISHED"]

/** Whether `value` is one of IASO's version statuses. */
export const isWorkflowVersionStatus = (value: string): value is WorkflowVersionStatus => STATUSES.includes(value)

/**
 * The status a version moves to, or IASO's refusal at `["status"]`: an unknown status, or a
 * transition the machine does not allow (`DRAFT -> UNPUBLISHED | PUBLISHED`,
 * `UNPUBLISHED <-> PUBLISHED`; staying in the same status is not a transition).
 */
export const transition = (from: WorkflowVersionStatus, to: string): WorkflowVersionStatus | ValidationError => {
  if (!isWorkflowVersionStatus(to)) return ValidationError.at(["status"], WorkflowMessages.unknownStatus(to))
  return TRANSITIONS[from].includes(to) ? to : ValidationError.at(["status"], WorkflowMessages.transitionNotAllowed(from, to))
}

/** IASO's default version name. */
export const DEFAULT_VERSION_NAME = "No Name"

/** The longest version name (IASO's `char(50)`). */
export const MAX_VERSION_NAME = 50

/** A version name is more than one character (IASO's rule) and at most 50. */
export const checkVersionName = (name: string): ValidationError | undefined => {
  if (name.length <= 1) return ValidationError.at(["name"], WorkflowMessages.nameTooShort(name))
  if (name.length > MAX_VERSION_NAME) return ValidationError.at(["name"], `name '${name}' is longer than ${MAX_VERSION_NAME} characters`)
  return undefined
}

/**
 * The name of a copy: `Copy of <name>`, cut to 50 characters with a final `…` when longer (IASO
 * names it `Copy of version <id>` then, which a 36-character id would push past 50).
 */
export const copyName = (name: string): string => {
  const full = `Copy of ${name}`
  return full.length <= MAX_VERSION_NAME ? full : `${full.slice(0, MAX_VERSION_NAME - 1)}…`
}

/** A question of a form's `possibleFields`: its name and type. */
export interface FieldOfForm {
  readonly name: string
  readonly type: string
}

/** The questions of a form's stored `possibleFields` (entries without a name are skipped). */
export const fieldsOfForm = (possibleFields: unknown): ReadonlyMap<string, FieldOfForm> => {
  const out = new Map<string, FieldOfForm>()
  if (!Array.isArray(possibleFields)) return out
  for (const field of possibleFields as ReadonlyArray<unknown>) {
    if (typeof field !== "object" || field === null) continue
    const { name, type } = field as { readonly name?: unknown; readonly type?: unknown }
    if (typeof name === "string") out.set(name, { name, type: typeof type === "string" ? type : "" })
  }
  return out
}

/**
 * Checks a follow-up's condition: `true` / `"true"` (no condition), or a JSONLogic rule
 * ({@link checkJsonLogic}) whose every variable is a question of the reference form. Problems are
 * at `["condition", ...]`.
 */
export const checkCondition = (condition: unknown, referenceFields: ReadonlyMap<string, FieldOfForm>): ValidationError | undefined => {
  if (isNoCondition(condition)) return undefined
  const problem = checkJsonLogic(condition, ["condition"])
  if (problem !== undefined) return problem
  const missing = jsonLogicVariables(condition).find((name) => !referenceFields.has(name))
  return missing === undefined ? undefined : ValidationError.at(["condition"], WorkflowMessages.noConditionQuestion(missing))
}

/**
 * Checks a change's mapping (`{ <question of the change's form>: <question of the reference form> }`)
 * with IASO's rules and messages: text values, no two identical targets, every source a question of
 * the source form, every target a question of the reference form, the same type on both sides
 * unless either is a `calculate`. Problems are at `["mapping", ...]`. Answers the mapping as text.
 */
export const checkMapping = (
  mapping: unknown,
  sourceFields: ReadonlyMap<string, FieldOfForm>,
  referenceFields: ReadonlyMap<string, FieldOfForm>
): Readonly<Record<string, string>> | ValidationError => {
  if (typeof mapping !== "object" || mapping === null || Array.isArray(mapping)) return ValidationError.at(["mapping"], "expected an object of question names")
  const entries = Object.entries(mapping as Readonly<Record<string, unknown>>)
  for (const [source, target] of entries) {
    if (typeof target !== "string") return ValidationError.at(["mapping", source], "expected a question name")
  }
  const pairs = entries as ReadonlyArray<readonly [string, string]>
  if (new Set(pairs.map(([, target]) => target)).size !== pairs.length) return ValidationError.at(["mapping"], WorkflowMessages.identicalValues)
  for (const [source, target] of pairs) {
    const from = sourceFields.get(source)
    if (from === undefined) return ValidationError.at(["mapping", source], WorkflowMessages.noSourceQuestion(source))
    const to = referenceFields.get(target)
    if (to === undefined) return ValidationError.at(["mapping", source], WorkflowMessages.noTargetQuestion(target))
    if (from.type !== to.type && from.type !== "calculate" && to.type !== "calculate") {
      return ValidationError.at(["mapping", source], WorkflowMessages.differentTypes(source, target))
    }
  }
  return Object.fromEntries(pairs)
}
