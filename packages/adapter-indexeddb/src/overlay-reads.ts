/**
 * Reads through the overlay: committed data read by the planner (`plan.ts`) in read-only
 * IndexedDB transactions, merged, inside a unit of work, with the rows its overlay wrote (which
 * replace, add or remove committed ones). Outside a unit of work, reads see committed data only.
 * @module
 */
import { compareRows, type Condition, isAfter, matchesAll, project, type Row, type StorageError, type StoreScope } from "@iaso/core/store"
import { find, inScope, recordKey, rowKey, touched, writeAccount } from "@iaso/core/overlay"
import { Effect } from "effect"
import type { Connection } from "./connection.ts"
import { io } from "./idb.ts"
import type { TxLayer } from "./overlay-entries.ts"
import { makeReader, type ReadQuery, type ReadScope } from "./plan.ts"
import { storeKey, type TableInfo } from "./schema.ts"

/** Which committed records of `t` a read in `scope` may see. */
export const readScope = (t: TableInfo, scope: StoreScope): ReadScope =>
  t.scope === "global" || scope.allAccounts === true ? { _tag: "All" } : { _tag: "Account", accountId: scope.accountId ?? "" }

/** The reads of a store, through the overlay of the current unit of work. */
export interface OverlayReads {
  /** The rows of a query, in its order, from its keyset position, up to its limit, projected on `select`. */
  readonly readRows: (
    t: TableInfo,
    scope: StoreScope,
    query: ReadQuery & { readonly select?: ReadonlyArray<string> }
  ) => Effect.Effect<ReadonlyArray<Row>, StorageError>
  /** The rows with these ids in scope (the unit of work's own writes first), in no particular order. */
  readonly rowsById: (t: TableInfo, scope: StoreScope, ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Row>, StorageError>
  /** The number of rows in scope matching `where`. */
  readonly countRows: (t: TableInfo, scope: StoreScope, where: ReadonlyArray<Condition>) => Effect.Effect<number, StorageError>
}

/** Makes the reads of a store on `connection`, through the layer `currentLayer` gives. */
export const makeOverlayReads = (connection: Connection, currentLayer: Effect.Effect<TxLayer | undefined>): OverlayReads => {
  const reader = makeReader(connection.env, connection.database)

  const readRows = (t: TableInfo, scope: StoreScope, query: ReadQuery & { readonly select?: ReadonlyArray<string> }) =>
    Effect.gen(function* () {
      const layer = yield* currentLayer
      const overlay = touched(layer, t.name)
      const rscope = readScope(t, scope)
      if (overlay.size === 0) {
        const rows = yield* io(`reading ${t.name}`, () => reader.rows(t, rscope, query))
        return query.select === undefined ? rows : rows.map((row) => project(row, query.select))
      }
      // Committed rows, with room for the ones the overlay replaces, merged with the overlay's.
      const widened: ReadQuery = query.limit === undefined ? query : { ...query, limit: query.limit + overlay.size }
      const rows = yield* io(`reading ${t.name}`, () => reader.rows(t, rscope, widened))
      const merged: Array<Row> = rows.filter((row) => !overlay.has(rowKey(t.scope, row)))
      for (const entry of overlay.values()) {
        const row = entry.rec?.r
        if (row === undefined || !inScope(t.scope, scope, row) || !matchesAll(row, query.where, "utf16")) continue
        if (query.after !== undefined && !isAfter(row, query.orderBy, query.after, "utf16")) continue
        merged.push(row)
      }
      merged.sort((a, b) => compareRows(a, b, query.orderBy, "utf16"))
      const limited = query.limit === undefined ? merged : merged.slice(0, query.limit)
      return query.select === undefined ? limited : limited.map((row) => project(row, query.select))
    })

  /**
   * The rows with these ids in scope (the unit of work's own writes first), in no particular
   * order. Every account's rows (host-level reads) are a query: each account may hold the id.
   */
  const rowsById = (t: TableInfo, scope: StoreScope, ids: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Row>, StorageError> => {
    // Ids are text: anything else (not a valid key) is simply not stored.
    const wanted = [...new Set(ids)].filter((id) => typeof id === "string")
    if (wanted.length === 0) return Effect.succeed([])
    if (t.scope === "account" && scope.allAccounts === true) return readRows(t, scope, { where: [{ field: "id", op: "in", value: wanted }], orderBy: [] })
    const accountId = writeAccount(t.scope, scope)
    return Effect.gen(function* () {
      const layer = yield* currentLayer
      const out: Array<Row> = []
      const missing: Array<IDBValidKey> = []
      for (const id of wanted) {
        const entry = find(layer, t.name, recordKey(accountId, id))
        if (entry === undefined) missing.push(storeKey(t, accountId, id))
        else if (entry.rec !== null && inScope(t.scope, scope, entry.rec.r)) out.push(entry.rec.r)
      }
      if (missing.length > 0) {
        const found = yield* io(`reading ${t.name}`, () => reader.records(t.name, missing))
        for (const record of found) if (inScope(t.scope, scope, record.r)) out.push(record.r)
      }
      return out
    })
  }

  const countRows = (t: TableInfo, scope: StoreScope, where: ReadonlyArray<Condition>) =>
    Effect.gen(function* () {
      const layer = yield* currentLayer
      const overlay = touched(layer, t.name)
      const base = yield* io(`counting ${t.name}`, () => reader.count(t, readScope(t, scope), where))
      if (overlay.size === 0) return base
      const replaced = [...overlay.values()].filter((entry) => !entry.fresh).map((entry) => entry.key)
      const before = yield* io(`reading ${t.name}`, () => reader.records(t.name, replaced))
      let n = base
      for (const record of before) if (inScope(t.scope, scope, record.r) && matchesAll(record.r, where, "utf16")) n--
      for (const entry of overlay.values()) {
        const row = entry.rec?.r
        if (row !== undefined && inScope(t.scope, scope, row) && matchesAll(row, where, "utf16")) n++
      }
      return n
    })

  return { readRows, rowsById, countRows }
}
