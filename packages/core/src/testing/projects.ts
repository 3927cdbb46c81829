/**
 * Project scenarios, through the `Projects` service: IASO's flag catalogue (category, then order),
 * app id rules and messages, the authentication rules of flags, configurations checked against a
 * flag's schema and stored converted, flag sets replaced, the mobile app gate and the
 * `LIMIT_OU_DOWNLOAD_TO_ROOTS` query; generic writes refused, IASO's setup flags, and the
 * narrowing of every read to the projects a user's profile lists.
 * @module
 */
import { Effect, type Exit, Redacted } from "effect"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { Credentials } from "../registry/credentials-service.ts"
import { Sources } from "../registry/sources-service.ts"
import { ExternalCredentialsModel } from "../registry/sources.ts"
import { describe, expect } from "vitest"
import type { ExternalCredentialsId, ProjectId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import { Actor } from "../tenancy/actor.ts"
import { FEATURE_FLAG_CATALOGUE } from "../tenancy/feature-flag-catalogue.ts"
import { FeatureFlagModel, ProjectFeatureFlagModel } from "../tenancy/feature-flags.ts"
import { Projects } from "../tenancy/projects-service.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { ProfileModel, ProfileProjectModel, UserModel } from "../tenancy/users.ts"
import { Records } from "../kernel/records.ts"
import { exitError, exitTag, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

const P = Effect.service(Projects)

/** The message of a failed call's error. */
const messageOf = (exit: Exit.Exit<unknown, unknown>): string => String((exitError(exit) as { readonly message?: unknown } | undefined)?.message ?? "")

/** An account, an actor holding `iaso_projects`, one without, and a unique app id maker. */
const projectSetup = async (h: () => Harness) => {
  const harness = h()
  const account = await harness.freshAccount()
  const admin = account.withPermissions(["iaso_projects"])
  const reader = account.withPermissions([])
  const appId = (name: string) => `org.${name}.${uuidv7()}`
  return { harness, account, admin, reader, appId }
}

/** Registers the project scenarios. */
export const projectScenarios = (h: () => Harness): void => {
  describe("projects", () => {
    scenario("the flag catalogue holds IASO's codes, by category then order, written once", async () => {
      const { harness, reader } = await projectSetup(h)
      const first = await harness.as(
        reader,
        Effect.flatMap(P, (projects) => projects.featureFlags())
      )
      const again = await harness.as(
        reader,
        Effect.flatMap(P, (projects) => projects.featureFlags())
      )
      const known = new Set(FEATURE_FLAG_CATALOGUE.map((entry) => entry.code))
      const codes = first.map((flag) => flag.code).filter((code) => known.has(code))
      expect(codes.length).toBe(32)
      expect(codes.slice(0, 8)).toEqual([
        "REQUIRE_AUTHENTICATION",
        "FORMS_AUTO_UPLOAD",
        "TAKE_GPS_ON_FORM",
        "DATA_COLLECTION",
        "MOBILE_FINALIZED_FORM_ARE_READ",
        "MOBILE_SUBMISSION_INCOMPLETE_BY_DEFAULT",
        "MOBILE_SYNCHRONIZE_WITH_ZIP",
        "LIMIT_OU_DOWNLOAD_TO_ROOTS"
      ])
      expect(codes.slice(-7)).toEqual([
        "MOBILE_STOCK",
        "TRANSPORT_TRACKING",
        "GPS_TRACKING",
        "MOBILE_HIDE_CLOSED_ORG_UNIT",
        "MOBILE_USE_ETHIOPIC_CALENDAR",
        "MOBILE_NO_ORG_UNIT",
        "REPORTS"
      ])
      const planning = first.find((flag) => flag.code === "PLANNING")
      expect([planning?.category, planning?.order, planning?.requiresAuthentication, planning?.isDangerous]).toEqual(["PLA", 23, true, false])
      expect(again.map((flag) => flag.id)).toEqual(first.map((flag) => flag.id))
      const rows = (await harness.inspect(FeatureFlagModel)).filter(({ row }) => known.has(String(row["code"])))
      expect(rows.length).toBe(32)
    })

    scenario("projects are written through Projects only: generic creates, changes and deletes are refused and write nothing", async () => {
      const { harness, account } = await projectSetup(h)
      const before = await harness.inspectAccount(ProjectModel, account.accountId)
      const R = Effect.service(Records)
      const exits = [
        await harness.exitAs(
          account.system,
          Effect.flatMap(R, (r) => r.create(ProjectModel, { name: "Side door", needsAuthentication: false, description: "" }))
        ),
        await harness.exitAs(
          account.system,
          Effect.flatMap(R, (r) => r.update(ProjectModel, account.projectId, { appId: "stolen" }))
        ),
        await harness.exitAs(
          account.system,
          Effect.flatMap(R, (r) => r.remove(ProjectModel, account.projectId))
        )
      ]
      expect(exits.map(exitTag)).toEqual(["Unsupported", "Unsupported", "Unsupported"])
      expect(messageOf(exits[0] as Exit.Exit<unknown, unknown>)).toBe("Project records are written through Projects, not generic writes")
      expect(await harness.inspectAccount(ProjectModel, account.accountId)).toEqual(before)
    })

    scenario("account setup gives its project IASO's setup flags and leaves needsAuthentication false", async () => {
      const { harness, account, reader } = await projectSetup(h)
      const main = await harness.as(
        reader,
        Effect.flatMap(P, (projects) => projects.get(account.projectId as ProjectId))
      )
      expect([main.project.name, main.project.needsAuthentication, main.featureFlags.map((flag) => flag.code)]).toEqual([
        "Main Project",
        false,
        ["REQUIRE_AUTHENTICATION", "TAKE_GPS_ON_FORM", "MOBILE_SYNCHRONIZE_WITH_ZIP"]
      ])
      expect(main.featureFlags.map((flag) => flag.configuration)).toEqual([undefined, undefined, undefined])
    })

    scenario("a user whose profile lists projects sees only those, in Projects and in generic reads; one listing none sees all", async () => {
      const { harness, account, admin, appId } = await projectSetup(h)
      const second = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Second", appId: appId("second") }))
      )
      const third = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Third", appId: appId("third") }))
      )
      const repos = await harness.repos()
      const userOf = async (name: string, projectIds: ReadonlyArray<string>) => {
        const user = await harness.run(
          repos.insert(UserModel, account.accountId, { username: `${name}.${uuidv7()}`, firstName: name, lastName: "", email: "", isActive: true })
        )
        const profile = await harness.run(repos.insert(ProfileModel, account.accountId, { userId: user.id }))
        for (const projectId of projectIds)
          await harness.run(repos.insert(ProfileProjectModel, account.accountId, { profileId: profile.id, projectId: projectId as ProjectId }))
        return Actor.user({ accountId: account.accountId, userId: user.id, permissions: ["iaso_projects"] })
      }
      const restricted = await userOf("restricted", [second.project.id, third.project.id])
      const free = await userOf("free", [])
      const names = (actor: Actor) =>
        harness.as(
          actor,
          Effect.gen(function* () {
            const listed = yield* Effect.flatMap(P, (projects) => projects.list())
            const generic = yield* Effect.flatMap(Effect.service(Records), (r) => r.list(ProjectModel, { orderBy: [{ field: "name" }] }))
            const count = yield* Effect.flatMap(Effect.service(Records), (r) => r.count(ProjectModel))
            return [listed.map((project) => project.name).sort(), generic.items.map((project) => project.name), count]
          })
        )
      expect(await names(restricted)).toEqual([["Second", "Third"], ["Second", "Third"], 2])
      expect(await names(free)).toEqual([["Main Project", "Second", "Third"], ["Main Project", "Second", "Third"], 3])
      expect(await names(account.system)).toEqual([["Main Project", "Second", "Third"], ["Main Project", "Second", "Third"], 3])
      const hidden = [
        await harness.exitAs(
          restricted,
          Effect.flatMap(P, (projects) => projects.get(account.projectId as ProjectId))
        ),
        await harness.exitAs(
          restricted,
          Effect.flatMap(Effect.service(Records), (r) => r.get(ProjectModel, account.projectId))
        ),
        await harness.exitAs(
          restricted,
          Effect.flatMap(P, (projects) => projects.update(account.projectId as ProjectId, { name: "Taken" }))
        )
      ]
      expect(hidden.map(exitTag)).toEqual(["NotFound", "NotFound", "NotFound"])
      const seen = await harness.as(
        restricted,
        Effect.flatMap(Effect.service(Records), (r) => r.get(ProjectModel, second.project.id))
      )
      expect(seen.name).toBe("Second")
      // The audit trail follows: a restricted user reads the entries of its projects only.
      const hiddenProject = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Hidden", appId: appId("hidden") }))
      )
      const audited = (actor: Actor) =>
        harness.as(
          actor,
          Effect.map(
            Effect.flatMap(Effect.service(Records), (r) => r.list(AuditEntryModel, { where: [{ field: "objectModel", op: "eq", value: "Project" }] })),
            (page) => page.items.map((entry) => entry.objectId).sort()
          )
        )
      const withUsers = (actor: Actor) => ({ ...actor, permissions: new Set([...actor.permissions, "iaso_users" as const]) })
      expect(await audited(withUsers(restricted))).toEqual([second.project.id, third.project.id].sort())
      expect(await audited(withUsers(free))).toEqual([second.project.id, third.project.id, hiddenProject.project.id].sort())
      // Counting follows the listing.
      const counted = (actor: Actor) =>
        harness.as(
          actor,
          Effect.flatMap(Effect.service(Records), (r) => r.count(AuditEntryModel, [{ field: "objectModel", op: "eq", value: "Project" }]))
        )
      expect([await counted(withUsers(restricted)), await counted(withUsers(free))]).toEqual([2, 3])
    })

    scenario("a project's app id is trimmed, required and unique across accounts, with IASO's messages", async () => {
      const { harness, admin, reader, appId } = await projectSetup(h)
      const other = await harness.freshAccount()
      const id = appId("alpha")
      const created = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Alpha", appId: `  ${id} `, color: "#ab12cd" }))
      )
      expect([created.project.appId, created.project.color, created.project.needsAuthentication, created.featureFlags]).toEqual([id, "#AB12CD", false, []])
      const blank = await harness.exitAs(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Blank", appId: "   " }))
      )
      expect([exitTag(blank), messageOf(blank)]).toEqual(["ValidationError", 'This field is required.\n  at ["appId"]'])
      const taken = await harness.exitAs(
        other.withPermissions(["iaso_projects"]),
        Effect.flatMap(P, (projects) => projects.create({ name: "Copy", appId: id }))
      )
      expect([exitTag(taken), messageOf(taken)]).toEqual(["AlreadyExists", "App id already used"])
      const forbidden = await harness.exitAs(
        reader,
        Effect.flatMap(P, (projects) => projects.create({ name: "Nope", appId: appId("nope") }))
      )
      expect(exitTag(forbidden)).toBe("Forbidden")
      const kept = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.update(created.project.id, { appId: ` ${id}`, name: "Alpha 2" }))
      )
      expect([kept.project.appId, kept.project.name]).toEqual([id, "Alpha 2"])
    })

    scenario("flags needing authentication need REQUIRE_AUTHENTICATION, which needsAuthentication adds and mirrors", async () => {
      const { harness, admin, appId } = await projectSetup(h)
      const refused = await harness.exitAs(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Field", appId: appId("field"), featureFlags: [{ code: "PLANNING" }] }))
      )
      expect([exitTag(refused), messageOf(refused)]).toEqual([
        "ValidationError",
        'Feature flag PLANNING requires authentication: add REQUIRE_AUTHENTICATION to the flags or set needsAuthentication\n  at ["featureFlags",0,"code"]'
      ])
      const unknown = await harness.exitAs(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Field", appId: appId("field"), featureFlags: [{ code: "NOT_A_FLAG" }] }))
      )
      expect(messageOf(unknown)).toBe('Unknown feature flag NOT_A_FLAG\n  at ["featureFlags",0,"code"]')
      const made = await harness.as(
        admin,
        Effect.flatMap(P, (projects) =>
          projects.create({
            name: "Field",
            appId: appId("field"),
            needsAuthentication: true,
            featureFlags: [{ code: "PLANNING" }, { code: "LIMIT_OU_DOWNLOAD_TO_ROOTS" }]
          })
        )
      )
      expect([made.project.needsAuthentication, made.featureFlags.map((flag) => flag.code)]).toEqual([
        true,
        ["REQUIRE_AUTHENTICATION", "LIMIT_OU_DOWNLOAD_TO_ROOTS", "PLANNING"]
      ])
      const limits = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.limitsDownloadToRoots(made.project.id))
      )
      expect(limits).toBe(true)
      const replaced = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.update(made.project.id, { featureFlags: [{ code: "GPS_TRACKING" }] }))
      )
      expect([replaced.project.needsAuthentication, replaced.featureFlags.map((flag) => flag.code)]).toEqual([false, ["GPS_TRACKING"]])
      const links = (await harness.inspectAccount(ProjectFeatureFlagModel, admin.accountId)).filter((row) => row["projectId"] === made.project.id)
      expect(links.length).toBe(1)
      const noLimit = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.limitsDownloadToRoots(made.project.id))
      )
      expect(noLimit).toBe(false)
      const authed = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.update(made.project.id, { needsAuthentication: true }))
      )
      expect([authed.project.needsAuthentication, authed.featureFlags.map((flag) => flag.code)]).toEqual([true, ["REQUIRE_AUTHENTICATION", "GPS_TRACKING"]])
      const planningKept = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.update(made.project.id, { featureFlags: [{ code: "REQUIRE_AUTHENTICATION" }, { code: "PLANNING" }] }))
      )
      const dropAuth = await harness.exitAs(
        admin,
        Effect.flatMap(P, (projects) => projects.update(made.project.id, { needsAuthentication: false }))
      )
      expect([planningKept.project.needsAuthentication, exitTag(dropAuth)]).toEqual([true, "ValidationError"])
    })

    scenario("a flag's configuration gives every key of its schema, of its type, stored converted", async () => {
      const { harness, account, admin, appId } = await projectSetup(h)
      const code = `TEST_CONFIGURED_${uuidv7().replace(/-/g, "_")}`
      const repos = await harness.repos()
      await harness.run(
        repos.insert(FeatureFlagModel, account.accountId, {
          code: code.slice(0, 100),
          name: "Configured",
          requiresAuthentication: false,
          description: "",
          category: "NA",
          order: 0,
          isDangerous: false,
          configurationSchema: { limit: { type: "int", default: 5 }, server: { type: "url" }, ratio: { type: "float" } }
        })
      )
      const flagCode = code.slice(0, 100)
      const create = (configuration?: Readonly<Record<string, string | number>>) =>
        harness.exitAs(
          admin,
          Effect.flatMap(P, (projects) =>
            projects.create({
              name: "Configured",
              appId: appId("configured"),
              featureFlags: [configuration === undefined ? { code: flagCode } : { code: flagCode, configuration }]
            })
          )
        )
      expect(messageOf(await create())).toBe(`Feature flag ${flagCode} needs a configuration\n  at ["featureFlags",0,"configuration"]`)
      expect(messageOf(await create({ limit: 3, server: "https://example.org" }))).toBe(
        `Feature flag ${flagCode}: ratio is required\n  at ["featureFlags",0,"configuration","ratio"]`
      )
      expect(messageOf(await create({ limit: "three", server: "https://example.org", ratio: 1 }))).toBe(
        `Feature flag ${flagCode}: limit must be an integer\n  at ["featureFlags",0,"configuration","limit"]`
      )
      expect(messageOf(await create({ limit: 3, server: "ftp://example.org", ratio: 1 }))).toBe(
        `Feature flag ${flagCode}: server must be an http or https URL\n  at ["featureFlags",0,"configuration","server"]`
      )
      const made = await create({ limit: "12", server: "http://example.org/x", ratio: "0.5" })
      expect(exitTag(made)).toBe("Success")
      const project = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.list())
      )
      const configured = project.find((p) => p.name === "Configured")
      const detail = await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.get(configured?.id ?? ("" as ProjectId)))
      )
      expect(detail.featureFlags.map((flag) => flag.configuration)).toEqual([{ limit: 12, server: "http://example.org/x", ratio: 0.5 }])
    })

    scenario("the app gate: a project without authentication for anyone, one with authentication for its account's users only", async () => {
      const { harness, account, admin, appId } = await projectSetup(h)
      const other = await harness.freshAccount()
      const openId = appId("open")
      const closedId = appId("closed")
      await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Open", appId: openId, minVersion: 120 }))
      )
      await harness.as(
        admin,
        Effect.flatMap(P, (projects) => projects.create({ name: "Closed", appId: closedId, needsAuthentication: true }))
      )
      const gate = (id: string, actor: Actor | undefined) => harness.exit(Effect.flatMap(P, (projects) => projects.projectForApp(id, actor)))
      const open = await gate(openId, undefined)
      expect(open._tag === "Success" ? [open.value.project.name, open.value.project.minVersion] : []).toEqual(["Open", 120])
      const anonymous = await gate(closedId, undefined)
      expect([exitTag(anonymous), messageOf(anonymous)]).toEqual(["NotFound", `Project ${closedId} not found`])
      const stranger = await gate(closedId, Actor.user({ accountId: other.accountId, permissions: [] }))
      expect(exitTag(stranger)).toBe("NotFound")
      const member = await gate(closedId, account.withPermissions([]))
      expect(member._tag === "Success" ? member.value.featureFlags.map((flag) => flag.code) : []).toEqual(["REQUIRE_AUTHENTICATION"])
      expect(exitTag(await gate("no.such.app", undefined))).toBe("NotFound")
      const check = (id: string, version: number) => harness.exit(Effect.flatMap(P, (projects) => projects.checkVersion(id, version)))
      const old = await check(openId, 119)
      const current = await check(openId, 120)
      const unversioned = await check(closedId, 1)
      expect([old, current, unversioned].map((exit) => (exit._tag === "Success" ? exit.value : exitTag(exit)))).toEqual([
        { upToDate: false, minVersion: 120 },
        { upToDate: true },
        { upToDate: true }
      ])
      const fractional = await check(openId, 1.5)
      expect([exitTag(fractional), exitTag(await check("no.such.app", 1))]).toEqual(["ValidationError", "NotFound"])
    })
  })

  describe("external credentials", () => {
    scenario("changing the URL keeps the password unless a new one is given; the password is never answered nor audited", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const writer = account.withPermissions(["iaso_write_sources", "iaso_sources"])
      const source = await harness.as(
        writer,
        Effect.flatMap(Effect.service(Sources), (sources) =>
          sources.createDataSource({
            name: `dhis2-${uuidv7()}`,
            credentials: { name: "play", login: "admin", password: "s3cret-pass", url: "https://play.dhis2.org/" }
          })
        )
      )
      const id = (source.credentialsId ?? "") as ExternalCredentialsId
      const C = Effect.service(Credentials)
      const moved = await harness.as(
        writer,
        Effect.flatMap(C, (credentials) => credentials.update(id, { url: " https://other.dhis2.org/dhis-web-commons/security/login.action" }))
      )
      expect(moved).toEqual({ id, name: "play", login: "admin", url: "https://other.dhis2.org", hasPassword: true, isValid: true })
      const stored = async () => {
        const row = (await harness.inspectAccount(ExternalCredentialsModel, account.accountId)).find((r) => r["id"] === id)
        return String(row?.["password"] ?? "")
      }
      expect(await stored()).toContain("s3cret-pass")
      await harness.as(
        writer,
        Effect.flatMap(C, (credentials) => credentials.update(id, { password: "" }))
      )
      expect(await stored()).toContain("s3cret-pass")
      const changed = await harness.as(
        writer,
        Effect.flatMap(C, (credentials) => credentials.update(id, { password: Redacted.make("n3w-pass"), login: "" }))
      )
      expect([changed.isValid, changed.hasPassword]).toEqual([false, true])
      expect(await stored()).toContain("n3w-pass")
      const entries = (await harness.inspectAccount(AuditEntryModel, account.accountId)).filter((row) => row["objectModel"] === "ExternalCredentials")
      expect(entries.length).toBe(3)
      expect(JSON.stringify(entries)).not.toMatch(/s3cret-pass|n3w-pass/)
      const refused = await harness.exitAs(
        writer,
        Effect.flatMap(C, (credentials) => credentials.update(id, { password: "bad\u0000pass" }))
      )
      expect([exitTag(refused), messageOf(refused).includes("bad")]).toEqual(["ValidationError", false])
      const reader = await harness.exitAs(
        account.withPermissions([]),
        Effect.flatMap(C, (credentials) => credentials.get(id))
      )
      expect(exitTag(reader)).toBe("Forbidden")
    })
  })
}
