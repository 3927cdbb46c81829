/**
 * What is particular to the IndexedDB store (the conformance suite covers the port): reopening,
 * refusing a newer database, blocked upgrades and other tabs, units of work that fail (in the SDK
 * or at the commit), relaxed durability, the blob store, two connections writing to one database,
 * and queries answered from indexes (checked against the reference semantics and by their plans).
 */
import "fake-indexeddb/auto"
import { IndexedDbBlobStore, type IndexedDbDriver, IndexedDbStore, makeIndexedDbDriver } from "@iaso/adapter-indexeddb"
import {
  Accounts,
  Actor,
  BlobStore,
  type Column,
  type Condition,
  CORE_MIGRATIONS,
  CurrentActor,
  Iaso,
  type Migration,
  type ModelMeta,
  type OrderBy,
  type OrgUnit,
  OrgUnits,
  ProjectModel,
  Records,
  type Row,
  runQuery,
  type Scalar,
  StorageError,
  Store,
  type StoreQuery,
  Unsupported
} from "@iaso/core"
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { IDBFactory } from "fake-indexeddb"
import { describe, expect, it } from "vitest"

const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown => (Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined)

const app = (
  factory: IDBFactory,
  name: string,
  extra: { readonly durability?: IDBTransactionDurability; readonly migrations?: ReadonlyArray<Migration> } = {}
) => ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(IndexedDbStore.layer({ name, indexedDB: factory, ...extra }))))

/** Opens a raw connection (another tab) at the current version. */
const rawOpen = (factory: IDBFactory, name: string): Promise<IDBDatabase> =>
  new Promise((resolve, reject) => {
    const request = factory.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

const rawGet = (db: IDBDatabase, store: string, key: IDBValidKey): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const request = db.transaction([store], "readonly").objectStore(store).get(key)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

const rawCount = (db: IDBDatabase, store: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const request = db.transaction([store], "readonly").objectStore(store).count()
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

/** What a raw reader sees of a database: its version, ledger, change counter and row counts. */
const snapshot = async (factory: IDBFactory, name: string, stores: ReadonlyArray<string>) => {
  const db = await rawOpen(factory, name)
  try {
    const counts: Record<string, number> = {}
    for (const store of stores) counts[store] = await rawCount(db, store)
    return { version: db.version, ledger: await rawGet(db, "_meta", "ledger"), seq: await rawGet(db, "_meta", "seq"), counts }
  } finally {
    db.close()
  }
}

describe("IndexedDB store: persistence and migrations", () => {
  it("reopening a database after closing it finds every record", async () => {
    const factory = new IDBFactory()
    const first = app(factory, "reopen")
    const made = await first.runPromise(
      Effect.gen(function* () {
        const { account } = yield* Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Reopened" }))
        return yield* Effect.provideService(
          Effect.gen(function* () {
            const units = yield* OrgUnits
            const { version } = { version: (yield* Effect.flatMap(Effect.service(Accounts), (a) => a.current)).defaultVersionId }
            const versionId = version as OrgUnit["versionId"]
            const root = yield* units.create({ name: "Sierra Leone", versionId })
            const south = yield* units.create({ name: "Southern", versionId, parentId: root.id })
            const bo = yield* units.create({ name: "Bo", versionId, parentId: south.id })
            return { accountId: account.id, root, south, bo }
          }),
          CurrentActor,
          Actor.system(account.id)
        )
      })
    )
    await first.dispose()

    const second = app(factory, "reopen")
    const found = await second.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName("Reopened")))
    expect(found._tag === "Some" ? found.value.id : undefined).toBe(made.accountId)
    const below = await second.runPromise(
      Effect.flatMap(Effect.service(OrgUnits), (u) => u.descendants(made.root.id, { orderBy: [{ field: "depth" }] })).pipe(
        Effect.provideService(CurrentActor, Actor.system(made.accountId))
      )
    )
    expect(below.items.map((unit) => [unit.name, unit.path, unit.depth])).toEqual([
      ["Southern", `${made.root.id}/${made.south.id}/`, 2],
      ["Bo", `${made.root.id}/${made.south.id}/${made.bo.id}/`, 3]
    ])
    expect(await second.runPromise(Effect.flatMap(Effect.service(Store), (store) => store.migrate(CORE_MIGRATIONS)))).toEqual([])
    await second.dispose()
  })

  it("a database migrated by a newer SDK is refused with Unsupported naming the unknown migrations, and left as it was", async () => {
    const factory = new IDBFactory()
    const current = app(factory, "newer")
    await current.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Kept" })))
    await current.dispose()
    const before = await snapshot(factory, "newer", ["Account", "OrgUnit"])
    expect(before.version).toBe(CORE_MIGRATIONS.length)

    const older = ManagedRuntime.make(IndexedDbStore.layer({ name: "newer", indexedDB: factory, migrations: CORE_MIGRATIONS.slice(0, 1) }))
    const error = failureOf(await older.runPromiseExit(Effect.service(Store)))
    await older.dispose()
    expect(error).toBeInstanceOf(Unsupported)
    const message = (error as Unsupported).message
    expect(message).toContain("newer")
    for (const migration of CORE_MIGRATIONS.slice(1)) expect(message).toContain(migration.id)

    // Same number of migrations, but one this code does not know.
    const other: ReadonlyArray<Migration> = [...CORE_MIGRATIONS.slice(0, -1), { id: "9999_not_this_one", steps: [] }]
    const different = ManagedRuntime.make(IndexedDbStore.layer({ name: "newer", indexedDB: factory, migrations: other }))
    const refused = failureOf(await different.runPromiseExit(Effect.service(Store)))
    await different.dispose()
    expect(refused).toBeInstanceOf(Unsupported)
    expect((refused as Unsupported).message).toContain(CORE_MIGRATIONS[CORE_MIGRATIONS.length - 1]?.id ?? "?")

    expect(await snapshot(factory, "newer", ["Account", "OrgUnit"])).toEqual(before)
    const again = app(factory, "newer")
    const found = await again.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName("Kept")))
    expect(found._tag).toBe("Some")
    await again.dispose()
  })

  it("an older database is upgraded in place and keeps its records", async () => {
    const factory = new IDBFactory()
    const older = app(factory, "upgrade", { migrations: CORE_MIGRATIONS.slice(0, 1) })
    const { account } = await older.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Older" })))
    await older.dispose()
    expect((await snapshot(factory, "upgrade", [])).ledger).toEqual([CORE_MIGRATIONS[0]?.id])
    const current = app(factory, "upgrade")
    const found = await current.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName("Older")))
    expect(found._tag === "Some" ? found.value.id : undefined).toBe(account.id)
    await current.dispose()
    const after = await snapshot(factory, "upgrade", [])
    expect([after.version, after.ledger]).toEqual([CORE_MIGRATIONS.length, CORE_MIGRATIONS.map((m) => m.id)])
  })

  it("an upgrade blocked by another tab is reported at once as unavailable and retryable, and is never applied behind the caller's back", async () => {
    const factory = new IDBFactory()
    const older = app(factory, "blocked", { migrations: CORE_MIGRATIONS.slice(0, 1) })
    await older.runPromise(Effect.service(Store))
    await older.dispose()
    // Another tab keeps version 1 open and ignores `versionchange`.
    const blocker = await rawOpen(factory, "blocked")
    const current = ManagedRuntime.make(IndexedDbStore.layer({ name: "blocked", indexedDB: factory }))
    const started = Date.now()
    const error = failureOf(await current.runPromiseExit(Effect.service(Store)))
    await current.dispose()
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error).toBeInstanceOf(StorageError)
    expect([(error as StorageError).reason, (error as StorageError).retryable]).toEqual(["unavailable", true])
    expect((error as StorageError).message).toContain("blocked")
    blocker.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    // The abandoned request went ahead once unblocked: its upgrade was aborted.
    expect((await snapshot(factory, "blocked", [])).version).toBe(1)
    const retry = app(factory, "blocked")
    await retry.runPromise(Effect.service(Store))
    await retry.dispose()
    expect((await snapshot(factory, "blocked", [])).ledger).toEqual(CORE_MIGRATIONS.map((m) => m.id))
  })

  it("an open store lets another tab delete the database, then answers unavailable instead of blocking it", async () => {
    const factory = new IDBFactory()
    const runtime = app(factory, "deleted")
    await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Doomed" })))
    await new Promise<void>((resolve, reject) => {
      const request = factory.deleteDatabase("deleted")
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error)
      request.onblocked = () => reject(new Error("the delete was blocked by the open store"))
    })
    const error = failureOf(await runtime.runPromiseExit(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName("Doomed"))))
    await runtime.dispose()
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).reason).toBe("unavailable")
    expect((error as StorageError).message).toContain("another connection")
  })
})

describe("IndexedDB store: units of work", () => {
  const project = (name: string) =>
    Effect.flatMap(Effect.service(Records), (r) => r.create(ProjectModel, { name, needsAuthentication: false, description: "" }))

  it("a unit of work that fails after writes leaves nothing in the database (not one row, not one change, not the counter)", async () => {
    const factory = new IDBFactory()
    const runtime = app(factory, "rollback")
    const { account } = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Rollback" })))
    const actor = Actor.system(account.id)
    const before = await snapshot(factory, "rollback", ["Project", "OrgUnit", "AuditEntry", "_tombstones"])
    const exit = await runtime.runPromiseExit(
      Effect.flatMap(Effect.service(Records), (records) =>
        records.transaction(
          Effect.gen(function* () {
            yield* project("First")
            yield* project("Second")
            const units = yield* OrgUnits
            yield* units.create({ name: "Unit", versionId: account.defaultVersionId as OrgUnit["versionId"] })
            return yield* Effect.fail(new StorageError({ reason: "unknown", retryable: false, message: "refused after three writes" }))
          })
        )
      ).pipe(Effect.provideService(CurrentActor, actor))
    )
    expect((failureOf(exit) as StorageError).message).toBe("refused after three writes")
    expect(await snapshot(factory, "rollback", ["Project", "OrgUnit", "AuditEntry", "_tombstones"])).toEqual(before)
    await runtime.dispose()
  })

  it("a commit IndexedDB refuses (a value it cannot store) leaves none of the unit of work's writes", async () => {
    const factory = new IDBFactory()
    const driver = await Effect.runPromise(makeIndexedDbDriver({ name: "clone", indexedDB: factory }))
    await Effect.runPromise(driver.migrate(CORE_MIGRATIONS))
    const meta = ProjectModel as unknown as ModelMeta
    const row = (id: string, extra: Record<string, unknown> = {}): Row => ({
      id,
      accountId: "acc",
      version: 1,
      createdAt: 0,
      updatedAt: 0,
      name: `project ${id}`,
      needsAuthentication: false,
      description: "",
      ...extra
    })
    const exit = await Effect.runPromiseExit(
      driver.transaction(
        Effect.gen(function* () {
          const first = yield* driver.write(meta, { accountId: "acc" }, [{ kind: "insert", row: row("p1") }])
          const second = yield* driver.write(meta, { accountId: "acc" }, [{ kind: "insert", row: row("p2", { description: () => "not cloneable" }) }])
          return [first, second]
        })
      )
    )
    const error = failureOf(exit)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError).message).toContain("DataCloneError")
    expect(await Effect.runPromise(driver.inspect(meta))).toEqual([])
    expect(await Effect.runPromise(driver.changesSince("acc", 0, 100))).toEqual([])
    // The store still works.
    await Effect.runPromise(driver.write(meta, { accountId: "acc" }, [{ kind: "insert", row: row("p3") }]))
    expect((await Effect.runPromise(driver.inspect(meta))).map((r) => r.row["id"])).toEqual(["p3"])
    await Effect.runPromise(driver.close)
  })

  it("a commit is refused (retryable) when a connection outside the writer lock moved the change counter meanwhile", async () => {
    const factory = new IDBFactory()
    const driver = await Effect.runPromise(makeIndexedDbDriver({ name: "counter", indexedDB: factory }))
    await Effect.runPromise(driver.migrate(CORE_MIGRATIONS))
    const meta = ProjectModel as unknown as ModelMeta
    const row: Row = { id: "p1", accountId: "acc", version: 1, createdAt: 0, updatedAt: 0, name: "p", needsAuthentication: false, description: "" }
    const intruder = await rawOpen(factory, "counter")
    const exit = await Effect.runPromiseExit(
      driver.transaction(
        Effect.gen(function* () {
          yield* driver.write(meta, { accountId: "acc" }, [{ kind: "insert", row }])
          yield* Effect.promise(
            () =>
              new Promise<void>((resolve, reject) => {
                const tx = intruder.transaction(["_meta"], "readwrite")
                tx.objectStore("_meta").put(1000, "seq")
                tx.oncomplete = () => resolve()
                tx.onabort = () => reject(tx.error)
              })
          )
        })
      )
    )
    intruder.close()
    const error = failureOf(exit)
    expect(error).toBeInstanceOf(StorageError)
    expect([(error as StorageError).reason, (error as StorageError).retryable]).toEqual(["serialization", true])
    expect(await Effect.runPromise(driver.inspect(meta))).toEqual([])
    await Effect.runPromise(driver.close)
  })

  it("accepts relaxed durability and commits with it", async () => {
    const factory = new IDBFactory()
    const runtime = app(factory, "relaxed", { durability: "relaxed" })
    const made = await runtime.runPromise(
      Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Relaxed" })).pipe(
        Effect.flatMap(({ account }) =>
          Effect.provideService(
            Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "Fast", versionId: account.defaultVersionId as OrgUnit["versionId"] })),
            CurrentActor,
            Actor.system(account.id)
          )
        )
      )
    )
    await runtime.dispose()
    const again = app(factory, "relaxed", { durability: "relaxed" })
    const unit = await again.runPromise(
      Effect.flatMap(Effect.service(OrgUnits), (u) => u.get(made.id)).pipe(Effect.provideService(CurrentActor, Actor.system(made.accountId)))
    )
    expect([unit.name, unit.path]).toEqual(["Fast", `${made.id}/`])
    await again.dispose()
  })

  it("two connections to one database (two tabs) serialise their writers: every write lands, sequences strictly increase", async () => {
    const factory = new IDBFactory()
    const tabs = [
      await Effect.runPromise(makeIndexedDbDriver({ name: "tabs", indexedDB: factory })),
      await Effect.runPromise(makeIndexedDbDriver({ name: "tabs", indexedDB: factory }))
    ] as const
    for (const tab of tabs) await Effect.runPromise(tab.migrate(CORE_MIGRATIONS))
    const meta = ProjectModel as unknown as ModelMeta
    const row = (id: string): Row => ({ id, accountId: "acc", version: 1, createdAt: 0, updatedAt: 0, name: id, needsAuthentication: false, description: "" })
    const work = (tab: IndexedDbDriver, prefix: string) =>
      Effect.forEach(
        Array.from({ length: 8 }, (_, i) => i),
        (i) =>
          tab.transaction(
            Effect.gen(function* () {
              yield* tab.write(meta, { accountId: "acc" }, [{ kind: "insert", row: row(`${prefix}-${i}-a`) }])
              yield* Effect.sleep("1 millis")
              yield* tab.write(meta, { accountId: "acc" }, [{ kind: "insert", row: row(`${prefix}-${i}-b`) }])
            })
          ),
        { concurrency: 2 }
      )
    await Effect.runPromise(Effect.all([work(tabs[0], "one"), work(tabs[1], "two")], { concurrency: 2 }))
    const changes = await Effect.runPromise(tabs[0].changesSince("acc", 0, 1000))
    expect(changes.length).toBe(32)
    const seqs = changes.map((c) => c.seq)
    expect(new Set(seqs).size).toBe(32)
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
    // Each unit of work's two writes took consecutive sequences: none interleaved with another's.
    const byId = new Map(changes.map((c) => [c.id, c.seq]))
    for (const prefix of ["one", "two"]) for (let i = 0; i < 8; i++) expect((byId.get(`${prefix}-${i}-b`) ?? 0) - (byId.get(`${prefix}-${i}-a`) ?? 0)).toBe(1)
    expect((await Effect.runPromise(tabs[1].inspect(meta))).length).toBe(32)
    for (const tab of tabs) await Effect.runPromise(tab.close)
  })
})

describe("IndexedDB blob store", () => {
  it("stores bytes once per content, reads them back exactly, survives a reopen, and forgets them on remove", async () => {
    const factory = new IDBFactory()
    const bytes = new Uint8Array(70_000)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 256
    const first = ManagedRuntime.make(IndexedDbBlobStore.layer({ name: "blobs", indexedDB: factory }))
    const [ref, again, back] = await first.runPromise(
      Effect.gen(function* () {
        const blobs = yield* BlobStore
        const ref = yield* blobs.put(bytes, { mediaType: "image/jpeg", fileName: "photo.jpg" })
        const again = yield* blobs.put(bytes.slice(), { mediaType: "image/jpeg" })
        const back = yield* blobs.get(ref.key)
        return [ref, again, back] as const
      })
    )
    expect(ref).toMatchObject({ size: 70_000, mediaType: "image/jpeg", fileName: "photo.jpg" })
    expect(ref.key).toBe(`sha256/${ref.sha256}`)
    expect(again.key).toBe(ref.key)
    expect(back).toEqual(bytes)
    await first.dispose()

    const facade = IndexedDbBlobStore.promise({ name: "blobs", indexedDB: factory })
    expect(await facade.has(ref.key)).toBe(true)
    expect(await facade.get(ref.key)).toEqual(bytes)
    const db = await rawOpen(factory, "blobs")
    expect(await rawCount(db, "blobs")).toBe(1)
    db.close()
    await facade.remove(ref.key)
    expect(await facade.has(ref.key)).toBe(false)
    await expect(facade.get(ref.key)).rejects.toMatchObject({ _tag: "NotFound", model: "Blob", id: ref.key })
    const empty = await facade.put(new Uint8Array(0), { mediaType: "text/plain" })
    expect([empty.size, empty.sha256]).toEqual([0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"])
    expect(await facade.get(empty.key)).toEqual(new Uint8Array(0))
    await facade.close()
  })
})

// --- queries answered from indexes, against the reference semantics ---------------------------

const column = (name: string, kind: Column["kind"], nullable: boolean): Column => ({ name, kind, nullable })
const THING_COLUMNS: ReadonlyArray<Column> = [
  column("id", "text", false),
  column("accountId", "text", false),
  column("version", "integer", false),
  column("createdAt", "integer", false),
  column("updatedAt", "integer", false),
  column("name", "text", false),
  column("group", "text", true),
  column("rank", "integer", true),
  column("score", "real", false),
  column("flag", "boolean", false),
  column("path", "text", false),
  column("depth", "integer", false),
  column("parentId", "text", true)
]
const THING_MIGRATIONS: ReadonlyArray<Migration> = [
  {
    id: "0001_thing",
    steps: [
      { op: "createModel", model: "Thing", scope: "account", columns: THING_COLUMNS, hierarchy: { path: "path", depth: "depth", parent: "parentId" } },
      { op: "createIndex", model: "Thing", index: { name: "thing_group_rank", fields: ["group", "rank"] } },
      { op: "createIndex", model: "Thing", index: { name: "thing_name", fields: ["accountId", "name"] } },
      { op: "createIndex", model: "Thing", index: { name: "thing_score", fields: ["score"] } },
      { op: "createIndex", model: "Thing", index: { name: "thing_path", fields: ["path"] } },
      { op: "createIndex", model: "Thing", index: { name: "thing_flag", fields: ["flag"] } },
      {
        op: "createIndex",
        model: "Thing",
        index: { name: "thing_group_name_unique", fields: ["group", "name"], unique: true, where: [{ field: "flag", op: "eq", value: true }] }
      }
    ]
  }
]
const THING: ModelMeta = {
  name: "Thing",
  scope: "account",
  columns: THING_COLUMNS,
  indexes: THING_MIGRATIONS[0]?.steps.flatMap((step) => (step.op === "createIndex" ? [step.index] : [])) ?? [],
  hierarchy: { path: "path", depth: "depth", parent: "parentId" }
}

const NAMES = ["a", "b", "B", "é", "\uFFFF", "😀", "ab", "b\uFFFF", "", "zz", "Ségou", "b"]

/** Seeded rows of one account: nullable fields absent, null or present; a three-level path. */
const things = (accountId: string, count: number, seed: number): Array<Row> => {
  let state = seed
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
  const rows: Array<Row> = []
  for (let i = 0; i < count; i++) {
    const id = `${accountId}-${String(i).padStart(4, "0")}-${Math.floor(random() * 1e6).toString(36)}`
    const parent = i < 3 ? undefined : rows[Math.floor(random() * Math.min(i, 12))]
    const path = `${parent === undefined ? "" : String(parent["path"])}${id}/`
    const group = random()
    const rank = random()
    const row: Record<string, unknown> = {
      id,
      accountId,
      version: 1,
      createdAt: i,
      updatedAt: i,
      name: `${NAMES[Math.floor(random() * NAMES.length)] ?? ""}${random() < 0.3 ? NAMES[Math.floor(random() * NAMES.length)] : ""}`,
      score: Math.round((random() * 4 - 2) * 4) / 4,
      flag: random() < 0.2,
      path,
      depth: path.split("/").length - 1
    }
    if (group < 0.4) row["group"] = "g1"
    else if (group < 0.7) row["group"] = "g2"
    else if (group < 0.8) row["group"] = null
    if (rank < 0.7) row["rank"] = Math.floor(rank * 10)
    else if (rank < 0.8) row["rank"] = null
    if (parent !== undefined) row["parentId"] = parent["id"]
    rows.push(row)
  }
  return rows
}

const asc = (field: string): OrderBy => ({ field, direction: "asc" })
const desc = (field: string): OrderBy => ({ field, direction: "desc" })

/** Queries, each with the plan it must get (index source and whether it walks in order). */
const queries = (
  prefix: string
): ReadonlyArray<{
  readonly where: ReadonlyArray<Condition>
  readonly orderBy: ReadonlyArray<OrderBy>
  readonly source: string
  readonly ordered: boolean
}> => [
  { where: [], orderBy: [asc("id")], source: "@account", ordered: true },
  { where: [{ field: "group", op: "eq", value: "g1" }], orderBy: [asc("rank"), asc("id")], source: "i:thing_group_rank", ordered: true },
  { where: [{ field: "group", op: "eq", value: "g1" }], orderBy: [desc("rank"), asc("id")], source: "i:thing_group_rank", ordered: true },
  { where: [{ field: "group", op: "isNull" }], orderBy: [asc("rank"), desc("id")], source: "i:thing_group_rank", ordered: true },
  { where: [{ field: "group", op: "in", value: ["g1", "g2"] }], orderBy: [asc("id")], source: "i:thing_group_rank", ordered: false },
  {
    where: [
      { field: "group", op: "eq", value: "g2" },
      { field: "rank", op: "gte", value: 3 }
    ],
    orderBy: [desc("rank"), desc("id")],
    source: "i:thing_group_rank",
    ordered: true
  },
  {
    where: [
      { field: "group", op: "eq", value: "g2" },
      { field: "rank", op: "lt", value: 5 }
    ],
    orderBy: [asc("id")],
    source: "i:thing_group_rank",
    ordered: false
  },
  {
    where: [
      { field: "group", op: "eq", value: "g1" },
      { field: "rank", op: "isNull" }
    ],
    orderBy: [asc("id")],
    source: "i:thing_group_rank",
    ordered: true
  },
  {
    where: [
      { field: "group", op: "eq", value: "g1" },
      { field: "rank", op: "eq", value: 2 }
    ],
    orderBy: [desc("id")],
    source: "i:thing_group_rank",
    ordered: true
  },
  { where: [{ field: "group", op: "ne", value: "g1" }], orderBy: [asc("group"), asc("id")], source: "i:thing_group_rank", ordered: true },
  { where: [{ field: "name", op: "startsWith", value: "b" }], orderBy: [asc("name"), asc("id")], source: "i:thing_name", ordered: true },
  {
    where: [
      { field: "name", op: "gt", value: "b" },
      { field: "name", op: "lte", value: "é" }
    ],
    orderBy: [desc("name"), asc("id")],
    source: "i:thing_name",
    ordered: true
  },
  { where: [{ field: "name", op: "startsWithAny", value: ["a", "\uFFFF", "😀"] }], orderBy: [asc("id")], source: "i:thing_name", ordered: false },
  { where: [{ field: "score", op: "gte", value: 0.5 }], orderBy: [asc("score"), asc("id")], source: "i:thing_score", ordered: true },
  { where: [], orderBy: [desc("score"), asc("id")], source: "i:thing_score", ordered: true },
  {
    where: [
      { field: "path", op: "startsWith", value: prefix },
      { field: "depth", op: "lte", value: 3 }
    ],
    orderBy: [asc("id")],
    source: "i:thing_path",
    ordered: false
  },
  // No index on a boolean: with a limit, the name index walks in the query's order and filters.
  { where: [{ field: "flag", op: "eq", value: true }], orderBy: [asc("name"), asc("id")], source: "i:thing_name", ordered: true },
  { where: [{ field: "flag", op: "eq", value: true }], orderBy: [asc("createdAt"), asc("id")], source: "@account", ordered: false },
  { where: [{ field: "rank", op: "gt", value: 4 }], orderBy: [asc("rank"), asc("id")], source: "@account", ordered: false }
]

/** Every page of a query (limit `size`, keyset positions as core makes them). */
const allPagesOf = async (driver: IndexedDbDriver, accountId: string, query: StoreQuery, size: number, run: <A, E>(e: Effect.Effect<A, E>) => Promise<A>) => {
  const out: Array<Row> = []
  let after: ReadonlyArray<Scalar | null> | undefined
  for (let pages = 0; pages < 200; pages++) {
    const page = await run(driver.query(THING, { accountId }, { ...query, limit: size, ...(after === undefined ? {} : { after }) }))
    out.push(...page)
    const last = page[page.length - 1]
    if (page.length < size || last === undefined) return out
    after = query.orderBy.map((o) => (last[o.field] ?? null) as Scalar | null)
  }
  throw new Error("too many pages")
}

const expectAnswers = async (driver: IndexedDbDriver, accountId: string, rows: ReadonlyArray<Row>, run: <A, E>(e: Effect.Effect<A, E>) => Promise<A>) => {
  const prefix = String(rows[1]?.["path"] ?? "")
  for (const q of queries(prefix)) {
    const label = JSON.stringify([q.where, q.orderBy])
    const expected = runQuery(rows, { where: q.where, orderBy: q.orderBy }, "utf16").map((row) => row["id"])
    expect(expected.length, `${label}: the data exercises it`).toBeGreaterThan(0)
    const whole = await run(driver.query(THING, { accountId }, { where: q.where, orderBy: q.orderBy }))
    expect(
      whole.map((row) => row["id"]),
      label
    ).toEqual(expected)
    for (const size of [1, 4, 9])
      expect(
        (await allPagesOf(driver, accountId, { where: q.where, orderBy: q.orderBy }, size, run)).map((row) => row["id"]),
        `${label} by ${size}`
      ).toEqual(expected)
    expect(await run(driver.count(THING, { accountId }, q.where)), label).toBe(expected.length)
    const selected = await run(
      driver.query(THING, { accountId }, { where: q.where, orderBy: q.orderBy, limit: 3, select: ["id", "name", ...q.orderBy.map((o) => o.field)] })
    )
    for (const row of selected)
      expect(Object.keys(row).sort()).toEqual([...new Set(["id", "name", ...q.orderBy.map((o) => o.field)])].filter((f) => f in row).sort())
  }
}

describe("IndexedDB store: queries from indexes", () => {
  const setup = async (name: string) => {
    const driver = await Effect.runPromise(makeIndexedDbDriver({ name, indexedDB: new IDBFactory(), migrations: THING_MIGRATIONS }))
    await Effect.runPromise(driver.migrate(THING_MIGRATIONS))
    const mine = things("acc-a", 160, 7)
    const theirs = things("acc-b", 40, 11)
    for (const [accountId, rows] of [
      ["acc-a", mine],
      ["acc-b", theirs]
    ] as const) {
      const outcomes = await Effect.runPromise(
        driver.write(
          THING,
          { accountId },
          rows.map((row) => ({ kind: "insert", row }))
        )
      )
      expect(outcomes.filter((o) => o._tag !== "Written").map((o) => o._tag)).toEqual(outcomes.filter((o) => o._tag === "Duplicate").map(() => "Duplicate"))
    }
    const stored = (await Effect.runPromise(driver.inspect(THING))).map((r) => r.row).filter((row) => row["accountId"] === "acc-a")
    return { driver, stored }
  }

  it("each query is answered from the index that fits (key ranges, ordered walks), the account's range only when none does", async () => {
    const { driver, stored } = await setup("plans")
    const prefix = String(stored[1]?.["path"] ?? "")
    for (const q of queries(prefix)) {
      const plan = await Effect.runPromise(driver.explain(THING, { accountId: "acc-a" }, { where: q.where, orderBy: q.orderBy, limit: 10 }))
      expect([plan.source, plan.ordered], JSON.stringify(q.where)).toEqual([q.source, q.ordered])
      expect(plan.ranges, JSON.stringify(q.where)).toBeGreaterThan(0)
    }
    expect(
      await Effect.runPromise(driver.explain(THING, { accountId: "acc-a" }, { where: [{ field: "id", op: "in", value: ["x", "y"] }], orderBy: [asc("id")] }))
    ).toEqual({
      source: "primary key",
      ranges: 2,
      ordered: false
    })
    expect(
      (
        await Effect.runPromise(
          driver.explain(THING, { accountId: "acc-a" }, { where: [{ field: "group", op: "in", value: ["g1", "g2", "g3"] }], orderBy: [asc("id")] })
        )
      ).ranges
    ).toBe(3)
    await Effect.runPromise(driver.close)
  })

  it("every query, whole or page by page, returns exactly what the reference semantics select (UTF-16 order), and counts agree", async () => {
    const { driver, stored } = await setup("answers")
    // Partial uniqueness refused duplicates among flagged rows: the reference is what was stored.
    expect(stored.length).toBeGreaterThan(140)
    await expectAnswers(driver, "acc-a", stored, (e) => Effect.runPromise(e))
    await Effect.runPromise(driver.close)
  })

  it("inside a unit of work, queries see committed rows merged with its own inserts, updates and deletes, and so after its commit", async () => {
    const { driver, stored } = await setup("overlay")
    const extra = things("acc-a", 190, 23).slice(160)
    const changed = stored
      .slice(0, 60)
      .filter((_, i) => i % 3 === 0)
      .map((row, i) => {
        const next: Record<string, unknown> = { ...row, version: Number(row["version"]) + 1, name: NAMES[i % NAMES.length] ?? "", score: (i % 5) - 2 }
        if (i % 2 === 0) delete next["group"]
        else next["rank"] = i % 10
        return next as Row
      })
    const removed = stored.slice(60, 90).filter((_, i) => i % 2 === 0)
    const merged = new Map(stored.map((row) => [String(row["id"]), row]))
    await Effect.runPromise(
      driver.transaction(
        Effect.gen(function* () {
          const inserted = yield* driver.write(
            THING,
            { accountId: "acc-a" },
            extra.map((row) => ({ kind: "insert", row }))
          )
          extra.forEach((row, i) => {
            if (inserted[i]?._tag === "Written") merged.set(String(row["id"]), row)
          })
          const updated = yield* driver.write(
            THING,
            { accountId: "acc-a" },
            changed.map((row) => ({ kind: "update", row, expectedVersion: 1 }))
          )
          changed.forEach((row, i) => {
            if (updated[i]?._tag === "Written") merged.set(String(row["id"]), row)
          })
          yield* driver.write(
            THING,
            { accountId: "acc-a" },
            removed.map((row) => ({ kind: "delete", id: String(row["id"]) }))
          )
          for (const row of removed) merged.delete(String(row["id"]))
          // Run the checks in this fiber's context: inside the unit of work.
          const context = yield* Effect.context<never>()
          yield* Effect.promise(() => expectAnswers(driver, "acc-a", [...merged.values()], (e) => Effect.runPromiseWith(context)(e)))
        })
      )
    )
    await expectAnswers(driver, "acc-a", [...merged.values()], (e) => Effect.runPromise(e))
    await Effect.runPromise(driver.close)
  })
})
