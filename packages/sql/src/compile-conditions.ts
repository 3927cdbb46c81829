/**
 * The base of the statement compiler: a statement's text with its parameters in the dialect's
 * placeholders, the account scope, and conditions in SQL (the same for queries, writes and
 * partial index predicates). Pure: no database is needed to compile.
 * @module
 */
import type { ColumnKind, Condition, Scalar, StoreScope } from "@iaso/core"
import { literal, quote, type SqlDialect } from "./dialect.ts"
import type { TableInfo } from "./tables.ts"

/** A compiled statement: its SQL text and its parameters, in the order of their placeholders. */
export interface Compiled {
  readonly text: string
  readonly params: ReadonlyArray<unknown>
}

/** A statement without parameters. */
export const plain = (text: string): Compiled => ({ text, params: [] })

/** A statement being written: its parameters, added in the order they appear in the text (SQLite's `?` placeholders are positional). */
export class Statement {
  readonly params: Array<unknown> = []
  readonly dialect: SqlDialect
  constructor(dialect: SqlDialect) {
    this.dialect = dialect
  }
  /** Adds a parameter and returns its placeholder. */
  param(value: unknown): string {
    this.params.push(value)
    return this.dialect.placeholder(this.params.length)
  }
  /** The finished statement. */
  done(text: string): Compiled {
    return { text, params: this.params }
  }
}

/**
 * The index a statement finds its rows through, which the account test must not take the planner
 * away from: `key`, the primary key (rows by id); `path`, the hierarchy's path index.
 */
export type Through = "key" | "path"

/**
 * The account condition of a scoped statement (`TRUE` for global models and host-level reads).
 * With `through`, the account test must not steer the planner to the account's index (see
 * {@link SqlDialect.unindexed}), unless it is part of the index the rows are found through: the
 * primary key of a table keyed by account and id.
 */
export const scopeCondition = (info: TableInfo, scope: StoreScope, stmt: Statement, through?: Through): string => {
  if (info.scope === "global" || scope.allAccounts === true) return "TRUE"
  const indexed = through === undefined || (through === "key" && info.schema.keyedByAccount === true)
  return `${indexed ? quote("accountId") : stmt.dialect.unindexed(quote("accountId"))} = ${stmt.param(scope.accountId)}`
}

/** How values appear in SQL: bound parameters (queries) or literals (partial index predicates). */
export interface Renderer {
  readonly dialect: SqlDialect
  readonly value: (value: Scalar, kind: ColumnKind) => string
  readonly inList: (column: string, values: ReadonlyArray<Scalar>, kind: ColumnKind) => string
}

/** Values as parameters of a statement. */
export const parameters = (stmt: Statement): Renderer => ({
  dialect: stmt.dialect,
  value: (value, kind) => stmt.param(stmt.dialect.encode(kind, value)),
  inList: (column, values, kind) => stmt.dialect.inList(column, stmt.param(stmt.dialect.listParam(values, kind)), kind)
})

/** Values as SQL literals. */
export const literals = (dialect: SqlDialect): Renderer => {
  const value = (v: Scalar, kind: ColumnKind) => (kind === "boolean" ? dialect.booleanLiteral(v) : literal(v))
  return { dialect, value, inList: (column, values, kind) => `${column} IN (${values.map((v) => value(v, kind)).join(", ")})` }
}

/** One condition in SQL. */
export const compileCondition = (kinds: ReadonlyMap<string, ColumnKind>, condition: Condition, render: Renderer): string => {
  const column = quote(condition.field)
  const kind = kinds.get(condition.field) ?? "text"
  switch (condition.op) {
    case "isNull":
      return `${column} IS NULL`
    case "isNotNull":
      return `${column} IS NOT NULL`
    case "eq":
      return `${column} = ${render.value(condition.value, kind)}`
    case "ne":
      return render.dialect.distinctFrom(column, render.value(condition.value, kind))
    case "lt":
      return `${column} < ${render.value(condition.value, kind)}`
    case "lte":
      return `${column} <= ${render.value(condition.value, kind)}`
    case "gt":
      return `${column} > ${render.value(condition.value, kind)}`
    case "gte":
      return `${column} >= ${render.value(condition.value, kind)}`
    case "in":
      return condition.value.length === 0 ? "FALSE" : render.inList(column, condition.value, kind)
    case "notIn":
      return condition.value.length === 0 ? "TRUE" : `(${column} IS NULL OR NOT (${render.inList(column, condition.value, kind)}))`
    case "startsWith":
      return prefixCondition(column, condition.value, render)
    case "startsWithAny":
      return anyPrefixCondition(column, condition.value, render)
    case "contains":
      return render.dialect.contains(column, render.value(condition.value, "text"))
  }
}

/** A prefix test as a range on the ordered index: [prefix, next) in code-point order. */
export const prefixCondition = (column: string, prefix: string, render: Renderer): string => {
  if (prefix === "") return `${column} IS NOT NULL`
  const upper = codePointUpperBound(prefix)
  return upper === undefined
    ? `${column} >= ${render.value(prefix, "text")}`
    : `(${column} >= ${render.value(prefix, "text")} AND ${column} < ${render.value(upper, "text")})`
}

/**
 * Most prefixes a `startsWithAny` tests as one range each (an `OR` of ranges, which ordered
 * indexes answer). Past it, the terms of an `OR` would soon pass SQLite's expression depth (1,000)
 * and the parameters a statement binds (two a range): see {@link anyPrefixCondition}.
 */
export const MAX_PREFIX_RANGES = 64

/**
 * Whether the column starts with one of `prefixes`. Up to {@link MAX_PREFIX_RANGES} prefixes, one
 * range each; more (an actor with a thousand org-unit roots), one test per prefix length, whatever
 * their number: the column's first `n` characters in the list of the prefixes of `n` characters,
 * the list ONE parameter (`substr` and `length` count code points in both dialects, as the prefixes
 * are measured here), the tests joined by a balanced `OR`, as deep as the log of their number.
 */
export const anyPrefixCondition = (column: string, prefixes: ReadonlyArray<string>, render: Renderer): string => {
  if (prefixes.length === 0) return "FALSE"
  if (prefixes.length <= MAX_PREFIX_RANGES) return `(${prefixes.map((prefix) => prefixCondition(column, prefix, render)).join(" OR ")})`
  const byLength = new Map<number, Array<string>>()
  for (const prefix of new Set(prefixes)) {
    const length = [...prefix].length
    const list = byLength.get(length)
    if (list === undefined) byLength.set(length, [prefix])
    else list.push(prefix)
  }
  const tests = [...byLength].map(([length, list]) => render.inList(`substr(${column}, 1, ${length})`, list, "text"))
  return balancedOr(tests)
}

/** `terms` joined by `OR` as a balanced tree (nested as deep as the log of their number). */
const balancedOr = (terms: ReadonlyArray<string>): string => {
  if (terms.length <= 2) return `(${terms.join(" OR ")})`
  const half = Math.ceil(terms.length / 2)
  return `(${balancedOr(terms.slice(0, half))} OR ${balancedOr(terms.slice(half))})`
}

/** The first string after every string starting with `prefix`, in code-point order (`undefined`: none). */
export const codePointUpperBound = (prefix: string): string | undefined => {
  const points = [...prefix].map((c) => c.codePointAt(0) ?? 0)
  while (points.length > 0) {
    const last = points.pop() ?? 0
    let next = last + 1
    if (next === 0xd800) next = 0xe000
    if (next <= 0x10ffff) return String.fromCodePoint(...points, next)
  }
  return undefined
}
