/**
 * The statement compiler's reads: listings (conditions, order, keyset position, limit, selected
 * columns), counts, subtrees (by path prefix, or from a root's id), row locks, the path rewrite of
 * a move, and the raw read of a table. Every operator, order, keyset position and limit is pushed
 * into SQL. Pure: no database is needed to compile.
 * @module
 */
import type { Condition, OrderBy, PrefixRewrite, Scalar, StoreQuery, StoreScope, SubtreeStart } from "@iaso/core"
import { type Compiled, compileCondition, parameters, prefixCondition, scopeCondition, Statement, type Through } from "./compile-conditions.ts"
import { quote, type SqlDialect } from "./dialect.ts"
import { SEQ, type TableInfo } from "./tables.ts"

/** A hierarchical table's path and depth columns. */
export type Hierarchy = NonNullable<TableInfo["hierarchy"]>

/**
 * The WHERE clause of a scoped query. Lookups by id and subtrees (a prefix of the hierarchy path,
 * or a `ranged` path condition) must use the primary key and the path index; SQLite, without
 * statistics, would rather use the account index, so the account test is kept off it there (see
 * {@link scopeCondition}).
 */
const whereOf = (info: TableInfo, scope: StoreScope, conditions: ReadonlyArray<Condition>, stmt: Statement, ranged = false): string => {
  const byId = conditions.some((c) => c.field === "id" && (c.op === "eq" || c.op === "in"))
  const byPath = ranged || conditions.some((c) => c.op === "startsWith" && c.field === info.hierarchy?.path)
  const through: Through | undefined = byId ? "key" : byPath ? "path" : undefined
  return [scopeCondition(info, scope, stmt, through), ...conditions.map((c) => compileCondition(info.kinds, c, parameters(stmt)))].join(" AND ")
}

/**
 * ORDER BY with NULLs before any value ascending: the NULLS clause only for nullable columns,
 * so that an ordered index (PostgreSQL's btrees keep NULLs last) still gives the order without a sort.
 */
const orderOf = (info: TableInfo, orderBy: ReadonlyArray<OrderBy>): string =>
  orderBy
    .map((o) => {
      const nullable = info.columns.find((c) => c.name === o.field)?.nullable !== false
      return `${quote(o.field)} ${o.direction === "asc" ? (nullable ? "ASC NULLS FIRST" : "ASC") : nullable ? "DESC NULLS LAST" : "DESC"}`
    })
    .join(", ")

/** Rows strictly after a keyset position (absent values are the smallest). */
const keysetOf = (info: TableInfo, orderBy: ReadonlyArray<OrderBy>, after: ReadonlyArray<Scalar | null>, stmt: Statement, i = 0): string => {
  const order = orderBy[i]
  if (order === undefined) return "FALSE"
  const column = quote(order.field)
  const kind = info.kinds.get(order.field) ?? "text"
  const value = after[i] ?? null
  const rest = () => (i + 1 < orderBy.length ? keysetOf(info, orderBy, after, stmt, i + 1) : "FALSE")
  const p = () => stmt.param(stmt.dialect.encode(kind, value))
  if (order.direction === "asc") {
    if (value === null) return `(${column} IS NOT NULL OR (${column} IS NULL AND ${rest()}))`
    const greater = `${column} > ${p()}`
    const equal = `${column} = ${p()}`
    return `(${greater} OR (${equal} AND ${rest()}))`
  }
  if (value === null) return `(${column} IS NULL AND ${rest()})`
  const less = `${column} < ${p()}`
  const equal = `${column} = ${p()}`
  return `(${less} OR ${column} IS NULL OR (${equal} AND ${rest()}))`
}

/** A compiled listing, with the columns it reads. */
export interface CompiledSelect extends Compiled {
  readonly columns: ReadonlyArray<string>
}

/** Options of {@link compileSelect}. */
export interface SelectOptions {
  /** Further conditions. */
  readonly extra?: ReadonlyArray<Condition> | undefined
  /** A further SQL condition on an indexed range (its parameters added as it is written). */
  readonly range?: ((stmt: Statement) => string) | undefined
  /** Selected columns left out (read for one row apart); `id` always stays, as the row is looked up by it. */
  readonly leaveOut?: ReadonlyArray<string> | undefined
  /** The statement the listing is part of (its parameters added to it); a statement of its own when absent. */
  readonly statement?: Statement | undefined
}

/**
 * The smallest page that {@link leavesOutOnlyAt} reads on its own first: below it, the cursor
 * row's columns and snapshot cost less than a second read of a full page would.
 */
export const LEAVE_OUT_FROM = 1000

/**
 * Whether a listing is read first in ONE statement, without the columns it wants on one row only
 * (`onlyAt`, a page cursor's: the path of a subtree listing), and read again with them only when
 * that row is there: on PostgreSQL, which would otherwise carry them on every row; on the native
 * SQLite connection, which would otherwise hold a transaction around the listing and the cursor
 * row's lookup (one snapshot). So is a large first page: mostly the whole answer (a subtree asked
 * for at once), whose cursor is then never needed. Later pages, mostly full, are read as before.
 */
export const leavesOutOnlyAt = (query: StoreQuery): boolean =>
  query.onlyAt !== undefined && query.after === undefined && query.limit !== undefined && query.limit > LEAVE_OUT_FROM

/** A listing: the query's conditions, keyset position, order, limit and selected columns. */
export const compileSelect = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, query: StoreQuery, options: SelectOptions = {}): CompiledSelect => {
  const { extra = [], range, leaveOut } = options
  const stmt = options.statement ?? new Statement(dialect)
  const selected = query.select ?? info.columns.map((c) => c.name)
  const columns = leaveOut === undefined ? selected : selected.filter((c) => c === "id" || !leaveOut.includes(c))
  let where = whereOf(info, scope, [...query.where, ...extra], stmt, range !== undefined)
  if (range !== undefined) where += ` AND ${range(stmt)}`
  if (query.after !== undefined) where += ` AND ${keysetOf(info, query.orderBy, query.after, stmt)}`
  const text = `SELECT ${columns.map(quote).join(", ")} FROM ${dialect.table(info.name)} WHERE ${where}${
    query.orderBy.length > 0 ? ` ORDER BY ${orderOf(info, query.orderBy)}` : ""
  }${query.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`}`
  return { ...stmt.done(text), columns }
}

/**
 * Whether listings can be read in one statement by {@link compileSelects}: they select the same
 * columns, in the same order, none of them wanting columns on one row only (`onlyAt`).
 */
export const unitesSelects = (queries: ReadonlyArray<StoreQuery>): boolean => {
  const first = queries[0]
  if (first === undefined) return false
  const same = (a: ReadonlyArray<unknown> | undefined, b: ReadonlyArray<unknown> | undefined) =>
    a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((value, i) => value === b[i]))
  const orderOfFirst = first.orderBy.flatMap((o) => [o.field, o.direction])
  return queries.every(
    (query) =>
      query.onlyAt === undefined &&
      same(query.select, first.select) &&
      same(
        query.orderBy.flatMap((o) => [o.field, o.direction]),
        orderOfFirst
      )
  )
}

/**
 * Listings of one table in one statement (see {@link unitesSelects}): each one's rows, in its
 * order, with the position of its listing (`_q`), the listings one after the other.
 */
export const compileSelects = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, queries: ReadonlyArray<StoreQuery>): CompiledSelect => {
  const stmt = new Statement(dialect)
  let columns: ReadonlyArray<string> = []
  const parts = queries.map((query, q) => {
    const one = compileSelect(dialect, info, scope, query, { statement: stmt })
    columns = one.columns
    return `SELECT ${q} AS ${quote("_q")}, ${quote(`q${q}`)}.* FROM (${one.text}) AS ${quote(`q${q}`)}`
  })
  const order = queries[0]?.orderBy ?? []
  // Each listing's order kept by the whole statement's (a union keeps none by itself).
  const text = `${parts.join(" UNION ALL ")} ORDER BY ${quote("_q")}${order.length > 0 ? `, ${orderOf(info, order)}` : ""}`
  return { ...stmt.done(text), columns }
}

/** Rows with these ids (each once). */
export const compileGetMany = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, ids: ReadonlyArray<string>): CompiledSelect =>
  compileSelect(dialect, info, scope, { where: [{ field: "id", op: "in", value: [...new Set(ids)] }], orderBy: [] })

/**
 * Which of several id lists name rows, over several tables, in one statement: a row per id found,
 * with the position of its request (`r`) and the id.
 */
export const compileExists = (
  dialect: SqlDialect,
  requests: ReadonlyArray<{ readonly info: TableInfo; readonly scope: StoreScope; readonly ids: ReadonlyArray<string> }>
): Compiled => {
  const stmt = new Statement(dialect)
  const parts = requests.map(
    ({ info, scope, ids }, r) =>
      `SELECT ${r} AS r, ${quote("id")} AS id FROM ${dialect.table(info.name)} WHERE ${whereOf(info, scope, [{ field: "id", op: "in", value: [...new Set(ids)] }], stmt)}`
  )
  return stmt.done(parts.join(" UNION ALL "))
}

/** The number of rows matching the conditions. */
export const compileCount = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, where: ReadonlyArray<Condition>): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(`SELECT COUNT(*) AS n FROM ${dialect.table(info.name)} WHERE ${whereOf(info, scope, where, stmt)}`)
}

/** A subtree: rows whose path starts with a prefix, or the root's own path read in the same statement. */
export const compileSubtree = (
  dialect: SqlDialect,
  info: TableInfo,
  scope: StoreScope,
  hierarchy: Hierarchy,
  start: SubtreeStart,
  query: StoreQuery & { readonly maxDepth?: number },
  leaveOut?: ReadonlyArray<string>
): CompiledSelect => {
  const extra: ReadonlyArray<Condition> = query.maxDepth === undefined ? [] : [{ field: hierarchy.depth, op: "lte", value: query.maxDepth }]
  if ("prefix" in start)
    return compileSelect(dialect, info, scope, query, { extra: [{ field: hierarchy.path, op: "startsWith", value: start.prefix }, ...extra], leaveOut })
  // The root's path read in the same statement: two scalar subqueries (evaluated once) bound
  // the ordered path index's range, [path, path with its final "/" raised to "0").
  const path = quote(hierarchy.path)
  const rootPath = (stmt: Statement, expression: string) =>
    `(SELECT ${expression} FROM ${dialect.table(info.name)} WHERE ${quote("id")} = ${stmt.param(start.rootId)} AND ${scopeCondition(info, scope, stmt, "key")})`
  return compileSelect(dialect, info, scope, query, {
    extra,
    range: (stmt) => `${path} >= ${rootPath(stmt, path)} AND ${path} < ${rootPath(stmt, `substr(${path}, 1, length(${path}) - 1) || '0'`)}`,
    leaveOut
  })
}

/** Some columns of one row, by id (the columns a listing left out for that row). */
export const compileRowLookup = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, id: unknown, columns: ReadonlyArray<string>): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(
    `SELECT ${columns.map(quote).join(", ")} FROM ${dialect.table(info.name)} WHERE ${quote("id")} = ${stmt.param(id)} AND ${scopeCondition(info, scope, stmt, "key")}`
  )
}

/**
 * A row lock: `update` (`FOR UPDATE`) conflicts with every other lock and write; `keyShare` (`FOR
 * KEY SHARE`) only with `update` locks (and with writes that change a key, which org units never
 * do), so plain updates of the locked rows go on.
 */
export type RowLock = "update" | "keyShare"

/**
 * Locks the rows with these ids until the transaction ends, one by one in the order of a column
 * (`id` unless told; where the dialect has row locks).
 */
export const compileLockRows = (
  dialect: SqlDialect,
  info: TableInfo,
  scope: StoreScope,
  ids: ReadonlyArray<string>,
  lock: RowLock = "update",
  orderBy = "id"
): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(
    `SELECT ${quote("id")} FROM ${dialect.table(info.name)} WHERE ${scopeCondition(info, scope, stmt, "key")} AND ${dialect.inList(quote("id"), stmt.param(ids), "text")} ORDER BY ${quote(orderBy)} ${lock === "update" ? "FOR UPDATE" : "FOR KEY SHARE"}`
  )
}

/** The strict descendants of the path `from` (the unit at `from` excepted). */
const descendantsOf = (info: TableInfo, scope: StoreScope, path: string, from: string, stmt: Statement): string =>
  `${scopeCondition(info, scope, stmt, "path")} AND ${prefixCondition(path, from, parameters(stmt))} AND ${path} <> ${stmt.param(from)}`

/** The number of rows a path rewrite changes. */
export const compileRewriteCount = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, hierarchy: Hierarchy, from: string): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(`SELECT COUNT(*) AS n FROM ${dialect.table(info.name)} WHERE ${descendantsOf(info, scope, quote(hierarchy.path), from, stmt)}`)
}

/**
 * A path rewrite: every strict descendant gets the new prefix, depth, version and its sequence from
 * `first` on, in id order. The rows are matched by id within the account (another account may
 * hold the same id).
 */
export const compileRewritePrefix = (
  dialect: SqlDialect,
  info: TableInfo,
  scope: StoreScope,
  hierarchy: Hierarchy,
  rewrite: PrefixRewrite,
  first: number
): Compiled => {
  const stmt = new Statement(dialect)
  const path = quote(hierarchy.path)
  const to = stmt.param(rewrite.to)
  const fromLength = `CAST(${stmt.param([...rewrite.from].length)} AS INTEGER)`
  const delta = `CAST(${stmt.param(rewrite.depthDelta)} AS INTEGER)`
  const updatedAt = `CAST(${stmt.param(rewrite.updatedAt)} AS BIGINT)`
  const base = `CAST(${stmt.param(first - 1)} AS BIGINT)`
  const innerRange = descendantsOf(info, scope, path, rewrite.from, stmt)
  const t = dialect.table(info.name)
  return stmt.done(
    `UPDATE ${t} SET ${path} = ${to} || substr(${t}.${path}, ${fromLength} + 1), ${quote(hierarchy.depth)} = ${t}.${quote(hierarchy.depth)} + ${delta}, ` +
      `${quote("version")} = ${t}.${quote("version")} + 1, ${quote("updatedAt")} = ${updatedAt}, ${quote(SEQ)} = ${base} + ranked.rn ` +
      `FROM (SELECT ${quote("id")} AS rid, ROW_NUMBER() OVER (ORDER BY ${quote("id")}) AS rn FROM ${t} WHERE ${innerRange}) AS ranked WHERE ${t}.${quote("id")} = ranked.rid AND ${scopeCondition(info, scope, stmt, "key")}`
  )
}

/** Every row of a table, all accounts, by id then account (the test oracle; with the sequence column). */
export const compileInspect = (dialect: SqlDialect, info: TableInfo): Compiled => ({
  text: `SELECT * FROM ${dialect.table(info.name)} ORDER BY ${info.scope === "account" ? `${quote("id")}, ${quote("accountId")}` : quote("id")}`,
  params: []
})
