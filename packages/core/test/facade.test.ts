import { Effect } from "effect"
import {
  Accounts,
  Actor,
  Comments,
  createIaso,
  Credentials,
  Forms,
  FormVersions,
  Groups,
  Iaso,
  Instances,
  Matching,
  OrgUnits,
  OrgUnitTypes,
  Pages,
  Projects,
  PyramidImports,
  Records,
  Sources,
  Storages,
  Versions,
  Forbidden,
  MemoryStore,
  NotFound,
  OrgUnitModel,
  ProjectModel,
  UserRoleModel,
  ValidationError,
  type InstanceId,
  type OrgUnit
} from "@iaso/core"
import { zipSync } from "fflate"
import { afterAll, describe, expect, it } from "vitest"

const iaso = createIaso({ store: MemoryStore.layer() })
afterAll(() => iaso.dispose())

describe("the Promise facade", () => {
  it("offers every verb of every service as an async function", async () => {
    const { account } = await iaso.accounts.setup({ name: "Promise Verbs" })
    const facade = iaso.as(Actor.system(account.id))
    const services = {
      accounts: Accounts,
      records: Records,
      sources: Sources,
      orgUnitTypes: OrgUnitTypes,
      orgUnits: OrgUnits,
      groups: Groups,
      versions: Versions,
      matching: Matching,
      pyramidImports: PyramidImports,
      forms: Forms,
      formVersions: FormVersions,
      instances: Instances,
      storages: Storages,
      projects: Projects,
      credentials: Credentials,
      pages: Pages,
      comments: Comments
    }
    const verbs = await Effect.runPromise(
      Effect.gen(function* () {
        const out: Record<string, ReadonlyArray<string>> = {}
        for (const [name, tag] of Object.entries(services)) out[name] = Object.keys(yield* tag).sort()
        return out
      }).pipe(Effect.provide(Iaso.layer), Effect.provide(MemoryStore.layer()))
    )
    // Host-app account operations live on iaso.accounts; a transaction takes an Effect.
    const hostOnly: Record<string, ReadonlyArray<string>> = { accounts: ["create", "findByName", "setup"], records: ["transaction"] }
    // Paged listings are also offered as async iterables.
    const iterables: Record<string, ReadonlyArray<string>> = {
      records: ["listAll"],
      orgUnits: ["childrenAll", "descendantsAll"],
      forms: ["listAll"],
      instances: ["listAll"]
    }
    for (const [name, keys] of Object.entries(verbs)) {
      const offered = Object.keys(facade[name as keyof typeof facade]).sort()
      expect(offered, name).toEqual([...keys.filter((key) => !(hostOnly[name] ?? []).includes(key)), ...(iterables[name] ?? [])].sort())
      for (const key of offered) expect(typeof (facade[name as keyof typeof facade] as Record<string, unknown>)[key], `${name}.${key}`).toBe("function")
    }
  })

  it("creates a project and reads it back through the app gate", async () => {
    const { account } = await iaso.accounts.setup({ name: "Promise Projects" })
    const projects = iaso.as(Actor.user({ accountId: account.id, permissions: ["iaso_projects"] })).projects
    const created = await projects.create({ name: "Field", appId: " promise.projects.field ", needsAuthentication: true })
    expect([created.project.appId, created.project.needsAuthentication, created.featureFlags.map((flag) => flag.code)]).toEqual([
      "promise.projects.field",
      true,
      ["REQUIRE_AUTHENTICATION"]
    ])
    await expect(projects.projectForApp("promise.projects.field", undefined)).rejects.toBeInstanceOf(NotFound)
  })

  it("sets up an account and builds a pyramid with async functions", async () => {
    const { account, version } = await iaso.accounts.setup({ name: "Promise Health" })
    const admin = iaso.as(Actor.system(account.id))
    const country = await admin.orgUnits.create({ name: "Sierra Leone", versionId: version.id })
    const district = await admin.orgUnits.create({ name: "Bo", versionId: version.id, parentId: country.id })
    const children = await admin.orgUnits.children(country.id)
    expect(children.items.map((unit) => [unit.id, unit.name])).toEqual([[district.id, "Bo"]])
    const { project } = await admin.projects.create({ name: "Second", appId: "promise.health.second" })
    const listed = await admin.records.list(ProjectModel, { orderBy: [{ field: "name" }] })
    expect(listed.items.map((p) => p.name)).toEqual(["Main Project", "Second"])
    expect(project.version).toBe(1)
    expect((await admin.accounts.current()).name).toBe("Promise Health")
  })

  it("follows every page of a listing with for await, one page at a time, and stops at a break", async () => {
    const { account, version } = await iaso.accounts.setup({ name: "Promise Pages" })
    const admin = iaso.as(Actor.system(account.id))
    const country = await admin.orgUnits.create({ name: "Country", versionId: version.id })
    const names = ["A", "B", "C", "D", "E", "F", "G"]
    for (const name of names) await admin.orgUnits.create({ name, versionId: version.id, parentId: country.id })
    const seen: Array<string> = []
    for await (const unit of admin.orgUnits.childrenAll(country.id, { limit: 2, orderBy: [{ field: "name" }] })) seen.push(String(unit.name))
    expect(seen).toEqual(names)
    const below: Array<string> = []
    for await (const unit of admin.orgUnits.descendantsAll(country.id, { limit: 3, select: ["name"] })) below.push(String(unit.name))
    expect(below.sort()).toEqual(names)
    const first: Array<string> = []
    for await (const unit of admin.records.listAll(OrgUnitModel, { limit: 2, orderBy: [{ field: "name" }], select: ["name"] })) {
      first.push(unit.name)
      if (first.length === 3) break
    }
    expect(first).toEqual(["A", "B", "C"])
    const forms: Array<string> = []
    for await (const form of admin.forms.listAll()) forms.push(String(form.name))
    expect(forms).toEqual([])
    const submissions: Array<string> = []
    for await (const submission of admin.instances.listAll({ limit: 5 })) submissions.push(submission.instance.id)
    expect(submissions).toEqual([])
  })

  it("rejects with the SDK's typed errors", async () => {
    const { account, version } = await iaso.accounts.setup({ name: "Promise Errors" })
    const admin = iaso.as(Actor.system(account.id))
    await expect(admin.orgUnits.get("0190a6f4-0000-7000-8000-000000000000" as OrgUnit["id"])).rejects.toBeInstanceOf(NotFound)
    await expect(admin.orgUnits.create({ name: "", versionId: version.id })).rejects.toBeInstanceOf(ValidationError)
    const reader = iaso.as(Actor.user({ accountId: account.id, permissions: ["iaso_org_units_read"] }))
    await expect(reader.orgUnits.create({ name: "X", versionId: version.id })).rejects.toBeInstanceOf(Forbidden)
    await expect(iaso.accounts.create({ name: "Promise Errors" })).rejects.toMatchObject({ _tag: "AlreadyExists", constraint: "account_name_unique" })
  })

  it("builds a user's actor from its profile, roles, org-unit roots and editable types", async () => {
    const { account, version } = await iaso.accounts.setup({ name: "Promise Actors" })
    const admin = iaso.as(Actor.system(account.id))
    const root = await admin.orgUnits.create({ name: "Root", versionId: version.id })
    const district = await admin.orgUnits.create({ name: "District", versionId: version.id, parentId: root.id })
    const other = await admin.orgUnits.create({ name: "Other", versionId: version.id, parentId: root.id })
    const role = await admin.records.create(UserRoleModel, { name: "Supervisor", permissions: ["iaso_org_units", "iaso_forms"] })
    const { user } = await admin.users.create({
      username: "amina.promise",
      firstName: "Amina",
      lastName: "K",
      email: "a@example.org",
      language: "fr",
      userRoleIds: [role.id],
      orgUnitIds: [district.id]
    })
    const actor = await admin.accounts.actorFor(user.id)
    expect([...actor.permissions].sort()).toEqual(["iaso_forms", "iaso_org_units"])
    expect(actor.orgUnitRoots).toEqual([district.id])
    expect(actor.userId).toBe(user.id)
    const asUser = iaso.as(actor)
    const visible = await asUser.records.list(OrgUnitModel, { select: ["name"] })
    expect(visible.items.map((unit) => unit.name)).toEqual(["District"])
    await expect(asUser.orgUnits.get(other.id)).rejects.toBeInstanceOf(NotFound)
    const created = await asUser.orgUnits.create({ name: "Facility", versionId: version.id, parentId: district.id })
    expect(created.creatorId).toBe(user.id)
    expect(created.depth).toBe(3)
  })
  it("imports a mobile bulk upload (a zip of orgUnits.json, instances.json and the XML) with progress", async () => {
    const { account, version, project } = await iaso.accounts.setup({ name: "Promise Bulk Upload" })
    const admin = iaso.as(Actor.system(account.id))
    const district = await admin.orgUnits.create({ name: "District", versionId: version.id })
    const form = await admin.forms.create({ name: "Visit", projectIds: [project.id] })
    const unitUuid = "7b1e6f0a-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
    const id = "0f0e0d0c-0b0a-4909-8807-060504030201"
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
    const zip = zipSync({
      "orgUnits.json": json([{ id: unitUuid, name: "Health post", parent_id: district.id, created_at: 1712326429884 }]),
      "instances.json": json([
        { id, file: "/sdcard/visit.xml", formId: form.id, orgUnitId: unitUuid, created_at: 1712326182.45, latitude: 8.5, longitude: -11.9, accuracy: 12.345 }
      ]),
      [`${id}/visit.xml`]: new TextEncoder().encode(`<data id="visit"><who>Awa</who><meta><instanceID>uuid:${id}</instanceID></meta></data>`)
    })
    const phases: Array<string> = []
    const result = await admin.instances.importMobileBulkUpload(zip, { projectId: project.id, onProgress: (p) => phases.push(p.phase) })
    expect([result.orgUnits.created.map((unit) => [unit.name, unit.uuid, unit.validationStatus]), result.instances.map((item) => item.outcome)]).toEqual([
      [["Health post", unitUuid, "NEW"]],
      ["created"]
    ])
    const stored = await admin.instances.get(result.instances[0]?.instanceId as InstanceId)
    expect([stored.orgUnitId, stored.location, stored.accuracy, stored.sourceCreatedAt?.toISOString(), stored.json]).toEqual([
      result.orgUnits.created[0]?.id,
      { type: "Point", coordinates: [-11.9, 8.5, 0] },
      "12.35",
      "2024-04-05T14:09:42.450Z",
      { who: "Awa", instanceID: `uuid:${id}` }
    ])
    expect(phases).toEqual(["read", "write", "write"])
    // Aborted once the archive is read: nothing more is written, and it rejects with Interrupted.
    const controller = new AbortController()
    const again = admin.instances.importMobileBulkUpload(zip, { projectId: project.id, onProgress: () => controller.abort(), signal: controller.signal })
    await expect(again).rejects.toMatchObject({ _tag: "Interrupted", operation: "upload" })
    expect((await admin.orgUnits.children(district.id)).items).toHaveLength(1)
  })
})
