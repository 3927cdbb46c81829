/**
 * The copy of a version's pyramid into another version (IASO's `copy_version` task; see the
 * module documentation of `versions-service.ts`).
 * @module
 */
import { Effect } from "effect"
import { audit } from "../kernel/audit.ts"
import type { ServiceWriteError } from "../kernel/repos.ts"
import { requireUnrestricted } from "../kernel/row-access.ts"
import type { DataSourceId, OrgUnitId, SourceVersionId } from "../shared/entity-ids.ts"
import { Forbidden, type Interrupted, ValidationError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { AnyModel } from "../shared/model.ts"
import { type LongOperationOptions, longOperation, type ProgressReporter } from "../shared/progress.ts"
import { chunksOf, findIn, listAll, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { CurrentActor, requireAny } from "../tenancy/actor.ts"
import { GroupModel, GroupSetGroupModel, GroupSetModel, OrgUnitGroupMembershipModel } from "./groups.ts"
import { OrgUnitModel, PATH_SEPARATOR } from "./org-unit.ts"
import { DataSourceModel, type SourceVersion, SourceVersionModel } from "./sources.ts"
import { lockVersionTrees } from "./version-locks.ts"

/** Audit source of a copy (IASO's task name). */
const SOURCE = "COPY_VERSION"

/** Rows written per `insertMany` call. */
const BATCH = 2000

/**
 * What to copy, and where. `onProgress` hears the phase `"write"` (units copied, of the copied
 * version's, after each batch); `signal` stops the copy, which then stores nothing.
 */
export interface VersionCopyInput extends LongOperationOptions {
  /** The version whose pyramid is copied. */
  readonly sourceVersionId: SourceVersionId
  /** The data source of the destination version (default: the copied version's own source). */
  readonly destinationDataSourceId?: DataSourceId
  /** The destination version's number (default: the destination source's latest number + 1). */
  readonly destinationNumber?: number
  /** Overwrite a destination version that already has org units (they are deleted first). */
  readonly force?: boolean
}

/** What a copy did. */
export interface VersionCopyResult {
  /** The destination version. */
  readonly version: SourceVersion
  /** Whether the destination version was created by the copy. */
  readonly versionCreated: boolean
  /** Units of the destination deleted first (with `force`). */
  readonly deletedOrgUnits: number
  readonly orgUnits: number
  readonly groups: number
  readonly groupSets: number
  /** Unit-in-group links written. */
  readonly groupMemberships: number
  /** Group-in-set links written. */
  readonly groupSetLinks: number
}

/** A stored record without the fields the SDK sets, ready to be inserted again under a new id. */
const copyable = (record: object): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...record }
  for (const key of ["id", "accountId", "version", "createdAt", "updatedAt"]) delete out[key]
  return out
}

/** Deletes every unit of a version: each root with its subtree (and what references them), then any stray unit. */
const deleteUnits = (repos: Repositories, accountId: string, versionId: string) =>
  Effect.gen(function* () {
    const inVersion = { field: "versionId", op: "eq", value: versionId } as const
    const roots = yield* listAll((page) => repos.list(OrgUnitModel, accountId, page), {
      where: [inVersion, { field: "parentId", op: "isNull" }],
      select: ["path"]
    })
    for (const root of roots) yield* repos.remove(OrgUnitModel, accountId, root.id)
    // Units whose parent is outside the version (never written by core) are not under any root.
    const strays = yield* listAll((page) => repos.list(OrgUnitModel, accountId, page), { where: [inVersion], orderBy: [{ field: "path" }], select: ["path"] })
    for (const stray of strays) yield* repos.remove(OrgUnitModel, accountId, stray.id).pipe(Effect.catchTag("NotFound", () => Effect.void))
  })

/** The copy of a version (see `Versions.copy`). */
export const copyVersion = (repos: Repositories, input: VersionCopyInput): Effect.Effect<VersionCopyResult, ServiceWriteError | Interrupted, CurrentActor> =>
  longOperation("copy", input, (progress) => copyInTransaction(repos, input, progress))

/** The copy, reporting to `progress`. */
const copyInTransaction = (repos: Repositories, input: VersionCopyInput, progress: ProgressReporter) =>
  Effect.gen(function* () {
    const actor = yield* CurrentActor
    yield* requireAny(actor, ["iaso_sources"], "copying a source version")
    yield* requireUnrestricted(actor, "copying a source version")
    const accountId = actor.accountId
    return yield* repos.driver.transaction(
      Effect.gen(function* () {
        const at = yield* now
        const newId = () => uuidv7(at.getTime())

        // 1. The copied version and the destination version (found or created).
        const from = yield* repos.get(SourceVersionModel, accountId, input.sourceVersionId)
        const destinationSourceId = input.destinationDataSourceId ?? from.dataSourceId
        const destinationSource = yield* repos.get(DataSourceModel, accountId, destinationSourceId)
        // IASO's task does not look at read_only; every other writer of org units refuses it.
        if (destinationSource.readOnly) return yield* new Forbidden({ message: `the data source ${destinationSource.name} is read-only` })
        const versions = yield* listAll((page) => repos.list(SourceVersionModel, accountId, page), {
          where: [{ field: "dataSourceId", op: "eq", value: destinationSourceId }],
          orderBy: [{ field: "number" }]
        })
        // IASO's task fails when the destination source has no version; starting at 1 is what its API does.
        const number = input.destinationNumber ?? (versions[versions.length - 1]?.number ?? 0) + 1
        if (!Number.isInteger(number) || number < 0) return yield* ValidationError.at(["destinationNumber"], "expected a whole number from 0")
        if (destinationSourceId === from.dataSourceId && number === from.number) {
          return yield* ValidationError.at(["destinationNumber"], "Cannot copy a version to the same version")
        }
        const existing = versions.find((v) => v.number === number)
        // The destination's units may be deleted: no other writer may build on them meanwhile. (The
        // copied version is read after this transaction's first write, which holds the store's
        // write order: no writer commits in it until the copy ends.)
        if (existing !== undefined && input.force === true) yield* lockVersionTrees(repos, accountId, [existing.id])
        let version: SourceVersion
        let deletedOrgUnits = 0
        if (existing === undefined) {
          version = yield* repos.insert(SourceVersionModel, accountId, { dataSourceId: destinationSourceId, number })
          yield* audit(repos, actor, SOURCE, SourceVersionModel, [{ id: version.id, after: version }])
        } else {
          version = existing
          deletedOrgUnits = yield* repos.count(OrgUnitModel, accountId, [{ field: "versionId", op: "eq", value: version.id }])
          if (deletedOrgUnits > 0 && input.force !== true) {
            return yield* ValidationError.at(["force"], `This is going to delete ${deletedOrgUnits} org units records. Use the force parameter to proceed`)
          }
          if (deletedOrgUnits > 0) yield* deleteUnits(repos, accountId, version.id)
        }
        const inFrom = { field: "versionId", op: "eq", value: from.id } as const

        // 2. Group sets, then groups, then the groups' set links re-pointed at the new sets.
        /** Inserts `rows` in batches of {@link BATCH}, each all or nothing. */
        const insertAll = (model: AnyModel, rows: ReadonlyArray<unknown>) =>
          Effect.forEach(chunksOf(rows, BATCH), (batch) => repos.insertMany(model, accountId, batch, { atomic: true }), { discard: true })
        /** Every record of the copied version in `model`, copied into the destination under a new id; the new id of each old one. */
        const copyRecords = (model: typeof GroupSetModel | typeof GroupModel) =>
          Effect.gen(function* () {
            const records = yield* listAll((page) => repos.list(model, accountId, page), { where: [inFrom] })
            const ids = new Map<string, string>()
            const rows = records.map((record) => {
              const id = newId()
              ids.set(record.id, id)
              return { ...copyable(record), id, versionId: version.id }
            })
            yield* insertAll(model, rows)
            return ids
          })
        const setIds = yield* copyRecords(GroupSetModel)
        const groupIds = yield* copyRecords(GroupModel)
        const setLinks = yield* findIn((page) => repos.list(GroupSetGroupModel, accountId, page), "groupSetId", [...setIds.keys()])
        const setLinkRows = setLinks.flatMap((link) => {
          const groupSetId = setIds.get(link.groupSetId)
          const groupId = groupIds.get(link.groupId)
          return groupSetId === undefined || groupId === undefined ? [] : [{ groupSetId, groupId }]
        })
        yield* insertAll(GroupSetGroupModel, setLinkRows)

        // 3. Units, page by page in path order (a parent always comes before its children), so each
        //    new parent id and path is known when its children are written.
        const placed = new Map<string, { readonly id: OrgUnitId; readonly path: string; readonly depth: number }>()
        const total = yield* repos.count(OrgUnitModel, accountId, [inFrom])
        let orgUnits = 0
        let cursor: string | undefined
        do {
          // Page by page (not read whole): whole units with their geometries, written as they come.
          const page = yield* repos.list(OrgUnitModel, accountId, {
            where: [inFrom],
            orderBy: [{ field: "path" }],
            limit: BATCH,
            ...(cursor === undefined ? {} : { cursor })
          })
          const rows = page.items.map((unit) => {
            const id = newId() as OrgUnitId
            const parent = unit.parentId === undefined ? undefined : placed.get(unit.parentId)
            const path = `${parent?.path ?? ""}${id}${PATH_SEPARATOR}`
            const depth = (parent?.depth ?? 0) + 1
            placed.set(unit.id, { id, path, depth })
            const row: Record<string, unknown> = { ...copyable(unit), id, versionId: version.id, path, depth }
            if (parent === undefined) delete row["parentId"]
            else row["parentId"] = parent.id
            return row
          })
          if (rows.length > 0) yield* repos.insertMany(OrgUnitModel, accountId, rows, { atomic: true })
          orgUnits += rows.length
          yield* progress.report("write", orgUnits, total)
          cursor = page.cursor
        } while (cursor !== undefined)

        // 4. Memberships re-added to the new groups.
        const memberships = yield* findIn((page) => repos.list(OrgUnitGroupMembershipModel, accountId, page), "groupId", [...groupIds.keys()])
        const membershipRows = memberships.flatMap((link) => {
          const groupId = groupIds.get(link.groupId)
          const unit = placed.get(link.orgUnitId)
          return groupId === undefined || unit === undefined ? [] : [{ groupId, orgUnitId: unit.id }]
        })
        yield* insertAll(OrgUnitGroupMembershipModel, membershipRows)

        return {
          version,
          versionCreated: existing === undefined,
          deletedOrgUnits,
          orgUnits,
          groups: groupIds.size,
          groupSets: setIds.size,
          groupMemberships: membershipRows.length,
          groupSetLinks: setLinkRows.length
        }
      })
    )
  })
