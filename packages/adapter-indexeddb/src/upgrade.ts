/**
 * Migrations applied inside the `versionchange` transaction of an upgrade, through core's
 * migration runner: the ledger read from `_meta`, each pending migration's steps turned into
 * object stores and indexes, and each migration recorded in the ledger. The whole upgrade is one
 * IndexedDB transaction: any failure aborts it, so none of its migrations stays.
 *
 * A store whose key changes (`keyByAccount`, and the tombstones of a database made before
 * migration 0005) is rebuilt in place: renamed aside, made again under its name with its new key
 * and every index, its records copied over in batches, and the old one deleted.
 * @module
 */
import { type Migration, type MigrationStep, runMigrations, type StorageError, type Unsupported } from "@iaso/core/store"
import { Effect, Scheduler } from "effect"
import { io, promised } from "./idb.ts"
import {
  indexName,
  LEDGER_KEY,
  learn,
  META,
  recordOf,
  type StoredRecord,
  storeIndexes,
  storeKeyPath,
  type TableInfo,
  TOMBSTONE_KEY_PATH,
  TOMBSTONES,
  TOMBSTONES_BY_ACCOUNT,
  uniqueIndexName
} from "./schema.ts"

/**
 * Applies the pending migrations inside the `versionchange` transaction of an upgrade (see the
 * module); succeeds with the ids applied. Fails with `Unsupported` when the database was migrated
 * by a newer SDK, with a StorageError when a step fails (the caller aborts the upgrade).
 *
 * The upgrade (the tombstones' rebuild first, then the runner's effect) only ever waits for this
 * transaction's requests, and never yields to the scheduler (which would let the event loop turn,
 * and IndexedDB commit the transaction half done). `keyRange` is the environment's `IDBKeyRange`.
 */
export const upgrade = async (
  keyRange: typeof IDBKeyRange,
  db: IDBDatabase,
  tx: IDBTransaction,
  oldVersion: number,
  migrations: ReadonlyArray<Migration>
): Promise<ReadonlyArray<string>> => {
  if (oldVersion === 0 || !db.objectStoreNames.contains(META)) {
    db.createObjectStore(META)
    createTombstones(db)
  } else if (!sameKeyPath(tx.objectStore(TOMBSTONES).keyPath, TOMBSTONE_KEY_PATH)) {
    // Tombstones keyed [model, id] (before migration 0005): keyed by account too from now on.
    await rebuild(keyRange, db, tx, TOMBSTONES, () => createTombstones(db))
  }
  const meta = tx.objectStore(META)
  const doing = `opening the database ${db.name}`
  const tables = new Map<string, TableInfo>()
  let ledger: ReadonlyArray<string> = []
  const run: Effect.Effect<ReadonlyArray<string>, StorageError | Unsupported> = runMigrations(migrations, {
    applied: io(doing, async () => {
      const stored = await promised(meta.get(LEDGER_KEY))
      ledger = Array.isArray(stored) ? stored.map(String) : []
      return ledger
    }),
    replay: (migration) => {
      for (const step of migration.steps) learn(tables, step)
    },
    applyStep: (step) => io(doing, () => applyStep(keyRange, db, tx, tables, step)),
    applyAndRecord: (migration, steps) =>
      Effect.andThen(
        steps,
        io(doing, async () => {
          ledger = [...ledger, migration.id]
          await promised(meta.put(ledger, LEDGER_KEY))
        })
      )
  })
  return Effect.runPromise(run.pipe(Effect.provideService(Scheduler.PreventSchedulerYield, true)))
}

/** Makes the tombstones' store (keyed by model, account and id). */
const createTombstones = (db: IDBDatabase): IDBObjectStore => {
  const tombstones = db.createObjectStore(TOMBSTONES, { keyPath: [...TOMBSTONE_KEY_PATH] })
  tombstones.createIndex(TOMBSTONES_BY_ACCOUNT, ["k", "seq"])
  return tombstones
}

const sameKeyPath = (keyPath: string | ReadonlyArray<string> | null, expected: ReadonlyArray<string>): boolean =>
  Array.isArray(keyPath) && keyPath.length === expected.length && expected.every((part, i) => keyPath[i] === part)

/** Makes a model's object store with its key and every index its description lists (see `storeIndexes`). */
const createStore = (db: IDBDatabase, table: TableInfo): IDBObjectStore => {
  const store = db.createObjectStore(table.name, { keyPath: storeKeyPath(table) })
  for (const index of storeIndexes(table)) store.createIndex(index.name, index.keyPath, { unique: index.unique })
  return store
}

/** Records copied per request pair when a store is rebuilt. */
const COPY_BATCH = 2000

/**
 * Rebuilds the store `name` with another key: renames it aside, makes the new one (`create`),
 * copies every record over in batches of {@link COPY_BATCH} (in the old key order) and deletes the
 * old store. Only this transaction's requests are awaited (see {@link upgrade}).
 */
const rebuild = async (keyRange: typeof IDBKeyRange, db: IDBDatabase, tx: IDBTransaction, name: string, create: () => IDBObjectStore): Promise<void> => {
  const aside = `${name}@rebuilding`
  tx.objectStore(name).name = aside
  const old = tx.objectStore(aside)
  const store = create()
  let after: IDBValidKey | undefined
  for (;;) {
    const range = after === undefined ? undefined : keyRange.lowerBound(after, true)
    const [keys, values] = await Promise.all([promised(old.getAllKeys(range, COPY_BATCH)), promised(old.getAll(range, COPY_BATCH))])
    for (const value of values) store.put(value)
    after = keys[keys.length - 1]
    if (keys.length < COPY_BATCH) break
  }
  db.deleteObjectStore(aside)
}

const applyStep = async (
  keyRange: typeof IDBKeyRange,
  db: IDBDatabase,
  tx: IDBTransaction,
  tables: Map<string, TableInfo>,
  step: MigrationStep
): Promise<void> => {
  switch (step.op) {
    case "createModel": {
      if (db.objectStoreNames.contains(step.model)) db.deleteObjectStore(step.model)
      learn(tables, step)
      createStore(db, describedTable(tables, step.model, step.op))
      return
    }
    case "keyByAccount": {
      const keyed = tables.get(step.model)?.keyedByAccount
      learn(tables, step)
      const table = describedTable(tables, step.model, step.op)
      // A global catalogue stays keyed by id; a store keyed by account already has nothing to do.
      if (keyed === true || !table.keyedByAccount) return
      await rebuild(keyRange, db, tx, step.model, () => createStore(db, table))
      return
    }
    case "addColumn":
      learn(tables, step)
      return
    case "createIndex": {
      const store = tx.objectStore(step.model)
      const names = [indexName(step.index.name), uniqueIndexName(step.index.name)]
      for (const name of names) if (store.indexNames.contains(name)) store.deleteIndex(name)
      learn(tables, step)
      const table = describedTable(tables, step.model, step.op)
      // Recompute the index keys (`k`, `u`) of existing rows before the indexes exist: a
      // duplicate unique key then fails the index creation, which aborts the whole upgrade.
      await new Promise<void>((resolve, reject) => {
        const request = store.openCursor()
        request.onerror = () => reject(request.error)
        request.onsuccess = () => {
          const cursor = request.result
          if (cursor === null) return resolve()
          const record = cursor.value as StoredRecord
          cursor.update(recordOf(table, record.r, record.s))
          cursor.continue()
        }
      })
      for (const index of storeIndexes(table)) if (names.includes(index.name)) store.createIndex(index.name, index.keyPath, { unique: index.unique })
      return
    }
    case "dropIndex": {
      const store = tx.objectStore(step.model)
      for (const name of [indexName(step.name), uniqueIndexName(step.name)]) if (store.indexNames.contains(name)) store.deleteIndex(name)
      learn(tables, step)
      return
    }
  }
}

/** The description of a model a step just changed; a step on a model never created fails the upgrade. */
const describedTable = (tables: ReadonlyMap<string, TableInfo>, model: string, op: MigrationStep["op"]): TableInfo => {
  const table = tables.get(model)
  if (table === undefined) throw new Error(`${op} ${model}: no model ${model}`)
  return table
}
