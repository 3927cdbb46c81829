/**
 * The example server's bearer tokens: `base64url(JSON claims) + "." + base64url(HMAC-SHA256)`,
 * signed with a key of the host's. A deliberately small scheme for a runnable example: a real host
 * plugs in its own authentication (sessions, OpenID Connect, IASO's JWTs...) and only has to turn a
 * request into a user id and an account id.
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto"

/** What a token says: the user (`sub`), its account (`acc`) and when it expires (`exp`, seconds since the epoch). */
export interface TokenClaims {
  readonly sub: string
  readonly acc: string
  readonly exp: number
}

/** Why a token was refused. */
export type TokenRefusal = "malformed" | "bad signature" | "expired"

const signature = (key: string, payload: string): Buffer => createHmac("sha256", key).update(payload).digest()

/** Signs `claims` with `key` (HMAC-SHA256); the token is `payload.signature`, both base64url. */
export const signToken = (key: string, claims: TokenClaims): string => {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url")
  return `${payload}.${signature(key, payload).toString("base64url")}`
}

const isClaims = (value: unknown): value is TokenClaims =>
  typeof value === "object" &&
  value !== null &&
  "sub" in value &&
  typeof value.sub === "string" &&
  "acc" in value &&
  typeof value.acc === "string" &&
  "exp" in value &&
  typeof value.exp === "number"

/**
 * The claims of a token signed with `key` that has not expired at `nowSeconds`, or why it is
 * refused. The signature is compared in constant time before the payload is parsed.
 */
export const verifyToken = (key: string, token: string, nowSeconds: number): { readonly claims: TokenClaims } | { readonly refused: TokenRefusal } => {
  const parts = token.split(".")
  const [payload, signed] = parts
  if (parts.length !== 2 || payload === undefined || signed === undefined || payload === "" || signed === "") return { refused: "malformed" }
  const expected = signature(key, payload)
  const given = Buffer.from(signed, "base64url")
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { refused: "bad signature" }
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
  } catch {
    return { refused: "malformed" }
  }
  if (!isClaims(claims)) return { refused: "malformed" }
  if (claims.exp <= nowSeconds) return { refused: "expired" }
  return { claims }
}
