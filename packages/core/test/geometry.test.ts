import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect, Schema } from "effect"
import * as Arbitrary from "effect/Arbitrary"
import type { MultiPolygon, Point, Polygon, Position } from "geojson"
import { describe, expect, it } from "vitest"
import {
  boundingBox,
  boxContainsPoint,
  boxesIntersect,
  centroid,
  countPositions,
  defaultSimplificationTolerance,
  EARTH_RADIUS_METERS,
  GeoLinearRing,
  GeoMultiPolygon,
  GeoMultiPolygonInput,
  GeoPoint,
  GeoPolygon,
  GeoPosition,
  haversineMeters,
  pointInMultiPolygon,
  simplifyMultiPolygon
} from "../src/shared/geometry.ts"

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

const square = (x0: number, y0: number, size: number): Array<Position> => [
  [x0, y0],
  [x0 + size, y0],
  [x0 + size, y0 + size],
  [x0, y0 + size],
  [x0, y0]
]
const multi = (...polygons: Array<Array<Array<Position>>>): MultiPolygon => ({
  type: "MultiPolygon",
  coordinates: polygons
})

describe("geometry schemas", () => {
  it("decodes 2D and 3D positions, keeping the altitude", () => {
    const decode = Schema.decodeUnknownSync(GeoPosition)
    expect(decode([2.35, 48.85])).toEqual([2.35, 48.85])
    expect(decode([2.35, 48.85, 35.5])).toEqual([2.35, 48.85, 35.5])
    expect(decode([-180, -90, -12])).toEqual([-180, -90, -12])
  })

  it("rejects positions with 1 or 4 numbers and non-finite numbers", () => {
    expect(decodeFailure(GeoPosition, [1])).toContain("at [1]")
    expect(decodeFailure(GeoPosition, [1, 2, 3, 4])).toContain("at [3]")
    expect(decodeFailure(GeoPosition, [1, Number.NaN])).toContain("Expected a finite number")
    expect(decodeFailure(GeoPosition, [1, 2, Number.POSITIVE_INFINITY])).toContain("Expected a finite number\n  at [2]")
  })

  it("decodes a Point and drops its bbox; the result is a GeoJSON Point", () => {
    const point: Point = Schema.decodeUnknownSync(GeoPoint)({
      type: "Point",
      coordinates: [11.5, 3.86, 700],
      bbox: [11.5, 3.86, 11.5, 3.86]
    })
    expect(point).toStrictEqual({ type: "Point", coordinates: [11.5, 3.86, 700] })
  })

  it("decodes a Polygon input to the MultiPolygon with the same rings", () => {
    const shell = square(0, 0, 10)
    const hole: Array<Position> = [
      [2, 2],
      [2, 4],
      [4, 4],
      [4, 2],
      [2, 2]
    ]
    const decoded: MultiPolygon = Schema.decodeUnknownSync(GeoMultiPolygonInput)({
      type: "Polygon",
      coordinates: [shell, hole],
      bbox: [0, 0, 10, 10]
    })
    expect(decoded).toStrictEqual({ type: "MultiPolygon", coordinates: [[shell, hole]] })
  })

  it("decodes a MultiPolygon input as itself and encodes a MultiPolygon as itself", () => {
    const input = multi([square(0, 0, 1)], [square(5, 5, 1)])
    const decoded = Schema.decodeUnknownSync(GeoMultiPolygonInput)(input)
    expect(decoded).toStrictEqual(input)
    expect(Schema.encodeSync(GeoMultiPolygonInput)(decoded)).toStrictEqual(input)
  })

  it("fails on an out-of-range longitude with the rule and the path to the coordinate", () => {
    const ring = [
      [0, 0],
      [1, 0],
      [181, 1],
      [0, 0]
    ]
    expect(decodeFailure(GeoMultiPolygonInput, { type: "Polygon", coordinates: [ring] })).toBe(
      'longitude must be within [-180, 180]\n  at ["coordinates"][0][2][0]'
    )
    expect(decodeFailure(GeoMultiPolygon, { type: "MultiPolygon", coordinates: [[square(0, 0, 1)], [ring]] })).toBe(
      'longitude must be within [-180, 180]\n  at ["coordinates"][1][0][2][0]'
    )
  })

  it("fails on an out-of-range latitude with the rule and the path", () => {
    expect(decodeFailure(GeoPoint, { type: "Point", coordinates: [10, -90.5] })).toBe('latitude must be within [-90, 90]\n  at ["coordinates"][1]')
  })

  it("fails on an unclosed ring", () => {
    const open = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1]
    ]
    expect(decodeFailure(GeoPolygon, { type: "Polygon", coordinates: [square(0, 0, 5), open] })).toBe(
      'a linear ring must be closed (first position equal to last)\n  at ["coordinates"][1]'
    )
    // closing compares every coordinate, altitude included
    expect(
      decodeFailure(GeoLinearRing, [
        [0, 0, 1],
        [1, 0, 1],
        [1, 1, 1],
        [0, 0, 2]
      ])
    ).toContain("a linear ring must be closed")
  })

  it("fails on a ring of 3 positions", () => {
    expect(
      decodeFailure(GeoPolygon, {
        type: "Polygon",
        coordinates: [
          [
            [0, 0],
            [1, 1],
            [0, 0]
          ]
        ]
      })
    ).toBe('a linear ring needs at least 4 positions\n  at ["coordinates"][0]')
  })

  it("fails on a polygon without rings and a multipolygon without polygons", () => {
    expect(decodeFailure(GeoPolygon, { type: "Polygon", coordinates: [] })).toBe('a polygon needs at least one ring\n  at ["coordinates"]')
    expect(decodeFailure(GeoMultiPolygon, { type: "MultiPolygon", coordinates: [] })).toBe('a multipolygon needs at least one polygon\n  at ["coordinates"]')
  })

  it("fails with a SchemaError (not another exception) on malformed input", () => {
    for (const input of [null, 42, "POLYGON", { type: "Point" }, { type: "Polygon", coordinates: "x" }]) {
      expect(decodeFailure(GeoMultiPolygonInput, input).length).toBeGreaterThan(0)
    }
  })

  it("derives JSON codecs, equivalence and JSON Schema through the rings' generator wrapper", () => {
    const polygon = {
      type: "Polygon",
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1, 3],
          [0, 0]
        ]
      ]
    }
    const mp = Schema.decodeUnknownSync(Schema.toCodecJson(GeoMultiPolygonInput))(polygon)
    expect(mp).toStrictEqual({ type: "MultiPolygon", coordinates: [polygon.coordinates] })
    expect(Schema.encodeSync(Schema.toCodecJson(GeoMultiPolygon))(mp)).toStrictEqual(mp)
    expect(Schema.toEquivalence(GeoMultiPolygon)(mp, structuredClone(mp))).toBe(true)
    const document = JSON.stringify(Schema.toJsonSchemaDocument(GeoPolygon))
    expect(document).toContain(`"minItems":4`)
    expect(document).toContain(`{"type":"number","minimum":-180,"maximum":180}`)
  })

  it("decoded types are assignable to the @types/geojson types", () => {
    const polygon: Polygon = Schema.decodeUnknownSync(GeoPolygon)({ type: "Polygon", coordinates: [square(0, 0, 1)] })
    const position: Position = Schema.decodeUnknownSync(GeoPosition)([1, 2])
    expect(polygon.coordinates[0]?.[2]).toEqual([1, 1])
    expect(position).toEqual([1, 2])
  })
})

describe("generated values (effect/Arbitrary)", () => {
  const sample = <S extends Schema.Top>(schema: S, seed: number) => Effect.runPromise(Arbitrary.sampleEffect(Arbitrary.schema(schema), { count: 200, seed }))

  // effect/Arbitrary sometimes builds objects with a null prototype, hence toEqual rather than toStrictEqual
  it("200 generated Points all decode", async () => {
    const points = await sample(GeoPoint, 7)
    expect(points).toHaveLength(200)
    for (const point of points) expect(Schema.decodeUnknownSync(GeoPoint)(point)).toEqual(point)
  })

  it("200 generated Polygons all decode, with holes inside their shell and 3D positions among them", async () => {
    const polygons = await sample(GeoPolygon, 11)
    expect(polygons).toHaveLength(200)
    for (const polygon of polygons) expect(Schema.decodeUnknownSync(GeoPolygon)(polygon)).toEqual(polygon)
    const withHoles = polygons.filter((polygon) => polygon.coordinates.length > 1)
    expect(withHoles.length).toBeGreaterThan(20)
    expect(polygons.some((polygon) => polygon.coordinates[0]?.[0]?.length === 3)).toBe(true)
    expect(polygons.some((polygon) => polygon.coordinates[0]?.[0]?.length === 2)).toBe(true)
    for (const polygon of withHoles) {
      const shellOnly = multi([polygon.coordinates[0] ?? []])
      for (const [lon = 0, lat = 0] of polygon.coordinates[1] ?? []) {
        expect(pointInMultiPolygon(lon, lat, shellOnly)).toBe(true)
      }
    }
  })

  it("200 generated MultiPolygons all decode", async () => {
    const multipolygons = await sample(GeoMultiPolygon, 13)
    expect(multipolygons).toHaveLength(200)
    for (const mp of multipolygons) expect(Schema.decodeUnknownSync(GeoMultiPolygon)(mp)).toEqual(mp)
    expect(multipolygons.some((mp) => mp.coordinates.length > 1)).toBe(true)
  })

  it("generated rings and MultiPolygon inputs decode too", async () => {
    for (const ring of await sample(GeoLinearRing, 17)) {
      expect(Schema.decodeUnknownSync(GeoLinearRing)(ring)).toEqual(ring)
    }
    for (const mp of await sample(GeoMultiPolygonInput, 19)) {
      expect(Schema.decodeUnknownSync(GeoMultiPolygonInput)(mp)).toEqual(mp)
    }
  })
})

describe("bounding boxes", () => {
  it("bounds a multipolygon with two polygons", () => {
    const mp = multi(
      [square(-3, 1, 2)],
      [
        [
          [4, -2],
          [6, -1],
          [5, 7.5],
          [4, -2]
        ]
      ]
    )
    expect(boundingBox(mp)).toEqual([-3, -2, 6, 7.5])
  })

  it("bounds a point with min = max", () => {
    expect(boundingBox({ type: "Point", coordinates: [11.5, 3.86, 700] })).toEqual([11.5, 3.86, 11.5, 3.86])
  })

  it("intersects boxes that overlap or touch, not disjoint ones", () => {
    expect(boxesIntersect([0, 0, 2, 2], [1, 1, 3, 3])).toBe(true)
    expect(boxesIntersect([0, 0, 2, 2], [2, 2, 3, 3])).toBe(true)
    expect(boxesIntersect([0, 0, 2, 2], [0.5, 0.5, 1, 1])).toBe(true)
    expect(boxesIntersect([0, 0, 2, 2], [2.1, 0, 3, 2])).toBe(false)
    expect(boxesIntersect([0, 0, 2, 2], [0, -3, 2, -0.1])).toBe(false)
  })

  it("contains points inside or on the edge of the box", () => {
    expect(boxContainsPoint([0, 0, 2, 2], 1, 1)).toBe(true)
    expect(boxContainsPoint([0, 0, 2, 2], 2, 0)).toBe(true)
    expect(boxContainsPoint([0, 0, 2, 2], 2.01, 1)).toBe(false)
    expect(boxContainsPoint([0, 0, 2, 2], 1, -0.01)).toBe(false)
  })
})

describe("pointInMultiPolygon", () => {
  const withHole = multi(
    [
      square(0, 0, 10),
      [
        [4, 4],
        [4, 6],
        [6, 6],
        [6, 4],
        [4, 4]
      ]
    ],
    [square(20, 20, 2)]
  )

  it("is true inside the shell and outside the hole", () => {
    expect(pointInMultiPolygon(2, 2, withHole)).toBe(true)
    expect(pointInMultiPolygon(8, 5, withHole)).toBe(true)
  })

  it("is false inside the hole", () => {
    expect(pointInMultiPolygon(5, 5, withHole)).toBe(false)
    expect(pointInMultiPolygon(4.5, 5.5, withHole)).toBe(false)
  })

  it("is false outside every polygon", () => {
    expect(pointInMultiPolygon(15, 5, withHole)).toBe(false)
    expect(pointInMultiPolygon(-0.001, 5, withHole)).toBe(false)
  })

  it("finds points in the second polygon", () => {
    expect(pointInMultiPolygon(21, 21, withHole)).toBe(true)
  })

  it("counts points on the boundary (shell edge, vertex, hole edge) as inside", () => {
    expect(pointInMultiPolygon(0, 5, withHole)).toBe(true)
    expect(pointInMultiPolygon(10, 10, withHole)).toBe(true)
    expect(pointInMultiPolygon(4, 5, withHole)).toBe(true)
    expect(pointInMultiPolygon(22, 21, withHole)).toBe(true)
  })

  it("handles non-convex rings whatever their orientation", () => {
    const u: Array<Position> = [
      [0, 0],
      [3, 0],
      [3, 3],
      [2, 3],
      [2, 1],
      [1, 1],
      [1, 3],
      [0, 3],
      [0, 0]
    ]
    for (const ring of [u, [...u].reverse()]) {
      expect(pointInMultiPolygon(0.5, 2, multi([ring]))).toBe(true)
      expect(pointInMultiPolygon(1.5, 2, multi([ring]))).toBe(false)
      expect(pointInMultiPolygon(2.5, 2, multi([ring]))).toBe(true)
    }
  })
})

describe("centroid", () => {
  it("is [0.5, 0.5] for the unit square", () => {
    expect(centroid(multi([square(0, 0, 1)]))).toEqual([0.5, 0.5])
  })

  it("does not depend on ring orientation", () => {
    expect(centroid(multi([[...square(0, 0, 1)].reverse()]))).toEqual([0.5, 0.5])
  })

  it("subtracts holes", () => {
    // 4x4 square minus the 2x2 square in its lower-left corner: (16 * (2, 2) - 4 * (1, 1)) / 12
    const [lon, lat] = centroid(multi([square(0, 0, 4), square(0, 0, 2)]))
    expect(lon).toBeCloseTo(7 / 3, 12)
    expect(lat).toBeCloseTo(7 / 3, 12)
  })

  it("weights polygons by area", () => {
    // area 1 at (0.5, 0.5) and area 4 at (11, 1)
    const [lon, lat] = centroid(multi([square(0, 0, 1)], [square(10, 0, 2)]))
    expect(lon).toBeCloseTo((0.5 + 4 * 11) / 5, 12)
    expect(lat).toBeCloseTo((0.5 + 4 * 1) / 5, 12)
  })

  it("falls back to the average of the vertices for a zero-area shape", () => {
    expect(
      centroid(
        multi([
          [
            [0, 0],
            [2, 0],
            [4, 0],
            [0, 0]
          ]
        ])
      )
    ).toEqual([2, 0])
  })
})

describe("haversineMeters", () => {
  it("measures Paris to London at about 343.5 km", () => {
    const meters = haversineMeters(2.3522, 48.8566, -0.1276, 51.5072)
    expect(Math.abs(meters - 343_500)).toBeLessThan(500)
    expect(haversineMeters(-0.1276, 51.5072, 2.3522, 48.8566)).toBeCloseTo(meters, 6)
  })

  it("is zero for the same point and a quarter circumference from the equator to the pole", () => {
    expect(haversineMeters(11.5, 3.86, 11.5, 3.86)).toBe(0)
    expect(haversineMeters(0, 0, 0, 90)).toBeCloseTo((Math.PI * EARTH_RADIUS_METERS) / 2, 3)
  })
})

describe("simplifyMultiPolygon", () => {
  /** A square of side 1 with `perSide` points on each side, starting at `start` (a corner or mid-side). */
  const denseSquare = (perSide: number): Array<Position> => {
    const ring: Array<Position> = []
    for (let i = 0; i < perSide; i++) ring.push([i / perSide, 0])
    for (let i = 0; i < perSide; i++) ring.push([1, i / perSide])
    for (let i = 0; i < perSide; i++) ring.push([1 - i / perSide, 1])
    for (let i = 0; i < perSide; i++) ring.push([0, 1 - i / perSide])
    ring.push([0, 0])
    return ring
  }

  it("keeps the corners of a ring with many collinear points and keeps it closed", () => {
    const ring = denseSquare(25)
    expect(ring).toHaveLength(101)
    const simplified = simplifyMultiPolygon(multi([ring]), 0.001)
    expect(simplified).toStrictEqual(
      multi([
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
          [0, 0]
        ]
      ])
    )
    // default tolerance: max(1, 1) * 0.001
    expect(simplifyMultiPolygon(multi([ring]))).toStrictEqual(simplified)
  })

  it("drops a start vertex lying on a straight edge and re-closes the ring", () => {
    const ring: Array<Position> = [
      [0.5, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 0],
      [0.5, 0]
    ]
    expect(simplifyMultiPolygon(multi([ring]), 0.01)).toStrictEqual(
      multi([
        [
          [1, 0],
          [1, 1],
          [0, 1],
          [0, 0],
          [1, 0]
        ]
      ])
    )
  })

  it("never leaves a ring below 4 positions", () => {
    const tiny = square(0, 0, 0.001)
    // the tolerance swallows the whole ring: the ring is kept as it was
    expect(simplifyMultiPolygon(multi([tiny]), 1)).toStrictEqual(multi([tiny]))
    // a hole that would collapse is kept as it was while its shell is simplified
    const shell = denseSquare(10).map(([x = 0, y = 0]) => [x * 10, y * 10])
    const hole: Array<Position> = [
      [5, 5],
      [5.001, 5],
      [5.001, 5.001],
      [5, 5]
    ]
    const simplified = simplifyMultiPolygon(multi([shell, hole]), 0.5)
    expect(simplified).toStrictEqual(
      multi([
        [
          [0, 0],
          [10, 0],
          [10, 10],
          [0, 10],
          [0, 0]
        ],
        hole
      ])
    )
    // a polygon whose shell would collapse is kept as-is, holes included
    const small = [
      square(0, 0, 0.01),
      [
        [0.004, 0.004],
        [0.004, 0.006],
        [0.006, 0.006],
        [0.006, 0.004],
        [0.004, 0.004]
      ]
    ]
    expect(simplifyMultiPolygon(multi(small, [square(5, 5, 1)]), 0.05)).toStrictEqual(multi(small, [square(5, 5, 1)]))
  })

  it("keeps altitudes and does not mutate its input", () => {
    const ring: Array<Position> = [
      [0, 0, 5],
      [0.5, 0, 6],
      [1, 0, 7],
      [1, 1, 8],
      [0, 1, 9],
      [0, 0, 5]
    ]
    const input = multi([ring])
    const before = structuredClone(input)
    const simplified = simplifyMultiPolygon(input, 0.01)
    expect(simplified).toStrictEqual(
      multi([
        [
          [0, 0, 5],
          [1, 0, 7],
          [1, 1, 8],
          [0, 1, 9],
          [0, 0, 5]
        ]
      ])
    )
    expect(input).toStrictEqual(before)
    expect(simplified.coordinates[0]?.[0]?.[0]).not.toBe(ring[0])
  })

  it("returns an unchanged copy for a zero or invalid tolerance", () => {
    const input = multi([denseSquare(5)])
    expect(simplifyMultiPolygon(input, 0)).toStrictEqual(input)
    expect(simplifyMultiPolygon(input, -1)).toStrictEqual(input)
    expect(simplifyMultiPolygon(input, Number.NaN)).toStrictEqual(input)
  })

  it("keeps decoded multipolygons valid for the schema (typed as GeoMultiPolygon)", async () => {
    const multipolygons = await Effect.runPromise(Arbitrary.sampleEffect(Arbitrary.schema(GeoMultiPolygon), { count: 100, seed: 23 }))
    for (const mp of multipolygons) {
      const simplified: GeoMultiPolygon = simplifyMultiPolygon(mp, 0.5)
      expect(Schema.decodeUnknownSync(GeoMultiPolygon)(simplified)).toEqual(simplified)
    }
  })

  it("counts every position, closing ones included", () => {
    expect(countPositions(multi([square(0, 0, 1), square(0.2, 0.2, 0.1)], [denseSquare(5)]))).toBe(31)
  })
})

// -----------------------------------------------------------------------------
// IASO fixtures (../shared next to the repository root)
// -----------------------------------------------------------------------------

const FIXTURE_DIR = new URL("../../../../shared/fixtures/iaso/iaso/tests/fixtures/geometry/", import.meta.url)

/**
 * Reads a shared IASO fixture. When it is missing the test is skipped, except when `CI` is set: then the test
 * runs and fails with the missing path, so CI cannot silently lose this coverage.
 */
const fixture = (name: string): { readonly skip: boolean; readonly read: () => string } => {
  const url = new URL(name, FIXTURE_DIR)
  const present = existsSync(url)
  return {
    skip: !present && !process.env["CI"],
    read: () => {
      if (!present) {
        throw new Error(`missing fixture ${fileURLToPath(url)} (the ../shared folder is required when CI is set)`)
      }
      return readFileSync(url, "utf8")
    }
  }
}

/** Parses IASO's fixture format, EWKT `SRID=4326;MULTIPOLYGON (((x y, ...), (...)), ...)`, to GeoJSON. */
const parseEwktMultiPolygon = (text: string): unknown => {
  const body = text.trim().replace(/^SRID=\d+;/, "")
  const match = /^MULTIPOLYGON\s*(\(.*\))$/s.exec(body)
  if (match?.[1] === undefined) throw new Error(`not a MULTIPOLYGON: ${body.slice(0, 40)}`)
  const json = match[1]
    .replace(/\(/g, "[")
    .replace(/\)/g, "]")
    .replace(/-?[\d.]+(?:[eE][-+]?\d+)?(?:\s+-?[\d.]+(?:[eE][-+]?\d+)?)+/g, (position) => `[${position.trim().split(/\s+/).join(",")}]`)
  return { type: "MultiPolygon", coordinates: JSON.parse(json) }
}

const cameroon = fixture("cameroon_multipolygon.txt")
const essomba = fixture("as_essomba_multipolygon.txt")
const skipNote = "(skipped: ../shared/fixtures/iaso is absent; set CI to make this fail instead)"

describe("simplification of IASO's fixtures (iaso/tests/utils/test_gis.py)", () => {
  it.skipIf(cameroon.skip)(`simplifies Cameroon from 38 547 to 679 positions ${cameroon.skip ? skipNote : ""}`, () => {
    const mp = Schema.decodeUnknownSync(GeoMultiPolygonInput)(parseEwktMultiPolygon(cameroon.read()))
    expect(countPositions(mp)).toBe(38_547)
    expect(defaultSimplificationTolerance(mp)).toBe(0.0114249)
    const simplified = simplifyMultiPolygon(mp)
    // IASO asserts 678: its simplify_geom calls GeoDjango geom.simplify(tolerance), preserve_topology=False, i.e. GEOS
    // DouglasPeuckerSimplifier, the same algorithm as ours. Our result differs by one small self-intersection near
    // Douala (segments 379-380 and 381-382 cross around 9.6759 E 4.0089 N). GEOS finds the simplified polygon invalid
    // and repairs it with buffer(0), which cuts off the loop through 9.7112 3.9958 and 9.679 4.0034 and adds the
    // crossing point: 679 - 2 + 1 = 678. Checked with shapely 2.1.2 / GEOS 3.13.1: buffer(0) of our output equals
    // GEOS's 678-position result. (preserve_topology=True would give 680.) We don't repair topology.
    expect(countPositions(simplified)).toBe(679)
    expect(Schema.decodeUnknownSync(GeoMultiPolygon)(simplified)).toEqual(simplified)
    // Douglas-Peucker may drop extreme vertices: the simplified box lies within the original one
    const [minLon, minLat, maxLon, maxLat] = boundingBox(mp)
    const box = boundingBox(simplified)
    expect(box[0] >= minLon && box[1] >= minLat && box[2] <= maxLon && box[3] <= maxLat).toBe(true)
  })

  it.skipIf(essomba.skip)(`simplifies AS Essomba from 91 to 90 positions ${essomba.skip ? skipNote : ""}`, () => {
    const mp = Schema.decodeUnknownSync(GeoMultiPolygonInput)(parseEwktMultiPolygon(essomba.read()))
    expect(countPositions(mp)).toBe(91)
    // IASO accepts 90 or 91 depending on the GEOS version: the ring starts at 11.5468 3.861, exactly on the straight
    // edge from 11.5458 3.861 to 11.5476 3.861. Recent GEOS (checked: 3.13.1) drops such a start vertex, as we do,
    // and returns exactly our 90 positions; older GEOS keeps it (91). Nothing else is within the 0.0000114° tolerance.
    const simplified = simplifyMultiPolygon(mp)
    expect(countPositions(simplified)).toBe(90)
    expect(simplified.coordinates[0]?.[0]?.[0]).toEqual([11.5476, 3.861])
  })
})
