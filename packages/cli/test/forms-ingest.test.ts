/**
 * `iaso forms upload` and `iaso ingest` run as a program: an XLSForm made by core's test helper,
 * submissions written as ODK Collect leaves them (a folder with the XML and a photo, and a bare
 * XML), checked through the SDK on the same SQLite file and attachments folder.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { SqliteStore } from "@iaso/adapter-sqlite"
import { Actor, createIaso, type InstanceId } from "@iaso/core"
import { FileBlobStore } from "@iaso/core/node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { smallXlsForm } from "@iaso/core/testing"
import { iaso, iasoJson, tempDir } from "./run-iaso.ts"

const temp = tempDir()
const dir = temp.dir
afterAll(temp.cleanup)

const QUESTIONS = [
  { name: "q1", label: "Name" },
  { name: "photo", label: "Photo" }
]
const PHOTO = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6])

const submission = (formId: string, uuid: string, answers: string) =>
  `<?xml version="1.0"?><data id="${formId}" version="2024010101">${answers}<meta><instanceID>uuid:${uuid}</instanceID></meta></data>`

beforeAll(() => {
  writeFileSync(join(dir, "household.xlsx"), smallXlsForm("household", "2024010101", QUESTIONS))
  writeFileSync(join(dir, "household-2.xlsx"), smallXlsForm("household", "2024010102", QUESTIONS))
  mkdirSync(join(dir, "instances", "household_2024-05-02_10-00-00"), { recursive: true })
  writeFileSync(
    join(dir, "instances", "household_2024-05-02_10-00-00", "household_2024-05-02_10-00-00.xml"),
    submission("household", "7c5b2a3e-0000-4000-8000-000000000001", "<q1>Ada</q1><photo>1714644000000.jpg</photo>")
  )
  writeFileSync(join(dir, "instances", "household_2024-05-02_10-00-00", "1714644000000.jpg"), PHOTO)
  writeFileSync(join(dir, "instances", "bare.xml"), submission("household", "7c5b2a3e-0000-4000-8000-000000000002", "<q1>Bob</q1>"))
  mkdirSync(join(dir, "unknown"))
  writeFileSync(join(dir, "unknown", "a.xml"), submission("household", "7c5b2a3e-0000-4000-8000-000000000003", "<q1>Cy</q1>"))
  writeFileSync(join(dir, "unknown", "b.xml"), submission("no_such_form", "7c5b2a3e-0000-4000-8000-000000000004", "<q1>Di</q1>"))
})

describe("iaso forms upload", () => {
  it("creates the form from the XLSForm's form_id and title with its first version", async () => {
    const { run, json } = await iasoJson(dir, "forms", "upload", "household.xlsx")
    expect(run.code).toBe(0)
    expect(json).toEqual({
      file: "household.xlsx",
      account: "default",
      form: { id: expect.any(String), formId: "household", name: "household", created: true },
      version: { id: expect.any(String), versionId: "2024010101" }
    })
  })

  it("adds a version to the form with the same form_id", async () => {
    const first = await iasoJson(dir, "stats")
    const { run, json } = await iasoJson(dir, "forms", "upload", "household-2.xlsx")
    expect(run.code).toBe(0)
    expect([(json["form"] as Record<string, unknown>)["created"], (json["version"] as Record<string, unknown>)["versionId"]]).toEqual([false, "2024010102"])
    expect((await iasoJson(dir, "stats")).json["forms"]).toBe(first.json["forms"])
  })

  it("refuses a version that is not newer than the latest (exit 3) and names the form with --name when it creates it", async () => {
    const again = await iaso(dir, "forms", "upload", "household.xlsx")
    expect(again.code).toBe(3)
    expect(again.stderr.split("\n")[0]).toBe("iaso: invalid input (1 issue)")
    const named = await iasoJson(dir, "forms", "upload", "household.xlsx", "--account", "named", "--name", "Household survey")
    expect((named.json["form"] as Record<string, unknown>)["name"]).toBe("Household survey")
  })

  it("refuses a file that is not an XLSForm with exit 3 before anything is stored", async () => {
    writeFileSync(join(dir, "notes.xlsx"), "not a spreadsheet")
    const { run, json } = await iasoJson(dir, "forms", "upload", "notes.xlsx", "--account", "empty")
    expect(run.code).toBe(3)
    expect((json["error"] as Record<string, unknown>)["issues"]).toEqual([{ path: ["xlsFile"], message: expect.stringMatching(/^Invalid XLS form content: /) }])
    expect((await iaso(dir, "stats", "--account", "empty")).code).toBe(4)
  })
})

describe("iaso ingest", () => {
  it("ingests a submission folder with its attachment and a bare XML, in name order", async () => {
    const { run, json } = await iasoJson(dir, "ingest", "instances")
    expect(run.code).toBe(0)
    expect(json).toEqual({
      directory: "instances",
      account: "default",
      submissions: 2,
      created: 2,
      edited: 0,
      unchanged: 0,
      failed: 0,
      items: [
        { file: join("instances", "bare.xml"), outcome: "created", instanceId: expect.any(String) },
        {
          file: join("instances", "household_2024-05-02_10-00-00", "household_2024-05-02_10-00-00.xml"),
          outcome: "created",
          instanceId: expect.any(String)
        }
      ]
    })
    const items = json["items"] as ReadonlyArray<{ readonly instanceId: InstanceId }>
    const client = createIaso({
      store: SqliteStore.layer({ filename: join(dir, "iaso.sqlite") }),
      blobs: FileBlobStore.layer({ directory: join(dir, "iaso.sqlite.files") })
    })
    try {
      const account = await client.accounts.findByName("default")
      if (account._tag !== "Some") throw new Error("no default account")
      const admin = client.as(Actor.system(account.value.id))
      const [bare, withPhoto] = await Promise.all(items.map((item) => admin.instances.files(item.instanceId)))
      expect(bare).toEqual([])
      expect(withPhoto?.map((file) => [file.name, file.file?.mediaType, file.file?.size])).toEqual([["1714644000000.jpg", "image/jpeg", PHOTO.byteLength]])
      const key = withPhoto?.[0]?.file?.key ?? ""
      const hex = key.replace("sha256/", "")
      expect(new Uint8Array(readFileSync(join(dir, "iaso.sqlite.files", "sha256", hex.slice(0, 2), hex)))).toEqual(PHOTO)
      const instance = await admin.instances.get(items[1]?.instanceId ?? ("" as InstanceId))
      expect([instance.uuid, instance.fileName]).toEqual(["7c5b2a3e-0000-4000-8000-000000000001", "household_2024-05-02_10-00-00.xml"])
    } finally {
      await client.dispose()
    }
  })

  it("answers a folder sent again with the stored submissions, unchanged", async () => {
    const run = await iaso(dir, "ingest", "instances")
    expect([run.code, run.stdout]).toEqual([0, "Ingested 2 submissions from instances: 0 created, 0 edited, 2 unchanged, 0 failed\n"])
    const stats = await iasoJson(dir, "stats")
    expect(stats.json["submissions"]).toEqual({ total: 2, ready: 2, duplicated: 0, exported: 0 })
  })

  it("stores the submissions of known forms and exits 4 naming the one whose form the account lacks", async () => {
    const { run, json } = await iasoJson(dir, "ingest", "unknown")
    expect(run.code).toBe(4)
    expect(json).toEqual({
      directory: "unknown",
      account: "default",
      submissions: 2,
      created: 1,
      edited: 0,
      unchanged: 0,
      failed: 1,
      items: [
        { file: join("unknown", "a.xml"), outcome: "created", instanceId: expect.any(String) },
        {
          file: join("unknown", "b.xml"),
          outcome: "failed",
          error: {
            kind: "NotFound",
            exitCode: 4,
            message: 'the account has no form with form_id "no_such_form" (upload it with iaso forms upload)',
            model: "Form",
            id: "no_such_form"
          }
        }
      ]
    })
  })

  it("exits 4 for a folder that does not exist", async () => {
    const run = await iaso(dir, "ingest", "nowhere")
    expect([run.code, run.stderr]).toEqual([4, "iaso: no such file or directory: nowhere\n"])
  })
})
