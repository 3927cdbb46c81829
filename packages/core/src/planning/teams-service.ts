/**
 * The `Teams` service: who does field work. A team is a team of users or a team of teams (its type
 * is inferred from its members), inside one project; teams form trees through their parents, and
 * each keeps a materialised path (its ancestors' ids and its own, root first, each followed by `/`)
 * that only this service computes: a caller never gives it. Moving a team (a new parent, or a new
 * list of sub-teams) rewrites the paths of its whole subtree in the same transaction. Rules and
 * messages are IASO's: `parentIsNotTeamOfTeam`, `noLoopInSubTree`, `Sub teams must be in the same
 * project`, `Teams cannot have both users and sub teams`, `Incorrect type`, and the colour's
 * `<v> is not a valid hex color code. It should be in the format #RRGGBB.` (colours are stored
 * upper-case). Writes need `iaso_teams`; reads any actor of the account. Every change is audited
 * (source `TEAM_API`).
 *
 * A write that computes a team's path from its parent's (a creation under a parent, a move) also
 * writes that parent (an untyped parent becomes a team of teams, as in IASO), with the version it
 * read: two writers of one tree on different connections therefore always meet on a row, and the
 * later one runs again on the new paths instead of writing a stale one.
 *
 * Differences from IASO, on purpose:
 * - A soft-deleted team is no parent, sub-team, filter value or target of an update (IASO's
 *   default manager still offers it); member counts count live sub-teams.
 * - A parent in another project is refused with `Sub teams must be in the same project` (IASO
 *   checks the project of sub-teams only, so a tree could span projects through `parent`).
 * - An explicit type on a team without members is kept (a team of users before its first user);
 *   members decide the type, and a type they contradict is `Incorrect type`.
 * @module
 */
import { Context, Effect, Layer, Schema } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing, versionConflictAsRetryable as retryOnRace } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { refuseComputed } from "../kernel/write-policy.ts"
import { ProjectId, TeamId, UserId } from "../shared/entity-ids.ts"
import { NotFound, type StorageError, ValidationError, VersionConflict } from "../shared/errors.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Condition } from "../shared/query.ts"
import { findIn, listAll, type Repositories } from "../shared/repository.ts"
import { foldKey, NonBlankTextMax, Text } from "../shared/text.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { DEFAULT_TEAM_COLOR, decodeInput, issuesError, PlanningMessages, TEAM_AUDIT_SOURCE } from "./planning-rules.ts"
import { type Team, TeamModel, TeamType, TeamUserModel } from "./team.ts"

/** What a caller gives to create a team (never its path, which the service computes). */
export const TeamCreate = Schema.Struct({
  name: NonBlankTextMax(100),
  /** Default "". */
  description: Schema.optionalKey(Text),
  projectId: ProjectId,
  managerId: UserId,
  /** A team of teams (or an untyped team, which becomes one) of the same project. */
  parentId: Schema.optionalKey(TeamId),
  /** Inferred from the members; a contradicting value is `Incorrect type`. */
  type: Schema.optionalKey(TeamType),
  /** `#RRGGBB` in any case (stored upper-case); default `#EF5350`. */
  color: Schema.optionalKey(Schema.String),
  /** The members of a team of users. */
  userIds: Schema.optionalKey(Schema.Array(UserId)),
  /** The sub-teams of a team of teams: each is moved under this team, with its subtree. */
  subTeamIds: Schema.optionalKey(Schema.Array(TeamId))
})
export type TeamCreate = typeof TeamCreate.Type

/**
 * A change to a team: the fields given change (`parentId: null` makes it a root, `type: null`
 * clears an explicit type); `userIds` and `subTeamIds` replace the members (sub-teams left out
 * become roots of their own trees).
 */
export const TeamUpdate = Schema.Struct({
  name: Schema.optionalKey(NonBlankTextMax(100)),
  description: Schema.optionalKey(Text),
  projectId: Schema.optionalKey(ProjectId),
  managerId: Schema.optionalKey(UserId),
  parentId: Schema.optionalKey(Schema.NullOr(TeamId)),
  type: Schema.optionalKey(Schema.NullOr(TeamType)),
  color: Schema.optionalKey(Schema.String),
  userIds: Schema.optionalKey(Schema.Array(UserId)),
  subTeamIds: Schema.optionalKey(Schema.Array(TeamId))
})
export type TeamUpdate = typeof TeamUpdate.Type

/** Which teams a listing keeps: `active` (default), `deleted` or `all`. */
export const DeletionStatus = Schema.Literals(["active", "deleted", "all"])
export type DeletionStatus = typeof DeletionStatus.Type

/** Filters of {@link Teams | Teams.list} (all optional; all must hold). By name. */
export const TeamSearch = Schema.Struct({
  deletionStatus: Schema.optionalKey(DeletionStatus),
  /** A team whose subtree (itself included) is listed; an unknown one is IASO's invalid choice. */
  ancestor: Schema.optionalKey(TeamId),
  managerIds: Schema.optionalKey(Schema.Array(UserId)),
  types: Schema.optionalKey(Schema.Array(TeamType)),
  projectIds: Schema.optionalKey(Schema.Array(ProjectId)),
  ids: Schema.optionalKey(Schema.Array(TeamId)),
  /** Part of the name, compared folded (case and accents ignored). */
  search: Schema.optionalKey(Text)
})
export type TeamSearch = typeof TeamSearch.Type

/** A team with its members. */
export interface TeamDetail extends Team {
  /** Its users (a team of users), in the order they were added. */
  readonly userIds: ReadonlyArray<UserId>
  /** Its live sub-teams (a team of teams), by name. */
  readonly subTeamIds: ReadonlyArray<TeamId>
  /** IASO's `members_count`: sub-teams of a team of teams, users of a team of users, else 0. */
  readonly membersCount: number
}

const HEX = /^#[0-9A-Fa-f]{6}$/

/** A colour upper-cased, or IASO's refusal. */
export const normaliseTeamColor = (value: string): string | ValidationError =>
  HEX.test(value) ? value.toUpperCase() : ValidationError.at(["color"], PlanningMessages.invalidColor(value))

type ReadError = NotFound | ValidationError | StorageError

/**
 * Teams (see the module documentation for the rules). Provided by `Iaso.layer`; on the Promise
 * facade, `iaso.as(actor).teams`.
 */
export class Teams extends Context.Service<
  Teams,
  {
    /** Creates a team: type inferred, path computed under its parent, members linked; audited. */
    readonly create: (input: TeamCreate) => Effect.Effect<TeamDetail, ServiceWriteError, CurrentActor>
    /** Changes a team; a new parent or new sub-teams rewrite the moved subtrees' paths in the same transaction. */
    readonly update: (
      id: TeamId,
      patch: TeamUpdate,
      options?: { readonly expectedVersion?: number }
    ) => Effect.Effect<TeamDetail, ServiceWriteError, CurrentActor>
    /** Soft-deletes a team (`deletedAt`); its sub-teams keep their place. */
    readonly remove: (id: TeamId) => Effect.Effect<Team, ServiceWriteError, CurrentActor>
    /** A team of the account (deleted or not) with its members. */
    readonly get: (id: TeamId) => Effect.Effect<TeamDetail, NotFound | StorageError, CurrentActor>
    /** The teams matching the filters, by name, with their members. */
    readonly list: (search?: TeamSearch) => Effect.Effect<ReadonlyArray<TeamDetail>, ReadError, CurrentActor>
  }
>()("@iaso/core/Teams") {
  /** The service over {@link Repos}. */
  static readonly layer = Layer.effect(
    Teams,
    Effect.map(Effect.service(Repos), (repos) => Teams.of(makeTeams(repos)))
  )
}

const WRITE = ["iaso_teams"]

/** Every team (deleted or not) whose path starts with `prefix`, the team at `prefix` itself left out. */
const subtreeBelow = (repos: Repositories, accountId: string, prefix: string) =>
  listAll((page) => repos.list(TeamModel, accountId, page), {
    where: [
      { field: "path", op: "startsWith", value: prefix },
      { field: "path", op: "ne", value: prefix }
    ],
    orderBy: [{ field: "path" }]
  }).pipe(orDieOnInvalidListing(TeamModel))

/** The team's live children, by name. */
const childrenOf = (repos: Repositories, accountId: string, ids: ReadonlyArray<string>) =>
  findIn((page) => repos.list(TeamModel, accountId, page), "parentId", ids, {
    where: [{ field: "deletedAt", op: "isNull" }],
    orderBy: [{ field: "name" }]
  }).pipe(orDieOnInvalidListing(TeamModel))

/** Teams with their members (user links and live sub-teams), in the same order. */
export const teamsWithMembers = (repos: Repositories, accountId: string, teams: ReadonlyArray<Team>): Effect.Effect<ReadonlyArray<TeamDetail>, StorageError> =>
  Effect.gen(function* () {
    const ids = teams.map((team) => team.id)
    if (ids.length === 0) return []
    const links = yield* findIn((page) => repos.list(TeamUserModel, accountId, page), "teamId", ids, { orderBy: [{ field: "createdAt" }] }).pipe(
      orDieOnInvalidListing(TeamUserModel)
    )
    const children = yield* childrenOf(repos, accountId, ids)
    const users = new Map<string, Array<UserId>>()
    for (const link of links) users.set(link.teamId, [...(users.get(link.teamId) ?? []), link.userId])
    const subs = new Map<string, Array<TeamId>>()
    for (const child of children) if (child.parentId !== undefined) subs.set(child.parentId, [...(subs.get(child.parentId) ?? []), child.id])
    return teams.map((team) => {
      const userIds = users.get(team.id) ?? []
      const subTeamIds = subs.get(team.id) ?? []
      const membersCount = team.type === "TEAM_OF_TEAMS" ? subTeamIds.length : team.type === "TEAM_OF_USERS" ? userIds.length : 0
      return { ...team, userIds, subTeamIds, membersCount }
    })
  })

const makeTeams = (repos: Repositories): Teams["Service"] => {
  const auditTeams = (actor: Actor, changes: ReadonlyArray<{ readonly id: string; readonly before?: unknown; readonly after?: unknown }>) =>
    audit(repos, actor, TEAM_AUDIT_SOURCE, TeamModel, changes)

  /** A live team of the account, else `NotFound`. */
  const liveTeam = (accountId: string, id: string): Effect.Effect<Team, NotFound | StorageError> =>
    Effect.flatMap(repos.getMany(TeamModel, accountId, [id]), ([team]) =>
      team === undefined || team.deletedAt !== undefined ? Effect.fail(NotFound.of(TeamModel.name, id)) : Effect.succeed(team)
    )

  /**
   * Moves `team` to `path` (under `parentId`, or a root), with `extra` fields, rewriting its
   * subtree's paths; every write expects the version read in this transaction. Answers the team after.
   */
  const relocate = (actor: Actor, team: Team, parentId: TeamId | undefined, path: string, extra: Record<string, unknown>) =>
    Effect.gen(function* () {
      const changes: Array<{ id: string; before: Team; after: Team }> = []
      if (path !== team.path) {
        for (const below of yield* subtreeBelow(repos, actor.accountId, team.path)) {
          const after = yield* retryOnRace(
            repos.update(TeamModel, actor.accountId, below.id, { path: path + below.path.slice(team.path.length) }, { expectedVersion: below.version })
          )
          changes.push({ id: below.id, before: below, after })
        }
      }
      const after = yield* retryOnRace(
        repos.update(TeamModel, actor.accountId, team.id, { ...extra, parentId: parentId ?? null, path }, { expectedVersion: team.version })
      )
      changes.push({ id: team.id, before: team, after })
      yield* auditTeams(actor, changes)
      return after
    })

  /**
   * Writes the parent a path is computed from (an untyped parent becomes a team of teams), with
   * the version read: a concurrent move of the parent or of one of its ancestors meets it here.
   */
  const holdParent = (actor: Actor, parent: Team) =>
    Effect.gen(function* () {
      const after = yield* retryOnRace(repos.update(TeamModel, actor.accountId, parent.id, { type: "TEAM_OF_TEAMS" }, { expectedVersion: parent.version }))
      if (parent.type !== "TEAM_OF_TEAMS") yield* auditTeams(actor, [{ id: parent.id, before: parent, after }])
    })

  /** Creates (`existing` absent) or changes a team. Inside a transaction. */
  const save = (actor: Actor, existing: Team | undefined, input: TeamUpdate & { readonly projectId?: ProjectId }, expectedVersion?: number) =>
    Effect.gen(function* () {
      const id = (existing?.id ?? uuidv7()) as TeamId
      const projectId = input.projectId ?? existing?.projectId
      if (projectId === undefined) return yield* ValidationError.at(["projectId"], "is missing")
      const currentUsers =
        existing === undefined
          ? []
          : yield* listAll((page) => repos.list(TeamUserModel, actor.accountId, page), {
              where: [{ field: "teamId", op: "eq", value: id }],
              orderBy: [{ field: "createdAt" }]
            }).pipe(orDieOnInvalidListing(TeamUserModel))
      const currentSubs = existing === undefined ? [] : yield* childrenOf(repos, actor.accountId, [id])
      const userIds = [...new Set(input.userIds ?? currentUsers.map((link) => link.userId))]
      const subTeamIds = [...new Set(input.subTeamIds ?? currentSubs.map((team) => team.id))]
      const parentId = input.parentId === undefined ? existing?.parentId : (input.parentId ?? undefined)
      const parent = parentId === undefined ? undefined : yield* liveTeam(actor.accountId, parentId)
      const subs = yield* Effect.forEach(subTeamIds, (subId) => liveTeam(actor.accountId, subId))
      const issues: Array<{ path: ReadonlyArray<string>; message: string }> = []
      if (parent !== undefined) {
        if (parent.type !== undefined && parent.type !== "TEAM_OF_TEAMS") issues.push({ path: ["parentId"], message: PlanningMessages.parentIsNotTeamOfTeam })
        if (parent.id === id || (existing !== undefined && parent.path.startsWith(existing.path))) {
          issues.push({ path: ["parentId"], message: PlanningMessages.noLoopInSubTree })
        }
        if (parent.projectId !== projectId) issues.push({ path: ["parentId"], message: PlanningMessages.subTeamsSameProject })
      }
      // Given sub-teams: none may be the team itself nor one of its (new) ancestors.
      if (input.subTeamIds !== undefined) {
        if (subs.some((sub) => sub.id === id || parent?.path.startsWith(sub.path) === true)) {
          issues.push({ path: ["subTeamIds"], message: PlanningMessages.noLoopInSubTree })
        }
        if (subs.some((sub) => sub.projectId !== projectId)) issues.push({ path: ["subTeamIds"], message: PlanningMessages.subTeamsSameProject })
      }
      if (userIds.length > 0 && subTeamIds.length > 0) issues.push({ path: [], message: PlanningMessages.usersAndSubTeams })
      const inferred = userIds.length > 0 ? "TEAM_OF_USERS" : subTeamIds.length > 0 ? "TEAM_OF_TEAMS" : undefined
      if (input.type !== undefined && input.type !== null && inferred !== undefined && input.type !== inferred) {
        issues.push({ path: ["type"], message: PlanningMessages.incorrectType })
      }
      const color = input.color === undefined ? (existing?.color ?? DEFAULT_TEAM_COLOR) : normaliseTeamColor(input.color)
      if (color instanceof ValidationError) issues.push({ path: ["color"], message: PlanningMessages.invalidColor(input.color ?? "") })
      if (issues.length > 0) return yield* issuesError(issues)
      const type = inferred ?? (input.type === undefined ? existing?.type : (input.type ?? undefined))
      const path = `${parent?.path ?? ""}${id}/`
      const fields: Record<string, unknown> = {
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.managerId === undefined ? {} : { managerId: input.managerId }),
        projectId,
        color,
        type: type ?? null,
        ...(actor.userId === undefined ? {} : { createdById: actor.userId })
      }
      let team: Team
      if (existing === undefined) {
        const { type: _untyped, ...rest } = fields
        team = yield* repos.insert(TeamModel, actor.accountId, {
          id,
          description: "",
          ...rest,
          ...(type === undefined ? {} : { type }),
          ...(parentId === undefined ? {} : { parentId }),
          path
        })
        yield* auditTeams(actor, [{ id, after: team }])
        if (parent !== undefined) yield* holdParent(actor, parent)
      } else {
        if (expectedVersion !== undefined && expectedVersion !== existing.version) {
          // The caller's own expectation: a plain VersionConflict, not a rerun.
          return yield* new VersionConflict({
            model: TeamModel.name,
            id,
            expected: expectedVersion,
            actual: existing.version,
            message: `${TeamModel.name} ${id} is at version ${existing.version}, not ${expectedVersion}`
          })
        }
        team = yield* relocate(actor, existing, parentId, path, fields)
        if (parent !== undefined && parent.id !== existing.parentId) yield* holdParent(actor, parent)
      }
      // Sub-teams: the listed ones move under the team (with their subtrees), the others leave it.
      if (input.subTeamIds !== undefined) {
        const wanted = new Set<string>(subTeamIds)
        for (const old of currentSubs) {
          if (wanted.has(old.id)) continue
          const fresh = yield* repos.get(TeamModel, actor.accountId, old.id)
          yield* relocate(actor, fresh, undefined, `${fresh.id}/`, {})
        }
        for (const subId of subTeamIds) {
          const fresh = yield* repos.get(TeamModel, actor.accountId, subId)
          if (fresh.parentId === id && fresh.path === `${team.path}${fresh.id}/`) continue
          yield* relocate(actor, fresh, id, `${team.path}${fresh.id}/`, {})
        }
        if (subTeamIds.length > 0 && team.type !== "TEAM_OF_TEAMS") team = yield* repos.update(TeamModel, actor.accountId, id, { type: "TEAM_OF_TEAMS" })
        team = yield* repos.get(TeamModel, actor.accountId, id)
      }
      // Users: the links follow the list.
      if (input.userIds !== undefined) {
        const wanted = new Set<string>(userIds)
        const have = new Set<string>(currentUsers.map((link) => link.userId))
        for (const link of currentUsers) if (!wanted.has(link.userId)) yield* repos.remove(TeamUserModel, actor.accountId, link.id)
        const added = userIds.filter((userId) => !have.has(userId))
        if (added.length > 0) {
          yield* repos.insertMany(
            TeamUserModel,
            actor.accountId,
            added.map((userId) => ({ teamId: id, userId })),
            { atomic: true }
          )
        }
      }
      const [detail] = yield* teamsWithMembers(repos, actor.accountId, [team])
      return detail ?? { ...team, userIds, subTeamIds, membersCount: 0 }
    })

  const writer = (action: string) => Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.as(requireAny(actor, WRITE, action), actor))

  const create = (input: TeamCreate) =>
    Effect.gen(function* () {
      const actor = yield* writer("creating teams")
      const computed = typeof input === "object" && input !== null ? refuseComputed(TeamModel, input) : undefined
      if (computed !== undefined) return yield* computed
      const decoded = yield* decodeInput(TeamCreate, input)
      return yield* repos.driver.transaction(save(actor, undefined, decoded))
    })

  const update = (id: TeamId, patch: TeamUpdate, options: { readonly expectedVersion?: number } = {}) =>
    Effect.gen(function* () {
      const actor = yield* writer("changing teams")
      const computed = typeof patch === "object" && patch !== null ? refuseComputed(TeamModel, patch) : undefined
      if (computed !== undefined) return yield* computed
      const decoded = yield* decodeInput(TeamUpdate, patch)
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const existing = yield* liveTeam(actor.accountId, id)
          return yield* save(actor, existing, decoded, options.expectedVersion)
        })
      )
    })

  const remove = (id: TeamId) =>
    Effect.gen(function* () {
      const actor = yield* writer("deleting teams")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* liveTeam(actor.accountId, id)
          const after = yield* repos.update(TeamModel, actor.accountId, id, { deletedAt: yield* now }, { expectedVersion: before.version })
          yield* auditTeams(actor, [{ id, before, after }])
          return after
        })
      )
    })

  const get = (id: TeamId) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const team = yield* repos.get(TeamModel, actor.accountId, id)
      const [detail] = yield* teamsWithMembers(repos, actor.accountId, [team])
      return detail ?? { ...team, userIds: [], subTeamIds: [], membersCount: 0 }
    })

  const list = (search: TeamSearch = {}) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      const filters = yield* decodeInput(TeamSearch, search)
      const where: Array<Condition> = []
      const status = filters.deletionStatus ?? "active"
      if (status === "active") where.push({ field: "deletedAt", op: "isNull" })
      if (status === "deleted") where.push({ field: "deletedAt", op: "isNotNull" })
      if (filters.ancestor !== undefined) {
        const [ancestor] = yield* repos.getMany(TeamModel, actor.accountId, [filters.ancestor])
        if (ancestor === undefined || ancestor.deletedAt !== undefined) return yield* ValidationError.at(["ancestor"], PlanningMessages.invalidChoice)
        where.push({ field: "path", op: "startsWith", value: ancestor.path })
      }
      if (filters.managerIds !== undefined) where.push({ field: "managerId", op: "in", value: filters.managerIds })
      if (filters.types !== undefined) where.push({ field: "type", op: "in", value: filters.types })
      if (filters.projectIds !== undefined) where.push({ field: "projectId", op: "in", value: filters.projectIds })
      if (filters.ids !== undefined) where.push({ field: "id", op: "in", value: filters.ids })
      const teams = yield* listAll((page) => repos.list(TeamModel, actor.accountId, page, where), { orderBy: [{ field: "name" }] }).pipe(
        orDieOnInvalidListing(TeamModel)
      )
      const text = filters.search === undefined ? "" : foldKey(filters.search)
      return yield* teamsWithMembers(repos, actor.accountId, text === "" ? teams : teams.filter((team) => foldKey(team.name).includes(text)))
    })

  return { create, update, remove, get, list }
}
