/**
 * The nodes of fast-xml-parser's ordered output as submission documents hold them, and what reads
 * them: shared by the reading of a submission (`odk-xml-read.ts`) and its flattening (`odk-xml.ts`).
 * @module
 */

/** A raw node of fast-xml-parser's ordered output: `{ tag: children, ":@"?: attributes }` or `{ "#text": text }`. */
export type RawNode = { readonly [key: string]: unknown }

export const attributesOf = (node: RawNode): { readonly [name: string]: string } => {
  const raw = node[":@"]
  if (typeof raw !== "object" || raw === null) return {}
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw as RawNode)) out[key] = String(value)
  return out
}

export const tagOf = (node: RawNode): string | undefined => {
  for (const key in node) if (key !== ":@" && key !== "#text") return key
  return undefined
}

export const childrenOf = (node: RawNode, tag: string): ReadonlyArray<RawNode> => {
  const value = node[tag]
  return Array.isArray(value) ? (value as ReadonlyArray<RawNode>) : []
}

/** Whether an element has at least one child element. */
export const hasElementChild = (children: ReadonlyArray<RawNode>): boolean => {
  for (const child of children) if (!("#text" in child)) return true
  return false
}

/** The text of a leaf: its text runs, concatenated. */
export const leafText = (children: ReadonlyArray<RawNode>): string => {
  if (children.length === 1) {
    const only = children[0]
    return only === undefined ? "" : String(only["#text"] ?? "")
  }
  let out = ""
  for (const child of children) if ("#text" in child) out += String(child["#text"])
  return out
}

/** The text of the leaf at a path below the root (`meta/instanceID`), if any. */
export const textAt = (children: ReadonlyArray<RawNode>, path: ReadonlyArray<string>): string | undefined => {
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
