import { PostgresStore } from "@iaso/adapter-postgres"
import { runConformance } from "@iaso/core/testing"
import pg from "pg"
import { afterAll, beforeAll, describe, it } from "vitest"
import { fileFixtureLoader } from "@iaso/core/node"
import { fileURLToPath } from "node:url"

const fixtures = fileFixtureLoader(fileURLToPath(new URL("../../../../shared/fixtures", import.meta.url)), { required: (process.env["CI"] ?? "") !== "" })

runConformance({ name: "pglite", fixtures, store: PostgresStore.layer({ pglite: {} }) })

const url = process.env["DATABASE_URL"]
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === undefined || url === "") {
  if (inCi) throw new Error("DATABASE_URL must be set under CI: the conformance suite runs on real PostgreSQL there")
  describe("conformance: postgres", () => {
    it.skip("(skipped: set DATABASE_URL to run the suite on a real PostgreSQL server)", () => undefined)
  })
} else {
  // A fresh schema for this run, dropped at the end.
  const schema = `iaso_test_${process.pid}_${Date.now()}`
  const admin = new pg.Pool({ connectionString: url, max: 1 })
  const pool = new pg.Pool({ connectionString: url, max: 6, options: `-c search_path=${schema}` })
  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA ${schema}`)
  })
  afterAll(async () => {
    await pool.end()
    await admin.query(`DROP SCHEMA ${schema} CASCADE`)
    await admin.end()
  })
  // With the deferred foreign keys: every scenario also proves core never leaves a dangling reference.
  runConformance({ name: "postgres", fixtures, store: PostgresStore.layer({ pool, foreignKeys: true }) })
}
