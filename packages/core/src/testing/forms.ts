/**
 * Form scenarios: forms and their versions through the `Forms` and `FormVersions` services:
 * creation with IASO's rules and messages, version ordering (integer compare), form id rules,
 * soft deletion and restoration, possible fields merged across versions, permissions (`Forbidden`),
 * another account's forms (`NotFound`), a preview that stores nothing, and a version created with
 * its form's changes in one transaction (a refused upload leaves storage and the blob store as
 * they were). Versions are uploaded as small XForms, so no fixture file is needed.
 * @module
 */
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { FormModel, FormOrgUnitTypeModel, ProjectFormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import type { FormCreate } from "../forms/forms-service.ts"
import { Groups } from "../registry/groups-service.ts"
import { OrgUnitTypes } from "../registry/org-unit-types-service.ts"
import { Sources } from "../registry/sources-service.ts"
import type { FormId, ProjectId } from "../shared/entity-ids.ts"
import { Projects } from "../tenancy/projects-service.ts"
import { exitError, exitTag, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

/** The services of these scenarios, provided here so the scenarios do not depend on what `Iaso.layer` holds. */
import { F, formSetup, issuesOf, smallXForm, smallXlsForm, snapshot, upload, V } from "./form-world.ts"
import { formRuleScenarios } from "./form-rules.ts"

/** Registers the form scenarios. */
export const formScenarios = (h: () => Harness) => {
  describe("forms and form versions", () => {
    const setup = () => formSetup(h)

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
        Effect.flatMap(Effect.service(Projects), (p) =>
          Effect.map(p.create({ name: "Second", appId: `second.${account.accountId}`, color: "#000000" }), (made) => made.project)
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
      // A version id no version can have is not found either (not a defect).
      for (const blank of ["", "   "]) {
        expect(
          exitTag(
            await exitAs(
              editor,
              Effect.flatMap(V, (v) => v.find(form.id, blank))
            )
          )
        ).toBe("NotFound")
      }
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

    formRuleScenarios(h)
  })
}
