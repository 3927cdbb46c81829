/**
 * Storage log import: N logs (100k; 1k under --smoke) on N/100 NFC cards at one org unit, sent
 * through `Storages.importLogs` in batches of 1,000 (each batch one unit of work: re-sent ids
 * looked up, devices found or created, org units checked, entries written, devices updated), per
 * store, beside raw inserts of the very rows the SDK stored (read back from its tables) into a
 * second copy of the same DDL, one transaction per 1,000 rows: better-sqlite3 prepared inserts;
 * PostgreSQL and PGlite one `json_populate_recordset` insert per batch; memory a `Map.set` per
 * entry. IndexedDB (fake-indexeddb in Node) has no raw baseline here. Ratio = raw time / SDK time.
 * Then M logs (10k; 1k under --smoke) where every log moves its card to another facility, so each
 * batch also rewrites 1,000 devices (one guarded UPDATE each in the SQL stores), beside the first
 * variant's time per log.
 *
 * Run alone: `node --conditions=@iaso/source bench/storage-logs.ts [--smoke] [--stores memory,sqlite]`; `npm run bench` runs it too.
 */
import "fake-indexeddb/auto"
import { IDBFactory } from "fake-indexeddb"
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { SqliteStore } from "@iaso/adapter-sqlite"
import {
  Accounts,
  Actor,
  CurrentActor,
  MemoryStore,
  type OrgUnitId,
  OrgUnits,
  type Store,
  type StorageLogInput,
  Storages,
  UserModel,
  type UserId
} from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { PGlite } from "@electric-sql/pglite"
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"

/** Logs per `importLogs` call (one unit of work), and per raw transaction. */
const BATCH = 1000

/** Inserts rows read from the SDK's tables into a raw copy of its DDL, one transaction per call. */
interface RawCopy {
  readonly read: (table: string) => Promise<ReadonlyArray<Record<string, unknown>>>
  readonly insert: (table: string, rows: ReadonlyArray<Record<string, unknown>>) => Promise<void>
  readonly close: () => Promise<void>
}

interface Target {
  readonly name: string
  readonly store: () => Layer.Layer<Store, unknown>
  readonly raw?: () => Promise<RawCopy>
  readonly close?: () => Promise<void>
}

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`

/** A PostgreSQL raw copy (pg or PGlite): one `json_populate_recordset` insert per call. */
const pgCopy = (
  readSdk: (text: string) => Promise<ReadonlyArray<Record<string, unknown>>>,
  writeRaw: (text: string, values: ReadonlyArray<unknown>) => Promise<void>,
  close: () => Promise<void>
): RawCopy => ({
  read: (table) => readSdk(`SELECT * FROM "${table}"`),
  insert: (table, rows) => writeRaw(`INSERT INTO "${table}" SELECT * FROM json_populate_recordset(NULL::"${table}", $1::json)`, [JSON.stringify(rows)]),
  close
})

/** Runs the storage-log bench on each store (`only` filters by store name) and returns its table rows. */
export const storageLogBench = async (options: {
  readonly count: number
  /** Logs of the variant where every log moves its card. */
  readonly movingCount: number
  readonly only?: ReadonlySet<string> | undefined
  readonly databaseUrl: string
}): Promise<ReadonlyArray<Record<string, string>>> => {
  const rows: Array<Record<string, string>> = []
  let peakRss = 0
  const sampleRss = () => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  const timer = setInterval(sampleRss, 50)
  const dir = mkdtempSync(join(tmpdir(), "iaso-bench-storage-"))
  const sdkFile = join(dir, "sdk.sqlite")
  const targets: Array<Target> = [
    { name: "memory", store: () => MemoryStore.layer() },
    {
      name: "sqlite (file)",
      store: () => SqliteStore.layer({ filename: sdkFile }),
      raw: async () => {
        const rawFile = join(dir, "raw.sqlite")
        const creating = ManagedRuntime.make(SqliteStore.layer({ filename: rawFile }))
        await creating.runPromise(Effect.void)
        await creating.dispose()
        const raw = new Database(rawFile)
        raw.pragma("journal_mode = WAL")
        raw.pragma("synchronous = NORMAL")
        const sdk = new Database(sdkFile, { readonly: true })
        const statements = new Map<string, Database.Statement>()
        return {
          read: async (table) => sdk.prepare(`SELECT * FROM "${table}"`).all() as ReadonlyArray<Record<string, unknown>>,
          insert: async (table, batch) => {
            const first = batch[0]
            if (first === undefined) return
            const columns = Object.keys(first)
            const key = `${table}:${columns.join(",")}`
            let statement = statements.get(key)
            if (statement === undefined) {
              statement = raw.prepare(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`)
              statements.set(key, statement)
            }
            const insert = statement
            raw.transaction(() => {
              for (const row of batch) insert.run(row)
            })()
          },
          close: async () => {
            raw.close()
            sdk.close()
          }
        }
      }
    }
  ]
  if (options.only === undefined || options.only.has("pglite")) {
    const sdkLite = await PGlite.create()
    targets.push({
      name: "pglite",
      store: () => PGliteStore.layer({ pglite: sdkLite }),
      raw: async () => {
        const rawLite = await PGlite.create()
        const creating = ManagedRuntime.make(PGliteStore.layer({ pglite: rawLite }))
        await creating.runPromise(Effect.void)
        await creating.dispose()
        return pgCopy(
          async (text) => (await sdkLite.query<Record<string, unknown>>(text)).rows,
          async (text, values) => {
            await rawLite.transaction(async (tx) => {
              await tx.query(text, [...values])
            })
          },
          async () => {
            await rawLite.close()
            await sdkLite.close()
          }
        )
      }
    })
  }
  targets.push({ name: "indexeddb (fake)", store: () => IndexedDbStore.layer({ name: `storage-${process.pid}`, indexedDB: new IDBFactory() }) })
  if (options.databaseUrl !== "") {
    const schema = `iaso_bench_storage_${process.pid}`
    const admin = new pg.Pool({ connectionString: options.databaseUrl, max: 1 })
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}_raw`)
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4, options: `-c search_path=${schema}` })
    targets.push({
      name: "postgres",
      store: () => PostgresStore.layer({ pool }),
      raw: async () => {
        const rawPool = new pg.Pool({ connectionString: options.databaseUrl, max: 1, options: `-c search_path=${schema}_raw` })
        const creating = ManagedRuntime.make(PostgresStore.layer({ pool: rawPool }))
        await creating.runPromise(Effect.void)
        await creating.dispose()
        return pgCopy(
          async (text) => (await pool.query(text)).rows as ReadonlyArray<Record<string, unknown>>,
          async (text, values) => {
            const connection = await rawPool.connect()
            try {
              await connection.query("BEGIN")
              await connection.query(text, [...values])
              await connection.query("COMMIT")
            } finally {
              connection.release()
            }
          },
          async () => {
            await rawPool.end()
          }
        )
      },
      close: async () => {
        await pool.end()
        await admin.query(`DROP SCHEMA ${schema} CASCADE`)
        await admin.query(`DROP SCHEMA ${schema}_raw CASCADE`)
        await admin.end()
      }
    })
  }
  try {
    for (const target of targets.filter((t) => options.only === undefined || options.only.has(t.name.split(" ")[0] ?? t.name))) {
      const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(target.store())))
      const { accountId, userId, orgUnitId, otherUnitId } = await app.runPromise(
        Effect.gen(function* () {
          const { account, version } = yield* (yield* Accounts).setup({ name: `bench storage ${target.name} ${Date.now()}` })
          const user = yield* (yield* Repos).insert(UserModel, account.id, {
            username: `nfc.${account.id}`,
            firstName: "",
            lastName: "",
            email: "",
            isActive: true
          })
          const units = yield* OrgUnits
          const system = Actor.system(account.id)
          const unit = yield* units.create({ name: "Facility", versionId: version.id }).pipe(Effect.provideService(CurrentActor, system))
          const other = yield* units.create({ name: "Other facility", versionId: version.id }).pipe(Effect.provideService(CurrentActor, system))
          return { accountId: account.id, userId: user.id as UserId, orgUnitId: unit.id as OrgUnitId, otherUnitId: other.id as OrgUnitId }
        })
      )
      const actor = Actor.user({ accountId, userId, permissions: [] })
      /**
       * One variant: `count` logs on count/100 cards staying at their facility (devices written
       * once, when created); `moving`: on 1,000 cards, each batch naming every card once and moving
       * it to the other facility (every batch after the first rewrites 1,000 devices).
       */
      const variant = async (count: number, moving: boolean, prefix: string) => {
        const cards = moving ? Math.min(count, BATCH) : Math.max(1, Math.floor(count / 100))
        const logs: Array<StorageLogInput> = Array.from({ length: count }, (_, n) => ({
          id: globalThis.crypto.randomUUID(),
          storageId: `${prefix}-${n % cards}`,
          storageType: "NFC",
          operationType: n % 2 === 0 ? "READ" : "WRITE_RECORD",
          orgUnitId: moving && Math.floor(n / cards) % 2 === 1 ? otherUnitId : orgUnitId,
          performedAt: 1_733_226_445 + n
        }))
        const start = performance.now()
        let created = 0
        for (let from = 0; from < logs.length; from += BATCH) {
          const result = await app.runPromise(
            Effect.flatMap(Effect.service(Storages), (storages) => storages.importLogs(logs.slice(from, from + BATCH))).pipe(
              Effect.provideService(CurrentActor, actor)
            )
          )
          created += result.created.length
        }
        const sdkTime = performance.now() - start
        if (created !== logs.length) throw new Error(`${target.name}: importLogs created ${created} of ${logs.length} entries`)
        sampleRss()
        return { logs, cards, sdkTime }
      }
      const still = await variant(options.count, false, "CARD")
      const moved = await variant(options.movingCount, true, "MOVING")
      let rawTime: number | undefined
      const copy = await target.raw?.()
      if (copy !== undefined) {
        // The rows of the first variant, read back from the SDK's tables.
        const devices = (await copy.read("StorageDevice")).filter((row) => String(row["customerChosenId"]).startsWith("CARD-"))
        const ids = new Set(devices.map((row) => String(row["id"])))
        const entries = (await copy.read("StorageLogEntry")).filter((row) => ids.has(String(row["deviceId"])))
        if (entries.length !== still.logs.length || devices.length !== still.cards)
          throw new Error(`${target.name}: read back ${entries.length} entries, ${devices.length} devices`)
        const rawStart = performance.now()
        await copy.insert("StorageDevice", devices)
        for (let from = 0; from < entries.length; from += BATCH) await copy.insert("StorageLogEntry", entries.slice(from, from + BATCH))
        rawTime = performance.now() - rawStart
        await copy.close()
      } else if (target.name === "memory") {
        const map = new Map<string, unknown>()
        const rawStart = performance.now()
        for (const log of still.logs) map.set(log.id, { ...log, performedAt: new Date(Number(log.performedAt) * 1000) })
        rawTime = performance.now() - rawStart
      }
      sampleRss()
      const rate = (count: number, time: number) => `${ms(time)} (${Math.round((count / time) * 1000)}/s)`
      rows.push({
        work: `import ${still.logs.length} storage logs on ${still.cards} cards staying put, ${BATCH} a call, vs raw inserts of the stored rows`,
        adapter: target.name,
        sdk: rate(still.logs.length, still.sdkTime),
        raw: rawTime === undefined ? "-" : rate(still.logs.length, rawTime),
        ratio: rawTime === undefined ? "-" : (rawTime / still.sdkTime).toFixed(2),
        "peak RSS": `${Math.round(peakRss / 2 ** 20)} MB`
      })
      rows.push({
        work: `import ${moved.logs.length} logs on ${moved.cards} cards each moving (${moved.cards} device updates a call after the first), vs the same count staying put (ratio: still / moving time per log)`,
        adapter: target.name,
        sdk: rate(moved.logs.length, moved.sdkTime),
        raw: rate(still.logs.length, still.sdkTime),
        ratio: (still.sdkTime / still.logs.length / (moved.sdkTime / moved.logs.length)).toFixed(2),
        "peak RSS": `${Math.round(peakRss / 2 ** 20)} MB`
      })
      await app.dispose()
    }
  } finally {
    for (const target of targets) await target.close?.()
    clearInterval(timer)
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}

if (process.argv[1]?.endsWith("storage-logs.ts")) {
  const args = process.argv.slice(2)
  const stores = args.includes("--stores") ? args[args.indexOf("--stores") + 1] : undefined
  const rows = await storageLogBench({
    count: args.includes("--smoke") ? 1000 : 100_000,
    movingCount: args.includes("--smoke") ? 1000 : 10_000,
    only: stores === undefined ? undefined : new Set(stores.split(",")),
    databaseUrl: process.env["DATABASE_URL"] ?? ""
  })
  console.table(rows)
}
