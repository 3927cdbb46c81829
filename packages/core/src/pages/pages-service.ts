/**
 * The `Pages` service: pages an account publishes (raw HTML, text, an embedded frame, a Power BI
 * report, a Superset dashboard) and who sees them. The slug is unique in the account
 * (`page with this slug already exists.`); the users and user roles a page is given to must be of
 * the account. Writers (`iaso_page_write`) see and change every page of the account; readers
 * (`iaso_pages`) see only the pages given to them, directly or through one of their user roles
 * (the row scope of `PageModel`, which generic `Records` reads apply too).
 * Giving a page to users or roles replaces the whole set.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { makeRowAccess } from "../kernel/row-access.ts"
import type { PageId, UserId, UserRoleId } from "../shared/entity-ids.ts"
import { AlreadyExists, type Forbidden, NotFound, type StorageError } from "../shared/errors.ts"
import type { Json } from "../shared/json.ts"
import type { AnyModel } from "../shared/model.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { UserModel, UserRoleModel } from "../tenancy/users.ts"
import { type Page, PageModel, type PageType, PageUserModel, PageUserRoleModel } from "./page.ts"

/** The content fields of a page, as given to {@link Pages | Pages.create}. */
export interface PageCreate {
  /** The page's name. */
  readonly name: string
  /** Its address, unique in the account. */
  readonly slug: string
  /** What it shows, `RAW` when absent. */
  readonly type?: PageType
  /** HTML, text or a URL, by type. */
  readonly content?: string
  /** Anonymous visitors are sent to the login page (true when absent). */
  readonly needsAuthentication?: boolean
  /** The users of the account it is given to. */
  readonly userIds?: ReadonlyArray<UserId>
  /** The user roles of the account it is given to. */
  readonly userRoleIds?: ReadonlyArray<UserRoleId>
  /** Power BI group. */
  readonly powerbiGroupId?: string
  /** Power BI report. */
  readonly powerbiReportId?: string
  /** Power BI dataset. */
  readonly powerbiDatasetId?: string
  /** Power BI report filters. */
  readonly powerbiFilters?: Json
  /** Power BI report language, e.g. `en-us`. */
  readonly powerbiLanguage?: string
  /** Superset dashboard. */
  readonly supersetDashboardId?: string
  /** Superset display options. */
  readonly supersetDashboardUiConfig?: Json
}

/** What {@link Pages | Pages.update} takes: the fields to change; `userIds` and `userRoleIds` replace the sets. */
export type PageUpdate = Partial<PageCreate>

/** A page with the users and roles it is given to. */
export interface PageDetail {
  /** The page. */
  readonly page: Page
  /** The users it is given to. */
  readonly userIds: ReadonlyArray<UserId>
  /** The user roles it is given to. */
  readonly userRoleIds: ReadonlyArray<UserRoleId>
}

type ReadError = NotFound | Forbidden | StorageError

/**
 * Pages and who sees them (see the module documentation for the rules). Provided by `Iaso.layer`;
 * on the Promise facade, `iaso.as(actor).pages`. Its calls are listed under `Service`.
 */
export class Pages extends Context.Service<
  Pages,
  {
    /** Creates a page of the actor's account (needs `iaso_page_write`). */
    readonly create: (input: PageCreate) => Effect.Effect<PageDetail, ServiceWriteError, CurrentActor>
    /** Changes a page (needs `iaso_page_write`). */
    readonly update: (id: PageId, patch: PageUpdate) => Effect.Effect<PageDetail, ServiceWriteError, CurrentActor>
    /** Deletes a page (needs `iaso_page_write`). */
    readonly remove: (id: PageId) => Effect.Effect<void, ServiceWriteError, CurrentActor>
    /** A page the actor sees, by id or slug. */
    readonly get: (idOrSlug: string) => Effect.Effect<PageDetail, ReadError, CurrentActor>
    /** The pages the actor sees, by name. */
    readonly list: () => Effect.Effect<ReadonlyArray<Page>, ReadError, CurrentActor>
  }
>()("@iaso/core/Pages") {
  static readonly layer = Layer.effect(
    Pages,
    Effect.gen(function* () {
      const repos = yield* Repos
      return Pages.of(makePages(repos))
    })
  )
}

const WRITE = ["iaso_page_write"]
const READ = ["iaso_pages", "iaso_page_write"]

const makePages = (repos: Repositories): Pages["Service"] => {
  const access = makeRowAccess(repos)
  const all = <M extends AnyModel>(model: M, accountId: string, field: string, value: string) =>
    listAll((options) => repos.list(model, accountId, options), { where: [{ field, op: "eq", value }] }).pipe(orDieOnInvalidListing(model))

  const detail = (accountId: string, page: Page) =>
    Effect.gen(function* () {
      const users = yield* all(PageUserModel, accountId, "pageId", page.id)
      const roles = yield* all(PageUserRoleModel, accountId, "pageId", page.id)
      return { page, userIds: users.map((link) => link.userId), userRoleIds: roles.map((link) => link.userRoleId) } satisfies PageDetail
    })

  const checkSlug = (accountId: string, slug: string, self: PageId | undefined) =>
    Effect.gen(function* () {
      const found = yield* all(PageModel, accountId, "slug", slug)
      if (found.some((page) => page.id !== self)) {
        return yield* new AlreadyExists({ model: "Page", constraint: "page_slug_unique", message: "page with this slug already exists." })
      }
    })

  const writeLinks = (accountId: string, pageId: PageId, userIds: ReadonlyArray<UserId> | undefined, roleIds: ReadonlyArray<UserRoleId> | undefined) =>
    Effect.gen(function* () {
      if (userIds !== undefined) {
        // Users and roles of another account are NotFound.
        yield* Effect.forEach(new Set(userIds), (userId) => repos.get(UserModel, accountId, userId), { discard: true })
        for (const link of yield* all(PageUserModel, accountId, "pageId", pageId)) yield* repos.remove(PageUserModel, accountId, link.id)
        yield* Effect.forEach(new Set(userIds), (userId) => repos.insert(PageUserModel, accountId, { pageId, userId }), { discard: true })
      }
      if (roleIds !== undefined) {
        yield* Effect.forEach(new Set(roleIds), (roleId) => repos.get(UserRoleModel, accountId, roleId), { discard: true })
        for (const link of yield* all(PageUserRoleModel, accountId, "pageId", pageId)) yield* repos.remove(PageUserRoleModel, accountId, link.id)
        yield* Effect.forEach(new Set(roleIds), (userRoleId) => repos.insert(PageUserRoleModel, accountId, { pageId, userRoleId }), { discard: true })
      }
    })

  const fields = (input: PageUpdate): Record<string, unknown> => {
    const { userIds: _users, userRoleIds: _roles, ...rest } = input
    return rest
  }

  const writer = <A>(action: string, body: (actor: Actor) => Effect.Effect<A, ServiceWriteError>) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.andThen(requireAny(actor, WRITE, action), repos.driver.transaction(body(actor))))

  const reader = <A>(body: (actor: Actor) => Effect.Effect<A, ReadError>) =>
    Effect.flatMap(Effect.service(CurrentActor), (actor) => Effect.andThen(requireAny(actor, READ, "reading pages"), body(actor)))

  return {
    create: (input) =>
      writer("creating pages", (actor) =>
        Effect.gen(function* () {
          yield* checkSlug(actor.accountId, input.slug, undefined)
          const page = yield* repos.insert(PageModel, actor.accountId, {
            type: "RAW",
            needsAuthentication: true,
            ...fields(input)
          })
          yield* writeLinks(actor.accountId, page.id, input.userIds, input.userRoleIds)
          yield* audit(repos, actor, "PAGE_API", PageModel, [{ id: page.id, after: page }])
          return yield* detail(actor.accountId, page)
        })
      ),
    update: (id, patch) =>
      writer("changing pages", (actor) =>
        Effect.gen(function* () {
          const before = yield* repos.get(PageModel, actor.accountId, id)
          if (patch.slug !== undefined) yield* checkSlug(actor.accountId, patch.slug, id)
          const after = yield* repos.update(PageModel, actor.accountId, id, fields(patch))
          yield* writeLinks(actor.accountId, id, patch.userIds, patch.userRoleIds)
          yield* audit(repos, actor, "PAGE_API", PageModel, [{ id, before, after }])
          return yield* detail(actor.accountId, after)
        })
      ),
    remove: (id) =>
      writer("deleting pages", (actor) =>
        Effect.gen(function* () {
          const before = yield* repos.get(PageModel, actor.accountId, id)
          yield* repos.remove(PageModel, actor.accountId, id)
          yield* audit(repos, actor, "PAGE_API", PageModel, [{ id, before }])
        })
      ),
    get: (idOrSlug) =>
      reader((actor) =>
        Effect.gen(function* () {
          const bySlug = yield* all(PageModel, actor.accountId, "slug", idOrSlug)
          const page = bySlug[0] ?? (yield* repos.get(PageModel, actor.accountId, idOrSlug))
          // The declaration's row scope: the pages given to the actor or its roles (writers: all).
          yield* Effect.mapError(access.requireVisible(actor, PageModel, page), (error) => (error._tag === "NotFound" ? NotFound.of("Page", idOrSlug) : error))
          return yield* detail(actor.accountId, page)
        })
      ),
    list: () =>
      reader((actor) =>
        Effect.gen(function* () {
          const reach = yield* access.listConditions(actor, PageModel)
          return yield* listAll((options) => repos.list(PageModel, actor.accountId, options, reach), { orderBy: [{ field: "name" }] }).pipe(
            orDieOnInvalidListing(PageModel)
          )
        })
      )
  }
}
