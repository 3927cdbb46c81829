/**
 * Builds the PWA to examples/pwa/dist: the app (index.html and its bundle) and the service worker
 * `sw.js`, into which the list of built files is written so it can precache the app shell.
 * Inside the workspace the SDK resolves to its TypeScript sources (the `@iaso/source` condition).
 */
import { createHash } from "node:crypto"
import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { defaultClientConditions, defineConfig, type Plugin } from "vite"

const root = fileURLToPath(new URL(".", import.meta.url))

/** Writes the precache list and its digest into the service worker's chunk. */
const precache = (): Plugin => ({
  name: "iaso-pwa-precache",
  apply: "build",
  enforce: "post",
  generateBundle(_options, bundle) {
    // The bundle's files and the public folder's (copied as they are, outside the bundle).
    const files = [...Object.keys(bundle), ...readdirSync(new URL("public", import.meta.url))]
      .filter((file) => file !== "sw.js" && !file.endsWith(".map"))
      .sort()
    const version = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 16)
    const worker = bundle["sw.js"]
    if (worker === undefined || worker.type !== "chunk") throw new Error("sw.js is missing from the bundle")
    worker.code = worker.code.replaceAll("__PWA_PRECACHE__", JSON.stringify(files)).replaceAll("__PWA_VERSION__", JSON.stringify(version))
  }
})

export default defineConfig(({ command }) => ({
  root,
  base: "./",
  resolve: { conditions: ["@iaso/source", ...defaultClientConditions] },
  define: { __PWA_SW__: JSON.stringify(command === "build") },
  plugins: [precache()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    rollupOptions: {
      input: { index: fileURLToPath(new URL("index.html", import.meta.url)), sw: fileURLToPath(new URL("src/sw.ts", import.meta.url)) },
      output: { entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js") }
    }
  },
  server: { port: 5173 }
}))
