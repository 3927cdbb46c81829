/**
 * The memory store's indexes (packages/core/src/memory/indexes.ts) never change a result: on
 * random data and random queries (fixed seeds, fixed runs), `query`, `count` and `subtree` of the
 * memory store equal a brute-force scan of an independent copy of the data, outside and inside
 * transactions with uncommitted writes, after rollbacks (also of nested transactions), after
 * moves (`rewritePrefix`), and after indexes are created and dropped on a populated table.
 * The index structures themselves are checked against sorted arrays and filters.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeMemoryDriver, type Migration, type ModelMeta, type Row, type StoreDriver, type StoreScope } from "@iaso/core"
import { matchesAll, runQuery } from "../src/shared/engine.ts"
import type { Condition, OrderBy, Scalar, StoreQuery } from "../src/shared/query.ts"
import { IndexedTable, PathIndex, planIndexes, Postings } from "../src/memory/indexes.ts"
import { prng } from "../src/testing/random.ts"

type Random = ReturnType<typeof prng>
const pick = <A>(random: Random, values: ReadonlyArray<A>): A => {
  const value = values[Math.floor(random() * values.length)]
  if (value === undefined) throw new Error("pick from an empty list")
  return value
}
const chance = (random: Random, p: number) => random() < p

// --- the test models -------------------------------------------------------------------------------

const NODE: ModelMeta = {
  name: "IdxNode",
  scope: "account",
  columns: [
    { name: "id", kind: "text", nullable: false },
    { name: "accountId", kind: "text", nullable: false },
    { name: "version", kind: "integer", nullable: false },
    { name: "createdAt", kind: "integer", nullable: false },
    { name: "updatedAt", kind: "integer", nullable: false },
    { name: "path", kind: "text", nullable: true },
    { name: "depth", kind: "integer", nullable: false },
    { name: "parentId", kind: "text", nullable: true },
    { name: "kind", kind: "text", nullable: true },
    { name: "rank", kind: "integer", nullable: true },
    { name: "flag", kind: "boolean", nullable: true },
    { name: "tag", kind: "text", nullable: true },
    { name: "score", kind: "real", nullable: true }
  ],
  indexes: [
    { name: "idx_node_path", fields: ["path"] },
    { name: "idx_node_parent", fields: ["parentId"] },
    { name: "idx_node_kind", fields: ["accountId", "kind"] },
    { name: "idx_node_rank_flag", fields: ["rank", "flag"] }
  ],
  hierarchy: { path: "path", depth: "depth", parent: "parentId" }
}

const TAG: ModelMeta = {
  name: "IdxTag",
  scope: "global",
  columns: [
    { name: "id", kind: "text", nullable: false },
    { name: "version", kind: "integer", nullable: false },
    { name: "createdAt", kind: "integer", nullable: false },
    { name: "updatedAt", kind: "integer", nullable: false },
    { name: "kind", kind: "text", nullable: true },
    { name: "rank", kind: "integer", nullable: true }
  ],
  indexes: [{ name: "idx_tag_kind", fields: ["kind"] }]
}

const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    id: "0001_idx_models",
    steps: [
      { op: "createModel", model: NODE.name, scope: "account", columns: NODE.columns, hierarchy: { path: "path", depth: "depth", parent: "parentId" } },
      ...NODE.indexes.map((index) => ({ op: "createIndex" as const, model: NODE.name, index })),
      { op: "createModel", model: TAG.name, scope: "global", columns: TAG.columns },
      ...TAG.indexes.map((index) => ({ op: "createIndex" as const, model: TAG.name, index }))
    ]
  }
]

/** A later migration on populated tables: an index on `tag` and `score` appears, the one on `rank`/`flag` goes. */
const REINDEX: Migration = {
  id: "0002_idx_reindex",
  steps: [
    { op: "createIndex", model: NODE.name, index: { name: "idx_node_tag_score", fields: ["tag", "score"] } },
    { op: "dropIndex", model: NODE.name, name: "idx_node_rank_flag" },
    { op: "createIndex", model: TAG.name, index: { name: "idx_tag_rank", fields: ["rank"] } }
  ]
}

const ACCOUNTS = ["acc-a", "acc-b", "acc-c"] as const
const KINDS = ["clinic", "hospital", "district", "Région", "😀"] as const
const TAGS = ["x", "y", "é", "😀z", "\uFFFFw", ""] as const
const SCORES: ReadonlyArray<number> = [0, -0, 1.5, -2, 3, Number.NaN, 1e9]

// --- an independent copy of the data, and brute force ----------------------------------------------

/** The expected state: committed rows per model, and the pending writes of open transactions. */
class Oracle {
  readonly committed = new Map<string, Map<string, Row>>([
    [NODE.name, new Map()],
    [TAG.name, new Map()]
  ])
  /** One map of writes per open transaction (`null`: deleted), innermost last. */
  readonly pending: Array<Map<string, Map<string, Row | null>>> = []

  visible(model: string): Map<string, Row> {
    const out = new Map(this.committed.get(model))
    for (const layer of this.pending) {
      for (const [id, row] of layer.get(model) ?? []) {
        if (row === null) out.delete(id)
        else out.set(id, row)
      }
    }
    return out
  }

  get(model: string, id: string): Row | undefined {
    return this.visible(model).get(id)
  }

  write(model: string, id: string, row: Row | null): void {
    const layer = this.pending[this.pending.length - 1]
    if (layer === undefined) {
      const rows = this.committed.get(model)
      if (rows === undefined) throw new Error(`no model ${model}`)
      if (row === null) rows.delete(id)
      else rows.set(id, row)
      return
    }
    let rows = layer.get(model)
    if (rows === undefined) {
      rows = new Map()
      layer.set(model, rows)
    }
    rows.set(id, row)
  }

  begin(): void {
    this.pending.push(new Map())
  }

  commit(): void {
    const layer = this.pending.pop()
    if (layer === undefined) throw new Error("no transaction")
    for (const [model, rows] of layer) for (const [id, row] of rows) this.write(model, id, row)
  }

  rollback(): void {
    this.pending.pop()
  }

  /** Every visible row of a scope, by brute force. */
  scoped(model: ModelMeta, scope: StoreScope): Array<Row> {
    const rows = [...this.visible(model.name).values()]
    if (model.scope === "global" || scope.allAccounts === true) return rows
    return rows.filter((row) => row["accountId"] === scope.accountId)
  }
}

// --- random data and queries ----------------------------------------------------------------------

const idAlphabet = ["0", "9", "A", "Z", "a", "z", "é", "😀", "\uFFFF", "-"]

/** A fresh id; a few carry characters whose UTF-16 and code-point orders differ. */
const makeIds = (random: Random) => {
  let n = 0
  return () => {
    n += 1
    const tail = chance(random, 0.2) ? pick(random, idAlphabet) + pick(random, idAlphabet) : ""
    return `n${String(n).padStart(4, "0")}${tail}`
  }
}

const maybe = <A>(random: Random, p: number, value: () => A): A | undefined => (chance(random, p) ? value() : undefined)

/** Optional columns: each absent sometimes. */
const attributes = (random: Random): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  const kind = maybe(random, 0.9, () => pick(random, KINDS))
  if (kind !== undefined) out["kind"] = kind
  const rank = maybe(random, 0.85, () => Math.floor(random() * 6) - 1)
  if (rank !== undefined) out["rank"] = rank
  const flag = maybe(random, 0.8, () => chance(random, 0.5))
  if (flag !== undefined) out["flag"] = flag
  const tag = maybe(random, 0.8, () => pick(random, TAGS))
  if (tag !== undefined) out["tag"] = tag
  const score = maybe(random, 0.8, () => pick(random, SCORES))
  if (score !== undefined) out["score"] = score
  return out
}

interface Setting {
  readonly random: Random
  readonly driver: StoreDriver
  readonly oracle: Oracle
  readonly nextId: () => string
  clock: number
}

const expectWritten = (outcomes: ReadonlyArray<{ readonly _tag: string }>) => {
  for (const outcome of outcomes) expect(outcome._tag).toBe("Written")
}

/** Inserts a node under a random visible node of the account (or as a root). */
const insertNode = (s: Setting, accountId: string) =>
  Effect.gen(function* () {
    const candidates = s.oracle.scoped(NODE, { accountId }).filter((row) => typeof row["path"] === "string")
    const parent = chance(s.random, 0.15) || candidates.length === 0 ? undefined : pick(s.random, candidates)
    const id = s.nextId()
    const withoutPath = chance(s.random, 0.03)
    const row: Row = {
      id,
      accountId,
      version: 1,
      createdAt: s.clock,
      updatedAt: s.clock,
      depth: parent === undefined ? 1 : Number(parent["depth"]) + 1,
      ...(withoutPath ? {} : { path: `${parent === undefined ? "" : String(parent["path"])}${id}/` }),
      ...(parent === undefined ? {} : { parentId: parent["id"] }),
      ...attributes(s.random)
    }
    expectWritten(yield* s.driver.write(NODE, { accountId }, [{ kind: "insert", row }]))
    s.oracle.write(NODE.name, id, row)
  })

/** Updates the attributes of a random node (never its path). */
const updateNode = (s: Setting, accountId: string) =>
  Effect.gen(function* () {
    const rows = s.oracle.scoped(NODE, { accountId })
    if (rows.length === 0) return
    const row = pick(s.random, rows)
    const version = Number(row["version"])
    const next: Row = {
      id: row["id"],
      accountId,
      version: version + 1,
      createdAt: row["createdAt"],
      updatedAt: s.clock,
      depth: row["depth"],
      ...(row["path"] === undefined ? {} : { path: row["path"] }),
      ...(row["parentId"] === undefined ? {} : { parentId: row["parentId"] }),
      ...attributes(s.random)
    }
    expectWritten(yield* s.driver.write(NODE, { accountId }, [{ kind: "update", row: next, expectedVersion: version }]))
    s.oracle.write(NODE.name, String(row["id"]), next)
  })

/** Deletes a random leaf node. */
const deleteNode = (s: Setting, accountId: string) =>
  Effect.gen(function* () {
    const rows = s.oracle.scoped(NODE, { accountId })
    const leaves = rows.filter((row) => !rows.some((other) => other["parentId"] === row["id"]))
    if (leaves.length === 0) return
    const row = pick(s.random, leaves)
    const id = String(row["id"])
    expectWritten(yield* s.driver.write(NODE, { accountId }, [{ kind: "delete", id, expectedVersion: Number(row["version"]) }]))
    s.oracle.write(NODE.name, id, null)
  })

/** Moves a random node under another one outside its subtree (or to the root), like `OrgUnits.move`. */
const moveNode = (s: Setting, accountId: string) =>
  Effect.gen(function* () {
    const rows = s.oracle.scoped(NODE, { accountId }).filter((row) => typeof row["path"] === "string")
    if (rows.length < 2) return
    const moved = pick(s.random, rows)
    const from = String(moved["path"])
    const targets = rows.filter((row) => !String(row["path"]).startsWith(from))
    const parent = chance(s.random, 0.15) || targets.length === 0 ? undefined : pick(s.random, targets)
    const id = String(moved["id"])
    const to = `${parent === undefined ? "" : String(parent["path"])}${id}/`
    const depthDelta = (parent === undefined ? 1 : Number(parent["depth"]) + 1) - Number(moved["depth"])
    const version = Number(moved["version"])
    const { parentId: _, ...rest } = moved
    const next: Row = {
      ...rest,
      ...(parent === undefined ? {} : { parentId: parent["id"] }),
      path: to,
      depth: Number(moved["depth"]) + depthDelta,
      version: version + 1,
      updatedAt: s.clock
    }
    const rewrite = { from, to, depthDelta, updatedAt: s.clock }
    // A savepoint when already in a transaction, like the service's move.
    const changed = yield* s.driver.transaction(
      Effect.gen(function* () {
        const outcomes = yield* s.driver.write(NODE, { accountId }, [{ kind: "update", row: next, expectedVersion: version }])
        const count = yield* s.driver.rewritePrefix(NODE, { accountId }, rewrite)
        return { outcomes, count }
      })
    )
    expectWritten(changed.outcomes)
    s.oracle.write(NODE.name, id, next)
    let expected = 0
    for (const row of s.oracle.scoped(NODE, { accountId })) {
      const path = row["path"]
      if (typeof path !== "string" || !path.startsWith(from) || path === from) continue
      expected += 1
      s.oracle.write(NODE.name, String(row["id"]), {
        ...row,
        path: to + path.slice(from.length),
        depth: Number(row["depth"]) + depthDelta,
        version: Number(row["version"]) + 1,
        updatedAt: s.clock
      })
    }
    expect(changed.count).toBe(expected)
  })

/** Inserts, updates or deletes a row of the global model. */
const writeTag = (s: Setting) =>
  Effect.gen(function* () {
    const rows = s.oracle.scoped(TAG, { accountId: null })
    const scope = { accountId: null }
    if (rows.length > 0 && chance(s.random, 0.4)) {
      const row = pick(s.random, rows)
      const version = Number(row["version"])
      if (chance(s.random, 0.3)) {
        expectWritten(yield* s.driver.write(TAG, scope, [{ kind: "delete", id: String(row["id"]), expectedVersion: version }]))
        s.oracle.write(TAG.name, String(row["id"]), null)
        return
      }
      const next: Row = { ...row, version: version + 1, kind: pick(s.random, KINDS), rank: Math.floor(s.random() * 4) }
      expectWritten(yield* s.driver.write(TAG, scope, [{ kind: "update", row: next, expectedVersion: version }]))
      s.oracle.write(TAG.name, String(row["id"]), next)
      return
    }
    const id = s.nextId()
    const row: Row = { id, version: 1, createdAt: s.clock, updatedAt: s.clock, kind: pick(s.random, KINDS), rank: Math.floor(s.random() * 4) }
    expectWritten(yield* s.driver.write(TAG, scope, [{ kind: "insert", row }]))
    s.oracle.write(TAG.name, id, row)
  })

/** `count` random writes. */
const randomWrites = (s: Setting, count: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < count; i++) {
      s.clock += 1
      const accountId = pick(s.random, ACCOUNTS)
      const r = s.random()
      if (r < 0.45) yield* insertNode(s, accountId)
      else if (r < 0.7) yield* updateNode(s, accountId)
      else if (r < 0.8) yield* deleteNode(s, accountId)
      else if (r < 0.9) yield* moveNode(s, accountId)
      else yield* writeTag(s)
    }
  })

/**
 * Runs `body` in a driver transaction mirrored by the oracle: committed when `commit`, otherwise
 * it fails after its writes and both roll back.
 */
const inTransaction = <E>(s: Setting, commit: boolean, body: Effect.Effect<void, E>) =>
  Effect.gen(function* () {
    s.oracle.begin()
    if (commit) yield* s.driver.transaction(body)
    else {
      // Only the failure asked for is caught: a failed expectation (a defect) still fails the test.
      const failure = yield* Effect.flip(s.driver.transaction(Effect.andThen(body, Effect.fail("rolled back on purpose" as const))))
      expect(failure).toBe("rolled back on purpose")
    }
    if (commit) s.oracle.commit()
    else s.oracle.rollback()
  })

/** A value seen in the data (or not), for a condition on `field`. */
const valueFor = (random: Random, rows: ReadonlyArray<Row>, field: string): Scalar => {
  const seen = rows.map((row) => row[field]).filter((value): value is Scalar => ["string", "number", "boolean"].includes(typeof value))
  if (seen.length > 0 && chance(random, 0.8)) return pick(random, seen)
  return pick(random, ["nothing", 2, 1.5, true, "n0001/", "😀"] as const)
}

/** A prefix of some path (a subtree), or an arbitrary string. */
const prefixFor = (random: Random, rows: ReadonlyArray<Row>): string => {
  const paths = rows.map((row) => row["path"]).filter((path): path is string => typeof path === "string")
  if (paths.length === 0 || chance(random, 0.1)) return pick(random, ["", "n", "zz/", "n0001"])
  const path = pick(random, paths)
  const parts = path.split("/").filter((part) => part.length > 0)
  const keep = 1 + Math.floor(random() * parts.length)
  const prefix = `${parts.slice(0, keep).join("/")}/`
  return chance(random, 0.1) ? prefix.slice(0, -1) : prefix
}

const NODE_FIELDS = ["id", "accountId", "path", "depth", "parentId", "kind", "rank", "flag", "tag", "score", "version"] as const
const TAG_FIELDS = ["id", "kind", "rank", "version"] as const

const randomCondition = (random: Random, rows: ReadonlyArray<Row>, fields: ReadonlyArray<string>): Condition => {
  const field = pick(random, fields)
  const r = random()
  if (field === "path" && r < 0.4) {
    return chance(random, 0.7)
      ? { field, op: "startsWith", value: prefixFor(random, rows) }
      : { field, op: "startsWithAny", value: Array.from({ length: Math.floor(random() * 4) }, () => prefixFor(random, rows)) }
  }
  if (r < 0.45) return { field, op: "eq", value: valueFor(random, rows, field) }
  if (r < 0.7) return { field, op: "in", value: Array.from({ length: Math.floor(random() * 5) }, () => valueFor(random, rows, field)) }
  if (r < 0.76) return { field, op: "ne", value: valueFor(random, rows, field) }
  if (r < 0.8) return { field, op: "notIn", value: [valueFor(random, rows, field), valueFor(random, rows, field)] }
  if (r < 0.86) return { field, op: pick(random, ["lt", "lte", "gt", "gte"] as const), value: valueFor(random, rows, field) }
  if (r < 0.92) return { field, op: pick(random, ["isNull", "isNotNull"] as const) }
  const text = valueFor(random, rows, field)
  return { field, op: pick(random, ["startsWith", "contains"] as const), value: String(text).slice(0, 3) }
}

const randomQuery = (random: Random, rows: ReadonlyArray<Row>, fields: ReadonlyArray<string>): StoreQuery => {
  const where = Array.from({ length: Math.floor(random() * 4) }, () => randomCondition(random, rows, fields))
  const orderBy: Array<OrderBy> = []
  // Not by `score`: it holds NaN, which `compareScalars` finds equal to every number, so an order
  // on it is not a total order and a scan's result would depend on the order rows are visited in.
  const orderable = fields.filter((field) => field !== "id" && field !== "score")
  if (chance(random, 0.7)) orderBy.push({ field: pick(random, orderable), direction: chance(random, 0.5) ? "asc" : "desc" })
  orderBy.push({ field: "id", direction: chance(random, 0.5) ? "asc" : "desc" })
  const anchor = rows.length > 0 && chance(random, 0.25) ? pick(random, rows) : undefined
  const after = anchor === undefined ? undefined : orderBy.map(({ field }) => (anchor[field] ?? null) as Scalar | null)
  const limit = chance(random, 0.4) ? Math.floor(random() * 12) : undefined
  const select = chance(random, 0.3) ? ["id", ...orderBy.map((order) => order.field), "kind"] : undefined
  return {
    where,
    orderBy,
    ...(after === undefined ? {} : { after }),
    ...(limit === undefined ? {} : { limit }),
    ...(select === undefined ? {} : { select: [...new Set(select)] })
  }
}

const randomScope = (random: Random): StoreScope => {
  const r = random()
  if (r < 0.1) return { accountId: null, allAccounts: true }
  if (r < 0.15) return { accountId: "acc-unknown" }
  return { accountId: pick(random, ACCOUNTS) }
}

/** Runs `queries` random reads on the driver (in the current transaction, if any) against brute force. */
const checkReads = (s: Setting, queries: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < queries; i++) {
      const hierarchical = chance(s.random, 0.8)
      const model = hierarchical ? NODE : TAG
      const scope = hierarchical ? randomScope(s.random) : { accountId: null }
      const rows = s.oracle.scoped(model, scope)
      const sample = rows.length > 0 ? rows : s.oracle.scoped(model, { accountId: null, allAccounts: true })
      const query = randomQuery(s.random, sample, hierarchical ? NODE_FIELDS : TAG_FIELDS)
      const what = chance(s.random, 0.6) ? "query" : chance(s.random, 0.5) || !hierarchical ? "count" : "subtree"
      if (what === "query") {
        const got = yield* s.driver.query(model, scope, query)
        expect(got, JSON.stringify({ query, scope })).toEqual(runQuery(rows, query))
      } else if (what === "count") {
        const got = yield* s.driver.count(model, scope, query.where)
        expect(got, JSON.stringify({ where: query.where, scope })).toBe(rows.filter((row) => matchesAll(row, query.where)).length)
      } else {
        const prefix = prefixFor(s.random, sample)
        const maxDepth = chance(s.random, 0.3) ? 1 + Math.floor(s.random() * 4) : undefined
        const got = yield* s.driver.subtree(model, scope, { prefix }, { ...query, ...(maxDepth === undefined ? {} : { maxDepth }) })
        const where: Array<Condition> = [...query.where, { field: "path", op: "startsWith", value: prefix }]
        if (maxDepth !== undefined) where.push({ field: "depth", op: "lte", value: maxDepth })
        expect(got, JSON.stringify({ prefix, maxDepth, query, scope })).toEqual(runQuery(rows, { ...query, where }))
      }
    }
  })

/** Checks that what the store committed is the oracle's committed state. */
const checkCommitted = (s: Setting) =>
  Effect.gen(function* () {
    for (const model of [NODE, TAG]) {
      const stored = (yield* s.driver.inspect(model)).map((inspected) => inspected.row)
      const expected = [...(s.oracle.committed.get(model.name) ?? new Map<string, Row>()).values()]
      expect(stored).toEqual(runQuery(expected, { where: [], orderBy: [{ field: "id", direction: "asc" }] }))
    }
  })

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

const makeSetting = async (seed: number): Promise<Setting> => {
  const random = prng(seed)
  const driver = await run(makeMemoryDriver())
  await run(driver.migrate(MIGRATIONS))
  return { random, driver, oracle: new Oracle(), nextId: makeIds(random), clock: 1 }
}

describe("memory store indexes equal a brute-force scan", () => {
  for (const seed of [1, 7, 42, 2026]) {
    it(`random writes, moves, transactions and rollbacks (seed ${seed})`, async () => {
      const s = await makeSetting(seed)
      await run(
        Effect.gen(function* () {
          yield* randomWrites(s, 160)
          yield* checkReads(s, 150)
          yield* checkCommitted(s)
          for (let round = 0; round < 4; round++) {
            // A transaction with uncommitted writes (moves included) and a nested one rolled back;
            // the outer one commits every other round.
            yield* inTransaction(
              s,
              round % 2 === 0,
              Effect.gen(function* () {
                yield* randomWrites(s, 25)
                yield* checkReads(s, 60)
                yield* inTransaction(s, false, Effect.andThen(randomWrites(s, 15), checkReads(s, 40)))
                yield* checkReads(s, 40)
                yield* randomWrites(s, 10)
                yield* checkReads(s, 40)
              })
            )
            yield* checkReads(s, 60)
            yield* checkCommitted(s)
            // Writes and moves outside a transaction.
            yield* randomWrites(s, 30)
            yield* checkReads(s, 60)
          }
          // Indexes created and dropped on populated tables.
          yield* s.driver.migrate([...MIGRATIONS, REINDEX])
          yield* checkReads(s, 150)
          yield* randomWrites(s, 40)
          yield* checkReads(s, 100)
          yield* checkCommitted(s)
        })
      )
    })
  }
})

describe("the index structures", () => {
  it("PathIndex: prefix and exact ranges equal a filter of the sorted keys, through chunk splits and merges", () => {
    const random = prng(99)
    const index = new PathIndex()
    /** The expected content: path and id, by `${path}\u0000${id}`. */
    const keys = new Map<string, { readonly path: string; readonly id: string }>()
    const segment = () => pick(random, ["a", "b", "ab", "é", "😀", "\uFFFF", "Z"]) + String(Math.floor(random() * 30))
    const byPathThenId = (a: { readonly path: string; readonly id: string }, b: { readonly path: string; readonly id: string }) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
    const check = () => {
      expect(index.size).toBe(keys.size)
      const all: Array<string> = []
      index.collect("", false, all)
      expect(all).toEqual([...keys.values()].sort(byPathThenId).map((key) => key.id))
      for (let q = 0; q < 60; q++) {
        const paths = [...keys.values()].map((key) => key.path)
        const exact = chance(random, 0.3)
        const whole = paths.length > 0 ? pick(random, paths) : segment()
        const prefix = exact ? whole : chance(random, 0.8) ? whole.slice(0, Math.floor(random() * 12)) : segment()
        const expected = [...keys.values()]
          .filter((key) => (exact ? key.path === prefix : key.path.startsWith(prefix)))
          .sort(byPathThenId)
          .map((key) => key.id)
        const out: Array<string> = []
        index.collect(prefix, exact, out)
        expect({ prefix, exact, ids: out }).toEqual({ prefix, exact, ids: expected })
        expect(index.count(prefix, exact)).toBe(expected.length)
      }
    }
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 900; i++) {
        const id = `id${round}-${i}`
        const path = `${segment()}/${segment()}/${chance(random, 0.5) ? `${segment()}/` : ""}`
        index.insert(path, id)
        keys.set(`${path}\u0000${id}`, { path, id })
      }
      // Inserting a key already there adds nothing.
      const [first] = keys.values()
      if (first !== undefined) index.insert(first.path, first.id)
      check()
      for (const [key, { path, id }] of [...keys]) {
        if (!chance(random, round === 5 ? 0.97 : 0.45)) continue
        index.remove(path, id)
        keys.delete(key)
      }
      // Removing an absent key changes nothing.
      index.remove("absent/", "nobody")
      check()
    }
  })

  it("Postings: lookups return every id holding the values, each once, and NaN holders always", () => {
    const postings = new Postings()
    postings.add("a", "1")
    postings.add("a", "2")
    postings.add(0, "3")
    postings.add(-0, "4")
    postings.add(Number.NaN, "5")
    postings.add(true, "6")
    postings.add(undefined, "7")
    postings.add({ nested: true }, "8")
    const ids = (values: ReadonlyArray<Scalar>) => {
      const out: Array<string> = []
      postings.collect(values, out)
      return out.sort()
    }
    expect(ids(["a"])).toEqual(["1", "2", "5"])
    expect(ids([0])).toEqual(["3", "4", "5"])
    expect(ids([true, "a"])).toEqual(["1", "2", "5", "6"])
    expect(postings.count(["a", 0])).toBe(5)
    postings.remove("a", "1")
    postings.remove(-0, "3")
    postings.remove(Number.NaN, "5")
    expect(ids(["a", 0])).toEqual(["2", "4"])
    postings.remove("a", "2")
    expect(ids(["a"])).toEqual([])
    expect(postings.count(["a"])).toBe(0)
  })

  it("plans an equality index for every declared column but id, the account partition and the path", () => {
    expect(planIndexes("account", "path", NODE.indexes)).toEqual({ fields: ["parentId", "kind", "rank", "flag"], path: "path" })
    expect(planIndexes("global", undefined, [{ name: "pair", fields: ["accountId", "id", "code"] }])).toEqual({
      fields: ["accountId", "code"],
      path: undefined
    })
  })

  it("reads only the scope's partition, and only the candidates of the chosen index", () => {
    const table = new IndexedTable("account", "path")
    table.declare(NODE.indexes)
    let seq = 0
    const put = (id: string, accountId: string, path: string, kind: string) => {
      seq += 1
      table.set(id, { id, seq, row: { id, accountId, path, kind, depth: path.split("/").length - 1 } })
    }
    for (let i = 0; i < 50; i++) put(`a${i}`, "acc-a", i < 10 ? `r/a${i}/` : `s/a${i}/`, i % 5 === 0 ? "hospital" : "clinic")
    for (let i = 0; i < 30; i++) put(`b${i}`, "acc-b", `r/b${i}/`, "hospital")
    const ids = (scope: StoreScope, where: ReadonlyArray<Condition>) => [...table.select(scope, where).entries].map((entry) => entry.id).sort()

    expect(ids({ accountId: "acc-b" }, [])).toHaveLength(30)
    expect(ids({ accountId: "acc-a" }, [{ field: "kind", op: "eq", value: "hospital" }])).toEqual([
      "a0",
      "a10",
      "a15",
      "a20",
      "a25",
      "a30",
      "a35",
      "a40",
      "a45",
      "a5"
    ])
    expect(ids({ accountId: "acc-a" }, [{ field: "path", op: "startsWith", value: "r/" }])).toEqual([
      "a0",
      "a1",
      "a2",
      "a3",
      "a4",
      "a5",
      "a6",
      "a7",
      "a8",
      "a9"
    ])
    expect(table.select({ accountId: "acc-a" }, [{ field: "path", op: "startsWith", value: "r/" }]).answered).toEqual({
      field: "path",
      op: "startsWith",
      value: "r/"
    })
    expect(ids({ accountId: "acc-a" }, [{ field: "id", op: "in", value: ["a3", "b3", "zz"] }])).toEqual(["a3"])
    expect(ids({ accountId: "acc-unknown" }, [])).toEqual([])
    expect(ids({ accountId: null, allAccounts: true }, [{ field: "path", op: "startsWith", value: "r/b1" }])).toHaveLength(11)

    // A move within the partition and a delete update every index.
    table.set("a3", { id: "a3", seq: 100, row: { id: "a3", accountId: "acc-a", path: "s/a3/", kind: "hospital", depth: 2 } })
    table.set("a4", null)
    expect(ids({ accountId: "acc-a" }, [{ field: "path", op: "startsWith", value: "r/" }])).toEqual(["a0", "a1", "a2", "a5", "a6", "a7", "a8", "a9"])
    expect(ids({ accountId: "acc-a" }, [{ field: "kind", op: "eq", value: "hospital" }])).toContain("a3")
    expect(table.rows.has("a4")).toBe(false)
  })
})
