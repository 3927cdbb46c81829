/**
 * Progress and cancellation of long operations (imports, exports, version copies, `ingestMany`):
 * the options every one of them takes, on the Effect services and on the Promise facade alike, and
 * the helpers that implement them ({@link longOperation}, {@link abortable}).
 *
 * ```ts
 * const controller = new AbortController()
 * const result = await admin.pyramidImports.geoJson(collection, {
 *   dataSourceId,
 *   onProgress: ({ operation, phase, done, total }) => console.log(operation, phase, done, total),
 *   signal: controller.signal
 * })
 * ```
 *
 * An aborted signal stops the operation: the transaction under way rolls back and the operation
 * fails with {@link Interrupted} (the Promise rejects with it). In Effect, interrupting the fiber
 * stops it the same way (the fiber ends interrupted rather than with `Interrupted`).
 * @module
 */
import { Context, Effect } from "effect"
import { Interrupted } from "./errors.ts"

/** How far a long operation has gone. */
export interface Progress {
  /** The operation: `"import"`, `"export"`, `"copy"`, `"ingest"`, `"upload"` (a mobile bulk upload). */
  readonly operation: string
  /** Its current phase: `"read"`, `"validate"`, `"write"`... */
  readonly phase: string
  /** Items done so far in this phase. */
  readonly done: number
  /** Items this phase will handle, when known. */
  readonly total?: number | undefined
}

/** The options of a long operation: a progress callback and a signal that stops it. */
export interface LongOperationOptions {
  /**
   * Called as the operation advances: after each chunk or batch (hundreds to thousands of rows,
   * never once per row) and at the end of each phase. A throw from it is ignored.
   */
  readonly onProgress?: ((progress: Progress) => void) | undefined
  /**
   * Stops the operation when aborted: it fails with an `Interrupted` error (the Promise rejects
   * with it) and storage is left as before (for `ingestMany`, as after its last committed chunk).
   * In Effect, interrupting the fiber does the same.
   */
  readonly signal?: AbortSignal | undefined
}

/** What a long operation calls as it advances (see {@link longOperation}). */
export interface ProgressReporter {
  /**
   * Reports `done` items of `total` in `phase` to the `onProgress` callback (unless it repeats the
   * previous report), then fails with {@link Interrupted} when the signal was aborted (meanwhile,
   * or by the callback itself).
   */
  readonly report: (phase: string, done: number, total?: number) => Effect.Effect<void, Interrupted>
  /** Fails with {@link Interrupted} when the signal was aborted: a checkpoint between two chunks. */
  readonly check: Effect.Effect<void, Interrupted>
}

/** The reporter of `operation` over its options (no callback, no signal: reports cost nothing). */
export const progressReporter = (operation: string, options: LongOperationOptions = {}): ProgressReporter => {
  const { onProgress, signal } = options
  const check: Effect.Effect<void, Interrupted> = Effect.suspend(() =>
    signal?.aborted === true ? Effect.fail(Interrupted.of(operation, signal)) : Effect.void
  )
  let last: Progress | undefined
  return {
    report: (phase, done, total) =>
      Effect.suspend(() => {
        // The same news twice (e.g. the last chunk, then the end of its phase) is told once.
        const repeated = last !== undefined && last.phase === phase && last.done === done && last.total === total
        last = { operation, phase, done, total }
        if (onProgress !== undefined && !repeated) {
          try {
            onProgress(total === undefined ? { operation, phase, done } : { operation, phase, done, total })
          } catch {
            // A failing callback does not stop the operation.
          }
        }
        // With a signal, other fibers ready to run get their turn first, so a stop requested from
        // the callback (a task's kill request) is honoured at this very report.
        return signal === undefined ? Effect.void : Effect.andThen(Effect.yieldNow, check)
      }),
    check
  }
}

/**
 * The signals the running effect is already {@link abortable} by: an operation nested in another
 * with the same signal (a GeoJSON import running the pyramid engine) is not raced a second time,
 * so no fiber is forked inside the outer one's transaction.
 */
const WatchedSignals = Context.Reference<ReadonlySet<AbortSignal>>("@iaso/core/WatchedSignals", { defaultValue: () => new Set() })

/**
 * Runs `effect` so that aborting `signal` stops it: the effect is interrupted (a transaction under
 * way rolls back, finalizers run) and, once it has stopped, the result fails with
 * {@link Interrupted} for `operation`. A signal already aborted stops it before it starts; no
 * signal runs it as it is. Use it to make any effect of the SDK cancellable from a signal.
 */
export const abortable = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  signal: AbortSignal | undefined,
  operation = "operation"
): Effect.Effect<A, E | Interrupted, R> => {
  if (signal === undefined) return effect
  const aborted = Effect.callback<never, Interrupted>((resume) => {
    if (signal.aborted) {
      resume(Effect.fail(Interrupted.of(operation, signal)))
      return
    }
    const onAbort = () => resume(Effect.fail(Interrupted.of(operation, signal)))
    signal.addEventListener("abort", onAbort, { once: true })
    return Effect.sync(() => signal.removeEventListener("abort", onAbort))
  })
  return Effect.flatMap(Effect.service(WatchedSignals), (watched) => {
    if (signal.aborted) return Effect.fail(Interrupted.of(operation, signal))
    if (watched.has(signal)) return effect
    return Effect.raceFirst(Effect.provideService(effect, WatchedSignals, new Set([...watched, signal])), aborted)
  })
}

/**
 * A long operation: `body` gets the {@link ProgressReporter} of `operation` over `options`, and
 * the whole runs {@link abortable} by `options.signal`.
 */
export const longOperation = <A, E, R>(
  operation: string,
  options: LongOperationOptions | undefined,
  body: (progress: ProgressReporter) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | Interrupted, R> =>
  abortable(
    Effect.suspend(() => body(progressReporter(operation, options))),
    options?.signal,
    operation
  )
