/**
 * Paging cursors: opaque strings carrying the keyset position of the last row of a page and a
 * fingerprint of the query (model, account, conditions, order), so a cursor is refused by any
 * other query or account.
 * @module
 */
import { ValidationError } from "./errors.ts"
import type { Scalar } from "./query.ts"

/** FNV-1a 32-bit hash of a string, as 8 hex digits (a fingerprint, not a secret). */
export const fingerprint = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, "0")
}

const toBase64Url = (text: string): string => {
  const bytes = new TextEncoder().encode(text)
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

const fromBase64Url = (text: string): string | undefined => {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/** Makes a cursor for the position `after` of the query with fingerprint `query`. */
export const encodeCursor = (query: string, after: ReadonlyArray<Scalar | null>): string => toBase64Url(JSON.stringify({ q: query, a: after }))

/** Reads a cursor, checking it was made for the query with fingerprint `query`. */
export const decodeCursor = (cursor: string, query: string): ValidationError | ReadonlyArray<Scalar | null> => {
  const invalid = ValidationError.at(["cursor"], "not a cursor of this SDK")
  const text = fromBase64Url(cursor)
  if (text === undefined) return invalid
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return invalid
  }
  if (typeof parsed !== "object" || parsed === null || !("q" in parsed) || !("a" in parsed)) return invalid
  const { q, a } = parsed as { q: unknown; a: unknown }
  if (q !== query) return ValidationError.at(["cursor"], "the cursor belongs to another query or account")
  if (!Array.isArray(a) || !a.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v))) return invalid
  return a as ReadonlyArray<Scalar | null>
}
