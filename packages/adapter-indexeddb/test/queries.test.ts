/**
 * Queries of the IndexedDB store answered from indexes, checked against the reference semantics
 * and by their plans, on a store keyed by account and on one keyed by id (the layout of databases
 * before migration 0005).
 */
import "fake-indexeddb/auto"
import { type IndexedDbDriver, makeIndexedDbDriver } from "@iaso/adapter-indexeddb"
import { type Column, type Condition, type Migration, type ModelMeta, type OrderBy, type Row, runQuery, type Scalar, type StoreQuery } from "@iaso/core"
import { Effect } from "effect"
import { IDBFactory } from "fake-indexeddb"
import { describe, expect, it } from "vitest"

const column = (name: string, kind: Column["kind"], nullable: boolean): Column => ({ name, kind, nullable })
const THING_COLUMNS: ReadonlyArray<Column> = [
  column("id", "text", false),
  column("accountId", "text", false),
  column("version", "integer", false),
  column("createdAt", "integer", false),
  column("updatedAt", "integer", false),
  column("name", "text", false),
  column("group", "text", true),
  column("rank", "integer", true),
  column("score", "real", false),
  column("flag", "boolean", false),
  column("path", "text", false),
  column("depth", "integer", false),
  column("parentId", "text", true)
]
/** The migrations of `Thing`, its store keyed by account or by id (the layout before migration 0005). */
const thingMigrations = (keyedByAccount: boolean): ReadonlyArray<Migration> => [
  {
    id: "0001_thing",
    steps: [
      {
        op: "createModel",
        model: "Thing",
        scope: "account",
        columns: THING_COLUMNS,
        hierarchy: { path: "path", depth: "depth", parent: "parentId" },
        ...(keyedByAccount ? { keyedByAccount: true as const } : {})
      },
      { op: "createIndex", model: "Thing", index: { name: "thing_group_rank", fields: ["group", "rank"] } },
      { op: "createIndex", model: "Thing", index: { name: "thing_name", fields: ["accountId", "name"] } },
      { op: "createIndex", model: "Thing", index: { name: "thing_score", fields: ["score"] } },
      { op: "createIndex", model: "Thing", index: { name: "thing_path", fields: ["path"] } },
      { op: "createIndex", model: "Thing", index: { name: "thing_flag", fields: ["flag"] } },
      {
        op: "createIndex",
        model: "Thing",
        index: { name: "thing_group_name_unique", fields: ["group", "name"], unique: true, where: [{ field: "flag", op: "eq", value: true }] }
      }
    ]
  }
]
const THING: ModelMeta = {
  name: "Thing",
  scope: "account",
  columns: THING_COLUMNS,
  indexes: thingMigrations(false)[0]?.steps.flatMap((step) => (step.op === "createIndex" ? [step.index] : [])) ?? [],
  hierarchy: { path: "path", depth: "depth", parent: "parentId" }
}

const NAMES = ["a", "b", "B", "é", "\uFFFF", "😀", "ab", "b\uFFFF", "", "zz", "Ségou", "b"]

/** Seeded rows of one account: nullable fields absent, null or present; a three-level path. */
const things = (accountId: string, count: number, seed: number): Array<Row> => {
  let state = seed
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
  const rows: Array<Row> = []
  for (let i = 0; i < count; i++) {
    const id = `${accountId}-${String(i).padStart(4, "0")}-${Math.floor(random() * 1e6).toString(36)}`
    const parent = i < 3 ? undefined : rows[Math.floor(random() * Math.min(i, 12))]
    const path = `${parent === undefined ? "" : String(parent["path"])}${id}/`
    const group = random()
    const rank = random()
    const row: Record<string, unknown> = {
      id,
      accountId,
      version: 1,
      createdAt: i,
      updatedAt: i,
      name: `${NAMES[Math.floor(random() * NAMES.length)] ?? ""}${random() < 0.3 ? NAMES[Math.floor(random() * NAMES.length)] : ""}`,
      score: Math.round((random() * 4 - 2) * 4) / 4,
      flag: random() < 0.2,
      path,
      depth: path.split("/").length - 1
    }
    if (group < 0.4) row["group"] = "g1"
    else if (group < 0.7) row["group"] = "g2"
    else if (group < 0.8) row["group"] = null
    if (rank < 0.7) row["rank"] = Math.floor(rank * 10)
    else if (rank < 0.8) row["rank"] = null
    if (parent !== undefined) row["parentId"] = parent["id"]
    rows.push(row)
  }
  return rows
}

const asc = (field: string): OrderBy => ({ field, direction: "asc" })
const desc = (field: string): OrderBy => ({ field, direction: "desc" })

/**
 * Queries, each with the plan it must get (index source and whether it walks in order);
 * `accountRows` is the source of an account's rows in id order (`@account` or the primary key).
 */
const queries = (
  prefix: string,
  accountRows: string
): ReadonlyArray<{
  readonly where: ReadonlyArray<Condition>
  readonly orderBy: ReadonlyArray<OrderBy>
  readonly source: string
  readonly ordered: boolean
}> => [
  { where: [], orderBy: [asc("id")], source: accountRows, ordered: true },
  { where: [{ field: "group", op: "eq", value: "g1" }], orderBy: [asc("rank"), asc("id")], source: "i:thing_group_rank", ordered: true },
  { where: [{ field: "group", op: "eq", value: "g1" }], orderBy: [desc("rank"), asc("id")], source: "i:thing_group_rank", ordered: true },
  { where: [{ field: "group", op: "isNull" }], orderBy: [asc("rank"), desc("id")], source: "i:thing_group_rank", ordered: true },
  { where: [{ field: "group", op: "in", value: ["g1", "g2"] }], orderBy: [asc("id")], source: "i:thing_group_rank", ordered: false },
  {
    where: [
      { field: "group", op: "eq", value: "g2" },
      { field: "rank", op: "gte", value: 3 }
    ],
    orderBy: [desc("rank"), desc("id")],
    source: "i:thing_group_rank",
    ordered: true
  },
  {
    where: [
      { field: "group", op: "eq", value: "g2" },
      { field: "rank", op: "lt", value: 5 }
    ],
    orderBy: [asc("id")],
    source: "i:thing_group_rank",
    ordered: false
  },
  {
    where: [
      { field: "group", op: "eq", value: "g1" },
      { field: "rank", op: "isNull" }
    ],
    orderBy: [asc("id")],
    source: "i:thing_group_rank",
    ordered: true
  },
  {
    where: [
      { field: "group", op: "eq", value: "g1" },
      { field: "rank", op: "eq", value: 2 }
    ],
    orderBy: [desc("id")],
    source: "i:thing_group_rank",
    ordered: true
  },
  { where: [{ field: "group", op: "ne", value: "g1" }], orderBy: [asc("group"), asc("id")], source: "i:thing_group_rank", ordered: true },
  { where: [{ field: "name", op: "startsWith", value: "b" }], orderBy: [asc("name"), asc("id")], source: "i:thing_name", ordered: true },
  {
    where: [
      { field: "name", op: "gt", value: "b" },
      { field: "name", op: "lte", value: "é" }
    ],
    orderBy: [desc("name"), asc("id")],
    source: "i:thing_name",
    ordered: true
  },
  { where: [{ field: "name", op: "startsWithAny", value: ["a", "\uFFFF", "😀"] }], orderBy: [asc("id")], source: "i:thing_name", ordered: false },
  { where: [{ field: "score", op: "gte", value: 0.5 }], orderBy: [asc("score"), asc("id")], source: "i:thing_score", ordered: true },
  { where: [], orderBy: [desc("score"), asc("id")], source: "i:thing_score", ordered: true },
  {
    where: [
      { field: "path", op: "startsWith", value: prefix },
      { field: "depth", op: "lte", value: 3 }
    ],
    orderBy: [asc("id")],
    source: "i:thing_path",
    ordered: false
  },
  // No index on a boolean: with a limit, the name index walks in the query's order and filters.
  { where: [{ field: "flag", op: "eq", value: true }], orderBy: [asc("name"), asc("id")], source: "i:thing_name", ordered: true },
  { where: [{ field: "flag", op: "eq", value: true }], orderBy: [asc("createdAt"), asc("id")], source: accountRows, ordered: false },
  { where: [{ field: "rank", op: "gt", value: 4 }], orderBy: [asc("rank"), asc("id")], source: accountRows, ordered: false }
]

/** Every page of a query (limit `size`, keyset positions as core makes them). */
const allPagesOf = async (driver: IndexedDbDriver, accountId: string, query: StoreQuery, size: number, run: <A, E>(e: Effect.Effect<A, E>) => Promise<A>) => {
  const out: Array<Row> = []
  let after: ReadonlyArray<Scalar | null> | undefined
  for (let pages = 0; pages < 200; pages++) {
    const page = await run(driver.query(THING, { accountId }, { ...query, limit: size, ...(after === undefined ? {} : { after }) }))
    out.push(...page)
    const last = page[page.length - 1]
    if (page.length < size || last === undefined) return out
    after = query.orderBy.map((o) => (last[o.field] ?? null) as Scalar | null)
  }
  throw new Error("too many pages")
}

const expectAnswers = async (driver: IndexedDbDriver, accountId: string, rows: ReadonlyArray<Row>, run: <A, E>(e: Effect.Effect<A, E>) => Promise<A>) => {
  const prefix = String(rows[1]?.["path"] ?? "")
  // The plans do not matter here (see the plans test): any source of the account's rows.
  for (const q of queries(prefix, "")) {
    const label = JSON.stringify([q.where, q.orderBy])
    const expected = runQuery(rows, { where: q.where, orderBy: q.orderBy }, "utf16").map((row) => row["id"])
    expect(expected.length, `${label}: the data exercises it`).toBeGreaterThan(0)
    const whole = await run(driver.query(THING, { accountId }, { where: q.where, orderBy: q.orderBy }))
    expect(
      whole.map((row) => row["id"]),
      label
    ).toEqual(expected)
    for (const size of [1, 4, 9])
      expect(
        (await allPagesOf(driver, accountId, { where: q.where, orderBy: q.orderBy }, size, run)).map((row) => row["id"]),
        `${label} by ${size}`
      ).toEqual(expected)
    expect(await run(driver.count(THING, { accountId }, q.where)), label).toBe(expected.length)
    const selected = await run(
      driver.query(THING, { accountId }, { where: q.where, orderBy: q.orderBy, limit: 3, select: ["id", "name", ...q.orderBy.map((o) => o.field)] })
    )
    for (const row of selected)
      expect(Object.keys(row).sort()).toEqual([...new Set(["id", "name", ...q.orderBy.map((o) => o.field)])].filter((f) => f in row).sort())
  }
}

describe.each([
  { layout: "keyed by id", keyed: false, accountRows: "@account" },
  { layout: "keyed by account", keyed: true, accountRows: "primary key" }
])("IndexedDB store: queries from indexes, the store $layout", ({ keyed, accountRows }) => {
  const setup = async (name: string) => {
    const migrations = thingMigrations(keyed)
    const driver = await Effect.runPromise(makeIndexedDbDriver({ name, indexedDB: new IDBFactory(), migrations }))
    await Effect.runPromise(driver.migrate(migrations))
    const mine = things("acc-a", 160, 7)
    // Keyed by account, the other account also holds some of the same ids (never part of acc-a's answers).
    const theirs = [...things("acc-b", 40, 11), ...(keyed ? mine.slice(0, 40).map((row) => ({ ...row, accountId: "acc-b", name: "theirs" })) : [])]
    for (const [accountId, rows] of [
      ["acc-a", mine],
      ["acc-b", theirs]
    ] as const) {
      const outcomes = await Effect.runPromise(
        driver.write(
          THING,
          { accountId },
          rows.map((row) => ({ kind: "insert", row }))
        )
      )
      expect(outcomes.filter((o) => o._tag !== "Written").map((o) => o._tag)).toEqual(outcomes.filter((o) => o._tag === "Duplicate").map(() => "Duplicate"))
    }
    const stored = (await Effect.runPromise(driver.inspect(THING))).map((r) => r.row).filter((row) => row["accountId"] === "acc-a")
    return { driver, stored }
  }

  it("each query is answered from the index that fits (key ranges, ordered walks), the account's range only when none does", async () => {
    const { driver, stored } = await setup("plans")
    const prefix = String(stored[1]?.["path"] ?? "")
    for (const q of queries(prefix, accountRows)) {
      const plan = await Effect.runPromise(driver.explain(THING, { accountId: "acc-a" }, { where: q.where, orderBy: q.orderBy, limit: 10 }))
      expect([plan.source, plan.ordered], JSON.stringify(q.where)).toEqual([q.source, q.ordered])
      expect(plan.ranges, JSON.stringify(q.where)).toBeGreaterThan(0)
    }
    expect(
      await Effect.runPromise(driver.explain(THING, { accountId: "acc-a" }, { where: [{ field: "id", op: "in", value: ["x", "y"] }], orderBy: [asc("id")] }))
    ).toEqual({
      source: "primary key",
      ranges: 2,
      ordered: false
    })
    expect(
      (
        await Effect.runPromise(
          driver.explain(THING, { accountId: "acc-a" }, { where: [{ field: "group", op: "in", value: ["g1", "g2", "g3"] }], orderBy: [asc("id")] })
        )
      ).ranges
    ).toBe(3)
    await Effect.runPromise(driver.close)
  })

  it("every query, whole or page by page, returns exactly what the reference semantics select (UTF-16 order), and counts agree", async () => {
    const { driver, stored } = await setup("answers")
    // Partial uniqueness refused duplicates among flagged rows: the reference is what was stored.
    expect(stored.length).toBeGreaterThan(140)
    await expectAnswers(driver, "acc-a", stored, (e) => Effect.runPromise(e))
    await Effect.runPromise(driver.close)
  })

  it("inside a unit of work, queries see committed rows merged with its own inserts, updates and deletes, and so after its commit", async () => {
    const { driver, stored } = await setup("overlay")
    const extra = things("acc-a", 190, 23).slice(160)
    const changed = stored
      .slice(0, 60)
      .filter((_, i) => i % 3 === 0)
      .map((row, i) => {
        const next: Record<string, unknown> = { ...row, version: Number(row["version"]) + 1, name: NAMES[i % NAMES.length] ?? "", score: (i % 5) - 2 }
        if (i % 2 === 0) delete next["group"]
        else next["rank"] = i % 10
        return next as Row
      })
    const removed = stored.slice(60, 90).filter((_, i) => i % 2 === 0)
    const merged = new Map(stored.map((row) => [String(row["id"]), row]))
    await Effect.runPromise(
      driver.transaction(
        Effect.gen(function* () {
          const inserted = yield* driver.write(
            THING,
            { accountId: "acc-a" },
            extra.map((row) => ({ kind: "insert", row }))
          )
          extra.forEach((row, i) => {
            if (inserted[i]?._tag === "Written") merged.set(String(row["id"]), row)
          })
          const updated = yield* driver.write(
            THING,
            { accountId: "acc-a" },
            changed.map((row) => ({ kind: "update", row, expectedVersion: 1 }))
          )
          changed.forEach((row, i) => {
            if (updated[i]?._tag === "Written") merged.set(String(row["id"]), row)
          })
          yield* driver.write(
            THING,
            { accountId: "acc-a" },
            removed.map((row) => ({ kind: "delete", id: String(row["id"]) }))
          )
          for (const row of removed) merged.delete(String(row["id"]))
          // Keyed by account: deleting the other account's records of the same ids changes none of acc-a's.
          if (keyed)
            yield* driver.write(
              THING,
              { accountId: "acc-b" },
              stored.slice(0, 40).map((row) => ({ kind: "delete", id: String(row["id"]) }))
            )
          // Run the checks in this fiber's context: inside the unit of work.
          const context = yield* Effect.context<never>()
          yield* Effect.promise(() => expectAnswers(driver, "acc-a", [...merged.values()], (e) => Effect.runPromiseWith(context)(e)))
        })
      )
    )
    await expectAnswers(driver, "acc-a", [...merged.values()], (e) => Effect.runPromise(e))
    await Effect.runPromise(driver.close)
  })
})
