/**
 * Micro-planning: a planning gives a team a scope (a root org unit and the org-unit types that may
 * be visited), the forms to fill and a period; assignments then give each org unit of the scope
 * to a user or a sub-team. At most one live (not soft-deleted) assignment exists per planning and
 * org unit, enforced by storage.
 * @module
 */
import { Schema } from "effect"
import { AssignmentId, FormId, OrgUnitId, OrgUnitTypeId, PlanningId, ProjectId, TeamId, UserId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, Text, TextMax } from "../shared/text.ts"
import { DateOnly, Instant } from "../shared/time.ts"

const planningAccess = { read: ["iaso_planning_write", "iaso_planning_read"], write: ["iaso_planning_write"] }

/** Pipeline ids attached to a planning (IASO: `char(36)` each, no repeats). */
export const PipelineUuids = Schema.Array(TextMax(36)).check(
  Schema.makeFilter((uuids: ReadonlyArray<string>) => new Set(uuids).size === uuids.length || "pipeline uuids must not repeat")
)

/** The Planning model declaration. */
export const PlanningModel = defineModel({
  name: "Planning",
  id: PlanningId,
  scope: "account",
  fields: {
    name: NonBlankTextMax(100),
    /** "" when none. */
    description: Text,
    projectId: ProjectId,
    /** The root team doing the work (in the planning's project). */
    teamId: TeamId,
    /** The root of the planning's scope. */
    orgUnitId: OrgUnitId,
    startedAt: Schema.optionalKey(DateOnly),
    endedAt: Schema.optionalKey(DateOnly),
    /** Absent: a draft. Publishing needs both dates. */
    publishedAt: Schema.optionalKey(Instant),
    /** Ids of the pipelines attached to the planning ([] when none). */
    pipelineUuids: PipelineUuids,
    createdById: Schema.optionalKey(UserId),
    /** Soft delete. */
    deletedAt: Schema.optionalKey(Instant)
  },
  indexes: [
    { name: "planning_project", fields: ["projectId"] },
    { name: "planning_team", fields: ["teamId"] },
    { name: "planning_org_unit", fields: ["orgUnitId"] }
  ],
  references: [
    { field: "projectId", target: "Project", onDelete: "restrict" },
    { field: "teamId", target: "Team", onDelete: "cascade" },
    { field: "orgUnitId", target: "OrgUnit", onDelete: "restrict" },
    { field: "createdById", target: "User", onDelete: "setNull" }
  ],
  access: planningAccess,
  rowScope: { kind: "orgUnit", fields: ["orgUnitId"] },
  managedBy: "Plannings"
})
/** A planning record. */
export const Planning = PlanningModel.schema
export type Planning = typeof Planning.Type

/** Link record: a form to fill in a planning (`Planning.forms`). */
export const PlanningFormModel = defineLink({
  name: "PlanningForm",
  left: { field: "planningId", target: "Planning", id: PlanningId },
  right: { field: "formId", target: "Form", id: FormId },
  access: planningAccess,
  managedBy: "Plannings"
})
/** A planning/form link record. */
export const PlanningForm = PlanningFormModel.schema
export type PlanningForm = typeof PlanningForm.Type

/** Link record: an org-unit type that may receive assignments in a planning (`Planning.target_org_unit_types`). */
export const PlanningTargetOrgUnitTypeModel = defineLink({
  name: "PlanningTargetOrgUnitType",
  left: { field: "planningId", target: "Planning", id: PlanningId },
  right: { field: "orgUnitTypeId", target: "OrgUnitType", id: OrgUnitTypeId },
  access: planningAccess,
  managedBy: "Plannings"
})
/** A planning/target org-unit type link record. */
export const PlanningTargetOrgUnitType = PlanningTargetOrgUnitTypeModel.schema
export type PlanningTargetOrgUnitType = typeof PlanningTargetOrgUnitType.Type

/** The Assignment model declaration. */
export const AssignmentModel = defineModel({
  name: "Assignment",
  id: AssignmentId,
  scope: "account",
  fields: {
    planningId: Schema.optionalKey(PlanningId),
    /** The assigned org unit, a strict descendant of the planning's root (checked by the service). */
    orgUnitId: Schema.optionalKey(OrgUnitId),
    /** The assignee when a user (never together with a team, checked by the service). */
    userId: Schema.optionalKey(UserId),
    /** The assignee when a team. */
    teamId: Schema.optionalKey(TeamId),
    createdById: Schema.optionalKey(UserId),
    /** Soft delete: a deleted assignment no longer counts for the one-live-assignment rule. */
    deletedAt: Schema.optionalKey(Instant)
  },
  indexes: [
    {
      name: "assignment_planning_org_unit_live_unique",
      fields: ["accountId", "planningId", "orgUnitId"],
      unique: true,
      where: [{ field: "deletedAt", op: "isNull" }]
    },
    { name: "assignment_planning_created_at", fields: ["planningId", "createdAt"] },
    { name: "assignment_org_unit", fields: ["orgUnitId"] },
    { name: "assignment_user", fields: ["userId"] },
    { name: "assignment_team", fields: ["teamId"] }
  ],
  references: [
    { field: "planningId", target: "Planning", onDelete: "cascade" },
    { field: "orgUnitId", target: "OrgUnit", onDelete: "cascade" },
    { field: "userId", target: "User", onDelete: "setNull" },
    { field: "teamId", target: "Team", onDelete: "setNull" },
    { field: "createdById", target: "User", onDelete: "setNull" }
  ],
  access: { read: [], write: ["iaso_planning_write"] },
  rowScope: { kind: "orgUnit", fields: ["orgUnitId"] },
  managedBy: "Assignments"
})
/** An assignment record. */
export const Assignment = AssignmentModel.schema
export type Assignment = typeof Assignment.Type
