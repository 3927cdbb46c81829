/**
 * IASO's submission fixtures (reference §15.1), one row per file, each in its own account (several
 * share one instanceID): ingested through `Instances.ingest` on the memory store, checked against
 * the JSON, form version, uuid, location and accuracy the reference gives.
 */
import {
  Accounts,
  Actor,
  type AuditEntry,
  AuditEntryModel,
  BlobStore,
  CurrentActor,
  type FormId,
  FormModel,
  FormVersionModel,
  type IngestResult,
  Instances,
  MemoryStore,
  uuidv7
} from "@iaso/core"
import { readXlsForm } from "@iaso/core/xlsform"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { Effect, Exit, Layer, ManagedRuntime, Random, Result } from "effect"
import { readFileSync } from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { sharedAvailable, sharedPath, skipMessage } from "./shared-files.ts"

const DIR = "fixtures/iaso/iaso/tests/fixtures"
const available = sharedAvailable(`${DIR}/hydroponics_test_upload.xml`)
/** A fixture's bytes: a name in IASO's tests/fixtures, or a path under ../shared. */
const bytesOf = (file: string): Uint8Array => new Uint8Array(readFileSync(sharedPath(file.startsWith("fixtures/") ? file : `${DIR}/${file}`)))

const runtime = ManagedRuntime.make(Layer.mergeAll(IasoWithRepos.layer, BlobStore.memory()).pipe(Layer.provideMerge(MemoryStore.layer())))
afterAll(() => runtime.dispose())

/** What a row sets up: the form's fields, a version read from an XLSForm, files ingested first. */
interface Setup {
  readonly locationField?: string
  readonly correlationField?: string
  readonly version?: { readonly xlsx: string; readonly versionId: string }
  readonly before?: ReadonlyArray<string>
}

interface Ingested {
  readonly result: IngestResult
  readonly audit: ReadonlyArray<Partial<AuditEntry>>
  readonly versionRecordId: string | undefined
}

let accounts = 0

/** A fresh account with the row's form (and version), `before` ingested, then `xml`. */
const ingestRow = (setup: Setup, xml: string | Uint8Array, uuid?: string) =>
  runtime.runPromiseExit(
    Effect.gen(function* () {
      accounts += 1
      const { account } = yield* (yield* Accounts).setup({ name: `fixtures ${uuidv7()} ${accounts}` })
      const repos = yield* Repos
      const form = yield* repos.insert(FormModel, account.id, {
        name: "Fixture form",
        uuid: uuidv7(),
        correlatable: false,
        singlePerPeriod: false,
        derived: false,
        changeRequestMode: "CR_MODE_NONE",
        ...(setup.locationField === undefined ? {} : { locationField: setup.locationField }),
        ...(setup.correlationField === undefined ? {} : { correlationField: setup.correlationField })
      })
      let versionRecordId: string | undefined
      if (setup.version !== undefined) {
        const bytes = bytesOf(setup.version.xlsx)
        const parsed = readXlsForm(bytes, setup.version.xlsx)
        if (Result.isFailure(parsed)) return yield* Effect.die(parsed.failure)
        const file = yield* (yield* BlobStore).put(bytes, { mediaType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" })
        const version = yield* repos.insert(FormVersionModel, account.id, {
          formId: form.id,
          file,
          md5: "",
          versionId: setup.version.versionId,
          formDescriptor: parsed.success.descriptor as unknown as Record<string, never>
        })
        versionRecordId = version.id
      }
      const instances = yield* Instances
      const ingest = (body: string | Uint8Array, id?: string) =>
        instances
          .ingest({ xml: body, formId: form.id as FormId, createdAt: new Date("2024-05-02T10:00:00Z"), ...(id === undefined ? {} : { uuid: id }) })
          .pipe(Effect.provideService(CurrentActor, Actor.system(account.id)), Random.withSeed(7))
      for (const file of setup.before ?? []) yield* ingest(bytesOf(file))
      const result = yield* ingest(xml, uuid)
      const audit = yield* repos.list(AuditEntryModel, account.id, {
        where: [
          { field: "objectModel", op: "eq", value: "Instance" },
          { field: "objectId", op: "eq", value: result.instance.id }
        ],
        orderBy: [{ field: "createdAt" }],
        limit: 100
      })
      return { result, audit: audit.items, versionRecordId } satisfies Ingested
    })
  )

const ingested = async (setup: Setup, xml: string | Uint8Array, uuid?: string): Promise<Ingested> => {
  const exit = await ingestRow(setup, xml, uuid)
  if (Exit.isFailure(exit)) throw new Error(`ingestion failed: ${String(exit.cause)}`)
  return exit.value
}

/** The complete flattening of hydroponics_test_upload.xml (no version of the form: nothing filtered). */
const HYDROPONICS: Readonly<Record<string, string>> = {
  uuid: "385689b3b55f4739b80dcba5540c5f87",
  start: "2019-12-02T14:07:52.465+01:00",
  end: "2019-12-02T14:10:11.380+01:00",
  today: "2019-12-02",
  deviceid: "358544083104930",
  subscriberid: "206300001285696",
  imei: "358544083104930",
  simserial: "8932030000106638166",
  phonenumber: "",
  user_name: "Tttt",
  region: "UnCrC8p12UN",
  prefecture: "IJoQdfGfYsC",
  district: "tSs16aZvMD4",
  "sous-prefecture": "drMs7e3pDFZ",
  fosa: "FeNjVewpswJ",
  year: "2019",
  quarter: "1",
  Ident_type_structure: "ce",
  Ident_type_services: "serv_prot",
  Ident_type_serv_medical: "0",
  Ident_type_serv_protect: "1",
  Ident_type_serv_jurid: "0",
  Ident_type_serv_psycho: "0",
  Ident_type_serv_educ: "0",
  Ident_type_serv_recope: "0",
  Ident_type_serv_club: "0",
  Ident_statut: "ong",
  Ident_eau_courante: "1",
  Ident_electricite: "0",
  Ident_nom_responsable: "Chggh",
  Ident_telephone: "256",
  fermeture_structure: "sam",
  Ident_ferm_lundi: "0",
  Ident_ferm_mardi: "0",
  Ident_ferm_mercredi: "0",
  Ident_ferm_jeudi: "0",
  Ident_ferm_vendredi: "0",
  Ident_ferm_samedi: "1",
  Ident_ferm_dim: "0",
  Ident_ferm_aucun: "0",
  Ident_serv_cout: "0",
  Ident_type_batiment: "sem_dur",
  imgUrl: "1575292156137.jpg",
  gps: "50.8367386 4.40093901 123.56201171875 49.312",
  instanceID: "uuid:7ff9b3b4-9404-4702-bbe4-efe2407aef02",
  _version: "201911280919"
}

const HYDROPONICS_LOCATION = { type: "Point", coordinates: [4.40093901, 50.8367386, 123.56201171875] }

/** A submission of odk_valid_multi_select.xlsx's version, with leaves at paths the version does not have. */
const MULTI_SELECT_SUBMISSION = `<?xml version='1.0' ?><data id="sample1" version="2020022401">
  <other_source_elec>at the root: not a question path</other_source_elec>
  <signalitic/>
  <source_elec>B</source_elec>
  <propriete_fonciere><other_source_elec>AA</other_source_elec></propriete_fonciere>
  <unknown_group><demo_text>not under signalitic</demo_text></unknown_group>
  <meta><instanceID>uuid:0b8cbba4-57c6-4e2f-9a4e-6f4cdb1f1c1e</instanceID></meta>
</data>`

const correlationCheck = (id: string | undefined): boolean => id !== undefined && BigInt(id.slice(0, -2)) % 97n === BigInt(id.slice(-2))

describe.skipIf(!available)(`IASO's submission fixtures ${available ? "" : skipMessage(`${DIR}/hydroponics_test_upload.xml`)}`, () => {
  it("hydroponics_test_upload.xml: the complete unfiltered JSON, _version, uuid from meta/instanceID, location and accuracy from the gps field", async () => {
    const { result } = await ingested({ locationField: "gps" }, bytesOf("hydroponics_test_upload.xml"))
    expect(result.outcome).toBe("created")
    expect(result.instance.json).toEqual(HYDROPONICS)
    expect(Object.keys(result.instance.json ?? {})).toEqual(Object.keys(HYDROPONICS))
    expect(result.instance.uuid).toBe("7ff9b3b4-9404-4702-bbe4-efe2407aef02")
    expect(result.instance.currentUuid).toBe("7ff9b3b4-9404-4702-bbe4-efe2407aef02")
    expect(result.instance.formVersionId).toBeUndefined()
    expect(result.instance.location).toEqual(HYDROPONICS_LOCATION)
    expect(result.instance.accuracy).toBe("49.31")
    expect(result.instance.file).toMatchObject({
      mediaType: "application/xml",
      fileName: "7ff9b3b4-9404-4702-bbe4-efe2407aef02.xml",
      size: bytesOf("hydroponics_test_upload.xml").byteLength
    })
  })

  it("hydroponics_test_upload_with_encoding.xml: UTF-8 text kept (MAÏGA)", async () => {
    const { result } = await ingested({ locationField: "gps" }, bytesOf("hydroponics_test_upload_with_encoding.xml"))
    expect(result.instance.json).toEqual({ ...HYDROPONICS, Ident_nom_responsable: "MAÏGA Encoding" })
    expect(result.instance.accuracy).toBe("49.31")
  })

  it("hydroponics_test_upload_without_version.xml: no _version key", async () => {
    const { result } = await ingested({ locationField: "gps" }, bytesOf("hydroponics_test_upload_without_version.xml"))
    const { _version, ...rest } = HYDROPONICS
    expect(_version).toBe("201911280919")
    expect(result.instance.json).toEqual(rest)
    expect(result.instance.json).not.toHaveProperty("_version")
    expect(result.instance.uuid).toBe("7ff9b3b4-9404-4702-bbe4-efe2407aef02")
  })

  it("hydroponics_test_upload_modified.xml: an edit of the original keeps its uuid, records the new instanceID and audits 0 -> 1", async () => {
    const { result, audit } = await ingested({ locationField: "gps", before: ["hydroponics_test_upload.xml"] }, bytesOf("hydroponics_test_upload_modified.xml"))
    expect(result.outcome).toBe("edited")
    expect(result.instance.uuid).toBe("7ff9b3b4-9404-4702-bbe4-efe2407aef02")
    expect(result.instance.currentUuid).toBe("7ff9b3b4-9404-4702-bbe4-efe240666new")
    expect(result.instance.json).toEqual({
      ...HYDROPONICS,
      Ident_type_serv_medical: "1",
      Ident_type_serv_protect: "0",
      editUserID: "REPLACEuserID",
      instanceID: "uuid:7ff9b3b4-9404-4702-bbe4-efe240666new",
      deprecatedID: "uuid:7ff9b3b4-9404-4702-bbe4-efe2407aef02"
    })
    expect(result.instance.version).toBe(2)
    const edit = audit.find((entry) => entry.before !== undefined)
    const before = (edit?.before as { json?: Record<string, string> } | undefined)?.json
    const after = (edit?.after as { json?: Record<string, string> } | undefined)?.json
    expect(edit?.source).toBe("SYNC FORM UPLOAD")
    expect([before?.["Ident_type_serv_medical"], after?.["Ident_type_serv_medical"]]).toEqual(["0", "1"])
    expect(before).toEqual(HYDROPONICS)
  })

  it("submission_with_emoji.xml: numeric references to surrogate halves merge into the emoji", async () => {
    const { result } = await ingested({}, bytesOf("submission_with_emoji.xml"))
    expect(result.instance.json?.["_version"]).toBe("2024080903")
    expect(result.instance.json?.["prevous_muac_color"]).toBe("🟡Yellow")
    expect(result.instance.json?.["previous_muac"]).toBe("19.0")
    expect(result.instance.json?.["transfer_to_ou_name"]).toBe("")
    expect(result.instance.uuid).toBe("61edabd0-4759-4560-b0d7-bedd1be38675")
    // 50 leaves (groups vanish), instanceID and _version.
    expect(Object.keys(result.instance.json ?? {})).toHaveLength(52)
  })

  it("odk_instance_repeat_group.xml with version 202008121012: hh_repeat is a list of 2 households; uuid and instanceID kept", async () => {
    const { result, versionRecordId } = await ingested(
      { version: { xlsx: "odk_instance_repeat_group_form.xlsx", versionId: "202008121012" } },
      bytesOf("odk_instance_repeat_group.xml")
    )
    expect(result.instance.formVersionId).toBe(versionRecordId)
    expect(result.instance.json?.["hh_repeat"]).toEqual([
      { name: "household 1", gender: "Male", age: "42", street: "streeet 1", number: "44b", city: "bxl" },
      { name: "household 2", gender: "Female", age: "11", street: "street b", number: "45", city: "Namur" }
    ])
    expect(result.instance.json?.["uuid"]).toBe("33fd651edeca4f799ba60bfdec66d4bf")
    expect(result.instance.json?.["instanceID"]).toBe("uuid:87eefa63-7523-479e-bb91-d21aa27cc6e7")
    expect(result.instance.json?.["gender"]).toBe("Male")
    expect(result.instance.json?.["DE_424405"]).toBe("")
    expect(result.instance.uuid).toBe("87eefa63-7523-479e-bb91-d21aa27cc6e7")
  })

  it("odk_instance_repeat_group.xml without a version of the form: nothing is a repeat, the last household's leaves win", async () => {
    const { result } = await ingested({}, bytesOf("odk_instance_repeat_group.xml"))
    expect(result.instance.json).not.toHaveProperty("hh_repeat")
    expect(result.instance.json).toMatchObject({ name: "household 2", gender: "Female", age: "11", city: "Namur", _version: "202008121012" })
    expect(result.instance.formVersionId).toBeUndefined()
  })

  it("edit_existing_submission.xml with version 2022051101: only the version's paths are kept (synthesis, not synthesis14)", async () => {
    const { result, versionRecordId } = await ingested(
      { version: { xlsx: "edit_existing_submission_xlsform.xlsx", versionId: "2022051101" } },
      bytesOf("edit_existing_submission.xml")
    )
    const json = result.instance.json ?? {}
    expect(result.instance.formVersionId).toBe(versionRecordId)
    expect(json["pmns_qlte_cs_rdc_14_total_max"]).toBe("26")
    expect(json["pmns_qlte_cs_rdc_14_total_point"]).toBe("26")
    // Not questions of the version: score14.1, the whole grp14.3.x/4/5/7/8 and synthesis14 blocks, the injected script.
    for (const key of ["score14.1", "pmns_qlte_cs_rdc_14.3.1", "pmns_qlte_cs_rdc_14.4.1", "pmns_qlte_cs_rdc_14_score", "script"])
      expect(json).not.toHaveProperty(key)
    expect(json["pmns_qlte_cs_rdc_14.2.3"]).toBe("2.5")
    expect(json["deprecatedID"]).toBe("uuid:ef038d4e-6366-4297-92b4-4fe818082c8f")
    expect(json["editUserID"]).toBe("717")
    // 8 top-level, 5 + 10 + 7 + 7 + 7 in the grp14 subgroups, 2 more at grp14 (score14.2 repeats a key),
    // 3 in synthesis, 3 in meta, and _version.
    expect(Object.keys(json)).toHaveLength(53)
    // The replaced submission was never stored here: the edit is stored as a new submission.
    expect(result.outcome).toBe("created")
    expect(result.instance.uuid).toBe("87a386d2-a4eb-4de8-9ddc-3dfcaf2fca8f")
  })

  it("edit_existing_submission.xml without the version: unfiltered, a later leaf with the same tag replaces an earlier one (synthesis14 wins)", async () => {
    const { result } = await ingested({}, bytesOf("edit_existing_submission.xml"))
    expect(result.instance.json?.["pmns_qlte_cs_rdc_14_total_max"]).toBe("13")
    expect(result.instance.json?.["pmns_qlte_cs_rdc_14_total_point"]).toBe("11")
    expect(result.instance.json?.["score14.1"]).toBe("")
  })

  it("odk_valid_multi_select.xlsx's version: a submission flattens to exactly its questions' paths", async () => {
    const { result } = await ingested({ version: { xlsx: "odk_valid_multi_select.xlsx", versionId: "2020022401" } }, MULTI_SELECT_SUBMISSION)
    expect(result.instance.json).toEqual({
      other_source_elec: "AA",
      source_elec: "B",
      instanceID: "uuid:0b8cbba4-57c6-4e2f-9a4e-6f4cdb1f1c1e",
      _version: "2020022401"
    })
  })

  it("land_speeder.xml: a correlation id of the counter, a random digit and a mod-97 check (len + 3)", async () => {
    const { result } = await ingested({}, bytesOf("land_speeder.xml"))
    const id = result.instance.correlationId
    expect(id).toMatch(/^1\d{3}$/)
    expect(correlationCheck(id)).toBe(true)
  })

  it("land_speeder_with_service.xml with correlation field service: the field's digits before the random digit (len + 6)", async () => {
    const { result } = await ingested({ correlationField: "service" }, bytesOf("land_speeder_with_service.xml"))
    const id = result.instance.correlationId ?? ""
    expect(id).toHaveLength(1 + 6)
    expect(id.slice(-6, -3)).toBe("123")
    expect(correlationCheck(id)).toBe(true)
  })

  it("xml_submission_file_Ck2rvmg.xml: nested groups, BAD CHAR: ÏGA kept", async () => {
    const { result } = await ingested({}, bytesOf("xml_submission_file_Ck2rvmg.xml"))
    expect(result.instance.json).toMatchObject({
      "id-client": "BAD CHAR: ÏGA",
      utilisateur: "2",
      acv: "1",
      contact: "0748644316",
      geopoint: "",
      _version: "2023021601"
    })
    expect(result.instance.uuid).toBe("9f5efef7-045e-4660-b0ba-ac4d532ef4fb")
  })

  it("test_entity_data.xml: registration leaves under register/", async () => {
    const { result } = await ingested({}, bytesOf("test_entity_data.xml"))
    expect(result.instance.json).toEqual({
      start: "2022-09-20T16:50:40.889+02:00",
      end: "2022-09-20T16:51:17.352+02:00",
      name: "Don Diego de la Vega",
      father_name: "Don Alejandro de la Vega",
      age_type: "0",
      birth_date: "1919-08-09",
      gender: "male",
      caretaker_name: "",
      caretaker_rs: "",
      hc: "hc_C",
      instanceID: "uuid:abe3d0c2-0940-4e9c-8e3d-c0985bb57177",
      _version: "2022081601"
    })
  })

  it("test_entity_data2.xml: the second registration", async () => {
    const { result } = await ingested({}, bytesOf("test_entity_data2.xml"))
    expect(result.instance.json).toMatchObject({ name: "Prince of Euphor", father_name: "Professor Procyon", birth_date: "1978-07-03" })
    expect(result.instance.uuid).toBe("4901dff4-30af-49e2-afd1-42970bb8f03e")
  })

  it("test.xml (<root></root>): empty answers; the uuid must then come from the caller", async () => {
    const { result } = await ingested({}, bytesOf("test.xml"), "0c7f3c2e-5b1e-4b8a-9e0e-2f1d5c9a7b11")
    expect(result.instance.json).toEqual({})
    expect(result.instance.uuid).toBe("0c7f3c2e-5b1e-4b8a-9e0e-2f1d5c9a7b11")
    const refused = await ingestRow({}, bytesOf("test.xml"))
    expect(Exit.isFailure(refused) && String(refused.cause)).toContain("a submission needs an instance id")
  })

  it("iaso/fixtures/instance_form_1_1.xml: a pretty-printed QOC submission", async () => {
    const { result } = await ingested({}, bytesOf("fixtures/iaso/iaso/fixtures/instance_form_1_1.xml"))
    expect(result.instance.uuid).toBe("df8b4f5d-6b26-4fc5-a39a-6d923f740ecb")
    expect(result.instance.json).toMatchObject({
      deviceid: "354450115013285",
      phonenumber: "",
      "QOC_HD_FA_NG_6.1_max": "10",
      "QOC_HD_FA_NG_6.4.2": "1",
      _version: "2020060801"
    })
  })

  it("iaso/fixtures/instance_form_2_1.xml", async () => {
    const { result } = await ingested({}, bytesOf("fixtures/iaso/iaso/fixtures/instance_form_2_1.xml"))
    expect(result.instance.uuid).toBe("6ca5b0b3-f0e4-4a3a-9e45-5d90030cc8ce")
    expect(result.instance.json?.["_version"]).toBe("2020030401")
  })
})
