/**
 * Form scenarios: forms and their versions through the `Forms` and `FormVersions` services:
 * creation with IASO's rules and messages, version ordering (integer compare), form id rules,
 * soft deletion and restoration, possible fields merged across versions, permissions (`Forbidden`),
 * another account's forms (`NotFound`), a preview that stores nothing, and a version created with
 * its form's changes in one transaction (a refused upload leaves storage and the blob store as
 * they were). Versions are uploaded as small XForms, so no fixture file is needed.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { strToU8, zipSync } from "fflate"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { FormModel, FormOrgUnitTypeModel, ProjectFormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { type FormVersionUpload, FormVersions } from "../forms/form-versions-service.ts"
import { type FormCreate, Forms } from "../forms/forms-service.ts"
import { Groups } from "../registry/groups-service.ts"
import { OrgUnitTypes } from "../registry/org-unit-types-service.ts"
import { Sources } from "../registry/sources-service.ts"
import { Records } from "../kernel/records.ts"
import { BlobStore, sha256Hex } from "../shared/blob.ts"
import type { FormId, ProjectId } from "../shared/entity-ids.ts"
import type { AnyModel } from "../shared/model.ts"
import { ProjectModel } from "../tenancy/project.ts"
import type { Actor, CurrentActor } from "../tenancy/actor.ts"
import { exitError, exitTag, type FreshAccount, type Harness, type SuiteServices } from "./harness.ts"
import { scenario } from "./scenario.ts"

/** The services of these scenarios, provided here so the scenarios do not depend on what `Iaso.layer` holds. */
const FormServices = Layer.mergeAll(Forms.layer, FormVersions.layer)

type R = SuiteServices | Forms | FormVersions | BlobStore | CurrentActor

/** A blob store of one scenario (in memory), kept so the scenario can look into it. */
const blobStore = (): BlobStore["Service"] =>
  Effect.runSync(Effect.scoped(Effect.map(Layer.build(BlobStore.memory()), (context) => Context.get(context, BlobStore))))

const withServices = <A, E>(effect: Effect.Effect<A, E, R>, blobs: BlobStore["Service"]) =>
  Effect.provide(Effect.provideService(effect, BlobStore, blobs), FormServices)

const F = Effect.service(Forms)
const V = Effect.service(FormVersions)

const escapeXml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** A question of a test XForm: a text, an integer, or a note (read-only text). */
interface Question {
  readonly name: string
  readonly label: string
  readonly kind?: "text" | "integer" | "note"
}

/** A small XForm (`<data id version>`, the questions, `meta/instanceID`), as pyxform lays one out. */
export const smallXForm = (formId: string, version: string, questions: ReadonlyArray<Question>): string => {
  const binds = questions
    .map((q) => `<bind nodeset="/data/${q.name}" type="${q.kind === "integer" ? "int" : "string"}"${q.kind === "note" ? ' readonly="true()"' : ""}/>`)
    .join("")
  const body = questions.map((q) => `<input ref="/data/${q.name}"><label>${escapeXml(q.label)}</label></input>`).join("")
  return (
    `<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">` +
    `<h:head><h:title>${escapeXml(formId)}</h:title><model><instance><data id="${escapeXml(formId)}" version="${escapeXml(version)}">` +
    questions.map((q) => `<${q.name}/>`).join("") +
    `<meta><instanceID/></meta></data></instance>${binds}` +
    `<bind jr:preload="uid" nodeset="/data/meta/instanceID" readonly="true()" type="string"/></model></h:head><h:body>${body}</h:body></h:html>`
  )
}

const upload = (formId: FormId, odkId: string, version: string, questions: ReadonlyArray<Question> = [{ name: "q1", label: "Q1" }]): FormVersionUpload => ({
  formId,
  xform: { content: smallXForm(odkId, version, questions) }
})

/** A minimal `.xlsx` XLSForm (inline strings): a `survey` sheet of text questions and a `settings` sheet. */
export const smallXlsForm = (formId: string, version: string, questions: ReadonlyArray<Question>): Uint8Array => {
  const sheet = (rows: ReadonlyArray<ReadonlyArray<string>>) =>
    strToU8(
      `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows
        .map(
          (row, r) =>
            `<row r="${r + 1}">${row.map((cell, c) => `<c r="${String.fromCharCode(65 + c)}${r + 1}" t="inlineStr"><is><t>${escapeXml(cell)}</t></is></c>`).join("")}</row>`
        )
        .join("")}</sheetData></worksheet>`
    )
  return zipSync({
    "xl/workbook.xml": strToU8(
      `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="survey" sheetId="1" r:id="rId1"/><sheet name="settings" sheetId="2" r:id="rId2"/></sheets></workbook>`
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="worksheet" Target="worksheets/sheet2.xml"/></Relationships>`
    ),
    "xl/worksheets/sheet1.xml": sheet([
      ["type", "name", "label"],
      ...questions.map((q) => [q.kind === "integer" ? "integer" : (q.kind ?? "text"), q.name, q.label])
    ]),
    "xl/worksheets/sheet2.xml": sheet([
      ["form_id", "version"],
      [formId, version]
    ])
  })
}

/** Registers the form scenarios. */
export const formScenarios = (h: () => Harness) => {
  describe("forms and form versions", () => {
    const setup = async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const blobs = blobStore()
      const as = <A, E>(actor: Actor, effect: Effect.Effect<A, E, R>) => harness.as(actor, withServices(effect, blobs))
      const exitAs = <A, E>(actor: Actor, effect: Effect.Effect<A, E, R>) => harness.exitAs(actor, withServices(effect, blobs))
      const editor = account.withPermissions(["iaso_forms"])
      const projectId = account.projectId as ProjectId
      const newForm = (input: Partial<FormCreate> = {}) =>
        as(
          editor,
          Effect.flatMap(F, (forms) => forms.create({ name: "Household survey", projectIds: [projectId], ...input }))
        )
      return { harness, account, blobs, as, exitAs, editor, projectId, newForm }
    }
    const issuesOf = (exit: Parameters<typeof exitError>[0]) =>
      (exitError(exit) as { readonly issues?: ReadonlyArray<{ readonly path: ReadonlyArray<string | number>; readonly message: string }> } | undefined)?.issues
    /** The stored rows of the models a version upload touches, for before/after comparisons. */
    const snapshot = async (harness: Harness, account: FreshAccount, models: ReadonlyArray<AnyModel> = [FormModel, FormVersionModel, AuditEntryModel]) =>
      Promise.all(models.map((model) => harness.inspectAccount(model, account.accountId)))

    scenario("create: a form with its project and type links, IASO's defaults, an audit entry", async () => {
      const { harness, account, as, editor, projectId, newForm } = await setup()
      const type = await as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnitTypes), (t) => t.create({ name: "Health facility", projectIds: [projectId] }))
      )
      const form = await newForm({
        orgUnitTypeIds: [type.id],
        periodType: "MONTH",
        periodsBeforeAllowed: 3,
        periodsAfterAllowed: 3,
        labelKeys: ["name", "age"]
      })
      expect([
        form.name,
        form.periodType,
        form.periodsBeforeAllowed,
        form.periodsAfterAllowed,
        form.singlePerPeriod,
        form.derived,
        form.correlatable,
        form.changeRequestMode
      ]).toEqual(["Household survey", "MONTH", 3, 3, false, false, false, "CR_MODE_NONE"])
      expect(form.formId).toBeUndefined()
      expect(form.labelKeys).toEqual(["name", "age"])
      const links = await as(
        editor,
        Effect.flatMap(F, (forms) => forms.links(form.id))
      )
      expect(links).toEqual({ projectIds: [projectId], orgUnitTypeIds: [type.id], orgUnitGroupIds: [] })
      expect((await harness.inspectAccount(ProjectFormModel, account.accountId)).map((row) => [row["projectId"], row["formId"]])).toEqual([
        [projectId, form.id]
      ])
      expect((await harness.inspectAccount(FormOrgUnitTypeModel, account.accountId)).length).toBe(1)
      const audits = (await harness.inspectAccount(AuditEntryModel, account.accountId)).filter((row) => row["objectId"] === form.id)
      expect(audits.map((row) => [row["objectModel"], row["source"]])).toEqual([["Form", "FORM_API"]])
    })

    scenario("create: IASO's rules and messages (projects, org-unit types, groups, period settings), nothing stored", async () => {
      const { harness, account, as, exitAs, editor, projectId } = await setup()
      const other = await harness.freshAccount()
      const create = (input: Partial<FormCreate>) =>
        exitAs(
          editor,
          Effect.flatMap(F, (forms) => forms.create({ name: "F", projectIds: [projectId], ...input }))
        )
      const before = await snapshot(harness, account, [FormModel, ProjectFormModel])
      expect(issuesOf(await create({ projectIds: [] }))).toEqual([{ path: ["projectIds"], message: "This list may not be empty." }])
      expect(issuesOf(await create({ projectIds: [other.projectId as ProjectId] }))).toEqual([{ path: ["projectIds"], message: "Invalid project ids" }])
      // A type of another project of the account is not a type of the form's projects.
      const secondProject = await as(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) =>
          r.create(ProjectModel, { name: "Second", appId: `second.${account.accountId}`, needsAuthentication: false, description: "", color: "#000000" })
        )
      )
      const foreignType = await as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnitTypes), (t) => t.create({ name: "Elsewhere", projectIds: [secondProject.id] }))
      )
      expect(issuesOf(await create({ orgUnitTypeIds: [foreignType.id] }))).toEqual([{ path: ["orgUnitTypeIds"], message: "Invalid org unit type ids" }])
      // A group of a version that is not the account's default one.
      const version2 = await as(
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(account.dataSourceId as never))
      )
      const group = await as(
        account.system,
        Effect.flatMap(Effect.service(Groups), (g) => g.create({ name: "Old", versionId: version2.id }))
      )
      expect(issuesOf(await create({ orgUnitGroupIds: [group.id] }))).toEqual([
        { path: ["orgUnitGroupIds"], message: `Invalid pk "${group.id}" - object does not exist.` }
      ])
      expect(issuesOf(await create({ periodsBeforeAllowed: 1, periodsAfterAllowed: 2 }))).toEqual([
        { path: ["periodsBeforeAllowed"], message: "Should be 0 when period type is not specified" },
        { path: ["periodsAfterAllowed"], message: "Should be 0 when period type is not specified" }
      ])
      expect(issuesOf(await create({ periodType: "QUARTER" }))).toEqual([
        { path: ["periodsAllowed"], message: "periods_before_allowed + periods_after_allowed should be greater than or equal to 1" }
      ])
      expect(exitTag(await create({ labelKeys: Array.from({ length: 101 }, (_, i) => `k${i}`) }))).toBe("ValidationError")
      expect(await snapshot(harness, account, [FormModel, ProjectFormModel])).toEqual(before)
      // An update is held to the same period rules, on the resulting form.
      const form = await as(
        editor,
        Effect.flatMap(F, (forms) => forms.create({ name: "F", projectIds: [projectId], periodType: "WEEK", periodsAfterAllowed: 1 }))
      )
      const cleared = await exitAs(
        editor,
        Effect.flatMap(F, (forms) => forms.update(form.id, { periodType: null }))
      )
      expect(issuesOf(cleared)).toEqual([{ path: ["periodsAfterAllowed"], message: "Should be 0 when period type is not specified" }])
      const updated = await as(
        editor,
        Effect.flatMap(F, (forms) => forms.update(form.id, { periodType: null, periodsAfterAllowed: 0, name: "G" }))
      )
      expect([updated.name, updated.periodType, updated.periodsAfterAllowed]).toEqual(["G", undefined, 0])
    })

    scenario("versions: ids compare as integers (10 after 9), must grow, are 1-10 digits; the form takes the form id", async () => {
      const { as, exitAs, editor, newForm } = await setup()
      const form = await newForm()
      const create = (version: string) =>
        exitAs(
          editor,
          Effect.flatMap(V, (v) => v.create(upload(form.id, "household", version)))
        )
      await as(
        editor,
        Effect.flatMap(V, (v) => v.create(upload(form.id, "household", "9")))
      )
      await as(
        editor,
        Effect.flatMap(V, (v) => v.create(upload(form.id, "household", "10")))
      )
      expect(issuesOf(await create("10"))).toEqual([{ path: ["xform"], message: "Invalid XForm: Parsed version should be greater than previous version." }])
      expect(issuesOf(await create("9"))).toEqual([{ path: ["xform"], message: "Invalid XForm: Parsed version should be greater than previous version." }])
      expect(issuesOf(await create("12345678901"))).toEqual([
        { path: ["xform"], message: "Invalid XForm: Invalid version (must be a string of 1-10 numbers)." }
      ])
      expect(issuesOf(await create("v11"))).toEqual([{ path: ["xform"], message: "Invalid XForm: Invalid version (must be a string of 1-10 numbers)." }])
      await as(
        editor,
        Effect.flatMap(V, (v) => v.create(upload(form.id, "household", "11")))
      )
      const versions = await as(
        editor,
        Effect.flatMap(V, (v) => v.list(form.id))
      )
      expect(versions.map((v) => v.versionId)).toEqual(["9", "10", "11"])
      expect(
        (
          await as(
            editor,
            Effect.flatMap(V, (v) => v.latest(form.id))
          )
        )?.versionId
      ).toBe("11")
      expect(
        (
          await as(
            editor,
            Effect.flatMap(V, (v) => v.find(form.id, "10"))
          )
        ).id
      ).toBe(versions[1]?.id)
      expect(
        (
          await as(
            editor,
            Effect.flatMap(F, (forms) => forms.get(form.id))
          )
        ).formId
      ).toBe("household")
      expect(
        exitTag(
          await exitAs(
            editor,
            Effect.flatMap(V, (v) => v.find(form.id, "8"))
          )
        )
      ).toBe("NotFound")
    })

    scenario(
      "form id: constant across versions, unique among the account's live forms (a deleted form's id is free; restoring it then conflicts)",
      async () => {
        const { as, exitAs, editor, newForm } = await setup()
        const first = await newForm({ name: "First" })
        const second = await newForm({ name: "Second" })
        const create = (formId: FormId, odkId: string, version: string) =>
          exitAs(
            editor,
            Effect.flatMap(V, (v) => v.create(upload(formId, odkId, version)))
          )
        await as(
          editor,
          Effect.flatMap(V, (v) => v.create(upload(first.id, "sample1", "1")))
        )
        expect(issuesOf(await create(first.id, "sample2", "2"))).toEqual([{ path: ["xform"], message: "Form id should stay constant across form versions." }])
        expect(issuesOf(await create(second.id, "sample1", "1"))).toEqual([{ path: ["xform"], message: "The form_id is already used in another form." }])
        await as(
          editor,
          Effect.flatMap(F, (forms) => forms.remove(first.id))
        )
        await as(
          editor,
          Effect.flatMap(V, (v) => v.create(upload(second.id, "sample1", "1")))
        )
        const restore = await exitAs(
          editor,
          Effect.flatMap(F, (forms) => forms.restore(first.id))
        )
        expect(exitTag(restore)).toBe("Conflict")
        expect((exitError(restore) as { message: string }).message).toBe("The form_id is already used in another form.")
      }
    )

    scenario("XLSForm uploads: the spreadsheet is xlsFile (and file without an XForm); an XForm given along is file and must match", async () => {
      const { as, exitAs, editor, newForm } = await setup()
      const form = await newForm({ name: "Été 2024" })
      const questions = [
        { name: "village", label: "Village" },
        { name: "people", label: "People", kind: "integer" as const }
      ]
      const xls = (version: string) => ({ bytes: smallXlsForm("summer", version, questions), fileName: "summer.xlsx" })
      const first = await as(
        editor,
        Effect.flatMap(V, (v) => v.create({ formId: form.id, xlsForm: xls("1") }))
      )
      expect([first.versionId, first.file.key, first.file.fileName, first.xlsFile?.fileName, first.file.mediaType]).toEqual([
        "1",
        first.xlsFile?.key,
        "ete_2024_1.xlsx",
        "ete_2024_1.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
      ])
      expect((first.possibleFields as ReadonlyArray<{ readonly name: string; readonly type: string }>).map((f) => `${f.name}:${f.type}`)).toEqual([
        "village:text",
        "people:integer",
        "instanceID:calculate"
      ])
      const both = await as(
        editor,
        Effect.flatMap(V, (v) => v.create({ formId: form.id, xlsForm: xls("2"), xform: { content: smallXForm("summer", "2", questions) } }))
      )
      expect([both.file.fileName, both.file.mediaType, both.xlsFile?.fileName]).toEqual(["ete_2024_2.xml", "text/xml", "ete_2024_2.xlsx"])
      const mismatch = await exitAs(
        editor,
        Effect.flatMap(V, (v) => v.create({ formId: form.id, xlsForm: xls("3"), xform: { content: smallXForm("summer", "4", questions) } }))
      )
      expect(issuesOf(mismatch)).toEqual([{ path: ["xform"], message: "the XForm's version '4' is not the version's '3'" }])
      const legacy = await exitAs(
        editor,
        Effect.flatMap(V, (v) => v.create({ formId: form.id, xlsForm: { bytes: new Uint8Array([1, 2]), fileName: "summer.xls" } }))
      )
      expect(issuesOf(legacy)).toEqual([
        { path: ["xlsFile"], message: "Invalid XLS form content: Invalid XLS file: the legacy .xls format is not read; save the form as .xlsx" }
      ])
      expect(
        issuesOf(
          await exitAs(
            editor,
            Effect.flatMap(V, (v) => v.create({ formId: form.id }))
          )
        )
      ).toEqual([{ path: ["xlsFile"], message: "No file was submitted." }])
    })

    scenario("soft delete and restore: hidden from listings and version reads, kept in storage, shown when asked", async () => {
      const { harness, account, as, exitAs, editor, newForm } = await setup()
      const kept = await newForm({ name: "Kept" })
      const gone = await newForm({ name: "Gone" })
      const version = await as(
        editor,
        Effect.flatMap(V, (v) => v.create(upload(gone.id, "gone", "1")))
      )
      const names = (deleted?: "exclude" | "include" | "only") =>
        as(
          editor,
          Effect.flatMap(F, (forms) => forms.list(deleted === undefined ? {} : { deleted }))
        ).then((page) => page.items.map((f) => f.name))
      const removed = await as(
        editor,
        Effect.flatMap(F, (forms) => forms.remove(gone.id))
      )
      expect(removed.deletedAt).toBeInstanceOf(Date)
      expect(await names()).toEqual(["Kept"])
      expect(await names("only")).toEqual(["Gone"])
      expect(await names("include")).toEqual(["Gone", "Kept"])
      expect(
        (
          await as(
            editor,
            Effect.flatMap(F, (forms) => forms.get(gone.id))
          )
        ).deletedAt
      ).toBeInstanceOf(Date)
      expect(
        exitTag(
          await exitAs(
            editor,
            Effect.flatMap(V, (v) => v.list(gone.id))
          )
        )
      ).toBe("NotFound")
      expect(
        exitTag(
          await exitAs(
            editor,
            Effect.flatMap(V, (v) => v.get(version.id))
          )
        )
      ).toBe("NotFound")
      expect(
        exitTag(
          await exitAs(
            editor,
            Effect.flatMap(V, (v) => v.create(upload(gone.id, "gone", "2")))
          )
        )
      ).toBe("NotFound")
      expect((await harness.inspectAccount(FormVersionModel, account.accountId)).map((row) => row["id"])).toEqual([version.id])
      const restored = await as(
        editor,
        Effect.flatMap(F, (forms) => forms.restore(gone.id))
      )
      expect(restored.deletedAt).toBeUndefined()
      expect(await names()).toEqual(["Gone", "Kept"])
      expect(
        (
          await as(
            editor,
            Effect.flatMap(V, (v) => v.get(version.id))
          )
        ).versionId
      ).toBe("1")
      expect(
        await as(
          editor,
          Effect.flatMap(F, (forms) => forms.list({ search: "KÉP" }))
        ).then((page) => page.items.map((f) => f.id))
      ).toEqual([kept.id])
    })

    scenario("possible fields: merged across versions by name (newer label wins, first-seen order), notes skipped, HTML stripped", async () => {
      const { as, editor, newForm } = await setup()
      const form = await newForm()
      await as(
        editor,
        Effect.flatMap(V, (v) =>
          v.create(
            upload(form.id, "merge", "1", [
              { name: "name", label: "<b>Name</b>" },
              { name: "intro", label: "Hello", kind: "note" },
              { name: "age", label: "Age", kind: "integer" }
            ])
          )
        )
      )
      const second = await as(
        editor,
        Effect.flatMap(V, (v) =>
          v.create(
            upload(form.id, "merge", "2", [
              { name: "age", label: "Age in <i>years</i>", kind: "integer" },
              { name: "village", label: "Village" }
            ])
          )
        )
      )
      expect(second.possibleFields).toEqual([
        { name: "age", label: "Age in years", type: "integer" },
        { name: "village", label: "Village", type: "text" },
        { name: "instanceID", label: "", type: "calculate" }
      ])
      const stored = await as(
        editor,
        Effect.flatMap(F, (forms) => forms.get(form.id))
      )
      expect(stored.possibleFields).toEqual([
        { name: "name", label: "Name", type: "text" },
        { name: "age", label: "Age in years", type: "integer" },
        { name: "instanceID", label: "", type: "calculate" },
        { name: "village", label: "Village", type: "text" }
      ])
    })

    scenario("permissions: writes without iaso_forms are Forbidden; reads need none", async () => {
      const { account, as, exitAs, editor, projectId, newForm } = await setup()
      const form = await newForm()
      const version = await as(
        editor,
        Effect.flatMap(V, (v) => v.create(upload(form.id, "perm", "1")))
      )
      const reader = account.withPermissions(["iaso_submissions"])
      const refused = [
        await exitAs(
          reader,
          Effect.flatMap(F, (forms) => forms.create({ name: "X", projectIds: [projectId] }))
        ),
        await exitAs(
          reader,
          Effect.flatMap(F, (forms) => forms.update(form.id, { name: "Y" }))
        ),
        await exitAs(
          reader,
          Effect.flatMap(F, (forms) => forms.remove(form.id))
        ),
        await exitAs(
          reader,
          Effect.flatMap(F, (forms) => forms.restore(form.id))
        ),
        await exitAs(
          reader,
          Effect.flatMap(V, (v) => v.create(upload(form.id, "perm", "2")))
        ),
        await exitAs(
          reader,
          Effect.flatMap(V, (v) => v.preview(upload(form.id, "perm", "2")))
        ),
        await exitAs(
          reader,
          Effect.flatMap(V, (v) => v.update(version.id, { startPeriod: "2024" }))
        )
      ]
      expect(refused.map(exitTag)).toEqual(Array.from({ length: 7 }, () => "Forbidden"))
      for (const exit of refused) expect((exitError(exit) as { permission?: string }).permission).toBe("iaso_forms")
      expect(
        (
          await as(
            reader,
            Effect.flatMap(F, (forms) => forms.get(form.id))
          )
        ).name
      ).toBe("Household survey")
      expect(
        (
          await as(
            reader,
            Effect.flatMap(V, (v) => v.list(form.id))
          )
        ).length
      ).toBe(1)
    })

    scenario("another account's forms and versions are NotFound, for reads and writes", async () => {
      const { as, exitAs, editor, newForm } = await setup()
      const form = await newForm()
      const version = await as(
        editor,
        Effect.flatMap(V, (v) => v.create(upload(form.id, "mine", "1")))
      )
      const stranger = (await h().freshAccount()).withPermissions(["iaso_forms"])
      const attempts = [
        await exitAs(
          stranger,
          Effect.flatMap(F, (forms) => forms.get(form.id))
        ),
        await exitAs(
          stranger,
          Effect.flatMap(F, (forms) => forms.update(form.id, { name: "Mine now" }))
        ),
        await exitAs(
          stranger,
          Effect.flatMap(F, (forms) => forms.remove(form.id))
        ),
        await exitAs(
          stranger,
          Effect.flatMap(F, (forms) => forms.links(form.id))
        ),
        await exitAs(
          stranger,
          Effect.flatMap(V, (v) => v.create(upload(form.id, "mine", "2")))
        ),
        await exitAs(
          stranger,
          Effect.flatMap(V, (v) => v.preview(upload(form.id, "mine", "2")))
        ),
        await exitAs(
          stranger,
          Effect.flatMap(V, (v) => v.get(version.id))
        ),
        await exitAs(
          stranger,
          Effect.flatMap(V, (v) => v.update(version.id, { startPeriod: "2024" }))
        ),
        await exitAs(
          stranger,
          Effect.flatMap(V, (v) => v.list(form.id))
        )
      ]
      expect(attempts.map(exitTag)).toEqual(Array.from({ length: 9 }, () => "NotFound"))
      expect(
        await as(
          stranger,
          Effect.flatMap(F, (forms) => forms.list({ deleted: "include" }))
        ).then((page) => page.items)
      ).toEqual([])
    })

    scenario("preview: the diff against the latest version, with the version the upload would get; nothing stored", async () => {
      const { harness, account, as, editor, newForm } = await setup()
      const form = await newForm()
      await as(
        editor,
        Effect.flatMap(V, (v) =>
          v.create(
            upload(form.id, "pv", "2024010101", [
              { name: "full_name", label: "Full name" },
              { name: "age", label: "Age", kind: "integer" },
              { name: "birth_date", label: "Birth date" }
            ])
          )
        )
      )
      const before = await snapshot(harness, account)
      const preview = await as(
        editor,
        Effect.flatMap(V, (v) =>
          v.preview(
            upload(form.id, "pv", "2024010102", [
              { name: "full_name", label: "Full name" },
              { name: "age", label: "Age" },
              { name: "phone_number", label: "Phone" }
            ])
          )
        )
      )
      expect([preview.previousVersion, preview.versionId, preview.formId]).toEqual(["2024010101", "2024010102", "pv"])
      expect([preview.removedQuestions, preview.addedQuestions, preview.modifiedQuestions]).toEqual([
        [{ name: "birth_date", label: "Birth date", type: "text" }],
        [{ name: "phone_number", label: "Phone", type: "text" }],
        [{ name: "age", label: "Age", oldType: "integer", newType: "text" }]
      ])
      expect(await snapshot(harness, account)).toEqual(before)
    })

    scenario(
      "atomic creation: the version, the form's id and possible fields commit together; a refused upload or a failing enclosing transaction leaves nothing (and no new blob)",
      async () => {
        const { harness, account, blobs, as, exitAs, editor, newForm } = await setup()
        const form = await newForm()
        const before = await snapshot(harness, account)
        // Refused inside the transaction (a NUL character cannot be stored): the blob stored for it is removed again.
        const nul = await exitAs(
          editor,
          Effect.flatMap(V, (v) => v.create(upload(form.id, "atomic", "1", [{ name: "q1", label: "bad \u0000 label" }])))
        )
        expect(exitTag(nul)).toBe("ValidationError")
        expect(await snapshot(harness, account)).toEqual(before)
        const refusedXml = smallXForm("atomic", "1", [{ name: "q1", label: "bad \u0000 label" }])
        const refusedKey = `sha256/${await Effect.runPromise(sha256Hex(new TextEncoder().encode(refusedXml)))}`
        expect(await Effect.runPromise(blobs.has(refusedKey))).toBe(false)
        // Created inside a transaction that fails afterwards: the version and the form's changes roll back together.
        const rolledBack = await exitAs(
          editor,
          Effect.flatMap(Effect.service(Records), (records) =>
            records.transaction(Effect.flatMap(V, (v) => Effect.andThen(v.create(upload(form.id, "atomic", "1")), Effect.fail("abort" as const))))
          )
        )
        expect(exitTag(rolledBack)).toBe("Fail")
        expect(await snapshot(harness, account)).toEqual(before)
        // Committed: all of it.
        const version = await as(
          editor,
          Effect.flatMap(V, (v) => v.create({ ...upload(form.id, "atomic", "1"), startPeriod: "202401" }))
        )
        const [forms, versions] = await snapshot(harness, account, [FormModel, FormVersionModel])
        expect(versions?.map((row) => [row["id"], row["versionId"], row["startPeriod"]])).toEqual([[version.id, "1", "202401"]])
        const stored = forms?.find((row) => row["id"] === form.id)
        expect(stored?.["formId"]).toBe("atomic")
        expect(stored?.["possibleFields"]).toEqual([
          { name: "q1", label: "Q1", type: "text" },
          { name: "instanceID", label: "", type: "calculate" }
        ])
        expect(version.file.mediaType).toBe("text/xml")
        expect(version.file.fileName).toBe("household_survey_1.xml")
        expect(version.md5).toMatch(/^[0-9a-f]{32}$/)
        expect(await Effect.runPromise(blobs.has(version.file.key))).toBe(true)
        // Only the periods change afterwards; a period not given is cleared.
        const updated = await as(
          editor,
          Effect.flatMap(V, (v) => v.update(version.id, { endPeriod: "202412" }))
        )
        expect([updated.startPeriod, updated.endPeriod, updated.versionId]).toEqual([undefined, "202412", "1"])
      }
    )
  })
}
