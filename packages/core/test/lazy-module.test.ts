import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { NotFound, StorageError } from "../src/shared/errors.ts"
import { lazyModule, lazyService } from "../src/shared/lazy-module.ts"

describe("lazyModule", () => {
  it("imports a module once, for every caller, and gives it without a promise once loaded", async () => {
    let imports = 0
    const load = lazyModule("the answer", () => {
      imports += 1
      return Promise.resolve({ answer: 42 })
    })
    expect(imports).toBe(0)
    const [a, b] = await Effect.runPromise(Effect.all([load, load], { concurrency: 2 }))
    expect([a?.answer, b?.answer, imports]).toEqual([42, 42, 1])
    // Loaded: the module comes back synchronously.
    expect(Effect.runSync(load)).toEqual({ answer: 42 })
    expect(imports).toBe(1)
  })

  it("a failed import is a retryable StorageError, and the next run imports again", async () => {
    let imports = 0
    const failure = new TypeError("Failed to fetch dynamically imported module")
    const load = lazyModule("the XLSForm reader", () => {
      imports += 1
      return imports === 1 ? Promise.reject(failure) : Promise.resolve({ read: "xlsform" })
    })
    const error = await Effect.runPromise(Effect.flip(load))
    expect(error).toBeInstanceOf(StorageError)
    expect({ tag: error._tag, reason: error.reason, retryable: error.retryable, message: error.message, cause: error.cause }).toEqual({
      tag: "StorageError",
      reason: "unavailable",
      retryable: true,
      message: "could not load the XLSForm reader",
      cause: failure
    })
    expect(await Effect.runPromise(load)).toEqual({ read: "xlsform" })
    expect(imports).toBe(2)
  })

  it("loads a real module of the package by a dynamic import", async () => {
    const load = lazyModule("the version comparison CSV writer", () => import("../src/registry/version-diff-csv.ts"))
    const module = await Effect.runPromise(load)
    expect(typeof module.versionDiffCsv).toBe("function")
  })
})

describe("lazyService", () => {
  interface Counter {
    readonly add: (n: number) => Effect.Effect<number, StorageError>
    readonly get: (name: string) => Effect.Effect<number, NotFound | StorageError>
  }

  it("makes the implementation on the first call, once, and forwards every call and its failures to it", async () => {
    let made = 0
    let total = 0
    const counter = lazyService<Counter>(
      "the counter",
      () => {
        made += 1
        return Promise.resolve({
          add: (n) => Effect.sync(() => (total += n)),
          get: (name) => (name === "total" ? Effect.succeed(total) : Effect.fail(NotFound.of("Counter", name)))
        })
      },
      { add: true, get: true }
    )
    expect(made).toBe(0)
    expect(await Effect.runPromise(Effect.all([counter.add(2), counter.add(3)], { concurrency: 2 }))).toHaveLength(2)
    expect(await Effect.runPromise(counter.get("total"))).toBe(5)
    const missing = await Effect.runPromise(Effect.flip(counter.get("other")))
    expect([missing._tag, made]).toEqual(["NotFound", 1])
  })

  it("a call whose module cannot be loaded fails with a retryable StorageError; the next call loads again", async () => {
    let loads = 0
    const counter = lazyService<Counter>(
      "the counter",
      () => {
        loads += 1
        return loads === 1
          ? Promise.reject(new TypeError("Failed to fetch dynamically imported module"))
          : Promise.resolve({ add: Effect.succeed, get: () => Effect.succeed(0) })
      },
      { add: true, get: true }
    )
    const error = await Effect.runPromise(Effect.flip(counter.add(1)))
    expect({ tag: error._tag, retryable: error instanceof StorageError && error.retryable, message: error.message }).toEqual({
      tag: "StorageError",
      retryable: true,
      message: "could not load the counter"
    })
    expect([await Effect.runPromise(counter.add(7)), loads]).toEqual([7, 2])
  })
})
