/**
 * Applying what a server sent on the receiving store: each record is written as the server holds
 * it (its id, version and timestamps kept), after its data decodes with the model's Schema; a
 * record already held at the same version is left as it is, so applying a page twice changes
 * nothing. Writes go to the store port directly: the server's services already applied their
 * rules, and the receiving store holds a subset of the server's records (a unit's parent may be
 * outside the device's roots), so the reference checks of local writes do not apply here.
 * @module
 */
import { Effect, Schema } from "effect"
import { StorageError, ValidationError } from "../shared/errors.ts"
import { admitJson } from "../shared/json.ts"
import { MAX_JSON_DEPTH } from "../shared/limits.ts"
import type { AnyModel, Row } from "../shared/model.ts"
import { codecOf, type Repositories, scopeOf } from "../shared/repository.ts"
import { eachRowPage } from "../shared/row-pages.ts"
import type { WriteOp } from "../shared/store.ts"
import { checksumBuilder, type ModelChecksum } from "./checksum.ts"
import type { SyncChange, SyncPut } from "./sync-wire.ts"

/** What applying changes did. */
export interface ApplyCounts {
  /** Records written (new, or at another version). */
  readonly written: number
  /** Records dropped. */
  readonly removed: number
  /** Records already held at the sent version. */
  readonly unchanged: number
}

/** The record of a put, as a stored row of its model (validated by the model's Schema). */
const rowOf = (model: AnyModel, put: SyncPut): Effect.Effect<Row, ValidationError> =>
  Effect.gen(function* () {
    // Whatever carried the page (a transport may hand over objects it did not decode), data nested
    // past the JSON limit is refused before a recursive decode meets it.
    const admitted = admitJson(put.data, ["changes", put.model, put.id], MAX_JSON_DEPTH + 2)
    if (admitted instanceof ValidationError) return yield* admitted
    const record = yield* Schema.decodeUnknownEffect(model.schema as unknown as Schema.Codec<unknown, unknown>)(put.data).pipe(
      Effect.mapError((error) => ValidationError.at(["changes", put.model, put.id], error.message))
    )
    const row = codecOf(model).toRow(record)
    if (row instanceof ValidationError) return yield* row
    if (row["id"] !== put.id || row["version"] !== put.version)
      return yield* ValidationError.at(["changes", put.model, put.id], "the record's id and version differ from the change's")
    return row
  })

/**
 * Applies changes in order on the store, for one account (see the module documentation). A
 * change of a model the store does not declare is a `ValidationError`, as is data that does not
 * decode; nothing is written then when the caller runs this in a transaction.
 */
export const applyChanges = (
  repos: Repositories,
  accountId: string,
  changes: ReadonlyArray<SyncChange>
): Effect.Effect<ApplyCounts, ValidationError | StorageError> =>
  Effect.gen(function* () {
    let written = 0
    let removed = 0
    let unchanged = 0
    // Writes a unique index refused: retried once the rest is applied (a value the server moved
    // from one record to another arrives on the second record first when it changed last).
    let deferred: Array<{ readonly model: AnyModel; readonly op: WriteOp }> = []
    const write = (model: AnyModel, op: WriteOp) => Effect.map(repos.driver.write(model, scopeOf(model, accountId), [op]), ([outcome]) => outcome)
    for (const change of changes) {
      const model = repos.models.get(change.model)
      if (model === undefined) return yield* ValidationError.at(["changes", change.model], "not a model of this store")
      const scope = scopeOf(model, accountId)
      const [held] = yield* repos.driver.getMany(model, scope, [change.id])
      if (change.op === "remove") {
        if (held === undefined) continue
        yield* write(model, { kind: "delete", id: change.id })
        removed += 1
        continue
      }
      if (held !== undefined && held["version"] === change.version) {
        unchanged += 1
        continue
      }
      const row = yield* rowOf(model, change)
      const op: WriteOp = held === undefined ? { kind: "insert", row } : { kind: "update", row, expectedVersion: Number(held["version"]) }
      const outcome = yield* write(model, op)
      if (outcome?._tag === "Duplicate") deferred.push({ model, op })
      else if (outcome?._tag !== "Written")
        return yield* new StorageError({
          reason: "constraint",
          retryable: true,
          message: `${change.model} ${change.id} could not be applied (${outcome?._tag ?? "no outcome"})`
        })
      else written += 1
    }
    while (deferred.length > 0) {
      const again: typeof deferred = []
      for (const item of deferred) {
        const outcome = yield* write(item.model, item.op)
        if (outcome?._tag === "Written") written += 1
        else again.push(item)
      }
      if (again.length === deferred.length) {
        const first = again[0]
        return yield* new StorageError({
          reason: "constraint",
          retryable: false,
          message: `${first?.model.name ?? "a record"} ${String(first?.op.kind === "delete" ? first.op.id : first?.op.row["id"])} breaks a unique index of the receiving store`
        })
      }
      deferred = again
    }
    return { written, removed, unchanged }
  })

/** The ids and versions of every record of a model the store holds for the account. */
export const heldRecords = (
  repos: Repositories,
  model: AnyModel,
  accountId: string
): Effect.Effect<ReadonlyArray<{ id: string; version: number }>, StorageError> =>
  Effect.gen(function* () {
    const out: Array<{ id: string; version: number }> = []
    yield* eachRowPage(repos.driver, model, scopeOf(model, accountId), { select: ["version"] }, (rows) =>
      Effect.sync(() => {
        for (const row of rows) out.push({ id: String(row["id"]), version: Number(row["version"]) })
      })
    )
    return out
  })

/** The checksum of what the store holds of a model for the account. */
export const heldChecksum = (repos: Repositories, model: AnyModel, accountId: string): Effect.Effect<ModelChecksum, StorageError> =>
  Effect.map(heldRecords(repos, model, accountId), (records) => {
    const builder = checksumBuilder()
    for (const record of records) builder.add(record.id, record.version)
    return builder.result()
  })
