/**
 * A small `.xlsx` reader (Office Open XML spreadsheets) that runs in Node and browsers alike: it
 * reads the zip archive's directory itself, inflates with fflate's streaming `Inflate` only the
 * parts it needs (the workbook, its relationships, the shared strings, the sheets), and reads them
 * with fast-xml-parser. It reads what an XLSForm needs: every sheet's name and cell values (shared
 * strings, inline strings, formula results, numbers, booleans), nothing of styles, formulas or
 * dates (a date cell is its serial number). The legacy binary `.xls` format is not read.
 *
 * Uploads come from anyone, so {@link readXlsx} is total (a value or a message for any bytes) and
 * bounded by {@link FormLimits}: the upload's size, the archive's entry count, each entry's and
 * all entries' inflated size (the size an entry claims is checked before inflating, and inflating
 * stops as soon as it produces more than that claim), the shared strings, each sheet's rows and
 * columns and the workbook's cells. Sheets are laid out only up to the cells that hold a value:
 * a cell reference such as `ZZZZZZZ1` is refused by a limit, never padded to.
 * @module
 */
import { Result } from "effect"
import { listZipEntries, shown, type ZipEntry, zipEntryBytes } from "../shared/zip.ts"
import { exceeded, FORM_LIMITS, type FormLimits } from "./limits.ts"
import { attribute, child, children, elements, localName, parseXml, textOf, type XmlElement } from "./xml.ts"

export { FORM_LIMITS, type FormLimits } from "./limits.ts"

/** How the zip reader names an archive that is not a workbook in its messages. */
const XLSX = "an .xlsx file"

/** A cell value: text, a number, a boolean, or `null` for an empty or error cell. */
export type CellValue = string | number | boolean | null

/**
 * One sheet: its name and its rows of cells (row and column positions kept; gaps are `null` cells
 * and empty rows). Rows end at their last cell holding a value, and the sheet at its last row
 * holding one.
 */
export interface Sheet {
  readonly name: string
  readonly rows: ReadonlyArray<ReadonlyArray<CellValue>>
}

/** A workbook: its sheets in workbook order. */
export interface Workbook {
  readonly sheets: ReadonlyArray<Sheet>
}

/** Excel escapes characters XML cannot hold as `_xHHHH_`; `_x005F_` escapes a literal underscore. */
const unescapeExcel = (text: string): string => text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))

/** The text of a shared or inline string item: its `t`, or its rich-text runs' `t`s (phonetic runs skipped). */
const stringItem = (item: XmlElement): string => {
  const direct = child(item, "t")
  if (direct !== undefined) return unescapeExcel(textOf(direct))
  return unescapeExcel(
    children(item, "r")
      .map((run) => {
        const t = child(run, "t")
        return t === undefined ? "" : textOf(t)
      })
      .join("")
  )
}

/** Column index (0-based) of a cell reference such as `AB12`; `Infinity` past 2^53. */
const columnIndex = (ref: string): number | undefined => {
  const match = /^([A-Z]+)\d*$/i.exec(ref)
  if (match === null || match[1] === undefined) return undefined
  let n = 0
  for (const ch of match[1].toUpperCase()) {
    n = n * 26 + (ch.charCodeAt(0) - 64)
    if (n > Number.MAX_SAFE_INTEGER) return Number.POSITIVE_INFINITY
  }
  return n - 1
}

/** Row index (0-based) of a row number such as `12`. */
const rowIndex = (ref: string): number | undefined => {
  const match = /^0*([1-9]\d*)$/.exec(ref)
  return match === null ? undefined : Number(match[1]) - 1
}

/** A 0-based position as a 1-based number for a message. */
const ordinal = (index: number): string => (Number.isSafeInteger(index + 1) ? String(index + 1) : `past ${Number.MAX_SAFE_INTEGER}`)

/** Joins a relationship target to the folder of the part that names it (`xl/`), resolving `..`. */
const resolveTarget = (base: string, target: string): string => {
  if (target.startsWith("/")) return target.slice(1)
  const parts = [...base.split("/").filter((p) => p.length > 0)]
  for (const segment of target.split("/")) {
    if (segment === "..") parts.pop()
    else if (segment !== "." && segment.length > 0) parts.push(segment)
  }
  return parts.join("/")
}

const readCell = (cell: XmlElement, shared: ReadonlyArray<string>): CellValue => {
  const type = cell.attributes["t"] ?? "n"
  const v = child(cell, "v")
  const raw = v === undefined ? undefined : textOf(v)
  switch (type) {
    case "s": {
      const index = raw === undefined ? NaN : Number(raw)
      return Number.isInteger(index) ? (shared[index] ?? null) : null
    }
    case "inlineStr": {
      const is = child(cell, "is")
      return is === undefined ? (raw === undefined ? null : unescapeExcel(raw)) : stringItem(is)
    }
    case "str":
      return raw === undefined ? null : unescapeExcel(raw)
    case "b":
      return raw === undefined ? null : raw.trim() === "1"
    case "e":
      return null
    case "d":
      return raw ?? null
    default: {
      if (raw === undefined || raw.trim() === "") return null
      const n = Number(raw)
      return Number.isFinite(n) ? n : raw
    }
  }
}

const EMPTY_ROW: ReadonlyArray<CellValue> = Object.freeze([])

/**
 * A sheet's rows, laid out up to the cells holding a value: a cell past `maxSheetRows` or
 * `maxSheetColumns` is refused, and every cell and gap row laid out counts against `maxCells`
 * (`cells` counts those of the workbook's sheets read before).
 */
const readSheet = (
  root: XmlElement,
  name: string,
  shared: ReadonlyArray<string>,
  limits: FormLimits,
  cells: { used: number }
): Result.Result<ReadonlyArray<ReadonlyArray<CellValue>>, string> => {
  const data = child(root, "sheetData")
  if (data === undefined) return Result.succeed([])
  const sheet = `the workbook's sheet '${shown(name)}'`
  const spend = (count: number): string | undefined => {
    cells.used += count
    return cells.used > limits.maxCells
      ? exceeded(`the workbook's sheets lay out at least ${cells.used} cells`, limits, "maxCells", "cells a workbook may have")
      : undefined
  }
  const rows: Array<ReadonlyArray<CellValue>> = []
  let nextRow = 0
  for (const row of children(data, "row")) {
    const r = row.attributes["r"]
    const index = r === undefined ? nextRow : (rowIndex(r) ?? nextRow)
    nextRow = index + 1
    const values: Array<CellValue> = []
    let nextColumn = 0
    for (const cell of children(row, "c")) {
      const ref = cell.attributes["r"]
      const column = ref === undefined ? nextColumn : (columnIndex(ref) ?? nextColumn)
      nextColumn = column + 1
      const value = readCell(cell, shared)
      if (value === null) continue
      if (index >= limits.maxSheetRows)
        return Result.fail(exceeded(`${sheet} has a cell at row ${ordinal(index)}`, limits, "maxSheetRows", "rows a sheet may have"))
      if (column >= limits.maxSheetColumns) {
        const found = `${sheet} has a cell at column ${ordinal(column)}${ref === undefined ? "" : ` (${shown(ref)})`}`
        return Result.fail(exceeded(found, limits, "maxSheetColumns", "columns a sheet may have"))
      }
      if (column >= values.length) {
        const overCells = spend(column + 1 - values.length)
        if (overCells !== undefined) return Result.fail(overCells)
        while (values.length < column) values.push(null)
      }
      values[column] = value
    }
    if (values.length === 0) continue
    if (index >= rows.length) {
      const overCells = spend(index - rows.length)
      if (overCells !== undefined) return Result.fail(overCells)
      while (rows.length < index) rows.push(EMPTY_ROW)
    }
    rows[index] = values
  }
  return Result.succeed(rows)
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** An archive entry read as an XML document: its root element, or why it is not one. */
const readPart = (bytes: Uint8Array, entry: ZipEntry, limits: FormLimits, inflated: { used: number }): Result.Result<XmlElement, string> => {
  const content = zipEntryBytes(bytes, entry, limits, inflated, XLSX)
  if (Result.isFailure(content)) return Result.fail(content.failure)
  let text: string
  try {
    text = utf8.decode(content.success)
  } catch {
    return Result.fail(`${shown(entry.name)} is not UTF-8 text`)
  }
  const parsed = parseXml(text, limits)
  if (!("error" in parsed)) return Result.succeed(parsed)
  return Result.fail(parsed.overLimit ? `${shown(entry.name)}: ${parsed.error}` : `${shown(entry.name)} is not well-formed XML: ${parsed.error}`)
}

/** Reads a workbook from its archive's entries, within the limits. */
const readWorkbook = (bytes: Uint8Array, limits: FormLimits): Result.Result<Workbook, string> => {
  if (bytes.length > limits.maxUploadBytes)
    return Result.fail(exceeded(`the file is ${bytes.length} bytes`, limits, "maxUploadBytes", "bytes an upload may have"))
  const listed = listZipEntries(bytes, limits, XLSX)
  if (Result.isFailure(listed)) return Result.fail(listed.failure)
  const inflated = { used: 0 }
  const parts = new Map<string, Result.Result<XmlElement | undefined, string>>()
  /** A part's root element (`undefined` when the archive has no such part), each part read once. */
  const xml = (path: string): Result.Result<XmlElement | undefined, string> => {
    const entry = listed.success.get(path)
    const known = parts.get(path)
    if (known !== undefined || entry === undefined) return known ?? Result.succeed(undefined)
    const part = readPart(bytes, entry, limits, inflated)
    parts.set(path, part)
    return part
  }
  const workbook = xml("xl/workbook.xml")
  if (Result.isFailure(workbook)) return Result.fail(workbook.failure)
  if (workbook.success === undefined) return Result.fail("not an .xlsx file (no xl/workbook.xml)")
  const rels = xml("xl/_rels/workbook.xml.rels")
  if (Result.isFailure(rels)) return Result.fail(rels.failure)
  const targets = new Map<string, string>()
  for (const rel of rels.success === undefined ? [] : elements(rels.success)) {
    const id = rel.attributes["Id"]
    const target = rel.attributes["Target"]
    if (localName(rel.name) === "Relationship" && id !== undefined && target !== undefined) targets.set(id, resolveTarget("xl", target))
  }
  const sharedXml = xml("xl/sharedStrings.xml")
  if (Result.isFailure(sharedXml)) return Result.fail(sharedXml.failure)
  const items = sharedXml.success === undefined ? [] : children(sharedXml.success, "si")
  if (items.length > limits.maxSharedStrings) {
    return Result.fail(exceeded(`the workbook shares ${items.length} strings`, limits, "maxSharedStrings", "strings a workbook may share"))
  }
  const shared = items.map(stringItem)
  const sheetsElement = child(workbook.success, "sheets")
  const cells = { used: 0 }
  const sheetRows = new Map<string, Result.Result<ReadonlyArray<ReadonlyArray<CellValue>>, string>>()
  const sheets: Array<Sheet> = []
  let position = 0
  for (const sheet of sheetsElement === undefined ? [] : children(sheetsElement, "sheet")) {
    position += 1
    const name = sheet.attributes["name"] ?? `Sheet${position}`
    const relId = attribute(sheet, "id")
    const path = (relId === undefined ? undefined : targets.get(relId)) ?? `xl/worksheets/sheet${position}.xml`
    // A part named by several sheets is read and laid out once.
    let rows = sheetRows.get(path)
    if (rows === undefined) {
      const part = xml(path)
      rows = Result.isFailure(part)
        ? Result.fail(part.failure)
        : part.success === undefined
          ? Result.succeed([])
          : readSheet(part.success, name, shared, limits, cells)
      sheetRows.set(path, rows)
    }
    if (Result.isFailure(rows)) return Result.fail(rows.failure)
    sheets.push({ name, rows: rows.success })
  }
  return Result.succeed({ sheets })
}

/**
 * Reads an `.xlsx` file within `limits` (default {@link FORM_LIMITS}). Fails with a message when
 * the bytes are not a zip archive or a damaged one, the archive holds no workbook, a part is not
 * UTF-8 text or not well-formed XML, or a limit is exceeded (the message names it and its value).
 * Never throws.
 */
export const readXlsx = (bytes: Uint8Array, limits: FormLimits = FORM_LIMITS): Result.Result<Workbook, string> => {
  try {
    return readWorkbook(bytes, limits)
  } catch (error) {
    // Every known failure is a value above; this keeps the reader total for what was not foreseen.
    return Result.fail(`not a readable .xlsx file (${error instanceof Error ? error.message : String(error)})`)
  }
}
