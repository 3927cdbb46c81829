/**
 * The page script of the persistence test (bundled for the browser with esbuild): the SDK over the
 * IndexedDB store, through the Promise facade, and the IndexedDB blob store. `write` runs in a
 * first browser session, `read` in a second one on the same profile.
 */
import { IndexedDbBlobStore, IndexedDbStore } from "@iaso/adapter-indexeddb"
import { Actor, createIaso, type OrgUnit, OrgUnitModel, sha256Hex } from "@iaso/core"
import { Effect } from "effect"

const STORE = "iaso-e2e"
const BLOBS = "iaso-e2e-blobs"
const ACCOUNT = "Persisted Health 🏥"

/** The bytes of the attachment: a fixed pattern, long enough to span several pages of storage. */
const attachment = (): Uint8Array => {
  const bytes = new Uint8Array(200_000)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) % 256
  return bytes
}

/** What both sessions report, to be compared exactly. */
export interface Seen {
  readonly accountId: string
  readonly units: ReadonlyArray<{
    readonly id: string
    readonly name: string
    readonly path: string
    readonly depth: number
    readonly code?: string
    readonly location?: unknown
  }>
  readonly blob: { readonly key: string; readonly size: number; readonly sha256: string }
  readonly bytes: { readonly length: number; readonly sum: number; readonly same: boolean }
}

const view = (unit: OrgUnit) => ({
  id: unit.id,
  name: unit.name,
  path: unit.path,
  depth: unit.depth,
  ...(unit.code === undefined || unit.code === "" ? {} : { code: unit.code }),
  ...(unit.location === undefined ? {} : { location: unit.location })
})

const digest = (bytes: Uint8Array) => {
  let sum = 0
  for (const byte of bytes) sum = (sum + byte) % 1_000_000_007
  const expected = attachment()
  return { length: bytes.length, sum, same: bytes.length === expected.length && bytes.every((b, i) => b === expected[i]) }
}

const write = async (): Promise<Seen> => {
  const iaso = createIaso({ store: IndexedDbStore.layer({ name: STORE }) })
  const blobs = IndexedDbBlobStore.promise({ name: BLOBS })
  try {
    const { account, version } = await iaso.accounts.setup({ name: ACCOUNT })
    const units = iaso.as(Actor.system(account.id)).orgUnits
    const root = await units.create({ name: "Sierra Leone", versionId: version.id })
    const south = await units.create({ name: "Southern", versionId: version.id, parentId: root.id })
    const bo = await units.create({
      name: "Bo «Ségou» 🏥",
      versionId: version.id,
      parentId: south.id,
      code: "BO-01",
      validationStatus: "VALID",
      location: { type: "Point", coordinates: [-11.7271, 7.9553, 152.25] }
    })
    const bytes = attachment()
    const ref = await blobs.put(bytes, { mediaType: "image/png", fileName: "map.png" })
    return {
      accountId: account.id,
      units: [root, south, bo].map(view),
      blob: { key: ref.key, size: ref.size, sha256: ref.sha256 },
      bytes: digest(bytes)
    }
  } finally {
    await blobs.close()
    await iaso.dispose()
  }
}

const read = async (blobKey: string): Promise<Seen> => {
  const iaso = createIaso({ store: IndexedDbStore.layer({ name: STORE }) })
  const blobs = IndexedDbBlobStore.promise({ name: BLOBS })
  try {
    const found = await iaso.accounts.findByName(ACCOUNT)
    if (found._tag !== "Some") throw new Error("the account is gone")
    const units = iaso.as(Actor.system(found.value.id)).orgUnits
    const roots = await iaso.as(Actor.system(found.value.id)).records.list(OrgUnitModel, { where: [{ field: "depth", op: "eq", value: 1 }], select: ["name"] })
    const rootId = roots.items[0]?.id
    if (rootId === undefined) throw new Error("the root is gone")
    const root = await units.get(rootId)
    const below = await units.descendants(root.id, { orderBy: [{ field: "depth" }] })
    const bytes = await blobs.get(blobKey)
    const sha256 = await Effect.runPromise(sha256Hex(bytes))
    return {
      accountId: found.value.id,
      units: [root, ...below.items].map((unit) => view(unit as OrgUnit)),
      blob: { key: blobKey, size: bytes.length, sha256 },
      bytes: digest(bytes)
    }
  } finally {
    await blobs.close()
    await iaso.dispose()
  }
}

;(globalThis as { iasoE2E?: unknown }).iasoE2E = { write, read }
