/**
 * The values a diff compares, as IASO compares them: Python's truthiness, text with blanks as
 * `None`, geometries rounded to 6 decimals (shapes in a canonical form), group lists by their
 * `sourceRef`s, and the distance between two geometries' centroids.
 * @module
 */
import type { MultiPolygon, Point } from "geojson"
import { centroid, haversineMeters } from "../shared/geometry.ts"
import { compareCodePoints } from "../shared/text.ts"
import type { DiffGroup, DiffValue } from "./version-diff-types.ts"

/** Python's truthiness of a compared value (`None`, `""` and `[]` are false). */
export const truthy = (value: DiffValue): boolean => value !== null && value !== "" && !(Array.isArray(value) && value.length === 0)

const blankIsNull = (value: DiffValue): DiffValue => (value === "" ? null : value)

export const isGroupList = (value: DiffValue): value is ReadonlyArray<DiffGroup> => Array.isArray(value)

export const isGeometry = (value: DiffValue): value is Point | MultiPolygon => typeof value === "object" && value !== null && !Array.isArray(value)

/** A coordinate rounded to 6 decimals, as IASO compares geometries. */
const round6 = (value: number | undefined): string => (value === undefined ? "" : value.toFixed(6))

/**
 * A canonical form of a multipolygon for comparison: coordinates rounded to 6 decimals, each ring
 * without its closing position, started at its smallest vertex and turned one way, holes and
 * polygons sorted (what GEOS's `normalize` achieves for IASO).
 */
const canonicalShape = (mp: MultiPolygon): string => {
  const ring = (positions: ReadonlyArray<ReadonlyArray<number>>): string => {
    let vertices = positions.map((p) => `${round6(p[0])} ${round6(p[1])}`)
    if (vertices.length > 1 && vertices[0] === vertices[vertices.length - 1]) vertices = vertices.slice(0, -1)
    let area = 0
    for (let i = 0; i < positions.length - 1; i++) {
      const a = positions[i]
      const b = positions[i + 1]
      if (a !== undefined && b !== undefined) area += (a[0] ?? 0) * (b[1] ?? 0) - (b[0] ?? 0) * (a[1] ?? 0)
    }
    if (area < 0) vertices = vertices.reverse()
    let start = 0
    vertices.forEach((vertex, index) => {
      const best = vertices[start]
      if (best !== undefined && compareCodePoints(vertex, best) < 0) start = index
    })
    return [...vertices.slice(start), ...vertices.slice(0, start)].join(",")
  }
  const polygons = mp.coordinates.map((polygon) => {
    const [shell, ...holes] = polygon.map(ring)
    return [shell ?? "", ...holes.sort(compareCodePoints)].join("|")
  })
  return polygons.sort(compareCodePoints).join("#")
}

export const sameGeometry = (a: DiffValue, b: DiffValue): boolean => {
  if (a === null && b === null) return true
  if (!isGeometry(a) || !isGeometry(b)) return false
  if (a.type !== b.type) return false
  if (a.type === "Point" && b.type === "Point") {
    return round6(a.coordinates[0]) === round6(b.coordinates[0]) && round6(a.coordinates[1]) === round6(b.coordinates[1])
  }
  if (a.type === "MultiPolygon" && b.type === "MultiPolygon") return canonicalShape(a) === canonicalShape(b)
  return false
}

const centreOf = (geometry: Point | MultiPolygon): readonly [number, number] =>
  geometry.type === "Point" ? [geometry.coordinates[0] ?? Number.NaN, geometry.coordinates[1] ?? Number.NaN] : centroid(geometry)

/** Great-circle distance in km between the centroids of two geometries. */
export const centroidDistanceKm = (a: Point | MultiPolygon, b: Point | MultiPolygon): number => {
  const [lon1, lat1] = centreOf(a)
  const [lon2, lat2] = centreOf(b)
  return haversineMeters(lon1, lat1, lon2, lat2) / 1000
}

/** How two values of one field are compared: as text (blank as `None`), as they are, or as groups by their `sourceRef`s. */
export const sameText = (a: DiffValue, b: DiffValue) => blankIsNull(a) === blankIsNull(b)
export const sameScalar = (a: DiffValue, b: DiffValue) => a === b
export const sameGroups = (a: DiffValue, b: DiffValue) => {
  const ids = (value: DiffValue) => (isGroupList(value) ? value.map((g) => g.id).sort(compareCodePoints) : [])
  const x = ids(a)
  const y = ids(b)
  return x.length === y.length && x.every((id, index) => id === y[index])
}
