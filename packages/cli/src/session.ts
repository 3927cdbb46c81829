/**
 * Where a command works: the store (a SQLite file, or PostgreSQL when `--db` is a `postgres://`
 * URL), the account it acts for (set up on first use by the commands that write) as the system
 * actor, and the account's default data source and version. {@link withSession} runs an effect
 * with all of it provided, and closes the store afterwards.
 * @module
 */
import { existsSync, readdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import {
  type Account,
  Accounts,
  Actor,
  type BlobStore,
  CurrentActor,
  type DataSource,
  DataSourceModel,
  Iaso,
  type IasoError,
  type IasoServices,
  NotFound,
  type Project,
  ProjectModel,
  Records,
  type SourceVersion,
  SourceVersionModel,
  type StorageError,
  Store,
  Unsupported
} from "@iaso/core"
import { FileBlobStore } from "@iaso/core/node"
import { PostgresStore } from "@iaso/adapter-postgres"
import { SqliteStore } from "@iaso/adapter-sqlite"
import type { GpkgDriver } from "@iaso/geopackage"
import { BetterSqlite3Gpkg } from "@iaso/geopackage/node"
import { Context, Effect, Layer, Option } from "effect"

/** The database and account a command names (`--db`, `--account`). */
export interface Target {
  /** A SQLite file path, or a `postgres://` / `postgresql://` connection string. */
  readonly db: string
  /** The account's name. */
  readonly account: string
  /** With PostgreSQL, the schema holding the SDK's tables (the connection's current schema when none). */
  readonly schema?: Option.Option<string>
}

/** Whether `--db` names a PostgreSQL database (a connection URL) rather than a SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db)

/** The folder attachments and imported files go to when `--files` is not given: `<db>.files` beside a SQLite file, `iaso.files` for PostgreSQL. */
export const defaultFilesDirectory = (db: string): string => (isPostgresUrl(db) ? "iaso.files" : `${db}.files`)

/** What a command acts on: the account, its first project, and its default data source and version. */
export class Session extends Context.Service<
  Session,
  {
    readonly account: Account
    /** The account's first project (the one IASO's setup makes): forms are offered by it. */
    readonly project: Project
    /** The data source of the account's default version. */
    readonly dataSource: DataSource
    /** The account's default version. */
    readonly defaultVersion: SourceVersion
  }
>()("@iaso/cli/Session") {}

/** The services {@link withSession} provides. */
export type SessionServices = IasoServices | Store | CurrentActor | Session | GpkgDriver

const storeLayer = (db: string, schema: Option.Option<string>, create: boolean): Layer.Layer<Store, StorageError | Unsupported | NotFound> => {
  if (isPostgresUrl(db)) return PostgresStore.layer({ connectionString: db, ...(Option.isSome(schema) ? { schema: schema.value } : {}) })
  if (Option.isSome(schema)) return Layer.effect(Store, Effect.fail(new Unsupported({ message: "--schema applies to a postgres:// database only" })))
  if (!create && db !== ":memory:" && !existsSync(db))
    return Layer.effect(Store, Effect.fail(new NotFound({ model: "Database", id: db, message: `no database at ${db}` })))
  return SqliteStore.layer({ filename: db })
}

/** The account named `name`: found, else set up (`create`) or `NotFound`. */
const accountNamed = (name: string, create: boolean) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    const found = yield* accounts.findByName(name)
    if (Option.isSome(found)) return found.value
    if (!create) return yield* new NotFound({ model: "Account", id: name, message: `no account named "${name}" in this database` })
    return (yield* accounts.setup({ name })).account
  })

/** The account's default version, its data source and first project, read as the system actor. */
const sessionOf = (account: Account) =>
  Effect.gen(function* () {
    const records = yield* Records
    if (account.defaultVersionId === undefined) {
      return yield* new NotFound({ model: "SourceVersion", id: "default", message: `account "${account.name}" has no default source version` })
    }
    const defaultVersion = yield* records.get(SourceVersionModel, account.defaultVersionId)
    const dataSource = yield* records.get(DataSourceModel, defaultVersion.dataSourceId)
    const projects = yield* records.list(ProjectModel, { orderBy: [{ field: "id" }], limit: 1 })
    const project = projects.items[0]
    if (project === undefined) return yield* new NotFound({ model: "Project", id: "first", message: `account "${account.name}" has no project` })
    return Session.of({ account, project, dataSource, defaultVersion })
  }).pipe(Effect.provideService(CurrentActor, Actor.system(account.id)))

/** Options of {@link withSession}. */
export interface SessionOptions {
  /**
   * Create what is missing: the SQLite file, the account (IASO's account setup: a data source
   * named after it with version 1, the default, and a project). Without it they are `NotFound`.
   */
  readonly create: boolean
  /**
   * Run the account's setup and `effect` in one store transaction: when `effect` fails or is
   * interrupted, an account this run set up is rolled back with it.
   */
  readonly atomic?: boolean
}

const SQLITE_COMPANIONS = ["", "-wal", "-shm", "-journal"] as const

/**
 * Runs `effect` on the target's store, as the system actor of the target's account (see
 * `SessionOptions`). The store is closed when the effect ends, whatever its outcome; a SQLite
 * file this run created is removed again when the effect fails or is interrupted, so a refused
 * first command leaves no database behind.
 */
export const withSession = <A, E, R>(
  target: Target,
  options: SessionOptions,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | IasoError, Exclude<R, SessionServices>> =>
  Effect.suspend(() => {
    const body = Effect.gen(function* () {
      const account = yield* accountNamed(target.account, options.create)
      const session = yield* sessionOf(account)
      return yield* effect.pipe(Effect.provideService(Session, session), Effect.provideService(CurrentActor, Actor.system(account.id)))
    })
    const run = options.atomic === true ? Effect.flatMap(Effect.service(Store), (store) => store.transaction(body)) : body
    // The layer provides every service of `SessionServices`; TypeScript cannot follow `Exclude` through `provide`.
    const provided = run.pipe(
      Effect.provide(
        Layer.mergeAll(Iaso.layer, BetterSqlite3Gpkg.layer).pipe(Layer.provideMerge(storeLayer(target.db, target.schema ?? Option.none(), options.create)))
      )
    ) as Effect.Effect<A, E | IasoError, Exclude<R, SessionServices>>
    const fresh = options.create && !isPostgresUrl(target.db) && target.db !== ":memory:" && !existsSync(target.db)
    return fresh
      ? Effect.onError(provided, () =>
          Effect.sync(() => {
            for (const suffix of SQLITE_COMPANIONS) rmSync(`${target.db}${suffix}`, { force: true })
          })
        )
      : provided
  })

/** Removes `directory` when no file is under it (only empty folders). */
const removeIfNoFiles = (directory: string): void => {
  const holdsFiles = (path: string): boolean =>
    readdirSync(path, { withFileTypes: true }).some((entry) => !entry.isDirectory() || holdsFiles(join(path, entry.name)))
  if (existsSync(directory) && !holdsFiles(directory)) rmSync(directory, { recursive: true, force: true })
}

/**
 * Runs `effect` with the file {@link BlobStore} in `directory` (created when missing; removed again
 * when this run created it and the effect failed before a file was kept in it).
 */
export const withBlobs = <A, E, R>(directory: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, Exclude<R, BlobStore>> =>
  Effect.suspend(() => {
    const provided = Effect.provide(effect, FileBlobStore.layer({ directory }))
    return existsSync(directory) ? provided : Effect.onError(provided, () => Effect.sync(() => removeIfNoFiles(directory)))
  })

/**
 * The source version a command reads: the version numbered `number` of the account's default
 * data source, or the account's default version. A number the source lacks is `NotFound`.
 */
export const sourceVersion = (number: Option.Option<number>) =>
  Effect.gen(function* () {
    const session = yield* Session
    if (Option.isNone(number) || number.value === session.defaultVersion.number) return session.defaultVersion
    const records = yield* Records
    const found = yield* records.list(SourceVersionModel, {
      where: [
        { field: "dataSourceId", op: "eq", value: session.dataSource.id },
        { field: "number", op: "eq", value: number.value }
      ],
      limit: 1
    })
    const version = found.items[0]
    if (version === undefined) {
      return yield* new NotFound({
        model: "SourceVersion",
        id: String(number.value),
        message: `data source "${session.dataSource.name}" has no version ${number.value}`
      })
    }
    return version
  })

/** The version number an import targets: `number`, else the account's default version's. */
export const importTarget = (number: Option.Option<number>) =>
  Effect.map(Effect.service(Session), (session) => Option.getOrElse(number, () => session.defaultVersion.number))
