/**
 * Per-account sequences: where an IASO rule needs a number made of digits from the row's integer
 * id (a submission's correlation id), the SDK, whose ids are UUIDs, takes the next value of a
 * named counter kept per account instead. A counter is one record advanced by the store's atomic
 * `increment`, so two writers never get the same value and neither fails.
 *
 * Where writers are serialised (SQLite, PGlite, memory, IndexedDB) a value is taken inside the
 * unit of work that uses it: a rollback gives it back, and values follow each other without gaps.
 * On a store with concurrent writers (PostgreSQL), holding the counter's row until the unit of
 * work commits would queue every writer of the account behind it: there, outside a transaction, a
 * process takes values in blocks ({@link SEQUENCE_BLOCK}) committed on their own and hands them out
 * from memory. Values stay unique per account and counter; they may leave gaps (a rolled-back unit
 * of work, a process that stops with part of a block) and, across processes, need not grow with
 * time, as IASO's integer ids from a database sequence do.
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

/** How many values of a counter a process takes at once on a store with concurrent writers. */
export const SEQUENCE_BLOCK = 16

/** Values taken in blocks and not handed out yet, by store, account and counter name. */
const blocks = new WeakMap<object, Map<string, Array<number>>>()

const valuesFrom = (first: number, count: number): Array<number> => Array.from({ length: count }, (_, k) => first + k)

/** What `state` keeps for one store (made on first use), by {@link counterKey}. */
const stateOf = <V>(state: WeakMap<object, Map<string, V>>, driver: object): Map<string, V> => {
  let known = state.get(driver)
  if (known === undefined) {
    known = new Map()
    state.set(driver, known)
  }
  return known
}

const counterKey = (accountId: string, name: string) => `${accountId}\u0000${name}`

/** A count that is not a positive integer: a defect of the caller. */
const badCount = (count: number) =>
  !Number.isSafeInteger(count) || count < 1 ? Effect.die(new RangeError(`sequence values: count must be a positive integer, got ${count}`)) : undefined

/**
 * `count` values of the account's counter `name`, in two steps: call the answered effect's outer
 * step before the unit of work that uses the values, and run the inner effect inside it. On a
 * store with concurrent writers (`capabilities.concurrentWriters`), outside any transaction, the
 * values are taken at once from the process's blocks (a new block is committed on its own when
 * they run out: the counter's row is held for one short transaction, not for the caller's unit of
 * work) and the inner effect answers them. Otherwise nothing happens before, and the inner effect
 * takes them inside the unit of work, which gives them back if it rolls back. Values are distinct;
 * they follow each other only in the second case.
 */
export const takeSequenceValues = (
  repos: Repositories,
  accountId: string,
  name: string,
  count: number
): Effect.Effect<Effect.Effect<ReadonlyArray<number>, StorageError>, StorageError> =>
  Effect.gen(function* () {
    const bad = badCount(count)
    if (bad !== undefined) return yield* bad
    const inside = Effect.map(reserveSequenceValues(repos, accountId, name, count), (first) => valuesFrom(first, count))
    const driver = repos.driver
    if (!driver.capabilities.concurrentWriters || driver.inTransaction === undefined || (yield* driver.inTransaction)) return inside
    const known = stateOf(blocks, driver)
    const key = counterKey(accountId, name)
    let pool = known.get(key)
    if (pool === undefined) {
      pool = []
      known.set(key, pool)
    }
    // Taken synchronously: two fibers of the process never take the same value.
    const taken = pool.splice(0, count)
    if (taken.length < count) {
      const missing = count - taken.length
      const size = Math.ceil(missing / SEQUENCE_BLOCK) * SEQUENCE_BLOCK
      const first = yield* driver.transaction(reserveSequenceValues(repos, accountId, name, size))
      taken.push(...valuesFrom(first, missing))
      pool.push(...valuesFrom(first + missing, size - missing))
    }
    return Effect.succeed(taken)
  })

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
    const bad = badCount(count)
    if (bad !== undefined) return yield* bad
    const driver = repos.driver
    const known = stateOf(counterIds, driver)
    const key = counterKey(accountId, name)
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

/** One value of the account's counter `name`, in the two steps of {@link takeSequenceValues}. */
export const takeSequenceValue = (repos: Repositories, accountId: string, name: string): Effect.Effect<Effect.Effect<number, StorageError>, StorageError> =>
  Effect.map(takeSequenceValues(repos, accountId, name, 1), (values) =>
    Effect.flatMap(values, ([value]) => (value === undefined ? Effect.die(new Error("takeSequenceValue: no value taken")) : Effect.succeed(value)))
  )
