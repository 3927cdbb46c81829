/**
 * A tiny `node:http` server answering the SDK's sync routes (`POST /sync/pull|reconcile|push`)
 * with `answerSync`, for the sync benchmarks: independent of examples/server. A request names its
 * actor with an `x-bench-actor` header (a key of `actors`): no tokens, the benchmarks measure sync,
 * not authentication.
 */
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { type Actor, answerSync, CurrentActor, type IasoClient, type SyncRoute } from "@iaso/core"
import { Effect } from "effect"

/** A running bench sync server. */
export interface BenchSyncServer {
  /** The sync routes' base, for `httpSyncTransport({ baseUrl })`. */
  readonly baseUrl: string
  /** The server's origin (`http://127.0.0.1:<port>`). */
  readonly origin: string
  /** Requests answered, by route. */
  readonly served: Record<SyncRoute, number>
  readonly close: () => Promise<void>
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString("utf8")
}

/**
 * Serves `iaso`'s `Sync` on loopback (a free port) for the actors named by `actors`, and `files`
 * (path -> content type and body) by `GET`, so a page can pull from the same origin.
 */
export const startBenchSyncServer = async (
  iaso: IasoClient,
  actors: ReadonlyMap<string, Actor>,
  files: ReadonlyMap<string, { readonly type: string; readonly body: string }> = new Map()
): Promise<BenchSyncServer> => {
  const served: Record<SyncRoute, number> = { pull: 0, reconcile: 0, push: 0 }
  const send = (response: import("node:http").ServerResponse, status: number, body: unknown) => {
    const json = JSON.stringify(body)
    response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(json) })
    response.end(json)
  }
  const server = createServer((request, response) => {
    const file = request.method === "GET" ? files.get(request.url ?? "") : undefined
    if (file !== undefined) {
      response.writeHead(200, { "content-type": file.type })
      response.end(file.body)
      return
    }
    const route = request.url?.match(/^\/sync\/(pull|reconcile|push)$/)?.[1] as SyncRoute | undefined
    const actor = actors.get(String(request.headers["x-bench-actor"] ?? ""))
    if (request.method !== "POST" || route === undefined || actor === undefined) {
      send(response, 404, { _tag: "NotFound", message: "no such route or actor" })
      return
    }
    readBody(request)
      .then(async (text) => {
        const answer = await iaso.run(answerSync(route, JSON.parse(text) as unknown).pipe(Effect.provideService(CurrentActor, actor)))
        served[route] += 1
        send(response, answer.status, answer.body)
      })
      .catch((error: unknown) => {
        console.error(error)
        if (!response.headersSent) send(response, 500, { _tag: "InternalError", message: String(error) })
        else response.destroy()
      })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/sync`,
    origin: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      })
  }
}
