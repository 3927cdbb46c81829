/**
 * The limits core holds JSON and pyramid imports to, declared once. Each is checked in core before
 * any store, and before anything that recurses, reads the input, and answered with a
 * `ValidationError` whose message names what was found, the limit's value and its name. (The form
 * readers' limits are `FORM_LIMITS`, in `forms/limits.ts`.)
 * @module
 */
import { ValidationError } from "./errors.ts"

/**
 * The deepest nesting of arrays and objects accepted in plain data from a caller: each field of a
 * record written to any store (`extraFields`, a submission's answers, a geometry), a GeoJSON
 * FeatureCollection and each member of a DHIS2 payload given to an import. The outermost array or
 * object is at level 1, so `[[1]]` nests 2 levels deep.
 *
 * 64: the JSON of IASO's test fixtures nests at most 9 levels (a DHIS2 tracked entity with its
 * enrollments; a page of `organisationUnits` with MultiPolygon geometries nests 8, as does a
 * FeatureCollection of MultiPolygons),
 * and at 64 levels every recursive reader (Effect Schema, JSON encoding, error messages) stays far
 * from the call stack's limit. The nesting is measured without recursion; data nested deeper, or
 * holding a cycle, is refused at the path of its first array or object past the limit.
 */
export const MAX_JSON_DEPTH = 64

/**
 * How many org units one GeoJSON or DHIS2 pyramid import takes by default (option `maxUnits`): the
 * features of a FeatureCollection, or the `organisationUnits` items of a DHIS2 payload over all of
 * its pages, duplicates included. An import writes its whole pyramid in one transaction and holds it
 * in memory: 100,000 is above the org units of any national DHIS2 pyramid IASO imports, and a
 * larger pyramid is imported by raising `maxUnits`. The count is checked before any item is decoded.
 */
export const DEFAULT_MAX_IMPORT_UNITS = 100_000

/**
 * Refuses an import payload carrying more org units than the import takes: `count` items (`noun`,
 * e.g. `features`) at `path`, against the option `maxUnits` (default
 * {@link DEFAULT_MAX_IMPORT_UNITS}), which must be a positive integer. Called before any item is
 * decoded.
 */
export const checkImportUnits = (path: ReadonlyArray<string | number>, count: number, noun: string, maxUnits?: number): ValidationError | undefined => {
  const max = maxUnits ?? DEFAULT_MAX_IMPORT_UNITS
  if (!Number.isSafeInteger(max) || max < 1) return ValidationError.at(["maxUnits"], `expected a positive integer, got ${String(maxUnits)}`)
  return count > max ? ValidationError.at(path, `${count} ${noun}: more than the ${max} one import takes (option \`maxUnits\`)`) : undefined
}

/**
 * The deepest an org unit may sit in its version's tree (a root is at depth 1). A unit's path names
 * every ancestor, so a tree's paths grow with the square of its depth (a chain 10,000 deep would
 * store 50 million ids): 32 is over three times the deepest pyramid IASO serves (countries, regions,
 * districts, chiefdoms, areas, facilities), and the GeoPackage reader's default `maxDepth`. Checked
 * by every writer of the tree (imports, `OrgUnits.create` and `move`) before any path is built.
 */
export const MAX_HIERARCHY_DEPTH = 32

/** The message of a unit placed deeper than {@link MAX_HIERARCHY_DEPTH}. */
export const tooDeepMessage = (what: string, depth: number): string =>
  `${what} would sit ${depth} levels deep: more than the ${MAX_HIERARCHY_DEPTH} levels of a pyramid (limit \`MAX_HIERARCHY_DEPTH\`)`
