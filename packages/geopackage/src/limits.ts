/**
 * The limits a GeoPackage read is held to, and the bounded reader every read goes through. A
 * GeoPackage is an SQLite database uploaded by people the server does not control, so the reader
 * runs no SQL of the file (only tables are read, never views), and bounds what the file can make
 * it spend: rows per table, geometry positions, depth of parent chains, and time.
 *
 * {@link BoundedReader.rows} steps one statement a row at a time and checks the row count and the
 * elapsed time before each row; it yields to other fibers every {@link ROWS_PER_CHUNK} rows, so a
 * long read neither holds the event loop nor ignores an interruption. Neither better-sqlite3 nor
 * sql.js can interrupt a statement, hence reads that never need one step to do unbounded work: no
 * `ORDER BY`, `WHERE`, join or aggregate on a table of the file.
 *
 * Exceeding a limit is a `ValidationError` whose message names what was found, the limit's value
 * and its name (see {@link limitExceeded}).
 * @module
 */
import { Effect } from "effect"
import { MAX_HIERARCHY_DEPTH, ValidationError } from "@iaso/core"
import type { GpkgDatabase, SqlRow, SqlValue } from "./database.ts"

/** Maxima (inclusive) for what reading one GeoPackage may cost. */
export interface GeoPackageLimits {
  /** Rows read from one table: a `level-*` layer, `groups`, or a metadata table. */
  readonly maxRowsPerTable: number
  /** Positions (vertices) of every geometry of the file together, after decoding. */
  readonly maxVertices: number
  /**
   * Levels of a parent chain within the file (a unit whose parent is not in the file is at level
   * 1). Each unit stores the path of its ancestors, so an import writes as many path entries as
   * the sum of its units' depths: a chain of 10,000 units writes 50 million.
   */
  readonly maxDepth: number
  /** Milliseconds the whole read may take (opening, every statement, decoding and reprojection). */
  readonly timeBudgetMs: number
}

/**
 * The default limits: far above real pyramids (IASO's fixtures have at most 136 units, 5 levels
 * and 11,383 positions), and low enough that a file over them is refused within about a minute
 * and some hundreds of megabytes. Measured on two busy cores: a table over 1,000,000 rows is
 * refused after 3.5 to 9 s (better-sqlite3) or 7 to 11 s (sql.js); 2,000,000 positions are read
 * in 0.7 s and kept as 144 MB of GeoJSON.
 */
export const GPKG_LIMITS: GeoPackageLimits = Object.freeze({
  maxRowsPerTable: 1_000_000,
  maxVertices: 10_000_000,
  maxDepth: MAX_HIERARCHY_DEPTH,
  timeBudgetMs: 60_000
})

/**
 * The error of an exceeded limit at `path`: what was found, then the limit's value, what it bounds
 * and its name, as in "layer 'level-1-A' has at least 1000001 rows: more than the 1000000 rows a
 * table may have (limit `maxRowsPerTable`)".
 */
export const limitExceeded = (
  path: ReadonlyArray<string | number>,
  found: string,
  limits: GeoPackageLimits,
  limit: keyof GeoPackageLimits,
  bounds: string
): ValidationError => {
  const message = `${found}: more than the ${limits[limit]} ${bounds} (limit \`${limit}\`)`
  return new ValidationError({ message, issues: [{ path: [...path], message }] })
}

/** Rows read between two yields to other fibers. */
export const ROWS_PER_CHUNK = 1_000

/** The clock of the time budget (milliseconds, monotonic: `performance` exists in Node and browsers). */
export const now = (): number => performance.now()

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** A driver error while reading: the file is not a usable GeoPackage. */
export const notAGeoPackage = (reason: string): ValidationError => ValidationError.at([], `not a GeoPackage: ${reason}`)

/** What one row's handler answers: `undefined` to go on, or the error that stops the read. */
export type RowOutcome = ValidationError | undefined

/** One statement over one table of the file. */
export interface TableRead {
  /** The table, as messages name it: "layer 'level-1-A'", "the groups table"... */
  readonly what: string
  /** Where the table is in issue paths (`[]` for metadata). */
  readonly path: ReadonlyArray<string>
  readonly sql: string
  readonly params?: ReadonlyArray<SqlValue>
}

/**
 * One read of one opened GeoPackage under {@link GeoPackageLimits}: the clock starts when it is
 * made, and the count of positions runs over the whole read.
 */
export class BoundedReader {
  readonly db: GpkgDatabase
  readonly limits: GeoPackageLimits
  private readonly started: number
  private vertices = 0

  constructor(db: GpkgDatabase, limits: GeoPackageLimits, started: number = now()) {
    this.db = db
    this.limits = limits
    this.started = started
  }

  /** The time-budget error once the budget is spent (`what` says what was being read), else `undefined`. */
  checkTime(what: string): RowOutcome {
    const elapsed = now() - this.started
    return elapsed > this.limits.timeBudgetMs
      ? limitExceeded([], `reading ${what} had taken ${Math.ceil(elapsed)} ms`, this.limits, "timeBudgetMs", "milliseconds a GeoPackage may take to read")
      : undefined
  }

  /**
   * Counts the positions of one geometry, that of the feature `feature()` names, at `path`; the
   * error once the file's total exceeds `maxVertices`.
   */
  spendVertices(count: number, feature: () => string, path: ReadonlyArray<string | number>): RowOutcome {
    this.vertices += count
    return this.vertices > this.limits.maxVertices
      ? limitExceeded(
          path,
          `the geometries of the file reach ${this.vertices} positions at ${feature()}`,
          this.limits,
          "maxVertices",
          "positions a GeoPackage may have"
        )
      : undefined
  }

  /**
   * Runs one statement over one table and hands each row to `onRow` with its 0-based index, in
   * order, until the rows run out or `onRow` answers an error. Fails when the table has more than
   * `maxRowsPerTable` rows, when the time budget is spent, or when the driver fails ("not a
   * GeoPackage: ..."). Succeeds with the number of rows read. `afterChunk` runs after each full
   * chunk of {@link ROWS_PER_CHUNK} rows, the statement still open (e.g. to hand the rows read
   * on): its failure stops the read.
   */
  rows<E = never, R = never>(
    read: TableRead,
    onRow: (row: SqlRow, index: number) => RowOutcome,
    afterChunk: Effect.Effect<void, E, R> = Effect.yieldNow
  ): Effect.Effect<number, ValidationError | E, R> {
    return Effect.acquireUseRelease(
      Effect.try({ try: () => this.db.rows(read.sql, read.params), catch: (error) => notAGeoPackage(`reading ${read.what}: ${errorText(error)}`) }),
      (iterator) => {
        const chunkFrom = (start: number) => this.chunk(read, iterator, start, onRow)
        return Effect.gen(function* () {
          let index = 0
          for (;;) {
            const chunk = chunkFrom(index)
            if (chunk instanceof ValidationError) return yield* chunk
            if (chunk.done) return chunk.read
            index = chunk.read
            yield* afterChunk
          }
        })
      },
      (iterator) => Effect.sync(() => iterator.return?.())
    )
  }

  /**
   * Reads up to {@link ROWS_PER_CHUNK} rows after the first `start`: the number of rows read so
   * far and whether they ran out, or the error.
   */
  private chunk(
    read: TableRead,
    iterator: Iterator<SqlRow>,
    start: number,
    onRow: (row: SqlRow, index: number) => RowOutcome
  ): { readonly read: number; readonly done: boolean } | ValidationError {
    for (let index = start; index < start + ROWS_PER_CHUNK; index++) {
      const late = this.checkTime(read.what)
      if (late !== undefined) return late
      let next: IteratorResult<SqlRow>
      try {
        next = iterator.next()
      } catch (error) {
        return notAGeoPackage(`reading ${read.what}: ${errorText(error)}`)
      }
      if (next.done === true) return { read: index, done: true }
      if (index >= this.limits.maxRowsPerTable)
        return limitExceeded(read.path, `${read.what} has at least ${index + 1} rows`, this.limits, "maxRowsPerTable", "rows a table may have")
      const outcome = onRow(next.value, index)
      if (outcome !== undefined) return outcome
    }
    return { read: start + ROWS_PER_CHUNK, done: false }
  }
}
