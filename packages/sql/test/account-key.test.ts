/**
 * Every statement the driver runs on an account-owned table names `accountId`: the key a
 * distributed PostgreSQL (Citus) would shard on, so that each statement can be routed to one
 * shard. Compiled for every account-scoped model the SDK stores, in both dialects.
 *
 * The tombstones of an account's rows are keyed by the account too, and cleared by it. Every
 * account model's table is keyed by account and id after the core's migrations (so another
 * account may hold the same id), and re-keying an older table puts the account in its key.
 *
 * Not covered, by design: global models (catalogues, no account), `inspect` (the test oracle
 * reads every account's rows), host-level reads (`allAccounts`), and the driver's other tables
 * (sequence counter, ledger).
 */
import { ALL_MODELS, type Column, CORE_MIGRATIONS, type Row, type StoreQuery, type StoreScope } from "@iaso/core"
import { describe, expect, it } from "vitest"
import { compileChangesSince, compileClearTombstones, compileTombstones } from "../src/change-feed.ts"
import type { Compiled } from "../src/compile-conditions.ts"
import {
  compileCount,
  compileGetMany,
  compileLockRows,
  compileRewriteCount,
  compileRewritePrefix,
  compileRowLookup,
  compileSelect,
  compileSubtree
} from "../src/compile-query.ts"
import { compileDelete, compileInsert, compileInsertEach, compileUpdate, compileVersionProbe } from "../src/compile-write.ts"
import { stepDdl } from "../src/ddl.ts"
import { postgresDialect, quote, type SqlDialect, sqliteDialect } from "../src/dialect.ts"
import { learnStep, type TableInfo } from "../src/tables.ts"

const tables = new Map<string, TableInfo>()
for (const migration of CORE_MIGRATIONS) for (const step of migration.steps) learnStep(tables, step)
/** The tables as migrations 0001-0004 built them, keyed by id (before `0005_account_keys`). */
const keyedById = new Map<string, TableInfo>()
for (const migration of CORE_MIGRATIONS.slice(0, 4)) for (const step of migration.steps) learnStep(keyedById, step)

const accountModels = ALL_MODELS.filter((model) => model.scope === "account")
const scope: StoreScope = { accountId: "acc1" }

/** A value of each column's kind. */
const sampleValueOf = (column: Column): unknown => {
  switch (column.kind) {
    case "text":
      return "x"
    case "integer":
      return 1
    case "real":
      return 1.5
    case "boolean":
      return true
    case "json":
      return { a: 1 }
  }
}

/** Every statement kind the driver runs on a model's table, with a label. */
const statementsOf = (dialect: SqlDialect, info: TableInfo): ReadonlyArray<readonly [string, Compiled]> => {
  const row: Row = Object.fromEntries(info.columns.map((c) => [c.name, sampleValueOf(c)]))
  const ordered: StoreQuery = { where: [], orderBy: [{ field: "id", direction: "asc" }], after: ["x"], limit: 10, select: ["id"] }
  const byId: StoreQuery = { where: [{ field: "id", op: "eq", value: "x" }], orderBy: [] }
  const each = compileInsertEach(dialect, info, [row], 1)
  const statements: Array<readonly [string, Compiled]> = [
    ["list", compileSelect(dialect, info, scope, ordered)],
    ["list by id", compileSelect(dialect, info, scope, byId)],
    ["getMany", compileGetMany(dialect, info, scope, ["x", "y"])],
    ["count", compileCount(dialect, info, scope, [])],
    ["row lookup", compileRowLookup(dialect, info, scope, "x", ["id"])],
    ["insert", compileInsert(dialect, info, [row, row], 1)],
    ["insert one row", { text: each.text, params: each.paramLists[0] ?? [] }],
    ["update", compileUpdate(dialect, info, scope, row, 1, 2)],
    ["delete", compileDelete(dialect, info, scope, "x", 1)],
    ["delete, any version", compileDelete(dialect, info, scope, "x", undefined)],
    ["version probe", compileVersionProbe(dialect, info, scope, "x")],
    ...stepDdl(
      dialect,
      {
        op: "createModel",
        model: info.name,
        scope: info.scope,
        columns: info.columns,
        ...(info.schema.keyedByAccount === true ? { keyedByAccount: true } : {})
      },
      info
    ).map((text) => ["create table", { text, params: [] }] as const),
    [
      "record tombstones",
      compileTombstones(dialect, [{ seq: 1, model: info.name, id: "x", accountId: "acc1", deleted: true, version: 1 }])[0] ?? { text: "", params: [] }
    ],
    ["clear tombstones", compileClearTombstones(dialect, info, scope, ["x", "y"])]
  ]
  if (dialect.rowLocks) statements.push(["lock rows", compileLockRows(dialect, info, scope, ["x", "y"])])
  const hierarchy = info.hierarchy
  if (hierarchy !== undefined) {
    const query = { where: [], orderBy: [{ field: hierarchy.path, direction: "asc" as const }], maxDepth: 2 }
    statements.push(
      ["subtree by prefix", compileSubtree(dialect, info, scope, hierarchy, { prefix: "/x/" }, query)],
      ["subtree by root id", compileSubtree(dialect, info, scope, hierarchy, { rootId: "x" }, query)],
      ["rewrite count", compileRewriteCount(dialect, info, scope, hierarchy, "/x/")],
      ["rewrite prefix", compileRewritePrefix(dialect, info, scope, hierarchy, { from: "/x/", to: "/y/x/", depthDelta: 1, updatedAt: 1 }, 1)]
    )
  }
  return statements
}

/** Where a statement must name the account: in its conditions when it has any (not only in the columns it sets), else anywhere (an insert's columns, a table's). */
const keyPart = (text: string): string => {
  const where = text.indexOf(" WHERE ")
  return where < 0 ? text : text.slice(where)
}

describe.each([sqliteDialect, postgresDialect])("every statement on an account-owned table names accountId ($name)", (dialect) => {
  it("every statement kind of every account-scoped model", () => {
    const missing: Array<string> = []
    let checked = 0
    for (const model of accountModels) {
      const info = tables.get(model.name)
      if (info === undefined) {
        missing.push(`${model.name}: no table in the core's migrations`)
        continue
      }
      for (const [kind, statement] of statementsOf(dialect, info)) {
        checked += 1
        if (!keyPart(statement.text).includes(quote("accountId"))) missing.push(`${model.name} ${kind}: ${statement.text}`)
      }
    }
    expect(missing).toEqual([])
    expect(checked).toBeGreaterThanOrEqual(accountModels.length * 12)
  })

  it("every account model's table is keyed by account and id, and re-keying a table of migrations 0001-0004 puts the account in its key", () => {
    const key = `PRIMARY KEY (${quote("accountId")}, ${quote("id")})`
    const wrong: Array<string> = []
    for (const model of accountModels) {
      const info = tables.get(model.name)
      const created =
        info === undefined
          ? []
          : stepDdl(dialect, { op: "createModel", model: model.name, scope: "account", columns: info.columns, keyedByAccount: true }, info)
      if (info?.schema.keyedByAccount !== true || !created.some((text) => text.includes(key)))
        wrong.push(`${model.name}: not keyed by account after the core's migrations`)
      // Re-keying applies to the tables of migrations 0001-0004; later tables are created keyed by account.
      const early = keyedById.get(model.name)
      if (early === undefined) continue
      const rekeyed = stepDdl(dialect, { op: "keyByAccount", model: model.name }, early)
      if (!rekeyed.some((text) => text.includes(key))) wrong.push(`${model.name}: ${rekeyed.join("; ")}`)
    }
    expect(wrong).toEqual([])
  })

  it("the change feed reads each account table by its account", () => {
    const { text } = compileChangesSince(dialect, tables.values(), "acc1", 0, 100)
    const unscoped = accountModels.filter((model) => !text.includes(`FROM ${quote(model.name)} WHERE ${quote("accountId")} = `)).map((model) => model.name)
    expect(unscoped).toEqual([])
  })
})
