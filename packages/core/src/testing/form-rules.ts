/**
 * Form scenarios on rules: permissions, another account's forms, previews that store nothing,
 * and atomic creation.
 * @module
 */
import { Effect } from "effect"
import { expect } from "vitest"
import { FormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { Records } from "../kernel/records.ts"
import { sha256Hex } from "../shared/blob.ts"
import { exitError, exitTag, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

/** The services of these scenarios, provided here so the scenarios do not depend on what `Iaso.layer` holds. */
import { F, formSetup, smallXForm, snapshot, upload, V } from "./form-world.ts"

/** Registers the form rule scenarios (inside the forms' describe block). */
export const formRuleScenarios = (h: () => Harness) => {
  const setup = () => formSetup(h)

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
}
