/**
 * Reading GeoPackages into the import engine's input, on files written here: layer names, column
 * present vs absent vs null vs blank, IASO's messages with paths, geometry types, and the engine's
 * own errors (dates) reaching the caller.
 */
import type { Geometry } from "geojson"
import { Effect, Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Actor } from "@iaso/core"
import {
  type GpkgColumn,
  initGeoPackage,
  importGeoPackage,
  parseGeoPackage,
  parseLevelName,
  type SqlValue,
  writeAttributeTable,
  writeFeatureLayer
} from "@iaso/geopackage"
import { createBetterSqlite3 } from "@iaso/geopackage/node"
import { failureTag, makeHarness, validationFailure } from "./harness.ts"
import { readSharedBytes, sharedAvailable, skipMessage } from "./shared-files.ts"
import { BetterSqlite3Gpkg } from "@iaso/geopackage/node"

const h = makeHarness(BetterSqlite3Gpkg.layer)
afterAll(() => h.dispose())

interface TestLayer {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<{ readonly geometry?: Geometry; readonly values: ReadonlyArray<SqlValue> }>
}

/** A GeoPackage with a `groups` table (unless `groups` is null) and the given layers. */
const gpkg = (layers: ReadonlyArray<TestLayer>, groups: ReadonlyArray<readonly [string, string]> | null = []): Promise<Uint8Array> =>
  Effect.runPromise(
    Effect.acquireUseRelease(
      createBetterSqlite3(),
      (db) =>
        Effect.sync(() => {
          initGeoPackage(db)
          for (const layer of layers) {
            writeFeatureLayer(db, {
              name: layer.name,
              columns: layer.columns.map((name): GpkgColumn => ({ name, type: "TEXT" })),
              rows: layer.rows.map((row) => ({ geometry: row.geometry ?? null, values: row.values }))
            })
          }
          if (groups !== null) {
            writeAttributeTable(db, {
              name: "groups",
              columns: [
                { name: "ref", type: "TEXT" },
                { name: "name", type: "TEXT" }
              ],
              rows: groups.map(([ref, name]) => [ref, name])
            })
          }
          return db.serialize()
        }),
      (db) => Effect.sync(() => db.close())
    )
  )

const parse = async (bytes: Uint8Array) => {
  const exit = await h.runtime.runPromiseExit(parseGeoPackage(bytes))
  return exit
}

describe("layer names", () => {
  it.each([
    ["level-3-DS", { depth: 3, name: "DS" }],
    ["level-3-District/Zone de santé - DS", { depth: 3, name: "District/Zone de santé - DS" }],
    ["level-12-a-b-c", { depth: 12, name: "a-b-c" }],
    ["level-x-DS", undefined],
    ["level-3", undefined],
    ["layer_styles", undefined]
  ])("%s", (name, expected) => {
    expect(parseLevelName(name)).toEqual(expected)
  })
})

describe("reading features", () => {
  it("absent columns stay undefined; present ones map null/blank as the engine documents", async () => {
    const bytes = await gpkg(
      [
        { name: "level-1-Country", columns: ["ref", "name"], rows: [{ values: ["c", "Country"] }] },
        {
          name: "level-2-Region - with dash",
          columns: ["ref", "name", "parent_ref", "group_refs", "code", "opening_date", "closed_date"],
          rows: [
            { values: [" r1 ", " Region 1 ", "c", " g1 ,g2,, ", " X1 ", "2020-01-01", null], geometry: { type: "Point", coordinates: [1, 2] } },
            {
              values: ["r2", "Region 2", null, null, null, "", null],
              geometry: {
                type: "Polygon",
                coordinates: [
                  [
                    [0, 0],
                    [1, 0],
                    [1, 1],
                    [0, 0]
                  ]
                ]
              }
            },
            { values: ["r3", "Region 3", " ", "", "", null, null] }
          ]
        }
      ],
      [
        ["g1", "G 1"],
        ["g2", "G 2"]
      ]
    )
    const exit = await parse(bytes)
    if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
    const { input, layers } = exit.value
    expect(layers.map((layer) => [layer.table, layer.type, layer.features, layer.geometryColumn])).toEqual([
      ["level-1-Country", { name: "Country", depth: 1 }, 1, "geom"],
      ["level-2-Region - with dash", { name: "Region - with dash", depth: 2 }, 3, "geom"]
    ])
    expect(input.groups).toEqual([
      { ref: "g1", name: "G 1" },
      { ref: "g2", name: "G 2" }
    ])
    expect(input.units).toEqual([
      { ref: "c", name: "Country", type: { name: "Country", depth: 1 } },
      {
        ref: "r1",
        name: "Region 1",
        type: { name: "Region - with dash", depth: 2 },
        parentRef: "c",
        groupRefs: ["g1", "g2", "", ""],
        code: " X1 ",
        openingDate: "2020-01-01",
        closedDate: null,
        geometry: { type: "Point", coordinates: [1, 2] }
      },
      {
        ref: "r2",
        name: "Region 2",
        type: { name: "Region - with dash", depth: 2 },
        parentRef: null,
        groupRefs: null,
        code: null,
        openingDate: "",
        closedDate: null,
        geometry: {
          type: "Polygon",
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0]
            ]
          ]
        }
      },
      {
        ref: "r3",
        name: "Region 3",
        type: { name: "Region - with dash", depth: 2 },
        parentRef: " ",
        groupRefs: null,
        code: "",
        openingDate: null,
        closedDate: null
      }
    ])
  })

  it("reports every problem at once, with IASO's messages and [table, fid, column] paths", async () => {
    const bytes = await gpkg([
      { name: "level-1-A", columns: ["ref", "name", "parent_ref"], rows: [{ values: [null, " ", null] }, { values: ["ok", "Ok", null] }] },
      { name: "level-2-B", columns: ["name"], rows: [{ values: ["B"] }] },
      { name: "level-x-C", columns: ["ref", "name"], rows: [] },
      {
        name: "level-3-D",
        columns: ["ref", "name"],
        rows: [
          {
            values: ["d", "D"],
            geometry: {
              type: "LineString",
              coordinates: [
                [0, 0],
                [1, 1]
              ]
            }
          }
        ]
      }
    ])
    const error = validationFailure(await parse(bytes))
    expect(error.issues).toEqual([
      { path: ["level-1-A", 1, "ref"], message: "Column 'ref' cannot be null" },
      { path: ["level-1-A", 1, "name"], message: "Column 'name' cannot be empty or blank" },
      { path: ["level-2-B", "ref"], message: "Column 'ref' is required but missing from GPKG" },
      { path: ["level-x-C"], message: "Layer 'level-x-C' must be named level-<depth>-<type name> with an integer depth" },
      { path: ["level-3-D", 1, "geom"], message: "Unhandled geom type linestring" }
    ])
    expect(error.message).toBe(error.issues.map((issue) => issue.message).join("\n"))
  })

  it("a number in a required column is refused as Python would print its type", async () => {
    const db = await Effect.runPromise(createBetterSqlite3())
    initGeoPackage(db)
    writeFeatureLayer(db, {
      name: "level-1-A",
      columns: [
        { name: "ref", type: "INTEGER" },
        { name: "name", type: "REAL" }
      ],
      rows: [{ geometry: null, values: [42, 1.5] }]
    })
    writeAttributeTable(db, {
      name: "groups",
      columns: [
        { name: "ref", type: "TEXT" },
        { name: "name", type: "TEXT" }
      ],
      rows: []
    })
    const bytes = db.serialize()
    db.close()
    const error = validationFailure(await parse(bytes))
    expect(error.issues.map((issue) => issue.message)).toEqual([
      "Column 'ref' must be a string, got <class 'int'>",
      "Column 'name' must be a string, got <class 'float'>"
    ])
  })

  it("the groups table is mandatory", async () => {
    const error = validationFailure(await parse(await gpkg([{ name: "level-1-A", columns: ["ref", "name"], rows: [] }], null)))
    expect(error.message).toBe("not a GeoPackage: it has no groups table (ref, name), which IASO requires even when empty")
  })
})

describe("errors of the engine reach the caller and nothing is kept", () => {
  it("a bad date is IASO's 'Error parsing' message; the blob is removed again", async () => {
    const bytes = await gpkg([{ name: "level-1-A", columns: ["ref", "name", "opening_date"], rows: [{ values: ["a", "Alpha", "2020-13-45"] }] }])
    const { actor, source } = await h.freshSource("bad date")
    const error = validationFailure(await h.exitOf(actor, importGeoPackage(bytes, { dataSourceId: source.id })))
    expect(error.message).toBe("Error parsing opening_date for Alpha: 2020-13-45")
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", new Uint8Array(bytes).buffer))
    expect(await h.hasBlob(actor, `sha256/${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`)).toBe(false)
  })

  it("an actor without iaso_sources is Forbidden before anything is read", async () => {
    const { source, setup } = await h.freshSource("forbidden")
    const reader = Actor.user({ accountId: setup.account.id, permissions: ["iaso_org_units_read"] })
    const exit = await h.exitOf(reader, importGeoPackage(new Uint8Array(0), { dataSourceId: source.id }))
    expect(failureTag(exit)).toBe("Forbidden")
  })
})

const DAMAGED = "fixtures/iaso/iaso/tests/fixtures/gpkg/minimal_simplified.gpkg"
const damagedAvailable = sharedAvailable(DAMAGED)

describe.skipIf(!damagedAvailable)(`reading damaged files is total ${damagedAvailable ? "" : skipMessage(DAMAGED)}`, () => {
  it("60 randomly damaged copies of a real GeoPackage give a pyramid or a ValidationError, never a defect (seed 7)", async () => {
    const original = readSharedBytes(DAMAGED)
    let seed = 7
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    const outcomes = { parsed: 0, refused: 0 }
    for (let i = 0; i < 60; i++) {
      const damaged = original.slice()
      for (let c = 0; c < 1 + Math.floor(next() * 20); c++) damaged[100 + Math.floor(next() * (damaged.byteLength - 100))] = Math.floor(next() * 256)
      const exit = await parse(damaged)
      if (Exit.isSuccess(exit)) outcomes.parsed += 1
      else {
        expect(validationFailure(exit)._tag).toBe("ValidationError")
        outcomes.refused += 1
      }
    }
    expect(outcomes.parsed + outcomes.refused).toBe(60)
  })
})
