/**
 * IASO's `INSTANT_EXPORT` project feature flag: a submission uploaded to a project holding the flag
 * is exported to DHIS2 at once. {@link instantExportLayer} is the `Instances` service of
 * `Iaso.layer`: after `Instances.ingest` has stored a submission (`created` or `edited`, not a
 * re-send), when its project holds the flag and its form version has an AGGREGATE or EVENT mapping,
 * an export request of that submission is made (`Exports.request`, as the account's system actor:
 * no launcher, an automatic export) and, when a task runner is at hand (`createIaso` always has
 * one), run as a `dhis2_export` task; without a runner it is left QUEUED for whoever runs
 * requests (`Exports.run`).
 *
 * Unlike IASO, which exports within the upload call (and answers nothing about it), the export
 * runs after the ingestion, apart from it: a refusal (nothing to export, no version, DHIS2
 * unreachable) never fails the ingestion, and is kept on the request and its task. Flag-less
 * projects pay one read of their flags every {@link INSTANT_EXPORT_CACHE_MS} at most (the answer
 * is cached per project), so a flag set or removed takes effect within that time. The flag is not
 * in IASO's seeded catalogue: it is a `FeatureFlag` row of code {@link INSTANT_EXPORT}, created by
 * whoever enables it.
 * @module
 */
import { Effect, Layer, Option } from "effect"
import { MappingModel, MappingVersionModel } from "../forms/mapping.ts"
import { Repos } from "../kernel/repos.ts"
import type { AccountId, ExportRequestId } from "../shared/entity-ids.ts"
import { Instances } from "../submissions/instances-service.ts"
import type { Instance } from "../submissions/instance-model.ts"
import { TaskRunner, Tasks } from "../tasks/tasks-service.ts"
import { Actor, CurrentActor } from "../tenancy/actor.ts"
import { FeatureFlagModel, ProjectFeatureFlagModel } from "../tenancy/feature-flags.ts"
import { Exports } from "./exports-service.ts"

/** The project feature flag that exports each uploaded submission to DHIS2 at once. */
export const INSTANT_EXPORT = "INSTANT_EXPORT"

/** How long a project's answer (does it hold {@link INSTANT_EXPORT}?) is kept before it is read again. */
export const INSTANT_EXPORT_CACHE_MS = 2_000

/** The mapping types an instant export sends (IASO's `Instance.export`: the DHIS2 export of the submission). */
const EXPORTED_TYPES: ReadonlyArray<string> = ["AGGREGATE", "EVENT"]

/**
 * The `Instances` service with {@link INSTANT_EXPORT} (see the module documentation): `ingest`
 * and `ingestMany` as `Instances.layer`'s, each stored submission followed by the instant export
 * when the project asks for it.
 */
export const instantExportLayer: Layer.Layer<Instances, never, Repos> = Layer.effect(
  Instances,
  Effect.gen(function* () {
    const base = yield* Instances
    const repos = yield* Repos
    const exports = yield* Exports
    const tasks = yield* Tasks
    const cache = new Map<string, { readonly flagged: boolean; readonly at: number }>()

    /** Whether the project holds the flag: its flag links and the flag's row, read once per period. */
    const flagged = (accountId: AccountId, projectId: string) =>
      Effect.gen(function* () {
        const key = `${accountId}\u0000${projectId}`
        const cached = cache.get(key)
        const at = Date.now()
        if (cached !== undefined && at - cached.at < INSTANT_EXPORT_CACHE_MS) return cached.flagged
        const links = yield* repos.list(ProjectFeatureFlagModel, accountId, { where: [{ field: "projectId", op: "eq", value: projectId }], limit: 1000 })
        const flagIds = links.items.map((link) => link.featureFlagId)
        const flags = flagIds.length === 0 ? [] : yield* repos.getMany(FeatureFlagModel, accountId, flagIds)
        const answer = flags.some((flag) => flag.code === INSTANT_EXPORT)
        cache.set(key, { flagged: answer, at })
        return answer
      })

    /** Whether the submission's form version has an AGGREGATE or EVENT mapping. */
    const mapped = (instance: Instance) =>
      Effect.gen(function* () {
        if (instance.formVersionId === undefined) return false
        const versions = yield* repos.list(MappingVersionModel, instance.accountId, {
          where: [{ field: "formVersionId", op: "eq", value: instance.formVersionId }],
          limit: 100
        })
        const mappingIds = versions.items.flatMap((version) => (version.mappingId === undefined ? [] : [version.mappingId]))
        if (mappingIds.length === 0) return false
        return (yield* repos.getMany(MappingModel, instance.accountId, mappingIds)).some((mapping) => EXPORTED_TYPES.includes(mapping.mappingType))
      })

    const exportNow = (instance: Instance) =>
      Effect.gen(function* () {
        if (instance.projectId === undefined || !(yield* flagged(instance.accountId as AccountId, instance.projectId))) return
        if (!(yield* mapped(instance))) return
        const system = Actor.system(instance.accountId as AccountId)
        const requested = yield* Effect.provideService(exports.request({ selectedIds: [instance.id] }), CurrentActor, system)
        const runner = yield* Effect.serviceOption(TaskRunner)
        if (Option.isNone(runner)) return
        yield* tasks
          .launch("dhis2_export", { exportRequestId: requested.request.id as ExportRequestId })
          .pipe(Effect.provideService(CurrentActor, system), Effect.provideService(TaskRunner, runner.value))
      }).pipe(
        // The submission is stored whatever becomes of its export (kept on the request and its task).
        Effect.catchCause((cause) => Effect.logWarning("instant DHIS2 export not made", cause))
      )

    return Instances.of({
      ...base,
      ingest: (input) => Effect.tap(base.ingest(input), (result) => (result.outcome === "unchanged" ? Effect.void : exportNow(result.instance))),
      ingestMany: (inputs, options) =>
        Effect.tap(base.ingestMany(inputs, options), (items) =>
          Effect.forEach(items, (item) => (item._tag === "Ok" && item.value.outcome !== "unchanged" ? exportNow(item.value.instance) : Effect.void), {
            discard: true
          })
        )
    })
  })
).pipe(Layer.provide(Layer.mergeAll(Instances.layer, Exports.layer, Tasks.layer)))
