/**
 * Pyramid import scenarios (the engine behind the GeoPackage, GeoJSON and DHIS2 importers).
 * @module
 */
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { OrgUnitGroupMembershipModel, GroupModel } from "../registry/groups.ts"
import { ImportGPKGModel } from "../registry/import-gpkg.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeModel } from "../registry/org-unit-type.ts"
import type { PyramidInput } from "../registry/pyramid-import.ts"
import { importPyramid } from "../registry/pyramid-imports-service.ts"
import { Sources } from "../registry/sources-service.ts"
import { AccountModel } from "../tenancy/account.ts"
import { exitError, exitTag, type FreshAccount, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

/** The base pyramid of IASO's GeoPackage fixtures (children listed before parents). */
const MINIMAL: PyramidInput = {
  groups: [
    { ref: "group_a", name: "Group A" },
    { ref: "group_b", name: "Group B" }
  ],
  units: [
    {
      ref: "3c24c6ca-3012-4d38-abe8-6d620fe1deb8",
      name: "CSI de Garga-Sarali",
      type: { name: "FOSA", depth: 5 },
      parentRef: "cc5421f2-2003-4f01-be4f-5f64463ab456",
      groupRefs: ["group_b", " group_a"],
      code: "ES0025",
      geometry: { type: "Point", coordinates: [13.9993, 5.1795] }
    },
    {
      ref: "cdd3e94c-3c2a-4ab1-8900-be97f82347de",
      name: "District Betare Oya",
      type: { name: "DS", depth: 3 },
      parentRef: "",
      groupRefs: [],
      openingDate: "2020-01-01",
      closedDate: "2021-12-31",
      code: null,
      geometry: {
        type: "Polygon",
        coordinates: [
          [
            [13.0, 5.0],
            [14.5, 5.0],
            [14.5, 6.5],
            [13.0, 6.5],
            [13.0, 5.0]
          ]
        ]
      }
    },
    {
      ref: "cc5421f2-2003-4f01-be4f-5f64463ab456",
      name: "AS Tongo Gadima",
      type: { name: "AS", depth: 4 },
      parentRef: "cdd3e94c-3c2a-4ab1-8900-be97f82347de",
      code: ""
    }
  ]
}

const sourceWithProject = (h: Harness, account: FreshAccount, name: string) =>
  h.as(
    account.system,
    Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name, projectIds: [account.projectId as never] }))
  )

/** Registers the pyramid import scenarios. */
export const pyramidScenarios = (h: () => Harness) => {
  describe("pyramid import", () => {
    scenario("imports children before parents into a new version 0: types by name and depth, groups, paths, codes, geometry", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const source = await sourceWithProject(harness, account, "GPKG source")
      const result = await harness.as(account.system, importPyramid(MINIMAL, { dataSourceId: source.id, source: "GPKG_IMPORT", validationStatus: "VALID" }))
      expect([result.version.number, result.created, result.updated, result.groupsCreated, result.typesCreated]).toEqual([0, 3, 0, 2, 3])
      const units = new Map(
        (await harness.inspectAccount(OrgUnitModel, account.accountId)).filter((r) => r["versionId"] === result.version.id).map((r) => [r["sourceRef"], r])
      )
      const ds = units.get("cdd3e94c-3c2a-4ab1-8900-be97f82347de")
      const as = units.get("cc5421f2-2003-4f01-be4f-5f64463ab456")
      const fosa = units.get("3c24c6ca-3012-4d38-abe8-6d620fe1deb8")
      expect(ds?.["path"]).toBe(`${String(ds?.["id"])}/`)
      expect(fosa?.["path"]).toBe(`${String(ds?.["id"])}/${String(as?.["id"])}/${String(fosa?.["id"])}/`)
      expect([ds?.["code"], as?.["code"], fosa?.["code"]]).toEqual(["", "", "ES0025"])
      expect([ds?.["openingDate"], ds?.["closedDate"]]).toEqual(["2020-01-01", "2021-12-31"])
      expect(fosa?.["location"]).toEqual({ type: "Point", coordinates: [13.9993, 5.1795, 0] })
      expect((ds?.["geom"] as { type: string } | undefined)?.type).toBe("MultiPolygon")
      expect(ds?.["simplifiedGeom"]).toBeDefined()
      expect([ds?.["validationStatus"], fosa?.["validationStatus"]]).toEqual(["VALID", "VALID"])
      const types = (await harness.inspectAccount(OrgUnitTypeModel, account.accountId)).map((t) => [t["name"], t["depth"]]).sort()
      expect(types).toEqual([
        ["AS", 4],
        ["DS", 3],
        ["FOSA", 5]
      ])
      const groups = new Map((await harness.inspectAccount(GroupModel, account.accountId)).map((g) => [g["id"], g["sourceRef"]]))
      const memberships = (await harness.inspectAccount(OrgUnitGroupMembershipModel, account.accountId)).map((m) => [m["orgUnitId"], groups.get(m["groupId"])])
      expect(
        memberships
          .filter(([unit]) => unit === fosa?.["id"])
          .map(([, ref]) => ref)
          .sort()
      ).toEqual(["group_a", "group_b"])
      const accountRow = (await harness.inspectAccount(AccountModel, account.accountId))[0]
      expect(accountRow?.["defaultVersionId"]).toBe(account.versionId)
    })

    scenario("re-importing into the same version updates units in place, clears emptied groups, and reuses types", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const source = await sourceWithProject(harness, account, "GPKG source 2")
      const first = await harness.as(account.system, importPyramid(MINIMAL, { dataSourceId: source.id, source: "GPKG_IMPORT" }))
      const changed: PyramidInput = {
        groups: [{ ref: "group_b", name: "Group B renamed" }],
        units: MINIMAL.units.map((unit) => (unit.ref.startsWith("3c24") ? { ...unit, name: " CSI renamed ", groupRefs: null } : unit))
      }
      const second = await harness.as(
        account.system,
        importPyramid(changed, { dataSourceId: source.id, versionNumber: first.version.number, source: "GPKG_IMPORT" })
      )
      expect([second.created, second.updated, second.groupsCreated, second.groupsUpdated, second.typesCreated]).toEqual([0, 3, 0, 1, 0])
      const units = (await harness.inspectAccount(OrgUnitModel, account.accountId)).filter((r) => r["versionId"] === first.version.id)
      expect(units.length).toBe(3)
      expect(units.find((u) => String(u["sourceRef"]).startsWith("3c24"))?.["name"]).toBe("CSI renamed")
      expect(await harness.inspectAccount(OrgUnitGroupMembershipModel, account.accountId)).toEqual([])
      expect((await harness.inspectAccount(GroupModel, account.accountId)).map((g) => g["name"]).sort()).toEqual(["Group A", "Group B renamed"])
    })

    scenario("unknown parents and groups are all reported with IASO's messages, and nothing is imported", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const source = await sourceWithProject(harness, account, "GPKG source 3")
      const before = await harness.inspectAccount(OrgUnitModel, account.accountId)
      const bad: PyramidInput = {
        groups: [],
        units: [
          { ref: "a", name: "Alpha", parentRef: "missing-1" },
          { ref: "b", name: "Beta", parentRef: "missing-2", groupRefs: ["group_not_in_gpkg"] }
        ]
      }
      const exit = await harness.exitAs(
        account.system,
        importPyramid(bad, {
          dataSourceId: source.id,
          source: "GPKG_IMPORT",
          gpkgFile: { key: `sha256/${"0".repeat(64)}`, size: 0, sha256: "0".repeat(64), mediaType: "application/geopackage+sqlite3" }
        })
      )
      expect(exitTag(exit)).toBe("ValidationError")
      const messages = (exitError(exit) as { issues: ReadonlyArray<{ message: string }> }).issues.map((issue) => issue.message)
      expect(messages).toEqual([
        "Bad GPKG parent missing-1 for Alpha don't exist in input or SourceVersion",
        "Bad GPKG parent missing-2 for Beta don't exist in input or SourceVersion",
        "Bad GPKG group ['group_not_in_gpkg'] for Beta don't exist in input or SourceVersion"
      ])
      expect(await harness.inspectAccount(OrgUnitModel, account.accountId)).toEqual(before)
      expect(await harness.inspectAccount(ImportGPKGModel, account.accountId)).toEqual([])
    })

    scenario("a source without project is refused; legacy iaso# references are read as iaso:", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const lonely = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name: "No project" }))
      )
      const exit = await harness.exitAs(account.system, importPyramid(MINIMAL, { dataSourceId: lonely.id, source: "GPKG_IMPORT" }))
      expect(String((exitError(exit) as { message: string }).message)).toContain("DataSource must have at least one project assigned")
      const source = await sourceWithProject(harness, account, "Legacy refs")
      const legacy: PyramidInput = {
        groups: [{ ref: "iaso#49591", name: "Legacy group" }],
        units: [
          { ref: "iaso#6688", name: "Parent" },
          { ref: "iaso:6689", name: "Child", parentRef: "iaso#6688", groupRefs: ["iaso:49591"] }
        ]
      }
      const result = await harness.as(account.system, importPyramid(legacy, { dataSourceId: source.id, source: "GPKG_IMPORT" }))
      const refs = (await harness.inspectAccount(OrgUnitModel, account.accountId))
        .filter((r) => r["versionId"] === result.version.id)
        .map((r) => r["sourceRef"])
        .sort()
      expect(refs).toEqual(["iaso:6688", "iaso:6689"])
      expect((await harness.inspectAccount(GroupModel, account.accountId)).map((g) => g["sourceRef"])).toContain("iaso:49591")
    })
  })
}
