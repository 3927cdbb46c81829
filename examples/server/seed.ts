/**
 * The example server's demo data, made idempotently: an account (`Accounts.setup`), a small
 * pyramid (Sierra > North and South > two districts each > two facilities each, every unit VALID
 * in the default version), a "Household visit" form with a published version from an XLSForm
 * (text, integer, select_one, geopoint and a repeat group) in the main project, and the user
 * `demo` / `demo-password` rooted at the North region with the permissions to collect.
 *
 * Run it on its own with `npm run server:seed` (same `DATABASE_URL` as the server); `main.ts`
 * calls {@link seedDemo} on start, which makes nothing when the account already exists.
 * @module
 */
import { Actor, type IasoClient, type OrgUnit, type OrgUnitId, type Permission } from "@iaso/core"
import { writeXlsx } from "@iaso/core/xlsform"

/** The demo account's name. */
export const DEMO_ACCOUNT = "IASO Demo"
/** The demo user's credentials. */
export const DEMO_USER = { username: "demo", password: "demo-password" } as const
/** The permissions of the demo user: what a data collector needs. */
export const DEMO_PERMISSIONS: ReadonlyArray<Permission> = ["iaso_forms", "iaso_submissions", "iaso_update_submission", "iaso_org_units", "iaso_org_units_read"]
/** The demo form's name and its ODK form id. */
export const DEMO_FORM = { name: "Household visit", formId: "household_visit", version: "2026120701" } as const

/** The pyramid, top down: a unit's name, its type and its children. */
interface Planned {
  readonly name: string
  readonly type: "Country" | "Region" | "District" | "Facility"
  readonly location?: readonly [number, number]
  readonly children?: ReadonlyArray<Planned>
}

const PYRAMID: Planned = {
  name: "Sierra",
  type: "Country",
  children: [
    {
      name: "North",
      type: "Region",
      children: [
        {
          name: "Bombali",
          type: "District",
          children: [
            { name: "Makeni Hospital", type: "Facility", location: [-12.04, 8.88] },
            { name: "Kamabai Clinic", type: "Facility", location: [-11.92, 9.13] }
          ]
        },
        {
          name: "Koinadugu",
          type: "District",
          children: [
            { name: "Kabala Hospital", type: "Facility", location: [-11.55, 9.59] },
            { name: "Fadugu Clinic", type: "Facility", location: [-11.76, 9.38] }
          ]
        }
      ]
    },
    {
      name: "South",
      type: "Region",
      children: [
        {
          name: "Bo",
          type: "District",
          children: [
            { name: "Bo Hospital", type: "Facility", location: [-11.74, 7.96] },
            { name: "Gerihun Clinic", type: "Facility", location: [-11.58, 7.88] }
          ]
        },
        {
          name: "Pujehun",
          type: "District",
          children: [
            { name: "Pujehun Hospital", type: "Facility", location: [-11.72, 7.35] },
            { name: "Zimmi Clinic", type: "Facility", location: [-11.31, 7.31] }
          ]
        }
      ]
    }
  ]
}

/** The demo form as an XLSForm workbook (survey, choices, settings). */
export const demoXlsForm = (): Uint8Array =>
  writeXlsx({
    sheets: [
      {
        name: "survey",
        rows: [
          ["type", "name", "label", "required"],
          ["text", "head_name", "Name of the head of household", "yes"],
          ["integer", "members", "Number of members", "yes"],
          ["select_one water", "water_source", "Main water source", ""],
          ["geopoint", "gps", "Location of the household", ""],
          ["begin_repeat", "member", "Members", ""],
          ["text", "member_name", "Member name", ""],
          ["integer", "member_age", "Member age", ""],
          ["end_repeat", "", "", ""]
        ]
      },
      {
        name: "choices",
        rows: [
          ["list_name", "name", "label"],
          ["water", "tap", "Tap"],
          ["water", "well", "Well"],
          ["water", "river", "River"]
        ]
      },
      {
        name: "settings",
        rows: [
          ["form_id", "version", "form_title"],
          [DEMO_FORM.formId, DEMO_FORM.version, DEMO_FORM.name]
        ]
      }
    ]
  })

/** What the demo holds (the same whether it was just made or found). */
export interface DemoSummary {
  /** Whether this call made it (false: the account existed). */
  readonly created: boolean
  readonly accountId: string
  readonly projectId: string
  readonly versionId: string
  readonly userId: string
  readonly formId: string
  /** The demo user's root (the North region). */
  readonly rootId: string
  /** Every unit of the pyramid, by name. */
  readonly units: Readonly<Record<string, { readonly id: string; readonly parentId: string | null }>>
}

/** Reads what the demo account holds, as its system actor. */
const describe = async (iaso: IasoClient, accountId: string, created: boolean): Promise<DemoSummary> => {
  const account = await iaso.accounts.findByName(DEMO_ACCOUNT)
  if (account._tag === "None") throw new Error(`the account ${DEMO_ACCOUNT} is missing`)
  const admin = iaso.as(Actor.system(account.value.id))
  const [project] = await admin.projects.list()
  const versionId = account.value.defaultVersionId
  if (project === undefined || versionId === undefined) throw new Error(`the account ${DEMO_ACCOUNT} has no project or no default version`)
  const units: Record<string, { id: string; parentId: string | null }> = {}
  for await (const unit of admin.orgUnits.descendantsAll(await topUnit(iaso, account.value.id))) {
    if (unit.id !== undefined && unit.name !== undefined) units[unit.name] = { id: unit.id, parentId: unit.parentId ?? null }
  }
  const root = await admin.orgUnits.search({ parentId: null, limit: 1 })
  const country = root.items[0]
  if (country?.id !== undefined && country.name !== undefined) units[country.name] = { id: country.id, parentId: null }
  const users = await admin.users.list({ usernameStartsWith: DEMO_USER.username })
  const user = users.items.find((item) => item.user.username === DEMO_USER.username)
  const forms = await admin.forms.list({ search: DEMO_FORM.name })
  const form = forms.items[0]
  const rootId = units["North"]?.id
  if (user === undefined || form?.id === undefined || rootId === undefined) throw new Error(`the account ${DEMO_ACCOUNT} lacks the demo user, form or region`)
  return { created, accountId, projectId: project.id, versionId, userId: user.user.id, formId: form.id, rootId, units }
}

const topUnit = async (iaso: IasoClient, accountId: OrgUnit["accountId"]): Promise<OrgUnitId> => {
  const page = await iaso.as(Actor.system(accountId)).orgUnits.search({ parentId: null, limit: 1 })
  const id = page.items[0]?.id
  if (id === undefined) throw new Error(`the account ${DEMO_ACCOUNT} has no pyramid`)
  return id
}

/**
 * Makes the demo data unless the demo account exists (see the module documentation), and answers
 * what it holds.
 */
export const seedDemo = async (iaso: IasoClient): Promise<DemoSummary> => {
  const existing = await iaso.accounts.findByName(DEMO_ACCOUNT)
  if (existing._tag === "Some") return describe(iaso, existing.value.id, false)
  const { account, project, version } = await iaso.accounts.setup({ name: DEMO_ACCOUNT })
  const admin = iaso.as(Actor.system(account.id))

  // Types, each level allowed under the one above.
  const types = {
    Country: await admin.orgUnitTypes.create({ name: "Country", depth: 1, projectIds: [project.id] }),
    Region: await admin.orgUnitTypes.create({ name: "Region", depth: 2, projectIds: [project.id] }),
    District: await admin.orgUnitTypes.create({ name: "District", depth: 3, projectIds: [project.id] }),
    Facility: await admin.orgUnitTypes.create({ name: "Facility", depth: 4, projectIds: [project.id] })
  }
  await admin.orgUnitTypes.setSubUnitTypes(types.Country.id, [types.Region.id])
  await admin.orgUnitTypes.setSubUnitTypes(types.Region.id, [types.District.id])
  await admin.orgUnitTypes.setSubUnitTypes(types.District.id, [types.Facility.id])

  // The pyramid, parents first, every unit VALID in the default version.
  const create = async (planned: Planned, parentId: OrgUnitId | undefined): Promise<void> => {
    const unit = await admin.orgUnits.create({
      name: planned.name,
      versionId: version.id,
      orgUnitTypeId: types[planned.type].id,
      validationStatus: "VALID",
      ...(parentId === undefined ? {} : { parentId }),
      ...(planned.location === undefined ? {} : { location: { type: "Point", coordinates: [...planned.location] } })
    })
    for (const child of planned.children ?? []) await create(child, unit.id)
  }
  await create(PYRAMID, undefined)

  // The form and its published version.
  const form = await admin.forms.create({ name: DEMO_FORM.name, projectIds: [project.id], orgUnitTypeIds: [types.Facility.id, types.District.id] })
  await admin.formVersions.create({ formId: form.id, xlsForm: { fileName: `${DEMO_FORM.formId}.xlsx`, bytes: demoXlsForm() } })

  // The collector, rooted at the North region.
  const north = await admin.orgUnits.search({ name: "North", limit: 1 })
  const northId = north.items[0]?.id
  if (northId === undefined) throw new Error("the North region was not created")
  await admin.users.create({
    username: DEMO_USER.username,
    password: DEMO_USER.password,
    firstName: "Demo",
    lastName: "Collector",
    permissions: DEMO_PERMISSIONS,
    orgUnitIds: [northId],
    projectIds: [project.id]
  })
  return describe(iaso, account.id, true)
}

/** Prints a summary. */
export const printSummary = (summary: DemoSummary): void => {
  console.log(`${summary.created ? "created" : "found"} the demo account "${DEMO_ACCOUNT}" (${summary.accountId})`)
  console.log(`  project ${summary.projectId}, default version ${summary.versionId}`)
  console.log(`  pyramid: ${Object.keys(summary.units).length} units (${Object.keys(summary.units).join(", ")})`)
  console.log(`  form "${DEMO_FORM.name}" (${summary.formId}), version ${DEMO_FORM.version}`)
  console.log(`  user ${DEMO_USER.username} / ${DEMO_USER.password} (${summary.userId}), rooted at North (${summary.rootId})`)
}

if (import.meta.main) {
  const { openStore } = await import("./store.ts")
  const { iaso } = await openStore()
  try {
    printSummary(await seedDemo(iaso))
  } finally {
    await iaso.dispose()
  }
}
