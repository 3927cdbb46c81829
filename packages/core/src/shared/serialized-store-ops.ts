/**
 * The store port's compound operations (`exists`, `queryMany`, `writeAll`, `increment`) for a store whose
 * writers are serialised (`concurrentWriters: false`: memory, IndexedDB), derived from its
 * primitives: a read and a versioned write in one of its transactions are one step no other writer
 * can interleave. A store with concurrent writers (SQL) implements them in its own statements.
 * @module
 */
import { Effect } from "effect"
import { StorageError } from "./errors.ts"
import type { StoreDriver } from "./store.ts"

/**
 * `exists`, `queryMany`, `writeAll` and `increment` over `driver`'s reads and writes (the
 * queries one after the other, as their store answers each in memory or in one request).
 */
export const serializedStoreOps = (
  driver: Pick<StoreDriver, "getMany" | "query" | "write">,
  transaction: StoreDriver["transaction"]
): Pick<StoreDriver, "exists" | "queryMany" | "writeAll" | "increment"> => ({
  exists: (requests) =>
    Effect.forEach(requests, (request) =>
      request.ids.length === 0
        ? Effect.succeed([])
        : Effect.map(driver.getMany(request.model, request.scope, request.ids), (rows) => rows.map((row) => String(row["id"])))
    ),
  queryMany: (model, scope, queries) => Effect.forEach(queries, (query) => driver.query(model, scope, query)),
  writeAll: (writes) => transaction(Effect.forEach(writes, (w) => driver.write(w.model, w.scope, w.ops))),
  increment: (model, scope, id, field, by, updatedAt) =>
    transaction(
      Effect.gen(function* () {
        const [row] = yield* driver.getMany(model, scope, [id])
        if (row === undefined) return undefined
        const value = Number(row[field] ?? 0) + by
        const version = Number(row["version"])
        const [outcome] = yield* driver.write(model, scope, [
          { kind: "update", row: { ...row, [field]: value, version: version + 1, updatedAt }, expectedVersion: version }
        ])
        if (outcome?._tag !== "Written") {
          return yield* new StorageError({ reason: "serialization", retryable: true, message: `${model.name} ${id} changed while incremented` })
        }
        return value
      })
    )
})
