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
 * @module
 */
import {
  abandonTask,
  type AccountId,
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
