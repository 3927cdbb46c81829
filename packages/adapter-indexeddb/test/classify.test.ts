/**
 * How IndexedDB failures are classified (`storageError` in src/idb.ts): a DOMException by name
 * becomes a StorageError reason, retryable or not, with a message saying what the store was doing.
 * Fake DOMExceptions cover every name; fake-indexeddb's own ConstraintError and AbortError check
 * them against real ones. (store.test.ts raises blocked upgrades, deleted databases and aborted
 * commits through the store's API; the conformance suite runs on Chromium's IndexedDB.)
 */
import "fake-indexeddb/auto"
import { StorageError } from "@iaso/core"
import { IDBFactory } from "fake-indexeddb"
import { describe, expect, it } from "vitest"
import { committed, promised, storageError } from "../src/idb.ts"

/** The classification of a failure while writing, as plain values. */
const classified = (error: unknown) => {
  const result = storageError(error, "writing")
  expect(result).toBeInstanceOf(StorageError)
  expect(result.cause).toBe(error)
  return { reason: result.reason, retryable: result.retryable, message: result.message }
}

const failure = (name: string, message: string) => new DOMException(message, name)

describe("IndexedDB failures are classified (fake DOMExceptions)", () => {
  it("each DOMException name has its reason and retry rule", () => {
    const expected: ReadonlyArray<readonly [string, string, string, boolean, string]> = [
      ["ConstraintError", "Key already exists in the object store.", "constraint", false, ""],
      ["QuotaExceededError", "The quota has been exceeded.", "unavailable", false, " (the origin's storage quota is full)"],
      ["InvalidStateError", "The database connection is closing.", "unavailable", false, " (the database connection is closed)"],
      ["TimeoutError", "The operation timed out.", "timeout", true, ""],
      ["AbortError", "The transaction was aborted.", "serialization", true, ""],
      ["TransactionInactiveError", "The transaction is not active.", "serialization", true, ""],
      ["UnknownError", "An unknown error occurred within Indexed Database.", "unknown", true, ""],
      ["NotFoundError", "No objectStore named OrgUnit in this database", "corrupt", false, ""],
      ["DataError", "Data provided to an operation does not meet requirements.", "corrupt", false, ""],
      ["DataCloneError", "The data being stored could not be cloned.", "corrupt", false, ""],
      ["VersionError", "The requested version is less than the existing version.", "unavailable", false, ""]
    ]
    for (const [name, message, reason, retryable, suffix] of expected) {
      expect(classified(failure(name, message)), name).toEqual({ reason, retryable, message: `IndexedDB failed while writing: ${name}: ${message}${suffix}` })
    }
  })

  it("another error is unknown, not retryable; a thrown string keeps its text; a StorageError passes through", () => {
    expect(classified(new TypeError("cannot read properties of undefined"))).toEqual({
      reason: "unknown",
      retryable: false,
      message: "IndexedDB failed while writing: TypeError: cannot read properties of undefined"
    })
    expect(classified("boom")).toEqual({ reason: "unknown", retryable: false, message: "IndexedDB failed while writing: boom" })
    const already = new StorageError({ reason: "timeout", retryable: true, message: "already classified" })
    expect(storageError(already, "writing")).toBe(already)
  })

  it("an object with a name (not a DOMException) is classified by its name too", () => {
    expect(classified({ name: "QuotaExceededError", message: "full" })).toEqual({
      reason: "unavailable",
      retryable: false,
      message: "IndexedDB failed while writing: QuotaExceededError: full (the origin's storage quota is full)"
    })
  })
})

describe("IndexedDB failures are classified (fake-indexeddb)", () => {
  const open = (factory: IDBFactory): Promise<IDBDatabase> => {
    const request = factory.open("classify", 1)
    request.onupgradeneeded = () => request.result.createObjectStore("items")
    return promised(request)
  }

  it("adding a key twice is a ConstraintError: a constraint error; an aborted transaction is an AbortError: retryable serialization", async () => {
    const db = await open(new IDBFactory())
    try {
      const tx = db.transaction(["items"], "readwrite")
      const done = committed(tx).then(
        () => undefined,
        (error: unknown) => error
      )
      const store = tx.objectStore("items")
      store.add(1, "k")
      const duplicate = await promised(store.add(2, "k")).then(
        () => undefined,
        (error: unknown) => error
      )
      expect((duplicate as DOMException).name).toBe("ConstraintError")
      expect(classified(duplicate)).toEqual({
        reason: "constraint",
        retryable: false,
        message: `IndexedDB failed while writing: ConstraintError: ${(duplicate as DOMException).message}`
      })
      // The failed request aborts its transaction.
      const aborted = await done
      expect((aborted as DOMException).name).toBe("ConstraintError")

      const second = db.transaction(["items"], "readwrite")
      const abort = committed(second).then(
        () => undefined,
        (error: unknown) => error
      )
      second.objectStore("items").put(3, "j")
      second.abort()
      const error = await abort
      expect((error as DOMException).name).toBe("AbortError")
      expect(classified(error)).toEqual({
        reason: "serialization",
        retryable: true,
        message: `IndexedDB failed while writing: AbortError: ${(error as DOMException).message}`
      })
    } finally {
      db.close()
    }
  })
})
