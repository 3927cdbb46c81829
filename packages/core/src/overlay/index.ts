/**
 * `@iaso/core/overlay`: the copy-on-write overlay of a unit of work, for stores that apply the
 * port's writes themselves instead of handing them to a database that checks them (the memory
 * store and IndexedDB use it; SQL adapters do not need it).
 *
 * A unit of work (`transaction`) writes into a layer over the committed data; a nested one (a
 * savepoint) into a layer over its parent's, folded into it when it succeeds. The overlay decides
 * each write's outcome as the port defines it (`Written`, `Missing`, `StaleVersion`, `Duplicate`,
 * unique and conditional unique keys included), keeps the unit of work's change feed, and merges
 * it with the committed feed. The store keeps its committed data, reads it, serialises units of
 * work and commits the outermost layer.
 *
 * ```ts
 * // A store whose savepoints give their sequences back when rolled back:
 * const units = unitsOfWork<MyEntry, SeqCounter>((below) => ({ seq: below.seq }))
 * const transaction = units.transaction((effect) =>
 *   serialised(Effect.suspend(() => {            // the store's outermost unit of work
 *     const layer = newLayer<MyEntry, SeqCounter>(undefined, { seq: committedSeq })
 *     return units.within(layer, effect).pipe(Effect.tap(() => commit(layer)))
 *   })))
 * const write = (model, scope, ops) =>
 *   units.writing(transaction, (layer) =>
 *     Effect.sync(() => ops.map((op) => applyWrite(layer, model, entries, committedData, scope, op))))
 * ```
 * @module @iaso/core/overlay
 */
export {
  changeKey,
  changeKeyOf,
  find,
  foldLayer,
  getOrInsert,
  holderOf,
  inScope,
  layeredChanges,
  mergeChanges,
  newLayer,
  type OverlayLayer,
  recordKey,
  rowKey,
  type SeqCounter,
  touched,
  writeAccount
} from "./layers.ts"
export { type Transaction, type UnitsOfWork, unitsOfWork } from "./units.ts"
export {
  applyWrite,
  type CommittedData,
  type OverlayEntries,
  type OverlayModel,
  put,
  rewritePaths,
  type UniqueIndex,
  uniqueIndexes
} from "./writes.ts"
