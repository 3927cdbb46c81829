import { runConformance } from "@iaso/core/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { SqliteStore } from "@iaso/adapter-sqlite"

const dir = mkdtempSync(join(tmpdir(), "iaso-sqlite-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

runConformance({ name: "sqlite (file)", store: SqliteStore.layer({ filename: join(dir, "conformance.sqlite") }) })
runConformance({ name: "sqlite (:memory:)", store: SqliteStore.layer({ filename: ":memory:" }) })
