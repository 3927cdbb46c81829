/**
 * {@link Records}: generic reads and writes of any model for the current actor, under the same
 * rules as the domain services: the model's read and write permissions, its row scope (the
 * actor's org-unit roots, see `row-access.ts`), its owning service (`managedBy` models are refused
 * here), its computed fields (never given by a caller) and its immutable fields (refused by the
 * repositories on every path). Every write is audited.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { type Forbidden, type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { type AnyModel, type PublicRecordOf, type SecretOf, withoutSecrets } from "../shared/model.ts"
import {
  applyPatch,
  type BulkResult,
  type ChangesPage,
  type CreateInput,
  type FieldCondition,
  type Listed,
  type ListOptions,
  type NoListOptions,
  type Patch,
  type ResultPage,
  scopeOf,
  type WriteOptions
} from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { audit } from "./audit.ts"
import { Repos, type ServiceWriteError } from "./repos.ts"
import { makeRowAccess, mayRead } from "./row-access.ts"
import { guardGenericWrite, refuseComputed } from "./write-policy.ts"

/** `ValidationError` when a listing's conditions, order or `select` name a secret field (they would reveal it). */
const refuseSecretQuery = (model: AnyModel, options: ListOptions | undefined): Effect.Effect<void, ValidationError> => {
  const secret: ReadonlyArray<string> = model.secret
  if (secret.length === 0 || options === undefined) return Effect.void
  const named = [...(options.where ?? []).map((c) => c.field), ...(options.orderBy ?? []).map((o) => o.field), ...(options.select ?? [])]
  const field = named.find((name) => secret.includes(name))
  return field === undefined
    ? Effect.void
    : Effect.fail(ValidationError.at([field], `${model.name}.${field} is secret: generic reads neither answer it nor filter or sort by it`))
}

/** Row scopes judged on every actor, not only on one restricted to org units. */
const ACTOR_SCOPED: ReadonlySet<string> = new Set(["audited", "profileLinks", "grantedTo", "owner"])

/**
 * Generic, permission-checked access to any model, for the current actor's account: every rule
 * the model declares applies, and a model written through its own service refuses generic writes.
 * Provided by `Iaso.layer`; on the Promise facade, `iaso.as(actor).records`. Its calls are listed
 * under `Service`.
 */
export class Records extends Context.Service<
  Records,
  {
    /**
     * One record, `NotFound` when absent or in another account (or outside the actor's org units).
     * Like every answer of `Records`, without the model's secret fields (a user's password hash,
     * credentials' password), whoever asks.
     */
    readonly get: <M extends AnyModel>(model: M, id: string) => Effect.Effect<PublicRecordOf<M>, NotFound | Forbidden | StorageError, CurrentActor>
    /** A page of records, without their secret fields; a condition, order or `select` naming one is a `ValidationError`. */
    readonly list: <M extends AnyModel, const O extends ListOptions = NoListOptions>(
      model: M,
      options?: O
    ) => Effect.Effect<ResultPage<Omit<Listed<M, O>, SecretOf<M>>>, ValidationError | Forbidden | StorageError, CurrentActor>
    /** How many records match. */
    readonly count: (model: AnyModel, where?: ReadonlyArray<FieldCondition>) => Effect.Effect<number, ValidationError | Forbidden | StorageError, CurrentActor>
    /** Creates a record. */
    readonly create: <M extends AnyModel>(model: M, input: CreateInput<M>) => Effect.Effect<PublicRecordOf<M>, ServiceWriteError, CurrentActor>
    /** Creates many records: per-item results, or all or nothing with `atomic`. */
    readonly createMany: <M extends AnyModel>(
      model: M,
      inputs: ReadonlyArray<CreateInput<M>>,
      options?: WriteOptions
    ) => Effect.Effect<BulkResult<PublicRecordOf<M>>, ServiceWriteError, CurrentActor>
    /** Changes a record; `expectedVersion` makes it fail with `VersionConflict` if it changed since read. */
    readonly update: <M extends AnyModel>(
      model: M,
      id: string,
      patch: Patch<M>,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<PublicRecordOf<M>, ServiceWriteError, CurrentActor>
    /** Deletes a record and applies IASO's on-delete rules to what references it. */
    readonly remove: (model: AnyModel, id: string, options?: { readonly expectedVersion?: number }) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** What changed in the account (and the global catalogues) after a cursor. */
    readonly changesSince: (cursor?: string, limit?: number) => Effect.Effect<ChangesPage, ValidationError | StorageError, CurrentActor>
    /** Runs a unit of work in one transaction: all of its writes or none. */
    readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>
  }
>()("@iaso/core/Records") {
  static readonly layer = Layer.effect(
    Records,
    Effect.gen(function* () {
      const repos = yield* Repos
      const access = makeRowAccess(repos)
      const readGuard = (model: AnyModel) =>
        Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.as(requireAny(actor, model.access.read, `reading ${model.name}`), actor))
      /** Every input of a creation checked before anything is written. */
      const checkInputs = (model: AnyModel, actor: Actor, inputs: ReadonlyArray<object>) =>
        Effect.forEach(
          inputs,
          (input): Effect.Effect<void, ValidationError | NotFound | Forbidden | StorageError> => {
            const computed = refuseComputed(model, input)
            return computed !== undefined ? Effect.fail(computed) : access.requireWritable(actor, model, input as Record<string, unknown>)
          },
          { discard: true }
        )
      return Records.of({
        get: (model, id) =>
          Effect.gen(function* () {
            const actor = yield* readGuard(model)
            const record = yield* repos.get(model, actor.accountId, id)
            yield* access.requireVisible(actor, model, record as Record<string, unknown>)
            return withoutSecrets(model, record) as PublicRecordOf<typeof model>
          }),
        list: (model, options) =>
          Effect.gen(function* () {
            const actor = yield* readGuard(model)
            yield* refuseSecretQuery(model, options)
            const extra = yield* access.listConditions(actor, model, options?.where ?? [])
            const listed = yield* repos.list(model, actor.accountId, options, extra)
            const page = model.secret.length === 0 ? listed : { ...listed, items: listed.items.map((item) => withoutSecrets(model, item)) }
            if (model.rowScope?.kind !== "audited") return page
            // Audit entries of deleted records are judged on their snapshot, read whole; entries of
            // actor-scoped records (projects, pages) on the actor's reach, for every actor.
            const ids = page.items.map((item) => String(item.id))
            const kept = new Set((yield* access.keepVisible(actor, model, yield* repos.getMany(model, actor.accountId, ids))).map((entry) => String(entry.id)))
            return { ...page, items: page.items.filter((item) => kept.has(String(item.id))) }
          }),
        count: (model, where = []) =>
          Effect.gen(function* () {
            const actor = yield* readGuard(model)
            yield* refuseSecretQuery(model, { where })
            const extra = yield* access.listConditions(actor, model, where)
            if (model.rowScope?.kind !== "audited") return yield* repos.count(model, actor.accountId, where, extra)
            // Audit entries are judged as a listing judges them (snapshots, actor-scoped records): counted page by page.
            let counted = 0
            let cursor: string | undefined
            do {
              const page = yield* repos.list(model, actor.accountId, { where, limit: 1000, select: ["id"], ...(cursor === undefined ? {} : { cursor }) }, extra)
              const rows = yield* repos.getMany(
                model,
                actor.accountId,
                page.items.map((item) => String(item.id))
              )
              counted += (yield* access.keepVisible(actor, model, rows as ReadonlyArray<Record<string, unknown>>)).length
              cursor = page.cursor
            } while (cursor !== undefined)
            return counted
          }),
        create: (model, input) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* guardGenericWrite(model, actor, "creating")
            yield* checkInputs(model, actor, [input])
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const created = yield* repos.insert(model, actor.accountId, input)
                yield* audit(repos, actor, "RECORDS", model, [{ id: String((created as { id: string }).id), after: created }])
                return withoutSecrets(model, created) as PublicRecordOf<typeof model>
              })
            )
          }),
        createMany: (model, inputs, options) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* guardGenericWrite(model, actor, "creating")
            yield* checkInputs(model, actor, inputs)
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const result = yield* repos.insertMany(model, actor.accountId, inputs, options)
                yield* audit(
                  repos,
                  actor,
                  "RECORDS",
                  model,
                  result.items.flatMap((item) => (item._tag === "Ok" ? [{ id: String((item.value as { id: string }).id), after: item.value }] : []))
                )
                return model.secret.length === 0
                  ? result
                  : { ...result, items: result.items.map((item) => (item._tag === "Ok" ? { ...item, value: withoutSecrets(model, item.value) } : item)) }
              })
            )
          }),
        update: (model, id, patch, options) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* guardGenericWrite(model, actor, "changing")
            const computed = refuseComputed(model, patch)
            if (computed !== undefined) return yield* computed
            return yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(model, actor.accountId, id)
                yield* access.requireVisible(actor, model, before as Record<string, unknown>)
                yield* access.requireWritable(actor, model, applyPatch(before as object, patch))
                const after = yield* repos.update(model, actor.accountId, id, patch as Record<string, unknown>, options)
                yield* audit(repos, actor, "RECORDS", model, [{ id, before, after }])
                return withoutSecrets(model, after) as PublicRecordOf<typeof model>
              })
            )
          }),
        remove: (model, id, options) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            yield* guardGenericWrite(model, actor, "deleting")
            yield* repos.driver.transaction(
              Effect.gen(function* () {
                const before = yield* repos.get(model, actor.accountId, id)
                yield* access.requireVisible(actor, model, before as Record<string, unknown>)
                yield* repos.remove(model, actor.accountId, id, options)
                yield* audit(repos, actor, "RECORDS", model, [{ id, before }])
              })
            )
          }),
        changesSince: (cursor, limit) =>
          Effect.gen(function* () {
            const actor = yield* CurrentActor
            const page = yield* repos.changesSince(actor.accountId, cursor, limit)
            return { ...page, changes: yield* visibleChanges(actor, page.changes) }
          }),
        transaction: (effect) => repos.driver.transaction(effect)
      })

      /**
       * The changes of a feed page the actor may see: of models it may read, and of rows within its
       * reach (a restricted actor does not see the tombstones of row-scoped models: a deleted row's
       * place in the tree is gone with it).
       */
      function visibleChanges(actor: Actor, changes: ChangesPage["changes"]): Effect.Effect<ChangesPage["changes"], StorageError> {
        return Effect.gen(function* () {
          const restricted = actor.orgUnitRoots.length > 0
          const hidden = new Set<number>()
          const byModel = new Map<AnyModel, Array<number>>()
          changes.forEach((change, index) => {
            const model = repos.models.get(change.model)
            if (model === undefined || !mayRead(actor, model)) hidden.add(index)
            else if (model.rowScope !== undefined && (restricted || ACTOR_SCOPED.has(model.rowScope.kind))) {
              // A deleted project or page shows its tombstone (its id only) to an actor without roots.
              if (change.deleted) {
                if (restricted || model.rowScope.kind === "audited") hidden.add(index)
              } else byModel.set(model, [...(byModel.get(model) ?? []), index])
            }
          })
          for (const [model, indexes] of byModel) {
            const rows = yield* repos.driver.getMany(
              model,
              scopeOf(model, actor.accountId),
              indexes.map((index) => changes[index]?.id ?? "")
            )
            const kept = new Set((yield* access.keepVisible(actor, model, rows)).map((row) => String(row["id"])))
            for (const index of indexes) if (!kept.has(changes[index]?.id ?? "")) hidden.add(index)
          }
          return changes.filter((_, index) => !hidden.has(index))
        })
      }
    })
  )
}
