/**
 * Writing through the repositories: inserts with new ids (one or many, per-item results or all or
 * nothing), updates with an optimistic version check, deletes with IASO's on-delete rules, and the
 * reference check that keeps every reference within the account.
 * @module
 */
import { Effect } from "effect"
import { AlreadyExists, Conflict, NotFound, StorageError, ValidationError, VersionConflict } from "./errors.ts"
import { uuidv7 } from "./ids.ts"
import type { AnyModel, RecordOf, Row } from "./model.ts"
import { scopeOf } from "./reads.ts"
import { codecOf } from "./record-codec.ts"
import type { StoreDriver, WriteOp, WriteOutcome } from "./store.ts"
import { now } from "./time.ts"

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
  /**
   * The caller has checked, in the same unit of work, that every reference of the inputs names a
   * record of the account (or one written before them in it): no second read.
   */
  readonly referencesChecked?: boolean
}

/** A record with a patch applied (see {@link Patch}): given fields replace, `null` (or `undefined`) clears. */
export const applyPatch = (record: object, patch: object): Record<string, unknown> => {
  const next: Record<string, unknown> = { ...record }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined) delete next[key]
    else next[key] = value
  }
  return next
}

/** Fields the SDK sets on every record. */
const SYSTEM = new Set(["id", "accountId", "version", "createdAt", "updatedAt"])

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
        message: outcome.constraint === "id" ? `${model} ${id} already exists` : `another ${model} already has the same values for ${outcome.constraint}`
      })
  }
}

/**
 * New records as `insertMany` makes them (an id unless given, version 1, the timestamps, the
 * account), encoded: each input's row and record (`rows`, with its input's index), or why it is
 * refused (`items`); `made`: the indexes of the inputs whose id is made here.
 */
const encodeInputs = <M extends AnyModel>(model: M, accountId: string, inputs: ReadonlyArray<unknown>, at: Date) => {
  const codec = codecOf(model)
  const items: Array<BulkItem<RecordOf<M>>> = []
  const rows: Array<{ index: number; row: Row; value: RecordOf<M> }> = []
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
  return { items, rows, made }
}

/**
 * New records of one model, encoded for a store's `writeAll` by a caller that checked their
 * references (see `referencesChecked`): each one's insert and record, or the first refused
 * input's ValidationError.
 */
export const encodeNewRecords = <M extends AnyModel>(
  model: M,
  accountId: string,
  inputs: ReadonlyArray<unknown>
): Effect.Effect<{ readonly ops: ReadonlyArray<WriteOp>; readonly records: ReadonlyArray<RecordOf<M>> }, ValidationError> =>
  Effect.gen(function* () {
    const { items, rows, made } = encodeInputs(model, accountId, inputs, yield* now)
    const refused = items.find((item) => item?._tag === "Failed")
    // Encoding refuses with ValidationErrors only.
    if (refused !== undefined && refused._tag === "Failed") return yield* refused.error as ValidationError
    return {
      ops: rows.map(({ index, row }): WriteOp => (made.has(index) ? { kind: "insert", row, fresh: true } : { kind: "insert", row })),
      records: rows.map(({ value }) => value)
    }
  })

/**
 * The write operations of the repositories over a store. `models` is the full list of models
 * (for on-delete rules and reference checks); `get` reads the record an update starts from.
 */
export const makeWrites = (
  driver: StoreDriver,
  models: ReadonlyArray<AnyModel>,
  get: <M extends AnyModel>(model: M, accountId: string, id: string) => Effect.Effect<RecordOf<M>, NotFound | StorageError>
) => {
  const byName = new Map(models.map((m) => [m.name, m]))
  const reverse = reverseReferences(models)

  /**
   * Checks that every reference of `rows` points at a record of the same account (or a row being
   * written): one read of the store for all the references (`exists`).
   */
  const checkReferences = (model: AnyModel, accountId: string, rows: ReadonlyArray<Row>, pending: ReadonlySet<string>) =>
    Effect.gen(function* () {
      const failures = new Map<number, WriteError>()
      const asked: Array<{ readonly reference: AnyModel["references"][number]; readonly target: AnyModel; readonly wanted: Set<string> }> = []
      for (const reference of model.references) {
        const target = byName.get(reference.target)
        if (target === undefined) continue
        const wanted = new Set<string>()
        for (const row of rows) {
          const value = row[reference.field]
          if (typeof value === "string" && !(target === model && pending.has(value))) wanted.add(value)
        }
        if (wanted.size > 0) asked.push({ reference, target, wanted })
      }
      if (asked.length === 0) return failures
      const found = yield* driver.exists(asked.map(({ target, wanted }) => ({ model: target, scope: scopeOf(target, accountId), ids: [...wanted] })))
      asked.forEach(({ reference, target }, at) => {
        const present = new Set(found[at])
        rows.forEach((row, index) => {
          const value = row[reference.field]
          if (typeof value !== "string" || present.has(value) || (target === model && pending.has(value))) return
          if (!failures.has(index)) failures.set(index, NotFound.of(reference.target, value))
        })
      })
      return failures
    })

  const runBulk = <T>(
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
    const body = Effect.gen(function* () {
      const { items, rows, made } = encodeInputs(model, accountId, inputs, yield* now)
      const pending = new Set(rows.map(({ row }) => String(row["id"])))
      const referenceFailures =
        options.referencesChecked === true
          ? new Map<number, WriteError>()
          : yield* checkReferences(
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
    return runBulk(options.atomic === true, body)
  }

  const insert = <M extends AnyModel>(model: M, accountId: string, input: unknown) =>
    Effect.flatMap(insertMany(model, accountId, [input]), (result) => {
      const item = result.items[0]
      if (item === undefined) return Effect.die("insert: no result")
      return item._tag === "Ok" ? Effect.succeed(item.value) : Effect.fail(item.error)
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
      const next = applyPatch(current, patch)
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
            return yield* new StorageError({
              reason: "serialization",
              retryable: true,
              message: `concurrent change while clearing ${referrer.model.name}.${referrer.field}`
            })
          }
        }
      }
      const ops: Array<WriteOp> = fresh.map((id) => (expectedVersion === undefined ? { kind: "delete", id } : { kind: "delete", id, expectedVersion }))
      const outcomes = yield* driver.write(model, scopeOf(model, accountId), ops)
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i]
        const id = fresh[i] ?? ""
        if (outcome !== undefined && outcome._tag === "Missing" && seen.has(`${model.name}:${id}`) && expectedVersion === undefined) continue
        const error = outcome === undefined ? undefined : writeError(model.name, id, outcome, expectedVersion)
        if (error !== undefined) return yield* error
      }
    })
  return { models: byName, insert, insertMany, update, remove, checkReferences }
}
