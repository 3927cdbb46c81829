/**
 * Tasks left behind in a SQLite file are taken up by the next client that opens it (the in-process
 * runner resumes by default on a store one process uses at a time): a task left QUEUED (launched
 * through a runner that ran nothing) runs to SUCCESS; a task left RUNNING (its process died) is
 * ERRORED with the runner's message, and a relaunch runs it to SUCCESS.
 */
import { SqliteStore } from "@iaso/adapter-sqlite"
import {
  Accounts,
  Actor,
  createIaso,
  CurrentActor,
  type DataSourceId,
  INTERRUPTED_TASK_MESSAGE,
  type IasoAs,
  type Json,
  type Task,
  type TaskId,
  TaskModel,
  TaskRunner,
  Tasks
} from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { Effect, Layer, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "iaso-sqlite-resume-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A FeatureCollection of a country and `units - 1` districts. */
const collection = (prefix: string, units: number): Json => ({
  type: "FeatureCollection",
  features: Array.from({ length: units }, (_, i) => ({
    type: "Feature",
    geometry: null,
    properties:
      i === 0
        ? { ref: `${prefix}-0`, name: "Country", parent_ref: null, type: "Country", depth: 1 }
        : { ref: `${prefix}-${i}`, name: `District ${i}`, parent_ref: `${prefix}-0`, type: "District", depth: 2 }
  }))
})

/** A runner that runs nothing: a launched task stays QUEUED. */
const IDLE_RUNNER = Layer.succeed(TaskRunner, TaskRunner.of({ submit: () => Effect.void, requestKill: () => Effect.void }))

/** The task once it has ended (or after 10 s). */
const ended = async (api: IasoAs, id: TaskId): Promise<Task> => {
  for (let waited = 0; waited < 1000; waited++) {
    const task = await api.tasks.get(id)
    if (task.status !== "QUEUED" && task.status !== "RUNNING") return task
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return api.tasks.get(id)
}

describe("in-process task runner: resuming the tasks an earlier process left in a SQLite file", () => {
  it("runs a QUEUED leftover to SUCCESS and marks a RUNNING leftover ERRORED, which a relaunch then runs", { timeout: 30_000 }, async () => {
    const file = join(dir, "resume.sqlite")
    // The earlier process: its runner ran nothing; one task then "started" before the process died.
    const earlier = ManagedRuntime.make(Layer.mergeAll(IasoWithRepos.layer, IDLE_RUNNER).pipe(Layer.provideMerge(SqliteStore.layer({ filename: file }))))
    const { account, dataSource } = await earlier.runPromise(Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.setup({ name: "Resume" })))
    const admin = Actor.system(account.id)
    const launch = (prefix: string, versionNumber: number) =>
      earlier.runPromise(
        Effect.flatMap(Effect.service(Tasks), (tasks) =>
          tasks.launch("import_geojson", { collection: collection(prefix, 3), dataSourceId: dataSource.id as DataSourceId, versionNumber })
        ).pipe(Effect.provideService(CurrentActor, admin))
      )
    const queued = await launch("queued", 2)
    const interrupted = await launch("interrupted", 3)
    await earlier.runPromise(
      Effect.flatMap(Effect.service(Repos), (repos) =>
        repos.update(TaskModel, account.id, interrupted.id, { status: "RUNNING", startedAt: new Date(), attempt: 1 }, { expectedVersion: interrupted.version })
      )
    )
    expect([
      queued.status,
      (await earlier.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.get(TaskModel, account.id, interrupted.id)))).status
    ]).toEqual(["QUEUED", "RUNNING"])
    await earlier.dispose()

    // The next process: its default runner takes both up as it starts.
    const iaso = createIaso({ store: SqliteStore.layer({ filename: file }) })
    try {
      const api = iaso.as(admin)
      const ran = await ended(api, queued.id)
      expect([
        ran.status,
        ran.attempt,
        ran.progressValue,
        ran.endValue,
        (ran.result as { readonly data?: { readonly created: number } } | undefined)?.data?.created
      ]).toEqual(["SUCCESS", 1, 3, 3, 3])
      const errored = await api.tasks.get(interrupted.id)
      expect([errored.status, errored.result, errored.endedAt !== undefined]).toEqual([
        "ERRORED",
        { result: "ERRORED", message: INTERRUPTED_TASK_MESSAGE },
        true
      ])
      const relaunched = await api.tasks.relaunch(interrupted.id)
      expect(relaunched.status).toBe("QUEUED")
      const again = await ended(api, interrupted.id)
      expect([again.status, again.attempt, (again.result as { readonly data?: { readonly versionNumber: number } } | undefined)?.data?.versionNumber]).toEqual([
        "SUCCESS",
        2,
        3
      ])
    } finally {
      await iaso.dispose()
    }
  })
})
