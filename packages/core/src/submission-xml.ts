/**
 * `@iaso/core/submission-xml`: reading an ODK submission document ({@link parseSubmission}, over
 * fast-xml-parser). Flattening what it reads (`flattenSubmission`, `submissionFilter`,
 * `stripUuidPrefix`) stays in `@iaso/core`.
 *
 * Kept apart from `@iaso/core` so that an app's bundle carries the XML parser only when it imports
 * it or ingests a submission: `Instances` loads it with a dynamic `import()` the first time.
 * @module @iaso/core/submission-xml
 */
export { parseSubmission } from "./submissions/odk-xml-read.ts"
