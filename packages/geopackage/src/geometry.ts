/**
 * GeoPackage geometry blobs (OGC 12-128r18, §2.1.3): a header (magic `GP`, version, flags, SRS id,
 * optional envelope) followed by a geometry in Well-Known Binary. Decoding reads ISO WKB (Z, M and
 * ZM as type + 1000/2000/3000) and PostGIS extended WKB (high-bit flags, optional SRID), in either
 * byte order, into GeoJSON; M values are dropped. Encoding writes little-endian ISO WKB with an XY
 * envelope (none for points), as GDAL does.
 *
 * Both directions are total: a malformed blob gives a `Result` failure with a reason, never an
 * exception. An empty geometry (header flag, NaN point, polygon without rings...) decodes to `null`.
 * @module
 */
import type { Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Position } from "geojson"
import { Result } from "effect"

/** The decoded header of a GeoPackage geometry blob. */
export interface GpkgGeometryHeader {
  /** Format version (0 for GeoPackage 1.x). */
  readonly version: number
  /** The `srs_id` of the geometry (4326 for IASO's files). */
  readonly srsId: number
  /** The empty-geometry flag. */
  readonly empty: boolean
  /** `[minX, maxX, minY, maxY, ...]` as stored (Z and M bounds follow when present); absent when not stored. */
  readonly envelope?: ReadonlyArray<number>
  /** Where the WKB starts in the blob. */
  readonly wkbOffset: number
}

/** A decoded GeoPackage geometry: its header and the geometry (`null` when empty). */
export interface GpkgGeometry {
  readonly header: GpkgGeometryHeader
  readonly geometry: Geometry | null
}

/** Internal failure of a decoder step; turned into a `Result` failure at the boundary. */
class BadBlob {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

/** Doubles in the envelope, by envelope indicator (0: none, 1: XY, 2: XYZ, 3: XYM, 4: XYZM). */
const ENVELOPE_DOUBLES: ReadonlyArray<number> = [0, 4, 6, 6, 8]

/** Reads the header of a GeoPackage geometry blob. */
export const decodeGpkgHeader = (bytes: Uint8Array): Result.Result<GpkgGeometryHeader, string> => {
  try {
    return Result.succeed(readHeader(bytes))
  } catch (error) {
    return Result.fail(reason(error))
  }
}

const readHeader = (bytes: Uint8Array): GpkgGeometryHeader => {
  if (bytes.byteLength < 8) throw new BadBlob(`a GeoPackage geometry needs at least 8 bytes, got ${bytes.byteLength}`)
  if (bytes[0] !== 0x47 || bytes[1] !== 0x50) throw new BadBlob('not a GeoPackage geometry: the blob does not start with "GP"')
  const version = bytes[2] ?? 0
  const flags = bytes[3] ?? 0
  if ((flags & 0b0010_0000) !== 0) throw new BadBlob("extended GeoPackage geometries (non-standard types) are not supported")
  const empty = (flags & 0b0001_0000) !== 0
  const envelopeKind = (flags >> 1) & 0b111
  const littleEndian = (flags & 1) === 1
  const doubles = ENVELOPE_DOUBLES[envelopeKind]
  if (doubles === undefined) throw new BadBlob(`invalid envelope indicator ${envelopeKind} in the GeoPackage geometry header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const srsId = view.getInt32(4, littleEndian)
  const wkbOffset = 8 + doubles * 8
  if (bytes.byteLength < wkbOffset) throw new BadBlob("truncated GeoPackage geometry header")
  if (doubles === 0) return { version, srsId, empty, wkbOffset }
  const envelope: Array<number> = []
  for (let i = 0; i < doubles; i++) envelope.push(view.getFloat64(8 + i * 8, littleEndian))
  return { version, srsId, empty, envelope, wkbOffset }
}

/** Decodes a GeoPackage geometry blob into its header and a GeoJSON geometry (`null` when empty). */
export const decodeGpkgGeometry = (bytes: Uint8Array): Result.Result<GpkgGeometry, string> => {
  try {
    const header = readHeader(bytes)
    if (header.empty) return Result.succeed({ header, geometry: null })
    const reader: Reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: header.wkbOffset }
    const geometry = readGeometry(reader, 0)
    return Result.succeed({ header, geometry: isEmpty(geometry) ? null : geometry })
  } catch (error) {
    return Result.fail(reason(error))
  }
}

/** Decodes plain WKB (ISO or extended) into GeoJSON (`null` when empty). */
export const decodeWkb = (bytes: Uint8Array): Result.Result<Geometry | null, string> => {
  try {
    const geometry = readGeometry({ view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }, 0)
    return Result.succeed(isEmpty(geometry) ? null : geometry)
  } catch (error) {
    return Result.fail(reason(error))
  }
}

const reason = (error: unknown): string => {
  if (error instanceof BadBlob) return error.message
  if (error instanceof RangeError) return "truncated geometry: the blob ends before the geometry does"
  return String(error)
}

// -----------------------------------------------------------------------------
// WKB reading
// -----------------------------------------------------------------------------

interface Reader {
  readonly view: DataView
  offset: number
}

interface Kind {
  readonly type: number
  readonly dims: number
  readonly hasZ: boolean
  readonly little: boolean
}

const MAX_NESTING = 32

const readKind = (r: Reader): Kind => {
  const order = r.view.getUint8(r.offset)
  if (order > 1) throw new BadBlob(`invalid WKB byte order ${order}`)
  const little = order === 1
  const raw = r.view.getUint32(r.offset + 1, little)
  r.offset += 5
  // Extended WKB (PostGIS): flags in the high bits, optional SRID.
  let hasZ = (raw & 0x8000_0000) !== 0
  let hasM = (raw & 0x4000_0000) !== 0
  if ((raw & 0x2000_0000) !== 0) r.offset += 4
  let code = raw & 0x0fff_ffff
  // ISO WKB: thousands give the dimensions.
  const thousands = Math.floor(code / 1000)
  if (thousands > 3) throw new BadBlob(`unknown WKB geometry type ${raw}`)
  if (thousands === 1 || thousands === 3) hasZ = true
  if (thousands === 2 || thousands === 3) hasM = true
  code %= 1000
  if (code < 1 || code > 7) throw new BadBlob(`unsupported WKB geometry type ${raw}`)
  return { type: code, dims: 2 + (hasZ ? 1 : 0) + (hasM ? 1 : 0), hasZ, little }
}

const readCount = (r: Reader, little: boolean, what: string): number => {
  const count = r.view.getUint32(r.offset, little)
  r.offset += 4
  // Each item takes at least 8 bytes: a count larger than the rest of the blob is corrupt.
  if (count * 8 > r.view.byteLength - r.offset) throw new BadBlob(`truncated geometry: ${count} ${what} announced, the blob is too short`)
  return count
}

const readPosition = (r: Reader, kind: Kind): Position => {
  const { view } = r
  const x = view.getFloat64(r.offset, kind.little)
  const y = view.getFloat64(r.offset + 8, kind.little)
  const position = kind.hasZ ? [x, y, view.getFloat64(r.offset + 16, kind.little)] : [x, y]
  r.offset += kind.dims * 8
  return position
}

const readPositions = (r: Reader, kind: Kind): Array<Position> => {
  const count = readCount(r, kind.little, "points")
  const out = new Array<Position>(count)
  for (let i = 0; i < count; i++) out[i] = readPosition(r, kind)
  return out
}

const readRings = (r: Reader, kind: Kind): Array<Array<Position>> => {
  const count = readCount(r, kind.little, "rings")
  const out = new Array<Array<Position>>(count)
  for (let i = 0; i < count; i++) out[i] = readPositions(r, kind)
  return out
}

const readMembers = <G extends Geometry>(r: Reader, kind: Kind, depth: number, expected: number, what: string): Array<G> => {
  const count = readCount(r, kind.little, what)
  const out: Array<G> = []
  for (let i = 0; i < count; i++) {
    const member = readGeometry(r, depth + 1)
    if (expected !== 0 && typeOf(member) !== expected) throw new BadBlob(`a ${what} member is a ${member.type}`)
    out.push(member as G)
  }
  return out
}

const TYPE_CODES: Record<Geometry["type"], number> = {
  Point: 1,
  LineString: 2,
  Polygon: 3,
  MultiPoint: 4,
  MultiLineString: 5,
  MultiPolygon: 6,
  GeometryCollection: 7
}
const typeOf = (geometry: Geometry): number => TYPE_CODES[geometry.type]

const readGeometry = (r: Reader, depth: number): Geometry => {
  if (depth > MAX_NESTING) throw new BadBlob("geometry collections nested too deeply")
  const kind = readKind(r)
  switch (kind.type) {
    case 1: {
      const position = readPosition(r, kind)
      const empty = Number.isNaN(position[0]) && Number.isNaN(position[1])
      return { type: "Point", coordinates: empty ? [] : position } satisfies Point
    }
    case 2:
      return { type: "LineString", coordinates: readPositions(r, kind) } satisfies LineString
    case 3:
      return { type: "Polygon", coordinates: readRings(r, kind) } satisfies Polygon
    case 4:
      return { type: "MultiPoint", coordinates: readMembers<Point>(r, kind, depth, 1, "points").map((p) => p.coordinates) } satisfies MultiPoint
    case 5:
      return {
        type: "MultiLineString",
        coordinates: readMembers<LineString>(r, kind, depth, 2, "line strings").map((l) => l.coordinates)
      } satisfies MultiLineString
    case 6:
      return { type: "MultiPolygon", coordinates: readMembers<Polygon>(r, kind, depth, 3, "polygons").map((p) => p.coordinates) } satisfies MultiPolygon
    default:
      return { type: "GeometryCollection", geometries: readMembers<Geometry>(r, kind, depth, 0, "geometries") } satisfies GeometryCollection
  }
}

/** Whether a geometry has no position at all (GeoJSON's empty geometries). */
export const isEmpty = (geometry: Geometry): boolean => {
  switch (geometry.type) {
    case "Point":
      return geometry.coordinates.length === 0
    case "LineString":
    case "MultiPoint":
      return geometry.coordinates.length === 0
    case "Polygon":
    case "MultiLineString":
      return geometry.coordinates.every((ring) => ring.length === 0)
    case "MultiPolygon":
      return geometry.coordinates.every((polygon) => polygon.every((ring) => ring.length === 0))
    case "GeometryCollection":
      return geometry.geometries.every(isEmpty)
  }
}

// -----------------------------------------------------------------------------
// Writing
// -----------------------------------------------------------------------------

/** Bounding box `[minX, minY, maxX, maxY]` of a geometry's positions (`undefined` when empty). */
export const envelopeOf = (geometry: Geometry): readonly [number, number, number, number] | undefined => {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  eachPosition(geometry, (p) => {
    const x = p[0] ?? NaN
    const y = p[1] ?? NaN
    if (x < minX) minX = x
    if (x > maxX) maxX = x
    if (y < minY) minY = y
    if (y > maxY) maxY = y
  })
  return minX === Infinity ? undefined : [minX, minY, maxX, maxY]
}

const eachPosition = (geometry: Geometry, f: (position: Position) => void): void => {
  switch (geometry.type) {
    case "Point":
      if (geometry.coordinates.length > 0) f(geometry.coordinates)
      return
    case "LineString":
    case "MultiPoint":
      for (const p of geometry.coordinates) f(p)
      return
    case "Polygon":
    case "MultiLineString":
      for (const ring of geometry.coordinates) for (const p of ring) f(p)
      return
    case "MultiPolygon":
      for (const polygon of geometry.coordinates) for (const ring of polygon) for (const p of ring) f(p)
      return
    case "GeometryCollection":
      for (const member of geometry.geometries) eachPosition(member, f)
  }
}

/** The number of positions of a geometry (every ring and member counted). */
export const countPositions = (geometry: Geometry): number => {
  let count = 0
  eachPosition(geometry, () => {
    count += 1
  })
  return count
}

/** The same geometry with every position replaced by `f` of it (a new geometry; the given one is not changed). */
export const mapPositions = <G extends Geometry>(geometry: G, f: (position: Position) => Position): G => {
  const rings = (lines: ReadonlyArray<ReadonlyArray<Position>>) => lines.map((line) => line.map(f))
  const mapped: Geometry = (() => {
    switch (geometry.type) {
      case "Point":
        return { type: "Point", coordinates: geometry.coordinates.length === 0 ? [] : f(geometry.coordinates) } satisfies Point
      case "LineString":
        return { type: "LineString", coordinates: geometry.coordinates.map(f) } satisfies LineString
      case "MultiPoint":
        return { type: "MultiPoint", coordinates: geometry.coordinates.map(f) } satisfies MultiPoint
      case "Polygon":
        return { type: "Polygon", coordinates: rings(geometry.coordinates) } satisfies Polygon
      case "MultiLineString":
        return { type: "MultiLineString", coordinates: rings(geometry.coordinates) } satisfies MultiLineString
      case "MultiPolygon":
        return { type: "MultiPolygon", coordinates: geometry.coordinates.map(rings) } satisfies MultiPolygon
      case "GeometryCollection":
        return { type: "GeometryCollection", geometries: geometry.geometries.map((member) => mapPositions(member, f)) } satisfies GeometryCollection
    }
  })()
  return mapped as G
}

/** Whether any position of the geometry has a third coordinate (written as Z for the whole geometry). */
export const hasZ = (geometry: Geometry): boolean => {
  let z = false
  eachPosition(geometry, (p) => {
    if (p.length > 2) z = true
  })
  return z
}

const wkbSize = (geometry: Geometry, dims: number): number => {
  const point = 8 * dims
  switch (geometry.type) {
    case "Point":
      return 5 + point
    case "LineString":
      return 9 + geometry.coordinates.length * point
    case "Polygon":
      return 9 + geometry.coordinates.reduce((n, ring) => n + 4 + ring.length * point, 0)
    case "MultiPoint":
      return 9 + geometry.coordinates.length * (5 + point)
    case "MultiLineString":
      return 9 + geometry.coordinates.reduce((n, line) => n + 9 + line.length * point, 0)
    case "MultiPolygon":
      return 9 + geometry.coordinates.reduce((n, polygon) => n + 9 + polygon.reduce((m, ring) => m + 4 + ring.length * point, 0), 0)
    case "GeometryCollection":
      return 9 + geometry.geometries.reduce((n, member) => n + wkbSize(member, dims), 0)
  }
}

interface Writer {
  readonly view: DataView
  offset: number
  readonly z: boolean
}

const writeKind = (w: Writer, code: number): void => {
  w.view.setUint8(w.offset, 1)
  w.view.setUint32(w.offset + 1, code + (w.z ? 1000 : 0), true)
  w.offset += 5
}

const writeUint32 = (w: Writer, value: number): void => {
  w.view.setUint32(w.offset, value, true)
  w.offset += 4
}

const writePosition = (w: Writer, p: Position): void => {
  w.view.setFloat64(w.offset, p[0] ?? NaN, true)
  w.view.setFloat64(w.offset + 8, p[1] ?? NaN, true)
  w.offset += 16
  if (w.z) {
    w.view.setFloat64(w.offset, p[2] ?? 0, true)
    w.offset += 8
  }
}

const writePositions = (w: Writer, positions: ReadonlyArray<Position>): void => {
  writeUint32(w, positions.length)
  for (const p of positions) writePosition(w, p)
}

const writeRings = (w: Writer, rings: ReadonlyArray<ReadonlyArray<Position>>): void => {
  writeUint32(w, rings.length)
  for (const ring of rings) writePositions(w, ring)
}

const writeGeometry = (w: Writer, geometry: Geometry): void => {
  switch (geometry.type) {
    case "Point":
      writeKind(w, 1)
      writePosition(w, geometry.coordinates.length === 0 ? [NaN, NaN, NaN] : geometry.coordinates)
      return
    case "LineString":
      writeKind(w, 2)
      writePositions(w, geometry.coordinates)
      return
    case "Polygon":
      writeKind(w, 3)
      writeRings(w, geometry.coordinates)
      return
    case "MultiPoint":
      writeKind(w, 4)
      writeUint32(w, geometry.coordinates.length)
      for (const p of geometry.coordinates) {
        writeKind(w, 1)
        writePosition(w, p)
      }
      return
    case "MultiLineString":
      writeKind(w, 5)
      writeUint32(w, geometry.coordinates.length)
      for (const line of geometry.coordinates) {
        writeKind(w, 2)
        writePositions(w, line)
      }
      return
    case "MultiPolygon":
      writeKind(w, 6)
      writeUint32(w, geometry.coordinates.length)
      for (const polygon of geometry.coordinates) {
        writeKind(w, 3)
        writeRings(w, polygon)
      }
      return
    case "GeometryCollection":
      writeKind(w, 7)
      writeUint32(w, geometry.geometries.length)
      for (const member of geometry.geometries) writeGeometry(w, member)
  }
}

/** Little-endian ISO WKB of a GeoJSON geometry (Z when any position has a third coordinate; missing Z written as 0). */
export const encodeWkb = (geometry: Geometry): Uint8Array => {
  const z = hasZ(geometry)
  const bytes = new Uint8Array(wkbSize(geometry, z ? 3 : 2))
  const writer: Writer = { view: new DataView(bytes.buffer), offset: 0, z }
  writeGeometry(writer, geometry)
  return bytes
}

/**
 * A GeoPackage geometry blob of a GeoJSON geometry: little-endian header with `srsId`, an XY
 * envelope except for points, the empty flag for empty geometries, then ISO WKB.
 */
export const encodeGpkgGeometry = (geometry: Geometry, srsId = 4326): Uint8Array => {
  const z = hasZ(geometry)
  const empty = isEmpty(geometry)
  const envelope = geometry.type === "Point" || empty ? undefined : envelopeOf(geometry)
  const headerSize = 8 + (envelope === undefined ? 0 : 32)
  const bytes = new Uint8Array(headerSize + wkbSize(geometry, z ? 3 : 2))
  const view = new DataView(bytes.buffer)
  bytes[0] = 0x47
  bytes[1] = 0x50
  bytes[2] = 0
  bytes[3] = (empty ? 0b0001_0000 : 0) | (envelope === undefined ? 0 : 0b0000_0010) | 1
  view.setInt32(4, srsId, true)
  if (envelope !== undefined) {
    const [minX, minY, maxX, maxY] = envelope
    view.setFloat64(8, minX, true)
    view.setFloat64(16, maxX, true)
    view.setFloat64(24, minY, true)
    view.setFloat64(32, maxY, true)
  }
  writeGeometry({ view, offset: headerSize, z }, geometry)
  return bytes
}
