/**
 * What is particular to the IndexedDB store (the conformance suite covers the port): reopening,
 * refusing a newer database, blocked upgrades and other tabs, units of work that fail (in the SDK
 * or at the commit), relaxed durability, the blob store and two connections writing to one
 * database. Queries answered from indexes are in `queries.test.ts`, ids per account in
 * `account-keys.test.ts`.
 */
import "fake-indexeddb/auto"
import { IndexedDbBlobStore, type IndexedDbDriver, IndexedDbStore, makeIndexedDbDriver } from "@iaso/adapter-indexeddb"
import {
  Accounts,
  Actor,
  BlobStore,
  CORE_MIGRATIONS,
  CurrentActor,
  type Migration,
  type ModelMeta,
  type OrgUnit,
  OrgUnits,
  ProjectModel,
  Projects,
  Records,
  type Row,
  StorageError,
  Store,
  Unsupported
} from "@iaso/core"
import { Effect, ManagedRuntime } from "effect"
import { IDBFactory } from "fake-indexeddb"
import { describe, expect, it } from "vitest"
import { app, failureOf, rawCount, rawOpen, snapshot } from "./support.ts"

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
  const project = (name: string) => Effect.flatMap(Effect.service(Projects), (p) => p.create({ name, appId: `${name.toLowerCase()}.${crypto.randomUUID()}` }))

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
