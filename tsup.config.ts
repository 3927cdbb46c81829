import { readFileSync } from "node:fs"
import { defineConfig } from "tsup"

/** One build for every package: ESM + .d.ts into each package's dist/. */
const packages: ReadonlyArray<{ readonly dir: string; readonly entry: Record<string, string> }> = [
  {
    dir: "packages/core",
    entry: {
      index: "src/index.ts",
      "testing/index": "src/testing/index.ts",
      "overlay/index": "src/overlay/index.ts",
      "kernel/index": "src/kernel/index.ts",
      node: "src/node.ts"
    }
  },
  { dir: "packages/geopackage", entry: { index: "src/index.ts", node: "src/node.ts", sqljs: "src/sqljs.ts" } },
  { dir: "packages/sql", entry: { index: "src/index.ts" } },
  { dir: "packages/adapter-sqlite", entry: { index: "src/index.ts" } },
  { dir: "packages/adapter-postgres", entry: { index: "src/index.ts", pglite: "src/pglite.ts", testing: "src/testing.ts", "pg-boss": "src/pg-boss.ts" } },
  { dir: "packages/adapter-indexeddb", entry: { index: "src/index.ts" } },
  { dir: "packages/cli", entry: { index: "src/index.ts", bin: "src/bin.ts" } }
]

/**
 * What a package leaves to npm: every dependency and peer dependency it declares (and their
 * subpaths) is imported, never bundled, so nothing in `dist` is installed a second time.
 */
const externalOf = (dir: string): Array<RegExp> => {
  const manifest = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as {
    readonly dependencies?: Record<string, string>
    readonly peerDependencies?: Record<string, string>
  }
  const names = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]
  return [...names.map((name) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(/|$)`)), /^vitest/, /^@effect\/vitest/]
}

export default defineConfig(
  packages.map(({ dir, entry }) => ({
    entry: Object.fromEntries(Object.entries(entry).map(([name, file]) => [name, `${dir}/${file}`])),
    outDir: `${dir}/dist`,
    format: ["esm"],
    dts: { compilerOptions: { composite: false, emitDeclarationOnly: false } },
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    tsconfig: `${dir}/tsconfig.json`,
    external: externalOf(dir)
  }))
)
