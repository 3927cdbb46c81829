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
/** Id of a link record (many-to-many relation row). */
export const LinkRecordId = entityId("LinkRecordId")
export type LinkRecordId = typeof LinkRecordId.Type
