/**
 * Planner statistics upkeep: after a commit that grew a table by a large share, its statistics
 * are refreshed at once, where the dialect keeps any (PostgreSQL).
 * @module
 */
import { Effect } from "effect"
import { plain } from "./compile-conditions.ts"
import type { SqlDialect } from "./dialect.ts"
import type { Executor } from "./transactions.ts"

/** Statistics are refreshed after commits that grew a table by at least this many rows... */
const ANALYZE_MIN_ROWS = 1000
/** ...and by at least this share of its size. */
const ANALYZE_SHARE = 0.1
/** The statistics target of those refreshes (PostgreSQL samples 300 rows per unit). */
const ANALYZE_TARGET = 10

/**
 * The refresh run after a commit, given the rows it inserted per table: for the tables it grew by
 * a large share (at least 1,000 rows and a tenth of the table), as autovacuum would a minute
 * later: an import followed at once by queries would otherwise be planned on the empty table's
 * estimates (a subtree query sorted a bitmap scan instead of walking the ordered path index:
 * 2.1 ms against 0.6 ms for 1,250 rows). A quick sample (statistics target 10: 3,000 rows, about
 * 25 ms where the default target took 370 ms on 50k org units) gives the planner the table's
 * size and the spread of its keys; autovacuum's own analyses replace it as the table changes.
 * Best effort: the commit has succeeded whatever happens here.
 */
export const makeStatisticsRefresh = (dialect: SqlDialect, executor: Executor): ((inserted: ReadonlyMap<string, number>) => Effect.Effect<void>) => {
  const statistics = dialect.statistics
  if (statistics === undefined) return () => Effect.void
  const { runOrFail, transaction } = executor
  /** Rows inserted per table since this driver last analysed it, and the table's size then. */
  const sinceAnalyze = new Map<string, { inserted: number; size: number | undefined }>()
  /** The planner's estimate of a table's rows (0 when it was never analysed). */
  const estimatedRows = (name: string) =>
    Effect.map(runOrFail({ text: statistics.estimatedRows, params: [dialect.table(name)] }), (result) =>
      Math.max(0, Number(result.rows[0]?.["reltuples"] ?? 0))
    )
  return (inserted) =>
    Effect.ignore(
      Effect.gen(function* () {
        for (const [name, n] of inserted) {
          const entry = sinceAnalyze.get(name) ?? { inserted: 0, size: undefined }
          sinceAnalyze.set(name, entry)
          entry.inserted += n
          if (entry.inserted < ANALYZE_MIN_ROWS) continue
          if (entry.size === undefined) entry.size = yield* estimatedRows(name)
          if (entry.inserted < entry.size * ANALYZE_SHARE) continue
          yield* transaction(Effect.forEach(statistics.refresh(dialect.table(name), ANALYZE_TARGET), (text) => runOrFail(plain(text)), { discard: true }))
          entry.size = yield* estimatedRows(name)
          entry.inserted = 0
        }
      })
    )
}
