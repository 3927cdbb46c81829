/**
 * `@iaso/core/node`: what core offers that needs Node.js. Kept out of the main entry, which must
 * bundle for browsers.
 *
 * {@link FileBlobStore}: a {@link BlobStore} on the file system. Blobs are content-addressed:
 * `sha256/<hex>` is stored at `<directory>/sha256/<first 2 hex digits>/<hex>`. A put writes a
 * temporary file in the same directory, flushes it to disk, then renames it into place, so a
 * reader (or a crash) never sees a partial blob; putting bytes that are already stored writes
 * nothing. Keys that are not content addresses are never turned into paths.
 * @module @iaso/core/node
 */
import { randomBytes } from "node:crypto"
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { type BlobRef, BlobStore, sha256Hex } from "./shared/blob.ts"
import { NotFound, StorageError } from "./shared/errors.ts"
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
