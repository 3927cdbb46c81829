import { MemoryStore } from "@iaso/core"
import { browserFixtureLoader, runConformance } from "@iaso/core/testing"
import { commands } from "vitest/browser"

/** Set by vitest.config.ts from the CI environment variable. */
declare const __IASO_CI__: string
const fixtures = browserFixtureLoader(commands.readFile, { required: __IASO_CI__ !== "" })

runConformance({ name: "memory (chromium)", fixtures, store: MemoryStore.layer() })
