import {
  Actor,
  BULK_USER_COLUMNS,
  BulkUserCreationError,
  createIaso,
  hashPassword,
  MAX_BULK_USER_ROWS,
  MemoryStore,
  ProfileOrgUnitModel,
  UserModel,
  verifyPassword
} from "@iaso/core"
import { afterAll, describe, expect, it } from "vitest"
import { parseCsv, splitCell } from "../src/users/bulk-csv.ts"

const iaso = createIaso({ store: MemoryStore.layer() })
afterAll(() => iaso.dispose())

const header = BULK_USER_COLUMNS.join(",")
const encode = (text: string) => new TextEncoder().encode(text)

describe("the bulk user CSV reader", () => {
  it("finds the delimiter in the header and keeps quoted delimiters, newlines and doubled quotes in their cell", () => {
    expect(parseCsv('a;b;c\r\n"x;1";"line\nbreak";"say ""hi"""\r\n\r\n')).toEqual({
      delimiter: ";",
      header: ["a", "b", "c"],
      rows: [["x;1", "line\nbreak", 'say "hi"']]
    })
    expect(parseCsv("\uFEFFa|b\n1|2").header).toEqual(["a", "b"])
  })

  it("splits a multi-value cell on ; or | when it holds one, else on the file's delimiter, dropping empty items", () => {
    expect(splitCell("Tatooine; Dagobah", ",")).toEqual(["Tatooine", "Dagobah"])
    expect(splitCell("Coruscant Jedi Council, 9999, , Tatooine", ",")).toEqual(["Coruscant Jedi Council", "9999", "Tatooine"])
    expect(splitCell("a|b", ";")).toEqual(["a", "b"])
    expect(splitCell("", ",")).toEqual([])
  })
})

describe("password hashes", () => {
  it("are Django's pbkdf2_sha256 format: a Django hash checks, and a new hash checks only its own password", async () => {
    // Django's make_password("lètmein", "seasalt", "pbkdf2_sha256") with 1000 iterations.
    expect(await verifyPassword("lètmein", "pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=")).toBe(true)
    const hash = await hashPassword("s3cret!pass", 1000)
    expect(hash).toMatch(/^pbkdf2_sha256\$1000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$/)
    expect(await verifyPassword("s3cret!pass", hash)).toBe(true)
    expect(await verifyPassword("s3cret!pasS", hash)).toBe(false)
    expect(await verifyPassword("s3cret!pass", "md5$1$x$y")).toBe(false)
  })
})

describe("bulk user creation on the Promise facade", () => {
  it("creates a user with its org unit and permissions, which make its actor, and refuses a file over the row limit naming the limit", async () => {
    const { account, version } = await iaso.accounts.setup({ name: "Bulk Users Facade" })
    const admin = iaso.as(Actor.system(account.id))
    const unit = await admin.orgUnits.create({ name: "Kenema", versionId: version.id })
    const csv = `${header}\nawa.${account.id.slice(-8)},Str0ng!pass,awa@example.org,Awa,Traoré,Kenema,,en,,,iaso_forms,,,,,\n`
    const result = await admin.bulkUserCreation.createFromCsv(encode(csv), { fileName: "users.csv" })
    expect(result.users.map(({ user, profile }) => [user.firstName, user.lastName, user.email, profile.language])).toEqual([
      ["Awa", "Traoré", "awa@example.org", "en"]
    ])
    expect(result.invitations).toEqual([])
    // The user's own permissions and roots make its actor.
    const created = result.users[0]?.user.id
    const actor = created === undefined ? undefined : await admin.accounts.actorFor(created)
    expect([actor?.permissions, actor?.orgUnitRoots]).toEqual([new Set(["iaso_forms"]), [unit.id]])
    expect(result.file.file.fileName).toBe("users.csv")
    const links = await admin.records.list(ProfileOrgUnitModel, { where: [{ field: "profileId", op: "eq", value: result.users[0]?.profile.id }] })
    expect(links.items.map((link) => link.orgUnitId)).toEqual([unit.id])
    const rows = Array.from({ length: MAX_BULK_USER_ROWS + 1 }, (_, i) => `u${i},Str0ng!pass,,,,,,,,,,,,,,`).join("\n")
    const refused = await admin.bulkUserCreation.createFromCsv(encode(`${header}\n${rows}`)).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(BulkUserCreationError)
    expect((refused as BulkUserCreationError).general).toEqual([
      `The file has ${MAX_BULK_USER_ROWS + 1} rows: more than the ${MAX_BULK_USER_ROWS} accepted (limit MAX_BULK_USER_ROWS)`
    ])
    const users = await admin.records.list(UserModel, { where: [{ field: "username", op: "startsWith", value: "u" }] })
    expect(users.items).toEqual([])
  })
})
