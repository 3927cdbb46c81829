/**
 * The `Storages` service: storage devices (NFC cards, USB keys, SD cards) the mobile app writes
 * profiles and records to, known per account by type and the id the device reports, and their
 * log. The app's logs are imported in batches (all or nothing, a re-sent log skipped); a device's
 * status changes only through {@link Storages | Storages.changeStatus}, which logs the change;
 * writing a profile on a card blacklists the other cards holding it. Reads keep to the actor's
 * reach (a device or entry is where its org unit is).
 *
 * The web verbs (`list`, `get`, `logs`, `changeStatus`) need `iaso_storages`; the mobile verbs
 * (`importLogs`, `blacklisted`) need an authenticated actor only, as IASO's mobile endpoints.
 *
 * The work is spread by job: `storage-access.ts` (permission, reach, the device a reference
 * names), `storage-log-import.ts` (shared with the bulk upload), `storage-status.ts` (status
 * changes and IASO's messages), `storage-listing.ts`.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { lazyService } from "../shared/lazy-module.ts"
import type { Forbidden, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import type { ResultPage } from "../shared/repository.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type { StorageDevice } from "./storage.ts"
import { STORAGE_PERMISSION, type StorageRef } from "./storage-access.ts"
import { type BlacklistedStorage, type StorageLogItem, type StorageLogSearch, type StorageSearch, storageIdHex } from "./storage-listing.ts"
import type { StorageLogImportContext, StorageLogImportResult, StorageLogInput } from "./storage-log-import.ts"
import { profileWrittenPrefix, type StatusChange, StorageMessages } from "./storage-status.ts"

export { profileWrittenPrefix, STORAGE_PERMISSION, storageIdHex, StorageMessages }
export type {
  BlacklistedStorage,
  StatusChange,
  StorageLogImportContext,
  StorageLogImportResult,
  StorageLogInput,
  StorageLogItem,
  StorageLogSearch,
  StorageRef,
  StorageSearch
}

/** Errors of a storage read. */
export type StorageReadError = NotFound | Forbidden | ValidationError | StorageError

/**
 * The storages service (see the module documentation). Provided by `Iaso.layer`; on the Promise
 * facade, `iaso.as(actor).storages`. Its calls are listed under `Service`.
 */
export class Storages extends Context.Service<
  Storages,
  {
    /**
     * Imports a batch of the app's logs as the actor's user, all or nothing: the first bad log
     * fails the batch with IASO's message at its index (an unknown type, operation, org unit or
     * entity) and nothing is stored. Re-sent logs are skipped.
     */
    readonly importLogs: (logs: ReadonlyArray<StorageLogInput>) => Effect.Effect<StorageLogImportResult, ServiceWriteError, CurrentActor>
    /**
     * Sets a device's status (IASO's `change_status`): a non-OK status needs a reason (IASO's
     * message); the device keeps the reason and comment given, its status time is now, and a
     * CHANGE_STATUS entry records the same. Setting OK again is allowed.
     */
    readonly changeStatus: (ref: StorageRef, change: StatusChange) => Effect.Effect<StorageDevice, ServiceWriteError, CurrentActor>
    /** One device within the actor's reach. */
    readonly get: (ref: StorageRef) => Effect.Effect<StorageDevice, StorageReadError, CurrentActor>
    /** A page of the account's devices within reach, least recently updated first (see {@link StorageSearch}). */
    readonly list: (search?: StorageSearch) => Effect.Effect<ResultPage<StorageDevice>, StorageReadError, CurrentActor>
    /** A page of a device's log within reach, latest performed first (see {@link StorageLogSearch}). */
    readonly logs: (ref: StorageRef, search?: StorageLogSearch) => Effect.Effect<ResultPage<StorageLogItem>, StorageReadError, CurrentActor>
    /** The blacklisted devices within reach, as the mobile app downloads them. */
    readonly blacklisted: () => Effect.Effect<ReadonlyArray<BlacklistedStorage>, StorageReadError, CurrentActor>
  }
>()("@iaso/core/Storages") {
  /** The service over {@link Repos}. */
  static readonly layer = Layer.effect(
    Storages,
    Effect.map(Effect.service(Repos), (repos) =>
      Storages.of(
        lazyService("the storages", () => import("./storages-ops.ts").then((ops) => ops.makeStorages(repos)), {
          importLogs: true,
          changeStatus: true,
          get: true,
          list: true,
          logs: true,
          blacklisted: true
        })
      )
    )
  )
}
