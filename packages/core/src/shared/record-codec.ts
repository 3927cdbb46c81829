/**
 * The record codec of a model: validating and encoding domain records to stored rows (with their
 * derived columns), decoding stored rows back, partial decoding for selected fields.
 * @module
 */
import { Effect, Schema, SchemaAST } from "effect"
import { fastRecordCheckOf } from "./fast-acceptance.ts"
import { StorageError, ValidationError } from "./errors.ts"
import { admitJson, nestingLimitOf } from "./json.ts"
import { type AnyModel, kindProblem, type RecordOf, type Row } from "./model.ts"
import type { Scalar } from "./query.ts"
import { isInstant } from "./time.ts"

const corrupt = (model: string, error: unknown) =>
  new StorageError({
    reason: "corrupt",
    retryable: false,
    message: `a stored ${model} does not decode: ${Schema.isSchemaError(error) ? error.message : String(error)}`
  })

/** Everything core knows about one model at run time: codecs and column sets. */
export interface ModelCodec<M extends AnyModel> {
  readonly model: M
  readonly decodeRow: (row: Row) => Effect.Effect<RecordOf<M>, StorageError>
  readonly decodeRows: (rows: ReadonlyArray<Row>) => Effect.Effect<ReadonlyArray<RecordOf<M>>, StorageError>
  /**
   * Decodes rows holding the `select` fields (and, on some rows, the `dropped` ones, which items
   * leave out). Rows whose fields all read as themselves are checked and returned as they are.
   */
  readonly decodePartial: (
    select: ReadonlyArray<string>,
    dropped?: ReadonlyArray<string>
  ) => (rows: ReadonlyArray<Row>) => Effect.Effect<ReadonlyArray<Partial<RecordOf<M>>>, StorageError>
  /**
   * Validates a domain record (the Type side) and encodes it to a stored row with its derived
   * columns. Each field is first admitted (see `admitJson`): nesting past `MAX_JSON_DEPTH` is a
   * `ValidationError`, and -0 is stored, and answered, as 0.
   */
  readonly toRow: (record: unknown) => ValidationError | Row
  /** Like `toRow`, also returning the validated record (what decoding the row gives back). */
  readonly toRowAndValue: (record: unknown) => ValidationError | { readonly row: Row; readonly value: RecordOf<M> }
  /**
   * Encodes one field's domain value (a derived column's stored value) for a condition: a
   * `ValidationError` at `["where", field]` unless it is a value every store compares exactly in
   * the column (see `kindProblem`).
   */
  readonly encodeValue: (field: string, value: unknown) => ValidationError | Scalar
  readonly columnNames: ReadonlySet<string>
}

/**
 * Decoding stored rows: every row was validated field by field when it was written, so reading it
 * back checks its shape and types (a damaged row is still a `corrupt` StorageError) and applies the
 * transformations, without running the refinements (patterns, ranges) a second time.
 */
const READ_OPTIONS = { disableChecks: true } as const

/** A deep copy of plain data (arrays and plain objects; other values as they are). */
const copyPlain = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) return value.map(copyPlain)
  const source = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  // Own enumerable string keys, in their order (what `Object.entries` gives), without its pairs.
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue
    // A `__proto__` key is data here: defined as an own property, not assigned (which would set the prototype).
    if (key === "__proto__") Object.defineProperty(out, key, { value: copyPlain(source[key]), enumerable: true, writable: true, configurable: true })
    else out[key] = copyPlain(source[key])
  }
  return out
}

/**
 * A record as a caller gave it, each field admitted by {@link admitJson} (its nesting bounded by
 * `limits`, -0 made 0) before validation reads it recursively; a copy when a field changed.
 */
const admitFields = (record: unknown, limits: ReadonlyMap<string, number>): unknown => {
  if (typeof record !== "object" || record === null) return record
  let out: Record<string, unknown> | undefined
  const source = record as Record<string, unknown>
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue
    const value = source[key]
    // Scalars (most fields) admitted here: only -0 changes.
    const admitted = typeof value !== "object" || value === null ? (value === 0 && Object.is(value, -0) ? 0 : value) : admitJson(value, [key], limits.get(key))
    if (admitted instanceof ValidationError) return admitted
    if (!Object.is(admitted, value)) {
      out ??= { ...record }
      out[key] = admitted
    }
  }
  return out ?? record
}

const identities = new WeakMap<SchemaAST.AST, boolean>()

/**
 * Whether encoding a value of this schema changes nothing: no transformation anywhere in it. A
 * recursive schema (JSON values) meets its own `Suspend` node again while it is being looked at:
 * that occurrence adds no transformation of its own.
 */
const encodesToItself = (ast: SchemaAST.AST, visiting: Set<SchemaAST.AST> = new Set()): boolean => {
  const known = identities.get(ast)
  if (known !== undefined) return known
  let result: boolean
  if (ast.encoding !== undefined) result = false
  else {
    switch (ast._tag) {
      case "String":
      case "Number":
      case "Boolean":
      case "Literal":
      case "Null":
      case "Enum":
      case "TemplateLiteral":
        result = true
        break
      case "Suspend":
        if (visiting.has(ast)) return true
        visiting.add(ast)
        result = encodesToItself(ast.thunk(), visiting)
        visiting.delete(ast)
        break
      case "Objects":
        result =
          ast.encodingChecks === undefined &&
          ast.propertySignatures.every((property) => encodesToItself(property.type, visiting)) &&
          ast.indexSignatures.every((index) => encodesToItself(index.parameter, visiting) && encodesToItself(index.type, visiting))
        break
      case "Arrays":
        result = ast.elements.every((element) => encodesToItself(element, visiting)) && ast.rest.every((rest) => encodesToItself(rest, visiting))
        break
      case "Union":
        result = ast.types.every((member) => encodesToItself(member, visiting))
        break
      default:
        result = false
    }
  }
  // Inside a recursive schema, an answer may rest on the assumption made for the node being
  // looked at: only answers reached outside any are kept.
  if (visiting.size === 0) identities.set(ast, result)
  return result
}

/** The stored form of an {@link Instant} field's valid value (what its schema's encoding gives). */
const instantMillis = (value: unknown): unknown => (value as Date).getTime()

/** Reads one stored field back: plain strings, numbers and booleans by their type alone, others through their schema. */
interface FieldReader {
  readonly optional: boolean
  /** The stored value is the domain value of this JavaScript type: `read` only checks it. */
  readonly plain: PlainType | undefined
  readonly read: (value: unknown) => unknown
}

/** The JavaScript types of fields stored as their domain value. */
type PlainType = "string" | "number" | "boolean"

const fieldReader = (field: Schema.Top): FieldReader => {
  const ast = field.ast
  const optional = SchemaAST.isOptional(ast)
  const plain: PlainType | undefined =
    ast.encoding === undefined
      ? SchemaAST.isString(ast)
        ? "string"
        : SchemaAST.isNumber(ast)
          ? "number"
          : SchemaAST.isBoolean(ast)
            ? "boolean"
            : undefined
      : undefined
  if (plain !== undefined) {
    return {
      optional,
      plain,
      read: (value) => {
        if (typeof value !== plain) throw new Error(`expected a ${plain}, got ${typeof value}`)
        return value
      }
    }
  }
  if (isInstant(field)) {
    // Epoch milliseconds to a Date: what the schema's decoding does (its checks are not run on reads).
    return {
      optional,
      plain: undefined,
      read: (value) => {
        if (typeof value !== "number") throw new Error(`expected a number, got ${typeof value}`)
        return new Date(value)
      }
    }
  }
  const decode = Schema.decodeUnknownSync(field as unknown as Schema.Codec<unknown, unknown>)
  return { optional, plain: undefined, read: (value) => decode(value, READ_OPTIONS) }
}

/**
 * A decoder of whole results holding the `select` fields (and, on some rows, the `dropped` ones,
 * which items leave out). Where every selected field is plain, a row is its own item once its
 * fields' types are checked, and a result with no dropped column is its own list of items: no
 * row or array is copied. Throws on a missing or mistyped field (a damaged row).
 */
const partialRowsDecoder = (fields: Record<string, Schema.Top>, select: ReadonlyArray<string>, dropped: ReadonlyArray<string>) => {
  const readers: Array<readonly [string, FieldReader]> = []
  for (const name of select) {
    const field = fields[name]
    if (field !== undefined) readers.push([name, fieldReader(field)])
  }
  const copy = (row: Row): Row => {
    const out: Record<string, unknown> = {}
    for (const [name, read] of readers) {
      const value = row[name]
      if (value === undefined) {
        if (!read.optional) throw new Error(`${name} is missing`)
        continue
      }
      out[name] = read.read(value)
    }
    return out
  }
  // The checks of plain fields, in parallel arrays read by index: the loop below runs once a row.
  const names: Array<string> = []
  const types: Array<PlainType> = []
  const optional: Array<boolean> = []
  for (const [name, reader] of readers) {
    if (reader.plain === undefined) return (rows: ReadonlyArray<Row>): ReadonlyArray<Row> => rows.map(copy)
    names.push(name)
    types.push(reader.plain)
    optional.push(reader.optional)
  }
  /**
   * Whether a row holds the selected fields alone, in their order, each of its type: what a store
   * gives for a row holding them all. One pass over the row's keys, whose values V8 reads by the
   * object's layout; looking each field up by name instead costs about twice as much.
   */
  const exact = (row: Row): boolean => {
    let j = 0
    for (const key in row) {
      if (key !== names[j] || typeof row[key] !== types[j]) return false
      j++
    }
    return j === names.length
  }
  const holdsDropped = (row: Row): boolean => {
    for (let d = 0; d < dropped.length; d++) if (row[dropped[d] as string] !== undefined) return true
    return false
  }
  /** Checks a row that is not {@link exact}: true when it is its own item, false when it holds a dropped column. */
  const check = (row: Row): boolean => {
    if (holdsDropped(row)) return false
    for (let j = 0; j < names.length; j++) {
      const value = row[names[j] as string]
      if (value === undefined) {
        if (optional[j] !== true) throw new Error(`${names[j]} is missing`)
      } else if (typeof value !== types[j]) throw new Error(`expected a ${types[j]}, got ${typeof value}`)
    }
    return true
  }
  return (rows: ReadonlyArray<Row>): ReadonlyArray<Row> => {
    // The items copied so far, from the first row holding a dropped column on.
    let out: Array<Row> | undefined
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row
      if (exact(row) || check(row)) out?.push(row)
      else {
        out ??= rows.slice(0, i)
        out.push(copy(row))
      }
    }
    return out ?? rows
  }
}

/** A stored row a field reader does not take as it is: the model's schema judges the whole row. */
class NotPlainRow extends Error {}

const codecs = new WeakMap<AnyModel, ModelCodec<AnyModel>>()

/**
 * The stored row each record accepted by a codec's `toRowAndValue` was encoded to, by the record
 * object it answered: encoding that very record again gives the same row (see {@link encodedRowOf}).
 */
const encodedRows = new WeakMap<object, { readonly model: AnyModel; readonly row: Row }>()

/**
 * The row a record of `model` was encoded to, when `value` is the very record a codec's
 * `toRowAndValue` answered (a record just written): what `toRow(value)` gives again, without
 * validating and encoding it a second time. `undefined` for any other object.
 */
export const encodedRowOf = (model: AnyModel, value: unknown): Row | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const known = encodedRows.get(value)
  return known !== undefined && known.model === model ? known.row : undefined
}

/** The codec of a model (built once per model). */
export const codecOf = <M extends AnyModel>(model: M): ModelCodec<M> => {
  const cached = codecs.get(model)
  if (cached !== undefined) return cached as unknown as ModelCodec<M>
  const decodeSync = Schema.decodeUnknownSync(model.schema as unknown as Schema.Codec<RecordOf<M>, unknown>)
  const validateType = Schema.decodeUnknownSync(Schema.toType(model.schema) as unknown as Schema.Codec<RecordOf<M>, unknown>)
  const certainlyValid = fastRecordCheckOf(Schema.toType(model.schema).ast, (name) => {
    const field = (model.schema.fields as Record<string, Schema.Top>)[name]
    if (field === undefined) return () => false
    const guard = Schema.is(Schema.toType(field))
    return (value) => guard(value)
  })
  const fields = model.schema.fields as Record<string, Schema.Top>
  const fieldEncoders = new Map<string, (value: unknown, options?: SchemaAST.ParseOptions) => unknown>()
  for (const [name, field] of Object.entries(fields)) {
    fieldEncoders.set(name, Schema.encodeUnknownSync(field as Schema.Codec<unknown, unknown>))
  }
  // Encoding a validated record field by field: fields whose schema transforms nothing are copied.
  const fieldWriters: ReadonlyArray<readonly [string, ((value: unknown) => unknown) | undefined]> = Object.entries(fields).map(([name, field]) => {
    const encode = fieldEncoders.get(name)
    if (encodesToItself(field.ast) || encode === undefined) return [name, undefined] as const
    if (isInstant(field)) return [name, instantMillis] as const
    return [name, (value: unknown) => encode(value, READ_OPTIONS)] as const
  })
  const fieldNames = Object.keys(fields)
  const nestingLimits = new Map(Object.entries(fields).map(([name, field]) => [name, nestingLimitOf(field)]))
  /** A copy of an accepted record with its keys in the schema's order (what validation returns). */
  const inSchemaOrder = (record: unknown): RecordOf<M> => {
    const source = record as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const name of fieldNames) if (Object.hasOwn(source, name)) out[name] = source[name]
    return out as RecordOf<M>
  }
  const writerNames = fieldWriters.map(([name]) => name)
  const writers = fieldWriters.map(([, write]) => write)
  const encodeValid = (valid: object): Row => {
    const source = valid as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (let i = 0; i < writerNames.length; i++) {
      const name = writerNames[i] as string
      const value = source[name]
      if (value === undefined && !(name in source)) continue
      const write = writers[i]
      // A stored row never shares an array or object with the caller's input; scalars are copied as they are.
      out[name] = value === undefined ? value : write !== undefined ? write(value) : typeof value === "object" && value !== null ? copyPlain(value) : value
    }
    return out
  }
  // Reading a whole row: each field by its reader (plain fields by their type, instants, others
  // through their own schema), in the schema's order; a row one of them does not take (a missing
  // or damaged field) is decoded by the model's schema, whose error is the one reported.
  // An optional field whose schema transforms (other than an instant) may give a value for an
  // absent key: its schema decides.
  const rowReaders = Object.entries(fields).map(([name, field]) => [name, fieldReader(field), field.ast.encoding === undefined || isInstant(field)] as const)
  const fastRows = model.schema.ast.encoding === undefined
  const readRow = (row: Row): RecordOf<M> => {
    if (!fastRows) return decodeSync(row, READ_OPTIONS)
    try {
      const out: Record<string, unknown> = {}
      for (const [name, reader, absentIsAbsent] of rowReaders) {
        const value = row[name]
        if (value === undefined) {
          if (reader.optional && absentIsAbsent && !Object.hasOwn(row, name)) continue
          throw new NotPlainRow()
        }
        out[name] = reader.read(value)
      }
      return out as RecordOf<M>
    } catch {
      return decodeSync(row, READ_OPTIONS)
    }
  }
  const partials = new Map<string, (rows: ReadonlyArray<Row>) => ReadonlyArray<Row>>()
  const columnNames = new Set(model.columns.map((c) => c.name))
  const columnKinds = new Map(model.columns.map((c) => [c.name, c.kind]))

  /** Validates and encodes a record (`remember`: the answered record is kept for `encodedRowOf`). */
  const accept = (input: unknown, remember: boolean): { row: Row; value: RecordOf<M> } | ValidationError => {
    const record = admitFields(input, nestingLimits)
    if (record instanceof ValidationError) return record
    let valid: RecordOf<M>
    try {
      // The compiled acceptance test runs the schema's refinements directly; a record it does
      // not certainly accept takes Schema's validation, which stops at the first issue; only a
      // failing record is checked again for all of its issues.
      // A record kept for `encodedRowOf` is answered with its keys in the schema's order; one only
      // encoded is read field by field (a record the test accepts has no other keys).
      valid = certainlyValid?.(record) ? (remember ? inSchemaOrder(record) : (record as RecordOf<M>)) : validateType(record, { onExcessProperty: "error" })
    } catch {
      try {
        validateType(record, { errors: "all", onExcessProperty: "error" })
      } catch (error) {
        if (Schema.isSchemaError(error)) return ValidationError.fromSchemaError(error)
        return ValidationError.at([], String(error))
      }
      return ValidationError.at([], `${model.name}: invalid record`)
    }
    // Already validated: encoding only transforms (checks would run a second time for nothing).
    const row = encodeValid(valid) as Record<string, unknown>
    // Remembered only when the record is answered (see `encodedRowOf`).
    if (remember) encodedRows.set(valid as object, { model, row })
    if (model.derived.length === 0) return { row, value: valid }
    // The encoded row is a fresh object: derived columns are computed from its stored fields
    // first, then added to it.
    const values = model.derived.map((derived) => derived.compute(row))
    model.derived.forEach((derived, i) => {
      const value = values[i]
      if (value !== null && value !== undefined) row[derived.name] = value
    })
    return { row, value: valid }
  }

  const codec: ModelCodec<M> = {
    model,
    columnNames,
    decodeRow: (row) =>
      Effect.try({
        try: () => readRow(row),
        catch: (error) => corrupt(model.name, error)
      }),
    decodeRows: (rows) =>
      Effect.try({
        try: () => rows.map(readRow),
        catch: (error) => corrupt(model.name, error)
      }),
    decodePartial: (select, dropped = []) => {
      const key = `${select.join("\u0000")}\u0001${dropped.join("\u0000")}`
      let decode = partials.get(key)
      if (decode === undefined) {
        decode = partialRowsDecoder(fields, select, dropped)
        partials.set(key, decode)
      }
      const run = decode
      return (rows) =>
        Effect.try({
          try: () => run(rows) as ReadonlyArray<Partial<RecordOf<M>>>,
          catch: (error) => corrupt(model.name, error)
        })
    },
    toRow: (record) => {
      const result = accept(record, false)
      return result instanceof ValidationError ? result : result.row
    },
    toRowAndValue: (input) => accept(input, true),
    encodeValue: (field, value) => {
      const kind = columnKinds.get(field)
      if (kind === undefined) return ValidationError.at(["where", field], `${model.name} has no field ${field}`)
      if (kind === "json") return ValidationError.at(["where", field], `${field} is a JSON field: it cannot be compared`)
      // A field's value is validated and encoded by its schema; a derived column's is stored as given.
      const encoder = fieldEncoders.get(field)
      let encoded: unknown = value
      if (encoder !== undefined) {
        try {
          encoded = encoder(value)
        } catch (error) {
          if (Schema.isSchemaError(error)) return ValidationError.fromSchemaError(error, ["where", field])
          return ValidationError.at(["where", field], String(error))
        }
      }
      const problem = kindProblem(kind, encoded)
      return problem === undefined ? (encoded as Scalar) : ValidationError.at(["where", field], problem)
    }
  }
  codecs.set(model, codec as unknown as ModelCodec<AnyModel>)
  return codec
}
