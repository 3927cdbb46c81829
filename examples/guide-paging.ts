/**
 * The code of docs/paging.md: pages and cursors, filters, order and selected fields, async
 * iterators over every page, whole sets in Effect, and the change feed. Run it with
 * `npx node --conditions=@iaso/source examples/guide-paging.ts`.
 */
import { Actor, CurrentActor, createIaso, eachItem, listAll, MemoryStore, OrgUnitModel, OrgUnits, Records, ValidationError } from "@iaso/core"
import { Effect } from "effect"

const iaso = createIaso({ store: MemoryStore.layer() })
const { account, version } = await iaso.accounts.setup({ name: "Paging Health" })
const admin = iaso.as(Actor.system(account.id))
const country = await admin.orgUnits.create({ name: "Sierra Leone", versionId: version.id })
for (const name of ["Bo", "Bombali", "Bonthe", "Kailahun", "Kenema", "Kono", "Moyamba"]) {
  await admin.orgUnits.create({ name, versionId: version.id, parentId: country.id })
}

// A page: at most `limit` items, and a cursor while more follow. Pass the cursor back for the next page.
const first = await admin.orgUnits.children(country.id, { limit: 3, orderBy: [{ field: "name" }], select: ["name"] })
if (first.cursor === undefined) throw new Error("more children follow")
const second = await admin.orgUnits.children(country.id, { limit: 3, orderBy: [{ field: "name" }], select: ["name"], cursor: first.cursor })
console.log(`page 1: ${first.items.map((unit) => unit.name).join(", ")}`)
console.log(`page 2: ${second.items.map((unit) => unit.name).join(", ")}`)

// Conditions (all must hold), another order, and only the fields asked for (plus `id`).
const k = await admin.records.list(OrgUnitModel, {
  where: [
    { field: "parentId", op: "eq", value: country.id },
    { field: "name", op: "startsWith", value: "K" }
  ],
  orderBy: [{ field: "name", direction: "desc" }],
  select: ["name"]
})
console.log(`K, backwards: ${k.items.map((unit) => unit.name).join(", ")}`)

// Every item, one page read at a time: the facade's iterators, and eachItem for any paged call.
const all: Array<string> = []
for await (const unit of admin.orgUnits.childrenAll(country.id, { limit: 3, orderBy: [{ field: "name" }], select: ["name"] })) all.push(unit.name ?? "")
console.log(`every child: ${all.join(", ")}`)
let bNames = 0
for await (const _ of eachItem((cursor) => admin.orgUnits.search({ versionId: version.id, name: "bo", limit: 2, ...(cursor === undefined ? {} : { cursor }) })))
  bNames++
console.log(`names with "bo": ${bNames}`)

// A cursor belongs to its listing: given to another order, it is refused.
await admin.orgUnits.children(country.id, { limit: 3, orderBy: [{ field: "createdAt" }], cursor: first.cursor }).catch((error: unknown) => {
  if (error instanceof ValidationError)
    console.log(`another listing's cursor: ValidationError at ${error.issues.map((issue) => issue.path.join(".")).join(", ")}`)
  else throw error
})

// In Effect, listAll reads a whole set page after page (mind large sets).
const total = await iaso.run(
  Effect.gen(function* () {
    const units = yield* OrgUnits
    const children = yield* listAll((page) => units.children(country.id, page), { select: ["name"] })
    const records = yield* Records
    return { children: children.length, units: yield* records.count(OrgUnitModel) }
  }).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
)
console.log(`listAll: ${total.children} children, count: ${total.units} units`)

// The change feed pages by cursor too: what changed after it, in sequence order (keep the last cursor to sync later).
let since: string | undefined
let unitChanges = 0
for (;;) {
  const feed = await admin.records.changesSince(since, 5)
  if (feed.changes.length === 0) break
  unitChanges += feed.changes.filter((change) => change.model === "OrgUnit").length
  since = feed.cursor
}
console.log(`org units in the change feed: ${unitChanges}`)
await iaso.dispose()
