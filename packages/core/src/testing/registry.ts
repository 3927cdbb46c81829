/**
 * Geo-registry scenarios: sources and versions, org-unit types, groups and group sets, and every
 * org-unit query (search by name, type, status, version, group, geometry, box, point containment,
 * nearest, counts per level).
 * @module
 */
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { Groups } from "../registry/groups-service.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import { OrgUnitTypes } from "../registry/org-unit-types-service.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { Sources } from "../registry/sources-service.ts"
import { DataSourceModel, ExternalCredentialsModel } from "../registry/sources.ts"
import type { Records } from "../kernel/records.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { exitError, exitTag, type FreshAccount, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

type R = Sources | OrgUnitTypes | OrgUnits | Groups | Records | CurrentActor

const square = (west: number, south: number, size: number) => ({
  type: "Polygon" as const,
  coordinates: [
    [
      [west, south],
      [west + size, south],
      [west + size, south + size],
      [west, south + size],
      [west, south]
    ] as Array<[number, number]>
  ]
})

/** A small pyramid with types, shapes, points and a group, for the query scenarios. */
const world = (h: Harness, account: FreshAccount) =>
  h.as(
    account.system,
    Effect.gen(function* () {
      const types = yield* OrgUnitTypes
      const units = yield* OrgUnits
      const groups = yield* Groups
      const versionId = account.versionId as OrgUnit["versionId"]
      const projectIds = [account.projectId as never]
      const country = yield* types.create({ name: "Country", depth: 1, category: "COUNTRY", projectIds })
      const district = yield* types.create({ name: "District - DS", depth: 2, category: "DISTRICT", projectIds })
      const facility = yield* types.create({ name: "Health facility/Formation sanitaire - HF", depth: 3, category: "HF", projectIds })
      const sl = yield* units.create({ name: "Sierra Leone", versionId, orgUnitTypeId: country.id, validationStatus: "VALID", geom: square(-13.5, 6.9, 3.5) })
      const bo = yield* units.create({
        name: "Bo",
        versionId,
        parentId: sl.id,
        orgUnitTypeId: district.id,
        validationStatus: "VALID",
        geom: square(-12.2, 7.5, 0.8)
      })
      const kenema = yield* units.create({
        name: "Kénéma",
        versionId,
        parentId: sl.id,
        orgUnitTypeId: district.id,
        validationStatus: "NEW",
        geom: square(-11.4, 7.6, 0.9)
      })
      const hospital = yield* units.create({
        name: "Bo Government Hospital",
        versionId,
        parentId: bo.id,
        orgUnitTypeId: facility.id,
        validationStatus: "VALID",
        location: { type: "Point", coordinates: [-11.7386, 7.9647] }
      })
      const clinic = yield* units.create({
        name: "Tikonko CHC",
        versionId,
        parentId: bo.id,
        orgUnitTypeId: facility.id,
        validationStatus: "REJECTED",
        location: { type: "Point", coordinates: [-11.7167, 7.9] }
      })
      const nowhere = yield* units.create({ name: "Mobile team", versionId, parentId: kenema.id, orgUnitTypeId: facility.id, validationStatus: "VALID" })
      const hospitals = yield* groups.create({ name: "Hospitals", sourceRef: "HOSP", orgUnitIds: [hospital.id] })
      return { types: { country, district, facility }, sl, bo, kenema, hospital, clinic, nowhere, hospitals }
    })
  )

const names = (items: ReadonlyArray<Partial<OrgUnit>>) => items.map((unit) => unit.name).sort()

/** Registers the geo-registry scenarios. */
export const registryScenarios = (h: () => Harness) => {
  describe("geo-registry", () => {
    scenario("a new version takes the next number (1 first); numbers are unique per source; default version needs its permission", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const admin = account.withPermissions(["iaso_write_sources", "iaso_sources"])
      const run = <A, E>(effect: Effect.Effect<A, E, R>) => harness.as(admin, effect)
      const source = await run(
        Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name: "DHIS2 SL", projectIds: [account.projectId as never] }))
      )
      const v1 = await run(Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id)))
      const v2 = await run(Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id, { description: "second" })))
      expect([v1.number, v2.number]).toEqual([1, 2])
      const clash = await harness.exitAs(
        admin,
        Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id, { number: 2 }))
      )
      expect(exitTag(clash)).toBe("AlreadyExists")
      const v7 = await run(Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id, { number: 7 })))
      expect((await run(Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id)))).number).toBe(8)
      const denied = await harness.exitAs(
        admin,
        Effect.flatMap(Effect.service(Sources), (s) => s.setDefaultVersion(source.id, v7.id))
      )
      expect(exitTag(denied)).toBe("Forbidden")
      const changed = await harness.as(
        account.withPermissions(["iaso_sources_can_change_default_version"]),
        Effect.flatMap(Effect.service(Sources), (s) => s.setDefaultVersion(source.id, v7.id))
      )
      expect(changed.defaultVersionId).toBe(v7.id)
      const foreign = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.setDefaultVersion(source.id, account.versionId as never))
      )
      expect(exitTag(foreign)).toBe("ValidationError")
      const versions = await run(Effect.flatMap(Effect.service(Sources), (s) => s.versions(source.id)))
      expect(versions.map((v) => v.number)).toEqual([1, 2, 7, 8])
    })

    scenario("a read-only source refuses org-unit and group writes", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const source = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name: "Frozen", readOnly: true }))
      )
      const version = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(source.id))
      )
      const unit = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.create({ name: "X", versionId: version.id }))
      )
      expect(exitTag(unit)).toBe("Forbidden")
      expect(String((exitError(unit) as { message: string }).message)).toContain("read-only")
      const group = await harness.exitAs(
        account.system,
        Effect.flatMap(Effect.service(Groups), (g) => g.create({ name: "G", versionId: version.id }))
      )
      expect(exitTag(group)).toBe("Forbidden")
    })

    scenario("credentials are created with a cleaned DHIS2 URL and a secret password", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const source = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) =>
          s.createDataSource({
            name: "With DHIS2",
            credentials: { name: "play", login: "admin", password: "district", url: "https://play.example.org/dhis-web-commons/security/login.action" }
          })
        )
      )
      const [stored] = (await harness.inspectAccount(ExternalCredentialsModel, account.accountId)).filter((row) => row["id"] === source.credentialsId)
      expect(stored?.["url"]).toBe("https://play.example.org")
      const [row] = (await harness.inspectAccount(DataSourceModel, account.accountId)).filter((r) => r["id"] === source.id)
      expect(row?.["credentialsId"]).toBe(source.credentialsId)
    })

    scenario("org-unit types: short names default to the last ' - ' segment; sub types cannot be ancestors; a used type cannot be deleted", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { types, bo } = await world(harness, account)
      expect(types.district.shortName).toBe("DS")
      expect(types.facility.shortName).toBe("HF")
      const T = Effect.service(OrgUnitTypes)
      await harness.as(
        account.system,
        Effect.flatMap(T, (t) => t.setSubUnitTypes(types.country.id, [types.district.id]))
      )
      await harness.as(
        account.system,
        Effect.flatMap(T, (t) => t.setSubUnitTypes(types.district.id, [types.facility.id]))
      )
      const cycle = await harness.exitAs(
        account.system,
        Effect.flatMap(T, (t) => t.setSubUnitTypes(types.facility.id, [types.country.id]))
      )
      expect(exitTag(cycle)).toBe("ValidationError")
      expect(String((exitError(cycle) as { message: string }).message)).toContain("Country")
      const tree = await harness.as(
        account.system,
        Effect.flatMap(T, (t) => t.hierarchy(types.country.id))
      )
      expect(tree.subUnitTypes.map((s) => [s.type.name, s.subUnitTypes.map((x) => x.type.name)])).toEqual([
        ["District - DS", ["Health facility/Formation sanitaire - HF"]]
      ])
      const used = await harness.exitAs(
        account.system,
        Effect.flatMap(T, (t) => t.remove(types.district.id))
      )
      expect(exitTag(used)).toBe("Conflict")
      expect(String((exitError(used) as { message: string }).message)).toBe("You can't delete a type that still has org units")
      const noProject = await harness.exitAs(
        account.system,
        Effect.flatMap(T, (t) => t.create({ name: "Orphan", projectIds: [] }))
      )
      expect(exitTag(noProject)).toBe("ValidationError")
      void bo
    })

    scenario("groups: members must share the group's version; source refs are unique per version; sets hold groups of their version", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { hospital, clinic, hospitals } = await world(harness, account)
      const G = Effect.service(Groups)
      expect(hospitals.versionId).toBe(account.versionId)
      await harness.as(
        account.system,
        Effect.flatMap(G, (g) => g.addMembers(hospitals.id, [clinic.id, hospital.id]))
      )
      expect(
        (
          await harness.as(
            account.system,
            Effect.flatMap(G, (g) => g.members(hospitals.id))
          )
        )
          .slice()
          .sort()
      ).toEqual([hospital.id, clinic.id].sort())
      const dup = await harness.exitAs(
        account.system,
        Effect.flatMap(G, (g) => g.create({ name: "Again", sourceRef: "HOSP" }))
      )
      expect(exitTag(dup)).toBe("AlreadyExists")
      const other = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(account.dataSourceId as never))
      )
      const elsewhere = await harness.as(
        account.system,
        Effect.flatMap(G, (g) => g.create({ name: "Elsewhere", versionId: other.id }))
      )
      const cross = await harness.exitAs(
        account.system,
        Effect.flatMap(G, (g) => g.addMembers(elsewhere.id, [hospital.id]))
      )
      expect(exitTag(cross)).toBe("ValidationError")
      const mixed = await harness.exitAs(
        account.system,
        Effect.flatMap(G, (g) => g.createSet({ name: "Mixed", versionId: account.versionId as never, groupIds: [hospitals.id, elsewhere.id] }))
      )
      expect(exitTag(mixed)).toBe("ValidationError")
      expect(String((exitError(mixed) as { message: string }).message)).toContain("Groups do not all belong to the same SourceVersion")
      const set = await harness.as(
        account.system,
        Effect.flatMap(G, (g) => g.createSet({ name: "Facility kinds", versionId: account.versionId as never, groupIds: [hospitals.id] }))
      )
      expect(set.groupBelonging).toBe("SINGLE")
      await harness.as(
        account.system,
        Effect.flatMap(G, (g) => g.removeMembers(hospitals.id, [clinic.id]))
      )
      expect(
        await harness.as(
          account.system,
          Effect.flatMap(G, (g) => g.members(hospitals.id))
        )
      ).toEqual([hospital.id])
      expect(
        (
          await harness.as(
            account.system,
            Effect.flatMap(G, (g) => g.groupsOf(hospital.id))
          )
        ).map((g) => g.name)
      ).toEqual(["Hospitals"])
    })

    scenario("search by folded name, type, status, version, group, parent, depth and geometry presence", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { types, sl, bo, hospitals } = await world(harness, account)
      const search = (filters: Parameters<OrgUnits["Service"]["search"]>[0]) =>
        harness
          .as(
            account.system,
            Effect.flatMap(Effect.service(OrgUnits), (u) => u.search(filters))
          )
          .then((page) => names(page.items))
      expect(await search({ name: "KENEMA" })).toEqual(["Kénéma"])
      expect(await search({ name: "bo" })).toEqual(["Bo", "Bo Government Hospital"])
      expect(await search({ orgUnitTypeIds: [types.facility.id] })).toEqual(["Bo Government Hospital", "Mobile team", "Tikonko CHC"])
      expect(await search({ validationStatuses: ["NEW", "REJECTED"] })).toEqual(["Kénéma", "Tikonko CHC"])
      expect(await search({ versionId: account.versionId as never, depth: 2 })).toEqual(["Bo", "Kénéma"])
      expect(await search({ groupId: hospitals.id })).toEqual(["Bo Government Hospital"])
      expect(await search({ parentId: null })).toEqual(["Sierra Leone"])
      expect(await search({ parentId: bo.id })).toEqual(["Bo Government Hospital", "Tikonko CHC"])
      expect(await search({ ancestorId: sl.id, hasShape: true })).toEqual(["Bo", "Kénéma"])
      expect(await search({ hasLocation: true })).toEqual(["Bo Government Hospital", "Tikonko CHC"])
      expect(await search({ hasGeometry: false })).toEqual(["Mobile team"])
      const paged = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(OrgUnits), (u) => u.search({ orderBy: [{ field: "name" }], limit: 2, select: ["name"] }))
      )
      expect(paged.items.map((unit) => unit.name)).toEqual(["Bo", "Bo Government Hospital"])
      expect(paged.cursor).toBeDefined()
    })

    scenario("spatial queries: within a box, containing a point (holes and edges), nearest by great-circle distance", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      await world(harness, account)
      const U = Effect.service(OrgUnits)
      const within = await harness.as(
        account.system,
        Effect.flatMap(U, (u) => u.search({ withinBox: [-11.75, 7.95, -11.7, 8.0] }))
      )
      expect(names(within.items)).toEqual(["Bo", "Bo Government Hospital", "Sierra Leone"])
      const containing = await harness.as(
        account.system,
        Effect.flatMap(U, (u) => u.search({ containing: { lon: -11.5, lat: 8.0 }, select: ["name"] }))
      )
      expect(names(containing.items)).toEqual(["Bo", "Sierra Leone"])
      const edge = await harness.as(
        account.system,
        Effect.flatMap(U, (u) => u.search({ containing: { lon: -12.2, lat: 7.7 } }))
      )
      expect(names(edge.items)).toEqual(["Bo", "Sierra Leone"])
      const outside = await harness.as(
        account.system,
        Effect.flatMap(U, (u) => u.search({ containing: { lon: 2.35, lat: 48.85 } }))
      )
      expect(outside.items).toEqual([])
      const nearest = await harness.as(
        account.system,
        Effect.flatMap(U, (u) => u.nearest({ lon: -11.72, lat: 7.91 }, { limit: 3 }))
      )
      expect(nearest.map((n) => n.unit.name)).toEqual(["Tikonko CHC", "Bo Government Hospital", "Bo"])
      expect(nearest[0]?.distanceMeters).toBeGreaterThan(1000)
      expect(nearest[0]?.distanceMeters).toBeLessThan(1300)
      const facilities = await harness.as(
        account.system,
        Effect.flatMap(U, (u) => u.nearest({ lon: 2.35, lat: 48.85 }, { limit: 1, hasLocation: true }))
      )
      expect(facilities.map((n) => n.unit.name)).toEqual(["Bo Government Hospital"])
    })

    scenario("counts per level of a version and of a subtree", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { bo } = await world(harness, account)
      const U = Effect.service(OrgUnits)
      expect(
        await harness.as(
          account.system,
          Effect.flatMap(U, (u) => u.countsPerLevel({ versionId: account.versionId as never }))
        )
      ).toEqual([
        { depth: 1, count: 1 },
        { depth: 2, count: 2 },
        { depth: 3, count: 3 }
      ])
      expect(
        await harness.as(
          account.system,
          Effect.flatMap(U, (u) => u.countsPerLevel({ rootId: bo.id }))
        )
      ).toEqual([
        { depth: 2, count: 1 },
        { depth: 3, count: 2 }
      ])
    })
  })
}
