/**
 * Periods: the DHIS2-style period strings IASO's forms and submissions use (`20240413`, `2024W1`,
 * `202404`, `2024Q2`, `2024NovQ1`, `2024S1`, `2024`, `2024Nov`), parsed, formatted, walked
 * (next/previous), turned into date ranges, ordered, and the window of periods a form accepts
 * around a day.
 *
 * Differences from IASO (`iaso/periods.py`), on purpose:
 * - IASO never checks digits (`"abcd"` is a YEAR there); {@link parsePeriod} checks every digit,
 *   every month, week, quarter and semester number and every calendar day.
 * - IASO orders periods by plain string comparison, which puts `2026W9` after `2026W10`;
 *   {@link comparePeriods} compares by time (year, then number).
 * - IASO has no previous period and no `next` for days; both exist here for every type.
 * - IASO computes no allowed-period window (the mobile app does); {@link allowedPeriods} does.
 * - A week written with a leading zero (`2024W01`, IASO's own lower bound `2000W01`) is accepted
 *   and formatted back without it (`2024W1`), as IASO generates weeks.
 * @module
 */
import { Result } from "effect"
import { ValidationError } from "../shared/errors.ts"
import { type DateOnly, isCalendarDate } from "../shared/time.ts"
import { PERIOD_TYPES, type PeriodType } from "./form.ts"

/**
 * One period. `index` counts the period inside its `year`, from 1: the day of the year (DAY), the
 * ISO week (WEEK, `year` being the ISO week-year), the month, the quarter (QUARTER and QUARTER_NOV),
 * the semester, or 1 (YEAR, FINANCIAL_NOV). For QUARTER_NOV and FINANCIAL_NOV, `year` is the
 * financial year, which starts on November 1st of the year before.
 */
export interface Period {
  readonly type: PeriodType
  readonly year: number
  readonly index: number
  /** The canonical string (`2024W1`, `202404`...). */
  readonly value: string
}

/** The first and last day of a period (both included). */
export interface PeriodRange {
  readonly start: DateOnly
  readonly end: DateOnly
}

const MIN_YEAR = 1
const MAX_YEAR = 9999

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

/** Days since 1970-01-01 of a calendar day (proleptic Gregorian, UTC). */
const dayNumber = (year: number, month: number, day: number): number => {
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  return Math.round(date.getTime() / 86_400_000)
}

/** The calendar day of a day number. */
const fromDayNumber = (n: number): { readonly year: number; readonly month: number; readonly day: number } => {
  const date = new Date(n * 86_400_000)
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() }
}

const dateOnly = (n: number): DateOnly => {
  const { year, month, day } = fromDayNumber(n)
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` as DateOnly
}

/** ISO day of the week: 1 = Monday ... 7 = Sunday. */
const isoWeekday = (n: number): number => {
  const d = new Date(n * 86_400_000).getUTCDay()
  return d === 0 ? 7 : d
}

/** The Monday of ISO week 1 of an ISO week-year (the week holding January 4th). */
const isoWeekOneMonday = (year: number): number => {
  const jan4 = dayNumber(year, 1, 4)
  return jan4 - (isoWeekday(jan4) - 1)
}

/** How many ISO weeks an ISO week-year has: 53 when January 1st is a Thursday, or a Wednesday in a leap year. */
export const isoWeeksInYear = (year: number): 52 | 53 => {
  const jan1 = isoWeekday(dayNumber(year, 1, 1))
  return jan1 === 4 || (jan1 === 3 && isLeap(year)) ? 53 : 52
}

/** How many periods of a type a year holds. */
const countInYear = (type: PeriodType, year: number): number => {
  switch (type) {
    case "DAY":
      return isLeap(year) ? 366 : 365
    case "WEEK":
      return isoWeeksInYear(year)
    case "MONTH":
      return 12
    case "QUARTER":
    case "QUARTER_NOV":
      return 4
    case "SIX_MONTH":
      return 2
    case "YEAR":
    case "FINANCIAL_NOV":
      return 1
  }
}

/** The first day (day number) of a period and the first day after it. */
const bounds = (type: PeriodType, year: number, index: number): readonly [number, number] => {
  switch (type) {
    case "DAY": {
      const start = dayNumber(year, 1, 1) + index - 1
      return [start, start + 1]
    }
    case "WEEK": {
      const start = isoWeekOneMonday(year) + (index - 1) * 7
      return [start, start + 7]
    }
    case "MONTH":
      return [dayNumber(year, index, 1), dayNumber(year, index + 1, 1)]
    case "QUARTER":
      return [dayNumber(year, (index - 1) * 3 + 1, 1), dayNumber(year, index * 3 + 1, 1)]
    case "QUARTER_NOV":
      // NovQ1 = Nov (Y-1) .. Jan Y; month 11 of year Y-1 is month -1 of year Y.
      return [dayNumber(year, (index - 1) * 3 - 1, 1), dayNumber(year, index * 3 - 1, 1)]
    case "SIX_MONTH":
      return [dayNumber(year, (index - 1) * 6 + 1, 1), dayNumber(year, index * 6 + 1, 1)]
    case "YEAR":
      return [dayNumber(year, 1, 1), dayNumber(year + 1, 1, 1)]
    case "FINANCIAL_NOV":
      return [dayNumber(year - 1, 11, 1), dayNumber(year, 11, 1)]
  }
}

const format = (type: PeriodType, year: number, index: number): string => {
  const y = pad(year, 4)
  switch (type) {
    case "DAY": {
      const { month, day } = fromDayNumber(dayNumber(year, 1, 1) + index - 1)
      return `${y}${pad(month, 2)}${pad(day, 2)}`
    }
    case "WEEK":
      return `${y}W${index}`
    case "MONTH":
      return `${y}${pad(index, 2)}`
    case "QUARTER":
      return `${y}Q${index}`
    case "QUARTER_NOV":
      return `${y}NovQ${index}`
    case "SIX_MONTH":
      return `${y}S${index}`
    case "YEAR":
      return y
    case "FINANCIAL_NOV":
      return `${y}Nov`
  }
}

/** The lowest year a type supports (the financial types start in the year before theirs). */
const minYear = (type: PeriodType): number => (type === "QUARTER_NOV" || type === "FINANCIAL_NOV" ? MIN_YEAR + 1 : MIN_YEAR)

const make = (type: PeriodType, year: number, index: number): Period => ({ type, year, index, value: format(type, year, index) })

/**
 * Makes a period from its parts, checking them (years 0001 to 9999; 0002 for the financial types,
 * which start in the year before).
 */
export const makePeriod = (type: PeriodType, year: number, index: number): Result.Result<Period, ValidationError> => {
  if (!(PERIOD_TYPES as ReadonlyArray<string>).includes(type)) return Result.fail(ValidationError.at(["type"], `unknown period type ${String(type)}`))
  if (!Number.isInteger(year) || year < minYear(type) || year > MAX_YEAR) {
    return Result.fail(ValidationError.at(["year"], `a ${type} period needs a year from ${pad(minYear(type), 4)} to ${MAX_YEAR}`))
  }
  const count = countInYear(type, year)
  if (!Number.isInteger(index) || index < 1 || index > count) {
    return Result.fail(ValidationError.at(["index"], `a ${type} period of ${pad(year, 4)} is numbered from 1 to ${count}`))
  }
  return Result.succeed(make(type, year, index))
}

/**
 * The type of a period string, by its shape (digits checked), or `undefined` when it is no
 * period. Unlike IASO's `detect`, which only looks at the length and letters (`"abcd"` is a YEAR
 * there), every digit must be a digit; the numbers themselves are checked by {@link parsePeriod}.
 */
export const detectPeriodType = (text: string): PeriodType | undefined => {
  if (/^\d{4}$/.test(text)) return "YEAR"
  if (/^\d{4}Nov$/.test(text)) return "FINANCIAL_NOV"
  if (/^\d{4}NovQ\d$/.test(text)) return "QUARTER_NOV"
  if (/^\d{4}Q\d$/.test(text)) return "QUARTER"
  if (/^\d{4}S\d$/.test(text)) return "SIX_MONTH"
  if (/^\d{4}W\d{1,2}$/.test(text)) return "WEEK"
  if (/^\d{6}$/.test(text)) return "MONTH"
  if (/^\d{8}$/.test(text)) return "DAY"
  return undefined
}

/**
 * Parses a period string of any type. Fails with a `ValidationError` at `path` when the string
 * has no period shape (IASO's message `unsupported dhis2 period format for '<p>'`) or names a
 * period that does not exist (month 13, week 53 of a 52-week year, February 30th...).
 */
export const parsePeriod = (text: string, path: ReadonlyArray<string | number> = []): Result.Result<Period, ValidationError> => {
  const type = detectPeriodType(text)
  if (type === undefined) return Result.fail(ValidationError.at(path, `unsupported dhis2 period format for '${text}'`))
  const year = Number(text.slice(0, 4))
  const fail = (why: string) => Result.fail(ValidationError.at(path, `'${text}' is not a ${type} period: ${why}`))
  if (year < minYear(type)) return fail(`the year must be from ${pad(minYear(type), 4)}`)
  switch (type) {
    case "YEAR":
    case "FINANCIAL_NOV":
      return Result.succeed(make(type, year, 1))
    case "QUARTER":
    case "QUARTER_NOV":
    case "SIX_MONTH": {
      const index = Number(text.slice(-1))
      const max = type === "SIX_MONTH" ? 2 : 4
      if (index < 1 || index > max) return fail(`${type === "SIX_MONTH" ? "semesters" : "quarters"} are numbered 1 to ${max}`)
      return Result.succeed(make(type, year, index))
    }
    case "WEEK": {
      const index = Number(text.slice(5))
      const max = isoWeeksInYear(year)
      if (index < 1 || index > max) return fail(`${pad(year, 4)} has ISO weeks 1 to ${max}`)
      return Result.succeed(make(type, year, index))
    }
    case "MONTH": {
      const month = Number(text.slice(4, 6))
      if (month < 1 || month > 12) return fail("months are numbered 01 to 12")
      return Result.succeed(make(type, year, month))
    }
    case "DAY": {
      const iso = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`
      if (!isCalendarDate(iso)) return fail(`${iso} is not a day of the calendar`)
      const index = dayNumber(year, Number(text.slice(4, 6)), Number(text.slice(6, 8))) - dayNumber(year, 1, 1) + 1
      return Result.succeed(make(type, year, index))
    }
  }
}

/** Parses a period string that must be of one type (see {@link parsePeriod}). */
export const parsePeriodOfType = (type: PeriodType, text: string, path: ReadonlyArray<string | number> = []): Result.Result<Period, ValidationError> =>
  Result.flatMap(parsePeriod(text, path), (period) =>
    period.type === type ? Result.succeed(period) : Result.fail(ValidationError.at(path, `'${text}' is a ${period.type} period, not a ${type} period`))
  )

/** The canonical string of a period (weeks without a leading zero). */
export const formatPeriod = (period: Period): string => format(period.type, period.year, period.index)

/** The first and last day of a period. */
export const periodRange = (period: Period): PeriodRange => {
  const [start, after] = bounds(period.type, period.year, period.index)
  return { start: dateOnly(start), end: dateOnly(after - 1) }
}

const dayOf = (date: DateOnly | string): number | undefined => {
  if (!isCalendarDate(date)) return undefined
  return dayNumber(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)))
}

/** Whether a period holds a day (`YYYY-MM-DD`); `false` for a string that is no calendar day. */
export const periodContains = (period: Period, date: DateOnly | string): boolean => {
  const n = dayOf(date)
  if (n === undefined) return false
  const [start, after] = bounds(period.type, period.year, period.index)
  return n >= start && n < after
}

/**
 * The period of a type that holds a day (`YYYY-MM-DD`). Fails when the string is no calendar day
 * or the period would fall outside the supported years.
 */
export const periodOf = (type: PeriodType, date: DateOnly | string): Result.Result<Period, ValidationError> => {
  const n = dayOf(date)
  if (n === undefined) return Result.fail(ValidationError.at(["date"], `${date} is not a day written YYYY-MM-DD`))
  const { year, month } = fromDayNumber(n)
  switch (type) {
    case "DAY":
      return makePeriod(type, year, n - dayNumber(year, 1, 1) + 1)
    case "WEEK": {
      // The ISO week-year is the year of the week's Thursday.
      const thursday = n - isoWeekday(n) + 4
      const weekYear = fromDayNumber(thursday).year
      return makePeriod(type, weekYear, Math.floor((thursday - isoWeekOneMonday(weekYear)) / 7) + 1)
    }
    case "MONTH":
      return makePeriod(type, year, month)
    case "QUARTER":
      return makePeriod(type, year, Math.ceil(month / 3))
    case "SIX_MONTH":
      return makePeriod(type, year, month <= 6 ? 1 : 2)
    case "YEAR":
      return makePeriod(type, year, 1)
    case "QUARTER_NOV":
      return month >= 11 ? makePeriod(type, year + 1, 1) : makePeriod(type, year, Math.floor((month + 1) / 3) + 1)
    case "FINANCIAL_NOV":
      return makePeriod(type, month >= 11 ? year + 1 : year, 1)
  }
}

/** The period after this one (across years), or `undefined` after year 9999. */
export const nextPeriod = (period: Period): Period | undefined => {
  if (period.index < countInYear(period.type, period.year)) return make(period.type, period.year, period.index + 1)
  return period.year >= MAX_YEAR ? undefined : make(period.type, period.year + 1, 1)
}

/** The period before this one (across years), or `undefined` before the first supported year. */
export const previousPeriod = (period: Period): Period | undefined => {
  if (period.index > 1) return make(period.type, period.year, period.index - 1)
  if (period.year <= minYear(period.type)) return undefined
  return make(period.type, period.year - 1, countInYear(period.type, period.year - 1))
}

/**
 * Orders periods by time: two periods of one type by (year, number), so `2026W9` comes before
 * `2026W10` (IASO compares the strings and gets that wrong); periods of different types by first
 * day, then last day, then type code. Returns -1, 0 or 1.
 */
export const comparePeriods = (a: Period, b: Period): -1 | 0 | 1 => {
  if (a.type === b.type) {
    if (a.year !== b.year) return a.year < b.year ? -1 : 1
    return a.index === b.index ? 0 : a.index < b.index ? -1 : 1
  }
  const [aStart, aAfter] = bounds(a.type, a.year, a.index)
  const [bStart, bAfter] = bounds(b.type, b.year, b.index)
  if (aStart !== bStart) return aStart < bStart ? -1 : 1
  if (aAfter !== bAfter) return aAfter < bAfter ? -1 : 1
  return a.type < b.type ? -1 : 1
}

/**
 * Every period from `from` to `to`, both included (IASO's `range_period_to`). Fails when the
 * types differ or `from` comes after `to`.
 */
export const periodsBetween = (from: Period, to: Period): Result.Result<ReadonlyArray<Period>, ValidationError> => {
  if (from.type !== to.type) return Result.fail(ValidationError.at(["to"], `cannot range from a ${from.type} period to a ${to.type} period`))
  if (comparePeriods(from, to) > 0) return Result.fail(ValidationError.at(["to"], `${from.value} comes after ${to.value}`))
  const out: Array<Period> = []
  let current: Period | undefined = from
  while (current !== undefined && comparePeriods(current, to) <= 0) {
    out.push(current)
    current = nextPeriod(current)
  }
  return Result.succeed(out)
}

/** The period settings of a form that {@link allowedPeriods} reads. */
export interface PeriodSettings {
  readonly periodType?: PeriodType | undefined
  readonly periodsBeforeAllowed?: number | undefined
  readonly periodsAfterAllowed?: number | undefined
}

/**
 * The periods a submission of a form may target on a day: the period of the form's type holding
 * `today`, `periodsBeforeAllowed` periods before it and `periodsAfterAllowed` after it, in order
 * (the window IASO's model describes and its mobile app computes; IASO's server never checks it).
 * A form without a period type has no window (empty list). Missing counts are 0. `today` is a
 * calendar day as the caller sees it (its time zone is the caller's choice).
 */
export const allowedPeriods = (form: PeriodSettings, today: DateOnly | string): Result.Result<ReadonlyArray<Period>, ValidationError> => {
  const type = form.periodType
  if (type === undefined) return Result.succeed([])
  const before = form.periodsBeforeAllowed ?? 0
  const after = form.periodsAfterAllowed ?? 0
  if (!Number.isInteger(before) || before < 0) return Result.fail(ValidationError.at(["periodsBeforeAllowed"], "expected a whole number from 0"))
  if (!Number.isInteger(after) || after < 0) return Result.fail(ValidationError.at(["periodsAfterAllowed"], "expected a whole number from 0"))
  return Result.map(periodOf(type, today), (current) => {
    const earlier: Array<Period> = []
    let cursor: Period | undefined = current
    for (let i = 0; i < before; i++) {
      cursor = cursor === undefined ? undefined : previousPeriod(cursor)
      if (cursor === undefined) break
      earlier.unshift(cursor)
    }
    const later: Array<Period> = []
    cursor = current
    for (let i = 0; i < after; i++) {
      cursor = cursor === undefined ? undefined : nextPeriod(cursor)
      if (cursor === undefined) break
      later.push(cursor)
    }
    return [...earlier, current, ...later]
  })
}

/** Whether `period` (a string) is in the window {@link allowedPeriods} gives for `today`. */
export const isPeriodAllowed = (form: PeriodSettings, today: DateOnly | string, period: string): Result.Result<boolean, ValidationError> =>
  Result.map(allowedPeriods(form, today), (window) => {
    const parsed = parsePeriod(period)
    if (Result.isFailure(parsed)) return false
    return window.some((p) => p.type === parsed.success.type && comparePeriods(p, parsed.success) === 0)
  })
