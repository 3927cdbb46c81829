/**
 * The store of docs/writing-an-adapter.md (examples/guide-writing-an-adapter.ts: `@iaso/sql` on
 * Node's built-in `node:sqlite`) passes the whole conformance suite, with the call the guide shows.
 */
import type { Store } from "@iaso/core"
import { runConformance } from "@iaso/core/testing"
import type { Layer } from "effect"

/** The example is outside this package's project: it is imported when the test runs. */
const { NodeSqliteStore } = (await import(new URL("../../../examples/guide-writing-an-adapter.ts", import.meta.url).href)) as {
  readonly NodeSqliteStore: { readonly layer: (options: { readonly filename: string }) => Layer.Layer<Store, unknown> }
}

runConformance({ name: "node:sqlite", store: NodeSqliteStore.layer({ filename: ":memory:" }) })
