/**
 * The signed-in session: the server's URL, the token and who the user is (`GET /api/me`), kept in
 * localStorage so the app opens offline; the SDK actor is rebuilt from it.
 * @module
 */
import { AccountId, Actor, OrgUnitId, Permission, UserId } from "@iaso/core"
import { Schema } from "effect"

/** What `GET /api/me` answers. */
export const Me = Schema.Struct({
  accountId: AccountId,
  userId: UserId,
  username: Schema.String,
  projectId: Schema.String,
  orgUnitRoots: Schema.Array(OrgUnitId),
  permissions: Schema.Array(Schema.String)
})
export type Me = typeof Me.Type

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

const call = async (url: string, init: RequestInit): Promise<unknown> => {
  let response: Response
  try {
    response = await fetch(url, init)
  } catch (error) {
    throw new ApiError({ message: `${url}: ${error instanceof Error ? error.message : String(error)}`, status: 0 })
  }
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: the text is the message
  }
  if (!response.ok) {
    const message = typeof body === "object" && body !== null && "message" in body ? String(body.message) : text
    throw new ApiError({ message: `HTTP ${response.status}: ${message}`, status: response.status })
  }
  return body
}

/**
 * Signs in: `POST /api/login` for a token, then `GET /api/me`. Rejects with {@link ApiError}.
 */
export const signIn = async (serverUrl: string, username: string, password: string): Promise<Session> => {
  const base = serverUrl.replace(/\/+$/, "")
  const login = await call(`${base}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password })
  })
  const token = typeof login === "object" && login !== null && "token" in login && typeof login.token === "string" ? login.token : undefined
  if (token === undefined) throw new ApiError({ message: "the login answer has no token", status: 200 })
  const meJson = await call(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } })
  const me = Schema.decodeUnknownExit(Me)(meJson)
  if (me._tag === "Failure") throw new ApiError({ message: "the /api/me answer does not decode", status: 200 })
  return { serverUrl: base, token, me: me.value }
}
