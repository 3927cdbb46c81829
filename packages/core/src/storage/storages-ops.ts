/**
 * The calls of {@link Storages} (see `storages-service.ts` for the rules), loaded by the service
 * when it is first called: an app that never logs storage operations nor changes a storage
 * leaves them out of its starting code.
 * @module
 */
import { Effect } from "effect"
import type { Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { CurrentActor } from "../tenancy/actor.ts"
import { StorageLogEntryModel } from "./storage.ts"
import { makeStorageAccess, type StorageRef } from "./storage-access.ts"
import { makeStorageListing } from "./storage-listing.ts"
import { makeStorageLogImport, type StorageLogInput } from "./storage-log-import.ts"
import { checkStatusChange, type StatusChange, withStatus, writeDevices } from "./storage-status.ts"
import type { Storages } from "./storages-service.ts"

/** The service's verbs, each from the module of its job. */
/** The calls of {@link Storages}. */
export const makeStorages = (repos: Repositories) => {
  const access = makeStorageAccess(repos)
  const logImport = makeStorageLogImport(repos, access)
  return {
    ...makeStorageListing(repos, access),
    importLogs: (logs: ReadonlyArray<StorageLogInput>) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const user = yield* access.performer(actor, "logging storage operations")
        return yield* repos.driver.transaction(logImport.importAll(actor, user, logs))
      }),
    changeStatus: (ref: StorageRef, change: StatusChange) =>
      Effect.gen(function* () {
        const actor = yield* access.storageActor("changing a storage status")
        const user = yield* access.performer(actor, "changing a storage status")
        yield* checkStatusChange(change)
        return yield* repos.driver.transaction(
          Effect.gen(function* () {
            const device = yield* access.loadDevice(actor, ref)
            const at = yield* now
            const next = withStatus(device, change, at, user)
            const [written] = yield* writeDevices(repos.driver, actor.accountId, [next.device], at)
            yield* repos.insert(StorageLogEntryModel, actor.accountId, next.entry)
            return written ?? next.device
          })
        )
      })
  }
}
