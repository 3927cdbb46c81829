/**
 * The SDK's migrations, oldest first. Never edit a released migration: add a new one (write its
 * steps with `createModelSteps` for a new model, `addColumn`/`createIndex` for changes). The
 * test `migrations.test.ts` fails when these no longer build exactly the declared models.
 * @module
 */
import type { IndexDecl } from "./shared/model.ts"
import type { Migration, MigrationStep } from "./shared/store.ts"

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

/** 0002: the rest of the diagram (devices, tasks, matching, forms, submissions, exports, entities, workflows, storage, planning, pages, comments, bulk user files). */
const m0002: Migration = {
  id: "0002_whole_model",
  steps: [
    {
      op: "createModel", model: "Device", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "imei", kind: "text", nullable: true },
        { name: "testDevice", kind: "boolean", nullable: false },
      ]
    },
    { op: "createIndex", model: "Device", index: { name: "device_imei", fields: ["accountId", "imei"] } },
    {
      op: "createModel", model: "DeviceProject", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "deviceId", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "DeviceProject", index: { name: "device_project_pair_unique", fields: ["deviceId", "projectId"], unique: true } },
    { op: "createIndex", model: "DeviceProject", index: { name: "device_project_by_projectid", fields: ["projectId", "deviceId"] } },
    {
      op: "createModel", model: "DeviceOwnership", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "deviceId", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: true },
        { name: "userId", kind: "text", nullable: false },
        { name: "start", kind: "integer", nullable: false },
        { name: "end", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "DeviceOwnership", index: { name: "device_ownership_device_created", fields: ["deviceId", "createdAt"] } },
    { op: "createIndex", model: "DeviceOwnership", index: { name: "device_ownership_user", fields: ["userId"] } },
    { op: "createIndex", model: "DeviceOwnership", index: { name: "device_ownership_project", fields: ["projectId"] } },
    {
      op: "createModel", model: "DevicePosition", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "uuid", kind: "text", nullable: false },
        { name: "deviceId", kind: "text", nullable: false },
        { name: "location", kind: "json", nullable: false },
        { name: "transport", kind: "text", nullable: false },
        { name: "accuracy", kind: "text", nullable: false },
        { name: "capturedAt", kind: "integer", nullable: false },
      ]
    },
    { op: "createIndex", model: "DevicePosition", index: { name: "device_position_uuid_unique", fields: ["accountId", "uuid"], unique: true } },
    { op: "createIndex", model: "DevicePosition", index: { name: "device_position_device_captured", fields: ["deviceId", "capturedAt"] } },
    {
      op: "createModel", model: "Task", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "startedAt", kind: "integer", nullable: true },
        { name: "endedAt", kind: "integer", nullable: true },
        { name: "progressValue", kind: "integer", nullable: false },
        { name: "endValue", kind: "integer", nullable: false },
        { name: "createdById", kind: "text", nullable: true },
        { name: "launcherId", kind: "text", nullable: true },
        { name: "result", kind: "json", nullable: true },
        { name: "status", kind: "text", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "params", kind: "json", nullable: true },
        { name: "queueAnswer", kind: "json", nullable: true },
        { name: "progressMessage", kind: "text", nullable: true },
        { name: "shouldBeKilled", kind: "boolean", nullable: false },
        { name: "external", kind: "boolean", nullable: false },
      ]
    },
    { op: "createIndex", model: "Task", index: { name: "task_created_at", fields: ["accountId", "createdAt"] } },
    { op: "createIndex", model: "Task", index: { name: "task_name", fields: ["accountId", "name"] } },
    { op: "createIndex", model: "Task", index: { name: "task_status", fields: ["accountId", "status"] } },
    { op: "createIndex", model: "Task", index: { name: "task_created_by", fields: ["createdById"] } },
    { op: "createIndex", model: "Task", index: { name: "task_launcher", fields: ["launcherId"] } },
    {
      op: "createModel", model: "MatchingAlgorithm", scope: "global",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "description", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "MatchingAlgorithm", index: { name: "matching_algorithm_name", fields: ["name"] } },
    {
      op: "createModel", model: "MatchingAlgorithmProject", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "matchingAlgorithmId", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "MatchingAlgorithmProject", index: { name: "matching_algorithm_project_pair_unique", fields: ["matchingAlgorithmId", "projectId"], unique: true } },
    { op: "createIndex", model: "MatchingAlgorithmProject", index: { name: "matching_algorithm_project_by_projectid", fields: ["projectId", "matchingAlgorithmId"] } },
    {
      op: "createModel", model: "AlgorithmRun", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "endedAt", kind: "integer", nullable: true },
        { name: "algorithmId", kind: "text", nullable: false },
        { name: "launcherId", kind: "text", nullable: true },
        { name: "result", kind: "json", nullable: true },
        { name: "finished", kind: "boolean", nullable: false },
        { name: "version1Id", kind: "text", nullable: true },
        { name: "version2Id", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "AlgorithmRun", index: { name: "algorithm_run_algorithm", fields: ["algorithmId"] } },
    { op: "createIndex", model: "AlgorithmRun", index: { name: "algorithm_run_version_1", fields: ["version1Id"] } },
    { op: "createIndex", model: "AlgorithmRun", index: { name: "algorithm_run_version_2", fields: ["version2Id"] } },
    { op: "createIndex", model: "AlgorithmRun", index: { name: "algorithm_run_launcher", fields: ["launcherId"] } },
    {
      op: "createModel", model: "Link", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "destinationId", kind: "text", nullable: true },
        { name: "sourceId", kind: "text", nullable: true },
        { name: "validated", kind: "boolean", nullable: false },
        { name: "validatorId", kind: "text", nullable: true },
        { name: "validationDate", kind: "integer", nullable: true },
        { name: "similarityScore", kind: "integer", nullable: true },
        { name: "algorithmRunId", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "Link", index: { name: "link_destination", fields: ["destinationId"] } },
    { op: "createIndex", model: "Link", index: { name: "link_source", fields: ["sourceId"] } },
    { op: "createIndex", model: "Link", index: { name: "link_algorithm_run", fields: ["algorithmRunId"] } },
    { op: "createIndex", model: "Link", index: { name: "link_validator", fields: ["validatorId"] } },
    {
      op: "createModel", model: "Form", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "formId", kind: "text", nullable: true },
        { name: "uuid", kind: "text", nullable: false },
        { name: "deletedAt", kind: "integer", nullable: true },
        { name: "deviceField", kind: "text", nullable: true },
        { name: "locationField", kind: "text", nullable: true },
        { name: "correlationField", kind: "text", nullable: true },
        { name: "correlatable", kind: "boolean", nullable: false },
        { name: "possibleFields", kind: "json", nullable: true },
        { name: "periodType", kind: "text", nullable: true },
        { name: "singlePerPeriod", kind: "boolean", nullable: false },
        { name: "periodsBeforeAllowed", kind: "integer", nullable: true },
        { name: "periodsAfterAllowed", kind: "integer", nullable: true },
        { name: "derived", kind: "boolean", nullable: false },
        { name: "labelKeys", kind: "json", nullable: true },
        { name: "legendThreshold", kind: "json", nullable: true },
        { name: "changeRequestMode", kind: "text", nullable: false },
        { name: "nameKey", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "Form", index: { name: "form_form_id_unique", fields: ["accountId", "formId"], unique: true, where: [{ field: "deletedAt", op: "isNull" }] } },
    { op: "createIndex", model: "Form", index: { name: "form_uuid_unique", fields: ["uuid"], unique: true } },
    {
      op: "createModel", model: "ProjectForm", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
        { name: "formId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "ProjectForm", index: { name: "project_form_pair_unique", fields: ["projectId", "formId"], unique: true } },
    { op: "createIndex", model: "ProjectForm", index: { name: "project_form_by_formid", fields: ["formId", "projectId"] } },
    {
      op: "createModel", model: "FormOrgUnitType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "formId", kind: "text", nullable: false },
        { name: "orgUnitTypeId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "FormOrgUnitType", index: { name: "form_org_unit_type_pair_unique", fields: ["formId", "orgUnitTypeId"], unique: true } },
    { op: "createIndex", model: "FormOrgUnitType", index: { name: "form_org_unit_type_by_orgunittypeid", fields: ["orgUnitTypeId", "formId"] } },
    {
      op: "createModel", model: "FormOrgUnitGroup", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "formId", kind: "text", nullable: false },
        { name: "groupId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "FormOrgUnitGroup", index: { name: "form_org_unit_group_pair_unique", fields: ["formId", "groupId"], unique: true } },
    { op: "createIndex", model: "FormOrgUnitGroup", index: { name: "form_org_unit_group_by_groupid", fields: ["groupId", "formId"] } },
    {
      op: "createModel", model: "OrgUnitTypeReferenceForm", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "orgUnitTypeId", kind: "text", nullable: false },
        { name: "formId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "OrgUnitTypeReferenceForm", index: { name: "org_unit_type_reference_form_pair_unique", fields: ["orgUnitTypeId", "formId"], unique: true } },
    { op: "createIndex", model: "OrgUnitTypeReferenceForm", index: { name: "org_unit_type_reference_form_by_formid", fields: ["formId", "orgUnitTypeId"] } },
    {
      op: "createModel", model: "FormVersion", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "formId", kind: "text", nullable: false },
        { name: "file", kind: "json", nullable: false },
        { name: "md5", kind: "text", nullable: false },
        { name: "xlsFile", kind: "json", nullable: true },
        { name: "formDescriptor", kind: "json", nullable: true },
        { name: "versionId", kind: "text", nullable: false },
        { name: "startPeriod", kind: "text", nullable: true },
        { name: "endPeriod", kind: "text", nullable: true },
        { name: "possibleFields", kind: "json", nullable: true },
        { name: "createdById", kind: "text", nullable: true },
        { name: "updatedById", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "FormVersion", index: { name: "form_version_version_id_unique", fields: ["formId", "versionId"], unique: true } },
    { op: "createIndex", model: "FormVersion", index: { name: "form_version_form_created_at", fields: ["formId", "createdAt"] } },
    {
      op: "createModel", model: "Mapping", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "dataSourceId", kind: "text", nullable: false },
        { name: "formId", kind: "text", nullable: true },
        { name: "mappingType", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "Mapping", index: { name: "mapping_form_source_type", fields: ["formId", "dataSourceId", "mappingType"] } },
    { op: "createIndex", model: "Mapping", index: { name: "mapping_data_source", fields: ["dataSourceId"] } },
    {
      op: "createModel", model: "MappingVersion", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "json", kind: "json", nullable: false },
        { name: "formVersionId", kind: "text", nullable: false },
        { name: "mappingId", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "MappingVersion", index: { name: "mapping_version_name_unique", fields: ["formVersionId", "name"], unique: true } },
    { op: "createIndex", model: "MappingVersion", index: { name: "mapping_version_mapping", fields: ["mappingId"] } },
    {
      op: "createModel", model: "EntityType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "code", kind: "text", nullable: true },
        { name: "referenceFormId", kind: "text", nullable: true },
        { name: "isActive", kind: "boolean", nullable: false },
        { name: "fieldsListView", kind: "json", nullable: true },
        { name: "fieldsDetailInfoView", kind: "json", nullable: true },
        { name: "fieldsDuplicateSearch", kind: "json", nullable: true },
        { name: "preventAddIfDuplicateFound", kind: "boolean", nullable: false },
      ]
    },
    { op: "createIndex", model: "EntityType", index: { name: "entity_type_name_unique", fields: ["accountId", "name"], unique: true } },
    { op: "createIndex", model: "EntityType", index: { name: "entity_type_reference_form", fields: ["referenceFormId"] } },
    {
      op: "createModel", model: "Entity", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "uuid", kind: "text", nullable: false },
        { name: "entityTypeId", kind: "text", nullable: false },
        { name: "attributesId", kind: "text", nullable: true },
        { name: "mergedToId", kind: "text", nullable: true },
        { name: "deletedAt", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "Entity", index: { name: "entity_uuid_live_unique", fields: ["accountId", "uuid"], unique: true, where: [{ field: "deletedAt", op: "isNull" }] } },
    { op: "createIndex", model: "Entity", index: { name: "entity_attributes_unique", fields: ["attributesId"], unique: true } },
    { op: "createIndex", model: "Entity", index: { name: "entity_entity_type", fields: ["entityTypeId"] } },
    { op: "createIndex", model: "Entity", index: { name: "entity_merged_to", fields: ["mergedToId"] } },
    {
      op: "createModel", model: "Instance", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "uuid", kind: "text", nullable: true },
        { name: "exportId", kind: "text", nullable: true },
        { name: "correlationId", kind: "text", nullable: true },
        { name: "name", kind: "text", nullable: true },
        { name: "file", kind: "json", nullable: true },
        { name: "fileName", kind: "text", nullable: true },
        { name: "json", kind: "json", nullable: true },
        { name: "formId", kind: "text", nullable: true },
        { name: "formVersionId", kind: "text", nullable: true },
        { name: "projectId", kind: "text", nullable: true },
        { name: "orgUnitId", kind: "text", nullable: true },
        { name: "location", kind: "json", nullable: true },
        { name: "accuracy", kind: "text", nullable: true },
        { name: "deviceId", kind: "text", nullable: true },
        { name: "period", kind: "text", nullable: true },
        { name: "entityId", kind: "text", nullable: true },
        { name: "planningId", kind: "text", nullable: true },
        { name: "sourceCreatedAt", kind: "integer", nullable: true },
        { name: "sourceUpdatedAt", kind: "integer", nullable: true },
        { name: "createdById", kind: "text", nullable: true },
        { name: "lastModifiedById", kind: "text", nullable: true },
        { name: "lastExportSuccessAt", kind: "integer", nullable: true },
        { name: "deleted", kind: "boolean", nullable: false },
        { name: "toExport", kind: "boolean", nullable: false },
        { name: "generalValidationStatus", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "Instance", index: { name: "instance_uuid_unique", fields: ["accountId", "uuid"], unique: true } },
    { op: "createIndex", model: "Instance", index: { name: "instance_file_name", fields: ["accountId", "fileName"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_form_period_org_unit", fields: ["formId", "period", "orgUnitId"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_org_unit_form", fields: ["orgUnitId", "formId"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_period", fields: ["accountId", "period"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_project", fields: ["projectId"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_form_version", fields: ["formVersionId"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_entity", fields: ["entityId"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_planning", fields: ["planningId"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_device", fields: ["deviceId"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_created_by", fields: ["createdById"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_created_at", fields: ["accountId", "createdAt"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_updated_at", fields: ["accountId", "updatedAt"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_source_created_at", fields: ["accountId", "sourceCreatedAt"] } },
    { op: "createIndex", model: "Instance", index: { name: "instance_source_updated_at", fields: ["accountId", "sourceUpdatedAt"] } },
    {
      op: "createModel", model: "InstanceFile", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "instanceId", kind: "text", nullable: true },
        { name: "name", kind: "text", nullable: true },
        { name: "file", kind: "json", nullable: true },
        { name: "deleted", kind: "boolean", nullable: false },
      ]
    },
    { op: "createIndex", model: "InstanceFile", index: { name: "instance_file_instance", fields: ["instanceId"] } },
    {
      op: "createModel", model: "InstanceLock", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "instanceId", kind: "text", nullable: false },
        { name: "lockedAt", kind: "integer", nullable: false },
        { name: "lockedById", kind: "text", nullable: false },
        { name: "unlockedAt", kind: "integer", nullable: true },
        { name: "unlockedById", kind: "text", nullable: true },
        { name: "topOrgUnitId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "InstanceLock", index: { name: "instance_lock_instance", fields: ["instanceId", "lockedAt"] } },
    { op: "createIndex", model: "InstanceLock", index: { name: "instance_lock_top_org_unit", fields: ["topOrgUnitId"] } },
    {
      op: "createModel", model: "ExportRequest", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "params", kind: "json", nullable: true },
        { name: "launcherId", kind: "text", nullable: true },
        { name: "result", kind: "json", nullable: true },
        { name: "finished", kind: "boolean", nullable: false },
        { name: "status", kind: "text", nullable: false },
        { name: "instanceCount", kind: "integer", nullable: false },
        { name: "exportedCount", kind: "integer", nullable: false },
        { name: "erroredCount", kind: "integer", nullable: false },
        { name: "lastErrorMessage", kind: "text", nullable: false },
        { name: "continueOnError", kind: "boolean", nullable: false },
        { name: "queuedAt", kind: "integer", nullable: false },
        { name: "startedAt", kind: "integer", nullable: true },
        { name: "endedAt", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "ExportRequest", index: { name: "export_request_status_queued_at", fields: ["accountId", "status", "queuedAt"] } },
    { op: "createIndex", model: "ExportRequest", index: { name: "export_request_launcher", fields: ["launcherId"] } },
    {
      op: "createModel", model: "ExportStatus", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "exportRequestId", kind: "text", nullable: false },
        { name: "instanceId", kind: "text", nullable: false },
        { name: "mappingVersionId", kind: "text", nullable: false },
        { name: "status", kind: "text", nullable: false },
        { name: "lastErrorMessage", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "ExportStatus", index: { name: "export_status_request_status", fields: ["exportRequestId", "status"] } },
    { op: "createIndex", model: "ExportStatus", index: { name: "export_status_instance", fields: ["instanceId"] } },
    { op: "createIndex", model: "ExportStatus", index: { name: "export_status_mapping_version", fields: ["mappingVersionId"] } },
    {
      op: "createModel", model: "ExportLog", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "sent", kind: "json", nullable: true },
        { name: "received", kind: "json", nullable: true },
        { name: "httpStatus", kind: "integer", nullable: true },
        { name: "url", kind: "text", nullable: true },
      ]
    },
    {
      op: "createModel", model: "ExportStatusExportLog", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "exportStatusId", kind: "text", nullable: false },
        { name: "exportLogId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "ExportStatusExportLog", index: { name: "export_status_export_log_pair_unique", fields: ["exportStatusId", "exportLogId"], unique: true } },
    { op: "createIndex", model: "ExportStatusExportLog", index: { name: "export_status_export_log_by_exportlogid", fields: ["exportLogId", "exportStatusId"] } },
    {
      op: "createModel", model: "Workflow", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "entityTypeId", kind: "text", nullable: false },
        { name: "uuid", kind: "text", nullable: false },
        { name: "deletedAt", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "Workflow", index: { name: "workflow_entity_type_unique", fields: ["entityTypeId"], unique: true } },
    { op: "createIndex", model: "Workflow", index: { name: "workflow_uuid_unique", fields: ["accountId", "uuid"], unique: true } },
    {
      op: "createModel", model: "WorkflowVersion", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "workflowId", kind: "text", nullable: false },
        { name: "uuid", kind: "text", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "status", kind: "text", nullable: false },
        { name: "autoFirstStep", kind: "boolean", nullable: false },
        { name: "referenceFormId", kind: "text", nullable: true },
        { name: "deletedAt", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "WorkflowVersion", index: { name: "workflow_version_uuid_unique", fields: ["accountId", "uuid"], unique: true } },
    { op: "createIndex", model: "WorkflowVersion", index: { name: "workflow_version_workflow_status", fields: ["workflowId", "status"] } },
    { op: "createIndex", model: "WorkflowVersion", index: { name: "workflow_version_reference_form", fields: ["referenceFormId"] } },
    {
      op: "createModel", model: "WorkflowFollowup", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "order", kind: "integer", nullable: false },
        { name: "condition", kind: "json", nullable: false },
        { name: "workflowVersionId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "WorkflowFollowup", index: { name: "workflow_followup_version_order", fields: ["workflowVersionId", "order"] } },
    {
      op: "createModel", model: "WorkflowFollowupForm", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "workflowFollowupId", kind: "text", nullable: false },
        { name: "formId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "WorkflowFollowupForm", index: { name: "workflow_followup_form_pair_unique", fields: ["workflowFollowupId", "formId"], unique: true } },
    { op: "createIndex", model: "WorkflowFollowupForm", index: { name: "workflow_followup_form_by_formid", fields: ["formId", "workflowFollowupId"] } },
    {
      op: "createModel", model: "WorkflowChange", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "formId", kind: "text", nullable: false },
        { name: "mapping", kind: "json", nullable: false },
        { name: "workflowVersionId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "WorkflowChange", index: { name: "workflow_change_version_form", fields: ["workflowVersionId", "formId"] } },
    { op: "createIndex", model: "WorkflowChange", index: { name: "workflow_change_form", fields: ["formId"] } },
    {
      op: "createModel", model: "StorageDevice", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "customerChosenId", kind: "text", nullable: false },
        { name: "type", kind: "text", nullable: false },
        { name: "status", kind: "text", nullable: false },
        { name: "statusReason", kind: "text", nullable: true },
        { name: "statusComment", kind: "text", nullable: false },
        { name: "statusUpdatedAt", kind: "integer", nullable: true },
        { name: "orgUnitId", kind: "text", nullable: true },
        { name: "entityId", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "StorageDevice", index: { name: "storage_device_customer_chosen_id_type_unique", fields: ["accountId", "customerChosenId", "type"], unique: true } },
    { op: "createIndex", model: "StorageDevice", index: { name: "storage_device_entity_status", fields: ["entityId", "status"] } },
    { op: "createIndex", model: "StorageDevice", index: { name: "storage_device_org_unit", fields: ["orgUnitId"] } },
    {
      op: "createModel", model: "StorageLogEntry", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "deviceId", kind: "text", nullable: false },
        { name: "operationType", kind: "text", nullable: false },
        { name: "performedAt", kind: "integer", nullable: false },
        { name: "performedById", kind: "text", nullable: false },
        { name: "orgUnitId", kind: "text", nullable: true },
        { name: "entityId", kind: "text", nullable: true },
        { name: "status", kind: "text", nullable: true },
        { name: "statusReason", kind: "text", nullable: true },
        { name: "statusComment", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "StorageLogEntry", index: { name: "storage_log_entry_device_performed_at", fields: ["deviceId", "performedAt"] } },
    { op: "createIndex", model: "StorageLogEntry", index: { name: "storage_log_entry_entity", fields: ["entityId"] } },
    { op: "createIndex", model: "StorageLogEntry", index: { name: "storage_log_entry_org_unit", fields: ["orgUnitId"] } },
    { op: "createIndex", model: "StorageLogEntry", index: { name: "storage_log_entry_performed_by", fields: ["performedById"] } },
    {
      op: "createModel", model: "StorageLogEntryInstance", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "storageLogEntryId", kind: "text", nullable: false },
        { name: "instanceId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "StorageLogEntryInstance", index: { name: "storage_log_entry_instance_pair_unique", fields: ["storageLogEntryId", "instanceId"], unique: true } },
    { op: "createIndex", model: "StorageLogEntryInstance", index: { name: "storage_log_entry_instance_by_instanceid", fields: ["instanceId", "storageLogEntryId"] } },
    {
      op: "createModel", model: "Team", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "description", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
        { name: "managerId", kind: "text", nullable: false },
        { name: "parentId", kind: "text", nullable: true },
        { name: "path", kind: "text", nullable: false },
        { name: "type", kind: "text", nullable: true },
        { name: "color", kind: "text", nullable: false },
        { name: "createdById", kind: "text", nullable: true },
        { name: "deletedAt", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "Team", index: { name: "team_path_unique", fields: ["path"], unique: true } },
    { op: "createIndex", model: "Team", index: { name: "team_parent", fields: ["parentId"] } },
    { op: "createIndex", model: "Team", index: { name: "team_project", fields: ["projectId"] } },
    { op: "createIndex", model: "Team", index: { name: "team_manager", fields: ["managerId"] } },
    {
      op: "createModel", model: "TeamUser", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "teamId", kind: "text", nullable: false },
        { name: "userId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "TeamUser", index: { name: "team_user_pair_unique", fields: ["teamId", "userId"], unique: true } },
    { op: "createIndex", model: "TeamUser", index: { name: "team_user_by_userid", fields: ["userId", "teamId"] } },
    {
      op: "createModel", model: "Planning", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "description", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
        { name: "teamId", kind: "text", nullable: false },
        { name: "orgUnitId", kind: "text", nullable: false },
        { name: "startedAt", kind: "text", nullable: true },
        { name: "endedAt", kind: "text", nullable: true },
        { name: "publishedAt", kind: "integer", nullable: true },
        { name: "pipelineUuids", kind: "json", nullable: false },
        { name: "createdById", kind: "text", nullable: true },
        { name: "deletedAt", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "Planning", index: { name: "planning_project", fields: ["projectId"] } },
    { op: "createIndex", model: "Planning", index: { name: "planning_team", fields: ["teamId"] } },
    { op: "createIndex", model: "Planning", index: { name: "planning_org_unit", fields: ["orgUnitId"] } },
    {
      op: "createModel", model: "PlanningForm", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "planningId", kind: "text", nullable: false },
        { name: "formId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "PlanningForm", index: { name: "planning_form_pair_unique", fields: ["planningId", "formId"], unique: true } },
    { op: "createIndex", model: "PlanningForm", index: { name: "planning_form_by_formid", fields: ["formId", "planningId"] } },
    {
      op: "createModel", model: "PlanningTargetOrgUnitType", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "planningId", kind: "text", nullable: false },
        { name: "orgUnitTypeId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "PlanningTargetOrgUnitType", index: { name: "planning_target_org_unit_type_pair_unique", fields: ["planningId", "orgUnitTypeId"], unique: true } },
    { op: "createIndex", model: "PlanningTargetOrgUnitType", index: { name: "planning_target_org_unit_type_by_orgunittypeid", fields: ["orgUnitTypeId", "planningId"] } },
    {
      op: "createModel", model: "Assignment", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "planningId", kind: "text", nullable: true },
        { name: "orgUnitId", kind: "text", nullable: true },
        { name: "userId", kind: "text", nullable: true },
        { name: "teamId", kind: "text", nullable: true },
        { name: "createdById", kind: "text", nullable: true },
        { name: "deletedAt", kind: "integer", nullable: true },
      ]
    },
    { op: "createIndex", model: "Assignment", index: { name: "assignment_planning_org_unit_live_unique", fields: ["planningId", "orgUnitId"], unique: true, where: [{ field: "deletedAt", op: "isNull" }] } },
    { op: "createIndex", model: "Assignment", index: { name: "assignment_planning_created_at", fields: ["planningId", "createdAt"] } },
    { op: "createIndex", model: "Assignment", index: { name: "assignment_org_unit", fields: ["orgUnitId"] } },
    { op: "createIndex", model: "Assignment", index: { name: "assignment_user", fields: ["userId"] } },
    { op: "createIndex", model: "Assignment", index: { name: "assignment_team", fields: ["teamId"] } },
    {
      op: "createModel", model: "Page", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "content", kind: "text", nullable: true },
        { name: "needsAuthentication", kind: "boolean", nullable: false },
        { name: "slug", kind: "text", nullable: false },
        { name: "type", kind: "text", nullable: false },
        { name: "powerbiGroupId", kind: "text", nullable: true },
        { name: "powerbiReportId", kind: "text", nullable: true },
        { name: "powerbiDatasetId", kind: "text", nullable: true },
        { name: "powerbiFilters", kind: "json", nullable: true },
        { name: "powerbiLanguage", kind: "text", nullable: true },
        { name: "supersetDashboardId", kind: "text", nullable: true },
        { name: "supersetDashboardUiConfig", kind: "json", nullable: true },
      ]
    },
    { op: "createIndex", model: "Page", index: { name: "page_slug_unique", fields: ["accountId", "slug"], unique: true } },
    {
      op: "createModel", model: "PageUser", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "pageId", kind: "text", nullable: false },
        { name: "userId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "PageUser", index: { name: "page_user_pair_unique", fields: ["pageId", "userId"], unique: true } },
    { op: "createIndex", model: "PageUser", index: { name: "page_user_by_userid", fields: ["userId", "pageId"] } },
    {
      op: "createModel", model: "PageUserRole", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "pageId", kind: "text", nullable: false },
        { name: "userRoleId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "PageUserRole", index: { name: "page_user_role_pair_unique", fields: ["pageId", "userRoleId"], unique: true } },
    { op: "createIndex", model: "PageUserRole", index: { name: "page_user_role_by_userroleid", fields: ["userRoleId", "pageId"] } },
    {
      op: "createModel", model: "CommentIaso", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "objectModel", kind: "text", nullable: false },
        { name: "objectPk", kind: "text", nullable: false },
        { name: "userId", kind: "text", nullable: true },
        { name: "userName", kind: "text", nullable: false },
        { name: "userEmail", kind: "text", nullable: false },
        { name: "userUrl", kind: "text", nullable: false },
        { name: "comment", kind: "text", nullable: false },
        { name: "submitDate", kind: "integer", nullable: false },
        { name: "ipAddress", kind: "text", nullable: true },
        { name: "isPublic", kind: "boolean", nullable: false },
        { name: "isRemoved", kind: "boolean", nullable: false },
        { name: "parentId", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "CommentIaso", index: { name: "comment_iaso_object", fields: ["objectModel", "objectPk", "submitDate"] } },
    { op: "createIndex", model: "CommentIaso", index: { name: "comment_iaso_parent", fields: ["parentId"] } },
    { op: "createIndex", model: "CommentIaso", index: { name: "comment_iaso_submit_date", fields: ["accountId", "submitDate"] } },
    { op: "createIndex", model: "CommentIaso", index: { name: "comment_iaso_user", fields: ["userId"] } },
    {
      op: "createModel", model: "BulkCreateUserCsvFile", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "file", kind: "json", nullable: false },
        { name: "createdById", kind: "text", nullable: true },
        { name: "defaultProfileLanguage", kind: "text", nullable: false },
        { name: "defaultOrganization", kind: "text", nullable: false },
        { name: "defaultPermissions", kind: "json", nullable: false },
      ]
    },
    { op: "createIndex", model: "BulkCreateUserCsvFile", index: { name: "bulk_create_user_csv_file_created_at", fields: ["accountId", "createdAt"] } },
    { op: "createIndex", model: "BulkCreateUserCsvFile", index: { name: "bulk_create_user_csv_file_created_by", fields: ["createdById"] } },
    {
      op: "createModel", model: "BulkCreateUserCsvFileDefaultProject", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "bulkCreateUserCsvFileId", kind: "text", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "BulkCreateUserCsvFileDefaultProject", index: { name: "bulk_create_user_csv_file_default_project_pair_unique", fields: ["bulkCreateUserCsvFileId", "projectId"], unique: true } },
    { op: "createIndex", model: "BulkCreateUserCsvFileDefaultProject", index: { name: "bulk_create_user_csv_file_default_project_by_projectid", fields: ["projectId", "bulkCreateUserCsvFileId"] } },
    {
      op: "createModel", model: "BulkCreateUserCsvFileDefaultUserRole", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "bulkCreateUserCsvFileId", kind: "text", nullable: false },
        { name: "userRoleId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "BulkCreateUserCsvFileDefaultUserRole", index: { name: "bulk_create_user_csv_file_default_user_role_pair_unique", fields: ["bulkCreateUserCsvFileId", "userRoleId"], unique: true } },
    { op: "createIndex", model: "BulkCreateUserCsvFileDefaultUserRole", index: { name: "bulk_create_user_csv_file_default_user_role_by_userroleid", fields: ["userRoleId", "bulkCreateUserCsvFileId"] } },
    {
      op: "createModel", model: "BulkCreateUserCsvFileDefaultOrgUnit", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "bulkCreateUserCsvFileId", kind: "text", nullable: false },
        { name: "orgUnitId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "BulkCreateUserCsvFileDefaultOrgUnit", index: { name: "bulk_create_user_csv_file_default_org_unit_pair_unique", fields: ["bulkCreateUserCsvFileId", "orgUnitId"], unique: true } },
    { op: "createIndex", model: "BulkCreateUserCsvFileDefaultOrgUnit", index: { name: "bulk_create_user_csv_file_default_org_unit_by_orgunitid", fields: ["orgUnitId", "bulkCreateUserCsvFileId"] } },
    {
      op: "createModel", model: "BulkCreateUserCsvFileDefaultTeam", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "bulkCreateUserCsvFileId", kind: "text", nullable: false },
        { name: "teamId", kind: "text", nullable: false },
      ]
    },
    { op: "createIndex", model: "BulkCreateUserCsvFileDefaultTeam", index: { name: "bulk_create_user_csv_file_default_team_pair_unique", fields: ["bulkCreateUserCsvFileId", "teamId"], unique: true } },
    { op: "createIndex", model: "BulkCreateUserCsvFileDefaultTeam", index: { name: "bulk_create_user_csv_file_default_team_by_teamid", fields: ["teamId", "bulkCreateUserCsvFileId"] } }
  ]
}

/** 0003: submission ingestion (an instance's current ODK instance id and period-window flag, per-account counters). */
const m0003: Migration = {
  id: "0003_submission_ingestion",
  steps: [
    { op: "addColumn", model: "Instance", column: { name: "currentUuid", kind: "text", nullable: true } },
    { op: "addColumn", model: "Instance", column: { name: "periodOutsideWindow", kind: "boolean", nullable: true } },
    { op: "createIndex", model: "Instance", index: { name: "instance_current_uuid_unique", fields: ["accountId", "currentUuid"], unique: true } },
    {
      op: "createModel", model: "AccountSequence", scope: "account",
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "name", kind: "text", nullable: false },
        { name: "value", kind: "integer", nullable: false },
      ]
    },
    { op: "createIndex", model: "AccountSequence", index: { name: "account_sequence_name_unique", fields: ["accountId", "name"], unique: true } }
  ]
}

/** 0004: the org-unit path index covers what subtree listings return (ids and names). */
const m0004: Migration = {
  id: "0004_org_unit_path_covering",
  steps: [
    { op: "dropIndex", model: "OrgUnit", name: "org_unit_path" },
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_path_covering", fields: ["path"], include: ["accountId", "id", "name"] } }
  ]
}

/** Drops a unique index and creates it again as `index` (same name, other fields). */
const reunique = (model: string, index: IndexDecl): ReadonlyArray<MigrationStep> => [
  { op: "dropIndex", model, name: index.name },
  { op: "createIndex", model, index }
]

/**
 * 0005: every account model keyed by account and id, so two accounts may hold the same id (an id
 * one account chose reveals nothing of another's records); the tables of 0001-0004 were keyed by
 * id. The unique indexes over other records' ids (link pairs, a version's number in its source, a
 * code in its version...) name the account first, so such keys are unique within an account;
 * usernames, account names and project app ids stay unique store-wide.
 */
const m0005: Migration = {
  id: "0005_account_keys",
  steps: [
    ...[
      "Account", "AccountUser", "AccountFeatureFlagGrant", "Project", "ProjectFeatureFlag", "User", "UserRole", "Profile", "ExternalCredentials",
      "DataSource", "ProjectDataSource", "SourceVersion", "OrgUnitType", "OrgUnitTypeProject", "OrgUnitTypeSubType", "OrgUnitTypeCreatableSubType",
      "OrgUnit", "Group", "GroupSet", "OrgUnitGroupMembership", "GroupSetGroup", "ProfileOrgUnit", "ProfileUserRole", "ProfileProject",
      "ProfileEditableOrgUnitType", "UserRoleEditableOrgUnitType", "ImportGPKG", "RecordType", "RecordTypeProject", "DataRecord", "AuditEntry",
      "Device", "DeviceProject", "DeviceOwnership", "DevicePosition", "Task", "MatchingAlgorithmProject", "AlgorithmRun", "Link", "Form", "ProjectForm",
      "FormOrgUnitType", "FormOrgUnitGroup", "OrgUnitTypeReferenceForm", "FormVersion", "Mapping", "MappingVersion", "EntityType", "Entity", "Instance",
      "InstanceFile", "InstanceLock", "ExportRequest", "ExportStatus", "ExportLog", "ExportStatusExportLog", "Workflow", "WorkflowVersion",
      "WorkflowFollowup", "WorkflowFollowupForm", "WorkflowChange", "StorageDevice", "StorageLogEntry", "StorageLogEntryInstance", "Team", "TeamUser",
      "Planning", "PlanningForm", "PlanningTargetOrgUnitType", "Assignment", "Page", "PageUser", "PageUserRole", "CommentIaso", "BulkCreateUserCsvFile",
      "BulkCreateUserCsvFileDefaultProject", "BulkCreateUserCsvFileDefaultUserRole", "BulkCreateUserCsvFileDefaultOrgUnit",
      "BulkCreateUserCsvFileDefaultTeam", "AccountSequence"
    ].map((model): MigrationStep => ({ op: "keyByAccount", model })),
    ...reunique("ProjectFeatureFlag", { name: "project_feature_flag_pair_unique", fields: ["accountId", "projectId", "featureFlagId"], unique: true }),
    ...reunique("Profile", { name: "profile_user_unique", fields: ["accountId", "userId"], unique: true }),
    ...reunique("ProjectDataSource", { name: "project_data_source_pair_unique", fields: ["accountId", "projectId", "dataSourceId"], unique: true }),
    ...reunique("SourceVersion", { name: "source_version_number_unique", fields: ["accountId", "dataSourceId", "number"], unique: true }),
    ...reunique("OrgUnitTypeProject", { name: "org_unit_type_project_pair_unique", fields: ["accountId", "orgUnitTypeId", "projectId"], unique: true }),
    ...reunique("OrgUnitTypeSubType", { name: "org_unit_type_sub_type_pair_unique", fields: ["accountId", "orgUnitTypeId", "subTypeId"], unique: true }),
    ...reunique("OrgUnitTypeCreatableSubType", { name: "org_unit_type_creatable_sub_type_pair_unique", fields: ["accountId", "orgUnitTypeId", "subTypeId"], unique: true }),
    ...reunique("OrgUnit", { name: "org_unit_code_per_version_valid_unique", fields: ["accountId", "versionId", "code"], unique: true, where: [{ field: "code", op: "ne", value: "" }, {  field: "validationStatus", op: "eq", value: "VALID" }] }),
    ...reunique("OrgUnitGroupMembership", { name: "org_unit_group_membership_pair_unique", fields: ["accountId", "groupId", "orgUnitId"], unique: true }),
    ...reunique("GroupSetGroup", { name: "group_set_group_pair_unique", fields: ["accountId", "groupSetId", "groupId"], unique: true }),
    ...reunique("ProfileOrgUnit", { name: "profile_org_unit_pair_unique", fields: ["accountId", "profileId", "orgUnitId"], unique: true }),
    ...reunique("ProfileUserRole", { name: "profile_user_role_pair_unique", fields: ["accountId", "profileId", "userRoleId"], unique: true }),
    ...reunique("ProfileProject", { name: "profile_project_pair_unique", fields: ["accountId", "profileId", "projectId"], unique: true }),
    ...reunique("ProfileEditableOrgUnitType", { name: "profile_editable_org_unit_type_pair_unique", fields: ["accountId", "profileId", "orgUnitTypeId"], unique: true }),
    ...reunique("UserRoleEditableOrgUnitType", { name: "user_role_editable_org_unit_type_pair_unique", fields: ["accountId", "userRoleId", "orgUnitTypeId"], unique: true }),
    ...reunique("RecordTypeProject", { name: "record_type_project_pair_unique", fields: ["accountId", "recordTypeId", "projectId"], unique: true }),
    ...reunique("DeviceProject", { name: "device_project_pair_unique", fields: ["accountId", "deviceId", "projectId"], unique: true }),
    ...reunique("MatchingAlgorithmProject", { name: "matching_algorithm_project_pair_unique", fields: ["accountId", "matchingAlgorithmId", "projectId"], unique: true }),
    ...reunique("Form", { name: "form_uuid_unique", fields: ["accountId", "uuid"], unique: true }),
    ...reunique("ProjectForm", { name: "project_form_pair_unique", fields: ["accountId", "projectId", "formId"], unique: true }),
    ...reunique("FormOrgUnitType", { name: "form_org_unit_type_pair_unique", fields: ["accountId", "formId", "orgUnitTypeId"], unique: true }),
    ...reunique("FormOrgUnitGroup", { name: "form_org_unit_group_pair_unique", fields: ["accountId", "formId", "groupId"], unique: true }),
    ...reunique("OrgUnitTypeReferenceForm", { name: "org_unit_type_reference_form_pair_unique", fields: ["accountId", "orgUnitTypeId", "formId"], unique: true }),
    ...reunique("FormVersion", { name: "form_version_version_id_unique", fields: ["accountId", "formId", "versionId"], unique: true }),
    ...reunique("MappingVersion", { name: "mapping_version_name_unique", fields: ["accountId", "formVersionId", "name"], unique: true }),
    ...reunique("Entity", { name: "entity_attributes_unique", fields: ["accountId", "attributesId"], unique: true }),
    ...reunique("ExportStatusExportLog", { name: "export_status_export_log_pair_unique", fields: ["accountId", "exportStatusId", "exportLogId"], unique: true }),
    ...reunique("Workflow", { name: "workflow_entity_type_unique", fields: ["accountId", "entityTypeId"], unique: true }),
    ...reunique("WorkflowFollowupForm", { name: "workflow_followup_form_pair_unique", fields: ["accountId", "workflowFollowupId", "formId"], unique: true }),
    ...reunique("StorageLogEntryInstance", { name: "storage_log_entry_instance_pair_unique", fields: ["accountId", "storageLogEntryId", "instanceId"], unique: true }),
    ...reunique("Team", { name: "team_path_unique", fields: ["accountId", "path"], unique: true }),
    ...reunique("TeamUser", { name: "team_user_pair_unique", fields: ["accountId", "teamId", "userId"], unique: true }),
    ...reunique("PlanningForm", { name: "planning_form_pair_unique", fields: ["accountId", "planningId", "formId"], unique: true }),
    ...reunique("PlanningTargetOrgUnitType", { name: "planning_target_org_unit_type_pair_unique", fields: ["accountId", "planningId", "orgUnitTypeId"], unique: true }),
    ...reunique("Assignment", { name: "assignment_planning_org_unit_live_unique", fields: ["accountId", "planningId", "orgUnitId"], unique: true, where: [{ field: "deletedAt", op: "isNull" }] }),
    ...reunique("PageUser", { name: "page_user_pair_unique", fields: ["accountId", "pageId", "userId"], unique: true }),
    ...reunique("PageUserRole", { name: "page_user_role_pair_unique", fields: ["accountId", "pageId", "userRoleId"], unique: true }),
    ...reunique("BulkCreateUserCsvFileDefaultProject", { name: "bulk_create_user_csv_file_default_project_pair_unique", fields: ["accountId", "bulkCreateUserCsvFileId", "projectId"], unique: true }),
    ...reunique("BulkCreateUserCsvFileDefaultUserRole", { name: "bulk_create_user_csv_file_default_user_role_pair_unique", fields: ["accountId", "bulkCreateUserCsvFileId", "userRoleId"], unique: true }),
    ...reunique("BulkCreateUserCsvFileDefaultOrgUnit", { name: "bulk_create_user_csv_file_default_org_unit_pair_unique", fields: ["accountId", "bulkCreateUserCsvFileId", "orgUnitId"], unique: true }),
    ...reunique("BulkCreateUserCsvFileDefaultTeam", { name: "bulk_create_user_csv_file_default_team_pair_unique", fields: ["accountId", "bulkCreateUserCsvFileId", "teamId"], unique: true })
  ]
}

/** 0006: entities' candidate duplicate pairs (reviewed, then merged or ignored). */
const m0006: Migration = {
  id: "0006_entities",
  steps: [
    {
      op: "createModel", model: "EntityDuplicate", scope: "account", keyedByAccount: true,
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "entityTypeId", kind: "text", nullable: false },
        { name: "entity1Id", kind: "text", nullable: false },
        { name: "entity2Id", kind: "text", nullable: false },
        { name: "similarity", kind: "integer", nullable: false },
        { name: "status", kind: "text", nullable: false },
        { name: "fields", kind: "json", nullable: false },
      ]
    },
    { op: "createIndex", model: "EntityDuplicate", index: { name: "entity_duplicate_pair_unique", fields: ["accountId", "entity1Id", "entity2Id"], unique: true } },
    { op: "createIndex", model: "EntityDuplicate", index: { name: "entity_duplicate_type_status", fields: ["entityTypeId", "status"] } },
    { op: "createIndex", model: "EntityDuplicate", index: { name: "entity_duplicate_entity2", fields: ["entity2Id"] } }
  ]
}

/**
 * 0007: workflows: at most one live published version per workflow, and one change per version and
 * form, enforced by storage.
 */
const m0007: Migration = {
  id: "0007_workflows",
  steps: [
    ...reunique("WorkflowChange", { name: "workflow_change_version_form", fields: ["accountId", "workflowVersionId", "formId"], unique: true }),
    {
      op: "createIndex",
      model: "WorkflowVersion",
      index: {
        name: "workflow_version_one_published",
        fields: ["accountId", "workflowId"],
        unique: true,
        where: [{ field: "status", op: "eq", value: "PUBLISHED" }, { field: "deletedAt", op: "isNull" }]
      }
    }
  ]
}

/**
 * 0010: field operations' devices and tasks: the attempt holding a task (a worker that died leaves
 * it to a later attempt, which alone may finish it).
 */
const m0010: Migration = {
  id: "0010_devices_tasks",
  steps: [{ op: "addColumn", model: "Task", column: { name: "attempt", kind: "integer", nullable: true } }]
}

/**
 * 0011: a user's credentials and own permissions, written by the bulk user creation: the password
 * hash (PBKDF2-SHA256 in Django's `pbkdf2_sha256$…` format; none = no usable password) and the
 * permission codenames given to the user itself (IASO's `user_permissions`).
 */
const m0011: Migration = {
  id: "0011_user_credentials",
  steps: [
    { op: "addColumn", model: "User", column: { name: "passwordHash", kind: "text", nullable: true } },
    { op: "addColumn", model: "User", column: { name: "permissions", kind: "json", nullable: true } }
  ]
}

/**
 * 0012: org-unit change requests (a device's proposal of a new unit or of an edit, reviewed and
 * applied; unique per account by the device's uuid) and reference instances (the submission that
 * describes a unit for a form, at most one per unit and form).
 */
const m0012: Migration = {
  id: "0012_change_requests",
  steps: [
    {
      op: "createModel", model: "OrgUnitChangeRequest", scope: "account", keyedByAccount: true,
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "uuid", kind: "text", nullable: false },
        { name: "orgUnitId", kind: "text", nullable: false },
        { name: "kind", kind: "text", nullable: false },
        { name: "status", kind: "text", nullable: false },
        { name: "newParentId", kind: "text", nullable: true },
        { name: "newName", kind: "text", nullable: true },
        { name: "newOrgUnitTypeId", kind: "text", nullable: true },
        { name: "newLocation", kind: "json", nullable: true },
        { name: "newGeom", kind: "json", nullable: true },
        { name: "newOpeningDate", kind: "text", nullable: true },
        { name: "newClosedDate", kind: "text", nullable: true },
        { name: "newGroupIds", kind: "json", nullable: true },
        { name: "newReferenceInstanceIds", kind: "json", nullable: true },
        { name: "requestedFields", kind: "json", nullable: false },
        { name: "approvedFields", kind: "json", nullable: false },
        { name: "createdById", kind: "text", nullable: true },
        { name: "reviewedById", kind: "text", nullable: true },
        { name: "reviewedAt", kind: "integer", nullable: true },
        { name: "rejectionComment", kind: "text", nullable: true },
      ]
    },
    { op: "createIndex", model: "OrgUnitChangeRequest", index: { name: "org_unit_change_request_uuid_unique", fields: ["accountId", "uuid"], unique: true } },
    { op: "createIndex", model: "OrgUnitChangeRequest", index: { name: "org_unit_change_request_org_unit", fields: ["orgUnitId"] } },
    { op: "createIndex", model: "OrgUnitChangeRequest", index: { name: "org_unit_change_request_status", fields: ["accountId", "status"] } },
    {
      op: "createModel", model: "OrgUnitReferenceInstance", scope: "account", keyedByAccount: true,
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "orgUnitId", kind: "text", nullable: false },
        { name: "formId", kind: "text", nullable: false },
        { name: "instanceId", kind: "text", nullable: false },
      ]
    },
    {
      op: "createIndex",
      model: "OrgUnitReferenceInstance",
      index: { name: "org_unit_reference_instance_unit_form_unique", fields: ["accountId", "orgUnitId", "formId"], unique: true }
    },
    { op: "createIndex", model: "OrgUnitReferenceInstance", index: { name: "org_unit_reference_instance_instance", fields: ["instanceId"] } }
  ]
}


/**
 * 0013: what a device keeps about its sync: the outbox of what it made offline (in creation order,
 * by status) and its pull cursors (one per project).
 */
const m0013: Migration = {
  id: "0013_sync",
  steps: [
    {
      op: "createModel", model: "SyncOutboxEntry", scope: "account", keyedByAccount: true,
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "kind", kind: "text", nullable: false },
        { name: "entry", kind: "json", nullable: false },
        { name: "status", kind: "text", nullable: false },
        { name: "attempts", kind: "integer", nullable: false },
        { name: "rejection", kind: "json", nullable: true },
        { name: "lastAttemptAt", kind: "integer", nullable: true }
      ]
    },
    { op: "createIndex", model: "SyncOutboxEntry", index: { name: "sync_outbox_status", fields: ["accountId", "status"] } },
    {
      op: "createModel", model: "SyncCursor", scope: "account", keyedByAccount: true,
      columns: [
        { name: "id", kind: "text", nullable: false },
        { name: "accountId", kind: "text", nullable: false },
        { name: "version", kind: "integer", nullable: false },
        { name: "createdAt", kind: "integer", nullable: false },
        { name: "updatedAt", kind: "integer", nullable: false },
        { name: "projectId", kind: "text", nullable: false },
        { name: "cursor", kind: "text", nullable: false },
        { name: "completedAt", kind: "integer", nullable: true }
      ]
    },
    { op: "createIndex", model: "SyncCursor", index: { name: "sync_cursor_project_unique", fields: ["accountId", "projectId"], unique: true } }
  ]
}

/** Every migration of the SDK, in order. */
export const CORE_MIGRATIONS: ReadonlyArray<Migration> = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0010, m0011, m0012, m0013]
