/**
 * The fixtures of the golden SQL tests (`compile.test.ts`, `compile-account-keys.test.ts`): two
 * models declared here, their tables, and helpers compiling a statement for both dialects.
 * @module
 */
import type { MigrationStep, StoreScope } from "@iaso/core"
import { isDeepStrictEqual } from "node:util"
import type { Compiled } from "../src/compile-conditions.ts"
import { postgresDialect, type SqlDialect, sqliteDialect } from "../src/dialect.ts"
import { learnStep, type TableInfo } from "../src/tables.ts"

/**
 * A hierarchical account model with a column of every kind (the shape of the org units), and a
 * global catalogue; declared here rather than taken from the SDK's models, so that these texts
 * change when the compiler does, not when a model gains a field.
 */
export const steps: ReadonlyArray<MigrationStep> = [
  {
    op: "createModel",
    model: "Unit",
    scope: "account",
    columns: [
      { name: "id", kind: "text", nullable: false },
      { name: "accountId", kind: "text", nullable: false },
      { name: "version", kind: "integer", nullable: false },
      { name: "updatedAt", kind: "integer", nullable: false },
      { name: "name", kind: "text", nullable: false },
      { name: "code", kind: "text", nullable: true },
      { name: "path", kind: "text", nullable: false },
      { name: "depth", kind: "integer", nullable: false },
      { name: "score", kind: "real", nullable: true },
      { name: "open", kind: "boolean", nullable: false },
      { name: "extra", kind: "json", nullable: true }
    ],
    hierarchy: { path: "path", depth: "depth", parent: "parentId" }
  },
  {
    op: "createIndex",
    model: "Unit",
    index: { name: "unit_code", fields: ["accountId", "code"], unique: true, where: [{ field: "open", op: "eq", value: true }] }
  },
  { op: "createIndex", model: "Unit", index: { name: "unit_path", fields: ["accountId", "path"], include: ["name"] } },
  {
    op: "createModel",
    model: "Kind",
    scope: "global",
    columns: [
      { name: "id", kind: "text", nullable: false },
      { name: "version", kind: "integer", nullable: false },
      { name: "label", kind: "text", nullable: false }
    ]
  }
]
/** The tables of `steps`. */
export const tables = new Map<string, TableInfo>()
for (const step of steps) learnStep(tables, step)
/** The account model's table (keyed by id, as migrations 0001-0004 created tables). */
export const unit = tables.get("Unit") as TableInfo
/** The same models as the migrations of today create them: the account model keyed by account and id. */
export const keyedSteps = steps.map((step): MigrationStep => (step.op === "createModel" && step.scope === "account" ? { ...step, keyedByAccount: true } : step))
/** The tables of `keyedSteps`. */
export const keyedTables = new Map<string, TableInfo>()
for (const step of keyedSteps) learnStep(keyedTables, step)
/** The account model's table keyed by account and id. */
export const keyedUnit = keyedTables.get("Unit") as TableInfo
/** The account model's hierarchy columns. */
export const hierarchy = { path: "path", depth: "depth" }
/** The account the statements are scoped to. */
export const scope: StoreScope = { accountId: "acc1" }

/** Something compiled for both dialects. */
export const both = <A>(compile: (dialect: SqlDialect) => A) => ({ sqlite: compile(sqliteDialect), postgres: compile(postgresDialect) })

/** A statement's text in both dialects, and its parameters (once where both dialects bind the same). */
export const golden = (compile: (dialect: SqlDialect) => Compiled) => {
  const { sqlite, postgres } = both(compile)
  return {
    sqlite: sqlite.text,
    postgres: postgres.text,
    ...(isDeepStrictEqual(sqlite.params, postgres.params) ? { params: sqlite.params } : { sqliteParams: sqlite.params, postgresParams: postgres.params })
  }
}

/** A row of the account model. */
export const row = { id: "u2", accountId: "acc1", version: 2, updatedAt: 1700000000000, name: "Bo", path: "/u1/u2/", depth: 2, open: true, extra: { a: 1 } }
