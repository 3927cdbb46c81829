/**
 * Persistence in a real browser: headless Chromium on a profile directory of its own. A first
 * session writes an account, org units and an attachment through the SDK; the browser is closed;
 * a second session, launched fresh on the same profile, reads everything back exactly.
 * Needs /usr/bin/chromium: skipped with a message when it is absent, failed when CI is set.
 */
import { existsSync, mkdtempSync, rmSync, readFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { chromium } from "playwright"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Seen } from "./e2e/page.ts"

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const present = existsSync(CHROMIUM)
const ci = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (!present && ci) throw new Error(`${CHROMIUM} is missing: CI always has Chromium (apt-get install -y chromium)`)
if (!present) console.log(`(skipped: ${CHROMIUM} is absent; install Chromium to run the browser persistence test)`)

/** Chromium's flags, shared by every browser run (scripts/chromium-args.json). */
const chromiumArgs: Array<string> = (
  JSON.parse(readFileSync(new URL("../../../scripts/chromium-args.json", import.meta.url), "utf8")) as { args: Array<string> }
).args

declare const iasoE2E: { readonly write: () => Promise<Seen>; readonly read: (key: string) => Promise<Seen> }

describe.skipIf(!present)("IndexedDB store in Chromium: data survives closing the browser", () => {
  let server: Server | undefined
  let origin = ""
  const profile = mkdtempSync(join(tmpdir(), "iaso-idb-profile-"))

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("./e2e/page.ts", import.meta.url))],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "silent"
    })
    const script = bundle.outputFiles[0]?.text ?? ""
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>iaso e2e</title></head><body><script type="module" src="/app.js"></script></body></html>`
    server = createServer((request, response) => {
      if (request.url === "/app.js") {
        response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" })
        response.end(script)
      } else {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" })
        response.end(html)
      }
    })
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
    rmSync(profile, { recursive: true, force: true })
  })

  /** Runs `f` in a page of a fresh browser session on the shared profile, then closes the browser. */
  const session = async <A>(f: (page: import("playwright").Page) => Promise<A>): Promise<A> => {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: chromiumArgs })
    try {
      const page = await context.newPage()
      await page.goto(origin)
      await page.waitForFunction(() => typeof (globalThis as { iasoE2E?: unknown }).iasoE2E === "object")
      return await f(page)
    } finally {
      await context.close()
    }
  }

  it("an account, its org units and an attachment written in one session are read back exactly in the next", async () => {
    const written = await session((page) => page.evaluate(() => iasoE2E.write()))
    expect(written.units.map((unit) => unit.name)).toEqual(["Sierra Leone", "Southern", "Bo «Ségou» 🏥"])
    expect(written.bytes).toMatchObject({ length: 200_000, same: true })
    const read = await session((page) => page.evaluate((key) => iasoE2E.read(key), written.blob.key))
    expect(read).toEqual(written)
    const [root, south, bo] = written.units
    expect(bo).toEqual({
      id: bo?.id,
      name: "Bo «Ségou» 🏥",
      path: `${root?.id}/${south?.id}/${bo?.id}/`,
      depth: 3,
      code: "BO-01",
      location: { type: "Point", coordinates: [-11.7271, 7.9553, 152.25] }
    })
    expect(read.blob.sha256).toBe(written.blob.sha256)
  }, 120_000)
})
