/**
 * What the `iaso` command's exit status says, and how a failure is classified into one.
 * @module
 */
import type { IasoError } from "@iaso/core"

/** The exit codes of `iaso`. */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** A bug of the command itself (an unexpected defect); the message says what happened. */
  internal: 1,
  /** The command line was wrong: an unknown command or flag, a missing argument, a bad value. */
  usage: 2,
  /** An input file (or a value in it) was refused: not a GeoPackage, bad JSON, a broken pyramid, an invalid XLSForm or submission. */
  invalidInput: 3,
  /** Something named does not exist: an input file or directory, the database file, the account, a source version, a form. */
  notFound: 4,
  /** The data refused the change: a conflict with what is stored (same id, other content), a read-only source, an unsupported operation. */
  refused: 5,
  /** The database (or an output file or the attachments folder) could not be opened, read or written. */
  storage: 6,
  /** Interrupted (Ctrl-C): the operation under way rolled back. */
  interrupted: 130
} as const

/** One of {@link ExitCode}'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** The exit code of an SDK error. */
export const exitCodeOf = (error: IasoError): ExitCode => {
  switch (error._tag) {
    case "ValidationError":
      return ExitCode.invalidInput
    case "NotFound":
      return ExitCode.notFound
    case "AlreadyExists":
    case "Conflict":
    case "VersionConflict":
    case "Forbidden":
    case "Unsupported":
      return ExitCode.refused
    case "StorageError":
      return ExitCode.storage
    case "Interrupted":
      return ExitCode.interrupted
  }
}
