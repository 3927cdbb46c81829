/**
 * The layers of a unit of work: what a transaction (or a savepoint inside one) wrote, over what
 * is below it. A store that applies writes itself (the memory store, IndexedDB) keeps each unit of
 * work in a stack of layers: reads look through the stack (the topmost state of a record wins),
 * then at the committed data; a released savepoint folds its layer into the one below; the
 * outermost layer is committed by the store, and a rolled-back layer is simply dropped.
 *
 * Every function here is synchronous and touches only the layers: what a store keeps per record
 * (`E`, its entry) and how it reads and commits its committed data are its own.
 * @module
 */
import type { Row } from "../shared/model.ts"
import type { Change, StoreScope } from "../shared/store.ts"

/** The change sequence counter a layer takes sequences from. */
export interface SeqCounter {
  seq: number
}

/**
 * A unit of work's writes over what is below it.
 *
 * `E` is the store's entry of a record (it must not include `undefined`; a deleted record's entry
 * says so, e.g. `null`). `C` is the counter: a layer of its own per savepoint (a rolled-back
 * savepoint gives its sequences back) or one shared by the whole stack (sequences are never
 * reused within a unit of work), as the store chooses when it makes the layer.
 */
export interface OverlayLayer<E, C extends SeqCounter = SeqCounter> {
  readonly below: OverlayLayer<E, C> | undefined
  readonly counter: C
  /** model -> record key ({@link recordKey}) -> the record as this layer leaves it */
  readonly rows: Map<string, Map<string, E>>
  /** model -> unique index -> key -> holder's record key (`null`: freed by this layer) */
  readonly uniques: Map<string, Map<string, Map<string, string | null>>>
  /** The latest change of each record this layer wrote, by {@link changeKey}. */
  readonly changes: Map<string, Change>
}

/** A new, empty layer over `below` (undefined: the outermost layer of a unit of work). */
export const newLayer = <E, C extends SeqCounter>(below: OverlayLayer<E, C> | undefined, counter: C): OverlayLayer<E, C> => ({
  below,
  counter,
  rows: new Map(),
  uniques: new Map(),
  changes: new Map()
})

/**
 * The key of a record in the layers (and in a store's committed data): a global catalogue's id, or
 * an account record's account and id, since two accounts may hold the same id.
 * @param accountId - the record's account; `null` for a global catalogue (see {@link writeAccount}).
 */
export const recordKey = (accountId: string | null, id: string): string => (accountId === null ? id : `${accountId}\u0000${id}`)

/** The account whose records a write of `scope` touches: `null` for a global catalogue. */
export const writeAccount = (modelScope: "account" | "global", scope: StoreScope): string | null => (modelScope === "global" ? null : scope.accountId)

/** The record key of a stored row of a model ({@link recordKey}). */
export const rowKey = (modelScope: "account" | "global", row: Row): string =>
  recordKey(modelScope === "global" ? null : String(row["accountId"]), String(row["id"]))

/** The key of a record in {@link OverlayLayer.changes}: its model and record key ({@link recordKey}). */
export const changeKey = (model: string, key: string): string => `${model}\u0000${key}`

/** The key of a change's record in {@link OverlayLayer.changes}. */
export const changeKeyOf = (change: Change): string => changeKey(change.model, recordKey(change.accountId, change.id))

/**
 * The value of `map` at `key`, made with `make` and stored first when absent (the per-model and
 * per-index maps of a layer).
 */
export const getOrInsert = <K, V>(map: Map<K, V>, key: K, make: () => V): V => {
  const found = map.get(key)
  if (found !== undefined) return found
  const made = make()
  map.set(key, made)
  return made
}

/** A model's map of rows in a layer (made when absent). */
export const layerRows = <E>(layer: OverlayLayer<E>, model: string): Map<string, E> => getOrInsert(layer.rows, model, () => new Map<string, E>())

/** A unique index's map of keys in a layer (made when absent). */
export const layerKeys = <E>(layer: OverlayLayer<E>, model: string, index: string): Map<string, string | null> =>
  getOrInsert(
    getOrInsert(layer.uniques, model, () => new Map<string, Map<string, string | null>>()),
    index,
    () => new Map<string, string | null>()
  )

/** Whether a row is visible to a scope: a global model's always, an account model's in its account (or to every account's scope). */
export const inScope = (modelScope: "account" | "global", scope: StoreScope, row: Row): boolean =>
  modelScope === "global" || scope.allAccounts === true || row["accountId"] === scope.accountId

/** The topmost entry of a record (by {@link recordKey}) in the layers, or undefined when no layer wrote it. */
export const find = <E>(layer: OverlayLayer<E> | undefined, model: string, key: string): E | undefined => {
  for (let l = layer; l !== undefined; l = l.below) {
    const entry = l.rows.get(model)?.get(key)
    if (entry !== undefined) return entry
  }
  return undefined
}

/**
 * Who holds a unique key according to the layers: a record key, `null` when a layer freed the key, or
 * undefined when no layer touched it (the committed data tells).
 */
export const holderOf = <E>(layer: OverlayLayer<E> | undefined, model: string, index: string, key: string): string | null | undefined => {
  for (let l = layer; l !== undefined; l = l.below) {
    const holder = l.uniques.get(model)?.get(index)?.get(key)
    if (holder !== undefined) return holder
  }
  return undefined
}

const NONE: ReadonlyMap<string, never> = new Map<string, never>()

/**
 * Every record the layers hold for a model (by record key), each at its topmost state: the topmost layer's in its
 * order, then the records only lower layers hold. When a single layer wrote the model, this is
 * that layer's own map: read it, never change it.
 */
export const touched = <E>(layer: OverlayLayer<E> | undefined, model: string): ReadonlyMap<string, E> => {
  let top: Map<string, E> | undefined
  let merged: Map<string, E> | undefined
  for (let l = layer; l !== undefined; l = l.below) {
    const rows = l.rows.get(model)
    if (rows === undefined || rows.size === 0) continue
    if (top === undefined) {
      top = rows
      continue
    }
    merged ??= new Map(top)
    for (const [key, entry] of rows) if (!merged.has(key)) merged.set(key, entry)
  }
  return merged ?? top ?? NONE
}

/**
 * Folds a savepoint's layer into the one below it (the savepoint is released): its records,
 * unique keys and changes replace those below, and the counter below moves on to its own.
 */
export const foldLayer = <E, C extends SeqCounter>(layer: OverlayLayer<E, C>, below: OverlayLayer<E, C>): void => {
  for (const [model, rows] of layer.rows) {
    const target = layerRows(below, model)
    for (const [key, entry] of rows) target.set(key, entry)
  }
  for (const [model, byIndex] of layer.uniques) {
    for (const [index, keys] of byIndex) {
      const target = layerKeys(below, model, index)
      for (const [key, id] of keys) target.set(key, id)
    }
  }
  for (const [key, change] of layer.changes) below.changes.set(key, change)
  below.counter.seq = layer.counter.seq
}

/** The changes of the layers, the topmost of each record winning, by {@link changeKey}. */
export const layeredChanges = <E>(layer: OverlayLayer<E> | undefined): Map<string, Change> => {
  const stack: Array<OverlayLayer<E>> = []
  for (let l = layer; l !== undefined; l = l.below) stack.push(l)
  const out = new Map<string, Change>()
  for (let i = stack.length - 1; i >= 0; i--) for (const [key, change] of stack[i]?.changes ?? []) out.set(key, change)
  return out
}

/**
 * The first `limit` changes after sequence `after` of an account and of the global catalogues,
 * in sequence order: the committed ones (`committed`, any number of lists) whose record the
 * layers did not change, and the layers' own (see {@link layeredChanges}).
 */
export const mergeChanges = (
  committed: ReadonlyArray<Iterable<Change>>,
  layered: ReadonlyMap<string, Change>,
  accountId: string,
  after: number,
  limit: number
): Array<Change> => {
  const wanted = (change: Change) => change.seq > after && (change.accountId === accountId || change.accountId === null)
  const out: Array<Change> = []
  for (const changes of committed) {
    for (const change of changes) {
      if (wanted(change) && (layered.size === 0 || !layered.has(changeKeyOf(change)))) out.push(change)
    }
  }
  for (const change of layered.values()) if (wanted(change)) out.push(change)
  out.sort((a, b) => a.seq - b.seq)
  return out.slice(0, limit)
}
