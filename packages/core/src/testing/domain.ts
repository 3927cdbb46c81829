/**
 * Scenarios through the services: permissions, tenancy, org-unit hierarchy and access, rollback of
 * failed units of work, text and time fidelity, geometry, capabilities and migrations.
 * @module
 */
import { Deferred, Effect, Fiber, Option, Redacted, Schema } from "effect"
import { describe, expect } from "vitest"
import { drainChanges } from "./generic.ts"
import { scenario } from "./scenario.ts"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { CORE_MIGRATIONS } from "../core-migrations.ts"
import { OrgUnitModel, type OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { ExternalCredentialsModel, SourceVersionModel } from "../registry/sources.ts"
import { Accounts } from "../tenancy/accounts-service.ts"
import { Records } from "../kernel/records.ts"
import { Conflict } from "../shared/errors.ts"
import type { AnyModel } from "../shared/model.ts"
import { foldKey } from "../shared/text.ts"
import { AccountFeatureFlagModel } from "../tenancy/feature-flags.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { ProfileModel, ProfileOrgUnitModel, UserModel } from "../tenancy/users.ts"
import { Actor } from "../tenancy/actor.ts"
import type { FreshAccount, Harness } from "./harness.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { exitError, exitTag } from "./harness.ts"

const tricky = [
  'O\'Reilly "quoted" `tick` \\ back\\slash',
  "'); DROP TABLE org_unit; -- /* */ %_",
  "Ségou 🏥 🇸🇱 e\u0301 \u{10FFFF} \uFFFF",
  "  leading and trailing spaces  ",
  "line\nbreak\ttab\r\n"
]

/** Builds root > (a > a1 > a11, b) in the account's version. */
const pyramid = (h: Harness, account: FreshAccount) =>
  h.as(
    account.system,
    Effect.gen(function* () {
      const units = yield* OrgUnits
      const versionId = account.versionId as OrgUnit["versionId"]
      const root = yield* units.create({ name: "Root", versionId })
      const a = yield* units.create({ name: "A", versionId, parentId: root.id })
      const b = yield* units.create({ name: "B", versionId, parentId: root.id })
      const a1 = yield* units.create({ name: "A1", versionId, parentId: a.id })
      const a11 = yield* units.create({ name: "A11", versionId, parentId: a1.id })
      return { root, a, b, a1, a11 }
    })
  )

const accountRows = async (h: Harness, account: FreshAccount, models: ReadonlyArray<AnyModel>) => {
  const out: Record<string, unknown> = {}
  for (const model of models) out[model.name] = await h.inspectAccount(model, account.accountId)
  return out
}

/** Every unit's path is its parent's path plus its own id (no cycle, no stale path). */
const expectConsistentPaths = async (h: Harness, account: FreshAccount) => {
  const rows = await h.inspectAccount(OrgUnitModel, account.accountId)
  const byId = new Map(rows.map((row) => [String(row["id"]), row]))
  for (const row of rows) {
    const parent = row["parentId"] === undefined ? undefined : byId.get(String(row["parentId"]))
    const expected = `${parent === undefined ? "" : String(parent["path"])}${String(row["id"])}/`
    expect(row["path"], `path of ${String(row["name"])}`).toBe(expected)
    expect(row["depth"]).toBe(expected.split("/").length - 1)
  }
}

/** Registers the service-level scenarios. */
export const domainScenarios = (h: () => Harness) => {
  describe("permissions and tenancy", () => {
    scenario("a missing permission answers Forbidden on reads and writes, and nothing is written", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const nobody = account.withPermissions([])
      const before = await accountRows(harness, account, [ProjectModel, OrgUnitModel, AuditEntryModel])
      const create = await harness.exitAs(
        nobody,
        Effect.flatMap(Effect.service(Records), (r) => r.create(ProjectModel, { name: "P", needsAuthentication: false, description: "" }))
      )
      expect(exitTag(create)).toBe("Forbidden")
      expect(exitError(create)).toMatchObject({ permission: "iaso_projects" })
      const unit = await harness.exitAs(
        nobody,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "X", versionId: account.versionId as OrgUnit["versionId"] }))
      )
      expect(exitTag(unit)).toBe("Forbidden")
      const read = await harness.exitAs(
        nobody,
        Effect.flatMap(Effect.service(Records), (r) => r.list(SourceVersionModel))
      )
      expect(exitTag(read)).toBe("Forbidden")
      const count = await harness.exitAs(
        nobody,
        Effect.flatMap(Effect.service(Records), (r) => r.count(OrgUnitModel))
      )
      expect(exitTag(count)).toBe("Forbidden")
      expect(await accountRows(harness, account, [ProjectModel, OrgUnitModel, AuditEntryModel])).toEqual(before)
      const allowed = await harness.as(
        account.withPermissions(["iaso_projects"]),
        Effect.flatMap(Effect.service(Records), (r) => r.create(ProjectModel, { name: "P", needsAuthentication: false, description: "" }))
      )
      expect(allowed.name).toBe("P")
    })

    scenario("reading, changing or deleting another account's record answers NotFound", async () => {
      const harness = h()
      const a = await harness.freshAccount()
      const b = await harness.freshAccount()
      const records = Effect.service(Records)
      const exitB = <A, E>(e: Effect.Effect<A, E, Records | CurrentActor>) => harness.exitAs(b.system, e)
      expect(exitTag(await exitB(Effect.flatMap(records, (r) => r.get(ProjectModel, a.projectId))))).toBe("NotFound")
      expect(exitTag(await exitB(Effect.flatMap(records, (r) => r.update(ProjectModel, a.projectId, { name: "stolen" }))))).toBe("NotFound")
      expect(exitTag(await exitB(Effect.flatMap(records, (r) => r.remove(ProjectModel, a.projectId))))).toBe("NotFound")
      const units = await harness.exitAs(
        b.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "X", versionId: a.versionId as OrgUnit["versionId"] }))
      )
      expect(exitTag(units)).toBe("NotFound")
      const project = await harness.as(
        a.system,
        Effect.flatMap(records, (r) => r.get(ProjectModel, a.projectId))
      )
      expect(project.name).toBe("Main Project")
    })

    scenario("global catalogues are changed only by the host app; every service write leaves an audit entry without secrets", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const admin = account.withPermissions(["iaso_account_management", "iaso_write_sources", "iaso_sources"])
      const flag = await harness.exitAs(
        admin,
        Effect.flatMap(Effect.service(Records), (r) => r.create(AccountFeatureFlagModel, { code: "NOT_ALLOWED", name: "x" }))
      )
      expect(exitTag(flag)).toBe("Forbidden")
      const credentials = await harness.as(
        { ...admin, userId: undefined } as never,
        Effect.flatMap(Effect.service(Records), (r) =>
          r.create(ExternalCredentialsModel, { name: "dhis2", login: "admin", password: Redacted.make("district"), url: "https://play.example.org" })
        )
      )
      expect(Redacted.value(credentials.password)).toBe("district")
      const [entry] = (await harness.inspectAccount(AuditEntryModel, account.accountId)).filter((row) => row["objectId"] === credentials.id)
      expect(entry?.["objectModel"]).toBe("ExternalCredentials")
      expect(entry?.["source"]).toBe("RECORDS")
      expect(entry?.["after"]).toMatchObject({ name: "dhis2", login: "admin", url: "https://play.example.org" })
      expect(JSON.stringify(entry)).not.toContain("district")
      const [stored] = (await harness.inspectAccount(ExternalCredentialsModel, account.accountId)).filter((row) => row["id"] === credentials.id)
      expect(stored?.["password"]).toBe("district")
      expect(JSON.stringify(Schema.encodeUnknownSync(ExternalCredentialsModel.publicSchema as Schema.Codec<unknown, unknown>)(credentials))).not.toContain(
        "district"
      )
    })

    scenario("models whose writes have rules refuse generic writes with Unsupported", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const exit = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) => r.update(OrgUnitModel, account.versionId, { name: "x" }))
      )
      expect(exitTag(exit)).toBe("Unsupported")
    })

    scenario("the host app finds an account by its name across accounts; an unknown name finds none", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const current = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Accounts), (a) => a.current)
      )
      const found = await harness.run(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName(current.name)))
      expect(Option.getOrUndefined(found)?.id).toBe(account.accountId)
      const none = await harness.run(Effect.flatMap(Effect.service(Accounts), (a) => a.findByName(`${current.name} (no such account)`)))
      expect(Option.isNone(none)).toBe(true)
    })

    scenario("an account's setup creates its source, version 1, main project and default versions", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const current = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Accounts), (a) => a.current)
      )
      expect(current.defaultVersionId).toBe(account.versionId)
      expect(current.modules).toEqual(["DEFAULT"])
      const version = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) => r.get(SourceVersionModel, account.versionId))
      )
      expect(version.number).toBe(1)
    })
  })

  describe("org-unit hierarchy", () => {
    scenario("moving a district rewrites its descendants' paths and depths in one unit of work", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { root, a, b, a1, a11 } = await pyramid(harness, account)
      const moved = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(a.id, b.id))
      )
      expect(moved.path).toBe(`${root.id}/${b.id}/${a.id}/`)
      expect(moved.depth).toBe(3)
      expect(moved.parentId).toBe(b.id)
      const rows = new Map((await harness.inspectAccount(OrgUnitModel, account.accountId)).map((row) => [String(row["id"]), row]))
      expect(rows.get(a1.id)?.["path"]).toBe(`${root.id}/${b.id}/${a.id}/${a1.id}/`)
      expect(rows.get(a11.id)?.["path"]).toBe(`${root.id}/${b.id}/${a.id}/${a1.id}/${a11.id}/`)
      expect([rows.get(a1.id)?.["depth"], rows.get(a11.id)?.["depth"]]).toEqual([4, 5])
      expect([rows.get(a1.id)?.["version"], rows.get(a11.id)?.["version"], rows.get(b.id)?.["version"]]).toEqual([2, 2, 1])
      const below = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.descendants(b.id, { orderBy: [{ field: "depth" }] }))
      )
      expect(below.items.map((unit) => unit.name)).toEqual(["A", "A1", "A11"])
      const ancestors = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.ancestors(a11.id))
      )
      expect(ancestors.map((unit) => unit.name)).toEqual(["Root", "B", "A", "A1"])
      await expectConsistentPaths(harness, account)
    })

    scenario("a move under its own descendant or into another version is refused and changes nothing", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { a, a11 } = await pyramid(harness, account)
      const before = await harness.inspectAccount(OrgUnitModel, account.accountId)
      const cycle = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(a.id, a11.id))
      )
      expect(exitTag(cycle)).toBe("ValidationError")
      const self = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(a.id, a.id))
      )
      expect(exitTag(self)).toBe("ValidationError")
      const other = await harness.as(
        account.system,
        Effect.gen(function* () {
          const repos = yield* Effect.promise(() => harness.repos())
          const version = yield* repos.insert(SourceVersionModel, account.accountId, { dataSourceId: account.dataSourceId, number: 2 })
          return yield* Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "Elsewhere", versionId: version.id }))
        })
      )
      const cross = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(a.id, other.id))
      )
      expect(exitTag(cross)).toBe("ValidationError")
      expect(String((exitError(cross) as { message: string }).message)).toContain("Parent is not in the same version")
      const after = (await harness.inspectAccount(OrgUnitModel, account.accountId)).filter((row) => row["id"] !== other.id)
      expect(after).toEqual(before)
    })

    scenario("moving to the root and back keeps every path consistent; two concurrent moves cannot create a cycle", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { root, a, b } = await pyramid(harness, account)
      const toRoot = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(a.id, null))
      )
      expect([toRoot.path, toRoot.depth, toRoot.parentId]).toEqual([`${a.id}/`, 1, undefined])
      await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(a.id, root.id))
      )
      await expectConsistentPaths(harness, account)
      const both = await harness.exitAs(
        account.system,
        Effect.gen(function* () {
          const units = yield* OrgUnits
          const first = yield* Effect.forkChild(Effect.result(units.move(a.id, b.id)))
          const second = yield* Effect.forkChild(Effect.result(units.move(b.id, a.id)))
          return [yield* Fiber.join(first), yield* Fiber.join(second)]
        })
      )
      expect(exitTag(both)).toBe("Success")
      if (both._tag === "Success") {
        const outcomes = both.value.map((r) => r._tag)
        expect(outcomes.filter((t) => t === "Success").length).toBe(1)
      }
      await expectConsistentPaths(harness, account)
    })

    scenario("an actor restricted to org units sees only their subtrees on every read path and cannot create or move to the root", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { root, a, b, a1 } = await pyramid(harness, account)
      const restricted = account.withPermissions(["iaso_org_units"], { orgUnitRoots: [a.id] })
      const units = Effect.service(OrgUnits)
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(units, (u) => u.get(b.id))
          )
        )
      ).toBe("NotFound")
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(units, (u) => u.get(root.id))
          )
        )
      ).toBe("NotFound")
      expect(
        (
          await harness.as(
            restricted,
            Effect.flatMap(units, (u) => u.get(a1.id))
          )
        ).name
      ).toBe("A1")
      const listed = await harness.as(
        restricted,
        Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, { orderBy: [{ field: "name" }] }))
      )
      expect(listed.items.map((unit) => unit.name)).toEqual(["A", "A1", "A11"])
      expect(
        await harness.as(
          restricted,
          Effect.flatMap(Effect.service(Records), (r) => r.count(OrgUnitModel))
        )
      ).toBe(3)
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(Effect.service(Records), (r) => r.get(OrgUnitModel, b.id))
          )
        )
      ).toBe("NotFound")
      const children = await harness.as(
        restricted,
        Effect.flatMap(units, (u) => u.children(a.id))
      )
      expect(children.items.map((unit) => unit.name)).toEqual(["A1"])
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(units, (u) => u.descendants(root.id))
          )
        )
      ).toBe("NotFound")
      const ancestors = await harness.as(
        restricted,
        Effect.flatMap(units, (u) => u.ancestors(a1.id))
      )
      expect(ancestors.map((unit) => unit.name)).toEqual(["A"])
      const versionId = account.versionId as OrgUnit["versionId"]
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(units, (u) => u.create({ name: "Root 2", versionId }))
          )
        )
      ).toBe("Forbidden")
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(units, (u) => u.move(a1.id, null))
          )
        )
      ).toBe("Forbidden")
      expect(
        exitTag(
          await harness.exitAs(
            restricted,
            Effect.flatMap(units, (u) => u.move(a1.id, b.id))
          )
        )
      ).toBe("NotFound")
      const created = await harness.as(
        restricted,
        Effect.flatMap(units, (u) => u.create({ name: "A2", versionId, parentId: a.id }))
      )
      expect(created.path).toBe(`${root.id}/${a.id}/${created.id}/`)
    })

    scenario("an actor limited to some org-unit types cannot edit units of other types", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { a } = await pyramid(harness, account)
      const limited = account.withPermissions(["iaso_org_units"], { editableOrgUnitTypeIds: [account.projectId as never] })
      const exit = await harness.exitAs(
        limited,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.update(a.id, { name: "renamed" }))
      )
      expect(exitTag(exit)).toBe("Forbidden")
    })

    scenario("a code is unique per version among VALID units, enforced by storage", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const versionId = account.versionId as OrgUnit["versionId"]
      const units = Effect.service(OrgUnits)
      await harness.as(
        account.system,
        Effect.flatMap(units, (u) => u.create({ name: "One", versionId, code: "ES0025", validationStatus: "VALID" }))
      )
      const clash = await harness.exitAs(
        account.system,
        Effect.flatMap(units, (u) => u.create({ name: "Two", versionId, code: "ES0025", validationStatus: "VALID" }))
      )
      expect(exitTag(clash)).toBe("AlreadyExists")
      const draft = await harness.as(
        account.system,
        Effect.flatMap(units, (u) => u.create({ name: "Three", versionId, code: "ES0025", validationStatus: "NEW" }))
      )
      const promote = await harness.exitAs(
        account.system,
        Effect.flatMap(units, (u) => u.update(draft.id, { validationStatus: "VALID" }))
      )
      expect(exitTag(promote)).toBe("AlreadyExists")
      await harness.as(
        account.system,
        Effect.flatMap(units, (u) => u.create({ name: "Blank 1", versionId, code: "", validationStatus: "VALID" }))
      )
      await harness.as(
        account.system,
        Effect.flatMap(units, (u) => u.create({ name: "Blank 2", versionId, code: "", validationStatus: "VALID" }))
      )
    })
  })

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
          const inside = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const writer = yield* Effect.forkChild(
            records.transaction(
              Effect.gen(function* () {
                yield* records.create(ProjectModel, { name: "Pending", needsAuthentication: false, description: "" })
                yield* Deferred.succeed(inside, undefined)
                yield* Deferred.await(release)
                yield* records.create(ProjectModel, { name: "Pending", needsAuthentication: false, description: "" })
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

  describe("fidelity", () => {
    scenario("quotes, emoji, SQL fragments and astral characters round-trip exactly and are found by folded search", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const versionId = account.versionId as OrgUnit["versionId"]
      for (const name of tricky) {
        const unit = await harness.as(
          account.system,
          Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name, versionId, aliases: [name] }))
        )
        const read = await harness.as(
          account.system,
          Effect.flatMap(Effect.service(OrgUnits), (u) => u.get(unit.id))
        )
        expect(read.name).toBe(name)
        expect(read.aliases).toEqual([name])
        const found = await harness.as(
          account.system,
          Effect.flatMap(Effect.service(Records), (r) =>
            r.list(OrgUnitModel, { where: [{ field: "nameKey", op: "contains", value: foldKey(name).slice(2, 9) }] })
          )
        )
        expect(found.items.map((item) => item.id)).toContain(unit.id)
      }
      const search = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) => r.list(OrgUnitModel, { where: [{ field: "nameKey", op: "contains", value: "segou" }] }))
      )
      expect(search.items.map((item) => item.name)).toEqual([tricky[2]])
    })

    scenario("text containing NUL is refused with a ValidationError naming the field, and nothing is stored", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const before = await harness.inspectAccount(ProjectModel, account.accountId)
      const exit = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) => r.create(ProjectModel, { name: "bad\u0000name", needsAuthentication: false, description: "" }))
      )
      expect(exitTag(exit)).toBe("ValidationError")
      const error = exitError(exit) as { readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<unknown>; readonly message: string }> }
      expect(error.issues[0]?.path).toEqual(["name"])
      expect(error.issues[0]?.message).toContain("NUL")
      expect(await harness.inspectAccount(ProjectModel, account.accountId)).toEqual(before)
    })

    scenario("timestamps keep the millisecond, from 1970 to 9999", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const versionId = account.versionId as OrgUnit["versionId"]
      for (const at of [
        new Date(0),
        new Date(Date.UTC(2021, 0, 2, 3, 4, 5, 678)),
        new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
        new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999))
      ]) {
        const unit = await harness.as(
          account.system,
          Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "T", versionId, sourceCreatedAt: at }))
        )
        const read = await harness.as(
          account.system,
          Effect.flatMap(Effect.service(OrgUnits), (u) => u.get(unit.id))
        )
        expect(read.sourceCreatedAt?.getTime()).toBe(at.getTime())
        expect(read.createdAt.getTime() % 1).toBe(0)
        expect(read.createdAt.getTime()).toBe(unit.createdAt.getTime())
      }
    })

    scenario("geometry round-trips exactly: a Polygon with a hole becomes a MultiPolygon, simplified geometry and bounding box are computed", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const versionId = account.versionId as OrgUnit["versionId"]
      const outer = [
        [-13.3, 6.9],
        [-10.2, 6.9],
        [-10.2, 10.0],
        [-13.3, 10.0],
        [-13.3, 6.9]
      ]
      const hole = [
        [-12.0, 8.0],
        [-11.0, 8.0],
        [-11.0, 9.0],
        [-12.0, 8.0]
      ]
      const unit = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) =>
          u.create({
            name: "Shape",
            versionId,
            geom: { type: "Polygon", coordinates: [outer as never, hole as never] },
            location: { type: "Point", coordinates: [-11.7271, 7.9553, 152.25] }
          })
        )
      )
      const read = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.get(unit.id))
      )
      expect(read.geom).toEqual({ type: "MultiPolygon", coordinates: [[outer, hole]] })
      expect(read.simplifiedGeom).toEqual({ type: "MultiPolygon", coordinates: [[outer, hole]] })
      expect(read.location).toEqual({ type: "Point", coordinates: [-11.7271, 7.9553, 152.25] })
      const [row] = (await harness.inspectAccount(OrgUnitModel, account.accountId)).filter((r) => r["id"] === unit.id)
      expect([row?.["bboxWest"], row?.["bboxSouth"], row?.["bboxEast"], row?.["bboxNorth"]]).toEqual([-13.3, 6.9, -10.2, 10.0])
      const inBox = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) =>
          r.list(OrgUnitModel, {
            where: [
              { field: "bboxWest", op: "lte", value: -12 },
              { field: "bboxEast", op: "gte", value: -12 },
              { field: "bboxSouth", op: "lte", value: 8 },
              { field: "bboxNorth", op: "gte", value: 8 }
            ]
          })
        )
      )
      expect(inBox.items.map((item) => item.id)).toEqual([unit.id])
      const bad = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) =>
          u.create({
            name: "Bad",
            versionId,
            geom: {
              type: "Polygon",
              coordinates: [
                [
                  [0, 0],
                  [1, 0],
                  [1, 1],
                  [0, 0.5]
                ]
              ]
            } as never
          })
        )
      )
      expect(exitTag(bad)).toBe("ValidationError")
      expect(String((exitError(bad) as { message: string }).message)).toContain("closed")
    })
  })

  describe("store", () => storeScenarios(h))
}

/** `body` as one unit of work, given the Records and OrgUnits services. */
const unitOfWork = <A, E, R>(body: (records: Records["Service"], units: OrgUnits["Service"]) => Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const records = yield* Records
    const units = yield* OrgUnits
    return yield* records.transaction(body(records, units))
  })

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
        unitOfWork((records, units) =>
          Effect.gen(function* () {
            yield* records.create(ProjectModel, { name: "Doomed", needsAuthentication: false, description: "" })
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
      unitOfWork((records, units) =>
        Effect.gen(function* () {
          yield* records.create(ProjectModel, { name: "Kept", needsAuthentication: false, description: "" })
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
          yield* records.create(ProjectModel, { name: "Outer", needsAuthentication: false, description: "" })
          const inner = yield* Effect.result(
            records.transaction(
              Effect.gen(function* () {
                yield* records.create(ProjectModel, { name: "Inner", needsAuthentication: false, description: "" })
                yield* units.move(a.id, b.id)
                return yield* Effect.fail(new Conflict({ model: "Test", id: "inner", message: "inner fails" }))
              })
            )
          )
          expect(inner._tag).toBe("Failure")
          yield* records.create(ProjectModel, { name: "After", needsAuthentication: false, description: "" })
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
