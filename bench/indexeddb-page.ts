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
import { Accounts, Actor, CurrentActor, Iaso, type OrgUnit, OrgUnitModel, OrgUnits, Repos } from "@iaso/core"
import { Dexie } from "dexie"
import { Effect, Layer, ManagedRuntime } from "effect"
import { openDB } from "idb"
import { generatePyramid, type PyramidSize } from "./pyramid.ts"

/** What the page measured (milliseconds). */
export interface IndexedDbFigures {
  readonly units: number
  readonly importSdk: number
  readonly importRaw: number
  readonly importDexie: number
  readonly descendants: number
  readonly descendantsSdk: number
  readonly descendantsRaw: number
  readonly heapMb: number
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

let heap = 0
const sampleHeap = () => {
  const memory = (performance as { readonly memory?: { readonly usedJSHeapSize: number } }).memory
  if (memory !== undefined) heap = Math.max(heap, memory.usedJSHeapSize)
}

/** Reads every stored record and the index key paths of an object store (raw IndexedDB). */
const storedShape = (name: string, store: string) =>
  new Promise<{ readonly records: ReadonlyArray<unknown>; readonly indexes: ReadonlyArray<{ readonly name: string; readonly keyPath: string | ReadonlyArray<string>; readonly unique: boolean }> }>(
    (resolve, reject) => {
      const request = indexedDB.open(name)
      request.onerror = () => reject(request.error)
      request.onsuccess = () => {
        const db = request.result
        const tx = db.transaction([store], "readonly")
        const objects = tx.objectStore(store)
        const indexes = [...objects.indexNames].map((index) => {
          const found = objects.index(index)
          return { name: index, keyPath: found.keyPath, unique: found.unique }
        })
        const all = objects.getAll()
        all.onerror = () => reject(all.error)
        all.onsuccess = () => {
          db.close()
          resolve({ records: all.result, indexes })
        }
      }
    }
  )

const run = async (options: { readonly size: PyramidSize; readonly repeats: number }): Promise<IndexedDbFigures> => {
  const units = [...generatePyramid(options.size)]
  const district = units.find((unit) => unit.depth === 3)
  if (district === undefined) throw new Error("no district")
  const stamp = Date.now()

  // The SDK's import path.
  const app = ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(IndexedDbStore.layer({ name: `bench-sdk-${stamp}`, durability: "relaxed" }))))
  const { account, version } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `bench ${stamp}` })))
  const records = units.map((unit) => ({
    id: unit.id,
    name: unit.name,
    versionId: version.id,
    validationStatus: "VALID" as const,
    custom: false,
    extraFields: {},
    code: "",
    path: unit.path,
    depth: unit.depth,
    ...(unit.parentId === undefined ? {} : { parentId: unit.parentId }),
    ...(unit.location === undefined ? {} : { location: { type: "Point" as const, coordinates: [unit.location[0], unit.location[1]] as [number, number] } })
  }))
  sampleHeap()
  const importStart = performance.now()
  await app.runPromise(
    Effect.gen(function* () {
      const repos = yield* Repos
      yield* repos.driver.transaction(
        Effect.forEach(
          Array.from({ length: Math.ceil(records.length / 5000) }, (_, i) => records.slice(i * 5000, (i + 1) * 5000)),
          (batch) => repos.insertMany(OrgUnitModel, account.id, batch, { atomic: true }),
          { discard: true }
        )
      )
    })
  )
  const importSdk = performance.now() - importStart
  sampleHeap()

  // The same stored records, raw, into the same object store shape (made by the SDK).
  const shape = await storedShape(`bench-sdk-${stamp}`, "OrgUnit")
  if (shape.records.length !== units.length) throw new Error(`the SDK stored ${shape.records.length} units, not ${units.length}`)
  const creating = ManagedRuntime.make(IndexedDbStore.layer({ name: `bench-raw-${stamp}` }))
  await creating.runPromise(Effect.void)
  await creating.dispose()
  const raw = await openDB(`bench-raw-${stamp}`)
  const rawStart = performance.now()
  const tx = raw.transaction("OrgUnit", "readwrite", { durability: "relaxed" })
  for (const record of shape.records) void tx.store.put(record)
  await tx.done
  const importRaw = performance.now() - rawStart
  sampleHeap()

  // Dexie 4, the same key paths.
  const keyPathOf = (keyPath: string | ReadonlyArray<string>) => (typeof keyPath === "string" ? keyPath : `[${keyPath.join("+")}]`)
  const schema = ["r.id", ...shape.indexes.map((index) => `${index.unique ? "&" : ""}${keyPathOf(index.keyPath)}`)].join(", ")
  const dexie = new Dexie(`bench-dexie-${stamp}`, { chromeTransactionDurability: "relaxed" })
  dexie.version(1).stores({ OrgUnit: schema })
  await dexie.open()
  const dexieStart = performance.now()
  await dexie.table("OrgUnit").bulkPut(shape.records as Array<unknown>)
  const importDexie = performance.now() - dexieStart
  if ((await dexie.table("OrgUnit").count()) !== units.length) throw new Error("Dexie stored another number of units")
  dexie.close()
  sampleHeap()

  // Descendants of one district: the SDK's listing beside a key range on the path index.
  const pathIndex = shape.indexes.find((index) => Array.isArray(index.keyPath) && index.keyPath.length === 2 && index.keyPath[1] === "r.path")
  if (pathIndex === undefined) throw new Error("no [accountId, path] index")
  const upper = `${district.path.slice(0, -1)}0`
  const sdkTimes: Array<number> = []
  const rawTimes: Array<number> = []
  let sdkCount = 0
  let rawCount = 0
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
    const found = (await raw.getAllFromIndex("OrgUnit", pathIndex.name, IDBKeyRange.bound([account.id, district.path], [account.id, upper], false, true))) as ReadonlyArray<{
      readonly r: { readonly path: string; readonly id: string; readonly name: string }
    }>
    const rows = found.filter((record) => record.r.path !== district.path).map((record) => ({ id: record.r.id, name: record.r.name }))
    rawTimes.push(performance.now() - start)
    rawCount = rows.length
  }
  if (sdkCount !== rawCount) throw new Error(`descendants: the SDK returned ${sdkCount} units, the raw range ${rawCount}`)
  sampleHeap()
  raw.close()
  await app.dispose()
  return {
    units: units.length,
    importSdk,
    importRaw,
    importDexie,
    descendants: sdkCount,
    descendantsSdk: median(sdkTimes),
    descendantsRaw: median(rawTimes),
    heapMb: Math.round(heap / 2 ** 20)
  }
}

;(globalThis as { iasoBench?: unknown }).iasoBench = { run }
