/**
 * Scenarios of the {@link Users} service: users with their profiles and links, uniqueness, the
 * managed-user rules, generic writes refused, and secrets (password hash, credentials' password)
 * never answered by generic reads.
 * @module
 */
import { Effect, Redacted } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { Records } from "../kernel/records.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { ExternalCredentialsModel } from "../registry/sources.ts"
import type { OrgUnitId, UserId } from "../shared/entity-ids.ts"
import type { Actor } from "../tenancy/actor.ts"
import {
  ProfileEditableOrgUnitTypeModel,
  ProfileModel,
  ProfileOrgUnitModel,
  ProfileProjectModel,
  ProfileUserRoleModel,
  UserModel,
  UserRoleModel
} from "../tenancy/users.ts"
import { type UserCreateInput, type UserListOptions, Users } from "../users/users-service.ts"
import { exitError, exitTag, type FreshAccount, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

const USER_MODELS = [UserModel, ProfileModel, ProfileOrgUnitModel, ProfileUserRoleModel, ProfileProjectModel, ProfileEditableOrgUnitTypeModel, AuditEntryModel]

/** Registers the scenarios of the users service. */
export const userScenarios = (h: () => Harness) => {
  const unit = (account: FreshAccount, name: string, parentId?: string) =>
    h().as(
      account.system,
      Effect.flatMap(Effect.service(OrgUnits), (units) =>
        units.create({
          name,
          versionId: account.versionId as OrgUnit["versionId"],
          ...(parentId === undefined ? {} : { parentId: parentId as OrgUnitId })
        })
      )
    )
  const create = (actor: Actor, input: UserCreateInput) =>
    h().as(
      actor,
      Effect.flatMap(Effect.service(Users), (users) => users.create(input))
    )
  const rows = (account: FreshAccount) => Promise.all(USER_MODELS.map((model) => h().inspectAccount(model, account.accountId)))
  const unique = (name: string) => `${name}.${Math.random().toString(36).slice(2, 10)}`

  describe("users", () => {
    scenario("Users.create stores the user, its profile and links; update and deactivate change them, audited", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const country = await unit(account, "Country")
      const district = await unit(account, "District", country.id)
      const role = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) => r.create(UserRoleModel, { name: "Supervisor", permissions: ["iaso_forms"] }))
      )
      const username = unique("amina")
      const created = await create(account.system, {
        username,
        firstName: "Amina",
        lastName: "Kamara",
        email: "amina@example.org",
        language: "fr",
        permissions: ["iaso_org_units"],
        orgUnitIds: [district.id],
        userRoleIds: [role.id],
        projectIds: [account.projectId as never]
      })
      expect(created.user).toMatchObject({
        username,
        firstName: "Amina",
        lastName: "Kamara",
        email: "amina@example.org",
        isActive: true,
        permissions: ["iaso_org_units"]
      })
      expect(created.profile).toMatchObject({ userId: created.user.id, language: "fr" })
      expect(created.orgUnitIds).toEqual([district.id])
      expect(created.userRoleIds).toEqual([role.id])
      expect(created.projectIds).toEqual([account.projectId])
      expect(created.editableOrgUnitTypeIds).toEqual([])
      const renamed = unique("aminata")
      const updated = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Users), (users) =>
          users.update(created.user.id, { username: renamed, email: "", language: "en", orgUnitIds: [country.id], userRoleIds: [] })
        )
      )
      expect(updated.user).toMatchObject({ username: renamed, email: "", firstName: "Amina" })
      expect(updated.profile.language).toBe("en")
      expect(updated.orgUnitIds).toEqual([country.id])
      expect(updated.userRoleIds).toEqual([])
      expect(updated.projectIds).toEqual([account.projectId])
      const links = await harness.inspectAccount(ProfileOrgUnitModel, account.accountId)
      expect(links.map((link) => link["orgUnitId"])).toEqual([country.id])

      const deactivated = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Users), (users) => users.deactivate(created.user.id))
      )
      expect(deactivated.user.isActive).toBe(false)
      const [stored] = await harness.inspectAccount(UserModel, account.accountId)
      expect(stored?.["isActive"]).toBe(false)
      const audited = (await harness.inspectAccount(AuditEntryModel, account.accountId)).filter((entry) => entry["objectId"] === created.user.id)
      expect(audited.map((entry) => [entry["objectModel"], entry["source"]])).toEqual([
        ["User", "PROFILE_API"],
        ["User", "PROFILE_API"],
        ["User", "PROFILE_API"]
      ])
    })

    scenario("usernames are unique across accounts and dhis2 ids within the account", async () => {
      const harness = h()
      const first = await harness.freshAccount()
      const second = await harness.freshAccount()
      const username = unique("taken")
      await create(first.system, { username, dhis2Id: "dhis-1" })
      const before = await rows(second)
      const again = await harness.exitAs(
        second.system,
        Effect.flatMap(Effect.service(Users), (users) => users.create({ username }))
      )
      expect(exitTag(again)).toBe("AlreadyExists")
      expect(exitError(again)).toMatchObject({ model: "User", constraint: "user_username_unique" })
      expect(await rows(second)).toEqual(before)
      const dhis2 = await harness.exitAs(
        first.system,
        Effect.flatMap(Effect.service(Users), (users) => users.create({ username: unique("other"), dhis2Id: "dhis-1" }))
      )
      expect(exitTag(dhis2)).toBe("AlreadyExists")
      expect(await harness.inspectAccount(UserModel, first.accountId)).toHaveLength(1)
      const invalid = await harness.exitAs(
        first.system,
        Effect.flatMap(Effect.service(Users), (users) => users.create({ username: "has space" }))
      )
      expect(exitTag(invalid)).toBe("ValidationError")
    })

    scenario("a restricted creator is refused outside its roots, with permissions it lacks or users it does not manage, and nothing is stored", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const country = await unit(account, "Country")
      const bo = await unit(account, "Bo", country.id)
      const kenema = await unit(account, "Kenema", country.id)
      const manager = account.withPermissions(["iaso_users_managed", "iaso_forms"], { orgUnitRoots: [bo.id] })
      const before = await rows(account)
      const outside = await harness.exitAs(
        manager,
        Effect.flatMap(Effect.service(Users), (users) => users.create({ username: unique("k"), orgUnitIds: [kenema.id] }))
      )
      expect(exitTag(outside)).toBe("Forbidden")
      const none = await harness.exitAs(
        manager,
        Effect.flatMap(Effect.service(Users), (users) => users.create({ username: unique("n") }))
      )
      expect(exitTag(none)).toBe("Forbidden")
      const lacking = await harness.exitAs(
        manager,
        Effect.flatMap(Effect.service(Users), (users) => users.create({ username: unique("p"), orgUnitIds: [bo.id], permissions: ["iaso_users"] }))
      )
      expect(exitTag(lacking)).toBe("Forbidden")
      expect(exitError(lacking)).toMatchObject({ permission: "iaso_users" })
      expect(await rows(account)).toEqual(before)

      const inBo = await create(manager, { username: unique("bo"), orgUnitIds: [bo.id], permissions: ["iaso_forms"] })
      expect(inBo.orgUnitIds).toEqual([bo.id])
      const elsewhere = await create(account.system, { username: unique("kenema"), orgUnitIds: [kenema.id] })
      const change = await harness.exitAs(
        manager,
        Effect.flatMap(Effect.service(Users), (users) => users.update(elsewhere.user.id, { firstName: "X" }))
      )
      expect(exitTag(change)).toBe("Forbidden")
      const listed = await harness.as(
        manager,
        Effect.flatMap(Effect.service(Users), (users) => users.list())
      )
      expect(listed.items.map((item) => item.user.id)).toEqual([inBo.user.id])
      const stored = await harness.inspectAccount(UserModel, account.accountId)
      expect(stored.find((row) => row["id"] === elsewhere.user.id)?.["firstName"]).toBe("")
    })

    scenario("generic writes of users, profiles and their links are refused with Unsupported", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const made = await create(account.system, { username: unique("u") })
      const before = await rows(account)
      const attempts = [
        Effect.flatMap(Effect.service(Records), (r) => r.create(UserModel, { username: unique("g"), firstName: "", lastName: "", email: "", isActive: true })),
        Effect.flatMap(Effect.service(Records), (r) => r.update(UserModel, made.user.id, { isActive: false })),
        Effect.flatMap(Effect.service(Records), (r) => r.update(ProfileModel, made.profile.id, { language: "en" })),
        Effect.flatMap(Effect.service(Records), (r) => r.remove(UserModel, made.user.id))
      ]
      for (const attempt of attempts) {
        const exit = await harness.exitAs(account.system, attempt)
        expect(exitTag(exit)).toBe("Unsupported")
        expect(exitError(exit)).toMatchObject({ message: expect.stringContaining("written through Users") })
      }
      expect(await rows(account)).toEqual(before)
    })

    scenario("password hashes and credentials' passwords are never answered by generic reads; the password verifies", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const made = await create(account.system, { username: unique("secret"), password: Redacted.make("correct horse") })
      expect("passwordHash" in made.user).toBe(false)
      const [stored] = await harness.inspectAccount(UserModel, account.accountId)
      expect(String(stored?.["passwordHash"])).toMatch(/^pbkdf2_sha256\$600000\$[A-Za-z0-9]{22}\$/)
      expect(String(stored?.["passwordHash"])).not.toContain("correct horse")
      const admin = account.withPermissions(["iaso_users", "iaso_sources"])
      const got = await harness.as(
        admin,
        Effect.flatMap(Effect.service(Records), (r) => r.get(UserModel, made.user.id))
      )
      expect(Object.keys(got).sort()).toEqual([
        "accountId",
        "createdAt",
        "email",
        "firstName",
        "id",
        "isActive",
        "lastName",
        "updatedAt",
        "username",
        "version"
      ])
      const listed = await harness.as(
        admin,
        Effect.flatMap(Effect.service(Records), (r) => r.list(UserModel))
      )
      expect(listed.items.map((item) => "passwordHash" in item)).toEqual([false])
      const filtered = await harness.exitAs(
        admin,
        Effect.flatMap(Effect.service(Records), (r) => r.list(UserModel, { where: [{ field: "passwordHash", op: "startsWith", value: "pbkdf2" }] }))
      )
      expect(exitTag(filtered)).toBe("ValidationError")
      const viaService = await harness.as(
        admin,
        Effect.flatMap(Effect.service(Users), (users) => users.get(made.user.id))
      )
      expect("passwordHash" in viaService.user).toBe(false)
      const verify = (password: string) =>
        harness.as(
          admin,
          Effect.flatMap(Effect.service(Users), (users) => users.verifyPassword(made.user.username, password))
        )
      expect([await verify("correct horse"), await verify("wrong")]).toEqual([true, false])
      await harness.as(
        admin,
        Effect.flatMap(Effect.service(Users), (users) => users.setPassword(made.user.id, "battery staple"))
      )
      expect([await verify("correct horse"), await verify("battery staple")]).toEqual([false, true])
      expect(JSON.stringify(await harness.inspectAccount(AuditEntryModel, account.accountId))).not.toContain("pbkdf2")

      const credentials = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) =>
          r.create(ExternalCredentialsModel, { name: "dhis2", login: "admin", password: Redacted.make("district"), url: "https://play.example.org" })
        )
      )
      const readCredentials = await harness.as(
        admin,
        Effect.flatMap(Effect.service(Records), (r) => r.get(ExternalCredentialsModel, credentials.id))
      )
      expect(readCredentials).toMatchObject({ name: "dhis2", login: "admin", url: "https://play.example.org" })
      expect("password" in readCredentials).toBe(false)
      const listedCredentials = await harness.as(
        admin,
        Effect.flatMap(Effect.service(Records), (r) => r.list(ExternalCredentialsModel))
      )
      expect(listedCredentials.items.map((item) => Object.keys(item).includes("password"))).toEqual([false])
      const [storedCredentials] = await harness.inspectAccount(ExternalCredentialsModel, account.accountId)
      expect(storedCredentials?.["password"]).toBe("district")
    })

    scenario("a managed-only actor's list and get show users inside its roots, not itself", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const bo = await unit(account, "Bo")
      const self = await create(account.system, { username: unique("self"), orgUnitIds: [bo.id] })
      const other = await create(account.system, { username: unique("other"), orgUnitIds: [bo.id] })
      const manager = { ...account.withPermissions(["iaso_users_managed"], { orgUnitRoots: [bo.id] }), userId: self.user.id as UserId }
      const listed = await harness.as(
        manager,
        Effect.flatMap(Effect.service(Users), (users) => users.list())
      )
      expect(listed.items.map((item) => item.user.id)).toEqual([other.user.id])
      const own = await harness.exitAs(
        manager,
        Effect.flatMap(Effect.service(Users), (users) => users.deactivate(self.user.id))
      )
      expect(exitTag(own)).toBe("Forbidden")
    })

    scenario("Users.list filters by text, activity, org unit (or under it), role, project and permission", async () => {
      const harness = h()
      const account = await harness.freshAccount()
      const country = await unit(account, "Country")
      const bo = await unit(account, "Bo", country.id)
      const kenema = await unit(account, "Kenema", country.id)
      const role = await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Records), (r) => r.create(UserRoleModel, { name: "Supervisor", permissions: ["iaso_forms"] }))
      )
      const tag = unique("f")
      await create(account.system, {
        username: `${tag}.amina`,
        firstName: "Amina",
        lastName: "Kamara",
        email: "amina@health.example",
        orgUnitIds: [bo.id],
        userRoleIds: [role.id]
      })
      await create(account.system, {
        username: `${tag}.bob`,
        firstName: "Bob",
        lastName: "Sesay",
        orgUnitIds: [country.id],
        projectIds: [account.projectId as never],
        permissions: ["iaso_forms"]
      })
      const chi = await create(account.system, { username: `${tag}.chi`, firstName: "Chi", lastName: "KAMARA", orgUnitIds: [kenema.id] })
      await harness.as(
        account.system,
        Effect.flatMap(Effect.service(Users), (users) => users.deactivate(chi.user.id))
      )
      const names = (options: UserListOptions) =>
        harness.as(
          account.system,
          Effect.map(
            Effect.flatMap(Effect.service(Users), (users) => users.list({ usernameStartsWith: tag, ...options })),
            (page) => page.items.map((item) => item.user.firstName)
          )
        )
      expect(await names({})).toEqual(["Amina", "Bob", "Chi"])
      expect(await names({ search: "kamara" })).toEqual(["Amina", "Chi"])
      expect(await names({ search: "HEALTH.example" })).toEqual(["Amina"])
      expect(await names({ isActive: false })).toEqual(["Chi"])
      expect(await names({ isActive: true, search: "kamara" })).toEqual(["Amina"])
      expect(await names({ orgUnitId: country.id })).toEqual(["Bob"])
      expect(await names({ orgUnitId: country.id, orgUnitDescendants: true })).toEqual(["Amina", "Bob", "Chi"])
      expect(await names({ orgUnitId: bo.id, orgUnitDescendants: true })).toEqual(["Amina"])
      expect(await names({ userRoleIds: [role.id] })).toEqual(["Amina"])
      expect(await names({ projectIds: [account.projectId] })).toEqual(["Bob"])
      // Given directly (Bob) or through a role (Amina).
      expect(await names({ permission: "iaso_forms" })).toEqual(["Amina", "Bob"])
      expect(await names({ permission: "iaso_users" })).toEqual([])
    })
  })
}
