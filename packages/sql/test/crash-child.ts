/**
 * Child process of the crash test: imports a large batch of org units in ONE transaction,
 * reporting progress over IPC after every chunk, until the parent kills it with SIGKILL.
 *   node crash-child.ts sqlite <file> | postgres <url> <schema>
 */
import { Accounts, Actor, CurrentActor, OrgUnitModel, type Store } from "@iaso/core"
import { IasoWithRepos, Repos } from "@iaso/core/kernel"
import { Effect, type Layer } from "effect"

const [kind, target, schema] = process.argv.slice(2)
const send = (message: unknown) => process.send?.(message)

const storeLayer = async (): Promise<Layer.Layer<Store, unknown>> => {
  if (kind === "sqlite") {
    const { SqliteStore } = await import("@iaso/adapter-sqlite")
    return SqliteStore.layer({ filename: target ?? "" })
  }
  const { PostgresStore } = await import("@iaso/adapter-postgres")
  const pg = (await import("pg")).default
  return PostgresStore.layer({ pool: new pg.Pool({ connectionString: target ?? "", max: 2 }), ...(schema === undefined ? {} : { schema }) })
}

const CHUNK = 500
const CHUNKS = 40

const program = Effect.gen(function* () {
  const { account, version } = yield* Effect.flatMap(Effect.service(Accounts), (a) => a.setup({ name: `crash ${process.pid}` }))
  send({ accountId: account.id })
  const repos = yield* Repos
  yield* repos.driver.transaction(
    Effect.gen(function* () {
      for (let chunk = 0; chunk < CHUNKS; chunk++) {
        const units = Array.from({ length: CHUNK }, (_, i) => {
          const n = chunk * CHUNK + i
          const id = `01900000-${(n >> 16).toString(16).padStart(4, "0")}-7000-8000-${n.toString(16).padStart(12, "0")}`
          return {
            id,
            name: `Unit ${n}`,
            versionId: version.id,
            validationStatus: "VALID" as const,
            custom: false,
            extraFields: {},
            code: "",
            path: `${id}/`,
            depth: 1
          }
        })
        yield* repos.insertMany(OrgUnitModel, account.id, units, { atomic: true })
        send({ inserted: (chunk + 1) * CHUNK })
      }
    })
  )
  send({ committed: CHUNK * CHUNKS })
}).pipe(Effect.provideService(CurrentActor, Actor.system("00000000-0000-7000-8000-000000000000" as never)))

const layer = await storeLayer()
await Effect.runPromise(program.pipe(Effect.provide(IasoWithRepos.layer), Effect.provide(layer)))
