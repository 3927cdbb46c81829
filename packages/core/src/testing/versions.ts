/**
 * Whole-version scenarios: copying a version (parents re-pointed, paths rebuilt, groups and sets
 * carried over, the force rule), comparing two versions, matching the units of two versions with
 * each algorithm, validating links, and the access rules of all three (another account's versions
 * are not found; a missing permission is refused).
 * @module
 */
import { Effect, Layer } from "effect"
import { describe, expect } from "vitest"
import { Groups } from "../registry/groups-service.ts"
import { GroupModel, GroupSetGroupModel, GroupSetModel, OrgUnitGroupMembershipModel } from "../registry/groups.ts"
import { AlgorithmRunModel, LinkModel, MatchingAlgorithmModel } from "../registry/matching.ts"
import { Matching, type MatchingAlgorithmName, MATCHING_CATALOGUE } from "../registry/matching-service.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypes } from "../registry/org-unit-types-service.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { Sources } from "../registry/sources-service.ts"
import type { SourceVersion } from "../registry/sources.ts"
import { Versions } from "../registry/versions-service.ts"
import type { Row } from "../shared/model.ts"
import { Actor, type CurrentActor } from "../tenancy/actor.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type FreshAccount, type Harness, type SuiteServices } from "./harness.ts"
import { scenario } from "./scenario.ts"

/** The services of these scenarios, provided here so the scenarios do not depend on what `Iaso.layer` holds. */
const VersionServices = Layer.mergeAll(Versions.layer, Matching.layer)

type R = SuiteServices | Versions | Matching | CurrentActor

const asActor = <A, E>(harness: Harness, actor: Actor, effect: Effect.Effect<A, E, R>): Promise<A> => harness.as(actor, Effect.provide(effect, VersionServices))
const exitAsActor = <A, E>(harness: Harness, actor: Actor, effect: Effect.Effect<A, E, R>) => harness.exitAs(actor, Effect.provide(effect, VersionServices))

const V = Effect.service(Versions)
const M = Effect.service(Matching)

type VersionId = OrgUnit["versionId"]
const point = (lon: number, lat: number) => ({ type: "Point" as const, coordinates: [lon, lat] as [number, number] })
const day = (text: string) => text as unknown as NonNullable<OrgUnit["openingDate"]>

/** A small pyramid in the account's version: types, units (a shape, points, dates, codes), two groups in a set. */
const pyramid = (harness: Harness, account: FreshAccount) =>
  asActor(
    harness,
    account.system,
    Effect.gen(function* () {
      const types = yield* OrgUnitTypes
      const projectIds = [account.projectId as never]
      const country = yield* types.create({ name: "Country", depth: 1, category: "COUNTRY", projectIds })
      const district = yield* types.create({ name: "District", depth: 2, category: "DISTRICT", projectIds })
      const facility = yield* types.create({ name: "Facility", depth: 3, category: "HF", projectIds })
      const units = yield* OrgUnits
      const versionId = account.versionId as VersionId
      const sl = yield* units.create({
        name: "Sierra Leone",
        versionId,
        sourceRef: "SL",
        orgUnitTypeId: country.id,
        validationStatus: "VALID",
        code: "SL-1",
        geom: {
          type: "Polygon",
          coordinates: [
            [
              [-13.5, 6.9],
              [-10, 6.9],
              [-10, 10],
              [-13.5, 10],
              [-13.5, 6.9]
            ]
          ]
        }
      })
      const bo = yield* units.create({
        name: "Bo",
        versionId,
        parentId: sl.id,
        sourceRef: "BO",
        orgUnitTypeId: district.id,
        validationStatus: "VALID",
        openingDate: day("2001-02-03")
      })
      const kenema = yield* units.create({ name: "Kénéma", versionId, parentId: sl.id, sourceRef: "KEN", orgUnitTypeId: district.id, aliases: ["Kenema"] })
      const hospital = yield* units.create({
        name: "Bo Government Hospital",
        versionId,
        parentId: bo.id,
        sourceRef: "BGH",
        orgUnitTypeId: facility.id,
        validationStatus: "VALID",
        location: { type: "Point", coordinates: [-11.7386, 7.9647, 12] },
        extraFields: { beds: 120 }
      })
      const clinic = yield* units.create({ name: "Tikonko CHC", versionId, parentId: bo.id, orgUnitTypeId: facility.id, location: point(-11.7167, 7.9) })
      const groups = yield* Groups
      const hospitals = yield* groups.create({ name: "Hospitals", sourceRef: "HOSP", versionId: account.versionId as never, orgUnitIds: [hospital.id] })
      const primary = yield* groups.create({
        name: "Primary care",
        sourceRef: "PHC",
        versionId: account.versionId as never,
        orgUnitIds: [clinic.id, hospital.id]
      })
      const set = yield* groups.createSet({
        name: "Facility kinds",
        sourceRef: "KINDS",
        versionId: account.versionId as never,
        groupIds: [hospitals.id, primary.id]
      })
      return { types: { country, district, facility }, sl, bo, kenema, hospital, clinic, hospitals, primary, set }
    })
  )

const rowsOf = async (harness: Harness, model: Parameters<Harness["inspectAccount"]>[0], account: FreshAccount, versionId: string) =>
  (await harness.inspectAccount(model, account.accountId)).filter((row) => row["versionId"] === versionId)

/** Each unit's path is its parent's path plus its own id, and its depth the number of ids. */
const expectPathsFromRoots = (rows: ReadonlyArray<Row>) => {
  const byId = new Map(rows.map((row) => [String(row["id"]), row]))
  for (const row of rows) {
    const parent = row["parentId"] === undefined ? undefined : byId.get(String(row["parentId"]))
    if (row["parentId"] !== undefined) expect(parent, `parent of ${String(row["name"])} is in the same version`).toBeDefined()
    const expected = `${parent === undefined ? "" : String(parent["path"])}${String(row["id"])}/`
    expect(row["path"]).toBe(expected)
    expect(row["depth"]).toBe(expected.split("/").length - 1)
  }
}

/** Registers the whole-version scenarios. */
export const versionScenarios = (h: () => Harness) => {
  describe("source versions: copy, diff, matching", () => {
    scenario("copy: every unit lands in the new version with new ids, parents re-pointed and paths rebuilt; groups, sets and memberships follow", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const world = await pyramid(harness, account)
      const before = await harness.inspectAccount(OrgUnitModel, account.accountId)
      const result = await asActor(
        harness,
        account.withPermissions(["iaso_sources"]),
        Effect.flatMap(V, (v) => v.copy({ sourceVersionId: account.versionId as never }))
      )
      expect(result.version.number).toBe(2)
      expect(result.version.dataSourceId).toBe(account.dataSourceId)
      expect([
        result.versionCreated,
        result.deletedOrgUnits,
        result.orgUnits,
        result.groups,
        result.groupSets,
        result.groupMemberships,
        result.groupSetLinks
      ]).toEqual([true, 0, 5, 2, 1, 3, 2])
      const copied = await rowsOf(harness, OrgUnitModel, account, result.version.id)
      expect(copied.map((row) => row["name"]).sort()).toEqual(["Bo", "Bo Government Hospital", "Kénéma", "Sierra Leone", "Tikonko CHC"])
      const oldIds = new Set(before.map((row) => String(row["id"])))
      for (const row of copied) expect(oldIds.has(String(row["id"]))).toBe(false)
      expectPathsFromRoots(copied)
      const byName = new Map(copied.map((row) => [String(row["name"]), row]))
      expect(byName.get("Bo Government Hospital")?.["parentId"]).toBe(byName.get("Bo")?.["id"])
      expect(byName.get("Bo")?.["parentId"]).toBe(byName.get("Sierra Leone")?.["id"])
      expect(byName.get("Sierra Leone")?.["depth"]).toBe(1)
      expect(byName.get("Tikonko CHC")?.["depth"]).toBe(3)
      // Every other field is copied as it is.
      const original = new Map(before.map((row) => [String(row["name"]), row]))
      const ignored = new Set(["id", "versionId", "parentId", "path", "depth", "version", "createdAt", "updatedAt"])
      for (const [name, row] of byName) {
        const source = original.get(name) ?? {}
        const strip = (r: Row) => Object.fromEntries(Object.entries(r).filter(([key]) => !ignored.has(key)))
        expect(strip(row), name).toEqual(strip(source))
      }
      expect(byName.get("Bo Government Hospital")?.["sourceRef"]).toBe("BGH")
      // Groups, the set (holding the NEW groups) and memberships (of the NEW units).
      const groups = await rowsOf(harness, GroupModel, account, result.version.id)
      expect(groups.map((g) => [g["name"], g["sourceRef"]]).sort()).toEqual([
        ["Hospitals", "HOSP"],
        ["Primary care", "PHC"]
      ])
      const newGroupIds = new Set(groups.map((g) => String(g["id"])))
      const [set] = await rowsOf(harness, GroupSetModel, account, result.version.id)
      expect(set?.["name"]).toBe("Facility kinds")
      const setLinks = (await harness.inspectAccount(GroupSetGroupModel, account.accountId)).filter((link) => link["groupSetId"] === set?.["id"])
      expect(setLinks.map((link) => newGroupIds.has(String(link["groupId"])))).toEqual([true, true])
      const copiedIds = new Map(copied.map((row) => [String(row["id"]), String(row["name"])]))
      const groupNames = new Map(groups.map((g) => [String(g["id"]), String(g["name"])]))
      const memberships = (await harness.inspectAccount(OrgUnitGroupMembershipModel, account.accountId))
        .filter((m) => newGroupIds.has(String(m["groupId"])))
        .map((m) => [groupNames.get(String(m["groupId"])), copiedIds.get(String(m["orgUnitId"]))])
        .sort()
      expect(memberships).toEqual([
        ["Hospitals", "Bo Government Hospital"],
        ["Primary care", "Bo Government Hospital"],
        ["Primary care", "Tikonko CHC"]
      ])
      // The copied version is untouched.
      expect((await rowsOf(harness, OrgUnitModel, account, account.versionId)).map((row) => row["id"]).sort()).toEqual(before.map((row) => row["id"]).sort())
      void world
      // Into another data source of the account: the next number of that source.
      const other = await asActor(
        harness,
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name: "Copies" }))
      )
      await asActor(
        harness,
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(other.id, { number: 4 }))
      )
      const elsewhere = await asActor(
        harness,
        account.system,
        Effect.flatMap(V, (v) => v.copy({ sourceVersionId: account.versionId as never, destinationDataSourceId: other.id }))
      )
      expect([elsewhere.version.dataSourceId, elsewhere.version.number, elsewhere.orgUnits]).toEqual([other.id, 5, 5])
      expectPathsFromRoots(await rowsOf(harness, OrgUnitModel, account, elsewhere.version.id))
    })

    scenario("copy: onto itself is refused; a destination with units is refused without force (nothing written) and replaced with it", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      await pyramid(harness, account)
      const copy = (input: Omit<Parameters<Versions["Service"]["copy"]>[0], "sourceVersionId">) =>
        Effect.flatMap(V, (v) => v.copy({ sourceVersionId: account.versionId as never, ...input }))
      const itself = await exitAsActor(harness, account.system, copy({ destinationNumber: 1 }))
      expect(exitTag(itself)).toBe("ValidationError")
      expect((exitError(itself) as { issues: ReadonlyArray<{ message: string }> }).issues[0]?.message).toBe("Cannot copy a version to the same version")
      const first = await asActor(harness, account.system, copy({ destinationNumber: 3 }))
      const firstIds = (await rowsOf(harness, OrgUnitModel, account, first.version.id)).map((row) => row["id"]).sort()
      const snapshot = await harness.inspectAccount(OrgUnitModel, account.accountId)
      const refused = await exitAsActor(harness, account.system, copy({ destinationNumber: 3 }))
      expect(exitTag(refused)).toBe("ValidationError")
      expect((exitError(refused) as { issues: ReadonlyArray<{ message: string }> }).issues[0]?.message).toBe(
        "This is going to delete 5 org units records. Use the force parameter to proceed"
      )
      expect(await harness.inspectAccount(OrgUnitModel, account.accountId)).toEqual(snapshot)
      const forced = await asActor(harness, account.system, copy({ destinationNumber: 3, force: true }))
      expect([forced.versionCreated, forced.deletedOrgUnits, forced.orgUnits]).toEqual([false, 5, 5])
      expect(forced.version.id).toBe(first.version.id)
      const replaced = await rowsOf(harness, OrgUnitModel, account, first.version.id)
      expect(replaced.length).toBe(5)
      for (const row of replaced) expect(firstIds).not.toContain(row["id"])
      expectPathsFromRoots(replaced)
      // The groups of the destination that existed before are kept (as IASO does); memberships point at the new copies only.
      expect((await rowsOf(harness, GroupModel, account, first.version.id)).length).toBe(4)
      const replacedIds = new Set(replaced.map((row) => String(row["id"])))
      const groupIds = new Set((await rowsOf(harness, GroupModel, account, first.version.id)).map((g) => String(g["id"])))
      const memberships = (await harness.inspectAccount(OrgUnitGroupMembershipModel, account.accountId)).filter((m) => groupIds.has(String(m["groupId"])))
      expect(memberships.length).toBe(3)
      for (const m of memberships) expect(replacedIds.has(String(m["orgUnitId"]))).toBe(true)
    })

    scenario("diff: new, modified, same and not-in-origin units, field statuses, before/after values, filters", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const v1 = account.versionId as VersionId
      const built = await asActor(
        harness,
        account.system,
        Effect.gen(function* () {
          const v2: SourceVersion = yield* Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(account.dataSourceId as never))
          const units = yield* OrgUnits
          const make = (versionId: VersionId) =>
            Effect.gen(function* () {
              const root = yield* units.create({ name: "Country", versionId, sourceRef: "c" })
              const alpha = yield* units.create({
                name: "Alpha",
                versionId,
                parentId: root.id,
                sourceRef: "a",
                openingDate: day("2020-01-01"),
                location: point(1 + (versionId === v1 ? 0 : 1e-7), 1)
              })
              return { root, alpha }
            })
          const left = yield* make(v1)
          const right = yield* make(v2.id)
          yield* units.create({ name: "Beta", versionId: v1, parentId: left.root.id, sourceRef: "b", code: "B1", location: point(2, 2) })
          yield* units.create({ name: "Beta renamed", versionId: v2.id, parentId: right.root.id, sourceRef: "b", code: "B2", location: point(2.01, 2) })
          yield* units.create({ name: "Gone", versionId: v1, parentId: left.root.id, sourceRef: "g" })
          yield* units.create({ name: "Delta", versionId: v2.id, parentId: right.alpha.id, sourceRef: "d" })
          yield* Effect.flatMap(Effect.service(Groups), (g) => g.create({ name: "G", sourceRef: "grp", versionId: v2.id, orgUnitIds: [right.alpha.id] }))
          return { v2, left, right }
        })
      )
      const reader = account.withPermissions(["iaso_sources"])
      const diff = await asActor(
        harness,
        reader,
        Effect.flatMap(V, (v) => v.diff({ versionId: v1 as never, referenceVersionId: built.v2.id }))
      )
      expect(diff.fields).toEqual(["name", "parent", "geometry", "opening_date", "closed_date", "code", "group:grp:G"])
      const summary = diff.diffs.map((d) => [
        d.after?.sourceRef ?? d.before?.sourceRef,
        d.status,
        d.comparisons.filter((c) => c.status !== "same").map((c) => `${c.field}=${c.status}`)
      ])
      expect(summary).toEqual([
        ["a", "modified", ["group:grp:G=new"]],
        ["b", "modified", ["name=modified", "geometry=modified", "code=modified"]],
        ["d", "new", ["name=new", "parent=new"]],
        [
          "g",
          "not in origin - ignored",
          ["name", "parent", "geometry", "opening_date", "closed_date", "code", "group:grp:G"].map((f) => `${f}=not in origin - ignored`)
        ]
      ])
      const beta = diff.diffs[1]?.comparisons
      expect(beta?.find((c) => c.field === "name")).toMatchObject({ before: "Beta", after: "Beta renamed" })
      const geometry = beta?.find((c) => c.field === "geometry")
      expect(geometry?.distanceKm).toBeGreaterThan(1.1)
      expect(geometry?.distanceKm).toBeLessThan(1.12)
      expect(diff.diffs[2]?.comparisons.find((c) => c.field === "parent")).toMatchObject({ before: null, after: "a" })
      expect(diff.diffs[2]?.after?.ancestorNames).toEqual(["Alpha", "Country"])
      const csv = await asActor(
        harness,
        reader,
        Effect.flatMap(V, (v) => v.diffCsv({ versionId: v1 as never, referenceVersionId: built.v2.id, fields: ["geometry"] }))
      )
      const lines = csv.split("\r\n")
      expect(lines[0]).toBe(
        "externalId,diff status,modified fields,type,geometry,geometry before,geometry after,distance diff (KM),parent 1 name before,parent 1 name after,parent 2 name before,parent 2 name after,parent 3 name before,parent 3 name after,parent 4 name before,parent 4 name after,parent 5 name before,parent 5 name after"
      )
      expect(lines[1]).toBe(
        `b,modified,geometry,,modified,SRID=4326;POINT Z (2 2 0),SRID=4326;POINT Z (2.01 2 0),${(geometry?.distanceKm ?? 0).toFixed(3)},Country,Country,,,,,,,,`
      )
      expect(lines[2]).toBe("d,new,,,same,None,None,,,Alpha,,Country,,,,,,")
      expect(lines[3]).toBe("g,not in origin - ignored,geometry,,not in origin - ignored,None,None,,Country,,,,,,,,,")
      expect(lines.slice(4)).toEqual([""])
      // `same` pairs on request; subtrees.
      const same = await asActor(
        harness,
        reader,
        Effect.flatMap(V, (v) => v.diff({ versionId: v1 as never, referenceVersionId: built.v2.id, statuses: ["same"] }))
      )
      expect(same.diffs.map((d) => d.after?.name)).toEqual(["Country"])
      const subtree = await asActor(
        harness,
        reader,
        Effect.flatMap(V, (v) =>
          v.diff({ versionId: v1 as never, referenceVersionId: built.v2.id, topOrgUnitId: built.left.alpha.id, referenceTopOrgUnitId: built.right.alpha.id })
        )
      )
      expect(subtree.diffs.map((d) => [d.after?.name, d.status])).toEqual([
        ["Alpha", "modified"],
        ["Delta", "new"]
      ])
      const wrongVersion = await exitAsActor(
        harness,
        reader,
        Effect.flatMap(V, (v) => v.diff({ versionId: v1 as never, referenceVersionId: built.v2.id, topOrgUnitId: built.right.alpha.id }))
      )
      expect(exitTag(wrongVersion)).toBe("ValidationError")
      expect((exitError(wrongVersion) as { message: string }).message).toContain("not in versionId")
    })

    scenario("matching: each algorithm links exactly the expected units with the expected scores, and records its run", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const built = await asActor(
        harness,
        account.system,
        Effect.gen(function* () {
          const types = yield* OrgUnitTypes
          const projectIds = [account.projectId as never]
          const country = yield* types.create({ name: "Country", depth: 1, projectIds })
          const district = yield* types.create({ name: "District", depth: 2, projectIds })
          const facility = yield* types.create({ name: "Facility", depth: 3, projectIds })
          const source = yield* Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(account.dataSourceId as never))
          const units = yield* OrgUnits
          const d = account.versionId as VersionId
          const s = source.id
          // Destination: the version being curated (refs only on the top two levels).
          const dSl = yield* units.create({ name: "Sierra Leone", versionId: d, sourceRef: "SL", orgUnitTypeId: country.id })
          const dBo = yield* units.create({ name: "Bo", versionId: d, parentId: dSl.id, sourceRef: "BO", orgUnitTypeId: district.id })
          const dKenema = yield* units.create({ name: "Kénéma", versionId: d, parentId: dSl.id, orgUnitTypeId: district.id })
          const dTikonko = yield* units.create({
            name: "Centre de Santé Tikonko",
            versionId: d,
            parentId: dBo.id,
            orgUnitTypeId: facility.id,
            location: point(-11.7167, 7.9)
          })
          const dJembe = yield* units.create({ name: "Jembe CHC", versionId: d, parentId: dBo.id, orgUnitTypeId: facility.id, location: point(-11.7, 7.95) })
          const dBumpe = yield* units.create({ name: "Bumpe Ngao", versionId: d, parentId: dBo.id, orgUnitTypeId: facility.id })
          // Source: a new extract with other names and a facility moved 300 m north.
          const sSl = yield* units.create({ name: "Sierra Leone", versionId: s, sourceRef: "SL", orgUnitTypeId: country.id })
          const sBo = yield* units.create({ name: "Bo", versionId: s, parentId: sSl.id, sourceRef: "BO", orgUnitTypeId: district.id })
          const sKenema = yield* units.create({ name: "KENEMA", versionId: s, parentId: sSl.id, sourceRef: "KEN-2", orgUnitTypeId: district.id })
          const sTikonko = yield* units.create({
            name: "Tikonko",
            versionId: s,
            parentId: sBo.id,
            sourceRef: "TIK",
            orgUnitTypeId: facility.id,
            location: point(-11.7167, 7.9)
          })
          const sJembe = yield* units.create({
            name: "Jembe Community Health Post",
            versionId: s,
            parentId: sBo.id,
            sourceRef: "JEM",
            orgUnitTypeId: facility.id,
            location: point(-11.7, 7.95 + 300 / 111_195.08)
          })
          const sBumpe = yield* units.create({ name: "Bumpe-Ngao", versionId: s, parentId: sBo.id, sourceRef: "BUM", orgUnitTypeId: facility.id })
          return {
            source,
            names: new Map<string, string>([
              [dSl.id, "SL"],
              [dBo.id, "Bo"],
              [dKenema.id, "Kenema"],
              [dTikonko.id, "Tikonko"],
              [dJembe.id, "Jembe"],
              [dBumpe.id, "Bumpe"],
              [sSl.id, "SL"],
              [sBo.id, "Bo"],
              [sKenema.id, "Kenema"],
              [sTikonko.id, "Tikonko"],
              [sJembe.id, "Jembe"],
              [sBumpe.id, "Bumpe"]
            ])
          }
        })
      )
      const linker = account.withPermissions(["iaso_links"])
      const runWith = (algorithm: MatchingAlgorithmName) =>
        asActor(
          harness,
          linker,
          Effect.flatMap(M, (m) => m.run({ algorithm, sourceVersionId: built.source.id, destinationVersionId: account.versionId as never }))
        )
      const described = (links: ReadonlyArray<{ readonly destinationId?: string; readonly sourceId?: string; readonly similarityScore?: number }>) =>
        links
          .map((l) => [built.names.get(l.destinationId ?? ""), built.names.get(l.sourceId ?? ""), l.similarityScore])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
      const exact = await runWith("exact-ref")
      expect(described(exact.links)).toEqual([
        ["Bo", "Bo", 100],
        ["SL", "SL", 100]
      ])
      const names = await runWith("name-and-parent")
      expect(described(names.links)).toEqual([
        ["Bo", "Bo", 100],
        ["Bumpe", "Bumpe", 96],
        ["Kenema", "Kenema", 100],
        ["SL", "SL", 100],
        ["Tikonko", "Tikonko", 100]
      ])
      const distance = await runWith("distance")
      expect(described(distance.links)).toEqual([
        ["Jembe", "Jembe", 70],
        ["Tikonko", "Tikonko", 100]
      ])
      const all = await runWith("all")
      expect(described(all.links)).toEqual([
        ["Bo", "Bo", 100],
        ["Bumpe", "Bumpe", 96],
        ["Jembe", "Jembe", 70],
        ["Kenema", "Kenema", 100],
        ["SL", "SL", 100],
        ["Tikonko", "Tikonko", 100]
      ])
      expect(all.run).toMatchObject({ finished: true, version1Id: account.versionId, version2Id: built.source.id })
      expect(all.run.endedAt).toBeInstanceOf(Date)
      expect(all.run.result).toEqual({
        algorithm: "all",
        links: 6,
        levels: [
          { level: 1, units: 1, "exact-ref": 1, "name-and-parent": 0, distance: 0 },
          { level: 2, units: 2, "exact-ref": 1, "name-and-parent": 1, distance: 0 },
          { level: 3, units: 3, "exact-ref": 0, "name-and-parent": 2, distance: 1 }
        ],
        unlinkedDestination: 0,
        unlinkedSource: 0
      })
      // Storage: four runs, each with its own links; one catalogue row per algorithm, created on first use.
      const runs = await harness.inspectAccount(AlgorithmRunModel, account.accountId)
      expect(runs.length).toBe(4)
      const links = await harness.inspectAccount(LinkModel, account.accountId)
      expect(links.length).toBe(2 + 5 + 2 + 6)
      for (const link of links) expect(link["validated"]).toBe(false)
      const again = await runWith("exact-ref")
      const catalogue = (await harness.inspect(MatchingAlgorithmModel))
        .map((r) => r.row)
        .filter((row) => String(row["name"]).startsWith("@iaso/core/matching/"))
      expect(catalogue.filter((row) => row["name"] === MATCHING_CATALOGUE["exact-ref"].name).length).toBe(1)
      expect(again.run.algorithmId).toBe(exact.run.algorithmId)
    })

    scenario("link validation sets and clears the validator and refreshes the date", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      await pyramid(harness, account)
      const copy = await asActor(
        harness,
        account.system,
        Effect.flatMap(V, (v) => v.copy({ sourceVersionId: account.versionId as never }))
      )
      const run = await asActor(
        harness,
        account.system,
        Effect.flatMap(M, (m) => m.run({ algorithm: "exact-ref", sourceVersionId: copy.version.id, destinationVersionId: account.versionId as never }))
      )
      expect(run.links.length).toBe(4)
      const repos = await harness.repos()
      const user = await harness.run(
        repos.insert(UserModel, account.accountId, { username: `validator-${run.run.id}`, firstName: "", lastName: "", email: "", isActive: true })
      )
      const validator = Actor.user({ accountId: account.accountId, userId: user.id, permissions: ["iaso_links"] })
      const link = run.links[0]
      if (link === undefined) throw new Error("no link")
      const validated = await asActor(
        harness,
        validator,
        Effect.flatMap(M, (m) => m.validate(link.id, true))
      )
      expect(validated).toMatchObject({ validated: true, validatorId: user.id })
      expect(validated.validationDate).toBeInstanceOf(Date)
      const withdrawn = await asActor(
        harness,
        validator,
        Effect.flatMap(M, (m) => m.validate(link.id, false))
      )
      expect(withdrawn.validated).toBe(false)
      expect(withdrawn.validatorId).toBeUndefined()
      expect(withdrawn.validationDate?.getTime()).toBeGreaterThanOrEqual(validated.validationDate?.getTime() ?? Infinity)
      const [stored] = (await harness.inspectAccount(LinkModel, account.accountId)).filter((row) => row["id"] === link.id)
      expect(stored?.["validated"]).toBe(false)
      expect(stored !== undefined && "validatorId" in stored).toBe(false)
    })

    scenario("another account's versions and links are not found; a missing permission is Forbidden", async () => {
      const harness = h()
      const a = await harness.freshAccount()
      const b = await harness.freshAccount()
      await pyramid(harness, a)
      const copy = await asActor(
        harness,
        a.system,
        Effect.flatMap(V, (v) => v.copy({ sourceVersionId: a.versionId as never }))
      )
      const run = await asActor(
        harness,
        a.system,
        Effect.flatMap(M, (m) => m.run({ algorithm: "all", sourceVersionId: copy.version.id, destinationVersionId: a.versionId as never }))
      )
      const link = run.links[0]
      if (link === undefined) throw new Error("no link")
      const snapshot = await harness.inspectAccount(OrgUnitModel, a.accountId)
      const foreign = [
        Effect.flatMap(V, (v) => v.copy({ sourceVersionId: a.versionId as never })),
        Effect.flatMap(V, (v) => v.copy({ sourceVersionId: b.versionId as never, destinationDataSourceId: a.dataSourceId as never })),
        Effect.flatMap(V, (v) => v.diff({ versionId: a.versionId as never, referenceVersionId: b.versionId as never })),
        Effect.flatMap(V, (v) => v.diffCsv({ versionId: b.versionId as never, referenceVersionId: copy.version.id })),
        Effect.flatMap(M, (m) => m.run({ algorithm: "all", sourceVersionId: copy.version.id, destinationVersionId: b.versionId as never })),
        Effect.flatMap(M, (m) => m.validate(link.id, true))
      ]
      for (const effect of foreign) expect(exitTag(await exitAsActor(harness, b.system, effect as Effect.Effect<unknown, unknown, R>))).toBe("NotFound")
      expect(await harness.inspectAccount(OrgUnitModel, a.accountId)).toEqual(snapshot)
      const noSources = a.withPermissions(["iaso_links", "iaso_org_units"])
      const noLinks = a.withPermissions(["iaso_sources", "iaso_org_units"])
      const denied: ReadonlyArray<readonly [Actor, Effect.Effect<unknown, unknown, R>]> = [
        [noSources, Effect.flatMap(V, (v) => v.copy({ sourceVersionId: a.versionId as never }))],
        [noSources, Effect.flatMap(V, (v) => v.diff({ versionId: a.versionId as never, referenceVersionId: copy.version.id }))],
        [noSources, Effect.flatMap(V, (v) => v.diffCsv({ versionId: a.versionId as never, referenceVersionId: copy.version.id }))],
        [noLinks, Effect.flatMap(M, (m) => m.run({ algorithm: "exact-ref", sourceVersionId: copy.version.id, destinationVersionId: a.versionId as never }))],
        [noLinks, Effect.flatMap(M, (m) => m.validate(link.id, true))]
      ]
      for (const [actor, effect] of denied) {
        const exit = await exitAsActor(harness, actor, effect)
        expect(exitTag(exit)).toBe("Forbidden")
      }
      expect((await harness.inspectAccount(AlgorithmRunModel, a.accountId)).length).toBe(1)
    })
  })
}
