/**
 * What the field-operation services (`Teams`, `Plannings`, `Assignments`) share: IASO's messages
 * and translation keys, the audit sources, and input decoding into a `ValidationError`.
 * @module
 */
import { Effect, Schema } from "effect"
import { ValidationError } from "../shared/errors.ts"

/** The audit source of team changes. */
export const TEAM_AUDIT_SOURCE = "TEAM_API"
/** The audit source of planning changes. */
export const PLANNING_AUDIT_SOURCE = "PLANNING_API"
/** The audit source of assignment changes. */
export const ASSIGNMENT_AUDIT_SOURCE = "ASSIGNMENT_API"

/** IASO's default team colour. */
export const DEFAULT_TEAM_COLOR = "#EF5350"

/** IASO's messages and translation keys of teams, plannings and assignments, verbatim. */
export const PlanningMessages = {
  parentIsNotTeamOfTeam: "parentIsNotTeamOfTeam",
  noLoopInSubTree: "noLoopInSubTree",
  subTeamsSameProject: "Sub teams must be in the same project",
  usersAndSubTeams: "Teams cannot have both users and sub teams",
  incorrectType: "Incorrect type",
  invalidColor: (value: string) => `${value} is not a valid hex color code. It should be in the format #RRGGBB.`,
  invalidChoice: "Select a valid choice. That choice is not one of the available choices.",
  startDateAfterEndDate: "startDateAfterEndDate",
  endDateBeforeStartDate: "EndDateBeforeStartDate",
  publishedWithoutStartDate: "publishedWithoutStartDate",
  publishedWithoutEndDate: "publishedWithoutEndDate",
  planningAndTeams: "planningAndTeams",
  planningAndForms: "planningAndForms",
  planningAndOrgUnit: "planningAndOrgUnit",
  planningAndTargetOrgUnitType: "planningAndTargetOrgUnitType",
  noOrgUnitsOfTypeInHierarchy: "noOrgUnitsOfTypeInHierarchy",
  emptyList: "This list may not be empty.",
  bothTeamAndUser: "Cannot assign on both team and users",
  noAssignee: "An assignment goes to a team or a user",
  notInScope: "OrgUnit is not in planning scope",
  bulkBothTeamAndUser: "Cannot specify both user and teams",
  selectAllAndSelected: "You cannot set both `select_all` and `selected_ids`.",
  unselectedWithoutSelectAll: "You cannot set `unselected_ids` without `select_all`.",
  noSelection: "Must provide selection parameters (select_all or selected_ids).",
  noPlanningScope: "Planning is missing sampling group or target org unit scope",
  notTargetTypes: "One or more org unit types are not target types for this planning",
  deleted: (count: number) => `Successfully deleted ${count} assignments`,
  nothingToDelete: "No assignments to delete"
} as const

/** One `ValidationError` holding several issues (IASO answers every field's error at once). */
export const issuesError = (issues: ReadonlyArray<{ readonly path: ReadonlyArray<string | number>; readonly message: string }>): ValidationError =>
  new ValidationError({
    message: issues.map((issue) => `${issue.message}${issue.path.length === 0 ? "" : `\n  at ${JSON.stringify(issue.path)}`}`).join("\n"),
    issues: issues.map((issue) => ({ path: [...issue.path], message: issue.message }))
  })

/**
 * Checks a caller's input against `schema`'s domain type (ids, texts, dates as `Date`): its value,
 * or a `ValidationError` naming the path and the rule.
 */
export const decodeInput = <S extends Schema.Top>(schema: S, input: unknown): Effect.Effect<S["Type"], ValidationError> =>
  Schema.decodeUnknownEffect(Schema.toType(schema) as unknown as Schema.Codec<S["Type"], unknown>)(input).pipe(
    Effect.mapError((error) => ValidationError.fromSchemaError(error))
  )
