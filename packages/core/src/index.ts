/**
 * `@iaso/core`: the IASO domain as Effect Schemas, pure domain services, the store port and the
 * in-memory store.
 * @document ../README.md
 * @module @iaso/core
 */

// shared kernel
export { AccountId, entityId, isUuid, Uuid, uuidv7, uuidv7Millis } from "./shared/ids.ts"
export {
  AccountFeatureFlagId,
  AlgorithmRunId,
  AssignmentId,
  AuditEntryId,
  BulkCreateUserCsvFileId,
  CommentId,
  DataRecordId,
  DataSourceId,
  DeviceId,
  DeviceOwnershipId,
  DevicePositionId,
  EntityDuplicateId,
  EntityId,
  EntityTypeId,
  ExportLogId,
  ExportRequestId,
  ExportStatusId,
  ExternalCredentialsId,
  FeatureFlagId,
  FormId,
  FormVersionId,
  GroupId,
  GroupSetId,
  ImportGPKGId,
  InstanceFileId,
  InstanceId,
  InstanceLockId,
  LinkId,
  LinkRecordId,
  MappingId,
  MappingVersionId,
  MatchingAlgorithmId,
  OrgUnitId,
  OrgUnitTypeId,
  PageId,
  PlanningId,
  ProfileId,
  ProjectId,
  RecordTypeId,
  SourceVersionId,
  StorageDeviceId,
  StorageLogEntryId,
  TaskId,
  TeamId,
  UserId,
  UserRoleId,
  WorkflowChangeId,
  WorkflowFollowupId,
  WorkflowId,
  WorkflowVersionId
} from "./shared/entity-ids.ts"
export {
  AlreadyExists,
  Conflict,
  Forbidden,
  type IasoError,
  Interrupted,
  NotFound,
  StorageError,
  StorageErrorReason,
  Unsupported,
  ValidationError,
  ValidationIssue,
  VersionConflict
} from "./shared/errors.ts"
export { DateOnly, EpochMillis, fromMobileTimestamp, Instant, isCalendarDate, isInstant, MAX_INSTANT_MS, MIN_INSTANT_MS, now } from "./shared/time.ts"
export { accuracyOf, compareDecimals, decimalOf, DecimalString, MAX_ACCURACY, roundHalfUp } from "./shared/decimal.ts"
export { compareCodePoints, foldKey, hasNoNul, NonBlankText, NonBlankTextMax, Text, TextMax, textProblem } from "./shared/text.ts"
export { admitJson, Json, JsonObject, JsonValue, nestingLimitOf, RecordJson, TOO_DEEP_MESSAGE } from "./shared/json.ts"
export {
  checkJsonLogic,
  CURRENT_TIME,
  isNoCondition,
  JSON_LOGIC_OPERATORS,
  type JsonLogicOperator,
  type JsonLogicOptions,
  jsonLogicTruthy,
  jsonLogicVariables,
  MAX_JSON_LOGIC_NODES,
  MAX_JSON_LOGIC_STEPS
} from "./shared/json-logic.ts"
export { checkImportUnits, DEFAULT_MAX_IMPORT_UNITS, MAX_HIERARCHY_DEPTH, MAX_JSON_DEPTH, tooDeepMessage } from "./shared/limits.ts"
export {
  boundingBox,
  type BoundingBox,
  boxContainsPoint,
  boxesIntersect,
  centroid,
  countPositions,
  defaultSimplificationTolerance,
  EARTH_RADIUS_METERS,
  GeoLinearRing,
  GeoMultiPolygon,
  GeoMultiPolygonInput,
  GeoPoint,
  GeoPolygon,
  GeoPolygonRings,
  GeoPosition,
  haversineMeters,
  pointInMultiPolygon,
  simplifyMultiPolygon
} from "./shared/geometry.ts"
export { BlobRef, BlobStore, sha256Hex } from "./shared/blob.ts"
export {
  type AccessDecl,
  type AnyModel,
  type Column,
  columnKind,
  type ColumnKind,
  columnOf,
  defineModel,
  type DerivedDecl,
  type EncodedOf,
  type HierarchyDecl,
  type IndexDecl,
  kindProblem,
  metaOf,
  type Model,
  type ModelMeta,
  type OnDelete,
  type PublicRecordOf,
  type RecordOf,
  RecordVersion,
  type ReferenceDecl,
  type Row,
  type RowScopeDecl,
  type SecretOf,
  SYSTEM_FIELDS,
  withoutSecrets
} from "./shared/model.ts"
export { defineLink, type LinkEnd } from "./shared/links.ts"
export {
  type Condition,
  type Direction,
  disjointPrefixes,
  type Operator,
  OPERATORS,
  type OrderBy,
  prefixUpperBound,
  type Scalar,
  type StoreQuery
} from "./shared/query.ts"
export {
  type Change,
  type InspectedRow,
  type Migration,
  type MigrationStep,
  type PrefixRewrite,
  Store,
  type StoreCapabilities,
  type StoreDriver,
  type StoreScope,
  type SubtreeLocks,
  type SubtreeStart,
  type WriteOp,
  type WriteOutcome
} from "./shared/store.ts"
export { compareRows, compareScalars, isAfter, matchesAll, matchesCondition, project, runQuery, type TextOrder, uniqueKeyOf } from "./shared/engine.ts"
export { serializedStoreOps } from "./shared/serialized-store-ops.ts"
export { decodeRows, type EncodedRows, encodeRows } from "./shared/encoded-rows.ts"
export { createModelSteps, declaredSchema, foldMigrations, foldStep, type ModelSchema } from "./shared/schema-folding.ts"
export { abortable, longOperation, type LongOperationOptions, type Progress, progressReporter, type ProgressReporter } from "./shared/progress.ts"
export { type MigrationHooks, newerStore, runMigrations, unknownMigrations } from "./shared/migration-runner.ts"
export {
  allPages,
  applyPatch,
  type BulkItem,
  type BulkResult,
  type ChangesPage,
  chunksOf,
  codecOf,
  compileWhere,
  type CreateInput,
  eachItem,
  type FieldCondition,
  findIn,
  IN_CHUNK,
  listAll,
  type Listed,
  type ListOptions,
  makeRepositories,
  type ModelCodec,
  type NoListOptions,
  PAGE_SIZE,
  type PageOptions,
  type Patch,
  type Repositories,
  type ResultPage,
  reverseReferences,
  scopeOf,
  type WholeSetOptions,
  type WriteError,
  type WriteOptions
} from "./shared/repository.ts"
export { fingerprint } from "./shared/cursor.ts"

// tenancy
export { GROUP_READ, ORG_UNIT_READ, Permission, PERMISSIONS, SOURCE_READ } from "./tenancy/permissions.ts"
export { Account, ACCOUNT_MODULES, AccountModel, AccountModule, AccountUser, AccountUserModel } from "./tenancy/account.ts"
export {
  AccountFeatureFlag,
  AccountFeatureFlagGrant,
  AccountFeatureFlagGrantModel,
  AccountFeatureFlagModel,
  FEATURE_FLAG_CATEGORIES,
  FeatureFlag,
  FeatureFlagCategory,
  FeatureFlagModel,
  ProjectFeatureFlag,
  ProjectFeatureFlagModel
} from "./tenancy/feature-flags.ts"
export { HexColor, Project, ProjectModel } from "./tenancy/project.ts"
export {
  Profile,
  ProfileEditableOrgUnitType,
  ProfileEditableOrgUnitTypeModel,
  ProfileModel,
  ProfileOrgUnit,
  ProfileOrgUnitModel,
  ProfileProject,
  ProfileProjectModel,
  ProfileUserRole,
  ProfileUserRoleModel,
  User,
  UserModel,
  UserRole,
  UserRoleEditableOrgUnitType,
  UserRoleEditableOrgUnitTypeModel,
  UserRoleModel
} from "./tenancy/users.ts"
export { Actor, CurrentActor, mayEditType, ownerKey, requireAny } from "./tenancy/actor.ts"

// registry
export { VALIDATION_STATUSES, ValidationStatus } from "./registry/validation-status.ts"
export {
  DataSource,
  DataSourceModel,
  ExternalCredentials,
  ExternalCredentialsModel,
  ProjectDataSource,
  ProjectDataSourceModel,
  SourceVersion,
  SourceVersionModel
} from "./registry/sources.ts"
export {
  ORG_UNIT_TYPE_CATEGORIES,
  OrgUnitType,
  OrgUnitTypeCategory,
  OrgUnitTypeCreatableSubType,
  OrgUnitTypeCreatableSubTypeModel,
  OrgUnitTypeModel,
  OrgUnitTypeProject,
  OrgUnitTypeProjectModel,
  OrgUnitTypeSubType,
  OrgUnitTypeSubTypeModel
} from "./registry/org-unit-type.ts"
export { OrgUnit, OrgUnitModel, OrgUnitPath, PATH_SEPARATOR } from "./registry/org-unit.ts"
export {
  SAMPLE_PYRAMID_SHAPES,
  SAMPLE_UNIT_TYPES,
  samplePyramid,
  samplePyramidCount,
  type SamplePyramidSize,
  type SampleUnit,
  type SampleUnitType
} from "./registry/sample-pyramid.ts"
export {
  Group,
  GroupBelonging,
  GroupModel,
  GroupSet,
  GroupSetGroup,
  GroupSetGroupModel,
  GroupSetModel,
  OrgUnitGroupMembership,
  OrgUnitGroupMembershipModel
} from "./registry/groups.ts"
export { ImportGPKG, ImportGPKGModel } from "./registry/import-gpkg.ts"
export { type NearestOrgUnit, type OrgUnitCreate, type OrgUnitPatch, OrgUnits, type OrgUnitSearch } from "./registry/org-units-service.ts"
export { cleanDhis2Url, type DataSourceCreate, Sources } from "./registry/sources-service.ts"
export { Credentials, credentialsAreValid, type CredentialsUpdate, type CredentialsView } from "./registry/credentials-service.ts"
export { defaultShortName, type OrgUnitTypeCreate, OrgUnitTypes, type OrgUnitTypeTree } from "./registry/org-unit-types-service.ts"
export { type GroupCreate, type GroupPatch, Groups, type GroupSetCreate } from "./registry/groups-service.ts"
export type { PyramidImportOptions, PyramidImportResult, PyramidInput, PyramidMessages, PyramidSource, PyramidUnit } from "./registry/pyramid-import.ts"
export {
  chunkWriter,
  encodeChunk,
  type EncodedChunk,
  type EncodeRequest,
  ImportEncoder,
  type ImportEncoderService,
  importRecords,
  type ImportRecordsOptions,
  type InsertChunksOptions,
  inThreadImportEncoder,
  type WrittenChunk
} from "./registry/import-encoder.ts"
export type { Dhis2ImportOptions, Dhis2ImportResult, Dhis2ParsedPyramid, Dhis2Payload, Dhis2Warning } from "./registry/dhis2-import.ts"
export type { GeoJsonImportOptions, PyramidFeature, PyramidFeatureCollection, PyramidFeatureProperties } from "./registry/geojson.ts"
export { importDhis2Pyramid, importGeoJsonPyramid, importPyramid, PyramidImports } from "./registry/pyramid-imports-service.ts"
export type { VersionCopyInput, VersionCopyResult } from "./registry/version-copy.ts"
export {
  DIFF_FIELDS,
  type DiffedOrgUnit,
  type DiffField,
  type DiffGroup,
  type DiffValue,
  type FieldComparison,
  type FieldDiffStatus,
  type OrgUnitDiff,
  type OrgUnitDiffStatus,
  type VersionDiff,
  type VersionDiffInput
} from "./registry/version-diff-types.ts"
export { Versions } from "./registry/versions-service.ts"
export {
  jaroWinkler,
  type MatchedPair,
  Matching,
  MATCHING_ALGORITHMS,
  MATCHING_CATALOGUE,
  MATCHING_MAX_DISTANCE_METERS,
  type MatchingAlgorithmName,
  matchingName,
  type MatchingPhase,
  type MatchingRunInput,
  type MatchingRunResult,
  matchPyramids,
  type MatchUnit,
  NAME_SIMILARITY_THRESHOLD
} from "./registry/matching-service.ts"
export {
  CHANGE_REQUEST_FIELDS,
  CHANGE_REQUEST_REVIEW,
  ChangeRequestField,
  ChangeRequestKind,
  ChangeRequestStatus,
  OrgUnitChangeRequest,
  OrgUnitChangeRequestId,
  OrgUnitChangeRequestModel,
  OrgUnitReferenceInstance,
  OrgUnitReferenceInstanceId,
  OrgUnitReferenceInstanceModel
} from "./registry/change-request.ts"
export { type OrgUnitChangeRequestCreate, OrgUnitChangeRequests, type OrgUnitChangeRequestSearch } from "./registry/change-requests-service.ts"
export { checksumBuilder, differingModels, type ModelChecksum, recordHash, type SyncChecksums } from "./sync/checksum.ts"
export {
  MAX_ENTRY_ITEMS,
  MAX_LIST_ITEMS,
  MAX_PUSH_ENTRIES,
  MAX_RECONCILE_HELD,
  MAX_RECONCILE_PUTS,
  ModelChecksumSchema,
  PullPage,
  PullRequest,
  PushAck,
  PushAnswer,
  PushAttachment,
  PushAttachmentInline,
  PushAttachmentRef,
  PushChangeRequest,
  PushEntry,
  type PushKind,
  PushPosition,
  PushRequest,
  PushStorageLog,
  PushSubmission,
  ReconcileAnswer,
  ReconcileRequest,
  SyncChange,
  SyncPut,
  SyncRemove
} from "./sync/sync-wire.ts"
export { DEVICE_SYNC_SET, type SyncedModel, type SyncScopeContext, type SyncSet } from "./sync/sync-set.ts"
export {
  OUTBOX_STATUSES,
  OutboxStatus,
  type SyncCursor,
  SyncCursorId,
  SyncCursorModel,
  type SyncOutboxEntry,
  SyncOutboxEntryId,
  SyncOutboxEntryModel
} from "./sync/sync-models.ts"
export { DEFAULT_PULL_LIMIT, Sync, type SyncPushContext, type SyncReadError } from "./sync/sync-server.ts"
export {
  type OutboxInput,
  type OutboxItem,
  promiseSyncTransport,
  type PullReport,
  type PushReport,
  reconcileRanges,
  SyncClient,
  type SyncError,
  type SyncOptions,
  type SyncTransport,
  SyncTransportError
} from "./sync/sync-client.ts"
export { answerSync, httpSyncTransport, type HttpSyncTransportOptions, type SyncHttpAnswer, type SyncRoute } from "./sync/sync-http.ts"
export type { ApplyCounts } from "./sync/sync-apply.ts"

// records, audit
export { DataRecord, DataRecordModel, RecordType, RecordTypeModel, RecordTypeProject, RecordTypeProjectModel, RecordValue } from "./records/record.ts"
export { AuditEntry, AuditEntryModel } from "./audit/audit-entry.ts"

// the rest of the model
export {
  Device,
  DEVICE_ACCESS,
  DEVICE_TRANSPORTS,
  DeviceModel,
  DeviceOwnership,
  DeviceOwnershipModel,
  DevicePosition,
  DevicePositionModel,
  DevicePositionPoint,
  DeviceProject,
  DeviceProjectModel,
  DeviceTransport
} from "./devices/devices.ts"
export { Devices, type DeviceWithOwner, type PositionInput, type PositionsPost, type PositionsResult } from "./devices/devices-service.ts"
export { ALIVE_TASK_STATUSES, Task, TASK_STATUSES, TaskModel, TaskStatus } from "./tasks/task.ts"
export {
  BUILTIN_TASK_KINDS,
  defineTaskKind,
  DHIS2_EXPORT_TASK,
  DHIS2_IMPORT_TASK,
  GEOJSON_IMPORT_TASK,
  INGEST_MANY_TASK,
  MOBILE_BULK_UPLOAD_TASK,
  type TaskKind,
  taskKindMap,
  TaskKinds,
  type TaskWorkContext,
  VERSION_COPY_TASK
} from "./tasks/task-kinds.ts"
export { memoryTaskProgressBoard, TaskProgressBoard, type TaskProgressBoardService, type TaskProgressReport, withLiveProgress } from "./tasks/task-progress.ts"
export {
  abandonTask,
  executeTask,
  type ExecuteTaskOptions,
  type InProcessRunnerOptions,
  INTERRUPTED_TASK_MESSAGE,
  stopRunningTask,
  type TaskRunContext,
  TaskRunner,
  type TaskRunOutcome,
  Tasks,
  type TaskSearch
} from "./tasks/tasks-service.ts"
export {
  AlgorithmRun,
  AlgorithmRunModel,
  Link,
  LinkModel,
  MatchingAlgorithm,
  MatchingAlgorithmModel,
  MatchingAlgorithmProject,
  MatchingAlgorithmProjectModel
} from "./registry/matching.ts"
export {
  AllowedPeriodCount,
  Form,
  FORM_CHANGE_REQUEST_MODES,
  FormChangeRequestMode,
  FormLabelKeys,
  FormModel,
  FormOrgUnitGroup,
  FormOrgUnitGroupModel,
  FormOrgUnitType,
  FormOrgUnitTypeModel,
  OrgUnitTypeReferenceForm,
  OrgUnitTypeReferenceFormModel,
  PERIOD_TYPES,
  PeriodType,
  ProjectForm,
  ProjectFormModel
} from "./forms/form.ts"
export { FormVersion, FormVersionModel, Md5Hex } from "./forms/form-version.ts"
export {
  EVENT_DATE_SOURCES,
  EventDateSource,
  Mapping,
  MAPPING_TYPES,
  MappingModel,
  MappingType,
  MappingVersion,
  MappingVersionModel,
  QUESTION_MAPPING_MULTIPLE,
  QUESTION_MAPPING_NEVER_MAPPED
} from "./forms/mapping.ts"
export {
  type DescribedQuestion,
  type DescriptorLabel,
  type DescriptorNode,
  fieldsByPath,
  type FormDescriptor,
  formPossibleFields,
  type PossibleField,
  questionsByName,
  questionsByPath,
  repeatNames,
  stripHtml,
  versionPossibleFields
} from "./forms/descriptor.ts"
export {
  allowedPeriods,
  comparePeriods,
  detectPeriodType,
  formatPeriod,
  isoWeeksInYear,
  isPeriodAllowed,
  makePeriod,
  nextPeriod,
  parsePeriod,
  parsePeriodOfType,
  type Period,
  periodContains,
  periodOf,
  periodRange,
  type PeriodRange,
  periodsBetween,
  type PeriodSettings,
  previousPeriod
} from "./forms/periods.ts"
export type { CellValue, Sheet, Workbook } from "./forms/xlsx.ts"
export { FORM_LIMITS, type FormLimits } from "./forms/limits.ts"
export type { ParsedXlsForm } from "./forms/xlsform.ts"
export type { ParsedXForm } from "./forms/xform.ts"
export { md5Hex } from "./forms/md5.ts"
export { INVALID_VERSION, resolveVersionId, TOO_MANY_VERSIONS, utcDayStamp, VERSION_NOT_GREATER } from "./forms/version-id.ts"
export {
  checkPeriodSettings,
  type DeletedFilter,
  FORM_AUDIT_SOURCE,
  type FormCreate,
  type FormLinks,
  type FormListOptions,
  FormMessages,
  type FormPatch,
  formPossibleFieldsFromVersions,
  Forms
} from "./forms/forms-service.ts"
export {
  diffQuestions,
  fileSlug,
  FormVersionMessages,
  type FormVersionPeriods,
  type FormVersionPreview,
  FormVersions,
  type FormVersionUpload,
  type ModifiedQuestion,
  type PreviewQuestion,
  XFORM_MEDIA_TYPE,
  XLSX_MEDIA_TYPE
} from "./forms/form-versions-service.ts"
export {
  Entity,
  ENTITY_DUPLICATE_STATUSES,
  EntityDuplicate,
  EntityDuplicateModel,
  EntityDuplicateStatus,
  EntityModel,
  EntityType,
  EntityTypeModel,
  QuestionNameList
} from "./entities/entity.ts"
export {
  bestEntity,
  type EntityChoice,
  type EntityKey,
  entityUploadScore,
  findEntitiesForUpload,
  findEntityForUpload,
  MAX_MERGE_CHAIN
} from "./entities/entity-find.ts"
export {
  ENTITY_TYPE_AUDIT_SOURCE,
  ENTITY_TYPE_NAME_REQUIRED,
  entityTypeCode,
  type EntityTypeCreate,
  EntityTypes,
  type EntityTypeUpdate,
  referencePossibleFields,
  selectPossibleFields
} from "./entities/entity-types-service.ts"
export {
  answersSimilarity,
  DUPLICATE_THRESHOLD,
  Entities,
  type EntityCreate,
  type EntityListItem,
  EntityMessages,
  type EntityReadError,
  type EntitySearch,
  type MobileEntitiesOptions,
  type MobileEntity,
  type MobileEntityInstance,
  type MobileEntityType
} from "./entities/entities-service.ts"
export {
  BigIntDigits,
  Dhis2Uid,
  GENERAL_VALIDATION_STATUSES,
  GeneralValidationStatus,
  Instance,
  INSTANCE_STATUSES,
  InstanceAccuracy,
  InstanceFile,
  InstanceFileModel,
  InstanceLock,
  InstanceLockModel,
  InstanceModel,
  InstanceStatus,
  SUBMISSION_PERMISSIONS
} from "./submissions/instance-model.ts"
export {
  ALIVE_EXPORT_STATUSES,
  EXPORT_STATUS_TYPES,
  ExportLog,
  ExportLogModel,
  ExportRequest,
  ExportRequestModel,
  ExportStatus,
  ExportStatusExportLog,
  ExportStatusExportLogModel,
  ExportStatusModel,
  ExportStatusType
} from "./submissions/export.ts"
export {
  ALWAYS_ALLOWED_PATHS,
  flattenSubmission,
  stripUuidPrefix,
  type SubmissionDocument,
  submissionFilter,
  type SubmissionFilter
} from "./submissions/odk-xml.ts"
export {
  AccountSequence,
  AccountSequenceId,
  AccountSequenceModel,
  nextSequenceValue,
  reserveSequenceValues,
  SEQUENCE_BLOCK,
  takeSequenceValue,
  takeSequenceValues
} from "./submissions/sequence.ts"
export {
  type BulkUploadFiles,
  type BulkUploadInstance,
  type BulkUploadLimits,
  CORRELATION_SEQUENCE,
  correlationIdOf,
  type ForeignIds,
  geopointOf,
  INGEST_BATCH,
  INGEST_SOURCE,
  type IngestError,
  type IngestItem,
  type IngestResult,
  INSTANCE_API_SOURCE,
  type InstanceReadError,
  Instances,
  type InstanceSearch,
  type InstanceWithStatus,
  type InstanceWriteError,
  type MobileBulkUploadError,
  type MobileBulkUploadOptions,
  type MobileBulkUploadResult,
  type StatusCounts,
  type SubmissionAttachment,
  type SubmissionInput,
  type SubmissionLocation,
  type ZipLimits
} from "./submissions/instances-service.ts"
export { BULK_UPLOAD_LIMITS, mediaTypeOf, readBulkUpload } from "./submissions/bulk-archive.ts"
export {
  Workflow,
  WORKFLOW_VERSION_STATUSES,
  WorkflowChange,
  WorkflowChangeModel,
  WorkflowFollowup,
  WorkflowFollowupForm,
  WorkflowFollowupFormModel,
  WorkflowFollowupModel,
  WorkflowModel,
  WorkflowVersion,
  WorkflowVersionModel,
  WorkflowVersionStatus
} from "./entities/workflow.ts"
export {
  checkCondition,
  checkMapping,
  checkVersionName,
  copyName,
  DEFAULT_VERSION_NAME,
  type FieldOfForm,
  fieldsOfForm,
  isWorkflowVersionStatus,
  MAX_VERSION_NAME,
  transition,
  WORKFLOW_AUDIT_SOURCE,
  WorkflowMessages
} from "./entities/workflow-rules.ts"
export type { FollowUp } from "./entities/workflow-store.ts"
export type { WorkflowVersionCreate, WorkflowVersionDetail, WorkflowVersionPatch, WorkflowVersionSearch } from "./entities/workflow-versions.ts"
export type { ChangeInput, FollowUpInput, FollowUpUpdate } from "./entities/workflow-steps.ts"
export type { MobileWorkflow, MobileWorkflows, NextFollowUp } from "./entities/workflow-evaluate.ts"
export { WorkflowExport, type WorkflowImportResult } from "./entities/workflow-transfer.ts"
export { type AppliedWorkflowChange, applyWorkflowChanges, applyWorkflowChangesWith, WORKFLOW_CHANGE_AUDIT_SOURCE } from "./entities/workflow-apply.ts"
export { Workflows } from "./entities/workflows-service.ts"
export {
  BULK_USER_LANGUAGES,
  BulkUserCreation,
  BulkUserCreationError,
  type BulkUserCreationFailure,
  type BulkUserCreationOptions,
  type BulkUserCreationResult,
  type BulkUserDefaults,
  BulkUserRowError,
  MAX_BULK_USER_CELL_ITEMS,
  MAX_BULK_USER_FILE_BYTES,
  MAX_BULK_USER_ROWS
} from "./users/bulk-user-creation.ts"
export {
  type ProfileFields,
  profileLinkRows,
  publicUser,
  type PublicUser,
  type UserCreateInput,
  type UserListOptions,
  usernameTaken,
  type UserPatch,
  Users,
  type UserWithProfile
} from "./users/users-service.ts"
export { BULK_USER_COLUMNS, type BulkUserColumn, hashPassword, PASSWORD_HASH_ITERATIONS, verifyPassword } from "./users/bulk-csv.ts"
export {
  type Dhis2Target,
  MAPPING_AUDIT_SOURCE,
  MappingMessages,
  Mappings,
  type MappingVersionCreate,
  type MappingVersionDetail,
  type MappingVersionPatch,
  type MappingVersionSearch
} from "./dhis2/mappings-service.ts"
export { type ExportRequestDetail, type ExportRequestInput, type ExportRunError, type ExportRunInput, Exports } from "./dhis2/exports-service.ts"
export {
  AggregateMappingJson,
  AggregateQuestionMapping,
  Aggregation,
  AggregationType,
  checkMappingJson,
  DataElementMapping,
  DerivedMappingJson,
  EventMappingJson,
  EventQuestionMapping,
  EventTrackerMappingJson,
  MultipleMapping,
  NeverMapped,
  TrackerAttribute,
  TrackerDataElement,
  TrackerItem,
  TrackerQuestionMapping,
  TrackerRepeat,
  WhereClause
} from "./dhis2/mapping-json.ts"
export { copyMappingJson, copyMappingVersions, keepsQuestionKey, mappableQuestions, type MappableQuestions } from "./dhis2/mapping-copy.ts"
export { computeDerivedValues, type DerivedValues, type SubmissionAnswers } from "./dhis2/derived-values.ts"
export {
  type Dhis2ElementMapping,
  type Dhis2Option,
  type Dhis2Value,
  Dhis2ValueFormatError,
  formatDhis2Value,
  type ValueFormatContext
} from "./dhis2/value-format.ts"
export {
  dataValueSetErrors,
  dhis2ApiUrl,
  type Dhis2Connection,
  type Dhis2Exchange,
  Dhis2Fetch,
  Dhis2Unreachable,
  eventErrors,
  getFromDhis2,
  MissingDhis2Credentials,
  sendToDhis2
} from "./dhis2/export-dhis2-client.ts"
export {
  aggregateEntry,
  completeRegistrationsPayload,
  type DataSetEntry,
  dataValueSetPayload,
  type Dhis2DataValue,
  type Dhis2Event,
  eventOf,
  eventPayload,
  type ExportedSubmission,
  type MappingProblem,
  mappingProblemLines,
  usesTrackerApi
} from "./dhis2/export-payloads.ts"
export { EXPORT_PAGE_SIZE, pageErrorMessage, type PageOutcome, pagePrefix, sendAggregatePage, sendEventPage } from "./dhis2/export-page.ts"
export {
  type ExportCandidate,
  type ExportCounters,
  exportExclusion,
  type ExportExclusion,
  type ExportPlanError,
  finalExportStatus,
  isStaleQueuedExport,
  NoFormMappingError,
  NothingToExportError,
  NotSupportedError,
  NoVersionError,
  planExportStatuses,
  type PlannedMappingVersion,
  type PlannedStatus,
  type PlannedSubmission,
  STALE_QUEUED_EXPORT_MS,
  submissionVersion,
  tallyPage
} from "./dhis2/export-plan.ts"
export type { ExportItem, ExportItemOutcome, ExportRunOptions, ExportRunResult } from "./dhis2/export-run.ts"
export { INSTANT_EXPORT, INSTANT_EXPORT_CACHE_MS, instantExportLayer } from "./dhis2/instant-export.ts"
export { sendTrackedEntity, type TrackedAttribute, trackedEntityOf, type TrackedEntityOutcome, type TrackedEntityPayload } from "./dhis2/export-tracker.ts"
export {
  STORAGE_OPERATION_TYPES,
  STORAGE_STATUS_REASONS,
  STORAGE_STATUSES,
  STORAGE_TYPES,
  StorageDevice,
  StorageDeviceModel,
  StorageLogEntry,
  StorageLogEntryInstance,
  StorageLogEntryInstanceModel,
  StorageLogEntryModel,
  StorageOperationType,
  StorageStatus,
  StorageStatusReason,
  StorageType
} from "./storage/storage.ts"
export {
  type BlacklistedStorage,
  profileWrittenPrefix,
  type StatusChange,
  STORAGE_PERMISSION,
  storageIdHex,
  type StorageLogImportContext,
  type StorageLogImportResult,
  type StorageLogInput,
  type StorageLogItem,
  type StorageLogSearch,
  StorageMessages,
  type StorageReadError,
  type StorageRef,
  Storages,
  type StorageSearch
} from "./storage/storages-service.ts"
export { Team, TEAM_TYPES, TeamModel, TeamPath, TeamType, TeamUser, TeamUserModel } from "./planning/team.ts"
export {
  Assignment,
  AssignmentModel,
  PipelineUuids,
  Planning,
  PlanningForm,
  PlanningFormModel,
  PlanningModel,
  PlanningTargetOrgUnitType,
  PlanningTargetOrgUnitTypeModel
} from "./planning/planning.ts"
export { ASSIGNMENT_AUDIT_SOURCE, DEFAULT_TEAM_COLOR, PLANNING_AUDIT_SOURCE, PlanningMessages, TEAM_AUDIT_SOURCE } from "./planning/planning-rules.ts"
export { DeletionStatus, normaliseTeamColor, TeamCreate, type TeamDetail, Teams, TeamSearch, teamsWithMembers, TeamUpdate } from "./planning/teams-service.ts"
export {
  type DaysAsText,
  type MobileAssignment,
  type MobilePlanning,
  PlanningCreate,
  type PlanningDetail,
  Plannings,
  PlanningSearch,
  PlanningUpdate,
  PublishingStatus
} from "./planning/plannings-service.ts"
export {
  AssignmentBulkCreate,
  AssignmentBulkDelete,
  type AssignmentBulkDeleteResult,
  AssignmentCreate,
  Assignments,
  AssignmentSearch,
  AssignmentUpdate
} from "./planning/assignments-service.ts"
export { Page, PAGE_TYPES, PageModel, PageSlug, PageType, PageUser, PageUserModel, PageUserRole, PageUserRoleModel } from "./pages/page.ts"
export { type PageCreate, type PageDetail, Pages, type PageUpdate } from "./pages/pages-service.ts"
export { CommentIaso, CommentIasoModel, IpAddress } from "./comments/comment.ts"
export { type CommentCreate, Comments, type CommentThread } from "./comments/comments-service.ts"
export {
  BulkCreateUserCsvFile,
  BulkCreateUserCsvFileDefaultOrgUnit,
  BulkCreateUserCsvFileDefaultOrgUnitModel,
  BulkCreateUserCsvFileDefaultProject,
  BulkCreateUserCsvFileDefaultProjectModel,
  BulkCreateUserCsvFileDefaultTeam,
  BulkCreateUserCsvFileDefaultTeamModel,
  BulkCreateUserCsvFileDefaultUserRole,
  BulkCreateUserCsvFileDefaultUserRoleModel,
  BulkCreateUserCsvFileModel
} from "./users/bulk-create-user-csv-file.ts"

// models, migrations, services, stores
export { ALL_MODELS, modelByName, type ModelName, MODELS } from "./models.ts"
export { CORE_MIGRATIONS } from "./core-migrations.ts"
export type { ServiceWriteError } from "./kernel/repos.ts"
export { audit, publicEncoding } from "./kernel/audit.ts"
export { makeRowAccess, mayRead, requireUnrestricted, type RowAccess } from "./kernel/row-access.ts"
export { guardGenericWrite, refuseComputed } from "./kernel/write-policy.ts"
export { Records } from "./kernel/records.ts"
export { Accounts, type AccountSetup } from "./tenancy/accounts-service.ts"
export {
  type FeatureFlagSetting,
  type ProjectCreate,
  type ProjectDetail,
  type ProjectFlag,
  Projects,
  type ProjectUpdate,
  SETUP_PROJECT_FEATURE_FLAGS,
  type VersionCheck,
  writeSetupFlags
} from "./tenancy/projects-service.ts"
export { FEATURE_FLAG_CATALOGUE, type FeatureFlagEntry, LIMIT_OU_DOWNLOAD_TO_ROOTS, REQUIRE_AUTHENTICATION } from "./tenancy/feature-flag-catalogue.ts"
export { makeMemoryDriver, MemoryStore } from "./memory/index.ts"
export {
  createIaso,
  type FormsAsync,
  Iaso,
  type IasoAs,
  type IasoClient,
  type IasoContext,
  type IasoRunOptions,
  type IasoServices,
  type InstancesAsync,
  type OrgUnitsAsync,
  type RecordsAsync
} from "./iaso.ts"
export type { Promised } from "./facade.ts"
