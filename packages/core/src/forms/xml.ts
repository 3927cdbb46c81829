/**
 * A small ordered XML tree over fast-xml-parser, for the spreadsheet reader and the XForm reader:
 * elements keep their order, attributes and text; namespace prefixes are kept in names
 * (`h:head`, `jr:template`), and {@link localName} drops them where a reader does not care.
 * @module
 */
import { XMLParser } from "fast-xml-parser"

/** An element: its name (with any prefix), attributes, child elements and text, in document order. */
export interface XmlElement {
  readonly name: string
  readonly attributes: { readonly [name: string]: string }
  /** Child elements and text runs, in document order. */
  readonly content: ReadonlyArray<XmlElement | string>
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  maxNestedTags: 200
})

type Raw = { readonly [key: string]: unknown }

const convert = (raw: Raw): XmlElement | string | undefined => {
  const attributes: Record<string, string> = {}
  let name: string | undefined
  let children: ReadonlyArray<Raw> = []
  for (const [key, value] of Object.entries(raw)) {
    if (key === ":@") {
      for (const [attr, attrValue] of Object.entries(value as Raw)) attributes[attr] = String(attrValue)
    } else if (key === "#text") {
      return String(value)
    } else {
      name = key
      children = Array.isArray(value) ? (value as ReadonlyArray<Raw>) : []
    }
  }
  if (name === undefined) return undefined
  const content: Array<XmlElement | string> = []
  for (const child of children) {
    const converted = convert(child)
    if (converted !== undefined) content.push(converted)
  }
  return { name, attributes, content }
}

/**
 * Parses an XML document and returns its root element, or an error message when the text is not
 * well-formed XML or has no root element.
 */
export const parseXml = (text: string): XmlElement | { readonly error: string } => {
  let raw: unknown
  try {
    raw = parser.parse(text, true)
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
  if (!Array.isArray(raw)) return { error: "no root element" }
  for (const node of raw as ReadonlyArray<Raw>) {
    const converted = convert(node)
    if (converted !== undefined && typeof converted !== "string") return converted
  }
  return { error: "no root element" }
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

/** The text of an element and its descendants, concatenated. */
export const textOf = (element: XmlElement): string => element.content.map((c) => (typeof c === "string" ? c : textOf(c))).join("")

/** An attribute by local name (`jr:count` found as `count` too), or `undefined`. */
export const attribute = (element: XmlElement, name: string): string | undefined => {
  const direct = element.attributes[name]
  if (direct !== undefined) return direct
  for (const [key, value] of Object.entries(element.attributes)) if (localName(key) === name) return value
  return undefined
}
