import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { uuidv7 } from "@iaso/core"
import { describe, expect, it } from "vitest"

// A full collection on demand, to read what the kept ids themselves cost.
setFlagsFromString("--expose-gc")
const collect = runInNewContext("gc") as () => void

const heapAfterCollection = (): number => {
  collect()
  collect()
  return process.memoryUsage().heapUsed
}

describe("uuidv7 in memory", () => {
  it("an id kept costs its 36 characters, not a tree of the pieces it was made of (200 000 ids under 100 bytes each)", () => {
    const count = 200_000
    const kept: Array<string> = new Array(count).fill("")
    const before = heapAfterCollection()
    const now = Date.UTC(2103, 0, 1)
    for (let i = 0; i < count; i++) kept[i] = uuidv7(now + Math.floor(i / 4096))
    const perId = (heapAfterCollection() - before) / count
    // A flat one-byte string of 36 characters takes 56 bytes; the template literal it replaced
    // kept about 330 (seven concatenation nodes and their pieces).
    expect(perId).toBeLessThan(100)
    expect(new Set(kept).size).toBe(count)
    expect(kept[0]?.slice(0, 13)).toBe(`${now.toString(16).padStart(12, "0").slice(0, 8)}-${now.toString(16).padStart(12, "0").slice(8)}`)
  })
})
