/**
 * The store port: the primitives an adapter supplies. Everything else (insert, update with
 * optimistic version, paging cursors, bulk with per-item results, referential integrity, access
 * rules) is derived in core, so adapters cannot disagree about it.
 * @module
 */
import { Context, type Effect } from "effect"
import type { EncodedRows } from "./encoded-rows.ts"
import type { StorageError, Unsupported } from "./errors.ts"
import type { Column, IndexDecl, ModelMeta, Row } from "./model.ts"
import type { Condition, StoreQuery } from "./query.ts"

/** Which records an operation may see: one account's (and, for global models, the catalogue). */
export interface StoreScope {
  /** The owning account; `null` for a global catalogue model. */
  readonly accountId: string | null
  /** Every account's rows: only for host-level operations (e.g. finding an account by name), never for actors. */
  readonly allAccounts?: true
}

/** One write. Rows carry their full stored form, version included (core computes versions). */
export type WriteOp =
  | {
      readonly kind: "insert"
      readonly row: Row
      /** The id was made by the SDK for this write (no row, live or deleted, ever had it). */
      readonly fresh?: boolean
    }
  | { readonly kind: "update"; readonly row: Row; readonly expectedVersion: number }
  | { readonly kind: "delete"; readonly id: string; readonly expectedVersion?: number }

/** What happened to one write. A failed write left nothing behind. */
export type WriteOutcome =
  | { readonly _tag: "Written"; readonly seq: number }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "StaleVersion"; readonly actual: number }
  | { readonly _tag: "Duplicate"; readonly constraint: string }

/** A change in the feed: the latest state of one record (a tombstone when deleted). */
export interface Change {
  readonly seq: number
  readonly model: string
  readonly id: string
  readonly accountId: string | null
  readonly deleted: boolean
  readonly version: number
}

/** A stored row as `inspect` sees it, with its change sequence. */
export interface InspectedRow {
  readonly row: Row
  readonly seq: number
}

/**
 * Where a subtree starts: a path prefix, or the row with `rootId`, whose own path (always ending
 * with the path separator `/`) the store reads in the same statement or read transaction as the
 * subtree. With `rootId`, the rows are the root (when it exists in the scope and matches the
 * query's conditions) and its descendants; a missing root gives no rows.
 */
export type SubtreeStart = { readonly prefix: string } | { readonly rootId: string }

/** Rewriting the materialised path of every strict descendant of a unit (a move). */
export interface PrefixRewrite {
  /** The moved unit's old path; rows whose path starts with it (the unit itself excepted) are rewritten. */
  readonly from: string
  /** The moved unit's new path. */
  readonly to: string
  /** Added to the depth column of every rewritten row. */
  readonly depthDelta: number
  /** Epoch milliseconds written to `updatedAt`. */
  readonly updatedAt: number
}

/**
 * The units a transaction locks with `lockSubtrees`, each named by its materialised path as the
 * caller last read it (the unit is the path's last id, its ancestors the ids before it).
 */
export interface SubtreeLocks {
  /**
   * Units whose subtrees the transaction rewrites (a move): each locked against every other
   * locker; its ancestors are locked shared.
   */
  readonly exclusive: ReadonlyArray<string>
  /**
   * Units the transaction builds on (a new unit's parent, a move's new parent): each and its
   * ancestors locked shared. Shared locks conflict only with exclusive ones.
   */
  readonly shared: ReadonlyArray<string>
}

/** One migration step, dialect-neutral. */
export type MigrationStep =
  | {
      readonly op: "createModel"
      readonly model: string
      readonly scope: "account" | "global"
      readonly columns: ReadonlyArray<Column>
      readonly hierarchy?: { readonly path: string; readonly depth: string; readonly parent: string }
      /**
       * The rows of an account model are keyed by account and id (`accountId`, `id`), so two
       * accounts may hold the same id; absent, by id alone (the layout of migrations 0001-0004).
       */
      readonly keyedByAccount?: true
    }
  /** Re-keys an account model's rows by account and id (see `keyedByAccount`), keeping every row and index. */
  | { readonly op: "keyByAccount"; readonly model: string }
  | { readonly op: "addColumn"; readonly model: string; readonly column: Column }
  | { readonly op: "createIndex"; readonly model: string; readonly index: IndexDecl }
  | { readonly op: "dropIndex"; readonly model: string; readonly name: string }

/** A migration: an id that sorts in order, and its steps, applied in one transaction and recorded. */
export interface Migration {
  readonly id: string
  readonly steps: ReadonlyArray<MigrationStep>
}

/**
 * What an adapter can do. Every adapter fills in every field (no defaults); core and the
 * conformance suite read it.
 */
export interface StoreCapabilities {
  /** Adapter name, e.g. `memory`, `sqlite`, `postgres`, `pglite`, `indexeddb`. */
  readonly name: string
  /** Data survives the process (or page). */
  readonly persistent: boolean
  /** Isolation of `transaction`: every adapter is transactional. */
  readonly isolation: "serializable" | "snapshot" | "serialized-writers"
  /** Several connections/processes may write concurrently (so the hierarchy's writers lock: see `lockSubtrees`). */
  readonly concurrentWriters: boolean
  /** Whether an `effect` inside `transaction` may await non-store work (false on IndexedDB). */
  readonly awaitInsideTransaction: boolean
  /** How text is ordered: by code point, or by UTF-16 code unit (IndexedDB). */
  readonly textOrder: "codepoint" | "utf16"
  /** Largest number of rows the adapter writes in one statement/request batch. */
  readonly maxBatchSize: number
  /** JSON columns are stored natively (jsonb) rather than as text. */
  readonly nativeJson: boolean
  /** Needs Node.js (file system, native driver). */
  readonly nodeOnly: boolean
}

/**
 * The store port. Every method is scoped: account models only ever see rows of `scope.accountId`.
 * All methods run inside the current transaction when called within `transaction`.
 */
export interface StoreDriver {
  readonly capabilities: StoreCapabilities
  /** Applies pending migrations in order, each in a transaction, recording each; refuses a store newer than `migrations`. */
  readonly migrate: (migrations: ReadonlyArray<Migration>) => Effect.Effect<ReadonlyArray<string>, StorageError | Unsupported>
  /** Rows with these ids, in no particular order; missing ids are omitted. */
  readonly getMany: (model: ModelMeta, scope: StoreScope, ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Row>, StorageError>
  /**
   * For each request, the ids among its `ids` that name a row of its model in its scope (in no
   * particular order): the existence of rows of several models in one read (one statement on SQL).
   */
  readonly exists: (
    requests: ReadonlyArray<{ readonly model: ModelMeta; readonly scope: StoreScope; readonly ids: ReadonlyArray<string> }>
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<string>>, StorageError>
  /** Applies writes in order; each one that fails leaves nothing and reports why; the others apply. */
  readonly write: (model: ModelMeta, scope: StoreScope, ops: ReadonlyArray<WriteOp>) => Effect.Effect<ReadonlyArray<WriteOutcome>, StorageError>
  /**
   * Inserts new rows of one model given as one JSON text (see {@link EncodedRows}), all or none,
   * as `write` would insert them (a change sequence each, tombstones of the `given` ids cleared):
   * `"Written"`, or `"Refused"` when a unique key refused one of them (nothing is written; the
   * caller writes them with `write` to learn which). Optional: a store without it (or whose
   * rows the text does not suit) is given rows through `write`. SQLite reads the values out of
   * the text in one statement.
   */
  readonly insertEncoded?: (model: ModelMeta, scope: StoreScope, rows: EncodedRows) => Effect.Effect<"Written" | "Refused", StorageError>
  /**
   * Applies the writes of several models, each as `write` would (its outcomes at its position), in
   * one transaction; where the store can, a few inserts into distinct models go in one statement.
   */
  readonly writeAll: (
    writes: ReadonlyArray<{ readonly model: ModelMeta; readonly scope: StoreScope; readonly ops: ReadonlyArray<WriteOp> }>
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<WriteOutcome>>, StorageError>
  /**
   * Adds `by` to the integer column `field` of the row `id` and answers the column's new value, in
   * one step concurrent writers cannot interleave: two increments of one row both count, the second
   * waiting for the first's transaction where writers run concurrently (no version check fails).
   * The row gets a new version, a change sequence and `updatedAt` (epoch milliseconds). Answers
   * `undefined` when the scope has no such row. For counters: core checks nothing about the row.
   */
  readonly increment: (
    model: ModelMeta,
    scope: StoreScope,
    id: string,
    field: string,
    by: number,
    updatedAt: number
  ) => Effect.Effect<number | undefined, StorageError>
  /** Rows matching a query, in its order, from its keyset position, up to its limit. */
  readonly query: (model: ModelMeta, scope: StoreScope, query: StoreQuery) => Effect.Effect<ReadonlyArray<Row>, StorageError>
  /**
   * The rows of several queries of one model, each answered as `query` would, at its position, in
   * one read (one statement on SQL when they select the same columns): lookups of one record by
   * either of two keys without a second round trip.
   */
  readonly queryMany: (
    model: ModelMeta,
    scope: StoreScope,
    queries: ReadonlyArray<StoreQuery>
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<Row>>, StorageError>
  /** Number of rows matching the conditions. */
  readonly count: (model: ModelMeta, scope: StoreScope, where: ReadonlyArray<Condition>) => Effect.Effect<number, StorageError>
  /**
   * Rows of a hierarchical model whose path starts with a prefix (a subtree, see
   * {@link SubtreeStart}), optionally limited to `maxDepth`, with further conditions; answered with
   * a range scan on the ordered path index.
   */
  readonly subtree: (
    model: ModelMeta,
    scope: StoreScope,
    start: SubtreeStart,
    query: StoreQuery & { readonly maxDepth?: number }
  ) => Effect.Effect<ReadonlyArray<Row>, StorageError>
  /** Rewrites the path prefix of a subtree (see {@link PrefixRewrite}); each rewritten row gets a new version and sequence. */
  readonly rewritePrefix: (model: ModelMeta, scope: StoreScope, rewrite: PrefixRewrite) => Effect.Effect<number, StorageError>
  /**
   * Locks units of a hierarchy until the transaction ends, so that paths stay right under writers
   * on other connections (see {@link SubtreeLocks}). A path depends on every unit it names: a
   * transaction that rewrites a unit's subtree (a move) holds that unit exclusively, and one that
   * builds on paths (a create under a parent, a move's unit and new parent, an update writing a
   * unit's row whole) holds every unit they name shared. All the locks of a call are taken in one
   * global order, by path (a unit's ancestors before it): a move never rewrites a descendant
   * another locker holds, and lockers that read current paths never wait on each other in a cycle
   * (a deadlock is left only when a move commits between a caller's read and its locks: the
   * outermost transaction then runs again, see `transaction`). The store then reads the units'
   * paths again: when one changed meanwhile, it releases the locks and takes those of the new
   * paths, until every unit named by the current paths is held (bounded; past the bound a
   * retryable `serialization` StorageError). On return those paths cannot change until the
   * transaction ends, and every statement after the call sees every write committed before the
   * locks were granted: the caller reads the units again and computes from them. Call it before
   * the transaction's first write (a transaction that wrote holds the store's write order, and
   * waiting on a lock then could close a cycle). Where writers are serialised
   * (`concurrentWriters: false`) no locks are needed and callers skip it (the memory and IndexedDB
   * stores do nothing; on one connection, as on PGlite, the locks have nothing to wait for).
   */
  readonly lockSubtrees: (model: ModelMeta, scope: StoreScope, locks: SubtreeLocks) => Effect.Effect<void, StorageError>
  /** Changes after sequence `after` for an account (and the global catalogues), in sequence order. */
  readonly changesSince: (accountId: string, after: number, limit: number) => Effect.Effect<ReadonlyArray<Change>, StorageError>
  /**
   * The head of an account's change feed (with the global catalogues'): a sequence `head` such
   * that every change committed after the call, and every change of a transaction open during it,
   * has a sequence above `head`, so `changesSince(accountId, head, ...)` returns them all. A store
   * may answer lower than the last sequence (a reader then reads some changes again, never misses
   * one). Read outside a transaction. Optional: a store without it lets sync's first pulls walk the
   * whole feed (see `Sync.pull`).
   */
  readonly feedHead?: (accountId: string) => Effect.Effect<number, StorageError>
  /**
   * Runs `effect` in a transaction (a savepoint when nested): all of its writes or none. An
   * outermost transaction that loses a conflict with another one (a deadlock or serialization
   * failure on PostgreSQL, a database still busy after the busy timeout on SQLite) was rolled back
   * whole, and is run again, up to 5 attempts in all with jittered exponential pauses from 5 ms;
   * only then does the retryable StorageError reach the caller. So `effect` must be safe to run
   * again: it reads inside the transaction what it depends on, and does nothing outside the store
   * that a second run would repeat wrongly. A nested transaction is never run again by itself: the
   * conflict undoes the outermost one, which runs again whole.
   */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>
  /**
   * Whether the calling fiber is inside a {@link StoreDriver.transaction | transaction} of this
   * store. Optional: a store with concurrent writers answers it so that a caller can commit work of
   * its own first (a per-account counter's block, see `takeSequenceValues`); without it, callers
   * assume they may be inside one.
   */
  readonly inTransaction?: Effect.Effect<boolean>
  /** Raw read of every stored row of a model (all accounts), bypassing every rule: the test oracle. */
  readonly inspect: (model: ModelMeta) => Effect.Effect<ReadonlyArray<InspectedRow>, StorageError>
}

/** The store port as an Effect service; adapters provide it with a Layer. */
export class Store extends Context.Service<Store, StoreDriver>()("@iaso/core/Store") {}
