/**
 * Reading an ODK submission document: {@link parseSubmission}, over fast-xml-parser, lenient and strict
 * as `odk-xml.ts` tells (which flattens what it reads). Exported by `@iaso/core/submission-xml`;
 * ingestion loads it with a dynamic `import()` (`submissionReader`) when it first reads a submission.
 * @module
 */
import { Result } from "effect"
import { XMLParser, XMLValidator } from "fast-xml-parser"
import { ValidationError } from "../shared/errors.ts"
import type { SubmissionDocument } from "./odk-xml.ts"
import { attributesOf, childrenOf, type RawNode, tagOf, textAt } from "./odk-xml-nodes.ts"

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

/**
 * Reads a submission document (UTF-8 bytes or text). Fails with a `ValidationError` (path
 * `["xml"]`) when the document is not well-formed, truncated, not UTF-8, has no single root
 * element, or holds what no store can keep (see `flattenSubmission`'s module in `@iaso/core`).
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
