/**
 * Running an export request's statuses against DHIS2, independently of storage: statuses are taken
 * in order by pages of {@link EXPORT_PAGE_SIZE}; each page is mapped (a submission without answers
 * is SKIPPED, an answer that cannot be formatted fails the page before anything is sent), sent
 * (aggregate values and completions, then events), and its statuses become EXPORTED or ERRORED
 * with the page's exchanges. A refused page stops the run unless `continueOnError`, the statuses
 * not reached becoming SKIPPED. The result holds what the caller stores: each status's outcome,
 * every exchange (an `ExportLog` each), the request's counters, final status and last message.
 * @module
 */
import { Effect, Result } from "effect"
import type { MappingType } from "../forms/mapping.ts"
import type { JsonObject } from "../shared/json.ts"
import type { ExportStatusType } from "../submissions/export.ts"
import type { Dhis2Connection, Dhis2Exchange, Dhis2Unreachable } from "./export-dhis2-client.ts"
import { EXPORT_PAGE_SIZE, pageErrorMessage, pagePrefix, sendAggregatePage, sendEventPage } from "./export-page.ts"
import {
  aggregateEntry,
  type DataSetEntry,
  type Dhis2Event,
  type ExportedSubmission,
  eventOf,
  type MappingProblem,
  mappingProblemLines
} from "./export-payloads.ts"
import { type ExportCounters, finalExportStatus, tallyPage } from "./export-plan.ts"
import { sendTrackedEntity, type TrackedEntityPayload, trackedEntityOf } from "./export-tracker.ts"
import type { ValueFormatContext } from "./value-format.ts"

/** One export status to run: its mapping version's type and JSON, and its submission (absent answers: skipped). */
export interface ExportItem {
  /** The export status's id. */
  readonly statusId: string
  /** The mapping's type. */
  readonly mappingType: MappingType
  /** The mapping version's JSON. */
  readonly mapping: JsonObject
  /** The submission; `json` empty or absent means nothing to send. */
  readonly submission: ExportedSubmission
  /** Its org unit's name (for the `unknown orgunit in dhis2` message). */
  readonly orgUnitName?: string | undefined
  /** The first day of its period (`YYYY-MM-DD`), for events dated `FROM_SUBMISSION_PERIOD`. */
  readonly periodStart?: string | undefined
  /** EVENT_TRACKER: the DHIS2 uid of its org unit's country (the root of its hierarchy). */
  readonly countryRef?: string | undefined
}

/** What became of one export status. */
export interface ExportItemOutcome {
  /** `EXPORTED`, `ERRORED` or `SKIPPED`. */
  readonly status: ExportStatusType
  /** Why it errored or was skipped. */
  readonly lastErrorMessage?: string
  /** Indexes in {@link ExportRunResult.exchanges} of the exchanges that concerned it. */
  readonly exchanges: ReadonlyArray<number>
}

/** The outcome of a run, for the caller to store. */
export interface ExportRunResult {
  /** `EXPORTED` when no status errored, else `ERRORED`; `KILLED` when {@link ExportRunOptions.stop} stopped it between pages. */
  readonly status: "EXPORTED" | "ERRORED" | "KILLED"
  /** The request's counters. */
  readonly counters: ExportCounters
  /** The last page error, `""` when none. */
  readonly lastErrorMessage: string
  /** Each status's outcome, by status id. */
  readonly items: ReadonlyMap<string, ExportItemOutcome>
  /** Every HTTP exchange, in order. */
  readonly exchanges: ReadonlyArray<Dhis2Exchange>
  /** The submissions now exported (their `lastExportSuccessAt` to set, `toExport` to clear). */
  readonly exportedSubmissionIds: ReadonlyArray<string>
  /** The submissions now exported as tracked entities (their `lastExportSuccessAt` to set only, as IASO). */
  readonly trackedSubmissionIds: ReadonlyArray<string>
}

/** How a run goes. */
export interface ExportRunOptions extends ValueFormatContext {
  /** Go on with the next pages after a refused one (IASO's task always does). */
  readonly continueOnError: boolean
  /** Send events through the `tracker` API (DHIS2 2.42 and later). */
  readonly trackerApi?: boolean | undefined
  /** Statuses per page ({@link EXPORT_PAGE_SIZE} by default). */
  readonly pageSize?: number | undefined
  /** Called after each page (progress). */
  readonly onPage?: ((page: number, pages: number) => void) | undefined
  /**
   * Asked before each page: `true` stops the run there (a kill), the statuses not reached becoming
   * SKIPPED with `Killed` and the result `KILLED` (the pages already sent stay sent).
   */
  readonly stop?: (() => boolean) | undefined
}

/** The message of the statuses a kill left unsent. */
export const KILLED_EXPORT_MESSAGE = "Killed"

const hasAnswers = (submission: ExportedSubmission): boolean => Object.keys(submission.json).length > 0

/** Runs export statuses against DHIS2 (see the module documentation); only an unreachable server fails. */
export const runExportItems = (
  connection: Dhis2Connection,
  items: ReadonlyArray<ExportItem>,
  options: ExportRunOptions
): Effect.Effect<ExportRunResult, Dhis2Unreachable> =>
  Effect.gen(function* () {
    const pageSize = Math.max(1, options.pageSize ?? EXPORT_PAGE_SIZE)
    const pages = Math.ceil(items.length / pageSize)
    const outcomes = new Map<string, ExportItemOutcome>()
    const exchanges: Array<Dhis2Exchange> = []
    const exported: Array<string> = []
    const trackedExported: Array<string> = []
    let counters: ExportCounters = { exportedCount: 0, erroredCount: 0 }
    let lastErrorMessage = ""
    let stopped = false
    let killed = false
    for (let page = 1; page <= pages; page++) {
      const pageItems = items.slice((page - 1) * pageSize, page * pageSize)
      if (killed || options.stop?.() === true) {
        killed = true
        for (const item of pageItems) outcomes.set(item.statusId, { status: "SKIPPED", lastErrorMessage: KILLED_EXPORT_MESSAGE, exchanges: [] })
        continue
      }
      if (stopped) {
        for (const item of pageItems) outcomes.set(item.statusId, { status: "SKIPPED", lastErrorMessage, exchanges: [] })
        continue
      }
      const prefix = pagePrefix(page, pages)
      const sendable: Array<ExportItem> = []
      const entries: Array<DataSetEntry> = []
      const events: Array<Dhis2Event> = []
      const tracked: Array<{ readonly item: ExportItem; readonly entity: TrackedEntityPayload }> = []
      let mappingError: string | undefined
      for (const item of pageItems) {
        if (!hasAnswers(item.submission)) {
          outcomes.set(item.statusId, { status: "SKIPPED", lastErrorMessage: "no data json", exchanges: [] })
          continue
        }
        if (item.mappingType === "EVENT_TRACKER") {
          const entity = trackedEntityOf(item.submission, item.mapping, { ...options, periodStart: item.periodStart })
          if (Result.isFailure(entity)) {
            mappingError = pageErrorMessage(`${prefix}, instance_id ${item.submission.id}`, mappingProblemLines(entity.failure))
            break
          }
          tracked.push({ item, entity: entity.success })
          continue
        }
        let built: Result.Result<DataSetEntry | Dhis2Event, ReadonlyArray<MappingProblem>>
        if (item.mappingType === "AGGREGATE") built = aggregateEntry(item.submission, item.mapping, options)
        else if (item.mappingType === "EVENT")
          built = eventOf(item.submission, item.mapping, { ...options, orgUnitName: item.orgUnitName, periodStart: item.periodStart })
        else built = Result.fail([{ question: "mapping", message: `${item.mappingType} mappings are not exported` }])
        if (Result.isFailure(built)) {
          mappingError = pageErrorMessage(`${prefix}, instance_id ${item.submission.id}`, mappingProblemLines(built.failure))
          break
        }
        sendable.push(item)
        if (item.mappingType === "AGGREGATE") entries.push(built.success as DataSetEntry)
        else events.push(built.success as Dhis2Event)
      }
      let error = mappingError
      const first = exchanges.length
      if (error === undefined) {
        const aggregate = yield* sendAggregatePage(connection, prefix, entries)
        exchanges.push(...aggregate.exchanges)
        error = aggregate.error
        if (error === undefined) {
          const sent = yield* sendEventPage(connection, prefix, events, options.trackerApi === true)
          exchanges.push(...sent.exchanges)
          error = sent.error
        }
      }
      const pageExchanges = Array.from({ length: exchanges.length - first }, (_, index) => first + index)
      const reached = error === undefined ? sendable : pageItems.filter((item) => outcomes.get(item.statusId) === undefined)
      for (const item of reached) {
        outcomes.set(
          item.statusId,
          error === undefined ? { status: "EXPORTED", exchanges: pageExchanges } : { status: "ERRORED", lastErrorMessage: error, exchanges: pageExchanges }
        )
        if (error === undefined) exported.push(item.submission.id)
      }
      counters = tallyPage(counters, reached.length, error === undefined)
      if (error === undefined) {
        // Tracked entities go one by one, each succeeding or failing alone (IASO's tracker handler).
        for (const { item, entity } of tracked) {
          const start = exchanges.length
          const sent = yield* sendTrackedEntity(connection, prefix, entity, {
            countryRef: item.countryRef ?? "",
            identifier: typeof item.mapping["tracked_entity_identifier"] === "string" ? item.mapping["tracked_entity_identifier"] : ""
          })
          exchanges.push(...sent.exchanges)
          const own = Array.from({ length: exchanges.length - start }, (_, index) => start + index)
          outcomes.set(
            item.statusId,
            sent.error === undefined ? { status: "EXPORTED", exchanges: own } : { status: "ERRORED", lastErrorMessage: sent.error, exchanges: own }
          )
          counters = tallyPage(counters, 1, sent.error === undefined)
          if (sent.error === undefined) trackedExported.push(item.submission.id)
          else lastErrorMessage = sent.error
        }
      }
      if (error !== undefined) {
        lastErrorMessage = error
        if (!options.continueOnError) stopped = true
      }
      options.onPage?.(page, pages)
    }
    return {
      status: killed ? "KILLED" : finalExportStatus(counters),
      counters,
      lastErrorMessage,
      items: outcomes,
      exchanges,
      exportedSubmissionIds: exported,
      trackedSubmissionIds: trackedExported
    }
  })
