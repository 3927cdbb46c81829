/**
 * The two drivers stay apart: each entry point is bundled with esbuild (the workspace's sources,
 * effect, kysely and core bundled in) with both drivers left external, and the drivers the bundle
 * still imports are read from its metafile. `@iaso/adapter-postgres/pglite` is bundled for the
 * browser, so a Node builtin anywhere behind it fails the build.
 */
import { builtinModules } from "node:module"
import { fileURLToPath } from "node:url"
import { build, type Metafile } from "esbuild"
import { describe, expect, it } from "vitest"

/** The repository root (esbuild's working directory: metafile paths are relative to it). */
const root = fileURLToPath(new URL("../../../", import.meta.url))

const DRIVERS = ["pg", "@electric-sql/pglite"]

const builtins = new Set(builtinModules.filter((name) => !name.startsWith("_")))
const isNodeBuiltin = (specifier: string): boolean => specifier.startsWith("node:") || builtins.has(specifier.split("/")[0] ?? "")

/** Bundles `entry` from the workspace's sources, the drivers left external. */
const bundle = async (entry: string, platform: "browser" | "node"): Promise<Metafile> => {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    conditions: ["@iaso/source"],
    platform,
    bundle: true,
    write: false,
    format: "esm",
    target: "es2022",
    external: DRIVERS,
    metafile: true,
    logLevel: "silent"
  })
  return result.metafile
}

/** Every external import of the bundle, by specifier, once each. */
const externalImports = (metafile: Metafile): ReadonlyArray<string> =>
  [...new Set(Object.values(metafile.inputs).flatMap((input) => input.imports.filter((imp) => imp.external === true).map((imp) => imp.path)))].sort()

describe("entry points", () => {
  it("@iaso/adapter-postgres/pglite bundles for the browser importing PGlite alone: no pg, no Node builtin", async () => {
    const metafile = await bundle("packages/adapter-postgres/src/pglite.ts", "browser")
    expect(externalImports(metafile)).toEqual(["@electric-sql/pglite"])
    const inputs = Object.keys(metafile.inputs)
    expect(inputs.filter((file) => isNodeBuiltin(file) || /node_modules\/pg(-[a-z-]+)?\//.test(file))).toEqual([])
    // The shared store and the SQL implementation are in the bundle (not left out by accident).
    expect(inputs).toContain("packages/adapter-postgres/src/store.ts")
    expect(inputs).toContain("packages/sql/src/driver.ts")
  }, 60_000)

  it("@iaso/adapter-postgres imports pg alone, never PGlite", async () => {
    const metafile = await bundle("packages/adapter-postgres/src/index.ts", "node")
    // On Node, esbuild leaves the builtins external too.
    expect(externalImports(metafile).filter((specifier) => !isNodeBuiltin(specifier))).toEqual(["pg"])
  }, 60_000)
})
