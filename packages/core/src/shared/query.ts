/**
 * The closed query description adapters receive: conditions (all must hold), order, keyset
 * position, limit and selected columns. Values are in stored form (what the model encodes to),
 * checked by core against the columns' kinds before an adapter sees them (`conditions.ts`).
 * Adapters push every part down to their backend; core only refines exact geometry tests.
 * @module
 */

/** A value a condition compares a column with. */
export type Scalar = string | number | boolean

/**
 * One condition on a column.
 * - `eq`/`lt`/`lte`/`gt`/`gte`/`in` never match an absent (NULL) value;
 * - `ne`/`notIn` match an absent value (it differs from every value: SQL `IS DISTINCT FROM`);
 * - `startsWith`/`contains` are case-sensitive substring tests on text (use a folded key column for search);
 * - `startsWithAny` holds when the text starts with one of the prefixes (org-unit access roots).
 */
export type Condition =
  | { readonly field: string; readonly op: "eq" | "ne" | "lt" | "lte" | "gt" | "gte"; readonly value: Scalar }
  | { readonly field: string; readonly op: "in" | "notIn"; readonly value: ReadonlyArray<Scalar> }
  | { readonly field: string; readonly op: "isNull" | "isNotNull" }
  | { readonly field: string; readonly op: "startsWith" | "contains"; readonly value: string }
  | { readonly field: string; readonly op: "startsWithAny"; readonly value: ReadonlyArray<string> }

/** Every operator of {@link Condition}. */
export const OPERATORS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "notIn", "isNull", "isNotNull", "startsWith", "contains", "startsWithAny"] as const
export type Operator = (typeof OPERATORS)[number]

/** Sort direction. Absent values sort first in ascending order, last in descending order. */
export type Direction = "asc" | "desc"

/** One sort key. */
export interface OrderBy {
  readonly field: string
  readonly direction: Direction
}

/**
 * A query as an adapter receives it. `orderBy` always ends with `id` (core appends it), so the
 * order is total; `after` is the keyset position (the values of the `orderBy` columns of the last
 * row of the previous page, `null` for absent): only rows strictly after it are returned.
 */
export interface StoreQuery {
  readonly where: ReadonlyArray<Condition>
  readonly orderBy: ReadonlyArray<OrderBy>
  readonly after?: ReadonlyArray<Scalar | null>
  readonly limit?: number
  /** Columns to return (always including `id` and the order columns); all columns when absent. */
  readonly select?: ReadonlyArray<string>
  /**
   * Columns of `select` the caller needs only on the row at index `at` of the result (the last
   * row of a page, where its cursor is taken from): an adapter may leave them out of every other
   * row, but must then read them in the same snapshot as the rest.
   */
  readonly onlyAt?: { readonly columns: ReadonlyArray<string>; readonly at: number }
}

/** The upper bound of the key range of all strings starting with `prefix` (exclusive). */
export const prefixUpperBound = (prefix: string): string => {
  // Strings starting with `prefix` are exactly those in [prefix, prefix + U+10FFFF...). Using the
  // next code unit after the last character of the prefix gives the same range on an ordered index.
  if (prefix.length === 0) return "\u{10FFFF}"
  const last = prefix.charCodeAt(prefix.length - 1)
  return prefix.slice(0, -1) + String.fromCharCode(last + 1)
}

/**
 * The prefixes a `startsWithAny` needs: without duplicates and without any that starts with
 * another one of them (the longer one adds no string), sorted by UTF-16 code unit. The same
 * strings start with one of them as with one of `prefixes`.
 */
export const disjointPrefixes = (prefixes: ReadonlyArray<string>): ReadonlyArray<string> => {
  const sorted = [...new Set(prefixes)].sort()
  const out: Array<string> = []
  for (const prefix of sorted) {
    const last = out[out.length - 1]
    if (last === undefined || !prefix.startsWith(last)) out.push(prefix)
  }
  return out
}
