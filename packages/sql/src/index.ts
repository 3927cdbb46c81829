/**
 * `@iaso/sql`: the one Kysely implementation of the IASO store port, shared by the SQLite and
 * PostgreSQL adapters. Dialect differences live in a small capability record ({@link SqlDialect}).
 * @module
 */
export { makeSqlDriver, codePointUpperBound, SQL_INTERNAL_MIGRATIONS, type SqlDriverOptions, type AnyKysely, type NativeConnection, type StatementResult } from "./driver.ts"
export { postgresDialect, quote, literal, sqliteDialect, type Classified, type SqlDialect } from "./dialect.ts"
