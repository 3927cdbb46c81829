/**
 * The devices of submissions: the device an upload names by its IMEI (found, else created) and
 * its link to the upload's project, for one upload or a whole batch.
 * @module
 */
import { Effect } from "effect"
import { type Device, DeviceModel, DeviceProjectModel } from "../devices/devices.ts"
import { narrowErrors, orDieOnInvalidListing } from "../kernel/expect.ts"
import type { DeviceId, ProjectId } from "../shared/entity-ids.ts"
import type { StorageError } from "../shared/errors.ts"
import { findIn, type Repositories } from "../shared/repository.ts"
import type { Actor } from "../tenancy/actor.ts"
import { allWritten, narrowWrite } from "./submission-access.ts"

/**
 * The stored devices of IMEIs, by IMEI (the oldest device of an IMEI): one read. IMEIs without a
 * device are absent.
 */
export const devicesByImei = (repos: Repositories, actor: Actor, imeis: ReadonlyArray<string>): Effect.Effect<Map<string, DeviceId>, StorageError> =>
  Effect.gen(function* () {
    const ids = new Map<string, DeviceId>()
    if (imeis.length === 0) return ids
    const order = { orderBy: [{ field: "createdAt", direction: "asc" }] } as const
    // One IMEI: its oldest device is the first row. Several: every device of those IMEIs, oldest first.
    const found = yield* (
      imeis.length === 1
        ? Effect.map(
            repos.list(DeviceModel, actor.accountId, { where: [{ field: "imei", op: "eq", value: imeis[0] }], ...order, limit: 1 }),
            (page) => page.items
          )
        : findIn((page) => repos.list(DeviceModel, actor.accountId, page), "imei", imeis, order)
    ).pipe(orDieOnInvalidListing(DeviceModel))
    for (const device of found) if (device.imei !== undefined && !ids.has(device.imei)) ids.set(device.imei, device.id)
    return ids
  })

/**
 * The devices of IMEIs (the oldest device of an IMEI, else a new one) with their project links,
 * inside the caller's transaction: one read of the devices (of the IMEIs not in `known`: devices
 * the caller found before its transaction), one of the links, one write of each kind at most.
 * Devices created are in `created` (for the audit trail), in order of first need.
 */
export const devicesFor = (
  repos: Repositories,
  actor: Actor,
  wanted: ReadonlyArray<{ readonly imei: string; readonly projectId: ProjectId | undefined }>,
  known: ReadonlyMap<string, DeviceId> = new Map()
) =>
  Effect.gen(function* () {
    const created: Array<Device> = []
    const imeis = [...new Set(wanted.map((entry) => entry.imei))]
    const ids = new Map<string, DeviceId>()
    for (const imei of imeis) {
      const id = known.get(imei)
      if (id !== undefined) ids.set(imei, id)
    }
    const read = yield* devicesByImei(
      repos,
      actor,
      imeis.filter((imei) => !ids.has(imei))
    )
    for (const [imei, id] of read) ids.set(imei, id)
    const missing = imeis.filter((imei) => !ids.has(imei))
    if (missing.length > 0) {
      const inserted = yield* narrowWrite(
        Effect.flatMap(
          repos.insertMany(
            DeviceModel,
            actor.accountId,
            missing.map((imei) => ({ imei, testDevice: false }))
          ),
          allWritten
        )
      )
      for (const device of inserted) {
        created.push(device)
        if (device.imei !== undefined) ids.set(device.imei, device.id)
      }
    }
    // Project links: the (device, project) pairs not linked yet.
    const pairs = new Map<string, { readonly deviceId: DeviceId; readonly projectId: ProjectId }>()
    for (const entry of wanted) {
      const deviceId = ids.get(entry.imei)
      if (entry.projectId !== undefined && deviceId !== undefined) pairs.set(`${deviceId}\u0000${entry.projectId}`, { deviceId, projectId: entry.projectId })
    }
    if (pairs.size > 0) {
      const linked = new Set<string>()
      const list = [...pairs.values()]
      if (list.length === 1 && list[0] !== undefined) {
        // One pair: whether a link exists (one row at most).
        const { deviceId, projectId } = list[0]
        const page = yield* repos
          .list(DeviceProjectModel, actor.accountId, {
            where: [
              { field: "deviceId", op: "eq", value: deviceId },
              { field: "projectId", op: "eq", value: projectId }
            ],
            select: ["deviceId", "projectId"],
            limit: 1
          })
          .pipe(orDieOnInvalidListing(DeviceProjectModel))
        if (page.items.length > 0) linked.add(`${deviceId}\u0000${projectId}`)
      } else {
        const deviceIds = [...new Set(list.map((pair) => pair.deviceId))]
        const projectIds = [...new Set(list.map((pair) => pair.projectId))]
        const links = yield* findIn((page) => repos.list(DeviceProjectModel, actor.accountId, page), "deviceId", deviceIds, {
          where: [{ field: "projectId", op: "in", value: projectIds }],
          select: ["deviceId", "projectId"]
        }).pipe(orDieOnInvalidListing(DeviceProjectModel))
        for (const link of links) linked.add(`${link.deviceId}\u0000${link.projectId ?? ""}`)
      }
      const unlinked = [...pairs.entries()].filter(([key]) => !linked.has(key)).map(([, pair]) => pair)
      if (unlinked.length > 0) yield* narrowWrite(Effect.flatMap(repos.insertMany(DeviceProjectModel, actor.accountId, unlinked), allWritten))
    }
    return { ids, created }
  }).pipe((effect) =>
    narrowErrors(effect, ["ValidationError"], "a device or a device's project link, from an IMEI and ids the upload's checks accepted, was refused")
  )
