/**
 * The statement compiler in a schema (`postgresDialectIn`): every statement is the one of the
 * search-path dialect with each table it names (the models', the ledger, the counter, the
 * tombstones) qualified by the schema, and nothing else changed; an index is created under its
 * own name (PostgreSQL puts it in its table's schema) and dropped under the qualified one.
 */
import { CORE_MIGRATIONS } from "@iaso/core"
import { describe, expect, it } from "vitest"
import { compileChangesSince, compileClearTombstones, compileDropLiveEntries, compileTombstones } from "../src/change-feed.ts"
import type { Compiled } from "../src/compile-conditions.ts"
import {
  compileCount,
  compileGetMany,
  compileInspect,
  compileLockRows,
  compileRewriteCount,
  compileRewritePrefix,
  compileRowLookup,
  compileSelect,
  compileSubtree
} from "../src/compile-query.ts"
import { compileDelete, compileInsert, compileInsertEach, compileReserveSeqs, compileUpdate, compileVersionProbe } from "../src/compile-write.ts"
import { bootstrapDdl, seqIndexDdl, stepDdl, tombstonesByAccountDdl } from "../src/ddl.ts"
import { postgresDialect, postgresDialectIn, type SqlDialect, sqliteDialect } from "../src/dialect.ts"
import { learnStep, type TableInfo } from "../src/tables.ts"
import { hierarchy, keyedUnit, row, scope, steps, tables, unit } from "./golden.ts"

const inApp = postgresDialectIn("app")
const kind = tables.get("Kind") as TableInfo
const change = { seq: 12, model: "Unit", id: "u2", accountId: "acc1", deleted: true, version: 3 }
const rewrite = { from: "/u1/u2/", to: "/u3/u2/", depthDelta: 0, updatedAt: 1700000000001 }

/** The texts of one compiled thing (a statement, a list of statements, DDL). */
type Texts = (dialect: SqlDialect) => ReadonlyArray<string>
const one =
  (compile: (dialect: SqlDialect) => Compiled | { readonly text: string }): Texts =>
  (dialect) => [compile(dialect).text]

/** Every statement the compiler makes, with the number of table references each text holds. */
const statements: ReadonlyArray<readonly [string, Texts, ReadonlyArray<number>]> = [
  ["select", one((d) => compileSelect(d, unit, scope, { where: [{ field: "open", op: "eq", value: true }], orderBy: [], limit: 5 })), [1]],
  ["getMany", one((d) => compileGetMany(d, unit, scope, ["u1"])), [1]],
  ["count", one((d) => compileCount(d, kind, { accountId: null }, [])), [1]],
  ["subtree from a root", one((d) => compileSubtree(d, unit, scope, hierarchy, { rootId: "u1" }, { where: [], orderBy: [] })), [3]],
  ["row lookup", one((d) => compileRowLookup(d, unit, scope, "u1", ["path"])), [1]],
  ["row locks", one((d) => compileLockRows(d, unit, scope, ["u1"], "keyShare", "path")), [1]],
  ["rewrite count", one((d) => compileRewriteCount(d, unit, scope, hierarchy, rewrite.from)), [1]],
  ["rewrite", one((d) => compileRewritePrefix(d, unit, scope, hierarchy, rewrite, 41)), [6]],
  ["inspect", one((d) => compileInspect(d, unit)), [1]],
  ["insert", one((d) => compileInsert(d, unit, [row], 7)), [1]],
  ["insert each", one((d) => compileInsertEach(d, unit, [row], 7)), [1]],
  ["update", one((d) => compileUpdate(d, unit, scope, row, 1, 9)), [1]],
  ["delete", one((d) => compileDelete(d, unit, scope, "u2", 2)), [1]],
  ["version probe", one((d) => compileVersionProbe(d, unit, scope, "u2")), [1]],
  ["reserve sequences", one((d) => compileReserveSeqs(d, 3)), [1]],
  ["changes since", one((d) => compileChangesSince(d, tables.values(), "acc1", 40, 500)), [3]],
  ["tombstones", (d) => compileTombstones(d, [change]).map((c) => c.text), [1]],
  ["clear tombstones", one((d) => compileClearTombstones(d, unit, scope, ["u2"])), [1]],
  ["drop live entries", one((d) => compileDropLiveEntries(d)), [1]],
  ["bootstrap", (d) => bootstrapDdl(d), [1, 1, 1, 1, 1]],
  ["tombstones by account", (d) => tombstonesByAccountDdl(d), [2, 1, 1, 1, 2, 1]],
  ["sequence index", (d) => [seqIndexDdl(d, "Kind", "global", "IF NOT EXISTS ")], [1]],
  ["model tables and indexes", (d) => steps.flatMap((step) => stepDdl(d, step, step.op === "createModel" ? undefined : unit)), [1, 1, 1, 1, 1, 1]],
  ["added column", (d) => stepDdl(d, { op: "addColumn", model: "Unit", column: { name: "note", kind: "text", nullable: true } }, unit), [1]],
  ["dropped index", (d) => stepDdl(d, { op: "dropIndex", model: "Unit", name: "unit_path" }, unit), [1]],
  ["re-keyed by account", (d) => stepDdl(d, { op: "keyByAccount", model: "Unit" }, unit), [1]]
]

/** How many times a text names something in the schema. */
const qualified = (text: string): number => text.split('"app".').length - 1

describe("the statement compiler in a schema", () => {
  it.each(statements)("%s: the search-path statement with each table it names qualified, and nothing else changed", (_, texts, references) => {
    const inSchema = texts(inApp)
    expect(inSchema.map(qualified)).toEqual(references)
    expect(inSchema.map((text) => text.replaceAll('"app".', ""))).toEqual(texts(postgresDialect))
  })

  it("an index is created under its own name on the qualified table and dropped under the qualified name", () => {
    const index = { op: "createIndex", model: "Unit", index: { name: "unit_path", fields: ["accountId", "path"], include: ["name"] } } as const
    expect(stepDdl(inApp, index, unit)).toEqual([`CREATE INDEX "unit_path" ON "app"."Unit" ("accountId", "path") INCLUDE ("name")`])
    expect(stepDdl(inApp, { op: "dropIndex", model: "Unit", name: "unit_path" }, unit)).toEqual([`DROP INDEX "app"."unit_path"`])
    expect(stepDdl(inApp, { op: "keyByAccount", model: "Unit" }, unit)).toEqual([
      `ALTER TABLE "app"."Unit" DROP CONSTRAINT "Unit_pkey" CASCADE, ADD CONSTRAINT "Unit_pkey" PRIMARY KEY ("accountId", "id")`
    ])
    expect(stepDdl(inApp, { op: "keyByAccount", model: "Unit" }, keyedUnit)).toEqual([])
  })

  it("a schema name is quoted as an identifier: case and quotes are kept", () => {
    expect(postgresDialectIn('My "App"').table("Unit")).toBe('"My ""App"""."Unit"')
    expect(inApp.schema).toBe("app")
    expect([postgresDialect.schema, sqliteDialect.schema]).toEqual([undefined, undefined])
  })

  it("SQLite's statements name their tables unqualified, as they always did", () => {
    for (const [, texts] of statements) for (const text of texts(sqliteDialect)) expect(text).not.toContain('"app"')
    expect(sqliteDialect.table("Unit")).toBe('"Unit"')
  })

  it("the core's migrations compile to DDL naming only tables in the schema", () => {
    // Each step from its table before the step, as the migrations apply them.
    const known = new Map<string, TableInfo>()
    const ddl = CORE_MIGRATIONS.flatMap((migration) =>
      migration.steps.flatMap((step) => {
        const texts = stepDdl(inApp, step, known.get(step.model))
        learnStep(known, step)
        return texts
      })
    )
    expect(ddl.length).toBeGreaterThan(20)
    for (const text of ddl) {
      const named = /^(?:CREATE TABLE|ALTER TABLE|DROP INDEX) ("[^"]+"(?:\."[^"]+")?)|^CREATE (?:UNIQUE )?INDEX "[^"]+" ON ("[^"]+"(?:\."[^"]+")?)/.exec(text)
      const table = named?.[1] ?? named?.[2]
      expect(table, text).toMatch(/^"app"\."[^"]+"$/)
    }
  })
})
