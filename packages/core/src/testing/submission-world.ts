/**
 * What the submission scenarios share: an account with units, a form and users per access level,
 * a memory blob store, submission XML, the ingest call and stored-row snapshots.
 * @module
 */
import { Context, Effect, Exit, Layer } from "effect"
import { AuditEntryModel } from "../audit/audit-entry.ts"
import { Repos } from "../kernel/repos.ts"
import { DeviceModel, DeviceProjectModel } from "../devices/devices.ts"
import { type Form, FormModel } from "../forms/form.ts"
import type { OrgUnit } from "../registry/org-unit.ts"
import { OrgUnits } from "../registry/org-units-service.ts"
import { BlobStore } from "../shared/blob.ts"
import type { FormId, OrgUnitId, UserId } from "../shared/entity-ids.ts"
import { uuidv7 } from "../shared/ids.ts"
import type { AnyModel, Row } from "../shared/model.ts"
import { InstanceFileModel, InstanceLockModel, InstanceModel } from "../submissions/instance-model.ts"
import { Instances, type SubmissionInput } from "../submissions/instances-service.ts"
import { AccountSequenceModel, SEQUENCE_BLOCK } from "../submissions/sequence.ts"
import { Actor, type CurrentActor } from "../tenancy/actor.ts"
import type { Permission } from "../tenancy/permissions.ts"
import { UserModel } from "../tenancy/users.ts"
import { exitError, exitTag, type FreshAccount, type Harness, type SuiteServices } from "./harness.ts"

export type R = SuiteServices | Instances | BlobStore | CurrentActor

/** A memory blob store, built once per scenario and shared by its calls. */
/** The units submissions are made on: Country > District > Facility, and another district. */
export const submissionUnits = (harness: Harness, account: FreshAccount) =>
  harness.as(
    account.system,
    Effect.gen(function* () {
      const service = yield* OrgUnits
      const versionId = account.versionId as OrgUnit["versionId"]
      const root = yield* service.create({ name: "Country", versionId })
      const district = yield* service.create({ name: "District", versionId, parentId: root.id })
      const facility = yield* service.create({ name: "Facility", versionId, parentId: district.id })
      const elsewhere = yield* service.create({ name: "Other district", versionId, parentId: root.id })
      return { root, district, facility, elsewhere }
    })
  )

/** A blob store in memory, for the attachments of a scenario. */
export const memoryBlobs = (): Promise<BlobStore["Service"]> =>
  Effect.runPromise(Effect.scoped(Effect.map(Layer.build(BlobStore.memory()), (context) => Context.get(context, BlobStore))))

export const run = <A, E>(harness: Harness, actor: Actor, blobs: BlobStore["Service"], effect: Effect.Effect<A, E, R>): Promise<Exit.Exit<A, E>> =>
  harness.exitAs(actor, effect.pipe(Effect.provide(Instances.layer), Effect.provideService(BlobStore, blobs)))

export const ok = async <A, E>(exit: Promise<Exit.Exit<A, E>>): Promise<A> => {
  const done = await exit
  if (Exit.isSuccess(done)) return done.value
  throw new Error(`expected success, got ${exitTag(done)}: ${String((exitError(done) as { message?: unknown } | undefined)?.message ?? "")}`)
}

export const I = Effect.service(Instances)

/** A submission XML: answers as leaves (a `/` in a key makes a group), ODK meta, the form version. */
export const submissionXml = (input: {
  readonly id: string
  readonly version?: string
  readonly answers?: Readonly<Record<string, string>>
  readonly deprecated?: string
  readonly pretty?: boolean
}): string => {
  const gap = input.pretty === true ? "\n  " : ""
  const leaves = Object.entries(input.answers ?? {})
    .map(([key, value]) => {
      const parts = key.split("/")
      const leaf = parts.pop() ?? key
      const inner = `<${leaf}>${value}</${leaf}>`
      return parts.reduceRight((acc, group) => `<${group}>${acc}</${group}>`, inner)
    })
    .join(gap)
  const meta = `<meta><instanceID>uuid:${input.id}</instanceID>${input.deprecated === undefined ? "" : `<deprecatedID>uuid:${input.deprecated}</deprecatedID>`}</meta>`
  return `<?xml version='1.0' ?><data id="household_survey"${input.version === undefined ? "" : ` version="${input.version}"`}>${gap}${leaves}${gap}${meta}</data>`
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
export const CREATED = new Date("2024-05-15T08:30:00Z")

/** A "Household survey" form of the account (no version), stored as it is, with `formFields` over the defaults. */
export const householdForm = (harness: Harness, account: FreshAccount, formFields: Partial<Form> = {}) =>
  harness.run(
    Effect.flatMap(Effect.service(Repos), (repos) =>
      repos.insert(FormModel, account.accountId, {
        name: "Household survey",
        uuid: uuidv7(),
        correlatable: false,
        singlePerPeriod: false,
        derived: false,
        changeRequestMode: "CR_MODE_NONE",
        ...formFields
      })
    )
  )

/** An account with root > district > facility, a second district, a form and a user per access level. */
export const world = async (harness: Harness, formFields: Partial<Form> = {}) => {
  const account = await harness.freshAccount()
  const units = await submissionUnits(harness, account)
  const repos = await harness.repos()
  const form = await householdForm(harness, account, formFields)
  const user = async (name: string, roots: ReadonlyArray<OrgUnit>, permissions: ReadonlyArray<Permission> = ["iaso_submissions"]) => {
    const record = await harness.run(
      repos.insert(UserModel, account.accountId, { username: `${name}.${uuidv7()}`, firstName: name, lastName: "", email: "", isActive: true })
    )
    return Actor.user({ accountId: account.accountId, userId: record.id as UserId, permissions, orgUnitRoots: roots.map((unit) => unit.id as OrgUnitId) })
  }
  return { account, units, form, formId: form.id as FormId, user, blobs: await memoryBlobs() }
}

export type World = Awaited<ReturnType<typeof world>>

export const ingest = (
  harness: Harness,
  w: World,
  actor: Actor,
  input: Omit<SubmissionInput, "formId" | "createdAt"> & Partial<Pick<SubmissionInput, "formId" | "createdAt">>
) =>
  run(
    harness,
    actor,
    w.blobs,
    Effect.flatMap(I, (instances) => instances.ingest({ formId: w.formId, createdAt: CREATED, ...input }))
  )

export const snapshot = async (harness: Harness, account: FreshAccount, models: ReadonlyArray<AnyModel>) => {
  const out: Record<string, ReadonlyArray<Row>> = {}
  for (const model of models) out[model.name] = await harness.inspectAccount(model, account.accountId)
  return out
}

/**
 * The value of an account's correlation counter after one process took `taken` values: on a store
 * with concurrent writers values are taken in committed blocks of {@link SEQUENCE_BLOCK}, elsewhere
 * one by one inside the unit of work that uses them.
 */
export const counterAfter = async (harness: Harness, taken: number): Promise<number> =>
  (await harness.repos()).driver.capabilities.concurrentWriters ? Math.ceil(taken / SEQUENCE_BLOCK) * SEQUENCE_BLOCK : taken

/** Whether values of the correlation counter outlive a rolled-back ingestion (taken in committed blocks, see {@link counterAfter}). */
export const countersInBlocks = async (harness: Harness): Promise<boolean> => (await harness.repos()).driver.capabilities.concurrentWriters

export const WRITTEN = [InstanceModel, InstanceFileModel, DeviceModel, DeviceProjectModel, AccountSequenceModel, AuditEntryModel, InstanceLockModel]

export const photo = (text: string) => ({ name: "photo.jpg", bytes: bytes(text), mediaType: "image/jpeg" })
