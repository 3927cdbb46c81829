/**
 * Result rows to the stored form of a model's rows (per dialect: JSON, booleans, integers).
 * @module
 */
import type { ColumnKind, Row } from "@iaso/core"
import type { SqlDialect } from "./dialect.ts"
import type { TableInfo } from "./tables.ts"

/** A decoder of result rows for these columns (default: all of the table's), their kinds looked up once. */
export const rowDecoder = (dialect: SqlDialect, info: TableInfo, columns?: ReadonlyArray<string>): ((raw: Record<string, unknown>) => Row) => {
  const names = columns ?? info.columns.map((c) => c.name)
  const kinds = names.map((name) => info.kinds.get(name) ?? "text")
  const decode = dialect.decode
  const copy = (raw: Record<string, unknown>): Row => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string
      const value = raw[name]
      if (value === null || value === undefined) continue
      const decoded = decode(kinds[i] as ColumnKind, value)
      if (decoded !== undefined) out[name] = decoded
    }
    return out
  }
  // Text arrives as strings from both drivers: a row of text columns without NULLs is already in
  // the stored form, and is passed on as the driver built it (subtree listings of ids and names).
  if (!kinds.every((kind) => kind === "text")) return copy
  return (raw) => {
    for (let i = 0; i < names.length; i++) {
      const value = raw[names[i] as string]
      if (value === null || value === undefined) return copy(raw)
    }
    return raw
  }
}

/**
 * A decoder of whole results (see {@link rowDecoder}). Rows of text columns declared NOT NULL
 * (ids and names) are in the stored form as the driver gives them: the result itself is passed
 * on, without a look at each row or a new array.
 */
export const rowsDecoder = (
  dialect: SqlDialect,
  info: TableInfo,
  columns?: ReadonlyArray<string>
): ((rows: ReadonlyArray<Record<string, unknown>>) => ReadonlyArray<Row>) => {
  const names = columns ?? info.columns.map((c) => c.name)
  const asStored = names.every((name) => {
    const column = info.columns.find((c) => c.name === name)
    return column !== undefined && column.kind === "text" && !column.nullable
  })
  if (asStored) return (rows) => rows
  const decode = rowDecoder(dialect, info, names)
  return (rows) => rows.map(decode)
}
