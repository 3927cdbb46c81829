/**
 * The `OrgUnitChangeRequests` service: proposals of new org units and of edits, their review, and
 * the reference submissions of units, under IASO's rules:
 * - any actor of the account proposes, for a unit within its org-unit roots; a proposal without a
 *   unit creates one, `NEW`, `custom`, with the actor as creator (IASO's mobile creation), under the
 *   proposed parent (the account's default version for a root); a request on a `NEW` unit is of kind
 *   `org_unit_creation`, otherwise `org_unit_change`;
 * - the device's `uuid` makes creation idempotent: the same request re-sent is answered with the
 *   stored one, other content under the same uuid is a `Conflict`;
 * - approving and rejecting need `iaso_org_units_change_request_review` and a `new` request
 *   (otherwise `Conflict`); approving applies a chosen subset of the requested fields to the unit in
 *   one unit of work (a new parent moves the subtree, a new shape recomputes the simplified one,
 *   groups are replaced, reference submissions merged per form) and makes the unit `VALID`;
 *   rejecting needs a comment and makes the unit of a creation request `REJECTED`;
 * - a submission is the reference of a unit for its form when it has a form, the unit a type, and
 *   the form is one of the type's reference forms; flagging replaces the previous reference for that
 *   form.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { lazyService } from "../shared/lazy-module.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import type { GroupId, InstanceId, OrgUnitId, OrgUnitTypeId } from "../shared/entity-ids.ts"
import type { Forbidden, NotFound, StorageError, ValidationError } from "../shared/errors.ts"
import type { GeoMultiPolygonInput, GeoPoint } from "../shared/geometry.ts"
import type { ListOptions, ResultPage } from "../shared/repository.ts"
import type { CurrentActor } from "../tenancy/actor.ts"
import type {
  ChangeRequestField,
  ChangeRequestKind,
  ChangeRequestStatus,
  OrgUnitChangeRequest,
  OrgUnitChangeRequestId,
  OrgUnitReferenceInstance
} from "./change-request.ts"
import { Groups } from "./groups-service.ts"
import { OrgUnits } from "./org-units-service.ts"

/** What a device or a user proposes (see {@link OrgUnitChangeRequests | OrgUnitChangeRequests.create}). */
export interface OrgUnitChangeRequestCreate {
  /** Made by the device (a lower-case UUID): a re-sent request carries the same one. */
  readonly uuid: string
  /** The unit to change; absent: the request proposes a new unit (created `NEW`, `custom`, the actor as creator). */
  readonly orgUnitId?: OrgUnitId
  readonly newParentId?: OrgUnitId
  /** Required when the request proposes a new unit. */
  readonly newName?: string
  readonly newOrgUnitTypeId?: OrgUnitTypeId
  /** A GeoJSON Point (lon, lat[, alt]). */
  readonly newLocation?: typeof GeoPoint.Encoded
  /** A GeoJSON Polygon or MultiPolygon (stored as a MultiPolygon). */
  readonly newGeom?: typeof GeoMultiPolygonInput.Encoded
  /** `YYYY-MM-DD`. */
  readonly newOpeningDate?: string
  /** `YYYY-MM-DD`, later than the opening date when both are given. */
  readonly newClosedDate?: string
  /** The unit's groups once approved (they replace the current ones); groups of the unit's version. */
  readonly newGroupIds?: ReadonlyArray<GroupId>
  /** Reference submissions, at most one per form. */
  readonly newReferenceInstanceIds?: ReadonlyArray<InstanceId>
}

/** Filters of {@link OrgUnitChangeRequests | OrgUnitChangeRequests.list} (all optional; all must hold). */
export interface OrgUnitChangeRequestSearch extends ListOptions {
  readonly statuses?: ReadonlyArray<ChangeRequestStatus>
  readonly kinds?: ReadonlyArray<ChangeRequestKind>
  /** Requests about this unit or a unit under it. */
  readonly underOrgUnitId?: OrgUnitId
}

/**
 * Org-unit change requests and reference submissions (see the module documentation for the rules).
 * Provided by `Iaso.layer`; on the Promise facade, `iaso.as(actor).changeRequests`. Its calls are
 * listed under `Service`.
 */
export class OrgUnitChangeRequests extends Context.Service<
  OrgUnitChangeRequests,
  {
    /**
     * Proposes a new unit or an edit of a unit within the actor's roots. Re-sending the same request
     * (same uuid, same content) answers the stored one and writes nothing; other content under a
     * stored uuid is a `Conflict`.
     */
    readonly create: (input: OrgUnitChangeRequestCreate) => Effect.Effect<OrgUnitChangeRequest, ServiceWriteError, CurrentActor>
    /** One request about a unit the actor sees. */
    readonly get: (id: OrgUnitChangeRequestId) => Effect.Effect<OrgUnitChangeRequest, NotFound | StorageError, CurrentActor>
    /** The requests about units the actor sees, filtered (see {@link OrgUnitChangeRequestSearch}), a page. */
    readonly list: (
      search?: OrgUnitChangeRequestSearch
    ) => Effect.Effect<ResultPage<Partial<OrgUnitChangeRequest>>, NotFound | ValidationError | StorageError, CurrentActor>
    /**
     * Approves a `new` request: applies `approvedFields` (a non-empty subset of its requested fields)
     * to the unit in one unit of work and makes the unit `VALID` (needs `iaso_org_units_change_request_review`).
     */
    readonly approve: (
      id: OrgUnitChangeRequestId,
      approvedFields: ReadonlyArray<ChangeRequestField>
    ) => Effect.Effect<OrgUnitChangeRequest, ServiceWriteError, CurrentActor>
    /**
     * Rejects a `new` request with a comment; the unit of a creation request becomes `REJECTED`
     * (needs `iaso_org_units_change_request_review`).
     */
    readonly reject: (id: OrgUnitChangeRequestId, comment: string) => Effect.Effect<OrgUnitChangeRequest, ServiceWriteError, CurrentActor>
    /** Makes a submission the reference of a unit for its form, replacing the previous one (needs `iaso_org_units`). */
    readonly flagReferenceInstance: (orgUnitId: OrgUnitId, instanceId: InstanceId) => Effect.Effect<OrgUnitReferenceInstance, ServiceWriteError, CurrentActor>
    /** Removes a submission from a unit's references (nothing when it is not one; needs `iaso_org_units`). */
    readonly unflagReferenceInstance: (orgUnitId: OrgUnitId, instanceId: InstanceId) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** The reference submissions of a unit the actor sees, one per form. */
    readonly referenceInstances: (
      orgUnitId: OrgUnitId
    ) => Effect.Effect<ReadonlyArray<OrgUnitReferenceInstance>, NotFound | Forbidden | StorageError, CurrentActor>
  }
>()("@iaso/core/OrgUnitChangeRequests") {
  static readonly layer = Layer.effect(
    OrgUnitChangeRequests,
    Effect.gen(function* () {
      const repos = yield* Repos
      const orgUnits = yield* OrgUnits
      const groups = yield* Groups
      return OrgUnitChangeRequests.of(
        lazyService("the org-unit change requests", () => import("./change-requests-ops.ts").then((ops) => ops.makeChangeRequests(repos, orgUnits, groups)), {
          create: true,
          get: true,
          list: true,
          approve: true,
          reject: true,
          flagReferenceInstance: true,
          unflagReferenceInstance: true,
          referenceInstances: true
        })
      )
    })
  ).pipe(Layer.provide(Layer.mergeAll(OrgUnits.layer, Groups.layer)))
}
