/**
 * The fuzzer: seeded inputs made from IASO's own files, run through every decoder of outside input
 * (see `decoders.ts`), each decoder in a child process watched by this one. An input is a defect
 * when its decoder throws, dies or is interrupted, when it runs longer than the time limit (the
 * child is killed and the run goes on after it), when it grows the child's resident memory by more
 * than the memory limit, or when the child crashes (its heap is capped at 2 GB). Defects' inputs are written to `fuzz/found/` to become regression tests; the run exits
 * non-zero when there is any.
 *
 *   npm run fuzz                          # 10,000 inputs per decoder, seed 1
 *   npm run fuzz -- --count 500           # what CI runs
 *   npm run fuzz -- --jobs 1              # one decoder at a time (default: one per core)
 *   npm run fuzz -- --decoders xlsform,geojson --seed 7 --from 1200 --count 1   # replay one input
 *
 * Needs IASO's fixtures in `../shared/fixtures` (or `--fixtures DIR`).
 * @module
 */
import { type ChildProcess, fork } from "node:child_process"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { ChildMessage } from "./child.ts"

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
const count = Number(option("--count") ?? 10_000)
const seed = Number(option("--seed") ?? 1)
const from = Number(option("--from") ?? 0)
const timeoutMs = Number(option("--timeout-ms") ?? 5_000)
const memoryMb = Number(option("--memory-mb") ?? 300)
const jobs = Number(option("--jobs") ?? availableParallelism())
const fixtures = option("--fixtures") ?? join(here, "..", "..", "shared", "fixtures")
const ALL = [
  "xlsform",
  "xform",
  "submission",
  "geojson",
  "dhis2",
  "geopackage",
  "bulk-upload",
  "bulk-users",
  "workflow-import",
  "jsonlogic",
  "mapping",
  "storage-logs",
  "sync"
]
const wanted = (option("--decoders") ?? ALL.join(",")).split(",")

if (!existsSync(join(fixtures, "iaso"))) {
  console.error(`fuzz: IASO's fixtures are not at ${fixtures} (give --fixtures DIR)`)
  process.exit(process.env["CI"] ? 1 : 0)
}

/** What the run found for one decoder. */
interface Tally {
  inputs: number
  values: number
  typed: Map<string, number>
  defects: Array<{ readonly index: number; readonly how: string; readonly message: string }>
  maxMs: number
  maxMsHow: string
  maxGrowthMb: number
  /** Startup of the children (their seeds and app), not counted as any input's time. */
  children: number
}

const recordDefect = (decoder: string, tally: Tally, index: number, how: string, message: string, bytes?: string) => {
  tally.defects.push({ index, how, message })
  const folder = join(here, "found")
  mkdirSync(folder, { recursive: true })
  const base = join(folder, `${decoder}-seed${seed}-${index}`)
  writeFileSync(`${base}.txt`, `${how}\n\n${message}\n`)
  if (bytes !== undefined) writeFileSync(`${base}.bin`, Buffer.from(bytes, "base64"))
  console.error(`fuzz: DEFECT ${decoder} #${index} (${how}): ${message.split("\n")[0]}`)
}

/** Runs inputs [start, end) of a decoder in children, a new one after each killed or crashed one. */
const fuzzDecoder = async (decoder: string, start: number, end: number): Promise<Tally> => {
  const tally: Tally = { inputs: 0, values: 0, typed: new Map(), defects: [], maxMs: 0, maxMsHow: "", maxGrowthMb: 0, children: 0 }
  let next = start
  while (next < end) {
    tally.children += 1
    next = await new Promise<number>((resolve) => {
      const child: ChildProcess = fork(join(here, "child.ts"), [decoder, String(seed), String(next), String(end), fixtures], {
        execArgv: ["--max-old-space-size=2048", "--expose-gc", "--conditions=@iaso/source"],
        stdio: ["ignore", "ignore", "pipe", "ipc"]
      })
      let stderr = ""
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4_000)
      })
      let current: { index: number; how: string } | undefined
      let resume = end
      let watchdog: NodeJS.Timeout | undefined
      // Once the worker is being killed, what it still sends (the next input's start) is not its own.
      let stopping = false
      const stop = (reason: string) => {
        if (watchdog !== undefined) clearTimeout(watchdog)
        if (current !== undefined) {
          tally.inputs += 1
          recordDefect(decoder, tally, current.index, current.how, reason)
          resume = current.index + 1
        }
        current = undefined
        stopping = true
        child.kill("SIGKILL")
      }
      child.on("message", (raw) => {
        if (stopping) return
        const message = raw as ChildMessage
        if (message.type === "ready") return
        if (message.type === "start") {
          current = { index: message.index, how: message.how }
          watchdog = setTimeout(() => stop(`took more than ${timeoutMs} ms (killed)`), timeoutMs)
          return
        }
        if (watchdog !== undefined) clearTimeout(watchdog)
        const done = current
        current = undefined
        tally.inputs += 1
        const how = done?.how ?? "?"
        if (message.ms > tally.maxMs) {
          tally.maxMs = message.ms
          tally.maxMsHow = `#${message.index} ${how}`
        }
        // What the input itself added (its transient buffers are still there when it ends).
        const growth = (message.rss - message.rssBefore) / 2 ** 20
        tally.maxGrowthMb = Math.max(tally.maxGrowthMb, growth)
        if (message.defect !== undefined) recordDefect(decoder, tally, message.index, how, message.defect.message, message.defect.bytes)
        else if (message.outcome === "value") tally.values += 1
        else tally.typed.set(message.outcome, (tally.typed.get(message.outcome) ?? 0) + 1)
        if (growth > memoryMb) {
          // The input that pushed the process past the limit is pinned; the run goes on in a new child.
          current = { index: message.index, how }
          tally.inputs -= 1
          stop(`the input grew the process by ${Math.round(growth)} MB (limit ${memoryMb} MB)`)
        }
      })
      child.on("exit", (code, signal) => {
        if (watchdog !== undefined) clearTimeout(watchdog)
        if (current !== undefined && !stopping) {
          tally.inputs += 1
          recordDefect(decoder, tally, current.index, current.how, `the process ended (${signal ?? code}): ${stderr.slice(-1_000)}`)
          resume = current.index + 1
        } else if (code !== 0 && signal === null && resume === end && tally.inputs === 0) {
          console.error(`fuzz: the ${decoder} worker failed to start:\n${stderr}`)
          process.exit(1)
        }
        resolve(resume)
      })
    })
  }
  return tally
}

for (const decoder of wanted) if (!ALL.includes(decoder)) throw new Error(`fuzz: no decoder ${decoder} (${ALL.join(", ")})`)
const rows = new Map<string, Record<string, string>>()
let defects = 0
/** Fuzzes one decoder and records its row. */
const fuzzOne = async (decoder: string) => {
  const started = performance.now()
  const tally = await fuzzDecoder(decoder, from, from + count)
  defects += tally.defects.length
  const typed = [...tally.typed.entries()].sort((a, b) => b[1] - a[1])
  rows.set(decoder, {
    decoder,
    inputs: String(tally.inputs),
    values: String(tally.values),
    typed: typed.map(([tag, n]) => `${tag.replace("typed ", "")} ${n}`).join(", "),
    defects: String(tally.defects.length),
    "max ms": tally.maxMs.toFixed(0),
    "max growth MB": tally.maxGrowthMb.toFixed(0),
    seconds: ((performance.now() - started) / 1000).toFixed(1)
  })
  console.log(`fuzz: ${decoder}: ${tally.inputs} inputs, ${tally.defects.length} defects, slowest ${tally.maxMs.toFixed(0)} ms (${tally.maxMsHow})`)
}
// `jobs` decoders at a time, each in its own child.
const queue = [...wanted]
await Promise.all(
  Array.from({ length: Math.max(1, Math.min(jobs, queue.length)) }, async () => {
    for (let decoder = queue.shift(); decoder !== undefined; decoder = queue.shift()) await fuzzOne(decoder)
  })
)
console.table(wanted.map((decoder) => rows.get(decoder)))
console.log(`fuzz: seed ${seed}, inputs ${from}..${from + count - 1} per decoder, ${defects} defects${defects > 0 ? " (inputs in fuzz/found/)" : ""}`)
process.exit(defects > 0 ? 1 : 0)
