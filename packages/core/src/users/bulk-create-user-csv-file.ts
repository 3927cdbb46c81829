/**
 * BulkCreateUserCsvFile (IASO's class is `BulkCreateUserFile`): the record of one upload of a CSV
 * or Excel file that created many users at once, with the file kept and the defaults applied to
 * rows that leave a column empty (language, organisation, permissions, and, as link records,
 * projects, user roles, org units and teams).
 * @module
 */
import { Schema } from "effect"
import { BlobRef } from "../shared/blob.ts"
import { BulkCreateUserCsvFileId, OrgUnitId, ProjectId, TeamId, UserId, UserRoleId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { TextMax } from "../shared/text.ts"
import { Permission } from "../tenancy/permissions.ts"

/** Who may read and write these records: the holders of IASO's user-management permissions. */
const bulkAccess: { readonly read: ReadonlyArray<Permission>; readonly write: ReadonlyArray<Permission> } = {
  read: ["iaso_users", "iaso_users_managed"],
  write: ["iaso_users", "iaso_users_managed"]
}

/** The BulkCreateUserCsvFile model declaration. */
export const BulkCreateUserCsvFileModel = defineModel({
  name: "BulkCreateUserCsvFile",
  id: BulkCreateUserCsvFileId,
  scope: "account",
  fields: {
    /** The uploaded file (`.csv`, `.xlsx` or `.xls`); IASO keeps a copy whose passwords are masked. */
    file: BlobRef,
    /** Who uploaded it. */
    createdById: Schema.optionalKey(UserId),
    /** Profile language for rows that give none; "" when none. */
    defaultProfileLanguage: TextMax(10),
    /** Organisation for rows that give none; "" when none. */
    defaultOrganization: TextMax(255),
    /** Permission codenames for rows that give none (IASO: a many-to-many to Django permissions). */
    defaultPermissions: Schema.Array(Permission)
  },
  indexes: [
    { name: "bulk_create_user_csv_file_created_at", fields: ["accountId", "createdAt"] },
    { name: "bulk_create_user_csv_file_created_by", fields: ["createdById"] }
  ],
  // IASO: PROTECT (a user who uploaded a file cannot be deleted)
  references: [{ field: "createdById", target: "User", onDelete: "restrict" }],
  access: bulkAccess,
  managedBy: "BulkUserCreation"
})
/** A BulkCreateUserCsvFile record. */
export const BulkCreateUserCsvFile = BulkCreateUserCsvFileModel.schema
/** A BulkCreateUserCsvFile record. */
export type BulkCreateUserCsvFile = typeof BulkCreateUserCsvFile.Type

/** Link record: a project given to rows that name none (`BulkCreateUserFile.default_projects`). */
export const BulkCreateUserCsvFileDefaultProjectModel = defineLink({
  name: "BulkCreateUserCsvFileDefaultProject",
  left: { field: "bulkCreateUserCsvFileId", target: "BulkCreateUserCsvFile", id: BulkCreateUserCsvFileId },
  right: { field: "projectId", target: "Project", id: ProjectId },
  access: bulkAccess,
  managedBy: "BulkUserCreation"
})
/** A BulkCreateUserCsvFileDefaultProject link record. */
export const BulkCreateUserCsvFileDefaultProject = BulkCreateUserCsvFileDefaultProjectModel.schema
/** A BulkCreateUserCsvFileDefaultProject link record. */
export type BulkCreateUserCsvFileDefaultProject = typeof BulkCreateUserCsvFileDefaultProject.Type

/** Link record: a user role given to rows that name none (`BulkCreateUserFile.default_user_roles`). */
export const BulkCreateUserCsvFileDefaultUserRoleModel = defineLink({
  name: "BulkCreateUserCsvFileDefaultUserRole",
  left: { field: "bulkCreateUserCsvFileId", target: "BulkCreateUserCsvFile", id: BulkCreateUserCsvFileId },
  right: { field: "userRoleId", target: "UserRole", id: UserRoleId },
  access: bulkAccess,
  managedBy: "BulkUserCreation"
})
/** A BulkCreateUserCsvFileDefaultUserRole link record. */
export const BulkCreateUserCsvFileDefaultUserRole = BulkCreateUserCsvFileDefaultUserRoleModel.schema
/** A BulkCreateUserCsvFileDefaultUserRole link record. */
export type BulkCreateUserCsvFileDefaultUserRole = typeof BulkCreateUserCsvFileDefaultUserRole.Type

/** Link record: an org unit given to rows that name none (`BulkCreateUserFile.default_org_units`). */
export const BulkCreateUserCsvFileDefaultOrgUnitModel = defineLink({
  name: "BulkCreateUserCsvFileDefaultOrgUnit",
  left: { field: "bulkCreateUserCsvFileId", target: "BulkCreateUserCsvFile", id: BulkCreateUserCsvFileId },
  right: { field: "orgUnitId", target: "OrgUnit", id: OrgUnitId },
  access: bulkAccess,
  managedBy: "BulkUserCreation"
})
/** A BulkCreateUserCsvFileDefaultOrgUnit link record. */
export const BulkCreateUserCsvFileDefaultOrgUnit = BulkCreateUserCsvFileDefaultOrgUnitModel.schema
/** A BulkCreateUserCsvFileDefaultOrgUnit link record. */
export type BulkCreateUserCsvFileDefaultOrgUnit = typeof BulkCreateUserCsvFileDefaultOrgUnit.Type

/** Link record: a team given to rows that name none (`BulkCreateUserFile.default_teams`). */
export const BulkCreateUserCsvFileDefaultTeamModel = defineLink({
  name: "BulkCreateUserCsvFileDefaultTeam",
  left: { field: "bulkCreateUserCsvFileId", target: "BulkCreateUserCsvFile", id: BulkCreateUserCsvFileId },
  right: { field: "teamId", target: "Team", id: TeamId },
  access: bulkAccess,
  managedBy: "BulkUserCreation"
})
/** A BulkCreateUserCsvFileDefaultTeam link record. */
export const BulkCreateUserCsvFileDefaultTeam = BulkCreateUserCsvFileDefaultTeamModel.schema
/** A BulkCreateUserCsvFileDefaultTeam link record. */
export type BulkCreateUserCsvFileDefaultTeam = typeof BulkCreateUserCsvFileDefaultTeam.Type
