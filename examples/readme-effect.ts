/** The README's Effect example, kept compiling and running (examples.test.ts). */
import { Accounts, Actor, CurrentActor, Iaso, MemoryStore, OrgUnits } from "@iaso/core"
import { Effect } from "effect"

const program = Effect.gen(function* () {
  const { account, version } = yield* Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Demo Health" }))
  const units = yield* OrgUnits
  const tree = Effect.gen(function* () {
    const country = yield* units.create({ name: "Sierra Leone", versionId: version.id })
    const bo = yield* units.create({ name: "Bo", versionId: version.id, parentId: country.id })
    yield* units.create({ name: "Bo Government Hospital", versionId: version.id, parentId: bo.id })
    return yield* units.descendants(country.id, { select: ["name", "depth"] })
  })
  return yield* tree.pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
})

const page = await Effect.runPromise(program.pipe(Effect.provide(Iaso.layer), Effect.provide(MemoryStore.layer())))
console.log(page.items.map((unit) => `${unit.depth}: ${unit.name}`).join("\n"))
