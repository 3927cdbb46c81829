/**
 * Imports in chunks, in the calling thread and with `ImportWorkers.layer` (worker threads), on the
 * memory store, SQLite and PGlite: the worker stores the same rows; a refused record is reported as
 * the first problem in input order whatever chunk it is in, also when the chunk before is still
 * being written; a pyramid read in chunks is read chunk by chunk, never as a whole.
 */
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Effect, Exit, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  Accounts,
  Actor,
  CurrentActor,
  type DataSourceId,
  ImportEncoder,
  type ImportEncoderService,
  importPyramid,
  type PyramidImports,
  importRecords,
  type EncodedChunk,
  type EncodeRequest,
  inThreadImportEncoder,
  MemoryStore,
  OrgUnitModel,
  type PyramidInput,
  type PyramidSource,
  type PyramidUnit,
  samplePyramid,
  Sources,
  type Store
} from "../src/index.ts"
import { IasoWithRepos, Repos } from "../src/kernel/index.ts"
import { ImportWorkers } from "../src/node.ts"
import { listAll } from "../src/shared/repository.ts"
import { unitsByRef } from "../src/testing/index.ts"

const stores: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<Store, unknown> }> = [
  { name: "memory", layer: () => MemoryStore.layer() },
  { name: "SQLite", layer: () => SqliteStore.layer({ filename: ":memory:" }) },
  { name: "PGlite", layer: () => PGliteStore.layer({}) }
]

/** The first `count` units of the seeded 50k sample pyramid (parents first), a third of them in a group. */
const pyramidOf = (count: number): PyramidInput => {
  const units: Array<PyramidUnit> = []
  for (const unit of samplePyramid("50k", 7)) {
    if (units.length === count) break
    units.push({
      ref: unit.id,
      name: unit.name,
      parentRef: unit.parentId ?? null,
      type: { name: unit.type, depth: unit.depth },
      code: `C${units.length}`,
      ...(units.length % 3 === 0 ? { groupRefs: ["g1"] } : {}),
      ...(unit.location === undefined ? {} : { geometry: { type: "Point" as const, coordinates: [unit.location[0], unit.location[1]] } })
    })
  }
  return { groups: [{ ref: "g1", name: "Group one" }], units }
}

describe.each(stores)("imports in chunks on $name", ({ layer }) => {
  const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(layer())))
  const workers = ManagedRuntime.make(ImportWorkers.layer())
  let worker: ImportEncoderService
  let accountId: string
  let versionId: string
  let projectId: string
  let sources = 0
  const asSystem = <A, E>(effect: Effect.Effect<A, E, CurrentActor | Repos | Sources | PyramidImports>) =>
    app.runPromise(Effect.provideService(effect, CurrentActor, Actor.system(accountId as never)))
  const freshSource = () =>
    asSystem(
      Effect.gen(function* () {
        sources += 1
        const created = yield* Effect.flatMap(Effect.service(Sources), (s) =>
          s.createDataSource({ name: `Source ${sources}`, projectIds: [projectId as never] })
        )
        return created.id
      })
    )
  const unitsOf = (versionOfImport: string) =>
    asSystem(
      Effect.flatMap(Effect.service(Repos), (repos) =>
        listAll((page) => repos.list(OrgUnitModel, accountId, page), { where: [{ field: "versionId", op: "eq", value: versionOfImport }] })
      )
    )

  beforeAll(async () => {
    worker = await workers.runPromise(Effect.service(ImportEncoder))
    const setup = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `chunks ${Date.now()}` })))
    accountId = setup.account.id
    versionId = setup.version.id
    projectId = setup.project.id
  })
  afterAll(async () => {
    await workers.dispose()
    await app.dispose()
  })

  it("the worker encodes in a worker thread, and a pyramid imported with it stores the same units as one imported in the calling thread", async () => {
    expect([inThreadImportEncoder.kind, worker.kind]).toEqual(["in-thread", "worker"])
    const input = pyramidOf(4500)
    const run = async (encoder: ImportEncoderService, dataSourceId: DataSourceId) => {
      const result = await asSystem(Effect.provideService(importPyramid(input, { dataSourceId, source: "TEST" }), ImportEncoder, encoder))
      return { result, units: unitsByRef(await unitsOf(result.version.id)) }
    }
    const inThread = await run(inThreadImportEncoder, (await freshSource()) as DataSourceId)
    const inWorker = await run(worker, (await freshSource()) as DataSourceId)
    expect([inThread.result.created, inWorker.result.created, inThread.units.length]).toEqual([4500, 4500, 4500])
    expect(inWorker.units).toEqual(inThread.units)
    expect(inWorker.units[0]).toEqual(inThread.units[0])
  })

  /** `count` new units of the version, the `bad`-th with an empty name. */
  const records = (count: number, bad: number) =>
    Array.from({ length: count }, (_, i) => ({
      name: i === bad ? "" : `Unit ${i}`,
      versionId,
      validationStatus: "NEW" as const,
      custom: false,
      extraFields: {},
      code: "",
      path: `p${i}/`,
      depth: 1
    }))

  for (const encoderName of ["in-thread", "worker"] as const) {
    const encoder = () => (encoderName === "worker" ? worker : inThreadImportEncoder)

    it(`${encoderName}: the first refused record in input order is reported when it is in a later chunk, and nothing is stored`, async () => {
      const before = (await unitsOf(versionId)).length
      const exit = await app.runPromiseExit(
        Effect.provideService(importRecords(OrgUnitModel, accountId, records(1000, 730), { chunkSize: 200 }), ImportEncoder, encoder())
      )
      expect(Exit.isFailure(exit) ? JSON.parse(JSON.stringify(exit.cause)).reasons[0].error : undefined).toEqual({
        _tag: "ValidationError",
        message: 'record 730: must not be empty or blank\n  at ["name"]',
        issues: [{ path: [730, "name"], message: "must not be empty or blank" }]
      })
      expect((await unitsOf(versionId)).length).toBe(before)
    })

    it(`${encoderName}: a chunk still being written reports its own error before the refused record of the chunk after it`, async () => {
      const taken = await app.runPromise(importRecords(OrgUnitModel, accountId, records(1, -1)))
      expect(taken).toBe(1)
      const stored = await unitsOf(versionId)
      const id = stored[stored.length - 1]?.id
      // Chunk 1 (records 200-399) re-uses a stored id: its write fails while chunk 2, whose record
      // 450 is refused, is being encoded (and, in the worker, already answered).
      const input = records(600, 450).map((record, i) => (i === 250 ? { ...record, id } : record))
      const exit = await app.runPromiseExit(Effect.provideService(importRecords(OrgUnitModel, accountId, input, { chunkSize: 200 }), ImportEncoder, encoder()))
      expect(Exit.isFailure(exit) ? JSON.parse(JSON.stringify(exit.cause)).reasons[0].error : undefined).toEqual({
        _tag: "AlreadyExists",
        model: "OrgUnit",
        constraint: "id",
        message: `OrgUnit ${id} already exists`
      })
      expect((await unitsOf(versionId)).length).toBe(stored.length)
    })
  }

  it("in-thread, a chunk encoded in slices gives the rows of one encoded at once, and its first refused record by its index in the chunk", async () => {
    const inputs = records(1000, -1).map((record, i) => (i % 2 === 0 ? { id: `00000000-0000-7000-8000-${String(i).padStart(12, "0")}`, ...record } : record))
    const encode = (request: Partial<EncodeRequest>) =>
      Effect.runPromise(inThreadImportEncoder.encode(OrgUnitModel, { model: "OrgUnit", accountId, at: 1_700_000_000_000, inputs, values: false, ...request }))
    const whole = await encode({})
    const sliced = await encode({ slice: 250 })
    const strip = (chunk: EncodedChunk) => (chunk._tag === "Encoded" ? { made: chunk.made, rows: chunk.rows.map(({ id: _, ...row }) => row) } : chunk)
    expect(sliced._tag === "Encoded" ? [sliced.rows.length, sliced.made.length, sliced.made[0], sliced.made[499]] : sliced).toEqual([1000, 500, 1, 999])
    expect(strip(sliced)).toEqual(strip(whole))
    // Records 610 and 900 refused.
    const refused = await encode({ slice: 250, inputs: inputs.map((input, i) => (i === 610 || i === 900 ? { ...input, name: " " } : input)) })
    expect(refused._tag === "Refused" ? [refused.index, refused.error.message] : refused).toEqual([610, 'must not be empty or blank\n  at ["name"]'])
  })

  it("a pyramid read in chunks is read chunk by chunk (three reads: references, validation, writes) and stores every unit", async () => {
    const input = pyramidOf(5000)
    const chunks: Array<number> = []
    const source: PyramidSource = {
      groups: input.groups,
      readUnits: (each) =>
        Effect.gen(function* () {
          for (let start = 0; start < input.units.length; start += 700) {
            const chunk = input.units.slice(start, start + 700)
            chunks.push(chunk.length)
            yield* each(chunk)
          }
        })
    }
    const result = await asSystem(importPyramid(source, { dataSourceId: (await freshSource()) as DataSourceId, source: "TEST" }))
    expect([result.created, chunks.length, Math.max(...chunks), (await unitsOf(result.version.id)).length]).toEqual([5000, 24, 700, 5000])
  })
})
