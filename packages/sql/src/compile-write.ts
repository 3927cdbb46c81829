/**
 * The statement compiler's writes: inserts (a multi-row statement, `unnest` arrays where the
 * dialect has them, or one prepared row at a time), updates and deletes guarded by the expected
 * version, the version probe that explains a write that touched nothing, and the reservation of
 * change sequences. Every write on an account model is scoped by its account. Pure: no database
 * is needed to compile.
 * @module
 */
import type { ColumnKind, EncodedRows, Row, StoreScope } from "@iaso/core"
import { type Compiled, scopeCondition, Statement } from "./compile-conditions.ts"
import { quote, type SqlDialect } from "./dialect.ts"
import { COUNTER, SEQ, type TableInfo } from "./tables.ts"

/** Rows per `unnest` insert statement. */
const UNNEST_BATCH = 5000

/** The most rows one insert statement takes (within the dialect's parameter limit). */
export const insertBatch = (dialect: SqlDialect, info: TableInfo): number =>
  dialect.unnestType !== undefined ? UNNEST_BATCH : Math.max(1, Math.min(1000, Math.floor(dialect.maxParameters / (info.columns.length + 1))))

/** The columns an insert writes: the model's and the sequence. */
const insertColumns = (info: TableInfo): string => [...info.columns.map((c) => c.name), SEQ].map(quote).join(", ")

/**
 * Rows in one statement, their sequences from `firstSeq` on. `skipTaken`: rows a unique key refuses
 * are left out instead of failing the statement, and the sequences of the rows written are returned
 * (a refused row's sequence is missing).
 */
export const compileInsert = (dialect: SqlDialect, info: TableInfo, rows: ReadonlyArray<Row>, firstSeq: number, skipTaken = false): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(insertText(stmt, info, rows, firstSeq, skipTaken))
}

/**
 * Inserts into several tables in one statement (PostgreSQL: data-modifying CTEs), each run as
 * {@link compileInsert} with `skipTaken`, returning the sequences of every row written (`seq`).
 * With `reserved`, the statement also reserves the transaction's block of change sequences (its
 * draw, `reserve`, a statement answering the block's last sequence as `value`, in a CTE), and each
 * run's `firstSeq` counts from the block's first sequence; one more row answers the block's last
 * sequence (`last`).
 */
export const compileInsertAll = (
  dialect: SqlDialect,
  runs: ReadonlyArray<{ readonly info: TableInfo; readonly rows: ReadonlyArray<Row>; readonly firstSeq: number }>,
  reserved?: { readonly block: number; readonly reserve: string }
): Compiled => {
  const stmt = new Statement(dialect)
  const base = reserved === undefined ? undefined : `(SELECT value FROM reserved) - ${reserved.block - 1}`
  const ctes = runs.map(({ info, rows, firstSeq }, i) => `w${i} AS (${insertText(stmt, info, rows, firstSeq, true, base)})`)
  if (reserved === undefined) return stmt.done(`WITH ${ctes.join(", ")} ${runs.map((_, i) => `SELECT seq FROM w${i}`).join(" UNION ALL ")}`)
  const written = runs.map((_, i) => `SELECT seq, NULL::bigint AS last FROM w${i}`).join(" UNION ALL ")
  return stmt.done(`WITH reserved AS (${reserved.reserve}), ${ctes.join(", ")} ${written} UNION ALL SELECT NULL, value FROM reserved`)
}

/** A backslash escape that JSON and PostgreSQL's array syntax read differently (JSON's `\n`, `\u0001`...). */
const FOREIGN_ESCAPE = /\\[^"\\]/

/**
 * The values of an array parameter as PostgreSQL's array literal (`{"a",null,2}`), made by
 * `JSON.stringify` (native code) where both syntaxes agree: strings whose only escapes are `\"`
 * and `\\`, finite numbers, booleans and nulls. Otherwise the values themselves, which the driver
 * serialises (pg and PGlite escape each element in JavaScript).
 */
export const arrayLiteral = (values: ReadonlyArray<unknown>): string | ReadonlyArray<unknown> => {
  for (const value of values) {
    const type = typeof value
    if (type === "string" || type === "boolean" || value === null) continue
    if (type !== "number" || !Number.isFinite(value)) return values
  }
  const json = JSON.stringify(values)
  return FOREIGN_ESCAPE.test(json) ? values : `{${json.slice(1, -1)}}`
}

/**
 * The text of an insert (see {@link compileInsert}), its parameters added to `stmt`; with `base` (a
 * SQL expression), the rows' sequences are `base` plus `firstSeq` on.
 */
const insertText = (stmt: Statement, info: TableInfo, rows: ReadonlyArray<Row>, firstSeq: number, skipTaken: boolean, base?: string): string => {
  const dialect = stmt.dialect
  const tail = skipTaken ? ` ON CONFLICT DO NOTHING RETURNING ${quote(SEQ)} AS seq` : ""
  const unnestType = dialect.unnestType
  if (unnestType !== undefined) {
    // One array parameter per column, as an array literal, its text the same whatever the number
    // of rows; a column with one value in every row (an import's account, version, stamps...) is
    // one scalar parameter instead: less to serialise and for the server to parse.
    const selected: Array<string> = []
    const arrays: Array<string> = []
    const names: Array<string> = []
    for (const [i, c] of info.columns.entries()) {
      const name = c.name
      const values: Array<unknown> = new Array(rows.length)
      let same = true
      for (let r = 0; r < rows.length; r++) {
        const value = dialect.encode(c.kind, rows[r]?.[name])
        values[r] = value
        if (same && r > 0 && value !== values[0]) same = false
      }
      const type = unnestType(c.kind)
      if (same && rows.length > 1) {
        const p = `${stmt.param(values[0])}::${type.slice(0, -2)}`
        selected.push(c.kind === "json" ? `${p}::jsonb` : p)
        continue
      }
      arrays.push(`${stmt.param(arrayLiteral(values))}::${type}`)
      names.push(`c${i}`)
      selected.push(c.kind === "json" ? `c${i}::jsonb` : `c${i}`)
    }
    const seqs: Array<number> = new Array(rows.length)
    for (let r = 0; r < rows.length; r++) seqs[r] = firstSeq + r
    arrays.push(`${stmt.param(arrayLiteral(seqs))}::bigint[]`)
    names.push("s")
    selected.push(base === undefined ? "s" : `${base} + s`)
    return `INSERT INTO ${dialect.table(info.name)} (${insertColumns(info)}) SELECT ${selected.join(", ")} FROM unnest(${arrays.join(", ")}) AS u(${names.join(", ")})${tail}`
  }
  const values = rows.map((row, i) => {
    const placeholders = info.columns.map((c) => {
      const p = stmt.param(dialect.encode(c.kind, row[c.name]))
      return c.kind === "json" ? dialect.jsonPlaceholder(p) : p
    })
    const seq = stmt.param(firstSeq + i)
    placeholders.push(base === undefined ? seq : `${base} + ${seq}`)
    return `(${placeholders.join(", ")})`
  })
  return `INSERT INTO ${dialect.table(info.name)} (${insertColumns(info)}) VALUES ${values.join(", ")}${tail}`
}

/** The single-row insert of a table (its text and columns), made once per table and dialect. */
interface SingleRowInsert {
  readonly dialect: SqlDialect
  readonly text: string
  readonly names: ReadonlyArray<string>
  readonly kinds: ReadonlyArray<ColumnKind>
}

const singleRowInserts = new WeakMap<TableInfo, SingleRowInsert>()

const singleRowInsert = (dialect: SqlDialect, info: TableInfo): SingleRowInsert => {
  const known = singleRowInserts.get(info)
  if (known !== undefined && known.dialect === dialect) return known
  const placeholders = [...info.columns, SEQ].map((_, i) => dialect.placeholder(i + 1))
  const made: SingleRowInsert = {
    dialect,
    text: `INSERT INTO ${dialect.table(info.name)} (${insertColumns(info)}) VALUES (${placeholders.join(", ")})`,
    names: info.columns.map((c) => c.name),
    kinds: info.columns.map((c) => c.kind)
  }
  singleRowInserts.set(info, made)
  return made
}

/** Rows one at a time through one single-row statement (a prepared statement run once per row). */
export const compileInsertEach = (
  dialect: SqlDialect,
  info: TableInfo,
  rows: ReadonlyArray<Row>,
  firstSeq: number
): { readonly text: string; readonly paramLists: ReadonlyArray<ReadonlyArray<unknown>> } => {
  const { text, names, kinds } = singleRowInsert(dialect, info)
  const n = names.length
  const paramLists: Array<Array<unknown>> = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Row
    const params: Array<unknown> = new Array(n + 1)
    for (let k = 0; k < n; k++) params[k] = dialect.encode(kinds[k] as ColumnKind, row[names[k] as string])
    params[n] = firstSeq + i
    paramLists[i] = params
  }
  return { text, paramLists }
}

/**
 * Inserts the rows of a JSON text (core's `EncodedRows`) in one statement, their sequences from
 * `firstSeq` on, through the dialect's `jsonRows`: the table's columns among the text's columns
 * and its constants are written (as `compileInsert` writes a row's table columns; the others are
 * NULL), each constant as one parameter.
 */
export const compileInsertEncoded = (
  dialect: SqlDialect,
  info: TableInfo,
  rows: EncodedRows,
  firstSeq: number,
  jsonRows: (placeholder: string, positions: ReadonlyArray<number>) => string
): Compiled => {
  const positions: Array<number> = []
  const names: Array<string> = []
  const selected: Array<string> = []
  rows.columns.forEach((name, k) => {
    if (!info.kinds.has(name)) return
    selected.push(`c${positions.length}`)
    positions.push(k)
    names.push(name)
  })
  const stmt = new Statement(dialect)
  // Placeholders in the order of the text (SQLite's are positional).
  for (const { column, value } of rows.constants) {
    const kind = info.kinds.get(column)
    if (kind === undefined) continue
    names.push(column)
    // A JSON column's constant is its JSON text already.
    selected.push(stmt.param(kind === "json" ? value : dialect.encode(kind, value)))
  }
  selected.push(`${stmt.param(firstSeq)} + i`)
  const from = jsonRows(stmt.param(rows.text), positions)
  return stmt.done(`INSERT INTO ${dialect.table(info.name)} (${[...names, SEQ].map(quote).join(", ")}) SELECT ${selected.join(", ")} FROM (${from})`)
}

/** Replaces a row (all of its columns but the id) if it still has the expected version. */
export const compileUpdate = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, row: Row, expectedVersion: number, seq: number): Compiled => {
  const stmt = new Statement(dialect)
  const sets = info.columns
    .filter((c) => c.name !== "id")
    .map((c) => {
      const p = stmt.param(dialect.encode(c.kind, row[c.name]))
      return `${quote(c.name)} = ${c.kind === "json" ? dialect.jsonPlaceholder(p) : p}`
    })
  sets.push(`${quote(SEQ)} = ${stmt.param(seq)}`)
  return stmt.done(
    `UPDATE ${dialect.table(info.name)} SET ${sets.join(", ")} WHERE ${quote("id")} = ${stmt.param(String(row["id"]))} AND ${scopeCondition(info, scope, stmt, "key")} AND ${quote("version")} = ${stmt.param(expectedVersion)}`
  )
}

/**
 * Adds `by` to an integer column of one row, with a new version, `updatedAt` and sequence, answering
 * the column's new value (one statement: concurrent increments wait for each other's row lock).
 * With a `block` (PostgreSQL), the statement also reserves that many change sequences with
 * `reserve` (a statement without parameters answering the last as `value`, see the executor's
 * `seqsFor`) and answers the last as `last`.
 */
export const compileIncrement = (
  dialect: SqlDialect,
  info: TableInfo,
  scope: StoreScope,
  id: string,
  field: string,
  by: number,
  updatedAt: number,
  seq: { readonly seq: number } | { readonly block: number; readonly reserve: string }
): Compiled => {
  const stmt = new Statement(dialect)
  const column = quote(field)
  const sets = [`${column} = ${column} + ${stmt.param(by)}`, `${quote("version")} = ${quote("version")} + 1`]
  const stamp = info.columns.find((c) => c.name === "updatedAt")
  if (stamp !== undefined) sets.push(`${quote("updatedAt")} = ${stmt.param(dialect.encode(stamp.kind, updatedAt))}`)
  // Parameters in the order of the text (SQLite's placeholders are positional).
  if ("seq" in seq) {
    sets.push(`${quote(SEQ)} = ${stmt.param(seq.seq)}`)
    const where = `WHERE ${quote("id")} = ${stmt.param(id)} AND ${scopeCondition(info, scope, stmt, "key")}`
    return stmt.done(`UPDATE ${dialect.table(info.name)} SET ${sets.join(", ")} ${where} RETURNING ${column} AS value`)
  }
  // A block of change sequences reserved in the same statement (a data-modifying CTE, PostgreSQL):
  // the row takes its first.
  const block = stmt.param(seq.block)
  sets.push(`${quote(SEQ)} = (SELECT value FROM reserved) - ${block} + 1`)
  const where = `WHERE ${quote("id")} = ${stmt.param(id)} AND ${scopeCondition(info, scope, stmt, "key")}`
  return stmt.done(
    `WITH reserved AS (${seq.reserve}) UPDATE ${dialect.table(info.name)} SET ${sets.join(", ")} ${where} RETURNING ${column} AS value, (SELECT value FROM reserved) AS last`
  )
}

/** Deletes a row (if it has the expected version, when one is given), returning its version. */
export const compileDelete = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, id: string, expectedVersion: number | undefined): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(
    `DELETE FROM ${dialect.table(info.name)} WHERE ${quote("id")} = ${stmt.param(id)} AND ${scopeCondition(info, scope, stmt, "key")}${
      expectedVersion === undefined ? "" : ` AND ${quote("version")} = ${stmt.param(expectedVersion)}`
    } RETURNING ${quote("version")}`
  )
}

/** A row's current version (why an update or delete touched nothing: the row is missing, or newer). */
export const compileVersionProbe = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, id: string): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(
    `SELECT ${quote("version")} FROM ${dialect.table(info.name)} WHERE ${quote("id")} = ${stmt.param(id)} AND ${scopeCondition(info, scope, stmt, "key")}`
  )
}

/** Takes `block` change sequences from the counter, returning the last (locks the counter row until commit). */
export const compileReserveSeqs = (dialect: SqlDialect, block: number): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(`UPDATE ${dialect.table(COUNTER)} SET value = value + ${stmt.param(block)} WHERE name = 'seq' RETURNING value`)
}
