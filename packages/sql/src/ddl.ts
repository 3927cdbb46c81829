/**
 * DDL from the core's dialect-neutral migration steps: one table per model (a column per field,
 * the sequence column and its index for the change feed), added columns, (partial, covering)
 * indexes; and the driver's own tables (ledger, counter, tombstones).
 * @module
 */
import type { MigrationStep } from "@iaso/core"
import { compileCondition, literals } from "./compile-conditions.ts"
import { quote, type SqlDialect } from "./dialect.ts"
import { CHANGES, COUNTER, LEDGER, SEQ, type TableInfo } from "./tables.ts"

/** The driver's own tables, created if missing. */
export const bootstrapDdl = (dialect: SqlDialect): ReadonlyArray<string> => [
  `CREATE TABLE IF NOT EXISTS ${quote(LEDGER)} (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${quote(COUNTER)} (name TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
  `INSERT INTO ${quote(COUNTER)} (name, value) VALUES ('seq', 0) ON CONFLICT (name) DO NOTHING`,
  `CREATE TABLE IF NOT EXISTS ${quote(CHANGES)} (model TEXT NOT NULL, id TEXT NOT NULL, ${quote("accountId")} TEXT, seq BIGINT NOT NULL, deleted ${dialect.columnType({ name: "deleted", kind: "boolean", nullable: false })} NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (model, id))`,
  `CREATE INDEX IF NOT EXISTS ${quote(`${CHANGES}_account_seq`)} ON ${quote(CHANGES)} (${quote("accountId")}, seq)`
]

/** The index of a table's change sequence (with its account): the change feed reads it. */
export const seqIndexDdl = (model: string, scope: "account" | "global", ifNotExists: "" | "IF NOT EXISTS ") =>
  scope === "account"
    ? `CREATE INDEX ${ifNotExists}${quote(`${model}_account_seq`)} ON ${quote(model)} (${quote("accountId")}, ${quote(SEQ)})`
    : `CREATE INDEX ${ifNotExists}${quote(`${model}_seq`)} ON ${quote(model)} (${quote(SEQ)})`

/** The statements of a migration step; `info`, the step's table, gives a partial index's predicate its column kinds. */
export const stepDdl = (dialect: SqlDialect, step: MigrationStep, info: TableInfo | undefined): ReadonlyArray<string> => {
  switch (step.op) {
    case "createModel": {
      const columns = step.columns.map(
        (c) => `${quote(c.name)} ${dialect.columnType(c)}${c.nullable ? "" : " NOT NULL"}${c.name === "id" ? " PRIMARY KEY" : ""}`
      )
      columns.push(`${quote(SEQ)} BIGINT NOT NULL`)
      return [`CREATE TABLE ${quote(step.model)} (${columns.join(", ")})`, seqIndexDdl(step.model, step.scope, "")]
    }
    case "addColumn":
      return [`ALTER TABLE ${quote(step.model)} ADD COLUMN ${quote(step.column.name)} ${dialect.columnType(step.column)}`]
    case "createIndex": {
      const predicate = step.index.where ?? []
      const where =
        predicate.length === 0 || info === undefined
          ? ""
          : ` WHERE ${predicate.map((condition) => compileCondition(info.kinds, condition, literals(dialect))).join(" AND ")}`
      const columns = dialect.indexColumns(step.index.fields, step.index.include ?? [])
      return [`CREATE ${step.index.unique === true ? "UNIQUE " : ""}INDEX ${quote(step.index.name)} ON ${quote(step.model)} ${columns}${where}`]
    }
    case "dropIndex":
      return [`DROP INDEX ${quote(step.name)}`]
  }
}
