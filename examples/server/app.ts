/**
 * The example server: the HTTP API declared in `api.ts` (`effect/http-api`), served on Node by
 * `@effect/platform-node` over an {@link IasoClient}, for one account (the one the host serves;
 * the seed's demo account in `main.ts`).
 *
 * - `POST /api/login` `{ username, password }` -> `{ token }` (checked with `Users.verifyPassword`)
 * - `GET /api/me` -> `{ accountId, userId, username, projectId, orgUnitRoots, permissions }`
 * - `POST /api/sync/pull`, `/api/sync/reconcile`, `/api/sync/push`: `Sync` as the bearer
 * - `GET /api/orgunits?parentId=&cursor=&limit=` -> `{ items, cursor? }`
 * - `GET /api/forms` -> `{ projectId, items }`
 * - `PUT /api/attachments/:sha256` (the bytes), `HEAD` and `GET` of the same path: submission
 *   files uploaded once, into the server's `BlobStore`, then named by sha256 in a push
 *
 * Every route but login needs `authorization: Bearer <token>` (the `Authorization` middleware);
 * the actor of a request is made from the stored user's profile and roles (`Accounts.actorFor`).
 * Errors are JSON `{ _tag, message, ... }`: `Unauthorized` 401, `ValidationError` 400 (also a
 * body, a query or a path that does not decode), `Forbidden` 403, `NotFound` 404 (also an unknown
 * route), `PayloadTooLarge` 413, `StorageError` 503, `InternalError` 500. CORS headers go on every
 * answer (and `OPTIONS` preflights get a 204), so a browser app from another origin can call it.
 * @module
 */
import { createHash } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { NodeHttpServer } from "@effect/platform-node"
import {
  AccountId,
  Accounts,
  Actor,
  BlobStore,
  CurrentActor,
  Forms,
  FormVersions,
  type IasoClient,
  type IasoServices,
  NotFound,
  type OrgUnit,
  OrgUnitId,
  OrgUnits,
  type ProjectId,
  Sync,
  UserId,
  Users,
  ValidationError
} from "@iaso/core"
import { ByteSize, Cause, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { HttpIncomingMessage, HttpMiddleware, HttpRouter, HttpServerError, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiError } from "effect/http-api"
import { Api, AttachmentMissing, Authorization, CurrentCaller, PayloadTooLarge, Unauthorized } from "./api.ts"
import { signToken, verifyToken } from "./token.ts"

export { Unauthorized } from "./api.ts"

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
  /** The largest JSON body, in bytes (default 32 MiB: a push may carry submissions with inline files). */
  readonly maxBodyBytes?: number
  /** The largest attachment `PUT /api/attachments/:sha256` takes, in bytes (default 64 MiB). */
  readonly maxAttachmentBytes?: number
}

/** A started server. */
export interface RunningServer {
  /** `http://host:port` (without a trailing slash). */
  readonly url: string
  readonly port: number
  /** Stops accepting connections and closes the open ones. */
  readonly close: () => Promise<void>
}

/** An org unit as the REST reads answer it. */
const unitJson = (unit: Partial<OrgUnit>) => ({
  id: String(unit.id),
  name: String(unit.name),
  parentId: unit.parentId ?? null,
  orgUnitTypeId: unit.orgUnitTypeId ?? null,
  validationStatus: String(unit.validationStatus),
  versionId: String(unit.versionId)
})

/** A JSON error answer `{ _tag, message }`. */
const errorResponse = (status: number, tag: string, message: string) => HttpServerResponse.jsonUnsafe({ _tag: tag, message }, { status })

/** Whether a body read failed for its size. */
const isBodyTooLarge = (error: unknown): boolean =>
  HttpServerError.isHttpServerError(error) && error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"

/**
 * The answer to what the API layer leaves unanswered, as JSON like its typed errors: an unknown
 * route (404 `NotFound`), a request that does not decode (400 `ValidationError`), a body too large
 * (413 `PayloadTooLarge`), a defect (500 `InternalError`, logged). Interruptions pass through.
 */
const answerFailure =
  (maxBodyBytes: number) =>
  <E>(cause: Cause.Cause<E>): Effect.Effect<HttpServerResponse.HttpServerResponse, E> => {
    for (const reason of cause.reasons) {
      const value: unknown = reason._tag === "Fail" ? reason.error : reason._tag === "Die" ? reason.defect : undefined
      if (HttpServerError.isHttpServerError(value) && value.reason._tag === "RouteNotFound")
        return Effect.succeed(errorResponse(404, "NotFound", `no route ${value.request.method} ${value.request.url}`))
      if (HttpApiError.HttpApiSchemaError.is(value) && value.kind !== "Body" && value.kind !== "ResponseHeaders")
        return Effect.succeed(errorResponse(400, "ValidationError", `the request's ${value.kind.toLowerCase()} does not decode: ${value.cause.message}`))
      if (HttpApiError.HttpApiPayloadTooLarge.is(value) || isBodyTooLarge(value))
        return Effect.succeed(errorResponse(413, "PayloadTooLarge", `the body is larger than ${maxBodyBytes} bytes`))
      if (HttpServerError.isHttpServerError(value) && value.reason._tag === "RequestParseError")
        return Effect.succeed(errorResponse(400, "ValidationError", "the body could not be read"))
    }
    if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
    return Effect.andThen(Effect.logError("the server failed", cause), Effect.succeed(errorResponse(500, "InternalError", "the server failed; see its log")))
  }

/**
 * Starts the example server (see the module documentation for its routes) and resolves once it
 * listens.
 */
export const startServer = async (options: ServerOptions): Promise<RunningServer> => {
  const { iaso, tokenKey } = options
  const accountId = AccountId.make(options.accountId)
  const tokenSeconds = options.tokenSeconds ?? 12 * 60 * 60
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024
  const maxAttachmentBytes = options.maxAttachmentBytes ?? 64 * 1024 * 1024
  const system = Actor.system(accountId)
  const asSystem = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, CurrentActor, system)
  /** As the request's caller. */
  const asCaller = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(Effect.service(CurrentCaller), (caller) => Effect.provideService(effect, CurrentActor, caller.actor))

  /** The caller of a request from its bearer token: the stored user, active, and its actor. */
  const authenticate = (token: string) =>
    Effect.gen(function* () {
      if (token === "") return yield* new Unauthorized({ message: "an `authorization: Bearer <token>` header is needed (POST /api/login gives one)" })
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
      return CurrentCaller.of({ actor, userId, username: found.user.username, projectIds: found.projectIds })
    })

  const AuthorizationLive = Layer.effect(
    Authorization,
    Effect.gen(function* () {
      const services = yield* Effect.context<IasoServices>()
      return Authorization.of({
        bearer: (httpEffect, { credential }) =>
          Effect.flatMap(
            authenticate(Redacted.value(credential)).pipe(
              Effect.provideContext(services),
              // Anything but a refused token (a storage failure...) is the server's failure, not the caller's.
              Effect.catch((error) => (error._tag === "Unauthorized" ? Effect.fail(error) : Effect.die(error)))
            ),
            (caller) => Effect.provideService(httpEffect, CurrentCaller, caller)
          )
      })
    })
  )

  const AuthHandlers = HttpApiBuilder.group(Api, "auth", (handlers) =>
    handlers
      .handle("login", ({ payload }) =>
        Effect.gen(function* () {
          const users = yield* Users
          const ok = yield* asSystem(users.verifyPassword(payload.username, payload.password))
          if (!ok) return yield* new Unauthorized({ message: "wrong username or password" })
          const page = yield* asSystem(users.list({ usernameStartsWith: payload.username, limit: 1000 }))
          const user = page.items.find((item) => item.user.username === payload.username)
          if (user === undefined) return yield* new Unauthorized({ message: "wrong username or password" })
          const exp = Math.floor(Date.now() / 1000) + tokenSeconds
          return { token: signToken(tokenKey, { sub: user.user.id, acc: accountId, exp }) }
        }).pipe(Effect.catch((error) => (error._tag === "Unauthorized" || error._tag === "StorageError" ? Effect.fail(error) : Effect.die(error))))
      )
      .handle("me", () =>
        Effect.map(Effect.service(CurrentCaller), (caller) => ({
          accountId: caller.actor.accountId,
          userId: caller.userId,
          username: caller.username,
          projectId: caller.projectIds[0] ?? options.projectId,
          orgUnitRoots: caller.actor.orgUnitRoots,
          permissions: [...caller.actor.permissions].sort()
        }))
      )
  )

  const SyncHandlers = HttpApiBuilder.group(Api, "sync", (handlers) =>
    handlers
      .handle("pull", ({ payload }) => asCaller(Effect.flatMap(Effect.service(Sync), (sync) => sync.pull(payload))))
      .handle("reconcile", ({ payload }) => asCaller(Effect.flatMap(Effect.service(Sync), (sync) => sync.reconcile(payload))))
      .handle("push", ({ payload }) => asCaller(Effect.flatMap(Effect.service(Sync), (sync) => sync.push(payload))))
  )

  const ReadsHandlers = HttpApiBuilder.group(Api, "reads", (handlers) =>
    handlers
      .handle("orgUnits", ({ query }) =>
        asCaller(
          Effect.gen(function* () {
            const caller = yield* CurrentCaller
            const service = yield* OrgUnits
            const page = {
              limit: query.limit ?? 500,
              orderBy: [{ field: "name" }, { field: "id" }],
              ...(query.cursor === undefined ? {} : { cursor: query.cursor })
            }
            if (query.parentId !== undefined && query.parentId !== "") {
              const children = yield* service.children(OrgUnitId.make(query.parentId), page)
              return { items: children.items.map(unitJson), ...(children.cursor === undefined ? {} : { cursor: children.cursor }) }
            }
            if (caller.actor.orgUnitRoots.length > 0) {
              const roots = yield* Effect.forEach(caller.actor.orgUnitRoots, (id) => service.get(id))
              const sorted = [...roots].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
              return { items: sorted.map(unitJson) }
            }
            const top = yield* service.search({ parentId: null, ...page })
            return { items: top.items.map(unitJson), ...(top.cursor === undefined ? {} : { cursor: top.cursor }) }
          })
        )
      )
      .handle("forms", () =>
        asCaller(
          Effect.gen(function* () {
            const caller = yield* CurrentCaller
            const service = yield* Forms
            const versions = yield* FormVersions
            const projectId = (caller.projectIds[0] ?? options.projectId) as ProjectId
            const items: Array<{
              id: string
              name: string
              formId: string | null
              periodType: string | null
              latestVersion: { id: string; versionId: string; descriptor: unknown; possibleFields: unknown } | null
            }> = []
            let cursor: string | undefined
            do {
              const page = yield* service.list({ projectIds: [projectId], limit: 500, ...(cursor === undefined ? {} : { cursor }) })
              for (const form of page.items) {
                if (form.id === undefined) continue
                const latest = yield* versions.latest(form.id)
                items.push({
                  id: form.id,
                  name: form.name ?? "",
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
            return { projectId, items }
          })
        )
      )
  )

  const AttachmentsHandlers = HttpApiBuilder.group(Api, "attachments", (handlers) =>
    handlers
      // Raw: the body is read here, capped, instead of being buffered by the payload decoder.
      .handleRaw("upload", ({ params, request }) =>
        Effect.gen(function* () {
          const tooLarge = new PayloadTooLarge({ message: `an attachment is at most ${maxAttachmentBytes} bytes`, limit: maxAttachmentBytes })
          const declared = Number(request.headers["content-length"] ?? "0")
          if (declared > maxAttachmentBytes) return yield* tooLarge
          const body = yield* request.arrayBuffer.pipe(
            Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxAttachmentBytes)),
            Effect.mapError((error) => (isBodyTooLarge(error) ? tooLarge : ValidationError.at(["body"], "the body could not be read")))
          )
          const bytes = new Uint8Array(body)
          const sha256 = createHash("sha256").update(bytes).digest("hex")
          if (sha256 !== params.sha256) return yield* ValidationError.at(["sha256"], `the body's sha256 is ${sha256}, not ${params.sha256}`)
          const blobs = yield* BlobStore
          const existed = yield* blobs.has(`sha256/${sha256}`)
          if (!existed) yield* blobs.put(bytes, { mediaType: request.headers["content-type"] ?? "application/octet-stream" })
          return { sha256, size: bytes.byteLength, stored: existed ? ("existing" as const) : ("created" as const) }
        })
      )
      .handle("has", ({ params }) =>
        Effect.flatMap(Effect.service(BlobStore), (blobs) => blobs.has(`sha256/${params.sha256}`)).pipe(
          Effect.flatMap((has) => (has ? Effect.void : Effect.fail(new AttachmentMissing({ message: `no attachment ${params.sha256}` }))))
        )
      )
      .handle("download", ({ params }) =>
        Effect.flatMap(Effect.service(BlobStore), (blobs) => blobs.get(`sha256/${params.sha256}`)).pipe(
          Effect.mapError((error) => (error._tag === "NotFound" ? NotFound.of("Attachment", params.sha256) : error))
        )
      )
  )

  /** Errors as JSON, CORS on every answer, and the JSON body cap. */
  const cors = HttpMiddleware.cors({
    allowedOrigins: options.corsOrigin === undefined || options.corsOrigin === "*" ? [] : [options.corsOrigin],
    allowedMethods: ["GET", "HEAD", "POST", "PUT", "OPTIONS"],
    // `b3` and `traceparent`: the trace headers an Effect `HttpClient` sends by default.
    allowedHeaders: ["authorization", "content-type", "b3", "traceparent"],
    maxAge: 600
  })
  const Edge = HttpRouter.middleware(
    (app) =>
      cors(app.pipe(Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBodyBytes)), Effect.catchCause(answerFailure(maxBodyBytes)))),
    { global: true }
  )

  // The SDK's services, taken from the client's runtime, for the handlers.
  const services = await iaso.run(Effect.context<IasoServices | BlobStore>())
  const ApiLive = HttpApiBuilder.layer(Api).pipe(
    Layer.provide([AuthHandlers, SyncHandlers, ReadsHandlers, AttachmentsHandlers]),
    Layer.provide(AuthorizationLive)
  )
  const server = createServer()
  const ServerLive = HttpRouter.serve(Layer.mergeAll(ApiLive, Edge), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provide(NodeHttpServer.layer(() => server, { port: options.port ?? 8787, host: options.host ?? "127.0.0.1" })),
    Layer.provide(Layer.succeedContext(services))
  )
  const scope = Effect.runSync(Scope.make())
  const built = await Effect.runPromiseExit(Layer.buildWithScope(ServerLive, scope))
  if (Exit.isFailure(built)) {
    await Effect.runPromise(Scope.close(scope, built))
    throw Cause.squash(built.cause)
  }
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: async () => {
      const closing = Effect.runPromise(Scope.close(scope, Exit.void))
      server.closeAllConnections()
      await closing
    }
  }
}
