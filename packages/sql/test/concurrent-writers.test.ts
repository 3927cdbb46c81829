/**
 * Concurrent writers cannot corrupt the hierarchy: four Node processes create, move and update
 * org units on one SQLite file and on one PostgreSQL database (1 000 operations per store, seeded
 * random choices). Afterwards every unit's path is its parent's path and its id (and its depth one
 * more than its parent's), and every operation succeeded or failed with a typed error that running
 * it again would not cure: no busy database, deadlock or serialization failure reaches the caller.
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Accounts, Actor, CurrentActor, type OrgUnitId, OrgUnitModel, OrgUnits, Store } from "@iaso/core"
import { IasoWithRepos } from "@iaso/core/kernel"
import { Effect, Layer, ManagedRuntime } from "effect"
import { fork } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import type { Outcome, Plan } from "./concurrent-writers-child.ts"

const child = fileURLToPath(new URL("./concurrent-writers-child.ts", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "iaso-writers-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const WORKERS = 4
const OPERATIONS = 1_000
/** The seeded tree: regions, districts per region, facilities per district. */
const REGIONS = 3
const DISTRICTS = 4
const FACILITIES = 5

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

/** Seeds an account with a three-level tree through the SDK; returns the plan's shared part. */
const seed = async (layer: Layer.Layer<Store, unknown>): Promise<Omit<Plan, "seed" | "operations">> => {
  const runtime = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(layer)))
  try {
    const { account, version } = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `writers ${Date.now()}` })))
    const roots: Array<OrgUnitId> = []
    const units: Array<OrgUnitId> = []
    await runtime.runPromise(
      Effect.gen(function* () {
        const service = yield* OrgUnits
        const create = (name: string, parentId?: OrgUnitId) =>
          Effect.map(service.create({ name, versionId: version.id, ...(parentId === undefined ? {} : { parentId }) }), (unit) => {
            units.push(unit.id)
            return unit.id
          })
        for (let r = 0; r < REGIONS; r++) {
          const region = yield* create(`Region ${r}`)
          roots.push(region)
          for (let d = 0; d < DISTRICTS; d++) {
            const district = yield* create(`District ${r}.${d}`, region)
            for (let f = 0; f < FACILITIES; f++) yield* create(`Facility ${r}.${d}.${f}`, district)
          }
        }
      }).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
    )
    return { accountId: account.id, versionId: version.id, roots, units }
  } finally {
    await runtime.dispose()
  }
}

/** Runs the workers on one store: all open it, then all start at once; their outcomes. */
const runWorkers = (args: ReadonlyArray<string>, plan: Omit<Plan, "seed" | "operations">): Promise<ReadonlyArray<Outcome>> =>
  new Promise((resolve, reject) => {
    const outcomes: Array<Outcome> = []
    let ready = 0
    let exited = 0
    const procs = Array.from({ length: WORKERS }, (_, worker) => {
      const proc = fork(child, [...args], { stdio: ["ignore", "ignore", "pipe", "ipc"] })
      let stderr = ""
      proc.stderr?.on("data", (data: Buffer) => (stderr += data.toString()))
      proc.on("message", (message: { readonly ready?: boolean; readonly outcomes?: ReadonlyArray<Outcome> }) => {
        if (message.ready === true && ++ready === WORKERS) {
          procs.forEach((p, i) => {
            p.send({ plan: { ...plan, seed: 1_000 + i, operations: OPERATIONS / WORKERS } satisfies Plan })
          })
        }
        if (message.outcomes !== undefined) outcomes.push(...message.outcomes)
      })
      proc.on("exit", (code, signal) => {
        if (code !== 0) reject(new Error(`worker ${worker} failed (${code ?? signal}): ${stderr}`))
        else if (++exited === WORKERS) resolve(outcomes)
      })
      return proc
    })
  })

/** The units of the account whose path or depth is not their parent's path and id (one more level). */
const stalePaths = async (layer: Layer.Layer<Store, unknown>, accountId: string) => {
  const runtime = ManagedRuntime.make(layer)
  try {
    const rows = (await runtime.runPromise(Effect.flatMap(Effect.service(Store), (store) => store.inspect(OrgUnitModel))))
      .map(({ row }) => row)
      .filter((row) => row["accountId"] === accountId)
    const byId = new Map(rows.map((row) => [String(row["id"]), row]))
    const stale = rows.flatMap((row): ReadonlyArray<Record<string, unknown>> => {
      const parentId = row["parentId"]
      const parent = typeof parentId === "string" ? byId.get(parentId) : undefined
      const path = `${parent === undefined ? "" : String(parent["path"])}${String(row["id"])}/`
      const depth = parent === undefined ? 1 : Number(parent["depth"]) + 1
      if (typeof parentId === "string" && parent === undefined) return [{ id: row["id"], missingParent: parentId }]
      return row["path"] === path && row["depth"] === depth ? [] : [{ id: row["id"], path: row["path"], expected: path }]
    })
    return { units: rows.length, stale }
  } finally {
    await runtime.dispose()
  }
}

/** Counts outcomes per operation and result, with their mean and longest wall times. */
const tally = (outcomes: ReadonlyArray<Outcome>) => {
  const counts: Record<string, number> = {}
  const times: Record<string, { total: number; max: number }> = {}
  for (const { op, result, millis } of outcomes) {
    counts[`${op} ${result}`] = (counts[`${op} ${result}`] ?? 0) + 1
    const time = times[op] ?? { total: 0, max: 0 }
    times[op] = { total: time.total + millis, max: Math.max(time.max, millis) }
  }
  return { counts, times }
}

/** What may end an operation besides success: refusals that running it again would not change. */
const TYPED_FINAL = new Set(["ValidationError", "VersionConflict"])

const check = async (outcomes: ReadonlyArray<Outcome>, layer: Layer.Layer<Store, unknown>, accountId: string, store: string) => {
  const { units, stale } = await stalePaths(layer, accountId)
  const { counts, times } = tally(outcomes)
  const timing = Object.entries(times).map(
    ([op, { total, max }]) => `${op} ${(total / outcomes.filter((o) => o.op === op).length).toFixed(1)} ms (max ${max.toFixed(0)})`
  )
  console.info(`${store}: ${outcomes.length} operations by ${WORKERS} processes, ${units} units, ${stale.length} stale paths`, counts, timing.join(", "))
  expect(outcomes).toHaveLength(OPERATIONS)
  expect(stale).toEqual([])
  expect(outcomes.filter((o) => o.result !== "ok" && !TYPED_FINAL.has(o.result))).toEqual([])
  // Every create that succeeded is in the store.
  expect(units).toBe(REGIONS * (1 + DISTRICTS * (1 + FACILITIES)) + (counts["create ok"] ?? 0))
}

describe("concurrent writers: 4 processes creating, moving and updating org units", () => {
  it("SQLite, one file: every path is its parent's path and id; no busy database reaches a caller", { timeout: 120_000 }, async () => {
    const file = join(dir, "writers.sqlite")
    const plan = await seed(SqliteStore.layer({ filename: file }))
    const outcomes = await runWorkers(["sqlite", file], plan)
    await check(outcomes, SqliteStore.layer({ filename: file }), plan.accountId, "SQLite")
  })
})

describe.skipIf(url === "")(
  `concurrent writers on PostgreSQL: 4 processes creating, moving and updating org units${url === "" ? " (skipped: set DATABASE_URL)" : ""}`,
  () => {
    const { schema, pool, drop } = freshSchema(url, { label: "writers" })
    afterAll(drop)
    it("every path is its parent's path and id; no deadlock or serialization failure reaches a caller", { timeout: 120_000 }, async () => {
      const plan = await seed(PostgresStore.layer({ pool, schema }))
      const outcomes = await runWorkers(["postgres", url, schema], plan)
      await check(outcomes, PostgresStore.layer({ pool, schema }), plan.accountId, "PostgreSQL")
    })
  }
)
