/**
 * Account keys: an id names a record within its account. A record created in one account with an
 * id another account already uses is a record of its own (as with a random id); each account
 * reads, changes, deletes and follows in its change feed only its own record of that id.
 * @module
 */
import { Effect, Exit } from "effect"
import { describe, expect } from "vitest"
import { Records } from "../kernel/records.ts"
import { type OrgUnit, OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { DataSourceModel } from "../registry/sources.ts"
import type { DataSourceId, OrgUnitId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Actor } from "../tenancy/actor.ts"
import { exitTag, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

const R = Effect.service(Records)
const U = Effect.service(OrgUnits)

/** A data source's fields (its id aside). */
const source = (name: string) => ({ name, readOnly: false, treeConfigStatusFields: [], public: false })

/** The changes of one record in an actor's feed: `deleted@version` each. */
const feedOf = async (harness: Harness, actor: Actor, model: string, id: string): Promise<ReadonlyArray<string>> => {
  const page = await harness.as(
    actor,
    Effect.flatMap(R, (r) => r.changesSince(undefined, 10_000))
  )
  return page.changes.filter((change) => change.model === model && change.id === id).map((change) => `${change.deleted}@${change.version}`)
}

/** Registers the account-key scenarios. */
export const accountKeyScenarios = (h: () => Harness) => {
  describe("account keys: an id names a record within its account", () => {
    scenario("creating with another account's id succeeds as with a random id, and a second create in the same account is AlreadyExists", async () => {
      const harness = h()
      const a = await harness.freshAccount()
      const b = await harness.freshAccount()
      const unit = await harness.as(
        a.system,
        Effect.flatMap(U, (u) => u.create({ name: "Kenema", versionId: a.versionId as never }))
      )
      const create = (id: string) => Effect.flatMap(U, (u) => u.create({ id: id as OrgUnitId, name: "Bo", versionId: b.versionId as never }))
      const random = await harness.exitAs(b.system, create(uuidv7()))
      const foreign = await harness.exitAs(b.system, create(unit.id))
      expect([exitTag(random), exitTag(foreign)]).toEqual(["Success", "Success"])
      expect(Exit.isSuccess(foreign) ? [foreign.value.id, foreign.value.name, foreign.value.version] : []).toEqual([unit.id, "Bo", 1])
      expect(exitTag(await harness.exitAs(b.system, create(unit.id)))).toBe("AlreadyExists")
      const sourceOf = (id: string, name: string) => Effect.flatMap(R, (r) => r.create(DataSourceModel, { id: id as DataSourceId, ...source(name) }))
      expect(exitTag(await harness.exitAs(b.system, sourceOf(a.dataSourceId, "Copy")))).toBe("Success")
      expect(exitTag(await harness.exitAs(b.system, sourceOf(a.dataSourceId, "Copy 2")))).toBe("AlreadyExists")
      // A's records are as they were.
      const kept = await harness.as(
        a.system,
        Effect.flatMap(U, (u) => u.get(unit.id as OrgUnitId))
      )
      expect([kept.name, kept.version, kept.versionId]).toEqual(["Kenema", 1, a.versionId])
      const names = async (accountId: string) => (await harness.inspectAccount(DataSourceModel, accountId)).map((row) => `${row["id"]}:${row["name"]}`)
      expect((await names(b.accountId)).filter((entry) => entry.startsWith(a.dataSourceId))).toEqual([`${a.dataSourceId}:Copy`])
      expect((await names(a.accountId)).filter((entry) => entry.startsWith(a.dataSourceId))).toHaveLength(1)
      expect((await names(a.accountId))[0]).not.toBe(`${a.dataSourceId}:Copy`)
    })

    scenario("two accounts' records of one id: each reads, updates, deletes and follows its own", async () => {
      const harness = h()
      const a = await harness.freshAccount()
      const b = await harness.freshAccount()
      const id = uuidv7()
      const inA = await harness.as(
        a.system,
        Effect.flatMap(R, (r) => r.create(DataSourceModel, { id: id as DataSourceId, ...source("Ministry") }))
      )
      const inB = await harness.as(
        b.system,
        Effect.flatMap(R, (r) => r.create(DataSourceModel, { id: id as DataSourceId, ...source("Partner") }))
      )
      expect([inA.id, inB.id, inA.accountId, inB.accountId]).toEqual([id, id, a.accountId, b.accountId])
      const nameAs = async (actor: Actor) =>
        (
          await harness.as(
            actor,
            Effect.flatMap(R, (r) => r.get(DataSourceModel, id))
          )
        ).name
      expect([await nameAs(a.system), await nameAs(b.system)]).toEqual(["Ministry", "Partner"])
      const listed = await harness.as(
        b.system,
        Effect.flatMap(R, (r) => r.list(DataSourceModel, { where: [{ field: "id", op: "eq", value: id }] }))
      )
      expect(listed.items.map((item) => [item.name, item.accountId])).toEqual([["Partner", b.accountId]])
      // B updates its record twice: A's keeps version 1.
      for (const description of ["first", "second"]) {
        await harness.as(
          b.system,
          Effect.flatMap(R, (r) => r.update(DataSourceModel, id, { description }))
        )
      }
      expect(await feedOf(harness, a.system, "DataSource", id)).toEqual(["false@1"])
      expect(await feedOf(harness, b.system, "DataSource", id)).toEqual(["false@3"])
      // B deletes its record: A's stays, readable, and A's feed shows no tombstone.
      await harness.as(
        b.system,
        Effect.flatMap(R, (r) => r.remove(DataSourceModel, id))
      )
      expect(
        exitTag(
          await harness.exitAs(
            b.system,
            Effect.flatMap(R, (r) => r.get(DataSourceModel, id))
          )
        )
      ).toBe("NotFound")
      expect(await nameAs(a.system)).toBe("Ministry")
      expect(await feedOf(harness, a.system, "DataSource", id)).toEqual(["false@1"])
      expect(await feedOf(harness, b.system, "DataSource", id)).toEqual(["true@3"])
      // A deletes and re-creates its record: B's tombstone stays B's.
      await harness.as(
        a.system,
        Effect.flatMap(R, (r) => r.remove(DataSourceModel, id))
      )
      await harness.as(
        a.system,
        Effect.flatMap(R, (r) => r.create(DataSourceModel, { id: id as DataSourceId, ...source("Ministry again") }))
      )
      expect(await feedOf(harness, a.system, "DataSource", id)).toEqual(["false@1"])
      expect(await feedOf(harness, b.system, "DataSource", id)).toEqual(["true@3"])
      expect(await nameAs(a.system)).toBe("Ministry again")
    })

    scenario("moving a unit of one account leaves another account's unit of the same id and its subtree where they were", async () => {
      const harness = h()
      const a = await harness.freshAccount()
      const b = await harness.freshAccount()
      const build = (actor: Actor, versionId: string, ids: readonly [string, string, string]) =>
        harness.as(
          actor,
          Effect.gen(function* () {
            const units = yield* U
            const root = yield* units.create({ id: ids[0] as OrgUnitId, name: "Country", versionId: versionId as never })
            const district = yield* units.create({ id: ids[1] as OrgUnitId, name: "District", versionId: versionId as never, parentId: root.id })
            const other = yield* units.create({ id: ids[2] as OrgUnitId, name: "Other", versionId: versionId as never, parentId: root.id })
            return [root, district, other] as const
          })
        )
      const ids = [uuidv7(), uuidv7(), uuidv7()] as const
      await build(a.system, a.versionId, ids)
      await build(b.system, b.versionId, ids)
      const facility = await harness.as(
        b.system,
        Effect.flatMap(U, (u) => u.create({ name: "Facility", versionId: b.versionId as never, parentId: ids[1] as OrgUnitId }))
      )
      await harness.as(
        b.system,
        Effect.flatMap(U, (u) => u.move(ids[1] as OrgUnitId, ids[2] as OrgUnitId))
      )
      const paths = async (accountId: string) =>
        (await harness.inspectAccount(OrgUnitModel, accountId))
          .map((row) => [String(row["name"]), String(row["path"])] as const)
          .sort((x, y) => (x[0] < y[0] ? -1 : 1))
      const p = (...chain: ReadonlyArray<string>) => `${chain.join("/")}/`
      expect(await paths(a.accountId)).toEqual([
        ["Country", p(ids[0])],
        ["District", p(ids[0], ids[1])],
        ["Other", p(ids[0], ids[2])]
      ])
      const moved = await paths(b.accountId)
      expect(moved.filter(([name]) => name === "District" || name === "Facility")).toEqual([
        ["District", p(ids[0], ids[2], ids[1])],
        ["Facility", p(ids[0], ids[2], ids[1], (facility as OrgUnit).id)]
      ])
    })
  })
}
