/** The README's Promise example, kept compiling and running (examples.test.ts). */
import { Actor, createIaso, MemoryStore } from "@iaso/core"

const iaso = createIaso({ store: MemoryStore.layer() })
const { account, version } = await iaso.accounts.setup({ name: "Promise Health" })
const admin = iaso.as(Actor.system(account.id))
const country = await admin.orgUnits.create({ name: "Sierra Leone", versionId: version.id })
await admin.orgUnits.create({ name: "Bo", versionId: version.id, parentId: country.id })
const children = await admin.orgUnits.children(country.id)
await iaso.dispose()
console.log(children.items.map((unit) => unit.name).join(", "))
