/**
 * XLSForm reading: the `survey`, `choices` and `settings` sheets of an `.xlsx` workbook turned into
 * a {@link FormDescriptor} shaped like pyxform's JSON (what IASO stores as `form_descriptor`):
 * groups and repeats as nested nodes, types normalised as pyxform names them (`select_one x` is
 * type `select one` with `list_name: "x"` and the list's choices as `children`; `int` is
 * `integer`...), multilingual columns (`label::English (en)`) as `{ "English (en)": ... }`,
 * `bind`/`control` columns grouped, and `meta/instanceID` appended.
 *
 * Errors carry IASO's prefix (`Invalid XLS file: ...`) and, for a missing or empty survey sheet,
 * its exact message. This is not pyxform: the XForm XML is not generated, and the static lint
 * IASO runs before pyxform (duplicate names across groups, unknown `${}` references...) is not
 * reproduced; structural errors pyxform raises (unknown type, unmatched begin/end, a select
 * without its list, an invalid or duplicated name in one group) are.
 *
 * Reading is bounded by {@link FormLimits}: the workbook's (see `readXlsx`), then the nesting of
 * groups and repeats (`maxFormDepth`) and the descriptor's size (`maxDescriptorItems`: a list's
 * choices count once per question that lists it). Names from the file (types, columns, list
 * names, languages) are looked up and stored as plain data.
 * @module
 */
import { Result } from "effect"
import type { DescriptorLabel, DescriptorNode, FormDescriptor } from "./descriptor.ts"
import { descriptorBudget, exceeded, FORM_LIMITS, type FormLimits, labelItems } from "./limits.ts"
import { type CellValue, readXlsx, type Sheet } from "./xlsx.ts"

/** What reading an XLSForm gives. */
export interface ParsedXlsForm {
  readonly descriptor: FormDescriptor
  /** `settings.form_id`, else the file name without its extension (pyxform's rule). */
  readonly formId: string
  /** `settings.version` as written, `undefined` when empty (IASO then generates one). */
  readonly version: string | undefined
  readonly title: string
}

/** The message IASO answers for a workbook without a usable survey sheet. */
export const EMPTY_SURVEY_MESSAGE = "The survey sheet is either empty or missing important column headers."

const PREFIX = "Invalid XLS file: "

/** The file name without folders and extension (`forms/a.b.xlsx` -> `a.b`). */
export const fileStem = (fileName: string): string => {
  const base = fileName.split(/[\\/]/).pop() ?? fileName
  const dot = base.lastIndexOf(".")
  return dot > 0 ? base.slice(0, dot) : base
}

/** A cell as pyxform reads it: text trimmed with runs of spaces collapsed; integral numbers without a decimal point. */
const cellText = (value: CellValue | undefined): string => {
  if (value === null || value === undefined) return ""
  if (typeof value === "boolean") return value ? "true" : "false"
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(0) : String(value)
  return value.trim().replace(/ {2,}/g, " ")
}

/**
 * A lookup table of fixed names: a `Map`, so a name read from a file (`constructor`,
 * `__proto__`) is looked up as data, never found on `Object.prototype`.
 */
const table = (entries: Readonly<Record<string, string>>): ReadonlyMap<string, string> => new Map(Object.entries(entries))

/** Header spellings pyxform accepts for one column, by lower-case spelling. */
const COLUMN_ALIASES = table({
  "list name": "list_name",
  "constraint message": "constraint_message",
  constraint_message: "constraint_message",
  "required message": "required_message",
  required_message: "required_message",
  "read only": "readonly",
  read_only: "readonly",
  "choice filter": "choice_filter",
  "repeat count": "repeat_count",
  relevance: "relevant",
  "default value": "default",
  id_string: "form_id",
  "form id": "form_id",
  "form title": "form_title",
  "default language": "default_language"
})

/** Columns that become `bind` entries, by column name. */
const BIND_COLUMNS = table({
  required: "required",
  relevant: "relevant",
  constraint: "constraint",
  calculation: "calculate",
  readonly: "readonly",
  constraint_message: "jr:constraintMsg",
  required_message: "jr:requiredMsg"
})

/** Columns that become `control` entries. */
const CONTROL_COLUMNS = table({
  appearance: "appearance",
  repeat_count: "jr:count"
})

/** Simple question types, by lower-case spelling, and pyxform's name for each. */
const SIMPLE_TYPES = table({
  text: "text",
  string: "text",
  integer: "integer",
  int: "integer",
  decimal: "decimal",
  range: "range",
  date: "date",
  time: "time",
  datetime: "dateTime",
  geopoint: "geopoint",
  gps: "geopoint",
  location: "geopoint",
  "start-geopoint": "start-geopoint",
  geotrace: "geotrace",
  geoshape: "geoshape",
  image: "photo",
  photo: "photo",
  audio: "audio",
  "background-audio": "background-audio",
  video: "video",
  file: "file",
  barcode: "barcode",
  note: "note",
  calculate: "calculate",
  acknowledge: "acknowledge",
  trigger: "acknowledge",
  hidden: "hidden",
  start: "start",
  end: "end",
  today: "today",
  deviceid: "deviceid",
  imei: "deviceid",
  subscriberid: "subscriberid",
  simserial: "simserial",
  phonenumber: "phonenumber",
  username: "username",
  email: "email",
  audit: "audit",
  "xml-external": "xml-external",
  "csv-external": "csv-external"
})

/** Select types by their lower-case first word(s), and pyxform's name. */
const SELECT_TYPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(?:select_one|select one|select1|select_one_from_file|select one from file|select_one_external)$/, "select one"],
  [/^(?:select_multiple|select multiple|select all that apply|select_multiple_from_file|select multiple from file)$/, "select all that apply"],
  [/^rank$/, "rank"]
]

/** A valid XML element name (no namespace prefix), as pyxform requires of names. */
const NAME_PATTERN = /^[\p{L}_][\p{L}\p{N}_.-]*$/u

type QuestionType =
  | { readonly kind: "begin"; readonly container: "group" | "repeat" }
  | { readonly kind: "end"; readonly container: "group" | "repeat" }
  | { readonly kind: "select"; readonly type: string; readonly listName: string }
  | { readonly kind: "simple"; readonly type: string }

const parseType = (raw: string): QuestionType | undefined => {
  const text = raw.trim().replace(/\s+/g, " ").toLowerCase()
  const container = /^(begin|end)[ _](group|repeat)$/.exec(text)
  if (container !== null) {
    return { kind: container[1] === "begin" ? "begin" : "end", container: container[2] === "repeat" ? "repeat" : "group" }
  }
  const simple = SIMPLE_TYPES.get(text)
  if (simple !== undefined) return { kind: "simple", type: simple }
  // `select_one list`, `select one from list`, `select_multiple list or_other`: keep the list name's case.
  const original = raw.trim().replace(/\s+/g, " ")
  const select = /^(.*?)(?: from)? (\S+)(?: or_other)?$/i.exec(original)
  if (select !== null && select[1] !== undefined && select[2] !== undefined) {
    const head = select[1].toLowerCase()
    for (const [pattern, type] of SELECT_TYPES) if (pattern.test(head)) return { kind: "select", type, listName: select[2] }
  }
  return undefined
}

/** A column of a sheet: its base name (lower-case, aliases resolved) and language, if any. */
interface Column {
  readonly index: number
  readonly base: string
  readonly language?: string
  /** `bind` / `control` / `media` for prefixed columns (`bind::relevant`, `media::image`). */
  readonly section?: "bind" | "control" | "media"
}

const readColumns = (header: ReadonlyArray<CellValue>): ReadonlyArray<Column> => {
  const columns: Array<Column> = []
  header.forEach((cell, index) => {
    const text = cellText(cell)
    if (text === "") return
    let rest = text
    let section: Column["section"]
    const prefixed = /^(bind|control|body|media)::?(.+)$/i.exec(rest)
    if (prefixed !== null && prefixed[1] !== undefined && prefixed[2] !== undefined) {
      const kind = prefixed[1].toLowerCase()
      section = kind === "bind" ? "bind" : kind === "media" ? "media" : "control"
      rest = prefixed[2]
    }
    const split = rest.indexOf("::")
    const baseText = (split === -1 ? rest : rest.slice(0, split)).trim().toLowerCase()
    const language = split === -1 ? undefined : rest.slice(split + 2).trim()
    const base = COLUMN_ALIASES.get(baseText) ?? baseText
    columns.push({ index, base, ...(language === undefined || language === "" ? {} : { language }), ...(section === undefined ? {} : { section }) })
  })
  return columns
}

type MutableNode = {
  name: string
  type: string
  label?: DescriptorLabel
  hint?: DescriptorLabel
  bind?: Record<string, string>
  control?: Record<string, unknown>
  media?: Record<string, DescriptorLabel>
  list_name?: string
  default?: string
  choice_filter?: string
  parameters?: string
  trigger?: string
  children?: Array<DescriptorNode>
}

/** A row's values: plain columns by base name, translatable ones by language. */
interface RowValues {
  readonly plain: ReadonlyMap<string, string>
  readonly translated: ReadonlyMap<string, ReadonlyMap<string, string>>
  readonly bind: ReadonlyMap<string, string>
  readonly control: ReadonlyMap<string, string>
  readonly media: ReadonlyMap<string, ReadonlyMap<string, string>>
}

/** Columns whose values may be given per language. */
const TRANSLATABLE = new Set(["label", "hint", "guidance_hint", "constraint_message", "required_message", "image", "audio", "video", "big-image"])

/** A row's values by column (`columns` are in sheet order, so the row's end ends the loop). */
const rowValues = (columns: ReadonlyArray<Column>, row: ReadonlyArray<CellValue>): RowValues => {
  const plain = new Map<string, string>()
  const translated = new Map<string, Map<string, string>>()
  const bind = new Map<string, string>()
  const control = new Map<string, string>()
  const media = new Map<string, Map<string, string>>()
  for (const column of columns) {
    if (column.index >= row.length) break
    const value = cellText(row[column.index])
    if (value === "") continue
    if (column.section === "bind") bind.set(column.base, value)
    else if (column.section === "control") control.set(column.base, value)
    else if (column.section === "media") {
      const byLanguage = media.get(column.base) ?? new Map<string, string>()
      byLanguage.set(column.language ?? "", value)
      media.set(column.base, byLanguage)
    } else if (TRANSLATABLE.has(column.base)) {
      const byLanguage = translated.get(column.base) ?? new Map<string, string>()
      byLanguage.set(column.language ?? "", value)
      translated.set(column.base, byLanguage)
    } else plain.set(column.base, value)
  }
  return { plain, translated, bind, control, media }
}

/** One text, or one text per language (a column without language counts as `defaultLanguage`). */
const labelOf = (byLanguage: ReadonlyMap<string, string> | undefined, defaultLanguage: string): DescriptorLabel | undefined => {
  if (byLanguage === undefined || byLanguage.size === 0) return undefined
  const only = byLanguage.get("")
  if (byLanguage.size === 1 && only !== undefined) return only
  return Object.fromEntries([...byLanguage].map(([language, text]) => [language === "" ? defaultLanguage : language, text]))
}

const BOOLEAN_BINDS = new Set(["required", "readonly"])

/** pyxform writes yes/true/1 as `true()` and no/false/0 as `false()` for required and read-only. */
const bindValue = (key: string, value: string): string => {
  if (!BOOLEAN_BINDS.has(key)) return value
  const lower = value.toLowerCase()
  if (["yes", "true", "1", "true()"].includes(lower)) return "true()"
  if (["no", "false", "0", "false()"].includes(lower)) return "false()"
  return value
}

const sheetNamed = (sheets: ReadonlyArray<Sheet>, name: string): Sheet | undefined => sheets.find((sheet) => sheet.name.trim().toLowerCase() === name)

const isBlankRow = (row: ReadonlyArray<CellValue>): boolean => row.every((cell) => cellText(cell) === "")

/** The choice lists of the `choices` sheet, by list name, in sheet order. */
const readChoices = (sheet: Sheet | undefined, defaultLanguage: string): Result.Result<ReadonlyMap<string, ReadonlyArray<DescriptorNode>>, string> => {
  const lists = new Map<string, Array<DescriptorNode>>()
  if (sheet === undefined) return Result.succeed(lists)
  const [header, ...rows] = sheet.rows
  if (header === undefined) return Result.succeed(lists)
  const columns = readColumns(header)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] ?? []
    if (isBlankRow(row)) continue
    const values = rowValues(columns, row)
    const listName = values.plain.get("list_name")
    if (listName === undefined) continue
    const name = values.plain.get("name")
    if (name === undefined) return Result.fail(`${PREFIX}[row : ${i + 2}] On the choices sheet there is an option with no name (list '${listName}').`)
    const label = labelOf(values.translated.get("label"), defaultLanguage)
    const list = lists.get(listName) ?? []
    list.push({ name, ...(label === undefined ? {} : { label }) })
    lists.set(listName, list)
  }
  return Result.succeed(lists)
}

/** The first data row of the `settings` sheet, by column. */
const readSettings = (sheet: Sheet | undefined): ReadonlyMap<string, string> => {
  const settings = new Map<string, string>()
  if (sheet === undefined) return settings
  const [header, ...rows] = sheet.rows
  if (header === undefined) return settings
  const first = rows.find((row) => !isBlankRow(row)) ?? []
  for (const column of readColumns(header)) {
    const value = cellText(first[column.index])
    if (value !== "") settings.set(column.base, value)
  }
  return settings
}

interface Frame {
  readonly node: MutableNode & { children: Array<DescriptorNode> }
  readonly container: "survey" | "group" | "repeat"
  readonly row: number
  readonly names: Set<string>
}

/**
 * Reads an XLSForm workbook (`.xlsx` bytes) into a form descriptor. `fileName` gives the form id
 * when the settings sheet has none (pyxform uses the file name without extension). The workbook
 * is read within `limits` (default {@link FORM_LIMITS}). Fails with IASO's message
 * (`Invalid XLS file: ...`), a limit exceeded included (its message names the limit); never throws.
 */
export const readXlsForm = (bytes: Uint8Array, fileName: string, limits: FormLimits = FORM_LIMITS): Result.Result<ParsedXlsForm, string> => {
  const workbook = readXlsx(bytes, limits)
  if (Result.isFailure(workbook)) return Result.fail(`${PREFIX}${workbook.failure}`)
  const sheets = workbook.success.sheets
  const settings = readSettings(sheetNamed(sheets, "settings"))
  const stem = fileStem(fileName)
  const formId = settings.get("form_id") ?? stem
  const title = settings.get("form_title") ?? stem
  const defaultLanguage = settings.get("default_language") ?? "default"
  const survey = sheetNamed(sheets, "survey")
  if (survey === undefined) return Result.fail(`${PREFIX}${EMPTY_SURVEY_MESSAGE}`)
  const headerIndex = survey.rows.findIndex((row) => !isBlankRow(row))
  const header = headerIndex === -1 ? undefined : survey.rows[headerIndex]
  if (header === undefined) return Result.fail(`${PREFIX}${EMPTY_SURVEY_MESSAGE}`)
  const columns = readColumns(header)
  if (!columns.some((c) => c.base === "type") || !columns.some((c) => c.base === "name")) return Result.fail(`${PREFIX}${EMPTY_SURVEY_MESSAGE}`)
  const choices = readChoices(sheetNamed(sheets, "choices"), defaultLanguage)
  if (Result.isFailure(choices)) return Result.fail(choices.failure)

  const root: Frame = {
    node: { name: settings.get("name") ?? "data", type: "survey", children: [] },
    container: "survey",
    row: 0,
    names: new Set()
  }
  const stack: Array<Frame> = [root]
  const budget = descriptorBudget(limits)
  /** A list's items in the descriptor (its choices and their labels' texts), counted once per list. */
  const listItems = new Map<string, number>()
  let questions = 0
  for (let i = headerIndex + 1; i < survey.rows.length; i++) {
    const rowNumber = i + 1
    const row = survey.rows[i] ?? []
    if (isBlankRow(row)) continue
    const values = rowValues(columns, row)
    const rawType = values.plain.get("type")
    const name = values.plain.get("name")
    const fail = (message: string) => Result.fail(`${PREFIX}[row : ${rowNumber}] ${message}`)
    if (rawType === undefined) {
      if (name !== undefined) return fail("Question with no type.")
      continue
    }
    const type = parseType(rawType)
    if (type === undefined) return fail(`Unknown question type '${rawType}'.`)
    const top = stack[stack.length - 1] ?? root
    if (type.kind === "end") {
      if (top.container !== type.container) return fail(`Unmatched 'end ${type.container}'. No matching 'begin ${type.container}' was found.`)
      stack.pop()
      continue
    }
    if (name === undefined) return fail("Question or group with no name.")
    if (!NAME_PATTERN.test(name)) {
      return fail(
        `Invalid question name '${name}'. Names must begin with a letter or an underscore and hold only letters, digits, hyphens, underscores and periods.`
      )
    }
    const key = name.toLowerCase()
    if (top.names.has(key)) return fail(`There is more than one survey element named '${name}' (case-insensitive) in the section named '${top.node.name}'.`)
    top.names.add(key)
    questions += 1
    const node: MutableNode = { name, type: type.kind === "begin" ? type.container : type.type }
    const label = labelOf(values.translated.get("label"), defaultLanguage)
    if (label !== undefined) node.label = label
    const hint = labelOf(values.translated.get("hint"), defaultLanguage)
    if (hint !== undefined) node.hint = hint
    const overItems = budget.spend(1 + labelItems(label) + labelItems(hint))
    if (overItems !== undefined) return fail(overItems)
    const bind = new Map<string, string>()
    for (const [column, value] of values.plain) {
      const bindKey = BIND_COLUMNS.get(column)
      if (bindKey !== undefined) bind.set(bindKey, bindValue(column, value))
    }
    for (const [column, value] of values.bind) bind.set(BIND_COLUMNS.get(column) ?? column, bindValue(column, value))
    for (const column of ["constraint_message", "required_message"] as const) {
      const text = labelOf(values.translated.get(column), defaultLanguage)
      if (typeof text === "string") bind.set(BIND_COLUMNS.get(column) ?? column, text)
    }
    if (bind.size > 0) node.bind = Object.fromEntries(bind)
    const control = new Map<string, string>()
    for (const [column, value] of values.plain) {
      const controlKey = CONTROL_COLUMNS.get(column)
      if (controlKey !== undefined) control.set(controlKey, value)
    }
    for (const [column, value] of values.control) control.set(CONTROL_COLUMNS.get(column) ?? column, value)
    if (control.size > 0) node.control = Object.fromEntries(control)
    const media = new Map<string, DescriptorLabel>()
    for (const kind of ["image", "audio", "video", "big-image"] as const) {
      const value = labelOf(values.translated.get(kind) ?? values.media.get(kind), defaultLanguage)
      if (value !== undefined) media.set(kind, value)
    }
    if (media.size > 0) node.media = Object.fromEntries(media)
    for (const column of ["default", "choice_filter", "parameters", "trigger"] as const) {
      const value = values.plain.get(column)
      if (value !== undefined) node[column] = value
    }
    if (type.kind === "select") {
      const list = choices.success.get(type.listName)
      if (list === undefined) return fail(`List name not in choices sheet: ${type.listName}`)
      const items = listItems.get(type.listName) ?? list.reduce((sum, choice) => sum + 1 + labelItems(choice.label), 0)
      listItems.set(type.listName, items)
      const overChoices = budget.spend(items)
      if (overChoices !== undefined) return fail(overChoices)
      node.list_name = type.listName
      node.children = [...list]
    }
    if (node.type === "calculate" && node.bind?.["calculate"] === undefined) return fail("Missing calculation.")
    if (type.kind === "begin") {
      if (stack.length > limits.maxFormDepth) {
        return fail(exceeded(`groups and repeats nest ${stack.length} deep here`, limits, "maxFormDepth", "levels a form may nest"))
      }
      const frame: Frame = { node: { ...node, children: [] }, container: type.container, row: rowNumber, names: new Set() }
      top.node.children.push(frame.node)
      stack.push(frame)
    } else top.node.children.push(node)
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]
    return Result.fail(
      `${PREFIX}[row : ${open?.row ?? 0}] Unmatched 'begin ${open?.container ?? "group"}'. No matching 'end ${open?.container ?? "group"}' was found for the name '${open?.node.name ?? ""}'.`
    )
  }
  if (questions === 0) return Result.fail(`${PREFIX}${EMPTY_SURVEY_MESSAGE}`)
  const hasInstanceId = root.node.children.some((c) => c.name === "meta" && c.type === "group" && (c.children ?? []).some((m) => m.name === "instanceID"))
  if (!hasInstanceId) {
    root.node.children.push({
      name: "meta",
      type: "group",
      control: { bodyless: true },
      children: [{ name: "instanceID", type: "calculate", bind: { readonly: "true()", "jr:preload": "uid" } }]
    })
  }
  const version = settings.get("version")
  const allChoices: Record<string, ReadonlyArray<DescriptorNode>> = Object.fromEntries(choices.success)
  const descriptor: FormDescriptor = {
    name: root.node.name,
    type: "survey",
    title,
    id_string: formId,
    sms_keyword: formId,
    default_language: defaultLanguage,
    ...(version === undefined ? {} : { version }),
    children: root.node.children,
    ...(Object.keys(allChoices).length === 0 ? {} : { choices: allChoices })
  }
  return Result.succeed({ descriptor, formId, version, title })
}
