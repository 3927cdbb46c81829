/**
 * Spatial reference systems of imported layers: EPSG:4326 and the undefined geographic SRS are read
 * as they are; UTM zone 31N (EPSG:32631) is reprojected, and lands where the same features written
 * in EPSG:4326 do (the UTM coordinates computed here with Snyder's series, independently of proj4);
 * the undefined cartesian SRS, an SRS the file does not define and definitions proj4 cannot use
 * are refused, naming the SRS. On both drivers.
 */
import type Database from "better-sqlite3"
import type { Geometry, Position } from "geojson"
import { Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { importGeoPackage } from "@iaso/geopackage"
import { makeHarness, validationFailure } from "./harness.ts"
import { DRIVERS, type Feature, gpkgFile, removeFiles, writeLayer } from "./hostile-files.ts"

afterAll(removeFiles)

/** EPSG:32631 as GDAL writes it in `gpkg_spatial_ref_sys.definition`. */
const UTM_31N_WKT =
  'PROJCS["WGS 84 / UTM zone 31N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",3],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","32631"]]'

/**
 * UTM zone 31N easting and northing of a longitude and latitude on WGS 84, by the transverse
 * Mercator series of Snyder, "Map Projections: A Working Manual" (1987), equations 3-21 and 8-9
 * to 8-13: within a zone its error is millimetres, far below the 1e-6 degree (0.1 m) compared.
 */
const utm31n = ([longitude = 0, latitude = 0]: Position): Position => {
  const a = 6378137
  const f = 1 / 298.257223563
  const e2 = f * (2 - f)
  const ep2 = e2 / (1 - e2)
  const k0 = 0.9996
  const phi = (latitude * Math.PI) / 180
  const n = a / Math.sqrt(1 - e2 * Math.sin(phi) ** 2)
  const t = Math.tan(phi) ** 2
  const c = ep2 * Math.cos(phi) ** 2
  const A = (((longitude - 3) * Math.PI) / 180) * Math.cos(phi)
  const m =
    a *
    ((1 - e2 / 4 - (3 * e2 ** 2) / 64 - (5 * e2 ** 3) / 256) * phi -
      ((3 * e2) / 8 + (3 * e2 ** 2) / 32 + (45 * e2 ** 3) / 1024) * Math.sin(2 * phi) +
      ((15 * e2 ** 2) / 256 + (45 * e2 ** 3) / 1024) * Math.sin(4 * phi) -
      ((35 * e2 ** 3) / 3072) * Math.sin(6 * phi))
  const easting = 500000 + k0 * n * (A + ((1 - t + c) * A ** 3) / 6 + ((5 - 18 * t + t ** 2 + 72 * c - 58 * ep2) * A ** 5) / 120)
  const northing =
    k0 * (m + n * Math.tan(phi) * (A ** 2 / 2 + ((5 - t + 9 * c + 4 * c ** 2) * A ** 4) / 24 + ((61 - 58 * t + t ** 2 + 600 * c - 330 * ep2) * A ** 6) / 720))
  return [easting, northing]
}

/** Features in zone 31 (0°E to 6°E): a point at Niamey, a district-sized polygon in Benin, a root without geometry. */
const FEATURES_4326: ReadonlyArray<Feature> = [
  { ref: "root", name: "Root" },
  { ref: "niamey", name: "Niamey", parentRef: "root", geometry: { type: "Point", coordinates: [2.1098, 13.5116] } },
  {
    ref: "district",
    name: "District",
    parentRef: "root",
    geometry: {
      type: "Polygon",
      coordinates: [
        [
          [1.6, 6.4],
          [2.9, 6.35],
          [3.8, 9.1],
          [2.2, 11.95],
          [0.9, 10.2],
          [1.6, 6.4]
        ]
      ]
    }
  }
]

const inUtm = (geometry: Geometry): Geometry => {
  if (geometry.type === "Point") return { type: "Point", coordinates: utm31n(geometry.coordinates) }
  if (geometry.type === "Polygon") return { type: "Polygon", coordinates: geometry.coordinates.map((ring) => ring.map(utm31n)) }
  throw new Error(`no UTM version of a ${geometry.type} here`)
}

/** Adds an SRS row to `gpkg_spatial_ref_sys`. */
const defineSrs = (db: Database.Database, srsId: number, organization: string, code: number, definition: string, name = `SRS ${srsId}`) =>
  db
    .prepare("INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition) VALUES (?, ?, ?, ?, ?)")
    .run(name, srsId, organization, code, definition)

describe.each(DRIVERS)("%s", (_driver, layer) => {
  const h = makeHarness(layer)
  afterAll(() => h.dispose())

  const imported = async (bytes: Uint8Array) => {
    const { actor, source } = await h.freshSource("srs")
    const exit = await h.exitOf(actor, importGeoPackage(bytes, { dataSourceId: source.id }))
    return { actor, exit }
  }
  /** The pyramid an import of `bytes` gives (the import must succeed). */
  const pyramid = async (bytes: Uint8Array) => {
    const { actor, exit } = await imported(bytes)
    if (!Exit.isSuccess(exit)) throw new Error("expected the import to succeed")
    return h.pyramidOf(actor, exit.value.version.id)
  }

  it("a layer in EPSG:32631 (UTM 31N) imports with the coordinates of the same features in EPSG:4326, to 1e-6 degree", async () => {
    const wgs84 = await pyramid(gpkgFile((db) => writeLayer(db, "level-1-Zone", FEATURES_4326)))
    const utm = await pyramid(
      gpkgFile((db) => {
        defineSrs(db, 32631, "EPSG", 32631, UTM_31N_WKT, "WGS 84 / UTM zone 31N")
        writeLayer(
          db,
          "level-1-Zone",
          FEATURES_4326.map((feature) => (feature.geometry === undefined ? feature : { ...feature, geometry: inUtm(feature.geometry) })),
          32631
        )
      })
    )
    expect([...utm.keys()].sort()).toEqual(["district", "niamey", "root"])
    const close = (got: ReadonlyArray<number> | undefined, want: ReadonlyArray<number> | undefined) => {
      expect(got?.length).toBe(want?.length)
      for (const [i, value] of (want ?? []).entries()) expect(Math.abs((got?.[i] ?? Number.NaN) - value)).toBeLessThan(1e-6)
    }
    close(utm.get("niamey")?.location ?? undefined, wgs84.get("niamey")?.location ?? undefined)
    close(utm.get("niamey")?.location ?? undefined, [2.1098, 13.5116, 0])
    const utmRing = utm.get("district")?.geom?.coordinates[0]?.[0] ?? []
    const wgs84Ring = wgs84.get("district")?.geom?.coordinates[0]?.[0] ?? []
    expect(utmRing.length).toBe(6)
    for (const [i, position] of wgs84Ring.entries()) close(utmRing[i], position)
    expect(utm.get("root")).toMatchObject({ location: null, geom: null })
  })

  it.each([
    ["srs_id 0 (the undefined geographic SRS)", 0, false],
    ["srs_id 4326 that gpkg_spatial_ref_sys does not list", 4326, true]
  ])("%s is read as EPSG:4326", async (_label, srsId, unlisted) => {
    const units = await pyramid(
      gpkgFile((db) => {
        if (unlisted) db.prepare("DELETE FROM gpkg_spatial_ref_sys WHERE srs_id = ?").run(srsId)
        writeLayer(db, "level-1-Zone", FEATURES_4326, srsId)
      })
    )
    expect(units.get("niamey")?.location).toEqual([2.1098, 13.5116, 0])
  })

  it.each([
    [
      "the undefined cartesian SRS",
      -1,
      () => {},
      `Layer 'level-1-A' cannot be read: the SRS srs_id -1 (NONE:-1 "Undefined cartesian SRS") is the undefined cartesian SRS: its coordinates cannot be placed on the Earth`
    ],
    [
      "an srs_id gpkg_spatial_ref_sys does not define",
      99999,
      () => {},
      "Layer 'level-1-A' cannot be read: the SRS srs_id 99999 is not defined in gpkg_spatial_ref_sys"
    ],
    [
      "an SRS without WKT",
      7,
      (db: Database.Database) => defineSrs(db, 7, "ACME", 7, "undefined"),
      `Layer 'level-1-A' cannot be read: the SRS srs_id 7 (ACME:7 "SRS 7") has no WKT definition that can be read`
    ],
    [
      "a WKT reaching for object prototypes",
      8,
      (db: Database.Database) => defineSrs(db, 8, "ACME", 8, 'GEOGCS["x",__proto__["polluted",1]]'),
      `Layer 'level-1-A' cannot be read: the SRS srs_id 8 (ACME:8 "SRS 8") has no WKT definition that can be read`
    ],
    [
      "a WKT with a projection proj4 does not know",
      9,
      (db: Database.Database) => defineSrs(db, 9, "ACME", 9, 'PROJCS["x",GEOGCS["y"],PROJECTION["Nowhere"]]'),
      /^Layer 'level-1-A' cannot be read: the SRS srs_id 9 \(ACME:9 "SRS 9"\) has a definition proj4 cannot use: .+/
    ]
  ])("a layer in %s is refused, naming the SRS at [layer, geometry column]", async (_label, srsId, define, message) => {
    const bytes = gpkgFile((db) => {
      define(db)
      writeLayer(db, "level-1-A", [{ ref: "a", name: "A", geometry: { type: "Point", coordinates: [1, 2] } }], srsId)
    })
    const error = validationFailure((await imported(bytes)).exit)
    expect(error.issues.map((issue) => issue.path)).toEqual([["level-1-A", "geom"]])
    if (typeof message === "string") expect(error.message).toBe(message)
    else expect(error.message).toMatch(message)
    expect(Object.prototype).not.toHaveProperty("polluted")
  })

  it("a position proj4 cannot convert is an issue naming the feature", async () => {
    const bytes = gpkgFile((db) => {
      defineSrs(db, 32631, "EPSG", 32631, UTM_31N_WKT, "WGS 84 / UTM zone 31N")
      writeLayer(db, "level-1-A", [{ ref: "a", name: "A", geometry: { type: "Point", coordinates: [Number.POSITIVE_INFINITY, 0] } }], 32631)
    })
    const error = validationFailure((await imported(bytes)).exit)
    expect(error.issues.map((issue) => issue.path)).toEqual([["level-1-A", 1, "geom"]])
    expect(error.message).toMatch(
      /^Geometry of fid 1 \(ref "a"\) of 'level-1-A': cannot be converted from srs_id 32631 \(EPSG:32631 "WGS 84 \/ UTM zone 31N"\) to EPSG:4326: .+/
    )
  })
})
