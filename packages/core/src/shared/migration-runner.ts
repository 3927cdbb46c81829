/**
 * The one migration runner every store's `migrate` goes through: it owns the order (the given
 * list, each migration the ledger lacks applied in turn), the refusal of a store migrated by a
 * newer SDK (one message, whatever the store), and the loop over each migration's steps. A store
 * supplies a small record of hooks: how to read its ledger, how to apply one step, and how to run
 * one migration's steps and record it in the ledger atomically.
 *
 * ```ts
 * const migrate = (migrations: ReadonlyArray<Migration>) =>
 *   runMigrations(migrations, {
 *     applied: readLedger,                                  // the ids the store has applied
 *     applyStep: (step) => createTableOrIndex(step),        // one step, inside the transaction below
 *     applyAndRecord: (migration, steps) =>                 // the steps and the ledger entry, all or nothing
 *       inTransaction(Effect.andThen(steps, recordInLedger(migration.id)))
 *   })
 * ```
 * @module
 */
import { Effect } from "effect"
import { Unsupported } from "./errors.ts"
import type { Migration, MigrationStep } from "./store.ts"

/** What a store tells the {@link runMigrations | runner} about itself. */
export interface MigrationHooks<E, R> {
  /** The ids of the migrations the store has applied (its ledger), in any order. */
  readonly applied: Effect.Effect<Iterable<string>, E, R>
  /** Applies one step of `migration` (the runner calls it inside {@link applyAndRecord}). */
  readonly applyStep: (step: MigrationStep, migration: Migration) => Effect.Effect<void, E, R>
  /**
   * Runs `steps` (the migration's steps, one by one through {@link applyStep}) and records
   * `migration` in the ledger, both in one transaction: after a failure, neither happened.
   */
  readonly applyAndRecord: (migration: Migration, steps: Effect.Effect<void, E, R>) => Effect.Effect<void, E, R>
  /**
   * Called once the store is known not to be newer, before any migration is replayed or applied
   * (e.g. to forget the store's description of its tables, rebuilt by `replay` and `applyStep`).
   */
  readonly begin?: () => void
  /**
   * Called, in order, for each migration the store had applied before (e.g. to rebuild the
   * store's description of its tables from every migration, applied before or now).
   */
  readonly replay?: (migration: Migration) => void
  /**
   * Ids the store records in its ledger besides the given migrations (its own migrations,
   * applied by the store after the runner): known, so not a sign of a newer SDK.
   */
  readonly ownMigrations?: ReadonlyArray<string>
}

/** The ids in `applied` that neither `migrations` nor `own` (the store's own migrations) know. */
export const unknownMigrations = (applied: Iterable<string>, migrations: ReadonlyArray<Migration>, own: ReadonlyArray<string> = []): ReadonlyArray<string> => {
  const known = new Set([...migrations.map((migration) => migration.id), ...own])
  return [...applied].filter((id) => !known.has(id))
}

/**
 * The refusal of a store migrated by a newer version of the SDK than the code (one that applied
 * the migrations `unknown`, which this code does not know).
 */
export const newerStore = (unknown: ReadonlyArray<string>): Unsupported =>
  new Unsupported({
    message: `this store was migrated by a newer version of the SDK (unknown migrations: ${unknown.length === 0 ? "none recorded" : unknown.join(", ")})`
  })

/**
 * Applies the migrations the store lacks, in the order given, each in one transaction with its
 * ledger entry (see {@link MigrationHooks}); fails with {@link newerStore} (an `Unsupported`),
 * applying nothing, when the store has applied a migration this code does not know. Succeeds with
 * the ids it applied (none when the store is up to date).
 */
export const runMigrations = <E, R>(
  migrations: ReadonlyArray<Migration>,
  hooks: MigrationHooks<E, R>
): Effect.Effect<ReadonlyArray<string>, E | Unsupported, R> =>
  Effect.gen(function* () {
    const applied = new Set(yield* hooks.applied)
    const unknown = unknownMigrations(applied, migrations, hooks.ownMigrations)
    if (unknown.length > 0) return yield* newerStore(unknown)
    hooks.begin?.()
    const done: Array<string> = []
    for (const migration of migrations) {
      if (applied.has(migration.id)) {
        hooks.replay?.(migration)
        continue
      }
      yield* hooks.applyAndRecord(
        migration,
        Effect.forEach(migration.steps, (step) => hooks.applyStep(step, migration), { discard: true })
      )
      done.push(migration.id)
    }
    return done
  })
