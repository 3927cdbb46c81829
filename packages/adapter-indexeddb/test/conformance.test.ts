import "fake-indexeddb/auto"
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { runConformance } from "@iaso/core/testing"
import { IDBFactory } from "fake-indexeddb"

runConformance({ name: "indexeddb (fake)", store: IndexedDbStore.layer({ name: "conformance", indexedDB: new IDBFactory() }) })
