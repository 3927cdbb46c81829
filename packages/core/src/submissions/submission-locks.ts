/**
 * Locks on submissions (IASO's instance locks): taken from the actor's shallowest org unit above
 * the submission, released by a user, listed newest first; and `can_user_modify`, the rule they
 * enforce.
 * @module
 */
import { Effect } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { OrgUnitModel, PATH_SEPARATOR } from "../registry/org-unit.ts"
import type { InstanceId, InstanceLockId, OrgUnitId } from "../shared/entity-ids.ts"
import { Forbidden, NotFound, ValidationError } from "../shared/errors.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { CurrentActor } from "../tenancy/actor.ts"
import { InstanceLockModel } from "./instance-model.ts"
import { INSTANCE_API_SOURCE, narrowWrite, type SubmissionAccess, writable } from "./submission-access.ts"

/** Taking, releasing and listing the locks of submissions. */
export const makeSubmissionLocks = (repos: Repositories, access: SubmissionAccess) => {
  const { load, mayModify, readOne, requireModify, rootPaths } = access

  const lock = (id: InstanceId) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const userId = actor.userId
      if (userId === undefined) return yield* new Forbidden({ message: "a lock is taken by a user: this actor has none" })
      const paths = yield* rootPaths(actor)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const instance = yield* load(actor, paths, id)
          if (instance.orgUnitId === undefined) return yield* ValidationError.at(["orgUnitId"], "a submission without an org unit cannot be locked")
          yield* requireModify(actor, paths, instance)
          const unit = yield* repos.get(OrgUnitModel, actor.accountId, instance.orgUnitId)
          let top: string | undefined
          if (actor.orgUnitRoots.length === 0) {
            top = unit.path.split(PATH_SEPARATOR)[0]
          } else {
            const roots = yield* repos.getMany(OrgUnitModel, actor.accountId, actor.orgUnitRoots)
            top = roots.filter((root) => unit.path.startsWith(root.path)).sort((a, b) => a.depth - b.depth)[0]?.id
          }
          if (top === undefined || top === "") return yield* NotFound.of("Instance", id)
          const created = yield* narrowWrite(
            repos.insert(InstanceLockModel, actor.accountId, {
              instanceId: instance.id,
              lockedAt: yield* now,
              lockedById: userId,
              topOrgUnitId: top as OrgUnitId
            })
          )
          yield* audit(repos, actor, INSTANCE_API_SOURCE, InstanceLockModel, [{ id: created.id, after: created }])
          return created
        })
      )
    })

  const unlock = (lockId: InstanceLockId) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const userId = actor.userId
      if (userId === undefined) return yield* new Forbidden({ message: "a lock is released by a user: this actor has none" })
      const paths = yield* rootPaths(actor)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* repos.get(InstanceLockModel, actor.accountId, lockId)
          const instance = yield* load(actor, paths, before.instanceId)
          yield* requireModify(actor, paths, instance)
          if (before.unlockedById !== undefined) return yield* ValidationError.at(["lock"], "Lock already unlocked")
          const after = yield* narrowWrite(
            repos.update(InstanceLockModel, actor.accountId, lockId, { unlockedById: userId, unlockedAt: yield* now }, { expectedVersion: before.version })
          )
          yield* audit(repos, actor, INSTANCE_API_SOURCE, InstanceLockModel, [{ id: lockId, before, after }])
          return after
        })
      )
    })

  const locks = (id: InstanceId) =>
    Effect.gen(function* () {
      const { actor, instance } = yield* readOne(id)
      return yield* listAll((page) => repos.list(InstanceLockModel, actor.accountId, page), {
        where: [{ field: "instanceId", op: "eq", value: instance.id }],
        orderBy: [{ field: "lockedAt", direction: "desc" }]
      }).pipe(orDieOnInvalidListing(InstanceLockModel))
    })

  const canModify = (id: InstanceId) => Effect.flatMap(readOne(id), ({ actor, paths, instance }) => mayModify(actor, paths, instance))

  return { lock, unlock, locks, canModify }
}
