/**
 * New rows of one model as one JSON text ({@link EncodedRows}): what an import's encoder (in a
 * worker thread, or in the calling thread) hands to a store that inserts such a text in one
 * statement (`StoreDriver.insertEncoded`). A string crosses threads as one copy, where rows as
 * objects are cloned value by value; the store reads the values out of the text itself.
 *
 * The text is an array of rows, each an array of its values in the order of `columns`: a JSON
 * column's value as its JSON text (a string), a boolean as `true`/`false`, a number or a string as
 * itself, an absent value as `null`. Only values JSON carries exactly are put in a text: a
 * non-finite number, `-0`, a string with a lone surrogate, or any other value (a `bigint`...)
 * makes {@link encodeRows} answer `undefined`, and the rows go the ordinary way.
 * @module
 */
import type { Column, Row } from "./model.ts"

/** New rows of one model as one JSON text (see the module documentation). */
export interface EncodedRows {
  /** The columns of each row's values, in order (a column of the table left out is NULL in every row). */
  readonly columns: ReadonlyArray<string>
  /** `[[value, ...], ...]`: one array per row, its values in the order of `columns`. */
  readonly text: string
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
  const keys = new Set<string>()
  for (const row of rows) for (const key in row) if (row[key] !== undefined && row[key] !== null) keys.add(key)
  const present = columns.filter((c) => keys.has(c.name))
  const n = present.length
  const names = present.map((c) => c.name)
  const kinds = present.map((c) => c.kind)
  const arrays: Array<Array<unknown>> = new Array(rows.length)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Row
    const values: Array<unknown> = new Array(n)
    for (let k = 0; k < n; k++) {
      const value = cell(kinds[k] as Column["kind"], row[names[k] as string])
      if (value === INEXACT) return undefined
      values[k] = value
    }
    arrays[r] = values
  }
  const text = JSON.stringify(arrays)
  return LONE_SURROGATE.test(text) ? undefined : { columns: names, text, count: rows.length, given }
}

/**
 * The rows of an {@link EncodedRows} text back as rows (`kinds`: the columns' kinds): what
 * {@link encodeRows} was given, absent values absent. For a store to report which row it refused.
 */
export const decodeRows = (encoded: EncodedRows, kinds: ReadonlyMap<string, Column["kind"]>): ReadonlyArray<Row> => {
  const arrays = JSON.parse(encoded.text) as ReadonlyArray<ReadonlyArray<unknown>>
  return arrays.map((values) => {
    const row: Record<string, unknown> = {}
    encoded.columns.forEach((name, k) => {
      const value = values[k]
      if (value === null || value === undefined) return
      row[name] = kinds.get(name) === "json" && typeof value === "string" ? JSON.parse(value) : value
    })
    return row
  })
}
