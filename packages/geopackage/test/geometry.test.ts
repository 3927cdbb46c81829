/**
 * GeoPackage geometry blobs: the header (flags, byte orders, envelopes), ISO and extended WKB,
 * empties, round trips of every GeoJSON type, and totality on malformed and mutated input.
 */
import type { Geometry } from "geojson"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { decodeGpkgGeometry, decodeGpkgHeader, decodeWkb, encodeGpkgGeometry, encodeWkb } from "@iaso/geopackage"

/** Builds bytes from a list of parts: [kind, value] with kind u8, u32le/be, i32le/be, f64le/be. */
const bytesOf = (...parts: ReadonlyArray<readonly [string, number]>): Uint8Array => {
  const size = parts.reduce((n, [kind]) => n + (kind === "u8" ? 1 : kind.startsWith("f64") ? 8 : 4), 0)
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let offset = 0
  for (const [kind, value] of parts) {
    const little = kind.endsWith("le")
    if (kind === "u8") view.setUint8(offset, value)
    else if (kind.startsWith("u32")) view.setUint32(offset, value, little)
    else if (kind.startsWith("i32")) view.setInt32(offset, value, little)
    else view.setFloat64(offset, value, little)
    offset += kind === "u8" ? 1 : kind.startsWith("f64") ? 8 : 4
  }
  return out
}

const gp = (flags: number, srs: number, little = true) =>
  [
    ["u8", 0x47],
    ["u8", 0x50],
    ["u8", 0],
    ["u8", flags],
    [little ? "i32le" : "i32be", srs]
  ] as const

const ok = <A>(result: Result.Result<A, string>): A => {
  if (Result.isFailure(result)) throw new Error(result.failure)
  return result.success
}

describe("GeoPackage geometry header", () => {
  it("reads a 2D point without envelope (QGIS/GDAL layout)", () => {
    const blob = bytesOf(...gp(0b0000_0001, 4326), ["u8", 1], ["u32le", 1], ["f64le", 13.9993], ["f64le", 5.1795])
    const decoded = ok(decodeGpkgGeometry(blob))
    expect(decoded.header).toEqual({ version: 0, srsId: 4326, empty: false, wkbOffset: 8 })
    expect(decoded.geometry).toEqual({ type: "Point", coordinates: [13.9993, 5.1795] })
  })

  it("reads big-endian headers and WKB, and each envelope kind", () => {
    const wkbBE = [
      ["u8", 0],
      ["u32be", 1001],
      ["f64be", 1],
      ["f64be", 2],
      ["f64be", 3]
    ] as const
    for (const [kind, doubles] of [
      [0, 0],
      [1, 4],
      [2, 6],
      [3, 6],
      [4, 8]
    ] as const) {
      const envelope = Array.from({ length: doubles }, (_, i) => ["f64be", i] as const)
      const blob = bytesOf(...gp(kind << 1, 4326, false), ...envelope, ...wkbBE)
      const decoded = ok(decodeGpkgGeometry(blob))
      expect(decoded.header.wkbOffset).toBe(8 + doubles * 8)
      expect(decoded.header.srsId).toBe(4326)
      expect(decoded.header.envelope?.length ?? 0).toBe(doubles)
      expect(decoded.geometry).toEqual({ type: "Point", coordinates: [1, 2, 3] })
    }
  })

  it("reads ISO Z, M and ZM and extended WKB with an SRID (M values are dropped)", () => {
    const iso = (type: number, ...coords: Array<number>) => bytesOf(["u8", 1], ["u32le", type], ...coords.map((c) => ["f64le", c] as const))
    expect(ok(decodeWkb(iso(1001, 1, 2, 3)))).toEqual({ type: "Point", coordinates: [1, 2, 3] })
    expect(ok(decodeWkb(iso(2001, 1, 2, 9)))).toEqual({ type: "Point", coordinates: [1, 2] })
    expect(ok(decodeWkb(iso(3001, 1, 2, 3, 9)))).toEqual({ type: "Point", coordinates: [1, 2, 3] })
    const ewkb = bytesOf(["u8", 1], ["u32le", 0xa000_0001], ["i32le", 4326], ["f64le", 1], ["f64le", 2], ["f64le", 3])
    expect(ok(decodeWkb(ewkb))).toEqual({ type: "Point", coordinates: [1, 2, 3] })
  })

  it("empty geometries decode to null: the header flag, a NaN point, a polygon without rings", () => {
    const flagged = bytesOf(...gp(0b0001_0001, 4326), ["u8", 1], ["u32le", 1], ["f64le", NaN], ["f64le", NaN])
    expect(ok(decodeGpkgGeometry(flagged)).geometry).toBeNull()
    const nanPoint = bytesOf(...gp(1, 4326), ["u8", 1], ["u32le", 1001], ["f64le", NaN], ["f64le", NaN], ["f64le", NaN])
    expect(ok(decodeGpkgGeometry(nanPoint)).geometry).toBeNull()
    const noRings = bytesOf(...gp(1, 4326), ["u8", 1], ["u32le", 3], ["u32le", 0])
    expect(ok(decodeGpkgGeometry(noRings)).geometry).toBeNull()
    expect(ok(decodeGpkgGeometry(encodeGpkgGeometry({ type: "Point", coordinates: [] }))).geometry).toBeNull()
  })
})

const SAMPLES: ReadonlyArray<Geometry> = [
  { type: "Point", coordinates: [-11.7386, 7.9647] },
  { type: "Point", coordinates: [13.9993, 5.1795, 0] },
  {
    type: "LineString",
    coordinates: [
      [0, 0],
      [1, 1],
      [2, 0]
    ]
  },
  {
    type: "Polygon",
    coordinates: [
      [
        [0, 0],
        [4, 0],
        [4, 4],
        [0, 4],
        [0, 0]
      ],
      [
        [1, 1],
        [2, 1],
        [2, 2],
        [1, 1]
      ]
    ]
  },
  {
    type: "MultiPoint",
    coordinates: [
      [1, 2],
      [3, 4]
    ]
  },
  {
    type: "MultiLineString",
    coordinates: [
      [
        [0, 0],
        [1, 1]
      ],
      [
        [2, 2],
        [3, 3]
      ]
    ]
  },
  {
    type: "MultiPolygon",
    coordinates: [
      [
        [
          [0, 0, 5],
          [1, 0, 5],
          [1, 1, 5],
          [0, 0, 5]
        ]
      ],
      [
        [
          [10, 10, 1],
          [11, 10, 1],
          [11, 11, 1],
          [10, 10, 1]
        ]
      ]
    ]
  },
  {
    type: "GeometryCollection",
    geometries: [
      { type: "Point", coordinates: [1, 2] },
      {
        type: "LineString",
        coordinates: [
          [0, 0],
          [1, 1]
        ]
      }
    ]
  }
]

describe("GeoPackage geometry encoding", () => {
  it.each(SAMPLES.map((g) => [g.type, g] as const))("%s round-trips through a GeoPackage blob and plain WKB", (_type, geometry) => {
    const blob = encodeGpkgGeometry(geometry)
    expect([blob[0], blob[1]]).toEqual([0x47, 0x50])
    const decoded = ok(decodeGpkgGeometry(blob))
    expect(decoded.header.srsId).toBe(4326)
    expect(decoded.geometry).toEqual(geometry)
    expect(ok(decodeWkb(encodeWkb(geometry)))).toEqual(geometry)
  })

  it("writes an XY envelope except for points, and ISO Z type codes", () => {
    const polygon = encodeGpkgGeometry({
      type: "MultiPolygon",
      coordinates: [
        [
          [
            [1, 2],
            [3, 2],
            [3, 5],
            [1, 2]
          ]
        ]
      ]
    })
    const header = ok(decodeGpkgHeader(polygon))
    expect(header.envelope).toEqual([1, 3, 2, 5])
    const point = encodeGpkgGeometry({ type: "Point", coordinates: [1, 2, 3] })
    expect(ok(decodeGpkgHeader(point)).envelope).toBeUndefined()
    expect(new DataView(point.buffer).getUint32(9, true)).toBe(1001)
  })
})

/** A deterministic pseudo-random generator (fixed seed: failures reproduce). */
const random = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}

describe("GeoPackage geometry decoding is total", () => {
  it.each([
    ["too short", new Uint8Array([0x47, 0x50, 0]), "at least 8 bytes"],
    ["no magic", bytesOf(["u8", 0], ["u8", 0], ["u8", 0], ["u8", 1], ["i32le", 4326]), 'does not start with "GP"'],
    ["extended type", bytesOf(...gp(0b0010_0001, 4326)), "extended"],
    ["bad envelope indicator", bytesOf(...gp(0b0000_1011, 4326)), "invalid envelope indicator"],
    ["truncated WKB", bytesOf(...gp(1, 4326), ["u8", 1], ["u32le", 1], ["f64le", 1]), "truncated"],
    ["absurd count", bytesOf(...gp(1, 4326), ["u8", 1], ["u32le", 3], ["u32le", 0xffff_ffff]), "truncated"],
    ["unknown type", bytesOf(...gp(1, 4326), ["u8", 1], ["u32le", 17]), "unsupported WKB geometry type"],
    ["bad byte order", bytesOf(...gp(1, 4326), ["u8", 7], ["u32le", 1]), "byte order"],
    ["polygon inside a multipoint", bytesOf(...gp(1, 4326), ["u8", 1], ["u32le", 4], ["u32le", 1], ["u8", 1], ["u32le", 3], ["u32le", 0]), "member"]
  ])("%s fails with a reason", (_name, blob, reason) => {
    const result = decodeGpkgGeometry(blob)
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result)) expect(result.failure).toContain(reason)
  })

  it("every prefix and 2,000 random mutations of real blobs decode or fail, never throw (seed 42)", () => {
    const next = random(42)
    for (const geometry of SAMPLES) {
      const blob = encodeGpkgGeometry(geometry)
      for (let end = 0; end < blob.byteLength; end++) expect(() => decodeGpkgGeometry(blob.subarray(0, end))).not.toThrow()
      for (let i = 0; i < 250; i++) {
        const mutated = blob.slice()
        const changes = 1 + Math.floor(next() * 4)
        for (let c = 0; c < changes; c++) mutated[Math.floor(next() * mutated.byteLength)] = Math.floor(next() * 256)
        expect(() => decodeGpkgGeometry(mutated)).not.toThrow()
      }
    }
  })
})
