/**
 * Page and comment scenarios: slugs unique per account with IASO's message, pages seen by the
 * users and roles they are given to (writers see all), in `Pages` and in generic reads alike, comments on org units with one level of
 * replies on the same unit, removal flags, and a restricted actor reading only the comments on
 * units under its roots.
 * @module
 */
import { Effect, type Exit } from "effect"
import { describe, expect } from "vitest"
import { Comments } from "../comments/comments-service.ts"
import { Records } from "../kernel/records.ts"
import { PageModel } from "../pages/page.ts"
import { Pages } from "../pages/pages-service.ts"
import type { UserId, UserRoleId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import { Actor } from "../tenancy/actor.ts"
import { ProfileModel, ProfileUserRoleModel, UserModel, UserRoleModel } from "../tenancy/users.ts"
import { exitError, exitTag, type Harness } from "./harness.ts"
import { pyramid } from "./org-unit-fixtures.ts"
import { scenario } from "./scenario.ts"

/** The message of a failed call's error. */
const messageOf = (exit: Exit.Exit<unknown, unknown>): string => String((exitError(exit) as { readonly message?: unknown } | undefined)?.message ?? "")

const PG = Effect.service(Pages)
const CM = Effect.service(Comments)

/** Registers the page and comment scenarios. */
export const pageCommentScenarios = (h: () => Harness): void => {
  describe("pages", () => {
    scenario("slugs are unique per account; readers see the pages given to them or to one of their roles, writers every page", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const other = await harness.freshAccount()
      const repos = await harness.repos()
      const user = async (name: string, accountId: string) =>
        harness.run(repos.insert(UserModel, accountId, { username: `${name}.${uuidv7()}`, firstName: name, lastName: "", email: "", isActive: true }))
      const [ann, ben] = [await user("ann", account.accountId), await user("ben", account.accountId)]
      const stranger = await user("sam", other.accountId)
      const role = await harness.run(repos.insert(UserRoleModel, account.accountId, { name: `readers-${uuidv7()}`, permissions: ["iaso_pages"] }))
      const profile = await harness.run(repos.insert(ProfileModel, account.accountId, { userId: ben.id }))
      await harness.run(repos.insert(ProfileUserRoleModel, account.accountId, { profileId: profile.id, userRoleId: role.id }))
      const writer = account.withPermissions(["iaso_page_write"])
      const reader = (userId: UserId) => Actor.user({ accountId: account.accountId, userId, permissions: ["iaso_pages"] })
      const toAnn = await harness.as(
        writer,
        Effect.flatMap(PG, (pages) => pages.create({ name: "Ann's", slug: "dashboard", userIds: [ann.id] }))
      )
      expect([toAnn.page.type, toAnn.page.needsAuthentication, toAnn.userIds, toAnn.userRoleIds]).toEqual(["RAW", true, [ann.id], []])
      const toRole = await harness.as(
        writer,
        Effect.flatMap(PG, (pages) => pages.create({ name: "Role's", slug: "report", type: "IFRAME", content: "https://example.org", userRoleIds: [role.id] }))
      )
      const duplicate = await harness.exitAs(
        writer,
        Effect.flatMap(PG, (pages) => pages.create({ name: "Again", slug: "dashboard" }))
      )
      expect([exitTag(duplicate), messageOf(duplicate)]).toEqual(["AlreadyExists", "page with this slug already exists."])
      const elsewhere = await harness.as(
        other.withPermissions(["iaso_page_write"]),
        Effect.flatMap(PG, (pages) => pages.create({ name: "Theirs", slug: "dashboard" }))
      )
      expect(elsewhere.page.slug).toBe("dashboard")
      const foreignUser = await harness.exitAs(
        writer,
        Effect.flatMap(PG, (pages) => pages.create({ name: "Foreign", slug: "foreign", userIds: [stranger.id] }))
      )
      expect(exitTag(foreignUser)).toBe("NotFound")
      const names = (actor: Actor) =>
        harness.as(
          actor,
          Effect.flatMap(PG, (pages) => Effect.map(pages.list(), (list) => list.map((page) => page.name)))
        )
      expect(await names(writer)).toEqual(["Ann's", "Role's"])
      expect(await names(reader(ann.id))).toEqual(["Ann's"])
      expect(await names(reader(ben.id))).toEqual(["Role's"])
      const bySlug = await harness.as(
        reader(ben.id),
        Effect.flatMap(PG, (pages) => pages.get("report"))
      )
      expect(bySlug.page.id).toBe(toRole.page.id)
      const hidden = await harness.exitAs(
        reader(ben.id),
        Effect.flatMap(PG, (pages) => pages.get(toAnn.page.id))
      )
      expect(exitTag(hidden)).toBe("NotFound")
      const regiven = await harness.as(
        writer,
        Effect.flatMap(PG, (pages) => pages.update(toAnn.page.id, { userIds: [ben.id], name: "Ben's" }))
      )
      expect([regiven.page.name, regiven.userIds]).toEqual(["Ben's", [ben.id]])
      expect(await names(reader(ann.id))).toEqual([])
      const readOnly = await harness.exitAs(
        reader(ann.id),
        Effect.flatMap(PG, (pages) => pages.create({ name: "Mine", slug: "mine" }))
      )
      expect(exitTag(readOnly)).toBe("Forbidden")
    })
    scenario("generic reads of pages apply the same visibility as Pages: given pages only for readers, none given to nobody, all for writers", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const repos = await harness.repos()
      const user = async (name: string) =>
        harness.run(repos.insert(UserModel, account.accountId, { username: `${name}.${uuidv7()}`, firstName: name, lastName: "", email: "", isActive: true }))
      const [ann, ben, cy] = [await user("ann"), await user("ben"), await user("cy")]
      const role = await harness.run(repos.insert(UserRoleModel, account.accountId, { name: `viewers-${uuidv7()}`, permissions: ["iaso_pages"] }))
      const profile = await harness.run(repos.insert(ProfileModel, account.accountId, { userId: ben.id }))
      await harness.run(repos.insert(ProfileUserRoleModel, account.accountId, { profileId: profile.id, userRoleId: role.id }))
      const writer = account.withPermissions(["iaso_page_write"])
      const make = (name: string, extra: { readonly userIds?: ReadonlyArray<UserId>; readonly userRoleIds?: ReadonlyArray<UserRoleId> }) =>
        harness.as(
          writer,
          Effect.flatMap(PG, (pages) => pages.create({ name, slug: `${name.toLowerCase()}-${uuidv7()}`, ...extra }))
        )
      const direct = await make("Direct", { userIds: [ann.id] })
      const viaRole = await make("ViaRole", { userRoleIds: [role.id] })
      const nobody = await make("Nobody", {})
      const reader = (userId: UserId) => Actor.user({ accountId: account.accountId, userId, permissions: ["iaso_pages"] })
      const R = Effect.service(Records)
      const seen = (actor: Actor) =>
        harness.as(
          actor,
          Effect.gen(function* () {
            const listed = yield* Effect.flatMap(R, (r) => r.list(PageModel, { orderBy: [{ field: "name" }] }))
            const count = yield* Effect.flatMap(R, (r) => r.count(PageModel))
            const service = yield* Effect.flatMap(PG, (pages) => pages.list())
            return [listed.items.map((page) => page.name), count, service.map((page) => page.name)]
          })
        )
      expect(await seen(reader(ann.id))).toEqual([["Direct"], 1, ["Direct"]])
      expect(await seen(reader(ben.id))).toEqual([["ViaRole"], 1, ["ViaRole"]])
      expect(await seen(reader(cy.id))).toEqual([[], 0, []])
      expect(await seen(writer)).toEqual([["Direct", "Nobody", "ViaRole"], 3, ["Direct", "Nobody", "ViaRole"]])
      const gets: Array<string> = []
      for (const made of [direct, viaRole, nobody])
        gets.push(
          exitTag(
            await harness.exitAs(
              reader(ann.id),
              Effect.flatMap(R, (r) => r.get(PageModel, made.page.id))
            )
          )
        )
      expect(gets).toEqual(["Success", "NotFound", "NotFound"])
      const generic = await harness.exitAs(
        writer,
        Effect.flatMap(R, (r) => r.update(PageModel, nobody.page.id, { name: "Renamed" }))
      )
      expect(exitTag(generic)).toBe("Unsupported")
      // The change feed agrees: a reader gets the rows of its pages; a deleted page's tombstone reaches everyone.
      await harness.as(
        writer,
        Effect.flatMap(PG, (pages) => pages.remove(nobody.page.id))
      )
      const feed = async (actor: Actor) => {
        const page = await harness.as(
          actor,
          Effect.flatMap(R, (r) => r.changesSince())
        )
        const pages = page.changes.filter((change) => change.model === "Page")
        return [pages.filter((change) => !change.deleted).map((change) => change.id), pages.filter((change) => change.deleted).map((change) => change.id)]
      }
      expect(await feed(reader(ann.id))).toEqual([[direct.page.id], [nobody.page.id]])
      expect(await feed(writer)).toEqual([[direct.page.id, viaRole.page.id], [nobody.page.id]])
    })
  })

  describe("comments", () => {
    scenario("comments on org units: one level of replies on the same unit, removal flags, a restricted actor sees units under its roots", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const { a, a1, b } = await pyramid(harness, account)
      const repos = await harness.repos()
      const user = await harness.run(
        repos.insert(UserModel, account.accountId, { username: `cat.${uuidv7()}`, firstName: "Cat", lastName: "", email: "", isActive: true })
      )
      const author = Actor.user({ accountId: account.accountId, userId: user.id, permissions: [] })
      const restricted = Actor.user({ accountId: account.accountId, permissions: [], orgUnitRoots: [a.id] })
      const root = await harness.as(
        author,
        Effect.flatMap(CM, (comments) => comments.create({ orgUnitId: a1.id, comment: "Roof leaks" }))
      )
      expect([root.objectModel, root.objectPk, root.userId, root.isPublic, root.isRemoved]).toEqual(["OrgUnit", a1.id, user.id, true, false])
      const reply = await harness.as(
        author,
        Effect.flatMap(CM, (comments) => comments.create({ orgUnitId: a1.id, comment: "Fixed", parentId: root.id }))
      )
      const deeper = await harness.exitAs(
        author,
        Effect.flatMap(CM, (comments) => comments.create({ orgUnitId: a1.id, comment: "Thanks", parentId: reply.id }))
      )
      expect([exitTag(deeper), messageOf(deeper)]).toEqual(["ValidationError", 'Only one depth of commenting\n  at ["parentId"]'])
      const elsewhere = await harness.exitAs(
        author,
        Effect.flatMap(CM, (comments) => comments.create({ orgUnitId: b.id, comment: "Here?", parentId: root.id }))
      )
      expect([exitTag(elsewhere), messageOf(elsewhere)]).toEqual([
        "ValidationError",
        'A reply must be about the same object as the comment it answers\n  at ["parentId"]'
      ])
      await harness.as(
        author,
        Effect.flatMap(CM, (comments) => comments.create({ orgUnitId: b.id, comment: "Road closed" }))
      )
      const outside = await harness.exitAs(
        restricted,
        Effect.flatMap(CM, (comments) => comments.create({ orgUnitId: b.id, comment: "Seen" }))
      )
      expect(exitTag(outside)).toBe("NotFound")
      const seenBy = (actor: Actor) =>
        harness.as(
          actor,
          Effect.flatMap(CM, (comments) =>
            Effect.map(comments.list(), (threads) => threads.map((thread) => [thread.comment.comment, thread.replies.map((r) => r.comment)]))
          )
        )
      expect(await seenBy(author)).toEqual([
        ["Roof leaks", ["Fixed"]],
        ["Road closed", []]
      ])
      expect(await seenBy(restricted)).toEqual([["Roof leaks", ["Fixed"]]])
      const unitOutside = await harness.exitAs(
        restricted,
        Effect.flatMap(CM, (comments) => comments.list({ orgUnitId: b.id }))
      )
      expect(exitTag(unitOutside)).toBe("NotFound")
      const notAuthor = await harness.exitAs(
        restricted,
        Effect.flatMap(CM, (comments) => comments.remove(reply.id))
      )
      expect(exitTag(notAuthor)).toBe("Forbidden")
      const removed = await harness.as(
        author,
        Effect.flatMap(CM, (comments) => comments.remove(reply.id))
      )
      expect(removed.isRemoved).toBe(true)
      const thread = await harness.as(
        author,
        Effect.flatMap(CM, (comments) => comments.list({ orgUnitId: a1.id }))
      )
      expect(thread.map((t) => t.replies.map((r) => [r.comment, r.isRemoved]))).toEqual([[["Fixed", true]]])
    })
  })
}
