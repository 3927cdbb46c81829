/**
 * A fast acceptance test for records on the write path. Effect Schema's validator builds a parse
 * result for every node of a record; on a bulk import that interpretation costs more than the
 * database insert. For the shapes models use (strings, numbers, booleans, literals, unions, structs,
 * arrays, with their refinements) this module compiles a plain predicate from the schema's type
 * side that runs the same refinements directly.
 *
 * It only ever says "certainly valid": a record it does not accept (or a node kind it does not
 * know, such as a declaration like `Date`, a recursive or template-literal schema) goes through
 * the full Schema validation, which gives the precise `ValidationError`. So it may be conservative,
 * never more lenient: every refinement attached to a node is run.
 * @module
 */
import { SchemaAST } from "effect"

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

/** The node's own test (without refinements), or `undefined` for node kinds not handled here. */
const shapeOf = (ast: SchemaAST.AST, closed: boolean): FastCheck | undefined => {
  switch (ast._tag) {
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
      const members = ast.types.map((member) => fastCheckOf(member, closed))
      if (members.some((member) => member === undefined)) return undefined
      const checks = members as ReadonlyArray<FastCheck>
      return (value) => checks.some((check) => check(value))
    }
    case "Arrays": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) return undefined
      const item = ast.rest[0]
      const check = item === undefined ? undefined : fastCheckOf(item, closed)
      if (check === undefined) return undefined
      return (value) => Array.isArray(value) && value.every((element) => check(element))
    }
    case "Objects": {
      if (ast.indexSignatures.length > 0) return undefined
      const properties: Array<readonly [PropertyKey, FastCheck, boolean]> = []
      for (const property of ast.propertySignatures) {
        const check = fastCheckOf(property.type, closed)
        if (check === undefined) return undefined
        properties.push([property.name, check, SchemaAST.isOptional(property.type)])
      }
      const names = new Set(properties.map(([name]) => name))
      return (value) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return false
        const record = value as Record<PropertyKey, unknown>
        for (const [name, check, optional] of properties) {
          if (!Object.hasOwn(record, name)) {
            if (optional) continue
            return false
          }
          if (!check(record[name])) return false
        }
        if (closed) for (const key of Object.keys(record)) if (!names.has(key)) return false
        return true
      }
    }
    default:
      return undefined
  }
}

/**
 * Compiles the fast acceptance test of a schema's type-side AST (pass `Schema.toType(schema).ast`),
 * or `undefined` when the schema has a node kind it does not handle. `closed`: excess properties
 * make a struct "not certainly valid" (as `onExcessProperty: "error"` would reject them).
 */
export const fastCheckOf = (ast: SchemaAST.AST, closed = true): FastCheck | undefined => {
  if (ast.encoding !== undefined) return undefined
  const shape = shapeOf(ast, closed)
  if (shape === undefined) return undefined
  const refinements = refinementsOf(ast)
  return refinements === undefined ? shape : (value) => shape(value) && refinements(value)
}

/**
 * The fast acceptance test of a model record: each property by its compiled test, or by
 * `fallback(name)` (e.g. the property's own Schema guard) where the property's schema has a node
 * kind not handled here; excess properties and the record-level refinements are checked too.
 * `undefined` when the record schema itself is not a plain struct.
 */
export const fastRecordCheckOf = (ast: SchemaAST.AST, fallback: (name: string) => FastCheck): FastCheck | undefined => {
  if (ast._tag !== "Objects" || ast.indexSignatures.length > 0 || ast.encoding !== undefined) return undefined
  const properties = ast.propertySignatures.map((property) => {
    const name = String(property.name)
    return [name, fastCheckOf(property.type) ?? fallback(name), SchemaAST.isOptional(property.type)] as const
  })
  const names = new Set(properties.map(([name]) => name))
  const refinements = refinementsOf(ast)
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false
    const record = value as Record<string, unknown>
    for (const [name, check, optional] of properties) {
      if (!Object.hasOwn(record, name)) {
        if (optional) continue
        return false
      }
      if (!check(record[name])) return false
    }
    for (const key of Object.keys(record)) if (!names.has(key)) return false
    return refinements === undefined || refinements(value)
  }
}
