import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = fileURLToPath(new URL("../../../", import.meta.url))

/** Runs an example with the Node that runs the tests (Node 24 from node_modules). */
const example = async (name: string): Promise<string> => {
  const { stdout } = await run(process.execPath, [`examples/${name}`], { cwd: root, timeout: 60_000 })
  return stdout
}

describe("examples and the README's snippets run and print what they promise", () => {
  it("demo.ts (npm run demo) prints the account, its source and the pyramid as a tree", async () => {
    const out = await example("demo.ts")
    expect(out).toContain("project   Main Project, app id Demo.Health")
    expect(out).toContain("source    Demo Health, version 1")
    expect(out).toContain("pyramid (10 org units)")
    expect(out).toContain("\nSierra Leone\n  Southern\n    Bo\n      Bo Government Hospital  (7.9647, -11.7386)\n")
  })

  it("promise.ts uses the Promise facade and catches a typed NotFound", async () => {
    const out = await example("promise.ts")
    expect(out).toBe("2: Bo\n3: Bo Government Hospital\nprojects: Main Project\n" + out.split("\n")[3] + "\n")
    expect(out.split("\n")[3]).toMatch(/^not found: OrgUnit [0-9a-f-]{36} not found$/)
  })

  it("the README's Effect example", async () => {
    expect(await example("readme-effect.ts")).toBe("2: Bo\n3: Bo Government Hospital\n")
  })

  it("the README's Promise example", async () => {
    expect(await example("readme-promise.ts")).toBe("Bo\n")
  })
})
