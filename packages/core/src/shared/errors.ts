/**
 * The closed list of errors every service and adapter answers with. Nothing else crosses the API:
 * decoding failures become {@link ValidationError}, driver failures {@link StorageError}.
 * @module
 */
import { Schema, SchemaIssue } from "effect"

/** One problem found in an input: where (path of keys and indexes) and which rule it broke. */
export const ValidationIssue = Schema.Struct({
  path: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  message: Schema.String
})
export type ValidationIssue = typeof ValidationIssue.Type

/** The record asked for does not exist, or belongs to another account (never said which). */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  model: Schema.String,
  id: Schema.String,
  message: Schema.String
}) {
  /** `NotFound` for `model` and `id` with the standard message. */
  static of(model: string, id: string): NotFound {
    return new NotFound({ model, id, message: `${model} ${id} not found` })
  }
}

/** A record with the same identity or the same unique key already exists. */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", {
  model: Schema.String,
  /** The unique constraint that refused the write (`id` for the primary key). */
  constraint: Schema.String,
  message: Schema.String
}) {}

/** An optimistic write named a version that is no longer the stored one. */
export class VersionConflict extends Schema.TaggedError<VersionConflict>()("VersionConflict", {
  model: Schema.String,
  id: Schema.String,
  expected: Schema.Number,
  actual: Schema.Number,
  message: Schema.String
}) {}

/** Same identity, different content (e.g. a re-sent submission that changed), or a rule refusing a state change. */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  model: Schema.String,
  id: Schema.String,
  message: Schema.String
}) {}

/** Input refused: each issue names the path and the rule. */
export class ValidationError extends Schema.TaggedError<ValidationError>()("ValidationError", {
  message: Schema.String,
  issues: Schema.Array(ValidationIssue)
}) {
  /** A one-issue error at `path`. */
  static at(path: ReadonlyArray<string | number>, message: string): ValidationError {
    const where = path.length === 0 ? "" : `\n  at ${JSON.stringify(path)}`
    return new ValidationError({ message: `${message}${where}`, issues: [{ path: [...path], message }] })
  }
  /** Converts a Schema decoding failure, keeping every issue with its path. */
  static fromSchemaError(error: Schema.SchemaError, prefix: ReadonlyArray<string | number> = []): ValidationError {
    const standard = SchemaIssue.makeFormatterStandardSchemaV1()(error.issue)
    const issues = standard.issues.map((issue) => ({
      path: [...prefix, ...(issue.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p))].map((key) =>
        typeof key === "number" ? key : String(key)
      ),
      message: issue.message
    }))
    const message = issues.map((issue) => (issue.path.length === 0 ? issue.message : `${issue.message}\n  at ${JSON.stringify(issue.path)}`)).join("\n")
    return new ValidationError({ message, issues })
  }
}

/** The actor lacks a permission, or a rule of access (org-unit roots, editable types) refuses the action. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  /** The permission codename that was missing, when one was. */
  permission: Schema.optionalKey(Schema.String),
  message: Schema.String
}) {}

/** The store or the operation cannot do what was asked (e.g. a capability it does not have). */
export class Unsupported extends Schema.TaggedError<Unsupported>()("Unsupported", {
  message: Schema.String
}) {}

/** Why a storage operation failed. */
export const StorageErrorReason = Schema.Literals(["unavailable", "timeout", "constraint", "serialization", "corrupt", "unknown"])
export type StorageErrorReason = typeof StorageErrorReason.Type

/** A storage failure, classified; `retryable` says whether running the unit of work again may succeed. */
export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  reason: StorageErrorReason,
  retryable: Schema.Boolean,
  message: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {}

/**
 * A long operation (an import, an export, a version copy, `ingestMany`) stopped because its
 * `AbortSignal` was aborted: the transaction under way rolled back, so storage is as it was before
 * it (for `ingestMany`, as it was after the last chunk that committed). `cause` is the signal's
 * `reason` (by default a `DOMException` named `AbortError`). The Promise API rejects with it too.
 */
export class Interrupted extends Schema.TaggedError<Interrupted>()("Interrupted", {
  /** The operation stopped: `"import"`, `"export"`, `"copy"`, `"ingest"`... */
  operation: Schema.String,
  message: Schema.String,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  /** The error of `operation` stopped by `signal` (its `reason` as the cause). */
  static of(operation: string, signal?: AbortSignal): Interrupted {
    const reason: unknown = signal?.reason
    return new Interrupted({ operation, message: `${operation} aborted`, ...(reason === undefined ? {} : { cause: reason }) })
  }
}

/** Every error the SDK answers with. */
export type IasoError = NotFound | AlreadyExists | VersionConflict | Conflict | ValidationError | Forbidden | Unsupported | StorageError | Interrupted
