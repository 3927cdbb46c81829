/**
 * Running an outermost transaction again after it lost a conflict with another one (a deadlock
 * or serialization failure on PostgreSQL, a database still busy after the busy timeout on
 * SQLite): such a transaction was rolled back whole, and its effect (which reads inside the
 * transaction what it depends on) may simply run again. Attempts are bounded, with jittered
 * exponential pauses between them, so that two transactions that collided do not collide again
 * in step.
 * @module
 */
import { Duration, Effect, Random } from "effect"

/** How an outermost transaction that lost a conflict runs again. */
export const RERUN = {
  /** Attempts in all (the first run included). */
  attempts: 5,
  /** The pause after the first attempt; each further one doubles it. */
  firstPauseMillis: 5
} as const

/** The pause after attempt `n` (from 1): exponential, jittered to between half and one and a half of it. */
const pauseAfter = (n: number): Effect.Effect<void> =>
  Effect.flatMap(Random.next, (jitter) => Effect.sleep(Duration.millis(RERUN.firstPauseMillis * 2 ** (n - 1) * (0.5 + jitter))))

/**
 * Runs `attempt`; while it fails with an error `lost` says is a lost conflict, pauses and runs it
 * again, up to {@link RERUN}`.attempts` in all; the last attempt's failure is returned as it came.
 */
export const rerunOnConflict = <A, E, R>(attempt: Effect.Effect<A, E, R>, lost: (error: E) => boolean): Effect.Effect<A, E, R> => {
  const from = (n: number): Effect.Effect<A, E, R> =>
    n >= RERUN.attempts ? attempt : Effect.catchIf(attempt, lost, () => Effect.andThen(pauseAfter(n), from(n + 1)))
  return from(1)
}
