/**
 * Access to ../shared (IASO's fixtures), which CI always has beside the project but a fresh clone
 * of the project alone does not: tests that need it skip with a clear message, and fail instead
 * when `CI` is set. (Same logic as the other packages' test helper; test folders do not import each other.)
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** Absolute path of a file under ../shared. */
export const sharedPath = (relative: string): string => fileURLToPath(new URL(`../../../../shared/${relative}`, import.meta.url))

/** Whether a shared file is present; under CI a missing one is an error, not a skip. */
export const sharedAvailable = (relative: string): boolean => {
  const present = existsSync(sharedPath(relative))
  if (!present && process.env["CI"] !== undefined && process.env["CI"] !== "") {
    throw new Error(`../shared/${relative} is missing: CI always has ../shared beside the project`)
  }
  return present
}

/** The message a skipped test shows when ../shared is absent. */
export const skipMessage = (relative: string): string => `(skipped: ../shared/${relative} is absent; clone the project beside its shared folder to run it)`
