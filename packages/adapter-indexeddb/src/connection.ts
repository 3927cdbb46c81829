/**
 * The connection to a store's database: opening it at the version of its migrations (upgrading
 * it when older, refusing it when newer), the description of its object stores, and what happens
 * when another connection (another tab, a newer version of the app) upgrades or deletes it, or
 * the browser closes it: the store's later calls fail as unavailable instead of blocking it.
 * @module
 */
import { type Migration, newerStore, StorageError, unknownMigrations, Unsupported } from "@iaso/core/store"
import { Effect } from "effect"
import { type IdbEnvironment, io, openDatabase, promised, storageError } from "./idb.ts"
import { LEDGER_KEY, META, type TableInfo, tablesOf } from "./schema.ts"
import { upgrade } from "./upgrade.ts"
import type { AsWriter } from "./writer-lock.ts"

/** A store's database connection. */
export interface Connection {
  readonly env: IdbEnvironment
  /** The database name. */
  readonly name: string
  /** The open database; throws an unavailable StorageError when it is not open (yet, or any more). */
  readonly database: () => IDBDatabase
  /** The object stores the applied migrations describe, by model name. */
  readonly tables: () => ReadonlyMap<string, TableInfo>
  /** The object store of a model; a corrupt StorageError when the migrations made none. */
  readonly table: (name: string) => Effect.Effect<TableInfo, StorageError>
  /** The port's `migrate`: opens the database at the migrations' version, upgrading it when older. */
  readonly migrate: (migrations: ReadonlyArray<Migration>) => Effect.Effect<ReadonlyArray<string>, StorageError | Unsupported>
  /** Closes the connection (later calls fail with an unavailable StorageError). */
  readonly close: Effect.Effect<void>
}

/** Makes the connection to the database `name` (not yet open: `migrate` opens it). */
export const makeConnection = (env: IdbEnvironment, name: string, asWriter: AsWriter): Connection => {
  let connection: { readonly db: IDBDatabase; closed: string | undefined } | undefined
  let tables = new Map<string, TableInfo>()

  const database = (): IDBDatabase => {
    if (connection === undefined) {
      throw new StorageError({ reason: "unavailable", retryable: false, message: `the IndexedDB database ${name} is not open (was the store migrated?)` })
    }
    if (connection.closed !== undefined) throw new StorageError({ reason: "unavailable", retryable: false, message: connection.closed })
    return connection.db
  }

  const table = (model: string): Effect.Effect<TableInfo, StorageError> => {
    const info = tables.get(model)
    return info === undefined
      ? Effect.fail(
          new StorageError({ reason: "corrupt", retryable: false, message: `the IndexedDB store has no object store for ${model}: was it migrated?` })
        )
      : Effect.succeed(info)
  }

  const readLedger = async (db: IDBDatabase): Promise<ReadonlyArray<string>> => {
    if (!db.objectStoreNames.contains(META)) return []
    const value = await promised(db.transaction([META], "readonly").objectStore(META).get(LEDGER_KEY))
    return Array.isArray(value) ? value.map(String) : []
  }

  const watch = (db: IDBDatabase): void => {
    db.onversionchange = () => {
      // Another connection (another tab, a newer version of the app) upgrades or deletes the
      // database: let it, and fail this store's later calls instead of blocking it.
      db.close()
      if (connection?.db === db) {
        connection.closed = `the IndexedDB database ${name} was closed because another connection (another tab or a newer version of the app) is upgrading or deleting it: reload to reopen it`
      }
    }
    db.onclose = () => {
      if (connection?.db === db) connection.closed = `the browser closed the IndexedDB database ${name} (storage cleared or the disk failed)`
    }
  }

  /** The refusal of a database whose ledger holds migrations `migrations` does not know, if it does. */
  const refuseNewer = (ledger: ReadonlyArray<string>, migrations: ReadonlyArray<Migration>): Unsupported | undefined => {
    const unknown = unknownMigrations(ledger, migrations)
    return unknown.length === 0 ? undefined : newerStore(unknown)
  }

  /**
   * Opens the database at the version of `migrations` (their number); when it is older, the
   * upgrade applies the pending migrations through core's runner (see `upgrade.ts`), which also
   * refuses a database migrated by a newer SDK. A database at a newer version is refused too.
   */
  const migrate = (migrations: ReadonlyArray<Migration>): Effect.Effect<ReadonlyArray<string>, StorageError | Unsupported> =>
    asWriter(
      Effect.gen(function* () {
        const version = Math.max(1, migrations.length)
        if (connection !== undefined && connection.closed === undefined) {
          const open = connection.db
          const ledger = yield* io("reading the migrations ledger", () => readLedger(open))
          const refused = refuseNewer(ledger, migrations)
          if (refused !== undefined) return yield* refused
          const pending = migrations.filter((m) => !ledger.includes(m.id))
          if (pending.length === 0) {
            tables = tablesOf(migrations)
            return []
          }
          if (open.version >= version) {
            return yield* new StorageError({
              reason: "corrupt",
              retryable: false,
              message: `the IndexedDB database ${name} is at version ${open.version} but its ledger lacks ${pending.map((m) => m.id).join(", ")}`
            })
          }
          open.close()
          connection = undefined
        }
        const opened = yield* Effect.tryPromise({
          try: () => openDatabase(env, name, version, (db, tx, oldVersion) => upgrade(env.keyRange, db, tx, oldVersion, migrations)),
          catch: (error) => (error instanceof Unsupported ? error : storageError(error, `opening the database ${name}`))
        })
        if (opened._tag === "Newer") {
          const ledger = yield* io("reading the migrations ledger", async () => {
            const current = await openDatabase(env, name, undefined, async () => [])
            if (current._tag !== "Opened") return []
            try {
              return await readLedger(current.db)
            } finally {
              current.db.close()
            }
          })
          return yield* newerStore(unknownMigrations(ledger, migrations))
        }
        const db = opened.db
        const ledger = yield* io("reading the migrations ledger", () => readLedger(db)).pipe(Effect.tapError(() => Effect.sync(() => db.close())))
        const refused = refuseNewer(ledger, migrations)
        if (refused !== undefined) {
          db.close()
          return yield* refused
        }
        watch(db)
        connection = { db, closed: undefined }
        tables = tablesOf(migrations.filter((m) => ledger.includes(m.id)))
        return opened.upgraded
      })
    )

  return {
    env,
    name,
    database,
    tables: () => tables,
    table,
    migrate,
    close: Effect.sync(() => {
      if (connection === undefined) return
      connection.db.close()
      connection.closed = `the IndexedDB database ${name} was closed`
    })
  }
}
