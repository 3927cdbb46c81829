/**
 * Soft deletion and restoration of submissions (IASO's `deleted` flag), under `can_user_modify`.
 * @module
 */
import { Effect } from "effect"
import { audit } from "../kernel/audit.ts"
import type { InstanceId } from "../shared/entity-ids.ts"
import type { Repositories } from "../shared/repository.ts"
import { CurrentActor } from "../tenancy/actor.ts"
import { InstanceModel } from "./instance-model.ts"
import { INSTANCE_API_SOURCE, narrowWrite, type SubmissionAccess, writable } from "./submission-access.ts"

/** Soft-deleting and restoring submissions. */
export const makeSubmissionDeletion = (repos: Repositories, access: SubmissionAccess) => {
  const { load, requireModify, rootPaths } = access

  const setDeleted = (id: InstanceId, deleted: boolean) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const paths = yield* rootPaths(actor)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* load(actor, paths, id)
          yield* requireModify(actor, paths, before)
          if (before.deleted === deleted) return before
          const after = yield* narrowWrite(
            repos.update(
              InstanceModel,
              actor.accountId,
              id,
              { deleted, ...(actor.userId === undefined ? {} : { lastModifiedById: actor.userId }) },
              { expectedVersion: before.version }
            )
          )
          yield* audit(repos, actor, INSTANCE_API_SOURCE, InstanceModel, [{ id, before, after }])
          return after
        })
      )
    })

  return {
    softDelete: (id: InstanceId) => setDeleted(id, true),
    restore: (id: InstanceId) => setDeleted(id, false)
  }
}
