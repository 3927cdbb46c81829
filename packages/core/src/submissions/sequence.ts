/**
 * Per-account sequences: where an IASO rule needs a number made of digits from the row's integer
 * id (a submission's correlation id), the SDK, whose ids are UUIDs, takes the next value of a
 * named counter kept per account instead. A counter is one record advanced inside the caller's
 * transaction with an optimistic version check, so two writers never get the same value: the
 * loser of a race fails with a retryable `StorageError` and its whole unit of work rolls back.
 * @module
 */
import { Effect, Schema } from "effect"
import { entityId } from "../shared/ids.ts"
import { StorageError } from "../shared/errors.ts"
import { defineModel } from "../shared/model.ts"
import type { Repositories } from "../shared/repository.ts"
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
  new StorageError({ reason: "serialization", retryable: true, message: `another writer advanced the counter ${name} at the same time: run the unit of work again` })

/**
 * The next value of the account's counter `name` (1 for a new counter). Call it inside the unit
 * of work that uses the value, so a rollback gives the value back.
 */
export const nextSequenceValue = (repos: Repositories, accountId: string, name: string): Effect.Effect<number, StorageError> =>
  Effect.gen(function* () {
    const page = yield* repos
      .list(AccountSequenceModel, accountId, { where: [{ field: "name", op: "eq", value: name }], limit: 1 })
      .pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error)))
    const current = page.items[0]
    if (current === undefined || current.id === undefined || current.value === undefined || current.version === undefined) {
      yield* repos.insert(AccountSequenceModel, accountId, { name, value: 1 }).pipe(
        Effect.catchTags({
          AlreadyExists: () => Effect.fail(raced(name)),
          NotFound: (error) => Effect.die(error),
          VersionConflict: (error) => Effect.die(error),
          ValidationError: (error) => Effect.die(error),
          Conflict: (error) => Effect.die(error)
        })
      )
      return 1
    }
    const value = current.value + 1
    yield* repos.update(AccountSequenceModel, accountId, current.id, { value }, { expectedVersion: current.version }).pipe(
      Effect.catchTags({
        VersionConflict: () => Effect.fail(raced(name)),
        NotFound: () => Effect.fail(raced(name)),
        AlreadyExists: (error) => Effect.die(error),
        ValidationError: (error) => Effect.die(error),
        Conflict: (error) => Effect.die(error)
      })
    )
    return value
  })
