/**
 * Evaluation of the closed query description over plain rows: the reference semantics every
 * adapter reproduces (the memory store uses it directly; other adapters use it for the rows of
 * a unit of work not yet written).
 * @module
 */
import type { IndexDecl, Row } from "./model.ts"
import type { Condition, OrderBy, Scalar, StoreQuery } from "./query.ts"
import { compareCodePoints } from "./text.ts"

/** How to compare text: by code point (SQL) or by UTF-16 code unit (IndexedDB). */
export type TextOrder = "codepoint" | "utf16"

const isAbsent = (value: unknown): value is null | undefined => value === null || value === undefined

const rank = (value: unknown): number => (typeof value === "boolean" ? 1 : typeof value === "number" ? 2 : 3)

/** Compares two stored scalars; absent values are smallest. */
export const compareScalars = (a: unknown, b: unknown, textOrder: TextOrder = "codepoint"): number => {
  if (isAbsent(a)) return isAbsent(b) ? 0 : -1
  if (isAbsent(b)) return 1
  if (typeof a === "string" && typeof b === "string") {
    if (textOrder === "codepoint") return compareCodePoints(a, b)
    return a < b ? -1 : a > b ? 1 : 0
  }
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1
  return rank(a) - rank(b)
}

/** Whether one row satisfies one condition. */
export const matchesCondition = (row: Row, condition: Condition, textOrder: TextOrder = "codepoint"): boolean => {
  const value = row[condition.field]
  switch (condition.op) {
    case "isNull":
      return isAbsent(value)
    case "isNotNull":
      return !isAbsent(value)
    case "eq":
      return !isAbsent(value) && compareScalars(value, condition.value, textOrder) === 0 && typeof value === typeof condition.value
    case "ne":
      return isAbsent(value) || typeof value !== typeof condition.value || compareScalars(value, condition.value, textOrder) !== 0
    case "lt":
      return !isAbsent(value) && typeof value === typeof condition.value && compareScalars(value, condition.value, textOrder) < 0
    case "lte":
      return !isAbsent(value) && typeof value === typeof condition.value && compareScalars(value, condition.value, textOrder) <= 0
    case "gt":
      return !isAbsent(value) && typeof value === typeof condition.value && compareScalars(value, condition.value, textOrder) > 0
    case "gte":
      return !isAbsent(value) && typeof value === typeof condition.value && compareScalars(value, condition.value, textOrder) >= 0
    case "in":
      return !isAbsent(value) && condition.value.some((v) => typeof v === typeof value && compareScalars(value, v, textOrder) === 0)
    case "notIn":
      return isAbsent(value) || !condition.value.some((v) => typeof v === typeof value && compareScalars(value, v, textOrder) === 0)
    case "startsWith":
      return typeof value === "string" && value.startsWith(condition.value)
    case "contains":
      return typeof value === "string" && value.includes(condition.value)
    case "startsWithAny":
      return typeof value === "string" && condition.value.some((prefix) => value.startsWith(prefix))
  }
}

/** Whether a row satisfies every condition. */
export const matchesAll = (row: Row, where: ReadonlyArray<Condition>, textOrder: TextOrder = "codepoint"): boolean => {
  for (const condition of where) if (!matchesCondition(row, condition, textOrder)) return false
  return true
}

/** Compares two rows by an order (which core always ends with `id`). */
export const compareRows = (a: Row, b: Row, orderBy: ReadonlyArray<OrderBy>, textOrder: TextOrder = "codepoint"): number => {
  for (const { field, direction } of orderBy) {
    const c = compareScalars(a[field], b[field], textOrder)
    if (c !== 0) return direction === "asc" ? c : -c
  }
  return 0
}

/** Whether a row comes strictly after a keyset position in an order. */
export const isAfter = (row: Row, orderBy: ReadonlyArray<OrderBy>, after: ReadonlyArray<Scalar | null>, textOrder: TextOrder = "codepoint"): boolean => {
  for (let i = 0; i < orderBy.length; i++) {
    const order = orderBy[i]
    if (order === undefined) break
    const c = compareScalars(row[order.field], after[i], textOrder)
    if (c !== 0) return order.direction === "asc" ? c > 0 : c < 0
  }
  return false
}

/** Keeps only the selected columns of a row. */
export const project = (row: Row, select: ReadonlyArray<string> | undefined): Row => {
  if (select === undefined) return row
  const out: Record<string, unknown> = {}
  for (const column of select) if (column in row) out[column] = row[column]
  return out
}

/** Applies a whole query to candidate rows (already scoped). */
export const runQuery = (rows: Iterable<Row>, query: StoreQuery, textOrder: TextOrder = "codepoint"): ReadonlyArray<Row> => {
  const matching: Array<Row> = []
  for (const row of rows) {
    if (!matchesAll(row, query.where, textOrder)) continue
    if (query.after !== undefined && !isAfter(row, query.orderBy, query.after, textOrder)) continue
    matching.push(row)
  }
  matching.sort((a, b) => compareRows(a, b, query.orderBy, textOrder))
  const limited = query.limit === undefined ? matching : matching.slice(0, query.limit)
  return query.select === undefined ? limited : limited.map((row) => project(row, query.select))
}

/**
 * The key a row takes in a unique index, or `null` when the index does not constrain it (a field
 * is absent, or the row does not match the index's conditions).
 */
export const uniqueKeyOf = (row: Row, index: IndexDecl): string | null => {
  if (index.where !== undefined && !matchesAll(row, index.where)) return null
  const parts: Array<unknown> = []
  for (const field of index.fields) {
    const value = row[field]
    if (isAbsent(value)) return null
    parts.push(value)
  }
  return JSON.stringify(parts)
}
