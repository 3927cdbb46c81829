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
import { Inflate } from "fflate"
import { exceeded, FORM_LIMITS, type FormLimits } from "./limits.ts"
import { attribute, child, children, elements, localName, parseXml, textOf, type XmlElement } from "./xml.ts"

export { FORM_LIMITS, type FormLimits } from "./limits.ts"

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

/** One file of a zip archive, as the archive's central directory lists it. */
interface ZipEntry {
  readonly name: string
  readonly flags: number
  readonly method: number
  readonly compressedSize: number
  /** The uncompressed size the directory claims (the bytes may inflate to more). */
  readonly claimedSize: number
  readonly localHeader: number
}

const END_OF_DIRECTORY = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_END_OF_DIRECTORY = 0x06064b50
const DIRECTORY_ENTRY = 0x02014b50
const LOCAL_HEADER = 0x04034b50
/** A 32-bit size or offset field saying "see the zip64 extra field". */
const IN_ZIP64 = 0xffffffff
/**
 * Compressed bytes given to the inflater at a time: about a thousandth of what the cap leaves,
 * within these bounds. Deflate inflates 1,032-fold at most, so a step never produces more than
 * about what is left plus 1 MB, nor more than 9 MB.
 */
const INFLATE_STEP = { min: 1024, max: 8 * 1024 } as const

/** Little-endian fields of a byte array, `undefined` past its end. */
const fields = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const fits = (at: number, length: number) => at >= 0 && at + length <= bytes.length
  return {
    u16: (at: number): number | undefined => (fits(at, 2) ? view.getUint16(at, true) : undefined),
    u32: (at: number): number | undefined => (fits(at, 4) ? view.getUint32(at, true) : undefined),
    /** A 64-bit field as a number; `Infinity` past 2^53 (no archive this reader accepts is that large). */
    u64: (at: number): number | undefined => {
      if (!fits(at, 8)) return undefined
      const value = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32
      return Number.isSafeInteger(value) ? value : Number.POSITIVE_INFINITY
    }
  }
}

const damaged = (what: string): string => `not an .xlsx file (a damaged zip archive: ${what})`

/** A name or reference from a file, shortened for a message. */
const shown = (text: string): string => (text.length > 64 ? `${text.slice(0, 64)}…` : text)

/** The archive's entries by name (a name listed twice: its last entry), checked against `maxZipEntries`. */
const listEntries = (bytes: Uint8Array, limits: FormLimits): Result.Result<ReadonlyMap<string, ZipEntry>, string> => {
  const { u16, u32, u64 } = fields(bytes)
  let end = -1
  for (let at = bytes.length - 22; at >= 0 && at >= bytes.length - 22 - 0xffff; at--) {
    if (u32(at) === END_OF_DIRECTORY) {
      end = at
      break
    }
  }
  if (end === -1) return Result.fail("not an .xlsx file (not a zip archive: no end of central directory record)")
  let count = u16(end + 10) ?? 0
  let offset = u32(end + 16) ?? 0
  const end64 = u32(end - 20) === ZIP64_LOCATOR ? u64(end - 12) : undefined
  if (end64 !== undefined && Number.isSafeInteger(end64) && u32(end64) === ZIP64_END_OF_DIRECTORY) {
    count = u64(end64 + 32) ?? count
    offset = u64(end64 + 48) ?? offset
  }
  if (count > limits.maxZipEntries) return Result.fail(exceeded(`the archive lists ${count} entries`, limits, "maxZipEntries", "entries an archive may have"))
  const decoder = new TextDecoder("utf-8")
  const entries = new Map<string, ZipEntry>()
  for (let i = 0; i < count; i++) {
    const flags = u16(offset + 8)
    const method = u16(offset + 10)
    const nameLength = u16(offset + 28)
    const extraLength = u16(offset + 30)
    const commentLength = u16(offset + 32)
    let compressedSize = u32(offset + 20)
    let claimedSize = u32(offset + 24)
    let localHeader = u32(offset + 42)
    if (
      u32(offset) !== DIRECTORY_ENTRY ||
      flags === undefined ||
      method === undefined ||
      nameLength === undefined ||
      extraLength === undefined ||
      commentLength === undefined ||
      compressedSize === undefined ||
      claimedSize === undefined ||
      localHeader === undefined ||
      offset + 46 + nameLength + extraLength > bytes.length
    ) {
      return Result.fail(damaged(`the directory's entry ${i + 1} of ${count} is unreadable`))
    }
    const name = decoder.decode(bytes.subarray(offset + 46, offset + 46 + nameLength))
    // zip64: the sizes and offset that do not fit 32 bits are in the extra field 0x0001, in this order.
    for (let at = offset + 46 + nameLength; at + 4 <= offset + 46 + nameLength + extraLength; at += 4 + (u16(at + 2) ?? 0)) {
      if (u16(at) !== 0x0001) continue
      let next = at + 4
      const wide = (value: number): number => {
        if (value !== IN_ZIP64) return value
        const read = u64(next) ?? Number.POSITIVE_INFINITY
        next += 8
        return read
      }
      claimedSize = wide(claimedSize)
      compressedSize = wide(compressedSize)
      localHeader = wide(localHeader)
    }
    entries.set(name, { name, flags, method, compressedSize, claimedSize, localHeader })
    offset += 46 + nameLength + extraLength + commentLength
  }
  return Result.succeed(entries)
}

/**
 * Inflates a deflate stream a step at a time and stops once it has produced more than `cap`
 * bytes: the bytes, `over` once past the cap, or the inflater's error.
 */
const inflateAtMost = (data: Uint8Array, cap: number): { readonly bytes: Uint8Array } | { readonly over: true } | { readonly error: string } => {
  const chunks: Array<Uint8Array> = []
  let produced = 0
  const inflater = new Inflate((chunk) => {
    produced += chunk.length
    if (produced <= cap) chunks.push(chunk)
  })
  try {
    if (data.length === 0) inflater.push(data, true)
    for (let at = 0; at < data.length && produced <= cap; ) {
      const step = Math.min(INFLATE_STEP.max, Math.max(INFLATE_STEP.min, Math.ceil((cap - produced) / 1024)))
      inflater.push(data.subarray(at, at + step), at + step >= data.length)
      at += step
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
  if (produced > cap) return { over: true }
  const bytes = new Uint8Array(produced)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.length
  }
  return { bytes }
}

/**
 * An entry's uncompressed bytes. The size it claims must be within `maxEntryBytes` and what is
 * left of `maxUncompressedBytes` (`inflated` counts what earlier entries used), and inflating
 * stops as soon as it produces more than that claim: a header that lies is a damaged archive, and
 * no entry ever inflates past the limits.
 */
const entryBytes = (bytes: Uint8Array, entry: ZipEntry, limits: FormLimits, inflated: { used: number }): Result.Result<Uint8Array, string> => {
  const { u16, u32 } = fields(bytes)
  const claimed = entry.claimedSize
  if (claimed > limits.maxEntryBytes) {
    return Result.fail(
      exceeded(`the archive's entry ${shown(entry.name)} claims ${claimed} bytes uncompressed`, limits, "maxEntryBytes", "bytes an entry may have")
    )
  }
  if (inflated.used + claimed > limits.maxUncompressedBytes) {
    const found = `the archive's entries inflate to at least ${inflated.used + claimed} bytes`
    return Result.fail(exceeded(found, limits, "maxUncompressedBytes", "bytes an archive may inflate to"))
  }
  if ((entry.flags & 1) !== 0) return Result.fail(`not an .xlsx file (the archive's entry ${shown(entry.name)} is encrypted)`)
  const nameLength = u16(entry.localHeader + 26)
  const extraLength = u16(entry.localHeader + 28)
  const start = entry.localHeader + 30 + (nameLength ?? 0) + (extraLength ?? 0)
  if (u32(entry.localHeader) !== LOCAL_HEADER || nameLength === undefined || extraLength === undefined || start + entry.compressedSize > bytes.length) {
    return Result.fail(damaged(`the entry ${shown(entry.name)} is cut short`))
  }
  const data = bytes.subarray(start, start + entry.compressedSize)
  let out: Uint8Array
  if (entry.method === 0) out = data
  else if (entry.method === 8) {
    const inflatedEntry = inflateAtMost(data, claimed)
    if ("error" in inflatedEntry) return Result.fail(damaged(`the entry ${shown(entry.name)} does not inflate: ${inflatedEntry.error}`))
    if ("over" in inflatedEntry) return Result.fail(damaged(`the entry ${shown(entry.name)} inflates to more than the ${claimed} bytes it claims`))
    out = inflatedEntry.bytes
  } else return Result.fail(`not an .xlsx file (the archive's entry ${shown(entry.name)} uses compression method ${entry.method})`)
  if (out.length > claimed) return Result.fail(damaged(`the entry ${shown(entry.name)} holds more than the ${claimed} bytes it claims`))
  inflated.used += out.length
  return Result.succeed(out)
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
  const content = entryBytes(bytes, entry, limits, inflated)
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
  const listed = listEntries(bytes, limits)
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
