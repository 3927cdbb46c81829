import { BULK_UPLOAD_LIMITS, fromMobileTimestamp, readBulkUpload } from "@iaso/core"
import { Result } from "effect"
import { zipSync } from "fflate"
import { describe, expect, it } from "vitest"

const bytes = (text: string) => new TextEncoder().encode(text)

/** The message of a refused upload. */
const refused = (result: ReturnType<typeof readBulkUpload>): string => {
  if (Result.isSuccess(result)) throw new Error("expected the upload to be refused")
  expect(result.failure.issues[0]?.path).toEqual(["files"])
  return result.failure.message
}

/** A zip whose one entry claims `claimed` bytes uncompressed in both headers, whatever it inflates to. */
const lyingZip = (name: string, content: Uint8Array, claimed: number): Uint8Array => {
  const zip = zipSync({ [name]: content }, { level: 9 })
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  view.setUint32(22, claimed, true) // local header: uncompressed size
  for (let at = zip.length - 22; at >= 0; at--) {
    if (view.getUint32(at, true) === 0x02014b50) {
      view.setUint32(at + 24, claimed, true) // central directory: uncompressed size
      break
    }
  }
  return zip
}

describe("bulk upload archives", () => {
  it("reads a zip's files by path, folders left out", () => {
    const zip = zipSync({ "instances.json": bytes("[]"), "a5362052-408f-44f8-8abc-2a520c01ea10": { "x.xml": bytes("<data/>") } })
    const files = readBulkUpload(zip)
    expect(Result.isSuccess(files) && [...files.success.entries()].map(([path, data]) => [path, new TextDecoder().decode(data)])).toEqual([
      ["instances.json", "[]"],
      ["a5362052-408f-44f8-8abc-2a520c01ea10/x.xml", "<data/>"]
    ])
  })

  it("refuses a zip bomb: an entry inflating past the size it claims stops there, as a damaged archive", () => {
    // 16 MiB of zeros deflate to about 16 KiB; the headers claim 1,000 bytes.
    const bomb = lyingZip("instances.json", new Uint8Array(16 * 1024 * 1024), 1000)
    expect(bomb.length).toBeLessThan(200 * 1024)
    expect(refused(readBulkUpload(bomb))).toBe(
      'not a mobile bulk upload (a damaged zip archive: the entry instances.json inflates to more than the 1000 bytes it claims)\n  at ["files"]'
    )
  })

  it("refuses an entry, or all entries, claiming more than the limits before inflating them", () => {
    const zip = zipSync({ "a.bin": new Uint8Array(3000), "b.bin": new Uint8Array(3000) })
    expect(refused(readBulkUpload(zip, { ...BULK_UPLOAD_LIMITS, maxEntryBytes: 2000 }))).toBe(
      'the archive\'s entry a.bin claims 3000 bytes uncompressed: more than the 2000 bytes an entry may have (limit `maxEntryBytes`)\n  at ["files"]'
    )
    expect(refused(readBulkUpload(zip, { ...BULK_UPLOAD_LIMITS, maxUncompressedBytes: 5000 }))).toBe(
      'the archive\'s entries inflate to at least 6000 bytes: more than the 5000 bytes an archive may inflate to (limit `maxUncompressedBytes`)\n  at ["files"]'
    )
  })

  it("refuses more entries than maxZipEntries, and an archive over maxUploadBytes, before reading any entry", () => {
    const zip = zipSync(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}.txt`, bytes("x")])))
    expect(refused(readBulkUpload(zip, { ...BULK_UPLOAD_LIMITS, maxZipEntries: 10 }))).toBe(
      'the archive lists 11 entries: more than the 10 entries an archive may have (limit `maxZipEntries`)\n  at ["files"]'
    )
    expect(refused(readBulkUpload(zip, { ...BULK_UPLOAD_LIMITS, maxUploadBytes: 100 }))).toBe(
      `the archive is ${zip.length} bytes: more than the 100 bytes an upload may have (limit \`maxUploadBytes\`)\n  at ["files"]`
    )
  })

  it("refuses paths leaving the upload's folder, in a zip and in a folder map", () => {
    for (const [path, why] of [
      ["../evil.xml", "a path with an empty, `.` or `..` segment"],
      ["a/../../evil.xml", "a path with an empty, `.` or `..` segment"],
      ["/etc/passwd", "an absolute path"],
      ["C:/evil.xml", "an absolute path"],
      ["a\\evil.xml", "a path with a backslash"]
    ] as const) {
      expect(refused(readBulkUpload(zipSync({ [path]: bytes("x") })))).toBe(
        `not a mobile bulk upload (the archive's entry ${JSON.stringify(path)} is ${why})\n  at ["files"]`
      )
      expect(refused(readBulkUpload(new Map([[path, bytes("x")]])))).toBe(`the file ${JSON.stringify(path)} is ${why}\n  at ["files"]`)
    }
  })

  it("refuses bytes that are not a zip archive", () => {
    expect(refused(readBulkUpload(bytes("not a zip")))).toBe('not a mobile bulk upload (not a zip archive: no end of central directory record)\n  at ["files"]')
  })
})

describe("mobile timestamps", () => {
  it("reads seconds and milliseconds as the same instant (IASO's test values), keeping milliseconds", () => {
    expect(fromMobileTimestamp(1565258153)?.toISOString()).toBe("2019-08-08T09:55:53.000Z")
    expect(fromMobileTimestamp(1565258153000)?.toISOString()).toBe("2019-08-08T09:55:53.000Z")
    expect(fromMobileTimestamp(1.712326150005e9)?.toISOString()).toBe("2024-04-05T14:09:10.005Z")
    expect(fromMobileTimestamp("1712326429884")?.toISOString()).toBe("2024-04-05T14:13:49.884Z")
  })

  it("answers undefined for what is no timestamp", () => {
    expect([fromMobileTimestamp(Number.NaN), fromMobileTimestamp(""), fromMobileTimestamp("soon"), fromMobileTimestamp(1e20)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined
    ])
  })
})
