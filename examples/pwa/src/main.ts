/**
 * The app: sign in, first sync with progress, the pyramid under the user's roots, a form generated
 * from the synced descriptor saved to the outbox (online or offline), a proposal of a new unit, the
 * outbox, and Sync (push, then pull) with the server's answer per entry. Everything is read from
 * the device's IndexedDB store through the SDK, so the app works the same offline.
 * @module
 */
import { type OrgUnitId, OrgUnitTypeModel, type OutboxItem, type PushAck, uuidv7 } from "@iaso/core"
import { type Device, type FillableForm, openDevice } from "./device.ts"
import { renderForm, type RenderedForm } from "./form.ts"
import { ApiError, clearSession, loadSession, type Session, saveSession, signIn } from "./session.ts"
import { submissionXml } from "./xml.ts"

/** Set by vite.config.ts: true in a production build (the service worker exists only there). */
declare const __PWA_SW__: boolean

const byId = <T extends HTMLElement>(id: string, kind: new () => T): T => {
  const node = document.getElementById(id)
  if (!(node instanceof kind)) throw new Error(`#${id} is missing from index.html`)
  return node
}

const ui = {
  network: byId("network", HTMLElement),
  who: byId("who", HTMLElement),
  signOut: byId("sign-out", HTMLButtonElement),
  signin: byId("signin", HTMLElement),
  signinForm: byId("signin-form", HTMLFormElement),
  serverUrl: byId("server-url", HTMLInputElement),
  username: byId("username", HTMLInputElement),
  password: byId("password", HTMLInputElement),
  signinStatus: byId("signin-status", HTMLElement),
  app: byId("app", HTMLElement),
  sync: byId("sync", HTMLButtonElement),
  syncStatus: byId("sync-status", HTMLElement),
  acks: byId("acks", HTMLUListElement),
  selectedUnit: byId("selected-unit", HTMLElement),
  tree: byId("tree", HTMLUListElement),
  formSelect: byId("form-select", HTMLSelectElement),
  form: byId("form", HTMLFormElement),
  formContainer: byId("form-container", HTMLElement),
  saveStatus: byId("save-status", HTMLElement),
  proposeForm: byId("propose-form", HTMLFormElement),
  proposeName: byId("propose-name", HTMLInputElement),
  proposeType: byId("propose-type", HTMLSelectElement),
  proposeLatitude: byId("propose-latitude", HTMLInputElement),
  proposeLongitude: byId("propose-longitude", HTMLInputElement),
  proposeStatus: byId("propose-status", HTMLElement),
  outbox: byId("outbox", HTMLUListElement),
  outboxCount: byId("outbox-count", HTMLElement)
}

const messageOf = (error: unknown): string => {
  if (error instanceof ApiError) return error.message
  if (typeof error === "object" && error !== null && "message" in error) {
    const tag = "_tag" in error ? `${String(error._tag)}: ` : ""
    return `${tag}${String(error.message)}`
  }
  return String(error)
}

interface State {
  session: Session
  device: Device
  forms: ReadonlyArray<FillableForm>
  form: { readonly fillable: FillableForm; readonly rendered: RenderedForm } | undefined
  selected: { readonly id: OrgUnitId; readonly name: string } | undefined
}
let state: State | undefined

const showNetwork = () => {
  ui.network.textContent = navigator.onLine ? "online" : "offline"
  ui.network.classList.toggle("offline", !navigator.onLine)
}

/** A short description of an outbox entry. */
const describe = (item: OutboxItem): string => {
  const entry = item.entry
  switch (entry.kind) {
    case "submission":
      return `submission ${entry.submission.uuid ?? entry.id}`
    case "orgUnitChangeRequest":
      return `new unit "${entry.request.newName ?? ""}"`
    default:
      return entry.kind
  }
}

const renderOutbox = async () => {
  if (state === undefined) return
  const items = await state.device.outbox()
  ui.outboxCount.textContent = String(items.length)
  ui.outbox.replaceChildren(
    ...items.map((item) => {
      const li = document.createElement("li")
      li.dataset["status"] = item.status
      li.dataset["kind"] = item.entry.kind
      li.dataset["entryId"] = item.entry.id
      li.textContent = `${describe(item)}: ${item.status}${item.rejection === undefined ? "" : ` (${item.rejection.tag}: ${item.rejection.message})`}`
      if (item.status === "REJECTED") {
        const discard = document.createElement("button")
        discard.type = "button"
        discard.textContent = "Discard"
        discard.addEventListener("click", () => void state?.device.discard(item.id).then(renderOutbox))
        li.append(" ", discard)
      }
      return li
    })
  )
}

const select = (id: OrgUnitId, name: string, button: HTMLButtonElement) => {
  if (state === undefined) return
  state.selected = { id, name }
  ui.selectedUnit.textContent = name
  for (const other of ui.tree.querySelectorAll("button.unit")) other.classList.remove("selected")
  button.classList.add("selected")
}

/** One unit of the tree: its name (selects it) and a toggle that loads its children from the device. */
const unitItem = (unit: { readonly id: OrgUnitId; readonly name: string }): HTMLLIElement => {
  const li = document.createElement("li")
  li.dataset["unitId"] = unit.id
  const toggle = document.createElement("button")
  toggle.type = "button"
  toggle.className = "toggle"
  toggle.textContent = "▸"
  const name = document.createElement("button")
  name.type = "button"
  name.className = "unit"
  name.textContent = unit.name
  name.addEventListener("click", () => select(unit.id, unit.name, name))
  const children = document.createElement("ul")
  children.className = "tree"
  toggle.addEventListener("click", async () => {
    if (state === undefined) return
    if (toggle.textContent === "▾") {
      toggle.textContent = "▸"
      children.replaceChildren()
      return
    }
    toggle.textContent = "▾"
    const rows = await state.device.children(unit.id)
    children.replaceChildren(...rows.map(unitItem))
    if (rows.length === 0) children.replaceChildren(Object.assign(document.createElement("li"), { textContent: "(no sub-units)" }))
  })
  li.append(toggle, " ", name, children)
  return li
}

const renderPyramid = async () => {
  if (state === undefined) return
  const roots = await state.device.roots()
  ui.tree.replaceChildren(...roots.map(unitItem))
  if (roots.length === 0) ui.tree.replaceChildren(Object.assign(document.createElement("li"), { textContent: "Nothing synced yet: press Sync." }))
}

const showForm = () => {
  if (state === undefined) return
  const fillable = state.forms.find((form) => form.formId === ui.formSelect.value)
  state.form = fillable === undefined ? undefined : { fillable, rendered: renderForm(fillable.descriptor, ui.formContainer) }
  if (fillable === undefined) ui.formContainer.replaceChildren()
}

const renderForms = async () => {
  if (state === undefined) return
  state.forms = await state.device.forms()
  const previous = ui.formSelect.value
  ui.formSelect.replaceChildren(
    ...state.forms.map((form) => Object.assign(document.createElement("option"), { value: form.formId, textContent: `${form.name} (v${form.versionId})` }))
  )
  if (state.forms.some((form) => form.formId === previous)) ui.formSelect.value = previous
  showForm()
}

const renderTypes = async () => {
  if (state === undefined) return
  try {
    const page = await state.device.as.records.list(OrgUnitTypeModel, { limit: 500 })
    ui.proposeType.replaceChildren(
      Object.assign(document.createElement("option"), { value: "", textContent: "—" }),
      ...page.items.map((type) => Object.assign(document.createElement("option"), { value: String(type.id), textContent: String(type.name) }))
    )
  } catch {
    // the user may not read types: proposals go without one
  }
}

const refresh = async () => {
  await Promise.all([renderPyramid(), renderForms(), renderOutbox(), renderTypes()])
}

const showAcks = (acks: ReadonlyArray<PushAck>, before: ReadonlyMap<string, OutboxItem>) => {
  ui.acks.replaceChildren(
    ...acks.map((ack) => {
      const li = document.createElement("li")
      li.dataset["status"] = ack.status
      const item = before.get(ack.id)
      li.textContent = `${item === undefined ? ack.id : describe(item)}: ${ack.status}${ack.error === undefined ? "" : ` (${ack.error.tag}: ${ack.error.message})`}`
      return li
    })
  )
}

const runSync = async () => {
  if (state === undefined) return
  ui.sync.disabled = true
  ui.syncStatus.textContent = "Syncing…"
  try {
    const before = new Map((await state.device.outbox()).map((item) => [item.entry.id, item]))
    const outcome = await state.device.sync((pages) => {
      ui.syncStatus.textContent = `Pulling: page ${pages}…`
    })
    showAcks(outcome.acks, before)
    ui.syncStatus.textContent =
      `Synced: pushed ${outcome.push.applied} applied, ${outcome.push.unchanged} unchanged, ${outcome.push.rejected.length} rejected; ` +
      `pulled ${outcome.pull.pages} page(s), ${outcome.pull.written} written, ${outcome.pull.removed} removed.`
    ui.sync.dataset["done"] = String(Number(ui.sync.dataset["done"] ?? "0") + 1)
  } catch (error) {
    ui.syncStatus.textContent = `Sync failed: ${messageOf(error)}`
  } finally {
    ui.sync.disabled = false
    await refresh()
  }
}

const start = async (session: Session) => {
  await state?.device.dispose()
  state = { session, device: openDevice(session), forms: [], form: undefined, selected: undefined }
  ui.who.textContent = `${session.me.username} @ ${session.serverUrl}`
  ui.signin.hidden = true
  ui.app.hidden = false
  ui.signOut.hidden = false
  await refresh()
}

ui.signinForm.addEventListener("submit", async (event) => {
  event.preventDefault()
  ui.signinStatus.textContent = "Signing in…"
  try {
    const session = await signIn(ui.serverUrl.value, ui.username.value, ui.password.value)
    saveSession(session)
    ui.password.value = ""
    ui.signinStatus.textContent = ""
    await start(session)
    await runSync()
  } catch (error) {
    ui.signinStatus.textContent = `Sign-in failed: ${messageOf(error)}`
  }
})

ui.signOut.addEventListener("click", async () => {
  clearSession()
  await state?.device.dispose()
  state = undefined
  ui.app.hidden = true
  ui.signOut.hidden = true
  ui.signin.hidden = false
  ui.who.textContent = ""
})

ui.sync.addEventListener("click", () => void runSync())
ui.formSelect.addEventListener("change", showForm)

ui.form.addEventListener("submit", async (event) => {
  event.preventDefault()
  if (state === undefined || state.form === undefined) return
  if (!ui.form.reportValidity()) return
  if (state.selected === undefined) {
    ui.saveStatus.textContent = "Select an org unit in the tree first."
    return
  }
  const { fillable, rendered } = state.form
  const uuid = crypto.randomUUID()
  const xml = submissionXml(
    { formOdkId: fillable.descriptor.id_string ?? fillable.descriptor.name, version: fillable.versionId, instanceId: uuid },
    rendered.answers()
  )
  const location = rendered.location()
  try {
    await state.device.enqueue({
      id: uuid,
      kind: "submission",
      submission: {
        formId: fillable.formId,
        xml,
        uuid,
        orgUnitId: state.selected.id,
        projectId: state.session.me.projectId,
        createdAt: Date.now(),
        fileName: `${uuid}.xml`,
        ...(location === undefined ? {} : { location })
      }
    })
    ui.saveStatus.textContent = `Saved submission ${uuid} to the outbox.`
    showForm()
    await renderOutbox()
  } catch (error) {
    ui.saveStatus.textContent = `Not saved: ${messageOf(error)}`
  }
})

ui.proposeForm.addEventListener("submit", async (event) => {
  event.preventDefault()
  if (state === undefined) return
  if (!ui.proposeForm.reportValidity()) return
  if (state.selected === undefined) {
    ui.proposeStatus.textContent = "Select the parent unit in the tree first."
    return
  }
  const latitude = ui.proposeLatitude.value
  const longitude = ui.proposeLongitude.value
  try {
    await state.device.enqueue({
      kind: "orgUnitChangeRequest",
      request: {
        uuid: uuidv7(),
        newParentId: state.selected.id,
        newName: ui.proposeName.value,
        ...(ui.proposeType.value === "" ? {} : { newOrgUnitTypeId: ui.proposeType.value }),
        ...(latitude === "" || longitude === "" ? {} : { newLocation: { type: "Point", coordinates: [Number(longitude), Number(latitude)] } })
      }
    })
    ui.proposeStatus.textContent = `Saved the proposal "${ui.proposeName.value}" to the outbox.`
    ui.proposeForm.reset()
    await renderOutbox()
  } catch (error) {
    ui.proposeStatus.textContent = `Not saved: ${messageOf(error)}`
  }
})

window.addEventListener("online", showNetwork)
window.addEventListener("offline", showNetwork)
showNetwork()

if (__PWA_SW__ && "serviceWorker" in navigator) {
  navigator.serviceWorker.register("./sw.js", { type: "module", scope: "./" }).catch((error: unknown) => console.warn("service worker not registered", error))
}

const saved = loadSession()
if (saved === undefined) ui.signin.hidden = false
else
  void start(saved).catch((error: unknown) => {
    ui.signin.hidden = false
    ui.signinStatus.textContent = `Could not open the device's data: ${messageOf(error)}`
  })
