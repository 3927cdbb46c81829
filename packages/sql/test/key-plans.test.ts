/**
 * The query plans SQLite chooses on the tables the core's migrations build (an in-memory database,
 * every step's DDL run as `migrate` runs it): in a table keyed by account and id, a statement by id
 * searches the primary key with both columns, and a subtree searches the path index rather than
 * the account's indexes.
 */
import { CORE_MIGRATIONS, type Row, type StoreScope } from "@iaso/core"
import Database from "better-sqlite3"
import { afterAll, describe, expect, it } from "vitest"
import type { Compiled } from "../src/compile-conditions.ts"
import { compileGetMany, compileRowLookup, compileSubtree } from "../src/compile-query.ts"
import { compileDelete, compileUpdate, compileVersionProbe } from "../src/compile-write.ts"
import { stepDdl } from "../src/ddl.ts"
import { sqliteDialect } from "../src/dialect.ts"
import { learnStep, type TableInfo } from "../src/tables.ts"

const db = new Database(":memory:")
afterAll(() => db.close())
const tables = new Map<string, TableInfo>()
for (const migration of CORE_MIGRATIONS) {
  for (const step of migration.steps) {
    for (const text of stepDdl(sqliteDialect, step, tables.get(step.model))) db.exec(text)
    learnStep(tables, step)
  }
}
const units = tables.get("OrgUnit") as TableInfo
const scope: StoreScope = { accountId: "acc1" }

/** What SQLite's planner does for a statement: one line per step. */
const planOf = (statement: Compiled): ReadonlyArray<string> =>
  (db.prepare(`EXPLAIN QUERY PLAN ${statement.text}`).all(...statement.params) as Array<{ detail: string }>).map((row) => row.detail)

describe("SQLite plans on the tables of the core's migrations", () => {
  it("in a table keyed by account and id, reads, updates, deletes and probes by id search the primary key on both columns", () => {
    const key = "SEARCH OrgUnit USING INDEX sqlite_autoindex_OrgUnit_1 (accountId=? AND id=?)"
    const row: Row = Object.fromEntries(units.columns.map((c) => [c.name, c.kind === "json" ? {} : c.kind === "text" ? "x" : 1]))
    expect(planOf(compileGetMany(sqliteDialect, units, scope, ["u1", "u2"]))[0]).toBe(key)
    expect(planOf(compileRowLookup(sqliteDialect, units, scope, "u1", ["path"]))).toEqual([key])
    expect(planOf(compileUpdate(sqliteDialect, units, scope, row, 1, 2))).toEqual([key])
    expect(planOf(compileDelete(sqliteDialect, units, scope, "u1", 1))).toEqual([key])
    expect(planOf(compileVersionProbe(sqliteDialect, units, scope, "u1"))).toEqual([key])
  })

  it("a subtree searches the path index; the root's path, read from its id, the primary key", () => {
    const hierarchy = { path: "path", depth: "depth" }
    const query = { where: [], orderBy: [{ field: "path", direction: "asc" as const }], limit: 10, select: ["id", "name"] }
    expect(planOf(compileSubtree(sqliteDialect, units, scope, hierarchy, { prefix: "a/" }, query))).toEqual([
      "SEARCH OrgUnit USING COVERING INDEX org_unit_path_covering (path>? AND path<?)"
    ])
    expect(planOf(compileSubtree(sqliteDialect, units, scope, hierarchy, { rootId: "a" }, query))).toMatchInlineSnapshot(`
      [
        "SEARCH OrgUnit USING COVERING INDEX org_unit_path_covering (path>? AND path<?)",
        "SCALAR SUBQUERY 1",
        "SEARCH OrgUnit USING INDEX sqlite_autoindex_OrgUnit_1 (accountId=? AND id=?)",
        "SCALAR SUBQUERY 2",
        "SEARCH OrgUnit USING INDEX sqlite_autoindex_OrgUnit_1 (accountId=? AND id=?)",
      ]
    `)
  })
})
