/**
 * The store's `lockSubtrees` where the dialect has row locks (PostgreSQL; see the port's docs for
 * the protocol). The units named by the paths are locked in path order, each run of units with
 * the same lock in one statement (`ORDER BY path FOR UPDATE` / `FOR KEY SHARE` locks row by row
 * in that order): the exclusive units `FOR UPDATE`, every other one `FOR KEY SHARE`. In path
 * order a unit's ancestors come before it, so a move, holding its unit, never rewrites a
 * descendant another transaction holds: that one would have had to lock the moved unit first.
 * Then the paths are read again in a statement of their own (under read committed it sees every
 * transaction that committed before the locks were granted, which a locking read does not for
 * the rows it locked before waiting). A path that moved meanwhile may name units not locked yet:
 * the round ran in a savepoint, whose rollback releases its locks, and the next round locks the
 * new paths, again in path order. A round locking paths that went stale before it started may
 * still close a cycle with a move (one deadlock in 600 concurrent moves measured): the outermost
 * transaction then runs again (`rerun.ts`).
 * @module
 */
import { type ModelMeta, PATH_SEPARATOR, StorageError, type StoreScope, type SubtreeLocks } from "@iaso/core"
import { Effect } from "effect"
import { compileLockRows, compileSelect, type RowLock } from "./compile-query.ts"
import type { SqlDialect } from "./dialect.ts"
import type { TableInfo } from "./tables.ts"
import type { Executor } from "./transactions.ts"

/** Rounds of locking before giving up with a retryable error (each further round means a move committed meanwhile). */
const MAX_ROUNDS = 8

/** The ids a path names, root first. */
const idsOf = (path: string): ReadonlyArray<string> => path.split(PATH_SEPARATOR).filter((id) => id.length > 0)

/** A unit to lock: its lock, and its own path (where it comes in the locking order). */
interface Wanted {
  readonly lock: RowLock
  readonly path: string
}

/**
 * The lock each unit named by the paths needs, with its own path (the prefix of the path naming
 * it, up to it): the last unit of an exclusive path `update`, every other one `keyShare`.
 */
const locksOf = (locks: SubtreeLocks): ReadonlyMap<string, Wanted> => {
  const wanted = new Map<string, Wanted>()
  const add = (path: string, exclusive: boolean) =>
    idsOf(path).forEach((id, at, ids) => {
      const lock = exclusive && at === ids.length - 1 ? "update" : (wanted.get(id)?.lock ?? "keyShare")
      wanted.set(id, { lock, path: wanted.get(id)?.path ?? `${ids.slice(0, at + 1).join(PATH_SEPARATOR)}${PATH_SEPARATOR}` })
    })
  for (const path of locks.shared) add(path, false)
  for (const path of locks.exclusive) add(path, true)
  return wanted
}

/**
 * The units in path order (code points: paths are ASCII; a unit's ancestors come before it), cut
 * into runs of the same lock: one statement each, which locks its run in path order too.
 */
const runsOf = (wanted: ReadonlyMap<string, Wanted>): ReadonlyArray<{ readonly lock: RowLock; readonly ids: Array<string> }> => {
  const runs: Array<{ readonly lock: RowLock; readonly ids: Array<string> }> = []
  const ordered = [...wanted].sort(([, a], [, b]) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  for (const [id, { lock }] of ordered) {
    const last = runs.at(-1)
    if (last !== undefined && last.lock === lock) last.ids.push(id)
    else runs.push({ lock, ids: [id] })
  }
  return runs
}

/** Whether the locks held cover the locks needed (an `update` lock covers a `keyShare` one). */
const covers = (held: ReadonlyMap<string, Wanted>, needed: ReadonlyMap<string, Wanted>): boolean =>
  [...needed].every(([id, { lock }]) => {
    const mode = held.get(id)?.lock
    return mode === "update" || (mode === "keyShare" && lock === "keyShare")
  })

/** A round's locks fell short of the current paths: its savepoint is rolled back, the next round locks these. */
class Moved {
  readonly locks: SubtreeLocks
  constructor(locks: SubtreeLocks) {
    this.locks = locks
  }
}

/** Makes the store's `lockSubtrees`; `table` finds a model's table. */
export const makeLockSubtrees =
  (dialect: SqlDialect, executor: Executor, table: (name: string) => Effect.Effect<TableInfo, StorageError>) =>
  (model: ModelMeta, scope: StoreScope, locks: SubtreeLocks): Effect.Effect<void, StorageError> =>
    Effect.gen(function* () {
      if (!dialect.rowLocks) return
      const info = yield* table(model.name)
      const path = info.hierarchy?.path
      if (path === undefined) return yield* new StorageError({ reason: "unknown", retryable: false, message: `${info.name} is not hierarchical` })
      const { runOrFail } = executor
      /** Locks `wanted` (in a savepoint), then reads the paths again; fails with the new paths when they name units not locked. */
      const round = (wanted: SubtreeLocks) =>
        executor.transaction(
          Effect.gen(function* () {
            const held = locksOf(wanted)
            for (const run of runsOf(held)) yield* runOrFail(compileLockRows(dialect, info, scope, run.ids, run.lock, path))
            const units = [...new Set([...wanted.exclusive, ...wanted.shared].flatMap((p) => idsOf(p).slice(-1)))]
            const read = yield* runOrFail(
              compileSelect(dialect, info, scope, { where: [{ field: "id", op: "in", value: units }], orderBy: [], select: ["id", path] })
            )
            const now = new Map(read.rows.map((row) => [String(row["id"]), String(row[path])]))
            // A unit gone meanwhile keeps the path read before: the caller's own read reports it missing.
            const current = (p: string) => now.get(idsOf(p).at(-1) ?? "") ?? p
            const moved: SubtreeLocks = { exclusive: wanted.exclusive.map(current), shared: wanted.shared.map(current) }
            if (!covers(held, locksOf(moved))) return yield* Effect.fail(new Moved(moved))
          })
        )
      let wanted = locks
      for (let n = 0; n < MAX_ROUNDS; n++) {
        if (locksOf(wanted).size === 0) return
        const moved = yield* round(wanted).pipe(
          Effect.as(undefined),
          Effect.catchIf(
            (error): error is Moved => error instanceof Moved,
            (error) => Effect.succeed(error.locks)
          )
        )
        if (moved === undefined) return
        wanted = moved
      }
      return yield* new StorageError({
        reason: "serialization",
        retryable: true,
        message: `the hierarchy of ${info.name} kept moving while its units were being locked (${MAX_ROUNDS} rounds)`
      })
    })
