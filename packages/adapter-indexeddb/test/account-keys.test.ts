/** Ids unique per account on fake-indexeddb (see `account-key-scenarios.ts`). */
import "fake-indexeddb/auto"
import { IDBFactory } from "fake-indexeddb"
import { accountKeyTests } from "./account-key-scenarios.ts"

accountKeyTests(
  "fake-indexeddb",
  () => new IDBFactory(),
  (name) => name
)
