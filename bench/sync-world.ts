/**
 * The server side of the sync benchmarks: a store chosen by the environment (PostgreSQL in a fresh
 * schema when `DATABASE_URL` is set, else PGlite in memory, said loudly), an account with a
 * pyramid, a form of the account's project with a version (a text question and a photo), and one
 * user per chosen unit, rooted there.
 */
import { PostgresStore } from "@iaso/adapter-postgres"
import { PGliteStore } from "@iaso/adapter-postgres/pglite"
import { freshSchema } from "@iaso/adapter-postgres/testing"
import {
  AccountId,
  Actor,
  BlobStore,
  createIaso,
  FormModel,
  FormVersionModel,
  type IasoClient,
  OrgUnitId,
  type Permission,
  ProjectFormModel,
  UserId,
  UserModel,
  uuidv7
} from "@iaso/core"
import { Repos } from "@iaso/core/kernel"
import { Effect } from "effect"
import type pg from "pg"
import { type GeneratedUnit, importRecordOf, importUnits } from "./pyramid.ts"

/** The form version the generated submissions name. */
export const SYNC_FORM_VERSION = "2026120701"

const DESCRIPTOR = {
  name: "data",
  type: "survey",
  id_string: "facility_visit",
  version: SYNC_FORM_VERSION,
  children: [
    { name: "head_name", type: "text" },
    { name: "photo", type: "photo" },
    { name: "meta", type: "group", children: [{ name: "instanceID", type: "calculate" }] }
  ]
}

/** The XML of a generated submission (about 250 bytes) naming its photo `photo.jpg`. */
export const submissionXml = (uuid: string, name: string): string =>
  `<?xml version='1.0' ?><data id="facility_visit" version="${SYNC_FORM_VERSION}"><head_name>${name}</head_name><photo>photo.jpg</photo>` +
  `<meta><instanceID>uuid:${uuid}</instanceID></meta></data>`

/** What a device user may do. */
export const DEVICE_PERMISSIONS: ReadonlyArray<Permission> = ["iaso_forms", "iaso_submissions", "iaso_org_units"]

/** The server's store: the SDK over it, what it is, a `pg` pool on its schema for raw baselines (PostgreSQL only), and its teardown. */
export interface SyncServerStore {
  readonly iaso: IasoClient
  readonly description: string
  /** PostgreSQL: the pool and schema of the store (raw baselines query the same tables). */
  readonly pg: { readonly pool: pg.Pool; readonly schema: string; readonly table: (name: string) => string } | undefined
  readonly close: () => Promise<void>
}

/** Opens the server's store: PostgreSQL in a fresh schema, or PGlite in memory (with a loud warning). */
export const openSyncServerStore = (databaseUrl: string, label: string, maxConnections = 8): SyncServerStore => {
  if (databaseUrl === "") {
    console.warn(`!!! ${label}: DATABASE_URL is not set: the server runs on PGlite in memory (one connection, WASM), NOT PostgreSQL; no raw baseline.`)
    const iaso = createIaso({ store: PGliteStore.layer({}), blobs: BlobStore.memory() })
    return { iaso, description: "PGlite", pg: undefined, close: () => iaso.dispose() }
  }
  const db = freshSchema(databaseUrl, { label, maxConnections })
  const iaso = createIaso({ store: PostgresStore.layer({ pool: db.pool, schema: db.schema }), blobs: BlobStore.memory() })
  return {
    iaso,
    description: "PostgreSQL",
    pg: { pool: db.pool, schema: db.schema, table: db.table },
    close: async () => {
      await iaso.dispose()
      await db.drop()
    }
  }
}

/** A user of the world, rooted at one unit. */
export interface WorldUser {
  readonly userId: string
  readonly actor: Actor
  readonly root: GeneratedUnit
}

/** The server's world. */
export interface SyncWorld {
  readonly accountId: string
  readonly projectId: string
  readonly formId: string
  readonly users: ReadonlyArray<WorldUser>
}

/** Runs an effect needing the kernel's `Repos` (which the client's runtime holds) on the client. */
const withRepos = <A, E>(iaso: IasoClient, f: (repos: Repos["Service"]) => Effect.Effect<A, E, never>): Promise<A> =>
  iaso.run(Effect.flatMap(Effect.service(Repos), f) as unknown as Effect.Effect<A, E, never>)

/** An account with `units` imported (one unit of work), the form, and one user rooted at each of `roots`. */
export const setupSyncWorld = async (iaso: IasoClient, units: ReadonlyArray<GeneratedUnit>, roots: ReadonlyArray<GeneratedUnit>): Promise<SyncWorld> => {
  const { account, version, project } = await iaso.accounts.setup({ name: `bench sync ${uuidv7()}` })
  await iaso.run(
    importUnits(
      account.id,
      units.map((unit) => importRecordOf(unit, version.id))
    ) as unknown as Effect.Effect<void, unknown, never>
  )
  const formId = await withRepos(
    iaso,
    (repos) =>
      Effect.gen(function* () {
        const form = yield* repos.insert(FormModel, account.id, {
          name: "Facility visit",
          uuid: uuidv7(),
          correlatable: false,
          singlePerPeriod: false,
          derived: false,
          changeRequestMode: "CR_MODE_NONE"
        })
        const file = yield* (yield* BlobStore).put(new TextEncoder().encode("<h:html/>"), { mediaType: "text/xml" })
        yield* repos.insert(FormVersionModel, account.id, { formId: form.id, file, md5: "", versionId: SYNC_FORM_VERSION, formDescriptor: DESCRIPTOR as never })
        yield* repos.insert(ProjectFormModel, account.id, { projectId: project.id, formId: form.id })
        return form.id as string
      }) as unknown as Effect.Effect<string, unknown, never>
  )
  const users: Array<WorldUser> = []
  for (const [n, root] of roots.entries()) {
    const user = await withRepos(iaso, (repos) =>
      repos.insert(UserModel, account.id, { username: `device.${n}.${uuidv7()}`, firstName: "Device", lastName: String(n), email: "", isActive: true })
    )
    users.push({
      userId: user.id,
      root,
      actor: Actor.user({
        accountId: AccountId.make(account.id),
        userId: UserId.make(user.id),
        permissions: DEVICE_PERMISSIONS,
        orgUnitRoots: [OrgUnitId.make(root.id)]
      })
    })
  }
  return { accountId: account.id, projectId: project.id, formId, users }
}

/** The sorted values' `p` quantile (0.5: median; nearest rank). */
export const quantile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number
}

/** The exclusive upper bound of a path prefix's range (`a/b/` -> `a/b0`: `0` follows `/`). */
export const pathUpperBound = (path: string): string => `${path.slice(0, -1)}0`
