/**
 * Importing a pyramid into a source version, in one transaction: the shared engine behind the
 * GeoPackage, GeoJSON and DHIS2 importers, which only parse their formats into a
 * {@link PyramidInput}. It follows IASO's GeoPackage import (`import_gpkg_file2`): the version is
 * found or created, groups and units are matched by reference within the target version only
 * (`sourceRef`, or `iaso:<id>` for units without one; legacy `iaso#<id>` is read as `iaso:<id>`),
 * types are found by name and depth in the account, parents may come after their children in the
 * input, and paths are computed once every parent is known.
 *
 * Differences from IASO, deliberate: every unknown parent and group is reported at once (IASO stops
 * at the first); a parent chain that loops is refused (IASO would leave units without a path).
 * @module
 */
import type { MultiPolygon, Point, Polygon } from "geojson"
import { Effect, Schema } from "effect"
import { ImportGPKGModel } from "./import-gpkg.ts"
import { audit } from "../kernel/audit.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { BlobRef } from "../shared/blob.ts"
import type { DataSourceId, GroupId, OrgUnitId, OrgUnitTypeId } from "../shared/entity-ids.ts"
import { Forbidden, ValidationError, type ValidationIssue } from "../shared/errors.ts"
import { GeoMultiPolygonInput, GeoPoint, simplifyMultiPolygon } from "../shared/geometry.ts"
import { uuidv7 } from "../shared/ids.ts"
import { chunksOf, findIn, listAll } from "../shared/repository.ts"
import { isCalendarDate, now } from "../shared/time.ts"
import { AccountModel } from "../tenancy/account.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { requireUnrestricted } from "../kernel/row-access.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { type Group, GroupModel, GroupSetGroupModel, GroupSetModel, OrgUnitGroupMembershipModel } from "./groups.ts"
import { type OrgUnit, OrgUnitModel, PATH_SEPARATOR } from "./org-unit.ts"
import { OrgUnitTypeModel, OrgUnitTypeProjectModel } from "./org-unit-type.ts"
import { defaultShortName } from "./org-unit-types-service.ts"
import { DataSourceModel, ProjectDataSourceModel, type SourceVersion, SourceVersionModel } from "./sources.ts"
import type { ValidationStatus } from "./validation-status.ts"
import { lockVersionTrees } from "./version-locks.ts"
import { MAX_HIERARCHY_DEPTH, tooDeepMessage } from "../shared/limits.ts"
import { type LongOperationOptions, longOperation, type ProgressReporter } from "../shared/progress.ts"
import type { Interrupted } from "../shared/errors.ts"

/** One unit of a parsed pyramid. `undefined` means "the input has no such column": the stored value is kept. */
export interface PyramidUnit {
  /** The unit's reference: its `sourceRef`, or `iaso:<id>` naming an existing unit of the version. */
  readonly ref: string
  readonly name: string
  /** The level type, found (or created) by name and depth in the account. */
  readonly type?: { readonly name: string; readonly depth: number }
  /** The parent's reference; absent, `null` or blank: a root. */
  readonly parentRef?: string | null
  /** Group references; `undefined` keeps the unit's groups, `null` or `[]` removes them all. */
  readonly groupRefs?: ReadonlyArray<string> | null
  /** `undefined` or `null` stores "" (IASO overwrites codes with "" when the column is missing). */
  readonly code?: string | null
  /** `YYYY-MM-DD`; `undefined` keeps the stored date, `null` or "" clears it. */
  readonly openingDate?: string | null
  readonly closedDate?: string | null
  /** A point becomes the location, a (multi)polygon the shape (and its simplified shape); `null`/`undefined` keeps them. */
  readonly geometry?: Point | Polygon | MultiPolygon | null
  readonly subSource?: string
  readonly validationStatus?: ValidationStatus
}

/** A parsed pyramid. */
export interface PyramidInput {
  readonly groups: ReadonlyArray<{ readonly ref: string; readonly name: string }>
  readonly groupSets?: ReadonlyArray<{
    readonly ref: string
    readonly name: string
    readonly groupRefs: ReadonlyArray<string>
    readonly groupBelonging?: "SINGLE" | "MULTIPLE"
  }>
  readonly units: ReadonlyArray<PyramidUnit>
}

/** Wording of the errors an importer reports (defaults: IASO's GeoPackage messages). */
export interface PyramidMessages {
  readonly unknownParent: (parentRef: string, unit: PyramidUnit) => string
  readonly unknownGroups: (groupRefs: ReadonlyArray<string>, unit: PyramidUnit) => string
}

/** IASO's GeoPackage error messages. */
export const GPKG_MESSAGES: PyramidMessages = {
  unknownParent: (parentRef, unit) => `Bad GPKG parent ${parentRef} for ${unit.name} don't exist in input or SourceVersion`,
  unknownGroups: (groupRefs, unit) => `Bad GPKG group [${groupRefs.map((ref) => `'${ref}'`).join(", ")}] for ${unit.name} don't exist in input or SourceVersion`
}

/**
 * Options of an import. `onProgress` hears the phases `"validate"` (units checked, of the input's)
 * and `"write"` (units written, of the input's); `signal` stops the import, which then stores
 * nothing (see {@link LongOperationOptions}).
 */
export interface PyramidImportOptions extends LongOperationOptions {
  readonly dataSourceId: DataSourceId
  /** Target version number; absent: the next one (0 for a source without versions, as IASO's importers do). */
  readonly versionNumber?: number
  readonly description?: string
  /** Status of imported units (default `NEW`; IASO's `default_valid` gives `VALID`). */
  readonly validationStatus?: ValidationStatus
  /** Audit source, e.g. `GPKG_IMPORT`. */
  readonly source: string
  readonly messages?: PyramidMessages
  /** When given, an `ImportGPKG` record of this file is written in the same transaction. */
  readonly gpkgFile?: BlobRef
  /** Refuse the import when the target version already has units (DHIS2's rule outside update mode). */
  readonly requireEmptyVersion?: boolean
}

/** What an import did. */
export interface PyramidImportResult {
  readonly version: SourceVersion
  readonly created: number
  readonly updated: number
  readonly groupsCreated: number
  readonly groupsUpdated: number
  readonly typesCreated: number
}

/** Reads legacy `iaso#<id>` references as `iaso:<id>`. */
export const normaliseRef = (ref: string): string => (ref.startsWith("iaso#") ? `iaso:${ref.slice(5)}` : ref)

const refOf = (record: { readonly id: string; readonly sourceRef?: string }): string =>
  record.sourceRef !== undefined && record.sourceRef !== "" ? record.sourceRef : `iaso:${record.id}`

const decodeShape = Schema.decodeUnknownSync(GeoMultiPolygonInput)
const decodePoint = Schema.decodeUnknownSync(GeoPoint)

const BATCH = 2000

/**
 * Walks the trees of `parentOf` (id -> parent id, `undefined` for a root), calling `visit` once
 * for every id a chain of parents reaches, each after its parent: `parent` is `undefined` for a
 * root, and a parent missing from `parentOf` is visited as a root itself. Ids on a loop or below
 * one are not visited; the answer lists, in the order of `parentOf`, each id whose chain was found
 * looping first. Linear in the number of ids whatever the depth: every chain is walked up once,
 * without recursion.
 */
export const walkHierarchy = (
  parentOf: ReadonlyMap<string, string | undefined>,
  visit: (id: string, parent: string | undefined) => void
): ReadonlyArray<string> => {
  // "walking": on the chain being walked up; the others are final.
  const state = new Map<string, "walking" | "visited" | "looping">()
  const loops: Array<string> = []
  const chain: Array<string> = []
  for (const start of parentOf.keys()) {
    if (state.has(start)) continue
    chain.length = 0
    let current: string | undefined = start
    while (current !== undefined && !state.has(current)) {
      chain.push(current)
      state.set(current, "walking")
      current = parentOf.get(current)
    }
    if (current !== undefined && state.get(current) !== "visited") {
      for (const id of chain) state.set(id, "looping")
      loops.push(start)
      continue
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const id = chain[i] ?? ""
      visit(id, i === chain.length - 1 ? current : chain[i + 1])
      state.set(id, "visited")
    }
  }
  return loops
}

/**
 * The materialised path and depth of every unit of `parentOf` (see {@link walkHierarchy}), or the
 * first id of `parentOf` whose chain of parents loops, or the first unit deeper than
 * {@link MAX_HIERARCHY_DEPTH} (depths are known before any path is built: no path past the limit is).
 */
const materialisedPaths = (
  parentOf: ReadonlyMap<string, string | undefined>
):
  | { readonly paths: ReadonlyMap<string, string>; readonly depths: ReadonlyMap<string, number> }
  | { readonly loop: string }
  | { readonly tooDeep: string; readonly depth: number } => {
  const paths = new Map<string, string>()
  const depths = new Map<string, number>()
  let tooDeep: { readonly tooDeep: string; readonly depth: number } | undefined
  const [loop] = walkHierarchy(parentOf, (id, parent) => {
    const depth = (parent === undefined ? 0 : (depths.get(parent) ?? 0)) + 1
    depths.set(id, depth)
    if (depth > MAX_HIERARCHY_DEPTH) tooDeep ??= { tooDeep: id, depth }
    // Parents are visited first: once a unit is too deep, no further path is built.
    if (tooDeep === undefined) paths.set(id, `${parent === undefined ? "" : (paths.get(parent) ?? "")}${id}${PATH_SEPARATOR}`)
  })
  if (loop !== undefined) return { loop }
  if (tooDeep !== undefined) return tooDeep
  return { paths, depths }
}

/** Who may import a pyramid: `iaso_sources`, and no org-unit roots (an import writes a whole version). */
export const requirePyramidImport = (actor: Actor, action: string): Effect.Effect<void, Forbidden> =>
  Effect.andThen(requireAny(actor, ["iaso_sources"], action), requireUnrestricted(actor, action))

/**
 * The import engine over the repositories (`Repos`): what `importPyramid` runs through the
 * `PyramidImports` service (apps never need the repositories).
 */
export const runPyramidImport = (
  input: PyramidInput,
  options: PyramidImportOptions
): Effect.Effect<PyramidImportResult, ServiceWriteError | Interrupted, Repos | CurrentActor> =>
  longOperation("import", options, (progress) => importInTransaction(input, options, progress))

/** The engine's work, reporting to `progress` (see {@link runPyramidImport}). */
const importInTransaction = (input: PyramidInput, options: PyramidImportOptions, progress: ProgressReporter) =>
  Effect.gen(function* () {
    const repos = yield* Repos
    const actor = yield* CurrentActor
    yield* requirePyramidImport(actor, "importing a pyramid")
    const accountId = actor.accountId
    const messages = options.messages ?? GPKG_MESSAGES
    const status = options.validationStatus ?? "NEW"
    return yield* repos.driver.transaction(
      Effect.gen(function* () {
        const at = yield* now
        // 1. The data source, its projects, and the version.
        const source = yield* repos.get(DataSourceModel, accountId, options.dataSourceId)
        if (source.readOnly) return yield* new Forbidden({ message: "Source is marked read only" })
        const projectLinks = yield* listAll((page) => repos.list(ProjectDataSourceModel, accountId, page), {
          where: [{ field: "dataSourceId", op: "eq", value: source.id }],
          orderBy: [{ field: "createdAt" }]
        })
        const projectIds = projectLinks.map((link) => String(link.projectId))
        const firstProject = projectIds[0]
        if (firstProject === undefined) return yield* ValidationError.at(["dataSourceId"], "DataSource must have at least one project assigned")
        yield* repos.get(ProjectModel, accountId, firstProject)
        const versions = yield* listAll((page) => repos.list(SourceVersionModel, accountId, page), {
          where: [{ field: "dataSourceId", op: "eq", value: source.id }],
          orderBy: [{ field: "number" }]
        })
        const number = options.versionNumber ?? (versions.length === 0 ? 0 : (versions[versions.length - 1]?.number ?? 0) + 1)
        const existing = versions.find((v) => v.number === number)
        // Units of an existing version are updated: no other writer may build on them meanwhile.
        if (existing !== undefined) yield* lockVersionTrees(repos, accountId, [existing.id])
        const version: SourceVersion =
          existing !== undefined
            ? yield* repos.update(SourceVersionModel, accountId, existing.id, {})
            : yield* repos.insert(SourceVersionModel, accountId, {
                dataSourceId: source.id,
                number,
                ...(options.description === undefined ? {} : { description: options.description })
              })
        if (source.defaultVersionId === undefined) yield* repos.update(DataSourceModel, accountId, source.id, { defaultVersionId: version.id })
        const account = yield* repos.get(AccountModel, accountId, accountId)
        if (account.defaultVersionId === undefined) yield* repos.update(AccountModel, accountId, accountId, { defaultVersionId: version.id })
        if (options.gpkgFile !== undefined) {
          yield* repos.insert(ImportGPKGModel, accountId, {
            file: options.gpkgFile,
            dataSourceId: source.id,
            ...(options.versionNumber === undefined ? {} : { versionNumber: options.versionNumber }),
            ...(options.description === undefined ? {} : { description: options.description }),
            defaultValid: status === "VALID"
          })
        }

        // 2. Groups of the version, matched by reference.
        const inVersion = { where: [{ field: "versionId", op: "eq", value: version.id }] } as const
        const existingGroups = yield* listAll((page) => repos.list(GroupModel, accountId, page), inVersion)
        const groupsByRef = new Map<string, Group>()
        for (const group of existingGroups) groupsByRef.set(refOf(group), group)
        let groupsCreated = 0
        let groupsUpdated = 0
        for (const row of input.groups) {
          const ref = normaliseRef(row.ref)
          const found = groupsByRef.get(ref)
          if (found === undefined) {
            const created = yield* repos.insert(GroupModel, accountId, { name: row.name, sourceRef: ref, versionId: version.id, blockOfCountries: false })
            groupsByRef.set(ref, created)
            groupsCreated += 1
            yield* audit(repos, actor, options.source, GroupModel, [{ id: created.id, after: created }])
          } else {
            const updated = yield* repos.update(GroupModel, accountId, found.id, {
              name: row.name,
              ...(found.sourceRef === undefined && !ref.startsWith("iaso:") ? { sourceRef: ref } : {})
            })
            groupsByRef.set(ref, updated)
            groupsUpdated += 1
            yield* audit(repos, actor, options.source, GroupModel, [{ id: found.id, before: found, after: updated }])
          }
        }

        // 3. Units of the version, matched by reference.
        const existingUnits = yield* listAll((page) => repos.list(OrgUnitModel, accountId, page), inVersion)
        if (options.requireEmptyVersion === true && existingUnits.length > 0) {
          return yield* ValidationError.at(["versionNumber"], `version ${version.number} already has ${existingUnits.length} org units`)
        }
        const unitsByRef = new Map<string, OrgUnit>()
        for (const unit of existingUnits) unitsByRef.set(refOf(unit), unit)

        // 4. Types by (name, depth): the source's first project first, then the account; created otherwise.
        const accountTypes = yield* listAll((page) => repos.list(OrgUnitTypeModel, accountId, page))
        const typeLinks = yield* listAll((page) => repos.list(OrgUnitTypeProjectModel, accountId, page))
        const typeProjects = new Map<string, Set<string>>()
        for (const link of typeLinks) {
          const set = typeProjects.get(String(link.orgUnitTypeId)) ?? new Set()
          set.add(String(link.projectId))
          typeProjects.set(String(link.orgUnitTypeId), set)
        }
        const typeCache = new Map<string, OrgUnitTypeId>()
        let typesCreated = 0
        const resolveType = (type: { readonly name: string; readonly depth: number }) =>
          Effect.gen(function* () {
            const key = `${type.depth}\u0000${type.name}`
            const cached = typeCache.get(key)
            if (cached !== undefined) return cached
            const same = accountTypes.filter((t) => t.name === type.name && t.depth === type.depth)
            let chosen = same.find((t) => typeProjects.get(t.id)?.has(firstProject)) ?? same[0]
            if (chosen === undefined) {
              chosen = yield* repos.insert(OrgUnitTypeModel, accountId, { name: type.name, shortName: defaultShortName(type.name), depth: type.depth })
              typesCreated += 1
            }
            const linked = typeProjects.get(chosen.id) ?? new Set<string>()
            const missing = projectIds.filter((p) => !linked.has(p))
            if (missing.length > 0) {
              yield* repos.insertMany(
                OrgUnitTypeProjectModel,
                accountId,
                missing.map((projectId) => ({ orgUnitTypeId: chosen.id, projectId })),
                { atomic: true }
              )
              for (const p of missing) linked.add(p)
              typeProjects.set(chosen.id, linked)
            }
            typeCache.set(key, chosen.id)
            return chosen.id
          })

        // 5. Validate references and build every unit's fields (paths come after).
        const issues: Array<ValidationIssue> = []
        const inputRefs = new Set(input.units.map((unit) => normaliseRef(unit.ref)))
        const plans: Array<{
          readonly unit: PyramidUnit
          readonly ref: string
          readonly id: OrgUnitId
          readonly existing: OrgUnit | undefined
          readonly fields: Record<string, unknown>
          readonly parentRef: string | undefined
          readonly groups: ReadonlyArray<GroupId> | undefined
        }> = []
        const seenRefs = new Set<string>()
        for (const [index, unit] of input.units.entries()) {
          const ref = normaliseRef(unit.ref)
          if (seenRefs.has(ref)) {
            issues.push({ path: ["units", index, "ref"], message: `duplicate ref ${ref}` })
            continue
          }
          seenRefs.add(ref)
          const existingUnit = unitsByRef.get(ref)
          const parentRaw = unit.parentRef === undefined || unit.parentRef === null ? "" : unit.parentRef.trim()
          const parentRef = parentRaw === "" ? undefined : normaliseRef(parentRaw)
          if (parentRef !== undefined && !inputRefs.has(parentRef) && !unitsByRef.has(parentRef)) {
            issues.push({ path: ["units", index, "parentRef"], message: messages.unknownParent(parentRaw, unit) })
          }
          let groups: Array<GroupId> | undefined
          if (unit.groupRefs !== undefined) {
            const refs = (unit.groupRefs ?? []).map((r) => normaliseRef(r.trim())).filter((r) => r !== "")
            const unknown = refs.filter((r) => !groupsByRef.has(r))
            if (unknown.length > 0) issues.push({ path: ["units", index, "groupRefs"], message: messages.unknownGroups(unknown, unit) })
            groups = [...new Set(refs.flatMap((r) => (groupsByRef.get(r)?.id === undefined ? [] : [groupsByRef.get(r)?.id as GroupId])))]
          }
          const fields: Record<string, unknown> = {
            name: unit.name.trim(),
            validationStatus: unit.validationStatus ?? status,
            versionId: version.id,
            code: (unit.code ?? "").trim(),
            ...(ref.startsWith("iaso:") && existingUnit !== undefined ? {} : { sourceRef: ref })
          }
          if (unit.subSource !== undefined) fields["subSource"] = unit.subSource
          if (unit.type !== undefined) fields["orgUnitTypeId"] = yield* resolveType(unit.type)
          for (const key of ["openingDate", "closedDate"] as const) {
            const value = unit[key]
            if (value === undefined) continue
            if (value === null || value.trim() === "") fields[key] = null
            else if (!isCalendarDate(value.trim()))
              issues.push({
                path: ["units", index, key],
                message: `Error parsing ${key === "openingDate" ? "opening_date" : "closed_date"} for ${unit.name}: ${value}`
              })
            else fields[key] = value.trim()
          }
          const geometry = unit.geometry
          if (geometry !== undefined && geometry !== null) {
            try {
              if (geometry.type === "Point") {
                const [lon, lat, alt] = geometry.coordinates
                if (lon !== undefined && lat !== undefined && !Number.isNaN(lon) && !Number.isNaN(lat)) {
                  fields["location"] = decodePoint({ type: "Point", coordinates: [lon, lat, alt ?? 0] })
                }
              } else {
                const shape = decodeShape(geometry)
                fields["geom"] = shape
                fields["simplifiedGeom"] = simplifyMultiPolygon(shape)
              }
            } catch (error) {
              issues.push({ path: ["units", index, "geometry"], message: Schema.isSchemaError(error) ? error.message : String(error) })
            }
          }
          plans.push({ unit, ref, id: existingUnit?.id ?? (uuidv7(at.getTime()) as OrgUnitId), existing: existingUnit, fields, parentRef, groups })
          if ((index + 1) % BATCH === 0) yield* progress.report("validate", index + 1, input.units.length)
        }
        yield* progress.report("validate", input.units.length, input.units.length)
        if (issues.length > 0) {
          return yield* new ValidationError({ message: issues.map((issue) => issue.message).join("\n"), issues })
        }

        // 6. Parents and paths: the final parent of every unit of the version, then paths from the roots.
        const idByRef = new Map<string, OrgUnitId>()
        for (const [ref, unit] of unitsByRef) idByRef.set(ref, unit.id)
        for (const plan of plans) idByRef.set(plan.ref, plan.id)
        const parentOf = new Map<string, string | undefined>()
        for (const unit of existingUnits) parentOf.set(unit.id, unit.parentId)
        for (const plan of plans) parentOf.set(plan.id, plan.parentRef === undefined ? undefined : idByRef.get(plan.parentRef))
        const hierarchy = materialisedPaths(parentOf)
        if ("loop" in hierarchy) {
          const plan = plans.find((p) => p.id === hierarchy.loop)
          return yield* ValidationError.at(["units"], `the parents of ${plan?.unit.name ?? hierarchy.loop} form a loop`)
        }
        if ("tooDeep" in hierarchy) {
          const plan = plans.find((p) => p.id === hierarchy.tooDeep)
          const what = plan === undefined ? `the unit ${hierarchy.tooDeep}` : `${plan.unit.ref} (${plan.unit.name})`
          return yield* ValidationError.at(["units"], tooDeepMessage(what, hierarchy.depth))
        }
        const { paths, depths } = hierarchy

        // 7. Writes: new units in batches; changed units one by one; paths of untouched units that moved.
        const inserts: Array<Record<string, unknown>> = []
        let updated = 0
        let written = 0
        for (const plan of plans) {
          const path = paths.get(plan.id) ?? ""
          const depth = depths.get(plan.id) ?? 0
          const parentId = parentOf.get(plan.id)
          if (plan.existing === undefined) {
            const record: Record<string, unknown> = { custom: false, extraFields: {}, ...plan.fields, id: plan.id, path, depth }
            if (parentId !== undefined) record["parentId"] = parentId
            for (const [key, value] of Object.entries(record)) if (value === null) delete record[key]
            inserts.push(record)
          } else {
            const patch: Record<string, unknown> = { ...plan.fields, path, depth, parentId: parentId ?? null }
            const after = yield* repos.update(OrgUnitModel, accountId, plan.id, patch)
            updated += 1
            if (after.geom !== undefined || after.location !== undefined)
              yield* audit(repos, actor, options.source, OrgUnitModel, [{ id: plan.id, before: plan.existing, after }])
            written += 1
            if (written % BATCH === 0) yield* progress.report("write", written, plans.length)
          }
        }
        for (const batch of chunksOf(inserts, BATCH)) {
          const result = yield* repos.insertMany(OrgUnitModel, accountId, batch, { atomic: true })
          const withGeometry = result.items.flatMap((item) =>
            item._tag === "Ok" && (item.value.geom !== undefined || item.value.location !== undefined) ? [{ id: item.value.id, after: item.value }] : []
          )
          yield* audit(repos, actor, options.source, OrgUnitModel, withGeometry)
          written += batch.length
          yield* progress.report("write", written, plans.length)
        }
        const planned = new Set(plans.map((plan) => plan.id))
        for (const unit of existingUnits) {
          if (planned.has(unit.id)) continue
          const path = paths.get(unit.id)
          if (path !== undefined && path !== unit.path) {
            yield* repos.update(OrgUnitModel, accountId, unit.id, { path, depth: depths.get(unit.id) ?? 0 })
          }
        }

        // 8. Group memberships of units whose input named their groups.
        const withGroups = plans.filter((plan) => plan.groups !== undefined)
        if (withGroups.length > 0) {
          const ids = new Set(withGroups.map((plan) => plan.id as string))
          const existingIds = new Set(existingUnits.map((unit) => unit.id as string))
          const current = yield* findIn(
            (page) => repos.list(OrgUnitGroupMembershipModel, accountId, page),
            "orgUnitId",
            [...ids].filter((id) => existingIds.has(id))
          )
          const wanted = new Map(withGroups.map((plan) => [plan.id as string, new Set(plan.groups)]))
          const kept = new Set<string>()
          for (const link of current) {
            if (wanted.get(link.orgUnitId)?.has(link.groupId) === true) kept.add(`${link.orgUnitId}\u0000${link.groupId}`)
            else yield* repos.remove(OrgUnitGroupMembershipModel, accountId, link.id)
          }
          const fresh = withGroups.flatMap((plan) =>
            (plan.groups ?? []).filter((groupId) => !kept.has(`${plan.id}\u0000${groupId}`)).map((groupId) => ({ groupId, orgUnitId: plan.id }))
          )
          for (const batch of chunksOf(fresh, BATCH)) yield* repos.insertMany(OrgUnitGroupMembershipModel, accountId, batch, { atomic: true })
        }

        // 9. Group sets.
        for (const set of input.groupSets ?? []) {
          const ref = normaliseRef(set.ref)
          const groupIds = set.groupRefs.flatMap((r) => {
            const group = groupsByRef.get(normaliseRef(r))
            return group === undefined ? [] : [group.id]
          })
          const existingSets = yield* repos.list(GroupSetModel, accountId, {
            where: [
              { field: "versionId", op: "eq", value: version.id },
              { field: "sourceRef", op: "eq", value: ref }
            ],
            limit: 1
          })
          const found = existingSets.items[0]
          const saved =
            found?.id === undefined
              ? yield* repos.insert(GroupSetModel, accountId, {
                  name: set.name,
                  sourceRef: ref,
                  versionId: version.id,
                  groupBelonging: set.groupBelonging ?? "SINGLE"
                })
              : yield* repos.update(GroupSetModel, accountId, found.id, { name: set.name, groupBelonging: set.groupBelonging ?? "SINGLE" })
          const links = yield* listAll((page) => repos.list(GroupSetGroupModel, accountId, page), {
            where: [{ field: "groupSetId", op: "eq", value: saved.id }]
          })
          const have = new Set(links.map((link) => String(link.groupId)))
          const add = groupIds.filter((id) => !have.has(id)).map((groupId) => ({ groupSetId: saved.id, groupId }))
          if (add.length > 0) yield* repos.insertMany(GroupSetGroupModel, accountId, add, { atomic: true })
        }

        yield* progress.report("write", plans.length, plans.length)
        return { version, created: inserts.length, updated, groupsCreated, groupsUpdated, typesCreated }
      })
    )
  })
