/**
 * `@iaso/cli`: the `iaso` command (import and export pyramids, print trees and counts, upload
 * XLSForms, ingest submissions, on a SQLite file or PostgreSQL). For programs and tests,
 * {@link main} runs it with given arguments and answers the exit code, and {@link iaso} is the
 * `effect/cli` command tree.
 *
 * ```ts
 * import { ExitCode, main } from "@iaso/cli"
 * const code = await main(["import", "gpkg", "pyramid.gpkg", "--db", "pyramid.sqlite", "--json"])
 * if (code === ExitCode.invalidInput) console.error("the GeoPackage was refused")
 * ```
 * @module
 */
export { ExitCode, exitCodeOf } from "./exit-codes.ts"
export { iaso, main, type MainOptions, VERSION } from "./main.ts"
