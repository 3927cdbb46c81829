/**
 * The checks and writes of a bulk user creation (see `bulk-user-creation.ts` for the rules), loaded
 * by {@link BulkUserCreation} with a dynamic `import()` when a first file comes: an app that never
 * creates users in bulk leaves them out of its starting code.
 * @module
 */
import { Effect, Redacted, Result } from "effect"
import type { CellValue } from "../forms/xlsx.ts"
import { lazyModule } from "../shared/lazy-module.ts"
import { audit } from "../kernel/audit.ts"
import type { ServiceWriteError } from "../kernel/repos.ts"
import { TeamModel, TeamUserModel } from "../planning/team.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { OrgUnitTypeModel } from "../registry/org-unit-type.ts"
import { type BlobRef, BlobStore } from "../shared/blob.ts"
import type { OrgUnitId, OrgUnitTypeId, ProjectId, TeamId, UserId, UserRoleId } from "../shared/entity-ids.ts"
import type { StorageError } from "../shared/errors.ts"
import { isUuid } from "../shared/ids.ts"
import { scopeOf } from "../shared/reads.ts"
import type { AnyModel } from "../shared/model.ts"
import type { Repositories } from "../shared/repository.ts"
import { AccountModel } from "../tenancy/account.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { PERMISSIONS, type Permission } from "../tenancy/permissions.ts"
import { ProjectModel } from "../tenancy/project.ts"
import { type Profile, ProfileModel, ProfileProjectModel, UserModel, UserRoleModel } from "../tenancy/users.ts"
import {
  BulkCreateUserCsvFileDefaultOrgUnitModel,
  BulkCreateUserCsvFileDefaultProjectModel,
  BulkCreateUserCsvFileDefaultTeamModel,
  BulkCreateUserCsvFileDefaultUserRoleModel,
  BulkCreateUserCsvFileModel
} from "./bulk-create-user-csv-file.ts"
import { profileLinkRows, type PublicUser, publicUser, usernameTaken } from "./users-service.ts"
import { BULK_USER_COLUMNS, type BulkUserColumn, csvLine, hashPassword, parseCsv, splitCell, splitXlsxCell } from "./bulk-csv.ts"
import {
  BULK_USER_LANGUAGES,
  BulkUserCreation,
  BulkUserCreationError,
  type BulkUserCreationFailure,
  type BulkUserCreationOptions,
  type BulkUserCreationResult,
  type BulkUserDefaults,
  type BulkUserRowError,
  MAX_BULK_USER_CELL_ITEMS,
  MAX_BULK_USER_FILE_BYTES,
  MAX_BULK_USER_ROWS
} from "./bulk-user-creation.ts"

/** A bulk creation file read: header, rows aligned on it, how to split a multi-value cell, and the kept copy's bytes. */
interface BulkTable {
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
  readonly split: (cell: string) => ReadonlyArray<string>
  /** The file again with `rows` instead of its own (passwords masked), and its media type. */
  readonly copy: (rows: ReadonlyArray<ReadonlyArray<string>>) => { readonly bytes: Uint8Array; readonly mediaType: string }
}

const csvTable = (bytes: Uint8Array): BulkTable | BulkUserCreationError => {
  const parsed = parseCsv(new TextDecoder().decode(bytes))
  return {
    header: parsed.header,
    rows: parsed.rows,
    split: (cell) => splitCell(cell, parsed.delimiter),
    copy: (rows) => ({
      bytes: new TextEncoder().encode(`${[parsed.header, ...rows].map((cells) => csvLine(cells, parsed.delimiter)).join("\n")}\n`),
      mediaType: "text/csv"
    })
  }
}

/** The text of a spreadsheet cell as the bulk creation reads it (`""` for an empty cell). */
const cellText = (value: CellValue): string => (value === null ? "" : String(value))

const XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// The XLSX reader and writer, loaded when a workbook first comes (an app's bundler puts them in
// chunks of their own).
const xlsxModules = Effect.all({
  read: lazyModule("the XLSX reader", () => import("../forms/xlsx.ts")),
  write: lazyModule("the XLSX writer", () => import("../forms/xlsx-write.ts"))
})

const xlsxTable = (xlsx: Effect.Success<typeof xlsxModules>, bytes: Uint8Array): BulkTable | BulkUserCreationError => {
  const workbook = xlsx.read.readXlsx(bytes)
  if (Result.isFailure(workbook)) return refuse([`The file is not a readable .xlsx file: ${workbook.failure}`])
  const sheet = workbook.success.sheets[0]
  if (sheet === undefined) return refuse(["The .xlsx file has no sheet"])
  const [first = [], ...rest] = sheet.rows
  const header = first.map((value) => cellText(value).trim())
  const rows = rest.map((row) => header.map((_, index) => cellText(row[index] ?? null))).filter((row) => row.some((cell) => cell.trim() !== ""))
  return {
    header,
    rows,
    split: splitXlsxCell,
    copy: (masked) => ({ bytes: xlsx.write.writeXlsx({ sheets: [{ name: sheet.name, rows: [header, ...masked] }] }), mediaType: XLSX_MEDIA_TYPE })
  }
}

const refuse = (general: ReadonlyArray<string>, rows: ReadonlyArray<BulkUserRowError> = []) =>
  new BulkUserCreationError({
    message: [
      ...general,
      ...rows.map(
        (row) =>
          `row ${row.row}: ${Object.entries(row.details)
            .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
            .join("; ")}`
      )
    ].join("\n"),
    general: [...general],
    rows: [...rows]
  })

const USERNAME = /^[\w.@+-]{1,150}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** A resolved row, ready to write. */
interface PlannedUser {
  readonly username: string
  readonly password: string
  readonly email: string
  readonly firstName: string
  readonly lastName: string
  readonly language: string | undefined
  readonly dhis2Id: string | undefined
  readonly organization: string | undefined
  readonly phoneNumber: string | undefined
  readonly permissions: ReadonlyArray<Permission>
  readonly orgUnitIds: ReadonlyArray<OrgUnitId>
  readonly userRoleIds: ReadonlyArray<UserRoleId>
  readonly projectIds: ReadonlyArray<ProjectId>
  readonly teamIds: ReadonlyArray<TeamId>
  readonly typeIds: ReadonlyArray<OrgUnitTypeId>
}

const createFrom = (
  repos: Repositories,
  bytes: Uint8Array,
  read: (bytes: Uint8Array) => BulkTable | BulkUserCreationError,
  options: BulkUserCreationOptions
): Effect.Effect<BulkUserCreationResult, BulkUserCreationFailure, CurrentActor | BlobStore> =>
  Effect.gen(function* () {
    const actor = yield* CurrentActor
    yield* requireAny(actor, ["iaso_users", "iaso_users_managed"], "creating users in bulk")
    if (bytes.byteLength > MAX_BULK_USER_FILE_BYTES)
      return yield* refuse([`The file has ${bytes.byteLength} bytes: more than the ${MAX_BULK_USER_FILE_BYTES} accepted (limit MAX_BULK_USER_FILE_BYTES)`])
    const parsed = read(bytes)
    if (parsed instanceof BulkUserCreationError) return yield* parsed
    const missing = BULK_USER_COLUMNS.filter((column) => !parsed.header.includes(column)).sort()
    if (missing.length > 0) return yield* refuse([`Missing required column(s): ${missing.join(", ")}`])
    if (parsed.rows.length > MAX_BULK_USER_ROWS)
      return yield* refuse([`The file has ${parsed.rows.length} rows: more than the ${MAX_BULK_USER_ROWS} accepted (limit MAX_BULK_USER_ROWS)`])
    const position = new Map(parsed.header.map((name, index) => [name, index]))
    const cellOf = (row: ReadonlyArray<string>, column: BulkUserColumn): string => {
      const index = position.get(column)
      return index === undefined ? "" : (row[index] ?? "").trim()
    }
    const usernames = parsed.rows.map((row) => cellOf(row, "username"))
    const repeated = [...new Set(usernames.filter((name, index) => name !== "" && usernames.indexOf(name) !== index))]
    if (repeated.length > 0) return yield* refuse([`There are duplicated usernames in the file: ${repeated.join(", ")}`])

    const resolver = yield* makeResolver(repos, actor)
    const defaults = yield* resolveDefaults(resolver, options.defaults ?? {})
    const planned: Array<PlannedUser> = []
    const rowErrors: Array<BulkUserRowError> = []
    for (const [index, row] of parsed.rows.entries()) {
      const details: Record<string, Array<string>> = {}
      const fail = (field: string, message: string) => {
        details[field] = [...(details[field] ?? []), message]
      }
      const items = (column: BulkUserColumn): ReadonlyArray<string> => {
        const list = parsed.split(cellOf(row, column))
        if (list.length > MAX_BULK_USER_CELL_ITEMS) {
          fail(column, `More than ${MAX_BULK_USER_CELL_ITEMS} items (limit MAX_BULK_USER_CELL_ITEMS).`)
          return []
        }
        return list
      }
      const username = cellOf(row, "username")
      const password = cellOf(row, "password")
      const email = cellOf(row, "email")
      if (username === "") fail("username", "This field may not be blank.")
      else if (!USERNAME.test(username)) fail("username", "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.")
      else if (yield* resolver.usernameTaken(username)) fail("username", "This field must be unique.")
      if (email !== "" && (email.length > 254 || !EMAIL.test(email))) fail("email", "Enter a valid email address.")
      if (password === "" && email === "") fail("password", "A password or an email is required.")
      if (password !== "" && resolver.enforcePasswords) for (const message of passwordProblems(password, username)) fail("password", message)
      const firstName = cellOf(row, "first_name")
      const lastName = cellOf(row, "last_name")
      if (firstName.length > 150) fail("first_name", "Ensure this field has no more than 150 characters.")
      if (lastName.length > 150) fail("last_name", "Ensure this field has no more than 150 characters.")
      const languageCell = cellOf(row, "profile_language").toLowerCase()
      if (languageCell !== "" && !(BULK_USER_LANGUAGES as ReadonlyArray<string>).includes(languageCell))
        fail("profile_language", `"${cellOf(row, "profile_language")}" is not a valid choice.`)
      const dhis2Id = cellOf(row, "dhis2_id")
      if (dhis2Id.length > 128) fail("dhis2_id", "Ensure this field has no more than 128 characters.")
      else if (dhis2Id !== "" && (yield* resolver.dhis2IdTaken(dhis2Id))) fail("dhis2_id", "A profile with this dhis2_id already exists in the account.")
      else if (dhis2Id !== "" && planned.some((user) => user.dhis2Id === dhis2Id)) fail("dhis2_id", "This dhis2_id is given to another row of the file.")
      const organization = cellOf(row, "organization")
      if (organization.length > 512) fail("organization", "Ensure this field has no more than 512 characters.")
      const phoneCell = cellOf(row, "phone_number")
      const phone = phoneCell.replace(/[\s().-]/g, "")
      if (phoneCell !== "" && !/^\+[1-9]\d{6,14}$/.test(phone)) fail("phone_number", "Enter a valid phone number.")
      const permissions: Array<Permission> = []
      for (const code of items("permissions")) {
        if ((PERMISSIONS as ReadonlyArray<string>).includes(code)) permissions.push(code as Permission)
        else fail("permissions", `Object with codename=${code} does not exist.`)
      }
      const orgUnitIds = new Set<OrgUnitId>()
      for (const item of items("orgunit")) {
        const found = yield* resolver.orgUnit(isUuid(item) ? "id" : "name", item)
        if (typeof found === "string") orgUnitIds.add(found as OrgUnitId)
        else fail("orgunit", found.error)
      }
      for (const item of items("orgunit__source_ref")) {
        const found = yield* resolver.orgUnit("sourceRef", item)
        if (typeof found === "string") orgUnitIds.add(found as OrgUnitId)
        else fail("orgunit__source_ref", found.error)
      }
      const lookUp = function* <I extends string>(column: BulkUserColumn, look: (item: string) => Effect.Effect<I | { readonly error: string }, StorageError>) {
        const out: Array<I> = []
        for (const item of items(column)) {
          const found = yield* look(item)
          if (typeof found === "string") {
            if (!out.includes(found)) out.push(found)
          } else fail(column, found.error)
        }
        return out
      }
      const userRoleIds = yield* Effect.gen(() => lookUp("user_roles", resolver.role))
      const projectIds = yield* Effect.gen(() => lookUp("projects", resolver.project))
      const teamIds = yield* Effect.gen(() => lookUp("teams", resolver.team))
      const typeIds = yield* Effect.gen(() => lookUp("editable_org_unit_types", resolver.orgUnitType))
      const finalOrgUnits = orgUnitIds.size > 0 ? [...orgUnitIds] : defaults.orgUnitIds
      if (resolver.managedOnly && finalOrgUnits.length === 0 && details["orgunit"] === undefined && details["orgunit__source_ref"] === undefined)
        fail("orgunit", "A user with only iaso_users_managed must give each new user at least one org unit within their own.")
      if (Object.keys(details).length > 0) {
        rowErrors.push({ row: index + 1, details })
        continue
      }
      planned.push({
        username,
        password,
        email,
        firstName,
        lastName,
        language: languageCell !== "" ? languageCell : defaults.language,
        dhis2Id: dhis2Id === "" ? undefined : dhis2Id,
        organization: organization !== "" ? organization : defaults.organization,
        phoneNumber: phoneCell === "" ? undefined : phone,
        permissions: permissions.length > 0 ? permissions : defaults.permissions,
        orgUnitIds: finalOrgUnits,
        userRoleIds: userRoleIds.length > 0 ? userRoleIds : defaults.userRoleIds,
        projectIds: projectIds.length > 0 ? projectIds : defaults.projectIds,
        teamIds: teamIds.length > 0 ? teamIds : defaults.teamIds,
        typeIds
      })
    }
    if (rowErrors.length > 0) return yield* refuse([], rowErrors)

    // The kept copy: every non-empty password masked.
    const passwordIndex = position.get("password") ?? -1
    const kept = parsed.copy(parsed.rows.map((row) => row.map((cell, index) => (index === passwordIndex && cell.trim() !== "" ? "******" : cell))))
    const blobs = yield* BlobStore
    const file: BlobRef = yield* blobs.put(kept.bytes, {
      mediaType: kept.mediaType,
      ...(options.fileName === undefined ? {} : { fileName: options.fileName })
    })
    const hashes = yield* Effect.forEach(planned, (user) =>
      user.password === "" ? Effect.succeed(undefined) : Effect.promise(() => hashPassword(user.password))
    )
    return yield* write(repos, actor, planned, hashes, file, defaults)
  })

/** Django's password rules the SDK applies (see the module documentation). */
const passwordProblems = (password: string, username: string): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (password.length < 8) problems.push("This password is too short. It must contain at least 8 characters.")
  if (/^\d+$/.test(password)) problems.push("This password is entirely numeric.")
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) problems.push("The password is too similar to the username.")
  return problems
}

type Found = string | { readonly error: string }

/** Lookups of a file's names and ids within the importer's account and reach. */
const makeResolver = (repos: Repositories, actor: Actor) =>
  Effect.gen(function* () {
    const accountId = actor.accountId
    const account = yield* repos.get(AccountModel, accountId, accountId)
    const roots = actor.orgUnitRoots.length === 0 ? [] : yield* repos.getMany(OrgUnitModel, accountId, actor.orgUnitRoots)
    const rootPaths = roots.map((unit) => unit.path)
    const visible = (path: string) => rootPaths.length === 0 || rootPaths.some((prefix) => path.startsWith(prefix))
    const managedOnly = !actor.permissions.has("iaso_users") && actor.permissions.has("iaso_users_managed")
    // A managed-only importer with projects may give only those.
    let ownProjects: ReadonlyArray<string> = []
    if (managedOnly && actor.userId !== undefined) {
      const profiles = yield* find(repos, ProfileModel, accountId, "userId", actor.userId)
      const profile = profiles[0]
      if (profile !== undefined)
        ownProjects = (yield* find(repos, ProfileProjectModel, accountId, "profileId", String(profile["id"]))).map((link) => String(link["projectId"]))
    }
    const byField = <M extends AnyModel>(model: M, field: string, value: string) =>
      Effect.map(find(repos, model, accountId, field, value), (rows) => rows.filter((row) => row["deletedAt"] === undefined))
    const one = (rows: ReadonlyArray<Record<string, unknown>>, missing: string, many: string): Found => {
      const [first, second] = rows
      if (first === undefined) return { error: missing }
      if (second !== undefined) return { error: many }
      return String(first["id"])
    }
    return {
      enforcePasswords: account.enforcePasswordValidation,
      managedOnly,
      usernameTaken: (username: string) => usernameTaken(repos, username),
      dhis2IdTaken: (dhis2Id: string) => Effect.map(byField(ProfileModel, "dhis2Id", dhis2Id), (rows) => rows.length > 0),
      orgUnit: (field: "id" | "name" | "sourceRef", value: string): Effect.Effect<Found, StorageError> =>
        Effect.map(byField(OrgUnitModel, field, value), (rows) => {
          const seen = rows.filter(
            (row) =>
              visible(String(row["path"])) && (field !== "sourceRef" || account.defaultVersionId === undefined || row["versionId"] === account.defaultVersionId)
          )
          const label = field === "id" ? "pk" : field === "sourceRef" ? "source_ref" : "name"
          return one(seen, `Object with ${label}=${value} does not exist.`, `Several org units have ${label}=${value}: give the id of the one meant.`)
        }),
      role: (name: string) =>
        Effect.map(
          byField(UserRoleModel, "name", name),
          (rows) => one(rows, `Object with name=${name} does not exist.`, `Several roles are named ${name}.`) as UserRoleId | { readonly error: string }
        ),
      project: (item: string) =>
        Effect.map(byField(ProjectModel, isUuid(item) ? "id" : "name", item), (rows) => {
          const allowed = rows.filter((row) => !managedOnly || ownProjects.length === 0 || ownProjects.includes(String(row["id"])))
          const label = isUuid(item) ? "pk" : "name"
          return one(allowed, `Object with ${label}=${item} does not exist.`, `Several projects are named ${item}: give its id.`) as
            | ProjectId
            | { readonly error: string }
        }),
      team: (name: string) =>
        Effect.map(
          byField(TeamModel, "name", name),
          (rows) => one(rows, `Object with name=${name} does not exist.`, `Several teams are named ${name}.`) as TeamId | { readonly error: string }
        ),
      byId: (model: AnyModel, id: string): Effect.Effect<Found, StorageError> =>
        isUuid(id)
          ? Effect.map(byField(model, "id", id), (rows) => one(rows, `Object with pk=${id} does not exist.`, ""))
          : Effect.succeed({ error: `Object with pk=${id} does not exist.` }),
      orgUnitType: (item: string) =>
        isUuid(item)
          ? Effect.map(
              byField(OrgUnitTypeModel, "id", item),
              (rows) => one(rows, `Object with pk=${item} does not exist.`, "") as OrgUnitTypeId | { readonly error: string }
            )
          : Effect.succeed({ error: `Object with pk=${item} does not exist.` })
    }
  })

type Resolver = Effect.Success<ReturnType<typeof makeResolver>>

/** At most 100 rows of `model` whose `field` equals `value` (lookups by name or id: few rows). */
const find = (repos: Repositories, model: AnyModel, accountId: string, field: string, value: string) =>
  repos.driver.query(model, scopeOf(model, accountId), { where: [{ field, op: "eq", value }], orderBy: [{ field: "id", direction: "asc" }], limit: 100 })

interface ResolvedDefaults {
  readonly language: string | undefined
  readonly organization: string | undefined
  readonly permissions: ReadonlyArray<Permission>
  readonly projectIds: ReadonlyArray<ProjectId>
  readonly userRoleIds: ReadonlyArray<UserRoleId>
  readonly orgUnitIds: ReadonlyArray<OrgUnitId>
  readonly teamIds: ReadonlyArray<TeamId>
}

/** The defaults, each checked as a cell would be (a refused default refuses the file). */
const resolveDefaults = (resolver: Resolver, defaults: BulkUserDefaults) =>
  Effect.gen(function* () {
    const problems: Array<string> = []
    const language = defaults.language?.trim().toLowerCase()
    if (language !== undefined && language !== "" && !(BULK_USER_LANGUAGES as ReadonlyArray<string>).includes(language))
      problems.push(`default language: "${defaults.language ?? ""}" is not a valid choice.`)
    const check = function* (what: string, ids: ReadonlyArray<string> | undefined, look: (id: string) => Effect.Effect<Found, StorageError>) {
      for (const id of ids ?? []) {
        const found = yield* look(id)
        if (typeof found !== "string") problems.push(`default ${what}: ${found.error}`)
      }
    }
    yield* Effect.gen(() => check("org units", defaults.orgUnitIds, (id) => resolver.orgUnit("id", id)))
    yield* Effect.gen(() =>
      check("projects", defaults.projectIds, (id) => (isUuid(id) ? resolver.project(id) : Effect.succeed({ error: `Object with pk=${id} does not exist.` })))
    )
    yield* Effect.gen(() => check("user roles", defaults.userRoleIds, (id) => resolver.byId(UserRoleModel, id)))
    yield* Effect.gen(() => check("teams", defaults.teamIds, (id) => resolver.byId(TeamModel, id)))
    if (problems.length > 0) return yield* refuse(problems)
    const resolved: ResolvedDefaults = {
      language: language === "" ? undefined : language,
      organization: defaults.organization === undefined || defaults.organization.trim() === "" ? undefined : defaults.organization.trim(),
      permissions: [...(defaults.permissions ?? [])],
      projectIds: [...(defaults.projectIds ?? [])],
      userRoleIds: [...(defaults.userRoleIds ?? [])],
      orgUnitIds: [...(defaults.orgUnitIds ?? [])],
      teamIds: [...(defaults.teamIds ?? [])]
    }
    return resolved
  })

/** The writes of a checked file, in one transaction. */
const write = (
  repos: Repositories,
  actor: Actor,
  planned: ReadonlyArray<PlannedUser>,
  hashes: ReadonlyArray<string | undefined>,
  blob: BlobRef,
  defaults: ResolvedDefaults
): Effect.Effect<BulkUserCreationResult, ServiceWriteError> =>
  repos.driver.transaction(
    Effect.gen(function* () {
      const accountId = actor.accountId
      const file = yield* repos.insert(BulkCreateUserCsvFileModel, accountId, {
        file: blob,
        ...(actor.userId === undefined ? {} : { createdById: actor.userId }),
        defaultProfileLanguage: defaults.language ?? "",
        defaultOrganization: (defaults.organization ?? "").slice(0, 255),
        defaultPermissions: defaults.permissions
      })
      const link = <M extends AnyModel>(model: M, rows: ReadonlyArray<Record<string, unknown>>) =>
        rows.length === 0 ? Effect.void : Effect.asVoid(repos.insertMany(model, accountId, rows))
      const fileId = file.id
      yield* link(
        BulkCreateUserCsvFileDefaultProjectModel,
        defaults.projectIds.map((projectId) => ({ bulkCreateUserCsvFileId: fileId, projectId }))
      )
      yield* link(
        BulkCreateUserCsvFileDefaultUserRoleModel,
        defaults.userRoleIds.map((userRoleId) => ({ bulkCreateUserCsvFileId: fileId, userRoleId }))
      )
      yield* link(
        BulkCreateUserCsvFileDefaultOrgUnitModel,
        defaults.orgUnitIds.map((orgUnitId) => ({ bulkCreateUserCsvFileId: fileId, orgUnitId }))
      )
      yield* link(
        BulkCreateUserCsvFileDefaultTeamModel,
        defaults.teamIds.map((teamId) => ({ bulkCreateUserCsvFileId: fileId, teamId }))
      )
      const users: Array<{ readonly user: PublicUser; readonly profile: Profile }> = []
      const invitations: Array<UserId> = []
      for (const [index, plan] of planned.entries()) {
        const hash = hashes[index]
        const user = yield* repos.insert(UserModel, accountId, {
          username: plan.username,
          firstName: plan.firstName,
          lastName: plan.lastName,
          email: plan.email,
          isActive: true,
          ...(hash === undefined ? {} : { passwordHash: Redacted.make(hash) }),
          ...(plan.permissions.length === 0 ? {} : { permissions: plan.permissions })
        })
        if (hash === undefined) invitations.push(user.id)
        const profile = yield* repos.insert(ProfileModel, accountId, {
          userId: user.id,
          ...(plan.language === undefined ? {} : { language: plan.language }),
          ...(plan.organization === undefined ? {} : { organization: plan.organization }),
          ...(plan.dhis2Id === undefined ? {} : { dhis2Id: plan.dhis2Id }),
          ...(plan.phoneNumber === undefined ? {} : { phoneNumber: plan.phoneNumber })
        })
        for (const [model, rows] of profileLinkRows(profile.id, { ...plan, editableOrgUnitTypeIds: plan.typeIds })) yield* link(model, rows)
        yield* link(
          TeamUserModel,
          plan.teamIds.map((teamId) => ({ teamId, userId: user.id }))
        )
        users.push({ user: publicUser(user), profile })
      }
      // Audited without the hash.
      yield* audit(
        repos,
        actor,
        "bulk_create_users",
        UserModel,
        users.map(({ user }) => ({ id: user.id, after: user }))
      )
      yield* audit(
        repos,
        actor,
        "bulk_create_users",
        ProfileModel,
        users.map(({ profile }) => ({ id: profile.id, after: profile }))
      )
      return { file, users, invitations }
    })
  )

/** {@link BulkUserCreation | BulkUserCreation.createFromCsv}. */
export const createFromCsv = (repos: Repositories, bytes: Uint8Array, options: BulkUserCreationOptions) => createFrom(repos, bytes, csvTable, options)

/** {@link BulkUserCreation | BulkUserCreation.createFromXlsx}. */
export const createFromXlsx = (repos: Repositories, bytes: Uint8Array, options: BulkUserCreationOptions) =>
  Effect.flatMap(xlsxModules, (xlsx) => createFrom(repos, bytes, (read) => xlsxTable(xlsx, read), options))
