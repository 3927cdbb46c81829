/**
 * The PWA end to end, in Chromium (Debian's, as the browser suite uses): the example server on a
 * fresh PostgreSQL schema, the built app (`npm run pwa:build`) served by a tiny static server.
 * Sign in and sync, browse the region's units, go offline, record two submissions and propose a
 * unit, reload offline (the service worker opens the app, the outbox still holds them), go back
 * online and sync; then read the server's PostgreSQL through the SDK: both submissions and the
 * proposal arrived, once.
 * Needs DATABASE_URL and Chromium: skipped with a message when either is absent, failed under CI.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { extname, join, normalize } from "node:path"
import { fileURLToPath } from "node:url"
import { PostgresStore } from "@iaso/adapter-postgres"
import { type AccountId, Actor, createIaso, InstanceModel, OrgUnitChangeRequestModel } from "@iaso/core"
import pg from "pg"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const DATABASE_URL = process.env["DATABASE_URL"] ?? ""
const ci = process.env["CI"] !== undefined && process.env["CI"] !== ""
const DIST = fileURLToPath(new URL("../dist/", import.meta.url))
const SERVER_MAIN = fileURLToPath(new URL("../../server/main.ts", import.meta.url))

const missing = [
  ...(DATABASE_URL === "" ? ["DATABASE_URL (a PostgreSQL the example server can use)"] : []),
  ...(existsSync(CHROMIUM) ? [] : [`${CHROMIUM} (apt-get install -y chromium)`])
]
if (missing.length > 0 && ci) throw new Error(`the PWA end-to-end test needs ${missing.join(" and ")}: CI always has them`)
if (missing.length > 0) console.log(`(skipped: the PWA end-to-end test needs ${missing.join(" and ")})`)

/** Chromium's flags, shared by every browser run (scripts/chromium-args.json). */
const chromiumArgs: Array<string> = (
  JSON.parse(readFileSync(new URL("../../../scripts/chromium-args.json", import.meta.url), "utf8")) as { args: Array<string> }
).args

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".webmanifest": "application/manifest+json",
  ".png": "image/png"
}

/** Serves the built app (no caching headers: the service worker does the caching). */
const serveDist = (): Server =>
  createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "")
    const file = join(DIST, path.endsWith("/") ? `${path}index.html` : path)
    if (!file.startsWith(DIST) || !existsSync(file)) {
      response.writeHead(404).end("not found")
      return
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" })
    response.end(readFileSync(file))
  })

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)))

const freePort = async (): Promise<number> => {
  const probe = createServer()
  const port = await listen(probe)
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** Starts `examples/server/main.ts` (what `npm run server` runs) and waits for it to listen. */
const startExampleServer = (env: Readonly<Record<string, string>>): Promise<{ child: ChildProcess; log: () => string }> =>
  new Promise((resolve, reject) => {
    let output = ""
    const child = spawn(process.execPath, ["--conditions=@iaso/source", SERVER_MAIN], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    const timer = setTimeout(() => reject(new Error(`the example server did not start in 120 s:\n${output}`)), 120_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("IASO example server on")) {
        clearTimeout(timer)
        resolve({ child, log: () => output })
      }
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the example server exited (${code}):\n${output}`))
    })
  })

describe.skipIf(missing.length > 0)("the PWA offline, against the example server on PostgreSQL", () => {
  const schema = `pwa_e2e_${Date.now()}_${randomBytes(3).toString("hex")}`
  const blobDir = mkdtempSync(join(tmpdir(), "iaso-pwa-e2e-blobs-"))
  let server: { child: ChildProcess; log: () => string } | undefined
  let apiUrl = ""
  let dist: Server | undefined
  let appUrl = ""
  let browser: Browser | undefined

  beforeAll(async () => {
    if (!existsSync(join(DIST, "index.html")) || !existsSync(join(DIST, "sw.js")))
      throw new Error("examples/pwa/dist is missing: run `npm run pwa:build` first (npm run test:e2e does)")
    const port = await freePort()
    server = await startExampleServer({
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL,
      IASO_SCHEMA: schema,
      IASO_BLOB_DIR: blobDir,
      IASO_TOKEN_KEY: randomBytes(32).toString("hex")
    })
    apiUrl = `http://127.0.0.1:${port}`
    dist = serveDist()
    appUrl = `http://127.0.0.1:${await listen(dist)}/`
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs })
  })

  afterAll(async () => {
    await browser?.close()
    if (server !== undefined && server.child.exitCode === null) {
      const exited = new Promise((resolve) => server?.child.once("exit", resolve))
      server.child.kill("SIGTERM")
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))])
      if (server.child.exitCode === null) server.child.kill("SIGKILL")
    }
    await new Promise((resolve) => (dist === undefined ? resolve(undefined) : dist.close(resolve)))
    if (DATABASE_URL !== "") {
      const client = new pg.Client({ connectionString: DATABASE_URL })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    }
    rmSync(blobDir, { recursive: true, force: true })
  })

  const syncAndWait = async (page: Page) => {
    const before = Number((await page.locator("#sync").getAttribute("data-done")) ?? "0")
    await page.click("#sync")
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector("#sync")?.getAttribute("data-done") ?? "0") > n ||
        /failed/.test(document.querySelector("#sync-status")?.textContent ?? ""),
      before
    )
    const status = (await page.textContent("#sync-status")) ?? ""
    expect(status).toMatch(/^Synced/)
    return status
  }

  const fillHousehold = async (page: Page, name: string, members: string, ages: ReadonlyArray<string>) => {
    await page.fill('[data-path="head_name"]', name)
    await page.fill('[data-path="members"]', members)
    await page.selectOption('[data-path="water_source"]', "well")
    await page.fill('[data-path="gps#latitude"]', "8.88")
    await page.fill('[data-path="gps#longitude"]', "-12.04")
    for (const _ of ages) await page.click('[data-add="member"]')
    // One more instance, removed again: the XML holds only the kept ones.
    await page.click('[data-add="member"]')
    await page.locator('[data-remove="member"]').last().click()
    for (const [index, age] of ages.entries()) {
      await page.fill(`[data-path="member[${index}]/member_name"]`, `${name} ${index + 1}`)
      await page.fill(`[data-path="member[${index}]/member_age"]`, age)
    }
    await page.click("#save")
    await expect.poll(() => page.textContent("#save-status")).toMatch(/^Saved submission/)
  }

  it("signs in, syncs, collects offline, reopens offline from the service worker and delivers everything once", async () => {
    if (browser === undefined) throw new Error("no browser")
    const context: BrowserContext = await browser.newContext()
    const page = await context.newPage()
    page.on("pageerror", (error) => console.log("page error:", error.message))
    await page.goto(appUrl)

    // Sign in: the first sync runs on its own.
    await page.fill("#server-url", apiUrl)
    await page.fill("#username", "demo")
    await page.fill("#password", "demo-password")
    await page.click("#signin-button")
    await expect.poll(() => page.textContent("#sync-status"), { timeout: 60_000 }).toMatch(/^Synced/)

    // The pyramid under the user's root (North): its districts and their facilities, read from IndexedDB.
    const roots = page.locator("#tree > li > button.unit")
    await expect.poll(() => roots.allTextContents()).toEqual(["North"])
    await page.locator("#tree > li > button.toggle").click()
    const districts = page.locator("#tree > li > ul > li > button.unit")
    await expect.poll(() => districts.allTextContents()).toEqual(["Bombali", "Koinadugu"])
    await page.locator("#tree > li > ul > li", { hasText: "Bombali" }).locator("button.toggle").first().click()
    await expect.poll(() => page.locator("#tree li li li > button.unit").allTextContents()).toEqual(["Kamabai Clinic", "Makeni Hospital"])
    await districts.filter({ hasText: "Bombali" }).click()
    await expect.poll(() => page.textContent("#selected-unit")).toBe("Bombali")
    expect(await page.locator("#form-select option").allTextContents()).toEqual(["Household visit (v2026120701)"])

    // The service worker controls the page before going offline, and Chromium finds the app installable.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
    const cdp = await context.newCDPSession(page)
    const installability = await cdp.send("Page.getInstallabilityErrors")
    // A Playwright context is an incognito profile, where nothing installs: every other criterion holds.
    expect(installability.installabilityErrors.map((error) => error.errorId).filter((id) => id !== "in-incognito")).toEqual([])
    await cdp.detach()

    await context.setOffline(true)
    await expect.poll(() => page.textContent("#network")).toBe("offline")
    await fillHousehold(page, "Aminata", "3", ["34", "7"])
    await fillHousehold(page, "Ibrahim", "1", ["61"])
    await page.fill("#propose-name", "Binkolo Health Post")
    await page.fill("#propose-latitude", "8.95")
    await page.fill("#propose-longitude", "-11.98")
    await page.click("#propose-save")
    await expect.poll(() => page.textContent("#propose-status")).toMatch(/^Saved the proposal/)
    await expect.poll(() => page.textContent("#outbox-count")).toBe("3")
    const submissionIds = await page
      .locator('#outbox li[data-kind="submission"]')
      .evaluateAll((items) => items.map((item) => item.getAttribute("data-entry-id") ?? ""))
    expect(submissionIds).toHaveLength(2)

    // Reload offline: the service worker serves the app shell, the outbox is still in IndexedDB.
    await page.reload()
    await expect.poll(() => page.textContent("#network")).toBe("offline")
    await expect.poll(() => page.isVisible("#app")).toBe(true)
    await expect.poll(() => page.textContent("#outbox-count")).toBe("3")
    expect(await page.locator("#outbox li").evaluateAll((items) => items.map((item) => item.getAttribute("data-status")))).toEqual([
      "PENDING",
      "PENDING",
      "PENDING"
    ])
    await expect.poll(() => roots.allTextContents()).toEqual(["North"])

    // Back online: push then pull; every entry applied.
    await context.setOffline(false)
    await syncAndWait(page)
    expect(await page.locator("#acks li").evaluateAll((items) => items.map((item) => item.getAttribute("data-status")))).toEqual([
      "applied",
      "applied",
      "applied"
    ])
    await expect.poll(() => page.textContent("#outbox-count")).toBe("0")
    // A second sync sends nothing.
    await syncAndWait(page)
    expect(await page.locator("#acks li").count()).toBe(0)
    await context.close()

    // On the server, through the SDK over the same PostgreSQL schema.
    const me = await fetch(`${apiUrl}/api/login`, {
      method: "POST",
      body: JSON.stringify({ username: "demo", password: "demo-password" }),
      headers: { "content-type": "application/json" }
    })
      .then((response) => response.json() as Promise<{ token: string }>)
      .then(({ token }) => fetch(`${apiUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } }))
      .then((response) => response.json() as Promise<{ accountId: string }>)
    const iaso = createIaso({ store: PostgresStore.layer({ connectionString: DATABASE_URL, schema }) })
    try {
      const admin = iaso.as(Actor.system(me.accountId as AccountId))
      const instances = await admin.records.list(InstanceModel, { limit: 100 })
      expect(instances.items.map((row) => String(row.uuid)).sort()).toEqual([...submissionIds].sort())
      // The XML built from the descriptor, as the server read it: answers, the repeat's kept instances, the unit.
      const byHead = new Map(instances.items.map((row) => [String(row.json?.["head_name"]), row]))
      const aminata = byHead.get("Aminata")
      expect(aminata?.json).toMatchObject({ members: "3", water_source: "well", gps: "8.88 -12.04 0 0" })
      expect(aminata?.json?.["member"]).toEqual([
        { member_name: "Aminata 1", member_age: "34" },
        { member_name: "Aminata 2", member_age: "7" }
      ])
      expect(byHead.get("Ibrahim")?.json?.["member"]).toEqual([{ member_name: "Ibrahim 1", member_age: "61" }])
      const units = await admin.orgUnits.search({ name: "Bombali", limit: 1 })
      expect(instances.items.map((row) => row.orgUnitId)).toEqual([units.items[0]?.id, units.items[0]?.id])
      const requests = await admin.records.list(OrgUnitChangeRequestModel, { limit: 100 })
      expect(requests.items.map((row) => row.newName)).toEqual(["Binkolo Health Post"])
    } finally {
      await iaso.dispose()
    }
  })
})
