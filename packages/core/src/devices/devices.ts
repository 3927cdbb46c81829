/**
 * Mobile devices: a {@link Device} is a phone or tablet known by the id it reports (its IMEI or
 * another device id), met when it sends submissions or positions. A {@link DeviceOwnership} says
 * which user held a device (for which project, from when to when); a {@link DevicePosition} is one
 * GPS fix a device sent, with how it was travelling. Devices belong to projects through the
 * {@link DeviceProject} link record.
 *
 * IASO keeps devices outside any account and scopes them through their projects; here every device
 * has an owning account like any other record.
 * @module
 */
import { Schema } from "effect"
import { decimalOf } from "../shared/decimal.ts"
import { DeviceId, DeviceOwnershipId, DevicePositionId, ProjectId, UserId } from "../shared/entity-ids.ts"
import { GeoPoint } from "../shared/geometry.ts"
import { Uuid } from "../shared/ids.ts"
import { defineLink } from "../shared/links.ts"
import { defineModel } from "../shared/model.ts"
import { TextMax } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"
import type { Permission } from "../tenancy/permissions.ts"

/**
 * Who may read and write device records: IASO lists devices and ownerships to holders of
 * `iaso_forms` or `iaso_submissions`. IASO has no write API for them (they are written as a side
 * effect of submissions and posted positions); the same pair is asked for writes here.
 */
export const DEVICE_ACCESS: { readonly read: ReadonlyArray<Permission>; readonly write: ReadonlyArray<Permission> } = {
  read: ["iaso_forms", "iaso_submissions"],
  write: ["iaso_forms", "iaso_submissions"]
}

/** The Device model declaration. */
export const DeviceModel = defineModel({
  name: "Device",
  id: DeviceId,
  scope: "account",
  fields: {
    /** The id the device reports (IMEI or app-generated id). Not unique: looked up, then created when missing. */
    imei: Schema.optionalKey(TextMax(250)),
    /** Submissions from a test device are left out of counts. */
    testDevice: Schema.Boolean
  },
  indexes: [{ name: "device_imei", fields: ["accountId", "imei"] }],
  access: DEVICE_ACCESS,
  managedBy: "Devices"
})
/** A Device record. */
export const Device = DeviceModel.schema
/** A Device record. */
export type Device = typeof Device.Type

/** Link record: a device is used in a project (`Device.projects`). */
export const DeviceProjectModel = defineLink({
  name: "DeviceProject",
  left: { field: "deviceId", target: "Device", id: DeviceId },
  right: { field: "projectId", target: "Project", id: ProjectId },
  access: DEVICE_ACCESS,
  managedBy: "Devices"
})
/** A DeviceProject link record. */
export const DeviceProject = DeviceProjectModel.schema
/** A DeviceProject link record. */
export type DeviceProject = typeof DeviceProject.Type

/** The DeviceOwnership model declaration. */
export const DeviceOwnershipModel = defineModel({
  name: "DeviceOwnership",
  id: DeviceOwnershipId,
  scope: "account",
  fields: {
    deviceId: DeviceId,
    /** The project the device was first seen in, when known. */
    projectId: Schema.optionalKey(ProjectId),
    userId: UserId,
    /** When the user started holding the device (IASO sets it on creation). */
    start: Instant,
    /** When the user stopped holding it; absent while the ownership lasts. */
    end: Schema.optionalKey(Instant)
  },
  indexes: [
    // "last owner of a device" = its most recent ownership
    { name: "device_ownership_device_created", fields: ["deviceId", "createdAt"] },
    { name: "device_ownership_user", fields: ["userId"] },
    { name: "device_ownership_project", fields: ["projectId"] }
  ],
  references: [
    { field: "deviceId", target: "Device", onDelete: "cascade" },
    // IASO: DO_NOTHING (the database's deferred foreign key then refuses the delete)
    { field: "projectId", target: "Project", onDelete: "restrict" },
    { field: "userId", target: "User", onDelete: "cascade" }
  ],
  access: DEVICE_ACCESS,
  managedBy: "Devices"
})
/** A DeviceOwnership record. */
export const DeviceOwnership = DeviceOwnershipModel.schema
/** A DeviceOwnership record. */
export type DeviceOwnership = typeof DeviceOwnership.Type

/** How a device was moving when it took a position, IASO's choices. */
export const DEVICE_TRANSPORTS = ["car", "foot", "truck"] as const
/**
 * A device position's means of transport. IASO declares these choices but its API stores whatever
 * text it is sent; the SDK refuses any other value.
 */
export const DeviceTransport = Schema.Literals(DEVICE_TRANSPORTS)
/** A device position's means of transport. */
export type DeviceTransport = typeof DeviceTransport.Type

/** A position's point: IASO stores a 3D point, so the altitude is required. */
export const DevicePositionPoint = GeoPoint.check(
  Schema.makeFilter((point: GeoPoint) => point.coordinates.length === 3 || "a device position needs an altitude: [longitude, latitude, altitude]")
)

/** The DevicePosition model declaration. */
export const DevicePositionModel = defineModel({
  name: "DevicePosition",
  id: DevicePositionId,
  scope: "account",
  fields: {
    /** Made by the device; posting the same uuid again is a no-op. Unique in the account. */
    uuid: Uuid,
    deviceId: DeviceId,
    /** (lon, lat, alt). */
    location: DevicePositionPoint,
    transport: DeviceTransport,
    /** Accuracy in metres, `decimal(7, 2)`. */
    accuracy: decimalOf(7, 2),
    /** When the device took the position. */
    capturedAt: Instant
  },
  indexes: [
    { name: "device_position_uuid_unique", fields: ["accountId", "uuid"], unique: true },
    { name: "device_position_device_captured", fields: ["deviceId", "capturedAt"] }
  ],
  references: [{ field: "deviceId", target: "Device", onDelete: "cascade" }],
  access: DEVICE_ACCESS,
  managedBy: "Devices"
})
/** A DevicePosition record. */
export const DevicePosition = DevicePositionModel.schema
/** A DevicePosition record. */
export type DevicePosition = typeof DevicePosition.Type
