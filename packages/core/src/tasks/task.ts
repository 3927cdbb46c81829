/**
 * Task: one run of a background job (a GeoPackage import, a version copy, a bulk update...) with
 * its progress, its outcome and a flag asking it to stop. The worker that runs jobs moves a task
 * from QUEUED to RUNNING and then to one of the final statuses; a task checks the kill flag while
 * it reports progress. The owning account is the task's account.
 * @module
 */
import { Schema } from "effect"
import { TaskId, UserId } from "../shared/entity-ids.ts"
import { Json, JsonObject } from "../shared/json.ts"
import { defineModel } from "../shared/model.ts"
import { Text } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"

/** A task's status, IASO's values in IASO's order. */
export const TASK_STATUSES = ["QUEUED", "RUNNING", "EXPORTED", "ERRORED", "SKIPPED", "KILLED", "SUCCESS"] as const
/** A task's status. */
export const TaskStatus = Schema.Literals(TASK_STATUSES)
/** A task's status. */
export type TaskStatus = typeof TaskStatus.Type

/** The statuses of a task that has not finished yet. */
export const ALIVE_TASK_STATUSES: ReadonlyArray<TaskStatus> = ["QUEUED", "RUNNING"]

/** A 32-bit signed integer (SQL `integer`). */
const Int32 = Schema.Int.check(Schema.isBetween({ minimum: -2147483648, maximum: 2147483647 }))

/** The Task model declaration. */
export const TaskModel = defineModel({
  name: "Task",
  id: TaskId,
  scope: "account",
  fields: {
    /** When a worker started running it. */
    startedAt: Schema.optionalKey(Instant),
    /** When it finished (success, failure or kill). */
    endedAt: Schema.optionalKey(Instant),
    /** Progress so far; progress = progressValue / endValue. */
    progressValue: Int32,
    endValue: Int32,
    /** The user who asked for the task. */
    createdById: Schema.optionalKey(UserId),
    /** The user who launched it last (a relaunch changes it). */
    launcherId: Schema.optionalKey(UserId),
    /**
     * The outcome: workers write `{ result: <status>, message }` or `{ result: <status>, data }`, plus
     * failure details; an external task may set any JSON value.
     */
    result: Schema.optionalKey(Json),
    status: TaskStatus,
    /** The kind of task, e.g. `import_gpkg_task`, `copy_version`. */
    name: Text,
    /** What is needed to run it again (`{ args, kwargs, module, method }`); never part of an API answer in IASO. */
    params: Schema.optionalKey(JsonObject),
    /** The queue's answer when the task was enqueued. */
    queueAnswer: Schema.optionalKey(Json),
    progressMessage: Schema.optionalKey(Text),
    /** Set to ask the running task to stop at its next progress report. */
    shouldBeKilled: Schema.Boolean,
    /** Driven by an external system (e.g. OpenHEXA) rather than by a worker. */
    external: Schema.Boolean,
    /**
     * The attempt holding the task (1 for the first run; a queue's retry after a worker died takes
     * it over with a later one). Not in IASO: it keeps a retried task from being finished twice.
     */
    attempt: Schema.optionalKey(Int32)
  },
  indexes: [
    { name: "task_created_at", fields: ["accountId", "createdAt"] },
    { name: "task_name", fields: ["accountId", "name"] },
    { name: "task_status", fields: ["accountId", "status"] },
    { name: "task_created_by", fields: ["createdById"] },
    { name: "task_launcher", fields: ["launcherId"] }
  ],
  references: [
    { field: "createdById", target: "User", onDelete: "setNull" },
    { field: "launcherId", target: "User", onDelete: "setNull" }
  ],
  access: { read: ["iaso_data_tasks", "iaso_planning_write"], write: ["iaso_data_tasks"] },
  managedBy: "Tasks"
})
/** A Task record. */
export const Task = TaskModel.schema
/** A Task record. */
export type Task = typeof Task.Type
