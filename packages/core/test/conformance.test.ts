import { MemoryStore } from "@iaso/core"
import { runConformance } from "@iaso/core/testing"
import { fileFixtureLoader } from "@iaso/core/node"
import { fileURLToPath } from "node:url"

const fixtures = fileFixtureLoader(fileURLToPath(new URL("../../../../shared/fixtures", import.meta.url)), { required: (process.env["CI"] ?? "") !== "" })

runConformance({ name: "memory", fixtures, store: MemoryStore.layer() })
