/**
 * The code of docs/forms-and-submissions.md: a monthly form, a version from an XLSForm, submissions
 * ingested (a new one, a re-send, an edit, a refused period), listed with their status, and a lock.
 * Run it with `npx node --conditions=@iaso/source examples/guide-forms-and-submissions.ts`.
 */
import { Actor, createIaso, MemoryStore, ValidationError } from "@iaso/core"
import { writeXlsx } from "@iaso/core/xlsform"

const iaso = createIaso({ store: MemoryStore.layer() })
const { account, project, version } = await iaso.accounts.setup({ name: "Forms Health" })
const admin = iaso.as(Actor.system(account.id))
const bo = await admin.orgUnits.create({ name: "Bo", versionId: version.id })
const clinic = await admin.orgUnits.create({ name: "Bo Government Hospital", versionId: version.id, parentId: bo.id })

// A form, filled once a month, for the current month or the one before.
const form = await admin.forms.create({ name: "Monthly stock", projectIds: [project.id], periodType: "MONTH", periodsBeforeAllowed: 1, periodsAfterAllowed: 0 })

// Versions from XLSForms (made in code here; an uploaded .xlsx is read the same way).
const xlsForm = (version: string, questions: ReadonlyArray<[type: string, name: string, label: string]>) => ({
  formId: form.id,
  xlsForm: {
    fileName: "monthly_stock.xlsx",
    bytes: writeXlsx({
      sheets: [
        { name: "survey", rows: [["type", "name", "label"], ...questions] },
        {
          name: "settings",
          rows: [
            ["form_id", "version"],
            ["monthly_stock", version]
          ]
        }
      ]
    })
  }
})
const first = await admin.formVersions.create(
  xlsForm("2026120101", [
    ["integer", "doses", "Doses in stock"],
    ["image", "photo", "Photo of the fridge"]
  ])
)
console.log(`form ${(await admin.forms.get(form.id)).formId}, version ${first.versionId}`)
// What a new upload would change, before storing it.
const preview = await admin.formVersions.preview(
  xlsForm("2026120102", [
    ["integer", "doses", "Doses in stock"],
    ["date", "expiry", "Expiry date"]
  ])
)
const names = (questions: ReadonlyArray<{ readonly name: string }>) => questions.map((question) => question.name).join(", ")
console.log(`preview of ${preview.versionId}: adds ${names(preview.addedQuestions)}, removes ${names(preview.removedQuestions)}`)

// A submission as a device sends it: the XML, its attachments, and what it says beside them.
const submission = (uuid: string, doses: number, replaces?: string) =>
  `<data id="monthly_stock" version="2026120101"><doses>${doses}</doses><photo>fridge.jpg</photo>` +
  `<meta><instanceID>uuid:${uuid}</instanceID>${replaces === undefined ? "" : `<deprecatedID>uuid:${replaces}</deprecatedID>`}</meta></data>`
const photo = { name: "fridge.jpg", bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), mediaType: "image/jpeg" }
const sent = { formId: form.id, orgUnitId: clinic.id, period: "202612", createdAt: new Date("2026-12-03T10:00:00Z"), attachments: [photo] }
const uuid = "0193a1b2-0000-7000-8000-00000000c001"

const created = await admin.instances.ingest({ ...sent, xml: submission(uuid, 40) })
const resent = await admin.instances.ingest({ ...sent, xml: submission(uuid, 40) })
const edited = await admin.instances.ingest({ ...sent, xml: submission("0193a1b2-0000-7000-8000-00000000c002", 38, uuid) })
console.log(`ingest: ${created.outcome}, ${resent.outcome}, ${edited.outcome} (doses now ${String(edited.instance.json?.["doses"])})`)
console.log(`files: ${(await admin.instances.files(created.instance.id)).map((file) => file.name).join(", ")}`)

// A period of another type than the form's is refused.
await admin.instances.ingest({ ...sent, period: "2026Q4", xml: submission("0193a1b2-0000-7000-8000-00000000c003", 12) }).catch((error: unknown) => {
  if (error instanceof ValidationError) console.log(`refused: ${error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`)
  else throw error
})

// Listing with the computed status, and counts per period and form.
for (const { instance, status } of (await admin.instances.list({ formId: form.id })).items) console.log(`${instance.period}: ${status}`)
const [counts] = await admin.instances.countsByStatus({ formId: form.id })
console.log(`counts for ${counts?.period}: ${counts?.total} total, ${counts?.ready} ready`)

// A lock taken by a user restricted to Bo keeps users who cannot reach Bo from changing the submission.
const userActor = async (username: string, root: typeof bo.id) => {
  const { user } = await admin.users.create({ username })
  return iaso.as(Actor.user({ accountId: account.id, userId: user.id, permissions: ["iaso_submissions"], orgUnitRoots: [root] }))
}
const supervisor = await userActor("supervisor", bo.id)
const clerk = await userActor("clerk", clinic.id)
const lock = await supervisor.instances.lock(created.instance.id)
const mayChange = async (who: typeof clerk) => ((await who.instances.canModify(created.instance.id)) ? "may change it" : "may not change it")
console.log(
  `locked from ${(await admin.orgUnits.get(lock.topOrgUnitId)).name}: the supervisor ${await mayChange(supervisor)}, the clerk ${await mayChange(clerk)}`
)
await iaso.dispose()
