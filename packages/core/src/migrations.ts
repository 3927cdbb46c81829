/**
 * The SDK's migrations, oldest first. Never edit a released migration: add a new one (write its
 * steps with `createModelSteps` for a new model, `addColumn`/`createIndex` for changes). The
 * test `migrations.test.ts` fails when these no longer build exactly the declared models.
 * @module
 */
import type { Migration } from "./shared/store.ts"

/** 0001: tenancy (accounts, projects, users, feature flags) and the registry slice. */
const m0001: Migration = {
  id: "0001_tenancy_registry",
  steps: [
    {
      op: "createModel", model: "Account", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "defaultVersionId", kind: "text", nullable: true },
        { name: "userManualPath", kind: "text", nullable: true },
        { name: "forumPath", kind: "text", nullable: true },
        { name: "modules", kind: "json", nullable: false },
        { name: "analyticsScript", kind: "text", nullable: true },
        { name: "customTranslations", kind: "json", nullable: true },
        { name: "enforcePasswordValidation", kind: "boolean", nullable: false },
        { name: "anthropicApiKey", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "Account", index: { name: "account_name_unique", fields: ["name"], unique: true } },
    {
      op: "createModel", model: "AccountUser", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "userId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "AccountUser", index: { name: "account_user_unique", fields: ["accountId", "userId"], unique: true } },
    { op: "createIndex", model: "AccountUser", index: { name: "account_user_user", fields: ["userId"] } },
    {
      op: "createModel", model: "FeatureFlag", scope: "global",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "code", kind: "text", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "requiresAuthentication", kind: "boolean", nullable: false },
        { name: "description", kind: "text", nullable: false },
        { name: "category", kind: "text", nullable: false },
        { name: "configurationSchema", kind: "json", nullable: true },
        { name: "order", kind: "integer", nullable: false },
        { name: "isDangerous", kind: "boolean", nullable: false },
      ]
    },
    { op: "createIndex", model: "FeatureFlag", index: { name: "feature_flag_code_unique", fields: ["code"], unique: true } },
    {
      op: "createModel", model: "AccountFeatureFlag", scope: "global",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "code", kind: "text", nullable: false },
        { name: "name", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "AccountFeatureFlag", index: { name: "account_feature_flag_code_unique", fields: ["code"], unique: true } },
    {
      op: "createModel", model: "AccountFeatureFlagGrant", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "accountFeatureFlagId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "AccountFeatureFlagGrant", index: { name: "account_feature_flag_grant_unique", fields: ["accountId", "accountFeatureFlagId"], unique: true } },
    { op: "createIndex", model: "AccountFeatureFlagGrant", index: { name: "account_feature_flag_grant_by_flag", fields: ["accountFeatureFlagId"] } },
    {
      op: "createModel", model: "Project", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "appId", kind: "text", nullable: true },
        { name: "needsAuthentication", kind: "boolean", nullable: false },
        { name: "externalToken", kind: "text", nullable: true },
        { name: "minVersion", kind: "integer", nullable: true },
        { name: "redirectionUrl", kind: "text", nullable: true },
        { name: "description", kind: "text", nullable: false },
        { name: "color", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "Project", index: { name: "project_app_id_unique", fields: ["appId"], unique: true } },
    {
      op: "createModel", model: "ProjectFeatureFlag", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
        { name: "featureFlagId", kind: "text", nullable: false },
        { name: "configuration", kind: "json", nullable: true },
      ]
    },
    { op: "createIndex", model: "ProjectFeatureFlag", index: { name: "project_feature_flag_pair_unique", fields: ["projectId", "featureFlagId"], unique: true } },
    { op: "createIndex", model: "ProjectFeatureFlag", index: { name: "project_feature_flag_by_featureflagid", fields: ["featureFlagId", "projectId"] } },
    {
      op: "createModel", model: "User", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "username", kind: "text", nullable: false },
        { name: "firstName", kind: "text", nullable: false },
        { name: "lastName", kind: "text", nullable: false },
        { name: "email", kind: "text", nullable: false },
        { name: "isActive", kind: "boolean", nullable: false },
      ]
    },
    { op: "createIndex", model: "User", index: { name: "user_username_unique", fields: ["username"], unique: true } },
    {
      op: "createModel", model: "UserRole", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "permissions", kind: "json", nullable: false },
      ]
    },
    { op: "createIndex", model: "UserRole", index: { name: "user_role_name_unique", fields: ["accountId", "name"], unique: true } },
    {
      op: "createModel", model: "Profile", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "userId", kind: "text", nullable: false },
        { name: "externalUserId", kind: "text", nullable: true },
        { name: "organization", kind: "text", nullable: true },
        { name: "language", kind: "text", nullable: true },
        { name: "dhis2Id", kind: "text", nullable: true },
        { name: "homePage", kind: "text", nullable: true },
        { name: "phoneNumber", kind: "text", nullable: true },
        { name: "color", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "Profile", index: { name: "profile_user_unique", fields: ["userId"], unique: true } },
    { op: "createIndex", model: "Profile", index: { name: "profile_dhis2_id_unique", fields: ["accountId", "dhis2Id"], unique: true } },
    {
      op: "createModel", model: "ExternalCredentials", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "login", kind: "text", nullable: false },
        { name: "password", kind: "text", nullable: false },
        { name: "url", kind: "text", nullable: false },
      ]
    },
    {
      op: "createModel", model: "DataSource", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "readOnly", kind: "boolean", nullable: false },
        { name: "description", kind: "text", nullable: true },
        { name: "credentialsId", kind: "text", nullable: true },
        { name: "defaultVersionId", kind: "text", nullable: true },
        { name: "treeConfigStatusFields", kind: "json", nullable: false },
        { name: "public", kind: "boolean", nullable: false },
      ]
    },
    { op: "createIndex", model: "DataSource", index: { name: "data_source_name_unique", fields: ["accountId", "name"], unique: true } },
    {
      op: "createModel", model: "ProjectDataSource", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
        { name: "dataSourceId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "ProjectDataSource", index: { name: "project_data_source_pair_unique", fields: ["projectId", "dataSourceId"], unique: true } },
    { op: "createIndex", model: "ProjectDataSource", index: { name: "project_data_source_by_datasourceid", fields: ["dataSourceId", "projectId"] } },
    {
      op: "createModel", model: "SourceVersion", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "dataSourceId", kind: "text", nullable: false },
        { name: "number", kind: "integer", nullable: false },
        { name: "description", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "SourceVersion", index: { name: "source_version_number_unique", fields: ["dataSourceId", "number"], unique: true } },
    {
      op: "createModel", model: "OrgUnitType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "shortName", kind: "text", nullable: false },
        { name: "category", kind: "text", nullable: true },
        { name: "depth", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "OrgUnitType", index: { name: "org_unit_type_name_depth", fields: ["accountId", "name", "depth"] } },
    {
      op: "createModel", model: "OrgUnitTypeProject", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "orgUnitTypeId", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "OrgUnitTypeProject", index: { name: "org_unit_type_project_pair_unique", fields: ["orgUnitTypeId", "projectId"], unique: true } },
    { op: "createIndex", model: "OrgUnitTypeProject", index: { name: "org_unit_type_project_by_projectid", fields: ["projectId", "orgUnitTypeId"] } },
    {
      op: "createModel", model: "OrgUnitTypeSubType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "orgUnitTypeId", kind: "text", nullable: false },
        { name: "subTypeId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "OrgUnitTypeSubType", index: { name: "org_unit_type_sub_type_pair_unique", fields: ["orgUnitTypeId", "subTypeId"], unique: true } },
    { op: "createIndex", model: "OrgUnitTypeSubType", index: { name: "org_unit_type_sub_type_by_subtypeid", fields: ["subTypeId", "orgUnitTypeId"] } },
    {
      op: "createModel", model: "OrgUnitTypeCreatableSubType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "orgUnitTypeId", kind: "text", nullable: false },
        { name: "subTypeId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "OrgUnitTypeCreatableSubType", index: { name: "org_unit_type_creatable_sub_type_pair_unique", fields: ["orgUnitTypeId", "subTypeId"], unique: true } },
    { op: "createIndex", model: "OrgUnitTypeCreatableSubType", index: { name: "org_unit_type_creatable_sub_type_by_subtypeid", fields: ["subTypeId", "orgUnitTypeId"] } },
    {
      op: "createModel", model: "OrgUnit", scope: "account", hierarchy: { path: "path", depth: "depth", parent: "parentId" },
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "uuid", kind: "text", nullable: true },
        { name: "custom", kind: "boolean", nullable: false },
        { name: "validationStatus", kind: "text", nullable: false },
        { name: "versionId", kind: "text", nullable: false },
        { name: "parentId", kind: "text", nullable: true },
        { name: "path", kind: "text", nullable: false },
        { name: "depth", kind: "integer", nullable: false },
        { name: "aliases", kind: "json", nullable: true },
        { name: "orgUnitTypeId", kind: "text", nullable: true },
        { name: "subSource", kind: "text", nullable: true },
        { name: "sourceRef", kind: "text", nullable: true },
        { name: "geom", kind: "json", nullable: true },
        { name: "simplifiedGeom", kind: "json", nullable: true },
        { name: "catchment", kind: "json", nullable: true },
        { name: "geomRef", kind: "integer", nullable: true },
        { name: "gpsSource", kind: "text", nullable: true },
        { name: "location", kind: "json", nullable: true },
        { name: "sourceCreatedAt", kind: "integer", nullable: true },
        { name: "creatorId", kind: "text", nullable: true },
        { name: "extraFields", kind: "json", nullable: false },
        { name: "openingDate", kind: "text", nullable: true },
        { name: "closedDate", kind: "text", nullable: true },
        { name: "code", kind: "text", nullable: false },
        { name: "nameKey", kind: "text", nullable: true },
        { name: "bboxWest", kind: "real", nullable: true },
        { name: "bboxSouth", kind: "real", nullable: true },
        { name: "bboxEast", kind: "real", nullable: true },
        { name: "bboxNorth", kind: "real", nullable: true },
      ]
    },
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_path", fields: ["path"] } },
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_parent", fields: ["parentId"] } },
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_version_type", fields: ["versionId", "orgUnitTypeId"] } },
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_version_source_ref", fields: ["versionId", "sourceRef"] } },
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_name_key", fields: ["accountId", "nameKey"] } },
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_bbox", fields: ["bboxWest", "bboxSouth"] } },
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_code_per_version_valid_unique", fields: ["versionId", "code"], unique: true, where: [{ field: "code", op: "ne", value: "" }, { field: "validationStatus", op: "eq", value: "VALID" }] } },
    {
      op: "createModel", model: "Group", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "sourceRef", kind: "text", nullable: true },
        { name: "domain", kind: "text", nullable: true },
        { name: "blockOfCountries", kind: "boolean", nullable: false },
        { name: "versionId", kind: "text", nullable: false },
        { name: "nameKey", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "Group", index: { name: "group_version_source_ref", fields: ["versionId", "sourceRef"] } },
    {
      op: "createModel", model: "GroupSet", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "sourceRef", kind: "text", nullable: true },
        { name: "versionId", kind: "text", nullable: false },
        { name: "groupBelonging", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "GroupSet", index: { name: "group_set_version_source_ref", fields: ["versionId", "sourceRef"] } },
    {
      op: "createModel", model: "OrgUnitGroupMembership", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "groupId", kind: "text", nullable: false },
        { name: "orgUnitId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "OrgUnitGroupMembership", index: { name: "org_unit_group_membership_pair_unique", fields: ["groupId", "orgUnitId"], unique: true } },
    { op: "createIndex", model: "OrgUnitGroupMembership", index: { name: "org_unit_group_membership_by_orgunitid", fields: ["orgUnitId", "groupId"] } },
    {
      op: "createModel", model: "GroupSetGroup", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "groupSetId", kind: "text", nullable: false },
        { name: "groupId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "GroupSetGroup", index: { name: "group_set_group_pair_unique", fields: ["groupSetId", "groupId"], unique: true } },
    { op: "createIndex", model: "GroupSetGroup", index: { name: "group_set_group_by_groupid", fields: ["groupId", "groupSetId"] } },
    {
      op: "createModel", model: "ProfileOrgUnit", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "profileId", kind: "text", nullable: false },
        { name: "orgUnitId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "ProfileOrgUnit", index: { name: "profile_org_unit_pair_unique", fields: ["profileId", "orgUnitId"], unique: true } },
    { op: "createIndex", model: "ProfileOrgUnit", index: { name: "profile_org_unit_by_orgunitid", fields: ["orgUnitId", "profileId"] } },
    {
      op: "createModel", model: "ProfileUserRole", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "profileId", kind: "text", nullable: false },
        { name: "userRoleId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "ProfileUserRole", index: { name: "profile_user_role_pair_unique", fields: ["profileId", "userRoleId"], unique: true } },
    { op: "createIndex", model: "ProfileUserRole", index: { name: "profile_user_role_by_userroleid", fields: ["userRoleId", "profileId"] } },
    {
      op: "createModel", model: "ProfileProject", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "profileId", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "ProfileProject", index: { name: "profile_project_pair_unique", fields: ["profileId", "projectId"], unique: true } },
    { op: "createIndex", model: "ProfileProject", index: { name: "profile_project_by_projectid", fields: ["projectId", "profileId"] } },
    {
      op: "createModel", model: "ProfileEditableOrgUnitType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "profileId", kind: "text", nullable: false },
        { name: "orgUnitTypeId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "ProfileEditableOrgUnitType", index: { name: "profile_editable_org_unit_type_pair_unique", fields: ["profileId", "orgUnitTypeId"], unique: true } },
    { op: "createIndex", model: "ProfileEditableOrgUnitType", index: { name: "profile_editable_org_unit_type_by_orgunittypeid", fields: ["orgUnitTypeId", "profileId"] } },
    {
      op: "createModel", model: "UserRoleEditableOrgUnitType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "userRoleId", kind: "text", nullable: false },
        { name: "orgUnitTypeId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "UserRoleEditableOrgUnitType", index: { name: "user_role_editable_org_unit_type_pair_unique", fields: ["userRoleId", "orgUnitTypeId"], unique: true } },
    { op: "createIndex", model: "UserRoleEditableOrgUnitType", index: { name: "user_role_editable_org_unit_type_by_orgunittypeid", fields: ["orgUnitTypeId", "userRoleId"] } },
    {
      op: "createModel", model: "ImportGPKG", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "file", kind: "json", nullable: false },
        { name: "dataSourceId", kind: "text", nullable: false },
        { name: "versionNumber", kind: "integer", nullable: true },
        { name: "description", kind: "text", nullable: true },
        { name: "defaultValid", kind: "boolean", nullable: false },
      ]
    },
    {
      op: "createModel", model: "RecordType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "description", kind: "text", nullable: false },
      ]
    },
    {
      op: "createModel", model: "RecordTypeProject", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "recordTypeId", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "RecordTypeProject", index: { name: "record_type_project_pair_unique", fields: ["recordTypeId", "projectId"], unique: true } },
    { op: "createIndex", model: "RecordTypeProject", index: { name: "record_type_project_by_projectid", fields: ["projectId", "recordTypeId"] } },
    {
      op: "createModel", model: "DataRecord", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "value", kind: "text", nullable: false },
        { name: "versionId", kind: "text", nullable: true },
        { name: "orgUnitId", kind: "text", nullable: true },
        { name: "recordTypeId", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "DataRecord", index: { name: "data_record_org_unit", fields: ["orgUnitId"] } },
    {
      op: "createModel", model: "AuditEntry", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "objectModel", kind: "text", nullable: false },
        { name: "objectId", kind: "text", nullable: false },
        { name: "source", kind: "text", nullable: false },
        { name: "userId", kind: "text", nullable: true },
        { name: "before", kind: "json", nullable: true },
        { name: "after", kind: "json", nullable: true },
      ]
    },
    { op: "createIndex", model: "AuditEntry", index: { name: "audit_entry_object", fields: ["objectModel", "objectId"] } }
  ]
}

/** Every migration of the SDK, in order. */
export const CORE_MIGRATIONS: ReadonlyArray<Migration> = [m0001]
