/**
 * A whole pyramid pulled into IndexedDB in headless Chromium: the server (PostgreSQL in a fresh
 * schema, PGlite in memory without `DATABASE_URL`, said loudly) holds the sample pyramid (`50k`
 * default, `--size 1k|50k|1M`, `1k` under `--smoke`) and a user rooted at the country; a page
 * (bench/sync-indexeddb-page.ts, bundled with esbuild and served by the same loopback server as
 * the sync routes) pulls the user's whole scope through `httpSyncTransport` into `IndexedDbStore`
 * (pages of 1,000 feed changes), beside a raw `idb` load of the very records the SDK stored into a
 * database of the same shape, in one transaction. Ratio = raw time / SDK time. Chromium runs with
 * a persistent profile in a temporary directory (IndexedDB on disk), as bench/indexeddb.ts.
 *
 *   node --conditions=@iaso/source bench/sync-indexeddb.ts [--smoke] [--size 50k]
 *
 * Needs /usr/bin/chromium (or CHROMIUM_PATH); skipped with a message without it (failing when CI is set).
 */
import { existsSync, mkdtempSync, rmSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { chromium } from "playwright"
import { generatePyramid, type PyramidSize } from "./pyramid.ts"
import { startBenchSyncServer } from "./sync-http-server.ts"
import type { SyncIdbFigures, SyncIdbOptions } from "./sync-indexeddb-page.ts"
import { DEVICE_PERMISSIONS, openSyncServerStore, setupSyncWorld } from "./sync-world.ts"

/** Chromium's flags, shared by every browser run (scripts/chromium-args.json). */
const chromiumArgs: Array<string> = (JSON.parse(readFileSync(new URL("../scripts/chromium-args.json", import.meta.url), "utf8")) as { args: Array<string> })
  .args

declare const iasoSyncBench: { readonly run: (options: SyncIdbOptions) => Promise<SyncIdbFigures> }

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`

/** Runs the figure; rows in the shape of bench/run.ts's table. */
export const syncIndexedDbBench = async (options: {
  readonly size: PyramidSize
  readonly databaseUrl: string
}): Promise<ReadonlyArray<Record<string, string>>> => {
  const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
  if (!existsSync(executablePath)) {
    if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${executablePath} is missing: CI always has Chromium`)
    console.log(`(sync into indexeddb skipped: ${executablePath} is absent)`)
    return []
  }
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("./sync-indexeddb-page.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // The SDK's sources, as the Node side runs them (not a possibly stale dist/).
    conditions: ["@iaso/source"],
    minify: true,
    write: false,
    logLevel: "silent"
  })
  const script = bundle.outputFiles[0]?.text ?? ""
  const store = openSyncServerStore(options.databaseUrl, "bench_sync_idb", 4)
  let server: Awaited<ReturnType<typeof startBenchSyncServer>> | undefined
  const profile = mkdtempSync(join(tmpdir(), "iaso-bench-chromium-sync-"))
  try {
    const units = [...generatePyramid(options.size)]
    const country = units[0]
    if (country === undefined) throw new Error("empty pyramid")
    const world = await setupSyncWorld(store.iaso, units, [country])
    const user = world.users[0]
    if (user === undefined) throw new Error("no user")
    server = await startBenchSyncServer(
      store.iaso,
      new Map([[user.userId, user.actor]]),
      new Map([
        ["/bench.js", { type: "text/javascript; charset=utf-8", body: script }],
        [
          "/",
          {
            type: "text/html; charset=utf-8",
            body: `<!doctype html><html><head><meta charset="utf-8"><title>iaso sync bench</title></head><body><script type="module" src="/bench.js"></script></body></html>`
          }
        ]
      ])
    )
    const browser = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: [...chromiumArgs, "--enable-precise-memory-info"] })
    try {
      const page = await browser.newPage()
      page.on("console", (message) => console.log(`(sync indexeddb page) ${message.text()}`))
      page.setDefaultTimeout(30 * 60_000)
      await page.goto(`${server.origin}/`)
      await page.waitForFunction(() => typeof (globalThis as { iasoSyncBench?: unknown }).iasoSyncBench === "object")
      const figures = await page.evaluate((o) => iasoSyncBench.run(o), {
        baseUrl: server.baseUrl,
        accountId: world.accountId,
        userId: user.userId,
        rootId: country.id,
        permissions: DEVICE_PERMISSIONS,
        projectId: world.projectId,
        pageSize: 1000,
        expected: units.length
      } satisfies SyncIdbOptions)
      return [
        {
          work: `first pull of a whole ${figures.units}-unit pyramid into IndexedDB (Chromium, server on ${store.description}, ${figures.pages} pages); raw: idb puts of the stored records, one transaction`,
          adapter: "indexeddb (chromium)",
          sdk: `${ms(figures.pullSdk)} (${Math.round((figures.units / figures.pullSdk) * 1000)} units/s)`,
          raw: ms(figures.loadRaw),
          ratio: (figures.loadRaw / figures.pullSdk).toFixed(2),
          "peak RSS": `${figures.heapMb} MB (JS heap)`
        }
      ]
    } finally {
      await browser.close()
    }
  } finally {
    rmSync(profile, { recursive: true, force: true })
    await server?.close()
    await store.close()
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2)
  const at = args.indexOf("--size")
  const size = (args.includes("--smoke") ? "1k" : at === -1 ? "50k" : args[at + 1]) as PyramidSize
  if (!["1k", "50k", "1M"].includes(size)) throw new Error(`--size takes 1k, 50k or 1M, not ${size}`)
  console.table(await syncIndexedDbBench({ size, databaseUrl: process.env["DATABASE_URL"] ?? "" }))
}
