/**
 * The flags several commands share: where (`--db`, `--schema`, `--account`), how to answer (`--json`), which
 * source version (`--source-version`) and where files go (`--files`).
 * @module
 */
import { Option } from "effect"
import { Flag } from "effect/cli"
import { defaultFilesDirectory } from "./session.ts"

/** The SQLite file used when `--db` is not given. */
export const DEFAULT_DB = "iaso.sqlite"
/** The account used when `--account` is not given. */
export const DEFAULT_ACCOUNT = "default"

/** `--db`, `--schema`, `--account` and `--json`: every command takes them. */
export const commonFlags = {
  db: Flag.String("db").pipe(
    Flag.withMetavar("PATH|URL"),
    Flag.withDescription(`The database: a SQLite file (created by the commands that write) or a postgres:// connection URL (default ${DEFAULT_DB})`),
    Flag.withDefault(DEFAULT_DB)
  ),
  account: Flag.String("account").pipe(
    Flag.withMetavar("NAME"),
    Flag.withDescription(`The account to act for, set up on first use by the commands that write (default "${DEFAULT_ACCOUNT}")`),
    Flag.withDefault(DEFAULT_ACCOUNT)
  ),
  schema: Flag.String("schema").pipe(
    Flag.withMetavar("NAME"),
    Flag.withDescription(
      "With a postgres:// --db: the PostgreSQL schema holding the SDK's tables (created when missing; default: the connection's current schema)"
    ),
    Flag.optional
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("Print the result (or the error) as one JSON document on standard output, and no progress bar"),
    Flag.withDefault(false)
  )
} as const

/** `--source-version N`: a version of the account's default data source (default: the account's default version). */
export const sourceVersionFlag = (what: string) =>
  Flag.Int("source-version").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription(`The number of the source version ${what} (default: the account's default version)`),
    Flag.optional
  )

/** `--files DIR`: where attachments and imported files are kept. */
export const filesFlag = Flag.String("files").pipe(
  Flag.withMetavar("DIR"),
  Flag.withDescription("Where imported files and attachments are kept (default: <db>.files beside a SQLite file, iaso.files for PostgreSQL)"),
  Flag.optional
)

/** The folder `--files` names, else the default for the database. */
export const filesDirectory = (db: string, files: Option.Option<string>): string => Option.getOrElse(files, () => defaultFilesDirectory(db))

/** `--valid`: imported units are `VALID` (default `NEW`). */
export const validFlag = Flag.Boolean("valid").pipe(Flag.withDescription("Import the units as VALID (default: NEW)"), Flag.withDefault(false))

/** `--description TEXT`: the description of a source version the import creates. */
export const descriptionFlag = Flag.String("description").pipe(
  Flag.withMetavar("TEXT"),
  Flag.withDescription("Description of the source version, when the import creates it"),
  Flag.optional
)
