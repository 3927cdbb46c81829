/**
 * `@iaso/core/xlsform`: the form file readers and the XLSX writer: XLSForm workbooks
 * ({@link readXlsForm}), XForm XML ({@link readXForm}), any XLSX workbook ({@link readXlsx}) and
 * {@link writeXlsx}. `FormVersions.create` loads them itself when an upload first needs them; an
 * app imports them from here to read a file without the service. Their types (`ParsedXlsForm`,
 * `ParsedXForm`, `Workbook`...) are exported by `@iaso/core`.
 *
 * ```ts
 * import { readXlsForm, writeXlsx } from "@iaso/core/xlsform"
 * const bytes = writeXlsx({ sheets: [{ name: "survey", rows: [["type", "name", "label"], ["text", "q1", "Name"]] }] })
 * const parsed = readXlsForm(bytes, "household.xlsx") // a Result: the form's descriptor or a message
 * ```
 *
 * Kept apart from `@iaso/core` so that an app's bundle carries the XML and XLSX parsers only when
 * it imports them or uploads a form (the services load this code with a dynamic `import()`).
 * @module @iaso/core/xlsform
 */
export { readXForm } from "./forms/xform.ts"
export { EMPTY_SURVEY_MESSAGE, fileStem, readXlsForm } from "./forms/xlsform.ts"
export { readXlsx } from "./forms/xlsx.ts"
export { writeXlsx } from "./forms/xlsx-write.ts"
