/**
 * New rows of one model as one JSON text ({@link EncodedRows}): what an import's encoder (in a
 * worker thread, or in the calling thread) hands to a store that inserts such a text in one
 * statement (`StoreDriver.insertEncoded`). A string crosses threads as one copy, where rows as
 * objects are cloned value by value; the store reads the values out of the text itself.
 *
 * The text is an array of rows, each an array of its values in the order of `columns`: a JSON
 * column's value as its JSON text (a string), a boolean as `true`/`false`, a number or a string as
 * itself, an absent value as `null`. A column with one value in every row is given once, beside
 * the text (`constants`), and a column with no value in any row is left out. Only values JSON carries exactly are put in a text: a
 * non-finite number, `-0`, a string with a lone surrogate, or any other value (a `bigint`...)
 * makes {@link encodeRows} answer `undefined`, and the rows go the ordinary way.
 * @module
 */
import type { Column, Row } from "./model.ts"

/** New rows of one model as one JSON text (see the module documentation). */
export interface EncodedRows {
  /** The columns of each row's values in the text, in order (a column of the table neither here nor in `constants` is NULL in every row). */
  readonly columns: ReadonlyArray<string>
  /** `[[value, ...], ...]`: one array per row, its values in the order of `columns`. */
  readonly text: string
  /** Columns with one value in every row (an import's account, version, stamps...), given once instead of in each row; values as in the text. */
  readonly constants: ReadonlyArray<{ readonly column: string; readonly value: string | number | boolean }>
  /** How many rows the text holds. */
  readonly count: number
  /** The ids of the rows the caller gave (not made by the SDK): a deleted record's tombstone is cleared for them. */
  readonly given: ReadonlyArray<string>
}

/**
 * A JSON escape of a lone surrogate (`JSON.stringify` escapes only those, in lower case): `\ud8..`
 * after an even number of backslashes (`\\ud800` is a backslash, then text).
 */
const LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f]/

/** Marks a value JSON does not carry exactly. */
const INEXACT: unique symbol = Symbol("inexact")

/** One value of a row as the text holds it, or {@link INEXACT}. */
const cell = (kind: Column["kind"], value: unknown): unknown => {
  if (value === undefined || value === null) return null
  if (kind === "json") return JSON.stringify(value)
  switch (typeof value) {
    case "string":
    case "boolean":
      return value
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0) ? value : INEXACT
    default:
      return INEXACT
  }
}

/**
 * The rows as one {@link EncodedRows} text over those of `columns` some row has a value in (`given`: the ids the caller gave), or
 * `undefined` when a value cannot be carried exactly (see the module documentation).
 */
export const encodeRows = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<Row>, given: ReadonlyArray<string>): EncodedRows | undefined => {
  // Only the columns some row has a value in (a column left out is NULL, as an absent value).
  const present = columns.filter((c) => rows.some((row) => row[c.name] !== undefined && row[c.name] !== null))
  const n = present.length
  const names = present.map((c) => c.name)
  const kinds = present.map((c) => c.kind)
  // Every value as the text holds it, column by column; a column whose value is the same in
  // every row (of two or more) is given once.
  const cells: Array<unknown> = new Array(rows.length * n)
  const same: Array<boolean> = new Array(n).fill(rows.length > 1)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Row
    const at = r * n
    for (let k = 0; k < n; k++) {
      const value = cell(kinds[k] as Column["kind"], row[names[k] as string])
      if (value === INEXACT) return undefined
      cells[at + k] = value
      if (same[k] === true && value !== cells[k]) same[k] = false
    }
  }
  const varying: Array<number> = []
  const constants: Array<{ readonly column: string; readonly value: string | number | boolean }> = []
  for (let k = 0; k < n; k++) {
    const first = cells[k]
    if (same[k] === true && first !== null) constants.push({ column: names[k] as string, value: first as string | number | boolean })
    else varying.push(k)
  }
  const arrays: Array<Array<unknown>> = new Array(rows.length)
  for (let r = 0; r < rows.length; r++) {
    const at = r * n
    const values: Array<unknown> = new Array(varying.length)
    for (let v = 0; v < varying.length; v++) values[v] = cells[at + (varying[v] as number)]
    arrays[r] = values
  }
  const text = JSON.stringify(arrays)
  if (LONE_SURROGATE.test(text)) return undefined
  return { columns: varying.map((k) => names[k] as string), text, constants, count: rows.length, given }
}

/**
 * The rows of an {@link EncodedRows} text back as rows (`kinds`: the columns' kinds): what
 * {@link encodeRows} was given, absent values absent. For a store to report which row it refused.
 */
export const decodeRows = (encoded: EncodedRows, kinds: ReadonlyMap<string, Column["kind"]>): ReadonlyArray<Row> => {
  const arrays = JSON.parse(encoded.text) as ReadonlyArray<ReadonlyArray<unknown>>
  const read = (name: string, value: unknown): unknown => (kinds.get(name) === "json" && typeof value === "string" ? JSON.parse(value) : value)
  return arrays.map((values) => {
    const row: Record<string, unknown> = {}
    encoded.columns.forEach((name, k) => {
      const value = values[k]
      if (value !== null && value !== undefined) row[name] = read(name, value)
    })
    for (const { column, value } of encoded.constants) row[column] = read(column, value)
    return row
  })
}
