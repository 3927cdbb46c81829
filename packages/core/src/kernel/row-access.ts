/**
 * Row access: the actor's org-unit roots applied to a model from its declared row scope
 * ({@link RowScopeDecl}), the same way for every caller (the generic `Records` service and every
 * domain service). A row outside the actor's roots is answered as a row of another account is:
 * absent (`NotFound`, left out of listings, counts and the change feed).
 * @module
 */
import { Effect } from "effect"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { Forbidden, NotFound, type StorageError } from "../shared/errors.ts"
import type { AnyModel, RowScopeDecl } from "../shared/model.ts"
import { type Condition, disjointPrefixes } from "../shared/query.ts"
import { type FieldCondition, listAll, type Repositories, scopeOf } from "../shared/repository.ts"
import { orDieOnInvalidListing } from "./expect.ts"
import { type Actor, ownerKey } from "../tenancy/actor.ts"
import type { Permission } from "../tenancy/permissions.ts"

/** A record in stored or domain form: row scopes read only id and text fields by name. */
type Fields = Readonly<Record<string, unknown>>

/** Whether the actor holds one of `permissions` (an empty list: any actor of the account). */
export const mayRead = (actor: Actor, model: AnyModel): boolean =>
  model.access.read.length === 0 || model.access.read.some((permission) => actor.permissions.has(permission as Permission))

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined)

/**
 * The values a listing's conditions pin a field to (`eq` or `in`), or `undefined` when it does not.
 * Read before the listing checks its conditions: a malformed one pins nothing (and is refused then).
 */
const pinned = (where: ReadonlyArray<FieldCondition>, field: string): ReadonlyArray<string> | undefined => {
  let values: ReadonlyArray<string> | undefined
  const conditions: ReadonlyArray<FieldCondition | null> = Array.isArray(where) ? where : []
  for (const condition of conditions) {
    if (typeof condition !== "object" || condition === null || condition.field !== field) continue
    const these: ReadonlyArray<unknown> | undefined =
      condition.op === "eq" ? [condition.value] : condition.op === "in" && Array.isArray(condition.value) ? condition.value : undefined
    if (these === undefined) continue
    const strings = these.filter((value): value is string => typeof value === "string")
    values = values === undefined ? strings : values.filter((value) => strings.includes(value))
  }
  return values
}

/**
 * `Forbidden` for an actor restricted to org units: for work that spans a whole source version
 * (pyramid imports, version copies and comparisons, matching), which no org-unit root can bound.
 */
export const requireUnrestricted = (actor: Actor, action: string): Effect.Effect<void, Forbidden> =>
  actor.orgUnitRoots.length === 0
    ? Effect.void
    : Effect.fail(new Forbidden({ message: `${action} spans a whole source version: an actor restricted to org units may not do it` }))

/** The row-scope rules over a store's repositories. */
export const makeRowAccess = (repos: Repositories) => {
  /**
   * The paths of the actor's org-unit roots, without the roots under another of them (they add no
   * unit: fewer subtrees to read and prefixes to test); `undefined` for an actor without roots
   * (sees every unit).
   */
  const rootPaths = (actor: Actor): Effect.Effect<ReadonlyArray<string> | undefined, StorageError> =>
    actor.orgUnitRoots.length === 0
      ? Effect.succeed(undefined)
      : Effect.map(repos.driver.getMany(OrgUnitModel, scopeOf(OrgUnitModel, actor.accountId), actor.orgUnitRoots), (rows) =>
          disjointPrefixes(rows.flatMap((row) => (typeof row["path"] === "string" ? [row["path"]] : [])))
        )

  const under = (paths: ReadonlyArray<string>, path: unknown): boolean => typeof path === "string" && paths.some((prefix) => path.startsWith(prefix))

  /** The ids of every org unit under the roots (one subtree read per root, ids only). */
  const unitIdsUnder = (actor: Actor, paths: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, StorageError> =>
    Effect.map(
      Effect.forEach(paths, (path) =>
        listAll((page) => repos.subtree(OrgUnitModel, actor.accountId, path, page), { select: ["id"] }).pipe(orDieOnInvalidListing(OrgUnitModel))
      ),
      (pages) => [...new Set(pages.flat().map((unit) => String(unit.id)))]
    )

  /** The live records of link model `name` whose `field` is one of `values` (none when the model is unknown). */
  const linksOf = (name: string, field: string, values: ReadonlyArray<string>, accountId: string): Effect.Effect<ReadonlyArray<Fields>, StorageError> => {
    const model = repos.models.get(name)
    if (model === undefined || values.length === 0) return Effect.succeed([])
    return listAll((page) => repos.list(model, accountId, page), { where: [{ field, op: "in", value: values }] }).pipe(
      orDieOnInvalidListing(model),
      Effect.map((rows) => rows as ReadonlyArray<Fields>)
    )
  }

  /** The ids of the actor's profiles (a user's profile in the account; none for the host app). */
  const profileIds = (actor: Actor): Effect.Effect<ReadonlyArray<string>, StorageError> =>
    actor.kind === "system" || actor.userId === undefined
      ? Effect.succeed([])
      : Effect.map(linksOf("Profile", "userId", [actor.userId], actor.accountId), (rows) => rows.flatMap((row) => text(row["id"]) ?? []))

  /**
   * The ids of the records of an actor-scoped model (`profileLinks`, `grantedTo`) the actor sees,
   * or `undefined` when it sees every record of the model.
   */
  const actorReach = (
    actor: Actor,
    scope: Extract<RowScopeDecl, { readonly kind: "profileLinks" | "grantedTo" }>
  ): Effect.Effect<ReadonlySet<string> | undefined, StorageError> =>
    Effect.gen(function* () {
      if (actor.kind === "system") return undefined
      if (scope.kind === "profileLinks") {
        const links = yield* linksOf(scope.link, "profileId", yield* profileIds(actor), actor.accountId)
        return links.length === 0 ? undefined : new Set(links.flatMap((link) => text(link[scope.field]) ?? []))
      }
      if (scope.bypass.some((permission) => actor.permissions.has(permission as Permission))) return undefined
      if (actor.userId === undefined) return new Set<string>()
      const direct = yield* linksOf(scope.users.link, "userId", [actor.userId], actor.accountId)
      const roles = yield* linksOf("ProfileUserRole", "profileId", yield* profileIds(actor), actor.accountId)
      const roleIds = roles.flatMap((link) => text(link["userRoleId"]) ?? [])
      const viaRoles = yield* linksOf(scope.roles.link, "userRoleId", roleIds, actor.accountId)
      return new Set([...direct.flatMap((link) => text(link[scope.users.field]) ?? []), ...viaRoles.flatMap((link) => text(link[scope.roles.field]) ?? [])])
    })

  /** Which of `records` of `model` the actor sees (same order), given its root paths. */
  const visibleWith = (
    actor: Actor,
    paths: ReadonlyArray<string> | undefined,
    model: AnyModel,
    records: ReadonlyArray<Fields>
  ): Effect.Effect<ReadonlyArray<boolean>, StorageError> =>
    Effect.gen(function* () {
      const scope = model.rowScope
      if (scope === undefined) return records.map(() => true)
      if (scope.kind === "audited") return yield* auditedVisible(actor, paths, records)
      if (scope.kind === "owner") {
        const owner = ownerKey(actor)
        return records.map((record) => actor.kind === "system" || record[scope.field] === owner)
      }
      if (scope.kind === "profileLinks" || scope.kind === "grantedTo") {
        const reach = yield* actorReach(actor, scope)
        return records.map((record) => reach === undefined || reach.has(String(record["id"])))
      }
      if (paths === undefined) return records.map(() => true)
      switch (scope.kind) {
        case "tree": {
          const field = model.hierarchy?.path ?? "path"
          return records.map((record) => under(paths, record[field]))
        }
        case "orgUnit": {
          const ids = [...new Set(records.flatMap((record) => scope.fields.flatMap((field) => text(record[field]) ?? [])))]
          const units = ids.length === 0 ? [] : yield* repos.driver.getMany(OrgUnitModel, scopeOf(OrgUnitModel, actor.accountId), ids)
          const reachable = new Set(units.filter((unit) => under(paths, unit["path"])).map((unit) => String(unit["id"])))
          return records.map((record) =>
            scope.fields.every((field) => {
              const id = text(record[field])
              return id !== undefined && reachable.has(id)
            })
          )
        }
        case "parent": {
          const target = repos.models.get(scope.target)
          if (target === undefined) return records.map(() => false)
          const ids = [...new Set(records.flatMap((record) => text(record[scope.field]) ?? []))]
          const parents = ids.length === 0 ? [] : yield* repos.driver.getMany(target, scopeOf(target, actor.accountId), ids)
          const seen = yield* visibleWith(actor, paths, target, parents)
          const reachable = new Set(parents.filter((_, index) => seen[index] === true).map((parent) => String(parent["id"])))
          return records.map((record) => {
            const id = text(record[scope.field])
            return id !== undefined && reachable.has(id)
          })
        }
        case "referencedBy": {
          const target = repos.models.get(scope.target)
          const ids = [...new Set(records.flatMap((record) => text(record["id"]) ?? []))]
          if (target === undefined || ids.length === 0) return records.map(() => false)
          const children = yield* referrers(actor, target, scope, ids)
          const seen = yield* visibleWith(actor, paths, target, children)
          const reachable = new Set(children.filter((_, index) => seen[index] === true).map((child) => String(child[scope.field])))
          return records.map((record) => reachable.has(String(record["id"])))
        }
      }
    })

  /** The live records of `target` pointing at `ids` through the scope's field. */
  const referrers = (
    actor: Actor,
    target: AnyModel,
    scope: Extract<RowScopeDecl, { readonly kind: "referencedBy" }>,
    ids: ReadonlyArray<string>,
    reach: ReadonlyArray<Condition> = []
  ): Effect.Effect<ReadonlyArray<Fields>, StorageError> =>
    listAll((page) => repos.list(target, actor.accountId, page, reach), {
      where: [
        { field: scope.field, op: "in", value: ids },
        ...(scope.live === undefined ? [] : [{ field: scope.live.field, op: "eq" as const, value: scope.live.value }])
      ]
    }).pipe(orDieOnInvalidListing(target))

  /**
   * Audit entries: the actor must be allowed to read the audited model and, when restricted, to see
   * the audited record: its current row, or, once deleted, the entry's own snapshot of it.
   */
  const auditedVisible = (
    actor: Actor,
    paths: ReadonlyArray<string> | undefined,
    entries: ReadonlyArray<Fields>
  ): Effect.Effect<ReadonlyArray<boolean>, StorageError> =>
    Effect.gen(function* () {
      const out = entries.map((entry) => {
        const model = repos.models.get(String(entry["objectModel"]))
        return model !== undefined && model !== AuditEntryModel && mayRead(actor, model)
      })
      const byModel = new Map<AnyModel, Array<number>>()
      entries.forEach((entry, index) => {
        const model = repos.models.get(String(entry["objectModel"]))
        // Without org-unit roots, only the actor-scoped models (projects, pages) restrict the entries.
        if (out[index] !== true || model === undefined || model.rowScope === undefined) return
        if (paths === undefined && model.rowScope.kind !== "profileLinks" && model.rowScope.kind !== "grantedTo" && model.rowScope.kind !== "owner") return
        const list = byModel.get(model) ?? []
        list.push(index)
        byModel.set(model, list)
      })
      for (const [model, indexes] of byModel) {
        const ids = indexes.map((index) => String(entries[index]?.["objectId"]))
        const rows = yield* repos.driver.getMany(model, scopeOf(model, actor.accountId), [...new Set(ids)])
        const current = new Map(rows.map((row) => [String(row["id"]), row]))
        const records: Array<Fields> = indexes.map((index, position) => {
          const entry = entries[index]
          const snapshot = entry?.["after"] ?? entry?.["before"]
          return current.get(ids[position] ?? "") ?? (typeof snapshot === "object" && snapshot !== null ? (snapshot as Fields) : {})
        })
        const seen = yield* visibleWith(actor, paths, model, records)
        indexes.forEach((index, position) => {
          out[index] = seen[position] === true
        })
      }
      return out
    })

  /** Which of `records` of `model` the actor sees (same order). */
  const visible = (actor: Actor, model: AnyModel, records: ReadonlyArray<Fields>): Effect.Effect<ReadonlyArray<boolean>, StorageError> =>
    model.rowScope === undefined || records.length === 0
      ? Effect.succeed(records.map(() => true))
      : Effect.flatMap(rootPaths(actor), (paths) => visibleWith(actor, paths, model, records))

  /** The records of `model` the actor sees, in order. */
  const keepVisible = <T extends Fields>(actor: Actor, model: AnyModel, records: ReadonlyArray<T>): Effect.Effect<ReadonlyArray<T>, StorageError> =>
    Effect.map(visible(actor, model, records), (seen) => records.filter((_, index) => seen[index] === true))

  /** `NotFound` (as for another account's record) unless the actor sees this record of `model`. */
  const requireVisible = (actor: Actor, model: AnyModel, record: Fields): Effect.Effect<void, NotFound | StorageError> =>
    Effect.flatMap(visible(actor, model, [record]), ([seen]) => (seen === true ? Effect.void : Effect.fail(NotFound.of(model.name, String(record["id"])))))

  /**
   * A record about to be written must stay where the actor sees it. Refused as a reference to an
   * unknown record would be: `NotFound` of the org unit (or parent record) out of reach; a record
   * naming no org unit at all is `Forbidden` for an actor restricted to org units.
   */
  const requireWritable = (actor: Actor, model: AnyModel, record: Fields): Effect.Effect<void, NotFound | Forbidden | StorageError> =>
    Effect.gen(function* () {
      const scope = model.rowScope
      // Actor-scoped models (projects, pages, a device's outbox) are written by their services, under their own rules.
      if (scope === undefined || scope.kind === "audited" || scope.kind === "profileLinks" || scope.kind === "grantedTo" || scope.kind === "owner") return
      const paths = yield* rootPaths(actor)
      if (paths === undefined || (yield* visibleWith(actor, paths, model, [record]))[0] === true) return
      if (scope.kind === "tree" || scope.kind === "referencedBy") return yield* NotFound.of(model.name, String(record["id"]))
      const target = scope.kind === "orgUnit" ? OrgUnitModel : repos.models.get(scope.target)
      const fields = scope.kind === "orgUnit" ? scope.fields : [scope.field]
      if (target !== undefined) {
        for (const field of fields) {
          const id = text(record[field])
          if (id === undefined)
            return yield* new Forbidden({ message: `an actor restricted to org units writes ${model.name} records with a ${field} it can reach` })
          const rows = yield* repos.driver.getMany(target, scopeOf(target, actor.accountId), [id])
          const [seen] = yield* visibleWith(actor, paths, target, rows)
          if (seen !== true) return yield* NotFound.of(target.name, id)
        }
      }
      return yield* NotFound.of(model.name, String(record["id"]))
    })

  /**
   * The conditions that keep a listing or count of `model` within the actor's reach. `where` is the
   * caller's own conditions: a parent-scoped listing pinned to parents (`instanceId eq/in`) checks
   * only those; an audit-trail listing of a row-scoped model needs its records named by `objectId`.
   */
  const listConditions = (actor: Actor, model: AnyModel, where: ReadonlyArray<FieldCondition> = []): Effect.Effect<ReadonlyArray<Condition>, StorageError> =>
    Effect.gen(function* () {
      const scope = model.rowScope
      if (scope === undefined) return []
      const paths = yield* rootPaths(actor)
      return yield* conditionsWith(actor, paths, model, where)
    })

  const conditionsWith = (
    actor: Actor,
    paths: ReadonlyArray<string> | undefined,
    model: AnyModel,
    where: ReadonlyArray<FieldCondition>
  ): Effect.Effect<ReadonlyArray<Condition>, StorageError> =>
    Effect.gen(function* () {
      const scope = model.rowScope
      if (scope === undefined) return []
      if (scope.kind === "audited") return yield* auditedConditions(actor, paths, where)
      if (scope.kind === "owner") return actor.kind === "system" ? [] : [{ field: scope.field, op: "eq", value: ownerKey(actor) }]
      if (scope.kind === "profileLinks" || scope.kind === "grantedTo") {
        const reach = yield* actorReach(actor, scope)
        return reach === undefined ? [] : [{ field: "id", op: "in", value: [...reach] }]
      }
      if (paths === undefined) return []
      switch (scope.kind) {
        case "tree":
          return [{ field: model.hierarchy?.path ?? "path", op: "startsWithAny", value: paths }]
        case "orgUnit": {
          const ids = yield* unitIdsUnder(actor, paths)
          return scope.fields.map((field): Condition => ({ field, op: "in", value: ids }))
        }
        case "parent": {
          const target = repos.models.get(scope.target)
          if (target === undefined) return [{ field: "id", op: "in", value: [] }]
          const named = pinned(where, scope.field)
          if (named !== undefined) {
            const rows = named.length === 0 ? [] : yield* repos.driver.getMany(target, scopeOf(target, actor.accountId), named)
            const seen = yield* visibleWith(actor, paths, target, rows)
            return [{ field: scope.field, op: "in", value: rows.filter((_, index) => seen[index] === true).map((row) => String(row["id"])) }]
          }
          const reach = yield* conditionsWith(actor, paths, target, [])
          const parents = yield* listAll((page) => repos.list(target, actor.accountId, page, reach), { select: ["id"] }).pipe(orDieOnInvalidListing(target))
          return [{ field: scope.field, op: "in", value: parents.map((parent) => String(parent.id)) }]
        }
        case "referencedBy": {
          const target = repos.models.get(scope.target)
          if (target === undefined) return [{ field: "id", op: "in", value: [] }]
          const reach = yield* conditionsWith(actor, paths, target, [])
          const named = pinned(where, "id")
          const children = yield* listAll((page) => repos.list(target, actor.accountId, page, reach), {
            select: [scope.field],
            where: [
              named === undefined ? { field: scope.field, op: "isNotNull" } : { field: scope.field, op: "in", value: named },
              ...(scope.live === undefined ? [] : [{ field: scope.live.field, op: "eq" as const, value: scope.live.value }])
            ]
          }).pipe(orDieOnInvalidListing(target))
          const ids = new Set(children.map((child) => String((child as Fields)[scope.field])))
          return [{ field: "id", op: "in", value: [...ids] }]
        }
      }
    })

  const auditedConditions = (
    actor: Actor,
    paths: ReadonlyArray<string> | undefined,
    where: ReadonlyArray<FieldCondition>
  ): Effect.Effect<ReadonlyArray<Condition>, StorageError> =>
    Effect.gen(function* () {
      const readable = [...repos.models.values()].filter((model) => model !== AuditEntryModel && mayRead(actor, model))
      if (paths === undefined) return [{ field: "objectModel", op: "in", value: readable.map((model) => model.name) }]
      const models = pinned(where, "objectModel")
      const ids = pinned(where, "objectId")
      const scoped = readable.filter((model) => model.rowScope !== undefined && (models === undefined || models.includes(model.name)))
      const unscoped = readable.filter((model) => model.rowScope === undefined).map((model) => model.name)
      // Without named records, entries of row-scoped models are left out (they are listed by record).
      if (ids === undefined) return [{ field: "objectModel", op: "in", value: unscoped }]
      // Named records of row-scoped models count when seen; an id found in none of them is of an
      // unscoped model or a deleted record (whose entries are judged on their snapshot when read).
      const found = new Set<string>()
      const seenIds = new Set<string>()
      for (const model of scoped) {
        const rows = ids.length === 0 ? [] : yield* repos.driver.getMany(model, scopeOf(model, actor.accountId), ids)
        const seen = yield* visibleWith(actor, paths, model, rows)
        rows.forEach((row, index) => {
          found.add(String(row["id"]))
          if (seen[index] === true) seenIds.add(String(row["id"]))
        })
      }
      return [
        { field: "objectModel", op: "in", value: [...unscoped, ...scoped.map((model) => model.name)] },
        { field: "objectId", op: "in", value: ids.filter((id) => seenIds.has(id) || !found.has(id)) }
      ]
    })

  return { rootPaths, visible, keepVisible, requireVisible, requireWritable, listConditions }
}

/** The row-scope rules of a store (see {@link makeRowAccess}). */
export type RowAccess = ReturnType<typeof makeRowAccess>
