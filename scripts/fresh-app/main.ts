/**
 * The program the pack-and-install check runs in a fresh app, against the packed tarballs only:
 * what the README shows, on memory and on a SQLite file (given as the first argument); then a
 * sample GeoPackage written to the second argument and imported with the Promise API.
 */
import { writeFileSync } from "node:fs"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Actor, createIaso, type IasoClient, MemoryStore, NotFound, type OrgUnitId, uuidv7 } from "@iaso/core"
import { sampleGeoPackage } from "@iaso/geopackage"
import { BetterSqlite3Gpkg, geoPackages } from "@iaso/geopackage/node"
import { Effect } from "effect"

const filename = process.argv[2] ?? "app.sqlite"
const gpkgFile = process.argv[3] ?? "sample.gpkg"

/** Sets up (or finds) the account, builds a small pyramid once, and prints it. */
const show = async (label: string, iaso: IasoClient): Promise<void> => {
  const existing = await iaso.accounts.findByName("Fresh Health")
  const setup = existing._tag === "Some" ? undefined : await iaso.accounts.setup({ name: "Fresh Health" })
  const account = setup?.account ?? (existing._tag === "Some" ? existing.value : undefined)
  if (account === undefined || account.defaultVersionId === undefined) throw new Error("no account")
  const admin = iaso.as(Actor.system(account.id))
  const versionId = account.defaultVersionId
  const roots = await admin.orgUnits.search({ versionId, parentId: null, select: ["name"] })
  let rootId = roots.items[0]?.id
  if (rootId === undefined) {
    const country = await admin.orgUnits.create({ name: "Sierra Leone", versionId })
    const bo = await admin.orgUnits.create({ name: "Bo", versionId, parentId: country.id })
    await admin.orgUnits.create({ name: "Bo Government Hospital", versionId, parentId: bo.id })
    rootId = country.id
  }
  const names: Array<string> = []
  for await (const unit of admin.orgUnits.descendantsAll(rootId, { select: ["name", "depth"], orderBy: [{ field: "path" }] })) {
    names.push(`${"  ".repeat((unit.depth ?? 1) - 1)}${unit.name}`)
  }
  let missing = "none"
  try {
    await admin.orgUnits.get(uuidv7() as OrgUnitId)
  } catch (error) {
    missing = error instanceof NotFound ? "NotFound" : String(error)
  }
  console.log(`${label}: ${setup === undefined ? "reopened" : "created"}\n${names.join("\n")}\nmissing unit: ${missing}`)
}

const memory = createIaso({ store: MemoryStore.layer() })
await show("memory", memory)
await memory.dispose()

const sqlite = createIaso({ store: SqliteStore.layer({ filename }) })
await show("sqlite", sqlite)
await sqlite.dispose()

const gpkg = await Effect.runPromise(sampleGeoPackage("1k").pipe(Effect.provide(BetterSqlite3Gpkg.layer)))
writeFileSync(gpkgFile, gpkg)
const importer = createIaso({ store: MemoryStore.layer() })
const { account, dataSource } = await importer.accounts.setup({ name: "Import Health" })
const phases = new Set<string>()
const imported = await geoPackages(importer.as(Actor.system(account.id))).import(gpkg, {
  dataSourceId: dataSource.id,
  onProgress: (progress) => phases.add(progress.phase)
})
console.log(`gpkg: ${imported.created} units imported (${[...phases].join(", ")})`)
await importer.dispose()
