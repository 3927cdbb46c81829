/**
 * Entity scenarios: entity types (IASO's code, PATCH, unique names, permissions, the questions
 * their lists select), explicit and bulk creation, soft deletion with its submissions and audit,
 * reach of a restricted actor (Entities and Records alike), listings (answers, search,
 * `limitDate`, JSONLogic), duplicates, ignore and merge, and the mobile payloads.
 * @module
 */
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { Entities } from "../entities/entities-service.ts"
import { EntityDuplicateModel, EntityModel, EntityTypeModel } from "../entities/entity.ts"
import { EntityTypes } from "../entities/entity-types-service.ts"
import { FormModel, ProjectFormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { Records } from "../kernel/records.ts"
import type { EntityId, EntityTypeId, FormId, InstanceId, OrgUnitId, ProjectId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import { type Instance, InstanceModel } from "../submissions/instance-model.ts"
import { Instances } from "../submissions/instances-service.ts"
import { BlobStore } from "../shared/blob.ts"
import type { Actor, CurrentActor } from "../tenancy/actor.ts"
import { exitError, exitTag, type Harness, type SuiteServices } from "./harness.ts"
import { scenario } from "./scenario.ts"
import { bytes, memoryBlobs, submissionUnits, submissionXml } from "./submission-world.ts"

const E = Effect.service(Entities)
const T = Effect.service(EntityTypes)
const HEX = "0".repeat(64)

const POSSIBLE_FIELDS = [
  { name: "name", label: "Name", type: "text" },
  { name: "Age", label: "Age", type: "integer" },
  { name: "village", label: "Village", type: "text" },
  { name: "photo", label: "Photo", type: "image" }
]

/** An account with units, a reference form (version "1") offered by its project, a user actor per reach. */
const world = async (harness: Harness) => {
  const account = await harness.freshAccount()
  const units = await submissionUnits(harness, account)
  const repos = await harness.repos()
  const form = await harness.run(
    repos.insert(FormModel, account.accountId, {
      name: "Registration",
      uuid: uuidv7(),
      correlatable: false,
      singlePerPeriod: false,
      derived: false,
      changeRequestMode: "CR_MODE_NONE",
      possibleFields: POSSIBLE_FIELDS
    })
  )
  await harness.run(repos.insert(ProjectFormModel, account.accountId, { projectId: account.projectId, formId: form.id }))
  const version = await harness.run(
    repos.insert(FormVersionModel, account.accountId, {
      formId: form.id,
      versionId: "1",
      md5: "",
      file: { key: `sha256/${HEX}`, size: 1, sha256: HEX, mediaType: "text/xml" }
    })
  )
  const admin = account.withPermissions(["iaso_entities", "iaso_entity_type_write"])
  const restricted = account.withPermissions(["iaso_entities"], { orgUnitRoots: [units.district.id as OrgUnitId] })
  /** A submission stored as ingestion leaves it. */
  const submission = (answers: Record<string, string>, fields: Partial<Record<keyof Instance, unknown>> = {}) =>
    harness.run(
      repos.insert(InstanceModel, account.accountId, {
        uuid: globalThis.crypto.randomUUID(),
        formId: form.id,
        orgUnitId: units.facility.id,
        json: { _version: "1", ...answers },
        deleted: false,
        toExport: false,
        generalValidationStatus: "",
        ...fields
      })
    )
  const as = <A, E>(actor: Actor, effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => harness.as(actor, effect)
  const exitAs = <A, E>(actor: Actor, effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => harness.exitAs(actor, effect)
  const type = (fields: Partial<Parameters<EntityTypes["Service"]["create"]>[0]> = {}) =>
    as(
      admin,
      Effect.flatMap(T, (t) => t.create({ name: "Child", referenceFormId: form.id as FormId, fieldsListView: ["name", "age"], ...fields }))
    )
  /** An entity registered by a new submission with these answers. */
  const entity = async (typeId: EntityTypeId, answers: Record<string, string>, fields: Partial<Record<keyof Instance, unknown>> = {}) => {
    const instance = await submission(answers, fields)
    return as(
      admin,
      Effect.flatMap(E, (e) => e.create({ entityTypeId: typeId, attributesInstanceId: instance.id as InstanceId }))
    )
  }
  return { account, units, repos, form, version, admin, restricted, submission, as, exitAs, type, entity }
}

const messageOf = (exit: Parameters<typeof exitError>[0]): string => String((exitError(exit) as { message?: unknown } | undefined)?.message ?? "")

/** Registers the entity scenarios. */
export const entityScenarios = (h: () => Harness) => {
  describe("entities", () => {
    scenario("entity types: IASO's code, unique names per account, PATCH replaces the lists and the flag, writes need iaso_entity_type_write", async () => {
      const harness = h()
      const w = await world(harness)
      const created = await w.type({ name: "Enfant Élève", fieldsDuplicateSearch: ["name"], preventAddIfDuplicateFound: true, isActive: true })
      expect(created.code).toBe(`enfant_eleve_${w.account.accountId}`)
      expect(
        await w.as(
          w.admin,
          Effect.flatMap(T, (t) => t.listViewFields(created.id))
        )
      ).toEqual([
        { name: "name", label: "Name", type: "text" },
        { name: "Age", label: "Age", type: "integer" }
      ])
      // A second type of that name in the account is refused; another account may use it.
      expect(
        exitTag(
          await w.exitAs(
            w.admin,
            Effect.flatMap(T, (t) => t.create({ name: "Enfant Élève" }))
          )
        )
      ).toBe("AlreadyExists")
      const other = await harness.freshAccount()
      const elsewhere = await harness.as(
        other.withPermissions(["iaso_entity_type_write"]),
        Effect.flatMap(T, (t) => t.create({ name: "Enfant Élève" }))
      )
      expect([elsewhere.code, elsewhere.isActive, elsewhere.preventAddIfDuplicateFound]).toEqual([`enfant_eleve_${other.accountId}`, false, false])
      // PATCH: the name is required; missing lists are cleared, the missing flag is false, the code stays.
      const noName = await w.exitAs(
        w.admin,
        Effect.flatMap(T, (t) => t.update(created.id, {} as never))
      )
      expect([exitTag(noName), messageOf(noName)]).toEqual(["ValidationError", 'This field is required\n  at ["name"]'])
      const patched = await w.as(
        w.admin,
        Effect.flatMap(T, (t) => t.update(created.id, { name: "Child", fieldsDetailInfoView: ["village", "VILLAGE", "missing"] }))
      )
      expect(patched).toMatchObject({ name: "Child", code: `enfant_eleve_${w.account.accountId}`, isActive: true, preventAddIfDuplicateFound: false })
      expect([patched.fieldsListView, patched.fieldsDuplicateSearch, patched.fieldsDetailInfoView]).toEqual([
        undefined,
        undefined,
        ["village", "VILLAGE", "missing"]
      ])
      expect(
        await w.as(
          w.admin,
          Effect.flatMap(T, (t) => t.detailViewFields(created.id))
        )
      ).toEqual([{ name: "village", label: "Village", type: "text" }])
      expect(
        await w.as(
          w.admin,
          Effect.flatMap(T, (t) => t.listViewFields(created.id))
        )
      ).toEqual([])
      // Writes need the permission; generic writes are refused, naming the service.
      const reader = w.account.withPermissions(["iaso_entities"])
      expect(
        exitTag(
          await w.exitAs(
            reader,
            Effect.flatMap(T, (t) => t.create({ name: "Other" }))
          )
        )
      ).toBe("Forbidden")
      expect(
        exitTag(
          await w.exitAs(
            reader,
            Effect.flatMap(T, (t) => t.update(created.id, { name: "X" }))
          )
        )
      ).toBe("Forbidden")
      const generic = await w.exitAs(
        w.admin,
        Effect.flatMap(Effect.service(Records), (r) => r.create(EntityTypeModel, { name: "G", isActive: false, preventAddIfDuplicateFound: false }))
      )
      expect(messageOf(generic)).toBe("EntityType records are written through EntityTypes, not generic writes")
      expect(
        (await harness.inspectAccount(AuditEntryModel, w.account.accountId)).filter((row) => row["objectModel"] === "EntityType").map((row) => row["source"])
      ).toEqual(["ENTITY_TYPE_API", "ENTITY_TYPE_API"])
    })

    scenario("creating entities: from a submission of the reference form, one entity per submission (IASO's messages), bulk all or nothing", async () => {
      const harness = h()
      const w = await world(harness)
      const type = await w.type()
      const first = await w.submission({ name: "Aminata" })
      const entity = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.create({ entityTypeId: type.id, attributesInstanceId: first.id as InstanceId }))
      )
      expect(entity).toMatchObject({ entityTypeId: type.id, attributesId: first.id, name: "" })
      expect((await harness.inspectAccount(InstanceModel, w.account.accountId)).find((row) => row["id"] === first.id)?.["entityId"]).toBe(entity.id)
      const again = await w.exitAs(
        w.admin,
        Effect.flatMap(E, (e) => e.create({ entityTypeId: type.id, attributesInstanceId: first.id as InstanceId }))
      )
      expect([exitTag(again), messageOf(again)]).toEqual(["ValidationError", 'Entity with this attribute already exists.\n  at ["attributes"]'])
      const otherForm = await harness.run(
        w.repos.insert(FormModel, w.account.accountId, {
          name: "Visit",
          uuid: uuidv7(),
          correlatable: false,
          singlePerPeriod: false,
          derived: false,
          changeRequestMode: "CR_MODE_NONE"
        })
      )
      const other = await w.submission({ name: "Fatmata" }, { formId: otherForm.id })
      const wrongForm = await w.exitAs(
        w.admin,
        Effect.flatMap(E, (e) => e.create({ entityTypeId: type.id, attributesInstanceId: other.id as InstanceId }))
      )
      expect(exitTag(wrongForm)).toBe("ValidationError")
      const before = await harness.inspectAccount(EntityModel, w.account.accountId)
      const second = await w.submission({ name: "Mariama" })
      const bulk = await w.exitAs(
        w.admin,
        Effect.flatMap(E, (e) =>
          e.createMany([
            { entityTypeId: type.id, attributesInstanceId: second.id as InstanceId },
            { entityTypeId: type.id, attributesInstanceId: first.id as InstanceId }
          ])
        )
      )
      expect([exitTag(bulk), messageOf(bulk)]).toEqual(["ValidationError", `Entity with the attribute '${first.uuid}' already exists.\n  at [1,"attributes"]`])
      expect(await harness.inspectAccount(EntityModel, w.account.accountId)).toEqual(before)
      const made = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.createMany([{ entityTypeId: type.id, attributesInstanceId: second.id as InstanceId }]))
      )
      expect(made.map((row) => row.attributesId)).toEqual([second.id])
      expect(
        exitTag(
          await w.exitAs(
            w.account.withPermissions([]),
            Effect.flatMap(E, (e) => e.get(entity.id))
          )
        )
      ).toBe("Forbidden")
    })

    scenario("soft-deleting an entity soft-deletes its attributes and linked submissions, removes its pending pairs, and audits each change", async () => {
      const harness = h()
      const w = await world(harness)
      const type = await w.type({ fieldsDuplicateSearch: ["name"] })
      const a = await w.entity(type.id, { name: "Aminata Kamara" })
      const b = await w.entity(type.id, { name: "Aminata Kamarra" })
      const visit = await w.submission({ name: "visit" }, { entityId: a.id })
      const pairs = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.findDuplicates(type.id))
      )
      expect(pairs.map((pair) => pair.status)).toEqual(["PENDING"])
      const deleted = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.softDelete(a.id))
      )
      expect(deleted.deletedAt).toBeInstanceOf(Date)
      const instances = await harness.inspectAccount(InstanceModel, w.account.accountId)
      const deletedOf = (id: unknown) => instances.find((row) => row["id"] === id)?.["deleted"]
      expect([deletedOf(a.attributesId), deletedOf(visit.id), deletedOf(b.attributesId)]).toEqual([true, true, false])
      expect(await harness.inspectAccount(EntityDuplicateModel, w.account.accountId)).toEqual([])
      const audit = (await harness.inspectAccount(AuditEntryModel, w.account.accountId)).filter((row) => row["source"] === "ENTITY_API")
      const changed = (model: string) =>
        audit.filter((row) => row["objectModel"] === model && row["before"] !== undefined && row["before"] !== null).map((row) => row["objectId"])
      expect(changed("Entity")).toEqual([a.id])
      // The attributes were linked to their entities at creation, then a's attributes and visit deleted.
      expect([...changed("Instance")].sort()).toEqual([a.attributesId, a.attributesId, b.attributesId, visit.id].sort())
      expect(changed("EntityDuplicate")).toEqual([pairs[0]?.id])
      // Deleting again is a no-op.
      expect(
        await w.as(
          w.admin,
          Effect.flatMap(E, (e) => e.softDelete(a.id))
        )
      ).toEqual(deleted)
    })

    scenario("a restricted actor sees an entity only through a live submission under its roots, in Entities and in Records", async () => {
      const harness = h()
      const w = await world(harness)
      const type = await w.type()
      const inside = await w.entity(type.id, { name: "Inside" })
      const outside = await w.entity(type.id, { name: "Outside" }, { orgUnitId: w.units.elsewhere.id })
      // An entity registered elsewhere but visited under the roots is seen through that visit.
      const visited = await w.entity(type.id, { name: "Visited" }, { orgUnitId: w.units.elsewhere.id })
      const visit = await w.submission({ name: "visit" }, { entityId: visited.id })
      const listed = await w.as(
        w.restricted,
        Effect.flatMap(E, (e) => e.list())
      )
      expect(listed.items.map((item) => item.entity.id)).toEqual([inside.id, visited.id])
      expect(
        exitTag(
          await w.exitAs(
            w.restricted,
            Effect.flatMap(E, (e) => e.get(outside.id))
          )
        )
      ).toBe("NotFound")
      const R = Effect.service(Records)
      expect(
        (
          await w.as(
            w.restricted,
            Effect.flatMap(R, (r) => r.list(EntityModel, { limit: 100 }))
          )
        ).items.map((row) => row.id)
      ).toEqual([inside.id, visited.id])
      expect(
        await w.as(
          w.restricted,
          Effect.flatMap(R, (r) => r.count(EntityModel))
        )
      ).toBe(2)
      expect(
        exitTag(
          await w.exitAs(
            w.restricted,
            Effect.flatMap(R, (r) => r.get(EntityModel, outside.id))
          )
        )
      ).toBe("NotFound")
      // The visit deleted, the entity is out of reach again.
      await harness.run(w.repos.update(InstanceModel, w.account.accountId, visit.id, { deleted: true }))
      expect(
        exitTag(
          await w.exitAs(
            w.restricted,
            Effect.flatMap(R, (r) => r.get(EntityModel, visited.id))
          )
        )
      ).toBe("NotFound")
      expect(
        exitTag(
          await w.exitAs(
            w.restricted,
            Effect.flatMap(E, (e) => e.softDelete(outside.id))
          )
        )
      ).toBe("NotFound")
      expect(
        (
          await w.as(
            w.admin,
            Effect.flatMap(E, (e) => e.list())
          )
        ).items
      ).toHaveLength(3)
      const changes = await w.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.changesSince(undefined, 10_000))
      )
      expect(changes.changes.filter((change) => change.model === "Entity").map((change) => change.id)).toEqual([inside.id])
    })

    scenario("listing: the type's list-view answers, name/answer search, limitDate and a JSONLogic filter; a bad rule is a ValidationError", async () => {
      const harness = h()
      const w = await world(harness)
      const type = await w.type({ fieldsListView: ["name", "age", "village"] })
      const a = await w.entity(type.id, { name: "Aminata", Age: "4", village: "Kenema" })
      const b = await w.entity(type.id, { name: "Fatmata", Age: "7" })
      const listed = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.list({ entityTypeId: type.id }))
      )
      expect(listed.items.map((item) => [item.name, item.fields])).toEqual([
        ["Aminata", { name: "Aminata", Age: "4", village: "Kenema" }],
        ["Fatmata", { name: "Fatmata", Age: "7", village: null }]
      ])
      const names = async (search: Parameters<Entities["Service"]["list"]>[0]) =>
        (
          await w.as(
            w.admin,
            Effect.flatMap(E, (e) => e.list(search))
          )
        ).items.map((item) => item.name)
      expect(await names({ search: "KÉNEMA" })).toEqual(["Aminata"])
      expect(await names({ search: "fatm" })).toEqual(["Fatmata"])
      expect(await names({ jsonLogic: { ">": [{ var: "Age" }, 5] } })).toEqual(["Fatmata"])
      // limitDate: only entities with a submission updated since.
      const since = new Date(Date.now() + 5)
      await new Promise((resolve) => setTimeout(resolve, 20))
      await harness.run(w.repos.update(InstanceModel, w.account.accountId, String(b.attributesId), { period: "2024" }))
      expect(await names({ limitDate: since })).toEqual(["Fatmata"])
      const bad = await w.exitAs(
        w.admin,
        Effect.flatMap(E, (e) => e.list({ jsonLogic: { bogus: [1] } }))
      )
      expect([exitTag(bad), messageOf(bad)]).toEqual(["ValidationError", 'unknown JSONLogic operator "bogus"\n  at ["jsonLogic"]'])
      expect(a.id).not.toBe(b.id)
    })

    scenario("duplicates: found once from the type's questions, ignored, merged; the merged entity leads to the kept one", async () => {
      const harness = h()
      const w = await world(harness)
      const type = await w.type({ fieldsDuplicateSearch: ["name", "village"] })
      const keep = await w.entity(type.id, { name: "Aminata Kamara", village: "Kenema" })
      const other = await w.entity(type.id, { name: "Aminata Kamarra", village: "kenema" })
      const third = await w.entity(type.id, { name: "Aminata Kamara", village: "Kenema " })
      await w.entity(type.id, { name: "Ibrahim Sesay", village: "Bo" })
      const pairs = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.findDuplicates(type.id))
      )
      const ids = (a: EntityId, b: EntityId) => (a < b ? [a, b] : [b, a])
      expect(pairs.map((pair) => [pair.entity1Id, pair.entity2Id, pair.status, pair.fields])).toEqual([
        [...ids(keep.id, third.id), "PENDING", ["name", "village"]],
        ...[ids(keep.id, other.id), ids(other.id, third.id)].sort().map((pair) => [...pair, "PENDING", ["name", "village"]])
      ])
      expect(pairs.map((pair) => pair.similarity)).toEqual([100, 99, 99])
      // Running again stores nothing new.
      expect(
        await w.as(
          w.admin,
          Effect.flatMap(E, (e) => e.findDuplicates(type.id))
        )
      ).toEqual(pairs)
      const thirdPair = pairs[0]
      if (thirdPair === undefined) throw new Error("no pair")
      expect(
        (
          await w.as(
            w.admin,
            Effect.flatMap(E, (e) => e.ignore(thirdPair.id))
          )
        ).status
      ).toBe("IGNORED")
      expect(await harness.inspectAccount(EntityDuplicateModel, w.account.accountId)).toHaveLength(3)
      // Merge: the other's visit moves, it is deleted and merged, the pair is VALIDATED, its other pending pair is gone.
      const visit = await w.submission({ name: "visit" }, { entityId: other.id })
      const kept = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.merge(keep.id, other.id))
      )
      expect(kept.deletedAt).toBeUndefined()
      const merged = (await harness.inspectAccount(EntityModel, w.account.accountId)).find((row) => row["id"] === other.id)
      expect([merged?.["mergedToId"], typeof merged?.["deletedAt"]]).toEqual([keep.id, "number"])
      const instances = await harness.inspectAccount(InstanceModel, w.account.accountId)
      expect(instances.find((row) => row["id"] === visit.id)?.["entityId"]).toBe(keep.id)
      expect(instances.find((row) => row["id"] === other.attributesId)?.["deleted"]).toBe(true)
      const stored = await harness.inspectAccount(EntityDuplicateModel, w.account.accountId)
      expect(stored.map((row) => [row["entity1Id"], row["entity2Id"], row["status"]]).sort()).toEqual(
        [
          [...ids(keep.id, third.id), "IGNORED"],
          [...ids(keep.id, other.id), "VALIDATED"]
        ].sort()
      )
      // The merged entity's uuid now names the kept entity, for a read and for a later upload.
      expect(
        (
          await w.as(
            w.admin,
            Effect.flatMap(E, (e) => e.find(other.uuid, type.id))
          )
        ).id
      ).toBe(keep.id)
      const blobs = await memoryBlobs()
      const upload = await harness.as(
        w.account.system,
        Effect.flatMap(Effect.service(Instances), (instances) =>
          instances.ingest({
            xml: bytes(submissionXml({ id: "6a0f1c1e-0000-4000-8000-000000000001", answers: { name: "later visit" } })),
            formId: w.form.id as FormId,
            orgUnitId: w.units.facility.id,
            createdAt: new Date("2024-05-15T08:30:00Z"),
            entityUuid: other.uuid,
            entityTypeId: type.id
          })
        ).pipe(Effect.provideService(BlobStore, blobs))
      )
      expect([upload.instance.entityId, upload.instance.deleted]).toEqual([keep.id, false])
      expect(
        exitTag(
          await w.exitAs(
            w.admin,
            Effect.flatMap(E, (e) => e.merge(keep.id, other.id))
          )
        )
      ).toBe("ValidationError")
      expect(
        (await harness.inspectAccount(AuditEntryModel, w.account.accountId)).filter((row) => row["objectId"] === other.id).map((row) => row["source"])
      ).toEqual(["ENTITY_API", "ENTITY_API"])
    })

    scenario("mobile payloads: the project's types with [] lists, its entities with their live submissions of known versions", async () => {
      const harness = h()
      const w = await world(harness)
      const type = await w.as(
        w.admin,
        Effect.flatMap(T, (t) => t.create({ name: "Child", referenceFormId: w.form.id as FormId }))
      )
      const entity = await w.entity(type.id, { name: "Aminata" })
      await w.submission({ name: "unknown version", _version: "9" }, { entityId: entity.id })
      await w.submission({ name: "deleted" }, { entityId: entity.id, deleted: true })
      const visit = await w.submission({ name: "visit" }, { entityId: entity.id })
      const gone = await w.entity(type.id, { name: "Deleted" })
      await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.softDelete(gone.id))
      )
      const types = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.mobileEntityTypes(w.account.projectId as ProjectId))
      )
      expect(types.map((t) => [t.id, t.fieldsListView, t.fieldsDetailInfoView, t.fieldsDuplicateSearch, t.referenceFormId])).toEqual([
        [type.id, [], [], [], w.form.id]
      ])
      const entities = await w.as(
        w.admin,
        Effect.flatMap(E, (e) => e.mobileEntities(w.account.projectId as ProjectId))
      )
      const attributes = (await harness.inspectAccount(InstanceModel, w.account.accountId)).find((row) => row["id"] === entity.attributesId)
      expect(
        entities.map((e) => [e.id, e.definingInstanceId, e.entityTypeId, e.instances.map((i) => [i.instanceId, i.formVersionId, i.json["name"]])])
      ).toEqual([
        [
          entity.uuid,
          attributes?.["uuid"],
          type.id,
          [
            [entity.attributesId, w.version.id, "Aminata"],
            [visit.id, w.version.id, "visit"]
          ]
        ]
      ])
      expect(
        await w.as(
          w.admin,
          Effect.flatMap(E, (e) => e.mobileEntities(w.account.projectId as ProjectId, { jsonContent: { "==": [{ var: "name" }, "x"] } }))
        )
      ).toEqual([])
    })
  })
}
