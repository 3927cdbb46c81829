/**
 * Per-account sequences: where an IASO rule needs a number made of digits from the row's integer
 * id (a submission's correlation id), the SDK, whose ids are UUIDs, takes the next value of a
 * named counter kept per account instead. A counter is one record advanced inside the caller's
 * transaction by the store's atomic `increment`, so two writers never get the same value and
 * neither fails: the second waits for the first's unit of work to end.
 * @module
 */
import { Effect, Schema } from "effect"
import { narrowErrors, orDieOnInvalidListing } from "../kernel/expect.ts"
import { entityId } from "../shared/ids.ts"
import { StorageError } from "../shared/errors.ts"
import { defineModel } from "../shared/model.ts"
import { type Repositories, scopeOf } from "../shared/repository.ts"
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
 * The ids of counter records seen, by store, account and name: a counter is never re-created under
 * another id while its account lives, so a known id saves the lookup (a missing one is looked up again).
 */
const counterIds = new WeakMap<object, Map<string, string>>()

/**
 * Advances the account's counter `name` by `count` (at least 1) and answers the first of the
 * `count` values handed out (they follow each other: `first`, `first + 1`...). Call it inside the
 * unit of work that uses the values, so a rollback gives them back. One atomic increment of the
 * counter record (the store's `increment`: concurrent writers wait for each other's row, none
 * fails), after a lookup of the record by name the first time a process meets it; a new counter is
 * inserted (a concurrent insert of the same counter is a retryable StorageError). Call it as late
 * in the unit of work as possible: the counter's row is held until the unit of work ends.
 */
export const reserveSequenceValues = (repos: Repositories, accountId: string, name: string, count: number): Effect.Effect<number, StorageError> =>
  Effect.gen(function* () {
    if (!Number.isSafeInteger(count) || count < 1)
      return yield* Effect.die(new RangeError(`reserveSequenceValues: count must be a positive integer, got ${count}`))
    const driver = repos.driver
    let known = counterIds.get(driver)
    if (known === undefined) {
      known = new Map()
      counterIds.set(driver, known)
    }
    const key = `${accountId}\u0000${name}`
    const scope = scopeOf(AccountSequenceModel, accountId)
    const at = (yield* now).getTime()
    const cached = known.get(key)
    if (cached !== undefined) {
      const value = yield* driver.increment(AccountSequenceModel, scope, cached, "value", count, at)
      if (value !== undefined) return value - count + 1
      known.delete(key)
    }
    const page = yield* repos
      .list(AccountSequenceModel, accountId, { where: [{ field: "name", op: "eq", value: name }], limit: 1, select: ["name"] })
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
    const value = yield* driver.increment(AccountSequenceModel, scope, current.id, "value", count, at)
    // Deleted since the lookup (its account removed meanwhile): the unit of work runs again.
    if (value === undefined) return yield* raced(name)
    known.set(key, current.id)
    return value - count + 1
  })
