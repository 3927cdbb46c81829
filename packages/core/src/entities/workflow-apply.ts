/**
 * Applying a workflow's changes to an entity: when a follow-up submission of an entity arrives and
 * the published version of the entity type's workflow has a change for the submission's form, the
 * mapped answers are copied into the entity's attributes (its reference-form submission's `json`),
 * audited. IASO's mobile app does this on the device; here ingestion calls
 * {@link applyWorkflowChanges} so every path that stores a submission applies it.
 * @module
 */
import { Effect } from "effect"
import { audit } from "../kernel/audit.ts"
import { Repos } from "../kernel/repos.ts"
import type { InstanceId } from "../shared/entity-ids.ts"
import { StorageError } from "../shared/errors.ts"
import type { JsonValue } from "../shared/json.ts"
import { type Instance, InstanceModel } from "../submissions/instance-model.ts"
import { type Actor, CurrentActor } from "../tenancy/actor.ts"
import type { Repositories } from "../shared/repository.ts"
import { EntityModel } from "./entity.ts"
import { WorkflowChangeModel } from "./workflow.ts"
import { publishedVersionOf } from "./workflow-evaluate.ts"
import { workflowOfType } from "./workflow-store.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"

/** The audit source of attributes changed by a workflow change. */
export const WORKFLOW_CHANGE_AUDIT_SOURCE = "WORKFLOW_CHANGE"

/** What {@link applyWorkflowChanges} wrote. */
export interface AppliedWorkflowChange {
  /** The entity's attributes submission that was changed. */
  readonly attributesId: InstanceId
  /** The reference-form answers written: `{ <target question>: <answer copied> }`. */
  readonly answers: { readonly [question: string]: JsonValue }
}

/**
 * Copies a follow-up submission's mapped answers into its entity's attributes, as the published
 * workflow version says. The contract, for the ingestion that calls it:
 *
 * - Call it **inside the transaction** that stores `instance`, after the submission is written
 *   (created or edited), with the submission as stored. It needs `Repos` and the `CurrentActor`
 *   (the audit entry names the actor's user) and writes nothing else than the attributes
 *   submission and its audit entry (`objectModel` `Instance`, source `WORKFLOW_CHANGE`, `before`
 *   and `after` the attributes submission).
 * - It does nothing (answers `undefined`) when the submission is deleted, names no entity or form,
 *   is the entity's attributes submission itself, when the entity is missing or deleted, has no
 *   live attributes submission, its type has no live workflow, the workflow no published version,
 *   or the version no change for the submission's form, and when copying changes no answer.
 * - Otherwise, for each `source: target` pair of the change's mapping whose source question the
 *   submission answered (a key of its `json`), the attributes' `json[target]` becomes that answer;
 *   other answers are kept, and an unanswered source leaves its target as it was.
 * - No permission is checked here: the caller stored the submission under its own rules, and the
 *   copy is what the workflow says that submission does. It fails only with `StorageError`.
 */
export const applyWorkflowChanges = (instance: Instance): Effect.Effect<AppliedWorkflowChange | undefined, StorageError, Repos | CurrentActor> =>
  Effect.gen(function* () {
    return yield* applyWorkflowChangesWith(yield* Repos, yield* CurrentActor, instance)
  })

/**
 * {@link applyWorkflowChanges} with the repositories and the actor given (for code that holds them,
 * as the services do): the same contract.
 */
export const applyWorkflowChangesWith = (
  repos: Repositories,
  actor: Actor,
  instance: Instance
): Effect.Effect<AppliedWorkflowChange | undefined, StorageError> =>
  Effect.gen(function* () {
    if (instance.deleted || instance.entityId === undefined || instance.formId === undefined) return undefined
    const accountId = instance.accountId
    const [entity] = yield* repos.getMany(EntityModel, accountId, [instance.entityId])
    if (entity === undefined || entity.deletedAt !== undefined || entity.attributesId === undefined || entity.attributesId === instance.id) return undefined
    const workflow = yield* workflowOfType(repos, accountId, entity.entityTypeId)
    if (workflow === undefined || workflow.deletedAt !== undefined) return undefined
    const version = yield* publishedVersionOf(repos, accountId, workflow.id)
    if (version === undefined) return undefined
    const changes = yield* repos
      .list(WorkflowChangeModel, accountId, {
        where: [
          { field: "workflowVersionId", op: "eq", value: version.id },
          { field: "formId", op: "eq", value: instance.formId }
        ],
        limit: 1
      })
      .pipe(orDieOnInvalidListing(WorkflowChangeModel))
    const change = changes.items[0]
    if (change === undefined) return undefined
    const [attributes] = yield* repos.getMany(InstanceModel, accountId, [entity.attributesId])
    if (attributes === undefined || attributes.deleted) return undefined
    const source = instance.json ?? {}
    const current = attributes.json ?? {}
    const answers: Record<string, JsonValue> = {}
    for (const [from, to] of Object.entries(change.mapping)) {
      const answer = source[from]
      if (typeof to !== "string" || answer === undefined) continue
      if (JSON.stringify(current[to]) !== JSON.stringify(answer)) answers[to] = answer
    }
    if (Object.keys(answers).length === 0) return undefined
    const after = yield* repos
      .update(InstanceModel, accountId, attributes.id, { json: { ...current, ...answers } })
      .pipe(
        Effect.catch((error) =>
          error._tag === "StorageError"
            ? Effect.fail(error)
            : Effect.fail(new StorageError({ reason: "serialization", retryable: true, message: `attributes ${attributes.id} not updated: ${error.message}` }))
        )
      )
    yield* audit(repos, actor, WORKFLOW_CHANGE_AUDIT_SOURCE, InstanceModel, [{ id: attributes.id, before: attributes, after }])
    return { attributesId: attributes.id, answers } satisfies AppliedWorkflowChange
  })
