/**
 * Sync over HTTP, both ends, without a framework: {@link httpSyncTransport} is a device's
 * {@link SyncTransport} over `fetch` (browser, Node, a worker), and {@link answerSync} is what a
 * server's route handler calls with the request's JSON body and the authenticated actor. The
 * routes are `POST <base>/pull`, `POST <base>/reconcile` and `POST <base>/push`; bodies and answers
 * are the Schema-encoded messages of `sync-wire.ts`.
 *
 * Errors on the wire: a body that does not decode is a 400 with `{ _tag: "ValidationError",
 * message }`; the server's typed errors keep their tag (`Forbidden` 403, `NotFound` 404,
 * `ValidationError` 400, `StorageError` 503). The transport turns a network failure, a 5xx or a 429
 * into a retryable {@link SyncTransportError}, and a 4xx into a final one carrying the server's
 * message.
 * @module
 */
import { Effect, Schema } from "effect"
import { type Forbidden, type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { admitJson } from "../shared/json.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { type SyncTransport, SyncTransportError } from "./sync-client.ts"
import { Sync, type SyncPushContext } from "./sync-server.ts"
import { PullPage, PullRequest, PushAnswer, PushRequest, ReconcileAnswer, ReconcileRequest } from "./sync-wire.ts"

/** Options of {@link httpSyncTransport}. */
export interface HttpSyncTransportOptions {
  /** Where the sync routes live, e.g. `https://example.org/api/sync` (no trailing slash needed). */
  readonly baseUrl: string
  /** The `fetch` to use (default: the global one). */
  readonly fetch?: typeof globalThis.fetch
  /** Headers of every request (e.g. `{ authorization: "Bearer …" }`), or a function giving them per request. */
  readonly headers?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>)
}

/** A device's transport to a server answering the sync routes over HTTP (see the module documentation). */
export const httpSyncTransport = (options: HttpSyncTransportOptions): SyncTransport => {
  const base = options.baseUrl.replace(/\/+$/, "")
  const post =
    <A, I, B, J>(route: string, request: Schema.Codec<A, I>, answer: Schema.Codec<B, J>) =>
    (body: A): Effect.Effect<B, SyncTransportError> =>
      Effect.gen(function* () {
        const doFetch = options.fetch ?? globalThis.fetch
        const headers = typeof options.headers === "function" ? options.headers() : (options.headers ?? {})
        const encoded = yield* Schema.encodeEffect(request)(body).pipe(
          Effect.mapError((error) => new SyncTransportError({ message: `the ${route} request does not encode: ${error.message}`, retryable: false }))
        )
        const response = yield* Effect.tryPromise({
          try: (signal) =>
            doFetch(`${base}/${route}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(encoded), signal }),
          catch: (error) => new SyncTransportError({ message: `${route}: ${error instanceof Error ? error.message : String(error)}`, retryable: true })
        })
        const text = yield* Effect.tryPromise({
          try: () => response.text(),
          catch: (error) => new SyncTransportError({ message: `${route}: ${error instanceof Error ? error.message : String(error)}`, retryable: true })
        })
        if (!response.ok) {
          let message = text
          try {
            const parsed: unknown = JSON.parse(text)
            if (typeof parsed === "object" && parsed !== null && "message" in parsed) message = String(parsed.message)
          } catch {
            // not JSON: the text itself
          }
          const retryable = response.status >= 500 || response.status === 429 || response.status === 408
          return yield* new SyncTransportError({ message: `${route}: HTTP ${response.status}: ${message.slice(0, 500)}`, retryable })
        }
        const json = yield* Effect.try({
          try: (): unknown => JSON.parse(text),
          catch: () => new SyncTransportError({ message: `${route}: the answer is not JSON`, retryable: true })
        })
        // Bounded before the schema's recursive decoding (a page's `data` is JSON: thousands of levels overflow the stack).
        const admitted = admitJson(json, [route])
        if (admitted instanceof ValidationError) {
          return yield* new SyncTransportError({ message: `${route}: the answer does not decode: ${admitted.message}`, retryable: false })
        }
        return yield* Schema.decodeUnknownEffect(answer)(admitted).pipe(
          Effect.mapError((error) => new SyncTransportError({ message: `${route}: the answer does not decode: ${error.message}`, retryable: false }))
        )
      })
  return {
    pull: post("pull", PullRequest, PullPage),
    reconcile: post("reconcile", ReconcileRequest, ReconcileAnswer),
    push: post("push", PushRequest, PushAnswer)
  }
}

/** A sync route. */
export type SyncRoute = "pull" | "reconcile" | "push"

/** What {@link answerSync} gives a route handler: the HTTP status and the JSON body to send. */
export interface SyncHttpAnswer {
  readonly status: number
  readonly body: unknown
}

const STATUS: Readonly<Record<string, number>> = { ValidationError: 400, Forbidden: 403, NotFound: 404, StorageError: 503 }

const failure = (error: { readonly _tag: string; readonly message: string }): SyncHttpAnswer => ({
  status: STATUS[error._tag] ?? 400,
  body: { _tag: error._tag, message: error.message }
})

/**
 * Answers one sync route for the current actor (the host authenticates the request and provides
 * `CurrentActor`): decodes the JSON body, calls {@link Sync}, encodes its answer. Never fails: every
 * error becomes an answer with its status (see the module documentation).
 */
export const answerSync = (route: SyncRoute, body: unknown): Effect.Effect<SyncHttpAnswer, never, Sync | SyncPushContext | CurrentActor> =>
  Effect.gen(function* () {
    const sync = yield* Sync
    // Bounded before the schema's recursive decoding (JSON thousands of levels deep overflows the stack).
    const admitted = admitJson(body, ["body"])
    const decode = <A, I>(schema: Schema.Codec<A, I>) =>
      admitted instanceof ValidationError
        ? Effect.fail(admitted)
        : Schema.decodeUnknownEffect(schema)(admitted).pipe(Effect.mapError((error) => ValidationError.at(["body"], error.message)))
    const encode =
      <A, I>(schema: Schema.Codec<A, I>) =>
      (value: A) =>
        Schema.encodeEffect(schema)(value).pipe(
          Effect.map((json): SyncHttpAnswer => ({ status: 200, body: json })),
          Effect.orDie
        )
    const answered: Effect.Effect<SyncHttpAnswer, ValidationError | NotFound | Forbidden | StorageError, Sync | SyncPushContext | CurrentActor> =
      route === "pull"
        ? Effect.flatMap(Effect.flatMap(decode(PullRequest), sync.pull), encode(PullPage))
        : route === "reconcile"
          ? Effect.flatMap(Effect.flatMap(decode(ReconcileRequest), sync.reconcile), encode(ReconcileAnswer))
          : Effect.flatMap(Effect.flatMap(decode(PushRequest), sync.push), encode(PushAnswer))
    return yield* Effect.catch(answered, (error) => Effect.succeed(failure(error)))
  })
