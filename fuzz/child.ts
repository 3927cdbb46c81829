/**
 * One fuzzing worker: runs inputs `from` to `to` (exclusive) of one decoder, reporting each to the
 * parent (`run.ts`) before it starts (so a hang or a crash is pinned on it) and when it ends, with
 * its time, the process's resident memory before and after it, and its outcome; a defect's input
 * bytes go with its report.
 *
 *   node fuzz/child.ts <decoder> <seed> <from> <to> <fixtures folder>
 * @module
 */
import { makeDecoders } from "./decoders.ts"
import { randFor } from "./mutate.ts"

/** A message to the parent. */
export type ChildMessage =
  | { readonly type: "ready"; readonly rss: number }
  | { readonly type: "start"; readonly index: number; readonly how: string }
  | {
      readonly type: "done"
      readonly index: number
      readonly ms: number
      /** The process's resident memory when the input started and when it ended. */
      readonly rssBefore: number
      readonly rss: number
      readonly outcome: string
      readonly defect?: { readonly message: string; readonly bytes: string }
    }

const [decoderName = "", seedText = "1", fromText = "0", toText = "0", fixtures = ""] = process.argv.slice(2)
const send = (message: ChildMessage) =>
  new Promise<void>((resolve) => {
    if (process.send === undefined) resolve()
    else process.send(message, () => resolve())
  })
const collect = (globalThis as { readonly gc?: () => void }).gc

const { decoders, dispose } = await makeDecoders(fixtures)
const decoder = decoders.find((candidate) => candidate.name === decoderName)
if (decoder === undefined) throw new Error(`no decoder ${decoderName}: ${decoders.map((d) => d.name).join(", ")}`)
collect?.()
await send({ type: "ready", rss: process.memoryUsage().rss })
for (let index = Number(fromText); index < Number(toText); index++) {
  const input = decoder.input(randFor(Number(seedText), index))
  await send({ type: "start", index, how: input.how })
  const rssBefore = process.memoryUsage().rss
  const started = performance.now()
  const outcome = await input.run()
  const ms = performance.now() - started
  const label = outcome.kind === "typed" ? `typed ${outcome.tag}` : outcome.kind
  await send({
    type: "done",
    index,
    ms,
    rssBefore,
    rss: process.memoryUsage().rss,
    outcome: label,
    ...(outcome.kind === "defect" ? { defect: { message: outcome.message, bytes: Buffer.from(input.bytes).toString("base64") } } : {})
  })
  // Garbage of earlier inputs must not count as the next one's growth.
  if (index % 10 === 9) collect?.()
}
await dispose()
process.exit(0)
