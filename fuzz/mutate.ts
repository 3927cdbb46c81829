/**
 * Seeded mutators: what a hostile or damaged upload looks like, made from a real one. Byte
 * mutators (truncation, bit flips, deleted and duplicated ranges, NUL, invalid UTF-8, huge
 * numbers), text mutators for XML (deep nesting, repeated elements, entity declarations, huge
 * references), archive mutators for `.xlsx` (a damaged part rezipped, a zip bomb, a lying size)
 * and value mutators for JSON payloads (deep nesting, huge and negative-zero numbers, prototype
 * keys, wrong types, dropped and duplicated members). Every mutator is a pure function of its
 * input and the random source, so a seed and an index give back the same input.
 * @module
 */
import { prng } from "../packages/core/src/shared/random.ts"
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate"

/** The random source of one input. */
export interface Rand {
  /** A number in [0, 1). */
  readonly next: () => number
  /** An integer in [0, n). */
  readonly int: (n: number) => number
  /** One of the items. */
  readonly pick: <A>(items: ReadonlyArray<A>) => A
}

/** The random source of input `index` of a run seeded with `seed`. */
export const randFor = (seed: number, index: number): Rand => {
  const next = prng((seed * 1_000_003 + index * 7919) >>> 0)
  const int = (n: number) => Math.floor(next() * Math.max(1, n))
  return {
    next,
    int,
    pick: <A>(items: ReadonlyArray<A>): A => {
      const item = items[int(items.length)]
      if (item === undefined) throw new Error("pick from an empty list")
      return item
    }
  }
}

/** A named mutation of bytes. */
export type ByteMutator = readonly [name: string, mutate: (bytes: Uint8Array, rand: Rand) => Uint8Array]

const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Mutations that know nothing of the format. */
export const byteMutators: ReadonlyArray<ByteMutator> = [
  ["truncate", (bytes, rand) => bytes.slice(0, rand.int(bytes.length))],
  [
    "flip bits",
    (bytes, rand) => {
      const out = bytes.slice()
      for (let n = 1 + rand.int(8); n > 0 && out.length > 0; n--) {
        const at = rand.int(out.length)
        out[at] = (out[at] ?? 0) ^ (1 << rand.int(8))
      }
      return out
    }
  ],
  [
    "delete a range",
    (bytes, rand) => {
      const from = rand.int(bytes.length)
      return concat(bytes.slice(0, from), bytes.slice(from + 1 + rand.int(64)))
    }
  ],
  [
    "duplicate a range",
    (bytes, rand) => {
      const from = rand.int(bytes.length)
      const range = bytes.slice(from, from + 1 + rand.int(256))
      return concat(bytes.slice(0, from), range, range, bytes.slice(from))
    }
  ],
  [
    "insert NUL and invalid UTF-8",
    (bytes, rand) => {
      const at = rand.int(bytes.length)
      return concat(bytes.slice(0, at), Uint8Array.of(0, 0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80), bytes.slice(at))
    }
  ],
  [
    "huge number",
    (bytes, rand) => {
      const digits: Array<number> = []
      for (let i = 0; i < bytes.length; i++) if ((bytes[i] ?? 0) >= 0x30 && (bytes[i] ?? 0) <= 0x39) digits.push(i)
      const at = digits.length === 0 ? rand.int(bytes.length) : rand.pick(digits)
      const huge = rand.pick(["99999999999999999999999", "1e308", "-0", "999999999", "4294967296", "NaN", "-1"])
      return concat(bytes.slice(0, at), strToU8(huge), bytes.slice(at + 1))
    }
  ]
]

/** Applies one of `mutators` (its name is returned with the result). */
export const mutateWith = (mutators: ReadonlyArray<ByteMutator>, bytes: Uint8Array, rand: Rand): { readonly how: string; readonly bytes: Uint8Array } => {
  const [how, mutate] = rand.pick(mutators)
  return { how, bytes: mutate(bytes, rand) }
}

// --- XML -----------------------------------------------------------------------------------------

const textMutator =
  (f: (text: string, rand: Rand) => string) =>
  (bytes: Uint8Array, rand: Rand): Uint8Array =>
    strToU8(f(strFromU8(bytes), rand))

/** The offset just after the first start tag of the root element, or 0. */
const afterRootTag = (text: string): number => {
  const start = text.search(/<[A-Za-z_]/)
  if (start < 0) return 0
  const end = text.indexOf(">", start)
  return end < 0 ? 0 : end + 1
}

/** Mutations of XML text, besides the byte mutators. */
export const xmlMutators: ReadonlyArray<ByteMutator> = [
  ...byteMutators,
  [
    "nest deep",
    textMutator((text, rand) => {
      const depth = rand.pick([1_000, 10_000, 100_000])
      const at = afterRootTag(text)
      return `${text.slice(0, at)}${"<n>".repeat(depth)}${"</n>".repeat(depth)}${text.slice(at)}`
    })
  ],
  [
    "repeat an element",
    textMutator((text, rand) => {
      const elements = [...text.matchAll(/<([A-Za-z_][\w.:-]*)[^<>]*\/>/g)]
      if (elements.length === 0) return text
      const element = rand.pick(elements)
      const at = (element.index ?? 0) + element[0].length
      return text.slice(0, at) + element[0].repeat(rand.pick([1_000, 100_000])) + text.slice(at)
    })
  ],
  [
    "declare entities",
    textMutator((text) => {
      const entities = ['<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">']
      for (let i = 1; i < 10; i++) entities.push(`<!ENTITY ${String.fromCharCode(97 + i)} "${`&${String.fromCharCode(96 + i)};`.repeat(10)}">`)
      const prolog = `<?xml version="1.0"?><!DOCTYPE r [${entities.join("")}]>`
      const body = text.replace(/^<\?xml[^>]*\?>/, "")
      const at = afterRootTag(body)
      return `${prolog}${body.slice(0, at)}&j;${body.slice(at)}`
    })
  ],
  [
    "prototype names",
    textMutator((text, rand) => {
      const name = rand.pick(["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"])
      const at = afterRootTag(text)
      return `${text.slice(0, at)}<${name} ${name}="x">${name}</${name}>${text.slice(at)}`
    })
  ]
]

// --- archives (.xlsx) ----------------------------------------------------------------------------

/** A zip of `files`, stored (valid, and fast to make: the archive is what matters, not its size). */
const zip = (files: Record<string, Uint8Array>): Uint8Array => zipSync(files, { level: 0 })

const unzipped = new WeakMap<Uint8Array, Readonly<Record<string, Uint8Array>>>()

/** The entries of a trusted seed archive (a copy of the map; the entries themselves are never changed). */
const entriesOf = (bytes: Uint8Array): Record<string, Uint8Array> => {
  let entries = unzipped.get(bytes)
  if (entries === undefined) {
    entries = unzipSync(bytes)
    unzipped.set(bytes, entries)
  }
  return { ...entries }
}

/** Mutations of an `.xlsx`, besides the byte mutators: a part damaged and rezipped, bombs, huge references. */
export const xlsxMutators: ReadonlyArray<ByteMutator> = [
  ...byteMutators,
  [
    "damage a part",
    (bytes, rand) => {
      const files = entriesOf(bytes)
      const names = Object.keys(files).filter((name) => name.endsWith(".xml") || name.endsWith(".rels"))
      if (names.length === 0) return bytes
      const name = rand.pick(names)
      const part = files[name] ?? new Uint8Array()
      return zip({ ...files, [name]: mutateWith(xmlMutators, part, rand).bytes })
    }
  ],
  [
    "huge cell reference",
    (bytes, rand) => {
      const files = entriesOf(bytes)
      const sheets = Object.keys(files).filter((name) => name.startsWith("xl/worksheets/"))
      if (sheets.length === 0) return bytes
      const name = rand.pick(sheets)
      const text = strFromU8(files[name] ?? new Uint8Array())
      const reference = rand.pick(["ZZZZZZZ1", "A999999999", "XFD1048576", "A0", "1A"])
      return zip({ ...files, [name]: strToU8(text.replace(/ r="[A-Z]+\d+"/, ` r="${reference}"`)) })
    }
  ],
  [
    "zip bomb",
    (bytes, rand) => {
      const files = entriesOf(bytes)
      const sheets = Object.keys(files).filter((name) => name.startsWith("xl/worksheets/"))
      const name = sheets.length === 0 ? "xl/worksheets/sheet1.xml" : rand.pick(sheets)
      // 12 MiB of spaces (beyond the limit of one entry) compress to about 50 kB.
      return zipSync({ ...files, [name]: new Uint8Array(12 * 2 ** 20).fill(0x20) }, { level: 1 })
    }
  ],
  [
    "many entries",
    (bytes) => {
      const files = entriesOf(bytes)
      for (let i = 0; i < 2_000; i++) files[`xl/media/e${i}.bin`] = Uint8Array.of(i & 0xff)
      return zip(files)
    }
  ]
]

// --- JSON values ---------------------------------------------------------------------------------

/** A JSON value. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** Whether a JSON value is an object (not an array, not null). */
const isRecord = (value: Json): value is { readonly [key: string]: Json } => value !== null && typeof value === "object" && !Array.isArray(value)

/** Every path to an object or array in a value (the root included), in document order. */
const containers = (value: Json): Array<ReadonlyArray<string | number>> => {
  const out: Array<ReadonlyArray<string | number>> = []
  const stack: Array<readonly [Json, ReadonlyArray<string | number>]> = [[value, []]]
  while (stack.length > 0 && out.length < 100_000) {
    const [current, path] = stack.pop() ?? [null, []]
    if (current === null || typeof current !== "object") continue
    out.push(path)
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) stack.push([current[i] as Json, [...path, i]])
    } else for (const [key, item] of Object.entries(current)) stack.push([item as Json, [...path, key]])
  }
  return out
}

/** `value` with the container at `path` replaced by `f` of it (copies along the path). */
const updateAt = (value: Json, path: ReadonlyArray<string | number>, f: (container: Json) => Json): Json => {
  if (path.length === 0) return f(value)
  const [head, ...rest] = path
  if (Array.isArray(value) && typeof head === "number") return value.map((item, i) => (i === head ? updateAt(item as Json, rest, f) : (item as Json)))
  if (value !== null && typeof value === "object" && !Array.isArray(value) && typeof head === "string") {
    const record = value as { readonly [key: string]: Json }
    return { ...record, [head]: updateAt(record[head] ?? null, rest, f) }
  }
  return value
}

/** A value nested `depth` arrays or objects deep. */
const nested = (depth: number, asObject: boolean): Json => {
  let value: Json = 1
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value]
  return value
}

/** The most bytes the copies of one duplicated member stand for (a large upload, not a bomb). */
const DUPLICATES_BYTES = 2 * 2 ** 20

/** A named mutation of a JSON value. */
export type JsonMutator = readonly [name: string, mutate: (value: Json, rand: Rand) => Json]

/** Mutations of JSON payloads. */
export const jsonMutators: ReadonlyArray<JsonMutator> = [
  [
    "nest deep",
    (value, rand) => {
      const path = rand.pick(containers(value))
      const deep = nested(rand.pick([1_000, 10_000, 100_000]), rand.next() < 0.5)
      return updateAt(value, path, (container) =>
        Array.isArray(container) ? [...container, deep] : container !== null && typeof container === "object" ? { ...container, deep } : deep
      )
    }
  ],
  [
    "odd number",
    (value, rand) => {
      const odd = rand.pick([-0, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, -1, 0.1 + 0.2, 2 ** 53])
      const path = rand.pick(containers(value))
      return updateAt(value, path, (container) => {
        if (Array.isArray(container)) return container.map((item) => (typeof item === "number" ? odd : (item as Json)))
        if (container === null || typeof container !== "object") return container
        const out: Record<string, Json> = {}
        for (const [key, item] of Object.entries(container)) out[key] = typeof item === "number" ? odd : (item as Json)
        return out
      })
    }
  ],
  [
    "prototype keys",
    (value, rand) => {
      const path = rand.pick(containers(value))
      const key = rand.pick(["__proto__", "constructor", "prototype", "toString"])
      return updateAt(value, path, (container) => {
        if (!isRecord(container)) return container
        const out: Record<string, Json> = { ...container }
        Object.defineProperty(out, key, { value: { polluted: true }, enumerable: true, configurable: true, writable: true })
        return out
      })
    }
  ],
  [
    "wrong type",
    (value, rand) => {
      const path = rand.pick(containers(value))
      return updateAt(value, path, () => rand.pick<Json>([null, "", 0, true, [], {}, "x".repeat(100_000)]))
    }
  ],
  [
    "drop a member",
    (value, rand) =>
      updateAt(value, rand.pick(containers(value)), (container) => {
        if (Array.isArray(container)) return container.filter((_, i) => i !== rand.int(container.length))
        if (container === null || typeof container !== "object") return container
        const keys = Object.keys(container)
        const dropped = keys[rand.int(keys.length)]
        return Object.fromEntries(Object.entries(container).filter(([key]) => key !== dropped)) as Json
      })
  ],
  [
    "duplicate members",
    (value, rand) =>
      updateAt(value, rand.pick(containers(value)), (container) => {
        if (!Array.isArray(container) || container.length === 0) return container
        const item = container[rand.int(container.length)] as Json
        // Copies share one object here, but an upload carries each one's bytes: as many as an
        // upload of DUPLICATES_BYTES would hold. (Tens of thousands of valid units are a large
        // pyramid, not a hostile one: the scale is the benchmarks' business.)
        const size = Math.max(1, JSON.stringify(item)?.length ?? 1)
        const copies = Math.min(rand.pick([2, 100, 1_000]), Math.max(2, Math.floor(DUPLICATES_BYTES / size)))
        return [...container, ...new Array<Json>(copies).fill(item)]
      })
  ],
  [
    "NUL and lone surrogates in text",
    (value, rand) =>
      updateAt(value, rand.pick(containers(value)), (container) => {
        if (!isRecord(container)) return container
        const out: Record<string, Json> = {}
        for (const [key, item] of Object.entries(container)) out[key] = typeof item === "string" ? `${item}\u0000\ud800` : (item as Json)
        return out
      })
  ]
]

/** Applies one of the JSON mutators. */
export const mutateJson = (value: Json, rand: Rand): { readonly how: string; readonly value: Json } => {
  const [how, mutate] = rand.pick(jsonMutators)
  return { how, value: mutate(value, rand) }
}
