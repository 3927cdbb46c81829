/**
 * The main job, end to end: set up an account (data source, version 1, main project), build a
 * small hand-made pyramid and print it as a tree. Runs on the in-memory store (the SQLite file
 * becomes the default when that adapter lands).
 *
 *   npm run demo
 */
import { Accounts, Actor, CurrentActor, Iaso, MemoryStore, type OrgUnit, OrgUnits } from "@iaso/core"
import { Effect } from "effect"

/** Sierra Leone's top levels, with a few facilities (names and points are illustrative). */
const PYRAMID = {
  name: "Sierra Leone",
  children: [
    {
      name: "Southern",
      children: [
        { name: "Bo", children: [{ name: "Bo Government Hospital", point: [-11.7386, 7.9647] }, { name: "Tikonko CHC", point: [-11.7167, 7.9] }] },
        { name: "Pujehun", children: [{ name: "Pujehun Government Hospital", point: [-11.7208, 7.3569] }] }
      ]
    },
    {
      name: "Eastern",
      children: [{ name: "Kenema", children: [{ name: "Kenema Government Hospital", point: [-11.19, 7.8767] }] }]
    }
  ]
} as const

interface Node {
  readonly name: string
  readonly point?: readonly [number, number]
  readonly children?: ReadonlyArray<Node>
}

const program = Effect.gen(function* () {
  const { account, project, dataSource, version } = yield* Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Demo Health" }))
  console.log(`account   ${account.name} (${account.id})`)
  console.log(`project   ${project.name}, app id ${project.appId ?? "-"}`)
  console.log(`source    ${dataSource.name}, version ${version.number}`)

  const build = (node: Node, parentId?: OrgUnit["id"]): Effect.Effect<OrgUnit, unknown, OrgUnits | CurrentActor> =>
    Effect.gen(function* () {
      const units = yield* OrgUnits
      const unit = yield* units.create({
        name: node.name,
        versionId: version.id,
        validationStatus: "VALID",
        ...(parentId === undefined ? {} : { parentId }),
        ...(node.point === undefined ? {} : { location: { type: "Point", coordinates: [node.point[0], node.point[1]] } })
      })
      for (const child of node.children ?? []) yield* build(child, unit.id)
      return unit
    })

  return yield* Effect.gen(function* () {
    const root = yield* build(PYRAMID)
    const units = yield* OrgUnits
    const tree = yield* units.hierarchy(root.id, { orderBy: [{ field: "path" }], select: ["name", "depth", "location"], limit: 1000 })
    console.log(`\npyramid (${tree.items.length} org units)`)
    for (const unit of tree.items) {
      const where = unit.location === undefined ? "" : `  (${unit.location.coordinates[1]}, ${unit.location.coordinates[0]})`
      console.log(`${"  ".repeat((unit.depth ?? 1) - 1)}${unit.name}${where}`)
    }
  }).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
})

await Effect.runPromise(program.pipe(Effect.provide(Iaso.layer), Effect.provide(MemoryStore.layer())))
