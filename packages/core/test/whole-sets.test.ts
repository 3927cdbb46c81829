import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import {
  Accounts,
  Actor,
  CurrentActor,
  type GroupId,
  GroupModel,
  MemoryStore,
  OrgUnitGroupMembershipModel,
  OrgUnitModel,
  OrgUnits,
  uuidv7
} from "../src/index.ts"
import { IasoWithRepos, Repos } from "../src/kernel/index.ts"

const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provide(MemoryStore.layer())))
afterAll(() => runtime.dispose())

const MEMBERS = 10_050

describe("whole sets past one page", () => {
  it("searching the members of a group of 10,050 units finds every one of them (no listing stops at 10,000 rows)", async () => {
    const { account, version } = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `whole sets ${uuidv7()}` })))
    const groupId = await runtime.runPromise(
      Effect.gen(function* () {
        const repos = yield* Repos
        const root = yield* Effect.flatMap(Effect.service(OrgUnits), (service) => service.create({ name: "Country", versionId: version.id })).pipe(
          Effect.provideService(CurrentActor, Actor.system(account.id))
        )
        // The units are written as an import writes them: paths given, in one insert.
        const units = Array.from({ length: MEMBERS }, (_, index) => {
          const id = uuidv7()
          return {
            id,
            name: `Facility ${index}`,
            versionId: version.id,
            parentId: root.id,
            path: `${root.path}${id}/`,
            depth: 1,
            validationStatus: "VALID" as const,
            custom: false,
            extraFields: {},
            code: ""
          }
        })
        yield* repos.insertMany(OrgUnitModel, account.id, units, { atomic: true })
        const group = yield* repos.insert(GroupModel, account.id, { name: "Every facility", versionId: version.id, blockOfCountries: false })
        yield* repos.insertMany(
          OrgUnitGroupMembershipModel,
          account.id,
          units.map((unit) => ({ groupId: group.id, orgUnitId: unit.id })),
          { atomic: true }
        )
        return group.id as GroupId
      })
    )
    const found = await runtime.runPromise(
      Effect.flatMap(Effect.service(OrgUnits), (units) => units.search({ groupId, select: ["id"], limit: 10_000 })).pipe(
        Effect.flatMap((first) => {
          const cursor = first.cursor
          return cursor === undefined
            ? Effect.succeed(first.items.length)
            : Effect.map(
                Effect.flatMap(Effect.service(OrgUnits), (units) => units.search({ groupId, select: ["id"], limit: 10_000, cursor })),
                (second) => first.items.length + second.items.length
              )
        }),
        Effect.provideService(CurrentActor, Actor.system(account.id))
      )
    )
    expect(found).toBe(MEMBERS)
  }, 120_000)
})
