/** The offline sync guide's program (docs/offline-sync.md). */
import { Actor, createIaso, MemoryStore, promiseSyncTransport } from "@iaso/core"

// The server: an account, a pyramid of VALID units and a form of the project.
const server = createIaso({ store: MemoryStore.layer() })
const { account, version, project } = await server.accounts.setup({ name: "Sync Health" })
const admin = server.as(Actor.system(account.id))
const valid = { versionId: version.id, validationStatus: "VALID" } as const
const country = await admin.orgUnits.create({ name: "Sierra Leone", ...valid })
const bo = await admin.orgUnits.create({ name: "Bo", parentId: country.id, ...valid })
await admin.orgUnits.create({ name: "Kenema", parentId: country.id, ...valid })
await admin.orgUnits.create({ name: "Bo Government Hospital", parentId: bo.id, ...valid })
const form = await admin.forms.create({ name: "Household visit", projectIds: [project.id] })

// A collector rooted at Bo, as the server authenticates it and as its device knows it.
const collector = Actor.user({ accountId: account.id, permissions: ["iaso_forms", "iaso_submissions", "iaso_org_units"], orgUnitRoots: [bo.id] })
const onServer = server.as(collector).sync
const transport = promiseSyncTransport({ pull: onServer.pull, reconcile: onServer.reconcile, push: onServer.push })

// The device: its own store (IndexedDB in a browser app), filled by pulls.
const device = createIaso({ store: MemoryStore.layer() })
const phone = device.as(collector).syncClient
const first = await phone.pull(transport, { projectId: project.id, pageSize: 4 })
const units = await device.as(collector).orgUnits.descendants(bo.id)
console.log(`first pull: ${first.pages} pages, ${first.written} records; under Bo: ${units.items.map((unit) => unit.name).join(", ")}`)

// Offline: a submission goes to the outbox, and leaves it once the server acknowledged it.
const xml = `<?xml version="1.0"?><data id="visit"><members>4</members><meta><instanceID>uuid:0193a8f0-7c1e-7b2a-9f00-5e2d1c3b4a59</instanceID></meta></data>`
await phone.enqueue({ kind: "submission", submission: { formId: form.id, xml, orgUnitId: bo.id, createdAt: Date.UTC(2026, 11, 7, 9) } })
console.log(`outbox: ${(await phone.outbox()).map((item) => `${item.entry.kind} ${item.status}`).join(", ")}`)
const pushed = await phone.push(transport)
console.log(`push: ${pushed.applied} applied, ${pushed.rejected.length} rejected; outbox now ${(await phone.outbox()).length}`)

// The server moves the hospital out of Bo: the next pull repairs the device through the checksums.
const hospital = (await admin.orgUnits.children(bo.id)).items[0]
if (hospital?.id !== undefined) await admin.orgUnits.move(hospital.id, country.id)
const second = await phone.pull(transport, { projectId: project.id })
const held = await device.as(collector).orgUnits.descendants(bo.id)
console.log(`second pull: repaired ${second.repaired.join(", ")}; under Bo: ${held.items.length} units`)
console.log(`submissions on the device: ${(await device.as(collector).instances.list()).items.length}`)

await device.dispose()
await server.dispose()
