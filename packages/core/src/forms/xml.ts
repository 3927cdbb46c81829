/**
 * A small ordered XML tree over fast-xml-parser, for the spreadsheet reader and the XForm reader:
 * elements keep their order, attributes and text; namespace prefixes are kept in names
 * (`h:head`, `jr:template`), and {@link localName} drops them where a reader does not care.
 *
 * {@link parseXml} is total and bounded: before fast-xml-parser builds anything, one linear scan
 * counts the document's elements and nesting against {@link FormLimits} (`maxXmlTextLength`,
 * `maxXmlDepth`, `maxXmlElements`); the tree is then converted, and its text read, without
 * recursion. Names are plain data: an element or attribute named `__proto__` or `constructor`
 * is kept under that name (attributes live in objects without a prototype).
 * @module
 */
import { XMLParser } from "fast-xml-parser"
import { exceeded, FORM_LIMITS, type FormLimits } from "./limits.ts"

/** An element: its name (with any prefix), attributes, child elements and text, in document order. */
export interface XmlElement {
  readonly name: string
  /** Attributes by name (with any prefix), in an object without a prototype. */
  readonly attributes: { readonly [name: string]: string }
  /** Child elements and text runs, in document order. */
  readonly content: ReadonlyArray<XmlElement | string>
}

/**
 * fast-xml-parser refuses names such as `constructor` and renames `toString`: every tag name is
 * given a prefix no XML name can start with (the transform may run twice on an empty element, so
 * it is idempotent), and every attribute name another, both removed again in {@link convert}.
 */
const TAG_MARK = "="
const ATTRIBUTE_MARK = "@"

const parsers = new Map<number, XMLParser>()

/** The parser for a depth limit (a few kept, one per limit value; its own nesting check backs up the scan's). */
const parserFor = (maxDepth: number): XMLParser => {
  const known = parsers.get(maxDepth)
  if (known !== undefined) return known
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: ATTRIBUTE_MARK,
    transformTagName: (name) => (name.startsWith(TAG_MARK) ? name : `${TAG_MARK}${name}`),
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    processEntities: true,
    maxNestedTags: maxDepth
  })
  if (parsers.size >= 8) parsers.clear()
  parsers.set(maxDepth, parser)
  return parser
}

/**
 * Counts the elements and the nesting of an XML text in one pass (comments, CDATA sections,
 * processing instructions and declarations skipped; quoted attribute values may hold `>`), and
 * returns the message of the first limit exceeded. It does not check well-formedness: the parser
 * does, on a text this scan has bounded.
 */
const measure = (text: string, limits: FormLimits): string | undefined => {
  let depth = 0
  let elements = 0
  let at = text.indexOf("<")
  while (at !== -1) {
    let end: number
    if (text.startsWith("<!--", at)) end = closing(text, "-->", at + 4)
    else if (text.startsWith("<![CDATA[", at)) end = closing(text, "]]>", at + 9)
    else if (text.startsWith("<?", at)) end = closing(text, "?>", at + 2)
    else if (text.startsWith("<!", at)) end = declarationEnd(text, at + 2)
    else if (text.startsWith("</", at)) {
      depth -= 1
      end = closing(text, ">", at + 2)
    } else {
      end = tagEnd(text, at + 1)
      elements += 1
      if (elements > limits.maxXmlElements) {
        return exceeded(`the XML has at least ${elements} elements`, limits, "maxXmlElements", "elements an XML document may have")
      }
      if (depth + 1 > limits.maxXmlDepth) return exceeded(`the XML nests elements ${depth + 1} deep`, limits, "maxXmlDepth", "levels an XML document may nest")
      if (text.charCodeAt(end - 2) !== 0x2f /* "/": an empty element opens no level */) depth += 1
    }
    at = text.indexOf("<", end)
  }
  return undefined
}

/** The index after `marker` found from `from`, or the text's end. */
const closing = (text: string, marker: string, from: number): number => {
  const found = text.indexOf(marker, from)
  return found === -1 ? text.length : found + marker.length
}

/** The index after the `>` ending a start tag, skipping quoted attribute values. */
const tagEnd = (text: string, from: number): number => {
  let quote = 0
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (quote !== 0) {
      if (c === quote) quote = 0
    } else if (c === 0x22 || c === 0x27) quote = c
    else if (c === 0x3e) return i + 1
  }
  return text.length
}

/** The index after a `<!DOCTYPE ...>`-like declaration, its internal subset (`[...]`) included. */
const declarationEnd = (text: string, from: number): number => {
  let quote = 0
  let subset = false
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (quote !== 0) {
      if (c === quote) quote = 0
    } else if (c === 0x22 || c === 0x27) quote = c
    else if (c === 0x5b) subset = true
    else if (c === 0x5d) subset = false
    else if (c === 0x3e && !subset) return i + 1
  }
  return text.length
}

type Raw = { readonly [key: string]: unknown }

const isRaw = (value: unknown): value is Raw => typeof value === "object" && value !== null && !Array.isArray(value)

/** An element while its content is filled. */
interface Building extends XmlElement {
  readonly content: Array<XmlElement | string>
}

/** A node of fast-xml-parser's ordered output: a text run, an element to fill from its children, or nothing. */
const node = (raw: Raw): { readonly text: string } | { readonly element: Building; readonly children: ReadonlyArray<unknown> } | undefined => {
  const attributes: Record<string, string> = Object.create(null)
  let name: string | undefined
  let children: ReadonlyArray<unknown> = []
  for (const [key, value] of Object.entries(raw)) {
    if (key === ":@") {
      if (isRaw(value)) for (const [attr, attrValue] of Object.entries(value)) attributes[attr.slice(ATTRIBUTE_MARK.length)] = String(attrValue)
    } else if (key === "#text") return { text: String(value) }
    else {
      name = key.startsWith(TAG_MARK) ? key.slice(TAG_MARK.length) : key
      children = Array.isArray(value) ? value : []
    }
  }
  return name === undefined ? undefined : { element: { name, attributes, content: [] }, children }
}

/** fast-xml-parser's ordered output as an element tree, depth first with an explicit stack. */
const convert = (raw: Raw): XmlElement | string | undefined => {
  const top = node(raw)
  if (top === undefined || "text" in top) return top?.text
  const pending: Array<{ readonly element: Building; readonly children: ReadonlyArray<unknown>; next: number }> = [{ ...top, next: 0 }]
  while (pending.length > 0) {
    const frame = pending[pending.length - 1]
    if (frame === undefined || frame.next >= frame.children.length) {
      pending.pop()
      continue
    }
    const rawChild = frame.children[frame.next]
    frame.next += 1
    const converted = isRaw(rawChild) ? node(rawChild) : undefined
    if (converted === undefined) continue
    if ("text" in converted) frame.element.content.push(converted.text)
    else {
      frame.element.content.push(converted.element)
      pending.push({ ...converted, next: 0 })
    }
  }
  return top.element
}

/** Why a text is not a parsed document: its message, and whether a limit (rather than the syntax) refused it. */
export interface XmlError {
  readonly error: string
  readonly overLimit: boolean
}

/**
 * Parses an XML document and returns its root element, or an error when the text is not
 * well-formed XML, has no root element, or exceeds a limit (`maxXmlTextLength`, `maxXmlDepth`,
 * `maxXmlElements`: the message names it). Never throws.
 */
export const parseXml = (text: string, limits: FormLimits = FORM_LIMITS): XmlElement | XmlError => {
  if (text.length > limits.maxXmlTextLength) {
    return { error: exceeded(`the XML is ${text.length} characters long`, limits, "maxXmlTextLength", "characters an XML document may have"), overLimit: true }
  }
  const overLimit = measure(text, limits)
  if (overLimit !== undefined) return { error: overLimit, overLimit: true }
  let raw: unknown
  try {
    raw = parserFor(limits.maxXmlDepth).parse(text, true)
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), overLimit: false }
  }
  for (const item of Array.isArray(raw) ? raw : []) {
    const converted = isRaw(item) ? convert(item) : undefined
    if (converted !== undefined && typeof converted !== "string") return converted
  }
  return { error: "no root element", overLimit: false }
}

/** The name without its namespace prefix (`h:head` -> `head`). */
export const localName = (name: string): string => {
  const colon = name.indexOf(":")
  return colon === -1 ? name : name.slice(colon + 1)
}

/** The child elements of an element. */
export const elements = (element: XmlElement): ReadonlyArray<XmlElement> => element.content.filter((c): c is XmlElement => typeof c !== "string")

/** The first child element with this local name. */
export const child = (element: XmlElement, name: string): XmlElement | undefined => elements(element).find((c) => localName(c.name) === name)

/** Every child element with this local name. */
export const children = (element: XmlElement, name: string): ReadonlyArray<XmlElement> => elements(element).filter((c) => localName(c.name) === name)

/** The text of an element and its descendants, concatenated (depth first, without recursion). */
export const textOf = (element: XmlElement): string => {
  const parts: Array<string> = []
  const pending: Array<XmlElement | string> = [element]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next === "string") parts.push(next)
    else for (let i = next.content.length - 1; i >= 0; i--) pending.push(next.content[i] ?? "")
  }
  return parts.join("")
}

/** An attribute by local name (`jr:count` found as `count` too), or `undefined`. */
export const attribute = (element: XmlElement, name: string): string | undefined => {
  const direct = element.attributes[name]
  if (direct !== undefined) return direct
  for (const [key, value] of Object.entries(element.attributes)) if (localName(key) === name) return value
  return undefined
}
