import {
  Actor,
  MAX_PUSH_ENTRIES,
  MAX_RECONCILE_HELD,
  MAX_RECONCILE_PUTS,
  MemoryStore,
  type OrgUnit,
  type OrgUnitId,
  OrgUnitModel,
  OrgUnits,
  PushRequest,
  ReconcileRequest,
  Sync,
  SyncClient,
  type SyncPut,
  type SyncTransport,
  type UserId,
  reconcileRanges,
  uuidv7
} from "@iaso/core"
import { makeHarness } from "@iaso/core/testing"
import { Effect, Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { applyChanges } from "../src/sync/sync-apply.ts"
import { transportTo } from "../src/testing/sync.ts"
import { memoryBlobs } from "../src/testing/submission-world.ts"
import { UserModel } from "../src/tenancy/users.ts"

const server = makeHarness({ name: "server", store: MemoryStore.layer() })
const device = makeHarness({ name: "device", store: MemoryStore.layer() })
afterAll(async () => {
  await server.dispose()
  await device.dispose()
})

describe("sync messages are bounded", () => {
  it("a push of more entries than MAX_PUSH_ENTRIES and a repair listing more than MAX_RECONCILE_HELD records do not decode", () => {
    const entry = { id: "e", kind: "positions", positions: [] }
    expect(Schema.decodeUnknownExit(PushRequest)({ entries: Array.from({ length: MAX_PUSH_ENTRIES }, () => entry) })._tag).toBe("Success")
    expect(Schema.decodeUnknownExit(PushRequest)({ entries: Array.from({ length: MAX_PUSH_ENTRIES + 1 }, () => entry) })._tag).toBe("Failure")
    const held = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `id-${i}`, version: 1 }))
    expect(Schema.decodeUnknownExit(ReconcileRequest)({ model: "OrgUnit", held: held(MAX_RECONCILE_HELD) })._tag).toBe("Success")
    expect(Schema.decodeUnknownExit(ReconcileRequest)({ model: "OrgUnit", held: held(MAX_RECONCILE_HELD + 1) })._tag).toBe("Failure")
  })

  it("what a device holds is cut into id ranges of MAX_RECONCILE_HELD records, the last one open", () => {
    const held = Array.from({ length: 2 * MAX_RECONCILE_HELD + 3 }, (_, i) => ({ id: `u${String(i).padStart(6, "0")}`, version: i }))
    const requests = reconcileRanges("OrgUnit", [...held].reverse(), "p1")
    expect(requests.map((r) => [r.held.length, r.after, r.through, r.projectId])).toEqual([
      [MAX_RECONCILE_HELD, undefined, held[MAX_RECONCILE_HELD - 1]?.id, "p1"],
      [MAX_RECONCILE_HELD, held[MAX_RECONCILE_HELD - 1]?.id, held[2 * MAX_RECONCILE_HELD - 1]?.id, "p1"],
      [3, held[2 * MAX_RECONCILE_HELD - 1]?.id, undefined, "p1"]
    ])
    expect(requests.flatMap((r) => r.held)).toEqual(held)
    expect(reconcileRanges("OrgUnit", [], undefined)).toEqual([{ model: "OrgUnit", held: [] }])
  })
})

describe("a repair larger than one message", () => {
  it(`a device holding ${MAX_RECONCILE_HELD + 50} strays and lacking ${MAX_RECONCILE_PUTS + 100} units is repaired in ranges and parts`, async () => {
    const h = server.harness
    const account = await h.freshAccount()
    const versionId = account.versionId as OrgUnit["versionId"]
    const facilities = MAX_RECONCILE_PUTS + 100
    const world = await h.as(
      account.system,
      Effect.gen(function* () {
        const service = yield* OrgUnits
        const valid = { versionId, validationStatus: "VALID" as const }
        const district = yield* service.create({ name: "District", ...valid })
        for (let i = 0; i < facilities; i++) yield* service.create({ name: `Facility ${i}`, parentId: district.id, ...valid })
        return { district }
      })
    )
    const repos = await h.repos()
    const user = await h.run(
      repos.insert(UserModel, account.accountId, { username: `collector.${uuidv7()}`, firstName: "C", lastName: "L", email: "", isActive: true })
    )
    const actor = Actor.user({
      accountId: account.accountId,
      userId: user.id as UserId,
      permissions: ["iaso_forms", "iaso_submissions", "iaso_org_units"],
      orgUnitRoots: [world.district.id as OrgUnitId]
    })
    const asked: Array<{ held: number; after?: string | undefined; through?: string | undefined; answeredThrough?: string | undefined }> = []
    let facilityPut: SyncPut | undefined
    const wire = transportTo(h, actor, await memoryBlobs(), {}, { pulls: 0, pushes: 0 })
    const transport: SyncTransport = {
      ...wire,
      pull: (request) =>
        Effect.tap(wire.pull(request), (page) =>
          Effect.sync(() => {
            for (const change of page.changes)
              if (facilityPut === undefined && change.op === "put" && change.model === "OrgUnit" && change.id !== world.district.id) facilityPut = change
          })
        ),
      reconcile: (request) =>
        Effect.tap(wire.reconcile(request), (answer) =>
          Effect.sync(() => asked.push({ held: request.held.length, after: request.after, through: request.through, answeredThrough: answer.through }))
        )
    }
    const d = device.harness
    const pull = () =>
      d.as(
        actor,
        Effect.flatMap(Effect.service(SyncClient), (client) => client.pull(transport, { projectId: account.projectId, pageSize: 1000 }))
      )
    const first = await pull()
    expect([first.repaired, asked.length]).toEqual([[], 0])
    const held = await d.inspectAccount(OrgUnitModel, account.accountId)
    expect(held.length).toBe(facilities + 1)

    // On the device: every facility dropped, and strays the server never had written in.
    const deviceRepos = await d.repos()
    const facilityIds = held.filter((row) => row["id"] !== world.district.id).map((row) => String(row["id"]))
    await d.run(
      applyChanges(
        deviceRepos,
        account.accountId,
        facilityIds.map((id) => ({ op: "remove" as const, model: "OrgUnit", id }))
      )
    )
    const facility = facilityPut
    if (facility === undefined) throw new Error("no facility pulled")
    const strays = Array.from({ length: MAX_RECONCILE_HELD + 50 }, () => uuidv7())
    await d.run(
      applyChanges(
        deviceRepos,
        account.accountId,
        strays.map((id) => ({
          op: "put" as const,
          model: "OrgUnit",
          id,
          version: 1,
          data: { ...facility.data, id, path: String(facility.data["path"]).replace(facility.id, id) }
        }))
      )
    )
    expect((await d.inspectAccount(OrgUnitModel, account.accountId)).length).toBe(strays.length + 1)

    const second = await pull()
    expect(second.repaired).toEqual(["OrgUnit"])
    const after = await d.inspectAccount(OrgUnitModel, account.accountId)
    expect(after.map((row) => String(row["id"])).sort()).toEqual([world.district.id, ...facilityIds].sort())
    // Two ranges of held records; each answer stops at MAX_RECONCILE_PUTS puts and is asked again.
    // The first range (5,000 held) lacks 1,100 units: its answer stops after 1,000 puts and the
    // rest of it is asked again; then the open last range of 51.
    const firstRange = asked[0]
    expect(asked.map((call) => [call.held, call.after === undefined, call.through === firstRange?.through, call.answeredThrough === undefined])).toEqual([
      [MAX_RECONCILE_HELD, true, true, false],
      [MAX_RECONCILE_HELD - 1, false, true, true],
      [strays.length + 1 - MAX_RECONCILE_HELD, false, false, true]
    ])
    expect(asked[1]?.after).toBe(firstRange?.answeredThrough)
    expect(asked[2]?.after).toBe(firstRange?.through)
    expect(asked[2]?.through).toBeUndefined()
  }, 120_000)

  it("a held record outside the request's id range is a ValidationError", async () => {
    const h = server.harness
    const account = await h.freshAccount()
    const exit = await h.exitAs(
      account.system,
      Effect.flatMap(Effect.service(Sync), (sync) => sync.reconcile({ model: "OrgUnit", after: "m", held: [{ id: "a", version: 1 }] }))
    )
    expect(exit._tag).toBe("Failure")
    expect(JSON.stringify(exit)).toContain("the held record a is outside the request's id range")
  })
})
