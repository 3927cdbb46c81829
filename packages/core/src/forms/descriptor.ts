/**
 * The form descriptor: the survey tree a form version describes (the JSON shape pyxform's
 * `to_json_dict` gives, which IASO stores as `form_descriptor`), and the walks IASO makes over it:
 * questions by path (which filter submission XML) and questions by name (which give
 * `possibleFields`).
 *
 * Paths are relative to the root whatever the root is called (IASO adds the root's name as a
 * prefix when an XLSForm renames it, so its paths then no longer match the submission flattener;
 * we keep them relative, which is what the flattener needs).
 * @module
 */

/** A label: plain text, or one text per language (`{ English: "...", French: "..." }`). */
export type DescriptorLabel = string | { readonly [language: string]: string }

/** One node of the survey tree: a question, a group, a repeat, or a choice of a select question. */
export interface DescriptorNode {
  readonly name: string
  readonly type?: string
  readonly label?: DescriptorLabel
  readonly hint?: DescriptorLabel
  readonly bind?: { readonly [key: string]: unknown }
  readonly control?: { readonly [key: string]: unknown }
  readonly list_name?: string
  /** A group's or repeat's questions, or a select question's choices. */
  readonly children?: ReadonlyArray<DescriptorNode>
}

/** The root of the tree (`type: "survey"`), with the form's identity. */
export interface FormDescriptor extends DescriptorNode {
  readonly type: "survey"
  readonly title?: string
  readonly id_string?: string
  readonly version?: string
  readonly default_language?: string
  readonly sms_keyword?: string
  readonly choices?: { readonly [listName: string]: ReadonlyArray<DescriptorNode> }
}

/** A question as the walks report it. */
export interface DescribedQuestion {
  /** `group/sub/name`, relative to the root. */
  readonly path: string
  readonly name: string
  readonly type: string
  readonly label: DescriptorLabel | undefined
}

/** Node types whose children are questions (a select question's children are its choices). */
const isContainer = (node: DescriptorNode): boolean => node.type === "group" || node.type === "repeat" || node.type === "survey"

/**
 * Every question by its path, in tree order. Groups and repeats are listed themselves (type
 * `group` / `repeat`) and their questions under them; the root contributes no segment.
 */
export const questionsByPath = (descriptor: DescriptorNode): ReadonlyMap<string, DescribedQuestion> => {
  const out = new Map<string, DescribedQuestion>()
  const walk = (node: DescriptorNode, prefix: string): void => {
    for (const child of node.children ?? []) {
      const path = prefix === "" ? child.name : `${prefix}/${child.name}`
      out.set(path, { path, name: child.name, type: child.type ?? "", label: child.label })
      if (isContainer(child)) walk(child, path)
    }
  }
  walk(descriptor, "")
  return out
}

/**
 * Questions by name, IASO's way: `survey` and `group` nodes are walked through; every other node,
 * a repeat included, is one question keyed by its name only (a later duplicate name replaces the
 * earlier one's value but keeps its position).
 */
export const questionsByName = (descriptor: DescriptorNode): ReadonlyMap<string, DescribedQuestion> => {
  const out = new Map<string, DescribedQuestion>()
  const walk = (node: DescriptorNode, prefix: string): void => {
    for (const child of node.children ?? []) {
      const path = prefix === "" ? child.name : `${prefix}/${child.name}`
      if (child.type === "group" || child.type === "survey") walk(child, path)
      else out.set(child.name, { path, name: child.name, type: child.type ?? "", label: child.label })
    }
  }
  walk(descriptor, "")
  return out
}

/** The names of the repeat groups anywhere in the tree. */
export const repeatNames = (descriptor: DescriptorNode): ReadonlySet<string> => {
  const out = new Set<string>()
  for (const question of questionsByPath(descriptor).values()) if (question.type === "repeat") out.add(question.name)
  return out
}

/**
 * IASO's questions by path: the walk of {@link questionsByName} (`survey` and `group` nodes walked
 * through and not listed; every other node, a repeat included, one question) keyed by its
 * `group/sub/name` path. This is the list IASO gives for a version (e.g.
 * `signalitic/demo_integer`, `meta/instanceID`); {@link questionsByPath} also lists groups and the
 * questions inside repeats, which the submission flattener needs.
 */
export const fieldsByPath = (descriptor: DescriptorNode): ReadonlyMap<string, DescribedQuestion> => {
  const out = new Map<string, DescribedQuestion>()
  const walk = (node: DescriptorNode, prefix: string): void => {
    for (const child of node.children ?? []) {
      const path = prefix === "" ? child.name : `${prefix}/${child.name}`
      if (child.type === "group" || child.type === "survey") walk(child, path)
      else out.set(path, { path, name: child.name, type: child.type ?? "", label: child.label })
    }
  }
  walk(descriptor, "")
  return out
}

/** One entry of a form's or version's `possibleFields`: a question's name, label and type. */
export interface PossibleField {
  readonly name: string
  /**
   * The label with HTML tags removed, `""` when the question has none. A multilingual label stays
   * a `{ language: text }` object (each text stripped): IASO stores the Python string form of the
   * dict there (`"{'French': ...}"`), which no reader can use.
   */
  readonly label: DescriptorLabel
  readonly type: string
}

/** Removes HTML tags from a label (IASO strips them from `possibleFields` labels). */
export const stripHtml = (text: string): string => text.replace(/<[^>]*>/g, "")

const stripLabel = (label: DescriptorLabel | undefined): DescriptorLabel => {
  if (label === undefined) return ""
  if (typeof label === "string") return stripHtml(label)
  const out: Record<string, string> = {}
  for (const [language, text] of Object.entries(label)) out[language] = stripHtml(text)
  return out
}

const toPossibleFields = (questions: Iterable<DescribedQuestion>): ReadonlyArray<PossibleField> => {
  const out: Array<PossibleField> = []
  for (const question of questions) {
    if (question.type === "note") continue
    out.push({ name: question.name, label: stripLabel(question.label), type: question.type })
  }
  return out
}

/** A version's `possibleFields`: its questions by path ({@link fieldsByPath}), notes skipped. */
export const versionPossibleFields = (descriptor: DescriptorNode): ReadonlyArray<PossibleField> => toPossibleFields(fieldsByPath(descriptor).values())

/**
 * A form's `possibleFields`: the questions by name of every version, oldest first, merged (a
 * newer version's label and type win, the first-seen order is kept), notes skipped.
 */
export const formPossibleFields = (descriptors: Iterable<DescriptorNode>): ReadonlyArray<PossibleField> => {
  const merged = new Map<string, DescribedQuestion>()
  for (const descriptor of descriptors) for (const [name, question] of questionsByName(descriptor)) merged.set(name, question)
  return toPossibleFields(merged.values())
}
