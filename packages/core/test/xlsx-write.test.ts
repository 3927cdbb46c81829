import { Result } from "effect"
import { describe, expect, it } from "vitest"
import type { Workbook } from "@iaso/core"
import { readXlsx, writeXlsx } from "@iaso/core/xlsform"

describe("writing a workbook as .xlsx", () => {
  it("reads back as the same workbook: text with markup characters, numbers, booleans, gaps and columns past Z", () => {
    const wide = Array.from({ length: 30 }, (_, i) => `c${i}`)
    const workbook: Workbook = {
      sheets: [
        {
          name: "survey",
          rows: [
            ["type", "name", "label"],
            ["text", "name", `Name <first> & "last"`],
            ["integer", "age", null, 12.5],
            ["select_one yes_no", "ok", true, false]
          ]
        },
        { name: "wide & odd", rows: [wide, [], [null, "after a gap"]] }
      ]
    }
    const read = readXlsx(writeXlsx(workbook))
    expect(Result.isSuccess(read)).toBe(true)
    if (Result.isFailure(read)) return
    expect(read.success).toEqual({
      sheets: [
        {
          name: "survey",
          rows: [
            ["type", "name", "label"],
            ["text", "name", `Name <first> & "last"`],
            ["integer", "age", null, 12.5],
            ["select_one yes_no", "ok", true, false]
          ]
        },
        { name: "wide & odd", rows: [wide, [], [null, "after a gap"]] }
      ]
    })
  })
})
