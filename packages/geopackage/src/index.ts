/**
 * `@iaso/geopackage`: GeoPackage import and export of IASO pyramids. The GeoPackage is read and
 * written through a small port ({@link GpkgDriver} / {@link GpkgDatabase}); `@iaso/geopackage/node`
 * provides it with better-sqlite3, `@iaso/geopackage/sqljs` with sql.js. Geometry blobs (GeoPackage
 * header + WKB) are decoded and encoded here, without a driver; reads are bounded by
 * `GPKG_LIMITS`, and coordinates in another SRS are reprojected to EPSG:4326 with proj4.
 * @document ../README.md
 * @module @iaso/geopackage
 */
export * from "./database.ts"
export * from "./geometry.ts"
export * from "./limits.ts"
export * from "./srs.ts"
export * from "./read.ts"
export * from "./write.ts"
export * from "./import.ts"
export * from "./export.ts"
export * from "./sample.ts"
export * from "./promise.ts"
export * from "./task.ts"
