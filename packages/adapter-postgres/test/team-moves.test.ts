/**
 * Team trees on a real PostgreSQL server, with two connections in a fixed interleaving: a team
 * created under a sub-team while another connection moves that sub-team's parent gets the new
 * path; two teams moved under each other at once never make a loop (the later one runs again on
 * the committed paths and is refused with `noLoopInSubTree`).
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { Accounts, Actor, CurrentActor, type ProjectId, type Team, type TeamId, TeamModel, Teams, type UserId, UserModel, ValidationError } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { Deferred, Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const url = process.env["DATABASE_URL"] ?? ""

describe.skipIf(url === "")(`PostgreSQL: concurrent team moves${url === "" ? " (skipped: set DATABASE_URL)" : ""}`, () => {
  const { schema, pool, drop } = freshSchema(url, { label: "teams", maxConnections: 4 })
  const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(PostgresStore.layer({ pool, schema }))))
  beforeAll(async () => {
    await app.runPromise(Effect.void)
  })
  afterAll(async () => {
    await app.dispose()
    await drop()
  })

  /** A fresh account with a manager; `team` creates a team, `update` changes one held open until `release`. */
  const account = async () => {
    const { account, project } = await app.runPromise(
      Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `teams ${Date.now()} ${Math.random()}` }))
    )
    const as = <A, E>(effect: Effect.Effect<A, E, Teams | Repos | CurrentActor>) =>
      app.runPromise(effect.pipe(Effect.provideService(CurrentActor, Actor.system(account.id))))
    const manager = await as(
      Effect.flatMap(Effect.service(Repos), (repos) =>
        repos.insert(UserModel, account.id, { username: `manager.${account.id}`, firstName: "M", lastName: "", email: "", isActive: true })
      )
    )
    const team = (name: string, parentId?: TeamId) =>
      as(
        Effect.flatMap(Effect.service(Teams), (t) =>
          t.create({ name, projectId: project.id as ProjectId, managerId: manager.id as UserId, ...(parentId === undefined ? {} : { parentId }) })
        )
      )
    /** Moves `id` under `parentId` inside a transaction kept open until `release` resolves. */
    const heldMove = async (id: TeamId, parentId: TeamId) => {
      const moved = await app.runPromise(Deferred.make<void>())
      const release = await app.runPromise(Deferred.make<void>())
      const done = as(
        Effect.gen(function* () {
          const repos = yield* Repos
          const teams = yield* Teams
          return yield* repos.driver.transaction(
            Effect.gen(function* () {
              const after = yield* teams.update(id, { parentId })
              yield* Deferred.succeed(moved, undefined)
              yield* Deferred.await(release)
              return after
            })
          )
        })
      )
      await app.runPromise(Deferred.await(moved))
      return { done, release: () => app.runPromise(Deferred.succeed(release, undefined)) }
    }
    const paths = async () => {
      const rows = await as(Effect.flatMap(Effect.service(Repos), (repos) => repos.driver.inspect(TeamModel)))
      return new Map(rows.filter(({ row }) => row["accountId"] === account.id).map(({ row }) => [String(row["id"]), String(row["path"])]))
    }
    return { as, team, heldMove, paths }
  }

  it("a team created under a sub-team while its parent moves gets the moved path", async () => {
    const { team, heldMove, paths } = await account()
    const north = await team("North")
    const south = await team("South")
    const district = await team("District", north.id)
    const squad = await team("Squad", district.id)
    const move = await heldMove(district.id, south.id)
    const created = team("Late", squad.id)
    await new Promise((resolve) => setTimeout(resolve, 200))
    await move.release()
    await move.done
    const late: Team = await created
    expect(late.path).toBe(`${south.id}/${district.id}/${squad.id}/${late.id}/`)
    expect((await paths()).get(late.id)).toBe(late.path)
  })

  it("two teams moved under each other at once: one move commits, the other is refused with noLoopInSubTree", async () => {
    const { as, team, heldMove, paths } = await account()
    const a = await team("A")
    const b = await team("B")
    const first = await heldMove(a.id, b.id)
    const second = as(Effect.flatMap(Effect.service(Teams), (t) => t.update(b.id, { parentId: a.id }))).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 200))
    await first.release()
    await first.done
    const refused = await second
    expect(refused).toBeInstanceOf(ValidationError)
    expect((refused as ValidationError).issues).toEqual([{ path: ["parentId"], message: "noLoopInSubTree" }])
    const stored = await paths()
    expect([stored.get(a.id), stored.get(b.id)]).toEqual([`${b.id}/${a.id}/`, `${b.id}/`])
  })
})
