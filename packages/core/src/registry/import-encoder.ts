/**
 * Encoding an import's new records chunk by chunk, and writing the chunks in one unit of work with
 * the next chunk encoded while the current one is written.
 *
 * {@link ImportEncoder} validates and encodes a chunk of new records into the store's rows (the
 * record codec's acceptance test, encoding and derived columns): in the calling thread by default
 * (every platform, browsers included), or in a worker thread with `ImportWorkers.layer` from
 * `@iaso/core/node`. Both give the same rows and, for a refused record, the same `ValidationError`.
 * {@link chunkWriter} writes the chunks in order: while chunk `k` is written, chunk `k + 1` is
 * encoded (in the worker, both cores work); a refused record is reported only once every chunk
 * before it is written, so the error is always the first problem in input order, whatever chunk
 * it is in.
 * @module
 */
import { Context, Effect, Fiber } from "effect"
import { Repos } from "../kernel/repos.ts"
import { decodeRows, type EncodedRows, encodeRows } from "../shared/encoded-rows.ts"
import { AlreadyExists, NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { AnyModel, RecordOf, Row } from "../shared/model.ts"
import { scopeOf } from "../shared/reads.ts"
import type { WriteError } from "../shared/repository.ts"
import { codecOf } from "../shared/record-codec.ts"
import type { WriteOp } from "../shared/store.ts"
import { now } from "../shared/time.ts"

/** Fields the SDK sets on every new record (an input giving one of them, `id` aside, is refused). */
const SYSTEM_FIELDS = ["accountId", "version", "createdAt", "updatedAt"] as const

/** One chunk of new records to encode. */
export interface EncodeRequest {
  /** The model's name (a model of core's `ALL_MODELS`). */
  readonly model: string
  readonly accountId: string
  /** The records' `createdAt` and `updatedAt`, in epoch milliseconds. */
  readonly at: number
  /** The new records, as `insertMany` takes them (an `id` is made for a record without one). */
  readonly inputs: ReadonlyArray<unknown>
  /** Also answer the validated records (what reading the rows back gives), e.g. for audit entries. */
  readonly values: boolean
  /**
   * In the calling thread, yield to the other fibers after every `slice` records (absent: encode
   * the chunk at once). A worker thread ignores it.
   */
  readonly slice?: number
  /**
   * `"text"`: also answer the rows as one JSON text (`encoded`, for a store's `insertEncoded`)
   * where their values allow it. Default `"rows"`.
   */
  readonly form?: "rows" | "text"
}

/** An encoded chunk: each record's row (and, when asked, its validated record), or the first refused record. */
export type EncodedChunk =
  | {
      readonly _tag: "Encoded"
      /** The rows (from a worker thread, with `encoded`: their id and reference fields only). */
      readonly rows: ReadonlyArray<Row>
      /** The indexes of the records whose id was made by the encoder. */
      readonly made: ReadonlyArray<number>
      readonly values?: ReadonlyArray<unknown>
      /** The rows as one JSON text (asked with `form: "text"`). */
      readonly encoded?: EncodedRows
    }
  | { readonly _tag: "Refused"; readonly index: number; readonly error: ValidationError }

/**
 * Encodes one chunk in the calling thread: what {@link ImportEncoder} does by default, and what the
 * worker of `ImportWorkers.layer` runs. Stops at the first refused record (inputs in order).
 */
export const encodeChunk = (model: AnyModel, request: EncodeRequest): EncodedChunk => {
  const codec = codecOf(model)
  const at = new Date(request.at)
  const rows: Array<Row> = []
  const values: Array<unknown> = []
  const made: Array<number> = []
  for (let index = 0; index < request.inputs.length; index++) {
    const input = request.inputs[index]
    if (typeof input !== "object" || input === null) return { _tag: "Refused", index, error: ValidationError.at([], "expected an object") }
    const system = SYSTEM_FIELDS.find((key) => key in input)
    if (system !== undefined) return { _tag: "Refused", index, error: ValidationError.at([system], "is set by the SDK") }
    const given = (input as { readonly id?: unknown }).id
    const candidate: Record<string, unknown> = { ...input, id: given ?? uuidv7(request.at), version: 1, createdAt: at, updatedAt: at }
    if (given === undefined) made.push(index)
    if (model.scope === "account") candidate["accountId"] = request.accountId
    if (!request.values) {
      const row = codec.toRow(candidate)
      if (row instanceof ValidationError) return { _tag: "Refused", index, error: row }
      rows.push(row)
      continue
    }
    const encoded = codec.toRowAndValue(candidate)
    if (encoded instanceof ValidationError) return { _tag: "Refused", index, error: encoded }
    rows.push(encoded.row)
    values.push(encoded.value)
  }
  if (request.form === "text") {
    const encoded = asText(model, rows, made)
    if (encoded !== undefined) return { _tag: "Encoded", rows, made, encoded, ...(request.values ? { values } : {}) }
  }
  return request.values ? { _tag: "Encoded", rows, made, values } : { _tag: "Encoded", rows, made }
}

/** A chunk's rows as one JSON text; `undefined` when the text cannot carry them. */
const asText = (model: AnyModel, rows: ReadonlyArray<Row>, made: ReadonlyArray<number>): EncodedRows | undefined => {
  // `made` is in ascending order.
  const given: Array<string> = []
  let next = 0
  for (let i = 0; i < rows.length; i++) {
    if (made[next] === i) next += 1
    else given.push(String((rows[i] as Row)["id"]))
  }
  return encodeRows(model.columns, rows, given)
}

/**
 * An encoded chunk to send to another thread: when the rows are also in a text, each row keeps
 * only its id and references (what the reference check reads), the text carrying the rest.
 */
export const forTransfer = (model: AnyModel, chunk: EncodedChunk): EncodedChunk => {
  if (chunk._tag !== "Encoded" || chunk.encoded === undefined) return chunk
  const fields = ["id", ...model.references.map((reference) => reference.field)]
  const keys = chunk.rows.map((row) => {
    const key: Record<string, unknown> = {}
    for (const field of fields) if (row[field] !== undefined) key[field] = row[field]
    return key
  })
  return { ...chunk, rows: keys }
}

/** Encodes chunks of new records: see {@link ImportEncoder}. */
export interface ImportEncoderService {
  /** `"in-thread"`, or `"worker"` for `ImportWorkers.layer`. */
  readonly kind: "in-thread" | "worker"
  /** Encodes one chunk of new records of `model` (a `StorageError` when a worker is lost). */
  readonly encode: (model: AnyModel, request: EncodeRequest) => Effect.Effect<EncodedChunk, StorageError>
}

/** The default {@link ImportEncoder}: encoding in the calling thread (in slices when the request asks). */
export const inThreadImportEncoder: ImportEncoderService = {
  kind: "in-thread",
  encode: (model, request) =>
    Effect.gen(function* () {
      const slice = Math.max(1, request.slice ?? request.inputs.length)
      if (request.inputs.length <= slice) return encodeChunk(model, request)
      const rows: Array<Row> = []
      const made: Array<number> = []
      const values: Array<unknown> = []
      for (let start = 0; start < request.inputs.length; start += slice) {
        if (start > 0) yield* Effect.yieldNow
        // Slices are joined as rows (a store reached over connections takes no text).
        const part = encodeChunk(model, { ...request, form: "rows", inputs: request.inputs.slice(start, start + slice) })
        if (part._tag === "Refused") return { ...part, index: start + part.index }
        for (const row of part.rows) rows.push(row)
        for (const index of part.made) made.push(start + index)
        if (part.values !== undefined) for (const value of part.values) values.push(value)
      }
      const encoded: EncodedChunk = request.values ? { _tag: "Encoded", rows, made, values } : { _tag: "Encoded", rows, made }
      return encoded
    })
}

/**
 * Where an import's chunks of new records are validated and encoded: in the calling thread unless
 * a layer provides another encoder (`ImportWorkers.layer` from `@iaso/core/node`: a worker thread).
 * Used by the pyramid imports (GeoPackage, GeoJSON, DHIS2, parsed pyramids) and {@link importRecords}.
 */
export const ImportEncoder = Context.Reference<ImportEncoderService>("@iaso/core/ImportEncoder", { defaultValue: () => inThreadImportEncoder })

/** Records the in-thread encoder encodes between two yields when writing to a server (see `chunkWriter`). */
const SLICE = 250

/** The error of a store outcome that refused an insert (as `insertMany` words it). */
const refusal = (model: string, id: string, outcome: { readonly _tag: string; readonly constraint?: string }): AlreadyExists | NotFound =>
  outcome._tag === "Duplicate"
    ? new AlreadyExists({
        model,
        constraint: outcome.constraint ?? "unknown",
        message:
          outcome.constraint === "id" ? `${model} ${id} already exists` : `another ${model} already has the same values for ${outcome.constraint ?? "unknown"}`
      })
    : NotFound.of(model, id)

/** A chunk written by {@link chunkWriter}: its rows' validated records when `values` was asked. */
export interface WrittenChunk<M extends AnyModel> {
  /** The chunk's position among the chunks (0 for the first). */
  readonly chunk: number
  readonly count: number
  readonly records: ReadonlyArray<RecordOf<M>>
}

/** Options of {@link chunkWriter}. */
export interface InsertChunksOptions<M extends AnyModel, E, R> {
  /** Answer each chunk's validated records to `onWritten` (default: no records are kept). */
  readonly values?: boolean
  /**
   * Checks the references of a chunk's rows before they are written (the rows' ids are those of
   * the chunk): a failure stops the import. Absent: the caller vouches for them.
   */
  readonly checkReferences?: (rows: ReadonlyArray<Row>) => Effect.Effect<void, E, R>
  /** Prefix the paths of a refused record's issues with its index among all the records pushed (default: its own paths). */
  readonly indexPaths?: boolean
  /** Runs after each chunk is written, in order (audit entries, progress...). */
  readonly onWritten?: (written: WrittenChunk<M>) => Effect.Effect<void, E, R>
}

/**
 * A writer of chunks of new records of `model` in the caller's unit of work: `push` a chunk (it is
 * handed to the {@link ImportEncoder} at once), `finish` when done. The chunk pushed before is
 * written while the new one is encoded; a refused record fails `push` or `finish` only after every
 * chunk before it is written. Errors: the first refused record's `ValidationError` (its path
 * prefixed with the record's index among all the records pushed, when `indexPaths`), or the
 * store's `AlreadyExists` / `StorageError`, or those of `checkReferences` and `onWritten`.
 */
export const chunkWriter = <M extends AnyModel, E = never, R = never>(model: M, accountId: string, options: InsertChunksOptions<M, E, R> = {}) =>
  Effect.gen(function* () {
    const repos = yield* Repos
    const encoder = yield* ImportEncoder
    const at = (yield* now).getTime()
    // A store reached over connections (concurrent writers: a PostgreSQL server) answers each
    // statement of a chunk's write later: the next chunk is encoded in slices meanwhile, so each
    // answer (a sequence draw, a savepoint, the reference check) waits for one slice, not the
    // whole chunk, and the chunk's insert is sent early, the server working on it while the rest
    // is encoded. A store writing in the calling thread (SQLite, PGlite, memory) gains nothing
    // from slices: the chunk is encoded at once.
    const slice = repos.driver.capabilities.concurrentWriters ? SLICE : undefined
    // A store that inserts a JSON text of rows in one statement is given one per chunk: from a
    // worker thread, one string to copy, not every value.
    const form = repos.driver.insertEncoded !== undefined && slice === undefined ? "text" : "rows"
    const kinds = new Map(model.columns.map((c) => [c.name, c.kind]))
    let pending: { readonly fiber: Fiber.Fiber<EncodedChunk, StorageError>; readonly chunk: number; readonly offset: number } | undefined
    let chunks = 0
    let offset = 0
    let written = 0

    const write = (encoded: EncodedChunk, chunk: number, first: number) =>
      Effect.gen(function* () {
        if (encoded._tag === "Refused") {
          const { error, index } = encoded
          if (options.indexPaths !== true) return yield* error
          return yield* new ValidationError({
            message: `record ${first + index}: ${error.message}`,
            issues: error.issues.map((issue) => ({ path: [first + index, ...issue.path], message: issue.message }))
          })
        }
        if (options.checkReferences !== undefined) yield* options.checkReferences(encoded.rows)
        const scope = scopeOf(model, accountId)
        const text = encoded.encoded
        const insertEncoded = repos.driver.insertEncoded
        // A text the store refused (a unique key) is written again as rows, to learn which row.
        const rows =
          text === undefined
            ? encoded.rows
            : insertEncoded === undefined || (yield* insertEncoded(model, scope, text)) === "Refused"
              ? decodeRows(text, kinds)
              : []
        const made = new Set(encoded.made)
        const ops = rows.map((row, i): WriteOp => (made.has(i) ? { kind: "insert", row, fresh: true } : { kind: "insert", row }))
        const outcomes = ops.length === 0 ? [] : yield* repos.driver.write(model, scope, ops)
        for (const [i, outcome] of outcomes.entries()) {
          if (outcome._tag !== "Written") return yield* refusal(model.name, String(rows[i]?.["id"]), outcome)
        }
        written += encoded.rows.length
        if (options.onWritten !== undefined)
          yield* options.onWritten({ chunk, count: encoded.rows.length, records: (encoded.values ?? []) as ReadonlyArray<RecordOf<M>> })
      })

    const flush = Effect.gen(function* () {
      if (pending === undefined) return
      const { fiber, chunk, offset: first } = pending
      pending = undefined
      const encoded = yield* Fiber.join(fiber)
      yield* write(encoded, chunk, first)
    })

    return {
      /** Hands a chunk to the encoder, then writes the chunk pushed before it. */
      push: (inputs: ReadonlyArray<unknown>) =>
        Effect.gen(function* () {
          if (inputs.length === 0) return
          const fiber = yield* Effect.forkChild(
            encoder.encode(model, {
              model: model.name,
              accountId,
              at,
              inputs,
              values: options.values === true,
              form,
              ...(slice === undefined ? {} : { slice })
            })
          )
          const previous = pending
          pending = undefined
          if (previous !== undefined) {
            const encoded = yield* Fiber.join(previous.fiber).pipe(Effect.onError(() => Fiber.interrupt(fiber)))
            yield* write(encoded, previous.chunk, previous.offset).pipe(Effect.onError(() => Fiber.interrupt(fiber)))
          }
          pending = { fiber, chunk: chunks, offset }
          chunks += 1
          offset += inputs.length
        }),
      /** Writes the last chunk; answers how many records were written. */
      finish: Effect.map(flush, () => written),
      /** Stops encoding the chunk not yet written (after a failure elsewhere). */
      abandon: Effect.suspend(() => {
        const fiber = pending?.fiber
        pending = undefined
        return fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
      })
    }
  })

/** Options of {@link importRecords}. */
export interface ImportRecordsOptions {
  /** Records per chunk (default 5,000). */
  readonly chunkSize?: number
  /**
   * The caller checked, in the same unit of work, that every reference of the records names a
   * record of the account: no read per chunk (see `WriteOptions.referencesChecked`).
   */
  readonly referencesChecked?: boolean
}

/**
 * Inserts new records of one model, read from `records` (any iterable: a generator streams), in one
 * unit of work, all or nothing: chunks of `chunkSize` records are validated and encoded by the
 * {@link ImportEncoder} (a worker thread with `ImportWorkers.layer` from `@iaso/core/node`) while
 * the chunk before is written. References are checked per chunk as `insertMany` checks them: a
 * reference to a record of a later chunk is refused (write parents first). Fails with the first
 * refused record in input order: a `ValidationError` whose paths start with the record's index,
 * `NotFound` for a reference, `AlreadyExists` for a taken key. Answers how many records were written.
 */
export const importRecords = <M extends AnyModel>(
  model: M,
  accountId: string,
  records: Iterable<unknown>,
  options: ImportRecordsOptions = {}
): Effect.Effect<number, WriteError | StorageError, Repos> =>
  Effect.gen(function* () {
    const repos = yield* Repos
    const size = Math.max(1, options.chunkSize ?? 5000)
    return yield* repos.driver.transaction(
      Effect.scoped(
        Effect.gen(function* () {
          const writer = yield* chunkWriter(model, accountId, {
            indexPaths: true,
            ...(options.referencesChecked === true
              ? {}
              : {
                  checkReferences: (rows: ReadonlyArray<Row>) =>
                    Effect.flatMap(repos.checkReferences(model, accountId, rows, new Set(rows.map((row) => String(row["id"])))), (failures) => {
                      const first = [...failures.entries()].sort(([a], [b]) => a - b)[0]
                      return first === undefined ? Effect.void : Effect.fail(first[1])
                    })
                })
          })
          let chunk: Array<unknown> = []
          for (const record of records) {
            chunk.push(record)
            if (chunk.length >= size) {
              yield* writer.push(chunk)
              chunk = []
            }
          }
          yield* writer.push(chunk)
          return yield* writer.finish
        })
      )
    )
  })
