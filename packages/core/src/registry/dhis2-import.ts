/**
 * Importing a DHIS2 org-unit pyramid from the JSON of DHIS2's web API, as IASO's DHIS2 importer
 * (`dhis2_ou_importer`) does, without the HTTP part: the caller fetches the responses and hands
 * them over as parsed JSON. Four resources are read: `organisationUnits` (any number of pages,
 * merged and deduplicated by DHIS2 id), `organisationUnitLevels` (the level names that become
 * org-unit types), `organisationUnitGroups` (groups, with their member ids) and
 * `organisationUnitGroupSets`. Every response is first bounded (its nesting by `MAX_JSON_DEPTH`;
 * the org units of all pages by the option `maxUnits`), then decoded with Effect Schema: a
 * malformed one fails with a `ValidationError` whose issues name the place in the payload, e.g.
 * `["organisationUnits", 1, "organisationUnits", 3, "openingDate"]` for the fourth unit of the
 * second page. Geometry is read leniently: a shape that cannot be read is dropped and reported in
 * the result's `warnings`, the unit itself is still imported.
 *
 * The parsed pyramid goes through the shared engine (`importPyramid`) with the audit source
 * `DHIS2_IMPORT`, so the import is all or nothing, and every unit whose parent is neither in the
 * payload nor in the target version is reported at once.
 *
 * Mapping, per unit: `sourceRef` = DHIS2 id, `name`, parent = `parent.id`, type = the
 * `organisationUnitLevels` name of the unit's level (depth = level; the level is `level`, else the
 * number of ids in `path`), `code`, opening and closed dates (the date part of DHIS2's datetimes),
 * `subSource` = the data source's name, groups by DHIS2 id. A level without a declared
 * `organisationUnitLevel` gets the fallback type {@link dhis2FallbackTypeName}.
 *
 * Differences from IASO, deliberate:
 * - IASO has one fallback type per source, `<source name>-Unknown-<source id>`, without depth. Types
 *   here are always found by name and depth, so the fallback is one type per undeclared level:
 *   `<source name> - Unknown level <N>` at depth N (its short name is `Unknown level N`). It is
 *   only created when a unit uses it (IASO creates it first and deletes it when unused), and
 *   types are only created for the levels that units use (IASO creates one per declared level).
 * - Legacy `coordinates` strings are read as GeoJSON coordinates, by their nesting: `[lon,lat]`
 *   a point, `[[[lon,lat],…]]` a polygon (every ring kept), `[[[[lon,lat],…]]]` a multipolygon
 *   (every polygon kept). IASO keeps only the outer ring of a polygon string, and for a
 *   multipolygon string makes one polygon of each ring of the first polygon.
 * - A shape that is not valid GeoJSON (unclosed ring, coordinates out of range…) is dropped with
 *   a warning; IASO logs it, or fails the row for a bad `geometry` object.
 * - Update mode adds the units, groups and group sets whose references the version lacks and
 *   leaves every existing record as it is, as IASO does for units; IASO also puts the new units in
 *   a group "Imported on <date>", which is not done here.
 * @module
 */
import { Effect, Result, Schema } from "effect"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { listAll } from "../shared/repository.ts"
import type { DataSourceId } from "../shared/entity-ids.ts"
import { type Interrupted, ValidationError, type ValidationIssue } from "../shared/errors.ts"
import { admitJson } from "../shared/json.ts"
import { checkImportUnits } from "../shared/limits.ts"
import { type LongOperationOptions, longOperation, type ProgressReporter } from "../shared/progress.ts"
import { NonBlankText, NonBlankTextMax } from "../shared/text.ts"
import { isCalendarDate } from "../shared/time.ts"
import { CurrentActor } from "../tenancy/actor.ts"
import { isRecord, readGeometry } from "./dhis2-geometry.ts"
import { GroupModel, GroupSetModel } from "./groups.ts"
import { OrgUnitModel } from "./org-unit.ts"
import {
  normaliseRef,
  runPyramidImport,
  requirePyramidImport,
  type PyramidImportResult,
  type PyramidInput,
  type PyramidMessages,
  type PyramidUnit
} from "./pyramid-import.ts"
import { DataSourceModel, SourceVersionModel } from "./sources.ts"
import type { ValidationStatus } from "./validation-status.ts"

// -----------------------------------------------------------------------------
// Public types
// -----------------------------------------------------------------------------

/**
 * The DHIS2 API responses to import, as parsed JSON. Each member takes one response page (the
 * object DHIS2 returns, e.g. `{ pager, organisationUnits: [...] }`), a list of pages, or a bare
 * list of the resource's items.
 */
export interface Dhis2Payload {
  /** `GET /api/organisationUnits` pages (needed fields: `id`, `name`, `level` or `path`, `parent`, and optionally `code`, `openingDate`, `closedDate`, `geometry`, `coordinates`, `organisationUnitGroups[id,name]`). */
  readonly organisationUnits: unknown
  /** `GET /api/organisationUnitLevels` pages (`level`, `name`). */
  readonly levels?: unknown
  /** `GET /api/organisationUnitGroups` pages (`id`, `name`, and optionally `organisationUnits[id]`, `groupSets[id]`). */
  readonly groups?: unknown
  /** `GET /api/organisationUnitGroupSets` pages (`id`, `name`, `organisationUnitGroups[id,name]`). */
  readonly groupSets?: unknown
}

/**
 * Options of `importDhis2Pyramid`. `onProgress` hears the phases `"read"` (org units decoded),
 * then the engine's `"validate"` and `"write"`; `signal` stops the import, which then stores nothing.
 */
export interface Dhis2ImportOptions extends LongOperationOptions {
  readonly dataSourceId: DataSourceId
  /** Target version number; absent: the next one (0 for a source without versions). */
  readonly versionNumber?: number
  readonly description?: string
  /** Status of the imported units (default `NEW`; IASO's `validate` option gives `VALID`). */
  readonly validationStatus?: ValidationStatus
  /**
   * IASO's update mode: the target version may already hold units; only the units, groups and
   * group sets whose DHIS2 ids it lacks are added, existing ones are left untouched. Without it,
   * a target version that has units is refused.
   */
  readonly update?: boolean
  /**
   * The most `organisationUnits` items the payload may hold over all of its pages, duplicates
   * included (default `DEFAULT_MAX_IMPORT_UNITS`, 100,000): more is a `ValidationError` at
   * `["organisationUnits"]`, before any item is decoded.
   */
  readonly maxUnits?: number
}

/** Something of the payload that was not imported, and why (the import itself went on). */
export interface Dhis2Warning {
  /** Where in the payload, e.g. `["organisationUnits", 0, "organisationUnits", 2, "geometry"]`. */
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

/** A payload parsed into the engine's input. */
export interface Dhis2ParsedPyramid {
  readonly input: PyramidInput
  /** For each unit of `input.units`, where it came from in the payload. */
  readonly unitPaths: ReadonlyArray<ReadonlyArray<string | number>>
  /** Units dropped because an earlier page had the same DHIS2 id. */
  readonly duplicates: number
  readonly warnings: ReadonlyArray<Dhis2Warning>
}

/** What a DHIS2 import did. */
export interface Dhis2ImportResult extends PyramidImportResult {
  /** Units dropped because an earlier page had the same DHIS2 id. */
  readonly duplicates: number
  /** Update mode: units of the payload that the version already had (left untouched). */
  readonly skipped: number
  readonly warnings: ReadonlyArray<Dhis2Warning>
}

/** The audit source of DHIS2 imports. */
export const DHIS2_IMPORT_SOURCE = "DHIS2_IMPORT"

/**
 * The type given to units whose DHIS2 level has no `organisationUnitLevel`: one per source and
 * level, e.g. `Sierra Leone - Unknown level 5` at depth 5 (short name `Unknown level 5`).
 */
export const dhis2FallbackTypeName = (sourceName: string, level: number): string => `${sourceName} - Unknown level ${level}`

/** The engine's error wording for DHIS2 (IASO's is "Parent nof found for <ref> <parent id>"). */
export const DHIS2_MESSAGES: PyramidMessages = {
  unknownParent: (parentRef, unit) =>
    `Parent ${parentRef} not found for org unit ${unit.ref} (${unit.name}): it is neither among the imported DHIS2 org units nor in the target version`,
  unknownGroups: (groupRefs, unit) =>
    `Groups ${groupRefs.join(", ")} of org unit ${unit.ref} (${unit.name}) are neither among the imported DHIS2 groups nor in the target version`
}

// -----------------------------------------------------------------------------
// Decoders
// -----------------------------------------------------------------------------

type Path = ReadonlyArray<string | number>

/** The date part of a DHIS2 date or datetime (`2023-05-10` or `2023-05-10T00:00:00.000`), if it is one. */
const datePart = (text: string): string | undefined => {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]*(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim())
  const date = match?.[1]
  return date !== undefined && isCalendarDate(date) ? date : undefined
}

const Dhis2Date = Schema.String.check(
  Schema.makeFilter(
    (text: string) => datePart(text) !== undefined || `Expected a DHIS2 date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss.sss), got ${JSON.stringify(text)}`
  )
)

const IdRef = Schema.Struct({ id: NonBlankText })
const NamedRef = Schema.Struct({ id: NonBlankText, name: Schema.optionalKey(Schema.NullOr(Schema.String)) })

const Dhis2OrgUnit = Schema.Struct({
  id: NonBlankText,
  name: NonBlankTextMax(255),
  level: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  path: Schema.optionalKey(Schema.NullOr(Schema.String)),
  parent: Schema.optionalKey(Schema.NullOr(IdRef)),
  code: Schema.optionalKey(Schema.NullOr(Schema.String)),
  openingDate: Schema.optionalKey(Schema.NullOr(Dhis2Date)),
  closedDate: Schema.optionalKey(Schema.NullOr(Dhis2Date)),
  /** Read leniently (see {@link readGeometry}): a bad shape is a warning, not an error. */
  geometry: Schema.optionalKey(Schema.Unknown),
  coordinates: Schema.optionalKey(Schema.Unknown),
  organisationUnitGroups: Schema.optionalKey(Schema.NullOr(Schema.Array(NamedRef)))
})
type Dhis2OrgUnit = typeof Dhis2OrgUnit.Type

const Dhis2Level = Schema.Struct({
  level: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  name: NonBlankTextMax(255)
})

const Dhis2Group = Schema.Struct({
  id: NonBlankText,
  name: NonBlankText,
  organisationUnits: Schema.optionalKey(Schema.NullOr(Schema.Array(IdRef))),
  groupSets: Schema.optionalKey(Schema.NullOr(Schema.Array(IdRef)))
})

const Dhis2GroupSet = Schema.Struct({
  id: NonBlankText,
  name: NonBlankText,
  organisationUnitGroups: Schema.optionalKey(Schema.NullOr(Schema.Array(NamedRef)))
})

/** One decoded item and where it was in the payload. */
interface Located<T> {
  readonly value: T
  readonly path: Path
}

/**
 * Decodes one resource of the payload: a response page (an object with the `key` array), a list
 * of such pages, or a bare list of items. Issues carry the item's place in the payload. With
 * `maxItems`, the items of every page are counted against it (see `checkImportUnits`) before
 * any is decoded.
 */
const decodePages = <T>(
  value: unknown,
  field: string,
  key: string,
  item: Schema.Decoder<T>,
  maxItems?: { readonly max: number | undefined }
): ValidationError | ReadonlyArray<Located<T>> => {
  const items = Schema.Array(item)
  // The lists of items (or the issues of a page that is not one), in the payload's order.
  const lists: Array<{ readonly input: ReadonlyArray<unknown>; readonly prefix: Path } | { readonly issues: ReadonlyArray<ValidationIssue> }> = []
  const page = (input: unknown, prefix: Path) => {
    // The page schema only checks that the key is there and is a list: the items are decoded below.
    const shape = Schema.decodeUnknownResult(Schema.Struct({ [key]: Schema.Array(Schema.Unknown) }))(input, { errors: "all" })
    if (Result.isFailure(shape)) lists.push({ issues: ValidationError.fromSchemaError(shape.failure, prefix).issues })
    else lists.push({ input: shape.success[key] ?? [], prefix: [...prefix, key] })
  }
  // A list is a list of pages as soon as one element looks like a page (the others then fail as pages).
  if (Array.isArray(value) && value.some((element) => isRecord(element) && Array.isArray(element[key]))) {
    for (const [index, element] of value.entries()) page(element, [field, index])
  } else if (Array.isArray(value)) {
    lists.push({ input: value, prefix: [field] })
  } else if (isRecord(value)) {
    page(value, [field])
  } else {
    lists.push({ issues: [{ path: [field], message: `Expected a DHIS2 ${key} response page, a list of pages, or a list of ${key}` }] })
  }
  if (maxItems !== undefined) {
    const count = lists.reduce((sum, list) => sum + ("input" in list ? list.input.length : 0), 0)
    const tooMany = checkImportUnits([field], count, key, maxItems.max)
    if (tooMany !== undefined) return tooMany
  }
  const out: Array<Located<T>> = []
  const issues: Array<ValidationIssue> = []
  for (const list of lists) {
    if (!("input" in list)) {
      issues.push(...list.issues)
      continue
    }
    const result = Schema.decodeUnknownResult(items)(list.input, { errors: "all" })
    if (Result.isFailure(result)) issues.push(...ValidationError.fromSchemaError(result.failure, list.prefix).issues)
    else for (const [index, decoded] of result.success.entries()) out.push({ value: decoded, path: [...list.prefix, index] })
  }
  if (issues.length > 0) return new ValidationError({ message: formatIssues(issues), issues })
  return out
}

const formatIssues = (issues: ReadonlyArray<ValidationIssue>): string =>
  issues.map((issue) => (issue.path.length === 0 ? issue.message : `${issue.message}\n  at ${JSON.stringify(issue.path)}`)).join("\n")

// -----------------------------------------------------------------------------
// Parsing
// -----------------------------------------------------------------------------

const levelFromPath = (path: string | null | undefined): number | undefined => {
  if (path === null || path === undefined) return undefined
  const ids = path.split("/").filter((id) => id.trim() !== "")
  return ids.length === 0 ? undefined : ids.length
}

/**
 * Parses DHIS2 API responses into the engine's input (pure: nothing is read or written). Fails
 * with a `ValidationError` naming every malformed item; unreadable shapes, conflicting duplicates
 * and memberships of units absent from the payload are `warnings`. Before any decoding, each
 * member's nesting is bounded (`MAX_JSON_DEPTH`, see `admitJson`) and the org units of every page
 * counted against `maxUnits` (default `DEFAULT_MAX_IMPORT_UNITS`).
 */
export const parseDhis2Pyramid = (
  raw: Dhis2Payload,
  context: { readonly sourceName: string; readonly maxUnits?: number }
): Effect.Effect<Dhis2ParsedPyramid, ValidationError> =>
  Effect.suspend(() => {
    if (!isRecord(raw) || !("organisationUnits" in raw) || raw.organisationUnits === undefined) {
      return Effect.fail(ValidationError.at(["organisationUnits"], "the DHIS2 organisationUnits response is required"))
    }
    const payload: Dhis2Payload = {
      organisationUnits: admitJson(raw.organisationUnits, ["organisationUnits"]),
      levels: admitJson(raw.levels, ["levels"]),
      groups: admitJson(raw.groups, ["groups"]),
      groupSets: admitJson(raw.groupSets, ["groupSets"])
    }
    const refused = Object.values(payload).find((member) => member instanceof ValidationError)
    if (refused instanceof ValidationError) return Effect.fail(refused)
    const issues: Array<ValidationIssue> = []
    const collect = <T>(result: ValidationError | ReadonlyArray<Located<T>>): ReadonlyArray<Located<T>> => {
      if (result instanceof ValidationError) {
        issues.push(...result.issues)
        return []
      }
      return result
    }
    const units = collect(decodePages(payload.organisationUnits, "organisationUnits", "organisationUnits", Dhis2OrgUnit, { max: context.maxUnits }))
    const levels = payload.levels === undefined ? [] : collect(decodePages(payload.levels, "levels", "organisationUnitLevels", Dhis2Level))
    const groups = payload.groups === undefined ? [] : collect(decodePages(payload.groups, "groups", "organisationUnitGroups", Dhis2Group))
    const groupSets = payload.groupSets === undefined ? [] : collect(decodePages(payload.groupSets, "groupSets", "organisationUnitGroupSets", Dhis2GroupSet))
    if (issues.length > 0) return Effect.fail(new ValidationError({ message: formatIssues(issues), issues }))

    const warnings: Array<Dhis2Warning> = []

    // Units: merged pages, first occurrence of an id kept.
    const byId = new Map<string, Located<Dhis2OrgUnit>>()
    let duplicates = 0
    for (const unit of units) {
      const id = unit.value.id.trim()
      const first = byId.get(id)
      if (first === undefined) {
        byId.set(id, unit)
        continue
      }
      duplicates += 1
      if (JSON.stringify(first.value) !== JSON.stringify(unit.value)) {
        warnings.push({ path: unit.path, message: `${id} appears again with different content: the first occurrence (${JSON.stringify(first.path)}) is kept` })
      }
    }

    // Level names.
    const levelNames = new Map<number, string>()
    for (const level of levels) {
      const known = levelNames.get(level.value.level)
      if (known === undefined) levelNames.set(level.value.level, level.value.name.trim())
      else if (known !== level.value.name.trim()) {
        warnings.push({
          path: [...level.path, "name"],
          message: `level ${level.value.level} is named both ${known} and ${level.value.name.trim()}: ${known} is kept`
        })
      }
    }

    // Groups: the organisationUnitGroups resource names them first, then group sets, then units.
    // A group only ever named by id (e.g. `organisationUnitGroups[id]` fields) is named after its id.
    const groupNames = new Map<string, string | undefined>()
    const nameGroup = (id: string, name: string | null | undefined, path: Path) => {
      const trimmed = name?.trim() ?? ""
      const known = groupNames.get(id)
      if (known === undefined) groupNames.set(id, trimmed === "" ? undefined : trimmed)
      else if (trimmed !== "" && trimmed !== known) warnings.push({ path, message: `group ${id} is also named ${trimmed}: ${known} is kept` })
    }
    for (const group of groups) nameGroup(group.value.id.trim(), group.value.name, [...group.path, "name"])
    for (const set of groupSets) {
      for (const [index, g] of (set.value.organisationUnitGroups ?? []).entries())
        nameGroup(g.id.trim(), g.name, [...set.path, "organisationUnitGroups", index, "name"])
    }
    for (const unit of byId.values()) {
      for (const [index, g] of (unit.value.organisationUnitGroups ?? []).entries())
        nameGroup(g.id.trim(), g.name, [...unit.path, "organisationUnitGroups", index, "name"])
    }

    // Memberships: the unit's own groups, then the members listed by each group.
    const memberships = new Map<string, Set<string>>()
    for (const [id, unit] of byId) memberships.set(id, new Set((unit.value.organisationUnitGroups ?? []).map((g) => g.id.trim())))
    let foreignMembers = 0
    for (const group of groups) {
      for (const member of group.value.organisationUnits ?? []) {
        const set = memberships.get(member.id.trim())
        if (set === undefined) foreignMembers += 1
        else set.add(group.value.id.trim())
      }
    }
    if (foreignMembers > 0) {
      warnings.push({ path: ["groups"], message: `${foreignMembers} group memberships name org units that are not in the payload: they are ignored` })
    }

    // Group sets (first occurrence of an id kept): their own list of groups, plus the groups that name them.
    const sets = new Map<string, { readonly ref: string; readonly name: string; readonly groupRefs: ReadonlyArray<string> }>()
    for (const set of groupSets) {
      const ref = set.value.id.trim()
      if (sets.has(ref)) continue
      const refs = new Set((set.value.organisationUnitGroups ?? []).map((g) => g.id.trim()))
      for (const group of groups) if ((group.value.groupSets ?? []).some((s) => s.id.trim() === ref)) refs.add(group.value.id.trim())
      sets.set(ref, { ref, name: set.value.name.trim(), groupRefs: [...refs] })
    }

    // Units.
    const inputUnits: Array<PyramidUnit> = []
    const unitPaths: Array<Path> = []
    for (const [id, { value: unit, path }] of byId) {
      const level = unit.level ?? levelFromPath(unit.path)
      if (level === undefined) warnings.push({ path, message: `${id} (${unit.name}) has neither level nor path: imported without a type` })
      const geometry = readGeometry(unit, path, warnings)
      const opening = unit.openingDate === undefined || unit.openingDate === null ? undefined : datePart(unit.openingDate)
      const closed = unit.closedDate === undefined || unit.closedDate === null ? undefined : datePart(unit.closedDate)
      const parentRef = unit.parent?.id.trim()
      inputUnits.push({
        ref: id,
        name: unit.name.trim(),
        ...(level === undefined ? {} : { type: { name: levelNames.get(level) ?? dhis2FallbackTypeName(context.sourceName, level), depth: level } }),
        parentRef: parentRef === undefined ? null : parentRef,
        groupRefs: [...(memberships.get(id) ?? [])],
        code: unit.code?.trim() ?? null,
        ...(opening === undefined ? {} : { openingDate: opening }),
        ...(closed === undefined ? {} : { closedDate: closed }),
        ...(geometry === undefined ? {} : { geometry }),
        subSource: context.sourceName
      })
      unitPaths.push(path)
    }

    const input: PyramidInput = {
      groups: [...groupNames].map(([ref, name]) => ({ ref, name: name ?? ref })),
      groupSets: [...sets.values()],
      units: inputUnits
    }
    return Effect.succeed({ input, unitPaths, duplicates, warnings })
  })

// -----------------------------------------------------------------------------
// Import
// -----------------------------------------------------------------------------

/** Where each field of an engine unit came from in a DHIS2 org unit. */
const FIELD_PATHS: Readonly<Record<string, Path>> = {
  ref: ["id"],
  parentRef: ["parent", "id"],
  groupRefs: ["organisationUnitGroups"],
  openingDate: ["openingDate"],
  closedDate: ["closedDate"],
  geometry: ["geometry"]
}

/** Rewrites the engine's `["units", i, field]` issue paths into places of the DHIS2 payload. */
const toPayloadPaths = (error: ValidationError, unitPaths: ReadonlyArray<Path>): ValidationError => {
  let changed = false
  const issues = error.issues.map((issue) => {
    const [head, index, field] = issue.path
    const unitPath = typeof index === "number" ? unitPaths[index] : undefined
    if (head !== "units" || unitPath === undefined) return issue
    changed = true
    const fieldPath = typeof field === "string" ? (FIELD_PATHS[field] ?? [field]) : []
    return { path: [...unitPath, ...fieldPath, ...issue.path.slice(3)], message: issue.message }
  })
  return changed ? new ValidationError({ message: error.message, issues }) : error
}

/** Every `sourceRef` of a model's records in a version (a few fields only). */
const refsInVersion = (repos: Repos["Service"], accountId: string, model: typeof OrgUnitModel | typeof GroupModel | typeof GroupSetModel, versionId: string) =>
  Effect.map(
    listAll((page) => repos.list(model, accountId, page), { where: [{ field: "versionId", op: "eq", value: versionId }], select: ["sourceRef"] }),
    (items) => new Set(items.map((item) => (item.sourceRef !== undefined && item.sourceRef !== "" ? item.sourceRef : `iaso:${item.id}`)))
  )

/** The DHIS2 import over the repositories (`Repos`): what `importDhis2Pyramid` runs through the `PyramidImports` service. */
export const runDhis2Import = (
  payload: Dhis2Payload,
  options: Dhis2ImportOptions
): Effect.Effect<Dhis2ImportResult, ServiceWriteError | Interrupted, Repos | CurrentActor> =>
  longOperation("import", options, (progress) => dhis2Import(payload, options, progress))

/** The DHIS2 import, reporting to `progress` (see {@link runDhis2Import}). */
const dhis2Import = (payload: Dhis2Payload, options: Dhis2ImportOptions, progress: ProgressReporter) =>
  Effect.gen(function* () {
    const repos = yield* Repos
    const actor = yield* CurrentActor
    yield* requirePyramidImport(actor, "importing a DHIS2 pyramid")
    const source = yield* repos.get(DataSourceModel, actor.accountId, options.dataSourceId)
    const parsed = yield* parseDhis2Pyramid(payload, {
      sourceName: source.name,
      ...(options.maxUnits === undefined ? {} : { maxUnits: options.maxUnits })
    })
    yield* progress.report("read", parsed.input.units.length, parsed.input.units.length)
    const common = {
      dataSourceId: options.dataSourceId,
      source: DHIS2_IMPORT_SOURCE,
      messages: DHIS2_MESSAGES,
      onProgress: options.onProgress,
      signal: options.signal,
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.validationStatus === undefined ? {} : { validationStatus: options.validationStatus })
    }
    const run = (input: PyramidInput, unitPaths: ReadonlyArray<Path>, versionNumber: number | undefined, requireEmptyVersion: boolean) =>
      runPyramidImport(input, { ...common, requireEmptyVersion, ...(versionNumber === undefined ? {} : { versionNumber }) }).pipe(
        Effect.mapError((error) => (error._tag === "ValidationError" ? toPayloadPaths(error, unitPaths) : error))
      )

    if (options.update !== true) {
      const result = yield* run(parsed.input, parsed.unitPaths, options.versionNumber, true)
      return { ...result, duplicates: parsed.duplicates, skipped: 0, warnings: parsed.warnings }
    }

    // Update mode: read what the version has and add the rest, in one transaction.
    return yield* repos.driver.transaction(
      Effect.gen(function* () {
        const versions = yield* listAll((page) => repos.list(SourceVersionModel, actor.accountId, page), {
          where: [{ field: "dataSourceId", op: "eq", value: source.id }],
          orderBy: [{ field: "number" }]
        })
        const number = options.versionNumber ?? (versions.length === 0 ? 0 : (versions[versions.length - 1]?.number ?? 0) + 1)
        const version = versions.find((v) => v.number === number)
        const none = new Set<string>()
        const unitRefs = version?.id === undefined ? none : yield* refsInVersion(repos, actor.accountId, OrgUnitModel, version.id)
        const groupRefs = version?.id === undefined ? none : yield* refsInVersion(repos, actor.accountId, GroupModel, version.id)
        const setRefs = version?.id === undefined ? none : yield* refsInVersion(repos, actor.accountId, GroupSetModel, version.id)
        const units: Array<PyramidUnit> = []
        const unitPaths: Array<Path> = []
        parsed.input.units.forEach((unit, index) => {
          if (unitRefs.has(normaliseRef(unit.ref))) return
          units.push(unit)
          unitPaths.push(parsed.unitPaths[index] ?? [])
        })
        const input: PyramidInput = {
          groups: parsed.input.groups.filter((group) => !groupRefs.has(normaliseRef(group.ref))),
          groupSets: (parsed.input.groupSets ?? []).filter((set) => !setRefs.has(normaliseRef(set.ref))),
          units
        }
        const result = yield* run(input, unitPaths, number, false)
        return { ...result, duplicates: parsed.duplicates, skipped: parsed.input.units.length - units.length, warnings: parsed.warnings }
      })
    )
  })
