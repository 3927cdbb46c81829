/**
 * The copy of a version's pyramid into another version (IASO's `copy_version` task; see the
 * module documentation of `versions-service.ts`).
 * @module
 */
import { Effect } from "effect"
import { audit } from "../kernel/audit.ts"
import type { ServiceWriteError } from "../kernel/repos.ts"
import { requireUnrestricted } from "../kernel/row-access.ts"
import type { DataSourceId, GroupId, GroupSetId, OrgUnitId, SourceVersionId } from "../shared/entity-ids.ts"
import { Forbidden, ValidationError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import { allPages, chunksOf, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { CurrentActor, requireAny } from "../tenancy/actor.ts"
import { type Group, GroupModel, type GroupSet, GroupSetGroupModel, GroupSetModel, OrgUnitGroupMembershipModel } from "./groups.ts"
import { type OrgUnit, OrgUnitModel, PATH_SEPARATOR } from "./org-unit.ts"
import { DataSourceModel, type SourceVersion, SourceVersionModel } from "./sources.ts"
import { CHUNK, PAGE, withCursor } from "./version-paging.ts"

/** Audit source of a copy (IASO's task name). */
const SOURCE = "COPY_VERSION"

/** Rows written per `insertMany` call. */
const BATCH = 2000

/** What to copy, and where. */
export interface VersionCopyInput {
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
    const roots = yield* allPages((cursor) =>
      repos.list(OrgUnitModel, accountId, { where: [inVersion, { field: "parentId", op: "isNull" }], select: ["path"], limit: PAGE, ...withCursor(cursor) })
    )
    for (const root of roots) if (root.id !== undefined) yield* repos.remove(OrgUnitModel, accountId, root.id)
    // Units whose parent is outside the version (never written by core) are not under any root.
    const strays = yield* allPages((cursor) =>
      repos.list(OrgUnitModel, accountId, { where: [inVersion], orderBy: [{ field: "path" }], select: ["path"], limit: PAGE, ...withCursor(cursor) })
    )
    for (const stray of strays) {
      if (stray.id !== undefined) yield* repos.remove(OrgUnitModel, accountId, stray.id).pipe(Effect.catchTag("NotFound", () => Effect.void))
    }
  })

export const copyVersion = (repos: Repositories, input: VersionCopyInput): Effect.Effect<VersionCopyResult, ServiceWriteError, CurrentActor> =>
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
        const versions = yield* allPages((cursor) =>
          repos.list(SourceVersionModel, accountId, {
            where: [{ field: "dataSourceId", op: "eq", value: destinationSourceId }],
            orderBy: [{ field: "number" }],
            limit: PAGE,
            ...withCursor(cursor)
          })
        )
        // IASO's task fails when the destination source has no version; starting at 1 is what its API does.
        const number = input.destinationNumber ?? (versions[versions.length - 1]?.number ?? 0) + 1
        if (!Number.isInteger(number) || number < 0) return yield* ValidationError.at(["destinationNumber"], "expected a whole number from 0")
        if (destinationSourceId === from.dataSourceId && number === from.number) {
          return yield* ValidationError.at(["destinationNumber"], "Cannot copy a version to the same version")
        }
        const existing = versions.find((v) => v.number === number) as SourceVersion | undefined
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
        const sets = (yield* allPages((cursor) => repos.list(GroupSetModel, accountId, { where: [inFrom], limit: PAGE, ...withCursor(cursor) }))) as ReadonlyArray<GroupSet>
        const setIds = new Map<string, GroupSetId>()
        const setRows = sets.map((set) => {
          const id = newId() as GroupSetId
          setIds.set(set.id, id)
          return { ...copyable(set), id, versionId: version.id }
        })
        for (const batch of chunksOf(setRows, BATCH)) yield* repos.insertMany(GroupSetModel, accountId, batch, { atomic: true })
        const groups = (yield* allPages((cursor) => repos.list(GroupModel, accountId, { where: [inFrom], limit: PAGE, ...withCursor(cursor) }))) as ReadonlyArray<Group>
        const groupIds = new Map<string, GroupId>()
        const groupRows = groups.map((group) => {
          const id = newId() as GroupId
          groupIds.set(group.id, id)
          return { ...copyable(group), id, versionId: version.id }
        })
        for (const batch of chunksOf(groupRows, BATCH)) yield* repos.insertMany(GroupModel, accountId, batch, { atomic: true })
        let groupSetLinks = 0
        for (const chunk of chunksOf([...setIds.keys()], CHUNK)) {
          const links = yield* allPages((cursor) =>
            repos.list(GroupSetGroupModel, accountId, { where: [{ field: "groupSetId", op: "in", value: chunk }], limit: PAGE, ...withCursor(cursor) })
          )
          const rows = links.flatMap((link) => {
            const groupSetId = setIds.get(String(link.groupSetId))
            const groupId = groupIds.get(String(link.groupId))
            return groupSetId === undefined || groupId === undefined ? [] : [{ groupSetId, groupId }]
          })
          for (const batch of chunksOf(rows, BATCH)) yield* repos.insertMany(GroupSetGroupModel, accountId, batch, { atomic: true })
          groupSetLinks += rows.length
        }

        // 3. Units, page by page in path order (a parent always comes before its children), so each
        //    new parent id and path is known when its children are written.
        const placed = new Map<string, { readonly id: OrgUnitId; readonly path: string; readonly depth: number }>()
        let orgUnits = 0
        let cursor: string | undefined
        do {
          const page = yield* repos.list(OrgUnitModel, accountId, { where: [inFrom], orderBy: [{ field: "path" }], limit: BATCH, ...withCursor(cursor) })
          const rows = (page.items as ReadonlyArray<OrgUnit>).map((unit) => {
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
          cursor = page.cursor
        } while (cursor !== undefined)

        // 4. Memberships re-added to the new groups.
        let groupMemberships = 0
        for (const chunk of chunksOf([...groupIds.keys()], CHUNK)) {
          let membershipCursor: string | undefined
          do {
            const page = yield* repos.list(OrgUnitGroupMembershipModel, accountId, {
              where: [{ field: "groupId", op: "in", value: chunk }],
              limit: PAGE,
              ...withCursor(membershipCursor)
            })
            const rows = page.items.flatMap((link) => {
              const groupId = groupIds.get(String(link.groupId))
              const unit = placed.get(String(link.orgUnitId))
              return groupId === undefined || unit === undefined ? [] : [{ groupId, orgUnitId: unit.id }]
            })
            for (const batch of chunksOf(rows, BATCH)) yield* repos.insertMany(OrgUnitGroupMembershipModel, accountId, batch, { atomic: true })
            groupMemberships += rows.length
            membershipCursor = page.cursor
          } while (membershipCursor !== undefined)
        }

        return {
          version,
          versionCreated: existing === undefined,
          deletedOrgUnits,
          orgUnits,
          groups: groupRows.length,
          groupSets: setRows.length,
          groupMemberships,
          groupSetLinks
        }
      })
    )
  })
