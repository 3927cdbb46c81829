/**
 * The conformance harness: one runtime per store (built once per test file), fresh accounts per
 * scenario, helpers to run effects as an actor and to read storage through `inspect`.
 * @module
 */
import { Cause, Effect, Exit, Layer, ManagedRuntime, Schema } from "effect"
import { Iaso, type IasoServices } from "../iaso.ts"
import { ALL_MODELS } from "../models.ts"
import { Accounts } from "../tenancy/accounts-service.ts"
import { Repos } from "../kernel/repos.ts"
import type { AccountId } from "../shared/entity-ids.ts"
import type { AnyModel, Row } from "../shared/model.ts"
import type { Repositories } from "../shared/repository.ts"
import { Store, type StoreDriver } from "../shared/store.ts"
import { Actor, CurrentActor } from "../tenancy/actor.ts"
import type { Permission } from "../tenancy/permissions.ts"

/** A fixture file loader (Node: the file system; browsers: the test runner's file access). */
export interface FixtureLoader {
  /** The bytes of a file under `../shared/fixtures/` (path relative to it), or `undefined` when absent. */
  readonly read: (path: string) => Promise<Uint8Array | undefined>
  /** A missing file fails the scenario instead of skipping it (set under CI). */
  readonly required?: boolean
}

/** What an adapter's test gives the suite. */
export interface ConformanceOptions {
  /** Shown in test names and in the printed scenario count, e.g. `sqlite (file)`. */
  readonly name: string
  /** The store under test; built once for the whole file. */
  readonly store: Layer.Layer<Store, unknown>
  /** Records generated per model and scenario (default 8). */
  readonly samples?: number
  /** Seed of every generator (default 20261124); printed so failures can be replayed. */
  readonly seed?: number
  /** Fixture files, for scenarios that read IASO's test data. */
  readonly fixtures?: FixtureLoader
  /**
   * The store checks references itself (PostgreSQL's `foreignKeys` option): it cannot hold a
   * partial replica (a unit whose parent lies outside a device's roots), so the sync scenarios
   * check that a pull into it is refused with a `StorageError` and leaves it as it was.
   */
  readonly referencesEnforced?: boolean
}

/** The services the suite runs against. */
export type SuiteServices = IasoServices | Repos | Store

/** The running harness shared by every scenario of a file. */
export interface Harness {
  readonly name: string
  readonly seed: number
  readonly samples: number
  /** Every declared model. */
  readonly models: ReadonlyArray<AnyModel>
  readonly run: <A, E>(effect: Effect.Effect<A, E, SuiteServices>) => Promise<A>
  readonly exit: <A, E>(effect: Effect.Effect<A, E, SuiteServices>) => Promise<Exit.Exit<A, E>>
  /** A new account (with a data source, version 1 and a project), as IASO's setup makes it. */
  readonly freshAccount: () => Promise<FreshAccount>
  /** A new account holding its own record only (what scenarios that create all they use need). */
  readonly bareAccount: () => Promise<{ readonly accountId: AccountId }>
  readonly repos: () => Promise<Repositories>
  readonly driver: () => Promise<StoreDriver>
  /** Every stored row of a model (all accounts), sorted by id. */
  readonly inspect: (model: AnyModel) => Promise<ReadonlyArray<{ readonly row: Row; readonly seq: number }>>
  /** Stored rows of a model for one account. */
  readonly inspectAccount: (model: AnyModel, accountId: string) => Promise<ReadonlyArray<Row>>
  /** Runs an effect as an actor. */
  readonly as: <A, E>(actor: Actor, effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => Promise<A>
  /** Runs an effect as an actor and returns its exit. */
  readonly exitAs: <A, E>(actor: Actor, effect: Effect.Effect<A, E, SuiteServices | CurrentActor>) => Promise<Exit.Exit<A, E>>
}

/** A fresh account as the suite uses it. */
export interface FreshAccount {
  readonly accountId: AccountId
  readonly system: Actor
  readonly versionId: string
  readonly dataSourceId: string
  readonly projectId: string
  /** A user actor of this account with only these permissions. */
  readonly withPermissions: (permissions: ReadonlyArray<Permission>, extra?: Partial<Pick<Actor, "orgUnitRoots" | "editableOrgUnitTypeIds">>) => Actor
}

let accountCounter = 0
const runTag = Math.random().toString(36).slice(2, 8)
const nextAccountName = (): string => {
  accountCounter += 1
  return `conformance ${runTag} ${accountCounter}`
}

/** Builds the harness (call in `beforeAll`) and its disposer. */
export const makeHarness = (options: ConformanceOptions): { readonly harness: Harness; readonly dispose: () => Promise<void> } => {
  // The suite reads and writes beside the services through the repositories (the store port's contract).
  const runtime = ManagedRuntime.make(Iaso.layer.pipe(Layer.provideMerge(Repos.layer), Layer.provideMerge(options.store)))
  const run = <A, E>(effect: Effect.Effect<A, E, SuiteServices>): Promise<A> =>
    runtime.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      const error = Cause.findErrorOption(exit.cause)
      if (error._tag === "Some") throw error.value
      throw Cause.squash(exit.cause)
    })
  const exit = <A, E>(effect: Effect.Effect<A, E, SuiteServices>): Promise<Exit.Exit<A, E>> => runtime.runPromiseExit(effect) as Promise<Exit.Exit<A, E>>
  const harness: Harness = {
    name: options.name,
    seed: options.seed ?? 20261124,
    samples: options.samples ?? 8,
    models: ALL_MODELS,
    run,
    exit,
    freshAccount: () =>
      run(
        Effect.gen(function* () {
          const accounts = yield* Accounts
          const setup = yield* accounts.setup({ name: nextAccountName() })
          const accountId = setup.account.id
          const account: FreshAccount = {
            accountId,
            system: Actor.system(accountId),
            versionId: setup.version.id,
            dataSourceId: setup.dataSource.id,
            projectId: setup.project.id,
            withPermissions: (permissions, extra = {}) => Actor.user({ accountId, permissions, ...extra })
          }
          return account
        })
      ),
    bareAccount: () =>
      run(
        Effect.map(
          Effect.flatMap(Effect.service(Accounts), (accounts) => accounts.create({ name: nextAccountName() })),
          (account) => ({ accountId: account.id })
        )
      ),
    repos: () => run(Effect.service(Repos)),
    driver: () => run(Effect.service(Store)),
    inspect: (model) => run(Effect.flatMap(Effect.service(Store), (driver) => driver.inspect(model))),
    inspectAccount: (model, accountId) =>
      run(
        Effect.map(
          Effect.flatMap(Effect.service(Store), (driver) => driver.inspect(model)),
          (rows) => rows.filter((r) => model.scope === "global" || r.row["accountId"] === accountId).map((r) => r.row)
        )
      ),
    as: (actor, effect) => run(Effect.provideService(effect, CurrentActor, actor)),
    exitAs: (actor, effect) => exit(Effect.provideService(effect, CurrentActor, actor))
  }
  return { harness, dispose: () => runtime.dispose() }
}

/** The encoded (stored) form of a domain record, for exact comparisons (Redacted values included). */
export const encoded = (model: AnyModel, record: unknown): Record<string, unknown> =>
  Schema.encodeUnknownSync(model.schema as unknown as Schema.Codec<unknown, Record<string, unknown>>)(record)

/** The tag of a failed exit's typed error, `Die` for a defect, `Interrupt`, or `Success`. */
export const exitTag = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "Success"
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "Some") {
    const value = error.value
    return typeof value === "object" && value !== null && "_tag" in value ? String(value._tag) : "Fail"
  }
  return Cause.hasDies(exit.cause) ? "Die" : "Interrupt"
}

/** The error a promise rejects with; a promise that resolves fails the test ("expected a rejection"). */
export const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected a rejection")
}

/** The typed error of a failed exit. */
export const exitError = (exit: Exit.Exit<unknown, unknown>): unknown => {
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.findErrorOption(exit.cause)
  return error._tag === "Some" ? error.value : undefined
}
