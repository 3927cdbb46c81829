/**
 * The geometry of a DHIS2 org unit, read leniently: a `geometry` member (DHIS2 ≥ 2.32, a GeoJSON
 * geometry object or its JSON text), else a legacy `coordinates` string (DHIS2 < 2.32) read by its
 * nesting: `[lon,lat]` a point, `[[[lon,lat],…]]` a polygon, `[[[[lon,lat],…]]]` a multipolygon.
 * A shape that cannot be read (not JSON, nested past `MAX_JSON_DEPTH`, not valid GeoJSON) is
 * dropped with a warning naming why; the unit is still imported.
 * @module
 */
import type { MultiPolygon, Point, Polygon } from "geojson"
import { Result, Schema } from "effect"
import { ValidationError } from "../shared/errors.ts"
import { GeoMultiPolygonInput, GeoPoint } from "../shared/geometry.ts"
import { admitJson } from "../shared/json.ts"
import type { Dhis2Warning } from "./dhis2-import.ts"

/** A shape read from DHIS2. */
export type Dhis2Shape = Point | Polygon | MultiPolygon

/** Whether a value is a plain JSON object (not an array). */
export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** How deeply arrays nest along the first elements: `[1,2]` is 1, a polygon's coordinates 3. */
const nesting = (value: unknown): number => {
  let depth = 0
  let current = value
  while (Array.isArray(current)) {
    depth += 1
    current = current[0]
  }
  return typeof current === "number" ? depth : -1
}

const decodePoint = Schema.decodeUnknownResult(GeoPoint)
const decodeShape = Schema.decodeUnknownResult(GeoMultiPolygonInput)

/** Decodes a GeoJSON-like `{ type, coordinates }`: a shape, or why it cannot be read. */
const shapeOf = (type: unknown, coordinates: unknown): Dhis2Shape | string => {
  if (type === "Point") {
    // DHIS2 has no altitude: only longitude and latitude are kept (the engine stores altitude 0).
    const position = Array.isArray(coordinates) ? coordinates.slice(0, 2) : coordinates
    const result = decodePoint({ type, coordinates: position })
    return Result.isSuccess(result) ? result.success : result.failure.message
  }
  if (type === "Polygon" || type === "MultiPolygon") {
    const result = decodeShape({ type, coordinates })
    return Result.isSuccess(result) ? result.success : result.failure.message
  }
  return `unsupported geometry type ${JSON.stringify(type)} (expected Point, Polygon or MultiPolygon)`
}

/** JSON text as plain data (its nesting bounded: see `admitJson`), or why it cannot be read. */
const parseText = (text: string, what: string): { readonly value: unknown } | string => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return `the ${what} text is not JSON`
  }
  const admitted = admitJson(value)
  return admitted instanceof ValidationError ? (admitted.issues[0]?.message ?? admitted.message) : { value: admitted }
}

/** A `geometry` member (DHIS2 ≥ 2.32): a GeoJSON geometry object, or its JSON text. */
const readGeometryObject = (raw: unknown): Dhis2Shape | string | undefined => {
  let value = raw
  if (typeof value === "string") {
    if (value.trim() === "") return undefined
    const parsed = parseText(value, "geometry")
    if (typeof parsed === "string") return parsed
    value = parsed.value
  }
  if (value === null || value === undefined) return undefined
  if (!isRecord(value)) return "expected a GeoJSON geometry object"
  return shapeOf(value["type"], value["coordinates"])
}

/** A legacy `coordinates` string (DHIS2 < 2.32), read by its nesting. */
const readCoordinates = (raw: unknown): Dhis2Shape | string | undefined => {
  let value = raw
  if (typeof value === "string") {
    if (value.trim() === "") return undefined
    const parsed = parseText(value, "coordinates")
    if (typeof parsed === "string") return parsed
    value = parsed.value
  }
  if (value === null || value === undefined) return undefined
  switch (nesting(value)) {
    case 1:
      return shapeOf("Point", value)
    case 3:
      return shapeOf("Polygon", value)
    case 4:
      return shapeOf("MultiPolygon", value)
    default:
      return "unreadable coordinates: expected [lon,lat], polygon rings [[[lon,lat],…]] or polygons [[[[lon,lat],…]]]"
  }
}

/**
 * The unit's shape: its `geometry` when readable, else its legacy `coordinates`. Each unreadable
 * one is reported as a warning at `path` (the unit's place in the payload); the unit is imported
 * without it.
 */
export const readGeometry = (
  unit: { readonly id: string; readonly name: string; readonly geometry?: unknown; readonly coordinates?: unknown },
  path: ReadonlyArray<string | number>,
  warnings: Array<Dhis2Warning>
): Dhis2Shape | undefined => {
  const fromGeometry = readGeometryObject(unit.geometry)
  if (typeof fromGeometry === "string") warnings.push({ path: [...path, "geometry"], message: `${unit.id} (${unit.name}): geometry dropped: ${fromGeometry}` })
  else if (fromGeometry !== undefined) return fromGeometry
  const fromCoordinates = readCoordinates(unit.coordinates)
  if (typeof fromCoordinates === "string") {
    warnings.push({ path: [...path, "coordinates"], message: `${unit.id} (${unit.name}): coordinates dropped: ${fromCoordinates}` })
    return undefined
  }
  return fromCoordinates
}
