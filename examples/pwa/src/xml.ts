/**
 * The answers of a filled form and the ODK-style submission XML made from them:
 * `<data id="<form id>" version="<version>">...<meta><instanceID>uuid:...</instanceID></meta></data>`.
 * Pure functions (no DOM), so the Node test checks them directly.
 * @module
 */

/** One answered node: a leaf question, a group of answers, or a repeat's instances. */
export type Answer =
  | { readonly kind: "value"; readonly name: string; readonly value: string }
  | { readonly kind: "group"; readonly name: string; readonly answers: ReadonlyArray<Answer> }
  | { readonly kind: "repeat"; readonly name: string; readonly instances: ReadonlyArray<ReadonlyArray<Answer>> }

/** Escapes text for an XML element or a double-quoted attribute. */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;")

/** An element name made safe (XForm names are already XML names; anything else becomes `_`). */
const elementName = (name: string): string => {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, "_")
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`
}

const renderOne = (answer: Answer): string => {
  const tag = elementName(answer.name)
  if (answer.kind === "value") return `<${tag}>${escapeXml(answer.value)}</${tag}>`
  if (answer.kind === "group") return `<${tag}>${render(answer.answers)}</${tag}>`
  return answer.instances.map((instance) => `<${tag}>${render(instance)}</${tag}>`).join("")
}

const render = (answers: ReadonlyArray<Answer>): string => answers.map(renderOne).join("")

/** What identifies a submission's form and instance. */
export interface SubmissionHeader {
  /** The form's ODK id (the `id` attribute; the descriptor's `id_string`). */
  readonly formOdkId: string
  /** The form version's `versionId` (the `version` attribute). */
  readonly version: string
  /** The instance's uuid, without the `uuid:` prefix. */
  readonly instanceId: string
}

/**
 * The submission XML of `answers`: the root element `data` with the form's id and version, the
 * answers in form order, and `meta/instanceID`.
 */
export const submissionXml = (header: SubmissionHeader, answers: ReadonlyArray<Answer>): string =>
  `<?xml version="1.0" encoding="UTF-8"?>` +
  `<data id="${escapeXml(header.formOdkId)}" version="${escapeXml(header.version)}">` +
  render(answers) +
  `<meta><instanceID>uuid:${escapeXml(header.instanceId)}</instanceID></meta>` +
  `</data>`

/** An ODK geopoint value: `latitude longitude altitude accuracy`. */
export const geopointValue = (latitude: number, longitude: number, altitude = 0, accuracy = 0): string => `${latitude} ${longitude} ${altitude} ${accuracy}`
