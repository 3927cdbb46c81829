import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { StorageError } from "../src/shared/errors.ts"
import { lazyModule } from "../src/shared/lazy-module.ts"

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
