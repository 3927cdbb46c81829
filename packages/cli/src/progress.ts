/**
 * The progress bar of long commands, drawn with cli-progress on standard output when it is a
 * terminal (never with `--json`): one bar per phase of the operation (`import read`,
 * `import write`...), with the items done, the rate and, when the phase's total is known, the
 * percentage and the estimated time left. The SDK's `onProgress` callbacks feed it.
 * @module
 */
import type { Progress } from "@iaso/core"
import cliProgress from "cli-progress"
import { Effect } from "effect"

/** A display of an operation's progress. */
export interface ProgressDisplay {
  /** Called by the operation as it advances (the SDK's `onProgress`). */
  readonly onProgress: (progress: Progress) => void
  /** Ends the current bar, leaving its last state on screen. */
  readonly stop: () => void
}

/** A display that shows nothing (no terminal, or `--json`). */
export const silentProgress: ProgressDisplay = { onProgress: () => undefined, stop: () => undefined }

/** Seconds as `12s`, `3m05s`, `1h02m`; `--` when not known yet. */
export const formatDuration = (seconds: unknown): string => {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return "--"
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

/** Items per second as `850/s`, `12.3k/s`. */
export const formatRate = (perSecond: number): string => {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return "--/s"
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(0)}k/s`
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`
  return `${perSecond.toFixed(perSecond < 10 ? 1 : 0)}/s`
}

const KNOWN_TOTAL = "{label} [{bar}] {percentage}% | {value}/{total} | {rate} | ETA {eta_formatted}"
const UNKNOWN_TOTAL = "{label} {value} | {rate} | {duration_formatted}"

/** A cli-progress display on `stream` (a terminal). */
export const terminalProgress = (stream: NodeJS.WriteStream): ProgressDisplay => {
  let bar: cliProgress.SingleBar | undefined
  let key: string | undefined
  // A phase's first report comes after its first chunk: its work began when the previous phase
  // ended (at its last report), or when the display was made.
  let started = Date.now()
  let lastReport = started
  const stop = () => {
    bar?.stop()
    bar = undefined
    key = undefined
  }
  const payload = (done: number) => ({ rate: formatRate(done / Math.max((Date.now() - started) / 1000, 0.01)) })
  return {
    onProgress: (progress) => {
      const now = Date.now()
      const previousReport = lastReport
      lastReport = now
      const label = `${progress.operation} ${progress.phase}`
      const total = progress.total
      const phaseKey = `${label}\u0000${total === undefined ? "" : "known"}`
      if (bar === undefined || key !== phaseKey) {
        stop()
        started = previousReport
        key = phaseKey
        bar = new cliProgress.SingleBar({
          stream,
          format: total === undefined ? UNKNOWN_TOTAL : KNOWN_TOTAL,
          formatTime: (seconds) => formatDuration(seconds),
          barsize: 24,
          hideCursor: true,
          etaBuffer: 50,
          fps: 10
        })
        bar.start(total ?? 0, progress.done, { label, ...payload(progress.done) })
        return
      }
      if (total !== undefined) bar.setTotal(total)
      bar.update(progress.done, payload(progress.done))
    },
    stop
  }
}

/**
 * Runs `use` with a progress display (a terminal bar when standard output is a terminal and
 * `json` is off; else nothing shown) and ends the display when it finishes, fails or is
 * interrupted, before anything else is printed.
 */
export const withProgress = <A, E, R>(json: boolean, use: (display: ProgressDisplay) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => (!json && process.stdout.isTTY === true ? terminalProgress(process.stdout) : silentProgress)),
    use,
    (display) => Effect.sync(() => display.stop())
  )
