/**
 * Reading a whole set of stored rows page by page: keyset pages by id, straight from the store
 * port, for work that must see every row of a scope (sync's checksums and repairs) without
 * holding them all at once.
 * @module
 */
import { Effect } from "effect"
import type { StorageError } from "./errors.ts"
import type { ModelMeta, Row } from "./model.ts"
import type { Condition } from "./query.ts"
import type { StoreDriver, StoreScope } from "./store.ts"

/** Rows read per statement by {@link eachRowPage}. */
export const ROW_PAGE = 2000

/**
 * Calls `onRows` with every stored row of `model` in `scope` meeting `where`, in pages of
 * {@link ROW_PAGE} in id order (only `select`'s columns, with `id`, when given), until the rows
 * run out or `onRows` answers `"stop"`.
 */
export const eachRowPage = <E, R>(
  driver: StoreDriver,
  model: ModelMeta,
  scope: StoreScope,
  options: { readonly where?: ReadonlyArray<Condition>; readonly select?: ReadonlyArray<string> },
  onRows: (rows: ReadonlyArray<Row>) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, StorageError | E, R> =>
  Effect.gen(function* () {
    let after: string | undefined
    for (;;) {
      const rows = yield* driver.query(model, scope, {
        where: options.where ?? [],
        orderBy: [{ field: "id", direction: "asc" }],
        limit: ROW_PAGE,
        ...(options.select === undefined ? {} : { select: ["id", ...options.select.filter((column) => column !== "id")] }),
        ...(after === undefined ? {} : { after: [after] })
      })
      if ((yield* onRows(rows)) === "stop") return
      const last = rows[rows.length - 1]
      if (last === undefined || rows.length < ROW_PAGE) return
      after = String(last["id"])
    }
  })
