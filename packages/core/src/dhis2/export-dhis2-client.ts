/**
 * The HTTP side of a DHIS2 export: posting a payload to a DHIS2 server with an injected `fetch`
 * and the data source's credentials (the password stays `Redacted` and is never part of what is
 * kept), keeping each exchange as a {@link Dhis2Exchange} (what becomes an `ExportLog`), and
 * reading DHIS2's answers for the error descriptions the operator sees.
 * @module
 */
import { Context, Effect, Redacted, Schema } from "effect"
import type { JsonValue } from "../shared/json.ts"

/** Where and how to reach a DHIS2 server: an `ExternalCredentials` record's url and login, and the HTTP client. */
export interface Dhis2Connection {
  /** The server's base url (`https://play.dhis2.org/2.39`); a trailing `/` is ignored. */
  readonly url: string
  /** The login. */
  readonly login: string
  /** The password, kept redacted. */
  readonly password: Redacted.Redacted<string>
  /** The HTTP client (`globalThis.fetch` when absent). */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/** One HTTP exchange with DHIS2, as an `ExportLog` keeps it: never the credentials. */
export interface Dhis2Exchange {
  /** The url posted to (`<server>/api/<path>`). */
  readonly url: string
  /** The payload sent. */
  readonly sent: JsonValue
  /** DHIS2's answer: its JSON body, or IASO's stand-in for a non-JSON body. */
  readonly received: JsonValue
  /** The HTTP status of the answer. */
  readonly httpStatus: number
}

/** DHIS2 could not be reached at all (network failure, refused connection); no answer was received. */
export class Dhis2Unreachable extends Schema.TaggedError<Dhis2Unreachable>()("Dhis2Unreachable", {
  url: Schema.String,
  message: Schema.String
}) {}

/**
 * The data source of the mapping an export is sent with has no `ExternalCredentials` (no DHIS2
 * url, login and password): nothing can be sent. The export request ends ERRORED with this message.
 */
export class MissingDhis2Credentials extends Schema.TaggedError<MissingDhis2Credentials>()("MissingDhis2Credentials", {
  dataSourceId: Schema.String,
  message: Schema.String
}) {}

/**
 * The HTTP client DHIS2 exports use when none is passed to `Exports.run`: `globalThis.fetch` by
 * default. It is part of every task's work context (a reference: no layer needed), so the
 * `dhis2_export` task reaches DHIS2 with it; provide another (a proxy, a test double) with
 * `Layer.succeed(Dhis2Fetch, myFetch)` where the task runner is built, or
 * `Effect.provideService(Dhis2Fetch, myFetch)` around a direct call.
 */
export const Dhis2Fetch = Context.Reference<typeof globalThis.fetch>("@iaso/core/Dhis2Fetch", {
  defaultValue: () => (input, init) => globalThis.fetch(input, init)
})

/** The stand-in IASO keeps for a body that is not JSON. */
const nonJsonAnswer = (body: string): JsonValue => {
  const description = `non json response return by server: ${body}`
  return { status: "ERROR", description, response: { status: "ERROR", response: { importSummaries: [{ description }] } } }
}

/** The `api/` url of a path on a server. */
export const dhis2ApiUrl = (connection: Dhis2Connection, path: string): string => `${connection.url.replace(/\/+$/, "")}/api/${path}`

/** Base64 of a UTF-8 text (works in browsers and Node alike). */
const base64 = (text: string): string => {
  let binary = ""
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * Sends a JSON payload to a DHIS2 API path (`POST` by default) with basic authentication, and
 * keeps the exchange whatever DHIS2 answered (2xx or not); only a failure to reach the server at
 * all is an error.
 */
export const sendToDhis2 = (
  connection: Dhis2Connection,
  path: string,
  payload: JsonValue,
  method: "POST" | "PUT" = "POST"
): Effect.Effect<Dhis2Exchange, Dhis2Unreachable> => exchangeWith(connection, dhis2ApiUrl(connection, path), method, payload, JSON.stringify(payload))

/**
 * Reads a DHIS2 API path (`GET`, the query `params` appended) with basic authentication; the
 * exchange keeps the params as what was sent.
 */
export const getFromDhis2 = (
  connection: Dhis2Connection,
  path: string,
  params: Readonly<Record<string, string>>
): Effect.Effect<Dhis2Exchange, Dhis2Unreachable> => {
  const query = new URLSearchParams(params).toString()
  return exchangeWith(connection, `${dhis2ApiUrl(connection, path)}${query === "" ? "" : `?${query}`}`, "GET", { ...params }, undefined)
}

const exchangeWith = (
  connection: Dhis2Connection,
  url: string,
  method: "GET" | "POST" | "PUT",
  sent: JsonValue,
  body: string | undefined
): Effect.Effect<Dhis2Exchange, Dhis2Unreachable> => {
  const client = connection.fetch ?? globalThis.fetch
  return Effect.tryPromise({
    try: async (signal) => {
      const response = await client(url, {
        method,
        signal,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          accept: "application/json",
          authorization: `Basic ${base64(`${connection.login}:${Redacted.value(connection.password)}`)}`
        },
        ...(body === undefined ? {} : { body })
      })
      const text = await response.text()
      let received: JsonValue
      try {
        received = JSON.parse(text) as JsonValue
      } catch {
        received = nonJsonAnswer(text)
      }
      return { url, sent, received, httpStatus: response.status }
    },
    catch: (cause) => new Dhis2Unreachable({ url, message: cause instanceof Error ? cause.message : String(cause) })
  })
}

type JsonRecord = { readonly [key: string]: JsonValue }
const asRecord = (value: JsonValue | undefined): JsonRecord | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined
const asArray = (value: JsonValue | undefined): ReadonlyArray<JsonValue> => (Array.isArray(value) ? (value as ReadonlyArray<JsonValue>) : [])
const textOf = (value: JsonValue | undefined): string | undefined => (typeof value === "string" ? value : undefined)
const unique = (values: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(values)]
const conflictValues = (record: JsonRecord | undefined): ReadonlyArray<string> =>
  asArray(record?.["conflicts"]).flatMap((conflict) => {
    const value = textOf(asRecord(conflict)?.["value"])
    return value === undefined ? [] : [value]
  })

/**
 * The error descriptions of DHIS2's answer to a `dataValueSets` post, first one first: an ERROR
 * summary's `description`/`message`, replaced by the import conflicts when there are some (at the
 * top before DHIS2 2.38, nested under `response` in the 409 answers of later versions). Empty when
 * the import went through.
 */
export const dataValueSetErrors = (received: JsonValue): ReadonlyArray<string> => {
  const answer = asRecord(received)
  if (answer === undefined) return []
  let descriptions: ReadonlyArray<string> = []
  if (answer["status"] === "ERROR") {
    descriptions = [textOf(answer["description"]), textOf(answer["message"])].filter((text): text is string => text !== undefined)
  }
  if (answer["conflicts"] !== undefined) descriptions = conflictValues(answer)
  const nested = asRecord(answer["response"])
  if (nested !== undefined) {
    if (nested["conflicts"] !== undefined) descriptions = conflictValues(nested)
    else if (nested["status"] === "ERROR" && descriptions.length === 0) {
      descriptions = [textOf(nested["description"]), textOf(nested["message"])].filter((text): text is string => text !== undefined)
    }
  }
  return unique(descriptions)
}

/**
 * The error descriptions of DHIS2's answer to an `events` (or `tracker`) post, first one first:
 * the `description` of each import summary, else the value of its first conflict; for the
 * `tracker` API (DHIS2 2.42 and later), the validation report's error messages. Empty when the
 * import went through.
 */
export const eventErrors = (received: JsonValue): ReadonlyArray<string> => {
  const answer = asRecord(received)
  if (answer === undefined) return []
  const validation = asRecord(answer["validationReport"])
  const reports = asArray(validation?.["errorReports"]).flatMap((report) => {
    const message = textOf(asRecord(report)?.["message"])
    return message === undefined ? [] : [message]
  })
  if (answer["status"] === "ERROR" && reports.length > 0) return unique(reports)
  const response = asRecord(answer["response"]) ?? answer
  if (response["status"] !== "ERROR" && answer["status"] !== "ERROR") return []
  const summaries = asArray(response["importSummaries"] ?? asRecord(response["response"])?.["importSummaries"]).map(asRecord)
  const descriptions = summaries.flatMap((summary) => {
    const description = textOf(summary?.["description"])
    return description === undefined ? [] : [description]
  })
  if (descriptions.length > 0) return unique(descriptions)
  const conflicts = summaries.flatMap((summary) => conflictValues(summary))
  if (conflicts.length > 0) return unique(conflicts)
  const fallback = textOf(answer["description"]) ?? textOf(answer["message"])
  return fallback === undefined ? [] : [fallback]
}
