import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { browserFixtureLoader, runConformance } from "@iaso/core/testing"
import { commands } from "vitest/browser"

/** Set by vitest.config.ts from the CI environment variable. */
declare const __IASO_CI__: string
const fixtures = browserFixtureLoader(commands.readFile, { required: __IASO_CI__ !== "" })

// The browser's own IndexedDB (headless Chromium), one database per run.
runConformance({ name: "indexeddb (chromium)", fixtures, store: IndexedDbStore.layer({ name: `conformance-${Date.now()}` }) })
