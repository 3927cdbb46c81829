/**
 * Running the `iaso` program as a child process, as a user does: Node on `src/bin.ts` with the
 * workspace's source condition, in a temporary folder, answering its exit code and what it
 * printed. `underTerminal` runs it under a pseudo-terminal (util-linux `script`).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** The program's entry. */
export const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
/** The command line that runs the program: Node with the source condition. */
export const NODE_ARGS = ["--conditions=@iaso/source", BIN] as const

/** What a run printed and how it ended. */
export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Collects a started process's output until it exits. */
export const finished = (child: ChildProcess): Promise<Run> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

/** Runs `iaso args` in `cwd` (standard input closed, outputs piped: not a terminal). */
export const iaso = (cwd: string, ...args: ReadonlyArray<string>): Promise<Run> =>
  finished(spawn(process.execPath, [...NODE_ARGS, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] }))

/** Runs `iaso args --json` and parses what it printed (an object). */
export const iasoJson = async (cwd: string, ...args: ReadonlyArray<string>): Promise<{ readonly run: Run; readonly json: Record<string, unknown> }> => {
  const run = await iaso(cwd, ...args, "--json")
  try {
    return { run, json: JSON.parse(run.stdout) as Record<string, unknown> }
  } catch {
    throw new Error(`iaso ${args.join(" ")} --json printed no JSON (exit ${String(run.code)}):\n${run.stdout}\n${run.stderr}`)
  }
}

/** Whether util-linux `script` (a pseudo-terminal for a command) is here. */
export const SCRIPT = "/usr/bin/script"
export const hasScript = existsSync(SCRIPT)

/** Quotes a word for `sh -c`. */
const shellWord = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`

/**
 * Starts `iaso args` under a pseudo-terminal: its standard output is a terminal, and what is
 * written to the returned process's standard input is typed at that terminal (`\x03` is Ctrl-C).
 */
export const startUnderTerminal = (cwd: string, ...args: ReadonlyArray<string>): ChildProcess =>
  spawn(SCRIPT, ["-qfec", `exec ${[process.execPath, ...NODE_ARGS, ...args].map(shellWord).join(" ")}`, "/dev/null"], {
    cwd,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, COLUMNS: "120", TERM: "xterm" }
  })

/** A fresh temporary folder, removed by `cleanup`. */
export const tempDir = (): { readonly dir: string; readonly cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), "iaso-cli-"))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
