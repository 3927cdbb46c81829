/**
 * IASO's version diff CSV, on the memory store, against IASO's own expected outputs
 * (`iaso/tests/fixtures/pyramid_diff_csv/`, read from ../shared).
 *
 * The world is the one those fixtures describe: one data source with version 1 (the version to
 * update) and version 2 (the version to compare with); in each, an Angola pyramid of a country
 * `id-1` (Angola, VALID, opened 2022-11-28, closed 2025-11-28, a triangle shape), a region `id-2`
 * (Huila, code "region") and a district `id-3` (Cuvango, no code), typed Country / Region /
 * District. The country's code is "angola-to-update" in version 1 and "angola-to-compare-with" in
 * version 2; in version 1 it belongs to Group A (`group-a`) and Group B (`group-b`), in version 2
 * to Group A (`group-a`) and Group C (`group-c`). Everything else is equal, so only the country
 * shows up (code modified, Group B `not in origin - ignored`, Group C `new`).
 *
 * Each row rebuilds that world in a fresh account, applies the row's change, runs `diffCsv` with
 * the parameters IASO's test posts, and compares bytes.
 *
 * Two things cannot be byte-identical to IASO and are handled as IASO's own test handles them:
 * - the `{{id_group_a1}}`-style placeholders stand for group ids. IASO's are integers printed bare
 *   inside a Python dict repr; this SDK's ids are strings, which Python's repr quotes, so each
 *   placeholder is replaced with the quoted id (`'0190...'`);
 * - IASO's test renders each fixture with Jinja (which drops the file's final newline) and compares
 *   it with the response after turning CRLF into LF and stripping it. Here the fixture is rendered
 *   the same way and turned back into what Python's `csv.writer` writes (CRLF after every row),
 *   and the SDK's output must equal that exactly.
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import {
  Accounts,
  Actor,
  CurrentActor,
  type Group,
  Groups,
  Iaso,
  type IasoServices,
  MemoryStore,
  type OrgUnit,
  OrgUnits,
  OrgUnitTypes,
  Sources
} from "../src/index.ts"
import type { DiffField, VersionDiffInput } from "../src/registry/version-diff-types.ts"
import { Versions } from "../src/registry/versions-service.ts"
import { readShared, sharedAvailable, skipMessage } from "./shared-files.ts"

const DIR = "fixtures/iaso/iaso/tests/fixtures/pyramid_diff_csv"
const available = sharedAvailable(`${DIR}/diff_happy_path.csv`)

const runtime = ManagedRuntime.make(Iaso.layer.pipe(Layer.provide(MemoryStore.layer())))
afterAll(() => runtime.dispose())

type Services = IasoServices | Versions
const run = <A, E>(actor: Actor, effect: Effect.Effect<A, E, Services | CurrentActor>): Promise<A> =>
  runtime.runPromise(Effect.provideService(effect, CurrentActor, actor))

const TRIANGLE = {
  type: "Polygon" as const,
  coordinates: [
    [
      [0, 0],
      [0, 1],
      [1, 1],
      [0, 0]
    ] as Array<[number, number]>
  ]
}

let accounts = 0

/** The fixtures' world, built through the services in a fresh account. */
const angola = async () => {
  accounts += 1
  const setup = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `Angola diff ${accounts}` })))
  const system = Actor.system(setup.account.id)
  return run(
    system,
    Effect.gen(function* () {
      const toUpdate = setup.version
      const toCompareWith = yield* Effect.flatMap(Effect.service(Sources), (s) => s.createVersion(setup.dataSource.id, { number: 2, description: "Foo" }))
      const types = yield* OrgUnitTypes
      const projectIds = [setup.project.id]
      const country = yield* types.create({ name: "Country", shortName: "CTY", category: "COUNTRY", projectIds })
      const region = yield* types.create({ name: "Region", shortName: "REG", category: "REGION", projectIds })
      const district = yield* types.create({ name: "District", shortName: "DST", category: "DISTRICT", projectIds })
      const groups = yield* Groups
      const groupA1 = yield* groups.create({ name: "Group A", sourceRef: "group-a", versionId: toUpdate.id })
      const groupB = yield* groups.create({ name: "Group B", sourceRef: "group-b", versionId: toUpdate.id })
      const groupA2 = yield* groups.create({ name: "Group A", sourceRef: "group-a", versionId: toCompareWith.id })
      const groupC = yield* groups.create({ name: "Group C", sourceRef: "group-c", versionId: toCompareWith.id })
      yield* groups.createSet({ name: "GroupSet A", sourceRef: "groupset-a", versionId: toUpdate.id, groupIds: [groupA1.id, groupB.id] })
      const units = yield* OrgUnits
      const pyramid = (versionId: OrgUnit["versionId"], code: string) =>
        Effect.gen(function* () {
          const dates = { openingDate: "2022-11-28", closedDate: "2025-11-28" } as unknown as Pick<OrgUnit, "openingDate" | "closedDate">
          const angolaUnit = yield* units.create({
            name: "Angola",
            versionId,
            sourceRef: "id-1",
            validationStatus: "VALID",
            orgUnitTypeId: country.id,
            geom: TRIANGLE,
            code,
            ...dates
          })
          const huila = yield* units.create({
            name: "Huila",
            versionId,
            parentId: angolaUnit.id,
            sourceRef: "id-2",
            validationStatus: "VALID",
            orgUnitTypeId: region.id,
            geom: TRIANGLE,
            code: "region",
            ...dates
          })
          yield* units.create({
            name: "Cuvango",
            versionId,
            parentId: huila.id,
            sourceRef: "id-3",
            validationStatus: "VALID",
            orgUnitTypeId: district.id,
            geom: TRIANGLE,
            ...dates
          })
          return { country: angolaUnit, region: huila }
        })
      const updated = yield* pyramid(toUpdate.id, "angola-to-update")
      const compared = yield* pyramid(toCompareWith.id, "angola-to-compare-with")
      yield* groups.addMembers(groupA1.id, [updated.country.id])
      yield* groups.addMembers(groupB.id, [updated.country.id])
      yield* groups.addMembers(groupA2.id, [compared.country.id])
      yield* groups.addMembers(groupC.id, [compared.country.id])
      return { system, toUpdate, toCompareWith, groupA1, groupB, groupA2, groupC, regionToUpdate: updated.region }
    })
  )
}
type World = Awaited<ReturnType<typeof angola>>

/** Jinja's rendering of a fixture (its final newline dropped), as Python's csv module writes it (CRLF). */
const expected = (file: string, world: World): string => {
  const ids: Record<string, Group> = { id_group_a1: world.groupA1, id_group_b: world.groupB, id_group_a2: world.groupA2, id_group_c: world.groupC }
  const rendered = readShared(`${DIR}/${file}`)
    .replace(/\n$/, "")
    .replace(/\{\{\s*(\w+)\s*\}\}/g, (placeholder, name: string) => {
      const group = ids[name]
      if (group === undefined) throw new Error(`unknown placeholder ${placeholder}`)
      return `'${group.id}'`
    })
  return `${rendered.split("\n").join("\r\n")}\r\n`
}

const ALL_FIELDS: ReadonlyArray<DiffField> = ["name", "parent", "geometry", "groups", "opening_date", "closed_date", "code"]

interface Row {
  readonly file: string
  /** What IASO's test changes in the world before asking for the CSV. */
  readonly prepare?: (world: World) => Effect.Effect<unknown, unknown, Services | CurrentActor>
  /** IASO's `fields_to_export` and filters (`source_...` = the compared version, `ref_...` = the reference). */
  readonly params: (world: World) => Omit<VersionDiffInput, "versionId" | "referenceVersionId">
}

const ROWS: ReadonlyArray<Row> = [
  { file: "diff_happy_path.csv", params: () => ({ fields: ALL_FIELDS }) },
  {
    file: "diff_csv_with_group_filtering.csv",
    params: (w) => ({ fields: ALL_FIELDS, groupId: w.groupB.id, referenceGroupId: w.groupC.id })
  },
  {
    file: "diff_csv_with_group_filtering_and_mismatches.csv",
    // The region of the version to update joins Group B: it is compared, finds no partner among the
    // members of Group C, and is reported `not in origin - ignored`.
    prepare: (w) => Effect.flatMap(Effect.service(Groups), (g) => g.addMembers(w.groupB.id, [w.regionToUpdate.id])),
    params: (w) => ({ fields: [], groupId: w.groupB.id, referenceGroupId: w.groupC.id })
  },
  {
    file: "diff_relevant_groups.csv",
    // Groups without members in either version get no column.
    prepare: (w) =>
      Effect.gen(function* () {
        const groups = yield* Groups
        yield* groups.create({ name: "new group 1", sourceRef: "new-group-1", versionId: w.toCompareWith.id })
        yield* groups.create({ name: "new group 2", sourceRef: "new-group-2", versionId: w.toUpdate.id })
      }),
    params: () => ({ fields: ["name", "groups", "opening_date"] })
  }
]

describe("IASO's pyramid_diff_csv fixtures", () => {
  if (!available) {
    it.skip(skipMessage(DIR), () => {})
    return
  }
  it.each(ROWS)("$file", async (row) => {
    const world = await angola()
    if (row.prepare !== undefined) await run(world.system, row.prepare(world))
    const actor = Actor.user({ accountId: world.system.accountId, permissions: ["iaso_sources"] })
    const csv = await run(
      actor,
      Effect.flatMap(Effect.service(Versions), (v) =>
        v.diffCsv({ versionId: world.toUpdate.id, referenceVersionId: world.toCompareWith.id, ...row.params(world) })
      )
    )
    expect(csv).toBe(expected(row.file, world))
  })

  it("the typed diff behind the happy path", async () => {
    const world = await angola()
    const diff = await run(
      world.system,
      Effect.flatMap(Effect.service(Versions), (v) => v.diff({ versionId: world.toUpdate.id, referenceVersionId: world.toCompareWith.id }))
    )
    expect(diff.fields).toEqual([
      "name",
      "parent",
      "geometry",
      "opening_date",
      "closed_date",
      "code",
      "group:group-a:Group A",
      "group:group-b:Group B",
      "group:group-c:Group C"
    ])
    expect(diff.diffs.map((d) => [d.after?.sourceRef, d.status])).toEqual([["id-1", "modified"]])
    const byField = new Map(diff.diffs[0]?.comparisons.map((c) => [c.field, c]))
    expect(byField.get("code")).toMatchObject({ status: "modified", before: "angola-to-update", after: "angola-to-compare-with" })
    expect(byField.get("geometry")).toMatchObject({ status: "same", distanceKm: 0 })
    expect(byField.get("group:group-b:Group B")).toMatchObject({ status: "not in origin - ignored", after: [] })
    expect(byField.get("group:group-c:Group C")).toMatchObject({ status: "new", before: [] })
    const everything = await run(
      world.system,
      Effect.flatMap(Effect.service(Versions), (v) =>
        v.diff({ versionId: world.toUpdate.id, referenceVersionId: world.toCompareWith.id, statuses: ["same", "modified"] })
      )
    )
    expect(everything.diffs.map((d) => [d.after?.sourceRef, d.status, d.before?.ancestorNames])).toEqual([
      ["id-1", "modified", []],
      ["id-2", "same", ["Angola"]],
      ["id-3", "same", ["Huila", "Angola"]]
    ])
  })
})
