/**
 * Live progress of running tasks, outside the store's change feed. A task's work often holds one
 * transaction from its start to its end (a GeoJSON import is all or nothing), and a store
 * serialising its writers (SQLite's and IndexedDB's single writer, PostgreSQL's change-feed
 * counter) keeps the task record's progress write waiting behind it. So the run of a task also
 * publishes each report on a {@link TaskProgressBoard}, which no transaction holds: `Tasks.get`
 * and `Tasks.list` show a RUNNING task's `progressValue`, `endValue` and `progressMessage` from
 * the board when it holds a report of the task's current attempt. Once the task has ended, its
 * stored record is the only source (the run clears its report).
 *
 * The default board is in memory, for the tasks run by this process (the in-process runner);
 * workers of other processes (`@iaso/adapter-postgres/pg-boss`) publish on a board both sides
 * share (`PostgresTaskProgress.layer`: a table of the store's database).
 * @module
 */
import { Context, Effect } from "effect"
import type { AccountId, TaskId } from "../shared/entity-ids.ts"
import type { Task } from "./task.ts"

/** A running task's latest progress, as its run published it. */
export interface TaskProgressReport {
  /** The attempt that published it (`Task.attempt`): a report of another attempt is ignored. */
  readonly attempt: number
  readonly progressValue: number
  readonly endValue: number
  readonly progressMessage?: string | undefined
  /**
   * The task as its run last knew it (a board of this process keeps it): `Tasks.get` then answers
   * without reading the store, whose reads a single-connection store (SQLite, PGlite) holds until
   * the task's transaction ends.
   */
  readonly task?: Task | undefined
}

/** Where running tasks publish their progress and where `Tasks` reads it (see the module documentation). */
export interface TaskProgressBoardService {
  /** The least time between two publications of one task's progress (0: each report at once). */
  readonly publishEveryMillis: number
  /** Keeps `report` as the task's latest (a report of an earlier attempt than the kept one is dropped). A failure is ignored. */
  readonly publish: (accountId: AccountId, id: TaskId, report: TaskProgressReport) => Effect.Effect<void>
  /** The latest reports of these tasks of the account, by task id (a board that cannot be read answers none). */
  readonly read: (accountId: AccountId, ids: ReadonlyArray<TaskId>) => Effect.Effect<ReadonlyMap<string, TaskProgressReport>>
  /** Forgets the task's report of `attempt` (its run has ended). */
  readonly clear: (accountId: AccountId, id: TaskId, attempt: number) => Effect.Effect<void>
}

const boardKey = (accountId: string, id: string) => `${accountId}\u0000${id}`

/** A board in this process's memory. */
export const memoryTaskProgressBoard = (): TaskProgressBoardService => {
  const reports = new Map<string, TaskProgressReport>()
  return {
    publishEveryMillis: 0,
    publish: (accountId, id, report) =>
      Effect.sync(() => {
        const key = boardKey(accountId, id)
        const kept = reports.get(key)
        if (kept === undefined || kept.attempt <= report.attempt) reports.set(key, report)
      }),
    read: (accountId, ids) =>
      Effect.sync(() => {
        const found = new Map<string, TaskProgressReport>()
        for (const id of ids) {
          const report = reports.get(boardKey(accountId, id))
          if (report !== undefined) found.set(id, report)
        }
        return found
      }),
    clear: (accountId, id, attempt) =>
      Effect.sync(() => {
        const key = boardKey(accountId, id)
        if (reports.get(key)?.attempt === attempt) reports.delete(key)
      })
  }
}

/** The board of this process: the default of {@link TaskProgressBoard}. */
const PROCESS_BOARD = memoryTaskProgressBoard()

/**
 * The board running tasks publish on and `Tasks` reads. Without a layer, this process's memory
 * (enough when the tasks run in the process that answers `Tasks.get`); `Layer.succeed(TaskProgressBoard,
 * board)` or `PostgresTaskProgress.layer(...)` of `@iaso/adapter-postgres/pg-boss` replaces it.
 */
export const TaskProgressBoard = Context.Reference<TaskProgressBoardService>("@iaso/core/TaskProgressBoard", {
  defaultValue: () => PROCESS_BOARD
})

/**
 * The task with the live progress of `report` when the task is RUNNING and the report is of its
 * attempt; the task as it is otherwise.
 */
export const withLiveProgress = (task: Task, report: TaskProgressReport | undefined): Task =>
  report === undefined || task.status !== "RUNNING" || (task.attempt ?? 0) !== report.attempt
    ? task
    : {
        ...task,
        progressValue: report.progressValue,
        endValue: report.endValue,
        ...(report.progressMessage === undefined ? {} : { progressMessage: report.progressMessage })
      }
