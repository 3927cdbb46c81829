/**
 * The code of docs/blob-stores.md: where file bytes go (form uploads, submission XML and
 * attachments), the file-system blob store beside a SQLite file, the port used directly, and what
 * a persistent store without a blob store answers. Run it with
 * `npx node --conditions=@iaso/source examples/guide-blob-stores.ts`.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Actor, BlobStore, createIaso, type IasoClient, StorageError } from "@iaso/core"
import { writeXlsx } from "@iaso/core/xlsform"
import { FileBlobStore } from "@iaso/core/node"
import { Effect } from "effect"

/** Sets up an account with a photo form, and ingests one submission with a photo; answers the photo's stored file. */
const submitPhoto = async (iaso: IasoClient) => {
  const { account, project, version } = await iaso.accounts.setup({ name: "Blob Health" })
  const admin = iaso.as(Actor.system(account.id))
  const clinic = await admin.orgUnits.create({ name: "Bo Government Hospital", versionId: version.id })
  const form = await admin.forms.create({ name: "Fridge photo", projectIds: [project.id] })
  const survey = [
    ["type", "name", "label"],
    ["image", "photo", "Photo"]
  ]
  const settings = [
    ["form_id", "version"],
    ["fridge_photo", "1"]
  ]
  await admin.formVersions.create({
    formId: form.id,
    xlsForm: {
      bytes: writeXlsx({
        sheets: [
          { name: "survey", rows: survey },
          { name: "settings", rows: settings }
        ]
      }),
      fileName: "fridge_photo.xlsx"
    }
  })
  const xml = `<data id="fridge_photo" version="1"><photo>fridge.jpg</photo><meta><instanceID>uuid:0193a1b2-0000-7000-8000-00000000b10b</instanceID></meta></data>`
  const photo = { name: "fridge.jpg", bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), mediaType: "image/jpeg" }
  const { files } = await admin.instances.ingest({
    xml,
    formId: form.id,
    orgUnitId: clinic.id,
    createdAt: new Date("2026-12-03T10:00:00Z"),
    attachments: [photo]
  })
  const stored = files.find((file) => file.name === "fridge.jpg")?.file
  if (stored === undefined) throw new Error("the photo has a stored file")
  return stored
}

const dir = mkdtempSync(join(tmpdir(), "iaso-blobs-"))
try {
  // A persistent store keeps its files in a persistent blob store: here a directory beside the SQLite file.
  const iaso = createIaso({
    store: SqliteStore.layer({ filename: join(dir, "iaso.sqlite") }),
    blobs: FileBlobStore.layer({ directory: join(dir, "files") })
  })
  const photo = await submitPhoto(iaso)
  console.log(`photo: ${photo.key.slice(0, 15)}..., ${photo.size} bytes, ${photo.mediaType}`)
  const hex = photo.key.slice("sha256/".length)
  console.log(`on disk: ${existsSync(join(dir, "files", "sha256", hex.slice(0, 2), hex))}`)

  // The port itself: content-addressed, so the same bytes are stored once, under the same key.
  const again = await iaso.run(
    Effect.gen(function* () {
      const blobs = yield* BlobStore
      const ref = yield* blobs.put(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), { mediaType: "image/jpeg", fileName: "copy.jpg" })
      const bytes = yield* blobs.get(ref.key)
      return { same: ref.key === photo.key, bytes: bytes.length }
    })
  )
  console.log(`put again: same key ${again.same}, read back ${again.bytes} bytes`)
  await iaso.dispose()

  // Over a persistent store without `blobs`, bytes are refused rather than kept in memory and lost.
  const forgetful = createIaso({ store: SqliteStore.layer({ filename: join(dir, "other.sqlite") }) })
  await submitPhoto(forgetful).catch((error: unknown) => {
    if (error instanceof StorageError) console.log(`without a blob store: ${error.reason}`)
    else throw error
  })
  await forgetful.dispose()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
