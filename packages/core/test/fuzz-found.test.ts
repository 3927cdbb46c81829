/**
 * Regressions of inputs the fuzzer (`fuzz/`) found: each replays one defect's input through the
 * public API on the memory store and expects the typed refusal that replaced it.
 */
import {
  Accounts,
  Actor,
  answerSync,
  BlobStore,
  CurrentActor,
  EntityTypes,
  Forms,
  httpSyncTransport,
  Iaso,
  Instances,
  MemoryStore,
  OrgUnits,
  PERMISSIONS,
  promiseSyncTransport,
  Storages,
  SyncClient,
  Users,
  Workflows
} from "@iaso/core"
import { Effect, Exit, Layer } from "effect"
import { zipSync } from "fflate"
import { describe, expect, it } from "vitest"

const layer = Layer.mergeAll(Iaso.layer, BlobStore.memory()).pipe(Layer.provideMerge(MemoryStore.layer()))

/** The exit of `work` run as a user of a new account (with every permission). */
const asUser = <A, E, R>(work: Effect.Effect<A, E, R> | ((projectId: string) => Effect.Effect<A, E, R>)) =>
  Effect.runPromiseExit(
    Effect.gen(function* () {
      const setup = yield* Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.setup({ name: "Fuzz regressions" }))
      const made = yield* Effect.flatMap(Effect.service(Users), (users) => users.create({ username: "fuzzer", password: "fuzz-password-1" })).pipe(
        Effect.provideService(CurrentActor, Actor.system(setup.account.id))
      )
      return yield* Effect.provideService(
        typeof work === "function" ? (work as (projectId: string) => Effect.Effect<A, E, R>)(setup.project.id) : work,
        CurrentActor,
        Actor.user({ accountId: setup.account.id, userId: made.user.id, permissions: PERMISSIONS })
      )
    }).pipe(Effect.provide(layer)) as Effect.Effect<A, unknown>
  )

const failureOf = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons[0]
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(reason)}`)
  return reason.error as { readonly _tag: string; readonly message: string }
}

describe("fuzz regressions", () => {
  it("refuses storage logs that are not a list with a ValidationError (fuzz: storage-logs #96, seed 1)", async () => {
    for (const body of [{}, "", 0, true, null]) {
      const exit = await asUser(Effect.flatMap(Effect.service(Storages), (storages) => storages.importLogs(body as never)))
      expect(failureOf(exit)).toMatchObject({ _tag: "ValidationError", message: expect.stringContaining("expected a list of storage logs") })
    }
  })

  it("refuses a pulled page whose cursor the device cannot keep, before storage (fuzz: sync #179, seed 1)", async () => {
    for (const cursor of ["a\u0000b", "a\ud800", "c".repeat(1_001)]) {
      const transport = promiseSyncTransport({
        pull: async () => ({ changes: [], cursor, hasMore: false }),
        reconcile: async (request) => ({ model: request.model, remove: [], put: [] }),
        push: async () => ({ acks: [] })
      })
      const exit = await asUser(Effect.flatMap(Effect.service(SyncClient), (client) => client.pull(transport)))
      expect(failureOf(exit)).toMatchObject({ _tag: "ValidationError", message: expect.stringContaining("the server's pull page has a cursor") })
    }
  })

  it("refuses a pulled record nested past MAX_JSON_DEPTH with a ValidationError, also through a transport that does not decode", async () => {
    let deep: unknown = "leaf"
    for (let i = 0; i < 10_000; i++) deep = [deep]
    const transport = promiseSyncTransport({
      pull: async () => ({
        changes: [
          {
            op: "put",
            model: "OrgUnitType",
            id: "0193a8f0-7c1e-7b2a-9f00-5e2d1c3b4a59",
            version: 1,
            data: { id: "0193a8f0-7c1e-7b2a-9f00-5e2d1c3b4a59", name: deep } as never
          }
        ],
        cursor: "c",
        hasMore: false
      }),
      reconcile: async (request) => ({ model: request.model, remove: [], put: [] }),
      push: async () => ({ acks: [] })
    })
    const exit = await asUser(Effect.flatMap(Effect.service(SyncClient), (client) => client.pull(transport)))
    expect(failureOf(exit)).toMatchObject({ _tag: "ValidationError", message: expect.stringContaining("MAX_JSON_DEPTH") })
  })

  it("refuses a storage log without its time with a ValidationError (fuzz: storage-logs #231, seed 1)", async () => {
    const log = { id: "ff023d13-25fa-43c5-9717-5f427b929cb6", storageId: "BGJGcuxqgA==", storageType: "NFC", operationType: "RESET", instances: [] }
    for (const performedAt of [undefined, null, {}, [], true]) {
      const exit = await asUser(Effect.flatMap(Effect.service(Storages), (storages) => storages.importLogs([{ ...log, performedAt } as never])))
      expect(failureOf(exit)).toMatchObject({ _tag: "ValidationError", message: expect.stringContaining("expected a timestamp") })
    }
  })

  it("refuses a bulk upload whose JSON holds text storage refuses, at its place (fuzz: bulk-upload #216, seed 1)", async () => {
    for (const id of ["9dcb6991\u0000", "9dcb6991\ud800"]) {
      const orgUnits = JSON.stringify([{ id, name: "New Org Unit", time: 1712326428477 }])
      const bytes = zipSync({ "orgUnits.json": new TextEncoder().encode(orgUnits) })
      const exit = await asUser((projectId) =>
        Effect.flatMap(Effect.service(Instances), (instances) => instances.importMobileBulkUpload(bytes, { projectId: projectId as never }))
      )
      expect(failureOf(exit)).toMatchObject({ _tag: "ValidationError", issues: [{ path: ["orgUnits.json", 0, "id"] }] })
    }
  })

  it("refuses sync JSON nested thousands of levels deep instead of overflowing the stack (fuzz: sync #341, seed 1)", async () => {
    let deep: unknown = 1
    for (let i = 0; i < 10_000; i++) deep = { a: deep }
    // A device: the server's page holds a record whose data is that deep.
    // (Written by hand: JSON.stringify of it overflows a test worker's stack.)
    const text = `{"changes":[{"op":"put","model":"Form","id":"x","version":1,"data":{"deep":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}}],"cursor":"1","hasMore":false}`
    const fetch = async () => new Response(text, { status: 200 })
    const transport = httpSyncTransport({ baseUrl: "http://sync", fetch: fetch as unknown as typeof globalThis.fetch })
    const pulled = await asUser(Effect.flatMap(Effect.service(SyncClient), (client) => client.pull(transport)))
    expect(failureOf(pulled)).toMatchObject({ _tag: "SyncTransportError", retryable: false })
    // A server: a request that deep is a 400.
    const answered = await asUser(answerSync("reconcile", { model: "Form", held: [], deep }))
    expect(Exit.isSuccess(answered) && answered.value).toMatchObject({ status: 400, body: { _tag: "ValidationError" } })
  })

  it("imports a workflow version of 1,001 follow-ups in linear time (fuzz: workflow-import #202, seed 1)", async () => {
    const exit = await asUser((projectId) =>
      Effect.gen(function* () {
        const forms = yield* Forms
        const reference = yield* forms.create({ name: "Reference", projectIds: [projectId as never] })
        yield* forms.create({ name: "Follow-up", projectIds: [projectId as never] })
        yield* Effect.flatMap(Effect.service(EntityTypes), (types) => types.create({ name: "Patient", referenceFormId: reference.id, isActive: true }))
        const followUp = { order: 1, condition: { "==": [1, 1] }, forms: ["Follow-up"] }
        const payload = {
          uuid: "00000000-0000-4000-8000-000000000010",
          entityType: "Patient",
          versions: [
            {
              uuid: "00000000-0000-4000-8000-000000000011",
              name: "v1",
              status: "DRAFT",
              autoFirstStep: false,
              followUps: new Array(1_001).fill(followUp),
              changes: []
            }
          ]
        }
        const started = performance.now()
        const imported = yield* Effect.flatMap(Effect.service(Workflows), (workflows) => workflows.importWorkflow(payload))
        return { imported, ms: performance.now() - started }
      })
    )
    if (Exit.isFailure(exit)) throw new Error(String(exit.cause))
    expect(exit.value.imported.created).toBe(1)
    // It took 12 s when each follow-up read back all the version's follow-ups; about 0.5 s now.
    expect(exit.value.ms).toBeLessThan(4_000)
  })
})

describe("found beside the fuzzer", () => {
  it("a parentId of null from a JSON client creates a root, as an absent parent does", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.gen(function* () {
        const setup = yield* Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.setup({ name: "Null parent" }))
        const unit = yield* Effect.flatMap(Effect.service(OrgUnits), (units) =>
          units.create({ name: "Root", versionId: setup.version.id, parentId: null } as never)
        ).pipe(Effect.provideService(CurrentActor, Actor.system(setup.account.id)))
        return [unit.parentId, unit.depth, unit.path === `${unit.id}/`]
      }).pipe(Effect.provide(layer))
    )
    expect(exit).toEqual(Exit.succeed([undefined, 1, true]))
  })
})
