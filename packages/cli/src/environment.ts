/**
 * The services `effect/cli` asks of its host (`Command.Environment`), made for Node from effect's
 * own constructors: the process's arguments and standard streams, the terminal's size, POSIX
 * paths. The commands read and write their files with `node:fs` themselves and start no child
 * process, so the file system and the process spawner are inert here.
 * @module
 */
import { Effect, FileSystem, Layer, Path, Sink, Stdio, Stream, Terminal } from "effect"
import type { Command } from "effect/cli"
import { ChildProcessSpawner } from "effect/process"

const write = (stream: NodeJS.WriteStream) => () =>
  Sink.forEachArray((chunks: ReadonlyArray<string | Uint8Array>) =>
    Effect.sync(() => {
      for (const chunk of chunks) stream.write(chunk)
    })
  )

const unused = (what: string) => Effect.die(`the iaso command does not use ${what}`)

/** The Node environment `Command.runWith` needs, with `args` as the command line. */
export const nodeEnvironment = (args: ReadonlyArray<string>): Layer.Layer<Command.Environment> =>
  Layer.mergeAll(
    FileSystem.layerNoop({}),
    Path.layer,
    Layer.succeed(
      Stdio.Stdio,
      Stdio.make({
        args: Effect.succeed(args),
        stdinIsTerminal: Effect.sync(() => process.stdin.isTTY === true),
        stdoutIsTerminal: Effect.sync(() => process.stdout.isTTY === true),
        stderrIsTerminal: Effect.sync(() => process.stderr.isTTY === true),
        stdout: write(process.stdout),
        stderr: write(process.stderr),
        stdin: Stream.empty
      })
    ),
    Layer.succeed(
      Terminal.Terminal,
      Terminal.make({
        columns: Effect.sync(() => process.stdout.columns ?? 80),
        rows: Effect.sync(() => process.stdout.rows ?? 24),
        size: unused("terminal resizing"),
        readInput: unused("terminal input"),
        readLine: unused("terminal input"),
        display: (text) =>
          Effect.sync(() => {
            process.stdout.write(text)
          })
      })
    ),
    Layer.succeed(
      ChildProcessSpawner.ChildProcessSpawner,
      ChildProcessSpawner.make(() => unused("child processes"))
    )
  )
