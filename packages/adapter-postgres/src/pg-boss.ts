/**
 * `@iaso/adapter-postgres/pg-boss`: tasks on a pg-boss queue, so several worker processes (or
 * machines) share the work. The launching side provides {@link PgBossTaskRunner.layer} as the
 * `TaskRunner`: `Tasks.launch` stores the QUEUED task, then sends a job naming it (account and
 * task id) to the queue. A worker runs {@link PgBossTaskRunner.work}: it takes jobs and runs each
 * task with core's `executeTask`, finding its work by the task's name in `TaskKinds` (every worker
 * holds the same registry as the launcher). The store is the same PostgreSQL for everyone.
 *
 * A worker that dies mid-task (killed, crashed, its machine gone) stops sending the job's
 * heartbeats; once the queue's `heartbeatSeconds` pass, pg-boss gives the job to another worker, which takes the task over
 * as a later attempt. The dead worker's transaction was rolled back by PostgreSQL when its
 * connection closed, so the task runs again from the start; a task is finished only by the attempt
 * holding it (`Task.attempt`), never twice. When the retries are spent, the job lands on the
 * dead-letter queue, whose worker marks the task ERRORED (`relaunch` can run it again).
 *
 * ```ts
 * import { PgBoss } from "pg-boss"
 * import { PgBossTaskRunner } from "@iaso/adapter-postgres/pg-boss"
 * const boss = new PgBoss({ connectionString, schema: "pgboss" })
 * await boss.start()
 * await PgBossTaskRunner.createQueue(boss)
 * const iaso = createIaso({ store, taskRunner: PgBossTaskRunner.layer({ boss }) })   // launching side
 * await runtime.runPromise(PgBossTaskRunner.work({ boss }))                           // a worker
 * ```
 *
 * A worker's import holds its transaction to its end, and PostgreSQL serialises the store's
 * writers, so the task record's progress is written only then. {@link PostgresTaskProgress.layer}
 * is the board (core's `TaskProgressBoard`) the workers publish their progress on, outside any
 * transaction and the change feed, and from which the launching side's `Tasks.get` and
 * `Tasks.list` read a RUNNING task's live progress: provide it on both sides.
 *
 * ```ts
 * const progress = PostgresTaskProgress.layer({ pool, schema })
 * const iaso = createIaso({ store, taskRunner: PgBossTaskRunner.layer({ boss }), taskProgress: progress })
 * // a worker: PgBossTaskRunner.work(...) with `progress` among its layers
 * ```
 * @module
 */
import {
  abandonTask,
  type AccountId,
  TaskProgressBoard,
  type TaskProgressBoardService,
  type TaskProgressReport,
  executeTask,
  type Progress,
  StorageError,
  type Task,
  type TaskId,
  type TaskRunContext,
  TaskRunner,
  type TaskRunOutcome,
  stopRunningTask
} from "@iaso/core"
import { Effect, Layer, type Scope } from "effect"
import pg from "pg"
import type { PgBoss } from "pg-boss"

/** The queue tasks go to unless another is named. */
export const DEFAULT_TASK_QUEUE = "iaso-tasks"

/** What a job of the queue carries: the task it names. */
export interface TaskJob {
  readonly accountId: string
  readonly taskId: string
}

/** Options of the queue made by {@link PgBossTaskRunner.createQueue}. */
export interface TaskQueueOptions {
  /** The queue's name (default {@link DEFAULT_TASK_QUEUE}); its dead-letter queue is `<queue>-dead`. */
  readonly queue?: string
  /**
   * How often a worker tells pg-boss it is alive while it runs a task (default 30 s, at least
   * 10): a job whose worker stays silent this long is given to another worker.
   */
  readonly heartbeatSeconds?: number
  /** How long a task may run at most, even with a live worker, before its job is given again (default 4 hours; at most 24). */
  readonly expireInSeconds?: number
  /** How many times a job whose worker died is given again (default 2). */
  readonly retryLimit?: number
}

/** Options of a worker ({@link PgBossTaskRunner.work}). */
export interface TaskWorkerOptions {
  /** A started pg-boss on the store's database. */
  readonly boss: PgBoss
  /** The database's connection string: the worker listens there for kill requests (PostgreSQL NOTIFY). */
  readonly connectionString: string
  /** The queue (default {@link DEFAULT_TASK_QUEUE}). */
  readonly queue?: string
  /** Tasks this worker runs at once (default 1). */
  readonly concurrency?: number
  /** How often an idle worker looks for jobs, in seconds (default 2; at least 0.5). */
  readonly pollingIntervalSeconds?: number
  /** Told each outcome (for logs and tests). */
  readonly onOutcome?: (taskId: TaskId, outcome: TaskRunOutcome) => void
  /** Told each progress report of the tasks this worker runs, as they come. */
  readonly onProgress?: (taskId: TaskId, progress: Progress) => void
}

const deadLetterOf = (queue: string) => `${queue}-dead`
/** The NOTIFY channel of a queue's kill requests. */
const killChannelOf = (queue: string) => `${queue}-kill`

/** Tasks run by pg-boss workers. */
export const PgBossTaskRunner = {
  /**
   * Creates the queue and its dead-letter queue (nothing when they exist): run once, by the
   * launching side or a worker, before the first task.
   */
  createQueue: async (boss: PgBoss, options: TaskQueueOptions = {}): Promise<void> => {
    const queue = options.queue ?? DEFAULT_TASK_QUEUE
    const existing = new Set((await boss.getQueues()).map((q) => q.name))
    if (!existing.has(deadLetterOf(queue))) await boss.createQueue(deadLetterOf(queue))
    if (!existing.has(queue))
      await boss.createQueue(queue, {
        deadLetter: deadLetterOf(queue),
        heartbeatSeconds: options.heartbeatSeconds ?? 30,
        expireInSeconds: options.expireInSeconds ?? 4 * 3600,
        retryLimit: options.retryLimit ?? 2
      })
  },

  /** The `TaskRunner` of the launching side: a launched task becomes a job of the queue. */
  layer: (options: { readonly boss: PgBoss; readonly queue?: string }): Layer.Layer<TaskRunner> =>
    Layer.succeed(
      TaskRunner,
      TaskRunner.of({
        // A NOTIFY takes no lock of the store: it reaches the workers while an import's transaction is open.
        requestKill: (accountId, id) =>
          Effect.ignore(
            Effect.tryPromise(() =>
              options.boss.getDb().executeSql("SELECT pg_notify($1, $2)", [killChannelOf(options.queue ?? DEFAULT_TASK_QUEUE), `${accountId}/${id}`])
            )
          ),
        submit: (task: Task) =>
          Effect.asVoid(
            Effect.tryPromise({
              try: () => options.boss.send(options.queue ?? DEFAULT_TASK_QUEUE, { accountId: task.accountId, taskId: task.id } satisfies TaskJob),
              catch: (cause) => new StorageError({ reason: "unavailable", retryable: true, message: `the task queue refused task ${task.id}`, cause })
            })
          )
      })
    ),

  /**
   * A worker: takes the queue's jobs and runs their tasks (and marks ERRORED the tasks of jobs
   * whose retries are spent), until the scope closes. Needs the services of the tasks' work and
   * the repositories (`IasoWithRepos.layer` of `@iaso/core/kernel` over the store, and a blob store).
   */
  work: (options: TaskWorkerOptions): Effect.Effect<void, StorageError, Scope.Scope | TaskRunContext> =>
    Effect.gen(function* () {
      const context = yield* Effect.context<TaskRunContext>()
      const run = Effect.runPromiseWith(context)
      const queue = options.queue ?? DEFAULT_TASK_QUEUE
      // Kill requests: a connection of its own listening on the queue's channel.
      const listener = new pg.Client({ connectionString: options.connectionString })
      yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            await listener.connect()
            listener.on("notification", (message) => {
              const [accountId = "", taskId = ""] = (message.payload ?? "").split("/")
              stopRunningTask(accountId, taskId)
            })
            listener.on("error", () => undefined)
            await listener.query(`LISTEN "${killChannelOf(queue)}"`)
          },
          catch: (cause) => new StorageError({ reason: "unavailable", retryable: true, message: "the task worker could not listen for kill requests", cause })
        }),
        () => Effect.promise(() => listener.end().catch(() => undefined))
      )
      const polling = { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, localConcurrency: options.concurrency ?? 1, batchSize: 1 }
      const ids = yield* Effect.tryPromise({
        try: async () => [
          await options.boss.work<TaskJob>(queue, { ...polling, includeMetadata: false }, async ([job]) => {
            if (job === undefined) return
            const { accountId, taskId } = job.data
            const outcome = await run(
              executeTask(accountId as AccountId, taskId as TaskId, {
                retry: job.retryCount > 0,
                signal: job.signal,
                ...(options.onProgress === undefined ? {} : { onProgress: (progress: Progress) => options.onProgress?.(taskId as TaskId, progress) })
              })
            )
            options.onOutcome?.(taskId as TaskId, outcome)
            // Stopped without an outcome (the job expired, the worker is stopping): pg-boss gives it again.
            if (outcome === "STOPPED") throw new Error(`task ${taskId} stopped before its end`)
          }),
          await options.boss.work<TaskJob>(deadLetterOf(queue), polling, async ([job]) => {
            if (job === undefined) return
            await run(
              abandonTask(job.data.accountId as AccountId, job.data.taskId as TaskId, "every attempt of the task stopped before its end (its workers died)")
            )
          })
        ],
        catch: (cause) => new StorageError({ reason: "unavailable", retryable: true, message: "the task queue could not be worked", cause })
      })
      yield* Effect.addFinalizer(() =>
        Effect.promise(async () => {
          for (const id of ids) await options.boss.offWork(queue, { id, wait: false }).catch(() => undefined)
        })
      )
    })
}

/** The table of {@link PostgresTaskProgress}, in the store's schema. */
export const TASK_PROGRESS_TABLE = "iaso_task_progress"

/** Options of {@link PostgresTaskProgress.layer}. */
export interface PostgresTaskProgressOptions {
  /**
   * A pool on the store's database (the store's own will do: the board takes a connection for one
   * statement at a time, never inside a transaction).
   */
  readonly pool: pg.Pool
  /** The store's schema, where the board's table is (default: the connections' current schema). */
  readonly schema?: string
  /** The least time between two publications of one task's progress by a worker (default 100 ms). */
  readonly publishEveryMillis?: number
}

/** One row of the board's table. */
interface ProgressRow {
  readonly taskId: string
  readonly attempt: number
  readonly progressValue: number
  readonly endValue: number
  readonly progressMessage: string | null
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`

/**
 * Live progress of tasks run by other processes (pg-boss workers), on PostgreSQL: core's
 * `TaskProgressBoard` over an `UNLOGGED` table of the store's schema ({@link TASK_PROGRESS_TABLE},
 * one row per task: its running attempt's latest report), created if absent. Workers write it
 * through the pool, each report in a statement of its own, outside any transaction and outside the
 * store's change feed, so a worker's import holding its transaction does not hold its progress; the
 * process that answers `Tasks.get` reads it. A row is deleted when its run ends; one left by a
 * dead worker is ignored (a later attempt replaces it). Unlogged: the board is lost in a crash of
 * the server, which loses nothing that the task records do not keep.
 */
export const PostgresTaskProgress = {
  /** The board over an existing table (see {@link PostgresTaskProgress.layer}, which creates it). */
  board: (options: PostgresTaskProgressOptions): TaskProgressBoardService => {
    const table = options.schema === undefined ? quoted(TASK_PROGRESS_TABLE) : `${quoted(options.schema)}.${quoted(TASK_PROGRESS_TABLE)}`
    const query = <R extends pg.QueryResultRow>(text: string, params: ReadonlyArray<unknown>) =>
      Effect.tryPromise(() => options.pool.query<R>(text, [...params]))
    return {
      publishEveryMillis: options.publishEveryMillis ?? 100,
      publish: (accountId, id, report) =>
        Effect.ignore(
          query(
            `INSERT INTO ${table} ("accountId", "taskId", "attempt", "progressValue", "endValue", "progressMessage", "updatedAt")
             VALUES ($1, $2, $3, $4, $5, $6, now())
             ON CONFLICT ("accountId", "taskId") DO UPDATE SET "attempt" = excluded."attempt", "progressValue" = excluded."progressValue",
               "endValue" = excluded."endValue", "progressMessage" = excluded."progressMessage", "updatedAt" = excluded."updatedAt"
             WHERE ${table}."attempt" <= excluded."attempt"`,
            [accountId, id, report.attempt, report.progressValue, report.endValue, report.progressMessage ?? null]
          )
        ),
      read: (accountId, ids) =>
        ids.length === 0
          ? Effect.succeed(new Map())
          : query<ProgressRow>(
              `SELECT "taskId", "attempt", "progressValue", "endValue", "progressMessage" FROM ${table} WHERE "accountId" = $1 AND "taskId" = ANY($2::text[])`,
              [accountId, ids]
            ).pipe(
              Effect.map(
                (result) =>
                  new Map(
                    result.rows.map((row): [string, TaskProgressReport] => [
                      row.taskId,
                      {
                        attempt: row.attempt,
                        progressValue: row.progressValue,
                        endValue: row.endValue,
                        ...(row.progressMessage === null ? {} : { progressMessage: row.progressMessage })
                      }
                    ])
                  )
              ),
              Effect.catch(() => Effect.succeed(new Map<string, TaskProgressReport>()))
            ),
      clear: (accountId, id, attempt) =>
        Effect.ignore(query(`DELETE FROM ${table} WHERE "accountId" = $1 AND "taskId" = $2 AND "attempt" = $3`, [accountId, id, attempt]))
    }
  },

  /**
   * The board as core's `TaskProgressBoard`, its table (and the schema) created if absent: provide
   * it to the workers (`PgBossTaskRunner.work`) and to the process answering `Tasks.get`
   * (`createIaso({ taskProgress })`, or a layer beside `IasoWithRepos.layer`).
   */
  layer: (options: PostgresTaskProgressOptions): Layer.Layer<never, StorageError> =>
    Layer.effect(
      TaskProgressBoard,
      Effect.tryPromise({
        try: async () => {
          const schema = options.schema
          const table = schema === undefined ? quoted(TASK_PROGRESS_TABLE) : `${quoted(schema)}.${quoted(TASK_PROGRESS_TABLE)}`
          const exists = await options.pool.query<{ readonly found: string | null }>("SELECT to_regclass($1)::text AS found", [table])
          if (exists.rows[0]?.found != null) return
          try {
            if (schema !== undefined && (await options.pool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).rowCount === 0)
              await options.pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoted(schema)}`)
            await options.pool.query(
              `CREATE UNLOGGED TABLE IF NOT EXISTS ${table} ("accountId" text NOT NULL, "taskId" text NOT NULL, "attempt" integer NOT NULL,
                 "progressValue" integer NOT NULL, "endValue" integer NOT NULL, "progressMessage" text, "updatedAt" timestamptz NOT NULL,
                 PRIMARY KEY ("accountId", "taskId"))`
            )
          } catch (error) {
            // Another process created it meanwhile (IF NOT EXISTS races on the catalogue).
            const again = await options.pool.query<{ readonly found: string | null }>("SELECT to_regclass($1)::text AS found", [table])
            if (again.rows[0]?.found == null) throw error
          }
        },
        catch: (cause) =>
          new StorageError({ reason: "unavailable", retryable: true, message: `cannot create the task progress table ${TASK_PROGRESS_TABLE}`, cause })
      }).pipe(Effect.as(PostgresTaskProgress.board(options)))
    )
}
