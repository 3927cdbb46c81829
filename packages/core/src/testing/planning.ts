/**
 * Field-operation scenarios: teams (IASO's translation keys, inferred types, colours, paths
 * computed and rewritten for the subtree on a move, soft delete and filters), plannings (IASO's
 * validation keys, drafts and publication, filters, soft delete), assignments (scope, one live
 * assignment per planning and unit enforced by storage, bulk creation in every selection mode,
 * bulk deletion, audit), the mobile view of a user's field work, and the reach of an actor
 * restricted to org units (the services and `Records` alike).
 * @module
 */
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { FormModel, FormOrgUnitTypeModel, ProjectFormModel } from "../forms/form.ts"
import { Records } from "../kernel/records.ts"
import { Assignments } from "../planning/assignments-service.ts"
import { AssignmentModel, PlanningFormModel, PlanningModel, PlanningTargetOrgUnitTypeModel } from "../planning/planning.ts"
import { Plannings } from "../planning/plannings-service.ts"
import { TeamModel, TeamUserModel } from "../planning/team.ts"
import { Teams } from "../planning/teams-service.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import { OrgUnitTypeModel, OrgUnitTypeProjectModel } from "../registry/org-unit-type.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import type { FormId, OrgUnitId, OrgUnitTypeId, PlanningId, ProjectId, TeamId, UserId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Row } from "../shared/model.ts"
import { Actor, type CurrentActor } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type Harness, type SuiteServices } from "./harness.ts"
import { scenario } from "./scenario.ts"

const T = Effect.service(Teams)
const P = Effect.service(Plannings)
const A = Effect.service(Assignments)
const R = Effect.service(Records)

const messageOf = (exit: Parameters<typeof exitError>[0]): string => String((exitError(exit) as { message?: unknown } | undefined)?.message ?? "")
const issuesOf = (exit: Parameters<typeof exitError>[0]) =>
  ((exitError(exit) as { issues?: ReadonlyArray<{ path: ReadonlyArray<unknown>; message: string }> } | undefined)?.issues ?? []).map((issue) => [
    issue.path.join("."),
    issue.message
  ])

/**
 * An account with org-unit types of its project (Country > District > Facility, and a School type
 * without units), units Country > North (Facility 1 and 2 VALID, Clinic 3 NEW) and South (Facility
 * 4 VALID), forms of the project (the first for facilities), users, and actors.
 */
const world = async (harness: Harness) => {
  const account = await harness.freshAccount()
  const repos = await harness.repos()
  const run = <A, E>(effect: Effect.Effect<A, E, SuiteServices>) => harness.run(effect)
  const type = async (name: string, inProject = true) => {
    const created = await run(repos.insert(OrgUnitTypeModel, account.accountId, { name, shortName: name }))
    if (inProject) await run(repos.insert(OrgUnitTypeProjectModel, account.accountId, { orgUnitTypeId: created.id, projectId: account.projectId }))
    return created.id as OrgUnitTypeId
  }
  const types = {
    country: await type("Country"),
    district: await type("District"),
    facility: await type("Facility"),
    school: await type("School"),
    alien: await type("Alien", false)
  }
  const units = await harness.as(
    account.system,
    Effect.gen(function* () {
      const service = yield* OrgUnits
      const versionId = account.versionId as OrgUnit["versionId"]
      const make = (name: string, orgUnitTypeId: OrgUnitTypeId, parentId?: OrgUnitId, validationStatus: OrgUnit["validationStatus"] = "VALID") =>
        service.create({ name, versionId, orgUnitTypeId, validationStatus, ...(parentId === undefined ? {} : { parentId }) })
      const country = yield* make("Country", types.country)
      const north = yield* make("North", types.district, country.id)
      const f1 = yield* make("Facility Élan 1", types.facility, north.id)
      const f2 = yield* make("Facility 2", types.facility, north.id)
      const c3 = yield* make("Clinic 3", types.facility, north.id, "NEW")
      const south = yield* make("South", types.district, country.id)
      const f4 = yield* make("Facility 4", types.facility, south.id)
      const alien = yield* make("Alien", types.alien, country.id)
      return { country, north, f1, f2, c3, south, f4, alien }
    })
  )
  const form = async (name: string, typeIds: ReadonlyArray<OrgUnitTypeId>, inProject = true) => {
    const created = await run(
      repos.insert(FormModel, account.accountId, {
        name,
        uuid: uuidv7(),
        correlatable: false,
        singlePerPeriod: false,
        derived: false,
        changeRequestMode: "CR_MODE_NONE"
      })
    )
    if (inProject) await run(repos.insert(ProjectFormModel, account.accountId, { projectId: account.projectId, formId: created.id }))
    for (const orgUnitTypeId of typeIds) await run(repos.insert(FormOrgUnitTypeModel, account.accountId, { formId: created.id, orgUnitTypeId }))
    return created.id as FormId
  }
  const forms = {
    facility: await form("Facility visit", [types.facility]),
    district: await form("District review", [types.district]),
    other: await form("Elsewhere", [], false)
  }
  const user = async (name: string) =>
    (await run(repos.insert(UserModel, account.accountId, { username: `${name}.${uuidv7()}`, firstName: name, lastName: "", email: "", isActive: true })))
      .id as UserId
  const users = { manager: await user("manager"), alice: await user("alice"), bob: await user("bob") }
  const otherProject = (
    await run(repos.insert(ProjectModel, account.accountId, { name: "Other", appId: `other.${uuidv7()}`, needsAuthentication: true, description: "" }))
  ).id as ProjectId
  const admin = Actor.user({ accountId: account.accountId, userId: users.manager, permissions: ["iaso_teams", "iaso_planning_write"] })
  const as = <A, E>(actor: Actor, effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => harness.as(actor, effect)
  const exitAs = <A, E>(actor: Actor, effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => harness.exitAs(actor, effect)
  const projectId = account.projectId as ProjectId
  const team = (input: Partial<Parameters<Teams["Service"]["create"]>[0]> = {}) =>
    as(
      admin,
      Effect.flatMap(T, (t) => t.create({ name: "Team", projectId, managerId: users.manager, ...input }))
    )
  const planning = async (input: Partial<Parameters<Plannings["Service"]["create"]>[0]> = {}) => {
    const teamId = input.teamId ?? (await team({ name: "Planners", userIds: [users.alice, users.bob] })).id
    return as(
      admin,
      Effect.flatMap(P, (p) =>
        p.create({
          name: "Campaign",
          projectId,
          teamId,
          orgUnitId: units.country.id as OrgUnitId,
          formIds: [forms.facility, forms.district],
          targetOrgUnitTypeIds: [types.facility],
          ...input
        })
      )
    )
  }
  const rows = async (model: Parameters<Harness["inspectAccount"]>[0]): Promise<ReadonlyArray<Row>> => harness.inspectAccount(model, account.accountId)
  return { account, repos, types, units, forms, users, otherProject, admin, as, exitAs, projectId, team, planning, rows }
}

const STORED = [TeamModel, TeamUserModel, PlanningModel, PlanningFormModel, PlanningTargetOrgUnitTypeModel, AssignmentModel, AuditEntryModel]

/** Registers the field-operation scenarios. */
export const planningScenarios = (h: () => Harness) => {
  describe("field operations", () => {
    scenario("teams: types inferred from members, colours upper-cased, IASO's keys for every bad team, nothing stored on refusal", async () => {
      const harness = h()
      const w = await world(harness)
      const users = await w.team({ name: "Vaccinators", userIds: [w.users.alice, w.users.bob], color: "#a1b2c3" })
      expect([users.type, users.color, users.membersCount, users.userIds]).toEqual(["TEAM_OF_USERS", "#A1B2C3", 2, [w.users.alice, w.users.bob]])
      expect(users.path).toBe(`${users.id}/`)
      const empty = await w.team({ name: "Empty" })
      expect([empty.type, empty.color, empty.membersCount, empty.description]).toEqual([undefined, "#EF5350", 0, ""])
      // A team under an untyped team makes it a team of teams.
      const child = await w.team({ name: "Child", parentId: empty.id })
      expect(child.path).toBe(`${empty.id}/${child.id}/`)
      const parent = await w.as(
        w.admin,
        Effect.flatMap(T, (t) => t.get(empty.id))
      )
      expect([parent.type, parent.subTeamIds, parent.membersCount]).toEqual(["TEAM_OF_TEAMS", [child.id], 1])
      const foreign = await w.team({ name: "Foreign", projectId: w.otherProject })
      const before = await Promise.all(STORED.map((model) => w.rows(model)))
      const refusals: ReadonlyArray<[Partial<Parameters<Teams["Service"]["create"]>[0]>, ReadonlyArray<[string, string]>]> = [
        [{ parentId: users.id }, [["parentId", "parentIsNotTeamOfTeam"]]],
        [{ parentId: empty.id, projectId: w.otherProject }, [["parentId", "Sub teams must be in the same project"]]],
        [{ userIds: [w.users.alice], subTeamIds: [child.id] }, [["", "Teams cannot have both users and sub teams"]]],
        [{ userIds: [w.users.alice], type: "TEAM_OF_TEAMS" }, [["type", "Incorrect type"]]],
        [{ color: "red" }, [["color", "red is not a valid hex color code. It should be in the format #RRGGBB."]]],
        [{ subTeamIds: [child.id], parentId: child.id }, [["subTeamIds", "noLoopInSubTree"]]]
      ]
      for (const [input, issues] of refusals) {
        const refused = await w.exitAs(
          w.admin,
          Effect.flatMap(T, (t) => t.create({ name: "Bad", projectId: w.projectId, managerId: w.users.manager, ...input }))
        )
        expect([exitTag(refused), issuesOf(refused)], JSON.stringify(input)).toEqual(["ValidationError", issues])
      }
      // A loop through the parent, a path given by a caller, a sub-team of another project.
      const loop = await w.exitAs(
        w.admin,
        Effect.flatMap(T, (t) => t.update(empty.id, { parentId: child.id }))
      )
      expect(issuesOf(loop)).toEqual([["parentId", "noLoopInSubTree"]])
      const pathGiven = await w.exitAs(
        w.admin,
        Effect.flatMap(T, (t) => t.create({ name: "Bad", projectId: w.projectId, managerId: w.users.manager, path: "x/" } as never))
      )
      expect(messageOf(pathGiven)).toBe('Team.path is computed by the SDK: a caller never gives it\n  at ["path"]')
      const mixed = await w.exitAs(
        w.admin,
        Effect.flatMap(T, (t) => t.update(empty.id, { subTeamIds: [child.id, foreign.id] }))
      )
      expect(issuesOf(mixed)).toEqual([["subTeamIds", "Sub teams must be in the same project"]])
      expect(await Promise.all(STORED.map((model) => w.rows(model)))).toEqual(before)
      // Writes need iaso_teams; generic writes name the service; reads are open to the account.
      const reader = w.account.withPermissions([])
      expect(
        exitTag(
          await w.exitAs(
            reader,
            Effect.flatMap(T, (t) => t.create({ name: "X", projectId: w.projectId, managerId: w.users.manager }))
          )
        )
      ).toBe("Forbidden")
      expect(
        (
          await w.as(
            reader,
            Effect.flatMap(T, (t) => t.list())
          )
        ).map((team) => team.name)
      ).toEqual(["Child", "Empty", "Foreign", "Vaccinators"])
      const generic = await w.exitAs(
        w.account.system,
        Effect.flatMap(R, (r) => r.update(TeamModel, child.id, { name: "Renamed" }))
      )
      expect(messageOf(generic)).toBe("Team records are written through Teams, not generic writes")
    })

    scenario("teams: a move rewrites the whole subtree's paths in one transaction; sub-team lists re-parent; soft delete and the listing filters", async () => {
      const harness = h()
      const w = await world(harness)
      const root = await w.team({ name: "Root" })
      const a = await w.team({ name: "Alpha", parentId: root.id })
      const b = await w.team({ name: "Beta", parentId: a.id })
      const c = await w.team({ name: "Gamma", parentId: b.id, userIds: [w.users.alice] })
      const other = await w.team({ name: "Other root" })
      // Alpha moves under Other root: Beta and Gamma follow.
      await w.as(
        w.admin,
        Effect.flatMap(T, (t) => t.update(a.id, { parentId: other.id }))
      )
      const paths = new Map((await w.rows(TeamModel)).map((row) => [row["id"], row["path"]]))
      expect([paths.get(a.id), paths.get(b.id), paths.get(c.id), paths.get(root.id)]).toEqual([
        `${other.id}/${a.id}/`,
        `${other.id}/${a.id}/${b.id}/`,
        `${other.id}/${a.id}/${b.id}/${c.id}/`,
        `${root.id}/`
      ])
      // A refused move (a loop, found after reading the subtree) changes nothing.
      const stored = await w.rows(TeamModel)
      expect(
        issuesOf(
          await w.exitAs(
            w.admin,
            Effect.flatMap(T, (t) => t.update(other.id, { parentId: b.id }))
          )
        )
      ).toEqual([["parentId", "noLoopInSubTree"]])
      expect(await w.rows(TeamModel)).toEqual(stored)
      // A move whose last write fails (an unknown user) leaves every path, link and audit entry as it was.
      const snapshot = await Promise.all(STORED.map((model) => w.rows(model)))
      const failed = await w.exitAs(
        w.admin,
        Effect.flatMap(T, (t) => t.update(c.id, { parentId: root.id, userIds: [uuidv7() as UserId] }))
      )
      expect(exitTag(failed)).toBe("NotFound")
      expect(await Promise.all(STORED.map((model) => w.rows(model)))).toEqual(snapshot)
      // Root takes Beta as its only sub-team: Beta (and Gamma) move; Alpha keeps its place.
      const updated = await w.as(
        w.admin,
        Effect.flatMap(T, (t) => t.update(root.id, { subTeamIds: [b.id] }))
      )
      expect([updated.type, updated.subTeamIds, updated.membersCount]).toEqual(["TEAM_OF_TEAMS", [b.id], 1])
      const moved = new Map((await w.rows(TeamModel)).map((row) => [row["id"], row]))
      expect([moved.get(b.id)?.["path"], moved.get(b.id)?.["parentId"], moved.get(c.id)?.["path"]]).toEqual([
        `${root.id}/${b.id}/`,
        root.id,
        `${root.id}/${b.id}/${c.id}/`
      ])
      // Other root drops Alpha: Alpha becomes a root.
      await w.as(
        w.admin,
        Effect.flatMap(T, (t) => t.update(other.id, { subTeamIds: [] }))
      )
      const dropped = new Map((await w.rows(TeamModel)).map((row) => [row["id"], row]))
      expect([dropped.get(a.id)?.["path"], dropped.get(a.id)?.["parentId"]]).toEqual([`${a.id}/`, undefined])
      // Listing: ancestor (itself included), types, managers, search; deleted teams by status.
      const list = (search: Parameters<Teams["Service"]["list"]>[0]) =>
        w.as(
          w.admin,
          Effect.flatMap(T, (t) => t.list(search))
        )
      expect((await list({ ancestor: root.id })).map((team) => team.name)).toEqual(["Beta", "Gamma", "Root"])
      expect((await list({ types: ["TEAM_OF_USERS"] })).map((team) => [team.name, team.membersCount])).toEqual([["Gamma", 1]])
      expect((await list({ search: "ALPH" })).map((team) => team.name)).toEqual(["Alpha"])
      expect((await list({ managerIds: [w.users.alice] })).map((team) => team.name)).toEqual([])
      const unknown = await w.exitAs(
        w.admin,
        Effect.flatMap(T, (t) => t.list({ ancestor: uuidv7() as TeamId }))
      )
      expect(issuesOf(unknown)).toEqual([["ancestor", "Select a valid choice. That choice is not one of the available choices."]])
      await w.as(
        w.admin,
        Effect.flatMap(T, (t) => t.remove(a.id))
      )
      expect((await list({})).map((team) => team.name)).toEqual(["Beta", "Gamma", "Other root", "Root"])
      expect((await list({ deletionStatus: "deleted" })).map((team) => team.name)).toEqual(["Alpha"])
      expect((await list({ deletionStatus: "all" })).length).toBe(5)
      expect(
        exitTag(
          await w.exitAs(
            w.admin,
            Effect.flatMap(T, (t) => t.create({ name: "Late", projectId: w.projectId, managerId: w.users.manager, parentId: a.id }))
          )
        )
      ).toBe("NotFound")
      const sources = (await w.rows(AuditEntryModel)).filter((row) => row["objectModel"] === "Team").map((row) => row["source"])
      expect(new Set(sources)).toEqual(new Set(["TEAM_API"]))
    })

    scenario("plannings: IASO's validation keys, every issue at once, drafts and publication, filters, soft delete, audited", async () => {
      const harness = h()
      const w = await world(harness)
      const draft = await w.planning({ name: "Draft round" })
      expect([draft.publishedAt, draft.formIds, draft.targetOrgUnitTypeIds, draft.assignmentsCount, draft.description, draft.pipelineUuids]).toEqual([
        undefined,
        [w.forms.facility, w.forms.district],
        [w.types.facility],
        0,
        "",
        []
      ])
      const foreignTeam = await w.team({ name: "Foreign", projectId: w.otherProject })
      const create = (input: Partial<Parameters<Plannings["Service"]["create"]>[0]>) =>
        w.exitAs(
          w.admin,
          Effect.flatMap(P, (p) =>
            p.create({
              name: "Bad",
              projectId: w.projectId,
              teamId: draft.teamId,
              orgUnitId: w.units.country.id as OrgUnitId,
              formIds: [w.forms.facility],
              ...input
            })
          )
        )
      const before = await Promise.all(STORED.map((model) => w.rows(model)))
      expect(issuesOf(await create({ startedAt: "2025-02-01", endedAt: "2025-01-01" }))).toEqual([
        ["startedAt", "startDateAfterEndDate"],
        ["endedAt", "EndDateBeforeStartDate"]
      ])
      expect(issuesOf(await create({ publishedAt: new Date("2025-01-01T00:00:00Z") }))).toEqual([
        ["startedAt", "publishedWithoutStartDate"],
        ["endedAt", "publishedWithoutEndDate"]
      ])
      expect(issuesOf(await create({ teamId: foreignTeam.id, formIds: [w.forms.other] }))).toEqual([
        ["teamId", "planningAndTeams"],
        ["formIds", "planningAndForms"]
      ])
      expect(issuesOf(await create({ formIds: [] }))).toEqual([["formIds", "This list may not be empty."]])
      expect(issuesOf(await create({ orgUnitId: w.units.alien.id as OrgUnitId }))).toEqual([["orgUnitId", "planningAndOrgUnit"]])
      expect(issuesOf(await create({ targetOrgUnitTypeIds: [w.types.alien] }))).toEqual([["targetOrgUnitTypeIds", "planningAndTargetOrgUnitType"]])
      expect(issuesOf(await create({ targetOrgUnitTypeIds: [w.types.school] }))).toEqual([["targetOrgUnitTypeIds", "noOrgUnitsOfTypeInHierarchy"]])
      expect(issuesOf(await create({ orgUnitId: w.units.f1.id as OrgUnitId, targetOrgUnitTypeIds: [w.types.facility] }))).toEqual([
        ["targetOrgUnitTypeIds", "noOrgUnitsOfTypeInHierarchy"]
      ])
      expect(await Promise.all(STORED.map((model) => w.rows(model)))).toEqual(before)
      // Publishing needs both dates; the update is checked whole.
      const update = (id: PlanningId, patch: Parameters<Plannings["Service"]["update"]>[1]) =>
        w.exitAs(
          w.admin,
          Effect.flatMap(P, (p) => p.update(id, patch))
        )
      expect(issuesOf(await update(draft.id, { publishedAt: new Date("2025-01-01T00:00:00Z"), startedAt: "2025-01-01" }))).toEqual([
        ["endedAt", "publishedWithoutEndDate"]
      ])
      const published = await w.as(
        w.admin,
        Effect.flatMap(P, (p) =>
          p.update(draft.id, { name: "Round 1", publishedAt: new Date("2025-01-01T00:00:00Z"), startedAt: "2025-01-01", endedAt: "2025-03-31" })
        )
      )
      expect([published.name, published.publishedAt?.toISOString(), published.startedAt, published.endedAt]).toEqual([
        "Round 1",
        "2025-01-01T00:00:00.000Z",
        "2025-01-01",
        "2025-03-31"
      ])
      const second = await w.planning({ name: "Élection prep", teamId: draft.teamId, formIds: [w.forms.district] })
      const list = (search: Parameters<Plannings["Service"]["list"]>[0]) =>
        w.as(
          w.admin,
          Effect.flatMap(P, (p) => p.list(search))
        )
      expect((await list({})).map((p) => p.name)).toEqual(["Round 1", "Élection prep"])
      expect((await list({ publishingStatus: "draft" })).map((p) => p.name)).toEqual(["Élection prep"])
      expect((await list({ publishingStatus: "published" })).map((p) => p.name)).toEqual(["Round 1"])
      expect((await list({ formIds: [w.forms.facility] })).map((p) => p.name)).toEqual(["Round 1"])
      expect((await list({ search: "election" })).map((p) => p.name)).toEqual(["Élection prep"])
      expect((await list({ startedFrom: "2025-01-01", endedBefore: "2025-12-31" })).map((p) => p.name)).toEqual(["Round 1"])
      await w.as(
        w.admin,
        Effect.flatMap(P, (p) => p.remove(second.id))
      )
      expect((await list({})).map((p) => p.name)).toEqual(["Round 1"])
      expect((await list({ deletionStatus: "deleted" })).map((p) => p.name)).toEqual(["Élection prep"])
      // Reads take iaso_planning_read; writes need iaso_planning_write; generic writes name the service.
      const reader = w.account.withPermissions(["iaso_planning_read"])
      expect(
        (
          await w.as(
            reader,
            Effect.flatMap(P, (p) => p.get(draft.id))
          )
        ).name
      ).toBe("Round 1")
      expect(
        exitTag(
          await w.exitAs(
            reader,
            Effect.flatMap(P, (p) => p.remove(draft.id))
          )
        )
      ).toBe("Forbidden")
      expect(
        exitTag(
          await w.exitAs(
            w.account.withPermissions([]),
            Effect.flatMap(P, (p) => p.list())
          )
        )
      ).toBe("Forbidden")
      expect(
        messageOf(
          await w.exitAs(
            w.account.system,
            Effect.flatMap(R, (r) => r.remove(PlanningModel, draft.id))
          )
        )
      ).toBe("Planning records are written through Plannings, not generic writes")
      expect(
        (await w.rows(AuditEntryModel))
          .filter((row) => row["objectModel"] === "Planning")
          .map((row) => [row["objectId"], row["source"], (row["after"] as { name?: unknown } | undefined)?.name])
      ).toEqual([
        [draft.id, "PLANNING_API", "Draft round"],
        [draft.id, "PLANNING_API", "Round 1"],
        [second.id, "PLANNING_API", "Élection prep"],
        [second.id, "PLANNING_API", "Élection prep"]
      ])
    })

    scenario(
      "assignments: a team or a user, a unit strictly under the planning's root, one live assignment per unit enforced by storage, audited",
      async () => {
        const harness = h()
        const w = await world(harness)
        const planning = await w.planning({ orgUnitId: w.units.north.id as OrgUnitId })
        const create = (input: Partial<Parameters<Assignments["Service"]["create"]>[0]>) =>
          w.exitAs(
            w.admin,
            Effect.flatMap(A, (a) => a.create({ planningId: planning.id, orgUnitId: w.units.f1.id as OrgUnitId, ...input }))
          )
        const first = await w.as(
          w.admin,
          Effect.flatMap(A, (a) => a.create({ planningId: planning.id, orgUnitId: w.units.f1.id as OrgUnitId, userId: w.users.alice }))
        )
        expect([first.userId, first.teamId, first.createdById]).toEqual([w.users.alice, undefined, w.users.manager])
        expect(messageOf(await create({ userId: w.users.bob, teamId: planning.teamId }))).toBe("Cannot assign on both team and users")
        expect(messageOf(await create({}))).toBe("An assignment goes to a team or a user")
        for (const unit of [w.units.north, w.units.f4]) {
          expect(issuesOf(await create({ orgUnitId: unit.id as OrgUnitId, userId: w.users.bob }))).toEqual([["orgUnitId", "OrgUnit is not in planning scope"]])
        }
        // A second live assignment of the unit: the service and a raw write both meet storage's refusal.
        expect(exitTag(await create({ userId: w.users.bob }))).toBe("AlreadyExists")
        expect(
          exitTag(
            await harness.exit(w.repos.insert(AssignmentModel, w.account.accountId, { planningId: planning.id, orgUnitId: w.units.f1.id, userId: w.users.bob }))
          )
        ).toBe("AlreadyExists")
        // Soft-deleted, it no longer counts: a new one may be made, the old row stays.
        await w.as(
          w.admin,
          Effect.flatMap(A, (a) => a.remove(first.id))
        )
        const again = await w.as(
          w.admin,
          Effect.flatMap(A, (a) => a.create({ planningId: planning.id, orgUnitId: w.units.f1.id as OrgUnitId, teamId: planning.teamId }))
        )
        const reassigned = await w.as(
          w.admin,
          Effect.flatMap(A, (a) => a.update(again.id, { teamId: null, userId: w.users.bob }))
        )
        expect([reassigned.teamId, reassigned.userId]).toEqual([undefined, w.users.bob])
        const stored = (await w.rows(AssignmentModel)).map((row) => [row["id"], row["orgUnitId"], row["userId"], row["teamId"], row["deletedAt"] !== undefined])
        expect(stored).toEqual([
          [first.id, w.units.f1.id, w.users.alice, undefined, true],
          [again.id, w.units.f1.id, w.users.bob, undefined, false]
        ])
        expect(
          (
            await w.as(
              w.admin,
              Effect.flatMap(A, (a) => a.list({ planningId: planning.id }))
            )
          ).map((assignment) => assignment.id)
        ).toEqual([again.id])
        expect((await w.rows(AuditEntryModel)).filter((row) => row["objectModel"] === "Assignment").map((row) => [row["objectId"], row["source"]])).toEqual([
          [first.id, "ASSIGNMENT_API"],
          [first.id, "ASSIGNMENT_API"],
          [again.id, "ASSIGNMENT_API"],
          [again.id, "ASSIGNMENT_API"]
        ])
        expect(
          (
            await w.as(
              w.admin,
              Effect.flatMap(P, (p) => p.get(planning.id))
            )
          ).assignmentsCount
        ).toBe(1)
      }
    )

    scenario(
      "bulk assignments: select all but some, selected ids, parent, types and search; live ones given in place; bulk delete; IASO's messages",
      async () => {
        const harness = h()
        const w = await world(harness)
        const planning = await w.planning()
        const bulk = (input: Partial<Parameters<Assignments["Service"]["bulkCreate"]>[0]>) =>
          w.exitAs(
            w.admin,
            Effect.flatMap(A, (a) => a.bulkCreate({ planningId: planning.id, ...input }))
          )
        const units = async (input: Partial<Parameters<Assignments["Service"]["bulkCreate"]>[0]>) => {
          const exit = await bulk(input)
          if (exit._tag !== "Success") throw new Error(messageOf(exit))
          return exit.value.map((assignment) => [assignment.orgUnitId, assignment.userId ?? assignment.teamId])
        }
        const { f1, f2, f4 } = w.units
        expect(messageOf(await bulk({ userId: w.users.alice, teamId: planning.teamId, selectAll: true }))).toBe(
          'Cannot specify both user and teams\n  at ["teamId"]\nCannot specify both user and teams\n  at ["userId"]'
        )
        expect(messageOf(await bulk({ userId: w.users.alice, selectAll: true, selectedIds: [f1.id as OrgUnitId] }))).toBe(
          "You cannot set both `select_all` and `selected_ids`."
        )
        expect(messageOf(await bulk({ userId: w.users.alice, unselectedIds: [f1.id as OrgUnitId], selectedIds: [f2.id as OrgUnitId] }))).toBe(
          "You cannot set `unselected_ids` without `select_all`."
        )
        expect(issuesOf(await bulk({ userId: w.users.alice }))).toEqual([["selectedIds", "Must provide selection parameters (select_all or selected_ids)."]])
        expect(issuesOf(await bulk({ userId: w.users.alice, selectAll: true, orgUnitTypeIds: [w.types.district] }))).toEqual([
          ["orgUnitTypeIds", "One or more org unit types are not target types for this planning"]
        ])
        const untargeted = await w.planning({ name: "No targets", teamId: planning.teamId, targetOrgUnitTypeIds: [] })
        expect(
          issuesOf(
            await w.exitAs(
              w.admin,
              Effect.flatMap(A, (a) => a.bulkCreate({ planningId: untargeted.id, userId: w.users.alice, selectAll: true }))
            )
          )
        ).toEqual([["planningId", "Planning is missing sampling group or target org unit scope"]])
        // Select all (VALID facilities under the root, Clinic 3 is NEW), but Facility 2.
        expect(await units({ userId: w.users.alice, selectAll: true, unselectedIds: [f2.id as OrgUnitId] })).toEqual([
          [f1.id, w.users.alice],
          [f4.id, w.users.alice]
        ])
        // Selected ids: units out of the scope (the district, the NEW clinic) are left out; Facility 1 is given to Bob in place.
        const before = new Map((await w.rows(AssignmentModel)).map((row) => [row["orgUnitId"], row["id"]]))
        expect(await units({ userId: w.users.bob, selectedIds: [f1.id, f2.id, w.units.north.id, w.units.c3.id] as Array<OrgUnitId> })).toEqual([
          [f1.id, w.users.bob],
          [f2.id, w.users.bob]
        ])
        const after = (await w.rows(AssignmentModel)).filter((row) => row["deletedAt"] === undefined)
        expect(after.find((row) => row["orgUnitId"] === f1.id)?.["id"]).toBe(before.get(f1.id))
        expect(after.length).toBe(3)
        // Parent and search narrow select all; a team replaces the user.
        expect(await units({ teamId: planning.teamId, selectAll: true, orgUnitParentId: w.units.south.id as OrgUnitId })).toEqual([[f4.id, planning.teamId]])
        expect(await units({ teamId: planning.teamId, selectAll: true, search: "elan", orgUnitTypeIds: [w.types.facility] })).toEqual([
          [f1.id, planning.teamId]
        ])
        const stored = (await w.rows(AssignmentModel)).map((row) => [row["orgUnitId"], row["userId"], row["teamId"]])
        expect(stored).toEqual([
          [f1.id, undefined, planning.teamId],
          [f4.id, undefined, planning.teamId],
          [f2.id, w.users.bob, undefined]
        ])
        // Bulk delete: by user, then the rest; IASO's messages.
        const remove = (input: Partial<Parameters<Assignments["Service"]["bulkDelete"]>[0]>) =>
          w.as(
            w.admin,
            Effect.flatMap(A, (a) => a.bulkDelete({ planningId: planning.id, ...input }))
          )
        expect(await remove({ userId: w.users.bob })).toEqual({
          message: "Successfully deleted 1 assignments",
          deletedCount: 1,
          planningId: planning.id,
          userId: w.users.bob
        })
        expect((await remove({})).deletedCount).toBe(2)
        expect(await remove({})).toEqual({ message: "No assignments to delete", deletedCount: 0, planningId: planning.id })
        // A deleted assignment is not revived: selecting Facility 1 again makes a new row.
        const revived = await units({ userId: w.users.alice, selectedIds: [f1.id as OrgUnitId] })
        expect(revived).toEqual([[f1.id, w.users.alice]])
        expect((await w.rows(AssignmentModel)).filter((row) => row["orgUnitId"] === f1.id).length).toBe(2)
        const audited = (await w.rows(AuditEntryModel)).filter((row) => row["objectModel"] === "Assignment")
        expect([audited.length, new Set(audited.map((row) => row["source"]))]).toEqual([10, new Set(["ASSIGNMENT_API"])])
      }
    )

    scenario("the mobile view: a user's published plannings with both dates, its live assignments and the forms fitting each unit's type", async () => {
      const harness = h()
      const w = await world(harness)
      const published = { publishedAt: new Date("2025-01-01T00:00:00Z"), startedAt: "2025-01-01", endedAt: "2025-06-30" }
      const live = await w.planning({ name: "Live", ...published, targetOrgUnitTypeIds: [w.types.facility, w.types.district] })
      const draft = await w.planning({ name: "Draft", teamId: live.teamId })
      const gone = await w.planning({ name: "Gone", teamId: live.teamId, ...published })
      const assign = (planningId: PlanningId, orgUnitId: string, userId: UserId) =>
        w.as(
          w.admin,
          Effect.flatMap(A, (a) => a.create({ planningId, orgUnitId: orgUnitId as OrgUnitId, userId }))
        )
      await assign(live.id, w.units.f1.id, w.users.alice)
      await assign(live.id, w.units.north.id, w.users.alice)
      await assign(live.id, w.units.f2.id, w.users.bob)
      const deleted = await assign(live.id, w.units.f4.id, w.users.alice)
      await w.as(
        w.admin,
        Effect.flatMap(A, (a) => a.remove(deleted.id))
      )
      await assign(draft.id, w.units.f1.id, w.users.alice)
      await assign(gone.id, w.units.f1.id, w.users.alice)
      await w.as(
        w.admin,
        Effect.flatMap(P, (p) => p.remove(gone.id))
      )
      const alice = Actor.user({ accountId: w.account.accountId, userId: w.users.alice, permissions: [] })
      expect(
        await w.as(
          alice,
          Effect.flatMap(P, (p) => p.mobile())
        )
      ).toEqual([
        {
          id: live.id,
          name: "Live",
          description: "",
          createdAt: live.createdAt,
          startedAt: "2025-01-01",
          endedAt: "2025-06-30",
          assignments: [
            { orgUnitId: w.units.f1.id, formIds: [w.forms.facility] },
            { orgUnitId: w.units.north.id, formIds: [w.forms.district] }
          ]
        }
      ])
      expect(
        await w.as(
          w.account.system,
          Effect.flatMap(P, (p) => p.mobile())
        )
      ).toEqual([])
    })

    scenario("an actor restricted to org units sees and changes only plannings and assignments under its roots, through the services and Records", async () => {
      const harness = h()
      const w = await world(harness)
      const north = await w.planning({ name: "North round", orgUnitId: w.units.north.id as OrgUnitId })
      const whole = await w.planning({ name: "Country round", teamId: north.teamId })
      const seen = await w.as(
        w.admin,
        Effect.flatMap(A, (a) => a.create({ planningId: whole.id, orgUnitId: w.units.f1.id as OrgUnitId, userId: w.users.alice }))
      )
      const hidden = await w.as(
        w.admin,
        Effect.flatMap(A, (a) => a.create({ planningId: whole.id, orgUnitId: w.units.f4.id as OrgUnitId, userId: w.users.alice }))
      )
      const restricted = Actor.user({
        accountId: w.account.accountId,
        userId: w.users.alice,
        permissions: ["iaso_planning_write"],
        orgUnitRoots: [w.units.north.id as OrgUnitId]
      })
      const as = <A, E>(effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => w.exitAs(restricted, effect)
      expect(
        (
          await w.as(
            restricted,
            Effect.flatMap(P, (p) => p.list())
          )
        ).map((p) => p.name)
      ).toEqual(["North round"])
      expect(exitTag(await as(Effect.flatMap(P, (p) => p.get(whole.id))))).toBe("NotFound")
      expect(exitTag(await as(Effect.flatMap(P, (p) => p.remove(whole.id))))).toBe("NotFound")
      // A planning rooted out of reach is refused, naming the unit.
      const outside = await as(
        Effect.flatMap(P, (p) =>
          p.create({ name: "South", projectId: w.projectId, teamId: north.teamId, orgUnitId: w.units.south.id as OrgUnitId, formIds: [w.forms.facility] })
        )
      )
      expect([exitTag(outside), messageOf(outside)]).toEqual(["NotFound", `OrgUnit ${w.units.south.id} not found`])
      // Assignments: only those under North, on every path; bulk work stays within reach.
      expect(
        (
          await w.as(
            restricted,
            Effect.flatMap(A, (a) => a.list())
          )
        ).map((a) => a.id)
      ).toEqual([seen.id])
      expect(exitTag(await as(Effect.flatMap(A, (a) => a.get(hidden.id))))).toBe("NotFound")
      expect(exitTag(await as(Effect.flatMap(A, (a) => a.remove(hidden.id))))).toBe("NotFound")
      expect(
        issuesOf(await as(Effect.flatMap(A, (a) => a.create({ planningId: north.id, orgUnitId: w.units.f4.id as OrgUnitId, userId: w.users.bob }))))
      ).toEqual([["orgUnitId", "OrgUnit is not in planning scope"]])
      const records = await w.as(
        restricted,
        Effect.flatMap(R, (r) => r.list(AssignmentModel))
      )
      expect(records.items.map((a) => a.id)).toEqual([seen.id])
      expect(exitTag(await as(Effect.flatMap(R, (r) => r.get(PlanningModel, whole.id))))).toBe("NotFound")
      expect(
        (
          await w.as(
            restricted,
            Effect.flatMap(R, (r) => r.list(PlanningModel))
          )
        ).items.map((p) => p.name)
      ).toEqual(["North round"])
      const mobile = await w.as(
        restricted,
        Effect.flatMap(P, (p) => p.mobile())
      )
      expect(mobile).toEqual([])
      // Country round is out of reach: bulk work on it is refused; on North round, select all stays under North.
      expect(exitTag(await as(Effect.flatMap(A, (a) => a.bulkDelete({ planningId: whole.id }))))).toBe("NotFound")
      const created = await w.as(
        restricted,
        Effect.flatMap(A, (a) => a.bulkCreate({ planningId: north.id, userId: w.users.bob, selectAll: true }))
      )
      expect(created.map((a) => a.orgUnitId)).toEqual([w.units.f1.id, w.units.f2.id])
      expect((await w.rows(AssignmentModel)).find((row) => row["id"] === hidden.id)?.["deletedAt"]).toBe(undefined)
    })
  })
}
