/**
 * Files: a file field holds a {@link BlobRef} (key, size, sha256, media type); the bytes live behind
 * the {@link BlobStore} port (memory here; filesystem for Node and IndexedDB for browsers in their
 * packages). Keys are content addresses, so storing the same bytes twice stores them once.
 * @module
 */
import { Context, Effect, Layer, Schema } from "effect"
import { NotFound, type StorageError } from "./errors.ts"
import { Text } from "./text.ts"

/** A reference to stored bytes. */
export const BlobRef = Schema.Struct({
  /** Content address: `sha256/<hex>`. */
  key: Text.check(Schema.isPattern(/^sha256\/[0-9a-f]{64}$/, { message: "Expected a blob key sha256/<64 hex digits>" })),
  /** Size in bytes. */
  size: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** SHA-256 of the bytes, lower-case hex. */
  sha256: Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/, { message: "Expected 64 lower-case hex digits" })),
  /** Media type, e.g. `application/geopackage+sqlite3`. */
  mediaType: Text.check(Schema.isMaxLength(255)),
  /** The file's original name, when known. */
  fileName: Schema.optionalKey(Text.check(Schema.isMaxLength(1024)))
})
export type BlobRef = typeof BlobRef.Type

/** What a synchronous SHA-256 needs of `node:crypto` (a hash fed bytes, then read as hex). */
interface SyncHashes {
  readonly createHash: (algorithm: "sha256") => { update: (bytes: Uint8Array) => { digest: (encoding: "hex") => string } }
}

/**
 * Node's `crypto` module where the runtime has one (`process.getBuiltinModule`: Node 20.16 and
 * later), found without importing it, so browsers and bundlers never see the import.
 */
const nodeHashes: SyncHashes | undefined = (() => {
  const runtime = (globalThis as { readonly process?: { readonly getBuiltinModule?: (id: string) => unknown } }).process
  try {
    const module = runtime?.getBuiltinModule?.("node:crypto") as Partial<SyncHashes> | undefined
    return typeof module?.createHash === "function" ? (module as SyncHashes) : undefined
  } catch {
    return undefined
  }
})()

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"))

/**
 * Lower-case hex SHA-256 of `bytes`: hashed at once where Node's `crypto` is at hand (no copy, no
 * round trip through the event loop), with WebCrypto elsewhere (browsers).
 */
export const sha256Hex = (bytes: Uint8Array): Effect.Effect<string> => {
  const hashes = nodeHashes
  if (hashes !== undefined) return Effect.sync(() => hashes.createHash("sha256").update(bytes).digest("hex"))
  return Effect.promise(async () => {
    const copy = new Uint8Array(bytes.byteLength)
    copy.set(bytes)
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", copy.buffer))
    let out = ""
    for (const byte of digest) out += HEX[byte] ?? ""
    return out
  })
}

/**
 * The port behind which file bytes live: content-addressed keys (`sha256/<hex>`), so the same
 * bytes are stored once. `BlobStore.memory()` here; `FileBlobStore` in `@iaso/core/node`,
 * `IndexedDbBlobStore` in `@iaso/adapter-indexeddb`. Its calls are listed under `Service`.
 */
export class BlobStore extends Context.Service<
  BlobStore,
  {
    /** Stores bytes and returns their reference (idempotent: same bytes, same key). */
    readonly put: (bytes: Uint8Array, options: { readonly mediaType: string; readonly fileName?: string }) => Effect.Effect<BlobRef, StorageError>
    /** The bytes of a stored blob. */
    readonly get: (key: string) => Effect.Effect<Uint8Array, NotFound | StorageError>
    /** Whether a blob is stored. */
    readonly has: (key: string) => Effect.Effect<boolean, StorageError>
    /** Removes a blob (no error when it is absent). */
    readonly remove: (key: string) => Effect.Effect<void, StorageError>
  }
>()("@iaso/core/BlobStore") {
  /** A BlobStore in memory (tests, ephemeral apps). */
  static readonly memory = (): Layer.Layer<BlobStore> =>
    Layer.sync(BlobStore, () => {
      const blobs = new Map<string, Uint8Array>()
      return BlobStore.of({
        put: (bytes, options) =>
          Effect.map(sha256Hex(bytes), (sha256) => {
            const key = `sha256/${sha256}`
            if (!blobs.has(key)) blobs.set(key, bytes.slice())
            const ref: BlobRef = { key, size: bytes.byteLength, sha256, mediaType: options.mediaType }
            return options.fileName === undefined ? ref : { ...ref, fileName: options.fileName }
          }),
        get: (key) => {
          const bytes = blobs.get(key)
          return bytes === undefined ? Effect.fail(NotFound.of("Blob", key)) : Effect.succeed(bytes.slice())
        },
        has: (key) => Effect.succeed(blobs.has(key)),
        remove: (key) =>
          Effect.sync(() => {
            blobs.delete(key)
          })
      })
    })
}
