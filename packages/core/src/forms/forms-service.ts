/**
 * The `Forms` service: creating and changing forms under IASO's rules (projects of the account,
 * org-unit types among the projects' types, groups of the account's default version, period
 * settings), soft deletion and restoration, reading and listing (deleted forms hidden unless
 * asked for). A form's `formId` and `possibleFields` are computed from its versions (see
 * {@link FormVersions}); they cannot be written here.
 *
 * Differences from IASO's form API, on purpose:
 * - `orgUnitTypeIds` may be omitted (IASO requires the key; omitted means none).
 * - The period rules are checked on the resulting form whenever a period field is given, and on
 *   every creation: IASO checks them only when `period_type` is in the payload, and answers a
 *   server error when it is null and a count key is missing (missing counts are 0 here).
 * - Another account's form, or a missing one, is `NotFound` (IASO answers 404 too); a missing
 *   permission is `Forbidden`.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { FormId, GroupId, OrgUnitTypeId, ProjectId } from "../shared/entity-ids.ts"
import { Conflict, type Forbidden, type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import type { JsonValue } from "../shared/json.ts"
import type { Condition } from "../shared/query.ts"
import type { RecordOf } from "../shared/model.ts"
import { findIn, listAll, type ListOptions, type Repositories, type ResultPage } from "../shared/repository.ts"
import { foldKey } from "../shared/text.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { AccountModel } from "../tenancy/account.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { GroupModel } from "../registry/groups.ts"
import { OrgUnitTypeProjectModel } from "../registry/org-unit-type.ts"
import { type DescriptorNode, formPossibleFields } from "./descriptor.ts"
import { type Form, type FormChangeRequestMode, FormModel, FormOrgUnitGroupModel, FormOrgUnitTypeModel, type PeriodType, ProjectFormModel } from "./form.ts"
import { FormVersionModel } from "./form-version.ts"

/** The audit source of form changes (IASO's `FORM_API`). */
export const FORM_AUDIT_SOURCE = "FORM_API"

/** IASO's messages for the form rules. */
export const FormMessages = {
  invalidProjectIds: "Invalid project ids",
  emptyProjectIds: "This list may not be empty.",
  invalidOrgUnitTypeIds: "Invalid org unit type ids",
  invalidGroup: (id: string) => `Invalid pk "${id}" - object does not exist.`,
  countWithoutPeriodType: "Should be 0 when period type is not specified",
  periodsAllowed: "periods_before_allowed + periods_after_allowed should be greater than or equal to 1",
  formIdUsed: "The form_id is already used in another form."
} as const

/** What a caller gives to create a form. */
export interface FormCreate {
  readonly name: string
  /** At least one project of the account. */
  readonly projectIds: ReadonlyArray<ProjectId>
  /** Types on which the form may be filled: each must be a type of one of the projects. */
  readonly orgUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
  /** Groups of the account's default source version. */
  readonly orgUnitGroupIds?: ReadonlyArray<GroupId>
  /** Absent: the form is not periodic (both counts must then be 0). */
  readonly periodType?: PeriodType
  /** With a period type, before + after must be at least 1. */
  readonly periodsBeforeAllowed?: number
  readonly periodsAfterAllowed?: number
  readonly singlePerPeriod?: boolean
  readonly deviceField?: string
  readonly locationField?: string
  readonly correlationField?: string
  readonly correlatable?: boolean
  readonly derived?: boolean
  /** Question names whose answers label a submission (at most 100, 255 characters each). */
  readonly labelKeys?: ReadonlyArray<string>
  readonly legendThreshold?: JsonValue
  readonly changeRequestMode?: FormChangeRequestMode
}

/** A change to a form: given fields replace stored ones; `null` clears an optional one. */
export type FormPatch = {
  readonly [K in keyof FormCreate]?: K extends "name" | "projectIds" ? FormCreate[K] : FormCreate[K] | null
}

/** Which forms a listing shows by deletion state. */
export type DeletedFilter = "exclude" | "include" | "only"

/** Filters of {@link Forms | Forms.list} (all optional; all must hold). Default order: name, then id. */
export interface FormListOptions extends ListOptions {
  /** Default `exclude` (IASO's default); `include` is `show_deleted`, `only` is `only_deleted`. */
  readonly deleted?: DeletedFilter
  /** Forms offered by one of these projects. */
  readonly projectIds?: ReadonlyArray<ProjectId>
  /** Forms that may be filled on one of these org-unit types. */
  readonly orgUnitTypeIds?: ReadonlyArray<OrgUnitTypeId>
  /** Case- and accent-insensitive substring of the name. */
  readonly search?: string
}

/** A form's relations. */
export interface FormLinks {
  readonly projectIds: ReadonlyArray<ProjectId>
  readonly orgUnitTypeIds: ReadonlyArray<OrgUnitTypeId>
  readonly orgUnitGroupIds: ReadonlyArray<GroupId>
}

type ReadError = NotFound | Forbidden | ValidationError | StorageError

/**
 * The forms service: creating and changing forms under IASO's rules (projects, org-unit types,
 * groups, period settings), soft deletion and restoration, reads and listings. Provided by
 * `Iaso.layer`; on the Promise facade, `iaso.as(actor).forms`. Its calls are listed under `Service`.
 */
export class Forms extends Context.Service<
  Forms,
  {
    /** Creates a form and its project, type and group links (needs `iaso_forms`). */
    readonly create: (input: FormCreate) => Effect.Effect<Form, ServiceWriteError, CurrentActor>
    /** Changes a form (needs `iaso_forms`); given link lists replace the stored ones. A deleted form may be changed. */
    readonly update: (id: FormId, patch: FormPatch, options?: { readonly expectedVersion?: number }) => Effect.Effect<Form, ServiceWriteError, CurrentActor>
    /** Soft-deletes a form (stamps `deletedAt`; versions and submissions stay). Needs `iaso_forms`. */
    readonly remove: (id: FormId) => Effect.Effect<Form, ServiceWriteError, CurrentActor>
    /**
     * Restores a soft-deleted form (needs `iaso_forms`). Refused with `Conflict` when another live
     * form of the account has taken its `formId` meanwhile.
     */
    readonly restore: (id: FormId) => Effect.Effect<Form, ServiceWriteError, CurrentActor>
    /** One form of the account, deleted or not. */
    readonly get: (id: FormId) => Effect.Effect<Form, NotFound | StorageError, CurrentActor>
    /** A page of forms (see {@link FormListOptions}). */
    readonly list: (options?: FormListOptions) => Effect.Effect<ResultPage<Partial<Form>>, ReadError, CurrentActor>
    /** A form's projects, org-unit types and groups. */
    readonly links: (id: FormId) => Effect.Effect<FormLinks, NotFound | StorageError, CurrentActor>
  }
>()("@iaso/core/Forms") {
  static readonly layer = Layer.effect(
    Forms,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Forms.of(makeForms(repos))
    })
  )
}

/** A ValidationError with several issues (IASO answers every failing field at once). */
const validationIssues = (issues: ReadonlyArray<{ readonly path: ReadonlyArray<string>; readonly message: string }>): ValidationError =>
  new ValidationError({
    message: issues.map((issue) => `${issue.message}\n  at ${JSON.stringify(issue.path)}`).join("\n"),
    issues: issues.map((issue) => ({ path: [...issue.path], message: issue.message }))
  })

/**
 * IASO's period rules: without a period type both counts must be 0; with one, their sum must be
 * at least 1. Counts must be whole numbers from 0. `undefined` when the settings are valid.
 */
export const checkPeriodSettings = (settings: {
  readonly periodType?: PeriodType | undefined
  readonly periodsBeforeAllowed?: number | undefined
  readonly periodsAfterAllowed?: number | undefined
}): ValidationError | undefined => {
  const before = settings.periodsBeforeAllowed ?? 0
  const after = settings.periodsAfterAllowed ?? 0
  const issues: Array<{ path: ReadonlyArray<string>; message: string }> = []
  for (const [key, value] of [
    ["periodsBeforeAllowed", before],
    ["periodsAfterAllowed", after]
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 2147483647) issues.push({ path: [key], message: "expected a whole number from 0" })
  }
  if (issues.length > 0) return validationIssues(issues)
  if (settings.periodType === undefined) {
    if (before !== 0) issues.push({ path: ["periodsBeforeAllowed"], message: FormMessages.countWithoutPeriodType })
    if (after !== 0) issues.push({ path: ["periodsAfterAllowed"], message: FormMessages.countWithoutPeriodType })
  } else if (before + after < 1) issues.push({ path: ["periodsAllowed"], message: FormMessages.periodsAllowed })
  return issues.length === 0 ? undefined : validationIssues(issues)
}

/** The link models of a form: its projects, org-unit types and groups. */
type FormLinkModel = typeof ProjectFormModel | typeof FormOrgUnitTypeModel | typeof FormOrgUnitGroupModel

/** Every link of a form in one link model. */
const linksOf = <M extends FormLinkModel>(repos: Repositories, model: M, accountId: string, formId: string) =>
  listAll((page) => repos.list(model, accountId, page), { where: [{ field: "formId", op: "eq", value: formId }] }).pipe(orDieOnInvalidListing(model))

/** The ids a form's links in one link model point at (`field`: the link's other end). */
const linkIds = <M extends FormLinkModel, F extends keyof RecordOf<M> & string>(repos: Repositories, model: M, accountId: string, formId: string, field: F) =>
  Effect.map(linksOf(repos, model, accountId, formId), (links) => links.map((link) => link[field]))

/** Replaces the links of a form in one link model with `ids`. */
const replaceLinks = <M extends FormLinkModel>(
  repos: Repositories,
  model: M,
  accountId: string,
  formId: string,
  field: keyof RecordOf<M> & string,
  ids: ReadonlyArray<string>
) =>
  Effect.gen(function* () {
    const existing = yield* linksOf(repos, model, accountId, formId)
    const wanted = new Set(ids)
    const kept = new Set<string>()
    for (const link of existing) {
      const target = String(link[field])
      if (wanted.has(target) && !kept.has(target)) kept.add(target)
      else yield* repos.remove(model, accountId, link.id)
    }
    const fresh = [...wanted].filter((id) => !kept.has(id)).map((id) => ({ formId, [field]: id }))
    if (fresh.length > 0) yield* repos.insertMany(model, accountId, fresh as never, { atomic: true })
  })

/**
 * Recomputes a form's `possibleFields` from its versions' descriptors, oldest first (IASO's
 * `update_possible_fields`), with `extra` descriptors appended as the newest.
 */
export const formPossibleFieldsFromVersions = (repos: Repositories, accountId: string, formId: string, extra: ReadonlyArray<DescriptorNode> = []) =>
  Effect.gen(function* () {
    const versions = yield* listAll((page) => repos.list(FormVersionModel, accountId, page), {
      where: [{ field: "formId", op: "eq", value: formId }],
      orderBy: [{ field: "createdAt" }]
    })
    const descriptors = versions.flatMap((v) => (v.formDescriptor === undefined ? [] : [v.formDescriptor as unknown as DescriptorNode]))
    return formPossibleFields([...descriptors, ...extra])
  })

const makeForms = (repos: Repositories) => {
  const writable = (actor: Actor) => requireAny(actor, ["iaso_forms"], "changing forms")

  /** Checks the link lists against the account (projects, their types, groups of the default version). */
  const checkLinks = (
    actor: Actor,
    projectIds: ReadonlyArray<string>,
    orgUnitTypeIds: ReadonlyArray<string> | undefined,
    orgUnitGroupIds: ReadonlyArray<string> | undefined
  ) =>
    Effect.gen(function* () {
      if (projectIds.length === 0) return yield* ValidationError.at(["projectIds"], FormMessages.emptyProjectIds)
      const projects = yield* repos.getMany(ProjectModel, actor.accountId, projectIds)
      if (projects.length !== projectIds.length) return yield* ValidationError.at(["projectIds"], FormMessages.invalidProjectIds)
      if (orgUnitTypeIds !== undefined && orgUnitTypeIds.length > 0) {
        const links = yield* findIn((page) => repos.list(OrgUnitTypeProjectModel, actor.accountId, page), "projectId", projectIds)
        const allowed = new Set(links.map((link) => String(link.orgUnitTypeId)))
        if (!orgUnitTypeIds.every((id) => allowed.has(id))) return yield* ValidationError.at(["orgUnitTypeIds"], FormMessages.invalidOrgUnitTypeIds)
      }
      if (orgUnitGroupIds !== undefined && orgUnitGroupIds.length > 0) {
        const account = yield* repos.get(AccountModel, actor.accountId, actor.accountId)
        const groups = yield* repos.getMany(GroupModel, actor.accountId, orgUnitGroupIds)
        for (const id of orgUnitGroupIds) {
          const group = groups.find((g) => g.id === id)
          if (group === undefined || account.defaultVersionId === undefined || group.versionId !== account.defaultVersionId) {
            return yield* ValidationError.at(["orgUnitGroupIds"], FormMessages.invalidGroup(id))
          }
        }
      }
    })

  const FORM_FIELDS = [
    "name",
    "periodType",
    "periodsBeforeAllowed",
    "periodsAfterAllowed",
    "singlePerPeriod",
    "deviceField",
    "locationField",
    "correlationField",
    "correlatable",
    "derived",
    "labelKeys",
    "legendThreshold",
    "changeRequestMode"
  ] as const

  const create = (input: FormCreate) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const periodError = checkPeriodSettings(input)
      if (periodError !== undefined) return yield* periodError
      const projectIds = [...new Set(input.projectIds)]
      const orgUnitTypeIds = [...new Set(input.orgUnitTypeIds ?? [])]
      const orgUnitGroupIds = [...new Set(input.orgUnitGroupIds ?? [])]
      const fields: Record<string, unknown> = {}
      for (const key of FORM_FIELDS) if (input[key] !== undefined) fields[key] = input[key]
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          yield* checkLinks(actor, projectIds, orgUnitTypeIds, orgUnitGroupIds)
          const form = yield* repos.insert(FormModel, actor.accountId, {
            uuid: globalThis.crypto.randomUUID(),
            correlatable: false,
            singlePerPeriod: false,
            derived: false,
            changeRequestMode: "CR_MODE_NONE",
            periodsBeforeAllowed: 0,
            periodsAfterAllowed: 0,
            ...fields
          })
          yield* replaceLinks(repos, ProjectFormModel, actor.accountId, form.id, "projectId", projectIds)
          yield* replaceLinks(repos, FormOrgUnitTypeModel, actor.accountId, form.id, "orgUnitTypeId", orgUnitTypeIds)
          yield* replaceLinks(repos, FormOrgUnitGroupModel, actor.accountId, form.id, "groupId", orgUnitGroupIds)
          yield* audit(repos, actor, FORM_AUDIT_SOURCE, FormModel, [{ id: form.id, after: form }])
          return form
        })
      )
    })

  const update = (id: FormId, patch: FormPatch, options: { readonly expectedVersion?: number } = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const raw = patch as Record<string, unknown>
      for (const key of ["formId", "possibleFields", "uuid", "deletedAt"]) {
        if (key in raw) {
          return yield* ValidationError.at(
            [key],
            key === "deletedAt"
              ? "use remove and restore to delete or restore a form"
              : key === "uuid"
                ? "cannot be changed"
                : "is computed from the form's versions"
          )
        }
      }
      if (patch.name === null) return yield* ValidationError.at(["name"], "a form needs a name")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* repos.get(FormModel, actor.accountId, id)
          const periodType = patch.periodType === undefined ? before.periodType : (patch.periodType ?? undefined)
          const touchesPeriods = patch.periodType !== undefined || patch.periodsBeforeAllowed !== undefined || patch.periodsAfterAllowed !== undefined
          if (touchesPeriods) {
            const periodError = checkPeriodSettings({
              periodType,
              periodsBeforeAllowed: patch.periodsBeforeAllowed === undefined ? before.periodsBeforeAllowed : (patch.periodsBeforeAllowed ?? undefined),
              periodsAfterAllowed: patch.periodsAfterAllowed === undefined ? before.periodsAfterAllowed : (patch.periodsAfterAllowed ?? undefined)
            })
            if (periodError !== undefined) return yield* periodError
          }
          const projectIds =
            patch.projectIds === undefined ? yield* linkIds(repos, ProjectFormModel, actor.accountId, id, "projectId") : [...new Set(patch.projectIds)]
          const orgUnitTypeIds =
            patch.orgUnitTypeIds === undefined
              ? patch.projectIds === undefined
                ? undefined
                : yield* linkIds(repos, FormOrgUnitTypeModel, actor.accountId, id, "orgUnitTypeId")
              : [...new Set(patch.orgUnitTypeIds ?? [])]
          const orgUnitGroupIds = patch.orgUnitGroupIds === undefined ? undefined : [...new Set(patch.orgUnitGroupIds ?? [])]
          yield* checkLinks(actor, projectIds, orgUnitTypeIds, orgUnitGroupIds)
          const fields: Record<string, unknown> = {}
          for (const key of FORM_FIELDS) if (patch[key] !== undefined) fields[key] = patch[key]
          const after =
            Object.keys(fields).length === 0 && options.expectedVersion === undefined
              ? before
              : yield* repos.update(FormModel, actor.accountId, id, fields, options)
          if (patch.projectIds !== undefined) yield* replaceLinks(repos, ProjectFormModel, actor.accountId, id, "projectId", projectIds)
          if (patch.orgUnitTypeIds !== undefined) yield* replaceLinks(repos, FormOrgUnitTypeModel, actor.accountId, id, "orgUnitTypeId", orgUnitTypeIds ?? [])
          if (orgUnitGroupIds !== undefined) yield* replaceLinks(repos, FormOrgUnitGroupModel, actor.accountId, id, "groupId", orgUnitGroupIds)
          yield* audit(repos, actor, FORM_AUDIT_SOURCE, FormModel, [{ id, before, after }])
          return after
        })
      )
    })

  const setDeleted = (id: FormId, deleted: boolean) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* repos.get(FormModel, actor.accountId, id)
          if ((before.deletedAt !== undefined) === deleted) return before
          if (!deleted && before.formId !== undefined) {
            const taken = yield* repos.count(FormModel, actor.accountId, [
              { field: "formId", op: "eq", value: before.formId },
              { field: "deletedAt", op: "isNull" },
              { field: "id", op: "ne", value: id }
            ])
            if (taken > 0) return yield* new Conflict({ model: "Form", id, message: FormMessages.formIdUsed })
          }
          const after = yield* repos.update(FormModel, actor.accountId, id, { deletedAt: deleted ? yield* now : null })
          yield* audit(repos, actor, FORM_AUDIT_SOURCE, FormModel, [{ id, before, after }])
          return after
        })
      )
    })

  const list = (options: FormListOptions = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const { deleted = "exclude", projectIds, orgUnitTypeIds, search, ...listOptions } = options
      const where: Array<Condition> = []
      if (deleted === "exclude") where.push({ field: "deletedAt", op: "isNull" })
      else if (deleted === "only") where.push({ field: "deletedAt", op: "isNotNull" })
      if (search !== undefined) where.push({ field: "nameKey", op: "contains", value: foldKey(search) })
      const restrictTo = (ids: ReadonlyArray<string>) => where.push({ field: "id", op: "in", value: ids })
      if (projectIds !== undefined) {
        const links = yield* findIn((page) => repos.list(ProjectFormModel, actor.accountId, page), "projectId", projectIds)
        restrictTo([...new Set(links.map((link) => link.formId))])
      }
      if (orgUnitTypeIds !== undefined) {
        const links = yield* findIn((page) => repos.list(FormOrgUnitTypeModel, actor.accountId, page), "orgUnitTypeId", orgUnitTypeIds)
        restrictTo([...new Set(links.map((link) => link.formId))])
      }
      return yield* repos.list(FormModel, actor.accountId, { orderBy: [{ field: "name" }], ...listOptions }, where)
    })

  return {
    create,
    update,
    remove: (id: FormId) => setDeleted(id, true),
    restore: (id: FormId) => setDeleted(id, false),
    get: (id: FormId) => Effect.flatMap(Effect.service(CurrentActor), (actor) => repos.get(FormModel, actor.accountId, id)),
    list,
    links: (id: FormId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* repos.get(FormModel, actor.accountId, id)
        return {
          projectIds: yield* linkIds(repos, ProjectFormModel, actor.accountId, id, "projectId"),
          orgUnitTypeIds: yield* linkIds(repos, FormOrgUnitTypeModel, actor.accountId, id, "orgUnitTypeId"),
          orgUnitGroupIds: yield* linkIds(repos, FormOrgUnitGroupModel, actor.accountId, id, "groupId")
        }
      })
  }
}
