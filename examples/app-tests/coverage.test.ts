/**
 * How an app tests its own code on the SDK: a fresh memory store per test (`createIaso` with
 * `MemoryStore.layer()`), the world the test needs built through the same facade the app uses,
 * and exact answers asserted. No mock of the SDK: the rules the app relies on (roots, permissions,
 * duplicates) are the real ones.
 */
import { Actor, createIaso, type IasoClient, MemoryStore, type OrgUnitId } from "@iaso/core"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { facilitiesToVisit } from "./coverage.ts"

/** An ODK-style submission of the visit form. */
const visitXml = (uuid: string) => `<?xml version="1.0"?><data id="visit"><seen>yes</seen><meta><instanceID>uuid:${uuid}</instanceID></meta></data>`

/** A country with two districts of two facilities each, a visit form, and the system actor. */
const world = async (iaso: IasoClient) => {
  const { account, version, project } = await iaso.accounts.setup({ name: `App test ${crypto.randomUUID()}` })
  const admin = iaso.as(Actor.system(account.id))
  const facility = await admin.orgUnitTypes.create({ name: "Facility", projectIds: [project.id] })
  const unit = (name: string, parentId?: OrgUnitId, orgUnitTypeId = facility.id) =>
    admin.orgUnits.create({ name, versionId: version.id, ...(parentId === undefined ? {} : { parentId }), orgUnitTypeId })
  const country = await admin.orgUnits.create({ name: "Country", versionId: version.id })
  const north = await admin.orgUnits.create({ name: "North", versionId: version.id, parentId: country.id })
  const south = await admin.orgUnits.create({ name: "South", versionId: version.id, parentId: country.id })
  const units = { country, north, south, n1: await unit("N1", north.id), n2: await unit("N2", north.id), s1: await unit("S1", south.id) }
  const form = await admin.forms.create({ name: "Visit", projectIds: [project.id] })
  const visit = (orgUnitId: OrgUnitId) =>
    admin.instances.ingest({ formId: form.id, orgUnitId, xml: visitXml(crypto.randomUUID()), createdAt: new Date("2026-11-02T09:00:00Z") })
  return { account, admin, facilityTypeId: facility.id, formId: form.id, units, visit }
}

describe("facilities to visit", () => {
  let iaso: IasoClient
  beforeEach(() => {
    iaso = createIaso({ store: MemoryStore.layer() })
  })
  afterEach(() => iaso.dispose())

  it("lists every facility under the root before any visit, by name", async () => {
    const w = await world(iaso)
    const answer = await facilitiesToVisit(iaso, Actor.system(w.account.id), { rootId: w.units.country.id, facilityTypeId: w.facilityTypeId, formId: w.formId })
    expect(answer.map((unit) => unit.name)).toEqual(["N1", "N2", "S1"])
  })

  it("leaves out a facility once it has a submission", async () => {
    const w = await world(iaso)
    await w.visit(w.units.n1.id)
    const answer = await facilitiesToVisit(iaso, Actor.system(w.account.id), { rootId: w.units.country.id, facilityTypeId: w.facilityTypeId, formId: w.formId })
    expect(answer.map((unit) => unit.name)).toEqual(["N2", "S1"])
  })

  it("a supervisor rooted in North gets North's facilities only, and the SDK refuses South to it", async () => {
    const w = await world(iaso)
    const supervisor = Actor.user({ accountId: w.account.id, permissions: ["iaso_org_units", "iaso_submissions"], orgUnitRoots: [w.units.north.id] })
    const mine = await facilitiesToVisit(iaso, supervisor, { rootId: w.units.north.id, facilityTypeId: w.facilityTypeId, formId: w.formId })
    expect(mine.map((unit) => unit.name)).toEqual(["N1", "N2"])
    await expect(facilitiesToVisit(iaso, supervisor, { rootId: w.units.south.id, facilityTypeId: w.facilityTypeId, formId: w.formId })).rejects.toMatchObject({
      _tag: "NotFound"
    })
  })
})
