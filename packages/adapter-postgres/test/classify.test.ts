/**
 * How PostgreSQL driver errors are classified (`postgresDialect.classify` in @iaso/sql): which
 * unique key refused a write, or which StorageError reason, and whether a retry may help. Fake
 * errors shaped as pg and PGlite throw them (an Error with the SQLSTATE `code`) cover every branch;
 * a refused connection is a real one. (store.test.ts raises deadlocks, serialization failures,
 * terminated connections and deferred foreign keys on a real server; the conformance suite's unique
 * scenarios raise PGlite's and the server's unique violations.)
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { StorageError, Store } from "@iaso/core"
import { postgresDialect } from "@iaso/sql"
import { Cause, Effect, Exit, ManagedRuntime } from "effect"
import { describe, expect, it } from "vitest"

/** An error as pg and PGlite throw it: an Error with the SQLSTATE code (and the constraint, when there is one). */
const pgError = (code: string, message: string, extra: { readonly constraint?: string } = {}): Error => Object.assign(new Error(message), { code, ...extra })

/** The classification of an error that is a StorageError, as plain values. */
const storage = (error: unknown) => {
  const classified = postgresDialect.classify(error)
  expect(classified).toBeInstanceOf(StorageError)
  const { reason, retryable, message, cause } = classified as StorageError
  expect(cause).toBe(error)
  return { reason, retryable, message }
}

describe("PostgreSQL errors are classified (fake driver errors)", () => {
  it("a unique violation is a duplicate naming its constraint (a primary key is the id)", () => {
    const message = 'duplicate key value violates unique constraint "org_unit_code_unique"'
    expect(postgresDialect.classify(pgError("23505", message, { constraint: "org_unit_code_unique" }))).toEqual({ _tag: "Duplicate", constraint: "org_unit_code_unique", columns: [] })
    expect(postgresDialect.classify(pgError("23505", message, { constraint: "OrgUnit_pkey" }))).toEqual({ _tag: "Duplicate", constraint: "id", columns: [] })
    expect(postgresDialect.classify(pgError("23505", message))).toEqual({ _tag: "Duplicate", constraint: undefined, columns: [] })
  })

  it("a serialization failure or a deadlock is a retryable serialization error", () => {
    expect(storage(pgError("40001", "could not serialize access due to read/write dependencies among transactions"))).toEqual({
      reason: "serialization",
      retryable: true,
      message: "the transaction conflicted with another one (serialization failure): could not serialize access due to read/write dependencies among transactions"
    })
    expect(storage(pgError("40P01", "deadlock detected"))).toEqual({
      reason: "serialization",
      retryable: true,
      message: "the transaction conflicted with another one (deadlock): deadlock detected"
    })
  })

  it("a cancelled statement (statement timeout) is a retryable timeout", () => {
    expect(storage(pgError("57014", "canceling statement due to statement timeout"))).toEqual({
      reason: "timeout",
      retryable: true,
      message: "canceling statement due to statement timeout"
    })
  })

  it("a lost connection (SQLSTATE class 08, an administrator's shutdown or termination, pg's own messages) is unavailable and retryable", () => {
    const lost = (message: string) => ({ reason: "unavailable", retryable: true, message: `the PostgreSQL connection was lost: ${message}` })
    for (const [code, message] of [
      ["08006", "connection failure"],
      ["08001", "could not connect to server"],
      ["08P01", "protocol violation"],
      ["57P01", "terminating connection due to administrator command"],
      ["57P02", "terminating connection due to crash of another server process"],
      ["57P03", "the database system is starting up"]
    ] as const) {
      expect(storage(pgError(code, message)), code).toEqual(lost(message))
    }
    for (const message of ["Connection terminated unexpectedly", "Client has encountered a connection error and is not queryable", "connect ECONNREFUSED 127.0.0.1:5432", "read ECONNRESET"]) {
      expect(storage(new Error(message)), message).toEqual(lost(message))
    }
  })

  it("other integrity violations (foreign key, not null, check) are constraint errors, not retryable", () => {
    for (const [code, message] of [
      ["23503", 'insert or update on table "OrgUnit" violates foreign key constraint "OrgUnit_parentId_fkey"'],
      ["23502", 'null value in column "name" of relation "OrgUnit" violates not-null constraint'],
      ["23514", 'new row for relation "OrgUnit" violates check constraint "depth_check"']
    ] as const) {
      expect(storage(pgError(code, message)), code).toEqual({ reason: "constraint", retryable: false, message })
    }
  })

  it("data or index corruption is corrupt, not retryable", () => {
    expect(storage(pgError("XX001", "invalid page in block 7 of relation base/16384/16385"))).toEqual({
      reason: "corrupt",
      retryable: false,
      message: "invalid page in block 7 of relation base/16384/16385"
    })
    expect(storage(pgError("XX002", 'index "OrgUnit_pkey" contains unexpected zero page')).reason).toBe("corrupt")
  })

  it("anything else is unknown, not retryable: another SQLSTATE, an error without code, a thrown string", () => {
    expect(storage(pgError("42P01", 'relation "OrgUnit" does not exist'))).toEqual({ reason: "unknown", retryable: false, message: 'relation "OrgUnit" does not exist' })
    expect(storage(new Error("syntax error"))).toEqual({ reason: "unknown", retryable: false, message: "syntax error" })
    expect(storage("boom")).toEqual({ reason: "unknown", retryable: false, message: "boom" })
  })

  it("a plain object is classified by its code too", () => {
    expect(storage({ code: "40001" })).toEqual({
      reason: "serialization",
      retryable: true,
      message: "the transaction conflicted with another one (serialization failure): [object Object]"
    })
  })
})

describe("PostgreSQL errors are classified (a refused connection)", () => {
  it("a server that refuses the connection makes the store unavailable, retryable", async () => {
    const runtime = ManagedRuntime.make(PostgresStore.layer({ connectionString: "postgres://postgres@127.0.0.1:1/none", maxConnections: 1 }))
    const exit = await runtime.runPromiseExit(Effect.service(Store))
    await runtime.dispose()
    const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
    expect(error).toBeInstanceOf(StorageError)
    const { reason, retryable, message } = error as StorageError
    expect({ reason, retryable, message }).toEqual({ reason: "unavailable", retryable: true, message: "the PostgreSQL connection was lost: connect ECONNREFUSED 127.0.0.1:1" })
  })
})
