/**
 * The diff of two versions (IASO's `Differ`; see the module documentation of
 * `versions-service.ts`): both pyramids read whole, filtered, paired by `sourceRef`, and each
 * requested field compared.
 * @module
 */
import { Effect } from "effect"
import { requireUnrestricted } from "../kernel/row-access.ts"
import type { OrgUnitTypeId } from "../shared/entity-ids.ts"
import { type Forbidden, type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import type { RecordOf } from "../shared/model.ts"
import { chunksOf, findIn, IN_CHUNK, listAll, type Repositories } from "../shared/repository.ts"
import { compareCodePoints } from "../shared/text.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { type Group, GroupModel, OrgUnitGroupMembershipModel } from "./groups.ts"
import { type OrgUnit, OrgUnitModel } from "./org-unit.ts"
import { OrgUnitTypeModel } from "./org-unit-type.ts"
import { SourceVersionModel } from "./sources.ts"
import type { ValidationStatus } from "./validation-status.ts"
import {
  DIFF_FIELDS,
  type DiffedOrgUnit,
  type DiffValue,
  type FieldComparison,
  type FieldDiffStatus,
  type OrgUnitDiff,
  type OrgUnitDiffStatus,
  type VersionDiff,
  type VersionDiffInput
} from "./version-diff-types.ts"
import { centroidDistanceKm, isGeometry, isGroupList, sameGeometry, sameGroups, sameScalar, sameText, truthy } from "./version-diff-values.ts"

/** The unit fields a diff reads. */
const UNIT_FIELDS = ["name", "path", "parentId", "sourceRef", "orgUnitTypeId", "validationStatus", "openingDate", "closedDate", "code"] as const
/** The unit fields a diff reads when it compares geometries (optional fields: absent when not read). */
const GEOMETRY_FIELDS = ["location", "geom", "simplifiedGeom"] as const

/** A unit as a diff reads it. */
type LoadedUnit = Pick<OrgUnit, "id" | (typeof UNIT_FIELDS)[number] | (typeof GEOMETRY_FIELDS)[number]>

/** How one field is read from a unit and compared. */
interface FieldKind {
  readonly field: string
  readonly read: (unit: LoadedUnit | undefined) => DiffValue
  readonly same: (before: DiffValue, after: DiffValue) => boolean
}

/** The compared versions loaded in memory. */
interface Pyramid {
  readonly byId: ReadonlyMap<string, LoadedUnit>
  /** The units the filters keep, in id order. */
  readonly kept: ReadonlyArray<LoadedUnit>
}

const ancestorNames = (pyramid: Pyramid, unit: LoadedUnit): ReadonlyArray<string> => {
  const names: Array<string> = []
  const seen = new Set<string>([unit.id])
  let parentId = unit.parentId
  while (parentId !== undefined && !seen.has(parentId)) {
    seen.add(parentId)
    const parent = pyramid.byId.get(parentId)
    if (parent === undefined) break
    names.push(parent.name)
    parentId = parent.parentId
  }
  return names
}

const DEFAULT_STATUSES: ReadonlyArray<OrgUnitDiffStatus> = ["new", "modified", "not in origin - ignored"]

/** The diff of two versions, over the store. */
export const makeDiff = (repos: Repositories) => {
  /** The unit or group a filter names (none when `id` is absent), which must be in the version `versionId`. */
  const inVersion = <M extends typeof OrgUnitModel | typeof GroupModel>(
    actor: Actor,
    model: M,
    id: string | undefined,
    versionId: string,
    path: keyof VersionDiffInput,
    versionField: keyof VersionDiffInput
  ) =>
    Effect.gen(function* () {
      if (id === undefined) return undefined
      const record: RecordOf<M> = yield* repos.get(model, actor.accountId, id)
      if (record.versionId !== versionId) return yield* ValidationError.at([path], `not in ${versionField}`)
      return record
    })

  return (input: VersionDiffInput): Effect.Effect<VersionDiff, NotFound | Forbidden | ValidationError | StorageError, CurrentActor> =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* requireAny(actor, ["iaso_sources"], "comparing source versions")
      yield* requireUnrestricted(actor, "comparing source versions")
      const accountId = actor.accountId
      const version = yield* repos.get(SourceVersionModel, accountId, input.versionId)
      const reference = yield* repos.get(SourceVersionModel, accountId, input.referenceVersionId)
      const top = yield* inVersion(actor, OrgUnitModel, input.topOrgUnitId, version.id, "topOrgUnitId", "versionId")
      const referenceTop = yield* inVersion(actor, OrgUnitModel, input.referenceTopOrgUnitId, reference.id, "referenceTopOrgUnitId", "referenceVersionId")
      const group = yield* inVersion(actor, GroupModel, input.groupId, version.id, "groupId", "versionId")
      const referenceGroup = yield* inVersion(actor, GroupModel, input.referenceGroupId, reference.id, "referenceGroupId", "referenceVersionId")
      const requested = [...new Set(input.fields ?? DIFF_FIELDS)]
      for (const [index, field] of requested.entries()) {
        if (!(DIFF_FIELDS as ReadonlyArray<string>).includes(field)) return yield* ValidationError.at(["fields", index], `unknown field ${String(field)}`)
      }
      const withGroups = requested.includes("groups")
      const statuses = new Set(input.statuses ?? DEFAULT_STATUSES)

      // The units of both versions: all of them (parents and ancestors are looked up by id), then the filters.
      const select = requested.includes("geometry") ? [...UNIT_FIELDS, ...GEOMETRY_FIELDS] : UNIT_FIELDS
      const load = (versionId: string): Effect.Effect<ReadonlyArray<LoadedUnit>, ValidationError | StorageError> =>
        listAll((page) => repos.list(OrgUnitModel, accountId, page), { where: [{ field: "versionId", op: "eq", value: versionId }], select })
      const units = yield* load(version.id)
      const referenceUnits = version.id === reference.id ? units : yield* load(reference.id)

      // Group memberships of both versions (for the group fields and the group filters).
      const groupsOfUnit = new Map<string, Array<Group>>()
      const membersOf = new Map<string, Set<string>>()
      if (withGroups || group !== undefined || referenceGroup !== undefined) {
        const versionIds = [...new Set([version.id, reference.id])]
        const groups = yield* listAll((page) => repos.list(GroupModel, accountId, page), { where: [{ field: "versionId", op: "in", value: versionIds }] })
        const byId = new Map(groups.map((g) => [g.id as string, g]))
        for (const link of yield* findIn((page) => repos.list(OrgUnitGroupMembershipModel, accountId, page), "groupId", [...byId.keys()])) {
          const found = byId.get(link.groupId)
          if (found === undefined) continue
          const list = groupsOfUnit.get(link.orgUnitId) ?? []
          list.push(found)
          groupsOfUnit.set(link.orgUnitId, list)
          const members = membersOf.get(found.id) ?? new Set<string>()
          members.add(link.orgUnitId)
          membersOf.set(found.id, members)
        }
      }

      const filter = (
        all: ReadonlyArray<LoadedUnit>,
        status: ValidationStatus | undefined,
        topPath: string | undefined,
        typeIds: ReadonlyArray<OrgUnitTypeId> | undefined,
        groupId: string | undefined
      ): Pyramid => {
        const types = typeIds === undefined || typeIds.length === 0 ? undefined : new Set<string>(typeIds)
        const members = groupId === undefined ? undefined : (membersOf.get(groupId) ?? new Set<string>())
        const kept = all
          .filter(
            (unit) =>
              (status === undefined || unit.validationStatus === status) &&
              (topPath === undefined || unit.path.startsWith(topPath)) &&
              (types === undefined || (unit.orgUnitTypeId !== undefined && types.has(unit.orgUnitTypeId))) &&
              (members === undefined || members.has(unit.id))
          )
          .sort((a, b) => compareCodePoints(a.id, b.id))
        return { byId: new Map(all.map((unit) => [unit.id as string, unit])), kept }
      }
      const compared = filter(units, input.validationStatus, top?.path, input.orgUnitTypeIds, group?.id)
      const referenced = filter(referenceUnits, input.referenceValidationStatus, referenceTop?.path, input.referenceOrgUnitTypeIds, referenceGroup?.id)

      // The compared fields: the requested ones, then one per group (with a sourceRef) of either
      // version holding a compared unit, in sourceRef order; the oldest group names the field.
      const fieldNames: Array<string> = requested.filter((field) => field !== "groups")
      if (withGroups) {
        const comparedIds = new Set<string>([...compared.kept.map((u) => u.id), ...referenced.kept.map((u) => u.id)])
        const byRef = new Map<string, Group>()
        for (const [unitId, list] of groupsOfUnit) {
          if (!comparedIds.has(unitId)) continue
          for (const g of list) {
            if (g.sourceRef === undefined) continue
            const known = byRef.get(g.sourceRef)
            if (known === undefined || compareCodePoints(g.id, known.id) < 0) byRef.set(g.sourceRef, g)
          }
        }
        for (const ref of [...byRef.keys()].sort(compareCodePoints)) fieldNames.push(`group:${ref}:${byRef.get(ref)?.name ?? ""}`)
      }
      const parentRef =
        (pyramid: Pyramid) =>
        (unit: LoadedUnit | undefined): DiffValue => {
          if (unit?.parentId === undefined) return null
          return pyramid.byId.get(unit.parentId)?.sourceRef ?? null
        }
      const kindsFor = (pyramid: Pyramid): ReadonlyArray<FieldKind> =>
        fieldNames.map((field): FieldKind => {
          switch (field) {
            case "name":
              return { field, read: (unit) => (unit === undefined ? null : unit.name), same: sameText }
            case "code":
              return { field, read: (unit) => (unit === undefined ? null : (unit.code ?? "")), same: sameText }
            case "parent":
              return { field, read: parentRef(pyramid), same: sameScalar }
            case "opening_date":
              return { field, read: (unit) => unit?.openingDate ?? null, same: sameScalar }
            case "closed_date":
              return { field, read: (unit) => unit?.closedDate ?? null, same: sameScalar }
            case "geometry":
              return { field, read: (unit) => unit?.location ?? unit?.geom ?? unit?.simplifiedGeom ?? null, same: sameGeometry }
            default: {
              const ref = field.split(":")[1] ?? ""
              return {
                field,
                read: (unit) =>
                  unit === undefined
                    ? null
                    : (groupsOfUnit.get(unit.id) ?? []).filter((g) => g.sourceRef === ref).map((g) => ({ id: ref, name: g.name, groupId: g.id })),
                same: sameGroups
              }
            }
          }
        })
      const comparedKinds = kindsFor(compared)
      const referenceKinds = kindsFor(referenced)

      const typeIds = [...new Set([...compared.kept, ...referenced.kept].flatMap((unit) => (unit.orgUnitTypeId === undefined ? [] : [unit.orgUnitTypeId])))]
      const typeNames = new Map<string, string>()
      for (const chunk of chunksOf(typeIds, IN_CHUNK))
        for (const type of yield* repos.getMany(OrgUnitTypeModel, accountId, chunk)) typeNames.set(type.id, type.name)
      const describe = (pyramid: Pyramid, unit: LoadedUnit): DiffedOrgUnit => {
        const typeName = unit.orgUnitTypeId === undefined ? undefined : typeNames.get(unit.orgUnitTypeId)
        return {
          id: unit.id,
          name: unit.name,
          ...(unit.sourceRef === undefined ? {} : { sourceRef: unit.sourceRef }),
          ...(unit.orgUnitTypeId === undefined ? {} : { orgUnitTypeId: unit.orgUnitTypeId }),
          ...(typeName === undefined ? {} : { typeName }),
          ancestorNames: ancestorNames(pyramid, unit)
        }
      }

      // Pairs by sourceRef (the first compared unit with a ref wins); units without one never pair.
      const comparedByRef = new Map<string, LoadedUnit>()
      for (const unit of compared.kept) if (unit.sourceRef !== undefined && !comparedByRef.has(unit.sourceRef)) comparedByRef.set(unit.sourceRef, unit)
      const diffs: Array<OrgUnitDiff> = []
      for (const after of referenced.kept) {
        const before = after.sourceRef === undefined ? undefined : comparedByRef.get(after.sourceRef)
        const comparisons = fieldNames.map((field, index): FieldComparison => {
          const beforeValue = comparedKinds[index]?.read(before) ?? null
          const afterValue = referenceKinds[index]?.read(after) ?? null
          const same = referenceKinds[index]?.same(beforeValue, afterValue) ?? true
          let status: FieldDiffStatus = same ? "same" : "modified"
          if (!truthy(beforeValue) && truthy(afterValue)) status = "new"
          if (!same && beforeValue !== null && (afterValue === null || (isGroupList(afterValue) && afterValue.length === 0))) status = "not in origin - ignored"
          const distance =
            field !== "geometry"
              ? undefined
              : same
                ? 0
                : isGeometry(beforeValue) && isGeometry(afterValue)
                  ? centroidDistanceKm(beforeValue, afterValue)
                  : undefined
          return { field, status, before: beforeValue, after: afterValue, ...(distance === undefined ? {} : { distanceKm: distance }) }
        })
        const status: OrgUnitDiffStatus = before === undefined ? "new" : comparisons.every((c) => c.status === "same") ? "same" : "modified"
        if (!statuses.has(status)) continue
        diffs.push({ status, ...(before === undefined ? {} : { before: describe(compared, before) }), after: describe(referenced, after), comparisons })
      }
      if (statuses.has("not in origin - ignored")) {
        const referenceRefs = new Set(referenced.kept.flatMap((unit) => (unit.sourceRef === undefined ? [] : [unit.sourceRef])))
        for (const before of compared.kept) {
          if (before.sourceRef !== undefined && (referenceRefs.has(before.sourceRef) || comparedByRef.get(before.sourceRef) !== before)) continue
          const comparisons = fieldNames.map(
            (field, index): FieldComparison => ({ field, status: "not in origin - ignored", before: comparedKinds[index]?.read(before) ?? null, after: null })
          )
          diffs.push({ status: "not in origin - ignored", before: describe(compared, before), comparisons })
        }
      }
      return { fields: fieldNames, diffs }
    })
}
