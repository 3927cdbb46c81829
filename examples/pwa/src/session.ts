/**
 * The signed-in session: the server's URL, the token and who the user is (`GET /api/me`, through
 * the typed client derived from the server's API declaration), kept in
 * localStorage so the app opens offline; the SDK actor is rebuilt from it.
 * @module
 */
import { Actor, Permission } from "@iaso/core"
import { Effect, Schema } from "effect"
import { HttpClient } from "effect/http"
import { Me } from "../../server/api.ts"
import { makeApiClient } from "../../server/client.ts"

/** A signed-in session. */
export const Session = Schema.Struct({ serverUrl: Schema.String, token: Schema.String, me: Me })
export type Session = typeof Session.Type

/** A failed call to the server (network, refused credentials, an answer that does not decode). */
export class ApiError extends Schema.TaggedError<ApiError>()("ApiError", { message: Schema.String, status: Schema.Number }) {}

const KEY = "iaso-pwa/session"
const isPermission = Schema.is(Permission)

/** The SDK actor of the signed-in user: its account, user, permissions (those the SDK knows) and org-unit roots. */
export const actorOf = (me: Me): Actor =>
  Actor.user({ accountId: me.accountId, userId: me.userId, permissions: me.permissions.filter(isPermission), orgUnitRoots: me.orgUnitRoots })

/** The session kept by the last sign-in, if any (a corrupt one is dropped). */
export const loadSession = (): Session | undefined => {
  const text = localStorage.getItem(KEY)
  if (text === null) return undefined
  try {
    return Schema.decodeUnknownSync(Session)(JSON.parse(text))
  } catch {
    localStorage.removeItem(KEY)
    return undefined
  }
}

/** Keeps the session (an encoded JSON copy) for the next start. */
export const saveSession = (session: Session): void => localStorage.setItem(KEY, JSON.stringify(Schema.encodeSync(Session)(session)))

/** Forgets the session. */
export const clearSession = (): void => localStorage.removeItem(KEY)

/** A client failure as an {@link ApiError}: the server's typed error (its tag, message and status), or a network or decoding failure (status 0). */
const apiError = (error: unknown): ApiError => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "Error"
  const message = typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
  const status = STATUS[tag] ?? 0
  return new ApiError({ message: status === 0 ? `${tag}: ${message}` : `HTTP ${status}: ${message}`, status })
}
const STATUS: Readonly<Record<string, number>> = { Unauthorized: 401, ValidationError: 400, Forbidden: 403, NotFound: 404, StorageError: 503 }

/**
 * Signs in through the typed client derived from the server's API (`examples/server/api.ts`):
 * `auth.login` for a token, then `auth.me`. Rejects with {@link ApiError}.
 */
export const signIn = (serverUrl: string, username: string, password: string): Promise<Session> => {
  const base = serverUrl.replace(/\/+$/, "")
  return Effect.runPromise(
    Effect.gen(function* () {
      const anonymous = yield* makeApiClient(base)
      const { token } = yield* anonymous.auth.login({ payload: { username, password } })
      const client = yield* makeApiClient(base, () => token)
      const me = yield* client.auth.me()
      return { serverUrl: base, token, me }
    }).pipe(
      Effect.mapError(apiError),
      // No trace headers: nothing to correlate them with, and a smaller CORS preflight.
      Effect.provideService(HttpClient.TracerPropagationEnabled, false)
    )
  )
}
