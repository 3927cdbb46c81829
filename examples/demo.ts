import { Effect } from "effect"
import { Actor, CurrentActor, Iaso, MemoryStore, OrgUnits, Accounts, type OrgUnit } from "@iaso/core"

const program = Effect.gen(function* () {
  const accounts = yield* Accounts
  const setup = yield* accounts.setup({ name: "Demo Health" })
  const orgUnits = yield* OrgUnits
  const run = <A, E>(e: Effect.Effect<A, E, CurrentActor>) => Effect.provideService(e, CurrentActor, Actor.system(setup.account.id))
  const country = yield* run(orgUnits.create({ name: "Sierra Leone", versionId: setup.version.id }))
  const region = yield* run(orgUnits.create({ name: "Southern", versionId: setup.version.id, parentId: country.id }))
  const district = yield* run(orgUnits.create({ name: "Bo", versionId: setup.version.id, parentId: region.id }))
  yield* run(orgUnits.create({ name: "Bo Government Hospital", versionId: setup.version.id, parentId: district.id, location: { type: "Point", coordinates: [-11.74, 7.96] } }))
  const tree = yield* run(orgUnits.hierarchy(country.id, { orderBy: [{ field: "path" }] }))
  for (const unit of tree.items) console.log(`${"  ".repeat((unit.depth ?? 1) - 1)}${unit.name}`)
  return tree.items as ReadonlyArray<Partial<OrgUnit>>
})
await Effect.runPromise(program.pipe(Effect.provide(Iaso.layer), Effect.provide(MemoryStore.layer())))
