/**
 * Child process of the pg-boss test: a task worker on the machine's PostgreSQL. Opens the store
 * (its schema) and the progress board, starts pg-boss (its schema), works the queue and reports over IPC each progress
 * report (`{ progress }`) and each outcome (`{ outcome }`), until the parent disconnects or kills it.
 *   node pg-boss-worker.ts <url> <store schema> <pg-boss schema>
 */
import { PgBossTaskRunner, PostgresTaskProgress } from "@iaso/adapter-postgres/pg-boss"
import { PostgresStore } from "@iaso/adapter-postgres"
import { BlobStore } from "@iaso/core"
import { IasoWithRepos } from "@iaso/core/kernel"
import { Effect, Layer } from "effect"
import pg from "pg"
import { PgBoss } from "pg-boss"

const [url = "", storeSchema = "", bossSchema = ""] = process.argv.slice(2)
const pool = new pg.Pool({ connectionString: url, max: 4 })
const boss = new PgBoss({ connectionString: url, schema: bossSchema, superviseIntervalSeconds: 1, monitorIntervalSeconds: 1 })
boss.on("error", () => undefined)
await boss.start()
// Progress goes to the board the parent reads (a table of the store's schema), as it comes.
const services = Layer.mergeAll(IasoWithRepos.layer, BlobStore.memory(), PostgresTaskProgress.layer({ pool, schema: storeSchema })).pipe(
  Layer.provide(PostgresStore.layer({ pool, schema: storeSchema }))
)

const send = (message: unknown) => process.send?.(message)

await Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      yield* PgBossTaskRunner.work({
        boss,
        connectionString: url,
        pollingIntervalSeconds: 0.5,
        onProgress: (taskId, progress) => send({ progress: { taskId, phase: progress.phase, done: progress.done } }),
        onOutcome: (taskId, outcome) => send({ outcome: { taskId, outcome } })
      })
      send({ ready: true })
      // Works until the parent disconnects.
      yield* Effect.callback<void>((resume) => {
        process.once("disconnect", () => resume(Effect.void))
      })
    })
  ).pipe(Effect.provide(services))
)
await boss.stop({ graceful: false, close: true }).catch(() => undefined)
await pool.end()
