/**
 * Text rules shared by every adapter: U+0000 is refused at decoding (PostgreSQL cannot store it),
 * order is by code point, and name search uses a stored folded key.
 * @module
 */
import { Schema } from "effect"

/**
 * Why no store can keep or compare `text` exactly, or `undefined` when every store can: it
 * contains U+0000 (PostgreSQL refuses it), or it is not well-formed Unicode (a lone UTF-16
 * surrogate becomes U+FFFD in UTF-8 storage). The rule of stored text and of filter values.
 */
export const textProblem = (text: string): string | undefined =>
  text.includes("\u0000") ? "must not contain the NUL character (U+0000)" : text.isWellFormed() ? undefined : "must be well-formed Unicode (no lone surrogate)"

/** Refuses strings that no store can keep exactly (see {@link textProblem}). */
export const hasNoNul = Schema.makeFilter((text: string) => textProblem(text) ?? true)

/** Any text without U+0000. */
export const Text = Schema.String.check(hasNoNul)

/** Text without U+0000 and at most `max` characters (UTF-16 code units, as IASO's varchar limits are checked). */
export const TextMax = (max: number) => Text.check(Schema.isMaxLength(max))

/** Non-blank text (at least one non-whitespace character), without U+0000. */
export const NonBlankText = Text.check(Schema.makeFilter((text: string) => text.trim().length > 0 || "must not be empty or blank"))

/** Non-blank text of at most `max` characters. */
export const NonBlankTextMax = (max: number) => NonBlankText.check(Schema.isMaxLength(max))

/** The key name search is made on: NFKD, combining marks removed, lower-cased. */
export const foldKey = (text: string): string => text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()

/**
 * Compares two strings by Unicode code point (the order of PostgreSQL `COLLATE "C"` and SQLite
 * BINARY on UTF-8), unlike `<` on JS strings which compares UTF-16 code units.
 */
export const compareCodePoints = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      // Surrogates (D800-DFFF) encode code points above FFFF: move them after E000-FFFF.
      const fx = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x
      const fy = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y
      return fx - fy
    }
  }
  return a.length - b.length
}
