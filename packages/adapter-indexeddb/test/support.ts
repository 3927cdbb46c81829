/**
 * Helpers of the IndexedDB store's tests: the SDK on a store, and what raw connections (another
 * tab) see of a database; on any IndexedDB factory (fake-indexeddb in Node, the browser's own).
 */
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { Iaso, type Migration } from "@iaso/core"
import { Cause, Exit, Layer, ManagedRuntime } from "effect"

/** The failure of an exit (squashed), undefined when it succeeded. */
export const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown => (Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined)

/** The SDK on an IndexedDB store of `factory` named `name`. */
export const app = (
  factory: IDBFactory,
  name: string,
  extra: { readonly durability?: IDBTransactionDurability; readonly migrations?: ReadonlyArray<Migration> } = {}
) => ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(IndexedDbStore.layer({ name, indexedDB: factory, ...extra }))))

/** Opens a raw connection (another tab) at the current version. */
export const rawOpen = (factory: IDBFactory, name: string): Promise<IDBDatabase> =>
  new Promise((resolve, reject) => {
    const request = factory.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

/** One value of a store, read by a raw connection. */
export const rawGet = (db: IDBDatabase, store: string, key: IDBValidKey): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const request = db.transaction([store], "readonly").objectStore(store).get(key)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

/** The number of records of a store, read by a raw connection. */
export const rawCount = (db: IDBDatabase, store: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const request = db.transaction([store], "readonly").objectStore(store).count()
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

/** What a raw reader sees of a database: its version, ledger, change counter and row counts. */
export const snapshot = async (factory: IDBFactory, name: string, stores: ReadonlyArray<string>) => {
  const db = await rawOpen(factory, name)
  try {
    const counts: Record<string, number> = {}
    for (const store of stores) counts[store] = await rawCount(db, store)
    return { version: db.version, ledger: await rawGet(db, "_meta", "ledger"), seq: await rawGet(db, "_meta", "seq"), counts }
  } finally {
    db.close()
  }
}
