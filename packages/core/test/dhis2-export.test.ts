/**
 * The DHIS2 export's value formatter, payload builders and page sending, against a local DHIS2
 * stand-in (node:http on 127.0.0.1) answering with IASO's own DHIS2 fixtures
 * (`iaso/tests/fixtures/dhis2/`, read from ../shared), errors included.
 */
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Redacted, Result } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dataValueSetErrors, type Dhis2Connection, eventErrors } from "../src/dhis2/export-dhis2-client.ts"
import { sendAggregatePage, sendEventPage } from "../src/dhis2/export-page.ts"
import { type ExportItem, runExportItems } from "../src/dhis2/export-run.ts"
import {
  type ExportCandidate,
  exportExclusion,
  finalExportStatus,
  isStaleQueuedExport,
  type PlannedMappingVersion,
  type PlannedSubmission,
  planExportStatuses,
  tallyPage
} from "../src/dhis2/export-plan.ts"
import { aggregateEntry, type DataSetEntry, eventOf, mappingProblemLines, usesTrackerApi } from "../src/dhis2/export-payloads.ts"
import { trackedEntityOf } from "../src/dhis2/export-tracker.ts"
import { formatDhis2Value } from "../src/dhis2/value-format.ts"
import { readShared, sharedAvailable, skipMessage } from "./shared-files.ts"

const DIR = "fixtures/iaso/iaso/tests/fixtures/dhis2"
const available = sharedAvailable(`${DIR}/datavalues-ok.json`)
const fixtureText = (name: string): string => readShared(`${DIR}/${name}`)

const format = (element: Parameters<typeof formatDhis2Value>[0], raw: unknown) => {
  const result = formatDhis2Value(element, raw, { orgUnitSourceRef: (id) => (id === "42" ? "ImspTQPwCqd" : undefined) })
  return Result.isSuccess(result) ? { value: result.success } : { error: result.failure.message }
}

describe("DHIS2 value formatting", () => {
  it("converts each value type as IASO does", () => {
    expect(format({ valueType: "NUMBER" }, "3.5")).toEqual({ value: 3.5 })
    expect(format({ valueType: "NUMBER" }, "")).toEqual({ value: null })
    expect(format({ valueType: "INTEGER_POSITIVE" }, "12")).toEqual({ value: 12 })
    expect(format({ valueType: "PERCENTAGE" }, "80")).toEqual({ value: 80 })
    expect(format({ valueType: "TEXT" }, "")).toEqual({ value: "" })
    expect(format({ valueType: "LONG_TEXT" }, "a b")).toEqual({ value: "a b" })
    expect(format({ valueType: "BOOLEAN" }, "yes")).toEqual({ value: true })
    expect(format({ valueType: "BOOLEAN" }, "0")).toEqual({ value: false })
    expect(format({ valueType: "BOOLEAN" }, "")).toEqual({ value: null })
    expect(format({ valueType: "TIME" }, "08:30:00.000+01:00")).toEqual({ value: "08:30" })
    expect(format({ valueType: "DATE" }, "2024-01-31")).toEqual({ value: "2024-01-31" })
    expect(format({ valueType: "DATE" }, "")).toEqual({ value: null })
    expect(format({ valueType: "COORDINATE" }, "50.8367386 4.40093901 123.5 49.3")).toEqual({ value: "[4.40093901,50.8367386]" })
    expect(format({ valueType: "ORGANISATION_UNIT" }, "42")).toEqual({ value: "ImspTQPwCqd" })
    expect(format({ valueType: "ORGANISATION_UNIT" }, "O6uvpzGd5pu")).toEqual({ value: "O6uvpzGd5pu" })
    expect(format({ valueType: "INTEGER" }, null)).toEqual({ value: null })
  })

  it("translates option-set answers by their ODK name, then by code", () => {
    const element = { valueType: "TEXT", optionSet: { options: [{ code: "MALE", odk: "m" }, { code: "FEMALE" }] } }
    expect(format(element, "m")).toEqual({ value: "MALE" })
    expect(format(element, "FEMALE")).toEqual({ value: "FEMALE" })
    expect(format(element, "")).toEqual({ value: null })
    expect(format(element, "x")).toEqual({ error: `no value matching : 'x' in ${JSON.stringify(element)}` })
  })

  it("refuses unconvertible answers with IASO's messages", () => {
    expect(format({ valueType: "INTEGER" }, "12.5")).toEqual({ error: "Bad value for int '12.5'" })
    expect(format({ valueType: "NUMBER" }, "abc")).toEqual({ error: "Bad value for float 'abc'" })
    expect(format({ valueType: "BOOLEAN" }, "maybe")).toEqual({ error: "Bad value for boolean 'maybe'" })
    expect(format({ id: "x" }, "1")).toEqual({ error: 'no valueType for {"id":"x"}' })
    expect(format({ id: "x", valueType: "FILE_RESOURCE" }, "f.jpg")).toEqual({
      error: 'unsupported data element type : {"id":"x","valueType":"FILE_RESOURCE"}'
    })
    expect(format({ valueType: "COORDINATE" }, "north")).toEqual({ error: "Bad value for coordinate 'north'" })
  })
})

const submission = {
  id: "sub-1",
  json: { age: "12", sex: "m", note: "free", ignored: "x", _version: "2024010101" },
  period: "202401",
  orgUnitSourceRef: "DiszpKrYNg8",
  createdAt: new Date("2024-01-15T10:00:00Z"),
  exportId: "EVT00000001",
  location: { latitude: 8.48, longitude: -13.23 }
}
const aggregateMapping = {
  data_set_id: "BfMAe6Itzgt",
  question_mappings: {
    age: { id: "M62VHgYT2n0", valueType: "INTEGER_POSITIVE", categoryOptionCombo: "HllvX50cXC0" },
    sex: { id: "FC3nR54yGUx", valueType: "TEXT", optionSet: { options: [{ code: "MALE", odk: "m" }] } },
    note: { type: "neverMapped" }
  }
}

describe("DHIS2 export payloads", () => {
  it("maps a submission to a tracked entity: attributes, one enrollment, one event per stage with answers, stage status from status_<stage>", () => {
    const mapping = {
      program_id: "YiNSCPK5tq4",
      tracked_entity_type: "GdSb4xcpJ0H",
      tracked_entity_identifier: "rSudwSeXTKQ",
      event_date_source: "FROM_SUBMISSION_PERIOD",
      question_mappings: {
        age: [{ programStage: "stageA", dataElement: { id: "M62VHgYT2n0", valueType: "INTEGER_POSITIVE" } }],
        sex: [
          { trackedEntityAttribute: { id: "cejWyOfXge6", name: "Sex", valueType: "TEXT" } },
          { programStage: "stageB", dataElement: { id: "oZg33kd9taw", valueType: "TEXT" } }
        ],
        note: [{ programStage: "stageC", dataElement: { id: "Unanswered", valueType: "TEXT" } }],
        ignored: { type: "neverMapped" }
      }
    }
    const built = trackedEntityOf({ ...submission, json: { age: "12", sex: "m", status_stageB: "active" } }, mapping, { periodStart: "2024-01-01" })
    const event = (programStage: string, status: string, dataElement: string, value: unknown) => ({
      program: "YiNSCPK5tq4",
      programStage,
      orgUnit: "DiszpKrYNg8",
      eventDate: "2024-01-01",
      status,
      coordinate: { latitude: 8.48, longitude: -13.23 },
      dataValues: [{ dataElement, value }]
    })
    expect(built).toEqual(
      Result.succeed({
        orgUnit: "DiszpKrYNg8",
        trackedEntityType: "GdSb4xcpJ0H",
        attributes: [{ attribute: "cejWyOfXge6", value: "m", displayName: "Sex", valueType: "TEXT" }],
        enrollments: [
          {
            trackedEntityType: "GdSb4xcpJ0H",
            enrollmentDate: "2024-01-01",
            program: "YiNSCPK5tq4",
            deleted: false,
            incidentDate: "2024-01-01",
            orgUnit: "DiszpKrYNg8",
            events: [event("stageA", "COMPLETED", "M62VHgYT2n0", 12), event("stageB", "ACTIVE", "oZg33kd9taw", "m")]
          }
        ]
      })
    )
    const bad = trackedEntityOf({ ...submission, json: { age: "old" } }, mapping)
    expect(Result.isFailure(bad) ? mappingProblemLines(bad.failure) : []).toEqual(["age Bad value for int 'old'"])
  })

  it("maps a submission to a data set entry with combos and IASO's comments", () => {
    const entry = aggregateEntry(submission, aggregateMapping)
    expect(Result.isSuccess(entry) ? entry.success : entry.failure).toEqual({
      dataSet: "BfMAe6Itzgt",
      completeDate: "2024-01-15",
      period: "202401",
      orgUnit: "DiszpKrYNg8",
      dataValues: [
        { dataElement: "M62VHgYT2n0", value: 12, comment: "sub-1 12 age", categoryOptionCombo: "HllvX50cXC0" },
        { dataElement: "FC3nR54yGUx", value: "MALE", comment: "sub-1 m sex" }
      ]
    })
  })

  it("lists every unmappable answer as '<question> <message>'", () => {
    const entry = aggregateEntry({ ...submission, json: { age: "twelve", sex: "f" } }, aggregateMapping)
    expect(Result.isFailure(entry) ? mappingProblemLines(entry.failure) : []).toEqual([
      "age Bad value for int 'twelve'",
      `sex no value matching : 'f' in ${JSON.stringify(aggregateMapping.question_mappings.sex)}`
    ])
  })

  it("maps a submission to an event, a multiple-choice question to one boolean per choice", () => {
    const mapping = {
      program_id: "eBAyeGv0exc",
      question_mappings: {
        sex: { type: "multiple", values: { m: { id: "DE_M", valueType: "BOOLEAN" }, f: { id: "DE_F", valueType: "BOOLEAN" } } },
        age: { id: "DE_AGE", valueType: "INTEGER" }
      }
    }
    const event = eventOf(submission, mapping)
    expect(Result.isSuccess(event) ? event.success : event.failure).toEqual({
      program: "eBAyeGv0exc",
      event: "EVT00000001",
      orgUnit: "DiszpKrYNg8",
      eventDate: "2024-01-15",
      status: "COMPLETED",
      coordinate: { latitude: 8.48, longitude: -13.23 },
      dataValues: [
        { dataElement: "DE_AGE", value: 12 },
        { dataElement: "DE_M", value: true },
        { dataElement: "DE_F", value: false }
      ]
    })
    const orphan = eventOf({ ...submission, orgUnitSourceRef: undefined }, mapping, { orgUnitName: "Bo" })
    expect(Result.isFailure(orphan) ? mappingProblemLines(orphan.failure) : []).toEqual(["orgUnit unknown orgunit in dhis2 : Bo(Bo)"])
  })

  it("sends events through the tracker API from DHIS2 2.42", () => {
    expect([usesTrackerApi("2.41.3"), usesTrackerApi("2.42"), usesTrackerApi("2.42-SNAPSHOT"), usesTrackerApi("dev")]).toEqual([false, true, true, false])
  })
})

/** What the stand-in received. */
interface Received {
  readonly method: string
  readonly url: string
  readonly authorization: string
  readonly body: unknown
}

/** The stand-in's answers, by path: a fixture name (status from its `httpStatusCode`, else 200) or a raw body. */
let answers: Record<string, { readonly fixture: string } | { readonly status: number; readonly text: string }> = {}
/** Fixtures answered to successive `dataValueSets` posts before falling back to {@link answers}. */
const dataValueSetQueue: Array<string> = []
const received: Array<Received> = []
let server: Server
let connection: Dhis2Connection

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const url = request.url ?? ""
      received.push({ method: request.method ?? "", url, authorization: request.headers.authorization ?? "", body: JSON.parse(body) })
      const path = url.replace(/^\/api\//, "")
      const queued = path === "dataValueSets" ? dataValueSetQueue.shift() : undefined
      const answer = queued === undefined ? answers[path] : { fixture: queued }
      if (answer === undefined) {
        response.writeHead(404, { "content-type": "text/plain" }).end("Not Found")
        return
      }
      if ("fixture" in answer) {
        const text = fixtureText(answer.fixture)
        const parsed = JSON.parse(text) as { httpStatusCode?: number }
        response.writeHead(parsed.httpStatusCode ?? 200, { "content-type": "application/json" }).end(text)
        return
      }
      response.writeHead(answer.status, { "content-type": "text/html" }).end(answer.text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  connection = { url: `http://127.0.0.1:${port}/`, login: "admin", password: Redacted.make("district") }
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const entry = (): DataSetEntry => {
  const built = aggregateEntry(submission, aggregateMapping)
  if (Result.isFailure(built)) throw new Error("the fixture submission maps")
  return built.success
}
const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

describe.skipIf(!available)(`DHIS2 export against a local stand-in ${available ? "" : skipMessage(DIR)}`, () => {
  it("posts a page's data values then its completion, with basic auth and without keeping the password", async () => {
    answers = { dataValueSets: { fixture: "datavalues-ok.json" }, completeDataSetRegistrations: { fixture: "datavalues-ok.json" } }
    received.length = 0
    const outcome = await run(sendAggregatePage(connection, "page 1/1", [entry()]))
    expect(outcome.error).toBeUndefined()
    expect(outcome.exchanges.map((exchange) => [exchange.url, exchange.httpStatus])).toEqual([
      [`${connection.url}api/dataValueSets`, 200],
      [`${connection.url}api/completeDataSetRegistrations`, 200]
    ])
    expect(received.map((request) => [request.method, request.url, request.authorization])).toEqual([
      ["POST", "/api/dataValueSets", `Basic ${Buffer.from("admin:district").toString("base64")}`],
      ["POST", "/api/completeDataSetRegistrations", `Basic ${Buffer.from("admin:district").toString("base64")}`]
    ])
    expect(received[0]?.body).toEqual({
      dataValues: [
        { dataElement: "M62VHgYT2n0", value: 12, comment: "sub-1 12 age", categoryOptionCombo: "HllvX50cXC0", orgUnit: "DiszpKrYNg8", period: "202401" },
        { dataElement: "FC3nR54yGUx", value: "MALE", comment: "sub-1 m sex", orgUnit: "DiszpKrYNg8", period: "202401" }
      ]
    })
    expect(received[1]?.body).toEqual({
      completeDataSetRegistrations: [{ period: "202401", dataSet: "BfMAe6Itzgt", organisationUnit: "DiszpKrYNg8", date: "2024-01-15" }]
    })
    expect(JSON.stringify(outcome.exchanges)).not.toContain("district")
  })

  it.each([
    ["datavalues-error-bad-coc.json", 409, "Category option combo not found or not accessible"],
    ["datavalues-error-unknown-dataelement.json", 409, "Data element not found or not accessible"],
    ["datavalues-error-open-periods.json", 409, "Period: 203001 is after latest open future period: 202001 for data element: M62VHgYT2n0"],
    ["datavalues-error-assigned.json", 409, "Data element: FC3nR54yGUx must be assigned through data sets to organisation unit: t3kZ5ksd8IR"],
    ["datavalues-error-technical.json", 500, "The import process failed: Failed to flush BatchHandler"],
    ["datavalues-error-coc.json", 409, "Value is zero and not significant, must match data element: lXpDI2bRPCF"],
    ["datavalues-error-element-type-percent.json", 409, "Data value is not a percentage, must match data element type: wTFkuSU2MsH"]
  ])("reports DHIS2's refusal of %s with its first description and does not mark it complete", async (fixture, status, description) => {
    answers = { dataValueSets: { fixture } }
    received.length = 0
    const outcome = await run(sendAggregatePage(connection, "page 2/3", [entry()]))
    expect(outcome.error).toBe(`ERROR while processing page 2/3 : ${description}`)
    expect(outcome.exchanges.map((exchange) => exchange.httpStatus)).toEqual([status])
    expect(outcome.exchanges[0]?.received).toEqual(JSON.parse(fixtureText(fixture)))
    expect(received.map((request) => request.url)).toEqual(["/api/dataValueSets"])
  })

  it("keeps a non-JSON answer as IASO's stand-in description", async () => {
    answers = { dataValueSets: { status: 502, text: "<html>Bad Gateway</html>" } }
    const outcome = await run(sendAggregatePage(connection, "page 1/1", [entry()]))
    expect(outcome.error).toBe("ERROR while processing page 1/1 : non json response return by server: <html>Bad Gateway</html>")
    expect(outcome.exchanges.map((exchange) => exchange.httpStatus)).toEqual([502])
  })

  const event = () => {
    const built = eventOf(submission, { program_id: "eBAyeGv0exc", question_mappings: { age: { id: "DE_AGE", valueType: "INTEGER" } } })
    if (Result.isFailure(built)) throw new Error("the fixture submission maps")
    return built.success
  }

  it("posts each event alone and takes DHIS2's success", async () => {
    answers = { events: { fixture: "event-create-ok.json" } }
    received.length = 0
    const outcome = await run(sendEventPage(connection, "page 1/1", [event(), event()], false))
    expect(outcome.error).toBeUndefined()
    expect(outcome.exchanges.map((exchange) => exchange.httpStatus)).toEqual([200, 200])
    expect(received[0]?.body).toEqual({
      events: [
        {
          program: "eBAyeGv0exc",
          event: "EVT00000001",
          orgUnit: "DiszpKrYNg8",
          eventDate: "2024-01-15",
          status: "COMPLETED",
          coordinate: { latitude: 8.48, longitude: -13.23 },
          dataValues: [{ dataElement: "DE_AGE", value: 12 }]
        }
      ]
    })
  })

  it("posts to tracker?async=false with occurredAt for DHIS2 2.42", async () => {
    answers = { "tracker?async=false": { fixture: "event-create-ok.json" } }
    received.length = 0
    await run(sendEventPage(connection, "page 1/1", [event()], true))
    expect(received.map((request) => request.url)).toEqual(["/api/tracker?async=false"])
    expect(received[0]?.body).toMatchObject({ events: [{ eventDate: "2024-01-15", occurredAt: "2024-01-15" }] })
  })

  it.each([
    ["event-create-error-229.json", "Event.orgUnit does not point to a valid organisation unit: kPxpcEPkYsA"],
    ["event-create-error-230.json", "Event.orgUnit does not point to a valid organisation unit: kPxpcEPkYsA"],
    ["event-create-error-230-notassigned.json", "Program is not assigned to this organisation unit: YuQRtpLP10I"],
    ["event-create-error-231.json", "Event.orgUnit does not point to a valid organisation unit: kPxpcEPkYsA"],
    ["event-create-error-232.json", "Event.orgUnit does not point to a valid organisation unit: kPxpcEPkYsA"],
    ["event-create-error-233.json", "Event.orgUnit does not point to a valid organisation unit: kPxpcEPkYsA"],
    ["event-create-error-235-type.json", "value_not_positive_integer"]
  ])("reports DHIS2's refusal of an event (%s) with its first description", async (fixture, description) => {
    answers = { events: { fixture } }
    const outcome = await run(sendEventPage(connection, "page 1/2", [event()], false))
    expect(outcome.error).toBe(`ERROR while processing page 1/2 : ${description}`)
    expect(outcome.exchanges.map((exchange) => exchange.httpStatus)).toEqual([409])
  })

  it("reads no error in DHIS2's successful answers", () => {
    expect(dataValueSetErrors(JSON.parse(fixtureText("datavalues-ok.json")))).toEqual([])
    expect(eventErrors(JSON.parse(fixtureText("event-create-ok.json")))).toEqual([])
  })
})

const candidate: ExportCandidate = {
  id: "i1",
  status: "READY",
  deleted: false,
  hasFile: true,
  testDevice: false,
  exported: false,
  inFlight: false,
  underRoots: true
}

describe("DHIS2 export planning", () => {
  it("leaves out submissions by IASO's eligibility rules, and those outside the launcher's roots", () => {
    expect(exportExclusion(candidate, false)).toBeUndefined()
    expect(exportExclusion({ ...candidate, status: "DUPLICATED" }, true)).toBe("duplicated")
    expect(exportExclusion({ ...candidate, deleted: true }, true)).toBe("deleted")
    expect(exportExclusion({ ...candidate, hasFile: false }, true)).toBe("no file")
    expect(exportExclusion({ ...candidate, testDevice: true }, true)).toBe("test device")
    expect(exportExclusion({ ...candidate, exported: true }, false)).toBe("already exported")
    expect(exportExclusion({ ...candidate, exported: true }, true)).toBeUndefined()
    expect(exportExclusion({ ...candidate, inFlight: true }, true)).toBe("in flight")
    expect(exportExclusion({ ...candidate, underRoots: false }, true)).toBe("outside roots")
  })

  const versions: ReadonlyArray<PlannedMappingVersion> = [
    { id: "mv-agg", formId: "f1", mappingType: "AGGREGATE", formVersionVersionId: "2024010101" },
    { id: "mv-evt", formId: "f1", mappingType: "EVENT", formVersionVersionId: "2024010101" },
    { id: "mv-der", formId: "f1", mappingType: "DERIVED", formVersionVersionId: "2024010101" },
    { id: "mv-old", formId: "f1", mappingType: "AGGREGATE", formVersionVersionId: "2023010101" },
    { id: "mv-trk", formId: "f2", mappingType: "EVENT_TRACKER", formVersionVersionId: "1" }
  ]
  const plan = (submissions: ReadonlyArray<PlannedSubmission>, forceExport = false) => {
    const result = planExportStatuses(submissions, versions, { forceExport, params: { filters: { form_ids: "f1" } } })
    return Result.isSuccess(result) ? { statuses: result.success } : { error: [result.failure._tag, result.failure.message] }
  }

  it("pairs each submission with its form version's non-derived mapping versions", () => {
    expect(plan([{ id: "i1", json: { _version: "2024010101" }, formId: "f1", formName: "Quality" }])).toEqual({
      statuses: [
        { instanceId: "i1", mappingVersionId: "mv-agg" },
        { instanceId: "i1", mappingVersionId: "mv-evt" }
      ]
    })
    expect(plan([{ id: "i2", json: { version: "2023010101" }, formId: "f1", formName: "Quality" }])).toEqual({
      statuses: [{ instanceId: "i2", mappingVersionId: "mv-old" }]
    })
  })

  it("refuses with IASO's error codes and texts", () => {
    expect(plan([])).toEqual({ error: ["NothingToExportError", 'no instance to export for {"filters":{"form_ids":"f1"}}'] })
    expect(plan([{ id: "i3", json: { q: "1" }, formId: "f1", formName: "Quality" }])).toEqual({
      error: ["NoVersionError", 'No version specified (_version or version) in instance json : i3 {"q":"1"}']
    })
    expect(plan([{ id: "i4", json: { _version: "9" }, formId: "f1", formName: "Quality" }])).toEqual({
      error: ["NoFormMappingError", "No form mapping version for the form version 'Quality' for version '9'"]
    })
    expect(plan([{ id: "i5", json: { _version: "1" }, formId: "f2", formName: "Tracker" }], true)).toEqual({
      error: ["NotSupportedError", "forcing the export of an EVENT_TRACKER mapping is not supported"]
    })
  })

  it("counts each export status once, and marks QUEUED requests stale after 60 seconds", () => {
    const afterOk = tallyPage({ exportedCount: 0, erroredCount: 0 }, 25, true)
    const afterError = tallyPage(afterOk, 3, false)
    expect([afterOk, afterError, finalExportStatus(afterOk), finalExportStatus(afterError)]).toEqual([
      { exportedCount: 25, erroredCount: 0 },
      { exportedCount: 25, erroredCount: 3 },
      "EXPORTED",
      "ERRORED"
    ])
    const queuedAt = new Date("2024-01-01T00:00:00Z")
    expect([isStaleQueuedExport(queuedAt, new Date("2024-01-01T00:01:00Z")), isStaleQueuedExport(queuedAt, new Date("2024-01-01T00:01:01Z"))]).toEqual([
      false,
      true
    ])
  })
})

describe.skipIf(!available)(`DHIS2 export runs against a local stand-in ${available ? "" : skipMessage(DIR)}`, () => {
  const items = (count: number): Array<ExportItem> =>
    Array.from({ length: count }, (_, index) => ({
      statusId: `s${index + 1}`,
      mappingType: "AGGREGATE",
      mapping: aggregateMapping,
      submission: { ...submission, id: `sub-${index + 1}` }
    }))
  const summary = (result: Awaited<ReturnType<typeof runAll>>) => ({
    status: result.status,
    counters: result.counters,
    lastErrorMessage: result.lastErrorMessage,
    exchanges: result.exchanges.map((exchange) => [exchange.url.replace(connection.url, ""), exchange.httpStatus]),
    byStatus: [...result.items.values()].reduce<Record<string, number>>((counts, item) => {
      counts[item.status] = (counts[item.status] ?? 0) + 1
      return counts
    }, {})
  })
  const runAll = (list: ReadonlyArray<ExportItem>, continueOnError: boolean) => run(runExportItems(connection, list, { continueOnError }))

  it("sends pages of 25 and goes on after a refused page with continue_on_error, counting each status once", async () => {
    answers = { completeDataSetRegistrations: { fixture: "datavalues-ok.json" } }
    dataValueSetQueue.push("datavalues-ok.json", "datavalues-error-bad-coc.json")
    const result = await runAll(items(27), true)
    expect(summary(result)).toEqual({
      status: "ERRORED",
      counters: { exportedCount: 25, erroredCount: 2 },
      lastErrorMessage: "ERROR while processing page 2/2 : Category option combo not found or not accessible",
      exchanges: [
        ["api/dataValueSets", 200],
        ["api/completeDataSetRegistrations", 200],
        ["api/dataValueSets", 409]
      ],
      byStatus: { EXPORTED: 25, ERRORED: 2 }
    })
    expect(result.items.get("s26")).toEqual({
      status: "ERRORED",
      lastErrorMessage: "ERROR while processing page 2/2 : Category option combo not found or not accessible",
      exchanges: [2]
    })
    expect(result.exportedSubmissionIds.length).toBe(25)
  })

  it("stops at a refused page without continue_on_error, the statuses not reached SKIPPED", async () => {
    answers = { completeDataSetRegistrations: { fixture: "datavalues-ok.json" } }
    dataValueSetQueue.push("datavalues-error-technical.json")
    const result = await runAll(items(27), false)
    expect(summary(result)).toEqual({
      status: "ERRORED",
      counters: { exportedCount: 0, erroredCount: 25 },
      lastErrorMessage: "ERROR while processing page 1/2 : The import process failed: Failed to flush BatchHandler",
      exchanges: [["api/dataValueSets", 500]],
      byStatus: { ERRORED: 25, SKIPPED: 2 }
    })
  })

  it("skips submissions without answers and fails a page whose answers cannot be mapped, sending nothing", async () => {
    answers = { dataValueSets: { fixture: "datavalues-ok.json" }, completeDataSetRegistrations: { fixture: "datavalues-ok.json" } }
    const [first, second] = items(2)
    if (first === undefined || second === undefined) throw new Error("two items")
    const empty = { ...first, submission: { ...first.submission, json: {} } }
    const bad = { ...second, submission: { ...second.submission, json: { age: "old" } } }
    const result = await runAll([empty, bad], true)
    expect(summary(result)).toEqual({
      status: "ERRORED",
      counters: { exportedCount: 0, erroredCount: 1 },
      lastErrorMessage: "ERROR while processing page 1/1, instance_id sub-2 : age Bad value for int 'old'",
      exchanges: [],
      byStatus: { SKIPPED: 1, ERRORED: 1 }
    })
    expect(result.items.get("s1")).toEqual({ status: "SKIPPED", lastErrorMessage: "no data json", exchanges: [] })
  })

  it("stops before the next page when asked (a kill): the statuses not reached SKIPPED with Killed, the result KILLED", async () => {
    answers = { dataValueSets: { fixture: "datavalues-ok.json" }, completeDataSetRegistrations: { fixture: "datavalues-ok.json" } }
    const pages: Array<number> = []
    const result = await run(
      runExportItems(connection, items(27), { continueOnError: true, onPage: (page) => pages.push(page), stop: () => pages.length >= 1 })
    )
    expect(pages).toEqual([1])
    expect(summary(result)).toEqual({
      status: "KILLED",
      counters: { exportedCount: 25, erroredCount: 0 },
      lastErrorMessage: "",
      exchanges: [
        ["api/dataValueSets", 200],
        ["api/completeDataSetRegistrations", 200]
      ],
      byStatus: { EXPORTED: 25, SKIPPED: 2 }
    })
    expect(result.items.get("s27")).toEqual({ status: "SKIPPED", lastErrorMessage: "Killed", exchanges: [] })
  })

  it("exports everything when DHIS2 takes every page", async () => {
    answers = { dataValueSets: { fixture: "datavalues-ok.json" }, completeDataSetRegistrations: { fixture: "datavalues-ok.json" } }
    const result = await runAll(items(3), true)
    expect(summary(result)).toEqual({
      status: "EXPORTED",
      counters: { exportedCount: 3, erroredCount: 0 },
      lastErrorMessage: "",
      exchanges: [
        ["api/dataValueSets", 200],
        ["api/completeDataSetRegistrations", 200]
      ],
      byStatus: { EXPORTED: 3 }
    })
  })
})
