/**
 * The `Credentials` service: an account's logins to external systems (DHIS2 servers), created with
 * their data source (`Sources.createDataSource`) and changed here. Changing the URL, the login or
 * the name keeps the password unless a new one is given; the password is `Redacted`, never
 * answered, never in an audit entry (a secret field) nor in an error message. Credentials are
 * valid ({@link credentialsAreValid}) when URL, login and password are all non-empty. Reads need
 * `iaso_sources` (or `iaso_write_sources`), changes `iaso_write_sources`.
 * @module
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { audit } from "../kernel/audit.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { ExternalCredentialsId } from "../shared/entity-ids.ts"
import { type Forbidden, type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { cleanDhis2Url } from "./sources-service.ts"
import { type ExternalCredentials, ExternalCredentialsModel } from "./sources.ts"

/** Credentials as answered: everything but the password, and whether they can be used. */
export interface CredentialsView {
  /** The credentials' id. */
  readonly id: ExternalCredentialsId
  /** Their name (for DHIS2 single sign-on, the client id). */
  readonly name: string
  /** The login. */
  readonly login: string
  /** The server's URL. */
  readonly url: string
  /** Whether a password is stored. */
  readonly hasPassword: boolean
  /** URL, login and password are all non-empty. */
  readonly isValid: boolean
}

/** What {@link Credentials | Credentials.update} takes: the fields to change. */
export interface CredentialsUpdate {
  /** A new name. */
  readonly name?: string
  /** A new login. */
  readonly login?: string
  /** A new URL (trimmed, DHIS2's login page and trailing slashes removed). */
  readonly url?: string
  /** A new password; absent or empty keeps the stored one. */
  readonly password?: string | Redacted.Redacted<string>
}

/** Whether credentials can be used: URL, login and password all non-empty (IASO's `is_valid`). */
export const credentialsAreValid = (credentials: ExternalCredentials): boolean =>
  credentials.url !== "" && credentials.login !== "" && Redacted.value(credentials.password) !== ""

const view = (credentials: ExternalCredentials): CredentialsView => ({
  id: credentials.id,
  name: credentials.name,
  login: credentials.login,
  url: credentials.url,
  hasPassword: Redacted.value(credentials.password) !== "",
  isValid: credentialsAreValid(credentials)
})

/**
 * External credentials (see the module documentation for the rules). Provided by `Iaso.layer`; on
 * the Promise facade, `iaso.as(actor).credentials`. Its calls are listed under `Service`.
 */
export class Credentials extends Context.Service<
  Credentials,
  {
    /** Credentials of the actor's account, without their password. */
    readonly get: (id: ExternalCredentialsId) => Effect.Effect<CredentialsView, NotFound | Forbidden | StorageError, CurrentActor>
    /** Changes credentials; the password is kept unless a new non-empty one is given. */
    readonly update: (id: ExternalCredentialsId, patch: CredentialsUpdate) => Effect.Effect<CredentialsView, ServiceWriteError, CurrentActor>
  }
>()("@iaso/core/Credentials") {
  static readonly layer = Layer.effect(
    Credentials,
    Effect.gen(function* () {
      const repos = yield* Repos
      const withActor = <A, E>(permissions: ReadonlyArray<string>, action: string, body: (actor: Actor) => Effect.Effect<A, E>) =>
        Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.andThen(requireAny(actor, permissions, action), body(actor)))
      return Credentials.of({
        get: (id) =>
          withActor(["iaso_sources", "iaso_write_sources"], "reading credentials", (actor) =>
            Effect.map(repos.get(ExternalCredentialsModel, actor.accountId, id), view)
          ),
        update: (id, patch) =>
          withActor(["iaso_write_sources"], "changing credentials", (actor) =>
            repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(ExternalCredentialsModel, actor.accountId, id)
                const password = patch.password === undefined ? "" : Redacted.isRedacted(patch.password) ? Redacted.value(patch.password) : patch.password
                const after = yield* repos
                  .update(ExternalCredentialsModel, actor.accountId, id, {
                    ...(patch.name === undefined ? {} : { name: patch.name }),
                    ...(patch.login === undefined ? {} : { login: patch.login }),
                    ...(patch.url === undefined ? {} : { url: cleanDhis2Url(patch.url) }),
                    ...(password === "" ? {} : { password: Redacted.make(password) })
                  })
                  .pipe(
                    // A refused password must not show up in the message.
                    Effect.mapError((error) =>
                      error._tag === "ValidationError" && password !== "" && error.message.includes(password)
                        ? ValidationError.at(["password"], "Invalid password")
                        : error
                    )
                  )
                yield* audit(repos, actor, "CREDENTIALS_API", ExternalCredentialsModel, [{ id, before, after }])
                return view(after)
              })
            )
          )
      })
    })
  )
}
