/**
 * A workflow exported from one account and imported into another (or back): the entity type and
 * forms are named, not identified (names are looked up in the importing account), versions are
 * matched by uuid (a known one is replaced, an unknown one created), and after an import the
 * workflow has at most one published version (the payload's, when it brings one). Every follow-up
 * and change is checked as when written through the service.
 * @module
 */
import { Effect, Schema } from "effect"
import { FormModel } from "../forms/form.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { FormId, WorkflowId } from "../shared/entity-ids.ts"
import { NotFound, ValidationError } from "../shared/errors.ts"
import { admitJson, Json, JsonObject } from "../shared/json.ts"
import { MAX_JSON_DEPTH } from "../shared/limits.ts"
import { findIn, type Repositories } from "../shared/repository.ts"
import { NonBlankText, Text } from "../shared/text.ts"
import { Uuid } from "../shared/ids.ts"
import type { Actor } from "../tenancy/actor.ts"
import { EntityTypeModel } from "./entity.ts"
import {
  type Workflow,
  WorkflowChangeModel,
  WorkflowFollowupModel,
  WorkflowModel,
  type WorkflowVersion,
  WorkflowVersionModel,
  WorkflowVersionStatus
} from "./workflow.ts"
import { checkVersionName, WORKFLOW_AUDIT_SOURCE } from "./workflow-rules.ts"
import { changesOf, followUpsOf, referenceOf, versionsOfWorkflow } from "./workflow-store.ts"
import type { makeStepOps } from "./workflow-steps.ts"
import type { makeVersionOps } from "./workflow-versions.ts"
import { audit } from "../kernel/audit.ts"

/** An exported workflow: names instead of ids, versions with their follow-ups and changes. */
export const WorkflowExport = Schema.Struct({
  /** The workflow's uuid. */
  uuid: Uuid,
  /** The entity type's name. */
  entityType: NonBlankText,
  versions: Schema.Array(
    Schema.Struct({
      uuid: Uuid,
      name: Text,
      status: WorkflowVersionStatus,
      autoFirstStep: Schema.Boolean,
      followUps: Schema.Array(
        Schema.Struct({
          order: Schema.Number,
          condition: Json,
          /** The names of the forms offered. */
          forms: Schema.Array(NonBlankText)
        })
      ),
      changes: Schema.Array(
        Schema.Struct({
          /** The name of the follow-up form. */
          form: NonBlankText,
          mapping: JsonObject
        })
      )
    })
  )
})
export type WorkflowExport = typeof WorkflowExport.Type

/** The levels of an export above a follow-up's condition (the payload, its versions, a version, its follow-ups, a follow-up). */
const PAYLOAD_LEVELS = 5

/** What an import did. */
export interface WorkflowImportResult {
  readonly workflow: Workflow
  /** The versions of the payload, created or replaced, in its order. */
  readonly versions: ReadonlyArray<WorkflowVersion>
  readonly created: number
  readonly replaced: number
}

/** The export and import operations of the `Workflows` service. */
export const makeTransferOps = (repos: Repositories, versions: ReturnType<typeof makeVersionOps>, steps: ReturnType<typeof makeStepOps>) => {
  const exportWorkflow = (actor: Actor, workflowId: WorkflowId) =>
    Effect.gen(function* () {
      const workflow = yield* repos.get(WorkflowModel, actor.accountId, workflowId)
      if (workflow.deletedAt !== undefined) return yield* NotFound.of(WorkflowModel.name, workflowId)
      const type = yield* repos.get(EntityTypeModel, actor.accountId, workflow.entityTypeId)
      const all = yield* versionsOfWorkflow(repos, actor.accountId, workflow.id)
      const followUps = yield* followUpsOf(
        repos,
        actor.accountId,
        all.map((version) => version.id)
      )
      const changes = yield* changesOf(
        repos,
        actor.accountId,
        all.map((version) => version.id)
      )
      const formIds = [...new Set([...followUps.flatMap((followUp) => followUp.formIds), ...changes.map((change) => change.formId)])]
      const forms = yield* repos.getMany(FormModel, actor.accountId, formIds)
      const nameOf = new Map(forms.map((form) => [form.id as string, form.name]))
      const payload: WorkflowExport = {
        uuid: workflow.uuid,
        entityType: type.name,
        versions: all.map((version) => ({
          uuid: version.uuid,
          name: version.name,
          status: version.status,
          autoFirstStep: version.autoFirstStep,
          followUps: followUps
            .filter((followUp) => followUp.workflowVersionId === version.id)
            .map((followUp) => ({ order: followUp.order, condition: followUp.condition, forms: followUp.formIds.map((id) => nameOf.get(id) ?? id) })),
          changes: changes
            .filter((change) => change.workflowVersionId === version.id)
            .map((change) => ({ form: nameOf.get(change.formId) ?? change.formId, mapping: change.mapping }))
        }))
      }
      return payload
    })

  /** The live forms of the account by name; a name several live forms share is ambiguous. */
  const formsByName = (actor: Actor, names: ReadonlyArray<string>) =>
    Effect.map(
      findIn((page) => repos.list(FormModel, actor.accountId, page), "name", names, { where: [{ field: "deletedAt", op: "isNull" }] }).pipe(
        orDieOnInvalidListing(FormModel)
      ),
      (forms) => {
        const out = new Map<string, Array<FormId>>()
        for (const form of forms) out.set(form.name, [...(out.get(form.name) ?? []), form.id])
        return out
      }
    )

  const importWorkflow = (actor: Actor, input: unknown) =>
    Effect.gen(function* () {
      // Bounded before anything recursive reads it: a condition nests up to MAX_JSON_DEPTH below the payload's own levels.
      const admitted = admitJson(input, [], MAX_JSON_DEPTH + PAYLOAD_LEVELS)
      if (admitted instanceof ValidationError) return yield* admitted
      const payload = yield* Schema.decodeUnknownEffect(WorkflowExport)(admitted).pipe(Effect.mapError((error) => ValidationError.fromSchemaError(error)))
      const published = payload.versions.filter((version) => version.status === "PUBLISHED")
      if (published.length > 1) return yield* ValidationError.at(["versions"], "an import brings at most one PUBLISHED version")
      for (const [index, version] of payload.versions.entries()) {
        const problem = checkVersionName(version.name)
        if (problem !== undefined) return yield* ValidationError.at(["versions", index, "name"], problem.issues[0]?.message ?? "")
      }
      const names = [...new Set(payload.versions.flatMap((version) => [...version.followUps.flatMap((f) => f.forms), ...version.changes.map((c) => c.form)]))]
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const types = yield* repos
            .list(EntityTypeModel, actor.accountId, { where: [{ field: "name", op: "eq", value: payload.entityType }], limit: 1 })
            .pipe(orDieOnInvalidListing(EntityTypeModel))
          const type = types.items[0]
          if (type === undefined) return yield* ValidationError.at(["entityType"], `no entity type named ${JSON.stringify(payload.entityType)} in the account`)
          const byName = yield* formsByName(actor, names)
          const formOf = (name: string, path: ReadonlyArray<string | number>) => {
            const ids = byName.get(name) ?? []
            const [id] = ids
            if (id === undefined) return Effect.fail(ValidationError.at(path, `no form named ${JSON.stringify(name)} in the account`))
            if (ids.length > 1) return Effect.fail(ValidationError.at(path, `several forms are named ${JSON.stringify(name)} in the account`))
            return Effect.succeed(id)
          }
          const workflow = yield* versions.workflowFor(actor, type.id, payload.uuid)
          const existing = new Map(
            (yield* findIn(
              (page) => repos.list(WorkflowVersionModel, actor.accountId, page),
              "uuid",
              payload.versions.map((version) => version.uuid)
            ).pipe(orDieOnInvalidListing(WorkflowVersionModel))).map((version) => [version.uuid, version])
          )
          const out: Array<WorkflowVersion> = []
          let created = 0
          let replaced = 0
          for (const [index, item] of payload.versions.entries()) {
            const at = ["versions", index]
            let version = existing.get(item.uuid)
            if (version !== undefined && version.workflowId !== workflow.id) {
              return yield* ValidationError.at([...at, "uuid"], `version ${item.uuid} belongs to another workflow of the account`)
            }
            if (version === undefined) {
              version = yield* versions.insertVersion(actor, workflow.id, type.referenceFormId, {
                name: item.name,
                autoFirstStep: item.autoFirstStep,
                uuid: item.uuid
              })
              created += 1
            } else {
              // Replaced whole: its steps go, the payload's come (a live copy of a deleted one is restored).
              for (const followUp of yield* followUpsOf(repos, actor.accountId, [version.id])) {
                yield* repos.remove(WorkflowFollowupModel, actor.accountId, followUp.id)
                yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowFollowupModel, [{ id: followUp.id, before: followUp }])
              }
              for (const change of yield* changesOf(repos, actor.accountId, [version.id])) {
                yield* repos.remove(WorkflowChangeModel, actor.accountId, change.id)
                yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowChangeModel, [{ id: change.id, before: change }])
              }
              const after = yield* repos.update(WorkflowVersionModel, actor.accountId, version.id, {
                name: item.name,
                autoFirstStep: item.autoFirstStep,
                deletedAt: null,
                ...(item.status === "PUBLISHED" ? {} : { status: item.status })
              })
              yield* audit(repos, actor, WORKFLOW_AUDIT_SOURCE, WorkflowVersionModel, [{ id: version.id, before: version, after }])
              version = after
              replaced += 1
            }
            const reference = yield* referenceOf(repos, actor.accountId, version)
            for (const [position, followUp] of item.followUps.entries()) {
              const formIds: Array<FormId> = []
              for (const [n, name] of followUp.forms.entries()) formIds.push(yield* formOf(name, [...at, "followUps", position, "forms", n]))
              yield* steps.insertFollowUp(actor, version.id, reference, { order: followUp.order, condition: followUp.condition, formIds }, [
                ...at,
                "followUps",
                position
              ])
            }
            for (const [position, change] of item.changes.entries()) {
              const formId = yield* formOf(change.form, [...at, "changes", position, "form"])
              yield* steps.insertChange(actor, version.id, reference, { formId, mapping: change.mapping as Readonly<Record<string, string>> }, [
                ...at,
                "changes",
                position
              ])
            }
            // The published one last: publishing unpublishes the workflow's other published version.
            if (item.status === "PUBLISHED") version = yield* versions.setStatus(actor, version, "PUBLISHED")
            else if (version.status !== item.status) version = yield* versions.setStatus(actor, version, item.status)
            out.push(version)
          }
          return { workflow, versions: out, created, replaced } satisfies WorkflowImportResult
        })
      )
    })

  return { exportWorkflow, importWorkflow }
}
