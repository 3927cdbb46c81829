/**
 * The branded id of every entity and link record. All are UUIDv7 strings made by core
 * ({@link uuidv7}); the brand keeps an org-unit id from being passed where a group id is expected.
 * @module
 */
import { AccountId, entityId } from "./ids.ts"

export { AccountId }

export const UserId = entityId("UserId")
export type UserId = typeof UserId.Type
export const UserRoleId = entityId("UserRoleId")
export type UserRoleId = typeof UserRoleId.Type
export const ProfileId = entityId("ProfileId")
export type ProfileId = typeof ProfileId.Type
export const ProjectId = entityId("ProjectId")
export type ProjectId = typeof ProjectId.Type
export const FeatureFlagId = entityId("FeatureFlagId")
export type FeatureFlagId = typeof FeatureFlagId.Type
export const AccountFeatureFlagId = entityId("AccountFeatureFlagId")
export type AccountFeatureFlagId = typeof AccountFeatureFlagId.Type
export const DataSourceId = entityId("DataSourceId")
export type DataSourceId = typeof DataSourceId.Type
export const SourceVersionId = entityId("SourceVersionId")
export type SourceVersionId = typeof SourceVersionId.Type
export const OrgUnitTypeId = entityId("OrgUnitTypeId")
export type OrgUnitTypeId = typeof OrgUnitTypeId.Type
export const OrgUnitId = entityId("OrgUnitId")
export type OrgUnitId = typeof OrgUnitId.Type
export const GroupId = entityId("GroupId")
export type GroupId = typeof GroupId.Type
export const GroupSetId = entityId("GroupSetId")
export type GroupSetId = typeof GroupSetId.Type
export const ExternalCredentialsId = entityId("ExternalCredentialsId")
export type ExternalCredentialsId = typeof ExternalCredentialsId.Type
export const ImportGPKGId = entityId("ImportGPKGId")
export type ImportGPKGId = typeof ImportGPKGId.Type
export const RecordTypeId = entityId("RecordTypeId")
export type RecordTypeId = typeof RecordTypeId.Type
export const DataRecordId = entityId("DataRecordId")
export type DataRecordId = typeof DataRecordId.Type
export const AuditEntryId = entityId("AuditEntryId")
export type AuditEntryId = typeof AuditEntryId.Type
export const DeviceId = entityId("DeviceId")
export type DeviceId = typeof DeviceId.Type
export const DeviceOwnershipId = entityId("DeviceOwnershipId")
export type DeviceOwnershipId = typeof DeviceOwnershipId.Type
export const DevicePositionId = entityId("DevicePositionId")
export type DevicePositionId = typeof DevicePositionId.Type
export const FormId = entityId("FormId")
export type FormId = typeof FormId.Type
export const FormVersionId = entityId("FormVersionId")
export type FormVersionId = typeof FormVersionId.Type
export const MatchingAlgorithmId = entityId("MatchingAlgorithmId")
export type MatchingAlgorithmId = typeof MatchingAlgorithmId.Type
export const AlgorithmRunId = entityId("AlgorithmRunId")
export type AlgorithmRunId = typeof AlgorithmRunId.Type
export const TaskId = entityId("TaskId")
export type TaskId = typeof TaskId.Type
export const LinkId = entityId("LinkId")
export type LinkId = typeof LinkId.Type
export const MappingId = entityId("MappingId")
export type MappingId = typeof MappingId.Type
export const MappingVersionId = entityId("MappingVersionId")
export type MappingVersionId = typeof MappingVersionId.Type
export const InstanceId = entityId("InstanceId")
export type InstanceId = typeof InstanceId.Type
export const InstanceFileId = entityId("InstanceFileId")
export type InstanceFileId = typeof InstanceFileId.Type
export const ExportRequestId = entityId("ExportRequestId")
export type ExportRequestId = typeof ExportRequestId.Type
export const ExportLogId = entityId("ExportLogId")
export type ExportLogId = typeof ExportLogId.Type
export const ExportStatusId = entityId("ExportStatusId")
export type ExportStatusId = typeof ExportStatusId.Type
export const BulkCreateUserCsvFileId = entityId("BulkCreateUserCsvFileId")
export type BulkCreateUserCsvFileId = typeof BulkCreateUserCsvFileId.Type
export const InstanceLockId = entityId("InstanceLockId")
export type InstanceLockId = typeof InstanceLockId.Type
export const PageId = entityId("PageId")
export type PageId = typeof PageId.Type
export const CommentId = entityId("CommentId")
export type CommentId = typeof CommentId.Type
export const EntityTypeId = entityId("EntityTypeId")
export type EntityTypeId = typeof EntityTypeId.Type
export const EntityId = entityId("EntityId")
export type EntityId = typeof EntityId.Type
export const StorageDeviceId = entityId("StorageDeviceId")
export type StorageDeviceId = typeof StorageDeviceId.Type
export const StorageLogEntryId = entityId("StorageLogEntryId")
export type StorageLogEntryId = typeof StorageLogEntryId.Type
export const WorkflowId = entityId("WorkflowId")
export type WorkflowId = typeof WorkflowId.Type
export const WorkflowVersionId = entityId("WorkflowVersionId")
export type WorkflowVersionId = typeof WorkflowVersionId.Type
export const WorkflowFollowupId = entityId("WorkflowFollowupId")
export type WorkflowFollowupId = typeof WorkflowFollowupId.Type
export const WorkflowChangeId = entityId("WorkflowChangeId")
export type WorkflowChangeId = typeof WorkflowChangeId.Type
export const TeamId = entityId("TeamId")
export type TeamId = typeof TeamId.Type
export const PlanningId = entityId("PlanningId")
export type PlanningId = typeof PlanningId.Type
export const AssignmentId = entityId("AssignmentId")
export type AssignmentId = typeof AssignmentId.Type
/** Id of a link record (many-to-many relation row). */
export const LinkRecordId = entityId("LinkRecordId")
export type LinkRecordId = typeof LinkRecordId.Type
