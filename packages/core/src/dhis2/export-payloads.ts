/**
 * What a DHIS2 export sends: a submission mapped by an AGGREGATE mapping version becomes a data
 * set entry (its data values, then a complete data set registration), one mapped by an EVENT
 * mapping version a single event. Building stops at the first answers that cannot be formatted and
 * lists them as IASO does (`<question> <message>`), so the page is reported without being sent.
 * @module
 */
import { Result } from "effect"
import type { JsonObject, JsonValue } from "../shared/json.ts"
import { type Dhis2ElementMapping, type Dhis2Value, formatDhis2Value, type ValueFormatContext } from "./value-format.ts"

/** What the payload builders read of a submission. */
export interface ExportedSubmission {
  /** The submission's id, written in each data value's comment. */
  readonly id: string
  /** Its answers (`Instance.json`). */
  readonly json: JsonObject
  /** Its DHIS2 period (`202401`, `2024Q1`...), for aggregate data. */
  readonly period?: string | undefined
  /** The DHIS2 uid of its org unit. */
  readonly orgUnitSourceRef?: string | undefined
  /** When it was filled in on the device (else when it was received). */
  readonly createdAt: Date
  /** Its DHIS2 event uid (`Instance.exportId`). */
  readonly exportId?: string | undefined
  /** Where it was filled in. */
  readonly location?: { readonly latitude: number; readonly longitude: number } | undefined
}

/** One answer that could not be mapped: the question and IASO's message. */
export interface MappingProblem {
  /** The question's name. */
  readonly question: string
  /** Why (IASO's formatter texts). */
  readonly message: string
}

/** A data value of a data set entry. */
export interface Dhis2DataValue {
  readonly dataElement: string
  readonly value: Dhis2Value
  readonly comment?: string
  readonly categoryOptionCombo?: string
  readonly attributeOptionCombo?: string
}

/** A submission as aggregate data: the data set, period, org unit, completion date and its values. */
export interface DataSetEntry {
  readonly dataSet: string
  readonly completeDate: string
  readonly period: string
  readonly orgUnit: string
  readonly dataValues: ReadonlyArray<Dhis2DataValue>
}

/** A submission as a DHIS2 single event. */
export interface Dhis2Event {
  readonly program: string
  readonly event?: string
  readonly orgUnit: string
  readonly eventDate: string
  readonly status: "COMPLETED"
  readonly coordinate?: { readonly latitude: number; readonly longitude: number }
  readonly dataValues: ReadonlyArray<{ readonly dataElement: string; readonly value: Dhis2Value }>
}

type MappingEntry = Dhis2ElementMapping & {
  readonly type?: string
  readonly categoryOptionCombo?: string
  readonly attributeOptionCombo?: string
  readonly values?: { readonly [choice: string]: Dhis2ElementMapping }
}

const asObject = (value: JsonValue | undefined): JsonObject | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined
const questionMappingsOf = (mapping: JsonObject): { readonly [question: string]: MappingEntry } =>
  (asObject(mapping["question_mappings"]) ?? {}) as { readonly [question: string]: MappingEntry }
const day = (date: Date): string => date.toISOString().slice(0, 10)
const rawText = (value: JsonValue | undefined): string =>
  typeof value === "string" ? value : value === undefined || value === null ? "None" : JSON.stringify(value)

/** The lines of an `InstanceExportError` for mapping problems: `<question> <message>` each. */
export const mappingProblemLines = (problems: ReadonlyArray<MappingProblem>): ReadonlyArray<string> =>
  problems.map((problem) => `${problem.question} ${problem.message}`)

/**
 * A submission as aggregate data under an AGGREGATE mapping version's JSON (`data_set_id`,
 * `question_mappings`): one data value per mapped answer (never-mapped questions skipped), with
 * its combos and the comment `<submission id> <raw answer> <question>`; the completion date is the
 * day the submission was created.
 */
export const aggregateEntry = (
  submission: ExportedSubmission,
  mapping: JsonObject,
  context: ValueFormatContext = {}
): Result.Result<DataSetEntry, ReadonlyArray<MappingProblem>> => {
  const questionMappings = questionMappingsOf(mapping)
  const dataValues: Array<Dhis2DataValue> = []
  const problems: Array<MappingProblem> = []
  for (const [question, raw] of Object.entries(submission.json)) {
    const element = questionMappings[question]
    if (element === undefined || element.type === "neverMapped") continue
    const formatted = formatDhis2Value(element, raw, context)
    if (Result.isFailure(formatted)) {
      problems.push({ question, message: formatted.failure.message })
      continue
    }
    dataValues.push({
      dataElement: element.id ?? "",
      value: formatted.success,
      comment: `${submission.id} ${rawText(raw)} ${question}`,
      ...(element.categoryOptionCombo === undefined ? {} : { categoryOptionCombo: element.categoryOptionCombo }),
      ...(element.attributeOptionCombo === undefined ? {} : { attributeOptionCombo: element.attributeOptionCombo })
    })
  }
  if (problems.length > 0) return Result.fail(problems)
  const dataSet = mapping["data_set_id"]
  return Result.succeed({
    dataSet: typeof dataSet === "string" ? dataSet : "",
    completeDate: day(submission.createdAt),
    period: submission.period ?? "",
    orgUnit: submission.orgUnitSourceRef ?? "",
    dataValues
  })
}

/** The `dataValueSets` payload of a page: every entry's values, each carrying its entry's org unit and period. */
export const dataValueSetPayload = (entries: ReadonlyArray<DataSetEntry>): JsonObject => ({
  dataValues: entries.flatMap((entry) => entry.dataValues.map((value) => ({ ...value, orgUnit: entry.orgUnit, period: entry.period }) as unknown as JsonValue))
})

/** The `completeDataSetRegistrations` payload of a page: each entry's data set marked complete on its date. */
export const completeRegistrationsPayload = (entries: ReadonlyArray<DataSetEntry>): JsonObject => ({
  completeDataSetRegistrations: entries.map((entry) => ({
    period: entry.period,
    dataSet: entry.dataSet,
    organisationUnit: entry.orgUnit,
    date: entry.completeDate
  }))
})

/**
 * A submission as a single event under an EVENT mapping version's JSON (`program_id`,
 * `question_mappings`): event uid = the submission's export id, its org unit, date (by
 * `event_date_source`: the creation day or, given `periodStart`, the period's first day), status
 * `COMPLETED`, coordinates from its location; a `multiple` question gives one boolean per choice.
 * An org unit without DHIS2 uid is a problem (`unknown orgunit in dhis2 : <name>(<name>)`).
 */
export const eventOf = (
  submission: ExportedSubmission,
  mapping: JsonObject,
  options: ValueFormatContext & { readonly orgUnitName?: string | undefined; readonly periodStart?: string | undefined } = {}
): Result.Result<Dhis2Event, ReadonlyArray<MappingProblem>> => {
  const questionMappings = questionMappingsOf(mapping)
  const problems: Array<MappingProblem> = []
  if (submission.orgUnitSourceRef === undefined || submission.orgUnitSourceRef === "") {
    const name = options.orgUnitName ?? "None"
    problems.push({ question: "orgUnit", message: `unknown orgunit in dhis2 : ${name}(${name})` })
  }
  const dataValues: Array<{ readonly dataElement: string; readonly value: Dhis2Value }> = []
  const push = (question: string, element: Dhis2ElementMapping, raw: JsonValue | undefined) => {
    const formatted = formatDhis2Value(element, raw, options)
    if (Result.isFailure(formatted)) problems.push({ question, message: formatted.failure.message })
    else dataValues.push({ dataElement: element.id ?? "", value: formatted.success })
  }
  for (const [question, raw] of Object.entries(submission.json)) {
    const element = questionMappings[question]
    if (element === undefined || element.type === "neverMapped") continue
    if (element.type === "multiple") {
      const chosen = new Set(rawText(raw).split(" "))
      for (const [choice, choiceElement] of Object.entries(element.values ?? {})) {
        push(question, choiceElement, chosen.has(choice) ? "1" : "0")
      }
      continue
    }
    push(question, element, raw)
  }
  if (problems.length > 0) return Result.fail(problems)
  const fromPeriod = mapping["event_date_source"] === "FROM_SUBMISSION_PERIOD" && options.periodStart !== undefined
  return Result.succeed({
    program: typeof mapping["program_id"] === "string" ? mapping["program_id"] : "",
    ...(submission.exportId === undefined ? {} : { event: submission.exportId }),
    orgUnit: submission.orgUnitSourceRef ?? "",
    eventDate: fromPeriod && options.periodStart !== undefined ? options.periodStart : day(submission.createdAt),
    status: "COMPLETED",
    ...(submission.location === undefined ? {} : { coordinate: submission.location }),
    dataValues
  })
}

/** The payload posting one event: to `events` before DHIS2 2.42, to `tracker?async=false` (with `occurredAt`) from 2.42 on. */
export const eventPayload = (event: Dhis2Event, trackerApi: boolean): JsonObject => ({
  events: [(trackerApi ? { ...event, occurredAt: event.eventDate } : event) as unknown as JsonValue]
})

/** Whether a DHIS2 version (`system/info`'s `version`, `2.41.3`, `2.42-SNAPSHOT`) takes events through the `tracker` API. */
export const usesTrackerApi = (version: string): boolean => {
  const match = /^(\d+)\.(\d+)/.exec(version)
  if (match === null) return false
  const major = Number(match[1])
  const minor = Number(match[2])
  return major > 2 || (major === 2 && minor >= 42)
}
