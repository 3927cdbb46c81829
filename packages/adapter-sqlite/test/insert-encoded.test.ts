/**
 * Rows inserted from one JSON text (`insertEncoded`, what an import hands SQLite) are stored as
 * `write` stores them: the same values with the same SQL types, whatever the text holds (quotes,
 * newlines, control characters, U+0000, astral characters, the extreme doubles, safe integers at
 * their bounds, booleans, JSON values, absent values); a text a unique key refuses writes nothing.
 */
import { SqliteStore } from "@iaso/adapter-sqlite"
import { type EncodedRows, encodeRows, OrgUnitModel, type Row, Store, type StoreDriver } from "@iaso/core"
import Database from "better-sqlite3"
import { Effect, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const dir = mkdtempSync(join(tmpdir(), "iaso-sqlite-encoded-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const names = [
  "quote \" and ' here",
  "new\nline\r\ttab",
  "control \u0001 \u001f \u007f",
  "nul \u0000 inside",
  "Ségou 🏥 «clinic» \u2028",
  "back\\slash \\u0041",
  "NULL",
  ""
]
const reals = [0.1 + 0.2, 5e-324, -1.7976931348623157e308, 1e21, 3, -2.5, 123456.78901234567]
const integers = [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 0, 1, -7]

/** Rows of every column kind, ids from `prefix` (stored rows: what the codec hands the store). */
const rowsOf = (prefix: string): ReadonlyArray<Row> =>
  Array.from({ length: 40 }, (_, i) => {
    const real = reals[i % reals.length] ?? 0
    return {
      id: `${prefix}-0000-7000-8000-${String(i).padStart(12, "0")}`,
      accountId: "acc",
      version: integers[i % integers.length],
      createdAt: 1_765_000_000_000 + i,
      updatedAt: 1_765_000_000_000,
      name: names[i % names.length],
      custom: i % 2 === 0,
      validationStatus: "VALID",
      versionId: "v1",
      ...(i % 4 === 0 ? {} : { parentId: `parent ${i}` }),
      path: `${prefix}${i}/`,
      depth: integers[(i + 1) % integers.length],
      extraFields: { text: names[(i + 3) % names.length], n: real, list: [true, null, { deep: "é" }] },
      code: i % 3 === 0 ? "" : `${prefix}${i}`,
      ...(i % 5 === 0 ? {} : { location: { type: "Point", coordinates: [real, -real] } }),
      nameKey: `key ${i}`,
      ...(i % 5 === 0 ? {} : { bboxWest: real, bboxSouth: -real, bboxEast: real, bboxNorth: -real })
    }
  })

/** Every stored column of the rows whose id starts with `prefix`, with its SQL type, the id left out and the prefix of paths and codes made `*`. */
const stored = (file: string, prefix: string): ReadonlyArray<Record<string, unknown>> => {
  const db = new Database(file, { readonly: true })
  try {
    const columns = OrgUnitModel.columns.map((c) => c.name).filter((name) => name !== "id")
    const select = columns.map((name) => `"${name}" AS "${name}", typeof("${name}") AS "${name}:type"`).join(", ")
    const rows = db.prepare(`SELECT ${select} FROM "OrgUnit" WHERE id LIKE ? ORDER BY id`).all(`${prefix}%`) as ReadonlyArray<Record<string, unknown>>
    return rows.map((row) => ({ ...row, path: String(row["path"]).replace(prefix, "*"), code: String(row["code"]).replace(prefix, "*") }))
  } finally {
    db.close()
  }
}

describe("SQLite store: rows inserted from a JSON text", () => {
  const file = join(dir, "encoded.sqlite")
  const app = ManagedRuntime.make(SqliteStore.layer({ filename: file }))
  afterAll(() => app.dispose())
  const withStore = <A>(f: (store: StoreDriver) => Effect.Effect<A, unknown>) => app.runPromise(Effect.flatMap(Effect.service(Store), f))
  const scope = { accountId: "acc" }
  /** The store's `insertEncoded` of a text (`"absent"` when there is no text or no such method). */
  const insertText = (text: EncodedRows | undefined) =>
    withStore((store) => (text === undefined || store.insertEncoded === undefined ? Effect.succeed("absent") : store.insertEncoded(OrgUnitModel, scope, text)))

  it("are stored as write stores them: the same values and SQL types", async () => {
    const written = rowsOf("aaaaaaaa")
    const encoded = rowsOf("bbbbbbbb")
    const text = encodeRows(OrgUnitModel.columns, encoded, [])
    expect(text?.count).toBe(40)
    const outcomes = await withStore((store) =>
      store.write(
        OrgUnitModel,
        scope,
        written.map((row) => ({ kind: "insert", row, fresh: true }))
      )
    )
    expect(outcomes.every((outcome) => outcome._tag === "Written")).toBe(true)
    expect(await insertText(text)).toBe("Written")
    const viaText = stored(file, "bbbbbbbb")
    expect(viaText).toEqual(stored(file, "aaaaaaaa"))
    expect(viaText[3]).toMatchObject({ name: "nul \u0000 inside", "name:type": "text", custom: 0, "custom:type": "integer", "parentId:type": "text" })
    expect(viaText[0]).toMatchObject({ "parentId:type": "null", "location:type": "null", "bboxWest:type": "null", code: "" })
    expect(viaText[1]).toMatchObject({ version: Number.MIN_SAFE_INTEGER, depth: 0, bboxWest: 5e-324, "bboxWest:type": "real", custom: 0 })
    expect(viaText[4]).toMatchObject({ bboxWest: 3, "bboxWest:type": "real", custom: 1, name: "Ségou 🏥 «clinic» \u2028" })
    // Read back through the store: the same rows.
    const read = await withStore((store) =>
      store.getMany(
        OrgUnitModel,
        scope,
        encoded.map((row) => String(row["id"]))
      )
    )
    const byId = new Map(read.map((row) => [String(row["id"]), row]))
    expect(encoded.map((row) => byId.get(String(row["id"])))).toEqual(encoded)
  })

  it("columns with one value in every row (given once, beside the text) are stored as write stores them", async () => {
    const shared = (prefix: string) =>
      rowsOf(prefix).map((row) => ({
        ...row,
        name: 'one "name"\n',
        custom: true,
        depth: Number.MAX_SAFE_INTEGER,
        extraFields: { a: 'é "q"', n: [0.1 + 0.2] },
        location: { type: "Point", coordinates: [0.1 + 0.2, -1e-300] },
        bboxWest: 0.1 + 0.2,
        bboxSouth: -1e-300,
        bboxEast: 0.1 + 0.2,
        bboxNorth: -1e-300
      }))
    const text = encodeRows(OrgUnitModel.columns, shared("dddddddd"), [])
    expect(text?.constants.map((constant) => constant.column)).toEqual([
      "accountId",
      "updatedAt",
      "name",
      "custom",
      "validationStatus",
      "versionId",
      "depth",
      "location",
      "extraFields",
      "bboxWest",
      "bboxSouth",
      "bboxEast",
      "bboxNorth"
    ])
    await withStore((store) =>
      store.write(
        OrgUnitModel,
        scope,
        shared("eeeeeeee").map((row) => ({ kind: "insert", row, fresh: true }))
      )
    )
    expect(await insertText(text)).toBe("Written")
    const viaText = stored(file, "dddddddd")
    expect(viaText).toEqual(stored(file, "eeeeeeee"))
    expect(viaText[0]).toMatchObject({ custom: 1, "custom:type": "integer", depth: Number.MAX_SAFE_INTEGER, bboxSouth: -1e-300, "bboxSouth:type": "real" })
  })

  it("a text with a row a unique key refuses writes nothing and answers Refused", async () => {
    const fresh = rowsOf("cccccccc")
    const taken = rowsOf("aaaaaaaa")[7] as Row
    const text = encodeRows(OrgUnitModel.columns, [...fresh, taken], [String(taken["id"])])
    expect(await insertText(text)).toBe("Refused")
    expect(stored(file, "cccccccc")).toEqual([])
  })
})
