/**
 * The example server: a `node:http` server over an {@link IasoClient}, answering JSON routes for
 * one account (the one the host serves; the seed's demo account in `main.ts`).
 *
 * - `POST /api/login` `{ username, password }` -> `{ token }` (checked with `Users.verifyPassword`)
 * - `GET /api/me` -> `{ accountId, userId, username, projectId, orgUnitRoots, permissions }`
 * - `POST /api/sync/pull`, `/api/sync/reconcile`, `/api/sync/push`: `answerSync` as the bearer
 * - `GET /api/orgunits?parentId=` -> `{ items, cursor? }`: the children of a unit, or the bearer's roots
 * - `GET /api/forms` -> `{ items }`: the project's forms, each with its latest version's descriptor
 *
 * Every route but login needs `authorization: Bearer <token>`; the actor of a request is made from
 * the stored user's profile and roles (`Accounts.actorFor`). Errors are JSON `{ _tag, message }`:
 * `Unauthorized` 401, `ValidationError` 400, `Forbidden` 403, `NotFound` 404, `StorageError` 503,
 * `InternalError` 500. CORS headers go on every answer (and `OPTIONS` preflights get a 204), so a
 * browser app from another origin (an offline PWA) can call it with its bearer token.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import {
  AccountId,
  Accounts,
  Actor,
  answerSync,
  CurrentActor,
  Forms,
  FormVersions,
  type BlobStore,
  type IasoClient,
  type IasoServices,
  OrgUnits,
  type OrgUnit,
  OrgUnitId,
  type ProjectId,
  type SyncRoute,
  UserId,
  Users,
  ValidationError
} from "@iaso/core"
import { Cause, Data, Effect, Exit, Schema } from "effect"
import { signToken, verifyToken } from "./token.ts"

/** A request without a valid bearer token, or a login with a wrong password. */
export class Unauthorized extends Data.TaggedError("Unauthorized")<{ readonly message: string }> {}

/** A route the server does not answer. */
export class RouteNotFound extends Data.TaggedError("RouteNotFound")<{ readonly message: string }> {}

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** The SDK over the server's store (the server does not dispose it). */
  readonly iaso: IasoClient
  /** The account the server serves: logins are checked against its users. */
  readonly accountId: string
  /** The project of a user whose profile names none (the account's main project). */
  readonly projectId: string
  /** The key signing the bearer tokens (HMAC-SHA256). */
  readonly tokenKey: string
  /** Default 8787; 0 picks a free port. */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** How long a token lives, in seconds (default 12 hours). */
  readonly tokenSeconds?: number
  /** The `access-control-allow-origin` answer (default `*`: the API uses bearer tokens, not cookies). */
  readonly corsOrigin?: string
  /** The largest request body, in bytes (default 32 MiB: a push carries submissions and their files). */
  readonly maxBodyBytes?: number
}

/** A started server. */
export interface RunningServer {
  /** `http://host:port` (without a trailing slash). */
  readonly url: string
  readonly port: number
  /** Stops accepting connections and closes the open ones. */
  readonly close: () => Promise<void>
}

/** What a handler answers. */
interface Reply {
  readonly status: number
  readonly body: unknown
}

/** The authenticated caller of a request. */
interface Caller {
  readonly actor: Actor
  readonly username: string
  readonly projectIds: ReadonlyArray<ProjectId>
}

const LoginBody = Schema.Struct({ username: Schema.String, password: Schema.String })

const STATUS: Readonly<Record<string, number>> = {
  Unauthorized: 401,
  ValidationError: 400,
  Forbidden: 403,
  NotFound: 404,
  RouteNotFound: 404,
  StorageError: 503
}

/** A typed error as a JSON answer `{ _tag, message }`. */
const failure = (error: { readonly _tag: string; readonly message: string }): Reply => ({
  status: STATUS[error._tag] ?? 400,
  body: { _tag: error._tag === "RouteNotFound" ? "NotFound" : error._tag, message: error.message }
})

/** An org unit as the REST reads answer it. */
const unitJson = (unit: Partial<OrgUnit>) => ({
  id: unit.id,
  name: unit.name,
  parentId: unit.parentId ?? null,
  orgUnitTypeId: unit.orgUnitTypeId ?? null,
  validationStatus: unit.validationStatus,
  versionId: unit.versionId
})

const readBody = (request: IncomingMessage, limit: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new ValidationError({ message: `the body is larger than ${limit} bytes`, issues: [] }))
        request.destroy()
      } else chunks.push(chunk)
    })
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

/**
 * Starts the example server (see the module documentation for its routes) and resolves once it
 * listens.
 */
export const startServer = (options: ServerOptions): Promise<RunningServer> => {
  const { iaso, tokenKey } = options
  const accountId = AccountId.make(options.accountId)
  const tokenSeconds = options.tokenSeconds ?? 12 * 60 * 60
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024
  const system = Actor.system(accountId)
  const asSystem = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, CurrentActor, system)

  /** The caller of a request from its bearer token: the stored user, active, and its actor. */
  const authenticate = (header: string | undefined) =>
    Effect.gen(function* () {
      const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1]
      if (token === undefined) return yield* new Unauthorized({ message: "an `authorization: Bearer <token>` header is needed (POST /api/login gives one)" })
      const checked = verifyToken(tokenKey, token, Math.floor(Date.now() / 1000))
      if ("refused" in checked) return yield* new Unauthorized({ message: `the token is refused (${checked.refused})` })
      if (checked.claims.acc !== accountId) return yield* new Unauthorized({ message: "the token is of another account" })
      const userId = UserId.make(checked.claims.sub)
      const users = yield* Users
      const found = yield* asSystem(users.get(userId)).pipe(
        Effect.catchTag("NotFound", () => Effect.fail(new Unauthorized({ message: "the token's user does not exist" })))
      )
      if (!found.user.isActive) return yield* new Unauthorized({ message: "the token's user is deactivated" })
      const accounts = yield* Accounts
      const actor = yield* asSystem(accounts.actorFor(userId)).pipe(
        Effect.catchTag("NotFound", () => Effect.fail(new Unauthorized({ message: "the token's user has no profile" })))
      )
      const caller: Caller = { actor, username: found.user.username, projectIds: found.projectIds }
      return caller
    })

  const parseJson = (text: string) =>
    Effect.try({ try: (): unknown => (text === "" ? {} : JSON.parse(text)), catch: () => ValidationError.at(["body"], "the body is not JSON") })

  const login = (text: string) =>
    Effect.gen(function* () {
      const body = yield* Effect.flatMap(parseJson(text), (json) =>
        Schema.decodeUnknownEffect(LoginBody)(json).pipe(Effect.mapError((error) => ValidationError.at(["body"], error.message)))
      )
      const users = yield* Users
      const ok = yield* asSystem(users.verifyPassword(body.username, body.password))
      if (!ok) return yield* new Unauthorized({ message: "wrong username or password" })
      const page = yield* asSystem(users.list({ usernameStartsWith: body.username, limit: 1000 }))
      const user = page.items.find((item) => item.user.username === body.username)
      if (user === undefined) return yield* new Unauthorized({ message: "wrong username or password" })
      const exp = Math.floor(Date.now() / 1000) + tokenSeconds
      return { status: 200, body: { token: signToken(tokenKey, { sub: user.user.id, acc: accountId, exp }) } } satisfies Reply
    })

  const me = (caller: Caller): Reply => ({
    status: 200,
    body: {
      accountId: caller.actor.accountId,
      userId: caller.actor.userId,
      username: caller.username,
      projectId: caller.projectIds[0] ?? options.projectId,
      orgUnitRoots: caller.actor.orgUnitRoots,
      permissions: [...caller.actor.permissions].sort()
    }
  })

  const orgUnits = (caller: Caller, query: URLSearchParams) =>
    Effect.gen(function* () {
      const service = yield* OrgUnits
      const parentId = query.get("parentId")
      const cursor = query.get("cursor")
      const limitText = query.get("limit")
      const limit = limitText === null ? 500 : Number(limitText)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return yield* ValidationError.at(["limit"], "limit must be an integer from 1 to 1000")
      const page = { limit, orderBy: [{ field: "name" }, { field: "id" }], ...(cursor === null ? {} : { cursor }) }
      if (parentId !== null && parentId !== "") {
        const children = yield* service.children(OrgUnitId.make(parentId), page)
        return {
          status: 200,
          body: { items: children.items.map(unitJson), ...(children.cursor === undefined ? {} : { cursor: children.cursor }) }
        } satisfies Reply
      }
      if (caller.actor.orgUnitRoots.length > 0) {
        const roots = yield* Effect.forEach(caller.actor.orgUnitRoots, (id) => service.get(id))
        const sorted = [...roots].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
        return { status: 200, body: { items: sorted.map(unitJson) } } satisfies Reply
      }
      const top = yield* service.search({ parentId: null, ...page })
      return { status: 200, body: { items: top.items.map(unitJson), ...(top.cursor === undefined ? {} : { cursor: top.cursor }) } } satisfies Reply
    }).pipe(Effect.provideService(CurrentActor, caller.actor))

  const forms = (caller: Caller) =>
    Effect.gen(function* () {
      const service = yield* Forms
      const versions = yield* FormVersions
      const projectId = (caller.projectIds[0] ?? options.projectId) as ProjectId
      const items: Array<unknown> = []
      let cursor: string | undefined
      do {
        const page = yield* service.list({ projectIds: [projectId], limit: 500, ...(cursor === undefined ? {} : { cursor }) })
        for (const form of page.items) {
          if (form.id === undefined) continue
          const latest = yield* versions.latest(form.id)
          items.push({
            id: form.id,
            name: form.name,
            formId: form.formId ?? null,
            periodType: form.periodType ?? null,
            latestVersion:
              latest === undefined
                ? null
                : { id: latest.id, versionId: latest.versionId, descriptor: latest.formDescriptor ?? null, possibleFields: latest.possibleFields ?? null }
          })
        }
        cursor = page.cursor
      } while (cursor !== undefined)
      return { status: 200, body: { projectId, items } } satisfies Reply
    }).pipe(Effect.provideService(CurrentActor, caller.actor))

  const sync = (caller: Caller, route: SyncRoute, text: string) =>
    Effect.flatMap(parseJson(text), (body) => answerSync(route, body)).pipe(Effect.provideService(CurrentActor, caller.actor))

  /** The answer to one request (never fails: typed errors become their JSON answer). */
  const answer = (method: string, url: URL, authorization: string | undefined, text: string) => {
    const path = url.pathname.replace(/\/+$/, "")
    const authed = <A extends Reply, E extends { readonly _tag: string; readonly message: string }, R>(handle: (caller: Caller) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(authenticate(authorization), handle)
    const syncRoute = path.match(/^\/api\/sync\/(pull|reconcile|push)$/)?.[1] as SyncRoute | undefined
    const routed: Effect.Effect<Reply, { readonly _tag: string; readonly message: string }, IasoServices | BlobStore> =
      method === "POST" && path === "/api/login"
        ? login(text)
        : method === "GET" && path === "/api/me"
          ? authed((caller) => Effect.succeed(me(caller)))
          : method === "GET" && path === "/api/orgunits"
            ? authed((caller) => orgUnits(caller, url.searchParams))
            : method === "GET" && path === "/api/forms"
              ? authed(forms)
              : method === "POST" && syncRoute !== undefined
                ? authed((caller) => sync(caller, syncRoute, text))
                : Effect.fail(new RouteNotFound({ message: `no route ${method} ${url.pathname}` }))
    return Effect.catch(routed, (error) => Effect.succeed(failure(error)))
  }

  const cors = {
    "access-control-allow-origin": options.corsOrigin ?? "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type",
    "access-control-max-age": "600",
    vary: "origin"
  }

  const send = (response: ServerResponse, reply: Reply) => {
    const json = JSON.stringify(reply.body)
    response.writeHead(reply.status, { ...cors, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(json) })
    response.end(json)
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? "GET"
    if (method === "OPTIONS") {
      response.writeHead(204, cors)
      response.end()
      return
    }
    const url = new URL(request.url ?? "/", "http://localhost")
    let text = ""
    try {
      if (method === "POST") text = await readBody(request, maxBodyBytes)
    } catch (error) {
      send(response, failure(error instanceof ValidationError ? error : ValidationError.at(["body"], "the body could not be read")))
      return
    }
    const exit = await iaso.run(Effect.exit(answer(method, url, request.headers.authorization, text)))
    if (Exit.isSuccess(exit)) send(response, exit.value)
    else {
      console.error(`${method} ${url.pathname}: ${Cause.pretty(exit.cause)}`)
      send(response, { status: 500, body: { _tag: "InternalError", message: "the server failed; see its log" } })
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error(error)
      if (!response.headersSent) send(response, { status: 500, body: { _tag: "InternalError", message: "the server failed; see its log" } })
      else response.destroy()
    })
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 8787, options.host ?? "127.0.0.1", () => {
      server.off("error", reject)
      const address = server.address() as AddressInfo
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address
      resolve({
        url: `http://${host}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error === undefined ? done() : fail(error)))
            server.closeAllConnections()
          })
      })
    })
  })
}
