import { flattenSubmission, type SubmissionDocument, submissionFilter, ValidationError } from "@iaso/core"
import { parseSubmission } from "@iaso/core/submission-xml"
import { Result } from "effect"
import { describe, expect, it } from "vitest"

const parse = (xml: string | Uint8Array): SubmissionDocument => {
  const result = parseSubmission(xml)
  if (Result.isFailure(result)) throw new Error(`expected a document: ${result.failure.message}`)
  return result.success
}

const refusal = (xml: string | Uint8Array): string => {
  const result = parseSubmission(xml)
  if (Result.isSuccess(result)) throw new Error("expected the document to be refused")
  expect(result.failure).toBeInstanceOf(ValidationError)
  expect(result.failure.issues[0]?.path).toEqual(["xml"])
  return result.failure.issues[0]?.message ?? ""
}

const flat = (xml: string) => flattenSubmission(parse(xml))

describe("parseSubmission and flattenSubmission", () => {
  it("keeps leaf text verbatim: empty elements, leading zeros, spaces, numbers, dates", () => {
    expect(
      flat(`<data><phonenumber /><phone2></phone2><code>007</code><padded>  1 2  </padded><n>1e5</n><d>0.50</d><b>true</b><day>2024-01-01</day></data>`)
    ).toEqual({ phonenumber: "", phone2: "", code: "007", padded: "  1 2  ", n: "1e5", d: "0.50", b: "true", day: "2024-01-01" })
  })

  it("groups vanish, a later leaf with the same tag replaces an earlier one, attributes are ignored, _version comes last", () => {
    const json = flat(`<data version="3" id="f"><a><x kind="first">1</x></a><b><c><x>2</x></c></b><y>3</y></data>`)
    expect(json).toEqual({ x: "2", y: "3", _version: "3" })
    expect(Object.keys(json)).toEqual(["x", "y", "_version"])
  })

  it("reads the root's version and the meta block, namespace prefixes dropped", () => {
    const document = parse(
      `<?xml version="1.0"?><h:data xmlns:h="x" xmlns:orx="o" version="2024010101" iasoInstance="12"><orx:meta><orx:instanceID>uuid:a-b</orx:instanceID><deprecatedID>uuid:c</deprecatedID><editUserID>7</editUserID></orx:meta></h:data>`
    )
    expect(document).toMatchObject({ rootName: "data", version: "2024010101", instanceId: "uuid:a-b", deprecatedId: "uuid:c", editUserId: "7" })
    expect(document.attributes["iasoInstance"]).toBe("12")
    expect(flattenSubmission(document)).toEqual({ instanceID: "uuid:a-b", deprecatedID: "uuid:c", editUserID: "7", _version: "2024010101" })
  })

  it("decodes character references (decimal, hex, surrogate halves merged) but not inside CDATA", () => {
    expect(
      flat(
        `<data><e>&#55357;&#57313;Yellow</e><h>&#x1F7E1;</h><lt>&#60;&amp;&#38;&gt;</lt><q>&#34;&#39;</q><amp>&amp;#60;</amp><c><![CDATA[&#60; <raw> &amp;]]></c><accent>&#233;t&#xE9;</accent></data>`
      )
    ).toEqual({ e: "🟡Yellow", h: "🟡", lt: "<&&>", q: `"'`, amp: "&#60;", c: "&#60; <raw> &amp;", accent: "été" })
  })

  it("drops the control characters U+001C to U+001F, raw or referenced, as IASO does", () => {
    expect(flat(`<data><a>x\u001Cy\u001Fz&#28;&#x1D;!</a></data>`)).toEqual({ a: "xyz!" })
  })

  it("repeat groups (given by the version) become lists of flat records, unfiltered inside; an empty occurrence is an empty record", () => {
    const descriptor = {
      name: "data",
      type: "survey",
      children: [
        {
          name: "household",
          type: "group",
          children: [
            {
              name: "hh",
              type: "repeat",
              children: [
                { name: "name", type: "text" },
                { name: "kids", type: "repeat", children: [{ name: "age", type: "integer" }] }
              ]
            }
          ]
        },
        { name: "total", type: "integer" }
      ]
    }
    const json = flattenSubmission(
      parse(
        `<data version="1"><household><hh><name>A</name><extra>kept inside a repeat</extra><kids><age>3</age></kids><kids><age>5</age></kids></hh><hh/></household><total>2</total><ignored>no path</ignored></data>`
      ),
      submissionFilter(descriptor)
    )
    expect(json).toEqual({
      hh: [{ name: "A", extra: "kept inside a repeat", kids: [{ age: "3" }, { age: "5" }] }, {}],
      total: "2",
      _version: "1"
    })
  })

  it("filtering keeps the version's question paths and formhub/meta, not group paths nor other paths", () => {
    const descriptor = { name: "data", type: "survey", children: [{ name: "g", type: "group", children: [{ name: "q", type: "text" }] }] }
    const json = flattenSubmission(
      parse(
        `<data><g/><q>root level</q><g><q>in g</q></g><formhub><uuid>f</uuid></formhub><meta><instanceID>uuid:1</instanceID><other>x</other></meta></data>`
      ),
      submissionFilter(descriptor)
    )
    expect(json).toEqual({ q: "in g", uuid: "f", instanceID: "uuid:1" })
  })

  it("accepts UTF-8 bytes with a byte-order mark and CRLF line ends (normalised as XML does)", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("<data><a>MAÏGA</a><b>1\r\n2</b></data>")])
    expect(flattenSubmission(parse(bytes))).toEqual({ a: "MAÏGA", b: "1\n2" })
  })

  it("refuses a truncated or malformed document, naming where", () => {
    expect(refusal(`<data><a>1</a>`)).toContain("not well-formed")
    expect(refusal(`<data><a>1</b></data>`)).toContain("Expected closing tag 'a'")
    expect(refusal(`<data><a>1 & 2</a></data>`)).toContain("not well-formed")
    expect(refusal(`<data><a>1</a></da`)).toContain("not well-formed")
    expect(refusal("")).toContain("not well-formed")
  })

  it("refuses several roots, text outside the root, a DOCTYPE and undefined entities", () => {
    expect(refusal(`<a/><b/>`)).toBe("the submission has 2 root elements; XML allows one")
    expect(refusal(`<a/>junk`)).toBe("the submission has text outside its root element")
    expect(refusal(`<!DOCTYPE data [<!ENTITY e "boom">]><data>&e;</data>`)).toBe("a submission may not declare a DOCTYPE")
    expect(refusal(`<data>&nbsp;</data>`)).toContain("the entity &nbsp; is not defined")
  })

  it("refuses what no store can keep: NUL, other C0 controls, lone surrogates, invalid UTF-8", () => {
    expect(refusal(`<data>\u0000</data>`)).toContain("control character")
    expect(refusal(`<data>&#0;</data>`)).toContain("names no character")
    expect(refusal(`<data>&#1;</data>`)).toContain("control character")
    expect(refusal(`<data>&#55357;x</data>`)).toContain("half of a surrogate pair")
    expect(refusal(`<data>&#57313;</data>`)).toContain("half of a surrogate pair")
    expect(refusal(`<data>\uD83D</data>`)).toBe("the submission holds a lone UTF-16 surrogate")
    expect(refusal(new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]))).toBe("the submission is not valid UTF-8")
  })
})
