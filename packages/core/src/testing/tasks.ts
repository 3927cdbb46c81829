/**
 * Task scenarios, through the `Tasks` service and the in-process `TaskRunner`: a GeoJSON import
 * launched as a task reports rising progress, a kill request stops it at its next report with its
 * writes rolled back (the task KILLED, IASO's result), a failing task is ERRORED with its error
 * kept and is the only kind relaunched, a task that succeeds keeps its result; launching checks
 * the kind, the input and the permission before anything is stored.
 * @module
 */
import { Effect, type Exit, Layer } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { SourceVersionModel } from "../registry/sources.ts"
import { BlobStore } from "../shared/blob.ts"
import type { DataSourceId, TaskId } from "../shared/entity-ids.ts"
import type { Json } from "../shared/json.ts"
import type { Progress } from "../shared/progress.ts"
import { uuidv7 } from "../shared/ids.ts"
import { ALIVE_TASK_STATUSES, type Task, TaskModel } from "../tasks/task.ts"
import { INTERRUPTED_TASK_MESSAGE, TaskRunner, Tasks } from "../tasks/tasks-service.ts"
import { type Actor, Actor as Actors, type CurrentActor } from "../tenancy/actor.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type Harness } from "./harness.ts"

/** The message of a failed call's error. */
const messageOf = (exit: Exit.Exit<unknown, unknown>): string => String((exitError(exit) as { readonly message?: unknown } | undefined)?.message ?? "")
import { scenario } from "./scenario.ts"

/** Units of the killed import: one write chunk of the engine (2,000) and one more unit. */
const UNITS = 2001

/** A FeatureCollection of a country and `units - 1` districts. */
const collection = (prefix: string, units: number): Json => ({
  type: "FeatureCollection",
  features: Array.from({ length: units }, (_, i) => ({
    type: "Feature",
    geometry: i === 0 ? null : { type: "Point", coordinates: [10 + (i % 100) / 100, 5 + Math.floor(i / 100) / 100] },
    properties:
      i === 0
        ? { ref: `${prefix}-0`, name: "Country", parent_ref: null, type: "Country", depth: 1 }
        : { ref: `${prefix}-${i}`, name: `District ${i}`, parent_ref: `${prefix}-0`, type: "District", depth: 2 }
  }))
})

/** Units of the import whose live progress is read: two write chunks of the engine and one more unit. */
const LIVE_UNITS = 4001

/** A runner that runs nothing: a launched task stays QUEUED. */
const IDLE_RUNNER = TaskRunner.of({ submit: () => Effect.void, requestKill: () => Effect.void })

/** An account, a user holding the task and source permissions, and the calls of the scenarios. */
const taskSetup = async (h: () => Harness) => {
  const harness = h()
  const account = await harness.freshAccount()
  const repos = await harness.repos()
  const user = await harness.run(
    repos.insert(UserModel, account.accountId, { username: `tasks.${uuidv7()}`, firstName: "Task", lastName: "Runner", email: "", isActive: true })
  )
  const admin: Actor = Actors.user({ accountId: account.accountId, userId: user.id, permissions: ["iaso_data_tasks", "iaso_sources"] })
  const counts = async () => {
    const count = async (model: typeof OrgUnitModel | typeof SourceVersionModel | typeof AuditEntryModel) =>
      (await harness.inspectAccount(model, account.accountId)).length
    return { orgUnits: await count(OrgUnitModel), versions: await count(SourceVersionModel), audit: await count(AuditEntryModel) }
  }
  /**
   * Runs `body` with an in-process runner (its reports told to `onProgress`) as `actor`, and waits
   * until every task `body` answers has finished.
   */
  const withRunner = <A extends ReadonlyArray<TaskId>>(
    actor: Actor,
    body: Effect.Effect<A, unknown, Tasks | CurrentActor | TaskRunner>,
    onProgress?: (taskId: TaskId, progress: Progress) => void,
    resume = false
  ) =>
    harness.as(
      actor,
      Effect.gen(function* () {
        const ids = yield* body
        const tasks = yield* Effect.service(Tasks)
        // Every task has ended (or 30 s passed) before the runner's layer closes.
        for (let waited = 0; waited < 3000; waited++) {
          const states = yield* Effect.forEach(ids, (id) => tasks.get(id))
          if (states.every((task) => !ALIVE_TASK_STATUSES.includes(task.status))) return states
          yield* Effect.sleep(10)
        }
        return yield* Effect.forEach(ids, (id) => tasks.get(id))
      }).pipe(
        Effect.provide(Layer.provide(TaskRunner.inProcess({ resume, ...(onProgress === undefined ? {} : { onProgress }) }), BlobStore.memory())),
        Effect.scoped
      )
    )
  const T = Effect.service(Tasks)
  return { harness, account, admin, user, counts, withRunner, T }
}

/** Registers the task scenarios. */
export const taskScenarios = (h: () => Harness): void => {
  describe("tasks", () => {
    scenario("an import launched as a task: progress rises, a kill stops it at its next report, the store is as before and the task KILLED", async () => {
      const { harness, account, admin, user, counts, withRunner, T } = await taskSetup(h)
      const before = await counts()
      const seen: Array<Progress> = []
      let kill: Promise<Task> | undefined
      const [task] = await withRunner(
        admin,
        Effect.map(
          Effect.flatMap(T, (tasks) =>
            tasks.launch("import_geojson", { collection: collection("kill", UNITS), dataSourceId: account.dataSourceId as DataSourceId })
          ),
          (launched) => [launched.id] as const
        ),
        (taskId, progress) => {
          seen.push(progress)
          // The first written chunk: the kill request arrives while the import's transaction is open.
          if (progress.phase === "write" && kill === undefined)
            kill = harness.as(
              admin,
              Effect.flatMap(T, (tasks) => tasks.kill(taskId))
            )
        }
      )
      expect(seen.map(({ phase, done, total }) => [phase, done, total])).toEqual([
        ["read", UNITS, UNITS],
        ["validate", 2000, UNITS],
        ["validate", UNITS, UNITS],
        ["write", 2000, UNITS]
      ])
      // The kill's answer: RUNNING with the flag when read before the task stopped, KILLED after.
      expect((await kill)?.shouldBeKilled).toBe(true)
      expect(await counts()).toEqual(before)
      const stored = await harness.as(
        admin,
        Effect.flatMap(T, (tasks) => tasks.get(task?.id as TaskId))
      )
      expect([stored.status, stored.name, stored.result, stored.progressMessage, stored.createdById, stored.launcherId, stored.attempt]).toEqual([
        "KILLED",
        "import_geojson",
        { result: "KILLED", message: "Killed" },
        `import write 2000/${UNITS}`,
        user.id,
        user.id,
        1
      ])
      expect(stored.startedAt !== undefined && stored.endedAt !== undefined && stored.endedAt >= stored.startedAt).toBe(true)
      // A killed task stays killed: killing it again answers it, relaunching it is refused.
      expect(
        (
          await harness.as(
            admin,
            Effect.flatMap(T, (tasks) => tasks.kill(stored.id))
          )
        ).status
      ).toBe("KILLED")
      const relaunch = await harness.exitAs(admin, Effect.flatMap(T, (tasks) => tasks.relaunch(stored.id)).pipe(Effect.provideService(TaskRunner, IDLE_RUNNER)))
      expect([exitTag(relaunch), messageOf(relaunch)]).toEqual(["Conflict", `Task ${stored.id} is KILLED: only an ERRORED task can be relaunched`])
      const rows = await harness.inspectAccount(TaskModel, account.accountId)
      expect(rows.map((row) => row["status"])).toEqual(["KILLED"])
    })

    scenario("a failing task is ERRORED with its error kept; only an ERRORED task is relaunched, QUEUED again and run by the relauncher", async () => {
      const { harness, account, admin, withRunner, T } = await taskSetup(h)
      const broken = { type: "FeatureCollection", features: [{ type: "Feature", geometry: null, properties: { ref: "a", name: "" } }] }
      const [failed] = await withRunner(
        admin,
        Effect.map(
          Effect.flatMap(T, (tasks) => tasks.launch("import_geojson", { collection: broken, dataSourceId: account.dataSourceId as DataSourceId })),
          (task) => [task.id] as const
        )
      )
      expect(failed?.status).toBe("ERRORED")
      const result = failed?.result as { readonly result: string; readonly message: string; readonly error: { readonly _tag: string } }
      expect([result.result, result.error._tag, result.message.length > 0]).toEqual(["ERRORED", "ValidationError", true])
      // The relaunch: QUEUED with the relauncher as launcher, the last result kept until it ends, then ERRORED again.
      const other = harness.run(
        (await harness.repos()).insert(UserModel, account.accountId, { username: `tasks.${uuidv7()}`, firstName: "", lastName: "", email: "", isActive: true })
      )
      const relauncher = Actors.user({ accountId: account.accountId, userId: (await other).id, permissions: ["iaso_data_tasks", "iaso_sources"] })
      let queued: Task | undefined
      const [again] = await withRunner(
        relauncher,
        Effect.map(
          Effect.flatMap(T, (tasks) => tasks.relaunch(failed?.id as TaskId)),
          (task) => {
            queued = task
            return [task.id] as const
          }
        )
      )
      expect([queued?.status, queued?.launcherId, queued?.createdById, queued?.result]).toEqual(["QUEUED", relauncher.userId, admin.userId, failed?.result])
      expect([again?.status, again?.attempt, again?.launcherId]).toEqual(["ERRORED", 2, relauncher.userId])
      expect((again?.result as { readonly error?: { readonly _tag: string } } | undefined)?.error?._tag).toBe("ValidationError")
    })

    scenario("a running import's progress shows through Tasks.get while its transaction is open; the stored record keeps the final values", async () => {
      const { harness, account, admin, withRunner, T } = await taskSetup(h)
      /** Each RUNNING task read while the import ran whose progress was neither its start nor its end. */
      const midway: Array<Task> = []
      const [done] = await withRunner(
        admin,
        Effect.gen(function* () {
          const tasks = yield* T
          const launched = yield* tasks.launch("import_geojson", {
            collection: collection("live", LIVE_UNITS),
            dataSourceId: account.dataSourceId as DataSourceId
          })
          for (let polls = 0; polls < 4000 && midway.length === 0; polls++) {
            const task = yield* tasks.get(launched.id)
            if (!ALIVE_TASK_STATUSES.includes(task.status)) break
            if (task.status === "RUNNING" && task.progressValue > 0 && task.progressValue < task.endValue) midway.push(task)
            else yield* Effect.sleep(2)
          }
          return [launched.id] as const
        })
      )
      // Read while it ran: a chunk of the engine's validation or writing, out of every unit.
      const live = midway[0]
      expect(live === undefined ? undefined : [live.status, live.endValue, live.progressValue % 2000, live.endedAt, live.attempt]).toEqual([
        "RUNNING",
        LIVE_UNITS,
        0,
        undefined,
        1
      ])
      expect(live?.progressMessage).toMatch(new RegExp(`^import (validate|write) ${live?.progressValue ?? -1}/${LIVE_UNITS}$`))
      expect([done?.status, done?.progressValue, done?.endValue, done?.progressMessage]).toEqual([
        "SUCCESS",
        LIVE_UNITS,
        LIVE_UNITS,
        `import write ${LIVE_UNITS}/${LIVE_UNITS}`
      ])
      expect((done?.result as { readonly data?: { readonly created: number } } | undefined)?.data?.created).toBe(LIVE_UNITS)
      // Once ended, the list answers the stored record as it is.
      const listed = await harness.as(
        admin,
        Effect.flatMap(T, (tasks) => tasks.list({ name: "import_geojson" }))
      )
      expect(listed.map((task) => [task.id, task.status, task.progressValue, task.endValue])).toEqual([[done?.id, "SUCCESS", LIVE_UNITS, LIVE_UNITS]])
    })

    scenario("a resuming runner runs the QUEUED tasks an earlier runner left and marks ERRORED a RUNNING one, which a relaunch runs", async () => {
      const { harness, account, admin, withRunner, T } = await taskSetup(h)
      const launch = (prefix: string, versionNumber: number) =>
        harness.as(
          admin,
          Effect.flatMap(T, (tasks) =>
            tasks.launch("import_geojson", { collection: collection(prefix, 3), dataSourceId: account.dataSourceId as DataSourceId, versionNumber })
          ).pipe(Effect.provideService(TaskRunner, IDLE_RUNNER))
        )
      const queued = await launch("left", 7)
      const interrupted = await launch("dead", 8)
      // Its process died while it ran.
      const repos = await harness.repos()
      await harness.run(
        repos.update(
          TaskModel,
          account.accountId,
          interrupted.id,
          { status: "RUNNING", startedAt: new Date(), attempt: 1 },
          { expectedVersion: interrupted.version }
        )
      )
      const [ran, errored] = await withRunner(admin, Effect.succeed([queued.id, interrupted.id] as const), undefined, true)
      expect([ran?.status, ran?.attempt, (ran?.result as { readonly data?: { readonly versionNumber: number } } | undefined)?.data?.versionNumber]).toEqual([
        "SUCCESS",
        1,
        7
      ])
      expect([errored?.status, errored?.attempt, errored?.result]).toEqual(["ERRORED", 1, { result: "ERRORED", message: INTERRUPTED_TASK_MESSAGE }])
      const [again] = await withRunner(
        admin,
        Effect.map(
          Effect.flatMap(T, (tasks) => tasks.relaunch(interrupted.id)),
          (task) => [task.id] as const
        )
      )
      expect([
        again?.status,
        again?.attempt,
        (again?.result as { readonly data?: { readonly versionNumber: number } } | undefined)?.data?.versionNumber
      ]).toEqual(["SUCCESS", 2, 8])
    })

    scenario("a task that succeeds keeps its result and its last progress; a finished task is neither killed nor relaunched", async () => {
      const { harness, account, admin, withRunner, T } = await taskSetup(h)
      const [done] = await withRunner(
        admin,
        Effect.map(
          Effect.flatMap(T, (tasks) => tasks.launch("import_geojson", { collection: collection("ok", 3), dataSourceId: account.dataSourceId as DataSourceId })),
          (task) => [task.id] as const
        )
      )
      const versions = await harness.inspectAccount(SourceVersionModel, account.accountId)
      const imported = versions.find((row) => row["number"] === 2)
      expect([done?.status, done?.progressValue, done?.endValue, done?.progressMessage, done?.shouldBeKilled]).toEqual([
        "SUCCESS",
        3,
        3,
        "import write 3/3",
        false
      ])
      expect(done?.result).toEqual({
        result: "SUCCESS",
        data: { versionId: imported?.["id"], versionNumber: 2, created: 3, updated: 0, groupsCreated: 0, groupsUpdated: 0, typesCreated: 2 }
      })
      const kill = await harness.exitAs(
        admin,
        Effect.flatMap(T, (tasks) => tasks.kill(done?.id as TaskId))
      )
      expect(messageOf(kill)).toBe(`Task ${done?.id ?? ""} is SUCCESS: only a QUEUED or RUNNING task can be killed`)
      const relaunch = await harness.exitAs(
        admin,
        Effect.flatMap(T, (tasks) => tasks.relaunch(done?.id as TaskId)).pipe(Effect.provideService(TaskRunner, IDLE_RUNNER))
      )
      expect(messageOf(relaunch)).toBe(`Task ${done?.id ?? ""} is SUCCESS: only an ERRORED task can be relaunched`)
    })

    scenario("launching checks the kind, the input and the permission before anything is stored; a queued task killed is KILLED at once", async () => {
      const { harness, account, admin, T } = await taskSetup(h)
      const launch = (actor: Actor, kind: string, input: Json) =>
        harness.exitAs(actor, Effect.flatMap(T, (tasks) => tasks.launch(kind, input)).pipe(Effect.provideService(TaskRunner, IDLE_RUNNER)))
      expect(messageOf(await launch(admin, "nope", {}))).toBe("No task kind named nope")
      const bad = await launch(admin, "import_geojson", { collection: {}, dataSourceId: 12 })
      expect([exitTag(bad), messageOf(bad).includes('["params","input","dataSourceId"]')]).toEqual(["ValidationError", true])
      const reader = Actors.user({ accountId: account.accountId, permissions: ["iaso_planning_write", "iaso_sources"] })
      const forbidden = await launch(reader, "import_geojson", { collection: {}, dataSourceId: account.dataSourceId })
      expect(exitTag(forbidden)).toBe("Forbidden")
      expect(await harness.inspectAccount(TaskModel, account.accountId)).toEqual([])
      const queued = await launch(admin, "copy_version", { sourceVersionId: account.versionId })
      const task = queued._tag === "Success" ? queued.value : undefined
      expect([task?.status, task?.params]).toEqual([
        "QUEUED",
        {
          input: { sourceVersionId: account.versionId },
          actor: { kind: "user", userId: admin.userId, permissions: ["iaso_data_tasks", "iaso_sources"], orgUnitRoots: [], editableOrgUnitTypeIds: [] }
        }
      ])
      // A reader lists and reads tasks; killing needs iaso_data_tasks (or being the creator).
      expect(
        (
          await harness.as(
            reader,
            Effect.flatMap(T, (tasks) => tasks.list({ statuses: ["QUEUED"] }))
          )
        ).map((t) => t.id)
      ).toEqual([task?.id])
      expect(
        exitTag(
          await harness.exitAs(
            reader,
            Effect.flatMap(T, (tasks) => tasks.kill(task?.id as TaskId))
          )
        )
      ).toBe("Forbidden")
      const killed = await harness.as(
        admin,
        Effect.flatMap(T, (tasks) => tasks.kill(task?.id as TaskId))
      )
      expect([killed.status, killed.shouldBeKilled, killed.result, killed.startedAt]).toEqual([
        "KILLED",
        true,
        { result: "KILLED", message: "Killed" },
        undefined
      ])
    })
  })
}
