/**
 * Storage scenarios, after IASO's `test_storage`: the log import (new and existing devices, absent
 * org unit and entity, submissions by uuid, re-sent logs, invalid type, operation, org unit or
 * entity refused with IASO's message and nothing stored), the blacklisting a profile written on
 * another card triggers (IASO's comment, never without an entity, never across accounts), status
 * changes and the mobile blacklist, listings and log history, and a restricted actor's reach
 * (Storages and Records alike).
 * @module
 */
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { EntityModel, EntityTypeModel } from "../entities/entity.ts"
import { Records } from "../kernel/records.ts"
import type { OrgUnitId, UserId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Row } from "../shared/model.ts"
import type { Repositories } from "../shared/repository.ts"
import { StorageDeviceModel, StorageLogEntryInstanceModel, StorageLogEntryModel } from "../storage/storage.ts"
import { Storages, type StorageLogInput } from "../storage/storages-service.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import { Actor, type CurrentActor } from "../tenancy/actor.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type Harness, type SuiteServices } from "./harness.ts"
import { scenario } from "./scenario.ts"
import { snapshot, submissionUnits } from "./submission-world.ts"

const S = Effect.service(Storages)
const STORAGE_MODELS = [StorageDeviceModel, StorageLogEntryModel, StorageLogEntryInstanceModel]

/** An account with units, a user (the performer), two entities, a submission, and actors per reach. */
const world = async (harness: Harness) => {
  const account = await harness.freshAccount()
  const units = await submissionUnits(harness, account)
  const repos = await harness.repos()
  const user = await harness.run(
    repos.insert(UserModel, account.accountId, { username: `nfc.${uuidv7()}`, firstName: "Field", lastName: "Worker", email: "", isActive: true })
  )
  const actor = (permissions: ReadonlyArray<"iaso_storages">, roots?: ReadonlyArray<OrgUnitId>) =>
    Actor.user({ accountId: account.accountId, userId: user.id as UserId, permissions, ...(roots === undefined ? {} : { orgUnitRoots: roots }) })
  const worker = actor([])
  const admin = actor(["iaso_storages"])
  const restricted = actor(["iaso_storages"], [units.district.id as OrgUnitId])
  const entityType = await harness.run(repos.insert(EntityTypeModel, account.accountId, { name: "Patient", isActive: true, preventAddIfDuplicateFound: false }))
  const entity = (uuid: string) => harness.run(repos.insert(EntityModel, account.accountId, { name: "", uuid, entityTypeId: entityType.id }))
  const instance = (uuid: string) =>
    harness.run(
      repos.insert(InstanceModel, account.accountId, {
        uuid,
        orgUnitId: units.facility.id,
        deleted: false,
        toExport: false,
        generalValidationStatus: ""
      })
    )
  const as = <A, E>(who: Actor, effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => harness.as(who, effect)
  const exitAs = <A, E>(who: Actor, effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => harness.exitAs(who, effect)
  const importLogs = (logs: ReadonlyArray<StorageLogInput>, who: Actor = worker) =>
    exitAs(
      who,
      Effect.flatMap(S, (s) => s.importLogs(logs))
    )
  const rows = (model: Parameters<Harness["inspectAccount"]>[0]) => harness.inspectAccount(model, account.accountId)
  const device = async (storageId: string): Promise<Row | undefined> => (await rows(StorageDeviceModel)).find((row) => row["customerChosenId"] === storageId)
  return { account, units, repos, user, actor, worker, admin, restricted, entity, instance, as, exitAs, importLogs, rows, device }
}

const messageOf = (exit: Parameters<typeof exitError>[0]): string => String((exitError(exit) as { message?: unknown } | undefined)?.message ?? "")

/** An entity (of a new type) in another account. */
const foreignEntityOf = async (harness: Harness, repos: Repositories, accountId: string, uuid: string) => {
  const type = await harness.run(repos.insert(EntityTypeModel, accountId, { name: `Type ${uuidv7()}`, isActive: true, preventAddIfDuplicateFound: false }))
  return harness.run(repos.insert(EntityModel, accountId, { name: "", uuid, entityTypeId: type.id }))
}

/** A log as the app sends it, with these fields changed. */
const log = (fields: Partial<StorageLogInput> = {}): StorageLogInput => ({
  id: globalThis.crypto.randomUUID(),
  storageId: "EXISTING_STORAGE",
  storageType: "NFC",
  operationType: "WRITE_PROFILE",
  instances: [],
  performedAt: 1_580_608_922,
  ...fields
})

/** Registers the storage scenarios. */
export const storageScenarios = (h: () => Harness) => {
  describe("storages", () => {
    scenario(
      "importLogs: new and existing devices take the latest log's org unit and entity (absent ones clear them; no change, no write), submissions by uuid, a re-sent log is skipped",
      async () => {
        const harness = h()
        const w = await world(harness)
        const entity = await w.entity(globalThis.crypto.randomUUID())
        const submission = await w.instance(globalThis.crypto.randomUUID())
        const cases: ReadonlyArray<{
          readonly name: string
          readonly log: Partial<StorageLogInput>
          readonly device: { readonly orgUnitId: unknown; readonly entityId: unknown }
          readonly instances: ReadonlyArray<unknown>
        }> = [
          {
            name: "new device with org unit, entity and submissions (one unknown)",
            log: {
              storageId: "NEW_STORAGE",
              orgUnitId: w.units.facility.id as OrgUnitId,
              entityUuid: entity.uuid,
              instances: [submission.uuid ?? "", "ffffffff-0000-4000-8000-000000000000"],
              performedAt: 1_580_608_922_123
            },
            device: { orgUnitId: w.units.facility.id, entityId: entity.id },
            instances: [submission.id]
          },
          {
            name: "existing device, a RESET with null org unit and entity clears both",
            log: { storageId: "NEW_STORAGE", operationType: "RESET", orgUnitId: null, entityUuid: null },
            device: { orgUnitId: undefined, entityId: undefined },
            instances: []
          },
          {
            name: "existing device, a READ with an org unit only",
            log: { storageId: "NEW_STORAGE", operationType: "READ", orgUnitId: w.units.district.id as OrgUnitId },
            device: { orgUnitId: w.units.district.id, entityId: undefined },
            instances: []
          }
        ]
        for (const c of cases) {
          const sent = log(c.log)
          const exit = await w.importLogs([sent])
          expect(exitTag(exit), c.name).toBe("Success")
          const stored = await w.device("NEW_STORAGE")
          expect([stored?.["type"], stored?.["status"], stored?.["orgUnitId"], stored?.["entityId"]], c.name).toEqual([
            "NFC",
            "OK",
            c.device.orgUnitId,
            c.device.entityId
          ])
          const entry = (await w.rows(StorageLogEntryModel)).find((row) => row["id"] === sent.id)
          expect([entry?.["deviceId"], entry?.["performedById"], entry?.["operationType"], entry?.["statusComment"]], c.name).toEqual([
            stored?.["id"],
            w.user.id,
            sent.operationType,
            ""
          ])
          const links = (await w.rows(StorageLogEntryInstanceModel)).filter((row) => row["storageLogEntryId"] === sent.id)
          expect(
            links.map((row) => row["instanceId"]),
            c.name
          ).toEqual(c.instances)
        }
        // Seconds and milliseconds: the first log was sent in milliseconds, a second one in seconds.
        const entries = await w.rows(StorageLogEntryModel)
        expect(entries.map((row) => row["performedAt"]).sort()).toEqual([1_580_608_922_000, 1_580_608_922_000, 1_580_608_922_123])
        expect((await w.rows(StorageDeviceModel)).length).toBe(1)
        // A log that changes neither org unit nor entity leaves the device unwritten (same version).
        const unchanged = await w.device("NEW_STORAGE")
        expect(exitTag(await w.importLogs([log({ storageId: "NEW_STORAGE", operationType: "READ", orgUnitId: w.units.district.id as OrgUnitId })]))).toBe(
          "Success"
        )
        expect((await w.device("NEW_STORAGE"))?.["version"]).toBe(unchanged?.["version"])
        // A re-sent log (and a repeat within the batch) is skipped, even with other content.
        const again = log({ storageId: "NEW_STORAGE", operationType: "READ" })
        const before = await snapshot(harness, w.account, STORAGE_MODELS)
        const resent = await w.as(
          w.worker,
          Effect.flatMap(S, (s) => s.importLogs([{ ...again, id: String(entries[0]?.["id"]) }]))
        )
        expect([resent.created.length, resent.skipped]).toEqual([0, [entries[0]?.["id"]]])
        expect(await snapshot(harness, w.account, STORAGE_MODELS)).toEqual(before)
        const twice = await w.as(
          w.worker,
          Effect.flatMap(S, (s) => s.importLogs([again, again]))
        )
        expect([twice.created.map((entry) => entry.id), twice.skipped]).toEqual([[again.id], [again.id]])
      }
    )

    scenario("importLogs refuses an invalid type, operation, org unit or entity with IASO's message at its index, and stores nothing", async () => {
      const harness = h()
      const w = await world(harness)
      const other = await harness.freshAccount()
      const foreignUnits = await submissionUnits(harness, other)
      const foreignEntity = await foreignEntityOf(harness, w.repos, other.accountId, globalThis.crypto.randomUUID())
      const cases: ReadonlyArray<readonly [string, Partial<StorageLogInput>, string]> = [
        ["invalid storage type", { storageType: "DISK" }, 'Invalid storage type: DISK\n  at [1,"storageType"]'],
        ["invalid operation type", { operationType: "ERASE" }, 'Invalid operation type: ERASE\n  at [1,"operationType"]'],
        ["CHANGE_STATUS is the status change's own", { operationType: "CHANGE_STATUS" }, 'Invalid operation type: CHANGE_STATUS\n  at [1,"operationType"]'],
        ["unknown org unit", { orgUnitId: uuidv7() as OrgUnitId }, 'OrgUnit matching query does not exist.\n  at [1,"orgUnitId"]'],
        ["another account's org unit", { orgUnitId: foreignUnits.facility.id as OrgUnitId }, 'OrgUnit matching query does not exist.\n  at [1,"orgUnitId"]'],
        ["unknown entity", { entityUuid: globalThis.crypto.randomUUID() }, 'Entity matching query does not exist.\n  at [1,"entityUuid"]'],
        ["another account's entity", { entityUuid: foreignEntity.uuid }, 'Entity matching query does not exist.\n  at [1,"entityUuid"]'],
        ["bad timestamp", { performedAt: "soon" }, 'expected a timestamp in seconds or milliseconds\n  at [1,"performedAt"]']
      ]
      const before = await snapshot(harness, w.account, STORAGE_MODELS)
      for (const [name, fields, message] of cases) {
        const exit = await w.importLogs([log({ storageId: "FIRST_OK" }), log({ storageId: "COMPLETELY_NEW_STORAGE", ...fields })])
        expect([exitTag(exit), messageOf(exit)], name).toEqual(["ValidationError", message])
      }
      expect(await snapshot(harness, w.account, STORAGE_MODELS)).toEqual(before)
    })

    scenario(
      "a WRITE_PROFILE blacklists the entity's other OK cards (reason OTHER, IASO's comment, a CHANGE_STATUS entry); never without an entity, never across accounts",
      async () => {
        const harness = h()
        const w = await world(harness)
        const entity = await w.entity(globalThis.crypto.randomUUID())
        const other = await harness.freshAccount()
        const foreignEntity = await foreignEntityOf(harness, w.repos, other.accountId, entity.uuid)
        const foreignUser = await harness.run(
          w.repos.insert(UserModel, other.accountId, { username: `nfc.${uuidv7()}`, firstName: "", lastName: "", email: "", isActive: true })
        )
        const foreignWorker = Actor.user({ accountId: other.accountId, userId: foreignUser.id as UserId, permissions: [] })
        await harness.as(
          foreignWorker,
          Effect.flatMap(S, (s) => s.importLogs([log({ storageId: "EXISTING_STORAGE", entityUuid: entity.uuid })]))
        )
        // Two cards without entity, then the entity's profile on EXISTING_STORAGE.
        await w.as(
          w.worker,
          Effect.flatMap(S, (s) =>
            s.importLogs([
              log({ storageId: "NO_ENTITY_A", operationType: "RESET" }),
              log({ storageId: "NO_ENTITY_B", operationType: "WRITE_PROFILE" }),
              log({ storageId: "EXISTING_STORAGE", entityUuid: entity.uuid })
            ])
          )
        )
        expect((await w.rows(StorageDeviceModel)).map((row) => row["status"])).toEqual(["OK", "OK", "OK"])
        const written = log({ storageId: "COMPLETELY_NEW_STORAGE", entityUuid: entity.uuid, performedAt: 1_580_608_922 })
        const result = await w.as(
          w.worker,
          Effect.flatMap(S, (s) => s.importLogs([written]))
        )
        const old = await w.device("EXISTING_STORAGE")
        expect([old?.["status"], old?.["statusReason"], old?.["statusComment"]]).toEqual([
          "BLACKLISTED",
          "OTHER",
          "Profile was written on COMPLETELY_NEW_STORAGE on 2020-02-02 02:02:02+00:00"
        ])
        expect(String(old?.["statusComment"]).startsWith("Profile was written on COMPLETELY_NEW_STORAGE on ")).toBe(true)
        expect(result.blacklisted.map((device) => device.customerChosenId)).toEqual(["EXISTING_STORAGE"])
        expect(result.devicesCreated.map((device) => [device.customerChosenId, device.status, device.entityId])).toEqual([
          ["COMPLETELY_NEW_STORAGE", "OK", entity.id]
        ])
        const change = (await w.rows(StorageLogEntryModel)).filter((row) => row["operationType"] === "CHANGE_STATUS")
        expect(change.map((row) => [row["deviceId"], row["status"], row["statusReason"], row["statusComment"], row["entityId"]])).toEqual([
          [old?.["id"], "BLACKLISTED", "OTHER", old?.["statusComment"], entity.id]
        ])
        // Writing the same card again changes nothing else; the cards without entity stay OK.
        await w.as(
          w.worker,
          Effect.flatMap(S, (s) => s.importLogs([log({ storageId: "COMPLETELY_NEW_STORAGE", entityUuid: entity.uuid })]))
        )
        expect(
          (await w.rows(StorageDeviceModel)).map((row) => [row["customerChosenId"], row["status"]]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))
        ).toEqual([
          ["COMPLETELY_NEW_STORAGE", "OK"],
          ["EXISTING_STORAGE", "BLACKLISTED"],
          ["NO_ENTITY_A", "OK"],
          ["NO_ENTITY_B", "OK"]
        ])
        // The other account's card holding an entity of the same uuid is untouched.
        const foreign = await harness.inspectAccount(StorageDeviceModel, other.accountId)
        expect(foreign.map((row) => [row["status"], row["entityId"]])).toEqual([["OK", foreignEntity.id]])
      }
    )

    scenario(
      "changeStatus needs a reason for a non-OK status (IASO's message), logs the same snapshot, and feeds the mobile blacklist; unknown devices and missing permission are refused",
      async () => {
        const harness = h()
        const w = await world(harness)
        await w.importLogs([log({ storageId: "CARD", orgUnitId: w.units.facility.id as OrgUnitId })])
        const ref = { storageType: "NFC", storageId: "CARD" } as const
        const change = (who: Actor, status: "OK" | "BLACKLISTED", reason?: "STOLEN", comment?: string) =>
          w.exitAs(
            who,
            Effect.flatMap(S, (s) =>
              s.changeStatus(ref, { status, ...(reason === undefined ? {} : { reason }), ...(comment === undefined ? {} : { comment }) })
            )
          )
        const before = await snapshot(harness, w.account, STORAGE_MODELS)
        const cases: ReadonlyArray<readonly [string, Promise<Parameters<typeof exitTag>[0]>, string, string]> = [
          [
            "no reason",
            change(w.admin, "BLACKLISTED"),
            "ValidationError",
            'A reason must be provided when changing the status to a non-ok status\n  at ["reason"]'
          ],
          ["no permission", change(w.worker, "BLACKLISTED", "STOLEN"), "Forbidden", ""],
          [
            "unknown device",
            w.exitAs(
              w.admin,
              Effect.flatMap(S, (s) => s.changeStatus({ storageType: "USB", storageId: "CARD" }, { status: "OK" }))
            ),
            "NotFound",
            ""
          ]
        ]
        for (const [name, exit, tag, message] of cases) {
          const done = await exit
          expect(exitTag(done), name).toBe(tag)
          if (message !== "") expect(messageOf(done), name).toBe(message)
        }
        expect(await snapshot(harness, w.account, STORAGE_MODELS)).toEqual(before)
        expect(exitTag(await change(w.admin, "BLACKLISTED", "STOLEN", "lost at market"))).toBe("Success")
        const stored = await w.device("CARD")
        expect([stored?.["status"], stored?.["statusReason"], stored?.["statusComment"], typeof stored?.["statusUpdatedAt"]]).toEqual([
          "BLACKLISTED",
          "STOLEN",
          "lost at market",
          "number"
        ])
        const entries = (await w.rows(StorageLogEntryModel)).filter((row) => row["operationType"] === "CHANGE_STATUS")
        expect(entries.map((row) => [row["status"], row["statusReason"], row["statusComment"], row["performedById"], row["orgUnitId"]])).toEqual([
          ["BLACKLISTED", "STOLEN", "lost at market", w.user.id, w.units.facility.id]
        ])
        const blacklist = await w.as(
          w.worker,
          Effect.flatMap(S, (s) => s.blacklisted())
        )
        expect(blacklist).toEqual([
          {
            storageId: "CARD",
            storageType: "NFC",
            storageStatus: { status: "BLACKLISTED", reason: "STOLEN", comment: "lost at market", updatedAt: Number(stored?.["statusUpdatedAt"]) / 1000 }
          }
        ])
        expect(exitTag(await change(w.admin, "OK"))).toBe("Success")
        expect(
          await w.as(
            w.worker,
            Effect.flatMap(S, (s) => s.blacklisted())
          )
        ).toEqual([])
        const history = await w.as(
          w.admin,
          Effect.flatMap(S, (s) => s.logs(ref, { types: ["CHANGE_STATUS"] }))
        )
        expect(history.items.map((item) => item.entry.status)).toEqual(["OK", "BLACKLISTED"])
      }
    )

    scenario(
      "listings: status, reason, types and search (customer id, its hex form, entity id); a device's log with IASO's filters, latest first",
      async () => {
        const harness = h()
        const w = await world(harness)
        const entity = await w.entity(globalThis.crypto.randomUUID())
        // The device takes the last log's entity (array order, as IASO), its history is by time.
        await w.importLogs([
          log({ storageId: "BGJGcuxqgA==", operationType: "READ", orgUnitId: w.units.district.id as OrgUnitId, performedAt: 1_733_312_845 }),
          log({ storageId: "BGJGcuxqgA==", entityUuid: entity.uuid, orgUnitId: w.units.facility.id as OrgUnitId, performedAt: 1_733_226_445 }),
          log({ storageId: "USB-KEY", storageType: "USB", operationType: "RESET" })
        ])
        await w.as(
          w.admin,
          Effect.flatMap(S, (s) => s.changeStatus({ storageType: "USB", storageId: "USB-KEY" }, { status: "BLACKLISTED", reason: "LOST" }))
        )
        const list = (search: Parameters<Storages["Service"]["list"]>[0]) =>
          w.as(
            w.admin,
            Effect.flatMap(S, (s) => s.list(search))
          )
        const cases: ReadonlyArray<readonly [string, Parameters<Storages["Service"]["list"]>[0], ReadonlyArray<string>]> = [
          ["all", {}, ["BGJGcuxqgA==", "USB-KEY"]],
          ["status", { status: "BLACKLISTED" }, ["USB-KEY"]],
          ["reason", { reason: "STOLEN" }, []],
          ["types", { types: ["NFC", "SD"] }, ["BGJGcuxqgA=="]],
          ["search by customer id", { search: "usb-k" }, ["USB-KEY"]],
          ["search by hex", { search: "04:62:46:72" }, ["BGJGcuxqgA=="]],
          ["search by entity id", { search: entity.id }, ["BGJGcuxqgA=="]]
        ]
        for (const [name, search, expected] of cases) {
          expect((await list(search)).items.map((device) => device.customerChosenId).sort(), name).toEqual(expected)
        }
        const ref = { storageType: "NFC", storageId: "BGJGcuxqgA==" } as const
        const logs = (search: Parameters<Storages["Service"]["logs"]>[1]) =>
          w.as(
            w.admin,
            Effect.flatMap(S, (s) => s.logs(ref, search))
          )
        expect((await logs({})).items.map((item) => item.entry.operationType)).toEqual(["READ", "WRITE_PROFILE"])
        expect((await logs({ orgUnitId: w.units.facility.id as OrgUnitId })).items.map((item) => item.entry.operationType)).toEqual(["WRITE_PROFILE"])
        expect((await logs({ performedOn: "2024-12-04" })).items.map((item) => item.entry.operationType)).toEqual(["READ"])
        expect((await logs({ types: ["RESET"] })).items).toEqual([])
        expect(
          exitTag(
            await w.exitAs(
              w.admin,
              Effect.flatMap(S, (s) => s.logs(ref, { performedOn: "04/12/2024" }))
            )
          )
        ).toBe("ValidationError")
      }
    )

    scenario("a restricted actor sees only the devices and log entries under its roots, through Storages and Records alike", async () => {
      const harness = h()
      const w = await world(harness)
      await w.importLogs([
        log({ storageId: "INSIDE", orgUnitId: w.units.facility.id as OrgUnitId }),
        log({ storageId: "OUTSIDE", orgUnitId: w.units.elsewhere.id as OrgUnitId }),
        log({ storageId: "NOWHERE", operationType: "RESET" })
      ])
      const listed = await w.as(
        w.restricted,
        Effect.flatMap(S, (s) => s.list())
      )
      expect(listed.items.map((device) => device.customerChosenId)).toEqual(["INSIDE"])
      expect(
        exitTag(
          await w.exitAs(
            w.restricted,
            Effect.flatMap(S, (s) => s.get({ storageType: "NFC", storageId: "OUTSIDE" }))
          )
        )
      ).toBe("NotFound")
      expect(
        exitTag(
          await w.exitAs(
            w.restricted,
            Effect.flatMap(S, (s) => s.logs({ storageType: "NFC", storageId: "OUTSIDE" }))
          )
        )
      ).toBe("NotFound")
      const R = Effect.service(Records)
      const viaRecords = await w.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.list(StorageDeviceModel, { limit: 100 }))
      )
      expect(viaRecords.items.map((row) => row.customerChosenId)).toEqual(["INSIDE"])
      const entries = await w.as(
        w.restricted,
        Effect.flatMap(R, (r) => r.list(StorageLogEntryModel, { limit: 100 }))
      )
      const inside = await w.device("INSIDE")
      expect(entries.items.map((row) => row.deviceId)).toEqual([inside?.["id"]])
      // A log at an org unit outside its roots is refused as an unknown one.
      const exit = await w.importLogs([log({ storageId: "INSIDE", orgUnitId: w.units.elsewhere.id as OrgUnitId })], w.restricted)
      expect([exitTag(exit), messageOf(exit)]).toEqual(["ValidationError", 'OrgUnit matching query does not exist.\n  at [0,"orgUnitId"]'])
      expect(
        (
          await w.as(
            w.admin,
            Effect.flatMap(S, (s) => s.list())
          )
        ).items
          .map((device) => device.customerChosenId)
          .sort()
      ).toEqual(["INSIDE", "NOWHERE", "OUTSIDE"])
    })
  })
}
