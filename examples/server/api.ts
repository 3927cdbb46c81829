/**
 * The example server's HTTP API, declared once with Schema (`effect/http-api`): the server
 * implements it (`app.ts`) and the PWA derives its typed client from it (`HttpApiClient.make(Api)`).
 * This module imports only `effect` and `@iaso/core`, so a browser bundle can import it.
 *
 * - `auth`: `POST /api/login`, `GET /api/me`
 * - `sync`: `POST /api/sync/pull`, `/reconcile`, `/push`, bodies the sync-wire Schemas of `@iaso/core`
 * - `reads`: `GET /api/orgunits`, `GET /api/forms`
 * - `attachments`: `PUT`, `HEAD`, `GET /api/attachments/:sha256` (upload once, resume, fetch)
 *
 * Every route but login goes through {@link Authorization} (`authorization: Bearer <token>`).
 * Errors are JSON `{ _tag, message, ... }` with their status: {@link Unauthorized} 401,
 * `ValidationError` 400, `Forbidden` 403, `NotFound` 404, {@link PayloadTooLarge} 413,
 * `StorageError` 503.
 * @module
 */
import {
  AccountId,
  type Actor,
  admitJson,
  Forbidden,
  NotFound,
  OrgUnitId,
  type ProjectId,
  PullPage,
  PullRequest,
  PushAnswer,
  PushRequest,
  ReconcileAnswer,
  ReconcileRequest,
  StorageError,
  UserId,
  ValidationError
} from "@iaso/core"
import { Context, Effect, Schema, SchemaGetter, SchemaIssue } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity } from "effect/http-api"

/** A request without a valid bearer token, or a login with a wrong password. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", { message: Schema.String }, { httpApiStatus: 401 }) {}

/** A body larger than the server takes (`limit` bytes). */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { message: Schema.String, limit: Schema.Int },
  { httpApiStatus: 413 }
) {}

/** An attachment the server does not hold (the answer to `HEAD`, which has no body). */
export class AttachmentMissing extends Schema.TaggedError<AttachmentMissing>()("AttachmentMissing", { message: Schema.String }, { httpApiStatus: 404 }) {}

/** The SDK's typed errors with their statuses (bodies `{ _tag, message, ... }`). */
const Invalid = ValidationError.pipe(HttpApiSchema.status(400))
const Refused = Forbidden.pipe(HttpApiSchema.status(403))
const Missing = NotFound.pipe(HttpApiSchema.status(404))
const Unavailable = StorageError.pipe(HttpApiSchema.status(503))

/** The authenticated caller of a request, provided by {@link Authorization} to the handlers. */
export class CurrentCaller extends Context.Service<
  CurrentCaller,
  {
    readonly actor: Actor
    readonly userId: UserId
    readonly username: string
    readonly projectIds: ReadonlyArray<ProjectId>
  }
>()("iaso-example/CurrentCaller") {}

/** Bearer-token security: the server checks the token and provides {@link CurrentCaller}; a client adds the header. */
export class Authorization extends HttpApiMiddleware.Service<Authorization, { provides: CurrentCaller }>()("iaso-example/Authorization", {
  requiredForClient: true,
  security: { bearer: HttpApiSecurity.bearer },
  error: Unauthorized
}) {}

/** `POST /api/login`'s body. */
export const LoginRequest = Schema.Struct({ username: Schema.String, password: Schema.String })

/** `POST /api/login`'s answer. */
export const LoginAnswer = Schema.Struct({ token: Schema.String })

/** What `GET /api/me` answers: who the bearer is and what it may do. */
export const Me = Schema.Struct({
  accountId: AccountId,
  userId: UserId,
  username: Schema.String,
  projectId: Schema.String,
  orgUnitRoots: Schema.Array(OrgUnitId),
  permissions: Schema.Array(Schema.String)
})
export type Me = typeof Me.Type

/** An org unit as `GET /api/orgunits` answers it. */
export const OrgUnitItem = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  parentId: Schema.NullOr(Schema.String),
  orgUnitTypeId: Schema.NullOr(Schema.String),
  validationStatus: Schema.String,
  versionId: Schema.String
})

/** A page of org units (`cursor` when more follow). */
export const OrgUnitPage = Schema.Struct({ items: Schema.Array(OrgUnitItem), cursor: Schema.optionalKey(Schema.String) })

/** A form as `GET /api/forms` answers it, with its latest version (the parsed XLSForm) or `null`. */
export const FormItem = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  formId: Schema.NullOr(Schema.String),
  periodType: Schema.NullOr(Schema.String),
  latestVersion: Schema.NullOr(
    Schema.Struct({ id: Schema.String, versionId: Schema.String, descriptor: Schema.NullOr(Schema.Unknown), possibleFields: Schema.NullOr(Schema.Unknown) })
  )
})

/** `GET /api/forms`' answer. */
export const FormList = Schema.Struct({ projectId: Schema.String, items: Schema.Array(FormItem) })

/** The sha256 of a file's bytes: 64 lower-case hex digits. */
export const Sha256 = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/, { message: "Expected 64 lower-case hex digits" }))

/** What `PUT /api/attachments/:sha256` answers: `created` when these bytes were new, else `existing`. */
export const AttachmentStored = Schema.Struct({ sha256: Sha256, size: Schema.Int, stored: Schema.Literals(["created", "existing"]) })

const Bytes = Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/octet-stream" }))

/** Login and the bearer's profile. */
export class AuthGroup extends HttpApiGroup.make("auth").add(
  HttpApiEndpoint.post("login", "/api/login", { payload: LoginRequest, success: LoginAnswer, error: [Invalid, Unauthorized, Unavailable] }),
  HttpApiEndpoint.get("me", "/api/me", { success: Me }).middleware(Authorization)
) {}

const syncErrors = [Invalid, Refused, Missing, Unavailable] as const

/**
 * A JSON body admitted by `admitJson` before `schema` decodes it: its nesting is measured without
 * recursion (and every -0 made 0), so a body nested thousands of levels deep is a 400
 * `ValidationError`, not a stack overflow in the schema's recursive decoding.
 */
const admitted = <S extends Schema.Top>(schema: S) =>
  Schema.Unknown.pipe(
    Schema.decodeTo(schema, {
      decode: SchemaGetter.transformEffect((value: unknown) => {
        const admittedValue = admitJson(value, ["body"])
        return admittedValue instanceof ValidationError
          ? Effect.fail(new SchemaIssue.InvalidValue({ message: admittedValue.message }))
          : // What `schema` decodes next: its encoded side is checked there.
            Effect.succeed(admittedValue as S["Encoded"])
      }),
      encode: SchemaGetter.passthrough({ strict: false })
    })
  )

/** The three sync routes of `@iaso/core` (`Sync` as the bearer). */
export class SyncGroup extends HttpApiGroup.make("sync")
  .add(
    HttpApiEndpoint.post("pull", "/api/sync/pull", { payload: admitted(PullRequest), success: PullPage, error: syncErrors }),
    HttpApiEndpoint.post("reconcile", "/api/sync/reconcile", { payload: admitted(ReconcileRequest), success: ReconcileAnswer, error: syncErrors }),
    HttpApiEndpoint.post("push", "/api/sync/push", { payload: admitted(PushRequest), success: PushAnswer, error: syncErrors })
  )
  .middleware(Authorization) {}

/** REST reads for the bearer. */
export class ReadsGroup extends HttpApiGroup.make("reads")
  .add(
    HttpApiEndpoint.get("orgUnits", "/api/orgunits", {
      query: {
        parentId: Schema.optionalKey(Schema.String),
        cursor: Schema.optionalKey(Schema.String),
        limit: Schema.optionalKey(Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1000 })))
      },
      success: OrgUnitPage,
      error: [Invalid, Refused, Missing, Unavailable]
    }),
    HttpApiEndpoint.get("forms", "/api/forms", { success: FormList, error: [Invalid, Refused, Missing, Unavailable] })
  )
  .middleware(Authorization) {}

/** Submission files, content-addressed: a device uploads a big file once, then pushes its submission naming it by sha256. */
export class AttachmentsGroup extends HttpApiGroup.make("attachments")
  .add(
    HttpApiEndpoint.put("upload", "/api/attachments/:sha256", {
      params: { sha256: Sha256 },
      payload: Bytes,
      success: AttachmentStored,
      error: [Invalid, PayloadTooLarge, Unavailable]
    }),
    HttpApiEndpoint.head("has", "/api/attachments/:sha256", {
      params: { sha256: Sha256 },
      success: HttpApiSchema.Empty(200),
      error: [
        AttachmentMissing.pipe(HttpApiSchema.asNoContent({ decode: () => new AttachmentMissing({ message: "the attachment is not stored" }) })),
        Unavailable
      ]
    }),
    HttpApiEndpoint.get("download", "/api/attachments/:sha256", {
      params: { sha256: Sha256 },
      success: Bytes,
      error: [Missing, Unavailable]
    })
  )
  .middleware(Authorization) {}

/** The whole API. */
export class Api extends HttpApi.make("iaso-example").add(AuthGroup).add(SyncGroup).add(ReadsGroup).add(AttachmentsGroup) {}
