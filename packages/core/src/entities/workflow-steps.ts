/**
 * A draft version's steps: follow-ups (an order, a JSONLogic condition over the reference form's
 * questions, the forms offered) and changes (which answers of a follow-up form are copied into the
 * reference form's questions), each checked with IASO's rules and messages when written, on every
 * path (the service's calls, copies and imports). Every edit, deletions included, needs a DRAFT
 * version (IASO deletes follow-ups and replaces changes of any version: fixed here).
 * @module
 */
import { Effect } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { Repositories } from "../shared/repository.ts"
import type { FormId, WorkflowChangeId, WorkflowFollowupId, WorkflowVersionId } from "../shared/entity-ids.ts"
import { NotFound, ValidationError } from "../shared/errors.ts"
import type { JsonValue } from "../shared/json.ts"
import type { Actor } from "../tenancy/actor.ts"
import { type WorkflowChange, WorkflowChangeModel, WorkflowFollowupFormModel, WorkflowFollowupModel } from "./workflow.ts"
import { checkCondition, checkMapping, type FieldOfForm, fieldsOfForm, WORKFLOW_AUDIT_SOURCE, WorkflowMessages } from "./workflow-rules.ts"
import { draftVersion, type FollowUp, liveForms, referenceOf } from "./workflow-store.ts"

/** A new follow-up. */
export interface FollowUpInput {
  /** Evaluation order, from 0. */
  readonly order: number
  /** A JSONLogic rule over the reference form's questions, or `true` / `"true"` (no condition). */
  readonly condition: JsonValue
  /** The forms offered when the condition holds (at least one, live, of the account). */
  readonly formIds: ReadonlyArray<FormId>
}

/** One item of a bulk follow-up update: the id and at least one other field. */
export interface FollowUpUpdate {
  readonly id: WorkflowFollowupId
  readonly order?: number
  readonly condition?: JsonValue
  readonly formIds?: ReadonlyArray<FormId>
}

/** A version's reference form and its questions. */
type Reference = { readonly formId: FormId | undefined; readonly fields: ReadonlyMap<string, FieldOfForm> }

/** A new change, or a change's replacement. */
export interface ChangeInput {
  /** The follow-up form whose answers are copied (not the reference form; one change per version and form). */
  readonly formId: FormId
  /** `{ <question of formId>: <question of the reference form> }`. */
  readonly mapping: Readonly<Record<string, string>>
}

/** `order` is a whole number from 0 (IASO's message otherwise). */
const checkOrder = (order: unknown, path: ReadonlyArray<string | number>): ValidationError | undefined =>
  typeof order !== "number" || !Number.isInteger(order) || order < 0 || order > 2147483647
    ? ValidationError.at(path, WorkflowMessages.orderNotPositive)
    : undefined

/** Prefixes every issue's path of `error` with `prefix`. */
const under = (prefix: ReadonlyArray<string | number>, error: ValidationError): ValidationError =>
  prefix.length === 0
    ? error
    : new ValidationError({
        message: error.issues.map((issue) => `${issue.message}\n  at ${JSON.stringify([...prefix, ...issue.path])}`).join("\n"),
        issues: error.issues.map((issue) => ({ path: [...prefix, ...issue.path], message: issue.message }))
      })

/**
 * Checks a follow-up against a version's reference form: order, condition, forms (each live in the
 * account). Problems are at `prefix` followed by the field.
 */
export const checkFollowUp = (
  repos: Repositories,
  accountId: string,
  referenceFields: ReadonlyMap<string, FieldOfForm>,
  input: Partial<FollowUpInput>,
  prefix: ReadonlyArray<string | number> = [],
  formMessage: (id: string) => string = WorkflowMessages.formDoesNotExist
) =>
  Effect.gen(function* () {
    if (input.order !== undefined) {
      const problem = checkOrder(input.order, [...prefix, "order"])
      if (problem !== undefined) return yield* problem
    }
    if (input.condition !== undefined) {
      const problem = checkCondition(input.condition, referenceFields)
      if (problem !== undefined) return yield* under(prefix, problem)
    }
    if (input.formIds !== undefined) {
      if (!Array.isArray(input.formIds) || input.formIds.length === 0) return yield* ValidationError.at([...prefix, "formIds"], WorkflowMessages.emptyFormIds)
      yield* liveForms(repos, accountId, input.formIds, [...prefix, "formIds"], formMessage)
    }
  })

/**
 * Checks a change of a version: its form (live, not the reference form, no other change of the
 * version for it) and its mapping ({@link checkMapping}). Answers the mapping as text. Problems are
 * at `prefix` followed by the field.
 */
export const checkChange = (
  repos: Repositories,
  accountId: string,
  reference: Reference,
  input: ChangeInput,
  others: ReadonlyArray<WorkflowChange>,
  prefix: ReadonlyArray<string | number> = []
) =>
  Effect.gen(function* () {
    const [form] = yield* liveForms(repos, accountId, [input.formId], [...prefix, "formId"])
    if (input.formId === reference.formId) return yield* ValidationError.at([...prefix, "formId"], WorkflowMessages.sameForm)
    if (others.some((change) => change.formId === input.formId)) {
      return yield* ValidationError.at([...prefix, "formId"], WorkflowMessages.changeExists(input.formId))
    }
    const mapping = checkMapping(input.mapping, fieldsOfForm(form?.possibleFields), reference.fields)
    if (mapping instanceof ValidationError) return yield* under(prefix, mapping)
    return mapping
  })

/** The follow-up and change operations of the `Workflows` service. */
export const makeStepOps = (repos: Repositories) => {
  /** Inserts a follow-up's form links. */
  const linkForms = (actor: Actor, followUpId: string, formIds: ReadonlyArray<FormId>) =>
    formIds.length === 0
      ? Effect.void
      : Effect.asVoid(
          repos.insertMany(
            WorkflowFollowupFormModel,
            actor.accountId,
            [...new Set(formIds)].map((formId) => ({ workflowFollowupId: followUpId, formId })),
            { atomic: true }
          )
        )

  /** Removes a follow-up's form links. */
  const unlinkForms = (actor: Actor, followUpId: string) =>
    Effect.gen(function* () {
      const links = yield* repos
        .list(WorkflowFollowupFormModel, actor.accountId, { where: [{ field: "workflowFollowupId", op: "eq", value: followUpId }], limit: 10_000 })
        .pipe(orDieOnInvalidListing(WorkflowFollowupFormModel))
      for (const link of links.items) yield* repos.remove(WorkflowFollowupFormModel, actor.accountId, link.id)
    })

  /** A follow-up with its forms, read back. */
  const followUp = (actor: Actor, versionId: string, id: string) =>
    // This one only (reading the version's every follow-up made an import of n follow-ups quadratic).
    Effect.gen(function* () {
      const [record] = yield* repos.getMany(WorkflowFollowupModel, actor.accountId, [id])
      if (record === undefined || record.workflowVersionId !== versionId) return yield* NotFound.of(WorkflowFollowupModel.name, id)
      const links = yield* repos
        .list(WorkflowFollowupFormModel, actor.accountId, {
          where: [{ field: "workflowFollowupId", op: "eq", value: id }],
          orderBy: [{ field: "createdAt" }],
          limit: 10_000
        })
        .pipe(orDieOnInvalidListing(WorkflowFollowupFormModel))
      return { ...record, formIds: links.items.map((link) => link.formId) }
    })

  /**
   * Writes a new follow-up of `version` (checked against `reference`), with its forms, audited:
   * inside a transaction, the version's state checked by the caller (a draft, or an import).
   */
  const insertFollowUp = (
    actor: Actor,
    versionId: WorkflowVersionId,
    reference: Reference,
    input: FollowUpInput,
    prefix: ReadonlyArray<string | number> = []
  ) =>
    Effect.gen(function* () {
      yield* checkFollowUp(repos, actor.accountId, reference.fields, input, prefix)
      const record = yield* repos.insert(WorkflowFollowupModel, actor.accountId, {
        order: input.order,
        condition: input.condition,
        workflowVersionId: versionId
      })
      yield* linkForms(actor, record.id, input.formIds)
      yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowFollowupModel, [{ id: record.id, after: record }])
      return yield* followUp(actor, versionId, record.id)
    })

  const addFollowUp = (actor: Actor, versionId: WorkflowVersionId, input: FollowUpInput) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const version = yield* draftVersion(repos, actor.accountId, versionId)
        return yield* insertFollowUp(actor, versionId, yield* referenceOf(repos, actor.accountId, version), input)
      })
    )

  const updateFollowUps = (actor: Actor, updates: ReadonlyArray<FollowUpUpdate>) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const out: Array<FollowUp> = []
        for (const [index, update] of updates.entries()) {
          if (typeof update !== "object" || update === null || typeof update.id !== "string")
            return yield* ValidationError.at([index, "id"], WorkflowMessages.idRequired)
          if (update.order === undefined && update.condition === undefined && update.formIds === undefined) {
            return yield* ValidationError.at([index], WorkflowMessages.noDataToUpdate)
          }
          const before = yield* repos.get(WorkflowFollowupModel, actor.accountId, update.id)
          const version = yield* draftVersion(repos, actor.accountId, before.workflowVersionId)
          const reference = yield* referenceOf(repos, actor.accountId, version)
          yield* checkFollowUp(repos, actor.accountId, reference.fields, update, [index], WorkflowMessages.formNotAccessible)
          const patch: Record<string, unknown> = {}
          if (update.order !== undefined) patch["order"] = update.order
          if (update.condition !== undefined) patch["condition"] = update.condition
          const after = Object.keys(patch).length === 0 ? before : yield* repos.update(WorkflowFollowupModel, actor.accountId, update.id, patch)
          if (update.formIds !== undefined) {
            yield* unlinkForms(actor, update.id)
            yield* linkForms(actor, update.id, update.formIds)
          }
          yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowFollowupModel, [{ id: update.id, before, after }])
          out.push(yield* followUp(actor, version.id, update.id))
        }
        return out
      })
    )

  const removeFollowUp = (actor: Actor, id: WorkflowFollowupId) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const before = yield* repos.get(WorkflowFollowupModel, actor.accountId, id)
        yield* draftVersion(repos, actor.accountId, before.workflowVersionId)
        yield* repos.remove(WorkflowFollowupModel, actor.accountId, id)
        yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowFollowupModel, [{ id, before }])
      })
    )

  /**
   * Writes a new change of `version` (checked against `reference` and the version's other changes),
   * audited: inside a transaction, the version's state checked by the caller.
   */
  const insertChange = (actor: Actor, versionId: WorkflowVersionId, reference: Reference, input: ChangeInput, prefix: ReadonlyArray<string | number> = []) =>
    Effect.gen(function* () {
      const others = yield* repos
        .list(WorkflowChangeModel, actor.accountId, { where: [{ field: "workflowVersionId", op: "eq", value: versionId }], limit: 10_000 })
        .pipe(orDieOnInvalidListing(WorkflowChangeModel))
      const mapping = yield* checkChange(repos, actor.accountId, reference, input, others.items, prefix)
      const record = yield* repos.insert(WorkflowChangeModel, actor.accountId, { formId: input.formId, mapping, workflowVersionId: versionId })
      yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowChangeModel, [{ id: record.id, after: record }])
      return record
    })

  const addChange = (actor: Actor, versionId: WorkflowVersionId, input: ChangeInput) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const version = yield* draftVersion(repos, actor.accountId, versionId)
        return yield* insertChange(actor, versionId, yield* referenceOf(repos, actor.accountId, version), input)
      })
    )

  const updateChange = (actor: Actor, id: WorkflowChangeId, input: ChangeInput) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const before = yield* repos.get(WorkflowChangeModel, actor.accountId, id)
        const version = yield* draftVersion(repos, actor.accountId, before.workflowVersionId)
        const reference = yield* referenceOf(repos, actor.accountId, version)
        const others = yield* repos
          .list(WorkflowChangeModel, actor.accountId, {
            where: [
              { field: "workflowVersionId", op: "eq", value: version.id },
              { field: "id", op: "ne", value: id }
            ],
            limit: 10_000
          })
          .pipe(orDieOnInvalidListing(WorkflowChangeModel))
        const mapping = yield* checkChange(repos, actor.accountId, reference, input, others.items)
        const after = yield* repos.update(WorkflowChangeModel, actor.accountId, id, { formId: input.formId, mapping })
        yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowChangeModel, [{ id, before, after }])
        return after
      })
    )

  const removeChange = (actor: Actor, id: WorkflowChangeId) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const before = yield* repos.get(WorkflowChangeModel, actor.accountId, id)
        yield* draftVersion(repos, actor.accountId, before.workflowVersionId)
        yield* repos.remove(WorkflowChangeModel, actor.accountId, id)
        yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowChangeModel, [{ id, before }])
      })
    )

  return { insertFollowUp, insertChange, linkForms, addFollowUp, updateFollowUps, removeFollowUp, addChange, updateChange, removeChange }
}
