/**
 * The upgrade to account keys (migration 0005), as an adapter's tests check it on a store that
 * persists: rows written by migrations 0001-0004 in account A ({@link seedBeforeAccountKeys}),
 * then, once the store is opened with every migration, the same rows, feed and unique keys, and
 * another account taking A's ids ({@link checkAfterAccountKeys}). Each adapter adds what only it
 * can see (its tables' keys, its tombstones' layout, foreign keys).
 * @module
 */
import { Effect, Exit, type ManagedRuntime } from "effect"
import { expect } from "vitest"
import { Repos } from "../kernel/repos.ts"
import { CORE_MIGRATIONS } from "../core-migrations.ts"
import { scopeOf } from "../shared/repository.ts"
import { ALL_MODELS } from "../models.ts"
import { OrgUnitModel } from "../registry/org-unit.ts"
import { foldMigrations } from "../shared/schema-folding.ts"
import type { Change, InspectedRow } from "../shared/store.ts"
import { Store } from "../shared/store.ts"
import { AccountFeatureFlagModel } from "../tenancy/feature-flags.ts"
import { Accounts } from "../tenancy/accounts-service.ts"
import { exitError } from "./harness.ts"

/** A runtime over a store with the kernel's repositories and the accounts service. */
export type UpgradeApp = ManagedRuntime.ManagedRuntime<Store | Repos | Accounts, unknown>

/** The id of the n-th unit the upgrade writes. */
export const upgradeUnitId = (n: number): string => `00000000-0000-7000-8000-${String(n).padStart(12, "0")}`

/** A unit row (as the repositories take it) of `versionId` with a code, valid. */
const unit = (n: number, versionId: string, code: string) => ({
  id: upgradeUnitId(n),
  name: `Unit ${n}`,
  versionId,
  validationStatus: "VALID" as const,
  custom: false,
  extraFields: {},
  code,
  path: `${upgradeUnitId(n)}/`,
  depth: 1
})

/** What the store held before the upgrade. */
export interface SeededBeforeAccountKeys {
  readonly accountId: string
  readonly versionId: string
  /** Every model's rows (in `ALL_MODELS` order, the models account keys apply to) as `inspect` read them. */
  readonly rows: ReadonlyArray<ReadonlyArray<InspectedRow>>
  /** Account A's change feed. */
  readonly feed: ReadonlyArray<Change>
}

/** The models whose tables exist once account keys are in (migrations up to 0005; later ones add tables the seed predates). */
const UPGRADED_MODELS = (() => {
  const end = CORE_MIGRATIONS.findIndex((migration) => migration.id === "0005_account_keys")
  const tables = foldMigrations(CORE_MIGRATIONS.slice(0, end + 1))
  return ALL_MODELS.filter((model) => tables.has(model.name))
})()

const rowsOf = (app: UpgradeApp) =>
  app.runPromise(Effect.flatMap(Effect.service(Store), (store) => Effect.forEach(UPGRADED_MODELS, (model) => store.inspect(model))))
const feedOf = (app: UpgradeApp, accountId: string) =>
  app.runPromise(Effect.flatMap(Effect.service(Store), (store) => store.changesSince(accountId, 0, 10_000)))

/**
 * Writes account A's rows on a store migrated by 0001-0004: units 1-3 (codes `C1`, `C2` and
 * empty, under the partial unique index of valid codes), unit 2 deleted (an account tombstone),
 * and a global catalogue's row deleted (a tombstone of no account). Returns what the store then holds.
 */
export const seedBeforeAccountKeys = async (app: UpgradeApp): Promise<SeededBeforeAccountKeys> => {
  const a = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.setup({ name: "Keys A" })))
  await app.runPromise(
    Effect.flatMap(Effect.service(Repos), (repos) =>
      Effect.gen(function* () {
        yield* repos.insertMany(OrgUnitModel, a.account.id, [unit(1, a.version.id, "C1"), unit(2, a.version.id, "C2"), unit(3, a.version.id, "")] as never, {
          atomic: true
        })
        // Straight to the store: the repositories' on-delete rules read models (change requests,
        // reference instances) whose tables later migrations create.
        yield* repos.driver.write(OrgUnitModel, scopeOf(OrgUnitModel, a.account.id), [{ kind: "delete", id: upgradeUnitId(2) }])
        const flag = yield* repos.insert(AccountFeatureFlagModel, a.account.id, { code: "GONE", name: "Gone" })
        yield* repos.remove(AccountFeatureFlagModel, a.account.id, flag.id)
      })
    )
  )
  const seeded = { accountId: a.account.id, versionId: a.version.id, rows: await rowsOf(app), feed: await feedOf(app, a.account.id) }
  expect(seeded.feed.filter((c) => c.deleted).map((c) => [c.model, c.accountId])).toEqual([
    ["OrgUnit", a.account.id],
    ["AccountFeatureFlag", null]
  ])
  return seeded
}

/**
 * Checks a store opened with every migration after {@link seedBeforeAccountKeys}: every row and
 * A's feed unchanged; the partial unique index still refusing a valid code twice in a version and
 * letting empty codes repeat; account B creating units with A's live and deleted ids, A's rows
 * and feed untouched. Returns B's account and version ids.
 */
export const checkAfterAccountKeys = async (
  app: UpgradeApp,
  before: SeededBeforeAccountKeys
): Promise<{ readonly accountId: string; readonly versionId: string }> => {
  expect(await rowsOf(app)).toEqual(before.rows)
  expect(await feedOf(app, before.accountId)).toEqual(before.feed)
  const insertIn = (accountId: string, row: ReturnType<typeof unit>) =>
    app.runPromiseExit(Effect.flatMap(Effect.service(Repos), (repos) => repos.insert(OrgUnitModel, accountId, row as never)))
  expect(exitError(await insertIn(before.accountId, unit(4, before.versionId, "C1")))).toMatchObject({
    _tag: "AlreadyExists",
    constraint: "org_unit_code_per_version_valid_unique"
  })
  expect(Exit.isSuccess(await insertIn(before.accountId, unit(5, before.versionId, "")))).toBe(true)
  // Another account takes A's ids: a live one, and the deleted one (whose tombstone stays A's).
  const b = await app.runPromise(Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.setup({ name: "Keys B" })))
  expect(Exit.isSuccess(await insertIn(b.account.id, unit(1, b.version.id, "C1")))).toBe(true)
  expect(Exit.isSuccess(await insertIn(b.account.id, unit(2, b.version.id, "C2")))).toBe(true)
  const units = await app.runPromise(Effect.flatMap(Effect.service(Store), (store) => store.inspect(OrgUnitModel)))
  expect(units.filter((u) => u.row["accountId"] === before.accountId && u.row["id"] !== upgradeUnitId(5))).toEqual(
    before.rows[UPGRADED_MODELS.indexOf(OrgUnitModel)]
  )
  expect(units.filter((u) => u.row["accountId"] === b.account.id).map((u) => [u.row["id"], u.row["versionId"]])).toEqual([
    [upgradeUnitId(1), b.version.id],
    [upgradeUnitId(2), b.version.id]
  ])
  const feedAfter = await feedOf(app, before.accountId)
  expect(feedAfter.filter((c) => c.model === "OrgUnit" && c.id !== upgradeUnitId(5))).toEqual(before.feed.filter((c) => c.model === "OrgUnit"))
  return { accountId: b.account.id, versionId: b.version.id }
}
