/**
 * XForm reading: an ODK XForm (the XML devices fill, e.g. what pyxform generates) turned into a
 * {@link FormDescriptor} shaped like pyxform's JSON, so a version uploaded as an XForm has the same
 * questions by name and by path as one uploaded as an XLSForm. The form id and version come from
 * the primary instance's root (`<data id="..." version="...">`), the tree from that instance,
 * types from the binds and body controls, labels from the body (resolving `jr:itext` translations
 * into `{ language: text }`), and select choices from `<item>`s or from the secondary instance an
 * `<itemset>` names.
 * @module
 */
import { Result } from "effect"
import type { DescriptorLabel, DescriptorNode, FormDescriptor } from "./descriptor.ts"
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
const BIND_TYPES: Readonly<Record<string, string>> = {
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
}

/** `jr:preload` / `jr:preloadParams` pairs and the metadata question type each is. */
const PRELOADS: Readonly<Record<string, string>> = {
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
}

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

/** Reads `<label>`/`<hint>`: plain text, or its `jr:itext('id')` texts by language. */
const readLabel = (element: XmlElement | undefined, translations: ReadonlyMap<string, ReadonlyMap<string, string>>): DescriptorLabel | undefined => {
  if (element === undefined) return undefined
  const ref = attribute(element, "ref")
  const itext = ref === undefined ? undefined : /^jr:itext\(\s*'([^']*)'\s*\)$/.exec(ref.trim())?.[1]
  if (itext !== undefined) {
    const out: Record<string, string> = {}
    for (const [language, texts] of translations) {
      const text = texts.get(itext)
      if (text !== undefined) out[language] = text
    }
    return Object.keys(out).length === 0 ? undefined : out
  }
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

/** Reads an XForm (XML text or UTF-8 bytes) into a form descriptor. Fails with `Invalid XForm: ...`. */
export const readXForm = (input: string | Uint8Array): Result.Result<ParsedXForm, string> => {
  const text = typeof input === "string" ? input : new TextDecoder("utf-8").decode(input)
  const parsed = parseXml(text.replace(/^\uFEFF/, ""))
  if ("error" in parsed) return Result.fail(`${PREFIX}not well-formed XML (${parsed.error})`)
  if (localName(parsed.name) !== "html") return Result.fail(`${PREFIX}the root element is <${parsed.name}>, not <h:html>`)
  const head = child(parsed, "head")
  const model = head === undefined ? undefined : child(head, "model")
  if (head === undefined || model === undefined) return Result.fail(`${PREFIX}no <h:head><model> element`)
  const title = trimText(textOf(child(head, "title") ?? { name: "title", attributes: {}, content: [] }))
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
  const translations = readTranslations(model)
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
  const controls = readControls(child(parsed, "body"), rootName)

  const choicesOf = (control: XmlElement): { readonly listName?: string; readonly choices: ReadonlyArray<DescriptorNode> } => {
    const items = children(control, "item")
    if (items.length > 0) {
      return {
        choices: items.map((item) => {
          const label = readLabel(child(item, "label"), translations)
          return { name: trimText(textOf(child(item, "value") ?? item)), ...(label === undefined ? {} : { label }) }
        })
      }
    }
    const itemset = child(control, "itemset")
    const nodeset = itemset === undefined ? undefined : attribute(itemset, "nodeset")
    const listName = nodeset === undefined ? undefined : /instance\(\s*'([^']*)'\s*\)/.exec(nodeset)?.[1]
    if (itemset === undefined || listName === undefined) return { choices: [] }
    const valueField = attribute(child(itemset, "value") ?? itemset, "ref") ?? "name"
    const labelElement = child(itemset, "label")
    const labelRef = labelElement === undefined ? undefined : attribute(labelElement, "ref")
    const itextField = labelRef === undefined ? undefined : /^jr:itext\(\s*([\w.-]+)\s*\)$/.exec(labelRef.trim())?.[1]
    const choices = (secondary.get(listName) ?? []).map((item) => {
      const name = item.get(valueField) ?? ""
      let label: DescriptorLabel | undefined
      if (itextField !== undefined) {
        const id = item.get(itextField)
        const out: Record<string, string> = {}
        if (id !== undefined)
          for (const [language, texts] of translations) {
            const t = texts.get(id)
            if (t !== undefined) out[language] = t
          }
        label = Object.keys(out).length === 0 ? undefined : out
      } else {
        const text = item.get(labelRef ?? "label")
        label = text === undefined || text === "" ? undefined : text
      }
      return { name, ...(label === undefined ? {} : { label }) }
    })
    return { listName, choices }
  }

  const leafType = (bind: XmlElement | undefined, control: Control | undefined): string => {
    const preload = bind === undefined ? undefined : attribute(bind, "preload")
    if (preload !== undefined) {
      const type = PRELOADS[`${preload} ${bind === undefined ? "" : (attribute(bind, "preloadParams") ?? "")}`]
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
    return bindType === undefined ? "text" : (BIND_TYPES[localName(bindType)] ?? localName(bindType))
  }

  const bindEntries = (bind: XmlElement | undefined): Record<string, string> | undefined => {
    if (bind === undefined) return undefined
    const out: Record<string, string> = {}
    for (const [key, value] of Object.entries(bind.attributes)) if (key !== "nodeset" && key !== "type") out[key] = value
    return Object.keys(out).length === 0 ? undefined : out
  }

  const walk = (element: XmlElement, prefix: string): Array<DescriptorNode> => {
    const out: Array<DescriptorNode> = []
    const seen = new Set<string>()
    for (const node of elements(element)) {
      const name = localName(node.name)
      if (seen.has(name)) continue
      seen.add(name)
      const path = prefix === "" ? name : `${prefix}/${name}`
      const bind = binds.get(path)
      const control = controls.get(path)
      const isRepeat = control?.kind === "repeat" || elements(element).some((n) => localName(n.name) === name && attribute(n, "template") !== undefined)
      const hasChildren = elements(node).length > 0
      const result: MutableNode = { name, type: "" }
      const labelSource = control === undefined ? undefined : control.kind === "repeat" ? groupLabelOf(path) : child(control.element, "label")
      const label = readLabel(labelSource, translations)
      if (label !== undefined) result.label = label
      const hint = control === undefined ? undefined : readLabel(child(control.element, "hint"), translations)
      if (hint !== undefined) result.hint = hint
      const bound = bindEntries(bind)
      if (isRepeat || hasChildren) {
        result.type = isRepeat ? "repeat" : "group"
        if (bound !== undefined) result.bind = bound
        const appearance = control === undefined ? undefined : attribute(control.element, "appearance")
        if (appearance !== undefined) result.control = { appearance }
        else if (control === undefined && !isRepeat) result.control = { bodyless: true }
        result.children = walk(node, path)
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

  /** A repeat's label is the label of the group around it (pyxform writes `<group ref><label/><repeat nodeset>`). */
  const groupLabelOf = (path: string): XmlElement | undefined => {
    const repeat = controls.get(path)
    const inner = repeat === undefined ? undefined : child(repeat.element, "label")
    if (inner !== undefined) return inner
    let found: XmlElement | undefined
    const search = (element: XmlElement, context: string): void => {
      for (const c of elements(element)) {
        const kind = localName(c.name)
        if (kind !== "group") continue
        const ref = attribute(c, "ref")
        const groupPath = ref === undefined ? context : relativePath(ref, rootName, context)
        if (groupPath === path) {
          const label = child(c, "label")
          if (label !== undefined) found = label
        }
        search(c, groupPath)
      }
    }
    const body = child(parsed, "body")
    if (body !== undefined) search(body, "")
    return found
  }

  const descriptor: FormDescriptor = {
    name: rootName,
    type: "survey",
    title,
    id_string: formId,
    sms_keyword: formId,
    default_language: "default",
    ...(version === undefined ? {} : { version }),
    children: walk(data, "")
  }
  return Result.succeed({ descriptor, formId, version, title })
}
