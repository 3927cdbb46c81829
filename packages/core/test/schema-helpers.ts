/** Helpers shared by the schema test files. */
import type { AnyModel } from "@iaso/core"
import { Schema } from "effect"
import { expect } from "vitest"

/** A stored (encoded) record. */
export type Encoded = Readonly<Record<string, unknown>>

/** The SchemaError message of decoding `input` with `schema` (fails the test if it decodes or throws something else). */
export const decodeFailure = (schema: Schema.Decoder<unknown>, input: unknown): string => {
  try {
    Schema.decodeUnknownSync(schema)(input)
  } catch (error) {
    expect(Schema.isSchemaError(error)).toBe(true)
    return error instanceof Error ? error.message : String(error)
  }
  throw new Error("expected decoding to fail")
}

/**
 * The model's schema with plain-record types (an `AnyModel`'s schema is a `Struct<any>`, whose service
 * parameters are `any` and not accepted by the decoders; the models' fields need no services).
 */
export const codecOf = (model: AnyModel): Schema.Codec<Readonly<Record<string, unknown>>, Encoded> =>
  model.schema as unknown as Schema.Codec<Readonly<Record<string, unknown>>, Encoded>

/** Decodes a stored record with the model's schema, as a plain record. */
export const decodeRecord = (model: AnyModel, encoded: unknown): Readonly<Record<string, unknown>> => Schema.decodeUnknownSync(codecOf(model))(encoded)

/** Encodes a domain record with the model's schema, as a plain record. */
export const encodeRecord = (model: AnyModel, record: unknown): Encoded => Schema.encodeSync(codecOf(model))(record as Readonly<Record<string, unknown>>)

/** Encodes a domain record with the model's public schema. */
export const encodePublic = (model: AnyModel, record: unknown): Encoded => Schema.encodeSync(model.publicSchema as Schema.Codec<unknown, Encoded>)(record)
