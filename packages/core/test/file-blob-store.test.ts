import { Actor, BlobStore, createIaso, type FormId, MemoryStore, NotFound, uuidv7 } from "@iaso/core"
import { FileBlobStore } from "@iaso/core/node"
import { Effect, Exit } from "effect"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "iaso-blobs-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const HELLO_SHA256 = "185f8db32271fe25f561a6fc938b2e264306ec304eda518007d1764826381969"
const hello = () => new TextEncoder().encode("Hello")

const inStore = <A, E>(directory: string, effect: Effect.Effect<A, E, BlobStore>) =>
  Effect.runPromiseExit(Effect.provide(effect, FileBlobStore.layer({ directory })))

const value = async <A, E>(exit: Promise<Exit.Exit<A, E>>): Promise<A> => {
  const done = await exit
  if (Exit.isFailure(done)) throw new Error(String(done.cause))
  return done.value
}

/** Every file under a directory, as paths relative to it. */
const files = (root: string): Array<string> =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort()

describe("FileBlobStore", () => {
  it("stores bytes content-addressed under sha256/<2 hex>/<hex>, once, with no temporary file left", async () => {
    const root = join(dir, "store-1")
    const [first, second] = await value(
      inStore(
        root,
        Effect.gen(function* () {
          const store = yield* BlobStore
          const a = yield* store.put(hello(), { mediaType: "text/plain", fileName: "hello.txt" })
          const b = yield* store.put(hello(), { mediaType: "text/markdown" })
          return [a, b] as const
        })
      )
    )
    expect(first).toEqual({ key: `sha256/${HELLO_SHA256}`, size: 5, sha256: HELLO_SHA256, mediaType: "text/plain", fileName: "hello.txt" })
    expect(second).toEqual({ key: `sha256/${HELLO_SHA256}`, size: 5, sha256: HELLO_SHA256, mediaType: "text/markdown" })
    expect(files(root)).toEqual([join("sha256", "18", HELLO_SHA256)])
    expect(readFileSync(join(root, "sha256", "18", HELLO_SHA256), "utf8")).toBe("Hello")
  })

  it("reads back what another store instance on the same directory wrote; has, get, remove", async () => {
    const root = join(dir, "store-2")
    await value(
      inStore(
        root,
        BlobStore.use((store) => store.put(hello(), { mediaType: "text/plain" }))
      )
    )
    const [bytes, had, removed, hasAfter] = await value(
      inStore(
        root,
        Effect.gen(function* () {
          const store = yield* BlobStore
          const read = yield* store.get(`sha256/${HELLO_SHA256}`)
          const present = yield* store.has(`sha256/${HELLO_SHA256}`)
          yield* store.remove(`sha256/${HELLO_SHA256}`)
          yield* store.remove(`sha256/${HELLO_SHA256}`)
          return [read, present, true, yield* store.has(`sha256/${HELLO_SHA256}`)] as const
        })
      )
    )
    expect(new TextDecoder().decode(bytes)).toBe("Hello")
    expect([had, removed, hasAfter]).toEqual([true, true, false])
    const missing = await inStore(
      root,
      BlobStore.use((store) => store.get(`sha256/${HELLO_SHA256}`))
    )
    expect(Exit.isFailure(missing) && missing.cause.reasons[0]?._tag === "Fail" ? missing.cause.reasons[0].error : undefined).toBeInstanceOf(NotFound)
  })

  it("never turns a key that is not a content address into a path", async () => {
    const root = join(dir, "store-3")
    for (const key of ["../../etc/passwd", "sha256/../../x", `sha256/${HELLO_SHA256.toUpperCase()}`, "sha256/abc"]) {
      const exit = await inStore(
        root,
        BlobStore.use((store) => store.get(key))
      )
      expect(Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Fail" ? exit.cause.reasons[0].error : undefined).toMatchObject({
        _tag: "NotFound",
        model: "Blob",
        id: key
      })
      expect(
        await value(
          inStore(
            root,
            BlobStore.use((store) => store.has(key))
          )
        )
      ).toBe(false)
      await value(
        inStore(
          root,
          BlobStore.use((store) => store.remove(key))
        )
      )
    }
  })

  it("many concurrent puts of the same and different bytes leave one complete file each", async () => {
    const root = join(dir, "store-4")
    const payloads = Array.from({ length: 40 }, (_, i) => new TextEncoder().encode(`payload ${i % 8}`.repeat(1000)))
    const refs = await value(
      inStore(
        root,
        Effect.flatMap(Effect.service(BlobStore), (store) =>
          Effect.forEach(payloads, (bytes) => store.put(bytes, { mediaType: "text/plain" }), { concurrency: 40 })
        )
      )
    )
    expect(new Set(refs.map((ref) => ref.key)).size).toBe(8)
    expect(files(root)).toHaveLength(8)
    for (const ref of refs) expect(readFileSync(join(root, "sha256", ref.sha256.slice(0, 2), ref.sha256)).byteLength).toBe(ref.size)
  })

  it("keeps a submission's XML and attachments when given to createIaso", async () => {
    const root = join(dir, "store-5")
    const iaso = createIaso({ store: MemoryStore.layer(), blobs: FileBlobStore.layer({ directory: root }) })
    try {
      const { account, project } = await iaso.accounts.setup({ name: `blobs ${uuidv7()}` })
      const admin = iaso.as(Actor.system(account.id))
      const form = await admin.forms.create({ name: "F", projectIds: [project.id] })
      const xml = `<data><photo>p.jpg</photo><meta><instanceID>uuid:${uuidv7()}</instanceID></meta></data>`
      const result = await admin.instances.ingest({
        xml,
        formId: form.id as FormId,
        createdAt: new Date("2024-01-01T00:00:00Z"),
        attachments: [{ name: "p.jpg", bytes: hello(), mediaType: "image/jpeg" }]
      })
      const xmlFile = join(root, "sha256", result.instance.file?.sha256.slice(0, 2) ?? "", result.instance.file?.sha256 ?? "")
      expect(readFileSync(xmlFile, "utf8")).toBe(xml)
      expect(existsSync(join(root, "sha256", "18", HELLO_SHA256))).toBe(true)
      expect(result.files.map((file) => [file.name, file.file?.key])).toEqual([["p.jpg", `sha256/${HELLO_SHA256}`]])
    } finally {
      await iaso.dispose()
    }
  })
})
