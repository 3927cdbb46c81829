/**
 * The audit trail: every service that changes a record writes who changed it, from where, and its
 * public encoding before and after, in the same transaction as the change.
 * @module
 */
import { Effect } from "effect"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { StorageError, ValidationError } from "../shared/errors.ts"
import type { AnyModel } from "../shared/model.ts"
import { encodedRowOf } from "../shared/record-codec.ts"
import { codecOf, type Repositories } from "../shared/repository.ts"
import type { Actor } from "../tenancy/actor.ts"

/**
 * The public encoding of a record (secrets removed), as audit entries keep it. A record just
 * written (the very object the repositories answered) is not validated and encoded again: the
 * row it was stored as is read instead.
 */
export const publicEncoding = (model: AnyModel, record: unknown): Record<string, unknown> => {
  const row = encodedRowOf(model, record) ?? codecOf(model).toRow(record)
  if (row instanceof ValidationError) return {}
  const out: Record<string, unknown> = {}
  const fields = model.schema.fields as Record<string, unknown>
  const secret: ReadonlyArray<string> = model.secret
  for (const key in row) if (Object.hasOwn(row, key) && key in fields && (secret.length === 0 || !secret.includes(key))) out[key] = row[key]
  return out
}

/** Records audit entries for changes made by the current actor. */
export const audit = (
  repos: Repositories,
  actor: Actor,
  source: string,
  model: AnyModel,
  changes: ReadonlyArray<{ readonly id: string; readonly before?: unknown; readonly after?: unknown }>
): Effect.Effect<void, StorageError> => {
  if (changes.length === 0 || model === AuditEntryModel) return Effect.void
  const entries = changes.map((change) => ({
    objectModel: model.name,
    objectId: change.id,
    source,
    ...(actor.userId === undefined ? {} : { userId: actor.userId }),
    ...(change.before === undefined ? {} : { before: publicEncoding(model, change.before) }),
    ...(change.after === undefined ? {} : { after: publicEncoding(model, change.after) })
  }))
  return Effect.flatMap(repos.insertMany(AuditEntryModel, actor.accountId, entries, { atomic: true }), () => Effect.void).pipe(
    Effect.catch((error) =>
      error._tag === "StorageError"
        ? Effect.fail(error)
        : Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: `audit entry refused: ${error.message}` }))
    )
  )
}
