/**
 * The SDK's migrations, oldest first. Never edit a released migration: add a new one (write its
 * steps with `createModelSteps` for a new model, `addColumn`/`createIndex` for changes). The
 * test `migrations.test.ts` fails when these no longer build exactly the declared models.
 * The list is in every app's bundle, so its steps are written compactly as data: `columns("id:text
 * name:text?")` and `createIndex(model, name, "field field", UNIQUE)` spell the same steps as
 * object literals (76 KB minified as literals, 43 KB so).
 * @module
 */
import type { Column, ColumnKind, IndexDecl } from "./shared/model.ts"
import type { Migration, MigrationStep } from "./shared/store.ts"

/**
 * A model's columns written compactly, as data (the migration list is part of every app's bundle):
 * `"id:text accountId:text name:text? modules:json"` is the columns `id` (text), `accountId`
 * (text), `name` (text, nullable: the `?`) and `modules` (JSON), in that order. The same columns
 * as the object literals of each migration's first release: only their spelling changed.
 */
const columns = (spec: string): ReadonlyArray<Column> =>
  spec
    .split(" ")
    .filter((item) => item !== "")
    .map((item) => {
      const nullable = item.endsWith("?")
      const [name = "", kind = ""] = (nullable ? item.slice(0, -1) : item).split(":")
      return { name, kind: kind as ColumnKind, nullable }
    })

/** Marks an index made by {@link createIndex} unique. */
const UNIQUE = true

/**
 * A `createIndex` step written compactly: `createIndex("AccountUser", "account_user_unique",
 * "accountId userId", UNIQUE)` is the step creating the unique index `account_user_unique` of
 * `AccountUser` on (`accountId`, `userId`). The same step as the object literal of its migration's
 * first release: only its spelling changed.
 */
const createIndex = (model: string, name: string, fields: string, unique?: true): MigrationStep => ({
  op: "createIndex",
  model,
  index: unique === true ? { name, fields: fields.split(" "), unique } : { name, fields: fields.split(" ") }
})

/** 0001: tenancy (accounts, projects, users, feature flags) and the registry slice. */
const m0001: Migration = {
  id: "0001_tenancy_registry",
  steps: [
    {
      op: "createModel", model: "Account", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text defaultVersionId:text? " +
        "userManualPath:text? forumPath:text? modules:json analyticsScript:text? customTranslations:json? " +
        "enforcePasswordValidation:boolean anthropicApiKey:text?"
      )
    },
    createIndex("Account", "account_name_unique", "name", UNIQUE),
    {
      op: "createModel", model: "AccountUser", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer userId:text")
    },
    createIndex("AccountUser", "account_user_unique", "accountId userId", UNIQUE),
    createIndex("AccountUser", "account_user_user", "userId"),
    {
      op: "createModel", model: "FeatureFlag", scope: "global",
      columns: columns(
        "id:text version:integer createdAt:integer updatedAt:integer code:text name:text requiresAuthentication:boolean " +
        "description:text category:text configurationSchema:json? order:integer isDangerous:boolean"
      )
    },
    createIndex("FeatureFlag", "feature_flag_code_unique", "code", UNIQUE),
    {
      op: "createModel", model: "AccountFeatureFlag", scope: "global",
      columns: columns("id:text version:integer createdAt:integer updatedAt:integer code:text name:text")
    },
    createIndex("AccountFeatureFlag", "account_feature_flag_code_unique", "code", UNIQUE),
    {
      op: "createModel", model: "AccountFeatureFlagGrant", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer accountFeatureFlagId:text")
    },
    createIndex("AccountFeatureFlagGrant", "account_feature_flag_grant_unique", "accountId accountFeatureFlagId", UNIQUE),
    createIndex("AccountFeatureFlagGrant", "account_feature_flag_grant_by_flag", "accountFeatureFlagId"),
    {
      op: "createModel", model: "Project", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text appId:text? " +
        "needsAuthentication:boolean externalToken:text? minVersion:integer? redirectionUrl:text? description:text color:text?"
      )
    },
    createIndex("Project", "project_app_id_unique", "appId", UNIQUE),
    {
      op: "createModel", model: "ProjectFeatureFlag", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer projectId:text featureFlagId:text " +
        "configuration:json?"
      )
    },
    createIndex("ProjectFeatureFlag", "project_feature_flag_pair_unique", "projectId featureFlagId", UNIQUE),
    createIndex("ProjectFeatureFlag", "project_feature_flag_by_featureflagid", "featureFlagId projectId"),
    {
      op: "createModel", model: "User", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer username:text firstName:text lastName:text " +
        "email:text isActive:boolean"
      )
    },
    createIndex("User", "user_username_unique", "username", UNIQUE),
    {
      op: "createModel", model: "UserRole", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text permissions:json")
    },
    createIndex("UserRole", "user_role_name_unique", "accountId name", UNIQUE),
    {
      op: "createModel", model: "Profile", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer userId:text externalUserId:text? " +
        "organization:text? language:text? dhis2Id:text? homePage:text? phoneNumber:text? color:text?"
      )
    },
    createIndex("Profile", "profile_user_unique", "userId", UNIQUE),
    createIndex("Profile", "profile_dhis2_id_unique", "accountId dhis2Id", UNIQUE),
    {
      op: "createModel", model: "ExternalCredentials", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text login:text password:text url:text")
    },
    {
      op: "createModel", model: "DataSource", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text readOnly:boolean description:text? " +
        "credentialsId:text? defaultVersionId:text? treeConfigStatusFields:json public:boolean"
      )
    },
    createIndex("DataSource", "data_source_name_unique", "accountId name", UNIQUE),
    {
      op: "createModel", model: "ProjectDataSource", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer projectId:text dataSourceId:text")
    },
    createIndex("ProjectDataSource", "project_data_source_pair_unique", "projectId dataSourceId", UNIQUE),
    createIndex("ProjectDataSource", "project_data_source_by_datasourceid", "dataSourceId projectId"),
    {
      op: "createModel", model: "SourceVersion", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer dataSourceId:text number:integer " +
        "description:text?"
      )
    },
    createIndex("SourceVersion", "source_version_number_unique", "dataSourceId number", UNIQUE),
    {
      op: "createModel", model: "OrgUnitType", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text shortName:text category:text? " +
        "depth:integer?"
      )
    },
    createIndex("OrgUnitType", "org_unit_type_name_depth", "accountId name depth"),
    {
      op: "createModel", model: "OrgUnitTypeProject", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer orgUnitTypeId:text projectId:text")
    },
    createIndex("OrgUnitTypeProject", "org_unit_type_project_pair_unique", "orgUnitTypeId projectId", UNIQUE),
    createIndex("OrgUnitTypeProject", "org_unit_type_project_by_projectid", "projectId orgUnitTypeId"),
    {
      op: "createModel", model: "OrgUnitTypeSubType", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer orgUnitTypeId:text subTypeId:text")
    },
    createIndex("OrgUnitTypeSubType", "org_unit_type_sub_type_pair_unique", "orgUnitTypeId subTypeId", UNIQUE),
    createIndex("OrgUnitTypeSubType", "org_unit_type_sub_type_by_subtypeid", "subTypeId orgUnitTypeId"),
    {
      op: "createModel", model: "OrgUnitTypeCreatableSubType", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer orgUnitTypeId:text subTypeId:text")
    },
    createIndex("OrgUnitTypeCreatableSubType", "org_unit_type_creatable_sub_type_pair_unique", "orgUnitTypeId subTypeId", UNIQUE),
    createIndex("OrgUnitTypeCreatableSubType", "org_unit_type_creatable_sub_type_by_subtypeid", "subTypeId orgUnitTypeId"),
    {
      op: "createModel", model: "OrgUnit", scope: "account", hierarchy: { path: "path", depth: "depth", parent: "parentId" },
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text uuid:text? custom:boolean " +
        "validationStatus:text versionId:text parentId:text? path:text depth:integer aliases:json? orgUnitTypeId:text? " +
        "subSource:text? sourceRef:text? geom:json? simplifiedGeom:json? catchment:json? geomRef:integer? gpsSource:text? " +
        "location:json? sourceCreatedAt:integer? creatorId:text? extraFields:json openingDate:text? closedDate:text? code:text " +
        "nameKey:text? bboxWest:real? bboxSouth:real? bboxEast:real? bboxNorth:real?"
      )
    },
    createIndex("OrgUnit", "org_unit_path", "path"),
    createIndex("OrgUnit", "org_unit_parent", "parentId"),
    createIndex("OrgUnit", "org_unit_version_type", "versionId orgUnitTypeId"),
    createIndex("OrgUnit", "org_unit_version_source_ref", "versionId sourceRef"),
    createIndex("OrgUnit", "org_unit_name_key", "accountId nameKey"),
    createIndex("OrgUnit", "org_unit_bbox", "bboxWest bboxSouth"),
    { op: "createIndex", model: "OrgUnit", index: { name: "org_unit_code_per_version_valid_unique", fields: ["versionId", "code"], unique: true, where: [{ field: "code", op: "ne", value: "" }, { field: "validationStatus", op: "eq", value: "VALID" }] } },
    {
      op: "createModel", model: "Group", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text sourceRef:text? domain:text? " +
        "blockOfCountries:boolean versionId:text nameKey:text?"
      )
    },
    createIndex("Group", "group_version_source_ref", "versionId sourceRef"),
    {
      op: "createModel", model: "GroupSet", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text sourceRef:text? versionId:text " +
        "groupBelonging:text"
      )
    },
    createIndex("GroupSet", "group_set_version_source_ref", "versionId sourceRef"),
    {
      op: "createModel", model: "OrgUnitGroupMembership", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer groupId:text orgUnitId:text")
    },
    createIndex("OrgUnitGroupMembership", "org_unit_group_membership_pair_unique", "groupId orgUnitId", UNIQUE),
    createIndex("OrgUnitGroupMembership", "org_unit_group_membership_by_orgunitid", "orgUnitId groupId"),
    {
      op: "createModel", model: "GroupSetGroup", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer groupSetId:text groupId:text")
    },
    createIndex("GroupSetGroup", "group_set_group_pair_unique", "groupSetId groupId", UNIQUE),
    createIndex("GroupSetGroup", "group_set_group_by_groupid", "groupId groupSetId"),
    {
      op: "createModel", model: "ProfileOrgUnit", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer profileId:text orgUnitId:text")
    },
    createIndex("ProfileOrgUnit", "profile_org_unit_pair_unique", "profileId orgUnitId", UNIQUE),
    createIndex("ProfileOrgUnit", "profile_org_unit_by_orgunitid", "orgUnitId profileId"),
    {
      op: "createModel", model: "ProfileUserRole", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer profileId:text userRoleId:text")
    },
    createIndex("ProfileUserRole", "profile_user_role_pair_unique", "profileId userRoleId", UNIQUE),
    createIndex("ProfileUserRole", "profile_user_role_by_userroleid", "userRoleId profileId"),
    {
      op: "createModel", model: "ProfileProject", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer profileId:text projectId:text")
    },
    createIndex("ProfileProject", "profile_project_pair_unique", "profileId projectId", UNIQUE),
    createIndex("ProfileProject", "profile_project_by_projectid", "projectId profileId"),
    {
      op: "createModel", model: "ProfileEditableOrgUnitType", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer profileId:text orgUnitTypeId:text")
    },
    createIndex("ProfileEditableOrgUnitType", "profile_editable_org_unit_type_pair_unique", "profileId orgUnitTypeId", UNIQUE),
    createIndex("ProfileEditableOrgUnitType", "profile_editable_org_unit_type_by_orgunittypeid", "orgUnitTypeId profileId"),
    {
      op: "createModel", model: "UserRoleEditableOrgUnitType", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer userRoleId:text orgUnitTypeId:text")
    },
    createIndex("UserRoleEditableOrgUnitType", "user_role_editable_org_unit_type_pair_unique", "userRoleId orgUnitTypeId", UNIQUE),
    createIndex("UserRoleEditableOrgUnitType", "user_role_editable_org_unit_type_by_orgunittypeid", "orgUnitTypeId userRoleId"),
    {
      op: "createModel", model: "ImportGPKG", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer file:json dataSourceId:text " +
        "versionNumber:integer? description:text? defaultValid:boolean"
      )
    },
    {
      op: "createModel", model: "RecordType", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text description:text")
    },
    {
      op: "createModel", model: "RecordTypeProject", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer recordTypeId:text projectId:text")
    },
    createIndex("RecordTypeProject", "record_type_project_pair_unique", "recordTypeId projectId", UNIQUE),
    createIndex("RecordTypeProject", "record_type_project_by_projectid", "projectId recordTypeId"),
    {
      op: "createModel", model: "DataRecord", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer value:text versionId:text? orgUnitId:text? " +
        "recordTypeId:text?"
      )
    },
    createIndex("DataRecord", "data_record_org_unit", "orgUnitId"),
    {
      op: "createModel", model: "AuditEntry", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer objectModel:text objectId:text source:text " +
        "userId:text? before:json? after:json?"
      )
    },
    createIndex("AuditEntry", "audit_entry_object", "objectModel objectId")
  ]
}

/** 0002: the rest of the diagram (devices, tasks, matching, forms, submissions, exports, entities, workflows, storage, planning, pages, comments, bulk user files). */
const m0002: Migration = {
  id: "0002_whole_model",
  steps: [
    {
      op: "createModel", model: "Device", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer imei:text? testDevice:boolean")
    },
    createIndex("Device", "device_imei", "accountId imei"),
    {
      op: "createModel", model: "DeviceProject", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer deviceId:text projectId:text")
    },
    createIndex("DeviceProject", "device_project_pair_unique", "deviceId projectId", UNIQUE),
    createIndex("DeviceProject", "device_project_by_projectid", "projectId deviceId"),
    {
      op: "createModel", model: "DeviceOwnership", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer deviceId:text projectId:text? userId:text " +
        "start:integer end:integer?"
      )
    },
    createIndex("DeviceOwnership", "device_ownership_device_created", "deviceId createdAt"),
    createIndex("DeviceOwnership", "device_ownership_user", "userId"),
    createIndex("DeviceOwnership", "device_ownership_project", "projectId"),
    {
      op: "createModel", model: "DevicePosition", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer uuid:text deviceId:text location:json " +
        "transport:text accuracy:text capturedAt:integer"
      )
    },
    createIndex("DevicePosition", "device_position_uuid_unique", "accountId uuid", UNIQUE),
    createIndex("DevicePosition", "device_position_device_captured", "deviceId capturedAt"),
    {
      op: "createModel", model: "Task", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer startedAt:integer? endedAt:integer? " +
        "progressValue:integer endValue:integer createdById:text? launcherId:text? result:json? status:text name:text " +
        "params:json? queueAnswer:json? progressMessage:text? shouldBeKilled:boolean external:boolean"
      )
    },
    createIndex("Task", "task_created_at", "accountId createdAt"),
    createIndex("Task", "task_name", "accountId name"),
    createIndex("Task", "task_status", "accountId status"),
    createIndex("Task", "task_created_by", "createdById"),
    createIndex("Task", "task_launcher", "launcherId"),
    {
      op: "createModel", model: "MatchingAlgorithm", scope: "global",
      columns: columns("id:text version:integer createdAt:integer updatedAt:integer name:text description:text")
    },
    createIndex("MatchingAlgorithm", "matching_algorithm_name", "name"),
    {
      op: "createModel", model: "MatchingAlgorithmProject", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer matchingAlgorithmId:text projectId:text")
    },
    createIndex("MatchingAlgorithmProject", "matching_algorithm_project_pair_unique", "matchingAlgorithmId projectId", UNIQUE),
    createIndex("MatchingAlgorithmProject", "matching_algorithm_project_by_projectid", "projectId matchingAlgorithmId"),
    {
      op: "createModel", model: "AlgorithmRun", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer endedAt:integer? algorithmId:text " +
        "launcherId:text? result:json? finished:boolean version1Id:text? version2Id:text?"
      )
    },
    createIndex("AlgorithmRun", "algorithm_run_algorithm", "algorithmId"),
    createIndex("AlgorithmRun", "algorithm_run_version_1", "version1Id"),
    createIndex("AlgorithmRun", "algorithm_run_version_2", "version2Id"),
    createIndex("AlgorithmRun", "algorithm_run_launcher", "launcherId"),
    {
      op: "createModel", model: "Link", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer destinationId:text? sourceId:text? " +
        "validated:boolean validatorId:text? validationDate:integer? similarityScore:integer? algorithmRunId:text?"
      )
    },
    createIndex("Link", "link_destination", "destinationId"),
    createIndex("Link", "link_source", "sourceId"),
    createIndex("Link", "link_algorithm_run", "algorithmRunId"),
    createIndex("Link", "link_validator", "validatorId"),
    {
      op: "createModel", model: "Form", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text formId:text? uuid:text " +
        "deletedAt:integer? deviceField:text? locationField:text? correlationField:text? correlatable:boolean " +
        "possibleFields:json? periodType:text? singlePerPeriod:boolean periodsBeforeAllowed:integer? periodsAfterAllowed:integer? " +
        "derived:boolean labelKeys:json? legendThreshold:json? changeRequestMode:text nameKey:text?"
      )
    },
    { op: "createIndex", model: "Form", index: { name: "form_form_id_unique", fields: ["accountId", "formId"], unique: true, where: [{ field: "deletedAt", op: "isNull" }] } },
    createIndex("Form", "form_uuid_unique", "uuid", UNIQUE),
    {
      op: "createModel", model: "ProjectForm", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer projectId:text formId:text")
    },
    createIndex("ProjectForm", "project_form_pair_unique", "projectId formId", UNIQUE),
    createIndex("ProjectForm", "project_form_by_formid", "formId projectId"),
    {
      op: "createModel", model: "FormOrgUnitType", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer formId:text orgUnitTypeId:text")
    },
    createIndex("FormOrgUnitType", "form_org_unit_type_pair_unique", "formId orgUnitTypeId", UNIQUE),
    createIndex("FormOrgUnitType", "form_org_unit_type_by_orgunittypeid", "orgUnitTypeId formId"),
    {
      op: "createModel", model: "FormOrgUnitGroup", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer formId:text groupId:text")
    },
    createIndex("FormOrgUnitGroup", "form_org_unit_group_pair_unique", "formId groupId", UNIQUE),
    createIndex("FormOrgUnitGroup", "form_org_unit_group_by_groupid", "groupId formId"),
    {
      op: "createModel", model: "OrgUnitTypeReferenceForm", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer orgUnitTypeId:text formId:text")
    },
    createIndex("OrgUnitTypeReferenceForm", "org_unit_type_reference_form_pair_unique", "orgUnitTypeId formId", UNIQUE),
    createIndex("OrgUnitTypeReferenceForm", "org_unit_type_reference_form_by_formid", "formId orgUnitTypeId"),
    {
      op: "createModel", model: "FormVersion", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer formId:text file:json md5:text xlsFile:json? " +
        "formDescriptor:json? versionId:text startPeriod:text? endPeriod:text? possibleFields:json? createdById:text? " +
        "updatedById:text?"
      )
    },
    createIndex("FormVersion", "form_version_version_id_unique", "formId versionId", UNIQUE),
    createIndex("FormVersion", "form_version_form_created_at", "formId createdAt"),
    {
      op: "createModel", model: "Mapping", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text dataSourceId:text formId:text? " +
        "mappingType:text"
      )
    },
    createIndex("Mapping", "mapping_form_source_type", "formId dataSourceId mappingType"),
    createIndex("Mapping", "mapping_data_source", "dataSourceId"),
    {
      op: "createModel", model: "MappingVersion", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text json:json formVersionId:text " +
        "mappingId:text?"
      )
    },
    createIndex("MappingVersion", "mapping_version_name_unique", "formVersionId name", UNIQUE),
    createIndex("MappingVersion", "mapping_version_mapping", "mappingId"),
    {
      op: "createModel", model: "EntityType", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text code:text? referenceFormId:text? " +
        "isActive:boolean fieldsListView:json? fieldsDetailInfoView:json? fieldsDuplicateSearch:json? " +
        "preventAddIfDuplicateFound:boolean"
      )
    },
    createIndex("EntityType", "entity_type_name_unique", "accountId name", UNIQUE),
    createIndex("EntityType", "entity_type_reference_form", "referenceFormId"),
    {
      op: "createModel", model: "Entity", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text uuid:text entityTypeId:text " +
        "attributesId:text? mergedToId:text? deletedAt:integer?"
      )
    },
    { op: "createIndex", model: "Entity", index: { name: "entity_uuid_live_unique", fields: ["accountId", "uuid"], unique: true, where: [{ field: "deletedAt", op: "isNull" }] } },
    createIndex("Entity", "entity_attributes_unique", "attributesId", UNIQUE),
    createIndex("Entity", "entity_entity_type", "entityTypeId"),
    createIndex("Entity", "entity_merged_to", "mergedToId"),
    {
      op: "createModel", model: "Instance", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer uuid:text? exportId:text? correlationId:text? " +
        "name:text? file:json? fileName:text? json:json? formId:text? formVersionId:text? projectId:text? orgUnitId:text? " +
        "location:json? accuracy:text? deviceId:text? period:text? entityId:text? planningId:text? sourceCreatedAt:integer? " +
        "sourceUpdatedAt:integer? createdById:text? lastModifiedById:text? lastExportSuccessAt:integer? deleted:boolean " +
        "toExport:boolean generalValidationStatus:text"
      )
    },
    createIndex("Instance", "instance_uuid_unique", "accountId uuid", UNIQUE),
    createIndex("Instance", "instance_file_name", "accountId fileName"),
    createIndex("Instance", "instance_form_period_org_unit", "formId period orgUnitId"),
    createIndex("Instance", "instance_org_unit_form", "orgUnitId formId"),
    createIndex("Instance", "instance_period", "accountId period"),
    createIndex("Instance", "instance_project", "projectId"),
    createIndex("Instance", "instance_form_version", "formVersionId"),
    createIndex("Instance", "instance_entity", "entityId"),
    createIndex("Instance", "instance_planning", "planningId"),
    createIndex("Instance", "instance_device", "deviceId"),
    createIndex("Instance", "instance_created_by", "createdById"),
    createIndex("Instance", "instance_created_at", "accountId createdAt"),
    createIndex("Instance", "instance_updated_at", "accountId updatedAt"),
    createIndex("Instance", "instance_source_created_at", "accountId sourceCreatedAt"),
    createIndex("Instance", "instance_source_updated_at", "accountId sourceUpdatedAt"),
    {
      op: "createModel", model: "InstanceFile", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer instanceId:text? name:text? file:json? " +
        "deleted:boolean"
      )
    },
    createIndex("InstanceFile", "instance_file_instance", "instanceId"),
    {
      op: "createModel", model: "InstanceLock", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer instanceId:text lockedAt:integer " +
        "lockedById:text unlockedAt:integer? unlockedById:text? topOrgUnitId:text"
      )
    },
    createIndex("InstanceLock", "instance_lock_instance", "instanceId lockedAt"),
    createIndex("InstanceLock", "instance_lock_top_org_unit", "topOrgUnitId"),
    {
      op: "createModel", model: "ExportRequest", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer params:json? launcherId:text? result:json? " +
        "finished:boolean status:text instanceCount:integer exportedCount:integer erroredCount:integer lastErrorMessage:text " +
        "continueOnError:boolean queuedAt:integer startedAt:integer? endedAt:integer?"
      )
    },
    createIndex("ExportRequest", "export_request_status_queued_at", "accountId status queuedAt"),
    createIndex("ExportRequest", "export_request_launcher", "launcherId"),
    {
      op: "createModel", model: "ExportStatus", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer exportRequestId:text instanceId:text " +
        "mappingVersionId:text status:text lastErrorMessage:text?"
      )
    },
    createIndex("ExportStatus", "export_status_request_status", "exportRequestId status"),
    createIndex("ExportStatus", "export_status_instance", "instanceId"),
    createIndex("ExportStatus", "export_status_mapping_version", "mappingVersionId"),
    {
      op: "createModel", model: "ExportLog", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer sent:json? received:json? httpStatus:integer? " +
        "url:text?"
      )
    },
    {
      op: "createModel", model: "ExportStatusExportLog", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer exportStatusId:text exportLogId:text")
    },
    createIndex("ExportStatusExportLog", "export_status_export_log_pair_unique", "exportStatusId exportLogId", UNIQUE),
    createIndex("ExportStatusExportLog", "export_status_export_log_by_exportlogid", "exportLogId exportStatusId"),
    {
      op: "createModel", model: "Workflow", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer entityTypeId:text uuid:text " +
        "deletedAt:integer?"
      )
    },
    createIndex("Workflow", "workflow_entity_type_unique", "entityTypeId", UNIQUE),
    createIndex("Workflow", "workflow_uuid_unique", "accountId uuid", UNIQUE),
    {
      op: "createModel", model: "WorkflowVersion", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer workflowId:text uuid:text name:text " +
        "status:text autoFirstStep:boolean referenceFormId:text? deletedAt:integer?"
      )
    },
    createIndex("WorkflowVersion", "workflow_version_uuid_unique", "accountId uuid", UNIQUE),
    createIndex("WorkflowVersion", "workflow_version_workflow_status", "workflowId status"),
    createIndex("WorkflowVersion", "workflow_version_reference_form", "referenceFormId"),
    {
      op: "createModel", model: "WorkflowFollowup", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer order:integer condition:json " +
        "workflowVersionId:text"
      )
    },
    createIndex("WorkflowFollowup", "workflow_followup_version_order", "workflowVersionId order"),
    {
      op: "createModel", model: "WorkflowFollowupForm", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer workflowFollowupId:text formId:text")
    },
    createIndex("WorkflowFollowupForm", "workflow_followup_form_pair_unique", "workflowFollowupId formId", UNIQUE),
    createIndex("WorkflowFollowupForm", "workflow_followup_form_by_formid", "formId workflowFollowupId"),
    {
      op: "createModel", model: "WorkflowChange", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer formId:text mapping:json " +
        "workflowVersionId:text"
      )
    },
    createIndex("WorkflowChange", "workflow_change_version_form", "workflowVersionId formId"),
    createIndex("WorkflowChange", "workflow_change_form", "formId"),
    {
      op: "createModel", model: "StorageDevice", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer customerChosenId:text type:text status:text " +
        "statusReason:text? statusComment:text statusUpdatedAt:integer? orgUnitId:text? entityId:text?"
      )
    },
    createIndex("StorageDevice", "storage_device_customer_chosen_id_type_unique", "accountId customerChosenId type", UNIQUE),
    createIndex("StorageDevice", "storage_device_entity_status", "entityId status"),
    createIndex("StorageDevice", "storage_device_org_unit", "orgUnitId"),
    {
      op: "createModel", model: "StorageLogEntry", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer deviceId:text operationType:text " +
        "performedAt:integer performedById:text orgUnitId:text? entityId:text? status:text? statusReason:text? statusComment:text"
      )
    },
    createIndex("StorageLogEntry", "storage_log_entry_device_performed_at", "deviceId performedAt"),
    createIndex("StorageLogEntry", "storage_log_entry_entity", "entityId"),
    createIndex("StorageLogEntry", "storage_log_entry_org_unit", "orgUnitId"),
    createIndex("StorageLogEntry", "storage_log_entry_performed_by", "performedById"),
    {
      op: "createModel", model: "StorageLogEntryInstance", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer storageLogEntryId:text instanceId:text")
    },
    createIndex("StorageLogEntryInstance", "storage_log_entry_instance_pair_unique", "storageLogEntryId instanceId", UNIQUE),
    createIndex("StorageLogEntryInstance", "storage_log_entry_instance_by_instanceid", "instanceId storageLogEntryId"),
    {
      op: "createModel", model: "Team", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text description:text projectId:text " +
        "managerId:text parentId:text? path:text type:text? color:text createdById:text? deletedAt:integer?"
      )
    },
    createIndex("Team", "team_path_unique", "path", UNIQUE),
    createIndex("Team", "team_parent", "parentId"),
    createIndex("Team", "team_project", "projectId"),
    createIndex("Team", "team_manager", "managerId"),
    {
      op: "createModel", model: "TeamUser", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer teamId:text userId:text")
    },
    createIndex("TeamUser", "team_user_pair_unique", "teamId userId", UNIQUE),
    createIndex("TeamUser", "team_user_by_userid", "userId teamId"),
    {
      op: "createModel", model: "Planning", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text description:text projectId:text " +
        "teamId:text orgUnitId:text startedAt:text? endedAt:text? publishedAt:integer? pipelineUuids:json createdById:text? " +
        "deletedAt:integer?"
      )
    },
    createIndex("Planning", "planning_project", "projectId"),
    createIndex("Planning", "planning_team", "teamId"),
    createIndex("Planning", "planning_org_unit", "orgUnitId"),
    {
      op: "createModel", model: "PlanningForm", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer planningId:text formId:text")
    },
    createIndex("PlanningForm", "planning_form_pair_unique", "planningId formId", UNIQUE),
    createIndex("PlanningForm", "planning_form_by_formid", "formId planningId"),
    {
      op: "createModel", model: "PlanningTargetOrgUnitType", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer planningId:text orgUnitTypeId:text")
    },
    createIndex("PlanningTargetOrgUnitType", "planning_target_org_unit_type_pair_unique", "planningId orgUnitTypeId", UNIQUE),
    createIndex("PlanningTargetOrgUnitType", "planning_target_org_unit_type_by_orgunittypeid", "orgUnitTypeId planningId"),
    {
      op: "createModel", model: "Assignment", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer planningId:text? orgUnitId:text? userId:text? " +
        "teamId:text? createdById:text? deletedAt:integer?"
      )
    },
    { op: "createIndex", model: "Assignment", index: { name: "assignment_planning_org_unit_live_unique", fields: ["planningId", "orgUnitId"], unique: true, where: [{ field: "deletedAt", op: "isNull" }] } },
    createIndex("Assignment", "assignment_planning_created_at", "planningId createdAt"),
    createIndex("Assignment", "assignment_org_unit", "orgUnitId"),
    createIndex("Assignment", "assignment_user", "userId"),
    createIndex("Assignment", "assignment_team", "teamId"),
    {
      op: "createModel", model: "Page", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text content:text? " +
        "needsAuthentication:boolean slug:text type:text powerbiGroupId:text? powerbiReportId:text? powerbiDatasetId:text? " +
        "powerbiFilters:json? powerbiLanguage:text? supersetDashboardId:text? supersetDashboardUiConfig:json?"
      )
    },
    createIndex("Page", "page_slug_unique", "accountId slug", UNIQUE),
    {
      op: "createModel", model: "PageUser", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer pageId:text userId:text")
    },
    createIndex("PageUser", "page_user_pair_unique", "pageId userId", UNIQUE),
    createIndex("PageUser", "page_user_by_userid", "userId pageId"),
    {
      op: "createModel", model: "PageUserRole", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer pageId:text userRoleId:text")
    },
    createIndex("PageUserRole", "page_user_role_pair_unique", "pageId userRoleId", UNIQUE),
    createIndex("PageUserRole", "page_user_role_by_userroleid", "userRoleId pageId"),
    {
      op: "createModel", model: "CommentIaso", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer objectModel:text objectPk:text userId:text? " +
        "userName:text userEmail:text userUrl:text comment:text submitDate:integer ipAddress:text? isPublic:boolean " +
        "isRemoved:boolean parentId:text?"
      )
    },
    createIndex("CommentIaso", "comment_iaso_object", "objectModel objectPk submitDate"),
    createIndex("CommentIaso", "comment_iaso_parent", "parentId"),
    createIndex("CommentIaso", "comment_iaso_submit_date", "accountId submitDate"),
    createIndex("CommentIaso", "comment_iaso_user", "userId"),
    {
      op: "createModel", model: "BulkCreateUserCsvFile", scope: "account",
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer file:json createdById:text? " +
        "defaultProfileLanguage:text defaultOrganization:text defaultPermissions:json"
      )
    },
    createIndex("BulkCreateUserCsvFile", "bulk_create_user_csv_file_created_at", "accountId createdAt"),
    createIndex("BulkCreateUserCsvFile", "bulk_create_user_csv_file_created_by", "createdById"),
    {
      op: "createModel", model: "BulkCreateUserCsvFileDefaultProject", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer bulkCreateUserCsvFileId:text projectId:text")
    },
    createIndex("BulkCreateUserCsvFileDefaultProject", "bulk_create_user_csv_file_default_project_pair_unique", "bulkCreateUserCsvFileId projectId", UNIQUE),
    createIndex("BulkCreateUserCsvFileDefaultProject", "bulk_create_user_csv_file_default_project_by_projectid", "projectId bulkCreateUserCsvFileId"),
    {
      op: "createModel", model: "BulkCreateUserCsvFileDefaultUserRole", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer bulkCreateUserCsvFileId:text userRoleId:text")
    },
    createIndex("BulkCreateUserCsvFileDefaultUserRole", "bulk_create_user_csv_file_default_user_role_pair_unique", "bulkCreateUserCsvFileId userRoleId", UNIQUE),
    createIndex("BulkCreateUserCsvFileDefaultUserRole", "bulk_create_user_csv_file_default_user_role_by_userroleid", "userRoleId bulkCreateUserCsvFileId"),
    {
      op: "createModel", model: "BulkCreateUserCsvFileDefaultOrgUnit", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer bulkCreateUserCsvFileId:text orgUnitId:text")
    },
    createIndex("BulkCreateUserCsvFileDefaultOrgUnit", "bulk_create_user_csv_file_default_org_unit_pair_unique", "bulkCreateUserCsvFileId orgUnitId", UNIQUE),
    createIndex("BulkCreateUserCsvFileDefaultOrgUnit", "bulk_create_user_csv_file_default_org_unit_by_orgunitid", "orgUnitId bulkCreateUserCsvFileId"),
    {
      op: "createModel", model: "BulkCreateUserCsvFileDefaultTeam", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer bulkCreateUserCsvFileId:text teamId:text")
    },
    createIndex("BulkCreateUserCsvFileDefaultTeam", "bulk_create_user_csv_file_default_team_pair_unique", "bulkCreateUserCsvFileId teamId", UNIQUE),
    createIndex("BulkCreateUserCsvFileDefaultTeam", "bulk_create_user_csv_file_default_team_by_teamid", "teamId bulkCreateUserCsvFileId")
  ]
}

/** 0003: submission ingestion (an instance's current ODK instance id and period-window flag, per-account counters). */
const m0003: Migration = {
  id: "0003_submission_ingestion",
  steps: [
    { op: "addColumn", model: "Instance", column: { name: "currentUuid", kind: "text", nullable: true } },
    { op: "addColumn", model: "Instance", column: { name: "periodOutsideWindow", kind: "boolean", nullable: true } },
    createIndex("Instance", "instance_current_uuid_unique", "accountId currentUuid", UNIQUE),
    {
      op: "createModel", model: "AccountSequence", scope: "account",
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer name:text value:integer")
    },
    createIndex("AccountSequence", "account_sequence_name_unique", "accountId name", UNIQUE)
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
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer entityTypeId:text entity1Id:text " +
        "entity2Id:text similarity:integer status:text fields:json"
      )
    },
    createIndex("EntityDuplicate", "entity_duplicate_pair_unique", "accountId entity1Id entity2Id", UNIQUE),
    createIndex("EntityDuplicate", "entity_duplicate_type_status", "entityTypeId status"),
    createIndex("EntityDuplicate", "entity_duplicate_entity2", "entity2Id")
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
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer uuid:text orgUnitId:text kind:text " +
        "status:text newParentId:text? newName:text? newOrgUnitTypeId:text? newLocation:json? newGeom:json? newOpeningDate:text? " +
        "newClosedDate:text? newGroupIds:json? newReferenceInstanceIds:json? requestedFields:json approvedFields:json " +
        "createdById:text? reviewedById:text? reviewedAt:integer? rejectionComment:text?"
      )
    },
    createIndex("OrgUnitChangeRequest", "org_unit_change_request_uuid_unique", "accountId uuid", UNIQUE),
    createIndex("OrgUnitChangeRequest", "org_unit_change_request_org_unit", "orgUnitId"),
    createIndex("OrgUnitChangeRequest", "org_unit_change_request_status", "accountId status"),
    {
      op: "createModel", model: "OrgUnitReferenceInstance", scope: "account", keyedByAccount: true,
      columns: columns("id:text accountId:text version:integer createdAt:integer updatedAt:integer orgUnitId:text formId:text instanceId:text")
    },
    {
      op: "createIndex",
      model: "OrgUnitReferenceInstance",
      index: { name: "org_unit_reference_instance_unit_form_unique", fields: ["accountId", "orgUnitId", "formId"], unique: true }
    },
    createIndex("OrgUnitReferenceInstance", "org_unit_reference_instance_instance", "instanceId")
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
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer kind:text entry:json status:text " +
        "attempts:integer rejection:json? lastAttemptAt:integer?"
      )
    },
    createIndex("SyncOutboxEntry", "sync_outbox_status", "accountId status"),
    {
      op: "createModel", model: "SyncCursor", scope: "account", keyedByAccount: true,
      columns: columns(
        "id:text accountId:text version:integer createdAt:integer updatedAt:integer projectId:text cursor:text " +
        "completedAt:integer?"
      )
    },
    createIndex("SyncCursor", "sync_cursor_project_unique", "accountId projectId", UNIQUE)
  ]
}

/**
 * 0014: a device's outbox entries and pull cursors belong to the user who made them (a device may
 * be shared): an owner column on both, the outbox listed by owner and status, one cursor per
 * project and owner.
 */
const m0014: Migration = {
  id: "0014_sync_owner",
  steps: [
    { op: "addColumn", model: "SyncOutboxEntry", column: { name: "ownerId", kind: "text", nullable: true } },
    createIndex("SyncOutboxEntry", "sync_outbox_owner_status", "accountId ownerId status"),
    { op: "addColumn", model: "SyncCursor", column: { name: "ownerId", kind: "text", nullable: true } },
    { op: "dropIndex", model: "SyncCursor", name: "sync_cursor_project_unique" },
    createIndex("SyncCursor", "sync_cursor_project_owner_unique", "accountId projectId ownerId", UNIQUE)
  ]
}

/** Every migration of the SDK, in order. */
export const CORE_MIGRATIONS: ReadonlyArray<Migration> = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0010, m0011, m0012, m0013, m0014]
