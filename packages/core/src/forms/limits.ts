/**
 * The limits the form readers hold an upload to: the `.xlsx` reader (`readXlsx`), the XLSForm
 * reader on top of it (`readXlsForm`), the XForm reader (`readXForm`) and the XML parser under
 * them. Form files come from people the server does not control, so every quantity a file can
 * make a reader spend (bytes inflated, archive entries, XML size, elements and nesting, rows,
 * columns, cells, shared strings, form nesting, descriptor items) has a maximum here, and no
 * reader allocates in proportion to a number written in a file rather than to bytes present.
 *
 * Each reader takes its limits as a last, optional argument (`readXlsx(bytes, limits)`), whose
 * default is {@link FORM_LIMITS}; a caller changes some with
 * `{ ...FORM_LIMITS, maxSheetRows: 500_000 }`. Exceeding a limit is a failure of the reader's
 * `Result` whose message names what was found, the limit's value and its name (see
 * {@link exceeded}); the form services answer it as a `ValidationError`.
 * @module
 */
import { exceededLimit } from "../shared/zip.ts"
import type { DescriptorLabel } from "./descriptor.ts"

/** Maxima (inclusive) for what one uploaded form file may make the readers do. */
export interface FormLimits {
  /** Bytes of an uploaded file: an `.xlsx` archive, or an XForm given as bytes. */
  readonly maxUploadBytes: number
  /** Entries an `.xlsx` archive may list (what its directory claims, before any is read). */
  readonly maxZipEntries: number
  /**
   * Uncompressed bytes of one archive entry the reader inflates: the size the entry claims is
   * checked before inflating, and inflating stops as soon as it produces more than that claim.
   */
  readonly maxEntryBytes: number
  /**
   * Uncompressed bytes over every entry the reader inflates from one archive (it inflates only the
   * parts it reads: the workbook, its relationships, the shared strings and the sheets).
   */
  readonly maxUncompressedBytes: number
  /** Items of a workbook's shared string table. */
  readonly maxSharedStrings: number
  /** Rows of one sheet: the row number of any cell holding a value. */
  readonly maxSheetRows: number
  /** Columns of one sheet: the column number of any cell holding a value. */
  readonly maxSheetColumns: number
  /**
   * Cells of a whole workbook as the reader lays its sheets out: each row up to its last cell
   * holding a value (the empty cells before it counted), and each empty row before a sheet's last
   * value as one. Cells and rows past the last value are not kept and do not count.
   */
  readonly maxCells: number
  /** Characters (UTF-16 code units) of one XML document: an XForm or one part of a workbook. */
  readonly maxXmlTextLength: number
  /** Nesting of XML elements (the root element is at depth 1). */
  readonly maxXmlDepth: number
  /** Elements of one XML document. */
  readonly maxXmlElements: number
  /**
   * Nesting of groups and repeats in a form: an XLSForm's `begin group`/`begin repeat` rows, an
   * XForm's primary instance below its root (the form services walk descriptors recursively).
   */
  readonly maxFormDepth: number
  /**
   * Items of the form descriptor a reader builds, which grows as the product of what a file holds
   * where a question lists a shared choice list or label: every question, group, repeat and
   * choice (a list's choices once per question that lists them), and every text of a label or
   * hint (a translated label's texts once per question or choice that uses it).
   */
  readonly maxDescriptorItems: number
}

/**
 * The default limits: well above what real forms need (IASO's XLSForm and XForm fixtures reach at
 * most 50 archive entries, 4.4 MB inflated, 0.9 MB and 43,000 elements in one part, 4,811 rows,
 * 20 columns and 19,540 cells), and low enough that a file over them is refused in under a
 * second and some tens of megabytes. A file just within them all still costs seconds: parsing XML
 * takes some microseconds an element.
 */
export const FORM_LIMITS: FormLimits = Object.freeze({
  maxUploadBytes: 16 * 1024 * 1024,
  maxZipEntries: 1_000,
  maxEntryBytes: 8 * 1024 * 1024,
  maxUncompressedBytes: 32 * 1024 * 1024,
  maxSharedStrings: 200_000,
  maxSheetRows: 100_000,
  maxSheetColumns: 1_000,
  maxCells: 1_000_000,
  maxXmlTextLength: 8 * 1024 * 1024,
  maxXmlDepth: 200,
  maxXmlElements: 250_000,
  maxFormDepth: 100,
  maxDescriptorItems: 500_000
})

/**
 * A running count of what a reader adds to a form descriptor, against `maxDescriptorItems`:
 * `spend` adds items and answers the limit's message once they exceed it.
 */
export const descriptorBudget = (limits: FormLimits): { readonly spend: (items: number) => string | undefined } => {
  let spent = 0
  return {
    spend: (items) => {
      spent += items
      return spent > limits.maxDescriptorItems
        ? exceeded(`the form's descriptor holds at least ${spent} items`, limits, "maxDescriptorItems", "items a form descriptor may hold")
        : undefined
    }
  }
}

/** The texts of a label or hint: one, one per language, or none. */
export const labelItems = (label: DescriptorLabel | undefined): number => (label === undefined ? 0 : typeof label === "string" ? 1 : Object.keys(label).length)

/**
 * The message for an exceeded limit: what was found, then the limit's value, what it bounds and
 * its name, as in "the workbook's sheet 'survey' has a cell at row 999999999: more than the 100000
 * rows a sheet may have (limit `maxSheetRows`)".
 */
export const exceeded = (found: string, limits: FormLimits, limit: keyof FormLimits, bounds: string): string => exceededLimit(found, limits, limit, bounds)
