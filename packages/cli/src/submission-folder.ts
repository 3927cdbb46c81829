/**
 * Reading a folder of ODK submissions as devices leave them (ODK Collect's `instances/` folder,
 * an ODK Briefcase export): each sub-folder holds one submission's XML and its attachments (the
 * photos, audio... its answers name); an XML file directly in the folder is a submission without
 * attachments. Entries are taken in name order; hidden files (`.name`) are skipped.
 * @module
 */
import { readdir, readFile, stat } from "node:fs/promises"
import { extname, join } from "node:path"
import { type NotFound, type StorageError, type SubmissionAttachment, ValidationError } from "@iaso/core"
import { Effect } from "effect"
import { fileError } from "./files.ts"

/** One submission found in the folder. */
export interface FoundSubmission {
  /** The XML file's path. */
  readonly file: string
  readonly xml: Uint8Array
  readonly attachments: ReadonlyArray<SubmissionAttachment>
  /** When the XML file was last modified: the submission's creation time (the device wrote it then). */
  readonly modifiedAt: Date
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".mp3": "audio/mpeg",
  ".m4a": "audio/mp4",
  ".amr": "audio/amr",
  ".wav": "audio/wav",
  ".ogg": "audio/ogg",
  ".mp4": "video/mp4",
  ".3gp": "video/3gpp",
  ".pdf": "application/pdf",
  ".csv": "text/csv",
  ".txt": "text/plain",
  ".json": "application/json",
  ".geojson": "application/geo+json",
  ".xml": "text/xml"
}

/** The media type of an attachment, from its extension (`application/octet-stream` when unknown). */
export const mediaTypeOf = (name: string): string => MEDIA_TYPES[extname(name).toLowerCase()] ?? "application/octet-stream"

const isXml = (name: string) => extname(name).toLowerCase() === ".xml"

const bytesOf = async (path: string): Promise<Uint8Array> => {
  const buffer = await readFile(path)
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/** A failure of the scan: the folder's own problem (a `ValidationError`), or the file system's. */
class ScanProblem extends Error {
  readonly error: ValidationError
  constructor(error: ValidationError) {
    super(error.message)
    this.error = error
  }
}

/**
 * The submissions of `directory`. A sub-folder without exactly one XML file is a
 * `ValidationError` naming it; a missing folder is `NotFound`.
 */
export const readSubmissionFolder = (directory: string): Effect.Effect<ReadonlyArray<FoundSubmission>, ValidationError | NotFound | StorageError> =>
  Effect.tryPromise({
    try: async () => {
      const found: Array<FoundSubmission> = []
      const entries = (await readdir(directory, { withFileTypes: true }))
        .filter((entry) => !entry.name.startsWith("."))
        .sort((a, b) => (a.name < b.name ? -1 : 1))
      for (const entry of entries) {
        const path = join(directory, entry.name)
        if (entry.isFile() && isXml(entry.name)) {
          found.push({ file: path, xml: await bytesOf(path), attachments: [], modifiedAt: (await stat(path)).mtime })
        } else if (entry.isDirectory()) {
          const files = (await readdir(path, { withFileTypes: true }))
            .filter((file) => file.isFile() && !file.name.startsWith("."))
            .sort((a, b) => (a.name < b.name ? -1 : 1))
          const xmls = files.filter((file) => isXml(file.name))
          const [only] = xmls
          if (only === undefined || xmls.length > 1) {
            throw new ScanProblem(
              ValidationError.at([entry.name], `the folder ${path} holds ${xmls.length} XML files: a submission's folder holds its XML and its attachments`)
            )
          }
          const xmlPath = join(path, only.name)
          const attachments: Array<SubmissionAttachment> = []
          for (const file of files) {
            if (file === only) continue
            attachments.push({ name: file.name, bytes: await bytesOf(join(path, file.name)), mediaType: mediaTypeOf(file.name) })
          }
          found.push({ file: xmlPath, xml: await bytesOf(xmlPath), attachments, modifiedAt: (await stat(xmlPath)).mtime })
        }
      }
      return found
    },
    catch: (cause) => (cause instanceof ScanProblem ? cause.error : fileError(directory, "read", cause))
  })
