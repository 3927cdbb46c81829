/**
 * What a device keeps about its sync, in its own store beside the synced records: the outbox (what
 * it made offline and has not seen acknowledged) and its pull cursors. Both stay on the device: no
 * synced set serves them, and only the sync client writes them (generic writes are refused). Both
 * belong to the user who made them (`ownerId`, a row scope): on a device shared by several users,
 * each one's push sends only its own entries, and each one's pulls resume from its own cursor.
 * @module
 */
import { Schema } from "effect"
import { entityId } from "../shared/ids.ts"
import { JsonObject } from "../shared/json.ts"
import { defineModel } from "../shared/model.ts"
import { Text } from "../shared/text.ts"
import { Instant } from "../shared/time.ts"

/** The id of an outbox entry: the uuid the device gave it (sent with it, so a re-send is recognised). */
export const SyncOutboxEntryId = entityId("SyncOutboxEntryId")
export type SyncOutboxEntryId = typeof SyncOutboxEntryId.Type

/** The id of a device's pull cursor. */
export const SyncCursorId = entityId("SyncCursorId")
export type SyncCursorId = typeof SyncCursorId.Type

/** An outbox entry's state: waiting to be sent, or refused by the server (kept for the app to show). */
export const OUTBOX_STATUSES = ["PENDING", "REJECTED"] as const
export const OutboxStatus = Schema.Literals(OUTBOX_STATUSES)
export type OutboxStatus = typeof OutboxStatus.Type

const Count = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2147483647 }))

/** The owner of every write of the sync models. */
const SYNC_CLIENT = "SyncClient"

/** The SyncOutboxEntry model declaration: one push entry made on the device, in creation order (ids are UUIDv7). */
export const SyncOutboxEntryModel = defineModel({
  name: "SyncOutboxEntry",
  id: SyncOutboxEntryId,
  scope: "account",
  fields: {
    /** The entry's kind (`submission`, `storageLogs`, `positions`). */
    kind: Text,
    /** The push entry, in its wire (encoded) form. */
    entry: JsonObject,
    status: OutboxStatus,
    /** Sends tried without an answer. */
    attempts: Count,
    /** The server's refusal, when REJECTED: the typed error's tag and message. */
    rejection: Schema.optionalKey(JsonObject),
    /** When it was last sent without an answer. */
    lastAttemptAt: Schema.optionalKey(Instant),
    /** The user who made it (`ownerKey`: `""` for an actor without a user id); absent on entries made before owners were kept. */
    ownerId: Schema.optionalKey(Text)
  },
  indexes: [
    { name: "sync_outbox_status", fields: ["accountId", "status"] },
    { name: "sync_outbox_owner_status", fields: ["accountId", "ownerId", "status"] }
  ],
  access: { read: [], write: [] },
  rowScope: { kind: "owner", field: "ownerId" },
  managedBy: SYNC_CLIENT
})

/** An outbox entry as stored. */
export type SyncOutboxEntry = typeof SyncOutboxEntryModel.schema.Type

/** The SyncCursor model declaration: where a device's pulls of one project by one user resume. */
export const SyncCursorModel = defineModel({
  name: "SyncCursor",
  id: SyncCursorId,
  scope: "account",
  fields: {
    /** The project pulled ("" when none). */
    projectId: Text,
    /** The server's cursor after the last applied page. */
    cursor: Text,
    /** When the last complete pull ended (its checksums matched, after any repair). */
    completedAt: Schema.optionalKey(Instant),
    /** The user whose pulls it resumes (`ownerKey`); absent on cursors made before owners were kept (not used again). */
    ownerId: Schema.optionalKey(Text)
  },
  indexes: [{ name: "sync_cursor_project_owner_unique", fields: ["accountId", "projectId", "ownerId"], unique: true }],
  access: { read: [], write: [] },
  rowScope: { kind: "owner", field: "ownerId" },
  managedBy: SYNC_CLIENT
})

/** A pull cursor as stored. */
export type SyncCursor = typeof SyncCursorModel.schema.Type
