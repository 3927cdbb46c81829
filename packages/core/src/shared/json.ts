/**
 * JSON values as stored in JSON fields (IASO `JSONField`s): no U+0000 in any string or key,
 * finite numbers only. A JSON field is never `null` at its top level: an absent field is absent.
 * @module
 */
import { Schema } from "effect"
import { Text } from "./text.ts"

/** A JSON value (recursive). */
export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | { readonly [key: string]: JsonValue }

/** Finite numbers other than -0 (JSON cannot tell -0 from 0). */
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
