/**
 * The `Devices` service: mobile devices, who holds them, and the positions they post. Positions
 * come in batches (IASO's `POST /api/devicespositions/`, one or a list): each names its device by
 * the id the phone reports (its IMEI), found or created as ingestion does; a position whose uuid is
 * already stored is left as it is (a re-sent batch changes nothing, and is no `AlreadyExists`). A
 * device first met through a batch posted by a user gets that user as owner (a
 * {@link DeviceOwnership} starting now); `setOwner` hands a device to another user (the current
 * ownership ends). The "last owner" of a device is its most recently created ownership.
 *
 * Rules beyond IASO: the transport is one of `car`, `foot`, `truck` (IASO's choices, which its API
 * does not enforce); the accuracy is rounded half-up to 2 decimals and capped at 99999.99 (IASO's
 * `decimal(7,2)`); a position needs an altitude (IASO's 3D point). Every call needs `iaso_forms`
 * or `iaso_submissions`.
 *
 * Row scope: devices, ownerships and positions name no org unit (a position is a GPS fix of a
 * phone, not tied to a unit), so they are not row-scoped: an actor with org-unit roots sees the
 * account's devices as IASO shows them to any holder of the permissions.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { accuracyOf } from "../shared/decimal.ts"
import type { DeviceId, ProjectId, UserId } from "../shared/entity-ids.ts"
import { type Forbidden, type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { findIn } from "../shared/reads.ts"
import type { Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { devicesFor } from "../submissions/submission-devices.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { DEVICE_ACCESS, type Device, DeviceModel, type DeviceOwnership, DeviceOwnershipModel, type DevicePosition, DevicePositionModel } from "./devices.ts"

type ReadError = NotFound | Forbidden | StorageError

/** One posted position, as the mobile app sends it (IASO's fields in camelCase). */
export interface PositionInput {
  /** The id the device reports (its IMEI). */
  readonly deviceId: string
  /** Made by the device; a uuid already stored makes the position a no-op. */
  readonly uuid: string
  readonly latitude: number
  readonly longitude: number
  readonly altitude: number
  /** `car`, `foot` or `truck`. */
  readonly transport: string
  /** Metres; rounded half-up to 2 decimals, capped at 99999.99. */
  readonly accuracy: number
  /** When the device took it: epoch seconds (IASO's format) or a `Date`. */
  readonly capturedAt: number | Date
}

/** A batch of positions. */
export interface PositionsPost {
  /** The project the devices are used in (IASO: the project of `?app_id=`). */
  readonly projectId?: ProjectId
  readonly positions: ReadonlyArray<PositionInput>
}

/** What a batch did. */
export interface PositionsResult {
  /** The positions stored now, in the batch's order. */
  readonly created: ReadonlyArray<DevicePosition>
  /** The uuids already stored (left as they were). */
  readonly unchanged: ReadonlyArray<string>
  /** Devices met for the first time. */
  readonly devicesCreated: ReadonlyArray<Device>
}

/** A device and its last owner. */
export interface DeviceWithOwner {
  readonly device: Device
  readonly lastOwner?: DeviceOwnership
}

/** The devices service (see the module documentation). Provided by `Iaso.layer`; `iaso.as(actor).devices`. */
export class Devices extends Context.Service<
  Devices,
  {
    /** Stores a batch of positions, all or nothing: new uuids stored, known ones left; devices found or created by IMEI. */
    readonly postPositions: (input: PositionsPost) => Effect.Effect<PositionsResult, ServiceWriteError, CurrentActor>
    /** The account's devices with their last owner, oldest first. */
    readonly list: () => Effect.Effect<ReadonlyArray<DeviceWithOwner>, ReadError, CurrentActor>
    /** A device's last owner (its most recent ownership), when it has one. */
    readonly lastOwner: (deviceId: DeviceId) => Effect.Effect<DeviceOwnership | undefined, ReadError, CurrentActor>
    /** The ownerships of a device (or of every device), oldest first. */
    readonly ownerships: (deviceId?: DeviceId) => Effect.Effect<ReadonlyArray<DeviceOwnership>, ReadError, CurrentActor>
    /** A device's positions, by capture time. */
    readonly positions: (deviceId: DeviceId) => Effect.Effect<ReadonlyArray<DevicePosition>, ReadError, CurrentActor>
    /** Hands a device to a user: its current ownership ends now, a new one starts. */
    readonly setOwner: (deviceId: DeviceId, userId: UserId, projectId?: ProjectId) => Effect.Effect<DeviceOwnership, ServiceWriteError, CurrentActor>
  }
>()("@iaso/core/Devices") {
  static readonly layer = Layer.effect(
    Devices,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Devices.of(makeDevices(repos))
    })
  )
}

/** The audit source of the service's writes. */
const DEVICE_AUDIT_SOURCE = "DEVICE_API"

const makeDevices = (repos: Repositories): Devices["Service"] => {
  const guarded = <A, E>(action: string, body: (actor: Actor) => Effect.Effect<A, E>) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.andThen(requireAny(actor, DEVICE_ACCESS.read, action), body(actor)))
  const byCreation = { orderBy: [{ field: "createdAt", direction: "asc" }] } as const
  const allOwnerships = (actor: Actor, deviceIds: ReadonlyArray<string> | undefined) =>
    (deviceIds === undefined
      ? Effect.map(repos.list(DeviceOwnershipModel, actor.accountId, { ...byCreation, limit: 10000 }), (page) => page.items)
      : findIn((page) => repos.list(DeviceOwnershipModel, actor.accountId, page), "deviceId", deviceIds, byCreation)
    ).pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error))) as Effect.Effect<ReadonlyArray<DeviceOwnership>, StorageError>
  return {
    postPositions: (input) =>
      guarded(
        "posting device positions",
        (actor) =>
          repos.driver.transaction(
            Effect.gen(function* () {
              const positions = input.positions
              const issues: Array<{ readonly path: ReadonlyArray<string | number>; readonly message: string }> = []
              const rows = positions.map((position, index) => {
                const accuracy = accuracyOf(position.accuracy)
                if (accuracy === undefined) issues.push({ path: ["positions", index, "accuracy"], message: "Expected a non-negative number of metres" })
                const capturedAt = position.capturedAt instanceof Date ? position.capturedAt : new Date(position.capturedAt * 1000)
                return {
                  uuid: position.uuid,
                  imei: position.deviceId,
                  location: { type: "Point", coordinates: [position.longitude, position.latitude, position.altitude] },
                  transport: position.transport,
                  accuracy,
                  capturedAt
                }
              })
              if (issues.length > 0) return yield* new ValidationError({ message: issues.map((issue) => issue.message).join("; "), issues })
              const uuids = [...new Set(rows.map((row) => row.uuid))]
              const known = new Set(
                (yield* findIn((page) => repos.list(DevicePositionModel, actor.accountId, page), "uuid", uuids, { select: ["uuid"] })).map((row) => row.uuid)
              )
              const fresh = rows.filter((row, index) => !known.has(row.uuid) && rows.findIndex((other) => other.uuid === row.uuid) === index)
              const { ids, created: devicesCreated } = yield* devicesFor(
                repos,
                actor,
                fresh.map((row) => ({ imei: row.imei, projectId: input.projectId }))
              )
              const inserted = yield* repos.insertMany(
                DevicePositionModel,
                actor.accountId,
                fresh.map(({ imei, ...row }) => ({ ...row, deviceId: ids.get(imei) })),
                { atomic: true }
              )
              const created: Array<DevicePosition> = []
              for (const item of inserted.items) {
                if (item._tag === "Failed") return yield* Effect.fail(item.error)
                created.push(item.value as DevicePosition)
              }
              if (actor.userId !== undefined && devicesCreated.length > 0) {
                const start = yield* now
                const owned = yield* repos.insertMany(
                  DeviceOwnershipModel,
                  actor.accountId,
                  devicesCreated.map((device) => ({
                    deviceId: device.id,
                    userId: actor.userId,
                    start,
                    ...(input.projectId === undefined ? {} : { projectId: input.projectId })
                  })),
                  { atomic: true }
                )
                for (const item of owned.items) if (item._tag === "Failed") return yield* Effect.fail(item.error)
              }
              yield* audit(
                repos,
                actor,
                DEVICE_AUDIT_SOURCE,
                DeviceModel,
                devicesCreated.map((device) => ({ id: device.id, after: device }))
              )
              return { created, unchanged: uuids.filter((uuid) => known.has(uuid)), devicesCreated }
            })
          ) as Effect.Effect<PositionsResult, ServiceWriteError>
      ),
    list: () =>
      guarded("reading devices", (actor) =>
        Effect.gen(function* () {
          const devices = (yield* repos
            .list(DeviceModel, actor.accountId, { ...byCreation, limit: 10000 })
            .pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error)))).items as ReadonlyArray<Device>
          const ownerships = yield* allOwnerships(
            actor,
            devices.map((device) => device.id)
          )
          const last = new Map<string, DeviceOwnership>()
          for (const ownership of ownerships) last.set(ownership.deviceId, ownership)
          return devices.map((device) => {
            const owner = last.get(device.id)
            return owner === undefined ? { device } : { device, lastOwner: owner }
          })
        })
      ),
    lastOwner: (deviceId) =>
      guarded("reading devices", (actor) =>
        Effect.andThen(
          repos.get(DeviceModel, actor.accountId, deviceId),
          Effect.map(allOwnerships(actor, [deviceId]), (owned) => owned.at(-1))
        )
      ),
    ownerships: (deviceId) =>
      guarded("reading devices", (actor) =>
        deviceId === undefined
          ? allOwnerships(actor, undefined)
          : Effect.andThen(repos.get(DeviceModel, actor.accountId, deviceId), allOwnerships(actor, [deviceId]))
      ),
    positions: (deviceId) =>
      guarded("reading devices", (actor) =>
        Effect.andThen(
          repos.get(DeviceModel, actor.accountId, deviceId),
          Effect.map(
            findIn((page) => repos.list(DevicePositionModel, actor.accountId, page), "deviceId", [deviceId], {
              orderBy: [{ field: "capturedAt", direction: "asc" }]
            }).pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error))),
            (items) => items as ReadonlyArray<DevicePosition>
          )
        )
      ),
    setOwner: (deviceId, userId, projectId) =>
      guarded(
        "changing device owners",
        (actor) =>
          repos.driver.transaction(
            Effect.gen(function* () {
              yield* repos.get(DeviceModel, actor.accountId, deviceId)
              const owned = yield* allOwnerships(actor, [deviceId])
              const at = yield* now
              const current = owned.at(-1)
              if (current !== undefined && current.end === undefined) {
                const ended = yield* repos.update(DeviceOwnershipModel, actor.accountId, current.id, { end: at }, { expectedVersion: current.version })
                yield* audit(repos, actor, DEVICE_AUDIT_SOURCE, DeviceOwnershipModel, [{ id: current.id, before: current, after: ended }])
              }
              const next = (yield* repos.insert(DeviceOwnershipModel, actor.accountId, {
                deviceId,
                userId,
                start: at,
                ...(projectId === undefined ? {} : { projectId })
              })) as DeviceOwnership
              yield* audit(repos, actor, DEVICE_AUDIT_SOURCE, DeviceOwnershipModel, [{ id: next.id, after: next }])
              return next
            })
          ) as Effect.Effect<DeviceOwnership, ServiceWriteError>
      )
  }
}
