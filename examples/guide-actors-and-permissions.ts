/**
 * The code of docs/actors-and-permissions.md: the system actor, a user whose actor is read from
 * its profile and role, what an org-unit root hides, and a missing permission. Run it with
 * `npx node --conditions=@iaso/source examples/guide-actors-and-permissions.ts`.
 */
import { Actor, CurrentActor, createIaso, Forbidden, MemoryStore, NotFound, OrgUnits, UserRoleModel } from "@iaso/core"
import { Effect } from "effect"

const iaso = createIaso({ store: MemoryStore.layer() })
const { account, version } = await iaso.accounts.setup({ name: "Actor Health" })

// The host app's own work: every permission, no restriction, in one account.
const admin = iaso.as(Actor.system(account.id))
const country = await admin.orgUnits.create({ name: "Sierra Leone", versionId: version.id })
const bo = await admin.orgUnits.create({ name: "Bo", versionId: version.id, parentId: country.id })
await admin.orgUnits.create({ name: "Bo Government Hospital", versionId: version.id, parentId: bo.id })
await admin.orgUnits.create({ name: "Kenema", versionId: version.id, parentId: country.id })

// A role holding IASO permission codenames, and a user (with its profile) given the role and Bo.
const role = await admin.records.create(UserRoleModel, { name: "District data manager", permissions: ["iaso_org_units", "iaso_forms"] })
const { user } = await admin.users.create({ username: "aminata", firstName: "Aminata", lastName: "Kamara", userRoleIds: [role.id], orgUnitIds: [bo.id] })

// The user's actor, read from the profile and its roles.
const actor = await admin.accounts.actorFor(user.id)
console.log(`permissions: ${[...actor.permissions].sort().join(", ")}`)
const aminata = iaso.as(actor)

// Within Bo, the user reads and writes; above or beside it, the units do not exist for them.
const below = await aminata.orgUnits.descendants(bo.id, { select: ["name"] })
console.log(`under Bo: ${below.items.map((unit) => unit.name).join(", ")}`)
const attempts = [
  () => aminata.orgUnits.get(country.id),
  () => aminata.orgUnits.create({ name: "Kailahun", versionId: version.id, parentId: country.id }),
  // A permission the role lacks.
  () => aminata.sources.createDataSource({ name: "Another source" })
]
for (const attempt of attempts) {
  await attempt().catch((error: unknown) => {
    if (error instanceof NotFound) console.log(`NotFound: ${error.model} ${error.id === country.id ? "Sierra Leone" : error.id}`)
    else if (error instanceof Forbidden) console.log(`Forbidden: ${error.message}`)
    else throw error
  })
}

// An actor made in code (tests, a trusted back end), used from Effect through CurrentActor.
const reader = Actor.user({ accountId: account.id, permissions: ["iaso_org_units_read"], orgUnitRoots: [bo.id] })
const hospital = await iaso.run(
  Effect.gen(function* () {
    const units = yield* OrgUnits
    const page = yield* units.children(bo.id)
    return page.items.map((unit) => unit.name).join(", ")
  }).pipe(Effect.provideService(CurrentActor, reader))
)
console.log(`children of Bo, read in Effect: ${hospital}`)
await iaso.dispose()
