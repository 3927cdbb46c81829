import { Cause, Effect, Exit, Option, Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  accuracyOf,
  BlobStore,
  compareCodePoints,
  compareDecimals,
  DateOnly,
  foldKey,
  Instant,
  Json,
  MAX_INSTANT_MS,
  MIN_INSTANT_MS,
  NotFound,
  roundHalfUp,
  uuidv7,
  uuidv7Millis,
  ValidationError
} from "@iaso/core"
// The cursor helpers are not part of the package's public surface (only `fingerprint` is).
import { decodeCursor, encodeCursor, fingerprint } from "../src/shared/cursor.ts"

/** The message of the SchemaError raised by decoding `input` (fails the test if it decodes or throws otherwise). */
const decodeFailure = (schema: Schema.Decoder<unknown>, input: unknown): string => {
  try {
    Schema.decodeUnknownSync(schema)(input)
  } catch (error) {
    expect(Schema.isSchemaError(error)).toBe(true)
    return error instanceof Error ? error.message : String(error)
  }
  throw new Error("expected decoding to fail")
}

const UUIDV7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("uuidv7", () => {
  // uuidv7 keeps a module-level clock (last millisecond + counter): every test here uses its own,
  // strictly later `now` so that the tests do not depend on each other's order.
  it("has the UUIDv7 layout: version nibble 7, variant 10xx, lower-case hex", () => {
    const id = uuidv7()
    expect(id).toMatch(UUIDV7_PATTERN)
    expect(id).toHaveLength(36)
    expect(id.charAt(14)).toBe("7")
    const variant = Number.parseInt(id.charAt(19), 16)
    expect(variant >> 2).toBe(0b10)
  })

  it("encodes the given millisecond, read back by uuidv7Millis", () => {
    const now = Date.UTC(2100, 0, 1, 12, 30, 45, 678)
    const id = uuidv7(now)
    expect(uuidv7Millis(id)).toBe(now)
    expect(id.slice(0, 8) + id.slice(9, 13)).toBe(now.toString(16).padStart(12, "0"))
    expect(uuidv7Millis(uuidv7(now + 1))).toBe(now + 1)
  })

  it("reads the millisecond of a hand-written id", () => {
    expect(uuidv7Millis("018f3a1e-7b2c-7d4e-8f10-123456789abc")).toBe(0x018f3a1e7b2c)
    expect(uuidv7Millis("00000000-0000-7000-8000-000000000000")).toBe(0)
  })

  it("makes 10 000 strictly increasing, distinct ids within one millisecond", () => {
    const now = Date.UTC(2101, 0, 1)
    const ids = Array.from({ length: 10_000 }, () => uuidv7(now))
    for (const id of ids) expect(id).toMatch(UUIDV7_PATTERN)
    for (let i = 1; i < ids.length; i++) {
      const previous = ids[i - 1] ?? ""
      const current = ids[i] ?? ""
      expect(previous < current, `id ${i} must sort after id ${i - 1}`).toBe(true)
    }
    expect(new Set(ids).size).toBe(10_000)
    // the first id carries the millisecond itself; the 12-bit counter spills into the next milliseconds
    expect(uuidv7Millis(ids[0] ?? "")).toBe(now)
    expect(uuidv7Millis(ids[4095] ?? "")).toBe(now)
    expect(uuidv7Millis(ids[4096] ?? "")).toBe(now + 1)
    expect(uuidv7Millis(ids[9999] ?? "")).toBe(now + 2)
  })

  it("keeps increasing when the clock goes back", () => {
    const now = Date.UTC(2102, 0, 1)
    const first = uuidv7(now)
    const second = uuidv7(now - 1000)
    expect(second > first).toBe(true)
    expect(uuidv7Millis(second)).toBe(now)
  })
})

describe("roundHalfUp", () => {
  it.each([
    ["2.345", 2, "2.35"],
    ["-2.345", 2, "-2.35"],
    ["2.3449", 2, "2.34"],
    [0.125, 2, "0.13"],
    // 1.005 is 1.00499999999999989... in binary, but its shortest text is "1.005": rounded in decimal
    [1.005, 2, "1.01"],
    ["10", 2, "10"],
    ["2.5", 0, "3"],
    ["-2.5", 0, "-3"],
    ["2.4999", 0, "2"],
    ["10.001", 2, "10"],
    ["0.10", 2, "0.1"],
    ["-0.001", 2, "0"],
    ["99.995", 2, "100"],
    [1e21, 2, "1000000000000000000000"],
    [1.5e-7, 7, "0.0000002"]
  ] as const)("roundHalfUp(%j, %i) = %j", (value, places, expected) => {
    expect(roundHalfUp(value, places)).toBe(expected)
  })

  it("binary rounding would get 1.005 wrong (why the decimal arithmetic matters)", () => {
    expect(Math.round(1.005 * 100) / 100).toBe(1)
    expect(roundHalfUp(1.005, 2)).toBe("1.01")
  })

  it.each(["abc", "", "1e5", "1.2.3", "--1"])("gives undefined for %j", (value) => {
    expect(roundHalfUp(value, 2)).toBeUndefined()
  })

  it("gives undefined for non-finite numbers", () => {
    expect(roundHalfUp(Number.NaN, 2)).toBeUndefined()
    expect(roundHalfUp(Number.POSITIVE_INFINITY, 2)).toBeUndefined()
  })
})

describe("accuracyOf", () => {
  it.each([
    [12.345, "12.35"],
    ["12.345", "12.35"],
    [123456.7, "99999"],
    ["99999", "99999"],
    ["99999.004", "99999"],
    ["99999.005", "99999"],
    [0, "0"],
    ["5", "5"]
  ] as const)("accuracyOf(%j) = %j", (value, expected) => {
    expect(accuracyOf(value)).toBe(expected)
  })

  it.each(["-1", -1, "abc", "", -0.5])("accuracyOf(%j) is undefined", (value) => {
    expect(accuracyOf(value)).toBeUndefined()
  })
})

describe("compareDecimals", () => {
  it.each([
    ["1", "2", -1],
    ["2", "1", 1],
    ["1.10", "1.1", 0],
    ["-1", "0.5", -1],
    ["10", "9.99", 1],
    ["-10", "-9.99", -1],
    ["0", "-0", 0],
    ["123456789.0123456789", "123456789.012345679", -1],
    ["99999999999999999999.1", "99999999999999999999", 1]
  ] as const)("compareDecimals(%j, %j) has the sign %i", (a, b, sign) => {
    expect(Math.sign(compareDecimals(a, b))).toBe(sign)
  })

  it("refuses text that is not a decimal", () => {
    expect(() => compareDecimals("abc", "1")).toThrow(TypeError)
    expect(() => compareDecimals("1", "1e3")).toThrow("not a decimal")
  })
})

describe("text", () => {
  it("folds search keys: NFKD, combining marks removed, lower case", () => {
    expect(foldKey("Ségou Région ÉÈ")).toBe("segou region ee")
    expect(foldKey("ÇA")).toBe("ca")
    expect(foldKey("ﬁ")).toBe("fi")
  })

  it("orders by code point, unlike JS `<` on UTF-16 code units", () => {
    const bmpLast = "\uFFFF"
    const emoji = "\u{1F600}"
    // JS compares the emoji's first surrogate (U+D83D), which is below U+FFFF
    expect(emoji < bmpLast).toBe(true)
    // by code point U+FFFF comes before U+1F600
    expect(compareCodePoints(bmpLast, emoji)).toBeLessThan(0)
    expect(compareCodePoints(emoji, bmpLast)).toBeGreaterThan(0)
    expect(compareCodePoints(emoji, emoji)).toBe(0)
    expect([emoji, bmpLast, "a"].sort(compareCodePoints)).toEqual(["a", bmpLast, emoji])
  })

  it("orders plain ASCII like `<`", () => {
    expect(compareCodePoints("a", "b")).toBeLessThan(0)
    expect(compareCodePoints("b", "a")).toBeGreaterThan(0)
    expect(compareCodePoints("B", "a")).toBeLessThan(0)
    expect(compareCodePoints("abc", "abc")).toBe(0)
    expect(compareCodePoints("ab", "abc")).toBeLessThan(0)
    expect(compareCodePoints("", "a")).toBeLessThan(0)
    const words = ["delta", "Alpha", "charlie", "bravo", "alpha", "Zulu", "a"]
    expect([...words].sort(compareCodePoints)).toEqual([...words].sort())
  })
})

describe("DateOnly", () => {
  it.each(["2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "2023-12-31"])("accepts %j", (text) => {
    expect(Schema.decodeUnknownSync(DateOnly)(text)).toBe(text)
  })

  it.each([
    ["2023-02-29", "2023-02-29 is not a day of the calendar"],
    ["1900-02-29", "1900-02-29 is not a day of the calendar"],
    ["2023-04-31", "2023-04-31 is not a day of the calendar"],
    ["0000-01-01", "0000-01-01 is not a day of the calendar"],
    ["2023-13-01", "Expected a date written YYYY-MM-DD"],
    ["2023-1-01", "Expected a date written YYYY-MM-DD"],
    ["2023-01-1", "Expected a date written YYYY-MM-DD"],
    ["2023-01-01T00:00:00Z", "Expected a date written YYYY-MM-DD"]
  ])("refuses %j", (text, message) => {
    expect(decodeFailure(DateOnly, text)).toContain(message)
  })
})

describe("Instant", () => {
  it.each([0, MIN_INSTANT_MS, MAX_INSTANT_MS, 1718900000123, -1])("decodes %i to the exact millisecond and back", (ms) => {
    const date = Schema.decodeUnknownSync(Instant)(ms)
    expect(date).toBeInstanceOf(Date)
    expect(date.getTime()).toBe(ms)
    expect(Schema.encodeSync(Instant)(date)).toBe(ms)
  })

  it("has the documented bounds", () => {
    expect(MIN_INSTANT_MS).toBe(-62135596800000)
    expect(MAX_INSTANT_MS).toBe(253402300799999)
    expect(Schema.decodeUnknownSync(Instant)(-62135596800000).toISOString()).toBe("0001-01-01T00:00:00.000Z")
    expect(Schema.decodeUnknownSync(Instant)(253402300799999).toISOString()).toBe("9999-12-31T23:59:59.999Z")
  })

  it.each([253402300800000, -62135596800001])("refuses %i (out of range)", (ms) => {
    expect(decodeFailure(Instant, ms)).toContain("Expected epoch milliseconds between years 1 and 9999")
  })

  it("refuses non-integers and non-numbers", () => {
    expect(decodeFailure(Instant, 1.5)).toContain("Expected an integer")
    expect(decodeFailure(Instant, "2024-01-01")).toContain("Expected number")
  })

  it("refuses to encode a date out of range or invalid", () => {
    expect(() => Schema.encodeSync(Instant)(new Date(MAX_INSTANT_MS + 1))).toThrow()
    expect(() => Schema.encodeSync(Instant)(new Date(Number.NaN))).toThrow()
  })
})

describe("Json", () => {
  it.each([true, 0, -12.5, "text", [], {}, [1, "a", null, false, [[]], { k: [null] }], { a: { b: { c: [1, 2, { d: "é\u{1F600}" }] } }, n: null, t: true }])(
    "accepts %j unchanged",
    (value) => {
      expect(Schema.decodeUnknownSync(Json)(value)).toEqual(value)
      expect(Schema.encodeSync(Json)(Schema.decodeUnknownSync(Json)(value))).toEqual(value)
    }
  )

  it("refuses a top-level null", () => {
    expect(decodeFailure(Json, null)).toContain("Expected boolean | number | string | array | object")
  })

  it("refuses NaN and infinities, at the top and nested", () => {
    expect(decodeFailure(Json, Number.NaN)).toContain("Expected a finite number")
    expect(decodeFailure(Json, Number.POSITIVE_INFINITY)).toContain("Expected a finite number")
    expect(decodeFailure(Json, { a: [1, Number.NaN] })).toContain(`at ["a"][1]`)
  })

  it("refuses -0, at the top and nested", () => {
    expect(decodeFailure(Json, -0)).toContain("-0 is not a JSON number")
    const nested = decodeFailure(Json, { a: { b: -0 } })
    expect(nested).toContain("-0 is not a JSON number")
    expect(nested).toContain(`at ["a"]["b"]`)
  })

  it("refuses U+0000 in strings, at the top and nested", () => {
    expect(decodeFailure(Json, "a\u0000b")).toContain("must not contain the NUL character (U+0000)")
    const nested = decodeFailure(Json, { a: [{ b: "x\u0000" }] })
    expect(nested).toContain("must not contain the NUL character (U+0000)")
    expect(nested).toContain(`at ["a"][0]["b"]`)
  })

  it("refuses U+0000 in keys instead of dropping them, at the top and nested", () => {
    expect(decodeFailure(Json, { "k\u0000": "v", ok: 1 })).toContain("keys must not contain the NUL character (U+0000)")
    const nested = decodeFailure(Json, { a: { "b\u0000": 1 }, ok: 1 })
    expect(nested).toContain("keys must not contain the NUL character (U+0000)")
    expect(nested).toContain(`at ["a"]`)
    expect(() => Schema.encodeSync(Json)({ "k\u0000": "v" })).toThrow(/NUL/)
  })
})

describe("cursors", () => {
  const query = fingerprint("OrgUnit|account-1|name asc")

  it("round-trips the position of a page", () => {
    const after = ["Ségou \u{1F600}", 42, -1.5, true, null] as const
    const cursor = encodeCursor(query, after)
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeCursor(cursor, query)).toEqual(after)
    expect(decodeCursor(encodeCursor(query, []), query)).toEqual([])
  })

  it("fingerprints are 8 hex digits, stable, different for different queries", () => {
    expect(query).toMatch(/^[0-9a-f]{8}$/)
    expect(fingerprint("OrgUnit|account-1|name asc")).toBe(query)
    expect(fingerprint("OrgUnit|account-2|name asc")).not.toBe(query)
    // FNV-1a 32-bit of the empty string is the offset basis
    expect(fingerprint("")).toBe("811c9dc5")
  })

  it("refuses a cursor of another query", () => {
    const other = fingerprint("OrgUnit|account-2|name asc")
    const result = decodeCursor(encodeCursor(other, ["x"]), query)
    expect(result).toBeInstanceOf(ValidationError)
    if (!(result instanceof ValidationError)) return
    expect(result.message).toContain("another query")
    expect(result.issues).toEqual([{ path: ["cursor"], message: "the cursor belongs to another query or account" }])
  })

  it.each([
    ["not base64", "!!!"],
    ["base64 of non-JSON", btoa("hello").replace(/=+$/, "")],
    ["JSON without q and a", btoa(JSON.stringify({ x: 1 })).replace(/=+$/, "")],
    ["JSON with a non-scalar position", btoa(JSON.stringify({ q: "811c9dc5", a: [{}] })).replace(/=+$/, "")],
    ["an empty string", ""]
  ])("refuses garbage: %s", (_label, cursor) => {
    const result = decodeCursor(cursor, "811c9dc5")
    expect(result).toBeInstanceOf(ValidationError)
    if (!(result instanceof ValidationError)) return
    expect(result.issues).toEqual([{ path: ["cursor"], message: "not a cursor of this SDK" }])
  })
})

describe("BlobStore.memory", () => {
  const HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
  const hello = () => new TextEncoder().encode("hello")
  const run = <A, E>(effect: Effect.Effect<A, E, BlobStore>) => Effect.runPromise(Effect.provide(effect, BlobStore.memory()))
  const runExit = <A, E>(effect: Effect.Effect<A, E, BlobStore>) => Effect.runPromiseExit(Effect.provide(effect, BlobStore.memory()))

  it("puts bytes under their content address and gets them back", async () => {
    const { ref, bytes, has } = await run(
      Effect.gen(function* () {
        const store = yield* BlobStore
        const ref = yield* store.put(hello(), { mediaType: "text/plain" })
        const bytes = yield* store.get(ref.key)
        const has = yield* store.has(ref.key)
        return { ref, bytes, has }
      })
    )
    expect(ref).toEqual({ key: `sha256/${HELLO_SHA256}`, size: 5, sha256: HELLO_SHA256, mediaType: "text/plain" })
    expect("fileName" in ref).toBe(false)
    expect(new TextDecoder().decode(bytes)).toBe("hello")
    expect(Array.from(bytes)).toEqual(Array.from(hello()))
    expect(has).toBe(true)
  })

  it("keeps the file name when given", async () => {
    const ref = await run(BlobStore.use((store) => store.put(hello(), { mediaType: "text/plain", fileName: "hello.txt" })))
    expect(ref.fileName).toBe("hello.txt")
    expect(ref.key).toBe(`sha256/${HELLO_SHA256}`)
  })

  it("gives the same key for the same bytes, and stores a copy", async () => {
    const { first, second, bytes } = await run(
      Effect.gen(function* () {
        const store = yield* BlobStore
        const input = hello()
        const first = yield* store.put(input, { mediaType: "text/plain" })
        input[0] = 0 // mutating the caller's buffer must not change the stored bytes
        const second = yield* store.put(hello(), { mediaType: "text/plain" })
        const bytes = yield* store.get(first.key)
        return { first, second, bytes }
      })
    )
    expect(second.key).toBe(first.key)
    expect(second).toEqual(first)
    expect(new TextDecoder().decode(bytes)).toBe("hello")
  })

  it("stores the empty blob", async () => {
    const ref = await run(BlobStore.use((store) => store.put(new Uint8Array(0), { mediaType: "application/octet-stream" })))
    expect(ref.key).toBe("sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    expect(ref.size).toBe(0)
  })

  it("fails with NotFound for an unknown key", async () => {
    const key = `sha256/${"0".repeat(64)}`
    const exit = await runExit(BlobStore.use((store) => store.get(key)))
    expect(Exit.isFailure(exit)).toBe(true)
    if (!Exit.isFailure(exit)) return
    const error = Option.getOrUndefined(Cause.findErrorOption(exit.cause))
    expect(error).toBeInstanceOf(NotFound)
    expect(error?._tag).toBe("NotFound")
    if (!(error instanceof NotFound)) return
    expect(error.model).toBe("Blob")
    expect(error.id).toBe(key)
  })

  it("removes a blob: has() is then false and get() fails; removing again is no error", async () => {
    const result = await runExit(
      Effect.gen(function* () {
        const store = yield* BlobStore
        const ref = yield* store.put(hello(), { mediaType: "text/plain" })
        yield* store.remove(ref.key)
        const has = yield* store.has(ref.key)
        yield* store.remove(ref.key)
        const got = yield* Effect.flip(store.get(ref.key))
        return { has, got }
      })
    )
    expect(Exit.isSuccess(result)).toBe(true)
    if (!Exit.isSuccess(result)) return
    expect(result.value.has).toBe(false)
    expect(result.value.got._tag).toBe("NotFound")
  })

  it("gives every layer build its own memory", async () => {
    await run(BlobStore.use((store) => store.put(hello(), { mediaType: "text/plain" })))
    expect(await run(BlobStore.use((store) => store.has(`sha256/${HELLO_SHA256}`)))).toBe(false)
  })
})
