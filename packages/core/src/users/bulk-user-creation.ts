/**
 * {@link BulkUserCreation}: many users at once from IASO's bulk creation file, a CSV (16 columns,
 * `,`, `;` or `|`) or an `.xlsx` workbook (its first sheet), all or nothing. Every row is checked first, each failure reported with IASO's row
 * number, column and wording; only a clean file creates anything, in one transaction: the users
 * (password hashed, see `hashPassword`), their profiles and links (org-unit roots, roles,
 * projects, teams, editable org-unit types), the kept file with its passwords masked as a
 * `BulkCreateUserCsvFile` (bytes in the {@link BlobStore}) with the defaults and their links, and
 * audit entries.
 *
 * Differences from IASO, on purpose:
 * - The caller names the format by the call (`createFromCsv`, `createFromXlsx`); IASO goes by the
 *   file's extension. The legacy `.xls` format is not read.
 * - Ids are UUIDs: an `orgunit`, `projects` or `editable_org_unit_types` item that is a UUID is an
 *   id, anything else a name (IASO: digit-only items are primary keys).
 * - A name or source ref matching several org units the importer sees is an error asking for the
 *   id (IASO takes whichever the database returns).
 * - A row with an email and no password gets no usable password; its user is listed in
 *   `invitations` for the host app to invite (IASO queues the invitation email itself).
 * - Password rules when the account enforces them: at least 8 characters, not entirely numeric,
 *   not containing the username (Django's common-password list is not shipped).
 * @module
 */
import { Context, Effect, Layer, Schema } from "effect"
import { lazyModule } from "../shared/lazy-module.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { BlobStore } from "../shared/blob.ts"
import type { OrgUnitId, ProjectId, TeamId, UserId, UserRoleId } from "../shared/entity-ids.ts"
import type { Forbidden } from "../shared/errors.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type { Permission } from "../tenancy/permissions.ts"
import type { Profile } from "../tenancy/users.ts"
import type { BulkCreateUserCsvFile } from "./bulk-create-user-csv-file.ts"
import type { PublicUser } from "./users-service.ts"

/** Largest file accepted, in bytes (limit `MAX_BULK_USER_FILE_BYTES`). */
export const MAX_BULK_USER_FILE_BYTES = 2 * 1024 * 1024
/** Most data rows accepted in one file (limit `MAX_BULK_USER_ROWS`): each password costs a PBKDF2 hash. */
export const MAX_BULK_USER_ROWS = 1_000
/** Most items in one multi-value cell (limit `MAX_BULK_USER_CELL_ITEMS`). */
export const MAX_BULK_USER_CELL_ITEMS = 100
/** The profile languages a file may give (IASO's `settings.LANGUAGES`). */
export const BULK_USER_LANGUAGES = ["fr", "en"] as const

/** One refused row: its 1-based number among the data rows, and the messages per column. */
export const BulkUserRowError = Schema.Struct({
  row: Schema.Int,
  details: Schema.Record(Schema.String, Schema.Array(Schema.String))
})
/** One refused row of a bulk user creation file. */
export type BulkUserRowError = typeof BulkUserRowError.Type

/**
 * A bulk user creation file refused: `general` holds file-wide problems (missing columns,
 * duplicated usernames, limits), `rows` the problems of each row. Nothing was created.
 */
export class BulkUserCreationError extends Schema.TaggedError<BulkUserCreationError>()("BulkUserCreationError", {
  message: Schema.String,
  general: Schema.Array(Schema.String),
  rows: Schema.Array(BulkUserRowError)
}) {}

/** Values used for rows that leave the column empty; kept on the `BulkCreateUserCsvFile`. */
export interface BulkUserDefaults {
  /** `fr` or `en`. */
  readonly language?: string
  readonly organization?: string
  readonly permissions?: ReadonlyArray<Permission>
  readonly projectIds?: ReadonlyArray<ProjectId>
  readonly userRoleIds?: ReadonlyArray<UserRoleId>
  /** Org units among those the importer sees. */
  readonly orgUnitIds?: ReadonlyArray<OrgUnitId>
  readonly teamIds?: ReadonlyArray<TeamId>
}

/** Options of {@link BulkUserCreation | BulkUserCreation.createFromCsv}. */
export interface BulkUserCreationOptions {
  /** The uploaded file's name, kept on the stored copy. */
  readonly fileName?: string
  readonly defaults?: BulkUserDefaults
}

/** What a bulk user creation made. */
export interface BulkUserCreationResult {
  /** The kept upload (passwords masked in the stored copy). */
  readonly file: BulkCreateUserCsvFile
  /** The users (without their password hash) and profiles, in file order. */
  readonly users: ReadonlyArray<{ readonly user: PublicUser; readonly profile: Profile }>
  /** Users given an email and no password (no usable password): the host app invites them. */
  readonly invitations: ReadonlyArray<UserId>
}

/** The failures of {@link BulkUserCreation | BulkUserCreation.createFromCsv}. */
export type BulkUserCreationFailure = BulkUserCreationError | Forbidden | ServiceWriteError

/**
 * Bulk user creation from IASO's CSV (see the module documentation for the rules). Needs
 * `iaso_users` or `iaso_users_managed`. Provided by `Iaso.layer`; on the Promise facade,
 * `iaso.as(actor).bulkUserCreation`. Its calls are listed under `Service`.
 */
export class BulkUserCreation extends Context.Service<
  BulkUserCreation,
  {
    /**
     * Checks every row of the file and, when none is refused, creates the users, profiles and links
     * and keeps the file, in one transaction; otherwise fails with {@link BulkUserCreationError}
     * listing every problem, nothing created.
     */
    readonly createFromCsv: (
      bytes: Uint8Array,
      options?: BulkUserCreationOptions
    ) => Effect.Effect<BulkUserCreationResult, BulkUserCreationFailure, CurrentActor | BlobStore>
    /**
     * The same from an `.xlsx` file (IASO accepts `.csv`, `.xlsx` and `.xls`): the first sheet,
     * its first row the header, the same 16 columns and rules; a multi-value cell is split on the
     * most frequent of `;`, `|` and `,` it holds. The kept copy is an `.xlsx` file with its
     * passwords masked. A file that is not a readable `.xlsx` one is a {@link BulkUserCreationError}.
     */
    readonly createFromXlsx: (
      bytes: Uint8Array,
      options?: BulkUserCreationOptions
    ) => Effect.Effect<BulkUserCreationResult, BulkUserCreationFailure, CurrentActor | BlobStore>
  }
>()("@iaso/core/BulkUserCreation") {
  static readonly layer = Layer.effect(
    BulkUserCreation,
    Effect.map(Effect.service(Repos), (repos) =>
      BulkUserCreation.of({
        createFromCsv: (bytes, options) => Effect.flatMap(bulkUserRun, (run) => run.createFromCsv(repos, bytes, options ?? {})),
        createFromXlsx: (bytes, options) => Effect.flatMap(bulkUserRun, (run) => run.createFromXlsx(repos, bytes, options ?? {}))
      })
    )
  )
}

/** The checks and writes of a bulk creation (`bulk-user-run.ts`), loaded when a first file comes. */
const bulkUserRun = lazyModule("the bulk user creation", () => import("./bulk-user-run.ts"))
