/**
 * Bulk user creation on IASO's own files (`iaso/tests/fixtures/bulk_create_users/*.csv`), read
 * through the suite's fixture loader, in a world like IASO's test: Coruscant Jedi Council (ref
 * `foo`), Tatooine (`bar`), Dagobah (`baz`, IASO's pk 9999) and Solana are the importer's roots;
 * chiloe (IASO's 10244) is a child of Tatooine and Qux (`qux`) of Solana; Parent org unit and its
 * Child org unit (IASO's 1112) and a homonym chiloe lie outside. IASO's integer pks are replaced by
 * the ids of these units, and usernames get a per-scenario suffix (usernames are unique in the
 * store, which scenarios share).
 * @module
 */
import { Effect, Exit, Result } from "effect"
import { describe, expect, type TestContext } from "vitest"
import { TeamModel, TeamUserModel } from "../planning/team.ts"
import { Teams } from "../planning/teams-service.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeModel } from "../registry/org-unit-type.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { BlobStore } from "../shared/blob.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import type { OrgUnitId, ProjectId, TeamId, UserId, UserRoleId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { Row } from "../shared/model.ts"
import { Actor, type CurrentActor } from "../tenancy/actor.ts"
import { ProjectModel } from "../tenancy/project.ts"
import {
  ProfileEditableOrgUnitTypeModel,
  ProfileModel,
  ProfileOrgUnitModel,
  ProfileProjectModel,
  ProfileUserRoleModel,
  UserModel,
  UserRoleModel
} from "../tenancy/users.ts"
import { BulkCreateUserCsvFileModel } from "../users/bulk-create-user-csv-file.ts"
import { readXlsx } from "../forms/xlsx.ts"
import { writeXlsx } from "../forms/xlsx-write.ts"
import { csvLine, parseCsv, splitXlsxCell, verifyPassword } from "../users/bulk-csv.ts"
import { type BulkUserCreationOptions, BulkUserCreation } from "../users/bulk-user-creation.ts"
import { exitError, type FixtureLoader, type Harness, type SuiteServices } from "./harness.ts"
import { scenario } from "./scenario.ts"
import { memoryBlobs } from "./submission-world.ts"

const DIR = "iaso/iaso/tests/fixtures/bulk_create_users"

/** A fixture's text, or `undefined` after skipping the scenario (a failure when the loader requires files). */
const text = async (fixtures: FixtureLoader | undefined, name: string, context: TestContext): Promise<string | undefined> => {
  const path = `${DIR}/${name}`
  const bytes = await fixtures?.read(path)
  if (bytes === undefined) {
    if (fixtures?.required === true) throw new Error(`missing fixture ${path}: ../shared/fixtures is required here (CI)`)
    context.skip(fixtures === undefined ? "no fixture loader was given to the suite" : `../shared/fixtures/${path} is absent`)
    return undefined
  }
  return new TextDecoder().decode(bytes)
}

/** IASO's test world (see the module documentation) and a runner of the service as an actor. */
const world = async (harness: Harness) => {
  const account = await harness.freshAccount()
  const repos = await harness.repos()
  const blobs = await memoryBlobs()
  const run = <A, E>(effect: Effect.Effect<A, E, SuiteServices>) => harness.run(effect)
  const type = await run(repos.insert(OrgUnitTypeModel, account.accountId, { name: "Jedi place", shortName: "JP" }))
  const units = await harness.as(
    account.system,
    Effect.gen(function* () {
      const service = yield* OrgUnits
      const versionId = account.versionId as OrgUnit["versionId"]
      const make = (name: string, sourceRef?: string, parentId?: OrgUnitId) =>
        service.create({ name, versionId, ...(sourceRef === undefined ? {} : { sourceRef }), ...(parentId === undefined ? {} : { parentId }) })
      const coruscant = yield* make("Coruscant Jedi Council", "foo")
      const tatooine = yield* make("Tatooine", "bar")
      const dagobah = yield* make("Dagobah", "baz")
      const solana = yield* make("Solana")
      const chiloe = yield* make("chiloe", undefined, tatooine.id)
      const qux = yield* make("Qux", "qux", solana.id)
      const parent = yield* make("Parent org unit")
      const child = yield* make("Child org unit", undefined, parent.id)
      const otherChiloe = yield* make("chiloe", undefined, parent.id)
      return { coruscant, tatooine, dagobah, solana, chiloe, qux, parent, child, otherChiloe }
    })
  )
  const roots = [units.coruscant.id, units.tatooine.id, units.dagobah.id, units.solana.id]
  const role = async (name: string) => (await run(repos.insert(UserRoleModel, account.accountId, { name, permissions: ["iaso_forms"] }))).id as UserRoleId
  const roles = { manager: await role("manager"), areaManager: await role("area_manager") }
  const project = async (name: string) =>
    (await run(repos.insert(ProjectModel, account.accountId, { name, appId: `${name}.${uuidv7()}`, needsAuthentication: false, description: "" })))
      .id as ProjectId
  const projects = { main: account.projectId as ProjectId, named: await project("Project name"), second: await project("Project 2") }
  const manager = (
    await run(repos.insert(UserModel, account.accountId, { username: `yoda.${uuidv7()}`, firstName: "Yoda", lastName: "", email: "", isActive: true }))
  ).id as UserId
  const team = (name: string) =>
    harness
      .as(
        account.system,
        Effect.flatMap(Effect.service(Teams), (t) => t.create({ name, projectId: projects.main, managerId: manager }))
      )
      .then((created) => created.id as TeamId)
  const teams = { a: await team("Team A"), b: await team("Team B"), test: await team("Test Team") }
  const yoda = Actor.user({ accountId: account.accountId, userId: manager, permissions: ["iaso_users"], orgUnitRoots: roots })
  let runs = 0
  /** A username suffix no other upload of the store uses. */
  const nextSuffix = () => {
    runs += 1
    return `${account.accountId.slice(-12)}${runs}`
  }
  /** The fixture with IASO's pks and placeholders replaced and usernames suffixed (same suffix when `suffix` is given). */
  const prepare = (csv: string, suffix: string) => {
    // One pass, longest token first: a token inside an id put in by an earlier replacement (a
    // UUIDv7 may contain `1112` or `9999`) is never replaced again.
    const values: Readonly<Record<string, string>> = {
      "99998": uuidv7(),
      "10244": units.chiloe.id,
      "9999": units.dagobah.id,
      "1112": units.child.id,
      "{{org_unit_type_id}}": type.id,
      "{{ project_id }}": projects.named,
      "{{team_names}}": "Team A,Team B"
    }
    const replaced = csv.replace(/99998|10244|9999|1112|\{\{org_unit_type_id\}\}|\{\{ project_id \}\}|\{\{team_names\}\}/g, (token) => values[token] ?? token)
    const parsed = parseCsv(replaced)
    const at = parsed.header.indexOf("username")
    return [parsed.header, ...parsed.rows.map((row) => row.map((cell, index) => (index === at && cell !== "" ? `${cell}.${suffix}` : cell)))]
      .map((cells) => csvLine(cells, parsed.delimiter))
      .join("\n")
  }
  const upload = (actor: Actor, csv: string, options: BulkUserCreationOptions = {}, suffix = nextSuffix()) =>
    harness.exitAs(
      actor,
      Effect.flatMap(Effect.service(BulkUserCreation), (b) => b.createFromCsv(new TextEncoder().encode(prepare(csv, suffix)), options)).pipe(
        Effect.provideService(BlobStore, blobs)
      ) as Effect.Effect<unknown, unknown, SuiteServices | CurrentActor>
    )
  /** The same upload as an `.xlsx` file: the prepared CSV's cells on one sheet (or raw bytes, as given). */
  const uploadXlsx = (actor: Actor, file: string | Uint8Array, options: BulkUserCreationOptions = {}, suffix = nextSuffix()) => {
    const bytes =
      typeof file === "string"
        ? (() => {
            const parsed = parseCsv(prepare(file, suffix))
            return writeXlsx({ sheets: [{ name: "Users", rows: [parsed.header, ...parsed.rows] }] })
          })()
        : file
    return harness.exitAs(
      actor,
      Effect.flatMap(Effect.service(BulkUserCreation), (b) => b.createFromXlsx(bytes, options)).pipe(Effect.provideService(BlobStore, blobs)) as Effect.Effect<
        unknown,
        unknown,
        SuiteServices | CurrentActor
      >
    )
  }
  /** The users of the account made by bulk creation, each as IASO's test reads it back. */
  const created = async () => {
    const rows = (model: Parameters<Harness["inspectAccount"]>[0]) => harness.inspectAccount(model, account.accountId)
    const [users, profiles, unitLinks, roleLinks, projectLinks, typeLinks, teamLinks, unitRows, roleRows, projectRows, teamRows] = await Promise.all([
      rows(UserModel),
      rows(ProfileModel),
      rows(ProfileOrgUnitModel),
      rows(ProfileUserRoleModel),
      rows(ProfileProjectModel),
      rows(ProfileEditableOrgUnitTypeModel),
      rows(TeamUserModel),
      rows(OrgUnitModel),
      rows(UserRoleModel),
      rows(ProjectModel),
      rows(TeamModel)
    ])
    const names = (all: ReadonlyArray<Row>) => new Map(all.map((row) => [String(row["id"]), String(row["name"])]))
    const unitNames = names(unitRows)
    const roleNames = names(roleRows)
    const projectNames = names(projectRows)
    const teamNames = names(teamRows)
    const linked = (links: ReadonlyArray<Row>, key: string, value: string, field: string, label: Map<string, string>) =>
      links
        .filter((link) => link[key] === value)
        .map((link) => label.get(String(link[field])) ?? String(link[field]))
        .sort()
    return users
      .filter((user) => user["id"] !== manager)
      .map((user) => {
        const profile = profiles.find((row) => row["userId"] === user["id"])
        const profileId = String(profile?.["id"])
        return {
          username: String(user["username"]).replace(/\.[^.]*$/, ""),
          email: user["email"],
          names: [user["firstName"], user["lastName"]],
          password: typeof user["passwordHash"] === "string",
          permissions: user["permissions"] ?? [],
          language: profile?.["language"],
          dhis2Id: profile?.["dhis2Id"],
          organization: profile?.["organization"],
          phone: profile?.["phoneNumber"],
          orgUnits: linked(unitLinks, "profileId", profileId, "orgUnitId", unitNames),
          roles: linked(roleLinks, "profileId", profileId, "userRoleId", roleNames),
          projects: linked(projectLinks, "profileId", profileId, "projectId", projectNames),
          types: linked(typeLinks, "profileId", profileId, "orgUnitTypeId", new Map([[type.id, "Jedi place"]])),
          teams: linked(teamLinks, "userId", String(user["id"]), "teamId", teamNames)
        }
      })
      .sort((a, b) => a.username.localeCompare(b.username))
  }
  return { account, units, roots, roles, projects, teams, yoda, upload, uploadXlsx, created, blobs, run, repos }
}

type User = Awaited<ReturnType<Awaited<ReturnType<typeof world>>["created"]>>[number]

/** A created user with IASO's defaults for what a scenario does not name. */
const user = (username: string, fields: Partial<User>): User => ({
  username,
  email: "",
  names: ["", ""],
  password: true,
  permissions: [],
  language: undefined,
  dhis2Id: undefined,
  organization: undefined,
  phone: undefined,
  orgUnits: [],
  roles: [],
  projects: [],
  types: [],
  teams: [],
  ...fields
})

/** The error payload of a refused upload: general messages and per-row details. */
const refusal = (exit: Exit.Exit<unknown, unknown>) => {
  const error = exitError(exit) as { readonly _tag?: string; readonly general?: unknown; readonly rows?: unknown } | undefined
  return { tag: error?._tag, general: error?.general, rows: error?.rows }
}

/** Registers the bulk user creation scenarios. */
export const bulkUserScenarios = (h: () => Harness, fixtures: FixtureLoader | undefined): void => {
  describe("bulk user creation from IASO's CSV files", () => {
    scenario(
      "test_user_bulk_create_valid.csv creates three users with the org units of their names, ids and source refs, hashed passwords and the editable type",
      async (context) => {
        const csv = await text(fixtures, "test_user_bulk_create_valid.csv", context)
        if (csv === undefined) return
        const w = await world(h())
        const suffix = `same${w.account.accountId.slice(-12)}`
        const exit = await w.upload(w.yoda, csv, { fileName: "users.csv" }, suffix)
        expect(Exit.isSuccess(exit)).toBe(true)
        const common = { password: true, language: "fr" }
        expect(await w.created()).toEqual([
          user("broly", { ...common, email: "biobroly@bluesquarehub.com", names: ["broly", "bio"], dhis2Id: "dhis2_id_1", orgUnits: ["Dagobah"] }),
          user("ferdinand", {
            ...common,
            email: "fdzepplin@bluesquarehub.com",
            names: ["ferdinand", "von Zepplin"],
            dhis2Id: "dhis2_id_2",
            orgUnits: ["Coruscant Jedi Council", "Dagobah", "Tatooine"]
          }),
          user("rsfg", {
            ...common,
            email: "efsfg@srgrs.com",
            names: ["feesf", "dsfsf"],
            dhis2Id: "dhis2_id_3",
            orgUnits: ["Dagobah", "Tatooine"],
            types: ["Jedi place"]
          })
        ])
        // The password is stored hashed only, and checks; the kept file masks every password.
        const broly = (
          await w.run(
            w.repos.driver.query(UserModel, { accountId: w.account.accountId }, { where: [], orderBy: [{ field: "id", direction: "asc" }], limit: 10 })
          )
        ).find((row) => String(row["username"]).startsWith("broly."))
        const hash = String(broly?.["passwordHash"])
        expect(hash).toMatch(/^pbkdf2_sha256\$600000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$/)
        expect(await verifyPassword("yodnj!30dln", hash)).toBe(true)
        expect(await verifyPassword("yodnj!30dlm", hash)).toBe(false)
        const files = await h().inspectAccount(BulkCreateUserCsvFileModel, w.account.accountId)
        expect(files.length).toBe(1)
        const kept = new TextDecoder().decode(await Effect.runPromise(w.blobs.get(String((files[0]?.["file"] as { key?: string } | undefined)?.key))))
        expect(
          kept
            .trim()
            .split("\n")
            .map((line) => line.split(",")[1])
        ).toEqual(["password", "******", "******", "******"])
        expect(kept.includes("yodnj!30dln")).toBe(false)
        // The same usernames uploaded in another account: every row is taken (usernames are unique
        // across accounts), nothing more is created.
        const other = await world(h())
        const taken = await other.upload(other.yoda, csv, {}, suffix)
        expect(refusal(taken)).toEqual({
          tag: "BulkUserCreationError",
          general: [],
          rows: [1, 2, 3].map((row) => ({ row, details: { username: ["This field must be unique."] } }))
        })
        expect(await other.created()).toEqual([])
        expect((await w.created()).length).toBe(3)
      }
    )

    scenario(
      "the valid file as an .xlsx workbook creates the same users, splits cells on their most frequent separator, and keeps an .xlsx copy with passwords masked",
      async (context) => {
        const csv = await text(fixtures, "test_user_bulk_create_valid.csv", context)
        if (csv === undefined) return
        const w = await world(h())
        const exit = await w.uploadXlsx(w.yoda, csv, { fileName: "users.xlsx" })
        expect(Exit.isSuccess(exit)).toBe(true)
        const common = { password: true, language: "fr" }
        expect(await w.created()).toEqual([
          user("broly", { ...common, email: "biobroly@bluesquarehub.com", names: ["broly", "bio"], dhis2Id: "dhis2_id_1", orgUnits: ["Dagobah"] }),
          user("ferdinand", {
            ...common,
            email: "fdzepplin@bluesquarehub.com",
            names: ["ferdinand", "von Zepplin"],
            dhis2Id: "dhis2_id_2",
            orgUnits: ["Coruscant Jedi Council", "Dagobah", "Tatooine"]
          }),
          user("rsfg", {
            ...common,
            email: "efsfg@srgrs.com",
            names: ["feesf", "dsfsf"],
            dhis2Id: "dhis2_id_3",
            orgUnits: ["Dagobah", "Tatooine"],
            types: ["Jedi place"]
          })
        ])
        const files = await h().inspectAccount(BulkCreateUserCsvFileModel, w.account.accountId)
        const ref = files[0]?.["file"] as { readonly key?: string; readonly mediaType?: string } | undefined
        expect(ref?.mediaType).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        const kept = readXlsx(await Effect.runPromise(w.blobs.get(String(ref?.key))))
        expect(Result.isSuccess(kept) ? kept.success.sheets[0]?.rows.map((row) => row[1]) : kept.failure).toEqual(["password", "******", "******", "******"])
        // IASO's spreadsheet rule: the most frequent of ";", "|" and "," (first on a tie), not the CSV one.
        expect([splitXlsxCell("Tatooine; Dagobah, Solana; Qux"), splitXlsxCell("a|b,c|d"), splitXlsxCell("a,b;c"), splitXlsxCell(" one ")]).toEqual([
          ["Tatooine", "Dagobah, Solana", "Qux"],
          ["a", "b,c", "d"],
          ["a,b", "c"],
          ["one"]
        ])
        const notXlsx = await w.uploadXlsx(w.yoda, new TextEncoder().encode(csv))
        const refused = refusal(notXlsx)
        expect([
          refused.tag,
          refused.rows,
          String((refused.general as ReadonlyArray<string> | undefined)?.[0]).startsWith("The file is not a readable .xlsx file: ")
        ]).toEqual(["BulkUserCreationError", [], true])
        expect((await w.created()).length).toBe(3)
      }
    )

    scenario("the files giving permissions, roles, projects by name or id, teams and every field link each user as IASO's tests expect", async (context) => {
      const names = [
        "test_user_bulk_create_valid_with_perm.csv",
        "test_user_bulk_create_valid_with_roles.csv",
        "test_user_bulk_create_valid_with_projects.csv",
        "test_user_bulk_create_valid_with_project_ids.csv",
        "test_user_bulk_create_valid_with_multiple_teams.csv",
        "test_user_bulk_create_all_fields.csv"
      ] as const
      const files: Array<string> = []
      for (const name of names) {
        const csv = await text(fixtures, name, context)
        if (csv === undefined) return
        files.push(csv)
      }
      const results: Array<ReadonlyArray<User>> = []
      for (const csv of files) {
        const w = await world(h())
        const exit = await w.upload(w.yoda, csv)
        expect(refusal(exit).rows).toBeUndefined()
        results.push((await w.created()).map((u) => ({ ...u, email: "", names: ["", ""], dhis2Id: undefined })))
      }
      const slim = (username: string, fields: Partial<User>) => user(username, fields)
      expect(results).toEqual([
        [
          slim("castor", { language: "en", orgUnits: ["Dagobah", "Tatooine"], permissions: ["iaso_projects"] }),
          slim("ferdinand", { language: "fr", orgUnits: ["Coruscant Jedi Council", "Dagobah", "Tatooine"] }),
          slim("pollux", { language: "en", orgUnits: ["Dagobah"], permissions: ["iaso_forms", "iaso_submissions"] })
        ],
        [slim("broly", { language: "fr", orgUnits: ["Dagobah"], roles: ["manager"] }), slim("cyrus", { language: "fr", roles: ["area_manager", "manager"] })],
        [slim("broly", { language: "fr", orgUnits: ["Dagobah"], projects: ["Project name"] }), slim("cyrus", { language: "fr", projects: ["Project name"] })],
        [slim("projectid_user", { language: "en", orgUnits: ["Dagobah"], projects: ["Project name"] })],
        [slim("rsfg", { language: "fr", orgUnits: ["Dagobah", "Tatooine"], teams: ["Team A", "Team B"], types: ["Jedi place"] })],
        [
          slim("bob", {
            language: "fr",
            orgUnits: ["Dagobah"],
            permissions: ["iaso_forms", "iaso_submissions"],
            roles: ["area_manager", "manager"],
            projects: ["Project name"]
          }),
          slim("bobette", { language: "fr", orgUnits: ["Coruscant Jedi Council", "Dagobah", "Tatooine"], projects: ["Project name"] }),
          slim("fanchon", { language: "fr", orgUnits: ["Dagobah", "Tatooine"], permissions: ["iaso_forms"], roles: ["manager"], projects: ["Project name"] })
        ]
      ])
    })

    scenario("the bulk configuration file takes the defaults for its empty cells and its own values elsewhere", async (context) => {
      const csv = await text(fixtures, "test_user_bulk_create_bulk_configuration.csv", context)
      if (csv === undefined) return
      const w = await world(h())
      const exit = await w.upload(w.yoda, csv, {
        defaults: {
          language: "fr",
          organization: "UNICEF",
          permissions: ["iaso_users"],
          projectIds: [w.projects.main],
          userRoleIds: [w.roles.areaManager],
          orgUnitIds: [w.units.solana.id],
          teamIds: [w.teams.a]
        }
      })
      expect(Exit.isSuccess(exit)).toBe(true)
      const defaults = { roles: ["area_manager"], projects: ["Main Project"], orgUnits: ["Solana"], teams: ["Team A"] }
      expect((await w.created()).map((u) => ({ ...u, email: "", names: ["", ""] }))).toEqual([
        user("all_bulk_user", { ...defaults, language: "fr", organization: "UNICEF", permissions: ["iaso_users"] }),
        user("mixed_user", { ...defaults, language: "en", organization: "WHO", permissions: ["iaso_forms"] }),
        user("no_bulk_user", {
          language: "en",
          organization: "MSF",
          dhis2Id: "csv_dhis2_1",
          phone: "+32475888888",
          permissions: ["iaso_submissions"],
          roles: ["manager"],
          projects: ["Project 2"],
          orgUnits: ["Coruscant Jedi Council", "Tatooine"],
          teams: ["Test Team"]
        })
      ])
      const files = await h().inspectAccount(BulkCreateUserCsvFileModel, w.account.accountId)
      expect(files.map((file) => [file["defaultProfileLanguage"], file["defaultOrganization"], file["defaultPermissions"]])).toEqual([
        ["fr", "UNICEF", ["iaso_users"]]
      ])
    })

    scenario("the email-only rows get no usable password and are listed for invitation; the other accepted files create their users", async (context) => {
      const names = [
        ["test_user_bulk_create_email_no_password.csv", ["invite1", "invite2"], ["invite1", "invite2"]],
        ["test_user_bulk_create_mixed_email.csv", ["no_email", "no_password1", "no_password2", "with_password"], ["no_password1", "no_password2"]],
        ["test_user_bulk_create_no_mail.csv", ["broly", "ferdinand", "rsfg"], []],
        ["test_user_bulk_create_empty_names.csv", ["broly"], []],
        ["test_user_bulk_create_semicolon.csv", ["broly", "cyrus"], []],
        ["test_should_create_user_with_the_correct_org_unit_from_source_ref.csv", ["john"], []],
        ["test_user_bulk_create_user_access_to_child_ou.csv", ["jan"], []],
        ["test_user_bulk_create_user_duplicate_ou_names.csv", ["jan"], []]
      ] as const
      const outcomes: Array<unknown> = []
      for (const [name] of names) {
        const csv = await text(fixtures, name, context)
        if (csv === undefined) return
        const w = await world(h())
        const exit = await w.upload(w.yoda, csv)
        const invited = Exit.isSuccess(exit) ? (exit.value as { invitations: ReadonlyArray<string> }).invitations.length : -1
        const users = await w.created()
        outcomes.push([name, users.map((u) => u.username), users.filter((u) => !u.password).map((u) => u.username), invited])
        if (name.endsWith("source_ref.csv")) expect(users[0]?.orgUnits).toEqual(["Qux"])
        if (name.includes("child_ou") || name.includes("duplicate_ou_names")) {
          const links = await h().inspectAccount(ProfileOrgUnitModel, w.account.accountId)
          expect(links.map((link) => link["orgUnitId"])).toEqual([w.units.chiloe.id])
        }
      }
      expect(outcomes).toEqual(names.map(([name, users, invited]) => [name, users, invited, invited.length]))
    })

    scenario("each refused file reports IASO's row errors in its wording and creates nothing", async (context) => {
      const w = await world(h())
      const outcome = async (name: string, actor: Actor = w.yoda) => {
        const csv = await text(fixtures, name, context)
        if (csv === undefined) return undefined
        return refusal(await w.upload(actor, csv))
      }
      const row = (n: number, details: Record<string, ReadonlyArray<string>>) => ({ row: n, details })
      const refused = (rows: ReadonlyArray<unknown>, general: ReadonlyArray<string> = []) => ({ tag: "BulkUserCreationError", general, rows })
      expect(await outcome("test_user_bulk_create_invalid_mail.csv")).toEqual(refused([row(3, { email: ["Enter a valid email address."] })]))
      expect(await outcome("test_user_bulk_create_invalid_language.csv")).toEqual(
        refused([row(1, { profile_language: ['"invalid_lang" is not a valid choice.'] })])
      )
      expect(await outcome("test_user_bulk_create_invalid_permission.csv")).toEqual(
        refused([row(1, { permissions: ["Object with codename=iaso_fake_permission does not exist."] })])
      )
      const invalid = await outcome("test_user_bulk_create_invalid_orgunit.csv")
      const invalidRows = (invalid?.rows ?? []) as ReadonlyArray<{ row: number; details: Record<string, ReadonlyArray<string>> }>
      expect(invalidRows.map((r) => [r.row, r.details])).toEqual([
        [1, { orgunit: [expect.stringMatching(/^Object with pk=[0-9a-f-]{36} does not exist\.$/)] }],
        [2, { orgunit__source_ref: ["Object with source_ref=nfr does not exist."] }],
        [3, { orgunit__source_ref: ["Object with source_ref=nFR does not exist."] }]
      ])
      expect(await outcome("test_user_bulk_create_invalid_ou_name.csv")).toEqual(refused([row(3, { orgunit: ["Object with name=Bazarre does not exist."] })]))
      const narrow = Actor.user({ accountId: w.account.accountId, permissions: ["iaso_users"], orgUnitRoots: [w.units.coruscant.id] })
      expect(await outcome("test_user_bulk_create_creator_no_access_to_ou.csv", narrow)).toEqual(
        refused([row(1, { orgunit: [`Object with pk=${w.units.chiloe.id} does not exist.`] })])
      )
      expect(await outcome("test_user_bulk_create_invalid_password.csv")).toEqual(
        refused([row(3, { password: ["This password is too short. It must contain at least 8 characters."] })])
      )
      expect(await outcome("test_user_bulk_missing_columns.csv")).toEqual(refused([], ["Missing required column(s): permissions"]))
      expect(await outcome("test_user_bulk_create_duplicated_ou_name.csv")).toEqual(refused([], ["Missing required column(s): phone_number"]))
      expect(await w.created()).toEqual([])
      expect(await h().inspectAccount(BulkCreateUserCsvFileModel, w.account.accountId)).toEqual([])
    })

    scenario("a managed-only importer creates users only in its own org units, and a plain actor without user permissions is refused", async (context) => {
      const csv = await text(fixtures, "test_user_bulk_create_managed_geo_limit.csv", context)
      if (csv === undefined) return
      const w = await world(h())
      const managed = Actor.user({ accountId: w.account.accountId, permissions: ["iaso_users_managed"], orgUnitRoots: [w.units.tatooine.id] })
      expect(refusal(await w.upload(managed, csv))).toEqual({
        tag: "BulkUserCreationError",
        general: [],
        rows: [1, 2, 3].map((row) => ({ row, details: { orgunit: [`Object with pk=${w.units.child.id} does not exist.`] } }))
      })
      expect(refusal(await w.upload(Actor.user({ accountId: w.account.accountId, permissions: ["iaso_forms"] }), csv)).tag).toBe("Forbidden")
      expect(await w.created()).toEqual([])
      const unrestricted = Actor.user({ accountId: w.account.accountId, permissions: ["iaso_users_managed"] })
      expect(Exit.isSuccess(await w.upload(unrestricted, csv))).toBe(true)
      expect((await w.created()).map((u) => [u.username, u.orgUnits, u.projects])).toEqual([
        ["broly", ["Child org unit"], ["Project name"]],
        ["ferdinand", ["Child org unit"], ["Project name"]],
        ["rsfg", ["Child org unit"], []]
      ])
    })
  })
}
