/**
 * Decimals: values IASO keeps as SQL decimals are decimal strings in the SDK, rounded in decimal
 * arithmetic (never `Math.round` on binary floats).
 * @module
 */
import { Schema } from "effect"

const DECIMAL_PATTERN = /^-?(0|[1-9]\d*)(\.\d+)?$/

/** A decimal number written in plain notation (`-12.5`, `0.001`, `42`), no exponent, no leading zeros. */
export const DecimalString = Schema.String.check(
  Schema.isPattern(DECIMAL_PATTERN, { message: "Expected a decimal number written like -12.50 (no exponent)" })
).pipe(Schema.brand("DecimalString"))
export type DecimalString = typeof DecimalString.Type

/**
 * A decimal string limited to `precision` significant digits with at most `scale` after the point,
 * like SQL `decimal(precision, scale)`.
 */
export const decimalOf = (precision: number, scale: number) =>
  DecimalString.check(
    Schema.makeFilter((text: string) => {
      const [whole = "", fraction = ""] = text.replace(/^-/, "").split(".")
      if (fraction.length > scale) return `Expected at most ${scale} digits after the decimal point`
      if (whole.replace(/^0$/, "").length > precision - scale) {
        return `Expected at most ${precision - scale} digits before the decimal point`
      }
      return true
    })
  )

/** Parses a decimal from a string or a finite number (numbers go through their shortest round-trip text). */
const toParts = (value: string | number): { negative: boolean; digits: bigint; scale: number } | undefined => {
  let text = typeof value === "number" ? (Number.isFinite(value) ? numberToPlain(value) : "") : value.trim()
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return undefined
  const negative = text.startsWith("-")
  text = text.replace(/^[+-]/, "")
  const [whole = "", fraction = ""] = text.split(".")
  return { negative, digits: BigInt((whole || "0") + fraction), scale: fraction.length }
}

/** Plain (non-exponent) text of a finite number, exact to its shortest round-trip representation. */
const numberToPlain = (n: number): string => {
  const text = String(n)
  if (!/e/i.test(text)) return text
  const [mantissa = "", exponentText = "0"] = text.toLowerCase().split("e")
  const exponent = Number(exponentText)
  const negative = mantissa.startsWith("-")
  const [whole = "", fraction = ""] = mantissa.replace("-", "").split(".")
  const digits = whole + fraction
  const point = whole.length + exponent
  let plain: string
  if (point <= 0) plain = `0.${"0".repeat(-point)}${digits}`
  else if (point >= digits.length) plain = digits + "0".repeat(point - digits.length)
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`
  return negative ? `-${plain}` : plain
}

const format = (negative: boolean, digits: bigint, scale: number): string => {
  let text = digits.toString().padStart(scale + 1, "0")
  if (scale > 0) text = `${text.slice(0, -scale)}.${text.slice(-scale)}`
  if (scale > 0) text = text.replace(/\.?0+$/, "")
  return negative && /[1-9]/.test(text) ? `-${text}` : text
}

/**
 * Rounds a decimal (string or number) to `places` digits after the point, half away from zero
 * ("half-up" as Python's `ROUND_HALF_UP`), computed in decimal. Trailing zeros are dropped.
 * Returns `undefined` for text that is not a decimal number.
 */
export const roundHalfUp = (value: string | number, places: number): DecimalString | undefined => {
  const parts = toParts(value)
  if (parts === undefined) return undefined
  let { digits } = parts
  const { scale, negative } = parts
  if (scale > places) {
    const divisor = 10n ** BigInt(scale - places)
    const quotient = digits / divisor
    const remainder = digits % divisor
    digits = remainder * 2n >= divisor ? quotient + 1n : quotient
    return format(negative, digits, places) as DecimalString
  }
  return format(negative, digits, scale) as DecimalString
}

/** The largest accuracy IASO keeps (metres). */
export const MAX_ACCURACY = 99999

/**
 * IASO's accuracy rule: round to 2 decimal places half-up, then cap at 99999 (larger values are
 * stored as 99999). Negative or non-numeric inputs give `undefined`.
 */
export const accuracyOf = (value: string | number): DecimalString | undefined => {
  const rounded = roundHalfUp(value, 2)
  if (rounded === undefined || rounded.startsWith("-")) return undefined
  // A decimal with at most 2 places above the integer cap is at least 0.01 above it: comparing
  // its nearest double with the cap (exactly representable) decides as exactly as compareDecimals.
  return Number(rounded) > MAX_ACCURACY ? (String(MAX_ACCURACY) as DecimalString) : rounded
}

/** Compares two decimal strings numerically: negative, zero or positive. */
export const compareDecimals = (a: string, b: string): number => {
  const pa = toParts(a)
  const pb = toParts(b)
  if (pa === undefined || pb === undefined) throw new TypeError("compareDecimals: not a decimal")
  const scale = Math.max(pa.scale, pb.scale)
  const va = (pa.negative ? -1n : 1n) * pa.digits * 10n ** BigInt(scale - pa.scale)
  const vb = (pb.negative ? -1n : 1n) * pb.digits * 10n ** BigInt(scale - pb.scale)
  return va === vb ? 0 : va < vb ? -1 : 1
}
