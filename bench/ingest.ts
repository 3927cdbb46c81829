/**
 * Submission ingestion: N generated ODK submissions (10k; 1k under --smoke) ingested one by one
 * through `Instances.ingest` (XML parse and flatten, form version lookup, device get-or-create,
 * correlation counter, the submission, its audit entry, one transaction each) per store, then the
 * same documents in a fresh account through `Instances.ingestMany` in calls of 500 (the reads
 * made once per call, the new submissions written in one transaction per call), beside the XML
 * parser alone (`parseSubmission` + `flattenSubmission` with the version's filter) on the same
 * documents, timed right before each of the two (after one warm-up pass), so that both run under
 * the same load. The ratio is parser time / ingest time: the share of ingestion the XML takes. Last, the
 * same documents as follow-ups of N/5 entities (mobile `entityUuid` + `entityTypeId`: entities
 * found or created in bulk per call) through `ingestMany`, beside the unlinked `ingestMany` figure.
 *
 * Run alone: `node --conditions=@iaso/source bench/ingest.ts [--smoke] [--stores memory,sqlite]`; `npm run bench` runs it too.
 */
import "fake-indexeddb/auto"
import { IDBFactory } from "fake-indexeddb"
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { SqliteStore } from "@iaso/adapter-sqlite"
import {
  Accounts,
  Actor,
  BlobStore,
  CurrentActor,
  EntityModel,
  type EntityTypeId,
  EntityTypeModel,
  type FormId,
  FormModel,
  FormVersionModel,
  flattenSubmission,
  Instances,
  MemoryStore,
  type OrgUnitId,
  OrgUnits,
  type Store,
  submissionFilter,
  uuidv7
} from "@iaso/core"
import { parseSubmission } from "@iaso/core/submission-xml"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { Effect, Layer, ManagedRuntime, Result } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"
import { prng } from "../packages/core/src/shared/random.ts"

export const VERSION = "2024050101"

/** The form version's survey: groups, a repeat, a geopoint, the device id (pyxform's shape). */
export const DESCRIPTOR = {
  name: "data",
  type: "survey",
  id_string: "household_visit",
  version: VERSION,
  children: [
    { name: "deviceid", type: "deviceid" },
    { name: "start", type: "start" },
    { name: "end", type: "end" },
    {
      name: "household",
      type: "group",
      children: [
        { name: "head_name", type: "text" },
        { name: "head_age", type: "integer" },
        { name: "phone", type: "text" },
        { name: "size", type: "integer" },
        { name: "water_source", type: "select one" },
        { name: "bednets", type: "integer" },
        { name: "gps", type: "geopoint" }
      ]
    },
    {
      name: "members",
      type: "repeat",
      children: [
        { name: "member_name", type: "text" },
        { name: "member_age", type: "integer" },
        { name: "sex", type: "select one" }
      ]
    },
    {
      name: "visit",
      type: "group",
      children: Array.from({ length: 16 }, (_, i) => ({ name: `q${i + 1}`, type: "select one" }))
    },
    { name: "comment", type: "text" },
    { name: "meta", type: "group", children: [{ name: "instanceID", type: "calculate" }] }
  ]
}

/** A fresh account named `name` with the bench's form, its version and an org unit to submit on. */
export const ingestWorld = (name: string) =>
  Effect.gen(function* () {
    const { account, version } = yield* (yield* Accounts).setup({ name })
    const repos = yield* Repos
    const form = yield* repos.insert(FormModel, account.id, {
      name: "Household visit",
      uuid: uuidv7(),
      correlatable: true,
      singlePerPeriod: false,
      derived: false,
      changeRequestMode: "CR_MODE_NONE",
      locationField: "gps"
    })
    const file = yield* (yield* BlobStore).put(new TextEncoder().encode("<h:html/>"), { mediaType: "text/xml" })
    yield* repos.insert(FormVersionModel, account.id, { formId: form.id, file, md5: "", versionId: VERSION, formDescriptor: DESCRIPTOR as never })
    const unit = yield* (yield* OrgUnits)
      .create({ name: "Facility", versionId: version.id })
      .pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))
    return { accountId: account.id, formId: form.id as FormId, orgUnitId: unit.id as OrgUnitId }
  })

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;")

/** `count` submissions of the household form, seeded: about 1.6 kB each. */
export const generateSubmissions = (count: number, seed = 20261124): ReadonlyArray<{ readonly id: string; readonly xml: string }> => {
  const random = prng(seed)
  const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)] as T
  const names = ["Aminata", "Mohamed", "Fatmata", "Ibrahim", "Mariama", "Abdul", "Isatu", "Alhaji", "Kadiatu", "Sorie"]
  const hex = () =>
    Math.floor(random() * 0x10000)
      .toString(16)
      .padStart(4, "0")
  const out: Array<{ id: string; xml: string }> = []
  for (let n = 0; n < count; n++) {
    const id = `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-8${hex().slice(1)}-${hex()}${hex()}${hex()}`
    const members = Array.from(
      { length: 1 + Math.floor(random() * 4) },
      () => `<members><member_name>${pick(names)}</member_name><member_age>${Math.floor(random() * 80)}</member_age><sex>${pick(["m", "f"])}</sex></members>`
    ).join("")
    const visit = Array.from({ length: 16 }, (_, i) => `<q${i + 1}>${pick(["yes", "no", "dk"])}</q${i + 1}>`).join("")
    const lat = (7 + random() * 3).toFixed(6)
    const lon = (-13 + random() * 2).toFixed(6)
    out.push({
      id,
      xml:
        `<?xml version='1.0' ?><data id="household_visit" version="${VERSION}" xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">` +
        `<deviceid>35854408${String(Math.floor(random() * 100)).padStart(7, "0")}</deviceid><start>2024-05-0${1 + (n % 9)}T08:00:00.000Z</start><end>2024-05-0${1 + (n % 9)}T08:20:00.000Z</end>` +
        `<household><head_name>${escapeXml(pick(names))} ${n}</head_name><head_age>${20 + Math.floor(random() * 60)}</head_age><phone>0${Math.floor(random() * 1e8)}</phone><size>${1 + Math.floor(random() * 12)}</size>` +
        `<water_source>${pick(["well", "tap", "river"])}</water_source><bednets>${Math.floor(random() * 5)}</bednets><gps>${lat} ${lon} ${(random() * 300).toFixed(1)} ${(random() * 30).toFixed(3)}</gps></household>` +
        `${members}<visit>${visit}</visit><comment>${n % 7 === 0 ? "" : "Visit done, 🏠 ok"}</comment><meta><instanceID>uuid:${id}</instanceID></meta></data>`
    })
  }
  return out
}

interface Target {
  readonly name: string
  readonly store: () => Layer.Layer<Store, unknown>
  readonly close?: () => Promise<void>
}

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`

/**
 * The CPU time (ms, user and system) this process spends from now until the returned function is
 * called: on a loaded machine the wall clock counts the waits for a core, the CPU time does not
 * (it leaves out the database server's own work, which runs in this process only for SQLite and PGlite).
 */
const cpuStart = (): (() => number) => {
  const start = process.cpuUsage()
  return () => {
    const used = process.cpuUsage(start)
    return (used.user + used.system) / 1000
  }
}

/** The CPU columns of a row: the work's CPU time and rate, and the baseline's CPU time over it. */
const cpuColumns = (cpu: number, baseline: number, count: number) => ({
  "sdk cpu": `${ms(cpu)} (${Math.round((count / cpu) * 1000)}/s)`,
  "cpu ratio": (baseline / cpu).toFixed(2)
})

/** Uploads per `ingestMany` call (one chunk: one transaction). */
const BATCH = 500

/**
 * Runs the ingestion bench on each store (PostgreSQL when `databaseUrl` is set; `only` filters by
 * store name) and returns its table rows.
 */
export const ingestBench = async (options: {
  readonly count: number
  readonly only?: ReadonlySet<string> | undefined
  readonly databaseUrl: string
}): Promise<ReadonlyArray<Record<string, string>>> => {
  const rows: Array<Record<string, string>> = []
  let peakRss = 0
  const sampleRss = () => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  const timer = setInterval(sampleRss, 50)
  const documents = generateSubmissions(options.count)
  const bytes = documents.map((document) => new TextEncoder().encode(document.xml))

  // The XML parser alone, on the same documents, with the version's filter: timed again right
  // before each ingestion it is compared with, so both run under the same load of the machine.
  const filter = submissionFilter(DESCRIPTOR)
  let leaves = 0
  /** The process's CPU time (ms) spent by the last parser pass. */
  let parseCpu = 0
  const parseAll = (): number => {
    const cpu = cpuStart()
    const parseStart = performance.now()
    for (const document of bytes) {
      const parsed = parseSubmission(document)
      if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
      leaves += Object.keys(flattenSubmission(parsed.success, filter)).length
    }
    const elapsed = performance.now() - parseStart
    parseCpu = cpu()
    return elapsed
  }
  parseAll()
  sampleRss()

  const dir = mkdtempSync(join(tmpdir(), "iaso-bench-ingest-"))
  const targets: Array<Target> = [
    { name: "memory", store: () => MemoryStore.layer() },
    { name: "sqlite (file)", store: () => SqliteStore.layer({ filename: join(dir, "ingest.sqlite") }) },
    { name: "pglite", store: () => PGliteStore.layer({}) },
    // IndexedDB in Node (fake-indexeddb: an in-memory implementation, far slower than a browser's).
    { name: "indexeddb (fake)", store: () => IndexedDbStore.layer({ name: `ingest-${process.pid}`, indexedDB: new IDBFactory() }) }
  ]
  if (options.databaseUrl !== "") {
    const schema = `iaso_bench_ingest_${process.pid}`
    const admin = new pg.Pool({ connectionString: options.databaseUrl, max: 1 })
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4, options: `-c search_path=${schema}` })
    targets.push({
      name: "postgres",
      store: () => PostgresStore.layer({ pool }),
      close: async () => {
        await pool.end()
        await admin.query(`DROP SCHEMA ${schema} CASCADE`)
        await admin.end()
      }
    })
  }
  try {
    for (const target of targets.filter((t) => options.only === undefined || options.only.has(t.name.split(" ")[0] ?? t.name))) {
      const app = ManagedRuntime.make(Layer.mergeAll(IasoWithRepos.layer, BlobStore.memory()).pipe(Layer.provideMerge(target.store())))
      /** A fresh account with the form, its version and an org unit. */
      const setup = () => app.runPromise(ingestWorld(`bench ingest ${target.name} ${uuidv7()}`))
      const { accountId, formId, orgUnitId } = await setup()
      const actor = Actor.system(accountId)
      const createdAt = new Date("2024-05-10T12:00:00Z")
      let parseTime = parseAll()
      let cpu = cpuStart()
      const start = performance.now()
      await app.runPromise(
        Effect.forEach(bytes, (xml) => Effect.flatMap(Effect.service(Instances), (instances) => instances.ingest({ xml, formId, orgUnitId, createdAt })), {
          discard: true
        }).pipe(Effect.provideService(CurrentActor, actor))
      )
      const ingestTime = performance.now() - start
      const ingestCpu = cpu()
      sampleRss()
      rows.push({
        work: `ingest ${documents.length} submissions one by one (XML parse + store), vs parse + flatten alone`,
        adapter: target.name,
        sdk: `${ms(ingestTime)} (${Math.round((documents.length / ingestTime) * 1000)}/s)`,
        raw: `${ms(parseTime)} (${Math.round((documents.length / parseTime) * 1000)}/s)`,
        ratio: (parseTime / ingestTime).toFixed(2),
        ...cpuColumns(ingestCpu, parseCpu, documents.length),
        "peak RSS": `${Math.round(peakRss / 2 ** 20)} MB`
      })
      // The same documents in a fresh account, through ingestMany in calls of BATCH.
      const fresh = await setup()
      parseTime = parseAll()
      cpu = cpuStart()
      const batchStart = performance.now()
      let created = 0
      for (let from = 0; from < bytes.length; from += BATCH) {
        const items = await app.runPromise(
          Effect.flatMap(Effect.service(Instances), (instances) =>
            instances.ingestMany(bytes.slice(from, from + BATCH).map((xml) => ({ xml, formId: fresh.formId, orgUnitId: fresh.orgUnitId, createdAt })))
          ).pipe(Effect.provideService(CurrentActor, Actor.system(fresh.accountId)))
        )
        for (const item of items) {
          if (item._tag === "Failed") throw new Error(`ingestMany refused item ${from + item.index}: ${item.error.message}`)
          if (item.value.outcome === "created") created += 1
        }
      }
      const batchTime = performance.now() - batchStart
      const batchCpu = cpu()
      if (created !== documents.length) throw new Error(`ingestMany created ${created} of ${documents.length} submissions`)
      sampleRss()
      rows.push({
        work: `ingest ${documents.length} submissions with ingestMany, ${BATCH} a call (XML parse + store), vs parse + flatten alone`,
        adapter: target.name,
        sdk: `${ms(batchTime)} (${Math.round((documents.length / batchTime) * 1000)}/s)`,
        raw: `${ms(parseTime)} (${Math.round((documents.length / parseTime) * 1000)}/s)`,
        ratio: (parseTime / batchTime).toFixed(2),
        ...cpuColumns(batchCpu, parseCpu, documents.length),
        "peak RSS": `${Math.round(peakRss / 2 ** 20)} MB`
      })
      // The same documents as follow-ups of count/5 entities (IASO's mobile entityUuid and
      // entityTypeId), in a fresh account: the entities are found or created in bulk per call.
      const linked = await setup()
      const entityTypeId = await app.runPromise(
        Effect.gen(function* () {
          const repos = yield* Repos
          const type = yield* repos.insert(EntityTypeModel, linked.accountId, { name: "Household", isActive: true, preventAddIfDuplicateFound: false })
          return type.id as EntityTypeId
        })
      )
      const entityUuids = Array.from({ length: Math.max(1, Math.floor(documents.length / 5)) }, () => uuidv7())
      cpu = cpuStart()
      const linkedStart = performance.now()
      for (let from = 0; from < bytes.length; from += BATCH) {
        const items = await app.runPromise(
          Effect.flatMap(Effect.service(Instances), (instances) =>
            instances.ingestMany(
              bytes.slice(from, from + BATCH).map((xml, k) => ({
                xml,
                formId: linked.formId,
                orgUnitId: linked.orgUnitId,
                createdAt,
                entityUuid: entityUuids[(from + k) % entityUuids.length] as string,
                entityTypeId
              }))
            )
          ).pipe(Effect.provideService(CurrentActor, Actor.system(linked.accountId)))
        )
        for (const item of items) if (item._tag === "Failed") throw new Error(`ingestMany refused linked item ${from + item.index}: ${item.error.message}`)
      }
      const linkedTime = performance.now() - linkedStart
      const linkedCpu = cpu()
      const entities = await app.runPromise(Effect.flatMap(Effect.service(Repos), (repos) => repos.count(EntityModel, linked.accountId, [])))
      if (entities !== entityUuids.length) throw new Error(`the linked ingestion made ${entities} entities, not ${entityUuids.length}`)
      sampleRss()
      rows.push({
        work: `ingest ${documents.length} follow-ups linked to ${entityUuids.length} entities with ingestMany, vs the same unlinked (ratio: unlinked / linked time)`,
        adapter: target.name,
        sdk: `${ms(linkedTime)} (${Math.round((documents.length / linkedTime) * 1000)}/s)`,
        raw: `${ms(batchTime)} (${Math.round((documents.length / batchTime) * 1000)}/s)`,
        ratio: (batchTime / linkedTime).toFixed(2),
        ...cpuColumns(linkedCpu, batchCpu, documents.length),
        "peak RSS": `${Math.round(peakRss / 2 ** 20)} MB`
      })
      await app.dispose()
    }
  } finally {
    for (const target of targets) await target.close?.()
    clearInterval(timer)
    rmSync(dir, { recursive: true, force: true })
  }
  if (leaves === 0) throw new Error("the generated submissions flattened to nothing")
  return rows
}

if (process.argv[1]?.endsWith("ingest.ts")) {
  const args = process.argv.slice(2)
  const stores = args.includes("--stores") ? args[args.indexOf("--stores") + 1] : undefined
  const rows = await ingestBench({
    count: args.includes("--smoke") ? 1000 : 10_000,
    only: stores === undefined ? undefined : new Set(stores.split(",")),
    databaseUrl: process.env["DATABASE_URL"] ?? ""
  })
  console.table(rows)
}
