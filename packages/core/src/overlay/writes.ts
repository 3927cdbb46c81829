/**
 * Writes into a unit of work's layers: the outcome of each write of the store port
 * (`Written`, `Missing`, `StaleVersion`, `Duplicate`), unique keys (conditional uniqueness
 * included: a row outside a partial index takes no key, see {@link uniqueKeyOf}), the change feed
 * and the path rewrite of a move. A store supplies what its committed data answers
 * ({@link CommittedData}) and how it keeps a record ({@link OverlayEntries}).
 * @module
 */
import { uniqueKeyOf } from "../shared/engine.ts"
import type { IndexDecl, Row } from "../shared/model.ts"
import type { PrefixRewrite, StoreScope, WriteOp, WriteOutcome } from "../shared/store.ts"
import { changeKey, find, holderOf, inScope, layerKeys, layerRows, type OverlayLayer, recordKey, writeAccount } from "./layers.ts"

/** A unique index of a model. */
export interface UniqueIndex {
  readonly name: string
  readonly decl: IndexDecl
}

/** A model as its writes need it. */
export interface OverlayModel {
  readonly name: string
  readonly scope: "account" | "global"
  /** The unique indexes, in declaration order (a write that breaks several names the first). */
  readonly uniques: ReadonlyArray<UniqueIndex>
}

/** The unique indexes among a model's declared indexes, in their order. */
export const uniqueIndexes = (indexes: ReadonlyArray<IndexDecl>): Array<UniqueIndex> =>
  indexes.filter((index) => index.unique === true).map((decl) => ({ name: decl.name, decl }))

/**
 * What a store's committed data answers for the writes of one model (the layers answer first).
 * Records are named by their record key ({@link recordKey}: account and id).
 */
export interface CommittedData {
  /** Whether a committed record has this record key. */
  readonly exists: (key: string) => boolean
  /** The committed row with this record key, if any. */
  readonly row: (key: string) => Row | undefined
  /** The record key of the committed holder of a unique key, if any. */
  readonly holder: (index: string, key: string) => string | undefined
}

/** How a store keeps a record in its layers. */
export interface OverlayEntries<E> {
  /** The row of an entry; `null` when the unit of work deleted the record. */
  readonly rowOf: (entry: E) => Row | null
  /**
   * The entry a write leaves.
   * @param key - the record's key ({@link recordKey}).
   * @param row - the row written; `null` for a delete.
   * @param previous - the row it replaces (undefined for an insert).
   * @param before - the record's entry in the layers before this write; undefined when this is
   *   the unit of work's first write of it (the record then exists committed exactly when
   *   `previous` is given).
   * @param keysMoved - whether the write changed one of the record's unique keys.
   * @param keys - the row's key in each unique index of the model, in their order (`null`: not
   *   constrained; all `null` for a delete).
   */
  readonly make: (
    key: string,
    seq: number,
    row: Row | null,
    previous: Row | undefined,
    before: E | undefined,
    keysMoved: boolean,
    keys: ReadonlyArray<string | null>
  ) => E
}

/** The keys of a model without unique indexes (never written: the loop over its uniques is empty). */
const NO_KEYS: Array<string | null> = []

/**
 * Puts a record's new state (`next`; `null` deletes it) into a layer with the next sequence: its
 * entry, its unique keys (the keys it leaves are freed) and its change. `before` is its entry in
 * the layers ({@link find}), `previous` the row it replaces. Checks nothing: see {@link applyWrite}.
 * Returns the write's sequence.
 */
export const put = <E>(
  layer: OverlayLayer<E>,
  model: OverlayModel,
  entries: OverlayEntries<E>,
  scope: StoreScope,
  id: string,
  previous: Row | undefined,
  next: Row | null,
  before: E | undefined
): number => {
  layer.counter.seq += 1
  const seq = layer.counter.seq
  const accountId = writeAccount(model.scope, scope)
  const key = recordKey(accountId, id)
  const uniques = model.uniques
  const keys = uniques.length === 0 ? NO_KEYS : new Array<string | null>(uniques.length)
  let moved = false
  for (let i = 0; i < uniques.length; i++) {
    const unique = uniques[i]
    if (unique === undefined) continue
    const was = previous === undefined ? null : uniqueKeyOf(previous, unique.decl)
    const now = next === null ? null : uniqueKeyOf(next, unique.decl)
    keys[i] = now
    if (was === now) continue
    moved = true
    const held = layerKeys(layer, model.name, unique.name)
    if (was !== null) held.set(was, null)
    if (now !== null) held.set(now, key)
  }
  layerRows(layer, model.name).set(key, entries.make(key, seq, next, previous, before, moved, keys))
  const version = next === null ? Number(previous?.["version"] ?? 0) : Number(next["version"])
  layer.changes.set(changeKey(model.name, key), { seq, model: model.name, id, accountId, deleted: next === null, version })
  return seq
}

/** The first unique index in which another record (than the one of record key `self`) holds the key `row` would take, if any. */
const duplicateOf = <E>(layer: OverlayLayer<E>, model: OverlayModel, committed: CommittedData, row: Row, self: string): string | undefined => {
  for (const unique of model.uniques) {
    const key = uniqueKeyOf(row, unique.decl)
    if (key === null) continue
    const layered = holderOf(layer, model.name, unique.name, key)
    const holder = layered === undefined ? committed.holder(unique.name, key) : layered
    if (holder !== undefined && holder !== null && holder !== self) return unique.name
  }
  return undefined
}

/**
 * Applies one write of the store port to a layer, with the port's outcome: an insert of an id
 * that exists in the account (another account's record of the same id is another record) or of
 * a unique key another record holds is a `Duplicate` (naming
 * `id` or the index); an update or delete of a record missing from the scope is `Missing`, one
 * with another expected version `StaleVersion`; an update taking a held unique key `Duplicate`.
 * A failed write leaves nothing.
 */
export const applyWrite = <E>(
  layer: OverlayLayer<E>,
  model: OverlayModel,
  entries: OverlayEntries<E>,
  committed: CommittedData,
  scope: StoreScope,
  op: WriteOp
): WriteOutcome => {
  const accountId = writeAccount(model.scope, scope)
  if (op.kind === "insert") {
    const id = String(op.row["id"])
    const key = recordKey(accountId, id)
    const before = find(layer, model.name, key)
    const exists = before !== undefined ? entries.rowOf(before) !== null : committed.exists(key)
    if (exists) return { _tag: "Duplicate", constraint: "id" }
    const duplicate = duplicateOf(layer, model, committed, op.row, key)
    if (duplicate !== undefined) return { _tag: "Duplicate", constraint: duplicate }
    return { _tag: "Written", seq: put(layer, model, entries, scope, id, undefined, op.row, before) }
  }
  const id = op.kind === "delete" ? op.id : String(op.row["id"])
  const key = recordKey(accountId, id)
  const before = find(layer, model.name, key)
  const existing = before !== undefined ? entries.rowOf(before) : (committed.row(key) ?? null)
  if (existing === null || !inScope(model.scope, scope, existing)) return { _tag: "Missing" }
  const actual = Number(existing["version"])
  if (op.kind === "update" || op.expectedVersion !== undefined) {
    const expected = op.kind === "update" ? op.expectedVersion : (op.expectedVersion ?? actual)
    if (expected !== actual) return { _tag: "StaleVersion", actual }
  }
  if (op.kind === "delete") return { _tag: "Written", seq: put(layer, model, entries, scope, id, existing, null, before) }
  const duplicate = duplicateOf(layer, model, committed, op.row, key)
  if (duplicate !== undefined) return { _tag: "Duplicate", constraint: duplicate }
  return { _tag: "Written", seq: put(layer, model, entries, scope, id, existing, op.row, before) }
}

/**
 * Rewrites, in a layer, the rows of a moved subtree (the strict descendants of the moved unit,
 * read by the store beforehand): new path prefix and depth, next version, `updatedAt`, each with
 * a new sequence, in the order given. Returns how many rows it rewrote.
 */
export const rewritePaths = <E>(
  layer: OverlayLayer<E>,
  model: OverlayModel,
  entries: OverlayEntries<E>,
  scope: StoreScope,
  hierarchy: { readonly path: string; readonly depth: string },
  rows: ReadonlyArray<Row>,
  rewrite: PrefixRewrite
): number => {
  for (const row of rows) {
    const id = String(row["id"])
    const path = String(row[hierarchy.path])
    const next: Row = {
      ...row,
      [hierarchy.path]: rewrite.to + path.slice(rewrite.from.length),
      [hierarchy.depth]: Number(row[hierarchy.depth]) + rewrite.depthDelta,
      version: Number(row["version"]) + 1,
      updatedAt: rewrite.updatedAt
    }
    put(layer, model, entries, scope, id, row, next, find(layer, model.name, recordKey(writeAccount(model.scope, scope), id)))
  }
  return rows.length
}
