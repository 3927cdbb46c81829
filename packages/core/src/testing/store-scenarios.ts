/**
 * Store scenarios: units of work that fail leave storage as before, nested ones roll back alone;
 * change sequences, capabilities, migrations and the change feed's scope.
 * @module
 */
import { Effect, Schema } from "effect"
import { expect } from "vitest"
import { drainChanges } from "./generic.ts"
import { scenario } from "./scenario.ts"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { CORE_MIGRATIONS } from "../core-migrations.ts"
import { OrgUnitModel, type OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { Records } from "../kernel/records.ts"
import { Conflict } from "../shared/errors.ts"
import { AccountFeatureFlagModel } from "../tenancy/feature-flags.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { Projects } from "../tenancy/projects-service.ts"
import { uuidv7 } from "../shared/ids.ts"
import { AccountSequenceModel } from "../submissions/sequence.ts"
import { encodeNewRecords } from "../shared/writes.ts"
import type { Row } from "../shared/model.ts"
import { compareCodePoints } from "../shared/text.ts"
import type { Harness } from "./harness.ts"
import { exitError, exitTag } from "./harness.ts"
import { accountRows, expectConsistentPaths, pyramid } from "./org-unit-fixtures.ts"

/** `body` as one unit of work, given the Records and OrgUnits services. */
const unitOfWork = <A, E, R>(body: (records: Records["Service"], units: OrgUnits["Service"]) => Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const records = yield* Records
    const units = yield* OrgUnits
    return yield* records.transaction(body(records, units))
  })

/** A project created through its service (app ids unique across the store). */
const newProject = (name: string) =>
  Effect.flatMap(Effect.service(Projects), (projects) => projects.create({ name, appId: `${name.toLowerCase()}.${uuidv7()}` }))

/** Units of work that fail (a typed failure, a defect, an interruption) leave storage as before; one that succeeds keeps its writes; a nested one rolls back alone. */
export const rollbackScenarios = (h: () => Harness) => {
  const failures: ReadonlyArray<readonly [string, Effect.Effect<never, Conflict>]> = [
    ["a typed failure", Effect.fail(new Conflict({ model: "Test", id: "x", message: "refused" }))],
    ["a defect", Effect.die(new Error("boom"))],
    ["an interruption", Effect.interrupt]
  ]
  for (const [label, failure] of failures) {
    scenario(`${label} after writes across two aggregates, a move included, leaves storage exactly as before`, async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { root, a, b } = await pyramid(harness, account)
      const models = [ProjectModel, OrgUnitModel, AuditEntryModel]
      const before = await harness.inspect(OrgUnitModel)
      const beforeAccount = await accountRows(harness, account, models)
      const exit = await harness.exitAs(
        account.system,
        unitOfWork((_records, units) =>
          Effect.gen(function* () {
            yield* newProject("Doomed")
            yield* units.move(a.id, b.id)
            yield* units.update(root.id, { name: "Renamed" })
            yield* units.create({ name: "New", versionId: account.versionId as OrgUnit["versionId"], parentId: b.id })
            return yield* failure
          })
        )
      )
      expect(exitTag(exit)).toBe(label === "a typed failure" ? "Conflict" : label === "a defect" ? "Die" : "Interrupt")
      expect(await accountRows(harness, account, models)).toEqual(beforeAccount)
      expect(await harness.inspect(OrgUnitModel)).toEqual(before)
    })
  }

  scenario("a unit of work that succeeds keeps all of its writes", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const { a, b } = await pyramid(harness, account)
    await harness.as(
      account.system,
      unitOfWork((_records, units) =>
        Effect.gen(function* () {
          yield* newProject("Kept")
          yield* units.move(a.id, b.id)
        })
      )
    )
    const projects = await harness.inspectAccount(ProjectModel, account.accountId)
    expect(projects.map((row) => row["name"]).sort()).toEqual(["Kept", "Main Project"])
    await expectConsistentPaths(harness, account)
  })

  scenario("a nested unit of work that fails rolls back only its own writes", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const { a, b } = await pyramid(harness, account)
    await harness.as(
      account.system,
      unitOfWork((records, units) =>
        Effect.gen(function* () {
          yield* newProject("Outer")
          const inner = yield* Effect.result(
            records.transaction(
              Effect.gen(function* () {
                yield* newProject("Inner")
                yield* units.move(a.id, b.id)
                return yield* Effect.fail(new Conflict({ model: "Test", id: "inner", message: "inner fails" }))
              })
            )
          )
          expect(inner._tag).toBe("Failure")
          yield* newProject("After")
        })
      )
    )
    const names = (await harness.inspectAccount(ProjectModel, account.accountId)).map((row) => row["name"]).sort()
    expect(names).toEqual(["After", "Main Project", "Outer"])
    const rows = new Map((await harness.inspectAccount(OrgUnitModel, account.accountId)).map((row) => [String(row["id"]), row]))
    expect(rows.get(a.id)?.["parentId"]).not.toBe(b.id)
    await expectConsistentPaths(harness, account)
  })
}

/** The store itself: change sequences around a rollback, capabilities, migrations, the change feed's global catalogues. */
export const storeScenarios = (h: () => Harness) => {
  scenario("change sequences stay unique and in commit order around a rolled-back nested unit of work", async () => {
    const harness = h()
    const account = await harness.freshAccount()
    const repos = await harness.repos()
    const cursor = await drainChanges(harness, account.accountId)
    const versionId = account.versionId as OrgUnit["versionId"]
    const create = (name: string) => Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name, versionId }))
    const undone = Effect.ignore(repos.driver.transaction(Effect.andThen(create("Undone"), Effect.fail("undo" as const))))
    // A unit of work that reserved sequences before its nested one failed, and one whose first write was inside it.
    const [a, c] = await harness.as(
      account.system,
      repos.driver.transaction(
        Effect.gen(function* () {
          const a = yield* create("A")
          yield* undone
          return [a, yield* create("C")] as const
        })
      )
    )
    const d = await harness.as(account.system, repos.driver.transaction(Effect.andThen(undone, create("D"))))
    const e = await harness.as(account.system, create("E"))
    const page = await harness.run(repos.changesSince(account.accountId, cursor))
    const names = new Map([a, c, d, e].map((unit) => [unit.id as string, unit.name]))
    expect(page.changes.filter((change) => change.model === "OrgUnit").map((change) => names.get(change.id) ?? "?")).toEqual(["A", "C", "D", "E"])
    const seqs = page.changes.map((change) => change.seq)
    expect(new Set(seqs).size).toBe(seqs.length)
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs)
  })

  scenario("exists answers the ids that name rows of several models in their scopes; increment adds atomically, with a new version and sequence", async () => {
    const harness = h()
    const a = await harness.freshAccount()
    const b = await harness.freshAccount()
    const repos = await harness.repos()
    const driver = repos.driver
    const scopeA = { accountId: a.accountId }
    const missing = uuidv7()
    const found = await harness.run(
      driver.exists([
        { model: ProjectModel, scope: scopeA, ids: [a.projectId, missing, b.projectId, a.projectId] },
        { model: OrgUnitModel, scope: scopeA, ids: [] },
        { model: ProjectModel, scope: { accountId: b.accountId }, ids: [b.projectId] }
      ])
    )
    expect(found.map((ids) => [...ids].sort())).toEqual([[a.projectId], [], [b.projectId]])
    expect(await harness.run(driver.exists([]))).toEqual([])
    const counter = await harness.run(repos.insert(AccountSequenceModel, a.accountId, { name: "conformance.counter", value: 5 }))
    const cursor = await drainChanges(harness, a.accountId)
    // Concurrent increments all count (none fails on a version check).
    const values = await harness.run(
      Effect.all(
        Array.from({ length: 4 }, () => driver.transaction(driver.increment(AccountSequenceModel, scopeA, counter.id, "value", 2, Date.now()))),
        { concurrency: "unbounded" }
      )
    )
    expect([...values].sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([7, 9, 11, 13])
    const stored = await harness.run(repos.get(AccountSequenceModel, a.accountId, counter.id))
    expect([stored.value, stored.version]).toEqual([13, 5])
    const page = await harness.run(repos.changesSince(a.accountId, cursor))
    expect(page.changes.filter((change) => change.id === counter.id).map((change) => change.version)).toEqual([5])
    // Another account's scope, or a missing row: nothing, and nothing changes.
    expect(await harness.run(driver.increment(AccountSequenceModel, { accountId: b.accountId }, counter.id, "value", 1, Date.now()))).toBeUndefined()
    expect(await harness.run(driver.increment(AccountSequenceModel, scopeA, missing, "value", 1, Date.now()))).toBeUndefined()
    expect((await harness.run(repos.get(AccountSequenceModel, a.accountId, counter.id))).value).toBe(13)
  })

  scenario("queryMany answers several queries of one model, each at its position as query would, in the scope only", async () => {
    const harness = h()
    const a = await harness.freshAccount()
    const b = await harness.freshAccount()
    const repos = await harness.repos()
    const driver = repos.driver
    const scope = { accountId: a.accountId }
    const insert = (accountId: string, name: string, value: number) => harness.run(repos.insert(AccountSequenceModel, accountId, { name, value }))
    const one = await insert(a.accountId, "many.one", 1)
    const two = await insert(a.accountId, "many.two", 2)
    const three = await insert(a.accountId, "many.three", 3)
    await insert(b.accountId, "many.two", 2)
    const order = [
      { field: "value", direction: "desc" },
      { field: "id", direction: "asc" }
    ] as const
    const named = (rows: ReadonlyArray<ReadonlyArray<Row>>) => rows.map((found) => found.map((row) => row["name"]))
    // The same columns and order (one statement on SQL), then other columns or orders (each on its own).
    const same = await harness.run(
      driver.queryMany(AccountSequenceModel, scope, [
        { where: [{ field: "name", op: "in", value: ["many.one", "many.three"] }], orderBy: order, limit: 5 },
        { where: [{ field: "value", op: "eq", value: 2 }], orderBy: order },
        { where: [{ field: "name", op: "eq", value: "many.none" }], orderBy: order },
        { where: [{ field: "name", op: "startsWith", value: "many." }], orderBy: order, limit: 2 }
      ])
    )
    expect(named(same)).toEqual([["many.three", "many.one"], ["many.two"], [], ["many.three", "many.two"]])
    expect(same[1]?.[0]).toEqual((await harness.run(driver.getMany(AccountSequenceModel, scope, [two.id])))[0])
    const mixed = await harness.run(
      driver.queryMany(AccountSequenceModel, scope, [
        { where: [{ field: "value", op: "lte", value: 2 }], orderBy: [{ field: "id", direction: "asc" }], select: ["id", "name"] },
        { where: [{ field: "value", op: "gte", value: 2 }], orderBy: order }
      ])
    )
    expect(mixed[0]).toEqual([one, two].sort((x, y) => compareCodePoints(x.id, y.id)).map(({ id, name }) => ({ id, name })))
    expect(named(mixed.slice(1))).toEqual([["many.three", "many.two"]])
    expect(mixed[1]?.map((row) => row["id"])).toEqual([three.id, two.id])
    expect(await harness.run(driver.queryMany(AccountSequenceModel, scope, []))).toEqual([])
  })

  scenario(
    "writeAll applies several models' inserts in one transaction, each with its own outcome: a row a unique key refuses is left out, the others are written",
    async () => {
      const harness = h()
      const a = await harness.freshAccount()
      const repos = await harness.repos()
      const scope = { accountId: a.accountId }
      await harness.run(repos.insert(AccountSequenceModel, a.accountId, { name: "conformance.taken", value: 1 }))
      const counters = await harness.run(
        encodeNewRecords(AccountSequenceModel, a.accountId, [
          { name: "conformance.taken", value: 2 },
          { name: "conformance.free", value: 3 }
        ])
      )
      const entries = await harness.run(
        encodeNewRecords(AuditEntryModel, a.accountId, [{ objectModel: "AccountSequence", objectId: "x", source: "conformance" }])
      )
      const outcomes = await harness.run(
        repos.driver.writeAll([
          { model: AccountSequenceModel, scope, ops: counters.ops },
          { model: ProjectModel, scope, ops: [] },
          { model: AuditEntryModel, scope, ops: entries.ops }
        ])
      )
      expect(outcomes.map((group) => group.map((outcome) => outcome._tag))).toEqual([["Duplicate", "Written"], [], ["Written"]])
      expect(outcomes[0]?.[0]).toEqual({ _tag: "Duplicate", constraint: "account_sequence_name_unique" })
      const stored = await harness.inspectAccount(AccountSequenceModel, a.accountId)
      expect(stored.map((row) => [row["name"], row["value"]]).sort()).toEqual([
        ["conformance.free", 3],
        ["conformance.taken", 1]
      ])
      expect((await harness.inspectAccount(AuditEntryModel, a.accountId)).filter((row) => row["source"] === "conformance")).toHaveLength(1)
    }
  )

  scenario("fills in every capability", async () => {
    const harness = h()
    const driver = await harness.driver()
    const caps = driver.capabilities
    expect(Object.keys(caps).sort()).toEqual(
      ["awaitInsideTransaction", "concurrentWriters", "isolation", "maxBatchSize", "name", "nativeJson", "nodeOnly", "persistent", "textOrder"].sort()
    )
    for (const value of Object.values(caps)) expect(value).not.toBeUndefined()
    expect(Schema.is(Schema.Literals(["serializable", "snapshot", "serialized-writers"]))(caps.isolation)).toBe(true)
    expect(caps.maxBatchSize).toBeGreaterThan(0)
  })

  scenario("migrating again applies nothing; a store migrated by a newer SDK is refused", async () => {
    const harness = h()
    const driver = await harness.driver()
    expect(await harness.run(driver.migrate(CORE_MIGRATIONS))).toEqual([])
    const older = await harness.exit(driver.migrate(CORE_MIGRATIONS.slice(0, -1)))
    expect(exitTag(older)).toBe("Unsupported")
    expect(String((exitError(older) as { message: string }).message)).toContain("newer")
  })

  scenario("the change feed of an account includes the global catalogues and never another account's changes", async () => {
    const harness = h()
    const a = await harness.freshAccount()
    const b = await harness.freshAccount()
    const repos = await harness.repos()
    const flag = await harness.run(repos.insert(AccountFeatureFlagModel, a.accountId, { code: `FLAG_${Math.random().toString(36).slice(2)}`, name: "Flag" }))
    const changesB = await harness.run(repos.changesSince(b.accountId, undefined, 10_000))
    expect(changesB.changes.some((change) => change.id === (flag as { id: string }).id)).toBe(true)
    expect(changesB.changes.some((change) => change.id === a.projectId)).toBe(false)
  })
}
