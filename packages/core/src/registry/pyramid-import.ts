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
 *
 * In bounded memory: the input is read in chunks ({@link PyramidSource}), three times (references
 * and parents; validation; writes, after a read for the changed units when the version has units),
 * and what is kept between reads is a few strings and numbers per unit (its ref, id and parent),
 * not the units: paths are made as units are written, only those of units with children kept. New
 * units are written in chunks by `chunkWriter`, the next chunk encoded by the `ImportEncoder` (a
 * worker thread with `ImportWorkers.layer`) while one is written.
 * @module
 */
import type { MultiPolygon, Point, Polygon } from "geojson"
import { Effect, Schema } from "effect"
import { ImportGPKGModel } from "./import-gpkg.ts"
import { audit } from "../kernel/audit.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { BlobRef } from "../shared/blob.ts"
import type { DataSourceId, GroupId, OrgUnitTypeId } from "../shared/entity-ids.ts"
import { Forbidden, ValidationError, type ValidationIssue } from "../shared/errors.ts"
import { GeoMultiPolygonInput, GeoPoint, simplifyMultiPolygon } from "../shared/geometry.ts"
import { uuidv7 } from "../shared/ids.ts"
import { chunksOf, findIn, listAll } from "../shared/repository.ts"
import { chunkWriter } from "./import-encoder.ts"
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

/**
 * A pyramid read in chunks: the GeoPackage importer's streaming form (`@iaso/geopackage`), which
 * keeps a large file's units out of memory. The engine reads the units two or three times (their
 * references and parents; validation; writes, with a read of the changed units first when the
 * version has units), so each read must give the same units in the same order.
 */
export interface PyramidSource {
  readonly groups: PyramidInput["groups"]
  readonly groupSets?: PyramidInput["groupSets"]
  /**
   * Reads the units in input order, handing them to `each` in chunks of any size; fails with the
   * first failure of `each`, or with a `ValidationError` of its own (e.g. a file that cannot be read again).
   */
  readonly readUnits: <E, R>(each: (chunk: ReadonlyArray<PyramidUnit>) => Effect.Effect<void, E, R>) => Effect.Effect<void, E | ValidationError, R>
}

/** A parsed pyramid as a {@link PyramidSource} (its units in chunks of `chunkSize`). */
export const pyramidSource = (input: PyramidInput, chunkSize = 2000): PyramidSource => ({
  groups: input.groups,
  ...(input.groupSets === undefined ? {} : { groupSets: input.groupSets }),
  readUnits: (each) =>
    Effect.gen(function* () {
      for (let start = 0; start < input.units.length; start += chunkSize) yield* each(input.units.slice(start, start + chunkSize))
    })
})

const isSource = (input: PyramidInput | PyramidSource): input is PyramidSource => "readUnits" in input

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
 * {@link walkHierarchy} over nodes numbered from 0 (`parents[node]`: the parent's number, -1 for a
 * root), starting from the nodes of `order` in turn (every node, in number order, without one):
 * every reached node's depth (0 for a node on a loop), the first start whose chain of parents
 * loops, and the first node visited deeper than `MAX_HIERARCHY_DEPTH`.
 */
export const walkNodes = (
  parents: ArrayLike<number>,
  order?: ReadonlyArray<number>
): { readonly depths: Int32Array; readonly loop: number | undefined; readonly tooDeep: { readonly node: number; readonly depth: number } | undefined } => {
  // 0: not reached, 1: on the chain being walked up, 2: visited, 3: looping.
  const state = new Uint8Array(parents.length)
  const depths = new Int32Array(parents.length)
  const chain: Array<number> = []
  let loop: number | undefined
  let tooDeep: { readonly node: number; readonly depth: number } | undefined
  const starts = order?.length ?? parents.length
  for (let k = 0; k < starts; k++) {
    const start = order === undefined ? k : (order[k] ?? -1)
    if (start < 0 || state[start] !== 0) continue
    chain.length = 0
    let current = start
    while (current >= 0 && state[current] === 0) {
      chain.push(current)
      state[current] = 1
      current = parents[current] ?? -1
    }
    if (current >= 0 && state[current] !== 2) {
      for (const node of chain) state[node] = 3
      loop ??= start
      continue
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const node = chain[i] ?? 0
      const parent = i === chain.length - 1 ? current : (chain[i + 1] ?? -1)
      const depth = (parent < 0 ? 0 : (depths[parent] ?? 0)) + 1
      depths[node] = depth
      if (depth > MAX_HIERARCHY_DEPTH) tooDeep ??= { node, depth }
      state[node] = 2
    }
  }
  return { depths, loop, tooDeep }
}

/**
 * The materialised paths of nodes (see {@link walkNodes}; no loop), made when asked: only the
 * paths of nodes with children are kept, so the paths of a million units are never all in memory.
 */
const nodePaths = (ids: ReadonlyArray<string>, parents: ReadonlyArray<number>) => {
  const hasChildren = new Uint8Array(parents.length)
  for (const parent of parents) if (parent >= 0) hasChildren[parent] = 1
  const kept = new Map<number, string>()
  const chain: Array<number> = []
  return {
    get: (node: number): string => {
      chain.length = 0
      let current = node
      let path = ""
      while (current >= 0) {
        const known = kept.get(current)
        if (known !== undefined) {
          path = known
          break
        }
        chain.push(current)
        current = parents[current] ?? -1
      }
      for (let i = chain.length - 1; i >= 0; i--) {
        const at = chain[i] ?? 0
        path = `${path}${ids[at] ?? ""}${PATH_SEPARATOR}`
        if (hasChildren[at] === 1) kept.set(at, path)
      }
      return path
    }
  }
}

/** Who may import a pyramid: `iaso_sources`, and no org-unit roots (an import writes a whole version). */
export const requirePyramidImport = (actor: Actor, action: string): Effect.Effect<void, Forbidden> =>
  Effect.andThen(requireAny(actor, ["iaso_sources"], action), requireUnrestricted(actor, action))

/**
 * The import engine over the repositories (`Repos`): what `importPyramid` runs through the
 * `PyramidImports` service (apps never need the repositories).
 */
export const runPyramidImport = (
  input: PyramidInput | PyramidSource,
  options: PyramidImportOptions
): Effect.Effect<PyramidImportResult, ServiceWriteError | Interrupted, Repos | CurrentActor> =>
  longOperation("import", options, (progress) => importInTransaction(isSource(input) ? input : pyramidSource(input), options, progress))

/** The engine's work, reporting to `progress` (see {@link runPyramidImport}). */
const importInTransaction = (pyramid: PyramidSource, options: PyramidImportOptions, progress: ProgressReporter) =>
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
        for (const row of pyramid.groups) {
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

        // 5. The units' references, ids and parents (a first read of the input: nothing else of a unit is kept).
        const refs: Array<string> = []
        const parentRefs: Array<string | undefined> = []
        const refIndex = new Map<string, number>()
        const duplicates = new Set<number>()
        yield* pyramid.readUnits((chunk) =>
          Effect.sync(() => {
            for (const unit of chunk) {
              const index = refs.length
              const ref = normaliseRef(unit.ref)
              refs.push(ref)
              if (refIndex.has(ref)) duplicates.add(index)
              else refIndex.set(ref, index)
              const parentRaw = unit.parentRef === undefined || unit.parentRef === null ? "" : unit.parentRef.trim()
              parentRefs.push(parentRaw === "" ? undefined : normaliseRef(parentRaw))
            }
          })
        )
        const total = refs.length
        const planned = total - duplicates.size
        // Nodes of the hierarchy: the input's units (by index; a duplicate is none), then the
        // version's units the input leaves alone, then any parent id those name outside the version.
        const ids: Array<string> = new Array(total)
        const nodeOfId = new Map<string, number>()
        for (let i = 0; i < total; i++) {
          if (duplicates.has(i)) continue
          const existingUnit = unitsByRef.get(refs[i] ?? "")
          const id = existingUnit?.id ?? uuidv7(at.getTime())
          ids[i] = id
          if (existingUnit !== undefined) nodeOfId.set(id, i)
        }
        const untouched: Array<OrgUnit> = []
        for (const unit of existingUnits) {
          if (nodeOfId.has(unit.id)) continue
          nodeOfId.set(unit.id, ids.length)
          ids.push(unit.id)
          untouched.push(unit)
        }
        const parents: Array<number> = new Array(ids.length).fill(-1)
        const nodeOfRef = (ref: string): number => {
          const index = refIndex.get(ref)
          if (index !== undefined) return index
          const existingUnit = unitsByRef.get(ref)
          return existingUnit === undefined ? -1 : (nodeOfId.get(existingUnit.id) ?? -1)
        }
        for (let i = 0; i < total; i++) {
          const parentRef = parentRefs[i]
          if (!duplicates.has(i) && parentRef !== undefined) parents[i] = nodeOfRef(parentRef)
        }
        parentRefs.length = 0
        for (const [j, unit] of untouched.entries()) {
          if (unit.parentId === undefined) continue
          let parent = nodeOfId.get(unit.parentId)
          if (parent === undefined) {
            // A parent outside the version is walked as a root of its own (as the version's paths were made).
            parent = ids.length
            nodeOfId.set(unit.parentId, parent)
            ids.push(unit.parentId)
            parents.push(-1)
          }
          parents[total + j] = parent
        }
        // The walk's order: the version's units first (in their listing order), then the new ones.
        const order: Array<number> = []
        for (const unit of existingUnits) order.push(nodeOfId.get(unit.id) ?? -1)
        for (let i = 0; i < total; i++) if (!duplicates.has(i) && !nodeOfId.has(ids[i] ?? "")) order.push(i)
        const hierarchy = walkNodes(parents, order)

        // 6. Validate every unit and build its fields (a second read), types created as found.
        const issues: Array<ValidationIssue> = []
        /** The unit at `loop` / `tooDeep`, for the messages (read in this pass). */
        let loopUnit: PyramidUnit | undefined
        let deepUnit: PyramidUnit | undefined
        const fieldsOf = (unit: PyramidUnit, index: number, problems: Array<ValidationIssue> | undefined, full: boolean) => {
          const ref = refs[index] ?? ""
          const existingUnit = unitsByRef.get(ref)
          const parentRaw = unit.parentRef === undefined || unit.parentRef === null ? "" : unit.parentRef.trim()
          const parentRef = parentRaw === "" ? undefined : normaliseRef(parentRaw)
          if (problems !== undefined && parentRef !== undefined && !refIndex.has(parentRef) && !unitsByRef.has(parentRef)) {
            problems.push({ path: ["units", index, "parentRef"], message: messages.unknownParent(parentRaw, unit) })
          }
          let groups: Array<GroupId> | undefined
          if (unit.groupRefs !== undefined) {
            const groupRefs = (unit.groupRefs ?? []).map((r) => normaliseRef(r.trim())).filter((r) => r !== "")
            const unknown = groupRefs.filter((r) => !groupsByRef.has(r))
            if (problems !== undefined && unknown.length > 0)
              problems.push({ path: ["units", index, "groupRefs"], message: messages.unknownGroups(unknown, unit) })
            groups = [...new Set(groupRefs.flatMap((r) => (groupsByRef.get(r)?.id === undefined ? [] : [groupsByRef.get(r)?.id as GroupId])))]
          }
          const fields: Record<string, unknown> = {
            name: unit.name.trim(),
            validationStatus: unit.validationStatus ?? status,
            versionId: version.id,
            code: (unit.code ?? "").trim(),
            ...(ref.startsWith("iaso:") && existingUnit !== undefined ? {} : { sourceRef: ref })
          }
          if (unit.subSource !== undefined) fields["subSource"] = unit.subSource
          if (unit.type !== undefined) fields["orgUnitTypeId"] = typeCache.get(`${unit.type.depth}\u0000${unit.type.name}`)
          for (const key of ["openingDate", "closedDate"] as const) {
            const value = unit[key]
            if (value === undefined) continue
            if (value === null || value.trim() === "") fields[key] = null
            else if (!isCalendarDate(value.trim())) {
              problems?.push({
                path: ["units", index, key],
                message: `Error parsing ${key === "openingDate" ? "opening_date" : "closed_date"} for ${unit.name}: ${value}`
              })
            } else fields[key] = value.trim()
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
                // The simplified shape only for the writes (validation needs the shape alone).
                if (full) fields["simplifiedGeom"] = simplifyMultiPolygon(shape)
              }
            } catch (error) {
              problems?.push({ path: ["units", index, "geometry"], message: Schema.isSchemaError(error) ? error.message : String(error) })
            }
          }
          return { fields, existing: existingUnit, groups }
        }
        let validated = 0
        yield* pyramid.readUnits((chunk) =>
          Effect.gen(function* () {
            for (const unit of chunk) {
              const index = validated
              validated += 1
              if (index === hierarchy.loop) loopUnit = unit
              if (index === hierarchy.tooDeep?.node) deepUnit = unit
              if (duplicates.has(index)) issues.push({ path: ["units", index, "ref"], message: `duplicate ref ${refs[index] ?? ""}` })
              else {
                if (unit.type !== undefined && !typeCache.has(`${unit.type.depth}\u0000${unit.type.name}`)) yield* resolveType(unit.type)
                fieldsOf(unit, index, issues, false)
              }
              if (validated % BATCH === 0) yield* progress.report("validate", validated, total)
            }
          })
        )
        yield* progress.report("validate", total, total)
        if (issues.length > 0) {
          return yield* new ValidationError({ message: issues.map((issue) => issue.message).join("\n"), issues })
        }
        if (hierarchy.loop !== undefined) {
          const what = hierarchy.loop < total ? (loopUnit?.name ?? ids[hierarchy.loop]) : ids[hierarchy.loop]
          return yield* ValidationError.at(["units"], `the parents of ${what ?? ""} form a loop`)
        }
        if (hierarchy.tooDeep !== undefined) {
          const { node, depth } = hierarchy.tooDeep
          const what = node < total && deepUnit !== undefined ? `${deepUnit.ref} (${deepUnit.name})` : `the unit ${ids[node] ?? ""}`
          return yield* ValidationError.at(["units"], tooDeepMessage(what, depth))
        }
        const paths = nodePaths(ids, parents)

        // 7. Writes: changed units one by one (a third read, when the version has units), then new
        // units in chunks (the next chunk encoded while one is written), each chunk's group
        // memberships after it; paths of untouched units that moved.
        let updated = 0
        let written = 0
        const memberships = (chunk: ReadonlyArray<{ readonly id: string; readonly groups: ReadonlyArray<GroupId> }>, existingIds: ReadonlyArray<string>) =>
          Effect.gen(function* () {
            if (chunk.length === 0) return
            const current =
              existingIds.length === 0 ? [] : yield* findIn((page) => repos.list(OrgUnitGroupMembershipModel, accountId, page), "orgUnitId", existingIds)
            const wanted = new Map(chunk.map((entry) => [entry.id, new Set(entry.groups)]))
            const kept = new Set<string>()
            for (const link of current) {
              if (wanted.get(link.orgUnitId)?.has(link.groupId) === true) kept.add(`${link.orgUnitId}\u0000${link.groupId}`)
              else yield* repos.remove(OrgUnitGroupMembershipModel, accountId, link.id)
            }
            const fresh = chunk.flatMap((entry) =>
              entry.groups.filter((groupId) => !kept.has(`${entry.id}\u0000${groupId}`)).map((groupId) => ({ groupId, orgUnitId: entry.id }))
            )
            for (const batch of chunksOf(fresh, BATCH)) yield* repos.insertMany(OrgUnitGroupMembershipModel, accountId, batch, { atomic: true })
          })
        if (existingUnits.length > 0) {
          let index = 0
          yield* pyramid.readUnits((chunk) =>
            Effect.gen(function* () {
              const grouped: Array<{ readonly id: string; readonly groups: ReadonlyArray<GroupId> }> = []
              for (const unit of chunk) {
                const position = index
                index += 1
                if (duplicates.has(position)) continue
                const { fields, existing: existingUnit, groups } = fieldsOf(unit, position, undefined, true)
                if (existingUnit === undefined) continue
                const parent = parents[position] ?? -1
                const patch: Record<string, unknown> = {
                  ...fields,
                  path: paths.get(position),
                  depth: hierarchy.depths[position] ?? 0,
                  parentId: parent < 0 ? null : (ids[parent] ?? null)
                }
                const after = yield* repos.update(OrgUnitModel, accountId, existingUnit.id, patch)
                updated += 1
                if (after.geom !== undefined || after.location !== undefined)
                  yield* audit(repos, actor, options.source, OrgUnitModel, [{ id: existingUnit.id, before: existingUnit, after }])
                written += 1
                if (written % BATCH === 0) yield* progress.report("write", written, planned)
                if (groups !== undefined) grouped.push({ id: existingUnit.id, groups })
              }
              yield* memberships(
                grouped,
                grouped.map((entry) => entry.id)
              )
            })
          )
        }
        const created = yield* Effect.scoped(
          Effect.gen(function* () {
            const groupsOfChunk = new Map<number, ReadonlyArray<{ readonly id: string; readonly groups: ReadonlyArray<GroupId> }>>()
            const writer = yield* chunkWriter(OrgUnitModel, accountId, {
              values: true,
              onWritten: ({ chunk, count, records }) =>
                Effect.gen(function* () {
                  const withGeometry = records.flatMap((record) =>
                    record.geom !== undefined || record.location !== undefined ? [{ id: record.id, after: record }] : []
                  )
                  yield* audit(repos, actor, options.source, OrgUnitModel, withGeometry)
                  written += count
                  yield* progress.report("write", written, planned)
                  const grouped = groupsOfChunk.get(chunk)
                  groupsOfChunk.delete(chunk)
                  if (grouped !== undefined) yield* memberships(grouped, [])
                })
            })
            let inserts: Array<Record<string, unknown>> = []
            let grouped: Array<{ readonly id: string; readonly groups: ReadonlyArray<GroupId> }> = []
            let pushed = 0
            const push = Effect.suspend(() => {
              if (inserts.length === 0) return Effect.void
              if (grouped.length > 0) groupsOfChunk.set(pushed, grouped)
              const chunk = inserts
              inserts = []
              grouped = []
              pushed += 1
              return writer.push(chunk)
            })
            let index = 0
            yield* pyramid
              .readUnits((chunk) =>
                Effect.gen(function* () {
                  for (const unit of chunk) {
                    const position = index
                    index += 1
                    if (duplicates.has(position)) continue
                    const { fields, existing: existingUnit, groups } = fieldsOf(unit, position, undefined, true)
                    if (existingUnit !== undefined) continue
                    const id = ids[position] ?? ""
                    const record: Record<string, unknown> = {
                      custom: false,
                      extraFields: {},
                      ...fields,
                      id,
                      path: paths.get(position),
                      depth: hierarchy.depths[position] ?? 0
                    }
                    const parent = parents[position] ?? -1
                    if (parent >= 0) record["parentId"] = ids[parent]
                    for (const [key, value] of Object.entries(record)) if (value === null) delete record[key]
                    inserts.push(record)
                    if (groups !== undefined) grouped.push({ id, groups })
                    if (inserts.length >= BATCH) yield* push
                  }
                })
              )
              .pipe(Effect.onError(() => writer.abandon))
            yield* push
            return yield* writer.finish
          })
        )
        for (const [j, unit] of untouched.entries()) {
          const path = paths.get(total + j)
          if (path !== undefined && path !== unit.path) {
            yield* repos.update(OrgUnitModel, accountId, unit.id, { path, depth: hierarchy.depths[total + j] ?? 0 })
          }
        }

        // 8. Group sets.
        for (const set of pyramid.groupSets ?? []) {
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

        yield* progress.report("write", planned, planned)
        return { version, created, updated, groupsCreated, groupsUpdated, typesCreated }
      })
    )
  })
