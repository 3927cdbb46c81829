/**
 * Reading through the repositories: record lookups, listings with stable keyset cursors, subtrees
 * of hierarchical models, counts and the change feed, for one model in one account's scope. A
 * listing's conditions and its cursor's position are checked first (`conditions.ts`): a store is
 * never asked what it would answer differently from another.
 * @module
 */
import { Effect } from "effect"
import { compileWhere, type FieldCondition, fitsOrder } from "./conditions.ts"
import { decodeCursor, encodeCursor, fingerprint } from "./cursor.ts"
import { NotFound, StorageError, ValidationError } from "./errors.ts"
import type { AnyModel, RecordOf, Row } from "./model.ts"
import type { Condition, Direction, OrderBy, Scalar, StoreQuery } from "./query.ts"
import { codecOf } from "./record-codec.ts"
import type { StoreDriver, StoreScope } from "./store.ts"

/** A page of results and the cursor of the next page (absent on the last page). */
export interface ResultPage<T> {
  readonly items: ReadonlyArray<T>
  readonly cursor?: string
}

export { compileWhere, type FieldCondition } from "./conditions.ts"

/** How to list records. */
export interface ListOptions {
  readonly where?: ReadonlyArray<FieldCondition>
  readonly orderBy?: ReadonlyArray<{ readonly field: string; readonly direction?: Direction }>
  /** Page size: 1 to 10 000 (default 100). */
  readonly limit?: number
  /** The cursor of the previous page. */
  readonly cursor?: string
  /** Only these fields (plus `id`): listings of ids and names without decoding polygons. */
  readonly select?: ReadonlyArray<string>
}

/** The options of a listing given none (a listing of whole records). */
export type NoListOptions = Record<never, never>

/**
 * The items of a listing of `M` with options `O`: whole records without `select`; with a literal
 * `select`, the selected fields and `id` (`Pick`); with a `select` known only as strings, every
 * field optional but `id`.
 */
export type Listed<M extends AnyModel, O extends ListOptions> = "select" extends keyof O
  ? [O["select"]] extends [ReadonlyArray<infer K>]
    ? string extends K
      ? Partial<RecordOf<M>> & Pick<RecordOf<M>, "id">
      : Pick<RecordOf<M>, (K & keyof RecordOf<M>) | "id">
    : Partial<RecordOf<M>> & Pick<RecordOf<M>, "id">
  : RecordOf<M>

/** A change feed page. */
export interface ChangesPage {
  readonly changes: ReadonlyArray<{
    readonly model: string
    readonly id: string
    readonly deleted: boolean
    readonly version: number
    readonly seq: number
  }>
  /** Pass it back to get what changed after this page. */
  readonly cursor: string
}

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 10_000

/** The store scope of a model for an account. */
export const scopeOf = (model: AnyModel, accountId: string): StoreScope => ({ accountId: model.scope === "global" ? null : accountId })

/** The fingerprint of an account's change-feed cursors. */
const changesQuery = (accountId: string): string => fingerprint(`changes:${accountId}`)

/** The read operations of the repositories over a store. */
export const makeReads = (driver: StoreDriver) => {
  const getMany = <M extends AnyModel>(model: M, accountId: string, ids: ReadonlyArray<string>) =>
    Effect.flatMap(driver.getMany(model, scopeOf(model, accountId), ids), (rows) => codecOf(model).decodeRows(rows))

  const get = <M extends AnyModel>(model: M, accountId: string, id: string): Effect.Effect<RecordOf<M>, NotFound | StorageError> =>
    Effect.flatMap(driver.getMany(model, scopeOf(model, accountId), [id]), (rows): Effect.Effect<RecordOf<M>, NotFound | StorageError> => {
      const row = rows[0]
      return row === undefined ? Effect.fail(NotFound.of(model.name, id)) : codecOf(model).decodeRow(row)
    })

  const queryFingerprint = (model: AnyModel, accountId: string, where: ReadonlyArray<Condition>, orderBy: ReadonlyArray<OrderBy>) =>
    fingerprint(JSON.stringify([model.name, accountId, where, orderBy]))

  /** Builds the store query of a listing: conditions, total order, keyset position, limit. */
  const planList = (
    model: AnyModel,
    accountId: string,
    options: ListOptions,
    extraWhere: ReadonlyArray<Condition> = [],
    /** A unique field that orders the listing on its own when the caller asks for no order. */
    naturalOrder?: string
  ): ValidationError | { readonly query: StoreQuery; readonly fingerprint: () => string; readonly limit: number } => {
    const where = compileWhere(model, options.where ?? [])
    if (where instanceof ValidationError) return where
    const codec = codecOf(model)
    const orderBy: Array<OrderBy> = []
    if (options.orderBy !== undefined && !Array.isArray(options.orderBy)) return ValidationError.at(["orderBy"], "expected a list of { field, direction }")
    for (const order of options.orderBy ?? []) {
      if (!codec.columnNames.has(order.field)) return ValidationError.at(["orderBy", order.field], `${model.name} has no field ${order.field}`)
      if (order.direction !== undefined && order.direction !== "asc" && order.direction !== "desc") {
        return ValidationError.at(["orderBy", order.field], `unknown direction ${JSON.stringify(order.direction)}: expected asc or desc`)
      }
      if (model.columns.find((c) => c.name === order.field)?.kind === "json") {
        return ValidationError.at(["orderBy", order.field], `${order.field} is a JSON field: it cannot be ordered by`)
      }
      if (order.field !== "id") orderBy.push({ field: order.field, direction: order.direction ?? "asc" })
    }
    if (options.orderBy === undefined && naturalOrder !== undefined) orderBy.push({ field: naturalOrder, direction: "asc" })
    else orderBy.push({ field: "id", direction: options.orderBy?.find((o) => o.field === "id")?.direction ?? "asc" })
    const limit = options.limit ?? DEFAULT_LIMIT
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return ValidationError.at(["limit"], `expected an integer from 1 to ${MAX_LIMIT}`)
    }
    const allWhere = [...where, ...extraWhere]
    // Computed when a cursor is read or made (most listings fit in one page and need none).
    let computed: string | undefined
    const print = (): string => {
      computed ??= queryFingerprint(model, accountId, allWhere, orderBy)
      return computed
    }
    let after: ReadonlyArray<Scalar | null> | undefined
    if (options.cursor !== undefined) {
      const decoded = decodeCursor(options.cursor, print())
      if (decoded instanceof ValidationError) return decoded
      if (!fitsOrder(model, orderBy, decoded)) return ValidationError.at(["cursor"], "not a cursor of this query")
      after = decoded
    }
    let select: Array<string> | undefined
    let orderOnly: Array<string> = []
    if (options.select !== undefined) {
      for (const field of options.select) {
        if (!(field in (model.schema.fields as Record<string, unknown>))) return ValidationError.at(["select", field], `${model.name} has no field ${field}`)
      }
      const wanted = new Set(["id", ...options.select])
      orderOnly = orderBy.map((o) => o.field).filter((field) => !wanted.has(field))
      select = [...new Set([...wanted, ...orderOnly])]
    }
    const query: StoreQuery = {
      where: allWhere,
      orderBy,
      limit: limit + 1,
      ...(after === undefined ? {} : { after }),
      ...(select === undefined ? {} : { select }),
      // Order fields nobody asked for are needed on the page's last row only (its cursor).
      ...(orderOnly.length === 0 ? {} : { onlyAt: { columns: orderOnly, at: limit - 1 } })
    }
    return { query, fingerprint: print, limit }
  }

  /** Turns the rows of a planned listing (one more than the limit) into a page. */
  const pageOf = <T>(
    rows: ReadonlyArray<Row>,
    plan: { readonly query: StoreQuery; readonly fingerprint: () => string; readonly limit: number },
    decode: (rows: ReadonlyArray<Row>) => Effect.Effect<ReadonlyArray<T>, StorageError>
  ): Effect.Effect<ResultPage<T>, StorageError> => {
    const more = rows.length > plan.limit
    const pageRows = more ? rows.slice(0, plan.limit) : rows
    const last = pageRows[pageRows.length - 1]
    return Effect.map(decode(pageRows), (items) => {
      if (!more || last === undefined) return { items }
      const after = plan.query.orderBy.map((o) => {
        const value = last[o.field]
        return value === undefined ? null : (value as Scalar | null)
      })
      return { items, cursor: encodeCursor(plan.fingerprint(), after) }
    })
  }

  const decoderFor = <M extends AnyModel>(model: M, options: ListOptions, query: StoreQuery) =>
    options.select === undefined
      ? (rows: ReadonlyArray<Row>) => codecOf(model).decodeRows(rows) as Effect.Effect<ReadonlyArray<Partial<RecordOf<M>>>, StorageError>
      : codecOf(model).decodePartial(["id", ...options.select], query.onlyAt?.columns)

  /** Lists records (a page): whole records, or with `select` the selected fields and `id` (see {@link Listed}). */
  const list = <M extends AnyModel, const O extends ListOptions = NoListOptions>(
    model: M,
    accountId: string,
    options?: O,
    extraWhere: ReadonlyArray<Condition> = []
  ): Effect.Effect<ResultPage<Listed<M, O>>, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const given: ListOptions = options ?? {}
      const plan = planList(model, accountId, given, extraWhere)
      if (plan instanceof ValidationError) return yield* plan
      const rows = yield* driver.query(model, scopeOf(model, accountId), plan.query)
      // Whole records without `select`; the selected fields and `id` with it (what Listed says).
      return (yield* pageOf(rows, plan, decoderFor(model, given, plan.query))) as ResultPage<Listed<M, O>>
    })

  /**
   * Several listings of one model (a page each, as `list` answers it) in one read of the
   * store (`queryMany`: one statement on SQL when they select the same fields): a record looked
   * up by either of two keys without a second round trip.
   */
  const listEach = <M extends AnyModel, const O extends ListOptions>(
    model: M,
    accountId: string,
    options: ReadonlyArray<O>
  ): Effect.Effect<ReadonlyArray<ResultPage<Listed<M, O>>>, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const plans: Array<Exclude<ReturnType<typeof planList>, ValidationError>> = []
      for (const given of options) {
        const plan = planList(model, accountId, given)
        if (plan instanceof ValidationError) return yield* plan
        plans.push(plan)
      }
      const rows = yield* driver.queryMany(
        model,
        scopeOf(model, accountId),
        plans.map((plan) => plan.query)
      )
      // Whole records without `select`; the selected fields and `id` with it (what Listed says).
      return yield* Effect.forEach(plans, (plan, at) =>
        Effect.map(pageOf(rows[at] ?? [], plan, decoderFor(model, options[at] ?? {}, plan.query)), (page) => page as ResultPage<Listed<M, O>>)
      )
    })

  /** Lists a subtree of a hierarchical model: rows whose path starts with `prefix` (a page). */
  const subtree = <M extends AnyModel>(
    model: M,
    accountId: string,
    prefix: string,
    options: ListOptions & { readonly maxDepth?: number } = {},
    extraWhere: ReadonlyArray<Condition> = []
  ): Effect.Effect<ResultPage<Partial<RecordOf<M>>>, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const pathConditions: ReadonlyArray<Condition> = [
        { field: "path", op: "startsWith", value: prefix },
        ...(options.maxDepth === undefined ? [] : [{ field: "depth", op: "lte", value: options.maxDepth } as const])
      ]
      // Without an asked order, a subtree comes in path order (parents before their children), which
      // the ordered path index gives without sorting; a path is unique, so it is a total order.
      const plan = planList(model, accountId, options, [...extraWhere, ...pathConditions], model.hierarchy?.path)
      if (plan instanceof ValidationError) return yield* plan
      // The fingerprint covers the subtree; the adapter gets the prefix and depth as arguments.
      const query: StoreQuery & { maxDepth?: number } = {
        ...plan.query,
        where: plan.query.where.filter((condition) => !pathConditions.includes(condition)),
        ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth })
      }
      const rows = yield* driver.subtree(model, scopeOf(model, accountId), { prefix }, query)
      return yield* pageOf(rows, plan, decoderFor(model, options, plan.query))
    })

  /**
   * A page of the subtree under the row `rootId` (the root itself with `includeRoot`), in path
   * order, in ONE store read: the store reads the root's path with its range. `undefined` when a
   * first page finds no root (missing, or failing `extraWhere`: for org units, the actor's access
   * conditions); a later page of a root deleted meanwhile is empty. Options take no `where` or
   * `orderBy` (they could filter the root out of the read or order it elsewhere).
   */
  const subtreeFrom = <M extends AnyModel>(
    model: M,
    accountId: string,
    rootId: string,
    options: Omit<ListOptions, "where" | "orderBy">,
    extraWhere: ReadonlyArray<Condition>,
    includeRoot: boolean
  ): Effect.Effect<ResultPage<Partial<RecordOf<M>>> | undefined, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const pathField = model.hierarchy?.path
      if (pathField === undefined) return yield* new StorageError({ reason: "unknown", retryable: false, message: `${model.name} is not hierarchical` })
      // Cursors are bound to the root's id (a marker condition the store never sees), not its path.
      const marker: Condition = { field: "subtreeOf", op: "eq", value: `${includeRoot ? "+" : "-"}${rootId}` }
      const plan = planList(model, accountId, options, [...extraWhere, marker], pathField)
      if (plan instanceof ValidationError) return yield* plan
      const where = plan.query.where.filter((condition) => condition !== marker)
      // On a first page the root comes first (its path is the smallest of its subtree): it is how a
      // missing or hidden root shows, and when it is left out of the page, one more row is read
      // and the cursor's position is one row further. Past it, the keyset is after the root.
      const first = plan.query.after === undefined
      const shift = first && !includeRoot ? 1 : 0
      const query: StoreQuery = {
        ...plan.query,
        where,
        limit: plan.limit + 1 + shift,
        ...(plan.query.onlyAt === undefined ? {} : { onlyAt: { ...plan.query.onlyAt, at: plan.query.onlyAt.at + shift } })
      }
      const rows = yield* driver.subtree(model, scopeOf(model, accountId), { rootId }, query)
      if (first && rows[0]?.["id"] !== rootId) return undefined
      return yield* pageOf(shift === 1 ? rows.slice(1) : rows, plan, decoderFor(model, options, plan.query))
    })

  /** Counts records matching conditions. */
  const count = (
    model: AnyModel,
    accountId: string,
    where: ReadonlyArray<FieldCondition> = [],
    extraWhere: ReadonlyArray<Condition> = []
  ): Effect.Effect<number, ValidationError | StorageError> =>
    Effect.gen(function* () {
      const compiled = compileWhere(model, where)
      if (compiled instanceof ValidationError) return yield* compiled
      return yield* driver.count(model, scopeOf(model, accountId), [...compiled, ...extraWhere])
    })

  /** A change-feed cursor of an account at sequence `seq` (what `changesSince` answers and reads). */
  const changeCursor = (accountId: string, seq: number): string => encodeCursor(changesQuery(accountId), [seq])

  /** What changed in an account (and the global catalogues) after a cursor. */
  const changesSince = (accountId: string, cursor: string | undefined, limit = 1000): Effect.Effect<ChangesPage, ValidationError | StorageError> =>
    Effect.gen(function* () {
      let after = 0
      if (cursor !== undefined) {
        const decoded = decodeCursor(cursor, changesQuery(accountId))
        if (decoded instanceof ValidationError) return yield* decoded
        const [seq] = decoded
        if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return yield* ValidationError.at(["cursor"], "not a change cursor")
        after = seq
      }
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return yield* ValidationError.at(["limit"], `expected an integer from 1 to ${MAX_LIMIT}`)
      const changes = yield* driver.changesSince(accountId, after, limit)
      const last = changes[changes.length - 1]
      return {
        changes: changes.map(({ model, id, deleted, version, seq }) => ({ model, id, deleted, version, seq })),
        cursor: changeCursor(accountId, last === undefined ? after : last.seq)
      }
    })
  /**
   * A cursor of `changesSince` at the head of the account's change feed (see
   * `StoreDriver.feedHead`): what changes after it answers is what is committed after this call.
   * `undefined` where the store cannot tell its head.
   */
  const feedHead = (accountId: string): Effect.Effect<string | undefined, StorageError> =>
    driver.feedHead === undefined ? Effect.succeed(undefined) : Effect.map(driver.feedHead(accountId), (head) => changeCursor(accountId, head))

  return { get, getMany, list, listEach, subtree, subtreeFrom, count, changesSince, feedHead, planList, pageOf }
}

/**
 * Every item of a paged listing: calls `load` with each page's cursor (none for the first) until
 * the last page. For work that must see a whole set; stream page by page where memory matters.
 */
export const allPages = <T, E, R>(load: (cursor: string | undefined) => Effect.Effect<ResultPage<T>, E, R>): Effect.Effect<ReadonlyArray<T>, E, R> =>
  Effect.gen(function* () {
    const out: Array<T> = []
    let cursor: string | undefined
    do {
      const page = yield* load(cursor)
      for (const item of page.items) out.push(item)
      cursor = page.cursor
    } while (cursor !== undefined)
    return out
  })

/** Page size of the listings that must read a whole set (the largest page a listing takes). */
export const PAGE_SIZE = MAX_LIMIT

/** Values per `in` condition when a set of ids is looked up in chunks. */
export const IN_CHUNK = 500

/** `items` in consecutive slices of at most `size`. */
export const chunksOf = <T>(items: ReadonlyArray<T>, size: number): ReadonlyArray<ReadonlyArray<T>> => {
  const out: Array<ReadonlyArray<T>> = []
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size))
  return out
}

/** The options of a whole-set read: a listing's, without the page size and cursor it sets itself. */
export type WholeSetOptions = Omit<ListOptions, "limit" | "cursor">

/**
 * The options a whole-set read gives each page's listing: the caller's `O` (so the listing's items
 * are typed by them, see {@link Listed}), with the page size and the cursor.
 */
export type PageOptions<O extends WholeSetOptions> = O & { readonly limit: number; readonly cursor?: string }

/**
 * Every item of a listing, read in pages of {@link PAGE_SIZE}: `list` is one page of any listing
 * (a repository's, `Records`', a service's) for the given options. The items are typed by the
 * options as the listing types them: whole records without `select`, with a literal `select` the
 * selected fields and `id`.
 */
export const listAll = <T, E, R, const O extends WholeSetOptions = NoListOptions>(
  list: (options: PageOptions<O>) => Effect.Effect<ResultPage<T>, E, R>,
  options?: O
): Effect.Effect<ReadonlyArray<T>, E, R> => allPages((cursor) => list({ ...(options as O), limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) }))

/**
 * Every item whose `field` is one of `values`, looked up in chunks of {@link IN_CHUNK} distinct
 * values (each chunk listed whole, chunk after chunk, in the order of the values' first
 * appearance), with the options' other conditions and order.
 */
export const findIn = <T, E, R, const O extends WholeSetOptions = NoListOptions>(
  list: (options: PageOptions<O>) => Effect.Effect<ResultPage<T>, E, R>,
  field: string,
  values: ReadonlyArray<unknown>,
  options?: O
): Effect.Effect<ReadonlyArray<T>, E, R> =>
  Effect.map(
    Effect.forEach(chunksOf([...new Set(values)], IN_CHUNK), (chunk) =>
      // `O` types the items by its `select` alone, which the added `in` condition leaves as it is.
      listAll(list, { ...options, where: [...(options?.where ?? []), { field, op: "in", value: chunk }] } as unknown as O)
    ),
    (pages) => pages.flat()
  )

/**
 * Every item of a paged listing as an async iterable, for the Promise API: calls `load` with each
 * page's cursor (none for the first) as the loop reaches the end of the previous page, so only one
 * page is held at a time; a `break` stops before the next page is read.
 *
 * ```ts
 * for await (const unit of eachItem((cursor) => admin.orgUnits.descendants(id, { cursor }))) console.log(unit.name)
 * ```
 */
export async function* eachItem<T>(load: (cursor: string | undefined) => Promise<ResultPage<T>>): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined
  do {
    const page = await load(cursor)
    yield* page.items
    cursor = page.cursor
  } while (cursor !== undefined)
}
