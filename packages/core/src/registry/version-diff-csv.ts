/**
 * A diff of two versions written as IASO's `diff.csv` export (`Dumper.dump_as_csv`), values
 * printed as Python prints them.
 * @module
 */
import type { MultiPolygon, Point } from "geojson"
import { compareCodePoints } from "../shared/text.ts"
import type { DiffValue, VersionDiff } from "./version-diff-types.ts"
import { centroidDistanceKm, isGeometry, isGroupList } from "./version-diff-values.ts"

/** Python's `repr` of a string. */
const pyRepr = (text: string): string => {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    if (char === "\\") out += "\\\\"
    else if (char === quote) out += `\\${quote}`
    else if (char === "\n") out += "\\n"
    else if (char === "\r") out += "\\r"
    else if (char === "\t") out += "\\t"
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) out += `\\x${code.toString(16).padStart(2, "0")}`
    else if (code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16)}`
    else out += char
  }
  return out + quote
}

/** A coordinate as GEOS writes it in WKT (shortest form, never in exponent notation). */
const wktNumber = (value: number): string => {
  const text = String(value)
  if (!/e/i.test(text)) return text
  const fixed = value.toFixed(20)
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed
}

/**
 * The EWKT of a geometry as IASO's GEOS geometries print: a location is a 3D point (altitude 0
 * when absent, as IASO stores locations), shapes are 2D multipolygons.
 */
export const toEwkt = (geometry: Point | MultiPolygon): string => {
  if (geometry.type === "Point") {
    const [lon = 0, lat = 0, alt = 0] = geometry.coordinates
    return `SRID=4326;POINT Z (${wktNumber(lon)} ${wktNumber(lat)} ${wktNumber(alt)})`
  }
  const ring = (positions: ReadonlyArray<ReadonlyArray<number>>) => `(${positions.map((p) => `${wktNumber(p[0] ?? 0)} ${wktNumber(p[1] ?? 0)}`).join(", ")})`
  const polygons = geometry.coordinates.map((polygon) => `(${polygon.map(ring).join(", ")})`)
  return `SRID=4326;MULTIPOLYGON (${polygons.join(", ")})`
}

/** Python's `str()` of a compared value, as IASO's CSV writes it. */
const pyStr = (value: DiffValue): string => {
  if (value === null) return "None"
  if (typeof value === "string") return value
  if (isGroupList(value)) {
    return `[${value.map((g) => `{'id': ${pyRepr(g.id)}, 'name': ${pyRepr(g.name)}, 'iaso_id': ${pyRepr(g.groupId)}}`).join(", ")}]`
  }
  return toEwkt(value)
}

/** One CSV cell, quoted as Python's `csv` module does by default (minimal quoting). */
const csvCell = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)

/** How many ancestor levels IASO's CSV shows. */
const CSV_PARENT_LEVELS = 5

/**
 * IASO's `diff.csv` (`Dumper.dump_as_csv`) of a diff: a header `externalId, diff status, modified
 * fields, type`, then for each compared field in code-point order `<f>, <f> before, <f> after`
 * (group pseudo-fields titled by the group's name; `distance diff (KM)` after `geometry`), then
 * `parent i name before/after` for i = 1..5. Values are printed as Python prints them (`None`,
 * list reprs), polygons cut to 40 characters, geometries as `SRID=4326;` EWKT. Rows end with
 * CRLF, as Python's `csv.writer` ends them.
 *
 * Two values differ from IASO by construction: a group's `iaso_id` is this SDK's string id (so it
 * is quoted), and the distance column is the great-circle distance in km between the two points
 * (IASO multiplies their planar distance in degrees by 100).
 */
export const versionDiffCsv = (diff: VersionDiff): string => {
  const sorted = [...diff.fields].sort(compareCodePoints)
  const header = ["externalId", "diff status", "modified fields", "type"]
  for (const field of sorted) {
    const title = field.startsWith("group:") || field.startsWith("groupset:") ? (field.split(":")[2] ?? "") : field
    header.push(title, `${title} before`, `${title} after`)
    if (title === "geometry") header.push("distance diff (KM)")
  }
  for (let i = 1; i <= CSV_PARENT_LEVELS; i++) header.push(`parent ${i} name before`, `parent ${i} name after`)
  const rows: Array<ReadonlyArray<string>> = [header]
  for (const entry of diff.diffs) {
    const unit = entry.after ?? entry.before
    const row: Array<string> = [
      unit?.sourceRef ?? "",
      entry.status,
      entry.comparisons
        .filter((c) => c.status !== "same")
        .map((c) => c.field)
        .join(", "),
      unit?.typeName ?? ""
    ]
    for (const field of sorted) {
      const comparison = entry.comparisons.find((c) => c.field === field)
      const before = comparison?.before ?? null
      const after = comparison?.after ?? null
      row.push(comparison?.status ?? "")
      const beforeText = pyStr(before)
      const afterText = pyStr(after)
      if (field !== "geometry") {
        row.push(beforeText, afterText)
        continue
      }
      if (beforeText.includes("MULTIPOLYGON") || afterText.includes("MULTIPOLYGON")) row.push(beforeText.slice(0, 40), afterText.slice(0, 40))
      else row.push(beforeText, afterText)
      if (beforeText.includes("POINT Z") && isGeometry(before) && isGeometry(after)) {
        row.push(beforeText.slice(0, 40) !== afterText.slice(0, 40) ? centroidDistanceKm(before, after).toFixed(3) : "0")
      } else {
        row.push(before === null && after === null ? "" : "NA")
      }
    }
    const beforeParents = entry.before?.ancestorNames ?? []
    const afterParents = entry.after?.ancestorNames ?? []
    for (let i = 0; i < CSV_PARENT_LEVELS; i++) row.push(beforeParents[i] ?? "", afterParents[i] ?? "")
    rows.push(row)
  }
  return rows.map((row) => `${row.map(csvCell).join(",")}\r\n`).join("")
}
