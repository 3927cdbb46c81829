import { MemoryStore } from "@iaso/core"
import { runConformance } from "@iaso/core/testing"

runConformance({ name: "memory (chromium)", store: MemoryStore.layer() })
