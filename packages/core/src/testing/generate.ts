/**
 * Record generation for the conformance suite: records made from each model's Schema (Effect's
 * arbitraries, seeded), with every optional field absent and present, boundary values, unique
 * values made distinct, and references satisfied by creating the referenced records first.
 * @module
 */
import { Effect, Schema, SchemaAST } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import type { StorageError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { AnyModel, RecordOf } from "../shared/model.ts"
import type { Repositories, WriteError } from "../shared/repository.ts"

const SYSTEM = new Set(["id", "accountId", "version", "createdAt", "updatedAt"])

/** A record input (domain values) without system fields except `id`. */
export type Input = Record<string, unknown>

/** Whether a field of a model is optional (may be absent). */
export const isOptionalField = (model: AnyModel, field: string): boolean => {
  const schema = (model.schema.fields as Record<string, Schema.Top>)[field]
  return schema?.ast.context?.isOptional === true
}

/** The optional fields of a model. */
export const optionalFields = (model: AnyModel): ReadonlyArray<string> =>
  Object.keys(model.schema.fields as object).filter((field) => isOptionalField(model, field))

const typeSchemas = new WeakMap<AnyModel, Schema.Top>()
const typeSchema = (model: AnyModel): Schema.Top => {
  let schema = typeSchemas.get(model)
  if (schema === undefined) {
    schema = Schema.toType(model.schema)
    typeSchemas.set(model, schema)
  }
  return schema
}

/** `count` domain records of a model from its Schema, deterministic for a seed. */
export const sampleRecords = (model: AnyModel, count: number, seed: number, size?: number): Effect.Effect<ReadonlyArray<Input>> =>
  Effect.map(
    // A size above the field count lets the generator add optional keys to wide records (slower: only when asked).
    Arbitrary.sampleEffect(Arbitrary.schema(typeSchema(model) as Schema.Codec<Record<string, unknown>>), {
      count,
      seed,
      maxDiscards: 20_000,
      ...(size === undefined ? {} : { size })
    }),
    (records) =>
      records.map((record) => {
        const out: Input = {}
        for (const [key, value] of Object.entries(record)) if (!SYSTEM.has(key) || key === "id") out[key] = value
        return out
      })
  ).pipe(Effect.orDie)

/**
 * Values for one field sampled from the field's own schema (used when whole-record sampling leaves
 * an optional field absent every time, as it does for deep or recursive fields).
 */
export const sampleField = (model: AnyModel, field: string, count: number, seed: number): Effect.Effect<ReadonlyArray<unknown>> => {
  const schema = (model.schema.fields as Record<string, Schema.Top>)[field]
  if (schema === undefined) return Effect.succeed([])
  return Arbitrary.sampleEffect(Arbitrary.schema(Schema.toType(schema) as Schema.Codec<unknown>), { count, seed, maxDiscards: 20_000 }).pipe(
    Effect.map((values) => values.filter((value) => value !== undefined)),
    Effect.orDie
  )
}

/** Whether a value is valid for a model field (its domain type). */
const validFor = (model: AnyModel, field: string, value: unknown): boolean => {
  const schema = (model.schema.fields as Record<string, Schema.Top>)[field]
  if (schema === undefined) return false
  return Schema.is(Schema.toType(schema) as Schema.Top)(value)
}

const emojiText = "Ségou 🏥 «clinic» \"quoted\" 'single' `tick` \\ backslash 🇸🇱"
const sqlText = "'); DROP TABLE org_unit; -- \" OR 1=1 /* */ %_ LIKE '%'"

/** Boundary text candidates, longest first (a field takes the first its schema accepts). */
const textCandidates = (index: number): ReadonlyArray<string> => {
  const long = (n: number) =>
    `${emojiText} `
      .repeat(Math.ceil(n / emojiText.length))
      .slice(0, n)
      .replace(/[\uD800-\uDBFF]$/, "x")
  const variants = [
    [long(4000), long(1000), long(255), long(200), long(150), long(100), long(10), "🏥"],
    [sqlText, sqlText.slice(0, 100), "'; --", "%"],
    ["Z", "\u{10FFFF}", "ÿ", "e\u0301"]
  ]
  return variants[index % variants.length] ?? []
}

/** Boundary dates: the epoch, the 2038 32-bit limit, the last millisecond the SDK stores. */
export const BOUNDARY_DATES: ReadonlyArray<Date> = [
  new Date(0),
  new Date(Date.UTC(2038, 0, 19, 3, 14, 7, 999)),
  new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999))
]

const numberCandidates = (index: number): ReadonlyArray<number> =>
  [
    [2147483647, 32767, 1, 0],
    [0, -1, 1.5],
    [-2147483648, 1e-7, 123456.789]
  ][index % 3] ?? []

const geometryCandidates: ReadonlyArray<unknown> = [
  // a 3D point
  { type: "Point", coordinates: [-11.7271, 7.9553, 152.25] },
  // a multipolygon with a hole, crossing no boundary
  {
    type: "MultiPolygon",
    coordinates: [
      [
        [
          [-13.3, 6.9],
          [-10.2, 6.9],
          [-10.2, 10.0],
          [-13.3, 10.0],
          [-13.3, 6.9]
        ],
        [
          [-12.0, 8.0],
          [-11.0, 8.0],
          [-11.0, 9.0],
          [-12.0, 8.0]
        ]
      ],
      [
        [
          [179.5, -89.5],
          [180, -89.5],
          [180, 90],
          [179.5, -89.5]
        ]
      ]
    ]
  }
]

/**
 * A record with boundary values wherever the field accepts one: long texts with emoji, quotes and
 * SQL fragments, dates at 1970, 2038 and 9999, large and small numbers, 3D points and polygons with
 * holes. Fields that accept none of them keep the base record's value.
 */
export const boundaryRecord = (model: AnyModel, base: Input, index: number): Input => {
  const out: Input = { ...base }
  for (const field of Object.keys(model.schema.fields as object)) {
    if (SYSTEM.has(field)) continue
    const candidates: ReadonlyArray<unknown> = [
      ...textCandidates(index),
      ...[BOUNDARY_DATES[index % BOUNDARY_DATES.length]],
      ...numberCandidates(index),
      ...geometryCandidates
    ]
    for (const candidate of candidates) {
      if (validFor(model, field, candidate)) {
        out[field] = candidate
        break
      }
    }
  }
  return out
}

let uniqueCounter = 0
let referenceCounter = 0
const runTag = Math.random().toString(36).slice(2, 8)
const usedValues = new Map<string, Set<string>>()

/** Another valid value for a field, never used before in this run (from the field's own schema when needed). */
const freshValue = (model: AnyModel, field: string, value: unknown): unknown => {
  const key = `${model.name}.${field}`
  const used = usedValues.get(key) ?? new Set<string>()
  usedValues.set(key, used)
  uniqueCounter += 1
  const candidates: Array<unknown> = []
  if (typeof value === "number") candidates.push(Number.isInteger(value) ? (Math.abs(value) % 1_000_000) + uniqueCounter * 1_000_000 : value + uniqueCounter)
  if (typeof value === "string") candidates.push(`${value.slice(0, 20)}~${runTag}${uniqueCounter}`, `u~${runTag}${uniqueCounter}`, uuidv7())
  for (const candidate of candidates) {
    if (validFor(model, field, candidate) && !used.has(JSON.stringify(candidate))) {
      used.add(JSON.stringify(candidate))
      return candidate
    }
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const [sampled] = Effect.runSync(sampleField(model, field, 1, uniqueCounter * 131 + attempt))
    if (sampled !== undefined && !used.has(JSON.stringify(sampled))) {
      used.add(JSON.stringify(sampled))
      return sampled
    }
  }
  return value
}

/**
 * Makes the values of every unique index distinct across the run (a new valid value per field:
 * text gets a run-wide suffix, numbers an offset, other fields a fresh sample of their schema), so
 * that generated records never collide by chance.
 */
export const makeUnique = (model: AnyModel, input: Input): Input => {
  const out: Input = { ...input }
  for (const index of model.indexes) {
    if (index.unique !== true) continue
    for (const field of index.fields) {
      if (SYSTEM.has(field) || out[field] === undefined) continue
      out[field] = freshValue(model, field, out[field])
    }
  }
  return out
}

/**
 * Creates, through the repositories, the records an input references (recursively), and returns
 * the input with its reference fields pointing at them. Optional references whose target model is
 * already being built (a cycle) or is the model itself are dropped.
 */
export const satisfyReferences = (
  repos: Repositories,
  accountId: string,
  model: AnyModel,
  input: Input,
  seed: number,
  stack: ReadonlyArray<string> = []
): Effect.Effect<Input, WriteError | StorageError> =>
  Effect.gen(function* () {
    const out: Input = { ...input }
    for (const reference of model.references) {
      if (!(reference.field in out)) continue
      const target = repos.models.get(reference.target)
      const optional = isOptionalField(model, reference.field)
      const building = new Set([...stack, model.name])
      if (target === undefined || target === model || stack.includes(target.name) || (optional && requiresAny(repos, target, building))) {
        if (optional) delete out[reference.field]
        continue
      }
      referenceCounter += 1
      const created = yield* createValid(repos, accountId, target, seed + 7 * referenceCounter, [...stack, model.name])
      out[reference.field] = (created as { readonly id: string }).id
    }
    return out
  })

/** Whether creating a record of `model` needs (through required references) a record of one of `models`. */
const requiresAny = (repos: Repositories, model: AnyModel, models: ReadonlySet<string>, seen: Set<string> = new Set()): boolean => {
  if (seen.has(model.name)) return false
  seen.add(model.name)
  for (const reference of model.references) {
    if (isOptionalField(model, reference.field)) continue
    if (models.has(reference.target)) return true
    const target = repos.models.get(reference.target)
    if (target !== undefined && target !== model && requiresAny(repos, target, models, seen)) return true
  }
  return false
}

/** Creates one valid record of a model (its references created first), through the repositories. */
export const createValid = (
  repos: Repositories,
  accountId: string,
  model: AnyModel,
  seed: number,
  stack: ReadonlyArray<string> = []
): Effect.Effect<RecordOf<AnyModel>, WriteError | StorageError> =>
  Effect.gen(function* () {
    const [sample] = yield* sampleRecords(model, 1, seed)
    const prepared = yield* satisfyReferences(repos, accountId, model, makeUnique(model, sample ?? {}), seed, [...stack, model.name])
    const { id: _id, ...rest } = prepared
    return yield* repos.insert(model, accountId, rest)
  })

/** The leaf AST tag of a field (through optional wrappers), for picking condition values. */
export const fieldKind = (model: AnyModel, field: string): string | undefined => {
  const column = model.columns.find((c) => c.name === field)
  if (column !== undefined) return column.kind
  const schema = (model.schema.fields as Record<string, Schema.Top>)[field]
  return schema === undefined ? undefined : SchemaAST.toEncoded(schema.ast)._tag
}
