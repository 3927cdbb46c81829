/**
 * The browser side of bench/sync-indexeddb.ts (bundled with esbuild, run in headless Chromium):
 * a device on `IndexedDbStore` (relaxed durability) pulls its whole scope through
 * `httpSyncTransport` from the page's own origin, then the very records the SDK stored are read
 * back (not timed) and put with raw `idb` into a second database whose object store the SDK
 * created (same key path, same indexes), in one relaxed transaction.
 */
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { AccountId, Actor, createIaso, httpSyncTransport, OrgUnitId, type Permission, SyncClient, UserId } from "@iaso/core"
import { Effect, ManagedRuntime } from "effect"
import { openDB } from "idb"

/** What the page is given: the server's sync base, the device's user and what it must end with. */
export interface SyncIdbOptions {
  readonly baseUrl: string
  readonly accountId: string
  readonly userId: string
  readonly rootId: string
  readonly permissions: ReadonlyArray<string>
  readonly projectId: string
  readonly pageSize: number
  /** Units the device must hold after the pull. */
  readonly expected: number
}

/** What the page measured (milliseconds). */
export interface SyncIdbFigures {
  readonly units: number
  readonly pages: number
  readonly pullSdk: number
  readonly loadRaw: number
  readonly heapMb: number
}

let heap = 0
const sampleHeap = () => {
  const memory = (performance as { readonly memory?: { readonly usedJSHeapSize: number } }).memory
  if (memory !== undefined) heap = Math.max(heap, memory.usedJSHeapSize)
}

const run = async (options: SyncIdbOptions): Promise<SyncIdbFigures> => {
  const stamp = Date.now()
  const sdkName = `sync-sdk-${stamp}`
  const rawName = `sync-raw-${stamp}`
  const actor = Actor.user({
    accountId: AccountId.make(options.accountId),
    userId: UserId.make(options.userId),
    permissions: options.permissions as ReadonlyArray<Permission>,
    orgUnitRoots: [OrgUnitId.make(options.rootId)]
  })
  const iaso = createIaso({ store: IndexedDbStore.layer({ name: sdkName, durability: "relaxed" }) })
  const transport = httpSyncTransport({ baseUrl: options.baseUrl, headers: { "x-bench-actor": options.userId } })
  const start = performance.now()
  const report = await iaso
    .as(actor)
    .run(Effect.flatMap(Effect.service(SyncClient), (sync) => sync.pull(transport, { projectId: options.projectId, pageSize: options.pageSize })))
  const pullSdk = performance.now() - start
  sampleHeap()
  await iaso.dispose()

  // The records the SDK stored (not timed), put raw into a database of the same shape.
  const creating = ManagedRuntime.make(IndexedDbStore.layer({ name: rawName }))
  await creating.runPromise(Effect.void)
  await creating.dispose()
  const stored = await openDB(sdkName)
  const records = await stored.getAll("OrgUnit")
  stored.close()
  if (records.length !== options.expected) throw new Error(`the device holds ${records.length} units, expected ${options.expected}`)
  sampleHeap()
  const raw = await openDB(rawName)
  const rawStart = performance.now()
  const tx = raw.transaction("OrgUnit", "readwrite", { durability: "relaxed" })
  for (const record of records) void tx.store.put(record)
  await tx.done
  const loadRaw = performance.now() - rawStart
  if ((await raw.count("OrgUnit")) !== records.length) throw new Error("the raw load stored another number of units")
  raw.close()
  sampleHeap()
  return { units: records.length, pages: report.pages, pullSdk, loadRaw, heapMb: Math.round(heap / 2 ** 20) }
}

;(globalThis as { iasoSyncBench?: unknown }).iasoSyncBench = { run }
