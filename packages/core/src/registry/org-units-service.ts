/**
 * The `OrgUnits` service: creating, changing and moving org units with their materialised paths
 * kept in one transaction, and reading the hierarchy (children, descendants, ancestors), all under
 * IASO's access rules (permissions, org-unit roots, editable types, read-only sources).
 * @module
 */
import { Context, Effect, Layer, Schema } from "effect"
import { audit } from "../kernel/audit.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { GroupId, OrgUnitId, OrgUnitTypeId, SourceVersionId } from "../shared/entity-ids.ts"
import { Forbidden, NotFound, type StorageError, ValidationError, VersionConflict } from "../shared/errors.ts"
import { type BoundingBox, centroid, GeoMultiPolygonInput, haversineMeters, pointInMultiPolygon, simplifyMultiPolygon } from "../shared/geometry.ts"
import { foldKey } from "../shared/text.ts"
import { OrgUnitGroupMembershipModel } from "./groups.ts"
import type { ValidationStatus } from "./validation-status.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Condition } from "../shared/query.ts"
import { listAll, type ListOptions, type ResultPage, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor, mayEditType, requireAny } from "../tenancy/actor.ts"
import { ORG_UNIT_READ } from "../tenancy/permissions.ts"
import { type OrgUnit, OrgUnitModel, PATH_SEPARATOR } from "./org-unit.ts"
import { MAX_HIERARCHY_DEPTH, tooDeepMessage } from "../shared/limits.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { DataSourceModel, SourceVersionModel } from "./sources.ts"

const SOURCE = "ORG_UNIT_API"

const pick = <T extends object>(record: T, keys: ReadonlyArray<string>): Partial<T> => {
  const out: Record<string, unknown> = {}
  for (const key of keys) if (key in record) out[key] = (record as Record<string, unknown>)[key]
  return out as Partial<T>
}

/** What a caller gives to create an org unit: the unit's fields, without path and depth (computed). */
export type OrgUnitCreate = Omit<
  OrgUnit,
  | "id"
  | "accountId"
  | "version"
  | "createdAt"
  | "updatedAt"
  | "path"
  | "depth"
  | "custom"
  | "validationStatus"
  | "extraFields"
  | "code"
  | "geom"
  | "catchment"
  | "simplifiedGeom"
> & {
  readonly id?: OrgUnitId
  readonly custom?: boolean
  /** Default `NEW`. */
  readonly validationStatus?: OrgUnit["validationStatus"]
  readonly extraFields?: OrgUnit["extraFields"]
  /** Default "". */
  readonly code?: string
  /** A Polygon or MultiPolygon (normalised to MultiPolygon); `simplifiedGeom` is computed from it unless given. */
  readonly geom?: typeof GeoMultiPolygonInput.Encoded
  readonly simplifiedGeom?: typeof GeoMultiPolygonInput.Encoded
  readonly catchment?: typeof GeoMultiPolygonInput.Encoded
}

/** A change to an org unit's own fields (`null` clears an optional one). Moving is {@link OrgUnits | OrgUnits.move}. */
export type OrgUnitPatch = {
  readonly [K in Exclude<keyof OrgUnitCreate, "id" | "parentId" | "versionId">]?: OrgUnitCreate[K] | null
}

const decodeShape = Schema.decodeUnknownSync(GeoMultiPolygonInput)

/** Normalises geometry inputs (Polygon to MultiPolygon) and computes the simplified geometry. */
const normaliseGeometry = (input: Record<string, unknown>): ValidationError | Record<string, unknown> => {
  const out: Record<string, unknown> = { ...input }
  for (const key of ["geom", "simplifiedGeom", "catchment"] as const) {
    const value = input[key]
    if (value === undefined || value === null) continue
    try {
      out[key] = decodeShape(value)
    } catch (error) {
      if (Schema.isSchemaError(error)) return ValidationError.fromSchemaError(error, [key])
      return ValidationError.at([key], String(error))
    }
  }
  if (out["geom"] !== undefined && out["geom"] !== null && input["simplifiedGeom"] === undefined) {
    out["simplifiedGeom"] = simplifyMultiPolygon(out["geom"] as Parameters<typeof simplifyMultiPolygon>[0])
  }
  if (out["geom"] === null && input["simplifiedGeom"] === undefined) out["simplifiedGeom"] = null
  return out
}

/** Filters of {@link OrgUnits | OrgUnits.search} (all optional; all must hold). */
export interface OrgUnitSearch extends ListOptions {
  readonly versionId?: SourceVersionId
  /** Case- and accent-insensitive substring of the name (on the stored folded key). */
  readonly name?: string
  readonly orgUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
  readonly validationStatuses?: ReadonlyArray<ValidationStatus>
  /** Members of this group. */
  readonly groupId?: GroupId
  /** Direct children of this unit; `null` for roots. */
  readonly parentId?: OrgUnitId | null
  /** Units under this one (itself excluded). */
  readonly ancestorId?: OrgUnitId
  readonly depth?: number
  /** Has a shape (`geom`). */
  readonly hasShape?: boolean
  /** Has a location point. */
  readonly hasLocation?: boolean
  /** Has a shape or a location. */
  readonly hasGeometry?: boolean
  /** Geometry (or location) intersecting this box. */
  readonly withinBox?: BoundingBox
  /** Shape (or, with `catchment`, catchment area) containing this point; boundaries count as inside. */
  readonly containing?: { readonly lon: number; readonly lat: number; readonly catchment?: boolean }
}

/** One result of {@link OrgUnits | OrgUnits.nearest}. */
export interface NearestOrgUnit {
  readonly unit: OrgUnit
  /** Great-circle distance in metres from the point to the unit's location, else to its shape's centroid. */
  readonly distanceMeters: number
}

/**
 * The org units service: creating, changing and moving org units with their paths kept right in
 * one transaction, and reading the hierarchy (a unit, children, descendants, ancestors, searches,
 * the nearest units to a point, counts per level) under IASO's access rules. Provided by
 * `Iaso.layer`; on the Promise facade, `iaso.as(actor).orgUnits`. Its calls are listed under `Service`.
 */
export class OrgUnits extends Context.Service<
  OrgUnits,
  {
    /** Creates an org unit under its parent (or as a root), computing its path and depth. */
    readonly create: (input: OrgUnitCreate) => Effect.Effect<OrgUnit, ServiceWriteError, CurrentActor>
    /** Changes an org unit's own fields (not its place in the tree: see `move`). */
    readonly update: (
      id: OrgUnitId,
      patch: OrgUnitPatch,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<OrgUnit, ServiceWriteError, CurrentActor>
    /**
     * Moves an org unit under another parent (or to the root with `null`), rewriting the paths of
     * its whole subtree in one transaction. Refused when it would create a cycle or cross versions.
     */
    readonly move: (
      id: OrgUnitId,
      parentId: OrgUnitId | null,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<OrgUnit, ServiceWriteError, CurrentActor>
    /** One org unit visible to the actor. */
    readonly get: (id: OrgUnitId) => Effect.Effect<OrgUnit, NotFound | Forbidden | StorageError, CurrentActor>
    /** Direct children, a page. */
    readonly children: (
      id: OrgUnitId,
      options?: ListOptions
    ) => Effect.Effect<ResultPage<Partial<OrgUnit>>, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
    /**
     * Strict descendants (optionally down to `levels` levels below), a page. Without `orderBy` they
     * come in path order (each unit before its own descendants), straight from the ordered path
     * index; the selected fields then include `path`, which the cursor needs.
     */
    readonly descendants: (
      id: OrgUnitId,
      options?: ListOptions & { readonly levels?: number }
    ) => Effect.Effect<ResultPage<Partial<OrgUnit>>, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
    /** The unit and its descendants, a page (in path order unless `orderBy` says otherwise). */
    readonly hierarchy: (
      id: OrgUnitId,
      options?: ListOptions & { readonly levels?: number }
    ) => Effect.Effect<ResultPage<Partial<OrgUnit>>, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
    /** Ancestors from the root down to the parent (those the actor may see). */
    readonly ancestors: (id: OrgUnitId) => Effect.Effect<ReadonlyArray<OrgUnit>, NotFound | Forbidden | StorageError, CurrentActor>
    /** Searches org units (see {@link OrgUnitSearch}), a page. */
    readonly search: (
      filters: OrgUnitSearch
    ) => Effect.Effect<ResultPage<Partial<OrgUnit>>, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
    /** The `limit` units nearest to a point (great-circle distance; ties by id), with the same filters as `search`. */
    readonly nearest: (
      point: { readonly lon: number; readonly lat: number },
      options?: Omit<OrgUnitSearch, keyof ListOptions> & { readonly limit?: number }
    ) => Effect.Effect<ReadonlyArray<NearestOrgUnit>, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
    /** How many units each level has, in a version or under a unit (itself included). */
    readonly countsPerLevel: (
      scope: { readonly versionId: SourceVersionId } | { readonly rootId: OrgUnitId }
    ) => Effect.Effect<ReadonlyArray<{ readonly depth: number; readonly count: number }>, NotFound | Forbidden | ValidationError | StorageError, CurrentActor>
  }
>()("@iaso/core/OrgUnits") {
  static readonly layer = Layer.effect(
    OrgUnits,
    Effect.gen(function* () {
      const repos = yield* Repos
      return OrgUnits.of(makeOrgUnits(repos))
    })
  )
}

const visible = (repos: Repositories, actor: Actor, unit: OrgUnit): Effect.Effect<boolean, StorageError> =>
  Effect.map(makeRowAccess(repos).visible(actor, OrgUnitModel, [unit]), ([seen]) => seen === true)

const makeOrgUnits = (repos: Repositories) => {
  /** A unit the actor may see, else NotFound. */
  const load = (actor: Actor, id: string) =>
    Effect.gen(function* () {
      const unit = yield* repos.get(OrgUnitModel, actor.accountId, id)
      if (!(yield* visible(repos, actor, unit))) return yield* NotFound.of("OrgUnit", id)
      return unit
    })

  const readable = (actor: Actor) => requireAny(actor, ORG_UNIT_READ, "reading org units")
  const writable = (actor: Actor) => requireAny(actor, ["iaso_org_units"], "changing org units")

  /** Refuses writes into a version whose data source is read-only. */
  const checkSourceWritable = (actor: Actor, versionId: string) =>
    Effect.gen(function* () {
      const version = yield* repos.get(SourceVersionModel, actor.accountId, versionId)
      const source = yield* repos.get(DataSourceModel, actor.accountId, version.dataSourceId)
      if (source.readOnly) return yield* new Forbidden({ message: `the data source ${source.name} is read-only` })
    })

  const checkType = (actor: Actor, typeId: string | undefined) =>
    mayEditType(actor, typeId) ? Effect.void : Effect.fail(new Forbidden({ message: "you may not edit org units of this type" }))

  /**
   * Where other connections write concurrently, locks the units a write builds on, in one global
   * order (see the store's `lockSubtrees`): the unit a move rewrites `exclusive`ly, its ancestors
   * and the `shared` unit's path (a create's parent, a move's new parent, an updated unit, whose
   * row is written whole) shared. Answers whether it locked: then a move may have committed since
   * the units were read, and the caller reads them again (their paths cannot change any more until
   * the transaction ends). Where writers are serialised, the units read are current already.
   */
  const lockTree = (actor: Actor, units: { readonly exclusive?: OrgUnit | undefined; readonly shared?: OrgUnit | undefined }) =>
    Effect.gen(function* () {
      if (!repos.driver.capabilities.concurrentWriters) return false
      yield* repos.driver.lockSubtrees(
        OrgUnitModel,
        { accountId: actor.accountId },
        { exclusive: units.exclusive === undefined ? [] : [units.exclusive.path], shared: units.shared === undefined ? [] : [units.shared.path] }
      )
      return true
    })

  const create = (given: OrgUnitCreate) =>
    Effect.gen(function* () {
      // A JSON client's `parentId: null` asks for a root, as an absent parent does.
      const { parentId: givenParent, ...withoutParent } = given as OrgUnitCreate & { readonly parentId?: OrgUnitId | null }
      const input: OrgUnitCreate = givenParent === null ? withoutParent : given
      const actor = yield* CurrentActor
      yield* writable(actor)
      const normalised = normaliseGeometry(input as unknown as Record<string, unknown>)
      if (normalised instanceof ValidationError) return yield* normalised
      if ("path" in normalised || "depth" in normalised) return yield* ValidationError.at(["path"], "is computed from the parent")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          yield* checkSourceWritable(actor, String(input.versionId))
          yield* checkType(actor, input.orgUnitTypeId)
          const id = (input.id ?? uuidv7((yield* now).getTime())) as OrgUnitId
          let path = `${id}${PATH_SEPARATOR}`
          let depth = 1
          if (input.parentId !== undefined) {
            const seen = yield* load(actor, input.parentId)
            const parent = (yield* lockTree(actor, { shared: seen })) ? yield* load(actor, input.parentId) : seen
            if (parent.versionId !== input.versionId) return yield* ValidationError.at(["parentId"], "Parent is not in the same version")
            path = parent.path + path
            depth = parent.depth + 1
            if (depth > MAX_HIERARCHY_DEPTH) return yield* ValidationError.at(["parentId"], tooDeepMessage(`the org unit ${input.name}`, depth))
          } else if (actor.orgUnitRoots.length > 0) {
            return yield* new Forbidden({ message: "an actor restricted to org units cannot create a root org unit" })
          }
          const created = yield* repos.insert(OrgUnitModel, actor.accountId, {
            custom: false,
            validationStatus: "NEW",
            extraFields: {},
            code: "",
            ...(actor.userId === undefined ? {} : { creatorId: actor.userId }),
            ...normalised,
            id,
            path,
            depth
          })
          yield* audit(repos, actor, SOURCE, OrgUnitModel, [{ id, after: created }])
          return created
        })
      )
    })

  const update = (id: OrgUnitId, patch: OrgUnitPatch, options: { readonly expectedVersion?: number } = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const fields = patch as Record<string, unknown>
      for (const key of ["path", "depth", "parentId", "versionId"]) {
        if (key in fields) return yield* ValidationError.at([key], key === "parentId" ? "use move to change the parent" : "cannot be changed")
      }
      const normalised = normaliseGeometry(fields)
      if (normalised instanceof ValidationError) return yield* normalised
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const seen = yield* load(actor, id)
          const before = (yield* lockTree(actor, { shared: seen })) ? yield* load(actor, id) : seen
          yield* checkSourceWritable(actor, before.versionId)
          yield* checkType(actor, before.orgUnitTypeId)
          if ("orgUnitTypeId" in normalised) yield* checkType(actor, (normalised["orgUnitTypeId"] ?? undefined) as string | undefined)
          const after = yield* repos.update(OrgUnitModel, actor.accountId, id, normalised, options)
          yield* audit(repos, actor, SOURCE, OrgUnitModel, [{ id, before, after }])
          return after
        })
      )
    })

  const move = (id: OrgUnitId, parentId: OrgUnitId | null, options: { readonly expectedVersion?: number } = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      if (parentId === null && actor.orgUnitRoots.length > 0) {
        return yield* new Forbidden({ message: "an actor restricted to org units cannot move an org unit to the root" })
      }
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const first = yield* load(actor, id)
          const firstParent = parentId === null ? undefined : yield* load(actor, parentId)
          const locked = yield* lockTree(actor, { exclusive: first, shared: firstParent })
          const unit = locked ? yield* load(actor, id) : first
          const parent = locked && parentId !== null ? yield* load(actor, parentId) : firstParent
          if (options.expectedVersion !== undefined && options.expectedVersion !== unit.version) {
            return yield* new VersionConflict({
              model: "OrgUnit",
              id,
              expected: options.expectedVersion,
              actual: unit.version,
              message: `OrgUnit ${id} is at version ${unit.version}, not ${options.expectedVersion}`
            })
          }
          yield* checkSourceWritable(actor, unit.versionId)
          yield* checkType(actor, unit.orgUnitTypeId)
          if (parent !== undefined) {
            if (parent.versionId !== unit.versionId) return yield* ValidationError.at(["parentId"], "Parent is not in the same version")
            if (parent.path.startsWith(unit.path)) {
              return yield* ValidationError.at(["parentId"], "an org unit cannot be moved under itself or one of its descendants")
            }
          }
          const path = `${parent?.path ?? ""}${id}${PATH_SEPARATOR}`
          const depth = (parent?.depth ?? 0) + 1
          if (depth > unit.depth) {
            // The subtree moves down: its deepest unit must stay within the limit.
            const deepest = yield* repos
              .list(OrgUnitModel, actor.accountId, {
                where: [{ field: "path", op: "startsWith", value: unit.path }],
                orderBy: [{ field: "depth", direction: "desc" }],
                limit: 1,
                select: ["depth"]
              })
              .pipe(orDieOnInvalidListing(OrgUnitModel))
            const lowest = (deepest.items[0]?.depth ?? unit.depth) + depth - unit.depth
            if (lowest > MAX_HIERARCHY_DEPTH) return yield* ValidationError.at(["parentId"], tooDeepMessage(`a unit of ${unit.name}'s subtree`, lowest))
          }
          if (path !== unit.path) {
            yield* repos.driver.rewritePrefix(
              OrgUnitModel,
              { accountId: actor.accountId },
              {
                from: unit.path,
                to: path,
                depthDelta: depth - unit.depth,
                updatedAt: (yield* now).getTime()
              }
            )
          }
          const after = yield* repos.update(OrgUnitModel, actor.accountId, id, { parentId, path, depth }, { expectedVersion: unit.version })
          yield* audit(repos, actor, SOURCE, OrgUnitModel, [{ id, before: unit, after }])
          return after
        })
      )
    })

  const rowAccess = makeRowAccess(repos)
  const access = (actor: Actor): Effect.Effect<ReadonlyArray<Condition>, StorageError> => rowAccess.listConditions(actor, OrgUnitModel)

  const below = (id: OrgUnitId, options: ListOptions & { readonly levels?: number }, includeSelf: boolean) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const { levels, ...list } = options
      if (levels !== undefined && (!Number.isInteger(levels) || levels < 0)) return yield* ValidationError.at(["levels"], "expected a whole number of levels")
      const extra = yield* access(actor)
      if (levels === undefined && list.where === undefined && list.orderBy === undefined) {
        // In path order: the unit and its subtree in one read (on a first page the unit is its
        // first row, absent when it is missing or outside the actor's org units).
        const page = yield* repos.subtreeFrom(OrgUnitModel, actor.accountId, id, list, extra, includeSelf)
        if (page === undefined) return yield* NotFound.of("OrgUnit", id)
        return page
      }
      const unit = yield* load(actor, id)
      const self: ReadonlyArray<Condition> = includeSelf ? [] : [{ field: "id", op: "ne", value: unit.id }]
      return yield* repos.subtree(OrgUnitModel, actor.accountId, unit.path, { ...list, ...(levels === undefined ? {} : { maxDepth: unit.depth + levels }) }, [
        ...extra,
        ...self
      ])
    })

  /** The stored-form conditions of a search (memberships resolved to ids). */
  const searchConditions = (actor: Actor, filters: OrgUnitSearch) =>
    Effect.gen(function* () {
      const where: Array<Condition> = [...(yield* access(actor))]
      if (filters.versionId !== undefined) where.push({ field: "versionId", op: "eq", value: filters.versionId })
      if (filters.name !== undefined) where.push({ field: "nameKey", op: "contains", value: foldKey(filters.name) })
      if (filters.orgUnitTypeIds !== undefined) where.push({ field: "orgUnitTypeId", op: "in", value: filters.orgUnitTypeIds })
      if (filters.validationStatuses !== undefined) where.push({ field: "validationStatus", op: "in", value: filters.validationStatuses })
      if (filters.parentId === null) where.push({ field: "parentId", op: "isNull" })
      else if (filters.parentId !== undefined) where.push({ field: "parentId", op: "eq", value: filters.parentId })
      if (filters.ancestorId !== undefined) {
        const ancestor = yield* load(actor, filters.ancestorId)
        where.push({ field: "path", op: "startsWith", value: ancestor.path }, { field: "id", op: "ne", value: ancestor.id })
      }
      if (filters.depth !== undefined) where.push({ field: "depth", op: "eq", value: filters.depth })
      if (filters.hasShape !== undefined) where.push({ field: "geom", op: filters.hasShape ? "isNotNull" : "isNull" })
      if (filters.hasLocation !== undefined) where.push({ field: "location", op: filters.hasLocation ? "isNotNull" : "isNull" })
      if (filters.hasGeometry !== undefined) where.push({ field: "bboxWest", op: filters.hasGeometry ? "isNotNull" : "isNull" })
      if (filters.withinBox !== undefined) {
        const [west, south, east, north] = filters.withinBox
        where.push(
          { field: "bboxWest", op: "lte", value: east },
          { field: "bboxEast", op: "gte", value: west },
          { field: "bboxSouth", op: "lte", value: north },
          { field: "bboxNorth", op: "gte", value: south }
        )
      }
      if (filters.containing !== undefined && filters.containing.catchment !== true) {
        const { lon, lat } = filters.containing
        where.push(
          { field: "bboxWest", op: "lte", value: lon },
          { field: "bboxEast", op: "gte", value: lon },
          { field: "bboxSouth", op: "lte", value: lat },
          { field: "bboxNorth", op: "gte", value: lat },
          { field: "geom", op: "isNotNull" }
        )
      }
      if (filters.containing?.catchment === true) where.push({ field: "catchment", op: "isNotNull" })
      if (filters.groupId !== undefined) {
        const members = yield* listAll((page) => repos.list(OrgUnitGroupMembershipModel, actor.accountId, page), {
          where: [{ field: "groupId", op: "eq", value: filters.groupId }]
        })
        where.push({ field: "id", op: "in", value: members.map((m) => String(m.orgUnitId)) })
      }
      return where
    })

  const search = (filters: OrgUnitSearch) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const where = yield* searchConditions(actor, filters)
      const { containing } = filters
      if (containing === undefined) return yield* repos.list(OrgUnitModel, actor.accountId, filters, where)
      // Exact containment is refined in core over the candidates the bounding boxes select.
      const { select, ...rest } = filters
      const page = yield* repos.list(OrgUnitModel, actor.accountId, rest, where)
      const items = page.items.filter((unit) => {
        const shape = containing.catchment === true ? unit.catchment : unit.geom
        return shape !== undefined && pointInMultiPolygon(containing.lon, containing.lat, shape)
      })
      const projected = select === undefined ? items : items.map((unit) => pick(unit, ["id", ...select]))
      return page.cursor === undefined ? { items: projected } : { items: projected, cursor: page.cursor }
    })

  const nearest = (point: { readonly lon: number; readonly lat: number }, options: Omit<OrgUnitSearch, keyof ListOptions> & { readonly limit?: number } = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const limit = options.limit ?? 10
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return yield* ValidationError.at(["limit"], "expected an integer from 1 to 10000")
      if (!(Math.abs(point.lon) <= 180 && Math.abs(point.lat) <= 90))
        return yield* ValidationError.at(["point"], "longitude must be within [-180, 180] and latitude within [-90, 90]")
      const base = yield* searchConditions(actor, { ...options, hasGeometry: true })
      const distance = (unit: OrgUnit): number => {
        if (unit.location !== undefined) return haversineMeters(point.lon, point.lat, unit.location.coordinates[0], unit.location.coordinates[1])
        if (unit.geom !== undefined) {
          const [lon, lat] = centroid(unit.geom)
          return haversineMeters(point.lon, point.lat, lon, lat)
        }
        return Number.POSITIVE_INFINITY
      }
      // Widen a box around the point until it holds `limit` units all nearer than the box's edge.
      for (const radius of [0.05, 0.25, 1, 5, 20, 90, 360]) {
        const box: Array<Condition> =
          radius >= 360
            ? []
            : [
                { field: "bboxWest", op: "lte", value: point.lon + radius },
                { field: "bboxEast", op: "gte", value: point.lon - radius },
                { field: "bboxSouth", op: "lte", value: point.lat + radius },
                { field: "bboxNorth", op: "gte", value: point.lat - radius }
              ]
        const candidates = yield* listAll((page) => repos.list(OrgUnitModel, actor.accountId, page, [...base, ...box]))
        const ranked = candidates
          .map((unit) => ({ unit, distanceMeters: distance(unit) }))
          .sort((a, b) => a.distanceMeters - b.distanceMeters || (a.unit.id < b.unit.id ? -1 : a.unit.id > b.unit.id ? 1 : 0))
          .slice(0, limit)
        // A unit outside the box is at least `radius` degrees of latitude away (about 111 km each).
        const edge = radius * 111_000 * 0.99
        const last = ranked[ranked.length - 1]
        if (radius >= 360 || (ranked.length === limit && last !== undefined && last.distanceMeters <= edge)) return ranked
      }
      return []
    })

  const countsPerLevel = (scope: { readonly versionId: SourceVersionId } | { readonly rootId: OrgUnitId }) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const where: Array<Condition> = [...(yield* access(actor))]
      if ("rootId" in scope) {
        const root = yield* load(actor, scope.rootId)
        where.push({ field: "path", op: "startsWith", value: root.path })
      } else where.push({ field: "versionId", op: "eq", value: scope.versionId })
      const deepest = yield* repos.list(OrgUnitModel, actor.accountId, { orderBy: [{ field: "depth", direction: "desc" }], limit: 1, select: ["depth"] }, where)
      const max = deepest.items[0]?.depth ?? 0
      const counts: Array<{ depth: number; count: number }> = []
      for (let depth = 1; depth <= max; depth++) {
        const count = yield* repos.count(OrgUnitModel, actor.accountId, [], [...where, { field: "depth", op: "eq", value: depth }])
        if (count > 0) counts.push({ depth, count })
      }
      return counts
    })

  return {
    search,
    nearest,
    countsPerLevel,
    create,
    update,
    move,
    get: (id: OrgUnitId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* readable(actor)
        return yield* load(actor, id)
      }),
    children: (id: OrgUnitId, options: ListOptions = {}) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* readable(actor)
        const unit = yield* load(actor, id)
        return yield* repos.list(OrgUnitModel, actor.accountId, options, [...(yield* access(actor)), { field: "parentId", op: "eq", value: unit.id }])
      }),
    descendants: (id: OrgUnitId, options: ListOptions & { readonly levels?: number } = {}) => below(id, options, false),
    hierarchy: (id: OrgUnitId, options: ListOptions & { readonly levels?: number } = {}) => below(id, options, true),
    ancestors: (id: OrgUnitId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* readable(actor)
        const unit = yield* load(actor, id)
        const ids = unit.path.split(PATH_SEPARATOR).filter((part) => part.length > 0 && part !== unit.id)
        const found = yield* repos.getMany(OrgUnitModel, actor.accountId, ids)
        const checks = yield* Effect.forEach(found, (ancestor) => visible(repos, actor, ancestor))
        return found.filter((_, i) => checks[i] === true).sort((a, b) => a.depth - b.depth)
      })
  }
}
