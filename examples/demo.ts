/**
 * The main job, end to end, on the embedded default store (a SQLite file): set up an account
 * (data source, version 1, main project), build a small hand-made pyramid and print it as a tree.
 * Running it again reopens the same file and prints the pyramid it holds.
 *
 *   npm run demo                       # .iaso-demo/demo.sqlite
 *   npm run demo -- /tmp/other.sqlite  # any file
 */
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Accounts, Actor, CurrentActor, Iaso, type OrgUnit, OrgUnits } from "@iaso/core"
import { Effect, Option } from "effect"
import { mkdirSync } from "node:fs"
import { dirname, resolve } from "node:path"

const filename = resolve(process.argv[2] ?? ".iaso-demo/demo.sqlite")
mkdirSync(dirname(filename), { recursive: true })

/** Sierra Leone's top levels, with a few facilities (names and points are illustrative). */
const PYRAMID: Node = {
  name: "Sierra Leone",
  children: [
    {
      name: "Southern",
      children: [
        {
          name: "Bo",
          children: [
            { name: "Bo Government Hospital", point: [-11.7386, 7.9647] },
            { name: "Tikonko CHC", point: [-11.7167, 7.9] }
          ]
        },
        { name: "Pujehun", children: [{ name: "Pujehun Government Hospital", point: [-11.7208, 7.3569] }] }
      ]
    },
    {
      name: "Eastern",
      children: [{ name: "Kenema", children: [{ name: "Kenema Government Hospital", point: [-11.19, 7.8767] }] }]
    }
  ]
}

interface Node {
  readonly name: string
  readonly point?: readonly [number, number]
  readonly children?: ReadonlyArray<Node>
}

const build = (node: Node, versionId: OrgUnit["versionId"], parentId?: OrgUnit["id"]): Effect.Effect<OrgUnit, unknown, OrgUnits | CurrentActor> =>
  Effect.gen(function* () {
    const units = yield* OrgUnits
    const unit = yield* units.create({
      name: node.name,
      versionId,
      validationStatus: "VALID",
      ...(parentId === undefined ? {} : { parentId }),
      ...(node.point === undefined ? {} : { location: { type: "Point", coordinates: [node.point[0], node.point[1]] } })
    })
    for (const child of node.children ?? []) yield* build(child, versionId, unit.id)
    return unit
  })

const program = Effect.gen(function* () {
  const accounts = yield* Accounts
  console.log(`store     SQLite file ${filename}`)
  const existing = yield* accounts.findByName("Demo Health")
  const account = Option.isSome(existing) ? existing.value : (yield* accounts.setup({ name: "Demo Health" })).account
  console.log(`account   ${account.name} (${Option.isSome(existing) ? "reopened" : "created"})`)
  const versionId = account.defaultVersionId
  if (versionId === undefined) return yield* Effect.die("the demo account has no default version")
  return yield* Effect.gen(function* () {
    const units = yield* OrgUnits
    const roots = yield* units.search({ versionId, parentId: null, select: ["name"] })
    const root = roots.items[0]?.id ?? (yield* build(PYRAMID, versionId)).id
    const tree = yield* units.hierarchy(root, { orderBy: [{ field: "path" }], select: ["name", "depth", "location"], limit: 1000 })
    console.log(`\npyramid (${tree.items.length} org units)`)
    for (const unit of tree.items) {
      const where = unit.location === undefined ? "" : `  (${unit.location.coordinates[1]}, ${unit.location.coordinates[0]})`
      console.log(`${"  ".repeat((unit.depth ?? 1) - 1)}${unit.name}${where}`)
    }
  }).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
})

await Effect.runPromise(program.pipe(Effect.provide(Iaso.layer), Effect.provide(SqliteStore.layer({ filename }))))
