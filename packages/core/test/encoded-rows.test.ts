/**
 * Rows as one JSON text (`encodeRows`, what an import hands a store's `insertEncoded`): the text
 * holds each row's values in column order and reads back as the rows it was made from; rows with a
 * value JSON does not carry exactly are left to the ordinary write (no text).
 */
import { describe, expect, it } from "vitest"
import { type Column, decodeRows, encodeRows, type Row } from "../src/index.ts"

const columns: ReadonlyArray<Column> = [
  { name: "id", kind: "text", nullable: false },
  { name: "n", kind: "real", nullable: true },
  { name: "flag", kind: "boolean", nullable: true },
  { name: "doc", kind: "json", nullable: true },
  { name: "note", kind: "text", nullable: true },
  { name: "account", kind: "text", nullable: true },
  { name: "tags", kind: "json", nullable: true },
  { name: "active", kind: "boolean", nullable: true },
  { name: "unused", kind: "integer", nullable: true }
]
const kinds = new Map(columns.map((c) => [c.name, c.kind]))

describe("rows as one JSON text", () => {
  it("holds each row's values in column order (JSON values as their text, absent values as null), a value shared by every row once, and reads back as the rows", () => {
    const shared = { account: "acc 'one'", tags: { k: ["x"] }, active: false }
    const rows: ReadonlyArray<Row> = [
      { id: "a", n: 0.1 + 0.2, flag: true, doc: { text: 'q"\n', list: [1, null] }, note: "nul \u0000 é 🏥", ...shared },
      { id: "b", flag: false, doc: "just text", ...shared },
      { id: "c", n: Number.MAX_SAFE_INTEGER, doc: null, extra: "not a column", ...shared }
    ]
    const encoded = encodeRows(columns, rows, ["a"])
    expect(encoded).toEqual({
      columns: ["id", "n", "flag", "doc", "note"],
      constants: [
        { column: "account", value: "acc 'one'" },
        { column: "tags", value: '{"k":["x"]}' },
        { column: "active", value: false }
      ],
      count: 3,
      given: ["a"],
      text: JSON.stringify([
        ["a", 0.30000000000000004, true, '{"text":"q\\"\\n","list":[1,null]}', "nul \u0000 é 🏥"],
        ["b", null, false, '"just text"', null],
        ["c", 9007199254740991, null, null, null]
      ])
    })
    expect(encoded === undefined ? undefined : decodeRows(encoded, kinds)).toEqual([
      { id: "a", n: 0.30000000000000004, flag: true, doc: { text: 'q"\n', list: [1, null] }, note: "nul \u0000 é 🏥", ...shared },
      { id: "b", flag: false, doc: "just text", ...shared },
      { id: "c", n: Number.MAX_SAFE_INTEGER, ...shared }
    ])
  })

  it("gives a single row's values in the text (no constants)", () => {
    expect(encodeRows(columns, [{ id: "a", account: "acc" }], [])).toEqual({
      columns: ["id", "account"],
      constants: [],
      text: '[["a","acc"]]',
      count: 1,
      given: []
    })
  })

  it("is not made for values JSON does not carry exactly: -0, non-finite numbers, lone surrogates, big integers, dates", () => {
    for (const value of [-0, Number.NaN, Number.POSITIVE_INFINITY, "lone \ud800 surrogate", "\udc00", "\\\ud800", 10n, new Date(0)]) {
      const field = typeof value === "string" ? "note" : "n"
      expect([field, encodeRows(columns, [{ id: "a" }, { id: "b", [field]: value }], [])]).toEqual([field, undefined])
    }
    // A well-formed surrogate pair and a backslash before "ud800" are carried.
    expect(encodeRows(columns, [{ id: "a", note: "😀 \\ud800" }], [])?.count).toBe(1)
  })
})
