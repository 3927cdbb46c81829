/**
 * The typed client of the example server's API, derived from its declaration (`api.ts`) with
 * `HttpApiClient` over `fetch`: browser-safe (the PWA uses it), and what the server's test calls.
 * @module
 */
import { Effect } from "effect"
import { FetchHttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { Api, Authorization } from "./api.ts"

/** The client: one method per endpoint, grouped (`client.auth.login`, `client.reads.forms`, `client.attachments.upload`...). */
export type ApiClient = HttpApiClient.ForApi<typeof Api>

/**
 * The client of the server at `baseUrl` (e.g. `http://127.0.0.1:8787`). `token` gives the bearer
 * token of each authenticated request (none: the request goes without one and is answered 401).
 */
export const makeApiClient = (baseUrl: string, token: () => string | undefined = () => undefined): Effect.Effect<ApiClient> =>
  HttpApiClient.make(Api, { baseUrl: baseUrl.replace(/\/+$/, "") }).pipe(
    Effect.provide(
      HttpApiMiddleware.layerClient(Authorization, ({ next, request }) => {
        const bearer = token()
        return next(bearer === undefined ? request : HttpClientRequest.bearerToken(request, bearer))
      })
    ),
    Effect.provide(FetchHttpClient.layer)
  )
