/**
 * The command's own files: input files read whole (a missing one is `NotFound`, an unreadable
 * one a `StorageError`), JSON inputs parsed (bad JSON is a `ValidationError`), outputs written
 * whole through a temporary file renamed into place, so an interrupted or failed export never
 * leaves a partial file.
 * @module
 */
import { randomBytes } from "node:crypto"
import { readFile, rename, rm, writeFile } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { NotFound, StorageError, ValidationError } from "@iaso/core"
import { Effect } from "effect"

const codeOf = (cause: unknown): unknown => (typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined)

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/**
 * A failure of the file system on `path` as the SDK's errors: a missing file is `NotFound`, a
 * folder where a file is expected (or the reverse) a `ValidationError`, anything else a `StorageError`.
 */
export const fileError = (path: string, action: string, cause: unknown): NotFound | ValidationError | StorageError => {
  const code = codeOf(cause)
  if (code === "ENOENT") return new NotFound({ model: "File", id: path, message: `no such file or directory: ${path}` })
  if (code === "EISDIR") return ValidationError.at([], `${path} is a directory, not a file`)
  if (code === "ENOTDIR") return ValidationError.at([], `${path} is not a directory`)
  return new StorageError({ reason: "unavailable", retryable: false, message: `cannot ${action} ${path}: ${messageOf(cause)}`, cause })
}

/** The bytes of a file. */
export const readBytes = (path: string): Effect.Effect<Uint8Array, NotFound | ValidationError | StorageError> =>
  Effect.tryPromise({
    try: async () => {
      const buffer = await readFile(path)
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    },
    catch: (cause) => fileError(path, "read", cause)
  })

/** A JSON file, parsed. */
export const readJson = (path: string): Effect.Effect<unknown, NotFound | StorageError | ValidationError> =>
  Effect.flatMap(readBytes(path), (bytes) =>
    Effect.try({
      try: (): unknown => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)),
      catch: (cause) => ValidationError.at([], `${path} is not a JSON file: ${messageOf(cause)}`)
    })
  )

/** Writes `bytes` to `path` whole: into a temporary file beside it, then renamed into place. */
export const writeWhole = (path: string, bytes: Uint8Array | string): Effect.Effect<void, NotFound | ValidationError | StorageError> => {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`)
  return Effect.tryPromise({
    try: async () => {
      try {
        await writeFile(temporary, bytes, { flag: "wx" })
        await rename(temporary, path)
      } catch (cause) {
        await rm(temporary, { force: true })
        throw cause
      }
    },
    catch: (cause) => fileError(path, "write", cause)
  })
}
