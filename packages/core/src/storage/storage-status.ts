/**
 * A device's status and the log entry recording its change (IASO's `change_status`): the only
 * way a device's status changes, used by the web verb and by the blacklisting a profile written
 * on another card triggers. Also the bulk write of changed devices both paths share.
 * @module
 */
import { Effect } from "effect"
import type { StorageLogEntryId, UserId } from "../shared/entity-ids.ts"
import { NotFound, ValidationError, VersionConflict, type StorageError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import { codecOf, scopeOf } from "../shared/repository.ts"
import type { StoreDriver } from "../shared/store.ts"
import { type StorageDevice, StorageDeviceModel, type StorageStatus, type StorageStatusReason } from "./storage.ts"

/** IASO's messages of the storage APIs. */
export const StorageMessages = {
  reasonRequired: "A reason must be provided when changing the status to a non-ok status",
  invalidStorageType: (type: string) => `Invalid storage type: ${type}`,
  invalidOperationType: (operation: string) => `Invalid operation type: ${operation}`,
  orgUnitNotFound: "OrgUnit matching query does not exist.",
  entityNotFound: "Entity matching query does not exist.",
  /** The comment of a device blacklisted because the profile it held was written on another card. */
  profileWrittenOn: (storageId: string, performedAt: Date) => `Profile was written on ${storageId} on ${pythonInstant(performedAt)}`
} as const

/** The prefix of {@link StorageMessages}`.profileWrittenOn` before the instant. */
export const profileWrittenPrefix = (storageId: string): string => `Profile was written on ${storageId} on `

/** An instant as Python prints an aware UTC datetime (`2024-10-25 06:54:50.867000+00:00`), as IASO's comment shows it. */
const pythonInstant = (at: Date): string => {
  const iso = at.toISOString()
  const millis = at.getUTCMilliseconds()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${millis === 0 ? "" : `.${String(millis).padStart(3, "0")}000`}+00:00`
}

/** A status to set on a device. */
export interface StatusChange {
  readonly status: StorageStatus
  /** Required for a non-OK status. */
  readonly reason?: StorageStatusReason
  /** Free comment; `""` by default. */
  readonly comment?: string
}

/** `ValidationError` at `reason` when a non-OK status comes without a reason (IASO's message). */
export const checkStatusChange = (change: StatusChange): Effect.Effect<void, ValidationError> =>
  change.status !== "OK" && change.reason === undefined ? Effect.fail(ValidationError.at(["reason"], StorageMessages.reasonRequired)) : Effect.void

/** The insert input of a log entry (what `insertMany` takes for `StorageLogEntry`). */
export interface LogEntryInput {
  readonly id: StorageLogEntryId
  readonly deviceId: string
  readonly operationType: StorageLogEntryOperation
  readonly performedAt: Date
  readonly performedById: UserId
  readonly orgUnitId?: string
  readonly entityId?: string
  readonly status?: StorageStatus
  readonly statusReason?: StorageStatusReason
  readonly statusComment: string
}
type StorageLogEntryOperation = "WRITE_PROFILE" | "RESET" | "READ" | "WRITE_RECORD" | "CHANGE_STATUS"

/**
 * A device with a status set at `at`, and the CHANGE_STATUS entry recording it with the same
 * status, reason and comment (performed at `at` by `by`, at the device's org unit and entity).
 */
export const withStatus = (
  device: StorageDevice,
  change: StatusChange,
  at: Date,
  by: UserId
): { readonly device: StorageDevice; readonly entry: LogEntryInput } => {
  const { statusReason: _reason, ...rest } = device
  const next: StorageDevice = {
    ...rest,
    status: change.status,
    ...(change.reason === undefined ? {} : { statusReason: change.reason }),
    statusComment: change.comment ?? "",
    statusUpdatedAt: at
  }
  const entry: LogEntryInput = {
    id: uuidv7(at.getTime()) as StorageLogEntryId,
    deviceId: device.id,
    operationType: "CHANGE_STATUS",
    performedAt: at,
    performedById: by,
    ...(device.orgUnitId === undefined ? {} : { orgUnitId: device.orgUnitId }),
    ...(device.entityId === undefined ? {} : { entityId: device.entityId }),
    status: change.status,
    ...(change.reason === undefined ? {} : { statusReason: change.reason }),
    statusComment: change.comment ?? ""
  }
  return { device: next, entry }
}

/**
 * Writes devices read in this unit of work and changed in memory, in one store write with the
 * version check of an update (their references were checked by the caller: org units and entities
 * of the account). Answers the written devices.
 */
export const writeDevices = (
  driver: StoreDriver,
  accountId: string,
  changed: ReadonlyArray<StorageDevice>,
  at: Date
): Effect.Effect<ReadonlyArray<StorageDevice>, NotFound | VersionConflict | StorageError> =>
  Effect.gen(function* () {
    if (changed.length === 0) return []
    const codec = codecOf(StorageDeviceModel)
    const written: Array<StorageDevice> = []
    const ops = []
    for (const device of changed) {
      const next = { ...device, version: device.version + 1, updatedAt: at }
      const row = codec.toRow(next)
      if (row instanceof ValidationError) return yield* Effect.die(row)
      ops.push({ kind: "update" as const, row, expectedVersion: device.version })
      written.push(next)
    }
    const outcomes = yield* driver.write(StorageDeviceModel, scopeOf(StorageDeviceModel, accountId), ops)
    for (const [index, device] of changed.entries()) {
      const outcome = outcomes[index]
      if (outcome === undefined || outcome._tag === "Missing") return yield* NotFound.of("StorageDevice", device.id)
      if (outcome._tag === "StaleVersion") {
        return yield* new VersionConflict({
          model: "StorageDevice",
          id: device.id,
          expected: device.version,
          actual: outcome.actual,
          message: `StorageDevice ${device.id} changed while it was being written`
        })
      }
      if (outcome._tag === "Duplicate") return yield* Effect.die(new Error(`a device update met a unique constraint (${outcome.constraint})`))
    }
    return written
  })
