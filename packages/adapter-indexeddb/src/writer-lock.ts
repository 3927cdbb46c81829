/**
 * The writer lock of a database: one writer at a time, by a semaphore in this driver and by a Web
 * Lock (`navigator.locks`, named after the database) across tabs and workers when the platform
 * has it. Units of work and migrations run under it.
 * @module
 */
import type { StorageError } from "@iaso/core/store"
import { Effect, Semaphore } from "effect"
import { storageError } from "./idb.ts"

/** Runs `effect` as the only writer of the database. */
export type AsWriter = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>

/** Makes the writer lock of the database `name`. */
export const makeWriterLock = (name: string): Effect.Effect<AsWriter> =>
  Effect.map(Semaphore.make(1), (mutex) => {
    const locks = (globalThis as { readonly navigator?: { readonly locks?: LockManager } }).navigator?.locks
    const lockName = `@iaso/adapter-indexeddb:${name}`

    /** Takes the cross-tab writer lock; succeeds with its release. Interruptible while waiting. */
    const acquireWebLock = (manager: LockManager) =>
      Effect.callback<() => void, StorageError>((resume, signal) => {
        let release: (() => void) | undefined
        signal.addEventListener("abort", () => release?.())
        manager
          .request(
            lockName,
            { signal },
            () =>
              new Promise<void>((resolve) => {
                release = resolve
                if (signal.aborted) resolve()
                else resume(Effect.succeed(() => resolve()))
              })
          )
          .catch((error: unknown) => {
            if (!signal.aborted) resume(Effect.fail(storageError(error, "taking the writer lock")))
          })
      })

    /** Runs `effect` as the only writer: this driver's semaphore, then the Web Lock when there is one. */
    const asWriter: AsWriter = (effect) =>
      mutex.withPermits(1)(
        locks === undefined
          ? effect
          : Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(restore(acquireWebLock(locks)), (release) => Effect.ensuring(restore(effect), Effect.sync(release)))
            )
      )
    return asWriter
  })
