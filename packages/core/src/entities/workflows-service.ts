/**
 * The `Workflows` service: what the mobile app offers next for an entity of a given type. Versions
 * follow IASO's status machine (a new version is a DRAFT; `DRAFT -> UNPUBLISHED | PUBLISHED`,
 * `UNPUBLISHED <-> PUBLISHED`, never back to DRAFT), at most one published per workflow (publishing
 * unpublishes the other in the same transaction, and storage refuses a second one); a draft's
 * follow-ups (JSONLogic conditions over the reference form's questions) and changes (answers copied
 * from a follow-up form into the reference form's questions) are checked with IASO's rules and
 * messages; conditions are evaluated (`nextFollowUps`) and changes applied
 * (`applyWorkflowChanges`, called by ingestion). Every call needs `iaso_workflows` but
 * `nextFollowUps` (`iaso_entities`, the entity read under its access rules) and `mobile` (any actor
 * of the account, as IASO's mobile endpoint serves any user of the app).
 *
 * Differences from IASO, on purpose:
 * - Every edit of a follow-up or change needs a DRAFT version, deletions and change replacements
 *   included (IASO deletes follow-ups and replaces changes of any version).
 * - A condition is checked when written: standard JSONLogic operators only, within
 *   `MAX_JSON_DEPTH` and `MAX_JSON_LOGIC_NODES`, every variable a question of the reference form
 *   (IASO stores any JSON).
 * - A form of another account, a missing one and a soft-deleted one all answer `Form <id> does not
 *   exist` (IASO tells another account's form apart, which reveals that it exists).
 * - A copy whose `Copy of <name>` passes 50 characters is cut to 50 with a final `…` (IASO names it
 *   `Copy of version <id>`, which a 36-character id would push past 50).
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { lazyService } from "../shared/lazy-module.ts"
import type { EntityId, ProjectId, WorkflowChangeId, WorkflowFollowupId, WorkflowId, WorkflowVersionId } from "../shared/entity-ids.ts"
import type { Forbidden, NotFound, StorageError } from "../shared/errors.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type { WorkflowChange, WorkflowVersion } from "./workflow.ts"
import type { MobileWorkflows, NextFollowUp } from "./workflow-evaluate.ts"
import type { ChangeInput, FollowUpInput, FollowUpUpdate } from "./workflow-steps.ts"
import type { FollowUp } from "./workflow-store.ts"
import type { WorkflowExport, WorkflowImportResult } from "./workflow-transfer.ts"
import type { WorkflowVersionCreate, WorkflowVersionDetail, WorkflowVersionPatch, WorkflowVersionSearch } from "./workflow-versions.ts"

type ReadError = NotFound | Forbidden | StorageError

/**
 * The workflows service (see the module documentation for its rules). Provided by `Iaso.layer`; on
 * the Promise facade, `iaso.as(actor).workflows`. Its calls are listed under `Service`.
 */
export class Workflows extends Context.Service<
  Workflows,
  {
    /** Creates a DRAFT version (and the entity type's workflow when it has none); name `"No Name"` by default. */
    readonly createVersion: (input: WorkflowVersionCreate) => Effect.Effect<WorkflowVersion, ServiceWriteError, CurrentActor>
    /** Changes a version's status (IASO's machine; publishing unpublishes the other published version), name or `autoFirstStep`. */
    readonly updateVersion: (id: WorkflowVersionId, patch: WorkflowVersionPatch) => Effect.Effect<WorkflowVersion, ServiceWriteError, CurrentActor>
    /** A new DRAFT copy of a version (`Copy of <name>`, same `autoFirstStep`) with its follow-ups, their forms, and its changes. */
    readonly copyVersion: (id: WorkflowVersionId) => Effect.Effect<WorkflowVersion, ServiceWriteError, CurrentActor>
    /** Soft-deletes a version (any status). */
    readonly removeVersion: (id: WorkflowVersionId) => Effect.Effect<WorkflowVersion, ServiceWriteError, CurrentActor>
    /** A live version with its follow-ups (by order, with their forms) and changes. */
    readonly getVersion: (id: WorkflowVersionId) => Effect.Effect<WorkflowVersionDetail, ReadError, CurrentActor>
    /** The live versions, newest first, filtered by entity type, status, or part of the name (or the id). */
    readonly versions: (search?: WorkflowVersionSearch) => Effect.Effect<ReadonlyArray<WorkflowVersion>, ReadError, CurrentActor>
    /** Adds a follow-up to a DRAFT version: order from 0, a checked condition, live forms. */
    readonly addFollowUp: (versionId: WorkflowVersionId, input: FollowUpInput) => Effect.Effect<FollowUp, ServiceWriteError, CurrentActor>
    /** Changes several follow-ups of DRAFT versions at once (IASO's bulk update), all or nothing. */
    readonly updateFollowUps: (updates: ReadonlyArray<FollowUpUpdate>) => Effect.Effect<ReadonlyArray<FollowUp>, ServiceWriteError, CurrentActor>
    /** Deletes a follow-up of a DRAFT version. */
    readonly removeFollowUp: (id: WorkflowFollowupId) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** Adds a change to a DRAFT version (IASO's mapping rules; one change per version and form). */
    readonly addChange: (versionId: WorkflowVersionId, input: ChangeInput) => Effect.Effect<WorkflowChange, ServiceWriteError, CurrentActor>
    /** Replaces a change's form and mapping, checked again (its version must be a DRAFT). */
    readonly updateChange: (id: WorkflowChangeId, input: ChangeInput) => Effect.Effect<WorkflowChange, ServiceWriteError, CurrentActor>
    /** Deletes a change of a DRAFT version. */
    readonly removeChange: (id: WorkflowChangeId) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /**
     * The follow-ups to offer now for an entity: those of its type's published version whose
     * condition holds on the entity's attributes (its attributes submission's answers), in order.
     * Empty without a published version. Needs `iaso_entities`.
     */
    readonly nextFollowUps: (entityId: EntityId) => Effect.Effect<ReadonlyArray<NextFollowUp>, ReadError, CurrentActor>
    /**
     * IASO's mobile payload for a project: per workflow whose entity type's reference form is in
     * the project, its published version with changes and follow-ups (conditions as JSON text).
     */
    readonly mobile: (projectId: ProjectId) => Effect.Effect<MobileWorkflows, NotFound | StorageError, CurrentActor>
    /** A workflow as names (entity type, forms) and uuids, for {@link Workflows | importWorkflow} in another account. */
    readonly exportWorkflow: (workflowId: WorkflowId) => Effect.Effect<WorkflowExport, ReadError, CurrentActor>
    /**
     * Imports an exported workflow, all or nothing: entity type and forms by name, versions matched
     * by uuid (replaced) or created, every step checked; at most one PUBLISHED version after it.
     */
    readonly importWorkflow: (payload: unknown) => Effect.Effect<WorkflowImportResult, ServiceWriteError, CurrentActor>
  }
>()("@iaso/core/Workflows") {
  static readonly layer = Layer.effect(
    Workflows,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Workflows.of(
        lazyService("the workflows", () => import("./workflows-ops.ts").then((ops) => ops.makeWorkflows(repos)), {
          createVersion: true,
          updateVersion: true,
          copyVersion: true,
          removeVersion: true,
          getVersion: true,
          versions: true,
          addFollowUp: true,
          updateFollowUps: true,
          removeFollowUp: true,
          addChange: true,
          updateChange: true,
          removeChange: true,
          nextFollowUps: true,
          mobile: true,
          exportWorkflow: true,
          importWorkflow: true
        })
      )
    })
  )
}
