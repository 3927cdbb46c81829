/**
 * The calls of {@link Exports} (see `exports-service.ts` for the rules), loaded by the service when
 * it is first called: an app that never exports to DHIS2 leaves them out of its starting code.
 * @module
 */
import { Effect, Redacted, Result } from "effect"
import { type Form, FormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { MappingModel, MappingVersionModel } from "../forms/mapping.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { DeviceModel } from "../devices/devices.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { DataSourceModel, ExternalCredentialsModel } from "../registry/sources.ts"
import { Conflict } from "../shared/errors.ts"
import type { JsonObject } from "../shared/json.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { allWritten, reaches } from "../submissions/submission-access.ts"
import {
  ALIVE_EXPORT_STATUSES,
  ExportLogModel,
  ExportRequestModel,
  type ExportStatus,
  ExportStatusExportLogModel,
  ExportStatusModel
} from "../submissions/export.ts"
import { type Instance, InstanceModel } from "../submissions/instance-model.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { Dhis2Fetch, getFromDhis2, MissingDhis2Credentials } from "./export-dhis2-client.ts"
import { usesTrackerApi } from "./export-payloads.ts"
import { Interrupted } from "../shared/errors.ts"
import { parsePeriod, periodRange } from "../forms/periods.ts"
import { exportExclusion, isStaleQueuedExport, planExportStatuses } from "./export-plan.ts"
import type { ExportItem, ExportRunResult } from "./export-run.ts"
import { lazyModule } from "../shared/lazy-module.ts"
import type { ExportRequestInput, ExportRunInput, Exports } from "./exports-service.ts"

// The DHIS2 sender (payloads, pages, the tracker API), loaded when an export first runs (an app's
// bundler puts it in a chunk of its own).
const exportRunModule = lazyModule("the DHIS2 export sender", () => import("./export-run.ts"))

const PERMISSION = ["iaso_submissions"]

const redactedEmpty = Redacted.make("")

/** The first day of a DHIS2 period (`YYYY-MM-DD`), for events dated from it; `undefined` when it is not one. */
const periodStartOf = (period: string | undefined): string | undefined => {
  if (period === undefined || period === "") return undefined
  const parsed = parsePeriod(period)
  return Result.isSuccess(parsed) ? periodRange(parsed.success).start : undefined
}

/** The calls of {@link Exports}. */
export const makeExports = (repos: Repositories): Exports["Service"] => {
  const { rootPaths } = makeRowAccess(repos)

  const statusesOf = (accountId: string, requestIds: ReadonlyArray<string>) =>
    requestIds.length === 0
      ? Effect.succeed([] as ReadonlyArray<ExportStatus>)
      : listAll((page) => repos.list(ExportStatusModel, accountId, page), {
          where: [{ field: "exportRequestId", op: "in", value: [...requestIds] }],
          orderBy: [{ field: "id", direction: "asc" }]
        }).pipe(orDieOnInvalidListing(ExportStatusModel))

  const requestsWith = (accountId: string, statuses: ReadonlyArray<string>) =>
    listAll((page) => repos.list(ExportRequestModel, accountId, page), {
      where: [{ field: "status", op: "in", value: [...statuses] }]
    }).pipe(orDieOnInvalidListing(ExportRequestModel))

  const detail = (accountId: string, id: string) =>
    Effect.gen(function* () {
      const request = yield* repos.get(ExportRequestModel, accountId, id)
      return { request, statuses: yield* statusesOf(accountId, [id]) }
    })

  /** Marks the stale QUEUED requests as KILLED (`Timeout`, as IASO), their QUEUED statuses SKIPPED. */
  const expireStale = (actor: Actor, at: Date) =>
    Effect.gen(function* () {
      const stale = (yield* requestsWith(actor.accountId, ["QUEUED"])).filter((request) => isStaleQueuedExport(request.queuedAt, at))
      for (const request of stale) {
        yield* repos.update(ExportRequestModel, actor.accountId, request.id, { status: "KILLED", lastErrorMessage: "Timeout", finished: true, endedAt: at })
        for (const status of yield* statusesOf(actor.accountId, [request.id])) {
          if (status.status === "QUEUED") yield* repos.update(ExportStatusModel, actor.accountId, status.id, { status: "SKIPPED", lastErrorMessage: "Timeout" })
        }
      }
    })

  const instancesOf = (actor: Actor, input: ExportRequestInput) =>
    Effect.gen(function* () {
      if (input.selectedIds !== undefined && input.selectedIds.length > 0) {
        return (yield* repos.getMany(InstanceModel, actor.accountId, [...input.selectedIds])).filter(
          (instance) => input.formId === undefined || instance.formId === input.formId
        )
      }
      const all = yield* listAll((page) => repos.list(InstanceModel, actor.accountId, page), {
        where: input.formId === undefined ? [] : [{ field: "formId", op: "eq", value: input.formId }],
        orderBy: [{ field: "id", direction: "asc" }]
      }).pipe(orDieOnInvalidListing(InstanceModel))
      const unselected = new Set<string>(input.unselectedIds ?? [])
      return all.filter((instance) => !unselected.has(instance.id))
    })

  const request = (actor: Actor, input: ExportRequestInput) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const at = yield* now
        yield* expireStale(actor, at)
        const forceExport = input.forceExport === true
        const params = {
          filters: { ...(input.formId === undefined ? {} : { formId: input.formId }) },
          force_export: forceExport,
          ...(input.selectedIds === undefined ? {} : { selected_ids: [...input.selectedIds] }),
          ...(input.unselectedIds === undefined ? {} : { unselected_ids: [...input.unselectedIds] })
        }
        const instances = yield* instancesOf(actor, input)
        const paths = yield* rootPaths(actor)
        const formIds = [...new Set(instances.flatMap((instance) => (instance.formId === undefined ? [] : [instance.formId])))]
        const forms = new Map<string, Form>((yield* repos.getMany(FormModel, actor.accountId, formIds)).map((form) => [form.id, form]))
        const unitIds = [...new Set(instances.flatMap((instance) => (instance.orgUnitId === undefined ? [] : [instance.orgUnitId])))]
        const units = new Map((yield* repos.getMany(OrgUnitModel, actor.accountId, unitIds)).map((unit) => [unit.id, unit]))
        const deviceIds = [...new Set(instances.flatMap((instance) => (instance.deviceId === undefined ? [] : [instance.deviceId])))]
        const testDevices = new Set((yield* repos.getMany(DeviceModel, actor.accountId, deviceIds)).filter((d) => d.testDevice).map((d) => d.id))
        const alive = yield* requestsWith(actor.accountId, ALIVE_EXPORT_STATUSES)
        const inFlight = new Set(
          (yield* statusesOf(
            actor.accountId,
            alive.map((r) => r.id)
          )).map((status) => String(status.instanceId))
        )
        const triples = new Map<string, number>()
        const key = (instance: Instance) => `${instance.formId ?? ""}\u0000${instance.period ?? ""}\u0000${instance.orgUnitId ?? ""}`
        for (const instance of instances) if (!instance.deleted) triples.set(key(instance), (triples.get(key(instance)) ?? 0) + 1)
        const eligible = instances.filter((instance) => {
          const form = instance.formId === undefined ? undefined : forms.get(instance.formId)
          const duplicated = form?.singlePerPeriod === true && instance.period !== undefined && instance.period !== "" && (triples.get(key(instance)) ?? 0) > 1
          const unit = instance.orgUnitId === undefined ? undefined : units.get(instance.orgUnitId)
          return (
            exportExclusion(
              {
                id: instance.id,
                status: duplicated ? "DUPLICATED" : instance.lastExportSuccessAt !== undefined ? "EXPORTED" : "READY",
                deleted: instance.deleted,
                hasFile: instance.file !== undefined,
                testDevice: instance.deviceId !== undefined && testDevices.has(instance.deviceId),
                exported: instance.lastExportSuccessAt !== undefined,
                inFlight: inFlight.has(instance.id),
                underRoots: paths === undefined || (unit !== undefined && reaches(paths, unit))
              },
              forceExport
            ) === undefined
          )
        })
        const mappings = yield* listAll((page) => repos.list(MappingModel, actor.accountId, page), {
          where: [{ field: "formId", op: "in", value: formIds }]
        }).pipe(orDieOnInvalidListing(MappingModel))
        const versions =
          mappings.length === 0
            ? []
            : yield* listAll((page) => repos.list(MappingVersionModel, actor.accountId, page), {
                where: [{ field: "mappingId", op: "in", value: mappings.map((m) => m.id) }],
                orderBy: [{ field: "id", direction: "asc" }]
              }).pipe(orDieOnInvalidListing(MappingVersionModel))
        const formVersions = new Map(
          (yield* repos.getMany(
            FormVersionModel,
            actor.accountId,
            versions.map((v) => v.formVersionId)
          )).map((v) => [v.id, v])
        )
        const byMapping = new Map(mappings.map((m) => [m.id, m]))
        const planned = planExportStatuses(
          eligible.map((instance) => ({
            id: instance.id,
            json: instance.json ?? {},
            formId: instance.formId ?? "",
            formName: (instance.formId === undefined ? undefined : forms.get(instance.formId)?.name) ?? ""
          })),
          versions.flatMap((version) => {
            const mapping = version.mappingId === undefined ? undefined : byMapping.get(version.mappingId)
            const formVersion = formVersions.get(version.formVersionId)
            return mapping === undefined || formVersion === undefined
              ? []
              : [{ id: version.id, formId: mapping.formId ?? "", mappingType: mapping.mappingType, formVersionVersionId: formVersion.versionId }]
          }),
          { forceExport, params }
        )
        if (Result.isFailure(planned)) return yield* planned.failure
        const created = yield* repos.insert(ExportRequestModel, actor.accountId, {
          params,
          ...(actor.userId === undefined ? {} : { launcherId: actor.userId }),
          finished: false,
          status: "QUEUED",
          instanceCount: new Set(planned.success.map((s) => s.instanceId)).size,
          exportedCount: 0,
          erroredCount: 0,
          lastErrorMessage: "",
          continueOnError: true,
          queuedAt: at
        })
        const statuses = yield* Effect.flatMap(
          repos.insertMany(
            ExportStatusModel,
            actor.accountId,
            planned.success.map((s) => ({ exportRequestId: created.id, instanceId: s.instanceId, mappingVersionId: s.mappingVersionId, status: "QUEUED" }))
          ),
          allWritten
        )
        return { request: created, statuses }
      })
    )

  const run = (actor: Actor, id: string, input: ExportRunInput) =>
    Effect.gen(function* () {
      const current = yield* detail(actor.accountId, id)
      if (current.request.status !== "QUEUED") {
        return yield* new Conflict({ id, model: "ExportRequest", message: `the export request ${id} is ${current.request.status}, not QUEUED` })
      }
      const queued = current.statuses.filter((status) => status.status === "QUEUED")
      const versions = new Map(
        (yield* repos.getMany(
          MappingVersionModel,
          actor.accountId,
          queued.map((s) => s.mappingVersionId)
        )).map((v) => [v.id, v])
      )
      const mappingIds = [...new Set([...versions.values()].flatMap((v) => (v.mappingId === undefined ? [] : [v.mappingId])))]
      const mappings = new Map((yield* repos.getMany(MappingModel, actor.accountId, mappingIds)).map((m) => [m.id, m]))
      const instances = new Map(
        (yield* repos.getMany(
          InstanceModel,
          actor.accountId,
          queued.map((s) => s.instanceId)
        )).map((i) => [i.id, i])
      )
      const unitIds = [...new Set([...instances.values()].flatMap((i) => (i.orgUnitId === undefined ? [] : [i.orgUnitId])))]
      const units = new Map((yield* repos.getMany(OrgUnitModel, actor.accountId, unitIds)).map((u) => [u.id, u]))
      // The countries (roots) of the tracked submissions' org units: their DHIS2 uids.
      const rootOf = (path: string | undefined) => path?.split("/")[0]
      const rootIds = [...new Set([...units.values()].flatMap((u) => (rootOf(u.path) === undefined || rootOf(u.path) === "" ? [] : [rootOf(u.path) ?? ""])))]
      const roots = new Map((yield* repos.getMany(OrgUnitModel, actor.accountId, rootIds)).map((u) => [String(u.id), u]))
      const firstVersion = queued[0] === undefined ? undefined : versions.get(queued[0].mappingVersionId)
      const firstMapping = firstVersion?.mappingId === undefined ? undefined : mappings.get(firstVersion.mappingId)
      const source = firstMapping === undefined ? undefined : yield* repos.get(DataSourceModel, actor.accountId, firstMapping.dataSourceId)
      const credentials = source?.credentialsId === undefined ? undefined : yield* repos.get(ExternalCredentialsModel, actor.accountId, source.credentialsId)
      if (firstMapping !== undefined && credentials === undefined) {
        const missing = new MissingDhis2Credentials({
          dataSourceId: firstMapping.dataSourceId,
          message: `the data source ${source?.name ?? firstMapping.dataSourceId} of the export's mapping has no DHIS2 credentials (url, login, password): nothing was sent`
        })
        yield* end(actor, id, queued, missing.message)
        return yield* missing
      }
      const { runExportItems } = yield* exportRunModule
      const startedAt = yield* now
      yield* repos.update(ExportRequestModel, actor.accountId, id, { status: "RUNNING", startedAt, continueOnError: true })
      const items: Array<ExportItem> = queued.flatMap((status) => {
        const version = versions.get(status.mappingVersionId)
        const mapping = version?.mappingId === undefined ? undefined : mappings.get(version.mappingId)
        const instance = instances.get(status.instanceId)
        if (version === undefined || mapping === undefined || instance === undefined) return []
        const unit = instance.orgUnitId === undefined ? undefined : units.get(instance.orgUnitId)
        const coordinates = instance.location?.coordinates
        return [
          {
            statusId: status.id,
            mappingType: mapping.mappingType,
            mapping: version.json as JsonObject,
            orgUnitName: unit?.name,
            periodStart: periodStartOf(instance.period),
            countryRef: roots.get(rootOf(unit?.path) ?? "")?.sourceRef,
            submission: {
              id: instance.id,
              json: instance.json ?? {},
              period: instance.period,
              orgUnitSourceRef: unit?.sourceRef,
              createdAt: instance.sourceCreatedAt ?? instance.createdAt,
              exportId: instance.exportId,
              location:
                coordinates === undefined || coordinates[0] === undefined || coordinates[1] === undefined
                  ? undefined
                  : { latitude: coordinates[1], longitude: coordinates[0] }
            }
          }
        ]
      })
      const fetch = input.fetch ?? (yield* Dhis2Fetch)
      const connection = { url: credentials?.url ?? "", login: credentials?.login ?? "", password: credentials?.password ?? redactedEmpty, fetch }
      // Events go through the tracker API from DHIS2 2.42: the server's version says (IASO reads it too).
      const trackerApi =
        input.trackerApi ??
        (items.some((item) => item.mappingType === "EVENT")
          ? yield* Effect.map(getFromDhis2(connection, "system/info", {}), (info) => {
              const answer = info.received
              const version = typeof answer === "object" && answer !== null && !Array.isArray(answer) ? (answer as JsonObject)["version"] : undefined
              return typeof version === "string" && usesTrackerApi(version)
            }).pipe(
              Effect.tapError((error) =>
                Effect.flatMap(now, (endedAt) =>
                  repos.update(ExportRequestModel, actor.accountId, id, { status: "ERRORED", finished: true, endedAt, lastErrorMessage: error.message })
                )
              )
            )
          : false)
      const result: ExportRunResult = yield* runExportItems(connection, items, {
        continueOnError: true,
        trackerApi,
        stop: () => input.signal?.aborted === true,
        onPage: (done, total) => {
          try {
            input.onProgress?.({ operation: "export", phase: "send", done, total })
          } catch {
            // A failing callback does not stop the export.
          }
        }
      }).pipe(
        // DHIS2 not reached at all: the request ends ERRORED with the reason (IASO: the task errors).
        Effect.tapError((error) =>
          Effect.flatMap(now, (endedAt) =>
            repos.update(ExportRequestModel, actor.accountId, id, { status: "ERRORED", finished: true, endedAt, lastErrorMessage: error.message })
          )
        )
      )
      yield* store(actor, id, result)
      if (result.status === "KILLED") return yield* Interrupted.of("export", input.signal)
      return yield* detail(actor.accountId, id)
    })

  /** Ends a request that could not run: ERRORED with `message`, its QUEUED statuses SKIPPED with it. */
  const end = (actor: Actor, id: string, queued: ReadonlyArray<ExportStatus>, message: string) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const endedAt = yield* now
        for (const status of queued) yield* repos.update(ExportStatusModel, actor.accountId, status.id, { status: "SKIPPED", lastErrorMessage: message })
        yield* repos.update(ExportRequestModel, actor.accountId, id, { status: "ERRORED", finished: true, endedAt, lastErrorMessage: message })
      })
    )

  const store = (actor: Actor, id: string, result: ExportRunResult) =>
    repos.driver.transaction(
      Effect.gen(function* () {
        const at = yield* now
        const logs = yield* Effect.flatMap(
          repos.insertMany(
            ExportLogModel,
            actor.accountId,
            result.exchanges.map((exchange) => ({ sent: exchange.sent, received: exchange.received, httpStatus: exchange.httpStatus, url: exchange.url }))
          ),
          allWritten
        )
        const links: Array<{ exportStatusId: string; exportLogId: string }> = []
        for (const [statusId, outcome] of result.items) {
          yield* repos.update(ExportStatusModel, actor.accountId, statusId, {
            status: outcome.status,
            ...(outcome.lastErrorMessage === undefined ? {} : { lastErrorMessage: outcome.lastErrorMessage })
          })
          for (const index of outcome.exchanges) {
            const log = logs[index]
            if (log !== undefined) links.push({ exportStatusId: statusId, exportLogId: log.id })
          }
        }
        if (links.length > 0) yield* Effect.flatMap(repos.insertMany(ExportStatusExportLogModel, actor.accountId, links), allWritten)
        for (const instanceId of new Set(result.exportedSubmissionIds)) {
          yield* repos.update(InstanceModel, actor.accountId, instanceId, { lastExportSuccessAt: at, toExport: false })
        }
        for (const instanceId of new Set(result.trackedSubmissionIds)) {
          if (!result.exportedSubmissionIds.includes(instanceId)) yield* repos.update(InstanceModel, actor.accountId, instanceId, { lastExportSuccessAt: at })
        }
        yield* repos.update(ExportRequestModel, actor.accountId, id, {
          status: result.status,
          finished: true,
          endedAt: at,
          exportedCount: result.counters.exportedCount,
          erroredCount: result.counters.erroredCount,
          lastErrorMessage: result.lastErrorMessage
        })
      })
    )

  const guarded = <A, E>(action: string, body: (actor: Actor) => Effect.Effect<A, E>) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.andThen(requireAny(actor, PERMISSION, action), body(actor)))
  const reading = <A, E>(body: (actor: Actor) => Effect.Effect<A, E>) => Effect.flatMap(Effect.service(CurrentActor), body)

  return {
    request: (input) => guarded("requesting a DHIS2 export", (actor) => request(actor, input)),
    run: (id, input = {}) => guarded("running a DHIS2 export", (actor) => run(actor, id, input)),
    get: (id) => reading((actor) => detail(actor.accountId, id)),
    list: () =>
      reading((actor) =>
        listAll((page) => repos.list(ExportRequestModel, actor.accountId, page), { orderBy: [{ field: "id", direction: "desc" }] }).pipe(
          orDieOnInvalidListing(ExportRequestModel)
        )
      )
  }
}
