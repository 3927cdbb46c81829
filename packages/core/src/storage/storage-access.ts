/**
 * What the storage verbs share: the permission of the web verbs, the user a logged operation is
 * performed by, the devices an actor sees (the kernel's row scope of `StorageDevice`: under one of
 * the actor's org-unit roots through the device's org unit), and the device a type and customer id
 * name.
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import type { UserId } from "../shared/entity-ids.ts"
import { Forbidden, NotFound, type StorageError } from "../shared/errors.ts"
import type { Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { type StorageDevice, StorageDeviceModel, type StorageType } from "./storage.ts"

/** The permission of the web storage verbs (IASO's `iaso_storages`). */
export const STORAGE_PERMISSION = "iaso_storages"

/** A device named as IASO's APIs name it: its type and the id the device reports. */
export interface StorageRef {
  readonly storageType: StorageType
  /** The id the device reports (IASO's `storage_id`, the device's `customerChosenId`). */
  readonly storageId: string
}

/** The access rules and reads the storage verbs share. */
export const makeStorageAccess = (repos: Repositories) => {
  const rows = makeRowAccess(repos)

  /** The actor, once it holds `iaso_storages`. */
  const storageActor = (action: string) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* requireAny(actor, [STORAGE_PERMISSION], action)
      return actor
    })

  /** The user an operation is logged for: the actor's user, else `Forbidden` (a log names who performed it). */
  const performer = (actor: Actor, action: string): Effect.Effect<UserId, Forbidden> =>
    actor.userId === undefined ? Effect.fail(new Forbidden({ message: `${action} needs an actor that is a user` })) : Effect.succeed(actor.userId)

  /** The devices of the account a type and customer id name (one at most: the pair is unique per account). */
  const findDevice = (actor: Actor, ref: StorageRef): Effect.Effect<StorageDevice | undefined, StorageError> =>
    Effect.map(
      repos
        .list(StorageDeviceModel, actor.accountId, {
          where: [
            { field: "customerChosenId", op: "eq", value: ref.storageId },
            { field: "type", op: "eq", value: ref.storageType }
          ],
          limit: 1
        })
        .pipe(orDieOnInvalidListing(StorageDeviceModel)),
      (page) => page.items[0]
    )

  /** The device a reference names, when the actor sees it; else `NotFound`. */
  const loadDevice = (actor: Actor, ref: StorageRef): Effect.Effect<StorageDevice, NotFound | StorageError> =>
    Effect.gen(function* () {
      const device = yield* findDevice(actor, ref)
      if (device === undefined) return yield* NotFound.of("StorageDevice", `${ref.storageType} ${ref.storageId}`)
      yield* rows.requireVisible(actor, StorageDeviceModel, device)
      return device
    })

  return { rows, storageActor, performer, findDevice, loadDevice }
}

/** What {@link makeStorageAccess} gives. */
export type StorageAccess = ReturnType<typeof makeStorageAccess>
