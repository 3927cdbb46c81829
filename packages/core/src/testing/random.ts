/**
 * The seeded PRNG of tests and scenarios (defined beside the sample pyramid generator, which uses it).
 * @module
 */
export { prng } from "../shared/random.ts"
