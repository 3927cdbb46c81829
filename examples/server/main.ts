/**
 * Runs the example server: `npm run server`. Environment: `PORT` (default 8787), `HOST` (default
 * 127.0.0.1), `DATABASE_URL` (PostgreSQL; PGlite in memory when absent), `IASO_SCHEMA`,
 * `IASO_BLOB_DIR`, `IASO_TOKEN_KEY` (the key signing tokens; a fixed development key, with a
 * warning, when absent), `CORS_ORIGIN` (default `*`). On start it seeds the demo account when the
 * store does not hold it yet (see `seed.ts`), then serves it.
 * @module
 */
import { startServer } from "./app.ts"
import { printSummary, seedDemo } from "./seed.ts"
import { openStore } from "./store.ts"

/** The development key used when `IASO_TOKEN_KEY` is absent: anyone who reads this file can forge tokens. */
export const DEVELOPMENT_TOKEN_KEY = "iaso-example-server-development-key-do-not-use-in-production"

const tokenKey = process.env["IASO_TOKEN_KEY"] ?? ""
if (tokenKey === "") {
  console.warn("!!! IASO_TOKEN_KEY is not set: tokens are signed with a fixed DEVELOPMENT key that anyone can read in the sources.")
  console.warn("!!! Set IASO_TOKEN_KEY to a long random secret before exposing this server.")
}
const { iaso, description } = await openStore()
const demo = await seedDemo(iaso)
printSummary(demo)
const server = await startServer({
  iaso,
  accountId: demo.accountId,
  projectId: demo.projectId,
  tokenKey: tokenKey === "" ? DEVELOPMENT_TOKEN_KEY : tokenKey,
  port: Number(process.env["PORT"] ?? "8787"),
  host: process.env["HOST"] ?? "127.0.0.1",
  ...(process.env["CORS_ORIGIN"] === undefined ? {} : { corsOrigin: process.env["CORS_ORIGIN"] })
})
console.log(
  `IASO example server on ${server.url} over ${description}; try: curl -X POST ${server.url}/api/login -d '{"username":"demo","password":"demo-password"}'`
)

const stop = async () => {
  await server.close()
  await iaso.dispose()
  process.exit(0)
}
process.once("SIGINT", () => void stop())
process.once("SIGTERM", () => void stop())
