/**
 * Units of work through the services: failures roll back (the store scenarios' rollback set),
 * deletes cascade as IASO's do, reads never see half a unit of work, and subtree reads stay within
 * the account and the actor's reach.
 * @module
 */
import { Deferred, Effect, Fiber } from "effect"
import { describe, expect } from "vitest"
import { scenario } from "./scenario.ts"
import { OrgUnitModel, type OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { Records } from "../kernel/records.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { Projects } from "../tenancy/projects-service.ts"
import { uuidv7 } from "../shared/ids.ts"
import { ProfileModel, ProfileOrgUnitModel, UserModel } from "../tenancy/users.ts"
import { Actor } from "../tenancy/actor.ts"
import type { Harness } from "./harness.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { exitTag } from "./harness.ts"

import { pyramid } from "./org-unit-fixtures.ts"
import { rollbackScenarios } from "./store-scenarios.ts"

/** Registers the unit-of-work scenarios. */
export const unitOfWorkScenarios = (h: () => Harness) => {
  describe("units of work", () => {
    rollbackScenarios(h)

    scenario("deleting an org unit deletes its subtree and what references it (IASO's cascades), and clears nullable references", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { root, a, b, a1, a11 } = await pyramid(harness, account)
      const repos = await harness.repos()
      const [user] = await harness
        .run(
          repos.insertMany(UserModel, account.accountId, [{ username: `cascade-${a.id}`, firstName: "", lastName: "", email: "", isActive: true }], {
            atomic: true
          })
        )
        .then((r) => r.items.map((i) => (i._tag === "Ok" ? i.value : undefined)))
      expect(user).toBeDefined()
      const userId = user?.id ?? ""
      const profile = await harness.run(repos.insert(ProfileModel, account.accountId, { userId }))
      await harness.run(repos.insert(ProfileOrgUnitModel, account.accountId, { profileId: profile.id, orgUnitId: a1.id }))
      await harness.run(repos.insert(ProfileOrgUnitModel, account.accountId, { profileId: profile.id, orgUnitId: b.id }))
      const withCreator = await harness.as(
        Actor.user({ accountId: account.accountId, userId: userId as never, permissions: ["iaso_org_units"] }),
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "By user", versionId: account.versionId as OrgUnit["versionId"], parentId: b.id }))
      )
      expect(withCreator.creatorId).toBe(userId)
      await harness.run(repos.remove(OrgUnitModel, account.accountId, a.id))
      const remaining = (await harness.inspectAccount(OrgUnitModel, account.accountId)).map((row) => row["id"]).sort()
      expect(remaining).toEqual([root.id, b.id, withCreator.id].sort())
      expect(remaining).not.toContain(a11.id)
      const links = (await harness.inspectAccount(ProfileOrgUnitModel, account.accountId)).map((row) => row["orgUnitId"])
      expect(links).toEqual([b.id])
      await harness.run(repos.remove(UserModel, account.accountId, userId))
      const [after] = (await harness.inspectAccount(OrgUnitModel, account.accountId)).filter((row) => row["id"] === withCreator.id)
      expect(after !== undefined && "creatorId" in after).toBe(false)
      expect(after?.["version"]).toBe(2)
      expect(await harness.inspectAccount(ProfileModel, account.accountId)).toEqual([])
    })

    scenario("a read outside a unit of work never sees it half done: before its commit it sees nothing, after it sees everything", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const seen = await harness.as(
        account.system,
        Effect.gen(function* () {
          const records = yield* Records
          const projects = yield* Projects
          const inside = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const writer = yield* Effect.forkChild(
            records.transaction(
              Effect.gen(function* () {
                yield* projects.create({ name: "Pending", appId: `pending.${uuidv7()}` })
                yield* Deferred.succeed(inside, undefined)
                yield* Deferred.await(release)
                yield* projects.create({ name: "Pending", appId: `pending.${uuidv7()}` })
              })
            )
          )
          yield* Deferred.await(inside)
          // Stores with concurrent readers answer at once (and must not see the pending write);
          // single-connection stores make the read wait for the commit (and it then sees both).
          const reader = yield* Effect.forkChild(records.count(ProjectModel, [{ field: "name", op: "eq", value: "Pending" }]))
          yield* Effect.sleep("100 millis")
          const early = reader.pollUnsafe() !== undefined
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(writer)
          const during = yield* Fiber.join(reader)
          const after = yield* records.count(ProjectModel, [{ field: "name", op: "eq", value: "Pending" }])
          return { during, after, early }
        })
      )
      expect(seen.after).toBe(2)
      // Never half done (1); a read that answered before the commit saw nothing.
      expect([0, 2]).toContain(seen.during)
      if (seen.early) expect(seen.during).toBe(0)
    })

    scenario("another account's subtree is invisible on every hierarchy read path", async () => {
      const harness = h()
      const a = await harness.freshAccount()
      const b = await harness.freshAccount()
      const { root, a1 } = await pyramid(harness, a)
      const units = Effect.service(OrgUnits)
      for (const read of [
        Effect.flatMap(units, (u) => u.get(root.id)),
        Effect.flatMap(units, (u) => u.children(root.id)),
        Effect.flatMap(units, (u) => u.descendants(root.id)),
        Effect.flatMap(units, (u) => u.hierarchy(root.id)),
        Effect.flatMap(units, (u) => u.ancestors(a1.id)),
        Effect.flatMap(units, (u) => u.move(a1.id, null))
      ]) {
        expect(exitTag(await harness.exitAs(b.system, read as Effect.Effect<unknown, unknown, OrgUnits | CurrentActor>))).toBe("NotFound")
      }
      const repos = await harness.repos()
      const page = await harness.run(repos.subtree(OrgUnitModel, b.accountId, root.path))
      expect(page.items).toEqual([])
      const search = await harness.as(
        b.system,
        Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, { where: [{ field: "nameKey", op: "contains", value: "a1" }] }))
      )
      expect(search.items).toEqual([])
      const spatial = await harness.as(
        b.system,
        Effect.flatMap(Effect.service(Records), (r) => r.count(OrgUnitModel, [{ field: "bboxWest", op: "isNull" }]))
      )
      expect(spatial).toBe(0)
    })

    scenario("descendants and hierarchy read the unit with its subtree; pages continue by cursor; leaves, missing and hidden units", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const other = await harness.freshAccount()
      const { root, a, b, a1, a11 } = await pyramid(harness, account)
      const units = Effect.service(OrgUnits)
      const byPath = [a, a1, a11, b].sort((x, y) => (x.path < y.path ? -1 : 1)).map((unit) => unit.name)
      // Pages of two, each following the previous page's cursor.
      const pages = async (
        read: (cursor: string | undefined) => Effect.Effect<{ items: ReadonlyArray<Partial<OrgUnit>>; cursor?: string }, unknown, OrgUnits | CurrentActor>
      ) => {
        const out: Array<Array<string | undefined>> = []
        let cursor: string | undefined
        do {
          const page = await harness.as(account.system, read(cursor))
          out.push(page.items.map((unit) => unit.name))
          cursor = page.cursor
        } while (cursor !== undefined)
        return out
      }
      const page = (cursor: string | undefined) => ({ limit: 2, ...(cursor === undefined ? {} : { cursor }) })
      expect(await pages((cursor) => Effect.flatMap(units, (u) => u.descendants(root.id, page(cursor))))).toEqual([byPath.slice(0, 2), byPath.slice(2)])
      expect(await pages((cursor) => Effect.flatMap(units, (u) => u.hierarchy(root.id, page(cursor))))).toEqual([
        ["Root", byPath[0]],
        byPath.slice(1, 3),
        byPath.slice(3)
      ])
      const selected = await harness.as(
        account.system,
        Effect.flatMap(units, (u) => u.descendants(a.id, { select: ["name"] }))
      )
      expect(selected).toEqual({
        items: [
          { id: a1.id, name: "A1" },
          { id: a11.id, name: "A11" }
        ]
      })
      const leaf = await harness.as(
        account.system,
        Effect.flatMap(units, (u) => u.descendants(a11.id))
      )
      expect(leaf).toEqual({ items: [] })
      expect(
        (
          await harness.as(
            account.system,
            Effect.flatMap(units, (u) => u.hierarchy(a11.id))
          )
        ).items.map((unit) => unit.name)
      ).toEqual(["A11"])
      const restricted = account.withPermissions(["iaso_org_units"], { orgUnitRoots: [a1.id] })
      expect(
        (
          await harness.as(
            restricted,
            Effect.flatMap(units, (u) => u.hierarchy(a1.id))
          )
        ).items.map((unit) => unit.name)
      ).toEqual(["A1", "A11"])
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(units, (u) => u.descendants(a.id))
          )
        )
      ).toBe("NotFound")
      expect(
        exitTag(
          await harness.exitAs(
            account.system,
            Effect.flatMap(units, (u) => u.descendants("00000000-0000-7000-8000-000000000000" as OrgUnit["id"]))
          )
        )
      ).toBe("NotFound")
      expect(
        exitTag(
          await harness.exitAs(
            other.system,
            Effect.flatMap(units, (u) => u.hierarchy(a.id))
          )
        )
      ).toBe("NotFound")
      // The store port: a subtree given by its root's id starts with the root, in path order.
      const repos = await harness.repos()
      const ordered = [{ field: "path", direction: "asc" as const }]
      const rows = await harness.run(repos.driver.subtree(OrgUnitModel, { accountId: account.accountId }, { rootId: a.id }, { where: [], orderBy: ordered }))
      expect(rows.map((row) => row["name"])).toEqual(["A", "A1", "A11"])
      const shallow = await harness.run(
        repos.driver.subtree(
          OrgUnitModel,
          { accountId: account.accountId },
          { rootId: root.id },
          { where: [], orderBy: ordered, maxDepth: 2, select: ["id", "name", "path"] }
        )
      )
      expect(shallow).toEqual([root, a, b].sort((x, y) => (x.path < y.path ? -1 : 1)).map((unit) => ({ id: unit.id, name: unit.name, path: unit.path })))
      // Columns wanted on one row only (a page's cursor row) are there on that row at least.
      const cursorRow = await harness.run(
        repos.driver.subtree(
          OrgUnitModel,
          { accountId: account.accountId },
          { rootId: a.id },
          { where: [], orderBy: ordered, select: ["id", "name", "path"], onlyAt: { columns: ["path"], at: 1 } }
        )
      )
      expect(cursorRow.map((row) => [row["id"], row["name"]])).toEqual([
        [a.id, "A"],
        [a1.id, "A1"],
        [a11.id, "A11"]
      ])
      expect(cursorRow[1]?.["path"]).toBe(a1.path)
      // So on a large first page (read without them first by some stores), with and without that row.
      for (const at of [1, 3]) {
        const large = await harness.run(
          repos.driver.subtree(
            OrgUnitModel,
            { accountId: account.accountId },
            { rootId: a.id },
            { where: [], orderBy: ordered, limit: 5000, select: ["id", "name", "path"], onlyAt: { columns: ["path"], at } }
          )
        )
        expect(large.map((row) => [row["id"], row["name"]])).toEqual([
          [a.id, "A"],
          [a1.id, "A1"],
          [a11.id, "A11"]
        ])
        if (at === 1) expect(large[1]?.["path"]).toBe(a1.path)
      }
      expect(await harness.run(repos.driver.subtree(OrgUnitModel, { accountId: other.accountId }, { rootId: a.id }, { where: [], orderBy: ordered }))).toEqual(
        []
      )
      expect(
        await harness.run(
          repos.driver.subtree(
            OrgUnitModel,
            { accountId: account.accountId },
            { rootId: b.id },
            { where: [{ field: "name", op: "ne", value: "B" }], orderBy: ordered }
          )
        )
      ).toEqual([])
    })
  })
}
