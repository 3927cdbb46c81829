/**
 * Golden SQL: the statement compiler's text and parameters for representative store operations,
 * in both dialects, exactly. A change to any of them is a change of what the stores run.
 */
import { describe, expect, it } from "vitest"
import { type Compiled, MAX_PREFIX_RANGES } from "../src/compile-conditions.ts"
import { changeOfRow, compileChangesSince, compileClearTombstones, compileTombstones } from "../src/change-feed.ts"
import {
  compileCount,
  compileGetMany,
  compileLockRows,
  compileRewriteCount,
  compileRewritePrefix,
  compileSelect,
  compileSubtree
} from "../src/compile-query.ts"
import { arrayLiteral, compileDelete, compileInsert, compileInsertEach, compileReserveSeqs, compileUpdate, compileVersionProbe } from "../src/compile-write.ts"
import { sequenceDdl, stepDdl } from "../src/ddl.ts"
import { postgresDialect, type SqlDialect, sqliteDialect } from "../src/dialect.ts"
import { learnStep, type TableInfo } from "../src/tables.ts"
import { compileDraw, compileHorizon, horizonNamespace } from "../src/transactions.ts"
import { both, golden, hierarchy, row, scope, steps, tables, unit } from "./golden.ts"

describe("the statement compiler", () => {
  it("a listing: conditions, keyset position, order, limit, selected columns", () => {
    const query = {
      where: [
        { field: "open", op: "eq", value: true },
        { field: "code", op: "in", value: ["a", "b"] },
        { field: "score", op: "ne", value: 1.5 }
      ],
      orderBy: [
        { field: "name", direction: "asc" },
        { field: "code", direction: "desc" },
        { field: "id", direction: "asc" }
      ],
      after: ["Bo", null, "u2"],
      limit: 20,
      select: ["id", "name", "code"]
    } as const
    expect(golden((d) => compileSelect(d, unit, scope, query))).toMatchInlineSnapshot(`
      {
        "postgres": "SELECT "id", "name", "code" FROM "Unit" WHERE "accountId" = $1 AND "open" = $2 AND "code" = ANY($3::text[]) AND "score" IS DISTINCT FROM $4 AND ("name" > $5 OR ("name" = $6 AND ("code" IS NULL AND ("id" > $7 OR ("id" = $8 AND FALSE))))) ORDER BY "name" ASC, "code" DESC NULLS LAST, "id" ASC LIMIT 20",
        "postgresParams": [
          "acc1",
          true,
          [
            "a",
            "b",
          ],
          1.5,
          "Bo",
          "Bo",
          "u2",
          "u2",
        ],
        "sqlite": "SELECT "id", "name", "code" FROM "Unit" WHERE "accountId" = ? AND "open" = ? AND "code" IN (SELECT value FROM json_each(?)) AND "score" IS NOT ? AND ("name" > ? OR ("name" = ? AND ("code" IS NULL AND ("id" > ? OR ("id" = ? AND FALSE))))) ORDER BY "name" ASC, "code" DESC NULLS LAST, "id" ASC LIMIT 20",
        "sqliteParams": [
          "acc1",
          1,
          "["a","b"]",
          1.5,
          "Bo",
          "Bo",
          "u2",
          "u2",
        ],
      }
    `)
  })

  it("rows by id, and a count", () => {
    expect(golden((d) => compileGetMany(d, unit, scope, ["u1", "u2", "u1"]))).toMatchInlineSnapshot(`
      {
        "postgres": "SELECT "id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra" FROM "Unit" WHERE ("accountId" || '') = $1 AND "id" = ANY($2::text[])",
        "postgresParams": [
          "acc1",
          [
            "u1",
            "u2",
          ],
        ],
        "sqlite": "SELECT "id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra" FROM "Unit" WHERE +"accountId" = ? AND "id" IN (SELECT value FROM json_each(?))",
        "sqliteParams": [
          "acc1",
          "["u1","u2"]",
        ],
      }
    `)
    expect(
      golden((d) =>
        compileCount(d, unit, scope, [
          { field: "name", op: "contains", value: "o" },
          { field: "code", op: "isNull" }
        ])
      )
    ).toMatchInlineSnapshot(`
      {
        "params": [
          "acc1",
          "o",
        ],
        "postgres": "SELECT COUNT(*) AS n FROM "Unit" WHERE "accountId" = $1 AND strpos("name", $2) > 0 AND "code" IS NULL",
        "sqlite": "SELECT COUNT(*) AS n FROM "Unit" WHERE "accountId" = ? AND instr("name", ?) > 0 AND "code" IS NULL",
      }
    `)
  })

  it("a subtree by path prefix, to a depth", () => {
    const query = { where: [], orderBy: [{ field: "path", direction: "asc" }], limit: 100, select: ["id", "name"], maxDepth: 3 } as const
    expect(golden((d) => compileSubtree(d, unit, scope, hierarchy, { prefix: "/u1/" }, query))).toMatchInlineSnapshot(`
      {
        "params": [
          "acc1",
          "/u1/",
          "/u10",
          3,
        ],
        "postgres": "SELECT "id", "name" FROM "Unit" WHERE ("accountId" || '') = $1 AND ("path" >= $2 AND "path" < $3) AND "depth" <= $4 ORDER BY "path" ASC LIMIT 100",
        "sqlite": "SELECT "id", "name" FROM "Unit" WHERE +"accountId" = ? AND ("path" >= ? AND "path" < ?) AND "depth" <= ? ORDER BY "path" ASC LIMIT 100",
      }
    `)
  })

  it("a subtree from a root's id, a page after a position, with a column left out for one row", () => {
    const query = {
      where: [{ field: "depth", op: "gte", value: 1 }],
      orderBy: [{ field: "path", direction: "asc" }],
      after: ["/u1/u2/"],
      limit: 2,
      select: ["id", "name", "path"]
    } as const
    expect(golden((d) => compileSubtree(d, unit, scope, hierarchy, { rootId: "u1" }, query, ["path"]))).toMatchInlineSnapshot(`
      {
        "params": [
          "acc1",
          1,
          "u1",
          "acc1",
          "u1",
          "acc1",
          "/u1/u2/",
          "/u1/u2/",
        ],
        "postgres": "SELECT "id", "name" FROM "Unit" WHERE ("accountId" || '') = $1 AND "depth" >= $2 AND "path" >= (SELECT "path" FROM "Unit" WHERE "id" = $3 AND ("accountId" || '') = $4) AND "path" < (SELECT substr("path", 1, length("path") - 1) || '0' FROM "Unit" WHERE "id" = $5 AND ("accountId" || '') = $6) AND ("path" > $7 OR ("path" = $8 AND FALSE)) ORDER BY "path" ASC LIMIT 2",
        "sqlite": "SELECT "id", "name" FROM "Unit" WHERE +"accountId" = ? AND "depth" >= ? AND "path" >= (SELECT "path" FROM "Unit" WHERE "id" = ? AND +"accountId" = ?) AND "path" < (SELECT substr("path", 1, length("path") - 1) || '0' FROM "Unit" WHERE "id" = ? AND +"accountId" = ?) AND ("path" > ? OR ("path" = ? AND FALSE)) ORDER BY "path" ASC LIMIT 2",
      }
    `)
    // The path is read for one row apart; the id stays, as that row is looked up by it.
    expect(compileSubtree(sqliteDialect, unit, scope, hierarchy, { rootId: "u1" }, query, ["path", "id"]).columns).toEqual(["id", "name"])
  })

  it("a move: the rows it rewrites, the rewrite and the row locks", () => {
    const rewrite = { from: "/u1/u2/", to: "/u3/u2/", depthDelta: 0, updatedAt: 1700000000001 }
    expect(golden((d) => compileRewriteCount(d, unit, scope, hierarchy, rewrite.from))).toMatchInlineSnapshot(`
      {
        "params": [
          "acc1",
          "/u1/u2/",
          "/u1/u20",
          "/u1/u2/",
        ],
        "postgres": "SELECT COUNT(*) AS n FROM "Unit" WHERE ("accountId" || '') = $1 AND ("path" >= $2 AND "path" < $3) AND "path" <> $4",
        "sqlite": "SELECT COUNT(*) AS n FROM "Unit" WHERE +"accountId" = ? AND ("path" >= ? AND "path" < ?) AND "path" <> ?",
      }
    `)
    expect(golden((d) => compileRewritePrefix(d, unit, scope, hierarchy, rewrite, 41))).toMatchInlineSnapshot(`
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
        "postgres": "UPDATE "Unit" SET "path" = $1 || substr("Unit"."path", CAST($2 AS INTEGER) + 1), "depth" = "Unit"."depth" + CAST($3 AS INTEGER), "version" = "Unit"."version" + 1, "updatedAt" = CAST($4 AS BIGINT), "_seq" = CAST($5 AS BIGINT) + ranked.rn FROM (SELECT "id" AS rid, ROW_NUMBER() OVER (ORDER BY "id") AS rn FROM "Unit" WHERE ("accountId" || '') = $6 AND ("path" >= $7 AND "path" < $8) AND "path" <> $9) AS ranked WHERE "Unit"."id" = ranked.rid AND ("accountId" || '') = $10",
        "sqlite": "UPDATE "Unit" SET "path" = ? || substr("Unit"."path", CAST(? AS INTEGER) + 1), "depth" = "Unit"."depth" + CAST(? AS INTEGER), "version" = "Unit"."version" + 1, "updatedAt" = CAST(? AS BIGINT), "_seq" = CAST(? AS BIGINT) + ranked.rn FROM (SELECT "id" AS rid, ROW_NUMBER() OVER (ORDER BY "id") AS rn FROM "Unit" WHERE +"accountId" = ? AND ("path" >= ? AND "path" < ?) AND "path" <> ?) AS ranked WHERE "Unit"."id" = ranked.rid AND +"accountId" = ?",
      }
    `)
    // Row locks exist in PostgreSQL only (SQLite serialises its writers).
    expect(compileLockRows(postgresDialect, unit, scope, ["u1", "u2"])).toMatchInlineSnapshot(`
      {
        "params": [
          "acc1",
          [
            "u1",
            "u2",
          ],
        ],
        "text": "SELECT "id" FROM "Unit" WHERE ("accountId" || '') = $1 AND "id" = ANY($2::text[]) ORDER BY "id" FOR UPDATE",
      }
    `)
  })

  it("inserts: one statement for many rows, and one prepared row at a time", () => {
    const second = { ...row, id: "u3", path: "/u1/u3/", open: false, extra: undefined }
    expect(golden((d) => compileInsert(d, unit, [row, second], 7))).toMatchInlineSnapshot(`
      {
        "postgres": "INSERT INTO "Unit" ("id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra", "_seq") SELECT c0, $2::text, $3::bigint, $4::bigint, $5::text, $6::text, c6, $8::bigint, $9::double precision, c9, c10::jsonb, s FROM unnest($1::text[], $7::text[], $10::boolean[], $11::text[], $12::bigint[]) AS u(c0, c6, c9, c10, s)",
        "postgresParams": [
          "{"u2","u3"}",
          "acc1",
          2,
          1700000000000,
          "Bo",
          null,
          "{"/u1/u2/","/u1/u3/"}",
          2,
          null,
          "{true,false}",
          "{"{\\"a\\":1}",null}",
          "{7,8}",
        ],
        "sqlite": "INSERT INTO "Unit" ("id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra", "_seq") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "sqliteParams": [
          "u2",
          "acc1",
          2,
          1700000000000,
          "Bo",
          null,
          "/u1/u2/",
          2,
          null,
          1,
          "{"a":1}",
          7,
          "u3",
          "acc1",
          2,
          1700000000000,
          "Bo",
          null,
          "/u1/u3/",
          2,
          null,
          0,
          null,
          8,
        ],
      }
    `)
    const each = compileInsertEach(sqliteDialect, unit, [row, second], 7)
    expect(each.text).toMatchInlineSnapshot(
      `"INSERT INTO "Unit" ("id", "accountId", "version", "updatedAt", "name", "code", "path", "depth", "score", "open", "extra", "_seq") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"`
    )
    expect(each.paramLists.flat()).toEqual(compileInsert(sqliteDialect, unit, [row, second], 7).params)
  })

  it("an update, deletes and the version probe", () => {
    expect(golden((d) => compileUpdate(d, unit, scope, row, 1, 9))).toMatchInlineSnapshot(`
      {
        "postgres": "UPDATE "Unit" SET "accountId" = $1, "version" = $2, "updatedAt" = $3, "name" = $4, "code" = $5, "path" = $6, "depth" = $7, "score" = $8, "open" = $9, "extra" = $10::jsonb, "_seq" = $11 WHERE "id" = $12 AND ("accountId" || '') = $13 AND "version" = $14",
        "postgresParams": [
          "acc1",
          2,
          1700000000000,
          "Bo",
          null,
          "/u1/u2/",
          2,
          null,
          true,
          "{"a":1}",
          9,
          "u2",
          "acc1",
          1,
        ],
        "sqlite": "UPDATE "Unit" SET "accountId" = ?, "version" = ?, "updatedAt" = ?, "name" = ?, "code" = ?, "path" = ?, "depth" = ?, "score" = ?, "open" = ?, "extra" = ?, "_seq" = ? WHERE "id" = ? AND +"accountId" = ? AND "version" = ?",
        "sqliteParams": [
          "acc1",
          2,
          1700000000000,
          "Bo",
          null,
          "/u1/u2/",
          2,
          null,
          1,
          "{"a":1}",
          9,
          "u2",
          "acc1",
          1,
        ],
      }
    `)
    expect(golden((d) => compileDelete(d, unit, scope, "u2", 2))).toMatchInlineSnapshot(`
      {
        "params": [
          "u2",
          "acc1",
          2,
        ],
        "postgres": "DELETE FROM "Unit" WHERE "id" = $1 AND ("accountId" || '') = $2 AND "version" = $3 RETURNING "version"",
        "sqlite": "DELETE FROM "Unit" WHERE "id" = ? AND +"accountId" = ? AND "version" = ? RETURNING "version"",
      }
    `)
    expect(golden((d) => compileDelete(d, unit, scope, "u2", undefined))).toMatchInlineSnapshot(`
      {
        "params": [
          "u2",
          "acc1",
        ],
        "postgres": "DELETE FROM "Unit" WHERE "id" = $1 AND ("accountId" || '') = $2 RETURNING "version"",
        "sqlite": "DELETE FROM "Unit" WHERE "id" = ? AND +"accountId" = ? RETURNING "version"",
      }
    `)
    expect(golden((d) => compileVersionProbe(d, unit, scope, "u2"))).toMatchInlineSnapshot(`
      {
        "params": [
          "u2",
          "acc1",
        ],
        "postgres": "SELECT "version" FROM "Unit" WHERE "id" = $1 AND ("accountId" || '') = $2",
        "sqlite": "SELECT "version" FROM "Unit" WHERE "id" = ? AND +"accountId" = ?",
      }
    `)
  })

  it("a global model is not scoped; host-level reads see every account", () => {
    const kind = tables.get("Kind") as TableInfo
    expect(golden((d) => compileDelete(d, kind, { accountId: null }, "k1", 1))).toMatchInlineSnapshot(`
      {
        "params": [
          "k1",
          1,
        ],
        "postgres": "DELETE FROM "Kind" WHERE "id" = $1 AND TRUE AND "version" = $2 RETURNING "version"",
        "sqlite": "DELETE FROM "Kind" WHERE "id" = ? AND TRUE AND "version" = ? RETURNING "version"",
      }
    `)
    expect(
      golden((d) => compileCount(d, unit, { accountId: null, allAccounts: true }, [{ field: "code", op: "startsWith", value: "a" }]))
    ).toMatchInlineSnapshot(`
      {
        "params": [
          "a",
          "b",
        ],
        "postgres": "SELECT COUNT(*) AS n FROM "Unit" WHERE TRUE AND ("code" >= $1 AND "code" < $2)",
        "sqlite": "SELECT COUNT(*) AS n FROM "Unit" WHERE TRUE AND ("code" >= ? AND "code" < ?)",
      }
    `)
  })

  it("startsWithAny: one range a prefix up to MAX_PREFIX_RANGES; past it, one list a prefix length in code points, in a balanced OR", () => {
    const ranges = Array.from({ length: MAX_PREFIX_RANGES }, (_, i) => `${String(i).padStart(2, "0")}/`)
    const few = both((d) => compileCount(d, unit, scope, [{ field: "path", op: "startsWithAny", value: ranges }]))
    expect([few.sqlite.text.split(" OR ").length, few.sqlite.params.length]).toEqual([MAX_PREFIX_RANGES, 1 + 2 * MAX_PREFIX_RANGES])
    const many = [...ranges, "r", "🏥/", "r"]
    expect(golden((d) => compileCount(d, unit, scope, [{ field: "path", op: "startsWithAny", value: many }]))).toEqual({
      sqlite:
        'SELECT COUNT(*) AS n FROM "Unit" WHERE "accountId" = ? AND ((substr("path", 1, 3) IN (SELECT value FROM json_each(?)) OR substr("path", 1, 1) IN (SELECT value FROM json_each(?))) OR (substr("path", 1, 2) IN (SELECT value FROM json_each(?))))',
      postgres:
        'SELECT COUNT(*) AS n FROM "Unit" WHERE "accountId" = $1 AND ((substr("path", 1, 3) = ANY($2::text[]) OR substr("path", 1, 1) = ANY($3::text[])) OR (substr("path", 1, 2) = ANY($4::text[])))',
      sqliteParams: ["acc1", JSON.stringify(ranges), '["r"]', '["🏥/"]'],
      postgresParams: ["acc1", ranges, ["r"], ["🏥/"]]
    })
  })

  it("the change feed: changesSince over the rows and the tombstones, recording and clearing tombstones, sequences", () => {
    expect(golden((d) => compileChangesSince(d, tables.values(), "acc1", 40, 500))).toMatchInlineSnapshot(`
      {
        "params": [
          "acc1",
          40,
          40,
          "acc1",
          40,
        ],
        "postgres": "SELECT * FROM (SELECT * FROM (SELECT 'Unit' AS model, "id" AS id, "accountId" AS "accountId", "_seq" AS seq, FALSE AS deleted, "version" AS version FROM "Unit" WHERE "accountId" = $1 AND "_seq" > $2 ORDER BY "_seq" LIMIT 500) AS "f_Unit" UNION ALL SELECT * FROM (SELECT 'Kind' AS model, "id" AS id, CAST(NULL AS TEXT) AS "accountId", "_seq" AS seq, FALSE AS deleted, "version" AS version FROM "Kind" WHERE "_seq" > $3 ORDER BY "_seq" LIMIT 500) AS "f_Kind" UNION ALL SELECT * FROM (SELECT model, id, NULLIF("accountId", '') AS "accountId", seq, deleted, version FROM "_iaso_changes" WHERE ("accountId" = $4 OR "accountId" = '') AND seq > $5 ORDER BY seq LIMIT 500) AS "f_tombstones") AS feed ORDER BY seq LIMIT 500",
        "sqlite": "SELECT * FROM (SELECT * FROM (SELECT 'Unit' AS model, "id" AS id, "accountId" AS "accountId", "_seq" AS seq, 0 AS deleted, "version" AS version FROM "Unit" WHERE "accountId" = ? AND "_seq" > ? ORDER BY "_seq" LIMIT 500) AS "f_Unit" UNION ALL SELECT * FROM (SELECT 'Kind' AS model, "id" AS id, CAST(NULL AS TEXT) AS "accountId", "_seq" AS seq, 0 AS deleted, "version" AS version FROM "Kind" WHERE "_seq" > ? ORDER BY "_seq" LIMIT 500) AS "f_Kind" UNION ALL SELECT * FROM (SELECT model, id, NULLIF("accountId", '') AS "accountId", seq, deleted, version FROM "_iaso_changes" WHERE ("accountId" = ? OR "accountId" = '') AND seq > ? ORDER BY seq LIMIT 500) AS "f_tombstones") AS feed ORDER BY seq LIMIT 500",
      }
    `)
    const change = { seq: 12, model: "Unit", id: "u2", accountId: "acc1", deleted: true, version: 3 }
    expect(both((d) => compileTombstones(d, [change]).length)).toEqual({ sqlite: 1, postgres: 1 })
    expect(golden((d) => compileTombstones(d, [change])[0] as Compiled)).toMatchInlineSnapshot(`
      {
        "postgres": "INSERT INTO "_iaso_changes" (model, id, "accountId", seq, deleted, version) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ("accountId", model, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, version = excluded.version",
        "postgresParams": [
          "Unit",
          "u2",
          "acc1",
          12,
          true,
          3,
        ],
        "sqlite": "INSERT INTO "_iaso_changes" (model, id, "accountId", seq, deleted, version) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT ("accountId", model, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, version = excluded.version",
        "sqliteParams": [
          "Unit",
          "u2",
          "acc1",
          12,
          1,
          3,
        ],
      }
    `)
    // A global model's tombstone has no account: it is keyed under '' (read back as null).
    expect(compileTombstones(postgresDialect, [{ ...change, model: "Kind", id: "k1", accountId: null }])[0]?.params).toEqual(["Kind", "k1", "", 12, true, 3])
    expect(golden((d) => compileClearTombstones(d, tables.get("Kind") as TableInfo, { accountId: null }, ["k1"]))).toMatchInlineSnapshot(`
      {
        "postgres": "DELETE FROM "_iaso_changes" WHERE "accountId" = $1 AND model = $2 AND id = ANY($3::text[])",
        "postgresParams": [
          "",
          "Kind",
          [
            "k1",
          ],
        ],
        "sqlite": "DELETE FROM "_iaso_changes" WHERE "accountId" = ? AND model = ? AND id IN (SELECT value FROM json_each(?))",
        "sqliteParams": [
          "",
          "Kind",
          "["k1"]",
        ],
      }
    `)
    expect(golden((d) => compileClearTombstones(d, unit, scope, ["u2", "u3"]))).toMatchInlineSnapshot(`
      {
        "postgres": "DELETE FROM "_iaso_changes" WHERE "accountId" = $1 AND model = $2 AND id = ANY($3::text[])",
        "postgresParams": [
          "acc1",
          "Unit",
          [
            "u2",
            "u3",
          ],
        ],
        "sqlite": "DELETE FROM "_iaso_changes" WHERE "accountId" = ? AND model = ? AND id IN (SELECT value FROM json_each(?))",
        "sqliteParams": [
          "acc1",
          "Unit",
          "["u2","u3"]",
        ],
      }
    `)
    expect(golden((d) => compileReserveSeqs(d, 32))).toMatchInlineSnapshot(`
      {
        "params": [
          32,
        ],
        "postgres": "UPDATE "_iaso_counter" SET value = value + $1 WHERE name = 'seq' RETURNING value",
        "sqlite": "UPDATE "_iaso_counter" SET value = value + ? WHERE name = 'seq' RETURNING value",
      }
    `)
    expect([
      changeOfRow({ seq: "12", model: "Unit", id: "u2", accountId: "acc1", deleted: 1, version: 3 }),
      changeOfRow({ seq: 13, model: "Kind", id: "k1", accountId: null, deleted: false, version: 1 })
    ]).toMatchInlineSnapshot(`
        [
          {
            "accountId": "acc1",
            "deleted": true,
            "id": "u2",
            "model": "Unit",
            "seq": 12,
            "version": 3,
          },
          {
            "accountId": null,
            "deleted": false,
            "id": "k1",
            "model": "Kind",
            "seq": 13,
            "version": 1,
          },
        ]
      `)
  })

  it("DDL: a table with its sequence index, a partial unique index, a covering index", () => {
    const ddl = (d: SqlDialect) => {
      // As migrations apply them: each step compiled from its table before the step, then learnt.
      const known = new Map<string, TableInfo>()
      return steps.flatMap((step) => {
        const ddl = stepDdl(d, step, known.get(step.model))
        learnStep(known, step)
        return ddl
      })
    }
    expect(both(ddl)).toMatchInlineSnapshot(`
      {
        "postgres": [
          "CREATE TABLE "Unit" ("id" TEXT COLLATE "C" NOT NULL, "accountId" TEXT COLLATE "C" NOT NULL, "version" BIGINT NOT NULL, "updatedAt" BIGINT NOT NULL, "name" TEXT COLLATE "C" NOT NULL, "code" TEXT COLLATE "C", "path" TEXT COLLATE "C" NOT NULL, "depth" BIGINT NOT NULL, "score" DOUBLE PRECISION, "open" BOOLEAN NOT NULL, "extra" JSONB, "_seq" BIGINT NOT NULL, CONSTRAINT "Unit_pkey" PRIMARY KEY ("id"))",
          "CREATE INDEX "Unit_account_seq" ON "Unit" ("accountId", "_seq")",
          "CREATE UNIQUE INDEX "unit_code" ON "Unit" ("accountId", "code") WHERE "open" = TRUE",
          "CREATE INDEX "unit_path" ON "Unit" ("accountId", "path") INCLUDE ("name")",
          "CREATE TABLE "Kind" ("id" TEXT COLLATE "C" NOT NULL, "version" BIGINT NOT NULL, "label" TEXT COLLATE "C" NOT NULL, "_seq" BIGINT NOT NULL, CONSTRAINT "Kind_pkey" PRIMARY KEY ("id"))",
          "CREATE INDEX "Kind_seq" ON "Kind" ("_seq")",
        ],
        "sqlite": [
          "CREATE TABLE "Unit" ("id" TEXT NOT NULL, "accountId" TEXT NOT NULL, "version" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL, "name" TEXT NOT NULL, "code" TEXT, "path" TEXT NOT NULL, "depth" INTEGER NOT NULL, "score" REAL, "open" INTEGER NOT NULL, "extra" TEXT, "_seq" BIGINT NOT NULL, CONSTRAINT "Unit_pkey" PRIMARY KEY ("id"))",
          "CREATE INDEX "Unit_account_seq" ON "Unit" ("accountId", "_seq")",
          "CREATE UNIQUE INDEX "unit_code" ON "Unit" ("accountId", "code") WHERE "open" = 1",
          "CREATE INDEX "unit_path" ON "Unit" ("accountId", "path", "name")",
          "CREATE TABLE "Kind" ("id" TEXT NOT NULL, "version" INTEGER NOT NULL, "label" TEXT NOT NULL, "_seq" BIGINT NOT NULL, CONSTRAINT "Kind_pkey" PRIMARY KEY ("id"))",
          "CREATE INDEX "Kind_seq" ON "Kind" ("_seq")",
        ],
      }
    `)
  })

  it("horizon mode (PostgreSQL with concurrent writers): the sequence, a transaction's draws behind its locks, a reader's horizon and the feed up to it", () => {
    const sequence = postgresDialect.table("_iaso_seq")
    const names = { sequence, namespace: horizonNamespace(sequence) }
    expect(names.namespace).toBe(86961)
    expect(sequenceDdl(postgresDialect, sequence)).toEqual([
      `CREATE SEQUENCE IF NOT EXISTS "_iaso_seq" AS BIGINT INCREMENT BY 4096 MINVALUE 0 START WITH 0`,
      `SELECT setval('"_iaso_seq"', (SELECT (value / 4096 + 1) * 4096 FROM "_iaso_counter" WHERE name = 'seq'), true) FROM "_iaso_seq" WHERE NOT is_called`
    ])
    // A transaction's first draw: its horizon lock keyed by the last value, the draws' shared lock, then one block.
    expect(compileDraw(names, 1, true)).toBe(
      `SELECT nextval('"_iaso_seq"') AS value FROM (SELECT pg_advisory_xact_lock_shared((86961::bigint * 35184372088832 + last_value / 4096)), pg_advisory_xact_lock_shared(86961, 0), 1 AS one FROM "_iaso_seq" OFFSET 0) AS locked`
    )
    // A later one: the draws' lock only.
    expect(compileDraw(names, 1, false)).toBe(
      `SELECT nextval('"_iaso_seq"') AS value FROM (SELECT pg_advisory_xact_lock_shared(86961, 0), 1 AS one FROM "_iaso_seq" OFFSET 0) AS locked`
    )
    // Three consecutive blocks: the draws' lock exclusive, so no other draw comes between.
    expect(compileDraw(names, 3, true)).toBe(
      `SELECT max(nextval('"_iaso_seq"')) AS value FROM (SELECT pg_advisory_xact_lock_shared((86961::bigint * 35184372088832 + last_value / 4096)), pg_advisory_xact_lock(86961, 0), 1 AS one FROM "_iaso_seq" OFFSET 0) AS locked CROSS JOIN LATERAL generate_series(locked.one, 3) AS g`
    )
    expect(compileHorizon(names)).toBe(
      `SELECT least(s.last_value, min((((l.classid::bigint << 32) | l.objid::bigint) - 86961::bigint * 35184372088832) * 4096)) AS horizon FROM (SELECT last_value, 1 AS one FROM "_iaso_seq" OFFSET 0) AS s LEFT JOIN LATERAL (SELECT classid, objid FROM pg_locks WHERE s.one = 1 AND locktype = 'advisory' AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS l ON ((l.classid::bigint << 32) | l.objid::bigint) >= 86961::bigint * 35184372088832 AND ((l.classid::bigint << 32) | l.objid::bigint) < 86961::bigint * 35184372088832 + 35184372088832 GROUP BY s.last_value`
    )
    const feed = compileChangesSince(postgresDialect, [...tables.values()].slice(0, 1), "acc1", 40, 500, 8192)
    expect(feed.text).toContain(`"_seq" > $2 AND "_seq" <= $3 ORDER BY "_seq" LIMIT 500`)
    expect(feed.text).toContain(`seq > $5 AND seq <= $6 ORDER BY seq LIMIT 500`)
    expect(feed.params).toEqual(["acc1", 40, 8192, "acc1", 40, 8192])
  })
})

describe("array parameters", () => {
  it("are PostgreSQL array literals made by JSON.stringify where both syntaxes read the same", () => {
    expect(arrayLiteral(["a", 'q"b\\', null, ""])).toBe('{"a","q\\"b\\\\",null,""}')
    expect(arrayLiteral([1, 2.5, -3e21, null])).toBe("{1,2.5,-3e+21,null}")
    expect(arrayLiteral([true, false, null])).toBe("{true,false,null}")
    expect(arrayLiteral([])).toBe("{}")
  })
  it("are left to the driver for escapes PostgreSQL reads differently and for non-finite numbers", () => {
    for (const values of [["new\nline"], ["tab\t"], ["\u0001"], ["back\\nslash"], [1, Number.NaN], [Number.POSITIVE_INFINITY], [1n]]) {
      expect(arrayLiteral(values)).toBe(values)
    }
  })
})
