/**
 * Geometry: GeoJSON (RFC 7946) schemas for the shapes IASO stores (org unit `location` points and
 * `geom` / `simplified_geom` multipolygons), plus the pure planar/spherical helpers the domain needs
 * (bounding boxes, point-in-polygon, centroid, haversine distance, Douglas-Peucker simplification).
 *
 * Coordinates are `[longitude, latitude]` or `[longitude, latitude, altitude]` in WGS 84 degrees
 * (EPSG:4326). Every decoded value is a plain GeoJSON object: the schema types are assignable to the
 * `Point` / `Polygon` / `MultiPolygon` types of `@types/geojson`.
 *
 * Planar helpers (`pointInMultiPolygon`, `centroid`, `simplifyMultiPolygon`) work directly on degrees,
 * as PostGIS/GEOS do on SRID 4326 geometries; they do not handle shapes crossing the antimeridian.
 * @module
 */
import { Schema, type SchemaAST, SchemaGetter, SchemaParser, SchemaTransformation } from "effect"
import type { MultiPolygon, Point, Position } from "geojson"

// -----------------------------------------------------------------------------
// Schemas
// -----------------------------------------------------------------------------

const Longitude = Schema.Finite.check(Schema.isBetween({ minimum: -180, maximum: 180 }, { message: "longitude must be within [-180, 180]" }))
const Latitude = Schema.Finite.check(Schema.isBetween({ minimum: -90, maximum: 90 }, { message: "latitude must be within [-90, 90]" }))

/**
 * A GeoJSON position: `[lon, lat]` or `[lon, lat, alt]` of finite numbers, with the longitude within
 * [-180, 180] and the latitude within [-90, 90] (the failure message says which one is out of range).
 * The altitude (metres, any finite number) is optional and kept as given. More than 3 numbers are rejected.
 */
export const GeoPosition = Schema.mutable(Schema.Tuple([Longitude, Latitude, Schema.optionalKey(Schema.Finite)])).pipe(
  // Parsed as one tuple with an optional altitude (a union of two tuples would report every failure twice), then
  // typed as the 2D | 3D union, which is assignable to GeoJSON `Position` (`[number, number, number?]` is not,
  // under exactOptionalPropertyTypes). The guard always holds after the tuple parsed.
  Schema.refine((position): position is [lon: number, lat: number] | [lon: number, lat: number, alt: number] => position.length === 2 || position.length === 3),
  Schema.annotate({ description: "[longitude, latitude] or [longitude, latitude, altitude] in WGS 84 degrees" })
)
/** A GeoJSON position: `[lon, lat]` or `[lon, lat, alt]` (assignable to GeoJSON `Position`). */
export type GeoPosition = typeof GeoPosition.Type

/** A GeoJSON `Point` geometry, 2D or 3D. An input `bbox` member is dropped. */
export const GeoPoint = Schema.Struct({ type: Schema.Literal("Point"), coordinates: GeoPosition }).annotate({ description: "GeoJSON Point (RFC 7946 §3.1.2)" })
/** A GeoJSON `Point` geometry (assignable to GeoJSON `Point`). */
export type GeoPoint = typeof GeoPoint.Type

/** Exact equality of two positions, all coordinates included (`[1, 2]` differs from `[1, 2, 0]`). */
const samePosition = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((value, index) => value === b[index])

/**
 * Wraps `schema` in a transparent declaration whose only purpose is to tell `effect/Arbitrary` how to
 * generate valid values (effect 4.1 reads custom generators only from the `toCodecArbitrary` annotation of a
 * declaration). Decoding, encoding, JSON/string-tree/ISO codecs, JSON Schema, equivalence and formatting all
 * delegate to `schema`, so failures keep their messages and paths (e.g. `at ["coordinates"][0][2][0]`).
 * `generator` builds a link from a generatable "seed" schema to `schema`'s type; generated values are
 * still validated against `schema` by the arbitrary compiler.
 */
const withGenerator = <S extends Schema.Top>(schema: S, generator: () => SchemaAST.Link, expected: string) => {
  const passthrough = <A extends Schema.Top>(to: A): SchemaAST.Link =>
    Schema.link<A["Type"]>()(to, { decode: SchemaGetter.passthrough(), encode: SchemaGetter.passthrough() })
  return Schema.declareConstructor<S["Type"], S["Encoded"]>()(
    [schema],
    ([codec]) => {
      const parse = SchemaParser.decodeUnknownEffect(codec)
      return (input, _ast, options) => parse(input, options)
    },
    {
      expected,
      toCodec: ([codec]) => passthrough(codec),
      toCodecJson: ([codec]) => passthrough(codec),
      toCodecIso: ([codec]) => passthrough(codec),
      toCodecArbitrary: generator,
      toEquivalence: ([equivalence]) => equivalence,
      toFormatter: ([formatter]) => formatter
    }
  )
}

// --- generators (seeds → valid, simple rings) ----------------------------------------------------------------

const between = (minimum: number, maximum: number) => Schema.Finite.check(Schema.isBetween({ minimum, maximum }))

/** A star-shaped ring around a centre: one radial factor per vertex, vertices evenly spaced in angle. */
const RingSeed = Schema.Struct({
  lon: between(-175, 175),
  lat: between(-85, 85),
  radius: between(0.0001, 5),
  rotation: between(0, 2 * Math.PI),
  factors: Schema.Array(between(0.6, 1)).check(Schema.isMinLength(3), Schema.isMaxLength(24)),
  altitude: Schema.optionalKey(between(-500, 9000))
})
type RingSeed = typeof RingSeed.Type

/** A polygon seed: a star-shaped shell and at most one hole around the same centre. */
const PolygonSeed = Schema.Struct({
  shell: RingSeed,
  hole: Schema.optionalKey(Schema.Array(between(0.1, 0.25)).check(Schema.isMinLength(3), Schema.isMaxLength(12)))
})
type PolygonSeed = typeof PolygonSeed.Type

/**
 * Builds a closed ring: vertex `i` sits at angle `rotation ± 2πi/n` and distance `radius * factors[i]` from the
 * centre. The ring is simple (star-shaped), counter-clockwise unless `clockwise` (RFC 7946 wants holes clockwise).
 */
const starRing = (seed: RingSeed, factors: ReadonlyArray<number>, clockwise: boolean): Array<GeoPosition> => {
  const ring: Array<GeoPosition> = factors.map((factor, index) => {
    const angle = seed.rotation + ((clockwise ? -2 : 2) * Math.PI * index) / factors.length
    const lon = seed.lon + seed.radius * factor * Math.cos(angle)
    const lat = seed.lat + seed.radius * factor * Math.sin(angle)
    return seed.altitude === undefined ? [lon, lat] : [lon, lat, seed.altitude]
  })
  const first = ring[0]
  if (first !== undefined) ring.push([...first])
  return ring
}

/**
 * Holes use radial factors ≤ 0.25 while every shell edge stays at least `0.6 * cos(π/3) = 0.3` radius away from
 * the centre, so a generated hole always lies strictly inside its shell.
 */
const polygonFromSeed = (seed: PolygonSeed): Array<Array<GeoPosition>> => {
  const shell = starRing(seed.shell, seed.shell.factors, false)
  return seed.hole === undefined ? [shell] : [shell, starRing(seed.shell, seed.hole, true)]
}

/** A decode-only link from a seed schema to generated values (for `toCodecArbitrary`). */
const generatorLink = <Seed, T>(seed: Schema.Schema<Seed>, build: (seed: Seed) => T): SchemaAST.Link =>
  Schema.link<T>()(seed, {
    decode: SchemaGetter.transform(build),
    encode: SchemaGetter.forbidden(() => "generator seeds are never encoded")
  })

// --- rings, polygons, multipolygons ----------------------------------------------------------------------------

const LinearRingBase = Schema.mutable(Schema.Array(GeoPosition)).check(
  Schema.isMinLength(4, { message: "a linear ring needs at least 4 positions" }),
  Schema.makeFilter(
    (ring: Array<GeoPosition>) => {
      const first = ring[0]
      const last = ring[ring.length - 1]
      // a ring shorter than 4 already failed the previous check; don't report it twice
      return ring.length < 4 || first === undefined || last === undefined || samePosition(first, last)
    },
    { message: "a linear ring must be closed (first position equal to last)" }
  )
)

/**
 * A GeoJSON linear ring (RFC 7946 §3.1.6): at least 4 positions, closed (the first position equals the last
 * one, all coordinates compared). Failures say "a linear ring needs at least 4 positions" or "a linear ring must
 * be closed (first position equal to last)". Orientation and self-intersection are not checked (RFC 7946 asks
 * parsers not to reject rings for their winding order). Generated values are simple star-shaped rings.
 */
export const GeoLinearRing = withGenerator(
  LinearRingBase,
  () => generatorLink<RingSeed, GeoLinearRing>(RingSeed, (seed) => starRing(seed, seed.factors, false)),
  "a linear ring"
)
/** A GeoJSON linear ring: a closed array of at least 4 positions. */
export type GeoLinearRing = typeof LinearRingBase.Type

const PolygonRingsBase = Schema.mutable(Schema.Array(GeoLinearRing)).check(Schema.isMinLength(1, { message: "a polygon needs at least one ring" }))

/**
 * The `coordinates` of a Polygon: an exterior ring followed by its holes (at least one ring). Generated values are a
 * star-shaped shell, sometimes with one hole inside it, in 2D or 3D.
 */
export const GeoPolygonRings = withGenerator(PolygonRingsBase, () => generatorLink<PolygonSeed, GeoPolygonRings>(PolygonSeed, polygonFromSeed), "polygon rings")
/** The `coordinates` of a Polygon: exterior ring then holes. */
export type GeoPolygonRings = typeof PolygonRingsBase.Type

/** A GeoJSON `Polygon` geometry with at least one ring. An input `bbox` member is dropped. */
export const GeoPolygon = Schema.Struct({ type: Schema.Literal("Polygon"), coordinates: GeoPolygonRings }).annotate({
  description: "GeoJSON Polygon (RFC 7946 §3.1.6)"
})
/** A GeoJSON `Polygon` geometry (assignable to GeoJSON `Polygon`). */
export type GeoPolygon = typeof GeoPolygon.Type

/** A GeoJSON `MultiPolygon` geometry with at least one polygon. An input `bbox` member is dropped. */
export const GeoMultiPolygon = Schema.Struct({
  type: Schema.Literal("MultiPolygon"),
  coordinates: Schema.mutable(Schema.Array(GeoPolygonRings)).check(Schema.isMinLength(1, { message: "a multipolygon needs at least one polygon" }))
}).annotate({ description: "GeoJSON MultiPolygon (RFC 7946 §3.1.7)" })
/** A GeoJSON `MultiPolygon` geometry (assignable to GeoJSON `MultiPolygon`). */
export type GeoMultiPolygon = typeof GeoMultiPolygon.Type

/**
 * Decodes a GeoJSON `Polygon` or `MultiPolygon` and always yields a `MultiPolygon` (a Polygon becomes a
 * one-polygon MultiPolygon with the same rings), like IASO which stores every shape as a MultiPolygon.
 * Encodes a MultiPolygon as itself.
 */
export const GeoMultiPolygonInput = Schema.Union([GeoPolygon, GeoMultiPolygon]).pipe(
  Schema.decodeTo(
    Schema.toType(GeoMultiPolygon),
    SchemaTransformation.transform({
      decode: (geometry: GeoPolygon | GeoMultiPolygon): GeoMultiPolygon =>
        geometry.type === "Polygon" ? { type: "MultiPolygon", coordinates: [geometry.coordinates] } : geometry,
      encode: (geometry: GeoMultiPolygon): GeoPolygon | GeoMultiPolygon => geometry
    })
  )
)

// -----------------------------------------------------------------------------
// Bounding boxes
// -----------------------------------------------------------------------------

/** A bounding box `[minLon, minLat, maxLon, maxLat]` (degrees), like a 2D GeoJSON `bbox`. */
export type BoundingBox = readonly [minLon: number, minLat: number, maxLon: number, maxLat: number]

/**
 * The 2D bounding box of a point (min = max) or of every position of a multipolygon.
 * An empty multipolygon (invalid per {@link GeoMultiPolygon}) gives `[Infinity, Infinity, -Infinity, -Infinity]`,
 * which intersects and contains nothing. Boxes never wrap the antimeridian.
 */
export const boundingBox = (geometry: Point | MultiPolygon): BoundingBox => {
  if (geometry.type === "Point") {
    const [lon = Number.NaN, lat = Number.NaN] = geometry.coordinates
    return [lon, lat, lon, lat]
  }
  let minLon = Infinity
  let minLat = Infinity
  let maxLon = -Infinity
  let maxLat = -Infinity
  for (const polygon of geometry.coordinates) {
    for (const ring of polygon) {
      for (const position of ring) {
        const lon = position[0] ?? Number.NaN
        const lat = position[1] ?? Number.NaN
        if (lon < minLon) minLon = lon
        if (lon > maxLon) maxLon = lon
        if (lat < minLat) minLat = lat
        if (lat > maxLat) maxLat = lat
      }
    }
  }
  return [minLon, minLat, maxLon, maxLat]
}

/** Whether two bounding boxes share at least one point (touching edges or corners count). */
export const boxesIntersect = (a: BoundingBox, b: BoundingBox): boolean => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]

/** Whether the point `(lon, lat)` lies in the box, edges included. */
export const boxContainsPoint = (box: BoundingBox, lon: number, lat: number): boolean => lon >= box[0] && lon <= box[2] && lat >= box[1] && lat <= box[3]

// -----------------------------------------------------------------------------
// Point in polygon, centroid, distance
// -----------------------------------------------------------------------------

/** Distance (degrees) under which a point counts as lying on a ring's edge. */
const ON_EDGE_EPSILON = 1e-12

/** Whether `(x, y)` is on the segment `a`–`b` (within {@link ON_EDGE_EPSILON}). */
const onSegment = (x: number, y: number, ax: number, ay: number, bx: number, by: number): boolean => {
  if (x < Math.min(ax, bx) - ON_EDGE_EPSILON || x > Math.max(ax, bx) + ON_EDGE_EPSILON) return false
  if (y < Math.min(ay, by) - ON_EDGE_EPSILON || y > Math.max(ay, by) + ON_EDGE_EPSILON) return false
  // |cross| / length is the distance to the segment's line; a zero-length segment passed the box test above
  const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax)
  const length = Math.hypot(bx - ax, by - ay)
  return length === 0 || Math.abs(cross) <= ON_EDGE_EPSILON * length
}

/**
 * Tests one polygon (exterior ring + holes) with the even-odd rule: returns "boundary" when the point is on an
 * edge of any of its rings, otherwise whether a ray cast to +∞ longitude crosses its rings an odd number of times.
 */
const locateInPolygon = (lon: number, lat: number, rings: ReadonlyArray<ReadonlyArray<Position>>): boolean | "boundary" => {
  let inside = false
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const a = ring[i]
      const b = ring[j]
      if (a === undefined || b === undefined) continue
      const ax = a[0] ?? Number.NaN
      const ay = a[1] ?? Number.NaN
      const bx = b[0] ?? Number.NaN
      const by = b[1] ?? Number.NaN
      if (onSegment(lon, lat, ax, ay, bx, by)) return "boundary"
      if (ay > lat !== by > lat && lon < ((bx - ax) * (lat - ay)) / (by - ay) + ax) inside = !inside
    }
  }
  return inside
}

/**
 * Whether the point `(lon, lat)` lies in the multipolygon: inside the exterior ring of one of its polygons and
 * outside that polygon's holes (even-odd ray casting, planar on degrees).
 *
 * Points on the boundary count as inside, and that includes the edges of holes: a point exactly on a hole's
 * edge is on the polygon's boundary, so `true`. "On" means within 1e-12 degrees of an edge.
 */
export const pointInMultiPolygon = (lon: number, lat: number, mp: MultiPolygon): boolean => {
  for (const polygon of mp.coordinates) {
    if (locateInPolygon(lon, lat, polygon) !== false) return true
  }
  return false
}

/**
 * The area-weighted centroid `[lon, lat]` of a multipolygon, planar on degrees (like PostGIS `ST_Centroid` on a
 * 4326 geometry): holes subtract their area, and ring orientation does not matter. When the total area is zero
 * (degenerate rings), falls back to the average of the vertices (closing positions excluded). An empty
 * multipolygon gives `[NaN, NaN]`.
 */
export const centroid = (mp: MultiPolygon): [lon: number, lat: number] => {
  // Coordinates are taken relative to the first vertex to limit cancellation in the cross products.
  const origin = mp.coordinates[0]?.[0]?.[0]
  const ox = origin?.[0] ?? 0
  const oy = origin?.[1] ?? 0
  let area2 = 0 // twice the signed area, exterior rings positive, holes negative
  let cx = 0
  let cy = 0
  let vertexCount = 0
  let sumX = 0
  let sumY = 0
  for (const polygon of mp.coordinates) {
    polygon.forEach((ring, ringIndex) => {
      let ringArea2 = 0
      let ringX = 0
      let ringY = 0
      const closed = ring.length > 1 && samePosition(ring[0] ?? [], ring[ring.length - 1] ?? [])
      const count = closed ? ring.length - 1 : ring.length
      for (let i = 0; i < count; i++) {
        const a = ring[i]
        const b = ring[(i + 1) % count]
        if (a === undefined || b === undefined) continue
        const ax = (a[0] ?? Number.NaN) - ox
        const ay = (a[1] ?? Number.NaN) - oy
        const bx = (b[0] ?? Number.NaN) - ox
        const by = (b[1] ?? Number.NaN) - oy
        const cross = ax * by - bx * ay
        ringArea2 += cross
        ringX += (ax + bx) * cross
        ringY += (ay + by) * cross
        sumX += ax
        sumY += ay
        vertexCount++
      }
      // exterior rings count positively and holes negatively, whatever their winding order
      const sign = (ringArea2 < 0 ? -1 : 1) * (ringIndex === 0 ? 1 : -1)
      area2 += sign * ringArea2
      cx += sign * ringX
      cy += sign * ringY
    })
  }
  if (vertexCount === 0) return [Number.NaN, Number.NaN]
  if (area2 === 0 || !Number.isFinite(cx / (3 * area2))) {
    return [ox + sumX / vertexCount, oy + sumY / vertexCount]
  }
  return [ox + cx / (3 * area2), oy + cy / (3 * area2)]
}

/** Mean Earth radius used by {@link haversineMeters}: the IUGG mean radius R1 = 6 371 008.8 m. */
export const EARTH_RADIUS_METERS = 6_371_008.8

/**
 * Great-circle distance in metres between `(lon1, lat1)` and `(lon2, lat2)` (degrees), using the haversine
 * formula on a sphere of radius {@link EARTH_RADIUS_METERS}. The spherical model is within about 0.5% of the
 * WGS 84 ellipsoidal distance. Paris → London is about 343.5 km.
 */
export const haversineMeters = (lon1: number, lat1: number, lon2: number, lat2: number): number => {
  const toRadians = Math.PI / 180
  const phi1 = lat1 * toRadians
  const phi2 = lat2 * toRadians
  const sinHalfDeltaPhi = Math.sin(((lat2 - lat1) * toRadians) / 2)
  const sinHalfDeltaLambda = Math.sin(((lon2 - lon1) * toRadians) / 2)
  const h = sinHalfDeltaPhi * sinHalfDeltaPhi + Math.cos(phi1) * Math.cos(phi2) * sinHalfDeltaLambda * sinHalfDeltaLambda
  return 2 * EARTH_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(h)))
}

// -----------------------------------------------------------------------------
// Simplification
// -----------------------------------------------------------------------------

/** Counts every position of a multipolygon, closing positions included (GEOS/shapely `num_coords`). */
export const countPositions = (mp: MultiPolygon): number => {
  let count = 0
  for (const polygon of mp.coordinates) for (const ring of polygon) count += ring.length
  return count
}

/**
 * IASO's default simplification tolerance for a shape (`iaso/utils/gis.py` `simplify_geom`): 0.1% of the larger
 * side of its bounding box, `round(max(width, height) * 0.001, 10)` (degrees). Zero for an empty or single-point
 * shape.
 */
export const defaultSimplificationTolerance = (mp: MultiPolygon): number => {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(mp)
  const tolerance = Math.round(Math.max(maxLon - minLon, maxLat - minLat) * 0.001 * 1e10) / 1e10
  return Number.isFinite(tolerance) ? tolerance : 0
}

/**
 * Douglas-Peucker on one ring (iterative, so 40 000-vertex rings don't exhaust the stack), on copies of the
 * coordinates in typed arrays (3x faster than indexing the nested arrays). Distances are to the segment, not the
 * infinite line, as in GEOS and simplify-js; a vertex is dropped when its distance is ≤ the tolerance.
 *
 * Endpoints are kept by the recursion; for a closed ring they are the same position and the first split is at the
 * vertex farthest from it, as in GEOS. Then, like GEOS ≥ 3.12 (`DouglasPeuckerLineSimplifier.simplifyRingEndpoint`),
 * the start vertex itself is dropped when it lies within tolerance of the segment joining its kept neighbours and
 * the ring keeps at least 4 positions (the ring then starts at the next kept vertex).
 * Returns copies of the kept positions (altitude included).
 */
const douglasPeucker = (ring: ReadonlyArray<Position>, squaredTolerance: number): Array<Position> => {
  const n = ring.length
  const last = n - 1
  if (last < 2) return ring.map((position) => [...position])
  const xs = new Float64Array(n)
  const ys = new Float64Array(n)
  ring.forEach((position, index) => {
    xs[index] = position[0] ?? Number.NaN
    ys[index] = position[1] ?? Number.NaN
  })
  /** Squared distance from vertex `p` to the segment between vertices `a` and `b` (to `a` if they coincide). */
  const squaredDistance = (p: number, a: number, b: number): number => {
    const ax = xs[a] ?? Number.NaN
    const ay = ys[a] ?? Number.NaN
    const dx = (xs[b] ?? Number.NaN) - ax
    const dy = (ys[b] ?? Number.NaN) - ay
    let px = (xs[p] ?? Number.NaN) - ax
    let py = (ys[p] ?? Number.NaN) - ay
    const length2 = dx * dx + dy * dy
    if (length2 !== 0) {
      const t = (px * dx + py * dy) / length2
      if (t > 1) {
        px -= dx
        py -= dy
      } else if (t > 0) {
        px -= dx * t
        py -= dy * t
      }
    }
    return px * px + py * py
  }
  const keep = new Uint8Array(n)
  keep[0] = 1
  keep[last] = 1
  const stack: Array<number> = [0, last]
  while (stack.length > 0) {
    const end = stack.pop() ?? 0
    const start = stack.pop() ?? 0
    // hot loop: squaredDistance(i, start, end) inlined (the call halves the speed)
    const ax = xs[start] ?? Number.NaN
    const ay = ys[start] ?? Number.NaN
    const dx = (xs[end] ?? Number.NaN) - ax
    const dy = (ys[end] ?? Number.NaN) - ay
    const length2 = dx * dx + dy * dy
    let farthest = -1
    let maxDistance = squaredTolerance
    for (let i = start + 1; i < end; i++) {
      let px = (xs[i] ?? Number.NaN) - ax
      let py = (ys[i] ?? Number.NaN) - ay
      if (length2 !== 0) {
        const t = (px * dx + py * dy) / length2
        if (t > 1) {
          px -= dx
          py -= dy
        } else if (t > 0) {
          px -= dx * t
          py -= dy * t
        }
      }
      const distance = px * px + py * py
      if (distance > maxDistance) {
        farthest = i
        maxDistance = distance
      }
    }
    if (farthest !== -1) {
      keep[farthest] = 1
      if (farthest - start > 1) stack.push(start, farthest)
      if (end - farthest > 1) stack.push(farthest, end)
    }
  }
  const kept: Array<number> = []
  keep.forEach((flag, index) => {
    if (flag === 1) kept.push(index)
  })
  const second = kept[1]
  const beforeLast = kept[kept.length - 2]
  const closed = xs[0] === xs[last] && ys[0] === ys[last]
  if (closed && kept.length >= 5 && second !== undefined && beforeLast !== undefined && squaredDistance(0, beforeLast, second) <= squaredTolerance) {
    kept.shift()
    kept[kept.length - 1] = second // re-close the ring on its new start vertex
  }
  return kept.map((index) => [...(ring[index] ?? [])])
}

/**
 * Simplifies every ring of a multipolygon with the Douglas-Peucker algorithm (planar, on degrees): a vertex is
 * dropped when it is within `tolerance` of the simplified line. The default tolerance is IASO's rule,
 * {@link defaultSimplificationTolerance}: `max(bbox width, bbox height) * 0.001`. As in GEOS ≥ 3.12, a ring's
 * start vertex is dropped too when it is within tolerance of the segment joining its neighbours.
 *
 * Rings stay closed and keep at least 4 positions: a ring that would drop below 4 is kept unsimplified, and a
 * polygon whose exterior ring would drop below 4 is kept as-is (holes included). Positions keep their altitude.
 * A tolerance that is not a positive finite number returns an unchanged copy. The input is not mutated.
 *
 * IASO calls GeoDjango `geom.simplify(tolerance)` (`preserve_topology=False`: GEOS `DouglasPeuckerSimplifier`),
 * the same algorithm, but GEOS then repairs an output that became invalid with `buffer(0)` and drops rings that
 * collapse. This function does neither: in rare cases a simplified ring can touch or cross itself or another
 * ring (on IASO's Cameroon fixture, one 2-vertex loop that GEOS cuts off, hence 679 positions here vs 678;
 * on the AS Essomba fixture the result is identical to GEOS 3.13's).
 */
export function simplifyMultiPolygon(mp: GeoMultiPolygon, tolerance?: number): GeoMultiPolygon
export function simplifyMultiPolygon(mp: MultiPolygon, tolerance?: number): MultiPolygon
export function simplifyMultiPolygon(mp: MultiPolygon, tolerance?: number): MultiPolygon {
  // Own Douglas-Peucker rather than a library. simplify-js (2D {x, y} objects, no release since 1.2.4) would need
  // every position converted and back to keep altitudes and lacks GEOS's ring-endpoint step; @turf/simplify
  // (5 packages) cleans coordinates first and lowers the tolerance until a ring is valid instead of keeping the
  // original ring, which is not IASO's rule. Measured on IASO's Cameroon fixture (38 547 positions): same 679
  // positions as simplify-js `highQuality` (as_essomba: 90 vs 91, the ring-endpoint step), median 5.8 ms against
  // 7.0 ms for simplify-js including the conversion (Node 24).
  const effective = tolerance ?? defaultSimplificationTolerance(mp)
  const copyRing = (ring: ReadonlyArray<Position>): Array<Position> => ring.map((position) => [...position])
  if (!(effective > 0) || !Number.isFinite(effective)) {
    return { type: "MultiPolygon", coordinates: mp.coordinates.map((polygon) => polygon.map(copyRing)) }
  }
  const squaredTolerance = effective * effective
  const coordinates = mp.coordinates.map((polygon) => {
    const simplified = polygon.map((ring) => douglasPeucker(ring, squaredTolerance))
    const exterior = simplified[0]
    if (exterior === undefined || exterior.length < 4) return polygon.map(copyRing)
    return simplified.map((ring, index) => (ring.length < 4 ? copyRing(polygon[index] ?? []) : ring))
  })
  return { type: "MultiPolygon", coordinates }
}
