/**
 * The messages between `ImportWorkers.layer` (`@iaso/core/node`) and its worker threads
 * (`import-worker-thread.ts`): plain data, copied by the structured clone algorithm.
 * @module
 */
import type { EncodedRows } from "../shared/encoded-rows.ts"
import type { ValidationIssue } from "../shared/errors.ts"
import type { Row } from "../shared/model.ts"
import type { EncodeRequest } from "./import-encoder.ts"

/** A chunk to encode, numbered by the sender. */
export interface WorkerRequest {
  readonly id: number
  readonly request: EncodeRequest
}

/** A worker's answer to the request `id`: the encoded chunk, the first refused record, or why it could not encode. */
export type WorkerAnswer =
  | {
      readonly id: number
      readonly _tag: "Encoded"
      readonly rows: ReadonlyArray<Row>
      readonly made: ReadonlyArray<number>
      readonly values?: ReadonlyArray<unknown>
      /** The rows as one JSON text (then `rows` hold their ids and references only). */
      readonly encoded?: EncodedRows
    }
  | { readonly id: number; readonly _tag: "Refused"; readonly index: number; readonly message: string; readonly issues: ReadonlyArray<ValidationIssue> }
  | { readonly id: number; readonly _tag: "Lost"; readonly message: string }

/** What a worker thread posts once it has loaded its modules, before any answer. */
export interface WorkerReady {
  readonly _tag: "Ready"
}

/** Every message a worker thread posts. */
export type WorkerMessage = WorkerAnswer | WorkerReady
