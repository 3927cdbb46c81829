/**
 * Submissions listed and counted under IASO's rules: the declared row scope, soft-deleted ones
 * left out unless asked, and the computed status (`DUPLICATED`, `EXPORTED` or `READY`).
 * @module
 */
import { Effect } from "effect"
import { type Form, FormModel } from "../forms/form.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import type { FormId, InstanceId, OrgUnitId } from "../shared/entity-ids.ts"
import type { Condition } from "../shared/query.ts"
import { type FieldCondition, listAll, type ListOptions, type Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor } from "../tenancy/actor.ts"
import { type Instance, InstanceModel, type InstanceStatus } from "./instance-model.ts"
import { readable, type SubmissionAccess } from "./submission-access.ts"

/** Filters of {@link Instances | Instances.list} and {@link Instances | Instances.countsByStatus}. */
export interface InstanceSearch {
  readonly formId?: FormId
  readonly orgUnitId?: OrgUnitId
  readonly period?: string
  /** Soft-deleted submissions are left out unless this is true. */
  readonly includeDeleted?: boolean
}

/** A submission with its computed status. */
export interface InstanceWithStatus {
  readonly instance: Instance
  readonly status: InstanceStatus
}

/** Counts of submissions by status for one (period, form), IASO's `counts_by_status`. */
export interface StatusCounts {
  /** Absent for submissions without a period. */
  readonly period?: string
  readonly formId: FormId
  readonly total: number
  readonly duplicated: number
  readonly exported: number
  readonly ready: number
}

const tripleKey = (instance: { readonly formId?: string | undefined; readonly period?: string | undefined; readonly orgUnitId?: string | undefined }) =>
  `${instance.formId ?? ""}\u0000${instance.period ?? ""}\u0000${instance.orgUnitId ?? ""}`

const statusFrom = (instance: Instance, forms: ReadonlyMap<string, Form>, counts: ReadonlyMap<string, number>): InstanceStatus => {
  const form = instance.formId === undefined ? undefined : forms.get(instance.formId)
  if (form?.singlePerPeriod === true && instance.period !== undefined && instance.period !== "") {
    const others = (counts.get(tripleKey(instance)) ?? 0) - (instance.deleted ? 0 : 1)
    if (others >= 1) return "DUPLICATED"
  }
  return instance.lastExportSuccessAt !== undefined ? "EXPORTED" : "READY"
}

/** Listings, statuses and counts of submissions. */
export const makeSubmissionListing = (repos: Repositories, access: SubmissionAccess) => {
  const rowAccess = makeRowAccess(repos)
  const { readOne } = access

  const formsOf = (accountId: string, ids: ReadonlyArray<string>) =>
    Effect.map(repos.getMany(FormModel, accountId, [...new Set(ids)]), (forms) => new Map(forms.map((form) => [form.id as string, form])))

  /** Non-deleted submissions sharing (form, period, org unit), counted once per distinct triple. */
  const duplicateCounts = (accountId: string, instances: ReadonlyArray<Instance>, forms: ReadonlyMap<string, Form>) =>
    Effect.gen(function* () {
      const counts = new Map<string, number>()
      for (const instance of instances) {
        const form = instance.formId === undefined ? undefined : forms.get(instance.formId)
        if (form?.singlePerPeriod !== true || instance.period === undefined || instance.period === "") continue
        const key = tripleKey(instance)
        if (counts.has(key)) continue
        const where: Array<FieldCondition> = [
          { field: "formId", op: "eq", value: instance.formId },
          { field: "period", op: "eq", value: instance.period },
          { field: "deleted", op: "eq", value: false },
          instance.orgUnitId === undefined ? { field: "orgUnitId", op: "isNull" } : { field: "orgUnitId", op: "eq", value: instance.orgUnitId }
        ]
        counts.set(key, yield* repos.count(InstanceModel, accountId, where).pipe(orDieOnInvalidListing(InstanceModel)))
      }
      return counts
    })

  const searchConditions = (actor: Actor, search: InstanceSearch) =>
    Effect.gen(function* () {
      const where: Array<FieldCondition> = []
      if (search.formId !== undefined) where.push({ field: "formId", op: "eq", value: search.formId })
      if (search.orgUnitId !== undefined) where.push({ field: "orgUnitId", op: "eq", value: search.orgUnitId })
      if (search.period !== undefined) where.push({ field: "period", op: "eq", value: search.period })
      if (search.includeDeleted !== true) where.push({ field: "deleted", op: "eq", value: false })
      // The declared row scope: submissions on units under the actor's roots.
      const extra: ReadonlyArray<Condition> = yield* rowAccess.listConditions(actor, InstanceModel, where)
      return { where, extra }
    })

  const list = (search: InstanceSearch & Omit<ListOptions, "where" | "select"> = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const { formId, orgUnitId, period, includeDeleted, ...options } = search
      const { where, extra } = yield* searchConditions(actor, {
        ...(formId === undefined ? {} : { formId }),
        ...(orgUnitId === undefined ? {} : { orgUnitId }),
        ...(period === undefined ? {} : { period }),
        ...(includeDeleted === undefined ? {} : { includeDeleted })
      })
      const page = yield* repos.list(InstanceModel, actor.accountId, { ...options, where }, extra)
      const instances = page.items
      const forms = yield* formsOf(
        actor.accountId,
        instances.flatMap((instance) => (instance.formId === undefined ? [] : [instance.formId]))
      )
      const counts = yield* duplicateCounts(actor.accountId, instances, forms)
      const items = instances.map((instance) => ({ instance, status: statusFrom(instance, forms, counts) }))
      return page.cursor === undefined ? { items } : { items, cursor: page.cursor }
    })

  const countsByStatus = (search: Omit<InstanceSearch, "includeDeleted"> = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* readable(actor)
      const { where, extra } = yield* searchConditions(actor, search)
      const rows = yield* listAll((page) => repos.list(InstanceModel, actor.accountId, page, extra), {
        where,
        select: ["formId", "period", "orgUnitId", "lastExportSuccessAt"]
      })
      const forms = yield* formsOf(
        actor.accountId,
        rows.flatMap((row) => (row.formId === undefined ? [] : [row.formId]))
      )
      const perTriple = new Map<string, number>()
      for (const row of rows) perTriple.set(tripleKey(row), (perTriple.get(tripleKey(row)) ?? 0) + 1)
      const groups = new Map<string, { period?: string; formId: FormId; total: number; duplicated: number; exported: number; ready: number }>()
      for (const row of rows) {
        if (row.formId === undefined) continue
        const key = `${row.period ?? ""}\u0000${row.formId}`
        let group = groups.get(key)
        if (group === undefined) {
          group = { ...(row.period === undefined ? {} : { period: row.period }), formId: row.formId, total: 0, duplicated: 0, exported: 0, ready: 0 }
          groups.set(key, group)
        }
        group.total += 1
        const single = forms.get(row.formId)?.singlePerPeriod === true && row.period !== undefined && row.period !== ""
        if (single && (perTriple.get(tripleKey(row)) ?? 0) > 1) group.duplicated += 1
        else if (row.lastExportSuccessAt !== undefined) group.exported += 1
        else group.ready += 1
      }
      return [...groups.values()].sort((a, b) =>
        (a.period ?? "") < (b.period ?? "") ? -1 : (a.period ?? "") > (b.period ?? "") ? 1 : a.formId < b.formId ? -1 : a.formId > b.formId ? 1 : 0
      ) as ReadonlyArray<StatusCounts>
    })

  const status = (id: InstanceId) =>
    Effect.gen(function* () {
      const { actor, instance } = yield* readOne(id)
      const forms = yield* formsOf(actor.accountId, instance.formId === undefined ? [] : [instance.formId])
      const counts = yield* duplicateCounts(actor.accountId, [instance], forms)
      return statusFrom(instance, forms, counts)
    })

  return { list, status, countsByStatus }
}
