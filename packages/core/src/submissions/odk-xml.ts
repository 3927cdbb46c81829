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
 *
 * This module flattens a parsed document; {@link submissionReader} loads the reading (`parseSubmission`,
 * over fast-xml-parser: `odk-xml-read.ts`, exported by `@iaso/core/submission-xml`) on first use, so
 * an app that never ingests a submission leaves the XML parser out of its starting code.
 * @module
 */
import { type DescriptorNode, fieldsByPath, repeatNames } from "../forms/descriptor.ts"
import type { JsonObject, JsonValue } from "../shared/json.ts"
import { lazyModule } from "../shared/lazy-module.ts"
import { childrenOf, hasElementChild, leafText, type RawNode, tagOf } from "./odk-xml-nodes.ts"

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

/** The reading of submission documents (`odk-xml-read.ts`, over fast-xml-parser), loaded on first use. */
export const submissionReader = lazyModule("the submission XML reader", () => import("./odk-xml-read.ts"))
