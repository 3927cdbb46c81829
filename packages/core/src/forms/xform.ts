/**
 * XForm reading: an ODK XForm (the XML devices fill, e.g. what pyxform generates) turned into a
 * {@link FormDescriptor} shaped like pyxform's JSON, so a version uploaded as an XForm has the same
 * questions by name and by path as one uploaded as an XLSForm. The form id and version come from
 * the primary instance's root (`<data id="..." version="...">`), the tree from that instance,
 * types from the binds and body controls, labels from the body (resolving `jr:itext` translations
 * into `{ language: text }`), and select choices from `<item>`s or from the secondary instance an
 * `<itemset>` names.
 *
 * {@link readXForm} is total (a value or a message for any text or bytes) and bounded by
 * {@link FormLimits}: the XML's size, depth and element count, the form's nesting and the
 * descriptor's size; a translated label is looked up by its itext id, never by scanning every
 * translation, and names read from the file are data (lookups go through `Map`s).
 * @module
 */
import { Result } from "effect"
import type { DescriptorLabel, DescriptorNode, FormDescriptor } from "./descriptor.ts"
import { descriptorBudget, exceeded, FORM_LIMITS, type FormLimits, labelItems } from "./limits.ts"
import { attribute, child, children, elements, localName, parseXml, textOf, type XmlElement } from "./xml.ts"

/** What reading an XForm gives. */
export interface ParsedXForm {
  readonly descriptor: FormDescriptor
  /** The primary instance root's `id` attribute. */
  readonly formId: string
  /** The primary instance root's `version` attribute, `undefined` when absent or empty. */
  readonly version: string | undefined
  readonly title: string
}

const PREFIX = "Invalid XForm: "

/** XForm bind types and pyxform's question type for each. */
const BIND_TYPES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    string: "text",
    int: "integer",
    integer: "integer",
    decimal: "decimal",
    date: "date",
    time: "time",
    dateTime: "dateTime",
    geopoint: "geopoint",
    geotrace: "geotrace",
    geoshape: "geoshape",
    barcode: "barcode",
    boolean: "acknowledge"
  })
)

/** `jr:preload` / `jr:preloadParams` pairs and the metadata question type each is. */
const PRELOADS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    "timestamp start": "start",
    "timestamp end": "end",
    "date today": "today",
    "property deviceid": "deviceid",
    "property subscriberid": "subscriberid",
    "property simserial": "simserial",
    "property phonenumber": "phonenumber",
    "property username": "username",
    "property email": "email",
    "uid ": "calculate"
  })
)

const trimText = (text: string): string => text.trim().replace(/\s+/g, " ")

/** The texts of every translation: language -> (itext id -> text). */
const readTranslations = (model: XmlElement): ReadonlyMap<string, ReadonlyMap<string, string>> => {
  const out = new Map<string, Map<string, string>>()
  const itext = child(model, "itext")
  if (itext === undefined) return out
  for (const translation of children(itext, "translation")) {
    const language = attribute(translation, "lang") ?? "default"
    const texts = new Map<string, string>()
    for (const text of children(translation, "text")) {
      const id = attribute(text, "id")
      if (id === undefined) continue
      const values = children(text, "value")
      const plain = values.find((v) => attribute(v, "form") === undefined) ?? values[0]
      if (plain !== undefined) texts.set(id, trimText(textOf(plain)))
    }
    out.set(language, texts)
  }
  return out
}

/** Every itext id's texts as a label (language -> text, in translation order), built once. */
const itextLabels = (translations: ReadonlyMap<string, ReadonlyMap<string, string>>): ReadonlyMap<string, DescriptorLabel> => {
  const byId = new Map<string, Map<string, string>>()
  for (const [language, texts] of translations) {
    for (const [id, text] of texts) {
      const label = byId.get(id) ?? new Map<string, string>()
      label.set(language, text)
      byId.set(id, label)
    }
  }
  return new Map([...byId].map(([id, label]) => [id, Object.fromEntries(label)] as const))
}

/** Reads `<label>`/`<hint>`: plain text, or its `jr:itext('id')` texts by language. */
const readLabel = (element: XmlElement | undefined, itexts: ReadonlyMap<string, DescriptorLabel>): DescriptorLabel | undefined => {
  if (element === undefined) return undefined
  const ref = attribute(element, "ref")
  const itext = ref === undefined ? undefined : /^jr:itext\(\s*'([^']*)'\s*\)$/.exec(ref.trim())?.[1]
  if (itext !== undefined) return itexts.get(itext)
  const text = trimText(textOf(element))
  return text === "" ? undefined : text
}

/** A body control: what kind of widget, and its element. */
interface Control {
  readonly kind: string
  readonly element: XmlElement
}

/** Every body control by the path it binds (`ref` or `nodeset`, made relative to the root). */
const readControls = (body: XmlElement | undefined, rootName: string): ReadonlyMap<string, Control> => {
  const out = new Map<string, Control>()
  const walk = (element: XmlElement, context: string): void => {
    for (const control of elements(element)) {
      const kind = localName(control.name)
      if (kind === "label" || kind === "hint" || kind === "item" || kind === "itemset") continue
      const ref = attribute(control, "ref") ?? attribute(control, "nodeset")
      const path = ref === undefined ? context : relativePath(ref, rootName, context)
      if (ref !== undefined && !(kind === "group" && out.get(path)?.kind === "repeat")) out.set(path, { kind, element: control })
      if (kind === "group" || kind === "repeat") walk(control, path)
    }
  }
  if (body !== undefined) walk(body, "")
  return out
}

/** `/data/grp/q` -> `grp/q`; a relative ref is resolved against the enclosing group's path. */
const relativePath = (ref: string, rootName: string, context: string): string => {
  const trimmed = ref.trim()
  if (trimmed.startsWith("/")) {
    const parts = trimmed.split("/").filter((p) => p.length > 0)
    if (parts[0] === rootName) parts.shift()
    return parts.join("/")
  }
  return context === "" ? trimmed : `${context}/${trimmed}`
}

/** The items of a secondary instance (`<root><item>...</item></root>`), each as its child texts. */
const readSecondary = (instance: XmlElement): ReadonlyArray<ReadonlyMap<string, string>> => {
  const root = elements(instance)[0]
  if (root === undefined) return []
  return elements(root).map((item) => new Map(elements(item).map((field) => [localName(field.name), trimText(textOf(field))] as const)))
}

/** A choice of a select question. */
const choice = (name: string, label: DescriptorLabel | undefined): DescriptorNode => (label === undefined ? { name } : { name, label })

/**
 * The label of every body group by the path it binds (a path bound twice: the last group's), for
 * repeats' labels, read in one walk of the body.
 */
const readGroupLabels = (body: XmlElement | undefined, rootName: string): ReadonlyMap<string, XmlElement> => {
  const out = new Map<string, XmlElement>()
  const search = (element: XmlElement, context: string): void => {
    for (const group of children(element, "group")) {
      const ref = attribute(group, "ref")
      const path = ref === undefined ? context : relativePath(ref, rootName, context)
      const label = child(group, "label")
      if (label !== undefined) out.set(path, label)
      search(group, path)
    }
  }
  if (body !== undefined) search(body, "")
  return out
}

type MutableNode = {
  name: string
  type: string
  label?: DescriptorLabel
  hint?: DescriptorLabel
  bind?: Record<string, string>
  control?: Record<string, unknown>
  list_name?: string
  children?: Array<DescriptorNode>
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Reads an XForm (XML text or UTF-8 bytes) into a form descriptor, within `limits` (default
 * {@link FORM_LIMITS}). Fails with `Invalid XForm: ...`, a limit exceeded included (its message
 * names the limit); never throws.
 */
export const readXForm = (input: string | Uint8Array, limits: FormLimits = FORM_LIMITS): Result.Result<ParsedXForm, string> => {
  try {
    return readDocument(input, limits)
  } catch (error) {
    // Every known failure is a value below; this keeps the reader total for what was not foreseen.
    return Result.fail(`${PREFIX}could not be read (${error instanceof Error ? error.message : String(error)})`)
  }
}

const readDocument = (input: string | Uint8Array, limits: FormLimits): Result.Result<ParsedXForm, string> => {
  if (typeof input !== "string" && input.length > limits.maxUploadBytes) {
    return Result.fail(`${PREFIX}${exceeded(`the file is ${input.length} bytes`, limits, "maxUploadBytes", "bytes an upload may have")}`)
  }
  let text: string
  try {
    text = typeof input === "string" ? input : utf8.decode(input)
  } catch {
    return Result.fail(`${PREFIX}not UTF-8 text`)
  }
  const parsed = parseXml(text.replace(/^\uFEFF/, ""), limits)
  if ("error" in parsed) return Result.fail(parsed.overLimit ? `${PREFIX}${parsed.error}` : `${PREFIX}not well-formed XML (${parsed.error})`)
  if (localName(parsed.name) !== "html") return Result.fail(`${PREFIX}the root element is <${parsed.name}>, not <h:html>`)
  const head = child(parsed, "head")
  const model = head === undefined ? undefined : child(head, "model")
  if (head === undefined || model === undefined) return Result.fail(`${PREFIX}no <h:head><model> element`)
  const titleElement = child(head, "title")
  const title = titleElement === undefined ? "" : trimText(textOf(titleElement))
  const instances = children(model, "instance")
  const primary = instances.find((i) => attribute(i, "id") === undefined) ?? instances[0]
  const data = primary === undefined ? undefined : elements(primary)[0]
  if (data === undefined) return Result.fail(`${PREFIX}no primary instance`)
  const formId = attribute(data, "id")
  if (formId === undefined || formId.trim() === "")
    return Result.fail(`${PREFIX}the primary instance's root element <${data.name}> has no id attribute (the form id)`)
  const versionAttribute = attribute(data, "version")?.trim()
  const version = versionAttribute === undefined || versionAttribute === "" ? undefined : versionAttribute
  const rootName = localName(data.name)
  const itexts = itextLabels(readTranslations(model))
  const secondary = new Map<string, ReadonlyArray<ReadonlyMap<string, string>>>()
  for (const instance of instances) {
    const id = attribute(instance, "id")
    if (id !== undefined && instance !== primary) secondary.set(id, readSecondary(instance))
  }
  const binds = new Map<string, XmlElement>()
  for (const bind of children(model, "bind")) {
    const nodeset = attribute(bind, "nodeset")
    if (nodeset !== undefined) binds.set(relativePath(nodeset, rootName, ""), bind)
  }
  const body = child(parsed, "body")
  const controls = readControls(body, rootName)
  const groupLabels = readGroupLabels(body, rootName)
  const budget = descriptorBudget(limits)
  /** The first limit the walk below exceeded; once set, the walk stops. */
  let overLimit: string | undefined
  /** Counts items added to the descriptor; `false` once `maxDescriptorItems` is exceeded. */
  const spend = (items: number): boolean => {
    overLimit ??= budget.spend(items)
    return overLimit === undefined
  }

  /** An itemset's choices (and their labels' texts), built once per list, value and label reference: selects share them. */
  const itemsets = new Map<string, { readonly choices: ReadonlyArray<DescriptorNode>; readonly texts: number }>()
  const itemsetChoices = (listName: string, valueField: string, labelRef: string | undefined) => {
    const key = JSON.stringify([listName, valueField, labelRef ?? null])
    const known = itemsets.get(key)
    if (known !== undefined) return known
    const itextField = labelRef === undefined ? undefined : /^jr:itext\(\s*([\w.-]+)\s*\)$/.exec(labelRef.trim())?.[1]
    const choices = (secondary.get(listName) ?? []).map((item) => {
      let label: DescriptorLabel | undefined
      if (itextField !== undefined) {
        const id = item.get(itextField)
        label = id === undefined ? undefined : itexts.get(id)
      } else {
        const text = item.get(labelRef ?? "label")
        label = text === undefined || text === "" ? undefined : text
      }
      return choice(item.get(valueField) ?? "", label)
    })
    const built = { choices, texts: choices.reduce((sum, c) => sum + labelItems(c.label), 0) }
    itemsets.set(key, built)
    return built
  }

  /** A select's choices, counted against `maxDescriptorItems` before they are built or shared. */
  const choicesOf = (control: XmlElement): { readonly listName?: string; readonly choices: ReadonlyArray<DescriptorNode> } => {
    const items = children(control, "item")
    if (items.length > 0) {
      const choices: Array<DescriptorNode> = []
      for (const item of items) {
        const label = readLabel(child(item, "label"), itexts)
        if (!spend(1 + labelItems(label))) break
        choices.push(choice(trimText(textOf(child(item, "value") ?? item)), label))
      }
      return { choices }
    }
    const itemset = child(control, "itemset")
    const nodeset = itemset === undefined ? undefined : attribute(itemset, "nodeset")
    const listName = nodeset === undefined ? undefined : /instance\(\s*'([^']*)'\s*\)/.exec(nodeset)?.[1]
    if (itemset === undefined || listName === undefined) return { choices: [] }
    if (!spend(secondary.get(listName)?.length ?? 0)) return { listName, choices: [] }
    const valueField = attribute(child(itemset, "value") ?? itemset, "ref") ?? "name"
    const labelElement = child(itemset, "label")
    const { choices, texts } = itemsetChoices(listName, valueField, labelElement === undefined ? undefined : attribute(labelElement, "ref"))
    return spend(texts) ? { listName, choices } : { listName, choices: [] }
  }

  const leafType = (bind: XmlElement | undefined, control: Control | undefined): string => {
    const preload = bind === undefined ? undefined : attribute(bind, "preload")
    if (preload !== undefined) {
      const type = PRELOADS.get(`${preload} ${bind === undefined ? "" : (attribute(bind, "preloadParams") ?? "")}`)
      if (type !== undefined) return type
    }
    if (bind !== undefined && attribute(bind, "calculate") !== undefined) return "calculate"
    const bindType = bind === undefined ? undefined : attribute(bind, "type")
    if (control !== undefined) {
      switch (control.kind) {
        case "select1":
          return "select one"
        case "select":
          return "select all that apply"
        case "rank":
          return "rank"
        case "trigger":
          return "acknowledge"
        case "range":
          return "range"
        case "upload": {
          const media = attribute(control.element, "mediatype") ?? ""
          return media.startsWith("image") ? "photo" : media.startsWith("audio") ? "audio" : media.startsWith("video") ? "video" : "file"
        }
        case "input":
          if (bind !== undefined && attribute(bind, "readonly") === "true()" && (bindType === undefined || bindType === "string")) return "note"
      }
    }
    return bindType === undefined ? "text" : (BIND_TYPES.get(localName(bindType)) ?? localName(bindType))
  }

  const bindEntries = (bind: XmlElement | undefined): Record<string, string> | undefined => {
    if (bind === undefined) return undefined
    const entries = Object.entries(bind.attributes).filter(([key]) => key !== "nodeset" && key !== "type")
    return entries.length === 0 ? undefined : Object.fromEntries(entries)
  }

  /** The questions under an instance element, `depth` groups and repeats deep. */
  const walk = (element: XmlElement, prefix: string, depth: number): Array<DescriptorNode> => {
    const out: Array<DescriptorNode> = []
    if (depth > limits.maxFormDepth) {
      overLimit ??= exceeded(`the primary instance nests groups and repeats ${depth} deep`, limits, "maxFormDepth", "levels a form may nest")
      return out
    }
    const nodes = elements(element)
    const templated = new Set(nodes.filter((n) => attribute(n, "template") !== undefined).map((n) => localName(n.name)))
    const seen = new Set<string>()
    for (const node of nodes) {
      if (overLimit !== undefined) break
      const name = localName(node.name)
      if (seen.has(name)) continue
      seen.add(name)
      const path = prefix === "" ? name : `${prefix}/${name}`
      const bind = binds.get(path)
      const control = controls.get(path)
      const isRepeat = control?.kind === "repeat" || templated.has(name)
      const hasChildren = elements(node).length > 0
      const result: MutableNode = { name, type: "" }
      // A repeat's label is the label of the group around it (pyxform writes `<group ref><label/><repeat nodeset>`).
      const labelSource =
        control === undefined
          ? undefined
          : control.kind === "repeat"
            ? (child(control.element, "label") ?? groupLabels.get(path))
            : child(control.element, "label")
      const label = readLabel(labelSource, itexts)
      if (label !== undefined) result.label = label
      const hint = control === undefined ? undefined : readLabel(child(control.element, "hint"), itexts)
      if (hint !== undefined) result.hint = hint
      if (!spend(1 + labelItems(label) + labelItems(hint))) break
      const bound = bindEntries(bind)
      if (isRepeat || hasChildren) {
        result.type = isRepeat ? "repeat" : "group"
        if (bound !== undefined) result.bind = bound
        const appearance = control === undefined ? undefined : attribute(control.element, "appearance")
        if (appearance !== undefined) result.control = { appearance }
        else if (control === undefined && !isRepeat) result.control = { bodyless: true }
        result.children = walk(node, path, depth + 1)
      } else {
        result.type = leafType(bind, control)
        if (bound !== undefined) result.bind = bound
        const appearance = control === undefined ? undefined : attribute(control.element, "appearance")
        if (appearance !== undefined) result.control = { appearance }
        if (control !== undefined && (control.kind === "select1" || control.kind === "select" || control.kind === "rank")) {
          const { listName, choices } = choicesOf(control.element)
          if (listName !== undefined) result.list_name = listName
          result.children = [...choices]
        }
      }
      out.push(result)
    }
    return out
  }

  const questions = walk(data, "", 0)
  if (overLimit !== undefined) return Result.fail(`${PREFIX}${overLimit}`)
  const descriptor: FormDescriptor = {
    name: rootName,
    type: "survey",
    title,
    id_string: formId,
    sms_keyword: formId,
    default_language: "default",
    ...(version === undefined ? {} : { version }),
    children: questions
  }
  return Result.succeed({ descriptor, formId, version, title })
}
