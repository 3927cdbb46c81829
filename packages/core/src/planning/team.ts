/**
 * Teams: who does field work. A team has a manager and either users (a team of users) or
 * sub-teams (a team of teams), forming a tree inside one project. Like org units, each team keeps a
 * materialised path of its ancestors' ids and its own, so a team's descendants are one prefix
 * query; the service that writes teams computes it.
 * @module
 */
import { Schema } from "effect"
import { ProjectId, TeamId, UserId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, Text } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"
import { HexColor } from "../tenancy/project.ts"

const teamAccess = { read: [], write: ["iaso_teams"] }

/** Kinds of team, IASO's values (absent: neither users nor sub-teams yet). */
export const TEAM_TYPES = ["TEAM_OF_TEAMS", "TEAM_OF_USERS"] as const
/** A team kind. */
export const TeamType = Schema.Literals(TEAM_TYPES)
export type TeamType = typeof TeamType.Type

/** A team's materialised path: the ids of its ancestors and its own, root first, each followed by `/`. */
export const TeamPath = Schema.String.check(Schema.isPattern(/^([0-9A-Za-z-]+\/)+$/, { message: "Expected a materialised path: ids each followed by /" }))
export type TeamPath = typeof TeamPath.Type

/** The Team model declaration. */
export const TeamModel = defineModel({
  name: "Team",
  id: TeamId,
  scope: "account",
  fields: {
    name: NonBlankTextMax(100),
    /** "" when none. */
    description: Text,
    /** Every team of a tree is in the same project. */
    projectId: ProjectId,
    managerId: UserId,
    /** The team of teams this team belongs to (IASO's `sub_teams` is the reverse of this relation). */
    parentId: Schema.optionalKey(TeamId),
    /** Computed by the service that writes teams. */
    path: TeamPath,
    type: Schema.optionalKey(TeamType),
    /** Display colour (IASO's default `#EF5350`). */
    color: HexColor,
    createdById: Schema.optionalKey(UserId),
    /** Soft delete. */
    deletedAt: Schema.optionalKey(Instant)
  },
  indexes: [
    { name: "team_path_unique", fields: ["accountId", "path"], unique: true },
    { name: "team_parent", fields: ["parentId"] },
    { name: "team_project", fields: ["projectId"] },
    { name: "team_manager", fields: ["managerId"] }
  ],
  references: [
    { field: "projectId", target: "Project", onDelete: "restrict" },
    { field: "managerId", target: "User", onDelete: "restrict" },
    { field: "parentId", target: "Team", onDelete: "restrict" },
    { field: "createdById", target: "User", onDelete: "restrict" }
  ],
  access: teamAccess,
  computed: ["path"],
  // Its path is computed from its parent's: no generic write can keep it right.
  managedBy: "Teams"
})
/** A team record. */
export const Team = TeamModel.schema
export type Team = typeof Team.Type

/** Link record: a user member of a team of users (`Team.users`). */
export const TeamUserModel = defineLink({
  name: "TeamUser",
  left: { field: "teamId", target: "Team", id: TeamId },
  right: { field: "userId", target: "User", id: UserId },
  access: teamAccess,
  managedBy: "Teams"
})
/** A team/user link record. */
export const TeamUser = TeamUserModel.schema
export type TeamUser = typeof TeamUser.Type
