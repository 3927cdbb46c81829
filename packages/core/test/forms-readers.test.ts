/**
 * The readers under the form services: the `.xlsx` reader (shared, inline and rich strings,
 * numbers, booleans, Excel's `_xHHHH_` escapes, gaps), the XLSForm reader on workbooks built here
 * (types, languages, groups, repeats, structural errors), the XForm reader (itext labels, items,
 * itemsets, repeats, metadata types), version id rules and MD5 (RFC 1321's test suite).
 */
import { readFileSync } from "node:fs"
import { Result } from "effect"
import { strToU8, unzipSync, zipSync } from "fflate"
import { describe, expect, it } from "vitest"
import { fieldsByPath, formPossibleFields, md5Hex, questionsByName, resolveVersionId, versionPossibleFields } from "../src/index.ts"
import { readXForm, readXlsForm, readXlsx } from "../src/xlsform.ts"
import { sharedAvailable, sharedPath, skipMessage } from "./shared-files.ts"

type Cell = string | number | boolean | null

const escapeXml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
const column = (index: number): string => {
  let n = index + 1
  let out = ""
  while (n > 0) {
    const rest = (n - 1) % 26
    out = String.fromCharCode(65 + rest) + out
    n = Math.floor((n - 1) / 26)
  }
  return out
}

/** A workbook with inline strings, as some generators write them. */
const xlsx = (sheets: Readonly<Record<string, ReadonlyArray<ReadonlyArray<Cell>>>>): Uint8Array => {
  const names = Object.keys(sheets)
  const files: Record<string, Uint8Array> = {
    "xl/workbook.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>${names
        .map((name, i) => `<sheet name="${escapeXml(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
        .join("")}</sheets></workbook>`
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${names
        .map(
          (_, i) =>
            `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/s${i + 1}.xml"/>`
        )
        .join("")}</Relationships>`
    )
  }
  names.forEach((name, i) => {
    const rows = (sheets[name] ?? [])
      .map((row, r) => {
        const cells = row
          .map((cell, c) => {
            const ref = `${column(c)}${r + 1}`
            if (cell === null) return ""
            if (typeof cell === "number") return `<c r="${ref}"><v>${cell}</v></c>`
            if (typeof cell === "boolean") return `<c r="${ref}" t="b"><v>${cell ? 1 : 0}</v></c>`
            return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(cell)}</t></is></c>`
          })
          .join("")
        return `<row r="${r + 1}">${cells}</row>`
      })
      .join("")
    files[`xl/worksheets/s${i + 1}.xml`] = strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`
    )
  })
  return zipSync(files)
}

const form = (
  survey: ReadonlyArray<ReadonlyArray<Cell>>,
  extra: Readonly<Record<string, ReadonlyArray<ReadonlyArray<Cell>>>> = {},
  fileName = "my_form.xlsx"
) => readXlsForm(xlsx({ survey, ...extra }), fileName)

const failureOf = <A>(result: Result.Result<A, string>): string => {
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}
const successOf = <A>(result: Result.Result<A, string>): A => {
  if (Result.isFailure(result)) throw new Error(result.failure)
  return result.success
}

describe("the .xlsx reader", () => {
  it("reads shared strings (rich runs, phonetic runs skipped, _xHHHH_ escapes), numbers, booleans, formula strings and gaps", () => {
    const files = {
      "xl/workbook.xml": strToU8(
        `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Données" sheetId="7" r:id="rIdX"/></sheets></workbook>`
      ),
      "xl/_rels/workbook.xml.rels": strToU8(
        `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdX" Type="worksheet" Target="/xl/worksheets/data.xml"/></Relationships>`
      ),
      "xl/sharedStrings.xml": strToU8(
        `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>plain &amp; simple</t></si><si><r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r><rPh><t>ignored</t></rPh></si><si><t>line_x000D_break</t></si></sst>`
      ),
      "xl/worksheets/data.xml": strToU8(
        `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
          `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>` +
          `<row r="3"><c r="A3"><v>2020022401</v></c><c r="B3"><v>1.5</v></c><c r="C3" t="b"><v>1</v></c><c r="D3" t="str"><f>A1</f><v>computed</v></c><c r="E3" t="e"><v>#REF!</v></c><c r="F3" t="s"><v>2</v></c></row>` +
          `</sheetData></worksheet>`
      )
    }
    const book = successOf(readXlsx(zipSync(files)))
    expect(book.sheets).toEqual([
      {
        name: "Données",
        rows: [["plain & simple", null, "rich"], [], [2020022401, 1.5, true, "computed", null, "line\rbreak"]]
      }
    ])
  })

  it("reads inline strings and finds sheets by position when the relationships are missing", () => {
    const files = unzipSync(xlsx({ first: [["a", 1]], second: [[null, "b"]] }))
    delete files["xl/_rels/workbook.xml.rels"]
    files["xl/worksheets/sheet1.xml"] = files["xl/worksheets/s1.xml"] ?? new Uint8Array()
    files["xl/worksheets/sheet2.xml"] = files["xl/worksheets/s2.xml"] ?? new Uint8Array()
    expect(successOf(readXlsx(zipSync(files))).sheets).toEqual([
      { name: "first", rows: [["a", 1]] },
      { name: "second", rows: [[null, "b"]] }
    ])
  })

  it("refuses what is not a workbook", () => {
    expect(failureOf(readXlsx(strToU8("type,name\ntext,q1\n")))).toMatch(/^not an \.xlsx file \(not a zip archive: /)
    expect(failureOf(readXlsx(zipSync({ "word/document.xml": strToU8("<document/>") })))).toBe("not an .xlsx file (no xl/workbook.xml)")
    expect(failureOf(readXlsx(zipSync({ "xl/workbook.xml": strToU8("<workbook><sheets>") })))).toMatch(/^xl\/workbook\.xml is not well-formed XML: /)
  })
})

describe("the XLSForm reader", () => {
  it("normalises types as pyxform does and builds groups, repeats, choices and meta/instanceID", () => {
    const parsed = successOf(
      form(
        [
          ["type", "name", "label", "hint", "required", "relevant", "appearance", "calculation", "constraint message", "repeat_count"],
          ["begin group", "household", "Household", null, null, null, "field-list", null, null, null],
          ["int", "size", "Size", "People living here", "yes", null, null, null, "Too many", null],
          ["select_one yes_no", "has_water", "Water?", null, "TRUE", null, null, null, null, null],
          ["select multiple from sources", "sources", "Sources", null, null, "${has_water} = 'yes'", null, null, null, null],
          ["end group"],
          ["begin_repeat", "member", "Member", null, null, null, null, null, null, "${size}"],
          ["string", "name", "Name"],
          ["gps", "home", "Home"],
          ["end_repeat"],
          ["calculate", "total", null, null, null, null, null, "${size} * 2"],
          ["imei", "device"],
          ["image", "photo", "Photo"]
        ],
        {
          choices: [
            ["list name", "name", "label"],
            ["yes_no", "yes", "Yes"],
            ["yes_no", "no", "No"],
            ["sources", 1, "Well"],
            ["sources", 2, "River"]
          ],
          settings: [
            ["form_title", "form_id", "version"],
            ["Water survey", "water", 2024010101]
          ]
        }
      )
    )
    expect([parsed.formId, parsed.version, parsed.title]).toEqual(["water", "2024010101", "Water survey"])
    expect(parsed.descriptor).toEqual({
      name: "data",
      type: "survey",
      title: "Water survey",
      id_string: "water",
      sms_keyword: "water",
      default_language: "default",
      version: "2024010101",
      children: [
        {
          name: "household",
          type: "group",
          label: "Household",
          control: { appearance: "field-list" },
          children: [
            { name: "size", type: "integer", label: "Size", hint: "People living here", bind: { required: "true()", "jr:constraintMsg": "Too many" } },
            {
              name: "has_water",
              type: "select one",
              label: "Water?",
              bind: { required: "true()" },
              list_name: "yes_no",
              children: [
                { name: "yes", label: "Yes" },
                { name: "no", label: "No" }
              ]
            },
            {
              name: "sources",
              type: "select all that apply",
              label: "Sources",
              bind: { relevant: "${has_water} = 'yes'" },
              list_name: "sources",
              children: [
                { name: "1", label: "Well" },
                { name: "2", label: "River" }
              ]
            }
          ]
        },
        {
          name: "member",
          type: "repeat",
          label: "Member",
          control: { "jr:count": "${size}" },
          children: [
            { name: "name", type: "text", label: "Name" },
            { name: "home", type: "geopoint", label: "Home" }
          ]
        },
        { name: "total", type: "calculate", bind: { calculate: "${size} * 2" } },
        { name: "device", type: "deviceid" },
        { name: "photo", type: "photo", label: "Photo" },
        {
          name: "meta",
          type: "group",
          control: { bodyless: true },
          children: [{ name: "instanceID", type: "calculate", bind: { readonly: "true()", "jr:preload": "uid" } }]
        }
      ],
      choices: {
        yes_no: [
          { name: "yes", label: "Yes" },
          { name: "no", label: "No" }
        ],
        sources: [
          { name: "1", label: "Well" },
          { name: "2", label: "River" }
        ]
      }
    })
    expect([...questionsByName(parsed.descriptor).keys()]).toEqual(["size", "has_water", "sources", "member", "total", "device", "photo", "instanceID"])
    expect([...fieldsByPath(parsed.descriptor).keys()]).toEqual([
      "household/size",
      "household/has_water",
      "household/sources",
      "member",
      "total",
      "device",
      "photo",
      "meta/instanceID"
    ])
  })

  it("reads languages: `label::English (en)` columns give a label per language, a plain column is the default language", () => {
    const parsed = successOf(
      form([
        ["type", "name", "label::English (en)", "label::Français (fr)", "label", "hint::English (en)"],
        ["text", "q1", "Name", "Nom", null, "Full name"],
        ["text", "q2", null, null, "Plain"],
        ["note", "q3", "<b>Bold</b>", "<b>Gras</b>", "Default"]
      ])
    )
    const byName = questionsByName(parsed.descriptor)
    expect(byName.get("q1")?.label).toEqual({ "English (en)": "Name", "Français (fr)": "Nom" })
    expect(byName.get("q2")?.label).toBe("Plain")
    expect(byName.get("q3")?.label).toEqual({ "English (en)": "<b>Bold</b>", "Français (fr)": "<b>Gras</b>", default: "Default" })
    // Possible fields keep the languages (IASO stores the dict's Python repr), HTML stripped, notes skipped.
    expect(versionPossibleFields(parsed.descriptor)).toEqual([
      { name: "q1", label: { "English (en)": "Name", "Français (fr)": "Nom" }, type: "text" },
      { name: "q2", label: "Plain", type: "text" },
      { name: "instanceID", label: "", type: "calculate" }
    ])
  })

  it("takes the form id and title from the file name without settings, and keeps a declared meta/instanceID", () => {
    const parsed = successOf(
      form(
        [
          ["type", "name", "label", "calculation"],
          ["text", "q", "Q"],
          ["begin group", "meta"],
          ["calculate", "instanceID", null, "concat('uuid:', uuid())"],
          ["end group"]
        ],
        {},
        "folder/Ma fiche.v2.xlsx"
      )
    )
    expect([parsed.formId, parsed.title, parsed.version]).toEqual(["Ma fiche.v2", "Ma fiche.v2", undefined])
    expect([...fieldsByPath(parsed.descriptor).keys()]).toEqual(["q", "meta/instanceID"])
  })

  it("refuses what pyxform refuses, with IASO's prefix", () => {
    const header = ["type", "name", "label"]
    expect(failureOf(readXlsForm(xlsx({ Survey: [] }), "f.xlsx"))).toBe(
      "Invalid XLS file: The survey sheet is either empty or missing important column headers."
    )
    expect(
      failureOf(
        form([
          ["name", "label"],
          ["q", "Q"]
        ])
      )
    ).toBe("Invalid XLS file: The survey sheet is either empty or missing important column headers.")
    expect(failureOf(form([header]))).toBe("Invalid XLS file: The survey sheet is either empty or missing important column headers.")
    expect(failureOf(form([header, ["txt", "q", "Q"]]))).toBe("Invalid XLS file: [row : 2] Unknown question type 'txt'.")
    expect(failureOf(form([header, ["text", "my q", "Q"]]))).toMatch(/^Invalid XLS file: \[row : 2\] Invalid question name 'my q'\./)
    expect(failureOf(form([header, ["text", "q", "Q"], ["integer", "Q", "Q again"]]))).toBe(
      "Invalid XLS file: [row : 3] There is more than one survey element named 'Q' (case-insensitive) in the section named 'data'."
    )
    expect(failureOf(form([header, ["end group"]]))).toBe("Invalid XLS file: [row : 2] Unmatched 'end group'. No matching 'begin group' was found.")
    expect(failureOf(form([header, ["begin repeat", "r", "R"], ["text", "q", "Q"]]))).toBe(
      "Invalid XLS file: [row : 2] Unmatched 'begin repeat'. No matching 'end repeat' was found for the name 'r'."
    )
    expect(failureOf(form([header, ["select_one missing", "q", "Q"]]))).toBe("Invalid XLS file: [row : 2] List name not in choices sheet: missing")
    expect(failureOf(form([header, ["text", null, "Q"]]))).toBe("Invalid XLS file: [row : 2] Question or group with no name.")
    expect(failureOf(form([header, ["calculate", "c", null]]))).toBe("Invalid XLS file: [row : 2] Missing calculation.")
    expect(failureOf(readXlsForm(strToU8("not a zip"), "f.xlsx"))).toMatch(/^Invalid XLS file: not an \.xlsx file/)
  })
})

const XFORM = `<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
  <h:head>
    <h:title>Visits</h:title>
    <model>
      <itext>
        <translation lang="English"><text id="/visit/who:label"><value>Who?</value></text><text id="c-a"><value>Adult</value></text></translation>
        <translation lang="French"><text id="/visit/who:label"><value>Qui ?</value><value form="image">who.png</value></text><text id="c-a"><value>Adulte</value></text></translation>
      </itext>
      <instance>
        <visit id="visits" version="7">
          <start/><today/><who/><kind/><child jr:template=""><age/><note_here/></child><child><age/><note_here/></child>
          <meta><instanceID/><instanceName/></meta>
        </visit>
      </instance>
      <instance id="kinds"><root><item><name>a</name><itextId>c-a</itextId></item></root></instance>
      <bind nodeset="/visit/start" type="dateTime" jr:preload="timestamp" jr:preloadParams="start"/>
      <bind nodeset="/visit/today" type="date" jr:preload="date" jr:preloadParams="today"/>
      <bind nodeset="/visit/who" type="string" required="true()"/>
      <bind nodeset="/visit/kind" type="string"/>
      <bind nodeset="/visit/child/age" type="int" constraint=". &lt; 18"/>
      <bind nodeset="/visit/child/note_here" type="string" readonly="true()"/>
      <bind nodeset="/visit/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
      <bind nodeset="/visit/meta/instanceName" type="string" calculate="concat('v', /visit/who)"/>
    </model>
  </h:head>
  <h:body>
    <select1 ref="/visit/who"><label ref="jr:itext('/visit/who:label')"/><item><label>Mother</label><value>mother</value></item><item><label>Father</label><value>father</value></item></select1>
    <select ref="/visit/kind"><label>Kind</label><itemset nodeset="instance('kinds')/root/item"><value ref="name"/><label ref="jr:itext(itextId)"/></itemset></select>
    <group ref="/visit/child"><label>Child</label><repeat nodeset="/visit/child"><input ref="/visit/child/age"><label>Age</label><hint>In years</hint></input><input ref="/visit/child/note_here"><label>Thanks</label></input></repeat></group>
  </h:body>
</h:html>`

describe("the XForm reader", () => {
  it("reads identity, metadata types, itext labels, items, itemsets from secondary instances and repeats", () => {
    const parsed = successOf(readXForm(XFORM))
    expect([parsed.formId, parsed.version, parsed.title]).toEqual(["visits", "7", "Visits"])
    expect(parsed.descriptor).toEqual({
      name: "visit",
      type: "survey",
      title: "Visits",
      id_string: "visits",
      sms_keyword: "visits",
      default_language: "default",
      version: "7",
      children: [
        { name: "start", type: "start", bind: { "jr:preload": "timestamp", "jr:preloadParams": "start" } },
        { name: "today", type: "today", bind: { "jr:preload": "date", "jr:preloadParams": "today" } },
        {
          name: "who",
          type: "select one",
          label: { English: "Who?", French: "Qui ?" },
          bind: { required: "true()" },
          children: [
            { name: "mother", label: "Mother" },
            { name: "father", label: "Father" }
          ]
        },
        {
          name: "kind",
          type: "select all that apply",
          label: "Kind",
          list_name: "kinds",
          children: [{ name: "a", label: { English: "Adult", French: "Adulte" } }]
        },
        {
          name: "child",
          type: "repeat",
          label: "Child",
          children: [
            { name: "age", type: "integer", label: "Age", hint: "In years", bind: { constraint: ". < 18" } },
            { name: "note_here", type: "note", label: "Thanks", bind: { readonly: "true()" } }
          ]
        },
        {
          name: "meta",
          type: "group",
          control: { bodyless: true },
          children: [
            { name: "instanceID", type: "calculate", bind: { readonly: "true()", "jr:preload": "uid" } },
            { name: "instanceName", type: "calculate", bind: { calculate: "concat('v', /visit/who)" } }
          ]
        }
      ]
    })
    expect([...fieldsByPath(parsed.descriptor).keys()]).toEqual(["start", "today", "who", "kind", "child", "meta/instanceID", "meta/instanceName"])
  })

  it("reads bytes and refuses what is no XForm", () => {
    expect(successOf(readXForm(new TextEncoder().encode(`\uFEFF${XFORM}`))).formId).toBe("visits")
    expect(failureOf(readXForm("<data id='x'/>"))).toBe("Invalid XForm: the root element is <data>, not <h:html>")
    expect(failureOf(readXForm("<h:html xmlns:h='x'><h:head/></h:html>"))).toBe("Invalid XForm: no <h:head><model> element")
    expect(failureOf(readXForm("<h:html xmlns:h='x'><h:head><model><instance><data/></instance></model></h:head></h:html>"))).toBe(
      "Invalid XForm: the primary instance's root element <data> has no id attribute (the form id)"
    )
    expect(failureOf(readXForm("<h:html><h:head>"))).toMatch(/^Invalid XForm: not well-formed XML/)
  })

  const RAPIDE = "fixtures/iaso/iaso/tests/fixtures/form_rapide_1666691000.xml"
  it.skipIf(!sharedAvailable(RAPIDE))(
    `reads IASO's form_rapide_1666691000.xml as its XLSForm twin reads ${sharedAvailable(RAPIDE) ? "" : skipMessage(RAPIDE)}`,
    () => {
      const parsed = successOf(readXForm(readFileSync(sharedPath(RAPIDE), "utf8")))
      expect([parsed.formId, parsed.version, parsed.title]).toEqual(["Form-rapide", "1666691000", "Very quick form for test"])
      expect([...fieldsByPath(parsed.descriptor).values()].map((q) => [q.path, q.type, q.label])).toEqual([
        ["mon_champ", "text", { French: "Une valeur", English: "A value" }],
        ["meta/instanceID", "calculate", undefined]
      ])
    }
  )
})

describe("version ids", () => {
  const rows: ReadonlyArray<readonly [string | undefined, string | undefined, { ok: string } | { error: string }]> = [
    // declared, previous, outcome (today is 20200224)
    [undefined, undefined, { ok: "2020022401" }],
    [undefined, "2020022401", { ok: "2020022402" }],
    [undefined, "2020022409", { ok: "2020022410" }],
    [undefined, "2020022301", { ok: "2020022401" }],
    [undefined, "1", { ok: "2020022401" }],
    [undefined, "2020022499", { error: "Too many versions." }],
    [undefined, "9999999999", { error: "Parsed version should be greater than previous version." }],
    ["", "5", { ok: "2020022401" }],
    ["10", "9", { ok: "10" }],
    ["9", "10", { error: "Parsed version should be greater than previous version." }],
    ["10", "10", { error: "Parsed version should be greater than previous version." }],
    ["0042", "41", { ok: "0042" }],
    ["12", "v1", { ok: "12" }],
    ["LOL", undefined, { error: "Invalid version (must be a string of 1-10 numbers)." }],
    ["12345678901", undefined, { error: "Invalid version (must be a string of 1-10 numbers)." }],
    ["1.5", undefined, { error: "Invalid version (must be a string of 1-10 numbers)." }]
  ]
  for (const [declared, previous, outcome] of rows) {
    it(`declared ${declared ?? "(none)"} after ${previous ?? "(none)"}: ${"ok" in outcome ? outcome.ok : outcome.error}`, () => {
      const result = resolveVersionId({ declared, previous, today: "20200224" })
      expect(Result.isSuccess(result) ? { ok: result.success } : { error: result.failure }).toEqual(outcome)
    })
  }
})

describe("possible fields of a form", () => {
  it("merge every version's questions by name: newer labels and types win, first-seen order kept, notes skipped", () => {
    const v1 = {
      name: "data",
      type: "survey",
      children: [
        { name: "a", type: "text", label: "A" },
        { name: "n", type: "note", label: "N" },
        { name: "b", type: "integer", label: "<p>B</p>" }
      ]
    }
    const v2 = {
      name: "data",
      type: "survey",
      children: [
        { name: "c", type: "text" },
        { name: "a", type: "decimal", label: "A2" }
      ]
    }
    expect(formPossibleFields([v1, v2])).toEqual([
      { name: "a", label: "A2", type: "decimal" },
      { name: "b", label: "B", type: "integer" },
      { name: "c", label: "", type: "text" }
    ])
  })
})

describe("MD5", () => {
  it("matches RFC 1321's test suite", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["", "d41d8cd98f00b204e9800998ecf8427e"],
      ["a", "0cc175b9c0f1b6a831c399e269772661"],
      ["abc", "900150983cd24fb0d6963f7d28e17f72"],
      ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
      ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
      ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
      ["12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"]
    ]
    for (const [text, digest] of cases) expect(md5Hex(new TextEncoder().encode(text)), text).toBe(digest)
  })
})
