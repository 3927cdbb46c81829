/**
 * Hostile GeoPackages (an upload is an SQLite database, i.e. a program): views that never end,
 * objects that are not tables, generated columns, too many rows or positions, slow reads, names
 * the engine would refuse, parent chains thousands deep. Each is refused quickly with a typed
 * error naming the problem (or ignored when IASO's format does not read it), on both drivers.
 */
import { Cause, Effect, Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { walkHierarchy } from "@iaso/core/pyramid"
import { GPKG_LIMITS, type GeoPackageLimits, GpkgDriver, importGeoPackage, parseGeoPackage } from "@iaso/geopackage"
import { BetterSqlite3Gpkg } from "@iaso/geopackage/node"
import { makeHarness, validationFailure } from "./harness.ts"
import { chain, DRIVERS, endlessView, type Feature, gpkgFile, measure, register, removeFiles, writeLayer } from "./hostile-files.ts"

afterAll(removeFiles)

const ONE_UNIT = [{ ref: "a", name: "Alpha" }]
const square = (size: number) => ({
  type: "Polygon" as const,
  coordinates: [[...Array.from({ length: size - 1 }, (_, i) => [Math.cos((2 * Math.PI * i) / (size - 1)), Math.sin((2 * Math.PI * i) / (size - 1))]), [1, 0]]]
})

describe.each(DRIVERS)("%s", (_driver, layer) => {
  const h = makeHarness(layer)
  afterAll(() => h.dispose())

  /** Imports `bytes` into a fresh source: the exit, the time and the memory it took. */
  const importing = async (bytes: Uint8Array, limits?: Partial<GeoPackageLimits>) => {
    const { actor, source } = await h.freshSource("hostile")
    return measure(() => h.exitOf(actor, importGeoPackage(bytes, { dataSourceId: source.id, ...(limits === undefined ? {} : { limits }) })))
  }
  const parsing = (bytes: Uint8Array, limits?: Partial<GeoPackageLimits>) => measure(() => h.runtime.runPromiseExit(parseGeoPackage(bytes, limits)))

  describe("only tables are read", () => {
    it("a level-* layer that is an endless recursive view is refused without being read: < 1 s, < 100 MB", async () => {
      const bytes = gpkgFile((db) => {
        writeLayer(db, "level-1-A", ONE_UNIT)
        db.exec(endlessView("level-2-Endless"))
        register(db, "level-2-Endless")
      })
      const { value, ms, rssGrowthMb } = await importing(bytes)
      expect(validationFailure(value).issues).toEqual([
        { path: ["level-2-Endless"], message: "Layer 'level-2-Endless' is a view, not a table: only tables are read" }
      ])
      expect(ms).toBeLessThan(1000)
      expect(rssGrowthMb).toBeLessThan(100)
    })

    it("a groups that is an endless recursive view is refused as 'not a GeoPackage': < 1 s, < 100 MB", async () => {
      const bytes = gpkgFile(
        (db) => {
          writeLayer(db, "level-1-A", ONE_UNIT)
          db.exec(endlessView("groups"))
          register(db, "groups", "attributes")
        },
        { groups: false }
      )
      const { value, ms, rssGrowthMb } = await importing(bytes)
      expect(validationFailure(value).message).toBe("not a GeoPackage: its groups is a view, not a table: only tables are read")
      expect(ms).toBeLessThan(1000)
      expect(rssGrowthMb).toBeLessThan(100)
    })

    it("a gpkg_contents that is an endless recursive view is refused as 'not a GeoPackage': < 1 s", async () => {
      const bytes = gpkgFile((db) => {
        db.exec("ALTER TABLE gpkg_contents RENAME TO real_contents")
        db.exec(
          "CREATE VIEW gpkg_contents AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT 'level-1-' || x AS table_name, 'features' AS data_type FROM r"
        )
      })
      const { value, ms } = await importing(bytes)
      expect(validationFailure(value).message).toBe("not a GeoPackage: its gpkg_contents is a view, not a table: only tables are read")
      expect(ms).toBeLessThan(1000)
    })

    it("views, triggers and virtual tables gpkg_contents lists under other names are never read: the import succeeds", async () => {
      const bytes = gpkgFile((db) => {
        writeLayer(db, "level-1-A", ONE_UNIT)
        db.exec(endlessView("statistics"))
        register(db, "statistics", "attributes")
        db.exec(`CREATE TRIGGER "audit" AFTER INSERT ON "level-1-A" BEGIN INSERT INTO "level-1-A" (ref, name) VALUES ('again', 'Again'); END`)
        register(db, "audit")
        db.exec("CREATE VIRTUAL TABLE spatial_index USING rtree(id, minx, maxx, miny, maxy)")
        register(db, "spatial_index")
      })
      const { value, ms } = await importing(bytes)
      if (!Exit.isSuccess(value)) throw new Error("expected the import to succeed")
      expect([value.value.created, value.value.layers.map((l) => l.table)]).toEqual([1, ["level-1-A"]])
      expect(ms).toBeLessThan(1000)
    })

    it("level-* names gpkg_contents gives to a trigger and to a virtual table are issues, each naming its layer", async () => {
      const bytes = gpkgFile((db) => {
        writeLayer(db, "level-1-A", ONE_UNIT)
        db.exec(`CREATE TRIGGER "level-2-Trigger" AFTER INSERT ON "level-1-A" BEGIN SELECT 1; END`)
        register(db, "level-2-Trigger")
        db.exec(`CREATE VIRTUAL TABLE "level-3-Index" USING rtree(id, minx, maxx, miny, maxy)`)
        register(db, "level-3-Index")
      })
      expect(validationFailure((await importing(bytes)).value).issues).toEqual([
        { path: ["level-2-Trigger"], message: "Layer 'level-2-Trigger' is listed in gpkg_contents but has no table" },
        { path: ["level-3-Index"], message: "Layer 'level-3-Index' is a virtual, not a table: only tables are read" }
      ])
    })

    it("a column computed when read (a generated column of 10 MB per row) is refused without being computed: < 1 s", async () => {
      const bytes = gpkgFile((db) => {
        db.exec(`CREATE TABLE "level-1-A" (fid INTEGER PRIMARY KEY, ref TEXT, name TEXT GENERATED ALWAYS AS (printf('%.10000000c', 'x')) VIRTUAL)`)
        db.exec(`INSERT INTO "level-1-A" (ref) VALUES ('a'), ('b')`)
        register(db, "level-1-A", "attributes")
      })
      const { value, ms, rssGrowthMb } = await importing(bytes)
      expect(validationFailure(value).issues).toEqual([
        { path: ["level-1-A", "name"], message: "Column 'name' of 'level-1-A' is a generated column computed when read: only stored values are read" }
      ])
      expect(ms).toBeLessThan(1000)
      expect(rssGrowthMb).toBeLessThan(100)
    })

    it("an uploaded file is opened read-only, with trusted_schema off", async () => {
      const bytes = gpkgFile((db) => writeLayer(db, "level-1-A", ONE_UNIT))
      const outcome = await h.runtime.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const driver = yield* GpkgDriver
            const db = yield* Effect.acquireRelease(driver.open(bytes), (opened) => Effect.sync(() => opened.close()))
            const trusted = [...db.rows("PRAGMA trusted_schema")].map((row) => Object.values(row))
            const write = Effect.try(() => db.exec(`DELETE FROM "level-1-A"`))
            return { trusted, write: yield* Effect.flip(write) }
          })
        )
      )
      expect(outcome.trusted).toEqual([[0]])
      expect(String(outcome.write.cause)).toMatch(/readonly database/)
    })
  })

  describe("limits", () => {
    it("a layer with more rows than maxRowsPerTable is refused naming the limit, after reading one row more", async () => {
      const bytes = gpkgFile((db) =>
        writeLayer(
          db,
          "level-1-A",
          Array.from({ length: 1001 }, (_, i) => ({ ref: `u${i}`, name: `Unit ${i}` }))
        )
      )
      expect(validationFailure((await parsing(bytes, { maxRowsPerTable: 1000 })).value).issues).toEqual([
        {
          path: ["level-1-A"],
          message: "layer 'level-1-A' has at least 1001 rows: more than the 1000 rows a table may have (limit `maxRowsPerTable`)"
        }
      ])
      expect(Exit.isSuccess((await parsing(bytes, { maxRowsPerTable: 1001 })).value)).toBe(true)
    })

    it("a groups table with more rows than maxRowsPerTable is refused naming the limit", async () => {
      const bytes = gpkgFile((db) =>
        db.exec("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 11) INSERT INTO groups (ref, name) SELECT 'g' || x, 'Group' FROM n")
      )
      expect(validationFailure((await parsing(bytes, { maxRowsPerTable: 10 })).value).message).toBe(
        "the groups table has at least 11 rows: more than the 10 rows a table may have (limit `maxRowsPerTable`)"
      )
    })

    it("geometries with more positions than maxVertices together are refused at the feature that crosses it", async () => {
      const bytes = gpkgFile((db) =>
        writeLayer(db, "level-1-A", [
          { ref: "a", name: "A", geometry: square(600) },
          { ref: "b", name: "B", geometry: square(600) }
        ])
      )
      expect(validationFailure((await parsing(bytes, { maxVertices: 1000 })).value).issues).toEqual([
        {
          path: ["level-1-A", 2, "geom"],
          message:
            "the geometries of the file reach 1200 positions at fid 2 (ref \"b\") of 'level-1-A': more than the 1000 positions a GeoPackage may have (limit `maxVertices`)"
        }
      ])
      expect(Exit.isSuccess((await parsing(bytes, { maxVertices: 1200 })).value)).toBe(true)
    })

    it("a long read yields between chunks of rows: a 50 ms timeout interrupts a read of 300,000 rows in < 1 s", async () => {
      const bytes = gpkgFile((db) => {
        writeLayer(db, "level-1-A", [])
        db.exec(
          `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000) INSERT INTO "level-1-A" (ref, name) SELECT 'u' || x, 'Unit' FROM n`
        )
      })
      const { value, ms } = await measure(() => h.runtime.runPromiseExit(Effect.timeout(parseGeoPackage(bytes), "50 millis")))
      expect(Exit.isFailure(value) && Cause.hasFails(value.cause) && Cause.isTimeoutError(Cause.squash(value.cause))).toBe(true)
      expect(ms).toBeLessThan(1000)
    })

    it("a read over its time budget stops between two rows with an error naming timeBudgetMs", async () => {
      const bytes = gpkgFile((db) => writeLayer(db, "level-1-A", chain(1)))
      const spent = validationFailure((await parsing(bytes, { timeBudgetMs: 0 })).value)
      expect(spent.issues.map((issue) => issue.path)).toEqual([[]])
      expect(spent.message).toMatch(
        /^reading the kind of 'gpkg_contents' had taken \d+ ms: more than the 0 milliseconds a GeoPackage may take to read \(limit `timeBudgetMs`\)$/
      )
    })
  })

  describe("values the engine would refuse are issues naming the column and the feature", () => {
    it("a 256-character name (listed before its child) is a ValidationError at [layer, fid, 'name'], not a NotFound; 255 characters import", async () => {
      const file = (name: string) =>
        gpkgFile((db) =>
          writeLayer(db, "level-1-A", [
            { ref: "child", name: "Child", parentRef: "long" },
            { ref: "long", name }
          ])
        )
      const error = validationFailure((await importing(file("x".repeat(256)))).value)
      expect(error.issues).toEqual([
        { path: ["level-1-A", 2, "name"], message: "Column 'name' of fid 2 (ref \"long\") of 'level-1-A': Expected a value with a length of at most 255" }
      ])
      expect(Exit.isSuccess((await importing(file("x".repeat(255)))).value)).toBe(true)
    })

    it("NUL characters in a code, a ref and a group name, and a type name over 255 characters, are issues each naming where", async () => {
      const bytes = gpkgFile((db) => {
        writeLayer(db, "level-1-A", [
          { ref: "a", name: "A", code: "X\u0000" },
          { ref: "b\u0000", name: "B" }
        ])
        writeLayer(db, `level-2-${"T".repeat(256)}`, [])
        db.exec("INSERT INTO groups (ref, name) VALUES ('g', 'G' || char(0))")
      })
      expect(validationFailure((await importing(bytes)).value).issues).toEqual([
        { path: ["groups", 1, "name"], message: "Column 'name' of fid 1 (ref \"g\") of 'groups': must not contain the NUL character (U+0000)" },
        { path: ["level-1-A", 1, "code"], message: "Column 'code' of fid 1 (ref \"a\") of 'level-1-A': must not contain the NUL character (U+0000)" },
        { path: ["level-1-A", 2, "ref"], message: "Column 'ref' of fid 2 of 'level-1-A': must not contain the NUL character (U+0000)" },
        { path: [`level-2-${"T".repeat(256)}`], message: `The type name of layer 'level-2-${"T".repeat(256)}': Expected a value with a length of at most 255` }
      ])
    })
  })

  describe("depth of parent chains", () => {
    it("a chain 10,000 deep is refused in < 1 s naming maxDepth and the first unit below it", async () => {
      const { value, ms } = await importing(gpkgFile((db) => writeLayer(db, "level-1-A", chain(10_000))))
      expect(validationFailure(value).issues).toEqual([
        {
          path: ["level-1-A", 33, "parent_ref"],
          message:
            "the chain of parents of fid 33 (ref \"u32\") of 'level-1-A' is 33 levels deep in the file: more than the 32 levels a chain of parents may have within a GeoPackage (limit `maxDepth`)"
        }
      ])
      expect(ms).toBeLessThan(1000)
    })

    it("a loop of parents beside a chain 10,000 deep the reader lets through is refused by the import engine, naming the first unit whose parents loop", async () => {
      const units = [...chain(10_000), { ref: "x", name: "X", parentRef: "y" }, { ref: "y", name: "Y", parentRef: "x" }]
      const { value, ms } = await importing(
        gpkgFile((db) => writeLayer(db, "level-1-A", [{ ref: "z", name: "Z", parentRef: "x" }, ...units])),
        { maxDepth: 10_000 }
      )
      expect(validationFailure(value).message).toBe('the parents of Z form a loop\n  at ["units"]')
      expect(ms).toBeLessThan(5000)
    })

    it("a chain maxDepth (32) deep imports its 32 units", async () => {
      const { value } = await importing(gpkgFile((db) => writeLayer(db, "level-1-A", chain(GPKG_LIMITS.maxDepth))))
      if (!Exit.isSuccess(value)) throw new Error("expected the import to succeed")
      expect(value.value.created).toBe(32)
    })
  })
})

describe("linear in depth", () => {
  const h = makeHarness(BetterSqlite3Gpkg.layer)
  afterAll(() => h.dispose())

  it("reading a chain 10,000 deep (maxDepth raised) takes < 5 s, less than 10 times a chain 2,000 deep and less than 3 times 10,000 units without parents", async () => {
    const file = (features: ReadonlyArray<Feature>) => gpkgFile((db) => writeLayer(db, "level-1-A", features))
    const files = {
      small: file(chain(2_000)),
      large: file(chain(10_000)),
      flat: file(Array.from({ length: 10_000 }, (_, i) => ({ ref: `u${i}`, name: `Unit ${i}` })))
    }
    // The fastest of five interleaved runs of each, so that the three meet the same load and heap.
    const fastest = { small: Number.POSITIVE_INFINITY, large: Number.POSITIVE_INFINITY, flat: Number.POSITIVE_INFINITY }
    for (let run = 0; run < 5; run++) {
      for (const key of ["small", "large", "flat"] as const) {
        const { value, ms } = await measure(() => h.runtime.runPromiseExit(parseGeoPackage(files[key], { maxDepth: 10_000 })))
        expect(Exit.isSuccess(value)).toBe(true)
        fastest[key] = Math.min(fastest[key], ms)
      }
    }
    expect(fastest.large).toBeLessThan(5000)
    expect(fastest.large / fastest.small).toBeLessThan(10)
    expect(fastest.large / fastest.flat).toBeLessThan(3)
  })

  it("the hierarchy walk the reader and the import engine share visits a chain 100,000 deep once per unit, parents first, in < 1 s", () => {
    const parentOf = new Map<string, string | undefined>(Array.from({ length: 100_000 }, (_, i) => [`u${i}`, i === 0 ? undefined : `u${i - 1}`]))
    const started = performance.now()
    const visited: Array<string> = []
    let parentsFirst = true
    const loops = walkHierarchy(parentOf, (id, parent) => {
      if (parent !== visited[visited.length - 1]) parentsFirst = false
      visited.push(id)
    })
    expect([loops, visited.length, visited[0], visited[99_999], parentsFirst]).toEqual([[], 100_000, "u0", "u99999", true])
    expect(performance.now() - started).toBeLessThan(1000)
  })
})
