/**
 * `@iaso/geopackage`: GeoPackage import and export of IASO pyramids. The GeoPackage is read and
 * written through a small port ({@link GpkgDriver} / {@link GpkgDatabase}); `@iaso/geopackage/node`
 * provides it with better-sqlite3. Geometry blobs (GeoPackage header + WKB) are decoded and
 * encoded here, without a driver.
 * @module
 */
export * from "./database.ts"
export * from "./geometry.ts"
export * from "./read.ts"
export * from "./write.ts"
export * from "./import.ts"
export * from "./export.ts"
