/**
 * The small capability record behind which SQLite and PostgreSQL differ: column types, parameter
 * placeholders and encodings, a few operators, row locks, whether a primary key can be altered in
 * place, and how driver errors are classified (and which of them are lost conflicts, which a
 * transaction survives by running again). Everything else in `@iaso/sql` is shared.
 * @module
 */
import { StorageError } from "@iaso/core"
import type { Column, ColumnKind, Scalar } from "@iaso/core"

/** A classified driver failure: a unique key refused the write, or a storage error. */
export type Classified = { readonly _tag: "Duplicate"; readonly constraint: string | undefined; readonly columns: ReadonlyArray<string> } | StorageError

/** What differs between SQL dialects. */
export interface SqlDialect {
  readonly name: "sqlite" | "postgres"
  /**
   * The schema the store's tables live in (PostgreSQL, see {@link postgresDialectIn}), or
   * `undefined` for the connection's own: the first schema of its search path, SQLite's database.
   */
  readonly schema: string | undefined
  /**
   * A table's (or an index's) name as statements refer to it: quoted, and qualified by
   * {@link SqlDialect.schema} where there is one. A name being created or renamed to
   * (`CREATE INDEX name`, `RENAME TO name`) is quoted alone: PostgreSQL puts an index in its
   * table's schema.
   */
  readonly table: (name: string) => string
  /** The placeholder of the n-th parameter (1-based). */
  readonly placeholder: (n: number) => string
  /** The SQL type of a column (without NULL-ness). */
  readonly columnType: (column: Column) => string
  /** A domain (stored-form) value to a driver parameter. */
  readonly encode: (kind: ColumnKind, value: unknown) => unknown
  /** A driver value to the stored form (`undefined` for NULL). */
  readonly decode: (kind: ColumnKind, value: unknown) => unknown
  /** The placeholder expression of a JSON parameter (a cast where needed). */
  readonly jsonPlaceholder: (placeholder: string) => string
  /** `expr IN list` with the list as ONE parameter, and how to encode that parameter. */
  readonly inList: (expr: string, placeholder: string, kind: ColumnKind) => string
  readonly listParam: (values: ReadonlyArray<Scalar>, kind: ColumnKind) => unknown
  /** `a IS DISTINCT FROM b`. */
  readonly distinctFrom: (a: string, b: string) => string
  /** Substring test (`b` occurs in `a`). */
  readonly contains: (a: string, b: string) => string
  /** A boolean as a SQL literal (partial index predicates, constant columns). */
  readonly booleanLiteral: (value: Scalar) => string
  /**
   * A column the planner cannot use an index for: with an id or path condition at hand, the
   * account test must not steer the planner to the account's index (a whole account's rows), even
   * with stale statistics after an import.
   */
  readonly unindexed: (column: string) => string
  /** The parenthesised key columns of an index and the columns it covers (read from the index alone). */
  readonly indexColumns: (fields: ReadonlyArray<string>, include: ReadonlyArray<string>) => string
  /** Whether `SELECT ... FOR UPDATE` exists (PostgreSQL). */
  readonly rowLocks: boolean
  /**
   * Whether a table's primary key can be replaced in place (`ALTER TABLE ... DROP CONSTRAINT ...,
   * ADD CONSTRAINT ... PRIMARY KEY`, PostgreSQL); where it cannot (SQLite), a table re-keyed by
   * account is rebuilt.
   */
  readonly alterPrimaryKey: boolean
  /** Largest number of bind parameters in one statement. */
  readonly maxParameters: number
  /**
   * The array type of a column kind for bulk inserts through `unnest` (one array parameter per
   * column, whatever the number of rows), or `undefined` where the dialect has no `unnest`.
   */
  readonly unnestType: ((kind: ColumnKind) => string) | undefined
  /**
   * The rows of a JSON text of arrays (core's `EncodedRows`, the parameter `placeholder`) as a
   * table: the values at `positions` of each row as `c0`, `c1`..., and the row's index as `i`; or
   * `undefined` where the store does not insert such texts (`insertEncoded` absent).
   */
  readonly jsonRows: ((placeholder: string, positions: ReadonlyArray<number>) => string) | undefined
  /** The planner statistics the driver refreshes after large inserts, or `undefined` where there are none to refresh. */
  readonly statistics: PlannerStatistics | undefined
  /** Classifies a driver error. */
  readonly classify: (error: unknown) => Classified
  /**
   * Whether a driver error says the transaction lost a conflict with another one (a deadlock, a
   * serialization failure, a database busy or locked by another connection): the transaction is
   * to be rolled back, and running it again whole may succeed.
   */
  readonly lostConflict: (error: unknown) => boolean
}

/** How a dialect's planner statistics are read and refreshed. */
export interface PlannerStatistics {
  /** The planner's estimate of a table's rows, as column `reltuples`; one parameter, the table as {@link SqlDialect.table} names it. */
  readonly estimatedRows: string
  /** The statements (run in one transaction) that refresh a table's statistics (named as {@link SqlDialect.table} does) with a sample of this target. */
  readonly refresh: (table: string, target: number) => ReadonlyArray<string>
}

/** Quotes an identifier (both dialects use double quotes). */
export const quote = (name: string): string => (name.includes('"') ? `"${name.replace(/"/g, '""')}"` : `"${name}"`)

/** A SQL string literal (for DDL, where parameters are not allowed). */
export const literal = (value: Scalar): string =>
  typeof value === "string" ? `'${value.replace(/'/g, "''")}'` : typeof value === "boolean" ? (value ? "TRUE" : "FALSE") : String(value)

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))
const codeOf = (error: unknown): string => {
  const code = (error as { readonly code?: unknown } | null)?.code
  return typeof code === "string" ? code : ""
}

/** SQLite's busy and locked answers (the busy timeout ran out, or a table is locked). */
const sqliteLostConflict = (error: unknown): boolean => /^SQLITE_(BUSY|LOCKED)/.test(codeOf(error))

/** PostgreSQL's serialization failure (40001) and deadlock (40P01). */
const postgresLostConflict = (error: unknown): boolean => codeOf(error) === "40001" || codeOf(error) === "40P01"

const parseJson = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : value)

/** SQLite (better-sqlite3): JSON as text, booleans as 0/1, BINARY text order (code points on UTF-8). */
export const sqliteDialect: SqlDialect = {
  name: "sqlite",
  schema: undefined,
  table: quote,
  placeholder: () => "?",
  columnType: (column) => {
    switch (column.kind) {
      case "text":
      case "json":
        return "TEXT"
      case "integer":
      case "boolean":
        return "INTEGER"
      case "real":
        return "REAL"
    }
  },
  encode: (kind, value) => {
    if (value === undefined || value === null) return null
    if (kind === "json") return JSON.stringify(value)
    if (kind === "boolean") return value === true ? 1 : 0
    return value
  },
  decode: (kind, value) => {
    if (value === null || value === undefined) return undefined
    if (kind === "json") return parseJson(value)
    if (kind === "boolean") return value === 1 || value === true || value === 1n
    if (typeof value === "bigint") return Number(value)
    return value
  },
  jsonPlaceholder: (placeholder) => placeholder,
  inList: (expr, placeholder) => `${expr} IN (SELECT value FROM json_each(${placeholder}))`,
  listParam: (values, kind) => JSON.stringify(kind === "boolean" ? values.map((v) => (v === true ? 1 : 0)) : values),
  distinctFrom: (a, b) => `${a} IS NOT ${b}`,
  contains: (a, b) => `instr(${a}, ${b}) > 0`,
  booleanLiteral: (value) => (value === true ? "1" : "0"),
  // The unary + makes the expression unindexable.
  unindexed: (column) => `+${column}`,
  // Covered columns as trailing key columns: the same effect for reads.
  indexColumns: (fields, include) => `(${[...fields, ...include].map(quote).join(", ")})`,
  rowLocks: false,
  alterPrimaryKey: false,
  maxParameters: 32_000,
  unnestType: undefined,
  // `->>` answers SQL values: JSON numbers as INTEGER or REAL (the column's affinity decides),
  // `true`/`false` as 1/0, strings as TEXT, `null` as NULL. `jsonb_each` parses the text once.
  jsonRows: (placeholder, positions) =>
    `SELECT ${[...positions.map((k, i) => `value->>${k} AS c${i}`), "key AS i"].join(", ")} FROM jsonb_each(${placeholder})`,
  statistics: undefined,
  classify: (error) => {
    const code = codeOf(error)
    const message = messageOf(error)
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
      const columns = (/constraint failed: (.*)$/.exec(message)?.[1] ?? "").split(",").map((part) => part.trim().replace(/^[^.]*\./, ""))
      return { _tag: "Duplicate", constraint: code === "SQLITE_CONSTRAINT_PRIMARYKEY" ? "id" : undefined, columns }
    }
    if (sqliteLostConflict(error)) {
      return new StorageError({
        reason: "unavailable",
        retryable: true,
        message: `the SQLite database is locked by another connection: ${message}`,
        cause: error
      })
    }
    if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
      return new StorageError({ reason: "corrupt", retryable: false, message: `the SQLite file is damaged or not a database: ${message}`, cause: error })
    }
    if (code.startsWith("SQLITE_CONSTRAINT")) return new StorageError({ reason: "constraint", retryable: false, message, cause: error })
    if (code === "SQLITE_FULL" || code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_READONLY")) {
      return new StorageError({ reason: "unavailable", retryable: false, message, cause: error })
    }
    return new StorageError({ reason: "unknown", retryable: false, message, cause: error })
  },
  lostConflict: sqliteLostConflict
}

/**
 * PostgreSQL (pg, PGlite): jsonb, booleans, `COLLATE "C"` text (code-point order), bigint integers;
 * the tables in the connection's current schema (the first of its search path).
 */
export const postgresDialect: SqlDialect = {
  name: "postgres",
  schema: undefined,
  table: quote,
  placeholder: (n) => `$${n}`,
  columnType: (column) => {
    switch (column.kind) {
      case "text":
        return 'TEXT COLLATE "C"'
      case "json":
        return "JSONB"
      case "integer":
        return "BIGINT"
      case "boolean":
        return "BOOLEAN"
      case "real":
        return "DOUBLE PRECISION"
    }
  },
  encode: (kind, value) => {
    if (value === undefined || value === null) return null
    if (kind === "json") return JSON.stringify(value)
    return value
  },
  decode: (kind, value) => {
    if (value === null || value === undefined) return undefined
    // pg and PGlite parse jsonb already (a JSON string value arrives as a JS string).
    if (kind === "json") return value
    if (kind === "integer" || kind === "real") return typeof value === "string" || typeof value === "bigint" ? Number(value) : value
    return value
  },
  jsonPlaceholder: (placeholder) => `${placeholder}::jsonb`,
  inList: (expr, placeholder, kind) =>
    `${expr} = ANY(${placeholder}::${kind === "integer" ? "bigint" : kind === "real" ? "double precision" : kind === "boolean" ? "boolean" : "text"}[])`,
  listParam: (values) => [...values],
  distinctFrom: (a, b) => `${a} IS DISTINCT FROM ${b}`,
  contains: (a, b) => `strpos(${a}, ${b}) > 0`,
  booleanLiteral: literal,
  // A no-op concatenation makes the expression unindexable.
  unindexed: (column) => `(${column} || '')`,
  indexColumns: (fields, include) => `(${fields.map(quote).join(", ")})${include.length > 0 ? ` INCLUDE (${include.map(quote).join(", ")})` : ""}`,
  rowLocks: true,
  alterPrimaryKey: true,
  maxParameters: 60_000,
  jsonRows: undefined,
  unnestType: (kind) => (kind === "integer" ? "bigint[]" : kind === "real" ? "double precision[]" : kind === "boolean" ? "boolean[]" : "text[]"),
  statistics: {
    estimatedRows: `SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)`,
    refresh: (table, target) => [`SET LOCAL default_statistics_target = ${target}`, `ANALYZE ${table}`]
  },
  classify: (error) => {
    const code = codeOf(error)
    const message = messageOf(error)
    if (code === "23505") {
      const constraint = (error as { readonly constraint?: unknown }).constraint
      const name = typeof constraint === "string" ? constraint : undefined
      return { _tag: "Duplicate", constraint: name?.endsWith("_pkey") === true ? "id" : name, columns: [] }
    }
    if (postgresLostConflict(error)) {
      return new StorageError({
        reason: "serialization",
        retryable: true,
        message: `the transaction conflicted with another one (${code === "40P01" ? "deadlock" : "serialization failure"}): ${message}`,
        cause: error
      })
    }
    if (code === "57014") return new StorageError({ reason: "timeout", retryable: true, message, cause: error })
    if (
      code.startsWith("08") ||
      code === "57P01" ||
      code === "57P02" ||
      code === "57P03" ||
      /terminat|Connection terminated|connection error|not queryable|ECONNREFUSED|ECONNRESET/i.test(message)
    ) {
      return new StorageError({ reason: "unavailable", retryable: true, message: `the PostgreSQL connection was lost: ${message}`, cause: error })
    }
    if (code.startsWith("23")) return new StorageError({ reason: "constraint", retryable: false, message, cause: error })
    if (code === "XX001" || code === "XX002") return new StorageError({ reason: "corrupt", retryable: false, message, cause: error })
    return new StorageError({ reason: "unknown", retryable: false, message, cause: error })
  },
  lostConflict: postgresLostConflict
}

/**
 * PostgreSQL with the store's tables in `schema`: every table and index a statement names is
 * qualified by it, whatever the connection's search path.
 */
export const postgresDialectIn = (schema: string): SqlDialect => ({
  ...postgresDialect,
  schema,
  table: (name) => `${quote(schema)}.${quote(name)}`
})
