/**
 * What the form scenarios share: the form services over a memory blob store, small XForms and
 * XLSForms, an account with an editor and a form maker, issue paths and stored-row snapshots.
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { FormModel } from "../forms/form.ts"
import { FormVersionModel } from "../forms/form-version.ts"
import { writeXlsx } from "../forms/xlsx-write.ts"
import { type FormVersionUpload, FormVersions } from "../forms/form-versions-service.ts"
import { type FormCreate, Forms } from "../forms/forms-service.ts"
import { BlobStore } from "../shared/blob.ts"
import type { FormId, ProjectId } from "../shared/entity-ids.ts"
import type { AnyModel } from "../shared/model.ts"
import type { Actor, CurrentActor } from "../tenancy/actor.ts"
import { exitError, type FreshAccount, type Harness, type SuiteServices } from "./harness.ts"

/** The services of these scenarios, provided here so the scenarios do not depend on what `Iaso.layer` holds. */
export const FormServices = Layer.mergeAll(Forms.layer, FormVersions.layer)

export type R = SuiteServices | Forms | FormVersions | BlobStore | CurrentActor

/** A blob store of one scenario (in memory), kept so the scenario can look into it. */
export const blobStore = (): BlobStore["Service"] =>
  Effect.runSync(Effect.scoped(Effect.map(Layer.build(BlobStore.memory()), (context) => Context.get(context, BlobStore))))

export const withServices = <A, E>(effect: Effect.Effect<A, E, R>, blobs: BlobStore["Service"]) =>
  Effect.provide(Effect.provideService(effect, BlobStore, blobs), FormServices)

export const F = Effect.service(Forms)
export const V = Effect.service(FormVersions)

export const escapeXml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** A question of a test XForm: a text, an integer, or a note (read-only text). */
export interface Question {
  readonly name: string
  readonly label: string
  readonly kind?: "text" | "integer" | "note"
}

/** A small XForm (`<data id version>`, the questions, `meta/instanceID`), as pyxform lays one out. */
export const smallXForm = (formId: string, version: string, questions: ReadonlyArray<Question>): string => {
  const binds = questions
    .map((q) => `<bind nodeset="/data/${q.name}" type="${q.kind === "integer" ? "int" : "string"}"${q.kind === "note" ? ' readonly="true()"' : ""}/>`)
    .join("")
  const body = questions.map((q) => `<input ref="/data/${q.name}"><label>${escapeXml(q.label)}</label></input>`).join("")
  return (
    `<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">` +
    `<h:head><h:title>${escapeXml(formId)}</h:title><model><instance><data id="${escapeXml(formId)}" version="${escapeXml(version)}">` +
    questions.map((q) => `<${q.name}/>`).join("") +
    `<meta><instanceID/></meta></data></instance>${binds}` +
    `<bind jr:preload="uid" nodeset="/data/meta/instanceID" readonly="true()" type="string"/></model></h:head><h:body>${body}</h:body></h:html>`
  )
}

export const upload = (
  formId: FormId,
  odkId: string,
  version: string,
  questions: ReadonlyArray<Question> = [{ name: "q1", label: "Q1" }]
): FormVersionUpload => ({
  formId,
  xform: { content: smallXForm(odkId, version, questions) }
})

/** A minimal `.xlsx` XLSForm (inline strings): a `survey` sheet of text questions and a `settings` sheet. */
export const smallXlsForm = (formId: string, version: string, questions: ReadonlyArray<Question>): Uint8Array =>
  writeXlsx({
    sheets: [
      { name: "survey", rows: [["type", "name", "label"], ...questions.map((q) => [q.kind === "integer" ? "integer" : (q.kind ?? "text"), q.name, q.label])] },
      {
        name: "settings",
        rows: [
          ["form_id", "version"],
          [formId, version]
        ]
      }
    ]
  })

/** An account, its blob store, the calls as an actor, an editor with `iaso_forms` and a form maker. */
export const formSetup = async (h: () => Harness) => {
  const harness = h()
  const account = await harness.freshAccount()
  const blobs = blobStore()
  const as = <A, E>(actor: Actor, effect: Effect.Effect<A, E, R>) => harness.as(actor, withServices(effect, blobs))
  const exitAs = <A, E>(actor: Actor, effect: Effect.Effect<A, E, R>) => harness.exitAs(actor, withServices(effect, blobs))
  const editor = account.withPermissions(["iaso_forms"])
  const projectId = account.projectId as ProjectId
  const newForm = (input: Partial<FormCreate> = {}) =>
    as(
      editor,
      Effect.flatMap(F, (forms) => forms.create({ name: "Household survey", projectIds: [projectId], ...input }))
    )
  return { harness, account, blobs, as, exitAs, editor, projectId, newForm }
}
/** The issues of a failed call, with their paths. */
export const issuesOf = (exit: Parameters<typeof exitError>[0]) =>
  (exitError(exit) as { readonly issues?: ReadonlyArray<{ readonly path: ReadonlyArray<string | number>; readonly message: string }> } | undefined)?.issues
/** The stored rows of the models a version upload touches, for before/after comparisons. */
export const snapshot = async (harness: Harness, account: FreshAccount, models: ReadonlyArray<AnyModel> = [FormModel, FormVersionModel, AuditEntryModel]) =>
  Promise.all(models.map((model) => harness.inspectAccount(model, account.accountId)))
