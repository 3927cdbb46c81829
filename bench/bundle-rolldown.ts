/**
 * The typical browser apps of packages/core/test/browser-bundle.test.ts bundled by Rolldown, the
 * bundler of Vite 8 (the example PWA's), from the packages' built `dist` (run `npm run build`
 * first): minified, code split as Vite does, effect included. Prints, for each app, what a browser
 * downloads to start (the entry chunk and the chunks it imports statically) and all chunks, in KB
 * of 1,024 bytes, minified and gzipped. The test measures the same apps with esbuild and holds
 * their budgets; this one is measured by hand (`bench/README.md`). Rolldown is installed with Vite
 * (which vitest and the PWA's build use), not declared by the workspace.
 *
 *   npm run build && npx node bench/bundle-rolldown.ts
 */
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { type OutputChunk, rolldown } from "rolldown"

const root = fileURLToPath(new URL("../", import.meta.url))

/** The apps, as an app's code imports the packages. */
const apps: Readonly<Record<string, string>> = {
  "createIaso + IndexedDB": `import { createIaso } from "@iaso/core"
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
export const iaso = createIaso({ store: IndexedDbStore.layer({ name: "app" }) })`,
  "createIasoLite + IndexedDB": `import { createIasoLite } from "@iaso/core/lite"
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
export const iaso = createIasoLite({ store: IndexedDbStore.layer({ name: "app" }) })`,
  "IndexedDbStore alone": `import { IndexedDbStore } from "@iaso/adapter-indexeddb"
export const store = IndexedDbStore.layer({ name: "app" })`,
  "one Schema (OrgUnit)": `import { OrgUnit } from "@iaso/core"
export const schema = OrgUnit`
}

const APP = "\0app.js"
const kb = (bytes: number): number => Math.round(bytes / 1024)
const sizeOf = (chunks: ReadonlyArray<OutputChunk>): string =>
  `${kb(chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.code), 0))} / ${kb(chunks.reduce((sum, chunk) => sum + gzipSync(chunk.code).byteLength, 0))}`

for (const [app, code] of Object.entries(apps)) {
  const bundle = await rolldown({
    input: APP,
    cwd: root,
    platform: "browser",
    logLevel: "silent",
    plugins: [
      {
        name: "app",
        resolveId: (id) => (id === APP ? id : undefined),
        load: (id) => (id === APP ? code : undefined)
      }
    ]
  })
  const { output } = await bundle.generate({ format: "esm", minify: true })
  await bundle.close()
  const chunks = output.filter((item): item is OutputChunk => item.type === "chunk")
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]))
  const start = new Set<string>()
  const pending = chunks.filter((chunk) => chunk.isEntry).map((chunk) => chunk.fileName)
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (start.has(name)) continue
    start.add(name)
    pending.push(...(byName.get(name)?.imports ?? []))
  }
  const starting = chunks.filter((chunk) => start.has(chunk.fileName))
  console.log(`${app}: to start ${sizeOf(starting)} KB (minified / gzipped), all ${chunks.length} chunks ${sizeOf(chunks)} KB`)
}
