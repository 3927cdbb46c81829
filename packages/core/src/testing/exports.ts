/**
 * DHIS2 export scenarios, through the `Exports` service with an injected `fetch` answering from
 * IASO's `dhis2/*.json` fixtures (read through the suite's fixture loader): an aggregate export
 * succeeding (statuses, logs without the password, counters, the status-log links), a refusal
 * giving IASO's message, the already-exported exclusion against a forced re-export, a stale QUEUED
 * request KILLED with `Timeout`, a restricted launcher exporting only under its org-unit roots, a
 * data source without credentials, EVENT exports (taken and refused), the `dhis2_export` task
 * launched through `Tasks.launch` (its progress, a kill between pages), and IASO's `INSTANT_EXPORT`
 * on ingestion.
 * @module
 */
import { Effect, Layer } from "effect"
import { describe, expect, type TestContext } from "vitest"
import { Exports } from "../dhis2/exports-service.ts"
import { Mappings } from "../dhis2/mappings-service.ts"
import { writeXlsx } from "../forms/xlsx-write.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { Sources } from "../registry/sources-service.ts"
import type { DataSourceId, ExportRequestId, InstanceId, OrgUnitId, ProjectId } from "../shared/entity-ids.ts"
import { ExportLogModel, ExportRequestModel, ExportStatusExportLogModel } from "../submissions/export.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import { formSetup, V } from "./form-world.ts"
import { exitError, exitTag, type FixtureLoader, type Harness } from "./harness.ts"
import { Dhis2Fetch } from "../dhis2/export-dhis2-client.ts"
import { INSTANT_EXPORT, INSTANT_EXPORT_CACHE_MS } from "../dhis2/instant-export.ts"
import { BlobStore } from "../shared/blob.ts"
import type { TaskId } from "../shared/entity-ids.ts"
import type { Progress } from "../shared/progress.ts"
import { ExportStatusModel } from "../submissions/export.ts"
import { Instances } from "../submissions/instances-service.ts"
import { ALIVE_TASK_STATUSES, type Task } from "../tasks/task.ts"
import { TaskRunner, Tasks } from "../tasks/tasks-service.ts"
import { type Actor, type CurrentActor, CurrentActor as CurrentActorTag } from "../tenancy/actor.ts"
import { FeatureFlagModel, ProjectFeatureFlagModel } from "../tenancy/feature-flags.ts"
import type { FeatureFlagId } from "../shared/entity-ids.ts"
import { scenario } from "./scenario.ts"

const DHIS2 = "iaso/iaso/tests/fixtures/dhis2"
const E = Effect.service(Exports)

/** The fixtures' texts by name, or `undefined` after skipping the scenario (a failure when files are required). */
const texts = async (fixtures: FixtureLoader | undefined, names: ReadonlyArray<string>, context: TestContext) => {
  const out = new Map<string, string>()
  for (const name of names) {
    const bytes = await fixtures?.read(`${DHIS2}/${name}`)
    if (bytes === undefined) {
      if (fixtures?.required === true) throw new Error(`missing fixture ${DHIS2}/${name}: ../shared/fixtures is required here (CI)`)
      context.skip(fixtures === undefined ? "no fixture loader was given to the suite" : `../shared/fixtures/${DHIS2}/${name} is absent`)
      return undefined
    }
    out.set(name, new TextDecoder().decode(bytes))
  }
  return out
}

/** A `fetch` answering each `api/<path>` with a fixture (its `httpStatusCode`, else 200), recording the paths. */
const fixtureFetch = (files: ReadonlyMap<string, string>, answers: Readonly<Record<string, string>>, seen: Array<string>): typeof globalThis.fetch =>
  (async (input: string | URL | Request) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
    const path = (url.split("/api/")[1] ?? "").split("?")[0] ?? ""
    seen.push(path)
    const name = answers[path]
    const text = name === undefined ? undefined : files.get(name)
    if (text === undefined) return new Response("Not Found", { status: 404, headers: { "content-type": "text/plain" } })
    const parsed = JSON.parse(text) as { httpStatusCode?: number }
    return new Response(text, { status: parsed.httpStatusCode ?? 200, headers: { "content-type": "application/json" } })
  }) as typeof globalThis.fetch

const BLOB = { key: `sha256/${"a".repeat(64)}`, size: 1, sha256: "a".repeat(64), mediaType: "text/xml" }

/** How {@link exportSetup} maps the form version. */
interface SetupOptions {
  /** AGGREGATE (a data set) by default, EVENT (a program) or EVENT_TRACKER (a tracker program, `age` in a stage). */
  readonly mappingType?: "AGGREGATE" | "EVENT" | "EVENT_TRACKER"
  /** Whether the data source has DHIS2 credentials (default true). */
  readonly credentials?: boolean
}

/** An account with two districts (DHIS2 uids), a form version mapped to a data set (or a program), and submissions to insert. */
const exportSetup = async (h: () => Harness, options: SetupOptions = {}) => {
  const base = await formSetup(h)
  const { account, as, harness } = base
  const admin = account.withPermissions(["iaso_mappings", "iaso_forms"])
  const source = await as(
    account.system,
    Effect.flatMap(Effect.service(Sources), (s) =>
      s.createDataSource({
        name: "DHIS2 play",
        projectIds: [account.projectId as ProjectId],
        ...(options.credentials === false ? {} : { credentials: { name: "play", login: "admin", password: "district", url: "https://play.example.org" } })
      })
    )
  )
  const units = await as(
    account.system,
    Effect.gen(function* () {
      const service = yield* OrgUnits
      const versionId = account.versionId as OrgUnit["versionId"]
      const root = yield* service.create({ name: "Sierra Leone", versionId, sourceRef: "ImspTQPwCqd" })
      const bo = yield* service.create({ name: "Bo", versionId, parentId: root.id, sourceRef: "O6uvpzGd5pu" })
      const bombali = yield* service.create({ name: "Bombali", versionId, parentId: root.id, sourceRef: "fdc6uOvgoji" })
      return { root, bo, bombali }
    })
  )
  const form = await base.newForm({ name: "Vaccination" })
  const bytes = writeXlsx({
    sheets: [
      {
        name: "survey",
        rows: [
          ["type", "name", "label"],
          ["integer", "age", "age"]
        ]
      },
      {
        name: "settings",
        rows: [
          ["form_id", "version"],
          ["vaccination", "2024010101"]
        ]
      }
    ]
  })
  const version = await as(
    base.editor,
    Effect.flatMap(V, (v) => v.create({ formId: form.id, xlsForm: { bytes, fileName: "vaccination.xlsx" } }))
  )
  await as(
    admin,
    Effect.gen(function* () {
      const mappings = yield* Mappings
      if (options.mappingType === "EVENT_TRACKER") {
        const tracker = yield* mappings.createVersion({
          formVersionId: version.id,
          mappingType: "EVENT_TRACKER",
          dataSourceId: source.id as DataSourceId,
          program: { id: "YiNSCPK5tq4" }
        })
        yield* mappings.updateVersion(tracker.version.id, {
          trackedEntityType: "GdSb4xcpJ0H",
          trackedEntityIdentifier: "rSudwSeXTKQ",
          questionMappings: { age: [{ programStage: "xRnYXQ2VfQJ", dataElement: { id: "M62VHgYT2n0", valueType: "INTEGER_POSITIVE" } }] }
        })
        return
      }
      const created = yield* mappings.createVersion(
        options.mappingType === "EVENT"
          ? { formVersionId: version.id, mappingType: "EVENT", dataSourceId: source.id as DataSourceId, program: { id: "eBAyeGv0exc" } }
          : { formVersionId: version.id, mappingType: "AGGREGATE", dataSourceId: source.id as DataSourceId, dataSet: { id: "BfMAe6Itzgt" } }
      )
      yield* mappings.updateVersion(created.version.id, { questionMappings: { age: { id: "M62VHgYT2n0", valueType: "INTEGER_POSITIVE" } } })
    })
  )
  const repos = await harness.repos()
  const submit = async (orgUnitId: string, age: string) =>
    (
      await harness.run(
        repos.insert(InstanceModel, account.accountId, {
          uuid: crypto.randomUUID(),
          json: { age, _version: "2024010101" },
          formId: form.id,
          orgUnitId,
          period: "202401",
          file: BLOB,
          deleted: false,
          toExport: false,
          generalValidationStatus: ""
        })
      )
    ).id as InstanceId
  const exporter = account.withPermissions(["iaso_submissions"])
  return { ...base, units, submit, exporter, formId: form.id, formVersionId: version.id, source }
}

/**
 * Runs `body` as `actor` with an in-process task runner whose tasks reach DHIS2 through `fetch`
 * (`Dhis2Fetch`), then waits until the tasks `body` answers have ended (10 s at most).
 */
const withExportRunner = <A extends ReadonlyArray<TaskId>>(
  w: { readonly harness: Harness },
  actor: Actor,
  fetch: typeof globalThis.fetch,
  body: Effect.Effect<A, unknown, Tasks | Instances | Exports | CurrentActor | TaskRunner | BlobStore>,
  onProgress?: (taskId: TaskId, progress: Progress) => void
): Promise<ReadonlyArray<Task>> =>
  w.harness.as(
    actor,
    Effect.gen(function* () {
      const ids = yield* body
      const tasks = yield* Effect.service(Tasks)
      for (let waited = 0; waited < 1000; waited++) {
        const states = yield* Effect.forEach(ids, (id) => tasks.get(id))
        if (states.every((task) => !ALIVE_TASK_STATUSES.includes(task.status))) return states
        yield* Effect.sleep(10)
      }
      return yield* Effect.forEach(ids, (id) => tasks.get(id))
    }).pipe(
      Effect.provide(
        Layer.provideMerge(
          TaskRunner.inProcess({ resume: false, ...(onProgress === undefined ? {} : { onProgress }) }),
          Layer.mergeAll(BlobStore.memory(), Layer.succeed(Dhis2Fetch, fetch))
        )
      ),
      Effect.scoped
    )
  )

/** The account's status-log links as `[statusId, logId]`, sorted. */
const linksOf = async (w: { readonly harness: Harness; readonly account: { readonly accountId: string } }) =>
  (await w.harness.inspectAccount(ExportStatusExportLogModel, w.account.accountId))
    .map((row) => [String(row["exportStatusId"]), String(row["exportLogId"])] as const)
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1))

/** Registers the export scenarios. */
export const exportScenarios = (h: () => Harness, fixtures: FixtureLoader | undefined): void => {
  describe("DHIS2 exports", () => {
    scenario("exports: an aggregate export succeeds: statuses EXPORTED, one log per exchange without the password, counters", async (context) => {
      const files = await texts(fixtures, ["datavalues-ok.json"], context)
      if (files === undefined) return
      const w = await exportSetup(h)
      const a = await w.submit(w.units.bo.id, "12")
      const b = await w.submit(w.units.bombali.id, "7")
      const requested = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      expect([requested.request.status, requested.request.instanceCount, requested.statuses.map((s) => s.status)]).toEqual(["QUEUED", 2, ["QUEUED", "QUEUED"]])
      const seen: Array<string> = []
      const fetch = fixtureFetch(files, { dataValueSets: "datavalues-ok.json", completeDataSetRegistrations: "datavalues-ok.json" }, seen)
      const done = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.run(requested.request.id as ExportRequestId, { fetch }))
      )
      expect(seen).toEqual(["dataValueSets", "completeDataSetRegistrations"])
      expect([done.request.status, done.request.finished, done.request.exportedCount, done.request.erroredCount, done.request.lastErrorMessage]).toEqual([
        "EXPORTED",
        true,
        2,
        0,
        ""
      ])
      expect(done.request.startedAt).toBeDefined()
      expect(done.request.endedAt).toBeDefined()
      expect(done.statuses.map((s) => s.status)).toEqual(["EXPORTED", "EXPORTED"])
      const logs = await w.harness.inspectAccount(ExportLogModel, w.account.accountId)
      expect(logs.map((log) => log["httpStatus"])).toEqual([200, 200])
      expect(JSON.stringify(logs)).not.toContain("district")
      const links = await w.harness.inspectAccount(ExportStatusExportLogModel, w.account.accountId)
      expect(links.length).toBe(4)
      const instances = await w.harness.inspectAccount(InstanceModel, w.account.accountId)
      expect(
        instances
          .filter((row) => row["id"] === a || row["id"] === b)
          .every((row) => row["lastExportSuccessAt"] !== undefined && row["lastExportSuccessAt"] !== null)
      ).toBe(true)
      const listed = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.list())
      )
      expect(listed.map((r) => r.id)).toEqual([requested.request.id])
    })

    scenario("exports: a DHIS2 refusal leaves the statuses ERRORED with IASO's message and the HTTP status in the log", async (context) => {
      const files = await texts(fixtures, ["datavalues-error-bad-coc.json"], context)
      if (files === undefined) return
      const w = await exportSetup(h)
      await w.submit(w.units.bo.id, "12")
      const requested = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      const fetch = fixtureFetch(files, { dataValueSets: "datavalues-error-bad-coc.json" }, [])
      const done = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.run(requested.request.id as ExportRequestId, { fetch }))
      )
      const message = "ERROR while processing page 1/1 : Category option combo not found or not accessible"
      expect([done.request.status, done.request.erroredCount, done.request.lastErrorMessage]).toEqual(["ERRORED", 1, message])
      expect(done.statuses.map((s) => [s.status, s.lastErrorMessage])).toEqual([["ERRORED", message]])
      const logs = await w.harness.inspectAccount(ExportLogModel, w.account.accountId)
      expect(logs.map((log) => log["httpStatus"])).toEqual([409])
    })

    scenario("exports: exported submissions are left out unless the export is forced", async (context) => {
      const files = await texts(fixtures, ["datavalues-ok.json"], context)
      if (files === undefined) return
      const w = await exportSetup(h)
      await w.submit(w.units.bo.id, "12")
      const fetch = fixtureFetch(files, { dataValueSets: "datavalues-ok.json", completeDataSetRegistrations: "datavalues-ok.json" }, [])
      const first = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.run(first.request.id as ExportRequestId, { fetch }))
      )
      const again = await w.exitAs(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      expect(exitTag(again)).toBe("NothingToExportError")
      expect((exitError(again) as { message?: unknown } | undefined)?.message).toBe(
        `no instance to export for ${JSON.stringify({ filters: { formId: w.formId }, force_export: false })}`
      )
      const forced = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId, forceExport: true }))
      )
      expect(forced.statuses.length).toBe(1)
    })

    scenario("exports: a request QUEUED for more than 60 seconds is KILLED with Timeout, its statuses SKIPPED", async () => {
      const w = await exportSetup(h)
      const stale = await w.submit(w.units.bo.id, "12")
      await w.submit(w.units.bombali.id, "7")
      const first = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId, selectedIds: [stale] }))
      )
      const repos = await w.harness.repos()
      await w.harness.run(
        repos.update(ExportRequestModel, w.account.accountId, first.request.id, { queuedAt: new Date(first.request.queuedAt.getTime() - 61_000) })
      )
      const second = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      expect(second.statuses.length).toBe(2)
      const ended = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.get(first.request.id as ExportRequestId))
      )
      expect([ended.request.status, ended.request.lastErrorMessage, ended.statuses.map((s) => [s.status, s.lastErrorMessage])]).toEqual([
        "KILLED",
        "Timeout",
        [["SKIPPED", "Timeout"]]
      ])
    })

    scenario("exports: a launcher restricted to an org unit exports only the submissions under it", async () => {
      const w = await exportSetup(h)
      const inside = await w.submit(w.units.bo.id, "12")
      await w.submit(w.units.bombali.id, "7")
      const restricted = w.account.withPermissions(["iaso_submissions"], { orgUnitRoots: [w.units.bo.id as OrgUnitId] })
      const requested = await w.as(
        restricted,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      expect(requested.statuses.map((s) => s.instanceId)).toEqual([inside])
    })

    scenario("exports: the status-log links name each exchange of each status, written by the run", async (context) => {
      const files = await texts(fixtures, ["datavalues-ok.json"], context)
      if (files === undefined) return
      const w = await exportSetup(h)
      await w.submit(w.units.bo.id, "12")
      await w.submit(w.units.bombali.id, "7")
      const requested = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      expect(await linksOf(w)).toEqual([])
      const fetch = fixtureFetch(files, { dataValueSets: "datavalues-ok.json", completeDataSetRegistrations: "datavalues-ok.json" }, [])
      const done = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.run(requested.request.id as ExportRequestId, { fetch }))
      )
      const logs = (await w.harness.inspectAccount(ExportLogModel, w.account.accountId)).map((row) => [String(row["id"]), String(row["url"])] as const)
      expect(logs.map(([, url]) => url)).toEqual(["https://play.example.org/api/dataValueSets", "https://play.example.org/api/completeDataSetRegistrations"])
      const expected = done.statuses
        .flatMap((status) => logs.map(([logId]) => [String(status.id), logId] as const))
        .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1))
      expect(await linksOf(w)).toEqual(expected)
    })

    scenario("exports: a data source without DHIS2 credentials fails the run with MissingDhis2Credentials, nothing sent, the request ERRORED", async () => {
      const w = await exportSetup(h, { credentials: false })
      await w.submit(w.units.bo.id, "12")
      const requested = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      const seen: Array<string> = []
      const failed = await w.exitAs(
        w.exporter,
        Effect.flatMap(E, (e) => e.run(requested.request.id as ExportRequestId, { fetch: fixtureFetch(new Map(), {}, seen) }))
      )
      const message = "the data source DHIS2 play of the export's mapping has no DHIS2 credentials (url, login, password): nothing was sent"
      expect([exitTag(failed), (exitError(failed) as { message?: unknown } | undefined)?.message]).toEqual(["MissingDhis2Credentials", message])
      expect(seen).toEqual([])
      const ended = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.get(requested.request.id as ExportRequestId))
      )
      expect([ended.request.status, ended.request.finished, ended.request.lastErrorMessage, ended.request.startedAt]).toEqual([
        "ERRORED",
        true,
        message,
        undefined
      ])
      expect(ended.statuses.map((s) => [s.status, s.lastErrorMessage])).toEqual([["SKIPPED", message]])
      expect(await w.harness.inspectAccount(ExportLogModel, w.account.accountId)).toEqual([])
      const instances = await w.harness.inspectAccount(InstanceModel, w.account.accountId)
      expect(instances.map((row) => row["lastExportSuccessAt"] ?? null)).toEqual([null])
      // As a task: ERRORED, its error the typed one.
      const launcher = w.account.withPermissions(["iaso_submissions", "iaso_data_tasks"])
      const again = await w.as(
        launcher,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      const [task] = await withExportRunner(
        w,
        launcher,
        fixtureFetch(new Map(), {}, seen),
        Effect.flatMap(Effect.service(Tasks), (tasks) =>
          Effect.map(tasks.launch("dhis2_export", { exportRequestId: again.request.id }), (launched) => [launched.id as TaskId] as const)
        )
      )
      expect([task?.status, task?.result]).toEqual(["ERRORED", { result: "ERRORED", message, error: { _tag: "MissingDhis2Credentials", message } }])
      expect(seen).toEqual([])
    })

    scenario("exports: an EVENT export posts one event per submission to events, and DHIS2's refusal gives IASO's message", async (context) => {
      const files = await texts(fixtures, ["event-create-ok.json", "event-create-error-230-notassigned.json"], context)
      if (files === undefined) return
      const w = await exportSetup(h, { mappingType: "EVENT" })
      await w.submit(w.units.bo.id, "12")
      await w.submit(w.units.bombali.id, "7")
      const first = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
      )
      const seen: Array<string> = []
      const done = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.run(first.request.id as ExportRequestId, { fetch: fixtureFetch(files, { events: "event-create-ok.json" }, seen) }))
      )
      // The server's version is read first (IASO's fixture server has none: the events API).
      expect(seen).toEqual(["system/info", "events", "events"])
      expect([done.request.status, done.request.exportedCount, done.request.erroredCount, done.statuses.map((s) => s.status)]).toEqual([
        "EXPORTED",
        2,
        0,
        ["EXPORTED", "EXPORTED"]
      ])
      const sent = (await w.harness.inspectAccount(ExportLogModel, w.account.accountId)).map(
        (row) => row["sent"] as { events: ReadonlyArray<Record<string, unknown>> }
      )
      expect(sent.map((payload) => [payload.events[0]?.["program"], payload.events[0]?.["orgUnit"], payload.events[0]?.["dataValues"]])).toEqual([
        ["eBAyeGv0exc", "O6uvpzGd5pu", [{ dataElement: "M62VHgYT2n0", value: 12 }]],
        ["eBAyeGv0exc", "fdc6uOvgoji", [{ dataElement: "M62VHgYT2n0", value: 7 }]]
      ])
      const again = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId, forceExport: true }))
      )
      const refused = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) =>
          e.run(again.request.id as ExportRequestId, { fetch: fixtureFetch(files, { events: "event-create-error-230-notassigned.json" }, []) })
        )
      )
      const message = "ERROR while processing page 1/1 : Program is not assigned to this organisation unit: YuQRtpLP10I"
      expect([refused.request.status, refused.request.exportedCount, refused.request.erroredCount, refused.request.lastErrorMessage]).toEqual([
        "ERRORED",
        0,
        2,
        message
      ])
      expect(refused.statuses.map((s) => [s.status, s.lastErrorMessage])).toEqual([
        ["ERRORED", message],
        ["ERRORED", message]
      ])
      const logs = await w.harness.inspectAccount(ExportLogModel, w.account.accountId)
      expect(logs.map((log) => log["httpStatus"])).toEqual([200, 200, 409, 409])
      // A DHIS2 2.42 server takes events through the tracker API, with occurredAt.
      const third = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) => e.request({ formId: w.formId, selectedIds: [again.statuses[0]?.instanceId as InstanceId], forceExport: true }))
      )
      const recent = new Map([...files, ["system-info.json", JSON.stringify({ version: "2.42.1" })]])
      const trackerSeen: Array<string> = []
      const viaTracker = await w.as(
        w.exporter,
        Effect.flatMap(E, (e) =>
          e.run(third.request.id as ExportRequestId, {
            fetch: fixtureFetch(recent, { "system/info": "system-info.json", tracker: "event-create-ok.json" }, trackerSeen)
          })
        )
      )
      expect([trackerSeen, viaTracker.request.status]).toEqual([["system/info", "tracker"], "EXPORTED"])
      const last = (await w.harness.inspectAccount(ExportLogModel, w.account.accountId)).find((log) => String(log["url"]).includes("tracker"))
      const event = (last?.["sent"] as { events: ReadonlyArray<Record<string, unknown>> } | undefined)?.events[0]
      expect([last?.["url"], event?.["occurredAt"], event?.["occurredAt"] === event?.["eventDate"]]).toEqual([
        "https://play.example.org/api/tracker?async=false",
        event?.["eventDate"],
        true
      ])
    })

    scenario(
      "exports: dhis2_export launched through Tasks.launch runs the request: RUNNING then EXPORTED, the task's progress the pages sent",
      async (context) => {
        const files = await texts(fixtures, ["datavalues-ok.json"], context)
        if (files === undefined) return
        const w = await exportSetup(h)
        await w.submit(w.units.bo.id, "12")
        const launcher = w.account.withPermissions(["iaso_submissions", "iaso_data_tasks"])
        const requested = await w.as(
          launcher,
          Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
        )
        const seen: Array<string> = []
        const fetch = fixtureFetch(files, { dataValueSets: "datavalues-ok.json", completeDataSetRegistrations: "datavalues-ok.json" }, seen)
        const reports: Array<string> = []
        const [task] = await withExportRunner(
          w,
          launcher,
          fetch,
          Effect.flatMap(Effect.service(Tasks), (tasks) =>
            Effect.map(tasks.launch("dhis2_export", { exportRequestId: requested.request.id }), (launched) => [launched.id as TaskId] as const)
          ),
          (_, progress) => reports.push(`${progress.operation} ${progress.phase} ${progress.done}/${progress.total ?? ""}`)
        )
        expect(seen).toEqual(["dataValueSets", "completeDataSetRegistrations"])
        expect(reports).toEqual(["export send 1/1"])
        expect([task?.name, task?.status, task?.progressValue, task?.endValue, task?.progressMessage]).toEqual([
          "dhis2_export",
          "SUCCESS",
          1,
          1,
          "export send 1/1"
        ])
        expect(task?.result).toEqual({
          result: "SUCCESS",
          data: { exportRequestId: requested.request.id, status: "EXPORTED", exportedCount: 1, erroredCount: 0, lastErrorMessage: "" }
        })
        const ended = await w.as(
          launcher,
          Effect.flatMap(E, (e) => e.get(requested.request.id as ExportRequestId))
        )
        expect([ended.request.status, ended.request.finished, ended.statuses.map((s) => s.status)]).toEqual(["EXPORTED", true, ["EXPORTED"]])
        expect((await linksOf(w)).length).toBe(2)
      }
    )

    scenario(
      "exports: a dhis2_export task killed while a page is sent stops before the next page: request and task KILLED, the page sent kept",
      async (context) => {
        const files = await texts(fixtures, ["datavalues-ok.json"], context)
        if (files === undefined) return
        const w = await exportSetup(h)
        const repos = await w.harness.repos()
        // 26 submissions: two pages of 25 and 1.
        await w.harness.run(
          repos.insertMany(
            InstanceModel,
            w.account.accountId,
            Array.from({ length: 26 }, (_, index) => ({
              uuid: crypto.randomUUID(),
              json: { age: String(index + 1), _version: "2024010101" },
              formId: w.formId,
              orgUnitId: w.units.bo.id,
              period: "202401",
              file: BLOB,
              deleted: false,
              toExport: false,
              generalValidationStatus: ""
            }))
          )
        )
        const launcher = w.account.withPermissions(["iaso_submissions", "iaso_data_tasks"])
        const requested = await w.as(
          launcher,
          Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
        )
        expect(requested.statuses.length).toBe(26)
        let release: () => void = () => undefined
        const gate = new Promise<void>((resolve) => {
          release = resolve
        })
        let arrived: () => void = () => undefined
        const reached = new Promise<void>((resolve) => {
          arrived = resolve
        })
        const seen: Array<string> = []
        const answer = fixtureFetch(files, { dataValueSets: "datavalues-ok.json", completeDataSetRegistrations: "datavalues-ok.json" }, seen)
        const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
          if (seen.length === 0) {
            arrived()
            await gate
          }
          return answer(input, init)
        }) as typeof globalThis.fetch
        const [task] = await withExportRunner(
          w,
          launcher,
          fetch,
          Effect.gen(function* () {
            const tasks = yield* Effect.service(Tasks)
            const launched = yield* tasks.launch("dhis2_export", { exportRequestId: requested.request.id })
            yield* Effect.promise(() => reached)
            yield* tasks.kill(launched.id as TaskId)
            release()
            return [launched.id as TaskId] as const
          })
        )
        expect(seen).toEqual(["dataValueSets", "completeDataSetRegistrations"])
        expect([task?.status, task?.result]).toEqual(["KILLED", { result: "KILLED", message: "Killed" }])
        const ended = await w.as(
          launcher,
          Effect.flatMap(E, (e) => e.get(requested.request.id as ExportRequestId))
        )
        expect([ended.request.status, ended.request.finished, ended.request.exportedCount, ended.request.erroredCount]).toEqual(["KILLED", true, 25, 0])
        const counts = new Map<string, number>()
        for (const status of ended.statuses)
          counts.set(`${status.status} ${status.lastErrorMessage ?? ""}`, (counts.get(`${status.status} ${status.lastErrorMessage ?? ""}`) ?? 0) + 1)
        expect([...counts]).toEqual([
          ["EXPORTED ", 25],
          ["SKIPPED Killed", 1]
        ])
      }
    )

    scenario("exports: with INSTANT_EXPORT, an ingested submission is exported at once as a dhis2_export task; without it, nothing", async (context) => {
      const files = await texts(fixtures, ["datavalues-ok.json"], context)
      if (files === undefined) return
      const w = await exportSetup(h)
      const repos = await w.harness.repos()
      const flag = await w.harness.run(
        Effect.gen(function* () {
          const found = yield* repos.list(FeatureFlagModel, w.account.accountId, { where: [{ field: "code", op: "eq", value: INSTANT_EXPORT }], limit: 1 })
          const existing = found.items[0]
          if (existing !== undefined) return existing
          return yield* repos
            .insert(FeatureFlagModel, w.account.accountId, {
              code: INSTANT_EXPORT,
              name: "Instant export",
              requiresAuthentication: false,
              description: "",
              category: "NA",
              order: 0,
              isDangerous: false
            })
            .pipe(
              // Another scenario wrote it first.
              Effect.catchTag("AlreadyExists", () =>
                Effect.flatMap(
                  repos.list(FeatureFlagModel, w.account.accountId, { where: [{ field: "code", op: "eq", value: INSTANT_EXPORT }], limit: 1 }),
                  (page) => (page.items[0] === undefined ? Effect.die("INSTANT_EXPORT flag not found") : Effect.succeed(page.items[0]))
                )
              )
            )
        })
      )
      const collector = w.account.withPermissions(["iaso_submissions"])
      const seen: Array<string> = []
      const fetch = fixtureFetch(files, { dataValueSets: "datavalues-ok.json", completeDataSetRegistrations: "datavalues-ok.json" }, seen)
      const xml = (id: string, age: string) =>
        `<?xml version='1.0' ?><data id="vaccination" version="2024010101"><age>${age}</age><meta><instanceID>uuid:${id}</instanceID></meta></data>`
      const ingest = (age: string, many = false) =>
        withExportRunner(
          w,
          collector,
          fetch,
          Effect.gen(function* () {
            const instances = yield* Effect.service(Instances)
            const input = {
              xml: xml(crypto.randomUUID(), age),
              formId: w.formId,
              orgUnitId: w.units.bo.id,
              createdAt: new Date("2024-02-01T10:00:00Z"),
              projectId: w.account.projectId as ProjectId
            }
            if (many) yield* instances.ingestMany([input])
            else yield* instances.ingest(input)
            // The export's task, when one was launched, ends before the runner closes.
            const tasks = yield* Effect.service(Tasks)
            for (let waited = 0; waited < 200; waited++) {
              const launched = yield* Effect.provideService(tasks.list({ name: "dhis2_export" }), CurrentActorTag, w.account.system)
              if (launched.every((task) => !ALIVE_TASK_STATUSES.includes(task.status))) break
              yield* Effect.sleep(10)
            }
            return [] as ReadonlyArray<TaskId>
          })
        )
      await ingest("12")
      expect(seen).toEqual([])
      expect(await w.harness.inspectAccount(ExportRequestModel, w.account.accountId)).toEqual([])
      await w.harness.run(
        repos.insert(ProjectFeatureFlagModel, w.account.accountId, { projectId: w.account.projectId as ProjectId, featureFlagId: flag.id as FeatureFlagId })
      )
      // The project's flags are cached a few seconds: past that, the flag is read again.
      await new Promise((resolve) => setTimeout(resolve, INSTANT_EXPORT_CACHE_MS + 50))
      await ingest("7")
      expect(seen).toEqual(["dataValueSets", "completeDataSetRegistrations"])
      const requests = await w.harness.inspectAccount(ExportRequestModel, w.account.accountId)
      expect(requests.map((row) => [row["status"], row["launcherId"] ?? null, row["instanceCount"], row["exportedCount"]])).toEqual([["EXPORTED", null, 1, 1]])
      const statuses = await w.harness.inspectAccount(ExportStatusModel, w.account.accountId)
      const instances = await w.harness.inspectAccount(InstanceModel, w.account.accountId)
      const exported = instances.filter((row) => row["lastExportSuccessAt"] !== undefined && row["lastExportSuccessAt"] !== null)
      expect(exported.map((row) => (row["json"] as { age?: unknown })["age"])).toEqual(["7"])
      expect(statuses.map((row) => [row["instanceId"], row["status"]])).toEqual([[exported[0]?.["id"], "EXPORTED"]])
      // Submissions ingested in a batch (a device's push) are exported too.
      await ingest("9", true)
      expect(seen).toEqual(["dataValueSets", "completeDataSetRegistrations", "dataValueSets", "completeDataSetRegistrations"])
      expect((await w.harness.inspectAccount(ExportRequestModel, w.account.accountId)).map((row) => [row["status"], row["exportedCount"]])).toEqual([
        ["EXPORTED", 1],
        ["EXPORTED", 1]
      ])
    })

    scenario(
      "exports: an EVENT_TRACKER export creates a tracked entity with its enrollment and events, its number generated by DHIS2; a refusal errs alone",
      async (context) => {
        const names = [
          "tracked_entity_orgunit.json",
          "tracked_entity_attribute_generate.json",
          "event-tracker-tei-create.json",
          "tracked_entity_export_error.json"
        ]
        const files = await texts(fixtures, names, context)
        if (files === undefined) return
        const w = await exportSetup(h, { mappingType: "EVENT_TRACKER" })
        const first = await w.submit(w.units.bo.id, "12")
        const requested = await w.as(
          w.exporter,
          Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
        )
        const seen: Array<string> = []
        const answers = {
          "organisationUnits/O6uvpzGd5pu": "tracked_entity_orgunit.json",
          "organisationUnits/fdc6uOvgoji": "tracked_entity_orgunit.json",
          "trackedEntityAttributes/rSudwSeXTKQ/generate": "tracked_entity_attribute_generate.json",
          trackedEntityInstances: "event-tracker-tei-create.json"
        }
        const done = await w.as(
          w.exporter,
          Effect.flatMap(E, (e) => e.run(requested.request.id as ExportRequestId, { fetch: fixtureFetch(files, answers, seen) }))
        )
        expect(seen).toEqual(["organisationUnits/O6uvpzGd5pu", "trackedEntityAttributes/rSudwSeXTKQ/generate", "trackedEntityInstances"])
        expect([done.request.status, done.request.exportedCount, done.request.erroredCount, done.statuses.map((s) => s.status)]).toEqual([
          "EXPORTED",
          1,
          0,
          ["EXPORTED"]
        ])
        const logs = await w.harness.inspectAccount(ExportLogModel, w.account.accountId)
        expect(logs.map((log) => [log["url"], log["httpStatus"]])).toEqual([
          ["https://play.example.org/api/organisationUnits/O6uvpzGd5pu?fields=id%2Cname%2Ccode", 200],
          ["https://play.example.org/api/trackedEntityAttributes/rSudwSeXTKQ/generate?ORG_UNIT_CODE=47897", 200],
          ["https://play.example.org/api/trackedEntityInstances", 200]
        ])
        const created = logs[2]?.["sent"] as Record<string, unknown>
        expect(created).toEqual({
          orgUnit: "O6uvpzGd5pu",
          trackedEntityType: "GdSb4xcpJ0H",
          attributes: [{ attribute: "rSudwSeXTKQ", value: "787T8786" }],
          enrollments: [
            {
              trackedEntityType: "GdSb4xcpJ0H",
              enrollmentDate:
                created["enrollments"] === undefined ? "" : ((created["enrollments"] as Array<Record<string, unknown>>)[0]?.["enrollmentDate"] as string),
              program: "YiNSCPK5tq4",
              deleted: false,
              incidentDate: (created["enrollments"] as Array<Record<string, unknown>>)[0]?.["incidentDate"],
              orgUnit: "O6uvpzGd5pu",
              events: [
                {
                  program: "YiNSCPK5tq4",
                  programStage: "xRnYXQ2VfQJ",
                  orgUnit: "O6uvpzGd5pu",
                  eventDate: (created["enrollments"] as Array<Record<string, unknown>>)[0]?.["enrollmentDate"],
                  status: "COMPLETED",
                  dataValues: [{ dataElement: "M62VHgYT2n0", value: 12 }]
                }
              ]
            }
          ]
        })
        expect((await linksOf(w)).length).toBe(3)
        const instances = await w.harness.inspectAccount(InstanceModel, w.account.accountId)
        const row = instances.find((instance) => instance["id"] === first)
        expect([row?.["lastExportSuccessAt"] !== undefined && row?.["lastExportSuccessAt"] !== null, row?.["toExport"]]).toEqual([true, false])
        // A second submission DHIS2 refuses: its status alone is ERRORED, with the conflict's value.
        await w.submit(w.units.bombali.id, "7")
        const next = await w.as(
          w.exporter,
          Effect.flatMap(E, (e) => e.request({ formId: w.formId }))
        )
        const refused = await w.as(
          w.exporter,
          Effect.flatMap(E, (e) =>
            e.run(next.request.id as ExportRequestId, {
              fetch: fixtureFetch(files, { ...answers, trackedEntityInstances: "tracked_entity_export_error.json" }, [])
            })
          )
        )
        const message = "ERROR while processing page 1/1 : Value '0994496' is not a valid numeric type for attribute lZGmxYbs97q"
        expect([refused.request.status, refused.request.exportedCount, refused.request.erroredCount, refused.request.lastErrorMessage]).toEqual([
          "ERRORED",
          0,
          1,
          message
        ])
        expect(refused.statuses.map((s) => [s.status, s.lastErrorMessage])).toEqual([["ERRORED", message]])
      }
    )
  })
}
