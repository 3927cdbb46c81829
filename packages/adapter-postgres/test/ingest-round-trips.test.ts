/**
 * The round trips of one upload's ingestion on a PostgreSQL server, counted on the store's one
 * connection: what a new submission sends once its device and the account's block of correlation
 * values exist (the reads of its checks, one read of a stored submission by current id or first
 * uuid, its device, then its transaction: one statement for its writes and its change sequences).
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import { Accounts, Actor, BlobStore, CurrentActor, FormModel, FormVersionModel, Instances, OrgUnits, uuidv7 } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, describe, expect, it } from "vitest"

const url = process.env["DATABASE_URL"] ?? ""
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== ""
if (url === "" && inCi) throw new Error("DATABASE_URL must be set under CI")

/** A submission of the form's version "1" from the device `imei`. */
const submission = (imei: string) =>
  `<data id="visit" version="1"><deviceid>${imei}</deviceid><name>Aminata</name><meta><instanceID>uuid:${uuidv7()}</instanceID></meta></data>`

describe.skipIf(url === "")(`PostgreSQL: the round trips of one ingestion${url === "" ? " (skipped: set DATABASE_URL)" : ""}`, () => {
  const db = freshSchema(url, { label: "round_trips", maxConnections: 1 })
  /** The statements sent on the store's connection, their first words (counted while defined). */
  let sent: Array<string> | undefined
  db.pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: Array<unknown>) => unknown
    Object.assign(client, {
      query: (...args: Array<unknown>) => {
        const text = args[0]
        sent?.push(
          String(typeof text === "string" ? text : (text as { readonly text?: string } | undefined)?.text)
            .split(" ")
            .slice(0, 2)
            .join(" ")
        )
        return query(...args)
      }
    })
  })
  const app = ManagedRuntime.make(
    Layer.mergeAll(IasoWithRepos.layer, BlobStore.memory()).pipe(Layer.provideMerge(PostgresStore.layer({ pool: db.pool, schema: db.schema })))
  )
  afterAll(async () => {
    await app.dispose()
    await db.drop()
  })

  it("a new submission from a known device: its checks' reads, one lookup of a stored submission, its device, then BEGIN, one write, COMMIT", async () => {
    const ingest = await app.runPromise(
      Effect.gen(function* () {
        const { account, version } = yield* (yield* Accounts).setup({ name: `round trips ${uuidv7()}` })
        const repos = yield* Repos
        const form = yield* repos.insert(FormModel, account.id, {
          name: "Visit",
          uuid: uuidv7(),
          correlatable: true,
          singlePerPeriod: false,
          derived: false,
          changeRequestMode: "CR_MODE_NONE"
        })
        const file = yield* (yield* BlobStore).put(new TextEncoder().encode("<h:html/>"), { mediaType: "text/xml" })
        yield* repos.insert(FormVersionModel, account.id, { formId: form.id, file, md5: "", versionId: "1" })
        const actor = Actor.system(account.id)
        const unit = yield* (yield* OrgUnits).create({ name: "Facility", versionId: version.id }).pipe(Effect.provideService(CurrentActor, actor))
        const instances = yield* Instances
        return (xml: string) =>
          instances
            .ingest({ xml, formId: form.id, orgUnitId: unit.id, createdAt: new Date("2024-05-10T12:00:00Z") })
            .pipe(Effect.provideService(CurrentActor, actor))
      })
    )
    // The first one creates the device and takes the account's block of correlation values.
    expect((await app.runPromise(ingest(submission("358544080000001")))).outcome).toBe("created")
    sent = []
    const second = await app.runPromise(ingest(submission("358544080000001")))
    const statements = sent
    sent = undefined
    expect(second.outcome).toBe("created")
    expect(statements).toEqual([
      'SELECT "id",', // the form
      'SELECT "id",', // its version's key fields
      'SELECT "id",', // the org unit
      "SELECT 0", // a stored submission by current id or first uuid
      'SELECT "id",', // the device
      "start transaction",
      "WITH reserved", // the change sequences' block, the submission and its audit entry
      "commit"
    ])
  })
})
