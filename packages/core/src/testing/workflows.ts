/**
 * Workflow scenarios, through the `Workflows` service: IASO's status machine and messages (at most
 * one published version, storage included), follow-up and change validation with IASO's
 * messages and edits on drafts only, copies, conditions evaluated on an entity's real attributes
 * (submissions ingested from XLSForms made in code), changes applied to the attributes with their
 * audit entry, export and import into another account, and the mobile payload.
 * @module
 */
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { EntityModel, EntityTypeModel } from "../entities/entity.ts"
import { WorkflowChangeModel, WorkflowFollowupFormModel, WorkflowFollowupModel, WorkflowVersionModel } from "../entities/workflow.ts"
import { applyWorkflowChanges } from "../entities/workflow-apply.ts"
import { Workflows } from "../entities/workflows-service.ts"
import { writeXlsx } from "../forms/xlsx-write.ts"
import { Records } from "../kernel/records.ts"
import type { EntityId, EntityTypeId, FormId, ProjectId } from "../shared/entity-ids.ts"
import { InstanceModel } from "../submissions/instance-model.ts"
import { Instances } from "../submissions/instances-service.ts"
import type { Actor, CurrentActor } from "../tenancy/actor.ts"
import { F, formSetup, issuesOf, V } from "./form-world.ts"
import { exitError, exitTag, type FixtureLoader, type FreshAccount, type Harness } from "./harness.ts"
import { scenario } from "./scenario.ts"

const W = Effect.service(Workflows)

/** A question of a test XLSForm: `[type, name, label]`; a `calculate` gets a calculation. */
type Row = readonly [string, string, string]

/** An XLSForm made in code: the survey rows and the settings (form id, version). */
const xlsForm = (odkId: string, version: string, rows: ReadonlyArray<Row>): Uint8Array =>
  writeXlsx({
    sheets: [
      {
        name: "survey",
        rows: [["type", "name", "label", "calculation"], ...rows.map(([type, name, label]) => [type, name, label, type === "calculate" ? "1 + 1" : ""])]
      },
      {
        name: "settings",
        rows: [
          ["form_id", "version"],
          [odkId, version]
        ]
      }
    ]
  })

/** The reference form's questions (a beneficiary's registration). */
const REGISTRATION: ReadonlyArray<Row> = [
  ["text", "name", "Name"],
  ["integer", "age", "Age"],
  ["date", "last_visit", "Last visit"],
  ["text", "status", "Status"],
  ["calculate", "score", "Score"]
]
/** A follow-up form's questions. */
const VISIT: ReadonlyArray<Row> = [
  ["text", "new_status", "New status"],
  ["integer", "weight", "Weight"],
  ["calculate", "visit_score", "Visit score"],
  ["date", "visit_date", "Visit date"]
]

/** A submission XML of a form made by {@link xlsForm}. */
const xml = (odkId: string, version: string, uuid: string, answers: Readonly<Record<string, string>>): string =>
  `<?xml version='1.0' ?><data id="${odkId}" version="${version}">${Object.entries(answers)
    .map(([key, value]) => `<${key}>${value}</${key}>`)
    .join("")}<meta><instanceID>uuid:${uuid}</instanceID></meta></data>`

/** An account with a registration form, two follow-up forms, an entity type, and the calls of the scenarios. */
const workflowSetup = async (h: () => Harness) => {
  const base = await formSetup(h)
  const { harness, account, as, exitAs, projectId } = base
  const admin = account.withPermissions(["iaso_workflows", "iaso_forms", "iaso_entities", "iaso_submissions"])
  const makeForm = async (name: string, odkId: string, rows: ReadonlyArray<Row>) => {
    const form = await as(
      base.editor,
      Effect.flatMap(F, (forms) => forms.create({ name, projectIds: [projectId] }))
    )
    await as(
      base.editor,
      Effect.flatMap(V, (versions) => versions.create({ formId: form.id, xlsForm: { bytes: xlsForm(odkId, "1", rows), fileName: `${odkId}.xlsx` } }))
    )
    return form.id
  }
  const registration = await makeForm("Registration", "registration", REGISTRATION)
  const visit = await makeForm("Visit", "visit", VISIT)
  const lab = await makeForm("Lab", "lab", [["text", "result", "Result"]])
  const repos = await harness.repos()
  const type = await harness.run(
    repos.insert(EntityTypeModel, account.accountId, {
      name: "Beneficiary",
      referenceFormId: registration,
      isActive: true,
      preventAddIfDuplicateFound: false
    })
  )
  const w = <A, E>(body: (service: Workflows["Service"]) => Effect.Effect<A, E, CurrentActor>, actor: Actor = admin) => as(actor, Effect.flatMap(W, body))
  const wExit = <A, E>(body: (service: Workflows["Service"]) => Effect.Effect<A, E, CurrentActor>, actor: Actor = admin) =>
    exitAs(actor, Effect.flatMap(W, body))
  /** Ingests a submission of `formId` and links it to `entityId` (when given), answering the stored submission. */
  const submit = async (formId: FormId, odkId: string, answers: Readonly<Record<string, string>>, entityId?: EntityId) => {
    const uuid = globalThis.crypto.randomUUID()
    const result = await as(
      account.system,
      Effect.flatMap(Effect.service(Instances), (instances) =>
        instances.ingest({ xml: xml(odkId, "1", uuid, answers), formId, createdAt: new Date("2026-11-02T08:00:00Z") })
      )
    )
    if (entityId === undefined) return result.instance
    return harness.run(repos.update(InstanceModel, account.accountId, result.instance.id, { entityId }))
  }
  /** An entity of the type whose attributes are a registration with these answers. */
  const entity = async (answers: Readonly<Record<string, string>>) => {
    const attributes = await submit(registration, "registration", answers)
    const created = await harness.run(
      repos.insert(EntityModel, account.accountId, { name: "", uuid: globalThis.crypto.randomUUID(), entityTypeId: type.id, attributesId: attributes.id })
    )
    await harness.run(repos.update(InstanceModel, account.accountId, attributes.id, { entityId: created.id }))
    return { entity: created, attributesId: attributes.id }
  }
  return { ...base, admin, registration, visit, lab, typeId: type.id as EntityTypeId, repos, w, wExit, submit, entity }
}

/** The message of a failed call's first issue. */
const firstMessage = (exit: Parameters<typeof exitError>[0]) => issuesOf(exit)?.[0]?.message

/** The answers stored in a submission. */
const answersOf = async (harness: Harness, account: FreshAccount, id: string) =>
  (await harness.inspectAccount(InstanceModel, account.accountId)).find((row) => row["id"] === id)?.["json"]

/** IASO's XLSForm of its workflow tests (reference form with text, integer, decimal and calculate questions). */
const WORKFLOW_FIXTURE = "iaso/iaso/tests/fixtures/form_test_workflow.xlsx"

/** Registers the workflow scenarios (`fixtures` reads IASO's XLSForm; without it that scenario is skipped). */
export const workflowScenarios = (h: () => Harness, fixtures?: FixtureLoader): void => {
  describe("workflows", () => {
    scenario(
      "IASO's form_test_workflow.xlsx as the reference form: change types must match unless a side is a calculate; conditions over its questions",
      async (context) => {
        const bytes = await fixtures?.read(WORKFLOW_FIXTURE)
        if (bytes === undefined) {
          if (fixtures?.required === true) throw new Error(`missing fixture ${WORKFLOW_FIXTURE}: ../shared/fixtures is required here (CI)`)
          context.skip(fixtures === undefined ? "no fixture loader was given to the suite" : `../shared/fixtures/${WORKFLOW_FIXTURE} is absent`)
          return
        }
        const { harness, account, as, editor, projectId, w, wExit, visit } = await workflowSetup(h)
        const reference = await as(
          editor,
          Effect.flatMap(F, (forms) => forms.create({ name: "Form rapide", projectIds: [projectId as ProjectId] }))
        )
        await as(
          editor,
          Effect.flatMap(V, (versions) => versions.create({ formId: reference.id, xlsForm: { bytes, fileName: "form_test_workflow.xlsx" } }))
        )
        const repos = await harness.repos()
        const type = await harness.run(
          repos.insert(EntityTypeModel, account.accountId, { name: "Rapide", referenceFormId: reference.id, isActive: true, preventAddIfDuplicateFound: false })
        )
        const version = await w((s) => s.createVersion({ entityTypeId: type.id }))
        const change = (mapping: Readonly<Record<string, string>>) => wExit((s) => s.addChange(version.id, { formId: visit, mapping }))
        expect(firstMessage(await change({ weight: "mon_champ" }))).toBe("Question weight and mon_champ do not have the same type")
        expect(firstMessage(await change({ new_status: "integer_field" }))).toBe("Question new_status and integer_field do not have the same type")
        expect(firstMessage(await change({ weight: "nope" }))).toBe("Question nope does not exist in reference/target form")
        const created = await w((s) =>
          s.addChange(version.id, { formId: visit, mapping: { new_status: "mon_champ", weight: "calculate_one", visit_score: "decimal_field" } })
        )
        expect(created.mapping).toEqual({ new_status: "mon_champ", weight: "calculate_one", visit_score: "decimal_field" })
        const condition = { and: [{ ">": [{ var: "integer_field" }, 3] }, { "==": [{ var: "mon_champ_2" }, "yes"] }] }
        expect((await w((s) => s.addFollowUp(version.id, { order: 0, condition, formIds: [visit] }))).condition).toEqual(condition)
        expect(issuesOf(await wExit((s) => s.addFollowUp(version.id, { order: 1, condition: { var: "weight" }, formIds: [visit] })))).toEqual([
          { path: ["condition"], message: "Question weight does not exist in reference form" }
        ])
      }
    )

    scenario("versions: DRAFT first with the workflow made once; IASO's status machine and messages; one published version, in storage too", async () => {
      const { harness, account, w, wExit, typeId, admin, as } = await workflowSetup(h)
      const first = await w((s) => s.createVersion({ entityTypeId: typeId }))
      const second = await w((s) => s.createVersion({ entityTypeId: typeId, name: "Second" }))
      expect([first.name, first.status, first.autoFirstStep, second.status, second.workflowId]).toEqual(["No Name", "DRAFT", false, "DRAFT", first.workflowId])
      expect(firstMessage(await wExit((s) => s.createVersion({ entityTypeId: typeId, name: "X" })))).toBe("name 'X' is too short")
      const other = await harness.freshAccount()
      const foreign = await harness.run(
        (await harness.repos()).insert(EntityTypeModel, other.accountId, { name: "Elsewhere", isActive: true, preventAddIfDuplicateFound: false })
      )
      expect(issuesOf(await wExit((s) => s.createVersion({ entityTypeId: foreign.id })))).toEqual([
        { path: ["entityTypeId"], message: `User doesn't have access to Entity Type : ${foreign.id}` }
      ])
      expect(firstMessage(await wExit((s) => s.updateVersion(first.id, { status: "ARCHIVED" })))).toBe("ARCHIVEDis not recognized as proper status value")
      expect((await w((s) => s.updateVersion(first.id, { status: "PUBLISHED", autoFirstStep: true }))).status).toBe("PUBLISHED")
      expect(firstMessage(await wExit((s) => s.updateVersion(first.id, { status: "DRAFT" })))).toBe("Transition from PUBLISHED to DRAFT is not allowed")
      // Publishing the second unpublishes the first, in one call.
      await w((s) => s.updateVersion(second.id, { status: "PUBLISHED" }))
      const stored = async () =>
        new Map(
          (await harness.inspectAccount(WorkflowVersionModel, account.accountId)).map((row) => [String(row["id"]), [row["status"], row["autoFirstStep"]]])
        )
      expect(await stored()).toEqual(
        new Map([
          [first.id, ["UNPUBLISHED", true]],
          [second.id, ["PUBLISHED", false]]
        ])
      )
      expect(firstMessage(await wExit((s) => s.updateVersion(second.id, { status: "DRAFT" })))).toBe("Transition from PUBLISHED to DRAFT is not allowed")
      expect(firstMessage(await wExit((s) => s.updateVersion(first.id, { status: "UNPUBLISHED" })))).toBe(
        "Transition from UNPUBLISHED to UNPUBLISHED is not allowed"
      )
      // Storage itself refuses a second live published version of a workflow (two concurrent publishes cannot both pass).
      const repos = await harness.repos()
      expect(exitTag(await harness.exit(repos.update(WorkflowVersionModel, account.accountId, first.id, { status: "PUBLISHED" })))).toBe("AlreadyExists")
      // Generic writes name the service; reads stay generic.
      const generic = await harness.exitAs(
        admin,
        Effect.flatMap(Effect.service(Records), (r) => r.update(WorkflowVersionModel, first.id, { status: "PUBLISHED" }))
      )
      expect([exitTag(generic), (exitError(generic) as { message?: string }).message]).toEqual([
        "Unsupported",
        "WorkflowVersion records are written through Workflows, not generic writes"
      ])
      expect(
        (
          await as(
            admin,
            Effect.flatMap(Effect.service(Records), (r) => r.get(WorkflowVersionModel, first.id))
          )
        ).status
      ).toBe("UNPUBLISHED")
      // Without iaso_workflows: Forbidden. Soft deletion hides a version from reads and listings.
      expect(exitTag(await wExit((s) => s.versions(), account.withPermissions(["iaso_forms"])))).toBe("Forbidden")
      await w((s) => s.removeVersion(first.id))
      expect(exitTag(await wExit((s) => s.getVersion(first.id)))).toBe("NotFound")
      expect((await w((s) => s.versions({ entityTypeId: typeId }))).map((v) => v.id)).toEqual([second.id])
    })

    scenario("follow-ups and changes: IASO's validation messages; conditions read reference questions only; edits and deletions on drafts only", async () => {
      const { harness, account, w, wExit, typeId, registration, visit, lab } = await workflowSetup(h)
      const version = await w((s) => s.createVersion({ entityTypeId: typeId, name: "Draft" }))
      const follow = (input: Partial<Parameters<Workflows["Service"]["addFollowUp"]>[1]>) =>
        wExit((s) => s.addFollowUp(version.id, { order: 0, condition: true, formIds: [visit], ...input }))
      expect(issuesOf(await follow({ order: -1 }))).toEqual([{ path: ["order"], message: "order must be positive" }])
      const missing = "0190f2b4-0000-7000-8000-000000000000" as FormId
      expect(issuesOf(await follow({ formIds: [missing] }))).toEqual([{ path: ["formIds"], message: `Form ${missing} does not exist` }])
      expect(issuesOf(await follow({ condition: { "==": [{ var: "weight" }, 3] } }))).toEqual([
        { path: ["condition"], message: "Question weight does not exist in reference form" }
      ])
      expect(issuesOf(await follow({ condition: { and: [{ eval: "x" }] } }))).toEqual([
        { path: ["condition", "and", 0], message: 'unknown JSONLogic operator "eval"' }
      ])
      const change = (formId: FormId, mapping: Readonly<Record<string, string>>) => wExit((s) => s.addChange(version.id, { formId, mapping }))
      expect(firstMessage(await change(registration, { name: "name" }))).toBe("Cannot create a WorkflowChange where form and reference form are the same")
      expect(firstMessage(await change(visit, { new_status: "status", weight: "status" }))).toBe("Mapping cannot have two identical values")
      expect(firstMessage(await change(visit, { height: "age" }))).toBe("Question height does not exist in source form")
      expect(firstMessage(await change(visit, { weight: "height" }))).toBe("Question height does not exist in reference/target form")
      expect(firstMessage(await change(visit, { weight: "name" }))).toBe("Question weight and name do not have the same type")
      // A calculate on either side may feed any type.
      const created = await w((s) => s.addChange(version.id, { formId: visit, mapping: { new_status: "status", visit_score: "age", weight: "score" } }))
      expect(created.mapping).toEqual({ new_status: "status", visit_score: "age", weight: "score" })
      expect(firstMessage(await change(visit, { new_status: "name" }))).toBe(`WorkflowChange for form ${visit} already exists !`)
      // Storage holds the rule too: a second change of the version for the form is refused by the unique index.
      const duplicate = await harness.exit(
        (await harness.repos()).insert(WorkflowChangeModel, account.accountId, { formId: visit, mapping: {}, workflowVersionId: version.id })
      )
      expect(exitTag(duplicate)).toBe("AlreadyExists")
      const followUp = await w((s) => s.addFollowUp(version.id, { order: 2, condition: { ">": [{ var: "age" }, 5] }, formIds: [visit, lab] }))
      expect([followUp.order, followUp.formIds]).toEqual([2, [visit, lab]])
      // Bulk update: IASO's messages, then a change of forms.
      expect(firstMessage(await wExit((s) => s.updateFollowUps([{ id: followUp.id }])))).toBe("No data to update")
      expect(firstMessage(await wExit((s) => s.updateFollowUps([{ id: followUp.id, formIds: [missing] }])))).toBe(
        `form_id ${missing} is not accessible to the user`
      )
      const [updated] = await w((s) => s.updateFollowUps([{ id: followUp.id, formIds: [lab], order: 1 }]))
      expect([updated?.order, updated?.formIds]).toEqual([1, [lab]])
      // Once published, nothing of the version's steps changes, deletions included (IASO's follow-up deletion does not check).
      await w((s) => s.updateVersion(version.id, { status: "PUBLISHED" }))
      const notDraft = `WorkflowVersion ${version.id} is not in draft status`
      expect(firstMessage(await wExit((s) => s.removeFollowUp(followUp.id)))).toBe(notDraft)
      expect(firstMessage(await wExit((s) => s.removeChange(created.id)))).toBe(notDraft)
      expect(firstMessage(await wExit((s) => s.updateChange(created.id, { formId: visit, mapping: { new_status: "status" } })))).toBe(notDraft)
      expect(firstMessage(await follow({}))).toBe(notDraft)
      expect((await harness.inspectAccount(WorkflowFollowupModel, account.accountId)).length).toBe(1)
      const audits = (await harness.inspectAccount(AuditEntryModel, account.accountId)).filter((row) => row["source"] === "WORKFLOW_API")
      expect(audits.map((row) => row["objectModel"]).sort()).toEqual([
        "Workflow",
        "WorkflowChange",
        "WorkflowFollowup",
        "WorkflowFollowup",
        "WorkflowVersion",
        "WorkflowVersion"
      ])
    })

    scenario("copy: a DRAFT named Copy of <name> with the same autoFirstStep, follow-ups with their forms and changes duplicated", async () => {
      const { harness, account, w, typeId, visit, lab } = await workflowSetup(h)
      const source = await w((s) => s.createVersion({ entityTypeId: typeId, name: "Malnutrition" }))
      await w((s) => s.addFollowUp(source.id, { order: 0, condition: { "==": [{ var: "status" }, "sick"] }, formIds: [visit, lab] }))
      await w((s) => s.addFollowUp(source.id, { order: 1, condition: "true", formIds: [lab] }))
      await w((s) => s.addChange(source.id, { formId: visit, mapping: { new_status: "status" } }))
      await w((s) => s.updateVersion(source.id, { status: "PUBLISHED", autoFirstStep: true }))
      const copy = await w((s) => s.copyVersion(source.id))
      expect([copy.name, copy.status, copy.autoFirstStep, copy.workflowId === source.workflowId, copy.uuid === source.uuid]).toEqual([
        "Copy of Malnutrition",
        "DRAFT",
        true,
        true,
        false
      ])
      const detail = await w((s) => s.getVersion(copy.id))
      expect(detail.followUps.map((f) => [f.order, f.condition, f.formIds])).toEqual([
        [0, { "==": [{ var: "status" }, "sick"] }, [visit, lab]],
        [1, "true", [lab]]
      ])
      expect(detail.changes.map((c) => [c.formId, c.mapping])).toEqual([[visit, { new_status: "status" }]])
      expect((await harness.inspectAccount(WorkflowFollowupFormModel, account.accountId)).length).toBe(6)
      const long = await w((s) => s.createVersion({ entityTypeId: typeId, name: "A name of exactly forty-five characters long." }))
      const longCopy = await w((s) => s.copyVersion(long.id))
      expect([longCopy.name, longCopy.name.length]).toEqual(["Copy of A name of exactly forty-five characters l…", 50])
    })

    scenario("nextFollowUps: the published version's conditions evaluated on the entity's attributes, in order", async () => {
      const { w, wExit, typeId, visit, lab, entity, account } = await workflowSetup(h)
      const draft = await w((s) => s.createVersion({ entityTypeId: typeId, name: "Rules" }))
      const child = await entity({ name: "Ada", age: "3", last_visit: "2026-01-10", status: "sick" })
      const adult = await entity({ name: "Bob", age: "40", last_visit: "2999-01-01", status: "well" })
      await w((s) => s.addFollowUp(draft.id, { order: 5, condition: true, formIds: [lab] }))
      await w((s) =>
        s.addFollowUp(draft.id, {
          order: 1,
          condition: { and: [{ "<": [{ var: "age" }, 5] }, { "==": [{ var: "status" }, "sick"] }] },
          formIds: [visit]
        })
      )
      await w((s) => s.addFollowUp(draft.id, { order: 3, condition: { "<": [{ var: "last_visit" }, "current_time"] }, formIds: [visit, lab] }))
      // A draft is never offered.
      expect(await w((s) => s.nextFollowUps(child.entity.id))).toEqual([])
      await w((s) => s.updateVersion(draft.id, { status: "PUBLISHED" }))
      const offered = async (id: EntityId) => (await w((s) => s.nextFollowUps(id))).map((f) => [f.order, f.formIds])
      expect(await offered(child.entity.id)).toEqual([
        [1, [visit]],
        [3, [visit, lab]],
        [5, [lab]]
      ])
      expect(await offered(adult.entity.id)).toEqual([[5, [lab]]])
      expect(exitTag(await wExit((s) => s.nextFollowUps(child.entity.id), account.withPermissions(["iaso_workflows"])))).toBe("Forbidden")
    })

    scenario(
      "applyWorkflowChanges: a follow-up submission's mapped answers copied into the entity's attributes, audited; the original re-sent is unchanged",
      async () => {
        const { harness, account, as, w, typeId, visit, lab, entity, submit, admin, registration } = await workflowSetup(h)
        const version = await w((s) => s.createVersion({ entityTypeId: typeId }))
        await w((s) => s.addChange(version.id, { formId: visit, mapping: { new_status: "status", weight: "score" } }))
        const { entity: child, attributesId } = await entity({ name: "Ada", age: "3", status: "sick" })
        const before = await answersOf(harness, account, attributesId)
        const followUp = await submit(visit, "visit", { new_status: "recovered", weight: "12" }, child.id)
        // Not published yet: nothing is copied.
        expect(await as(admin, applyWorkflowChanges(followUp))).toBeUndefined()
        await w((s) => s.updateVersion(version.id, { status: "PUBLISHED" }))
        const applied = await as(admin, applyWorkflowChanges(followUp))
        expect(applied).toEqual({ attributesId, answers: { status: "recovered", score: "12" } })
        const after = await answersOf(harness, account, attributesId)
        expect(after).toEqual({ ...(before as object), status: "recovered", score: "12" })
        const entries = (await harness.inspectAccount(AuditEntryModel, account.accountId)).filter((row) => row["source"] === "WORKFLOW_CHANGE")
        expect(
          entries.map((row) => [row["objectModel"], row["objectId"], (row["before"] as { json?: unknown }).json, (row["after"] as { json?: unknown }).json])
        ).toEqual([["Instance", attributesId, before, after]])
        // The same answers again change nothing; a form without a change, or no entity, neither.
        expect(await as(admin, applyWorkflowChanges(followUp))).toBeUndefined()
        expect(await as(admin, applyWorkflowChanges(await submit(lab, "lab", { result: "positive" }, child.id)))).toBeUndefined()
        expect(await as(admin, applyWorkflowChanges(await submit(visit, "visit", { new_status: "x" })))).toBeUndefined()
        expect((await harness.inspectAccount(AuditEntryModel, account.accountId)).filter((row) => row["source"] === "WORKFLOW_CHANGE")).toHaveLength(1)
        // The device re-sending its original registration (a lost reply) is a re-send, not a conflict.
        const uuid = (await harness.inspectAccount(InstanceModel, account.accountId)).find((row) => row["id"] === attributesId)?.["uuid"]
        const resent = await as(
          account.system,
          Effect.flatMap(Effect.service(Instances), (instances) =>
            instances.ingest({
              xml: xml("registration", "1", String(uuid), { name: "Ada", age: "3", status: "sick" }),
              formId: registration,
              createdAt: new Date("2026-11-02T08:00:00Z")
            })
          )
        )
        expect([resent.outcome, resent.instance.id]).toEqual(["unchanged", attributesId])
        expect(await answersOf(harness, account, attributesId)).toEqual(after)
      }
    )

    scenario("export and import: names and uuids carried to another account, versions matched by uuid, at most one published", async () => {
      const { w, typeId, visit, lab, harness } = await workflowSetup(h)
      const published = await w((s) => s.createVersion({ entityTypeId: typeId, name: "Live" }))
      await w((s) => s.addFollowUp(published.id, { order: 0, condition: { ">": [{ var: "age" }, 5] }, formIds: [visit, lab] }))
      await w((s) => s.addChange(published.id, { formId: visit, mapping: { new_status: "status" } }))
      await w((s) => s.updateVersion(published.id, { status: "PUBLISHED" }))
      const draft = await w((s) => s.createVersion({ entityTypeId: typeId, name: "Next" }))
      const exported = await w((s) => s.exportWorkflow(published.workflowId))
      expect(exported.entityType).toBe("Beneficiary")
      expect(exported.versions.map((v) => [v.uuid, v.name, v.status, v.followUps, v.changes])).toEqual([
        [
          published.uuid,
          "Live",
          "PUBLISHED",
          [{ order: 0, condition: { ">": [{ var: "age" }, 5] }, forms: ["Visit", "Lab"] }],
          [{ form: "Visit", mapping: { new_status: "status" } }]
        ],
        [draft.uuid, "Next", "DRAFT", [], []]
      ])
      // Into another account holding forms and a type of the same names.
      const target = await workflowSetup(h)
      const imported = await target.w((s) => s.importWorkflow(exported))
      expect([imported.created, imported.replaced, imported.versions.map((v) => [v.uuid, v.name, v.status])]).toEqual([
        2,
        0,
        [
          [published.uuid, "Live", "PUBLISHED"],
          [draft.uuid, "Next", "DRAFT"]
        ]
      ])
      const [live] = imported.versions
      const detail = await target.w((s) => s.getVersion(live?.id ?? published.id))
      expect(detail.followUps.map((f) => f.formIds)).toEqual([[target.visit, target.lab]])
      expect(detail.changes.map((c) => c.formId)).toEqual([target.visit])
      // Again, with the draft now published in the payload: matched by uuid, the other unpublished.
      const again = await target.w((s) =>
        s.importWorkflow({ ...exported, versions: exported.versions.map((v) => ({ ...v, status: v.uuid === draft.uuid ? "PUBLISHED" : "UNPUBLISHED" })) })
      )
      expect([again.created, again.replaced]).toEqual([0, 2])
      const rows = await harness.inspectAccount(WorkflowVersionModel, target.account.accountId)
      expect(rows.map((row) => [row["uuid"], row["status"]]).sort()).toEqual(
        [
          [published.uuid, "UNPUBLISHED"],
          [draft.uuid, "PUBLISHED"]
        ].sort()
      )
      // A form name the account lacks is refused where it is, and nothing is written.
      const lacking = await target.wExit((s) =>
        s.importWorkflow({
          ...exported,
          versions: [{ ...exported.versions[0], uuid: globalThis.crypto.randomUUID(), changes: [{ form: "Nowhere", mapping: {} }] }]
        })
      )
      expect(issuesOf(lacking)).toEqual([{ path: ["versions", 0, "changes", 0, "form"], message: 'no form named "Nowhere" in the account' }])
      expect(await harness.inspectAccount(WorkflowVersionModel, target.account.accountId)).toEqual(rows)
      // A payload nested a million levels deep is refused before anything recursive reads it.
      let deep: unknown = true
      for (let i = 0; i < 1_000_000; i++) deep = { "!": [deep] }
      const nested = await target.wExit((s) =>
        s.importWorkflow({ ...exported, versions: [{ ...exported.versions[0], followUps: [{ order: 0, condition: deep, forms: [] }] }] })
      )
      expect([exitTag(nested), firstMessage(nested)]).toEqual([
        "ValidationError",
        "arrays and objects nested more than 64 levels deep (limit `MAX_JSON_DEPTH`)"
      ])
    })

    scenario("mobile: per workflow of the project's reference forms, the published version in IASO's shape", async () => {
      const { w, typeId, visit, projectId } = await workflowSetup(h)
      const version = await w((s) => s.createVersion({ entityTypeId: typeId, name: "Mobile" }))
      await w((s) => s.addFollowUp(version.id, { order: 0, condition: { "==": [{ var: "status" }, "sick"] }, formIds: [visit] }))
      await w((s) => s.addChange(version.id, { formId: visit, mapping: { new_status: "status" } }))
      expect(await w((s) => s.mobile(projectId as ProjectId))).toEqual({ workflows: [] })
      const published = await w((s) => s.updateVersion(version.id, { status: "PUBLISHED", autoFirstStep: true }))
      const payload = await w((s) => s.mobile(projectId as ProjectId))
      expect(
        payload.workflows.map((wf) => ({ ...wf, created_at: typeof wf.created_at, follow_ups: wf.follow_ups.map((f) => [f.order, f.condition, f.form_ids]) }))
      ).toEqual([
        {
          status: "PUBLISHED",
          created_at: "number",
          updated_at: published.updatedAt.getTime() / 1000,
          version_id: version.id,
          entity_type_id: typeId,
          name: "Mobile",
          auto_first_step: true,
          changes: [{ form_id: visit, mapping: { new_status: "status" } }],
          follow_ups: [[0, '{"==":[{"var":"status"},"sick"]}', [visit]]]
        }
      ])
    })
  })
}
