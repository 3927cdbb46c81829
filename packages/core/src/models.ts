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
import { OrgUnitTypeCreatableSubTypeModel, OrgUnitTypeModel, OrgUnitTypeProjectModel, OrgUnitTypeSubTypeModel } from "./registry/org-unit-type.ts"
import { DataSourceModel, ExternalCredentialsModel, ProjectDataSourceModel, SourceVersionModel } from "./registry/sources.ts"
import { DeviceModel, DeviceProjectModel, DeviceOwnershipModel, DevicePositionModel } from "./devices/devices.ts"
import { TaskModel } from "./tasks/task.ts"
import { MatchingAlgorithmModel, MatchingAlgorithmProjectModel, AlgorithmRunModel, LinkModel } from "./registry/matching.ts"
import { FormModel, ProjectFormModel, FormOrgUnitTypeModel, FormOrgUnitGroupModel, OrgUnitTypeReferenceFormModel } from "./forms/form.ts"
import { FormVersionModel } from "./forms/form-version.ts"
import { MappingModel, MappingVersionModel } from "./forms/mapping.ts"
import { EntityTypeModel, EntityModel, EntityDuplicateModel } from "./entities/entity.ts"
import { InstanceModel, InstanceFileModel, InstanceLockModel } from "./submissions/instance-model.ts"
import { AccountSequenceModel } from "./submissions/sequence.ts"
import { OrgUnitChangeRequestModel, OrgUnitReferenceInstanceModel } from "./registry/change-request.ts"
import { ExportRequestModel, ExportStatusModel, ExportLogModel, ExportStatusExportLogModel } from "./submissions/export.ts"
import { WorkflowModel, WorkflowVersionModel, WorkflowFollowupModel, WorkflowFollowupFormModel, WorkflowChangeModel } from "./entities/workflow.ts"
import { StorageDeviceModel, StorageLogEntryModel, StorageLogEntryInstanceModel } from "./storage/storage.ts"
import { TeamModel, TeamUserModel } from "./planning/team.ts"
import { PlanningModel, PlanningFormModel, PlanningTargetOrgUnitTypeModel, AssignmentModel } from "./planning/planning.ts"
import { PageModel, PageUserModel, PageUserRoleModel } from "./pages/page.ts"
import { CommentIasoModel } from "./comments/comment.ts"
import {
  BulkCreateUserCsvFileModel,
  BulkCreateUserCsvFileDefaultProjectModel,
  BulkCreateUserCsvFileDefaultUserRoleModel,
  BulkCreateUserCsvFileDefaultOrgUnitModel,
  BulkCreateUserCsvFileDefaultTeamModel
} from "./users/bulk-create-user-csv-file.ts"
import type { AnyModel } from "./shared/model.ts"
import { SyncCursorModel, SyncOutboxEntryModel } from "./sync/sync-models.ts"
import { AccountModel, AccountUserModel } from "./tenancy/account.ts"
import { AccountFeatureFlagGrantModel, AccountFeatureFlagModel, FeatureFlagModel, ProjectFeatureFlagModel } from "./tenancy/feature-flags.ts"
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
  AuditEntry: AuditEntryModel,
  Device: DeviceModel,
  DeviceProject: DeviceProjectModel,
  DeviceOwnership: DeviceOwnershipModel,
  DevicePosition: DevicePositionModel,
  Task: TaskModel,
  MatchingAlgorithm: MatchingAlgorithmModel,
  MatchingAlgorithmProject: MatchingAlgorithmProjectModel,
  AlgorithmRun: AlgorithmRunModel,
  Link: LinkModel,
  Form: FormModel,
  ProjectForm: ProjectFormModel,
  FormOrgUnitType: FormOrgUnitTypeModel,
  FormOrgUnitGroup: FormOrgUnitGroupModel,
  OrgUnitTypeReferenceForm: OrgUnitTypeReferenceFormModel,
  FormVersion: FormVersionModel,
  Mapping: MappingModel,
  MappingVersion: MappingVersionModel,
  EntityType: EntityTypeModel,
  Entity: EntityModel,
  EntityDuplicate: EntityDuplicateModel,
  Instance: InstanceModel,
  InstanceFile: InstanceFileModel,
  InstanceLock: InstanceLockModel,
  ExportRequest: ExportRequestModel,
  ExportStatus: ExportStatusModel,
  ExportLog: ExportLogModel,
  ExportStatusExportLog: ExportStatusExportLogModel,
  Workflow: WorkflowModel,
  WorkflowVersion: WorkflowVersionModel,
  WorkflowFollowup: WorkflowFollowupModel,
  WorkflowFollowupForm: WorkflowFollowupFormModel,
  WorkflowChange: WorkflowChangeModel,
  StorageDevice: StorageDeviceModel,
  StorageLogEntry: StorageLogEntryModel,
  StorageLogEntryInstance: StorageLogEntryInstanceModel,
  Team: TeamModel,
  TeamUser: TeamUserModel,
  Planning: PlanningModel,
  PlanningForm: PlanningFormModel,
  PlanningTargetOrgUnitType: PlanningTargetOrgUnitTypeModel,
  Assignment: AssignmentModel,
  Page: PageModel,
  PageUser: PageUserModel,
  PageUserRole: PageUserRoleModel,
  CommentIaso: CommentIasoModel,
  BulkCreateUserCsvFile: BulkCreateUserCsvFileModel,
  BulkCreateUserCsvFileDefaultProject: BulkCreateUserCsvFileDefaultProjectModel,
  BulkCreateUserCsvFileDefaultUserRole: BulkCreateUserCsvFileDefaultUserRoleModel,
  BulkCreateUserCsvFileDefaultOrgUnit: BulkCreateUserCsvFileDefaultOrgUnitModel,
  BulkCreateUserCsvFileDefaultTeam: BulkCreateUserCsvFileDefaultTeamModel,
  AccountSequence: AccountSequenceModel,
  OrgUnitReferenceInstance: OrgUnitReferenceInstanceModel,
  OrgUnitChangeRequest: OrgUnitChangeRequestModel,
  SyncOutboxEntry: SyncOutboxEntryModel,
  SyncCursor: SyncCursorModel
} as const satisfies Record<string, AnyModel>

/** The name of a declared model. */
export type ModelName = keyof typeof MODELS

/** Every declared model, as a list. */
export const ALL_MODELS: ReadonlyArray<AnyModel> = Object.values(MODELS)

/** A declared model by name, or `undefined`. */
export const modelByName = (name: string): AnyModel | undefined => (MODELS as Record<string, AnyModel>)[name]
