/**
 * The reading side of the bulk user creation: a bounded CSV reader (quotes as RFC 4180, the
 * delimiter found in the header among `,`, `;` and `|`), the split of multi-value cells (of a CSV
 * file and of an `.xlsx` one), the column check, and the password hashing the service stores.
 * @module
 */

/** The 16 columns a bulk user creation file must have (values may be empty), in IASO's order. */
export const BULK_USER_COLUMNS = [
  "username",
  "password",
  "email",
  "first_name",
  "last_name",
  "orgunit",
  "orgunit__source_ref",
  "profile_language",
  "dhis2_id",
  "organization",
  "permissions",
  "user_roles",
  "projects",
  "teams",
  "phone_number",
  "editable_org_unit_types"
] as const

/** One of the {@link BULK_USER_COLUMNS}. */
export type BulkUserColumn = (typeof BULK_USER_COLUMNS)[number]

/** A parsed file: its delimiter, header and data rows (each a cell array aligned on the header). */
export interface ParsedCsv {
  readonly delimiter: "," | ";" | "|"
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
}

const DELIMITERS = [",", ";", "|"] as const

/** The delimiter of a file: the most frequent of `,`, `;`, `|` in its first line (`,` when none). */
const sniff = (text: string): ParsedCsv["delimiter"] => {
  const end = text.indexOf("\n")
  const first = end < 0 ? text : text.slice(0, end)
  let best: ParsedCsv["delimiter"] = ","
  let bestCount = 0
  for (const delimiter of DELIMITERS) {
    const count = first.split(delimiter).length - 1
    if (count > bestCount) {
      best = delimiter
      bestCount = count
    }
  }
  return best
}

/**
 * Parses CSV text: quoted cells may hold delimiters, newlines and doubled quotes; a UTF-8 BOM is
 * dropped; blank lines are skipped.
 */
export const parseCsv = (text: string): ParsedCsv => {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const delimiter = sniff(source)
  const records: Array<Array<string>> = []
  let record: Array<string> = []
  let cell = ""
  let quoted = false
  let i = 0
  const endRecord = () => {
    record.push(cell)
    if (!(record.length === 1 && record[0] === "")) records.push(record)
    record = []
    cell = ""
  }
  while (i < source.length) {
    const char = source[i]
    if (quoted) {
      if (char === '"') {
        if (source[i + 1] === '"') {
          cell += '"'
          i += 1
        } else quoted = false
      } else cell += char
    } else if (char === '"' && cell === "") quoted = true
    else if (char === delimiter) {
      record.push(cell)
      cell = ""
    } else if (char === "\n") endRecord()
    else if (char !== "\r") cell += char
    i += 1
  }
  if (cell !== "" || record.length > 0) endRecord()
  const [header = [], ...rows] = records
  return { delimiter, header: header.map((name) => name.trim()), rows }
}

/** Writes cells back as one CSV line with `delimiter`, quoting where needed. */
export const csvLine = (cells: ReadonlyArray<string>, delimiter: string): string =>
  cells.map((cell) => (/["\r\n]/.test(cell) || cell.includes(delimiter) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(delimiter)

/**
 * The items of a multi-value cell: split on the first of the two separators other than the file's
 * delimiter that the cell holds (`;` then `|` in a comma file), else on the delimiter; items
 * trimmed, empty ones dropped.
 */
export const splitCell = (cell: string, delimiter: string): ReadonlyArray<string> => {
  const others = DELIMITERS.filter((d) => d !== delimiter)
  const separator = others.find((d) => cell.includes(d)) ?? delimiter
  return cell
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== "")
}

/**
 * The items of a multi-value cell of an `.xlsx` file (IASO's rule for spreadsheets): split on the
 * most frequent of `;`, `|` and `,` in the cell (on a tie, the first in that order); items trimmed,
 * empty ones dropped. A cell holding none of them is one item.
 */
export const splitXlsxCell = (cell: string): ReadonlyArray<string> => {
  let separator: string | undefined
  let most = 0
  for (const candidate of [";", "|", ","]) {
    const count = cell.split(candidate).length - 1
    if (count > most) {
      separator = candidate
      most = count
    }
  }
  return (separator === undefined ? [cell] : cell.split(separator)).map((item) => item.trim()).filter((item) => item !== "")
}

/** PBKDF2-SHA256 iterations of {@link hashPassword} (OWASP's recommendation for this hash). */
export const PASSWORD_HASH_ITERATIONS = 600_000

const SALT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

const base64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

const derive = async (password: string, salt: string, iterations: number): Promise<string> => {
  const encoder = new TextEncoder()
  const key = await globalThis.crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"])
  const bits = await globalThis.crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(salt), iterations }, key, 256)
  return base64(new Uint8Array(bits))
}

/**
 * Hashes a password as Django's `PBKDF2PasswordHasher` does, so IASO can check it and the other
 * way round: `pbkdf2_sha256$<iterations>$<22-character random salt>$<base64 of the 32-byte key>`
 * (WebCrypto PBKDF2-HMAC-SHA256, {@link PASSWORD_HASH_ITERATIONS} iterations).
 */
export const hashPassword = async (password: string, iterations: number = PASSWORD_HASH_ITERATIONS): Promise<string> => {
  const random = globalThis.crypto.getRandomValues(new Uint8Array(22))
  let salt = ""
  for (const byte of random) salt += SALT_CHARS[byte % SALT_CHARS.length]
  return `pbkdf2_sha256$${iterations}$${salt}$${await derive(password, salt, iterations)}`
}

/** Whether `password` matches a hash made by {@link hashPassword} (or by Django's PBKDF2 hasher). */
export const verifyPassword = async (password: string, hash: string): Promise<boolean> => {
  const [algorithm, iterations, salt, expected] = hash.split("$")
  if (algorithm !== "pbkdf2_sha256" || iterations === undefined || salt === undefined || expected === undefined) return false
  const count = Number.parseInt(iterations, 10)
  if (!Number.isSafeInteger(count) || count < 1) return false
  return (await derive(password, salt, count)) === expected
}
