/**
 * MD5 (RFC 1321) in lower-case hex: the digest IASO keeps for a form version's file (devices
 * compare it to know when to download a form again). WebCrypto has no MD5, so core computes it;
 * it is a checksum here, never a security measure.
 * @module
 */

const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21] as const
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0)

const rotl = (x: number, c: number): number => ((x << c) | (x >>> (32 - c))) >>> 0

/** The MD5 digest of `bytes`, as 32 lower-case hex digits. */
export const md5Hex = (bytes: Uint8Array): string => {
  const length = bytes.length
  const padded = new Uint8Array((((length + 8) >>> 6) + 1) * 64)
  padded.set(bytes)
  padded[length] = 0x80
  const view = new DataView(padded.buffer)
  const bits = length * 8
  view.setUint32(padded.length - 8, bits >>> 0, true)
  view.setUint32(padded.length - 4, Math.floor(bits / 2 ** 32), true)
  let a0 = 0x67452301
  let b0 = 0xefcdab89
  let c0 = 0x98badcfe
  let d0 = 0x10325476
  const m = new Array<number>(16)
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) m[i] = view.getUint32(offset + i * 4, true)
    let a = a0
    let b = b0
    let c = c0
    let d = d0
    for (let i = 0; i < 64; i++) {
      let f: number
      let g: number
      if (i < 16) {
        f = (b & c) | (~b & d)
        g = i
      } else if (i < 32) {
        f = (d & b) | (~d & c)
        g = (5 * i + 1) % 16
      } else if (i < 48) {
        f = b ^ c ^ d
        g = (3 * i + 5) % 16
      } else {
        f = c ^ (b | ~d)
        g = (7 * i) % 16
      }
      const shift = SHIFTS[(i >> 4) * 4 + (i % 4)] ?? 0
      const sum = (a + (f >>> 0) + (K[i] ?? 0) + (m[g] ?? 0)) >>> 0
      a = d
      d = c
      c = b
      b = (b + rotl(sum, shift)) >>> 0
    }
    a0 = (a0 + a) >>> 0
    b0 = (b0 + b) >>> 0
    c0 = (c0 + c) >>> 0
    d0 = (d0 + d) >>> 0
  }
  const out = new DataView(new ArrayBuffer(16))
  out.setUint32(0, a0, true)
  out.setUint32(4, b0, true)
  out.setUint32(8, c0, true)
  out.setUint32(12, d0, true)
  let hex = ""
  for (let i = 0; i < 16; i++) hex += out.getUint8(i).toString(16).padStart(2, "0")
  return hex
}
