/**
 * The device side of offline sync: {@link SyncClient} keeps an outbox of what the device makes
 * offline and moves data with a server through a {@link SyncTransport} (HTTP in an app, a direct
 * call in tests).
 *
 * - `enqueue` writes an entry to the outbox (the device's store, so it survives a restart).
 * - `push` sends pending entries in creation order, in batches; an entry leaves the outbox only
 *   once the server acknowledged it (`applied` or `unchanged`); a `rejected` one stays, REJECTED
 *   with the server's typed error, for the app to show or discard. A transport failure is retried
 *   with exponential backoff; when retries run out the push fails and every unacknowledged entry
 *   is still there for the next one (the server recognises a re-sent entry by its uuids).
 * - `pull` asks for pages after the device's cursor and applies each in one transaction with the
 *   cursor that follows it, so a cut at any page resumes after the last applied one; after the last
 *   page it compares the server's checksums with what the store holds, and repairs each model that
 *   differs (`reconcile`: what left the device's scope is dropped, what is missing is written).
 * - `sync` pushes, then pulls.
 *
 * The synced records are the server's: an app reads them through the services on the device's
 * store and does not write them (what it makes goes to the outbox, and comes back with the next
 * pull once the server has it).
 * @module
 */
import { Context, Effect, Layer, Schema } from "effect"
import { Repos } from "../kernel/repos.ts"
import { Interrupted, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { JsonObject } from "../shared/json.ts"
import type { LongOperationOptions } from "../shared/progress.ts"
import type { Repositories } from "../shared/repository.ts"
import { listAll, scopeOf } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { CurrentActor, ownerKey } from "../tenancy/actor.ts"
import { differingModels, type SyncChecksums } from "./checksum.ts"
import { type ApplyCounts, applyChanges, heldChecksum, heldRecords } from "./sync-apply.ts"
import { type SyncCursor, SyncCursorModel, type SyncOutboxEntry, SyncOutboxEntryModel, type SyncOutboxEntryId } from "./sync-models.ts"
import {
  MAX_RECONCILE_HELD,
  PushEntry,
  type PullPage,
  type PullRequest,
  type PushAnswer,
  type PushRequest,
  type ReconcileAnswer,
  type ReconcileRequest
} from "./sync-wire.ts"

/** A transport's failure: the server could not be reached or answered with an error. */
export class SyncTransportError extends Schema.TaggedError<SyncTransportError>()("SyncTransportError", {
  message: Schema.String,
  /** Trying again later may succeed (a network cut, a 5xx); false for a refusal (401, 403, 400). */
  retryable: Schema.Boolean
}) {}

/** How a device reaches the server's `Sync` service (see `sync-server.ts`). */
export interface SyncTransport {
  readonly pull: (request: PullRequest) => Effect.Effect<PullPage, SyncTransportError>
  readonly reconcile: (request: ReconcileRequest) => Effect.Effect<ReconcileAnswer, SyncTransportError>
  readonly push: (request: PushRequest) => Effect.Effect<PushAnswer, SyncTransportError>
}

/**
 * A transport from three async functions (a Promise API, an RPC client, a direct call to a
 * server's `iaso.as(actor).sync` in the same process): a rejection becomes a retryable
 * {@link SyncTransportError}.
 */
export const promiseSyncTransport = (calls: {
  readonly pull: (request: PullRequest) => Promise<PullPage>
  readonly reconcile: (request: ReconcileRequest) => Promise<ReconcileAnswer>
  readonly push: (request: PushRequest) => Promise<PushAnswer>
}): SyncTransport => {
  const lift =
    <A, B>(call: (request: A) => Promise<B>) =>
    (request: A): Effect.Effect<B, SyncTransportError> =>
      Effect.tryPromise({
        try: () => call(request),
        catch: (error) => new SyncTransportError({ message: error instanceof Error ? error.message : String(error), retryable: true })
      })
  return { pull: lift(calls.pull), reconcile: lift(calls.reconcile), push: lift(calls.push) }
}

/** Options of a sync. */
export interface SyncOptions extends LongOperationOptions {
  /** The project of the device's app. */
  readonly projectId?: string | undefined
  /** Feed changes per pull page (1 to 1000; default 500). */
  readonly pageSize?: number | undefined
  /** Outbox entries per push request (default 20). */
  readonly pushBatch?: number | undefined
  /** Tries of a failing transport call before the sync fails (default 5). */
  readonly attempts?: number | undefined
  /** The first retry's delay; each next one doubles, up to 30 s (default 500 ms). */
  readonly backoffMillis?: number | undefined
}

/** What a push did. */
export interface PushReport {
  /** Entries the server stored now. */
  readonly applied: number
  /** Entries the server already had (re-sends). */
  readonly unchanged: number
  /** Entries refused, kept in the outbox as REJECTED. */
  readonly rejected: ReadonlyArray<OutboxItem>
}

/** What a pull did. */
export interface PullReport extends ApplyCounts {
  /** Pages applied. */
  readonly pages: number
  /** Models whose checksums differed and were repaired. */
  readonly repaired: ReadonlyArray<string>
}

/** An outbox entry as the app sees it. */
export interface OutboxItem {
  readonly id: SyncOutboxEntryId
  readonly entry: PushEntry
  readonly status: SyncOutboxEntry["status"]
  readonly attempts: number
  /** The server's refusal of a REJECTED entry. */
  readonly rejection?: { readonly tag: string; readonly message: string }
  readonly createdAt: Date
}

/** An entry to enqueue: a push entry whose `id` may be left out (a UUIDv7 is made). */
export type OutboxInput = PushEntry extends infer E ? (E extends { readonly id: string } ? Omit<E, "id"> & { readonly id?: string } : never) : never

/** Errors of a sync. */
export type SyncError = SyncTransportError | ValidationError | StorageError | Interrupted

/** The device side of sync (see the module documentation). Provided by {@link SyncClient.layer} over the device's store. */
export class SyncClient extends Context.Service<
  SyncClient,
  {
    /** Adds an entry to the outbox (its data checked now). */
    readonly enqueue: (input: OutboxInput) => Effect.Effect<OutboxItem, ValidationError | StorageError, CurrentActor>
    /** The outbox: pending entries, then rejected ones, each in creation order. */
    readonly outbox: () => Effect.Effect<ReadonlyArray<OutboxItem>, StorageError, CurrentActor>
    /** Removes an entry the app gives up on (a rejected one, typically). */
    readonly discard: (id: string) => Effect.Effect<void, NotFound | StorageError, CurrentActor>
    /** Sends the pending entries (see the module documentation). */
    readonly push: (transport: SyncTransport, options?: SyncOptions) => Effect.Effect<PushReport, SyncError, CurrentActor>
    /** Pulls until the device is up to date, then checks and repairs (see the module documentation). */
    readonly pull: (transport: SyncTransport, options?: SyncOptions) => Effect.Effect<PullReport, SyncError, CurrentActor>
    /** `push`, then `pull`. */
    readonly sync: (
      transport: SyncTransport,
      options?: SyncOptions
    ) => Effect.Effect<{ readonly push: PushReport; readonly pull: PullReport }, SyncError, CurrentActor>
  }
>()("@iaso/core/SyncClient") {
  static readonly layer = Layer.effect(
    SyncClient,
    Effect.map(Effect.service(Repos), (repos) => SyncClient.of(makeSyncClient(repos)))
  )
}

const decodeEntry = Schema.decodeUnknownEffect(PushEntry)
const encodeEntry = Schema.encodeUnknownEffect(PushEntry)

/**
 * The repair requests of one model: what the device holds, in id order, cut into id ranges of at
 * most {@link MAX_RECONCILE_HELD} records; the last range is open-ended (one open request when the
 * device holds none).
 */
export const reconcileRanges = (
  model: string,
  held: ReadonlyArray<{ readonly id: string; readonly version: number }>,
  projectId: string | undefined
): ReadonlyArray<ReconcileRequest> => {
  const sorted = [...held].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const requests: Array<ReconcileRequest> = []
  let after: string | undefined
  let start = 0
  do {
    const chunk = sorted.slice(start, start + MAX_RECONCILE_HELD)
    start += MAX_RECONCILE_HELD
    const through = start < sorted.length ? chunk[chunk.length - 1]?.id : undefined
    requests.push({
      model,
      held: chunk,
      ...(projectId === undefined ? {} : { projectId }),
      ...(after === undefined ? {} : { after }),
      ...(through === undefined ? {} : { through })
    })
    after = through
  } while (start < sorted.length)
  return requests
}

/** Runs a transport call, retrying a retryable failure with exponential backoff. */
const withRetries = <A>(call: () => Effect.Effect<A, SyncTransportError>, options: SyncOptions): Effect.Effect<A, SyncTransportError | Interrupted> =>
  Effect.gen(function* () {
    const attempts = Math.max(1, options.attempts ?? 5)
    let delay = Math.max(0, options.backoffMillis ?? 500)
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted === true) return yield* new Interrupted({ operation: "sync", message: "the sync was stopped" })
      const result = yield* Effect.result(call())
      if (result._tag === "Success") return result.success
      if (!result.failure.retryable || attempt >= attempts) return yield* result.failure
      yield* Effect.sleep(delay)
      delay = Math.min(delay * 2, 30_000)
    }
  })

const makeSyncClient = (repos: Repositories): SyncClient["Service"] => {
  const toItem = (row: SyncOutboxEntry): Effect.Effect<OutboxItem, StorageError> =>
    Effect.map(
      decodeEntry(row.entry).pipe(
        Effect.mapError(
          (error) => new StorageError({ reason: "corrupt", retryable: false, message: `outbox entry ${row.id} does not decode: ${error.message}` })
        )
      ),
      (entry): OutboxItem => ({
        id: row.id,
        entry,
        status: row.status,
        attempts: row.attempts,
        createdAt: new Date(row.createdAt),
        ...(row.rejection === undefined ? {} : { rejection: { tag: String(row.rejection["tag"] ?? ""), message: String(row.rejection["message"] ?? "") } })
      })
    )
  // An entry is the actor's when it names the actor as owner, or names none (made before owners were kept).
  const byStatus = (status: SyncOutboxEntry["status"], owner: string | undefined) =>
    ({
      where: [
        { field: "status", op: "eq", value: status },
        owner === undefined ? ({ field: "ownerId", op: "isNull" } as const) : ({ field: "ownerId", op: "eq", value: owner } as const)
      ],
      orderBy: [{ field: "id", direction: "asc" }]
    }) as const
  const inCreationOrder = (own: ReadonlyArray<SyncOutboxEntry>, ownerless: ReadonlyArray<SyncOutboxEntry>) =>
    ownerless.length === 0 ? own : [...own, ...ownerless].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  /** The actor's first `limit` entries of a status, in creation order. */
  const firstEntries = (accountId: string, owner: string, status: SyncOutboxEntry["status"], limit: number) =>
    Effect.gen(function* () {
      const page = (who: string | undefined) =>
        Effect.map(repos.list(SyncOutboxEntryModel, accountId, { ...byStatus(status, who), limit }), (found) => found.items as ReadonlyArray<SyncOutboxEntry>)
      return inCreationOrder(yield* page(owner), yield* page(undefined)).slice(0, limit)
    }).pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error)))
  /** Every entry of the actor of a status, in creation order. */
  const allEntries = (accountId: string, owner: string, status: SyncOutboxEntry["status"]) =>
    Effect.gen(function* () {
      const all = (who: string | undefined) =>
        Effect.map(
          listAll((options) => repos.list(SyncOutboxEntryModel, accountId, options), byStatus(status, who)),
          (items) => items as ReadonlyArray<SyncOutboxEntry>
        )
      return inCreationOrder(yield* all(owner), yield* all(undefined))
    }).pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error)))

  const cursorOf = (accountId: string, owner: string, projectId: string) =>
    Effect.map(
      repos.list(SyncCursorModel, accountId, {
        where: [
          { field: "projectId", op: "eq", value: projectId },
          { field: "ownerId", op: "eq", value: owner }
        ],
        limit: 1
      }),
      (page) => page.items[0] as SyncCursor | undefined
    ).pipe(Effect.catchTag("ValidationError", (error) => Effect.die(error)))

  /** Writes the cursor after a page (in the page's transaction). */
  const saveCursor = (accountId: string, owner: string, projectId: string, cursor: string, completedAt?: Date) =>
    Effect.gen(function* () {
      const held = yield* cursorOf(accountId, owner, projectId)
      const completed = completedAt === undefined ? {} : { completedAt }
      if (held === undefined) yield* repos.insert(SyncCursorModel, accountId, { projectId, cursor, ownerId: owner, ...completed })
      else yield* repos.update(SyncCursorModel, accountId, held.id, { cursor, ...completed }, { expectedVersion: held.version })
    }).pipe(Effect.mapError(asStorageError))

  const push: SyncClient["Service"]["push"] = (transport, options = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const batchSize = Math.max(1, Math.min(options.pushBatch ?? 20, 500))
      let applied = 0
      let unchanged = 0
      const rejected: Array<OutboxItem> = []
      for (;;) {
        const pending = yield* firstEntries(actor.accountId, ownerKey(actor), "PENDING", batchSize)
        if (pending.length === 0) break
        const items = yield* Effect.forEach(pending, toItem)
        const sentAt = yield* now
        for (const row of pending)
          yield* repos
            .update(SyncOutboxEntryModel, actor.accountId, row.id, { attempts: row.attempts + 1, lastAttemptAt: sentAt }, { expectedVersion: row.version })
            .pipe(Effect.mapError(asStorageError))
        const answer = yield* withRetries(() => transport.push({ entries: items.map((item) => item.entry) }), options)
        const acks = new Map(answer.acks.map((ack) => [ack.id, ack]))
        let acknowledged = 0
        for (const item of items) {
          const ack = acks.get(item.entry.id)
          if (ack === undefined) continue
          acknowledged += 1
          if (ack.status === "rejected") {
            const rejection = { tag: ack.error?.tag ?? "Error", message: ack.error?.message ?? "" }
            const row = yield* repos.get(SyncOutboxEntryModel, actor.accountId, item.id).pipe(Effect.mapError(asStorageError))
            yield* repos
              .update(SyncOutboxEntryModel, actor.accountId, item.id, { status: "REJECTED", rejection }, { expectedVersion: row.version })
              .pipe(Effect.mapError(asStorageError))
            rejected.push({ ...item, status: "REJECTED", rejection })
          } else {
            yield* repos.remove(SyncOutboxEntryModel, actor.accountId, item.id).pipe(Effect.mapError(asStorageError))
            if (ack.status === "applied") applied += 1
            else unchanged += 1
          }
        }
        options.onProgress?.({ operation: "sync", phase: "push", done: applied + unchanged + rejected.length })
        if (acknowledged === 0) return yield* new SyncTransportError({ message: "the server acknowledged none of the entries sent", retryable: true })
      }
      return { applied, unchanged, rejected }
    })

  /** Why a page's cursor cannot be kept (what `PullRequest` sends back: text of at most 1,000 characters, no U+0000), or `undefined`. */
  const cursorProblem = (cursor: unknown): string | undefined => {
    if (typeof cursor !== "string") return "a cursor that is not text"
    if (cursor.length > 1_000) return "a cursor of more than 1,000 characters"
    if (cursor.includes("\u0000")) return "a cursor holding U+0000"
    if (!cursor.isWellFormed()) return "a cursor that is not well-formed Unicode"
    return undefined
  }

  const pull: SyncClient["Service"]["pull"] = (transport, options = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const projectId = options.projectId ?? ""
      const request = { ...(options.projectId === undefined ? {} : { projectId: options.projectId }), limit: options.pageSize ?? 500 }
      let cursor = (yield* cursorOf(actor.accountId, ownerKey(actor), projectId))?.cursor
      let pages = 0
      let written = 0
      let removed = 0
      let unchanged = 0
      let checksums: SyncChecksums | undefined
      for (;;) {
        if (options.signal?.aborted === true) return yield* new Interrupted({ operation: "sync", message: "the sync was stopped" })
        const from = cursor
        const page = yield* withRetries(() => transport.pull({ ...request, ...(from === undefined || from === "" ? {} : { cursor: from }) }), options)
        // The cursor is the server's text, kept as the device's: refused before it reaches storage.
        const refused = cursorProblem(page.cursor)
        if (refused !== undefined) return yield* ValidationError.at(["cursor"], `the server's pull page has ${refused}`)
        const counts = yield* repos.driver.transaction(
          Effect.gen(function* () {
            const applied = yield* applyChanges(repos, actor.accountId, page.changes)
            yield* saveCursor(actor.accountId, ownerKey(actor), projectId, page.cursor)
            return applied
          })
        )
        pages += 1
        written += counts.written
        removed += counts.removed
        unchanged += counts.unchanged
        cursor = page.cursor
        options.onProgress?.({ operation: "sync", phase: "pull", done: pages })
        if (!page.hasMore) {
          checksums = page.checksums
          break
        }
      }
      const repaired: Array<string> = []
      if (checksums !== undefined) {
        const held: Record<string, { count: number; sum: number }> = {}
        for (const name of Object.keys(checksums)) {
          const model = repos.models.get(name)
          if (model !== undefined) held[name] = yield* heldChecksum(repos, model, actor.accountId)
        }
        for (const name of differingModels(checksums, held)) {
          const model = repos.models.get(name)
          if (model === undefined) continue
          const records = yield* heldRecords(repos, model, actor.accountId)
          for (const request of reconcileRanges(name, records, options.projectId)) {
            let pending = request
            for (;;) {
              const asked = pending
              const answer = yield* withRetries(() => transport.reconcile(asked), options)
              const counts = yield* repos.driver.transaction(
                applyChanges(repos, actor.accountId, [...answer.remove.map((id) => ({ op: "remove" as const, model: name, id })), ...answer.put])
              )
              written += counts.written
              removed += counts.removed
              if (answer.through === undefined) break
              const through = answer.through
              if ((asked.after !== undefined && through <= asked.after) || (asked.through !== undefined && through > asked.through))
                return yield* new SyncTransportError({
                  message: `the server answered a repair of ${name} up to ${through}, outside the range asked`,
                  retryable: false
                })
              pending = { ...asked, after: through, held: asked.held.filter((record) => record.id > through) }
            }
          }
          repaired.push(name)
        }
      }
      yield* saveCursor(actor.accountId, ownerKey(actor), projectId, cursor ?? "", yield* now)
      return { pages, written, removed, unchanged, repaired }
    })

  return {
    enqueue: (input) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const id = input.id ?? uuidv7()
        const encoded = yield* encodeEntry({ ...input, id }).pipe(Effect.mapError((error) => ValidationError.at(["entry"], error.message)))
        const entry = yield* decodeEntry(encoded).pipe(Effect.mapError((error) => ValidationError.at(["entry"], error.message)))
        const row = yield* repos
          .insert(SyncOutboxEntryModel, actor.accountId, {
            id,
            kind: entry.kind,
            entry: encoded as JsonObject,
            status: "PENDING",
            attempts: 0,
            ownerId: ownerKey(actor)
          })
          .pipe(
            Effect.catchTags({
              AlreadyExists: () => Effect.fail(ValidationError.at(["entry", "id"], `an outbox entry ${id} exists already`)),
              NotFound: (error) => Effect.fail(asStorageError(error)),
              VersionConflict: (error) => Effect.fail(asStorageError(error)),
              Conflict: (error) => Effect.fail(asStorageError(error))
            })
          )
        return yield* toItem(row as SyncOutboxEntry)
      }),
    outbox: () =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const rows = [...(yield* allEntries(actor.accountId, ownerKey(actor), "PENDING")), ...(yield* allEntries(actor.accountId, ownerKey(actor), "REJECTED"))]
        return yield* Effect.forEach(rows, toItem)
      }),
    discard: (id) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const [row] = yield* repos.driver.getMany(SyncOutboxEntryModel, scopeOf(SyncOutboxEntryModel, actor.accountId), [id])
        if (row === undefined || (row["ownerId"] != null && row["ownerId"] !== ownerKey(actor)))
          return yield* new NotFound({ model: "SyncOutboxEntry", id, message: `No outbox entry ${id}` })
        yield* repos.remove(SyncOutboxEntryModel, actor.accountId, id).pipe(Effect.mapError(asStorageError))
      }),
    push,
    pull,
    sync: (transport, options) => Effect.all({ push: push(transport, options), pull: pull(transport, options) })
  }
}

/** A repository error where none is expected (the sync models have no references or rules): a storage failure. */
const asStorageError = (error: { readonly _tag: string; readonly message: string }): StorageError =>
  error._tag === "StorageError"
    ? (error as StorageError)
    : new StorageError({ reason: "unknown", retryable: false, message: `${error._tag}: ${error.message}` })
