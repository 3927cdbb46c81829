/**
 * Measures the materialised-path encoding (DESIGN.md: "measure a compact id encoding against hex on
 * the 1M pyramid and keep whichever wins"): the same pyramid's paths written with each id as its
 * canonical UUID text (what the SDK stores: the path's segments are the ids themselves), as 32 hex
 * digits, and as 22 base-62 digits. For each: the path index's size and a district's descendants
 * (ids and names through the covering path index), on SQLite and, when DATABASE_URL is set, on
 * PostgreSQL.
 *
 *   node bench/path-encoding.ts [--size 1M|50k|1k]
 */
import Database from "better-sqlite3"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"
import { generatePyramid, type PyramidSize } from "./pyramid.ts"

const args = process.argv.slice(2)
const size = (args.includes("--size") ? args[args.indexOf("--size") + 1] : "1M") as PyramidSize
const databaseUrl = process.env["DATABASE_URL"] ?? ""
const units = [...generatePyramid(size)]

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
/** The 128-bit id in base 62, fixed width (22 digits), so the encoding keeps the ids' order. */
const base62 = (uuid: string): string => {
  let value = BigInt(`0x${uuid.replace(/-/g, "")}`)
  let out = ""
  for (let i = 0; i < 22; i++) {
    out = BASE62[Number(value % 62n)] + out
    value /= 62n
  }
  return out
}
const encodings: ReadonlyArray<{ readonly name: string; readonly segment: (id: string) => string }> = [
  { name: "uuid text (36)", segment: (id) => id },
  { name: "hex (32)", segment: (id) => id.replace(/-/g, "") },
  { name: "base-62 (22)", segment: base62 }
]

const median = (values: Array<number>) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
const district = units.find((unit) => unit.depth === 3)
if (district === undefined) throw new Error("no district")
const descendantsOf = units.filter((unit) => unit.path.startsWith(district.path) && unit.id !== district.id).length

const dir = mkdtempSync(join(tmpdir(), "iaso-paths-"))
const results: Array<Record<string, string>> = []
for (const encoding of encodings) {
  const pathOf = (path: string) =>
    path
      .split("/")
      .filter((part) => part !== "")
      .map((part) => `${encoding.segment(part)}/`)
      .join("")
  const rows = units.map((unit) => ({ id: unit.id, path: pathOf(unit.path), name: unit.name }))
  const prefix = pathOf(district.path)
  const upper = `${prefix.slice(0, -1)}0`

  // SQLite: the table alone, then with the covering path index; the file grows by the index's pages.
  const file = join(dir, `${encoding.name.replace(/\W+/g, "_")}.sqlite`)
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.exec(`CREATE TABLE t (id TEXT PRIMARY KEY, path TEXT NOT NULL, name TEXT NOT NULL)`)
  const insert = db.prepare("INSERT INTO t VALUES (?, ?, ?)")
  db.transaction(() => {
    for (const row of rows) insert.run(row.id, row.path, row.name)
  })()
  db.pragma("wal_checkpoint(TRUNCATE)")
  const before = statSync(file).size
  let start = performance.now()
  db.exec("CREATE INDEX t_path ON t (path, id, name)")
  const buildMs = performance.now() - start
  db.pragma("wal_checkpoint(TRUNCATE)")
  const indexBytes = statSync(file).size - before
  const select = db.prepare("SELECT id, name FROM t WHERE path >= ? AND path < ? AND path <> ?")
  const times: Array<number> = []
  let found = 0
  for (let i = 0; i < 101; i++) {
    start = performance.now()
    found = select.all(prefix, upper, prefix).length
    times.push(performance.now() - start)
  }
  db.close()
  if (found !== descendantsOf) throw new Error(`${encoding.name}: ${found} descendants, expected ${descendantsOf}`)
  const row: Record<string, string> = {
    encoding: encoding.name,
    "path length (facility)": String(rows[rows.length - 1]?.path.length ?? 0),
    "SQLite index": `${(indexBytes / 2 ** 20).toFixed(1)} MB`,
    "SQLite build": `${buildMs.toFixed(0)} ms`,
    "SQLite descendants": `${median(times).toFixed(2)} ms`
  }

  if (databaseUrl !== "") {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    const table = `iaso_paths_${process.pid}`
    try {
      await client.query(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, path TEXT COLLATE "C" NOT NULL, name TEXT NOT NULL)`)
      for (let i = 0; i < rows.length; i += 10_000) {
        const chunk = rows.slice(i, i + 10_000)
        await client.query(`INSERT INTO ${table} SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`, [
          chunk.map((r) => r.id),
          chunk.map((r) => r.path),
          chunk.map((r) => r.name)
        ])
      }
      start = performance.now()
      await client.query(`CREATE INDEX ${table}_path ON ${table} (path) INCLUDE (id, name)`)
      const pgBuild = performance.now() - start
      await client.query(`VACUUM ANALYZE ${table}`)
      const size = await client.query(`SELECT pg_relation_size('${table}_path') AS bytes`)
      const pgTimes: Array<number> = []
      for (let i = 0; i < 101; i++) {
        start = performance.now()
        const result = await client.query({ text: `SELECT id, name FROM ${table} WHERE path >= $1 AND path < $2 AND path <> $1`, values: [prefix, upper] })
        pgTimes.push(performance.now() - start)
        if (result.rows.length !== descendantsOf) throw new Error(`${encoding.name}: PostgreSQL found ${result.rows.length} descendants`)
      }
      row["PostgreSQL index"] = `${(Number((size.rows[0] as { bytes: string }).bytes) / 2 ** 20).toFixed(1)} MB`
      row["PostgreSQL build"] = `${pgBuild.toFixed(0)} ms`
      row["PostgreSQL descendants"] = `${median(pgTimes).toFixed(2)} ms`
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`)
      await client.end()
    }
  }
  results.push(row)
}
rmSync(dir, { recursive: true, force: true })
console.log(`pyramid ${size}: ${units.length} units; a district with ${descendantsOf} descendants`)
console.table(results)
