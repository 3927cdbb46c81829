/**
 * Small helpers over the IndexedDB API: requests and transactions as promises, classification of
 * IndexedDB failures into {@link StorageError}s, and opening a database with an upgrade callback
 * that reports a `blocked` upgrade instead of waiting for it.
 *
 * The adapter talks to the IndexedDB API directly rather than through `idb`'s wrappers: those
 * add a Proxy and a Promise to every request, which the bulk paths (thousands of requests per
 * commit, most of them never awaited) cannot afford, and hide the request events the open needs
 * (a `blocked` upgrade abandoned and aborted later). The promise helpers here are the same idea,
 * applied only where a result is awaited.
 * @module
 */
import { StorageError, Unsupported } from "@iaso/core/store"
import { Effect } from "effect"

/** The result of a request, as a promise. Must be awaited while its transaction is active. */
export const promised = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

/** Resolves when a transaction commits; rejects with its error (or `reason()`) when it aborts. */
export const committed = (tx: IDBTransaction, reason: () => unknown = () => undefined): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(reason() ?? tx.error ?? new DOMException("the transaction was aborted", "AbortError"))
  })

const nameOf = (error: unknown): string => (typeof error === "object" && error !== null && "name" in error && typeof error.name === "string" ? error.name : "")

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error && typeof error.message === "string" ? error.message : String(error)

/** Classifies an IndexedDB failure (a `DOMException` by name) as a {@link StorageError}. */
export const storageError = (error: unknown, doing: string): StorageError => {
  if (error instanceof StorageError) return error
  const name = nameOf(error)
  const message = `IndexedDB failed while ${doing}: ${name === "" ? "" : `${name}: `}${messageOf(error)}`
  switch (name) {
    case "ConstraintError":
      return new StorageError({ reason: "constraint", retryable: false, message, cause: error })
    case "QuotaExceededError":
      return new StorageError({ reason: "unavailable", retryable: false, message: `${message} (the origin's storage quota is full)`, cause: error })
    case "InvalidStateError":
      return new StorageError({ reason: "unavailable", retryable: false, message: `${message} (the database connection is closed)`, cause: error })
    case "TimeoutError":
      return new StorageError({ reason: "timeout", retryable: true, message, cause: error })
    case "AbortError":
    case "TransactionInactiveError":
      return new StorageError({ reason: "serialization", retryable: true, message, cause: error })
    case "UnknownError":
      return new StorageError({ reason: "unknown", retryable: true, message, cause: error })
    case "NotFoundError":
    case "DataError":
    case "DataCloneError":
      return new StorageError({ reason: "corrupt", retryable: false, message, cause: error })
    case "VersionError":
      return new StorageError({ reason: "unavailable", retryable: false, message, cause: error })
    default:
      return new StorageError({ reason: "unknown", retryable: false, message, cause: error })
  }
}

/** Runs IndexedDB work (a promise that only awaits IndexedDB requests) as an Effect. */
export const io = <A>(doing: string, work: () => Promise<A>): Effect.Effect<A, StorageError> =>
  Effect.tryPromise({ try: work, catch: (error) => storageError(error, doing) })

/** The IndexedDB environment the adapter runs in. */
export interface IdbEnvironment {
  readonly factory: IDBFactory
  readonly keyRange: typeof IDBKeyRange
}

/** The environment of an injected or the global factory; a StorageError when there is none. */
export const environment = (factory: IDBFactory | undefined): IdbEnvironment | StorageError => {
  const global = globalThis as { readonly indexedDB?: IDBFactory; readonly IDBKeyRange?: typeof IDBKeyRange }
  const chosen = factory ?? global.indexedDB
  const keyRange = global.IDBKeyRange
  if (chosen === undefined || keyRange === undefined) {
    return new StorageError({
      reason: "unavailable",
      retryable: false,
      message:
        'IndexedDB is not available here (no indexedDB/IDBKeyRange globals): in Node, import "fake-indexeddb/auto" (and pass `indexedDB: new IDBFactory()` for an isolated factory)'
    })
  }
  return { factory: chosen, keyRange }
}

/** Why an upgrade failed: its refusal of a newer database as is, else a StorageError. */
const upgradeFailure = (error: unknown, doing: string): StorageError | Unsupported => (error instanceof Unsupported ? error : storageError(error, doing))

/** What {@link openDatabase} answers. */
export type Opened =
  | { readonly _tag: "Opened"; readonly db: IDBDatabase; readonly upgraded: ReadonlyArray<string> }
  | { readonly _tag: "Newer"; readonly version: number }

/**
 * Opens `name` at `version`, running `onUpgrade` in the `versionchange` transaction when the
 * stored version is older. A database at a newer version answers `Newer` (never opened). When
 * another connection (another tab) keeps an older version open, the open is reported as an
 * unavailable, retryable StorageError at once; if it completes later anyway, the upgrade is
 * aborted and the connection closed, so nothing is left half done and nothing waits.
 */
export const openDatabase = (
  env: IdbEnvironment,
  name: string,
  version: number | undefined,
  onUpgrade: (db: IDBDatabase, tx: IDBTransaction, oldVersion: number) => Promise<ReadonlyArray<string>>
): Promise<Opened> =>
  new Promise<Opened>((resolve, reject) => {
    let abandoned = false
    let upgraded: ReadonlyArray<string> = []
    let upgradeError: unknown
    let request: IDBOpenDBRequest
    try {
      request = version === undefined ? env.factory.open(name) : env.factory.open(name, version)
    } catch (error) {
      reject(storageError(error, `opening the database ${name}`))
      return
    }
    request.onupgradeneeded = (event) => {
      const tx = request.transaction
      if (tx === null) return
      if (abandoned) {
        tx.abort()
        return
      }
      onUpgrade(request.result, tx, event.oldVersion).then(
        (applied) => {
          upgraded = applied
        },
        (error: unknown) => {
          upgradeError = error
          try {
            tx.abort()
          } catch {
            // already finished: the error is reported below
          }
        }
      )
    }
    request.onblocked = () => {
      abandoned = true
      reject(
        new StorageError({
          reason: "unavailable",
          retryable: true,
          message: `opening the database ${name} at version ${String(version)} is blocked: another connection (another tab) keeps an older version open; close it and retry`
        })
      )
    }
    request.onsuccess = () => {
      const db = request.result
      if (abandoned) {
        db.close()
        return
      }
      if (upgradeError !== undefined) {
        db.close()
        reject(upgradeFailure(upgradeError, `migrating the database ${name}`))
        return
      }
      resolve({ _tag: "Opened", db, upgraded })
    }
    request.onerror = (event) => {
      event.preventDefault()
      if (abandoned) return
      const error = request.error
      if (error !== null && error.name === "VersionError") {
        resolve({ _tag: "Newer", version: version ?? 0 })
        return
      }
      reject(upgradeFailure(upgradeError ?? error, `opening the database ${name}`))
    }
  })

/**
 * The first string after every string starting with `prefix`, in UTF-16 code-unit order (the
 * order of IndexedDB keys); `undefined` when there is none (a prefix of only U+FFFF units).
 */
export const utf16UpperBound = (prefix: string): string | undefined => {
  let end = prefix.length
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--
  if (end === 0) return undefined
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1)
}
