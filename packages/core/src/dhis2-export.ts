/**
 * `@iaso/core/dhis2-export`: the DHIS2 export sender, {@link runExportItems} (payloads, pages,
 * the tracker API) and {@link KILLED_EXPORT_MESSAGE}. `Exports.run` and instant exports load it
 * themselves when an export first runs; an app imports it from here to send items without the
 * service. Its types (`ExportItem`, `ExportRunResult`...) are exported by `@iaso/core`.
 *
 * Kept apart from `@iaso/core` so that an app's bundle carries the sender only when it imports it
 * or runs an export (the services load this code with a dynamic `import()`).
 * @module @iaso/core/dhis2-export
 */
export { KILLED_EXPORT_MESSAGE, runExportItems } from "./dhis2/export-run.ts"
