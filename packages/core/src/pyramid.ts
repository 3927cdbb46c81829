/**
 * `@iaso/core/pyramid`: the pyramid's file formats and the import they feed: the shared import
 * ({@link runPyramidImport}, {@link pyramidSource}, the hierarchy walks an adapter's reader uses),
 * GeoJSON ({@link parseGeoJsonPyramid}, {@link exportGeoJsonPyramid}), DHIS2 organisation unit
 * payloads ({@link parseDhis2Pyramid}) and the version comparison's CSV ({@link versionDiffCsv}).
 * The `PyramidImports` and `Versions` services load them themselves when a verb first needs
 * them; an app imports them from here to parse or write a file without the services. Their types
 * (`PyramidInput`, `PyramidSource`, `PyramidFeatureCollection`, `Dhis2Payload`...) are exported
 * by `@iaso/core`.
 *
 * ```ts
 * import { parseGeoJsonPyramid } from "@iaso/core/pyramid"
 * const pyramid = yield* parseGeoJsonPyramid(JSON.parse(text)) // a PyramidInput for PyramidImports
 * ```
 *
 * Kept apart from `@iaso/core` so that an app's bundle carries these parsers and writers only when
 * it imports them or runs an import (the services load this code with a dynamic `import()`).
 * @module @iaso/core/pyramid
 */
export { DHIS2_IMPORT_SOURCE, DHIS2_MESSAGES, dhis2FallbackTypeName, parseDhis2Pyramid, runDhis2Import } from "./registry/dhis2-import.ts"
export { exportGeoJsonPyramid, GEOJSON_IMPORT_SOURCE, GEOJSON_MESSAGES, parseGeoJsonPyramid, runGeoJsonImport } from "./registry/geojson.ts"
export { GPKG_MESSAGES, normaliseRef, pyramidSource, requirePyramidImport, runPyramidImport, walkHierarchy, walkNodes } from "./registry/pyramid-import.ts"
export { toEwkt, versionDiffCsv } from "./registry/version-diff-csv.ts"
