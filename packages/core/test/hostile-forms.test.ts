/**
 * Form files from people the server does not control: every hostile `.xlsx` and XForm built here
 * (cells at absurd references, zip bombs with honest and lying headers, too many entries, cells,
 * strings, elements or levels, `__proto__` and `constructor` as names, truncated and bit-flipped
 * archives, invalid UTF-8) is refused by the readers with a message naming the limit or the
 * damage, and by `FormVersions.preview` with a `ValidationError`, within a second of CPU time
 * and without large memory growth; names such as `constructor` stay plain data; and no limit
 * refuses any of IASO's fixtures.
 *
 * Set `HOSTILE_FORMS_REPORT=1` to print each hostile file's measured time and memory growth.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { constants, deflateRawSync } from "node:zlib"
import { Result } from "effect"
import { strToU8, zipSync } from "fflate"
import { afterAll, describe, expect, it } from "vitest"
import { parseXml } from "../src/forms/xml.ts"
import { Actor, createIaso, FORM_LIMITS, type FormLimits, MemoryStore, ValidationError } from "../src/index.ts"
import { readXForm, readXlsForm, readXlsx } from "../src/xlsform.ts"
import { sharedAvailable, sharedPath, skipMessage } from "./shared-files.ts"

const MB = 1024 * 1024

// --- building files --------------------------------------------------------------------------

const SHEET_NS = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
const RELS_NS = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`

interface SheetSpec {
  readonly name: string
  /** The `<sheetData>` content. */
  readonly data?: string
  /** The relationship's target (default `worksheets/sheetN.xml`, written from `data`). */
  readonly target?: string
}

/** The parts of a minimal valid `.xlsx`: content types, workbook, its relationships and the sheets. */
const parts = (sheets: ReadonlyArray<SheetSpec>): Record<string, Uint8Array> => {
  const files: Record<string, Uint8Array> = {
    "[Content_Types].xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`
    ),
    "xl/workbook.xml": strToU8(
      `<workbook ${SHEET_NS}><sheets>${sheets.map((s, i) => `<sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join("")}</sheets></workbook>`
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      `<Relationships ${RELS_NS}>${sheets
        .map((s, i) => `<Relationship Id="rId${i + 1}" Type="worksheet" Target="${s.target ?? `worksheets/sheet${i + 1}.xml`}"/>`)
        .join("")}</Relationships>`
    )
  }
  sheets.forEach((s, i) => {
    if (s.target === undefined) files[`xl/worksheets/sheet${i + 1}.xml`] = worksheet(s.data ?? "")
  })
  return files
}

const worksheet = (data: string): Uint8Array => strToU8(`<worksheet ${SHEET_NS}><sheetData>${data}</sheetData></worksheet>`)
const text = (ref: string, value: string): string => `<c r="${ref}" t="inlineStr"><is><t>${value}</t></is></c>`
const row = (r: number, cells: string): string => `<row r="${r}">${cells}</row>`
const header = row(1, text("A1", "type") + text("B1", "name"))
const xlsx = (sheets: ReadonlyArray<SheetSpec>): Uint8Array => zipSync(parts(sheets))

/** A zip archive written entry by entry, so an entry can hold pre-deflated bytes and claim any size (CRCs are left 0: no reader here checks them). */
const rawZip = (entries: ReadonlyArray<{ readonly name: string; readonly data: Uint8Array; readonly deflated?: boolean; readonly claimedSize?: number }>) => {
  const chunks: Array<Uint8Array> = []
  const directory: Array<Uint8Array> = []
  let offset = 0
  for (const entry of entries) {
    const name = strToU8(entry.name)
    const fields = (signature: number, size: number) => {
      const bytes = new Uint8Array(size + name.length)
      const view = new DataView(bytes.buffer)
      view.setUint32(0, signature, true)
      return { bytes, view }
    }
    const method = entry.deflated === true ? 8 : 0
    const claimed = entry.claimedSize ?? entry.data.length
    const local = fields(0x04034b50, 30)
    local.view.setUint16(8, method, true)
    local.view.setUint32(18, entry.data.length, true)
    local.view.setUint32(22, claimed, true)
    local.view.setUint16(26, name.length, true)
    local.bytes.set(name, 30)
    const central = fields(0x02014b50, 46)
    central.view.setUint16(10, method, true)
    central.view.setUint32(20, entry.data.length, true)
    central.view.setUint32(24, claimed, true)
    central.view.setUint16(28, name.length, true)
    central.view.setUint32(42, offset, true)
    central.bytes.set(name, 46)
    chunks.push(local.bytes, entry.data)
    directory.push(central.bytes)
    offset += local.bytes.length + entry.data.length
  }
  const directorySize = directory.reduce((sum, d) => sum + d.length, 0)
  const end = new Uint8Array(22)
  const view = new DataView(end.buffer)
  view.setUint32(0, 0x06054b50, true)
  view.setUint16(8, entries.length, true)
  view.setUint16(10, entries.length, true)
  view.setUint32(12, directorySize, true)
  view.setUint32(16, offset, true)
  const all = [...chunks, ...directory, end]
  const out = new Uint8Array(all.reduce((sum, c) => sum + c.length, 0))
  let at = 0
  for (const c of all) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/**
 * A raw deflate stream of `mebibytes` MiB of zeros, built without holding them: 1 MiB of zeros
 * deflated from a fresh state and sync-flushed (byte-aligned, referring to nothing before it),
 * repeated, then an empty final block. About 1 KB per MiB.
 */
const zerosDeflated = (mebibytes: number): Uint8Array => {
  const block = new Uint8Array(deflateRawSync(new Uint8Array(MB), { level: 9, finishFlush: constants.Z_SYNC_FLUSH }))
  const out = new Uint8Array(block.length * mebibytes + 2)
  for (let i = 0; i < mebibytes; i++) out.set(block, i * block.length)
  out.set([0x03, 0x00], block.length * mebibytes)
  return out
}

/** A workbook whose sheet is `sheet` (deflated bytes claiming `claimedSize`), its other parts stored. */
const bombed = (sheet: Uint8Array, claimedSize: number): Uint8Array => {
  const { "xl/worksheets/sheet1.xml": _, ...rest } = parts([{ name: "survey" }])
  return rawZip([
    ...Object.entries(rest).map(([name, data]) => ({ name, data })),
    { name: "xl/worksheets/sheet1.xml", data: sheet, deflated: true, claimedSize }
  ])
}

const XFORM_HEAD = `<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa"><h:head><h:title>T</h:title><model>`
const xform = (instance: string, rest = "", body = ""): string =>
  `${XFORM_HEAD}<instance><data id="hostile" version="1">${instance}</data></instance>${rest}</model></h:head><h:body>${body}</h:body></h:html>`

// --- measuring -------------------------------------------------------------------------------

interface Measure {
  readonly name: string
  readonly cpuMs: number
  readonly wallMs: number
  readonly heapMB: number
  readonly rssMB: number
}
const measures: Array<Measure> = []
afterAll(() => {
  if (process.env["HOSTILE_FORMS_REPORT"] !== undefined) console.table(measures)
})

interface Snapshot {
  readonly memory: NodeJS.MemoryUsage
  readonly cpu: NodeJS.CpuUsage
  readonly wall: number
}
const snapshot = (): Snapshot => ({ memory: process.memoryUsage(), cpu: process.cpuUsage(), wall: performance.now() })
/** This process's CPU time (user and system) since a snapshot, in milliseconds. */
const cpuMs = (since: Snapshot): number => {
  const used = process.cpuUsage(since.cpu)
  return (used.user + used.system) / 1000
}

/**
 * Records the time and memory a run took since `start` and checks the bounds: 1 s of CPU, 100 MB
 * of heap and of RSS growth. The time bound is on CPU time, which other processes on a loaded
 * machine do not stretch as they do wall time (reported too).
 */
const record = (name: string, start: Snapshot, cpu = cpuMs(start)): void => {
  const wall = performance.now() - start.wall
  const after = process.memoryUsage()
  const heap = after.heapUsed - start.memory.heapUsed
  const rss = after.rss - start.memory.rss
  measures.push({ name, cpuMs: Math.round(cpu), wallMs: Math.round(wall), heapMB: Math.round(heap / MB), rssMB: Math.round(rss / MB) })
  expect(cpu).toBeLessThan(1000)
  expect(heap).toBeLessThan(100 * MB)
  expect(rss).toBeLessThan(100 * MB)
}

/** Runs `read` once within the bounds of {@link record}. */
const bounded = <A>(name: string, read: () => A): A => {
  const start = snapshot()
  const value = read()
  record(name, start)
  return value
}

const failureOf = <A>(result: Result.Result<A, string>): string => {
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}
const successOf = <A>(result: Result.Result<A, string>): A => {
  if (Result.isFailure(result)) throw new Error(result.failure)
  return result.success
}

const iaso = createIaso({ store: MemoryStore.layer() })
afterAll(() => iaso.dispose())
let worlds = 0
const previewer = async () => {
  worlds += 1
  const setup = await iaso.accounts.setup({ name: `hostile forms ${worlds}` })
  const api = iaso.as(Actor.system(setup.account.id))
  const form = await api.forms.create({ name: "Hostile", projectIds: [setup.project.id] })
  return { api, formId: form.id }
}

/** The issues `FormVersions.preview` rejects an upload with (a `ValidationError`, or the test fails). */
const previewIssues = async (name: string, upload: { readonly xlsx: Uint8Array } | { readonly xform: string | Uint8Array }) => {
  const { api, formId } = await previewer()
  const start = snapshot()
  const refused = await api.formVersions
    .preview("xlsx" in upload ? { formId, xlsForm: { bytes: upload.xlsx, fileName: "hostile.xlsx" } } : { formId, xform: { content: upload.xform } })
    .then(
      () => undefined,
      (error: unknown) => error
    )
  record(`${name} (preview)`, start)
  expect(refused).toBeInstanceOf(ValidationError)
  return refused instanceof ValidationError ? refused.issues.map((issue) => ({ path: issue.path, message: issue.message })) : []
}

const XLS = "Invalid XLS form content: Invalid XLS file: "
const INVALID_XLS = "Invalid XLS file: "

// --- the tests -------------------------------------------------------------------------------

describe("the .xlsx reader holds hostile workbooks to its limits", () => {
  it("refuses a lone cell at ZZZZZZZ1 by maxSheetColumns, quickly and without padding to it", async () => {
    const file = xlsx([{ name: "survey", data: row(1, text("ZZZZZZZ1", "x")) }])
    const message =
      "the workbook's sheet 'survey' has a cell at column 8353082582 (ZZZZZZZ1): more than the 1000 columns a sheet may have (limit `maxSheetColumns`)"
    expect(failureOf(bounded("cell ZZZZZZZ1", () => readXlsx(file)))).toBe(message)
    expect(await previewIssues("cell ZZZZZZZ1", { xlsx: file })).toEqual([{ path: ["xlsFile"], message: `${XLS}${message}` }])
  })

  it("refuses a lone cell at A999999999 by maxSheetRows, quickly and without padding to it", async () => {
    const file = xlsx([{ name: "survey", data: row(999999999, text("A999999999", "x")) }])
    const message = "the workbook's sheet 'survey' has a cell at row 999999999: more than the 100000 rows a sheet may have (limit `maxSheetRows`)"
    expect(failureOf(bounded("cell A999999999", () => readXlsx(file)))).toBe(message)
    expect(await previewIssues("cell A999999999", { xlsx: file })).toEqual([{ path: ["xlsFile"], message: `${XLS}${message}` }])
  })

  it("lays sheets out only up to the cells holding a value (empty cells and rows far out, as LibreOffice writes them, cost nothing)", () => {
    const data = [row(1, `${text("A1", "type")}<c r="AMJ1" s="1"/><c r="XFD1"/>`), row(3, text("B3", "x")), '<row r="1048576"/>'].join("")
    const file = xlsx([{ name: "survey", data }])
    expect(successOf(bounded("empty far cells", () => readXlsx(file))).sheets).toEqual([{ name: "survey", rows: [["type"], [], [null, "x"]] }])
  })

  it("refuses more laid-out cells than maxCells, counted as rows times their width", () => {
    const rows = Array.from({ length: 1100 }, (_, i) => row(i + 1, text(`ALL${i + 1}`, "x"))).join("")
    const file = xlsx([{ name: "survey", data: rows }])
    expect(failureOf(bounded("1100 rows with a cell at column 1000", () => readXlsx(file)))).toBe(
      "the workbook's sheets lay out at least 1001000 cells: more than the 1000000 cells a workbook may have (limit `maxCells`)"
    )
  })

  it("refuses a 1 GiB entry of zeros by the size it claims, before inflating any of it", async () => {
    const file = bombed(zerosDeflated(1024), 2 ** 30)
    expect(file.length).toBeLessThan(2 * MB)
    const message =
      "the archive's entry xl/worksheets/sheet1.xml claims 1073741824 bytes uncompressed: more than the 8388608 bytes an entry may have (limit `maxEntryBytes`)"
    expect(failureOf(bounded("1 GiB of zeros, honest header", () => readXlsx(file)))).toBe(message)
    expect(await previewIssues("1 GiB of zeros, honest header", { xlsx: file })).toEqual([{ path: ["xlsFile"], message: `${XLS}${message}` }])
  })

  it("stops inflating a 1 GiB entry of zeros that claims 1 KB as soon as it passes its claim", async () => {
    const file = bombed(zerosDeflated(1024), 1024)
    const message = "not an .xlsx file (a damaged zip archive: the entry xl/worksheets/sheet1.xml inflates to more than the 1024 bytes it claims)"
    expect(failureOf(bounded("1 GiB of zeros, lying header", () => readXlsx(file)))).toBe(message)
    expect(await previewIssues("1 GiB of zeros, lying header", { xlsx: file })).toEqual([{ path: ["xlsFile"], message: `${XLS}${message}` }])
    const atLimit = bombed(zerosDeflated(1024), FORM_LIMITS.maxEntryBytes)
    expect(failureOf(bounded("1 GiB of zeros claiming maxEntryBytes", () => readXlsx(atLimit)))).toBe(
      "not an .xlsx file (a damaged zip archive: the entry xl/worksheets/sheet1.xml inflates to more than the 8388608 bytes it claims)"
    )
  })

  it("reads a deflated entry that inflates to what it claims, within maxEntryBytes", () => {
    const size = worksheet(header).length
    const sheet = new Uint8Array(deflateRawSync(worksheet(header)))
    expect(successOf(readXlsx(bombed(sheet, size))).sheets).toEqual([{ name: "survey", rows: [["type", "name"]] }])
    expect(failureOf(readXlsx(bombed(sheet, size), { ...FORM_LIMITS, maxEntryBytes: size - 1 }))).toBe(
      `the archive's entry xl/worksheets/sheet1.xml claims ${size} bytes uncompressed: more than the ${size - 1} bytes an entry may have (limit \`maxEntryBytes\`)`
    )
  })

  it("counts every inflated entry against maxUncompressedBytes", () => {
    const files = parts([{ name: "survey", data: header }])
    const read = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"].reduce((sum, name) => sum + (files[name]?.length ?? 0), 0)
    expect(failureOf(readXlsx(zipSync(files), { ...FORM_LIMITS, maxUncompressedBytes: read - 1 }))).toBe(
      `the archive's entries inflate to at least ${read} bytes: more than the ${read - 1} bytes an archive may inflate to (limit \`maxUncompressedBytes\`)`
    )
    expect(Result.isSuccess(readXlsx(zipSync(files), { ...FORM_LIMITS, maxUncompressedBytes: read }))).toBe(true)
  })

  it("refuses an archive listing more entries than maxZipEntries, and an upload over maxUploadBytes", async () => {
    const files = parts([{ name: "survey", data: header }])
    for (let i = 0; Object.keys(files).length < 1001; i++) files[`padding/${i}.txt`] = new Uint8Array(0)
    const many = zipSync(files)
    const message = "the archive lists 1001 entries: more than the 1000 entries an archive may have (limit `maxZipEntries`)"
    expect(failureOf(bounded("1001 entries", () => readXlsx(many)))).toBe(message)
    expect(await previewIssues("1001 entries", { xlsx: many })).toEqual([{ path: ["xlsFile"], message: `${XLS}${message}` }])
    const large = new Uint8Array(16 * MB + 1)
    expect(failureOf(bounded("16 MiB + 1 byte upload", () => readXlsx(large)))).toBe(
      "the file is 16777217 bytes: more than the 16777216 bytes an upload may have (limit `maxUploadBytes`)"
    )
  })

  it("refuses more shared strings than maxSharedStrings", () => {
    const files = parts([{ name: "survey", data: header }])
    files["xl/sharedStrings.xml"] = strToU8(`<sst ${SHEET_NS}>${"<si><t>s</t></si>".repeat(11)}</sst>`)
    expect(failureOf(readXlsx(zipSync(files), { ...FORM_LIMITS, maxSharedStrings: 10 }))).toBe(
      "the workbook shares 11 strings: more than the 10 strings a workbook may share (limit `maxSharedStrings`)"
    )
  })

  it("refuses a sheet nested 100,000 deep or holding 1,000,000 elements by the XML limits", () => {
    const deep = zipSync({ ...parts([{ name: "survey" }]), "xl/worksheets/sheet1.xml": strToU8(`${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}`) })
    expect(failureOf(bounded("sheet nested 100,000 deep", () => readXlsx(deep)))).toBe(
      "xl/worksheets/sheet1.xml: the XML nests elements 201 deep: more than the 200 levels an XML document may nest (limit `maxXmlDepth`)"
    )
    const wide = zipSync({ ...parts([{ name: "survey" }]), "xl/worksheets/sheet1.xml": worksheet("<row/>".repeat(1_000_000)) })
    expect(failureOf(bounded("sheet of 1,000,000 elements", () => readXlsx(wide)))).toBe(
      "xl/worksheets/sheet1.xml: the XML has at least 250001 elements: more than the 250000 elements an XML document may have (limit `maxXmlElements`)"
    )
  })
})

describe("the .xlsx and XLSForm readers are total", () => {
  it("reads a relationship targeting /__proto__ or /constructor as a missing part, and such names as sheet names", async () => {
    const file = xlsx([
      { name: "survey", target: "/__proto__" },
      { name: "constructor", target: "/constructor" },
      { name: "__proto__", data: header },
      { name: "prototype", target: "../prototype" }
    ])
    expect(successOf(bounded("/__proto__ relationship", () => readXlsx(file))).sheets).toEqual([
      { name: "survey", rows: [] },
      { name: "constructor", rows: [] },
      { name: "__proto__", rows: [["type", "name"]] },
      { name: "prototype", rows: [] }
    ])
    const message = "The survey sheet is either empty or missing important column headers."
    expect(failureOf(readXlsForm(file, "hostile.xlsx"))).toBe(`${INVALID_XLS}${message}`)
    expect(await previewIssues("/__proto__ relationship", { xlsx: file })).toEqual([{ path: ["xlsFile"], message: `${XLS}${message}` }])
  })

  it("reads an archive entry named __proto__ as the part a relationship names", () => {
    const entries = Object.entries(parts([{ name: "survey", target: "/__proto__" }])).map(([name, data]) => ({ name, data }))
    const file = rawZip([...entries, { name: "__proto__", data: worksheet(header) }])
    expect(successOf(readXlsx(file)).sheets).toEqual([{ name: "survey", rows: [["type", "name"]] }])
  })

  it("keeps constructor and __proto__ as plain data in an XLSForm's types, columns and list names", () => {
    const survey = row(1, text("A1", "type") + text("B1", "name") + text("C1", "constructor") + text("D1", "bind::__proto__"))
    const unknown = xlsx([{ name: "survey", data: survey + row(2, text("A2", "constructor") + text("B2", "q")) }])
    expect(failureOf(readXlsForm(unknown, "hostile.xlsx"))).toBe(`${INVALID_XLS}[row : 2] Unknown question type 'constructor'.`)
    const choices = row(1, text("A1", "list_name") + text("B1", "name")) + row(2, text("A2", "__proto__") + text("B2", "yes"))
    const select = xlsx([
      { name: "survey", data: survey + row(2, text("A2", "select_one __proto__") + text("B2", "q") + text("C2", "c") + text("D2", "b")) },
      { name: "choices", data: choices }
    ])
    const descriptor = successOf(readXlsForm(select, "hostile.xlsx")).descriptor
    expect(Object.getPrototypeOf(descriptor.choices)).toBe(Object.prototype)
    expect(Object.entries(descriptor.choices ?? {})).toEqual([["__proto__", [{ name: "yes" }]]])
    const question = descriptor.children?.[0]
    expect([question?.type, question?.list_name, Object.entries(question?.bind ?? {})]).toEqual(["select one", "__proto__", [["__proto__", "b"]]])
  })

  it("refuses truncated archives with a message, never an exception", async () => {
    const file = xlsx([{ name: "survey", data: header }])
    const message = "not an .xlsx file (not a zip archive: no end of central directory record)"
    expect(failureOf(bounded("truncated zip", () => readXlsx(file.subarray(0, file.length - 10))))).toBe(message)
    expect(await previewIssues("truncated zip", { xlsx: file.subarray(0, file.length - 10) })).toEqual([{ path: ["xlsFile"], message: `${XLS}${message}` }])
    // Cut at the front: the directory's offsets point past what is left.
    expect(failureOf(readXlsx(file.subarray(40)))).toBe("not an .xlsx file (a damaged zip archive: the directory's entry 1 of 4 is unreadable)")
    for (let length = 0; length < file.length; length += 7) expect(Result.isFailure(readXlsx(file.subarray(0, length)))).toBe(true)
  })

  it("answers a value or a message for single-bit flips all across a workbook, never an exception", () => {
    const file = xlsx([{ name: "survey", data: header + row(2, text("A2", "text") + text("B2", "q")) }])
    let failures = 0
    let slowest = 0
    const start = snapshot()
    for (let bit = 0; bit < file.length * 8; bit += 7) {
      const flipped = file.slice()
      flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7))
      const flip = snapshot()
      const read = readXlsForm(flipped, "flipped.xlsx")
      slowest = Math.max(slowest, cpuMs(flip))
      expect(Result.isResult(read)).toBe(true)
      if (Result.isFailure(read)) failures += 1
    }
    // The slowest flip's CPU time; wall time and memory over all the flips.
    record("bit-flipped zips (slowest flip)", start, slowest)
    expect(failures).toBeGreaterThan(0)
  })

  it("refuses a part that is not UTF-8 text", async () => {
    const files = parts([{ name: "survey" }])
    files["xl/worksheets/sheet1.xml"] = new Uint8Array([...worksheet(header).subarray(0, 20), 0xff, 0xfe, 0xc3])
    const message = "xl/worksheets/sheet1.xml is not UTF-8 text"
    expect(failureOf(bounded("invalid UTF-8 part", () => readXlsx(zipSync(files))))).toBe(message)
    expect(await previewIssues("invalid UTF-8 part", { xlsx: zipSync(files) })).toEqual([{ path: ["xlsFile"], message: `${XLS}${message}` }])
  })

  it("refuses groups nested deeper than maxFormDepth and descriptors past maxDescriptorItems", () => {
    const begins = Array.from({ length: 101 }, (_, i) => row(i + 2, text(`A${i + 2}`, "begin group") + text(`B${i + 2}`, `g${i}`))).join("")
    expect(failureOf(bounded("101 nested groups", () => readXlsForm(xlsx([{ name: "survey", data: header + begins }]), "deep.xlsx")))).toBe(
      `${INVALID_XLS}[row : 102] groups and repeats nest 101 deep here: more than the 100 levels a form may nest (limit \`maxFormDepth\`)`
    )
    const choices =
      row(1, text("A1", "list_name") + text("B1", "name")) +
      Array.from({ length: 750 }, (_, i) => row(i + 2, text(`A${i + 2}`, "l") + text(`B${i + 2}`, `c${i}`))).join("")
    const selects = Array.from({ length: 700 }, (_, i) => row(i + 2, text(`A${i + 2}`, "select_one l") + text(`B${i + 2}`, `q${i}`))).join("")
    const file = xlsx([
      { name: "survey", data: header + selects },
      { name: "choices", data: choices }
    ])
    expect(failureOf(bounded("700 selects of 750 choices", () => readXlsForm(file, "wide.xlsx")))).toBe(
      `${INVALID_XLS}[row : 667] the form's descriptor holds at least 500166 items: more than the 500000 items a form descriptor may hold (limit \`maxDescriptorItems\`)`
    )
  })
})

describe("the XML parser and the XForm reader hold hostile documents to their limits", () => {
  it("refuses XML nested 100,000 deep by maxXmlDepth, without recursion", async () => {
    const deep = `${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}`
    const message = "the XML nests elements 201 deep: more than the 200 levels an XML document may nest (limit `maxXmlDepth`)"
    expect(bounded("XML nested 100,000 deep", () => parseXml(deep))).toEqual({ error: message, overLimit: true })
    expect(failureOf(readXForm(deep))).toBe(`Invalid XForm: ${message}`)
    expect(await previewIssues("XML nested 100,000 deep", { xform: deep })).toEqual([{ path: ["xform"], message: `Invalid XForm: ${message}` }])
  })

  it("refuses XML of 1,000,000 elements by maxXmlElements before parsing it", async () => {
    const wide = xform(`<q/>${"<x/>".repeat(1_000_000)}`)
    const message = "Invalid XForm: the XML has at least 250001 elements: more than the 250000 elements an XML document may have (limit `maxXmlElements`)"
    expect(failureOf(bounded("XForm of 1,000,000 elements", () => readXForm(wide)))).toBe(message)
    expect(await previewIssues("XForm of 1,000,000 elements", { xform: wide })).toEqual([{ path: ["xform"], message }])
  })

  it("counts depth and elements as the parser does: comments, CDATA and quoted '>' are not elements", () => {
    const limits: FormLimits = { ...FORM_LIMITS, maxXmlDepth: 2, maxXmlElements: 3 }
    expect("error" in parseXml(`<?xml version="1.0"?><!-- <x><y> --><a b="<c>"><b><![CDATA[<d><e>]]></b><c/></a>`, limits)).toBe(false)
    expect(parseXml("<a><b><c/></b></a>", limits)).toEqual({
      error: "the XML nests elements 3 deep: more than the 2 levels an XML document may nest (limit `maxXmlDepth`)",
      overLimit: true
    })
    expect(parseXml("<a><b/><c/><d/></a>", limits)).toEqual({
      error: "the XML has at least 4 elements: more than the 3 elements an XML document may have (limit `maxXmlElements`)",
      overLimit: true
    })
    expect(parseXml("x".repeat(11), { ...FORM_LIMITS, maxXmlTextLength: 10 })).toEqual({
      error: "the XML is 11 characters long: more than the 10 characters an XML document may have (limit `maxXmlTextLength`)",
      overLimit: true
    })
  })

  it("keeps elements and attributes named constructor, __proto__ or toString as plain data", () => {
    const parsed = parseXml(`<constructor __proto__="p" toString="t"><prototype/><toString/></constructor>`)
    if ("error" in parsed) throw new Error(parsed.error)
    expect([parsed.name, Object.entries(parsed.attributes), parsed.content.map((c) => (typeof c === "string" ? c : c.name))]).toEqual([
      "constructor",
      [
        ["__proto__", "p"],
        ["toString", "t"]
      ],
      ["prototype", "toString"]
    ])
    const descriptor = successOf(readXForm(xform("<constructor/><toString/>", `<bind nodeset="/data/constructor" type="constructor"/>`))).descriptor
    expect(descriptor.children?.map((c) => [c.name, c.type])).toEqual([
      ["constructor", "constructor"],
      ["toString", "text"]
    ])
  })

  it("refuses invalid UTF-8 and uploads over maxUploadBytes", async () => {
    const bytes = new Uint8Array([...strToU8(xform("<q/>")).subarray(0, 40), 0xc3, 0x28, 0xff])
    expect(failureOf(bounded("invalid UTF-8 XForm", () => readXForm(bytes)))).toBe("Invalid XForm: not UTF-8 text")
    expect(await previewIssues("invalid UTF-8 XForm", { xform: bytes })).toEqual([{ path: ["xform"], message: "Invalid XForm: not UTF-8 text" }])
    expect(failureOf(readXForm(new Uint8Array(16 * MB + 1)))).toBe(
      "Invalid XForm: the file is 16777217 bytes: more than the 16777216 bytes an upload may have (limit `maxUploadBytes`)"
    )
  })

  it("refuses an instance nested deeper than maxFormDepth and choices past maxDescriptorItems", () => {
    const nested = `${"<g>".repeat(101)}<q/>${"</g>".repeat(101)}`
    expect(failureOf(bounded("XForm instance 101 groups deep", () => readXForm(xform(nested))))).toBe(
      "Invalid XForm: the primary instance nests groups and repeats 101 deep: more than the 100 levels a form may nest (limit `maxFormDepth`)"
    )
    const list = `<instance id="l"><root>${Array.from({ length: 750 }, (_, i) => `<item><name>c${i}</name></item>`).join("")}</root></instance>`
    const selects = Array.from(
      { length: 700 },
      (_, i) => `<select1 ref="/data/q${i}"><itemset nodeset="instance('l')/root/item"><value ref="name"/></itemset></select1>`
    )
    const file = xform(Array.from({ length: 700 }, (_, i) => `<q${i}/>`).join(""), list, selects.join(""))
    expect(failureOf(bounded("XForm of 700 selects of 750 choices", () => readXForm(file)))).toBe(
      "Invalid XForm: the form's descriptor holds at least 500166 items: more than the 500000 items a form descriptor may hold (limit `maxDescriptorItems`)"
    )
  })
})

const FIXTURES = "fixtures/iaso"
const fixturesAvailable = sharedAvailable(`${FIXTURES}/iaso/tests/fixtures/odk_valid_multi_select.xlsx`)

describe.skipIf(!fixturesAvailable)(`IASO's fixtures under the default limits ${fixturesAvailable ? "" : skipMessage(FIXTURES)}`, () => {
  it("reads every .xlsx and .xml fixture with no limit refusing any", () => {
    const files: Array<string> = []
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name)
        if (statSync(path).isDirectory()) walk(path)
        else if (/\.(xlsx|xml)$/.test(name)) files.push(path)
      }
    }
    walk(sharedPath(FIXTURES))
    expect(files.length).toBeGreaterThanOrEqual(60)
    const outcomes = files.map((path) => {
      const bytes = new Uint8Array(readFileSync(path))
      const read = path.endsWith(".xlsx") ? readXlsForm(bytes, path) : readXForm(bytes)
      return { path, failure: Result.isFailure(read) ? read.failure : undefined }
    })
    expect(outcomes.filter((o) => o.failure !== undefined && /\(limit `\w+`\)/.test(o.failure))).toEqual([])
    // Every XLSForm reads but the two IASO keeps as invalid; the XML files that fail are submissions and manifests, not XForms.
    expect(outcomes.filter((o) => o.path.endsWith(".xlsx") && o.failure !== undefined).map((o) => o.path.split("/").pop())).toEqual([
      "odk_form_blatantly_invalid.xlsx",
      "odk_invalid_xlsform.xlsx"
    ])
    expect(outcomes.filter((o) => o.path.endsWith(".xml") && o.failure !== undefined && !/the root element is <(?!h:html)/.test(o.failure))).toEqual([
      { path: sharedPath(`${FIXTURES}/iaso/tests/fixtures/hydro.xml`), failure: "Invalid XForm: not well-formed XML (Extra text at the end:292:1)" }
    ])
  })
})
