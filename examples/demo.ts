/**
 * The main job, end to end, on the embedded default store (a SQLite file, its files beside it):
 * set up an account, build a GeoPackage with the SDK's seeded sample pyramid and import it with
 * progress, upload an XLSForm made in code, ingest three submissions (one with a photo), then print
 * the tree's top levels, the counts per level and the submissions per org unit. Running it again
 * reopens the file: nothing is imported twice, and the re-sent submissions are `unchanged`.
 *
 *   npm run demo                       # .iaso-demo/demo.sqlite (and .iaso-demo/files/)
 *   npm run demo -- /tmp/other.sqlite  # any file
 */
import { SqliteStore } from "@iaso/adapter-sqlite"
import {
  Accounts,
  Actor,
  CurrentActor,
  type Form,
  FormModel,
  Forms,
  FormVersions,
  Iaso,
  Instances,
  type OrgUnitId,
  OrgUnits,
  type Progress,
  ProjectModel,
  Records,
  SourceVersionModel
} from "@iaso/core"
import { writeXlsx } from "@iaso/core/xlsform"
import { FileBlobStore } from "@iaso/core/node"
import { importGeoPackage, sampleGeoPackage } from "@iaso/geopackage"
import { BetterSqlite3Gpkg } from "@iaso/geopackage/node"
import { Effect, Layer, Option } from "effect"
import { mkdirSync } from "node:fs"
import { dirname, join, resolve } from "node:path"

const filename = resolve(process.argv[2] ?? ".iaso-demo/demo.sqlite")
mkdirSync(dirname(filename), { recursive: true })
const FORM_ID = "facility_visit"
const FORM_VERSION = "2026120701"

/** The XLSForm of a facility visit, made in code. */
const visitForm = writeXlsx({
  sheets: [
    {
      name: "survey",
      rows: [
        ["type", "name", "label"],
        ["text", "visitor", "Visitor"],
        ["integer", "children", "Children vaccinated"],
        ["image", "photo", "Photo of the register"]
      ]
    },
    {
      name: "settings",
      rows: [
        ["form_id", "version", "form_title"],
        [FORM_ID, FORM_VERSION, "Facility visit"]
      ]
    }
  ]
})

/** Three visits (fixed ids: a second run re-sends them and nothing changes). */
const VISITS = [
  { uuid: "0193a1b2-0000-7000-8000-000000000001", facility: 0, visitor: "Aminata", children: 12, photo: true },
  { uuid: "0193a1b2-0000-7000-8000-000000000002", facility: 0, visitor: "Ibrahim", children: 7, photo: false },
  { uuid: "0193a1b2-0000-7000-8000-000000000003", facility: 1, visitor: "Fatmata", children: 20, photo: false }
] as const

/** A few bytes standing for a photo (a JPEG's start-of-image marker and a comment). */
const PHOTO = new Uint8Array([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x06, 0x64, 0x65, 0x6d, 0x6f, 0xff, 0xd9])

/** Shows progress on a terminal (one line, rewritten); keeps each phase's last figures for the summary. */
const progressLine = () => {
  const last = new Map<string, Progress>()
  const onProgress = (progress: Progress) => {
    last.set(progress.phase, progress)
    if (process.stdout.isTTY)
      process.stdout.write(`\rimport    ${progress.phase} ${progress.done}${progress.total === undefined ? "" : `/${progress.total}`}   `)
  }
  const summary = () => [...last.values()].map((p) => `${p.phase} ${p.done}`).join(", ")
  return { onProgress, summary }
}

const program = Effect.gen(function* () {
  const accounts = yield* Accounts
  console.log(`store     SQLite file ${filename}`)
  const existing = yield* accounts.findByName("Demo Health")
  const account = Option.isSome(existing) ? existing.value : (yield* accounts.setup({ name: "Demo Health" })).account
  console.log(`account   ${account.name} (${Option.isSome(existing) ? "reopened" : "created"})`)
  const versionId = account.defaultVersionId
  if (versionId === undefined) return yield* Effect.die("the demo account has no default version")

  return yield* Effect.gen(function* () {
    const records = yield* Records
    const units = yield* OrgUnits
    const version = yield* records.get(SourceVersionModel, versionId)

    // 1. The pyramid: a sample GeoPackage, imported with progress (once).
    const roots = yield* units.search({ versionId, parentId: null, select: ["name"] })
    if (roots.items.length === 0) {
      const bytes = yield* sampleGeoPackage("1k")
      const progress = progressLine()
      const imported = yield* importGeoPackage(bytes, {
        dataSourceId: version.dataSourceId,
        versionNumber: version.number,
        defaultValid: true,
        fileName: "sample.gpkg",
        onProgress: progress.onProgress
      })
      if (process.stdout.isTTY) process.stdout.write("\r\u001b[K")
      console.log(`import    sample.gpkg: ${imported.created} units, ${imported.typesCreated} types (${progress.summary()})`)
    } else {
      console.log("import    skipped: the version holds the pyramid")
    }
    const [root] = (yield* units.search({ versionId, parentId: null, select: ["name"] })).items
    if (root?.id === undefined) return yield* Effect.die("the import left no root")

    // 2. The form: an XLSForm made in code, uploaded once.
    const found = yield* records.list(FormModel, { where: [{ field: "name", op: "eq", value: "Facility visit" }] })
    let form: Partial<Form> | undefined = found.items[0]
    if (form?.id === undefined) {
      const [project] = (yield* records.list(ProjectModel, { limit: 1 })).items
      if (project === undefined) return yield* Effect.die("the demo account has no project")
      const created = yield* (yield* Forms).create({ name: "Facility visit", projectIds: [project.id] })
      yield* (yield* FormVersions).create({ formId: created.id, xlsForm: { bytes: visitForm, fileName: `${FORM_ID}.xlsx` } })
      form = created
      console.log(`form      Facility visit, version ${FORM_VERSION} (uploaded)`)
    } else {
      console.log(`form      Facility visit (reopened)`)
    }
    const formId = form.id
    if (formId === undefined) return yield* Effect.die("the form has no id")

    // 3. Submissions at the first two facilities, one with a photo.
    const facilities = (yield* units.search({ versionId, name: "Facility 1.1.1.", orderBy: [{ field: "name" }], limit: 2, select: ["name"] })).items
    const instances = yield* Instances
    const outcomes: Array<string> = []
    for (const visit of VISITS) {
      const facility = facilities[visit.facility]
      if (facility?.id === undefined) return yield* Effect.die("the sample pyramid has facilities")
      const xml =
        `<data id="${FORM_ID}" version="${FORM_VERSION}"><visitor>${visit.visitor}</visitor><children>${visit.children}</children>` +
        `<photo>${visit.photo ? "register.jpg" : ""}</photo><meta><instanceID>uuid:${visit.uuid}</instanceID></meta></data>`
      const result = yield* instances.ingest({
        xml,
        formId,
        orgUnitId: facility.id,
        createdAt: new Date("2026-12-01T09:00:00Z"),
        ...(visit.photo ? { attachments: [{ name: "register.jpg", bytes: PHOTO, mediaType: "image/jpeg" }] } : {})
      })
      outcomes.push(result.outcome)
    }
    console.log(`ingest    ${VISITS.length} submissions: ${outcomes.join(", ")}`)

    // 4. What the store holds.
    const tree = yield* units.hierarchy(root.id, { levels: 2, orderBy: [{ field: "path" }], select: ["name", "depth"], limit: 100 })
    console.log(`\ntree (top ${tree.items.length} units)`)
    for (const unit of tree.items) console.log(`${"  ".repeat((unit.depth ?? 1) - 1)}${unit.name}`)

    console.log("\nunits per level")
    for (const level of yield* units.countsPerLevel({ versionId })) console.log(`  level ${level.depth}  ${level.count}`)

    console.log("\nsubmissions per org unit")
    const perUnit = new Map<OrgUnitId, number>()
    for (const { instance } of (yield* instances.list({ formId })).items) {
      if (instance.orgUnitId !== undefined) perUnit.set(instance.orgUnitId, (perUnit.get(instance.orgUnitId) ?? 0) + 1)
    }
    for (const [id, count] of perUnit) console.log(`  ${(yield* units.get(id)).name}  ${count}`)
  }).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
})

const services = Layer.mergeAll(Iaso.layer, FileBlobStore.layer({ directory: join(dirname(filename), "files") }), BetterSqlite3Gpkg.layer).pipe(
  Layer.provide(SqliteStore.layer({ filename }))
)
await Effect.runPromise(program.pipe(Effect.provide(services)))
