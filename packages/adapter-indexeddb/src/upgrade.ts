/**
 * Migrations applied inside the `versionchange` transaction of an upgrade, through core's
 * migration runner: the ledger read from `_meta`, each pending migration's steps turned into
 * object stores and indexes, and each migration recorded in the ledger. The whole upgrade is one
 * IndexedDB transaction: any failure aborts it, so none of its migrations stays.
 * @module
 */
import { type Migration, type MigrationStep, runMigrations, type StorageError, type Unsupported } from "@iaso/core"
import { Effect, Scheduler } from "effect"
import { io, promised } from "./idb.ts"
import {
  ACCOUNT_INDEX,
  indexKeyPath,
  indexName,
  LEDGER_KEY,
  learn,
  META,
  recordOf,
  SEQ_INDEX,
  type StoredRecord,
  type TableInfo,
  TOMBSTONES,
  TOMBSTONES_BY_ACCOUNT,
  uniqueIndexName
} from "./schema.ts"

/**
 * Applies the pending migrations inside the `versionchange` transaction of an upgrade (see the
 * module); succeeds with the ids applied. Fails with `Unsupported` when the database was migrated
 * by a newer SDK, with a StorageError when a step fails (the caller aborts the upgrade).
 *
 * The runner's effect only ever waits for this transaction's requests, and never yields to the
 * scheduler (which would let the event loop turn, and IndexedDB commit the transaction half done).
 */
export const upgrade = (db: IDBDatabase, tx: IDBTransaction, oldVersion: number, migrations: ReadonlyArray<Migration>): Promise<ReadonlyArray<string>> => {
  if (oldVersion === 0 || !db.objectStoreNames.contains(META)) {
    db.createObjectStore(META)
    const tombstones = db.createObjectStore(TOMBSTONES, { keyPath: ["model", "id"] })
    tombstones.createIndex(TOMBSTONES_BY_ACCOUNT, ["k", "seq"])
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
    applyStep: (step) => io(doing, () => applyStep(db, tx, tables, step)),
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

const applyStep = async (db: IDBDatabase, tx: IDBTransaction, tables: Map<string, TableInfo>, step: MigrationStep): Promise<void> => {
  switch (step.op) {
    case "createModel": {
      if (db.objectStoreNames.contains(step.model)) db.deleteObjectStore(step.model)
      const store = db.createObjectStore(step.model, { keyPath: "r.id" })
      if (step.scope === "account") store.createIndex(ACCOUNT_INDEX, ["r.accountId", "r.id"])
      store.createIndex(SEQ_INDEX, step.scope === "account" ? ["r.accountId", "s", "r.version"] : ["s", "r.version"])
      learn(tables, step)
      return
    }
    case "addColumn":
      learn(tables, step)
      return
    case "createIndex": {
      const store = tx.objectStore(step.model)
      for (const name of [indexName(step.index.name), uniqueIndexName(step.index.name)]) if (store.indexNames.contains(name)) store.deleteIndex(name)
      learn(tables, step)
      const table = tables.get(step.model)
      if (table === undefined) throw new Error(`createIndex ${step.index.name}: no model ${step.model}`)
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
      if (table.indexes.some((index) => index.name === step.index.name)) {
        store.createIndex(indexName(step.index.name), indexKeyPath(table, step.index.fields))
      }
      const unique = table.uniques.find((u) => u.name === step.index.name)
      if (unique !== undefined) store.createIndex(unique.idbName, `u.${unique.prop}`, { unique: true })
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
