/**
 * The code of docs/import-a-pyramid.md: a pyramid imported from GeoJSON (with progress), from a
 * DHIS2 payload, exported as a GeoPackage and imported back, and an import stopped by its signal.
 * Run it with `npx node --conditions=@iaso/source examples/guide-import-a-pyramid.ts`.
 */
import { Actor, createIaso, Interrupted, MemoryStore, OrgUnitModel, type Progress } from "@iaso/core"
import { geoPackages } from "@iaso/geopackage/node"

const iaso = createIaso({ store: MemoryStore.layer() })
const { account, project } = await iaso.accounts.setup({ name: "Import Health" })
const admin = iaso.as(Actor.system(account.id))
/** A data source of the account's project: each import below fills a version of one. */
const source = (name: string) => admin.sources.createDataSource({ name, projectIds: [project.id] })

// GeoJSON: one feature per unit, IASO's GeoPackage columns as properties, the groups beside.
const collection = {
  type: "FeatureCollection",
  groups: [{ ref: "hospitals", name: "Hospitals" }],
  features: [
    { type: "Feature", geometry: null, properties: { ref: "SL", name: "Sierra Leone", parent_ref: null, type: "Country", depth: 1 } },
    { type: "Feature", geometry: null, properties: { ref: "SL-BO", name: "Bo", parent_ref: "SL", type: "District", depth: 2 } },
    {
      type: "Feature",
      geometry: { type: "Point", coordinates: [-11.7386, 7.9647] },
      properties: { ref: "SL-BO-GH", name: "Bo Government Hospital", parent_ref: "SL-BO", group_refs: "hospitals", type: "Facility", depth: 3 }
    }
  ]
}
const phases: Array<string> = []
const onProgress = ({ phase, done, total }: Progress) => phases.push(`${phase} ${done}/${total ?? "?"}`)
const fromGeoJson = await admin.pyramidImports.geoJson(collection, { dataSourceId: (await source("GeoJSON")).id, onProgress })
console.log(
  `GeoJSON: ${fromGeoJson.created} units in version ${fromGeoJson.version.number}; new types: ${fromGeoJson.typesCreated}, new groups: ${fromGeoJson.groupsCreated}`
)
console.log(`  progress: ${phases.join(", ")}`)

// DHIS2: the pages of GET /api/organisationUnits (and, optionally, levels, groups, group sets).
const payload = {
  organisationUnits: {
    organisationUnits: [
      { id: "ImspTQPwCqd", name: "Sierra Leone", level: 1 },
      { id: "O6uvpzGd5pu", name: "Bo", level: 2, parent: { id: "ImspTQPwCqd" } },
      { id: "fdc6uOvgoji", name: "Bombali", level: 2, parent: { id: "ImspTQPwCqd" } }
    ]
  },
  levels: {
    organisationUnitLevels: [
      { level: 1, name: "National" },
      { level: 2, name: "District" }
    ]
  }
}
const fromDhis2 = await admin.pyramidImports.dhis2(payload, { dataSourceId: (await source("DHIS2")).id })
console.log(
  `DHIS2: ${fromDhis2.created} units in version ${fromDhis2.version.number}; new types: ${fromDhis2.typesCreated}, warnings: ${fromDhis2.warnings.length}`
)

// A version out as a GeoPackage (IASO's format), and that file into another source.
const gpkg = geoPackages(admin)
const bytes = await gpkg.export(fromGeoJson.version.id)
const fromGpkg = await gpkg.import(bytes, { dataSourceId: (await source("GeoPackage")).id, fileName: "pyramid.gpkg" })
console.log(`GeoPackage: ${fromGpkg.created} units from layers ${fromGpkg.layers.map((layer) => layer.table).join(", ")}`)
console.log(`  back as GeoJSON: ${(await admin.versions.exportGeoJson(fromGpkg.version.id)).features.map((f) => f.properties.name).join(" > ")}`)

// An aborted signal stops an import: it rejects with Interrupted and stores nothing.
const controller = new AbortController()
const before = await admin.records.count(OrgUnitModel)
const stopped = await admin.pyramidImports
  .geoJson(collection, { dataSourceId: (await source("Stopped")).id, signal: controller.signal, onProgress: () => controller.abort() })
  .catch((error: unknown) => error)
console.log(`stopped: ${stopped instanceof Interrupted ? stopped.message : "not stopped"}, ${(await admin.records.count(OrgUnitModel)) - before} units stored`)
await iaso.dispose()
