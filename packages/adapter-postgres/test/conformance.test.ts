import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { runConformance } from "@iaso/core/testing"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { afterAll, describe, it } from "vitest"
import { fileFixtureLoader } from "@iaso/core/node"
import { fileURLToPath } from "node:url"

const fixtures = fileFixtureLoader(fileURLToPath(new URL("../../../../shared/fixtures", import.meta.url)), { required: (process.env["CI"] ?? "") !== "" })

// In a schema of its own, as on the server below.
runConformance({ name: "pglite", fixtures, store: PGliteStore.layer({ schema: "iaso" }) })

const url = process.env["DATABASE_URL"]
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === undefined || url === "") {
  if (inCi) throw new Error("DATABASE_URL must be set under CI: the conformance suite runs on real PostgreSQL there")
  describe("conformance: postgres", () => {
    it.skip("(skipped: set DATABASE_URL to run the suite on a real PostgreSQL server)", () => undefined)
  })
} else {
  // A fresh schema for this run (the store creates it), dropped at the end.
  const db = freshSchema(url, { label: "test", maxConnections: 6 })
  afterAll(db.drop)
  // With the deferred foreign keys: every scenario also proves core never leaves a dangling reference.
  runConformance({ name: "postgres", fixtures, store: PostgresStore.layer({ pool: db.pool, schema: db.schema, foreignKeys: true }), referencesEnforced: true })
}
