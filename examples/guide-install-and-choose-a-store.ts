/**
 * The code of docs/install-and-choose-a-store.md: one program on three stores (in memory, a
 * SQLite file, embedded PostgreSQL), the SQLite file opened twice. Run it with
 * `npx node --conditions=@iaso/source examples/guide-install-and-choose-a-store.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Actor, createIaso, MemoryStore, type Store } from "@iaso/core"
import { type Layer, Option } from "effect"

/** Opens the SDK on a store, adds a district to the account "Store Health" (set up on first use), and closes it. */
const addDistrict = async (store: Layer.Layer<Store, unknown>, district: string): Promise<string> => {
  const iaso = createIaso({ store })
  try {
    const found = await iaso.accounts.findByName("Store Health")
    const account = Option.isSome(found) ? found.value : (await iaso.accounts.setup({ name: "Store Health" })).account
    const admin = iaso.as(Actor.system(account.id))
    const versionId = account.defaultVersionId
    if (versionId === undefined) throw new Error("a set-up account has a default version")
    await admin.orgUnits.create({ name: district, versionId })
    const roots = await admin.orgUnits.search({ versionId, parentId: null, orderBy: [{ field: "name" }], select: ["name"] })
    return roots.items.map((unit) => unit.name).join(", ")
  } finally {
    await iaso.dispose()
  }
}

// In memory: nothing survives the process (tests, demos, a short-lived worker).
console.log(`memory:  ${await addDistrict(MemoryStore.layer(), "Bo")}`)

// A SQLite file: the embedded default. Opened again, it holds what the first run wrote.
const dir = mkdtempSync(join(tmpdir(), "iaso-guide-"))
try {
  const file = join(dir, "pyramid.sqlite")
  await addDistrict(SqliteStore.layer({ filename: file }), "Bo")
  console.log(`sqlite:  ${await addDistrict(SqliteStore.layer({ filename: file }), "Kenema")}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}

// PostgreSQL embedded in the process (PGlite), here in memory; `dataDir` keeps it in a directory.
console.log(`pglite:  ${await addDistrict(PGliteStore.layer({}), "Makeni")}`)
