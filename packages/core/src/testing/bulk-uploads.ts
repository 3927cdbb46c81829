/**
 * Mobile bulk uploads on IASO's own fixtures (`mobile_bulk_uploads/*`, read through the suite's
 * fixture loader; skipped with the reason when ../shared is absent, a failure under CI), on every
 * adapter: org units then submissions, entities found, created, deleted or merged, attributes,
 * attachments and their `serie_id` copies, the re-upload rule, unsupported sections, and archives
 * refused before anything is stored.
 *
 * IASO's database fixtures are recreated by each scenario: in a fresh account, org unit type
 * "Hopital" (IASO id 5), org units "LaLaland" (1) > "District A.A" (4), the registration form (1,
 * the entity type's reference form) and the CATT form (2), the entity type (1). The JSON keeps
 * IASO's integer ids; the upload maps them to ours through its `foreignIds` option.
 * @module
 */
import { Effect, Exit } from "effect"
import { zipSync } from "fflate"
import { describe, expect, type TestContext } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { type Entity, EntityModel, EntityTypeModel } from "../entities/entity.ts"
import { FormModel } from "../forms/form.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypes } from "../registry/org-unit-types-service.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { BlobStore } from "../shared/blob.ts"
import type { EntityTypeId, FormId, OrgUnitId, OrgUnitTypeId, ProjectId, SourceVersionId, UserId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Row } from "../shared/model.ts"
import { StorageDeviceModel, StorageLogEntryInstanceModel, StorageLogEntryModel } from "../storage/storage.ts"
import { InstanceFileModel, InstanceModel } from "../submissions/instance-model.ts"
import { Instances, type MobileBulkUploadOptions, type MobileBulkUploadResult, type SubmissionInput } from "../submissions/instances-service.ts"
import type { BulkUploadFiles } from "../submissions/bulk-archive.ts"
import { Actor } from "../tenancy/actor.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type FixtureLoader, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"
import { memoryBlobs, snapshot } from "./submission-world.ts"

const ROOT = "iaso/iaso/tests/fixtures/mobile_bulk_uploads"
const DISASI = "3f0ed68e-bfcf-4395-a2a5-a5821390ae1b"
const PATRICE = "90619ebe-4aa5-4eca-ae66-bf989bfb1539"
const DISASI_CATT = "a5362052-408f-44f8-8abc-2a520c01ea10"
const PATRICE_CATT = "f55b0eff-b353-49ea-93b9-0257b6b807c4"
const NEW_UNIT = "9dcb6991-c72c-416d-ba38-4556c62b400f"
/** The registration of `storage_logs` (its mobile id, the entity's uuid). */
const PROFILE = "5475bfcf-5a3f-4170-9d88-245d89352362"
/** The ODK instance ids (`meta/instanceID`) of the fixtures' XML: the submissions' `uuid` here. */
const XML_ID = {
  [DISASI]: "63e653b6-bca1-4a6d-93d9-6db455c342db",
  [PATRICE]: "a5272494-b1ea-4e1e-94ec-831454cfe15d",
  [DISASI_CATT]: "03b91754-6b59-4cb4-b786-aef7690c8a48",
  [PATRICE_CATT]: "a8bcef3a-0b77-4ced-8c0a-d247ac596c5f"
} as const

/** Every file of each fixture folder (the loader reads files, it lists no folder). */
const FIXTURE_FILES: { readonly [name: string]: ReadonlyArray<string> } = {
  catt_one_test_with_image: [
    "orgUnits.json",
    "instances.json",
    `${DISASI_CATT}/1712326156339.webp`,
    `${DISASI_CATT}/16_12_127775b2-06a2-4ae6-b2bd-cf64143a9dfe_2024-04-05_16-09-42.xml`,
    `${PATRICE}/20_56_bd75c228-ee48-4df6-9226-aaaaaaaaaaaa_2024-04-05_16-08-56.xml`,
    `${DISASI}/20_56_bd75c228-ee48-4df6-9226-d6360d0e6b6c_2024-04-05_16-08-56.xml`,
    `${PATRICE_CATT}/16_12_127775b2-06a2-4ae6-b2bd-bbbbbbbbbbbb_2024-04-05_16-09-42.xml`
  ],
  labo_update_registration_form: [
    "instances.json",
    `${PATRICE}/20_56_bbbbbbbb-ee48-4df6-9226-aaaaaaaaaaaa_2024-04-05_16-08-56.xml`,
    `${DISASI}/18_03_some-other-registration-file.xml`,
    `${DISASI}/20_56_aaaaaaaa-ee48-4df6-9226-d6360d0e6b6c_2024-04-05_16-08-56.xml`
  ],
  storage_logs: ["instances.json", "storageLogs.json", `${PROFILE}/3_2_809f9a76-3f3f-4033-aefb-98f47fb2ccaf_2024-12-03_12-46-06.xml`],
  disasi_only: [
    "orgUnits.json",
    "instances.json",
    `${DISASI_CATT}/16_12_127775b2-06a2-4ae6-b2bd-cf64143a9dfe_2024-04-05_16-09-42.xml`,
    `${DISASI}/20_56_bd75c228-ee48-4df6-9226-d6360d0e6b6c_2024-04-05_16-08-56.xml`
  ]
}

/** A fixture folder as a map of paths to bytes, or `undefined` after skipping the scenario (a failure when files are required). */
const folder = async (fixtures: FixtureLoader | undefined, name: string, context: TestContext): Promise<Map<string, Uint8Array> | undefined> => {
  const files = new Map<string, Uint8Array>()
  for (const path of FIXTURE_FILES[name] ?? []) {
    const full = `${ROOT}/${name}/${path}`
    const bytes = await fixtures?.read(full)
    if (bytes === undefined) {
      if (fixtures?.required === true) throw new Error(`missing fixture ${full}: ../shared/fixtures is required here (CI)`)
      context.skip(fixtures === undefined ? "no fixture loader was given to the suite" : `../shared/fixtures/${full} is absent`)
      return undefined
    }
    files.set(path, bytes)
  }
  return files
}

/** A folder map as a zip archive, as the mobile app sends it. */
const zipOf = (files: ReadonlyMap<string, Uint8Array>): Uint8Array => zipSync(Object.fromEntries(files))

/** IASO's database fixtures, recreated in a fresh account (see the module documentation). */
const iasoWorld = async (harness: Harness) => {
  const account = await harness.freshAccount()
  const repos = await harness.repos()
  const versionId = account.versionId as SourceVersionId
  const projectId = account.projectId as ProjectId
  const { type, lalaland, district } = await harness.as(
    account.system,
    Effect.gen(function* () {
      const type = yield* (yield* OrgUnitTypes).create({ name: "Hopital", projectIds: [projectId] })
      const units = yield* OrgUnits
      const lalaland = yield* units.create({ name: "LaLaland", versionId })
      const district = yield* units.create({ name: "District A.A", versionId, parentId: lalaland.id })
      return { type, lalaland, district }
    })
  )
  const form = (name: string) =>
    harness.run(
      repos.insert(FormModel, account.accountId, {
        name,
        uuid: uuidv7(),
        correlatable: false,
        singlePerPeriod: false,
        derived: false,
        changeRequestMode: "CR_MODE_NONE"
      })
    )
  const registration = await form("Enregistrement")
  const catt = await form("CATT")
  const entityType = await harness.run(
    repos.insert(EntityTypeModel, account.accountId, {
      name: "Patient",
      referenceFormId: registration.id,
      isActive: true,
      preventAddIfDuplicateFound: false
    })
  )
  const user = await harness.run(
    repos.insert(UserModel, account.accountId, { username: `mobile.${uuidv7()}`, firstName: "Mobile", lastName: "", email: "", isActive: true })
  )
  // A field worker: no permission codename (IASO's mobile upload needs none).
  const worker = Actor.user({ accountId: account.accountId, userId: user.id as UserId, permissions: [] })
  const options: MobileBulkUploadOptions = {
    projectId,
    foreignIds: {
      forms: { "1": registration.id as FormId, "2": catt.id as FormId },
      orgUnits: { "1": lalaland.id as OrgUnitId, "4": district.id as OrgUnitId },
      orgUnitTypes: { "5": type.id as OrgUnitTypeId },
      entityTypes: { "1": entityType.id as EntityTypeId }
    }
  }
  const blobs = await memoryBlobs()
  const upload = (input: BulkUploadFiles, actor: Actor = worker, extra: Partial<MobileBulkUploadOptions> = {}) =>
    harness.exitAs(
      actor,
      Effect.flatMap(Effect.service(Instances), (instances) => instances.importMobileBulkUpload(input, { ...options, ...extra })).pipe(
        Effect.provideService(BlobStore, blobs)
      )
    )
  const rows = async (model: Parameters<Harness["inspectAccount"]>[0]) => harness.inspectAccount(model, account.accountId)
  /** The stored submission whose ODK instance id is `uuid`. */
  const instanceOf = async (uuid: string): Promise<Row | undefined> => (await rows(InstanceModel)).find((row) => row["uuid"] === uuid)
  const entityOf = async (uuid: string): Promise<ReadonlyArray<Row>> => (await rows(EntityModel)).filter((row) => row["uuid"] === uuid)
  return { account, repos, blobs, type, lalaland, district, registration, catt, entityType, user, worker, upload, rows, instanceOf, entityOf }
}

type IasoWorld = Awaited<ReturnType<typeof iasoWorld>>

const succeeded = async (exit: Promise<Exit.Exit<MobileBulkUploadResult, unknown>>): Promise<MobileBulkUploadResult> => {
  const done = await exit
  if (Exit.isSuccess(done)) return done.value
  throw new Error(`expected the upload to succeed, got ${exitTag(done)}: ${String((exitError(done) as { message?: unknown } | undefined)?.message ?? "")}`)
}

/** An entity stored before the upload (deleted, merged...), as IASO's tests prepare them. */
const storedEntity = (w: IasoWorld, harness: Harness, fields: Partial<Entity> & { readonly uuid: string }) =>
  harness.run(w.repos.insert(EntityModel, w.account.accountId, { name: "", entityTypeId: w.entityType.id, ...fields }))

const answers = (row: Row | undefined): Record<string, unknown> => (row?.["json"] ?? {}) as Record<string, unknown>

/** Registers the bulk-upload scenarios. */
export const bulkUploadScenarios = (h: () => Harness, fixtures: FixtureLoader | undefined): void => {
  describe("mobile bulk uploads", () => {
    scenario(
      "catt_one_test_with_image (a zip): the new org unit, 2 entities, 4 submissions, the image and its serie_id copy; sent again, nothing changes",
      async (context) => {
        const files = await folder(fixtures, "catt_one_test_with_image", context)
        if (files === undefined) return
        const harness = h()
        const w = await iasoWorld(harness)
        const progress: Array<string> = []
        const result = await succeeded(w.upload(zipOf(files), w.worker, { onProgress: (p) => progress.push(`${p.phase} ${p.done}/${p.total ?? "?"}`) }))
        expect(progress).toEqual(["read 7/7", "write 1/2", "write 2/2"])
        expect([result.orgUnits.created.length, result.orgUnits.skipped, result.filesAdded]).toEqual([1, 0, 1])
        expect(result.instances.map((item) => [item.id, item.outcome])).toEqual([
          [DISASI_CATT, "created"],
          [DISASI, "created"],
          [PATRICE_CATT, "created"],
          [PATRICE, "created"]
        ])
        const unit = (await w.rows(OrgUnitModel)).find((row) => row["uuid"] === NEW_UNIT)
        expect(unit).toMatchObject({
          name: "New Org Unit",
          validationStatus: "NEW",
          custom: true,
          parentId: w.district.id,
          orgUnitTypeId: w.type.id,
          versionId: w.account.versionId,
          creatorId: w.user.id,
          location: { type: "Point", coordinates: [4.6004297, 50.6429494, 128.3000030517578] }
        })
        // IASO keeps the second (1712326429); milliseconds are kept here.
        expect(unit?.["sourceCreatedAt"]).toBe(1712326429884)
        const entities = await w.rows(EntityModel)
        expect(entities.map((row) => row["uuid"]).sort()).toEqual([DISASI, PATRICE])
        const disasi = await w.instanceOf(XML_ID[DISASI])
        const patrice = await w.instanceOf(XML_ID[PATRICE])
        const disasiCatt = await w.instanceOf(XML_ID[DISASI_CATT])
        const patriceCatt = await w.instanceOf(XML_ID[PATRICE_CATT])
        expect(await w.rows(InstanceModel)).toHaveLength(4)
        const entityId = (uuid: string) => entities.find((row) => row["uuid"] === uuid)?.["id"]
        expect([disasi, disasiCatt].map((row) => row?.["entityId"])).toEqual([entityId(DISASI), entityId(DISASI)])
        expect([patrice, patriceCatt].map((row) => row?.["entityId"])).toEqual([entityId(PATRICE), entityId(PATRICE)])
        expect(entities.map((row) => [row["uuid"], row["attributesId"]]).sort()).toEqual([
          [DISASI, disasi?.["id"]],
          [PATRICE, patrice?.["id"]]
        ])
        expect([answers(disasi)["_full_name"], answers(patrice)["_full_name"], answers(disasiCatt)["result"]]).toEqual([
          "Disasi Makulo",
          "Patrice Akambu",
          "positive"
        ])
        expect(disasiCatt).toMatchObject({
          orgUnitId: unit?.["id"],
          formId: w.catt.id,
          projectId: w.account.projectId,
          accuracy: "12.74",
          sourceCreatedAt: 1712326182450,
          fileName: "16_12_127775b2-06a2-4ae6-b2bd-cf64143a9dfe_2024-04-05_16-09-42.xml",
          createdById: w.user.id,
          deleted: false
        })
        expect(disasi?.["accuracy"]).toBe("14.93")
        const attachments = await w.rows(InstanceFileModel)
        expect(attachments.map((row) => [row["instanceId"], row["name"]]).sort()).toEqual(
          [
            [disasiCatt?.["id"], "1712326156339.webp"],
            [patriceCatt?.["id"], "1712326156339.webp"]
          ].sort()
        )
        expect((attachments[0]?.["file"] as { readonly mediaType?: string } | undefined)?.mediaType).toBe("image/webp")
        // The same upload again (the phone retried): everything is skipped, nothing is added.
        const before = await snapshot(harness, w.account, [OrgUnitModel, EntityModel, InstanceModel, InstanceFileModel])
        const again = await succeeded(w.upload(files))
        expect([again.orgUnits.created.length, again.orgUnits.skipped, again.filesAdded]).toEqual([0, 1, 0])
        expect(again.instances.map((item) => item.outcome)).toEqual(["skipped", "skipped", "skipped", "skipped"])
        expect(await snapshot(harness, w.account, [OrgUnitModel, EntityModel, InstanceModel, InstanceFileModel])).toEqual(before)
      }
    )

    scenario("catt_one_test_with_image without orgUnits.json fails (its org unit uuid is unknown) and stores nothing", async (context) => {
      const files = await folder(fixtures, "catt_one_test_with_image", context)
      if (files === undefined) return
      const harness = h()
      const w = await iasoWorld(harness)
      files.delete("orgUnits.json")
      const before = await snapshot(harness, w.account, [OrgUnitModel, EntityModel, InstanceModel, InstanceFileModel, AuditEntryModel])
      const exit = await w.upload(files)
      expect(exitTag(exit)).toBe("NotFound")
      expect((exitError(exit) as { readonly id?: string }).id).toBe(NEW_UNIT)
      expect(await snapshot(harness, w.account, [OrgUnitModel, EntityModel, InstanceModel, InstanceFileModel, AuditEntryModel])).toEqual(before)
    })

    scenario(
      "labo_update_registration_form after catt: Disasi's later registration replaces its answers (audited), Patrice's is skipped, a stray .xml is no attachment",
      async (context) => {
        const catt = await folder(fixtures, "catt_one_test_with_image", context)
        const labo = await folder(fixtures, "labo_update_registration_form", context)
        if (catt === undefined || labo === undefined) return
        const harness = h()
        const w = await iasoWorld(harness)
        await succeeded(w.upload(catt))
        expect(answers(await w.instanceOf(XML_ID[DISASI]))["is_confirmed_positive"]).toBe("0")
        const result = await succeeded(w.upload(labo))
        expect(result.instances.map((item) => [item.id, item.outcome])).toEqual([
          [DISASI, "updated"],
          [PATRICE, "skipped"]
        ])
        const disasi = await w.instanceOf(XML_ID[DISASI])
        expect([answers(disasi)["is_confirmed_positive"], answers(await w.instanceOf(XML_ID[PATRICE]))["is_confirmed_positive"]]).toEqual(["1", "0"])
        expect(disasi).toMatchObject({ sourceUpdatedAt: 1713326150005, fileName: "20_56_aaaaaaaa-ee48-4df6-9226-d6360d0e6b6c_2024-04-05_16-08-56.xml" })
        expect(await w.rows(InstanceFileModel)).toHaveLength(2)
        // The serie_id copy of the catt upload is audited too (an InstanceFile); the refresh is the one Instance entry.
        const audits = (await w.rows(AuditEntryModel)).filter((row) => row["source"] === "BULK_UPLOAD" && row["objectModel"] === "Instance")
        expect(audits.map((row) => [row["objectModel"], row["objectId"]])).toEqual([["Instance", disasi?.["id"]]])
        const [audit] = audits
        expect([(audit?.["before"] as Row | undefined)?.["sourceUpdatedAt"], (audit?.["after"] as Row | undefined)?.["sourceUpdatedAt"]]).toEqual([
          1712326150005, 1713326150005
        ])
      }
    )

    scenario("labo_update_registration_form with Disasi merged into another entity: the survivor's older attributes are refreshed too", async (context) => {
      const catt = await folder(fixtures, "catt_one_test_with_image", context)
      const labo = await folder(fixtures, "labo_update_registration_form", context)
      if (catt === undefined || labo === undefined) return
      const harness = h()
      const w = await iasoWorld(harness)
      await succeeded(w.upload(catt))
      const older = await harness.run(
        w.repos.insert(InstanceModel, w.account.accountId, {
          uuid: uuidv7(),
          formId: w.registration.id,
          json: { _full_name: "D. Makulo" },
          sourceUpdatedAt: new Date("2024-04-10T00:00:00Z"),
          deleted: false,
          toExport: false,
          generalValidationStatus: ""
        })
      )
      const survivor = await storedEntity(w, harness, { uuid: uuidv7(), attributesId: older.id })
      const [merged] = await w.entityOf(DISASI)
      await harness.run(w.repos.update(EntityModel, w.account.accountId, String(merged?.["id"]), { deletedAt: new Date(), mergedToId: survivor.id }))
      await succeeded(w.upload(labo))
      const refreshed = (await w.rows(InstanceModel)).find((row) => row["id"] === older.id)
      expect([answers(refreshed)["_full_name"], answers(refreshed)["is_confirmed_positive"], refreshed?.["sourceUpdatedAt"]]).toEqual([
        "Disasi Makulo",
        "1",
        1713326150005
      ])
    })

    scenario("disasi_only with its entity soft-deleted and not merged: the new submissions are stored deleted, the entity stays deleted", async (context) => {
      const files = await folder(fixtures, "disasi_only", context)
      if (files === undefined) return
      const harness = h()
      const w = await iasoWorld(harness)
      const deleted = await storedEntity(w, harness, { uuid: DISASI, deletedAt: new Date("2024-04-01T00:00:00Z") })
      await succeeded(w.upload(files))
      const rows = [await w.instanceOf(XML_ID[DISASI_CATT]), await w.instanceOf(XML_ID[DISASI])]
      expect(rows.map((row) => [row?.["entityId"], row?.["deleted"]])).toEqual([
        [deleted.id, true],
        [deleted.id, true]
      ])
      expect((await w.entityOf(DISASI)).map((row) => [row["id"], row["deletedAt"]])).toEqual([[deleted.id, Date.parse("2024-04-01T00:00:00Z")]])
    })

    scenario("disasi_only with its entity merged, and merged twice: the submissions go to the surviving entity", async (context) => {
      const files = await folder(fixtures, "disasi_only", context)
      if (files === undefined) return
      const harness = h()
      for (const chain of [1, 2]) {
        const w = await iasoWorld(harness)
        const survivor = await storedEntity(w, harness, { uuid: uuidv7() })
        const middle = chain === 2 ? await storedEntity(w, harness, { uuid: uuidv7(), deletedAt: new Date(), mergedToId: survivor.id }) : survivor
        await storedEntity(w, harness, { uuid: DISASI, deletedAt: new Date(), mergedToId: middle.id })
        await succeeded(w.upload(files))
        const catt = await w.instanceOf(XML_ID[DISASI_CATT])
        const registration = await w.instanceOf(XML_ID[DISASI])
        expect([catt?.["entityId"], catt?.["deleted"], registration?.["entityId"], registration?.["deleted"]]).toEqual([survivor.id, false, survivor.id, false])
        const stored = (await w.rows(EntityModel)).find((row) => row["id"] === survivor.id)
        expect(stored?.["attributesId"]).toBe(registration?.["id"])
      }
    })

    scenario(
      "disasi_only with duplicate uuids: 1 active + 1 deleted gives the active one; 2 deleted give the better score (with attributes), stored deleted",
      async (context) => {
        const files = await folder(fixtures, "disasi_only", context)
        if (files === undefined) return
        const harness = h()
        const one = await iasoWorld(harness)
        await storedEntity(one, harness, { uuid: DISASI, deletedAt: new Date() })
        const active = await storedEntity(one, harness, { uuid: DISASI })
        await succeeded(one.upload(files))
        expect((await one.instanceOf(XML_ID[DISASI_CATT]))?.["entityId"]).toBe(active.id)
        const two = await iasoWorld(harness)
        // The better one has attributes: an older registration (stored deleted).
        const older = await harness.run(
          two.repos.insert(InstanceModel, two.account.accountId, {
            uuid: uuidv7(),
            formId: two.registration.id,
            json: {},
            deleted: true,
            toExport: false,
            generalValidationStatus: ""
          })
        )
        await storedEntity(two, harness, { uuid: DISASI, deletedAt: new Date() })
        const best = await storedEntity(two, harness, { uuid: DISASI, deletedAt: new Date(), attributesId: older.id })
        await succeeded(two.upload(files))
        const catt = await two.instanceOf(XML_ID[DISASI_CATT])
        expect([catt?.["entityId"], catt?.["deleted"]]).toEqual([best.id, true])
        expect(await two.entityOf(DISASI)).toHaveLength(2)
      }
    )

    scenario("a submission without entity keys (IASO's instance_form_1_1.xml, inline) creates no entity", async (context) => {
      const xml = await fixtures?.read("iaso/iaso/fixtures/instance_form_1_1.xml")
      if (xml === undefined) {
        if (fixtures?.required === true) throw new Error("missing fixture iaso/iaso/fixtures/instance_form_1_1.xml")
        context.skip("../shared/fixtures/iaso/iaso/fixtures/instance_form_1_1.xml is absent")
        return
      }
      const harness = h()
      const w = await iasoWorld(harness)
      const id = "b6e9c1ae-8f4e-4a5b-9d4b-3f1c6a1d2e10"
      const instances = [
        { id, file: "/sdcard/odk/instances/instance_form_1_1.xml", formId: "1", orgUnitId: "1", created_at: 1591635262, updated_at: 1591635262 }
      ]
      const result = await succeeded(
        w.upload(
          new Map([
            ["instances.json", new TextEncoder().encode(JSON.stringify(instances))],
            [`${id}/instance_form_1_1.xml`, xml]
          ])
        )
      )
      expect(result.instances.map((item) => item.outcome)).toEqual(["created"])
      const stored = await w.instanceOf("df8b4f5d-6b26-4fc5-a39a-6d923f740ecb")
      expect([stored?.["orgUnitId"], stored?.["entityId"], stored?.["sourceCreatedAt"]]).toEqual([w.lalaland.id, undefined, 1591635262000])
      expect(await w.rows(EntityModel)).toEqual([])
    })

    scenario(
      "Instances.ingest links entities: a follow-up first creates the entity, the registration becomes its attributes; another type's live uuid is a Conflict",
      async () => {
        const harness = h()
        const w = await iasoWorld(harness)
        const entityUuid = "5f2b1c3d-0000-4000-8000-00000000000a"
        const xml = (id: string) => `<?xml version="1.0"?><data id="f"><name>Awa</name><meta><instanceID>uuid:${id}</instanceID></meta></data>`
        const ingest = (input: Omit<SubmissionInput, "createdAt">) =>
          harness.exitAs(
            w.worker,
            Effect.flatMap(Effect.service(Instances), (instances) => instances.ingest({ createdAt: new Date("2024-04-05T00:00:00Z"), ...input })).pipe(
              Effect.provideService(BlobStore, w.blobs)
            )
          )
        const followUp = await ingest({
          xml: xml(uuidv7()),
          formId: w.catt.id as FormId,
          entityUuid,
          entityTypeId: w.entityType.id as EntityTypeId,
          orgUnitId: w.district.id
        })
        expect(exitTag(followUp)).toBe("Success")
        const [created] = await w.entityOf(entityUuid)
        expect([created?.["attributesId"], created?.["entityTypeId"], created?.["name"]]).toEqual([undefined, w.entityType.id, ""])
        const registration = await ingest({
          xml: xml(uuidv7()),
          formId: w.registration.id as FormId,
          entityUuid,
          entityTypeId: w.entityType.id as EntityTypeId
        })
        const stored = Exit.isSuccess(registration) ? registration.value.instance : undefined
        expect([stored?.entityId, (await w.entityOf(entityUuid))[0]?.["attributesId"]]).toEqual([created?.["id"], stored?.id])
        expect((await w.rows(AuditEntryModel)).filter((row) => row["objectModel"] === "Entity").map((row) => row["source"])).toEqual([
          "SYNC FORM UPLOAD",
          "SYNC FORM UPLOAD"
        ])
        const other = await harness.run(
          w.repos.insert(EntityTypeModel, w.account.accountId, { name: "Household", isActive: true, preventAddIfDuplicateFound: false })
        )
        const before = await snapshot(harness, w.account, [EntityModel, InstanceModel])
        const taken = await ingest({ xml: xml(uuidv7()), formId: w.catt.id as FormId, entityUuid, entityTypeId: other.id as EntityTypeId })
        expect(exitTag(taken)).toBe("Conflict")
        expect(await snapshot(harness, w.account, [EntityModel, InstanceModel])).toEqual(before)
      }
    )

    scenario(
      "a section not supported yet (stockLedgerItems.json) fails with Unsupported naming it, after the org units and submissions committed",
      async (context) => {
        const files = await folder(fixtures, "disasi_only", context)
        if (files === undefined) return
        const harness = h()
        const w = await iasoWorld(harness)
        files.set("stockLedgerItems.json", new TextEncoder().encode("[]"))
        const exit = await w.upload(files)
        expect(exitTag(exit)).toBe("Unsupported")
        expect((exitError(exit) as { readonly message: string }).message).toContain("stockLedgerItems.json")
        expect([(await w.rows(InstanceModel)).length, (await w.rows(OrgUnitModel)).filter((row) => row["uuid"] === NEW_UNIT).length]).toEqual([2, 1])
      }
    )

    scenario(
      "storage_logs: one NFC device at org unit 1 holding the created entity, a RESET without entity then a WRITE_PROFILE linked to the entity and the submission; sent again, nothing changes",
      async (context) => {
        const files = await folder(fixtures, "storage_logs", context)
        if (files === undefined) return
        const harness = h()
        const w = await iasoWorld(harness)
        const result = await succeeded(w.upload(zipOf(files)))
        expect(result.instances.map((item) => item.outcome)).toEqual(["created"])
        expect([result.storageLogs.created.length, result.storageLogs.skipped, result.storageLogs.blacklisted]).toEqual([2, [], []])
        const [entity] = await w.entityOf(PROFILE)
        const devices = await w.rows(StorageDeviceModel)
        expect(devices.map((row) => [row["customerChosenId"], row["type"], row["status"], row["orgUnitId"], row["entityId"]])).toEqual([
          ["BGJGcuxqgA==", "NFC", "OK", w.lalaland.id, entity?.["id"]]
        ])
        const logs = await w.rows(StorageLogEntryModel)
        const byId = (id: string) => logs.find((row) => row["id"] === id)
        const reset = byId("ff023d13-25fa-43c5-9717-5f427b929cb6")
        const profile = byId("da14ef24-74a1-4f7b-9621-6e33e88773b8")
        expect(logs.length).toBe(2)
        expect([reset?.["operationType"], reset?.["entityId"], reset?.["orgUnitId"], reset?.["performedAt"], reset?.["performedById"]]).toEqual([
          "RESET",
          undefined,
          w.lalaland.id,
          1733226445771,
          w.user.id
        ])
        expect([profile?.["operationType"], profile?.["entityId"], profile?.["performedAt"]]).toEqual(["WRITE_PROFILE", entity?.["id"], 1729839290867])
        const instance = await w.instanceOf("38e7cfff-4489-46ba-87e5-e436c7e8d815")
        expect((await w.rows(StorageLogEntryInstanceModel)).map((row) => [row["storageLogEntryId"], row["instanceId"]])).toEqual([
          [profile?.["id"], instance?.["id"]]
        ])
        const before = await snapshot(harness, w.account, [StorageDeviceModel, StorageLogEntryModel, StorageLogEntryInstanceModel])
        const again = await succeeded(w.upload(zipOf(files)))
        expect([again.storageLogs.created.length, again.storageLogs.skipped.length]).toEqual([0, 2])
        expect(await snapshot(harness, w.account, [StorageDeviceModel, StorageLogEntryModel, StorageLogEntryInstanceModel])).toEqual(before)
      }
    )

    scenario("a storageLogs.json naming an unknown storage type fails with IASO's message at the section and stores no device or log", async () => {
      const harness = h()
      const w = await iasoWorld(harness)
      const logs = [
        { id: globalThis.crypto.randomUUID(), storage_id: "X", storage_type: "FLOPPY", operation_type: "READ", instances: [], performed_at: 1733226445 }
      ]
      const exit = await w.upload(new Map([["storageLogs.json", new TextEncoder().encode(JSON.stringify(logs))]]))
      expect([exitTag(exit), (exitError(exit) as { readonly message: string }).message]).toEqual([
        "ValidationError",
        'Invalid storage type: FLOPPY\n  at ["storageLogs.json",0,"storageType"]'
      ])
      expect([...(await w.rows(StorageDeviceModel)), ...(await w.rows(StorageLogEntryModel))]).toEqual([])
    })

    scenario("an archive with a path leaving its folder, or over its limits, is refused with a ValidationError and stores nothing", async () => {
      const harness = h()
      const w = await iasoWorld(harness)
      const before = await snapshot(harness, w.account, [OrgUnitModel, EntityModel, InstanceModel, InstanceFileModel, AuditEntryModel])
      const orgUnits = new TextEncoder().encode(JSON.stringify([{ id: uuidv7(), name: "Evil", parent_id: "4", created_at: 1712326429 }]))
      const traversal = await w.upload(zipSync({ "orgUnits.json": orgUnits, "../../etc/passwd": new Uint8Array([1]) }))
      expect(exitTag(traversal)).toBe("ValidationError")
      expect((exitError(traversal) as { readonly message: string }).message).toContain('"../../etc/passwd" is a path with an empty, `.` or `..` segment')
      const bomb = await w.upload(zipSync({ "orgUnits.json": orgUnits, "big.bin": new Uint8Array(2 * 1024 * 1024) }), w.worker, {
        limits: { maxUploadBytes: 1024 * 1024, maxZipEntries: 10, maxEntryBytes: 1024 * 1024, maxUncompressedBytes: 4 * 1024 * 1024 }
      })
      expect(exitTag(bomb)).toBe("ValidationError")
      expect((exitError(bomb) as { readonly message: string }).message).toContain("(limit `maxEntryBytes`)")
      expect(await snapshot(harness, w.account, [OrgUnitModel, EntityModel, InstanceModel, InstanceFileModel, AuditEntryModel])).toEqual(before)
    })
  })
}
