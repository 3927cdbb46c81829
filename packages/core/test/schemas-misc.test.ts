import { Effect, Redacted, Schema, SchemaAST } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import { describe, expect, it } from "vitest"
import { CommentIaso, CommentIasoModel, IpAddress } from "../src/comments/comment.ts"
import { DEVICE_TRANSPORTS, DeviceModel, DeviceOwnershipModel, DevicePosition, DevicePositionModel, DeviceProjectModel } from "../src/devices/devices.ts"
import { MODELS } from "../src/models.ts"
import { PAGE_TYPES, PageModel, PageUserModel, PageUserRoleModel } from "../src/pages/page.ts"
import { AlgorithmRunModel, LinkModel, MatchingAlgorithm, MatchingAlgorithmModel, MatchingAlgorithmProjectModel } from "../src/registry/matching.ts"
import type { AnyModel } from "../src/shared/model.ts"
import { ALIVE_TASK_STATUSES, Task, TASK_STATUSES, TaskModel } from "../src/tasks/task.ts"
import {
  BulkCreateUserCsvFileDefaultOrgUnitModel,
  BulkCreateUserCsvFileDefaultProjectModel,
  BulkCreateUserCsvFileDefaultTeamModel,
  BulkCreateUserCsvFileDefaultUserRoleModel,
  BulkCreateUserCsvFileModel
} from "../src/users/bulk-create-user-csv-file.ts"
import { readShared, sharedAvailable, skipMessage } from "./shared-files.ts"
import { codecOf, decodeFailure, decodeRecord, encodeRecord, type Encoded } from "./schema-helpers.ts"

// -----------------------------------------------------------------------------
// Helpers
// -----------------------------------------------------------------------------

/** `record` without the keys `keys`. */
const omit = (record: Encoded, keys: ReadonlyArray<string>): Encoded => Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)))

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
  userRole: "018f3a1e-7b2c-7d4e-af10-000000000005",
  project: "018f3a1e-7b2c-7d4e-8f10-000000000006",
  device: "018f3a1e-7b2c-7d4e-8f10-000000000007",
  algorithm: "018f3a1e-7b2c-7d4e-8f10-000000000008",
  run: "018f3a1e-7b2c-7d4e-8f10-000000000009",
  destinationVersion: "018f3a1e-7b2c-7d4e-8f10-00000000000a",
  sourceVersion: "018f3a1e-7b2c-7d4e-8f10-00000000000b",
  destinationUnit: "018f3a1e-7b2c-7d4e-8f10-00000000000c",
  sourceUnit: "018f3a1e-7b2c-7d4e-8f10-00000000000d",
  page: "018f3a1e-7b2c-7d4e-8f10-00000000000e",
  comment: "018f3a1e-7b2c-7d4e-8f10-00000000000f",
  parentComment: "018f3a1e-7b2c-7d4e-8f10-000000000010",
  bulkFile: "018f3a1e-7b2c-7d4e-8f10-000000000011",
  orgUnit: "018f3a1e-7b2c-7d4e-8f10-000000000012",
  team: "018f3a1e-7b2c-7d4e-8f10-000000000013",
  /** A device-made position uuid (version 4). */
  positionUuid: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
} as const

/** 2024-06-20T16:13:20.123Z and 2024-06-20T16:20:56.789Z. */
const CREATED_AT = 1718900000123
const UPDATED_AT = 1718900456789

const accountBase = { id: ids.record, accountId: ids.account, version: 3, createdAt: CREATED_AT, updatedAt: UPDATED_AT } as const
const globalBase = { id: ids.record, version: 3, createdAt: CREATED_AT, updatedAt: UPDATED_AT } as const

const SHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

interface BadInput {
  readonly label: string
  readonly patch: Encoded
  readonly path: string
  readonly message: string
}

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

const cases: ReadonlyArray<ModelCase> = [
  {
    model: DeviceModel,
    full: { ...accountBase, imei: "356938035643809", testDevice: true },
    optional: ["imei"],
    bad: [
      { label: "imei too long", patch: { imei: "9".repeat(251) }, path: `["imei"]`, message: "Expected a value with a length of at most 250" },
      { label: "testDevice not a boolean", patch: { testDevice: 1 }, path: `["testDevice"]`, message: "Expected boolean" }
    ]
  },
  link(DeviceProjectModel, "deviceId", ids.device, "projectId", ids.project),
  {
    model: DeviceOwnershipModel,
    full: { ...accountBase, deviceId: ids.device, projectId: ids.project, userId: ids.user, start: 1718900000001, end: 1718990000999 },
    optional: ["projectId", "end"],
    bad: [
      { label: "fractional start", patch: { start: 1718900000001.5 }, path: `["start"]`, message: "Expected an integer" },
      { label: "end in year 10000", patch: { end: 253402300800000 }, path: `["end"]`, message: "Expected epoch milliseconds between years 1 and 9999" },
      { label: "userId missing", patch: { userId: undefined }, path: `["userId"]`, message: "Missing key" }
    ]
  },
  {
    model: DevicePositionModel,
    full: {
      ...accountBase,
      uuid: ids.positionUuid,
      deviceId: ids.device,
      location: { type: "Point", coordinates: [-6.2667, 13.4317, 289.5] },
      transport: "truck",
      accuracy: "99999.99",
      capturedAt: 1718899999000
    },
    optional: [],
    bad: [
      // IASO's API stores any text here; its model declares only car, foot and truck
      { label: "transport bike", patch: { transport: "bike" }, path: `["transport"]`, message: `Expected "car" | "foot" | "truck"` },
      { label: "transport Truck", patch: { transport: "Truck" }, path: `["transport"]`, message: `Expected "car" | "foot" | "truck"` },
      { label: "upper-case uuid", patch: { uuid: ids.positionUuid.toUpperCase() }, path: `["uuid"]`, message: UUID_MESSAGE },
      {
        label: "2D location",
        patch: { location: { type: "Point", coordinates: [-6.2667, 13.4317] } },
        path: `["location"]`,
        message: "a device position needs an altitude: [longitude, latitude, altitude]"
      },
      {
        label: "latitude 91",
        patch: { location: { type: "Point", coordinates: [-6.2667, 91, 0] } },
        path: `["location"]["coordinates"][1]`,
        message: "latitude must be within [-90, 90]"
      },
      { label: "accuracy with 3 decimals", patch: { accuracy: "12.345" }, path: `["accuracy"]`, message: "Expected at most 2 digits after the decimal point" },
      {
        label: "accuracy above decimal(7,2)",
        patch: { accuracy: "100000" },
        path: `["accuracy"]`,
        message: "Expected at most 5 digits before the decimal point"
      },
      { label: "accuracy as a number", patch: { accuracy: 12.5 }, path: `["accuracy"]`, message: "Expected string" }
    ]
  },
  {
    model: TaskModel,
    full: {
      ...accountBase,
      startedAt: 1718900001000,
      endedAt: 1718900002000,
      progressValue: 12,
      endValue: 2147483647,
      createdById: ids.user,
      launcherId: ids.otherUser,
      result: { result: "SUCCESS", data: "file:exports/pyramid.gpkg" },
      status: "SUCCESS",
      name: "import_gpkg_task",
      params: { args: [], kwargs: { import_gpkg_id: 7 }, module: "iaso.tasks.import_gpkg_task", method: "import_gpkg_task" },
      queueAnswer: ["queued", 42],
      progressMessage: "Imported 1200 units",
      shouldBeKilled: false,
      external: false,
      attempt: 1
    },
    optional: ["startedAt", "endedAt", "createdById", "launcherId", "result", "params", "queueAnswer", "progressMessage", "attempt"],
    bad: [
      {
        label: "status DONE",
        patch: { status: "DONE" },
        path: `["status"]`,
        message: `Expected "QUEUED" | "RUNNING" | "EXPORTED" | "ERRORED" | "SKIPPED" | "KILLED" | "SUCCESS"`
      },
      { label: "lower-case status", patch: { status: "queued" }, path: `["status"]`, message: `Expected "QUEUED" | "RUNNING"` },
      {
        label: "progress above int32",
        patch: { progressValue: 2147483648 },
        path: `["progressValue"]`,
        message: "Expected a value between -2147483648 and 2147483647"
      },
      { label: "params not an object", patch: { params: [1, 2] }, path: `["params"]`, message: "Expected object" },
      { label: "null result", patch: { result: null }, path: `["result"]`, message: "Expected boolean | number | string | array | object" }
    ]
  },
  {
    model: MatchingAlgorithmModel,
    full: { ...globalBase, name: "iaso.matching.matching_on_external_id", description: "Links units with the same external id" },
    optional: [],
    bad: [
      { label: "NUL in description", patch: { description: "a\u0000" }, path: `["description"]`, message: "must not contain the NUL character (U+0000)" },
      {
        label: "an accountId is ignored, a missing name is refused",
        patch: { name: undefined, accountId: ids.account },
        path: `["name"]`,
        message: "Missing key"
      }
    ]
  },
  link(MatchingAlgorithmProjectModel, "matchingAlgorithmId", ids.algorithm, "projectId", ids.project),
  {
    model: AlgorithmRunModel,
    full: {
      ...accountBase,
      endedAt: 1718900009999,
      algorithmId: ids.algorithm,
      launcherId: ids.user,
      result: { levels: [{ level: 1, matched: 1, total: 1 }], finished: true },
      finished: true,
      version1Id: ids.destinationVersion,
      version2Id: ids.sourceVersion
    },
    optional: ["endedAt", "launcherId", "result", "version1Id", "version2Id"],
    bad: [
      { label: "finished not a boolean", patch: { finished: "yes" }, path: `["finished"]`, message: "Expected boolean" },
      { label: "version1Id not a UUID", patch: { version1Id: "1" }, path: `["version1Id"]`, message: UUID_MESSAGE }
    ]
  },
  {
    model: LinkModel,
    full: {
      ...accountBase,
      destinationId: ids.destinationUnit,
      sourceId: ids.sourceUnit,
      validated: true,
      validatorId: ids.user,
      validationDate: 1718900100000,
      similarityScore: 100,
      algorithmRunId: ids.run
    },
    optional: ["destinationId", "sourceId", "validatorId", "validationDate", "similarityScore", "algorithmRunId"],
    bad: [
      { label: "score above smallint", patch: { similarityScore: 32768 }, path: `["similarityScore"]`, message: "Expected a value between -32768 and 32767" },
      { label: "fractional score", patch: { similarityScore: 33.3 }, path: `["similarityScore"]`, message: "Expected an integer" },
      { label: "validated missing", patch: { validated: undefined }, path: `["validated"]`, message: "Missing key" }
    ]
  },
  {
    model: PageModel,
    full: {
      ...accountBase,
      name: "Dashboard de suivi",
      content: "<h1>Suivi</h1>",
      needsAuthentication: true,
      slug: "suivi_polio-2024",
      type: "POWERBI",
      powerbiGroupId: "f089354e-8366-4e18-aea3-4cb4a3a50b48",
      powerbiReportId: "cea8ad0c-7d45-4d95-a1f5-9b3e3d8e9d1a",
      powerbiDatasetId: "a1b2c3",
      powerbiFilters: [{ table: "OrgUnit", column: "region", values: ["Ségou"] }],
      powerbiLanguage: "fr-be",
      supersetDashboardId: "42",
      supersetDashboardUiConfig: { hideTitle: true, filters: { expanded: false } }
    },
    optional: [
      "content",
      "powerbiGroupId",
      "powerbiReportId",
      "powerbiDatasetId",
      "powerbiFilters",
      "powerbiLanguage",
      "supersetDashboardId",
      "supersetDashboardUiConfig"
    ],
    bad: [
      { label: "type HTML", patch: { type: "HTML" }, path: `["type"]`, message: `Expected "RAW" | "TEXT" | "IFRAME" | "POWERBI" | "SUPERSET"` },
      { label: "lower-case type", patch: { type: "raw" }, path: `["type"]`, message: `Expected "RAW" | "TEXT"` },
      {
        label: "slug with a space",
        patch: { slug: "suivi polio" },
        path: `["slug"]`,
        message: "Expected a slug: ASCII letters, digits, - or _ (at least one)"
      },
      { label: "slug with an accent", patch: { slug: "ségou" }, path: `["slug"]`, message: "Expected a slug" },
      { label: "empty slug", patch: { slug: "" }, path: `["slug"]`, message: "Expected a slug" },
      { label: "slug too long", patch: { slug: "s".repeat(1001) }, path: `["slug"]`, message: "Expected a value with a length of at most 1000" },
      { label: "blank name", patch: { name: " " }, path: `["name"]`, message: "must not be empty or blank" },
      {
        label: "language too long",
        patch: { powerbiLanguage: "x".repeat(21) },
        path: `["powerbiLanguage"]`,
        message: "Expected a value with a length of at most 20"
      }
    ]
  },
  link(PageUserModel, "pageId", ids.page, "userId", ids.user),
  link(PageUserRoleModel, "pageId", ids.page, "userRoleId", ids.userRole),
  {
    model: CommentIasoModel,
    full: {
      ...accountBase,
      id: ids.comment,
      objectModel: "OrgUnit",
      objectPk: ids.orgUnit,
      userId: ids.user,
      userName: "Awa Traoré",
      userEmail: "awa@example.org",
      userUrl: "https://example.org/awa",
      comment: "Le centre de santé a déménagé 🏥",
      submitDate: 1718900000456,
      ipAddress: "2001:db8::ff00:42:8329",
      isPublic: true,
      isRemoved: false,
      parentId: ids.parentComment
    },
    optional: ["userId", "ipAddress", "parentId"],
    bad: [
      { label: "empty comment", patch: { comment: "" }, path: `["comment"]`, message: "must not be empty or blank" },
      { label: "comment too long", patch: { comment: "c".repeat(3001) }, path: `["comment"]`, message: "Expected a value with a length of at most 3000" },
      { label: "objectPk too long", patch: { objectPk: "p".repeat(65) }, path: `["objectPk"]`, message: "Expected a value with a length of at most 64" },
      { label: "user name too long", patch: { userName: "n".repeat(51) }, path: `["userName"]`, message: "Expected a value with a length of at most 50" },
      { label: "IPv4 octet 256", patch: { ipAddress: "192.168.1.256" }, path: `["ipAddress"]`, message: "Expected an IPv4 or IPv6 address" },
      { label: "IPv6 with two ::", patch: { ipAddress: "2001::db8::1" }, path: `["ipAddress"]`, message: "Expected an IPv4 or IPv6 address" },
      { label: "missing submitDate", patch: { submitDate: undefined }, path: `["submitDate"]`, message: "Missing key" }
    ]
  },
  {
    model: BulkCreateUserCsvFileModel,
    full: {
      ...accountBase,
      file: { key: `sha256/${SHA}`, size: 2048, sha256: SHA, mediaType: "text/csv", fileName: "users.csv" },
      createdById: ids.user,
      defaultProfileLanguage: "fr",
      defaultOrganization: "Bluesquare",
      defaultPermissions: ["iaso_forms", "iaso_submissions"]
    },
    optional: ["createdById"],
    minimalPatch: { file: { key: `sha256/${SHA}`, size: 2048, sha256: SHA, mediaType: "text/csv" } },
    bad: [
      {
        label: "unknown permission",
        patch: { defaultPermissions: ["iaso_root"] },
        path: `["defaultPermissions"][0]`,
        message: `Expected "iaso_account_management"`
      },
      {
        label: "language too long",
        patch: { defaultProfileLanguage: "francais-ch" },
        path: `["defaultProfileLanguage"]`,
        message: "Expected a value with a length of at most 10"
      },
      {
        label: "file without a hash",
        patch: { file: { key: `sha256/${SHA}`, size: 1, mediaType: "text/csv" } },
        path: `["file"]["sha256"]`,
        message: "Missing key"
      }
    ]
  },
  link(BulkCreateUserCsvFileDefaultProjectModel, "bulkCreateUserCsvFileId", ids.bulkFile, "projectId", ids.project),
  link(BulkCreateUserCsvFileDefaultUserRoleModel, "bulkCreateUserCsvFileId", ids.bulkFile, "userRoleId", ids.userRole),
  link(BulkCreateUserCsvFileDefaultOrgUnitModel, "bulkCreateUserCsvFileId", ids.bulkFile, "orgUnitId", ids.orgUnit),
  link(BulkCreateUserCsvFileDefaultTeamModel, "bulkCreateUserCsvFileId", ids.bulkFile, "teamId", ids.team)
]

/** The minimal stored record of a case: every optional field absent. */
const minimalOf = (c: ModelCase): Encoded => {
  const record: Record<string, unknown> = { ...omit(c.full, c.optional), ...c.minimalPatch }
  for (const [key, value] of Object.entries(record)) if (value === undefined) delete record[key]
  return record
}

/** The case's full record with `patch` applied (an `undefined` value removes the key). */
const patched = (c: ModelCase, patch: Encoded): Encoded => {
  const record: Record<string, unknown> = { ...c.full, ...patch }
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete record[key]
  return record
}

const named = cases.map((c) => [c.model.name, c] as const)

/** Every model this file declares, and the models they may reference (declared elsewhere or by other groups). */
const MY_MODELS = cases.map((c) => c.model)
/** Fields named `...Id` that hold another system's identifier, not a reference. */
const EXTERNAL_ID_FIELDS = ["powerbiGroupId", "powerbiReportId", "powerbiDatasetId", "supersetDashboardId"]
const KNOWN_TARGETS = new Set([...Object.keys(MODELS), ...MY_MODELS.map((model) => model.name), "Team"])

// -----------------------------------------------------------------------------
// Tests
// -----------------------------------------------------------------------------

describe("the test table", () => {
  it("has one row per model of these files, link records included", () => {
    expect(cases.map((c) => c.model.name)).toEqual([
      "Device",
      "DeviceProject",
      "DeviceOwnership",
      "DevicePosition",
      "Task",
      "MatchingAlgorithm",
      "MatchingAlgorithmProject",
      "AlgorithmRun",
      "Link",
      "Page",
      "PageUser",
      "PageUserRole",
      "CommentIaso",
      "BulkCreateUserCsvFile",
      "BulkCreateUserCsvFileDefaultProject",
      "BulkCreateUserCsvFileDefaultUserRole",
      "BulkCreateUserCsvFileDefaultOrgUnit",
      "BulkCreateUserCsvFileDefaultTeam"
    ])
  })

  it.each(named)("%s: lists exactly the schema's optional fields, and the full record has every field", (_name, c) => {
    expect([...c.optional].sort()).toEqual(optionalFields(c.model).sort())
    expect(Object.keys(c.full).sort()).toEqual(Object.keys(c.model.schema.fields).sort())
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
    const task = Schema.decodeUnknownSync(Task)(cases.find((c) => c.model === TaskModel)?.full)
    expect(task.createdAt.toISOString()).toBe("2024-06-20T16:13:20.123Z")
    expect(task.startedAt?.getTime()).toBe(1718900001000)
    const comment = Schema.decodeUnknownSync(CommentIaso)(cases.find((c) => c.model === CommentIasoModel)?.full)
    expect(comment.submitDate.toISOString()).toBe("2024-06-20T16:13:20.456Z")
    const position = Schema.decodeUnknownSync(DevicePosition)(cases.find((c) => c.model === DevicePositionModel)?.full)
    expect(position.capturedAt.getTime()).toBe(1718899999000)
    expect(position.location.coordinates).toEqual([-6.2667, 13.4317, 289.5])
  })

  it("keeps accuracies as decimal strings, extremes of decimal(7,2) included", () => {
    const full = cases.find((c) => c.model === DevicePositionModel)?.full ?? {}
    for (const accuracy of ["0", "0.01", "99999.99", "-99999.99", "12.5", "7"]) {
      const decoded = Schema.decodeUnknownSync(DevicePosition)({ ...full, accuracy })
      expect(decoded.accuracy).toBe(accuracy)
      expect(Schema.encodeSync(DevicePosition)(decoded).accuracy).toBe(accuracy)
    }
  })

  it("accepts IPv4 and IPv6 addresses in their usual forms", () => {
    for (const ip of [
      "127.0.0.1",
      "0.0.0.0",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
      "::ffff:192.0.2.128",
      "2001:DB8::1"
    ]) {
      expect(Schema.decodeUnknownSync(IpAddress)(ip)).toBe(ip)
    }
    for (const ip of ["1.2.3", "01.2.3.4x", "1.2.3.4.5", ":::", "12345::1", "g::1", "", " 1.2.3.4"]) {
      expect(decodeFailure(IpAddress, ip)).toContain("Expected an IPv4 or IPv6 address")
    }
  })

  it("a global algorithm has no accountId; an account-scoped record must have one", () => {
    const decoded = Schema.decodeUnknownSync(MatchingAlgorithm)({ ...globalBase, name: "n", description: "" })
    expect(Object.hasOwn(decoded, "accountId")).toBe(false)
    const device = cases.find((c) => c.model === DeviceModel)
    if (device === undefined) throw new Error("no Device case")
    expect(decodeFailure(codecOf(DeviceModel), omit(device.full, ["accountId"]))).toContain(`Missing key\n  at ["accountId"]`)
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
    for (const id of [String(c.full["id"]).toUpperCase(), "not-a-uuid", "018f3a1e-7b2c-7d4e-cf10-000000000002"]) {
      expect(decodeFailure(codecOf(c.model), patched(c, { id }))).toContain(`${UUID_MESSAGE}\n  at ["id"]`)
    }
  })

  it.each(named)("%s: version 0 and a createdAt in year 10000", (_name, c) => {
    expect(decodeFailure(codecOf(c.model), patched(c, { version: 0 }))).toContain('Expected a value greater than or equal to 1\n  at ["version"]')
    expect(decodeFailure(codecOf(c.model), patched(c, { createdAt: 253402300800000 }))).toContain(
      'Expected epoch milliseconds between years 1 and 9999\n  at ["createdAt"]'
    )
  })

  it("the enumerations are IASO's exact values", () => {
    expect(DEVICE_TRANSPORTS).toEqual(["car", "foot", "truck"])
    expect(TASK_STATUSES).toEqual(["QUEUED", "RUNNING", "EXPORTED", "ERRORED", "SKIPPED", "KILLED", "SUCCESS"])
    expect(ALIVE_TASK_STATUSES).toEqual(["QUEUED", "RUNNING"])
    expect(PAGE_TYPES).toEqual(["RAW", "TEXT", "IFRAME", "POWERBI", "SUPERSET"])
  })
})

describe("declarations: scope, columns, indexes, references, access", () => {
  it("MatchingAlgorithm is a global catalogue; every other model is account-scoped", () => {
    for (const model of MY_MODELS) expect(model.scope, model.name).toBe(model.name === "MatchingAlgorithm" ? "global" : "account")
  })

  it.each(named)("%s: a column per field; optional fields are nullable; instants are integers", (_name, c) => {
    const fields = Object.keys(c.model.schema.fields)
    expect(c.model.columns.map((column) => column.name)).toEqual(fields)
    const optional = new Set(optionalFields(c.model))
    for (const column of c.model.columns) expect(column.nullable, column.name).toBe(optional.has(column.name))
  })

  it("stored column kinds of the non-obvious fields", () => {
    const kind = (model: AnyModel, name: string) => model.columns.find((column) => column.name === name)?.kind
    expect(kind(DevicePositionModel, "accuracy")).toBe("text")
    expect(kind(DevicePositionModel, "location")).toBe("json")
    expect(kind(DevicePositionModel, "capturedAt")).toBe("integer")
    expect(kind(DevicePositionModel, "transport")).toBe("text")
    expect(kind(DeviceOwnershipModel, "end")).toBe("integer")
    expect(kind(TaskModel, "progressValue")).toBe("integer")
    expect(kind(TaskModel, "result")).toBe("json")
    expect(kind(LinkModel, "similarityScore")).toBe("integer")
    expect(kind(PageModel, "type")).toBe("text")
    expect(kind(CommentIasoModel, "ipAddress")).toBe("text")
    expect(kind(BulkCreateUserCsvFileModel, "file")).toBe("json")
    expect(kind(BulkCreateUserCsvFileModel, "defaultPermissions")).toBe("json")
  })

  it("index names are unique across the store and prefixed with the model in snake_case", () => {
    const names = Object.values(MODELS).flatMap((model) => model.indexes.map((index) => index.name))
    expect(new Set(names).size).toBe(names.length)
    for (const model of MY_MODELS) for (const index of model.indexes) expect(index.name.startsWith(`${snake(model.name)}_`), index.name).toBe(true)
    for (const name of names) expect(name.length, name).toBeLessThanOrEqual(63)
  })

  it.each(named)("%s: indexes name existing columns; references name id fields, known models and optional fields for setNull", (_name, c) => {
    const columns = new Set(c.model.columns.map((column) => column.name))
    for (const index of c.model.indexes) for (const field of index.fields) expect(columns.has(field), `${index.name}.${field}`).toBe(true)
    const optional = new Set(optionalFields(c.model))
    const idFields = Object.keys(c.model.schema.fields).filter((key) => key.endsWith("Id") && key !== "accountId" && !EXTERNAL_ID_FIELDS.includes(key))
    expect(c.model.references.map((r) => r.field).sort()).toEqual(idFields.sort())
    for (const reference of c.model.references) {
      expect(KNOWN_TARGETS.has(reference.target), reference.target).toBe(true)
      expect(reference.target).not.toBe("Account")
      if (reference.onDelete === "setNull") expect(optional.has(reference.field), reference.field).toBe(true)
    }
  })

  it("the uniqueness IASO has globally is per account here", () => {
    const unique = (model: AnyModel) => model.indexes.filter((index) => index.unique === true).map((index) => index.fields)
    expect(unique(PageModel)).toEqual([["accountId", "slug"]])
    expect(unique(DevicePositionModel)).toEqual([["accountId", "uuid"]])
  })

  it("IASO's on-delete rules", () => {
    const rules = (model: AnyModel) => Object.fromEntries(model.references.map((r) => [r.field, `${r.target}:${r.onDelete}`]))
    expect(rules(DeviceOwnershipModel)).toEqual({ deviceId: "Device:cascade", projectId: "Project:restrict", userId: "User:cascade" })
    expect(rules(DevicePositionModel)).toEqual({ deviceId: "Device:cascade" })
    expect(rules(TaskModel)).toEqual({ createdById: "User:setNull", launcherId: "User:setNull" })
    expect(rules(AlgorithmRunModel)).toEqual({
      algorithmId: "MatchingAlgorithm:cascade",
      launcherId: "User:setNull",
      version1Id: "SourceVersion:cascade",
      version2Id: "SourceVersion:cascade"
    })
    expect(rules(LinkModel)).toEqual({
      destinationId: "OrgUnit:cascade",
      sourceId: "OrgUnit:cascade",
      validatorId: "User:cascade",
      algorithmRunId: "AlgorithmRun:cascade"
    })
    expect(rules(CommentIasoModel)).toEqual({ userId: "User:setNull", parentId: "CommentIaso:cascade" })
    expect(rules(BulkCreateUserCsvFileModel)).toEqual({ createdById: "User:restrict" })
  })

  it("access lists use IASO's permission codenames", () => {
    expect(TaskModel.access).toEqual({ read: ["iaso_data_tasks", "iaso_planning_write"], write: ["iaso_data_tasks"] })
    expect(PageModel.access).toEqual({ read: ["iaso_pages", "iaso_page_write"], write: ["iaso_page_write"] })
    for (const model of [MatchingAlgorithmModel, MatchingAlgorithmProjectModel, AlgorithmRunModel, LinkModel]) {
      expect(model.access, model.name).toEqual({ read: ["iaso_links"], write: ["iaso_links"] })
    }
    expect(DeviceModel.access.read).toEqual(["iaso_forms", "iaso_submissions"])
    expect(BulkCreateUserCsvFileModel.access).toEqual({ read: ["iaso_users", "iaso_users_managed"], write: ["iaso_users", "iaso_users_managed"] })
    expect(CommentIasoModel.access).toEqual({ read: [], write: [] })
  })

  it("declares no secrets", () => {
    for (const model of MY_MODELS) expect(model.secret, model.name).toEqual([])
  })
})

describe("generated domain records survive encode then decode", () => {
  // The generator never draws more properties than `size` for an object: with its default size, a record with
  // many required fields (Task, CommentIaso) would never get an optional one. 40 lets every optional field appear.
  it.each(named)("%s: 50 samples", async (_name, c) => {
    const arbitrary = Arbitrary.schema(Schema.toType(c.model.schema))
    const samples: ReadonlyArray<unknown> = await Effect.runPromise(Arbitrary.sampleEffect(arbitrary, { count: 50, seed: 20240620, size: 40 }))
    expect(samples).toHaveLength(50)
    const present = new Map<string, number>()
    for (const original of samples) {
      const encoded = encodeRecord(c.model, original)
      const decoded = decodeRecord(c.model, encoded)
      expect(reveal(decoded)).toEqual(reveal(original))
      expect(typeof encoded["createdAt"]).toBe("number")
      for (const key of Object.keys(encoded)) present.set(key, (present.get(key) ?? 0) + 1)
    }
    // every optional field is both present and absent in some sample
    for (const key of c.optional) expect(present.get(key) ?? 0, key).toBeGreaterThan(0)
    for (const key of c.optional) expect(present.get(key) ?? 0, key).toBeLessThan(50)
  })
})

// -----------------------------------------------------------------------------
// The diagram
// -----------------------------------------------------------------------------

const DIAGRAM = "reference/er-diagram.md"
const available = sharedAvailable(DIAGRAM)

/** The diagram entities these files implement, with their model. */
const ENTITIES: ReadonlyArray<readonly [entity: string, model: AnyModel]> = [
  ["Device", DeviceModel],
  ["DeviceOwnership", DeviceOwnershipModel],
  ["DevicePosition", DevicePositionModel],
  ["Task", TaskModel],
  ["MatchingAlgorithm", MatchingAlgorithmModel],
  ["AlgorithmRun", AlgorithmRunModel],
  ["Link", LinkModel],
  ["Page", PageModel],
  ["CommentIaso", CommentIasoModel],
  ["BulkCreateUserCsvFile", BulkCreateUserCsvFileModel]
]

/** The rows of the ER table (packages/core/README.md) these entities need: attributes that are not fields. */
const ER_ROWS: ReadonlyArray<readonly [entity: string, attribute: string]> = [
  ["Page", "users"],
  ["CommentIaso", "site"],
  ["CommentIaso", "content_type"],
  ["CommentIaso", "content_object"]
]

const parseBlocks = (text: string): Map<string, ReadonlyArray<{ readonly type: string; readonly name: string }>> => {
  const blocks = new Map<string, Array<{ type: string; name: string }>>()
  let current: Array<{ type: string; name: string }> | undefined
  for (const line of text.split("\n").map((l) => l.trim())) {
    const open = /^([A-Za-z][A-Za-z0-9]*)\{$/.exec(line)
    if (open !== null) {
      current = []
      blocks.set(open[1] ?? "", current)
    } else if (line === "}") current = undefined
    else {
      const attribute = /^([A-Za-z]+)\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(line)
      if (current !== undefined && attribute !== null) current.push({ type: attribute[1] ?? "", name: attribute[2] ?? "" })
    }
  }
  return blocks
}

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

describe.skipIf(!available)(`the ER diagram's entity blocks ${available ? "" : skipMessage(DIAGRAM)}`, () => {
  const blocks = available ? parseBlocks(readShared(DIAGRAM)) : new Map()

  it.each(ENTITIES)("%s: every attribute is a field (FK x -> xId) or exactly one ER-table row, never both", (entity, model) => {
    const attributes = blocks.get(entity)
    expect(attributes, entity).toBeDefined()
    const fields = new Set(Object.keys(model.schema.fields))
    const problems: Array<string> = []
    for (const attribute of attributes ?? []) {
      const field = ["ForeignKey", "OneToOneField"].includes(attribute.type) ? `${camel(attribute.name)}Id` : camel(attribute.name)
      const rows = ER_ROWS.filter(([e, a]) => e === entity && a === attribute.name).length
      if (fields.has(field) === rows > 0 || rows > 1) problems.push(`${attribute.name} (field ${field}: ${fields.has(field)}, rows: ${rows})`)
    }
    expect(problems).toEqual([])
  })

  it("the model names are the diagram's entity names", () => {
    for (const [entity, model] of ENTITIES) expect(model.name).toBe(entity)
  })
})
