import { runConformance, runConformanceSmoke } from "@iaso/core/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { fileFixtureLoader } from "@iaso/core/node"
import { fileURLToPath } from "node:url"

const fixtures = fileFixtureLoader(fileURLToPath(new URL("../../../../shared/fixtures", import.meta.url)), { required: (process.env["CI"] ?? "") !== "" })

const dir = mkdtempSync(join(tmpdir(), "iaso-sqlite-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

runConformance({ name: "sqlite (file)", fixtures, store: SqliteStore.layer({ filename: join(dir, "conformance.sqlite") }) })
// The same SQL on an in-memory database: the smoke run proves it opens, migrates, writes, reads and rolls back.
runConformanceSmoke({ name: "sqlite (:memory:)", store: SqliteStore.layer({ filename: ":memory:" }) })
