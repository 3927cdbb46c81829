/**
 * `@iaso/core/mobile-bulk-upload`: constants of the mobile bulk upload import
 * ({@link BULK_UPLOAD_SOURCE}, the audit source of what it writes, and
 * {@link UNSUPPORTED_BULK_SECTIONS}). `Instances.importMobileBulkUpload` loads the import itself
 * when an upload first comes.
 *
 * Kept apart from `@iaso/core` so that an app's bundle carries the import (and its zip reader)
 * only when it imports it or receives an upload (the service loads it with a dynamic `import()`).
 * @module @iaso/core/mobile-bulk-upload
 */
export { BULK_UPLOAD_SOURCE, UNSUPPORTED_BULK_SECTIONS } from "./submissions/mobile-bulk-upload.ts"
