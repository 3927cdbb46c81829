/**
 * Sync between two different adapters, each way a deployment pairs them: a PostgreSQL server and
 * an IndexedDB device (a PWA), a PGlite server and a SQLite device, a SQLite server and a PGlite
 * device, an IndexedDB server and a SQLite device. Each pair runs the conformance suite's round
 * trip: a pull cut at a seeded page and resumed, a unit leaving the device's roots repaired through
 * the checksums, an outbox pushed twice and stored once, a Conflict kept in the outbox.
 */
import "fake-indexeddb/auto"
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { type Harness, makeHarness, syncRoundTrip } from "@iaso/core/testing"
import { IDBFactory } from "fake-indexeddb"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, it } from "vitest"
import { PostgresStore } from "../src/index.ts"
import { PGliteStore } from "../src/pglite.ts"
import { freshSchema } from "../src/testing.ts"

const url = process.env["DATABASE_URL"]
const ci = (process.env["CI"] ?? "") !== ""
const folder = mkdtempSync(join(tmpdir(), "iaso-sync-pairs-"))
const disposers: Array<() => Promise<void>> = []
const harness = (name: string, store: Parameters<typeof makeHarness>[0]["store"]): Harness => {
  const made = makeHarness({ name, store, seed: 20261207 })
  disposers.push(made.dispose)
  return made.harness
}

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose()
  rmSync(folder, { recursive: true, force: true })
})

describe("sync between two adapters", () => {
  it("a PGlite server and a device on a SQLite file", async () => {
    await syncRoundTrip(harness("pglite", PGliteStore.layer({})), harness("sqlite", SqliteStore.layer({ filename: join(folder, "device-1.sqlite") })))
  })
  it("a SQLite server and a device on PGlite", async () => {
    await syncRoundTrip(harness("sqlite", SqliteStore.layer({ filename: join(folder, "server-2.sqlite") })), harness("pglite", PGliteStore.layer({})))
  })
  it("an IndexedDB server and a device on a SQLite file", async () => {
    await syncRoundTrip(
      harness("indexeddb", IndexedDbStore.layer({ name: "sync-server", indexedDB: new IDBFactory() })),
      harness("sqlite", SqliteStore.layer({ filename: join(folder, "device-3.sqlite") }))
    )
  })
  if (url === undefined && ci) throw new Error("DATABASE_URL is required under CI for the PostgreSQL -> IndexedDB pair")
  it.skipIf(url === undefined)(`a PostgreSQL server and a device on IndexedDB${url === undefined ? " (skipped: set DATABASE_URL)" : ""}`, async () => {
    if (url === undefined) return
    const db = freshSchema(url, { label: "sync_pairs" })
    disposers.push(() => db.drop())
    await syncRoundTrip(
      harness("postgres", PostgresStore.layer({ pool: db.pool, schema: db.schema })),
      harness("indexeddb", IndexedDbStore.layer({ name: "sync-device", indexedDB: new IDBFactory() }))
    )
  })
})
