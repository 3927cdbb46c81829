/**
 * Writing a workbook as `.xlsx` bytes: the inverse of `readXlsx`, for XLSForms made in code (a
 * generated form, a test, a demo). Cells are written as inline strings, numbers and booleans; no
 * styles, no shared strings. `readXlsx` reads the result back as the same workbook.
 * @module
 */
import { strToU8, zipSync } from "fflate"
import type { CellValue, Workbook } from "./xlsx.ts"

const MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
const RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
const PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"

const escapeXml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** A column's letters: 0 is A, 25 is Z, 26 is AA. */
const columnName = (index: number): string => {
  let name = ""
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name
  return name
}

const cellXml = (value: CellValue, reference: string): string => {
  if (value === null) return ""
  if (typeof value === "number") return `<c r="${reference}"><v>${value}</v></c>`
  if (typeof value === "boolean") return `<c r="${reference}" t="b"><v>${value ? 1 : 0}</v></c>`
  return `<c r="${reference}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(value)}</t></is></c>`
}

const sheetXml = (rows: ReadonlyArray<ReadonlyArray<CellValue>>): string =>
  `<worksheet xmlns="${MAIN}"><sheetData>${rows
    .map((row, r) => `<row r="${r + 1}">${row.map((value, c) => cellXml(value, `${columnName(c)}${r + 1}`)).join("")}</row>`)
    .join("")}</sheetData></worksheet>`

/**
 * The `.xlsx` bytes of `workbook`. For an XLSForm: a `survey` sheet (`type`, `name`, `label`...),
 * optionally `choices`, and `settings` (`form_id`, `version`).
 */
export const writeXlsx = (workbook: Workbook): Uint8Array => {
  const files: Record<string, Uint8Array> = {
    "[Content_Types].xml": strToU8(
      `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${workbook.sheets
        .map(
          (_, i) =>
            `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`
        )
        .join("")}</Types>`
    ),
    "_rels/.rels": strToU8(
      `<Relationships xmlns="${PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" Type="${RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`
    ),
    "xl/workbook.xml": strToU8(
      `<workbook xmlns="${MAIN}" xmlns:r="${RELATIONSHIPS}"><sheets>${workbook.sheets
        .map((sheet, i) => `<sheet name="${escapeXml(sheet.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
        .join("")}</sheets></workbook>`
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      `<Relationships xmlns="${PACKAGE_RELATIONSHIPS}">${workbook.sheets
        .map((_, i) => `<Relationship Id="rId${i + 1}" Type="${RELATIONSHIPS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
        .join("")}</Relationships>`
    )
  }
  workbook.sheets.forEach((sheet, i) => {
    files[`xl/worksheets/sheet${i + 1}.xml`] = strToU8(sheetXml(sheet.rows))
  })
  return zipSync(files)
}
