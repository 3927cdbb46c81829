/**
 * Storage devices and their log. A storage device is a physical medium the mobile app writes to
 * (an NFC card holding a person's profile and recent visits, typically), known by the id the
 * device reports and its type, and linked to the entity and org unit of its latest operation. A
 * device may be blacklisted (lost, stolen...). Every operation on a device, reported by the app or
 * a status change made on the web, is a log entry whose id the client chooses (re-sending it is a
 * no-op).
 * @module
 */
import { Schema } from "effect"
import { EntityId, InstanceId, OrgUnitId, StorageDeviceId, StorageLogEntryId, UserId } from "../shared/entity-ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankTextMax, Text } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"

const storageAccess = { read: ["iaso_storages"], write: ["iaso_storages"] }

/** Kinds of storage device, IASO's values. */
export const STORAGE_TYPES = ["NFC", "USB", "SD"] as const
/** A storage device kind. */
export const StorageType = Schema.Literals(STORAGE_TYPES)
export type StorageType = typeof StorageType.Type

/** Statuses of a storage device, IASO's values. */
export const STORAGE_STATUSES = ["OK", "BLACKLISTED"] as const
/** A storage device status. */
export const StorageStatus = Schema.Literals(STORAGE_STATUSES)
export type StorageStatus = typeof StorageStatus.Type

/** Why a device was blacklisted, IASO's values (IASO's blank value is an absent field here). */
export const STORAGE_STATUS_REASONS = ["STOLEN", "LOST", "DAMAGED", "ABUSE", "OTHER"] as const
/** A reason for a device status. */
export const StorageStatusReason = Schema.Literals(STORAGE_STATUS_REASONS)
export type StorageStatusReason = typeof StorageStatusReason.Type

/** Operations logged on a storage device, IASO's values. */
export const STORAGE_OPERATION_TYPES = ["WRITE_PROFILE", "RESET", "READ", "WRITE_RECORD", "CHANGE_STATUS"] as const
/** A storage operation type. */
export const StorageOperationType = Schema.Literals(STORAGE_OPERATION_TYPES)
export type StorageOperationType = typeof StorageOperationType.Type

/** The StorageDevice model declaration. */
export const StorageDeviceModel = defineModel({
  name: "StorageDevice",
  id: StorageDeviceId,
  scope: "account",
  fields: {
    /** The id the device reports (for NFC cards, the base64 of the card's UID); unique per account and type. */
    customerChosenId: NonBlankTextMax(255),
    type: StorageType,
    /** Changed only through the status-change operation, which also logs it. */
    status: StorageStatus,
    /** Absent when IASO stores it blank (status OK, or no reason given). */
    statusReason: Schema.optionalKey(StorageStatusReason),
    /** Free comment on the status; "" when none. */
    statusComment: Text,
    /** When the status last changed; absent before any change. */
    statusUpdatedAt: Schema.optionalKey(Instant),
    /** The org unit of the latest logged operation. */
    orgUnitId: Schema.optionalKey(OrgUnitId),
    /** The entity of the latest logged operation (whose profile the device holds). */
    entityId: Schema.optionalKey(EntityId)
  },
  indexes: [
    { name: "storage_device_customer_chosen_id_type_unique", fields: ["accountId", "customerChosenId", "type"], unique: true },
    { name: "storage_device_entity_status", fields: ["entityId", "status"] },
    { name: "storage_device_org_unit", fields: ["orgUnitId"] }
  ],
  references: [
    { field: "orgUnitId", target: "OrgUnit", onDelete: "setNull" },
    { field: "entityId", target: "Entity", onDelete: "setNull" }
  ],
  access: storageAccess,
  rowScope: { kind: "orgUnit", fields: ["orgUnitId"] },
  managedBy: "Storages"
})
/** A storage device record. */
export const StorageDevice = StorageDeviceModel.schema
export type StorageDevice = typeof StorageDevice.Type

/** The StorageLogEntry model declaration. */
export const StorageLogEntryModel = defineModel({
  name: "StorageLogEntry",
  id: StorageLogEntryId,
  scope: "account",
  fields: {
    deviceId: StorageDeviceId,
    operationType: StorageOperationType,
    /** When the operation happened, by the device's clock (the server's for status changes). */
    performedAt: Instant,
    performedById: UserId,
    /** The org unit concerned by the operation. */
    orgUnitId: Schema.optionalKey(OrgUnitId),
    /** The entity concerned by the operation (absent e.g. for a RESET). */
    entityId: Schema.optionalKey(EntityId),
    /** For CHANGE_STATUS: the status set; absent otherwise (IASO: blank). */
    status: Schema.optionalKey(StorageStatus),
    /** For CHANGE_STATUS: the reason given; absent otherwise (IASO: blank). */
    statusReason: Schema.optionalKey(StorageStatusReason),
    /** For CHANGE_STATUS: the comment given; "" otherwise. */
    statusComment: Text
  },
  indexes: [
    { name: "storage_log_entry_device_performed_at", fields: ["deviceId", "performedAt"] },
    { name: "storage_log_entry_entity", fields: ["entityId"] },
    { name: "storage_log_entry_org_unit", fields: ["orgUnitId"] },
    { name: "storage_log_entry_performed_by", fields: ["performedById"] }
  ],
  references: [
    { field: "deviceId", target: "StorageDevice", onDelete: "cascade" },
    { field: "performedById", target: "User", onDelete: "restrict" },
    { field: "orgUnitId", target: "OrgUnit", onDelete: "setNull" },
    { field: "entityId", target: "Entity", onDelete: "setNull" }
  ],
  access: storageAccess,
  rowScope: { kind: "orgUnit", fields: ["orgUnitId"] },
  managedBy: "Storages"
})
/** A storage log entry record. */
export const StorageLogEntry = StorageLogEntryModel.schema
export type StorageLogEntry = typeof StorageLogEntry.Type

/** Link record: a submission written to or read from a device by a logged operation (`StorageLogEntry.instances`). */
export const StorageLogEntryInstanceModel = defineLink({
  name: "StorageLogEntryInstance",
  left: { field: "storageLogEntryId", target: "StorageLogEntry", id: StorageLogEntryId },
  right: { field: "instanceId", target: "Instance", id: InstanceId },
  access: storageAccess,
  rowScope: { kind: "parent", field: "instanceId", target: "Instance" },
  managedBy: "Storages"
})
/** A log entry/submission link record. */
export const StorageLogEntryInstance = StorageLogEntryInstanceModel.schema
export type StorageLogEntryInstance = typeof StorageLogEntryInstance.Type
