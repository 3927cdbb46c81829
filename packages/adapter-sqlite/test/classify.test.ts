/**
 * How SQLite driver errors are classified (`sqliteDialect.classify` in @iaso/sql): what a unique
 * key refused (the columns read from the message) or which StorageError reason, and whether a retry
 * may help. Fake errors shaped as better-sqlite3 throws them cover every branch; the same errors
 * raised by a real database check that the fakes hold what better-sqlite3 gives. (store.test.ts
 * checks the same failures through the store's API.)
 */
import { StorageError } from "@iaso/core"
import { sqliteDialect } from "@iaso/sql"
import Database from "better-sqlite3"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

/** An error as better-sqlite3 throws it: an Error with SQLite's extended result code. */
const sqliteError = (code: string, message: string): Error => Object.assign(new Error(message), { code })

/** The classification of an error that is a StorageError, as plain values. */
const storage = (error: unknown) => {
  const classified = sqliteDialect.classify(error)
  expect(classified).toBeInstanceOf(StorageError)
  const { reason, retryable, message, cause } = classified as StorageError
  expect(cause).toBe(error)
  return { reason, retryable, message }
}

describe("SQLite errors are classified (fake driver errors)", () => {
  it("a unique or primary key refusal is a duplicate with the columns of the message", () => {
    expect(sqliteDialect.classify(sqliteError("SQLITE_CONSTRAINT_UNIQUE", "UNIQUE constraint failed: OrgUnit.accountId, OrgUnit.code"))).toEqual({
      _tag: "Duplicate",
      constraint: undefined,
      columns: ["accountId", "code"]
    })
    expect(sqliteDialect.classify(sqliteError("SQLITE_CONSTRAINT_PRIMARYKEY", "UNIQUE constraint failed: OrgUnit.id"))).toEqual({
      _tag: "Duplicate",
      constraint: "id",
      columns: ["id"]
    })
  })

  const locked = "the SQLite database is locked by another connection: database is locked"
  const damaged = "the SQLite file is damaged or not a database: "
  /** Code, the driver's message, then the StorageError's reason, retry rule and message (the driver's when absent). */
  const cases: ReadonlyArray<readonly [string, string, StorageError["reason"], boolean, string?]> = [
    ["SQLITE_BUSY", "database is locked", "unavailable", true, locked],
    ["SQLITE_BUSY_SNAPSHOT", "database is locked", "unavailable", true, locked],
    ["SQLITE_BUSY_TIMEOUT", "database is locked", "unavailable", true, locked],
    ["SQLITE_LOCKED", "database is locked", "unavailable", true, locked],
    ["SQLITE_LOCKED_SHAREDCACHE", "database is locked", "unavailable", true, locked],
    ["SQLITE_CORRUPT", "database disk image is malformed", "corrupt", false, `${damaged}database disk image is malformed`],
    ["SQLITE_CORRUPT_INDEX", "database disk image is malformed", "corrupt", false, `${damaged}database disk image is malformed`],
    ["SQLITE_NOTADB", "file is not a database", "corrupt", false, `${damaged}file is not a database`],
    ["SQLITE_CONSTRAINT_FOREIGNKEY", "FOREIGN KEY constraint failed", "constraint", false],
    ["SQLITE_CONSTRAINT_NOTNULL", "NOT NULL constraint failed: OrgUnit.name", "constraint", false],
    ["SQLITE_CONSTRAINT_CHECK", "CHECK constraint failed: depth >= 0", "constraint", false],
    ["SQLITE_CONSTRAINT", "constraint failed", "constraint", false],
    ["SQLITE_FULL", "database or disk is full", "unavailable", false],
    ["SQLITE_IOERR", "disk I/O error", "unavailable", false],
    ["SQLITE_IOERR_WRITE", "disk I/O error", "unavailable", false],
    ["SQLITE_CANTOPEN", "unable to open database file", "unavailable", false],
    ["SQLITE_READONLY", "attempt to write a readonly database", "unavailable", false],
    ["SQLITE_READONLY_DBMOVED", "attempt to write a readonly database", "unavailable", false],
    ["SQLITE_ERROR", "no such table: OrgUnit", "unknown", false]
  ]
  for (const [code, message, reason, retryable, stored] of cases) {
    it(`${code} (${message}) is ${reason}, ${retryable ? "retryable" : "not retryable"}`, () => {
      expect(storage(sqliteError(code, message))).toEqual({ reason, retryable, message: stored ?? message })
    })
  }

  it("an error without code or a thrown value is unknown, not retryable", () => {
    expect(storage(new Error("statement is closed"))).toEqual({ reason: "unknown", retryable: false, message: "statement is closed" })
    expect(storage("boom")).toEqual({ reason: "unknown", retryable: false, message: "boom" })
    expect(storage(null)).toEqual({ reason: "unknown", retryable: false, message: "null" })
  })

  it("a plain object is classified by its code too", () => {
    expect(storage({ code: "SQLITE_BUSY" })).toEqual({
      reason: "unavailable",
      retryable: true,
      message: "the SQLite database is locked by another connection: [object Object]"
    })
  })
})

describe("SQLite errors are classified (a real database)", () => {
  const dir = mkdtempSync(join(tmpdir(), "iaso-sqlite-classify-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const thrown = (run: () => unknown): unknown => {
    try {
      run()
    } catch (error) {
      return error
    }
    throw new Error("the statement did not fail")
  }

  it("unique and primary key refusals name their columns; a NOT NULL refusal is a constraint error", () => {
    const db = new Database(":memory:")
    try {
      db.exec('CREATE TABLE "Pair" ("id" TEXT PRIMARY KEY, "accountId" TEXT, "code" TEXT NOT NULL, UNIQUE ("accountId", "code"))')
      db.prepare('INSERT INTO "Pair" VALUES (?, ?, ?)').run("p1", "a", "c")
      expect(sqliteDialect.classify(thrown(() => db.prepare('INSERT INTO "Pair" VALUES (?, ?, ?)').run("p2", "a", "c")))).toEqual({
        _tag: "Duplicate",
        constraint: undefined,
        columns: ["accountId", "code"]
      })
      expect(sqliteDialect.classify(thrown(() => db.prepare('INSERT INTO "Pair" VALUES (?, ?, ?)').run("p1", "b", "c")))).toEqual({
        _tag: "Duplicate",
        constraint: "id",
        columns: ["id"]
      })
      expect(storage(thrown(() => db.prepare('INSERT INTO "Pair" VALUES (?, ?, ?)').run("p3", "a", null)))).toEqual({
        reason: "constraint",
        retryable: false,
        message: "NOT NULL constraint failed: Pair.code"
      })
    } finally {
      db.close()
    }
  })

  it("a write while another connection holds the write lock is unavailable and retryable", () => {
    const file = join(dir, "busy.sqlite")
    const holder = new Database(file)
    const writer = new Database(file)
    try {
      writer.pragma("busy_timeout = 0")
      holder.exec("CREATE TABLE t (v INTEGER)")
      holder.exec("BEGIN IMMEDIATE")
      const error = thrown(() => writer.exec("INSERT INTO t VALUES (1)"))
      expect((error as { readonly code?: unknown }).code).toBe("SQLITE_BUSY")
      expect(storage(error)).toEqual({
        reason: "unavailable",
        retryable: true,
        message: "the SQLite database is locked by another connection: database is locked"
      })
    } finally {
      holder.exec("ROLLBACK")
      holder.close()
      writer.close()
    }
  })
})
