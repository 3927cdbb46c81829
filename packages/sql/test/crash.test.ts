import { SqliteStore } from "@iaso/adapter-sqlite"
import { CORE_MIGRATIONS, OrgUnitModel } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { fork } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { PostgresStore } from "@iaso/adapter-postgres"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { SQL_INTERNAL_MIGRATIONS } from "../src/index.ts"

const child = fileURLToPath(new URL("./crash-child.ts", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "iaso-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs the child until it reported `killAt` rows (then SIGKILL), or to the end; returns its account. */
const crash = (args: ReadonlyArray<string>, killAt: number): Promise<{ accountId: string; lastReported: number; committed: boolean }> =>
  new Promise((resolve, reject) => {
    const proc = fork(child, [...args], { stdio: ["ignore", "ignore", "pipe", "ipc"] })
    let accountId = ""
    let lastReported = 0
    let committed = false
    let stderr = ""
    proc.stderr?.on("data", (data: Buffer) => (stderr += data.toString()))
    proc.on("message", (message: { accountId?: string; inserted?: number; committed?: number }) => {
      if (message.accountId !== undefined) accountId = message.accountId
      if (message.inserted !== undefined) {
        lastReported = message.inserted
        if (lastReported >= killAt) proc.kill("SIGKILL")
      }
      if (message.committed !== undefined) committed = true
    })
    proc.on("exit", (code, signal) => {
      if (accountId === "") reject(new Error(`the child failed before its batch (${code ?? signal}): ${stderr}`))
      else resolve({ accountId, lastReported, committed: committed && signal === null })
    })
  })

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

describe("SQLite store: a process killed in the middle of a large import leaves none of it", () => {
  for (const killAt of [500, 5_000, 12_500, 20_000]) {
    it(`SIGKILL after ${killAt} of 20 000 rows: reopening shows 0 or all of them, integrity_check is ok, the ledger is intact`, async () => {
      const file = join(dir, `crash-${killAt}.sqlite`)
      const { accountId, lastReported, committed } = await crash(["sqlite", file], killAt)
      expect(lastReported).toBeGreaterThanOrEqual(Math.min(killAt, 20_000))
      const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(SqliteStore.layer({ filename: file }))))
      const count = await runtime.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.count(OrgUnitModel, accountId, [])))
      await runtime.dispose()
      // The kill may land before or after the commit (the child's "committed" message can be lost
      // with it): the batch is all there or none of it, and all of it once the commit was reported.
      expect([0, 20_000]).toContain(count)
      if (committed) expect(count).toBe(20_000)
      const db = new Database(file, { readonly: true })
      try {
        expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
        const ledger = (db.prepare("SELECT id FROM _iaso_migrations ORDER BY id").all() as Array<{ id: string }>).map((row) => row.id)
        expect(ledger).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
      } finally {
        db.close()
      }
    })
  }
})

describe.skipIf(url === "")(
  `PostgreSQL store: a process killed in the middle of a large import leaves none of it${url === "" ? " (skipped: set DATABASE_URL)" : ""}`,
  () => {
    const { schema, pool, table, drop } = freshSchema(url, { label: "crash" })
    afterAll(drop)
    for (const killAt of [500, 10_000, 20_000]) {
      it(`SIGKILL after ${killAt} of 20 000 rows: reopening shows 0 or all of them and the ledger is intact`, async () => {
        const { accountId, lastReported, committed } = await crash(["postgres", url, schema], killAt)
        expect(lastReported).toBeGreaterThanOrEqual(Math.min(killAt, 20_000))
        const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema }))))
        const count = await runtime.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.count(OrgUnitModel, accountId, [])))
        await runtime.dispose()
        // The kill may land before or after the commit (the child's "committed" message can be lost
        // with it): the batch is all there or none of it, and all of it once the commit was reported.
        expect([0, 20_000]).toContain(count)
        if (committed) expect(count).toBe(20_000)
        const ledger = await pool.query(`SELECT id FROM ${table("_iaso_migrations")} ORDER BY id`)
        expect(ledger.rows.map((row: { id: string }) => row.id)).toEqual([...CORE_MIGRATIONS.map((m) => m.id), ...SQL_INTERNAL_MIGRATIONS])
      })
    }
  }
)
