/**
 * Turning a submission's raw answer (a string of the submission's JSON) into the value DHIS2
 * expects for a data element or tracked entity attribute, from the `valueType` and `optionSet` a
 * mapping version holds for it: numbers become numbers, booleans booleans, option-set answers the
 * option's code, org unit ids the org unit's DHIS2 uid, ODK geopoints DHIS2 coordinates. A value
 * that cannot be converted is a {@link Dhis2ValueFormatError} carrying IASO's message, which the
 * export shows to the operator (`<question> <message>`).
 * @module
 */
import { Result, Schema } from "effect"

/** A value as sent to DHIS2: `null` when the answer is empty. */
export type Dhis2Value = string | number | boolean | null

/** One option of a DHIS2 option set as a mapping version stores it: `odk` is the form's choice name when it differs from the code. */
export interface Dhis2Option {
  /** The DHIS2 option code: what DHIS2 receives. */
  readonly code: string
  /** The form's choice name translated to {@link Dhis2Option.code}. */
  readonly odk?: string | undefined
  /** The option's name (informative). */
  readonly name?: string | undefined
  /** The option's DHIS2 uid (informative). */
  readonly id?: string | undefined
}

/** What the formatter reads of a mapped data element (or tracked entity attribute). */
export interface Dhis2ElementMapping {
  /** The DHIS2 uid. */
  readonly id?: string | undefined
  /** The DHIS2 value type (`NUMBER`, `INTEGER_POSITIVE`, `BOOLEAN`, `TEXT`...): mandatory. */
  readonly valueType?: string | undefined
  /** The option set whose codes the answer must match. */
  readonly optionSet?: { readonly options: ReadonlyArray<Dhis2Option> } | undefined
}

/** A raw answer that cannot become a DHIS2 value; `message` is IASO's text. */
export class Dhis2ValueFormatError extends Schema.TaggedError<Dhis2ValueFormatError>()("Dhis2ValueFormatError", {
  message: Schema.String
}) {}

/** How the formatter reaches the registry: an org unit id (as a form stores it) to its DHIS2 uid (`sourceRef`). */
export interface ValueFormatContext {
  /** The DHIS2 uid of the org unit a form's answer names; `undefined` when it names none (the answer is then sent as given). */
  readonly orgUnitSourceRef?: ((orgUnitId: string) => string | undefined) | undefined
}

/** Text-like value types, sent as strings. */
const TEXT_TYPES: ReadonlySet<string> = new Set(["TEXT", "LONG_TEXT", "USERNAME", "EMAIL", "PHONE_NUMBER", "LETTER", "URL"])
/** Whole-number value types, sent as integers. */
const INTEGER_TYPES: ReadonlySet<string> = new Set(["INTEGER", "INTEGER_POSITIVE", "INTEGER_NEGATIVE", "INTEGER_ZERO_OR_POSITIVE", "PERCENTAGE"])
/** Types sent as given. */
const PASSTHROUGH_TYPES: ReadonlySet<string> = new Set(["DATE", "DATETIME", "AGE"])

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/
const NUMBER_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/

/** A data element as IASO prints it in its messages (JSON, Python-style separators). */
const describe = (element: Dhis2ElementMapping): string => JSON.stringify(element)

const fail = (message: string): Result.Result<never, Dhis2ValueFormatError> => Result.fail(new Dhis2ValueFormatError({ message }))

/** The option-set translation: the option whose `odk` is the answer, else the option whose code it is. */
const translateOption = (element: Dhis2ElementMapping, raw: string): Result.Result<string | null, Dhis2ValueFormatError> => {
  const options = element.optionSet?.options
  if (options === undefined) return Result.succeed(raw)
  if (raw === "") return Result.succeed(null)
  const byOdk = options.find((option) => option.odk === raw)
  if (byOdk !== undefined) return Result.succeed(byOdk.code)
  if (options.some((option) => option.code === raw)) return Result.succeed(raw)
  return fail(`no value matching : '${raw}' in ${describe(element)}`)
}

/** An ODK geopoint (`"lat lon [alt [accuracy]]"`) as DHIS2's `"[lon,lat]"`. */
const formatCoordinate = (raw: string): Result.Result<string, Dhis2ValueFormatError> => {
  const parts = raw.trim().split(/\s+/)
  const [lat, lon] = parts
  if (parts.length < 2 || lat === undefined || lon === undefined || !NUMBER_TEXT.test(lat) || !NUMBER_TEXT.test(lon)) {
    return fail(`Bad value for coordinate '${raw}'`)
  }
  return Result.succeed(`[${Number(lon)},${Number(lat)}]`)
}

/**
 * Formats one raw answer for DHIS2 following the element's `valueType`:
 * - `NUMBER` and `UNIT_INTERVAL`: a number (`Bad value for float '<raw>'`); whole-number types and
 *   `PERCENTAGE`: an integer (`Bad value for int '<raw>'`);
 * - `BOOLEAN` and `TRUE_ONLY`: `1`/`yes`/`true` → `true`, `0`/`no`/`false` → `false`
 *   (`Bad value for boolean '<raw>'`);
 * - text-like types: the text; `TIME`: its first five characters (`HH:mm`); `DATE`, `DATETIME`, `AGE`:
 *   as given; `COORDINATE`: an ODK geopoint as `[lon,lat]`;
 * - `ORGANISATION_UNIT`: an org unit id (as forms store them) becomes its DHIS2 uid, anything else is sent as given;
 * - an empty answer is `null` for every type but text, a missing `valueType` is
 *   `no valueType for <element>`, another type `unsupported data element type : <element>`.
 *
 * Option sets are applied first: the answer becomes the code of the option whose `odk` (or `code`)
 * it is (`no value matching : '<raw>' in <element>`).
 */
export const formatDhis2Value = (
  element: Dhis2ElementMapping,
  raw: unknown,
  context: ValueFormatContext = {}
): Result.Result<Dhis2Value, Dhis2ValueFormatError> => {
  const valueType = element.valueType
  if (valueType === undefined) return fail(`no valueType for ${describe(element)}`)
  if (raw === null || raw === undefined) return Result.succeed(null)
  const rawText = typeof raw === "string" ? raw : typeof raw === "number" || typeof raw === "boolean" ? String(raw) : JSON.stringify(raw)
  const translated = translateOption(element, rawText)
  if (Result.isFailure(translated)) return translated
  const value = translated.success
  if (value === null) return Result.succeed(null)
  if (valueType === "NUMBER" || valueType === "UNIT_INTERVAL") {
    if (value === "") return Result.succeed(null)
    return NUMBER_TEXT.test(value) ? Result.succeed(Number(value)) : fail(`Bad value for float '${rawText}'`)
  }
  if (INTEGER_TYPES.has(valueType)) {
    if (value === "") return Result.succeed(null)
    return INTEGER_TEXT.test(value) ? Result.succeed(Number.parseInt(value.trim(), 10)) : fail(`Bad value for int '${rawText}'`)
  }
  if (TEXT_TYPES.has(valueType)) return Result.succeed(value)
  if (valueType === "BOOLEAN" || valueType === "TRUE_ONLY") {
    if (value === "1" || value === "yes" || value === "true") return Result.succeed(true)
    if (value === "0" || value === "no" || value === "false") return Result.succeed(valueType === "TRUE_ONLY" ? null : false)
    if (value === "") return Result.succeed(null)
    return fail(`Bad value for boolean '${rawText}'`)
  }
  if (value === "") return Result.succeed(null)
  if (valueType === "TIME") return Result.succeed(value.slice(0, 5))
  if (PASSTHROUGH_TYPES.has(valueType)) return Result.succeed(value)
  if (valueType === "COORDINATE") return formatCoordinate(value)
  if (valueType === "ORGANISATION_UNIT") {
    return Result.succeed(context.orgUnitSourceRef?.(value) ?? value)
  }
  return fail(`unsupported data element type : ${describe(element)}`)
}
