/**
 * IndexedDB in headless Chromium: bench/indexeddb-page.ts bundled with esbuild, served over a
 * local http server and run in Chromium through Playwright. The pyramid's import through the SDK
 * beside raw `idb` puts of the same records into the same object store shape and beside Dexie 4
 * `bulkPut`, then the descendants of one district, SDK beside a raw key-range `getAll`, then a
 * region moved under another, SDK `move` beside a raw rewrite of the subtree's paths. Ratios are
 * baseline time / SDK time; the memory column is the page's peak JS heap.
 *
 * Run alone: `node --conditions=@iaso/source bench/indexeddb.ts [--smoke | --size 1k|50k|1M]` (at 1M the imports run in units
 * of work of 50k units); `npm run bench` runs it too (`--stores indexeddb`).
 * Needs /usr/bin/chromium (or CHROMIUM_PATH); without it the benchmark is skipped with a message
 * (and fails when CI is set).
 */
import { existsSync, mkdtempSync, rmSync, readFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { chromium } from "playwright"
import type { IndexedDbFigures, IndexedDbOptions } from "./indexeddb-page.ts"
import type { PyramidSize } from "./pyramid.ts"

/** Chromium's flags, shared by every browser run (scripts/chromium-args.json). */
const chromiumArgs: Array<string> = (JSON.parse(readFileSync(new URL("../scripts/chromium-args.json", import.meta.url), "utf8")) as { args: Array<string> })
  .args

declare const iasoBench: { readonly run: (options: IndexedDbOptions) => Promise<IndexedDbFigures> }

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`

/** Runs the benchmark in Chromium; rows in the shape of bench/run.ts's table. */
export const indexedDbBench = async (options: { readonly size: PyramidSize; readonly repeats: number }): Promise<ReadonlyArray<Record<string, string>>> => {
  const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
  if (!existsSync(executablePath)) {
    if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${executablePath} is missing: CI always has Chromium`)
    console.log(`(indexeddb skipped: ${executablePath} is absent; install Chromium to run the browser benchmark)`)
    return []
  }
  // At 1M each import runs in units of work of 50k units (one whole-pyramid transaction would hold
  // a million records in the page and in the browser's IndexedDB backend at once).
  const chunk = options.size === "1M" ? 50_000 : undefined
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("./indexeddb-page.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent"
  })
  const script = bundle.outputFiles[0]?.text ?? ""
  const server = createServer((request, response) => {
    if (request.url === "/bench.js") {
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" })
      response.end(script)
      return
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" })
    response.end(
      `<!doctype html><html><head><meta charset="utf-8"><title>iaso bench</title></head><body><script type="module" src="/bench.js"></script></body></html>`
    )
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  // A persistent profile in a temporary directory: IndexedDB on disk, as on a device, with the
  // disk's quota (a plain Playwright context is off the record: IndexedDB in memory, with a quota
  // that the 1M pyramid exceeds).
  const profile = mkdtempSync(join(tmpdir(), "iaso-bench-chromium-"))
  const browser = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: [...chromiumArgs, "--enable-precise-memory-info"] })
  try {
    const page = await browser.newPage()
    // Progress of a chunked (1M) run.
    page.on("console", (message) => console.log(`(indexeddb page) ${message.text()}`))
    // The 1M pyramid takes many minutes in the page; evaluate itself has no timeout.
    page.setDefaultTimeout(90 * 60_000)
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => typeof (globalThis as { iasoBench?: unknown }).iasoBench === "object")
    const figures = await page.evaluate((o) => iasoBench.run(o), { size: options.size, repeats: options.repeats, ...(chunk === undefined ? {} : { chunk }) })
    const adapter = "indexeddb (chromium)"
    const heap = `${figures.heapMb} MB (JS heap)`
    const row = (work: string, sdk: number, raw: number) => ({ work, adapter, sdk: ms(sdk), raw: ms(raw), ratio: (raw / sdk).toFixed(2), "peak RSS": heap })
    const unit = figures.transactions === 1 ? "one transaction" : `${figures.transactions} transactions of ${chunk ?? figures.units} units`
    return [
      row(`import ${figures.units} org units (${unit}), raw: idb puts of the same records`, figures.importSdk, figures.importRaw),
      row(`import ${figures.units} org units (${unit}), raw: Dexie 4 bulkPut`, figures.importSdk, figures.importDexie),
      row(
        `descendants of one district (${figures.descendants} units, ids and names), median of ${options.repeats}, raw: key-range getAll`,
        figures.descendantsSdk,
        figures.descendantsRaw
      ),
      row(
        `move a subtree of ${figures.moved} units under another parent, raw: getAll + puts on the path range, one transaction`,
        figures.moveSdk,
        figures.moveRaw
      )
    ]
  } finally {
    await browser.close()
    rmSync(profile, { recursive: true, force: true })
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const smoke = process.argv.includes("--smoke")
  const at = process.argv.indexOf("--size")
  const size = (smoke ? "1k" : at === -1 ? "50k" : process.argv[at + 1]) as PyramidSize
  if (!["1k", "50k", "1M"].includes(size)) throw new Error(`--size takes 1k, 50k or 1M, not ${size}`)
  console.table(await indexedDbBench({ size, repeats: smoke ? 5 : 21 }))
}
