/**
 * The paging of the reads a whole-version operation makes (the copy and the diff of versions).
 * @module
 */

/** Page size of the listings a whole-version operation reads. */
export const PAGE = 10_000
/** Ids per `in` condition. */
export const CHUNK = 500

/** The cursor option of a listing's next page (none for the first page). */
export const withCursor = (cursor: string | undefined) => (cursor === undefined ? {} : { cursor })
