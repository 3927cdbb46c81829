/**
 * IASO's rules for a form version's id (`version_id`): 1 to 10 digits, strictly greater (as an
 * integer) than the previous version's when that one is numeric, and generated as `yyyymmddNN`
 * when the uploaded form declares none (NN counts the versions of the day, up to 99).
 * @module
 */
import { Result } from "effect"

/** `Too many versions.`: a 100th generated version on one day. */
export const TOO_MANY_VERSIONS = "Too many versions."
/** A declared version that is not 1 to 10 digits. */
export const INVALID_VERSION = "Invalid version (must be a string of 1-10 numbers)."
/** A version not greater than the previous one. */
export const VERSION_NOT_GREATER = "Parsed version should be greater than previous version."

const DIGITS = /^\d+$/

/** `YYYYMMDD` of an instant's UTC day. */
export const utcDayStamp = (date: Date): string => date.toISOString().slice(0, 10).replace(/-/g, "")

/**
 * The version id an upload gets: the declared one, or one generated for `today` (`YYYYMMDD`):
 * the previous version + 1 when it is a 10-character id of today (`Too many versions.` after
 * `..99`), else today followed by `01`. The result must be 1 to 10 digits, and greater than a
 * numeric previous version. Fails with IASO's message (without its `Invalid XLS file: ` prefix).
 */
export const resolveVersionId = (input: {
  readonly declared: string | undefined
  readonly previous: string | undefined
  readonly today: string
}): Result.Result<string, string> => {
  const { previous, today } = input
  let version = input.declared?.trim() ?? ""
  if (version === "") {
    if (previous !== undefined && previous.length === 10 && previous.slice(0, 8) === today) {
      const count = previous.slice(8)
      if (count === "99") return Result.fail(TOO_MANY_VERSIONS)
      if (!DIGITS.test(count)) return Result.fail(INVALID_VERSION)
      version = `${today}${String(Number(count) + 1).padStart(2, "0")}`
    } else version = `${today}01`
  }
  if (!DIGITS.test(version) || version.length > 10) return Result.fail(INVALID_VERSION)
  if (previous !== undefined && DIGITS.test(previous) && BigInt(version) <= BigInt(previous)) return Result.fail(VERSION_NOT_GREATER)
  return Result.succeed(version)
}
