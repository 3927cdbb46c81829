/**
 * Query planning over IndexedDB: every query of the closed description is answered from an index
 * and key ranges where one fits, and only otherwise by the account's rows (the `[accountId, id]`
 * range), then refined with the reference semantics of `engine.ts` in UTF-16 order.
 *
 * A plan picks, in order of preference:
 * - the primary key, for `id eq` / `id in` (but for every account's rows of a store keyed by
 *   account, where each account may hold the id);
 * - a declared index `[accountId, f1, f2, ...]`: equality (or a short `in` list, expanded into one
 *   key range per value) on a prefix of its fields, then a range on the next field (`lt`, `lte`,
 *   `gt`, `gte`, `startsWith`, `startsWithAny`), e.g. a subtree is `[accountId, prefix] ..
 *   [accountId, prefix')` on the path index; `isNull` on a nullable field is equality with its
 *   absent key (nullable fields are indexed through a key-safe copy, so every row is in every
 *   index);
 * - the `[accountId, id]` range of the account (ordered by id): the primary key of a store keyed by
 *   account, else its `@account` index.
 * When the index walks in the query's order (its remaining fields are the order's fields, in one
 * direction), the read stops after the limit (completing the group of rows tied with the last
 * one), and a keyset position becomes a bound of the range; otherwise the candidate rows are read
 * in full, filtered and sorted.
 * @module
 */
import { compareRows, compareScalars, type Condition, isAfter, matchesAll, type OrderBy, type Row, type Scalar } from "@iaso/core/store"
import { type IdbEnvironment, promised, utf16UpperBound } from "./idb.ts"
import { ABSENT, ACCOUNT_INDEX, type StoredRecord, storeKey, type TableInfo } from "./schema.ts"

/** The reads of a query: conditions, order, keyset position, limit. */
export interface ReadQuery {
  readonly where: ReadonlyArray<Condition>
  readonly orderBy: ReadonlyArray<OrderBy>
  readonly after?: ReadonlyArray<Scalar | null>
  readonly limit?: number
}

/** Whose rows a read may see: one account's, every account's, or a global model's. */
export type ReadScope = { readonly _tag: "Account"; readonly accountId: string } | { readonly _tag: "All" }

interface Bound {
  readonly value: string | number
  readonly open: boolean
}

/** A range on one field: absent bounds are unbounded. */
interface FieldRange {
  readonly lower?: Bound
  readonly upper?: Bound
}

/** A plan over an index (or the primary key order). */
interface RangePlan {
  readonly _tag: "Range"
  /** The index name; `null` for the object store itself. */
  readonly index: string | null
  /** Whether the keys read are plain ids (a store keyed by id); else arrays, the prefix first. */
  readonly plainKeys: boolean
  /** One key prefix per combination of `in` values (account id first for account models). */
  readonly prefixes: ReadonlyArray<ReadonlyArray<string | number>>
  /** Ranges on the first field after the prefix (several for `startsWithAny`); empty: none. */
  readonly ranges: ReadonlyArray<FieldRange>
  /** The index fields after the prefix, then the primary key: the order of a walk. */
  readonly walk: ReadonlyArray<string>
  /** Whether every condition is exactly expressed by the key ranges (so a count needs no rows). */
  readonly covered: boolean
  /** Whether rows of the ranges are in scope without checking. */
  readonly scoped: boolean
}

/** A plan of primary keys (see `storeKey`). */
interface KeysPlan {
  readonly _tag: "Keys"
  readonly keys: ReadonlyArray<IDBValidKey>
}

/** A plan of one computed unique key (host-level reads across accounts). */
interface UniquePlan {
  readonly _tag: "Unique"
  readonly index: string
  readonly key: string
}

type Plan = RangePlan | KeysPlan | UniquePlan

/** Most key ranges one `in` list (or `startsWithAny`) expands into; a longer list is filtered. */
const MAX_EXPANSION = 500

const keyable = (table: TableInfo, field: string, value: unknown): value is string | number => {
  const kind = table.columns.get(field)?.kind
  if (kind === "text") return typeof value === "string"
  if (kind === "integer" || kind === "real") return typeof value === "number" && !Number.isNaN(value)
  return false
}

const tighterLower = (a: Bound | undefined, b: Bound): Bound => {
  if (a === undefined) return b
  const c = compareScalars(a.value, b.value, "utf16")
  return c > 0 ? a : c < 0 ? b : { value: a.value, open: a.open || b.open }
}

const tighterUpper = (a: Bound | undefined, b: Bound): Bound => {
  if (a === undefined) return b
  const c = compareScalars(a.value, b.value, "utf16")
  return c < 0 ? a : c > 0 ? b : { value: a.value, open: a.open || b.open }
}

const intersect = (a: FieldRange, b: FieldRange): FieldRange => {
  const lower = b.lower === undefined ? a.lower : tighterLower(a.lower, b.lower)
  const upper = b.upper === undefined ? a.upper : tighterUpper(a.upper, b.upper)
  return { ...(lower === undefined ? {} : { lower }), ...(upper === undefined ? {} : { upper }) }
}

const prefixRange = (prefix: string): FieldRange => {
  const upper = utf16UpperBound(prefix)
  return { lower: { value: prefix, open: false }, ...(upper === undefined ? {} : { upper: { value: upper, open: true } }) }
}

/** The ranges that conditions on one field allow, and the conditions they express exactly. */
const rangesOn = (
  table: TableInfo,
  field: string,
  where: ReadonlyArray<Condition>
): { readonly ranges: ReadonlyArray<FieldRange>; readonly used: ReadonlyArray<Condition>; readonly exact: boolean } => {
  let range: FieldRange = {}
  const used: Array<Condition> = []
  let many: ReadonlyArray<FieldRange> | undefined
  let exact = true
  for (const condition of where) {
    if (condition.field !== field) continue
    switch (condition.op) {
      case "lt":
      case "lte":
        if (!keyable(table, field, condition.value)) continue
        range = intersect(range, { upper: { value: condition.value, open: condition.op === "lt" } })
        used.push(condition)
        break
      case "gt":
      case "gte":
        if (!keyable(table, field, condition.value)) continue
        range = intersect(range, { lower: { value: condition.value, open: condition.op === "gt" } })
        used.push(condition)
        break
      case "startsWith":
        if (table.columns.get(field)?.kind !== "text") continue
        range = intersect(range, prefixRange(condition.value))
        used.push(condition)
        break
      case "startsWithAny":
        if (table.columns.get(field)?.kind !== "text" || many !== undefined || condition.value.length === 0 || condition.value.length > MAX_EXPANSION) continue
        many = condition.value.map(prefixRange)
        used.push(condition)
        // Overlapping prefixes would count a row twice.
        exact = false
        break
      default:
        break
    }
  }
  if (used.length === 0) return { ranges: [], used, exact: true }
  // A nullable field's absent values are indexed as ABSENT, below every value: a range without
  // a lower bound must not reach them.
  if (table.keyed.has(field) && range.lower === undefined) range = intersect(range, { lower: { value: ABSENT, open: true } })
  return { ranges: many === undefined ? [range] : many.map((r) => intersect(r, range)), used, exact }
}

interface Candidate {
  readonly plan: RangePlan
  readonly score: number
}

/** Whether walking `walk` in one direction gives the query's order, up to ties of its order fields. */
const walkOrder = (walk: ReadonlyArray<string>, orderBy: ReadonlyArray<OrderBy>): "next" | "prev" | undefined => {
  const first = orderBy[0]
  if (first === undefined) return "next"
  const last = orderBy[orderBy.length - 1]
  const fields = last?.field === "id" && orderBy.length > 1 ? orderBy.slice(0, -1) : orderBy
  for (let i = 0; i < fields.length; i++) {
    const order = fields[i]
    if (order === undefined || walk[i] !== order.field || order.direction !== first.direction) return undefined
  }
  return first.direction === "asc" ? "next" : "prev"
}

/** Plans a read of one table. */
export const planRead = (table: TableInfo, scope: ReadScope, query: ReadQuery): Plan => {
  const { where } = query
  const accountId = table.scope === "account" && scope._tag === "Account" ? scope.accountId : undefined
  const byId = table.keyedByAccount && accountId === undefined ? undefined : where.find((c) => c.field === "id" && (c.op === "eq" || c.op === "in"))
  if (byId !== undefined) {
    const key = (id: string) => storeKey(table, accountId ?? null, id)
    if (byId.op === "eq") return { _tag: "Keys", keys: typeof byId.value === "string" ? [key(byId.value)] : [] }
    if (byId.op === "in") return { _tag: "Keys", keys: [...new Set(byId.value.filter((v): v is string => typeof v === "string"))].map(key) }
  }
  if (table.scope === "account" && accountId === undefined) {
    // Every account's rows (host-level reads): a non-partial unique index with every field equal.
    for (const unique of table.uniques) {
      if (unique.decl.where !== undefined && unique.decl.where.length > 0) continue
      const values: Array<unknown> = []
      for (const field of unique.decl.fields) {
        const eq = where.find((c) => c.field === field && c.op === "eq" && keyable(table, field, c.value))
        if (eq === undefined || eq.op !== "eq") break
        values.push(eq.value)
      }
      if (values.length === unique.decl.fields.length) return { _tag: "Unique", index: unique.idbName, key: JSON.stringify(values) }
    }
    // Every record, in the store's key order: by account first when it is keyed by account.
    const walk = table.keyedByAccount ? ["accountId", "id"] : ["id"]
    return { _tag: "Range", index: null, plainKeys: !table.keyedByAccount, prefixes: [[]], ranges: [], walk, covered: where.length === 0, scoped: true }
  }
  const base: ReadonlyArray<string> = accountId === undefined ? [] : [accountId]
  // The account's rows: the store's own key range when it is keyed by account, else `@account`.
  const index = accountId === undefined || table.keyedByAccount ? null : ACCOUNT_INDEX
  const fallback: RangePlan = {
    _tag: "Range",
    index,
    plainKeys: index === null && !table.keyedByAccount,
    prefixes: [base],
    ranges: [],
    walk: ["id"],
    covered: where.length === 0,
    scoped: true
  }
  const candidates: Array<Candidate> = [{ plan: fallback, score: query.limit !== undefined && walkOrder(["id"], query.orderBy) !== undefined ? 1 : 0 }]
  for (const index of table.indexes) {
    if (!index.usable) continue
    let prefixes: Array<ReadonlyArray<string | number>> = [base]
    const consumed: Array<Condition> = []
    let k = 0
    for (const field of index.fields) {
      const eq = where.find((c) => c.field === field && c.op === "eq" && keyable(table, field, c.value))
      if (eq !== undefined && eq.op === "eq" && (typeof eq.value === "string" || typeof eq.value === "number")) {
        const value = eq.value
        prefixes = prefixes.map((p) => [...p, value])
        consumed.push(eq)
        k++
        continue
      }
      const isNull = table.keyed.has(field) ? where.find((c) => c.field === field && c.op === "isNull") : undefined
      if (isNull !== undefined) {
        prefixes = prefixes.map((p) => [...p, ABSENT])
        consumed.push(isNull)
        k++
        continue
      }
      const inList = where.find((c) => c.field === field && c.op === "in" && c.value.length > 0 && c.value.every((v) => keyable(table, field, v)))
      if (inList !== undefined && inList.op === "in") {
        const values: Array<string | number> = []
        for (const value of inList.value) {
          if ((typeof value === "string" || typeof value === "number") && !values.some((v) => compareScalars(v, value, "utf16") === 0)) values.push(value)
        }
        if (prefixes.length * values.length > MAX_EXPANSION) break
        prefixes = prefixes.flatMap((p) => values.map((v) => [...p, v]))
        consumed.push(inList)
        k++
        continue
      }
      break
    }
    const rest = index.fields.slice(k)
    const onNext = rest[0] === undefined ? { ranges: [], used: [], exact: true } : rangesOn(table, rest[0], where)
    if (k === 0 && onNext.ranges.length === 0 && (query.limit === undefined || walkOrder([...rest, "id"], query.orderBy) === undefined)) continue
    const covered = onNext.exact && where.every((c) => consumed.includes(c) || onNext.used.includes(c))
    const ordered = prefixes.length === 1 && onNext.ranges.length <= 1 && query.limit !== undefined && walkOrder([...rest, "id"], query.orderBy) !== undefined
    const score = k * 10 + (onNext.ranges.length > 0 ? 5 : 0) + (ordered ? 3 : 0) - prefixes.length * 0.01 - index.fields.length * 0.001
    candidates.push({
      plan: { _tag: "Range", index: index.idbName, plainKeys: false, prefixes, ranges: onNext.ranges, walk: [...rest, "id"], covered, scoped: true },
      score
    })
  }
  let best = fallback
  let bestScore = -Infinity
  for (const candidate of candidates) {
    if (candidate.score > bestScore) {
      best = candidate.plan
      bestScore = candidate.score
    }
  }
  return best
}

/** How a query is answered: for tests and diagnostics (like SQL's EXPLAIN). */
export interface QueryPlan {
  /**
   * `primary key` (by id, or the account's rows of a store keyed by account), `unique <index>`, an
   * IndexedDB index name (`i:<declared index>`), or `@account` (the account's rows of a store keyed by id).
   */
  readonly source: string
  /** Number of key ranges read (0: the whole source). */
  readonly ranges: number
  /** Whether the walk follows the query's order and stops after the limit. */
  readonly ordered: boolean
}

/** The plan of a read, described. */
export const explainRead = (table: TableInfo, scope: ReadScope, query: ReadQuery): QueryPlan => {
  const plan = planRead(table, scope, query)
  switch (plan._tag) {
    case "Keys":
      return { source: "primary key", ranges: plan.keys.length, ordered: false }
    case "Unique":
      return { source: `unique ${plan.index}`, ranges: 1, ordered: false }
    case "Range": {
      const bounded = plan.prefixes.some((p) => p.length > 0) || plan.ranges.length > 0
      return {
        source: plan.index ?? "primary key",
        ranges: bounded ? plan.prefixes.length * Math.max(1, plan.ranges.length) : 0,
        ordered: query.limit !== undefined && plan.prefixes.length === 1 && plan.ranges.length <= 1 && walkOrder(plan.walk, query.orderBy) !== undefined
      }
    }
  }
}

/** Reads of the committed data of one table through a plan. */
export interface Reader {
  /** Rows matching the query, in its order, from its keyset position, up to its limit. */
  readonly rows: (table: TableInfo, scope: ReadScope, query: ReadQuery) => Promise<ReadonlyArray<Row>>
  /** Number of rows matching the conditions. */
  readonly count: (table: TableInfo, scope: ReadScope, where: ReadonlyArray<Condition>) => Promise<number>
  /** Stored records by primary key (valid keys: see `storeKey`; missing ones omitted). */
  readonly records: (store: string, keys: ReadonlyArray<IDBValidKey>) => Promise<ReadonlyArray<StoredRecord>>
}

const inScope = (table: TableInfo, scope: ReadScope, row: Row): boolean =>
  table.scope === "global" || scope._tag === "All" || row["accountId"] === scope.accountId

/** Issues `get` requests for many keys on one store, resolving with the found values. */
export const getMany = (store: IDBObjectStore | IDBIndex, keys: ReadonlyArray<IDBValidKey>): Promise<ReadonlyArray<unknown>> =>
  new Promise((resolve, reject) => {
    if (keys.length === 0) return resolve([])
    const out: Array<unknown> = new Array(keys.length)
    let pending = keys.length
    keys.forEach((key, i) => {
      const request = store.get(key)
      request.onsuccess = () => {
        out[i] = request.result
        if (--pending === 0) resolve(out.filter((value) => value !== undefined))
      }
      request.onerror = () => reject(request.error)
    })
  })

/** Makes the committed-data reader of a database. */
export const makeReader = (env: IdbEnvironment, database: () => IDBDatabase): Reader => {
  const cmp = (a: IDBValidKey, b: IDBValidKey) => env.factory.cmp(a, b)

  /** The key range of one prefix and field range; `null` when it is empty. */
  const keyRange = (plan: RangePlan, prefix: ReadonlyArray<string | number>, range: FieldRange | undefined): IDBKeyRange | undefined | null => {
    if (plan.plainKeys) {
      // Plain keys (ids) on the object store.
      if (range === undefined || (range.lower === undefined && range.upper === undefined)) return undefined
      return bounded(
        range.lower === undefined ? undefined : [range.lower.value, range.lower.open],
        range.upper === undefined ? undefined : [range.upper.value, range.upper.open]
      )
    }
    const p = [...prefix]
    if (range === undefined || (range.lower === undefined && range.upper === undefined)) {
      if (p.length === 0) return undefined
      return bounded([p, false], [[...p, []], true])
    }
    const lower: [IDBValidKey, boolean] | undefined =
      range.lower === undefined
        ? p.length === 0
          ? undefined
          : [p, false]
        : range.lower.open
          ? [[...p, range.lower.value, []], false]
          : [[...p, range.lower.value], false]
    const upper: [IDBValidKey, boolean] | undefined =
      range.upper === undefined
        ? p.length === 0
          ? undefined
          : [[...p, []], true]
        : range.upper.open
          ? [[...p, range.upper.value], true]
          : [[...p, range.upper.value, []], true]
    return bounded(lower, upper)
  }

  const bounded = (lower: readonly [IDBValidKey, boolean] | undefined, upper: readonly [IDBValidKey, boolean] | undefined): IDBKeyRange | undefined | null => {
    if (lower !== undefined && upper !== undefined) {
      const c = cmp(lower[0], upper[0])
      if (c > 0 || (c === 0 && (lower[1] || upper[1]))) return null
      return env.keyRange.bound(lower[0], upper[0], lower[1], upper[1])
    }
    if (lower !== undefined) return env.keyRange.lowerBound(lower[0], lower[1])
    if (upper !== undefined) return env.keyRange.upperBound(upper[0], upper[1])
    return undefined
  }

  /** Every (non-empty) key range of a plan. */
  const rangesOf = (plan: RangePlan, extra?: FieldRange): Array<IDBKeyRange | undefined> => {
    const out: Array<IDBKeyRange | undefined> = []
    const fieldRanges: ReadonlyArray<FieldRange | undefined> =
      plan.ranges.length === 0 ? [extra] : plan.ranges.map((r) => (extra === undefined ? r : intersect(r, extra)))
    for (const prefix of plan.prefixes) {
      for (const range of fieldRanges) {
        const key = keyRange(plan, prefix, range)
        if (key !== null) out.push(key)
      }
    }
    return out
  }

  const source = (tx: IDBTransaction, table: TableInfo, plan: RangePlan): IDBObjectStore | IDBIndex => {
    const store = tx.objectStore(table.name)
    return plan.index === null ? store : store.index(plan.index)
  }

  const sortAndLimit = (rows: Array<Row>, query: ReadQuery): ReadonlyArray<Row> => {
    rows.sort((a, b) => compareRows(a, b, query.orderBy, "utf16"))
    return query.limit === undefined ? rows : rows.slice(0, query.limit)
  }

  const accept =
    (table: TableInfo, scope: ReadScope, query: ReadQuery, checkScope: boolean) =>
    (row: Row): boolean =>
      (!checkScope || inScope(table, scope, row)) &&
      matchesAll(row, query.where, "utf16") &&
      (query.after === undefined || isAfter(row, query.orderBy, query.after, "utf16"))

  /** The group of a row in an ordered walk: the values of the order's fields before `id` (or the id). */
  const groupOf = (query: ReadQuery) => {
    const fields = query.orderBy.length > 1 ? query.orderBy.slice(0, -1).map((o) => o.field) : ["id"]
    return (a: Row, b: Row): boolean => fields.every((field) => compareScalars(a[field], b[field], "utf16") === 0)
  }

  /** Reads an ordered walk until `limit` rows match and the last one's group is complete. */
  const walkOrdered = async (
    from: IDBObjectStore | IDBIndex,
    range: IDBKeyRange | undefined,
    direction: "next" | "prev",
    limit: number,
    ok: (row: Row) => boolean,
    sameGroup: (a: Row, b: Row) => boolean,
    position: IDBValidKey | undefined
  ): Promise<Array<Row>> => {
    if (direction === "next" && position === undefined) {
      // getAll in growing batches: one request per batch.
      let count = Math.max(limit + 16, 64)
      for (;;) {
        const records = (await promised(from.getAll(range, count))) as ReadonlyArray<StoredRecord>
        const matches: Array<Row> = []
        for (const record of records) if (ok(record.r)) matches.push(record.r)
        if (records.length < count) return matches
        const boundary = matches[limit - 1]
        const lastRecord = records[records.length - 1]
        if (boundary !== undefined && lastRecord !== undefined && !sameGroup(boundary, lastRecord.r)) return matches
        count *= 4
      }
    }
    return new Promise<Array<Row>>((resolve, reject) => {
      const matches: Array<Row> = []
      const request = from.openCursor(range, direction)
      let positioned = position === undefined
      request.onerror = () => reject(request.error)
      request.onsuccess = () => {
        const cursor = request.result
        if (cursor === null) return resolve(matches)
        if (!positioned) {
          positioned = true
          const c = cmp(cursor.primaryKey, position ?? "")
          if (direction === "next" ? c < 0 : c > 0) {
            cursor.continuePrimaryKey(cursor.key, position ?? "")
            return
          }
        }
        const row = (cursor.value as StoredRecord).r
        const boundary = matches[limit - 1]
        if (boundary !== undefined && !sameGroup(boundary, row)) return resolve(matches)
        if (ok(row)) matches.push(row)
        cursor.continue()
      }
    })
  }

  const readRange = async (tx: IDBTransaction, table: TableInfo, scope: ReadScope, plan: RangePlan, query: ReadQuery): Promise<ReadonlyArray<Row>> => {
    const from = source(tx, table, plan)
    const ok = accept(table, scope, query, !plan.scoped)
    const direction = query.limit === undefined || plan.prefixes.length !== 1 || plan.ranges.length > 1 ? undefined : walkOrder(plan.walk, query.orderBy)
    if (direction !== undefined && query.limit !== undefined) {
      // Ordered walk: a keyset position bounds the first walked field (or positions the cursor
      // on the primary key when every index field is fixed).
      let extra: FieldRange | undefined
      let position: IDBValidKey | undefined
      const firstOrder = query.orderBy[0]
      const afterValue = query.after?.[0] === null && firstOrder !== undefined && table.keyed.has(firstOrder.field) ? ABSENT : query.after?.[0]
      if (firstOrder !== undefined && afterValue !== undefined && afterValue !== null && (typeof afterValue === "string" || typeof afterValue === "number")) {
        if (plan.walk.length === 1 && plan.index !== null && plan.index !== ACCOUNT_INDEX && firstOrder.field === "id")
          position = table.keyedByAccount && scope._tag === "Account" ? [scope.accountId, afterValue] : afterValue
        else if (firstOrder.field === plan.walk[0])
          extra = direction === "next" ? { lower: { value: afterValue, open: false } } : { upper: { value: afterValue, open: false } }
      }
      const ranges = rangesOf(plan, extra)
      if (ranges.length === 0) return []
      const rows = await walkOrdered(from, ranges[0], direction, query.limit, ok, groupOf(query), position)
      return sortAndLimit(rows, query)
    }
    const rows: Array<Row> = []
    const seen = plan.ranges.length > 1 ? new Set<string>() : undefined
    const batches = await Promise.all(rangesOf(plan).map((range) => promised(from.getAll(range)) as Promise<ReadonlyArray<StoredRecord>>))
    for (const records of batches) {
      for (const record of records) {
        if (seen !== undefined) {
          const id = String(record.r["id"])
          if (seen.has(id)) continue
          seen.add(id)
        }
        if (ok(record.r)) rows.push(record.r)
      }
    }
    return sortAndLimit(rows, query)
  }

  const records = async (store: string, keys: ReadonlyArray<IDBValidKey>): Promise<ReadonlyArray<StoredRecord>> => {
    if (keys.length === 0) return []
    const tx = database().transaction([store], "readonly")
    return (await getMany(tx.objectStore(store), keys)) as ReadonlyArray<StoredRecord>
  }

  return {
    records,
    rows: async (table, scope, query) => {
      const plan = planRead(table, scope, query)
      const tx = database().transaction([table.name], "readonly")
      switch (plan._tag) {
        case "Keys": {
          const found = (await getMany(tx.objectStore(table.name), plan.keys)) as ReadonlyArray<StoredRecord>
          const ok = accept(table, scope, query, true)
          return sortAndLimit(found.map((record) => record.r).filter(ok), query)
        }
        case "Unique": {
          const found = (await promised(tx.objectStore(table.name).index(plan.index).get(plan.key))) as StoredRecord | undefined
          const ok = accept(table, scope, query, true)
          return found === undefined || !ok(found.r) ? [] : [found.r]
        }
        case "Range":
          return readRange(tx, table, scope, plan, query)
      }
    },
    count: async (table, scope, where) => {
      const query: ReadQuery = { where, orderBy: [] }
      const plan = planRead(table, scope, query)
      if (plan._tag === "Range" && plan.covered) {
        const tx = database().transaction([table.name], "readonly")
        const from = source(tx, table, plan)
        const counts = await Promise.all(rangesOf(plan).map((range) => promised(from.count(range))))
        return counts.reduce((a, b) => a + b, 0)
      }
      const rows = await (async () => {
        const tx = database().transaction([table.name], "readonly")
        switch (plan._tag) {
          case "Keys": {
            const found = (await getMany(tx.objectStore(table.name), plan.keys)) as ReadonlyArray<StoredRecord>
            return found.map((record) => record.r).filter(accept(table, scope, query, true))
          }
          case "Unique": {
            const found = (await promised(tx.objectStore(table.name).index(plan.index).get(plan.key))) as StoredRecord | undefined
            return found === undefined ? [] : [found.r].filter(accept(table, scope, query, true))
          }
          case "Range":
            return readRange(tx, table, scope, plan, query)
        }
      })()
      return rows.length
    }
  }
}
