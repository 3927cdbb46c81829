/**
 * DHIS2 export scenarios, through the `Exports` service with an injected `fetch` answering from
 * IASO's `dhis2/*.json` fixtures (read through the suite's fixture loader): an aggregate export
 * succeeding (statuses, logs without the password, counters), a refusal giving IASO's message,
 * the already-exported exclusion against a forced re-export, a stale QUEUED request ended with
 * `Timeout`, and a restricted launcher exporting only under its org-unit roots.
 * @module
 */
import { Effect } from "effect"
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

/** An account with two districts (DHIS2 uids), a form version mapped to a data set, and submissions to insert. */
const exportSetup = async (h: () => Harness) => {
  const base = await formSetup(h)
  const { account, as, harness } = base
  const admin = account.withPermissions(["iaso_mappings", "iaso_forms"])
  const source = await as(
    account.system,
    Effect.flatMap(Effect.service(Sources), (s) =>
      s.createDataSource({
        name: "DHIS2 play",
        projectIds: [account.projectId as ProjectId],
        credentials: { name: "play", login: "admin", password: "district", url: "https://play.example.org" }
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
      const created = yield* mappings.createVersion({
        formVersionId: version.id,
        mappingType: "AGGREGATE",
        dataSourceId: source.id as DataSourceId,
        dataSet: { id: "BfMAe6Itzgt" }
      })
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
  return { ...base, units, submit, exporter, formId: form.id }
}

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

    scenario("exports: a request QUEUED for more than 60 seconds is ended as ERRORED with Timeout, its statuses SKIPPED", async () => {
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
        "ERRORED",
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
  })
}
