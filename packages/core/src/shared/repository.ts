/**
 * Repositories: what core derives from the store port for every model. Decoding and encoding
 * (`record-codec.ts`), reads: lookups, paging with stable cursors, subtrees, counts and the change
 * feed (`reads.ts`), writes: insert with a new id, update with an optimistic version check, delete
 * with IASO's on-delete rules, referential integrity within the account, bulk writes with per-item
 * results or all or nothing (`writes.ts`).
 *
 * Repositories apply no permission: the kernel does (see `Records` and the domain services). They
 * are exported for the conformance suite and for services.
 * @module
 */
import type { AnyModel } from "./model.ts"
import { makeReads } from "./reads.ts"
import type { StoreDriver } from "./store.ts"
import { makeWrites } from "./writes.ts"

export { codecOf, type ModelCodec } from "./record-codec.ts"
export {
  allPages,
  type ChangesPage,
  chunksOf,
  compileWhere,
  eachItem,
  type FieldCondition,
  findIn,
  IN_CHUNK,
  listAll,
  type Listed,
  type ListOptions,
  type NoListOptions,
  PAGE_SIZE,
  type PageOptions,
  type ResultPage,
  scopeOf,
  type WholeSetOptions
} from "./reads.ts"
export { applyPatch, type BulkItem, type BulkResult, type CreateInput, type Patch, reverseReferences, type WriteError, type WriteOptions } from "./writes.ts"

/**
 * The repositories of a store: generic operations on any declared model. `models` is the full list
 * of models (needed for on-delete rules and reference checks).
 */
export const makeRepositories = (driver: StoreDriver, models: ReadonlyArray<AnyModel>) => {
  const reads = makeReads(driver)
  const writes = makeWrites(driver, models, reads.get)
  return { driver, ...reads, ...writes }
}

/** The repositories of a store. */
export type Repositories = ReturnType<typeof makeRepositories>
