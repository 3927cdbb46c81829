/**
 * The files of a mobile bulk upload: a zip archive as the mobile app sends it, or the same layout
 * given as a map of paths to bytes. Both are read within {@link BulkUploadLimits}: the archive's
 * size and entry count are checked before anything is inflated, each entry's and all entries'
 * inflated size are bounded (see `shared/zip.ts`), and a path that could leave the upload's folder
 * (`..`, an absolute path, a drive letter, a backslash) is refused.
 * @module
 */
import { Result } from "effect"
import { ValidationError } from "../shared/errors.ts"
import { exceededLimit, listZipEntries, shown, type ZipLimits, zipEntryBytes } from "../shared/zip.ts"

/** Maxima (inclusive) for one bulk upload. */
export interface BulkUploadLimits extends ZipLimits {
  /** Bytes of the uploaded archive. */
  readonly maxUploadBytes: number
}

/**
 * The default limits of a bulk upload: a phone's unsent work (submissions, their photos) fits well
 * within them, and an archive over them is refused before its entries are inflated.
 */
export const BULK_UPLOAD_LIMITS: BulkUploadLimits = Object.freeze({
  maxUploadBytes: 256 * 1024 * 1024,
  maxZipEntries: 10_000,
  maxEntryBytes: 32 * 1024 * 1024,
  maxUncompressedBytes: 256 * 1024 * 1024
})

/**
 * A bulk upload's files: the zip archive's bytes, or its layout as paths (relative, `/`-separated:
 * `instances.json`, `<instance uuid>/<file name>`) to bytes.
 */
export type BulkUploadFiles = Uint8Array | ReadonlyMap<string, Uint8Array> | { readonly [path: string]: Uint8Array }

const KIND = "a mobile bulk upload"

/** Why a path is refused (one that could leave the upload's folder), or `undefined` when it is fine. */
const badPath = (path: string): string | undefined => {
  if (path.length === 0) return "an empty path"
  if (path.includes("\u0000")) return "a path holding U+0000"
  if (path.includes("\\")) return "a path with a backslash"
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "an absolute path"
  const segments = path.split("/")
  // A trailing `/` names a folder (an archive's directory entry).
  const inner = segments[segments.length - 1] === "" ? segments.slice(0, -1) : segments
  if (inner.some((segment) => segment === ".." || segment === "." || segment === "")) return "a path with an empty, `.` or `..` segment"
  return undefined
}

const refuse = (message: string): ValidationError => ValidationError.at(["files"], message)

/**
 * The files of a bulk upload by path (folders left out), read within `limits`, or a
 * `ValidationError` at `["files"]` saying what was refused.
 */
export const readBulkUpload = (
  input: BulkUploadFiles,
  limits: BulkUploadLimits = BULK_UPLOAD_LIMITS
): Result.Result<ReadonlyMap<string, Uint8Array>, ValidationError> => {
  const files = new Map<string, Uint8Array>()
  if (input instanceof Uint8Array) {
    if (input.length > limits.maxUploadBytes)
      return Result.fail(refuse(exceededLimit(`the archive is ${input.length} bytes`, limits, "maxUploadBytes", "bytes an upload may have")))
    const listed = listZipEntries(input, limits, KIND)
    if (Result.isFailure(listed)) return Result.fail(refuse(listed.failure))
    for (const name of listed.success.keys()) {
      const why = badPath(name)
      if (why !== undefined) return Result.fail(refuse(`not ${KIND} (the archive's entry ${JSON.stringify(shown(name))} is ${why})`))
    }
    const inflated = { used: 0 }
    for (const [name, entry] of listed.success) {
      if (name.endsWith("/")) continue
      const bytes = zipEntryBytes(input, entry, limits, inflated, KIND)
      if (Result.isFailure(bytes)) return Result.fail(refuse(bytes.failure))
      files.set(name, bytes.success)
    }
    return Result.succeed(files)
  }
  const entries: Array<readonly [string, unknown]> = input instanceof Map ? [...input.entries()] : Object.entries(input)
  if (entries.length > limits.maxZipEntries)
    return Result.fail(refuse(exceededLimit(`the upload holds ${entries.length} files`, limits, "maxZipEntries", "entries an archive may have")))
  let total = 0
  for (const [path, bytes] of entries) {
    const why = badPath(path)
    if (why !== undefined) return Result.fail(refuse(`the file ${JSON.stringify(shown(path))} is ${why}`))
    if (!(bytes instanceof Uint8Array)) return Result.fail(refuse(`the file ${JSON.stringify(shown(path))} is not bytes (a Uint8Array)`))
    if (bytes.length > limits.maxEntryBytes)
      return Result.fail(refuse(exceededLimit(`the file ${shown(path)} is ${bytes.length} bytes`, limits, "maxEntryBytes", "bytes an entry may have")))
    total += bytes.length
    if (total > limits.maxUncompressedBytes)
      return Result.fail(refuse(exceededLimit(`the files hold at least ${total} bytes`, limits, "maxUncompressedBytes", "bytes an archive may inflate to")))
    if (!path.endsWith("/")) files.set(path, bytes)
  }
  return Result.succeed(files)
}

/** The media type of an attachment from its file name's extension (IASO's categories), `application/octet-stream` otherwise. */
export const mediaTypeOf = (name: string): string => {
  const dot = name.lastIndexOf(".")
  const extension = dot === -1 ? "" : name.slice(dot + 1).toLowerCase()
  return MEDIA_TYPES.get(extension) ?? "application/octet-stream"
}

const MEDIA_TYPES: ReadonlyMap<string, string> = new Map([
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["png", "image/png"],
  ["gif", "image/gif"],
  ["bmp", "image/bmp"],
  ["tif", "image/tiff"],
  ["tiff", "image/tiff"],
  ["webp", "image/webp"],
  ["mp4", "video/mp4"],
  ["mov", "video/quicktime"],
  ["pdf", "application/pdf"],
  ["doc", "application/msword"],
  ["docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
  ["xls", "application/vnd.ms-excel"],
  ["xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
  ["csv", "text/csv"],
  ["txt", "text/plain"]
])
