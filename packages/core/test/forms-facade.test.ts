/**
 * The Promise facade offers `forms` and `formVersions`: a form created, a version uploaded (an
 * XForm), listed, previewed and its periods changed, all as async functions, with typed errors
 * rejected as they are.
 */
import { afterAll, describe, expect, it } from "vitest"
import { Actor, createIaso, MemoryStore, ValidationError } from "../src/index.ts"
import { smallXForm } from "../src/testing/form-world.ts"

const iaso = createIaso({ store: MemoryStore.layer() })
afterAll(() => iaso.dispose())

describe("forms through the Promise facade", () => {
  it("creates a form and its versions, lists and previews them, and rejects with the typed error", async () => {
    const setup = await iaso.accounts.setup({ name: "facade forms" })
    const api = iaso.as(Actor.system(setup.account.id))
    const form = await api.forms.create({ name: "Visits", projectIds: [setup.project.id] })
    const version = await api.formVersions.create({ formId: form.id, xform: { content: smallXForm("visits", "1", [{ name: "who", label: "Who" }]) } })
    expect(version.versionId).toBe("1")
    expect((await api.forms.get(form.id)).formId).toBe("visits")
    expect((await api.formVersions.list(form.id)).map((v) => v.versionId)).toEqual(["1"])
    const preview = await api.formVersions.preview({ formId: form.id, xform: { content: smallXForm("visits", "2", [{ name: "when", label: "When" }]) } })
    expect([preview.previousVersion, preview.addedQuestions.map((q) => q.name), preview.removedQuestions.map((q) => q.name)]).toEqual(["1", ["when"], ["who"]])
    expect((await api.formVersions.update(version.id, { startPeriod: "202401" })).startPeriod).toBe("202401")
    expect((await api.forms.list()).items.map((f) => f.name)).toEqual(["Visits"])
    const refused = await api.formVersions.create({ formId: form.id, xform: { content: smallXForm("visits", "1", []) } }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ValidationError)
    expect((refused as ValidationError).issues).toEqual([
      { path: ["xform"], message: "Invalid XForm: Parsed version should be greater than previous version." }
    ])
  })
})
