/**
 * Every model the SDK stores, in dependency order. Adding an entity means adding it here and a
 * migration that creates it (a test compares the folded migrations with these declarations).
 * @module
 */
import { AuditEntryModel } from "./audit/audit-entry.ts"
import { DataRecordModel, RecordTypeModel, RecordTypeProjectModel } from "./records/record.ts"
import { GroupModel, GroupSetGroupModel, GroupSetModel, OrgUnitGroupMembershipModel } from "./registry/groups.ts"
import { ImportGPKGModel } from "./registry/import-gpkg.ts"
import { OrgUnitModel } from "./registry/org-unit.ts"
import {
  OrgUnitTypeCreatableSubTypeModel,
  OrgUnitTypeModel,
  OrgUnitTypeProjectModel,
  OrgUnitTypeSubTypeModel
} from "./registry/org-unit-type.ts"
import { DataSourceModel, ExternalCredentialsModel, ProjectDataSourceModel, SourceVersionModel } from "./registry/sources.ts"
import type { AnyModel } from "./shared/model.ts"
import { AccountModel, AccountUserModel } from "./tenancy/account.ts"
import {
  AccountFeatureFlagGrantModel,
  AccountFeatureFlagModel,
  FeatureFlagModel,
  ProjectFeatureFlagModel
} from "./tenancy/feature-flags.ts"
import { ProjectModel } from "./tenancy/project.ts"
import {
  ProfileEditableOrgUnitTypeModel,
  ProfileModel,
  ProfileOrgUnitModel,
  ProfileProjectModel,
  ProfileUserRoleModel,
  UserModel,
  UserRoleEditableOrgUnitTypeModel,
  UserRoleModel
} from "./tenancy/users.ts"

/** Every declared model, by name. */
export const MODELS = {
  Account: AccountModel,
  AccountUser: AccountUserModel,
  FeatureFlag: FeatureFlagModel,
  AccountFeatureFlag: AccountFeatureFlagModel,
  AccountFeatureFlagGrant: AccountFeatureFlagGrantModel,
  Project: ProjectModel,
  ProjectFeatureFlag: ProjectFeatureFlagModel,
  User: UserModel,
  UserRole: UserRoleModel,
  Profile: ProfileModel,
  ExternalCredentials: ExternalCredentialsModel,
  DataSource: DataSourceModel,
  ProjectDataSource: ProjectDataSourceModel,
  SourceVersion: SourceVersionModel,
  OrgUnitType: OrgUnitTypeModel,
  OrgUnitTypeProject: OrgUnitTypeProjectModel,
  OrgUnitTypeSubType: OrgUnitTypeSubTypeModel,
  OrgUnitTypeCreatableSubType: OrgUnitTypeCreatableSubTypeModel,
  OrgUnit: OrgUnitModel,
  Group: GroupModel,
  GroupSet: GroupSetModel,
  OrgUnitGroupMembership: OrgUnitGroupMembershipModel,
  GroupSetGroup: GroupSetGroupModel,
  ProfileOrgUnit: ProfileOrgUnitModel,
  ProfileUserRole: ProfileUserRoleModel,
  ProfileProject: ProfileProjectModel,
  ProfileEditableOrgUnitType: ProfileEditableOrgUnitTypeModel,
  UserRoleEditableOrgUnitType: UserRoleEditableOrgUnitTypeModel,
  ImportGPKG: ImportGPKGModel,
  RecordType: RecordTypeModel,
  RecordTypeProject: RecordTypeProjectModel,
  DataRecord: DataRecordModel,
  AuditEntry: AuditEntryModel
} as const satisfies Record<string, AnyModel>

/** The name of a declared model. */
export type ModelName = keyof typeof MODELS

/** Every declared model, as a list. */
export const ALL_MODELS: ReadonlyArray<AnyModel> = Object.values(MODELS)

/** A declared model by name, or `undefined`. */
export const modelByName = (name: string): AnyModel | undefined => (MODELS as Record<string, AnyModel>)[name]
