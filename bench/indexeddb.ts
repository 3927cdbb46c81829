/**
 * IndexedDB in headless Chromium: bench/indexeddb-page.ts bundled with esbuild, served over a
 * local http server and run in Chromium through Playwright. The pyramid's import through the SDK
 * beside raw `idb` puts of the same records into the same object store shape and beside Dexie 4
 * `bulkPut`, then the descendants of one district, SDK beside a raw key-range `getAll`. Ratios are
 * baseline time / SDK time; the memory column is the page's peak JS heap.
 *
 * Run alone: `node bench/indexeddb.ts [--smoke]`; `npm run bench` runs it too (`--stores indexeddb`).
 * Needs /usr/bin/chromium (or CHROMIUM_PATH); without it the benchmark is skipped with a message
 * (and fails when CI is set).
 */
import { existsSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { chromium } from "playwright"
import type { IndexedDbFigures } from "./indexeddb-page.ts"
import type { PyramidSize } from "./pyramid.ts"

/** The same flags as the browser project of vitest.config.ts. */
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

declare const iasoBench: { readonly run: (options: { readonly size: PyramidSize; readonly repeats: number }) => Promise<IndexedDbFigures> }

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`

/** Runs the benchmark in Chromium; rows in the shape of bench/run.ts's table. */
export const indexedDbBench = async (options: { readonly size: PyramidSize; readonly repeats: number }): Promise<ReadonlyArray<Record<string, string>>> => {
  const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
  if (!existsSync(executablePath)) {
    if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${executablePath} is missing: CI always has Chromium`)
    console.log(`(indexeddb skipped: ${executablePath} is absent; install Chromium to run the browser benchmark)`)
    return []
  }
  if (options.size === "1M") {
    console.log("(indexeddb skipped at 1M: a browser holds a device's share of the pyramid; run it at 1k or 50k)")
    return []
  }
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
    response.end(`<!doctype html><html><head><meta charset="utf-8"><title>iaso bench</title></head><body><script type="module" src="/bench.js"></script></body></html>`)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const browser = await chromium.launch({ executablePath, headless: true, args: [...chromiumArgs, "--enable-precise-memory-info"] })
  try {
    const page = await browser.newPage()
    page.setDefaultTimeout(30 * 60_000)
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => typeof (globalThis as { iasoBench?: unknown }).iasoBench === "object")
    const figures = await page.evaluate((o) => iasoBench.run(o), { size: options.size, repeats: options.repeats })
    const adapter = "indexeddb (chromium)"
    const heap = `${figures.heapMb} MB (JS heap)`
    const row = (work: string, sdk: number, raw: number) => ({ work, adapter, sdk: ms(sdk), raw: ms(raw), ratio: (raw / sdk).toFixed(2), "peak RSS": heap })
    return [
      row(`import ${figures.units} org units (one transaction), raw: idb puts of the same records`, figures.importSdk, figures.importRaw),
      row(`import ${figures.units} org units (one transaction), raw: Dexie 4 bulkPut`, figures.importSdk, figures.importDexie),
      row(`descendants of one district (${figures.descendants} units, ids and names), median of ${options.repeats}, raw: key-range getAll`, figures.descendantsSdk, figures.descendantsRaw)
    ]
  } finally {
    await browser.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const smoke = process.argv.includes("--smoke")
  console.table(await indexedDbBench({ size: smoke ? "1k" : "50k", repeats: smoke ? 5 : 21 }))
}
