/**
 * JSON values as stored in JSON fields (IASO `JSONField`s): no U+0000 in any string or key,
 * finite numbers only. A JSON field is never `null` at its top level: an absent field is absent.
 *
 * Plain data from a caller (a record's fields, an import's payload) is admitted first by
 * {@link admitJson}: its nesting is bounded by {@link MAX_JSON_DEPTH}, measured without recursion,
 * and every -0 becomes 0 (JSON cannot tell them apart, and stores would not agree on it).
 * @module
 */
import { Schema, SchemaAST } from "effect"
import { ValidationError } from "./errors.ts"
import { MAX_JSON_DEPTH } from "./limits.ts"
import { Text } from "./text.ts"

/** A JSON value (recursive). */
export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | { readonly [key: string]: JsonValue }

/**
 * Finite numbers other than -0 (JSON cannot tell -0 from 0). Written records never hold -0: the
 * record codec admits them with {@link admitJson}, which makes it 0, before this schema sees them.
 */
const JsonNumber = Schema.Finite.check(Schema.makeFilter((n: number) => !Object.is(n, -0) || "-0 is not a JSON number"))

/**
 * Refuses objects with a key containing U+0000 (checked on the object: a failing key schema would
 * make Effect drop the key silently instead of refusing it).
 */
const keysHaveNoNul = Schema.makeFilter((record: { readonly [key: string]: unknown }) => {
  const keys = Object.keys(record)
  const nul = keys.find((key) => key.includes("\u0000"))
  if (nul !== undefined) return `keys must not contain the NUL character (U+0000): ${JSON.stringify(nul)}`
  const broken = keys.find((key) => !key.isWellFormed())
  return broken === undefined || `keys must be well-formed Unicode (no lone surrogate): ${JSON.stringify(broken)}`
})

/** Any JSON value without U+0000 in its strings and keys. */
export const JsonValue: Schema.Codec<JsonValue> = Schema.Union([
  Schema.Null,
  Schema.Boolean,
  JsonNumber,
  Text,
  Schema.Array(Schema.suspend((): Schema.Codec<JsonValue> => JsonValue)),
  Schema.Record(
    Schema.String,
    Schema.suspend((): Schema.Codec<JsonValue> => JsonValue)
  ).check(keysHaveNoNul)
])

/** A JSON object. */
export const JsonObject = Schema.Record(Schema.String, JsonValue).check(keysHaveNoNul)
export type JsonObject = typeof JsonObject.Type

/** A JSON field value: any JSON value except a top-level `null`. */
export const Json = Schema.Union([Schema.Boolean, JsonNumber, Text, Schema.Array(JsonValue), JsonObject])
export type Json = typeof Json.Type

const HOLDS_RECORD = "iaso/holdsRecord"

/**
 * A JSON field holding a record's encoding (an audit entry's `before` and `after`): each field of
 * that record nests up to {@link MAX_JSON_DEPTH} levels, so this field one level more (see
 * {@link nestingLimitOf}).
 */
export const RecordJson = Json.annotate({ [HOLDS_RECORD]: true })

/** The most levels a record field of this schema nests: {@link MAX_JSON_DEPTH}, one more for a {@link RecordJson}. */
export const nestingLimitOf = (field: Schema.Top): number => MAX_JSON_DEPTH + (SchemaAST.resolve(field.ast)?.[HOLDS_RECORD] === true ? 1 : 0)

// -----------------------------------------------------------------------------
// Admitting plain data
// -----------------------------------------------------------------------------

/** A place in a value: the keys and indexes leading to it from the top. */
type Path = ReadonlyArray<string | number>

/** A plain object (its prototype `Object.prototype` or `null`): what JSON gives, not a class instance. */
export const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** Arrays and plain objects: what nests (a `Date`, a class instance is a leaf). */
const isNesting = (value: unknown): value is ReadonlyArray<unknown> | Readonly<Record<string, unknown>> => Array.isArray(value) || isPlainObject(value)

const isNegativeZero = (value: unknown): boolean => value === 0 && Object.is(value, -0)

/**
 * What an array of scalars holds (a GeoJSON position: most of what a geometry holds), checked
 * where it is found rather than pushed on the stack: `"scalars"`, `"scalars with -0"`, or
 * `undefined` for anything else.
 */
const scalarArray = (value: object): "scalars" | "scalars with -0" | undefined => {
  if (!Array.isArray(value)) return undefined
  let negativeZero = false
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i]
    if (typeof item === "object" && item !== null) return undefined
    if (item === 0 && 1 / item < 0) negativeZero = true
  }
  return negativeZero ? "scalars with -0" : "scalars"
}

/**
 * One walk over an object with an explicit stack (no recursion, whatever the input): whether an
 * array or object sits deeper than `limit` levels (a cycle always does), and whether a -0 occurs.
 */
const measure = (value: object, limit: number): { readonly tooDeep: boolean; readonly negativeZero: boolean } => {
  const values: Array<unknown> = [value]
  const levels: Array<number> = [0]
  let negativeZero = false
  /** A child at `level`: a scalar looked at, an array of scalars checked here, anything else stacked. */
  const visit = (child: unknown, level: number): void => {
    if (typeof child !== "object") {
      if (child === 0 && 1 / child < 0) negativeZero = true
      return
    }
    if (child === null) return
    // An array of scalars one level down nests no further: checked here (it is within the limit).
    const scalars = level < limit ? scalarArray(child) : undefined
    if (scalars === "scalars with -0") negativeZero = true
    else if (scalars === undefined) {
      values.push(child)
      levels.push(level)
    }
  }
  while (values.length > 0) {
    const current = values.pop()
    const level = (levels.pop() ?? 0) + 1
    if (!isNesting(current)) continue
    if (level > limit) return { tooDeep: true, negativeZero }
    if (Array.isArray(current)) for (let i = 0; i < current.length; i++) visit(current[i], level)
    else {
      // Own enumerable values (what `Object.values` lists), without a copy of them.
      const record = current as Readonly<Record<string, unknown>>
      for (const key in record) if (Object.hasOwn(record, key)) visit(record[key], level)
    }
  }
  return { tooDeep: false, negativeZero }
}

/**
 * The path of the first array or object (in document order) deeper than `limit` levels, below a
 * value {@link measure} found too deep: recursion here is bounded by `limit`.
 */
const firstTooDeep = (value: unknown, limit: number, level = 1): Path | undefined => {
  if (!isNesting(value)) return undefined
  if (level > limit) return []
  const entries: Iterable<readonly [string | number, unknown]> = Array.isArray(value) ? value.entries() : Object.entries(value)
  for (const [key, child] of entries) {
    const below = firstTooDeep(child, limit, level + 1)
    if (below !== undefined) return [key, ...below]
  }
  return undefined
}

/** A copy of `value` with 0 for every -0, sharing every part that holds none (bounded: called on admitted data). */
const withoutNegativeZero = (value: unknown): unknown => {
  if (isNegativeZero(value)) return 0
  if (Array.isArray(value)) {
    const items = value.map(withoutNegativeZero)
    return items.every((item, index) => Object.is(item, value[index])) ? value : items
  }
  if (!isPlainObject(value)) return value
  const entries = Object.entries(value).map(([key, inner]) => [key, withoutNegativeZero(inner)] as const)
  return entries.every(([key, inner]) => Object.is(inner, value[key])) ? value : Object.fromEntries(entries)
}

/** The message of data nested past {@link MAX_JSON_DEPTH}. */
export const TOO_DEEP_MESSAGE = `arrays and objects nested more than ${MAX_JSON_DEPTH} levels deep (limit \`MAX_JSON_DEPTH\`)`

/**
 * Admits plain data from a caller (arrays, plain objects and scalars; other objects are leaves),
 * before anything recursive reads it: a `ValidationError` when an array or object nests more than
 * {@link MAX_JSON_DEPTH} levels deep (a cycle always does), at `path` followed by the place of the
 * first one past the limit; else the value with 0 for every -0 (the value itself when it holds
 * none; a copy of the parts that do, the input is never changed). The nesting is measured with an
 * explicit stack: a payload nested a million levels deep is refused, not a stack overflow.
 * `limit` is {@link MAX_JSON_DEPTH} but for a field that holds a record (see {@link nestingLimitOf}).
 */
export const admitJson = <T>(value: T, path: Path = [], limit: number = MAX_JSON_DEPTH): T | ValidationError => {
  if (typeof value !== "object" || value === null) return (isNegativeZero(value) ? 0 : value) as T
  const { tooDeep, negativeZero } = measure(value, limit)
  if (tooDeep) return ValidationError.at([...path, ...(firstTooDeep(value, limit) ?? [])], TOO_DEEP_MESSAGE)
  return (negativeZero ? withoutNegativeZero(value) : value) as T
}
