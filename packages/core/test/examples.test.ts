import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = fileURLToPath(new URL("../../../", import.meta.url))

/** Runs an example with the Node that runs the tests (Node 24 from node_modules). */
const example = async (name: string, ...args: ReadonlyArray<string>): Promise<string> => {
  const { stdout } = await run(process.execPath, [`examples/${name}`, ...args], { cwd: root, timeout: 60_000 })
  return stdout
}

describe("examples and the README's snippets run and print what they promise", () => {
  it("demo.ts (npm run demo) builds the pyramid in a SQLite file, and a second run reopens it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iaso-demo-"))
    try {
      const file = join(dir, "demo.sqlite")
      const first = await example("demo.ts", file)
      expect(first).toContain(`store     SQLite file ${file}\naccount   Demo Health (created)\n`)
      expect(first).toContain("pyramid (10 org units)")
      expect(first).toContain("\nSierra Leone\n  Southern\n    Bo\n      Bo Government Hospital  (7.9647, -11.7386)\n")
      const second = await example("demo.ts", file)
      expect(second).toContain("account   Demo Health (reopened)\n")
      expect(second.slice(second.indexOf("pyramid"))).toBe(first.slice(first.indexOf("pyramid")))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("promise.ts uses the Promise facade and catches a typed NotFound", async () => {
    const out = await example("promise.ts")
    expect(out).toBe(`2: Bo\n3: Bo Government Hospital\nprojects: Main Project\n${out.split("\n")[3]}\n`)
    expect(out.split("\n")[3]).toMatch(/^not found: OrgUnit [0-9a-f-]{36} not found$/)
  })

  it("the README's Effect example", async () => {
    expect(await example("readme-effect.ts")).toBe("2: Bo\n3: Bo Government Hospital\n")
  })

  it("the README's Promise example", async () => {
    expect(await example("readme-promise.ts")).toBe("Bo\n")
  })
})
