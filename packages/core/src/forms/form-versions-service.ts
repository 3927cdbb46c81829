/**
 * The `FormVersions` service: a form gets a new version from an uploaded XLSForm (`.xlsx`), an
 * XForm, or both, under IASO's rules (version ids of 1 to 10 digits, strictly increasing, or
 * generated as `yyyymmddNN` from the Effect `Clock`; the form id constant across versions and
 * unique among the account's live forms), with IASO's messages as `ValidationError`s naming the
 * field. The version, the form's `formId` and the form's `possibleFields` are written in one
 * transaction, with the copies of the previous version's mapping versions (`copyMappingVersions`,
 * trimmed to the new questions); the file bytes go to the {@link BlobStore} first (and are removed
 * again when the version is refused, unless they were already stored). A preview computes the same checks and
 * the question diff against the previous version without storing anything.
 *
 * Files: IASO keeps in `file` the XForm pyxform generates from the XLSForm. The SDK does not
 * generate XForms: when an XForm is uploaded (alone or along with the XLSForm) it is `file`;
 * for an XLSForm alone, `file` holds the spreadsheet itself (as does `xlsFile`), and `md5` is the
 * spreadsheet's. An app that serves forms to ODK devices should upload the XForm along.
 *
 * Differences from IASO, on purpose:
 * - Another account's form, a missing one or a soft-deleted one is `NotFound` (IASO answers
 *   `Invalid form id`); the versions of a deleted form are not listed (as in IASO).
 * - Only `.xlsx` is read (not the legacy binary `.xls`).
 * - An XForm upload follows the XLSForm rules for its version (1-10 digits, increasing) and
 *   must declare one (a generated version could not be in the XForm devices fill).
 * @module
 */
import { Context, Effect, Layer, Result, Schema } from "effect"
import { copyMappingVersions } from "../dhis2/mapping-copy.ts"
import { audit } from "../kernel/audit.ts"
import { orDieOnInvalidListing } from "../kernel/expect.ts"
import { Repos, type ServiceWriteError } from "../kernel/repos.ts"
import { BlobStore, sha256Hex } from "../shared/blob.ts"
import type { FormId, FormVersionId } from "../shared/entity-ids.ts"
import { Conflict, NotFound, type StorageError, ValidationError } from "../shared/errors.ts"
import type { Json, JsonObject } from "../shared/json.ts"
import { listAll, type Repositories } from "../shared/repository.ts"
import { foldKey, NonBlankText } from "../shared/text.ts"
import { now } from "../shared/time.ts"
import { type Actor, CurrentActor, requireAny } from "../tenancy/actor.ts"
import { type DescriptorLabel, type DescriptorNode, type FormDescriptor, type PossibleField, versionPossibleFields } from "./descriptor.ts"
import { FormModel } from "./form.ts"
import { type FormVersion, FormVersionModel } from "./form-version.ts"
import { FORM_AUDIT_SOURCE, FormMessages, formPossibleFieldsFromVersions } from "./forms-service.ts"
import { MappingVersionModel } from "./mapping.ts"
import { md5Hex } from "./md5.ts"
import { resolveVersionId, utcDayStamp } from "./version-id.ts"
import { lazyModule } from "../shared/lazy-module.ts"

/** Whether a text can be a stored form version's `versionId`. */
const isVersionId = Schema.is(NonBlankText)

/** IASO's messages for version uploads. */
export const FormVersionMessages = {
  /** Prefix of every XLSForm reading error (`{"xls_file": "Invalid XLS form content: ..."}`). */
  xlsContent: "Invalid XLS form content: ",
  /** Prefix IASO's parser puts before its own messages. */
  xlsFile: "Invalid XLS file: ",
  formIdChanged: "Form id should stay constant across form versions.",
  formIdUsed: FormMessages.formIdUsed,
  noFile: "No file was submitted."
} as const

/** The media type of `.xlsx` files. */
export const XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
/** The media type the SDK gives XForm files. */
export const XFORM_MEDIA_TYPE = "text/xml"

/** An uploaded form definition. At least one of `xlsForm` and `xform` is given. */
export interface FormVersionUpload {
  readonly formId: FormId
  /** The XLSForm: its bytes and file name (the name gives the form id when the settings sheet has none). */
  readonly xlsForm?: { readonly bytes: Uint8Array; readonly fileName: string }
  /**
   * The XForm devices fill (XML text or UTF-8 bytes). Alone, it defines the version; along with
   * an XLSForm, its form id and version must be the XLSForm's, and it is kept as the version's `file`.
   */
  readonly xform?: { readonly content: string | Uint8Array; readonly fileName?: string }
  /** Free text. */
  readonly startPeriod?: string
  /** Free text. */
  readonly endPeriod?: string
}

/** A question as a preview reports it. */
export interface PreviewQuestion {
  readonly name: string
  readonly label: DescriptorLabel
  readonly type: string
}

/** A question whose type changed between the previous version and the upload. */
export interface ModifiedQuestion {
  readonly name: string
  /** The label in the upload. */
  readonly label: DescriptorLabel
  readonly oldType: string
  readonly newType: string
}

/** What an upload would change (IASO's `/api/formversions/preview/`), nothing stored. */
export interface FormVersionPreview {
  /** The previous (latest) version's record id, `null` when the form has no version yet. */
  readonly previousVersionId: FormVersionId | null
  /** The previous version's version id, `null` when the form has no version yet. */
  readonly previousVersion: string | null
  /** The version id the upload would get. */
  readonly versionId: string
  /** The form id the upload declares. */
  readonly formId: string
  /** In the previous version and not in the upload (by name). All lists are empty without a previous version. */
  readonly removedQuestions: ReadonlyArray<PreviewQuestion>
  /** In the upload and not in the previous version. */
  readonly addedQuestions: ReadonlyArray<PreviewQuestion>
  /** In both, with another type. */
  readonly modifiedQuestions: ReadonlyArray<ModifiedQuestion>
}

/** The period fields of a version, the only ones that change after creation. */
export interface FormVersionPeriods {
  readonly startPeriod?: string | null
  readonly endPeriod?: string | null
}

/**
 * The form versions service: versions of a form from an uploaded XLSForm, XForm or both, under
 * IASO's rules, a preview of what an upload would change, and reads. Provided by `Iaso.layer`; on
 * the Promise facade, `iaso.as(actor).formVersions`. Its calls are listed under `Service`.
 */
export class FormVersions extends Context.Service<
  FormVersions,
  {
    /** Creates a version of a form from an upload (needs `iaso_forms`). */
    readonly create: (upload: FormVersionUpload) => Effect.Effect<FormVersion, ServiceWriteError, CurrentActor | BlobStore>
    /** Checks an upload as `create` does and diffs it against the latest version; stores nothing (needs `iaso_forms`). */
    readonly preview: (upload: FormVersionUpload) => Effect.Effect<FormVersionPreview, ServiceWriteError, CurrentActor>
    /**
     * Sets a version's start and end periods, as IASO's update does: a period not given is
     * cleared (needs `iaso_forms`). Nothing else of a version changes.
     */
    readonly update: (id: FormVersionId, periods: FormVersionPeriods) => Effect.Effect<FormVersion, ServiceWriteError, CurrentActor>
    /** One version (`NotFound` when its form is deleted). */
    readonly get: (id: FormVersionId) => Effect.Effect<FormVersion, NotFound | StorageError, CurrentActor>
    /** The version of a form with this version id. */
    readonly find: (formId: FormId, versionId: string) => Effect.Effect<FormVersion, NotFound | StorageError, CurrentActor>
    /** Every version of a form, oldest first. */
    readonly list: (formId: FormId) => Effect.Effect<ReadonlyArray<FormVersion>, NotFound | StorageError, CurrentActor>
    /** The latest version of a form (the one created last), `undefined` when it has none. */
    readonly latest: (formId: FormId) => Effect.Effect<FormVersion | undefined, NotFound | StorageError, CurrentActor>
  }
>()("@iaso/core/FormVersions") {
  static readonly layer = Layer.effect(
    FormVersions,
    Effect.gen(function* () {
      const repos = yield* Repos
      return FormVersions.of(makeFormVersions(repos))
    })
  )
}

/** A form name as IASO puts it in file names: folded to ASCII, lower-case, words joined by `_`. */
export const fileSlug = (name: string): string =>
  foldKey(name)
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "") || "form"

/** What reading an upload gives, before any rule that needs the form's versions. */
interface ReadUpload {
  readonly descriptor: FormDescriptor
  readonly formId: string
  readonly declaredVersion: string | undefined
  /** The field errors are reported at (`xlsFile` or `xform`). */
  readonly field: "xlsFile" | "xform"
  /** Wraps a rule message as the upload's kind reports it. */
  readonly wrap: (message: string) => string
  readonly xlsBytes?: Uint8Array
  readonly xformBytes?: Uint8Array
  /** The XForm's declared form id and version when both files are given. */
  readonly xformIdentity?: { readonly formId: string; readonly version: string | undefined }
}

const encoder = new TextEncoder()

// The XForm and XLSForm readers (with their XML and XLSX parsers), loaded when an upload first
// needs them (an app's bundler puts them in chunks of their own).
const xformModule = lazyModule("the XForm reader", () => import("./xform.ts"))
const xlsFormModule = lazyModule("the XLSForm reader", () => import("./xlsform.ts"))

const readUpload = (upload: FormVersionUpload): Effect.Effect<ReadUpload, ValidationError | StorageError> =>
  Effect.gen(function* () {
    const xform = upload.xform === undefined ? undefined : (yield* xformModule).readXForm(upload.xform.content)
    if (xform !== undefined && Result.isFailure(xform)) return yield* ValidationError.at(["xform"], xform.failure)
    const xformBytes =
      upload.xform === undefined ? undefined : typeof upload.xform.content === "string" ? encoder.encode(upload.xform.content) : upload.xform.content
    if (upload.xlsForm !== undefined) {
      const { bytes, fileName } = upload.xlsForm
      const extension = /\.([^.\\/]+)$/.exec(fileName)?.[1]?.toLowerCase()
      if (extension === "xls") {
        return yield* ValidationError.at(
          ["xlsFile"],
          `${FormVersionMessages.xlsContent}${FormVersionMessages.xlsFile}the legacy .xls format is not read; save the form as .xlsx`
        )
      }
      if (extension !== "xlsx") {
        return yield* ValidationError.at(["xlsFile"], `File extension “${extension ?? ""}” is not allowed. Allowed extensions are: xls, xlsx.`)
      }
      const parsed = (yield* xlsFormModule).readXlsForm(bytes, fileName)
      if (Result.isFailure(parsed)) return yield* ValidationError.at(["xlsFile"], `${FormVersionMessages.xlsContent}${parsed.failure}`)
      return {
        descriptor: parsed.success.descriptor,
        formId: parsed.success.formId,
        declaredVersion: parsed.success.version,
        field: "xlsFile" as const,
        wrap: (message: string) => `${FormVersionMessages.xlsContent}${FormVersionMessages.xlsFile}${message}`,
        xlsBytes: bytes,
        ...(xformBytes === undefined ? {} : { xformBytes }),
        ...(xform === undefined ? {} : { xformIdentity: { formId: xform.success.formId, version: xform.success.version } })
      }
    }
    if (xform === undefined || xformBytes === undefined) return yield* ValidationError.at(["xlsFile"], FormVersionMessages.noFile)
    if (xform.success.version === undefined) {
      return yield* ValidationError.at(["xform"], "Invalid XForm: the primary instance's root element has no version attribute")
    }
    return {
      descriptor: xform.success.descriptor,
      formId: xform.success.formId,
      declaredVersion: xform.success.version,
      field: "xform" as const,
      wrap: (message: string) => `Invalid XForm: ${message}`,
      xformBytes
    }
  })

/** The previous version's question list, by name. */
const previousFields = (version: FormVersion): ReadonlyArray<PossibleField> => {
  const stored = version.possibleFields
  if (Array.isArray(stored)) return stored as unknown as ReadonlyArray<PossibleField>
  return version.formDescriptor === undefined ? [] : versionPossibleFields(version.formDescriptor as unknown as DescriptorNode)
}

/** The question diff of a preview (by name; the upload's order for added and modified, the previous version's for removed). */
export const diffQuestions = (
  before: ReadonlyArray<PossibleField>,
  after: ReadonlyArray<PossibleField>
): Pick<FormVersionPreview, "removedQuestions" | "addedQuestions" | "modifiedQuestions"> => {
  const old = new Map(before.map((field) => [field.name, field]))
  const fresh = new Map(after.map((field) => [field.name, field]))
  const removedQuestions = [...old.values()].filter((field) => !fresh.has(field.name)).map(({ name, label, type }) => ({ name, label, type }))
  const addedQuestions = [...fresh.values()].filter((field) => !old.has(field.name)).map(({ name, label, type }) => ({ name, label, type }))
  const modifiedQuestions: Array<ModifiedQuestion> = []
  for (const field of fresh.values()) {
    const previous = old.get(field.name)
    if (previous !== undefined && previous.type !== field.type)
      modifiedQuestions.push({ name: field.name, label: field.label, oldType: previous.type, newType: field.type })
  }
  return { removedQuestions, addedQuestions, modifiedQuestions }
}

const makeFormVersions = (repos: Repositories) => {
  const writable = (actor: Actor) => requireAny(actor, ["iaso_forms"], "changing form versions")

  /** A live form of the account, else NotFound. */
  const liveForm = (actor: Actor, formId: string) =>
    Effect.gen(function* () {
      const form = yield* repos.get(FormModel, actor.accountId, formId)
      if (form.deletedAt !== undefined) return yield* NotFound.of("Form", formId)
      return form
    })

  const versionsOf = (actor: Actor, formId: string) =>
    listAll((page) => repos.list(FormVersionModel, actor.accountId, page), {
      where: [{ field: "formId", op: "eq", value: formId }],
      orderBy: [{ field: "createdAt" }]
    }).pipe(orDieOnInvalidListing(FormVersionModel))

  /** Applies the rules that need the form and its versions; gives the version id and the previous version. */
  const plan = (actor: Actor, upload: FormVersionUpload, read: ReadUpload) =>
    Effect.gen(function* () {
      const form = yield* liveForm(actor, upload.formId)
      const versions = yield* versionsOf(actor, form.id)
      const previous = versions[versions.length - 1]
      const today = utcDayStamp(yield* now)
      const resolved = resolveVersionId({ declared: read.declaredVersion, previous: previous?.versionId, today })
      if (Result.isFailure(resolved)) return yield* ValidationError.at([read.field], read.wrap(resolved.failure))
      const versionId = resolved.success
      if (read.xformIdentity !== undefined) {
        if (read.xformIdentity.formId !== read.formId) {
          return yield* ValidationError.at(["xform"], `the XForm's form id '${read.xformIdentity.formId}' is not the XLSForm's '${read.formId}'`)
        }
        if (read.xformIdentity.version !== versionId) {
          return yield* ValidationError.at(["xform"], `the XForm's version '${read.xformIdentity.version ?? ""}' is not the version's '${versionId}'`)
        }
      }
      if (form.formId !== undefined && form.formId !== read.formId) return yield* ValidationError.at([read.field], FormVersionMessages.formIdChanged)
      const taken = yield* repos.count(FormModel, actor.accountId, [
        { field: "formId", op: "eq", value: read.formId },
        { field: "deletedAt", op: "isNull" },
        { field: "id", op: "ne", value: form.id }
      ])
      if (taken > 0) return yield* ValidationError.at([read.field], FormVersionMessages.formIdUsed)
      return { form, previous, versionId }
    })

  const create = (upload: FormVersionUpload) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const read = yield* readUpload(upload)
      // Fail fast before touching the blob store; the rules are checked again in the transaction.
      yield* plan(actor, upload, read)
      const blobs = yield* BlobStore
      /** Keys this upload stored (not stored before it: content addresses, same bytes, same key), removed again on failure. */
      const newlyStored: Array<string> = []
      const put = (bytes: Uint8Array, mediaType: string) =>
        Effect.gen(function* () {
          const known = yield* blobs.has(`sha256/${yield* sha256Hex(bytes)}`)
          const ref = yield* blobs.put(bytes, { mediaType })
          if (!known) newlyStored.push(ref.key)
          return ref
        })
      return yield* Effect.gen(function* () {
        const xlsRef = read.xlsBytes === undefined ? undefined : yield* put(read.xlsBytes, XLSX_MEDIA_TYPE)
        const xformRef = read.xformBytes === undefined ? undefined : yield* put(read.xformBytes, XFORM_MEDIA_TYPE)
        return yield* repos.driver.transaction(
          Effect.gen(function* () {
            const { form, previous, versionId } = yield* plan(actor, upload, read)
            const base = `${fileSlug(form.name)}_${versionId}`
            const xlsFile = xlsRef === undefined ? undefined : { ...xlsRef, fileName: `${base}.xlsx` }
            const xformFile = xformRef === undefined ? undefined : { ...xformRef, fileName: `${base}.xml` }
            const file = xformFile ?? xlsFile
            const fileBytes = read.xformBytes ?? read.xlsBytes
            if (file === undefined || fileBytes === undefined) return yield* ValidationError.at(["xlsFile"], FormVersionMessages.noFile)
            const descriptor: FormDescriptor = { ...read.descriptor, version: versionId }
            const version = yield* repos.insert(FormVersionModel, actor.accountId, {
              formId: form.id,
              file,
              md5: md5Hex(fileBytes),
              ...(xlsFile === undefined ? {} : { xlsFile }),
              formDescriptor: descriptor as unknown as JsonObject,
              versionId,
              ...(upload.startPeriod === undefined ? {} : { startPeriod: upload.startPeriod }),
              ...(upload.endPeriod === undefined ? {} : { endPeriod: upload.endPeriod }),
              possibleFields: versionPossibleFields(descriptor) as unknown as Json,
              ...(actor.userId === undefined ? {} : { createdById: actor.userId, updatedById: actor.userId })
            })
            const possibleFields = yield* formPossibleFieldsFromVersions(repos, actor.accountId, form.id)
            const updated = yield* repos.update(FormModel, actor.accountId, form.id, { formId: read.formId, possibleFields })
            yield* audit(repos, actor, FORM_AUDIT_SOURCE, FormVersionModel, [{ id: version.id, after: version }])
            const mappingCopies = previous === undefined ? [] : yield* copyMappingVersions(repos, actor, previous, version)
            yield* audit(
              repos,
              actor,
              FORM_AUDIT_SOURCE,
              MappingVersionModel,
              mappingCopies.map((copy) => ({ id: copy.id, after: copy }))
            )
            yield* audit(repos, actor, FORM_AUDIT_SOURCE, FormModel, [{ id: form.id, before: form, after: updated }])
            return version
          })
        )
      }).pipe(
        Effect.catchTag("AlreadyExists", (error) =>
          Effect.fail(
            new Conflict({ model: "FormVersion", id: upload.formId, message: `a concurrent upload took this version id or form id: ${error.message}` })
          )
        ),
        Effect.onError(() => Effect.forEach(newlyStored, (key) => Effect.ignore(blobs.remove(key)), { discard: true }))
      )
    })

  const preview = (upload: FormVersionUpload) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const read = yield* readUpload(upload)
      const { previous, versionId } = yield* plan(actor, upload, read)
      const empty = { removedQuestions: [], addedQuestions: [], modifiedQuestions: [] }
      const diff = previous === undefined ? empty : diffQuestions(previousFields(previous), versionPossibleFields(read.descriptor))
      return {
        previousVersionId: previous?.id ?? null,
        previousVersion: previous?.versionId ?? null,
        versionId,
        formId: read.formId,
        ...diff
      } satisfies FormVersionPreview
    })

  const visibleVersion = (actor: Actor, id: string) =>
    Effect.gen(function* () {
      const version = yield* repos.get(FormVersionModel, actor.accountId, id)
      yield* liveForm(actor, version.formId).pipe(Effect.catchTag("NotFound", () => Effect.fail(NotFound.of("FormVersion", id))))
      return version
    })

  const update = (id: FormVersionId, periods: FormVersionPeriods) =>
    Effect.gen(function* () {
      const actor = yield* CurrentActor
      yield* writable(actor)
      const extra = Object.keys(periods).filter((key) => key !== "startPeriod" && key !== "endPeriod")
      if (extra.length > 0) return yield* ValidationError.at([extra[0] ?? ""], "only startPeriod and endPeriod of a version can change")
      return yield* repos.driver.transaction(
        Effect.gen(function* () {
          const before = yield* visibleVersion(actor, id)
          const after = yield* repos.update(FormVersionModel, actor.accountId, id, {
            startPeriod: periods.startPeriod ?? null,
            endPeriod: periods.endPeriod ?? null,
            ...(actor.userId === undefined ? {} : { updatedById: actor.userId })
          })
          yield* audit(repos, actor, FORM_AUDIT_SOURCE, FormVersionModel, [{ id, before, after }])
          return after
        })
      )
    })

  return {
    create,
    preview,
    update,
    get: (id: FormVersionId) => Effect.flatMap(Effect.service(CurrentActor), (actor) => visibleVersion(actor, id)),
    find: (formId: FormId, versionId: string) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* liveForm(actor, formId)
        // No stored version has a blank (or otherwise invalid) version id.
        if (!isVersionId(versionId)) return yield* NotFound.of("FormVersion", `${formId}/${versionId}`)
        const page = yield* repos
          .list(FormVersionModel, actor.accountId, {
            where: [
              { field: "formId", op: "eq", value: formId },
              { field: "versionId", op: "eq", value: versionId }
            ],
            limit: 1
          })
          .pipe(orDieOnInvalidListing(FormVersionModel))
        const found = page.items[0]
        if (found === undefined) return yield* NotFound.of("FormVersion", `${formId}/${versionId}`)
        return found
      }),
    list: (formId: FormId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* liveForm(actor, formId)
        return yield* versionsOf(actor, formId)
      }),
    latest: (formId: FormId) =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        yield* liveForm(actor, formId)
        const versions = yield* versionsOf(actor, formId)
        return versions[versions.length - 1]
      })
  }
}
