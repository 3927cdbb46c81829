/**
 * A small `.xlsx` reader (Office Open XML spreadsheets) that runs in Node and browsers alike:
 * fflate unzips, fast-xml-parser reads the parts. It reads what an XLSForm needs: every sheet's
 * name and cell values (shared strings, inline strings, formula results, numbers, booleans),
 * nothing of styles, formulas or dates (a date cell is its serial number). The legacy binary
 * `.xls` format is not read.
 * @module
 */
import { Result } from "effect"
import { unzipSync } from "fflate"
import { attribute, child, children, elements, localName, parseXml, textOf, type XmlElement } from "./xml.ts"

/** A cell value: text, a number, a boolean, or `null` for an empty or error cell. */
export type CellValue = string | number | boolean | null

/** One sheet: its name and its rows of cells (row and column positions kept; gaps are `null`). */
export interface Sheet {
  readonly name: string
  readonly rows: ReadonlyArray<ReadonlyArray<CellValue>>
}

/** A workbook: its sheets in workbook order. */
export interface Workbook {
  readonly sheets: ReadonlyArray<Sheet>
}

const decoder = new TextDecoder("utf-8")

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

/** Column index (0-based) of a cell reference such as `AB12`. */
const columnIndex = (ref: string): number | undefined => {
  const match = /^([A-Z]+)\d*$/i.exec(ref)
  if (match === null || match[1] === undefined) return undefined
  let n = 0
  for (const ch of match[1].toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64)
  return n - 1
}

const rowIndex = (ref: string): number | undefined => {
  const match = /^(\d+)$/.exec(ref)
  return match === null ? undefined : Number(match[1]) - 1
}

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

const readSheet = (root: XmlElement, shared: ReadonlyArray<string>): ReadonlyArray<ReadonlyArray<CellValue>> => {
  const data = child(root, "sheetData")
  if (data === undefined) return []
  const rows: Array<Array<CellValue>> = []
  let nextRow = 0
  for (const row of children(data, "row")) {
    const r = row.attributes["r"]
    const index = r === undefined ? nextRow : (rowIndex(r) ?? nextRow)
    nextRow = index + 1
    const cells: Array<CellValue> = []
    let nextColumn = 0
    for (const cell of children(row, "c")) {
      const ref = cell.attributes["r"]
      const column = ref === undefined ? nextColumn : (columnIndex(ref) ?? nextColumn)
      nextColumn = column + 1
      const value = readCell(cell, shared)
      while (cells.length < column) cells.push(null)
      cells[column] = value
    }
    while (rows.length < index) rows.push([])
    rows[index] = cells
  }
  return rows
}

/**
 * Reads an `.xlsx` file. Fails with a message when the bytes are not a zip archive, or the
 * archive holds no workbook, or a part is not well-formed XML.
 */
export const readXlsx = (bytes: Uint8Array): Result.Result<Workbook, string> => {
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(bytes)
  } catch (error) {
    return Result.fail(`not an .xlsx file (not a zip archive: ${error instanceof Error ? error.message : String(error)})`)
  }
  const text = (path: string): string | undefined => {
    const entry = files[path]
    return entry === undefined ? undefined : decoder.decode(entry)
  }
  const xml = (path: string): Result.Result<XmlElement | undefined, string> => {
    const content = text(path)
    if (content === undefined) return Result.succeed(undefined)
    const parsed = parseXml(content)
    return "error" in parsed ? Result.fail(`${path} is not well-formed XML: ${parsed.error}`) : Result.succeed(parsed)
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
  const shared = sharedXml.success === undefined ? [] : children(sharedXml.success, "si").map(stringItem)
  const sheetsElement = child(workbook.success, "sheets")
  const sheets: Array<Sheet> = []
  let position = 0
  for (const sheet of sheetsElement === undefined ? [] : children(sheetsElement, "sheet")) {
    position += 1
    const name = sheet.attributes["name"] ?? `Sheet${position}`
    const relId = attribute(sheet, "id")
    const path = (relId === undefined ? undefined : targets.get(relId)) ?? `xl/worksheets/sheet${position}.xml`
    const part = xml(path)
    if (Result.isFailure(part)) return Result.fail(part.failure)
    sheets.push({ name, rows: part.success === undefined ? [] : readSheet(part.success, shared) })
  }
  return Result.succeed({ sheets })
}
