import "fake-indexeddb/auto"
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { runConformance } from "@iaso/core/testing"
import { IDBFactory } from "fake-indexeddb"
import { fileFixtureLoader } from "@iaso/core/node"
import { fileURLToPath } from "node:url"

const fixtures = fileFixtureLoader(fileURLToPath(new URL("../../../../shared/fixtures", import.meta.url)), { required: (process.env["CI"] ?? "") !== "" })

runConformance({ name: "indexeddb (fake)", fixtures, store: IndexedDbStore.layer({ name: "conformance", indexedDB: new IDBFactory() }) })
