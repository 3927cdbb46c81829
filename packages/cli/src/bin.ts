#!/usr/bin/env node
/**
 * The `iaso` executable: runs the command with the process's arguments. The first Ctrl-C
 * (SIGINT) aborts the command (the operation under way rolls back, exit code 130); a second one
 * exits at once.
 * @module
 */
import { ExitCode } from "./exit-codes.ts"
import { main } from "./main.ts"

const controller = new AbortController()
const onSigint = () => {
  if (controller.signal.aborted) process.exit(ExitCode.interrupted)
  controller.abort()
}
process.on("SIGINT", onSigint)
// A reader that stops early (`iaso tree | head`) closes the pipe: the output is no longer wanted.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(ExitCode.ok)
  throw error
})

main(process.argv.slice(2), { signal: controller.signal }).then(
  (code) => {
    process.off("SIGINT", onSigint)
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`iaso: internal error (please report it)\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = ExitCode.internal
  }
)
