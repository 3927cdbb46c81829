/**
 * The `Comments` service: remarks users leave about org units, with one level of replies. IASO's
 * rules: only org units are commented; the actor must see the org unit (under its org-unit roots)
 * to comment or read; a reply answers a comment that is not itself a reply
 * (`Only one depth of commenting`) and is about the same org unit as that comment. Listings give
 * the public root comments, oldest first, each with its replies; a removed comment stays in its
 * thread with `isRemoved` set. Any user of the account may comment; its author (or the host app)
 * removes a comment.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import type { CommentId, OrgUnitId } from "../shared/entity-ids.ts"
import { Forbidden, type NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor } from "../tenancy/actor.ts"
import { type CommentIaso, CommentIasoModel } from "./comment.ts"

/** What {@link Comments | Comments.create} takes. */
export interface CommentCreate {
  /** The commented org unit. */
  readonly orgUnitId: OrgUnitId
  /** The remark (at most 3000 characters). */
  readonly comment: string
  /** The comment this one answers (a root comment about the same org unit). */
  readonly parentId?: CommentId
  /** Name the author gives. */
  readonly userName?: string
  /** E-mail address the author gives. */
  readonly userEmail?: string
}

/** A root comment with its replies, oldest first. */
export interface CommentThread {
  /** The root comment. */
  readonly comment: CommentIaso
  /** Its replies. */
  readonly replies: ReadonlyArray<CommentIaso>
}

/**
 * Comments on org units (see the module documentation for the rules). Provided by `Iaso.layer`;
 * on the Promise facade, `iaso.as(actor).comments`. Its calls are listed under `Service`.
 */
export class Comments extends Context.Service<
  Comments,
  {
    /** Comments an org unit the actor sees, or replies to a root comment about it. */
    readonly create: (input: CommentCreate) => Effect.Effect<CommentIaso, ServiceWriteError, CurrentActor>
    /** Flags a comment as removed (its author or the host app). */
    readonly remove: (id: CommentId) => Effect.Effect<CommentIaso, ServiceWriteError, CurrentActor>
    /** The public threads about an org unit the actor sees, or, without one, about every org unit it sees. */
    readonly list: (search?: { readonly orgUnitId?: OrgUnitId }) => Effect.Effect<ReadonlyArray<CommentThread>, NotFound | StorageError, CurrentActor>
  }
>()("@iaso/core/Comments") {
  static readonly layer = Layer.effect(
    Comments,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Comments.of(makeComments(repos))
    })
  )
}

const ORG_UNIT = "OrgUnit"

const makeComments = (repos: Repositories): Comments["Service"] => {
  const access = makeRowAccess(repos)
  /** The org unit, `NotFound` unless the actor sees it. */
  const visibleUnit = (actor: Actor, id: OrgUnitId) =>
    Effect.gen(function* () {
      const unit = yield* repos.get(OrgUnitModel, actor.accountId, id)
      yield* access.requireVisible(actor, OrgUnitModel, unit)
      return unit
    })

  const threads = (comments: ReadonlyArray<CommentIaso>): ReadonlyArray<CommentThread> => {
    const ordered = [...comments].sort((a, b) => a.submitDate.getTime() - b.submitDate.getTime() || a.id.localeCompare(b.id))
    return ordered
      .filter((comment) => comment.parentId === undefined && comment.isPublic)
      .map((comment) => ({ comment, replies: ordered.filter((reply) => reply.parentId === comment.id && reply.isPublic) }))
  }

  return {
    create: (input) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const unit = yield* visibleUnit(actor, input.orgUnitId)
        if (input.parentId !== undefined) {
          const parent = yield* repos.get(CommentIasoModel, actor.accountId, input.parentId)
          if (parent.parentId !== undefined) return yield* ValidationError.at(["parentId"], "Only one depth of commenting")
          if (parent.objectModel !== ORG_UNIT || parent.objectPk !== unit.id) {
            return yield* ValidationError.at(["parentId"], "A reply must be about the same object as the comment it answers")
          }
        }
        return yield* repos.insert(CommentIasoModel, actor.accountId, {
          objectModel: ORG_UNIT,
          objectPk: unit.id,
          comment: input.comment,
          submitDate: yield* now,
          userName: input.userName ?? "",
          userEmail: input.userEmail ?? "",
          userUrl: "",
          isPublic: true,
          isRemoved: false,
          ...(actor.userId === undefined ? {} : { userId: actor.userId }),
          ...(input.parentId === undefined ? {} : { parentId: input.parentId })
        })
      }),
    remove: (id) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const comment = yield* repos.get(CommentIasoModel, actor.accountId, id)
        yield* visibleUnit(actor, comment.objectPk as OrgUnitId)
        if (actor.kind !== "system" && (actor.userId === undefined || actor.userId !== comment.userId)) {
          return yield* new Forbidden({ message: "Only the author of a comment may remove it" })
        }
        return yield* repos.update(CommentIasoModel, actor.accountId, id, { isRemoved: true })
      }),
    list: (search = {}) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        const where = [{ field: "objectModel", op: "eq" as const, value: ORG_UNIT }]
        if (search.orgUnitId !== undefined) {
          yield* visibleUnit(actor, search.orgUnitId)
          where.push({ field: "objectPk", op: "eq", value: search.orgUnitId })
        }
        const comments = yield* listAll((options) => repos.list(CommentIasoModel, actor.accountId, options), { where }).pipe(
          orDieOnInvalidListing(CommentIasoModel)
        )
        if (search.orgUnitId !== undefined) return threads(comments)
        const unitIds = [...new Set(comments.map((comment) => comment.objectPk))]
        const units = yield* repos.getMany(OrgUnitModel, actor.accountId, unitIds)
        const seen = new Set((yield* access.keepVisible(actor, OrgUnitModel, units)).map((unit) => unit.id as string))
        return threads(comments.filter((comment) => seen.has(comment.objectPk)))
      })
  }
}
