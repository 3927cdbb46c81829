/**
 * Work that rewrites or reads a whole version's tree in one transaction (a pyramid import into a
 * version that has units, a version copy) holds every root of the version exclusively first, on
 * stores where several connections write at once: no unit can then be created, moved or updated
 * in those trees until the transaction ends, so the paths it computes stay true and a copy reads
 * one state of the tree (see the store's `lockSubtrees`).
 * @module
 */
import { Effect } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import type { StorageError } from "../shared/errors.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { OrgUnitModel } from "./org-unit.ts"

/**
 * Locks the trees of these versions against every other writer until the transaction ends (where
 * writers are concurrent; elsewhere there is nothing to do). Call it before the transaction's
 * first write.
 */
export const lockVersionTrees = (repos: Repositories, accountId: string, versionIds: ReadonlyArray<string>): Effect.Effect<void, StorageError> =>
  Effect.gen(function* () {
    if (!repos.driver.capabilities.concurrentWriters || versionIds.length === 0) return
    const roots = yield* listAll((page) => repos.list(OrgUnitModel, accountId, page), {
      where: [
        { field: "versionId", op: "in", value: [...versionIds] },
        { field: "parentId", op: "isNull" }
      ],
      select: ["path"]
    }).pipe(orDieOnInvalidListing(OrgUnitModel))
    if (roots.length === 0) return
    yield* repos.driver.lockSubtrees(OrgUnitModel, { accountId }, { exclusive: roots.map((root) => root.path), shared: [] })
  })
