/**
 * Access scenarios: the rules declared on the models hold on every path. An actor restricted to
 * one district, over every row-scoped model and every service verb that reads or writes rows
 * (generic reads and writes, the change feed, the audit trail, groups, version-wide work); the
 * generic path refusing what a service owns; immutable fields; another account's ids answering
 * as random ids do.
 * @module
 */
import { Effect, Exit } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { FormModel } from "../forms/form.ts"
import { Forms } from "../forms/forms-service.ts"
import { FormVersions } from "../forms/form-versions-service.ts"
import { Records } from "../kernel/records.ts"
import { Accounts } from "../tenancy/accounts-service.ts"
import { Repos } from "../kernel/repos.ts"
import { ALL_MODELS } from "../models.ts"
import { importDhis2Pyramid, importGeoJsonPyramid } from "../registry/pyramid-imports-service.ts"
import { Groups } from "../registry/groups-service.ts"
import { GroupModel, OrgUnitGroupMembershipModel } from "../registry/groups.ts"
import { Matching } from "../registry/matching-service.ts"
import { type OrgUnit, OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { DataSourceModel, SourceVersionModel } from "../registry/sources.ts"
import { Sources } from "../registry/sources-service.ts"
import { Versions } from "../registry/versions-service.ts"
import { BlobStore } from "../shared/blob.ts"
import type { DataSourceId, FormId, GroupId, InstanceId, OrgUnitId, SourceVersionId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { AnyModel } from "../shared/model.ts"
import { InstanceFileModel, InstanceModel } from "../submissions/instance-model.ts"
import { Instances } from "../submissions/instances-service.ts"
import type { Actor, CurrentActor } from "../tenancy/actor.ts"
import { makeUnique, sampleRecords, satisfyReferences } from "./generate.ts"
import { exitError, exitTag, type FreshAccount, type Harness, type SuiteServices } from "./harness.ts"
import { scenario } from "./scenario.ts"
import { memoryBlobs, submissionUnits } from "./submission-world.ts"

const R = Effect.service(Records)
const idOf = (record: unknown): string => String((record as { readonly id: unknown }).id)
const messageOf = (exit: Exit.Exit<unknown, unknown>): string => String((exitError(exit) as { readonly message?: unknown } | undefined)?.message ?? "")

/**
 * An account with Country > District > Facility and Country > Other district > Hidden facility,
 * a form, one submission (with an attachment) on each facility, a group holding both facilities,
 * and an actor rooted at District with the permissions of every area.
 */
const world = async (harness: Harness) => {
  const account = await harness.freshAccount()
  const units = await submissionUnits(harness, account)
  const versionId = account.versionId as OrgUnit["versionId"]
  const hidden = await harness.as(
    account.system,
    Effect.flatMap(Effect.service(OrgUnits), (service) => service.create({ name: "Hidden facility", versionId, parentId: units.elsewhere.id }))
  )
  const repos = await harness.repos()
  const form = await harness.run(
    repos.insert(FormModel, account.accountId, {
      name: "Screening",
      uuid: uuidv7(),
      correlatable: false,
      singlePerPeriod: false,
      derived: false,
      changeRequestMode: "CR_MODE_NONE"
    })
  )
  const blobs = await memoryBlobs()
  const submit = (orgUnitId: string, name: string) => {
    const id = uuidv7()
    const xml = `<?xml version='1.0' ?><data id="screening"><patient>${name}</patient><photo>p.jpg</photo><meta><instanceID>uuid:${id}</instanceID></meta></data>`
    return harness.as(
      account.system,
      Effect.flatMap(Effect.service(Instances), (instances) =>
        instances.ingest({
          xml,
          formId: form.id as FormId,
          orgUnitId: orgUnitId as OrgUnitId,
          createdAt: new Date("2024-05-15T08:30:00Z"),
          attachments: [{ name: "p.jpg", bytes: new TextEncoder().encode(name), mediaType: "image/jpeg" }]
        })
      ).pipe(Effect.provideService(BlobStore, blobs))
    )
  }
  const seen = await submit(units.facility.id, "Awa")
  const unseen = await submit(hidden.id, "Binta")
  const group = await harness.as(
    account.system,
    Effect.flatMap(Effect.service(Groups), (groups) =>
      groups.create({ name: "Screening sites", orgUnitIds: [units.facility.id as OrgUnitId, hidden.id as OrgUnitId] })
    )
  )
  const restricted = account.withPermissions(
    ["iaso_org_units", "iaso_submissions", "iaso_forms", "iaso_sources", "iaso_links", "iaso_storages", "iaso_planning_write", "iaso_entities", "iaso_users"],
    { orgUnitRoots: [units.district.id as OrgUnitId] }
  )
  return { account, units, hidden, form, seen, unseen, group, restricted, blobs }
}

type World = Awaited<ReturnType<typeof world>>

/** The rows of the account for these models, as stored (what a refused call must leave alone). */
const snapshot = async (harness: Harness, account: FreshAccount, models: ReadonlyArray<AnyModel>) => {
  const out: Record<string, unknown> = {}
  for (const model of models) out[model.name] = await harness.inspectAccount(model, account.accountId)
  return out
}

/** A record of `model` whose row-scope fields point at `unit` (parents made on it when needed). */
const scopedRecord = (harness: Harness, w: World, model: AnyModel, unit: OrgUnit, seed: number) =>
  harness.run(
    Effect.gen(function* () {
      const repos = yield* Repos
      const scope = model.rowScope
      const [sample] = yield* sampleRecords(model, 1, seed)
      const { id: _id, ...input } = yield* satisfyReferences(repos, w.account.accountId, model, makeUnique(model, sample ?? {}), seed)
      const out: Record<string, unknown> = { ...input }
      if (scope?.kind === "orgUnit") for (const field of scope.fields) out[field] = unit.id
      if (scope?.kind === "parent") {
        const instance = yield* repos.insert(InstanceModel, w.account.accountId, {
          deleted: false,
          toExport: false,
          generalValidationStatus: "",
          orgUnitId: unit.id,
          uuid: uuidv7()
        })
        out[scope.field] = instance.id
      }
      return yield* repos.insert(model, w.account.accountId, out)
    })
  )

/** Every row-scoped model a generic write may touch (managed ones are refused before any scope check). */
const GENERIC_SCOPED = ALL_MODELS.filter((model) => model.rowScope !== undefined && model.rowScope.kind !== "audited" && model.managedBy === undefined)

/** A service verb called with one id of some kind. */
interface Verb {
  readonly name: string
  readonly kind: "unit" | "form" | "instance" | "group" | "version" | "source"
  readonly call: (id: string) => Effect.Effect<unknown, unknown, SuiteServices | CurrentActor>
}

/** Every service verb that takes an id, to be called with ids the actor must not reach. */
const serviceVerbs = (): ReadonlyArray<Verb> => {
  const U = Effect.service(OrgUnits)
  const F = Effect.service(Forms)
  const V = Effect.service(FormVersions)
  const I = Effect.service(Instances)
  const G = Effect.service(Groups)
  const S = Effect.service(Sources)
  const unit = (id: string) => id as OrgUnitId
  const verb = (name: string, kind: Verb["kind"], call: Verb["call"]): Verb => ({ name, kind, call })
  return [
    verb("OrgUnits.get", "unit", (id) => Effect.flatMap(U, (u) => u.get(unit(id)))),
    verb("OrgUnits.update", "unit", (id) => Effect.flatMap(U, (u) => u.update(unit(id), { name: "Renamed" }))),
    verb("OrgUnits.move", "unit", (id) => Effect.flatMap(U, (u) => u.move(unit(id), null))),
    verb("OrgUnits.children", "unit", (id) => Effect.flatMap(U, (u) => u.children(unit(id)))),
    verb("OrgUnits.descendants", "unit", (id) => Effect.flatMap(U, (u) => u.descendants(unit(id)))),
    verb("OrgUnits.hierarchy", "unit", (id) => Effect.flatMap(U, (u) => u.hierarchy(unit(id)))),
    verb("OrgUnits.ancestors", "unit", (id) => Effect.flatMap(U, (u) => u.ancestors(unit(id)))),
    verb("Groups.groupsOf", "unit", (id) => Effect.flatMap(G, (g) => g.groupsOf(unit(id)))),
    verb("Groups.members", "group", (id) => Effect.flatMap(G, (g) => g.members(id as GroupId))),
    verb("Groups.addMembers", "group", (id) => Effect.flatMap(G, (g) => g.addMembers(id as GroupId, []))),
    verb("Groups.removeMembers", "group", (id) => Effect.flatMap(G, (g) => g.removeMembers(id as GroupId, []))),
    verb("Groups.update", "group", (id) => Effect.flatMap(G, (g) => g.update(id as GroupId, { name: "Renamed" }))),
    verb("Groups.remove", "group", (id) => Effect.flatMap(G, (g) => g.remove(id as GroupId))),
    verb("Forms.get", "form", (id) => Effect.flatMap(F, (f) => f.get(id as FormId))),
    verb("Forms.update", "form", (id) => Effect.flatMap(F, (f) => f.update(id as FormId, { name: "Renamed" }))),
    verb("Forms.remove", "form", (id) => Effect.flatMap(F, (f) => f.remove(id as FormId))),
    verb("Forms.restore", "form", (id) => Effect.flatMap(F, (f) => f.restore(id as FormId))),
    verb("Forms.links", "form", (id) => Effect.flatMap(F, (f) => f.links(id as FormId))),
    verb("FormVersions.list", "form", (id) => Effect.flatMap(V, (v) => v.list(id as FormId))),
    verb("FormVersions.latest", "form", (id) => Effect.flatMap(V, (v) => v.latest(id as FormId))),
    verb("FormVersions.find", "form", (id) => Effect.flatMap(V, (v) => v.find(id as FormId, "1"))),
    verb("Instances.get", "instance", (id) => Effect.flatMap(I, (i) => i.get(id as InstanceId))),
    verb("Instances.files", "instance", (id) => Effect.flatMap(I, (i) => i.files(id as InstanceId))),
    verb("Instances.status", "instance", (id) => Effect.flatMap(I, (i) => i.status(id as InstanceId))),
    verb("Instances.softDelete", "instance", (id) => Effect.flatMap(I, (i) => i.softDelete(id as InstanceId))),
    verb("Instances.restore", "instance", (id) => Effect.flatMap(I, (i) => i.restore(id as InstanceId))),
    verb("Instances.lock", "instance", (id) => Effect.flatMap(I, (i) => i.lock(id as InstanceId))),
    verb("Instances.locks", "instance", (id) => Effect.flatMap(I, (i) => i.locks(id as InstanceId))),
    verb("Instances.canModify", "instance", (id) => Effect.flatMap(I, (i) => i.canModify(id as InstanceId))),
    verb("Sources.versions", "source", (id) => Effect.flatMap(S, (s) => s.versions(id as DataSourceId))),
    verb("Sources.createVersion", "source", (id) => Effect.flatMap(S, (s) => s.createVersion(id as DataSourceId, { number: 99 }))),
    verb("Accounts.setDefaultVersion", "version", (id) => Effect.flatMap(Effect.service(Accounts), (a) => a.setDefaultVersion(id as SourceVersionId))),
    verb("Versions.diff", "version", (id) =>
      Effect.flatMap(Effect.service(Versions), (v) => v.diff({ versionId: id as SourceVersionId, referenceVersionId: id as SourceVersionId }))
    ),
    verb("Versions.copy", "version", (id) => Effect.flatMap(Effect.service(Versions), (v) => v.copy({ sourceVersionId: id as SourceVersionId }))),
    verb("Records.get", "unit", (id) => Effect.flatMap(R, (r) => r.get(OrgUnitModel, id))),
    verb("Records.list by id", "instance", (id) => Effect.flatMap(R, (r) => r.list(InstanceModel, { where: [{ field: "id", op: "eq", value: id }] }))),
    verb("Records.count by id", "group", (id) => Effect.flatMap(R, (r) => r.count(GroupModel, [{ field: "id", op: "eq", value: id }]))),
    verb("Records.update", "source", (id) => Effect.flatMap(R, (r) => r.update(DataSourceModel, id, { description: "x" }))),
    verb("Records.remove", "version", (id) => Effect.flatMap(R, (r) => r.remove(SourceVersionModel, id)))
  ]
}

/** Registers the access scenarios. */
export const accessScenarios = (h: () => Harness) => {
  describe("access: rules declared on the models hold on every path", () => {
    scenario("a restricted actor's generic reads of submissions, their files and group memberships answer as for another account's rows", async () => {
      const harness = h()
      const w = await world(harness)
      const as = <A, E>(effect: Effect.Effect<A, E, Records | CurrentActor>) => harness.exitAs(w.restricted, effect)
      const listed = await harness.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.list(InstanceModel))
      )
      expect(listed.items.map(idOf)).toEqual([w.seen.instance.id])
      expect(
        await harness.as(
          w.restricted,
          Effect.flatMap(R, (r) => r.count(InstanceModel))
        )
      ).toBe(1)
      expect(exitTag(await as(Effect.flatMap(R, (r) => r.get(InstanceModel, w.unseen.instance.id))))).toBe("NotFound")
      const files = await harness.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.list(InstanceFileModel))
      )
      expect(files.items.map((file) => file.instanceId)).toEqual([w.seen.instance.id])
      const pinned = await harness.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.list(InstanceFileModel, { where: [{ field: "instanceId", op: "eq", value: w.unseen.instance.id }] }))
      )
      expect(pinned.items).toEqual([])
      expect(exitTag(await as(Effect.flatMap(R, (r) => r.get(InstanceFileModel, w.unseen.files[0]?.id ?? ""))))).toBe("NotFound")
      const memberships = await harness.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.list(OrgUnitGroupMembershipModel))
      )
      expect(memberships.items.map((m) => m.orgUnitId)).toEqual([w.units.facility.id])
      const hiddenMembership = (await harness.inspectAccount(OrgUnitGroupMembershipModel, w.account.accountId)).find((row) => row["orgUnitId"] === w.hidden.id)
      expect(exitTag(await as(Effect.flatMap(R, (r) => r.get(OrgUnitGroupMembershipModel, String(hiddenMembership?.["id"])))))).toBe("NotFound")
      // The service agrees with the generic path.
      const served = await harness.as(w.restricted, Effect.flatMap(Effect.service(Instances), (i) => i.list()).pipe(Effect.provideService(BlobStore, w.blobs)))
      expect(served.items.map((item) => item.instance.id)).toEqual([w.seen.instance.id])
    })

    scenario("every model whose writes carry rules refuses generic writes with an Unsupported naming its service, and nothing is stored", async () => {
      const harness = h()
      const w = await world(harness)
      const managed = ALL_MODELS.filter((model) => model.managedBy !== undefined)
      expect(managed.map((model) => model.name).sort()).toEqual(
        [
          "Account",
          "AccountSequence",
          "AuditEntry",
          "CommentIaso",
          "BulkCreateUserCsvFile",
          "BulkCreateUserCsvFileDefaultOrgUnit",
          "BulkCreateUserCsvFileDefaultProject",
          "BulkCreateUserCsvFileDefaultTeam",
          "BulkCreateUserCsvFileDefaultUserRole",
          "Device",
          "DeviceOwnership",
          "DevicePosition",
          "DeviceProject",
          "Entity",
          "EntityDuplicate",
          "EntityType",
          "ExportLog",
          "ExportRequest",
          "ExportStatus",
          "ExportStatusExportLog",
          "Form",
          "FormOrgUnitGroup",
          "FormOrgUnitType",
          "FormVersion",
          "Group",
          "GroupSet",
          "GroupSetGroup",
          "Instance",
          "InstanceFile",
          "InstanceLock",
          "Mapping",
          "MappingVersion",
          "OrgUnit",
          "OrgUnitGroupMembership",
          "Page",
          "PageUser",
          "PageUserRole",
          "Planning",
          "PlanningForm",
          "PlanningTargetOrgUnitType",
          "Profile",
          "ProfileEditableOrgUnitType",
          "ProfileOrgUnit",
          "ProfileProject",
          "ProfileUserRole",
          "User",
          "Assignment",
          "TeamUser",
          "Project",
          "ProjectFeatureFlag",
          "ProjectForm",
          "StorageDevice",
          "StorageLogEntry",
          "StorageLogEntryInstance",
          "SyncCursor",
          "SyncOutboxEntry",
          "Task",
          "Team",
          "Workflow",
          "WorkflowChange",
          "WorkflowFollowup",
          "WorkflowFollowupForm",
          "WorkflowVersion",
          "OrgUnitChangeRequest",
          "OrgUnitReferenceInstance"
        ].sort()
      )
      const before = await snapshot(harness, w.account, managed)
      for (const model of managed) {
        const created = await harness.exitAs(
          w.account.system,
          Effect.flatMap(R, (r) => r.create(model, {} as never))
        )
        expect(exitTag(created), model.name).toBe("Unsupported")
        expect(messageOf(created)).toBe(`${model.name} records are written through ${model.managedBy ?? ""}, not generic writes`)
      }
      // Re-pointing a hidden submission into reach, rewriting its answers, deleting it: all refused.
      for (const effect of [
        Effect.flatMap(R, (r) => r.update(InstanceModel, w.unseen.instance.id, { orgUnitId: w.units.facility.id as OrgUnitId })),
        Effect.flatMap(R, (r) => r.update(InstanceModel, w.unseen.instance.id, { json: { patient: "X" } })),
        Effect.flatMap(R, (r) => r.update(InstanceModel, w.unseen.instance.id, { deleted: true })),
        Effect.flatMap(R, (r) => r.remove(InstanceModel, w.unseen.instance.id)),
        Effect.flatMap(R, (r) => r.create(OrgUnitGroupMembershipModel, { groupId: w.group.id as GroupId, orgUnitId: w.units.root.id as OrgUnitId }))
      ]) {
        expect(exitTag(await harness.exitAs(w.restricted, effect))).toBe("Unsupported")
        expect(exitTag(await harness.exitAs(w.account.system, effect))).toBe("Unsupported")
      }
      expect(await snapshot(harness, w.account, managed)).toEqual(before)
    })

    scenario("fields the SDK computes belong to managed models only, and immutable fields never change through any path", async () => {
      const harness = h()
      const w = await world(harness)
      // A computed field on a generically writable model would let a caller set it.
      expect(ALL_MODELS.filter((model) => model.computed.length > 0 && model.managedBy === undefined).map((model) => model.name)).toEqual([])
      const repos = await harness.repos()
      const version = await harness.run(repos.get(SourceVersionModel, w.account.accountId, w.account.versionId))
      const renumber = await harness.exitAs(
        w.account.system,
        Effect.flatMap(R, (r) => r.update(SourceVersionModel, version.id, { number: version.number + 7 }))
      )
      expect(exitTag(renumber)).toBe("ValidationError")
      expect(messageOf(renumber)).toContain("SourceVersion.number never changes once set")
      const otherSource = await harness.exit(repos.update(OrgUnitModel, w.account.accountId, w.units.facility.id, { versionId: uuidv7() }))
      expect(exitTag(otherSource)).toBe("ValidationError")
      const formId = await harness.exit(repos.update(FormModel, w.account.accountId, w.form.id, { formId: "renamed" }))
      expect(exitTag(formId)).toBe("Success")
      const again = await harness.exit(repos.update(FormModel, w.account.accountId, w.form.id, { formId: "renamed twice" }))
      expect(exitTag(again)).toBe("ValidationError")
      expect((await harness.run(repos.get(FormModel, w.account.accountId, w.form.id))).formId).toBe("renamed")
      expect((await harness.run(repos.get(OrgUnitModel, w.account.accountId, w.units.facility.id))).versionId).toBe(w.account.versionId)
      expect((await harness.run(repos.get(SourceVersionModel, w.account.accountId, version.id))).number).toBe(version.number)
    })

    scenario("the change feed shows an actor only the models it may read and the rows within its roots", async () => {
      const harness = h()
      const w = await world(harness)
      const feed = async (actor: Actor) => {
        const changes: Array<{ readonly model: string; readonly id: string }> = []
        let cursor: string | undefined
        for (;;) {
          const page = await harness.as(
            actor,
            Effect.flatMap(R, (r) => r.changesSince(cursor, 500))
          )
          changes.push(...page.changes)
          if (page.changes.length === 0 || page.cursor === cursor) break
          cursor = page.cursor
        }
        return changes
      }
      const nobody = w.account.withPermissions([])
      const models = new Set((await feed(nobody)).map((change) => change.model))
      for (const name of ["Instance", "InstanceFile", "OrgUnit", "AuditEntry", "OrgUnitGroupMembership", "Group", "Device", "User"])
        expect(models.has(name), name).toBe(false)
      expect(models.has("Form")).toBe(true)
      const restricted = await feed(w.restricted)
      const ids = (model: string) => restricted.filter((change) => change.model === model).map((change) => change.id)
      expect(ids("Instance")).toEqual([w.seen.instance.id])
      expect(ids("InstanceFile")).toEqual(w.seen.files.map((file) => file.id))
      expect(new Set(ids("OrgUnit"))).toEqual(new Set([w.units.district.id, w.units.facility.id]))
      expect(ids("OrgUnitGroupMembership").length).toBe(1)
      const auditIds = new Set(ids("AuditEntry"))
      const entries = await harness.inspectAccount(AuditEntryModel, w.account.accountId)
      const aboutHidden = entries.filter((entry) => [String(w.unseen.instance.id), String(w.hidden.id)].includes(String(entry["objectId"])))
      expect(aboutHidden.length).toBeGreaterThan(0)
      for (const entry of aboutHidden) expect(auditIds.has(String(entry["id"]))).toBe(false)
    })

    scenario("audit entries are read only by an actor who may read the audited record", async () => {
      const harness = h()
      const w = await world(harness)
      const orgUnitsOnly = w.account.withPermissions(["iaso_org_units"])
      const seenByOrgUnits = await harness.as(
        orgUnitsOnly,
        Effect.flatMap(R, (r) => r.list(AuditEntryModel, { limit: 1000 }))
      )
      expect(seenByOrgUnits.items.length).toBeGreaterThan(0)
      expect(seenByOrgUnits.items.filter((entry) => entry.objectModel === "Instance")).toEqual([])
      const instanceEntry = (await harness.inspectAccount(AuditEntryModel, w.account.accountId)).find((entry) => entry["objectModel"] === "Instance")
      expect(
        exitTag(
          await harness.exitAs(
            orgUnitsOnly,
            Effect.flatMap(R, (r) => r.get(AuditEntryModel, String(instanceEntry?.["id"])))
          )
        )
      ).toBe("NotFound")
      expect(
        await harness.as(
          orgUnitsOnly,
          Effect.flatMap(R, (r) => r.count(AuditEntryModel, [{ field: "objectModel", op: "eq", value: "Instance" }]))
        )
      ).toBe(0)
      // A restricted actor reads the trail of the records it reaches, named by id.
      const named = await harness.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.list(AuditEntryModel, { where: [{ field: "objectId", op: "in", value: [w.seen.instance.id, w.unseen.instance.id] }] }))
      )
      expect(named.items.map((entry) => entry.objectId)).toEqual([w.seen.instance.id])
      const hiddenEntry = (await harness.inspectAccount(AuditEntryModel, w.account.accountId)).find((entry) => entry["objectId"] === w.unseen.instance.id)
      expect(
        exitTag(
          await harness.exitAs(
            w.restricted,
            Effect.flatMap(R, (r) => r.get(AuditEntryModel, String(hiddenEntry?.["id"])))
          )
        )
      ).toBe("NotFound")
      const unnamed = await harness.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.list(AuditEntryModel, { limit: 1000 }))
      )
      expect(unnamed.items.filter((entry) => ["Instance", "OrgUnit", "OrgUnitGroupMembership", "InstanceFile"].includes(String(entry.objectModel)))).toEqual([])
      expect(
        await harness.as(
          w.restricted,
          Effect.flatMap(R, (r) => r.count(AuditEntryModel))
        )
      ).toBe(unnamed.items.length)
    })

    scenario("group verbs stay within the actor's roots: members, groupsOf and removeMembers answer a hidden unit as unknown", async () => {
      const harness = h()
      const w = await world(harness)
      const G = Effect.service(Groups)
      expect(
        await harness.as(
          w.restricted,
          Effect.flatMap(G, (g) => g.members(w.group.id))
        )
      ).toEqual([w.units.facility.id])
      expect(
        exitTag(
          await harness.exitAs(
            w.restricted,
            Effect.flatMap(G, (g) => g.groupsOf(w.hidden.id as OrgUnitId))
          )
        )
      ).toBe("NotFound")
      const before = await snapshot(harness, w.account, [OrgUnitGroupMembershipModel, GroupModel])
      const removed = await harness.exitAs(
        w.restricted,
        Effect.flatMap(G, (g) => g.removeMembers(w.group.id, [w.hidden.id as OrgUnitId]))
      )
      expect(exitTag(removed)).toBe("NotFound")
      expect(await snapshot(harness, w.account, [OrgUnitGroupMembershipModel, GroupModel])).toEqual(before)
      expect(
        (
          await harness.as(
            w.restricted,
            Effect.flatMap(G, (g) => g.groupsOf(w.units.facility.id as OrgUnitId))
          )
        ).map((group) => group.id)
      ).toEqual([w.group.id])
      // The group itself is written through Groups: renamed, its source ref unique in its version.
      const other = await harness.as(
        w.account.system,
        Effect.flatMap(G, (g) => g.create({ name: "Other", sourceRef: "g-2" }))
      )
      const renamed = await harness.as(
        w.restricted,
        Effect.flatMap(G, (g) => g.update(w.group.id, { name: "Screening sites 2026", sourceRef: "g-1" }))
      )
      expect([renamed.name, renamed.sourceRef, renamed.version]).toEqual(["Screening sites 2026", "g-1", 2])
      expect(
        exitTag(
          await harness.exitAs(
            w.restricted,
            Effect.flatMap(G, (g) => g.update(w.group.id, { sourceRef: "g-2" }))
          )
        )
      ).toBe("AlreadyExists")
      // Deleting it would delete a membership out of the restricted actor's reach.
      const refused = await harness.exitAs(
        w.restricted,
        Effect.flatMap(G, (g) => g.remove(w.group.id))
      )
      expect(exitTag(refused)).toBe("Forbidden")
      expect(messageOf(refused)).toBe("the group has members outside your org units: it cannot be deleted by you")
      await harness.as(
        w.account.system,
        Effect.flatMap(G, (g) => g.remove(w.group.id))
      )
      expect((await harness.inspectAccount(GroupModel, w.account.accountId)).map((row) => row["id"])).toEqual([other.id])
      expect(await harness.inspectAccount(OrgUnitGroupMembershipModel, w.account.accountId)).toEqual([])
    })

    scenario("work spanning a whole source version is Forbidden to a restricted actor and writes nothing", async () => {
      const harness = h()
      const w = await world(harness)
      const versionId = w.account.versionId as SourceVersionId
      const dataSourceId = w.account.dataSourceId as DataSourceId
      const before = await snapshot(harness, w.account, [OrgUnitModel, SourceVersionModel, GroupModel])
      const feature = {
        type: "Feature",
        geometry: null,
        properties: {
          ref: "d-1",
          name: "Renamed",
          parent_ref: null,
          group_refs: "",
          code: "",
          opening_date: null,
          closed_date: null,
          uuid: null,
          type: "DS",
          depth: 1
        }
      }
      const refused = [
        await harness.exitAs(
          w.restricted,
          Effect.flatMap(Effect.service(Versions), (v) => v.diff({ versionId, referenceVersionId: versionId }))
        ),
        await harness.exitAs(
          w.restricted,
          Effect.flatMap(Effect.service(Versions), (v) => v.diffCsv({ versionId, referenceVersionId: versionId }))
        ),
        await harness.exitAs(
          w.restricted,
          Effect.flatMap(Effect.service(Versions), (v) => v.copy({ sourceVersionId: versionId }))
        ),
        await harness.exitAs(
          w.restricted,
          Effect.flatMap(Effect.service(Matching), (m) => m.run({ algorithm: "exact-ref", sourceVersionId: versionId, destinationVersionId: versionId }))
        ),
        await harness.exitAs(w.restricted, importGeoJsonPyramid({ type: "FeatureCollection", features: [feature] }, { dataSourceId, versionNumber: 1 })),
        await harness.exitAs(w.restricted, importDhis2Pyramid({ organisationUnits: [] }, { dataSourceId }))
      ]
      expect(refused.map(exitTag)).toEqual(["Forbidden", "Forbidden", "Forbidden", "Forbidden", "Forbidden", "Forbidden"])
      for (const exit of refused) expect(messageOf(exit)).toContain("an actor restricted to org units may not do it")
      expect(await snapshot(harness, w.account, [OrgUnitModel, SourceVersionModel, GroupModel])).toEqual(before)
    })

    scenario("every generically writable row-scoped model: a restricted actor reads, counts, writes and follows changes within its roots only", async () => {
      const harness = h()
      const w = await world(harness)
      // The scope kind a generic write meets stays covered (orgUnit: DataRecord, Link, link records); the only
      // parent-scoped model, ExportStatus, is written through Exports (its restricted launcher: the exports scenarios).
      expect(new Set(GENERIC_SCOPED.map((model) => model.rowScope?.kind))).toEqual(new Set(["orgUnit"]))
      let seed = 9_100
      for (const model of GENERIC_SCOPED) {
        seed += 22
        const inside = await scopedRecord(harness, w, model, w.units.facility, seed)
        const outside = await scopedRecord(harness, w, model, w.hidden, seed + 11)
        const as = <A, E>(effect: Effect.Effect<A, E, Records | CurrentActor>) => harness.exitAs(w.restricted, effect)
        const listed = await harness.as(
          w.restricted,
          Effect.flatMap(R, (r) => r.list(model, { limit: 1000 }))
        )
        expect(listed.items.map(idOf), model.name).toEqual([idOf(inside)])
        expect(
          await harness.as(
            w.restricted,
            Effect.flatMap(R, (r) => r.count(model))
          ),
          model.name
        ).toBe(1)
        expect(exitTag(await as(Effect.flatMap(R, (r) => r.get(model, idOf(outside))))), model.name).toBe("NotFound")
        expect(exitTag(await as(Effect.flatMap(R, (r) => r.get(model, idOf(inside))))), model.name).toBe("Success")
        const before = await harness.inspectAccount(model, w.account.accountId)
        expect(exitTag(await as(Effect.flatMap(R, (r) => r.update(model, idOf(outside), {})))), model.name).toBe("NotFound")
        expect(exitTag(await as(Effect.flatMap(R, (r) => r.remove(model, idOf(outside))))), model.name).toBe("NotFound")
        // Moving a reachable record out of reach, or creating one there, is refused as an unknown reference.
        const scope = model.rowScope
        const field = scope?.kind === "orgUnit" ? scope.fields[0] : scope?.kind === "parent" ? scope.field : undefined
        if (field !== undefined) {
          const away = (outside as Record<string, unknown>)[field]
          expect(exitTag(await as(Effect.flatMap(R, (r) => r.update(model, idOf(inside), { [field]: away } as never)))), `${model.name} moved out`).toBe(
            "NotFound"
          )
          const { id: _id, version: _v, createdAt: _c, updatedAt: _u, accountId: _a, ...copy } = outside as Record<string, unknown>
          expect(exitTag(await as(Effect.flatMap(R, (r) => r.create(model, copy as never)))), `${model.name} created out of reach`).toBe("NotFound")
        }
        expect(await harness.inspectAccount(model, w.account.accountId), model.name).toEqual(before)
        const changes = await harness.as(
          w.restricted,
          Effect.flatMap(R, (r) => r.changesSince(undefined, 10_000))
        )
        const ids = new Set(changes.changes.filter((change) => change.model === model.name).map((change) => change.id))
        expect([ids.has(idOf(inside)), ids.has(idOf(outside))], model.name).toEqual([true, false])
      }
    })

    scenario("another account's ids, and ids out of a restricted actor's roots, answer exactly as random ids do, on every service verb", async () => {
      const harness = h()
      const w = await world(harness)
      const other = await harness.freshAccount()
      const outcome = async (actor: Actor, verb: Verb, id: string) => {
        const exit = await harness.exitAs(actor, verb.call(id))
        const value = Exit.isSuccess(exit) ? JSON.stringify(exit.value) : messageOf(exit)
        return `${exitTag(exit)} ${value.split(id).join("<id>")}`
      }
      const ids: Record<Verb["kind"], string> = {
        unit: w.units.facility.id,
        form: w.form.id,
        instance: w.seen.instance.id,
        group: w.group.id,
        version: w.account.versionId,
        source: w.account.dataSourceId
      }
      const verbs = serviceVerbs()
      for (const verb of verbs) {
        const foreign = await outcome(other.system, verb, ids[verb.kind])
        expect(foreign, `${verb.name} with another account's id`).toBe(await outcome(other.system, verb, uuidv7()))
      }
      // Out of the restricted actor's roots: its hidden unit and the submission on it.
      const hiddenIds: Partial<Record<Verb["kind"], string>> = { unit: w.hidden.id, instance: w.unseen.instance.id }
      for (const verb of verbs) {
        const hiddenId = hiddenIds[verb.kind]
        if (hiddenId === undefined) continue
        expect(await outcome(w.restricted, verb, hiddenId), `${verb.name} out of reach`).toBe(await outcome(w.restricted, verb, uuidv7()))
      }
      expect(await harness.inspectAccount(OrgUnitModel, w.account.accountId)).toHaveLength(5)
    })
  })
}
