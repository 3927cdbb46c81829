/**
 * A worker thread of bench/sync-load.ts: runs its share of simulated devices concurrently, each
 * on a memory store with its own SDK, talking to the server through `httpSyncTransport` over the
 * real `fetch`. The main thread drives the phases (`pull`, `prepare`, `push`) so every device of
 * every worker is in the same phase; request latencies are timed around `fetch`, body read included.
 */
import { parentPort, workerData } from "node:worker_threads"
import { Actor, AccountId, createIaso, FormId, httpSyncTransport, type IasoClient, MemoryStore, OrgUnitId, SyncClient, UserId } from "@iaso/core"
import { Effect } from "effect"

/** One simulated device. */
export interface DeviceSpec {
  readonly userId: string
  readonly districtId: string
  readonly districtPath: string
  /** Its submissions: uuid, XML, the facility, the photo. */
  readonly submissions: ReadonlyArray<{ readonly uuid: string; readonly xml: string; readonly orgUnitId: string; readonly photo: Uint8Array }>
}

/** What the main thread gives a worker. */
export interface WorkerInput {
  readonly baseUrl: string
  readonly accountId: string
  readonly projectId: string
  readonly formId: string
  readonly permissions: ReadonlyArray<string>
  readonly pageSize: number
  readonly pushBatch: number
  /** Every `resendEvery`-th submission is enqueued and pushed a second time. */
  readonly resendEvery: number
  readonly devices: ReadonlyArray<DeviceSpec>
}

/** A phase's answer. */
export interface PhaseResult {
  readonly phase: string
  /** Latencies (ms) of the requests of the phase, by route. */
  readonly latencies: Record<string, ReadonlyArray<number>>
  readonly pulls: number
  readonly pages: number
  readonly written: number
  /** Units each device held after its pull, and those outside its district. */
  readonly held: ReadonlyArray<number>
  readonly outside: number
  readonly applied: number
  readonly unchanged: number
  readonly rejected: number
  readonly errors: ReadonlyArray<string>
}

const input = workerData as WorkerInput
const port = parentPort
if (port === null) throw new Error("sync-load-worker runs as a worker thread")

let latencies: Record<string, Array<number>> = {}
const timedFetch: typeof fetch = async (url, init) => {
  const start = performance.now()
  const response = await fetch(url, init)
  const body = await response.text()
  const route = String(url).split("/").pop() ?? "?"
  const list = latencies[route] ?? []
  list.push(performance.now() - start)
  latencies[route] = list
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
}

const devices = input.devices.map((spec) => {
  const actor = Actor.user({
    accountId: AccountId.make(input.accountId),
    userId: UserId.make(spec.userId),
    permissions: input.permissions as never,
    orgUnitRoots: [OrgUnitId.make(spec.districtId)]
  })
  const iaso: IasoClient = createIaso({ store: MemoryStore.layer() })
  const transport = httpSyncTransport({ baseUrl: input.baseUrl, fetch: timedFetch, headers: { "x-bench-actor": spec.userId } })
  return { spec, actor, iaso, transport }
})

const client = Effect.service(SyncClient)

const empty = (phase: string): { -readonly [K in keyof PhaseResult]: PhaseResult[K] } => ({
  phase,
  latencies: {},
  pulls: 0,
  pages: 0,
  written: 0,
  held: [],
  outside: 0,
  applied: 0,
  unchanged: 0,
  rejected: 0,
  errors: []
})

const pullPhase = async () => {
  const result = empty("pull")
  await Promise.all(
    devices.map(async (device) => {
      try {
        const report = await device.iaso
          .as(device.actor)
          .run(Effect.flatMap(client, (sync) => sync.pull(device.transport, { projectId: input.projectId, pageSize: input.pageSize })))
        result.pulls += 1
        result.pages += report.pages
        result.written += report.written
      } catch (error) {
        ;(result.errors as Array<string>).push(`pull ${device.spec.userId}: ${String((error as { message?: unknown }).message ?? error)}`)
      }
    })
  )
  return result
}

/** Checks what each device holds (every unit under its district), then fills its outbox. */
const preparePhase = async () => {
  const result = empty("prepare")
  const held: Array<number> = []
  for (const device of devices) {
    // Read as the account's system actor: the device's own actor would only see its roots anyway.
    const system = device.iaso.as(Actor.system(AccountId.make(input.accountId)))
    const units = await system.orgUnits.search({ limit: 10_000, select: ["path"] })
    held.push(units.items.length)
    result.outside += units.items.filter((unit) => !String(unit.path).startsWith(device.spec.districtPath)).length
    const onDevice = device.iaso.as(device.actor)
    for (const submission of device.spec.submissions)
      await onDevice.run(
        Effect.flatMap(client, (sync) =>
          sync.enqueue({
            kind: "submission",
            submission: {
              formId: FormId.make(input.formId),
              xml: submission.xml,
              orgUnitId: OrgUnitId.make(submission.orgUnitId),
              uuid: submission.uuid,
              createdAt: Date.UTC(2026, 11, 7),
              attachments: [{ name: "photo.jpg", mediaType: "image/jpeg", bytes: submission.photo }]
            }
          })
        )
      )
  }
  result.held = held
  return result
}

const pushPhase = async () => {
  const result = empty("push")
  await Promise.all(
    devices.map(async (device) => {
      try {
        const onDevice = device.iaso.as(device.actor)
        const first = await onDevice.run(Effect.flatMap(client, (sync) => sync.push(device.transport, { pushBatch: input.pushBatch })))
        // Re-sent: the same submissions enqueued again (an answer lost on the way back), pushed again.
        for (const [n, submission] of device.spec.submissions.entries())
          if (n % input.resendEvery === 0)
            await onDevice.run(
              Effect.flatMap(client, (sync) =>
                sync.enqueue({
                  kind: "submission",
                  submission: {
                    formId: FormId.make(input.formId),
                    xml: submission.xml,
                    orgUnitId: OrgUnitId.make(submission.orgUnitId),
                    uuid: submission.uuid,
                    createdAt: Date.UTC(2026, 11, 7),
                    attachments: [{ name: "photo.jpg", mediaType: "image/jpeg", bytes: submission.photo }]
                  }
                })
              )
            )
        const again = await onDevice.run(Effect.flatMap(client, (sync) => sync.push(device.transport, { pushBatch: input.pushBatch })))
        result.applied += first.applied + again.applied
        result.unchanged += first.unchanged + again.unchanged
        result.rejected += first.rejected.length + again.rejected.length
        for (const item of [...first.rejected, ...again.rejected])
          (result.errors as Array<string>).push(`rejected: ${item.rejection?.tag}: ${item.rejection?.message}`)
      } catch (error) {
        ;(result.errors as Array<string>).push(`push ${device.spec.userId}: ${String((error as { message?: unknown }).message ?? error)}`)
      }
    })
  )
  return result
}

port.on("message", (phase: string) => {
  latencies = {}
  const run = phase === "pull" ? pullPhase : phase === "prepare" ? preparePhase : phase === "push" ? pushPhase : undefined
  if (run === undefined) {
    void Promise.all(devices.map((device) => device.iaso.dispose())).then(() => port.close())
    return
  }
  run().then(
    (result) => port.postMessage({ ...result, latencies }),
    (error: unknown) => port.postMessage({ ...empty(phase), errors: [`${phase}: ${String(error)}`] })
  )
})
port.postMessage({ ...empty("ready") })
