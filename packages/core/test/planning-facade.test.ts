/**
 * The Promise facade offers `teams`, `plannings` and `assignments`: a team of users, a published
 * planning, assignments made in bulk and the mobile view of a user, all as async functions; a
 * refused team rejects with the typed error and IASO's key.
 */
import { afterAll, describe, expect, it } from "vitest"
import { Actor, createIaso, MemoryStore, type OrgUnitId, type UserId, ValidationError } from "../src/index.ts"

const iaso = createIaso({ store: MemoryStore.layer() })
afterAll(() => iaso.dispose())

describe("field operations through the Promise facade", () => {
  it("makes a team, a published planning and bulk assignments, serves them to the user's phone, and rejects a bad team with IASO's key", async () => {
    const setup = await iaso.accounts.setup({ name: "facade field operations" })
    const api = iaso.as(Actor.system(setup.account.id))
    const region = await api.orgUnitTypes.create({ name: "Region", projectIds: [setup.project.id] })
    const village = await api.orgUnitTypes.create({ name: "Village", projectIds: [setup.project.id] })
    const root = await api.orgUnits.create({ name: "Region", versionId: setup.version.id, orgUnitTypeId: region.id, validationStatus: "VALID" })
    const a = await api.orgUnits.create({
      name: "Village A",
      versionId: setup.version.id,
      parentId: root.id,
      orgUnitTypeId: village.id,
      validationStatus: "VALID"
    })
    const b = await api.orgUnits.create({
      name: "Village B",
      versionId: setup.version.id,
      parentId: root.id,
      orgUnitTypeId: village.id,
      validationStatus: "VALID"
    })
    const form = await api.forms.create({ name: "Visit", projectIds: [setup.project.id], orgUnitTypeIds: [village.id] })
    const { user } = await api.users.create({ username: `walker.${setup.account.id}`, firstName: "Walker" })
    const userId = user.id as UserId
    const team = await api.teams.create({ name: "Walkers", projectId: setup.project.id, managerId: userId, userIds: [userId] })
    expect([team.type, team.membersCount]).toEqual(["TEAM_OF_USERS", 1])
    const planning = await api.plannings.create({
      name: "Round",
      projectId: setup.project.id,
      teamId: team.id,
      orgUnitId: root.id as OrgUnitId,
      formIds: [form.id],
      targetOrgUnitTypeIds: [village.id],
      startedAt: "2025-01-01",
      endedAt: "2025-01-31",
      publishedAt: new Date("2025-01-01T00:00:00Z")
    })
    const assigned = await api.assignments.bulkCreate({ planningId: planning.id, userId, selectAll: true, unselectedIds: [b.id as OrgUnitId] })
    expect(assigned.map((assignment) => assignment.orgUnitId)).toEqual([a.id])
    const phone = await iaso.as(Actor.user({ accountId: setup.account.id, userId, permissions: [] })).plannings.mobile()
    expect(phone.map((p) => [p.name, p.startedAt, p.endedAt, p.assignments])).toEqual([
      ["Round", "2025-01-01", "2025-01-31", [{ orgUnitId: a.id, formIds: [form.id] }]]
    ])
    const refused = await api.teams.create({ name: "Bad", projectId: setup.project.id, managerId: userId, parentId: team.id }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ValidationError)
    expect((refused as ValidationError).issues).toEqual([{ path: ["parentId"], message: "parentIsNotTeamOfTeam" }])
  })
})
