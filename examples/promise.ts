/**
 * The same SDK without Effect: `createIaso` gives every service as async functions.
 *
 *   node --conditions=@iaso/source examples/promise.ts
 */
import { Actor, createIaso, MemoryStore, NotFound, type OrgUnitId, ProjectModel, uuidv7 } from "@iaso/core"

const iaso = createIaso({ store: MemoryStore.layer() })
try {
  const { account, version } = await iaso.accounts.setup({ name: "Promise Health" })
  const admin = iaso.as(Actor.system(account.id))

  const country = await admin.orgUnits.create({ name: "Sierra Leone", versionId: version.id })
  const bo = await admin.orgUnits.create({ name: "Bo", versionId: version.id, parentId: country.id })
  await admin.orgUnits.create({ name: "Bo Government Hospital", versionId: version.id, parentId: bo.id })

  const below = await admin.orgUnits.descendants(country.id, { select: ["name", "depth"] })
  console.log(below.items.map((unit) => `${unit.depth}: ${unit.name}`).join("\n"))

  const projects = await admin.records.list(ProjectModel)
  console.log(`projects: ${projects.items.map((p) => p.name).join(", ")}`)

  // Errors are the SDK's typed errors. A fresh id names no record.
  await admin.orgUnits.get(uuidv7() as OrgUnitId).catch((error: unknown) => {
    if (error instanceof NotFound) console.log(`not found: ${error.message}`)
    else throw error
  })
} finally {
  await iaso.dispose()
}
