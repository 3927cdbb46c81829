/**
 * IASO's XLSForm fixtures (reference §15.2, `iaso/tests/fixtures/`, read from ../shared) uploaded
 * through the `Forms` and `FormVersions` services on the memory store. One row per file and case,
 * each in its own account; the expected form id, version, questions, diff or error are the ones
 * the reference lists (errors as IASO surfaces them on `xls_file`: `Invalid XLS form content: ...`).
 * `odk_invalid_xlsform.xlsx` (IASO's static lint) is out of scope.
 *
 * "Today" is 2020-02-24 (UTC) on Effect's TestClock, as in IASO's auto-version test.
 */
import { readFileSync } from "node:fs"
import { Effect, Exit, Layer, ManagedRuntime } from "effect"
import { TestClock } from "effect/testing"
import { afterAll, describe, expect, it } from "vitest"
import {
  Accounts,
  Actor,
  BlobStore,
  CurrentActor,
  type DescriptorNode,
  fieldsByPath,
  type FormId,
  Forms,
  type FormVersion,
  FormVersions,
  type FormVersionUpload,
  MemoryStore,
  questionsByName,
  ValidationError
} from "../src/index.ts"
import { Repos } from "../src/kernel/index.ts"
import { sharedAvailable, sharedPath, skipMessage } from "./shared-files.ts"

const DIR = "fixtures/iaso/iaso/tests/fixtures"
const available = sharedAvailable(`${DIR}/odk_valid_multi_select.xlsx`)
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(sharedPath(`${DIR}/${name}`)))

const runtime = ManagedRuntime.make(
  Layer.mergeAll(Accounts.layer, Forms.layer, FormVersions.layer, BlobStore.memory()).pipe(Layer.provideMerge(Repos.layer), Layer.provide(MemoryStore.layer()))
)
afterAll(() => runtime.dispose())

type Services = Accounts | Forms | FormVersions | BlobStore | Repos | CurrentActor
/** 2020-02-24T10:00:00Z. */
const TODAY = Date.UTC(2020, 1, 24, 10)

const exitOf = <A, E>(actor: Actor, effect: Effect.Effect<A, E, Services>) =>
  runtime.runPromiseExit(
    Effect.gen(function* () {
      yield* TestClock.setTime(TODAY)
      return yield* effect
    }).pipe(Effect.provideService(CurrentActor, actor), Effect.provide(TestClock.layer()))
  )
const run = async <A, E>(actor: Actor, effect: Effect.Effect<A, E, Services>): Promise<A> => {
  const exit = await exitOf(actor, effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(`expected success, got ${JSON.stringify(exit.cause)}`)
}

let accounts = 0
/** A fresh account and a form in its project. */
const world = async () => {
  accounts += 1
  const setup = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `forms fixtures ${accounts}` })))
  const actor = Actor.system(setup.account.id)
  const newForm = (name: string) =>
    run(
      actor,
      Effect.flatMap(Effect.service(Forms), (forms) => forms.create({ name, projectIds: [setup.project.id] }))
    )
  const form = await newForm("Household survey")
  return { actor, form, newForm }
}

const xls = (formId: FormId, name: string): FormVersionUpload => ({ formId, xlsForm: { bytes: bytes(name), fileName: name.split("/").pop() ?? name } })
/** A small XForm of form `sample1` at a given version: how the previous versions of the auto-version rows are made. */
const xform = (formId: FormId, version: string): FormVersionUpload => ({
  formId,
  xform: {
    content: `<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"><h:head><h:title>Sample</h:title><model><instance><data id="sample1" version="${version}"><name/><meta><instanceID/></meta></data></instance><bind nodeset="/data/name" type="string"/></model></h:head><h:body><input ref="/data/name"><label>Name</label></input></h:body></h:html>`
  }
})

const upload = (u: FormVersionUpload) => Effect.flatMap(Effect.service(FormVersions), (versions) => versions.create(u))

/** Uploads each file in order; returns the last version, or the last error's path and message. */
const uploadAll = async (actor: Actor, uploads: ReadonlyArray<FormVersionUpload>) => {
  let last: FormVersion | undefined
  for (const [index, u] of uploads.entries()) {
    const exit = await exitOf(actor, upload(u))
    if (Exit.isFailure(exit)) {
      const error = exit.cause.reasons.find((r) => r._tag === "Fail")
      const value = error?._tag === "Fail" ? error.error : undefined
      if (!(value instanceof ValidationError)) throw new Error(`upload ${index} failed with ${JSON.stringify(exit.cause)}`)
      if (index !== uploads.length - 1) throw new Error(`upload ${index} (not the last) failed: ${value.message}`)
      return { error: value.issues.map((issue) => ({ path: issue.path, message: issue.message })) }
    }
    last = exit.value
  }
  if (last === undefined) throw new Error("nothing uploaded")
  return { version: last }
}

const descriptorOf = (version: FormVersion): DescriptorNode => version.formDescriptor as unknown as DescriptorNode

describe.skipIf(!available)(`IASO's XLSForm fixtures ${available ? "" : skipMessage(DIR)}`, () => {
  type Row = {
    readonly name: string
    /** Versions created first (XLSForm fixture names, or `xform:<version>`), then the fixture under test, last. */
    readonly files: ReadonlyArray<string>
    readonly expected: { readonly formId: string; readonly versionId: string; readonly questions?: ReadonlyArray<string> } | { readonly error: string }
  }
  const PARSE = "Invalid XLS form content: Invalid XLS file: "
  const rows: ReadonlyArray<Row> = [
    {
      name: "sample1 2020022401",
      files: ["odk_form_valid_sample1_2020022401.xlsx"],
      expected: { formId: "sample1", versionId: "2020022401", questions: ["member", "instanceID"] }
    },
    {
      name: "sample1 2020022402 after 2020022401",
      files: ["odk_form_valid_sample1_2020022401.xlsx", "odk_form_valid_sample1_2020022402.xlsx"],
      expected: { formId: "sample1", versionId: "2020022402", questions: ["member", "instanceID"] }
    },
    { name: "sample2 2020022401", files: ["odk_form_valid_sample2_2020022401.xlsx"], expected: { formId: "sample2", versionId: "2020022401" } },
    {
      name: "sample2 2020022402 after 2020022401",
      files: ["odk_form_valid_sample2_2020022401.xlsx", "odk_form_valid_sample2_2020022402.xlsx"],
      expected: { formId: "sample2", versionId: "2020022402" }
    },
    {
      name: "sample2 2020022301 after 2020022401: the version must grow",
      files: ["odk_form_valid_sample2_2020022401.xlsx", "odk_form_valid_sample2_2020022301.xlsx"],
      expected: { error: `${PARSE}Parsed version should be greater than previous version.` }
    },
    {
      name: "sample2 on a sample1 form: the form id must stay",
      files: ["odk_form_valid_sample1_2020022401.xlsx", "odk_form_valid_sample2_2020022402.xlsx"],
      expected: { error: "Form id should stay constant across form versions." }
    },
    {
      name: "no version, no previous version: today + 01",
      files: ["odk_form_valid_sample1_no_version.xlsx"],
      expected: { formId: "sample1", versionId: "2020022401" }
    },
    {
      name: "no version after 2020022401: today + 02",
      files: ["odk_form_valid_sample1_2020022401.xlsx", "odk_form_valid_sample1_no_version.xlsx"],
      expected: { formId: "sample1", versionId: "2020022402" }
    },
    {
      name: "no version after 2020022301 (another day): today + 01",
      files: ["xform:2020022301", "odk_form_valid_sample1_no_version.xlsx"],
      expected: { formId: "sample1", versionId: "2020022401" }
    },
    {
      name: "no version after 1: today + 01",
      files: ["xform:1", "odk_form_valid_sample1_no_version.xlsx"],
      expected: { formId: "sample1", versionId: "2020022401" }
    },
    {
      name: "no version after 2020022499: too many versions",
      files: ["xform:2020022499", "odk_form_valid_sample1_no_version.xlsx"],
      expected: { error: `${PARSE}Too many versions.` }
    },
    {
      name: "no settings sheet: the file stem is the form id, the version is generated",
      files: ["odk_form_valid_no_settings.xlsx"],
      expected: { formId: "odk_form_valid_no_settings", versionId: "2020022401", questions: ["member", "instanceID"] }
    },
    { name: "invalid version", files: ["odk_form_invalid_version.xlsx"], expected: { error: `${PARSE}Invalid version (must be a string of 1-10 numbers).` } },
    {
      name: "blatantly invalid: no survey sheet",
      files: ["odk_form_blatantly_invalid.xlsx"],
      expected: { error: `${PARSE}The survey sheet is either empty or missing important column headers.` }
    },
    {
      name: "multi select",
      files: ["odk_valid_multi_select.xlsx"],
      expected: {
        formId: "sample1",
        versionId: "2020022401",
        questions: ["demo_integer", "demo_text", "source_elec", "demo_note", "demo_select_one", "demo_calculate", "other_source_elec", "instanceID"]
      }
    },
    {
      name: "form preview v1",
      files: ["form_preview/form_preview_diff_v1.xlsx"],
      expected: { formId: "test_preview_diff", versionId: "2020010101", questions: ["full_name", "age", "birth_date", "instanceID"] }
    },
    {
      name: "form preview v2 after v1",
      files: ["form_preview/form_preview_diff_v1.xlsx", "form_preview/form_preview_diff_v2.xlsx"],
      expected: { formId: "test_preview_diff", versionId: "2020010102", questions: ["full_name", "age", "phone_number", "instanceID"] }
    }
  ]

  for (const row of rows) {
    it(`${row.files[row.files.length - 1] ?? ""}: ${row.name}`, async () => {
      const { actor, form } = await world()
      const uploads = row.files.map((file) => (file.startsWith("xform:") ? xform(form.id, file.slice(6)) : xls(form.id, file)))
      const result = await uploadAll(actor, uploads)
      if ("error" in row.expected) {
        expect(result).toEqual({ error: [{ path: ["xlsFile"], message: row.expected.error }] })
        return
      }
      if (!("version" in result) || result.version === undefined) throw new Error(`expected a version, got ${JSON.stringify(result)}`)
      const version = result.version
      expect(version.versionId).toBe(row.expected.versionId)
      const descriptor = descriptorOf(version)
      expect(descriptor).toMatchObject({ type: "survey", id_string: row.expected.formId, version: row.expected.versionId })
      const stored = await run(
        actor,
        Effect.flatMap(Effect.service(Forms), (forms) => forms.get(form.id))
      )
      expect(stored.formId).toBe(row.expected.formId)
      if (row.expected.questions !== undefined) expect([...questionsByName(descriptor).keys()]).toEqual(row.expected.questions)
    })
  }

  it("sample2 on another form of the account that already uses sample2: the form id is taken", async () => {
    const { actor, form, newForm } = await world()
    await uploadAll(actor, [xls(form.id, "odk_form_valid_sample2_2020022401.xlsx")])
    const other = await newForm("Another form")
    expect(await uploadAll(actor, [xls(other.id, "odk_form_valid_sample2_2020022402.xlsx")])).toEqual({
      error: [{ path: ["xlsFile"], message: "The form_id is already used in another form." }]
    })
  })

  it("odk_valid_multi_select.xlsx: questions by name and by path exactly, labels in both languages", async () => {
    const { actor, form } = await world()
    const result = await uploadAll(actor, [xls(form.id, "odk_valid_multi_select.xlsx")])
    if (!("version" in result) || result.version === undefined) throw new Error("expected a version")
    const descriptor = descriptorOf(result.version)
    expect([...questionsByName(descriptor).keys()]).toEqual([
      "demo_integer",
      "demo_text",
      "source_elec",
      "demo_note",
      "demo_select_one",
      "demo_calculate",
      "other_source_elec",
      "instanceID"
    ])
    expect([...fieldsByPath(descriptor).keys()]).toEqual([
      "signalitic/demo_integer",
      "signalitic/demo_text",
      "source_elec",
      "demo_note",
      "demo_select_one",
      "demo_calculate",
      "propriete_fonciere/other_source_elec",
      "meta/instanceID"
    ])
    const byName = questionsByName(descriptor)
    expect(byName.get("source_elec")).toMatchObject({ type: "select all that apply", path: "source_elec" })
    expect(byName.get("demo_select_one")).toMatchObject({ type: "select one" })
    expect(byName.get("demo_integer")?.label).toEqual({ french: "Votre age ?", english: "Your age ?" })
    const sourceElec = (descriptor.children ?? []).find((c) => c.name === "source_elec")
    expect(sourceElec?.list_name).toBe("source_elec")
    expect(sourceElec?.children?.map((c) => c.name)).toEqual(["AA", "A", "B", "C", "D"])
    // The version's possible fields are its questions by path without the note.
    const fields = result.version.possibleFields as ReadonlyArray<{ readonly name: string; readonly type: string }>
    expect(fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      "demo_integer:integer",
      "demo_text:text",
      "source_elec:select all that apply",
      "demo_select_one:select one",
      "demo_calculate:calculate",
      "other_source_elec:select all that apply",
      "instanceID:calculate"
    ])
  })

  it("form_preview: v2 against v1 lists birth_date removed, phone_number added, age modified integer -> text; nothing stored", async () => {
    const { actor, form } = await world()
    const preview = (file: string) => Effect.flatMap(Effect.service(FormVersions), (versions) => versions.preview(xls(form.id, file)))
    const first = await run(actor, preview("form_preview/form_preview_diff_v1.xlsx"))
    expect(first).toEqual({
      previousVersionId: null,
      previousVersion: null,
      versionId: "2020010101",
      formId: "test_preview_diff",
      removedQuestions: [],
      addedQuestions: [],
      modifiedQuestions: []
    })
    const v1 = await uploadAll(actor, [xls(form.id, "form_preview/form_preview_diff_v1.xlsx")])
    if (!("version" in v1) || v1.version === undefined) throw new Error("expected a version")
    const second = await run(actor, preview("form_preview/form_preview_diff_v2.xlsx"))
    expect(second).toEqual({
      previousVersionId: v1.version.id,
      previousVersion: "2020010101",
      versionId: "2020010102",
      formId: "test_preview_diff",
      removedQuestions: [{ name: "birth_date", label: "Birth date", type: "date" }],
      addedQuestions: [{ name: "phone_number", label: "Phone", type: "text" }],
      modifiedQuestions: [{ name: "age", label: "Age", oldType: "integer", newType: "text" }]
    })
    const versions = await run(
      actor,
      Effect.flatMap(Effect.service(FormVersions), (v) => v.list(form.id))
    )
    expect(versions.map((v) => v.versionId)).toEqual(["2020010101"])
  })
})

describe.skipIf(!available)(`odk_json_descriptor.json ${available ? "" : skipMessage(DIR)}`, () => {
  it("questions by name keep tree order, groups walked through, a repeated name keeping its first place", () => {
    const descriptor = JSON.parse(readFileSync(sharedPath(`${DIR}/odk_json_descriptor.json`), "utf8")) as DescriptorNode
    expect([...questionsByName(descriptor).keys()]).toEqual([
      "start",
      "end",
      "today",
      "deviceid",
      "subscriberid",
      "imei",
      "simserial",
      "phonenumber",
      "PBF_PCA_qlt_3_1_1",
      "PBF_PCA_qlt_3_1",
      "PBF_PCA_qlt_3_2_1",
      "PBF_PCA_qlt_3_2",
      "PBF_PCA_qlt_3_3_1",
      "PBF_PCA_qlt_3_3",
      "PBF_PCA_qlt_3_4_1",
      "PBF_PCA_qlt_3_4",
      "PBF_PCA_qlt_3_5_1",
      "PBF_PCA_qlt_3_5",
      "PBF_PCA_qlt_point_v3",
      "PBF_PCA_qlt_max_point_v3",
      "PBF_PCA_qlt_point_vol_3",
      "PBF_PCA_qlte_nom_enqueteur",
      "PBF_PCA_qlte_qualif_enqueteur",
      "PBF_PCA_qlte_struct_enqueteur",
      "PBF_PCA_qlte_signature_respo_fosa",
      "PBF_PCA_qlte_tel_enqueteur",
      "PBF_PCA_qlte_problem_ident",
      "PBF_PCA_qlte_action_urgent",
      "PBF_PCA_qlte_nom_evalu",
      "PBF_PCA_qlte_qualification_eval",
      "PBF_PCA_qlte_struct_eval",
      "PBF_PCA_qlte_signature_eval",
      "PBF_PCA_qlte_nom_respo_fosa",
      "instanceID"
    ])
    // The repeated name's value is the later question's (in the last group), at the first one's place.
    expect(questionsByName(descriptor).get("PBF_PCA_qlte_signature_respo_fosa")?.path).toBe("PBF_PCA_qlte_infos_respo_fosa/PBF_PCA_qlte_signature_respo_fosa")
  })
})
