/**
 * Time: timestamps are UTC instants with millisecond precision (a `Date` in the domain, epoch
 * milliseconds when stored), identical on every adapter. Date-only fields are `YYYY-MM-DD` strings.
 * @module
 */
import { Clock, Effect, Schema, SchemaAST, SchemaGetter } from "effect"

/** 0001-01-01T00:00:00.000Z: the earliest instant the SDK stores. */
export const MIN_INSTANT_MS = -62135596800000
/** 9999-12-31T23:59:59.999Z: the latest instant the SDK stores. */
export const MAX_INSTANT_MS = 253402300799999

const isInstantRange = Schema.isBetweenDate(
  { minimum: new Date(MIN_INSTANT_MS), maximum: new Date(MAX_INSTANT_MS) },
  { message: "Expected a valid date between 0001-01-01 and 9999-12-31 (UTC)" }
)

/** Epoch milliseconds (an integer) within the instant range: the stored form of an {@link Instant}. */
export const EpochMillis = Schema.Int.check(
  Schema.isBetween({ minimum: MIN_INSTANT_MS, maximum: MAX_INSTANT_MS }, { message: "Expected epoch milliseconds between years 1 and 9999" })
)

const INSTANT = "iaso/instant"

/** A UTC instant with millisecond precision: `Date` in the domain, epoch milliseconds when encoded. */
export const Instant = EpochMillis.pipe(
  Schema.decodeTo(Schema.Date.check(isInstantRange), {
    decode: SchemaGetter.transform((ms: number) => new Date(ms)),
    encode: SchemaGetter.transform((date: Date) => date.getTime())
  })
).annotate({ [INSTANT]: true })
export type Instant = typeof Instant.Type

/**
 * Whether a field's schema is {@link Instant} (optional or not): a valid value is stored as its
 * `getTime()`, and read back with `new Date(ms)`, which the record codec does without the schema.
 */
export const isInstant = (field: Schema.Top): boolean => SchemaAST.resolve(field.ast)?.[INSTANT] === true

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/

/** True when `text` is a real calendar day written `YYYY-MM-DD` (year 0001 to 9999). */
export const isCalendarDate = (text: string): boolean => {
  const match = DATE_PATTERN.exec(text)
  if (match === null) return false
  const year = Number(match[1])
  const month = Number(match[2])
  const day = Number(match[3])
  if (year < 1 || month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
  return day <= days
}

/** A calendar day, `YYYY-MM-DD` (opening and closed dates, planning dates). */
export const DateOnly = Schema.String.check(
  Schema.isPattern(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: "Expected a date written YYYY-MM-DD" }),
  Schema.makeFilter((text: string) => isCalendarDate(text) || `${text} is not a day of the calendar`)
).pipe(Schema.brand("DateOnly"))
export type DateOnly = typeof DateOnly.Type

/** The current instant from Effect's `Clock` (so tests can control it), truncated to the millisecond. */
export const now: Effect.Effect<Date> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(Math.trunc(ms)))

/**
 * A mobile app's timestamp as an instant (IASO's `timestamp_to_utc_datetime`): read as epoch
 * milliseconds, unless that falls before 1972, in which case it is epoch seconds (the app sends
 * seconds since its version 2.0, milliseconds before). A fraction is kept to the millisecond (IASO
 * drops everything below the second). `undefined` for a value that is no finite number or falls
 * outside the instant range.
 *
 * ```ts
 * fromMobileTimestamp(1565258153)      // 2019-08-08T09:55:53.000Z (seconds)
 * fromMobileTimestamp(1565258153704)   // 2019-08-08T09:55:53.704Z (milliseconds)
 * ```
 */
export const fromMobileTimestamp = (timestamp: number | string): Date | undefined => {
  // Outside input (a device's JSON) may hold anything here: what is neither a number nor text is no timestamp.
  const value = typeof timestamp === "number" ? timestamp : typeof timestamp !== "string" || timestamp.trim() === "" ? Number.NaN : Number(timestamp)
  if (!Number.isFinite(value)) return undefined
  const asMillis = Math.round(value)
  const millis = new Date(asMillis).getUTCFullYear() < 1972 ? Math.round(value * 1000) : asMillis
  return millis < MIN_INSTANT_MS || millis > MAX_INSTANT_MS ? undefined : new Date(millis)
}
