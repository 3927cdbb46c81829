/**
 * The sync protocol's messages, as Schemas: both sides encode and decode them, so a transport
 * (HTTP, a worker's messages, a direct call in tests) carries plain JSON (`Schema.encode...` on
 * one side, `Schema.decodeUnknown...` on the other).
 *
 * - Pull: {@link PullRequest} -> {@link PullPage}, pages of changes *with the records' data* in
 *   change order after a cursor; the last page (`hasMore: false`) carries the checksums of what
 *   the server holds for the device's set.
 * - Reconcile: {@link ReconcileRequest} (what the device holds of one model: ids and versions)
 *   -> {@link ReconcileAnswer} (what it must drop, what it lacks or holds at another version).
 * - Push: {@link PushRequest} (outbox entries, in order) -> {@link PushAnswer} (one
 *   {@link PushAck} per entry).
 * @module
 */
import { Schema } from "effect"
import { JsonObject } from "../shared/json.ts"

const Int = Schema.Int
const Id = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100))
const ModelName = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100))

/** Records a device lists in one {@link ReconcileRequest}; a client sends more as id ranges. */
export const MAX_RECONCILE_HELD = 5000
/** Records one {@link ReconcileAnswer} puts at most; past it the answer stops at an id (`through`). */
export const MAX_RECONCILE_PUTS = 1000
/** Entries in one {@link PushRequest}. */
export const MAX_PUSH_ENTRIES = 500
/** Storage logs or positions in one outbox entry. */
export const MAX_ENTRY_ITEMS = 10_000
/** Attachments of one pushed submission, ids in a list of a change request or storage log. */
export const MAX_LIST_ITEMS = 1000

/** An array of at most `max` items (a message's lists are bounded: a decoder refuses more). */
const bounded = <S extends Schema.Top>(item: S, max: number) => Schema.Array(item).check(Schema.isMaxLength(max))

/** A record the device must hold: its encoded data (secret fields left out), at `version`. */
export const SyncPut = Schema.Struct({
  op: Schema.Literal("put"),
  model: ModelName,
  id: Id,
  version: Int,
  data: JsonObject
})
export type SyncPut = typeof SyncPut.Type

/** A record the device must drop (deleted, or no longer in its set). */
export const SyncRemove = Schema.Struct({ op: Schema.Literal("remove"), model: ModelName, id: Id })
export type SyncRemove = typeof SyncRemove.Type

/** One change of a pull page. */
export const SyncChange = Schema.Union([SyncPut, SyncRemove])
export type SyncChange = typeof SyncChange.Type

/** The checksum of one model's records (see `checksum.ts`). */
export const ModelChecksumSchema = Schema.Struct({ count: Int, sum: Int })

/** A pull: the changes after `cursor` (from the start without one). */
export const PullRequest = Schema.Struct({
  cursor: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(1000))),
  /**
   * Changes read from the feed per page (1 to 1000, default 500; a page may hold fewer once
   * filtered), or records per page of a first pull's snapshot.
   */
  limit: Schema.optionalKey(Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  /** The project of the device's app (what project-bound models are narrowed to). */
  projectId: Schema.optionalKey(Id)
})
export type PullRequest = typeof PullRequest.Type

/** A page of a pull. */
export const PullPage = Schema.Struct({
  changes: bounded(SyncChange, 1000),
  /** Where the next pull starts. */
  cursor: Schema.String,
  /** More changes follow: pull again with `cursor`. */
  hasMore: Schema.Boolean,
  /** On the last page: the checksums of the device's set on the server, by model. */
  checksums: Schema.optionalKey(Schema.Record(Schema.String, ModelChecksumSchema))
})
export type PullPage = typeof PullPage.Type

/**
 * What the device holds of one model in an id range, for a repair: `held` lists every record it
 * holds with an id in (`after`, `through`] (an absent bound is open), at most
 * {@link MAX_RECONCILE_HELD}; a device holding more sends one request per range.
 */
export const ReconcileRequest = Schema.Struct({
  model: ModelName,
  projectId: Schema.optionalKey(Id),
  /** The range starts after this id (exclusive); absent: from the first id. */
  after: Schema.optionalKey(Id),
  /** The range ends at this id (inclusive); absent: up to the last id. */
  through: Schema.optionalKey(Id),
  held: bounded(Schema.Struct({ id: Id, version: Int }), MAX_RECONCILE_HELD)
})
export type ReconcileRequest = typeof ReconcileRequest.Type

/**
 * The repair of one model's range: ids to drop, records to put. With `through`, the answer covers
 * the range only up to that id (inclusive; it had more than {@link MAX_RECONCILE_PUTS} records to
 * put): the device asks again for the rest of its range, after `through`.
 */
export const ReconcileAnswer = Schema.Struct({
  model: ModelName,
  remove: bounded(Id, MAX_RECONCILE_HELD),
  put: bounded(SyncPut, MAX_RECONCILE_PUTS),
  through: Schema.optionalKey(Id)
})
export type ReconcileAnswer = typeof ReconcileAnswer.Type

const AttachmentName = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255))
const AttachmentMediaType = Schema.String.check(Schema.isMaxLength(255))

/** A file of a pushed submission, its bytes inline (base64 on the wire). */
export const PushAttachmentInline = Schema.Struct({
  name: AttachmentName,
  mediaType: AttachmentMediaType,
  bytes: Schema.Uint8ArrayFromBase64
})

/**
 * A file of a pushed submission named by the sha256 of its bytes (64 lower-case hex digits), which
 * the device uploaded before (e.g. `PUT /api/attachments/:sha256`): the server reads them from its
 * `BlobStore` (`sha256/<hex>`); a missing blob rejects the entry with `NotFound`.
 */
export const PushAttachmentRef = Schema.Struct({
  name: AttachmentName,
  mediaType: AttachmentMediaType,
  sha256: Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/, { message: "Expected 64 lower-case hex digits" }))
})

/** A file of a pushed submission: inline bytes, or a reference to an uploaded blob. */
export const PushAttachment = Schema.Union([PushAttachmentInline, PushAttachmentRef])
export type PushAttachment = typeof PushAttachment.Type

/** A submission made on the device (the XML and its files, as `Instances.ingest` takes them). */
export const PushSubmission = Schema.Struct({
  formId: Id,
  xml: Schema.String,
  attachments: Schema.optionalKey(bounded(PushAttachment, MAX_LIST_ITEMS)),
  orgUnitId: Schema.optionalKey(Id),
  period: Schema.optionalKey(Schema.String),
  uuid: Schema.optionalKey(Schema.String),
  /** Epoch milliseconds on the device. */
  createdAt: Int,
  updatedAt: Schema.optionalKey(Int),
  deviceImei: Schema.optionalKey(Schema.String),
  projectId: Schema.optionalKey(Id),
  fileName: Schema.optionalKey(Schema.String),
  location: Schema.optionalKey(
    Schema.Struct({
      latitude: Schema.Number,
      longitude: Schema.Number,
      altitude: Schema.optionalKey(Schema.Number),
      accuracy: Schema.optionalKey(Schema.Number)
    })
  ),
  entityUuid: Schema.optionalKey(Schema.String),
  entityTypeId: Schema.optionalKey(Id),
  planningId: Schema.optionalKey(Id)
})
export type PushSubmission = typeof PushSubmission.Type

/** An operation logged on a storage device (`Storages.importLogs`' input). */
export const PushStorageLog = Schema.Struct({
  id: Id,
  storageId: Schema.String,
  storageType: Schema.String,
  operationType: Schema.String,
  instances: Schema.optionalKey(bounded(Schema.String, MAX_LIST_ITEMS)),
  orgUnitId: Schema.optionalKey(Schema.NullOr(Id)),
  entityUuid: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** Epoch milliseconds. */
  performedAt: Int
})

/** A position a device took (`Devices.postPositions`' input). */
export const PushPosition = Schema.Struct({
  deviceId: Schema.String,
  uuid: Schema.String,
  latitude: Schema.Number,
  longitude: Schema.Number,
  altitude: Schema.Number,
  transport: Schema.String,
  accuracy: Schema.Number,
  /** Epoch milliseconds. */
  capturedAt: Int
})

/** A proposal of a new org unit or of an edit (`OrgUnitChangeRequests.create`' input; geometry as GeoJSON). */
export const PushChangeRequest = Schema.Struct({
  /** The request's uuid (a re-sent request is recognised by it). */
  uuid: Schema.String,
  /** The unit to change; absent: a new unit is proposed. */
  orgUnitId: Schema.optionalKey(Id),
  newParentId: Schema.optionalKey(Id),
  newName: Schema.optionalKey(Schema.String),
  newOrgUnitTypeId: Schema.optionalKey(Id),
  /** A GeoJSON Point. */
  newLocation: Schema.optionalKey(JsonObject),
  /** A GeoJSON Polygon or MultiPolygon. */
  newGeom: Schema.optionalKey(JsonObject),
  newOpeningDate: Schema.optionalKey(Schema.String),
  newClosedDate: Schema.optionalKey(Schema.String),
  newGroupIds: Schema.optionalKey(bounded(Id, MAX_LIST_ITEMS)),
  newReferenceInstanceIds: Schema.optionalKey(bounded(Id, MAX_LIST_ITEMS))
})
export type PushChangeRequest = typeof PushChangeRequest.Type

/** What a device made offline, one entry of its outbox. `id` is the entry's uuid: a re-send is recognised. */
export const PushEntry = Schema.Union([
  Schema.Struct({ id: Id, kind: Schema.Literal("submission"), submission: PushSubmission }),
  Schema.Struct({ id: Id, kind: Schema.Literal("storageLogs"), logs: bounded(PushStorageLog, MAX_ENTRY_ITEMS) }),
  Schema.Struct({ id: Id, kind: Schema.Literal("positions"), projectId: Schema.optionalKey(Id), positions: bounded(PushPosition, MAX_ENTRY_ITEMS) }),
  Schema.Struct({ id: Id, kind: Schema.Literal("orgUnitChangeRequest"), request: PushChangeRequest })
])
export type PushEntry = typeof PushEntry.Type

/** The kinds of outbox entries. */
export type PushKind = PushEntry["kind"]

/** A push: outbox entries in the order the device made them, at most {@link MAX_PUSH_ENTRIES}. */
export const PushRequest = Schema.Struct({ entries: bounded(PushEntry, MAX_PUSH_ENTRIES) })
export type PushRequest = typeof PushRequest.Type

/** What the server did with one entry. */
export const PushAck = Schema.Struct({
  id: Id,
  /** `applied`: stored now; `unchanged`: already stored (a re-send); `rejected`: refused for good (see `error`). */
  status: Schema.Literals(["applied", "unchanged", "rejected"]),
  /** Why it was rejected: the typed error's tag and message (`Conflict`, `ValidationError`, `Forbidden`...). */
  error: Schema.optionalKey(Schema.Struct({ tag: Schema.String, message: Schema.String }))
})
export type PushAck = typeof PushAck.Type

/** The answer to a push: one acknowledgement per entry, in order. */
export const PushAnswer = Schema.Struct({ acks: bounded(PushAck, MAX_PUSH_ENTRIES) })
export type PushAnswer = typeof PushAnswer.Type
