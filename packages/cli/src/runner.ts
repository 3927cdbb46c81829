/**
 * How a command's handler runs: its failures (the SDK's errors) printed once, in the output
 * format the command was asked for, and turned into {@link CommandFailed} carrying the exit code;
 * its interruption (Ctrl-C) reported with what it means for the data. {@link Interruption} gives
 * handlers the signal that Ctrl-C aborts, for the SDK's long operations.
 * @module
 */
import { type IasoError, Interrupted } from "@iaso/core"
import { Context, Data, Effect } from "effect"
import type { ExitCode } from "./exit-codes.ts"
import { printError } from "./output.ts"

/** A command failed; its error is already printed and `exitCode` says what failed. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{ readonly exitCode: ExitCode }> {}

/** The signal that Ctrl-C aborts (never aborted by default). */
export const Interruption = Context.Reference<AbortSignal>("@iaso/cli/Interruption", { defaultValue: () => new AbortController().signal })

/** What a command's interruption (or `Interrupted` failure) means for the data, printed after it. */
export interface RunOptions {
  /** `--json`: failures are printed as a JSON document on standard output. */
  readonly json: boolean
  /** The operation's name in the `Interrupted` error (`import`, `export`...). */
  readonly operation: string
  /** What was left as it was when it was interrupted, e.g. "nothing was changed: the import rolled back". */
  readonly whenInterrupted: string
}

/** Runs a command's work: an SDK failure is printed and becomes {@link CommandFailed}; an interruption is reported. */
export const runCommand = <R>(options: RunOptions, effect: Effect.Effect<void, IasoError | CommandFailed, R>): Effect.Effect<void, CommandFailed, R> =>
  effect.pipe(
    Effect.catch((error) =>
      error._tag === "CommandFailed"
        ? Effect.fail(error)
        : Effect.flatMap(printError(options.json, error, error._tag === "Interrupted" ? options.whenInterrupted : undefined), (exitCode) =>
            Effect.fail(new CommandFailed({ exitCode }))
          )
    ),
    Effect.onInterrupt(() => Effect.asVoid(printError(options.json, Interrupted.of(options.operation), options.whenInterrupted)))
  )
