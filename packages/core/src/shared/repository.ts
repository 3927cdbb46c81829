/**
 * Repositories: what core derives from the store port for every model. Decoding and encoding,
 * insert with a new id, update with an optimistic version check, delete with IASO's on-delete
 * rules, referential integrity within the account, paging with stable cursors, bulk writes with
 * per-item results (or all-or-nothing with `atomic`), and the change feed.
 *
 * Repositories apply no permission: services do (see `Records` and the domain services). They are
 * exported for the conformance suite and for services.
 * @module
 */
import { Effect, Schema, SchemaAST } from "effect"
import { decodeCursor, encodeCursor, fingerprint } from "./cursor.ts"
import { fastRecordCheckOf } from "./fast-check.ts"
import { AlreadyExists, Conflict, NotFound, StorageError, ValidationError, VersionConflict } from "./errors.ts"
import { uuidv7 } from "./ids.ts"
import type { AnyModel, RecordOf, Row } from "./model.ts"
import type { Condition, Direction, OrderBy, Scalar, StoreQuery } from "./query.ts"
import type { StoreDriver, StoreScope, WriteOp, WriteOutcome } from "./store.ts"
import { now } from "./time.ts"

/** A page of results and the cursor of the next page (absent on the last page). */
export interface ResultPage<T> {
  readonly items: ReadonlyArray<T>
  readonly cursor?: string
}

/** A condition on a field (domain values; dates as `Date`) or on a derived column (stored values). */
export type FieldCondition =
  | { readonly field: string; readonly op: "eq" | "ne" | "lt" | "lte" | "gt" | "gte"; readonly value: unknown }
  | { readonly field: string; readonly op: "in" | "notIn"; readonly value: ReadonlyArray<unknown> }
  | { readonly field: string; readonly op: "isNull" | "isNotNull" }
  | { readonly field: string; readonly op: "startsWith" | "contains"; readonly value: string }
  | { readonly field: string; readonly op: "startsWithAny"; readonly value: ReadonlyArray<string> }

/** How to list records. */
export interface ListOptions {
  readonly where?: ReadonlyArray<FieldCondition>
  readonly orderBy?: ReadonlyArray<{ readonly field: string; readonly direction?: Direction }>
  /** Page size: 1 to 10 000 (default 100). */
  readonly limit?: number
  /** The cursor of the previous page. */
  readonly cursor?: string
  /** Only these fields (plus `id`): listings of ids and names without decoding polygons. */
  readonly select?: ReadonlyArray<string>
}

/** One item's outcome in a bulk write. */
export type BulkItem<T> =
  | { readonly _tag: "Ok"; readonly index: number; readonly value: T }
  | { readonly _tag: "Failed"; readonly index: number; readonly error: WriteError }

/** The per-item outcome of a bulk write. */
export interface BulkResult<T> {
  readonly items: ReadonlyArray<BulkItem<T>>
  readonly succeeded: number
  readonly failed: number
}

/** Errors one write may answer with. */
export type WriteError = NotFound | AlreadyExists | VersionConflict | ValidationError | Conflict

/** The fields a caller gives to create a record (`id` optional: client-made ids are welcome). */
export type CreateInput<M extends AnyModel> = Omit<RecordOf<M>, "id" | "accountId" | "version" | "createdAt" | "updatedAt"> & {
  readonly id?: RecordOf<M>["id"]
}

/** A change to a record: given fields replace stored ones; `null` clears an optional field. */
export type Patch<M extends AnyModel> = {
  readonly [K in Exclude<keyof RecordOf<M>, "id" | "accountId" | "version" | "createdAt" | "updatedAt">]?: RecordOf<M>[K] | null
}

/** Options of a write. */
export interface WriteOptions {
  /** All items or none (bulk). Imports are always atomic. */
  readonly atomic?: boolean
}

/** A change feed page. */
export interface ChangesPage {
  readonly changes: ReadonlyArray<{
    readonly model: string
    readonly id: string
    readonly deleted: boolean
    readonly version: number
    readonly seq: number
  }>
  /** Pass it back to get what changed after this page. */
  readonly cursor: string
}

const SYSTEM = new Set(["id", "accountId", "version", "createdAt", "updatedAt"])
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 10_000

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
  /** Validates a domain record (the Type side) and encodes it to a stored row with its derived columns. */
  readonly toRow: (record: unknown) => ValidationError | Row
  /** Like `toRow`, also returning the validated record (what decoding the row gives back). */
  readonly toRowAndValue: (record: unknown) => ValidationError | { readonly row: Row; readonly value: RecordOf<M> }
  /** Encodes one field's domain value for a condition. */
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
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) out[key] = copyPlain(inner)
  return out
}

const identities = new WeakMap<SchemaAST.AST, boolean>()

/** Whether encoding a value of this schema changes nothing: no transformation anywhere in it. */
const encodesToItself = (ast: SchemaAST.AST): boolean => {
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
      case "Objects":
        result =
          ast.encodingChecks === undefined &&
          ast.propertySignatures.every((property) => encodesToItself(property.type)) &&
          ast.indexSignatures.every((index) => encodesToItself(index.parameter) && encodesToItself(index.type))
        break
      case "Arrays":
        result = ast.elements.every(encodesToItself) && ast.rest.every(encodesToItself)
        break
      case "Union":
        result = ast.types.every(encodesToItself)
        break
      default:
        result = false
    }
  }
  identities.set(ast, result)
  return result
}

/** Reads one stored field back: plain strings, numbers and booleans by their type alone, others through their schema. */
interface FieldReader {
  readonly optional: boolean
  /** The stored value is the domain value: `read` only checks its type. */
  readonly plain: boolean
  readonly read: (value: unknown) => unknown
}

const fieldReader = (field: Schema.Top): FieldReader => {
  const ast = field.ast
  const optional = SchemaAST.isOptional(ast)
  const plain = ast.encoding === undefined ? (SchemaAST.isString(ast) ? "string" : SchemaAST.isNumber(ast) ? "number" : SchemaAST.isBoolean(ast) ? "boolean" : undefined) : undefined
  if (plain !== undefined) {
    return {
      optional,
      plain: true,
      read: (value) => {
        if (typeof value !== plain) throw new Error(`expected a ${plain}, got ${typeof value}`)
        return value
      }
    }
  }
  const decode = Schema.decodeUnknownSync(field as unknown as Schema.Codec<unknown, unknown>)
  return { optional, plain: false, read: (value) => decode(value, READ_OPTIONS) }
}

const codecs = new WeakMap<AnyModel, ModelCodec<AnyModel>>()

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
    return [name, (value: unknown) => encode(value, READ_OPTIONS)] as const
  })
  const fieldNames = Object.keys(fields)
  /** A copy of an accepted record with its keys in the schema's order (what validation returns). */
  const inSchemaOrder = (record: unknown): RecordOf<M> => {
    const source = record as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const name of fieldNames) if (Object.hasOwn(source, name)) out[name] = source[name]
    return out as RecordOf<M>
  }
  const encodeValid = (valid: object): Row => {
    const source = valid as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const [name, write] of fieldWriters) {
      if (!(name in source)) continue
      const value = source[name]
      // A stored row never shares an array or object with the caller's input.
      out[name] = value === undefined ? value : write === undefined ? copyPlain(value) : write(value)
    }
    return out
  }
  const partials = new Map<string, (row: Row) => Partial<RecordOf<M>>>()
  const derivedNames = new Set(model.derived.map((d) => d.name))
  const columnNames = new Set(model.columns.map((c) => c.name))
  const jsonColumns = new Set(model.columns.filter((c) => c.kind === "json").map((c) => c.name))

  const codec: ModelCodec<M> = {
    model,
    columnNames,
    decodeRow: (row) =>
      Effect.try({
        try: () => decodeSync(row, READ_OPTIONS),
        catch: (error) => corrupt(model.name, error)
      }),
    decodeRows: (rows) =>
      Effect.try({
        try: () => rows.map((row) => decodeSync(row, READ_OPTIONS)),
        catch: (error) => corrupt(model.name, error)
      }),
    decodePartial: (select, dropped = []) => {
      const key = `${select.join("\u0000")}\u0001${dropped.join("\u0000")}`
      let decode = partials.get(key)
      if (decode === undefined) {
        const readers: Array<readonly [string, FieldReader]> = []
        for (const name of select) {
          const field = fields[name]
          if (field !== undefined) readers.push([name, fieldReader(field)])
        }
        const plain = readers.every(([, reader]) => reader.plain)
        const copy = (row: Row) => {
          const out: Record<string, unknown> = {}
          for (const [name, read] of readers) {
            const value = row[name]
            if (value === undefined) {
              if (!read.optional) throw new Error(`${name} is missing`)
              continue
            }
            out[name] = read.read(value)
          }
          return out as Partial<RecordOf<M>>
        }
        // A store row holds only the selected columns (and maybe dropped ones): without dropped
        // columns and with every field plain, the row is the item once its fields are checked.
        decode = !plain
          ? copy
          : (row) => {
              for (const name of dropped) if (row[name] !== undefined) return copy(row)
              for (const [name, read] of readers) {
                const value = row[name]
                if (value === undefined) {
                  if (!read.optional) throw new Error(`${name} is missing`)
                } else read.read(value)
              }
              return row as Partial<RecordOf<M>>
            }
        partials.set(key, decode)
      }
      const run = decode
      return (rows) =>
        Effect.try({
          try: () => rows.map((row) => run(row)),
          catch: (error) => corrupt(model.name, error)
        })
    },
    toRow: (record) => {
      const result = codec.toRowAndValue(record)
      return result instanceof ValidationError ? result : result.row
    },
    toRowAndValue: (record) => {
      let valid: RecordOf<M>
      try {
        // The compiled acceptance test runs the schema's refinements directly; a record it does
        // not certainly accept takes Schema's validation, which stops at the first issue; only a
        // failing record is checked again for all of its issues.
        valid = certainlyValid !== undefined && certainlyValid(record) ? inSchemaOrder(record) : validateType(record, { onExcessProperty: "error" })
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
      if (model.derived.length === 0) return { row, value: valid }
      // The encoded row is a fresh object: derived columns are computed from its stored fields
      // first, then added to it.
      const values = model.derived.map((derived) => derived.compute(row))
      model.derived.forEach((derived, i) => {
        const value = values[i]
        if (value !== null && value !== undefined) row[derived.name] = value
      })
      return { row, value: valid }
    },
    encodeValue: (field, value) => {
      if (derivedNames.has(field)) {
        return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
          ? value
          : ValidationError.at(["where", field], "expected a string, number or boolean")
      }
      const encoder = fieldEncoders.get(field)
      if (encoder === undefined) return ValidationError.at(["where", field], `${model.name} has no field ${field}`)
      if (jsonColumns.has(field)) return ValidationError.at(["where", field], `${field} is a JSON field: it cannot be compared`)
      try {
        const encoded = encoder(value)
        if (typeof encoded === "string" || typeof encoded === "number" || typeof encoded === "boolean") return encoded
        return ValidationError.at(["where", field], "expected a scalar value")
      } catch (error) {
        if (Schema.isSchemaError(error)) return ValidationError.fromSchemaError(error, ["where", field])
        return ValidationError.at(["where", field], String(error))
      }
    }
  }
  codecs.set(model, codec as unknown as ModelCodec<AnyModel>)
  return codec
}

/** The store scope of a model for an account. */
export const scopeOf = (model: AnyModel, accountId: string): StoreScope => ({ accountId: model.scope === "global" ? null : accountId })

/** Converts typed conditions into stored-form conditions. */
export const compileWhere = (
  model: AnyModel,
  where: ReadonlyArray<FieldCondition>
): ValidationError | ReadonlyArray<Condition> => {
  const codec = codecOf(model)
  const out: Array<Condition> = []
  for (const condition of where) {
    if (!codec.columnNames.has(condition.field)) {
      return ValidationError.at(["where", condition.field], `${model.name} has no field ${condition.field}`)
    }
    switch (condition.op) {
      case "isNull":
      case "isNotNull":
        out.push({ field: condition.field, op: condition.op })
        break
      case "startsWith":
      case "contains":
        if (typeof condition.value !== "string" || !condition.value.isWellFormed()) {
          return ValidationError.at(["where", condition.field], "expected well-formed text")
        }
        out.push({ field: condition.field, op: condition.op, value: condition.value })
        break
      case "startsWithAny":
        if (!condition.value.every((prefix) => typeof prefix === "string" && prefix.isWellFormed())) {
          return ValidationError.at(["where", condition.field], "expected well-formed text prefixes")
        }
        out.push({ field: condition.field, op: condition.op, value: condition.value })
        break
      case "in":
      case "notIn": {
        const values: Array<Scalar> = []
        for (const value of condition.value) {
          const encoded = codec.encodeValue(condition.field, value)
          if (encoded instanceof ValidationError) return encoded
          values.push(encoded)
        }
        out.push({ field: condition.field, op: condition.op, value: values })
        break
      }
      default: {
        const encoded = codec.encodeValue(condition.field, condition.value)
        if (encoded instanceof ValidationError) return encoded
        out.push({ field: condition.field, op: condition.op, value: encoded })
      }
    }
  }
  return out
}

/** Reverse references: for each target model, the (model, field, rule) that point at it. */
export const reverseReferences = (models: ReadonlyArray<AnyModel>) => {
  const byTarget = new Map<string, Array<{ readonly model: AnyModel; readonly field: string; readonly onDelete: "cascade" | "setNull" | "restrict" }>>()
  for (const model of models) {
    for (const reference of model.references) {
      const list = byTarget.get(reference.target) ?? []
      list.push({ model, field: reference.field, onDelete: reference.onDelete })
      byTarget.set(reference.target, list)
    }
  }
  return byTarget
}

const writeError = (model: string, id: string, outcome: WriteOutcome, expected?: number): WriteError | undefined => {
  switch (outcome._tag) {
    case "Written":
      return undefined
    case "Missing":
      return NotFound.of(model, id)
    case "StaleVersion":
      return new VersionConflict({
        model,
        id,
        expected: expected ?? -1,
        actual: outcome.actual,
        message: `${model} ${id} is at version ${outcome.actual}, not ${expected ?? "the one read"}`
      })
    case "Duplicate":
      return new AlreadyExists({
        model,
        constraint: outcome.constraint,
        message:
          outcome.constraint === "id"
            ? `${model} ${id} already exists`
            : `another ${model} already has the same values for ${outcome.constraint}`
      })
  }
}

/**
 * The repositories of a store: generic operations on any declared model. `models` is the full list
 * of models (needed for on-delete rules and reference checks).
 */
export const makeRepositories = (driver: StoreDriver, models: ReadonlyArray<AnyModel>) => {
  const byName = new Map(models.map((m) => [m.name, m]))
  const reverse = reverseReferences(models)

  /** Checks that every reference of `rows` points at a record of the same account (or a row being written). */
  const checkReferences = (model: AnyModel, accountId: string, rows: ReadonlyArray<Row>, pending: ReadonlySet<string>) =>
    Effect.gen(function* () {
      const failures = new Map<number, WriteError>()
      for (const reference of model.references) {
        const target = byName.get(reference.target)
        if (target === undefined) continue
        const wanted = new Set<string>()
        for (const row of rows) {
          const value = row[reference.field]
          if (typeof value === "string" && !(target === model && pending.has(value))) wanted.add(value)
        }
        if (wanted.size === 0) continue
        const found = yield* driver.getMany(target, scopeOf(target, accountId), [...wanted])
        const present = new Set(found.map((row) => String(row["id"])))
        rows.forEach((row, index) => {
          const value = row[reference.field]
          if (typeof value !== "string" || present.has(value) || (target === model && pending.has(value))) return
          if (!failures.has(index)) failures.set(index, NotFound.of(reference.target, value))
        })
      }
      return failures
    })

  const runBulk = <T>(
    model: AnyModel,
    atomic: boolean,
    body: Effect.Effect<ReadonlyArray<BulkItem<T>>, StorageError>
  ): Effect.Effect<BulkResult<T>, WriteError | StorageError> => {
    const summarise = (items: ReadonlyArray<BulkItem<T>>): BulkResult<T> => {
      const failed = items.filter((item) => item._tag === "Failed").length
      return { items, succeeded: items.length - failed, failed }
    }
    if (!atomic) return Effect.map(body, summarise)
    return driver.transaction(
      Effect.flatMap(body, (items) => {
        const failure = items.find((item) => item._tag === "Failed")
        return failure !== undefined && failure._tag === "Failed" ? Effect.fail(failure.error) : Effect.succeed(summarise(items))
      })
    )
  }

  const insertMany = <M extends AnyModel>(
    model: M,
    accountId: string,
    inputs: ReadonlyArray<unknown>,
    options: WriteOptions = {}
  ): Effect.Effect<BulkResult<RecordOf<M>>, WriteError | StorageError> => {
    const codec = codecOf(model)
    const body = Effect.gen(function* () {
      const at = yield* now
      const items: Array<BulkItem<RecordOf<M>>> = []
      const rows: Array<{ index: number; row: Row; value: RecordOf<M> }> = []
      /** Inputs whose id is made here. */
      const made = new Set<number>()
      inputs.forEach((input, index) => {
        if (typeof input !== "object" || input === null) {
          items[index] = { _tag: "Failed", index, error: ValidationError.at([], "expected an object") }
          return
        }
        const system = Object.keys(input).filter((key) => SYSTEM.has(key) && key !== "id")
        if (system.length > 0) {
          items[index] = { _tag: "Failed", index, error: ValidationError.at([system[0] ?? ""], "is set by the SDK") }
          return
        }
        const given = (input as { id?: unknown }).id
        const candidate: Record<string, unknown> = { ...input, id: given ?? uuidv7(at.getTime()), version: 1, createdAt: at, updatedAt: at }
        if (given === undefined) made.add(index)
        if (model.scope === "account") candidate["accountId"] = accountId
        const encoded = codec.toRowAndValue(candidate)
        if (encoded instanceof ValidationError) items[index] = { _tag: "Failed", index, error: encoded }
        else rows.push({ index, row: encoded.row, value: encoded.value })
      })
      const pending = new Set(rows.map(({ row }) => String(row["id"])))
      const referenceFailures = yield* checkReferences(
        model,
        accountId,
        rows.map((r) => r.row),
        pending
      )
      const writable: Array<{ index: number; row: Row; value: RecordOf<M> }> = []
      rows.forEach((entry, position) => {
        const failure = referenceFailures.get(position)
        if (failure !== undefined) items[entry.index] = { _tag: "Failed", index: entry.index, error: failure }
        else writable.push(entry)
      })
      const ops: Array<WriteOp> = writable.map(({ index, row }) => (made.has(index) ? { kind: "insert", row, fresh: true } : { kind: "insert", row }))
      const outcomes = ops.length === 0 ? [] : yield* driver.write(model, scopeOf(model, accountId), ops)
      writable.forEach((entry, position) => {
        const outcome = outcomes[position]
        const error = outcome === undefined ? NotFound.of(model.name, String(entry.row["id"])) : writeError(model.name, String(entry.row["id"]), outcome)
        // The validated record is what decoding the written row gives back: no second decoding pass.
        items[entry.index] = error !== undefined ? { _tag: "Failed", index: entry.index, error } : { _tag: "Ok", index: entry.index, value: entry.value }
      })
      return items
    })
    return runBulk(model, options.atomic === true, body)
  }

  const insert = <M extends AnyModel>(model: M, accountId: string, input: unknown) =>
    Effect.flatMap(insertMany(model, accountId, [input]), (result) => {
      const item = result.items[0]
      if (item === undefined) return Effect.die("insert: no result")
      return item._tag === "Ok" ? Effect.succeed(item.value) : Effect.fail(item.error)
    })

  const getMany = <M extends AnyModel>(model: M, accountId: string, ids: ReadonlyArray<string>) =>
    Effect.flatMap(driver.getMany(model, scopeOf(model, accountId), ids), (rows) => codecOf(model).decodeRows(rows))

  const get = <M extends AnyModel>(model: M, accountId: string, id: string): Effect.Effect<RecordOf<M>, NotFound | StorageError> =>
    Effect.flatMap(driver.getMany(model, scopeOf(model, accountId), [id]), (rows): Effect.Effect<RecordOf<M>, NotFound | StorageError> => {
      const row = rows[0]
      return row === undefined ? Effect.fail(NotFound.of(model.name, id)) : codecOf(model).decodeRow(row)
    })

  /** Applies a patch to a record (see {@link Patch}) with an optimistic version check. */
  const update = <M extends AnyModel>(
    model: M,
    accountId: string,
    id: string,
    patch: Readonly<Record<string, unknown>>,
    options: { readonly expectedVersion?: number } = {}
  ): Effect.Effect<RecordOf<M>, WriteError | StorageError> =>
    Effect.gen(function* () {
      const codec = codecOf(model)
      const current = (yield* get(model, accountId, id)) as Record<string, unknown>
      const version = Number(current["version"])
      if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
        return yield* new VersionConflict({
          model: model.name,
          id,
          expected: options.expectedVersion,
          actual: version,
          message: `${model.name} ${id} is at version ${version}, not ${options.expectedVersion}`
        })
      }
      const system = Object.keys(patch).filter((key) => SYSTEM.has(key))
      if (system.length > 0) return yield* ValidationError.at([system[0] ?? ""], "is set by the SDK")
      // An immutable field, once it holds a value, keeps it (a form's id, given by its first version).
      const frozen = model.immutable.find((field) => field in patch && current[field] !== undefined && (patch[field] ?? undefined) !== current[field])
      if (frozen !== undefined) return yield* ValidationError.at([frozen], `${model.name}.${frozen} never changes once set`)
      const next: Record<string, unknown> = { ...current }
      for (const [key, value] of Object.entries(patch)) {
        if (value === null || value === undefined) delete next[key]
        else next[key] = value
      }
      next["version"] = version + 1
      next["updatedAt"] = yield* now
      const row = codec.toRow(next)
      if (row instanceof ValidationError) return yield* row
      const failures = yield* checkReferences(model, accountId, [row], new Set([id]))
      const failure = failures.get(0)
      if (failure !== undefined) return yield* failure
      const [outcome] = yield* driver.write(model, scopeOf(model, accountId), [{ kind: "update", row, expectedVersion: version }])
      const error = outcome === undefined ? NotFound.of(model.name, id) : writeError(model.name, id, outcome, version)
      if (error !== undefined) return yield* error
      return yield* codec.decodeRow(row)
    })

  /** Deletes a record and applies the on-delete rules of every reference to it, in one transaction. */
  const remove = (
    model: AnyModel,
    accountId: string,
    id: string,
    options: { readonly expectedVersion?: number } = {}
  ): Effect.Effect<void, WriteError | StorageError> =>
    driver.transaction(
      Effect.gen(function* () {
        const existing = yield* driver.getMany(model, scopeOf(model, accountId), [id])
        if (existing.length === 0) return yield* NotFound.of(model.name, id)
        yield* removeCascade(model, accountId, [id], options.expectedVersion, new Set())
      })
    )

  const removeCascade = (
    model: AnyModel,
    accountId: string,
    ids: ReadonlyArray<string>,
    expectedVersion: number | undefined,
    seen: Set<string>
  ): Effect.Effect<void, WriteError | StorageError> =>
    Effect.gen(function* () {
      const fresh = ids.filter((id) => !seen.has(`${model.name}:${id}`))
      if (fresh.length === 0) return
      for (const id of fresh) seen.add(`${model.name}:${id}`)
      for (const referrer of reverse.get(model.name) ?? []) {
        const scope = scopeOf(referrer.model, accountId)
        const rows = yield* driver.query(referrer.model, scope, {
          where: [{ field: referrer.field, op: "in", value: fresh }],
          orderBy: [{ field: "id", direction: "asc" }]
        })
        const others = rows.filter((row) => !(referrer.model === model && fresh.includes(String(row["id"]))))
        if (others.length === 0) continue
        if (referrer.onDelete === "restrict") {
          const first = others[0]
          return yield* new Conflict({
            model: model.name,
            id: fresh[0] ?? "",
            message: `${model.name} is still referenced by ${referrer.model.name} ${String(first?.["id"])} (${referrer.field})`
          })
        }
        if (referrer.onDelete === "cascade") {
          yield* removeCascade(
            referrer.model,
            accountId,
            others.map((row) => String(row["id"])),
            undefined,
            seen
          )
        } else {
          const at = (yield* now).getTime()
          const ops: Array<WriteOp> = others.map((row) => {
            const next: Record<string, unknown> = { ...row, version: Number(row["version"]) + 1, updatedAt: at }
            delete next[referrer.field]
            return { kind: "update", row: next, expectedVersion: Number(row["version"]) }
          })
          const outcomes = yield* driver.write(referrer.model, scope, ops)
          const failed = outcomes.find((o) => o._tag !== "Written")
          if (failed !== undefined) {
            return yield* new StorageError({ reason: "serialization", retryable: true, message: `concurrent change while clearing ${referrer.model.name}.${referrer.field}` })
          }
        }
      }
      const ops: Array<WriteOp> = fresh.map((id) =>
        expectedVersion === undefined ? { kind: "delete", id } : { kind: "delete", id, expectedVersion }
      )
      const outcomes = yield* driver.write(model, scopeOf(model, accountId), ops)
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i]
        const id = fresh[i] ?? ""
        if (outcome !== undefined && outcome._tag === "Missing" && seen.has(`${model.name}:${id}`) && expectedVersion === undefined) continue
        const error = outcome === undefined ? undefined : writeError(model.name, id, outcome, expectedVersion)
        if (error !== undefined) return yield* error
      }
    })

  const queryFingerprint = (model: AnyModel, accountId: string, where: ReadonlyArray<Condition>, orderBy: ReadonlyArray<OrderBy>) =>
    fingerprint(JSON.stringify([model.name, accountId, where, orderBy]))

  /** Builds the store query of a listing: conditions, total order, keyset position, limit. */
  const planList = (
    model: AnyModel,
    accountId: string,
    options: ListOptions,
    extraWhere: ReadonlyArray<Condition> = [],
    /** A unique field that orders the listing on its own when the caller asks for no order. */
    naturalOrder?: string
  ): ValidationError | { readonly query: StoreQuery; readonly fingerprint: string; readonly limit: number } => {
    const where = compileWhere(model, options.where ?? [])
    if (where instanceof ValidationError) return where
    const codec = codecOf(model)
    const orderBy: Array<OrderBy> = []
    for (const order of options.orderBy ?? []) {
      if (!codec.columnNames.has(order.field)) return ValidationError.at(["orderBy", order.field], `${model.name} has no field ${order.field}`)
      if (model.columns.find((c) => c.name === order.field)?.kind === "json") {
        return ValidationError.at(["orderBy", order.field], `${order.field} is a JSON field: it cannot be ordered by`)
      }
      if (order.field !== "id") orderBy.push({ field: order.field, direction: order.direction ?? "asc" })
    }
    if (options.orderBy === undefined && naturalOrder !== undefined) orderBy.push({ field: naturalOrder, direction: "asc" })
    else orderBy.push({ field: "id", direction: options.orderBy?.find((o) => o.field === "id")?.direction ?? "asc" })
    const limit = options.limit ?? DEFAULT_LIMIT
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return ValidationError.at(["limit"], `expected an integer from 1 to ${MAX_LIMIT}`)
    }
    const allWhere = [...where, ...extraWhere]
    const print = queryFingerprint(model, accountId, allWhere, orderBy)
    let after: ReadonlyArray<Scalar | null> | undefined
    if (options.cursor !== undefined) {
      const decoded = decodeCursor(options.cursor, print)
      if (decoded instanceof ValidationError) return decoded
      if (decoded.length !== orderBy.length) return ValidationError.at(["cursor"], "not a cursor of this query")
      after = decoded
    }
    let select: Array<string> | undefined
    let orderOnly: Array<string> = []
    if (options.select !== undefined) {
      for (const field of options.select) {
        if (!(field in (model.schema.fields as Record<string, unknown>))) return ValidationError.at(["select", field], `${model.name} has no field ${field}`)
      }
      const wanted = new Set(["id", ...options.select])
      orderOnly = orderBy.map((o) => o.field).filter((field) => !wanted.has(field))
      select = [...new Set([...wanted, ...orderOnly])]
    }
    const query: StoreQuery = {
      where: allWhere,
      orderBy,
      limit: limit + 1,
      ...(after === undefined ? {} : { after }),
      ...(select === undefined ? {} : { select }),
      // Order fields nobody asked for are needed on the page's last row only (its cursor).
      ...(orderOnly.length === 0 ? {} : { onlyAt: { columns: orderOnly, at: limit - 1 } })
    }
    return { query, fingerprint: print, limit }
  }

  /** Turns the rows of a planned listing (one more than the limit) into a page. */
  const pageOf = <T>(
    rows: ReadonlyArray<Row>,
    plan: { readonly query: StoreQuery; readonly fingerprint: string; readonly limit: number },
    decode: (rows: ReadonlyArray<Row>) => Effect.Effect<ReadonlyArray<T>, StorageError>
  ): Effect.Effect<ResultPage<T>, StorageError> => {
    const more = rows.length > plan.limit
    const pageRows = more ? rows.slice(0, plan.limit) : rows
    const last = pageRows[pageRows.length - 1]
    return Effect.map(decode(pageRows), (items) => {
      if (!more || last === undefined) return { items }
      const after = plan.query.orderBy.map((o) => {
        const value = last[o.field]
        return value === undefined ? null : (value as Scalar | null)
      })
      return { items, cursor: encodeCursor(plan.fingerprint, after) }
    })
  }

  const decoderFor = <M extends AnyModel>(model: M, options: ListOptions, query: StoreQuery) =>
    options.select === undefined
      ? (rows: ReadonlyArray<Row>) => codecOf(model).decodeRows(rows) as Effect.Effect<ReadonlyArray<Partial<RecordOf<M>>>, StorageError>
      : codecOf(model).decodePartial(["id", ...options.select], query.onlyAt?.columns)

  /** Lists records (a page). With `select`, items hold only the selected fields and `id`. */
  const list = <M extends AnyModel>(
    model: M,
    accountId: string,
    options: ListOptions = {},
    extraWhere: ReadonlyArray<Condition> = []
  ): Effect.Effect<ResultPage<Partial<RecordOf<M>>>, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const plan = planList(model, accountId, options, extraWhere)
      if (plan instanceof ValidationError) return yield* plan
      const rows = yield* driver.query(model, scopeOf(model, accountId), plan.query)
      return yield* pageOf(rows, plan, decoderFor(model, options, plan.query))
    })

  /** Lists a subtree of a hierarchical model: rows whose path starts with `prefix` (a page). */
  const subtree = <M extends AnyModel>(
    model: M,
    accountId: string,
    prefix: string,
    options: ListOptions & { readonly maxDepth?: number } = {},
    extraWhere: ReadonlyArray<Condition> = []
  ): Effect.Effect<ResultPage<Partial<RecordOf<M>>>, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const pathConditions: ReadonlyArray<Condition> = [
        { field: "path", op: "startsWith", value: prefix },
        ...(options.maxDepth === undefined ? [] : [{ field: "depth", op: "lte", value: options.maxDepth } as const])
      ]
      // Without an asked order, a subtree comes in path order (parents before their children), which
      // the ordered path index gives without sorting; a path is unique, so it is a total order.
      const plan = planList(model, accountId, options, [...extraWhere, ...pathConditions], model.hierarchy?.path)
      if (plan instanceof ValidationError) return yield* plan
      // The fingerprint covers the subtree; the adapter gets the prefix and depth as arguments.
      const query: StoreQuery & { maxDepth?: number } = {
        ...plan.query,
        where: plan.query.where.filter((condition) => !pathConditions.includes(condition)),
        ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth })
      }
      const rows = yield* driver.subtree(model, scopeOf(model, accountId), { prefix }, query)
      return yield* pageOf(rows, plan, decoderFor(model, options, plan.query))
    })

  /**
   * A page of the subtree under the row `rootId` (the root itself with `includeRoot`), in path
   * order, in ONE store read: the store reads the root's path with its range. `undefined` when a
   * first page finds no root (missing, or failing `extraWhere`: for org units, the actor's access
   * conditions); a later page of a root deleted meanwhile is empty. Options take no `where` or
   * `orderBy` (they could filter the root out of the read or order it elsewhere).
   */
  const subtreeFrom = <M extends AnyModel>(
    model: M,
    accountId: string,
    rootId: string,
    options: Omit<ListOptions, "where" | "orderBy">,
    extraWhere: ReadonlyArray<Condition>,
    includeRoot: boolean
  ): Effect.Effect<ResultPage<Partial<RecordOf<M>>> | undefined, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const pathField = model.hierarchy?.path
      if (pathField === undefined) return yield* new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` })
      // Cursors are bound to the root's id (a marker condition the store never sees), not its path.
      const marker: Condition = { field: "subtreeOf", op: "eq", value: `${includeRoot ? "+" : "-"}${rootId}` }
      const plan = planList(model, accountId, options, [...extraWhere, marker], pathField)
      if (plan instanceof ValidationError) return yield* plan
      const where = plan.query.where.filter((condition) => condition !== marker)
      // On a first page the root comes first (its path is the smallest of its subtree): it is how a
      // missing or hidden root shows, and when it is left out of the page, one more row is read
      // and the cursor's position is one row further. Past it, the keyset is after the root.
      const first = plan.query.after === undefined
      const shift = first && !includeRoot ? 1 : 0
      const query: StoreQuery = {
        ...plan.query,
        where,
        limit: plan.limit + 1 + shift,
        ...(plan.query.onlyAt === undefined ? {} : { onlyAt: { ...plan.query.onlyAt, at: plan.query.onlyAt.at + shift } })
      }
      const rows = yield* driver.subtree(model, scopeOf(model, accountId), { rootId }, query)
      if (first && rows[0]?.["id"] !== rootId) return undefined
      return yield* pageOf(shift === 1 ? rows.slice(1) : rows, plan, decoderFor(model, options, plan.query))
    })

  /** Counts records matching conditions. */
  const count = (
    model: AnyModel,
    accountId: string,
    where: ReadonlyArray<FieldCondition> = [],
    extraWhere: ReadonlyArray<Condition> = []
  ): Effect.Effect<number, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const compiled = compileWhere(model, where)
      if (compiled instanceof ValidationError) return yield* compiled
      return yield* driver.count(model, scopeOf(model, accountId), [...compiled, ...extraWhere])
    })

  /** What changed in an account (and the global catalogues) after a cursor. */
  const changesSince = (accountId: string, cursor: string | undefined, limit = 1000): Effect.Effect<ChangesPage, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const print = fingerprint(`changes:${accountId}`)
      let after = 0
      if (cursor !== undefined) {
        const decoded = decodeCursor(cursor, print)
        if (decoded instanceof ValidationError) return yield* decoded
        const [seq] = decoded
        if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return yield* ValidationError.at(["cursor"], "not a change cursor")
        after = seq
      }
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return yield* ValidationError.at(["limit"], `expected an integer from 1 to ${MAX_LIMIT}`)
      const changes = yield* driver.changesSince(accountId, after, limit)
      const last = changes[changes.length - 1]
      return {
        changes: changes.map(({ model, id, deleted, version, seq }) => ({ model, id, deleted, version, seq })),
        cursor: encodeCursor(print, [last === undefined ? after : last.seq])
      }
    })

  return {
    driver,
    models: byName,
    insert,
    insertMany,
    get,
    getMany,
    update,
    remove,
    list,
    subtree,
    subtreeFrom,
    count,
    changesSince,
    planList,
    pageOf,
    checkReferences
  }
}

/** The repositories of a store. */
export type Repositories = ReturnType<typeof makeRepositories>

/**
 * Every item of a paged listing: calls `load` with each page's cursor (none for the first) until
 * the last page. For work that must see a whole set; stream page by page where memory matters.
 */
export const allPages = <T, E, R>(
  load: (cursor: string | undefined) => Effect.Effect<ResultPage<T>, E, R>
): Effect.Effect<ReadonlyArray<T>, E, R> =>
  Effect.gen(function* () {
    const out: Array<T> = []
    let cursor: string | undefined
    do {
      const page = yield* load(cursor)
      for (const item of page.items) out.push(item)
      cursor = page.cursor
    } while (cursor !== undefined)
    return out
  })
