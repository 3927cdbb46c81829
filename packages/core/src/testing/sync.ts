/**
 * Sync scenarios: a device store and a server store, one the adapter under test and the other a
 * memory store, both ways round. The device pulls what its user may see under its roots through a
 * transport that carries JSON (every message encoded and decoded with the protocol's Schemas) and
 * cuts the connection at a page; it resumes after the last applied page, drops what left its scope
 * through the checksums' repair, and pushes its outbox through a transport that delivers every
 * push twice: the server stores each submission once, and a re-used uuid with other content is a
 * `Conflict` kept in the outbox.
 * @module
 */
import { Effect, type Layer, Schema } from "effect"
import { describe, expect } from "vitest"
import { FormModel, ProjectFormModel } from "../forms/form.ts"
import { MemoryStore } from "../memory/index.ts"
import { type OrgUnit, OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { OrgUnitTypes } from "../registry/org-unit-types-service.ts"
import { OrgUnitChangeRequestModel } from "../registry/change-request.ts"
import { BlobStore } from "../shared/blob.ts"
import type { FormId, OrgUnitId, ProjectId, UserId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Store } from "../shared/store.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import { DevicePositionModel } from "../devices/devices.ts"
import { StorageLogEntryModel } from "../storage/storage.ts"
import { AccountModel } from "../tenancy/account.ts"
import { Records } from "../kernel/records.ts"
import { Actor, CurrentActor } from "../tenancy/actor.ts"
import { UserModel } from "../tenancy/users.ts"
import { SyncClient, type SyncTransport, SyncTransportError } from "../sync/sync-client.ts"
import { SyncCursorModel, SyncOutboxEntryModel } from "../sync/sync-models.ts"
import { Sync } from "../sync/sync-server.ts"
import { PullPage, PullRequest, PushAnswer, PushRequest, ReconcileAnswer, ReconcileRequest, type SyncChange } from "../sync/sync-wire.ts"
import { exitError, exitTag, type FreshAccount, type Harness, makeHarness } from "./harness.ts"
import { householdForm, memoryBlobs, submissionXml } from "./submission-world.ts"
import { scenario } from "./scenario.ts"

/** A value through the wire: encoded with its Schema, to JSON text and back, decoded. */
const overWire = <A, I>(schema: Schema.Codec<A, I>, value: A): A =>
  Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(Schema.encodeSync(schema)(value))))

/** Faults of a test transport. */
export interface Faults {
  /** Pull calls answered before the connection is cut for good (`undefined`: never cut). */
  cutAfterPulls?: number
  /** Deliver each push twice (the first answer lost). */
  duplicatePushes?: boolean
}

/** A transport calling the server's `Sync` as `actor`, every message through JSON, with faults (exported for the package's own tests). */
export const transportTo = (
  server: Harness,
  actor: Actor,
  blobs: BlobStore["Service"],
  faults: Faults,
  calls: { pulls: number; pushes: number }
): SyncTransport => {
  const call = <A>(effect: Effect.Effect<A, unknown, never>) => effect
  const serve = <A>(body: (sync: Sync["Service"]) => Effect.Effect<A, unknown, never>) =>
    Effect.tryPromise({
      try: () => server.as(actor, Effect.flatMap(Effect.service(Sync), (sync) => body(sync)).pipe(Effect.provideService(BlobStore, blobs))),
      catch: (error) => new SyncTransportError({ message: String((error as { message?: unknown }).message ?? error), retryable: false })
    })
  return {
    pull: (request) =>
      Effect.suspend(() => {
        calls.pulls += 1
        if (faults.cutAfterPulls !== undefined && calls.pulls > faults.cutAfterPulls)
          return Effect.fail(new SyncTransportError({ message: "connection cut", retryable: true }))
        return Effect.map(
          serve((sync) => call(sync.pull(overWire(PullRequest, request)) as Effect.Effect<PullPage, unknown, never>)),
          (page) => overWire(PullPage, page)
        )
      }),
    reconcile: (request) =>
      Effect.map(
        serve((sync) => sync.reconcile(overWire(ReconcileRequest, request)) as Effect.Effect<ReconcileAnswer, unknown, never>),
        (answer) => overWire(ReconcileAnswer, answer)
      ),
    push: (request) =>
      Effect.suspend(() => {
        calls.pushes += 1
        const once = Effect.map(
          serve((sync) => sync.push(overWire(PushRequest, request)) as Effect.Effect<PushAnswer, unknown, never>),
          (answer) => overWire(PushAnswer, answer)
        )
        return faults.duplicatePushes === true ? Effect.andThen(once, once) : once
      })
  }
}

/** The server's world: Country > District > Facility and Other district (VALID), a form of the project, a user rooted at District. */
const serverWorld = async (server: Harness) => {
  const account = await server.freshAccount()
  const versionId = account.versionId as OrgUnit["versionId"]
  const units = await server.as(
    account.system,
    Effect.gen(function* () {
      const service = yield* OrgUnits
      const valid = { versionId, validationStatus: "VALID" as const }
      const country = yield* service.create({ name: "Country", ...valid })
      const district = yield* service.create({ name: "District", parentId: country.id, ...valid })
      const facility = yield* service.create({ name: "Facility", parentId: district.id, ...valid })
      const draft = yield* service.create({ name: "Draft facility", parentId: district.id, versionId })
      const other = yield* service.create({ name: "Other district", parentId: country.id, ...valid })
      return { country, district, facility, draft, other }
    })
  )
  const repos = await server.repos()
  const form = await householdForm(server, account)
  await server.run(repos.insert(ProjectFormModel, account.accountId, { projectId: account.projectId, formId: form.id }))
  const user = await server.run(
    repos.insert(UserModel, account.accountId, { username: `collector.${uuidv7()}`, firstName: "Col", lastName: "Lector", email: "", isActive: true })
  )
  const actor = Actor.user({
    accountId: account.accountId,
    userId: user.id as UserId,
    permissions: ["iaso_forms", "iaso_submissions", "iaso_org_units", "iaso_storages"],
    orgUnitRoots: [units.district.id as OrgUnitId]
  })
  return { account, units, formId: form.id as FormId, actor }
}

const ids = (rows: ReadonlyArray<{ readonly [key: string]: unknown }>) => rows.map((row) => String(row["id"])).sort()

/**
 * One direction: `server` serves, `device` pulls (cut for good after a page chosen from the
 * server's seed, then resumed) and pushes through a transport that delivers every push twice.
 * Exported for tests of two adapters against each other.
 */
export const syncRoundTrip = async (server: Harness, device: Harness): Promise<void> => {
  const { account, units, formId, actor } = await serverWorld(server)
  const blobs = await memoryBlobs()
  const projectId = account.projectId
  const C = Effect.service(SyncClient)
  const onDevice = <A, E>(effect: Effect.Effect<A, E, SyncClient | CurrentActor>) => device.exitAs(actor, effect)
  const deviceRows = async (model: typeof OrgUnitModel | typeof InstanceModel | typeof FormModel | typeof AccountModel) =>
    device.inspectAccount(model, account.accountId as FreshAccount["accountId"])

  const fullRun = { pulls: 0, pushes: 0 }
  const reference = await server.as(
    actor,
    Effect.gen(function* () {
      const sync = yield* Sync
      let cursor: string | undefined
      for (;;) {
        fullRun.pulls += 1
        const page = yield* sync.pull({ projectId, limit: 2, ...(cursor === undefined ? {} : { cursor }) })
        cursor = page.cursor
        if (!page.hasMore) return page.checksums
      }
    })
  )
  // A first pull in pages of 2 changes, the connection cut for good after a page chosen by the seed
  // among those of the whole first pull (the server's own run above: it reads the same pages).
  const cutAfter = 1 + (server.seed % Math.max(1, fullRun.pulls - 1))
  const cutCalls = { pulls: 0, pushes: 0 }
  const cut = await onDevice(
    Effect.flatMap(C, (client) =>
      client.pull(transportTo(server, actor, blobs, { cutAfterPulls: cutAfter }, cutCalls), { projectId, pageSize: 2, attempts: 2, backoffMillis: 1 })
    )
  )
  expect([exitTag(cut), (exitError(cut) as { message?: string } | undefined)?.message]).toEqual(["SyncTransportError", "connection cut"])
  expect(cutCalls.pulls).toBe(cutAfter + 2)
  // Resumed: the pages already applied are not asked again.
  const calls = { pulls: 0, pushes: 0 }
  const transport = transportTo(server, actor, blobs, { duplicatePushes: true }, calls)
  const first = await onDevice(Effect.flatMap(C, (client) => client.pull(transport, { projectId, pageSize: 2 })))
  if (first._tag === "Failure") throw exitError(first)
  expect(calls.pulls).toBe(fullRun.pulls - cutAfter)
  expect(first.value.repaired).toEqual([])
  expect(ids(await deviceRows(OrgUnitModel))).toEqual([units.district.id, units.facility.id].sort())
  expect(ids(await deviceRows(FormModel))).toEqual([formId])
  expect(ids(await deviceRows(AccountModel))).toEqual([account.accountId])
  expect(reference?.["OrgUnit"]?.count).toBe(2)

  // Nothing new: one page, nothing written.
  const again = await onDevice(Effect.flatMap(C, (client) => client.pull(transport, { projectId })))
  if (again._tag === "Failure") throw exitError(again)
  expect([again.value.pages, again.value.written, again.value.removed, again.value.repaired]).toEqual([1, 0, 0, []])

  // The server renames the district, adds a facility and moves the first one out of the user's roots.
  const added = await server.as(
    account.system,
    Effect.gen(function* () {
      const service = yield* OrgUnits
      const district = yield* service.get(units.district.id)
      yield* service.update(units.district.id, { name: "District renamed" }, { expectedVersion: district.version })
      yield* service.move(units.facility.id, units.other.id)
      return yield* service.create({
        name: "Facility 2",
        parentId: units.district.id,
        versionId: account.versionId as OrgUnit["versionId"],
        validationStatus: "VALID"
      })
    })
  )
  const moved = await onDevice(Effect.flatMap(C, (client) => client.pull(transport, { projectId })))
  if (moved._tag === "Failure") throw exitError(moved)
  expect(moved.value.repaired).toEqual(["OrgUnit"])
  const held = await deviceRows(OrgUnitModel)
  expect(ids(held)).toEqual([units.district.id, added.id].sort())
  expect(held.find((row) => row["id"] === units.district.id)?.["name"]).toBe("District renamed")

  // Two submissions made offline, pushed through a transport that delivers every push twice.
  const [u1, u2] = [uuidv7(), uuidv7()]
  const submission = (uuid: string, answer: string) => ({
    kind: "submission" as const,
    submission: { formId, xml: submissionXml({ id: uuid, answers: { name: answer } }), orgUnitId: units.district.id, uuid, createdAt: Date.UTC(2026, 11, 1) }
  })
  for (const [uuid, answer] of [
    [u1, "Ada"],
    [u2, "Bea"]
  ] as const) {
    const queued = await onDevice(Effect.flatMap(C, (client) => client.enqueue(submission(uuid, answer))))
    if (queued._tag === "Failure") throw exitError(queued)
  }
  const pushed = await onDevice(Effect.flatMap(C, (client) => client.push(transport)))
  if (pushed._tag === "Failure") throw exitError(pushed)
  // The first delivery stored them; its answer was lost, and the second answers them unchanged.
  expect([pushed.value.applied, pushed.value.unchanged, pushed.value.rejected]).toEqual([0, 2, []])
  const stored = (await server.inspectAccount(InstanceModel, account.accountId)).map((row) => String(row["uuid"])).sort()
  expect(stored).toEqual([u1, u2].sort())
  const empty = await onDevice(Effect.flatMap(C, (client) => client.outbox()))
  expect(empty._tag === "Success" ? empty.value : undefined).toEqual([])

  // The same uuid with other content: a Conflict, kept in the outbox as REJECTED; the server keeps its submission.
  await onDevice(Effect.flatMap(C, (client) => client.enqueue(submission(u1, "Changed"))))
  const conflict = await onDevice(Effect.flatMap(C, (client) => client.push(transport)))
  if (conflict._tag === "Failure") throw exitError(conflict)
  expect(conflict.value.rejected.map((item) => [item.status, item.rejection?.tag])).toEqual([["REJECTED", "Conflict"]])
  const outbox = await onDevice(Effect.flatMap(C, (client) => client.outbox()))
  expect(outbox._tag === "Success" ? outbox.value.map((item) => item.status) : undefined).toEqual(["REJECTED"])
  expect((await server.inspectAccount(InstanceModel, account.accountId)).length).toBe(2)

  // A new unit proposed offline: one change request on the server (pushed twice), its unit NEW.
  const proposal = uuidv7()
  await onDevice(
    Effect.flatMap(C, (client) =>
      client.enqueue({ kind: "orgUnitChangeRequest", request: { uuid: proposal, newName: "New health post", newParentId: units.district.id } })
    )
  )
  const proposed = await onDevice(Effect.flatMap(C, (client) => client.push(transport)))
  if (proposed._tag === "Failure") throw exitError(proposed)
  expect([proposed.value.applied, proposed.value.unchanged]).toEqual([0, 1])
  const requests = await server.inspectAccount(OrgUnitChangeRequestModel, account.accountId)
  expect(requests.map((row) => [row["uuid"], row["kind"], row["status"], row["createdById"]])).toEqual([[proposal, "org_unit_creation", "new", actor.userId]])
  const created = (await server.inspectAccount(OrgUnitModel, account.accountId)).filter((row) => row["name"] === "New health post")
  expect(created.map((row) => [row["validationStatus"], row["parentId"], row["custom"]])).toEqual([["NEW", units.district.id, true]])

  // An NFC card read and a position taken offline: one log entry and one position on the server.
  const [logId, positionId] = [uuidv7(), uuidv7()]
  const performedAt = Date.UTC(2026, 11, 2, 10)
  await onDevice(
    Effect.flatMap(C, (client) =>
      Effect.andThen(
        client.enqueue({
          kind: "storageLogs",
          logs: [{ id: logId, storageId: "card-1", storageType: "NFC", operationType: "READ", orgUnitId: units.district.id, performedAt }]
        }),
        client.enqueue({
          kind: "positions",
          projectId,
          positions: [
            { deviceId: "imei-1", uuid: positionId, latitude: 8.48, longitude: -13.23, altitude: 12, transport: "foot", accuracy: 5, capturedAt: performedAt }
          ]
        })
      )
    )
  )
  const logged = await onDevice(Effect.flatMap(C, (client) => client.push(transport)))
  if (logged._tag === "Failure") throw exitError(logged)
  expect([logged.value.applied, logged.value.unchanged, logged.value.rejected.length]).toEqual([0, 2, 0])
  expect((await server.inspectAccount(StorageLogEntryModel, account.accountId)).map((row) => [row["id"], row["operationType"], row["performedAt"]])).toEqual([
    [logId, "READ", performedAt]
  ])
  expect((await server.inspectAccount(DevicePositionModel, account.accountId)).map((row) => [row["uuid"], row["transport"]])).toEqual([[positionId, "foot"]])

  // The next pull brings the server's submissions and the request to the device (not the NEW unit).
  const back = await onDevice(Effect.flatMap(C, (client) => client.pull(transport, { projectId })))
  if (back._tag === "Failure") throw exitError(back)
  expect((await deviceRows(InstanceModel)).map((row) => String(row["uuid"])).sort()).toEqual([u1, u2].sort())
  expect(back.value.repaired).toEqual([])
  expect((await device.inspectAccount(OrgUnitChangeRequestModel, account.accountId)).map((row) => [row["uuid"], row["status"]])).toEqual([[proposal, "new"]])
  expect(ids(await deviceRows(OrgUnitModel))).toEqual([units.district.id, added.id].sort())

  // The project gets org-unit types: the device keeps the units of its types only (IASO's mobile download).
  await server.as(
    account.system,
    Effect.gen(function* () {
      const type = yield* Effect.flatMap(Effect.service(OrgUnitTypes), (types) => types.create({ name: "Health post", projectIds: [projectId as ProjectId] }))
      const service = yield* OrgUnits
      const unit = yield* service.get(added.id)
      yield* service.update(added.id, { orgUnitTypeId: type.id }, { expectedVersion: unit.version })
    })
  )
  const typed = await onDevice(Effect.flatMap(C, (client) => client.pull(transport, { projectId })))
  if (typed._tag === "Failure") throw exitError(typed)
  expect(ids(await deviceRows(OrgUnitModel))).toEqual([added.id])
}

/**
 * Two users on one device (`device`, pulling unless it checks references): each one's pull starts
 * from its own cursor, each one's outbox lists and pushes only its own entries, and generic reads
 * of the outbox answer a user its own entries only.
 */
const sharedDevice = async (server: Harness, device: Harness, referencesEnforced: boolean): Promise<void> => {
  const { account, units, formId, actor: ada } = await serverWorld(server)
  const repos = await server.repos()
  const second = await server.run(
    repos.insert(UserModel, account.accountId, { username: `collector.${uuidv7()}`, firstName: "Bea", lastName: "Second", email: "", isActive: true })
  )
  const bea = Actor.user({
    accountId: account.accountId,
    userId: second.id as UserId,
    permissions: ["iaso_forms", "iaso_submissions", "iaso_org_units"],
    orgUnitRoots: [units.district.id as OrgUnitId]
  })
  const blobs = await memoryBlobs()
  const C = Effect.service(SyncClient)
  const run = async <A, E>(who: Actor, effect: Effect.Effect<A, E, SyncClient | Records | CurrentActor>) => {
    const exit = await device.exitAs(who, effect)
    if (exit._tag === "Failure") throw exitError(exit)
    return exit.value
  }
  const transportOf = (who: Actor) => transportTo(server, who, blobs, {}, { pulls: 0, pushes: 0 })
  if (!referencesEnforced) {
    const first = await run(
      ada,
      Effect.flatMap(C, (client) => client.pull(transportOf(ada), { projectId: account.projectId, pageSize: 5 }))
    )
    const again = await run(
      ada,
      Effect.flatMap(C, (client) => client.pull(transportOf(ada), { projectId: account.projectId, pageSize: 5 }))
    )
    // Bea's first pull on the device does not resume Ada's cursor: it reads the whole feed.
    const beas = await run(
      bea,
      Effect.flatMap(C, (client) => client.pull(transportOf(bea), { projectId: account.projectId, pageSize: 5 }))
    )
    expect([again.pages, beas.pages]).toEqual([1, first.pages])
    expect(first.pages).toBeGreaterThan(1)
  }
  const enqueue = (who: Actor, uuid: string, answer: string) =>
    run(
      who,
      Effect.flatMap(C, (client) =>
        client.enqueue({
          kind: "submission",
          submission: {
            formId,
            xml: submissionXml({ id: uuid, answers: { name: answer } }),
            orgUnitId: units.district.id,
            uuid,
            createdAt: Date.UTC(2026, 11, 1)
          }
        })
      )
    )
  const [ua, ub] = [uuidv7(), uuidv7()]
  const adaEntry = await enqueue(ada, ua, "Ada")
  await enqueue(bea, ub, "Bea")
  const outboxOf = (who: Actor) =>
    run(
      who,
      Effect.flatMap(C, (client) => client.outbox())
    )
  expect((await outboxOf(bea)).map((item) => (item.entry.kind === "submission" ? item.entry.submission.uuid : item.entry.kind))).toEqual([ub])
  const listed = (who: Actor) =>
    run(
      who,
      Effect.map(
        Effect.flatMap(Effect.service(Records), (records) => records.list(SyncOutboxEntryModel)),
        (page) => page.items.map((item) => item.id)
      )
    )
  expect(await listed(bea)).toEqual((await outboxOf(bea)).map((item) => item.id))
  expect((await listed(account.system)).length).toBe(2)
  const discarded = await device.exitAs(
    bea,
    Effect.flatMap(C, (client) => client.discard(adaEntry.id))
  )
  expect(exitTag(discarded)).toBe("NotFound")

  const pushed = await run(
    bea,
    Effect.flatMap(C, (client) => client.push(transportOf(bea)))
  )
  expect([pushed.applied, pushed.rejected.length]).toEqual([1, 0])
  expect((await server.inspectAccount(InstanceModel, account.accountId)).map((row) => String(row["uuid"]))).toEqual([ub])
  expect((await outboxOf(ada)).map((item) => item.id)).toEqual([adaEntry.id])
  const adas = await run(
    ada,
    Effect.flatMap(C, (client) => client.push(transportOf(ada)))
  )
  expect([adas.applied, adas.rejected.length]).toEqual([1, 0])
  expect((await server.inspectAccount(InstanceModel, account.accountId)).map((row) => String(row["uuid"])).sort()).toEqual([ua, ub].sort())
  expect(await listed(account.system)).toEqual([])
}

/**
 * A first pull against a long history: its pages follow the device's set (a snapshot up to the
 * feed's head), not the account's change feed, where the store can tell its head; a unit renamed
 * and one created between two of its pages still reach the device.
 */
export const firstPullSnapshot = async (server: Harness): Promise<void> => {
  const { account, units, actor } = await serverWorld(server)
  const projectId = account.projectId
  const versionId = account.versionId as OrgUnit["versionId"]
  // History outside the device's roots: 40 units under the other district.
  await server.as(
    account.system,
    Effect.gen(function* () {
      const service = yield* OrgUnits
      for (let i = 0; i < 40; i++) yield* service.create({ name: `Elsewhere ${i}`, parentId: units.other.id, versionId, validationStatus: "VALID" })
    })
  )
  const repos = await server.repos()
  const history = (await server.run(repos.changesSince(account.accountId, undefined, 1000))).changes.length
  const snapshots = repos.driver.feedHead !== undefined
  const pages: Array<PullPage> = []
  let added: string | undefined
  await server.as(
    actor,
    Effect.gen(function* () {
      const sync = yield* Sync
      let cursor: string | undefined
      for (;;) {
        const page = yield* sync.pull({ projectId, limit: 2, ...(cursor === undefined ? {} : { cursor }) })
        pages.push(page)
        cursor = page.cursor
        if (pages.length === 1) {
          // Between the first and the second page: the district renamed, a facility added under it.
          const created = yield* Effect.provideService(
            Effect.gen(function* () {
              const service = yield* OrgUnits
              const district = yield* service.get(units.district.id)
              yield* service.update(units.district.id, { name: "District renamed" }, { expectedVersion: district.version })
              return yield* service.create({ name: "Facility 3", parentId: units.district.id, versionId, validationStatus: "VALID" })
            }),
            CurrentActor,
            account.system
          )
          added = created.id
        }
        if (!page.hasMore) return
      }
    })
  )
  // What the device holds after applying the pages in order.
  const held = new Map<string, SyncChange>()
  for (const page of pages) for (const change of page.changes) if (change.model === "OrgUnit") held.set(change.id, change)
  const names = [...held.values()].flatMap((change) => (change.op === "put" ? [[change.id, String(change.data["name"])] as const] : []))
  expect(new Map(names)).toEqual(
    new Map([
      [units.district.id, "District renamed"],
      [units.facility.id, "Facility"],
      [added ?? "", "Facility 3"]
    ])
  )
  expect(pages[pages.length - 1]?.checksums?.["OrgUnit"]?.count).toBe(3)
  // The feed holds the account's whole history (more than 80 changes): read through, it takes a
  // page per 2 of them; the snapshot takes a page per 2 records of the set, then the few changes since.
  expect(history).toBeGreaterThan(80)
  if (snapshots) expect(pages.length).toBeLessThan(history / 8)
  else expect(pages.length).toBeGreaterThan(history / 2)
}

/** Registers the sync scenarios (a memory peer on the other side of the adapter under test). */
export const syncScenarios = (h: () => Harness, referencesEnforced: boolean): void => {
  describe("sync", () => {
    const withPeer = async (body: (peer: Harness) => Promise<void>) => {
      const peer = makeHarness({ name: "memory peer", store: MemoryStore.layer() as Layer.Layer<Store, unknown> })
      try {
        await body(peer.harness)
      } finally {
        await peer.dispose()
      }
    }
    scenario("a device on a memory store pulls from this store after a cut, drops what left its roots, and pushes its outbox once", () =>
      withPeer((memory) => syncRoundTrip(h(), memory))
    )
    scenario("a first pull reads the device's set up to the feed's head, not the account's history; changes made during it still arrive", () =>
      firstPullSnapshot(h())
    )
    scenario("a pushed submission may name an uploaded file by sha256: read from the blob store once; a missing one is rejected NotFound", async () => {
      const server = h()
      const { account, units, formId, actor } = await serverWorld(server)
      const blobs = await memoryBlobs()
      const uploaded = await Effect.runPromise(blobs.put(new TextEncoder().encode("a photo"), { mediaType: "image/jpeg" }))
      const entry = (uuid: string, sha256: string) => ({
        id: uuidv7(),
        kind: "submission" as const,
        submission: {
          formId,
          xml: submissionXml({ id: uuid, answers: { name: "Ada" } }),
          orgUnitId: units.district.id,
          uuid,
          createdAt: Date.UTC(2026, 11, 1),
          attachments: [{ name: "photo.jpg", mediaType: "image/jpeg", sha256 }]
        }
      })
      const [u1, u2] = [uuidv7(), uuidv7()]
      const request = overWire(PushRequest, { entries: [entry(u1, uploaded.sha256), entry(u2, "0".repeat(64))] })
      const answer = await server.as(actor, Effect.flatMap(Effect.service(Sync), (sync) => sync.push(request)).pipe(Effect.provideService(BlobStore, blobs)))
      expect(answer.acks.map((ack) => [ack.status, ack.error?.tag])).toEqual([
        ["applied", undefined],
        ["rejected", "NotFound"]
      ])
      expect((await server.inspectAccount(InstanceModel, account.accountId)).map((row) => String(row["uuid"]))).toEqual([u1])
    })
    scenario("an actor of another account pulls nothing of this account, repairs it away and cannot push into it", async () => {
      const server = h()
      const { account, units, formId } = await serverWorld(server)
      const other = await serverWorld(server)
      const outsider = other.actor
      const mine = new Set([account.accountId, account.projectId, formId, ...Object.values(units).map((unit) => unit.id)])
      const pulled = await server.as(
        outsider,
        Effect.gen(function* () {
          const sync = yield* Sync
          const changes: Array<SyncChange> = []
          let cursor: string | undefined
          for (;;) {
            const page = yield* sync.pull({ projectId: account.projectId, limit: 50, ...(cursor === undefined ? {} : { cursor }) })
            changes.push(...page.changes)
            cursor = page.cursor
            if (!page.hasMore) return { changes, checksums: page.checksums }
          }
        })
      )
      expect(pulled.changes.filter((change) => mine.has(change.id))).toEqual([])
      expect(
        pulled.changes
          .filter((change) => change.op === "put" && change.model === "OrgUnit")
          .map((change) => change.id)
          .sort()
      ).toEqual([other.units.district.id, other.units.facility.id].sort())
      const repair = await server.as(
        outsider,
        Effect.flatMap(Effect.service(Sync), (sync) =>
          sync.reconcile({
            model: "OrgUnit",
            held: [
              { id: units.district.id, version: 1 },
              { id: units.facility.id, version: 1 }
            ]
          })
        )
      )
      expect([[...repair.remove].sort(), repair.put.map((put) => put.id).sort()]).toEqual([
        [units.district.id, units.facility.id].sort(),
        [other.units.district.id, other.units.facility.id].sort()
      ])
      const uuid = uuidv7()
      const answer = await server.as(
        outsider,
        Effect.flatMap(Effect.service(Sync), (sync) =>
          sync.push({
            entries: [
              {
                id: uuidv7(),
                kind: "submission",
                submission: {
                  formId,
                  xml: submissionXml({ id: uuid, answers: { name: "Ada" } }),
                  orgUnitId: units.district.id,
                  uuid,
                  createdAt: Date.UTC(2026, 11, 1)
                }
              }
            ]
          })
        ).pipe(Effect.provideService(BlobStore, await memoryBlobs()))
      )
      expect(answer.acks.map((ack) => [ack.status, ack.error?.tag])).toEqual([["rejected", "NotFound"]])
      expect(await server.inspectAccount(InstanceModel, account.accountId)).toEqual([])
    })
    scenario("two users sharing a device on this store each push their own outbox entries and resume their own pulls", () =>
      withPeer((memory) => sharedDevice(memory, h(), referencesEnforced))
    )
    if (!referencesEnforced)
      scenario("a device on this store pulls from a memory server after a cut, drops what left its roots, and pushes its outbox once", () =>
        withPeer((memory) => syncRoundTrip(memory, h()))
      )
    else
      scenario("a pull into this store, which checks references, is refused with a StorageError and applies nothing", () =>
        withPeer(async (memory) => {
          const { account, actor } = await serverWorld(memory)
          const blobs = await memoryBlobs()
          const pulled = await h().exitAs(
            actor,
            Effect.flatMap(Effect.service(SyncClient), (client) =>
              client.pull(transportTo(memory, actor, blobs, {}, { pulls: 0, pushes: 0 }), { projectId: account.projectId })
            )
          )
          expect([exitTag(pulled), (exitError(pulled) as { reason?: string } | undefined)?.reason]).toEqual(["StorageError", "constraint"])
          for (const model of [AccountModel, OrgUnitModel, FormModel, SyncCursorModel])
            expect(await h().inspectAccount(model, account.accountId), model.name).toEqual([])
        })
      )
  })
}
