/**
 * The change feed's statements. The feed is the rows themselves (each carries the sequence of its
 * last write, indexed with its account) plus a tombstone per deleted row in the changes table,
 * keyed by account, model and id (a global model's under {@link NO_ACCOUNT}): `changesSince`
 * merges each table's rows after the position with the tombstones in one statement. Pure: no
 * database is needed to compile.
 * @module
 */
import type { Change, StoreScope } from "@iaso/core"
import { type Compiled, plain, Statement } from "./compile-conditions.ts"
import { literal, quote, type SqlDialect } from "./dialect.ts"
import { CHANGES, COUNTER, NO_ACCOUNT, SEQ, type TableInfo } from "./tables.ts"

/**
 * Changes after sequence `after` for an account (and the global tables), in sequence order, at most
 * `limit`; none above `upTo` when given (the horizon of a store whose writers take sequences out of
 * commit order).
 */
export const compileChangesSince = (
  dialect: SqlDialect,
  tables: Iterable<TableInfo>,
  accountId: string,
  after: number,
  limit: number,
  upTo?: number
): Compiled => {
  const stmt = new Statement(dialect)
  const below = (column: string) => (upTo === undefined ? "" : ` AND ${column} <= ${stmt.param(upTo)}`)
  const n = Math.max(0, Math.floor(limit))
  const no = dialect.booleanLiteral(false)
  // Each table's rows after the position (its sequence index), and the tombstones; merged.
  const parts = [...tables].map((info) => {
    const account = info.scope === "global" ? "CAST(NULL AS TEXT)" : quote("accountId")
    const where = info.scope === "global" ? "" : `${quote("accountId")} = ${stmt.param(accountId)} AND `
    return `SELECT * FROM (SELECT ${literal(info.name)} AS model, ${quote("id")} AS id, ${account} AS ${quote("accountId")}, ${quote(SEQ)} AS seq, ${no} AS deleted, ${quote("version")} AS version FROM ${dialect.table(info.name)} WHERE ${where}${quote(SEQ)} > ${stmt.param(after)}${below(quote(SEQ))} ORDER BY ${quote(SEQ)} LIMIT ${n}) AS ${quote(`f_${info.name}`)}`
  })
  const account = quote("accountId")
  parts.push(
    `SELECT * FROM (SELECT model, id, NULLIF(${account}, ${literal(NO_ACCOUNT)}) AS ${account}, seq, deleted, version FROM ${dialect.table(CHANGES)} WHERE (${account} = ${stmt.param(accountId)} OR ${account} = ${literal(NO_ACCOUNT)}) AND seq > ${stmt.param(after)}${below("seq")} ORDER BY seq LIMIT ${n}) AS ${quote("f_tombstones")}`
  )
  return stmt.done(`SELECT * FROM (${parts.join(" UNION ALL ")}) AS feed ORDER BY seq LIMIT ${n}`)
}

/**
 * The committed value of the counter row (`counter` mode): every sequence a writer has taken or
 * will take afterwards is above it, as the writer holds the row until it commits.
 */
export const compileCounterValue = (dialect: SqlDialect): Compiled => plain(`SELECT value FROM ${dialect.table(COUNTER)} WHERE name = 'seq'`)

/** A row of the feed as a change. */
export const changeOfRow = (row: Record<string, unknown>): Change => ({
  seq: Number(row["seq"]),
  model: String(row["model"]),
  id: String(row["id"]),
  accountId: row["accountId"] === null || row["accountId"] === undefined ? null : String(row["accountId"]),
  deleted: row["deleted"] === true || row["deleted"] === 1,
  version: Number(row["version"])
})

/** The account a tombstone is keyed by: the row's, or {@link NO_ACCOUNT} for a global model's. */
const tombstoneAccount = (accountId: string | null): string => accountId ?? NO_ACCOUNT

/** Records the tombstones of deleted rows (as many statements as the dialect's parameter limit needs). */
export const compileTombstones = (dialect: SqlDialect, changes: ReadonlyArray<Change>): ReadonlyArray<Compiled> => {
  const upsert = `ON CONFLICT (${quote("accountId")}, model, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, version = excluded.version`
  const columns = `(model, id, ${quote("accountId")}, seq, deleted, version)`
  const perRow = 6
  const batch = Math.max(1, Math.floor(dialect.maxParameters / perRow))
  const statements: Array<Compiled> = []
  for (let i = 0; i < changes.length; i += batch) {
    const stmt = new Statement(dialect)
    const values = changes
      .slice(i, i + batch)
      .map(
        (c) =>
          `(${stmt.param(c.model)}, ${stmt.param(c.id)}, ${stmt.param(tombstoneAccount(c.accountId))}, ${stmt.param(c.seq)}, ${stmt.param(dialect.encode("boolean", true))}, ${stmt.param(c.version)})`
      )
    statements.push(stmt.done(`INSERT INTO ${dialect.table(CHANGES)} ${columns} VALUES ${values.join(", ")} ${upsert}`))
  }
  return statements
}

/**
 * An id written again loses its tombstone: the feed then shows the row once, alive. Only the
 * writing account's (another account's row of the same id is another row).
 */
export const compileClearTombstones = (dialect: SqlDialect, info: TableInfo, scope: StoreScope, ids: ReadonlyArray<string>): Compiled => {
  const stmt = new Statement(dialect)
  const accountId = tombstoneAccount(info.scope === "global" ? null : scope.accountId)
  return stmt.done(
    `DELETE FROM ${dialect.table(CHANGES)} WHERE ${quote("accountId")} = ${stmt.param(accountId)} AND model = ${stmt.param(info.name)} AND ${dialect.inList("id", stmt.param(dialect.listParam(ids, "text")), "text")}`
  )
}

/** Drops the live entries an older database kept in the changes table (the feed now reads them from the rows). */
export const compileDropLiveEntries = (dialect: SqlDialect): Compiled => {
  const stmt = new Statement(dialect)
  return stmt.done(`DELETE FROM ${dialect.table(CHANGES)} WHERE deleted = ${stmt.param(dialect.encode("boolean", false))}`)
}
