/**
 * The worker thread of `ImportWorkers.layer` (`@iaso/core/node`): encodes the chunks of new records
 * it is sent with {@link encodeChunk}, in order, and posts each answer back (a refused record's
 * `ValidationError` as its message and issues). Node only; nothing imports this module: the layer
 * starts it by its file's URL.
 * @module
 */
import { parentPort } from "node:worker_threads"
import { ALL_MODELS } from "../models.ts"
import type { AnyModel } from "../shared/model.ts"
import { type EncodeRequest, encodeChunk, forTransfer } from "./import-encoder.ts"
import type { WorkerAnswer, WorkerReady, WorkerRequest } from "./import-worker-protocol.ts"

const models = new Map<string, AnyModel>(ALL_MODELS.map((model) => [model.name, model]))

const answer = (request: WorkerRequest): WorkerAnswer => {
  const model = models.get(request.request.model)
  if (model === undefined) return { id: request.id, _tag: "Lost", message: `no model ${request.request.model}` }
  try {
    const encoded = forTransfer(model, encodeChunk(model, request.request satisfies EncodeRequest))
    if (encoded._tag === "Encoded") return { id: request.id, ...encoded }
    return { id: request.id, _tag: "Refused", index: encoded.index, message: encoded.error.message, issues: encoded.error.issues }
  } catch (error) {
    return { id: request.id, _tag: "Lost", message: error instanceof Error ? error.message : String(error) }
  }
}

parentPort?.on("message", (request: WorkerRequest) => {
  parentPort?.postMessage(answer(request))
})
// Loaded: the layer that started the thread waits for this before its first chunk.
parentPort?.postMessage({ _tag: "Ready" } satisfies WorkerReady)
