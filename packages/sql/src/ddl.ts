/**
 * DDL from the core's dialect-neutral migration steps: one table per model (a column per field,
 * the sequence column and its index for the change feed, the primary key on `id` or on
 * `accountId` and `id`), added columns, (partial, covering) indexes, the re-keying of a table by
 * account; and the driver's own tables (ledger, counter, tombstones) with the move of older
 * tombstones to their account-keyed layout.
 * @module
 */
import type { Column, MigrationStep } from "@iaso/core"
import { compileCondition, literals } from "./compile-conditions.ts"
import { literal, quote, type SqlDialect } from "./dialect.ts"
import { CHANGES, COUNTER, LEDGER, NO_ACCOUNT, PAGE, SEQ, type TableInfo } from "./tables.ts"

/** The tombstones table and its index (by account and sequence), created if missing. */
const changesTableDdl = (dialect: SqlDialect): ReadonlyArray<string> => [
  `CREATE TABLE IF NOT EXISTS ${dialect.table(CHANGES)} (model TEXT NOT NULL, id TEXT NOT NULL, ${quote("accountId")} TEXT NOT NULL, seq BIGINT NOT NULL, deleted ${dialect.columnType({ name: "deleted", kind: "boolean", nullable: false })} NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (${quote("accountId")}, model, id))`,
  `CREATE INDEX IF NOT EXISTS ${quote(`${CHANGES}_account_seq`)} ON ${dialect.table(CHANGES)} (${quote("accountId")}, seq)`
]

/**
 * The driver's own tables, created if missing. A tombstone is keyed by its account, model and id;
 * a global model's tombstones have the account {@link NO_ACCOUNT} (a key column cannot be NULL).
 */
export const bootstrapDdl = (dialect: SqlDialect): ReadonlyArray<string> => [
  `CREATE TABLE IF NOT EXISTS ${dialect.table(LEDGER)} (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${dialect.table(COUNTER)} (name TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
  `INSERT INTO ${dialect.table(COUNTER)} (name, value) VALUES ('seq', 0) ON CONFLICT (name) DO NOTHING`,
  ...changesTableDdl(dialect)
]

/**
 * The PostgreSQL sequence change sequences are drawn from where writers run concurrently (see
 * `transactions.ts`: values are multiples of the block size, each the last of its block), created
 * if missing and started above every sequence the counter row handed out.
 */
export const sequenceDdl = (dialect: SqlDialect, sequence: string): ReadonlyArray<string> => [
  `CREATE SEQUENCE IF NOT EXISTS ${sequence} AS BIGINT INCREMENT BY ${PAGE} MINVALUE 0 START WITH 0`,
  `SELECT setval(${literal(sequence)}, (SELECT (value / ${PAGE} + 1) * ${PAGE} FROM ${dialect.table(COUNTER)} WHERE name = 'seq'), true) FROM ${sequence} WHERE NOT is_called`
]

/**
 * Moves the tombstones to the layout keyed by account, model and id (older databases keyed them by
 * model and id, with a NULL account for global models): copied aside, the table created anew as
 * {@link bootstrapDdl} does, copied back. On a table already in that layout it changes nothing.
 */
export const tombstonesByAccountDdl = (dialect: SqlDialect): ReadonlyArray<string> => {
  const aside = dialect.table(`${CHANGES}__old`)
  const columns = `model, id, ${quote("accountId")}, seq, deleted, version`
  return [
    `CREATE TABLE ${aside} AS SELECT model, id, COALESCE(${quote("accountId")}, ${literal(NO_ACCOUNT)}) AS ${quote("accountId")}, seq, deleted, version FROM ${dialect.table(CHANGES)}`,
    `DROP TABLE ${dialect.table(CHANGES)}`,
    ...changesTableDdl(dialect),
    `INSERT INTO ${dialect.table(CHANGES)} (${columns}) SELECT ${columns} FROM ${aside}`,
    `DROP TABLE ${aside}`
  ]
}

/** The index of a table's change sequence (with its account): the change feed reads it. */
export const seqIndexDdl = (dialect: SqlDialect, model: string, scope: "account" | "global", ifNotExists: "" | "IF NOT EXISTS ") =>
  scope === "account"
    ? `CREATE INDEX ${ifNotExists}${quote(`${model}_account_seq`)} ON ${dialect.table(model)} (${quote("accountId")}, ${quote(SEQ)})`
    : `CREATE INDEX ${ifNotExists}${quote(`${model}_seq`)} ON ${dialect.table(model)} (${quote(SEQ)})`

/**
 * The name of a model table's primary key: PostgreSQL's own name for the inline key of the tables
 * created before keys were named (`<table>_pkey`), which its classification of a duplicate reads
 * as the id.
 */
const primaryKeyName = (model: string): string => `${model}_pkey`

/** The columns of a table's primary key: `accountId` and `id`, or `id` alone. */
const primaryKeyColumns = (keyedByAccount: boolean): string => (keyedByAccount ? `${quote("accountId")}, ${quote("id")}` : quote("id"))

/** A model's table named `table`: a column per field, the sequence column, the primary key. */
const createTableDdl = (dialect: SqlDialect, table: string, model: string, columns: ReadonlyArray<Column>, keyedByAccount: boolean): string => {
  const defined = columns.map((c) => `${quote(c.name)} ${dialect.columnType(c)}${c.nullable ? "" : " NOT NULL"}`)
  defined.push(`${quote(SEQ)} BIGINT NOT NULL`)
  defined.push(`CONSTRAINT ${quote(primaryKeyName(model))} PRIMARY KEY (${primaryKeyColumns(keyedByAccount)})`)
  return `CREATE TABLE ${dialect.table(table)} (${defined.join(", ")})`
}

/**
 * Re-keys a model's table by account and id. In place where the dialect alters primary keys (the
 * foreign keys that referenced the old key dropped with it: the PostgreSQL adapter adds them again
 * on the new key); otherwise rebuilt: a table with the new key filled from the old one, which is
 * dropped, the new one renamed, and the sequence index and every declared index created again.
 */
const rekeyDdl = (dialect: SqlDialect, info: TableInfo): ReadonlyArray<string> => {
  const table = dialect.table(info.name)
  const key = quote(primaryKeyName(info.name))
  if (dialect.alterPrimaryKey) return [`ALTER TABLE ${table} DROP CONSTRAINT ${key} CASCADE, ADD CONSTRAINT ${key} PRIMARY KEY (${primaryKeyColumns(true)})`]
  const rebuilt = `${info.name}__rekey`
  const columns = [...info.columns.map((c) => c.name), SEQ].map(quote).join(", ")
  return [
    createTableDdl(dialect, rebuilt, info.name, info.columns, true),
    `INSERT INTO ${dialect.table(rebuilt)} (${columns}) SELECT ${columns} FROM ${table}`,
    `DROP TABLE ${table}`,
    `ALTER TABLE ${dialect.table(rebuilt)} RENAME TO ${quote(info.name)}`,
    seqIndexDdl(dialect, info.name, info.scope, ""),
    ...info.schema.indexes.flatMap((index) => stepDdl(dialect, { op: "createIndex", model: info.name, index }, info))
  ]
}

/**
 * The statements of a migration step. `info` is the step's table before the step: it gives a
 * partial index's predicate its column kinds, and a re-keyed table its columns and indexes (a
 * model not created, global or already keyed by account is not re-keyed).
 */
export const stepDdl = (dialect: SqlDialect, step: MigrationStep, info: TableInfo | undefined): ReadonlyArray<string> => {
  switch (step.op) {
    case "createModel":
      return [
        createTableDdl(dialect, step.model, step.model, step.columns, step.keyedByAccount === true && step.scope === "account"),
        seqIndexDdl(dialect, step.model, step.scope, "")
      ]
    case "addColumn":
      return [`ALTER TABLE ${dialect.table(step.model)} ADD COLUMN ${quote(step.column.name)} ${dialect.columnType(step.column)}`]
    case "createIndex": {
      const predicate = step.index.where ?? []
      const where =
        predicate.length === 0 || info === undefined
          ? ""
          : ` WHERE ${predicate.map((condition) => compileCondition(info.kinds, condition, literals(dialect))).join(" AND ")}`
      const columns = dialect.indexColumns(step.index.fields, step.index.include ?? [])
      return [`CREATE ${step.index.unique === true ? "UNIQUE " : ""}INDEX ${quote(step.index.name)} ON ${dialect.table(step.model)} ${columns}${where}`]
    }
    case "dropIndex":
      return [`DROP INDEX ${dialect.table(step.name)}`]
    case "keyByAccount":
      return info === undefined || info.scope !== "account" || info.schema.keyedByAccount === true ? [] : rekeyDdl(dialect, info)
  }
}
