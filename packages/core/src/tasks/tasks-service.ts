/**
 * Tasks: long operations run in the background, with IASO's lifecycle. `Tasks.launch(kind, input)`
 * stores a QUEUED {@link Task} (the kind's name as `name`, the input in `params`) and hands it to
 * the {@link TaskRunner}; a runner runs it through {@link executeTask}: QUEUED -> RUNNING (with
 * `startedAt` and the attempt), the kind's work given an `onProgress` whose reports are written to
 * the task (`progressValue`, `endValue`, `progressMessage`) and an `AbortSignal` that a kill request
 * aborts, then SUCCESS (result `{ result: "SUCCESS", data }`), ERRORED (result `{ result:
 * "ERRORED", message, error, lastProgressMessage }`) or KILLED (result `{ result: "KILLED",
 * message: "Killed" }`), with `endedAt`. A kill is cooperative: `kill` sets `shouldBeKilled` (and
 * aborts at once a task running in the same process); the work stops at its next progress report,
 * its transaction rolled back, so the store is as before. Only an ERRORED task is relaunched
 * (QUEUED again, the launcher the relauncher).
 *
 * Two runners: {@link TaskRunner.inProcess} (core: a fiber of the current process, for a CLI, a
 * browser or a single server) and the pg-boss runner of `@iaso/adapter-postgres/pg-boss`, whose
 * workers in several processes share one queue.
 * @module
 */
import { Cause, Context, Effect, Exit, Fiber, FiberSet, Latch, Layer, Schema } from "effect"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { type AccountId, OrgUnitId, OrgUnitTypeId, type TaskId, UserId } from "../shared/entity-ids.ts"
import { Conflict, type Forbidden, type IasoError, NotFound, StorageError } from "../shared/errors.ts"
import type { Json, JsonObject } from "../shared/json.ts"
import type { Progress } from "../shared/progress.ts"
import { codecOf, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { type Permission, PERMISSIONS } from "../tenancy/permissions.ts"
import { type Task, TaskModel, type TaskStatus } from "./task.ts"
import { TaskProgressBoard, type TaskProgressReport, withLiveProgress } from "./task-progress.ts"
import { type TaskKind, TaskKinds, type TaskWorkContext } from "./task-kinds.ts"

type ReadError = NotFound | Forbidden | StorageError

/** Where a launched task goes to be run: in this process, or onto a queue that workers share. */
export class TaskRunner extends Context.Service<
  TaskRunner,
  {
    /** Hands a QUEUED task to the runner (returns once it is queued, not once it has run). */
    readonly submit: (task: Task) => Effect.Effect<void, StorageError>
    /**
     * Tells the process running a task that a kill was asked, at once (`Tasks.kill` calls it before
     * it writes the task's flag, which a store serialising its writers may hold until the task's
     * transaction ends). A process that runs the task calls {@link stopRunningTask}.
     */
    readonly requestKill: (accountId: AccountId, id: TaskId) => Effect.Effect<void>
  }
>()("@iaso/core/TaskRunner") {
  /**
   * The in-process runner: each submitted task runs in a fiber of this process (ended with the
   * layer). `onProgress` is told every report of the tasks it runs, as they come (a CLI's progress
   * bar; on SQLite and IndexedDB the task record's progress is written when the store is free).
   * With `resume` (see {@link InProcessRunnerOptions.resume}), it takes up on start the tasks an
   * earlier process left behind.
   */
  static readonly inProcess = (options: InProcessRunnerOptions = {}): Layer.Layer<TaskRunner, never, TaskRunContext> =>
    Layer.effect(
      TaskRunner,
      Effect.gen(function* () {
        const context = yield* Effect.context<TaskRunContext>()
        const fibers = yield* FiberSet.make<unknown, unknown>()
        const submit = (task: Task) =>
          Effect.asVoid(
            FiberSet.run(
              fibers,
              Effect.provideContext(
                executeTask(
                  task.accountId,
                  task.id,
                  options.onProgress === undefined ? {} : { onProgress: (progress) => options.onProgress?.(task.id, progress) }
                ).pipe(
                  // The runner closing (the client disposed) while the task runs: it would not end otherwise.
                  Effect.onInterrupt(() => abandonTask(task.accountId, task.id, "the process running the task stopped before its end"))
                ),
                context
              )
            )
          )
        const repos = yield* Repos
        if (options.resume ?? !repos.driver.capabilities.concurrentWriters) yield* resumeTasks(repos, submit)
        return TaskRunner.of({ requestKill: (accountId, id) => Effect.sync(() => stopRunningTask(accountId, id)), submit })
      })
    )
}

/** The message of a task found RUNNING by a resuming runner: the process that ran it stopped before its end. */
export const INTERRUPTED_TASK_MESSAGE = "the process running the task stopped before its end (found RUNNING when the task runner started): relaunch it"

/**
 * Takes up the tasks an earlier process left in the store, every account's: a QUEUED task is
 * submitted, a RUNNING one that no run of this process holds is marked ERRORED (relaunchable). A
 * store that cannot be read leaves them as they are.
 */
const resumeTasks = (repos: Repositories, submit: (task: Task) => Effect.Effect<void, StorageError>): Effect.Effect<void> =>
  Effect.gen(function* () {
    const rows = yield* repos.driver.query(
      TaskModel,
      { accountId: null, allAccounts: true },
      {
        where: [{ field: "status", op: "in", value: ["QUEUED", "RUNNING"] }],
        orderBy: [
          { field: "createdAt", direction: "asc" },
          { field: "id", direction: "asc" }
        ]
      }
    )
    const tasks = (yield* codecOf(TaskModel).decodeRows(rows)) as ReadonlyArray<Task>
    for (const task of tasks) {
      if (task.status === "QUEUED") yield* submit(task)
      else if (!running.has(runningKey(task.accountId, task.id)))
        yield* abandonTask(task.accountId, task.id, INTERRUPTED_TASK_MESSAGE).pipe(Effect.provideService(Repos, repos))
    }
  }).pipe(Effect.ignore)

/** Options of {@link TaskRunner.inProcess}. */
export interface InProcessRunnerOptions {
  /** Told each progress report of a task this runner runs. A throw from it is ignored. */
  readonly onProgress?: ((taskId: TaskId, progress: Progress) => void) | undefined
  /**
   * On start, take up what an earlier process left in the store (every account's tasks): QUEUED
   * tasks are run, RUNNING tasks (their process died) are marked ERRORED with
   * {@link INTERRUPTED_TASK_MESSAGE}, so that `Tasks.relaunch` can run them again. Default: on for
   * a store only one process uses at a time (`capabilities.concurrentWriters` false: memory,
   * SQLite, IndexedDB, PGlite), off for PostgreSQL on a server, where other processes may be
   * running those tasks (the pg-boss runner recovers them there). Turn it off when several
   * processes share a SQLite file and run tasks.
   */
  readonly resume?: boolean | undefined
}

/** What running a task needs: the services of its work, the repositories and the registry of kinds. */
export type TaskRunContext = Exclude<TaskWorkContext, CurrentActor> | Repos

/** A filter of `Tasks.list`. */
export interface TaskSearch {
  /** Tasks of this kind (`name`). */
  readonly name?: string
  /** Tasks in one of these statuses. */
  readonly statuses?: ReadonlyArray<TaskStatus>
  /** At most this many, newest first (default 100). */
  readonly limit?: number
}

/** IASO's permissions: reading tasks needs one of these. */
const READ = ["iaso_data_tasks", "iaso_planning_write"]
/** Launching, killing and relaunching tasks needs this one (or being the task's creator, for kill and relaunch). */
const WRITE = ["iaso_data_tasks"]

/**
 * The tasks service (see the module documentation). Provided by `Iaso.layer`; `launch` and
 * `relaunch` also need a {@link TaskRunner} (`createIaso` provides the in-process one).
 */
export class Tasks extends Context.Service<
  Tasks,
  {
    /**
     * Stores a QUEUED task of `kind` (a name in {@link TaskKinds}) with `input` (checked by the
     * kind now, so a bad input is a `ValidationError` before anything is stored) and submits it.
     * Needs `iaso_data_tasks`.
     */
    readonly launch: (kind: string, input: Json) => Effect.Effect<Task, ServiceWriteError, CurrentActor | TaskRunner>
    /** A task of the account (`iaso_data_tasks` or `iaso_planning_write`). */
    readonly get: (id: TaskId) => Effect.Effect<Task, ReadError, CurrentActor>
    /** The account's tasks, newest first, by kind and status. */
    readonly list: (search?: TaskSearch) => Effect.Effect<ReadonlyArray<Task>, ReadError, CurrentActor>
    /**
     * Asks a task to stop: a QUEUED (or external) task is KILLED at once; a RUNNING one gets
     * `shouldBeKilled` and stops at its next progress report (at once when it runs in this process).
     * A KILLED task answers as it is; another finished task is a `Conflict`. Needs `iaso_data_tasks`
     * or being its creator.
     */
    readonly kill: (id: TaskId) => Effect.Effect<Task, ServiceWriteError, CurrentActor>
    /**
     * Runs an ERRORED task again (QUEUED, progress reset, the launcher the current user; its last
     * result stays until the new run ends); any other status is a `Conflict`. Needs
     * `iaso_data_tasks` or being its creator.
     */
    readonly relaunch: (id: TaskId) => Effect.Effect<Task, ServiceWriteError, CurrentActor | TaskRunner>
  }
>()("@iaso/core/Tasks") {
  static readonly layer = Layer.effect(
    Tasks,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Tasks.of(makeTasks(repos))
    })
  )
}

/** The abort controllers of the tasks running in this process, by account and task. */
const running = new Map<string, AbortController>()
const runningKey = (accountId: string, id: string) => `${accountId}\u0000${id}`
/** The reason a kill request aborts a running task with. */
const KILL_REASON = "Killed"

/**
 * Stops a task running in this process as a kill does (its work ends at its next progress
 * report, KILLED); nothing when it does not run here. Runners call it when a kill request reaches
 * them (`TaskRunner.requestKill`).
 */
export const stopRunningTask = (accountId: string, id: string): void => running.get(runningKey(accountId, id))?.abort(KILL_REASON)

/** Retries a read-modify-write a few times when another writer changed the row meanwhile. */
const retryConflicts = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.catch(effect, (error) =>
    error._tag === "VersionConflict" ? Effect.catch(effect, (again) => (again._tag === "VersionConflict" ? effect : Effect.fail(again))) : Effect.fail(error)
  )

const makeTasks = (repos: Repositories): Tasks["Service"] => {
  const read = (actor: Actor, id: TaskId) =>
    Effect.andThen(requireAny(actor, READ, "reading tasks"), repos.get(TaskModel, actor.accountId, id) as Effect.Effect<Task, NotFound | StorageError>)
  /** The task, when the actor holds `iaso_data_tasks` or created it. */
  const writable = (actor: Actor, id: TaskId, action: string) =>
    Effect.flatMap(repos.get(TaskModel, actor.accountId, id) as Effect.Effect<Task, NotFound | StorageError>, (task) =>
      actor.userId !== undefined && task.createdById === actor.userId ? Effect.succeed(task) : Effect.as(requireAny(actor, WRITE, action), task)
    )
  /** May the actor kill the task: a holder of `iaso_data_tasks` at once (no read), else its creator. */
  const requireKill = (actor: Actor, id: TaskId) =>
    actor.permissions.has("iaso_data_tasks") ? Effect.void : Effect.asVoid(writable(actor, id, "killing tasks"))
  const update = (actor: Actor, task: Task, patch: Readonly<Record<string, unknown>>) =>
    repos.update(TaskModel, actor.accountId, task.id, patch, { expectedVersion: task.version }) as Effect.Effect<Task, ServiceWriteError>
  return {
    launch: (kindName, input) =>
      Effect.gen(function* () {
        const actor = yield* Effect.service(CurrentActor)
        yield* requireAny(actor, WRITE, "launching tasks")
        const kinds = yield* TaskKinds
        const kind = kinds.get(kindName)
        if (kind === undefined) return yield* new NotFound({ model: "TaskKind", id: kindName, message: `No task kind named ${kindName}` })
        yield* kind.decode(input)
        const user = actor.userId === undefined ? {} : { createdById: actor.userId, launcherId: actor.userId }
        const params: JsonObject = { input, actor: actorSnapshot(actor) }
        const task = (yield* repos.insert(TaskModel, actor.accountId, {
          name: kindName,
          status: "QUEUED",
          progressValue: 0,
          endValue: 0,
          shouldBeKilled: false,
          external: false,
          params,
          ...user
        })) as Task
        yield* Effect.flatMap(Effect.service(TaskRunner), (runner) => runner.submit(task))
        return task
      }),
    get: (id) =>
      Effect.gen(function* () {
        const actor = yield* Effect.service(CurrentActor)
        yield* requireAny(actor, READ, "reading tasks")
        const live = (yield* (yield* TaskProgressBoard).read(actor.accountId, [id])).get(id)
        // A run of this process knows its task: no store read, which its transaction may hold.
        if (live?.task !== undefined) return withLiveProgress(live.task, live)
        return withLiveProgress(yield* read(actor, id), live)
      }),
    list: (search = {}) =>
      Effect.gen(function* () {
        const actor = yield* Effect.service(CurrentActor)
        yield* requireAny(actor, READ, "reading tasks")
        const where = [
          ...(search.name === undefined ? [] : [{ field: "name", op: "eq", value: search.name } as const]),
          ...(search.statuses === undefined ? [] : [{ field: "status", op: "in", value: [...search.statuses] } as const])
        ]
        const page = yield* repos.list(TaskModel, actor.accountId, {
          where,
          orderBy: [{ field: "createdAt", direction: "desc" }],
          limit: Math.max(1, Math.min(search.limit ?? 100, 1000))
        })
        const tasks = page.items as ReadonlyArray<Task>
        const running = tasks.filter((task) => task.status === "RUNNING").map((task) => task.id)
        if (running.length === 0) return tasks
        const live = yield* (yield* TaskProgressBoard).read(actor.accountId, running)
        return tasks.map((task) => withLiveProgress(task, live.get(task.id)))
      }).pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error))),
    kill: (id) =>
      Effect.gen(function* () {
        const actor = yield* Effect.service(CurrentActor)
        yield* requireKill(actor, id)
        // The task stops at its next report before the flag is written (a store that serialises
        // its writers would otherwise keep this call waiting for the task's end): here at once,
        // elsewhere through the runner.
        stopRunningTask(actor.accountId, id)
        const runner = yield* Effect.serviceOption(TaskRunner)
        if (runner._tag === "Some") yield* runner.value.requestKill(actor.accountId, id)
        return yield* retryConflicts(
          Effect.flatMap(writable(actor, id, "killing tasks"), (task): Effect.Effect<Task, ServiceWriteError> => {
            if (task.status === "KILLED") return Effect.succeed(task)
            if (task.status === "QUEUED" || (task.external && task.status === "RUNNING"))
              return Effect.flatMap(now, (endedAt) =>
                update(actor, task, { status: "KILLED", shouldBeKilled: true, endedAt, result: { result: "KILLED", message: KILL_REASON } })
              )
            if (task.status === "RUNNING") return update(actor, task, { shouldBeKilled: true })
            return Effect.fail(new Conflict({ model: "Task", id, message: `Task ${id} is ${task.status}: only a QUEUED or RUNNING task can be killed` }))
          })
        )
      }),
    relaunch: (id) =>
      Effect.gen(function* () {
        const actor = yield* Effect.service(CurrentActor)
        const task = yield* writable(actor, id, "relaunching tasks")
        if (task.status !== "ERRORED")
          return yield* new Conflict({ model: "Task", id, message: `Task ${id} is ${task.status}: only an ERRORED task can be relaunched` })
        const queued = yield* update(actor, task, {
          status: "QUEUED",
          shouldBeKilled: false,
          progressValue: 0,
          endValue: 0,
          endedAt: null,
          params: { ...task.params, actor: actorSnapshot(actor) },
          ...(actor.userId === undefined ? {} : { launcherId: actor.userId })
        })
        yield* Effect.flatMap(Effect.service(TaskRunner), (runner) => runner.submit(queued))
        return queued
      })
  }
}

/** Options of {@link executeTask}. */
export interface ExecuteTaskOptions {
  /**
   * This run is a queue's retry of a run that stopped without an outcome (its worker died): a
   * RUNNING task is taken over. Without it, only a QUEUED task runs.
   */
  readonly retry?: boolean | undefined
  /** Stops the work without a kill (the worker shuts down): the task stays RUNNING for a later attempt. */
  readonly signal?: AbortSignal | undefined
  /** Told each progress report as it comes. */
  readonly onProgress?: ((progress: Progress) => void) | undefined
  /** How often reported progress is written to the task and its kill flag read (default 100 ms). */
  readonly syncIntervalMillis?: number | undefined
}

/** What one run of a task ended with. */
export type TaskRunOutcome = "SUCCESS" | "ERRORED" | "KILLED" | "SKIPPED" | "STOPPED" | "LOST"

/**
 * Runs one task, as a runner does: claims it (QUEUED -> RUNNING, or a RUNNING task a later
 * attempt takes over), runs its kind's work as the user who launched it, writes its progress as it
 * comes and reads its kill flag, and records the outcome. Answers the outcome: `SKIPPED` (not
 * QUEUED, or claimed by another worker), `STOPPED` (the options' signal aborted: left RUNNING for a
 * retry), `LOST` (a later attempt took it over meanwhile: its outcome is that attempt's).
 */
export const executeTask = (accountId: AccountId, id: TaskId, options: ExecuteTaskOptions = {}): Effect.Effect<TaskRunOutcome, StorageError, TaskRunContext> =>
  Effect.gen(function* () {
    const repos = yield* Repos
    const kinds = yield* TaskKinds
    const get = repos.get(TaskModel, accountId, id) as Effect.Effect<Task, NotFound | StorageError>
    const write = (task: Task, patch: Readonly<Record<string, unknown>>) =>
      repos.update(TaskModel, accountId, id, patch, { expectedVersion: task.version }) as Effect.Effect<Task, ServiceWriteError>
    const task = yield* Effect.catchTag(get, "NotFound", () => Effect.succeed(undefined))
    if (task === undefined) return "SKIPPED" as const
    // Attempts only grow (a relaunch goes on counting), so an earlier run always knows it lost the task.
    const attempt = (task.attempt ?? 0) + 1
    const takeOver = task.status === "RUNNING" && options.retry === true
    if (task.status !== "QUEUED" && !takeOver) return "SKIPPED" as const
    const startedAt = yield* now
    const claimed = yield* Effect.result(write(task, { status: "RUNNING", startedAt, attempt, progressValue: 0, endValue: 0 }))
    if (claimed._tag === "Failure") {
      if (claimed.failure._tag === "VersionConflict") return "SKIPPED" as const
      return yield* Effect.fail(asStorageError(claimed.failure))
    }
    let current = claimed.success
    /** Writes the end of the run, unless a later attempt took the task over. */
    const finish = (patch: (endedAt: Date) => Readonly<Record<string, unknown>>, outcome: TaskRunOutcome) =>
      Effect.gen(function* () {
        for (let tries = 0; tries < 5; tries++) {
          const row = yield* get.pipe(Effect.mapError(asStorageError))
          if ((row.attempt ?? 0) !== attempt || row.status !== "RUNNING") return "LOST" as const
          const written = yield* Effect.result(write(row, patch(yield* now)))
          if (written._tag === "Success") return outcome
          if (written.failure._tag !== "VersionConflict") return yield* Effect.fail(asStorageError(written.failure))
        }
        return yield* Effect.fail(new StorageError({ reason: "serialization", retryable: true, message: `task ${id}: its end could not be written` }))
      })
    if (current.shouldBeKilled) return yield* finish((endedAt) => killedPatch(endedAt, undefined), "KILLED")
    const failed = (error: unknown, last: Progress | undefined) =>
      finish(
        (endedAt) => ({
          status: "ERRORED",
          endedAt,
          result: {
            result: "ERRORED",
            message: messageOf(error),
            ...(isTagged(error) ? { error: { _tag: error._tag, message: messageOf(error) } } : {}),
            ...(last === undefined ? {} : { lastProgressMessage: progressMessage(last) })
          }
        }),
        "ERRORED"
      )
    const kind: TaskKind | undefined = kinds.get(task.name)
    if (kind === undefined) return yield* failed(new NotFound({ model: "TaskKind", id: task.name, message: `No task kind named ${task.name}` }), undefined)
    const decoded = yield* Effect.result(kind.decode(task.params?.["input"]))
    if (decoded._tag === "Failure") return yield* failed(decoded.failure, undefined)
    const actor = Schema.decodeUnknownExit(ActorSnapshot)(task.params?.["actor"])
    if (Exit.isFailure(actor)) return yield* failed(new Conflict({ model: "Task", id, message: `Task ${id} names no launching actor` }), undefined)

    const board = yield* TaskProgressBoard
    /** The latest progress as the board keeps it, with the task as this run last wrote it. */
    const reportOf = (progress: Progress | undefined): TaskProgressReport => ({
      attempt,
      progressValue: progress === undefined ? 0 : Math.min(progress.done, 2147483647),
      endValue: progress === undefined ? 0 : Math.min(progress.total ?? 0, 2147483647),
      ...(progress === undefined ? {} : { progressMessage: progressMessage(progress) }),
      task: current
    })
    const reported = Latch.makeUnsafe(false)
    yield* board.publish(accountId, id, reportOf(undefined))
    return yield* Effect.ensuring(
      Effect.gen(function* () {
        const controller = new AbortController()
        const onExternalAbort = () => controller.abort(options.signal?.reason)
        options.signal?.addEventListener("abort", onExternalAbort, { once: true })
        const key = runningKey(accountId, id)
        running.set(key, controller)
        let latest: Progress | undefined
        let synced: Progress | undefined
        const onProgress = (progress: Progress) => {
          latest = progress
          reported.openUnsafe()
          try {
            options.onProgress?.(progress)
          } catch {
            // a failing listener does not stop the task
          }
        }
        /** Reads the kill flag (set by another process) and whether a later attempt took the task over. */
        const watch = Effect.gen(function* () {
          const row = yield* get
          if ((row.attempt ?? 0) !== attempt) controller.abort("lost")
          else if (row.shouldBeKilled) controller.abort(KILL_REASON)
        }).pipe(Effect.ignore)
        /**
         * Writes the latest progress. Apart from the watch: a store that serialises writers (PostgreSQL's
         * change-feed counter, SQLite's connection) holds this write while the work's transaction is
         * open, and the kill flag must still be read meanwhile.
         */
        const sync = Effect.gen(function* () {
          const progress = latest
          if (progress === undefined || progress === synced) return
          const row = yield* get
          if ((row.attempt ?? 0) !== attempt) return
          current = yield* write(row, {
            progressValue: Math.min(progress.done, 2147483647),
            endValue: Math.min(progress.total ?? 0, 2147483647),
            progressMessage: progressMessage(progress)
          })
          synced = progress
        }).pipe(Effect.ignore)
        /**
         * Publishes the latest progress on the board as it comes (at most once per the board's
         * interval): no transaction holds the board, so `Tasks.get` shows it while the work runs.
         */
        const publish = Effect.gen(function* () {
          yield* reported.await
          reported.closeUnsafe()
          const progress = latest
          if (progress !== undefined) yield* board.publish(accountId, id, reportOf(progress))
          if (board.publishEveryMillis > 0) yield* Effect.sleep(board.publishEveryMillis)
        })
        const every = (effect: Effect.Effect<void>) => Effect.forkChild(Effect.forever(Effect.andThen(Effect.sleep(options.syncIntervalMillis ?? 100), effect)))
        const watcher = yield* every(watch)
        const syncer = yield* every(sync)
        const publisher = yield* Effect.forkChild(Effect.forever(publish))
        const exit = yield* Effect.exit(
          kind.run(decoded.success, { onProgress, signal: controller.signal }).pipe(Effect.provideService(CurrentActor, actorOf(accountId, actor.value)))
        )
        yield* Fiber.interrupt(watcher)
        yield* Fiber.interrupt(syncer)
        yield* Fiber.interrupt(publisher)
        running.delete(key)
        options.signal?.removeEventListener("abort", onExternalAbort)
        const last = latest
        if (controller.signal.aborted) {
          const reason: unknown = controller.signal.reason
          if (reason === KILL_REASON) return yield* finish((endedAt) => killedPatch(endedAt, last), "KILLED")
          if (reason === "lost") return "LOST" as const
          if (Exit.isFailure(exit) || options.signal?.aborted === true) return "STOPPED" as const
        }
        if (Exit.isSuccess(exit))
          return yield* finish(
            (endedAt) => ({
              status: "SUCCESS",
              endedAt,
              result: { result: "SUCCESS", data: exit.value },
              ...(last === undefined
                ? {}
                : {
                    progressValue: Math.min(last.done, 2147483647),
                    endValue: Math.min(last.total ?? last.done, 2147483647),
                    progressMessage: progressMessage(last)
                  })
            }),
            "SUCCESS"
          )
        const failure = Cause.findErrorOption(exit.cause)
        return yield* failed(failure._tag === "Some" ? failure.value : Cause.squash(exit.cause), last)
      }),
      board.clear(accountId, id, attempt)
    )
  })

/**
 * Marks a task that will not end otherwise ERRORED with `message` (its process stopped, its queue
 * gave up on it), when it is still QUEUED or RUNNING; it can then be relaunched. Runners call it.
 */
export const abandonTask = (accountId: AccountId, id: TaskId, message: string): Effect.Effect<void, never, Repos> =>
  Effect.gen(function* () {
    const repos = yield* Repos
    const task = (yield* repos.get(TaskModel, accountId, id)) as Task
    if (task.status !== "RUNNING" && task.status !== "QUEUED") return
    yield* repos.update(
      TaskModel,
      accountId,
      id,
      { status: "ERRORED", endedAt: yield* now, result: { result: "ERRORED", message } },
      { expectedVersion: task.version }
    )
  }).pipe(Effect.ignore)

/**
 * The launching actor as a task keeps it (`params.actor`): a worker in another process runs the
 * task as that actor, with the permissions and org-unit roots it had at launch. Only `Tasks`
 * writes a task (the model is managed), so no caller can make a task run as someone else.
 */
const ActorSnapshot = Schema.Struct({
  kind: Schema.Literals(["user", "system"]),
  userId: Schema.optionalKey(UserId),
  permissions: Schema.Array(Schema.String),
  orgUnitRoots: Schema.Array(OrgUnitId),
  editableOrgUnitTypeIds: Schema.Array(OrgUnitTypeId)
})

const actorSnapshot = (actor: Actor): JsonObject => ({
  kind: actor.kind,
  ...(actor.userId === undefined ? {} : { userId: actor.userId }),
  permissions: [...actor.permissions].sort(),
  orgUnitRoots: [...actor.orgUnitRoots],
  editableOrgUnitTypeIds: [...actor.editableOrgUnitTypeIds]
})

const actorOf = (accountId: AccountId, snapshot: typeof ActorSnapshot.Type): Actor => ({
  kind: snapshot.kind,
  accountId,
  ...(snapshot.userId === undefined ? {} : { userId: snapshot.userId }),
  permissions: new Set(snapshot.permissions.filter((permission): permission is Permission => (PERMISSIONS as ReadonlyArray<string>).includes(permission))),
  orgUnitRoots: snapshot.orgUnitRoots,
  editableOrgUnitTypeIds: snapshot.editableOrgUnitTypeIds
})

const killedPatch = (endedAt: Date, last: Progress | undefined): Readonly<Record<string, unknown>> => ({
  status: "KILLED",
  shouldBeKilled: true,
  endedAt,
  result: { result: "KILLED", message: KILL_REASON },
  ...(last === undefined ? {} : { progressMessage: progressMessage(last) })
})

const progressMessage = (progress: Progress): string =>
  `${progress.operation} ${progress.phase} ${progress.done}${progress.total === undefined ? "" : `/${progress.total}`}`

const isTagged = (error: unknown): error is IasoError =>
  typeof error === "object" && error !== null && "_tag" in error && typeof (error as { readonly _tag: unknown })._tag === "string"

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error && typeof (error as { readonly message: unknown }).message === "string"
    ? (error as { readonly message: string }).message
    : String(error)

const asStorageError = (error: unknown): StorageError =>
  error instanceof StorageError ? error : new StorageError({ reason: "unknown", retryable: false, message: `task record: ${messageOf(error)}`, cause: error })
