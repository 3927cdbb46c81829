/**
 * The device: the SDK over IndexedDB (`createIasoLite` of `@iaso/core/lite` with `IndexedDbStore`:
 * the services a field app uses, without the administration services and their parsers, for a
 * smaller bundle), acting as the signed-in user, and its sync with the server over HTTP
 * (`httpSyncTransport`, the token as a bearer).
 * @module
 */
import { IndexedDbStore } from "@iaso/adapter-indexeddb"
import {
  type FormDescriptor,
  type FormId,
  httpSyncTransport,
  type OrgUnit,
  type OrgUnitId,
  type OutboxInput,
  type OutboxItem,
  type PullReport,
  type PushAck,
  type PushReport,
  SyncClient,
  type SyncTransport
} from "@iaso/core"
import { createIasoLite, type IasoLiteAs, type IasoLiteClient } from "@iaso/core/lite"
import { Effect } from "effect"
import { actorOf, type Session } from "./session.ts"

/** A form the device can fill: the synced form and its latest synced version's descriptor. */
export interface FillableForm {
  readonly formId: FormId
  readonly name: string
  readonly versionId: string
  readonly descriptor: FormDescriptor
}

/** A unit as the pyramid browser shows it. */
export interface UnitRow {
  readonly id: OrgUnitId
  readonly name: string
}

/** What a sync did, with the server's answer per pushed entry. */
export interface SyncOutcome {
  readonly push: PushReport
  readonly pull: PullReport
  readonly acks: ReadonlyArray<PushAck>
}

/** The SDK of one signed-in user on this browser. */
export interface Device {
  readonly as: IasoLiteAs
  readonly roots: () => Promise<ReadonlyArray<UnitRow>>
  readonly children: (id: OrgUnitId) => Promise<ReadonlyArray<UnitRow>>
  readonly unit: (id: OrgUnitId) => Promise<OrgUnit>
  readonly forms: () => Promise<ReadonlyArray<FillableForm>>
  readonly enqueue: (input: OutboxInput) => Promise<OutboxItem>
  readonly outbox: () => Promise<ReadonlyArray<OutboxItem>>
  readonly discard: (id: string) => Promise<void>
  readonly sync: (onPage: (pages: number) => void) => Promise<SyncOutcome>
  readonly dispose: () => Promise<void>
}

const isDescriptor = (value: unknown): value is FormDescriptor => typeof value === "object" && value !== null && "type" in value && value.type === "survey"

/** The device's IndexedDB database: one per server and user, so two users of one browser never mix data. */
export const databaseName = (session: Session): string => `iaso-pwa:${session.serverUrl}:${session.me.userId}`

/**
 * Opens the device's store for `session` (created and migrated on first use). Reads go through
 * the SDK's services as the user's actor, so its org-unit roots and permissions apply on the device too.
 */
export const openDevice = (session: Session): Device => {
  const client: IasoLiteClient = createIasoLite({ store: IndexedDbStore.layer({ name: databaseName(session) }) })
  const as = client.as(actorOf(session.me))
  const sync = Effect.service(SyncClient)
  const toRow = (unit: Partial<OrgUnit>): UnitRow => ({ id: unit.id as OrgUnitId, name: unit.name ?? "" })
  const byName = (a: UnitRow, b: UnitRow) => a.name.localeCompare(b.name)

  /** The transport, recording every push acknowledgement so the app can show the server's answer per entry. */
  const transport = (acks: Array<PushAck>): SyncTransport => {
    const http = httpSyncTransport({ baseUrl: `${session.serverUrl}/api/sync`, headers: { authorization: `Bearer ${session.token}` } })
    return { ...http, push: (request) => Effect.tap(http.push(request), (answer) => Effect.sync(() => acks.push(...answer.acks))) }
  }

  return {
    as,
    roots: async () => {
      const out: Array<UnitRow> = []
      for (const id of session.me.orgUnitRoots) {
        try {
          out.push(toRow(await as.orgUnits.get(id)))
        } catch {
          // a root not synced yet (before the first sync): left out
        }
      }
      return out.sort(byName)
    },
    children: async (id) => {
      const out: Array<UnitRow> = []
      for await (const unit of as.orgUnits.childrenAll(id)) out.push(toRow(unit))
      return out.sort(byName)
    },
    unit: (id) => as.orgUnits.get(id),
    forms: async () => {
      const out: Array<FillableForm> = []
      for await (const form of as.forms.listAll()) {
        if (form.id === undefined) continue
        const version = await as.formVersions.latest(form.id)
        if (version === undefined || !isDescriptor(version.formDescriptor)) continue
        out.push({ formId: form.id, name: form.name ?? form.id, versionId: version.versionId, descriptor: version.formDescriptor })
      }
      return out
    },
    enqueue: (input) => as.run(Effect.flatMap(sync, (c) => c.enqueue(input))),
    outbox: () => as.run(Effect.flatMap(sync, (c) => c.outbox())),
    discard: (id) => as.run(Effect.flatMap(sync, (c) => c.discard(id))),
    sync: async (onPage) => {
      const acks: Array<PushAck> = []
      const t = transport(acks)
      const options = {
        projectId: session.me.projectId,
        attempts: 2,
        backoffMillis: 300,
        onProgress: (progress: { readonly phase?: string; readonly done?: number }) => {
          if (progress.phase === "pull" && progress.done !== undefined) onPage(progress.done)
        }
      }
      const result = await as.run(Effect.flatMap(sync, (c) => c.sync(t, options)))
      return { ...result, acks }
    },
    dispose: () => client.dispose()
  }
}
