/**
 * Result rows to stored rows (`rows.ts`), and which listings leave their cursor's columns out
 * where a store cannot read two statements in one snapshot (`leavesOutOnlyAt`).
 */
import type { StoreQuery } from "@iaso/core"
import { describe, expect, it } from "vitest"
import { LEAVE_OUT_FROM, leavesOutOnlyAt } from "../src/compile-query.ts"
import { postgresDialect, sqliteDialect } from "../src/dialect.ts"
import { rowDecoder, rowsDecoder } from "../src/rows.ts"
import { unit } from "./golden.ts"

describe("rowsDecoder", () => {
  it("passes a result of NOT NULL text columns on as the driver gave it", () => {
    const result = [
      { id: "u1", name: "A" },
      { id: "u2", name: "B" }
    ]
    for (const dialect of [sqliteDialect, postgresDialect]) {
      const decoded = rowsDecoder(dialect, unit, ["id", "name", "path"])(result)
      expect(decoded).toBe(result)
      expect(decoded).toEqual([
        { id: "u1", name: "A" },
        { id: "u2", name: "B" }
      ])
    }
  })

  it("decodes rows with a nullable or non-text column, as rowDecoder does, into a new array", () => {
    const result = [
      { id: "u1", code: null, depth: 2, open: 1 },
      { id: "u2", code: "C2", depth: 3, open: 0 }
    ]
    const decoded = rowsDecoder(sqliteDialect, unit, ["id", "code", "depth", "open"])(result)
    expect(decoded).not.toBe(result)
    expect(decoded).toEqual([
      { id: "u1", depth: 2, open: true },
      { id: "u2", code: "C2", depth: 3, open: false }
    ])
    expect(decoded).toEqual(result.map(rowDecoder(sqliteDialect, unit, ["id", "code", "depth", "open"])))
    expect(rowsDecoder(sqliteDialect, unit, ["id", "code"])([{ id: "u1", code: null }])).toEqual([{ id: "u1" }])
  })

  it("decodes every column of the table without a list", () => {
    const row = { id: "u1", accountId: "a", version: 1, updatedAt: 5, name: "A", code: null, path: "/u1/", depth: 1, score: null, open: true, extra: null }
    const decoded = rowsDecoder(postgresDialect, unit)([row])
    expect(decoded).toEqual([{ id: "u1", accountId: "a", version: 1, updatedAt: 5, name: "A", path: "/u1/", depth: 1, open: true }])
  })
})

describe("leavesOutOnlyAt", () => {
  const query = (limit: number | undefined, after?: ReadonlyArray<string>): StoreQuery => ({
    where: [],
    orderBy: [{ field: "path", direction: "asc" }],
    select: ["id", "name"],
    onlyAt: { columns: ["path"], at: 0 },
    ...(limit === undefined ? {} : { limit }),
    ...(after === undefined ? {} : { after })
  })

  it("leaves the columns out of a first page of more than LEAVE_OUT_FROM rows only", () => {
    expect(LEAVE_OUT_FROM).toBe(1000)
    expect(leavesOutOnlyAt(query(10_002))).toBe(true)
    expect(leavesOutOnlyAt(query(1001))).toBe(true)
    expect(leavesOutOnlyAt(query(1000))).toBe(false)
    expect(leavesOutOnlyAt(query(101))).toBe(false)
    expect(leavesOutOnlyAt(query(undefined))).toBe(false)
    expect(leavesOutOnlyAt(query(10_002, ["/u1/"]))).toBe(false)
    const { onlyAt: _, ...plain } = query(10_002)
    expect(leavesOutOnlyAt(plain)).toBe(false)
  })
})
