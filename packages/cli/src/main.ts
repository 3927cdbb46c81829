/**
 * Running `iaso`: the command tree, what `effect/cli` prints (help and version on standard
 * output, usage errors on standard error with a pointer to `--help`), and the exit code of the
 * run (see {@link ExitCode}).
 * @module
 */
import { createRequire } from "node:module"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { CliConfig, CliError, CliOutput, Command, GlobalFlag } from "effect/cli"
import { exportCommand } from "./commands/export.ts"
import { formsCommand } from "./commands/forms.ts"
import { importCommand } from "./commands/import.ts"
import { ingestCommand } from "./commands/ingest.ts"
import { statsCommand } from "./commands/stats.ts"
import { treeCommand } from "./commands/tree.ts"
import { nodeEnvironment } from "./environment.ts"
import { ExitCode } from "./exit-codes.ts"
import { CommandFailed, Interruption } from "./runner.ts"

/** The package's version (from its package.json, one folder up from both `src/` and `dist/`). */
export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { readonly version: string }).version

/** The `iaso` command and its subcommands. */
export const iaso = Command.make("iaso").pipe(
  Command.withDescription(
    "Work on an IASO pyramid, its forms and submissions, in a SQLite file (--db iaso.sqlite, the default) or PostgreSQL (--db postgres://...). Exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid input, 4 not found, 5 refused (conflict), 6 storage unavailable, 130 interrupted."
  ),
  Command.withSubcommands([importCommand, exportCommand, treeCommand, statsCommand, formsCommand, ingestCommand])
)

const colors = (): boolean => process.stdout.isTTY === true && (process.env["NO_COLOR"] ?? "") === ""

/** Help and version on standard output; a usage error on standard error, with where to find the usage. */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    Effect.sync(() => {
      const formatter = CliOutput.defaultFormatter({ colors: colors() })
      switch (event._tag) {
        case "Help":
          process.stdout.write(`${formatter.formatHelpDoc(event.helpDoc)}\n`)
          return
        case "Version":
          process.stdout.write(`${formatter.formatVersion(event.name, event.version)}\n`)
          return
        case "InvalidInvocation":
          process.stderr.write(
            `${event.errors.map((error) => `iaso: ${error.message}\n`).join("")}Run "${event.commandPath.join(" ")} --help" for its usage.\n`
          )
      }
    })
}

/** Options of {@link main}. */
export interface MainOptions {
  /** Aborting it interrupts the command (as Ctrl-C does for the `iaso` binary): the operation under way rolls back. */
  readonly signal?: AbortSignal
}

/** The exit code of a run's outcome. */
const exitCodeOfRun = (exit: Exit.Exit<unknown, unknown>, signal: AbortSignal): ExitCode => {
  if (Exit.isSuccess(exit)) return ExitCode.ok
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isSome(error)) {
    const failure = error.value
    if (failure instanceof CommandFailed) return failure.exitCode
    if (CliError.isCliError(failure)) {
      // `iaso` or `iaso import` alone shows the help (a help event); both are usage errors.
      return ExitCode.usage
    }
  }
  if (signal.aborted || Cause.hasInterruptsOnly(exit.cause)) return ExitCode.interrupted
  process.stderr.write(`iaso: internal error (please report it)\n${Cause.pretty(exit.cause)}\n`)
  return ExitCode.internal
}

/**
 * Runs `iaso` with `args` (the arguments after the program name) and answers its exit code; what
 * the command prints goes to the process's standard output and error.
 */
export const main = async (args: ReadonlyArray<string>, options: MainOptions = {}): Promise<ExitCode> => {
  const signal = options.signal ?? new AbortController().signal
  const program = Command.runWith(iaso, { version: VERSION })(args).pipe(
    Effect.provideService(Interruption, signal),
    Effect.provide(
      Layer.mergeAll(nodeEnvironment(args), CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version] }), CliOutput.layerPresenter(presenter))
    )
  )
  return exitCodeOfRun(await Effect.runPromiseExit(program, { signal }), signal)
}
