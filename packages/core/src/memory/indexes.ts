/**
 * The indexes of the memory store's committed data, derived from each model's declarations:
 *
 * - rows of an account-scoped table are partitioned by `accountId`, so a scoped read only ever
 *   touches that account's rows;
 * - every column named in a declared index ({@link IndexDecl}, applied by `createIndex` /
 *   `dropIndex` migration steps) gets an equality index per partition (value -> ids), so a query
 *   with `eq` / `in` on such a column reads its candidate ids instead of scanning (a compound
 *   index indexes each of its columns: the memory store can then use any of them, not only the
 *   leading one; `accountId` is the partition itself). A partition builds a column's equality
 *   index the first time a lookup can use it, then maintains it on every write, so columns
 *   declared for other purposes (bounding boxes for range queries, search keys) cost nothing;
 * - the materialised path of a hierarchical model gets an ordered index per partition, so a
 *   subtree (`startsWith`) is a range read.
 *
 * Indexes only choose candidates: callers still evaluate every condition, the order, the keyset
 * position and the limit on the candidates with `engine.ts`, exactly as a full scan would, so an
 * index can never change a result. A candidate set is a superset of the matching rows of the
 * scope, and yields each row once.
 *
 * Only committed data is indexed. Transaction layers are small and are merged in by the store
 * (see `memory-store.ts`); folding a layer into the committed data updates the indexes, a
 * rollback never touches them.
 * @module
 */
import type { IndexDecl, Row } from "../shared/model.ts"
import { type Condition, disjointPrefixes, type Scalar } from "../shared/query.ts"
import type { StoreScope } from "../shared/store.ts"

/** A committed (or layered) row with its id and its change sequence. */
export interface Entry {
  readonly id: string
  readonly row: Row
  readonly seq: number
}

// --- equality postings -----------------------------------------------------------------------------

/** Whether a stored value can be found by an equality index: a scalar other than NaN. */
const indexable = (value: unknown): value is Scalar =>
  typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && !Number.isNaN(value))

/**
 * An equality index on one column: value -> ids holding it. A value held by a single row keeps
 * its id as a plain string (most columns of a large table are nearly unique), otherwise a set.
 *
 * Map keys compare with SameValueZero, which is the equality of `eq` / `in` in `engine.ts` for
 * strings (code-point comparison is 0 only for identical strings), booleans and numbers (0 and
 * -0 are equal in both) once NaN is set aside: a NaN compares "equal" to every number in
 * `compareScalars`, so rows holding NaN are kept apart in {@link Postings.unordered} and are
 * candidates of every lookup. Absent values and non-scalars (JSON) never satisfy `eq` / `in` and
 * are not indexed.
 */
export class Postings {
  private readonly byValue = new Map<Scalar, string | Set<string>>()
  /** Ids of rows whose value is NaN. */
  private readonly unordered = new Set<string>()

  /** Records that row `id` holds `value` in this column. */
  add(value: unknown, id: string): void {
    if (!indexable(value)) {
      if (typeof value === "number") this.unordered.add(id)
      return
    }
    const held = this.byValue.get(value)
    if (held === undefined) this.byValue.set(value, id)
    else if (typeof held === "string") {
      if (held !== id) this.byValue.set(value, new Set([held, id]))
    } else held.add(id)
  }

  /** Forgets that row `id` holds `value` in this column. */
  remove(value: unknown, id: string): void {
    if (!indexable(value)) {
      if (typeof value === "number") this.unordered.delete(id)
      return
    }
    const held = this.byValue.get(value)
    if (held === undefined) return
    if (typeof held === "string") {
      if (held === id) this.byValue.delete(value)
      return
    }
    held.delete(id)
    if (held.size === 1) {
      const [only] = held
      if (only !== undefined) this.byValue.set(value, only)
    } else if (held.size === 0) this.byValue.delete(value)
  }

  /** How many ids a lookup of these (distinct) values returns. */
  count(values: ReadonlyArray<Scalar>): number {
    let n = this.unordered.size
    for (const value of values) {
      const held = this.byValue.get(value)
      n += held === undefined ? 0 : typeof held === "string" ? 1 : held.size
    }
    return n
  }

  /** Appends to `out` the ids of rows that may hold one of these (distinct) values, each once. */
  collect(values: ReadonlyArray<Scalar>, out: Array<string>): void {
    for (const value of values) {
      const held = this.byValue.get(value)
      if (held === undefined) continue
      if (typeof held === "string") out.push(held)
      else for (const id of held) out.push(id)
    }
    for (const id of this.unordered) out.push(id)
  }
}

// --- ordered path index ----------------------------------------------------------------------------

interface PathKey {
  readonly path: string
  readonly id: string
}

/** Orders keys by path, then id, by UTF-16 code unit (a prefix range is contiguous in that order). */
const comparePathKeys = (a: PathKey, b: PathKey): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** Chunks are split above this many keys, and merged with a neighbour when both fit in half of it. */
const CHUNK = 512

/** A position in a {@link PathIndex}: chunk number and offset within it. */
interface Position {
  readonly chunk: number
  readonly offset: number
}

/**
 * The ordered index of a hierarchy's materialised paths: a sorted list of `(path, id)` keys kept
 * as a list of sorted chunks of at most {@link CHUNK} keys (a flat B-tree of height two), so an
 * insert or a removal costs a binary search and a short splice, and a subtree is a binary search
 * and a contiguous walk. Keys are ordered by UTF-16 code unit: all paths starting with a prefix
 * are contiguous in that order (whatever order the query asks for is applied afterwards).
 */
export class PathIndex {
  private chunks: Array<Array<PathKey>> = []
  private total = 0

  /** Number of keys. */
  get size(): number {
    return this.total
  }

  /** Replaces the content with these keys (any order). */
  load(keys: ReadonlyArray<PathKey>): void {
    const sorted = [...keys].sort(comparePathKeys)
    this.chunks = []
    for (let i = 0; i < sorted.length; i += CHUNK / 2) this.chunks.push(sorted.slice(i, i + CHUNK / 2))
    this.total = sorted.length
  }

  /** The first position whose key does not satisfy `before` (which holds on a prefix of the order). */
  private bound(before: (key: PathKey) => boolean): Position {
    let lo = 0
    let hi = this.chunks.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const chunk = this.chunks[mid] ?? []
      const last = chunk[chunk.length - 1]
      if (last !== undefined && before(last)) lo = mid + 1
      else hi = mid
    }
    const chunk = this.chunks[lo]
    if (chunk === undefined) return { chunk: lo, offset: 0 }
    let a = 0
    let b = chunk.length
    while (a < b) {
      const mid = (a + b) >>> 1
      const key = chunk[mid]
      if (key !== undefined && before(key)) a = mid + 1
      else b = mid
    }
    return { chunk: lo, offset: a }
  }

  /** The position of `key`, or where it would be inserted (like {@link bound}, without a closure). */
  private seek(key: PathKey): Position {
    let lo = 0
    let hi = this.chunks.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const chunk = this.chunks[mid] ?? []
      const last = chunk[chunk.length - 1]
      if (last !== undefined && comparePathKeys(last, key) < 0) lo = mid + 1
      else hi = mid
    }
    const chunk = this.chunks[lo]
    if (chunk === undefined) return { chunk: lo, offset: 0 }
    let a = 0
    let b = chunk.length
    while (a < b) {
      const mid = (a + b) >>> 1
      const found = chunk[mid]
      if (found !== undefined && comparePathKeys(found, key) < 0) a = mid + 1
      else b = mid
    }
    return { chunk: lo, offset: a }
  }

  /** Adds a key (a key already present is not added twice). */
  insert(path: string, id: string): void {
    const key: PathKey = { path, id }
    if (this.chunks.length === 0) {
      this.chunks.push([key])
      this.total = 1
      return
    }
    let { chunk: c, offset } = this.seek(key)
    if (c === this.chunks.length) {
      // After every key: append to the last chunk.
      c -= 1
      offset = this.chunks[c]?.length ?? 0
    }
    const chunk = this.chunks[c]
    if (chunk === undefined) return
    const found = chunk[offset]
    if (found !== undefined && comparePathKeys(found, key) === 0) return
    chunk.splice(offset, 0, key)
    this.total += 1
    if (chunk.length > CHUNK) this.chunks.splice(c, 1, chunk.slice(0, CHUNK / 2), chunk.slice(CHUNK / 2))
  }

  /** Removes a key, if present. */
  remove(path: string, id: string): void {
    const key: PathKey = { path, id }
    const { chunk: c, offset } = this.seek(key)
    const chunk = this.chunks[c]
    const found = chunk?.[offset]
    if (chunk === undefined || found === undefined || comparePathKeys(found, key) !== 0) return
    chunk.splice(offset, 1)
    this.total -= 1
    if (chunk.length === 0) {
      this.chunks.splice(c, 1)
      return
    }
    const next = this.chunks[c + 1]
    if (next !== undefined && chunk.length + next.length <= CHUNK / 2) this.chunks.splice(c, 2, chunk.concat(next))
  }

  /** Where the keys whose path starts with `prefix` begin and end. */
  private prefixRange(prefix: string): readonly [Position, Position] {
    const start = this.bound((k) => k.path < prefix)
    const end = this.bound((k) => k.path < prefix || k.path.startsWith(prefix))
    return [start, end]
  }

  /** Where the keys whose path is exactly `path` begin and end. */
  private exactRange(path: string): readonly [Position, Position] {
    return [this.bound((k) => k.path < path), this.bound((k) => k.path <= path)]
  }

  private countBetween(start: Position, end: Position): number {
    if (start.chunk === end.chunk) return end.offset - start.offset
    let n = (this.chunks[start.chunk]?.length ?? 0) - start.offset
    for (let c = start.chunk + 1; c < end.chunk; c++) n += this.chunks[c]?.length ?? 0
    return n + end.offset
  }

  private collectBetween(start: Position, end: Position, out: Array<string>): void {
    for (let c = start.chunk; c <= end.chunk && c < this.chunks.length; c++) {
      const chunk = this.chunks[c] ?? []
      const to = c === end.chunk ? end.offset : chunk.length
      for (let i = c === start.chunk ? start.offset : 0; i < to; i++) {
        const key = chunk[i]
        if (key !== undefined) out.push(key.id)
      }
    }
  }

  /** How many paths start with `prefix` (or equal `prefix` when `exact`). */
  count(prefix: string, exact: boolean): number {
    const [start, end] = exact ? this.exactRange(prefix) : this.prefixRange(prefix)
    return this.countBetween(start, end)
  }

  /** Appends to `out` the ids of rows whose path starts with `prefix` (or equals it when `exact`), in path order. */
  collect(prefix: string, exact: boolean, out: Array<string>): void {
    const [start, end] = exact ? this.exactRange(prefix) : this.prefixRange(prefix)
    this.collectBetween(start, end, out)
  }
}

// --- partitions and tables -------------------------------------------------------------------------

/** Which columns a table indexes, from its declarations. */
export interface IndexPlan {
  /** Columns with an equality index. */
  readonly fields: ReadonlyArray<string>
  /** The hierarchy's path column (ordered index), if the model is hierarchical. */
  readonly path: string | undefined
}

/**
 * The index plan of a table: every column named in a declared index, except `id` (the primary
 * map), `accountId` in an account-scoped table (the partition) and the hierarchy path (its own
 * ordered index, built for every hierarchical model).
 */
export const planIndexes = (scope: "account" | "global", path: string | undefined, decls: ReadonlyArray<IndexDecl>): IndexPlan => {
  const fields = new Set<string>()
  for (const decl of decls) {
    for (const field of decl.fields) {
      if (field === "id" || field === path || (scope === "account" && field === "accountId")) continue
      fields.add(field)
    }
  }
  return { fields: [...fields], path }
}

/** A lookup an index can answer. */
type Access =
  | { readonly kind: "ids"; readonly ids: ReadonlyArray<string> }
  | { readonly kind: "postings"; readonly postings: Postings; readonly values: ReadonlyArray<Scalar> }
  | { readonly kind: "paths"; readonly prefixes: ReadonlyArray<string>; readonly exact: boolean; readonly condition: Condition }

/** What the indexes give for a list of conditions. */
export interface Selection {
  /** Committed entries of the scope that may satisfy every condition (a superset of those that do), each once. */
  readonly entries: Iterable<Entry>
  /**
   * One of the conditions that every entry is known to satisfy because an index answered it
   * exactly (a path range), so that callers need not test it again on these entries.
   */
  readonly answered: Condition | undefined
}

const EMPTY: Selection = { entries: [], answered: undefined }

/** Distinct values of an `eq` / `in` condition, or undefined when one of them defeats an index (NaN). */
const lookupValues = (condition: Condition): ReadonlyArray<Scalar> | undefined => {
  const values = condition.op === "eq" ? [condition.value] : condition.op === "in" ? condition.value : undefined
  if (values === undefined) return undefined
  for (const value of values) if (typeof value === "number" && Number.isNaN(value)) return undefined
  return [...new Set(values)]
}

/** One account's rows of a table (or all rows of a global table), with their indexes. */
class Partition {
  readonly rows = new Map<string, Entry>()
  /** The equality index of each planned column; `null` until a lookup first needs it. */
  private readonly postings = new Map<string, Postings | null>()
  /** The built equality indexes and their columns, as arrays (maintained on every write). */
  private fields: Array<string> = []
  private lists: Array<Postings> = []
  private paths: PathIndex | undefined

  constructor(plan: IndexPlan) {
    this.replan(plan)
  }

  /** Adopts a new plan: drops the equality indexes it no longer has (those it adds are built on first use). */
  replan(plan: IndexPlan): void {
    const wanted = new Set(plan.fields)
    for (const field of [...this.postings.keys()]) if (!wanted.has(field)) this.postings.delete(field)
    for (const field of plan.fields) if (!this.postings.has(field)) this.postings.set(field, null)
    this.listBuilt()
    if (plan.path === undefined) this.paths = undefined
    else if (this.paths === undefined) {
      const keys: Array<PathKey> = []
      for (const entry of this.rows.values()) {
        const path = entry.row[plan.path]
        if (typeof path === "string") keys.push({ path, id: entry.id })
      }
      this.paths = new PathIndex()
      this.paths.load(keys)
    }
  }

  private listBuilt(): void {
    this.fields = []
    this.lists = []
    for (const [field, postings] of this.postings) {
      if (postings === null) continue
      this.fields.push(field)
      this.lists.push(postings)
    }
  }

  /**
   * The equality index of a planned column, built from the partition's rows on first use: a
   * column nobody looks up by equality (a bounding-box column indexed for range queries
   * elsewhere, a search key) then costs nothing on writes.
   */
  private postingsOf(field: string): Postings | undefined {
    const postings = this.postings.get(field)
    if (postings !== null) return postings
    const built = new Postings()
    for (const entry of this.rows.values()) built.add(entry.row[field], entry.id)
    this.postings.set(field, built)
    this.listBuilt()
    return built
  }

  /** Stores a row's new state (`previous` is its state in this partition, if it was here). */
  set(plan: IndexPlan, entry: Entry, previous: Entry | undefined): void {
    this.rows.set(entry.id, entry)
    const row = entry.row
    for (let i = 0; i < this.fields.length; i++) {
      const field = this.fields[i] ?? ""
      const postings = this.lists[i]
      if (postings === undefined) continue
      const after = row[field]
      if (previous === undefined) {
        postings.add(after, entry.id)
        continue
      }
      const before = previous.row[field]
      if (Object.is(before, after)) continue
      postings.remove(before, entry.id)
      postings.add(after, entry.id)
    }
    if (this.paths !== undefined && plan.path !== undefined) {
      const before = previous?.row[plan.path]
      const after = entry.row[plan.path]
      if (previous !== undefined && before === after) return
      if (typeof before === "string") this.paths.remove(before, entry.id)
      if (typeof after === "string") this.paths.insert(after, entry.id)
    }
  }

  /** Removes a row. */
  delete(plan: IndexPlan, previous: Entry): void {
    this.rows.delete(previous.id)
    for (let i = 0; i < this.fields.length; i++) this.lists[i]?.remove(previous.row[this.fields[i] ?? ""], previous.id)
    if (this.paths !== undefined && plan.path !== undefined) {
      const path = previous.row[plan.path]
      if (typeof path === "string") this.paths.remove(path, previous.id)
    }
  }

  /** The cheapest index lookup for these conditions and its size, or undefined (scan every row). */
  private choose(plan: IndexPlan, where: ReadonlyArray<Condition>): { readonly access: Access; readonly cost: number } | undefined {
    let best: { access: Access; cost: number } | undefined
    const consider = (access: Access, cost: number) => {
      if (best === undefined || cost < best.cost) best = { access, cost }
    }
    for (const condition of where) {
      if (condition.field === "id") {
        const values = lookupValues(condition)
        if (values === undefined) continue
        // Rows are keyed by their id as text; the conditions are applied to the candidates afterwards.
        const ids = [...new Set(values.map(String))]
        consider({ kind: "ids", ids }, ids.length)
        continue
      }
      if (condition.field === plan.path && this.paths !== undefined) {
        const paths = this.paths
        let prefixes: ReadonlyArray<string> | undefined
        let exact = false
        if (condition.op === "startsWith") prefixes = [condition.value]
        else if (condition.op === "startsWithAny") prefixes = disjointPrefixes(condition.value)
        else {
          const values = lookupValues(condition)
          // Only text paths are indexed; an `eq`/`in` with another type is left to a scan.
          if (values?.every((value) => typeof value === "string")) {
            prefixes = values.map(String)
            exact = true
          }
        }
        if (prefixes !== undefined) {
          consider(
            { kind: "paths", prefixes, exact, condition },
            prefixes.reduce((n, prefix) => n + paths.count(prefix, exact), 0)
          )
        }
        continue
      }
      if (!this.postings.has(condition.field)) continue
      const values = lookupValues(condition)
      if (values === undefined) continue
      const postings = this.postingsOf(condition.field)
      if (postings === undefined) continue
      consider({ kind: "postings", postings, values }, postings.count(values))
    }
    return best
  }

  /** The entries that may satisfy every condition, through the cheapest index (or every row). */
  select(plan: IndexPlan, where: ReadonlyArray<Condition>): Selection {
    const chosen = this.choose(plan, where)
    if (chosen === undefined || chosen.cost >= this.rows.size) return { entries: this.rows.values(), answered: undefined }
    const access = chosen.access
    let ids: ReadonlyArray<string>
    if (access.kind === "ids") ids = access.ids
    else {
      const out: Array<string> = []
      if (access.kind === "postings") access.postings.collect(access.values, out)
      else if (this.paths !== undefined) for (const prefix of access.prefixes) this.paths.collect(prefix, access.exact, out)
      ids = out
    }
    const entries: Array<Entry> = []
    for (const id of ids) {
      const entry = this.rows.get(id)
      if (entry !== undefined) entries.push(entry)
    }
    // Path ranges hold exactly the rows satisfying their condition (only text paths are indexed).
    return { entries, answered: access.kind === "paths" ? access.condition : undefined }
  }
}

/**
 * The committed rows of one table with their indexes: every row by record key (`recordKey` of
 * `../overlay/`: its account and id, as two accounts may hold the same id), and the partitions
 * (one per account for an account-scoped table, a single one for a global table).
 */
export class IndexedTable {
  /** Every committed row, by record key. */
  readonly rows = new Map<string, Entry>()
  private readonly partitions = new Map<unknown, Partition>()
  private plan: IndexPlan
  /** Whether rows are partitioned by account. */
  readonly scope: "account" | "global"
  /** The hierarchy's path column, if the model is hierarchical. */
  readonly pathField: string | undefined

  constructor(scope: "account" | "global", pathField: string | undefined) {
    this.scope = scope
    this.pathField = pathField
    this.plan = planIndexes(scope, pathField, [])
  }

  /** Derives the indexes from the table's declared indexes (after `createIndex` / `dropIndex`). */
  declare(decls: ReadonlyArray<IndexDecl>): void {
    this.plan = planIndexes(this.scope, this.pathField, decls)
    for (const partition of this.partitions.values()) partition.replan(this.plan)
  }

  /** The partition key of a row: its account for an account-scoped table. */
  private keyOf(row: Row): unknown {
    return this.scope === "global" ? null : row["accountId"]
  }

  /** Commits the final state of the row of record key `key` (`null`: deleted), updating every index. */
  set(key: string, entry: Entry | null): void {
    const previous = this.rows.get(key)
    const before = previous === undefined ? undefined : this.keyOf(previous.row)
    const after = entry === null ? undefined : this.keyOf(entry.row)
    // A row leaves its partition when deleted (or, defensively, when its account changed).
    const leaves = previous !== undefined && (entry === null || before !== after)
    if (leaves) {
      const from = this.partitions.get(before)
      if (from !== undefined) {
        from.delete(this.plan, previous)
        if (from.rows.size === 0) this.partitions.delete(before)
      }
    }
    if (entry === null) {
      this.rows.delete(key)
      return
    }
    this.rows.set(key, entry)
    let to = this.partitions.get(after)
    if (to === undefined) {
      to = new Partition(this.plan)
      this.partitions.set(after, to)
    }
    to.set(this.plan, entry, leaves ? undefined : previous)
  }

  /**
   * Committed entries of the scope that may satisfy every condition of `where`: a superset of
   * those that do, each once, in no particular order. Callers filter them with `matchesAll`
   * (they may leave out the `answered` condition).
   */
  select(scope: StoreScope, where: ReadonlyArray<Condition>): Selection {
    if (this.scope === "global" || scope.allAccounts === true) {
      const [first] = this.partitions.values()
      if (this.partitions.size === 1 && first !== undefined) return first.select(this.plan, where)
      const entries: Array<Entry> = []
      for (const partition of this.partitions.values()) for (const entry of partition.select(this.plan, where).entries) entries.push(entry)
      return { entries, answered: undefined }
    }
    const partition = this.partitions.get(scope.accountId)
    return partition === undefined ? EMPTY : partition.select(this.plan, where)
  }
}
