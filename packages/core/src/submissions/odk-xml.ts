/**
 * ODK submission XML: reading a submission document and flattening its answers to JSON exactly as
 * IASO does (`Instance.xml_file_to_json`):
 *
 * - every leaf element (no child element) becomes `json[<leaf tag>] = <its text, verbatim>`, keyed
 *   by the tag alone (groups vanish; a later leaf with the same tag replaces an earlier one; an
 *   empty element gives `""`); attributes are ignored;
 * - an element whose tag names a repeat group of the form version becomes one more object (its
 *   leaves flattened the same way, without path filtering) in a list under that tag;
 * - with a form version, only leaves whose path (below the root, whatever the root is called) is a
 *   question of the version, or one of {@link ALWAYS_ALLOWED_PATHS}, are kept;
 * - the root's `version` attribute is added as `_version`.
 *
 * Text is kept as written: no number coercion (`"007"` stays `"007"`), no trimming (`" 1 "` stays
 * `" 1 "`), line breaks normalised as XML does (CR LF and a lone CR become LF; a referenced carriage
 * return `&#13;`, decoded before parsing, becomes LF too). Namespace prefixes are dropped from tag names
 * (`orx:instanceID` is `instanceID`), as IASO's parser reports local names.
 *
 * Lenient where IASO is: numeric character references are decoded before parsing, and two
 * references to the halves of a UTF-16 surrogate pair are merged into one character (devices send
 * emoji that way: `&#55357;&#57313;` is `🟡`); the control characters U+001C to U+001F are dropped
 * (raw or referenced). Stricter than IASO, on purpose: IASO parses with a recovering parser that
 * silently accepts a truncated or malformed document and stores whatever it salvaged; here such a
 * document, a document that is not UTF-8, one with several root elements, a DOCTYPE (entity
 * expansion), an undefined entity, a lone surrogate, U+0000 or another C0 control character is a
 * `ValidationError`, so nothing is stored.
 * @module
 */
import { Result } from "effect"
import { XMLParser, XMLValidator } from "fast-xml-parser"
import { type DescriptorNode, fieldsByPath, repeatNames } from "../forms/descriptor.ts"
import { ValidationError } from "../shared/errors.ts"
import type { JsonObject, JsonValue } from "../shared/json.ts"

/**
 * Paths IASO always keeps when it filters by a form version's questions: the ODK `formhub` and
 * `meta` blocks (`formhub/uuid` gives the key `uuid`, `meta/instanceID` the key `instanceID`).
 */
export const ALWAYS_ALLOWED_PATHS: ReadonlyArray<string> = ["formhub", "formhub/uuid", "meta", "meta/instanceID", "meta/editUserID", "meta/deprecatedID"]

/** What filters a flattening: the allowed leaf paths and the repeat group names of a form version. */
export interface SubmissionFilter {
  /** Paths below the root (`group/sub/question`) whose leaves are kept. */
  readonly allowedPaths: ReadonlySet<string>
  /** Tags that are repeat groups (each occurrence becomes one object in a list). */
  readonly repeats: ReadonlySet<string>
}

/**
 * The filter of a form version's descriptor: IASO's questions by path (groups walked through and
 * not listed themselves, a repeat listed as one question) plus {@link ALWAYS_ALLOWED_PATHS}, and
 * its repeat group names.
 */
export const submissionFilter = (descriptor: DescriptorNode): SubmissionFilter => ({
  allowedPaths: new Set([...fieldsByPath(descriptor).keys(), ...ALWAYS_ALLOWED_PATHS]),
  repeats: repeatNames(descriptor)
})

/** A raw node of fast-xml-parser's ordered output: `{ tag: children, ":@"?: attributes }` or `{ "#text": text }`. */
type RawNode = { readonly [key: string]: unknown }

/** A parsed submission document. */
export interface SubmissionDocument {
  /** The root element's local name (`data` for most forms). */
  readonly rootName: string
  /** The root element's attributes by local name (`id`, `version`, `iasoInstance`...). */
  readonly attributes: { readonly [name: string]: string }
  /** The root's `version` attribute: the form version the device filled. */
  readonly version: string | undefined
  /** The text of `meta/instanceID` (e.g. `uuid:7ff9b3b4-...`), when present. */
  readonly instanceId: string | undefined
  /** The text of `meta/deprecatedID` (an edit names the instanceID it replaces), when present. */
  readonly deprecatedId: string | undefined
  /** The text of `meta/editUserID`, when present. */
  readonly editUserId: string | undefined
  /** The root's children, in document order (the parser's ordered form). */
  readonly children: ReadonlyArray<RawNode>
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  removeNSPrefix: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 200
})

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })

const invalid = (message: string): ValidationError => ValidationError.at(["xml"], message)

const SPECIAL: { readonly [code: number]: string } = { 38: "&amp;", 60: "&lt;", 62: "&gt;", 34: "&quot;", 39: "&apos;" }
/** C0 controls XML 1.0 forbids, except U+001C to U+001F which IASO drops. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding the control characters XML forbids is this regex's job
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001B]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: the separators IASO drops from answers
const DROPPED_CONTROL = /[\u001C-\u001F]/g
// biome-ignore lint/suspicious/noControlCharactersInRegex: the separators IASO drops from answers
const HAS_DROPPED_CONTROL = /[\u001C-\u001F]/
const REFERENCE = /&#(?:x([0-9a-fA-F]+)|([0-9]+));/g
const NAMED_ENTITY = /&([A-Za-z_:][-A-Za-z0-9_.:]*);/g
const PREDEFINED = new Set(["lt", "gt", "amp", "quot", "apos"])

/** Decodes numeric references (merging surrogate halves) in text outside CDATA sections. */
const decodeReferences = (text: string): string | ValidationError => {
  let out = ""
  let last = 0
  let pendingHigh: { code: number; end: number } | undefined
  let error: ValidationError | undefined
  REFERENCE.lastIndex = 0
  for (let match = REFERENCE.exec(text); match !== null; match = REFERENCE.exec(text)) {
    const code = match[1] !== undefined ? Number.parseInt(match[1], 16) : Number.parseInt(match[2] ?? "", 10)
    const start = match.index
    const end = start + match[0].length
    if (pendingHigh !== undefined) {
      if (start === pendingHigh.end && code >= 0xdc00 && code <= 0xdfff) {
        out += String.fromCharCode(pendingHigh.code, code)
        pendingHigh = undefined
        last = end
        continue
      }
      error = invalid(`the character reference &#${pendingHigh.code}; is half of a surrogate pair without its other half`)
      break
    }
    out += text.slice(last, start)
    last = end
    if (code >= 0xd800 && code <= 0xdbff) {
      pendingHigh = { code, end }
      continue
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      error = invalid(`the character reference ${match[0]} is half of a surrogate pair without its other half`)
      break
    }
    if (!Number.isFinite(code) || code === 0 || code > 0x10ffff) {
      error = invalid(`the character reference ${match[0]} names no character XML allows`)
      break
    }
    if (code >= 0x1c && code <= 0x1f) continue
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
      error = invalid(`the character reference ${match[0]} names a control character XML does not allow`)
      break
    }
    const special = SPECIAL[code]
    out += special ?? String.fromCodePoint(code)
  }
  if (error !== undefined) return error
  if (pendingHigh !== undefined) return invalid(`the character reference &#${pendingHigh.code}; is half of a surrogate pair without its other half`)
  return out + text.slice(last)
}

/** The document text after IASO's lenient clean-up (references decoded outside CDATA, U+001C-U+001F dropped). */
const cleanUp = (text: string): string | ValidationError => {
  const withoutDropped = HAS_DROPPED_CONTROL.test(text) ? text.replace(DROPPED_CONTROL, "") : text
  if (!withoutDropped.includes("&")) return withoutDropped
  let out = ""
  let position = 0
  while (position < withoutDropped.length) {
    const cdata = withoutDropped.indexOf("<![CDATA[", position)
    const stop = cdata === -1 ? withoutDropped.length : cdata
    const segment = withoutDropped.slice(position, stop)
    NAMED_ENTITY.lastIndex = 0
    for (let match = NAMED_ENTITY.exec(segment); match !== null; match = NAMED_ENTITY.exec(segment)) {
      if (!PREDEFINED.has(match[1] ?? "")) return invalid(`the entity &${match[1] ?? ""}; is not defined (XML predefines only lt, gt, amp, quot and apos)`)
    }
    const decoded = segment.includes("&#") ? decodeReferences(segment) : segment
    if (decoded instanceof ValidationError) return decoded
    out += decoded
    if (cdata === -1) break
    const close = withoutDropped.indexOf("]]>", cdata)
    if (close === -1) return invalid("a CDATA section is not closed")
    out += withoutDropped.slice(cdata, close + 3)
    position = close + 3
  }
  return out
}

const attributesOf = (node: RawNode): { readonly [name: string]: string } => {
  const raw = node[":@"]
  if (typeof raw !== "object" || raw === null) return {}
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw as RawNode)) out[key] = String(value)
  return out
}

const tagOf = (node: RawNode): string | undefined => {
  for (const key in node) if (key !== ":@" && key !== "#text") return key
  return undefined
}

const childrenOf = (node: RawNode, tag: string): ReadonlyArray<RawNode> => {
  const value = node[tag]
  return Array.isArray(value) ? (value as ReadonlyArray<RawNode>) : []
}

/** Whether an element has at least one child element. */
const hasElementChild = (children: ReadonlyArray<RawNode>): boolean => {
  for (const child of children) if (!("#text" in child)) return true
  return false
}

/** The text of a leaf: its text runs, concatenated. */
const leafText = (children: ReadonlyArray<RawNode>): string => {
  if (children.length === 1) {
    const only = children[0]
    return only === undefined ? "" : String(only["#text"] ?? "")
  }
  let out = ""
  for (const child of children) if ("#text" in child) out += String(child["#text"])
  return out
}

/** The text of the leaf at a path below the root (`meta/instanceID`), if any. */
const textAt = (children: ReadonlyArray<RawNode>, path: ReadonlyArray<string>): string | undefined => {
  const [head, ...rest] = path
  if (head === undefined) return undefined
  let found: string | undefined
  for (const child of children) {
    const tag = tagOf(child)
    if (tag !== head) continue
    const grand = childrenOf(child, tag)
    if (rest.length === 0) {
      if (!hasElementChild(grand)) found = leafText(grand)
    } else {
      const deeper = textAt(grand, rest)
      if (deeper !== undefined) found = deeper
    }
  }
  return found
}

/**
 * Reads a submission document (UTF-8 bytes or text). Fails with a `ValidationError` (path
 * `["xml"]`) when the document is not well-formed, truncated, not UTF-8, has no single root
 * element, or holds what no store can keep (see the module documentation).
 */
export const parseSubmission = (input: string | Uint8Array): Result.Result<SubmissionDocument, ValidationError> => {
  let text: string
  if (typeof input === "string") {
    text = input
  } else {
    try {
      text = decoder.decode(input)
    } catch {
      return Result.fail(invalid("the submission is not valid UTF-8"))
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (!text.isWellFormed()) return Result.fail(invalid("the submission holds a lone UTF-16 surrogate"))
  if (FORBIDDEN_CONTROL.test(text))
    return Result.fail(invalid("the submission holds a control character XML does not allow (U+0000 to U+001B other than tab and line breaks)"))
  if (/<!DOCTYPE/i.test(text)) return Result.fail(invalid("a submission may not declare a DOCTYPE"))
  const cleaned = cleanUp(text)
  if (cleaned instanceof ValidationError) return Result.fail(cleaned)
  const verdict = XMLValidator.validate(cleaned)
  if (verdict !== true) {
    const { msg, line, col } = verdict.err
    return Result.fail(invalid(`the submission is not well-formed XML: ${msg} (line ${line}${col === undefined ? "" : `, column ${col}`})`))
  }
  // The validator lets text after the root element through (`<a/>junk`); XML does not.
  const trimmed = cleaned.trim()
  if (!trimmed.startsWith("<") || !trimmed.endsWith(">")) return Result.fail(invalid("the submission has text outside its root element"))
  let raw: unknown
  try {
    raw = parser.parse(cleaned)
  } catch (error) {
    return Result.fail(invalid(`the submission is not well-formed XML: ${error instanceof Error ? error.message : String(error)}`))
  }
  const top = Array.isArray(raw) ? (raw as ReadonlyArray<RawNode>) : []
  const roots: Array<RawNode> = []
  for (const node of top) {
    if ("#text" in node) {
      if (String(node["#text"]).trim() !== "") return Result.fail(invalid("the submission has text outside its root element"))
    } else if (tagOf(node) !== undefined) roots.push(node)
  }
  const [root] = roots
  if (root === undefined) return Result.fail(invalid("the submission has no root element"))
  if (roots.length > 1) return Result.fail(invalid(`the submission has ${roots.length} root elements; XML allows one`))
  const rootName = tagOf(root) ?? ""
  const children = childrenOf(root, rootName)
  const attributes = attributesOf(root)
  return Result.succeed({
    rootName,
    attributes,
    version: attributes["version"],
    instanceId: textAt(children, ["meta", "instanceID"]),
    deprecatedId: textAt(children, ["meta", "deprecatedID"]),
    editUserId: textAt(children, ["meta", "editUserID"]),
    children
  })
}

/** Flattens children into `out` (see the module documentation). */
const flattenInto = (
  out: Record<string, JsonValue>,
  children: ReadonlyArray<RawNode>,
  prefix: string,
  repeats: ReadonlySet<string>,
  allowed: ReadonlySet<string> | undefined
): void => {
  for (const child of children) {
    const tag = tagOf(child)
    if (tag === undefined) continue
    const grand = childrenOf(child, tag)
    if (repeats.has(tag)) {
      const item: Record<string, JsonValue> = {}
      flattenInto(item, grand, "", repeats, undefined)
      const list = out[tag]
      if (Array.isArray(list)) (list as Array<JsonValue>).push(item)
      else out[tag] = [item]
      continue
    }
    const path = prefix === "" ? tag : `${prefix}/${tag}`
    if (hasElementChild(grand)) flattenInto(out, grand, path, repeats, allowed)
    else if (allowed === undefined || allowed.has(path)) out[tag] = leafText(grand)
  }
}

/**
 * The answers of a submission as IASO flattens them: with a filter (the form version the root's
 * `version` names), only its questions' paths and {@link ALWAYS_ALLOWED_PATHS} are kept and its
 * repeat groups become lists; without one, every leaf is kept and nothing is a repeat (IASO's
 * behaviour when the form has no such version). `_version` is added when the root has a version.
 */
export const flattenSubmission = (document: SubmissionDocument, filter?: SubmissionFilter): JsonObject => {
  const out: Record<string, JsonValue> = {}
  flattenInto(out, document.children, "", filter?.repeats ?? new Set(), filter?.allowedPaths)
  if (document.version !== undefined) out["_version"] = document.version
  return out
}

/** An ODK instance id without its `uuid:` prefix (`uuid:7ff9...` gives `7ff9...`). */
export const stripUuidPrefix = (instanceId: string): string => (instanceId.startsWith("uuid:") ? instanceId.slice(5) : instanceId)
