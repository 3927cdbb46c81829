/**
 * Workflows: what the mobile app offers next for an entity of a given type. Each entity type has
 * at most one workflow; the workflow has versions (draft, then published or unpublished, at most
 * one published at a time); a version holds follow-ups (a JSONLogic condition over the reference
 * form's answers and the forms offered when it holds) and changes (which
 * answers of a follow-up form are copied into the reference form's questions).
 * @module
 */
import { Schema } from "effect"
import { EntityTypeId, FormId, WorkflowChangeId, WorkflowFollowupId, WorkflowId, WorkflowVersionId } from "../shared/entity-ids.ts"
import { Uuid } from "../shared/ids.ts"
import { Json, JsonObject } from "../shared/json.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"

const workflowAccess = { read: ["iaso_workflows"], write: ["iaso_workflows"] }

/** The service that owns every write of the workflow models (status machine, draft-only edits, validated conditions and mappings). */
const WORKFLOWS = "Workflows"

/** The Workflow model declaration. */
export const WorkflowModel = defineModel({
  name: "Workflow",
  id: WorkflowId,
  scope: "account",
  fields: {
    /** The entity type the workflow is for (one workflow per type). */
    entityTypeId: EntityTypeId,
    /** Export/import identity, unique in the account (IASO: unique across tenants). */
    uuid: Uuid,
    /** Soft delete. */
    deletedAt: Schema.optionalKey(Instant)
  },
  indexes: [
    { name: "workflow_entity_type_unique", fields: ["accountId", "entityTypeId"], unique: true },
    { name: "workflow_uuid_unique", fields: ["accountId", "uuid"], unique: true }
  ],
  references: [{ field: "entityTypeId", target: "EntityType", onDelete: "cascade" }],
  access: workflowAccess,
  managedBy: WORKFLOWS
})
/** A workflow record. */
export const Workflow = WorkflowModel.schema
export type Workflow = typeof Workflow.Type

/** Statuses of a workflow version, IASO's values. A new version is a DRAFT; nothing returns to DRAFT. */
export const WORKFLOW_VERSION_STATUSES = ["DRAFT", "UNPUBLISHED", "PUBLISHED"] as const
/** A workflow version status. */
export const WorkflowVersionStatus = Schema.Literals(WORKFLOW_VERSION_STATUSES)
export type WorkflowVersionStatus = typeof WorkflowVersionStatus.Type

/** The WorkflowVersion model declaration. */
export const WorkflowVersionModel = defineModel({
  name: "WorkflowVersion",
  id: WorkflowVersionId,
  scope: "account",
  fields: {
    workflowId: WorkflowId,
    /** Export/import identity, unique in the account (IASO: unique across tenants). */
    uuid: Uuid,
    /** IASO's default is "No Name"; its API refuses names of one character or less. */
    name: NonBlankTextMax(50),
    status: WorkflowVersionStatus,
    /** Mobile: open the first follow-up right after the reference form. */
    autoFirstStep: Schema.Boolean,
    /**
     * The workflow's entity type's reference form (IASO derives it; kept here as the diagram's
     * relation, written by the service that creates the version).
     */
    referenceFormId: Schema.optionalKey(FormId),
    /** Soft delete. */
    deletedAt: Schema.optionalKey(Instant)
  },
  indexes: [
    { name: "workflow_version_uuid_unique", fields: ["accountId", "uuid"], unique: true },
    // At most one live PUBLISHED version per workflow, enforced by storage: two concurrent publishes cannot both pass.
    {
      name: "workflow_version_one_published",
      fields: ["accountId", "workflowId"],
      unique: true,
      where: [
        { field: "status", op: "eq", value: "PUBLISHED" },
        { field: "deletedAt", op: "isNull" }
      ]
    },
    { name: "workflow_version_workflow_status", fields: ["workflowId", "status"] },
    { name: "workflow_version_reference_form", fields: ["referenceFormId"] }
  ],
  references: [
    { field: "workflowId", target: "Workflow", onDelete: "cascade" },
    { field: "referenceFormId", target: "Form", onDelete: "restrict" }
  ],
  access: workflowAccess,
  managedBy: WORKFLOWS
})
/** A workflow version record. */
export const WorkflowVersion = WorkflowVersionModel.schema
export type WorkflowVersion = typeof WorkflowVersion.Type

/** The WorkflowFollowup model declaration. */
export const WorkflowFollowupModel = defineModel({
  name: "WorkflowFollowup",
  id: WorkflowFollowupId,
  scope: "account",
  fields: {
    /** Evaluation order on the device (IASO's API refuses negative values). */
    order: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2147483647 })),
    /**
     * A JSONLogic expression over the reference form's questions (`{"var": "<question>"}`), or
     * `true` when the follow-up is unconditional. Checked when written (standard operators, variables
     * among the reference form's questions) and evaluated by `Workflows.nextFollowUps`.
     */
    condition: Json,
    workflowVersionId: WorkflowVersionId
  },
  indexes: [{ name: "workflow_followup_version_order", fields: ["workflowVersionId", "order"] }],
  references: [{ field: "workflowVersionId", target: "WorkflowVersion", onDelete: "cascade" }],
  access: workflowAccess,
  managedBy: WORKFLOWS
})
/** A workflow follow-up record. */
export const WorkflowFollowup = WorkflowFollowupModel.schema
export type WorkflowFollowup = typeof WorkflowFollowup.Type

/** Link record: a form offered by a follow-up (`WorkflowFollowup.forms`). */
export const WorkflowFollowupFormModel = defineLink({
  name: "WorkflowFollowupForm",
  left: { field: "workflowFollowupId", target: "WorkflowFollowup", id: WorkflowFollowupId },
  right: { field: "formId", target: "Form", id: FormId },
  access: workflowAccess,
  managedBy: WORKFLOWS
})
/** A follow-up/form link record. */
export const WorkflowFollowupForm = WorkflowFollowupFormModel.schema
export type WorkflowFollowupForm = typeof WorkflowFollowupForm.Type

/** The WorkflowChange model declaration. */
export const WorkflowChangeModel = defineModel({
  name: "WorkflowChange",
  id: WorkflowChangeId,
  scope: "account",
  fields: {
    /** The follow-up form whose answers are copied (one change per version and form). */
    formId: FormId,
    /** `{ <question of the change's form>: <question of the reference form> }`. */
    mapping: JsonObject,
    workflowVersionId: WorkflowVersionId
  },
  indexes: [
    // One change per version and form, enforced by storage (two concurrent additions cannot both pass).
    { name: "workflow_change_version_form", fields: ["accountId", "workflowVersionId", "formId"], unique: true },
    { name: "workflow_change_form", fields: ["formId"] }
  ],
  references: [
    { field: "formId", target: "Form", onDelete: "cascade" },
    { field: "workflowVersionId", target: "WorkflowVersion", onDelete: "cascade" }
  ],
  access: workflowAccess,
  managedBy: WORKFLOWS
})
/** A workflow change record. */
export const WorkflowChange = WorkflowChangeModel.schema
export type WorkflowChange = typeof WorkflowChange.Type
