/**
 * String similarity shared by name matching (`Matching`) and entity duplicate search, in a module
 * of its own so that a bundle using one does not carry the other's service.
 * @module
 */

/**
 * The Jaro-Winkler similarity of two strings (code points), from 0 (nothing in common) to 1
 * (identical): the Jaro similarity raised for a common prefix of up to 4 characters with the
 * usual scale 0.1. Two empty strings are identical (1); an empty and a non-empty string score 0.
 * MARTHA/MARHTA 0.9611, DIXON/DICKSONX 0.8133, JELLYFISH/SMELLYFISH 0.8963.
 */
export const jaroWinkler = (a: string, b: string): number => jaroWinklerOf(Array.from(a), Array.from(b))

/** {@link jaroWinkler} on strings already split into code points. */
export const jaroWinklerOf = (x: ReadonlyArray<string>, y: ReadonlyArray<string>): number => {
  if (x.length === 0 && y.length === 0) return 1
  if (x.length === 0 || y.length === 0) return 0
  const window = Math.max(0, Math.floor(Math.max(x.length, y.length) / 2) - 1)
  const xMatched = new Uint8Array(x.length)
  const yMatched = new Uint8Array(y.length)
  let matches = 0
  for (let i = 0; i < x.length; i++) {
    const from = Math.max(0, i - window)
    const to = Math.min(y.length - 1, i + window)
    for (let j = from; j <= to; j++) {
      if (yMatched[j] === 1 || x[i] !== y[j]) continue
      xMatched[i] = 1
      yMatched[j] = 1
      matches++
      break
    }
  }
  if (matches === 0) return 0
  let transpositions = 0
  let k = 0
  for (let i = 0; i < x.length; i++) {
    if (xMatched[i] !== 1) continue
    while (yMatched[k] !== 1) k++
    if (x[i] !== y[k]) transpositions++
    k++
  }
  const jaro = (matches / x.length + matches / y.length + (matches - transpositions / 2) / matches) / 3
  let prefix = 0
  while (prefix < 4 && prefix < x.length && prefix < y.length && x[prefix] === y[prefix]) prefix++
  return jaro + prefix * 0.1 * (1 - jaro)
}
