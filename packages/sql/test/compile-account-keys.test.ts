/**
 * Golden SQL of account keys: statements by id on a table keyed by account and id, the DDL of such
 * a table and of re-keying one (in place on PostgreSQL, a rebuild on SQLite), and the driver's
 * tombstones keyed by account. Exactly, in both dialects.
 */
import { describe, expect, it } from "vitest"
import { compileGetMany, compileLockRows, compileRewritePrefix, compileSubtree } from "../src/compile-query.ts"
import { compileDelete, compileUpdate, compileVersionProbe } from "../src/compile-write.ts"
import { bootstrapDdl, stepDdl, tombstonesByAccountDdl } from "../src/ddl.ts"
import { postgresDialect, type SqlDialect } from "../src/dialect.ts"
import { both, golden, hierarchy, keyedSteps, keyedUnit, row, scope, tables, unit } from "./golden.ts"

describe("the statement compiler: account keys", () => {
  it("a table keyed by account and id: reads, writes and locks by id test the account on the primary key; a subtree keeps it off the account index", () => {
    expect(golden((d) => compileGetMany(d, keyedUnit, scope, ["u1", "u2"]))).toMatchInlineSnapshot(`
      {
        "postgres": "SELECT "id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra" FROM "Unit" WHERE "accountId" = $1 AND "id" = ANY($2::text[])",
        "postgresParams": [
          "acc1",
          [
            "u1",
            "u2",
          ],
        ],
        "sqlite": "SELECT "id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra" FROM "Unit" WHERE "accountId" = ? AND "id" IN (SELECT value FROM json_each(?))",
        "sqliteParams": [
          "acc1",
          "["u1","u2"]",
        ],
      }
    `)
    expect(golden((d) => compileDelete(d, keyedUnit, scope, "u2", 2))).toMatchInlineSnapshot(`
      {
        "params": [
          "u2",
          "acc1",
          2,
        ],
        "postgres": "DELETE FROM "Unit" WHERE "id" = $1 AND "accountId" = $2 AND "version" = $3 RETURNING "version"",
        "sqlite": "DELETE FROM "Unit" WHERE "id" = ? AND "accountId" = ? AND "version" = ? RETURNING "version"",
      }
    `)
    expect(golden((d) => compileVersionProbe(d, keyedUnit, scope, "u2"))).toMatchInlineSnapshot(`
      {
        "params": [
          "u2",
          "acc1",
        ],
        "postgres": "SELECT "version" FROM "Unit" WHERE "id" = $1 AND "accountId" = $2",
        "sqlite": "SELECT "version" FROM "Unit" WHERE "id" = ? AND "accountId" = ?",
      }
    `)
    expect(golden((d) => compileUpdate(d, keyedUnit, scope, row, 1, 9)).sqlite).toMatch(/ WHERE "id" = \? AND "accountId" = \? AND "version" = \?$/)
    expect(compileLockRows(postgresDialect, keyedUnit, scope, ["u1", "u2"]).text).toMatchInlineSnapshot(
      `"SELECT "id" FROM "Unit" WHERE "accountId" = $1 AND "id" = ANY($2::text[]) ORDER BY "id" FOR UPDATE"`
    )
    const query = { where: [], orderBy: [{ field: "path", direction: "asc" }], limit: 100, select: ["id", "name"] } as const
    expect(golden((d) => compileSubtree(d, keyedUnit, scope, hierarchy, { rootId: "u1" }, query))).toMatchInlineSnapshot(`
      {
        "params": [
          "acc1",
          "u1",
          "acc1",
          "u1",
          "acc1",
        ],
        "postgres": "SELECT "id", "name" FROM "Unit" WHERE ("accountId" || '') = $1 AND "path" >= (SELECT "path" FROM "Unit" WHERE "id" = $2 AND "accountId" = $3) AND "path" < (SELECT substr("path", 1, length("path") - 1) || '0' FROM "Unit" WHERE "id" = $4 AND "accountId" = $5) ORDER BY "path" ASC LIMIT 100",
        "sqlite": "SELECT "id", "name" FROM "Unit" WHERE +"accountId" = ? AND "path" >= (SELECT "path" FROM "Unit" WHERE "id" = ? AND "accountId" = ?) AND "path" < (SELECT substr("path", 1, length("path") - 1) || '0' FROM "Unit" WHERE "id" = ? AND "accountId" = ?) ORDER BY "path" ASC LIMIT 100",
      }
    `)
    const rewrite = { from: "/u1/u2/", to: "/u3/u2/", depthDelta: 0, updatedAt: 1700000000001 }
    expect(golden((d) => compileRewritePrefix(d, keyedUnit, scope, hierarchy, rewrite, 41))).toMatchInlineSnapshot(`
      {
        "params": [
          "/u3/u2/",
          7,
          0,
          1700000000001,
          40,
          "acc1",
          "/u1/u2/",
          "/u1/u20",
          "/u1/u2/",
          "acc1",
        ],
        "postgres": "UPDATE "Unit" SET "path" = $1 || substr("Unit"."path", CAST($2 AS INTEGER) + 1), "depth" = "Unit"."depth" + CAST($3 AS INTEGER), "version" = "Unit"."version" + 1, "updatedAt" = CAST($4 AS BIGINT), "_seq" = CAST($5 AS BIGINT) + ranked.rn FROM (SELECT "id" AS rid, ROW_NUMBER() OVER (ORDER BY "id") AS rn FROM "Unit" WHERE ("accountId" || '') = $6 AND ("path" >= $7 AND "path" < $8) AND "path" <> $9) AS ranked WHERE "Unit"."id" = ranked.rid AND "accountId" = $10",
        "sqlite": "UPDATE "Unit" SET "path" = ? || substr("Unit"."path", CAST(? AS INTEGER) + 1), "depth" = "Unit"."depth" + CAST(? AS INTEGER), "version" = "Unit"."version" + 1, "updatedAt" = CAST(? AS BIGINT), "_seq" = CAST(? AS BIGINT) + ranked.rn FROM (SELECT "id" AS rid, ROW_NUMBER() OVER (ORDER BY "id") AS rn FROM "Unit" WHERE +"accountId" = ? AND ("path" >= ? AND "path" < ?) AND "path" <> ?) AS ranked WHERE "Unit"."id" = ranked.rid AND "accountId" = ?",
      }
    `)
  })

  it("DDL: a table keyed by account and id; re-keying by account alters the key in place on PostgreSQL and rebuilds the table with its rows and indexes on SQLite", () => {
    const created = (d: SqlDialect) =>
      keyedSteps.filter((step) => step.model === "Unit" && step.op === "createModel").flatMap((step) => stepDdl(d, step, undefined))
    expect(both(created)).toMatchInlineSnapshot(`
      {
        "postgres": [
          "CREATE TABLE "Unit" ("id" TEXT COLLATE "C" NOT NULL, "accountId" TEXT COLLATE "C" NOT NULL, "version" BIGINT NOT NULL, "updatedAt" BIGINT NOT NULL, "name" TEXT COLLATE "C" NOT NULL, "code" TEXT COLLATE "C", "path" TEXT COLLATE "C" NOT NULL, "depth" BIGINT NOT NULL, "score" DOUBLE PRECISION, "open" BOOLEAN NOT NULL, "extra" JSONB, "_seq" BIGINT NOT NULL, CONSTRAINT "Unit_pkey" PRIMARY KEY ("accountId", "id"))",
          "CREATE INDEX "Unit_account_seq" ON "Unit" ("accountId", "_seq")",
        ],
        "sqlite": [
          "CREATE TABLE "Unit" ("id" TEXT NOT NULL, "accountId" TEXT NOT NULL, "version" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL, "name" TEXT NOT NULL, "code" TEXT, "path" TEXT NOT NULL, "depth" INTEGER NOT NULL, "score" REAL, "open" INTEGER NOT NULL, "extra" TEXT, "_seq" BIGINT NOT NULL, CONSTRAINT "Unit_pkey" PRIMARY KEY ("accountId", "id"))",
          "CREATE INDEX "Unit_account_seq" ON "Unit" ("accountId", "_seq")",
        ],
      }
    `)
    expect(both((d) => stepDdl(d, { op: "keyByAccount", model: "Unit" }, unit))).toMatchInlineSnapshot(`
      {
        "postgres": [
          "ALTER TABLE "Unit" DROP CONSTRAINT "Unit_pkey" CASCADE, ADD CONSTRAINT "Unit_pkey" PRIMARY KEY ("accountId", "id")",
        ],
        "sqlite": [
          "CREATE TABLE "Unit__rekey" ("id" TEXT NOT NULL, "accountId" TEXT NOT NULL, "version" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL, "name" TEXT NOT NULL, "code" TEXT, "path" TEXT NOT NULL, "depth" INTEGER NOT NULL, "score" REAL, "open" INTEGER NOT NULL, "extra" TEXT, "_seq" BIGINT NOT NULL, CONSTRAINT "Unit_pkey" PRIMARY KEY ("accountId", "id"))",
          "INSERT INTO "Unit__rekey" ("id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra", "_seq") SELECT "id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra", "_seq" FROM "Unit"",
          "DROP TABLE "Unit"",
          "ALTER TABLE "Unit__rekey" RENAME TO "Unit"",
          "CREATE INDEX "Unit_account_seq" ON "Unit" ("accountId", "_seq")",
          "CREATE UNIQUE INDEX "unit_code" ON "Unit" ("accountId", "code") WHERE "open" = 1",
          "CREATE INDEX "unit_path" ON "Unit" ("accountId", "path", "name")",
        ],
      }
    `)
    // Nothing to do for a table keyed by account already, a global one, or a model never created.
    expect(
      both((d) => [
        ...stepDdl(d, { op: "keyByAccount", model: "Unit" }, keyedUnit),
        ...stepDdl(d, { op: "keyByAccount", model: "Kind" }, tables.get("Kind")),
        ...stepDdl(d, { op: "keyByAccount", model: "Nothing" }, undefined)
      ])
    ).toEqual({ sqlite: [], postgres: [] })
  })

  it("the driver's own tables: tombstones keyed by account, model and id, and the move of an older tombstones table to that layout", () => {
    expect(both(bootstrapDdl)).toMatchInlineSnapshot(`
      {
        "postgres": [
          "CREATE TABLE IF NOT EXISTS "_iaso_migrations" (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS "_iaso_counter" (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
          "INSERT INTO "_iaso_counter" (name, value) VALUES ('seq', 0) ON CONFLICT (name) DO NOTHING",
          "CREATE TABLE IF NOT EXISTS "_iaso_changes" (model TEXT NOT NULL, id TEXT NOT NULL, "accountId" TEXT NOT NULL, seq BIGINT NOT NULL, deleted BOOLEAN NOT NULL, version BIGINT NOT NULL, PRIMARY KEY ("accountId", model, id))",
          "CREATE INDEX IF NOT EXISTS "_iaso_changes_account_seq" ON "_iaso_changes" ("accountId", seq)",
        ],
        "sqlite": [
          "CREATE TABLE IF NOT EXISTS "_iaso_migrations" (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
          "CREATE TABLE IF NOT EXISTS "_iaso_counter" (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
          "INSERT INTO "_iaso_counter" (name, value) VALUES ('seq', 0) ON CONFLICT (name) DO NOTHING",
          "CREATE TABLE IF NOT EXISTS "_iaso_changes" (model TEXT NOT NULL, id TEXT NOT NULL, "accountId" TEXT NOT NULL, seq BIGINT NOT NULL, deleted INTEGER NOT NULL, version BIGINT NOT NULL, PRIMARY KEY ("accountId", model, id))",
          "CREATE INDEX IF NOT EXISTS "_iaso_changes_account_seq" ON "_iaso_changes" ("accountId", seq)",
        ],
      }
    `)
    expect(both(tombstonesByAccountDdl)).toMatchInlineSnapshot(`
      {
        "postgres": [
          "CREATE TABLE "_iaso_changes__old" AS SELECT model, id, COALESCE("accountId", '') AS "accountId", seq, deleted, version FROM "_iaso_changes"",
          "DROP TABLE "_iaso_changes"",
          "CREATE TABLE IF NOT EXISTS "_iaso_changes" (model TEXT NOT NULL, id TEXT NOT NULL, "accountId" TEXT NOT NULL, seq BIGINT NOT NULL, deleted BOOLEAN NOT NULL, version BIGINT NOT NULL, PRIMARY KEY ("accountId", model, id))",
          "CREATE INDEX IF NOT EXISTS "_iaso_changes_account_seq" ON "_iaso_changes" ("accountId", seq)",
          "INSERT INTO "_iaso_changes" (model, id, "accountId", seq, deleted, version) SELECT model, id, "accountId", seq, deleted, version FROM "_iaso_changes__old"",
          "DROP TABLE "_iaso_changes__old"",
        ],
        "sqlite": [
          "CREATE TABLE "_iaso_changes__old" AS SELECT model, id, COALESCE("accountId", '') AS "accountId", seq, deleted, version FROM "_iaso_changes"",
          "DROP TABLE "_iaso_changes"",
          "CREATE TABLE IF NOT EXISTS "_iaso_changes" (model TEXT NOT NULL, id TEXT NOT NULL, "accountId" TEXT NOT NULL, seq BIGINT NOT NULL, deleted INTEGER NOT NULL, version BIGINT NOT NULL, PRIMARY KEY ("accountId", model, id))",
          "CREATE INDEX IF NOT EXISTS "_iaso_changes_account_seq" ON "_iaso_changes" ("accountId", seq)",
          "INSERT INTO "_iaso_changes" (model, id, "accountId", seq, deleted, version) SELECT model, id, "accountId", seq, deleted, version FROM "_iaso_changes__old"",
          "DROP TABLE "_iaso_changes__old"",
        ],
      }
    `)
  })
})
