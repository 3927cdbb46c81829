import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { runConformance } from "@iaso/core/testing"

// The browser's own IndexedDB (headless Chromium), one database per run.
runConformance({ name: "indexeddb (chromium)", store: IndexedDbStore.layer({ name: `conformance-${Date.now()}` }) })
