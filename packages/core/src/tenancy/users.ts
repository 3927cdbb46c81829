/**
 * Users, their roles and profiles. A {@link Profile} ties a user to the account and carries the
 * restrictions IASO applies: org-unit roots, editable org-unit types, projects.
 * @module
 */
import { Schema } from "effect"
import { OrgUnitId, OrgUnitTypeId, ProfileId, ProjectId, UserId, UserRoleId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, TextMax } from "../shared/text.ts"
import { Permission } from "./permissions.ts"
import { HexColor } from "./project.ts"

/** The User model declaration (IASO's auth user; not in the diagram). */
export const UserModel = defineModel({
  name: "User",
  id: UserId,
  scope: "account",
  fields: {
    /** Unique across the store (as Django usernames). */
    username: NonBlankTextMax(150),
    firstName: TextMax(150),
    lastName: TextMax(150),
    email: TextMax(254),
    isActive: Schema.Boolean,
    /**
     * The password hash, PBKDF2-SHA256 in Django's format `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`
     * (see `hashPassword`); absent: no usable password (IASO's unusable password). Never the password itself;
     * redacted in memory, so logs and printed records do not show it.
     */
    passwordHash: Schema.optionalKey(Schema.RedactedFromValue(TextMax(255))),
    /** Permissions given to the user itself (IASO's `user_permissions`), besides those of its roles. */
    permissions: Schema.optionalKey(Schema.Array(Permission))
  },
  indexes: [{ name: "user_username_unique", fields: ["username"], unique: true }],
  access: { read: ["iaso_users", "iaso_users_managed"], write: ["iaso_users", "iaso_users_managed"] },
  /** Generic reads never answer the hash; `Users.verifyPassword` checks a password against it. */
  secret: ["passwordHash"],
  managedBy: "Users"
})
export const User = UserModel.schema
export type User = typeof User.Type

/** The UserRole model declaration: a named set of permissions (not in the diagram). */
export const UserRoleModel = defineModel({
  name: "UserRole",
  id: UserRoleId,
  scope: "account",
  fields: {
    /** Role name, unique in the account (IASO prefixes the group name with the account id). */
    name: NonBlankTextMax(150),
    permissions: Schema.Array(Permission)
  },
  indexes: [{ name: "user_role_name_unique", fields: ["accountId", "name"], unique: true }],
  access: { read: ["iaso_users", "iaso_users_managed"], write: ["iaso_users"] }
})
export const UserRole = UserRoleModel.schema
export type UserRole = typeof UserRole.Type

/** The Profile model declaration. */
export const ProfileModel = defineModel({
  name: "Profile",
  id: ProfileId,
  scope: "account",
  fields: {
    /** One profile per user. */
    userId: UserId,
    externalUserId: Schema.optionalKey(TextMax(512)),
    organization: Schema.optionalKey(TextMax(512)),
    language: Schema.optionalKey(TextMax(512)),
    /** DHIS2 SSO id, unique in the account. */
    dhis2Id: Schema.optionalKey(NonBlankTextMax(128)),
    homePage: Schema.optionalKey(TextMax(512)),
    /** E.164 phone number. */
    phoneNumber: Schema.optionalKey(
      Schema.String.check(Schema.isPattern(/^\+[1-9]\d{6,14}$/, { message: "Expected an E.164 phone number (+ then 7 to 15 digits)" }))
    ),
    color: Schema.optionalKey(HexColor)
  },
  indexes: [
    { name: "profile_user_unique", fields: ["accountId", "userId"], unique: true },
    { name: "profile_dhis2_id_unique", fields: ["accountId", "dhis2Id"], unique: true }
  ],
  references: [{ field: "userId", target: "User", onDelete: "cascade" }],
  access: { read: ["iaso_users", "iaso_users_managed"], write: ["iaso_users", "iaso_users_managed"] },
  managedBy: "Users"
})
export const Profile = ProfileModel.schema
export type Profile = typeof Profile.Type

const userAccess = { read: ["iaso_users", "iaso_users_managed"], write: ["iaso_users", "iaso_users_managed"] }

/** Link record: a profile's org-unit roots (`Profile.org_units`): the actor sees only their subtrees. */
export const ProfileOrgUnitModel = defineLink({
  name: "ProfileOrgUnit",
  left: { field: "profileId", target: "Profile", id: ProfileId },
  right: { field: "orgUnitId", target: "OrgUnit", id: OrgUnitId },
  access: userAccess,
  managedBy: "Users"
})
export const ProfileOrgUnit = ProfileOrgUnitModel.schema
export type ProfileOrgUnit = typeof ProfileOrgUnit.Type

/** Link record: a profile's roles. */
export const ProfileUserRoleModel = defineLink({
  name: "ProfileUserRole",
  left: { field: "profileId", target: "Profile", id: ProfileId },
  right: { field: "userRoleId", target: "UserRole", id: UserRoleId },
  access: userAccess,
  managedBy: "Users"
})
export const ProfileUserRole = ProfileUserRoleModel.schema
export type ProfileUserRole = typeof ProfileUserRole.Type

/** Link record: a profile's projects (none: every project of the account). */
export const ProfileProjectModel = defineLink({
  name: "ProfileProject",
  left: { field: "profileId", target: "Profile", id: ProfileId },
  right: { field: "projectId", target: "Project", id: ProjectId },
  access: userAccess,
  managedBy: "Users"
})
export const ProfileProject = ProfileProjectModel.schema
export type ProfileProject = typeof ProfileProject.Type

/** Link record: org-unit types a profile may edit (none: every type). */
export const ProfileEditableOrgUnitTypeModel = defineLink({
  name: "ProfileEditableOrgUnitType",
  left: { field: "profileId", target: "Profile", id: ProfileId },
  right: { field: "orgUnitTypeId", target: "OrgUnitType", id: OrgUnitTypeId },
  access: userAccess,
  managedBy: "Users"
})
export const ProfileEditableOrgUnitType = ProfileEditableOrgUnitTypeModel.schema
export type ProfileEditableOrgUnitType = typeof ProfileEditableOrgUnitType.Type

/** Link record: org-unit types a role may edit. */
export const UserRoleEditableOrgUnitTypeModel = defineLink({
  name: "UserRoleEditableOrgUnitType",
  left: { field: "userRoleId", target: "UserRole", id: UserRoleId },
  right: { field: "orgUnitTypeId", target: "OrgUnitType", id: OrgUnitTypeId },
  access: { read: ["iaso_users", "iaso_users_managed"], write: ["iaso_users"] }
})
export const UserRoleEditableOrgUnitType = UserRoleEditableOrgUnitTypeModel.schema
export type UserRoleEditableOrgUnitType = typeof UserRoleEditableOrgUnitType.Type
