/**
 * A form generated in the DOM from a form version's descriptor (pyxform's survey tree): text,
 * integer and decimal, select_one, geopoint (two number inputs and a "use my position" button), notes,
 * groups and repeats (add / remove instances). `renderForm` returns how to read the answers back.
 * @module
 */
import type { DescriptorLabel, DescriptorNode, FormDescriptor } from "@iaso/core"
import { type Answer, geopointValue } from "./xml.ts"

/** Types pyxform adds that the user never fills (metadata and computed values). */
const SILENT = new Set(["start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email", "audit", "calculate", "hidden"])

/** The text of a label: itself, or its first language's text. */
export const labelText = (label: DescriptorLabel | undefined, fallback: string): string => {
  if (label === undefined) return fallback
  if (typeof label === "string") return label === "" ? fallback : label
  const first = Object.values(label)[0]
  return first === undefined || first === "" ? fallback : first
}

/** Reads one rendered node's answer (undefined: nothing to write). */
type Collect = () => Answer | undefined

/** What {@link renderForm} gives back. */
export interface RenderedForm {
  /** The answers in form order. */
  readonly answers: () => ReadonlyArray<Answer>
  /** The first geopoint answered, for the submission's location. */
  readonly location: () => { readonly latitude: number; readonly longitude: number } | undefined
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  return node
}

const isRequired = (node: DescriptorNode): boolean => {
  const required = node.bind?.["required"]
  return required === true || required === "yes" || required === "true()"
}

/** pyxform names it `select one` (the XLSForm's `select_one list`); other spellings are accepted too. */
const isSelectOne = (type: string): boolean => type === "select one" || type === "select_one" || type === "select1" || type.startsWith("select_one ")

/** The choices of a select question: its children, or the descriptor's list named by `list_name`. */
const choicesOf = (node: DescriptorNode, descriptor: FormDescriptor): ReadonlyArray<DescriptorNode> =>
  node.children ?? (node.list_name === undefined ? [] : (descriptor.choices?.[node.list_name] ?? []))

/**
 * Renders the questions of `descriptor` into `container` (replacing its content). Inputs carry
 * `data-path` (`group/name`, `repeat[0]/name` inside repeats) so tests and scripts can find them.
 */
export const renderForm = (descriptor: FormDescriptor, container: HTMLElement): RenderedForm => {
  container.replaceChildren()
  const points: Array<() => { latitude: number; longitude: number } | undefined> = []

  const renderNodes = (nodes: ReadonlyArray<DescriptorNode>, parent: HTMLElement, prefix: string): Array<Collect> => {
    const out: Array<Collect> = []
    for (const node of nodes) {
      const collect = renderNode(node, parent, prefix === "" ? node.name : `${prefix}/${node.name}`)
      if (collect !== undefined) out.push(collect)
    }
    return out
  }

  const collectAll = (collects: ReadonlyArray<Collect>): ReadonlyArray<Answer> =>
    collects.map((collect) => collect()).filter((answer): answer is Answer => answer !== undefined)

  const renderNode = (node: DescriptorNode, parent: HTMLElement, path: string): Collect | undefined => {
    const type = node.type ?? ""
    const label = labelText(node.label, node.name)
    if (node.name === "meta" || SILENT.has(type)) return undefined
    if (type === "note") {
      parent.append(el("p", { class: "note" }, label))
      return undefined
    }
    if (type === "group") {
      const fieldset = el("fieldset", { "data-path": path })
      fieldset.append(el("legend", {}, label))
      parent.append(fieldset)
      const inner = renderNodes(node.children ?? [], fieldset, path)
      return () => ({ kind: "group", name: node.name, answers: collectAll(inner) })
    }
    if (type === "repeat") {
      const fieldset = el("fieldset", { class: "repeat", "data-path": path })
      fieldset.append(el("legend", {}, label))
      const list = el("div")
      const add = el("button", { type: "button", "data-add": path }, `Add ${label}`)
      fieldset.append(list, add)
      parent.append(fieldset)
      const instances: Array<{ readonly box: HTMLElement; readonly collects: ReadonlyArray<Collect> }> = []
      const renumber = () =>
        instances.forEach((instance, index) => {
          const heading = instance.box.querySelector("h4")
          if (heading !== null) heading.textContent = `${label} #${index + 1}`
        })
      add.addEventListener("click", () => {
        const box = el("div", { class: "repeat-instance" })
        box.append(el("h4"))
        const collects = renderNodes(node.children ?? [], box, `${path}[${instances.length}]`)
        const remove = el("button", { type: "button", "data-remove": path }, "Remove")
        box.append(remove)
        list.append(box)
        const instance = { box, collects }
        instances.push(instance)
        remove.addEventListener("click", () => {
          instances.splice(instances.indexOf(instance), 1)
          box.remove()
          renumber()
        })
        renumber()
      })
      return () => ({ kind: "repeat", name: node.name, instances: instances.map((instance) => collectAll(instance.collects)) })
    }
    const row = el("label", { class: "question" })
    row.append(el("span", {}, label + (isRequired(node) ? " *" : "")))
    parent.append(row)
    if (isSelectOne(type)) {
      const select = el("select", { "data-path": path, name: path })
      if (isRequired(node)) select.required = true
      select.append(el("option", { value: "" }, "—"))
      for (const choice of choicesOf(node, descriptor)) select.append(el("option", { value: choice.name }, labelText(choice.label, choice.name)))
      row.append(select)
      return () => (select.value === "" ? undefined : { kind: "value", name: node.name, value: select.value })
    }
    if (type === "geopoint") {
      const latitude = el("input", { type: "number", step: "any", min: "-90", max: "90", placeholder: "latitude", "data-path": `${path}#latitude` })
      const longitude = el("input", { type: "number", step: "any", min: "-180", max: "180", placeholder: "longitude", "data-path": `${path}#longitude` })
      const locate = el("button", { type: "button" }, "Use my position")
      locate.addEventListener("click", () =>
        navigator.geolocation.getCurrentPosition(
          (position) => {
            latitude.value = String(position.coords.latitude)
            longitude.value = String(position.coords.longitude)
          },
          (error) => window.alert(`No position: ${error.message}`)
        )
      )
      if (isRequired(node)) {
        latitude.required = true
        longitude.required = true
      }
      row.append(latitude, longitude, locate)
      const read = () =>
        latitude.value === "" || longitude.value === "" ? undefined : { latitude: Number(latitude.value), longitude: Number(longitude.value) }
      points.push(read)
      return () => {
        const point = read()
        return point === undefined ? undefined : { kind: "value", name: node.name, value: geopointValue(point.latitude, point.longitude) }
      }
    }
    const input = el("input", { "data-path": path, name: path })
    if (type === "integer") {
      input.type = "number"
      input.step = "1"
    } else if (type === "decimal") {
      input.type = "number"
      input.step = "any"
    } else if (type === "date") input.type = "date"
    else input.type = "text"
    if (isRequired(node)) input.required = true
    row.append(input)
    return () => (input.value === "" ? undefined : { kind: "value", name: node.name, value: input.value })
  }

  const top = renderNodes(descriptor.children ?? [], container, "")
  return {
    answers: () => collectAll(top),
    location: () => {
      for (const read of points) {
        const point = read()
        if (point !== undefined) return point
      }
      return undefined
    }
  }
}
