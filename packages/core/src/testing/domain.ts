/**
 * Scenarios through the services: permissions, tenancy, org-unit hierarchy and access, cascades
 * and reads around units of work (fidelity and store scenarios are in their own modules).
 * @module
 */
import { Effect, Fiber, Option, Redacted, Schema } from "effect"
import { describe, expect } from "vitest"
import { fidelityScenarios } from "./fidelity.ts"
import { accountRows, expectConsistentPaths, pyramid } from "./org-unit-fixtures.ts"
import { unitOfWorkScenarios } from "./units-of-work.ts"
import { storeScenarios } from "./store-scenarios.ts"
import { scenario } from "./scenario.ts"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { OrgUnitModel, type OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { DataSourceModel, ExternalCredentialsModel, SourceVersionModel } from "../registry/sources.ts"
import { Accounts } from "../tenancy/accounts-service.ts"
import { Records } from "../kernel/records.ts"
import { AccountFeatureFlagModel } from "../tenancy/feature-flags.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { Projects } from "../tenancy/projects-service.ts"
import type { Harness } from "./harness.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { exitError, exitTag } from "./harness.ts"

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
        Effect.flatMap(Effect.service(Projects), (p) => p.create({ name: "P", appId: `p.${account.accountId}` }))
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
        Effect.flatMap(Effect.service(Projects), (p) => p.create({ name: "P", appId: `p.${account.accountId}` }))
      )
      expect(allowed.project.name).toBe("P")
    })

    scenario("reading, changing or deleting another account's record answers NotFound", async () => {
      const harness = h()
      const a = await harness.freshAccount()
      const b = await harness.freshAccount()
      const records = Effect.service(Records)
      const exitB = <A, E>(e: Effect.Effect<A, E, Records | CurrentActor>) => harness.exitAs(b.system, e)
      expect(exitTag(await exitB(Effect.flatMap(records, (r) => r.get(ProjectModel, a.projectId))))).toBe("NotFound")
      expect(exitTag(await exitB(Effect.flatMap(records, (r) => r.update(DataSourceModel, a.dataSourceId, { name: "stolen" }))))).toBe("NotFound")
      expect(exitTag(await exitB(Effect.flatMap(records, (r) => r.remove(DataSourceModel, a.dataSourceId))))).toBe("NotFound")
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
      // Generic writes answer the record without its secret.
      expect("password" in credentials).toBe(false)
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

  unitOfWorkScenarios(h)

  describe("fidelity", () => fidelityScenarios(h))
  describe("store", () => storeScenarios(h))
}
