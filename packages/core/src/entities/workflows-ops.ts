/**
 * The calls of {@link Workflows} (see `workflows-service.ts` for the rules), loaded by the service
 * when it is first called: an app that never edits, exports or evaluates a workflow leaves them
 * (and the version, step, transfer and evaluation operations) out of its starting code.
 * @module
 */
import { Effect } from "effect"
import type { Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { makeEvaluateOps } from "./workflow-evaluate.ts"
import { makeStepOps } from "./workflow-steps.ts"
import { makeTransferOps } from "./workflow-transfer.ts"
import { makeVersionOps } from "./workflow-versions.ts"
import type { Workflows } from "./workflows-service.ts"

const PERMISSION = ["iaso_workflows"]

/** The calls of {@link Workflows}. */
export const makeWorkflows = (repos: Repositories): Workflows["Service"] => {
  const versionOps = makeVersionOps(repos)
  const stepOps = makeStepOps(repos)
  const evaluateOps = makeEvaluateOps(repos)
  const transferOps = makeTransferOps(repos, versionOps, stepOps)
  /** Runs `body` as the current actor, once it holds `iaso_workflows`. */
  const guarded = <A, E>(action: string, body: (actor: Actor) => Effect.Effect<A, E>) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.andThen(requireAny(actor, PERMISSION, action), body(actor)))
  return {
    createVersion: (input) => guarded("creating workflow versions", (actor) => versionOps.create(actor, input)),
    updateVersion: (id, patch) => guarded("changing workflow versions", (actor) => versionOps.update(actor, id, patch)),
    copyVersion: (id) => guarded("copying workflow versions", (actor) => versionOps.copy(actor, id)),
    removeVersion: (id) => guarded("deleting workflow versions", (actor) => versionOps.remove(actor, id)),
    getVersion: (id) => guarded("reading workflow versions", (actor) => versionOps.get(actor, id)),
    versions: (search) => guarded("reading workflow versions", (actor) => versionOps.list(actor, search)),
    addFollowUp: (versionId, input) => guarded("changing workflow follow-ups", (actor) => stepOps.addFollowUp(actor, versionId, input)),
    updateFollowUps: (updates) => guarded("changing workflow follow-ups", (actor) => stepOps.updateFollowUps(actor, updates)),
    removeFollowUp: (id) => guarded("changing workflow follow-ups", (actor) => stepOps.removeFollowUp(actor, id)),
    addChange: (versionId, input) => guarded("changing workflow changes", (actor) => stepOps.addChange(actor, versionId, input)),
    updateChange: (id, input) => guarded("changing workflow changes", (actor) => stepOps.updateChange(actor, id, input)),
    removeChange: (id) => guarded("changing workflow changes", (actor) => stepOps.removeChange(actor, id)),
    nextFollowUps: (entityId) => Effect.flatMap(Effect.service(CurrentActor), (actor) => evaluateOps.nextFollowUps(actor, entityId)),
    mobile: (projectId) => Effect.flatMap(Effect.service(CurrentActor), (actor) => evaluateOps.mobile(actor, projectId)),
    exportWorkflow: (workflowId) => guarded("exporting workflows", (actor) => transferOps.exportWorkflow(actor, workflowId)),
    importWorkflow: (payload) => guarded("importing workflows", (actor) => transferOps.importWorkflow(actor, payload))
  }
}
