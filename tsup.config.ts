import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import type { Plugin } from "esbuild"
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
      node: "src/node.ts",
      lite: "src/lite.ts",
      xlsform: "src/xlsform.ts",
      pyramid: "src/pyramid.ts",
      "dhis2-export": "src/dhis2-export.ts",
      "mobile-bulk-upload": "src/mobile-bulk-upload.ts",
      "json-logic": "src/json-logic.ts",
      "submission-xml": "src/submission-xml.ts",
      store: "src/store.ts"
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

/** Every `.ts` module under a package's `src/`, named by its path without the extension. */
const modulesOf = (dir: string): Record<string, string> => {
  const found: Record<string, string> = {}
  const walk = (folder: string): void => {
    for (const item of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, item.name)
      if (item.isDirectory()) walk(path)
      else if (item.name.endsWith(".ts") && !item.name.endsWith(".d.ts")) found[relative(`${dir}/src`, path).replace(/\.ts$/, "")] = path
    }
  }
  walk(`${dir}/src`)
  return found
}

/**
 * One output file per source module (relative imports stay imports, `./x.ts` becoming `./x.js`):
 * with `"sideEffects": false` in each package.json, an app's bundler leaves out every module the
 * app does not reach (one bundled file per entry would hand it everything at once, whose top-level
 * Schema and class declarations it cannot prove unused). See the bundle budget in
 * packages/core/test/browser-bundle.test.ts.
 */
const preserveModules: Plugin = {
  name: "preserve-modules",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => (args.kind === "entry-point" ? undefined : { path: args.path.replace(/\.ts$/, ".js"), external: true }))
  }
}

export default defineConfig(
  packages.map(({ dir, entry }) => ({
    entry: modulesOf(dir),
    outDir: `${dir}/dist`,
    format: ["esm"],
    dts: {
      entry: Object.fromEntries(Object.entries(entry).map(([name, file]) => [name, `${dir}/${file}`])),
      compilerOptions: { composite: false, emitDeclarationOnly: false }
    },
    esbuildPlugins: [preserveModules],
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    tsconfig: `${dir}/tsconfig.json`,
    external: externalOf(dir)
  }))
)
