/**
 * The browser side of the IndexedDB benchmark (bundled by bench/indexeddb.ts and run in headless
 * Chromium): the pyramid imported through the SDK's import path (`insertMany`, atomic, in batches
 * of 5,000, in one unit of work) into an IndexedDB store, beside raw `idb` puts of the same stored
 * records into a second database with the same object store (created by the SDK: same key path,
 * same indexes), beside Dexie 4 `bulkPut` of the same records into a third database declaring the
 * same key paths; then the descendants of one district, SDK beside a raw key-range `getAll` on the
 * path index. Every write uses relaxed durability (the SDK through its layer option).
 */
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { Accounts, Actor, CurrentActor, type OrgUnit, OrgUnits } from "@iaso/core"
import { IasoWithRepos } from "@iaso/core/kernel"
import { Dexie } from "dexie"
import { Effect, Layer, ManagedRuntime } from "effect"
import { openDB } from "idb"
import { type GeneratedUnit, generatePyramid, importRecordOf, importUnits, type PyramidSize } from "./pyramid.ts"

/** What the page asks for: the pyramid, the repeats of the read, and the import's unit of work. */
export interface IndexedDbOptions {
  readonly size: PyramidSize
  readonly repeats: number
  /**
   * Units per unit of work of the imports (SDK: one transaction of `insertMany` batches of 5,000
   * each; raw idb: one transaction each; Dexie: one `bulkPut` each); absent: the whole pyramid in one.
   */
  readonly chunk?: number
}

/** What the page measured (milliseconds). */
export interface IndexedDbFigures {
  readonly units: number
  /** Units of work of each import (1: the whole pyramid in one transaction). */
  readonly transactions: number
  readonly importSdk: number
  readonly importRaw: number
  readonly importDexie: number
  readonly descendants: number
  readonly descendantsSdk: number
  readonly descendantsRaw: number
  /** Units rewritten by the move (the moved region and its subtree). */
  readonly moved: number
  readonly moveSdk: number
  readonly moveRaw: number
  readonly heapMb: number
}

interface IndexInfo {
  readonly name: string
  readonly keyPath: string | ReadonlyArray<string>
  readonly unique: boolean
}

/** A stored record as far as the raw baselines touch it (the adapter's `{ r, s, u?, k? }`). */
interface StoredUnit {
  readonly r: { readonly id: string; readonly name: string; path: string; depth: number; version: number; updatedAt: number; parentId?: string }
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

let heap = 0
const sampleHeap = () => {
  const memory = (performance as { readonly memory?: { readonly usedJSHeapSize: number } }).memory
  if (memory !== undefined) heap = Math.max(heap, memory.usedJSHeapSize)
}

/** The index key paths of an object store (raw IndexedDB). */
const indexesOf = (name: string, store: string) =>
  new Promise<ReadonlyArray<IndexInfo>>((resolve, reject) => {
    const request = indexedDB.open(name)
    request.onerror = () => reject(request.error)
    request.onsuccess = () => {
      const db = request.result
      const objects = db.transaction([store], "readonly").objectStore(store)
      const indexes = [...objects.indexNames].map((index) => {
        const found = objects.index(index)
        return { name: index, keyPath: found.keyPath, unique: found.unique }
      })
      db.close()
      resolve(indexes)
    }
  })

const run = async (options: IndexedDbOptions): Promise<IndexedDbFigures> => {
  const stamp = Date.now()
  const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(IndexedDbStore.layer({ name: `bench-sdk-${stamp}`, durability: "relaxed" }))))
  const { account, version } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `bench ${stamp}` })))
  // The SDK's import path, in units of work of `chunk` units (the pyramid is generated chunk by
  // chunk, so that a large one is never held whole in the page; generating is not timed).
  const chunk = options.chunk ?? Number.POSITIVE_INFINITY
  let count = 0
  let transactions = 0
  let importSdk = 0
  let district: GeneratedUnit | undefined
  const regions: Array<GeneratedUnit> = []
  const importChunk = async (units: ReadonlyArray<GeneratedUnit>) => {
    const records = units.map((unit) => importRecordOf(unit, version.id))
    sampleHeap()
    const start = performance.now()
    await app.runPromise(importUnits(account.id, records))
    importSdk += performance.now() - start
    transactions += 1
    sampleHeap()
    if (Number.isFinite(chunk)) console.log(`SDK import: ${count} units, ${Math.round(importSdk)} ms`)
  }
  let pending: Array<GeneratedUnit> = []
  for (const unit of generatePyramid(options.size)) {
    count += 1
    if (unit.depth === 2) regions.push(unit)
    if (unit.depth === 3 && district === undefined) district = unit
    pending.push(unit)
    if (pending.length >= chunk) {
      await importChunk(pending)
      pending = []
    }
  }
  if (pending.length > 0) await importChunk(pending)
  pending = []
  const moving = regions[0]
  const destination = regions[1]
  if (district === undefined || moving === undefined || destination === undefined) throw new Error("the pyramid has no district or fewer than two regions")

  // The very records the SDK stored, raw (idb puts into a second database whose object store the
  // SDK created: same key path, same indexes) and through Dexie 4 (bulkPut into a third database
  // declaring the same key paths), read back from the SDK's database in pages of `chunk` (not timed).
  const indexes = await indexesOf(`bench-sdk-${stamp}`, "OrgUnit")
  const creating = ManagedRuntime.make(IndexedDbStore.layer({ name: `bench-raw-${stamp}` }))
  await creating.runPromise(Effect.void)
  await creating.dispose()
  const raw = await openDB(`bench-raw-${stamp}`)
  const keyPathOf = (keyPath: string | ReadonlyArray<string>) => (typeof keyPath === "string" ? keyPath : `[${keyPath.join("+")}]`)
  const schema = ["r.id", ...indexes.map((index) => `${index.unique ? "&" : ""}${keyPathOf(index.keyPath)}`)].join(", ")
  const dexie = new Dexie(`bench-dexie-${stamp}`, { chromeTransactionDurability: "relaxed" })
  dexie.version(1).stores({ OrgUnit: schema })
  await dexie.open()
  const stored = await openDB(`bench-sdk-${stamp}`)
  let rawCount = 0
  let importRaw = 0
  let importDexie = 0
  const putPage = async (page: ReadonlyArray<StoredUnit>) => {
    const rawStart = performance.now()
    const tx = raw.transaction("OrgUnit", "readwrite", { durability: "relaxed" })
    for (const record of page) void tx.store.put(record)
    await tx.done
    importRaw += performance.now() - rawStart
    const dexieStart = performance.now()
    await dexie.table("OrgUnit").bulkPut(page as Array<StoredUnit>)
    importDexie += performance.now() - dexieStart
    rawCount += page.length
    sampleHeap()
    if (Number.isFinite(chunk)) console.log(`raw and Dexie imports: ${rawCount} units, ${Math.round(importRaw)} ms and ${Math.round(importDexie)} ms`)
  }
  // Pages of `chunk` (one page: the whole pyramid): read one (not timed), put it both ways, read the next.
  let after: string | undefined
  for (;;) {
    const range = after === undefined ? undefined : IDBKeyRange.lowerBound(after, true)
    const page = (await stored.getAll("OrgUnit", range, Number.isFinite(chunk) ? chunk : undefined)) as ReadonlyArray<StoredUnit>
    if (page.length === 0) break
    after = page[page.length - 1]?.r.id
    await putPage(page)
    if (!Number.isFinite(chunk)) break
  }
  stored.close()
  if (rawCount !== count) throw new Error(`the SDK stored ${rawCount} units, not ${count}`)
  if ((await dexie.table("OrgUnit").count()) !== count) throw new Error("Dexie stored another number of units")
  dexie.close()
  sampleHeap()

  // Descendants of one district: the SDK's listing beside a key range on the path index.
  const pathIndex = indexes.find((index) => Array.isArray(index.keyPath) && index.keyPath.length === 2 && index.keyPath[1] === "r.path")
  if (pathIndex === undefined) throw new Error("no [accountId, path] index")
  const below = (path: string) => IDBKeyRange.bound([account.id, path], [account.id, `${path.slice(0, -1)}0`], false, true)
  const sdkTimes: Array<number> = []
  const rawTimes: Array<number> = []
  let sdkCount = 0
  let rangeCount = 0
  for (let i = 0; i < options.repeats; i++) {
    const sdkStart = performance.now()
    const page = await app.runPromise(
      Effect.flatMap(Effect.service(OrgUnits), (u) => u.descendants(district.id as OrgUnit["id"], { select: ["name"], limit: 10_000 })).pipe(
        Effect.provideService(CurrentActor, Actor.system(account.id))
      )
    )
    sdkTimes.push(performance.now() - sdkStart)
    sdkCount = page.items.length
    const start = performance.now()
    const found = (await raw.getAllFromIndex("OrgUnit", pathIndex.name, below(district.path))) as ReadonlyArray<StoredUnit>
    const rows = found.filter((record) => record.r.path !== district.path).map((record) => ({ id: record.r.id, name: record.r.name }))
    rawTimes.push(performance.now() - start)
    rangeCount = rows.length
  }
  if (sdkCount !== rangeCount) throw new Error(`descendants: the SDK returned ${sdkCount} units, the raw range ${rangeCount}`)
  sampleHeap()

  // Move the first region (with its districts, areas and facilities) under the second: the SDK's
  // move beside a raw rewrite of the subtree's paths and depths (and versions, timestamps, the
  // moved unit's parent) in one readwrite transaction over the same path index range.
  const moveStart = performance.now()
  const moved = await app.runPromise(
    Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(moving.id as OrgUnit["id"], destination.id as OrgUnit["id"])).pipe(
      Effect.provideService(CurrentActor, Actor.system(account.id))
    )
  )
  const moveSdk = performance.now() - moveStart
  const to = `${destination.path}${moving.id}/`
  if (moved.path !== to || moved.depth !== destination.depth + 1) throw new Error(`the SDK moved the region to ${moved.path} at depth ${moved.depth}`)
  const rawMoveStart = performance.now()
  const moveTx = raw.transaction("OrgUnit", "readwrite", { durability: "relaxed" })
  const subtree = (await moveTx.store.index(pathIndex.name).getAll(below(moving.path))) as Array<StoredUnit>
  const updatedAt = Date.now()
  const depthDelta = destination.depth + 1 - moving.depth
  for (const record of subtree) {
    const r = record.r
    r.path = to + r.path.slice(moving.path.length)
    r.depth += depthDelta
    r.version += 1
    r.updatedAt = updatedAt
    if (r.id === moving.id) r.parentId = destination.id
    void moveTx.store.put(record)
  }
  await moveTx.done
  const moveRaw = performance.now() - rawMoveStart
  sampleHeap()
  const levels = await app.runPromise(
    Effect.flatMap(Effect.service(OrgUnits), (u) => u.countsPerLevel({ rootId: moved.id })).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
  )
  const sdkMoved = levels.reduce((sum, level) => sum + level.count, 0)
  if (sdkMoved !== subtree.length) throw new Error(`move: the SDK's moved subtree has ${sdkMoved} units, the raw rewrite changed ${subtree.length}`)
  raw.close()
  await app.dispose()
  return {
    units: count,
    transactions,
    importSdk,
    importRaw,
    importDexie,
    descendants: sdkCount,
    descendantsSdk: median(sdkTimes),
    descendantsRaw: median(rawTimes),
    moved: subtree.length,
    moveSdk,
    moveRaw,
    heapMb: Math.round(heap / 2 ** 20)
  }
}

;(globalThis as { iasoBench?: unknown }).iasoBench = { run }
