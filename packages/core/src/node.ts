/**
 * `@iaso/core/node`: what core offers that needs Node.js. Kept out of the main entry, which must
 * bundle for browsers.
 *
 * {@link FileBlobStore}: a {@link BlobStore} on the file system. Blobs are content-addressed:
 * `sha256/<hex>` is stored at `<directory>/sha256/<first 2 hex digits>/<hex>`. A put writes a
 * temporary file in the same directory, flushes it to disk, then renames it into place, so a
 * reader (or a crash) never sees a partial blob; putting bytes that are already stored writes
 * nothing. Keys that are not content addresses are never turned into paths.
 *
 * {@link ImportWorkers}: imports (pyramid imports, `importRecords`) that validate and encode their
 * chunks of new records in worker threads while the calling thread writes the chunk before.
 * @module @iaso/core/node
 */
import { randomBytes } from "node:crypto"
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises"
import { join } from "node:path"
import { Worker } from "node:worker_threads"
import { Effect, Layer } from "effect"
import { type EncodedChunk, ImportEncoder } from "./registry/import-encoder.ts"
import type { WorkerAnswer, WorkerMessage, WorkerRequest } from "./registry/import-worker-protocol.ts"
import { type BlobRef, BlobStore, sha256Hex } from "./shared/blob.ts"
import { NotFound, StorageError, ValidationError } from "./shared/errors.ts"
import type { FixtureLoader } from "./testing/harness.ts"

const KEY = /^sha256\/([0-9a-f]{64})$/

const storageError = (action: string, cause: unknown): StorageError => {
  const code = (cause as { code?: unknown } | undefined)?.code
  const reason = code === "ENOSPC" || code === "EACCES" || code === "EROFS" || code === "EMFILE" ? "unavailable" : "unknown"
  return new StorageError({
    reason,
    retryable: code === "EMFILE" || code === "EBUSY" || code === "EAGAIN",
    message: `file blob store: ${action}: ${cause instanceof Error ? cause.message : String(cause)}`,
    cause
  })
}

const isMissing = (cause: unknown): boolean => (cause as { code?: unknown } | undefined)?.code === "ENOENT"

/** The file-system {@link BlobStore}. */
export const FileBlobStore = {
  /**
   * A {@link BlobStore} keeping blobs under `directory` (created when missing). Several processes
   * may share the directory: renames are atomic and identical content has one path.
   */
  layer: (options: { readonly directory: string }): Layer.Layer<BlobStore, StorageError> =>
    Layer.effect(
      BlobStore,
      Effect.gen(function* () {
        const root = options.directory
        yield* Effect.tryPromise({ try: () => mkdir(join(root, "sha256"), { recursive: true }), catch: (cause) => storageError(`creating ${root}`, cause) })
        const pathOf = (hex: string) => join(root, "sha256", hex.slice(0, 2), hex)
        const exists = (path: string) =>
          Effect.tryPromise({
            try: () =>
              stat(path).then(
                () => true,
                (cause: unknown) => {
                  if (isMissing(cause)) return false
                  throw cause
                }
              ),
            catch: (cause) => storageError(`reading ${path}`, cause)
          })
        return BlobStore.of({
          put: (bytes, putOptions) =>
            Effect.gen(function* () {
              const sha256 = yield* sha256Hex(bytes)
              const path = pathOf(sha256)
              if (!(yield* exists(path))) {
                yield* Effect.tryPromise({
                  try: async () => {
                    const directory = join(root, "sha256", sha256.slice(0, 2))
                    await mkdir(directory, { recursive: true })
                    const temporary = join(directory, `.${sha256}.${randomBytes(6).toString("hex")}.tmp`)
                    const handle = await open(temporary, "wx")
                    try {
                      await handle.writeFile(bytes)
                      await handle.sync()
                    } finally {
                      await handle.close()
                    }
                    try {
                      await rename(temporary, path)
                    } catch (cause) {
                      await rm(temporary, { force: true })
                      throw cause
                    }
                  },
                  catch: (cause) => storageError(`writing ${path}`, cause)
                })
              }
              const ref: BlobRef = { key: `sha256/${sha256}`, size: bytes.byteLength, sha256, mediaType: putOptions.mediaType }
              return putOptions.fileName === undefined ? ref : { ...ref, fileName: putOptions.fileName }
            }),
          get: (key) => {
            const match = KEY.exec(key)
            if (match === null || match[1] === undefined) return Effect.fail(NotFound.of("Blob", key))
            const path = pathOf(match[1])
            return Effect.tryPromise({
              try: () => readFile(path).then((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)),
              catch: (cause) => (isMissing(cause) ? NotFound.of("Blob", key) : storageError(`reading ${path}`, cause))
            })
          },
          has: (key) => {
            const match = KEY.exec(key)
            return match === null || match[1] === undefined ? Effect.succeed(false) : exists(pathOf(match[1]))
          },
          remove: (key) => {
            const match = KEY.exec(key)
            if (match === null || match[1] === undefined) return Effect.void
            const path = pathOf(match[1])
            return Effect.tryPromise({ try: () => rm(path, { force: true }), catch: (cause) => storageError(`removing ${path}`, cause) })
          }
        })
      })
    )
}

/**
 * The conformance suite's fixture loader on the file system: `read(path)` gives the bytes of
 * `directory/path`, or `undefined` when the file does not exist. `required` (e.g. under CI) makes
 * the suite fail instead of skipping a scenario whose file is missing.
 */
export const fileFixtureLoader = (directory: string, options: { readonly required?: boolean } = {}): FixtureLoader => ({
  read: async (path) => {
    try {
      return new Uint8Array(await readFile(join(directory, path)))
    } catch (error) {
      if ((error as { readonly code?: unknown }).code === "ENOENT") return undefined
      throw error
    }
  },
  required: options.required ?? false
})

/** Options of {@link ImportWorkers.layer}. */
export interface ImportWorkersOptions {
  /** Worker threads (default 1: with the calling thread writing, two cores work). */
  readonly threads?: number
}

/** The worker script, beside this module (`.ts` when run from source, `.js` once built). */
const workerUrl = (): URL =>
  new URL(import.meta.url.endsWith(".ts") ? "./registry/import-worker-thread.ts" : "./registry/import-worker-thread.js", import.meta.url)

const lost = (message: string, cause?: unknown): StorageError =>
  new StorageError({ reason: "unavailable", retryable: false, message: `import worker: ${message}`, ...(cause === undefined ? {} : { cause }) })

/** One worker thread and the answers it owes. */
const startWorker = () => {
  const worker = new Worker(workerUrl())
  const waiting = new Map<number, { readonly resolve: (answer: WorkerAnswer) => void; readonly reject: (error: unknown) => void }>()
  let failure: unknown
  let loaded: { readonly resolve: () => void; readonly reject: (error: unknown) => void } | undefined
  /** Settles once the thread has loaded its modules (or failed to). */
  const ready = new Promise<void>((resolve, reject) => {
    loaded = { resolve, reject }
  })
  const failAll = (error: unknown) => {
    failure ??= error
    loaded?.reject(error)
    for (const entry of waiting.values()) entry.reject(error)
    waiting.clear()
  }
  // An idle worker does not keep the process alive; one that owes answers does.
  worker.on("message", (message: WorkerMessage) => {
    if (message._tag === "Ready") {
      loaded?.resolve()
      if (waiting.size === 0) worker.unref()
      return
    }
    const answer = message
    const entry = waiting.get(answer.id)
    waiting.delete(answer.id)
    if (waiting.size === 0) worker.unref()
    entry?.resolve(answer)
  })
  worker.on("error", failAll)
  worker.on("exit", (code) => failAll(new Error(`the worker exited with code ${code}`)))
  return {
    worker,
    ready,
    ask: (request: WorkerRequest): Promise<WorkerAnswer> =>
      failure !== undefined
        ? Promise.reject(failure)
        : new Promise((resolve, reject) => {
            if (waiting.size === 0) worker.ref()
            waiting.set(request.id, { resolve, reject })
            worker.postMessage(request)
          })
  }
}

/**
 * Worker threads for imports (Node only): with this layer, the {@link ImportEncoder} that pyramid
 * imports (GeoPackage, GeoJSON, DHIS2, parsed pyramids) and `importRecords` use validates and
 * encodes each chunk of new records in a worker thread, while the calling thread writes the chunk
 * before it. The stored rows and the errors are those of the default in-thread encoder (the first
 * refused record in input order is the one reported). The workers stop when the layer's scope
 * closes; the layer is built once they have loaded their modules. Provide it beside the store: `Layer.mergeAll(SqliteStore.layer(...), ImportWorkers.layer())`.
 */
export const ImportWorkers = {
  layer: (options: ImportWorkersOptions = {}): Layer.Layer<never, StorageError> =>
    Layer.effect(
      ImportEncoder,
      Effect.gen(function* () {
        const count = Math.max(1, Math.floor(options.threads ?? 1))
        const workers = yield* Effect.acquireRelease(
          Effect.try({ try: () => Array.from({ length: count }, startWorker), catch: (cause) => lost(`cannot start: ${String(cause)}`, cause) }),
          (started) => Effect.promise(() => Promise.all(started.map(({ worker }) => worker.terminate())))
        )
        // The threads load their modules before the layer is built, not during a first import.
        yield* Effect.tryPromise({
          try: () => Promise.all(workers.map((started) => started.ready)),
          catch: (cause) => lost(`cannot start: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
        })
        let next = 0
        return {
          kind: "worker" as const,
          encode: (_model, request) =>
            Effect.flatMap(
              Effect.tryPromise({
                try: () => {
                  const id = next++
                  const worker = workers[id % workers.length] ?? workers[0]
                  return worker === undefined ? Promise.reject(new Error("no worker")) : worker.ask({ id, request })
                },
                catch: (cause) => lost(cause instanceof Error ? cause.message : String(cause), cause)
              }),
              (answer): Effect.Effect<EncodedChunk, StorageError> => {
                switch (answer._tag) {
                  case "Encoded":
                    return Effect.succeed({
                      _tag: "Encoded",
                      rows: answer.rows,
                      made: answer.made,
                      ...(answer.values === undefined ? {} : { values: answer.values }),
                      ...(answer.encoded === undefined ? {} : { encoded: answer.encoded })
                    })
                  case "Refused":
                    return Effect.succeed({
                      _tag: "Refused",
                      index: answer.index,
                      error: new ValidationError({ message: answer.message, issues: answer.issues })
                    })
                  case "Lost":
                    return Effect.fail(lost(answer.message))
                }
              }
            )
        }
      })
    )
}
