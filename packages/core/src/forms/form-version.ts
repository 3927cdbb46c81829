/**
 * Form versions: each upload of an XLSForm gives a form a new version, holding the XForm generated
 * from it (what devices fill), the uploaded spreadsheet, the parsed survey description and the
 * version id that submissions quote in `_version`. A version id is unique per form; the latest
 * version is the one created last. Deleting the form deletes its versions.
 * @module
 */
import { Schema } from "effect"
import { BlobRef } from "../shared/blob.ts"
import { FormId, FormVersionId, UserId } from "../shared/entity-ids.ts"
import { Json, JsonObject } from "../shared/json.ts"
import { defineModel } from "../shared/model.ts"
import { NonBlankText, Text } from "../shared/text.ts"

/** An MD5 digest in lower-case hex, or `""` when not computed. */
export const Md5Hex = Schema.String.check(
  Schema.isPattern(/^([0-9a-f]{32})?$/, { message: "Expected 32 lower-case hex digits (an MD5 digest) or an empty string" })
)

/** The FormVersion model declaration. */
export const FormVersionModel = defineModel({
  name: "FormVersion",
  id: FormVersionId,
  scope: "account",
  fields: {
    formId: FormId,
    /** The XForm XML generated from the XLSForm. */
    file: BlobRef,
    /** Computed: MD5 of the generated XForm (`""` when unknown). */
    md5: Md5Hex,
    /** The uploaded XLSForm (`.xls` / `.xlsx`). */
    xlsFile: Schema.optionalKey(BlobRef),
    /** The survey as parsed from the XLSForm (pyxform's JSON description: name, type, children...). */
    formDescriptor: Schema.optionalKey(JsonObject),
    /** Unique per form; XLSForm uploads give 1 to 10 digits, increasing. */
    versionId: NonBlankText,
    /** Free text (IASO never checks it). */
    startPeriod: Schema.optionalKey(Text),
    /** Free text (IASO never checks it). */
    endPeriod: Schema.optionalKey(Text),
    /** Computed on every write: the version's questions by path, as `{ name, label, type }` items. */
    possibleFields: Schema.optionalKey(Json),
    createdById: Schema.optionalKey(UserId),
    updatedById: Schema.optionalKey(UserId)
  },
  indexes: [
    { name: "form_version_version_id_unique", fields: ["accountId", "formId", "versionId"], unique: true },
    { name: "form_version_form_created_at", fields: ["formId", "createdAt"] }
  ],
  references: [
    { field: "formId", target: "Form", onDelete: "cascade" },
    { field: "createdById", target: "User", onDelete: "setNull" },
    { field: "updatedById", target: "User", onDelete: "setNull" }
  ],
  access: { read: [], write: ["iaso_forms"] },
  computed: ["md5", "possibleFields"],
  immutable: ["formId", "versionId"],
  managedBy: "FormVersions"
})
/** A form version record. */
export const FormVersion = FormVersionModel.schema
export type FormVersion = typeof FormVersion.Type
