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
    expect(postgresDialect.classify(pgError("23505", message, { constraint: "org_unit_code_unique" }))).toEqual({
      _tag: "Duplicate",
      constraint: "org_unit_code_unique",
      columns: []
    })
    expect(postgresDialect.classify(pgError("23505", message, { constraint: "OrgUnit_pkey" }))).toEqual({ _tag: "Duplicate", constraint: "id", columns: [] })
    expect(postgresDialect.classify(pgError("23505", message))).toEqual({ _tag: "Duplicate", constraint: undefined, columns: [] })
  })

  const conflicted = "the transaction conflicted with another one"
  const lost = "the PostgreSQL connection was lost: "
  /** SQLSTATE code, the driver's message, then the StorageError's reason, retry rule and message (the driver's when absent). */
  const cases: ReadonlyArray<readonly [string, string, StorageError["reason"], boolean, string?]> = [
    [
      "40001",
      "could not serialize access due to concurrent update",
      "serialization",
      true,
      `${conflicted} (serialization failure): could not serialize access due to concurrent update`
    ],
    ["40P01", "deadlock detected", "serialization", true, `${conflicted} (deadlock): deadlock detected`],
    ["57014", "canceling statement due to statement timeout", "timeout", true],
    ["08006", "connection failure", "unavailable", true, `${lost}connection failure`],
    ["08001", "could not connect to server", "unavailable", true, `${lost}could not connect to server`],
    ["08P01", "protocol violation", "unavailable", true, `${lost}protocol violation`],
    ["57P01", "terminating connection due to administrator command", "unavailable", true, `${lost}terminating connection due to administrator command`],
    [
      "57P02",
      "terminating connection due to crash of another server process",
      "unavailable",
      true,
      `${lost}terminating connection due to crash of another server process`
    ],
    ["57P03", "the database system is starting up", "unavailable", true, `${lost}the database system is starting up`],
    ["23503", 'insert or update on table "OrgUnit" violates foreign key constraint "OrgUnit_parentId_fkey"', "constraint", false],
    ["23502", 'null value in column "name" of relation "OrgUnit" violates not-null constraint', "constraint", false],
    ["23514", 'new row for relation "OrgUnit" violates check constraint "depth_check"', "constraint", false],
    ["XX001", "invalid page in block 7 of relation base/16384/16385", "corrupt", false],
    ["XX002", 'index "OrgUnit_pkey" contains unexpected zero page', "corrupt", false],
    ["42P01", 'relation "OrgUnit" does not exist', "unknown", false]
  ]
  for (const [code, message, reason, retryable, stored] of cases) {
    it(`${code} (${message}) is ${reason}, ${retryable ? "retryable" : "not retryable"}`, () => {
      expect(storage(pgError(code, message))).toEqual({ reason, retryable, message: stored ?? message })
    })
  }

  it("pg's own messages of a lost connection (no SQLSTATE) are unavailable and retryable", () => {
    for (const message of [
      "Connection terminated unexpectedly",
      "Client has encountered a connection error and is not queryable",
      "connect ECONNREFUSED 127.0.0.1:5432",
      "read ECONNRESET"
    ]) {
      expect(storage(new Error(message)), message).toEqual({ reason: "unavailable", retryable: true, message: `${lost}${message}` })
    }
  })

  it("an error without code or a thrown value is unknown, not retryable", () => {
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
    expect({ reason, retryable, message }).toEqual({
      reason: "unavailable",
      retryable: true,
      message: "the PostgreSQL connection was lost: connect ECONNREFUSED 127.0.0.1:1"
    })
  })
})
