/**
 * What the submission verbs and the ingestion share: IASO's access rules on submissions (which
 * submissions an actor sees, which it may change: `can_user_modify`), a submission's live files,
 * and how their writes narrow the store's write errors.
 * @module
 */
import { Effect } from "effect"
import { narrowErrors, orDieOnInvalidListing, versionConflictAsRetryable } from "../kernel/expect.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { Forbidden, NotFound, type StorageError, type ValidationError } from "../shared/errors.ts"
import type { InstanceId } from "../shared/entity-ids.ts"
import { type OrgUnit, OrgUnitModel } from "../registry/org-unit.ts"
import { type BulkResult, listAll, type Repositories, type WriteError } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { type Instance, type InstanceFile, InstanceFileModel, InstanceLockModel, InstanceModel, SUBMISSION_PERMISSIONS } from "./instance-model.ts"

/** Audit source of deletions, restorations and locks (IASO's instance API). */
export const INSTANCE_API_SOURCE = "INSTANCE_API"

/**
 * A write of the submission verbs: a concurrent writer's change (a stale version) is a retryable
 * storage error; a missing record, a taken unique key or a refused delete are defects.
 */
export const narrowWrite = <A>(effect: Effect.Effect<A, WriteError | StorageError>): Effect.Effect<A, ValidationError | StorageError> =>
  narrowErrors(
    versionConflictAsRetryable(effect),
    ["NotFound", "AlreadyExists", "Conflict"],
    "a submission write of records just read, or of new records whose references were checked, was refused"
  )

/** The first failed item of a bulk write, as a failure. */
export const allWritten = <T>(result: BulkResult<T>): Effect.Effect<ReadonlyArray<T>, WriteError> => {
  const values: Array<T> = []
  for (const item of result.items) {
    if (item._tag === "Failed") return Effect.fail(item.error)
    values.push(item.value)
  }
  return Effect.succeed(values)
}

/** Whether an org unit is under one of these paths (`undefined`: unrestricted, every unit). */
export const reaches = (paths: ReadonlyArray<string> | undefined, unit: OrgUnit): boolean =>
  paths === undefined || paths.some((path) => unit.path.startsWith(path))

/** Reads of stored submissions need one of {@link SUBMISSION_PERMISSIONS}, as do changes to them. */
export const readable = (actor: Actor) => requireAny(actor, SUBMISSION_PERMISSIONS, "reading submissions")
export const writable = (actor: Actor) => requireAny(actor, SUBMISSION_PERMISSIONS, "changing submissions")

/** The access rules and reads over the store that the submission verbs and the ingestion share. */
export const makeSubmissionAccess = (repos: Repositories) => {
  /** The paths of the actor's org-unit roots, or `undefined` for an unrestricted actor (the kernel's row access). */
  const { rootPaths } = makeRowAccess(repos)

  /**
   * Whether the actor sees a submission: unrestricted actors see all; restricted ones those under
   * their org units. `known`: org units the caller has just read (not read again).
   */
  const sees = (actor: Actor, paths: ReadonlyArray<string> | undefined, instance: Instance, known?: ReadonlyMap<string, OrgUnit>) =>
    Effect.gen(function* () {
      if (paths === undefined) return true
      if (instance.orgUnitId === undefined) return false
      const [unit] =
        known?.has(instance.orgUnitId) === true ? [known.get(instance.orgUnitId)] : yield* repos.getMany(OrgUnitModel, actor.accountId, [instance.orgUnitId])
      return unit !== undefined && reaches(paths, unit)
    })

  /** A submission the actor may see, else NotFound. */
  const load = (actor: Actor, paths: ReadonlyArray<string> | undefined, id: string) =>
    Effect.gen(function* () {
      const instance = yield* repos.get(InstanceModel, actor.accountId, id)
      if (!(yield* sees(actor, paths, instance))) return yield* NotFound.of("Instance", id)
      return instance
    })

  const activeLocks = (actor: Actor, instanceId: string) =>
    listAll((page) => repos.list(InstanceLockModel, actor.accountId, page), {
      where: [
        { field: "instanceId", op: "eq", value: instanceId },
        { field: "unlockedById", op: "isNull" }
      ]
    }).pipe(orDieOnInvalidListing(InstanceLockModel))

  /** IASO's `can_user_modify`: no active lock, or the shallowest active lock's org unit is reachable. */
  const mayModify = (actor: Actor, paths: ReadonlyArray<string> | undefined, instance: Instance) =>
    Effect.gen(function* () {
      const locks = yield* activeLocks(actor, instance.id)
      if (locks.length === 0 || paths === undefined) return true
      const units = yield* repos.getMany(
        OrgUnitModel,
        actor.accountId,
        locks.map((lock) => String(lock.topOrgUnitId))
      )
      const shallowest = [...units].sort((a, b) => a.depth - b.depth)[0]
      return shallowest !== undefined && reaches(paths, shallowest)
    })

  const requireModify = (actor: Actor, paths: ReadonlyArray<string> | undefined, instance: Instance) =>
    Effect.flatMap(mayModify(actor, paths, instance), (ok) =>
      ok ? Effect.void : Effect.fail(new Forbidden({ message: `the submission ${instance.id} is locked from an org unit you cannot reach` }))
    )

  /** A submission's files (not deleted), in id order. */
  const liveFiles = (accountId: string, instanceId: string): Effect.Effect<ReadonlyArray<InstanceFile>, StorageError> =>
    listAll((page) => repos.list(InstanceFileModel, accountId, page), {
      where: [
        { field: "instanceId", op: "eq", value: instanceId },
        { field: "deleted", op: "eq", value: false }
      ]
    }).pipe(orDieOnInvalidListing(InstanceFileModel))

  /** A submission the actor may read, with the actor and the paths of its org-unit roots. */
  const readOne = (id: InstanceId) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const paths = yield* rootPaths(actor)
      return { actor, paths, instance: yield* load(actor, paths, id) }
    })

  return { rootPaths, sees, load, mayModify, requireModify, liveFiles, readOne }
}

/** What {@link makeSubmissionAccess} gives. */
export type SubmissionAccess = ReturnType<typeof makeSubmissionAccess>
