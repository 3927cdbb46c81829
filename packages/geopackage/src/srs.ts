/**
 * The spatial reference systems of a GeoPackage's layers, and the conversion of their coordinates
 * to EPSG:4326 (longitude, latitude in degrees on WGS 84), which is what IASO stores.
 *
 * - EPSG:4326 (organization `EPSG`, id 4326, whatever its `srs_id`) is read as it is.
 * - The GeoPackage's "undefined geographic" SRS (`srs_id` 0) is read as EPSG:4326 too: its
 *   coordinates are declared longitudes and latitudes, and IASO knows no other datum for them.
 *   So is an `srs_id` of 4326 or 0 that `gpkg_spatial_ref_sys` does not list.
 * - The "undefined cartesian" SRS (`srs_id` -1), an `srs_id` the file does not define, and an SRS
 *   whose definition is not WKT that proj4 reads are refused, naming the SRS.
 * - Any other SRS is reprojected with proj4 from its WKT `definition` (its axis order ignored:
 *   GeoPackage geometries are always x = easting or longitude, y = northing or latitude).
 *
 * The SRS of a layer is that of its geometry column in `gpkg_geometry_columns`; the `srs_id` in
 * each geometry blob's header is not consulted (GDAL does the same).
 * @module
 */
import type { Position } from "geojson"
import proj4 from "proj4"
import { Result } from "effect"

/** A row of `gpkg_spatial_ref_sys`. */
export interface SpatialRefSys {
  readonly srsId: number
  readonly name: string
  readonly organization: string
  readonly organizationCoordsysId: number
  /** WKT (OGC 01-009), or `undefined` for the two undefined systems. */
  readonly definition: string
}

/** The `srs_id` of the GeoPackage's undefined cartesian SRS. */
export const UNDEFINED_CARTESIAN_SRS = -1
/** The `srs_id` of the GeoPackage's undefined geographic SRS (read as EPSG:4326). */
export const UNDEFINED_GEOGRAPHIC_SRS = 0
/** EPSG's code of WGS 84 longitude/latitude. */
export const WGS84_EPSG = 4326

/** Characters of the longest definition handed to proj4 (real WKT definitions have some thousands). */
export const MAX_DEFINITION_LENGTH = 65_536

/**
 * How coordinates of one SRS become EPSG:4326: `undefined` when they already are, else a function
 * of one position (x, y and any further ordinates, kept as they are) that throws when it cannot.
 */
export type ToWgs84 = ((position: Position) => Position) | undefined

/** How messages name an SRS: `srs_id 32631 (EPSG:32631 "WGS 84 / UTM zone 31N")`. */
export const describeSrs = (srsId: number, entry: SpatialRefSys | undefined): string =>
  entry === undefined ? `srs_id ${srsId}` : `srs_id ${srsId} (${entry.organization}:${entry.organizationCoordsysId} ${JSON.stringify(entry.name)})`

const isWgs84 = (entry: SpatialRefSys): boolean => entry.organization.toUpperCase() === "EPSG" && entry.organizationCoordsysId === WGS84_EPSG

/** A WKT definition starts with a keyword and a bracket, e.g. `PROJCS[`; proj4 also reads names and PROJ strings, which are refused. */
const WKT_START = /^\s*[A-Za-z][A-Za-z0-9_]*\s*\[/

/** Words that would reach object prototypes through proj4's WKT parser (which keys objects by the file's words). */
const PROTOTYPE_WORDS = /__proto__|\bprototype\b|\bconstructor\b/

/**
 * The conversion of an SRS's coordinates to EPSG:4326 (see the module's rules), or why it is
 * refused, naming the SRS. `entry` is the SRS's row of `gpkg_spatial_ref_sys`, when it has one.
 */
export const toWgs84 = (srsId: number, entry: SpatialRefSys | undefined): Result.Result<ToWgs84, string> => {
  const named = describeSrs(srsId, entry)
  if (entry === undefined) {
    if (srsId === WGS84_EPSG || srsId === UNDEFINED_GEOGRAPHIC_SRS) return Result.succeed(undefined)
    return Result.fail(`the SRS ${named} is not defined in gpkg_spatial_ref_sys`)
  }
  if (isWgs84(entry) || srsId === UNDEFINED_GEOGRAPHIC_SRS) return Result.succeed(undefined)
  if (srsId === UNDEFINED_CARTESIAN_SRS) return Result.fail(`the SRS ${named} is the undefined cartesian SRS: its coordinates cannot be placed on the Earth`)
  const definition = entry.definition
  if (definition.length > MAX_DEFINITION_LENGTH) return Result.fail(`the SRS ${named} has a definition longer than ${MAX_DEFINITION_LENGTH} characters`)
  if (!WKT_START.test(definition) || PROTOTYPE_WORDS.test(definition)) return Result.fail(`the SRS ${named} has no WKT definition that can be read`)
  try {
    const converter = proj4(definition, "WGS84")
    return Result.succeed((position) => {
      const [x = Number.NaN, y = Number.NaN, ...rest] = position
      const [longitude, latitude] = converter.forward([x, y])
      if (longitude === undefined || latitude === undefined || !Number.isFinite(longitude) || !Number.isFinite(latitude)) {
        throw new Error(`(${x}, ${y}) has no longitude and latitude`)
      }
      return [longitude, latitude, ...rest]
    })
  } catch (error) {
    return Result.fail(`the SRS ${named} has a definition proj4 cannot use: ${error instanceof Error ? error.message : String(error)}`)
  }
}
