/**
 * The store port's compound operations (`exists`, `writeAll`, `increment`) for a store whose
 * writers are serialised (`concurrentWriters: false`: memory, IndexedDB), derived from its
 * primitives: a read and a versioned write in one of its transactions are one step no other writer
 * can interleave. A store with concurrent writers (SQL) implements them in its own statements.
 * @module
 */
import { Effect } from "effect"
import { StorageError } from "./errors.ts"
import type { StoreDriver } from "./store.ts"

/** `exists`, `writeAll` and `increment` over `driver`'s reads and writes, each run in `transaction`. */
export const serializedStoreOps = (
  driver: Pick<StoreDriver, "getMany" | "write">,
  transaction: StoreDriver["transaction"]
): Pick<StoreDriver, "exists" | "writeAll" | "increment"> => ({
  exists: (requests) =>
    Effect.forEach(requests, (request) =>
      request.ids.length === 0
        ? Effect.succeed([])
        : Effect.map(driver.getMany(request.model, request.scope, request.ids), (rows) => rows.map((row) => String(row["id"])))
    ),
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
