/**
 * Reading storage devices: the account's devices with IASO's filters, one device's log history,
 * and the blacklist the mobile app downloads. Every read keeps to the actor's reach (the row scope
 * of `StorageDevice` and `StorageLogEntry`: their org unit under one of the actor's roots).
 * @module
 */
import { Effect } from "effect"
import type { Condition } from "../shared/query.ts"
import { type FieldCondition, findIn, type ListOptions, type Repositories, type ResultPage } from "../shared/repository.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { InstanceId, OrgUnitId } from "../shared/entity-ids.ts"
import { ValidationError } from "../shared/errors.ts"
import { foldKey } from "../shared/text.ts"
import { CurrentActor } from "../tenancy/actor.ts"
import {
  type StorageDevice,
  StorageDeviceModel,
  type StorageLogEntry,
  StorageLogEntryInstanceModel,
  StorageLogEntryModel,
  type StorageOperationType,
  type StorageStatus,
  type StorageStatusReason,
  type StorageType
} from "./storage.ts"
import type { StorageAccess, StorageRef } from "./storage-access.ts"

/** Filters of {@link Storages | Storages.list} (all optional; all must hold). */
export interface StorageSearch extends Omit<ListOptions, "where" | "select" | "orderBy"> {
  readonly status?: StorageStatus
  readonly reason?: StorageStatusReason
  /** Any of these types (IASO's comma list). */
  readonly types?: ReadonlyArray<StorageType>
  /**
   * The customer id (case-insensitive substring), its hex form (`04 62 46 72 EC 6A 80`, separators
   * free), or the id of the device's entity. Applied to each page read: a page may hold fewer
   * devices than `limit`; follow the cursor.
   */
  readonly search?: string
}

/** Filters of {@link Storages | Storages.logs} (all optional; all must hold). */
export interface StorageLogSearch extends Omit<ListOptions, "where" | "select" | "orderBy"> {
  readonly orgUnitId?: OrgUnitId
  /** Any of these operation types. */
  readonly types?: ReadonlyArray<StorageOperationType>
  /** The status a CHANGE_STATUS entry set. */
  readonly status?: StorageStatus
  /** The reason a CHANGE_STATUS entry gave. */
  readonly reason?: StorageStatusReason
  /** Entries performed on that UTC day (`YYYY-MM-DD`, IASO's `performed_at`). */
  readonly performedOn?: string
}

/** One entry of a device's log, with the submissions it names. */
export interface StorageLogItem {
  readonly entry: StorageLogEntry
  readonly instanceIds: ReadonlyArray<InstanceId>
}

/** One device of the mobile blacklist (IASO's `storages` payload, in camelCase). */
export interface BlacklistedStorage {
  readonly storageId: string
  readonly storageType: StorageType
  readonly storageStatus: {
    readonly status: StorageStatus
    readonly reason?: StorageStatusReason
    readonly comment: string
    /** Epoch seconds of the status change (IASO's `updated_at`), `null` when never changed. */
    readonly updatedAt: number | null
  }
}

/** The bytes of a customer id in hex, as IASO's interface shows it (`04 62 46...`), or `undefined` when it is no base64. */
export const storageIdHex = (storageId: string): string | undefined => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(storageId) || storageId.length % 4 !== 0) return undefined
  return [...atob(storageId)].map((char) => char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")).join(" ")
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** Reading devices and their logs. */
export const makeStorageListing = (repos: Repositories, access: StorageAccess) => {
  const { rows, storageActor, loadDevice } = access

  const list = (search: StorageSearch = {}) =>
    Effect.gen(function* () {
      const actor = yield* storageActor("reading storages")
      const { status, reason, types, search: text, ...page } = search
      const where: Array<Condition> = [...(yield* rows.listConditions(actor, StorageDeviceModel))]
      if (status !== undefined) where.push({ field: "status", op: "eq", value: status })
      if (reason !== undefined) where.push({ field: "statusReason", op: "eq", value: reason })
      if (types !== undefined && types.length > 0) where.push({ field: "type", op: "in", value: [...types] })
      const found = yield* repos.list(StorageDeviceModel, actor.accountId, { ...page, orderBy: [{ field: "updatedAt" }] }, where)
      const needle = text === undefined || text.trim() === "" ? undefined : text.trim()
      const folded = needle === undefined ? "" : foldKey(needle)
      const hex = needle === undefined ? "" : needle.replace(/[^0-9a-f]/gi, "").toUpperCase()
      const items = found.items.filter(
        (device) =>
          needle === undefined ||
          foldKey(device.customerChosenId).includes(folded) ||
          device.entityId === needle ||
          (hex !== "" && (storageIdHex(device.customerChosenId) ?? "").replaceAll(" ", "").includes(hex))
      )
      return (found.cursor === undefined ? { items } : { items, cursor: found.cursor }) as ResultPage<StorageDevice>
    })

  const get = (ref: StorageRef) => Effect.flatMap(storageActor("reading storages"), (actor) => loadDevice(actor, ref))

  const logs = (ref: StorageRef, search: StorageLogSearch = {}) =>
    Effect.gen(function* () {
      const actor = yield* storageActor("reading storages")
      const device = yield* loadDevice(actor, ref)
      const { orgUnitId, types, status, reason, performedOn, ...page } = search
      const where: Array<Condition> = [...(yield* rows.listConditions(actor, StorageLogEntryModel)), { field: "deviceId", op: "eq", value: device.id }]
      if (orgUnitId !== undefined) where.push({ field: "orgUnitId", op: "eq", value: orgUnitId })
      if (types !== undefined && types.length > 0) where.push({ field: "operationType", op: "in", value: [...types] })
      if (status !== undefined) where.push({ field: "status", op: "eq", value: status })
      if (reason !== undefined) where.push({ field: "statusReason", op: "eq", value: reason })
      const day: Array<FieldCondition> = []
      if (performedOn !== undefined) {
        const start = new Date(`${performedOn}T00:00:00.000Z`)
        if (!DAY.test(performedOn) || Number.isNaN(start.getTime())) return yield* ValidationError.at(["performedOn"], "expected a date YYYY-MM-DD")
        day.push({ field: "performedAt", op: "gte", value: start }, { field: "performedAt", op: "lt", value: new Date(start.getTime() + 86_400_000) })
      }
      const found = yield* repos.list(
        StorageLogEntryModel,
        actor.accountId,
        { ...page, where: day, orderBy: [{ field: "performedAt", direction: "desc" }] },
        where
      )
      const links = yield* findIn(
        (p) => repos.list(StorageLogEntryInstanceModel, actor.accountId, p),
        "storageLogEntryId",
        found.items.map((entry) => entry.id)
      ).pipe(orDieOnInvalidListing(StorageLogEntryInstanceModel))
      const byEntry = new Map<string, Array<InstanceId>>()
      for (const link of links) byEntry.set(link.storageLogEntryId, [...(byEntry.get(link.storageLogEntryId) ?? []), link.instanceId])
      const items: Array<StorageLogItem> = found.items.map((entry) => ({ entry, instanceIds: (byEntry.get(entry.id) ?? []).sort() }))
      return (found.cursor === undefined ? { items } : { items, cursor: found.cursor }) as ResultPage<StorageLogItem>
    })

  const blacklisted = () =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const where = [...(yield* rows.listConditions(actor, StorageDeviceModel)), { field: "status", op: "eq" as const, value: "BLACKLISTED" }]
      const devices: Array<StorageDevice> = []
      let cursor: string | undefined
      do {
        const page = yield* repos
          .list(StorageDeviceModel, actor.accountId, { orderBy: [{ field: "updatedAt" }], limit: 1000, ...(cursor === undefined ? {} : { cursor }) }, where)
          .pipe(orDieOnInvalidListing(StorageDeviceModel))
        devices.push(...page.items)
        cursor = page.cursor
      } while (cursor !== undefined)
      return devices.map(
        (device): BlacklistedStorage => ({
          storageId: device.customerChosenId,
          storageType: device.type,
          storageStatus: {
            status: device.status,
            ...(device.statusReason === undefined ? {} : { reason: device.statusReason }),
            comment: device.statusComment,
            updatedAt: device.statusUpdatedAt === undefined ? null : device.statusUpdatedAt.getTime() / 1000
          }
        })
      )
    })

  return { list, get, logs, blacklisted }
}
