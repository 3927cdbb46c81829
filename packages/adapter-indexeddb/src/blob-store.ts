/**
 * File bytes in IndexedDB: the {@link BlobStore} port over a database of its own (one object store,
 * `blobs`, keyed by the content address `sha256/<hex>`). A separate database keeps the store's
 * version equal to its number of migrations, and lets an app clear attachments without touching
 * its records (or keep them on another origin quota policy).
 * @module
 */
import { type BlobRef, BlobStore, NotFound, sha256Hex, StorageError } from "@iaso/core/store"
import { Effect, Layer, ManagedRuntime } from "effect"
import { committed, environment, openDatabase, promised, storageError } from "./idb.ts"

/** Options of {@link IndexedDbBlobStore}. */
export interface IndexedDbBlobStoreOptions {
  /** The database name (not the name of an {@link IndexedDbStore} database). */
  readonly name: string
  /** The IndexedDB factory (default: the global `indexedDB`). */
  readonly indexedDB?: IDBFactory
}

const BLOBS = "blobs"

const open = (options: IndexedDbBlobStoreOptions) =>
  Effect.gen(function* () {
    const env = environment(options.indexedDB)
    if (env instanceof StorageError) return yield* env
    const opened = yield* Effect.tryPromise({
      try: () =>
        openDatabase(env, options.name, 1, async (db) => {
          if (!db.objectStoreNames.contains(BLOBS)) db.createObjectStore(BLOBS)
          return []
        }),
      catch: (error) => storageError(error, `opening the blob database ${options.name}`)
    })
    if (opened._tag === "Newer") {
      return yield* new StorageError({
        reason: "unavailable",
        retryable: false,
        message: `the blob database ${options.name} was created by a newer version of the SDK (version ${opened.version})`
      })
    }
    const state: { readonly db: IDBDatabase; closed: string | undefined } = { db: opened.db, closed: undefined }
    opened.db.onversionchange = () => {
      opened.db.close()
      state.closed = `the blob database ${options.name} was closed because another connection is upgrading or deleting it`
    }
    return state
  })

const toBytes = (value: unknown): Uint8Array | undefined =>
  value instanceof Uint8Array ? value : value instanceof ArrayBuffer ? new Uint8Array(value) : undefined

/** The BlobStore on IndexedDB. */
export const IndexedDbBlobStore = {
  /** Opens (creating if needed) the blob database; closed when the layer is released. */
  layer: (options: IndexedDbBlobStoreOptions): Layer.Layer<BlobStore, StorageError> =>
    Layer.effect(
      BlobStore,
      Effect.gen(function* () {
        const state = yield* Effect.acquireRelease(open(options), (s) => Effect.sync(() => s.db.close()))
        const run = <A>(doing: string, work: (db: IDBDatabase) => Promise<A>): Effect.Effect<A, StorageError> =>
          Effect.tryPromise({
            try: () => {
              if (state.closed !== undefined) throw new StorageError({ reason: "unavailable", retryable: false, message: state.closed })
              return work(state.db)
            },
            catch: (error) => storageError(error, doing)
          })
        return BlobStore.of({
          put: (bytes, meta) =>
            Effect.gen(function* () {
              const sha256 = yield* sha256Hex(bytes)
              const key = `sha256/${sha256}`
              const copy = bytes.slice()
              yield* run(`storing the blob ${key}`, async (db) => {
                const tx = db.transaction([BLOBS], "readwrite")
                const done = committed(tx)
                const store = tx.objectStore(BLOBS)
                const present = store.count(key)
                present.onsuccess = () => {
                  if (present.result === 0) store.put(copy, key)
                }
                await done
              })
              const ref: BlobRef = { key, size: bytes.byteLength, sha256, mediaType: meta.mediaType }
              return meta.fileName === undefined ? ref : { ...ref, fileName: meta.fileName }
            }),
          get: (key) =>
            Effect.flatMap(
              run(`reading the blob ${key}`, (db) => promised(db.transaction([BLOBS], "readonly").objectStore(BLOBS).get(key))),
              (value): Effect.Effect<Uint8Array, NotFound | StorageError> => {
                if (value === undefined) return Effect.fail(NotFound.of("Blob", key))
                const bytes = toBytes(value)
                return bytes === undefined
                  ? Effect.fail(new StorageError({ reason: "corrupt", retryable: false, message: `the blob ${key} is not stored as bytes` }))
                  : Effect.succeed(bytes)
              }
            ),
          has: (key) =>
            run(`looking up the blob ${key}`, async (db) => (await promised(db.transaction([BLOBS], "readonly").objectStore(BLOBS).count(key))) > 0),
          remove: (key) =>
            run(`removing the blob ${key}`, async (db) => {
              const tx = db.transaction([BLOBS], "readwrite")
              const done = committed(tx)
              tx.objectStore(BLOBS).delete(key)
              await done
            })
        })
      })
    ),

  /**
   * The same store as async functions, for code that does not use Effect. A failed call rejects
   * with the typed error (`NotFound`, `StorageError`); `close()` closes the database.
   */
  promise: (options: IndexedDbBlobStoreOptions): IndexedDbBlobsAsync => {
    const runtime = ManagedRuntime.make(IndexedDbBlobStore.layer(options))
    const blobs = Effect.service(BlobStore)
    return {
      put: (bytes, meta) => runtime.runPromise(Effect.flatMap(blobs, (b) => b.put(bytes, meta))),
      get: (key) => runtime.runPromise(Effect.flatMap(blobs, (b) => b.get(key))),
      has: (key) => runtime.runPromise(Effect.flatMap(blobs, (b) => b.has(key))),
      remove: (key) => runtime.runPromise(Effect.flatMap(blobs, (b) => b.remove(key))),
      close: () => runtime.dispose()
    }
  }
}

/** {@link IndexedDbBlobStore} as async functions. */
export interface IndexedDbBlobsAsync {
  readonly put: (bytes: Uint8Array, options: { readonly mediaType: string; readonly fileName?: string }) => Promise<BlobRef>
  readonly get: (key: string) => Promise<Uint8Array>
  readonly has: (key: string) => Promise<boolean>
  readonly remove: (key: string) => Promise<void>
  readonly close: () => Promise<void>
}
