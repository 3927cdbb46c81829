/**
 * The Promise facade offers `workflows`: a version created for an entity type, given a follow-up,
 * published, listed and offered in the mobile payload, all as async functions; a refused
 * transition rejects with the typed error and IASO's message.
 */
import { afterAll, describe, expect, it } from "vitest"
import { Actor, createIaso, MemoryStore, ValidationError } from "../src/index.ts"
import { smallXForm } from "../src/testing/form-world.ts"

const iaso = createIaso({ store: MemoryStore.layer() })
afterAll(() => iaso.dispose())

describe("workflows through the Promise facade", () => {
  it("creates, publishes and lists a version, serves it to mobile, and rejects a refused transition with IASO's message", async () => {
    const setup = await iaso.accounts.setup({ name: "facade workflows" })
    const api = iaso.as(Actor.system(setup.account.id))
    const form = await api.forms.create({ name: "Registration", projectIds: [setup.project.id] })
    await api.formVersions.create({ formId: form.id, xform: { content: smallXForm("registration", "1", [{ name: "age", label: "Age", kind: "integer" }]) } })
    const type = await api.entityTypes.create({ name: "Child", referenceFormId: form.id })
    const version = await api.workflows.createVersion({ entityTypeId: type.id, name: "First" })
    const followUp = await api.workflows.addFollowUp(version.id, { order: 0, condition: { "<": [{ var: "age" }, 5] }, formIds: [form.id] })
    expect(followUp.formIds).toEqual([form.id])
    expect((await api.workflows.updateVersion(version.id, { status: "PUBLISHED" })).status).toBe("PUBLISHED")
    expect((await api.workflows.versions({ status: "PUBLISHED" })).map((v) => v.name)).toEqual(["First"])
    const payload = await api.workflows.mobile(setup.project.id)
    expect(payload.workflows.map((w) => [w.name, w.follow_ups.map((f) => f.condition)])).toEqual([["First", ['{"<":[{"var":"age"},5]}']]])
    const refused = await api.workflows.updateVersion(version.id, { status: "DRAFT" }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ValidationError)
    expect((refused as ValidationError).issues).toEqual([{ path: ["status"], message: "Transition from PUBLISHED to DRAFT is not allowed" }])
  })
})
