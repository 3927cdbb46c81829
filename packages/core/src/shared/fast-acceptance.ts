/**
 * A fast acceptance test for records on the write path. Effect Schema's validator builds a parse
 * result for every node of a record; on a bulk import that interpretation costs more than the
 * database insert. For the shapes models use (strings, numbers, booleans, literals, unions, structs,
 * arrays, with their refinements) this module compiles a plain predicate from the schema's type
 * side that runs the same refinements directly.
 *
 * It only ever says "certainly valid": a record it does not accept (or a node kind it does not
 * know, such as a declaration other than `Date`, or a template-literal schema) goes through
 * the full Schema validation, which gives the precise `ValidationError`. So it may be conservative,
 * never more lenient: every refinement attached to a node is run.
 * @module
 */
import { Schema, SchemaAST } from "effect"

/** A compiled predicate: `true` when the value is certainly valid. */
export type FastCheck = (value: unknown) => boolean

const NO_OPTIONS = {}

/** Runs a node's refinements; `true` when none reports an issue. */
const refinementsOf = (ast: SchemaAST.AST): ((value: unknown) => boolean) | undefined => {
  const checks = ast.checks
  if (checks === undefined || checks.length === 0) return undefined
  const filters: Array<SchemaAST.Filter<unknown>> = []
  const collect = (check: SchemaAST.Check<unknown>): void => {
    if (check._tag === "Filter") filters.push(check)
    else for (const inner of check.checks) collect(inner)
  }
  for (const check of checks) collect(check)
  return (value) => {
    for (const filter of filters) if (filter.run(value, ast, NO_OPTIONS) !== undefined) return false
    return true
  }
}

/** The run function every `Schema.Date` declaration shares (refined ones included). */
const DATE_RUN = (Schema.Date.ast as SchemaAST.Declaration).run

/** Compiled tests, per node: recursive schemas meet their own node again through `Suspend`. */
const compiled = new WeakMap<SchemaAST.AST, FastCheck | null>()

/** The node's own test (without refinements), or `undefined` for node kinds not handled here. */
const shapeOf = (ast: SchemaAST.AST): FastCheck | undefined => {
  switch (ast._tag) {
    case "Declaration":
      // Only `Date` (a valid one: an invalid Date takes the full path).
      if (ast.run !== DATE_RUN || ast.typeParameters.length > 0) return undefined
      return (value) => value instanceof Date && !Number.isNaN(value.getTime())
    case "Suspend": {
      // Resolved on first use, so a schema that contains itself compiles.
      let resolved: FastCheck | null | undefined
      return (value) => {
        if (resolved === undefined) resolved = fastCheckOf(ast.thunk()) ?? null
        return resolved === null ? false : resolved(value)
      }
    }
    case "String":
      return (value) => typeof value === "string"
    case "Number":
      // Only finite numbers are accepted here; NaN and infinities take the full path.
      return (value) => typeof value === "number" && Number.isFinite(value)
    case "Boolean":
      return (value) => typeof value === "boolean"
    case "Null":
      return (value) => value === null
    case "Literal": {
      const literal = ast.literal
      return (value) => value === literal
    }
    case "Union": {
      const members = ast.types.map((member) => fastCheckOf(member))
      if (members.some((member) => member === undefined)) return undefined
      const checks = members as ReadonlyArray<FastCheck>
      return (value) => {
        for (let i = 0; i < checks.length; i++) if ((checks[i] as FastCheck)(value)) return true
        return false
      }
    }
    case "Arrays": {
      // Leading elements (a tuple, trailing ones optional) then at most one rest type.
      if (ast.rest.length > 1) return undefined
      const elements: Array<readonly [FastCheck, boolean]> = []
      for (const element of ast.elements) {
        const check = fastCheckOf(element)
        if (check === undefined) return undefined
        elements.push([check, SchemaAST.isOptional(element)])
      }
      const restType = ast.rest[0]
      const rest = restType === undefined ? undefined : fastCheckOf(restType)
      if (restType !== undefined && rest === undefined) return undefined
      const required = elements.filter(([, optional]) => !optional).length
      return (value) => {
        if (!Array.isArray(value) || value.length < required) return false
        if (rest === undefined && value.length > elements.length) return false
        for (let i = 0; i < value.length; i++) {
          const element = elements[i]
          const check = element === undefined ? rest : element[0]
          if (check === undefined || !check(value[i])) return false
        }
        return true
      }
    }
    case "Objects": {
      if (ast.indexSignatures.length > 1) return undefined
      // A string-keyed record (`Record<string, V>`): every own key's value is a V.
      const index = ast.indexSignatures[0]
      let indexCheck: FastCheck | undefined
      if (index !== undefined) {
        if (index.parameter._tag !== "String" || (index.parameter.checks?.length ?? 0) > 0 || ast.propertySignatures.length > 0) return undefined
        indexCheck = fastCheckOf(index.type)
        if (indexCheck === undefined) return undefined
      }
      if (indexCheck !== undefined) {
        const valueCheck = indexCheck
        return (value) => {
          if (typeof value !== "object" || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false
          // Own enumerable keys (a plain object inherits none): what `Object.keys` lists.
          const record = value as Record<string, unknown>
          for (const key in record) if (!valueCheck(record[key])) return false
          return Object.getOwnPropertySymbols(value).length === 0
        }
      }
      return structCheck(ast, (property) => fastCheckOf(property.type))
    }
    default:
      return undefined
  }
}

/**
 * The test of a struct's own properties: each by `propertyCheck` (`undefined` when one has none);
 * a missing required key or any excess key makes the value "not certainly valid" (as
 * `onExcessProperty: "error"` would reject it).
 */
const structCheck = (ast: SchemaAST.Objects, propertyCheck: (property: SchemaAST.PropertySignature) => FastCheck | undefined): FastCheck | undefined => {
  const properties: Array<readonly [PropertyKey, FastCheck, boolean]> = []
  for (const property of ast.propertySignatures) {
    const check = propertyCheck(property)
    if (check === undefined) return undefined
    properties.push([property.name, check, SchemaAST.isOptional(property.type)])
  }
  const names = new Set<PropertyKey>(properties.map(([name]) => name))
  const keys = properties.map(([name]) => name)
  const checks = properties.map(([, check]) => check)
  const optionals = properties.map(([, , optional]) => optional)
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false
    const record = value as Record<PropertyKey, unknown>
    for (let i = 0; i < keys.length; i++) {
      const name = keys[i] as PropertyKey
      if (!Object.hasOwn(record, name)) {
        if (optionals[i] === true) continue
        return false
      }
      if (!(checks[i] as FastCheck)(record[name])) return false
    }
    for (const key in record) if (!names.has(key) && Object.hasOwn(record, key)) return false
    return true
  }
}

/**
 * Compiles the fast acceptance test of a schema's type-side AST (pass `Schema.toType(schema).ast`),
 * or `undefined` when the schema has a node kind it does not handle. Structs are closed: excess
 * properties make a value "not certainly valid".
 */
export const fastCheckOf = (ast: SchemaAST.AST): FastCheck | undefined => {
  const known = compiled.get(ast)
  if (known !== undefined) return known ?? undefined
  let result: FastCheck | undefined
  if (ast.encoding === undefined) {
    const shape = shapeOf(ast)
    const refinements = shape === undefined ? undefined : refinementsOf(ast)
    result = shape === undefined ? undefined : refinements === undefined ? shape : (value) => shape(value) && refinements(value)
  }
  compiled.set(ast, result ?? null)
  return result
}

/**
 * The fast acceptance test of a model record: each property by its compiled test, or by
 * `fallback(name)` (e.g. the property's own Schema guard) where the property's schema has a node
 * kind not handled here; excess properties and the record-level refinements are checked too.
 * `undefined` when the record schema itself is not a plain struct.
 */
export const fastRecordCheckOf = (ast: SchemaAST.AST, fallback: (name: string) => FastCheck): FastCheck | undefined => {
  if (ast._tag !== "Objects" || ast.indexSignatures.length > 0 || ast.encoding !== undefined) return undefined
  const struct = structCheck(ast, (property) => fastCheckOf(property.type) ?? fallback(String(property.name)))
  if (struct === undefined) return undefined
  const refinements = refinementsOf(ast)
  return refinements === undefined ? struct : (value) => struct(value) && refinements(value)
}
