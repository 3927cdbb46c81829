/**
 * Submission batch scenarios (`Instances.ingestMany`): every upload of a batch gets the outcome
 * ingesting the uploads one by one gives, and the store ends up with the same records (compared
 * with a twin account fed one by one); a write refused inside a batch rolls it back and each upload
 * gets its own outcome; batches larger than one chunk; two batches racing with one submission.
 * @module
 */
import { Effect, Exit } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { DeviceModel, DeviceProjectModel } from "../devices/devices.ts"
import { FormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { BlobStore } from "../shared/blob.ts"
import type { FormId, OrgUnitId, ProjectId, UserId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import { type Instance, type InstanceFile, InstanceFileModel, InstanceModel } from "../submissions/instance-model.ts"
import { type IngestItem, type IngestResult, INGEST_BATCH, Instances, type SubmissionInput } from "../submissions/instances-service.ts"
import { AccountSequenceModel } from "../submissions/sequence.ts"
import { Actor, type CurrentActor } from "../tenancy/actor.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type Harness, type SuiteServices } from "./harness.ts"
import { scenario } from "./scenario.ts"
import { counterAfter, memoryBlobs, submissionUnits } from "./submission-world.ts"

type R = SuiteServices | Instances | BlobStore | CurrentActor

const CREATED = new Date("2024-05-15T08:30:00Z")
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const photo = (text: string, name = "photo.jpg") => ({ name, bytes: bytes(text), mediaType: "image/jpeg" })

/** A submission XML: answers as leaves (a `/` in a key makes a group), ODK meta, the form version. */
const xmlOf = (input: {
  readonly id?: string
  readonly version?: string
  readonly answers?: Readonly<Record<string, string>>
  readonly deprecated?: string
}): string => {
  const leaves = Object.entries(input.answers ?? {})
    .map(([key, value]) => {
      const parts = key.split("/")
      const leaf = parts.pop() ?? key
      return parts.reduceRight((acc, group) => `<${group}>${acc}</${group}>`, `<${leaf}>${value}</${leaf}>`)
    })
    .join("")
  const meta =
    input.id === undefined
      ? ""
      : `<meta><instanceID>uuid:${input.id}</instanceID>${input.deprecated === undefined ? "" : `<deprecatedID>uuid:${input.deprecated}</deprecatedID>`}</meta>`
  return `<?xml version='1.0' ?><data id="household_survey"${input.version === undefined ? "" : ` version="${input.version}"`}>${leaves}${meta}</data>`
}

/** The version `v1` of the form: questions by path, a repeat. */
const DESCRIPTOR = {
  name: "data",
  type: "survey",
  children: [
    { name: "imei", type: "deviceid" },
    { name: "gps", type: "geopoint" },
    { name: "hh", type: "integer" },
    {
      name: "household",
      type: "group",
      children: [
        { name: "head", type: "text" },
        { name: "size", type: "integer" }
      ]
    },
    { name: "members", type: "repeat", children: [{ name: "member", type: "text" }] },
    { name: "meta", type: "group", children: [{ name: "instanceID", type: "calculate" }] }
  ]
}

/** An account with root > district > facility and another district, a form with a version and another form, a field worker of the district. */
const world = async (harness: Harness) => {
  const account = await harness.freshAccount()
  const units = await submissionUnits(harness, account)
  const repos = await harness.repos()
  const blobs = await memoryBlobs()
  const formOf = (name: string) =>
    harness.run(
      repos.insert(FormModel, account.accountId, {
        name,
        uuid: uuidv7(),
        correlatable: true,
        correlationField: "hh",
        singlePerPeriod: false,
        derived: false,
        changeRequestMode: "CR_MODE_NONE",
        locationField: "gps",
        deviceField: "imei",
        periodType: "MONTH",
        periodsBeforeAllowed: 1,
        periodsAfterAllowed: 0
      })
    )
  const form = await formOf("Household survey")
  const other = await formOf("Other survey")
  const file = await Effect.runPromise(blobs.put(bytes("<h:html/>"), { mediaType: "text/xml" }))
  await harness.run(repos.insert(FormVersionModel, account.accountId, { formId: form.id, file, md5: "", versionId: "v1", formDescriptor: DESCRIPTOR }))
  const user = await harness.run(
    repos.insert(UserModel, account.accountId, { username: `field.${uuidv7()}`, firstName: "Field", lastName: "", email: "", isActive: true })
  )
  const field = Actor.user({ accountId: account.accountId, userId: user.id as UserId, permissions: [], orgUnitRoots: [units.district.id as OrgUnitId] })
  return { account, units, formId: form.id as FormId, otherFormId: other.id as FormId, field, blobs }
}

type World = Awaited<ReturnType<typeof world>>

const run = <A, E>(harness: Harness, w: World, actor: Actor, effect: Effect.Effect<A, E, R>): Promise<Exit.Exit<A, E>> =>
  harness.exitAs(actor, effect.pipe(Effect.provide(Instances.layer), Effect.provideService(BlobStore, w.blobs)))

const ok = async <A, E>(exit: Promise<Exit.Exit<A, E>>): Promise<A> => {
  const done = await exit
  if (Exit.isSuccess(done)) return done.value
  throw new Error(`expected success, got ${exitTag(done)}: ${String((exitError(done) as { message?: unknown } | undefined)?.message ?? "")}`)
}

const ingestOne = (harness: Harness, w: World, actor: Actor, input: SubmissionInput) =>
  run(
    harness,
    w,
    actor,
    Effect.flatMap(Effect.service(Instances), (i) => i.ingest(input))
  )
const ingestMany = (harness: Harness, w: World, actor: Actor, inputs: ReadonlyArray<SubmissionInput>) =>
  ok(
    run(
      harness,
      w,
      actor,
      Effect.flatMap(Effect.service(Instances), (i) => i.ingestMany(inputs))
    )
  )

/** What a result says, without the record ids, times and random parts that differ between accounts. */
const viewOf = (w: World, imeis: ReadonlyMap<string, string>) => {
  const unitNames = new Map(Object.values(w.units).map((unit) => [unit.id as string, unit.name]))
  const instance = (record: Instance) => ({
    uuid: record.uuid,
    currentUuid: record.currentUuid,
    json: record.json,
    name: record.name,
    version: record.version,
    form: record.formId === w.formId ? "form" : record.formId === w.otherFormId ? "other" : record.formId,
    formVersion: record.formVersionId !== undefined,
    period: record.period,
    periodOutsideWindow: record.periodOutsideWindow,
    location: record.location,
    accuracy: record.accuracy,
    orgUnit: record.orgUnitId === undefined ? undefined : unitNames.get(record.orgUnitId),
    device: record.deviceId === undefined ? undefined : imeis.get(record.deviceId),
    project: record.projectId === undefined ? undefined : record.projectId === w.account.projectId,
    // The counter value (the random digit and the two check digits dropped).
    counter: record.correlationId?.slice(0, -3),
    fileName: record.fileName,
    xml: record.file?.sha256,
    createdBy: record.createdById !== undefined,
    deleted: record.deleted
  })
  const files = (list: ReadonlyArray<InstanceFile>) => list.map((file) => [file.name, file.file?.sha256, file.deleted])
  const result = (value: IngestResult) => ({ outcome: value.outcome, instance: instance(value.instance), files: files(value.files) })
  return { instance, files, result }
}

/** The stored records of an account, as {@link viewOf} shows them, in a stable order. */
const storedView = async (harness: Harness, w: World) => {
  const repos = await harness.repos()
  const all = <A>(effect: Effect.Effect<{ readonly items: ReadonlyArray<A> }, unknown, never>) => harness.run(Effect.map(effect, (page) => page.items))
  const accountId = w.account.accountId
  const devices = await all(repos.list(DeviceModel, accountId, { limit: 1000 }))
  const imeis = new Map(devices.map((device) => [device.id as string, device.imei ?? ""]))
  const view = viewOf(w, imeis)
  const instances = (await all(repos.list(InstanceModel, accountId, { limit: 1000 }))) as ReadonlyArray<Instance>
  const uuids = new Map(instances.map((instance) => [instance.id as string, instance.uuid ?? ""]))
  const files = (await all(repos.list(InstanceFileModel, accountId, { limit: 1000 }))) as ReadonlyArray<InstanceFile>
  const audit = await all(repos.list(AuditEntryModel, accountId, { limit: 1000 }))
  const links = await all(repos.list(DeviceProjectModel, accountId, { limit: 1000 }))
  const counters = await all(repos.list(AccountSequenceModel, accountId, { limit: 10 }))
  const sorted = <T>(items: ReadonlyArray<T>) => items.map((item) => JSON.stringify(item)).sort()
  return {
    imeis,
    view,
    stored: {
      instances: sorted(instances.map(view.instance)),
      files: sorted(files.map((file) => [uuids.get(file.instanceId ?? ""), file.name, file.file?.sha256, file.deleted])),
      devices: sorted(devices.map((device) => device.imei)),
      links: sorted(links.map((link) => [imeis.get(link.deviceId ?? ""), link.projectId === w.account.projectId])),
      audit: sorted(
        audit.map((entry) => [
          entry.objectModel,
          entry.source,
          entry.objectModel === "Instance" ? uuids.get(entry.objectId ?? "") : entry.objectModel,
          (entry.before as { json?: unknown } | undefined)?.json ?? null,
          (entry.after as { json?: unknown } | undefined)?.json ?? null
        ])
      ),
      counters: counters.map((counter) => [counter.name, counter.value])
    }
  }
}

/** A form id no account has. */
const UNKNOWN_FORM = "01890000-0000-7000-8000-000000000000" as FormId

const ID = (n: number) => `7c0f1c1e-0000-4000-8000-${String(n).padStart(12, "0")}`

/** Registers the submission batch scenarios. */
export const submissionBatchScenarios = (h: () => Harness) => {
  describe("submission batches", () => {
    scenario("a batch gives every upload the outcome ingesting them one by one gives, and stores the same records", async () => {
      const harness = h()
      const worlds = [await world(harness), await world(harness)] as const
      const inputsOf = (w: World): ReadonlyArray<SubmissionInput> => {
        const base = { formId: w.formId, createdAt: CREATED, orgUnitId: w.units.facility.id as OrgUnitId, period: "202405" }
        const x1 = {
          id: ID(1),
          version: "v1",
          answers: {
            imei: "imei-1",
            hh: "42",
            "household/head": "Aminata",
            "household/size": "007",
            junk: "dropped",
            gps: "8.48 -13.23 52.5 4.126",
            "members/member": "Isatu"
          }
        }
        return [
          { ...base, xml: xmlOf(x1), attachments: [photo("first")], projectId: w.account.projectId as ProjectId, fileName: "x1.xml" },
          { ...base, xml: xmlOf({ id: ID(2), answers: { imei: "imei-1", hh: "7" } }), period: "202401" },
          { ...base, xml: bytes(xmlOf(x1)), attachments: [photo("first")], projectId: w.account.projectId as ProjectId },
          { ...base, xml: xmlOf({ ...x1, answers: { ...x1.answers, hh: "43" } }), attachments: [photo("first")] },
          { ...base, xml: xmlOf({ id: ID(3), deprecated: ID(2), answers: { imei: "imei-3", hh: "8" } }), attachments: [photo("edit")] },
          { ...base, xml: "<data><meta><instanceID>uuid:broken</instanceID></meta>" },
          { ...base, xml: xmlOf({ id: ID(4) }), formId: UNKNOWN_FORM },
          { ...base, xml: xmlOf({ id: ID(5) }), period: "2024Q2" },
          { ...base, xml: xmlOf({ id: ID(6) }), orgUnitId: w.units.elsewhere.id as OrgUnitId },
          { ...base, xml: xmlOf({ id: ID(100), answers: { hh: "1" } }) },
          { ...base, xml: xmlOf({ id: ID(102), deprecated: ID(100), answers: { hh: "2" } }), name: "Edited name" },
          { ...base, xml: xmlOf({ id: ID(101), answers: { hh: "other" } }) },
          {
            formId: w.formId,
            createdAt: CREATED,
            xml: xmlOf({ id: ID(7), answers: { imei: "imei-2" } }),
            location: { latitude: 8.1, longitude: -13.1, accuracy: 3.456 }
          },
          { ...base, xml: xmlOf({ answers: { hh: "9" } }) },
          { ...base, xml: xmlOf({ id: ID(8) }), uuid: ID(9) },
          { ...base, xml: xmlOf({ id: ID(10) }), attachments: [photo("a"), photo("b")] },
          { ...base, xml: xmlOf({ id: ID(11), answers: { hh: "11" } }), device: { imei: "imei-2" }, formId: w.otherFormId },
          { ...base, xml: xmlOf({ id: ID(101), answers: { hh: "1" } }), formId: w.otherFormId }
        ]
      }
      // Two submissions stored before, in both accounts, one by one.
      for (const w of worlds) {
        for (const [n, hh] of [
          [100, "1"],
          [101, "1"]
        ] as const) {
          await ok(
            ingestOne(harness, w, w.field, {
              formId: w.formId,
              createdAt: CREATED,
              orgUnitId: w.units.facility.id as OrgUnitId,
              xml: xmlOf({ id: ID(n), answers: { hh } })
            })
          )
        }
      }
      const [single, batch] = worlds
      const oneByOne: Array<Exit.Exit<IngestResult, unknown>> = []
      for (const input of inputsOf(single)) oneByOne.push(await ingestOne(harness, single, single.field, input))
      const many = await ingestMany(harness, batch, batch.field, inputsOf(batch))
      expect(many.map((item) => item.index)).toEqual(oneByOne.map((_, index) => index))
      const expected = [
        "created",
        "created",
        "unchanged",
        "Conflict",
        "edited",
        "ValidationError",
        "NotFound",
        "ValidationError",
        "Forbidden",
        "unchanged",
        "edited",
        "Conflict",
        "created",
        "ValidationError",
        "ValidationError",
        "ValidationError",
        "created",
        "Conflict"
      ]
      expect(oneByOne.map((exit) => (Exit.isSuccess(exit) ? exit.value.outcome : exitTag(exit)))).toEqual(expected)
      expect(many.map((item) => (item._tag === "Ok" ? item.value.outcome : item.error._tag))).toEqual(expected)
      // The same answers, files, devices, counter values, messages; the same stored records.
      const singleStored = await storedView(harness, single)
      const batchStored = await storedView(harness, batch)
      const fromSingle = oneByOne.map((exit) =>
        Exit.isSuccess(exit) ? singleStored.view.result(exit.value) : { error: exitTag(exit), message: (exitError(exit) as { message?: string }).message }
      )
      const fromBatch = many.map((item: IngestItem) =>
        item._tag === "Ok" ? batchStored.view.result(item.value) : { error: item.error._tag, message: item.error.message }
      )
      expect(fromBatch).toEqual(fromSingle)
      expect(batchStored.stored).toEqual(singleStored.stored)
      // Spot checks of what both stored.
      const first = many[0]
      expect(first?._tag === "Ok" ? batchStored.view.result(first.value) : first).toMatchObject({
        outcome: "created",
        instance: {
          json: {
            imei: "imei-1",
            hh: "42",
            head: "Aminata",
            size: "007",
            gps: "8.48 -13.23 52.5 4.126",
            members: [{ member: "Isatu" }],
            instanceID: `uuid:${ID(1)}`,
            _version: "v1"
          },
          formVersion: true,
          device: "imei-1",
          project: true,
          accuracy: "4.13",
          counter: "342",
          orgUnit: "Facility"
        },
        files: [["photo.jpg", expect.stringMatching(/^[0-9a-f]{64}$/), false]]
      })
      expect(
        many[1]?._tag === "Ok" ? [many[1].value.instance.period, many[1].value.instance.periodOutsideWindow, many[1].value.instance.deviceId] : []
      ).toEqual(["202401", true, first?._tag === "Ok" ? first.value.instance.deviceId : "none"])
      expect(batchStored.stored.devices).toEqual(['"imei-1"', '"imei-2"', '"imei-3"'])
      expect(batchStored.stored.links).toEqual(['["imei-1",true]'])
      expect(batchStored.stored.counters).toEqual([["instance.correlation", await counterAfter(harness, 6)]])
    })

    scenario("a write refused inside a batch rolls the batch back: each upload then gets its own outcome, nothing of the refused one is stored", async () => {
      const harness = h()
      const w = await world(harness)
      const base = { formId: w.formId, createdAt: CREATED }
      const many = await ingestMany(harness, w, w.field, [
        { ...base, xml: xmlOf({ id: ID(21), answers: { imei: "imei-9", hh: "1" } }), attachments: [photo("one")] },
        // Refused when the submission is written (U+0000 in its name), after its device and counter value.
        { ...base, xml: xmlOf({ id: ID(22), answers: { imei: "imei-10" } }), name: "nul \u0000 in the name" },
        { ...base, xml: xmlOf({ id: ID(23), answers: { imei: "imei-9", hh: "3" } }) }
      ])
      expect(
        many.map((item) =>
          item._tag === "Ok" ? [item.index, item.value.outcome, item.value.instance.uuid, item.value.files.length] : [item.index, item.error._tag]
        )
      ).toEqual([
        [0, "created", ID(21), 1],
        [1, "ValidationError"],
        [2, "created", ID(23), 0]
      ])
      const stored = await storedView(harness, w)
      expect(stored.stored.devices).toEqual(['"imei-9"'])
      expect(stored.stored.counters).toEqual([["instance.correlation", await counterAfter(harness, 2)]])
      expect((await harness.inspectAccount(InstanceModel, w.account.accountId)).map((row) => row["uuid"]).sort()).toEqual([ID(21), ID(23)])
      const uploads = stored.stored.audit.map((entry) => JSON.parse(entry) as Array<unknown>).filter((entry) => entry[1] === "SYNC FORM UPLOAD")
      expect(uploads.map((entry) => `${String(entry[0])} ${String(entry[2])}`).sort()).toEqual([
        "Device Device",
        `Instance ${ID(21)}`,
        `Instance ${ID(23)}`,
        "InstanceFile InstanceFile"
      ])
      // An empty batch answers nothing and writes nothing.
      expect(await ingestMany(harness, w, w.field, [])).toEqual([])
      expect((await storedView(harness, w)).stored).toEqual(stored.stored)
    })

    scenario(`a batch larger than one chunk (${INGEST_BATCH} uploads): a later chunk sees what an earlier one stored`, async () => {
      const harness = h()
      const w = await world(harness)
      const base = { formId: w.formId, createdAt: CREATED, orgUnitId: w.units.facility.id as OrgUnitId }
      const inputs: Array<SubmissionInput> = Array.from({ length: INGEST_BATCH }, (_, n) => ({
        ...base,
        xml: xmlOf({ id: ID(1000 + n), answers: { hh: String(n) } })
      }))
      inputs.push({ ...base, xml: xmlOf({ id: ID(1000), answers: { hh: "0" } }) })
      inputs.push({ ...base, xml: xmlOf({ id: ID(999), deprecated: ID(1001), answers: { hh: "edited" } }) })
      const many = await ingestMany(harness, w, w.field, inputs)
      const outcomes = many.map((item) => (item._tag === "Ok" ? item.value.outcome : item.error._tag))
      expect(outcomes.slice(0, INGEST_BATCH).every((outcome) => outcome === "created")).toBe(true)
      expect(outcomes.slice(INGEST_BATCH)).toEqual(["unchanged", "edited"])
      const created = many.slice(0, INGEST_BATCH).map((item) => (item._tag === "Ok" ? item.value.instance : undefined))
      // Counter values in order: 1 to 500, each followed by the field's digits.
      expect(created.map((instance) => instance?.correlationId?.slice(0, -3))).toEqual(created.map((_, n) => `${n + 1}${n}`))
      const resent = many[INGEST_BATCH]
      expect(resent?._tag === "Ok" ? resent.value.instance.id : undefined).toBe(created[0]?.id)
      const edited = many[INGEST_BATCH + 1]
      expect(edited?._tag === "Ok" ? [edited.value.instance.id, edited.value.instance.currentUuid, edited.value.instance.version] : []).toEqual([
        created[1]?.id,
        ID(999),
        2
      ])
      expect((await harness.inspectAccount(InstanceModel, w.account.accountId)).length).toBe(INGEST_BATCH)
      expect((await harness.inspectAccount(AccountSequenceModel, w.account.accountId)).map((row) => row["value"])).toEqual([
        await counterAfter(harness, INGEST_BATCH)
      ])
    })

    scenario("two batches racing with one new submission: one creates it, the other gets it back", async () => {
      const harness = h()
      const w = await world(harness)
      const base = { formId: w.formId, createdAt: CREATED, orgUnitId: w.units.facility.id as OrgUnitId }
      const input = { ...base, xml: xmlOf({ id: ID(31), answers: { imei: "imei-31" } }) }
      const other = { ...base, xml: xmlOf({ id: ID(32) }) }
      const both = await ok(
        run(
          harness,
          w,
          w.field,
          Effect.flatMap(Effect.service(Instances), (i) => Effect.all([i.ingestMany([input, other]), i.ingestMany([input])], { concurrency: 2 }))
        )
      )
      const results = both.flat().map((item) => (item._tag === "Ok" ? `${item.value.instance.uuid} ${item.value.outcome}` : item.error._tag))
      expect([...results].sort()).toEqual([`${ID(31)} created`, `${ID(31)} unchanged`, `${ID(32)} created`])
      expect((await harness.inspectAccount(InstanceModel, w.account.accountId)).map((row) => row["uuid"]).sort()).toEqual([ID(31), ID(32)])
      expect((await harness.inspectAccount(DeviceModel, w.account.accountId)).map((row) => row["imei"])).toEqual(["imei-31"])
    })
  })
}
