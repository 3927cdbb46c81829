/** Ids unique per account on the browser's own IndexedDB (headless Chromium; see `account-key-scenarios.ts`). */
import { accountKeyTests } from "./account-key-scenarios.ts"

const run = Date.now()
accountKeyTests(
  "chromium",
  () => indexedDB,
  (name) => `${name}-${run}`
)
