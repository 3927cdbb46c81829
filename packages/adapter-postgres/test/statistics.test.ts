import { PGlite } from "@electric-sql/pglite"
import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { Accounts, Actor, CurrentActor, type OrgUnit, OrgUnitModel, OrgUnits } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { Effect, Layer, ManagedRuntime } from "effect"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

/** A query on the store's database: rows as plain objects. */
type Query = (text: string) => Promise<ReadonlyArray<Record<string, unknown>>>

interface Target {
  readonly name: string
  readonly open: () => Promise<{
    readonly layer: ReturnType<typeof PostgresStore.layer>
    readonly query: Query
    /** The org units' table as raw statements name it (in the store's schema). */
    readonly orgUnits: string
    readonly close: () => Promise<void>
  }>
}

const targets: Array<Target> = [
  {
    name: "PGlite",
    open: async () => {
      const lite = await PGlite.create()
      return {
        layer: PGliteStore.layer({ pglite: lite, schema: "iaso_stats" }),
        query: async (text) => (await lite.query<Record<string, unknown>>(text)).rows,
        orgUnits: `iaso_stats."OrgUnit"`,
        close: () => lite.close()
      }
    }
  }
]
if (url !== "") {
  const admin = new pg.Pool({ connectionString: url, max: 1 })
  const schema = `iaso_stats_${process.pid}_${Date.now()}`
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  })
  targets.push({
    name: "PostgreSQL",
    open: async () => {
      const pool = new pg.Pool({ connectionString: url, max: 2 })
      return {
        layer: PostgresStore.layer({ pool, schema }),
        query: async (text) => (await pool.query(text)).rows,
        orgUnits: `${schema}."OrgUnit"`,
        close: () => pool.end()
      }
    }
  })
}

/** A country with `n` districts under it, as import records. */
const districts = (versionId: string, rootId: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const id = `00000000-0000-7000-8000-${String(from + i + 1).padStart(12, "0")}`
    return {
      id,
      name: `District ${from + i}`,
      versionId,
      validationStatus: "VALID" as const,
      custom: false,
      extraFields: {},
      code: "",
      parentId: rootId,
      path: `${rootId}/${id}/`,
      depth: 2
    }
  })

describe.each(targets)("planner statistics on $name", (target) => {
  it("a commit that grows a table by at least 1,000 rows and a tenth refreshes the planner's row estimate at once; smaller commits do not; listings read the new rows", async () => {
    const { layer, query, orgUnits, close } = await target.open()
    const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(layer)))
    try {
      const { account, version } = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "Statistics" })))
      // Only this test's commits may refresh the statistics (no autovacuum run in between).
      await query(`ALTER TABLE ${orgUnits} SET (autovacuum_enabled = false)`)
      const rootId = "00000000-0000-7000-8000-000000000000"
      const insert = (records: ReadonlyArray<Record<string, unknown>>) =>
        app.runPromise(
          Effect.flatMap(Effect.service(Repos), (repos) =>
            repos.driver.transaction(repos.insertMany(OrgUnitModel, account.id, records as never, { atomic: true }))
          )
        )
      const estimate = async () => Number((await query(`SELECT reltuples FROM pg_class WHERE oid = to_regclass('${orgUnits}')`))[0]?.["reltuples"])
      await insert([
        {
          id: rootId,
          name: "Country",
          versionId: version.id,
          validationStatus: "VALID",
          custom: false,
          extraFields: {},
          code: "",
          path: `${rootId}/`,
          depth: 1
        }
      ])
      expect(await estimate()).toBe(-1)
      await insert(districts(version.id, rootId, 0, 1_500))
      expect(await estimate()).toBe(1_501)
      // 999 more rows: below the threshold, the estimate stays.
      await insert(districts(version.id, rootId, 1_500, 999))
      expect(await estimate()).toBe(1_501)
      // One more commit makes 1,000 since the refresh (more than a tenth of 1,501): refreshed.
      await insert(districts(version.id, rootId, 2_499, 1))
      expect(await estimate()).toBe(2_501)
      const below = await app.runPromise(
        Effect.flatMap(Effect.service(OrgUnits), (units) => units.descendants(rootId as OrgUnit["id"], { select: ["name"], limit: 3 })).pipe(
          Effect.provideService(CurrentActor, Actor.system(account.id))
        )
      )
      expect(below.items).toEqual([0, 1, 2].map((i) => ({ id: `00000000-0000-7000-8000-${String(i + 1).padStart(12, "0")}`, name: `District ${i}` })))
    } finally {
      await app.dispose()
      await close()
    }
  })
})
