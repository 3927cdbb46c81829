/**
 * Sending one page of an export (up to {@link EXPORT_PAGE_SIZE} export statuses) to DHIS2: the
 * aggregate entries in one `dataValueSets` post followed by their `completeDataSetRegistrations`,
 * the events one post each. The outcome lists every exchange (each one becomes an `ExportLog` with
 * its HTTP status) and, when DHIS2 refused something, the operator's message
 * `ERROR while processing page <i>/<n> : <first DHIS2 description>`.
 * @module
 */
import { Effect } from "effect"
import { type Dhis2Connection, type Dhis2Exchange, type Dhis2Unreachable, dataValueSetErrors, eventErrors, sendToDhis2 } from "./export-dhis2-client.ts"
import { completeRegistrationsPayload, type DataSetEntry, type Dhis2Event, dataValueSetPayload, eventPayload } from "./export-payloads.ts"

/** How many export statuses a page holds. */
export const EXPORT_PAGE_SIZE = 25

/** What sending a page gave: the exchanges, in order, and the operator's message when DHIS2 refused. */
export interface PageOutcome {
  /** Every HTTP exchange of the page. */
  readonly exchanges: ReadonlyArray<Dhis2Exchange>
  /** `ERROR while processing page <i>/<n> : <description>`; absent when the page went through. */
  readonly error?: string
}

/** The page's prefix in messages: `page <i>/<n>`. */
export const pagePrefix = (page: number, pages: number): string => `page ${page}/${pages}`

/** The operator's message for a refused page: the prefix and DHIS2's first description. */
export const pageErrorMessage = (prefix: string, descriptions: ReadonlyArray<string>): string => `ERROR while processing ${prefix} : ${descriptions[0] ?? ""}`

/** The descriptions of a refused exchange: DHIS2's own, else its HTTP status; empty when it went through. */
const refusal = (exchange: Dhis2Exchange, read: (received: Dhis2Exchange["received"]) => ReadonlyArray<string>): ReadonlyArray<string> => {
  const descriptions = read(exchange.received)
  if (descriptions.length > 0) return descriptions
  return exchange.httpStatus >= 200 && exchange.httpStatus < 300 ? [] : [`HTTP ${exchange.httpStatus}`]
}

/**
 * Sends a page's aggregate entries: their values to `dataValueSets`, then, if DHIS2 took them,
 * their completion to `completeDataSetRegistrations`. Nothing is sent for an empty page.
 */
export const sendAggregatePage = (
  connection: Dhis2Connection,
  prefix: string,
  entries: ReadonlyArray<DataSetEntry>
): Effect.Effect<PageOutcome, Dhis2Unreachable> =>
  Effect.gen(function* () {
    if (entries.length === 0) return { exchanges: [] }
    const values = yield* sendToDhis2(connection, "dataValueSets", dataValueSetPayload(entries))
    const descriptions = refusal(values, dataValueSetErrors)
    if (descriptions.length > 0) return { exchanges: [values], error: pageErrorMessage(prefix, descriptions) }
    const completion = yield* sendToDhis2(connection, "completeDataSetRegistrations", completeRegistrationsPayload(entries))
    return { exchanges: [values, completion] }
  })

/**
 * Sends a page's events one by one (`events`, or `tracker?async=false` when `trackerApi`); every
 * event is tried, and the message names the first refusal's description.
 */
export const sendEventPage = (
  connection: Dhis2Connection,
  prefix: string,
  events: ReadonlyArray<Dhis2Event>,
  trackerApi: boolean
): Effect.Effect<PageOutcome, Dhis2Unreachable> =>
  Effect.gen(function* () {
    const exchanges: Array<Dhis2Exchange> = []
    let error: string | undefined
    for (const event of events) {
      const exchange = yield* sendToDhis2(connection, trackerApi ? "tracker?async=false" : "events", eventPayload(event, trackerApi))
      exchanges.push(exchange)
      const descriptions = refusal(exchange, eventErrors)
      if (descriptions.length > 0 && error === undefined) error = pageErrorMessage(prefix, descriptions)
    }
    return error === undefined ? { exchanges } : { exchanges, error }
  })
