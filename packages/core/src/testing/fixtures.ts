/**
 * Scenarios on IASO's own test files, read through the suite's fixture loader (Node: the file
 * system; browsers: the test runner's file access), so every adapter, in every runtime, stores
 * what real DHIS2 payloads give. Without a loader, or when ../shared is absent, the scenarios
 * are skipped with the reason; a loader marked `required` (CI) makes a missing file a failure.
 * @module
 */
import { Effect } from "effect"
import { describe, expect, type TestContext } from "vitest"
import { GroupModel } from "../registry/groups.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeModel } from "../registry/org-unit-type.ts"
import { dhis2FallbackTypeName } from "../registry/dhis2-import.ts"
import { importDhis2Pyramid } from "../registry/pyramid-imports-service.ts"
import { Sources } from "../registry/sources-service.ts"
import type { ProjectId } from "../shared/entity-ids.ts"
import type { FixtureLoader, Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

const DHIS2 = "iaso/iaso/tests/fixtures/dhis2"

/** A fixture's parsed JSON, or `undefined` after skipping the scenario (a failure when the loader requires files). */
const json = async (fixtures: FixtureLoader | undefined, path: string, context: TestContext): Promise<unknown> => {
  const bytes = await fixtures?.read(path)
  if (bytes === undefined) {
    if (fixtures?.required === true) throw new Error(`missing fixture ${path}: ../shared/fixtures is required here (CI)`)
    context.skip(fixtures === undefined ? "no fixture loader was given to the suite" : `../shared/fixtures/${path} is absent`)
    return undefined
  }
  return JSON.parse(new TextDecoder().decode(bytes)) as unknown
}

/** Registers the fixture scenarios. */
export const fixtureScenarios = (h: () => Harness, fixtures: FixtureLoader | undefined): void => {
  describe("IASO's fixture files", () => {
    scenario("DHIS2 orgunits.json with its levels and group sets imports into the pyramid IASO's test expects, geometry included", async (context) => {
      const organisationUnits = await json(fixtures, `${DHIS2}/orgunits.json`, context)
      const levels = await json(fixtures, `${DHIS2}/organisationUnitLevels.json`, context)
      const groupSets = await json(fixtures, `${DHIS2}/groupsets.json`, context)
      if (organisationUnits === undefined || levels === undefined || groupSets === undefined) return
      const harness = h()
      const account = await harness.freshAccount()
      const source = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Sources), (s) => s.createDataSource({ name: "Sierra Leone", projectIds: [account.projectId as ProjectId] }))
      )
      const result = await harness.as(account.system, importDhis2Pyramid({ organisationUnits, levels, groupSets }, { dataSourceId: source.id }))
      // Counted by hand from the files (see packages/core/test/dhis2-import.test.ts): 4 units over levels
      // 1, 2, 3 and 5; 4 types (level 5 has no declared level: a fallback type); 6 + 15 - 3 = 18 groups.
      expect([result.created, result.updated, result.typesCreated, result.groupsCreated, result.duplicates, result.skipped]).toEqual([4, 0, 4, 18, 0, 0])
      const units = new Map(
        (await harness.inspectAccount(OrgUnitModel, account.accountId))
          .filter((row) => row["versionId"] === result.version.id)
          .map((row) => [String(row["sourceRef"]), row])
      )
      const types = new Map(
        (await harness.inspectAccount(OrgUnitTypeModel, account.accountId)).map((row) => [String(row["id"]), `${String(row["name"])}@${String(row["depth"])}`])
      )
      const byId = new Map([...units.values()].map((row) => [String(row["id"]), String(row["sourceRef"])]))
      expect(
        [...units.entries()]
          .map(([ref, row]) => [
            ref,
            row["name"],
            row["parentId"] === undefined ? null : byId.get(String(row["parentId"])),
            types.get(String(row["orgUnitTypeId"])),
            row["depth"]
          ])
          .sort()
      ).toEqual([
        ["ImspTQPwCqd", "Sierra Leone", null, "National@1", 1],
        ["KXSqt7jv6DU", "Gorama Mende", "kJq2mPyFEHo", "Chiefdom@3", 3],
        ["LOpWauwwghf", "Bambara Kaima CHP", "KXSqt7jv6DU", `${dhis2FallbackTypeName("Sierra Leone", 5)}@5`, 4],
        ["kJq2mPyFEHo", "Kenema", "ImspTQPwCqd", "District@2", 2]
      ])
      // The legacy `coordinates` strings: a point, and polygons of 145 and 659 positions, stored exactly.
      expect(units.get("LOpWauwwghf")?.["location"]).toEqual({ type: "Point", coordinates: [-11.3596, 8.5317, 0] })
      const ringLengths = (ref: string) =>
        (units.get(ref)?.["geom"] as { coordinates: ReadonlyArray<ReadonlyArray<ReadonlyArray<unknown>>> } | undefined)?.coordinates.map((polygon) =>
          polygon.map((ring) => ring.length)
        )
      expect([ringLengths("KXSqt7jv6DU"), ringLengths("kJq2mPyFEHo")]).toEqual([[[145]], [[659]]])
      expect((await harness.inspectAccount(GroupModel, account.accountId)).filter((row) => row["versionId"] === result.version.id)).toHaveLength(18)
    })
  })
}
