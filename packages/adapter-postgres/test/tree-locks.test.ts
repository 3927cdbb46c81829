/**
 * The hierarchy's locks on a real PostgreSQL server, with two connections in a fixed interleaving:
 * a unit created while another connection moves its parent's district gets the district's new
 * path; a move waiting for an ancestor's lock holds no lock on its own unit yet (a move rewriting
 * that unit would otherwise deadlock with it); a deadlock between two transactions of the SDK is
 * run again inside the SDK and both commit; a pyramid import into a version with units holds its
 * trees until it ends.
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import {
  Accounts,
  Actor,
  CurrentActor,
  type DataSourceId,
  importGeoJsonPyramid,
  type OrgUnit,
  type OrgUnitId,
  OrgUnitModel,
  OrgUnits,
  type PyramidImports,
  type SourceVersionId,
  Store
} from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { RERUN } from "@iaso/sql"
import { Deferred, Effect, Layer, ManagedRuntime, Ref } from "effect"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

/** An org unit id that sorts by `n` (ids fix the order in which the old code locked). */
const idOf = (n: number) => `00000000-0000-7000-8000-${n.toString(16).padStart(12, "0")}` as OrgUnitId

describe.skipIf(url === "")(`PostgreSQL: the hierarchy's locks${url === "" ? " (skipped: set DATABASE_URL)" : ""}`, () => {
  const { schema, pool, table, drop } = freshSchema(url, { label: "locks", maxConnections: 6 })
  const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema }))))
  beforeAll(async () => {
    await app.runPromise(Effect.void)
  })
  afterAll(async () => {
    await app.dispose()
    await drop()
  })

  /** A fresh account with its version; `as` runs an effect as its system actor. */
  const account = async () => {
    const { account, version } = await app.runPromise(
      Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `locks ${Date.now()} ${Math.random()}` }))
    )
    const as = <A, E>(effect: Effect.Effect<A, E, OrgUnits | PyramidImports | CurrentActor | Repos | Store>) =>
      app.runPromise(effect.pipe(Effect.provideService(CurrentActor, Actor.system(account.id))))
    const create = (name: string, parentId?: OrgUnitId, id?: OrgUnitId) =>
      as(
        Effect.flatMap(Effect.service(OrgUnits), (u) =>
          u.create({ name, versionId: version.id as SourceVersionId, ...(parentId === undefined ? {} : { parentId }), ...(id === undefined ? {} : { id }) })
        )
      )
    const units = async () => {
      const rows = await app.runPromise(Effect.flatMap(Effect.service(Store), (store) => store.inspect(OrgUnitModel)))
      return new Map(rows.filter(({ row }) => row["accountId"] === account.id).map(({ row }) => [String(row["id"]), row]))
    }
    return { accountId: account.id, version, as, create, units }
  }

  /** Resolves after `ms`, or tells that `promise` settled first. */
  const settledWithin = (promise: Promise<unknown>, ms: number) =>
    Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))])

  it("a unit created under a facility while another connection moves its district gets the district's new path", async () => {
    const { as, create, units } = await account()
    const north = await create("North")
    const south = await create("South")
    const district = await create("District", north.id)
    const facility = await create("Facility", district.id)
    const moved = await app.runPromise(Deferred.make<void>())
    const commit = await app.runPromise(Deferred.make<void>())
    // The move runs inside an outer transaction kept open: its locks and rewrite are not committed yet.
    const move = as(
      Effect.gen(function* () {
        const repos = yield* Repos
        const service = yield* OrgUnits
        return yield* repos.driver.transaction(
          Effect.gen(function* () {
            const after = yield* service.move(district.id, south.id)
            yield* Deferred.succeed(moved, undefined)
            yield* Deferred.await(commit)
            return after
          })
        )
      })
    )
    await app.runPromise(Deferred.await(moved))
    const created = create("Post", facility.id)
    // The create waits for the move's locks: it cannot build on the facility's old path.
    expect(await settledWithin(created, 300)).toBe(false)
    await app.runPromise(Deferred.succeed(commit, undefined))
    await move
    const post: OrgUnit = await created
    expect(post.path).toBe(`${south.id}/${district.id}/${facility.id}/${post.id}/`)
    expect(post.depth).toBe(4)
    const stored = (await units()).get(post.id)
    expect(stored?.["path"]).toBe(post.path)
    const underSouth = await as(Effect.flatMap(Effect.service(OrgUnits), (u) => u.descendants(south.id)))
    expect(underSouth.items.map((unit) => unit.id)).toContain(post.id)
  })

  it("a move waiting for an ancestor's lock holds no lock on its own unit: the ancestor's move rewrites it without waiting", async () => {
    const { accountId, as, create, units } = await account()
    // Ids chosen so that the facility's id sorts before its district's (an id order would lock it first).
    const root = await create("Root", undefined, idOf(0x30))
    const target = await create("Target", root.id, idOf(0x40))
    const district = await create("District", root.id, idOf(0x20))
    const facility = await create("Facility", district.id, idOf(0x10))
    const client = await pool.connect()
    try {
      // Another connection starts a move of the district as the protocol has it: the ancestors
      // shared, the district exclusively, in path order.
      await client.query("BEGIN")
      await client.query(`SELECT id FROM ${table("OrgUnit")} WHERE "accountId" = $1 AND id = $2 FOR KEY SHARE`, [accountId, root.id])
      await client.query(`SELECT id FROM ${table("OrgUnit")} WHERE "accountId" = $1 AND id = $2 FOR UPDATE`, [accountId, district.id])
      const facilityMove = as(Effect.flatMap(Effect.service(OrgUnits), (u) => u.move(facility.id, target.id)))
      expect(await settledWithin(facilityMove, 300)).toBe(false)
      // The district's move rewrites the facility's row: it must not wait for the facility's move.
      await client.query("SET LOCAL lock_timeout = '2s'")
      await client.query(`UPDATE ${table("OrgUnit")} SET path = $1 WHERE "accountId" = $2 AND id = $3`, [
        `${root.id}/${target.id}/${district.id}/${facility.id}/`,
        accountId,
        facility.id
      ])
      await client.query(`UPDATE ${table("OrgUnit")} SET path = $1, depth = 3, "parentId" = $2 WHERE "accountId" = $3 AND id = $4`, [
        `${root.id}/${target.id}/${district.id}/`,
        target.id,
        accountId,
        district.id
      ])
      await client.query("COMMIT")
      const after = await facilityMove
      expect(after.path).toBe(`${root.id}/${target.id}/${facility.id}/`)
    } finally {
      await client.query("ROLLBACK").catch(() => undefined)
      client.release()
    }
    const stored = await units()
    expect(stored.get(facility.id)?.["path"]).toBe(`${root.id}/${target.id}/${facility.id}/`)
    expect(stored.get(district.id)?.["path"]).toBe(`${root.id}/${target.id}/${district.id}/`)
  })

  it("a deadlock between two transactions of the SDK is run again inside the SDK: both commit", async () => {
    const { accountId, as, create } = await account()
    const first = await create("First")
    const second = await create("Second")
    const runs = await app.runPromise(Ref.make(0))
    const bothHold = await app.runPromise(Deferred.make<void>())
    const holding = await app.runPromise(Ref.make(0))
    // Each locks one unit, waits until the other holds its own, then locks the other's: a cycle
    // on the first attempt, which PostgreSQL breaks by failing one of them.
    const crossing = (mine: OrgUnit, theirs: OrgUnit) =>
      as(
        Effect.gen(function* () {
          const repos = yield* Repos
          return yield* repos.driver.transaction(
            Effect.gen(function* () {
              const run = yield* Ref.updateAndGet(runs, (n) => n + 1)
              const scope = { accountId }
              yield* repos.driver.lockSubtrees(OrgUnitModel, scope, { exclusive: [mine.path], shared: [] })
              if (run <= 2) {
                if ((yield* Ref.updateAndGet(holding, (n) => n + 1)) === 2) yield* Deferred.succeed(bothHold, undefined)
                yield* Deferred.await(bothHold)
              }
              yield* repos.driver.lockSubtrees(OrgUnitModel, scope, { exclusive: [theirs.path], shared: [] })
              return run
            })
          )
        })
      )
    const outcomes = await Promise.allSettled([crossing(first, second), crossing(second, first)])
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "fulfilled"])
    // Two first attempts, then the loser's second.
    expect(await app.runPromise(Ref.get(runs))).toBe(3)
    expect(RERUN.attempts).toBeGreaterThan(1)
  })

  it("a unit created under a facility while a GeoJSON import moves its district gets the district's new path", async () => {
    const { as, create, units, version } = await account()
    const north = await create("North")
    const south = await create("South")
    const district = await create("District", north.id)
    const facility = await create("Facility", district.id)
    // The import moves the district under South (units of the version are matched by ref).
    const collection = {
      type: "FeatureCollection" as const,
      groups: [],
      features: [
        {
          type: "Feature" as const,
          geometry: null,
          properties: {
            ref: `iaso:${district.id}`,
            name: "District",
            parent_ref: `iaso:${south.id}`,
            group_refs: "",
            code: "",
            opening_date: null,
            closed_date: null,
            uuid: null,
            type: null,
            depth: null
          }
        }
      ]
    }
    const imported = await app.runPromise(Deferred.make<void>())
    const commit = await app.runPromise(Deferred.make<void>())
    // The import runs inside an outer transaction kept open: its locks and rewrites are not committed yet.
    const running = as(
      Effect.gen(function* () {
        const repos = yield* Repos
        return yield* repos.driver.transaction(
          Effect.gen(function* () {
            const result = yield* importGeoJsonPyramid(collection, { dataSourceId: version.dataSourceId as DataSourceId, versionNumber: version.number })
            yield* Deferred.succeed(imported, undefined)
            yield* Deferred.await(commit)
            return result
          })
        )
      })
    )
    await app.runPromise(Deferred.await(imported))
    const created = create("Post", facility.id)
    // The create waits for the import's locks: it cannot build on the facility's old path.
    expect(await settledWithin(created, 300)).toBe(false)
    await app.runPromise(Deferred.succeed(commit, undefined))
    expect((await running).updated).toBe(1)
    const post = await created
    expect(post.path).toBe(`${south.id}/${district.id}/${facility.id}/${post.id}/`)
    expect((await units()).get(facility.id)?.["path"]).toBe(`${south.id}/${district.id}/${facility.id}/`)
  })
})
