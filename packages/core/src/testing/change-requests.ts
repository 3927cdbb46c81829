/**
 * Org-unit change request and reference-instance scenarios: a device's creation request approved
 * (the unit VALID with the approved fields only) or rejected (the unit REJECTED), a change request
 * on a VALID unit applied in one unit of work, idempotent re-sending and `Conflict`, a restricted
 * actor refused outside its roots with nothing stored, generic writes refused, and the rules of
 * reference submissions.
 * @module
 */
import { Effect, type Exit } from "effect"
import { describe, expect } from "vitest"
import { FormModel, OrgUnitTypeReferenceFormModel } from "../forms/form.ts"
import { Records } from "../kernel/records.ts"
import { type ChangeRequestField, OrgUnitChangeRequestModel, OrgUnitReferenceInstanceModel } from "../registry/change-request.ts"
import { type OrgUnitChangeRequestCreate, OrgUnitChangeRequests } from "../registry/change-requests-service.ts"
import { Groups } from "../registry/groups-service.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeModel } from "../registry/org-unit-type.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import type { GroupId, InstanceId, OrgUnitId, OrgUnitTypeId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import { Actor } from "../tenancy/actor.ts"
import type { Permission } from "../tenancy/permissions.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type FreshAccount, type Harness } from "./harness.ts"
import { accountRows, pyramid } from "./org-unit-fixtures.ts"
import { scenario } from "./scenario.ts"

const CR = Effect.service(OrgUnitChangeRequests)
const OU = Effect.service(OrgUnits)

/** The message of a failed call's error. */
const messageOf = (exit: Exit.Exit<unknown, unknown>): string => String((exitError(exit) as { readonly message?: unknown } | undefined)?.message ?? "")

const REVIEW: Permission = "iaso_org_units_change_request_review"

/** An account with the pyramid root > (a > a1 > a11, b), two groups, a device user and a reviewer. */
const world = async (harness: Harness) => {
  const account = await harness.freshAccount()
  const units = await pyramid(harness, account)
  const repos = await harness.repos()
  const user = async (name: string) =>
    harness.run(repos.insert(UserModel, account.accountId, { username: `${name}.${uuidv7()}`, firstName: name, lastName: "", email: "", isActive: true }))
  const deviceUser = await user("device")
  const reviewerUser = await user("reviewer")
  const device = (roots: ReadonlyArray<string> = []) =>
    Actor.user({ accountId: account.accountId, userId: deviceUser.id, permissions: [], orgUnitRoots: roots as ReadonlyArray<OrgUnitId> })
  const reviewer = (roots: ReadonlyArray<string> = []) =>
    Actor.user({ accountId: account.accountId, userId: reviewerUser.id, permissions: [REVIEW], orgUnitRoots: roots as ReadonlyArray<OrgUnitId> })
  const [g1, g2] = await harness.as(
    account.system,
    Effect.flatMap(Effect.service(Groups), (groups) =>
      Effect.all([groups.create({ name: "G1 hospitals" }), groups.create({ name: "G2 clinics", orgUnitIds: [units.a1.id as OrgUnitId] })])
    )
  )
  if (g1 === undefined || g2 === undefined) throw new Error("groups not created")
  const groupNamesOf = (id: string) =>
    harness.as(
      account.system,
      Effect.flatMap(Effect.service(Groups), (groups) => Effect.map(groups.groupsOf(id as OrgUnitId), (list) => list.map((g) => g.name).sort()))
    )
  const unit = (id: string) =>
    harness.as(
      account.system,
      Effect.flatMap(OU, (service) => service.get(id as OrgUnitId))
    )
  return { account, units, repos, deviceUser, reviewerUser, device, reviewer, g1, g2, groupNamesOf, unit }
}

const create = (harness: Harness, actor: Actor, input: OrgUnitChangeRequestCreate) =>
  harness.exitAs(
    actor,
    Effect.flatMap(CR, (service) => service.create(input))
  )
const approve = (harness: Harness, actor: Actor, id: string, fields: ReadonlyArray<ChangeRequestField>) =>
  harness.exitAs(
    actor,
    Effect.flatMap(CR, (service) => service.approve(id as never, fields))
  )
const reject = (harness: Harness, actor: Actor, id: string, comment: string) =>
  harness.exitAs(
    actor,
    Effect.flatMap(CR, (service) => service.reject(id as never, comment))
  )

const ok = async <A, E>(exit: Promise<Exit.Exit<A, E>>): Promise<A> => {
  const done = await exit
  if (done._tag === "Success") return done.value
  throw new Error(`expected success, got ${exitTag(done)}: ${messageOf(done)}`)
}

const setValid = (harness: Harness, account: FreshAccount, id: string) =>
  harness.as(
    account.system,
    Effect.flatMap(OU, (service) => service.update(id as OrgUnitId, { validationStatus: "VALID" }))
  )

const ring: Array<[number, number]> = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
  [0, 0]
]
const square = { type: "Polygon" as const, coordinates: [ring] }

/** Registers the change request and reference instance scenarios. */
export const changeRequestScenarios = (h: () => Harness): void => {
  describe("org-unit change requests", () => {
    scenario("a device's creation request makes a NEW custom unit; approving it makes the unit VALID with the approved fields only", async () => {
      const harness = h()
      const w = await world(harness)
      const device = w.device([w.units.a.id])
      const request = await ok(
        create(harness, device, {
          uuid: uuidv7(),
          newName: "New clinic",
          newParentId: w.units.a1.id as OrgUnitId,
          newLocation: { type: "Point", coordinates: [2.5, 13.5, 0] },
          newOpeningDate: "2024-01-01",
          newGroupIds: [w.g2.id as GroupId, w.g1.id as GroupId]
        })
      )
      expect([request.kind, request.status, request.requestedFields, request.approvedFields, request.createdById, request.newGroupIds]).toEqual([
        "org_unit_creation",
        "new",
        ["newParentId", "newName", "newLocation", "newOpeningDate", "newGroupIds"],
        [],
        w.deviceUser.id,
        [w.g1.id, w.g2.id].sort()
      ])
      const proposed = await w.unit(request.orgUnitId)
      expect([
        proposed.name,
        proposed.validationStatus,
        proposed.custom,
        proposed.creatorId,
        proposed.parentId,
        proposed.location,
        proposed.openingDate
      ]).toEqual(["New clinic", "NEW", true, w.deviceUser.id, w.units.a1.id, { type: "Point", coordinates: [2.5, 13.5, 0] }, undefined])
      const notReviewer = await approve(harness, w.device(), request.id, ["newName"])
      expect(exitTag(notReviewer)).toBe("Forbidden")
      const notRequested = await approve(harness, w.reviewer(), request.id, ["newName", "newClosedDate"])
      expect([exitTag(notRequested), messageOf(notRequested)]).toEqual([
        "ValidationError",
        'newClosedDate is not a requested field of this change request\n  at ["approvedFields"]'
      ])
      const approved = await ok(approve(harness, w.reviewer(), request.id, ["newGroupIds", "newName"]))
      expect([approved.status, approved.approvedFields, approved.reviewedById, approved.reviewedAt instanceof Date]).toEqual([
        "approved",
        ["newName", "newGroupIds"],
        w.reviewerUser.id,
        true
      ])
      const after = await w.unit(request.orgUnitId)
      expect([after.name, after.validationStatus, after.openingDate]).toEqual(["New clinic", "VALID", undefined])
      expect(await w.groupNamesOf(request.orgUnitId)).toEqual(["G1 hospitals", "G2 clinics"])
      const again = await approve(harness, w.reviewer(), request.id, ["newOpeningDate"])
      expect([exitTag(again), messageOf(again)]).toEqual([
        "Conflict",
        `The change request ${request.id} is approved: only a new request is approved or rejected`
      ])
    })

    scenario("rejecting needs a comment; a creation request's unit becomes REJECTED, a change request leaves its VALID unit as it was", async () => {
      const harness = h()
      const w = await world(harness)
      const creation = await ok(create(harness, w.device(), { uuid: uuidv7(), newName: "Ghost post", newParentId: w.units.b.id as OrgUnitId }))
      const blank = await reject(harness, w.reviewer(), creation.id, "   ")
      expect([exitTag(blank), messageOf(blank)]).toEqual(["ValidationError", 'A rejection comment is required\n  at ["comment"]'])
      const rejected = await ok(reject(harness, w.reviewer(), creation.id, "Duplicate of B"))
      expect([rejected.status, rejected.rejectionComment, rejected.reviewedById, rejected.approvedFields]).toEqual([
        "rejected",
        "Duplicate of B",
        w.reviewerUser.id,
        []
      ])
      expect((await w.unit(creation.orgUnitId)).validationStatus).toBe("REJECTED")
      expect(exitTag(await approve(harness, w.reviewer(), creation.id, ["newName"]))).toBe("Conflict")
      expect(exitTag(await reject(harness, w.reviewer(), creation.id, "again"))).toBe("Conflict")
      await setValid(harness, w.account, w.units.b.id)
      const change = await ok(create(harness, w.device(), { uuid: uuidv7(), orgUnitId: w.units.b.id as OrgUnitId, newName: "B renamed" }))
      expect([change.kind, change.orgUnitId]).toEqual(["org_unit_change", w.units.b.id])
      await ok(reject(harness, w.reviewer(), change.id, "Name is right"))
      const b = await w.unit(w.units.b.id)
      expect([b.name, b.validationStatus]).toEqual(["B", "VALID"])
    })

    scenario(
      "a change request on a VALID unit: the approved fields are applied in one unit of work (moved with its subtree, reshaped, groups replaced)",
      async () => {
        const harness = h()
        const w = await world(harness)
        await setValid(harness, w.account, w.units.a1.id)
        const cycle = await ok(
          create(harness, w.device(), { uuid: uuidv7(), orgUnitId: w.units.a1.id as OrgUnitId, newParentId: w.units.a11.id as OrgUnitId, newName: "Loop" })
        )
        const before = await accountRows(harness, w.account, [OrgUnitModel, OrgUnitChangeRequestModel])
        const refused = await approve(harness, w.reviewer(), cycle.id, ["newName", "newParentId"])
        expect([exitTag(refused), messageOf(refused)]).toEqual([
          "ValidationError",
          'an org unit cannot be moved under itself or one of its descendants\n  at ["parentId"]'
        ])
        expect(await accountRows(harness, w.account, [OrgUnitModel, OrgUnitChangeRequestModel])).toEqual(before)
        const request = await ok(
          create(harness, w.device(), {
            uuid: uuidv7(),
            orgUnitId: w.units.a1.id as OrgUnitId,
            newParentId: w.units.b.id as OrgUnitId,
            newName: "A1 moved",
            newGeom: square,
            newGroupIds: [w.g1.id as GroupId]
          })
        )
        expect([request.kind, request.newGeom?.type]).toEqual(["org_unit_change", "MultiPolygon"])
        await ok(approve(harness, w.reviewer(), request.id, ["newParentId", "newGeom", "newGroupIds"]))
        const a1 = await w.unit(w.units.a1.id)
        const a11 = await w.unit(w.units.a11.id)
        expect([a1.name, a1.parentId, a1.path, a1.depth, a1.validationStatus, a1.geom?.coordinates, a1.simplifiedGeom?.type]).toEqual([
          "A1",
          w.units.b.id,
          `${w.units.b.path}${w.units.a1.id}/`,
          3,
          "VALID",
          [square.coordinates],
          "MultiPolygon"
        ])
        expect(a11.path).toBe(`${w.units.b.path}${w.units.a1.id}/${w.units.a11.id}/`)
        expect(await w.groupNamesOf(w.units.a1.id)).toEqual(["G1 hospitals"])
        const dates = await create(harness, w.device(), {
          uuid: uuidv7(),
          orgUnitId: w.units.a1.id as OrgUnitId,
          newOpeningDate: "2024-05-01",
          newClosedDate: "2024-05-01"
        })
        expect([exitTag(dates), messageOf(dates)]).toEqual(["ValidationError", 'The closed date must be later than the opening date\n  at ["newClosedDate"]'])
      }
    )

    scenario("creation is idempotent by uuid: the same request re-sent is the stored one, other content under its uuid a Conflict", async () => {
      const harness = h()
      const w = await world(harness)
      const uuid = uuidv7()
      const input: OrgUnitChangeRequestCreate = {
        uuid,
        newName: "Mobile post",
        newParentId: w.units.a.id as OrgUnitId,
        newGroupIds: [w.g1.id as GroupId, w.g2.id as GroupId],
        newGeom: square,
        newLocation: { type: "Point", coordinates: [-1.5, 12.25] },
        newOpeningDate: "2023-02-28"
      }
      const first = await ok(create(harness, w.device(), input))
      const rows = await accountRows(harness, w.account, [OrgUnitModel, OrgUnitChangeRequestModel])
      const resent = await ok(create(harness, w.device(), { ...input, newGroupIds: [w.g2.id as GroupId, w.g1.id as GroupId] }))
      expect([resent.id, resent.version, resent.orgUnitId]).toEqual([first.id, first.version, first.orgUnitId])
      const withUnit = await ok(create(harness, w.device(), { ...input, orgUnitId: first.orgUnitId as OrgUnitId }))
      expect(withUnit.id).toBe(first.id)
      expect(await accountRows(harness, w.account, [OrgUnitModel, OrgUnitChangeRequestModel])).toEqual(rows)
      const changed = await create(harness, w.device(), { ...input, newName: "Other post" })
      expect([exitTag(changed), messageOf(changed)]).toEqual(["Conflict", `A change request with the uuid ${uuid} was already received with other content`])
      expect(await accountRows(harness, w.account, [OrgUnitModel, OrgUnitChangeRequestModel])).toEqual(rows)
      const invalid = await create(harness, w.device(), { uuid: "not-a-uuid", newName: "X", newParentId: w.units.a.id as OrgUnitId })
      expect(exitTag(invalid)).toBe("ValidationError")
      const empty = await create(harness, w.device(), { uuid: uuidv7(), orgUnitId: w.units.a.id as OrgUnitId })
      expect(exitTag(empty)).toBe("ValidationError")
    })

    scenario("a restricted actor is refused outside its roots with nothing stored, and lists only requests under its roots", async () => {
      const harness = h()
      const w = await world(harness)
      await setValid(harness, w.account, w.units.a1.id)
      await setValid(harness, w.account, w.units.b.id)
      const inside = await ok(create(harness, w.device(), { uuid: uuidv7(), orgUnitId: w.units.a1.id as OrgUnitId, newName: "A1 bis" }))
      const outside = await ok(create(harness, w.device(), { uuid: uuidv7(), orgUnitId: w.units.b.id as OrgUnitId, newName: "B bis" }))
      const creation = await ok(create(harness, w.device(), { uuid: uuidv7(), newName: "Under A", newParentId: w.units.a.id as OrgUnitId }))
      const restricted = w.device([w.units.a.id])
      const rows = await accountRows(harness, w.account, [OrgUnitModel, OrgUnitChangeRequestModel])
      const onB = await create(harness, restricted, { uuid: uuidv7(), orgUnitId: w.units.b.id as OrgUnitId, newName: "Mine" })
      const underB = await create(harness, restricted, { uuid: uuidv7(), newName: "Mine", newParentId: w.units.b.id as OrgUnitId })
      const moveToB = await create(harness, restricted, { uuid: uuidv7(), orgUnitId: w.units.a1.id as OrgUnitId, newParentId: w.units.b.id as OrgUnitId })
      const asRoot = await create(harness, restricted, { uuid: uuidv7(), newName: "Root of mine" })
      expect([exitTag(onB), exitTag(underB), exitTag(moveToB), exitTag(asRoot)]).toEqual(["NotFound", "NotFound", "NotFound", "Forbidden"])
      const restrictedReviewer = w.reviewer([w.units.a.id])
      expect(exitTag(await approve(harness, restrictedReviewer, outside.id, ["newName"]))).toBe("NotFound")
      expect(exitTag(await reject(harness, restrictedReviewer, outside.id, "no"))).toBe("NotFound")
      expect(await accountRows(harness, w.account, [OrgUnitModel, OrgUnitChangeRequestModel])).toEqual(rows)
      const listed = (actor: Actor, search: Parameters<OrgUnitChangeRequests["Service"]["list"]>[0] = {}) =>
        harness.as(
          actor,
          Effect.flatMap(CR, (service) => Effect.map(service.list({ ...search, orderBy: [{ field: "newName" }] }), (page) => page.items.map((r) => r.newName)))
        )
      expect(await listed(w.device())).toEqual(["A1 bis", "B bis", "Under A"])
      expect(await listed(restricted)).toEqual(["A1 bis", "Under A"])
      expect(await listed(w.device(), { kinds: ["org_unit_creation"] })).toEqual(["Under A"])
      expect(await listed(w.device(), { underOrgUnitId: w.units.a1.id as OrgUnitId })).toEqual(["A1 bis"])
      await ok(approve(harness, restrictedReviewer, inside.id, ["newName"]))
      expect(await listed(restricted, { statuses: ["new"] })).toEqual(["Under A"])
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(CR, (service) => service.get(outside.id))
          )
        )
      ).toBe("NotFound")
      expect(
        (
          await harness.as(
            restricted,
            Effect.flatMap(CR, (service) => service.get(creation.id))
          )
        ).newName
      ).toBe("Under A")
    })

    scenario("generic Records writes of change requests and reference instances are refused; generic reads keep to the actor's roots", async () => {
      const harness = h()
      const w = await world(harness)
      await ok(create(harness, w.device(), { uuid: uuidv7(), orgUnitId: w.units.b.id as OrgUnitId, newName: "B bis" }))
      const rows = await accountRows(harness, w.account, [OrgUnitChangeRequestModel, OrgUnitReferenceInstanceModel])
      const records = Effect.service(Records)
      const writeRequest = await harness.exitAs(
        w.account.system,
        Effect.flatMap(records, (r) =>
          r.create(OrgUnitChangeRequestModel, {
            uuid: uuidv7(),
            orgUnitId: w.units.a.id,
            kind: "org_unit_change",
            status: "approved",
            requestedFields: ["newName"],
            approvedFields: ["newName"],
            newName: "Sneaky"
          } as never)
        )
      )
      const writeLink = await harness.exitAs(
        w.account.system,
        Effect.flatMap(records, (r) => r.create(OrgUnitReferenceInstanceModel, { orgUnitId: w.units.a.id, formId: uuidv7(), instanceId: uuidv7() } as never))
      )
      expect([exitTag(writeRequest), messageOf(writeRequest), exitTag(writeLink)]).toEqual([
        "Unsupported",
        "OrgUnitChangeRequest records are written through OrgUnitChangeRequests, not generic writes",
        "Unsupported"
      ])
      expect(await accountRows(harness, w.account, [OrgUnitChangeRequestModel, OrgUnitReferenceInstanceModel])).toEqual(rows)
      const seen = (actor: Actor) =>
        harness.as(
          actor,
          Effect.flatMap(records, (r) => Effect.map(r.list(OrgUnitChangeRequestModel), (page) => page.items.length))
        )
      expect([await seen(w.device()), await seen(w.device([w.units.a.id]))]).toEqual([1, 0])
    })
  })

  describe("org-unit reference instances", () => {
    scenario("a submission is the reference of its unit for a reference form of the unit's type; flagging replaces, unflagging removes", async () => {
      const harness = h()
      const w = await world(harness)
      const { repos, account } = w
      const type = await harness.run(repos.insert(OrgUnitTypeModel, account.accountId, { name: "Health facility", shortName: "HF" }))
      const form = (name: string) =>
        harness.run(
          repos.insert(FormModel, account.accountId, {
            name,
            uuid: uuidv7(),
            correlatable: false,
            singlePerPeriod: false,
            derived: false,
            changeRequestMode: "CR_MODE_NONE"
          })
        )
      const census = await form("Census")
      const survey = await form("Survey")
      await harness.run(repos.insert(OrgUnitTypeReferenceFormModel, account.accountId, { orgUnitTypeId: type.id, formId: census.id }))
      await harness.as(
        account.system,
        Effect.flatMap(OU, (service) => service.update(w.units.a1.id as OrgUnitId, { orgUnitTypeId: type.id as OrgUnitTypeId }))
      )
      const instance = (formId: string | undefined, orgUnitId: string) =>
        harness.run(
          repos.insert(InstanceModel, account.accountId, {
            orgUnitId,
            ...(formId === undefined ? {} : { formId }),
            deleted: false,
            toExport: false,
            generalValidationStatus: ""
          })
        )
      const first = await instance(census.id, w.units.a1.id)
      const second = await instance(census.id, w.units.a1.id)
      const other = await instance(survey.id, w.units.a1.id)
      const formless = await instance(undefined, w.units.a1.id)
      const editor = account.withPermissions(["iaso_org_units"])
      const flag = (unitId: string, instanceId: string, actor: Actor = editor) =>
        harness.exitAs(
          actor,
          Effect.flatMap(CR, (service) => service.flagReferenceInstance(unitId as OrgUnitId, instanceId as InstanceId))
        )
      const references = (unitId: string) =>
        harness.as(
          editor,
          Effect.flatMap(CR, (service) => Effect.map(service.referenceInstances(unitId as OrgUnitId), (links) => links.map((l) => [l.formId, l.instanceId])))
        )
      const flagged = await ok(flag(w.units.a1.id, first.id))
      expect([flagged.orgUnitId, flagged.formId, flagged.instanceId]).toEqual([w.units.a1.id, census.id, first.id])
      await ok(flag(w.units.a1.id, second.id))
      expect(await references(w.units.a1.id)).toEqual([[census.id, second.id]])
      const notReference = await flag(w.units.a1.id, other.id)
      const noForm = await flag(w.units.a1.id, formless.id)
      const noType = await flag(w.units.b.id, first.id)
      expect([messageOf(notReference), messageOf(noForm), messageOf(noType)]).toEqual([
        'The submission must be an instance of a reference form.\n  at ["instanceId"]',
        'The Instance must be linked to a Form.\n  at ["instanceId"]',
        'The OrgUnit must be linked to a OrgUnitType.\n  at ["instanceId"]'
      ])
      const outside = await flag(w.units.a1.id, first.id, account.withPermissions(["iaso_org_units"], { orgUnitRoots: [w.units.b.id as OrgUnitId] }))
      expect(exitTag(outside)).toBe("NotFound")
      expect(exitTag(await flag(w.units.a1.id, first.id, w.device()))).toBe("Forbidden")
      // Approving a request's reference submissions merges them per form.
      await setValid(harness, account, w.units.a1.id)
      const request = await ok(
        create(harness, w.device(), { uuid: uuidv7(), orgUnitId: w.units.a1.id as OrgUnitId, newReferenceInstanceIds: [first.id as InstanceId] })
      )
      const twice = await create(harness, w.device(), {
        uuid: uuidv7(),
        orgUnitId: w.units.a1.id as OrgUnitId,
        newReferenceInstanceIds: [first.id as InstanceId, second.id as InstanceId]
      })
      expect(messageOf(twice)).toBe('Only one reference instance can exist by org_unit/form pair.\n  at ["newReferenceInstanceIds"]')
      await ok(approve(harness, w.reviewer(), request.id, ["newReferenceInstanceIds"]))
      expect(await references(w.units.a1.id)).toEqual([[census.id, first.id]])
      await ok(
        harness.exitAs(
          editor,
          Effect.flatMap(CR, (service) => service.unflagReferenceInstance(w.units.a1.id as OrgUnitId, first.id as InstanceId))
        )
      )
      expect(await references(w.units.a1.id)).toEqual([])
    })
  })
}
