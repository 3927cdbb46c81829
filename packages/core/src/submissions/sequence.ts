/**
 * Per-account sequences: where an IASO rule needs a number made of digits from the row's integer
 * id (a submission's correlation id), the SDK, whose ids are UUIDs, takes the next value of a
 * named counter kept per account instead. A counter is one record advanced inside the caller's
 * transaction with an optimistic version check, so two writers never get the same value: the
 * loser of a race fails with a retryable `StorageError` and its whole unit of work rolls back.
 * @module
 */
import { Effect, Schema } from "effect"
import { narrowErrors, orDieOnInvalidListing } from "../kernel/expect.ts"
import { entityId } from "../shared/ids.ts"
import { StorageError, ValidationError } from "../shared/errors.ts"
import { defineModel } from "../shared/model.ts"
import { codecOf, type Repositories, scopeOf } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { NonBlankTextMax } from "../shared/text.ts"

/** Id of an {@link AccountSequence}. */
export const AccountSequenceId = entityId("AccountSequenceId")
export type AccountSequenceId = typeof AccountSequenceId.Type

/** The AccountSequence model declaration (not in IASO: it stands in for IASO's integer row ids). */
export const AccountSequenceModel = defineModel({
  name: "AccountSequence",
  id: AccountSequenceId,
  scope: "account",
  fields: {
    /** What the counter numbers, e.g. `instance.correlation`; unique in the account. */
    name: NonBlankTextMax(100),
    /** The last value handed out (values start at 1). */
    value: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }))
  },
  indexes: [{ name: "account_sequence_name_unique", fields: ["accountId", "name"], unique: true }],
  access: { read: [], write: [] },
  managedBy: "services (a counter is advanced by the service that numbers records)"
})
/** A per-account counter record. */
export const AccountSequence = AccountSequenceModel.schema
export type AccountSequence = typeof AccountSequence.Type

const raced = (name: string) =>
  new StorageError({
    reason: "serialization",
    retryable: true,
    message: `another writer advanced the counter ${name} at the same time: run the unit of work again`
  })

/**
 * The next value of the account's counter `name` (1 for a new counter). Call it inside the unit
 * of work that uses the value, so a rollback gives the value back.
 */
export const nextSequenceValue = (repos: Repositories, accountId: string, name: string): Effect.Effect<number, StorageError> =>
  reserveSequenceValues(repos, accountId, name, 1)

/**
 * Advances the account's counter `name` by `count` (at least 1) in one write and answers the first
 * of the `count` values handed out (they follow each other: `first`, `first + 1`...). Call it
 * inside the unit of work that uses the values, so a rollback gives them back. Two round trips:
 * the counter is read, then written with an optimistic version check (no second read).
 */
export const reserveSequenceValues = (repos: Repositories, accountId: string, name: string, count: number): Effect.Effect<number, StorageError> =>
  Effect.gen(function* () {
    if (!Number.isSafeInteger(count) || count < 1)
      return yield* Effect.die(new RangeError(`reserveSequenceValues: count must be a positive integer, got ${count}`))
    const page = yield* repos
      .list(AccountSequenceModel, accountId, { where: [{ field: "name", op: "eq", value: name }], limit: 1 })
      .pipe(orDieOnInvalidListing(AccountSequenceModel))
    const current = page.items[0]
    if (current === undefined) {
      yield* narrowErrors(
        repos.insert(AccountSequenceModel, accountId, { name, value: count }).pipe(Effect.catchTag("AlreadyExists", () => Effect.fail(raced(name)))),
        ["NotFound", "VersionConflict", "ValidationError", "Conflict"],
        `the new counter ${name}, which references nothing, was refused`
      )
      return 1
    }
    const first = current.value + 1
    // The record just read, advanced and written with the version check `repos.update` makes
    // (a counter has no references to check): a concurrent writer's advance is a stale version.
    const row = codecOf(AccountSequenceModel).toRow({ ...current, value: current.value + count, version: current.version + 1, updatedAt: yield* now })
    if (row instanceof ValidationError) return yield* Effect.die(row)
    const [outcome] = yield* repos.driver.write(AccountSequenceModel, scopeOf(AccountSequenceModel, accountId), [
      { kind: "update", row, expectedVersion: current.version }
    ])
    if (outcome === undefined || outcome._tag === "Missing" || outcome._tag === "StaleVersion") return yield* raced(name)
    if (outcome._tag === "Duplicate") return yield* Effect.die(new Error(`the counter ${name} met a unique constraint (${outcome.constraint})`))
    return first
  })
