/**
 * The calls of {@link OrgUnitChangeRequests} (see `change-requests-service.ts` for the rules), loaded
 * by the service when it is first called: an app that never proposes or reviews a change leaves
 * them out of its starting code.
 * @module
 */
import { Effect, Schema } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { OrgUnitTypeReferenceFormModel } from "../forms/form.ts"
import type { GroupId, OrgUnitId } from "../shared/entity-ids.ts"
import {
  GroupId as GroupIdSchema,
  InstanceId as InstanceIdSchema,
  OrgUnitId as OrgUnitIdSchema,
  OrgUnitTypeId as OrgUnitTypeIdSchema
} from "../shared/entity-ids.ts"
import { Conflict, Forbidden, NotFound, ValidationError } from "../shared/errors.ts"
import { GeoMultiPolygonInput, GeoPoint } from "../shared/geometry.ts"
import { Uuid } from "../shared/ids.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import type { Condition } from "../shared/query.ts"
import { NonBlankTextMax } from "../shared/text.ts"
import { DateOnly, now } from "../shared/time.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import { AccountModel } from "../tenancy/account.ts"
import { type Actor, CurrentActor, mayEditType, requireAny } from "../tenancy/actor.ts"
import { ORG_UNIT_READ, type Permission } from "../tenancy/permissions.ts"
import {
  CHANGE_REQUEST_FIELDS,
  CHANGE_REQUEST_REVIEW,
  type ChangeRequestField,
  type OrgUnitChangeRequest,
  OrgUnitChangeRequestModel,
  type OrgUnitChangeRequestId,
  OrgUnitReferenceInstanceModel
} from "./change-request.ts"
import { GroupModel } from "./groups.ts"
import type { Groups } from "./groups-service.ts"
import { type OrgUnit, OrgUnitModel } from "./org-unit.ts"
import type { OrgUnits, OrgUnitPatch } from "./org-units-service.ts"
import { OrgUnitTypeModel } from "./org-unit-type.ts"
import type { OrgUnitChangeRequestCreate, OrgUnitChangeRequestSearch, OrgUnitChangeRequests } from "./change-requests-service.ts"

const SOURCE = "ORG_UNIT_CHANGE_REQUEST_API"

const CreateInput = Schema.Struct({
  uuid: Uuid,
  orgUnitId: Schema.optionalKey(OrgUnitIdSchema),
  newParentId: Schema.optionalKey(OrgUnitIdSchema),
  newName: Schema.optionalKey(NonBlankTextMax(255)),
  newOrgUnitTypeId: Schema.optionalKey(OrgUnitTypeIdSchema),
  newLocation: Schema.optionalKey(GeoPoint),
  newGeom: Schema.optionalKey(GeoMultiPolygonInput),
  newOpeningDate: Schema.optionalKey(DateOnly),
  newClosedDate: Schema.optionalKey(DateOnly),
  newGroupIds: Schema.optionalKey(Schema.Array(GroupIdSchema)),
  newReferenceInstanceIds: Schema.optionalKey(Schema.Array(InstanceIdSchema))
})
const decodeCreate = Schema.decodeUnknownEffect(CreateInput)

const sortedUnique = <T extends string>(values: ReadonlyArray<T>): ReadonlyArray<T> => [...new Set(values)].sort()

/** A JSON value with every object's keys sorted (so stored and given values compare whatever their key order). */
const sortedKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortedKeys)
  if (typeof value !== "object" || value === null) return value
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Object.fromEntries(entries.map(([key, inner]) => [key, sortedKeys(inner)]))
}

/** The proposed fields of a request, in a canonical form (what two sendings of one request share). */
const proposalKey = (record: Partial<Record<ChangeRequestField, unknown>>): string =>
  JSON.stringify(CHANGE_REQUEST_FIELDS.map((field) => [field, sortedKeys(record[field] ?? null)]))

const closedNotAfterOpening = (opening: string | undefined, closed: string | undefined): boolean =>
  opening !== undefined && closed !== undefined && closed <= opening

const CLOSED_AFTER_OPENING = "The closed date must be later than the opening date"

/** The calls of {@link OrgUnitChangeRequests}. */
export const makeChangeRequests = (repos: Repositories, orgUnits: OrgUnits["Service"], groups: Groups["Service"]): OrgUnitChangeRequests["Service"] => {
  const access = makeRowAccess(repos)

  /** The actor, allowed to change org units for the span of an operation its own permission authorises. */
  const asOrgUnitWriter = (actor: Actor): Actor => ({
    ...actor,
    permissions: new Set<Permission>([...actor.permissions, "iaso_org_units"])
  })

  /** A unit the actor sees, else `NotFound`. */
  const visibleUnit = (actor: Actor, id: string) =>
    Effect.gen(function* () {
      const unit = yield* repos.get(OrgUnitModel, actor.accountId, id)
      yield* access.requireVisible(actor, OrgUnitModel, unit)
      return unit
    })

  /** A request about a unit the actor sees, else `NotFound`. */
  const visibleRequest = (actor: Actor, id: string) =>
    Effect.gen(function* () {
      const request = yield* repos.get(OrgUnitChangeRequestModel, actor.accountId, id)
      yield* access.requireVisible(actor, OrgUnitChangeRequestModel, request)
      return request
    })

  const requireNew = (request: OrgUnitChangeRequest) =>
    request.status === "new"
      ? Effect.void
      : Effect.fail(
          new Conflict({
            model: OrgUnitChangeRequestModel.name,
            id: request.id,
            message: `The change request ${request.id} is ${request.status}: only a new request is approved or rejected`
          })
        )

  /** A submission the actor sees that may be a reference of `unit`, with its form (IASO's messages). */
  const referenceCandidate = (actor: Actor, unit: OrgUnit, instanceId: string, path: ReadonlyArray<string | number>) =>
    Effect.gen(function* () {
      const instance = yield* repos.get(InstanceModel, actor.accountId, instanceId)
      yield* access.requireVisible(actor, InstanceModel, instance)
      if (instance.formId === undefined) return yield* ValidationError.at(path, "The Instance must be linked to a Form.")
      if (unit.orgUnitTypeId === undefined) return yield* ValidationError.at(path, "The OrgUnit must be linked to a OrgUnitType.")
      const links = yield* repos.count(OrgUnitTypeReferenceFormModel, actor.accountId, [
        { field: "orgUnitTypeId", op: "eq", value: unit.orgUnitTypeId },
        { field: "formId", op: "eq", value: instance.formId }
      ])
      if (links === 0) return yield* ValidationError.at(path, "The submission must be an instance of a reference form.")
      return { instance, formId: instance.formId }
    })

  /** Flags `instanceId` as the reference of `unit` for its form (replacing the previous one). */
  const flag = (actor: Actor, unit: OrgUnit, instanceId: string, path: ReadonlyArray<string | number>) =>
    Effect.gen(function* () {
      const { instance, formId } = yield* referenceCandidate(actor, unit, instanceId, path)
      const current = yield* repos.list(OrgUnitReferenceInstanceModel, actor.accountId, {
        where: [
          { field: "orgUnitId", op: "eq", value: unit.id },
          { field: "formId", op: "eq", value: formId }
        ],
        limit: 1
      })
      const before = current.items[0]
      if (before !== undefined && before.instanceId === instance.id) return before
      const after =
        before === undefined
          ? yield* repos.insert(OrgUnitReferenceInstanceModel, actor.accountId, { orgUnitId: unit.id, formId, instanceId: instance.id })
          : yield* repos.update(OrgUnitReferenceInstanceModel, actor.accountId, before.id, { instanceId: instance.id })
      yield* audit(repos, actor, SOURCE, OrgUnitReferenceInstanceModel, [{ id: after.id, ...(before === undefined ? {} : { before }), after }])
      return after
    })

  const create = (input: OrgUnitChangeRequestCreate) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const given = yield* decodeCreate(input).pipe(Effect.mapError((error) => ValidationError.fromSchemaError(error)))
      const proposal = {
        ...given,
        ...(given.newGroupIds === undefined ? {} : { newGroupIds: sortedUnique(given.newGroupIds) }),
        ...(given.newReferenceInstanceIds === undefined ? {} : { newReferenceInstanceIds: sortedUnique(given.newReferenceInstanceIds) })
      }
      const requestedFields = CHANGE_REQUEST_FIELDS.filter((field) => proposal[field] !== undefined)
      if (requestedFields.length === 0) {
        return yield* ValidationError.at([], `A change request proposes at least one of ${CHANGE_REQUEST_FIELDS.join(", ")}`)
      }
      if (closedNotAfterOpening(proposal.newOpeningDate, proposal.newClosedDate)) return yield* ValidationError.at(["newClosedDate"], CLOSED_AFTER_OPENING)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const same = yield* repos.list(OrgUnitChangeRequestModel, actor.accountId, {
            where: [{ field: "uuid", op: "eq", value: proposal.uuid }],
            limit: 1
          })
          const stored = same.items[0]
          if (stored !== undefined) {
            const [seen] = yield* access.visible(actor, OrgUnitChangeRequestModel, [stored])
            const identical =
              seen === true && proposalKey(stored) === proposalKey(proposal) && (proposal.orgUnitId === undefined || proposal.orgUnitId === stored.orgUnitId)
            if (identical) return stored
            return yield* new Conflict({
              model: OrgUnitChangeRequestModel.name,
              id: proposal.uuid,
              message: `A change request with the uuid ${proposal.uuid} was already received with other content`
            })
          }
          const parent = proposal.newParentId === undefined ? undefined : yield* visibleUnit(actor, proposal.newParentId)
          if (proposal.newOrgUnitTypeId !== undefined) yield* repos.get(OrgUnitTypeModel, actor.accountId, proposal.newOrgUnitTypeId)
          let unit: OrgUnit
          if (proposal.orgUnitId !== undefined) {
            unit = yield* visibleUnit(actor, proposal.orgUnitId)
            if (parent !== undefined && parent.versionId !== unit.versionId)
              return yield* ValidationError.at(["newParentId"], "Parent is not in the same version")
          } else {
            if (proposal.newName === undefined) return yield* ValidationError.at(["newName"], "A change request proposing a new org unit needs its name")
            let versionId = parent?.versionId
            if (versionId === undefined) {
              const account = yield* repos.get(AccountModel, actor.accountId, actor.accountId)
              if (account.defaultVersionId === undefined) return yield* ValidationError.at(["newParentId"], "This account has no default version")
              versionId = account.defaultVersionId
            }
            // IASO's mobile creation: NEW, custom, the actor as creator, with the proposed name, parent, type and location.
            unit = yield* orgUnits
              .create({
                name: proposal.newName,
                versionId,
                custom: true,
                validationStatus: "NEW",
                ...(parent === undefined ? {} : { parentId: parent.id }),
                ...(proposal.newOrgUnitTypeId === undefined ? {} : { orgUnitTypeId: proposal.newOrgUnitTypeId }),
                ...(proposal.newLocation === undefined ? {} : { location: proposal.newLocation })
              })
              .pipe(Effect.provideService(CurrentActor, asOrgUnitWriter(actor)))
          }
          if (proposal.newGroupIds !== undefined) {
            const found = yield* repos.getMany(GroupModel, actor.accountId, proposal.newGroupIds)
            for (const id of proposal.newGroupIds) {
              const group = found.find((g) => g.id === id)
              if (group === undefined) return yield* NotFound.of("Group", id)
              if (group.versionId !== unit.versionId) return yield* ValidationError.at(["newGroupIds"], `group ${id} is not in the org unit's version`)
            }
          }
          if (proposal.newReferenceInstanceIds !== undefined) {
            const forms = new Set<string>()
            for (const id of proposal.newReferenceInstanceIds) {
              const instance = yield* repos.get(InstanceModel, actor.accountId, id)
              yield* access.requireVisible(actor, InstanceModel, instance)
              if (instance.formId === undefined) return yield* ValidationError.at(["newReferenceInstanceIds"], "The Instance must be linked to a Form.")
              if (forms.has(instance.formId)) {
                return yield* ValidationError.at(["newReferenceInstanceIds"], "Only one reference instance can exist by org_unit/form pair.")
              }
              forms.add(instance.formId)
            }
          }
          const { uuid: _uuid, orgUnitId: _unit, ...proposed } = proposal
          const request = yield* repos.insert(OrgUnitChangeRequestModel, actor.accountId, {
            ...proposed,
            uuid: proposal.uuid,
            orgUnitId: unit.id,
            kind: unit.validationStatus === "NEW" ? "org_unit_creation" : "org_unit_change",
            status: "new",
            requestedFields,
            approvedFields: [],
            ...(actor.userId === undefined ? {} : { createdById: actor.userId })
          })
          yield* audit(repos, actor, SOURCE, OrgUnitChangeRequestModel, [{ id: request.id, after: request }])
          return request
        })
      )
    })

  /** Replaces the unit's groups with `wanted`. */
  const replaceGroups = (unit: OrgUnit, wanted: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const current = (yield* groups.groupsOf(unit.id as OrgUnitId)).map((group) => group.id as string)
      for (const id of current) if (!wanted.includes(id)) yield* groups.removeMembers(id as GroupId, [unit.id as OrgUnitId])
      for (const id of wanted) if (!current.includes(id)) yield* groups.addMembers(id as GroupId, [unit.id as OrgUnitId])
    })

  const approve = (id: OrgUnitChangeRequestId, approvedFields: ReadonlyArray<ChangeRequestField>) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* requireAny(actor, [CHANGE_REQUEST_REVIEW], "reviewing org-unit change requests")
      const approved = CHANGE_REQUEST_FIELDS.filter((field) => approvedFields.includes(field))
      if (approved.length === 0) return yield* ValidationError.at(["approvedFields"], "Approving a change request needs at least one of its requested fields")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const request = yield* visibleRequest(actor, id)
          yield* requireNew(request)
          const stray = approvedFields.find((field) => !request.requestedFields.includes(field))
          if (stray !== undefined) return yield* ValidationError.at(["approvedFields"], `${stray} is not a requested field of this change request`)
          const writer = asOrgUnitWriter(actor)
          const has = (field: ChangeRequestField) => approved.includes(field)
          yield* Effect.gen(function* () {
            let unit = yield* visibleUnit(actor, request.orgUnitId)
            if (has("newParentId") && request.newParentId !== undefined && request.newParentId !== unit.parentId) {
              unit = yield* orgUnits.move(unit.id as OrgUnitId, request.newParentId as OrgUnitId)
            }
            const patch: Record<string, unknown> = { validationStatus: "VALID" }
            if (has("newName")) patch["name"] = request.newName
            if (has("newOrgUnitTypeId")) patch["orgUnitTypeId"] = request.newOrgUnitTypeId
            if (has("newLocation")) patch["location"] = request.newLocation
            if (has("newGeom")) patch["geom"] = request.newGeom
            if (has("newOpeningDate")) patch["openingDate"] = request.newOpeningDate
            if (has("newClosedDate")) patch["closedDate"] = request.newClosedDate
            const opening = (has("newOpeningDate") ? request.newOpeningDate : unit.openingDate) as string | undefined
            const closed = (has("newClosedDate") ? request.newClosedDate : unit.closedDate) as string | undefined
            if (closedNotAfterOpening(opening, closed)) return yield* ValidationError.at(["approvedFields"], CLOSED_AFTER_OPENING)
            unit = yield* orgUnits.update(unit.id as OrgUnitId, patch as OrgUnitPatch)
            if (has("newGroupIds")) yield* replaceGroups(unit, request.newGroupIds ?? [])
            if (has("newReferenceInstanceIds")) {
              for (const instanceId of request.newReferenceInstanceIds ?? []) yield* flag(writer, unit, instanceId, ["newReferenceInstanceIds"])
            }
          }).pipe(Effect.provideService(CurrentActor, writer))
          const after = yield* repos.update(
            OrgUnitChangeRequestModel,
            actor.accountId,
            request.id,
            {
              status: "approved",
              approvedFields: approved,
              reviewedAt: yield* now,
              ...(actor.userId === undefined ? {} : { reviewedById: actor.userId })
            },
            { expectedVersion: request.version }
          )
          yield* audit(repos, actor, SOURCE, OrgUnitChangeRequestModel, [{ id: request.id, before: request, after }])
          return after
        })
      )
    })

  const reject = (id: OrgUnitChangeRequestId, comment: string) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* requireAny(actor, [CHANGE_REQUEST_REVIEW], "reviewing org-unit change requests")
      if (comment.trim().length === 0) return yield* ValidationError.at(["comment"], "A rejection comment is required")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const request = yield* visibleRequest(actor, id)
          yield* requireNew(request)
          if (request.kind === "org_unit_creation") {
            yield* orgUnits
              .update(request.orgUnitId as OrgUnitId, { validationStatus: "REJECTED" })
              .pipe(Effect.provideService(CurrentActor, asOrgUnitWriter(actor)))
          }
          const after = yield* repos.update(
            OrgUnitChangeRequestModel,
            actor.accountId,
            request.id,
            {
              status: "rejected",
              rejectionComment: comment,
              reviewedAt: yield* now,
              ...(actor.userId === undefined ? {} : { reviewedById: actor.userId })
            },
            { expectedVersion: request.version }
          )
          yield* audit(repos, actor, SOURCE, OrgUnitChangeRequestModel, [{ id: request.id, before: request, after }])
          return after
        })
      )
    })

  const list = (search: OrgUnitChangeRequestSearch = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const { statuses, kinds, underOrgUnitId, ...options } = search
      const where: Array<Condition> = [...(yield* access.listConditions(actor, OrgUnitChangeRequestModel))]
      if (statuses !== undefined) where.push({ field: "status", op: "in", value: statuses })
      if (kinds !== undefined) where.push({ field: "kind", op: "in", value: kinds })
      if (underOrgUnitId !== undefined) {
        const unit = yield* visibleUnit(actor, underOrgUnitId)
        const ids = yield* listAll((page) => repos.list(OrgUnitModel, actor.accountId, page), {
          where: [{ field: "path", op: "startsWith", value: unit.path }],
          select: ["id"]
        }).pipe(orDieOnInvalidListing(OrgUnitModel))
        where.push({ field: "orgUnitId", op: "in", value: ids.map((row) => String(row.id)) })
      }
      return yield* repos.list(OrgUnitChangeRequestModel, actor.accountId, options, where)
    })

  const editableUnit = (actor: Actor, orgUnitId: string) =>
    Effect.gen(function* () {
      const unit = yield* visibleUnit(actor, orgUnitId)
      if (!mayEditType(actor, unit.orgUnitTypeId)) return yield* new Forbidden({ message: "you may not edit org units of this type" })
      return unit
    })

  return {
    create,
    approve,
    reject,
    list,
    get: (id) => Effect.flatMap(CurrentActor, (actor) => visibleRequest(actor, id)),
    flagReferenceInstance: (orgUnitId, instanceId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* requireAny(actor, ["iaso_org_units"], "changing org units")
        return yield* repos.driver.transaction(
          Effect.gen(function* () {
            const unit = yield* editableUnit(actor, orgUnitId)
            return yield* flag(actor, unit, instanceId, ["instanceId"])
          })
        )
      }),
    unflagReferenceInstance: (orgUnitId, instanceId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* requireAny(actor, ["iaso_org_units"], "changing org units")
        yield* repos.driver.transaction(
          Effect.gen(function* () {
            const unit = yield* editableUnit(actor, orgUnitId)
            const links = yield* listAll((page) => repos.list(OrgUnitReferenceInstanceModel, actor.accountId, page), {
              where: [
                { field: "orgUnitId", op: "eq", value: unit.id },
                { field: "instanceId", op: "eq", value: instanceId }
              ]
            }).pipe(orDieOnInvalidListing(OrgUnitReferenceInstanceModel))
            for (const link of links) {
              yield* repos.remove(OrgUnitReferenceInstanceModel, actor.accountId, link.id)
              yield* audit(repos, actor, SOURCE, OrgUnitReferenceInstanceModel, [{ id: link.id, before: link }])
            }
          })
        )
      }),
    referenceInstances: (orgUnitId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* requireAny(actor, ORG_UNIT_READ, "reading org units")
        const unit = yield* visibleUnit(actor, orgUnitId)
        return yield* listAll((page) => repos.list(OrgUnitReferenceInstanceModel, actor.accountId, page), {
          where: [{ field: "orgUnitId", op: "eq", value: unit.id }],
          orderBy: [{ field: "formId" }]
        }).pipe(orDieOnInvalidListing(OrgUnitReferenceInstanceModel))
      })
  }
}
