/**
 * A device's first pull served from a snapshot of its set instead of the account's whole change
 * feed: the server takes the feed's head first (`Repositories.feedHead`), then answers the records
 * the device must hold, model by model of the set in id order (the scan checksums and repairs use),
 * `limit` a page; the page after the last record carries the feed cursor at that head, so the
 * device's next pulls read only what changed since. A record changed after the head is sent by
 * the snapshot at its new version and again by the feed (applying it twice changes nothing); one
 * deleted after the head is removed by the feed; what the device held before its first pull and
 * no longer belongs to its set is dropped by the repair the last page's checksums start. The cost
 * of a first pull is then the device's set, not the account's history.
 * @module
 */
import { Effect } from "effect"
import { decodeCursor, encodeCursor, fingerprint } from "../shared/cursor.ts"
import type { StorageError } from "../shared/errors.ts"
import { ValidationError } from "../shared/errors.ts"
import type { Row } from "../shared/model.ts"
import type { makeSyncScope } from "./sync-scope.ts"
import type { SyncSet } from "./sync-set.ts"
import type { PullPage, SyncChange } from "./sync-wire.ts"

/** Where a snapshot stands: the feed cursor it ends at, the set's entry it reads, the last id sent of it. */
export interface SnapshotPosition {
  readonly feed: string
  readonly entry: number
  readonly after: string | undefined
}

const snapshotQuery = (accountId: string): string => fingerprint(`sync-snapshot:${accountId}`)

/** The cursor of a snapshot's next page. */
const encodeSnapshot = (accountId: string, position: SnapshotPosition): string =>
  encodeCursor(snapshotQuery(accountId), [position.feed, position.entry, position.after ?? null])

/**
 * The position a snapshot cursor names; `undefined` for a cursor that is not one (a feed cursor),
 * a `ValidationError` for a snapshot cursor whose position is not one.
 */
export const decodeSnapshot = (accountId: string, cursor: string): SnapshotPosition | ValidationError | undefined => {
  const decoded = decodeCursor(cursor, snapshotQuery(accountId))
  if (decoded instanceof ValidationError) return undefined
  const [feed, entry, after] = decoded
  if (typeof feed !== "string" || typeof entry !== "number" || !Number.isSafeInteger(entry) || entry < 0 || (after !== null && typeof after !== "string")) {
    return ValidationError.at(["cursor"], "not a sync cursor")
  }
  return { feed, entry, after: after ?? undefined }
}

/**
 * One page of a snapshot from `position`: at most `limit` records of the set, in the set's order
 * then by id; after the last, the feed cursor the snapshot ends at (more pages follow either way:
 * the feed after the head, and the checksums, come from the feed's pages).
 */
export const snapshotPage = (
  accountId: string,
  set: SyncSet,
  scope: ReturnType<typeof makeSyncScope>,
  position: SnapshotPosition,
  limit: number
): Effect.Effect<PullPage, StorageError> =>
  Effect.gen(function* () {
    const changes: Array<SyncChange> = []
    let after = position.after
    for (let index = position.entry; index < set.length; index++) {
      const entry = set[index]
      if (entry === undefined || scope.synced(entry.model.name) === undefined) {
        after = undefined
        continue
      }
      const rows: Array<Row> = []
      const room = limit - changes.length
      yield* scope.scan(
        entry,
        (page) => {
          for (const row of page) {
            rows.push(row)
            if (rows.length === room) return "stop"
          }
          return undefined
        },
        { after }
      )
      for (const put of yield* scope.puts(entry, rows)) changes.push(put)
      const last = rows[rows.length - 1]
      if (rows.length === room && last !== undefined) {
        return { changes, cursor: encodeSnapshot(accountId, { feed: position.feed, entry: index, after: String(last["id"]) }), hasMore: true }
      }
      after = undefined
    }
    return { changes, cursor: position.feed, hasMore: true }
  })
