/**
 * JSON values as stored in JSON fields (IASO `JSONField`s): no U+0000 in any string or key,
 * finite numbers only. A JSON field is never `null` at its top level: an absent field is absent.
 * @module
 */
import { Schema } from "effect"
import { hasNoNul, Text } from "./text.ts"

/** A JSON value (recursive). */
export type JsonValue = null | boolean | number | string | ReadonlyArray<JsonValue> | { readonly [key: string]: JsonValue }

/** Finite numbers other than -0 (JSON cannot tell -0 from 0). */
const JsonNumber = Schema.Finite.check(Schema.makeFilter((n: number) => !Object.is(n, -0) || "-0 is not a JSON number"))

/** Any JSON value without U+0000 in its strings and keys. */
export const JsonValue: Schema.Codec<JsonValue> = Schema.Union([
  Schema.Null,
  Schema.Boolean,
  JsonNumber,
  Text,
  Schema.Array(Schema.suspend((): Schema.Codec<JsonValue> => JsonValue)),
  Schema.Record(Schema.String.check(hasNoNul), Schema.suspend((): Schema.Codec<JsonValue> => JsonValue))
])

/** A JSON object. */
export const JsonObject = Schema.Record(Schema.String.check(hasNoNul), JsonValue)
export type JsonObject = typeof JsonObject.Type

/** A JSON field value: any JSON value except a top-level `null`. */
export const Json = Schema.Union([Schema.Boolean, JsonNumber, Text, Schema.Array(JsonValue), JsonObject])
export type Json = typeof Json.Type
