/**
 * The store of docs/writing-an-adapter.md (examples/guide-writing-an-adapter.ts: `@iaso/sql` on
 * Node's built-in `node:sqlite`) passes the whole conformance suite: the call the guide shows, plus
 * IASO's fixture files the project's own adapters are run with (required under CI).
 */
import { fileURLToPath } from "node:url"
import type { Store } from "@iaso/core"
import { fileFixtureLoader } from "@iaso/core/node"
import { runConformance } from "@iaso/core/testing"
import type { Layer } from "effect"

/** The example is outside this package's project: it is imported when the test runs. */
const { NodeSqliteStore } = (await import(new URL("../../../examples/guide-writing-an-adapter.ts", import.meta.url).href)) as {
  readonly NodeSqliteStore: { readonly layer: (options: { readonly filename: string }) => Layer.Layer<Store, unknown> }
}

const fixtures = fileFixtureLoader(fileURLToPath(new URL("../../../../shared/fixtures", import.meta.url)), { required: (process.env["CI"] ?? "") !== "" })

runConformance({ name: "node:sqlite", fixtures, store: NodeSqliteStore.layer({ filename: ":memory:" }) })
