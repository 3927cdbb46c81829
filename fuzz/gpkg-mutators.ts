/**
 * Mutations of a GeoPackage: besides damaged bytes, a GeoPackage is a database, so a hostile one is
 * a program: views (recursive ones that never end), triggers, a layer table swapped for a view,
 * huge names and geometries, another SRS. Made with better-sqlite3 on a copy of a seed.
 * @module
 */
import { quoteIdentifier } from "@iaso/geopackage"
import Database from "better-sqlite3"
import { byteMutators, type ByteMutator, type Rand } from "./mutate.ts"

/** Runs `f` on a database copy of `bytes` and returns the database's bytes (the seed unchanged when it is not one). */
const withDatabase = (bytes: Uint8Array, f: (db: Database.Database, rand: Rand) => void, rand: Rand): Uint8Array => {
  let db: Database.Database | undefined
  try {
    db = new Database(Buffer.from(bytes))
    f(db, rand)
    return new Uint8Array(db.serialize())
  } catch {
    return bytes
  } finally {
    db?.close()
  }
}

/** The feature tables a seed's `gpkg_contents` names. */
const layers = (db: Database.Database): Array<string> =>
  (db.prepare("SELECT table_name AS name FROM gpkg_contents").all() as Array<{ readonly name: string }>).map((row) => row.name)

/** Mutations of a GeoPackage's bytes and of its database. */
export const gpkgMutators: ReadonlyArray<ByteMutator> = [
  ...byteMutators,
  [
    "layer as a recursive view",
    (bytes, rand) =>
      withDatabase(
        bytes,
        (db) => {
          const table = rand.pick(layers(db))
          db.exec(`ALTER TABLE ${quoteIdentifier(table)} RENAME TO ${quoteIdentifier(`${table}_real`)}`)
          db.exec(
            `CREATE VIEW ${quoteIdentifier(table)} AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM ${quoteIdentifier(`${table}_real`)}, r`
          )
        },
        rand
      )
  ],
  [
    "groups as a recursive view",
    (bytes, rand) =>
      withDatabase(
        bytes,
        (db) => {
          db.exec("DROP TABLE IF EXISTS groups")
          db.exec(
            "CREATE VIEW groups AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n AS id, 'g' || n AS name, 'g' || n AS ref FROM r"
          )
        },
        rand
      )
  ],
  [
    "trigger and huge names",
    (bytes, rand) =>
      withDatabase(
        bytes,
        (db) => {
          const table = rand.pick(layers(db))
          const columns = (db.prepare(`PRAGMA table_info(${quoteIdentifier(table)})`).all() as Array<{ readonly name: string; readonly type: string }>).filter(
            (c) => /text/i.test(c.type)
          )
          db.exec(`CREATE TRIGGER t AFTER UPDATE ON ${quoteIdentifier(table)} BEGIN SELECT 1; END`)
          for (const column of columns)
            db.prepare(`UPDATE ${quoteIdentifier(table)} SET ${quoteIdentifier(column.name)} = ?`).run("x".repeat(rand.pick([256, 100_000])))
        },
        rand
      )
  ],
  [
    "another SRS",
    (bytes, rand) =>
      withDatabase(
        bytes,
        (db) => {
          db.prepare("UPDATE gpkg_geometry_columns SET srs_id = ?").run(rand.pick([32631, 3857, 999999, -1]))
        },
        rand
      )
  ],
  [
    "many rows",
    (bytes, rand) =>
      withDatabase(
        bytes,
        (db) => {
          const table = rand.pick(layers(db))
          db.exec(`CREATE TABLE c(n); WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT 3000) INSERT INTO c SELECT n FROM r`)
          const columns = (db.prepare(`PRAGMA table_info(${quoteIdentifier(table)})`).all() as Array<{ readonly name: string; readonly pk: number }>).filter(
            (c) => c.pk === 0
          )
          const names = columns.map((c) => quoteIdentifier(c.name)).join(", ")
          db.exec(`INSERT INTO ${quoteIdentifier(table)} (${names}) SELECT ${names} FROM ${quoteIdentifier(table)}, c LIMIT 3000`)
        },
        rand
      )
  ]
]
