/**
 * The `Exports` service: DHIS2 export requests stored and run. `request` first marks QUEUED
 * requests older than {@link STALE_QUEUED_EXPORT_MS} as KILLED with `Timeout` (IASO's status; their
 * QUEUED statuses SKIPPED), then loads the candidate submissions under the actor's org-unit roots,
 * applies {@link exportExclusion} and {@link planExportStatuses}, and creates the request (QUEUED)
 * with its statuses in one unit of work. `run` reaches DHIS2 with the first mapping's data source
 * credentials ({@link MissingDhis2Credentials} when there are none: the request ends ERRORED,
 * nothing sent), runs the statuses ({@link runExportItems}) and stores their outcomes, one
 * `ExportLog` per exchange (never the password) linked to its statuses by `ExportStatusExportLog`
 * rows, the exported submissions' `lastExportSuccessAt`/`toExport`, and the request's counters,
 * status and timestamps. `run` reports one progress step per page sent and stops between two pages
 * when its signal is aborted (the request KILLED, the statuses not reached SKIPPED, the pages sent
 * kept). The `dhis2_export` task kind runs `run` as a task. Writing takes `iaso_submissions`;
 * reading any export of the account takes no permission.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { ExportRequestId, FormId, InstanceId } from "../shared/entity-ids.ts"
import type { Forbidden, NotFound, StorageError } from "../shared/errors.ts"
import type { ExportRequest, ExportStatus } from "../submissions/export.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import { Dhis2Fetch, type Dhis2Unreachable, type MissingDhis2Credentials } from "./export-dhis2-client.ts"
import type { Interrupted } from "../shared/errors.ts"
import type { LongOperationOptions } from "../shared/progress.ts"
import type { ExportPlanError } from "./export-plan.ts"
import { lazyService } from "../shared/lazy-module.ts"

/** What to export: a form's submissions, narrowed by ids, possibly already exported ones again. */
export interface ExportRequestInput {
  /** The form whose submissions are exported (every form when absent). */
  readonly formId?: FormId | undefined
  /** Only these submissions. */
  readonly selectedIds?: ReadonlyArray<InstanceId> | undefined
  /** Not these submissions. */
  readonly unselectedIds?: ReadonlyArray<InstanceId> | undefined
  /** Export again the submissions already exported. */
  readonly forceExport?: boolean | undefined
}

/** How a run reaches DHIS2, reports its pages (`export`/`send`, one step per page) and is stopped between pages. */
export interface ExportRunInput extends LongOperationOptions {
  /** The HTTP client ({@link Dhis2Fetch} when absent). */
  readonly fetch?: typeof globalThis.fetch | undefined
  /**
   * Send events through DHIS2's `tracker` API (DHIS2 2.42 and later). When absent and there are
   * events to send, the server's version is read first (`GET system/info`, not logged), as IASO does.
   */
  readonly trackerApi?: boolean | undefined
}

/** An error of {@link Exports} `run`. */
export type ExportRunError = ServiceWriteError | Dhis2Unreachable | MissingDhis2Credentials | Interrupted

/** A request with its statuses. */
export interface ExportRequestDetail {
  /** The request. */
  readonly request: ExportRequest
  /** Its statuses, in id order. */
  readonly statuses: ReadonlyArray<ExportStatus>
}

type ReadError = NotFound | Forbidden | StorageError

/**
 * The exports service (see the module documentation). Provided by `Iaso.layer`; on the Promise
 * facade, `iaso.as(actor).exports`.
 */
export class Exports extends Context.Service<
  Exports,
  {
    /** Creates a QUEUED request and its statuses, or fails with IASO's planning error. */
    readonly request: (input: ExportRequestInput) => Effect.Effect<ExportRequestDetail, ServiceWriteError | ExportPlanError, CurrentActor>
    /** Runs a QUEUED request against DHIS2 and stores the outcome. */
    readonly run: (id: ExportRequestId, input?: ExportRunInput) => Effect.Effect<ExportRequestDetail, ExportRunError, CurrentActor>
    /** A request with its statuses. */
    readonly get: (id: ExportRequestId) => Effect.Effect<ExportRequestDetail, ReadError, CurrentActor>
    /** The account's requests, newest first. */
    readonly list: () => Effect.Effect<ReadonlyArray<ExportRequest>, ReadError, CurrentActor>
  }
>()("@iaso/core/Exports") {
  static readonly layer = Layer.effect(
    Exports,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Exports.of(
        lazyService("the DHIS2 exports", () => import("./exports-ops.ts").then((ops) => ops.makeExports(repos)), {
          request: true,
          run: true,
          get: true,
          list: true
        })
      )
    })
  )
}
