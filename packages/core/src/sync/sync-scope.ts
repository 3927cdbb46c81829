/**
 * The server's view of a synced set for one actor: which stored rows of a model the device must
 * hold (the kernel's access first, then the set's conditions and rule), and their wire form. Pull,
 * checksums and repairs all go through it, so they cannot disagree about what is in the set.
 * @module
 */
import { Effect, Schema } from "effect"
import { makeRowAccess, mayRead } from "../kernel/row-access.ts"
import { matchesAll } from "../shared/engine.ts"
import { StorageError } from "../shared/errors.ts"
import type { JsonObject } from "../shared/json.ts"
import type { Row } from "../shared/model.ts"
import type { Condition } from "../shared/query.ts"
import { codecOf, type Repositories, scopeOf } from "../shared/repository.ts"
import { eachRowPage } from "../shared/row-pages.ts"
import type { Actor } from "../tenancy/actor.ts"
import { type ModelChecksum, checksumBuilder } from "./checksum.ts"
import type { SyncedModel, SyncScopeContext, SyncSet } from "./sync-set.ts"
import type { SyncPut } from "./sync-wire.ts"

/** The set's context for one actor and project, with its memo. */
export const scopeContext = (repos: Repositories, actor: Actor, projectId: string | undefined): SyncScopeContext => {
  const memo = new Map<string, unknown>()
  return {
    actor,
    projectId,
    repos,
    memo: <A>(key: string, compute: Effect.Effect<A, StorageError>) =>
      memo.has(key) ? Effect.succeed(memo.get(key) as A) : Effect.tap(compute, (value) => Effect.sync(() => memo.set(key, value)))
  }
}

/** The set's reading of one actor's scope (see the module documentation). */
export const makeSyncScope = (repos: Repositories, set: SyncSet, context: SyncScopeContext) => {
  const access = makeRowAccess(repos)
  const byName = new Map(set.map((synced) => [synced.model.name, synced]))
  const { actor } = context

  /** The set's entry of a model the actor may read, or `undefined`. */
  const synced = (modelName: string): SyncedModel | undefined => {
    const entry = byName.get(modelName)
    return entry !== undefined && mayRead(actor, entry.model) ? entry : undefined
  }

  /** Of stored rows of the model, those the device must hold (same order). */
  const held = (entry: SyncedModel, rows: ReadonlyArray<Row>): Effect.Effect<ReadonlyArray<Row>, StorageError> =>
    Effect.gen(function* () {
      if (rows.length === 0) return rows
      const where = entry.where === undefined ? [] : yield* entry.where(context)
      const matching = where.length === 0 ? rows : rows.filter((row) => matchesAll(row, where, repos.driver.capabilities.textOrder))
      const visible = yield* access.keepVisible(actor, entry.model, matching)
      return entry.keep === undefined ? visible : yield* entry.keep(visible, context)
    })

  /** Of stored rows of the model, those within the actor's reach (same order), in the set or not. */
  const readable = (entry: SyncedModel, rows: ReadonlyArray<Row>): Effect.Effect<ReadonlyArray<Row>, StorageError> =>
    access.keepVisible(actor, entry.model, rows)

  /**
   * Calls `onRows` with every row of the model the device must hold, page by page in id order
   * (within `range` when given: ids after `after`, up to `through` included), until `onRows`
   * answers `"stop"`.
   */
  const scan = (
    entry: SyncedModel,
    onRows: (rows: ReadonlyArray<Row>) => unknown,
    range: { readonly after?: string | undefined; readonly through?: string | undefined } = {}
  ): Effect.Effect<void, StorageError> =>
    Effect.gen(function* () {
      const where: Array<Condition> = [
        ...(entry.where === undefined ? [] : yield* entry.where(context)),
        ...(yield* access.listConditions(actor, entry.model, [])),
        ...(range.after === undefined ? [] : [{ field: "id", op: "gt", value: range.after } as const]),
        ...(range.through === undefined ? [] : [{ field: "id", op: "lte", value: range.through } as const])
      ]
      yield* eachRowPage(repos.driver, entry.model, scopeOf(entry.model, actor.accountId), { where }, (rows) => Effect.map(held(entry, rows), onRows))
    })

  /** The checksum of what the device must hold of each model of the set it may read. */
  const checksums = Effect.gen(function* () {
    const out: Record<string, ModelChecksum> = {}
    for (const entry of set) {
      if (!mayRead(actor, entry.model)) continue
      const builder = checksumBuilder()
      yield* scan(entry, (rows) => {
        for (const row of rows) builder.add(String(row["id"]), Number(row["version"]))
      })
      out[entry.model.name] = builder.result()
    }
    return out
  })

  /** The wire form of stored rows: decoded, then encoded without their secret fields. */
  const puts = (entry: SyncedModel, rows: ReadonlyArray<Row>): Effect.Effect<ReadonlyArray<SyncPut>, StorageError> =>
    Effect.gen(function* () {
      const records = yield* codecOf(entry.model).decodeRows(rows)
      const encode = Schema.encodeUnknownEffect(entry.model.publicSchema as unknown as Schema.Codec<unknown, JsonObject>)
      return yield* Effect.forEach(records, (record) =>
        encode(record).pipe(
          Effect.map((data): SyncPut => ({ op: "put", model: entry.model.name, id: String(data["id"]), version: Number(data["version"]), data })),
          Effect.mapError(
            (error) =>
              new StorageError({ reason: "corrupt", retryable: false, message: `a stored ${entry.model.name} does not encode for sync: ${error.message}` })
          )
        )
      )
    })

  return { synced, held, readable, scan, checksums, puts }
}
