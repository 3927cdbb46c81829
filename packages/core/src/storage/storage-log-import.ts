/**
 * Importing the operations a mobile app logged on storage devices (IASO's
 * `POST /api/mobile/storages/logs/` and the bulk upload's `storageLogs.json`), one batch in the
 * caller's unit of work: every log is checked before anything is written, and the first bad one
 * fails the whole batch with IASO's message.
 *
 * Per log, in order: a log id already stored (or met earlier in the batch) is skipped; the device
 * is found or created (status OK) by account, type and customer id; the entry is written with its
 * submissions (by uuid, unknown ones ignored); the device takes the entry's org unit and entity
 * (absent ones too: a RESET without entity clears the link), and is written only when that changes
 * it (its `updatedAt` is its last change; its last activity is its latest entry). A `WRITE_PROFILE` naming an entity
 * blacklists every other OK device of the account holding that entity, reason OTHER, with IASO's
 * comment, through a status change (and its CHANGE_STATUS entry).
 * @module
 */
import { Effect, Schema } from "effect"
import { EntityModel } from "../entities/entity.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { ServiceWriteError } from "../kernel/repos.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import type { EntityId, InstanceId, OrgUnitId, StorageLogEntryId, UserId } from "../shared/entity-ids.ts"
import { StorageLogEntryId as StorageLogEntryIdSchema } from "../shared/entity-ids.ts"
import { ValidationError } from "../shared/errors.ts"
import { findIn, type Repositories } from "../shared/repository.ts"
import { uuidv7 } from "../shared/ids.ts"
import { fromMobileTimestamp, now } from "../shared/time.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import type { Actor } from "../tenancy/actor.ts"
import {
  STORAGE_OPERATION_TYPES,
  STORAGE_TYPES,
  type StorageDevice,
  StorageDeviceModel,
  type StorageLogEntry,
  StorageLogEntryInstanceModel,
  StorageLogEntryModel,
  type StorageOperationType,
  type StorageType
} from "./storage.ts"
import type { StorageAccess } from "./storage-access.ts"
import { type LogEntryInput, StorageMessages, withStatus, writeDevices } from "./storage-status.ts"

/** One operation a mobile app logged on a storage device (IASO's mobile log keys, in camelCase). */
export interface StorageLogInput {
  /** The client's id of the log (a UUID): re-sending it is a no-op. */
  readonly id: string
  /** The id the device reports (IASO's `storage_id`). */
  readonly storageId: string
  /** One of {@link STORAGE_TYPES} (else IASO's "Invalid storage type: <t>"). */
  readonly storageType: string
  /**
   * One of {@link STORAGE_OPERATION_TYPES} but `CHANGE_STATUS`, which only a status change writes
   * (else IASO's "Invalid operation type: <o>").
   */
  readonly operationType: string
  /** The uuids of the submissions written or read; unknown ones are ignored. */
  readonly instances?: ReadonlyArray<string>
  /** The org unit of the operation, of the account and within the actor's reach. */
  readonly orgUnitId?: OrgUnitId | null
  /** The uuid of the entity of the operation, of the account (IASO's `entity_id`/`entity_uuid`). */
  readonly entityUuid?: string | null
  /** When the operation happened: epoch seconds or milliseconds (as the app sends it), or an instant. */
  readonly performedAt: number | string | Date
}

/** What an import of storage logs did. */
export interface StorageLogImportResult {
  /** The entries written for the batch's new logs, in order. */
  readonly created: ReadonlyArray<StorageLogEntry>
  /** The ids of logs already stored (or repeated in the batch), skipped. */
  readonly skipped: ReadonlyArray<StorageLogEntryId>
  /** The devices the batch named that were not stored yet, created with status OK. */
  readonly devicesCreated: ReadonlyArray<StorageDevice>
  /** The devices a WRITE_PROFILE on another card blacklisted (their final state). */
  readonly blacklisted: ReadonlyArray<StorageDevice>
}

/** Options of an import run inside another operation (the bulk upload). */
export interface StorageLogImportContext {
  /** The path errors are reported under (the bulk upload's section name). */
  readonly at?: ReadonlyArray<string | number>
  /** Submission ids by a uuid the app knows them by, looked up before the stored uuids. */
  readonly instanceIds?: ReadonlyMap<string, InstanceId>
}

interface CheckedLog {
  readonly id: StorageLogEntryId
  readonly storageId: string
  readonly storageType: StorageType
  readonly operationType: Exclude<StorageOperationType, "CHANGE_STATUS">
  readonly instances: ReadonlyArray<string>
  readonly orgUnitId?: string
  readonly entityUuid?: string
  readonly performedAt: Date
}

const decodeLogId = Schema.decodeUnknownOption(StorageLogEntryIdSchema)
const isStorageType = (value: string): value is StorageType => (STORAGE_TYPES as ReadonlyArray<string>).includes(value)
const isLoggedOperation = (value: string): value is CheckedLog["operationType"] =>
  value !== "CHANGE_STATUS" && (STORAGE_OPERATION_TYPES as ReadonlyArray<string>).includes(value)
const present = (value: string | null | undefined): value is string => value !== undefined && value !== null && value !== ""

/** One log checked on its own (shape, type, operation, timestamp), or the `ValidationError` of its first problem. */
const checkLog = (input: StorageLogInput, at: ReadonlyArray<string | number>): CheckedLog | ValidationError => {
  const fail = (key: string, message: string) => ValidationError.at([...at, key], message)
  const id = decodeLogId(typeof input.id === "string" ? input.id.toLowerCase() : input.id)
  if (id._tag === "None") return fail("id", "expected the log's UUID")
  if (typeof input.storageId !== "string" || input.storageId.trim() === "" || input.storageId.length > 255 || input.storageId.includes("\u0000")) {
    return fail("storageId", "expected the id the device reports (1 to 255 characters)")
  }
  if (typeof input.storageType !== "string" || !isStorageType(input.storageType))
    return fail("storageType", StorageMessages.invalidStorageType(String(input.storageType)))
  if (typeof input.operationType !== "string" || !isLoggedOperation(input.operationType)) {
    return fail("operationType", StorageMessages.invalidOperationType(String(input.operationType)))
  }
  const performedAt = input.performedAt instanceof Date ? input.performedAt : fromMobileTimestamp(input.performedAt)
  if (performedAt === undefined || Number.isNaN(performedAt.getTime())) return fail("performedAt", "expected a timestamp in seconds or milliseconds")
  const instances = input.instances ?? []
  if (!Array.isArray(instances) || instances.some((uuid) => typeof uuid !== "string")) return fail("instances", "expected a list of submission uuids")
  return {
    id: id.value,
    storageId: input.storageId,
    storageType: input.storageType,
    operationType: input.operationType,
    instances,
    ...(present(input.orgUnitId) ? { orgUnitId: input.orgUnitId } : {}),
    ...(present(input.entityUuid) ? { entityUuid: input.entityUuid } : {}),
    performedAt
  }
}

const deviceKey = (type: string, storageId: string) => `${type}\u0000${storageId}`

/** Importing storage logs in the caller's unit of work. */
export const makeStorageLogImport = (repos: Repositories, access: StorageAccess) => {
  const { rows } = access

  /**
   * Imports `inputs` as `actor` (whose user performed them) in the unit of work under way; the
   * caller runs it in a transaction (see the module documentation).
   */
  const importAll = (
    actor: Actor,
    performedBy: UserId,
    inputs: ReadonlyArray<StorageLogInput>,
    context: StorageLogImportContext = {}
  ): Effect.Effect<StorageLogImportResult, ServiceWriteError> =>
    Effect.gen(function* () {
      const at = context.at ?? []
      const checked: Array<CheckedLog> = []
      // The logs come from a device's JSON: a body that is not a list is refused, not iterated.
      if (!Array.isArray(inputs)) return yield* ValidationError.at(at, "expected a list of storage logs")
      for (const [index, input] of inputs.entries()) {
        const log = typeof input === "object" && input !== null ? checkLog(input, [...at, index]) : ValidationError.at([...at, index], "expected an object")
        if (log instanceof ValidationError) return yield* log
        checked.push(log)
      }
      // Re-sent logs (stored, or repeated in the batch) are skipped before anything else is checked.
      const stored = new Set(
        (yield* repos.getMany(StorageLogEntryModel, actor.accountId, [...new Set(checked.map((log) => log.id))])).map((row) => row.id as string)
      )
      const skipped: Array<StorageLogEntryId> = []
      const fresh: Array<{ readonly index: number; readonly log: CheckedLog }> = []
      const seen = new Set<string>()
      for (const [index, log] of checked.entries()) {
        if (stored.has(log.id) || seen.has(log.id)) skipped.push(log.id)
        else fresh.push({ index, log })
        seen.add(log.id)
      }
      if (fresh.length === 0) return { created: [], skipped, devicesCreated: [], blacklisted: [] }

      // References: org units of the account within reach, entities of the account by uuid, submissions by uuid.
      const unitIds = [...new Set(fresh.flatMap(({ log }) => (log.orgUnitId === undefined ? [] : [log.orgUnitId])))]
      const units = unitIds.length === 0 ? [] : yield* repos.getMany(OrgUnitModel, actor.accountId, unitIds)
      const visible = yield* rows.visible(actor, OrgUnitModel, units)
      const reachable = new Set(units.filter((_, i) => visible[i] === true).map((unit) => unit.id as string))
      const entityUuids = [...new Set(fresh.flatMap(({ log }) => (log.entityUuid === undefined ? [] : [log.entityUuid])))]
      const entities = yield* findIn((page) => repos.list(EntityModel, actor.accountId, page), "uuid", entityUuids, {
        select: ["id", "uuid", "deletedAt", "createdAt"]
      }).pipe(orDieOnInvalidListing(EntityModel))
      const entityByUuid = new Map<string, EntityId>()
      // A live entity before a deleted one, the oldest first (IASO has no uniqueness on uuids).
      const ranked = [...entities].sort(
        (a, b) => Number(a.deletedAt !== undefined) - Number(b.deletedAt !== undefined) || a.createdAt.getTime() - b.createdAt.getTime()
      )
      for (const entity of ranked) if (!entityByUuid.has(entity.uuid)) entityByUuid.set(entity.uuid, entity.id)
      for (const { index, log } of fresh) {
        if (log.orgUnitId !== undefined && !reachable.has(log.orgUnitId))
          return yield* ValidationError.at([...at, index, "orgUnitId"], StorageMessages.orgUnitNotFound)
        if (log.entityUuid !== undefined && !entityByUuid.has(log.entityUuid))
          return yield* ValidationError.at([...at, index, "entityUuid"], StorageMessages.entityNotFound)
      }
      const given = context.instanceIds ?? new Map<string, InstanceId>()
      const lookedUp = [...new Set(fresh.flatMap(({ log }) => log.instances.filter((uuid) => !given.has(uuid))))]
      const instanceByUuid = new Map<string, string>(given)
      const instances = yield* findIn((page) => repos.list(InstanceModel, actor.accountId, page), "uuid", lookedUp, { select: ["id", "uuid"] }).pipe(
        orDieOnInvalidListing(InstanceModel)
      )
      for (const instance of instances) if (instance.uuid !== undefined && !instanceByUuid.has(instance.uuid)) instanceByUuid.set(instance.uuid, instance.id)

      // Devices: those the batch names, and the OK ones holding an entity a profile is written for.
      const storageIds = [...new Set(fresh.map(({ log }) => log.storageId))]
      const named = yield* findIn((page) => repos.list(StorageDeviceModel, actor.accountId, page), "customerChosenId", storageIds).pipe(
        orDieOnInvalidListing(StorageDeviceModel)
      )
      const profileEntities = [
        ...new Set(
          fresh.flatMap(({ log }) => (log.operationType === "WRITE_PROFILE" && log.entityUuid !== undefined ? [entityByUuid.get(log.entityUuid) ?? ""] : []))
        )
      ]
      const holding =
        profileEntities.length === 0
          ? []
          : yield* findIn((page) => repos.list(StorageDeviceModel, actor.accountId, page), "entityId", profileEntities, {
              where: [{ field: "status", op: "eq", value: "OK" }]
            }).pipe(orDieOnInvalidListing(StorageDeviceModel))
      const devices = new Map<string, StorageDevice>()
      for (const device of [...named, ...holding]) devices.set(device.id, device)
      /** A device's state in this batch (every id handled here is in `devices`: a defect otherwise). */
      const stateOf = (id: string): StorageDevice => {
        const device = devices.get(id)
        if (device === undefined) throw new Error(`storage log import: device ${id} lost`)
        return device
      }
      const byKey = new Map<string, string>()
      for (const device of devices.values()) byKey.set(deviceKey(device.type, device.customerChosenId), device.id)

      const at0 = yield* now
      const created = new Set<string>()
      const changed = new Set<string>()
      const entries: Array<LogEntryInput> = []
      const links: Array<{ readonly storageLogEntryId: string; readonly instanceId: string }> = []
      const blacklisted = new Set<string>()
      for (const { log } of fresh) {
        const key = deviceKey(log.storageType, log.storageId)
        let deviceId = byKey.get(key)
        if (deviceId === undefined) {
          const made: StorageDevice = {
            id: uuidv7(at0.getTime()) as StorageDevice["id"],
            accountId: actor.accountId as StorageDevice["accountId"],
            version: 1,
            createdAt: at0,
            updatedAt: at0,
            customerChosenId: log.storageId,
            type: log.storageType,
            status: "OK",
            statusComment: ""
          }
          deviceId = made.id
          devices.set(deviceId, made)
          byKey.set(key, deviceId)
          created.add(deviceId)
        }
        const device = stateOf(deviceId)
        const entityId = log.entityUuid === undefined ? undefined : entityByUuid.get(log.entityUuid)
        // The device takes the log's org unit and entity; a log that changes neither leaves it unwritten.
        if (device.orgUnitId !== log.orgUnitId || device.entityId !== entityId) {
          const { orgUnitId: _unit, entityId: _entity, ...rest } = device
          devices.set(deviceId, {
            ...rest,
            ...(log.orgUnitId === undefined ? {} : { orgUnitId: log.orgUnitId as OrgUnitId }),
            ...(entityId === undefined ? {} : { entityId })
          })
          changed.add(deviceId)
        }
        entries.push({
          id: log.id,
          deviceId,
          operationType: log.operationType,
          performedAt: log.performedAt,
          performedById: performedBy,
          ...(log.orgUnitId === undefined ? {} : { orgUnitId: log.orgUnitId }),
          ...(entityId === undefined ? {} : { entityId }),
          statusComment: ""
        })
        for (const uuid of new Set(log.instances)) {
          const instanceId = instanceByUuid.get(uuid)
          if (instanceId !== undefined) links.push({ storageLogEntryId: log.id, instanceId })
        }
        if (log.operationType !== "WRITE_PROFILE" || entityId === undefined) continue
        for (const other of [...devices.values()]) {
          if (other.id === deviceId || other.entityId !== entityId || other.status !== "OK") continue
          const change = withStatus(
            other,
            { status: "BLACKLISTED", reason: "OTHER", comment: StorageMessages.profileWrittenOn(log.storageId, log.performedAt) },
            at0,
            performedBy
          )
          devices.set(other.id, change.device)
          changed.add(other.id)
          blacklisted.add(other.id)
          entries.push(change.entry)
        }
      }

      // New devices are inserted in their final state; stored ones are updated in one write.
      const inserted = yield* repos.insertMany(
        StorageDeviceModel,
        actor.accountId,
        [...created].map((id) => {
          const { accountId: _account, version: _version, createdAt: _created, updatedAt: _updated, ...fields } = stateOf(id)
          return fields
        }),
        { atomic: true }
      )
      const written = yield* writeDevices(repos.driver, actor.accountId, [...changed].filter((id) => !created.has(id)).map(stateOf), at0)
      const finalById = new Map<string, StorageDevice>()
      for (const item of inserted.items) if (item._tag === "Ok") finalById.set(item.value.id, item.value)
      for (const device of written) finalById.set(device.id, device)
      const logged = yield* repos.insertMany(StorageLogEntryModel, actor.accountId, entries, { atomic: true })
      if (links.length > 0) yield* repos.insertMany(StorageLogEntryInstanceModel, actor.accountId, links, { atomic: true })
      const createdEntries = logged.items.flatMap((item) => (item._tag === "Ok" && item.value.operationType !== "CHANGE_STATUS" ? [item.value] : []))
      return {
        created: createdEntries,
        skipped,
        devicesCreated: [...created].flatMap((id) => finalById.get(id) ?? []),
        blacklisted: [...blacklisted].flatMap((id) => finalById.get(id) ?? [])
      }
    })

  return { importAll }
}
