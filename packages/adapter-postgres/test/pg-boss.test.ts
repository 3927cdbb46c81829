/**
 * Tasks on a pg-boss queue shared by two worker processes on the machine's PostgreSQL (a schema of
 * its own for the store, another for pg-boss): two GeoJSON imports are launched as tasks; the
 * worker that reports writing first is killed (SIGKILL) in the middle of its import. Its
 * transaction rolls back with its connection; once its heartbeats stop (10 s), the other worker takes the
 * task over as a second attempt. Both tasks end SUCCESS, each import stored exactly once. A third
 * import, killed from the launching process while a worker runs it, ends KILLED with nothing stored.
 * While a worker's import holds its transaction, this process reads its live progress through
 * `Tasks.get` (the workers publish it on the PostgreSQL progress board).
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { PgBossTaskRunner, PostgresTaskProgress } from "@iaso/adapter-postgres/pg-boss"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { Accounts, Actor, CurrentActor, type DataSourceId, type Json, type Task, type TaskRunner, Tasks } from "@iaso/core"
import { IasoWithRepos } from "@iaso/core/kernel"
import { Effect, Layer, ManagedRuntime } from "effect"
import { type ChildProcess, fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { PgBoss } from "pg-boss"
import { afterAll, describe, expect, it } from "vitest"

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI: the pg-boss workers run on real PostgreSQL there")

const worker = fileURLToPath(new URL("./pg-boss-worker.ts", import.meta.url))
/** Units per import: two write chunks of the engine, so a worker is killed with rows written in its open transaction. */
const UNITS = 4000

/** A FeatureCollection of a country and `UNITS - 1` districts. */
const collection = (prefix: string): Json => ({
  type: "FeatureCollection",
  features: Array.from({ length: UNITS }, (_, i) => ({
    type: "Feature",
    geometry: i === 0 ? null : { type: "Point", coordinates: [10 + (i % 100) / 100, 5 + Math.floor(i / 100) / 100] },
    properties:
      i === 0
        ? { ref: `${prefix}-0`, name: "Country", parent_ref: null, type: "Country", depth: 1 }
        : { ref: `${prefix}-${i}`, name: `District ${i}`, parent_ref: `${prefix}-0`, type: "District", depth: 2 }
  }))
})

interface WorkerMessage {
  readonly ready?: boolean
  readonly progress?: { readonly taskId: string; readonly phase: string; readonly done: number }
  readonly outcome?: { readonly taskId: string; readonly outcome: string }
}

describe.skipIf(url === "")(`tasks on pg-boss: two worker processes, one killed mid-task${url === "" ? " (skipped: set DATABASE_URL)" : ""}`, () => {
  const db = freshSchema(url, { label: "pgboss", maxConnections: 4 })
  const bossSchema = `${db.schema}_boss`
  const children: Array<ChildProcess> = []
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    await db.drop()
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`DROP SCHEMA IF EXISTS "${bossSchema}" CASCADE`).finally(() => admin.end())
  })

  it("the killed worker's task is taken over by the other worker and finished once; every import is stored exactly once", { timeout: 120_000 }, async () => {
    const boss = new PgBoss({ connectionString: url, schema: bossSchema, superviseIntervalSeconds: 1, monitorIntervalSeconds: 1 })
    boss.on("error", () => undefined)
    await boss.start()
    await PgBossTaskRunner.createQueue(boss, { heartbeatSeconds: 10, retryLimit: 2 })
    const runtime = ManagedRuntime.make(
      Layer.mergeAll(IasoWithRepos.layer, PgBossTaskRunner.layer({ boss }), PostgresTaskProgress.layer({ pool: db.pool, schema: db.schema })).pipe(
        Layer.provide(PostgresStore.layer({ pool: db.pool, schema: db.schema }))
      )
    )
    try {
      const { account, dataSource } = await runtime.runPromise(Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `pg-boss ${Date.now()}` })))
      const admin = Actor.system(account.id)
      const as = <A, E>(effect: Effect.Effect<A, E, Tasks | CurrentActor | TaskRunner>) =>
        runtime.runPromise(Effect.provideService(effect, CurrentActor, admin))

      // Two workers, both ready before anything is launched.
      const messages: Array<WorkerMessage & { readonly worker: number }> = []
      let killed: number | undefined
      let ready = 0
      const started = new Promise<void>((resolve, reject) => {
        for (let index = 0; index < 2; index++) {
          const child = fork(worker, [url, db.schema, bossSchema], { stdio: ["ignore", "ignore", "pipe", "ipc"] })
          let stderr = ""
          child.stderr?.on("data", (data: Buffer) => (stderr += data.toString()))
          child.on("exit", (code, signal) => {
            if (index !== killed && code !== 0 && signal !== "SIGKILL") reject(new Error(`worker ${index} failed (${code ?? signal}): ${stderr}`))
          })
          child.on("message", (message: WorkerMessage) => {
            messages.push({ ...message, worker: index })
            if (message.ready === true && ++ready === 2) resolve()
            // The first worker to write rows is killed there, its import's transaction open.
            if (message.progress?.phase === "write" && killed === undefined) {
              killed = index
              child.kill("SIGKILL")
            }
          })
          children.push(child)
        }
      })
      await started
      const launch = (prefix: string, versionNumber: number) =>
        as(
          Effect.flatMap(Effect.service(Tasks), (tasks) =>
            tasks.launch("import_geojson", { collection: collection(prefix), dataSourceId: dataSource.id as DataSourceId, versionNumber })
          )
        )
      const launched = [await launch("a", 10), await launch("b", 11)]

      // Both tasks end (the taken-over one once its worker's heartbeats stopped: 10 s and more).
      const read = () => as(Effect.flatMap(Effect.service(Tasks), (tasks) => Effect.forEach(launched, (task) => tasks.get(task.id))))
      let tasks: ReadonlyArray<Task> = []
      /** Tasks read RUNNING with a progress between their start and their end: a worker's import in its transaction. */
      const midway: Array<Task> = []
      for (let waited = 0; waited < 1200; waited++) {
        tasks = await read()
        midway.push(...tasks.filter((task) => task.status === "RUNNING" && task.progressValue > 0 && task.progressValue < task.endValue))
        if (tasks.every((task) => task.status !== "QUEUED" && task.status !== "RUNNING")) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      // Read from this process while a worker ran the import: a chunk of its validation or writing.
      const live = midway[0]
      expect(live === undefined ? undefined : [live.status, live.endValue, live.progressValue % 2000, live.endedAt]).toEqual(["RUNNING", UNITS, 0, undefined])
      expect(live?.progressMessage).toMatch(new RegExp(`^import (validate|write) ${live?.progressValue ?? -1}/${UNITS}$`))
      expect(killed).toBeDefined()
      const killedTask = messages.find((message) => message.worker === killed && message.progress !== undefined)?.progress?.taskId
      expect(tasks.map((task) => task.status)).toEqual(["SUCCESS", "SUCCESS"])
      expect(tasks.map((task) => [task.id === killedTask ? "taken over" : "first run", task.attempt]).sort()).toEqual([
        ["first run", 1],
        ["taken over", 2]
      ])
      // The survivor finished both; the killed worker finished none. A worker stores a task's end
      // before its message about it reaches this process: wait for both messages.
      for (let waited = 0; waited < 500 && messages.filter((message) => message.outcome !== undefined).length < 2; waited++)
        await new Promise((resolve) => setTimeout(resolve, 20))
      const outcomes = messages.filter((message) => message.outcome !== undefined)
      expect(outcomes.map((message) => [message.worker === killed ? "killed" : "survivor", message.outcome?.outcome]).sort()).toEqual([
        ["survivor", "SUCCESS"],
        ["survivor", "SUCCESS"]
      ])
      // A kill request from this process reaches the task in the worker (its flag read as it reports):
      // the import stops, its writes rolled back, the task KILLED.
      const third = await launch("c", 12)
      for (let waited = 0; waited < 600 && !messages.some((m) => m.progress?.taskId === third.id); waited++)
        await new Promise((resolve) => setTimeout(resolve, 20))
      await as(Effect.flatMap(Effect.service(Tasks), (service) => service.kill(third.id)))
      let stopped: Task | undefined
      for (let waited = 0; waited < 600; waited++) {
        stopped = await as(Effect.flatMap(Effect.service(Tasks), (service) => service.get(third.id)))
        if (stopped.status !== "QUEUED" && stopped.status !== "RUNNING") break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect([stopped?.status, stopped?.result]).toEqual(["KILLED", { result: "KILLED", message: "Killed" }])
      // Each import stored once: its version holds exactly its units (the killed one: none).
      const counts = await db.pool.query<{ number: number; units: string }>(
        `SELECT v."number", count(u."id") AS units FROM ${db.table("SourceVersion")} v LEFT JOIN ${db.table("OrgUnit")} u ON u."versionId" = v."id" AND u."accountId" = v."accountId" WHERE v."accountId" = $1 GROUP BY v."number" ORDER BY v."number"`,
        [account.id]
      )
      expect(counts.rows.map((row) => [Number(row.number), Number(row.units)])).toEqual([
        [1, 0],
        [10, UNITS],
        [11, UNITS]
      ])
      const results = tasks.map((task) => (task.result as { readonly data: { readonly created: number } }).data.created)
      expect(results).toEqual([UNITS, UNITS])
      expect(tasks.map((task) => [task.progressValue, task.endValue, task.progressMessage])).toEqual([
        [UNITS, UNITS, `import write ${UNITS}/${UNITS}`],
        [UNITS, UNITS, `import write ${UNITS}/${UNITS}`]
      ])
      // Each ended run cleared its report; the killed worker's left row (an earlier attempt) was replaced, then cleared.
      const board = await db.pool.query(`SELECT "taskId", "attempt" FROM "${db.schema}"."iaso_task_progress" ORDER BY "taskId"`)
      expect(board.rows).toEqual([])
    } finally {
      for (const child of children) if (child.connected) child.disconnect()
      await runtime.dispose()
      await boss.stop({ graceful: false, close: true }).catch(() => undefined)
    }
  })
})
