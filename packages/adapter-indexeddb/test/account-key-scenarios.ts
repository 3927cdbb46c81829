/**
 * Ids unique per account (migration 0005): the stores of account models are keyed by account and
 * id, so another account's id behaves exactly as a random id. A database made before (0001-0004:
 * stores and tombstones keyed by id) is rebuilt by its upgrade, keeping its records, indexes and
 * change feed; on either, two accounts' records of one id never touch each other. Run on
 * fake-indexeddb (`account-keys.test.ts`) and in Chromium (`account-keys.browser.test.ts`).
 */
import { type IndexedDbDriver, makeIndexedDbDriver } from "@iaso/adapter-indexeddb"
import {
  CORE_MIGRATIONS,
  foldMigrations,
  type Migration,
  type MigrationStep,
  type ModelMeta,
  type Row,
  type StoreScope,
  type WriteOp,
  type WriteOutcome
} from "@iaso/core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { rawOpen, snapshot } from "./support.ts"

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

const SCHEMAS = foldMigrations(CORE_MIGRATIONS)
const meta = (name: string): ModelMeta => {
  const schema = SCHEMAS.get(name)
  if (schema === undefined) throw new Error(`no model ${name}`)
  return { name: schema.model, scope: schema.scope, columns: schema.columns, indexes: schema.indexes }
}
/** An account model with a unique index across accounts (`appId`). */
const PROJECT = meta("Project")
/** An account model with a unique index per account (`[accountId, name]`). */
const ROLE = meta("UserRole")
/** A global catalogue (keyed by id) with a unique index (`code`). */
const FLAG = meta("FeatureFlag")

/** Every model of the SDK created at once as declared now: the account models keyed by account from the start. */
const CREATED_KEYED: ReadonlyArray<Migration> = [
  {
    id: "keyed",
    steps: [...SCHEMAS.values()].flatMap(
      (schema): Array<MigrationStep> => [
        {
          op: "createModel",
          model: schema.model,
          scope: schema.scope,
          columns: schema.columns,
          ...(schema.hierarchy === undefined ? {} : { hierarchy: schema.hierarchy }),
          ...(schema.keyedByAccount === undefined ? {} : { keyedByAccount: schema.keyedByAccount })
        },
        ...schema.indexes.map((index): MigrationStep => ({ op: "createIndex", model: schema.model, index }))
      ]
    )
  }
]

const A: StoreScope = { accountId: "acc-a" }
const B: StoreScope = { accountId: "acc-b" }
const GLOBAL: StoreScope = { accountId: null }
const EVERY_ACCOUNT: StoreScope = { accountId: null, allAccounts: true }

const project = (scope: StoreScope, id: string, fields: Record<string, unknown> = {}): Row => ({
  id,
  accountId: scope.accountId,
  version: 1,
  createdAt: 0,
  updatedAt: 0,
  name: `project ${id}`,
  needsAuthentication: false,
  description: "",
  ...fields
})
const role = (scope: StoreScope, id: string, name: string): Row => ({
  id,
  accountId: scope.accountId,
  version: 1,
  createdAt: 0,
  updatedAt: 0,
  name,
  permissions: []
})
const flag = (id: string, code: string): Row => ({
  id,
  version: 1,
  createdAt: 0,
  updatedAt: 0,
  code,
  name: code,
  requiresAuthentication: false,
  description: "",
  category: "",
  order: 0,
  isDangerous: false
})
const insert = (row: Row): WriteOp => ({ kind: "insert", row })
const WRITTEN = { _tag: "Written", seq: expect.any(Number) }

/** The writes' outcomes, each expected written. */
const expectWritten = (outcomes: ReadonlyArray<WriteOutcome>) => expect(outcomes).toEqual(outcomes.map(() => WRITTEN))

const namesOf = (list: DOMStringList): Array<string> => Array.from({ length: list.length }, (_, i) => list.item(i) ?? "")

interface StoreShape {
  readonly keyPath: string | Array<string> | null
  readonly autoIncrement: boolean
  readonly indexes: ReadonlyArray<readonly [string, string | Array<string>, boolean, boolean]>
}

/** Every object store of a database: its key path and indexes (name, key path, unique, multiEntry). */
const layout = async (factory: IDBFactory, name: string): Promise<Record<string, StoreShape>> => {
  const db = await rawOpen(factory, name)
  try {
    const names = namesOf(db.objectStoreNames)
    const tx = db.transaction(names, "readonly")
    const out: Record<string, StoreShape> = {}
    for (const storeName of names) {
      const store = tx.objectStore(storeName)
      const indexes = namesOf(store.indexNames).map((index) => {
        const { keyPath, unique, multiEntry } = store.index(index)
        return [index, keyPath, unique, multiEntry] as const
      })
      out[storeName] = { keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes }
    }
    return out
  } finally {
    db.close()
  }
}

const promised = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

/** Every record of a store, read by a raw connection. */
const rawAll = async (factory: IDBFactory, name: string, store: string): Promise<ReadonlyArray<unknown>> => {
  const db = await rawOpen(factory, name)
  try {
    return await promised(db.transaction([store], "readonly").objectStore(store).getAll())
  } finally {
    db.close()
  }
}

/**
 * Copies the database `from` (its version, stores, indexes and records) to `to`, with its
 * tombstones keyed `[model, id]`: a database as the SDK made it before migration 0005 (whose
 * stores of 0001-0004 are keyed by id, as they still are until 0005 re-keys them).
 */
const copyBeforeAccountKeys = async (factory: IDBFactory, from: string, to: string): Promise<void> => {
  const source = await rawOpen(factory, from)
  const names = namesOf(source.objectStoreNames)
  const read = source.transaction(names, "readonly")
  const stores = await Promise.all(
    names.map(async (name) => {
      const store = read.objectStore(name)
      const [keys, values] = await Promise.all([promised(store.getAllKeys()), promised(store.getAll())])
      const indexes = namesOf(store.indexNames).map((index) => store.index(index))
      return {
        name,
        keyPath: store.keyPath,
        indexes: indexes.map((index) => ({ name: index.name, keyPath: index.keyPath, unique: index.unique })),
        keys,
        values
      }
    })
  )
  const version = source.version
  source.close()
  await new Promise<void>((resolve, reject) => {
    const request = factory.open(to, version)
    request.onupgradeneeded = () => {
      for (const store of stores) {
        const keyPath = store.name === "_tombstones" ? ["model", "id"] : store.keyPath
        const made = request.result.createObjectStore(store.name, keyPath === null ? {} : { keyPath })
        for (const index of store.indexes) made.createIndex(index.name, index.keyPath, { unique: index.unique })
        store.values.forEach((value, i) => {
          if (keyPath === null) made.put(value, store.keys[i])
          else made.put(value)
        })
      }
    }
    request.onsuccess = () => {
      request.result.close()
      resolve()
    }
    request.onerror = () => reject(request.error)
  })
}

/** The committed rows of a model with their change sequences. */
const rowsOf = (driver: IndexedDbDriver, model: ModelMeta) => run(driver.inspect(model))

/**
 * The tests, on the IndexedDB of `environment`: `factoryOf` gives the factory of a test, `nameOf`
 * the name of each of its databases (unique in a browser, whose databases may outlive a run).
 */
export const accountKeyTests = (environment: string, factoryOf: () => IDBFactory, nameOf: (name: string) => string): void => {
  describe(`IndexedDB store (${environment}): ids unique per account`, () => {
    it("a database created before account keys (0001-0004) keeps its records, indexes and feed after upgrading, and another account can then use the same id", async () => {
      const factory = factoryOf()
      const madeBefore = nameOf("made-before")
      const beforeKeys = nameOf("before-keys")
      const madeAfter = nameOf("made-after")
      const madeKeyed = nameOf("made-keyed")
      const older = await run(makeIndexedDbDriver({ name: madeBefore, indexedDB: factory }))
      expect(await run(older.migrate(CORE_MIGRATIONS.slice(0, 4)))).toEqual(CORE_MIGRATIONS.slice(0, 4).map((m) => m.id))
      expectWritten(
        await run(
          older.write(PROJECT, A, [insert(project(A, "p1", { appId: "app-1" })), insert(project(A, "p2", { appId: "app-2" })), insert(project(A, "p3"))])
        )
      )
      expectWritten(
        await run(
          older.write(PROJECT, A, [
            { kind: "update", row: project(A, "p2", { appId: "app-2", name: "renamed", version: 2 }), expectedVersion: 1 },
            { kind: "delete", id: "p3" }
          ])
        )
      )
      expectWritten(await run(older.write(ROLE, A, [insert(role(A, "r1", "admin")), insert(role(A, "r2", "viewer"))])))
      expectWritten(await run(older.write(FLAG, GLOBAL, [insert(flag("f1", "one")), insert(flag("f2", "two"))])))
      expectWritten(await run(older.write(FLAG, GLOBAL, [{ kind: "delete", id: "f2" }])))
      const before = { projects: await rowsOf(older, PROJECT), roles: await rowsOf(older, ROLE), flags: await rowsOf(older, FLAG) }
      const feed = await run(older.changesSince("acc-a", 0, 100))
      expect(feed.map((c) => [c.model, c.id, c.deleted])).toEqual([
        ["Project", "p1", false],
        ["Project", "p2", false],
        ["Project", "p3", true],
        ["UserRole", "r1", false],
        ["UserRole", "r2", false],
        ["FeatureFlag", "f1", false],
        ["FeatureFlag", "f2", true]
      ])
      await run(older.close)
      await copyBeforeAccountKeys(factory, madeBefore, beforeKeys)
      const old = await layout(factory, beforeKeys)
      expect([old["Project"]?.keyPath, old["_tombstones"]?.keyPath]).toEqual(["r.id", ["model", "id"]])
      const stored = await snapshot(factory, beforeKeys, ["Project", "UserRole", "FeatureFlag", "_tombstones"])
      expect([stored.version, stored.counts]).toEqual([4, { Project: 2, UserRole: 2, FeatureFlag: 1, _tombstones: 2 }])

      const driver = await run(makeIndexedDbDriver({ name: beforeKeys, indexedDB: factory }))
      expect(await run(driver.migrate(CORE_MIGRATIONS))).toEqual(CORE_MIGRATIONS.slice(4).map((m) => m.id))
      const upgraded = await snapshot(factory, beforeKeys, ["Project", "UserRole", "FeatureFlag", "_tombstones"])
      expect(upgraded).toEqual({ ...stored, version: CORE_MIGRATIONS.length, ledger: CORE_MIGRATIONS.map((m) => m.id) })
      // Every store as a database made with migration 0005 has it, and as one whose models are
      // created keyed by account: keys, indexes, nothing left aside.
      const now = await layout(factory, beforeKeys)
      for (const [name, migrations] of [
        [madeAfter, CORE_MIGRATIONS],
        [madeKeyed, CREATED_KEYED]
      ] as const) {
        const fresh = await run(makeIndexedDbDriver({ name, indexedDB: factory }))
        await run(fresh.migrate(migrations))
        await run(fresh.close)
        expect(now, name).toEqual(await layout(factory, name))
      }
      expect([now["Project"]?.keyPath, now["_tombstones"]?.keyPath]).toEqual([
        ["r.accountId", "r.id"],
        ["model", "k", "id"]
      ])
      expect(now["Project"]?.indexes.map(([name]) => name)).toEqual(["@seq", "i:project_app_id_unique", "u:project_app_id_unique"])
      expect(now["FeatureFlag"]?.keyPath).toBe("r.id")
      expect({ projects: await rowsOf(driver, PROJECT), roles: await rowsOf(driver, ROLE), flags: await rowsOf(driver, FLAG) }).toEqual(before)
      expect(await run(driver.changesSince("acc-a", 0, 100))).toEqual(feed)

      // The unique indexes still refuse duplicates (across accounts, per account, global).
      expect(await run(driver.write(ROLE, A, [insert(role(A, "r3", "admin"))]))).toEqual([{ _tag: "Duplicate", constraint: "user_role_name_unique" }])
      expect(await run(driver.write(PROJECT, B, [insert(project(B, "p9", { appId: "app-1" }))]))).toEqual([
        { _tag: "Duplicate", constraint: "project_app_id_unique" }
      ])
      expect(await run(driver.write(FLAG, GLOBAL, [insert(flag("f3", "one"))]))).toEqual([{ _tag: "Duplicate", constraint: "feature_flag_code_unique" }])
      expect(await run(driver.write(PROJECT, A, [insert(project(A, "p1", { appId: "other" }))]))).toEqual([{ _tag: "Duplicate", constraint: "id" }])
      // Another account uses A's ids (and A's role name), as any other id.
      expectWritten(await run(driver.write(PROJECT, B, [insert(project(B, "p1", { appId: "app-b" })), insert(project(B, "p3"))])))
      expectWritten(await run(driver.write(ROLE, B, [insert(role(B, "r1", "admin"))])))
      expect(await run(driver.getMany(PROJECT, A, ["p1"]))).toEqual([before.projects[0]?.row])
      expect(await run(driver.getMany(PROJECT, B, ["p1"]))).toEqual([project(B, "p1", { appId: "app-b" })])
      expect(await run(driver.changesSince("acc-a", 0, 100))).toEqual(feed)
      // The tombstone made before the upgrade is found again: A writing p3 again removes it.
      expectWritten(await run(driver.write(PROJECT, A, [insert(project(A, "p3"))])))
      const after = await run(driver.changesSince("acc-a", 0, 100))
      expect(after.filter((c) => c.id === "p3").map((c) => [c.model, c.deleted])).toEqual([["Project", false]])
      expect(await rawAll(factory, beforeKeys, "_tombstones")).toEqual([
        { model: "FeatureFlag", id: "f2", accountId: null, seq: expect.any(Number), version: 1, k: "" }
      ])
      await run(driver.close)
    })

    it("on a fresh database, two accounts' records of one id are two records: reads, writes, tombstones and change feeds of one never touch the other's", async () => {
      const factory = factoryOf()
      const sameIds = nameOf("same-ids")
      const driver = await run(makeIndexedDbDriver({ name: sameIds, indexedDB: factory }))
      await run(driver.migrate(CORE_MIGRATIONS))
      const mine = project(A, "p1", { appId: "a" })
      expectWritten(await run(driver.write(PROJECT, A, [insert(mine)])))
      expectWritten(await run(driver.write(PROJECT, B, [insert(project(B, "p1", { appId: "b" }))])))
      expect(await run(driver.write(PROJECT, B, [insert(project(B, "p1"))]))).toEqual([{ _tag: "Duplicate", constraint: "id" }])
      expectWritten(await run(driver.write(ROLE, A, [insert(role(A, "r1", "admin"))])))
      expectWritten(await run(driver.write(ROLE, B, [insert(role(B, "r1", "admin"))])))

      // Reads: by id, by query, counts; every account's rows (host-level reads) hold both.
      expect(await run(driver.getMany(PROJECT, A, ["p1"]))).toEqual([mine])
      expect(await run(driver.query(PROJECT, B, { where: [{ field: "id", op: "eq", value: "p1" }], orderBy: [] }))).toEqual([project(B, "p1", { appId: "b" })])
      expect(await run(driver.count(PROJECT, A, []))).toBe(1)
      const both = await run(driver.getMany(PROJECT, EVERY_ACCOUNT, ["p1"]))
      expect(both.map((row) => row["accountId"]).sort()).toEqual(["acc-a", "acc-b"])
      const ordered = await run(
        driver.query(PROJECT, EVERY_ACCOUNT, { where: [{ field: "id", op: "eq", value: "p1" }], orderBy: [{ field: "id", direction: "asc" }], limit: 5 })
      )
      expect(ordered.length).toBe(2)

      // Writes in B never reach A's record of the same id.
      expectWritten(
        await run(driver.write(PROJECT, B, [{ kind: "update", row: project(B, "p1", { appId: "b", name: "theirs", version: 2 }), expectedVersion: 1 }]))
      )
      expect(await run(driver.write(PROJECT, A, [{ kind: "update", row: project(A, "p1", { version: 3 }), expectedVersion: 2 }]))).toEqual([
        { _tag: "StaleVersion", actual: 1 }
      ])
      expectWritten(await run(driver.write(PROJECT, B, [{ kind: "delete", id: "p1" }])))
      expect(await run(driver.getMany(PROJECT, B, ["p1"]))).toEqual([])
      expect(await run(driver.getMany(PROJECT, A, ["p1"]))).toEqual([mine])
      expect((await run(driver.changesSince("acc-a", 0, 100))).map((c) => [c.model, c.id, c.deleted])).toEqual([
        ["Project", "p1", false],
        ["UserRole", "r1", false]
      ])
      expect((await run(driver.changesSince("acc-b", 0, 100))).map((c) => [c.model, c.id, c.accountId, c.deleted])).toEqual([
        ["UserRole", "r1", "acc-b", false],
        ["Project", "p1", "acc-b", true]
      ])
      // A tombstone in B neither hides nor removes A's record, and A's delete leaves B's tombstone alone.
      expectWritten(await run(driver.write(PROJECT, A, [{ kind: "delete", id: "p1" }])))
      expect((await rawAll(factory, sameIds, "_tombstones")).map((t) => (t as { readonly k: string }).k).sort()).toEqual(["acc-a", "acc-b"])
      expectWritten(await run(driver.write(PROJECT, B, [insert(project(B, "p1"))])))
      expect((await rawAll(factory, sameIds, "_tombstones")).map((t) => (t as { readonly k: string }).k)).toEqual(["acc-a"])
      expect((await run(driver.changesSince("acc-a", 0, 100))).filter((c) => c.model === "Project").map((c) => [c.id, c.deleted])).toEqual([["p1", true]])
      expect((await run(driver.changesSince("acc-b", 0, 100))).filter((c) => c.model === "Project").map((c) => [c.id, c.deleted])).toEqual([["p1", false]])

      // Inside a unit of work, the same: its writes in one account leave the other's records alone.
      const inside = await run(
        driver.transaction(
          Effect.gen(function* () {
            yield* driver.write(PROJECT, A, [insert(project(A, "p2", { name: "mine" }))])
            yield* driver.write(PROJECT, B, [insert(project(B, "p2", { name: "theirs" }))])
            yield* driver.write(PROJECT, B, [{ kind: "delete", id: "p2" }])
            return {
              mine: yield* driver.getMany(PROJECT, A, ["p2"]),
              theirs: yield* driver.getMany(PROJECT, B, ["p2"]),
              listed: yield* driver.query(PROJECT, A, { where: [], orderBy: [{ field: "id", direction: "asc" }] }),
              counted: yield* driver.count(PROJECT, B, []),
              every: yield* driver.getMany(PROJECT, EVERY_ACCOUNT, ["p2"])
            }
          })
        )
      )
      expect(inside.mine.map((row) => row["name"])).toEqual(["mine"])
      expect(inside.theirs).toEqual([])
      expect(inside.listed.map((row) => [row["id"], row["accountId"]])).toEqual([["p2", "acc-a"]])
      expect(inside.counted).toBe(1)
      expect(inside.every.map((row) => row["accountId"])).toEqual(["acc-a"])
      expect((await run(driver.getMany(PROJECT, A, ["p2"]))).map((row) => row["name"])).toEqual(["mine"])
      expect(await run(driver.getMany(PROJECT, B, ["p2"]))).toEqual([])
      expect((await run(driver.changesSince("acc-a", 0, 100))).filter((c) => c.id === "p2").map((c) => [c.accountId, c.deleted])).toEqual([["acc-a", false]])
      expect((await run(driver.changesSince("acc-b", 0, 100))).filter((c) => c.id === "p2").map((c) => [c.accountId, c.deleted])).toEqual([["acc-b", true]])
      await run(driver.close)
    })
  })
}
