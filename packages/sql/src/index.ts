/**
 * `@iaso/sql`: the one Kysely implementation of the IASO store port, shared by the SQLite and
 * PostgreSQL adapters. Dialect differences live in a small capability record ({@link SqlDialect}).
 * @document ../README.md
 * @module @iaso/sql
 */
export { makeSqlDriver, type SqlDriverOptions } from "./driver.ts"
export { codePointUpperBound } from "./compile-conditions.ts"
export { SQL_INTERNAL_MIGRATIONS } from "./migrations.ts"
export { RERUN } from "./rerun.ts"
export type { AnyKysely, NativeConnection, StatementResult } from "./transactions.ts"
export { postgresDialect, postgresDialectIn, quote, literal, sqliteDialect, type Classified, type SqlDialect } from "./dialect.ts"
