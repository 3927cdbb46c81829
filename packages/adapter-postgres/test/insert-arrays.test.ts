import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { Accounts, importRecords, OrgUnitModel, type Store } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, describe, expect, it } from "vitest"

/**
 * Inserts send each column as one array literal (or one value when every row has it): names that
 * JSON and PostgreSQL's array syntax escape differently must come back as they were written.
 */
const plain = ['quote " and backslash \\ here', "\\", '"', "NULL", "null", "{braces}, commas", "  spaced  ", "Ségou 🏥 «clinic»"]
/** Names JSON escapes in a way PostgreSQL's array syntax does not read back (the driver serialises those columns). */
const escaped = ["new\nline", "tab\there", "control \u0001 \u001f", "back\\nslash-n"]
/** The first chunk (70 rows: the bulk statement) only plain names, the second (30: the statement of a few rows) both kinds. */
const nameOf = (i: number) => (i < 70 ? plain[i % plain.length] : i % 2 === 0 ? escaped[i % escaped.length] : plain[i % plain.length]) ?? ""

const roundTrip = async (store: Layer.Layer<Store, unknown>) => {
  const app = ManagedRuntime.make(IasoWithRepos.layer.pipe(Layer.provideMerge(store)))
  try {
    return await app.runPromise(
      Effect.gen(function* () {
        const { account, version } = yield* Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: "arrays" }))
        // Chunks of 70 and 30 (a statement of a few rows takes 64 at most), with columns of one value.
        const ids = Array.from({ length: 100 }, (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, "0")}`)
        const records = ids.map((id, i) => ({
          id,
          name: nameOf(i),
          custom: false,
          extraFields: {},
          versionId: version.id,
          validationStatus: "VALID" as const,
          path: `${id}/`,
          depth: 1,
          code: i % 2 === 0 ? "" : `c${i}`,
          ...(i % 3 === 0 ? { location: { type: "Point" as const, coordinates: [i / 7 + 1, -(i + 1) / 3, 0] as [number, number, number] } } : {})
        }))
        yield* importRecords(OrgUnitModel, account.id, records, { chunkSize: 70 })
        const repos = yield* Repos
        const read = yield* Effect.forEach(ids, (id) => repos.get(OrgUnitModel, account.id, id as never))
        return read.map((unit) => [unit.name, unit.code, unit.location?.coordinates ?? null])
      })
    )
  } finally {
    await app.dispose()
  }
}

const expected = Array.from({ length: 100 }, (_, i) => [nameOf(i), i % 2 === 0 ? "" : `c${i}`, i % 3 === 0 ? [i / 7 + 1, -(i + 1) / 3, 0] : null])

describe("inserts on PostgreSQL", () => {
  it("keep text with quotes, backslashes, control characters and braces, and numbers exactly (PGlite)", async () => {
    expect(await roundTrip(PGliteStore.layer({}))).toEqual(expected)
  })
  const url = process.env["DATABASE_URL"] ?? ""
  if (url === "") it.skip("(on a PostgreSQL server: set DATABASE_URL)", () => undefined)
  else {
    const db = freshSchema(url, { label: "arrays" })
    afterAll(db.drop)
    it("keep text with quotes, backslashes, control characters and braces, and numbers exactly (server)", async () => {
      expect(await roundTrip(PostgresStore.layer({ pool: db.pool, schema: db.schema }))).toEqual(expected)
    })
  }
})
