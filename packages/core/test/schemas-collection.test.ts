/**
 * Schemas of the data-collection models: forms, form versions, mappings, submissions, their files
 * and locks, and the DHIS2 export pipeline. Table-driven like schemas.test.ts: stored records
 * round-trip, bad inputs name the field path and the rule, generated records survive encode then
 * decode, and every attribute of the diagram's entity blocks is a field.
 */
import { Effect, Redacted, Schema, SchemaAST } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import { describe, expect, it } from "vitest"
import { type AnyModel, MODELS } from "@iaso/core"
import {
  FORM_CHANGE_REQUEST_MODES,
  Form,
  FormModel,
  FormOrgUnitGroupModel,
  FormOrgUnitTypeModel,
  OrgUnitTypeReferenceFormModel,
  PERIOD_TYPES,
  ProjectFormModel
} from "../src/forms/form.ts"
import { FormVersionModel } from "../src/forms/form-version.ts"
import { EVENT_DATE_SOURCES, MAPPING_TYPES, MappingModel, MappingVersionModel } from "../src/forms/mapping.ts"
import {
  ALIVE_EXPORT_STATUSES,
  EXPORT_STATUS_TYPES,
  ExportLogModel,
  ExportRequest,
  ExportRequestModel,
  ExportStatusExportLogModel,
  ExportStatusModel
} from "../src/submissions/export.ts"
import {
  BigIntDigits,
  GENERAL_VALIDATION_STATUSES,
  Instance,
  INSTANCE_STATUSES,
  InstanceFileModel,
  InstanceLockModel,
  InstanceModel,
  SUBMISSION_PERMISSIONS
} from "../src/submissions/instance-model.ts"
import { readShared, sharedAvailable, skipMessage } from "./shared-files.ts"
import { codecOf, decodeFailure, decodeRecord, encodeRecord, type Encoded } from "./schema-helpers.ts"

// -----------------------------------------------------------------------------
// Helpers
// -----------------------------------------------------------------------------

/** Replaces every Redacted value by `{ redacted: <its value> }`, so that `toEqual` compares the wrapped values. */
const reveal = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return { redacted: reveal(Redacted.value(value)) }
  if (value instanceof Date) return value
  if (Array.isArray(value)) return value.map(reveal)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, reveal(field)]))
  }
  return value
}

/** The optional fields of a model's schema (declared with `optionalKey`). */
const optionalFields = (model: AnyModel): Array<string> =>
  Object.entries(model.schema.fields as Schema.Struct.Fields)
    .filter(([, field]) => SchemaAST.isOptional(field.ast))
    .map(([key]) => key)

const omit = (record: Encoded, keys: ReadonlyArray<string>): Encoded => Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)))

const snake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()

// -----------------------------------------------------------------------------
// Fixtures
// -----------------------------------------------------------------------------

/** Distinct lower-case UUIDv7 strings, one per role. */
const ids = {
  account: "018f3a1e-7b2c-7d4e-8f10-000000000001",
  record: "018f3a1e-7b2c-7d4e-8f10-000000000002",
  user: "018f3a1e-7b2c-7d4e-9f10-000000000003",
  otherUser: "018f3a1e-7b2c-7d4e-9f10-000000000004",
  project: "018f3a1e-7b2c-7d4e-8f10-000000000006",
  dataSource: "018f3a1e-7b2c-7d4e-8f10-000000000009",
  orgUnitType: "018f3a1e-7b2c-7d4e-8f10-00000000000b",
  orgUnit: "018f3a1e-7b2c-7d4e-8f10-00000000000d",
  topOrgUnit: "018f3a1e-7b2c-7d4e-8f10-00000000000e",
  group: "018f3a1e-7b2c-7d4e-8f10-00000000000f",
  form: "018f3a1e-7b2c-7d4e-8f10-000000000020",
  formVersion: "018f3a1e-7b2c-7d4e-8f10-000000000021",
  mapping: "018f3a1e-7b2c-7d4e-8f10-000000000022",
  mappingVersion: "018f3a1e-7b2c-7d4e-8f10-000000000023",
  instance: "018f3a1e-7b2c-7d4e-8f10-000000000024",
  device: "018f3a1e-7b2c-7d4e-8f10-000000000025",
  entity: "018f3a1e-7b2c-7d4e-8f10-000000000026",
  planning: "018f3a1e-7b2c-7d4e-8f10-000000000027",
  exportRequest: "018f3a1e-7b2c-7d4e-8f10-000000000028",
  exportStatus: "018f3a1e-7b2c-7d4e-8f10-000000000029",
  exportLog: "018f3a1e-7b2c-7d4e-8f10-00000000002a",
  formUuid: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
} as const

/** 2024-06-20T16:13:20.123Z and 2024-06-20T16:20:56.789Z. */
const CREATED_AT = 1718900000123
const UPDATED_AT = 1718900456789

const accountBase = { id: ids.record, accountId: ids.account, version: 3, createdAt: CREATED_AT, updatedAt: UPDATED_AT } as const

const SHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
const blob = (mediaType: string, fileName?: string) => ({
  key: `sha256/${SHA}`,
  size: 5,
  sha256: SHA,
  mediaType,
  ...(fileName === undefined ? {} : { fileName })
})

/** A wrong value for one field and the failure it must produce (`path` as printed, e.g. `["name"]`). */
interface BadInput {
  readonly label: string
  readonly patch: Encoded
  readonly path: string
  readonly message: string
}

/** One model: a valid stored record with every optional field present, and bad inputs. */
interface ModelCase {
  readonly model: AnyModel
  readonly full: Encoded
  readonly optional: ReadonlyArray<string>
  readonly minimalPatch?: Encoded
  readonly bad: ReadonlyArray<BadInput>
}

const UUID_MESSAGE = "Expected a lower-case UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"

const link = (model: AnyModel, left: string, leftId: string, right: string, rightId: string): ModelCase => ({
  model,
  full: { ...accountBase, [left]: leftId, [right]: rightId },
  optional: [],
  bad: [
    { label: `${left} not a UUID`, patch: { [left]: "42" }, path: `["${left}"]`, message: UUID_MESSAGE },
    { label: `${right} missing`, patch: { [right]: undefined }, path: `["${right}"]`, message: "Missing key" }
  ]
})

/** `"Expected "A" | "B" ..."`: the start of the message of a literal union failure. */
const literalsMessage = (values: ReadonlyArray<string>): string => `Expected ${values.map((v) => JSON.stringify(v)).join(" | ")}`

const formFull = {
  ...accountBase,
  id: ids.form,
  name: "Consultation prénatale 🤰",
  formId: "cpn_mensuel",
  uuid: ids.formUuid,
  deletedAt: 1719000000000,
  deviceField: "deviceid",
  locationField: "gps",
  correlationField: "household_id",
  correlatable: true,
  possibleFields: [
    { name: "age", label: "Âge", type: "integer" },
    { name: "visit", label: "", type: "repeat" }
  ],
  periodType: "QUARTER_NOV",
  singlePerPeriod: true,
  periodsBeforeAllowed: 3,
  periodsAfterAllowed: 0,
  derived: false,
  labelKeys: ["first_name", "Last_Name", ""],
  legendThreshold: { domain: [10, 20], range: ["red", "orange", "green"] },
  changeRequestMode: "CR_MODE_IF_REFERENCE_FORM"
} as const

const formVersionFull = {
  ...accountBase,
  id: ids.formVersion,
  formId: ids.form,
  file: blob("text/xml", "cpn_mensuel.xml"),
  md5: "5d41402abc4b2a76b9719d911017c592",
  xlsFile: blob("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "cpn_mensuel.xlsx"),
  formDescriptor: {
    name: "data",
    type: "survey",
    id_string: "cpn_mensuel",
    version: "2024062001",
    children: [{ name: "age", type: "integer", label: { French: "Âge", English: "Age" } }]
  },
  versionId: "2024062001",
  startPeriod: "BIG BANG",
  endPeriod: "DOOMSDAY",
  possibleFields: [{ name: "age", label: "Âge", type: "integer" }],
  createdById: ids.user,
  updatedById: ids.otherUser
} as const

const instanceFull = {
  ...accountBase,
  id: ids.instance,
  uuid: "8d2f1c1e-5a7b-4b0c-9e3f-2a1b0c9d8e7f",
  exportId: "aB3dE5fG7hJ",
  correlationId: "9223372036854775807",
  name: "Consultation prénatale",
  file: blob("text/xml", "1718900000123.xml"),
  fileName: "1718900000123.xml",
  json: { _version: "2024062001", age: "23", visit: [{ date: "2024-06-20" }], instanceID: "uuid:8d2f1c1e" },
  formId: ids.form,
  formVersionId: ids.formVersion,
  projectId: ids.project,
  orgUnitId: ids.orgUnit,
  location: { type: "Point", coordinates: [-6.2667, 13.4317, 0] },
  accuracy: "99999.99",
  deviceId: ids.device,
  period: "2016NovQ1",
  entityId: ids.entity,
  planningId: ids.planning,
  sourceCreatedAt: 1718899000000,
  sourceUpdatedAt: 1718899500000,
  createdById: ids.user,
  lastModifiedById: ids.otherUser,
  lastExportSuccessAt: 1718910000000,
  deleted: false,
  toExport: true,
  generalValidationStatus: "PENDING",
  currentUuid: "3a9e4f0b-8c1d-4e2f-9a7b-6c5d4e3f2a1b",
  periodOutsideWindow: true
} as const

const exportRequestFull = {
  ...accountBase,
  id: ids.exportRequest,
  params: { filters: { form_id: "12", periods: "2024Q1" }, force_export: false },
  launcherId: ids.user,
  result: { done: true },
  finished: true,
  status: "ERRORED",
  instanceCount: 25,
  exportedCount: 0,
  erroredCount: 626,
  lastErrorMessage: "ERROR while processing page 1/1 : Data element not found",
  continueOnError: true,
  queuedAt: 1718900000000,
  startedAt: 1718900001000,
  endedAt: 1718900002999
} as const

const cases: ReadonlyArray<ModelCase> = [
  {
    model: FormModel,
    full: formFull,
    optional: [
      "formId",
      "deletedAt",
      "deviceField",
      "locationField",
      "correlationField",
      "possibleFields",
      "periodType",
      "periodsBeforeAllowed",
      "periodsAfterAllowed",
      "labelKeys",
      "legendThreshold"
    ],
    bad: [
      { label: "blank name", patch: { name: " " }, path: `["name"]`, message: "must not be empty or blank" },
      { label: "period type just outside IASO's list", patch: { periodType: "BIWEEK" }, path: `["periodType"]`, message: literalsMessage(PERIOD_TYPES) },
      { label: "lower-case period type", patch: { periodType: "month" }, path: `["periodType"]`, message: literalsMessage(PERIOD_TYPES) },
      {
        label: "change request mode just outside IASO's list",
        patch: { changeRequestMode: "CR_MODE_ALWAYS" },
        path: `["changeRequestMode"]`,
        message: literalsMessage(FORM_CHANGE_REQUEST_MODES)
      },
      { label: "upper-case uuid", patch: { uuid: ids.formUuid.toUpperCase() }, path: `["uuid"]`, message: UUID_MESSAGE },
      {
        label: "101 label keys",
        patch: { labelKeys: Array.from({ length: 101 }, (_, i) => `q${i}`) },
        path: `["labelKeys"]`,
        message: "Expected a value with a length of at most 100"
      },
      {
        label: "label key of 256 characters",
        patch: { labelKeys: ["k".repeat(256)] },
        path: `["labelKeys"][0]`,
        message: "Expected a value with a length of at most 255"
      },
      {
        label: "negative periods before",
        patch: { periodsBeforeAllowed: -1 },
        path: `["periodsBeforeAllowed"]`,
        message: "Expected a value between 0 and 2147483647"
      },
      { label: "fractional periods after", patch: { periodsAfterAllowed: 1.5 }, path: `["periodsAfterAllowed"]`, message: "Expected an integer" },
      { label: "deletedAt as an ISO string", patch: { deletedAt: "2024-06-20T00:00:00Z" }, path: `["deletedAt"]`, message: "Expected number" },
      {
        label: "null possible fields",
        patch: { possibleFields: null },
        path: `["possibleFields"]`,
        message: "Expected boolean | number | string | array | object"
      },
      { label: "correlatable not a boolean", patch: { correlatable: "true" }, path: `["correlatable"]`, message: "Expected boolean" }
    ]
  },
  link(ProjectFormModel, "projectId", ids.project, "formId", ids.form),
  link(FormOrgUnitTypeModel, "formId", ids.form, "orgUnitTypeId", ids.orgUnitType),
  link(FormOrgUnitGroupModel, "formId", ids.form, "groupId", ids.group),
  link(OrgUnitTypeReferenceFormModel, "orgUnitTypeId", ids.orgUnitType, "formId", ids.form),
  {
    model: FormVersionModel,
    full: formVersionFull,
    optional: ["xlsFile", "formDescriptor", "startPeriod", "endPeriod", "possibleFields", "createdById", "updatedById"],
    minimalPatch: { file: blob("text/xml"), md5: "" },
    bad: [
      { label: "empty version id", patch: { versionId: "" }, path: `["versionId"]`, message: "must not be empty or blank" },
      { label: "upper-case md5", patch: { md5: "5D41402ABC4B2A76B9719D911017C592" }, path: `["md5"]`, message: "Expected 32 lower-case hex digits" },
      {
        label: "file key not a content address",
        patch: { file: { ...blob("text/xml"), key: "forms/a.xml" } },
        path: `["file"]["key"]`,
        message: "Expected a blob key sha256/<64 hex digits>"
      },
      { label: "descriptor is an array", patch: { formDescriptor: [1] }, path: `["formDescriptor"]`, message: "Expected object" },
      { label: "NUL in start period", patch: { startPeriod: "2024\u0000" }, path: `["startPeriod"]`, message: "must not contain the NUL character (U+0000)" }
    ]
  },
  {
    model: MappingModel,
    full: { ...accountBase, id: ids.mapping, name: "", dataSourceId: ids.dataSource, formId: ids.form, mappingType: "EVENT_TRACKER" },
    optional: ["formId"],
    bad: [
      { label: "mapping type just outside IASO's list", patch: { mappingType: "TRACKER" }, path: `["mappingType"]`, message: literalsMessage(MAPPING_TYPES) },
      { label: "lower-case mapping type", patch: { mappingType: "aggregate" }, path: `["mappingType"]`, message: literalsMessage(MAPPING_TYPES) },
      { label: "data source missing", patch: { dataSourceId: undefined }, path: `["dataSourceId"]`, message: "Missing key" }
    ]
  },
  {
    model: MappingVersionModel,
    full: {
      ...accountBase,
      id: ids.mappingVersion,
      name: "0f8e2c1a-0000-4000-8000-000000000000",
      json: {
        program_id: "IpHINAT79UW",
        question_mappings: { age: { id: "qrur9Dvnyt5", valueType: "INTEGER" }, note: { type: "neverMapped" } },
        event_date_source: "FROM_SUBMISSION_PERIOD"
      },
      formVersionId: ids.formVersion,
      mappingId: ids.mapping
    },
    optional: ["mappingId"],
    bad: [
      { label: "json is a string", patch: { json: "{}" }, path: `["json"]`, message: "Expected object" },
      { label: "NaN in json", patch: { json: { n: Number.NaN } }, path: `["json"]["n"]`, message: "Expected a finite number" }
    ]
  },
  {
    model: InstanceModel,
    full: instanceFull,
    optional: [
      "uuid",
      "exportId",
      "correlationId",
      "name",
      "file",
      "fileName",
      "json",
      "formId",
      "formVersionId",
      "projectId",
      "orgUnitId",
      "location",
      "accuracy",
      "deviceId",
      "period",
      "entityId",
      "planningId",
      "sourceCreatedAt",
      "sourceUpdatedAt",
      "createdById",
      "lastModifiedById",
      "lastExportSuccessAt",
      "currentUuid",
      "periodOutsideWindow"
    ],
    bad: [
      {
        label: "validation status just outside IASO's list",
        patch: { generalValidationStatus: "VALID" },
        path: `["generalValidationStatus"]`,
        message: literalsMessage(GENERAL_VALIDATION_STATUSES)
      },
      { label: "correlation id as a number", patch: { correlationId: 12345 }, path: `["correlationId"]`, message: "Expected string" },
      {
        label: "correlation id with a leading zero",
        patch: { correlationId: "0123" },
        path: `["correlationId"]`,
        message: "Expected an integer written in digits"
      },
      {
        label: "correlation id above int64",
        patch: { correlationId: "9223372036854775808" },
        path: `["correlationId"]`,
        message: "Expected an integer within the 64-bit range"
      },
      {
        label: "correlation id of 20 digits",
        patch: { correlationId: "12345678901234567890" },
        path: `["correlationId"]`,
        message: "Expected an integer written in digits"
      },
      { label: "accuracy with 3 decimals", patch: { accuracy: "12.345" }, path: `["accuracy"]`, message: "Expected at most 2 digits after the decimal point" },
      {
        label: "accuracy above decimal(7,2)",
        patch: { accuracy: "100000" },
        path: `["accuracy"]`,
        message: "Expected at most 5 digits before the decimal point"
      },
      { label: "negative accuracy", patch: { accuracy: "-0.5" }, path: `["accuracy"]`, message: "Expected a non-negative accuracy" },
      { label: "accuracy as a number", patch: { accuracy: 12.35 }, path: `["accuracy"]`, message: "Expected string" },
      { label: "export id of 10 characters", patch: { exportId: "aB3dE5fG7h" }, path: `["exportId"]`, message: "Expected a DHIS2 uid" },
      { label: "export id starting with a digit", patch: { exportId: "1B3dE5fG7hJ" }, path: `["exportId"]`, message: "Expected a DHIS2 uid" },
      {
        label: "latitude 91",
        patch: { location: { type: "Point", coordinates: [-6.2667, 91, 0] } },
        path: `["location"]["coordinates"][1]`,
        message: "latitude must be within [-90, 90]"
      },
      { label: "json is an array", patch: { json: [] }, path: `["json"]`, message: "Expected object" },
      { label: "NUL in period", patch: { period: "2024\u0000Q1" }, path: `["period"]`, message: "must not contain the NUL character (U+0000)" },
      {
        label: "sourceCreatedAt in year 10000",
        patch: { sourceCreatedAt: 253402300800000 },
        path: `["sourceCreatedAt"]`,
        message: "Expected epoch milliseconds between years 1 and 9999"
      },
      { label: "deleted missing", patch: { deleted: undefined }, path: `["deleted"]`, message: "Missing key" }
    ]
  },
  {
    model: InstanceFileModel,
    full: { ...accountBase, instanceId: ids.instance, name: "photo_facade", file: blob("image/jpeg", "1718900000456.jpg"), deleted: true },
    optional: ["instanceId", "name", "file"],
    bad: [
      {
        label: "negative file size",
        patch: { file: { ...blob("image/jpeg"), size: -1 } },
        path: `["file"]["size"]`,
        message: "Expected a value greater than or equal to 0"
      },
      { label: "instance id not a UUID", patch: { instanceId: "17" }, path: `["instanceId"]`, message: UUID_MESSAGE }
    ]
  },
  {
    model: InstanceLockModel,
    full: {
      ...accountBase,
      instanceId: ids.instance,
      lockedAt: 1718900000500,
      lockedById: ids.user,
      unlockedAt: 1718900900000,
      unlockedById: ids.otherUser,
      topOrgUnitId: ids.topOrgUnit
    },
    optional: ["unlockedAt", "unlockedById"],
    bad: [
      { label: "lockedAt fractional", patch: { lockedAt: 1.5 }, path: `["lockedAt"]`, message: "Expected an integer" },
      { label: "top org unit missing", patch: { topOrgUnitId: undefined }, path: `["topOrgUnitId"]`, message: "Missing key" }
    ]
  },
  {
    model: ExportRequestModel,
    full: exportRequestFull,
    optional: ["params", "launcherId", "result", "startedAt", "endedAt"],
    bad: [
      { label: "status just outside IASO's list", patch: { status: "CANCELLED" }, path: `["status"]`, message: literalsMessage(EXPORT_STATUS_TYPES) },
      { label: "lower-case status", patch: { status: "queued" }, path: `["status"]`, message: literalsMessage(EXPORT_STATUS_TYPES) },
      { label: "negative instance count", patch: { instanceCount: -1 }, path: `["instanceCount"]`, message: "Expected a value between 0 and 2147483647" },
      {
        label: "exported count above int32",
        patch: { exportedCount: 2147483648 },
        path: `["exportedCount"]`,
        message: "Expected a value between 0 and 2147483647"
      },
      { label: "missing last error message", patch: { lastErrorMessage: undefined }, path: `["lastErrorMessage"]`, message: "Missing key" }
    ]
  },
  {
    model: ExportStatusModel,
    full: {
      ...accountBase,
      id: ids.exportStatus,
      exportRequestId: ids.exportRequest,
      instanceId: ids.instance,
      mappingVersionId: ids.mappingVersion,
      status: "SKIPPED",
      lastErrorMessage: "Timeout"
    },
    optional: ["lastErrorMessage"],
    bad: [
      { label: "status just outside IASO's list", patch: { status: "DONE" }, path: `["status"]`, message: literalsMessage(EXPORT_STATUS_TYPES) },
      { label: "mapping version not a UUID", patch: { mappingVersionId: "7" }, path: `["mappingVersionId"]`, message: UUID_MESSAGE }
    ]
  },
  {
    model: ExportLogModel,
    full: {
      ...accountBase,
      id: ids.exportLog,
      sent: { dataValues: [{ dataElement: "qrur9Dvnyt5", value: "23", orgUnit: "DiszpKrYNg8", period: "202406" }] },
      received: { httpStatus: "Conflict", importSummaries: [] },
      httpStatus: 409,
      url: "https://play.dhis2.org/api/dataValueSets"
    },
    optional: ["sent", "received", "httpStatus", "url"],
    bad: [
      { label: "fractional http status", patch: { httpStatus: 200.5 }, path: `["httpStatus"]`, message: "Expected an integer" },
      { label: "-0 in sent", patch: { sent: { value: -0 } }, path: `["sent"]["value"]`, message: "-0 is not a JSON number" }
    ]
  },
  link(ExportStatusExportLogModel, "exportStatusId", ids.exportStatus, "exportLogId", ids.exportLog)
]

const minimalOf = (c: ModelCase): Encoded => {
  const patched: Record<string, unknown> = { ...omit(c.full, c.optional), ...c.minimalPatch }
  for (const [key, value] of Object.entries(patched)) if (value === undefined) delete patched[key]
  return patched
}

const patched = (c: ModelCase, patch: Encoded): Encoded => {
  const record: Record<string, unknown> = { ...c.full, ...patch }
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete record[key]
  return record
}

const named = cases.map((c) => [c.model.name, c] as const)

/** Models declared by this group. */
const COLLECTION_MODELS: ReadonlyArray<AnyModel> = cases.map((c) => c.model)

/** Models declared by other groups that these models reference (registered by the lead engineer). */
const OTHER_GROUPS_TARGETS = ["Device", "Entity", "Planning"]

// -----------------------------------------------------------------------------
// Tests
// -----------------------------------------------------------------------------

describe("the test table", () => {
  it("has one row per model of the group, names unique", () => {
    const names = cases.map((c) => c.model.name)
    expect(new Set(names).size).toBe(names.length)
    expect(names).toEqual([
      "Form",
      "ProjectForm",
      "FormOrgUnitType",
      "FormOrgUnitGroup",
      "OrgUnitTypeReferenceForm",
      "FormVersion",
      "Mapping",
      "MappingVersion",
      "Instance",
      "InstanceFile",
      "InstanceLock",
      "ExportRequest",
      "ExportStatus",
      "ExportLog",
      "ExportStatusExportLog"
    ])
  })

  it.each(named)("%s: lists exactly the schema's optional fields, and the full record has every field", (_name, c) => {
    expect([...c.optional].sort()).toEqual(optionalFields(c.model).sort())
    expect(Object.keys(c.full).sort()).toEqual(Object.keys(c.model.schema.fields).sort())
  })

  it.each(named)("%s: is account-scoped", (_name, c) => {
    expect(c.model.scope).toBe("account")
  })
})

describe("round trips of hand-written stored records", () => {
  it.each(named)("%s: every optional field present", (_name, c) => {
    const decoded = decodeRecord(c.model, c.full)
    expect(encodeRecord(c.model, decoded)).toEqual(c.full)
    expect(decoded["createdAt"]).toBeInstanceOf(Date)
    for (const [key, value] of Object.entries(decoded)) {
      if (value instanceof Date) expect(value.getTime(), key).toBe(c.full[key])
    }
  })

  it.each(named)("%s: every optional field absent", (_name, c) => {
    const minimal = minimalOf(c)
    for (const key of c.optional) expect(minimal).not.toHaveProperty(key)
    const decoded = decodeRecord(c.model, minimal)
    for (const key of c.optional) expect(Object.hasOwn(decoded, key), key).toBe(false)
    expect(encodeRecord(c.model, decoded)).toEqual(minimal)
  })

  it("decodes instants to the exact millisecond", () => {
    const form = Schema.decodeUnknownSync(Form)(formFull)
    expect(form.createdAt.toISOString()).toBe("2024-06-20T16:13:20.123Z")
    expect(form.deletedAt?.getTime()).toBe(1719000000000)
    const instance = Schema.decodeUnknownSync(Instance)(instanceFull)
    expect(instance.sourceCreatedAt?.getTime()).toBe(1718899000000)
    expect(instance.lastExportSuccessAt?.toISOString()).toBe("2024-06-20T19:00:00.000Z")
    const request = Schema.decodeUnknownSync(ExportRequest)(exportRequestFull)
    expect(request.endedAt?.getTime()).toBe(1718900002999)
  })

  it("keeps every IASO period type, validation status and export status", () => {
    for (const periodType of PERIOD_TYPES) expect(Schema.decodeUnknownSync(Form)({ ...formFull, periodType }).periodType).toBe(periodType)
    for (const status of GENERAL_VALIDATION_STATUSES) {
      expect(Schema.decodeUnknownSync(Instance)({ ...instanceFull, generalValidationStatus: status }).generalValidationStatus).toBe(status)
    }
    for (const status of EXPORT_STATUS_TYPES) expect(Schema.decodeUnknownSync(ExportRequest)({ ...exportRequestFull, status }).status).toBe(status)
    expect(PERIOD_TYPES).toEqual(["DAY", "MONTH", "QUARTER", "QUARTER_NOV", "SIX_MONTH", "YEAR", "FINANCIAL_NOV", "WEEK"])
    expect(MAPPING_TYPES).toEqual(["AGGREGATE", "EVENT", "EVENT_TRACKER", "DERIVED"])
    expect(EXPORT_STATUS_TYPES).toEqual(["QUEUED", "RUNNING", "EXPORTED", "ERRORED", "SKIPPED", "KILLED", "SUCCESS"])
    expect(ALIVE_EXPORT_STATUSES).toEqual(["QUEUED", "RUNNING"])
    expect(INSTANCE_STATUSES).toEqual(["READY", "DUPLICATED", "EXPORTED"])
    expect(EVENT_DATE_SOURCES).toEqual(["FROM_SUBMISSION_CREATED_AT", "FROM_SUBMISSION_PERIOD"])
  })

  it("keeps correlation ids beyond 2^53 digit for digit, and the int64 extremes", () => {
    for (const value of ["0", "9007199254740993", "-9223372036854775808", "9223372036854775807", "123456789012345678"]) {
      expect(Schema.decodeUnknownSync(BigIntDigits)(value)).toBe(value)
      expect(Schema.decodeUnknownSync(Instance)({ ...instanceFull, correlationId: value }).correlationId).toBe(value)
    }
    expect(decodeFailure(BigIntDigits, "-9223372036854775809")).toContain("Expected an integer within the 64-bit range")
    expect(decodeFailure(BigIntDigits, "-0")).toContain("Expected an integer written in digits")
    expect(decodeFailure(BigIntDigits, "+5")).toContain("Expected an integer written in digits")
  })

  it("keeps accuracy as the decimal string IASO rounds to (including the cap 99999)", () => {
    for (const accuracy of ["12.35", "48.62", "99999", "0", "0.5"]) {
      const decoded = Schema.decodeUnknownSync(Instance)({ ...instanceFull, accuracy })
      expect(decoded.accuracy).toBe(accuracy)
      expect(Schema.encodeSync(Instance)(decoded).accuracy).toBe(accuracy)
    }
  })

  it("accepts a 2D location as well as IASO's 3D point", () => {
    const decoded = Schema.decodeUnknownSync(Instance)({ ...instanceFull, location: { type: "Point", coordinates: [2.35, 48.85] } })
    expect(decoded.location).toEqual({ type: "Point", coordinates: [2.35, 48.85] })
  })
})

describe("bad inputs name the field path and the rule", () => {
  const rows = cases.flatMap((c) => c.bad.map((bad) => [c.model.name, bad.label, c, bad] as const))

  it.each(rows)("%s: %s", (_name, _label, c, bad) => {
    const message = decodeFailure(codecOf(c.model), patched(c, bad.patch))
    expect(message).toContain(bad.message)
    expect(message).toContain(`at ${bad.path}`)
  })

  it.each(named)("%s: an id that is not a lower-case UUID", (_name, c) => {
    for (const id of [String(c.full["id"]).toUpperCase(), "not-a-uuid", "42"]) {
      expect(decodeFailure(codecOf(c.model), patched(c, { id }))).toContain(`${UUID_MESSAGE}\n  at ["id"]`)
    }
  })

  it.each(named)("%s: a missing accountId, a version 0", (_name, c) => {
    expect(decodeFailure(codecOf(c.model), patched(c, { accountId: undefined }))).toContain(`Missing key\n  at ["accountId"]`)
    expect(decodeFailure(codecOf(c.model), patched(c, { version: 0 }))).toContain(`Expected a value greater than or equal to 1\n  at ["version"]`)
  })

  it("every enumeration refuses a value just outside IASO's list", () => {
    const outside: ReadonlyArray<readonly [AnyModel, Encoded, string, string]> = [
      [FormModel, formFull, "periodType", "FINANCIAL_APRIL"],
      [FormModel, formFull, "changeRequestMode", "CR_MODE_NONE "],
      [MappingModel, cases[6]?.full ?? {}, "mappingType", "EVENTS"],
      [InstanceModel, instanceFull, "generalValidationStatus", "approved"],
      [ExportRequestModel, exportRequestFull, "status", "SUCCEEDED"],
      [ExportStatusModel, cases[12]?.full ?? {}, "status", "ALIVE"]
    ]
    for (const [model, full, field, value] of outside) {
      const message = decodeFailure(codecOf(model), { ...full, [field]: value })
      expect(message, `${model.name}.${field}`).toContain(`\n  at ["${field}"]`)
      expect(message, `${model.name}.${field}`).toMatch(/^Expected "/)
    }
  })
})

describe("declarations: columns, indexes, references, access", () => {
  const knownTargets = new Set([...Object.keys(MODELS), ...COLLECTION_MODELS.map((m) => m.name), ...OTHER_GROUPS_TARGETS])

  it.each(named)("%s: a column per field then per derived value; optional fields are nullable", (_name, c) => {
    const fields = Object.keys(c.model.schema.fields)
    expect(c.model.columns.map((column) => column.name)).toEqual([...fields, ...c.model.derived.map((d) => d.name)])
    const optional = new Set(optionalFields(c.model))
    for (const column of c.model.columns.slice(0, fields.length)) expect(column.nullable, column.name).toBe(optional.has(column.name))
  })

  it.each(named)(
    "%s: indexes name existing columns and are prefixed by the model; references name fields, known models, nullable fields for setNull",
    (_name, c) => {
      const columns = new Set(c.model.columns.map((column) => column.name))
      for (const index of c.model.indexes) {
        expect(index.name.startsWith(`${snake(c.model.name)}_`), index.name).toBe(true)
        for (const field of index.fields) expect(columns.has(field), `${index.name}.${field}`).toBe(true)
        for (const condition of index.where ?? []) expect(columns.has(condition.field), `${index.name} where ${condition.field}`).toBe(true)
      }
      const optional = new Set(optionalFields(c.model))
      for (const reference of c.model.references) {
        expect(Object.keys(c.model.schema.fields)).toContain(reference.field)
        expect(knownTargets.has(reference.target), reference.target).toBe(true)
        if (reference.onDelete === "setNull") expect(optional.has(reference.field), reference.field).toBe(true)
      }
    }
  )

  /** Fields ending in `Id` that are not references: IASO's ODK form id, version id, export and correlation ids. */
  const NOT_REFERENCES = new Set(["Form.formId", "FormVersion.versionId", "Instance.exportId", "Instance.correlationId"])

  it.each(named)("%s: every id field (xId) has a reference", (_name, c) => {
    const referenced = new Set(c.model.references.map((r) => r.field))
    for (const field of Object.keys(c.model.fields).filter((key) => key.endsWith("Id"))) {
      if (NOT_REFERENCES.has(`${c.model.name}.${field}`)) continue
      expect(referenced.has(field), `${c.model.name}.${field}`).toBe(true)
    }
  })

  it("index names are unique across the store", () => {
    const names = Object.values(MODELS).flatMap((model) => model.indexes.map((index) => index.name))
    expect(names.length).toBe(new Set(names).size)
  })

  it("every model of this file is registered under its own name", () => {
    for (const model of COLLECTION_MODELS) expect((MODELS as Record<string, unknown>)[model.name], model.name).toBe(model)
  })

  it("Form: formId is unique per account among forms not deleted; uuid is unique per account", () => {
    expect(FormModel.indexes).toContainEqual({
      name: "form_form_id_unique",
      fields: ["accountId", "formId"],
      unique: true,
      where: [{ field: "deletedAt", op: "isNull" }]
    })
    expect(FormModel.indexes).toContainEqual({ name: "form_uuid_unique", fields: ["accountId", "uuid"], unique: true })
    expect(FormModel.derived.map((d) => d.compute({ name: "Consultation Prénatale" }))).toEqual(["consultation prenatale"])
  })

  it("FormVersion: version id unique per form, deleted with its form", () => {
    expect(FormVersionModel.indexes).toContainEqual({ name: "form_version_version_id_unique", fields: ["accountId", "formId", "versionId"], unique: true })
    expect(FormVersionModel.references).toContainEqual({ field: "formId", target: "Form", onDelete: "cascade" })
  })

  it("MappingVersion: name unique per form version", () => {
    expect(MappingVersionModel.indexes).toContainEqual({ name: "mapping_version_name_unique", fields: ["accountId", "formVersionId", "name"], unique: true })
  })

  it("Instance: uuid unique per account; the lookups of listings, duplicates and the two-step upload are indexed", () => {
    const byName = Object.fromEntries(InstanceModel.indexes.map((index) => [index.name, index]))
    expect(byName["instance_uuid_unique"]).toEqual({ name: "instance_uuid_unique", fields: ["accountId", "uuid"], unique: true })
    expect(byName["instance_form_period_org_unit"]?.fields).toEqual(["formId", "period", "orgUnitId"])
    expect(byName["instance_file_name"]?.fields).toEqual(["accountId", "fileName"])
    expect(byName["instance_project"]?.fields).toEqual(["projectId"])
    expect(byName["instance_period"]?.fields).toEqual(["accountId", "period"])
    expect(InstanceModel.indexes.filter((index) => index.unique === true).map((index) => index.name)).toEqual([
      "instance_uuid_unique",
      "instance_current_uuid_unique"
    ])
  })

  it("Instance: IASO's on-delete rules", () => {
    expect(Object.fromEntries(InstanceModel.references.map((r) => [r.field, `${r.target}:${r.onDelete}`]))).toEqual({
      formId: "Form:restrict",
      formVersionId: "FormVersion:restrict",
      projectId: "Project:restrict",
      orgUnitId: "OrgUnit:restrict",
      deviceId: "Device:restrict",
      entityId: "Entity:restrict",
      planningId: "Planning:setNull",
      createdById: "User:restrict",
      lastModifiedById: "User:restrict"
    })
    expect(InstanceLockModel.references).toContainEqual({ field: "instanceId", target: "Instance", onDelete: "cascade" })
    expect(ExportStatusModel.references.map((r) => r.onDelete)).toEqual(["cascade", "cascade", "cascade"])
  })

  it("Instance: stored columns", () => {
    const kinds = Object.fromEntries(InstanceModel.columns.map((column) => [column.name, `${column.kind}${column.nullable ? "?" : ""}`]))
    expect(kinds).toMatchObject({
      correlationId: "text?",
      accuracy: "text?",
      json: "json?",
      file: "json?",
      location: "json?",
      sourceCreatedAt: "integer?",
      deleted: "boolean",
      generalValidationStatus: "text"
    })
  })

  it("access: IASO's permission codenames", () => {
    expect(FormModel.access).toEqual({ read: [], write: ["iaso_forms"] })
    expect(FormVersionModel.access).toEqual({ read: [], write: ["iaso_forms"] })
    expect(MappingModel.access).toEqual({ read: ["iaso_mappings"], write: ["iaso_mappings"] })
    expect(InstanceModel.access).toEqual({ read: SUBMISSION_PERMISSIONS, write: SUBMISSION_PERMISSIONS })
    expect(OrgUnitTypeReferenceFormModel.access.write).toEqual(["iaso_org_unit_types"])
    for (const model of COLLECTION_MODELS) {
      for (const permission of [...model.access.read, ...model.access.write]) expect(permission).toMatch(/^iaso_/)
    }
  })

  it("declares no secret", () => {
    for (const model of COLLECTION_MODELS) expect(model.secret, model.name).toEqual([])
  })
})

describe("generated domain records survive encode then decode", () => {
  it.each(named)("%s: 50 samples", async (_name, c) => {
    const arbitrary = Arbitrary.schema(Schema.toType(c.model.schema))
    const samples: ReadonlyArray<unknown> = await Effect.runPromise(Arbitrary.sampleEffect(arbitrary, { count: 50, seed: 20240620 }))
    expect(samples).toHaveLength(50)
    for (const original of samples) {
      const encoded = encodeRecord(c.model, original)
      const decoded = decodeRecord(c.model, encoded)
      expect(reveal(decoded)).toEqual(reveal(original))
      expect(typeof encoded["createdAt"]).toBe("number")
    }
  })
})

// -----------------------------------------------------------------------------
// The ER diagram
// -----------------------------------------------------------------------------

/**
 * The ER-table rows (packages/core/README.md) these entities need: attributes of their diagram
 * blocks that are not fields. None: every attribute is a field (ForeignKeys as `xId`).
 */
const ER_TABLE_ROWS: ReadonlyArray<{ readonly entity: string; readonly attribute: string; readonly here: string }> = []

/** The diagram entities of this group, by model. */
const DIAGRAM_ENTITIES: Readonly<Record<string, AnyModel>> = {
  Form: FormModel,
  FormVersion: FormVersionModel,
  Mapping: MappingModel,
  MappingVersion: MappingVersionModel,
  Instance: InstanceModel,
  InstanceFile: InstanceFileModel,
  InstanceLock: InstanceLockModel,
  ExportRequest: ExportRequestModel,
  ExportStatus: ExportStatusModel,
  ExportLog: ExportLogModel
}

const DIAGRAM = "reference/er-diagram.md"
const available = sharedAvailable(DIAGRAM)

/** The entity blocks of the mermaid diagram: `Name{`, then `Type attribute` lines, then `}`. */
const parseBlocks = (text: string): ReadonlyMap<string, ReadonlyArray<{ readonly type: string; readonly name: string }>> => {
  const blocks = new Map<string, Array<{ type: string; name: string }>>()
  let current: Array<{ type: string; name: string }> | undefined
  for (const line of text.split("\n").map((l) => l.trim())) {
    const open = /^([A-Za-z][A-Za-z0-9]*)\{$/.exec(line)
    if (open !== null) {
      current = []
      blocks.set(open[1] ?? "", current)
      continue
    }
    if (line === "}") {
      current = undefined
      continue
    }
    const attribute = /^([A-Za-z]+)\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(line)
    if (current !== undefined && attribute !== null) current.push({ type: attribute[1] ?? "", name: attribute[2] ?? "" })
  }
  return blocks
}

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

describe.skipIf(!available)(`the ER diagram's blocks of forms, submissions and exports ${available ? "" : skipMessage(DIAGRAM)}`, () => {
  const blocks = available ? parseBlocks(readShared(DIAGRAM)) : new Map()

  it.each(Object.entries(DIAGRAM_ENTITIES))("%s: every attribute is a field (camelCase, ForeignKey x -> xId) or an ER-table row", (entity, model) => {
    const attributes = blocks.get(entity)
    expect(attributes, entity).toBeDefined()
    const fields = new Set(Object.keys(model.schema.fields as object))
    const missing: Array<string> = []
    for (const attribute of attributes ?? []) {
      const field = attribute.type === "ForeignKey" || attribute.type === "OneToOneField" ? `${camel(attribute.name)}Id` : camel(attribute.name)
      const rows = ER_TABLE_ROWS.filter((row) => row.entity === entity && row.attribute === attribute.name)
      if (fields.has(field) === (rows.length === 1)) missing.push(`${attribute.name} (${field})`)
    }
    expect(missing).toEqual([])
  })
})
