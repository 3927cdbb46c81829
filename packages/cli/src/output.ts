/**
 * What a command prints: its result as one JSON document on standard output (`--json`) or as
 * lines of text, and its failure as a JSON `{ "error": ... }` document on standard output
 * (`--json`) or as a message on standard error.
 * @module
 */
import type { IasoError } from "@iaso/core"
import { Effect } from "effect"
import { type ExitCode, exitCodeOf } from "./exit-codes.ts"

/** A JSON value as the commands print it. */
export type Json = string | number | boolean | null | ReadonlyArray<Json> | { readonly [key: string]: Json | undefined }

/** Writes text to standard output. */
export const writeOut = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stdout.write(text)
  })

/** Writes text to standard error. */
export const writeErr = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stderr.write(text)
  })

/** Prints a result: `value` as JSON with `--json`, else the `text` lines. */
export const printResult = (json: boolean, value: Json, text: () => ReadonlyArray<string>): Effect.Effect<void> =>
  json
    ? writeOut(`${JSON.stringify(value, null, 2)}\n`)
    : writeOut(
        text()
          .map((line) => `${line}\n`)
          .join("")
      )

/** The JSON form of a failure: `{ error: { kind, exitCode, message, ... } }`. */
export const errorJson = (error: IasoError, note?: string): Json => {
  const base = { kind: error._tag, exitCode: exitCodeOf(error), message: error.message, ...(note === undefined ? {} : { note }) }
  switch (error._tag) {
    case "ValidationError":
      return { error: { ...base, issues: error.issues.map((issue) => ({ path: [...issue.path], message: issue.message })) } }
    case "NotFound":
      return { error: { ...base, model: error.model, id: error.id } }
    case "StorageError":
      return { error: { ...base, reason: error.reason } }
    default:
      return { error: base }
  }
}

/** How many issues of a `ValidationError` the text output lists. */
const ISSUES_SHOWN = 20

/** The text form of a failure, for standard error. */
export const errorText = (error: IasoError, note?: string): string => {
  const lines: Array<string> = []
  if (error._tag === "ValidationError" && error.issues.length > 0) {
    lines.push(`iaso: invalid input (${error.issues.length} ${error.issues.length === 1 ? "issue" : "issues"})`)
    for (const issue of error.issues.slice(0, ISSUES_SHOWN)) {
      lines.push(`  ${issue.path.length === 0 ? "" : `at ${JSON.stringify(issue.path)}: `}${issue.message}`)
    }
    if (error.issues.length > ISSUES_SHOWN) lines.push(`  ... and ${error.issues.length - ISSUES_SHOWN} more (--json lists them all)`)
  } else if (error._tag === "Interrupted") {
    lines.push(`iaso: interrupted${note === undefined ? "" : `: ${note}`}`)
    return `${lines.map((line) => `${line}\n`).join("")}`
  } else {
    lines.push(`iaso: ${error.message}`)
  }
  if (note !== undefined) lines.push(`iaso: ${note}`)
  return `${lines.map((line) => `${line}\n`).join("")}`
}

/** Prints a failure (JSON on standard output with `--json`, text on standard error) and answers its exit code. */
export const printError = (json: boolean, error: IasoError, note?: string): Effect.Effect<ExitCode> =>
  Effect.as(json ? writeOut(`${JSON.stringify(errorJson(error, note), null, 2)}\n`) : writeErr(errorText(error, note)), exitCodeOf(error))
