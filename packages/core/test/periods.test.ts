/**
 * Periods: every type parsed, formatted, walked across year boundaries, turned into date ranges,
 * ordered, detected and refused when malformed; ISO week 53; the allowed-period window of a form.
 * Expected values are calendar facts (ISO 8601 weeks, IASO's Nov-based financial quarters and years
 * from reference §1.1), worked out by hand.
 */
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import {
  allowedPeriods,
  comparePeriods,
  detectPeriodType,
  formatPeriod,
  isoWeeksInYear,
  isPeriodAllowed,
  makePeriod,
  nextPeriod,
  type Period,
  type PeriodType,
  parsePeriod,
  parsePeriodOfType,
  periodContains,
  periodOf,
  periodRange,
  periodsBetween,
  previousPeriod
} from "@iaso/core"

const p = (text: string): Period => {
  const result = parsePeriod(text)
  if (Result.isFailure(result)) throw new Error(`expected ${text} to parse: ${result.failure.message}`)
  return result.success
}

const failure = (text: string): string => {
  const result = parsePeriod(text)
  if (Result.isSuccess(result)) throw new Error(`expected ${text} to be refused, got ${result.success.value}`)
  return result.failure.issues[0]?.message ?? ""
}

const range = (text: string) => periodRange(p(text))
const values = (periods: ReadonlyArray<Period>) => periods.map((period) => period.value)
const ok = <A>(result: Result.Result<A, { readonly message: string }>): A => {
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  return result.success
}

describe("parsing and formatting every type", () => {
  const rows: ReadonlyArray<readonly [string, PeriodType, number, number, string, string]> = [
    // text, type, year, index, first day, last day
    ["20240413", "DAY", 2024, 104, "2024-04-13", "2024-04-13"],
    ["20240229", "DAY", 2024, 60, "2024-02-29", "2024-02-29"],
    ["2023W12", "WEEK", 2023, 12, "2023-03-20", "2023-03-26"],
    ["2024W1", "WEEK", 2024, 1, "2024-01-01", "2024-01-07"],
    ["202112", "MONTH", 2021, 12, "2021-12-01", "2021-12-31"],
    ["202402", "MONTH", 2024, 2, "2024-02-01", "2024-02-29"],
    ["2021Q2", "QUARTER", 2021, 2, "2021-04-01", "2021-06-30"],
    ["2016NovQ1", "QUARTER_NOV", 2016, 1, "2015-11-01", "2016-01-31"],
    ["2016NovQ2", "QUARTER_NOV", 2016, 2, "2016-02-01", "2016-04-30"],
    ["2016NovQ3", "QUARTER_NOV", 2016, 3, "2016-05-01", "2016-07-31"],
    ["2016NovQ4", "QUARTER_NOV", 2016, 4, "2016-08-01", "2016-10-31"],
    ["2018S1", "SIX_MONTH", 2018, 1, "2018-01-01", "2018-06-30"],
    ["2018S2", "SIX_MONTH", 2018, 2, "2018-07-01", "2018-12-31"],
    ["2021", "YEAR", 2021, 1, "2021-01-01", "2021-12-31"],
    ["2016Nov", "FINANCIAL_NOV", 2016, 1, "2015-11-01", "2016-10-31"]
  ]
  for (const [text, type, year, index, start, end] of rows) {
    it(`${text} is ${type} ${year}/${index} from ${start} to ${end}`, () => {
      const period = p(text)
      expect(period).toEqual({ type, year, index, value: text })
      expect(detectPeriodType(text)).toBe(type)
      expect(formatPeriod(period)).toBe(text)
      expect(periodRange(period)).toEqual({ start, end })
      expect(periodContains(period, start)).toBe(true)
      expect(periodContains(period, end)).toBe(true)
    })
  }

  it("a week written with a leading zero is read and written back without it, as IASO generates weeks", () => {
    expect(p("2000W01").value).toBe("2000W1")
    expect(p("2024W09")).toEqual({ type: "WEEK", year: 2024, index: 9, value: "2024W9" })
  })

  it("makePeriod builds from parts and checks them", () => {
    expect(ok(makePeriod("QUARTER_NOV", 2020, 3)).value).toBe("2020NovQ3")
    expect(ok(makePeriod("DAY", 2024, 366)).value).toBe("20241231")
    expect(Result.isFailure(makePeriod("DAY", 2023, 366))).toBe(true)
    expect(Result.isFailure(makePeriod("WEEK", 2022, 53))).toBe(true)
    expect(Result.isFailure(makePeriod("MONTH", 10000, 1))).toBe(true)
  })

  it("parsePeriodOfType refuses a period of another type", () => {
    expect(ok(parsePeriodOfType("MONTH", "202401")).value).toBe("202401")
    const refused = parsePeriodOfType("MONTH", "2024Q1", ["period"])
    expect(Result.isFailure(refused) && refused.failure.issues).toEqual([{ path: ["period"], message: "'2024Q1' is a QUARTER period, not a MONTH period" }])
  })
})

describe("ISO week 53", () => {
  it("exists in years whose January 1st is a Thursday, or a Wednesday in a leap year", () => {
    expect([2015, 2020, 2026, 2032, 2037].map(isoWeeksInYear)).toEqual([53, 53, 53, 53, 53])
    expect([2019, 2021, 2022, 2023, 2024, 2025, 2027].map(isoWeeksInYear)).toEqual([52, 52, 52, 52, 52, 52, 52])
  })

  it("2020W53 runs from Monday 2020-12-28 to Sunday 2021-01-03", () => {
    expect(range("2020W53")).toEqual({ start: "2020-12-28", end: "2021-01-03" })
    expect(ok(periodOf("WEEK", "2021-01-01")).value).toBe("2020W53")
    expect(ok(periodOf("WEEK", "2021-01-04")).value).toBe("2021W1")
  })

  it("2026W53 exists (2026-12-28 to 2027-01-03) and 2022W53 does not", () => {
    expect(range("2026W53")).toEqual({ start: "2026-12-28", end: "2027-01-03" })
    expect(failure("2022W53")).toBe("'2022W53' is not a WEEK period: 2022 has ISO weeks 1 to 52")
  })

  it("the first ISO week may start in the previous December", () => {
    expect(range("2025W1")).toEqual({ start: "2024-12-30", end: "2025-01-05" })
    expect(ok(periodOf("WEEK", "2024-12-30")).value).toBe("2025W1")
    expect(ok(periodOf("WEEK", "2019-12-30")).value).toBe("2020W1")
  })

  it("next and previous go through week 53 when the year has one", () => {
    expect(nextPeriod(p("2026W52"))?.value).toBe("2026W53")
    expect(nextPeriod(p("2026W53"))?.value).toBe("2027W1")
    expect(previousPeriod(p("2027W1"))?.value).toBe("2026W53")
    expect(nextPeriod(p("2021W52"))?.value).toBe("2022W1")
    expect(previousPeriod(p("2022W1"))?.value).toBe("2021W52")
  })
})

describe("year boundaries, every type", () => {
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["20241231", "20250101"],
    ["2024W52", "2025W1"],
    ["202412", "202501"],
    ["2024Q4", "2025Q1"],
    ["2024NovQ4", "2025NovQ1"],
    ["2024S2", "2025S1"],
    ["2024", "2025"],
    ["2024Nov", "2025Nov"]
  ]
  for (const [last, first] of rows) {
    it(`${last} is followed by ${first}, and ${first} preceded by ${last}`, () => {
      expect(nextPeriod(p(last))?.value).toBe(first)
      expect(previousPeriod(p(first))?.value).toBe(last)
    })
  }

  it("days walk through February 29th", () => {
    expect(nextPeriod(p("20240228"))?.value).toBe("20240229")
    expect(previousPeriod(p("20240301"))?.value).toBe("20240229")
    expect(nextPeriod(p("20230228"))?.value).toBe("20230301")
  })

  it("a financial quarter or year holds the November and December of the year before", () => {
    const q1 = p("2016NovQ1")
    expect(periodContains(q1, "2015-11-01")).toBe(true)
    expect(periodContains(q1, "2015-10-31")).toBe(false)
    expect(periodContains(q1, "2016-02-01")).toBe(false)
    expect(ok(periodOf("QUARTER_NOV", "2015-12-31")).value).toBe("2016NovQ1")
    expect(ok(periodOf("QUARTER_NOV", "2016-01-31")).value).toBe("2016NovQ1")
    expect(ok(periodOf("QUARTER_NOV", "2016-10-31")).value).toBe("2016NovQ4")
    expect(ok(periodOf("FINANCIAL_NOV", "2024-10-31")).value).toBe("2024Nov")
    expect(ok(periodOf("FINANCIAL_NOV", "2024-11-01")).value).toBe("2025Nov")
  })

  it("the period of a day, every type", () => {
    const day = "2024-07-15"
    const types: ReadonlyArray<PeriodType> = ["DAY", "WEEK", "MONTH", "QUARTER", "QUARTER_NOV", "SIX_MONTH", "YEAR", "FINANCIAL_NOV"]
    expect(types.map((type) => ok(periodOf(type, day)).value)).toEqual(["20240715", "2024W29", "202407", "2024Q3", "2024NovQ3", "2024S2", "2024", "2024Nov"])
    expect(Result.isFailure(periodOf("MONTH", "2024-02-30"))).toBe(true)
  })

  it("the ends of the supported range have no next or previous period", () => {
    expect(nextPeriod(p("99991231"))).toBeUndefined()
    expect(previousPeriod(p("00010101"))).toBeUndefined()
    expect(previousPeriod(p("0002Nov"))).toBeUndefined()
  })
})

describe("ordering", () => {
  it("compares weeks by number, so 2026W9 comes before 2026W10 (IASO compares strings)", () => {
    expect(comparePeriods(p("2026W9"), p("2026W10"))).toBe(-1)
    expect(comparePeriods(p("2026W10"), p("2026W9"))).toBe(1)
    expect(comparePeriods(p("2026W10"), p("2026W10"))).toBe(0)
    const sorted = ["2027W1", "2026W10", "2026W53", "2026W9", "2025W52"].map(p).sort(comparePeriods)
    expect(values(sorted)).toEqual(["2025W52", "2026W9", "2026W10", "2026W53", "2027W1"])
  })

  it("orders periods of different types by first day, then last day", () => {
    const sorted = ["2024Q1", "202401", "2024", "2024NovQ1", "20240101"].map(p).sort(comparePeriods)
    expect(values(sorted)).toEqual(["2024NovQ1", "20240101", "202401", "2024Q1", "2024"])
  })

  it("ranges inclusively across a week 53, and refuses mixed types or a reversed range", () => {
    expect(values(ok(periodsBetween(p("2026W51"), p("2027W2"))))).toEqual(["2026W51", "2026W52", "2026W53", "2027W1", "2027W2"])
    expect(values(ok(periodsBetween(p("2024Q3"), p("2024Q3"))))).toEqual(["2024Q3"])
    expect(Result.isFailure(periodsBetween(p("2024Q1"), p("202401")))).toBe(true)
    expect(Result.isFailure(periodsBetween(p("2024Q2"), p("2024Q1")))).toBe(true)
  })
})

describe("detection and invalid strings", () => {
  it("detects nothing in strings without a period shape (IASO would call `abcd` a YEAR)", () => {
    for (const text of ["abcd", "", "2024W", "2024w1", "2024-01", "24Q1", "2024Q", "2024NovQ", "2024 Nov", "2024W123", "20240101T", "2O24"]) {
      expect(detectPeriodType(text), text).toBeUndefined()
      expect(failure(text)).toBe(`unsupported dhis2 period format for '${text}'`)
    }
  })

  it("refuses numbers that name no period, with the reason", () => {
    expect(failure("202413")).toBe("'202413' is not a MONTH period: months are numbered 01 to 12")
    expect(failure("202400")).toBe("'202400' is not a MONTH period: months are numbered 01 to 12")
    expect(failure("2024Q5")).toBe("'2024Q5' is not a QUARTER period: quarters are numbered 1 to 4")
    expect(failure("2024Q0")).toBe("'2024Q0' is not a QUARTER period: quarters are numbered 1 to 4")
    expect(failure("2024NovQ5")).toBe("'2024NovQ5' is not a QUARTER_NOV period: quarters are numbered 1 to 4")
    expect(failure("2024S3")).toBe("'2024S3' is not a SIX_MONTH period: semesters are numbered 1 to 2")
    expect(failure("2024W0")).toBe("'2024W0' is not a WEEK period: 2024 has ISO weeks 1 to 52")
    expect(failure("2024W54")).toBe("'2024W54' is not a WEEK period: 2024 has ISO weeks 1 to 52")
    expect(failure("20230229")).toBe("'20230229' is not a DAY period: 2023-02-29 is not a day of the calendar")
    expect(failure("20241301")).toBe("'20241301' is not a DAY period: 2024-13-01 is not a day of the calendar")
    expect(failure("0001Nov")).toBe("'0001Nov' is not a FINANCIAL_NOV period: the year must be from 0002")
  })

  it("names the path of a refused period", () => {
    const refused = parsePeriod("2024Q9", ["submission", "period"])
    expect(Result.isFailure(refused) && refused.failure.issues[0]?.path).toEqual(["submission", "period"])
  })
})

describe("the allowed-period window of a form", () => {
  const window = (form: Parameters<typeof allowedPeriods>[0], today: string) => values(ok(allowedPeriods(form, today)))

  it("is the current period with the periods before and after it, in order", () => {
    expect(window({ periodType: "MONTH", periodsBeforeAllowed: 3, periodsAfterAllowed: 1 }, "2024-01-15")).toEqual([
      "202310",
      "202311",
      "202312",
      "202401",
      "202402"
    ])
    expect(window({ periodType: "WEEK", periodsBeforeAllowed: 1, periodsAfterAllowed: 1 }, "2021-01-01")).toEqual(["2020W52", "2020W53", "2021W1"])
    expect(window({ periodType: "QUARTER_NOV", periodsBeforeAllowed: 1, periodsAfterAllowed: 0 }, "2023-11-05")).toEqual(["2023NovQ4", "2024NovQ1"])
    expect(window({ periodType: "DAY", periodsBeforeAllowed: 2 }, "2024-03-01")).toEqual(["20240228", "20240229", "20240301"])
    expect(window({ periodType: "YEAR", periodsAfterAllowed: 2 }, "2030-06-01")).toEqual(["2030", "2031", "2032"])
    expect(window({ periodType: "SIX_MONTH", periodsBeforeAllowed: 1, periodsAfterAllowed: 1 }, "2024-07-01")).toEqual(["2024S1", "2024S2", "2025S1"])
    expect(window({ periodType: "FINANCIAL_NOV", periodsBeforeAllowed: 1 }, "2024-11-01")).toEqual(["2024Nov", "2025Nov"])
    expect(window({ periodType: "QUARTER", periodsBeforeAllowed: 4 }, "2024-02-29")).toEqual(["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1"])
  })

  it("is empty for a form without a period type", () => {
    expect(window({}, "2024-01-15")).toEqual([])
  })

  it("tells whether a period is in the window", () => {
    const form = { periodType: "MONTH", periodsBeforeAllowed: 1, periodsAfterAllowed: 0 } as const
    expect(ok(isPeriodAllowed(form, "2024-01-15", "202312"))).toBe(true)
    expect(ok(isPeriodAllowed(form, "2024-01-15", "202401"))).toBe(true)
    expect(ok(isPeriodAllowed(form, "2024-01-15", "202402"))).toBe(false)
    expect(ok(isPeriodAllowed(form, "2024-01-15", "2024Q1"))).toBe(false)
    expect(ok(isPeriodAllowed(form, "2024-01-15", "nonsense"))).toBe(false)
  })

  it("refuses a day that is not a calendar day and negative counts", () => {
    expect(Result.isFailure(allowedPeriods({ periodType: "MONTH" }, "2024-02-30"))).toBe(true)
    expect(Result.isFailure(allowedPeriods({ periodType: "MONTH", periodsBeforeAllowed: -1 }, "2024-02-01"))).toBe(true)
  })
})
